//! The hub: the studies this server has open. A study's store and live projections are opened on
//! its first request and closed again when no one has used it for `idle_close_ms`, so that a
//! server with a thousand mostly idle studies starts at once and stays small.
//!
//! Rules, and why:
//! - **One open at a time per study.** Two stores on one folder would fight over sled's lock
//!   and the log's end (with PostgreSQL, over the key folder's lock that makes one writer). A request that finds a study being opened (or closed) waits for that
//!   to finish and looks again; an open that fails is answered to everyone who waited for it,
//!   and the next request tries again.
//! - **Opening and closing run in tasks of their own**, not in the request that caused them: a
//!   request that times out (or whose client goes away) must not leave a half-open study.
//! - **A study is closed only when no one holds it**: the hub's map holds one `Arc<OpenStudy>`,
//!   each request and each live feed another, the follower only a `Weak`. Closing stops the
//!   follower, saves the projections' checkpoint (so the next open need not replay), then
//!   closes the store (which waits until every acknowledged append is durable).
//! - **At most `open_studies_max` open.** Opening one more closes the least recently used
//!   study no one holds first; when every open study is in use the request is answered 503
//!   with `Retry-After` (a busy server, not a broken one).
//! - **One database for all studies.** With PostgreSQL, every study's store shares the
//!   `Backend`'s one pool: opening a study is a few queries, not a new connection.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use parlog_core::{AnyStore, EventStore, Position, StoreError, StoreOptions, StudySlug};
use parlog_projections::{Engine, EngineError};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::auth::StudyRecord;
use super::error::ApiError;
use super::feed::FeedCache;
use super::state::ViewCache;
use crate::backend::Backend;
use crate::notes::NotesIndex;
use crate::studies::{study_folder, StudiesError};

/// One open study: its store, its live projections and the caches of its answers. Handlers hold
/// an `Arc` of it for as long as they work on it (blocking work included), which keeps it open.
pub struct OpenStudy {
    pub slug: StudySlug,
    /// The study's folder (`DATA/studies/<slug>/`, or the data folder for a root study): its
    /// whole store, or with PostgreSQL its keys; its projections' checkpoint either way.
    pub folder: PathBuf,
    /// The study as the registry had it when it was opened (its archived state can change
    /// while it is open: ask the registry for that).
    pub record: StudyRecord,
    pub store: Arc<AnyStore>,
    /// The live projections, caught up on demand and by the study's follower.
    pub live: RwLock<Engine>,
    /// Encoded projection views at the head, until the head moves.
    pub views: ViewCache,
    /// Encoded feed events, shared by all of this study's subscribers.
    pub feed_cache: FeedCache,
    /// The notes index (`crate::notes`): in memory only, built on the first notes request, then
    /// kept live by the follower; rebuilt after a forget, before it answers again.
    pub notes: RwLock<Option<NotesIndex>>,
    /// One build or catch-up of the notes index at a time.
    notes_gate: Mutex<()>,
    /// When it was last asked for, in ms since the hub started (for idle closing and LRU).
    last_used_ms: AtomicU64,
}

impl OpenStudy {
    /// Brings the live projections up to the head (a no-op when they are there).
    pub async fn catch_up(self: &Arc<Self>) -> Result<(), ApiError> {
        let head = self.store.head().position.0;
        if self.live.read().expect("projection lock").position >= head {
            return Ok(());
        }
        let study = self.clone();
        tokio::task::spawn_blocking(move || {
            study.live.write().expect("projection lock").catch_up(study.store.as_ref()).map(|_| ())
        })
        .await
        .map_err(|e| ApiError::Internal(format!("catching up the projections of {}: {e}", self.slug)))??;
        Ok(())
    }

    /// Writes the projections' checkpoint, so the next open need not replay.
    pub fn save_checkpoint(&self) {
        if let Err(e) = self.live.write().expect("projection lock").save_checkpoint() {
            tracing::warn!(study = %self.slug, error = %e, "could not save the projections' checkpoint");
        }
    }

