//! The engine: feeds events from the store to the projections, resolves corrections, keeps a
//! checkpoint so that opening a large log does not replay it, and replays into a fresh state for
//! time travel. Only the engine does I/O; the projections' `add`/`remove` are pure.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use parlog_core::{DomainEvent, EventId, EventStore, Hash, Position, RecordedEvent, StoreError};
use serde::{Deserialize, Serialize};

use crate::fact::Fact;
use crate::Projections;

/// Which part of the log a view is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOf {
    /// The whole log.
    Head,
    /// The log up to and including a position.
    Position(u64),
    /// Events that happened (`occurred_at`) on or before a day, whenever they were recorded.
    Occurred(NaiveDate),
    /// Events recorded (`recorded_at`, server clock) on or before a day.
    Recorded(NaiveDate),
}

impl AsOf {
    /// The day views should treat as "today": the as-of day, if one was given.
    pub fn day(self) -> Option<NaiveDate> {
        match self {
            AsOf::Occurred(d) | AsOf::Recorded(d) => Some(d),
            _ => None,
        }
    }
    fn includes(self, e: &RecordedEvent) -> bool {
        match self {
            AsOf::Head => true,
            AsOf::Position(p) => e.position.0 <= p,
            AsOf::Occurred(d) => e.occurred_at.date() <= d,
            AsOf::Recorded(d) => e.recorded_at.utc().date_naive() <= d,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("checkpoint {path}: {message}")]
    Checkpoint { path: String, message: String },
}

/// Events read from the store per page while catching up.
const READ_PAGE_EVENTS: usize = 4_096;
const CHECKPOINT_FILE: &str = "checkpoint.json";

/// The projections at a position of the log.
pub struct Engine {
    pub state: Projections,
    /// The last position applied (0 before any).
    pub position: u64,
    /// The hash of the event at `position`, to recognise the same log when a checkpoint is read.
    pub hash: Hash,
    /// The last position whose event the projections include (for a view as of a day, events
    /// after it may have been read and left out), and its hash: together they name the log
    /// prefix a view rests on.
    pub included: u64,
    pub included_hash: Hash,
    checkpoint_dir: Option<PathBuf>,
    /// Position of the last checkpoint written or read.
    saved_at: u64,
}

#[derive(Serialize, Deserialize)]
struct Checkpoint {
    version: String,
    position: u64,
    hash: Hash,
    state: Projections,
}

impl Engine {
    /// A fresh engine at position 0.
    pub fn new() -> Engine {
        Engine {
            state: Projections::default(),
            position: 0,
            hash: Hash::ZERO,
            included: 0,
            included_hash: Hash::ZERO,
            checkpoint_dir: None,
            saved_at: 0,
        }
    }

    /// Opens the projections of a store: from the checkpoint in `dir` if it belongs to this log
    /// and this version of the projections, else from scratch; then catches up to the head.
    pub fn open(store: &dyn EventStore, dir: &Path) -> Result<Engine, EngineError> {
        let mut engine = Engine::new();
        engine.checkpoint_dir = Some(dir.to_path_buf());
        if let Some(cp) = read_checkpoint(dir)? {
            let same_log = store.read_from(Position(cp.position), 1)?.first().map(|e| e.hash) == Some(cp.hash);
            if cp.version == Projections::VERSION && cp.position > 0 && same_log {
                engine.state = cp.state;
                engine.position = cp.position;
                engine.hash = cp.hash;
                engine.included = cp.position;
                engine.included_hash = cp.hash;
                engine.saved_at = cp.position;
            }
        }
        engine.catch_up(store)?;
        Ok(engine)
    }

    /// Applies every event after `position` up to the head. Returns how many were applied.
    pub fn catch_up(&mut self, store: &dyn EventStore) -> Result<u64, EngineError> {
        self.advance(store, AsOf::Head)
    }

    /// Throws the state away and replays the whole log.
    pub fn rebuild(&mut self, store: &dyn EventStore) -> Result<u64, EngineError> {
        self.state = Projections::default();
        self.position = 0;
        self.hash = Hash::ZERO;
        self.included = 0;
        self.included_hash = Hash::ZERO;
        self.catch_up(store)
    }

    /// The projections as of a point, replayed into a fresh state: the live state is not touched.
    pub fn as_of(store: &dyn EventStore, as_of: AsOf) -> Result<Engine, EngineError> {
        let mut e = Engine::new();
        e.advance(store, as_of)?;
        Ok(e)
    }

