//! Studies benchmark (issue 12): many studies in one data folder, each figure next to its target
//! and next to a reference measured in the same run.
//!
//! Run: `cargo build --release --bin parlog && cargo bench -p parlog-tests --bench studies`
//! (release build; part (b) starts `target/release/parlog`, which must be newer than the
//! sources). Settings, all optional:
//! - `PARLOG_BENCH_SCALE=0.1` (or `-- --quick`) scales every count, for a quick run;
//! - `PARLOG_BENCH_REPS=5` sets the repetitions (3 by default); every figure is their median;
//! - `PARLOG_BENCH_PARTS=a` runs only some parts (`ab` by default);
//! - `PARLOG_BENCH_KEEP=1` keeps the data folder (b) ran its server on, and the server's log.
//!
//! (a) Store level, no HTTP: 64 appender threads on ONE study (one `SledStore`) against 64
//! threads each on a study of its own (64 `SledStore`s in `studies/<slug>/` of one data folder,
//! sharing the folder's master key), alternating, each run in a fresh data folder. Target: the
//! spread rate is at least 0.8 times the one-study rate. The reference is the disk's: a 700-byte
//! write plus fdatasync in a loop, and the same by 64 threads on 64 files at once (how many
//! syncs complete when 64 come together: the ceiling of 64 writers that each sync alone), each
//! with the CPU a sync costs. Each run also prints the process's CPU time per event (in all, in
//! the kernel, and by thread name from /proc/self/task), its voluntary context switches and
//! write calls per event (from /proc/self/io: about one per commit group, so they show how many
//! events a group holds) and the disk's flushes per event (from /proc/diskstats, the whole
//! device: other work on the machine counts too). When the target is missed it says why, as far
//! as these figures tell: the size of the commit groups, whether the disk's ceiling was reached,
//! and whether the CPU was the limit.
//!
//! (b) Through the real server: 1,000 studies of 1,000 generated events each (`parlog_tests::
//! gen`, one seed and municipality per study), written directly with parlog-core and registered
//! in the institute journal, with one token that is `researcher` in every study. Generating
//! takes about a minute and 2.6 GB, so the folder is kept under the target folder
//! (`target/tmp/parlog-bench-studies/studies-<studies>x<events>`, by scale) and reused while the
//! generator's version and the counts match; each run works on a copy, since the server writes.
//! Measured: the time from spawning `parlog serve` to the first answer of `GET /healthz` and of
//! `GET /api/v1/studies` (target <= 1 s); the server's resident memory (VmRSS) with every study
//! idle (the larger of right after those answers and two seconds later; target <= 200 MiB) and
//! after touching 100 studies (`GET .../projections/directory`); the first request to each of
//! 200 studies not touched before (p50, p99; target p99 <= 50 ms). "Cold" means not opened by
//! this server: the generated studies have no projection checkpoint yet, and their files are in
//! the page cache (dropping it would disturb the machine). Last, appends by 64 HTTP clients,
//! each on a study of its own, against all 64 on one study, alternating (target: spread >= 0.8
//! times one study); after each run the head of every study written to must have grown by
//! exactly the events acknowledged in it, at distinct positions.
//! When the server answers 404 on `GET /api/v1/studies` (a release without per-study routes),
//! (b) is SKIPPED with a message saying so; a skipped part does not fail the run.
//!
//! Exit code: 0 when every target of the parts run is met, 1 when one is missed (or the
//! benchmark failed), 2 bad usage.

// The allocator of the `parlog` binary, so that the figures are the ones it gets.
#[global_allocator]
static ALLOCATOR: parlog_server::alloc::ParlogAlloc = parlog_server::alloc::ParlogAlloc;

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Barrier;
use std::time::{Duration, Instant, SystemTime};

use parlog_core::{EventId, EventStore, MasterKeySource, NewEvent, ParticipantId, SledStore, StoreOptions, StudySlug};
use parlog_server::http::auth::{Role, StudyLocation, Tokens};
use parlog_server::studies;
use parlog_tests::gen::{self, Generator, SEED};
use parlog_tests::http1::{self, find, number_at, positions_in, Conn};
use parlog_tests::{copy_dir, median, observation, quantile};

// ---- (a) ----
const APPENDERS: usize = 64;
const APPENDS_PER_APPENDER: f64 = 1_000.0;
/// Bytes written per raw fdatasync: about one stored event.
const RAW_WRITE_BYTES: usize = 700;
const RAW_SYNCS: f64 = 2_000.0;
/// Syncs per thread of the parallel reference (64 threads).
const RAW_PARALLEL_SYNCS_PER_THREAD: f64 = 100.0;
const TARGET_SPREAD_SHARE: f64 = 0.8;

// ---- (b) ----
const STUDIES: f64 = 1_000.0;
const EVENTS_PER_STUDY: f64 = 1_000.0;
const TOUCHED_STUDIES: f64 = 100.0;
const COLD_STUDIES: f64 = 200.0;
const HTTP_CLIENTS: usize = 64;
const HTTP_RUN_SECONDS: f64 = 5.0;
/// The participant of the benchmark's token.
const PARTICIPANT: &str = "bench-onderzoeker";
/// How long the server may take to print its address, or to stop after SIGTERM.
const SERVER_WAIT: Duration = Duration::from_secs(60);
/// How long the server is left idle before its idle memory is read a second time.
const IDLE_SETTLE: Duration = Duration::from_secs(2);
/// Worker threads of this process's HTTP clients: the server gets the rest of the machine.
const CLIENT_THREADS: usize = 2;
const TARGET_START_S: f64 = 1.0;
const TARGET_IDLE_RSS_MIB: f64 = 200.0;
const TARGET_COLD_P99_MS: f64 = 50.0;
/// The sealed text of an appended field note (about 700 bytes stored, as in the load benchmark).
const NOTE_TEXT: &str = "Koffieochtend in het buurthuis: zeven bewoners, twee nieuwe gezichten. Mevrouw \
    vertelde over de eenzaamheid sinds haar man overleed en dat ze graag iets zou doen met de tuin \
    achter de flat. Haar buurman wil helpen met gereedschap. Afgesproken dat ik volgende week samen \
    met hen ga kijken en de woningcorporatie bel over het beheer van de tuin.";

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

struct Options {
    scale: f64,
    reps: usize,
    parts: String,
    keep: bool,
}

fn main() -> ExitCode {
    parlog_server::alloc::init();
    let opts = match options() {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("studies bench: {msg}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("studies bench: {e}");
            ExitCode::from(1)
        }
    }
}

