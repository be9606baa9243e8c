//! The embedded default store on sled 0.34.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot, watch};

use super::keys as k;
use super::log::{Frame, FrameError, LogFile, COMMIT_FRAME_BYTES, HEADER_BYTES, INDEX_BYTES};
use super::subscription::{LogReader, Subscription};
use super::writer::{self, Request};
use super::{AppendError, Appended, EventStore, ForgetError, Head, SealedView, StoreError, VerifyReport};
use crate::envelope::{NewEvent, RecordedEvent, SealedData};
use crate::events::{DomainEvent, EventKind};
use crate::ids::{EventId, Hash, ParticipantId, Position, StreamId, SubjectId};
use crate::limits::{PAGE_EVENTS_MAX, WRITER_QUEUE_APPENDS_MAX};
use crate::seal::{self, KeyFile, SUBJECT_KEY_BYTES};
use crate::values::LongText;

const MARKER_FILE: &str = "PARLOG";
const MARKER_TEXT: &str = "parlog data folder\nstore format 2\n";
/// sled's page cache; small, because the log is read sequentially and projections keep their own
/// state.
const SLED_CACHE_BYTES: u64 = 64 * 1024 * 1024;
/// How long `open` waits for a lock that this process may still be letting go of.
const OPEN_LOCKED_WAIT_MS: u64 = 2_000;
/// Events whose index entries recovery applies to sled at once.
const RECOVER_BATCH_EVENTS_MAX: usize = 16_384;
/// How often sled writes the indexes out in the background.
const SLED_FLUSH_EVERY_MS: u64 = 500;

/// State shared by the writer thread and readers.
pub(crate) struct Shared {
    /// The indexes: positions to log offsets, ids, streams, forgotten subjects.
    pub(crate) db: sled::Db,
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

/// An event from an export, with its ciphertext if it was not forgotten.
#[derive(Debug, Clone)]
pub struct ImportedEvent {
    pub event: RecordedEvent,
    pub ciphertext: Option<Vec<u8>>,
}

pub struct SledStore {
    shared: Arc<Shared>,
    tx: Option<mpsc::Sender<Request>>,
    writer: Option<JoinHandle<()>>,
    dir: PathBuf,
}

impl SledStore {
    /// Creates a data folder (or opens the existing one) and opens the store.
    pub fn init(dir: &Path) -> Result<SledStore, StoreError> {
        std::fs::create_dir_all(dir)?;
        let marker = dir.join(MARKER_FILE);
        if !marker.exists() {
            if std::fs::read_dir(dir)?.next().is_some() {
                return Err(StoreError::Corrupt(format!(
                    "{} is not empty and is not a parlog data folder; choose an empty or new folder",
                    dir.display()
                )));
            }
            std::fs::write(&marker, MARKER_TEXT)?;
            File::open(&marker)?.sync_all()?;
            seal::sync_dir(dir)?;
        }
        SledStore::open(dir)
    }

