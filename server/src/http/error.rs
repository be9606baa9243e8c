//! The one mapping from errors to HTTP responses: `application/problem+json` (RFC 9457). Client
//! errors say what was wrong and how to fix it; internal errors are logged with detail and
//! answered without it.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use parlog_core::{AppendError, ForgetError, StoreError};
use parlog_projections::{EngineError, UnknownProjection};

use super::hub::HubError;
use crate::request::RequestError;

#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Unauthorized(String),
    Forbidden(String),
    NotFound(String),
    MethodNotAllowed(String),
    Conflict(String),
    /// An append to an archived study: it is read as before but takes no new events (409, a
    /// type of its own so that a client's outbox does not send it again).
    Archived(String),
    /// A deprecated route of a token's only study, called with a token that has a role in
    /// several: the study must be named in the path (409).
    StudyRequired(String),
    /// Each part of the request is well formed, but together they ask for something that cannot
    /// be done (such as two ways of choosing a part of the log).
    Unprocessable(String),
    PayloadTooLarge(String),
    TooManyRequests(String),
    /// The store cannot work now (shutting down, or failed until a restart): 503, Retry-After.
    Unavailable(String),
    /// Every study the server may keep open is in use, so another cannot open now: 503, with a
    /// shorter Retry-After than a shutdown's.
    Busy(String),
    /// The disk is full: nothing was stored; 507, Retry-After.
    InsufficientStorage(String),
    Timeout(String),
    Internal(String),
    /// An error answer that axum or a layer made rather than a handler (a rejection no wrapper
    /// here covers yet): its status is kept and its text becomes the detail.
    Other(StatusCode, String),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, &str) {
        match self {
            ApiError::BadRequest(d) => (StatusCode::BAD_REQUEST, "bad-request", d),
            ApiError::Unauthorized(d) => (StatusCode::UNAUTHORIZED, "unauthorized", d),
            ApiError::Forbidden(d) => (StatusCode::FORBIDDEN, "forbidden", d),
            ApiError::NotFound(d) => (StatusCode::NOT_FOUND, "not-found", d),
            ApiError::MethodNotAllowed(d) => (StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed", d),
            ApiError::Conflict(d) => (StatusCode::CONFLICT, "conflict", d),
            ApiError::Archived(d) => (StatusCode::CONFLICT, "study-archived", d),
            ApiError::StudyRequired(d) => (StatusCode::CONFLICT, "study-required", d),
            ApiError::Unprocessable(d) => (StatusCode::UNPROCESSABLE_ENTITY, "unprocessable", d),
            ApiError::PayloadTooLarge(d) => (StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", d),
            ApiError::TooManyRequests(d) => (StatusCode::TOO_MANY_REQUESTS, "too-many-requests", d),
            ApiError::Unavailable(d) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", d),
            ApiError::Busy(d) => (StatusCode::SERVICE_UNAVAILABLE, "busy", d),
            ApiError::InsufficientStorage(d) => (StatusCode::INSUFFICIENT_STORAGE, "insufficient-storage", d),
            ApiError::Timeout(d) => (StatusCode::REQUEST_TIMEOUT, "timeout", d),
            ApiError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", "the server failed; the details are in its log")
            }
            ApiError::Other(status, d) => (*status, "other", d),
        }
    }
}

/// When a client may try again after a 503: a shutdown or a restart takes seconds.
pub const RETRY_AFTER_UNAVAILABLE_S: u64 = 30;
/// When a client may try again after all open studies were in use: requests take milliseconds
/// and feeds end, so a slot frees up soon.
pub const RETRY_AFTER_BUSY_S: u64 = 5;
/// When a client may try again after a 507: someone has to free space first.
pub const RETRY_AFTER_FULL_S: u64 = 300;

