//! The engine: feeds events from a [`Source`] (a store, or a log in memory) to the projections,
//! resolves corrections and citations, keeps a checkpoint (`checkpoint.rs`) so that opening a
//! large log does not replay it, and replays into a fresh state for time travel. Only the engine
//! does I/O (reading its source, and the checkpoint file); the projections' `add`/`remove` are
//! pure.
//!
//! A long replay runs as a pipeline: reader threads read and parse pages of the log (each every
//! other page), and the calling thread applies them strictly in log order, so the state is the
//! same as from a plain loop; only reading overlaps with folding.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use chrono::NaiveDate;
use parlog_core::{DomainEvent, EventId, EventKind, Hash, Position, RecordedEvent, StoreError, Timestamp};

mod checkpoint;

pub use checkpoint::check_checkpoint;
use checkpoint::{Checkpoint, CheckpointHead};

use crate::fact::Fact;
use crate::source::Source;
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
        self.includes_at(e.position.0, e.occurred_at, e.recorded_at)
    }
    fn includes_at(self, position: u64, occurred: Timestamp, recorded: Timestamp) -> bool {
        match self {
            AsOf::Head => true,
            AsOf::Position(p) => position <= p,
            AsOf::Occurred(d) => occurred.date() <= d,
            AsOf::Recorded(d) => recorded.utc().date_naive() <= d,
        }
    }
    /// The last position a view may include.
    fn last_position(self) -> u64 {
        match self {
            AsOf::Position(p) => p,
            _ => u64::MAX,
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

/// Events read from the source per page while catching up. Small pages keep little in flight
/// between the reader threads and the folding thread: a rebuild of 1M events peaked at about
/// 300 MiB with pages of 4,096, 275 with 1,024, 246 with 512 (no less with 256), and was no
/// slower.
const READ_PAGE_EVENTS: usize = 512;
/// Below this many events to apply, reading on other threads costs more than it saves.
const PIPELINE_EVENTS_MIN: u64 = 4 * READ_PAGE_EVENTS as u64;
/// Reader threads of the pipeline: two keep one folding thread busy on two cores.
const PIPELINE_READERS: usize = 2;
/// Pages each reader may have read ahead of the folding thread (memory: about 256 KiB a page).
const PIPELINE_PAGES_AHEAD: usize = 2;

/// One event as read for the projections: where it is, and its fact (`None`: a payload this
/// parlog cannot read, which is skipped).
struct Read {
    position: u64,
    hash: Hash,
    occurred: Timestamp,
    recorded: Timestamp,
    fact: Option<Fact>,
}

/// Reads and parses up to `limit` events from `from`.
fn read_page<S: Source + ?Sized>(source: &S, from: u64, limit: usize) -> Result<Vec<Read>, StoreError> {
    let page = source.page(Position(from), limit)?;
    Ok(page
        .into_iter()
        .map(|e| {
            let (position, hash, occurred, recorded) = (e.position.0, e.hash, e.occurred_at, e.recorded_at);
            // An event this parlog cannot read (a newer schema) is skipped, never an error:
            // views must always render.
            let fact = e.domain().ok().map(|data| Fact::from_owned(e, data));
            Read { position, hash, occurred, recorded, fact }
        })
        .collect())
}

/// How many events the page starting at `from` asks for, reading no further than `last`.
fn page_limit(from: u64, last: u64) -> usize {
    (last - from).saturating_add(1).min(READ_PAGE_EVENTS as u64) as usize
}

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
    /// The ids and positions of the events applied last. Corrections and citations nearly always
    /// name recent events; found here, the event is read by position, which spares the store's
    /// lookup by id (tens of megabytes to build for a large log, which a rebuild need not pay).
    /// Only a hint: the event read must have the id, so results are the same without it.
    recent: VecDeque<(EventId, u64)>,
}

/// Events in [`Engine::recent`].
const RECENT_EVENTS_MAX: usize = 4_096;

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
            recent: VecDeque::with_capacity(RECENT_EVENTS_MAX),
        }
    }

    /// Opens the projections of a log: from the checkpoint in `dir` if it belongs to this log
    /// and this version of the projections, else from scratch; then catches up to the head.
    pub fn open<S: Source + ?Sized>(source: &S, dir: &Path) -> Result<Engine, EngineError> {
        let mut engine = Engine::new();
        engine.checkpoint_dir = Some(dir.to_path_buf());
        if let Some(Checkpoint { head: cp, state }) = checkpoint::read(dir)? {
            let same_log = source.at(Position(cp.position))?.map(|e| e.hash) == Some(cp.hash);
            if cp.position > 0 && same_log {
                engine.state = state;
                engine.position = cp.position;
                engine.hash = cp.hash;
                engine.included = cp.position;
                engine.included_hash = cp.hash;
                engine.saved_at = cp.position;
                let recent = cp.recent.into_iter().filter(|(_, p)| *p <= cp.position);
                engine.recent = recent.take(RECENT_EVENTS_MAX).collect();
            }
        }
        engine.catch_up(source)?;
        Ok(engine)
    }

    /// Applies every event after `position` up to the head. Returns how many were applied.
    pub fn catch_up<S: Source + ?Sized>(&mut self, source: &S) -> Result<u64, EngineError> {
        self.advance(source, AsOf::Head)
    }

    /// Throws the state away and replays the whole log.
    pub fn rebuild<S: Source + ?Sized>(&mut self, source: &S) -> Result<u64, EngineError> {
        self.state = Projections::default();
        self.position = 0;
        self.hash = Hash::ZERO;
        self.included = 0;
        self.included_hash = Hash::ZERO;
        self.recent.clear();
        self.catch_up(source)
    }

    /// The projections as of a point, replayed into a fresh state: the live state is not touched.
    pub fn as_of<S: Source + ?Sized>(source: &S, as_of: AsOf) -> Result<Engine, EngineError> {
        let mut e = Engine::new();
        e.advance(source, as_of)?;
        Ok(e)
    }

    fn advance<S: Source + ?Sized>(&mut self, source: &S, as_of: AsOf) -> Result<u64, EngineError> {
        let last = as_of.last_position();
        let todo = source.head().position.0.min(last).saturating_sub(self.position);
        if todo >= PIPELINE_EVENTS_MIN && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1) {
            return self.advance_pipelined(source, as_of);
        }
        let mut applied = 0;
        let mut next = self.position + 1;
        while next <= last {
            let limit = page_limit(next, last);
            let mut page = read_page(source, next, limit)?;
            let full = page.len() == limit;
            next += page.len() as u64;
            applied += self.apply_page(source, &mut page, as_of)?;
            if !full {
                break;
            }
        }
        Ok(applied)
    }

    /// As the loop in [`Engine::advance`], with pages read and parsed by reader threads; reader
    /// `r` reads pages `r`, `r + READERS`, …, and pages are applied in order. A page shorter than
    /// asked for ends the replay (the head was there when it was read), as an error does;
    /// dropping the channels then stops the readers. Applied pages go back to their reader to be
    /// freed there: memory is freed fastest by the thread that allocated it.
    fn advance_pipelined<S: Source + ?Sized>(&mut self, source: &S, as_of: AsOf) -> Result<u64, EngineError> {
        let last = as_of.last_position();
        let start = self.position + 1;
        let page_start = |k: u64| start.saturating_add(k.saturating_mul(READ_PAGE_EVENTS as u64));
        std::thread::scope(|s| {
            let mut pages = Vec::with_capacity(PIPELINE_READERS);
            for r in 0..PIPELINE_READERS {
                let (tx, rx) = mpsc::sync_channel::<Result<Vec<Read>, StoreError>>(PIPELINE_PAGES_AHEAD);
                let (done_tx, done_rx) = mpsc::channel::<Vec<Read>>();
                pages.push((rx, done_tx));
                s.spawn(move || {
                    let mut k = r as u64;
                    while page_start(k) <= last {
                        while let Ok(done) = done_rx.try_recv() {
                            drop(done);
                        }
                        let limit = page_limit(page_start(k), last);
                        let page = read_page(source, page_start(k), limit);
                        let more = matches!(&page, Ok(p) if p.len() == limit);
                        if tx.send(page).is_err() || !more {
                            break;
                        }
                        k += PIPELINE_READERS as u64;
                    }
                });
            }
            let mut applied = 0;
            for k in 0u64.. {
                if page_start(k) > last {
                    break;
                }
                let limit = page_limit(page_start(k), last);
                // A reader that stopped (after a short page) closes its channel.
                let (page, done) = &pages[k as usize % PIPELINE_READERS];
                let Ok(page) = page.recv() else { break };
                let mut page = page?;
                let full = page.len() == limit;
                applied += self.apply_page(source, &mut page, as_of)?;
                // A reader that has stopped no longer takes pages back; this thread frees them.
                let _ = done.send(page);
                if !full {
                    break;
                }
            }
            Ok(applied)
        })
    }

    /// Applies a page of events that follows `position`. Returns how many the view includes.
    fn apply_page<S: Source + ?Sized>(
        &mut self,
        source: &S,
        page: &mut [Read],
        as_of: AsOf,
    ) -> Result<u64, EngineError> {
        let mut applied = 0;
        for r in page {
            assert_eq!(r.position, self.position + 1, "projections see every position once, in order");
            if as_of.includes_at(r.position, r.occurred, r.recorded) {
                if let Some(fact) = &mut r.fact {
                    self.apply(source, fact, as_of)?;
                    if self.recent.len() == RECENT_EVENTS_MAX {
                        self.recent.pop_front();
                    }
                    self.recent.push_back((fact.id, r.position));
                }
                applied += 1;
                self.included = r.position;
                self.included_hash = r.hash;
            }
            self.position = r.position;
            self.hash = r.hash;
        }
        Ok(applied)
    }

    /// Applies one event. Corrections are resolved here: the projections get the target's
    /// current version removed and the amended version added.
    fn apply<S: Source + ?Sized>(&mut self, source: &S, fact: &mut Fact, as_of: AsOf) -> Result<(), EngineError> {
        match &fact.data {
            DomainEvent::EventAmended(a) => {
                let Some(target) = self.current(source, a.target, as_of)? else { return Ok(()) };
                let Ok(new) = DomainEvent::parse(target.data.kind(), &parlog_core::canonical_json(&a.payload)) else {
                    return Ok(());
                };
                self.state.remove(&target);
                self.state.corrections.amend(target.position, &new, a.reason.to_string(), fact.src());
                let mut revised = Fact { data: new, revision: target.revision + 1, ..target };
                self.cite(source, &mut revised, as_of)?;
                self.state.add(&revised);
            }
            DomainEvent::EventRetracted(r) => {
                let Some(target) = self.current(source, r.target, as_of)? else { return Ok(()) };
                self.state.remove(&target);
                self.state.corrections.retract(target.position, r.reason.to_string(), fact.src());
            }
            _ => {
                self.cite(source, fact, as_of)?;
                self.coded_subjects(source, fact)?;
                self.state.add(fact);
            }
        }
        Ok(())
    }

    /// For a reflection, finds the field notes it cites that the projections hold: first among
    /// the notes of its own cycle (where they nearly always are), else in the log. Sets
    /// [`Fact::cited`].
    fn cite<S: Source + ?Sized>(&self, source: &S, fact: &mut Fact, as_of: AsOf) -> Result<(), EngineError> {
        let DomainEvent::ReflectionRecorded(r) = &fact.data else { return Ok(()) };
        let own = self.state.cycles.cycle(fact.stream.as_str());
        let mut cited = Vec::with_capacity(r.observations.len());
        for id in r.observations.iter() {
            if let Some(src) = own.and_then(|c| c.note_src(*id)) {
                cited.push(src);
            } else if let Some(note) = self.current(source, *id, as_of)? {
                if note.data.kind() == EventKind::ObservationRecorded {
                    cited.push(note.src());
                }
            }
        }
        fact.cited = cited;
        Ok(())
    }

    /// For a coded excerpt, finds whose sealed text it codes (the source's data subjects), so
    /// that forgetting a subject forgets the codings on their text too. Sets
    /// [`Fact::coded_subjects`]. An amendment does not change whose text it is: the subjects are
    /// the source's as recorded.
    fn coded_subjects<S: Source + ?Sized>(&self, source: &S, fact: &mut Fact) -> Result<(), EngineError> {
        let DomainEvent::ExcerptCoded(x) = &fact.data else { return Ok(()) };
        if let Some(sealed) = source.by_id(x.source)?.and_then(|e| e.sealed) {
            fact.coded_subjects = sealed.subjects.iter().map(|s| s.to_string()).collect();
        }
        Ok(())
    }

    /// The current version of an event that the projections hold, if they hold it.
    fn current<S: Source + ?Sized>(&self, source: &S, id: EventId, as_of: AsOf) -> Result<Option<Fact>, EngineError> {
        let recent = match self.recent.iter().rev().find(|(i, _)| *i == id) {
            Some((_, p)) => source.at(Position(*p))?.filter(|e| e.id == id),
            None => None,
        };
        let target = match recent {
            Some(t) => t,
            None => match source.by_id(id)? {
                Some(t) => t,
                None => return Ok(None),
            },
        };
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

    /// Writes the checkpoint if the engine moved since the last one.
    pub fn save_checkpoint(&mut self) -> Result<(), EngineError> {
        let Some(dir) = &self.checkpoint_dir else { return Ok(()) };
        if self.position == self.saved_at {
            return Ok(());
        }
        let head = CheckpointHead {
            version: Projections::VERSION.to_string(),
            position: self.position,
            hash: self.hash,
            recent: self.recent.iter().copied().collect(),
        };
        checkpoint::write(dir, &head, &self.state)?;
        self.saved_at = self.position;
        Ok(())
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}
