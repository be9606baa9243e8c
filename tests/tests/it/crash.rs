//! Crash test: a child process (`crash_appender`) appends from several threads and is killed
//! with SIGKILL at a random moment; then the store is reopened and must hold every event the
//! child had acknowledged, at the position it was told, in a gapless chain that verifies.
//! Round after round on the same data folder, so later rounds recover from earlier crashes.
//!
//! What this covers: a process dying anywhere, in the middle of a sled write, a key-file write
//! or the opening and recovery of the store (some rounds kill during start-up). What it cannot
//! cover: power loss. The kernel keeps the dead process's writes, so the fdatasync half of the
//! durability contract is not tested here.
//!
//! After each round the events the child sent but never heard acknowledged are sent again, by id
//! and with the same content: each that the crash let through is answered as a duplicate at its
//! place, each that it did not is stored once; no id is in the log twice.
//!
//! The same test runs on a study in PostgreSQL (`..._postgres`): the child appends there (its
//! key folder on disk), PostgreSQL itself keeps running. A crash of PostgreSQL is
//! `acknowledged_appends_survive_a_postgresql_crash`: a private server (initdb in a temporary
//! folder, its own port) stopped with `pg_ctl -m immediate` while threads append and retry.
//!
//! `PARLOG_CRASH_ROUNDS` sets the number of rounds (25 by default, 12 on PostgreSQL),
//! `PARLOG_CRASH_SEED` the seed of the random choices (printed, to replay a failure as far as
//! timing allows).

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use parlog_core::{AnyStore, EventId, EventStore, Hash, NewEvent, PgDatabase, PgStore, Position, SledStore, StudySlug};
use parlog_tests::{check_sealed_open, read_all};

const ROUNDS_DEFAULT: u32 = 25;
const ROUNDS_DEFAULT_PG: u32 = 12;
/// The study the child appends to in PostgreSQL (as `crash_appender` names it).
const PG_STUDY: &str = "proef";
const APPENDER_THREADS: u32 = 4;
/// The child is killed this long after it said it is ready (or after it was started, in the rounds
/// that aim at start-up).
const KILL_AFTER_MS: std::ops::Range<u64> = 20..300;
/// One round in this many counts the delay from the start of the child, to crash during opening.
const KILL_AT_START_ONE_IN: u32 = 5;
const KILL_AT_START_MS: std::ops::Range<u64> = 0..60;
/// How long the child may take to open the store before the test gives up on it.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the PostgreSQL server may take to end the killed child's connections.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(60);

/// What a round's child said before it was killed.
struct ChildRun {
    /// The head the child saw when it opened the store, if it got that far.
    ready_head: Option<u64>,
    /// Every event it was about to append, to send again what was not acknowledged.
    sent: Vec<(EventId, NewEvent)>,
    acks: Vec<(u64, EventId)>,
    /// Forgets it was told were done: position, id, subject.
    forgets: Vec<(u64, EventId, String)>,
    killed_after: Duration,
}

/// What the test knows after checking the store.
#[derive(Clone, Copy)]
struct Checked {
    head: u64,
    hash: Hash,
}

/// Where the child appends: an embedded store's data folder, or a study in PostgreSQL with its
/// key folder.
enum Target {
    Sled { dir: PathBuf },
    Postgres { keys: PathBuf, url: String },
}

impl Target {
    fn dir(&self) -> &Path {
        match self {
            Target::Sled { dir } => dir,
            Target::Postgres { keys, .. } => keys,
        }
    }

    fn child_args(&self) -> Vec<String> {
        match self {
            Target::Sled { .. } => Vec::new(),
            Target::Postgres { url, .. } => vec!["--pg".into(), url.clone()],
        }
    }

    fn options(&self) -> parlog_core::StoreOptions {
        parlog_core::StoreOptions::from_env(self.dir())
    }