impl ApiError {
    /// Seconds for `Retry-After`, for errors that pass without the client changing anything.
    fn retry_after_s(&self) -> Option<u64> {
        match self {
            ApiError::Unavailable(_) => Some(RETRY_AFTER_UNAVAILABLE_S),
            ApiError::Busy(_) => Some(RETRY_AFTER_BUSY_S),
            ApiError::InsufficientStorage(_) => Some(RETRY_AFTER_FULL_S),
            _ => None,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let (status, kind, detail) = self.parts();
        let kind = match kind {
            "other" => status.canonical_reason().unwrap_or("error").to_ascii_lowercase().replace(' ', "-"),
            k => k.to_string(),
        };
        let body = serde_json::json!({
            "type": format!("https://parlog.invalid/problems/{kind}"),
            "title": status.canonical_reason().unwrap_or("error"),
            "status": status.as_u16(),
            "detail": detail,
        });
        let mut resp = (status, body.to_string()).into_response();
        resp.headers_mut().insert(header::CONTENT_TYPE, "application/problem+json".parse().expect("valid header"));
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, "Bearer".parse().expect("valid header"));
        }
        if let Some(s) = self.retry_after_s() {
            resp.headers_mut().insert(header::RETRY_AFTER, s.into());
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Closed => ApiError::Unavailable("the store is shutting down; try again shortly".into()),
            // The store's message names files and errors of the server: logged, not answered.
            StoreError::Full(detail) => {
                tracing::error!(%detail, "the disk is full");
                ApiError::InsufficientStorage(
                    "the server's disk is full, so nothing of this request was stored; try again once an \
                     administrator has freed space"
                        .into(),
                )
            }
            StoreError::Failed => {
                tracing::error!("the store refuses work after an earlier write failed");
                ApiError::Unavailable(STORE_FAILED.into())
            }
            StoreError::Postgres(detail) => database_unavailable(&detail),
            e => ApiError::Internal(e.to_string()),
        }
    }
}

/// What a client is told when the PostgreSQL database that holds the events refused or could not
/// be reached. An append that got this may have been stored (its commit's answer may be what was
/// lost), so the client sends it again with the same event id: a stored event answers with its
/// position, and nothing is stored twice.
pub const DATABASE_UNAVAILABLE: &str = "the database that holds the events is unavailable now; try again shortly \
     with the same event ids (an event that was stored answers with its position, and none is stored twice)";

/// The 503 for a PostgreSQL error; what the database said names the server's setup, so it is
/// logged and not answered.
fn database_unavailable(detail: &str) -> ApiError {
    tracing::error!(%detail, "the database is unavailable");
    ApiError::Unavailable(DATABASE_UNAVAILABLE.into())
}

/// What a client is told while the store refuses work after a failed write.
pub const STORE_FAILED: &str = "the store failed: an earlier write to the disk failed, so the server refuses \
     work until it is restarted (then it recovers from the log on disk); try again later, and tell an \
     administrator to restart parlog and check the disk";

impl From<HubError> for ApiError {
    fn from(e: HubError) -> Self {
        match e {
            HubError::Full { .. } => ApiError::Busy(e.to_string()),
            HubError::ShuttingDown => ApiError::Unavailable("the server is shutting down; try again shortly".into()),
            // Names files of the server: logged (by the hub, and as an internal error), not
            // answered.
            HubError::Open { .. } => ApiError::Internal(e.to_string()),
            HubError::Database { detail, .. } => database_unavailable(&detail),
        }
    }
}

impl From<AppendError> for ApiError {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::Store(s) => s.into(),
            e if e.is_conflict() => ApiError::Conflict(e.to_string()),
            e => ApiError::BadRequest(e.to_string()),
        }
    }
}

