//! Projections, the retrospective and charts.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use parlog_projections::retro::SourceLinks;
use parlog_projections::{AsOf, Engine};

use serde::Deserialize;

use super::error::{ApiError, ApiResult, Path, Query};
use super::study::Study;
use crate::request::{chart_name, view_name, Format, RawView, ViewFormat, ViewRequest};

/// Runs `f` on the projections for `as_of`: the live ones for the head, a fresh replay otherwise.
/// On a blocking thread either way: a view or a report of a large log takes long enough to hold
/// up every request on a runtime worker, and the request time limit can only end a request
/// whose future gets polled.
///
/// The blocking work holds the open study (not only its store), so that the hub does not close
/// it under a view that outlived its request (the time limit ends the request, not the work).
async fn with_projections<T: Send + 'static>(
    study: &Study,
    as_of: AsOf,
    f: impl FnOnce(&Engine) -> T + Send + 'static,
) -> ApiResult<T> {
    let open = study.open.clone();
    if as_of == AsOf::Head {
        open.catch_up().await?;
        return tokio::task::spawn_blocking(move || f(&open.live.read().expect("projection lock")))
            .await
            .map_err(|e| ApiError::Internal(format!("building the view: {e}")));
    }
    tokio::task::spawn_blocking(move || Engine::as_of(open.store.as_ref(), as_of).map(|e| f(&e)))
        .await
        .map_err(|e| ApiError::Internal(format!("replaying the log: {e}")))?
        .map_err(ApiError::from)
}

/// The `{name}` of a view or chart in a path (which may also name a study).
#[derive(Deserialize)]
pub struct NameParam {
    name: String,
}

/// GET /api/v1/studies/{study}/projections/{name}
pub async fn projection(
    study: Study,
    Path(NameParam { name }): Path<NameParam>,
    Query(q): Query<RawView>,
) -> ApiResult<Response> {
    view_name(&name)?;
    let (ViewRequest { as_of, options: opts, .. }, format) = ViewRequest::parse_view(&q)?;
    if format == ViewFormat::Csv {
        return csv(&study, name, as_of, opts).await;
    }
    // A view is a pure function of the log prefix and its options, so the encoded answer for
    // the head can be kept until the head moves.
    let key = format!("{name}?{opts:?}");
    if as_of == AsOf::Head {
        study.open.catch_up().await?;
        let at = study.open.projected();
        if let Some(body) = study.open.views.get(&key, at) {
            return Ok(json_response(body));
        }
    }
    let (at, body) = with_projections(&study, as_of, move |e| {
        let mut v = e.state.view(&name, &opts).expect("name checked");
        v["as_of_position"] = e.included.into();
        (e.position, axum::body::Bytes::from(serde_json::to_vec(&v).expect("views serialise")))
    })
    .await?;
    if as_of == AsOf::Head {
        study.open.views.put(key, at, body.clone());
    }
    Ok(json_response(body))
}

/// A view's main table as CSV, to be saved: a spreadsheet opens the file, a browser downloads it
/// under the study's and the view's name.
async fn csv(study: &Study, name: String, as_of: AsOf, opts: parlog_projections::ViewOptions) -> ApiResult<Response> {
    let file = attachment(study.record.slug.as_str(), &name, "csv");
    let body = with_projections(study, as_of, move |e| e.state.csv(&name, &opts).expect("name checked")).await?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, file)], body)
        .into_response())
}

/// `attachment; filename="<study>-<name>.<ext>"`: slugs and view names are ASCII letters, digits
/// and `-`, so the name needs no quoting beyond the quotes.
fn attachment(study: &str, name: &str, ext: &str) -> String {
    format!("attachment; filename=\"{study}-{name}.{ext}\"")
}

fn json_response(body: axum::body::Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// GET /api/v1/studies/{study}/retrospective?format=md|html|odt. Served, the HTML report's
/// source references open their event in the web interface; the ODT is an attachment.
pub async fn retrospective(study: Study, Query(q): Query<RawView>) -> ApiResult<Response> {
    let ViewRequest { as_of, options, format, area } = ViewRequest::parse(&q)?;
    let lang = options.lang;
    let open = study.open.clone();
    let slug = study.record.slug.to_string();
    let links = SourceLinks::EventPage { study: slug.clone() };
    let body = with_projections(&study, as_of, move |e| {
        crate::report::retrospective(open.store.as_ref(), e, as_of, lang, area, format, links)
    })
    .await?;
    let mut response = ([(header::CONTENT_TYPE, format.content_type())], body).into_response();
    if format == Format::Odt {
        let file = attachment(&slug, "retrospective", "odt");
        response.headers_mut().insert(header::CONTENT_DISPOSITION, file.parse().expect("an ASCII header value"));
    }
    Ok(response)
}

/// GET /api/v1/studies/{study}/charts/{name}: a picture (role, cycles, initiatives, signals) as
/// an HTML figure with inline SVG.
pub async fn chart(
    study: Study,
    Path(NameParam { name }): Path<NameParam>,
    Query(q): Query<RawView>,
) -> ApiResult<Response> {
    chart_name(&name)?;
    let ViewRequest { as_of, options: opts, .. } = ViewRequest::parse(&q)?;
    let chart = name.clone();
    let svg = with_projections(&study, as_of, move |e| {
        parlog_projections::retro::chart_svg(&e.state, &chart, opts.lang, opts.day)
    })
    .await?;
    match svg {
        // An HTML figure (caption and inline SVG), not an SVG document: served as HTML.
        Some(svg) => Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], svg).into_response()),
        None => Err(ApiError::NotFound(format!("nothing to draw yet in the {name} chart for this part of the log"))),
    }
}

/// GET /api/v1/compare?studies=a,b&format=html|md|json: studies side by side, for a caller with a
/// role in every study named (any other is answered as one that does not exist).
pub async fn compare(
    axum::extract::State(state): axum::extract::State<super::state::AppState>,
    caller: super::auth::Caller,
    Query(q): Query<crate::request::RawCompare>,
) -> ApiResult<Response> {
    let r = crate::request::CompareRequest::parse(&q)?;
    let mut opened = Vec::with_capacity(r.studies.len());
    for slug in &r.studies {
        let record = match caller.role_in(slug) {
            Some(_) => super::study::registered(&state, slug)?,
            None => None,
        };
        let record = record.ok_or_else(|| super::study::no_such_study(slug.as_str()))?;
        let open = state.hub.get(&record).await?;
        open.catch_up().await?;
        opened.push((record, open));
    }
    let (lang, format) = (r.lang, r.format);
    let text = tokio::task::spawn_blocking(move || {
        let guards: Vec<_> = opened.iter().map(|(_, o)| o.live.read().expect("projection lock")).collect();
        let pairs: Vec<_> = opened.iter().zip(&guards).map(|((r, _), g)| (r, &**g)).collect();
        crate::report::comparison(&pairs, lang, format)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("comparing the studies: {e}")))?
    .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let content_type = match format {
        parlog_projections::compare::Format::Html => "text/html; charset=utf-8",
        parlog_projections::compare::Format::Markdown => "text/markdown; charset=utf-8",
        parlog_projections::compare::Format::Json => "application/json",
    };
    Ok(([(header::CONTENT_TYPE, content_type)], text).into_response())
}
