//! The table of routes: each entry is what the router serves (method, path, handler) and what
//! the OpenAPI document says about it (summary, who may call it, query parameters, body,
//! answers). `app` builds the router from it and `openapi::document` the document, so neither
//! can list a route the other lacks.
//!
//! Study-scoped routes live under `/api/v1/studies/{study}/`; each may name the route of API v1
//! before studies (`alias`), which serves the same for the caller's only study and is marked
//! deprecated in the document. Why keep them: phones keep unsent notes in their outbox, and
//! scripts keep working, on servers with one study.

use axum::routing::{on, MethodFilter, MethodRouter};

use super::state::AppState;
use super::{admin, events, feed, institute, notes, openapi, reference, views};
use crate::request::{
    Param, CHART_PARAMS, COMPARE_PARAMS, FEED_FROM, FROM, FROM_VERSION, LIMIT, NOTES_PARAMS, NOTE_PARAMS,
    PROJECTION_PARAMS, RETROSPECTIVE_PARAMS,
};

/// One route.
pub struct Route {
    /// `get`, `post` or `delete`, as OpenAPI spells it.
    pub method: &'static str,
    /// The full path; a `{name}` segment is a path parameter (axum and OpenAPI write it alike).
    pub path: &'static str,
    /// The deprecated route of the same, for the caller's only study (see the module's comment).
    pub alias: Option<&'static str>,
    /// Whether the route works inside the study its path names: a study the caller has no role
    /// in answers as one that does not exist (404).
    pub in_study: bool,
    pub summary: &'static str,
    /// Who may call it, in words; the tests hold it to the role × study × endpoint matrix.
    pub roles: &'static str,
    pub query: &'static [&'static Param],
    /// The name of the body's schema in the document, if the route takes a JSON body.
    pub body: Option<&'static str>,
    /// The success statuses and what each means.
    pub ok: &'static [(u16, &'static str)],
    /// Problems a client acts on differently from the generic 4XX.
    pub problems: &'static [(u16, &'static str)],
    /// Whether it appends to a study's log (so a full disk is a 507).
    pub appends: bool,
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

/// One operation the server serves: a route at its path, or at its deprecated alias.
#[derive(Clone, Copy)]
pub struct Operation {
    pub path: &'static str,
    pub route: &'static Route,
    pub deprecated: bool,
}

/// Every operation: each route at its path, and at its alias if it has one.
pub fn operations() -> impl Iterator<Item = Operation> {
    ROUTES.iter().flat_map(|route| {
        let at = Operation { path: route.path, route, deprecated: false };
        let alias = route.alias.map(|path| Operation { path, route, deprecated: true });
        std::iter::once(at).chain(alias)
    })
}

const OK: &[(u16, &str)] = &[(200, "OK")];
const NOT_FOUND_VIEW: (u16, &str) =
    (404, "No such projection or chart (the problem lists the names), or no such study for this token.");
const NOT_FOUND_EVENT: (u16, &str) = (404, "No such event, stream, token or subject, or no such study for this token.");
/// What the parameters' schemas cannot say: `as_of` and `as_of_position` exclude each other.
const AS_OF_TWICE: (u16, &str) = (422, "as_of and as_of_position were both given: give one of them.");

