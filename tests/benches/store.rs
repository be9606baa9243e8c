//! Store benchmark: durable append rates and latencies, and the full-read rate, each next to its
//! target and next to what the disk itself can do.
//!
//! Run: `cargo bench -p parlog-tests --bench store` (release build). Settings, all optional:
//! - `PARLOG_BENCH_SCALE=0.1` (or `-- --quick`) scales every count, for a quick run;
//! - `PARLOG_BENCH_REPS=5` sets the repetitions (3 by default); every figure is their median;
//! - `PARLOG_BENCH_PARTS=bc` runs only some parts (for profiling); (a) always runs;
//! - `PARLOG_BENCH_EVENT=memo` appends open `MemoWritten` events instead of
//!   `ObservationRecorded` with a sealed text, to see what sealing costs.
//!
//! The data lives in a temporary folder under the target folder, on the same disk as the
//! repository (the benchmark prints the file system, and warns when it is tmpfs). Events are
//! built before the clock starts, so the figures are the store's: checking, sealing, encoding,
//! the sled batch, flush and fdatasync. Building the events is the client's (or the server's)
//! work. "Bytes stored per event" is the record plus the sealed ciphertext, as measured, without
//! index entries or sled's overhead (the read part also prints sled's size on disk per event).
//!
//! The disk of a shared machine drifts, so (b) is judged against the raw rate measured right
//! before and after each of its repetitions, not against (a). The read rate depends on whether the
//! records fit sled's page cache (64 MiB): 200,000 events of this size are close to that edge, so
//! from one run to the next the figure can jump between two levels.
//!
//! Exit code: 0 when every target is met, 1 when one is missed, 2 bad usage.

// The allocator of the `parlog` binary, so that the figures are the ones it gets.
#[global_allocator]
static ALLOCATOR: parlog_server::alloc::ParlogAlloc = parlog_server::alloc::ParlogAlloc;

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use parlog_core::limits::{BATCH_EVENTS_MAX, PAGE_EVENTS_MAX};
use parlog_core::{EventId, EventStore, NewEvent, Position, SledStore};
use parlog_tests::{median, memo, observation, quantile, stored_bytes};

/// Bytes written per raw fdatasync: about one stored event.
const RAW_WRITE_BYTES: usize = 700;
const RAW_SYNCS: f64 = 5_000.0;
const SINGLE_APPENDS: f64 = 3_000.0;
const CONCURRENT_APPENDERS: usize = 64;
const CONCURRENT_APPENDS_PER_THREAD: f64 = 1_000.0;
const READ_STORE_EVENTS: f64 = 200_000.0;
/// Events whose stored size is averaged after each append run.
const SIZE_SAMPLE_EVENTS: usize = 1_000;

const TARGET_CONCURRENT_EVENTS_PER_S: f64 = 40_000.0;
const TARGET_SINGLE_SHARE_OF_RAW: f64 = 0.5;
const TARGET_READ_EVENTS_PER_S: f64 = 500_000.0;

