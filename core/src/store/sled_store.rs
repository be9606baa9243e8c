//! The embedded default store on sled 0.34.

use std::fs::File;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot, watch};

use super::index::{self as ix, Entry, IdMap, Lookup, StreamMap, Tail};
use super::log::{Frame, FrameError, LogFile, TailState, HEADER_BYTES, INDEX_BYTES};
use super::quarantine::{self, Quarantined};
use super::subscription::{LogReader, Subscription};
use super::writer::{self, Request};
use super::{AppendError, Appended, EventStore, ForgetError, Head, SealedView, StoreError, VerifyReport};
use crate::envelope::{NewEvent, RecordedEvent, SealedData};
use crate::events::{DomainEvent, EventKind};
use crate::ids::{EventId, Hash, ParticipantId, Position, StreamId, SubjectId};
use crate::keyfile::{KeyFile, MasterKeySource, KEYS_COPY_FILE, KEYS_FILE};
use crate::limits::{PAGE_EVENTS_MAX, WRITER_QUEUE_APPENDS_MAX};
use crate::seal::{self, SUBJECT_KEY_BYTES};
use crate::values::LongText;

const MARKER_FILE: &str = "PARLOG";
const MARKER_TEXT: &str = "parlog data folder\nstore format 2\n";
/// sled's page cache. sled holds only index chunks, read one per page of events or scanned
/// once to build a lookup, so a small cache serves; a large one filled up while a lookup was
/// built and stayed resident.
const SLED_CACHE_BYTES: u64 = 16 * 1024 * 1024;
/// How long `open` waits for a lock that this process may still be letting go of.
const OPEN_LOCKED_WAIT_MS: u64 = 2_000;
/// Events whose index entries recovery applies to sled at once.
const RECOVER_BATCH_EVENTS_MAX: usize = 16_384;
/// How often sled writes the indexes out in the background.
const SLED_FLUSH_EVERY_MS: u64 = 500;

/// State shared by the writer thread and readers.
pub(crate) struct Shared {
    /// The indexes: chunks of entries (frame offset, id, stream) by position, forgotten subjects.
    pub(crate) db: sled::Db,
    /// The index entries past the last full chunk. Held while a group's entries are added, and
    /// while a lookup is built, so that the build sees every group or the group sees the lookup.
    pub(crate) tail: Mutex<Tail>,
    /// Lookups by id and by stream; `None` until first needed (see `index.rs`).
    pub(crate) ids: Mutex<Option<IdMap>>,
    pub(crate) streams: Mutex<Option<StreamMap>>,
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

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Events added (the rest were already there).
    pub added: u64,
    /// Keys in the export of subjects forgotten here (or by an imported event): not stored.
    pub keys_refused: Vec<SubjectId>,
    /// Sealed parts in the export that name such a subject: not stored.
    pub sealed_dropped: u64,
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
    recovered: Vec<Quarantined>,
    keys_migrated: bool,
    keys_restored: Option<&'static str>,
}

/// How a store is opened.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Where the master key that wraps the subject keys comes from.
    pub master_key: MasterKeySource,
}

impl StoreOptions {
    /// The master key as [`MasterKeySource::from_env`] finds it for `dir`.
    pub fn from_env(dir: &Path) -> StoreOptions {
        StoreOptions { master_key: MasterKeySource::from_env(dir) }
    }
}

/// The start of the messages of index damage that `repair` mends by rebuilding the indexes.
const INDEX_DAMAGE: &str = "the index";

pub(crate) fn check_marker(dir: &Path) -> Result<(), StoreError> {
    let marker = dir.join(MARKER_FILE);
    match std::fs::read_to_string(&marker) {
        Ok(t) if t == MARKER_TEXT => Ok(()),
        Ok(_) => Err(StoreError::Corrupt(format!("{} was written by another version of parlog", marker.display()))),
        Err(_) => Err(StoreError::NotInitialised(dir.display().to_string())),
    }
}

/// The data folder is the owner's alone: 0700, and its files 0600 (a folder made by an older
/// release was 0755 with files 0644). Set on every open for writing, not only at creation.
fn tighten_permissions(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let mode = if entry.file_type()?.is_dir() { 0o700 } else { 0o600 };
        if entry.metadata()?.permissions().mode() & 0o777 != mode {
            std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(mode))?;
        }
    }
    Ok(())
}

