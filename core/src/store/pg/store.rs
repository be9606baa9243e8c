//! Opening a study kept in PostgreSQL, its reads, verify, and the `EventStore` implementation;
//! the writer thread does the writing (`writer.rs`).

use std::collections::HashMap;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot, watch};

use super::db::{pg_error, pool_error, PgDatabase};
use super::writer;
use crate::envelope::{NewEvent, RecordedEvent};
use crate::ids::{EventId, Hash, ParticipantId, Position, StreamId, StudySlug, SubjectId};
use crate::keyfile::{KeyFile, KeysReport, MasterKeySource};
use crate::limits::{PAGE_EVENTS_MAX, WRITER_QUEUE_APPENDS_MAX};
use crate::seal::{self, SubjectKey};
use crate::store::decide::{RetryDigest, RETRY_DIGEST_BYTES};
use crate::store::folder::{StoreOptions, MARKER_FILE};
use crate::store::import::{ImportReport, ImportedEvent};
use crate::store::quarantine::Quarantined;
use crate::store::subscription::{LogReader, Subscription};
use crate::store::writer::Request;
use crate::store::{AppendError, Appended, EventStore, ForgetError, Head, SealedView, StoreError, VerifyReport};
use crate::values::LongText;

/// The marker of a study's key folder when its events are in PostgreSQL: the folder holds the
/// subject keys (and the lock of the study's writer), not a log.
pub const PG_KEYS_MARKER_TEXT: &str = "parlog key folder\nevents in postgresql\n";

/// Rows verify reads in one query.
const VERIFY_PAGE_ROWS: i64 = 4_096;

/// The study's subject keys: the key files opened for writing (the study's writer), or read
/// whole without opening them for writing (a store that only reads, beside the writer).
pub(crate) enum Keys {
    Writable(KeyFile),
    ReadOnly(std::collections::BTreeMap<SubjectId, SubjectKey>),
}

fn read_only_keys() -> std::io::Error {
    std::io::Error::other("the store was opened for reading only")
}

impl Keys {
    pub(crate) fn get(&self, s: &SubjectId) -> Option<&SubjectKey> {
        match self {
            Keys::Writable(k) => k.get(s),
            Keys::ReadOnly(k) => k.get(s),
        }
    }

    pub(crate) fn contains(&self, s: &SubjectId) -> bool {
        self.get(s).is_some()
    }

    pub(crate) fn subjects(&self) -> Vec<SubjectId> {
        match self {
            Keys::Writable(k) => k.subjects().cloned().collect(),
            Keys::ReadOnly(k) => k.keys().cloned().collect(),
        }
    }

    pub(crate) fn add(&mut self, new: &[(SubjectId, SubjectKey)]) -> std::io::Result<()> {
        match self {
            Keys::Writable(k) => k.add(new),
            Keys::ReadOnly(_) if new.is_empty() => Ok(()),
            Keys::ReadOnly(_) => Err(read_only_keys()),
        }
    }

    pub(crate) fn remove(&mut self, s: &SubjectId) -> std::io::Result<()> {
        match self {
            Keys::Writable(k) => k.remove(s),
            Keys::ReadOnly(_) => Err(read_only_keys()),
        }
    }

    fn rotate(&mut self, new: &MasterKeySource) -> Result<(), StoreError> {
        match self {
            Keys::Writable(k) => Ok(k.rotate(new)?),
            Keys::ReadOnly(_) => Err(StoreError::ReadOnly("the store was opened for reading only".into())),
        }
    }
}

/// What the writer and the readers of one study share.
pub(crate) struct PgShared {
    pub(crate) db: PgDatabase,
    pub(crate) study: String,
    /// The head the writer published: readers see positions up to it.
    pub(crate) durable: AtomicU64,
    pub(crate) head: Mutex<Head>,
    pub(crate) head_tx: watch::Sender<u64>,
    pub(crate) keys: Mutex<Keys>,
    /// Every forgotten subject and the position of its forget event (few; loaded at start).
    pub(crate) forgotten: Mutex<HashMap<SubjectId, Position>>,
}

/// An event as the writer looks it up: with its retry digest.
pub(crate) struct Row {
    pub(crate) event: RecordedEvent,
    pub(crate) retry: RetryDigest,
}

