//! The live feed: Server-Sent Events that catch up from a position (or `Last-Event-ID`) and then
//! follow. It reads by position through a store subscription, so it neither skips nor repeats
//! an event while others append.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use futures_util::stream::{self, Stream};
use parlog_core::{EventStore, Position};
use serde::Deserialize;

use super::error::{ApiError, ApiResult, Query};
use super::metrics::Metrics;
use super::state::AppState;
use super::study::Study;
use crate::request::FEED_FROM;

/// Events sent per SSE write.
const FEED_BATCH_EVENTS: usize = 256;

#[derive(Deserialize)]
pub struct FeedQuery {
    /// First position to send; default: the next event after the current head.
    from: Option<String>,
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

/// Where a feed starts: after `Last-Event-ID`, at `from`, or after the head. A resume point past
/// the head is refused: a client resumes after an event this log sent, and this log never sent
/// that one (the client followed another log, or this one before it was restored from an older
/// copy). Replaying from anywhere, or waiting for that position, would hide that.
fn start(last_event_id: Option<&HeaderValue>, from: Option<u64>, head: u64) -> ApiResult<u64> {
    let next = head.saturating_add(1);
    let past_head = |what: String| {
        ApiError::BadRequest(format!(
            "{what} is past the head of this log (position {head}), so this log never sent it: the feed \
             follows another log, or one restored from an older copy; reconnect without Last-Event-ID \
             and with `from` at most {next}, and reload what was read before"
        ))
    };
    match (last_event_id, from) {
        (Some(value), _) => {
            let text = value.to_str().unwrap_or_default().trim();
            let id: u64 = text.parse().map_err(|_| {
                ApiError::BadRequest(format!(
                    "Last-Event-ID: expected a position (the `id` of the last event received), got {value:?}"
                ))
            })?;
            if id > head {
                return Err(past_head(format!("Last-Event-ID {id}")));
            }
            // id <= head < u64::MAX, so this does not overflow.
            Ok(id + 1)
        }
        (None, Some(f)) if f > next => Err(past_head(format!("`from` {f}"))),
        (None, Some(f)) => Ok(f.max(1)),
        (None, None) => Ok(next),
    }
}

/// GET /api/v1/studies/{study}/feed: the study's events only (its own log and its own cache).
/// The feed holds the open study for as long as it runs, so the hub does not close it.
pub async fn feed(
    State(state): State<AppState>,
    study: Study,
    headers: HeaderMap,
    Query(q): Query<FeedQuery>,
) -> ApiResult<Response> {
    study.require(study.role.reads_events(), "follow the event feed; viewers read projections and reports")?;
    let from =
        start(headers.get("last-event-id"), FEED_FROM.integer(q.from.as_deref())?, study.store().head().position.0)?;
    let permit = state.sse_slots.clone().try_acquire_owned().map_err(|_| {
        ApiError::TooManyRequests(format!(
            "{} feed clients are connected, the limit (sse_clients_max); try again later",
            state.limits.sse_clients_max
        ))
    })?;
    state.metrics.sse_clients.fetch_add(1, Ordering::Relaxed);
    let slot = Slot { _permit: permit, metrics: state.metrics.clone() };
    let sub = study.store().subscribe(Position(from));
    let shutdown = state.shutdown.subscribe();
    let keep_alive = Duration::from_millis(state.limits.feed_keep_alive_ms);
    // Each batch of positions goes out as one chunk: at thousands of events a second and a
    // hundred subscribers, a write (and an SSE event object) per event was most of the work.
    let chunks = stream::unfold((sub, slot, study, shutdown), move |(mut sub, slot, study, mut shutdown)| async move {
        let range = tokio::select! {
            r = sub.next_positions(FEED_BATCH_EVENTS) => r.ok()?,
            _ = shutdown.changed() => return None,
            _ = tokio::time::sleep(keep_alive) => {
                return Some((Ok(Bytes::from_static(b":\n\n")), (sub, slot, study, shutdown)));
            }
        };
        match batch(&study, *range.start(), *range.end()) {
            Ok(chunk) => Some((Ok(chunk), (sub, slot, study, shutdown))),
            // What could be sent goes out, then the feed ends; the client reconnects with
            // Last-Event-ID and gets the rest (or the error) again.
            Err(partial) if partial.is_empty() => None,
            Err(partial) => Some((Ok(partial), (sub, slot, study, ended()))),
        }
    });
    let chunks: std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, Infallible>> + Send>> = Box::pin(chunks);
    Response::builder()
        .header(header::CONTENT_TYPE, "text/event-stream")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(Body::from_stream(chunks))
        .map_err(|e| ApiError::Internal(format!("the feed response: {e}")))
}

/// The feed's encoded events (with and without sealed text) for the most recent positions, so
/// that a hundred subscribers do not each read, decrypt and encode the same event. Cleared
/// when a subject is forgotten, so no forgotten text is served from it.
///
/// A frame is encoded outside the lock, so a feed could read and encode an event before a
/// forget, and put the frame in after the forget cleared the cache: it would then serve the
/// forgotten text until evicted. So clearing starts a new epoch, a feed reads the epoch before
/// it reads the events, and `put` keeps a frame only if no clear came in between (checked
/// under the same lock as the clear). A frame read after the clear was read after the forget.
#[derive(Default)]
pub struct FeedCache {
    inner: std::sync::Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    /// How many times the cache was cleared.
    epoch: u64,
    frames: std::collections::BTreeMap<(bool, u64), Bytes>,
}

const FEED_CACHE_ENTRIES_MAX: usize = 16_384;

impl FeedCache {
    /// The current epoch: read it before reading the events whose frames go to `put`.
    pub fn epoch(&self) -> u64 {
        self.inner.lock().expect("feed cache lock").epoch
    }
    /// The cached frames of `from..=to` for one kind of reader, in order, up to the first that
    /// is not cached.
    pub fn get_run(&self, from: u64, to: u64, sealed: bool) -> Vec<Bytes> {
        let c = self.inner.lock().expect("feed cache lock");
        let mut out = Vec::new();
        for ((_, p), frame) in c.frames.range((sealed, from)..=(sealed, to)) {
            if *p != from + out.len() as u64 {
                break;
            }
            out.push(frame.clone());
        }
        out
    }
    /// Keeps a frame made from events read in `epoch`; drops it if the cache was cleared since.
    pub fn put(&self, epoch: u64, position: u64, sealed: bool, frame: Bytes) {
        let mut c = self.inner.lock().expect("feed cache lock");
        if c.epoch != epoch {
            return;
        }
        c.frames.insert((sealed, position), frame);
        while c.frames.len() > FEED_CACHE_ENTRIES_MAX {
            // The oldest position of either kind goes first.
            let oldest = [false, true]
                .into_iter()
                .filter_map(|k| c.frames.range((k, 0)..=(k, u64::MAX)).next().map(|(key, _)| *key))
                .min_by_key(|(_, p)| *p);
            match oldest {
                Some(key) => drop(c.frames.remove(&key)),
                None => break,
            }
        }
    }
    /// Drops every frame and starts a new epoch, so that frames read before are not kept either.
    pub fn clear(&self) {
        let mut c = self.inner.lock().expect("feed cache lock");
        c.frames.clear();
        c.epoch += 1;
    }
}

/// The frames of `from..=to` as one chunk. Each event is read and encoded once for all
/// subscribers (per kind of reader); a subscriber reads the store only for positions no one has
/// encoded yet. On a failure, the frames before it, as `Err`.
fn batch(study: &Study, from: u64, to: u64) -> Result<Bytes, Bytes> {
    let sealed = study.role.reads_sealed();
    let cache = &study.open.feed_cache;
    let mut frames: Vec<Bytes> = Vec::with_capacity((to - from + 1) as usize);
    let mut p = from;
    while p <= to {
        let cached = cache.get_run(p, to, sealed);
        if !cached.is_empty() {
            p += cached.len() as u64;
            frames.extend(cached);
            continue;
        }
        // Before the read: a forget that clears the cache after this must keep these frames out.
        let epoch = cache.epoch();
        let events = match study.store().read_from(Position(p), (to - p + 1) as usize) {
            Ok(ev) if !ev.is_empty() => ev,
            other => {
                tracing::warn!(position = p, error = ?other.err(), "feed ends: events could not be read");
                return Err(concat(&frames));
            }
        };
        for e in &events {
            match super::events::event_json(study, e) {
                Ok(v) => {
                    let f = frame(e.position.0, &v.to_string());
                    cache.put(epoch, e.position.0, sealed, f.clone());
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A feed read and encoded an event before a forget and put the frame in the cache after
    /// the forget cleared it; the cache then served the forgotten text until evicted.
    #[test]
    fn a_frame_read_before_a_clear_is_not_kept_after_it() {
        let cache = FeedCache::default();
        cache.put(cache.epoch(), 6, true, Bytes::from_static(b"cached before"));
        // A feed reads the epoch, then the event at 7 with its sealed text, and encodes it ...
        let read_in = cache.epoch();
        // ... while a forget of the event's subject finishes and clears the cache ...
        cache.clear();
        // ... and then the feed puts its frame in.
        cache.put(read_in, 7, true, Bytes::from_static(b"forgotten text"));
        assert!(cache.get_run(6, 7, true).is_empty(), "nothing from before the forget is served");

        // A frame read after the clear is kept, and so is the run it starts.
        let now = cache.epoch();
        cache.put(now, 7, true, Bytes::from_static(b"forgotten"));
        cache.put(now, 8, true, Bytes::from_static(b"next"));
        assert_eq!(cache.get_run(7, 9, true), vec![Bytes::from_static(b"forgotten"), Bytes::from_static(b"next")]);
        assert!(cache.get_run(7, 9, false).is_empty(), "readers without sealed text have frames of their own");
    }

    #[test]
    fn the_cache_keeps_the_newest_positions() {
        let cache = FeedCache::default();
        let e = cache.epoch();
        for p in 1..=FEED_CACHE_ENTRIES_MAX as u64 + 2 {
            cache.put(e, p, p % 2 == 0, Bytes::from_static(b"f"));
        }
        assert_eq!(cache.inner.lock().expect("lock").frames.len(), FEED_CACHE_ENTRIES_MAX);
        assert!(cache.get_run(1, 2, false).is_empty() && cache.get_run(2, 2, true).is_empty(), "the oldest went first");
        assert_eq!(cache.get_run(3, 3, false).len(), 1);
    }

    fn last(id: &str) -> HeaderValue {
        HeaderValue::from_str(id).expect("a header value")
    }

    #[test]
    fn a_feed_starts_after_the_last_event_or_at_from() {
        assert_eq!(start(Some(&last("7")), None, 10).ok(), Some(8));
        assert_eq!(start(Some(&last(" 10 ")), Some(1), 10).ok(), Some(11), "Last-Event-ID wins over from");
        assert_eq!(start(Some(&last("0")), None, 10).ok(), Some(1));
        assert_eq!(start(None, Some(0), 10).ok(), Some(1));
        assert_eq!(start(None, Some(11), 10).ok(), Some(11));
        assert_eq!(start(None, None, 10).ok(), Some(11));
        assert_eq!(start(None, None, 0).ok(), Some(1));
    }

    /// `Last-Event-ID: 18446744073709551615` overflowed `+ 1` and replayed the log from 1.
    #[test]
    fn a_resume_point_past_the_head_is_refused() {
        for (id, from) in
            [(Some(u64::MAX.to_string()), None), (Some("11".into()), None), (None, Some(12)), (None, Some(u64::MAX))]
        {
            let header = id.as_deref().map(last);
            match start(header.as_ref(), from, 10) {
                Err(ApiError::BadRequest(m)) => {
                    assert!(m.contains("past the head") && m.contains("position 10"), "{m}")
                }
                other => panic!("{id:?} / {from:?}: expected a bad request, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_last_event_id_that_is_not_a_position_is_refused() {
        for bad in ["gisteren", "-1", "1.0", "18446744073709551616", ""] {
            assert!(matches!(start(Some(&last(bad)), None, 10), Err(ApiError::BadRequest(_))), "{bad:?}");
        }
        let not_text = HeaderValue::from_bytes(b"\xff7").expect("an opaque header value");
        assert!(matches!(start(Some(&not_text), None, 10), Err(ApiError::BadRequest(_))));
    }
}