impl SledStore {
    /// Creates a data folder (or opens the existing one) and opens the store, with the master
    /// key from the environment or beside the folder (see [`MasterKeySource::from_env`]).
    pub fn init(dir: &Path) -> Result<SledStore, StoreError> {
        SledStore::init_with(dir, &StoreOptions::from_env(dir))
    }

    /// [`SledStore::init`] with the options given.
    pub fn init_with(dir: &Path, options: &StoreOptions) -> Result<SledStore, StoreError> {
        if !dir.exists() {
            if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::DirBuilder::new().mode(0o700).create(dir)?;
        }
        let marker = dir.join(MARKER_FILE);
        if !marker.exists() {
            if std::fs::read_dir(dir)?.next().is_some() {
                return Err(StoreError::Corrupt(format!(
                    "{} is not empty and is not a parlog data folder; choose an empty or new folder",
                    dir.display()
                )));
            }
            let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&marker)?;
            std::io::Write::write_all(&mut f, MARKER_TEXT.as_bytes())?;
            f.sync_all()?;
            seal::sync_dir(dir)?;
        }
        if !dir.join("log").exists() {
            // Made by init only (also after a crash between the marker and the log).
            LogFile::open(&dir.join("log"), true)?;
        }
        SledStore::open_with(dir, options)
    }

    /// Opens an existing data folder and checks that the stored head is the last event's hash,
    /// with the master key from the environment or beside the folder.
    pub fn open(dir: &Path) -> Result<SledStore, StoreError> {
        SledStore::open_with(dir, &StoreOptions::from_env(dir))
    }

    /// Opens an existing data folder. A folder that is locked is tried again for a moment:
    /// sled's I/O threads may still hold a store that was just dropped in this process.
    pub fn open_with(dir: &Path, options: &StoreOptions) -> Result<SledStore, StoreError> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_millis(OPEN_LOCKED_WAIT_MS);
        loop {
            match SledStore::open_once(dir, options, TailPolicy::Refuse) {
                Err(StoreError::Locked(_)) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(10))
                }
                other => return other,
            }
        }
    }

    /// Mends what can be mended without losing an acknowledged event, and says what it did:
    /// a damaged or missing copy of the key file is restored from the other, indexes that do
    /// not open are moved aside and rebuilt from the log, and a damaged last group of the log
    /// (after the last intact commit, with no later group) is taken out. Every byte taken out
    /// is kept in `quarantine/` and recorded in its journal. Damage that later groups follow is
    /// not mended: that needs a backup or an export.
    pub fn repair(dir: &Path, options: &StoreOptions) -> Result<(SledStore, Vec<Quarantined>), StoreError> {
        check_marker(dir)?;
        let mut moved = KeyFile::repair(dir, &options.master_key)?;
        // Damage in the log's tail or in the indexes: the indexes go aside and are rebuilt from
        // the log, so that recovery cuts at the last intact commit frame, not at what an index
        // remembers beyond it.
        let report = super::check::check_folder(dir, options)?;
        if dir.join("sled").exists() && report.findings.iter().any(|f| f.file == "log" || f.file == "sled") {
            let what = "indexes set aside so that they are rebuilt from the repaired log";
            moved.push(quarantine::keep_dir(dir, "sled", what)?);
        }
        let store = match SledStore::open_once(dir, options, TailPolicy::Quarantine) {
            Err(StoreError::Sled(e)) => {
                let what = format!("indexes that sled could not open ({e}); rebuilt from the log");
                moved.push(quarantine::keep_dir(dir, "sled", &what)?);
                SledStore::open_once(dir, options, TailPolicy::Quarantine)?
            }
            Err(StoreError::Corrupt(m)) if m.starts_with(INDEX_DAMAGE) => {
                let what = format!("indexes that do not match the log ({m}); rebuilt from the log");
                moved.push(quarantine::keep_dir(dir, "sled", &what)?);
                SledStore::open_once(dir, options, TailPolicy::Quarantine)?
            }
            other => other?,
        };
        moved.extend(store.recovered.iter().cloned());
        Ok((store, moved))
    }

    fn open_once(dir: &Path, options: &StoreOptions, policy: TailPolicy) -> Result<SledStore, StoreError> {
        check_marker(dir)?;
        tighten_permissions(dir)?;
        let sled_dir = dir.join("sled");
        let mut db = open_sled(&sled_dir, dir)?;
        if db.get(ix::FORMAT)?.as_deref() != Some(ix::INDEX_FORMAT) {
            // Indexes of another layout (or from before layouts were marked): start sled afresh
            // (clearing it in place would leave its files full of garbage) and rebuild them all
            // from the log below. A crash in between leaves no mark, so this is done again.
            drop(db);
            wait_unlocked(&sled_dir.join("db"), std::time::Duration::from_millis(OPEN_LOCKED_WAIT_MS));
            std::fs::remove_dir_all(&sled_dir)?;
            db = open_sled(&sled_dir, dir)?;
            db.insert(ix::FORMAT, ix::INDEX_FORMAT)?;
        }
        // `init` makes the log before the key files: without both, the log's absence is an
        // init a crash interrupted, not damage.
        let unfinished_init = !dir.join(KEYS_FILE).exists() && !dir.join(KEYS_COPY_FILE).exists();
        let log = match LogFile::open(&dir.join("log"), unfinished_init) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::Corrupt(format!(
                    "the log file {} is missing; restore the data folder from a backup",
                    dir.join("log").display()
                )))
            }
            other => other?,
        };
        let (keys, keys_opened) = KeyFile::open(dir, &options.master_key, log.len()? <= HEADER_BYTES)?;
        let (head, log_end, tail, mut recovered) = recover(&db, &log, dir, policy)?;
        recovered.extend(keys_opened.quarantined);
        let (head_tx, _) = watch::channel(head.position.0);
        let shared = Arc::new(Shared {
            db,
            tail: Mutex::new(tail),
            ids: Mutex::new(None),
            streams: Mutex::new(None),
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
        Ok(SledStore {
            shared,
            tx: Some(tx),
            writer: Some(w),
            dir: dir.to_path_buf(),
            recovered,
            keys_migrated: keys_opened.migrated,
            keys_restored: keys_opened.restored_copy,
        })
    }

    /// What opening moved to quarantine (the torn write of an unacknowledged group, a torn key
    /// entry): for the caller to tell the user, on stderr and in the server's log.
    pub fn recovered(&self) -> &[Quarantined] {
        &self.recovered
    }

    /// Whether opening wrapped a key file of the first format (keys in the clear).
    pub fn keys_migrated(&self) -> bool {
        self.keys_migrated
    }

    /// The copy of the key file that was missing or empty and that opening wrote again from the
    /// other (what a crash between writing the two leaves).
    pub fn keys_restored(&self) -> Option<&'static str> {
        self.keys_restored
    }

    /// Wraps the subject keys under a new master key (both copies of the key file rewritten).
    /// The new key must be kept where the old one was looked for, or named the next time.
    pub fn rotate_master_key(&self, new: &MasterKeySource) -> Result<(), StoreError> {
        self.shared.keys.lock().expect("key lock").rotate(new)?;
        Ok(())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether an earlier write failed, so that the store refuses work until it recovers.
    pub fn failed(&self) -> bool {
        self.shared.failed.load(Ordering::Acquire)
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
    /// the chain from the head. Keys and sealed bytes of forgotten subjects are not taken
    /// (forgetting is final); the report says how many were refused.
    pub fn import(
        &self,
        events: Vec<ImportedEvent>,
        keys: Vec<(SubjectId, [u8; SUBJECT_KEY_BYTES])>,
    ) -> Result<ImportReport, AppendError> {
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

    /// Every stream and its version, for statistics, in the order of their names.
    pub fn streams(&self) -> Result<Vec<(StreamId, u64)>, StoreError> {
        let mut out: Vec<(StreamId, u64)> =
            self.shared.with_lookup(&self.shared.streams, |m| m.streams().map(|(s, v)| (s.clone(), v)).collect())?;
        out.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
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
            // The entries past the last full chunk, so that opening need not index them again
            // from the log (it does if this is lost: they are derived data).
            if !self.shared.failed.load(Ordering::Acquire) {
                let tail = self.shared.tail.lock().expect("tail lock");
                if tail.store(&self.shared.db).is_ok() {
                    let _ = self.shared.db.flush();
                }
            }
        }
    }
}

impl Drop for SledStore {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn open_sled(sled_dir: &Path, dir: &Path) -> Result<sled::Db, StoreError> {
    if !sled_dir.exists() {
        std::fs::DirBuilder::new().mode(0o700).create(sled_dir)?;
    }
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
    Ok(Loaded { event, index, ciphertext, offset })
}

/// The index entry of a committed event whose frame is at `offset`.
pub(crate) fn entry_of(e: &RecordedEvent, offset: u64) -> Entry {
    Entry { position: e.position, offset, id: e.id, stream: e.stream.clone() }
}

/// The subject a SubjectForgotten event forgets, with the event's position.
pub(crate) fn forgotten_by(e: &RecordedEvent) -> Option<(SubjectId, Position)> {
    if e.kind != EventKind::SubjectForgotten {
        return None;
    }
    match e.domain() {
        Ok(DomainEvent::SubjectForgotten(f)) => Some((f.subject, e.position)),
        _ => None,
    }
}

/// Adds a committed group's index entries to the tail, and the chunks that fill and the
/// subjects it forgets to `batch`. Returns whether `batch` got anything.
pub(crate) fn index_group(
    tail: &mut Tail,
    entries: &[Entry],
    forgotten: &[(SubjectId, Position)],
    batch: &mut sled::Batch,
) -> bool {
    let filled = tail.add(entries, batch);
    for (s, p) in forgotten {
        batch.insert(ix::forgotten_key(s), &p.0.to_be_bytes()[..]);
    }
    filled || !forgotten.is_empty()
}

/// How recovery treats bytes after the last commit frame that no crash leaves behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TailPolicy {
    /// Refuse to open: they may be an acknowledged group that was changed or cut.
    Refuse,
    /// Move them to quarantine: `parlog repair`, which a person asked for.
    Quarantine,
}

/// Brings the indexes up to the log and finds the head. The log is read from where the
/// indexes end; every group closed by a commit frame is indexed. What follows the last commit
/// frame is classified (see `LogFile::classify_tail`): the torn write of a group that was never
/// acknowledged is moved to quarantine and zeroed; anything else makes the open fail, unless
/// `policy` says to quarantine it too. Returns what was moved.
fn recover(
    db: &sled::Db,
    log: &LogFile,
    dir: &Path,
    policy: TailPolicy,
) -> Result<(Head, u64, Tail, Vec<Quarantined>), StoreError> {
    let file_len = log.len()?;
    let (mut pos, mut end, mut hash, mut stored_tail) = (0u64, HEADER_BYTES, Hash::ZERO, None);
    // The last entry in sled must be that event in the log; the log is read on from its frame.
    if let Some((key, value)) = db.scan_prefix(b"c").next_back().transpose()? {
        let chunk = ix::decode(&key, &value)?;
        let last = *chunk.entries.last().expect("decode refuses an empty chunk");
        pos = last.position;
        let (frame, next) = log.read_frame(last.offset, file_len).map_err(|e| {
            StoreError::Corrupt(format!("the index puts position {pos} where the log has none: {}", e.describe()))
        })?;
        let l = loaded(frame, last.offset, Some(pos))?;
        if l.event.id != last.id {
            return Err(StoreError::Corrupt(format!(
                "the index names event {} at position {pos}, where the log holds {}",
                last.id, l.event.id
            )));
        }
        if l.event.compute_hash() != l.event.hash {
            return Err(StoreError::Corrupt(format!("the event at position {pos} does not match its hash")));
        }
        hash = l.event.hash;
        end = next;
        if chunk.entries.len() < ix::CHUNK_EVENTS {
            // The tail as the store had it when it closed.
            stored_tail = Some(Tail::stored(&key, &value)?);
        }
    }
    let mut tail = stored_tail.unwrap_or_else(|| Tail::empty(Position(pos + 1)));
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
                let entries: Vec<Entry> = pending.iter().map(|l| entry_of(&l.event, l.offset)).collect();
                let forgotten: Vec<_> = pending.iter().filter_map(|l| forgotten_by(&l.event)).collect();
                let _ = index_group(&mut tail, &entries, &forgotten, &mut batch);
                batch_events += pending.len();
                pending.clear();
                indexed_any = true;
                pos = position;
                hash = Hash(h);
                end = next;
                at = next;
                // A whole log to index (new index layout) goes in bounded batches.
                if batch_events >= RECOVER_BATCH_EVENTS_MAX {
                    db.apply_batch(std::mem::take(&mut batch))?;
                    batch_events = 0;
                }
            }
            Err(FrameError::End) => break,
            Err(FrameError::Torn(m)) => {
                // Taking bytes out here is right for the torn tail of an interrupted write,
                // never for damage to a group that later groups follow: that would drop
                // acknowledged events.
                if let Some(later) = log.committed_after(at, file_len)? {
                    return Err(StoreError::Corrupt(format!(
                        "position {} is damaged ({m}), but the log goes on to a commit of position {later}: acknowledged events follow it; restore the data folder from a backup or an export",
                        pos + pending.len() as u64 + 1
                    )));
                }
                break;
            }
            Err(FrameError::Io(e)) => return Err(e.into()),
        }
    }
    let mut quarantined = Vec::new();
    if end < file_len {
        let first = pos + 1;
        match log.classify_tail(end, at, file_len)? {
            TailState::Zeros => {}
            TailState::Torn { from, to } => {
                let what = format!(
                    "the unfinished write of a group from position {first} (an interrupted append that was never acknowledged)"
                );
                quarantined.push(quarantine_log_bytes(log, dir, from, to, &what)?);
            }
            TailState::Damaged { at: bad, why } if policy == TailPolicy::Quarantine => {
                let what = format!("the damaged last group from position {first} (at offset {bad}: {why})");
                quarantined.push(quarantine_log_bytes(log, dir, end, file_len, &what)?);
            }
            TailState::Damaged { at: bad, why } if !indexed_any && pending.is_empty() && pos > 0 => {
                return Err(StoreError::Corrupt(format!(
                    "the log is damaged right after position {pos}, which the indexes record as acknowledged: at offset {bad}: {why}. Restore the data folder from a backup, or run `parlog repair` to move the damaged bytes to quarantine (position {pos} goes with them if its commit frame is what is damaged)"
                )));
            }
            TailState::Damaged { at: bad, why } => {
                let p = pos + pending.len() as u64 + 1;
                return Err(StoreError::Corrupt(format!(
                    "the last group of the log, which starts at position {first} (offset {end}), is damaged at offset {bad}, where position {p} or the group's commit frame should be: {why}. Its events may have been acknowledged, so parlog does not open the folder; restore it from a backup, or run `parlog repair` to move the group to quarantine and go on without it"
                )));
            }
        }
    }
    if indexed_any {
        db.apply_batch(batch)?;
        db.flush()?;
    }
    Ok((Head { position: Position(pos), hash }, end, tail, quarantined))
}