    /// Checks the store as the crash left it, reading only: the findings (sled: of the folder;
    /// PostgreSQL: of the chain in the database and the key folder), and that checking changed
    /// nothing. `None` when the child got nowhere: no store to check yet.
    fn check(&self, when: &str) -> Result<Option<String>, String> {
        if !self.dir().join("PARLOG").exists() {
            return Ok(None);
        }
        match self {
            Target::Sled { dir } => {
                let before = digests(dir);
                let report =
                    parlog_core::check_folder(dir, &self.options()).map_err(|e| format!("checking {when}: {e}"))?;
                if digests(dir) != before {
                    return Err(format!("checking the folder {when} changed it"));
                }
                Ok(Some(report.findings.first().map(|f| f.to_string()).unwrap_or_default()))
            }
            Target::Postgres { keys, url } => {
                let sql = parlog_tests::pg::Sql::connect(url)?;
                let before = study_digest(&sql)?;
                let db = PgDatabase::connect_read_only(url).map_err(|e| format!("connecting {when}: {e}"))?;
                let slug = StudySlug::parse(PG_STUDY).expect("a slug");
                if db.study_events(&slug).map_err(|e| e.to_string())?.is_none() {
                    return Ok(None);
                }
                let before_keys = digests(keys);
                let (report, _keys) = parlog_core::pg::check_study(&db, &slug, keys, &self.options())
                    .map_err(|e| format!("checking {when}: {e}"))?;
                if study_digest(&sql)? != before || digests(keys) != before_keys {
                    return Err(format!("checking the study {when} changed it"));
                }
                Ok(Some(report.first_bad.map(|(p, why)| format!("position {p}: {why}")).unwrap_or_default()))
            }
        }
    }

