//! The live feed: Server-Sent Events that catch up from a position (or `Last-Event-ID`) and then
//! follow. It reads by position through a store subscription, so it neither skips nor repeats
//! an event while others append.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use futures_util::stream::{self, Stream};
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

/// One SSE frame: `id` is the position, so a client that reconnects sends it as Last-Event-ID.
fn frame(position: u64, json: &str) -> Bytes {
    // Compact JSON has no line breaks, so the data is one `data:` line.
    debug_assert!(!json.contains('\n'));
    Bytes::from(format!("id: {position}\nevent: event\ndata: {json}\n\n"))
}

/// GET /api/v1/feed
pub async fn feed(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Query(q): Query<FeedQuery>,
) -> ApiResult<Response> {
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
    let keep_alive = Duration::from_millis(state.limits.feed_keep_alive_ms);
    // Each batch of positions goes out as one chunk: at thousands of events a second and a
    // hundred subscribers, a write (and an SSE event object) per event was most of the work.
    let chunks = stream::unfold(
        (sub, slot, state, caller, shutdown),
        move |(mut sub, slot, state, caller, mut shutdown)| async move {
            let range = tokio::select! {
                r = sub.next_positions(FEED_BATCH_EVENTS) => r.ok()?,
                _ = shutdown.changed() => return None,
                _ = tokio::time::sleep(keep_alive) => {
                    return Some((Ok(Bytes::from_static(b":\n\n")), (sub, slot, state, caller, shutdown)));
                }
            };
            match batch(&state, &caller, *range.start(), *range.end()) {
                Ok(chunk) => Some((Ok(chunk), (sub, slot, state, caller, shutdown))),
                // What could be sent goes out, then the feed ends; the client reconnects with
                // Last-Event-ID and gets the rest (or the error) again.
                Err(partial) if partial.is_empty() => None,
                Err(partial) => Some((Ok(partial), (sub, slot, state, caller, ended()))),
            }
        },
    );
    let chunks: std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, Infallible>> + Send>> = Box::pin(chunks);
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(chunks))
        .map_err(|e| ApiError::Internal(format!("the feed response: {e}")))
}

/// The frames of `from..=to` as one chunk. Each event is read and encoded once for all
/// subscribers (per kind of reader); a subscriber reads the store only for positions no one has
/// encoded yet. On a failure, the frames before it, as `Err`.
fn batch(state: &AppState, caller: &Caller, from: u64, to: u64) -> Result<Bytes, Bytes> {
    let sealed = caller.role.reads_sealed();
    let mut frames: Vec<Bytes> = Vec::with_capacity((to - from + 1) as usize);
    let mut p = from;
    while p <= to {
        let cached = state.feed_cache.get_run(p, to, sealed);
        if !cached.is_empty() {
            p += cached.len() as u64;
            frames.extend(cached);
            continue;
        }
        let events = match state.store.read_from(Position(p), (to - p + 1) as usize) {
            Ok(ev) if !ev.is_empty() => ev,
            other => {
                tracing::warn!(position = p, error = ?other.err(), "feed ends: events could not be read");
                return Err(concat(&frames));
            }
        };
        for e in &events {
            match super::events::event_json(state, caller, e) {
                Ok(v) => {
                    let f = frame(e.position.0, &v.to_string());
                    state.feed_cache.put(e.position.0, sealed, f.clone());
                    frames.push(f);
                }
                Err(err) => {
                    // An event that cannot be shown ends the feed rather than being skipped.
                    tracing::warn!(position = e.position.0, error = ?err, "feed ends: an event could not be shown");
                    return Err(concat(&frames));
                }
            }
        }
        p += events.len() as u64;
    }
    Ok(concat(&frames))
}

fn concat(frames: &[Bytes]) -> Bytes {
    if frames.len() == 1 {
        return frames[0].clone();
    }
    let mut out = Vec::with_capacity(frames.iter().map(Bytes::len).sum());
    for f in frames {
        out.extend_from_slice(f);
    }
    Bytes::from(out)
}