    fn advance(&mut self, store: &dyn EventStore, as_of: AsOf) -> Result<u64, EngineError> {
        let mut applied = 0;
        let mut next = self.position + 1;
        loop {
            let page = store.read_from(Position(next), READ_PAGE_EVENTS)?;
            let Some(last) = page.last() else { break };
            next = last.position.0 + 1;
            let mut stop = false;
            for e in &page {
                if let AsOf::Position(p) = as_of {
                    if e.position.0 > p {
                        stop = true;
                        break;
                    }
                }
                assert_eq!(e.position.0, self.position + 1, "projections see every position once, in order");
                if as_of.includes(e) {
                    self.apply(store, e, as_of)?;
                    applied += 1;
                    self.included = e.position.0;
                    self.included_hash = e.hash;
                }
                self.position = e.position.0;
                self.hash = e.hash;
            }
            if stop {
                break;
            }
        }
        Ok(applied)
    }

    /// Applies one event. Corrections are resolved here: the projections get the target's
    /// current version removed and the amended version added.
    fn apply(&mut self, store: &dyn EventStore, e: &RecordedEvent, as_of: AsOf) -> Result<(), EngineError> {
        // An event this parlog cannot read (a newer schema) is skipped, never an error: views
        // must always render.
        let Ok(data) = e.domain() else { return Ok(()) };
        let fact = Fact::from_recorded(e, data);
        match &fact.data {
            DomainEvent::EventAmended(a) => {
                let Some(target) = self.current(store, a.target, as_of)? else { return Ok(()) };
                let Ok(new) = DomainEvent::parse(target.data.kind(), &parlog_core::canonical_json(&a.payload)) else {
                    return Ok(());
                };
                self.state.remove(&target);
                self.state.corrections.amend(target.position, &new, a.reason.to_string(), fact.src());
                let revised = Fact { data: new, revision: target.revision + 1, ..target };
                self.state.add(&revised);
            }
            DomainEvent::EventRetracted(r) => {
                let Some(target) = self.current(store, r.target, as_of)? else { return Ok(()) };
                self.state.remove(&target);
                self.state.corrections.retract(target.position, r.reason.to_string(), fact.src());
            }
            _ => self.state.add(&fact),
        }
        Ok(())
    }

    /// The current version of an event that the projections hold, if they hold it.
    fn current(&self, store: &dyn EventStore, id: EventId, as_of: AsOf) -> Result<Option<Fact>, EngineError> {
        let Some(target) = store.get(id)? else { return Ok(None) };
        if target.position.0 > self.position || !as_of.includes(&target) {
            return Ok(None);
        }
        let c = &self.state.corrections;
        if c.is_retracted(target.position.0) {
            return Ok(None);
        }
        let data = match c.latest_payload(target.position.0) {
            Some(p) => DomainEvent::parse(target.kind, p).ok(),
            None => target.domain().ok(),
        };
        Ok(data.map(|d| Fact { revision: c.revision(target.position.0), ..Fact::from_recorded(&target, d) }))
    }

    /// Writes the checkpoint if the engine moved since the last one (atomically: write, sync,
    /// rename).
    pub fn save_checkpoint(&mut self) -> Result<(), EngineError> {
        let Some(dir) = &self.checkpoint_dir else { return Ok(()) };
        if self.position == self.saved_at {
            return Ok(());
        }
        let err = |m: String| EngineError::Checkpoint { path: dir.display().to_string(), message: m };
        std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
        let cp = Checkpoint {
            version: Projections::VERSION.to_string(),
            position: self.position,
            hash: self.hash,
            state: self.state.clone(),
        };
        let bytes = serde_json::to_vec(&cp).map_err(|e| err(e.to_string()))?;
        let tmp = dir.join("checkpoint.tmp");
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp).map_err(|e| err(e.to_string()))?;
            f.write_all(&bytes).map_err(|e| err(e.to_string()))?;
            f.sync_all().map_err(|e| err(e.to_string()))?;
        }
        std::fs::rename(&tmp, dir.join(CHECKPOINT_FILE)).map_err(|e| err(e.to_string()))?;
        self.saved_at = self.position;
        Ok(())
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

fn read_checkpoint(dir: &Path) -> Result<Option<Checkpoint>, EngineError> {
    let path = dir.join(CHECKPOINT_FILE);
    match std::fs::read(&path) {
        // A checkpoint that cannot be read is only a cache: rebuild instead.
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(EngineError::Checkpoint { path: path.display().to_string(), message: e.to_string() }),
    }
}
