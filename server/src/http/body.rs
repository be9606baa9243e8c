//! A request body read within `body_bytes_max`, with a problem response that names the limit.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};

use super::error::ApiError;
use super::state::AppState;

pub struct LimitedBytes(pub Bytes);

impl FromRequest<AppState> for LimitedBytes {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let max = state.limits.body_bytes_max;
        axum::body::to_bytes(req.into_body(), max).await.map(LimitedBytes).map_err(|_| {
            ApiError::PayloadTooLarge(format!(
                "the body is over the limit of {max} bytes (body_bytes_max); send fewer events per request"
            ))
        })
    }
}
