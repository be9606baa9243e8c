//! The HTTP server: a JSON API under `/api/v1`, the live feed, metrics and the web interface.
//! `app(state)` builds the router and does nothing else, so tests drive it with `oneshot`.

pub mod admin;
pub mod auth;
mod body;
pub mod error;
mod events;
mod feed;
pub mod hub;
mod institute;
pub mod metrics;
mod notes;
pub mod openapi;
mod qda;
mod reference;
pub mod routes;
pub mod state;
pub mod study;
mod views;
mod web;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt as _;
use axum::Router;
use parlog_core::{EventStore, StoreOptions};

use auth::Caller;
use error::ApiError;
pub use hub::{Hub, HubError, OpenStudy};
pub use state::{AppState, Limits};

/// The router. Pure: builds routes and layers from `state`, starts nothing.
pub fn app(state: AppState) -> Router {
    let routed = routes::operations().fold(Router::new(), |router, op| {
        let served = (op.route.handler)(op.route.method_filter());
        match op.deprecated {
            false => router.route(op.path, served),
            true => router.route(op.path, served.layer(middleware::map_response(deprecated))),
        }
    });
    routed
        .merge(web::routes())
        .fallback(|| async { ApiError::NotFound("no such route; GET /api/v1/openapi.json lists the API".into()) })
        // A problem like every other error; axum still adds the `Allow` header.
        .method_not_allowed_fallback(|method: axum::http::Method, uri: axum::http::Uri| async move {
            ApiError::MethodNotAllowed(format!(
                "{method} is not served at {}; the `Allow` header and GET /api/v1/openapi.json list the methods",
                uri.path()
            ))
        })
        .layer(middleware::from_fn_with_state(state.clone(), limit_time))
        .layer(middleware::map_response(error::as_problem))
        // Outermost, so that every answer has them: handlers', rejections', the fallbacks' and
        // the time limit's.
        .layer(middleware::map_response(security_headers))
        .with_state(state)
}

/// The policy of every answer that does not bring its own (the web page does: it loads its
/// script). What parlog renders as HTML (the retrospective, charts) is one self-contained file
/// with an inline stylesheet and inline SVG and no script, so it needs nothing but inline
/// styles; JSON, problems and the feed need nothing at all. Text from the log ends up in that
/// HTML: if escaping ever failed, no script would run.
const CSP_DEFAULT: &str =
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Headers that make browsers treat answers as what they say they are: no guessing of types
/// (a JSON answer holding `<script>` from a note is not HTML), no framing (clickjacking), no
/// addresses leaked to other sites, and a content policy.
async fn security_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP_DEFAULT));
    }
    resp
}

/// Answers of the deprecated routes of a token's only study say so (RFC 9745), so that a client
/// can tell before the routes go.
async fn deprecated(mut resp: Response) -> Response {
    resp.headers_mut().insert("deprecation", HeaderValue::from_static("true"));
    resp
}

/// GET /healthz: whether the server can do its work. An open study's store that refuses work
/// after a failed write answers 503, so that a supervisor or load balancer sees what a client
/// would (a restart recovers it). It names no study: it needs no token.
async fn healthz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    match state.hub.any_failed() {
        false => Ok("ok\n"),
        true => Err(ApiError::Unavailable(error::STORE_FAILED.into())),
    }
}

/// GET /metrics: the institute's counters, and the head and projection lag of each open study
/// the token has a role in (an institute admin: every open study), so that no study's name
/// reaches a token that may not know it.
async fn metrics(State(state): State<AppState>, caller: Caller) -> Response {
    let mut studies: Vec<(String, u64, u64)> = state
        .hub
        .open_studies()
        .into_iter()
        .filter(|slug| caller.institute_admin || caller.role_in(slug).is_some())
        .filter_map(|slug| state.hub.if_open(&slug))
        .map(|s| (s.slug.to_string(), s.store.head().position.0, s.projected()))
        .collect();
    studies.sort();
    let open = state.hub.open_studies().len();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render(open, state.hub.opens(), &studies))
        .into_response()
}

/// Counts requests and bounds the time to the response's head (`request_timeout_ms`). The live
/// feed answers at once and then streams, so it is not cut off.
async fn limit_time(State(state): State<AppState>, req: Request, next: Next) -> Response {
    state.metrics.requests.fetch_add(1, Ordering::Relaxed);
    let ms = state.limits.request_timeout_ms;
    match tokio::time::timeout(Duration::from_millis(ms), next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => {
            tracing::warn!(ms, "request timed out");
            ApiError::Timeout(format!(
                "the request took longer than {ms} ms (request_timeout_ms); try a smaller page or report"
            ))
            .into_response()
        }
    }
}

/// Runs the server over the data folder `data` until Ctrl-C or SIGTERM; each study is opened
/// with `options` on its first request. Once it listens it prints `banner` (the command line's,
/// in its language), with `{addr}` the address it listens on. Shutdown stops accepting, ends live feeds, lets
/// requests in flight finish (every acknowledged append is durable before it is acknowledged),
/// then saves every open study's projections checkpoint and closes its store.
pub async fn serve(
    data: std::path::PathBuf,
    options: StoreOptions,
    backend: crate::backend::Backend,
    limits: Limits,
    addr: SocketAddr,
    banner: String,
) -> anyhow::Result<()> {
    let state = AppState::with_backend(data, options, backend, limits).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr()?;
    // The handlers are in place before the banner says the server is there: a SIGTERM right
    // after it stops the server gracefully rather than killing it.
    let signals = Signals::new()?;
    print!("{}", banner.replace("{addr}", &local.to_string()));
    let studies = state.tokens.studies().map(|s| s.len()).unwrap_or(0);
    tracing::info!(%local, studies, "serving");
    // The signal future holds only the shutdown switch, not the state: axum may keep it alive
    // after serving ends.
    let switch = state.shutdown.clone();
    let shutdown = async move {
        signals.wait().await;
        tracing::info!("shutting down");
        let _ = switch.send(true);
    };
    // Answers and feed chunks go out at once rather than waiting for the peer's delayed ACK
    // (Nagle): they are small and each is complete.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "could not set TCP_NODELAY on a connection");
        }
    });
    axum::serve(listener, app(state.clone())).with_graceful_shutdown(shutdown).await?;
    state.hub.close_all().await;
    tracing::info!("stopped");
    Ok(())
}

/// Ctrl-C and SIGTERM, listened for from when this is made.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals { interrupt: signal(SignalKind::interrupt())?, terminate: signal(SignalKind::terminate())? })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    async fn wait(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {},
            _ = self.terminate.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}