fn options() -> Result<Options, String> {
    let quick = std::env::args().skip(1).any(|a| a == "--quick");
    let scale = match std::env::var("PARLOG_BENCH_SCALE") {
        Ok(s) => s.parse::<f64>().ok().filter(|x| *x > 0.0 && *x <= 10.0).ok_or_else(|| {
            format!("PARLOG_BENCH_SCALE: expected a number above 0 and at most 10 such as 0.1, got {s:?}")
        })?,
        Err(_) if quick => 0.1,
        Err(_) => 1.0,
    };
    let reps = match std::env::var("PARLOG_BENCH_REPS") {
        Ok(s) => s
            .parse::<usize>()
            .ok()
            .filter(|r| (1..=20).contains(r))
            .ok_or_else(|| format!("PARLOG_BENCH_REPS: expected a number from 1 to 20 such as 3, got {s:?}"))?,
        Err(_) => 3,
    };
    let parts = std::env::var("PARLOG_BENCH_PARTS").unwrap_or_else(|_| "ab".into());
    if parts.is_empty() || !parts.chars().all(|c| "ab".contains(c)) {
        return Err(format!("PARLOG_BENCH_PARTS: expected a, b or ab, got {parts:?}"));
    }
    let keep = match std::env::var("PARLOG_BENCH_KEEP").as_deref() {
        Err(_) | Ok("0") => false,
        Ok("1") => true,
        Ok(other) => return Err(format!("PARLOG_BENCH_KEEP: expected 1 or 0, got {other:?}")),
    };
    Ok(Options { scale, reps, parts, keep })
}

fn count(base: f64, scale: f64) -> usize {
    ((base * scale).round() as usize).max(1)
}