    /// Builds the notes index if it is not built, else brings it up to the head; a forget among
    /// the new events (`NotesIndex::stale`) makes it build again, so that the forgotten words
    /// are gone before anyone reads it. Blocking: a build reads the whole log.
    pub fn notes_catch_up_blocking(&self, build: bool) -> Result<(), StoreError> {
        let _gate = self.notes_gate.lock().expect("notes gate");
        let head = self.store.head().position.0;
        match &*self.notes.read().expect("notes lock") {
            Some(ix) if ix.head() >= head => return Ok(()),
            None if !build => return Ok(()),
            _ => {}
        }
        let mut w = self.notes.write().expect("notes lock");
        if let Some(ix) = w.as_mut() {
            ix.catch_up(self.store.as_ref())?;
            if !ix.stale() {
                return Ok(());
            }
            tracing::info!(study = %self.slug, "a subject was forgotten: building the notes index again");
        }
        // The old index goes first: it may hold a forgotten subject's words, and its memory.
        *w = None;
        let started = Instant::now();
        let ix = NotesIndex::build(self.store.as_ref())?;
        tracing::info!(study = %self.slug, notes = ix.len(), terms = ix.terms(), ms = started.elapsed().as_millis() as u64, "notes index built");
        *w = Some(ix);
        Ok(())
    }

    /// The notes index built and at the head, for a request.
    pub async fn notes_ready(self: &Arc<Self>) -> Result<(), ApiError> {
        let study = self.clone();
        tokio::task::spawn_blocking(move || study.notes_catch_up_blocking(true))
            .await
            .map_err(|e| ApiError::Internal(format!("building the notes index of {}: {e}", self.slug)))??;
        Ok(())
    }

    /// The position the live projections have reached.
    pub fn projected(&self) -> u64 {
        self.live.read().expect("projection lock").position
    }
}

/// Why the hub could not give a study.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HubError {
    /// Every one of `open_studies_max` open studies is in use: try again shortly.
    #[error(
        "{open_studies_max} studies are open, the limit (open_studies_max), and each is in use, so study {slug} \
         cannot be opened now; try again in a few seconds"
    )]
    Full { slug: StudySlug, open_studies_max: usize },
    #[error("the server is shutting down")]
    ShuttingDown,
    /// The study's store or projections did not open; the detail names files of the server, so
    /// it is logged and not answered.
    #[error("study {slug} could not be opened: {detail}")]
    Open { slug: StudySlug, detail: String },
    /// The database that holds the study's events refused or could not be reached: it may work
    /// again in a moment, so it is not the server's fault (503, not 500).
    #[error("study {slug} could not be opened: the database is unavailable: {detail}")]
    Database { slug: StudySlug, detail: String },
}

/// What the hub's limits are; from `Limits`.
#[derive(Debug, Clone, Copy)]
pub struct HubLimits {
    pub idle_close_ms: u64,
    pub open_studies_max: usize,
}

/// How often the idle check runs: a quarter of `idle_close_ms`, within these bounds (so a study
/// is closed between `idle_close_ms` and 1.25 times that after its last use).
const REAP_TICK_MS_MIN: u64 = 5;
const REAP_TICK_MS_MAX: u64 = 10_000;

/// How an open or close in progress ends: `None` until it does, then `Ok` (look again) or the
/// error the open ended with.
type Outcome = Option<Result<(), HubError>>;

/// A study in the hub's map.
enum Slot {
    Open {
        study: Arc<OpenStudy>,
        follower: Follower,
    },
    /// Being opened or closed by a task; its outcome comes on the channel.
    Busy {
        outcome: watch::Receiver<Outcome>,
        closing: bool,
    },
}

/// The task that keeps a study's projections caught up, and how to stop it.
struct Follower {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// The studies this server has open.
pub struct Hub {
    data: PathBuf,
    options: StoreOptions,
    /// Where the events are; with PostgreSQL one pool that every study shares.
    backend: Backend,
    limits: HubLimits,
    started: Instant,
    /// Studies opened since the start (a reopen counts again).
    opens: AtomicU64,
    slots: Mutex<Slots>,
    /// The idle check's task, started with the first open (it needs a runtime) and again if
    /// the runtime it ran on is gone.
    reaper: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Default)]
