//! The OpenAPI document, built from the same table of routes that the tests check against the
//! router.

use axum::Json;
use serde_json::{json, Value};

use parlog_core::limits::{
    BATCH_EVENTS_MAX, LIST_ITEMS_MAX, LONG_TEXT_CHARS_MAX, SHORT_TEXT_CHARS_MAX, SUBJECTS_PER_EVENT_MAX,
};
use parlog_core::{Category, EventKind};
use parlog_projections::PROJECTION_NAMES;

use super::auth::Caller;
use super::state::Limits;

/// One documented route: method, path (OpenAPI style), summary, who may call it, query
/// parameters, and whether it takes a JSON body.
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub roles: &'static str,
    pub query: &'static [(&'static str, &'static str)],
    pub body: Option<&'static str>,
}

const VIEW_QUERY: &[(&str, &str)] = &[
    ("as_of", "A day (YYYY-MM-DD): only what happened by then (or was recorded, with basis=recorded)."),
    ("basis", "occurred (default) or recorded."),
    ("as_of_position", "Only the log up to and including this position."),
    ("lang", "nl (default) or en."),
];

pub const ROUTES: &[Route] = &[
    Route { method: "post", path: "/api/v1/events", summary: "Append a batch of events atomically (a JSON array, or {\"events\": [...]}). The author is the token's participant. Idempotent by event id; optional expected_version per event.", roles: "makelaar, researcher (per event kind; a makelaar writes notes only to their own notes:<participant> stream)", query: &[], body: Some("events") },
    Route { method: "get", path: "/api/v1/events", summary: "Read the global log, paged by position.", roles: "makelaar, researcher, admin", query: &[("from", "First position (default 1)."), ("limit", "Events per page (default 100, at most page_events_max).")], body: None },
    Route { method: "get", path: "/api/v1/events/{id}", summary: "One event by id.", roles: "makelaar, researcher, admin", query: &[], body: None },
    Route { method: "get", path: "/api/v1/streams/{stream}", summary: "The events of one stream.", roles: "makelaar, researcher, admin", query: &[("from_version", "First stream version (default 1)."), ("limit", "Events per page.")], body: None },
    Route { method: "get", path: "/api/v1/projections/{name}", summary: "A projection: cycles, role, initiatives, signals, lessons, network, activity, warnings or codebook.", roles: "all", query: &[("as_of", "A day (YYYY-MM-DD)."), ("basis", "occurred (default) or recorded."), ("as_of_position", "A position."), ("lang", "nl or en."), ("since", "Role: the earlier day of a diff."), ("lead_months_max", "Warnings threshold."), ("active_initiatives_max", "Warnings threshold."), ("reflection_gap_days_max", "Warnings threshold.")], body: None },
    Route { method: "get", path: "/api/v1/retrospective", summary: "The handreiking-style retrospective.", roles: "all", query: &[("format", "html (default) or md."), ("area", "Only this area, such as area:noord."), ("as_of", "A day."), ("basis", "occurred or recorded."), ("as_of_position", "A position."), ("lang", "nl or en.")], body: None },
    Route { method: "get", path: "/api/v1/charts/{name}", summary: "A chart (role, cycles, initiatives, signals) as an HTML figure with inline SVG.", roles: "all", query: VIEW_QUERY, body: None },
    Route { method: "get", path: "/api/v1/feed", summary: "Server-Sent Events: every event from a position (or after Last-Event-ID, which must not be past the head), then live.", roles: "makelaar, researcher, admin", query: &[("from", "First position; default: only new events.")], body: None },
    Route { method: "get", path: "/api/v1/verify", summary: "Walk the hash chain; names the first bad position.", roles: "admin", query: &[], body: None },
    Route { method: "post", path: "/api/v1/subjects/{subject}/forget", summary: "Destroy a data subject's key and sealed data; recorded as an event.", roles: "admin", query: &[], body: Some("forget") },
    Route { method: "get", path: "/api/v1/tokens", summary: "List tokens (without secrets).", roles: "admin", query: &[], body: None },
    Route { method: "post", path: "/api/v1/tokens", summary: "Create a token for a participant and role; the token is shown once.", roles: "admin", query: &[], body: Some("token") },
    Route { method: "delete", path: "/api/v1/tokens/{id}", summary: "Revoke a token.", roles: "admin", query: &[], body: None },
    Route { method: "get", path: "/api/v1/openapi.json", summary: "This document.", roles: "all", query: &[], body: None },
    Route { method: "get", path: "/api/v1/me", summary: "The token's participant and role, and what it may do.", roles: "all", query: &[], body: None },
    Route { method: "get", path: "/api/v1/vocabulary", summary: "Every closed vocabulary (levels, roles, routes, stages, …): each value's id, as events carry it, with its Dutch and English label, in declaration order.", roles: "all", query: &[], body: None },
    Route { method: "get", path: "/api/v1/limits", summary: "The limits the server enforces on input, with their units in their names.", roles: "all", query: &[], body: None },
    Route { method: "get", path: "/metrics", summary: "Prometheus metrics (appends, latency, projection lag).", roles: "all", query: &[], body: None },
    Route { method: "get", path: "/healthz", summary: "Health: ok while the store works, 503 once it refuses work; needs no token.", roles: "anyone", query: &[], body: None },
];