fn run(o: &Options) -> BenchResult<bool> {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("parlog-bench-studies");
    std::fs::create_dir_all(&root)?;
    println!("parlog studies benchmark ({} build)", if cfg!(debug_assertions) { "DEBUG" } else { "release" });
    println!("  data in {} ({})", root.display(), parlog_tests::file_system_of(&root));
    println!(
        "  scale {}, median of {} repetitions, {} cores",
        o.scale,
        o.reps,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let mut ok = true;
    if o.parts.contains('a') {
        ok &= store_part(o, &root)?;
    }
    let mut skipped = None;
    if o.parts.contains('b') {
        match server_part(o, &root)? {
            Outcome::Ran(met) => ok &= met,
            Outcome::Skipped(why) => {
                println!("(b) SKIPPED: {why}");
                skipped = Some(why);
            }
        }
    }
    let verdict = if ok { "all targets met" } else { "TARGET MISSED" };
    match skipped {
        None => println!("{verdict}"),
        Some(_) => println!("{verdict} in the parts that ran; (b) was SKIPPED (see above)"),
    }
    Ok(ok)
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "MISSED"
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

// =============================================================================================
// (a) store level: one study against 64
// =============================================================================================

/// One append run of (a).
struct AppendRun {
    events_per_s: f64,
    p50: Duration,
    p99: Duration,
    cpu_us_per_event: f64,
    /// Of which in the kernel.
    kernel_us_per_event: f64,
    /// Voluntary context switches of this process per event.
    switches_per_event: f64,
    /// CPU microseconds per event by thread name.
    threads_us_per_event: BTreeMap<String, f64>,
    /// Write system calls of this process per event (about one per commit group and store).
    writes_per_event: Option<f64>,
    /// Flushes the disk completed per event (the whole device).
    flushes_per_event: Option<f64>,
}

fn store_part(o: &Options, root: &Path) -> BenchResult<bool> {
    let per_appender = count(APPENDS_PER_APPENDER, o.scale);
    let syncs = count(RAW_SYNCS, o.scale);
    let parallel_syncs = count(RAW_PARALLEL_SYNCS_PER_THREAD, o.scale);
    let device = device_of(root);
    println!(
        "(a) store level: {APPENDERS} appender threads, {per_appender} single-event appends each (sealed field notes), \
         one study against {APPENDERS} studies; disk {}",
        device.as_deref().unwrap_or("unknown")
    );
    let (mut one, mut spread, mut raw, mut parallel, mut shares) = (vec![], vec![], vec![], vec![], vec![]);
    for rep in 0..o.reps {
        let raw_before = raw_fdatasync(root, syncs)?;
        // Alternated, so that a disk that drifts during the repetitions favours neither.
        let (first, second) = if rep % 2 == 0 { (1, APPENDERS) } else { (APPENDERS, 1) };
        let a = append_run(root, first, per_appender, device.as_deref())?;
        let b = append_run(root, second, per_appender, device.as_deref())?;
        let (o1, s) = if first == 1 { (a, b) } else { (b, a) };
        let p_raw = parallel_fdatasync(root, APPENDERS, parallel_syncs)?;
        let raw_after = raw_fdatasync(root, syncs)?;
        let (r, p) = ((raw_before.per_s + raw_after.per_s) / 2.0, p_raw.per_s);
        println!(
            "    rep {}: one study {:>8.0} events/s, {APPENDERS} studies {:>8.0} events/s ({:.2}x); raw fdatasync {r:.0}/s, \
             {APPENDERS} files at once {p:.0}/s",
            rep + 1,
            o1.events_per_s,
            s.events_per_s,
            s.events_per_s / o1.events_per_s
        );
        shares.push(s.events_per_s / o1.events_per_s);
        raw.extend([raw_before, raw_after]);
        parallel.push(p_raw);
        one.push(o1);
        spread.push(s);
    }
    let raw = Raw::median(&raw);
    let parallel = Raw::median(&parallel);
    println!(
        "{:<56} {:>10.0} syncs/s    (reference; CPU {:.0} us/sync, {:.0} in the kernel)",
        format!("    disk: write {RAW_WRITE_BYTES} B + fdatasync, appending"),
        raw.per_s,
        raw.cpu_us,
        raw.kernel_us
    );
    println!(
        "{:<56} {:>10.0} syncs/s    ({:.1}x one file; CPU {:.0} us/sync, {:.0} in the kernel)",
        format!("    same by {APPENDERS} threads on {APPENDERS} files at once"),
        parallel.per_s,
        parallel.per_s / raw.per_s,
        parallel.cpu_us,
        parallel.kernel_us
    );
    let one = Figures::of(&one);
    let spread = Figures::of(&spread);
    one.print("    one study, 64 appenders");
    spread.print(&format!("    {APPENDERS} studies, one appender each"));
    let share = median(&shares);
    let met = share >= TARGET_SPREAD_SHARE;
    println!(
        "{:<56} {share:>10.2}x          target >= {TARGET_SPREAD_SHARE}x: {}",
        "(a) spread over studies / one study (median of ratios)",
        verdict(met)
    );
    if !met {
        explain_spread(&one, &spread, &raw, &parallel);
    }
    Ok(met)
}

/// The medians of a kind of run.
struct Figures {
    events_per_s: f64,
    p50: Duration,
    p99: Duration,
    cpu_us_per_event: f64,
    kernel_us_per_event: f64,
    switches_per_event: f64,
    /// CPU microseconds per event by thread name, largest first.
    threads_us_per_event: Vec<(String, f64)>,
    writes_per_event: Option<f64>,
    flushes_per_event: Option<f64>,
}

impl Figures {
    fn of(runs: &[AppendRun]) -> Figures {
        let m = |f: &dyn Fn(&AppendRun) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
        let opt = |f: &dyn Fn(&AppendRun) -> Option<f64>| {
            let v: Option<Vec<f64>> = runs.iter().map(f).collect();
            v.map(|v| median(&v))
        };
        Figures {
            events_per_s: m(&|r| r.events_per_s),
            p50: Duration::from_secs_f64(m(&|r| r.p50.as_secs_f64())),
            p99: Duration::from_secs_f64(m(&|r| r.p99.as_secs_f64())),
            cpu_us_per_event: m(&|r| r.cpu_us_per_event),
            kernel_us_per_event: m(&|r| r.kernel_us_per_event),
            switches_per_event: m(&|r| r.switches_per_event),
            threads_us_per_event: {
                let names: std::collections::BTreeSet<&String> =
                    runs.iter().flat_map(|r| r.threads_us_per_event.keys()).collect();
                let mut v: Vec<(String, f64)> = names
                    .into_iter()
                    .map(|n| (n.clone(), m(&|r| r.threads_us_per_event.get(n).copied().unwrap_or(0.0))))
                    .collect();
                v.sort_by(|a, b| b.1.total_cmp(&a.1));
                v
            },
            writes_per_event: opt(&|r| r.writes_per_event),
            flushes_per_event: opt(&|r| r.flushes_per_event),
        }
    }

    fn print(&self, what: &str) {
        println!("{what:<56} {:>10.0} events/s", self.events_per_s);
        println!(
            "        latency p50 {:.2} ms, p99 {:.2} ms; CPU {:.0} us/event ({:.0} in the kernel), {:.1} context \
             switches/event; {} write calls/event; {} disk flushes/event",
            ms(self.p50),
            ms(self.p99),
            self.cpu_us_per_event,
            self.kernel_us_per_event,
            self.switches_per_event,
            self.writes_per_event.map_or("?".into(), |w| format!("{w:.3}")),
            self.flushes_per_event.map_or("?".into(), |f| format!("{f:.3}")),
        );
        let threads: Vec<String> = self
            .threads_us_per_event
            .iter()
            .filter(|(_, us)| *us >= 0.5)
            .map(|(name, us)| format!("{name} {us:.0}"))
            .collect();
        println!("        CPU us/event by thread: {}", threads.join(", "));
    }
}

/// What the figures say about a spread rate below target: inferred from them, not assumed.
fn explain_spread(one: &Figures, spread: &Figures, raw: &Raw, parallel: &Raw) {
    println!("    why (from the figures above):");
    if let (Some(w1), Some(ws)) = (one.writes_per_event, spread.writes_per_event) {
        println!(
            "    - group commit: one study writes and syncs about {:.0} events at a time (64 appenders share \
             its writer); {APPENDERS} studies about {:.1}: each study's writer commits and fdatasyncs its own \
             log, and with one appender per study each group holds one event",
            1.0 / w1.max(1e-9),
            1.0 / ws.max(1e-9)
        );
    }
    let disk_share = spread.events_per_s / parallel.per_s;
    println!(
        "    - disk: {APPENDERS} threads syncing {APPENDERS} files at once reached {:.0} syncs/s ({:.1}x one \
         file: concurrent fdatasyncs {}); {APPENDERS} studies reached {:.0}% of that, so {}",
        parallel.per_s,
        parallel.per_s / raw.per_s,
        if parallel.per_s / raw.per_s >= 2.0 { "overlap" } else { "hardly overlap" },
        100.0 * disk_share,
        if disk_share < 0.8 {
            "the disk was not what held them back"
        } else {
            "the disk's merged syncs were the limit"
        }
    );
    if let (Some(f1), Some(fs)) = (one.flushes_per_event, spread.flushes_per_event) {
        println!("    - disk flushes per event (whole device): one study {f1:.3}, {APPENDERS} studies {fs:.3}");
    }
    let (c1, cs) = (one.events_per_s * one.cpu_us_per_event / 1e6, spread.events_per_s * spread.cpu_us_per_event / 1e6);
    println!(
        "    - CPU: one study {:.0} us/event ({:.0} in the kernel), {APPENDERS} studies {:.0} us/event ({:.0} in the \
         kernel); the runs kept {c1:.2} and {cs:.2} cores busy",
        one.cpu_us_per_event, one.kernel_us_per_event, spread.cpu_us_per_event, spread.kernel_us_per_event
    );
    println!(
        "    - a bare write + fdatasync by 64 threads at once costs {:.0} us of CPU ({:.0} in the kernel): with one \
         sync per event, that is the floor of {APPENDERS} studies' CPU per event",
        parallel.cpu_us, parallel.kernel_us
    );
    if (cs / c1 - 1.0).abs() <= 0.25 {
        println!(
            "    - both runs used about the same CPU, so the CPU this process got was the limit, and their ratio \
             follows the CPU per event: {:.0} / {:.0} us = {:.2}x (measured {:.2}x)",
            one.cpu_us_per_event,
            spread.cpu_us_per_event,
            one.cpu_us_per_event / spread.cpu_us_per_event,
            spread.events_per_s / one.events_per_s
        );
    }
}

/// The store options of a data folder: its one master key file, beside it.
fn folder_options(data: &Path) -> StoreOptions {
    StoreOptions { master_key: MasterKeySource::File(MasterKeySource::default_file(data)) }
}

/// The slug of the `i`-th study of (a).
fn bench_slug(i: usize) -> StudySlug {
    StudySlug::parse(&format!("studie-{:02}", i + 1)).expect("a valid slug")
}

/// The `i`-th event of appender `thread`: a sealed field note about one resident per thread
/// (so that keys are made once, in the warm-up).
fn event(thread: usize, i: usize) -> NewEvent {
    let seed = (thread as u64) << 32 | i as u64;
    observation(EventId::new_random(), &format!("t{thread}"), &format!("resident:r-{thread}"), seed)
}

/// `APPENDERS` threads append `per_appender` single events each, thread `t` to study
/// `t % study_count`, in a fresh data folder of `study_count` studies.
fn append_run(root: &Path, study_count: usize, per_appender: usize, device: Option<&str>) -> BenchResult<AppendRun> {
    let dir = tempfile::tempdir_in(root)?;
    let data = dir.path().join("data");
    studies::init(&data)?;
    let options = folder_options(&data);
    let stores: Vec<SledStore> = (0..study_count)
        .map(|i| SledStore::init_with(&data.join(studies::STUDIES_DIR).join(bench_slug(i).as_str()), &options))
        .collect::<Result<_, _>>()?;
    // Each appender's first event makes its subject's key: set-up, not the steady state.
    for t in 0..APPENDERS {
        stores[t % study_count].append(vec![event(t, usize::MAX)])?;
    }
    let work: Vec<Vec<NewEvent>> = (0..APPENDERS).map(|t| (0..per_appender).map(|i| event(t, i)).collect()).collect();
    // The appenders start together, and wait when done until the counters are read: a thread
    // that ended would take its CPU time out of /proc/self/task.
    let (start_line, done_line, release) =
        (Barrier::new(APPENDERS + 1), Barrier::new(APPENDERS + 1), Barrier::new(APPENDERS + 1));
    let (elapsed, mut latencies, used) = std::thread::scope(|s| -> BenchResult<_> {
        let handles = work
            .into_iter()
            .enumerate()
            .map(|(t, events)| {
                let (store, lines) = (&stores[t % study_count], (&start_line, &done_line, &release));
                std::thread::Builder::new().name("appender".into()).spawn_scoped(s, move || {
                    lines.0.wait();
                    let mut lat = Vec::with_capacity(events.len());
                    let mut result = Ok(());
                    for e in events {
                        let at = Instant::now();
                        if let Err(e) = store.append(vec![e]) {
                            result = Err(e.to_string());
                            break;
                        }
                        lat.push(at.elapsed());
                    }
                    lines.1.wait();
                    lines.2.wait();
                    result.map(|()| lat)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let before = Counters::take(device);
        start_line.wait();
        let start = Instant::now();
        done_line.wait();
        let elapsed = start.elapsed();
        let used = Counters::take(device).since(&before);
        release.wait();
        let mut all = Vec::with_capacity(APPENDERS * per_appender);
        for h in handles {
            all.extend(h.join().expect("appender thread")?);
        }
        Ok((elapsed, all, used))
    })?;
    for store in stores {
        store.close();
    }
    latencies.sort();
    let events = latencies.len() as f64;
    Ok(AppendRun {
        events_per_s: events / elapsed.as_secs_f64(),
        p50: quantile(&latencies, 0.50),
        p99: quantile(&latencies, 0.99),
        cpu_us_per_event: used.cpu_secs * 1e6 / events,
        kernel_us_per_event: used.kernel_secs * 1e6 / events,
        switches_per_event: used.switches as f64 / events,
        threads_us_per_event: used.threads.into_iter().map(|(k, v)| (k, v * 1e6 / events)).collect(),
        writes_per_event: used.writes.map(|w| w as f64 / events),
        flushes_per_event: used.flushes.map(|f| f as f64 / events),
    })
}

/// What a run used: CPU time (in all, in the kernel, and by thread name), voluntary context
/// switches, write calls and disk flushes.
struct Counters {
    cpu_secs: f64,
    kernel_secs: f64,
    switches: u64,
    threads: BTreeMap<String, f64>,
    writes: Option<u64>,
    flushes: Option<u64>,
}

impl Counters {
    fn take(device: Option<&str>) -> Counters {
        let (user, kernel, switches) = usage();
        Counters {
            cpu_secs: user + kernel,
            kernel_secs: kernel,
            switches,
            threads: thread_cpu(),
            writes: write_calls(),
            flushes: device.and_then(disk_flushes),
        }
    }

    fn since(self, before: &Counters) -> Counters {
        let mut threads = self.threads;
        for (k, v) in threads.iter_mut() {
            *v -= before.threads.get(k).copied().unwrap_or(0.0);
        }
        // Threads that ended during the run took their time with them; the process's total has it.
        let live: f64 = threads.values().sum();
        threads.insert("threads that ended".into(), (self.cpu_secs - before.cpu_secs - live).max(0.0));
        Counters {
            cpu_secs: self.cpu_secs - before.cpu_secs,
            kernel_secs: self.kernel_secs - before.kernel_secs,
            switches: self.switches - before.switches,
            threads,
            writes: self.writes.zip(before.writes).map(|(a, b)| a - b),
            flushes: self.flushes.zip(before.flushes).map(|(a, b)| a - b),
        }
    }
}

/// CPU seconds of this process's live threads, summed by name (digits dropped, so that a
/// pool's threads count together; unnamed threads carry the process's name, shown as `main`).
/// From /proc/self/task/*/schedstat, in nanoseconds: the clock ticks of `stat` are too coarse
/// for 64 threads that each run a few milliseconds.
fn thread_cpu() -> BTreeMap<String, f64> {
    let own = std::fs::read_to_string("/proc/self/comm").unwrap_or_default().trim().to_string();
    let mut out = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return out };
    for task in tasks.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default().trim().to_string();
        let Ok(sched) = std::fs::read_to_string(task.path().join("schedstat")) else { continue };
        let Some(ns) = sched.split_whitespace().next().and_then(|v| v.parse::<f64>().ok()) else { continue };
        let name = if comm == own {
            "main".to_string()
        } else {
            comm.trim_end_matches(|c: char| c.is_ascii_digit() || c == '-').to_string()
        };
        *out.entry(name).or_insert(0.0) += ns / 1e9;
    }
    out
}

/// A raw sync reference: syncs per second, and the CPU each took (all of it is the kernel's but
/// a little).
#[derive(Clone, Copy)]
struct Raw {
    per_s: f64,
    cpu_us: f64,
    kernel_us: f64,
}

impl Raw {
    fn of(ops: usize, elapsed: Duration, before: (f64, f64, u64)) -> Raw {
        let after = usage();
        let (cpu, kernel) = (after.0 + after.1 - before.0 - before.1, after.1 - before.1);
        Raw {
            per_s: ops as f64 / elapsed.as_secs_f64(),
            cpu_us: cpu * 1e6 / ops as f64,
            kernel_us: kernel * 1e6 / ops as f64,
        }
    }

    fn median(runs: &[Raw]) -> Raw {
        let m = |f: fn(&Raw) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
        Raw { per_s: m(|r| r.per_s), cpu_us: m(|r| r.cpu_us), kernel_us: m(|r| r.kernel_us) }
    }
}

/// The reference: what one small durable write costs on this disk (as in the store benchmark).
fn raw_fdatasync(root: &Path, ops: usize) -> BenchResult<Raw> {
    let dir = tempfile::tempdir_in(root)?;
    let mut f = OpenOptions::new().create(true).append(true).open(dir.path().join("raw"))?;
    let buf = vec![0xA5u8; RAW_WRITE_BYTES];
    let (before, start) = (usage(), Instant::now());
    for _ in 0..ops {
        f.write_all(&buf)?;
        f.sync_data()?;
    }
    Ok(Raw::of(ops, start.elapsed(), before))
}

/// `threads` threads each append and fdatasync `ops` small writes to a file of their own, all at
/// once: how many syncs complete when many come together (the device may work on their flushes
/// side by side; a journalling file system may share one commit among them).
fn parallel_fdatasync(root: &Path, threads: usize, ops: usize) -> BenchResult<Raw> {
    let dir = tempfile::tempdir_in(root)?;
    let files: Vec<std::fs::File> = (0..threads)
        .map(|i| OpenOptions::new().create(true).append(true).open(dir.path().join(format!("raw-{i}"))))
        .collect::<Result<_, _>>()?;
    let start_line = Barrier::new(threads + 1);
    std::thread::scope(|s| -> BenchResult<Raw> {
        let handles: Vec<_> = files
            .into_iter()
            .map(|mut f| {
                let start_line = &start_line;
                s.spawn(move || -> std::io::Result<()> {
                    let buf = vec![0xA5u8; RAW_WRITE_BYTES];
                    start_line.wait();
                    for _ in 0..ops {
                        f.write_all(&buf)?;
                        f.sync_data()?;
                    }
                    Ok(())
                })
            })
            .collect();
        let before = usage();
        start_line.wait();
        let start = Instant::now();
        for h in handles {
            h.join().expect("sync thread")?;
        }
        Ok(Raw::of(threads * ops, start.elapsed(), before))
    })
}

/// CPU time of this process, all threads.
/// CPU time of this process, all threads: user and kernel seconds, and voluntary context
/// switches (a thread that waits, for a sync or a queue, makes one).
fn usage() -> (f64, f64, u64) {
    // SAFETY: getrusage writes into the struct it is given, nothing else.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    (t(u.ru_utime), t(u.ru_stime), u.ru_nvcsw as u64)
}

/// Write system calls made by this process so far (`syscw` in /proc/self/io).
fn write_calls() -> Option<u64> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    io.lines().find_map(|l| l.strip_prefix("syscw:")).and_then(|v| v.trim().parse().ok())
}

/// The block device a path is on (such as `vda`), from /proc/self/mounts.
fn device_of(path: &Path) -> Option<String> {
    let path = path.canonicalize().ok()?;
    let mounts = std::fs::read_to_string("/proc/self/mounts").ok()?;
    mounts
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f.len() >= 3 && path.starts_with(f[1])).then(|| (f[1].len(), f[0].to_string()))
        })
        .max_by_key(|(len, _)| *len)
        .and_then(|(_, dev)| dev.strip_prefix("/dev/").map(str::to_string))
}