pub(crate) fn decode(position: i64, record: &[u8]) -> Result<RecordedEvent, StoreError> {
    let e = RecordedEvent::decode(record).map_err(|e| StoreError::Corrupt(format!("position {position}: {e}")))?;
    if e.position.0 as i64 != position {
        return Err(StoreError::Corrupt(format!("the record at position {position} says it is at {}", e.position)));
    }
    Ok(e)
}

pub(crate) fn retry_of(position: i64, bytes: &[u8]) -> Result<RetryDigest, StoreError> {
    let b: &[u8; RETRY_DIGEST_BYTES] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("position {position}: the retry digest is not 64 bytes")))?;
    Ok(RetryDigest::from_bytes(b))
}

impl PgShared {
    pub(crate) fn durable(&self) -> u64 {
        self.durable.load(Ordering::Acquire)
    }

    pub(crate) fn head(&self) -> Head {
        *self.head.lock().expect("head lock")
    }

    /// Makes a committed head visible to readers and subscribers.
    pub(crate) fn publish(&self, head: Head) {
        let mut h = self.head.lock().expect("head lock");
        if head.position.0 < h.position.0 {
            return;
        }
        *h = head;
        self.durable.store(head.position.0, Ordering::Release);
        self.head_tx.send_replace(head.position.0);
    }

    /// The last event the database holds for the study, checked against its hash.
    pub(crate) fn db_head(&self) -> Result<Head, StoreError> {
        db_head(&self.db, &self.study)
    }

    pub(crate) fn read_range(&self, from: Position, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        let durable = self.durable();
        let from = from.0.max(1);
        if from > durable || limit == 0 {
            return Ok(Vec::new());
        }
        let to = durable.min(from + limit.min(PAGE_EVENTS_MAX) as u64 - 1);
        let (study, a, b) = (self.study.clone(), from as i64, to as i64);
        let rows = self.db.run(|pool| async move {
            let c = pool.get().await.map_err(pool_error)?;
            let st = c
                .prepare_cached(
                    "SELECT position, record FROM parlog.events WHERE study = $1 AND position BETWEEN $2 AND $3 ORDER BY position",
                )
                .await
                .map_err(pg_error)?;
            c.query(&st, &[&study, &a, &b]).await.map_err(pg_error)
        })?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let expected = from + out.len() as u64;
            let p: i64 = row.get(0);
            if p as u64 != expected {
                return Err(StoreError::Corrupt(format!("position {expected} is missing")));
            }
            out.push(decode(p, row.get(1))?);
        }
        if out.len() as u64 != to - from + 1 {
            return Err(StoreError::Corrupt(format!("position {} is missing", from + out.len() as u64)));
        }
        Ok(out)
    }

    /// One event by position, at most up to `bound` (the published head, or more for the writer).
    pub(crate) fn event_at(&self, p: Position) -> Result<Option<RecordedEvent>, StoreError> {
        if p.0 == 0 || p.0 > self.durable() {
            return Ok(None);
        }
        Ok(self.read_range(p, 1)?.pop())
    }

    pub(crate) fn ciphertext_at(&self, p: Position) -> Result<Option<Vec<u8>>, StoreError> {
        if p.0 == 0 || p.0 > self.durable() {
            return Ok(None);
        }
        let (study, p) = (self.study.clone(), p.0 as i64);
        self.db.run(|pool| async move {
            let c = pool.get().await.map_err(pool_error)?;
            let row = c
                .query_opt("SELECT ciphertext FROM parlog.events WHERE study = $1 AND position = $2", &[&study, &p])
                .await
                .map_err(pg_error)?;
            Ok(row.and_then(|r| r.get::<_, Option<Vec<u8>>>(0)))
        })
    }

    /// Events by id, with their retry digests, whatever the published head (for the writer).
    pub(crate) fn rows_by_id(&self, ids: &[EventId]) -> Result<Vec<Row>, StoreError> {
        let (study, ids): (String, Vec<uuid::Uuid>) = (self.study.clone(), ids.iter().map(|i| i.0).collect());
        let rows = self.db.run(|pool| async move {
            let c = pool.get().await.map_err(pool_error)?;
            let st = c
                .prepare_cached("SELECT position, record, retry FROM parlog.events WHERE study = $1 AND id = ANY($2)")
                .await
                .map_err(pg_error)?;
            c.query(&st, &[&study, &ids]).await.map_err(pg_error)
        })?;
        rows.iter()
            .map(|r| {
                let p: i64 = r.get(0);
                Ok(Row { event: decode(p, r.get(1))?, retry: retry_of(p, r.get(2))? })
            })
            .collect()
    }

    /// The version of a stream as the database holds it.
    pub(crate) fn db_stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        let (study, stream) = (self.study.clone(), stream.as_str().to_string());
        self.db.run(|pool| async move {
            let c = pool.get().await.map_err(pool_error)?;
            let st = c
                .prepare_cached("SELECT max(stream_version) FROM parlog.events WHERE study = $1 AND stream = $2")
                .await
                .map_err(pg_error)?;
            let v: Option<i64> = c.query_one(&st, &[&study, &stream]).await.map_err(pg_error)?.get(0);
            Ok(v.unwrap_or(0) as u64)
        })
    }

    /// Every forgotten subject and the position of its forget. A row whose forgets column its
    /// record does not bear out makes this fail: opening would otherwise destroy the data and
    /// key of a subject nobody asked to forget.
    pub(crate) fn db_forgotten(&self) -> Result<HashMap<SubjectId, Position>, StoreError> {
        let (forgotten, unfounded) = forget_rows(&self.db, &self.study)?;
        if let Some((p, s)) = unfounded.first() {
            return Err(StoreError::Corrupt(format!(
                "position {p}: its forgets column names {s:?}, which its record does not forget; \
                 the subject's data is kept until this is put right"
            )));
        }
        forgotten
            .into_iter()
            .map(|(s, p)| {
                let s = SubjectId::parse(&s)
                    .map_err(|e| StoreError::Corrupt(format!("position {p} forgets {s:?}, not a subject: {e}")))?;
                Ok((s, Position(p as u64)))
            })
            .collect()
    }

    pub(crate) fn forgotten_at(&self, s: &SubjectId) -> Option<Position> {
        self.forgotten.lock().expect("forgotten lock").get(s).copied()
    }
}

