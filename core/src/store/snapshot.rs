//! A study of the embedded store read without opening it: what the command line reads while a
//! running `parlog serve` holds the study (sled's lock on the indexes allows one process).
//!
//! **Changes nothing.** As `check.rs` does, the log is read through a read-only handle and the
//! key files are read whole; sled's folder is not touched (its files change under a running
//! server, and sled writes to any folder it opens). The lookups by id and by stream are built in
//! memory while the log is walked: some 40 bytes an event.
//!
//! **What it sees.** The log up to its last commit frame when it was opened: every event a
//! running server had acknowledged by then (the writer syncs a group, commit frame included,
//! before it answers), and nothing after. What follows the last commit is a group being written,
//! or damage; a later commit with a frame after it proves damage, and the snapshot refuses,
//! naming `verify`, after looking once more (the write it raced may have ended). A subject the
//! server forgets while the snapshot reads may show as damaged or without a key here: the
//! server zeroes its sealed bytes and removes its key in place.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::watch;

use super::decide::forgotten_by;
use super::folder::{check_marker, StoreOptions};
use super::log::{Frame, FrameError, LogFile, COMMIT_FRAME_BYTES, HEADER_BYTES};
use super::shared::{frame_error, loaded, Loaded};
use super::subscription::{LogReader, Subscription};
use super::{AppendError, Appended, EventStore, ForgetError, Head, SealedView, StoreError, VerifyReport};
use crate::envelope::{NewEvent, RecordedEvent};
use crate::ids::{EventId, Hash, ParticipantId, Position, StreamId, SubjectId};
use crate::keyfile::KeyFile;
use crate::limits::PAGE_EVENTS_MAX;
use crate::seal::SubjectKey;
use crate::values::LongText;

/// Times the log is walked again when it looks damaged after its last commit: a group whose
/// write ended during the walk looks so once.
const OPEN_ATTEMPTS: usize = 3;
/// The wait before such another walk.
const OPEN_RETRY_MS: u64 = 50;

/// What a walk of the log learned.
struct Walked {
    head: Head,
    /// The end of the last commit frame: nothing past it is read.
    end: u64,
    /// The frame offset of each position (position 1 first).
    offsets: Vec<u64>,
    ids: HashMap<EventId, u64>,
    /// Each stream's positions in version order.
    streams: HashMap<StreamId, Vec<u64>>,
    forgotten: HashMap<SubjectId, Position>,
}

/// The reading half, shared with subscriptions.
struct Inner {
    log: LogFile,
    walked: Walked,
}

/// A read-only view of the embedded store of one study, as of when it was opened.
pub struct LogSnapshot {
    dir: PathBuf,
    inner: Arc<Inner>,
    keys: BTreeMap<SubjectId, SubjectKey>,
    /// What is wrong with the key files, said when a sealed part cannot be opened.
    key_findings: Vec<String>,
    head_tx: watch::Sender<u64>,
}

impl LogSnapshot {
    /// Reads the study in `dir` without writing anything, whoever holds it.
    pub fn open(dir: &Path, options: &StoreOptions) -> Result<LogSnapshot, StoreError> {
        check_marker(dir)?;
        let log = LogFile::open_read_only(&dir.join("log"))?;
        let mut attempt = 1;
        let walked = loop {
            match walk(&log)? {
                Ok(w) => break w,
                Err(why) if attempt >= OPEN_ATTEMPTS => {
                    return Err(StoreError::Corrupt(format!("{}: {why}", dir.join("log").display())))
                }
                Err(_) => {
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_millis(OPEN_RETRY_MS));
                }
            }
        };
        let (report, keys) = KeyFile::check(dir, &options.master_key)?;
        let head = walked.head.position.0;
        let (head_tx, _) = watch::channel(head);
        Ok(LogSnapshot {
            dir: dir.to_path_buf(),
            inner: Arc::new(Inner { log, walked }),
            keys,
            key_findings: report.findings,
            head_tx,
        })
    }

    /// The study's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn ciphertext(&self, p: Position) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.inner.load(p)?.and_then(|l| l.ciphertext))
    }

    pub fn subject_keys(&self) -> Vec<(SubjectId, SubjectKey)> {
        self.keys.iter().map(|(s, k)| (s.clone(), *k)).collect()
    }

    /// Bytes the study's files occupy.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(dir_bytes(&self.dir.join("sled"))? + self.inner.log.len()?)
    }

    /// Every stream and its version, in the order of their names.
    pub fn streams(&self) -> Result<Vec<(StreamId, u64)>, StoreError> {
        let mut out: Vec<(StreamId, u64)> =
            self.inner.walked.streams.iter().map(|(s, p)| (s.clone(), p.len() as u64)).collect();
        out.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        Ok(out)
    }

    /// What a snapshot answers to a write.
    pub(crate) fn read_only() -> StoreError {
        StoreError::ReadOnly(
            "this study was opened for reading only, while another process holds it for writing".into(),
        )
    }

    pub fn close(self) {}
}