/// Keeps `[from, to)` of the log in quarantine, then overwrites it with zeros (not a cut: the
/// file keeps its aligned length, see `LogFile::write_durable`).
fn quarantine_log_bytes(log: &LogFile, dir: &Path, from: u64, to: u64, what: &str) -> Result<Quarantined, StoreError> {
    let bytes = log.read_range(from, to)?;
    let q = quarantine::keep(dir, "log", from, &bytes, what)?;
    log.scrub(from, to)?;
    Ok(q)
}

impl Shared {
    pub(crate) fn durable(&self) -> u64 {
        self.durable.load(Ordering::Acquire)
    }

    /// Runs `f` on a lookup, building it from sled first if no one has needed it yet.
    pub(crate) fn with_lookup<L: Lookup, R>(
        &self,
        slot: &Mutex<Option<L>>,
        f: impl FnOnce(&L) -> R,
    ) -> Result<R, StoreError> {
        if let Some(m) = slot.lock().expect("lookup lock").as_ref() {
            return Ok(f(m));
        }
        // Lock order: tail, then the lookup (as publishing takes them). No group is indexed
        // meanwhile.
        let tail = self.tail.lock().expect("tail lock");
        let mut m = slot.lock().expect("lookup lock");
        if m.is_none() {
            *m = Some(ix::build(&self.db, &tail)?);
        }
        Ok(f(m.as_ref().expect("just built")))
    }