/// Flush requests the device completed so far (field 16 after the name in /proc/diskstats,
/// kernels from 5.5 on).
fn disk_flushes(device: &str) -> Option<u64> {
    let stats = std::fs::read_to_string("/proc/diskstats").ok()?;
    stats.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.get(2) == Some(&device)).then(|| f.get(2 + 16)?.parse().ok()).flatten()
    })
}

// =============================================================================================
// (b) through the server: 1,000 studies
// =============================================================================================

enum Outcome {
    Ran(bool),
    Skipped(String),
}

fn server_part(o: &Options, root: &Path) -> BenchResult<Outcome> {
    let study_count = count(STUDIES, o.scale).max(HTTP_CLIENTS + 1);
    let events = count(EVENTS_PER_STUDY, o.scale) as u64;
    let touched = count(TOUCHED_STUDIES, o.scale).min(study_count);
    let cold = count(COLD_STUDIES, o.scale).min(study_count - touched);
    println!("(b) through the server: {study_count} studies of {events} events each");
    let bin = parlog_binary()?;
    let fixture = ensure_fixture(root, study_count, events)?;
    let work = tempfile::Builder::new().prefix("run-").tempdir_in(root)?;
    let data = work.path().join("data");
    let copied = Instant::now();
    copy_dir(&fixture.data, &data)?;
    std::fs::copy(&fixture.key, MasterKeySource::default_file(&data))?;
    println!("    (copied the generated folder for this run in {:.1} s)", copied.elapsed().as_secs_f64());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(CLIENT_THREADS).enable_all().build()?;
    let result = measure_server(o, &rt, &bin, &data, &fixture, Counts { touched, cold });
    if o.keep {
        let kept = work.keep();
        println!("    kept {} (the server's log is server.err there)", kept.display());
    }
    result
}