struct Slots {
    map: HashMap<StudySlug, Slot>,
    /// Set by `close_all`: no study opens after it.
    closed: bool,
}

impl Slots {
    /// Studies open or being opened: what `open_studies_max` bounds. One being closed is on its
    /// way out, and the open that closes it for room waits for that before it opens.
    fn reserved(&self) -> usize {
        self.map.values().filter(|s| !matches!(s, Slot::Busy { closing: true, .. })).count()
    }

    /// The least recently used open study that no one holds.
    fn least_recently_used_idle(&self) -> Option<StudySlug> {
        self.map
            .iter()
            .filter_map(|(slug, slot)| match slot {
                Slot::Open { study, .. } if unheld(study) => Some((study.last_used_ms.load(Ordering::Relaxed), slug)),
                _ => None,
            })
            .min()
            .map(|(_, slug)| slug.clone())
    }

    /// Takes an open study out of the map for closing, leaving a busy slot that requests wait
    /// on; returns what the closing task needs.
    fn take_for_closing(&mut self, slug: &StudySlug) -> Option<Closing> {
        if !matches!(self.map.get(slug), Some(Slot::Open { .. })) {
            return None;
        }
        let (tx, rx) = watch::channel(None);
        match self.map.insert(slug.clone(), Slot::Busy { outcome: rx, closing: true }) {
            Some(Slot::Open { study, follower }) => Some(Closing { study, follower, done: tx }),
            _ => unreachable!("checked above, under the same lock"),
        }
    }
}

/// Whether no one but the hub holds a study (no request, no feed, no blocking work).
fn unheld(study: &Arc<OpenStudy>) -> bool {
    Arc::strong_count(study) == 1 && Arc::strong_count(&study.store) == 1
}

/// A study taken out of the map, to be closed.
struct Closing {
    study: Arc<OpenStudy>,
    follower: Follower,
    done: watch::Sender<Outcome>,
}

