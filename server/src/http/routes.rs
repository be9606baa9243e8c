//! The table of routes: each entry is what the router serves (method, path, handler) and what
//! the OpenAPI document says about it (summary, who may call it, query parameters, body,
//! answers). `app` builds the router from it and `openapi::document` the document, so neither
//! can list a route the other lacks.

use axum::routing::{on, MethodFilter, MethodRouter};

use super::state::AppState;
use super::{admin, events, feed, openapi, reference, views};
use crate::request::{
    Param, CHART_PARAMS, FEED_FROM, FROM, FROM_VERSION, LIMIT, PROJECTION_PARAMS, RETROSPECTIVE_PARAMS,
};

/// One route.
pub struct Route {
    /// `get`, `post` or `delete`, as OpenAPI spells it.
    pub method: &'static str,
    /// The full path; a `{name}` segment is a path parameter (axum and OpenAPI write it alike).
    pub path: &'static str,
    pub summary: &'static str,
    /// Who may call it, in words; the tests hold it to the role × endpoint matrix.
    pub roles: &'static str,
    pub query: &'static [&'static Param],
    /// The name of the body's schema in the document, if the route takes a JSON body.
    pub body: Option<&'static str>,
    /// The success statuses and what each means.
    pub ok: &'static [(u16, &'static str)],
    /// Problems a client acts on differently from the generic 4XX.
    pub problems: &'static [(u16, &'static str)],
    /// The handler, routed for the given method.
    pub handler: fn(MethodFilter) -> MethodRouter<AppState>,
}

impl Route {
    pub fn method_filter(&self) -> MethodFilter {
        match self.method {
            "get" => MethodFilter::GET,
            "post" => MethodFilter::POST,
            "delete" => MethodFilter::DELETE,
            other => unreachable!("route {} has method {other}, which the table does not use", self.path),
        }
    }
}

const OK: &[(u16, &str)] = &[(200, "OK")];
const NOT_FOUND_VIEW: (u16, &str) = (404, "No such projection or chart (the problem lists the names).");
const NOT_FOUND_EVENT: (u16, &str) = (404, "No such event, stream, token or subject.");
/// What the parameters' schemas cannot say: `as_of` and `as_of_position` exclude each other.
const AS_OF_TWICE: (u16, &str) = (422, "as_of and as_of_position were both given: give one of them.");

