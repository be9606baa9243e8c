//! The writer of a study in PostgreSQL: the queue and group commit, as in the embedded store
//! (`store/writer.rs`), with one INSERT in one transaction per group.
//!
//! Deciding needs to know whether an event's id is taken and how far a stream is. Asking the
//! database for every event would cost a round trip each, so the writer decides a group first
//! from what it knows (the streams it wrote, the forgotten subjects, the head it committed), and
//! takes what it does not know to be absent: a new id, a new stream. The database's unique keys
//! check those guesses at the INSERT: a wrong one fails the whole group with a unique violation,
//! and the writer decides the group again asking the database for everything. A group refused
//! on a guess (a reference to an event it does not know, an expected version of a stream it has
//! not seen) is also decided again that way. So the answers are those of the decide step over
//! what the database holds, and a retry, an amendment or a restart only costs more queries.
//!
//! Durability: a group's new subject keys are added to the key files (fdatasync'ed) before the
//! INSERT; the INSERT commits (PostgreSQL's WAL is flushed at commit, with its default
//! `synchronous_commit`); only then is the head published and are the appenders answered. A
//! failed INSERT whose outcome is unknown (the connection broke) answers the group with an error
//! and makes the writer read the head from the database before the next group: a retry by id
//! then finds the events if they were committed.
//!
//! The connection: a writer that has appends to write takes a connection of its own (one of
//! `PG_WRITER_CONNECTIONS_MAX` per process), driven on its own thread, so that a group goes from
//! this thread to the socket and back; through the pool it would wake the pool's threads twice
//! per group, which cost single appends about 50 µs of CPU each (measured with
//! `benches/pg.rs`). It lets the connection go after `PG_WRITER_CONNECTION_IDLE_MS` without
//! appends. Without a free slot, or when connecting fails, the group goes through the pool: the
//! same statement, the same answers.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::NoTls;

use super::db::{pg_error, pool_error, PgDatabase, WriterSlot};
use super::store::PgShared;
use crate::envelope::NewEvent;
use crate::ids::{EventId, ParticipantId, Position, StreamId, SubjectId};
use crate::limits::{
    GROUP_COMMIT_EVENTS_MAX, PG_GROUP_ATTEMPTS_MAX, PG_WRITER_CONNECTION_CLOSE_MS, PG_WRITER_CONNECTION_IDLE_MS,
};
use crate::seal::SubjectKey;
use crate::store::decide::{decide, decide_batch, Decided, Env, Known, KnownEvent, Origin, Overlay, Staged, SystemEnv};
use crate::store::import::{self, ImportReport, ImportedEvent};
use crate::store::writer::{gather_appends, Request};
use crate::store::{forget, AppendError, Appended, ForgetError, Head, StoreError};
use crate::values::LongText;

type AppendReply = oneshot::Sender<Result<Vec<Appended>, AppendError>>;

/// What the writer knows of its study, as the decide step asks it.
pub(crate) struct PgKnown {
    shared: Arc<PgShared>,
    head: Head,
    /// Versions of the streams this writer wrote or looked up (a cache that deciding fills).
    versions: RefCell<HashMap<StreamId, u64>>,
    /// Ask the database for what is not known, rather than take it to be absent.
    exact: bool,
    /// Deciding took something to be absent that the database was not asked about.
    guessed: Cell<bool>,
}

impl PgKnown {
    /// Forgets every guess and reads the head again from the database, after a conflict or an
    /// error whose outcome is unknown. Publishes that head: a group whose answer was lost may
    /// have committed, and readers should see it.
    fn refresh(&mut self) -> Result<(), StoreError> {
        self.versions.get_mut().clear();
        self.head = self.shared.db_head()?;
        let forgotten = self.shared.db_forgotten()?;
        *self.shared.forgotten.lock().expect("forgotten lock") = forgotten;
        self.shared.publish(self.head);
        Ok(())
    }

    fn committed(&mut self, group: &[Staged]) {
        let versions = self.versions.get_mut();
        for s in group {
            versions.insert(s.event.stream.clone(), s.event.stream_version);
        }
        if let Some(last) = group.last() {
            self.head = Head { position: last.event.position, hash: last.event.hash };
        }
    }
}

