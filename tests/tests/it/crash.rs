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
//! `PARLOG_CRASH_ROUNDS` sets the number of rounds (25 by default), `PARLOG_CRASH_SEED` the seed
//! of the random choices (printed, to replay a failure as far as timing allows).

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use parlog_core::{EventId, EventStore, Hash, Position, SledStore};
use parlog_tests::{check_sealed_open, read_all};

const ROUNDS_DEFAULT: u32 = 25;
const APPENDER_THREADS: u32 = 4;
/// The child is killed this long after it said it is ready (or after it was started, in the rounds
/// that aim at start-up).
const KILL_AFTER_MS: std::ops::Range<u64> = 20..300;
/// One round in this many counts the delay from the start of the child, to crash during opening.
const KILL_AT_START_ONE_IN: u32 = 5;
const KILL_AT_START_MS: std::ops::Range<u64> = 0..60;
/// How long the child may take to open the store before the test gives up on it.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// What a round's child said before it was killed.
struct ChildRun {
    /// The head the child saw when it opened the store, if it got that far.
    ready_head: Option<u64>,
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

#[test]
fn acknowledged_appends_survive_sigkill() {
    let rounds = env_number("PARLOG_CRASH_ROUNDS").unwrap_or(u64::from(ROUNDS_DEFAULT));
    let seed = env_number("PARLOG_CRASH_SEED").unwrap_or_else(|| fastrand::u64(..));
    let tmp = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temporary folder");
    let dir = tmp.path().join("data");
    eprintln!("crash test: {rounds} rounds, seed {seed}, data folder {}", dir.display());
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut checked = Checked { head: 0, hash: Hash::ZERO };
    let mut acked_total = 0;
    let mut forgets_total = 0;
    for round in 0..rounds {
        let result = run_child(&dir, &mut rng, round, seed.wrapping_add(round))
            .and_then(|run| check_store(&dir, &run, checked).map(|c| (run, c)));
        match result {
            Ok((run, now)) => {
                eprintln!(
                    "round {round}: killed {:?} after the start ({}), {} acks, head {} -> {} ({} durable but unacknowledged)",
                    run.killed_after,
                    if run.ready_head.is_some() { "after opening" } else { "while starting" },
                    run.acks.len(),
                    checked.head,
                    now.head,
                    now.head - checked.head - run.acks.len() as u64,
                );
                acked_total += run.acks.len();
                forgets_total += run.forgets.len();
                checked = now;
            }
            Err(msg) => {
                let kept = tmp.keep();
                panic!("round {round} (seed {seed}): {msg}\nthe data folder is kept at {}", kept.display());
            }
        }
    }
    eprintln!(
        "crash test: {rounds} rounds, {acked_total} acknowledged events and {forgets_total} acknowledged forgets, final head {}",
        checked.head
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
fn run_child(dir: &Path, rng: &mut fastrand::Rng, round: u64, child_seed: u64) -> Result<ChildRun, String> {
    let exe = env!("CARGO_BIN_EXE_crash_appender");
    let mut cmd = Command::new(exe);
    cmd.arg(dir).arg(APPENDER_THREADS.to_string()).arg(child_seed.to_string());
    let command = format!("{exe} {} {APPENDER_THREADS} {child_seed}", dir.display());
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
    let mut run = ChildRun { ready_head: None, acks: Vec::new(), forgets: Vec::new(), killed_after };
    for line in lines {
        let parts: Vec<&str> = line.split(' ').collect();
        match parts.as_slice() {
            ["ready", head] if run.ready_head.is_none() => {
                run.ready_head = Some(head.parse().map_err(|_| format!("bad line {line:?}"))?);
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
/// the previous round found.
fn check_store(dir: &Path, run: &ChildRun, before: Checked) -> Result<Checked, String> {
    if let Some(ready) = run.ready_head {
        if ready != before.head {
            return Err(format!("the child opened the store at head {ready}, the test had left it at {}", before.head));
        }
    }
    if !dir.join("PARLOG").exists() {
        // Killed before `init` wrote the marker: there is nothing to open yet.
        return match (before.head, run.acks.is_empty()) {
            (0, true) => Ok(before),
            _ => Err("the data folder lost its marker file".into()),
        };
    }
    // Checking the folder as the crash left it changes nothing (it may find an interrupted
    // forget, which opening finishes).
    let options = parlog_core::StoreOptions::from_env(dir);
    let before_check = digests(dir);
    parlog_core::check_folder(dir, &options).map_err(|e| format!("checking after the crash: {e}"))?;
    if digests(dir) != before_check {
        return Err("checking the folder after the crash changed it".into());
    }
    let store = SledStore::open(dir).map_err(|e| format!("reopening after the crash: {e}"))?;
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
    store.close();
    // Once opened (which finishes interrupted forgets), the folder is sound.
    let report = parlog_core::check_folder(dir, &options).map_err(|e| format!("checking after reopening: {e}"))?;
    if let Some(f) = report.findings.first() {
        return Err(format!("after reopening, verify finds: {f}"));
    }
    Ok(Checked { head: head.position.0, hash: head.hash })
}