    /// Opens an existing data folder and checks that the stored head is the last event's hash.
    /// A folder that is locked is tried again for a moment: sled's I/O threads may still hold a
    /// store that was just dropped in this process.
    pub fn open(dir: &Path) -> Result<SledStore, StoreError> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(OPEN_LOCKED_WAIT_MS);
        loop {
            match SledStore::open_once(dir) {
                Err(StoreError::Locked(_)) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(10))
                }
                other => return other,
            }
        }
    }

    fn open_once(dir: &Path) -> Result<SledStore, StoreError> {
        let marker = dir.join(MARKER_FILE);
        match std::fs::read_to_string(&marker) {
            Ok(t) if t == MARKER_TEXT => {}
            Ok(_) => {
                return Err(StoreError::Corrupt(format!(
                    "{} was written by another version of parlog",
                    marker.display()
                )))
            }
            Err(_) => return Err(StoreError::NotInitialised(dir.display().to_string())),
        }
        let sled_dir = dir.join("sled");
        let mut db = open_sled(&sled_dir, dir)?;
        if db.get(k::FORMAT)?.as_deref() != Some(k::INDEX_FORMAT) {
            // Indexes of another layout (or from before layouts were marked): start sled afresh
            // (clearing it in place would leave its files full of garbage) and rebuild them all
            // from the log below. A crash in between leaves no mark, so this is done again.
            drop(db);
            wait_unlocked(&sled_dir.join("db"), std::time::Duration::from_millis(OPEN_LOCKED_WAIT_MS));
            std::fs::remove_dir_all(&sled_dir)?;
            db = open_sled(&sled_dir, dir)?;
            db.insert(k::FORMAT, k::INDEX_FORMAT)?;
        }
        let keys = KeyFile::open(&dir.join("keys"))?;
        let log = LogFile::open(&dir.join("log"))?;
        let (head, log_end) = recover(&db, &log)?;
        let (head_tx, _) = watch::channel(head.position.0);
        let shared = Arc::new(Shared {
            db,
            log,
            log_end: AtomicU64::new(log_end),
            durable: AtomicU64::new(head.position.0),
            head: Mutex::new(head),
            head_tx,
            keys: Mutex::new(keys),
            failed: AtomicBool::new(false),
        });
        writer::finish_forgetting(&shared)?;
        let (tx, rx) = mpsc::channel(WRITER_QUEUE_APPENDS_MAX);
        let w = writer::Writer::start(shared.clone())?;
        let w = std::thread::Builder::new().name("parlog-writer".into()).spawn(move || writer::run(w, rx))?;
        Ok(SledStore { shared, tx: Some(tx), writer: Some(w), dir: dir.to_path_buf() })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn sender(&self) -> Result<&mpsc::Sender<Request>, StoreError> {
        self.tx.as_ref().ok_or(StoreError::Closed)
    }

    /// Appends from async code without blocking the runtime.
    pub async fn append_async(&self, batch: Vec<NewEvent>) -> Result<Vec<Appended>, AppendError> {
        let (reply, rx) = oneshot::channel();
        self.sender()?.send(Request::Append { batch, reply }).await.map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Appends a chunk of consecutive events exported from a store, keeping their ids, times and
    /// hashes. Events the store already holds must be identical (same hash) and are skipped, so
    /// importing again, or resuming an interrupted import, changes nothing; the rest must continue
    /// the chain from the head. Returns how many events were added.
    pub fn import(
        &self,
        events: Vec<ImportedEvent>,
        keys: Vec<(SubjectId, [u8; SUBJECT_KEY_BYTES])>,
    ) -> Result<u64, AppendError> {
        let (reply, rx) = oneshot::channel();
        self.sender()?.blocking_send(Request::Import { events, keys, reply }).map_err(|_| StoreError::Closed)?;
        rx.blocking_recv().map_err(|_| StoreError::Closed)?
    }

    /// The ciphertext of an event's sealed part, for export. `None` once forgotten.
    pub fn ciphertext(&self, p: Position) -> Result<Option<Vec<u8>>, StoreError> {
        self.shared.ciphertext_at(p)
    }

    /// The keys of the subjects named by `events`, for an export that includes keys.
    pub fn subject_keys(&self) -> Vec<(SubjectId, [u8; SUBJECT_KEY_BYTES])> {
        let keys = self.shared.keys.lock().expect("key lock");
        keys.subjects().map(|s| (s.clone(), *keys.get(s).expect("listed"))).collect()
    }

    /// Bytes the store occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.shared.db.size_on_disk()? + self.shared.log.len()?)
    }

    /// Every stream and its version, for statistics.
    pub fn streams(&self) -> Result<Vec<(StreamId, u64)>, StoreError> {
        let mut out: Vec<(StreamId, u64)> = Vec::new();
        for item in self.shared.db.scan_prefix(b"s") {
            let (key, _) = item?;
            let (s, version) = k::parse_stream_event(&key)
                .ok_or_else(|| StoreError::Corrupt("a stream index key is unreadable".into()))?;
            match out.last_mut() {
                Some((last, v)) if *last == s => *v = version,
                _ => out.push((s, version)),
            }
        }
        Ok(out)
    }

    /// Closes the store: waits until every queued append is durable and acknowledged, and until
    /// sled has let go of its files, so that the folder can be opened again at once.
    pub fn close(mut self) {
        self.shutdown();
        let db_file = self.dir.join("sled").join("db");
        drop(self);
        wait_unlocked(&db_file, std::time::Duration::from_millis(OPEN_LOCKED_WAIT_MS));
    }

    fn shutdown(&mut self) {
        self.tx.take();
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

impl Drop for SledStore {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn open_sled(sled_dir: &Path, dir: &Path) -> Result<sled::Db, StoreError> {
    let db = sled::Config::new()
        .path(sled_dir)
        .cache_capacity(SLED_CACHE_BYTES)
        .mode(sled::Mode::HighThroughput)
        // The indexes need not be durable at acknowledgement: the log is, and opening
        // rebuilds any index entries a crash lost from it.
        .flush_every_ms(Some(SLED_FLUSH_EVERY_MS))
        .open()
        .map_err(|e| match e {
            sled::Error::Io(ref io) if io.kind() == std::io::ErrorKind::Other && io.to_string().contains("lock") => {
                StoreError::Locked(dir.display().to_string())
            }
            e => StoreError::Sled(e),
        })?;
    seal::sync_dir(sled_dir)?;
    seal::sync_dir(dir)?;
    Ok(db)
}

/// Waits until no one holds sled's lock on `db_file` (sled locks it with flock), or the time is up.
fn wait_unlocked(db_file: &Path, max: std::time::Duration) {
    use std::os::unix::io::AsRawFd;
    let deadline = std::time::Instant::now() + max;
    let Ok(f) = File::open(db_file) else { return };
    loop {
        // SAFETY: flock on a file descriptor we own; the lock is released right away.
        let got = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
        if got {
            // SAFETY: as above.
            unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_UN) };
            return;
        }
        if std::time::Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// An event read back from the log.
#[derive(Clone)]
pub(crate) struct Loaded {
    pub(crate) event: RecordedEvent,
    /// The content digest and keyed mac that tell a retry from a conflict (the frame's index part).
    pub(crate) index: [u8; INDEX_BYTES],
    /// The sealed part's ciphertext; `None` if there is none or it was destroyed (zeros).
    pub(crate) ciphertext: Option<Vec<u8>>,
    pub(crate) offset: u64,
}

/// Turns an event frame into a `Loaded`, checking that it says it is at `expected` (the
/// read-side half of the position assertion; the writer checks before writing).
fn loaded(frame: Frame, offset: u64, expected: Option<u64>) -> Result<Loaded, StoreError> {
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
    Ok(Loaded { event, index, ciphertext, offset })
}

/// The index entries of a committed event: its offset, id, and stream version (and, for a
/// forget, the forgotten subject).
pub(crate) fn index_entries(e: &RecordedEvent, offset: u64, batch: &mut sled::Batch) {
    if k::offset_anchor(e.position) == e.position {
        batch.insert(&k::offset(e.position)[..], &offset.to_be_bytes()[..]);
    }
    batch.insert(&k::id(e.id)[..], &k::located(e.position, offset)[..]);
    batch.insert(k::stream_event(&e.stream, e.stream_version), &k::located(e.position, offset)[..]);
    if e.kind == EventKind::SubjectForgotten {
        if let Ok(DomainEvent::SubjectForgotten(f)) = e.domain() {
            batch.insert(k::forgotten(&f.subject), &e.position.0.to_be_bytes()[..]);
        }
    }
}

/// Brings the indexes up to the log and finds the head. The log is read from where the
/// indexes end; every group closed by a commit frame is indexed; what follows the last commit
/// frame (a group whose write a crash cut short, never acknowledged) is cut off.
fn recover(db: &sled::Db, log: &LogFile) -> Result<(Head, u64), StoreError> {
    let indexed = match db.get(k::INDEXED)? {
        Some(v) => k::Indexed::decode(&v).ok_or_else(|| StoreError::Corrupt("the index mark is unreadable".into()))?,
        None => k::Indexed { position: 0, end: HEADER_BYTES, last_frame: 0 },
    };
    let (mut pos, mut end) = (indexed.position, indexed.end);
    let file_len = log.len()?;
    let mut hash = Hash::ZERO;
    let mut last_frame = indexed.last_frame;
    if pos > 0 {
        let off = indexed.last_frame;
        let (frame, _) =
            log.read_frame(off, file_len).map_err(|e| StoreError::Corrupt(format!("position {pos}: {e:?}")))?;
        let l = loaded(frame, off, Some(pos))?;
        if l.event.compute_hash() != l.event.hash {
            return Err(StoreError::Corrupt(format!("the event at position {pos} does not match its hash")));
        }
        hash = l.event.hash;
    }
    // The indexes say the log was committed up to `end` with head `pos`: the frame just before
    // `end` must be the commit that says so (a changed index cannot hide the last events).
    if pos > 0 {
        let at = end.checked_sub(COMMIT_FRAME_BYTES).filter(|a| *a >= HEADER_BYTES);
        let commit = at.map(|a| log.read_frame(a, file_len));
        match commit {
            Some(Ok((Frame::Commit { position, hash: h }, next)))
                if position == pos && Hash(h) == hash && next == end => {}
            _ => {
                return Err(StoreError::Corrupt(format!(
                    "the indexes say the log is committed up to position {pos} at offset {end}, but the log does not"
                )))
            }
        }
    }
    let mut pending: Vec<Loaded> = Vec::new();
    let mut batch = sled::Batch::default();
    let mut indexed_any = false;
    let mut batch_events = 0usize;
    let mut at = end;
    loop {
        match log.read_frame(at, file_len) {
            Ok((frame @ Frame::Event { .. }, next)) => {
                let want = pos + pending.len() as u64 + 1;
                let l = loaded(frame, at, Some(want))?;
                let prev = pending.last().map(|p| p.event.hash).unwrap_or(hash);
                if l.event.prev_hash != prev || l.event.compute_hash() != l.event.hash {
                    return Err(StoreError::Corrupt(format!("position {want} does not continue the chain")));
                }
                pending.push(l);
                at = next;
            }
            Ok((Frame::Commit { position, hash: h }, next)) => {
                let last = pending.last().map(|p| (p.event.position.0, p.event.hash)).unwrap_or((pos, hash));
                if (position, Hash(h)) != (last.0, last.1) {
                    return Err(StoreError::Corrupt(format!(
                        "the commit at offset {at} names position {position}, not {}",
                        last.0
                    )));
                }
                for l in pending.drain(..) {
                    index_entries(&l.event, l.offset, &mut batch);
                    last_frame = l.offset;
                    batch_events += 1;
                }
                indexed_any = true;
                pos = position;
                hash = Hash(h);
                end = next;
                at = next;
                // A whole log to index (new index layout) goes in bounded batches.
                if batch_events >= RECOVER_BATCH_EVENTS_MAX {
                    batch.insert(k::INDEXED, &k::Indexed { position: pos, end, last_frame }.encode()[..]);
                    db.apply_batch(std::mem::take(&mut batch))?;
                    batch_events = 0;
                }
            }
            Err(FrameError::End) | Err(FrameError::Torn(_)) => break,
            Err(FrameError::Io(e)) => return Err(e.into()),
        }
    }
    if end < file_len {
        log.cut(end)?;
    }
    if indexed_any {
        batch.insert(k::INDEXED, &k::Indexed { position: pos, end, last_frame }.encode()[..]);
        db.apply_batch(batch)?;
        db.flush()?;
    }
    Ok((Head { position: Position(pos), hash }, end))
}

impl Shared {
    pub(crate) fn durable(&self) -> u64 {
        self.durable.load(Ordering::Acquire)
    }

    fn offset_of(&self, p: Position) -> Result<u64, StoreError> {
        offset_in(&self.db, &self.log, p, self.log_end.load(Ordering::Acquire))
    }

    /// The event at a durable position, with its index part and ciphertext.
    pub(crate) fn load(&self, p: Position) -> Result<Option<Loaded>, StoreError> {
        if p.0 == 0 || p.0 > self.durable() {
            return Ok(None);
        }
        let off = self.offset_of(p)?;
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
        let durable = self.durable();
        let from = from.0.max(1);
        if from > durable || limit == 0 {
            return Ok(Vec::new());
        }
        let limit = limit.min(PAGE_EVENTS_MAX).min((durable - from + 1) as usize);
        let off = self.offset_of(Position(from))?;
        let end = self.log_end.load(Ordering::Acquire);
        let (frames, _) = self.log.read_frames(off, end, limit).map_err(|e| frame_error(Position(from), e))?;
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

    pub(crate) fn event_at(&self, p: Position) -> Result<Option<RecordedEvent>, StoreError> {
        Ok(self.load(p)?.map(|l| l.event))
    }

    pub(crate) fn ciphertext_at(&self, p: Position) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.load(p)?.and_then(|l| l.ciphertext))
    }

    /// Where the id index says the event `id` is: its position and the offset of its frame.
    pub(crate) fn id_entry(&self, id: EventId) -> Result<Option<(Position, u64)>, StoreError> {
        match self.db.get(k::id(id))? {
            None => Ok(None),
            Some(v) => k::parse_located(&v)
                .map(Some)
                .ok_or_else(|| StoreError::Corrupt(format!("the id index entry of {id} is unreadable"))),
        }
    }
}

/// The log offset of the frame of the event at `p`: from the nearest `o` entry at or below, then
/// frame headers forward.
fn offset_in(db: &sled::Db, log: &LogFile, p: Position, end: u64) -> Result<u64, StoreError> {
    let anchor = k::offset_anchor(p);
    let off = db
        .get(k::offset(anchor))?
        .filter(|v| v.len() == 8)
        .map(|v| k::u64_at(&v, 0))
        .ok_or_else(|| StoreError::Corrupt(format!("position {anchor} has no offset in the index")))?;
    log.skip_events(off, end, p.0 - anchor.0).map_err(|e| frame_error(p, e))
}

fn frame_error(p: Position, e: FrameError) -> StoreError {
    match e {
        FrameError::Io(e) => StoreError::Io(e),
        FrameError::End => StoreError::Corrupt(format!("position {p} lies past the end of the log")),
        FrameError::Torn(m) => StoreError::Corrupt(format!("position {p}: {m}")),
    }
}

impl LogReader for Shared {
    fn read_range(&self, from: Position, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        Shared::read_range(self, from, limit)
    }
}

impl EventStore for SledStore {
    fn append(&self, batch: Vec<NewEvent>) -> Result<Vec<Appended>, AppendError> {
        let (reply, rx) = oneshot::channel();
        self.sender()?.blocking_send(Request::Append { batch, reply }).map_err(|_| StoreError::Closed)?;
        rx.blocking_recv().map_err(|_| StoreError::Closed)?
    }

    fn read_from(&self, from: Position, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        self.shared.read_range(from, limit)
    }

    fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let limit = limit.min(PAGE_EVENTS_MAX);
        let start = k::stream_event(stream, from_version.max(1));
        let prefix = k::stream_prefix(stream);
        let mut out = Vec::new();
        for item in self.shared.db.range(start..).take(limit) {
            let (key, v) = item?;
            if !key.starts_with(&prefix) {
                break;
            }
            let (p, off) = k::parse_located(&v)
                .ok_or_else(|| StoreError::Corrupt(format!("an index entry of stream {stream} is unreadable")))?;
            match self.shared.load_at(p, off)?.map(|l| l.event) {
                Some(e) if &e.stream == stream => out.push(e),
                Some(e) => {
                    return Err(StoreError::Corrupt(format!(
                        "the index of stream {stream} points at position {p}, an event of stream {}",
                        e.stream
                    )))
                }
                None => break, // not durable yet
            }
        }
        Ok(out)
    }

    fn get(&self, id: EventId) -> Result<Option<RecordedEvent>, StoreError> {
        match self.shared.id_entry(id)? {
            Some(entry) => Ok(Some(load_indexed(&self.shared, id, entry)?.event)),
            None => Ok(None),
        }
    }

    fn head(&self) -> Head {
        *self.shared.head.lock().expect("head lock")
    }

    fn subscribe(&self, from: Position) -> Subscription {
        let reader: Arc<dyn LogReader> = self.shared.clone();
        Subscription::new(&reader, self.shared.head_tx.subscribe(), from)
    }

    fn verify(&self) -> Result<VerifyReport, StoreError> {
        verify(&self.shared)
    }

    fn unseal(&self, e: &RecordedEvent) -> Result<SealedView, StoreError> {
        unseal(&self.shared, e)
    }

    fn forget(
        &self,
        subject: &SubjectId,
        by: &ParticipantId,
        reason: Option<LongText>,
    ) -> Result<Appended, ForgetError> {
        let (reply, rx) = oneshot::channel();
        let req = Request::Forget { subject: subject.clone(), by: by.clone(), reason, reply };
        self.sender()?.blocking_send(req).map_err(|_| StoreError::Closed)?;
        rx.blocking_recv().map_err(|_| StoreError::Closed)?
    }
}

fn unseal(shared: &Shared, e: &RecordedEvent) -> Result<SealedView, StoreError> {
    let Some(meta) = &e.sealed else { return Ok(SealedView::None) };
    for s in &meta.subjects {
        if let Some(v) = shared.db.get(k::forgotten(s))? {
            let p = Position(k::u64_at(&v, 0));
            let fe = shared.event_at(p)?.ok_or_else(|| StoreError::Corrupt(format!("forget event {p} is missing")))?;
            let by = match fe.domain() {
                Ok(DomainEvent::SubjectForgotten(f)) => f.requested_by,
                _ => return Err(StoreError::Corrupt(format!("position {p} is not a SubjectForgotten event"))),
            };
            return Ok(SealedView::Forgotten { subject: s.clone(), position: p, at: fe.recorded_at, by });
        }
    }
    let ct = shared
        .ciphertext_at(e.position)?
        .ok_or_else(|| StoreError::Corrupt(format!("position {}: the sealed bytes are missing", e.position)))?;
    if Hash(*blake3::hash(&ct).as_bytes()) != meta.digest {
        return Err(StoreError::Corrupt(format!(
            "position {}: the sealed bytes do not match their digest",
            e.position
        )));
    }
    let keys = shared.keys.lock().expect("key lock");
    let mut ks = Vec::with_capacity(meta.subjects.len());
    for s in &meta.subjects {
        match keys.get(s) {
            Some(k) => ks.push(k),
            // The log was imported without keys: the data is intact but cannot be read here.
            None => return Ok(SealedView::NoKey { subject: s.clone() }),
        }
    }
    let plain = seal::open(e.id, &ks, &meta.nonce, &ct)
        .ok_or_else(|| StoreError::Corrupt(format!("position {}: the sealed bytes do not decrypt", e.position)))?;
    let data: SealedData =
        serde_json::from_slice(&plain).map_err(|e| StoreError::Corrupt(format!("sealed data: {e}")))?;
    Ok(SealedView::Open(data))
}

fn verify(shared: &Shared) -> Result<VerifyReport, StoreError> {
    let head = *shared.head.lock().expect("head lock");
    let end = shared.log_end.load(Ordering::Acquire);
    let mut prev = Hash::ZERO;
    let mut expected = 1u64;
    let mut versions: std::collections::HashMap<StreamId, u64> = std::collections::HashMap::new();
    let bad = |p: u64, m: String| Ok(VerifyReport { events: p - 1, head, first_bad: Some((Position(p), m)) });
    let mut at = HEADER_BYTES;
    while expected <= head.position.0 {
        // Fast path: a page of frames at once. If the page holds a damaged frame, go frame by
        // frame so that the damage is reported at its own position.
        let (frames, next) = match shared.log.read_frames(at, end, PAGE_EVENTS_MAX) {
            Ok(f) => f,
            Err(FrameError::Io(e)) => return Err(e.into()),
            Err(_) => match shared.log.read_frame(at, end) {
                Ok((frame, next)) => (vec![(at, frame)], next),
                Err(FrameError::Io(e)) => return Err(e.into()),
                Err(e) => return bad(expected, format!("its frame in the log is damaged: {e:?}")),
            },
        };
        if frames.is_empty() {
            break;
        }
        for (off, frame) in frames {
            let frame = match frame {
                Frame::Commit { position, hash } => {
                    if position != expected - 1 || Hash(hash) != prev {
                        return bad(
                            expected.max(1),
                            format!("the commit at offset {off} names position {position}, not {}", expected - 1),
                        );
                    }
                    continue;
                }
                f => f,
            };
            if expected > head.position.0 {
                break;
            }
            let l = match loaded(frame, off, None) {
                Ok(l) => l,
                Err(StoreError::Corrupt(m)) => return bad(expected, m),
                Err(e) => return Err(e),
            };
            let e = &l.event;
            let at_pos = expected;
            if e.position.0 != at_pos {
                return bad(at_pos, format!("the record there says it is at position {}", e.position));
            }
            if e.prev_hash != prev {
                return bad(at_pos, "it does not link to the previous event's hash".into());
            }
            if e.compute_hash() != e.hash {
                return bad(at_pos, "its content does not match its hash".into());
            }
            if k::offset_anchor(e.position) == e.position {
                match shared.db.get(k::offset(e.position))? {
                    Some(v) if v.len() == 8 && k::u64_at(&v, 0) == off => {}
                    _ => return bad(at_pos, "the position index does not point at it".into()),
                }
            }
            match shared.db.get(k::id(e.id))?.and_then(|v| k::parse_located(&v)) {
                Some((p, o)) if p.0 == at_pos && o == off => {}
                _ => return bad(at_pos, format!("the id index does not point at it ({})", e.id)),
            }
            let version = versions.entry(e.stream.clone()).or_insert(0);
            if e.stream_version != *version + 1 {
                return bad(
                    at_pos,
                    format!(
                        "it says it is version {} of {}, which is at version {}",
                        e.stream_version, e.stream, version
                    ),
                );
            }
            *version += 1;
            match shared.db.get(k::stream_event(&e.stream, e.stream_version))?.and_then(|v| k::parse_located(&v)) {
                Some((p, o)) if p.0 == at_pos && o == off => {}
                _ => return bad(at_pos, format!("the index of stream {} does not point at it", e.stream)),
            }
            if let Some(meta) = &e.sealed {
                match &l.ciphertext {
                    Some(ct) if Hash(*blake3::hash(ct).as_bytes()) == meta.digest => {}
                    Some(_) => return bad(at_pos, "its sealed bytes do not match their digest".into()),
                    None => {
                        let mut forgotten = false;
                        for s in &meta.subjects {
                            forgotten |= shared.db.contains_key(k::forgotten(s))?;
                        }
                        if !forgotten {
                            return bad(at_pos, "its sealed bytes are missing but no subject was forgotten".into());
                        }
                    }
                }
            }
            prev = e.hash;
            expected += 1;
        }
        at = next;
    }
    if expected - 1 != head.position.0 {
        return bad(expected, format!("the head is at {} but the log ends at {}", head.position, expected - 1));
    }
    if prev != head.hash {
        return bad(head.position.0, "the last hash does not match the head".into());
    }
    // The stream index can only be compared if nothing was appended during the walk.
    if *shared.head.lock().expect("head lock") == head {
        let mut indexed = 0u64;
        for item in shared.db.scan_prefix(b"s") {
            let (key, _) = item?;
            indexed += 1;
            let Some((s, version)) = k::parse_stream_event(&key) else {
                return bad(head.position.0, "a stream index key is unreadable".into());
            };
            if versions.get(&s).is_none_or(|v| version > *v) {
                return bad(
                    head.position.0,
                    format!("the index of stream {s} has a version {version} it does not have"),
                );
            }
        }
        if indexed != head.position.0 {
            return bad(
                head.position.0,
                format!("the stream index has {indexed} entries for {} events", head.position),
            );
        }
    }
    Ok(VerifyReport { events: head.position.0, head, first_bad: None })
}

/// What the writer needs to know about a stored event to check a reference to it.
/// The stored event an id index entry leads to; an entry that leads elsewhere is damage.
pub(crate) fn load_indexed(shared: &Shared, id: EventId, (p, off): (Position, u64)) -> Result<Loaded, StoreError> {
    let l = shared.load_at(p, off)?.ok_or_else(|| StoreError::Corrupt(format!("position {p} is missing")))?;
    if l.event.id != id {
        return Err(StoreError::Corrupt(format!(
            "the id index of {id} points at position {p}, the event {}",
            l.event.id
        )));
    }
    Ok(l)
}
