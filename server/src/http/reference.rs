//! Reference data for clients: the closed vocabularies with their labels, and the limits the
//! server enforces. Both come from the tables the server itself checks with (`parlog_core`'s
//! `VOCABULARIES` and `limits`, and the server's `Limits`), so a client that shows or checks them
//! need not keep a copy that could drift.

use axum::extract::State;
use axum::Json;
use parlog_core::limits::{
    BATCH_EVENTS_MAX, ID_CHARS_MAX, LIST_ITEMS_MAX, LONG_TEXT_CHARS_MAX, SHORT_TEXT_CHARS_MAX, SUBJECTS_PER_EVENT_MAX,
};
use parlog_core::VOCABULARIES;
use serde_json::{json, Map, Value};

use super::auth::Caller;
use super::state::AppState;

/// GET /api/v1/vocabulary: every vocabulary by name, its values in declaration order, each with
/// its identifier (what events carry) and its Dutch and English labels.
pub async fn vocabulary(_caller: Caller) -> Json<Value> {
    let all: Map<String, Value> = VOCABULARIES
        .iter()
        .map(|v| (v.name.to_string(), serde_json::to_value(v.entries).expect("labels serialise")))
        .collect();
    Json(json!({ "vocabularies": all }))
}

/// GET /api/v1/limits: the limits on input, with their units in their names.
pub async fn limits(State(state): State<AppState>, _caller: Caller) -> Json<Value> {
    Json(json!({
        "short_text_chars_max": SHORT_TEXT_CHARS_MAX,
        "long_text_chars_max": LONG_TEXT_CHARS_MAX,
        "list_items_max": LIST_ITEMS_MAX,
        "subjects_per_event_max": SUBJECTS_PER_EVENT_MAX,
        "batch_events_max": BATCH_EVENTS_MAX,
        "page_events_max": state.limits.page_events_max,
        "body_bytes_max": state.limits.body_bytes_max,
        "id_chars_max": ID_CHARS_MAX,
    }))
}
