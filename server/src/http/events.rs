//! Appending and reading events.

use std::time::Instant;

use super::body::LimitedBytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use parlog_core::{
    AuthorSource, DomainEvent, EventId, EventKind, EventStore, NewEvent, Position, RecordedEvent, SealedView, StreamId,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::auth::role_label;
use super::error::{ApiError, ApiResult, Path, Query};
use super::state::AppState;
use super::study::Study;
use crate::request::{FROM, FROM_VERSION, LIMIT};

/// The API form of a stored event (v1, `wire::event_json`): the envelope, and the sealed part
/// opened for roles that may read it.
pub fn event_json(study: &Study, e: &RecordedEvent) -> ApiResult<Value> {
    let sealed = match e.sealed {
        Some(_) => study.store().unseal(e)?,
        None => SealedView::None,
    };
    Ok(crate::wire::event_json(e, sealed, study.role.reads_sealed()))
}

/// Parses a JSON body within its byte limit, with a problem response naming what is wrong.
pub fn parse_body(state: &AppState, body: &axum::body::Bytes) -> ApiResult<Value> {
    if body.len() > state.limits.body_bytes_max {
        return Err(ApiError::PayloadTooLarge(format!(
            "the body is {} bytes, over the limit of {} (body_bytes_max); send fewer events per request",
            body.len(),
            state.limits.body_bytes_max
        )));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))
}

/// POST /api/v1/studies/{study}/events: a JSON array of events, or `{"events": [...]}`, appended
/// atomically.
pub async fn append(
    State(state): State<AppState>,
    study: Study,
    LimitedBytes(body): LimitedBytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let started = Instant::now();
    state.metrics.append_requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let result = append_inner(&state, &study, &body).await;
    match &result {
        Ok((_, Json(v))) => {
            let new =
                v["appended"].as_array().map(|a| a.iter().filter(|x| x["duplicate"] == false).count()).unwrap_or(0);
            state.metrics.appended_events.fetch_add(new as u64, std::sync::atomic::Ordering::Relaxed);
            state.metrics.observe_append(started.elapsed().as_secs_f64());
        }
        Err(_) => drop(state.metrics.append_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed)),
    }
    result
}

/// `{"events": [...]}`; other fields are ignored, as before.
#[derive(Deserialize)]
struct Wrapped<'a> {
    #[serde(borrow)]
    events: Option<Vec<&'a RawValue>>,
}

/// Just the kind of an event, to refuse a kind the caller may not send before parsing the rest.
#[derive(Deserialize)]
struct KindOnly<'a> {
    #[serde(borrow, default)]
    kind: Option<std::borrow::Cow<'a, str>>,
}

const BATCH_SHAPE: &str = "expected a JSON array of events, or an object {\"events\": [...]}";

/// The events of an append body, each as its own JSON text: the body is parsed once, and each
/// event once more into its typed form.
fn batch_items<'a>(state: &AppState, body: &'a [u8]) -> ApiResult<Vec<&'a RawValue>> {
    if body.len() > state.limits.body_bytes_max {
        return Err(ApiError::PayloadTooLarge(format!(
            "the body is {} bytes, over the limit of {} (body_bytes_max); send fewer events per request",
            body.len(),
            state.limits.body_bytes_max
        )));
    }
    let not_json = |e: serde_json::Error| ApiError::BadRequest(format!("the body is not valid JSON: {e}"));
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => serde_json::from_slice::<Vec<&RawValue>>(body).map_err(not_json),
        Some(b'{') => match serde_json::from_slice::<Wrapped>(body) {
            Ok(Wrapped { events: Some(items) }) => Ok(items),
            Ok(Wrapped { events: None }) => Err(ApiError::BadRequest(BATCH_SHAPE.into())),
            // Valid JSON of another shape (`events` not an array) is a shape error.
            Err(e) => match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
                Ok(_) => Err(ApiError::BadRequest(BATCH_SHAPE.into())),
                Err(_) => Err(not_json(e)),
            },
        },
        _ => match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
            Ok(_) => Err(ApiError::BadRequest(BATCH_SHAPE.into())),
            Err(e) => Err(not_json(e)),
        },
    }
}

