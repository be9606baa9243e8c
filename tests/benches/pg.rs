//! The store benchmark on both backends in one run (issue 13): the embedded store (sled) and the
//! PostgreSQL store, next to the references measured in the same run, in one table.
//!
//! Run: `cargo bench -p parlog-tests --bench pg` (release build; 4 to 6 minutes, a third of it
//! filling two logs of 1,000,000 events). Settings, all optional:
//! - `PARLOG_BENCH_SCALE=0.1` (or `-- --quick`) scales every count and pgbench's duration, for a
//!   quick run (well under a minute);
//! - `PARLOG_BENCH_REPS=3` sets the repetitions (5 by default); every figure is their median;
//! - `PARLOG_BENCH_PARTS=ab` runs only some parts (`abcd` by default; the references always run);
//! - `PARLOG_BENCH_BACKENDS=pg` runs one backend (`sled,pg` by default), for profiling;
//! - `PARLOG_BENCH_EVENT=memo` appends open `MemoWritten` events instead of `ObservationRecorded`
//!   with a sealed text;
//! - `PARLOG_BENCH_ASYNC_COMMIT=1`, a diagnostic: the scratch database gets `synchronous_commit
//!   off` (a setting of that database, not of the server), so that PostgreSQL's commits (the
//!   store's and pgbench's) do not wait for the WAL flush; the figures then show the CPU and
//!   round-trip side alone. Nothing is durable, so no target is judged (exit code 1);
//! - `PARLOG_TEST_PG` the administrative address of the PostgreSQL server (as the tests;
//!   `postgres://postgres@127.0.0.1:5432/postgres` by default).
//!
//! The PostgreSQL store works in a scratch database `parlog_bench_<pid>`, made at the start and
//! dropped at the end; every append run gets a study of its own in it, every sled run a data
//! folder of its own under the target folder. Measured, for each backend:
//! - (a) one appender thread appending single events (about 700 bytes stored each, the events of
//!   `benches/store.rs`), events/s and latency;
//! - (b) 64 appender threads appending single events each, all at once (group commit);
//! - (c) a full read of a filled log through `read_from`, in pages of 512 (as the projections
//!   engine reads) and in pages of `PAGE_EVENTS_MAX`;
//! - (d) a subscriber (`EventStore::subscribe`, then `read_from`, as the server's feed does)
//!   following while 64 appenders write: for each event, the time from its append's answer to
//!   the subscriber holding it (0 when the subscriber had it first), and from just before the
//!   append to the subscriber holding it.
//!
//! The references, in each repetition between the store runs: a 700-byte write plus fdatasync
//! in a loop on the disk under the target folder, and pgbench (`/usr/bin/pgbench`, or
//! `PARLOG_BENCH_PGBENCH`) inserting one 700-byte row per transaction into a plain table
//! `(id bigserial primary key, body text)` in the scratch database, with 1 client and with 64
//! (`-n -f script -c 1 -j 1 -T 3` and `-c 64 -j 2 -T 3`), right before and right after the
//! PostgreSQL store's run it is compared with; the mean of the two is the reference.
//!
//! Targets (the PostgreSQL store; sled is shown for comparison): (a) >= 0.8 x pgbench's 1-client
//! rate; (b) >= 2 x pgbench's 64-client rate; (c) >= 200,000 events/s in pages of 512; (d) p99 of
//! the lag after the append's answer <= 10 ms. Ratios are medians of the ratio within each
//! repetition, since the disk and the server drift.
//!
//! To tell CPU from waiting, (a), (b) and pgbench also show CPU time per event (transaction): of
//! this process (getrusage, without the sampler's own thread), of pgbench (its rusage), and of
//! the server processes of the scratch database (from /proc every 100 ms, when the server runs
//! on this machine; the WAL writer and other shared processes are not counted).
//!
//! The PostgreSQL server, the disk and the two cores are shared with whatever else runs on the
//! machine; the benchmark does not change the server's configuration, and prints it. A run that
//! is killed leaves its scratch database behind: `DROP DATABASE parlog_bench_<pid>`.
//!
//! Exit code: 0 when every target is met, 1 when one is missed (or the benchmark failed), 2 bad
//! usage.

// The allocator of the `parlog` binary, so that the figures are the ones it gets.
#[global_allocator]
static ALLOCATOR: parlog_server::alloc::ParlogAlloc = parlog_server::alloc::ParlogAlloc;

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use parlog_core::limits::{BATCH_EVENTS_MAX, PAGE_EVENTS_MAX};
use parlog_core::{
    AnyStore, EventId, EventStore, NewEvent, PgDatabase, PgStore, Position, RecordedEvent, SledStore, StoreOptions,
    StudySlug,
};
use parlog_tests::pg::{admin_execute, with_database, DEFAULT_ADMIN_URL};
use parlog_tests::{filler_text, median, memo, observation, quantile};

/// Bytes written per raw fdatasync, and per pgbench row: about one stored event.
const ROW_BYTES: usize = 700;
const RAW_SYNCS: f64 = 2_000.0;
const SINGLE_APPENDS: f64 = 5_000.0;
const APPENDERS: usize = 64;
const APPENDS_PER_APPENDER: f64 = 1_000.0;
const LAG_APPENDS_PER_APPENDER: f64 = 300.0;
const READ_EVENTS: f64 = 1_000_000.0;
/// The page the projections engine reads (`projections/src/engine/mod.rs`).
const ENGINE_PAGE_EVENTS: usize = 512;
/// Positions the subscriber takes at once, as the server's follower does.
const SUBSCRIBER_POSITIONS_MAX: usize = 4_096;
/// How long the subscriber waits for news before it gives up (an appender failed).
const SUBSCRIBER_WAIT_MAX: Duration = Duration::from_secs(60);
/// Each pgbench run; it runs twice around each PostgreSQL store run (see `repetition`), so its
/// figure covers about as long a stretch of time as the store run's.
const PGBENCH_SECONDS: f64 = 3.0;
const PGBENCH_CLIENTS_MANY: usize = 64;

