//! `GET /api/v1/studies/{study}/agreement`: inter-coder agreement per pair of coders and code
//! (`crate::agreement`), for researchers: it shows the words of the passages coders disagree on.

use axum::Json;
use serde::Deserialize;
use serde_json::Value;

use super::auth::Role;
use super::error::{ApiError, ApiResult, Query};
use super::study::Study;
use crate::request::{CODER_A, CODER_B, LANG};

#[derive(Deserialize)]
pub struct AgreementQuery {
    a: Option<String>,
    b: Option<String>,
    lang: Option<String>,
}

pub async fn show(study: Study, Query(q): Query<AgreementQuery>) -> ApiResult<Json<Value>> {
    study.require(
        study.role == Role::Researcher,
        "read the inter-coder agreement; researchers may (it quotes coded text)",
    )?;
    let a = CODER_A.participant(q.a.as_deref())?;
    let b = CODER_B.participant(q.b.as_deref())?;
    let only = match (a, b) {
        (Some(a), Some(b)) if a == b => {
            return Err(ApiError::BadRequest(format!("a and b are both {a}: give two different coders")))
        }
        (Some(a), Some(b)) => Some((a.to_string(), b.to_string())),
        (None, None) => None,
        _ => return Err(ApiError::BadRequest("give both coders (a and b), or neither for every pair".into())),
    };
    let lang = match LANG.word(q.lang.as_deref())? {
        "en" => parlog_core::Lang::En,
        _ => parlog_core::Lang::Nl,
    };
    study.open.catch_up().await?;
    study.open.notes_ready().await?;
    let open = study.open.clone();
    let v = tokio::task::spawn_blocking(move || -> ApiResult<Value> {
        let live = open.live.read().expect("projection lock");
        let guard = open.notes.read().expect("notes lock");
        let ix = guard.as_ref().ok_or_else(|| ApiError::Internal("the notes index went away".into()))?;
        let pair = only.as_ref().map(|(a, b)| (a.as_str(), b.as_str()));
        Ok(crate::agreement::report(open.store.as_ref(), &live.state, ix, pair, true, lang)?)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("computing the agreement: {e}")))??;
    Ok(Json(v))
}
