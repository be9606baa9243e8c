//! The child process of the crash test (`tests/tests/it/crash.rs`): it opens the store in a data
//! folder, or the study `proef` in a PostgreSQL database with its key folder, and appends from
//! several threads until it is killed.
//!
//! Usage: `crash_appender DIR THREADS SEED [--pg URL]`: without `--pg`, DIR is the data folder
//! of an embedded store; with it, DIR is the study's key folder and URL the database.
//!
//! Output on stdout, one line each, flushed at once:
//! - `ready <head>` when the store is open, with the position of its head;
//! - `send <id> memo <memo> <seed>` or `send <id> obs <notes> <subject> <seed>` for every event
//!   of a batch before it is appended: what `parlog_tests::memo` and `parlog_tests::observation`
//!   need to build the same event again, so that the test can retry what was never acknowledged;
//! - `ack <position> <id>` for every event of a batch once `append` has returned it, i.e. once
//!   the store says it is durable;
//! - `forgot <position> <id> <subject>` once a forget returned (thread 0 forgets now and then a
//!   subject it has just named). The lines of one batch are written together, after the append
//!   returned and before the thread appends again.
//!
//! Each thread appends batches of 1 to 3 events with ids it chose itself: open memos, sealed
//! observations for a subject it reuses, and now and then one for a new subject (which adds a
//! key to the key file). Now and then it retries a batch it just had acknowledged and checks
//! that the store answers with the same positions, marked as duplicates.
//!
//! Exit codes: it never ends by itself unless something is wrong: 1 the store refused or
//! answered wrongly (details on stderr), 2 bad usage.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use parlog_core::{
    AnyStore, EventId, EventStore, NewEvent, ParticipantId, PgDatabase, PgStore, SledStore, StoreOptions, StudySlug,
    SubjectId,
};
use parlog_tests::{memo, observation};

/// Events in one batch, at most.
const BATCH_EVENTS_MAX: u64 = 3;
/// One batch in this many is retried, to check idempotent retries.
const RETRY_ONE_IN: u32 = 10;
/// One sealed observation in this many names a new data subject.
const NEW_SUBJECT_ONE_IN: u32 = 8;
/// Thread 0 forgets a subject it named after one batch in this many.
const FORGET_ONE_IN: u32 = 6;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, threads, seed, pg) = match parse_args(&args) {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("crash_appender: {msg}\nusage: crash_appender DIR THREADS SEED [--pg URL]");
            return ExitCode::from(2);
        }
    };
    let opened: Result<AnyStore, String> = match &pg {
        None => SledStore::init(&dir).map(AnyStore::from).map_err(|e| e.to_string()),
        Some(url) => open_pg(url, &dir),
    };
    let store = match opened {
        Ok(s) => s,
        Err(e) => {
            eprintln!("crash_appender: cannot open {}: {e}", dir.display());
            return ExitCode::from(1);
        }
    };
    emit(&format!("ready {}\n", store.head().position.0));
    let failed = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn({
                    let store = &store;
                    move || append_until_killed(store, t, seed)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("appender thread panicked")).find_map(Result::err)
    });
    let msg = failed.unwrap_or_else(|| "appender threads ended without an error".into());
    eprintln!("crash_appender: {msg}");
    ExitCode::from(1)
}

/// The study the crash test appends to in PostgreSQL.
pub const PG_STUDY: &str = "proef";

/// Creates the study (and its key folder) if need be and opens it, as `parlog` would.
fn open_pg(url: &str, keys: &std::path::Path) -> Result<AnyStore, String> {
    let db = PgDatabase::connect(url).map_err(|e| e.to_string())?;
    let slug = StudySlug::parse(PG_STUDY).map_err(|e| e.to_string())?;
    PgStore::init(&db, &slug, keys, &StoreOptions::from_env(keys)).map(AnyStore::from).map_err(|e| e.to_string())
}