/// Walks the log to its last commit frame, checking positions, links and hashes. `Ok(Err(why))`
/// is damage (or a write that ended during the walk: the caller looks again).
fn walk(log: &LogFile) -> Result<Result<Walked, String>, StoreError> {
    let file_len = log.len()?;
    let mut w = Walked {
        head: Head { position: Position(0), hash: Hash::ZERO },
        end: HEADER_BYTES,
        offsets: Vec::new(),
        ids: HashMap::new(),
        streams: HashMap::new(),
        forgotten: HashMap::new(),
    };
    // The events after the last commit read so far.
    let mut group: Vec<(u64, RecordedEvent)> = Vec::new();
    let mut prev = Hash::ZERO;
    let mut at = HEADER_BYTES;
    loop {
        let (frames, next) = match log.read_frames(at, file_len, PAGE_EVENTS_MAX) {
            Ok(f) => f,
            Err(FrameError::Io(e)) => return Err(e.into()),
            // Zeros, a frame being written, or damage: told apart below.
            Err(_) => break,
        };
        if frames.is_empty() {
            break;
        }
        for (off, frame) in frames {
            let expected = w.offsets.len() as u64 + group.len() as u64 + 1;
            match frame {
                Frame::Commit { position, hash } => {
                    if position != expected - 1 || Hash(hash) != prev {
                        return Ok(Err(format!(
                            "the commit frame at offset {off} names position {position}, where the chain is at {}",
                            expected - 1
                        )));
                    }
                    for (off, e) in group.drain(..) {
                        w.ids.insert(e.id, e.position.0);
                        w.streams.entry(e.stream.clone()).or_default().push(e.position.0);
                        if let Some((s, p)) = forgotten_by(&e) {
                            w.forgotten.insert(s, p);
                        }
                        w.offsets.push(off);
                    }
                    w.head = Head { position: Position(position), hash: prev };
                    w.end = off + COMMIT_FRAME_BYTES;
                }
                frame => {
                    let e = match loaded(frame, off, Some(expected)) {
                        Ok(l) => l.event,
                        Err(StoreError::Corrupt(m)) => return Ok(Err(m)),
                        Err(e) => return Err(e),
                    };
                    if e.prev_hash != prev || e.compute_hash() != e.hash {
                        return Ok(Err(format!("position {expected} does not match its hash or the one before")));
                    }
                    prev = e.hash;
                    group.push((off, e));
                }
            }
        }
        at = next;
    }
    // A commit frame with a frame after it, past where the walk stopped: acknowledged events
    // follow bytes that cannot be read.
    if let Some((position, _, _)) = log.next_commit(at.max(w.end), file_len)? {
        return Ok(Err(format!(
            "the log cannot be read after position {} though it goes on to a commit of position {position}",
            w.head.position
        )));
    }
    Ok(Ok(w))
}

impl Inner {
    fn load(&self, p: Position) -> Result<Option<Loaded>, StoreError> {
        let Some(&off) = p.0.checked_sub(1).and_then(|i| self.walked.offsets.get(i as usize)) else {
            return Ok(None);
        };
        let (frame, _) = self.log.read_frame(off, self.walked.end).map_err(|e| frame_error(p, e))?;
        loaded(frame, off, Some(p.0)).map(Some)
    }