impl Known for PgKnown {
    fn head(&self) -> Head {
        self.head
    }

    fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        if let Some(v) = self.versions.borrow().get(stream) {
            return Ok(*v);
        }
        if !self.exact {
            self.guessed.set(true);
            return Ok(0);
        }
        let v = self.shared.db_stream_version(stream)?;
        if v > 0 {
            self.versions.borrow_mut().insert(stream.clone(), v);
        }
        Ok(v)
    }

    fn event(&self, id: EventId) -> Result<Option<KnownEvent>, StoreError> {
        if !self.exact {
            self.guessed.set(true);
            return Ok(None);
        }
        Ok(self.shared.rows_by_id(&[id])?.into_iter().next().map(|r| KnownEvent::of(&r.event, r.retry)))
    }

    fn subject_key(&self, subject: &SubjectId) -> Result<Option<SubjectKey>, StoreError> {
        Ok(self.shared.keys.lock().expect("key lock").get(subject).copied())
    }

    fn forgotten(&self, subject: &SubjectId) -> Result<Option<Position>, StoreError> {
        Ok(self.shared.forgotten_at(subject))
    }
}

pub(crate) struct PgWriter {
    shared: Arc<PgShared>,
    known: PgKnown,
    connection: WriterConnection,
}

/// The statement that writes a group: one row per event, in one statement (one transaction).
/// With the head it ends at, recorded in the same statement (schema migration 2).
const INSERT_GROUP: &str = "WITH written AS (
         INSERT INTO parlog.events (study, position, id, stream, stream_version, hash, record, retry, ciphertext, forgets)
         SELECT $1, * FROM unnest($2::int8[], $3::uuid[], $4::text[], $5::int8[], $6::bytea[], $7::bytea[], $8::bytea[], $9::bytea[], $10::text[])
     )
     UPDATE parlog.studies SET head_position = $11, head_hash = $12 WHERE study = $1";

/// What the database said to a group's INSERT: `Err(())` when a unique key refused it.
type Inserted = Result<Result<(), ()>, StoreError>;

fn inserted(r: Result<u64, tokio_postgres::Error>) -> Inserted {
    match r {
        Ok(_) => Ok(Ok(())),
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => Ok(Err(())),
        Err(e) => Err(pg_error(e)),
    }
}

/// Yields to the writer's runtime before a group, for its connection to notice a close.
const CONNECTION_CHECK_YIELDS: usize = 3;

/// The writer's own connection (see the top of the file), driven by a runtime on the writer's
/// thread: polled only while that thread waits in `block_on`.
struct WriterConnection {
    runtime: tokio::runtime::Runtime,
    open: Option<OwnConnection>,
    /// When connecting last failed: the writer then uses the pool for a while.
    failed_at: Option<Instant>,
}

struct OwnConnection {
    client: tokio_postgres::Client,
    insert: tokio_postgres::Statement,
    driver: tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>,
    _slot: WriterSlot,
}

/// Wakes a thread parked in `recv_timeout`.
struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// `rx.blocking_recv()` that gives up after `wait` (`Err(())`). It parks the thread as
/// `blocking_recv` does, not through a runtime, which made every wait slower.
fn recv_timeout(rx: &mut mpsc::Receiver<Request>, wait: Duration) -> Result<Option<Request>, ()> {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let deadline = Instant::now() + wait;
    loop {
        if let Poll::Ready(r) = rx.poll_recv(&mut cx) {
            return Ok(r);
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(());
        }
        std::thread::park_timeout(deadline - now);
    }
}