impl Hub {
    /// A hub for the studies of the data folder `data`, each opened in `backend` with `options`
    /// (the one master key beside the data folder).
    pub fn new(data: PathBuf, options: StoreOptions, backend: Backend, limits: HubLimits) -> Arc<Hub> {
        Arc::new(Hub {
            data,
            options,
            backend,
            limits,
            started: Instant::now(),
            opens: AtomicU64::new(0),
            slots: Mutex::new(Slots::default()),
            reaper: Mutex::new(None),
        })
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// The open study of `record`, opened now if it is not open. Waits for an open or close of
    /// it in progress.
    pub async fn get(self: &Arc<Self>, record: &StudyRecord) -> Result<Arc<OpenStudy>, HubError> {
        loop {
            let mut outcome = match self.lookup_or_start(record)? {
                Ok(study) => return Ok(study),
                Err(outcome) => outcome,
            };
            if let Some(Err(e)) = self.wait(&record.slug, &mut outcome).await {
                return Err(e);
            }
        }
    }

    /// Under the lock: the study if it is open, else a channel to wait on (for an open or close
    /// in progress, or for the open started now).
    fn lookup_or_start(
        self: &Arc<Self>,
        record: &StudyRecord,
    ) -> Result<Result<Arc<OpenStudy>, watch::Receiver<Outcome>>, HubError> {
        let mut slots = self.slots.lock().expect("hub lock");
        if slots.closed {
            return Err(HubError::ShuttingDown);
        }
        match slots.map.get(&record.slug) {
            Some(Slot::Open { study, .. }) => {
                study.last_used_ms.store(self.now_ms(), Ordering::Relaxed);
                return Ok(Ok(study.clone()));
            }
            Some(Slot::Busy { outcome, .. }) => return Ok(Err(outcome.clone())),
            None => {}
        }
        // Room first: at the bound, the least recently used idle study is closed before this
        // one opens.
        let victim = if slots.reserved() >= self.limits.open_studies_max {
            let full = || HubError::Full { slug: record.slug.clone(), open_studies_max: self.limits.open_studies_max };
            let slug = slots.least_recently_used_idle().ok_or_else(full)?;
            Some(slots.take_for_closing(&slug).ok_or_else(full)?)
        } else {
            None
        };
        let (tx, rx) = watch::channel(None);
        slots.map.insert(record.slug.clone(), Slot::Busy { outcome: rx.clone(), closing: false });
        drop(slots);
        self.ensure_reaper();
        tokio::spawn(self.clone().open_task(record.clone(), victim, tx));
        Ok(Err(rx))
    }

    /// Closes `victim` (if any) for room, opens the study, puts it in the map and says so to
    /// everyone waiting.
    async fn open_task(self: Arc<Self>, record: StudyRecord, victim: Option<Closing>, done: watch::Sender<Outcome>) {
        if let Some(v) = victim {
            tracing::info!(study = %v.study.slug, for_study = %record.slug, "closing the least recently used study for room");
            self.finish_closing(v).await;
        }
        let slug = record.slug.clone();
        let started = Instant::now();
        let (data, options, backend) = (self.data.clone(), self.options.clone(), self.backend.clone());
        let opened = tokio::task::spawn_blocking(move || open_study(&data, &options, &backend, record))
            .await
            .unwrap_or_else(|e| Err(HubError::Open { slug: slug.clone(), detail: format!("the open panicked: {e}") }));
        let result = match opened {
            Ok(study) => {
                study.last_used_ms.store(self.now_ms(), Ordering::Relaxed);
                let study = Arc::new(study);
                let follower = start_follower(&study);
                self.opens.fetch_add(1, Ordering::Relaxed);
                tracing::info!(study = %slug, ms = started.elapsed().as_millis() as u64, head = study.store.head().position.0, "study opened");
                let mut slots = self.slots.lock().expect("hub lock");
                slots.map.insert(slug, Slot::Open { study, follower });
                Ok(())
            }
            Err(e) => {
                tracing::error!(study = %slug, error = %e, "a study could not be opened");
                self.slots.lock().expect("hub lock").map.remove(&slug);
                Err(e)
            }
        };
        done.send_replace(Some(result));
    }

    /// Stops the follower, saves the checkpoint, closes the store; then the slot goes and those
    /// waiting look again.
    async fn finish_closing(&self, c: Closing) {
        let Closing { study, follower, done } = c;
        let slug = study.slug.clone();
        let _ = follower.stop.send(true);
        if let Err(e) = follower.task.await {
            tracing::warn!(study = %slug, error = %e, "the study's follower ended badly");
        }
        if let Err(e) = tokio::task::spawn_blocking(move || close_study(study)).await {
            tracing::error!(study = %slug, error = %e, "closing the study panicked");
        }
        self.slots.lock().expect("hub lock").map.remove(&slug);
        done.send_replace(Some(Ok(())));
    }

    /// Waits for the outcome of an open or close of `slug` in progress (at once if it is there).
    /// A channel closed without one means its task died (a panic): its slot is taken out, so
    /// that the next look opens the study anew instead of waiting for ever.
    async fn wait(&self, slug: &StudySlug, outcome: &mut watch::Receiver<Outcome>) -> Outcome {
        let ended = outcome.wait_for(Option::is_some).await.map(|o| o.clone());
        match ended {
            Ok(o) => o,
            Err(_) => {
                let mut slots = self.slots.lock().expect("hub lock");
                if matches!(slots.map.get(slug), Some(Slot::Busy { outcome: o, .. }) if o.same_channel(outcome)) {
                    tracing::error!(study = %slug, "an open or close of the study ended without an outcome");
                    slots.map.remove(slug);
                }
                None
            }
        }
    }

    /// Closes every study that no one holds and no one has asked for in `idle_close_ms`; returns
    /// how many. The idle check's one pass.
    pub async fn close_idle(&self) -> usize {
        let now = self.now_ms();
        let idle = self.limits.idle_close_ms;
        let closing: Vec<Closing> = {
            let mut slots = self.slots.lock().expect("hub lock");
            let due: Vec<StudySlug> = slots
                .map
                .iter()
                .filter_map(|(slug, slot)| match slot {
                    Slot::Open { study, .. }
                        if unheld(study) && now.saturating_sub(study.last_used_ms.load(Ordering::Relaxed)) >= idle =>
                    {
                        Some(slug.clone())
                    }
                    _ => None,
                })
                .collect();
            due.iter().filter_map(|slug| slots.take_for_closing(slug)).collect()
        };
        let n = closing.len();
        for c in closing {
            tracing::info!(study = %c.study.slug, idle_ms = now.saturating_sub(c.study.last_used_ms.load(Ordering::Relaxed)), "closing an idle study");
            self.finish_closing(c).await;
        }
        n
    }

    /// For shutdown: no study opens after this; every open study's follower stops, its
    /// checkpoint is saved and its store closed (a study still held, by a feed that has not
    /// ended, is saved and closes when the last holder lets go).
    pub async fn close_all(&self) {
        loop {
            let (closing, busy) = {
                let mut slots = self.slots.lock().expect("hub lock");
                slots.closed = true;
                let open: Vec<StudySlug> =
                    slots.map.iter().filter(|(_, s)| matches!(s, Slot::Open { .. })).map(|(k, _)| k.clone()).collect();
                let busy: Vec<_> = slots
                    .map
                    .iter()
                    .filter_map(|(slug, s)| match s {
                        Slot::Busy { outcome, .. } => Some((slug.clone(), outcome.clone())),
                        Slot::Open { .. } => None,
                    })
                    .collect();
                let closing: Vec<Closing> = open.iter().filter_map(|slug| slots.take_for_closing(slug)).collect();
                (closing, busy)
            };
            if closing.is_empty() && busy.is_empty() {
                break;
            }
            for c in closing {
                self.finish_closing(c).await;
            }
            // Opens and closes in progress finish on their own; an open then is closed on the
            // next turn.
            for (slug, mut outcome) in busy {
                self.wait(&slug, &mut outcome).await;
            }
        }
        if let Some(r) = self.reaper.lock().expect("reaper lock").take() {
            r.abort();
        }
    }

    /// How many times a study was opened since the hub started.
    pub fn opens(&self) -> u64 {
        self.opens.load(Ordering::Relaxed)
    }

    /// The slugs of the studies open now, in no order.
    pub fn open_studies(&self) -> Vec<StudySlug> {
        let slots = self.slots.lock().expect("hub lock");
        slots.map.iter().filter(|(_, s)| matches!(s, Slot::Open { .. })).map(|(k, _)| k.clone()).collect()
    }

    /// The study if it is open now, without opening it or counting this as a use (for metrics
    /// and health).
    pub fn if_open(&self, slug: &StudySlug) -> Option<Arc<OpenStudy>> {
        match self.slots.lock().expect("hub lock").map.get(slug) {
            Some(Slot::Open { study, .. }) => Some(study.clone()),
            _ => None,
        }
    }

    /// Whether any open study's store refuses work after a failed write.
    pub fn any_failed(&self) -> bool {
        let slots = self.slots.lock().expect("hub lock");
        slots.map.values().any(|s| matches!(s, Slot::Open { study, .. } if crate::backend::failed(&study.store)))
    }

    /// Starts the idle check unless it runs. It holds the hub weakly: it ends when the hub is
    /// dropped or closed.
    fn ensure_reaper(self: &Arc<Self>) {
        let mut reaper = self.reaper.lock().expect("reaper lock");
        if reaper.as_ref().is_some_and(|r| !r.is_finished()) {
            return;
        }
        let hub = Arc::downgrade(self);
        let tick = Duration::from_millis((self.limits.idle_close_ms / 4).clamp(REAP_TICK_MS_MIN, REAP_TICK_MS_MAX));
        *reaper = Some(tokio::spawn(reap(hub, tick)));
    }
}

async fn reap(hub: Weak<Hub>, tick: Duration) {
    loop {
        tokio::time::sleep(tick).await;
        let Some(hub) = hub.upgrade() else { return };
        if hub.slots.lock().expect("hub lock").closed {
            return;
        }
        hub.close_idle().await;
    }
}

/// Opens a study's store and its projections (from their checkpoint, or by replaying the log).
/// Blocking.
fn open_study(
    data: &std::path::Path,
    options: &StoreOptions,
    backend: &Backend,
    record: StudyRecord,
) -> Result<OpenStudy, HubError> {
    let folder = study_folder(data, &record);
    let failed = |detail: String| HubError::Open { slug: record.slug.clone(), detail };
    let unavailable = |detail: String| HubError::Database { slug: record.slug.clone(), detail };
    let store = backend.open(&folder, Some(&record.slug), options).map_err(|e| match e {
        StudiesError::Store(StoreError::Postgres(d)) => unavailable(d),
        e => failed(e.to_string()),
    })?;
    // Nothing leaves a data folder unannounced: what recovery moved to quarantine goes to the
    // server's log.
    for q in store.recovered() {
        tracing::warn!(study = %record.slug, kept_in = %q.kept_in.display(), source = %q.source, from = q.from, to = q.to, "recovery: {}", q.what);
    }
    if let Some(copy) = store.keys_restored() {
        tracing::warn!(study = %record.slug, copy, "recovery: a copy of the key file was written again from the other");
    }
    let engine = match Engine::open(&store, &folder.join("projections")) {
        Ok(e) => e,
        Err(EngineError::Store(StoreError::Postgres(d))) => {
            store.close();
            return Err(unavailable(d));
        }
        Err(e) => {
            store.close();
            return Err(failed(format!("projections: {e}")));
        }
    };
    Ok(OpenStudy {
        slug: record.slug.clone(),
        folder,
        record,
        store: Arc::new(store),
        live: RwLock::new(engine),
        views: ViewCache::default(),
        feed_cache: FeedCache::default(),
        notes: RwLock::new(None),
        notes_gate: Mutex::new(()),
        last_used_ms: AtomicU64::new(0),
    })
}

/// Saves the checkpoint and closes the store. Blocking.
fn close_study(study: Arc<OpenStudy>) {
    study.save_checkpoint();
    let slug = study.slug.clone();
    let Ok(study) = Arc::try_unwrap(study) else {
        tracing::warn!(study = %slug, "the study is still in use as it closes; its store closes when the last user lets go");
        return;
    };
    match Arc::try_unwrap(study.store) {
        Ok(store) => store.close(),
        Err(_) => {
            tracing::warn!(study = %slug, "the study's store is still in use as it closes; it closes when the last user lets go")
        }
    }
    tracing::info!(study = %slug, "study closed");
}

/// Positions the follower takes as news at once; it only needs to learn that there is more.
const FOLLOW_NEWS_POSITIONS_MAX: usize = 4_096;

/// Starts the task that keeps the study's live projections caught up as events arrive, so that
/// views answer without replay. It holds the study weakly, so that it never keeps it open.
fn start_follower(study: &Arc<OpenStudy>) -> Follower {
    let (stop, mut stopped) = watch::channel(false);
    let mut sub = study.store.subscribe(Position(study.projected() + 1));
    let weak = Arc::downgrade(study);
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                // Only the news that there is more: the engine reads the events itself. An
                // error means the store closed.
                next = sub.next_positions(FOLLOW_NEWS_POSITIONS_MAX) => if next.is_err() { return },
                _ = stopped.changed() => return,
            }
            let Some(study) = weak.upgrade() else { return };
            if let Err(e) = study.catch_up().await {
                tracing::warn!(study = %study.slug, error = ?e, "projections could not catch up");
            }
            // The notes index, once a request built it, follows too (a forget rebuilds it).
            let notes = study.clone();
            match tokio::task::spawn_blocking(move || notes.notes_catch_up_blocking(false)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(study = %study.slug, error = %e, "the notes index could not catch up"),
                Err(e) => tracing::warn!(study = %study.slug, error = %e, "the notes index's catch-up panicked"),
            }
        }
    });
    Follower { stop, task }
}