const TARGET_SINGLE_SHARE_OF_PGBENCH: f64 = 0.8;
const TARGET_CONCURRENT_SHARE_OF_PGBENCH: f64 = 2.0;
const TARGET_READ_EVENTS_PER_S: f64 = 200_000.0;
const TARGET_LAG_P99_MS: f64 = 10.0;

struct Options {
    scale: f64,
    reps: usize,
    kind: Kind,
    parts: String,
    backends: Vec<Backend>,
    admin_url: String,
    pgbench: PathBuf,
    /// Diagnostic: commits in the scratch database do not wait for the WAL flush.
    async_commit: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Observation,
    Memo,
}

impl Kind {
    /// The `i`-th event of appender `thread`: a sealed observation for one subject per thread (so
    /// keys are made once, at the start) or an open memo.
    fn event(self, thread: usize, i: usize) -> NewEvent {
        let seed = (thread as u64) << 32 | i as u64;
        match self {
            Kind::Observation => {
                observation(EventId::new_random(), &format!("t{thread}"), &format!("resident:r-{thread}"), seed)
            }
            Kind::Memo => memo(EventId::new_random(), &format!("t{thread}"), seed),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Backend {
    Sled,
    Pg,
}

fn main() -> ExitCode {
    parlog_server::alloc::init();
    let opts = match options() {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("pg bench: {msg}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("pg bench: {e}");
            ExitCode::from(1)
        }
    }
}

fn options() -> Result<Options, String> {
    let quick = std::env::args().skip(1).any(|a| a == "--quick");
    let scale = match std::env::var("PARLOG_BENCH_SCALE") {
        Ok(s) => s
            .parse::<f64>()
            .ok()
            .filter(|x| *x > 0.0 && *x <= 100.0)
            .ok_or_else(|| format!("PARLOG_BENCH_SCALE: expected a number above 0 such as 0.1, got {s:?}"))?,
        Err(_) if quick => 0.1,
        Err(_) => 1.0,
    };
    let reps = match std::env::var("PARLOG_BENCH_REPS") {
        Ok(s) => s
            .parse::<usize>()
            .ok()
            .filter(|r| *r >= 1)
            .ok_or_else(|| format!("PARLOG_BENCH_REPS: expected a number of 1 or more such as 3, got {s:?}"))?,
        Err(_) => 5,
    };
    let kind = match std::env::var("PARLOG_BENCH_EVENT").as_deref() {
        Ok("observation") | Err(_) => Kind::Observation,
        Ok("memo") => Kind::Memo,
        Ok(other) => return Err(format!("PARLOG_BENCH_EVENT: expected observation or memo, got {other:?}")),
    };
    let parts = std::env::var("PARLOG_BENCH_PARTS").unwrap_or_else(|_| "abcd".into());
    if parts.is_empty() || !parts.chars().all(|c| "abcd".contains(c)) {
        return Err(format!("PARLOG_BENCH_PARTS: expected some of the letters abcd such as \"ab\", got {parts:?}"));
    }
    let backends = match std::env::var("PARLOG_BENCH_BACKENDS").as_deref() {
        Ok("sled,pg") | Err(_) => vec![Backend::Sled, Backend::Pg],
        Ok("pg") => vec![Backend::Pg],
        Ok("sled") => vec![Backend::Sled],
        Ok(other) => return Err(format!("PARLOG_BENCH_BACKENDS: expected sled,pg or pg or sled, got {other:?}")),
    };
    let admin_url = std::env::var("PARLOG_TEST_PG").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_string());
    let pgbench =
        std::env::var_os("PARLOG_BENCH_PGBENCH").map_or_else(|| PathBuf::from("/usr/bin/pgbench"), PathBuf::from);
    let async_commit = match std::env::var("PARLOG_BENCH_ASYNC_COMMIT").as_deref() {
        Ok("1") => true,
        Ok("0") | Err(_) => false,
        Ok(other) => return Err(format!("PARLOG_BENCH_ASYNC_COMMIT: expected 1 or 0, got {other:?}")),
    };
    Ok(Options { scale, reps, kind, parts, backends, admin_url, pgbench, async_commit })
}

fn count(base: f64, scale: f64) -> usize {
    ((base * scale).round() as usize).max(1)
}

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// The scratch database, dropped when the benchmark ends (also after an error).
struct Scratch {
    admin: String,
    name: String,
    url: String,
}

impl Scratch {
    fn create(admin: &str, async_commit: bool) -> BenchResult<Scratch> {
        let name = format!("parlog_bench_{}", std::process::id());
        admin_execute(admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .and_then(|()| admin_execute(admin, &format!("CREATE DATABASE {name}")))
            .map_err(|e| {
                format!(
                    "cannot make a scratch database on {}: {e}; start PostgreSQL or set PARLOG_TEST_PG",
                    parlog_core::pg::shown_url(admin)
                )
            })?;
        let scratch = Scratch { admin: admin.to_string(), url: with_database(admin, &name), name };
        if async_commit {
            // A setting of this database only, for the sessions opened after it: not the server's.
            admin_execute(admin, &format!("ALTER DATABASE {} SET synchronous_commit = off", scratch.name))?;
        }
        Ok(scratch)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Err(e) = admin_execute(&self.admin, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)) {
            eprintln!("pg bench: could not drop the scratch database {}: {e}", self.name);
        }
    }
}

/// What every part uses: where sled's folders go, and the database with a counter for study names.
struct Bench<'a> {
    o: &'a Options,
    root: PathBuf,
    db: PgDatabase,
    studies: AtomicU64,
    /// For the CPU meter: the server's processes of the scratch database are found through it.
    admin_url: String,
    scratch_name: String,
}

/// A fresh store and the folder it (or its keys) lives in.
struct Fresh {
    store: AnyStore,
    _dir: tempfile::TempDir,
}

impl Bench<'_> {
    fn fresh(&self, backend: Backend) -> BenchResult<Fresh> {
        let dir = tempfile::tempdir_in(&self.root)?;
        let store = match backend {
            Backend::Sled => AnyStore::Sled(SledStore::init(&dir.path().join("data"))?),
            Backend::Pg => {
                let slug = StudySlug::parse(&format!("bench-{}", self.studies.fetch_add(1, Ordering::Relaxed)))?;
                let keys = dir.path().join("keys");
                AnyStore::Pg(PgStore::init(&self.db, &slug, &keys, &StoreOptions::from_env(dir.path()))?)
            }
        };
        Ok(Fresh { store, _dir: dir })
    }
}

