//! The embedded default store on sled 0.34.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot, watch};

use super::keys as k;
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
const MARKER_TEXT: &str = "parlog data folder\nstore format 1\n";
/// sled's page cache; small, because the log is read sequentially and projections keep their own
/// state.
const SLED_CACHE_BYTES: u64 = 64 * 1024 * 1024;
/// How long `open` waits for a lock that this process may still be letting go of.
const OPEN_LOCKED_WAIT_MS: u64 = 2_000;

/// State shared by the writer thread and readers.
pub(crate) struct Shared {
    pub(crate) db: sled::Db,
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
        let db = sled::Config::new()
            .path(&sled_dir)
            .cache_capacity(SLED_CACHE_BYTES)
            .mode(sled::Mode::HighThroughput)
            // parlog flushes itself after every group commit and follows with fdatasync.
            .flush_every_ms(None)
            .open()
            .map_err(|e| match e {
                sled::Error::Io(ref io)
                    if io.kind() == std::io::ErrorKind::Other && io.to_string().contains("lock") =>
                {
                    StoreError::Locked(dir.display().to_string())
                }
                e => StoreError::Sled(e),
            })?;
        // sled makes its writes with sync_file_range, which does not make them durable; the
        // writer follows each flush with fdatasync on this handle of the same file.
        let db_file = OpenOptions::new().read(true).write(true).open(sled_dir.join("db"))?;
        seal::sync_dir(&sled_dir)?;
        seal::sync_dir(dir)?;
        let keys = KeyFile::open(&dir.join("keys"))?;
        let head = check_head(&db)?;
        let (head_tx, _) = watch::channel(head.position.0);
        let shared = Arc::new(Shared {
            db,
            durable: AtomicU64::new(head.position.0),
            head: Mutex::new(head),
            head_tx,
            keys: Mutex::new(keys),
            failed: AtomicBool::new(false),
        });
        writer::finish_forgetting(&shared, &db_file)?;
        let (tx, rx) = mpsc::channel(WRITER_QUEUE_APPENDS_MAX);
        let w = {
            let shared = shared.clone();
            std::thread::Builder::new().name("parlog-writer".into()).spawn(move || writer::run(shared, db_file, rx))?
        };
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
        Ok(self.shared.db.size_on_disk()?)
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

fn check_head(db: &sled::Db) -> Result<Head, StoreError> {
    let stored = db.get(k::HEAD)?;
    let last = db.scan_prefix(b"e").next_back().transpose()?;
    match (stored, last) {
        (None, None) => Ok(Head { position: Position(0), hash: Hash::ZERO }),
        (Some(h), Some((key, bytes))) => {
            let pos = Position(k::u64_at(&h, 0));
            let hash = Hash(h[8..40].try_into().expect("32 bytes"));
            let (e, _) =
                RecordedEvent::decode_stored(&bytes).map_err(|e| StoreError::Corrupt(format!("last event: {e}")))?;
            if k::u64_at(&key, 1) != pos.0 || e.position != pos {
                return Err(StoreError::Corrupt(format!(
                    "the head says position {pos} but the last event is at {}",
                    e.position
                )));
            }
            if e.hash != hash || e.compute_hash() != hash {
                return Err(StoreError::Corrupt(format!(
                    "the hash of the last event (position {pos}) does not match the stored head"
                )));
            }
            Ok(Head { position: pos, hash })
        }
        _ => Err(StoreError::Corrupt("the head and the events disagree about whether the log is empty".into())),
    }
}

impl Shared {
    pub(crate) fn durable(&self) -> u64 {
        self.durable.load(Ordering::Acquire)
    }

    pub(crate) fn read_range(&self, from: Position, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        let durable = self.durable();
        let from = from.0.max(1);
        if from > durable || limit == 0 {
            return Ok(Vec::new());
        }
        let limit = limit.min(PAGE_EVENTS_MAX) as u64;
        let to = durable.min(from.saturating_add(limit - 1));
        let mut out = Vec::with_capacity((to - from + 1) as usize);
        for item in self.db.range(k::event(Position(from))..=k::event(Position(to))) {
            let (key, bytes) = item?;
            let e = decode_at(&bytes, k::u64_at(&key, 1))?;
            let expected = from + out.len() as u64;
            if e.position.0 != expected {
                return Err(StoreError::Corrupt(format!("position {expected} is missing")));
            }
            out.push(e);
        }
        if out.len() as u64 != to - from + 1 {
            return Err(StoreError::Corrupt(format!("position {} is missing", from + out.len() as u64)));
        }
        Ok(out)
    }

    pub(crate) fn event_at(&self, p: Position) -> Result<Option<RecordedEvent>, StoreError> {
        if p.0 == 0 || p.0 > self.durable() {
            return Ok(None);
        }
        match self.db.get(k::event(p))? {
            Some(b) => Ok(Some(decode_at(&b, p.0)?)),
            None => Err(StoreError::Corrupt(format!("position {p} is missing"))),
        }
    }