pub const ROUTES: &[Route] = &[
    Route {
        method: "post",
        path: "/api/v1/studies/{study}/events",
        alias: Some("/api/v1/events"),
        in_study: true,
        summary: "Append a batch of events atomically (a JSON array, or {\"events\": [...]}). The author is the token's participant. Idempotent by event id; optional expected_version per event.",
        roles: "makelaar, researcher in the study (per event kind; a makelaar writes notes only to their own notes:<participant> stream)",
        query: &[],
        body: Some("events"),
        ok: &[(200, "Every event was already stored (a retry)."), (201, "Appended.")],
        problems: &[
            (403, "The role may not append an event of this kind, or a makelaar wrote to a notes stream other than their own notes:<participant>."),
            (400, "An event does not fit its kind or the log (the problem names the event and the field): a field is malformed, a stream its kind starts exists already, or a stream or event it refers to does not exist. JSON Schema cannot say the rules against the log, nor those across fields."),
            (409, "expected_version does not match the stream's version, or the event's id was used for another event, or the study is archived (problem type study-archived: it takes no new events; do not send again)."),
            (413, "The body is over body_bytes_max, or the batch over batch_events_max."),
        ],
        appends: true,
        handler: |m| on(m, events::append),
    },
    Route {
        method: "get",
        path: "/api/v1/studies/{study}/events",
        alias: Some("/api/v1/events"),
        in_study: true,
        summary: "Read the study's log, paged by position.",
        roles: "makelaar, researcher, admin in the study",
        query: &[&FROM, &LIMIT],
        body: None,
        ok: OK,
        problems: &[],
        appends: false,
        handler: |m| on(m, events::read_log),
    },
    Route {
        method: "get",
        path: "/api/v1/studies/{study}/events/{id}",
        alias: Some("/api/v1/events/{id}"),
        in_study: true,
        summary: "One event by id.",
        roles: "makelaar, researcher, admin in the study",
        query: &[],
        body: None,
        ok: OK,
        problems: &[NOT_FOUND_EVENT],
        appends: false,
        handler: |m| on(m, events::read_event),
    },
    Route {
        method: "get",
        path: "/api/v1/studies/{study}/streams/{stream}",
        alias: Some("/api/v1/streams/{stream}"),
        in_study: true,
        summary: "The events of one stream.",
        roles: "makelaar, researcher, admin in the study",
        query: &[&FROM_VERSION, &LIMIT],
        body: None,
        ok: OK,
        problems: &[NOT_FOUND_EVENT],
        appends: false,
        handler: |m| on(m, events::read_stream),
    },
    Route {
        method: "get",
        path: "/api/v1/studies/{study}/notes",
        alias: None,
        in_study: true,
        summary: "The study's field notes, reflections and memos, newest first: full-text search (q) over their text (sealed text only for roles that may read it) and filters; paged with before, with the total found. JSON, or CSV with format=csv.",
        roles: "makelaar, researcher in the study",
        query: NOTES_PARAMS,
        body: None,
        ok: &[(200, "A page of notes (JSON: total, next_before, indexed_to, notes), or with format=csv every note found as text/csv (RFC 4180, UTF-8, a header row), as an attachment.")],
        problems: &[
            (403, "The role may not read notes (viewers and admins)."),
            (422, "from is after to: give a range whose first day comes first."),
        ],
        appends: false,
        handler: |m| on(m, notes::list),
    },
    Route {
        method: "get",
        path: "/api/v1/studies/{study}/notes/{id}",
        alias: None,
        in_study: true,
        summary: "One note (field note, reflection or memo) as the notes list shows it, with its history: as recorded, each amendment, its retraction.",
        roles: "makelaar, researcher in the study",
        query: NOTE_PARAMS,
        body: None,
        ok: OK,
        problems: &[
            (403, "The role may not read notes (viewers and admins)."),
            (404, "No note (field note, reflection or memo) with this id in the study, or no such study for this token."),
        ],
        appends: false,
        handler: |m| on(m, notes::one),
    },
    Route {
        method: "get",
        path: "/api/v1/studies/{study}/projections/{name}",
        alias: Some("/api/v1/projections/{name}"),
        in_study: true,
        summary: "A projection: cycles, role, initiatives, signals, lessons, network, activity, warnings or codebook.",
        roles: "all roles in the study",
        query: PROJECTION_PARAMS,
        body: None,
        ok: OK,
        problems: &[NOT_FOUND_VIEW, AS_OF_TWICE],
        appends: false,
        handler: |m| on(m, views::projection),
    },
    Route {
        method: "get",
        path: "/api/v1/studies/{study}/retrospective",
        alias: Some("/api/v1/retrospective"),
        in_study: true,
        summary: "The handreiking-style retrospective.",
        roles: "all roles in the study",
        query: RETROSPECTIVE_PARAMS,
        body: None,
        ok: OK,
        problems: &[AS_OF_TWICE],
        appends: false,
        handler: |m| on(m, views::retrospective),
    },
    Route {
        method: "get",
        path: "/api/v1/studies/{study}/charts/{name}",
        alias: Some("/api/v1/charts/{name}"),
        in_study: true,
        summary: "A chart (role, cycles, initiatives, signals) as an HTML figure with inline SVG.",
        roles: "all roles in the study",
        query: CHART_PARAMS,
        body: None,
        ok: OK,
        problems: &[
            (404, "No such chart (the problem lists the names), or nothing to draw yet in this part of the log, or no such study for this token."),
            AS_OF_TWICE,
        ],
        appends: false,
        handler: |m| on(m, views::chart),
    },
    Route {
        method: "get",
        path: "/api/v1/studies/{study}/feed",
        alias: Some("/api/v1/feed"),
        in_study: true,
        summary: "Server-Sent Events: every event of the study from a position (or after Last-Event-ID, which must not be past the head), then live.",
        roles: "makelaar, researcher, admin in the study",
        query: &[&FEED_FROM],
        body: None,
        ok: OK,
        problems: &[
            (400, "`from` or Last-Event-ID is not a position, or is past the head of the log (the feed follows another log): reconnect without Last-Event-ID."),
            (429, "sse_clients_max feeds are open; try again later."),
        ],
        appends: false,
        handler: |m| on(m, feed::feed),
    },
    Route {
        method: "get",
        path: "/api/v1/studies/{study}/verify",
        alias: Some("/api/v1/verify"),
        in_study: true,
        summary: "Walk the study's hash chain; names the first bad position.",
        roles: "admin of the study",
        query: &[],
        body: None,
        ok: OK,
        problems: &[],
        appends: false,
        handler: |m| on(m, admin::verify),
    },
    Route {
        method: "post",
        path: "/api/v1/studies/{study}/subjects/{subject}/forget",
        alias: Some("/api/v1/subjects/{subject}/forget"),
        in_study: true,
        summary: "Destroy a data subject's key and sealed data in this study (other studies keep theirs); recorded as an event. Also in an archived study.",
        roles: "admin of the study",
        query: &[],
        body: Some("forget"),
        ok: OK,
        problems: &[(404, "No sealed data names this subject in this study, or no such study for this token.")],
        appends: true,
        handler: |m| on(m, admin::forget),
    },
    Route {
        method: "get",
        path: "/api/v1/studies/{study}/tokens",
        alias: Some("/api/v1/tokens"),
        in_study: true,
        summary: "The tokens with a role in this study (without secrets), with that role.",
        roles: "admin of the study, or an institute admin",
        query: &[],
        body: None,
        ok: OK,
        problems: &[],
        appends: false,
        handler: |m| on(m, admin::list_tokens),
    },
    Route {
        method: "post",
        path: "/api/v1/studies/{study}/tokens",
        alias: Some("/api/v1/tokens"),
        in_study: true,
        summary: "Create a token for a participant with a role in this study; the token is shown once.",
        roles: "admin of the study, or an institute admin",
        query: &[],
        body: Some("token"),
        ok: &[(201, "Created; the token is shown once.")],
        problems: &[],
        appends: false,
        handler: |m| on(m, admin::create_token),
    },
    Route {
        method: "delete",
        path: "/api/v1/studies/{study}/tokens/{id}",
        alias: Some("/api/v1/tokens/{id}"),
        in_study: true,
        summary: "Remove a token's role in this study (its roles in other studies stay).",
        roles: "admin of the study, or an institute admin",
        query: &[],
        body: None,
        ok: &[(204, "Removed.")],
        problems: &[(404, "No token with this id has a role in this study, or no such study for this token.")],
        appends: false,
        handler: |m| on(m, admin::revoke_token),
    },
    Route {
        method: "get",
        path: "/api/v1/studies/{study}/me",
        alias: None,
        in_study: true,
        summary: "The token's participant and role in this study, what it may do there (nothing to append once archived), and the study.",
        roles: "all roles in the study",
        query: &[],
        body: None,
        ok: OK,
        problems: &[],
        appends: false,
        handler: |m| on(m, institute::study_me),
    },
    Route {
        method: "get",
        path: "/api/v1/studies",
        alias: None,
        in_study: false,
        summary: "The studies the token has a role in, with that role (an institute admin: every study, role null where it has none).",
        roles: "all",
        query: &[],
        body: None,
        ok: OK,
        problems: &[],
        appends: false,
        handler: |m| on(m, institute::list),
    },
    Route {
        method: "get",
        path: "/api/v1/compare",
        alias: None,
        in_study: false,
        summary: "Studies side by side: the role in each study's own words, its capacity and position over time, initiatives by route, stage and outcome (handed over, stopped, and why), method changes, and lessons by theme with the studies each appears in; every statement cites its study and events.",
        roles: "all (with a role in every study named; any other is answered as a study that does not exist)",
        query: COMPARE_PARAMS,
        body: None,
        ok: OK,
        problems: &[(404, "No such study for this token (one of those named).")],
        appends: false,
        handler: |m| on(m, views::compare),
    },
    Route {
        method: "post",
        path: "/api/v1/studies",
        alias: None,
        in_study: false,
        summary: "Create a study, with a log of its own.",
        roles: "an institute admin",
        query: &[],
        body: Some("study"),
        ok: &[(201, "Created.")],
        problems: &[(409, "A study with this slug exists (perhaps archived).")],
        appends: false,
        handler: |m| on(m, institute::create),
    },
    Route {
        method: "post",
        path: "/api/v1/studies/{study}/archive",
        alias: None,
        in_study: false,
        summary: "Archive a study: it is read as before and takes no new events.",
        roles: "an institute admin",
        query: &[],
        body: None,
        ok: OK,
        problems: &[(404, "No such study.")],
        appends: false,
        handler: |m| on(m, institute::archive),
    },
    Route {
        method: "get",
        path: "/api/v1/openapi.json",
        alias: None,
        in_study: false,
        summary: "This document.",
        roles: "all",
        query: &[],
        body: None,
        ok: OK,
        problems: &[],
        appends: false,
        handler: |m| on(m, openapi::serve_document),
    },
    Route {
        method: "get",
        path: "/api/v1/me",
        alias: None,
        in_study: false,
        summary: "The token's participant, whether it is an institute admin, and its role in each study (with one study, also that role and what it may do, deprecated: GET /api/v1/studies/{study}/me).",
        roles: "all",
        query: &[],
        body: None,
        ok: OK,
        problems: &[],
        appends: false,
        handler: |m| on(m, institute::me),
    },
    Route {
        method: "get",
        path: "/api/v1/vocabulary",
        alias: None,
        in_study: false,
        summary: "Every closed vocabulary (levels, roles, routes, stages, …): each value's id, as events carry it, with its Dutch and English label, in declaration order.",
        roles: "all",
        query: &[],
        body: None,
        ok: OK,
        problems: &[],
        appends: false,
        handler: |m| on(m, reference::vocabulary),
    },
    Route {
        method: "get",
        path: "/api/v1/limits",
        alias: None,
        in_study: false,
        summary: "The limits the server enforces on input, with their units in their names.",
        roles: "all",
        query: &[],
        body: None,
        ok: OK,
        problems: &[],
        appends: false,
        handler: |m| on(m, reference::limits),
    },
    Route {
        method: "get",
        path: "/metrics",
        alias: None,
        in_study: false,
        summary: "Prometheus metrics (appends, latency, open studies, and per open study the token has a role in: head and projection lag).",
        roles: "all",
        query: &[],
        body: None,
        ok: OK,
        problems: &[],
        appends: false,
        handler: |m| on(m, super::metrics),
    },
    Route {
        method: "get",
        path: "/healthz",
        alias: None,
        in_study: false,
        summary: "Health: ok while the stores work, 503 once an open study's store refuses work; needs no token.",
        roles: "anyone",
        query: &[],
        body: None,
        ok: OK,
        problems: &[],
        appends: false,
        handler: |m| on(m, super::healthz),
    },
];