fn path_params(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": path_schema(path, name)}))
        .collect()
}

/// The problems a route answers beyond the generic 4XX: those a client acts on differently.
fn problems(r: &Route) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    match (r.method, r.path) {
        ("get", "/api/v1/feed") => out.push(("400", "`from` or Last-Event-ID is not a position, or is past the head of the log (the feed follows another log): reconnect without Last-Event-ID.")),
        ("post", "/api/v1/events") => out.push(("403", "The role may not append an event of this kind, or a makelaar wrote to a notes stream other than their own notes:<participant>.")),
        _ => {}
    }
    if r.method == "post" && r.path != "/api/v1/tokens" {
        out.push(("507", "The server's disk is full: nothing was stored. Try again later."));
    }
    if r.path == "/healthz" {
        out.push(("503", "The store failed after a write error and refuses work until parlog is restarted."));
    } else {
        out.push(("503", "The store is shutting down, or failed after a write error and refuses work until parlog is restarted. Try again later."));
    }
    out
}

/// An id as `check_slug` in parlog-core takes it: lower-case letters, digits, `-`, `_`, `.`.
const SLUG: &str = "[a-z0-9][a-z0-9._-]{0,99}";

/// A text (`Text` in parlog-core) holds something besides white space.
const NOT_BLANK: &str = "\\S";

fn stream_pattern(categories: &[&str]) -> String {
    format!("^({}):{SLUG}$", categories.join("|"))
}

fn all_categories() -> Vec<&'static str> {
    Category::ALL.iter().map(|c| c.as_str()).collect()
}

/// What the handlers accept in a path parameter; anything else is a 400 or a 404.
fn path_schema(path: &str, name: &str) -> Value {
    match (path, name) {
        ("/api/v1/events/{id}", "id") => json!({"type": "string", "format": "uuid"}),
        (_, "stream") => json!({"type": "string", "pattern": stream_pattern(&all_categories())}),
        (_, "subject") => json!({"type": "string", "pattern": stream_pattern(&["participant", "resident"])}),
        ("/api/v1/projections/{name}", "name") => json!({"type": "string", "enum": PROJECTION_NAMES}),
        ("/api/v1/charts/{name}", "name") => {
            json!({"type": "string", "enum": ["role", "cycles", "initiatives", "signals"]})
        }
        _ => json!({"type": "string"}),
    }
}

/// What the handlers accept in a query parameter (they parse integers and days, and check the
/// words); anything else is a 400.
fn query_schema(name: &str) -> Value {
    match name {
        "limit" => json!({"type": "integer", "minimum": 1, "maximum": Limits::default().page_events_max}),
        "from" | "from_version" | "as_of_position" => json!({"type": "integer", "minimum": 0, "maximum": u64::MAX}),
        "lead_months_max" | "active_initiatives_max" | "reflection_gap_days_max" => {
            json!({"type": "integer", "minimum": 0, "maximum": u32::MAX})
        }
        "as_of" | "since" => json!({"type": "string", "format": "date"}),
        "basis" => json!({"type": "string", "enum": ["occurred", "recorded"]}),
        "lang" => json!({"type": "string", "enum": ["nl", "en"]}),
        "format" => json!({"type": "string", "enum": ["html", "md"]}),
        "area" => json!({"type": "string", "pattern": stream_pattern(&["area"])}),
        _ => json!({"type": "string"}),
    }
}