    /// Waits until the killed child is gone from the store as well as from the machine. For
    /// PostgreSQL that is when the server has ended the child's connections: a statement it had
    /// sent before the kill may still be running, and commit, until then (its group was never
    /// acknowledged, so either outcome is allowed; checking while it lands is not meaningful).
    fn settle(&self) -> Result<(), String> {
        let Target::Postgres { url, .. } = self else { return Ok(()) };
        let sql = parlog_tests::pg::Sql::connect(url)?;
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        loop {
            let others = sql.value(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )?;
            if others.as_deref() == Some("0") {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("{others:?} connections of the killed child still open after {SETTLE_TIMEOUT:?}"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn open(&self) -> Result<AnyStore, String> {
        match self {
            Target::Sled { dir } => SledStore::open(dir).map(AnyStore::from),
            Target::Postgres { keys, url } => PgDatabase::connect(url).and_then(|db| {
                PgStore::open(&db, &StudySlug::parse(PG_STUDY).expect("a slug"), keys, &self.options())
                    .map(AnyStore::from)
            }),
        }
        .map_err(|e| format!("reopening after the crash: {e}"))
    }
}

/// A digest of a study's rows, with where and by which transaction each was written.
fn study_digest(sql: &parlog_tests::pg::Sql) -> Result<Option<String>, String> {
    sql.value(&format!(
        "SELECT md5(string_agg(concat_ws(' ', position, ctid, xmin, md5(e::text)), ',' ORDER BY position))
         FROM parlog.events e WHERE study = '{PG_STUDY}'"
    ))
}

#[test]
fn acknowledged_appends_survive_sigkill() {
    let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temporary folder");
    let target = Target::Sled { dir: tmp.path().join("data") };
    crash_rounds(&target, tmp, ROUNDS_DEFAULT);
}

#[test]
fn acknowledged_appends_survive_sigkill_postgres() {
    let Some(db) = parlog_tests::pg::test_db() else { return };
    let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temporary folder");
    let target = Target::Postgres { keys: tmp.path().join("keys"), url: db.url.clone() };
    crash_rounds(&target, tmp, ROUNDS_DEFAULT_PG);
}

fn crash_rounds(target: &Target, tmp: tempfile::TempDir, rounds_default: u32) {
    let rounds = env_number("PARLOG_CRASH_ROUNDS").unwrap_or(u64::from(rounds_default));
    let seed = env_number("PARLOG_CRASH_SEED").unwrap_or_else(|| fastrand::u64(..));
    eprintln!("crash test: {rounds} rounds, seed {seed}, folder {}", target.dir().display());
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut checked = Checked { head: 0, hash: Hash::ZERO };
    let mut acked_total = 0;
    let mut forgets_total = 0;
    let mut resent_total = (0, 0);
    for round in 0..rounds {
        let result = run_child(target, &mut rng, round, seed.wrapping_add(round))
            .and_then(|run| check_store(target, &run, checked).map(|c| (run, c)));
        match result {
            Ok((run, (now, resent))) => {
                eprintln!(
                    "round {round}: killed {:?} after the start ({}), {} acks, head {} -> {} ({} durable but unacknowledged); \
                     sent again: {} found as duplicates, {} stored now",
                    run.killed_after,
                    if run.ready_head.is_some() { "after opening" } else { "while starting" },
                    run.acks.len(),
                    checked.head,
                    now.head - resent.1,
                    now.head - resent.1 - checked.head - run.acks.len() as u64,
                    resent.0,
                    resent.1,
                );
                acked_total += run.acks.len();
                forgets_total += run.forgets.len();
                resent_total = (resent_total.0 + resent.0, resent_total.1 + resent.1);
                checked = now;
            }
            Err(msg) => {
                let kept = tmp.keep();
                panic!("round {round} (seed {seed}): {msg}\nthe data folder is kept at {}", kept.display());
            }
        }
    }
    eprintln!(
        "crash test: {rounds} rounds, {acked_total} acknowledged events and {forgets_total} acknowledged forgets, \
         {} unacknowledged sent again and found, {} stored on the second try, final head {}",
        resent_total.0, resent_total.1, checked.head
    );
    assert!(acked_total > 0, "no round acknowledged anything; the test tested nothing");
}

/// Every file under `dir` with a digest of its bytes.
fn digests(dir: &Path) -> Vec<(std::path::PathBuf, blake3::Hash)> {
    crate::support::files_under(dir)
        .into_iter()
        .map(|f| {
            let h = blake3::hash(&std::fs::read(&f).unwrap_or_default());
            (f, h)
        })
        .collect()
}

fn env_number(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    Some(v.parse().unwrap_or_else(|_| panic!("{name}: expected a number, got {v:?}")))
}

/// Starts the child, kills it after a random delay and collects what it acknowledged.
fn run_child(target: &Target, rng: &mut fastrand::Rng, round: u64, child_seed: u64) -> Result<ChildRun, String> {
    let exe = env!("CARGO_BIN_EXE_crash_appender");
    let dir = target.dir();
    let mut cmd = Command::new(exe);
    cmd.arg(dir).arg(APPENDER_THREADS.to_string()).arg(child_seed.to_string()).args(target.child_args());
    let command = format!("{exe} {} {APPENDER_THREADS} {child_seed} {}", dir.display(), target.child_args().join(" "));
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start `{command}`: {e}"))?;
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().expect("piped stdout");
    let out_reader = std::thread::spawn(move || read_lines(stdout, tx));
    let mut stderr = child.stderr.take().expect("piped stderr");
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });

    let at_start = round % u64::from(KILL_AT_START_ONE_IN) == u64::from(KILL_AT_START_ONE_IN) - 1;
    let mut early_lines = Vec::new();
    let delay = if at_start {
        Duration::from_millis(rng.u64(KILL_AT_START_MS))
    } else {
        // Wait for `ready`, so that most rounds crash while appending rather than while opening.
        // If the child dies or hangs instead, the checks below report it with its stderr.
        if let Ok(line) = rx.recv_timeout(READY_TIMEOUT) {
            early_lines.push(line);
        }
        started.elapsed() + Duration::from_millis(rng.u64(KILL_AFTER_MS))
    };
    std::thread::sleep(delay.saturating_sub(started.elapsed()));
    let _ = child.kill(); // SIGKILL on unix; fails only if the child is already gone
    let killed_after = started.elapsed();
    let status = child.wait().map_err(|e| format!("waiting for `{command}`: {e}"))?;
    target.settle()?;
    out_reader.join().expect("stdout reader");
    let stderr = err_reader.join().expect("stderr reader");
    let lines: Vec<String> = early_lines.into_iter().chain(rx.try_iter()).collect();
    let report = |what: String| {
        format!(
            "{what}\ncommand: {command}\nstatus: {status}\nstdout ({} lines, last 5):\n{}\nstderr:\n{stderr}",
            lines.len(),
            lines[lines.len().saturating_sub(5)..].join("\n")
        )
    };
    if status.signal() != Some(libc::SIGKILL) {
        return Err(report("the child ended before it was killed".into()));
    }
    parse_output(&lines, killed_after).map_err(report)
}

/// Sends each complete line; a line cut off by the kill (no newline) was never fully said.
fn read_lines(stdout: impl Read, tx: mpsc::Sender<String>) {
    let mut r = BufReader::new(stdout);
    loop {
        let mut line = String::new();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if !line.ends_with('\n') => return,
            Ok(_) => {
                line.pop();
                if tx.send(line).is_err() {
                    return;
                }
            }
        }
    }
}

fn parse_output(lines: &[String], killed_after: Duration) -> Result<ChildRun, String> {
    let mut run = ChildRun { ready_head: None, sent: Vec::new(), acks: Vec::new(), forgets: Vec::new(), killed_after };
    for line in lines {
        let parts: Vec<&str> = line.split(' ').collect();
        match parts.as_slice() {
            ["ready", head] if run.ready_head.is_none() => {
                run.ready_head = Some(head.parse().map_err(|_| format!("bad line {line:?}"))?);
            }
            ["send", id, "memo", name, seed] if run.ready_head.is_some() => {
                let id = EventId::parse(id)?;
                let seed = seed.parse().map_err(|_| format!("bad seed in {line:?}"))?;
                run.sent.push((id, parlog_tests::memo(id, name, seed)));
            }
            ["send", id, "obs", name, subject, seed] if run.ready_head.is_some() => {
                let id = EventId::parse(id)?;
                let seed = seed.parse().map_err(|_| format!("bad seed in {line:?}"))?;
                run.sent.push((id, parlog_tests::observation(id, name, subject, seed)));
            }
            ["ack", pos, id] if run.ready_head.is_some() => {
                let pos = pos.parse().map_err(|_| format!("bad position in {line:?}"))?;
                run.acks.push((pos, EventId::parse(id)?));
            }
            ["forgot", pos, id, subject] if run.ready_head.is_some() => {
                let pos = pos.parse().map_err(|_| format!("bad position in {line:?}"))?;
                run.forgets.push((pos, EventId::parse(id)?, subject.to_string()));
            }
            _ => return Err(format!("unexpected line {line:?}")),
        }
    }
    Ok(run)
}

/// Reopens the store after a crash and checks it against what the child acknowledged and what
/// the previous round found; then sends again what the child sent but never heard acknowledged.
/// Returns what it checked (after those), and how many of those were found as duplicates and
/// how many were stored now.
fn check_store(target: &Target, run: &ChildRun, before: Checked) -> Result<(Checked, (u64, u64)), String> {
    if let Some(ready) = run.ready_head {
        if ready != before.head {
            return Err(format!("the child opened the store at head {ready}, the test had left it at {}", before.head));
        }
    }
    // Checking the store as the crash left it changes nothing (it may find an interrupted
    // forget, which opening finishes).
    if target.check("after the crash")?.is_none() {
        // Killed before `init` made the store: there is nothing to open yet.
        return match (before.head, run.acks.is_empty()) {
            (0, true) => Ok((before, (0, 0))),
            _ => Err("the store lost its marker file or its study".into()),
        };
    }
    let store = target.open()?;
    let head = store.head();
    let report = store.verify().map_err(|e| format!("verify: {e}"))?;
    if let Some((pos, why)) = report.first_bad {
        return Err(format!("verify: position {pos} is bad: {why}"));
    }
    if report.events != head.position.0 {
        return Err(format!("verify walked {} events, the head is at {}", report.events, head.position));
    }
    let events = read_all(&store)?;
    if head.position.0 < before.head {
        return Err(format!("the log shrank from {} to {} events", before.head, head.position));
    }
    if before.head > 0 && events[before.head as usize - 1].hash != before.hash {
        return Err(format!("the event at {}, checked last round, has another hash now", before.head));
    }
    let mut seen = HashSet::new();
    for &(pos, id) in &run.acks {
        if !seen.insert(id) {
            return Err(format!("id {id} was acknowledged twice"));
        }
        if pos <= before.head {
            return Err(format!("{id} was acknowledged at {pos}, which the previous round already held"));
        }
        match events.get(pos as usize - 1) {
            Some(e) if e.id == id => {}
            Some(e) => return Err(format!("acknowledged {id} at {pos}, but {} is there", e.id)),
            None => return Err(format!("acknowledged {id} at {pos}, but the log ends at {}", head.position)),
        }
        if store.get(id).map_err(|e| e.to_string())?.map(|e| e.position) != Some(Position(pos)) {
            return Err(format!("the id index does not find {id} at {pos}"));
        }
    }
    // Keys are synced before the events that need them: every sealed event that made it to the
    // log must still open.
    check_sealed_open(&store, &events[before.head as usize..])?;
    for (pos, id, subject) in &run.forgets {
        match events.get(*pos as usize - 1) {
            Some(e) if e.id == *id && e.payload.contains(subject.as_str()) => {}
            _ => return Err(format!("the forget of {subject} acknowledged at {pos} is not there")),
        }
        for e in events
            .iter()
            .filter(|e| e.sealed.as_ref().is_some_and(|m| m.subjects.iter().any(|s| s.as_str() == subject)))
        {
            match store.unseal(e) {
                Ok(parlog_core::SealedView::Forgotten { .. }) => {}
                other => {
                    return Err(format!(
                        "position {} names {subject}, forgotten at {pos}, and reads {other:?}",
                        e.position
                    ))
                }
            }
        }
    }
    let resent = resend_unacknowledged(&store, run, &seen)?;
    let head = store.head();
    let events = read_all(&store)?;
    let mut ids = HashSet::new();
    if let Some(e) = events.iter().find(|e| !ids.insert(e.id)) {
        return Err(format!("id {} is in the log twice (again at {})", e.id, e.position));
    }
    let report = store.verify().map_err(|e| format!("verify: {e}"))?;
    if report.first_bad.is_some() || report.events != head.position.0 {
        return Err(format!("verify after sending again: {report:?}"));
    }
    store.close();
    // Once opened (which finishes interrupted forgets), the store is sound.
    match target.check("after reopening")? {
        Some(finding) if finding.is_empty() => {}
        Some(finding) => return Err(format!("after reopening, verify finds: {finding}")),
        None => return Err("after reopening, the store is gone".into()),
    }
    Ok((Checked { head: head.position.0, hash: head.hash }, resent))
}

/// Sends again, one by one, every event the child sent and was not heard acknowledging: one
/// the crash let through must be answered as a duplicate at its place, one it did not must be
/// stored now. Returns how many of each.
fn resend_unacknowledged(store: &AnyStore, run: &ChildRun, acked: &HashSet<EventId>) -> Result<(u64, u64), String> {
    let (mut found, mut stored) = (0, 0);
    let head = store.head().position;
    for (id, event) in run.sent.iter().filter(|(id, _)| !acked.contains(id)) {
        let was = store.get(*id).map_err(|e| e.to_string())?.map(|e| e.position);
        let answer = store.append(vec![event.clone()]).map_err(|e| format!("sending {id} again: {e}"))?;
        let a = answer.first().ok_or("an empty answer")?;
        match was {
            Some(p) if a.duplicate && a.position == p && p <= head => found += 1,
            None if !a.duplicate && a.position > head => stored += 1,
            _ => return Err(format!("{id}, stored at {was:?} before, was answered {a:?} when sent again")),
        }
    }
    Ok((found, stored))
}

// ---- PostgreSQL itself crashes -----------------------------------------------------------------

const PG_CRASH_THREADS: u64 = 4;
/// How long an append may keep failing (the server is down) before the test gives up.
const PG_RETRY_FOR: Duration = Duration::from_secs(120);

/// What a thread was told about one event, after as many tries as it took.
struct Acked {
    id: EventId,
    position: u64,
    duplicate: bool,
    tries: u32,
    event: NewEvent,
}

/// Appends events with fresh ids one by one; an append that fails is sent again, same id and
/// content, until it is acknowledged (as a client that keeps its ids does). Stops when told.
fn append_with_retries(
    store: &AnyStore,
    thread: u64,
    stop: &std::sync::atomic::AtomicBool,
) -> Result<Vec<Acked>, String> {
    let mut rng = fastrand::Rng::with_seed(thread);
    let mut acked = Vec::new();
    let mut n = 0u64;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        n += 1;
        let id = EventId::new_random();
        let event = match n % 3 {
            0 => parlog_tests::memo(id, &format!("t{thread}"), rng.u64(..)),
            _ => parlog_tests::observation(
                id,
                &format!("t{thread}"),
                &format!("resident:r-t{thread}-{}", n % 5),
                rng.u64(..),
            ),
        };
        let started = Instant::now();
        let mut tries = 0;
        let answer = loop {
            tries += 1;
            match store.append(vec![event.clone()]) {
                Ok(mut a) => break a.remove(0),
                Err(e) if started.elapsed() < PG_RETRY_FOR => {
                    let said = e.to_string();
                    if said.contains("PostgreSQL: PostgreSQL:") {
                        return Err(format!("thread {thread}: the error says PostgreSQL twice: {said}"));
                    }
                    if tries == 1 {
                        eprintln!("thread {thread}: append of {id} failed, sending it again: {said}");
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(format!("thread {thread}: {id} still failed after {PG_RETRY_FOR:?}: {e}")),
            }
        };
        if answer.id != id {
            return Err(format!("thread {thread}: {id} was answered for {}", answer.id));
        }
        acked.push(Acked { id, position: answer.position.0, duplicate: answer.duplicate, tries, event });
    }
    Ok(acked)
}

/// PostgreSQL crashes (`pg_ctl -m immediate stop`, then start: recovery from its WAL) and
/// restarts (`-m fast`) while threads append and send again whatever failed. At the end every
/// acknowledged event is in the log exactly once, where it was acknowledged, the log holds
/// nothing else, positions have no gaps and the chain verifies, also from a store opened anew.
/// A retry of an event whose first try was committed although its answer was lost is answered
/// as a duplicate at that place (counted and printed; whether it happens depends on timing).
#[test]
fn acknowledged_appends_survive_a_postgresql_crash() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let Some(server) = parlog_tests::pg::PrivateServer::start() else { return };
    let tmp = tempfile::tempdir().expect("temporary folder");
    let keys = tmp.path().join("keys");
    let options = parlog_core::StoreOptions::from_env(&keys);
    let slug = StudySlug::parse(PG_STUDY).expect("a slug");
    let db = PgDatabase::connect(&server.url()).expect("the private server");
    let store = Arc::new(AnyStore::from(PgStore::init(&db, &slug, &keys, &options).expect("a study")));
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..PG_CRASH_THREADS)
        .map(|t| {
            let (store, stop) = (store.clone(), stop.clone());
            std::thread::spawn(move || append_with_retries(&store, t, &stop))
        })
        .collect();
    let fail = |what: String| -> ! { panic!("{what}\nthe private server's log:\n{}", server.log()) };
    let head_at = |what: &str| {
        let h = store.head().position.0;
        eprintln!("{what}: head {h}");
        h
    };
    std::thread::sleep(Duration::from_millis(700));
    let before_crash = head_at("before the crash");
    server.crash().unwrap_or_else(|e| fail(e));
    std::thread::sleep(Duration::from_millis(500));
    server.start_again().unwrap_or_else(|e| fail(e));
    std::thread::sleep(Duration::from_millis(1500));
    let after_crash = head_at("after the crash");
    server.restart().unwrap_or_else(|e| fail(e));
    std::thread::sleep(Duration::from_millis(1500));
    let after_restart = head_at("after the restart");
    server.crash().unwrap_or_else(|e| fail(e));
    server.start_again().unwrap_or_else(|e| fail(e));
    std::thread::sleep(Duration::from_millis(1000));
    stop.store(true, Ordering::Relaxed);
    let mut acked = Vec::new();
    for t in threads {
        match t.join().expect("appender thread") {
            Ok(a) => acked.extend(a),
            Err(e) => fail(e),
        }
    }
    let end = head_at("at the end");
    if after_crash <= before_crash || after_restart <= after_crash || end <= after_restart {
        fail(format!(
            "appends did not go on after each stop: heads {before_crash}, {after_crash}, {after_restart}, {end}"
        ));
    }
    let retried = acked.iter().filter(|a| a.tries > 1).count();
    let duplicates = acked.iter().filter(|a| a.duplicate).count();
    eprintln!(
        "{} events acknowledged, {retried} after more than one try, {duplicates} of those answered as duplicates",
        acked.len()
    );
    if retried == 0 {
        fail("no append failed: the server's stops were not felt".into());
    }
    if let Some(a) = acked.iter().find(|a| a.duplicate && a.tries == 1) {
        fail(format!("{} was answered as a duplicate on its first try", a.id));
    }

