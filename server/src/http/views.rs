//! Projections, the retrospective and charts.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use parlog_core::Lang;
use parlog_projections::retro::Format;
use parlog_projections::{AsOf, Engine, Thresholds, ViewOptions};
use serde::Deserialize;

use super::auth::Caller;
use super::error::{ApiError, ApiResult, Path, Query};
use super::state::AppState;

#[derive(Deserialize, Default)]
pub struct ViewQuery {
    /// A day (YYYY-MM-DD): only what happened (or, with basis=recorded, was recorded) by then.
    as_of: Option<String>,
    basis: Option<String>,
    as_of_position: Option<u64>,
    lang: Option<String>,
    since: Option<String>,
    lead_months_max: Option<u32>,
    active_initiatives_max: Option<u32>,
    reflection_gap_days_max: Option<u32>,
    format: Option<String>,
    area: Option<String>,
}

fn day(field: &str, s: &Option<String>) -> ApiResult<Option<NaiveDate>> {
    s.as_deref()
        .map(|d| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| ApiError::BadRequest(format!("`{field}`: expected a day such as 2017-12-31, got {d:?}")))
        })
        .transpose()
}

impl ViewQuery {
    fn as_of(&self) -> ApiResult<AsOf> {
        let d = day("as_of", &self.as_of)?;
        match (d, self.as_of_position, self.basis.as_deref()) {
            (Some(_), Some(_), _) => {
                Err(ApiError::BadRequest("give either `as_of` or `as_of_position`, not both".into()))
            }
            (Some(d), None, None | Some("occurred")) => Ok(AsOf::Occurred(d)),
            (Some(d), None, Some("recorded")) => Ok(AsOf::Recorded(d)),
            (_, _, Some(b)) if b != "occurred" && b != "recorded" => {
                Err(ApiError::BadRequest(format!("`basis`: expected occurred or recorded, got {b:?}")))
            }
            (None, Some(p), _) => Ok(AsOf::Position(p)),
            _ => Ok(AsOf::Head),
        }
    }
    fn lang(&self) -> ApiResult<Lang> {
        match self.lang.as_deref() {
            None | Some("nl") => Ok(Lang::Nl),
            Some("en") => Ok(Lang::En),
            Some(l) => Err(ApiError::BadRequest(format!("`lang`: expected nl or en, got {l:?}"))),
        }
    }
    fn options(&self, as_of: AsOf) -> ApiResult<ViewOptions> {
        let d = Thresholds::default();
        Ok(ViewOptions {
            lang: self.lang()?,
            day: as_of.day(),
            since: day("since", &self.since)?,
            thresholds: Thresholds {
                lead_months_max: self.lead_months_max.unwrap_or(d.lead_months_max),
                active_initiatives_max: self.active_initiatives_max.unwrap_or(d.active_initiatives_max),
                reflection_gap_days_max: self.reflection_gap_days_max.unwrap_or(d.reflection_gap_days_max),
            },
        })
    }
}

/// Runs `f` on the projections for `as_of`: the live ones for the head, a fresh replay otherwise.
/// On a blocking thread either way: a view or a report of a large log takes long enough to hold
/// up every request on a runtime worker, and the request time limit can only end a request
/// whose future gets polled.
async fn with_projections<T: Send + 'static>(
    state: &AppState,
    as_of: AsOf,
    f: impl FnOnce(&Engine) -> T + Send + 'static,
) -> ApiResult<T> {
    if as_of == AsOf::Head {
        state.catch_up().await?;
        let live = state.live.clone();
        return tokio::task::spawn_blocking(move || f(&live.read().expect("projection lock")))
            .await
            .map_err(|e| ApiError::Internal(format!("building the view: {e}")));
    }
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || Engine::as_of(store.as_ref(), as_of).map(|e| f(&e)))
        .await
        .map_err(|e| ApiError::Internal(format!("replaying the log: {e}")))?
        .map_err(ApiError::from)
}

/// GET /api/v1/projections/{name}
pub async fn projection(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
    Query(q): Query<ViewQuery>,
) -> ApiResult<Response> {
    if !parlog_projections::PROJECTION_NAMES.contains(&name.as_str()) {
        return Err(parlog_projections::UnknownProjection(name).into());
    }
    let as_of = q.as_of()?;
    let opts = q.options(as_of)?;
    // A view is a pure function of the log prefix and its options, so the encoded answer for
    // the head can be kept until the head moves.
    let key = format!("{name}?{opts:?}");
    if as_of == AsOf::Head {
        state.catch_up().await?;
        let at = state.live.read().expect("projection lock").position;
        if let Some(body) = state.views.get(&key, at) {
            return Ok(json_response(body));
        }
    }
    let (at, body) = with_projections(&state, as_of, move |e| {
        let mut v = e.state.view(&name, &opts).expect("name checked");
        v["as_of_position"] = e.included.into();
        (e.position, axum::body::Bytes::from(serde_json::to_vec(&v).expect("views serialise")))
    })
    .await?;
    if as_of == AsOf::Head {
        state.views.put(key, at, body.clone());
    }
    Ok(json_response(body))
}

fn json_response(body: axum::body::Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// GET /api/v1/retrospective?format=md|html
pub async fn retrospective(
    State(state): State<AppState>,
    _caller: Caller,
    Query(q): Query<ViewQuery>,
) -> ApiResult<Response> {
    let format = match q.format.as_deref() {
        None | Some("html") => Format::Html,
        Some("md") => Format::Markdown,
        Some(f) => return Err(ApiError::BadRequest(format!("`format`: expected md or html, got {f:?}"))),
    };
    crate::report::check_area(q.area.as_deref()).map_err(|m| ApiError::BadRequest(format!("`area`: {m}")))?;
    let as_of = q.as_of()?;
    let lang = q.lang()?;
    let store = state.store.clone();
    let area = q.area.clone();
    let text = with_projections(&state, as_of, move |e| {
        crate::report::retrospective(store.as_ref(), e, as_of, lang, area, format)
    })
    .await?;
    let content_type = match format {
        Format::Html => "text/html; charset=utf-8",
        Format::Markdown => "text/markdown; charset=utf-8",
    };
    Ok(([(header::CONTENT_TYPE, content_type)], text).into_response())
}

/// GET /api/v1/charts/{name}: a picture (role, cycles, initiatives, signals) as an HTML figure
/// with inline SVG.
pub async fn chart(
    State(state): State<AppState>,
    _caller: Caller,
    Path(name): Path<String>,
    Query(q): Query<ViewQuery>,
) -> ApiResult<Response> {
    let as_of = q.as_of()?;
    let opts = q.options(as_of)?;
    let svg = with_projections(&state, as_of, move |e| {
        parlog_projections::retro::chart_svg(&e.state, &name, opts.lang, opts.day)
    })
    .await?;
    match svg {
        // An HTML figure (caption and inline SVG), not an SVG document: served as HTML.
        Some(svg) => Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], svg).into_response()),
        None => Err(ApiError::NotFound(
            "unknown chart, or nothing to draw yet; charts: role, cycles, initiatives, signals".into(),
        )),
    }
}
