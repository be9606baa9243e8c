//! A study's admin: verify its chain, forget a data subject in it, manage its tokens (also an
//! institute admin).

use std::collections::BTreeMap;

use super::body::LimitedBytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use parlog_core::{EventStore, LongText, ParticipantId, SubjectId};
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Role;
use super::error::{ApiError, ApiResult, Path};
use super::events::parse_body;
use super::state::AppState;
use super::study::{ManagedStudy, Study};

fn admin(study: &Study, what: &str) -> ApiResult<()> {
    study.require(study.role == Role::Admin, what)
}

/// GET /api/v1/studies/{study}/verify
pub async fn verify(study: Study) -> ApiResult<Json<Value>> {
    admin(&study, "verify the log")?;
    let open = study.open.clone();
    let report = tokio::task::spawn_blocking(move || open.store.verify())
        .await
        .map_err(|e| ApiError::Internal(format!("verify: {e}")))??;
    Ok(Json(json!({
        "ok": report.first_bad.is_none(),
        "events": report.events,
        "head": {"position": report.head.position.0, "hash": report.head.hash},
        "first_bad": report.first_bad.map(|(p, why)| json!({"position": p.0, "reason": why})),
    })))
}

#[derive(Deserialize)]
pub struct SubjectParam {
    subject: String,
}

/// POST /api/v1/studies/{study}/subjects/{subject}/forget, body `{"reason": "..."}` (optional).
/// Forgets the subject in this study only: each study has its own subject keys. Also in an
/// archived study: forgetting is owed to the person, whatever became of the study.
pub async fn forget(
    State(state): State<AppState>,
    study: Study,
    Path(SubjectParam { subject }): Path<SubjectParam>,
    LimitedBytes(body): LimitedBytes,
) -> ApiResult<Json<Value>> {
    admin(&study, "forget data subjects")?;
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
    let open = study.open.clone();
    let by = study.caller.participant.clone();
    let result = tokio::task::spawn_blocking(move || open.store.forget(&subject, &by, reason))
        .await
        .map_err(|e| ApiError::Internal(format!("forget: {e}")))?;
    // Nothing forgotten may be served from the feed's cache: cleared also when the forget
    // failed, as it may have destroyed some sealed bytes before it did (it is finished on the
    // next open).
    study.open.feed_cache.clear();
    let a = result?;
    Ok(Json(json!({"position": a.position.0, "id": a.id, "already_forgotten": a.duplicate})))
}

/// GET /api/v1/studies/{study}/tokens: the tokens with a grant in this study, with their role in
/// it.
pub async fn list_tokens(State(state): State<AppState>, study: ManagedStudy) -> ApiResult<Json<Value>> {
    let slug = &study.record.slug;
    let tokens = state.tokens.list().map_err(|e| ApiError::Internal(e.to_string()))?;
    let out: Vec<Value> = tokens
        .iter()
        .filter_map(|t| {
            let role = t.grants.get(slug)?;
            Some(json!({"id": t.id, "participant": t.participant, "role": role, "created_at": t.created_at, "revoked_at": t.revoked_at}))
        })
        .collect();
    Ok(Json(json!({ "tokens": out })))
}

/// POST /api/v1/studies/{study}/tokens, body `{"participant": "...", "role": "makelaar"}`: a new
/// token with a grant in this study; the token is in the answer, once.
pub async fn create_token(
    State(state): State<AppState>,
    study: ManagedStudy,
    LimitedBytes(body): LimitedBytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
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
    let slug = study.record.slug.clone();
    // Off the async threads: a write waits for the journal's lock and an fdatasync.
    let tokens = state.tokens.clone();
    let grants = BTreeMap::from([(slug.clone(), role)]);
    let (record, token) = tokio::task::spawn_blocking(move || tokens.create(participant, grants, false))
        .await
        .map_err(|e| ApiError::Internal(format!("create token: {e}")))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": record.id, "participant": record.participant, "role": role, "study": slug, "token": token})),
    ))
}

#[derive(Deserialize)]
pub struct TokenParam {
    id: String,
}

/// DELETE /api/v1/studies/{study}/tokens/{id}: removes the token's grant in this study (its
/// grants in other studies stay).
pub async fn revoke_token(
    State(state): State<AppState>,
    study: ManagedStudy,
    Path(TokenParam { id }): Path<TokenParam>,
) -> ApiResult<StatusCode> {
    let slug = study.record.slug.clone();
    let not_found = || {
        ApiError::NotFound(format!(
            "no token with id {id} has a role in study {slug}; GET /api/v1/studies/{slug}/tokens lists them"
        ))
    };
    let tokens = state.tokens.list().map_err(|e| ApiError::Internal(e.to_string()))?;
    if !tokens.iter().any(|t| t.id == id && t.grants.contains_key(&slug)) {
        return Err(not_found());
    }
    let (journal, ungrant, study_slug) = (state.tokens.clone(), id.clone(), slug.clone());
    let removed = tokio::task::spawn_blocking(move || journal.ungrant(&ungrant, &study_slug))
        .await
        .map_err(|e| ApiError::Internal(format!("remove a grant: {e}")))?;
    match removed.map_err(|e| ApiError::Internal(e.to_string()))? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(not_found()),
    }
}
