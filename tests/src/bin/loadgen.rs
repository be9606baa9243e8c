//! The HTTP load benchmark's load generator (`scripts/loadbench.sh` starts a release server and
//! runs this against it; docs/benchmarks-http.md says how to read the figures).
//!
//! Usage: `loadgen --addr 127.0.0.1:PORT --token TOKEN --participant ID [options]`
//!
//! What it measures, each figure printed next to its target (issue 4):
//! 0. the references of this run: the disk's raw rate of a 700-byte write plus `fdatasync`, and
//!    how many bytes a second loopback TCP carries over 100 connections between tasks of this
//!    process that only write and read (the most the feed's bytes could take);
//! 1. GET /api/v1/projections/initiatives over 32 keep-alive connections: requests/s, p50, p99
//!    (target p99 <= 5 ms);
//! 2. POST /api/v1/events over 64 keep-alive connections, one event per request and then ten:
//!    durable events/s, p50, p99 (target >= 20,000 events/s). Every event has a fresh id. After
//!    a run the positions the 2xx answers acknowledged must be exactly the positions the head
//!    grew by: none lost, none counted twice;
//! 3. during every run of 2., 100 subscribers follow GET /api/v1/feed from the head at the start:
//!    each must see every new position exactly once and in order (the `id:` lines), and the lag
//!    is how long after the last acknowledged append the slowest subscriber saw the last
//!    position (target: the feed keeps up). The bytes the subscribers received, per event and a
//!    second, are printed next to the loopback reference;
//! 4. the appends of 2. once more without subscribers (`--without-feed-runs`, 1 run each), to
//!    tell what the feed costs from what appending costs.
//!
//! Each measurement runs `--runs` times (3) for `--seconds` (10) and the median of each figure
//! is printed. The CPU time of the server (`--server-pid`), of this process and of everything
//! else on the machine is printed per run, to show which of them the cores went to.
//!
//! HTTP/1.1 is spoken by a small client of this crate (`parlog_tests::http1`, which says why),
//! shared with the studies benchmark.
//!
//! Bounds: loopback addresses only; connections, subscribers, run time, run count and the wait
//! for the feed are capped (see `Options::check`); every read has a timeout, so it always stops.
//!
//! Exit codes: 0 all checks held (a target missed is reported, not a failure: this is a
//! benchmark); 1 a check failed (an acknowledged event missing, a feed position skipped or
//! repeated, a request refused or failed); 2 bad usage, or the server cannot be reached.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parlog_tests::http1::{self, find, number_at, positions_in, Conn};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The most connections of one kind (the server's own limit on feed clients is 256).
const CONNECTIONS_MAX: usize = 512;
/// The most feed subscribers (below the server's `sse_clients_max` of 256, leaving room).
const SUBSCRIBERS_MAX: usize = 200;
const RUN_SECONDS_MAX: u64 = 120;
const RUNS_MAX: usize = 9;
/// Latency samples kept per connection and run, at most (10 s at 100,000 requests/s).
const SAMPLES_PER_CONNECTION_MAX: usize = 1_000_000;
/// Bytes of the fdatasync reference record: a stored event with a sealed part is about this big.
const REFERENCE_RECORD_BYTES: usize = 700;
const REFERENCE_SECONDS: f64 = 2.0;
/// The loopback reference: connections (as many as the feed's subscribers), how long, and the
/// piece each write sends (the feed sends a batch of frames as one chunk).
const LOOPBACK_CONNECTIONS: usize = 100;
const LOOPBACK_SECONDS: f64 = 2.0;
const LOOPBACK_WRITE_BYTES: usize = 64 * 1024;
/// How often the feed's progress is sampled during a run.
const FEED_SAMPLE_EVERY: Duration = Duration::from_millis(20);
/// How long to wait for a feed subscriber slot on the server to be released between runs.
const SLOT_RELEASE_WAIT: Duration = Duration::from_secs(20);
/// Characters of the sealed text of a benchmark event (about 700 bytes stored in all).
const SEALED_TEXT: &str = "Koffieochtend in het buurthuis: zeven bewoners, twee nieuwe gezichten. \
    Mevrouw vertelde over de eenzaamheid sinds haar man overleed en dat ze graag iets zou doen \
    met de tuin achter de flat. Haar buurman wil helpen met gereedschap. Afgesproken dat ik \
    volgende week samen met hen ga kijken en de woningcorporatie bel over het beheer van de \
    tuin. Ze vroeg of er ook iets voor jongeren in de straat kan komen; dat neem ik mee naar \
    het overleg met het jongerenwerk van donderdag.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let opts = match Options::parse(&args).and_then(|o| o.check().map(|()| o)) {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("loadgen: {msg}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread().worker_threads(opts.threads).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("loadgen: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(opts)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(msg) => {
            eprintln!("loadgen: {msg}");
            ExitCode::from(2)
        }
    }
}

const USAGE: &str = "usage: loadgen --addr 127.0.0.1:PORT --token TOKEN --participant ID [options]
  --scratch DIR          folder for the fdatasync reference file (default target/loadbench)
  --server-pid PID       the server's process id, to report its CPU time
  --seconds N            length of each run (default 10)
  --runs N               runs per measurement; the median is printed (default 3)
  --get-connections N    (default 32)
  --post-connections N   (default 64)
  --subscribers N        feed subscribers during the appends (default 100)
  --drain-seconds N      how long to wait for the feed after the appends stop (default 60)
  --threads N            worker threads of this process (default 2)
  --plain                events without a sealed part
  --without-feed-runs N  append runs per batch size without subscribers, to tell the cost of
                         the feed from that of appending (default 1; 0 skips them)";