    pub(crate) fn ciphertext_at(&self, p: Position) -> Result<Option<Vec<u8>>, StoreError> {
        match self.db.get(k::event(p))? {
            Some(b) => Ok(decode_stored_at(&b, p.0)?.1.map(<[u8]>::to_vec)),
            None => Ok(None),
        }
    }

    pub(crate) fn position_of(&self, id: EventId) -> Result<Option<Position>, StoreError> {
        Ok(self.db.get(k::id(id))?.map(|v| Position(k::u64_at(&v, 0))))
    }
}

/// Decodes a record read at `pos` and checks that it says it is at `pos` (the read-side half of
/// the position assertion; the writer checks before writing).
fn decode_at(bytes: &[u8], pos: u64) -> Result<RecordedEvent, StoreError> {
    decode_stored_at(bytes, pos).map(|(e, _)| e)
}

/// The same, with the ciphertext stored after the record.
fn decode_stored_at(bytes: &[u8], pos: u64) -> Result<(RecordedEvent, Option<&[u8]>), StoreError> {
    let (e, ct) =
        RecordedEvent::decode_stored(bytes).map_err(|e| StoreError::Corrupt(format!("position {pos}: {e}")))?;
    if e.position.0 != pos {
        return Err(StoreError::Corrupt(format!("the record at position {pos} says it is at {}", e.position)));
    }
    Ok((e, ct))
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
            let (key, pos) = item?;
            if !key.starts_with(&prefix) {
                break;
            }
            let p = Position(k::u64_at(&pos, 0));
            match self.shared.event_at(p)? {
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
        match self.shared.position_of(id)? {
            Some(p) => self.shared.event_at(p),
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
    let mut prev = Hash::ZERO;
    let mut expected = 1u64;
    let mut versions: std::collections::HashMap<StreamId, u64> = std::collections::HashMap::new();
    let bad = |p: u64, m: String| Ok(VerifyReport { events: p - 1, head, first_bad: Some((Position(p), m)) });
    for item in shared.db.scan_prefix(b"e") {
        let (key, bytes) = item?;
        let at = k::u64_at(&key, 1);
        if at > head.position.0 {
            break; // appended after this walk began
        }
        if at != expected {
            return bad(expected, format!("position {expected} is missing"));
        }
        let (e, ct) = match RecordedEvent::decode_stored(&bytes) {
            Ok(x) => x,
            Err(err) => return bad(at, err.0),
        };
        if e.position.0 != at {
            return bad(at, format!("the record says it is at position {}", e.position));
        }
        if e.prev_hash != prev {
            return bad(at, "it does not link to the previous event's hash".into());
        }
        if e.compute_hash() != e.hash {
            return bad(at, "its content does not match its hash".into());
        }
        match shared.db.get(k::id(e.id))? {
            Some(v) if k::u64_at(&v, 0) == at => {}
            _ => return bad(at, format!("the id index does not point at it ({})", e.id)),
        }
        let version = versions.entry(e.stream.clone()).or_insert(0);
        if e.stream_version != *version + 1 {
            return bad(
                at,
                format!("it says it is version {} of {}, which is at version {}", e.stream_version, e.stream, version),
            );
        }
        *version += 1;
        match shared.db.get(k::stream_event(&e.stream, e.stream_version))? {
            Some(v) if k::u64_at(&v, 0) == at => {}
            _ => return bad(at, format!("the index of stream {} does not point at it", e.stream)),
        }
        if let Some(meta) = &e.sealed {
            match ct {
                Some(ct) if Hash(*blake3::hash(ct).as_bytes()) == meta.digest => {}
                Some(_) => return bad(at, "its sealed bytes do not match their digest".into()),
                None => {
                    let mut forgotten = false;
                    for s in &meta.subjects {
                        forgotten |= shared.db.contains_key(k::forgotten(s))?;
                    }
                    if !forgotten {
                        return bad(at, "its sealed bytes are missing but no subject was forgotten".into());
                    }
                }
            }
        }
        prev = e.hash;
        expected += 1;
    }
    if expected - 1 != head.position.0 {
        return bad(expected, format!("the head is at {} but the log ends at {}", head.position, expected - 1));
    }
    if prev != head.hash {
        return bad(head.position.0, "the last hash does not match the stored head".into());
    }
    // The stream heads can only be compared if nothing was appended during the walk.
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
pub(crate) fn stored_kind(shared: &Shared, id: EventId) -> Result<Option<(Position, EventKind, StreamId)>, StoreError> {
    let Some(p) = shared.position_of(id)? else { return Ok(None) };
    let b = shared.db.get(k::event(p))?.ok_or_else(|| StoreError::Corrupt(format!("position {p} is missing")))?;
    let e = decode_at(&b, p.0)?;
    Ok(Some((p, e.kind, e.stream)))
}