async fn append_inner(
    state: &AppState,
    study: &Study,
    body: &axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    study.refuse_if_archived()?;
    let items = batch_items(state, body)?;
    let limit = parlog_core::limits::BATCH_EVENTS_MAX;
    if items.len() > limit {
        return Err(ApiError::PayloadTooLarge(format!(
            "the batch has {} events, over the limit of {limit} (batch_events_max); split it",
            items.len()
        )));
    }
    let source = AuthorSource::Fixed(&study.caller.participant);
    let mut batch = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        // Say "not allowed" before "malformed": a makelaar need not fix a payload they may not send.
        let kind = serde_json::from_str::<KindOnly>(item.get()).ok().and_then(|k| k.kind);
        if let Some(kind) = kind.and_then(|k| EventKind::parse(&k).ok()) {
            if !study.role.may_append(kind) {
                return Err(forbidden_kind(study, kind, i + 1));
            }
        }
        let ev = NewEvent::from_json(item.get(), &source)
            .map_err(|e| ApiError::BadRequest(format!("event {}: {e}", i + 1)))?;
        check_permission(study, &ev, i + 1)?;
        batch.push(ev);
    }
    let appended = study.store().append_async(batch).await?;
    let all_duplicates = appended.iter().all(|a| a.duplicate);
    let out: Vec<Value> = appended
        .iter()
        .map(|a| json!({"id": a.id, "position": a.position.0, "stream_version": a.stream_version, "duplicate": a.duplicate}))
        .collect();
    let status = if all_duplicates { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(json!({ "appended": out, "head": study.store().head().position.0 }))))
}

fn forbidden_kind(study: &Study, kind: EventKind, index: usize) -> ApiError {
    let allowed = study.role.allowed_kinds();
    ApiError::Forbidden(format!(
        "event {index}: role {} may not append {} in study {}; it may append: {}",
        study.role.as_str(),
        kind.name(),
        study.record.slug,
        if allowed.is_empty() { "nothing".to_string() } else { allowed.join(", ") }
    ))
}

fn check_permission(study: &Study, ev: &NewEvent, index: usize) -> ApiResult<()> {
    let kind = ev.event.kind();
    let role = study.role;
    if !role.may_append(kind) {
        return Err(forbidden_kind(study, kind, index));
    }
    if !role.may_write_to(&study.caller.participant, &ev.stream) {
        let own = format!("notes:{}", study.caller.participant);
        return Err(ApiError::Forbidden(format!(
            "event {index}: role {} writes field notes only to its own stream {own}, not to {}; \
             send it with \"stream\": \"{own}\"",
            role.as_str(),
            ev.stream
        )));
    }
    match &ev.event {
        DomainEvent::ParticipantRegistered(p) if !role.may_register(p.role) => Err(ApiError::Forbidden(format!(
            "event {index}: role {} may register residents, volunteers and organisations, not a {}",
            role.as_str(),
            role_label(p.role)
        ))),
        DomainEvent::EventAmended(a) => check_target(study, a.target, index),
        DomainEvent::EventRetracted(r) => check_target(study, r.target, index),
        _ => Ok(()),
    }
}

/// A correction may be made by a researcher, or by the corrected event's own author (in a role
/// that may write its kind): a makelaar corrects their own notes, not a colleague's.
fn check_target(study: &Study, target: EventId, index: usize) -> ApiResult<()> {
    // A target that does not exist is refused by the store with a clear message.
    let Some(t) = study.store().get(target)? else { return Ok(()) };
    // No role corrects a kind it may not write (a researcher cannot retract a forget).
    if !study.role.may_append(t.kind) {
        return Err(ApiError::Forbidden(format!(
            "event {index}: role {} may not correct a {}",
            study.role.as_str(),
            t.kind.name()
        )));
    }
    if study.role != super::auth::Role::Researcher && t.author != study.caller.participant {
        return Err(ApiError::Forbidden(format!(
            "event {index}: only its author ({}) or a researcher may correct the {} at position {}; \
             ask them, or a researcher, to amend or retract it",
            t.author,
            t.kind.name(),
            t.position
        )));
    }
    Ok(())
}