impl WriterConnection {
    fn new() -> Result<WriterConnection, StoreError> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        Ok(WriterConnection { runtime, open: None, failed_at: None })
    }

    /// The next request (`None` once the store closes); lets the connection go when none comes
    /// for `PG_WRITER_CONNECTION_IDLE_MS`.
    fn recv(&mut self, rx: &mut mpsc::Receiver<Request>) -> Option<Request> {
        if self.open.is_some() {
            match recv_timeout(rx, Duration::from_millis(PG_WRITER_CONNECTION_IDLE_MS)) {
                Ok(r) => return r,
                Err(()) => self.release(),
            }
        }
        rx.blocking_recv()
    }

    /// Ends the connection (if any) and gives its slot back.
    fn release(&mut self) {
        if let Some(OwnConnection { client, driver, .. }) = self.open.take() {
            drop(client);
            // Without its client the connection says goodbye to the server, when polled.
            let close = Duration::from_millis(PG_WRITER_CONNECTION_CLOSE_MS);
            let _ = self.runtime.block_on(async { tokio::time::timeout(close, driver).await });
        }
    }

    /// Runs the INSERT on the writer's own connection, connecting first if need be; `None` when
    /// there is no connection to be had (no free slot, or connecting failed a moment ago): the
    /// caller then uses the pool.
    fn insert(&mut self, db: &PgDatabase, study: &str, params: &[&(dyn ToSql + Sync)]) -> Option<Inserted> {
        if let Some(open) = &self.open {
            // Lets the connection read what came while nothing polled it, such as the server
            // closing it, so that a closed one is replaced before the group is sent (best effort:
            // a group sent on a connection that breaks is answered with an error). A yield lets
            // the runtime look for I/O; the next lets the connection's task run on what it found.
            self.runtime.block_on(async {
                for _ in 0..CONNECTION_CHECK_YIELDS {
                    tokio::task::yield_now().await;
                }
            });
            if open.client.is_closed() {
                self.release();
            }
        }
        if self.open.is_none() {
            let idle = Duration::from_millis(PG_WRITER_CONNECTION_IDLE_MS);
            if self.failed_at.is_some_and(|t| t.elapsed() < idle) {
                return None;
            }
            let slot = db.writer_slot()?;
            let mut config = db.config().clone();
            // So that pg_stat_activity says whose connection it is.
            config.application_name(format!("parlog writer {study}"));
            self.open = self.connect(config, slot);
            self.failed_at = self.open.is_none().then(Instant::now);
        }
        let open = self.open.as_ref()?;
        let r = self.runtime.block_on(open.client.execute(&open.insert, params));
        if r.as_ref().is_err_and(|e| e.as_db_error().is_none()) {
            // Not an answer of the database: the connection broke.
            self.release();
        }
        Some(inserted(r))
    }

    fn connect(&mut self, config: tokio_postgres::Config, slot: WriterSlot) -> Option<OwnConnection> {
        self.runtime.block_on(async move {
            let (client, connection) = config.connect(NoTls).await.ok()?;
            let driver = tokio::spawn(connection);
            let insert = client.prepare(INSERT_GROUP).await.ok()?;
            Some(OwnConnection { client, insert, driver, _slot: slot })
        })
    }
}

/// Why a group was not written.
enum WriteError {
    /// A unique key refused it: what the writer knew was out of date. Nothing was written.
    Conflict,
    Store(StoreError),
}

pub(crate) fn run(mut w: PgWriter, mut rx: mpsc::Receiver<Request>) {
    let mut held: Option<Request> = None;
    loop {
        let first = match held.take() {
            Some(r) => r,
            None => match w.connection.recv(&mut rx) {
                Some(r) => r,
                None => break,
            },
        };
        match first {
            Request::Append { batch, reply } => w.commit_appends(gather_appends(batch, reply, &mut rx, &mut held)),
            Request::Forget { subject, by, reason, reply } => {
                let _ = reply.send(w.forget(&subject, &by, reason));
            }
            Request::Import { events, keys, reply } => {
                let _ = reply.send(w.import(events, keys));
            }
        }
    }
    w.connection.release();
}

/// Rows forget reads in one query while it looks for a subject's sealed bytes.
const FORGET_PAGE_ROWS: i64 = 4_096;