fn parse_args(args: &[String]) -> Result<(PathBuf, u32, u64, Option<String>), String> {
    let (pg, args) = match args {
        [rest @ .., flag, url] if flag == "--pg" => (Some(url.clone()), rest),
        _ => (None, args),
    };
    let [dir, threads, seed] = args else {
        return Err(format!("expected 3 arguments and perhaps --pg URL, got {}", args.len()));
    };
    let threads = threads.parse().map_err(|_| format!("THREADS: expected a number such as 4, got {threads:?}"))?;
    let seed = seed.parse().map_err(|_| format!("SEED: expected a number such as 42, got {seed:?}"))?;
    Ok((PathBuf::from(dir), threads, seed, pg))
}

/// Writes one or more whole lines to stdout in one write and flushes them, so that the test
/// never reads an acknowledgement the child had not finished saying.
fn emit(lines: &str) {
    let mut out = std::io::stdout().lock();
    // A closed stdout means the test is gone; the kill follows, so there is nothing to do.
    let _ = out.write_all(lines.as_bytes()).and_then(|()| out.flush());
}

/// Appends batches until the process is killed; returns only when the store answers wrongly.
fn append_until_killed(store: &AnyStore, thread: u32, seed: u64) -> Result<(), String> {
    let mut rng = fastrand::Rng::with_seed(seed ^ (u64::from(thread) << 32));
    let mut new_subjects = 0u64;
    let mut forgotten = 0u64;
    loop {
        let events = rng.u64(1..=BATCH_EVENTS_MAX);
        let mut sent = String::new();
        let batch: Vec<NewEvent> = (0..events)
            .map(|_| {
                let id = EventId(uuid::Builder::from_random_bytes(rng.u128(..).to_le_bytes()).into_uuid());
                let text_seed = rng.u64(..);
                let name = format!("t{thread}");
                let subject = match rng.u32(0..4) {
                    0 => {
                        sent.push_str(&format!("send {id} memo {name} {text_seed}\n"));
                        return memo(id, &name, text_seed);
                    }
                    _ if rng.u32(0..NEW_SUBJECT_ONE_IN) == 0 => {
                        new_subjects += 1;
                        format!("resident:r-{seed}-{thread}-{new_subjects}")
                    }
                    _ => format!("resident:r-t{thread}"),
                };
                sent.push_str(&format!("send {id} obs {name} {subject} {text_seed}\n"));
                observation(id, &name, &subject, text_seed)
            })
            .collect();
        emit(&sent);
        let ids: Vec<EventId> = batch.iter().map(|e| e.id).collect();
        let retry = (rng.u32(0..RETRY_ONE_IN) == 0).then(|| batch.clone());
        let appended = store.append(batch).map_err(|e| format!("thread {thread}: append failed: {e}"))?;
        let mut lines = String::new();
        for (a, id) in appended.iter().zip(&ids) {
            if a.id != *id || a.duplicate {
                return Err(format!("thread {thread}: appending {id} was answered with {a:?}"));
            }
            lines.push_str(&format!("ack {} {}\n", a.position.0, a.id));
        }
        if appended.len() != ids.len() {
            return Err(format!("thread {thread}: {} events appended, {} answers", ids.len(), appended.len()));
        }
        // Now and then thread 0 forgets the subject it just named for the first time: a crash
        // may then come in the middle of a forget.
        if thread == 0 && new_subjects > forgotten && rng.u32(0..FORGET_ONE_IN) == 0 {
            forgotten = new_subjects;
            let subject = format!("resident:r-{seed}-{thread}-{new_subjects}");
            let s = SubjectId::parse(&subject).map_err(|e| format!("thread {thread}: {e}"))?;
            let by = ParticipantId::parse("crash-test").map_err(|e| format!("thread {thread}: {e}"))?;
            let f = store.forget(&s, &by, None).map_err(|e| format!("thread {thread}: forget failed: {e}"))?;
            lines.push_str(&format!("forgot {} {} {subject}\n", f.position.0, f.id));
        }
        emit(&lines);
        if let Some(batch) = retry {
            let again = store.append(batch).map_err(|e| format!("thread {thread}: retry failed: {e}"))?;
            let same = again.len() == appended.len()
                && again.iter().zip(&appended).all(|(r, a)| r.duplicate && r.id == a.id && r.position == a.position);
            if !same {
                return Err(format!("thread {thread}: retry answered {again:?}, first answer was {appended:?}"));
            }
        }
    }
}