    /// The log offset of the frame of the event at `p`: from the tail, or from the chunk in sled
    /// that holds `p`.
    fn offset_of(&self, p: Position) -> Result<u64, StoreError> {
        Ok(self.offsets_of(&[p.0])?[0])
    }

    /// The frame offsets of `positions` (in increasing order): one sled lookup per chunk.
    fn offsets_of(&self, positions: &[u64]) -> Result<Vec<u64>, StoreError> {
        let missing = |p: u64| StoreError::Corrupt(format!("position {p} has no entry in the index"));
        let mut out = Vec::with_capacity(positions.len());
        let mut chunk: Option<(u64, Vec<u64>)> = None;
        for &p in positions {
            let within = |c: &(u64, Vec<u64>)| p >= c.0 && p < c.0 + c.1.len() as u64;
            if !chunk.as_ref().is_some_and(within) {
                // Held, it keeps the positions below the tail's first in sled.
                let tail = self.tail.lock().expect("tail lock");
                let (first, entries) = if p >= tail.first() {
                    (tail.first(), tail.entries().iter().map(|e| e.offset).collect())
                } else {
                    let found = self.db.range(ix::chunk_key(Position(1))..=ix::chunk_key(Position(p))).next_back();
                    let (key, value) = found.transpose()?.ok_or_else(|| missing(p))?;
                    let c = ix::decode(&key, &value)?;
                    (c.first, c.entries.iter().map(|e| e.offset).collect())
                };
                chunk = Some((first, entries));
            }
            let (first, offsets) = chunk.as_ref().expect("just found");
            out.push(*offsets.get((p - first) as usize).ok_or_else(|| missing(p))?);
        }
        Ok(out)
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
        let (frames, next) = self.log.read_frames(off, end, limit).map_err(|e| frame_error(Position(from), e))?;
        let mut out = Vec::with_capacity(limit);
        for (at, frame) in frames {
            if let Frame::Commit { .. } = frame {
                continue;
            }
            let expected = from + out.len() as u64;
            out.push(loaded(frame, at, Some(expected))?.event);
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
        let candidates: Vec<Position> = self.with_lookup(&self.ids, |m| m.candidates(id).collect())?;
        for p in candidates {
            // An event indexed but not yet visible (it is being published) is not there yet.
            if let Some(l) = self.load(p)? {
                if l.event.id == id {
                    return Ok(Some(l));
                }
            }
        }
        Ok(None)
    }

    /// How many events the stream has in the index (its version once the writer's groups are
    /// published).
    pub(crate) fn stream_version(&self, s: &StreamId) -> Result<u64, StoreError> {
        self.with_lookup(&self.streams, |m| m.stream(s).len() as u64)
    }
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
        let skip = from_version.max(1) - 1;
        let positions: Vec<u64> = self.shared.with_lookup(&self.shared.streams, |m| {
            let positions = m.stream(stream);
            let from = positions.len().min(usize::try_from(skip).unwrap_or(usize::MAX));
            positions[from..].iter().take(limit).copied().collect()
        })?;
        let offsets = self.shared.offsets_of(&positions)?;
        let mut out = Vec::with_capacity(positions.len());
        for (i, (p, off)) in positions.iter().zip(offsets).enumerate() {
            let (version, p) = (skip + i as u64 + 1, Position(*p));
            match self.shared.load_at(p, off)?.map(|l| l.event) {
                Some(e) if &e.stream == stream && e.stream_version == version => out.push(e),
                Some(e) => {
                    return Err(StoreError::Corrupt(format!(
                    "the index puts version {version} of stream {stream} at position {p}, which holds version {} of {}",
                    e.stream_version, e.stream
                )))
                }
                None => break, // not durable yet
            }
        }
        Ok(out)
    }