/// Positions of the events that still hold sealed bytes naming `subject`, read in pages: which
/// subjects a ciphertext names is in its record, so the database needs no column for it (and a
/// forget is rare enough to read the sealed rows of one study).
fn sealing(shared: &PgShared, subject: &SubjectId, first_only: bool) -> Result<Vec<i64>, StoreError> {
    let mut out = Vec::new();
    let mut from = 1i64;
    loop {
        let study = shared.study.clone();
        let rows = shared.db.run(|pool| async move {
            let c = pool.get().await.map_err(pool_error)?;
            c.query(
                "SELECT position, record FROM parlog.events WHERE study = $1 AND position >= $2
                 AND ciphertext IS NOT NULL ORDER BY position LIMIT $3",
                &[&study, &from, &FORGET_PAGE_ROWS],
            )
            .await
            .map_err(pg_error)
        })?;
        let Some(last) = rows.last() else { return Ok(out) };
        from = last.get::<_, i64>(0) + 1;
        for r in &rows {
            let e = super::store::decode(r.get(0), r.get(1))?;
            if e.sealed.as_ref().is_some_and(|m| m.subjects.contains(subject)) {
                out.push(e.position.0 as i64);
                if first_only {
                    return Ok(out);
                }
            }
        }
    }
}

/// Removes the ciphertext of every event naming `subject` (durable at commit), then its key.
/// Idempotent: while the key is there, a crash is finished on the next open.
pub(crate) fn destroy_subject(shared: &PgShared, subject: &SubjectId) -> Result<(), StoreError> {
    let positions = sealing(shared, subject, false)?;
    if !positions.is_empty() {
        let study = shared.study.clone();
        shared.db.run(|pool| async move {
            let c = pool.get().await.map_err(pool_error)?;
            c.execute(
                "UPDATE parlog.events SET ciphertext = NULL WHERE study = $1 AND position = ANY($2)",
                &[&study, &positions],
            )
            .await
            .map_err(pg_error)
        })?;
    }
    shared.keys.lock().expect("key lock").remove(subject)?;
    Ok(())
}

/// Finishes forgets that a crash interrupted between recording and destroying.
pub(crate) fn finish_forgetting(shared: &PgShared) -> Result<(), StoreError> {
    let subjects: Vec<SubjectId> = shared.forgotten.lock().expect("forgotten lock").keys().cloned().collect();
    for s in subjects {
        if shared.keys.lock().expect("key lock").contains(&s) {
            destroy_subject(shared, &s)?;
        }
    }
    Ok(())
}

/// Whether the store holds data of `subject`: its key, or (imported without keys) sealed bytes
/// that name it.
fn holds_data_of(shared: &PgShared, subject: &SubjectId) -> Result<bool, StoreError> {
    if shared.keys.lock().expect("key lock").contains(subject) {
        return Ok(true);
    }
    Ok(!sealing(shared, subject, true)?.is_empty())
}

impl PgWriter {
    pub(crate) fn start(shared: Arc<PgShared>) -> Result<PgWriter, StoreError> {
        let head = shared.head();
        let known = PgKnown {
            shared: shared.clone(),
            head,
            versions: RefCell::new(HashMap::new()),
            exact: false,
            guessed: Cell::new(false),
        };
        Ok(PgWriter { shared, known, connection: WriterConnection::new()? })
    }