fn run(o: &Options) -> BenchResult<bool> {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("parlog-bench-pg");
    std::fs::create_dir_all(&root)?;
    let scratch = Scratch::create(&o.admin_url, o.async_commit)?;
    let db = PgDatabase::connect(&scratch.url)?;
    println!(
        "parlog store benchmark, sled and PostgreSQL ({} build)",
        if cfg!(debug_assertions) { "DEBUG" } else { "release" }
    );
    println!("  sled folders in {} ({})", root.display(), parlog_tests::file_system_of(&root));
    println!("  PostgreSQL: {} ({})", parlog_core::pg::shown_url(&scratch.url), server_settings(&scratch.url)?);
    if o.async_commit {
        println!("  DIAGNOSTIC: synchronous_commit off in the scratch database; commits do not wait for the disk");
    }
    println!(
        "  scale {}, median of {} repetitions, events: {}; the server, disk and cores are shared (noise)",
        o.scale,
        o.reps,
        match o.kind {
            Kind::Observation => "ObservationRecorded with a sealed text",
            Kind::Memo => "MemoWritten, open",
        }
    );
    let bench = Bench {
        o,
        root,
        db,
        studies: AtomicU64::new(0),
        admin_url: o.admin_url.clone(),
        scratch_name: scratch.name.clone(),
    };
    let pgbench = Pgbench::prepare(o, &scratch)?;
    let mut samples = Samples::default();
    for rep in 0..o.reps {
        eprintln!("repetition {} of {}", rep + 1, o.reps);
        repetition(&bench, &pgbench, &mut samples)?;
    }
    if o.parts.contains('c') {
        for &backend in &o.backends {
            read_part(&bench, backend, &mut samples)?;
        }
    }
    let ok = samples.print(o);
    drop(bench);
    drop(scratch);
    Ok(ok)
}

/// PostgreSQL's settings that decide the figures, as the server reports them.
fn server_settings(url: &str) -> BenchResult<String> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let shown = rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
        let driver = tokio::spawn(conn);
        let mut out = Vec::new();
        for name in
            ["server_version", "synchronous_commit", "fsync", "wal_sync_method", "commit_delay", "shared_buffers"]
        {
            let v: String = client.query_one(&format!("SHOW {name}"), &[]).await?.get(0);
            out.push(format!("{name} {v}"));
        }
        drop(client);
        let _ = driver.await;
        Ok::<_, tokio_postgres::Error>(out.join(", "))
    })?;
    Ok(shown)
}

/// Every repetition's figures; medians are taken when printing.
#[derive(Default)]
struct Samples {
    raw: Vec<f64>,
    pgbench_one: Vec<PgbenchRun>,
    pgbench_many: Vec<PgbenchRun>,
    single: [Vec<AppendRun>; 2],
    concurrent: [Vec<AppendRun>; 2],
    lag: [Vec<LagRun>; 2],
    read_engine: [Vec<f64>; 2],
    read_large: [Vec<f64>; 2],
    read_events: [u64; 2],
}

/// One repetition: the references and the append parts. pgbench runs right before and right
/// after the PostgreSQL store's run it is compared with, and counts as the mean of the two, so
/// that the pair sees the same disk and server as far as a shared machine allows.
fn repetition(b: &Bench, pgbench: &Pgbench, s: &mut Samples) -> BenchResult<()> {
    let o = b.o;
    let has = |backend| o.backends.contains(&backend);
    s.raw.push(raw_fdatasync(&b.root, count(RAW_SYNCS, o.scale))?);
    let single = |backend: Backend| -> BenchResult<AppendRun> {
        let f = b.fresh(backend)?;
        let run = append_run(b, &f.store, 1, count(SINGLE_APPENDS, o.scale))?;
        f.store.close();
        Ok(run)
    };
    let concurrent = |backend: Backend| -> BenchResult<AppendRun> {
        let f = b.fresh(backend)?;
        let run = append_run(b, &f.store, APPENDERS, count(APPENDS_PER_APPENDER, o.scale))?;
        f.store.close();
        Ok(run)
    };
    let before = pgbench.run(b, 1, 1)?;
    if o.parts.contains('a') && has(Backend::Pg) {
        s.single[Backend::Pg as usize].push(single(Backend::Pg)?);
    }
    s.pgbench_one.push(PgbenchRun::mean(before, pgbench.run(b, 1, 1)?));
    if o.parts.contains('a') && has(Backend::Sled) {
        s.single[Backend::Sled as usize].push(single(Backend::Sled)?);
    }
    let before = pgbench.run(b, PGBENCH_CLIENTS_MANY, 2)?;
    if o.parts.contains('b') && has(Backend::Pg) {
        s.concurrent[Backend::Pg as usize].push(concurrent(Backend::Pg)?);
    }
    s.pgbench_many.push(PgbenchRun::mean(before, pgbench.run(b, PGBENCH_CLIENTS_MANY, 2)?));
    if o.parts.contains('b') && has(Backend::Sled) {
        s.concurrent[Backend::Sled as usize].push(concurrent(Backend::Sled)?);
    }
    if o.parts.contains('d') {
        for &backend in &o.backends {
            let (f, i) = (b.fresh(backend)?, backend as usize);
            s.lag[i].push(lag_run(b, &f.store, APPENDERS, count(LAG_APPENDS_PER_APPENDER, o.scale))?);
            f.store.close();
        }
    }
    Ok(())
}

