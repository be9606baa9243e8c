//! The HTTP server: a JSON API under `/api/v1`, the live feed, metrics and the web interface.
//! `app(state)` builds the router and does nothing else, so tests drive it with `oneshot`.

pub mod admin;
pub mod auth;
mod body;
pub mod error;
mod events;
mod feed;
pub mod metrics;
pub mod openapi;
mod reference;
pub mod routes;
pub mod state;
mod views;
mod web;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt as _;
use axum::Router;
use parlog_core::{EventStore, Position, SledStore};

use auth::Caller;
use error::ApiError;
pub use state::{AppState, Limits};

/// The router. Pure: builds routes and layers from `state`, starts nothing.
pub fn app(state: AppState) -> Router {
    let routed =
        routes::ROUTES.iter().fold(Router::new(), |router, r| router.route(r.path, (r.handler)(r.method_filter())));
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

/// GET /api/v1/me: who the token belongs to and what it may do, for the web page.
async fn me(caller: Caller) -> Result<axum::Json<serde_json::Value>, ApiError> {
    let role = caller.sole_role()?;
    Ok(axum::Json(serde_json::json!({
        "participant": caller.participant,
        "role": role,
        "may_append": role.allowed_kinds(),
        "reads_events": role.reads_events(),
        "reads_sealed": role.reads_sealed(),
    })))
}

/// GET /healthz: whether the server can do its work. A store that refuses work after a failed
/// write answers 503, so that a supervisor or load balancer sees what a client would.
async fn healthz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    match state.store.failed() {
        false => Ok("ok\n"),
        true => Err(ApiError::Unavailable(error::STORE_FAILED.into())),
    }
}

async fn metrics(State(state): State<AppState>, _caller: Caller) -> Response {
    let head = state.store.head().position.0;
    let projected = state.live.read().expect("projection lock").position;
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render(head, projected)).into_response()
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

/// Positions the follower takes as news at once; it only needs to learn that there is more.
const FOLLOW_NEWS_POSITIONS_MAX: usize = 4_096;

/// Keeps the live projections caught up as events arrive, so that views answer without replay.
async fn follow(state: AppState) {
    let from = state.live.read().expect("projection lock").position + 1;
    let mut sub = state.store.subscribe(Position(from));
    let mut shutdown = state.shutdown.subscribe();
    loop {
        tokio::select! {
            // Only the news that there is more: the engine reads the events itself.
            next = sub.next_positions(FOLLOW_NEWS_POSITIONS_MAX) => if next.is_err() { return },
            _ = shutdown.changed() => return,
        }
        if let Err(e) = state.catch_up().await {
            tracing::warn!(error = ?e, "projections could not catch up");
        }
    }
}

/// Runs the server until Ctrl-C or SIGTERM. Shutdown stops accepting, ends live feeds, lets
/// requests in flight finish (every acknowledged append is durable before it is acknowledged),
/// saves the projections' checkpoint and closes the store.
pub async fn serve(store: SledStore, data: std::path::PathBuf, addr: SocketAddr, banner: String) -> anyhow::Result<()> {
    let store = Arc::new(store);
    let state = AppState::new(store.clone(), data, Limits::default()).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let local = listener.local_addr()?;
    println!("parlog serves on http://{local}/");
    print!("{}", banner.replace("{addr}", &local.to_string()));
    tracing::info!(%local, head = store.head().position.0, "serving");
    let follower = tokio::spawn(follow(state.clone()));
    // The signal future holds only the shutdown switch, not the state: axum may keep it alive
    // after serving ends, and the store must then be free to close.
    let switch = state.shutdown.clone();
    let shutdown = async move {
        wait_for_signal().await;
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
    let _ = follower.await;
    state.save_checkpoint();
    drop(state);
    match Arc::try_unwrap(store) {
        Ok(store) => store.close(),
        Err(_) => tracing::warn!("the store is still in use at shutdown; it closes when the process ends"),
    }
    tracing::info!("stopped");
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("a SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
