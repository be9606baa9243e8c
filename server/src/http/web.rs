//! The web interface: static files compiled into the binary, so there is no build step and it
//! works without internet. The page itself needs no token; everything it shows comes from the
//! API, which does. The script is native ES modules (`server/web/js/`), served as they are.
//!
//! Every file is in one table, [`FILES`]; the routes are made from it, and so is the list of
//! files the service worker (`sw.js`) keeps for offline use. **Invariant:** the worker keeps
//! exactly what is served, so a module added to the table is also there offline
//! (tests/it/web.rs follows the page's imports from `/` and compares them with that list).
//!
//! Besides the page and its modules the table holds what lets a phone keep the page on its home
//! screen: `/favicon.ico`, the web app manifest and its icons (drawn by `scripts/web-icons.py`).

use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use super::state::AppState;

/// One file of the page: where it is served, its type, and its bytes.
struct WebFile {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const MANIFEST: &str = "application/manifest+json";
const PNG: &str = "image/png";
const SVG: &str = "image/svg+xml";
const ICO: &str = "image/x-icon";

macro_rules! web_files {
    ($($path:literal => $type:ident $file:literal,)+) => {
        &[$(WebFile { path: $path, content_type: $type, body: include_bytes!(concat!("../../web/", $file)) },)+]
    };
}

/// The page and everything it loads. `sw.js` is not in it: it is made from it.
const FILES: &[WebFile] = web_files! {
    "/" => HTML "index.html",
    "/app.css" => CSS "app.css",
    "/js/main.js" => JS "js/main.js",
    "/js/state.js" => JS "js/state.js",
    "/js/texts.js" => JS "js/texts.js",
    "/js/dom.js" => JS "js/dom.js",
    "/js/format.js" => JS "js/format.js",
    "/js/http.js" => JS "js/http.js",
    "/js/studies.js" => JS "js/studies.js",
    "/js/catalog.js" => JS "js/catalog.js",
    "/js/outbox.js" => JS "js/outbox.js",
    "/js/sse.js" => JS "js/sse.js",
    "/js/session.js" => JS "js/session.js",
    "/js/nav.js" => JS "js/nav.js",
    "/js/links.js" => JS "js/links.js",
    "/js/forms/index.js" => JS "js/forms/index.js",
    "/js/forms/fields.js" => JS "js/forms/fields.js",
    "/js/forms/note.js" => JS "js/forms/note.js",
    "/js/forms/reflection.js" => JS "js/forms/reflection.js",
    "/js/forms/method.js" => JS "js/forms/method.js",
    "/js/forms/rolechange.js" => JS "js/forms/rolechange.js",
    "/js/forms/amend.js" => JS "js/forms/amend.js",
    "/js/forms/coding.js" => JS "js/forms/coding.js",
    "/js/forms/memo.js" => JS "js/forms/memo.js",
    "/js/views/projection.js" => JS "js/views/projection.js",
    "/js/views/parts.js" => JS "js/views/parts.js",
    "/js/views/initiatives.js" => JS "js/views/initiatives.js",
    "/js/views/activity.js" => JS "js/views/activity.js",
    "/js/views/cycles.js" => JS "js/views/cycles.js",
    "/js/views/role.js" => JS "js/views/role.js",
    "/js/views/signals.js" => JS "js/views/signals.js",
    "/js/views/lessons.js" => JS "js/views/lessons.js",
    "/js/views/network.js" => JS "js/views/network.js",
    "/js/views/warnings.js" => JS "js/views/warnings.js",
    "/js/views/report.js" => JS "js/views/report.js",
    "/js/views/retro.js" => JS "js/views/retro.js",
    "/js/views/compare.js" => JS "js/views/compare.js",
    "/js/views/admin.js" => JS "js/views/admin.js",
    "/js/views/statement.js" => JS "js/views/statement.js",
    "/js/views/charts.js" => JS "js/views/charts.js",
    "/js/views/notes.js" => JS "js/views/notes.js",
    "/js/views/notecard.js" => JS "js/views/notecard.js",
    "/js/views/noteview.js" => JS "js/views/noteview.js",
    "/js/views/event.js" => JS "js/views/event.js",
    "/js/views/codebook.js" => JS "js/views/codebook.js",
    "/js/views/agreement.js" => JS "js/views/agreement.js",
    "/favicon.ico" => ICO "favicon.ico",
    "/manifest.webmanifest" => MANIFEST "manifest.webmanifest",
    "/icons/icon.svg" => SVG "icons/icon.svg",
    "/icons/icon-192.png" => PNG "icons/icon-192.png",
    "/icons/icon-512.png" => PNG "icons/icon-512.png",
    "/icons/maskable-512.png" => PNG "icons/maskable-512.png",
    "/icons/apple-touch-icon.png" => PNG "icons/apple-touch-icon.png",
};

/// The service worker's code; the server puts the list of files to keep in front of it.
const SW_JS: &str = include_str!("../../web/sw.js");

/// `sw.js` as served: `const SHELL = [...paths of FILES];` and then the worker.
static SW_SERVED: LazyLock<String> = LazyLock::new(|| {
    let paths: Vec<&str> = FILES.iter().map(|f| f.path).collect();
    let list = serde_json::to_string(&paths).expect("a list of strings is JSON");
    format!("'use strict';\n// The files the page needs, from the server's table (server/src/http/web.rs).\nconst SHELL = {list};\n\n{SW_JS}")
});

/// The page loads nothing from elsewhere; the policy makes the browser hold it to that
/// (`script-src 'self'` covers its modules). The service worker gets it too: a worker's policy
/// governs what it may fetch (the page's files). Every other answer gets the stricter default
/// policy of `http::security_headers`.
const CSP: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

pub fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for file in FILES {
        router = router.route(
            file.path,
            get(move || async move {
                ([(header::CONTENT_TYPE, file.content_type), (header::CONTENT_SECURITY_POLICY, CSP)], file.body)
                    .into_response()
            }),
        );
    }
    router.route(
        "/sw.js",
        get(|| async {
            // no-cache: the browser checks for a new worker on every visit.
            (
                [
                    (header::CONTENT_TYPE, JS),
                    (header::CACHE_CONTROL, "no-cache"),
                    (header::CONTENT_SECURITY_POLICY, CSP),
                ],
                SW_SERVED.as_str(),
            )
                .into_response()
        }),
    )
}