    fn get(&self, id: EventId) -> Result<Option<RecordedEvent>, StoreError> {
        Ok(self.shared.find(id)?.map(|l| l.event))
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
        if let Some(v) = shared.db.get(ix::forgotten_key(s))? {
            let p = (v.len() == 8)
                .then(|| Position(ix::u64_at(&v, 0)))
                .ok_or_else(|| StoreError::Corrupt(format!("the forget entry of {s} is unreadable")))?;
            let fe = shared.event_at(p)?.ok_or_else(|| StoreError::Corrupt(format!("forget event {p} is missing")))?;
            let by = match fe.domain() {
                Ok(DomainEvent::SubjectForgotten(f)) => f.requested_by,
                _ => return Err(StoreError::Corrupt(format!("position {p} is not a SubjectForgotten event"))),
            };
            return Ok(SealedView::Forgotten { subject: s.clone(), position: p, at: fe.recorded_at, by });
        }
    }
    let damaged = |reason: &str| Ok(SealedView::Damaged { reason: format!("position {}: {reason}", e.position) });
    let Some(ct) = shared.ciphertext_at(e.position)? else {
        return damaged("the sealed bytes are missing but no subject was forgotten");
    };
    if Hash(*blake3::hash(&ct).as_bytes()) != meta.digest {
        return damaged("the sealed bytes do not match their digest");
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
    let Some(plain) = seal::open(e.id, &ks, &meta.nonce, &ct) else {
        return damaged("the sealed bytes do not decrypt with the subjects' keys");
    };
    match serde_json::from_slice::<SealedData>(&plain) {
        Ok(data) => Ok(SealedView::Open(data)),
        Err(err) => damaged(&format!("the sealed data is not what parlog seals: {err}")),
    }
}

fn verify(shared: &Shared) -> Result<VerifyReport, StoreError> {
    let head = *shared.head.lock().expect("head lock");
    let end = shared.log_end.load(Ordering::Acquire);
    let mut prev = Hash::ZERO;
    let mut expected = 1u64;
    let mut versions: std::collections::HashMap<StreamId, u64> = std::collections::HashMap::new();
    let mut indexed = StoredEntries::new(shared);
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
                Err(e) => return bad(expected, format!("its frame in the log is damaged: {}", e.describe())),
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
            match indexed.next() {
                Ok(Some(x))
                    if x.position == at_pos && x.offset == off && x.id == e.id && x.stream == e.stream.as_str() => {}
                Ok(Some(x)) if x.position != at_pos => {
                    return bad(at_pos, format!("the index is out of step: position {} comes in its place", x.position))
                }
                Ok(Some(x)) if x.id != e.id => {
                    return bad(at_pos, format!("the id index names {} for it, but it is {}", x.id, e.id))
                }
                Ok(Some(x)) if x.stream != e.stream.as_str() => {
                    return bad(at_pos, format!("the stream index puts it in {}, but it is in {}", x.stream, e.stream))
                }
                Ok(Some(_)) => return bad(at_pos, "the index does not point at its frame".into()),
                Ok(None) => return bad(at_pos, "the index has no entry for it".into()),
                Err(StoreError::Corrupt(m)) => return bad(at_pos, m),
                Err(e) => return Err(e),
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
            if let Some(meta) = &e.sealed {
                match &l.ciphertext {
                    Some(ct) if Hash(*blake3::hash(ct).as_bytes()) == meta.digest => {}
                    Some(_) => return bad(at_pos, "its sealed bytes do not match their digest".into()),
                    None => {
                        let mut forgotten = false;
                        for s in &meta.subjects {
                            forgotten |= shared.db.contains_key(ix::forgotten_key(s))?;
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
    // Entries past the head can only be told from new ones if nothing was appended meanwhile.
    if *shared.head.lock().expect("head lock") == head {
        match indexed.next() {
            Ok(None) => {}
            Ok(Some(x)) => {
                return bad(
                    head.position.0,
                    format!("the index has an entry for position {} past the head", x.position),
                )
            }
            Err(StoreError::Corrupt(m)) => return bad(head.position.0, m),
            Err(e) => return Err(e),
        }
    }
    Ok(VerifyReport { events: head.position.0, head, first_bad: None })
}

/// An index entry as stored, owned.
struct StoredEntry {
    position: u64,
    offset: u64,
    id: EventId,
    stream: String,
}

/// The stored index entries in position order, chunk by chunk, for `verify`.
struct StoredEntries {
    chunks: sled::Iter,
    entries: std::vec::IntoIter<StoredEntry>,
    tail: Option<Vec<StoredEntry>>,
}

impl StoredEntry {
    fn of(e: &ix::Stored<'_>) -> StoredEntry {
        StoredEntry { position: e.position, offset: e.offset, id: e.id, stream: e.stream.to_string() }
    }
}

impl StoredEntries {
    /// The chunks in sled below the tail, then the tail (a copy of it as it is now).
    fn new(shared: &Shared) -> StoredEntries {
        let tail = shared.tail.lock().expect("tail lock");
        let chunks = shared.db.range(ix::chunk_key(Position(1))..ix::chunk_key(Position(tail.first())));
        let tail: Vec<StoredEntry> = tail.entries().iter().map(StoredEntry::of).collect();
        StoredEntries { chunks, entries: Vec::new().into_iter(), tail: Some(tail) }
    }

    fn next(&mut self) -> Result<Option<StoredEntry>, StoreError> {
        loop {
            if let Some(e) = self.entries.next() {
                return Ok(Some(e));
            }
            let Some(item) = self.chunks.next() else {
                match self.tail.take() {
                    Some(tail) => {
                        self.entries = tail.into_iter();
                        continue;
                    }
                    None => return Ok(None),
                }
            };
            let (key, value) = item?;
            let chunk = ix::decode(&key, &value)?;
            self.entries = chunk.entries.iter().map(StoredEntry::of).collect::<Vec<_>>().into_iter();
        }
    }
}