// ---- references ----

/// The disk's reference: what one small durable write costs, appending to a file.
fn raw_fdatasync(root: &Path, ops: usize) -> BenchResult<f64> {
    let dir = tempfile::tempdir_in(root)?;
    let buf = vec![0xA5u8; ROW_BYTES];
    let mut f = OpenOptions::new().create(true).append(true).open(dir.path().join("raw"))?;
    let start = Instant::now();
    for _ in 0..ops {
        f.write_all(&buf)?;
        f.sync_data()?;
    }
    Ok(ops as f64 / start.elapsed().as_secs_f64())
}

/// pgbench, set up in the scratch database: its table and its script.
struct Pgbench {
    program: PathBuf,
    script: tempfile::NamedTempFile,
    host: String,
    port: u16,
    user: String,
    dbname: String,
    seconds: u64,
}

struct PgbenchRun {
    tps: f64,
    latency_ms: f64,
    /// Per transaction: pgbench's CPU time and the server's, in microseconds.
    cpu: Cpu,
}

impl PgbenchRun {
    fn mean(a: PgbenchRun, b: PgbenchRun) -> PgbenchRun {
        let server = match (a.cpu.server, b.cpu.server) {
            (Some(x), Some(y)) => Some((x + y) / 2.0),
            _ => None,
        };
        PgbenchRun {
            tps: (a.tps + b.tps) / 2.0,
            latency_ms: (a.latency_ms + b.latency_ms) / 2.0,
            cpu: Cpu { process: (a.cpu.process + b.cpu.process) / 2.0, server },
        }
    }
}

impl Pgbench {
    fn prepare(o: &Options, scratch: &Scratch) -> BenchResult<Pgbench> {
        if !o.pgbench.exists() {
            return Err(format!(
                "{} not found: the reference needs pgbench (Debian: apt-get install postgresql-client), or set PARLOG_BENCH_PGBENCH",
                o.pgbench.display()
            )
            .into());
        }
        admin_execute(&scratch.url, "CREATE TABLE pgbench_rows (id bigserial PRIMARY KEY, body text NOT NULL)")?;
        let mut script = tempfile::NamedTempFile::new()?;
        // A literal of ROW_BYTES ASCII characters: below TOAST's threshold, so stored as is.
        writeln!(script, "INSERT INTO pgbench_rows (body) VALUES ('{}');", filler_text(ROW_BYTES, 7))?;
        script.flush()?;
        let config: tokio_postgres::Config = scratch.url.parse()?;
        let host = match config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
            Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
            None => "127.0.0.1".into(),
        };
        Ok(Pgbench {
            program: o.pgbench.clone(),
            script,
            host,
            port: config.get_ports().first().copied().unwrap_or(5432),
            user: config.get_user().unwrap_or("postgres").to_string(),
            dbname: scratch.name.clone(),
            seconds: (PGBENCH_SECONDS * o.scale).round().max(2.0) as u64,
        })
    }

    /// `pgbench -n -f script -c clients -j jobs -T seconds`: its tps and average latency.
    fn run(&self, b: &Bench, clients: usize, jobs: usize) -> BenchResult<PgbenchRun> {
        let meter = CpuMeter::start(b)?;
        let out = Command::new(&self.program)
            .args(["-n", "-f"])
            .arg(self.script.path())
            .args(["-c", &clients.to_string(), "-j", &jobs.to_string(), "-T", &self.seconds.to_string()])
            .args(["-h", &self.host, "-p", &self.port.to_string(), "-U", &self.user, &self.dbname])
            .output()?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let number_after = |prefix: &str| {
            stdout
                .lines()
                .find_map(|l| l.strip_prefix(prefix))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse::<f64>().ok())
        };
        let cpu = meter.stop_children()?;
        let parsed = (
            number_after("tps = "),
            number_after("latency average = "),
            number_after("number of transactions actually processed: "),
        );
        match (out.status.success(), parsed) {
            (true, (Some(tps), Some(latency_ms), Some(txs))) => Ok(PgbenchRun { tps, latency_ms, cpu: cpu.per(txs) }),
            _ => Err(format!(
                "pgbench with {clients} clients failed ({}):\n{stdout}{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
            .into()),
        }
    }
}

// ---- (a), (b): appends ----

/// One append run.
struct AppendRun {
    events_per_s: f64,
    /// Sorted.
    latencies: Vec<Duration>,
    /// CPU time per event of this process (appenders and store) and of the database's server
    /// processes, in microseconds.
    cpu: Cpu,
}

