//! The state every handler shares.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use parlog_core::{EventStore, SledStore};
use parlog_projections::Engine;
use tokio::sync::Semaphore;

use super::auth::Tokens;
use super::error::ApiError;
use super::feed::FeedCache;
use super::metrics::Metrics;

/// Every limit of the HTTP interface; names carry units.
#[derive(Debug, Clone)]
pub struct Limits {
    pub body_bytes_max: usize,
    pub page_events_max: usize,
    pub sse_clients_max: usize,
    pub request_timeout_ms: u64,
    /// How long an idle feed waits before it sends a comment line, so that proxies keep the
    /// connection open.
    pub feed_keep_alive_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes_max: 4 * 1024 * 1024,
            page_events_max: 1_000,
            sse_clients_max: 256,
            request_timeout_ms: 30_000,
            feed_keep_alive_ms: 15_000,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<SledStore>,
    pub data: PathBuf,
    /// The live projections, caught up on demand (and by the feed follower in `serve`).
    pub live: Arc<RwLock<Engine>>,
    pub tokens: Arc<Tokens>,
    pub metrics: Arc<Metrics>,
    pub limits: Limits,
    pub sse_slots: Arc<Semaphore>,
    /// Encoded projection views at the head, until the head moves.
    pub views: Arc<ViewCache>,
    /// Encoded feed events, shared by all subscribers.
    pub feed_cache: Arc<FeedCache>,
    /// Set to true when the server shuts down: live feeds end so connections can drain.
    pub shutdown: Arc<tokio::sync::watch::Sender<bool>>,
}

impl AppState {
    /// Opens the live projections from their checkpoint in the data folder.
    pub fn new(store: Arc<SledStore>, data: PathBuf, limits: Limits) -> Result<AppState, ApiError> {
        let engine = Engine::open(store.as_ref(), &data.join("projections"))?;
        let tokens =
            Tokens::open(&crate::studies::data_of(&data)).map_err(|e| ApiError::Internal(format!("tokens: {e}")))?;
        Ok(AppState {
            tokens: Arc::new(tokens),
            live: Arc::new(RwLock::new(engine)),
            metrics: Arc::new(Metrics::default()),
            sse_slots: Arc::new(Semaphore::new(limits.sse_clients_max)),
            shutdown: Arc::new(tokio::sync::watch::channel(false).0),
            views: Arc::new(ViewCache::default()),
            feed_cache: Arc::new(FeedCache::default()),
            store,
            data,
            limits,
        })
    }

    /// Brings the live projections up to the head (a no-op when they are there).
    pub async fn catch_up(&self) -> Result<(), ApiError> {
        let head = self.store.head().position.0;
        if self.live.read().expect("projection lock").position >= head {
            return Ok(());
        }
        let (live, store) = (self.live.clone(), self.store.clone());
        tokio::task::spawn_blocking(move || {
            live.write().expect("projection lock").catch_up(store.as_ref()).map(|_| ())
        })
        .await
        .map_err(|e| ApiError::Internal(format!("catching up the projections: {e}")))??;
        Ok(())
    }

    /// Writes the projections' checkpoint, so the next start need not replay.
    pub fn save_checkpoint(&self) {
        if let Err(e) = self.live.write().expect("projection lock").save_checkpoint() {
            tracing::warn!(error = %e, "could not save the projections' checkpoint");
        }
    }
}

/// Views kept per query (name and options) for one head position; at most
/// `VIEW_CACHE_ENTRIES_MAX`, all dropped when the head moves.
#[derive(Default)]
pub struct ViewCache {
    inner: std::sync::Mutex<(u64, std::collections::HashMap<String, axum::body::Bytes>)>,
}

const VIEW_CACHE_ENTRIES_MAX: usize = 256;

impl ViewCache {
    pub fn get(&self, key: &str, position: u64) -> Option<axum::body::Bytes> {
        let c = self.inner.lock().expect("view cache lock");
        (c.0 == position).then(|| c.1.get(key).cloned()).flatten()
    }
    pub fn put(&self, key: String, position: u64, body: axum::body::Bytes) {
        let mut c = self.inner.lock().expect("view cache lock");
        if c.0 != position {
            *c = (position, std::collections::HashMap::new());
        }
        if c.1.len() < VIEW_CACHE_ENTRIES_MAX {
            c.1.insert(key, body);
        }
    }
}
