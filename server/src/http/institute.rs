//! The institute's routes: the studies (list, create, archive) and who the caller is, across
//! studies (`/api/v1/me`) and in one (`/api/v1/studies/{study}/me`).
//!
//! Least privilege: an institute admin lists, creates and archives studies and manages their
//! tokens, but reads a study's data only with a grant in it (grants are journaled).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use parlog_core::{ShortText, StudySlug};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::auth::StudyRecord;
use super::auth::{Caller, Role, TokenFileError};
use super::body::LimitedBytes;
use super::error::{ApiError, ApiResult, Path};
use super::events::parse_body;
use super::state::AppState;
use super::study::{registered, Study};
use crate::studies::StudiesError;

/// A study as the listing and `me` show it.
fn study_json(s: &StudyRecord) -> Value {
    json!({"slug": s.slug, "name": s.name, "municipality": s.municipality, "archived": s.archived_at.is_some()})
}

fn institute_admin(caller: &Caller, what: &str) -> ApiResult<()> {
    match caller.institute_admin {
        true => Ok(()),
        false => Err(ApiError::Forbidden(format!("only an institute admin may {what}; this token is not one"))),
    }
}

fn registry_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(format!("the study registry: {e}"))
}

/// GET /api/v1/studies: the studies the caller has a role in (an institute admin: all of them,
/// `role` null where it has none), in the order they were made.
pub async fn list(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let studies = state.tokens.studies().map_err(registry_error)?;
    let out: Vec<Value> = studies
        .iter()
        .filter_map(|s| {
            let role = caller.role_in(&s.slug);
            if role.is_none() && !caller.institute_admin {
                return None;
            }
            let mut v = study_json(s);
            v["role"] = json!(role);
            Some(v)
        })
        .collect();
    Ok(Json(json!({"studies": out, "institute_admin": caller.institute_admin})))
}

/// The body of POST /api/v1/studies.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewStudy {
    slug: StudySlug,
    name: ShortText,
    #[serde(default)]
    municipality: Option<ShortText>,
}

/// POST /api/v1/studies, body `{"slug": "gouda", "name": "…", "municipality": "Gouda"}`: a new
/// study, with its own log; 409 if the slug is taken (also by an archived study).
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    LimitedBytes(body): LimitedBytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    institute_admin(&caller, "create studies")?;
    let v = parse_body(&state, &body)?;
    let new: NewStudy = serde_json::from_value(v).map_err(|e| {
        ApiError::BadRequest(format!(
            "the study: {e}; expected {{\"slug\": \"gouda\", \"name\": \"Makelen in Gouda\", \"municipality\": \"Gouda\"}}"
        ))
    })?;
    let taken = || {
        ApiError::Conflict(format!(
            "there is a study {} already (perhaps archived); choose another slug (GET /api/v1/studies lists them)",
            new.slug
        ))
    };
    if registered(&state, &new.slug)?.is_some() {
        return Err(taken());
    }
    let (data, tokens, options, backend) =
        (state.data.clone(), state.tokens.clone(), state.options.clone(), state.backend.clone());
    let (slug, name) = (new.slug.clone(), new.name.as_str().to_string());
    let municipality = new.municipality.as_ref().map(|m| m.as_str().to_string()).unwrap_or_default();
    // A registry write and a new store folder: off the async threads.
    let made = tokio::task::spawn_blocking(move || {
        crate::studies::create_in(&data, &tokens, slug, &name, &municipality, &options, &backend)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("create study: {e}")))?;
    let record = match made {
        Ok(r) => r,
        // Made by someone else between the check and the write.
        Err(StudiesError::Registry(TokenFileError::StudyExists { .. })) => return Err(taken()),
        Err(e @ StudiesError::Name { .. }) => return Err(ApiError::BadRequest(e.to_string())),
        Err(e) => return Err(ApiError::Internal(format!("create study {}: {e}", new.slug))),
    };
    tracing::info!(study = %record.slug, by = %caller.participant, "study created");
    Ok((StatusCode::CREATED, Json(study_json(&record))))
}

#[derive(Deserialize)]
pub struct StudyParam {
    study: String,
}

/// POST /api/v1/studies/{study}/archive: the study is read as before and takes no new events.
/// Archiving an archived study changes nothing.
pub async fn archive(
    State(state): State<AppState>,
    caller: Caller,
    Path(StudyParam { study }): Path<StudyParam>,
) -> ApiResult<Json<Value>> {
    // First, so that the answer to anyone else does not depend on whether the study exists.
    institute_admin(&caller, "archive studies")?;
    let slug = StudySlug::parse(&study).map_err(|m| ApiError::BadRequest(format!("the study in the path: {m}")))?;
    let tokens = state.tokens.clone();
    let archive = slug.clone();
    let found = tokio::task::spawn_blocking(move || tokens.archive_study(&archive))
        .await
        .map_err(|e| ApiError::Internal(format!("archive study: {e}")))?
        .map_err(registry_error)?;
    let record = match found {
        true => registered(&state, &slug)?,
        false => None,
    };
    let record = record.ok_or_else(|| super::study::no_such_study(slug.as_str()))?;
    tracing::info!(study = %slug, by = %caller.participant, "study archived");
    Ok(Json(study_json(&record)))
}

/// What a role may do, for the web page.
fn abilities(role: Role, archived: bool) -> Map<String, Value> {
    let may_append = if archived { Vec::new() } else { role.allowed_kinds() };
    let mut m = Map::new();
    m.insert("role".into(), json!(role));
    m.insert("may_append".into(), json!(may_append));
    m.insert("reads_events".into(), json!(role.reads_events()));
    m.insert("reads_sealed".into(), json!(role.reads_sealed()));
    m
}

/// GET /api/v1/me: who the token belongs to, whether it is an institute admin, and its role in
/// each study. A token with a role in one study also gets today's fields for it (`role`,
/// `may_append`, …), deprecated: a web page cached on a phone before studies still reads them.
pub async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Json<Value>> {
    let studies: Map<String, Value> = caller.grants.iter().map(|(s, r)| (s.to_string(), json!(r))).collect();
    let mut out =
        json!({"participant": caller.participant, "institute_admin": caller.institute_admin, "studies": studies});
    let mut only = caller.grants.iter();
    if let (Some((slug, role)), None) = (only.next(), only.next()) {
        let archived = registered(&state, slug)?.is_some_and(|s| s.archived_at.is_some());
        for (k, v) in abilities(*role, archived) {
            out[k] = v;
        }
    }
    Ok(Json(out))
}

/// GET /api/v1/studies/{study}/me: the token's participant and role in this study, what it may
/// do there, and the study.
pub async fn study_me(study: Study) -> Json<Value> {
    let mut out = abilities(study.role, study.record.archived_at.is_some());
    out.insert("participant".into(), json!(study.caller.participant));
    out.insert("study".into(), study_json(&study.record));
    Json(Value::Object(out))
}