/// Everything the run depends on, given explicitly on the command line.
#[derive(Debug, Clone)]
struct Options {
    addr: SocketAddr,
    token: String,
    participant: String,
    scratch: PathBuf,
    server_pid: Option<u32>,
    run_seconds: u64,
    runs: usize,
    get_connections: usize,
    post_connections: usize,
    subscribers: usize,
    drain_seconds: u64,
    threads: usize,
    sealed: bool,
    without_feed_runs: usize,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut o = Options {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            token: String::new(),
            participant: String::new(),
            scratch: PathBuf::from("target/loadbench"),
            server_pid: None,
            run_seconds: 10,
            runs: 3,
            get_connections: 32,
            post_connections: 64,
            subscribers: 100,
            drain_seconds: 60,
            threads: 2,
            sealed: true,
            without_feed_runs: 1,
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            match flag.as_str() {
                "--plain" => o.sealed = false,
                _ => {
                    let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
                    o.set(flag, value)?;
                }
            }
        }
        Ok(o)
    }

    fn set(&mut self, flag: &str, v: &str) -> Result<(), String> {
        fn num<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, String> {
            v.parse().map_err(|_| format!("{flag}: expected a whole number, got {v:?}"))
        }
        match flag {
            "--addr" => self.addr = v.parse().map_err(|_| format!("--addr: expected 127.0.0.1:PORT, got {v:?}"))?,
            "--token" => self.token = v.trim().to_string(),
            "--participant" => self.participant = v.to_string(),
            "--scratch" => self.scratch = PathBuf::from(v),
            "--server-pid" => self.server_pid = Some(num(flag, v)?),
            "--seconds" => self.run_seconds = num(flag, v)?,
            "--runs" => self.runs = num(flag, v)?,
            "--get-connections" => self.get_connections = num(flag, v)?,
            "--post-connections" => self.post_connections = num(flag, v)?,
            "--subscribers" => self.subscribers = num(flag, v)?,
            "--drain-seconds" => self.drain_seconds = num(flag, v)?,
            "--threads" => self.threads = num(flag, v)?,
            "--without-feed-runs" => self.without_feed_runs = num(flag, v)?,
            _ => return Err(format!("unknown option {flag}")),
        }
        Ok(())
    }

    fn check(&self) -> Result<(), String> {
        if !self.addr.ip().is_loopback() || self.addr.port() == 0 {
            return Err(format!("--addr must be a loopback address with a port, got {}", self.addr));
        }
        if self.token.is_empty() || self.participant.is_empty() {
            return Err("--token and --participant are required".into());
        }
        let within = |what: &str, n: u64, lo: u64, hi: u64| {
            if (lo..=hi).contains(&n) {
                Ok(())
            } else {
                Err(format!("{what} must be from {lo} to {hi}, got {n}"))
            }
        };
        within("--seconds", self.run_seconds, 1, RUN_SECONDS_MAX)?;
        within("--runs", self.runs as u64, 1, RUNS_MAX as u64)?;
        within("--get-connections", self.get_connections as u64, 1, CONNECTIONS_MAX as u64)?;
        within("--post-connections", self.post_connections as u64, 1, CONNECTIONS_MAX as u64)?;
        within("--subscribers", self.subscribers as u64, 0, SUBSCRIBERS_MAX as u64)?;
        within("--drain-seconds", self.drain_seconds, 1, RUN_SECONDS_MAX)?;
        within("--without-feed-runs", self.without_feed_runs as u64, 0, RUNS_MAX as u64)?;
        within("--threads", self.threads as u64, 1, 64)
    }

    fn run_time(&self) -> Duration {
        Duration::from_secs(self.run_seconds)
    }
}

// ---- the benchmark ------------------------------------------------------------------------

/// Runs every measurement; `Ok(false)` when a check failed.
async fn run(opts: Options) -> Result<bool, String> {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "parlog HTTP load benchmark: server {} (pid {}), {cores} cores, {} s per run, median of {} runs",
        opts.addr,
        opts.server_pid.map_or("unknown".into(), |p| p.to_string()),
        opts.run_seconds,
        opts.runs
    );
    let mut ctl = Conn::connect(opts.addr).await.map_err(|e| format!("cannot connect to {}: {e}", opts.addr))?;
    let head = head_position(&mut ctl, &opts).await?;
    println!("log head at start: position {head}");
    println!();

    let reference = fdatasync_reference(&opts.scratch)?;
    println!(
        "0. disk reference: {REFERENCE_RECORD_BYTES}-byte write + fdatasync in a loop for {REFERENCE_SECONDS} s \
         ({}): {:.0} syncs/s, mean {:.2} ms",
        reference.file.display(),
        reference.per_second,
        1000.0 / reference.per_second
    );
    let loopback = loopback_reference(opts.server_pid).await?;
    println!(
        "   loopback reference: {LOOPBACK_CONNECTIONS} TCP connections within this process, {} KiB writes, \
         only writing and reading, for {LOOPBACK_SECONDS} s: {:.2} GB/s; cpu {}",
        LOOPBACK_WRITE_BYTES / 1024,
        loopback.bytes_per_second / 1e9,
        loopback.cpu
    );
    println!();

    let mut ok = true;
    ok &= measure_get(&opts).await?;
    ok &= measure_appends(&opts, &mut ctl, 1, opts.subscribers).await?;
    ok &= measure_appends(&opts, &mut ctl, 10, opts.subscribers).await?;
    if opts.without_feed_runs > 0 && opts.subscribers > 0 {
        let compare = Options { runs: opts.without_feed_runs, ..opts.clone() };
        ok &= measure_appends(&compare, &mut ctl, 1, 0).await?;
        ok &= measure_appends(&compare, &mut ctl, 10, 0).await?;
    }
    println!("{}", if ok { "all checks held" } else { "A CHECK FAILED (see above)" });
    Ok(ok)
}

