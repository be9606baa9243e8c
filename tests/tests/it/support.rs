//! What every test needs: its own store (in a temporary data folder, or a study in a fresh
//! PostgreSQL database with its key folder in a temporary folder), events built from JSON, and a
//! few ways to look at what the store left behind.
//!
//! The store behaviour tests run on both backends from the same code: a test written as
//! `fn name(b: Backend)` and listed in [`both_backends!`] becomes `name::sled` and
//! `name::postgres`. Without a PostgreSQL server the second is skipped with a message (see
//! `parlog_tests::pg::test_db`), unless `PARLOG_TEST_PG_REQUIRED=1`.
//!
//! A test that fails keeps its data folder (and its database) and prints where it is, so the
//! store can be inspected (with `parlog --data DIR verify`, sled directly, or psql).
//!
//! On both backends (issue 13's conformance suite): store_model.rs (the model, the property
//! test, many writers, retries after a reopen), subscription.rs, the store errors of
//! bad_input.rs (references, stream rules, expected versions, id conflicts, retries, atomic
//! batches), privacy.rs (sealing, forgetting, two studies, export and import), and
//! `trust::an_import_is_held_to_the_limits_of_an_append`. PostgreSQL's own tamper and crash
//! tests are in tamper.rs (`tamper::pg`) and crash.rs. On sled only, because they are about its
//! files: tamper.rs's log and index edits, trust.rs (the data folder through the CLI: torn
//! writes and quarantine, the key file's copies, permissions), disk_full.rs (a tmpfs that
//! fills), crash.rs's folder check, and the parse errors of bad_input.rs, which never reach a
//! store.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parlog_core::limits::PAGE_EVENTS_MAX;
use parlog_core::{
    AnyStore, Appended, AuthorSource, EventId, EventStore, FieldError, Head, NewEvent, PgDatabase, PgStore, Position,
    RecordedEvent, SledStore, StoreError, StoreOptions, StudySlug,
};
use parlog_tests::pg::TestDb;
use serde_json::{json, Value};
use tempfile::TempDir;

/// The author of every test event unless a test says otherwise.
pub const AUTHOR: &str = "onderzoeker-1";
/// When every test event happened unless a test says otherwise.
pub const OCCURRED_AT: &str = "2024-03-01T09:00:00+01:00";
/// The study every PostgreSQL test store is.
pub const PG_STUDY: &str = "proef";

/// How long opening waits for a lock left behind by a store that was just closed.
const OPEN_LOCKED_WAIT: Duration = Duration::from_secs(10);

/// Where a test's events are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded store: a data folder with a log file and sled indexes.
    Sled,
    /// A study in a PostgreSQL database, its subject keys in a key folder.
    Postgres,
}

/// Turns tests written once as `fn name(b: Backend)` into a `#[test]` for each backend:
/// `name::sled` and `name::postgres` (so `cargo test postgres` runs the second half).
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[test]
                fn sled() {
                    super::$name($crate::support::Backend::Sled)
                }
                #[test]
                fn postgres() {
                    super::$name($crate::support::Backend::Postgres)
                }
            }
        )+
    };
}
pub(crate) use both_backends;

/// What a PostgreSQL test store needs beside its key folder: the test's own database (dropped
/// when the last store of the test is), and what opening the study again takes.
#[derive(Clone)]
pub struct PgParts {
    pub db: Arc<TestDb>,
    pub slug: StudySlug,
    pub options: StoreOptions,
}

impl PgParts {
    /// A connection of the test's own, for SQL behind the store's back.
    pub fn sql(&self) -> parlog_tests::pg::Sql {
        parlog_tests::pg::Sql::connect(&self.db.url).unwrap_or_else(|e| panic!("connecting to {}: {e}", self.db.url))
    }
}

/// A store of either backend, with what it takes to close and open it again.
pub struct TestStore {
    backend: Backend,
    // Declared before `pg`, so the store is closed before its database is dropped.
    store: Option<Arc<AnyStore>>,
    pg: Option<PgParts>,
    data: PathBuf,
    tmp: Option<TempDir>,
    /// Whether a failing test keeps the folder (see [`TestStore::discard_on_failure`]).
    keep_on_failure: bool,
}

