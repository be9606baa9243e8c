//! The embedded default store: a data folder with the log, the key files and sled's indexes.
//! Opening (with recovery), repair, the reads and the `EventStore` implementation; the writer
//! thread does the writing (`writer.rs`).

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot, watch};

use super::folder::{check_marker, tighten_permissions, StoreOptions, MARKER_FILE, MARKER_TEXT};
use super::forget;
use super::import::{ImportReport, ImportedEvent};
use super::index::{wait_unlocked, Indexes};
use super::log::{LogFile, HEADER_BYTES};
use super::quarantine::{self, Quarantined};
use super::recovery::{recover, TailPolicy};
use super::shared::Shared;
use super::subscription::{LogReader, Subscription};
use super::writer::{self, Request};
use super::{unseal, verify};
use super::{AppendError, Appended, EventStore, ForgetError, Head, SealedView, StoreError, VerifyReport};
use crate::envelope::{NewEvent, RecordedEvent};
use crate::ids::{EventId, ParticipantId, Position, StreamId, SubjectId};
use crate::keyfile::{KeyFile, MasterKeySource, KEYS_COPY_FILE, KEYS_FILE};
use crate::limits::{OPEN_LOCKED_WAIT_MS, PAGE_EVENTS_MAX, WRITER_QUEUE_APPENDS_MAX};
use crate::seal::{self, SubjectKey};
use crate::values::LongText;

pub struct SledStore {
    shared: Arc<Shared>,
    tx: Option<mpsc::Sender<Request>>,
    writer: Option<JoinHandle<()>>,
    dir: PathBuf,
    recovered: Vec<Quarantined>,
    keys_migrated: bool,
    keys_restored: Option<&'static str>,
}

/// The start of the messages of index damage that `repair` mends by rebuilding the indexes.
const INDEX_DAMAGE: &str = "the index";

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
        let index = Indexes::open(&dir.join("sled"), dir)?;
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
        let found = recover(&index, &log, dir, policy)?;
        let (head, log_end, mut recovered) = (found.head, found.log_end, found.quarantined);
        recovered.extend(keys_opened.quarantined);
        let (head_tx, _) = watch::channel(head.position.0);
        let shared = Arc::new(Shared {
            index,
            log,
            log_end: AtomicU64::new(log_end),
            durable: AtomicU64::new(head.position.0),
            head: Mutex::new(head),
            head_tx,
            keys: Mutex::new(keys),
            failed: AtomicBool::new(false),
        });
        forget::finish_forgetting(&shared)?;
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
        keys: Vec<(SubjectId, SubjectKey)>,
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
    pub fn subject_keys(&self) -> Vec<(SubjectId, SubjectKey)> {
        let keys = self.shared.keys.lock().expect("key lock");
        keys.subjects().map(|s| (s.clone(), *keys.get(s).expect("listed"))).collect()
    }

    /// Bytes the store occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.shared.index.size_on_disk()? + self.shared.log.len()?)
    }

    /// Every stream and its version, for statistics, in the order of their names.
    pub fn streams(&self) -> Result<Vec<(StreamId, u64)>, StoreError> {
        let mut out = self.shared.index.streams()?;
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
                self.shared.index.store_tail();
            }
        }
    }
}

impl Drop for SledStore {
    fn drop(&mut self) {
        self.shutdown();
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
        let positions = self.shared.index.stream_positions(stream, skip, limit)?;
        let offsets = self.shared.index.offsets_of(&positions)?;
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
        self.shared.head()
    }

    fn subscribe(&self, from: Position) -> Subscription {
        let reader: Arc<dyn LogReader> = self.shared.clone();
        Subscription::new(&reader, self.shared.head_tx.subscribe(), from)
    }

    fn verify(&self) -> Result<VerifyReport, StoreError> {
        verify::verify(&self.shared)
    }

    fn unseal(&self, e: &RecordedEvent) -> Result<SealedView, StoreError> {
        unseal::unseal(&*self.shared, e)
    }

    fn read_from_unsealed(
        &self,
        from: Position,
        limit: usize,
        open: &dyn Fn(&RecordedEvent) -> bool,
    ) -> Result<Vec<(RecordedEvent, Option<SealedView>)>, StoreError> {
        let page = self.shared.read_range_loaded(from, limit)?;
        page.into_iter()
            .map(|l| {
                let sealed = match open(&l.event) {
                    // The bytes read with the event: as `unseal` would read them again, after it
                    // has looked whether a subject was forgotten.
                    true => Some(unseal::unseal_with(&*self.shared, &l.event, l.ciphertext)?),
                    false => None,
                };
                Ok((l.event, sealed))
            })
            .collect()
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