#[derive(Clone, Copy)]
struct Counts {
    touched: usize,
    cold: usize,
}

/// `target/release/parlog`, checked to be newer than the sources it is built from.
fn parlog_binary() -> BenchResult<PathBuf> {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().ok_or("no target folder")?;
    let bin = target.join("release").join("parlog");
    let built = std::fs::metadata(&bin)
        .and_then(|m| m.modified())
        .map_err(|e| format!("{}: {e}; build it first: cargo build --release --bin parlog", bin.display()))?;
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).parent().ok_or("no workspace folder")?;
    let mut newest = (SystemTime::UNIX_EPOCH, PathBuf::new());
    for dir in ["server", "core/src", "projections/src"] {
        newest_file(&workspace.join(dir), &mut newest)?;
    }
    if newest.0 > built {
        return Err(format!(
            "{} is older than {}; rebuild it: cargo build --release --bin parlog",
            bin.display(),
            newest.1.display()
        )
        .into());
    }
    Ok(bin)
}

fn newest_file(dir: &Path, newest: &mut (SystemTime, PathBuf)) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            newest_file(&entry.path(), newest)?;
        } else {
            let t = entry.metadata()?.modified()?;
            if t > newest.0 {
                *newest = (t, entry.path());
            }
        }
    }
    Ok(())
}

// ---- the generated studies ---------------------------------------------------------------------

/// A generated data folder of studies, its master key file and a token that is `researcher` in
/// every study.
struct Fixture {
    data: PathBuf,
    key: PathBuf,
    token: String,
    slugs: Vec<StudySlug>,
}

/// The generated folder of `studies` studies of `events` events, built unless a complete one of
/// the same generator version and counts is there.
fn ensure_fixture(root: &Path, study_count: usize, events: u64) -> BenchResult<Fixture> {
    let name = format!("studies-{study_count}x{events}");
    let dir = root.join(&name);
    let done = root.join(format!("{name}.done"));
    let stamp = format!(
        "generator version {}, seed {SEED:#x} plus the study's number, {study_count} studies of {events} events\n",
        gen::VERSION
    );
    if std::fs::read_to_string(&done).ok().as_deref() == Some(stamp.as_str()) {
        match reuse_fixture(&dir, study_count, events) {
            Ok(f) => {
                println!("    studies: {} (reused)", dir.display());
                return Ok(f);
            }
            Err(e) => println!("    studies: {} cannot be reused ({e}); building it again", dir.display()),
        }
    }
    let _ = std::fs::remove_file(&done);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    let fixture = build_fixture(&dir, study_count, events)?;
    std::fs::write(&done, stamp)?;
    Ok(fixture)
}

fn fixture_paths(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let data = dir.join("data");
    let key = MasterKeySource::default_file(&data);
    (data, key, dir.join("token"))
}

fn reuse_fixture(dir: &Path, study_count: usize, events: u64) -> BenchResult<Fixture> {
    let (data, key, token_file) = fixture_paths(dir);
    let token = std::fs::read_to_string(&token_file)?.trim().to_string();
    let slugs: Vec<StudySlug> = Tokens::studies_read_only(&data)?.into_iter().map(|s| s.slug).collect();
    if slugs.len() != study_count {
        return Err(format!("its registry holds {} studies", slugs.len()).into());
    }
    // A folder this store cannot open (written in an older store format, say) is built anew.
    let options = StoreOptions { master_key: MasterKeySource::File(key.clone()) };
    for slug in [&slugs[0], &slugs[study_count - 1]] {
        let store = SledStore::open_with(&data.join(studies::STUDIES_DIR).join(slug.as_str()), &options)?;
        let head = store.head().position.0;
        store.close();
        if head != events {
            return Err(format!("study {slug} holds {head} events").into());
        }
    }
    Ok(Fixture { data, key, token, slugs })
}

fn build_fixture(dir: &Path, study_count: usize, events: u64) -> BenchResult<Fixture> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let (data, key, token_file) = fixture_paths(dir);
    std::fs::create_dir_all(dir)?;
    print!("    studies: generating {study_count} studies of {events} events in {} ... ", dir.display());
    std::io::stdout().flush()?;
    let t = Instant::now();
    studies::init(&data)?;
    std::fs::DirBuilder::new().mode(0o700).create(data.join(studies::STUDIES_DIR))?;
    let tokens = Tokens::open(&data)?;
    let options = StoreOptions { master_key: MasterKeySource::File(key.clone()) };
    let mut slugs = Vec::with_capacity(study_count);
    let step = (study_count / 10).max(1);
    for i in 0..study_count {
        // One seed, and so one municipality, per study; names repeat (the generator knows 64),
        // the number makes each slug unique.
        let mut g = Generator::new(events, SEED.wrapping_add(i as u64));
        let municipality = g.municipality().to_string();
        let base = StudySlug::from_name(&municipality).ok_or("a generated municipality without a slug")?;
        let slug = StudySlug::parse(&format!("{base}-{:04}", i + 1))?;
        let store = SledStore::init_with(&data.join(studies::STUDIES_DIR).join(slug.as_str()), &options)?;
        gen::append(&store, &mut g, events, |_| {})?;
        store.close();
        let name = format!("Sociaal makelaar {municipality} ({})", i + 1);
        tokens.create_study(slug.clone(), &name, &municipality, StudyLocation::Folder)?;
        slugs.push(slug);
        if (i + 1) % step == 0 && i + 1 < study_count {
            print!("{}% ", (i + 1) * 100 / study_count);
            std::io::stdout().flush()?;
        }
    }
    let grants: BTreeMap<StudySlug, Role> = slugs.iter().map(|s| (s.clone(), Role::Researcher)).collect();
    let participant = ParticipantId::parse(PARTICIPANT)?;
    let (_, token) = tokens.create(participant, grants, false)?;
    let mut f = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&token_file)?;
    f.write_all(token.as_bytes())?;
    f.sync_all()?;
    println!("done in {:.0} s", t.elapsed().as_secs_f64());
    let bytes = disk_bytes(&data)?;
    println!(
        "    studies: {:.0} MiB on disk, {:.2} MiB per study (each log is preallocated ahead of its end)",
        bytes as f64 / 1048576.0,
        bytes as f64 / 1048576.0 / study_count as f64
    );
    Ok(Fixture { data, key, token, slugs })
}