/// The median of each figure on its own.
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn met(yes: bool) -> &'static str {
    if yes {
        "met"
    } else {
        "NOT met"
    }
}

// ---- 1. reads of a projection --------------------------------------------------------------

async fn measure_get(opts: &Options) -> Result<bool, String> {
    let path = "/api/v1/projections/initiatives";
    println!("1. GET {path}, {} keep-alive connections, {} s", opts.get_connections, opts.run_seconds);
    let request = request_bytes(opts, "GET", path, &[]);
    let mut ok = true;
    let (mut rates, mut p50s, mut p99s) = (Vec::new(), Vec::new(), Vec::new());
    for run in 1..=opts.runs {
        let cpu = CpuClock::start(opts.server_pid);
        let request = request.clone();
        let build = move |_: usize| request.clone();
        let r = load(opts, opts.get_connections, build, opts.run_time(), |status, _| status == 200).await?;
        let cpu = cpu.stop();
        let lat = Latency::of(r.samples);
        let rate = r.answered as f64 / r.elapsed.as_secs_f64();
        println!(
            "   run {run}: {rate:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms ({} requests, {} refused, {} failed; \
             {:.0} KB per answer); cpu {cpu}",
            lat.p50_ms,
            lat.p99_ms,
            r.answered,
            r.refused,
            r.failed,
            r.body_bytes as f64 / r.answered.max(1) as f64 / 1024.0
        );
        if let Some(e) = &r.first_error {
            println!("          first error: {e}");
        }
        ok &= r.refused == 0 && r.failed == 0;
        rates.push(rate);
        p50s.push(lat.p50_ms);
        p99s.push(lat.p99_ms);
    }
    let p99 = median(p99s);
    println!(
        "   median: {:.0} requests/s, p50 {:.2} ms, p99 {p99:.2} ms; target p99 <= 5 ms: {}",
        median(rates),
        median(p50s),
        met(p99 <= 5.0)
    );
    if !ok {
        println!("   CHECK FAILED: some reads were refused or failed");
    }
    println!();
    Ok(ok)
}

// ---- 2. and 3. appends, with the feed followed -----------------------------------------------

async fn measure_appends(
    opts: &Options,
    ctl: &mut Conn,
    per_request: usize,
    subscribers: usize,
) -> Result<bool, String> {
    println!(
        "{}. POST /api/v1/events, {} keep-alive connections, {per_request} event{} per request ({}), {} s; \
         {subscribers} feed subscribers",
        if subscribers > 0 { "2+3" } else { "2 without the feed" },
        opts.post_connections,
        if per_request == 1 { "" } else { "s" },
        if opts.sealed { "with a sealed part" } else { "no sealed part" },
        opts.run_seconds,
    );
    let mut ok = true;
    let (mut rates, mut p50s, mut p99s, mut lags) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for run in 1..=opts.runs {
        let r = append_run(opts, ctl, per_request, subscribers).await?;
        println!(
            "   run {run}: {:.0} durable events/s ({:.0} requests/s), p50 {:.2} ms, p99 {:.2} ms; cpu {}",
            r.events_per_second, r.requests_per_second, r.latency.p50_ms, r.latency.p99_ms, r.cpu
        );
        for line in &r.notes {
            println!("          {line}");
        }
        ok &= r.ok;
        rates.push(r.events_per_second);
        p50s.push(r.latency.p50_ms);
        p99s.push(r.latency.p99_ms);
        if let Some(lag) = r.feed_lag_ms {
            lags.push(lag);
        }
    }
    let rate = median(rates);
    println!(
        "   median: {rate:.0} durable events/s, p50 {:.2} ms, p99 {:.2} ms; target >= 20000 events/s: {}",
        median(p50s),
        median(p99s),
        met(rate >= 20_000.0)
    );
    if subscribers > 0 {
        if lags.len() == opts.runs {
            println!(
                "   feed: median lag of the slowest of {subscribers} subscribers after the last append {:.1} ms",
                median(lags)
            );
        } else {
            println!("   feed: the subscribers did not catch up in every run (see above)");
        }
    }
    if !ok {
        println!("   CHECK FAILED (see the runs above)");
    }
    println!();
    Ok(ok)
}

struct AppendRun {
    events_per_second: f64,
    requests_per_second: f64,
    latency: Latency,
    cpu: CpuUse,
    feed_lag_ms: Option<f64>,
    notes: Vec<String>,
    ok: bool,
}

