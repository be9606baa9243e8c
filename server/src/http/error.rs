//! The one mapping from errors to HTTP responses: `application/problem+json` (RFC 9457). Client
//! errors say what was wrong and how to fix it; internal errors are logged with detail and
//! answered without it.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use parlog_core::{AppendError, ForgetError, StoreError};
use parlog_projections::{EngineError, UnknownProjection};

#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Unauthorized(String),
    Forbidden(String),
    NotFound(String),
    MethodNotAllowed(String),
    Conflict(String),
    PayloadTooLarge(String),
    TooManyRequests(String),
    Unavailable(String),
    Timeout(String),
    Internal(String),
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
            ApiError::PayloadTooLarge(d) => (StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large", d),
            ApiError::TooManyRequests(d) => (StatusCode::TOO_MANY_REQUESTS, "too-many-requests", d),
            ApiError::Unavailable(d) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", d),
            ApiError::Timeout(d) => (StatusCode::REQUEST_TIMEOUT, "timeout", d),
            ApiError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", "the server failed; the details are in its log")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let (status, kind, detail) = self.parts();
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
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Closed => ApiError::Unavailable("the store is shutting down; try again shortly".into()),
            e => ApiError::Internal(e.to_string()),
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

pub type ApiResult<T> = Result<T, ApiError>;

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