struct Options {
    scale: f64,
    reps: usize,
    /// Open memos instead of sealed observations, to see what sealing costs.
    kind: Kind,
    /// The parts to run, such as "bc" (for profiling one part); (a) always runs, it is the reference.
    parts: String,
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

fn main() -> ExitCode {
    parlog_server::alloc::init();
    let opts = match options() {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("store bench: {msg}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("store bench: {e}");
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
        Err(_) => 3,
    };
    let kind = match std::env::var("PARLOG_BENCH_EVENT").as_deref() {
        Ok("observation") | Err(_) => Kind::Observation,
        Ok("memo") => Kind::Memo,
        Ok(other) => return Err(format!("PARLOG_BENCH_EVENT: expected observation or memo, got {other:?}")),
    };
    let parts = std::env::var("PARLOG_BENCH_PARTS").unwrap_or_else(|_| "abcde".into());
    if parts.is_empty() || !parts.chars().all(|c| "abcde".contains(c)) {
        return Err(format!("PARLOG_BENCH_PARTS: expected some of the letters abcde such as \"bc\", got {parts:?}"));
    }
    Ok(Options { scale, reps, kind, parts })
}

fn count(base: f64, scale: f64) -> usize {
    ((base * scale).round() as usize).max(1)
}

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

fn run(o: &Options) -> BenchResult<bool> {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("parlog-bench");
    std::fs::create_dir_all(&root)?;
    println!("parlog store benchmark ({} build)", if cfg!(debug_assertions) { "DEBUG" } else { "release" });
    println!("  temporary folders in {} ({})", root.display(), parlog_tests::file_system_of(&root));
    println!(
        "  scale {}, median of {} repetitions, events: {}",
        o.scale,
        o.reps,
        match o.kind {
            Kind::Observation => "ObservationRecorded with a sealed text (PARLOG_BENCH_EVENT=memo for open memos)",
            Kind::Memo => "MemoWritten, open",
        }
    );
    let mut ok = true;

    let raw: Vec<f64> = reps(o, || raw_fdatasync(&root, count(RAW_SYNCS, o.scale), false))?;
    let raw_rate = median(&raw);
    let prealloc = median(&reps(o, || raw_fdatasync(&root, count(RAW_SYNCS, o.scale), true))?);
    let what = format!("(a) disk: write {RAW_WRITE_BYTES} B + fdatasync, appending");
    println!("{what:<52} {raw_rate:>10.0} ops/s      (reference)");
    println!("{:<52} {prealloc:>10.0} ops/s      (for comparison)", "    same, overwriting a preallocated file");

    if o.parts.contains('b') {
        ok &= single_part(o, &root)?;
    }
    if o.parts.contains('c') {
        let per_thread = count(CONCURRENT_APPENDS_PER_THREAD, o.scale);
        let concurrent = append_runs(o, &root, CONCURRENT_APPENDERS, per_thread)?;
        ok &= concurrent.print(
            &format!("(c) {CONCURRENT_APPENDERS} appenders"),
            TARGET_CONCURRENT_EVENTS_PER_S,
            &format!("{TARGET_CONCURRENT_EVENTS_PER_S:.0}"),
        );
    }
    if o.parts.contains('e') {
        let per_task = count(CONCURRENT_APPENDS_PER_THREAD, o.scale);
        let tasks = AppendFigures::of(&reps(o, || append_run_async(o.kind, &root, CONCURRENT_APPENDERS, per_task))?);
        ok &= tasks.print(
            &format!("(e) {CONCURRENT_APPENDERS} appenders as async tasks"),
            TARGET_CONCURRENT_EVENTS_PER_S,
            &format!("{TARGET_CONCURRENT_EVENTS_PER_S:.0}"),
        );
    }
    if o.parts.contains('d') {
        ok &= read_part(o, &root)?;
    }
    println!("{}", if ok { "all targets met" } else { "TARGET MISSED" });
    Ok(ok)
}

/// (b) One appender, compared with the raw fdatasync rate measured right before and right after
/// each repetition: the disk is shared and its rate drifts, so a reference taken minutes earlier
/// would judge the store by another disk.
fn single_part(o: &Options, root: &Path) -> BenchResult<bool> {
    let syncs = count(RAW_SYNCS, o.scale) / 2;
    let runs = reps(o, || {
        let before = raw_fdatasync(root, syncs, false)?;
        let run = append_run(o.kind, root, 1, count(SINGLE_APPENDS, o.scale))?;
        let after = raw_fdatasync(root, syncs, false)?;
        Ok((run, (before + after) / 2.0))
    })?;
    let share = median(&runs.iter().map(|(r, raw)| r.events_per_s / raw).collect::<Vec<_>>());
    let raw = median(&runs.iter().map(|(_, raw)| *raw).collect::<Vec<_>>());
    let figures = AppendFigures::of(&runs.into_iter().map(|(r, _)| r).collect::<Vec<_>>());
    let met = share >= TARGET_SINGLE_SHARE_OF_RAW;
    println!(
        "{:<52} {:>10.0} events/s   {:.1}% of the raw rate alongside ({raw:.0} ops/s); target >= {:.0}%: {}",
        "(b) 1 appender, single-event appends",
        figures.events_per_s,
        share * 100.0,
        TARGET_SINGLE_SHARE_OF_RAW * 100.0,
        if met { "met" } else { "MISSED" }
    );
    figures.print_latency();
    Ok(met)
}

fn read_part(o: &Options, root: &Path) -> BenchResult<bool> {
    let read = full_read(o, root, count(READ_STORE_EVENTS, o.scale))?;
    let ok = verdict(
        &format!("(d) full read of {} events, pages of {PAGE_EVENTS_MAX}", read.events),
        read.events_per_s,
        TARGET_READ_EVENTS_PER_S,
        &format!("{TARGET_READ_EVENTS_PER_S:.0}"),
    );
    println!(
        "    stored: {:.0} bytes per event (record + ciphertext), {:.0} on disk per event (sled)",
        read.avg_stored_bytes, read.disk_bytes_per_event
    );
    Ok(ok)
}

fn reps<T>(o: &Options, mut f: impl FnMut() -> BenchResult<T>) -> BenchResult<Vec<T>> {
    (0..o.reps).map(|_| f()).collect()
}

fn verdict(what: &str, events_per_s: f64, target: f64, target_text: &str) -> bool {
    let met = events_per_s >= target;
    println!(
        "{what:<52} {events_per_s:>10.0} events/s   target >= {target_text}: {}",
        if met { "met" } else { "MISSED" }
    );
    met
}

/// The reference: what one small durable write costs on this disk.
fn raw_fdatasync(root: &Path, ops: usize, preallocated: bool) -> BenchResult<f64> {
    let dir = tempfile::tempdir_in(root)?;
    let path = dir.path().join("raw");
    let buf = vec![0xA5u8; RAW_WRITE_BYTES];
    let mut f = OpenOptions::new().create(true).append(!preallocated).write(true).open(&path)?;
    if preallocated {
        f.write_all(&vec![0u8; ops * RAW_WRITE_BYTES])?;
        f.sync_all()?;
    }
    let start = Instant::now();
    for i in 0..ops {
        if preallocated {
            f.write_all_at(&buf, (i * RAW_WRITE_BYTES) as u64)?;
        } else {
            f.write_all(&buf)?;
        }
        f.sync_data()?;
    }
    Ok(ops as f64 / start.elapsed().as_secs_f64())
}

/// One repetition of an append run.
struct AppendRun {
    events_per_s: f64,
    latencies: Vec<Duration>,
    avg_stored_bytes: f64,
}

/// The medians over the repetitions of an append run.
struct AppendFigures {
    events_per_s: f64,
    p50: Duration,
    p99: Duration,
    avg_stored_bytes: f64,
}

impl AppendFigures {
    /// The medians over repetitions.
    fn of(runs: &[AppendRun]) -> AppendFigures {
        let q = |q: f64| {
            let v: Vec<f64> = runs.iter().map(|r| quantile(&r.latencies, q).as_secs_f64()).collect();
            Duration::from_secs_f64(median(&v))
        };
        AppendFigures {
            events_per_s: median(&runs.iter().map(|r| r.events_per_s).collect::<Vec<_>>()),
            p50: q(0.50),
            p99: q(0.99),
            avg_stored_bytes: median(&runs.iter().map(|r| r.avg_stored_bytes).collect::<Vec<_>>()),
        }
    }

    fn print(&self, what: &str, target: f64, target_text: &str) -> bool {
        let met = verdict(&format!("{what}, single-event appends"), self.events_per_s, target, target_text);
        self.print_latency();
        met
    }

    fn print_latency(&self) {
        println!(
            "    latency p50 {:.3} ms, p99 {:.3} ms; {:.0} bytes stored per event",
            ms(self.p50),
            ms(self.p99),
            self.avg_stored_bytes
        );
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn append_runs(o: &Options, root: &Path, threads: usize, per_thread: usize) -> BenchResult<AppendFigures> {
    Ok(AppendFigures::of(&reps(o, || append_run(o.kind, root, threads, per_thread))?))
}

/// `threads` appenders each append `per_thread` single events to a fresh store, all at once.
fn append_run(kind: Kind, root: &Path, threads: usize, per_thread: usize) -> BenchResult<AppendRun> {
    let dir = tempfile::tempdir_in(root)?;
    let store = SledStore::init(&dir.path().join("data"))?;
    // Each appender's first event makes its subject's key; that is set-up, not the steady state.
    let warm: Vec<NewEvent> = (0..threads).map(|t| kind.event(t, usize::MAX)).collect();
    store.append(warm)?;
    let work: Vec<Vec<NewEvent>> = (0..threads).map(|t| (0..per_thread).map(|i| kind.event(t, i)).collect()).collect();
    let start_line = Arc::new(Barrier::new(threads + 1));
    let (elapsed, latencies) = std::thread::scope(|s| -> BenchResult<_> {
        let handles: Vec<_> = work
            .into_iter()
            .map(|events| {
                let (store, start_line) = (&store, start_line.clone());
                s.spawn(move || -> Result<Vec<Duration>, String> {
                    start_line.wait();
                    let mut lat = Vec::with_capacity(events.len());
                    for e in events {
                        let t = Instant::now();
                        store.append(vec![e]).map_err(|e| e.to_string())?;
                        lat.push(t.elapsed());
                    }
                    Ok(lat)
                })
            })
            .collect();
        start_line.wait();
        let start = Instant::now();
        let mut all = Vec::with_capacity(threads * per_thread);
        for h in handles {
            all.extend(h.join().expect("appender thread")?);
        }
        Ok((start.elapsed(), all))
    })?;
    let run = AppendRun::of(&store, threads, elapsed, latencies)?;
    store.close();
    Ok(run)
}

/// As `append_run`, but the appenders are tasks on a tokio runtime with one worker per core, as
/// in the server (`SledStore::append_async`), instead of threads that each block on their append.
fn append_run_async(kind: Kind, root: &Path, tasks: usize, per_task: usize) -> BenchResult<AppendRun> {
    let dir = tempfile::tempdir_in(root)?;
    let store = Arc::new(SledStore::init(&dir.path().join("data"))?);
    let warm: Vec<NewEvent> = (0..tasks).map(|t| kind.event(t, usize::MAX)).collect();
    store.append(warm)?;
    let work: Vec<Vec<NewEvent>> = (0..tasks).map(|t| (0..per_task).map(|i| kind.event(t, i)).collect()).collect();
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build()?;
    let (elapsed, latencies) = rt.block_on(async {
        let start_line = Arc::new(tokio::sync::Barrier::new(tasks + 1));
        let handles: Vec<_> = work
            .into_iter()
            .map(|events| {
                let (store, start_line) = (store.clone(), start_line.clone());
                tokio::spawn(async move {
                    start_line.wait().await;
                    let mut lat = Vec::with_capacity(events.len());
                    for e in events {
                        let t = Instant::now();
                        store.append_async(vec![e]).await.map_err(|e| e.to_string())?;
                        lat.push(t.elapsed());
                    }
                    Ok::<_, String>(lat)
                })
            })
            .collect();
        start_line.wait().await;
        let start = Instant::now();
        let mut all = Vec::with_capacity(tasks * per_task);
        for h in handles {
            all.extend(h.await.map_err(|e| e.to_string())??);
        }
        Ok::<_, String>((start.elapsed(), all))
    })?;
    drop(rt);
    let run = AppendRun::of(&store, tasks, elapsed, latencies)?;
    Arc::try_unwrap(store).map_err(|_| "the store is still shared")?.close();
    Ok(run)
}

impl AppendRun {
    /// The figures of a run by `appenders` (after one warm-up event each) that took `elapsed`,
    /// one latency per append; the stored size is averaged over a sample of the events.
    fn of(
        store: &SledStore,
        appenders: usize,
        elapsed: Duration,
        mut latencies: Vec<Duration>,
    ) -> BenchResult<AppendRun> {
        latencies.sort();
        let events = store.read_from(Position(appenders as u64 + 1), SIZE_SAMPLE_EVENTS)?;
        let stored: u64 = events.iter().map(|e| stored_bytes(store, e)).sum::<Result<_, _>>()?;
        Ok(AppendRun {
            events_per_s: latencies.len() as f64 / elapsed.as_secs_f64(),
            latencies,
            avg_stored_bytes: stored as f64 / events.len() as f64,
        })
    }
}

struct ReadFigures {
    events: u64,
    events_per_s: f64,
    avg_stored_bytes: f64,
    disk_bytes_per_event: f64,
}

/// Fills a store with `events` events in full batches, then reads it all, page by page.
fn full_read(o: &Options, root: &Path, events: usize) -> BenchResult<ReadFigures> {
    let dir = tempfile::tempdir_in(root)?;
    let store = SledStore::init(&dir.path().join("data"))?;
    let fill = Instant::now();
    let mut i = 0;
    while i < events {
        let n = BATCH_EVENTS_MAX.min(events - i);
        store.append((i..i + n).map(|j| o.kind.event(j % 16, j)).collect())?;
        i += n;
    }
    println!(
        "    (filled a store with {events} events in batches of {BATCH_EVENTS_MAX} in {:.1} s)",
        fill.elapsed().as_secs_f64()
    );
    let head = store.head().position.0;
    // One untimed pass sums the stored sizes (that reads the ciphertexts) and warms the caches.
    let mut stored = 0u64;
    for_each_page(&store, |page| {
        stored += page.iter().map(|e| stored_bytes(&store, e)).sum::<Result<u64, _>>()?;
        Ok(())
    })?;
    let rates = reps(o, || {
        let start = Instant::now();
        let read = for_each_page(&store, |_| Ok(()))?;
        let elapsed = start.elapsed();
        if read != head {
            return Err(format!("read {read} events, the head is at {head}").into());
        }
        Ok(head as f64 / elapsed.as_secs_f64())
    })?;
    let disk = store.size_on_disk()?;
    store.close();
    Ok(ReadFigures {
        events: head,
        events_per_s: median(&rates),
        avg_stored_bytes: stored as f64 / head as f64,
        disk_bytes_per_event: disk as f64 / head as f64,
    })
}

/// Reads the whole log in pages of `PAGE_EVENTS_MAX`; returns the number of events read.
fn for_each_page(
    store: &SledStore,
    mut f: impl FnMut(&[parlog_core::RecordedEvent]) -> BenchResult<()>,
) -> BenchResult<u64> {
    let mut next = 1u64;
    loop {
        let page = store.read_from(Position(next), PAGE_EVENTS_MAX)?;
        let Some(last) = page.last() else { return Ok(next - 1) };
        next = last.position.0 + 1;
        f(&page)?;
    }
}