/// `threads` appenders each append `per_thread` single events, all at once.
fn append_run(b: &Bench, store: &AnyStore, threads: usize, per_thread: usize) -> BenchResult<AppendRun> {
    let (elapsed, timings, cpu) = appenders(b, store, threads, per_thread, |_| {})?;
    let mut latencies: Vec<Duration> = timings.iter().map(|t| t.acked - t.sent).collect();
    latencies.sort();
    let events = latencies.len() as f64;
    Ok(AppendRun { events_per_s: events / elapsed.as_secs_f64(), latencies, cpu: cpu.per(events) })
}

/// When one append was sent and answered, and where its event went.
struct Timing {
    position: u64,
    sent: Instant,
    acked: Instant,
}

/// Runs `threads` appender threads of `per_thread` single events each, all starting together,
/// with `beside` running in a thread of its own from before the start; returns the time from the
/// start until the last appender finished, and every append's timing.
fn appenders(
    b: &Bench,
    store: &AnyStore,
    threads: usize,
    per_thread: usize,
    beside: impl FnOnce(&AnyStore) + Send,
) -> BenchResult<(Duration, Vec<Timing>, Cpu)> {
    let kind = b.o.kind;
    // Each appender's first event makes its subject's key; that is set-up, not the steady state.
    store.append((0..threads).map(|t| kind.event(t, usize::MAX)).collect())?;
    let work: Vec<Vec<NewEvent>> = (0..threads).map(|t| (0..per_thread).map(|i| kind.event(t, i)).collect()).collect();
    let start_line = Arc::new(Barrier::new(threads + 1));
    std::thread::scope(|s| -> BenchResult<_> {
        s.spawn(move || beside(store));
        let handles: Vec<_> = work
            .into_iter()
            .map(|events| {
                let start_line = start_line.clone();
                s.spawn(move || -> Result<Vec<Timing>, String> {
                    start_line.wait();
                    let mut out = Vec::with_capacity(events.len());
                    for e in events {
                        let sent = Instant::now();
                        let a = store.append(vec![e]).map_err(|e| e.to_string())?;
                        let acked = Instant::now();
                        out.push(Timing { position: a[0].position.0, sent, acked });
                    }
                    Ok(out)
                })
            })
            .collect();
        let meter = CpuMeter::start(b)?;
        start_line.wait();
        let start = Instant::now();
        let mut all = Vec::with_capacity(threads * per_thread);
        for h in handles {
            all.extend(h.join().expect("appender thread")?);
        }
        let elapsed = start.elapsed();
        Ok((elapsed, all, meter.stop()?))
    })
}

// ---- CPU time ----

/// CPU time, in seconds (or per event, in microseconds, after `per`): of this process, and of
/// the server processes of the scratch database when the server runs on this machine.
#[derive(Clone, Copy, Default)]
struct Cpu {
    process: f64,
    server: Option<f64>,
}

impl Cpu {
    fn per(self, events: f64) -> Cpu {
        Cpu { process: self.process / events * 1e6, server: self.server.map(|s| s / events * 1e6) }
    }
}

/// This process's CPU time (all threads), in seconds.
fn process_cpu(who: i32) -> f64 {
    // SAFETY: getrusage fills the struct it is given; nothing else is touched.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(who, &mut u) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(u.ru_utime) + secs(u.ru_stime)
}

/// User plus system CPU time of a process, in seconds, from /proc (None when it is gone or is
/// not on this machine).
fn proc_cpu(pid: i32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which may hold spaces): utime and stime are the 12th
    // and 13th of them (fields 14 and 15 of the line).
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    // SAFETY: sysconf reads a constant.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some((f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) / ticks)
}

/// Measures CPU time from `start` to `stop`: this process's by getrusage, the server's by
/// sampling every 100 ms the processes PostgreSQL runs for the scratch database (so a
/// connection that ends between samples loses at most its last 100 ms).
struct CpuMeter {
    process: f64,
    children: f64,
    stop: Arc<std::sync::atomic::AtomicBool>,
    /// The server's CPU time, and the sampler thread's own (not the store's work).
    sampler: std::thread::JoinHandle<(Option<f64>, f64)>,
}

const CPU_SAMPLE_INTERVAL: Duration = Duration::from_millis(100);

impl CpuMeter {
    fn start(b: &Bench) -> BenchResult<CpuMeter> {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (admin, db) = (b.admin_url.clone(), b.scratch_name.clone());
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let stopped = stop.clone();
        let sampler = std::thread::spawn(move || {
            let server = (|| {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
                rt.block_on(async {
                    let client = match tokio_postgres::connect(&admin, tokio_postgres::NoTls).await {
                        Ok((client, conn)) => {
                            tokio::spawn(conn);
                            Some(client)
                        }
                        Err(_) => None,
                    };
                    let pids = || async {
                        let c = client.as_ref()?;
                        let rows = c.query("SELECT pid FROM pg_stat_activity WHERE datname = $1", &[&db]).await.ok()?;
                        Some(rows.iter().map(|r| r.get::<_, i32>(0)).collect::<Vec<i32>>())
                    };
                    let mut first: std::collections::HashMap<i32, f64> = std::collections::HashMap::new();
                    let mut last = first.clone();
                    for pid in pids().await.unwrap_or_default() {
                        if let Some(t) = proc_cpu(pid) {
                            first.insert(pid, t);
                        }
                    }
                    let _ = ready_tx.send(());
                    loop {
                        let done = stopped.load(Ordering::Acquire);
                        for pid in pids().await? {
                            if let Some(t) = proc_cpu(pid) {
                                last.insert(pid, t);
                            }
                        }
                        if done {
                            break;
                        }
                        tokio::time::sleep(CPU_SAMPLE_INTERVAL).await;
                    }
                    // Not on this machine (or not readable): no figure rather than a wrong one.
                    if last.is_empty() {
                        return None;
                    }
                    Some(last.iter().map(|(pid, t)| t - first.get(pid).copied().unwrap_or(0.0)).sum())
                })
            })();
            (server, process_cpu(libc::RUSAGE_THREAD))
        });
        ready.recv_timeout(Duration::from_secs(10)).map_err(|_| "the CPU sampler did not start")?;
        Ok(CpuMeter {
            process: process_cpu(libc::RUSAGE_SELF),
            children: process_cpu(libc::RUSAGE_CHILDREN),
            stop,
            sampler,
        })
    }