/// Forgotten subjects with the position of their first forget, and the rows (position, column)
/// whose forgets column their record does not bear out.
type ForgetRows = (HashMap<String, i64>, Vec<(i64, String)>);

/// The rows of a study that say they forget a subject (the `forgets` column), each checked
/// against its record: the subjects their records forget, with the first position of each, and
/// apart the rows (position, column) whose record does not forget what the column says (damaged,
/// or changed behind parlog's back), which must not count as forgets.
fn forget_rows(db: &PgDatabase, study: &str) -> Result<ForgetRows, StoreError> {
    let study = study.to_string();
    let rows = db.run(|pool| async move {
        let c = pool.get().await.map_err(pool_error)?;
        c.query(
            "SELECT position, forgets, record FROM parlog.events WHERE study = $1 AND forgets IS NOT NULL ORDER BY position",
            &[&study],
        )
        .await
        .map_err(pg_error)
    })?;
    let mut forgotten: HashMap<String, i64> = HashMap::new();
    let mut unfounded = Vec::new();
    for r in &rows {
        let (p, column): (i64, String) = (r.get(0), r.get(1));
        let founded = decode(p, r.get(2))
            .ok()
            .filter(|e| e.compute_hash() == e.hash)
            .and_then(|e| crate::store::decide::forgotten_by(&e).filter(|(s, _)| s.as_str() == column));
        match founded {
            Some(_) => {
                forgotten.entry(column).or_insert(p);
            }
            None => unfounded.push((p, column)),
        }
    }
    Ok((forgotten, unfounded))
}

/// The position and hash a study's writer recorded with its last group; `None` for a study the
/// database does not hold.
type Recorded = Option<(i64, Option<Vec<u8>>)>;