    let check = |store: &AnyStore, when: &str| {
        let events = read_all(store).unwrap_or_else(|e| fail(format!("{when}: {e}")));
        if events.len() != acked.len() {
            fail(format!("{when}: {} events in the log, {} acknowledged", events.len(), acked.len()));
        }
        let mut ids = HashSet::new();
        for e in &events {
            if !ids.insert(e.id) {
                fail(format!("{when}: {} is in the log twice", e.id));
            }
        }
        for a in &acked {
            match events.get(a.position as usize - 1) {
                Some(e) if e.id == a.id => {}
                other => {
                    fail(format!("{when}: {} acknowledged at {}, found {:?}", a.id, a.position, other.map(|e| e.id)))
                }
            }
        }
        let report = store.verify().unwrap_or_else(|e| fail(format!("{when}: verify: {e}")));
        if report.first_bad.is_some() || report.events != acked.len() as u64 {
            fail(format!("{when}: verify: {report:?}"));
        }
        check_sealed_open(store, &events).unwrap_or_else(|e| fail(format!("{when}: {e}")));
    };
    check(&store, "the store that lived through the crashes");
    Arc::try_unwrap(store).ok().expect("the threads are done").close();
    drop(db);
    let (report, _) = parlog_core::pg::check_study(
        &PgDatabase::connect_read_only(&server.url()).expect("a read-only connection"),
        &slug,
        &keys,
        &options,
    )
    .unwrap_or_else(|e| fail(format!("check_study: {e}")));
    if report.first_bad.is_some() || report.events != acked.len() as u64 {
        fail(format!("check_study: {report:?}"));
    }
    let db = PgDatabase::connect(&server.url()).expect("the private server");
    let store = AnyStore::from(PgStore::open(&db, &slug, &keys, &options).expect("reopening the study"));
    check(&store, "a store opened anew");
    // Sending every acknowledged event again stores nothing: each is a duplicate at its place.
    for a in &acked {
        match store.append(vec![a.event.clone()]) {
            Ok(r) if r[0].duplicate && r[0].position.0 == a.position => {}
            other => fail(format!("{} sent again after reopening: {other:?}", a.id)),
        }
    }
    if store.head().position.0 != acked.len() as u64 {
        fail("sending acknowledged events again stored something".into());
    }
    store.close();
}
