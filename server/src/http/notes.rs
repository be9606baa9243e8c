//! The notes browser: `GET /api/v1/studies/{study}/notes` (search and filters, paged, JSON or
//! CSV) and `GET …/notes/{id}` (one note with its history), over the study's notes index
//! (`crate::notes`), built on the first request and kept live by the hub.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use parlog_core::EventId;
use serde::Deserialize;
use serde_json::Value;

use super::error::{ApiError, ApiResult, Path, Query};
use super::study::Study;
use crate::notes::{self, csv};
use crate::request::{NotesRequest, LANG};

/// Makelaars and researchers browse the notes; viewers read projections and reports, and an
/// admin manages the study without reading its notes.
fn require_notes(study: &Study) -> ApiResult<()> {
    let ok = matches!(study.role, super::auth::Role::Makelaar | super::auth::Role::Researcher);
    study.require(ok, "read notes; makelaars and researchers may, viewers read projections and reports")
}

/// GET /api/v1/studies/{study}/notes
pub async fn list(study: Study, Query(pairs): Query<Vec<(String, String)>>) -> ApiResult<Response> {
    require_notes(&study)?;
    let r = NotesRequest::parse(&pairs)?;
    study.open.notes_ready().await?;
    let open = study.open.clone();
    let reads_sealed = study.role.reads_sealed();
    let slug = study.record.slug.to_string();
    tokio::task::spawn_blocking(move || -> ApiResult<Response> {
        let guard = open.notes.read().expect("notes lock");
        let ix = guard.as_ref().ok_or_else(|| ApiError::Internal("the notes index went away".into()))?;
        let found = ix.search(&r.query, reads_sealed);
        if !r.csv {
            let page = notes::page_json(ix, open.store.as_ref(), &found, reads_sealed, r.lang)?;
            return Ok(Json(page).into_response());
        }
        let mut body = csv::header();
        for &d in &found.docs {
            if let Some(n) = ix.note_json(open.store.as_ref(), d, reads_sealed, r.lang)? {
                body.push_str(&csv::row(&n));
            }
        }
        let disposition = format!("attachment; filename=\"{slug}-notes.csv\"");
        Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)],
            body,
        )
            .into_response())
    })
    .await
    .map_err(|e| ApiError::Internal(format!("searching the notes: {e}")))?
}

#[derive(Deserialize)]
pub struct NoteId {
    id: String,
}

#[derive(Deserialize)]
pub struct NoteQuery {
    lang: Option<String>,
}

/// GET /api/v1/studies/{study}/notes/{id}
pub async fn one(
    study: Study,
    Path(NoteId { id }): Path<NoteId>,
    Query(q): Query<NoteQuery>,
) -> ApiResult<Json<Value>> {
    require_notes(&study)?;
    let id = EventId::parse(&id).map_err(ApiError::BadRequest)?;
    let lang = match LANG.word(q.lang.as_deref())? {
        "en" => parlog_core::Lang::En,
        _ => parlog_core::Lang::Nl,
    };
    study.open.notes_ready().await?;
    let open = study.open.clone();
    let reads_sealed = study.role.reads_sealed();
    let note = tokio::task::spawn_blocking(move || {
        let guard = open.notes.read().expect("notes lock");
        match guard.as_ref() {
            Some(ix) => ix.history_json(open.store.as_ref(), id, reads_sealed, lang),
            None => Ok(None),
        }
    })
    .await
    .map_err(|e| ApiError::Internal(format!("reading a note: {e}")))??;
    note.map(Json).ok_or_else(|| {
        ApiError::NotFound(format!(
            "no note with id {id}: it is not a field note, reflection or memo of this study; GET …/notes lists them"
        ))
    })
}