/// The query of a page: each parameter's text, checked by its `request::Param`.
#[derive(Deserialize)]
pub struct Page {
    from: Option<String>,
    from_version: Option<String>,
    limit: Option<String>,
}

/// Events in a page when the client does not say.
const PAGE_EVENTS_DEFAULT: usize = 100;

fn page_limit(state: &AppState, limit: Option<&str>) -> ApiResult<usize> {
    let max = state.limits.page_events_max;
    match LIMIT.integer(limit)? {
        None => Ok(PAGE_EVENTS_DEFAULT.min(max)),
        Some(n) if n > max as u64 => Err(ApiError::BadRequest(format!(
            "limit {n} is over the page limit of {max} (page_events_max); page with `from`"
        ))),
        Some(n) => Ok(n as usize),
    }
}

/// GET /api/v1/studies/{study}/events?from=&limit=: the study's log, paged by position.
pub async fn read_log(State(state): State<AppState>, study: Study, Query(q): Query<Page>) -> ApiResult<Json<Value>> {
    study.require(study.role.reads_events(), "read events; viewers read projections and reports")?;
    let limit = page_limit(&state, q.limit.as_deref())?;
    let from = FROM.integer(q.from.as_deref())?.unwrap_or(1).max(1);
    let events = study.store().read_from(Position(from), limit)?;
    let next = events.last().map(|e| e.position.0 + 1).filter(|_| events.len() == limit);
    let out = events.iter().map(|e| event_json(&study, e)).collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(json!({"events": out, "next": next, "head": study.store().head().position.0})))
}

/// The `{id}` of a path (which may also name a study).
#[derive(Deserialize)]
pub struct IdParam {
    id: String,
}

/// GET /api/v1/studies/{study}/events/{id}
pub async fn read_event(study: Study, Path(IdParam { id }): Path<IdParam>) -> ApiResult<Json<Value>> {
    study.require(study.role.reads_events(), "read events; viewers read projections and reports")?;
    let id = EventId::parse(&id).map_err(ApiError::BadRequest)?;
    let e = study.store().get(id)?.ok_or_else(|| ApiError::NotFound(format!("no event with id {id}")))?;
    Ok(Json(event_json(&study, &e)?))
}

#[derive(Deserialize)]
pub struct StreamParam {
    stream: String,
}

/// GET /api/v1/studies/{study}/streams/{stream}?from_version=&limit=
pub async fn read_stream(
    State(state): State<AppState>,
    study: Study,
    Path(StreamParam { stream }): Path<StreamParam>,
    Query(q): Query<Page>,
) -> ApiResult<Json<Value>> {
    study.require(study.role.reads_events(), "read events; viewers read projections and reports")?;
    let s = StreamId::parse(&stream).map_err(ApiError::BadRequest)?;
    let limit = page_limit(&state, q.limit.as_deref())?;
    let from_version = FROM_VERSION.integer(q.from_version.as_deref())?.unwrap_or(1);
    let events = study.store().read_stream(&s, from_version, limit)?;
    // A stream exists once it has an event; an empty page of a stream that exists is fine.
    if events.is_empty() && study.store().read_stream(&s, 1, 1)?.is_empty() {
        return Err(ApiError::NotFound(format!("no stream {s}: it has no events yet; check the name")));
    }
    let next = events.last().map(|e| e.stream_version + 1).filter(|_| events.len() == limit);
    let out = events.iter().map(|e| event_json(&study, e)).collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(json!({"stream": s, "events": out, "next_version": next})))
}