    /// This process's CPU time since `start` and the server's.
    fn stop(self) -> BenchResult<Cpu> {
        let process = process_cpu(libc::RUSAGE_SELF) - self.process;
        self.stop.store(true, Ordering::Release);
        let (server, sampler) = self.sampler.join().map_err(|_| "the CPU sampler panicked")?;
        Ok(Cpu { process: process - sampler, server })
    }

    /// The CPU time of the child processes that ended since `start` (pgbench), and the server's.
    fn stop_children(self) -> BenchResult<Cpu> {
        let process = process_cpu(libc::RUSAGE_CHILDREN) - self.children;
        let mut cpu = self.stop()?;
        cpu.process = process;
        Ok(cpu)
    }
}

// ---- (d): a subscriber under load ----

struct LagRun {
    events_per_s: f64,
    /// From the append's answer to the subscriber holding the event (0 when it had it first); sorted.
    after_ack: Vec<Duration>,
    /// From just before the append to the subscriber holding the event; sorted.
    after_send: Vec<Duration>,
}

/// 64 appenders write while a subscriber follows from the head, reading each news of positions
/// with `read_from` (as the server's feed does); when it holds an event is matched with when
/// that event's append was sent and answered.
fn lag_run(b: &Bench, store: &AnyStore, threads: usize, per_thread: usize) -> BenchResult<LagRun> {
    // The warm-up batch `appenders` writes comes first: the subscriber starts after it.
    let first = store.head().position.0 + threads as u64 + 1;
    let last = first + (threads * per_thread) as u64 - 1;
    let received = std::sync::Mutex::new(Err::<Vec<Instant>, String>("the subscriber did not run".into()));
    let (elapsed, timings, _) = appenders(b, store, threads, per_thread, |store| {
        *received.lock().expect("received lock") = follow(store, first, last);
    })?;
    let received = received.into_inner().expect("received lock")?;
    let (mut after_ack, mut after_send) = (Vec::with_capacity(timings.len()), Vec::with_capacity(timings.len()));
    for t in &timings {
        let got = received[(t.position - first) as usize];
        after_ack.push(got.saturating_duration_since(t.acked));
        after_send.push(got.saturating_duration_since(t.sent));
    }
    after_ack.sort();
    after_send.sort();
    Ok(LagRun { events_per_s: timings.len() as f64 / elapsed.as_secs_f64(), after_ack, after_send })
}

/// Follows the log from `first` until it holds `last`: when it held each event.
fn follow(store: &AnyStore, first: u64, last: u64) -> Result<Vec<Instant>, String> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    // From the start of the log: the warm-up batch is read too, and left out of the figures.
    let mut sub = store.subscribe(Position(1));
    rt.block_on(async {
        let mut received = Vec::with_capacity((last - first + 1) as usize);
        while sub.next_position().0 <= last {
            // Not for ever: when an appender fails, the rest of the log never comes.
            let news = tokio::time::timeout(SUBSCRIBER_WAIT_MAX, sub.next_positions(SUBSCRIBER_POSITIONS_MAX))
                .await
                .map_err(|_| {
                    format!("the subscriber waited {SUBSCRIBER_WAIT_MAX:?} for position {}", sub.next_position())
                })?
                .map_err(|e| e.to_string())?;
            let (mut from, to) = (*news.start(), *news.end());
            while from <= to {
                let page = store.read_from(Position(from), (to - from + 1) as usize).map_err(|e| e.to_string())?;
                let now = Instant::now();
                if page.is_empty() || page[0].position.0 != from {
                    return Err(format!("the subscriber was told of position {from} but could not read it"));
                }
                received.extend(page.iter().filter(|e| e.position.0 >= first).map(|_| now));
                from += page.len() as u64;
            }
        }
        received.truncate((last - first + 1) as usize);
        Ok(received)
    })
}

// ---- (c): full read ----

/// Fills a store with `READ_EVENTS` events in full batches, then reads it all, page by page,
/// in pages of 512 and of `PAGE_EVENTS_MAX`, alternating.
fn read_part(b: &Bench, backend: Backend, s: &mut Samples) -> BenchResult<()> {
    let events = count(READ_EVENTS, b.o.scale);
    let f = b.fresh(backend)?;
    let fill = Instant::now();
    let mut i = 0;
    while i < events {
        let n = BATCH_EVENTS_MAX.min(events - i);
        f.store.append((i..i + n).map(|j| b.o.kind.event(j % 16, j)).collect())?;
        i += n;
    }
    let fill_s = fill.elapsed().as_secs_f64();
    eprintln!(
        "  {backend:?}: filled with {events} events in batches of {BATCH_EVENTS_MAX} in {fill_s:.1} s ({:.0} events/s)",
        events as f64 / fill_s
    );
    let head = f.store.head().position.0;
    let i = backend as usize;
    s.read_events[i] = head;
    // One untimed pass warms the caches.
    for_each_page(&f.store, PAGE_EVENTS_MAX, |_| {})?;
    for _ in 0..b.o.reps {
        for (page, out) in [(ENGINE_PAGE_EVENTS, &mut s.read_engine[i]), (PAGE_EVENTS_MAX, &mut s.read_large[i])] {
            let start = Instant::now();
            let read = for_each_page(&f.store, page, |_| {})?;
            let elapsed = start.elapsed();
            if read != head {
                return Err(format!("read {read} events, the head is at {head}").into());
            }
            out.push(head as f64 / elapsed.as_secs_f64());
        }
    }
    f.store.close();
    Ok(())
}