impl From<ForgetError> for ApiError {
    fn from(e: ForgetError) -> Self {
        match e {
            ForgetError::UnknownSubject(_) => ApiError::NotFound(e.to_string()),
            ForgetError::Store(s) => s.into(),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Store(s) => s.into(),
            e => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<UnknownProjection> for ApiError {
    fn from(e: UnknownProjection) -> Self {
        ApiError::NotFound(e.to_string())
    }
}

/// A view or chart that does not exist is a 404, like any other unknown resource; parameters
/// that are each valid but may not be given together are a 422 (the document can describe each
/// parameter but not that rule); any other bad parameter is a 400.
impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> Self {
        match e {
            RequestError::UnknownView(_) | RequestError::UnknownChart(_) => ApiError::NotFound(e.to_string()),
            RequestError::AsOfTwice | RequestError::DaysReversed { .. } => ApiError::Unprocessable(e.to_string()),
            e => ApiError::BadRequest(e.to_string()),
        }
    }
}

/// An export the study cannot give (no codes for a codebook) is a 404 like any missing
/// resource; failing to write the archive is the server's fault.
impl From<crate::qda::QdaError> for ApiError {
    fn from(e: crate::qda::QdaError) -> Self {
        use crate::qda::QdaError;
        match e {
            QdaError::NoCodes => ApiError::NotFound(e.to_string()),
            QdaError::Write(_) => ApiError::Internal(e.to_string()),
            e => ApiError::BadRequest(e.to_string()),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Error answers that did not come from `ApiError` (axum's own rejections, which answer
/// `text/plain`) become problems with the same status and their text as the detail, so that a
/// client handles one kind of error. Applied as a layer to the whole router; the wrappers below
/// give the common rejections better words.
pub async fn as_problem(resp: Response) -> Response {
    let status = resp.status();
    let is_problem =
        resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    // Rejections are a line of text; more than this is not one, and is not shown.
    let text = axum::body::to_bytes(body, REJECTION_BYTES_MAX)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let detail = match text.is_empty() {
        true => format!("{}; GET /api/v1/openapi.json describes the API", status.canonical_reason().unwrap_or("error")),
        false => format!("{text}; GET /api/v1/openapi.json describes the API"),
    };
    let error = match status {
        StatusCode::INTERNAL_SERVER_ERROR => ApiError::Internal(text),
        s => ApiError::Other(s, detail),
    };
    let mut out = error.into_response();
    // Headers such as `Allow` and `Retry-After` still apply; the body's own do not.
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH && !out.headers().contains_key(name) {
            out.headers_mut().insert(name, value.clone());
        }
    }
    out
}

const REJECTION_BYTES_MAX: usize = 16 * 1024;

/// `axum::extract::Path` whose rejection is a problem that says which part of the path is wrong:
/// "the path segment `%FF` is not UTF-8 once percent-decoded".
pub struct Path<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> axum::extract::FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(p)) => Ok(Path(p)),
            Err(e) => Err(bad_path(parts, e.status(), e.body_text())),
        }
    }
}

/// A path whose parameters do not parse, as a problem naming it: "the path segment `%FF` is
/// not UTF-8 once percent-decoded". A route whose parameters do not fit its handler is the
/// server's fault.
pub fn bad_path(parts: &axum::http::request::Parts, status: StatusCode, text: String) -> ApiError {
    if status.is_server_error() {
        return ApiError::Internal(text);
    }
    // The path as the client sent it, not as seen inside a nested router.
    let path = match parts.extensions.get::<axum::extract::OriginalUri>() {
        Some(original) => original.path().to_string(),
        None => parts.uri.path().to_string(),
    };
    ApiError::BadRequest(format!(
        "the path {path}: {text}; percent-encode path segments as UTF-8 (GET /api/v1/openapi.json lists the routes)"
    ))
}

/// `axum::extract::Query` whose rejection is a problem like every other bad input (axum's own
/// answers `text/plain`): "`limit`: invalid digit found in string".
pub struct Query<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(q)) => Ok(Query(q)),
            Err(e) => Err(ApiError::BadRequest(format!(
                "{}; GET /api/v1/openapi.json lists the parameters",
                e.body_text().replace("Failed to deserialize query string: ", "query parameter ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    async fn problem_of(resp: Response) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
        let (parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("a body");
        let ct = parts.headers.get(header::CONTENT_TYPE).expect("a content type").to_str().expect("text");
        assert_eq!(ct, "application/problem+json");
        (parts.status, parts.headers, serde_json::from_slice(&bytes).expect("JSON"))
    }

    /// A rejection no wrapper covers (here: axum's `Json` one) keeps its status, its text and its
    /// headers, as a problem.
    #[tokio::test]
    async fn a_text_rejection_becomes_a_problem() {
        let plain = Response::builder()
            .status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
            .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .header(header::ACCEPT, "application/json")
            .body(Body::from("Expected request with `Content-Type: application/json`"))
            .expect("a response");
        let (status, headers, v) = problem_of(as_problem(plain).await).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(v["status"], 415);
        assert_eq!(v["type"], "https://parlog.invalid/problems/unsupported-media-type");
        assert!(v["detail"].as_str().expect("a detail").contains("Content-Type: application/json"), "{v}");
        assert_eq!(headers.get(header::ACCEPT).expect("kept"), "application/json");
    }

    async fn mapped(e: impl Into<ApiError>) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
        problem_of(e.into().into_response()).await
    }

    /// A full disk and a failed store are not the server's bugs (500) but states that pass: 507
    /// and 503, with `Retry-After`, whichever error carries them.
    #[tokio::test]
    async fn a_full_disk_and_a_failed_store_answer_honestly() {
        let full = || StoreError::Full("writing /srv/parlog/log: No space left on device".into());
        for (status, headers, v) in [
            mapped(full()).await,
            mapped(AppendError::Store(full())).await,
            mapped(ForgetError::Store(full())).await,
            mapped(EngineError::Store(full())).await,
        ] {
            assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE);
            assert_eq!(v["status"], 507);
            assert_eq!(headers.get(header::RETRY_AFTER).expect("Retry-After"), &RETRY_AFTER_FULL_S.to_string());
            let detail = v["detail"].as_str().expect("a detail");
            assert!(detail.contains("disk is full") && detail.contains("nothing"), "{detail}");
            assert!(!detail.contains("/srv/parlog"), "the server's paths are not answered: {detail}");
        }
        for (status, headers, v) in [
            mapped(StoreError::Failed).await,
            mapped(AppendError::Store(StoreError::Failed)).await,
            mapped(ForgetError::Store(StoreError::Failed)).await,
        ] {
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(headers.get(header::RETRY_AFTER).expect("Retry-After"), &RETRY_AFTER_UNAVAILABLE_S.to_string());
            assert!(v["detail"].as_str().expect("a detail").contains("restart"), "{v}");
        }
        let (status, headers, _) = mapped(StoreError::Closed).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(headers.contains_key(header::RETRY_AFTER));
        let (status, headers, v) = mapped(StoreError::Corrupt("position 7 is missing".into())).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!headers.contains_key(header::RETRY_AFTER));
        assert!(!v["detail"].as_str().expect("a detail").contains("position 7"), "internal detail is logged only: {v}");
    }

    /// A PostgreSQL database that refuses or cannot be reached is a state that passes: 503 with
    /// `Retry-After`, telling the client to send again with the same event ids (an append whose
    /// commit answer was lost may be stored, and a stored id answers with its position). What the
    /// database said names the server's setup: logged, not answered.
    #[tokio::test]
    async fn an_unavailable_database_answers_503_and_says_to_retry_with_the_same_ids() {
        let down = || StoreError::Postgres("cannot reach postgres://parlog:***@db.internal/parlog: refused".into());
        let slug = parlog_core::StudySlug::parse("gouda").unwrap();
        for (status, headers, v) in [
            mapped(down()).await,
            mapped(AppendError::Store(down())).await,
            mapped(ForgetError::Store(down())).await,
            mapped(EngineError::Store(down())).await,
            mapped(HubError::Database { slug, detail: "db.internal: refused".into() }).await,
        ] {
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
            assert_eq!(headers.get(header::RETRY_AFTER).expect("Retry-After"), &RETRY_AFTER_UNAVAILABLE_S.to_string());
            let detail = v["detail"].as_str().expect("a detail");
            assert!(detail.contains("database") && detail.contains("same event ids"), "{detail}");
            assert!(!detail.contains("db.internal"), "the server's setup is not answered: {detail}");
        }
    }

    /// The problems of studies have types of their own, so that a client can act on them: an
    /// outbox stops sending to an archived study, and a busy server is tried again soon.
    #[tokio::test]
    async fn the_problems_of_studies_say_what_to_do() {
        let (status, headers, v) =
            mapped(HubError::Full { slug: parlog_core::StudySlug::parse("gouda").unwrap(), open_studies_max: 2 }).await;
        assert_eq!(
            (status, v["type"].as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, Some("https://parlog.invalid/problems/busy"))
        );
        assert_eq!(headers.get(header::RETRY_AFTER).expect("Retry-After"), &RETRY_AFTER_BUSY_S.to_string());
        assert!(v["detail"].as_str().unwrap().contains("open_studies_max"), "{v}");
        let (status, _, v) = mapped(ApiError::Archived("study gouda was archived".into())).await;
        assert_eq!(
            (status, v["type"].as_str()),
            (StatusCode::CONFLICT, Some("https://parlog.invalid/problems/study-archived"))
        );
        let (status, _, v) = mapped(ApiError::StudyRequired("name the study".into())).await;
        assert_eq!(
            (status, v["type"].as_str()),
            (StatusCode::CONFLICT, Some("https://parlog.invalid/problems/study-required"))
        );
        let (status, _, v) = mapped(HubError::Open {
            slug: parlog_core::StudySlug::parse("gouda").unwrap(),
            detail: "/srv/parlog/studies/gouda/log: damaged".into(),
        })
        .await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!v.to_string().contains("/srv/parlog"), "the server's paths are not answered: {v}");
    }

    #[tokio::test]
    async fn problems_and_successes_pass_unchanged() {
        let ok = (StatusCode::OK, "fine").into_response();
        assert_eq!(as_problem(ok).await.status(), StatusCode::OK);
        let problem = ApiError::Conflict("stream x is at version 2".into()).into_response();
        let (status, _, v) = problem_of(as_problem(problem).await).await;
        assert_eq!((status, v["detail"].as_str()), (StatusCode::CONFLICT, Some("stream x is at version 2")));
    }
}