fn temp_folder() -> TempDir {
    tempfile::Builder::new().prefix("parlog-test-").tempdir().expect("a temporary folder can be made")
}

/// A fresh, empty embedded store in its own temporary folder.
pub fn setup() -> TestStore {
    let tmp = temp_folder();
    let data = tmp.path().join("data");
    let store = SledStore::init(&data).unwrap_or_else(|e| panic!("init of {} failed: {e}", data.display()));
    TestStore {
        backend: Backend::Sled,
        store: Some(Arc::new(store.into())),
        pg: None,
        data,
        tmp: Some(tmp),
        keep_on_failure: true,
    }
}

/// A fresh, empty store of `backend`; `None` when PostgreSQL is not there and not required (the
/// reason was printed; the test returns).
pub fn setup_on(backend: Backend) -> Option<TestStore> {
    match backend {
        Backend::Sled => Some(setup()),
        Backend::Postgres => {
            let db = Arc::new(parlog_tests::pg::test_db()?);
            Some(setup_study(db, PG_STUDY))
        }
    }
}

/// A new study `slug` in the test database `db`, its key folder in a temporary folder.
fn setup_study(db: Arc<TestDb>, slug: &str) -> TestStore {
    let tmp = temp_folder();
    let keys = tmp.path().join("keys");
    let slug = StudySlug::parse(slug).expect("a study slug");
    let options = StoreOptions::from_env(&keys);
    let database = PgDatabase::connect(&db.url).unwrap_or_else(|e| panic!("connecting to {}: {e}", db.url));
    let store = PgStore::init(&database, &slug, &keys, &options)
        .unwrap_or_else(|e| panic!("init of study {slug} in {} failed: {e}", db.url));
    TestStore {
        backend: Backend::Postgres,
        store: Some(Arc::new(store.into())),
        pg: Some(PgParts { db, slug, options }),
        data: keys,
        tmp: Some(tmp),
        keep_on_failure: true,
    }
}

impl TestStore {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Another empty study beside this one: in the same PostgreSQL database, or in a data folder
    /// of its own (as the studies of a sled data folder are).
    pub fn another_study(&self, slug: &str) -> TestStore {
        match &self.pg {
            None => setup(),
            Some(pg) => setup_study(pg.db.clone(), slug),
        }
    }

    /// The folder of the store's files: the data folder (sled) or the study's key folder
    /// (PostgreSQL); what `AnyStore::dir` names.
    pub fn data(&self) -> &Path {
        &self.data
    }

    /// The PostgreSQL side of a PostgreSQL test store; panics for sled.
    pub fn pg(&self) -> &PgParts {
        self.pg.as_ref().expect("a PostgreSQL test store")
    }

    /// The open store; panics if the test closed it.
    pub fn store(&self) -> &AnyStore {
        self.shared()
    }

    /// The open store, to hand to other threads.
    pub fn shared(&self) -> &Arc<AnyStore> {
        self.store.as_ref().expect("the store is open")
    }

    /// Closes the store and waits for its writer to finish, so the folder can be opened by
    /// something else (sled directly, or a new store).
    pub fn close(&mut self) {
        if let Some(store) = self.store.take() {
            match Arc::try_unwrap(store) {
                Ok(store) => store.close(),
                Err(_) => panic!("the store is still shared by another thread or value; drop it before closing"),
            }
        }
    }

    /// Opens the (closed) store again.
    pub fn open(&mut self) {
        if let Err(e) = self.try_open() {
            panic!("opening {} failed: {e}", self.data.display());
        }
    }

