//! The JSON form of a stored event with its sealed part opened, as far as the reader may see it:
//! one shape for the API (`GET /api/v1/events…`, the feed) and `parlog show --json`.
//!
//! `sealed` is the envelope's sealed part (`subjects`, …) plus one of:
//! - `data`: the opened part, for a reader who may read sealed data;
//! - `forgotten`: `{subject, at, by, position}`, the subject's data was destroyed (by the event at
//!   `position`);
//! - `no_key`: `{subject}`, this data folder has no key for the subject (imported without keys);
//! - `damaged`: `{reason}`, the ciphertext does not open.

use parlog_core::{RecordedEvent, SealedView};
use serde_json::{json, Value};

/// The event in API form v1 with what `sealed` (the store's view of its sealed part) shows;
/// `reads_sealed`: whether the reader may see opened data.
pub fn event_json(e: &RecordedEvent, sealed: SealedView, reads_sealed: bool) -> Value {
    let mut v = e.to_wire();
    match sealed {
        SealedView::None => {}
        SealedView::Forgotten { subject, position, at, by } => {
            v["sealed"]["forgotten"] = json!({"subject": subject, "at": at, "by": by, "position": position.0});
        }
        SealedView::Open(data) if reads_sealed => v["sealed"]["data"] = json!(data),
        SealedView::Open(_) => {}
        SealedView::NoKey { subject } => v["sealed"]["no_key"] = json!({"subject": subject}),
        SealedView::Damaged { reason } => v["sealed"]["damaged"] = json!({"reason": reason}),
    }
    v
}
