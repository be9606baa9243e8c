//! The state the writer thread and readers share, and reading events back from the log.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use tokio::sync::watch;

use super::decide::{RetryDigest, RETRY_DIGEST_BYTES};
use super::index::{Entry, Indexes};
use super::log::{Frame, FrameError, LogFile, INDEX_BYTES};
use super::subscription::LogReader;
use super::{Head, StoreError};
use crate::envelope::RecordedEvent;
use crate::ids::{EventId, Position};
use crate::keyfile::KeyFile;
use crate::limits::PAGE_EVENTS_MAX;

// The frame's index part holds exactly a retry digest.
const _: () = assert!(INDEX_BYTES == RETRY_DIGEST_BYTES);

pub(crate) struct Shared {
    pub(crate) index: Indexes,
    /// The events themselves, in commit order.
    pub(crate) log: LogFile,
    /// The end of the committed log: readers read below it, the writer appends at it.
    pub(crate) log_end: AtomicU64,
    /// The last position that is durable. Readers never see past it, so nobody can observe an
    /// event that a crash could still take away.
    pub(crate) durable: AtomicU64,
    pub(crate) head: Mutex<Head>,
    pub(crate) head_tx: watch::Sender<u64>,
    pub(crate) keys: Mutex<KeyFile>,
    pub(crate) failed: AtomicBool,
}

/// An event read back from the log.
#[derive(Clone)]
pub(crate) struct Loaded {
    pub(crate) event: RecordedEvent,
    /// What tells a retry from a conflict (the frame's index part).
    pub(crate) retry: RetryDigest,
    /// The sealed part's ciphertext; `None` if there is none or it was destroyed (zeros).
    pub(crate) ciphertext: Option<Vec<u8>>,
    pub(crate) offset: u64,
}

/// Turns an event frame into a `Loaded`, checking that it says it is at `expected` (the
/// read-side half of the position assertion; the writer checks before writing).
pub(crate) fn loaded(frame: Frame, offset: u64, expected: Option<u64>) -> Result<Loaded, StoreError> {
    let Frame::Event { record, index, ciphertext } = frame else {
        let what = expected.map(|p| format!("the event at position {p}")).unwrap_or_else(|| "an event".into());
        return Err(StoreError::Corrupt(format!("offset {offset} holds a commit where {what} was expected")));
    };
    let event = RecordedEvent::decode(&record).map_err(|e| StoreError::Corrupt(format!("offset {offset}: {e}")))?;
    if let Some(p) = expected {
        if event.position.0 != p {
            return Err(StoreError::Corrupt(format!("the record at position {p} says it is at {}", event.position)));
        }
    }
    let ciphertext = match (&event.sealed, ciphertext.len()) {
        (_, 0) => None,
        (Some(m), n) if n == m.ciphertext_bytes as usize => (!ciphertext.iter().all(|b| *b == 0)).then_some(ciphertext),
        (_, n) => {
            return Err(StoreError::Corrupt(format!(
                "position {}: {n} bytes of ciphertext that its record does not announce",
                event.position
            )))
        }
    };
    Ok(Loaded { event, retry: RetryDigest::from_bytes(&index), ciphertext, offset })
}

/// The index entry of a committed event whose frame is at `offset`.
pub(crate) fn entry_of(e: &RecordedEvent, offset: u64) -> Entry {
    Entry { position: e.position, offset, id: e.id, stream: e.stream.clone() }
}

pub(crate) fn frame_error(p: Position, e: FrameError) -> StoreError {
    match e {
        FrameError::Io(e) => StoreError::Io(e),
        FrameError::End => StoreError::Corrupt(format!("position {p} lies past the end of the log")),
        FrameError::Torn(m) => StoreError::Corrupt(format!("position {p}: {m}")),
    }
}

impl Shared {
    pub(crate) fn durable(&self) -> u64 {
        self.durable.load(Ordering::Acquire)
    }

    pub(crate) fn head(&self) -> Head {
        *self.head.lock().expect("head lock")
    }

    /// The event at a durable position, with its index part and ciphertext.
    pub(crate) fn load(&self, p: Position) -> Result<Option<Loaded>, StoreError> {
        if p.0 == 0 || p.0 > self.durable() {
            return Ok(None);
        }
        let off = self.index.offsets_of(&[p.0])?[0];
        self.load_at(p, off)
    }

    /// The event at a durable position whose frame an index says is at `off`.
    pub(crate) fn load_at(&self, p: Position, off: u64) -> Result<Option<Loaded>, StoreError> {
        if p.0 == 0 || p.0 > self.durable() {
            return Ok(None);
        }
        let end = self.log_end.load(Ordering::Acquire);
        let (frame, _) = self.log.read_frame(off, end).map_err(|e| frame_error(p, e))?;
        loaded(frame, off, Some(p.0)).map(Some)
    }

    pub(crate) fn read_range(&self, from: Position, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        Ok(self.read_range_loaded(from, limit)?.into_iter().map(|l| l.event).collect())
    }

    /// As `read_range`, each event with its index part and ciphertext.
    pub(crate) fn read_range_loaded(&self, from: Position, limit: usize) -> Result<Vec<Loaded>, StoreError> {
        let durable = self.durable();
        let from = from.0.max(1);
        if from > durable || limit == 0 {
            return Ok(Vec::new());
        }
        let limit = limit.min(PAGE_EVENTS_MAX).min((durable - from + 1) as usize);
        let off = self.index.offsets_of(&[from])?[0];
        let end = self.log_end.load(Ordering::Acquire);
        let (frames, next) = self.log.read_frames(off, end, limit).map_err(|e| frame_error(Position(from), e))?;
        let mut out = Vec::with_capacity(limit);
        for (at, frame) in frames {
            if let Frame::Commit { .. } = frame {
                continue;
            }
            let expected = from + out.len() as u64;
            out.push(loaded(frame, at, Some(expected))?);
        }
        if out.len() != limit {
            // The read stopped at a damaged frame: name it by its own position and offset.
            let missing = Position(from + out.len() as u64);
            return Err(match self.log.read_frame(next, end) {
                Err(e) => frame_error(missing, e),
                Ok(_) => StoreError::Corrupt(format!("position {missing} is missing")),
            });
        }
        Ok(out)
    }

    pub(crate) fn event_at(&self, p: Position) -> Result<Option<RecordedEvent>, StoreError> {
        Ok(self.load(p)?.map(|l| l.event))
    }

    pub(crate) fn ciphertext_at(&self, p: Position) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.load(p)?.and_then(|l| l.ciphertext))
    }

    /// The stored, visible event `id`, if there is one.
    pub(crate) fn find(&self, id: EventId) -> Result<Option<Loaded>, StoreError> {
        for p in self.index.id_candidates(id)? {
            // An event indexed but not yet visible (it is being published) is not there yet.
            if let Some(l) = self.load(p)? {
                if l.event.id == id {
                    return Ok(Some(l));
                }
            }
        }
        Ok(None)
    }
}

impl LogReader for Shared {
    fn read_range(&self, from: Position, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        Shared::read_range(self, from, limit)
    }
}