pub const ROUTES: &[Route] = &[
    Route {
        method: "post",
        path: "/api/v1/events",
        summary: "Append a batch of events atomically (a JSON array, or {\"events\": [...]}). The author is the token's participant. Idempotent by event id; optional expected_version per event.",
        roles: "makelaar, researcher (per event kind; a makelaar writes notes only to their own notes:<participant> stream)",
        query: &[],
        body: Some("events"),
        ok: &[(200, "Every event was already stored (a retry)."), (201, "Appended.")],
        problems: &[
            (403, "The role may not append an event of this kind, or a makelaar wrote to a notes stream other than their own notes:<participant>."),
            (400, "An event does not fit its kind or the log (the problem names the event and the field): a field is malformed, a stream its kind starts exists already, or a stream or event it refers to does not exist. JSON Schema cannot say the rules against the log, nor those across fields."),
            (409, "expected_version does not match the stream's version, or the event's id was used for another event."),
            (413, "The body is over body_bytes_max, or the batch over batch_events_max."),
        ],
        handler: |m| on(m, events::append),
    },
    Route {
        method: "get",
        path: "/api/v1/events",
        summary: "Read the global log, paged by position.",
        roles: "makelaar, researcher, admin",
        query: &[&FROM, &LIMIT],
        body: None,
        ok: OK,
        problems: &[],
        handler: |m| on(m, events::read_log),
    },
    Route {
        method: "get",
        path: "/api/v1/events/{id}",
        summary: "One event by id.",
        roles: "makelaar, researcher, admin",
        query: &[],
        body: None,
        ok: OK,
        problems: &[NOT_FOUND_EVENT],
        handler: |m| on(m, events::read_event),
    },
    Route {
        method: "get",
        path: "/api/v1/streams/{stream}",
        summary: "The events of one stream.",
        roles: "makelaar, researcher, admin",
        query: &[&FROM_VERSION, &LIMIT],
        body: None,
        ok: OK,
        problems: &[NOT_FOUND_EVENT],
        handler: |m| on(m, events::read_stream),
    },
    Route {
        method: "get",
        path: "/api/v1/projections/{name}",
        summary: "A projection: cycles, role, initiatives, signals, lessons, network, activity, warnings or codebook.",
        roles: "all",
        query: PROJECTION_PARAMS,
        body: None,
        ok: OK,
        problems: &[NOT_FOUND_VIEW, AS_OF_TWICE],
        handler: |m| on(m, views::projection),
    },
    Route {
        method: "get",
        path: "/api/v1/retrospective",
        summary: "The handreiking-style retrospective.",
        roles: "all",
        query: RETROSPECTIVE_PARAMS,
        body: None,
        ok: OK,
        problems: &[AS_OF_TWICE],
        handler: |m| on(m, views::retrospective),
    },
    Route {
        method: "get",
        path: "/api/v1/charts/{name}",
        summary: "A chart (role, cycles, initiatives, signals) as an HTML figure with inline SVG.",
        roles: "all",
        query: CHART_PARAMS,
        body: None,
        ok: OK,
        problems: &[
            (404, "No such chart (the problem lists the names), or nothing to draw yet in this part of the log."),
            AS_OF_TWICE,
        ],
        handler: |m| on(m, views::chart),
    },
    Route {
        method: "get",
        path: "/api/v1/feed",
        summary: "Server-Sent Events: every event from a position (or after Last-Event-ID, which must not be past the head), then live.",
        roles: "makelaar, researcher, admin",
        query: &[&FEED_FROM],
        body: None,
        ok: OK,
        problems: &[
            (400, "`from` or Last-Event-ID is not a position, or is past the head of the log (the feed follows another log): reconnect without Last-Event-ID."),
            (429, "sse_clients_max feeds are open; try again later."),
        ],
        handler: |m| on(m, feed::feed),
    },
    Route {
        method: "get",
        path: "/api/v1/verify",
        summary: "Walk the hash chain; names the first bad position.",
        roles: "admin",
        query: &[],
        body: None,
        ok: OK,
        problems: &[],
        handler: |m| on(m, admin::verify),
    },
    Route {
        method: "post",
        path: "/api/v1/subjects/{subject}/forget",
        summary: "Destroy a data subject's key and sealed data; recorded as an event.",
        roles: "admin",
        query: &[],
        body: Some("forget"),
        ok: OK,
        problems: &[(404, "No sealed data names this subject.")],
        handler: |m| on(m, admin::forget),
    },
    Route {
        method: "get",
        path: "/api/v1/tokens",
        summary: "List tokens (without secrets).",
        roles: "admin",
        query: &[],
        body: None,
        ok: OK,
        problems: &[],
        handler: |m| on(m, admin::list_tokens),
    },
    Route {
        method: "post",
        path: "/api/v1/tokens",
        summary: "Create a token for a participant and role; the token is shown once.",
        roles: "admin",
        query: &[],
        body: Some("token"),
        ok: &[(201, "Created; the token is shown once.")],
        problems: &[],
        handler: |m| on(m, admin::create_token),
    },
    Route {
        method: "delete",
        path: "/api/v1/tokens/{id}",
        summary: "Revoke a token.",
        roles: "admin",
        query: &[],
        body: None,
        ok: &[(204, "Revoked.")],
        problems: &[(404, "No token with this id.")],
        handler: |m| on(m, admin::revoke_token),
    },
    Route {
        method: "get",
        path: "/api/v1/openapi.json",
        summary: "This document.",
        roles: "all",
        query: &[],
        body: None,
        ok: OK,
        problems: &[],
        handler: |m| on(m, openapi::serve_document),
    },
    Route {
        method: "get",
        path: "/api/v1/me",
        summary: "The token's participant and role, and what it may do.",
        roles: "all",
        query: &[],
        body: None,
        ok: OK,
        problems: &[],
        handler: |m| on(m, super::me),
    },
    Route {
        method: "get",
        path: "/api/v1/vocabulary",
        summary: "Every closed vocabulary (levels, roles, routes, stages, …): each value's id, as events carry it, with its Dutch and English label, in declaration order.",
        roles: "all",
        query: &[],
        body: None,
        ok: OK,
        problems: &[],
        handler: |m| on(m, reference::vocabulary),
    },
    Route {
        method: "get",
        path: "/api/v1/limits",
        summary: "The limits the server enforces on input, with their units in their names.",
        roles: "all",
        query: &[],
        body: None,
        ok: OK,
        problems: &[],
        handler: |m| on(m, reference::limits),
    },
    Route {
        method: "get",
        path: "/metrics",
        summary: "Prometheus metrics (appends, latency, projection lag).",
        roles: "all",
        query: &[],
        body: None,
        ok: OK,
        problems: &[],
        handler: |m| on(m, super::metrics),
    },
    Route {
        method: "get",
        path: "/healthz",
        summary: "Health: ok while the store works, 503 once it refuses work; needs no token.",
        roles: "anyone",
        query: &[],
        body: None,
        ok: OK,
        problems: &[],
        handler: |m| on(m, super::healthz),
    },
];
