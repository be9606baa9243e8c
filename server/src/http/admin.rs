//! Admin: verify the chain, forget a data subject, manage tokens.

use super::body::LimitedBytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use parlog_core::{EventStore, LongText, ParticipantId, SubjectId};
use serde_json::{json, Value};

use super::auth::{Caller, Role};
use super::error::{ApiError, ApiResult, Path};
use super::events::parse_body;
use super::state::AppState;

fn admin(caller: &Caller, what: &str) -> ApiResult<()> {
    caller.require(caller.sole_role()? == Role::Admin, what)
}

/// GET /api/v1/verify
pub async fn verify(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    admin(&caller, "verify the log")?;
    let store = state.store.clone();
    let report = tokio::task::spawn_blocking(move || store.verify())
        .await
        .map_err(|e| ApiError::Internal(format!("verify: {e}")))??;
    Ok(Json(json!({
        "ok": report.first_bad.is_none(),
        "events": report.events,
        "head": {"position": report.head.position.0, "hash": report.head.hash},
        "first_bad": report.first_bad.map(|(p, why)| json!({"position": p.0, "reason": why})),
    })))
}

/// POST /api/v1/subjects/{subject}/forget, body `{"reason": "..."}` (optional).
pub async fn forget(
    State(state): State<AppState>,
    caller: Caller,
    Path(subject): Path<String>,
    LimitedBytes(body): LimitedBytes,
) -> ApiResult<Json<Value>> {
    admin(&caller, "forget data subjects")?;
    let subject = SubjectId::parse(&subject).map_err(ApiError::BadRequest)?;
    let reason = if body.is_empty() {
        None
    } else {
        // Forgetting destroys data: a body that is not what was meant is refused, not read as
        // "no reason" (a number or a list was, and the subject was forgotten).
        let v = parse_body(&state, &body)?;
        let Some(fields) = v.as_object() else {
            return Err(ApiError::BadRequest(
                "the body must be a JSON object such as {\"reason\": \"Verzoek van de bewoner\"}, or empty".into(),
            ));
        };
        if let Some(other) = fields.keys().find(|k| k.as_str() != "reason") {
            return Err(ApiError::BadRequest(format!("unknown field `{other}`; the only field is `reason`")));
        }
        match fields.get("reason") {
            Some(Value::String(r)) => {
                Some(LongText::new(r.clone()).map_err(|m| ApiError::BadRequest(format!("`reason`: {m}")))?)
            }
            Some(Value::Null) | None => None,
            Some(_) => return Err(ApiError::BadRequest("`reason`: expected a text".into())),
        }
    };
    let store = state.store.clone();
    let by = caller.participant.clone();
    let result = tokio::task::spawn_blocking(move || store.forget(&subject, &by, reason))
        .await
        .map_err(|e| ApiError::Internal(format!("forget: {e}")))?;
    // Nothing forgotten may be served from the feed's cache: cleared also when the forget
    // failed, as it may have destroyed some sealed bytes before it did (it is finished on the
    // next open).
    state.feed_cache.clear();
    let a = result?;
    Ok(Json(json!({"position": a.position.0, "id": a.id, "already_forgotten": a.duplicate})))
}

/// The one study of this server (until the routes name studies).
fn only_study(state: &AppState) -> ApiResult<parlog_core::StudySlug> {
    let studies = state.tokens.studies().map_err(|e| ApiError::Internal(e.to_string()))?;
    match &studies[..] {
        [s] => Ok(s.slug.clone()),
        _ => Err(ApiError::Conflict("this server holds several studies: name one".into())),
    }
}

/// GET /api/v1/tokens
pub async fn list_tokens(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    admin(&caller, "manage tokens")?;
    let tokens = state.tokens.list().map_err(|e| ApiError::Internal(e.to_string()))?;
    let out: Vec<Value> = tokens
        .iter()
        .map(|t| json!({"id": t.id, "participant": t.participant, "grants": t.grants, "institute_admin": t.institute_admin, "created_at": t.created_at, "revoked_at": t.revoked_at}))
        .collect();
    Ok(Json(json!({ "tokens": out })))
}

/// POST /api/v1/tokens, body `{"participant": "...", "role": "makelaar"}`: the token is in the
/// answer, once.
pub async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    LimitedBytes(body): LimitedBytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    admin(&caller, "manage tokens")?;
    let v = parse_body(&state, &body)?;
    let participant = v["participant"]
        .as_str()
        .ok_or_else(|| {
            ApiError::BadRequest("`participant`: missing; give a participant id such as \"makelaar-noord-1\"".into())
        })
        .and_then(|p| ParticipantId::parse(p).map_err(|m| ApiError::BadRequest(format!("`participant`: {m}"))))?;
    let role = v["role"]
        .as_str()
        .ok_or_else(|| ApiError::BadRequest("`role`: missing; expected makelaar, researcher, viewer or admin".into()))
        .and_then(|r| Role::parse(r).map_err(|m| ApiError::BadRequest(format!("`role`: {m}"))))?;
    // Off the async threads: a write waits for the journal's lock and an fdatasync.
    let tokens = state.tokens.clone();
    let study = only_study(&state)?;
    let grants = std::iter::once((study, role)).collect();
    let (record, token) = tokio::task::spawn_blocking(move || tokens.create(participant, grants, false))
        .await
        .map_err(|e| ApiError::Internal(format!("create token: {e}")))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": record.id, "participant": record.participant, "role": role, "token": token})),
    ))
}

/// DELETE /api/v1/tokens/{id}
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    admin(&caller, "manage tokens")?;
    let (tokens, revoke) = (state.tokens.clone(), id.clone());
    let revoked = tokio::task::spawn_blocking(move || tokens.revoke(&revoke))
        .await
        .map_err(|e| ApiError::Internal(format!("revoke token: {e}")))?;
    match revoked.map_err(|e| ApiError::Internal(e.to_string()))? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(ApiError::NotFound(format!("no token with id {id}; GET /api/v1/tokens lists them"))),
    }
}