/// Who may call a route, and what its parameters' schemas cannot say.
fn description(r: &Route) -> String {
    let mut d = format!("Who may call it: {}.", r.roles);
    if r.query.iter().any(|(n, _)| *n == "as_of") && r.query.iter().any(|(n, _)| *n == "as_of_position") {
        d.push_str(" Give as_of or as_of_position, not both (400).");
    }
    d
}

/// The success statuses of a route: most answer 200; creating answers 201, revoking 204.
fn success_statuses(method: &str, path: &str) -> Value {
    match (method, path) {
        ("post", "/api/v1/events") => json!({
            "200": {"description": "Every event was already stored (a retry)."},
            "201": {"description": "Appended."},
        }),
        ("post", "/api/v1/tokens") => json!({"201": {"description": "Created; the token is shown once."}}),
        ("delete", "/api/v1/tokens/{id}") => json!({"204": {"description": "Revoked."}}),
        _ => json!({"200": {"description": "OK"}}),
    }
}

pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for r in ROUTES {
        let mut params = path_params(r.path);
        params.extend(r.query.iter().map(
            |(n, d)| json!({"name": n, "in": "query", "required": false, "description": d, "schema": query_schema(n)}),
        ));
        let mut responses = success_statuses(r.method, r.path);
        responses["4XX"] = json!({"description": "A problem: what was wrong and how to fix it.", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
        let mut op = json!({
            "summary": r.summary,
            "description": description(r),
            "parameters": params,
            "responses": responses,
        });
        for (status, description) in problems(r) {
            let mut response = json!({"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
            if status == "503" || status == "507" {
                response["headers"] = json!({"Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}});
            }
            op["responses"][status] = response;
        }
        if r.path != "/healthz" {
            op["security"] = json!([{"bearer": []}]);
        }
        if let Some(b) = r.body {
            op["requestBody"] = json!({"required": b != "forget", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{b}")}}}});
        }
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        entry[r.method] = op;
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
                "NewEvent": {"type": "object", "required": ["stream", "kind", "occurred_at", "payload"], "additionalProperties": false, "description": "The payload's fields depend on the kind; a payload that does not fit its kind is a 400 naming the field.", "properties": {
                    "id": {"type": ["string", "null"], "format": "uuid", "description": "Makes retries safe."},
                    "stream": {"type": "string", "pattern": stream_pattern(&all_categories()), "example": "notes:makelaar-noord-1"},
                    "kind": {"type": "string", "enum": EventKind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>(), "example": "ObservationRecorded"},
                    "occurred_at": {"type": "string", "format": "date-time"},
                    "author": {"type": ["string", "null"], "pattern": format!("^{SLUG}$"), "description": "The token's participant; another is refused."},
                    "causation": {"type": "array", "maxItems": LIST_ITEMS_MAX, "items": {"type": "string", "format": "uuid"}},
                    "expected_version": {"type": ["integer", "null"], "minimum": 0, "maximum": u64::MAX},
                    "payload": {"type": "object"},
                    "sealed": {"type": ["object", "null"], "additionalProperties": false, "properties": {
                        "subjects": {"type": ["array", "null"], "minItems": 1, "maxItems": SUBJECTS_PER_EVENT_MAX, "uniqueItems": true, "items": {"type": "string", "pattern": stream_pattern(&["participant", "resident"])}},
                        "text": {"type": ["string", "null"], "maxLength": LONG_TEXT_CHARS_MAX, "pattern": NOT_BLANK},
                        "quotes": {"type": "array", "maxItems": LIST_ITEMS_MAX, "items": {"type": "string", "maxLength": LONG_TEXT_CHARS_MAX, "pattern": NOT_BLANK}},
                        "names": {"type": "array", "maxItems": LIST_ITEMS_MAX, "items": {"type": "string", "maxLength": SHORT_TEXT_CHARS_MAX, "pattern": NOT_BLANK}},
                    }}
                }},
                "forget": {"type": "object", "additionalProperties": false, "properties": {"reason": {"type": ["string", "null"], "maxLength": LONG_TEXT_CHARS_MAX, "pattern": NOT_BLANK}}},
                "token": {"type": "object", "required": ["participant", "role"], "properties": {"participant": {"type": "string", "pattern": format!("^{SLUG}$")}, "role": {"type": "string", "enum": ["makelaar", "researcher", "viewer", "admin"]}}},
            }
        }
    })
}

/// GET /api/v1/openapi.json
pub async fn serve_document(_caller: Caller) -> Json<Value> {
    Json(document())
}
