//! GET /api/v1/studies/{study}/export: the study for a QDA tool (see `crate::qda`).

use axum::http::header;
use axum::response::{IntoResponse, Response};
use parlog_core::Lang;

use super::auth::Role;
use super::error::{ApiError, ApiResult, Query};
use super::study::Study;
use crate::qda::{export, Access, Model};
use crate::request::{RawExport, EXPORT_FORMAT, LANG};

/// The project (`qdpx`, for researchers: it holds every note's sealed text, which a makelaar
/// reads only of their own notes, and viewers and admins not at all) or the codebook (`qdc`,
/// which holds no personal data, for every role). Built on a blocking thread: it reads the
/// whole log.
pub async fn export(study: Study, Query(q): Query<RawExport>) -> ApiResult<Response> {
    let format = EXPORT_FORMAT.word(q.format.as_deref())?;
    let lang = match LANG.word(q.lang.as_deref())? {
        "en" => Lang::En,
        _ => Lang::Nl,
    };
    if format == "qdpx" {
        study.require(
            study.role == Role::Researcher,
            "export the project with the notes' text (format=qdpx; format=qdc gives the codebook)",
        )?;
    }
    let open = study.open.clone();
    // The codebook holds no note's text: it is built without unsealing any.
    let access = match format {
        "qdpx" => Access::SealedText,
        _ => Access::OpenOnly,
    };
    let slug = study.record.slug.to_string();
    let built = tokio::task::spawn_blocking(move || -> ApiResult<(Vec<u8>, &'static str)> {
        let m = Model::read(open.store.as_ref(), access)?;
        Ok(match format {
            "qdpx" => (export::qdpx(&m, lang)?, "application/zip"),
            _ => (export::qdc(&m)?.into_bytes(), "application/xml; charset=utf-8"),
        })
    })
    .await
    .map_err(|e| ApiError::Internal(format!("building the export: {e}")))??;
    let (body, content_type) = built;
    let disposition = format!("attachment; filename=\"{slug}.{format}\"");
    Ok(([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response())
}