    fn event_at(&self, p: Position) -> Result<Option<RecordedEvent>, StoreError> {
        Ok(self.load(p)?.map(|l| l.event))
    }
}

impl LogReader for Inner {
    fn read_range(&self, from: Position, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        let head = self.walked.head.position.0;
        let from = from.0.max(1);
        if from > head || limit == 0 {
            return Ok(Vec::new());
        }
        let limit = limit.min(PAGE_EVENTS_MAX).min((head - from + 1) as usize);
        let off = self.walked.offsets[(from - 1) as usize];
        let (frames, _) =
            self.log.read_frames(off, self.walked.end, limit).map_err(|e| frame_error(Position(from), e))?;
        let mut out = Vec::with_capacity(limit);
        for (at, frame) in frames {
            if let Frame::Commit { .. } = frame {
                continue;
            }
            let expected = from + out.len() as u64;
            out.push(loaded(frame, at, Some(expected))?.event);
        }
        if out.len() != limit {
            return Err(StoreError::Corrupt(format!("position {} is missing", from + out.len() as u64)));
        }
        Ok(out)
    }
}

impl super::unseal::SealedSource for LogSnapshot {
    fn forgotten_at(&self, s: &SubjectId) -> Result<Option<Position>, StoreError> {
        Ok(self.inner.walked.forgotten.get(s).copied())
    }
    fn event_at(&self, p: Position) -> Result<Option<RecordedEvent>, StoreError> {
        self.inner.event_at(p)
    }
    fn ciphertext_at(&self, p: Position) -> Result<Option<Vec<u8>>, StoreError> {
        self.ciphertext(p)
    }
    /// A key missing from key files that could not be read whole is damage, not absence.
    fn key(&self, s: &SubjectId) -> Result<Option<SubjectKey>, String> {
        match self.keys.get(s) {
            Some(k) => Ok(Some(*k)),
            None if !self.key_findings.is_empty() => Err(self.key_findings.join("; ")),
            None => Ok(None),
        }
    }
}

impl EventStore for LogSnapshot {
    fn append(&self, _batch: Vec<NewEvent>) -> Result<Vec<Appended>, AppendError> {
        Err(LogSnapshot::read_only().into())
    }

    fn read_from(&self, from: Position, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_range(from, limit)
    }

    fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let Some(positions) = self.inner.walked.streams.get(stream) else { return Ok(Vec::new()) };
        let skip = from_version.saturating_sub(1) as usize;
        let mut out = Vec::new();
        for p in positions.iter().skip(skip).take(limit.min(PAGE_EVENTS_MAX)) {
            let e = self
                .inner
                .event_at(Position(*p))?
                .ok_or_else(|| StoreError::Corrupt(format!("position {p} is missing")))?;
            out.push(e);
        }
        Ok(out)
    }

    fn get(&self, id: EventId) -> Result<Option<RecordedEvent>, StoreError> {
        match self.inner.walked.ids.get(&id) {
            Some(p) => self.inner.event_at(Position(*p)),
            None => Ok(None),
        }
    }

    fn head(&self) -> Head {
        self.inner.walked.head
    }

    /// The events of the snapshot; it does not follow the log.
    fn subscribe(&self, from: Position) -> Subscription {
        let reader: Arc<dyn LogReader> = self.inner.clone();
        Subscription::new(&reader, self.head_tx.subscribe(), from)
    }

    /// The walk at opening checked positions, links and hashes; this says what it found.
    fn verify(&self) -> Result<VerifyReport, StoreError> {
        let head = self.inner.walked.head;
        Ok(VerifyReport { events: head.position.0, head, first_bad: None })
    }

    fn unseal(&self, e: &RecordedEvent) -> Result<SealedView, StoreError> {
        super::unseal::unseal(self, e)
    }

    fn forget(
        &self,
        _subject: &SubjectId,
        _by: &ParticipantId,
        _reason: Option<LongText>,
    ) -> Result<Appended, ForgetError> {
        Err(ForgetError::Store(LogSnapshot::read_only()))
    }
}

/// The bytes of the files under `dir` (none if it is missing).
fn dir_bytes(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() { dir_bytes(&entry.path())? } else { meta.len() };
    }
    Ok(total)
}