async fn append_run(
    opts: &Options,
    ctl: &mut Conn,
    per_request: usize,
    subscribers: usize,
) -> Result<AppendRun, String> {
    wait_for_free_slots(ctl, opts).await?;
    let start_head = head_position(ctl, opts).await?;
    let feed = Feed::open(opts, start_head, subscribers).await?;
    let cpu = CpuClock::start(opts.server_pid);
    let o = opts.clone();
    let build = move |_: usize| append_request(&o, per_request);
    let r = load(opts, opts.post_connections, build, opts.run_time(), |status, _| status == 201).await?;
    let stopped = r.finished;
    let end_head = head_position(ctl, opts).await?;
    let caught_up = feed.wait_for(end_head, Duration::from_secs(opts.drain_seconds)).await;
    let cpu = cpu.stop();
    let feed_report = feed.close(start_head, end_head, stopped);

    let acknowledged = r.answered * per_request as u64;
    let mut notes = Vec::new();
    let mut ok = r.refused == 0 && r.failed == 0;
    notes.push(format!(
        "{acknowledged} events acknowledged in {} answers; {} refused, {} failed",
        r.answered, r.refused, r.failed
    ));
    if let Some(e) = &r.first_error {
        notes.push(format!("first error: {e}"));
    }
    let stored = stored_check(start_head, end_head, acknowledged, r.positions, r.failed * per_request as u64);
    ok &= stored.0;
    notes.push(stored.1);
    let mut feed_lag_ms = None;
    if subscribers > 0 {
        ok &= feed_report.ok && caught_up;
        notes.extend(feed_report.lines);
        if caught_up {
            feed_lag_ms = feed_report.lag_ms;
        } else {
            notes.push(format!(
                "CHECK FAILED: the feed did not reach position {end_head} within {} s",
                opts.drain_seconds
            ));
        }
    }
    Ok(AppendRun {
        events_per_second: acknowledged as f64 / r.elapsed.as_secs_f64(),
        requests_per_second: r.answered as f64 / r.elapsed.as_secs_f64(),
        latency: Latency::of(r.samples),
        cpu,
        feed_lag_ms,
        notes,
        ok,
    })
}

/// Checks that the acknowledged positions are exactly the positions the head grew by.
/// `unknown` counts events whose request failed without an answer: they may or may not be stored.
fn stored_check(start: u64, end: u64, acknowledged: u64, mut positions: Vec<u64>, unknown: u64) -> (bool, String) {
    let grew = end.saturating_sub(start);
    positions.sort_unstable();
    let distinct = positions.windows(2).all(|w| w[0] != w[1]);
    let in_range =
        !matches!(positions.first(), Some(p) if *p <= start) && !matches!(positions.last(), Some(p) if *p > end);
    let counted = positions.len() as u64 == acknowledged;
    if unknown == 0 && grew == acknowledged && distinct && in_range && counted {
        (true, format!("stored: the head grew by {grew} = the events acknowledged, at {grew} distinct positions"))
    } else if unknown > 0 && (acknowledged..=acknowledged + unknown).contains(&grew) && distinct && in_range && counted
    {
        (true, format!("stored: the head grew by {grew}: {acknowledged} acknowledged and {unknown} without an answer"))
    } else {
        (
            false,
            format!(
                "CHECK FAILED: the head grew by {grew} ({start} to {end}) but {acknowledged} events were acknowledged \
                 ({} positions in the answers, distinct: {distinct}, all in the range: {in_range})",
                positions.len()
            ),
        )
    }
}