/// Bytes a folder takes on disk (allocated blocks, so holes do not count).
fn disk_bytes(dir: &Path) -> std::io::Result<u64> {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() { disk_bytes(&entry.path())? } else { meta.blocks() * 512 };
    }
    Ok(total)
}

// ---- the server process ------------------------------------------------------------------------

/// A running `parlog serve`; killed when dropped, so that a failed measurement leaves none.
struct Server {
    child: Child,
    addr: SocketAddr,
    spawned: Instant,
    /// When it printed its address.
    listening: Duration,
}

enum StartError {
    /// It ended before serving; what it wrote to stderr.
    Exited(String),
    Other(String),
}

impl Server {
    /// Starts `bin --data DATA [--study SLUG] serve --addr 127.0.0.1:0`, its stderr to `log`.
    fn spawn(bin: &Path, data: &Path, study: Option<&StudySlug>, log: &Path) -> Result<Server, StartError> {
        let other = |e: std::io::Error| StartError::Other(format!("{}: {e}", bin.display()));
        let stderr = std::fs::File::create(log).map_err(other)?;
        let mut cmd = Command::new(bin);
        cmd.arg("--data").arg(data);
        if let Some(s) = study {
            cmd.args(["--study", s.as_str()]);
        }
        // The master key beside the data folder, and no study chosen from the environment.
        cmd.args(["serve", "--addr", "127.0.0.1:0"])
            .env_remove(parlog_core::MASTER_KEY_FILE_ENV)
            .env_remove(parlog_core::MASTER_PASSPHRASE_ENV)
            .env_remove("PARLOG_STUDY")
            .env("PARLOG_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        let spawned = Instant::now();
        let mut child = cmd.spawn().map_err(other)?;
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads the address from "parlog serves on http://ADDR/" (in the command line's language:
        // "parlog luistert op …"), then drains the rest.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                let addr = line
                    .strip_prefix("parlog ")
                    .and_then(|r| r.rsplit_once(" http://"))
                    .and_then(|(_, r)| r.trim_end_matches('/').parse().ok());
                if let (Some(addr), Some(tx)) = (addr, tx.take()) {
                    let _ = tx.send((addr, spawned.elapsed()));
                }
            }
        });
        let exited = |child: &mut Child| -> Option<StartError> {
            let status = child.try_wait().ok()??;
            let text = std::fs::read_to_string(log).unwrap_or_default();
            Some(StartError::Exited(format!("{status}: {}", text.trim())))
        };
        loop {
            match rx.recv_timeout(Duration::from_millis(5)) {
                Ok((addr, listening)) => return Ok(Server { child, addr, spawned, listening }),
                Err(_) if spawned.elapsed() > SERVER_WAIT => {
                    let _ = child.kill();
                    return Err(StartError::Other(format!("the server printed no address within {SERVER_WAIT:?}")));
                }
                Err(_) => {
                    if let Some(e) = exited(&mut child) {
                        return Err(e);
                    }
                }
            }
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, and waits for a clean exit.
    fn stop(mut self) -> BenchResult<()> {
        // SAFETY: kill sends a signal to our own child, nothing else.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let until = Instant::now() + SERVER_WAIT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return if status.success() {
                    Ok(())
                } else {
                    Err(format!("the server stopped with {status} after SIGTERM").into())
                };
            }
            if Instant::now() > until {
                return Err(format!("the server did not stop within {SERVER_WAIT:?} of SIGTERM").into());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A field of /proc/PID/status, in KiB.
fn status_kib(pid: u32, field: &str) -> BenchResult<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':')?.trim().strip_suffix("kB")?.trim().parse().ok())
        .ok_or_else(|| format!("/proc/{pid}/status has no {field}").into())
}

// ---- the measurements --------------------------------------------------------------------------

fn measure_server(
    o: &Options,
    rt: &tokio::runtime::Runtime,
    bin: &Path,
    data: &Path,
    fx: &Fixture,
    n: Counts,
) -> BenchResult<Outcome> {
    let log = data.with_file_name("server.err");
    // Start: spawned afresh for each repetition; the last one stays for the rest.
    let (mut listening, mut healthz, mut listed) = (vec![], vec![], vec![]);
    let mut server = None;
    for rep in 0..o.reps {
        let s = match Server::spawn(bin, data, None, &log) {
            Ok(s) => s,
            Err(StartError::Other(e)) => return Err(e.into()),
            Err(StartError::Exited(e)) => return single_study_server(rt, bin, data, fx, &log, &e),
        };
        let (h, first_wait, body) = match rt.block_on(first_answers(&s, &fx.token))? {
            First::Studies { healthz, studies: listed_at, body } => (healthz, listed_at, body),
            First::NoStudiesRoute => {
                s.stop()?;
                return Ok(Outcome::Skipped(
                    "the server answers 404 on GET /api/v1/studies: this parlog has no per-study routes yet \
                     (issue 12); build one that has them and run this part again"
                        .into(),
                ));
            }
        };
        check_study_list(&body, fx)?;
        listening.push(s.listening.as_secs_f64());
        healthz.push(h.as_secs_f64());
        listed.push(first_wait.as_secs_f64());
        if rep + 1 < o.reps {
            s.stop()?;
        } else {
            server = Some(s);
        }
    }
    let server = server.expect("at least one repetition");
    let mut ok = true;
    let start = median(&listed);
    let met = start <= TARGET_START_S;
    ok &= met;
    println!(
        "    start: address printed after {:.0} ms, GET /healthz answered after {:.0} ms",
        median(&listening) * 1e3,
        median(&healthz) * 1e3
    );
    println!(
        "{:<56} {:>10.0} ms       target <= {:.0} ms: {}",
        "(b) start to the first answer of GET /api/v1/studies",
        start * 1e3,
        TARGET_START_S * 1e3,
        verdict(met)
    );

    let pid = server.pid();
    // Right after the first answers, and once more after a while: a server that loads
    // something in the background after it answers must not pass by answering first.
    let at_start = status_kib(pid, "VmRSS")?;
    std::thread::sleep(IDLE_SETTLE);
    let idle = status_kib(pid, "VmRSS")?.max(at_start);
    let met = mib(idle) <= TARGET_IDLE_RSS_MIB;
    ok &= met;
    println!(
        "{:<56} {:>10.1} MiB      target <= {TARGET_IDLE_RSS_MIB:.0} MiB: {}",
        format!("(b) resident memory, all {} studies idle", fx.slugs.len()),
        mib(idle),
        verdict(met)
    );
    let touched = &fx.slugs[..n.touched];
    let cold = &fx.slugs[n.touched..n.touched + n.cold];
    let touch = rt.block_on(first_requests(server.addr, &fx.token, touched))?;
    println!(
        "{:<56} {:>10.1} MiB      (first requests: p50 {:.1} ms, p99 {:.1} ms)",
        format!("    after touching {} studies", n.touched),
        mib(status_kib(pid, "VmRSS")?),
        ms(quantile(&touch, 0.50)),
        ms(quantile(&touch, 0.99))
    );
    let firsts = rt.block_on(first_requests(server.addr, &fx.token, cold))?;
    let p99 = quantile(&firsts, 0.99);
    let met = ms(p99) <= TARGET_COLD_P99_MS;
    ok &= met;
    println!(
        "{:<56} p50 {:.1} ms, p99 {:.1} ms   target p99 <= {TARGET_COLD_P99_MS:.0} ms: {}",
        format!("(b) first request to each of {} cold studies", n.cold),
        ms(quantile(&firsts, 0.50)),
        ms(p99),
        verdict(met)
    );
    println!(
        "    after {} studies were touched: {:.1} MiB resident, {:.1} MiB at most so far (VmHWM)",
        n.touched + n.cold,
        mib(status_kib(pid, "VmRSS")?),
        mib(status_kib(pid, "VmHWM")?)
    );
    ok &= rt.block_on(http_appends(o, server.addr, &fx.token, &fx.slugs[..HTTP_CLIENTS]))?;
    server.stop()?;
    Ok(Outcome::Ran(ok))
}