    /// Opens the store, as a new process would: sled from its folder, waiting out a lock that
    /// the closed store's sled still holds; PostgreSQL with a new connection to the database.
    ///
    /// Why the wait: sled's I/O threads can keep the database file (and its lock) open for a
    /// moment after the last `Db` handle is dropped, so opening right after `close` now and then
    /// fails with `Locked` although no store is open (see `reopen_right_after_close_is_not_locked`
    /// in store_model.rs, which pins this down).
    pub fn try_open(&mut self) -> Result<(), StoreError> {
        assert!(self.store.is_none(), "close the store before opening it again");
        let deadline = Instant::now() + OPEN_LOCKED_WAIT;
        loop {
            match self.open_once() {
                Ok(store) => {
                    self.store = Some(Arc::new(store));
                    return Ok(());
                }
                Err(StoreError::Locked(_)) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Opens the store once more beside this test store's own handle (which the test closed),
    /// without waiting for a lock: what a new process would get.
    pub fn open_once(&self) -> Result<AnyStore, StoreError> {
        match &self.pg {
            None => SledStore::open(&self.data).map(AnyStore::from),
            Some(pg) => PgDatabase::connect(&pg.db.url)
                .and_then(|db| PgStore::open(&db, &pg.slug, &self.data, &pg.options))
                .map(AnyStore::from),
        }
    }

    pub fn reopen(&mut self) {
        self.close();
        self.open();
    }

    /// Do not keep the folder when the test fails: for property tests, which fail many times
    /// while shrinking (the smallest case is printed anyway), and for tests that pin down a
    /// known bug and are expected to fail.
    pub fn discard_on_failure(mut self) -> Self {
        self.keep_on_failure = false;
        self
    }

    /// Where the store keeps bytes that contain `needle`: files of its folder (sled: the data
    /// folder; PostgreSQL: the key folder) and, for PostgreSQL, the columns of the database's
    /// event rows (of every study) that hold it. For tests that personal data is nowhere in the
    /// clear and that a forgotten key is gone.
    pub fn places_containing(&self, needle: &[u8]) -> Vec<String> {
        let mut out: Vec<String> =
            files_containing(&self.data, needle).into_iter().map(|f| f.display().to_string()).collect();
        if let Some(pg) = &self.pg {
            out.extend(pg.sql().rows_containing(needle));
        }
        out
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        if !std::thread::panicking() || !self.keep_on_failure {
            if std::thread::panicking() {
                if let Some(pg) = &self.pg {
                    // A property test's shrinking: its databases are not worth keeping either.
                    pg.db.discard();
                }
            }
            return;
        }
        // Close first so that the kept folder is what a restart would see.
        if let Some(store) = self.store.take() {
            drop(store);
        }
        if let Some(tmp) = self.tmp.take() {
            let kept = tmp.keep();
            eprintln!("the failing test's {:?} store folder is kept for inspection: {}", self.backend, kept.display());
        }
    }
}

// ---- events ---------------------------------------------------------------------------------

/// Parses one event as a client would submit it; panics if the test wrote an invalid event.
pub fn event(json: &Value) -> NewEvent {
    try_event(json).unwrap_or_else(|e| panic!("the test's event does not parse: {e}\n{json:#}"))
}

/// Parses one event, returning the parse error for tests about bad input.
pub fn try_event(json: &Value) -> Result<NewEvent, FieldError> {
    NewEvent::from_json(&json.to_string(), &AuthorSource::FromBody)
}

/// An event of `kind` on `stream` with `payload`, written by [`AUTHOR`] at [`OCCURRED_AT`].
pub fn ev(stream: &str, kind: &str, payload: Value) -> Value {
    json!({ "stream": stream, "kind": kind, "occurred_at": OCCURRED_AT, "author": AUTHOR, "payload": payload })
}

pub fn study_started(stream: &str) -> Value {
    ev(
        stream,
        "StudyStarted",
        json!({
            "title": "Sociaal makelen in Noord",
            "question": "Wat levert sociaal makelen op voor de wijk?",
            "municipality": "Voorbeeldstad",
            "levels": ["wijk"],
        }),
    )
}

pub fn area_defined(stream: &str) -> Value {
    ev(stream, "AreaDefined", json!({ "name": "Noord", "kind": "district" }))
}

pub fn participant_registered(stream: &str) -> Value {
    ev(stream, "ParticipantRegistered", json!({ "label": "makelaar 1", "role": "makelaar" }))
}

/// A cycle on `stream` in study:x about area:noord (of `base_chain`).
pub fn cycle_opened(stream: &str) -> Value {
    ev(
        stream,
        "CycleOpened",
        json!({ "study": "study:x", "level": "wijk", "area": "area:noord", "question": "Wat werkt?", "plan": "Gesprekken voeren." }),
    )
}

/// A reflection on `stream` citing `observations`.
pub fn reflection(stream: &str, observations: &[EventId]) -> Value {
    ev(
        stream,
        "ReflectionRecorded",
        json!({ "insights": [{ "kind": "tip", "text": "Begin klein." }], "observations": observations }),
    )
}

/// A field note about `area` whose text is sealed under `subjects`.
pub fn observation(stream: &str, area: &str, subjects: &[&str], text: &str) -> Value {
    let mut e = ev(stream, "ObservationRecorded", json!({ "area": area }));
    e["sealed"] = json!({ "subjects": subjects, "text": text });
    e
}

/// The smallest useful chain: a study, an area, a participant and a sealed field note.
pub fn base_chain() -> Vec<Value> {
    vec![
        study_started("study:x"),
        area_defined("area:noord"),
        participant_registered("participant:m1"),
        observation("notes:m1", "area:noord", &["resident:r-1"], "De bewoner vertelde over de speeltuin."),
    ]
}

/// Appends events that the test expects to be accepted.
pub fn append(store: &impl EventStore, events: &[Value]) -> Vec<Appended> {
    let batch = events.iter().map(event).collect();
    store.append(batch).unwrap_or_else(|e| panic!("append failed: {e}\n{events:#?}"))
}

/// Every event in the log, in order.
pub fn all_events(store: &impl EventStore) -> Vec<RecordedEvent> {
    let mut out: Vec<RecordedEvent> = Vec::new();
    loop {
        let from = Position(out.len() as u64 + 1);
        let page = store.read_from(from, PAGE_EVENTS_MAX).expect("the log can be read");
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

/// What a reader can see of the store: compare two to show that nothing changed.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub head: Head,
    pub events: Vec<RecordedEvent>,
}

pub fn snapshot(store: &impl EventStore) -> Snapshot {
    Snapshot { head: store.head(), events: all_events(store) }
}

// ---- the data folder on disk (sled), the key folder (both) ----------------------------------------------------------------

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("cannot list {}: {e}", d.display())) {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The files under `dir` whose raw bytes contain `needle`.
pub fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    assert!(!needle.is_empty(), "search for something");
    files_under(dir)
        .into_iter()
        .filter(|f| {
            let bytes = std::fs::read(f).unwrap_or_else(|e| panic!("cannot read {}: {e}", f.display()));
            bytes.windows(needle.len()).any(|w| w == needle)
        })
        .collect()
}

/// The subject entries in the key file `DATA/keys`, parsed from its documented format (see
/// `keyfile.rs`): the magic `PLKEYS02`, a header of 61 bytes in all, then entries of
/// `[u8 len][subject][24-byte nonce][48-byte wrapped key][4-byte check]`. Returns each subject
/// with the 72 bytes of its wrapped key (nonce and ciphertext): what a forget must destroy.
pub fn subject_keys(data: &Path) -> Vec<(String, Vec<u8>)> {
    let bytes = std::fs::read(data.join("keys")).expect("the key file can be read");
    assert!(bytes.starts_with(b"PLKEYS02"), "the key file starts with its magic");
    let mut out = Vec::new();
    let mut at = 61;
    while at < bytes.len() {
        let len = bytes[at] as usize;
        let end = at + 1 + len + 72 + 4;
        assert!(end <= bytes.len(), "the key file ends in the middle of an entry at byte {at}");
        let subject = std::str::from_utf8(&bytes[at + 1..at + 1 + len]).expect("subject ids are UTF-8").to_string();
        out.push((subject, bytes[at + 1 + len..at + 1 + len + 72].to_vec()));
        at = end;
    }
    out
}
