//! The OpenAPI document, built from the table of routes the router is built from
//! (`routes::ROUTES`, each at its path and its deprecated alias) and the query parameters the
//! requests are parsed with (`request::Param`).

use axum::extract::State;
use axum::Json;
use parlog_core::limits::{
    BATCH_EVENTS_MAX, LIST_ITEMS_MAX, LONG_TEXT_CHARS_MAX, SHORT_TEXT_CHARS_MAX, SUBJECTS_PER_EVENT_MAX,
};
use parlog_core::{
    Category, EventKind, LongText, ParticipantId, ShortText, StreamId, StreamRule, StudySlug, SubjectId,
    STUDY_SLUG_CHARS_MAX,
};
use parlog_projections::{CHART_NAMES, PROJECTION_NAMES};
use serde_json::{json, Value};

use super::auth::Caller;
use super::routes::{operations, Operation, Route};
use super::state::{AppState, Limits};
use super::study::STUDY_PREFIX;
use crate::request::{AS_OF, AS_OF_POSITION};

/// The path parameters of a route, from the `{name}` segments of its path.
fn path_params(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": path_schema(path, name)}))
        .collect()
}

/// A problem answer with its description.
fn problem(description: &str) -> Value {
    json!({"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

/// The problems every operation of its kind may answer: a study that is not there for the
/// token, the one study of a deprecated route, and the stores' states that pass (503, and 507
/// for writes to a log).
fn common_problems(op: &Operation) -> Vec<(u16, &'static str)> {
    let r = op.route;
    let mut out = Vec::new();
    if r.in_study && !r.problems.iter().any(|(status, _)| *status == 404) {
        out.push((
            404,
            "No such study for this token: there is none, or the token has no role in it (the same answer for both).",
        ));
    }
    if op.deprecated {
        out.push((409, "This route is deprecated: it serves the token's only study, and the token has a role in several (problem type study-required); use the route under /api/v1/studies/{study}/."));
    }
    if r.appends {
        out.push((507, "The server's disk is full: nothing was stored. Try again later."));
    }
    if r.path == "/healthz" {
        out.push((503, "A study's store failed after a write error and refuses work until parlog is restarted."));
    } else if r.in_study {
        out.push((503, "The study's store is shutting down, or failed after a write error and refuses work until parlog is restarted, or every study the server keeps open is in use (problem type busy). Try again later."));
    } else {
        out.push((503, "The server is shutting down. Try again later."));
    }
    out
}

/// What the handlers accept in a path parameter; anything else is a 400 or a 404.
fn path_schema(path: &str, name: &str) -> Value {
    match name {
        "study" => {
            json!({"type": "string", "pattern": StudySlug::pattern(), "minLength": 1, "maxLength": STUDY_SLUG_CHARS_MAX})
        }
        "id" if path.ends_with("/events/{id}") || path.ends_with("/notes/{id}") => {
            json!({"type": "string", "format": "uuid"})
        }
        "stream" => json!({"type": "string", "pattern": StreamId::pattern(&Category::ALL)}),
        "subject" => json!({"type": "string", "pattern": SubjectId::pattern()}),
        "name" if path.ends_with("/projections/{name}") => json!({"type": "string", "enum": PROJECTION_NAMES}),
        "name" if path.ends_with("/charts/{name}") => json!({"type": "string", "enum": CHART_NAMES}),
        _ => json!({"type": "string"}),
    }
}

/// What a view or the retrospective answers, by its `format`: the media types the handlers send
/// (`views.rs`), and the header that makes a file of a CSV table or an ODT. Other routes'
/// answers are described in words.
fn ok_content(path: &str) -> Option<(Value, Value)> {
    let disposition = |what: &str| {
        json!({"Content-Disposition": {
            "description": format!("With {what}: attachment; filename=\"<study>-<name>.<ext>\"."),
            "schema": {"type": "string"},
        }})
    };
    if path.ends_with("/projections/{name}") {
        return Some((
            json!({
                "application/json": {"schema": {"type": "object"}},
                "text/csv": {"schema": {"type": "string", "description": "format=csv: the view's main table, RFC 4180, UTF-8 without BOM, CRLF line ends, a header row of column names in the view's language; a field that starts with =, +, -, @, tab or CR is prefixed with ' (no formula runs)."}},
            }),
            disposition("format=csv"),
        ));
    }
    if path.ends_with("/retrospective") {
        return Some((
            json!({
                "text/html": {"schema": {"type": "string", "description": "format=html (default): one self-contained page; its source references open the event in the web interface (/#/event/<position>?study=<slug>)."}},
                "text/markdown": {"schema": {"type": "string", "description": "format=md."}},
                "application/vnd.oasis.opendocument.text": {"schema": {"type": "string", "format": "binary", "description": "format=odt: an OpenDocument text with the charts as SVG images."}},
            }),
            disposition("format=odt"),
        ));
    }
    None
}

/// Who may call a route, and what its parameters' schemas cannot say.
fn description(op: &Operation) -> String {
    let r: &Route = op.route;
    let mut d = format!("Who may call it: {}.", r.roles);
    if op.deprecated {
        d.push_str(&format!(
            " Deprecated: the same as {} for the token's only study (the one study it has a role in).",
            r.path
        ));
    } else if r.in_study && r.path.starts_with(STUDY_PREFIX) {
        d.push_str(" A study the token has no role in answers 404, as one that does not exist.");
    }
    if r.query.iter().any(|p| p.name == AS_OF.name) && r.query.iter().any(|p| p.name == AS_OF_POSITION.name) {
        d.push_str(" Give as_of or as_of_position, not both (422).");
    }
    d
}

/// The document, with the server's page limit in it.
pub fn document(limits: &Limits) -> Value {
    let mut paths = serde_json::Map::new();
    for op in operations() {
        let r = op.route;
        let mut params = path_params(op.path);
        params.extend(r.query.iter().map(|p| {
            let schema = p.schema(limits.page_events_max);
            let mut param = json!({"name": p.name, "in": "query", "required": p.required(), "description": p.description, "schema": schema});
            // A list goes in one parameter, its items separated by commas (`studies=a,b`).
            if param["schema"]["type"] == "array" {
                param["style"] = "form".into();
                param["explode"] = false.into();
            }
            param
        }));
        let mut responses = serde_json::Map::new();
        for (status, description) in r.ok {
            let mut response = json!({"description": description});
            if let Some((content, headers)) = ok_content(op.path) {
                response["content"] = content;
                response["headers"] = headers;
            }
            responses.insert(status.to_string(), response);
        }
        responses.insert("4XX".into(), problem("A problem: what was wrong and how to fix it."));
        // A status listed twice (a route's 409 and a deprecated route's) says both.
        let mut problems: Vec<(u16, String)> = Vec::new();
        for &(status, description) in r.problems.iter().chain(&common_problems(&op)) {
            match problems.iter_mut().find(|(s, _)| *s == status) {
                Some((_, d)) => *d = format!("{d} Or: {description}"),
                None => problems.push((status, description.to_string())),
            }
        }
        for (status, description) in problems {
            let mut response = problem(&description);
            if status == 503 || status == 507 {
                response["headers"] = json!({"Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}});
            }
            responses.insert(status.to_string(), response);
        }
        let mut doc_op = json!({
            "summary": r.summary,
            "description": description(&op),
            "parameters": params,
            "responses": responses,
        });
        if r.path != "/healthz" {
            doc_op["security"] = json!([{"bearer": []}]);
        }
        if op.deprecated {
            doc_op["deprecated"] = json!(true);
        }
        if let Some(b) = r.body {
            doc_op["requestBody"] = json!({"required": b != "forget", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{b}")}}}});
        }
        let entry = paths.entry(op.path.to_string()).or_insert_with(|| json!({}));
        entry[r.method] = doc_op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "parlog API", "version": "1", "description": "An event-sourced, tamper-evident log for participatory action research. Errors are application/problem+json."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "A token from `parlog token create`."}},
            "schemas": {
                "Problem": {"type": "object", "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"}}},
                "events": {"oneOf": [
                    {"type": "array", "maxItems": BATCH_EVENTS_MAX, "items": {"$ref": "#/components/schemas/NewEvent"}},
                    {"type": "object", "required": ["events"], "properties": {"events": {"type": "array", "maxItems": BATCH_EVENTS_MAX, "items": {"$ref": "#/components/schemas/NewEvent"}}}},
                ]},
                "NewEvent": new_event(),
                "forget": {"type": "object", "additionalProperties": false, "properties": {"reason": {"type": ["string", "null"], "maxLength": LONG_TEXT_CHARS_MAX, "pattern": LongText::NOT_BLANK_PATTERN}}},
                "token": {"type": "object", "required": ["participant", "role"], "properties": {"participant": {"type": "string", "pattern": ParticipantId::pattern()}, "role": {"type": "string", "enum": ["makelaar", "researcher", "viewer", "admin"]}}},
                "study": {"type": "object", "required": ["slug", "name"], "additionalProperties": false, "properties": {
                    "slug": {"type": "string", "pattern": StudySlug::pattern(), "minLength": 1, "maxLength": STUDY_SLUG_CHARS_MAX},
                    "name": {"type": "string", "minLength": 1, "maxLength": SHORT_TEXT_CHARS_MAX, "pattern": ShortText::NOT_BLANK_PATTERN},
                    "municipality": {"type": ["string", "null"], "maxLength": SHORT_TEXT_CHARS_MAX, "pattern": ShortText::NOT_BLANK_PATTERN},
                }},
            }
        }
    })
}

/// One event to append: the envelope, and per kind the streams it is written to and its payload
/// (from the payload types, `EventKind::payload_schema`). SubjectForgotten is left out: parlog
/// writes it itself (POST /api/v1/subjects/{subject}/forget).
fn new_event() -> Value {
    let kinds: Vec<Value> = EventKind::ALL
        .iter()
        .filter(|k| !matches!(k.stream_rule(), StreamRule::System(_)))
        .map(|k| {
            let streams = match k.stream_rule().category() {
                Some(c) => StreamId::pattern(&[c]),
                None => StreamId::pattern(&Category::ALL),
            };
            let mut properties = envelope();
            properties["kind"] = json!({"const": k.name()});
            properties["stream"] = json!({"type": "string", "pattern": streams});
            properties["payload"] = k.payload_schema();
            json!({
                "title": k.name(),
                "type": "object",
                "required": ["stream", "kind", "occurred_at", "payload"],
                "additionalProperties": false,
                "properties": properties,
            })
        })
        .collect();
    json!({
        "description": "One event; its kind fixes the streams it goes to and its payload's fields. Rules across fields (such as from ≠ to, start < end) and against the log (a stream a kind starts must be new, one it refers to must exist) are checked on append: a 400 naming the event and the field.",
        "oneOf": kinds,
    })
}

/// The fields every event to append has, whatever its kind.
fn envelope() -> Value {
    let not_blank = LongText::NOT_BLANK_PATTERN;
    let sealed_text = json!({"type": "string", "maxLength": LONG_TEXT_CHARS_MAX, "pattern": not_blank});
    json!({
        "id": {"type": ["string", "null"], "format": "uuid", "description": "Makes retries safe."},
        "occurred_at": {"type": "string", "format": "date-time", "example": "2018-01-01T09:00:00+01:00"},
        "author": {"type": ["string", "null"], "pattern": ParticipantId::pattern(), "description": "The token's participant; another is refused."},
        "causation": {"type": "array", "maxItems": LIST_ITEMS_MAX, "items": {"type": "string", "format": "uuid"}},
        "expected_version": {"type": ["integer", "null"], "minimum": 0, "maximum": u64::MAX},
        "sealed": {
            "type": ["object", "null"],
            "additionalProperties": false,
            "description": "Personal data, sealed under the subjects' keys: at least one of text, quotes, names.",
            "properties": {
                "subjects": {"type": ["array", "null"], "minItems": 1, "maxItems": SUBJECTS_PER_EVENT_MAX, "uniqueItems": true, "items": {"type": "string", "pattern": SubjectId::pattern()}},
                "text": {"anyOf": [sealed_text, {"type": "null"}]},
                "quotes": {"type": "array", "maxItems": LIST_ITEMS_MAX, "items": sealed_text},
                "names": {"type": "array", "maxItems": LIST_ITEMS_MAX, "items": {"type": "string", "maxLength": SHORT_TEXT_CHARS_MAX, "pattern": ShortText::NOT_BLANK_PATTERN}},
            },
            "anyOf": [
                {"type": "null"},
                {"required": ["text"], "properties": {"text": {"type": "string"}}},
                {"required": ["quotes"], "properties": {"quotes": {"minItems": 1}}},
                {"required": ["names"], "properties": {"names": {"minItems": 1}}},
            ],
        },
    })
}

/// GET /api/v1/openapi.json
pub async fn serve_document(State(state): State<AppState>, _caller: Caller) -> Json<Value> {
    Json(document(&state.limits))
}
