//! The state every handler shares, and the limits of the HTTP interface.

use std::path::PathBuf;
use std::sync::Arc;

use parlog_core::StoreOptions;
use tokio::sync::Semaphore;

use super::auth::Tokens;
use super::error::ApiError;
use super::hub::{Hub, HubLimits};
use super::metrics::Metrics;
use crate::backend::Backend;

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
    /// How long a study stays open after its last use (when no request or feed holds it): its
    /// store and projections then close, so that many idle studies cost no memory.
    pub idle_close_ms: u64,
    /// The most studies open at once; opening one more closes the least recently used idle
    /// one, or answers 503 when every open study is in use.
    pub open_studies_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes_max: 4 * 1024 * 1024,
            page_events_max: 1_000,
            sse_clients_max: 256,
            request_timeout_ms: 30_000,
            feed_keep_alive_ms: 15_000,
            idle_close_ms: 5 * 60 * 1_000,
            open_studies_max: 256,
        }
    }
}

/// What every handler shares: the institute-wide things (tokens and the study registry,
/// metrics, limits, feed slots, shutdown) and the hub of open studies.
#[derive(Clone)]
pub struct AppState {
    pub data: PathBuf,
    /// The institute journal: tokens, their grants, and the study registry.
    pub tokens: Arc<Tokens>,
    /// The studies open now; a study's store and projections are reached through it.
    pub hub: Arc<Hub>,
    /// How stores are opened (the master key beside the data folder), also for new studies.
    pub options: StoreOptions,
    /// Where the studies' events are: the embedded store, or one PostgreSQL database.
    pub backend: Backend,
    pub metrics: Arc<Metrics>,
    pub limits: Limits,
    pub sse_slots: Arc<Semaphore>,
    /// Set to true when the server shuts down: live feeds end so connections can drain.
    pub shutdown: Arc<tokio::sync::watch::Sender<bool>>,
}

impl AppState {
    /// The state of a server over the data folder `data`: reads the token journal (which holds
    /// the study registry) and records a folder of the previous release as its root study
    /// (`studies::ensure_registered`, a write). Opens no study: the hub does that on first use.
    /// The studies' events are in the embedded store.
    pub fn new(data: PathBuf, options: StoreOptions, limits: Limits) -> Result<AppState, ApiError> {
        AppState::with_backend(data, options, Backend::Embedded, limits)
    }

    /// As `new`, with the studies' events in `backend`.
    pub fn with_backend(
        data: PathBuf,
        options: StoreOptions,
        backend: Backend,
        limits: Limits,
    ) -> Result<AppState, ApiError> {
        let tokens = Tokens::open(&data).map_err(|e| ApiError::Internal(format!("tokens: {e}")))?;
        crate::studies::ensure_registered(&data, &tokens, &options)
            .map_err(|e| ApiError::Internal(format!("the studies of {}: {e}", data.display())))?;
        let hub = Hub::new(
            data.clone(),
            options.clone(),
            backend.clone(),
            HubLimits { idle_close_ms: limits.idle_close_ms, open_studies_max: limits.open_studies_max },
        );
        Ok(AppState {
            tokens: Arc::new(tokens),
            hub,
            options,
            backend,
            metrics: Arc::new(Metrics::default()),
            sse_slots: Arc::new(Semaphore::new(limits.sse_clients_max)),
            shutdown: Arc::new(tokio::sync::watch::channel(false).0),
            data,
            limits,
        })
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