    /// Decides the batches of a group, writes the accepted events, answers. See the top of the
    /// file for when a group is decided a second time.
    fn commit_appends(&mut self, appends: Vec<(Vec<NewEvent>, AppendReply)>) {
        let (batches, replies): (Vec<Vec<NewEvent>>, Vec<AppendReply>) = appends.into_iter().unzip();
        let mut exact = false;
        let mut last_error = None;
        for attempt in 0..PG_GROUP_ATTEMPTS_MAX {
            if exact {
                if let Err(e) = self.known.refresh() {
                    last_error = Some(e);
                    break;
                }
            }
            self.known.exact = exact;
            self.known.guessed.set(false);
            let mut staged = Vec::new();
            let mut outcomes: Vec<Result<Vec<Appended>, AppendError>> = Vec::with_capacity(batches.len());
            let mut env = SystemEnv;
            {
                let mut group = Overlay::new(&self.known);
                for batch in &batches {
                    match decide_batch(batch.clone(), &group, &mut env) {
                        Ok((decided, changes)) => {
                            group.absorb(changes);
                            let mut answers = Vec::with_capacity(decided.len());
                            for d in decided {
                                answers.push(d.appended());
                                if let Decided::New(s) = d {
                                    staged.push(s);
                                }
                            }
                            outcomes.push(Ok(answers));
                        }
                        Err(e) => outcomes.push(Err(e)),
                    }
                }
            }
            let refused_on_guess = self.known.guessed.get() && outcomes.iter().any(|o| o.is_err());
            if refused_on_guess && !exact {
                exact = true;
                continue;
            }
            match self.write(&staged) {
                Ok(()) => {
                    self.known.committed(&staged);
                    self.shared.publish(self.known.head);
                    for (reply, outcome) in replies.into_iter().zip(outcomes) {
                        let _ = reply.send(outcome);
                    }
                    return;
                }
                Err(WriteError::Conflict) if attempt + 1 < PG_GROUP_ATTEMPTS_MAX => exact = true,
                Err(WriteError::Conflict) => {
                    last_error = Some(StoreError::Postgres(
                        "another writer keeps changing this study; is a second parlog process writing to it?".into(),
                    ));
                    // What this writer knows is out of date.
                    self.known.exact = true;
                }
                Err(WriteError::Store(e)) => {
                    last_error = Some(e);
                    self.invalidate();
                    break;
                }
            }
        }
        self.invalidate();
        // Every appender of the group gets the error; PostgreSQL's own message once, not wrapped twice.
        let msg = match last_error {
            Some(StoreError::Postgres(m)) => m,
            Some(e) => e.to_string(),
            None => "the group could not be written".into(),
        };
        for reply in replies {
            let _ = reply.send(Err(StoreError::Postgres(msg.clone()).into()));
        }
    }

    /// After an error whose outcome is unknown, the next group asks the database for everything.
    fn invalidate(&mut self) {
        self.known.versions.get_mut().clear();
        if self.known.refresh().is_err() {
            // Tried again before the next group (`exact` stays on until a refresh works).
        }
        self.known.exact = false;
    }

    /// Writes a group: new keys to the key files, then the events in one INSERT (one
    /// transaction). Nothing is published here.
    fn write(&mut self, group: &[Staged]) -> Result<(), WriteError> {
        if group.is_empty() {
            return Ok(());
        }
        let new_keys: Vec<(SubjectId, SubjectKey)> = group.iter().flat_map(|s| s.new_keys.iter().cloned()).collect();
        if !new_keys.is_empty() {
            self.shared.keys.lock().expect("key lock").add(&new_keys).map_err(|e| WriteError::Store(e.into()))?;
        }
        // The write-side half of the chain assertions: the group continues the chain from the head.
        let head = self.known.head;
        let (mut prev, mut next) = (head.hash, head.position.0 + 1);
        let n = group.len();
        let (mut positions, mut ids, mut streams, mut versions) =
            (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut hashes, mut records, mut retries, mut cts, mut forgets) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for s in group {
            assert_eq!((s.event.position.0, s.event.prev_hash), (next, prev), "the group continues the chain");
            (prev, next) = (s.event.hash, next + 1);
            positions.push(s.event.position.0 as i64);
            ids.push(s.event.id.0);
            streams.push(s.event.stream.as_str().to_string());
            versions.push(s.event.stream_version as i64);
            hashes.push(s.event.hash.0.to_vec());
            records.push(s.record.clone());
            retries.push(s.retry.to_bytes().to_vec());
            cts.push(s.ciphertext.clone());
            forgets.push(s.forgets.as_ref().map(|f| f.to_string()));
        }
        let (last, last_hash) = ((next - 1) as i64, prev.0.to_vec());
        let own = {
            let params: [&(dyn ToSql + Sync); 12] = [
                &self.shared.study,
                &positions,
                &ids,
                &streams,
                &versions,
                &hashes,
                &records,
                &retries,
                &cts,
                &forgets,
                &last,
                &last_hash,
            ];
            self.connection.insert(&self.shared.db, &self.shared.study, &params)
        };
        let result = match own {
            Some(r) => r,
            None => {
                let study = self.shared.study.clone();
                self.shared
                    .db
                    .run(|pool| async move {
                        let c = pool.get().await.map_err(pool_error)?;
                        let st = c.prepare_cached(INSERT_GROUP).await.map_err(pg_error)?;
                        Ok(inserted(
                            c.execute(
                                &st,
                                &[
                                    &study, &positions, &ids, &streams, &versions, &hashes, &records, &retries, &cts,
                                    &forgets, &last, &last_hash,
                                ],
                            )
                            .await,
                        ))
                    })
                    .and_then(|r| r)
            }
        };
        match result {
            Ok(Ok(())) => Ok(()),
            Ok(Err(())) => Err(WriteError::Conflict),
            Err(e) => Err(WriteError::Store(e)),
        }
    }