/// The head the study's writer recorded with its last group (`parlog.studies`).
fn recorded_head(db: &PgDatabase, study: &str) -> Result<Recorded, StoreError> {
    let study = study.to_string();
    let row = db.run(|pool| async move {
        let c = pool.get().await.map_err(pool_error)?;
        c.query_opt("SELECT head_position, head_hash FROM parlog.studies WHERE study = $1", &[&study])
            .await
            .map_err(pg_error)
    })?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

/// Whether the last row is the head the writer recorded; what is wrong if not.
fn head_mismatch(recorded: Recorded, last: &Head) -> Option<String> {
    let (p, hash) = recorded?;
    let last_p = last.position.0 as i64;
    if p > last_p {
        return Some(format!(
            "the study's last group ended at position {p}, but its rows end at {last_p}: rows {}–{p} are missing",
            last_p + 1
        ));
    }
    if p < last_p {
        return Some(format!(
            "the study's last group ended at position {p}, but rows go on to {last_p}: rows {}–{last_p} were not written by its writer",
            p + 1
        ));
    }
    match hash {
        Some(h) if p > 0 && h.as_slice() != last.hash.0.as_slice() => {
            Some(format!("position {p} is not the event the study's last group ended with (another hash)"))
        }
        _ => None,
    }
}

/// The last row of a study: its position, hash column and record.
type LastRow = (i64, Vec<u8>, Vec<u8>);

/// The head the writer recorded and the last row, read in one statement (one snapshot), so that
/// a group its writer commits meanwhile cannot make them disagree.
fn head_rows(db: &PgDatabase, study: &str) -> Result<(Recorded, Option<LastRow>), StoreError> {
    let study = study.to_string();
    let row = db.run(|pool| async move {
        let c = pool.get().await.map_err(pool_error)?;
        c.query_opt(
            "SELECT s.head_position, s.head_hash, e.position, e.hash, e.record FROM parlog.studies s
             LEFT JOIN LATERAL (SELECT position, hash, record FROM parlog.events
                                WHERE study = s.study ORDER BY position DESC LIMIT 1) e ON true
             WHERE s.study = $1",
            &[&study],
        )
        .await
        .map_err(pg_error)
    })?;
    Ok(match row {
        None => (None, None),
        Some(r) => {
            let last = r.get::<_, Option<i64>>(2).map(|p| (p, r.get(3), r.get(4)));
            (Some((r.get(0), r.get(1))), last)
        }
    })
}

/// The last event the database holds for a study, checked against its hash and against the head
/// its writer recorded.
/// Checks that `keys_dir` is the key folder of a study kept in PostgreSQL; its marker file.
fn key_folder_marker(keys_dir: &Path) -> Result<PathBuf, StoreError> {
    let marker = keys_dir.join(MARKER_FILE);
    match std::fs::read_to_string(&marker) {
        Ok(t) if t == PG_KEYS_MARKER_TEXT => Ok(marker),
        Ok(_) => Err(StoreError::Corrupt(format!(
            "{} is not the key folder of a study kept in PostgreSQL",
            keys_dir.display()
        ))),
        Err(_) => Err(StoreError::NotInitialised(keys_dir.display().to_string())),
    }
}

impl PgShared {
    /// The state of a study the database holds, at its head as the database has it now, with
    /// the keys `keys` opens for that head (for writing or for reading) and the subjects the log
    /// has forgotten. Shared by the writer's open and the read-only open.
    fn load(
        db: &PgDatabase,
        study: &StudySlug,
        keys: impl FnOnce(&Head) -> Result<Keys, StoreError>,
    ) -> Result<PgShared, StoreError> {
        if db.study_events(study)?.is_none() {
            return Err(StoreError::NotInitialised(format!("study {study} in {}", db.shown())));
        }
        let head = db_head(db, study.as_str())?;
        let keys = keys(&head)?;
        let (head_tx, _) = watch::channel(head.position.0);
        let shared = PgShared {
            db: db.clone(),
            study: study.to_string(),
            durable: AtomicU64::new(head.position.0),
            head: Mutex::new(head),
            head_tx,
            keys: Mutex::new(keys),
            forgotten: Mutex::new(HashMap::new()),
        };
        *shared.forgotten.lock().expect("forgotten lock") = shared.db_forgotten()?;
        Ok(shared)
    }
}

fn db_head(db: &PgDatabase, study: &str) -> Result<Head, StoreError> {
    let (recorded, last) = head_rows(db, study)?;
    let head = match last {
        None => Head { position: Position(0), hash: Hash::ZERO },
        Some((p, hash, record)) => {
            let e = decode(p, &record)?;
            if e.hash.0.as_slice() != hash.as_slice() || e.compute_hash() != e.hash {
                return Err(StoreError::Corrupt(format!("position {p}, the last event, does not match its hash")));
            }
            Head { position: e.position, hash: e.hash }
        }
    };
    if let Some(m) = head_mismatch(recorded, &head) {
        return Err(StoreError::Corrupt(m));
    }
    Ok(head)
}

impl crate::store::unseal::SealedSource for PgShared {
    fn forgotten_at(&self, s: &SubjectId) -> Result<Option<Position>, StoreError> {
        Ok(PgShared::forgotten_at(self, s))
    }
    fn event_at(&self, p: Position) -> Result<Option<RecordedEvent>, StoreError> {
        PgShared::event_at(self, p)
    }
    fn ciphertext_at(&self, p: Position) -> Result<Option<Vec<u8>>, StoreError> {
        PgShared::ciphertext_at(self, p)
    }
    fn key(&self, s: &SubjectId) -> Result<Option<SubjectKey>, String> {
        Ok(self.keys.lock().expect("key lock").get(s).copied())
    }
}

impl LogReader for PgShared {
    fn read_range(&self, from: Position, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        PgShared::read_range(self, from, limit)
    }
}

/// Walks a study's whole chain in the database: every row's record decodes, sits at its
/// position, matches its hash and its columns, links to the one before, continues its stream,
/// and holds the ciphertext its record announces unless a subject of it was forgotten.
/// Reads only.
fn verify_walk(db: &PgDatabase, study: &str) -> Result<VerifyReport, StoreError> {
    // Only forgets that their records bear out excuse missing sealed bytes; a forgets column
    // changed on another row is found at that row, after the rows whose bytes it would excuse.
    let (forgotten, _) = forget_rows(db, study)?;
    // The walk covers the log up to the head recorded when it begins: groups the study's writer
    // commits during the walk (`parlog verify` beside a running server) are left to the next one.
    let recorded = recorded_head(db, study)?;
    let bound = recorded.as_ref().map_or(i64::MAX, |(p, _)| *p);
    let mut prev = Hash::ZERO;
    let mut expected = 1u64;
    let mut versions: HashMap<StreamId, u64> = HashMap::new();
    let bad = |p: u64, prev: Hash, m: String| {
        Ok(VerifyReport {
            events: p - 1,
            head: Head { position: Position(p - 1), hash: prev },
            first_bad: Some((Position(p), m)),
        })
    };
    loop {
        let (s, from) = (study.to_string(), expected as i64);
        let rows = db.run(|pool| async move {
            let c = pool.get().await.map_err(pool_error)?;
            c.query(
                "SELECT position, id, stream, stream_version, hash, record, retry, ciphertext, forgets
                 FROM parlog.events WHERE study = $1 AND position >= $2 AND position <= $4
                 ORDER BY position LIMIT $3",
                &[&s, &from, &VERIFY_PAGE_ROWS, &bound],
            )
            .await
            .map_err(pg_error)
        })?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let p: i64 = r.get(0);
            if p as u64 != expected {
                return bad(expected, prev, "it is missing".into());
            }
            let e = match decode(p, r.get(5)) {
                Ok(e) => e,
                Err(StoreError::Corrupt(m)) => return bad(expected, prev, m),
                Err(e) => return Err(e),
            };
            if e.prev_hash != prev {
                return bad(expected, prev, "it does not link to the previous event's hash".into());
            }
            if e.compute_hash() != e.hash {
                return bad(expected, prev, "its content does not match its hash".into());
            }
            let (id, stream, version, hash): (uuid::Uuid, String, i64, Vec<u8>) =
                (r.get(1), r.get(2), r.get(3), r.get(4));
            if id != e.id.0 || stream != e.stream.as_str() || version as u64 != e.stream_version {
                return bad(expected, prev, "its columns (id, stream, version) do not match its record".into());
            }
            if hash.as_slice() != e.hash.0.as_slice() {
                return bad(expected, prev, "its hash column does not match its record".into());
            }
            let retry: Vec<u8> = r.get(6);
            if retry.len() != RETRY_DIGEST_BYTES {
                return bad(expected, prev, "its retry digest is not 64 bytes".into());
            }
            let forgets: Option<String> = r.get(8);
            let forgets_in_record = crate::store::decide::forgotten_by(&e).map(|(s, _)| s.to_string());
            if forgets != forgets_in_record {
                return bad(expected, prev, "its forgets column does not match its record".into());
            }
            let v = versions.entry(e.stream.clone()).or_insert(0);
            if e.stream_version != *v + 1 {
                return bad(
                    expected,
                    prev,
                    format!("it says it is version {} of {}, which is at version {}", e.stream_version, e.stream, v),
                );
            }
            *v += 1;
            let ct: Option<Vec<u8>> = r.get(7);
            match (&e.sealed, ct) {
                (None, None) => {}
                (None, Some(_)) => {
                    return bad(expected, prev, "it holds sealed bytes its record does not announce".into())
                }
                (Some(meta), Some(ct)) => {
                    if ct.len() != meta.ciphertext_bytes as usize || seal::ciphertext_digest(&ct) != meta.digest {
                        return bad(expected, prev, "its sealed bytes do not match their digest".into());
                    }
                }
                (Some(meta), None) => {
                    let forgot = meta.subjects.iter().any(|s| forgotten.contains_key(s.as_str()));
                    if !forgot {
                        return bad(expected, prev, "its sealed bytes are missing but no subject was forgotten".into());
                    }
                }
            }
            prev = e.hash;
            expected += 1;
        }
    }
    let head = Head { position: Position(expected - 1), hash: prev };
    if let Some(m) = head_mismatch(recorded, &head) {
        return Ok(VerifyReport { events: expected - 1, head, first_bad: Some((Position(expected), m)) });
    }
    // Rows past the recorded head that no group of the writer recorded: held to the head in one
    // snapshot, since the writer may have gone on meanwhile.
    if let (Some((p, _)), Some((last, _, _))) = head_rows(db, study)? {
        if last > p {
            let m = format!(
                "the study's last group ended at position {p}, but rows go on to {last}: rows {}–{last} were not written by its writer",
                p + 1
            );
            return Ok(VerifyReport { events: expected - 1, head, first_bad: Some((Position(p as u64 + 1), m)) });
        }
    }
    Ok(VerifyReport { events: expected - 1, head, first_bad: None })
}