/// A server that refused to start on a folder of many studies: started again on one study, to
/// tell a release without studies in the server (skipped) from a failure.
fn single_study_server(
    rt: &tokio::runtime::Runtime,
    bin: &Path,
    data: &Path,
    fx: &Fixture,
    log: &Path,
    refused: &str,
) -> BenchResult<Outcome> {
    let first = last_line(refused);
    let s = match Server::spawn(bin, data, Some(&fx.slugs[0]), log) {
        Ok(s) => s,
        Err(StartError::Exited(e) | StartError::Other(e)) => {
            return Err(format!("the server did not start ({first}), nor with --study {}: {e}", fx.slugs[0]).into())
        }
    };
    let answer = rt.block_on(first_answers(&s, &fx.token))?;
    s.stop()?;
    match answer {
        First::NoStudiesRoute => Ok(Outcome::Skipped(format!(
            "this parlog serves one study per process (without --study it says: {first}) and answers 404 on \
             GET /api/v1/studies: it has no per-study routes yet (issue 12); build one that has them and run \
             this part again"
        ))),
        First::Studies { .. } => {
            Err(format!("the server answers GET /api/v1/studies with --study, but does not start without it: {first}")
                .into())
        }
    }
}

/// The last line of a server's error output, cut to a length that fits a report line.
fn last_line(text: &str) -> String {
    const CHARS_MAX: usize = 240;
    let line = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(text).trim();
    match line.char_indices().nth(CHARS_MAX) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}

enum First {
    /// When /healthz answered, and when /api/v1/studies answered with what body.
    Studies {
        healthz: Duration,
        studies: Duration,
        body: Vec<u8>,
    },
    NoStudiesRoute,
}

/// The first answers of a server just started: `GET /healthz`, then `GET /api/v1/studies`, each
/// timed from the spawn.
async fn first_answers(s: &Server, token: &str) -> Result<First, String> {
    let addr = s.addr;
    let mut conn = loop {
        match Conn::connect(addr).await {
            Ok(c) => break c,
            Err(_) if s.spawned.elapsed() < SERVER_WAIT => tokio::time::sleep(Duration::from_millis(1)).await,
            Err(e) => return Err(format!("cannot connect to {addr}: {e}")),
        }
    };
    let healthz = loop {
        let status = conn
            .exchange(&http1::request_bytes(addr, None, "GET", "/healthz", &[]))
            .await
            .map_err(|e| format!("GET /healthz: {e}"))?;
        match status {
            200 => break s.spawned.elapsed(),
            _ if s.spawned.elapsed() < SERVER_WAIT => tokio::time::sleep(Duration::from_millis(1)).await,
            _ => return Err(format!("GET /healthz answered {status}")),
        }
    };
    let request = http1::request_bytes(addr, Some(token), "GET", "/api/v1/studies", &[]);
    let status = conn.exchange(&request).await.map_err(|e| format!("GET /api/v1/studies: {e}"))?;
    let at = s.spawned.elapsed();
    match status {
        200 => Ok(First::Studies { healthz, studies: at, body: conn.body().to_vec() }),
        404 => Ok(First::NoStudiesRoute),
        _ => Err(format!("GET /api/v1/studies answered {status}: {}", snippet(conn.body()))),
    }
}

/// The list must hold every study, each with the token's role: a server that answers fast by
/// listing nothing would otherwise pass.
fn check_study_list(body: &[u8], fx: &Fixture) -> BenchResult<()> {
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("GET /api/v1/studies: {e}"))?;
    let list = v["studies"].as_array().ok_or("GET /api/v1/studies: no \"studies\" list")?;
    let researcher = list.iter().filter(|s| s["role"] == "researcher").count();
    if list.len() != fx.slugs.len() || researcher != fx.slugs.len() {
        return Err(format!(
            "CHECK FAILED: GET /api/v1/studies lists {} studies ({researcher} as researcher); the folder holds {}, \
             each with a researcher grant",
            list.len(),
            fx.slugs.len()
        )
        .into());
    }
    Ok(())
}

fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned()
}

/// One `GET /api/v1/studies/{slug}/projections/directory` to each study, one after another;
/// the latency of each (sorted).
async fn first_requests(addr: SocketAddr, token: &str, slugs: &[StudySlug]) -> Result<Vec<Duration>, String> {
    let mut conn = Conn::connect(addr).await.map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    let mut out = Vec::with_capacity(slugs.len());
    for slug in slugs {
        let path = format!("/api/v1/studies/{slug}/projections/directory");
        let request = http1::request_bytes(addr, Some(token), "GET", &path, &[]);
        let at = Instant::now();
        let status = conn.exchange(&request).await.map_err(|e| format!("GET {path}: {e}"))?;
        out.push(at.elapsed());
        if status != 200 || conn.body().len() < 2 {
            return Err(format!("GET {path} answered {status}: {}", snippet(conn.body())));
        }
    }
    out.sort();
    Ok(out)
}

// ---- appends over HTTP -------------------------------------------------------------------------