/// Reads the whole log in pages of `page` events; returns the number of events read.
fn for_each_page(store: &AnyStore, page: usize, mut f: impl FnMut(&[RecordedEvent])) -> BenchResult<u64> {
    let mut next = 1u64;
    loop {
        let events = store.read_from(Position(next), page)?;
        let Some(last) = events.last() else { return Ok(next - 1) };
        next = last.position.0 + 1;
        f(&events);
    }
}

// ---- the table ----

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn median_of<T>(runs: &[T], f: impl Fn(&T) -> f64) -> Option<f64> {
    (!runs.is_empty()).then(|| median(&runs.iter().map(f).collect::<Vec<_>>()))
}

/// "pgbench, server" CPU microseconds per transaction, medians.
fn cpu_pair(runs: &[PgbenchRun], f: impl Fn(&PgbenchRun) -> Cpu) -> String {
    let process = median_of(runs, |r| f(r).process).unwrap_or(f64::NAN);
    let server = median_of(runs, |r| f(r).server.unwrap_or(f64::NAN)).unwrap_or(f64::NAN);
    format!("{process:.0}, {server:.0}")
}

fn q_ms(sorted: &[Duration], q: f64) -> f64 {
    ms(quantile(sorted, q))
}

/// A cell: a figure, or a dash when the part did not run.
fn cell(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.decimals$}"))
}

struct Verdicts {
    all_met: bool,
    lines: Vec<String>,
}

impl Verdicts {
    /// Judges the median of the repetitions' figures (none: the part did not run), and shows
    /// their range, since the machine is shared.
    fn judge(&mut self, what: &str, per_rep: Vec<f64>, target: &str, met: impl Fn(f64) -> bool) {
        if per_rep.is_empty() {
            return;
        }
        let v = median(&per_rep);
        let ok = met(v);
        self.all_met &= ok;
        let show = |v: f64| if v >= 1_000.0 { format!("{v:.0}") } else { format!("{v:.2}") };
        let (lo, hi) = per_rep.iter().fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
        let range = format!("({} to {})", show(lo), show(hi));
        self.lines.push(format!(
            "  {what:<52} {:>8} {range:<22} target {target:<9} {}",
            show(v),
            if ok { "PASS" } else { "MISS" }
        ));
    }
}