/// One POST of `n` new events, each with a fresh id.
fn append_request(opts: &Options, n: usize) -> Vec<u8> {
    let mut body = String::with_capacity(n * 700 + 2);
    body.push('[');
    for i in 0..n {
        if i > 0 {
            body.push(',');
        }
        let id = uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid();
        body.push_str(&format!(
            r#"{{"id":"{id}","stream":"notes:{}","kind":"ObservationRecorded","occurred_at":"2020-01-01T10:00:00+01:00","payload":{{"topic":"loadbench"}}"#,
            opts.participant
        ));
        if opts.sealed {
            body.push_str(&format!(r#","sealed":{{"subjects":["resident:r-1"],"text":"{SEALED_TEXT}"}}"#));
        }
        body.push('}');
    }
    body.push(']');
    request_bytes(opts, "POST", "/api/v1/events", body.as_bytes())
}

// ---- the load loop ---------------------------------------------------------------------------

/// What all connections of one run did together.
#[derive(Default)]
struct LoadResult {
    /// Answers that `accept` took.
    answered: u64,
    /// Answers it did not take.
    refused: u64,
    /// Requests that got no answer (the connection failed or timed out); the connection stops.
    failed: u64,
    first_error: Option<String>,
    /// Latency of every accepted answer, in microseconds.
    samples: Vec<u32>,
    /// The `position` fields of accepted answers (appends only).
    positions: Vec<u64>,
    body_bytes: u64,
    /// From the start until the last answer.
    elapsed: Duration,
    /// When the last answer came.
    finished: Option<Instant>,
}

/// Runs `connections` keep-alive connections, each sending `build(i)` and waiting for the
/// answer, again and again until `run_for` has passed; requests in flight then finish.
async fn load<B, A>(
    opts: &Options,
    connections: usize,
    build: B,
    run_for: Duration,
    accept: A,
) -> Result<LoadResult, String>
where
    B: Fn(usize) -> Vec<u8> + Clone + Send + 'static,
    A: Fn(u16, &[u8]) -> bool + Clone + Send + 'static,
{
    let mut conns = Vec::with_capacity(connections);
    for _ in 0..connections {
        conns.push(Conn::connect(opts.addr).await.map_err(|e| format!("cannot connect to {}: {e}", opts.addr))?);
    }
    let started = Instant::now();
    let deadline = started + run_for;
    let tasks: Vec<_> = conns
        .into_iter()
        .enumerate()
        .map(|(i, conn)| tokio::spawn(connection_loop(conn, i, build.clone(), accept.clone(), deadline)))
        .collect();
    let mut total = LoadResult::default();
    let mut last = started;
    for t in tasks {
        let (r, ended) = t.await.map_err(|e| format!("a load task panicked: {e}"))?;
        last = last.max(ended);
        total.answered += r.answered;
        total.refused += r.refused;
        total.failed += r.failed;
        total.body_bytes += r.body_bytes;
        total.first_error = total.first_error.or(r.first_error);
        total.samples.extend(r.samples);
        total.positions.extend(r.positions);
    }
    total.elapsed = last - started;
    total.finished = Some(last);
    Ok(total)
}

async fn connection_loop<B, A>(
    mut conn: Conn,
    i: usize,
    build: B,
    accept: A,
    deadline: Instant,
) -> (LoadResult, Instant)
where
    B: Fn(usize) -> Vec<u8>,
    A: Fn(u16, &[u8]) -> bool,
{
    let mut r = LoadResult::default();
    let mut ended = Instant::now();
    while Instant::now() < deadline && r.samples.len() < SAMPLES_PER_CONNECTION_MAX {
        let request = build(i);
        let sent = Instant::now();
        match conn.exchange(&request).await {
            Ok(status) => {
                ended = Instant::now();
                let body = conn.body();
                if accept(status, body) {
                    r.answered += 1;
                    r.body_bytes += body.len() as u64;
                    r.samples.push(u32::try_from((ended - sent).as_micros()).unwrap_or(u32::MAX));
                    r.positions.extend(positions_in(body));
                } else {
                    r.refused += 1;
                    if r.first_error.is_none() {
                        let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
                        r.first_error = Some(format!("status {status}: {text}"));
                    }
                }
            }
            Err(e) => {
                ended = Instant::now();
                r.failed += 1;
                r.first_error.get_or_insert_with(|| format!("connection {i}: {e}"));
                break;
            }
        }
    }
    (r, ended)
}

struct Latency {
    p50_ms: f64,
    p99_ms: f64,
}

impl Latency {
    /// Nearest-rank percentiles of microsecond samples.
    fn of(mut samples: Vec<u32>) -> Latency {
        samples.sort_unstable();
        let at = |p: f64| {
            if samples.is_empty() {
                return f64::NAN;
            }
            let rank = ((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
            samples[rank - 1] as f64 / 1000.0
        };
        Latency { p50_ms: at(0.50), p99_ms: at(0.99) }
    }
}

// ---- the feed subscribers --------------------------------------------------------------------

/// What one subscriber has seen, shared with the sampler.
struct Progress {
    /// The last position received (0 before the first).
    seen: AtomicU64,
    /// When `seen` last changed, in microseconds since `Feed::epoch`.
    seen_at_us: AtomicU64,
    /// Events received.
    events: AtomicU64,
    /// Positions that were not the next one expected.
    out_of_order: AtomicU64,
    /// Bytes of the body received (chunk sizes and SSE lines).
    bytes: AtomicU64,
    first_problem: std::sync::Mutex<Option<String>>,
}

struct Feed {
    epoch: Instant,
    subscribers: Vec<(Arc<Progress>, tokio::task::JoinHandle<()>)>,
    /// Largest number of positions the slowest subscriber was behind the head, from sampling.
    max_behind: Arc<AtomicU64>,
    sampler: Option<tokio::task::JoinHandle<()>>,
}

struct FeedReport {
    ok: bool,
    lag_ms: Option<f64>,
    lines: Vec<String>,
}

impl Feed {
    /// Opens `n` feeds from the position after `head`; returns once every one has answered 200.
    async fn open(opts: &Options, head: u64, n: usize) -> Result<Feed, String> {
        let epoch = Instant::now();
        let mut subscribers = Vec::with_capacity(n);
        let request = request_bytes(opts, "GET", &format!("/api/v1/feed?from={}", head + 1), &[]);
        for i in 0..n {
            let mut conn = Conn::connect(opts.addr).await.map_err(|e| format!("feed {i}: cannot connect: {e}"))?;
            conn.send(&request).await.map_err(|e| format!("feed {i}: {e}"))?;
            let (status, chunked) = conn.read_head().await.map_err(|e| format!("feed {i}: {e}"))?;
            if status != 200 || !chunked {
                return Err(format!("feed {i}: expected a 200 chunked event stream, got status {status}"));
            }
            let progress = Arc::new(Progress {
                seen: AtomicU64::new(head),
                seen_at_us: AtomicU64::new(0),
                events: AtomicU64::new(0),
                out_of_order: AtomicU64::new(0),
                bytes: AtomicU64::new(0),
                first_problem: std::sync::Mutex::new(None),
            });
            let task = tokio::spawn(follow(conn, head + 1, progress.clone(), epoch));
            subscribers.push((progress, task));
        }
        let max_behind = Arc::new(AtomicU64::new(0));
        let sampler = (n > 0).then(|| {
            let all: Vec<_> = subscribers.iter().map(|(p, _)| p.clone()).collect();
            tokio::spawn(sample_behind(all, opts.clone(), max_behind.clone()))
        });
        Ok(Feed { epoch, subscribers, max_behind, sampler })
    }

    /// Waits until every subscriber has seen `head`, at most `limit`; true if they all did.
    async fn wait_for(&self, head: u64, limit: Duration) -> bool {
        let until = Instant::now() + limit;
        loop {
            if self.subscribers.iter().all(|(p, _)| p.seen.load(Ordering::Acquire) >= head) {
                return true;
            }
            if Instant::now() >= until || self.subscribers.iter().all(|(_, t)| t.is_finished()) {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Ends the subscriptions and checks what they received.
    fn close(self, start: u64, end: u64, appends_stopped: Option<Instant>) -> FeedReport {
        if let Some(s) = &self.sampler {
            s.abort();
        }
        let n = self.subscribers.len();
        if n == 0 {
            return FeedReport { ok: true, lag_ms: None, lines: Vec::new() };
        }
        let want = end - start;
        let mut lines = Vec::new();
        let (mut exact, mut last_seen_us) = (0, 0u64);
        let stopped_us = appends_stopped.map_or(0, |t| (t - self.epoch).as_micros() as u64);
        for (i, (p, task)) in self.subscribers.iter().enumerate() {
            task.abort();
            let events = p.events.load(Ordering::Acquire);
            let out_of_order = p.out_of_order.load(Ordering::Acquire);
            let seen = p.seen.load(Ordering::Acquire);
            if events == want && out_of_order == 0 && seen == end {
                exact += 1;
                last_seen_us = last_seen_us.max(p.seen_at_us.load(Ordering::Acquire));
            } else if lines.len() < 3 {
                let problem = p.first_problem.lock().expect("problem lock").clone().unwrap_or_default();
                lines.push(format!(
                    "CHECK FAILED: subscriber {i} got {events} of {want} events, {out_of_order} out of order, \
                     last position {seen} of {end}. {problem}"
                ));
            }
        }
        let ok = exact == n;
        // Zero when the subscribers saw the last position before its append's answer arrived.
        let lag_ms = ok.then_some(last_seen_us.saturating_sub(stopped_us) as f64 / 1000.0);
        let bytes: u64 = self.subscribers.iter().map(|(p, _)| p.bytes.load(Ordering::Acquire)).sum();
        let delivered_per_s = (want * n as u64) as f64 / (last_seen_us as f64 / 1e6).max(1e-6);
        let per_event = bytes as f64 / (want * n as u64).max(1) as f64;
        lines.insert(
            0,
            format!(
                "feed: {exact} of {n} subscribers got all {want} positions {}..={end} exactly once, in order; \
                 {}; at most {} positions behind during the run ({delivered_per_s:.0} events/s delivered in all)",
                start + 1,
                lag_ms.map_or("not all caught up".into(), |l| format!("the last one {l:.1} ms after the last append")),
                self.max_behind.load(Ordering::Acquire),
            ),
        );
        lines.insert(
            1,
            format!(
                "feed bytes: {per_event:.0} per event and subscriber, {:.2} GB/s delivered; 20000 events/s to {n} \
                 subscribers would be {:.2} GB/s (compare the loopback reference)",
                delivered_per_s * per_event / 1e9,
                20_000.0 * n as f64 * per_event / 1e9
            ),
        );
        FeedReport { ok, lag_ms, lines }
    }
}

/// Samples how far the slowest subscriber is behind the head, for the whole run.
async fn sample_behind(all: Vec<Arc<Progress>>, opts: Options, max_behind: Arc<AtomicU64>) {
    let Ok(mut conn) = Conn::connect(opts.addr).await else { return };
    loop {
        tokio::time::sleep(FEED_SAMPLE_EVERY).await;
        let Ok(head) = head_position(&mut conn, &opts).await else { return };
        let slowest = all.iter().map(|p| p.seen.load(Ordering::Acquire)).min().unwrap_or(head);
        max_behind.fetch_max(head.saturating_sub(slowest), Ordering::AcqRel);
    }
}

/// Reads one feed until it ends or is aborted, checking that positions come one by one.
async fn follow(mut conn: Conn, first: u64, p: Arc<Progress>, epoch: Instant) {
    let mut decoder = SseDecoder::new(first);
    loop {
        // The head's read may have brought the first bytes of the body already.
        let used = match decoder.feed(conn.buffered()) {
            Ok(used) => used,
            Err(e) => {
                p.first_problem.lock().expect("problem lock").get_or_insert_with(|| e);
                return;
            }
        };
        conn.consume(used);
        p.bytes.fetch_add(used as u64, Ordering::Relaxed);
        let events = decoder.events;
        if events != p.events.load(Ordering::Relaxed) {
            p.events.store(events, Ordering::Release);
            p.out_of_order.store(decoder.out_of_order, Ordering::Release);
            if let Some(problem) = decoder.first_problem.take() {
                p.first_problem.lock().expect("problem lock").get_or_insert(problem);
            }
            p.seen_at_us.store(epoch.elapsed().as_micros() as u64, Ordering::Release);
            p.seen.store(decoder.next - 1, Ordering::Release);
        }
        // No timeout here: the run aborts the task; the feed sends a keep-alive now and then.
        if let Err(e) = conn.fill().await {
            p.first_problem.lock().expect("problem lock").get_or_insert_with(|| format!("the feed ended: {e}"));
            return;
        }
    }
}

/// An incremental reader of a chunked `text/event-stream` body that only looks at `id:` lines.
struct SseDecoder {
    state: Chunk,
    /// The first bytes of the current line (enough to tell an `id:` line and read it).
    line: Vec<u8>,
    /// The position expected next.
    next: u64,
    events: u64,
    out_of_order: u64,
    first_problem: Option<String>,
}

#[derive(Clone, Copy)]
enum Chunk {
    /// Reading a chunk-size line.
    Size,
    /// This many data bytes left in the current chunk.
    Data(usize),
    /// The CRLF after a chunk's data.
    End,
}

/// Bytes of a line kept to read it: `id: ` and twenty digits.
const LINE_PREFIX_BYTES: usize = 32;

impl SseDecoder {
    fn new(first: u64) -> SseDecoder {
        SseDecoder {
            state: Chunk::Size,
            line: Vec::with_capacity(LINE_PREFIX_BYTES),
            next: first,
            events: 0,
            out_of_order: 0,
            first_problem: None,
        }
    }

    /// Takes what it can of `raw`; returns how many bytes it used (the rest waits for more).
    fn feed(&mut self, raw: &[u8]) -> Result<usize, String> {
        let mut at = 0;
        loop {
            match self.state {
                Chunk::Size => {
                    let Some(end) = find(&raw[at..], b"\r\n") else { return Ok(at) };
                    let line = std::str::from_utf8(&raw[at..at + end]).map_err(|_| "a chunk size is not text")?;
                    let hex = line.split(';').next().unwrap_or("").trim();
                    let size = usize::from_str_radix(hex, 16).map_err(|_| format!("bad chunk size {line:?}"))?;
                    if size == 0 {
                        return Err("the feed ended (last chunk)".into());
                    }
                    at += end + 2;
                    self.state = Chunk::Data(size);
                }
                Chunk::Data(left) => {
                    let take = left.min(raw.len() - at);
                    if take == 0 {
                        return Ok(at);
                    }
                    self.lines(&raw[at..at + take]);
                    at += take;
                    self.state = if take == left { Chunk::End } else { Chunk::Data(left - take) };
                }
                Chunk::End => {
                    if raw.len() - at < 2 {
                        return Ok(at);
                    }
                    if &raw[at..at + 2] != b"\r\n" {
                        return Err("a chunk does not end with CRLF".into());
                    }
                    at += 2;
                    self.state = Chunk::Size;
                }
            }
        }
    }

    fn lines(&mut self, mut data: &[u8]) {
        while let Some(nl) = memchr::memchr(b'\n', data) {
            self.keep(&data[..nl]);
            self.line_done();
            data = &data[nl + 1..];
        }
        self.keep(data);
    }

    fn keep(&mut self, part: &[u8]) {
        let room = LINE_PREFIX_BYTES.saturating_sub(self.line.len());
        self.line.extend_from_slice(&part[..part.len().min(room)]);
    }

    fn line_done(&mut self) {
        if let Some(rest) = self.line.strip_prefix(b"id:") {
            let id = std::str::from_utf8(rest).ok().and_then(|s| s.trim().parse::<u64>().ok());
            self.events += 1;
            match id {
                Some(id) if id == self.next => self.next += 1,
                Some(id) => {
                    self.out_of_order += 1;
                    self.first_problem.get_or_insert_with(|| {
                        format!(
                            "expected position {}, got {id} ({})",
                            self.next,
                            if id < self.next { "a repeat" } else { "a gap" }
                        )
                    });
                    self.next = id + 1;
                }
                None => {
                    self.out_of_order += 1;
                    let text = String::from_utf8_lossy(&self.line).into_owned();
                    self.first_problem.get_or_insert_with(|| format!("an id line that is not a position: {text:?}"));
                }
            }
        }
        self.line.clear();
    }
}

/// Waits until the server has released the feed slots of earlier runs (it notices a closed
/// feed connection at its next write), so that every run starts with the same free slots.
async fn wait_for_free_slots(ctl: &mut Conn, opts: &Options) -> Result<(), String> {
    let until = Instant::now() + SLOT_RELEASE_WAIT;
    loop {
        let request = request_bytes(opts, "GET", "/metrics", &[]);
        let status = ctl.exchange(&request).await.map_err(|e| format!("GET /metrics: {e}"))?;
        let text = String::from_utf8_lossy(ctl.body()).into_owned();
        let clients =
            text.lines().find_map(|l| l.strip_prefix("parlog_sse_clients ")).and_then(|v| v.trim().parse::<f64>().ok());
        match clients {
            Some(c) if c < 0.5 => return Ok(()),
            Some(_) if Instant::now() < until => tokio::time::sleep(Duration::from_millis(50)).await,
            Some(c) => {
                println!("   note: the server still counts {c} feed clients from an earlier run");
                return Ok(());
            }
            None => return Err(format!("GET /metrics answered {status} without parlog_sse_clients")),
        }
    }
}

// ---- HTTP/1.1 over one keep-alive connection ---------------------------------------------------

/// The request bytes: a keep-alive HTTP/1.1 request with the bearer token.
fn request_bytes(opts: &Options, method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    http1::request_bytes(opts.addr, Some(&opts.token), method, path, body)
}

/// The head of the log, from `GET /api/v1/events` past its end.
async fn head_position(conn: &mut Conn, opts: &Options) -> Result<u64, String> {
    let request = request_bytes(opts, "GET", "/api/v1/events?from=18446744073709551615&limit=1", &[]);
    let status = conn.exchange(&request).await.map_err(|e| format!("reading the head: {e}"))?;
    let body = conn.body();
    let head = find(body, b"\"head\":").and_then(|at| number_at(body, at + 7));
    match (status, head) {
        (200, Some(h)) => Ok(h),
        _ => Err(format!(
            "reading the head: status {status}: {}; is the token a makelaar's?",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        )),
    }
}

// ---- the reference: loopback TCP ---------------------------------------------------------------

struct Loopback {
    bytes_per_second: f64,
    cpu: CpuUse,
}

/// Moves bytes over `LOOPBACK_CONNECTIONS` loopback connections between tasks of this process,
/// one writer and one reader each, for `LOOPBACK_SECONDS`: writers send the same 64 KiB again
/// and again, readers count what arrives. No HTTP, no parsing, no server: what the cores can
/// carry through loopback TCP when that is all they do, the ceiling for the feed's bytes.
async fn loopback_reference(server_pid: Option<u32>) -> Result<Loopback, String> {
    let listener =
        tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| format!("loopback reference: {e}"))?;
    let addr = listener.local_addr().map_err(|e| format!("loopback reference: {e}"))?;
    let received = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::with_capacity(2 * LOOPBACK_CONNECTIONS);
    for _ in 0..LOOPBACK_CONNECTIONS {
        let client = TcpStream::connect(addr).await.map_err(|e| format!("loopback reference: {e}"))?;
        let (server, _) = listener.accept().await.map_err(|e| format!("loopback reference: {e}"))?;
        let (mut w, mut r) = (server, client);
        let stop_w = stop.clone();
        tasks.push(tokio::spawn(async move {
            let piece = vec![b'x'; LOOPBACK_WRITE_BYTES];
            while !stop_w.load(Ordering::Relaxed) {
                if w.write_all(&piece).await.is_err() {
                    return;
                }
            }
        }));
        let got = received.clone();
        tasks.push(tokio::spawn(async move {
            let mut buf = vec![0u8; 4 * LOOPBACK_WRITE_BYTES];
            loop {
                match r.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        got.fetch_add(n as u64, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    // Counted from when every connection is open and busy.
    tokio::time::sleep(Duration::from_millis(100)).await;
    // The server's share too, so that the line shows it idle and nothing else busy.
    let clock = CpuClock::start(server_pid);
    let (from, started) = (received.load(Ordering::Relaxed), Instant::now());
    tokio::time::sleep(Duration::from_secs_f64(LOOPBACK_SECONDS)).await;
    let bytes = received.load(Ordering::Relaxed) - from;
    let secs = started.elapsed().as_secs_f64();
    let cpu = clock.stop();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.abort();
    }
    Ok(Loopback { bytes_per_second: bytes as f64 / secs, cpu })
}

// ---- the reference: fdatasync of the disk under target/ ---------------------------------------

struct Reference {
    file: PathBuf,
    per_second: f64,
}

/// Appends a 700-byte record and fdatasyncs it, in a loop for two seconds, in a file of its own.
fn fdatasync_reference(scratch: &std::path::Path) -> Result<Reference, String> {
    use std::io::Write;
    std::fs::create_dir_all(scratch).map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    let file = scratch.join("fdatasync-reference.bin");
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(&file)
        .map_err(|e| format!("cannot create {}: {e}", file.display()))?;
    let record = [b'x'; REFERENCE_RECORD_BYTES];
    let started = Instant::now();
    let mut syncs = 0u64;
    while started.elapsed().as_secs_f64() < REFERENCE_SECONDS {
        f.write_all(&record).and_then(|()| f.sync_data()).map_err(|e| format!("{}: {e}", file.display()))?;
        syncs += 1;
    }
    let per_second = syncs as f64 / started.elapsed().as_secs_f64();
    drop(f);
    let _ = std::fs::remove_file(&file);
    Ok(Reference { file, per_second })
}

// ---- where the CPU went ------------------------------------------------------------------------

/// CPU time of the server, of this process and of the whole machine at the start of a run.
struct CpuClock {
    server_pid: Option<u32>,
    at: Instant,
    server: Option<u64>,
    own: Option<u64>,
    machine_busy: Option<u64>,
}

/// Cores used during a run (1.0 = one core all the time).
struct CpuUse {
    server: Option<f64>,
    own: Option<f64>,
    other: Option<f64>,
}

impl std::fmt::Display for CpuUse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |v: Option<f64>| v.map_or("?".into(), |v| format!("{v:.2}"));
        write!(f, "server {}, loadgen {}, other {} cores", show(self.server), show(self.own), show(self.other))
    }
}

impl CpuClock {
    fn start(server_pid: Option<u32>) -> CpuClock {
        CpuClock {
            server_pid,
            at: Instant::now(),
            server: server_pid.and_then(|p| process_ticks(&format!("/proc/{p}/stat"))),
            own: process_ticks("/proc/self/stat"),
            machine_busy: machine_busy_ticks(),
        }
    }

    fn stop(self) -> CpuUse {
        let secs = self.at.elapsed().as_secs_f64();
        // SAFETY: sysconf only reads a system constant.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        let cores = |before: Option<u64>, after: Option<u64>| match (before, after) {
            (Some(b), Some(a)) if hz > 0.0 => Some(a.saturating_sub(b) as f64 / hz / secs),
            _ => None,
        };
        let server = cores(self.server, self.server_pid.and_then(|p| process_ticks(&format!("/proc/{p}/stat"))));
        let own = cores(self.own, process_ticks("/proc/self/stat"));
        let busy = cores(self.machine_busy, machine_busy_ticks());
        let other = match (busy, server, own) {
            (Some(b), Some(s), Some(o)) => Some((b - s - o).max(0.0)),
            _ => None,
        };
        CpuUse { server, own, other }
    }
}

/// utime + stime of a process, in clock ticks.
fn process_ticks(stat: &str) -> Option<u64> {
    let text = std::fs::read_to_string(stat).ok()?;
    // The fields after the command name in parentheses: state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Busy ticks of all cores (everything but idle and iowait), from /proc/stat.
fn machine_busy_ticks() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = line.split_whitespace().filter_map(|x| x.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal (guest is counted in user already).
    Some(v.iter().take(8).sum::<u64>() - v.get(3)? - v.get(4)?)
}
