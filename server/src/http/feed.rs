//! The live feed: Server-Sent Events that catch up from a position (or `Last-Event-ID`) and then
//! follow. It reads by position through a store subscription, so it neither skips nor repeats
//! an event while others append.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use parlog_core::{EventStore, Position};
use serde::Deserialize;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Query};
use super::metrics::Metrics;
use super::state::AppState;

/// Events sent per SSE write.
const FEED_BATCH_EVENTS: usize = 256;

#[derive(Deserialize)]
pub struct FeedQuery {
    /// First position to send; default: the next event after the current head.
    from: Option<u64>,
}

/// Holds a feed slot for as long as the stream lives.
struct Slot {
    _permit: tokio::sync::OwnedSemaphorePermit,
    metrics: Arc<Metrics>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.metrics.sse_clients.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A shutdown receiver that has already fired: the stream ends at its next turn.
fn ended() -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    drop(tx);
    rx
}

/// GET /api/v1/feed
pub async fn feed(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(q): Query<FeedQuery>,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    caller.require(caller.role.reads_events(), "follow the event feed; viewers read projections and reports")?;
    let last_id = headers.get("last-event-id").and_then(|v| v.to_str().ok());
    let from = match (last_id, q.from) {
        (Some(id), _) => {
            id.trim()
                .parse::<u64>()
                .map_err(|_| ApiError::BadRequest(format!("Last-Event-ID: expected a position, got {id:?}")))?
                + 1
        }
        (None, Some(f)) => f.max(1),
        (None, None) => state.store.head().position.0 + 1,
    };
    let permit = state.sse_slots.clone().try_acquire_owned().map_err(|_| {
        ApiError::TooManyRequests(format!(
            "{} feed clients are connected, the limit (sse_clients_max); try again later",
            state.limits.sse_clients_max
        ))
    })?;
    state.metrics.sse_clients.fetch_add(1, Ordering::Relaxed);
    let slot = Slot { _permit: permit, metrics: state.metrics.clone() };
    let sub = state.store.subscribe(Position(from));
    let shutdown = state.shutdown.subscribe();
    let events = stream::unfold(
        (sub, slot, state, caller, shutdown),
        |(mut sub, slot, state, caller, mut shutdown)| async move {
            let range = tokio::select! {
            r = sub.next_positions(FEED_BATCH_EVENTS) => r.ok()?,
            _ = shutdown.changed() => return None,
        };
        // Each event is read and encoded once for all subscribers (per kind of reader); a
        // subscriber only reads the store for positions no one has encoded yet.
        let sealed = caller.role.reads_sealed();
        let mut items: Vec<Result<Event, Infallible>> = Vec::with_capacity((range.end() - range.start() + 1) as usize);
        let mut p = *range.start();
        while p <= *range.end() {
            if let Some(d) = state.feed_cache.get(p, sealed) {
                items.push(Ok(Event::default().id(p.to_string()).event("event").data(&*d)));
                p += 1;
                continue;
            }
            let missing = (*range.end() - p + 1) as usize;
            let events = match state.store.read_from(Position(p), missing) {
                Ok(ev) if !ev.is_empty() => ev,
                other => {
                    tracing::warn!(position = p, error = ?other.err(), "feed ends: events could not be read");
                    return if items.is_empty() { None } else { Some((stream::iter(items), (sub, slot, state, caller, ended()))) };
                }
            };
            for e in &events {
                match super::events::event_json(&state, &caller, e) {
                    Ok(v) => {
                        let d: Arc<str> = v.to_string().into();
                        state.feed_cache.put(e.position.0, sealed, d.clone());
                        items.push(Ok(Event::default().id(e.position.0.to_string()).event("event").data(&*d)));
                    }
                    Err(err) => {
                        // An event that cannot be shown ends the feed rather than being skipped:
                        // the client reconnects with Last-Event-ID and gets it again.
                        tracing::warn!(position = e.position.0, error = ?err, "feed ends: an event could not be shown");
                        return if items.is_empty() { None } else { Some((stream::iter(items), (sub, slot, state, caller, ended()))) };
                    }
                }
            }
            p += events.len() as u64;
        }
            Some((stream::iter(items), (sub, slot, state, caller, shutdown)))
        },
    )
    .flatten();
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