impl Samples {
    /// Prints the table of medians and the verdicts; true when every target judged is met.
    fn print(&self, o: &Options) -> bool {
        let raw = median(&self.raw);
        let one = median_of(&self.pgbench_one, |r| r.tps).expect("pgbench ran");
        let many = median_of(&self.pgbench_many, |r| r.tps).expect("pgbench ran");
        println!();
        println!("{:<52} {:>12} {:>12}   reference in the same run", "median of the repetitions", "sled", "PostgreSQL");
        let row = |what: &str, sled: String, pg: String, reference: String| {
            println!("{what:<52} {sled:>12} {pg:>12}   {reference}");
        };
        row("disk: write 700 B + fdatasync, ops/s", "-".into(), "-".into(), format!("{raw:.0}"));
        row(
            "pgbench, 1 client, 700-byte INSERT per tx, tps",
            "-".into(),
            "-".into(),
            format!("{one:.0} (latency {:.3} ms)", median_of(&self.pgbench_one, |r| r.latency_ms).unwrap_or(0.0)),
        );
        row("    CPU per tx: pgbench, server (us)", "-".into(), "-".into(), cpu_pair(&self.pgbench_one, |r| r.cpu));
        row(
            "pgbench, 64 clients (-j 2), tps",
            "-".into(),
            "-".into(),
            format!("{many:.0} (latency {:.3} ms)", median_of(&self.pgbench_many, |r| r.latency_ms).unwrap_or(0.0)),
        );
        row("    CPU per tx: pgbench, server (us)", "-".into(), "-".into(), cpu_pair(&self.pgbench_many, |r| r.cpu));
        let rate = |runs: &[AppendRun]| median_of(runs, |r| r.events_per_s);
        let lat = |runs: &[AppendRun], q: f64| median_of(runs, |r| q_ms(&r.latencies, q));
        let shares = |runs: &[AppendRun], refs: &[PgbenchRun]| -> Vec<f64> {
            runs.iter().zip(refs).map(|(r, p)| r.events_per_s / p.tps).collect()
        };
        let share = |runs: &[AppendRun], refs: &[PgbenchRun]| {
            let v = shares(runs, refs);
            (!v.is_empty()).then(|| median(&v))
        };
        let both = |f: &dyn Fn(usize) -> Option<f64>, decimals: usize| (cell(f(0), decimals), cell(f(1), decimals));
        let (a, b) = (&self.single, &self.concurrent);
        if o.parts.contains('a') {
            let (s, p) = both(&|i| rate(&a[i]), 0);
            row("(a) 1 appender, single events, events/s", s, p, "".into());
            let (s, p) = both(&|i| lat(&a[i], 0.5), 3);
            row("    latency p50, ms", s, p, "".into());
            let (s, p) = both(&|i| lat(&a[i], 0.99), 3);
            row("    latency p99, ms", s, p, "".into());
            let (s, p) = both(&|i| median_of(&a[i], |r| r.cpu.process), 0);
            row("    CPU per event, this process (us)", s, p, "".into());
            let (s, p) =
                both(&|i| median_of(&a[i], |r| r.cpu.server.unwrap_or(f64::NAN)).filter(|v| !v.is_nan() && i == 1), 0);
            row("    CPU per event, PostgreSQL server (us)", s, p, "".into());
            let (s, p) = both(&|i| share(&a[i], &self.pgbench_one), 2);
            row("    x pgbench's 1-client rate", s, p, "".into());
            let (s, p) = both(&|i| median_of(&a[i], |r| r.events_per_s).map(|v| v / raw), 2);
            row("    x the disk's fdatasync rate", s, p, "".into());
        }
        if o.parts.contains('b') {
            let (s, p) = both(&|i| rate(&b[i]), 0);
            row("(b) 64 appenders, single events, events/s", s, p, "".into());
            let (s, p) = both(&|i| lat(&b[i], 0.5), 3);
            row("    latency p50, ms", s, p, "".into());
            let (s, p) = both(&|i| lat(&b[i], 0.99), 3);
            row("    latency p99, ms", s, p, "".into());
            let (s, p) = both(&|i| median_of(&b[i], |r| r.cpu.process), 0);
            row("    CPU per event, this process (us)", s, p, "".into());
            let (s, p) =
                both(&|i| median_of(&b[i], |r| r.cpu.server.unwrap_or(f64::NAN)).filter(|v| !v.is_nan() && i == 1), 0);
            row("    CPU per event, PostgreSQL server (us)", s, p, "".into());
            let (s, p) = both(&|i| share(&b[i], &self.pgbench_many), 2);
            row("    x pgbench's 64-client rate", s, p, "".into());
        }
        if o.parts.contains('c') {
            let (s, p) = both(&|i| median_of(&self.read_engine[i], |v| *v), 0);
            row(&format!("(c) full read, pages of {ENGINE_PAGE_EVENTS}, events/s"), s, p, "".into());
            let (s, p) = both(&|i| median_of(&self.read_large[i], |v| *v), 0);
            row(&format!("    pages of {PAGE_EVENTS_MAX}, events/s"), s, p, "".into());
            let (s, p) = both(&|i| Some(self.read_events[i] as f64), 0);
            row("    events in the log", s, p, "".into());
        }
        let l = &self.lag;
        if o.parts.contains('d') {
            let (s, p) = both(&|i| median_of(&l[i], |r| r.events_per_s), 0);
            row("(d) 64 appenders with a subscriber, events/s", s, p, "".into());
            let (s, p) = both(&|i| median_of(&l[i], |r| q_ms(&r.after_ack, 0.5)), 3);
            row("    subscriber lag after the answer, p50 ms", s, p, "".into());
            let (s, p) = both(&|i| median_of(&l[i], |r| q_ms(&r.after_ack, 0.99)), 3);
            row("    subscriber lag after the answer, p99 ms", s, p, "".into());
            let (s, p) = both(&|i| median_of(&l[i], |r| q_ms(&r.after_send, 0.5)), 3);
            row("    subscriber lag after sending, p50 ms", s, p, "".into());
            let (s, p) = both(&|i| median_of(&l[i], |r| q_ms(&r.after_send, 0.99)), 3);
            row("    subscriber lag after sending, p99 ms", s, p, "".into());
        }
        let mut v = Verdicts { all_met: true, lines: Vec::new() };
        let pg = Backend::Pg as usize;
        if o.parts.contains('a') {
            v.judge(
                "PostgreSQL, 1 appender / pgbench 1 client",
                shares(&a[pg], &self.pgbench_one),
                &format!(">= {TARGET_SINGLE_SHARE_OF_PGBENCH}"),
                |x| x >= TARGET_SINGLE_SHARE_OF_PGBENCH,
            );
        }
        if o.parts.contains('b') {
            v.judge(
                "PostgreSQL, 64 appenders / pgbench 64 clients",
                shares(&b[pg], &self.pgbench_many),
                &format!(">= {TARGET_CONCURRENT_SHARE_OF_PGBENCH}"),
                |x| x >= TARGET_CONCURRENT_SHARE_OF_PGBENCH,
            );
        }
        if o.parts.contains('c') {
            v.judge(
                &format!("PostgreSQL, full read in pages of {ENGINE_PAGE_EVENTS}, events/s"),
                self.read_engine[pg].clone(),
                &format!(">= {TARGET_READ_EVENTS_PER_S:.0}"),
                |x| x >= TARGET_READ_EVENTS_PER_S,
            );
        }
        if o.parts.contains('d') {
            v.judge(
                "PostgreSQL, subscriber lag after the answer, p99 ms",
                l[pg].iter().map(|r| q_ms(&r.after_ack, 0.99)).collect(),
                &format!("<= {TARGET_LAG_P99_MS}"),
                |x| x <= TARGET_LAG_P99_MS,
            );
        }
        println!();
        println!("targets (PostgreSQL store; median of the repetitions, and their range):");
        for line in &v.lines {
            println!("{line}");
        }
        if o.async_commit {
            println!(
                "DIAGNOSTIC RUN (synchronous_commit off in the scratch database): nothing was durable, no verdict"
            );
            return false;
        }
        println!("{}", if v.all_met { "all targets met" } else { "TARGET MISSED" });
        v.all_met
    }
}