/// Checks a study kept in PostgreSQL without changing anything, for `parlog verify`: the chain
/// in the database and the key files in its key folder.
pub fn check_study(
    db: &PgDatabase,
    study: &StudySlug,
    keys_dir: &Path,
    options: &StoreOptions,
) -> Result<(VerifyReport, KeysReport), StoreError> {
    let report = verify_walk(db, study.as_str())?;
    let (keys, _) = KeyFile::check(keys_dir, &options.master_key)?;
    Ok((report, keys))
}

/// A study whose events are kept in PostgreSQL.
pub struct PgStore {
    shared: Arc<PgShared>,
    tx: Option<mpsc::Sender<Request>>,
    writer: Option<JoinHandle<()>>,
    study: StudySlug,
    keys_dir: PathBuf,
    /// The key folder's marker, locked: this process is the study's one writer while it is open.
    /// `None` for a store that only reads.
    lock: Option<std::fs::File>,
    recovered: Vec<Quarantined>,
    keys_restored: Option<&'static str>,
}

impl PgStore {
    /// Creates the study in the database and its key folder if they are not there, and opens it.
    pub fn init(
        db: &PgDatabase,
        study: &StudySlug,
        keys_dir: &Path,
        options: &StoreOptions,
    ) -> Result<PgStore, StoreError> {
        if !keys_dir.exists() {
            if let Some(parent) = keys_dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::DirBuilder::new().mode(0o700).create(keys_dir)?;
        }
        let marker = keys_dir.join(MARKER_FILE);
        if !marker.exists() {
            if std::fs::read_dir(keys_dir)?.next().is_some() {
                return Err(StoreError::Corrupt(format!(
                    "{} is not empty and is not the key folder of a study in PostgreSQL; choose an empty or new folder",
                    keys_dir.display()
                )));
            }
            let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&marker)?;
            std::io::Write::write_all(&mut f, PG_KEYS_MARKER_TEXT.as_bytes())?;
            f.sync_all()?;
            seal::sync_dir(keys_dir)?;
        }
        let s = study.to_string();
        db.run(|pool| async move {
            let c = pool.get().await.map_err(pool_error)?;
            c.execute("INSERT INTO parlog.studies (study) VALUES ($1) ON CONFLICT DO NOTHING", &[&s])
                .await
                .map_err(pg_error)
        })?;
        PgStore::open(db, study, keys_dir, options)
    }

    /// Opens a study the database holds, with the keys in `keys_dir`.
    pub fn open(
        db: &PgDatabase,
        study: &StudySlug,
        keys_dir: &Path,
        options: &StoreOptions,
    ) -> Result<PgStore, StoreError> {
        let marker = key_folder_marker(keys_dir)?;
        crate::store::folder::tighten_permissions(keys_dir)?;
        let lock = std::fs::File::open(&marker)?;
        // SAFETY: flock on a descriptor this function owns; no memory is involved.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            return Err(StoreError::Locked(format!("{} (study {study})", keys_dir.display())));
        }
        let mut opened = None;
        let shared = PgShared::load(db, study, |head| {
            let (keys, o) = KeyFile::open(keys_dir, &options.master_key, head.position.0 == 0)?;
            opened = Some(o);
            Ok(Keys::Writable(keys))
        })?;
        let opened = opened.expect("the keys are opened when the study loads");
        let shared = Arc::new(shared);
        writer::finish_forgetting(&shared)?;
        let (tx, rx) = mpsc::channel(WRITER_QUEUE_APPENDS_MAX);
        let w = writer::PgWriter::start(shared.clone())?;
        let w = std::thread::Builder::new().name("parlog-pg-writer".into()).spawn(move || writer::run(w, rx))?;
        Ok(PgStore {
            shared,
            tx: Some(tx),
            writer: Some(w),
            study: study.clone(),
            keys_dir: keys_dir.to_path_buf(),
            lock: Some(lock),
            recovered: opened.quarantined,
            keys_restored: opened.restored_copy,
        })
    }

    /// Opens a study for reading only, beside its writer (a running `parlog serve`): no lock, no
    /// writer, the key files read whole and not opened for writing, the head as the database
    /// holds it now. Appending, forgetting and importing answer `StoreError::ReadOnly`; nothing
    /// is written, not even an unfinished forget (the writer finishes those).
    pub fn open_read_only(
        db: &PgDatabase,
        study: &StudySlug,
        keys_dir: &Path,
        options: &StoreOptions,
    ) -> Result<PgStore, StoreError> {
        key_folder_marker(keys_dir)?;
        // What the key files hold that opens; damage in them is `verify`'s to report, and the
        // writer's to mend when it opens them.
        let shared =
            PgShared::load(db, study, |_| Ok(Keys::ReadOnly(KeyFile::check(keys_dir, &options.master_key)?.1)))?;
        Ok(PgStore {
            shared: Arc::new(shared),
            tx: None,
            writer: None,
            study: study.clone(),
            keys_dir: keys_dir.to_path_buf(),
            lock: None,
            recovered: Vec::new(),
            keys_restored: None,
        })
    }

    pub fn study(&self) -> &StudySlug {
        &self.study
    }

    pub fn database(&self) -> &PgDatabase {
        &self.shared.db
    }

    /// The study's key folder.
    pub fn dir(&self) -> &Path {
        &self.keys_dir
    }

    /// What opening moved to quarantine (a torn key entry).
    pub fn recovered(&self) -> &[Quarantined] {
        &self.recovered
    }

    pub fn keys_restored(&self) -> Option<&'static str> {
        self.keys_restored
    }

    pub fn rotate_master_key(&self, new: &MasterKeySource) -> Result<(), StoreError> {
        self.shared.keys.lock().expect("key lock").rotate(new)
    }

    fn sender(&self) -> Result<&mpsc::Sender<Request>, StoreError> {
        if self.lock.is_none() {
            return Err(StoreError::ReadOnly(format!(
                "study {} was opened for reading only, beside its writer; nothing was written",
                self.study
            )));
        }
        self.tx.as_ref().ok_or(StoreError::Closed)
    }

    /// Appends from async code without blocking the runtime.
    pub async fn append_async(&self, batch: Vec<NewEvent>) -> Result<Vec<Appended>, AppendError> {
        let (reply, rx) = oneshot::channel();
        self.sender()?.send(Request::Append { batch, reply }).await.map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Appends exported events, keeping ids, times and hashes (the rules of `import.rs`).
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

    pub fn subject_keys(&self) -> Vec<(SubjectId, SubjectKey)> {
        let keys = self.shared.keys.lock().expect("key lock");
        keys.subjects()
            .into_iter()
            .map(|s| {
                let k = *keys.get(&s).expect("listed");
                (s, k)
            })
            .collect()
    }

    /// Bytes the study's rows take in the database (as PostgreSQL counts them), and its key files.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        let study = self.shared.study.clone();
        let rows: i64 = self.shared.db.run(|pool| async move {
            let c = pool.get().await.map_err(pool_error)?;
            let n: Option<i64> = c
                .query_one("SELECT sum(pg_column_size(e.*))::bigint FROM parlog.events e WHERE study = $1", &[&study])
                .await
                .map_err(pg_error)?
                .get(0);
            Ok::<_, StoreError>(n.unwrap_or(0))
        })?;
        let mut bytes = rows as u64;
        for f in [crate::keyfile::KEYS_FILE, crate::keyfile::KEYS_COPY_FILE] {
            bytes += std::fs::metadata(self.keys_dir.join(f)).map(|m| m.len()).unwrap_or(0);
        }
        Ok(bytes)
    }

    /// Every stream and its version, in the order of their names.
    pub fn streams(&self) -> Result<Vec<(StreamId, u64)>, StoreError> {
        let (study, durable) = (self.shared.study.clone(), self.shared.durable() as i64);
        let rows = self.shared.db.run(|pool| async move {
            let c = pool.get().await.map_err(pool_error)?;
            c.query(
                "SELECT stream, max(stream_version) FROM parlog.events WHERE study = $1 AND position <= $2 GROUP BY stream ORDER BY stream",
                &[&study, &durable],
            )
            .await
            .map_err(pg_error)
        })?;
        let mut out: Vec<(StreamId, u64)> = rows
            .iter()
            .map(|r| {
                let (s, v): (String, i64) = (r.get(0), r.get(1));
                StreamId::parse(&s)
                    .map(|id| (id, v as u64))
                    .map_err(|e| StoreError::Corrupt(format!("the stream {s:?} in the database: {e}")))
            })
            .collect::<Result<_, _>>()?;
        out.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        Ok(out)
    }

    /// Closes the store: waits until every queued append is answered.
    pub fn close(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.tx.take();
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl EventStore for PgStore {
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
        let limit = limit.min(PAGE_EVENTS_MAX) as i64;
        let from_version = from_version.max(1);
        let (study, s, v, durable) =
            (self.shared.study.clone(), stream.as_str().to_string(), from_version as i64, self.shared.durable() as i64);
        let rows = self.shared.db.run(|pool| async move {
            let c = pool.get().await.map_err(pool_error)?;
            let st = c
                .prepare_cached(
                    "SELECT position, record FROM parlog.events WHERE study = $1 AND stream = $2 AND stream_version >= $3
                     AND position <= $4 ORDER BY stream_version LIMIT $5",
                )
                .await
                .map_err(pg_error)?;
            c.query(&st, &[&study, &s, &v, &durable, &limit]).await.map_err(pg_error)
        })?;
        let mut out = Vec::with_capacity(rows.len());
        for (i, r) in rows.iter().enumerate() {
            let e = decode(r.get(0), r.get(1))?;
            let version = from_version + i as u64;
            if &e.stream != stream || e.stream_version != version {
                return Err(StoreError::Corrupt(format!(
                    "version {version} of stream {stream} is at position {}, which holds version {} of {}",
                    e.position, e.stream_version, e.stream
                )));
            }
            out.push(e);
        }
        Ok(out)
    }

    fn get(&self, id: EventId) -> Result<Option<RecordedEvent>, StoreError> {
        let durable = self.shared.durable();
        Ok(self.shared.rows_by_id(&[id])?.into_iter().map(|r| r.event).find(|e| e.position.0 <= durable))
    }

    fn head(&self) -> Head {
        self.shared.head()
    }

    fn subscribe(&self, from: Position) -> Subscription {
        let reader: Arc<dyn LogReader> = self.shared.clone();
        Subscription::new(&reader, self.shared.head_tx.subscribe(), from)
    }

    fn verify(&self) -> Result<VerifyReport, StoreError> {
        let head = self.shared.head();
        let mut report = verify_walk(&self.shared.db, &self.shared.study)?;
        // A store that only reads keeps the head it opened with, while the study's writer goes
        // on: later rows are the writer's, not damage (the walk checked them all the same).
        let moved_on = self.lock.is_none() && report.head.position.0 >= head.position.0;
        if report.first_bad.is_none() && report.head != head && !moved_on {
            let at = Position(report.head.position.0.min(head.position.0).max(1));
            report.first_bad = Some((
                at,
                format!(
                    "the database ends at position {} but this store's head is {}",
                    report.head.position, head.position
                ),
            ));
        }
        report.head = head;
        Ok(report)
    }

    fn unseal(&self, e: &RecordedEvent) -> Result<SealedView, StoreError> {
        crate::store::unseal::unseal(&*self.shared, e)
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