    /// Commits events that were decided outside `commit_appends` (a forget, an import): exactly.
    fn commit_exact(&mut self, group: Vec<Staged>) -> Result<(), StoreError> {
        match self.write(&group) {
            Ok(()) => {
                self.known.committed(&group);
                let forgotten: Vec<(SubjectId, Position)> =
                    group.iter().filter_map(|s| s.forgets.clone().map(|f| (f, s.event.position))).collect();
                self.shared.forgotten.lock().expect("forgotten lock").extend(forgotten);
                self.shared.publish(self.known.head);
                Ok(())
            }
            Err(WriteError::Conflict) => {
                self.invalidate();
                Err(StoreError::Postgres(
                    "the database already holds events this writer did not know of; try again".into(),
                ))
            }
            Err(WriteError::Store(e)) => {
                self.invalidate();
                Err(e)
            }
        }
    }

    fn forget(
        &mut self,
        subject: &SubjectId,
        by: &ParticipantId,
        reason: Option<LongText>,
    ) -> Result<Appended, ForgetError> {
        self.known.exact = true;
        self.known.refresh()?;
        if let Some(p) = self.shared.forgotten_at(subject) {
            let e =
                self.shared.event_at(p)?.ok_or_else(|| StoreError::Corrupt(format!("forget event {p} is missing")))?;
            return Ok(Appended { id: e.id, position: p, stream_version: e.stream_version, duplicate: true });
        }
        if !holds_data_of(&self.shared, subject)? {
            return Err(ForgetError::UnknownSubject(subject.clone()));
        }
        let mut env = SystemEnv;
        let request = forget::request(subject, by, reason, env.now());
        let not_recorded = |why: String| StoreError::Corrupt(format!("could not record the forget event: {why}"));
        let staged = match decide(request, 1, Origin::Store, &self.known, &mut env) {
            Ok(Decided::New(s)) => s,
            Ok(Decided::Duplicate(a)) => {
                return Err(not_recorded(format!("its new id {} is already at position {}", a.id, a.position)).into())
            }
            Err(e) => return Err(not_recorded(e.to_string()).into()),
        };
        let appended = staged.appended();
        self.commit_exact(vec![staged])?;
        self.known.exact = false;
        destroy_subject(&self.shared, subject)?;
        Ok(appended)
    }

    fn import(
        &mut self,
        events: Vec<ImportedEvent>,
        keys: Vec<(SubjectId, SubjectKey)>,
    ) -> Result<ImportReport, AppendError> {
        self.known.exact = true;
        self.known.refresh()?;
        let shared = self.shared.clone();
        let result = (|| {
            let mut fresh = import::new_events(events, self.known.head, |p| shared.event_at(p))?;
            let forgotten = shared.forgotten.lock().expect("forgotten lock").clone();
            let (mut new_keys, mut report) = {
                let have = shared.keys.lock().expect("key lock");
                import::without_forgotten(&mut fresh, keys, &forgotten, |s| have.contains(s))
            };
            let mut rest = fresh.into_iter().peekable();
            while rest.peek().is_some() || !new_keys.is_empty() {
                let mut group = Vec::new();
                let mut overlay = Overlay::new(&self.known);
                for ie in rest.by_ref().take(GROUP_COMMIT_EVENTS_MAX) {
                    let s = import::stage(ie, &overlay)?;
                    overlay.apply(&s);
                    group.push(s);
                }
                let keys = std::mem::take(&mut new_keys);
                match group.first_mut() {
                    Some(first) => first.new_keys = keys,
                    None => {
                        shared.keys.lock().expect("key lock").add(&keys).map_err(StoreError::from)?;
                        continue;
                    }
                }
                report.added += group.len() as u64;
                self.commit_exact(group)?;
            }
            Ok(report)
        })();
        self.known.exact = false;
        result
    }
}
