//! The web interface: a few static files compiled into the binary, so there is no build step and
//! it works without internet. The page itself needs no token; everything it shows comes from the
//! API, which does. `sw.js` is a service worker that keeps the page's own files, so that the page
//! also opens without a connection; it must be served from the root to cover the whole page.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::state::AppState;

const INDEX_HTML: &str = include_str!("../../web/index.html");
const APP_JS: &str = include_str!("../../web/app.js");
const APP_CSS: &str = include_str!("../../web/app.css");
const SW_JS: &str = include_str!("../../web/sw.js");

/// The page loads nothing from elsewhere; the policy makes the browser hold it to that. The
/// service worker gets it too: a worker's policy governs what it may fetch (the page's files).
/// Every other answer gets the stricter default policy of `http::security_headers`.
const CSP: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CONTENT_SECURITY_POLICY, CSP)],
                    INDEX_HTML,
                )
                    .into_response()
            }),
        )
        .route(
            "/app.js",
            get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], APP_JS).into_response() }),
        )
        .route(
            "/app.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], APP_CSS).into_response() }),
        )
        .route(
            "/sw.js",
            get(|| async {
                // no-cache: the browser checks for a new worker on every visit.
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "no-cache"),
                        (header::CONTENT_SECURITY_POLICY, CSP),
                    ],
                    SW_JS,
                )
                    .into_response()
            }),
        )
}