/// One POST of a new field note with a sealed text, to `slug`.
fn append_request(addr: SocketAddr, token: &str, slug: &StudySlug) -> Vec<u8> {
    let id = EventId::new_random();
    let body = format!(
        r#"[{{"id":"{id}","stream":"notes:{PARTICIPANT}","kind":"ObservationRecorded","occurred_at":"2026-11-02T09:30:00+01:00","payload":{{"topic":"studiebenchmark"}},"sealed":{{"subjects":["resident:r-1"],"text":"{NOTE_TEXT}"}}}}]"#
    );
    http1::request_bytes(addr, Some(token), "POST", &format!("/api/v1/studies/{slug}/events"), body.as_bytes())
}

/// A study's head, from `GET .../events` past its end.
async fn head(conn: &mut Conn, addr: SocketAddr, token: &str, slug: &StudySlug) -> Result<u64, String> {
    let path = format!("/api/v1/studies/{slug}/events?from=18446744073709551615&limit=1");
    let status = conn
        .exchange(&http1::request_bytes(addr, Some(token), "GET", &path, &[]))
        .await
        .map_err(|e| format!("GET {path}: {e}"))?;
    let body = conn.body();
    match (status, find(body, b"\"head\":").and_then(|at| number_at(body, at + 7))) {
        (200, Some(h)) => Ok(h),
        _ => Err(format!("GET {path} answered {status}: {}", snippet(body))),
    }
}

/// One append run over HTTP: what each connection had acknowledged, and when the last answer came.
struct HttpRun {
    events_per_s: f64,
    p50: Duration,
    p99: Duration,
}

/// 64 clients spread over 64 studies against 64 on the first of them, alternating.
async fn http_appends(o: &Options, addr: SocketAddr, token: &str, slugs: &[StudySlug]) -> Result<bool, String> {
    let seconds = (HTTP_RUN_SECONDS * o.scale).max(1.0);
    let mut ctl = Conn::connect(addr).await.map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    // Opens every study and makes its resident's key: set-up, not the steady state.
    for slug in slugs {
        let status = ctl.exchange(&append_request(addr, token, slug)).await.map_err(|e| e.to_string())?;
        if status != 201 {
            return Err(format!("POST /api/v1/studies/{slug}/events answered {status}: {}", snippet(ctl.body())));
        }
    }
    let one: Vec<StudySlug> = vec![slugs[0].clone(); HTTP_CLIENTS];
    let (mut single, mut spread, mut shares) = (vec![], vec![], vec![]);
    let mut ok = true;
    for rep in 0..o.reps {
        let order = if rep % 2 == 0 { [&one[..], slugs] } else { [slugs, &one[..]] };
        let mut runs = Vec::with_capacity(2);
        for targets in order {
            let (run, checked) = http_run(&mut ctl, addr, token, targets, Duration::from_secs_f64(seconds)).await?;
            ok &= checked;
            runs.push(run);
        }
        let (second, first) = (runs.pop().expect("two runs"), runs.pop().expect("two runs"));
        let (s1, sp) = if rep % 2 == 0 { (first, second) } else { (second, first) };
        println!(
            "    rep {}: one study {:>8.0} events/s, {HTTP_CLIENTS} studies {:>8.0} events/s ({:.2}x)",
            rep + 1,
            s1.events_per_s,
            sp.events_per_s,
            sp.events_per_s / s1.events_per_s
        );
        shares.push(sp.events_per_s / s1.events_per_s);
        single.push(s1);
        spread.push(sp);
    }
    for (what, runs) in [("    one study, 64 HTTP clients", &single), ("    64 studies, one HTTP client each", &spread)]
    {
        let m = |f: &dyn Fn(&HttpRun) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
        println!(
            "{what:<56} {:>10.0} events/s   p50 {:.1} ms, p99 {:.1} ms",
            m(&|r| r.events_per_s),
            m(&|r| ms(r.p50)),
            m(&|r| ms(r.p99))
        );
    }
    let share = median(&shares);
    let met = share >= TARGET_SPREAD_SHARE;
    println!(
        "{:<56} {share:>10.2}x          target >= {TARGET_SPREAD_SHARE}x: {}",
        "(b) spread appends over HTTP / one study (median)",
        verdict(met)
    );
    if !ok {
        println!("    A CHECK FAILED (see above)");
    }
    Ok(ok && met)
}

/// `targets.len()` connections, connection `i` appending to `targets[i]` for `run_for`; then
/// checks that each study's head grew by exactly the events acknowledged in it, at distinct
/// positions.
async fn http_run(
    ctl: &mut Conn,
    addr: SocketAddr,
    token: &str,
    targets: &[StudySlug],
    run_for: Duration,
) -> Result<(HttpRun, bool), String> {
    let mut heads: BTreeMap<&StudySlug, (u64, Vec<u64>)> = BTreeMap::new();
    for slug in targets {
        if !heads.contains_key(slug) {
            heads.insert(slug, (head(ctl, addr, token, slug).await?, Vec::new()));
        }
    }
    let mut conns = Vec::with_capacity(targets.len());
    for _ in targets {
        conns.push(Conn::connect(addr).await.map_err(|e| format!("cannot connect to {addr}: {e}"))?);
    }
    let started = Instant::now();
    let deadline = started + run_for;
    let tasks: Vec<_> = conns
        .into_iter()
        .zip(targets)
        .map(|(mut conn, slug)| {
            let (token, slug) = (token.to_string(), slug.clone());
            tokio::spawn(async move {
                let (mut latencies, mut positions, mut last) = (Vec::new(), Vec::new(), Instant::now());
                while Instant::now() < deadline {
                    let request = append_request(addr, &token, &slug);
                    let sent = Instant::now();
                    let status = conn.exchange(&request).await.map_err(|e| format!("POST to {slug}: {e}"))?;
                    last = Instant::now();
                    if status != 201 {
                        return Err(format!(
                            "POST /api/v1/studies/{slug}/events answered {status}: {}",
                            snippet(conn.body())
                        ));
                    }
                    latencies.push(last - sent);
                    positions.extend(positions_in(conn.body()));
                }
                Ok::<_, String>((latencies, positions, last))
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut finished = started;
    for (task, slug) in tasks.into_iter().zip(targets) {
        let (lat, positions, last) = task.await.map_err(|e| format!("an append task panicked: {e}"))??;
        latencies.extend(lat);
        finished = finished.max(last);
        heads.get_mut(slug).expect("every target").1.extend(positions);
    }
    let acknowledged = latencies.len();
    let mut ok = true;
    for (slug, (before, mut positions)) in heads {
        let after = head(ctl, addr, token, slug).await?;
        positions.sort_unstable();
        let distinct = positions.windows(2).all(|w| w[0] != w[1]);
        let in_range =
            !matches!(positions.first(), Some(p) if *p <= before) && !matches!(positions.last(), Some(p) if *p > after);
        if after - before != positions.len() as u64 || !distinct || !in_range {
            ok = false;
            println!(
                "    CHECK FAILED: study {slug}: the head grew by {} ({before} to {after}), {} positions acknowledged \
                 (distinct: {distinct}, all in the range: {in_range})",
                after - before,
                positions.len()
            );
        }
    }
    latencies.sort();
    if latencies.is_empty() {
        return Err("no append was answered".into());
    }
    let run = HttpRun {
        events_per_s: acknowledged as f64 / (finished - started).as_secs_f64(),
        p50: quantile(&latencies, 0.50),
        p99: quantile(&latencies, 0.99),
    };
    Ok((run, ok))
}
