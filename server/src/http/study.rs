//! Which study a request works in, and as what: the `Study` extractor (a grant in the study
//! needed) and `ManagedStudy` (the study's tokens: its admin or an institute admin).
//!
//! A study is named by the `{study}` segment of `/api/v1/studies/{study}/…`; on today's routes
//! (`/api/v1/events`, …, deprecated aliases) it is the caller's only study, the one its token
//! has a grant in. **A study the caller has no grant in answers 404 exactly as one that does not
//! exist** (the same body, made from the slug asked for alone), so that study names do not leak.

use std::sync::Arc;

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use parlog_core::{AnyStore, StudySlug};

use super::auth::StudyRecord;
use super::auth::{Caller, Role};
use super::error::{bad_path, ApiError, ApiResult};
use super::hub::OpenStudy;
use super::state::AppState;

/// The name of the path parameter that names a study.
pub const STUDY_PARAM: &str = "study";
/// Where the study-scoped routes live; `{study}` is the slug.
pub const STUDY_PREFIX: &str = "/api/v1/studies/{study}";

/// A request inside one study the caller has a role in, with the study open.
pub struct Study {
    pub caller: Caller,
    /// The caller's role in this study.
    pub role: Role,
    /// The study as the registry has it now (archived or not).
    pub record: StudyRecord,
    pub open: Arc<OpenStudy>,
}

impl Study {
    pub fn store(&self) -> &Arc<AnyStore> {
        &self.open.store
    }

    /// Refuses with 403 unless `ok`: "role viewer may not read events in study gouda".
    pub fn require(&self, ok: bool, what: &str) -> ApiResult<()> {
        match ok {
            true => Ok(()),
            false => Err(ApiError::Forbidden(format!(
                "role {} may not {what} in study {}",
                self.role.as_str(),
                self.record.slug
            ))),
        }
    }

    /// An archived study is read as before but takes no new events: 409.
    pub fn refuse_if_archived(&self) -> ApiResult<()> {
        match &self.record.archived_at {
            None => Ok(()),
            Some(at) => Err(ApiError::Archived(format!(
                "study {} was archived at {at}: it is read as before but takes no new events; ask an institute \
                 admin if it should be open again, or send the events to another study",
                self.record.slug
            ))),
        }
    }
}

impl FromRequestParts<AppState> for Study {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let slug = named_study(parts, state, &caller).await?;
        let Some(role) = caller.role_in(&slug) else { return Err(no_such_study(slug.as_str())) };
        let record = registered(state, &slug)?.ok_or_else(|| no_such_study(slug.as_str()))?;
        let open = state.hub.get(&record).await?;
        Ok(Study { caller, role, record, open })
    }
}

/// A request about a study's tokens: by the study's admin, or by an institute admin (who may
/// manage the tokens of any study without reading it). The study's store is not opened: tokens
/// live in the institute journal.
pub struct ManagedStudy {
    pub caller: Caller,
    pub record: StudyRecord,
}

impl FromRequestParts<AppState> for ManagedStudy {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let slug = named_study(parts, state, &caller).await?;
        match caller.role_in(&slug) {
            Some(Role::Admin) => {}
            // An institute admin knows every study's name: no 404 to keep up.
            _ if caller.institute_admin => {}
            Some(role) => {
                return Err(ApiError::Forbidden(format!(
                    "role {} may not manage tokens in study {slug}; a study admin or an institute admin may",
                    role.as_str()
                )))
            }
            None => return Err(no_such_study(slug.as_str())),
        }
        let record = registered(state, &slug)?.ok_or_else(|| no_such_study(slug.as_str()))?;
        Ok(ManagedStudy { caller, record })
    }
}

/// The 404 of a study that does not exist and of one the caller has no role in: one body for
/// both, made from nothing but the slug asked for.
pub fn no_such_study(slug: &str) -> ApiError {
    ApiError::NotFound(format!(
        "no study {slug} for this token: there is none, or the token has no role in it; GET /api/v1/studies lists \
         the studies it may use"
    ))
}

/// The study in the registry, if there is one by this slug (archived ones too).
pub fn registered(state: &AppState, slug: &StudySlug) -> ApiResult<Option<StudyRecord>> {
    state.tokens.study(slug).map_err(|e| ApiError::Internal(format!("reading the study registry: {e}")))
}

/// The study a request names: the `{study}` segment of its path, or on a deprecated alias the
/// caller's only study.
async fn named_study(parts: &mut Parts, state: &AppState, caller: &Caller) -> ApiResult<StudySlug> {
    let params = match RawPathParams::from_request_parts(parts, state).await {
        Ok(p) => p,
        Err(e) => return Err(bad_path(parts, e.status(), e.body_text())),
    };
    if let Some((_, text)) = params.iter().find(|(k, _)| *k == STUDY_PARAM) {
        return StudySlug::parse(text).map_err(|m| ApiError::BadRequest(format!("the study in the path: {m}")));
    }
    only_study(parts.uri.path(), caller)
}

/// The caller's only study, for a deprecated alias at `path`: a token with grants in several
/// studies must say which (409, naming the route to use); one with none has no study here.
fn only_study(path: &str, caller: &Caller) -> ApiResult<StudySlug> {
    let scoped = format!("{STUDY_PREFIX}/{}", path.strip_prefix("/api/v1/").unwrap_or(path).trim_start_matches('/'));
    let mut grants = caller.grants.keys();
    match (grants.next(), grants.next()) {
        (Some(only), None) => Ok(only.clone()),
        (None, _) => Err(ApiError::NotFound(format!(
            "{path} is the route of a token's only study, and this token has a role in no study; use {scoped} \
             (GET /api/v1/studies lists the studies)"
        ))),
        (Some(_), Some(_)) => {
            let slugs: Vec<&str> = caller.grants.keys().map(StudySlug::as_str).collect();
            Err(ApiError::StudyRequired(format!(
                "{path} is the route of a token's only study, and this token has a role in {} studies ({}): name \
                 the study in the path, {scoped}",
                slugs.len(),
                slugs.join(", ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use parlog_core::ParticipantId;

    use super::*;

    fn caller(grants: &[(&str, Role)]) -> Caller {
        Caller {
            participant: ParticipantId::parse("onderzoeker-1").expect("a participant"),
            token_id: "0123456789ab".into(),
            grants: grants.iter().map(|(s, r)| (StudySlug::parse(s).expect("a slug"), *r)).collect::<BTreeMap<_, _>>(),
            institute_admin: false,
        }
    }

    #[test]
    fn an_alias_names_the_only_study() {
        let slug = only_study("/api/v1/events", &caller(&[("gouda", Role::Makelaar)])).expect("one study");
        assert_eq!(slug.as_str(), "gouda");
    }

    #[test]
    fn an_alias_with_several_studies_names_the_route_to_use() {
        let c = caller(&[("gouda", Role::Makelaar), ("zwolle", Role::Viewer)]);
        match only_study("/api/v1/events/67e55044-10b1-426f-9247-bb680e5fe0c8", &c) {
            Err(ApiError::StudyRequired(m)) => {
                assert!(m.contains("/api/v1/studies/{study}/events/67e55044-10b1-426f-9247-bb680e5fe0c8"), "{m}");
                assert!(m.contains("gouda, zwolle"), "{m}");
            }
            other => panic!("expected a 409, got {other:?}"),
        }
        assert!(matches!(only_study("/api/v1/events", &caller(&[])), Err(ApiError::NotFound(_))));
    }
}
