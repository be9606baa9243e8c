//! Notes index benchmark (issue 14): building the notes index of a large log, the heap it takes,
//! and filtered full-text searches against it; each figure next to its target.
//!
//! Run: `cargo bench -p parlog-tests --bench notes` (release build). The log has
//! `PARLOG_BENCH_EVENTS` events (1,000,000 by default): mostly sealed field notes of 40 to 80
//! Dutch-like words, with reflections, memos, coded excerpts, a few amendments, retractions and
//! code merges, over 20 areas, 50 authors and 30 codes in a made-up municipality. It is built
//! once into `PARLOG_BENCH_NOTES_DIR` (default `target/tmp/parlog-bench-notes`) and reused while
//! its stamp (this generator's version, seed and size) matches.
//!
//! Heap is counted by a global allocator that wraps the `parlog` binary's own and keeps the
//! current and peak bytes allocated: the build's peak is the high-water mark above what was
//! allocated before it, its size what stays allocated after it.
//!
//! Searches: four kinds of query, 200 of each (random words of the log's own vocabulary), each
//! timed alone (the index search) and with its page of 50 notes read from the store as the API
//! answers it; p50 and p99 per kind, the median of 5 repetitions.
//!
//! `PARLOG_BENCH_NOTES_SEARCH=0` stops after the build (for profiling it).
//!
//! Exit code: 0 when every target is met, 1 when one is missed (or the benchmark failed).

use std::alloc::{GlobalAlloc, Layout};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use chrono::NaiveDate;
use parlog_core::{AuthorSource, EventStore, Lang, NewEvent, ParticipantId, SledStore, StreamId};
use parlog_server::notes::{self, NoteKind, NoteQuery, NotesIndex};
use parlog_tests::median;
use serde_json::{json, Value};

/// Counts the heap on top of the `parlog` binary's allocator.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = parlog_server::alloc::ParlogAlloc.alloc(layout);
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        parlog_server::alloc::ParlogAlloc.dealloc(ptr, layout);
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = parlog_server::alloc::ParlogAlloc.alloc_zeroed(layout);
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = parlog_server::alloc::ParlogAlloc.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size >= layout.size() {
                let now = CURRENT.fetch_add(new_size - layout.size(), Ordering::Relaxed) + new_size - layout.size();
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const DEFAULT_EVENTS: u64 = 1_000_000;
const SEED: u64 = 0x006e_6f74_6573;
/// Bump when the generated log changes, so that an old one is built anew.
const GENERATOR_VERSION: u32 = 1;
const AREAS: usize = 20;
const AUTHORS: usize = 50;
const CODES: usize = 30;
const SUBJECTS: usize = 2_000;
const VOCABULARY_WORDS: usize = 4_000;
const QUERIES: usize = 200;
const REPS: usize = 5;
const BUILD_REPS: usize = 3;
const PAGE: usize = 50;

const TARGET_SEARCH_P99_MS: f64 = 50.0;
const TARGET_BUILD_S: f64 = 5.0;
const TARGET_BUILD_MIB: f64 = 512.0;

/// Makes one query of a kind, from the random source.
type MakeQuery<'a> = Box<dyn Fn(&mut fastrand::Rng) -> NoteQuery + 'a>;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("the notes benchmark failed: {e}");
            ExitCode::from(1)
        }
    }
}

/// CPU time of this process so far (all threads, user and system): on a machine shared with
/// other work, what the build costs rather than how long it waited.
fn cpu_seconds() -> f64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(u.ru_utime) + tv(u.ru_stime)
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn run() -> BenchResult<bool> {
    let events = std::env::var("PARLOG_BENCH_EVENTS").ok().and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_EVENTS);
    let root = match std::env::var_os("PARLOG_BENCH_NOTES_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tmp/parlog-bench-notes"),
    };
    std::fs::create_dir_all(&root)?;
    println!("notes index benchmark, {events} events");
    let dir = ensure_log(&root, events)?;
    let store = SledStore::open(&dir)?;
    let mut ok = true;

    // Build: time and heap.
    let mut times = Vec::new();
    let mut cpu = Vec::new();
    let mut peaks = Vec::new();
    let mut kept = Vec::new();
    let mut ix = None;
    for _ in 0..BUILD_REPS {
        drop(ix.take());
        let base = CURRENT.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let t = Instant::now();
        let c = cpu_seconds();
        let built = NotesIndex::build(&store)?;
        times.push(t.elapsed().as_secs_f64());
        cpu.push(cpu_seconds() - c);
        peaks.push(mib(PEAK.load(Ordering::Relaxed) - base));
        kept.push(mib(CURRENT.load(Ordering::Relaxed).saturating_sub(base)));
        ix = Some(built);
    }
    let ix = ix.expect("built");
    let (build_s, peak, size) = (median(&times), median(&peaks), median(&kept));
    println!("  index: {} notes, {} distinct words, to position {}", ix.len(), ix.terms(), ix.head());
    let extra = format!("(runs: {}; CPU seconds, all threads: {})", fmt_list(&times, 2), fmt_list(&cpu, 2));
    ok &= report("build", build_s, "s", TARGET_BUILD_S, &extra);
    ok &= report("build peak heap", peak, "MiB", TARGET_BUILD_MIB, &format!("(kept after: {size:.0} MiB)"));

    if std::env::var("PARLOG_BENCH_NOTES_SEARCH").as_deref() == Ok("0") {
        store.close();
        return Ok(ok);
    }
    // Searches.
    let words = vocabulary(&mut fastrand::Rng::with_seed(SEED));
    let mut rng = fastrand::Rng::with_seed(SEED ^ 0x5eed);
    let first = NaiveDate::from_ymd_opt(2015, 1, 1).expect("a day");
    let kinds: [(&str, MakeQuery); 4] = [
        (
            "two words + area + a year",
            Box::new(|r| {
                let from = first + chrono::Duration::days(r.i64(0..3000));
                NoteQuery {
                    words: vec![words[r.usize(..200)].clone(), zipf_word(r, &words).into()],
                    area: Some(stream(&format!("area:wijk-{}", r.usize(..AREAS)))),
                    from: Some(from),
                    to: Some(from + chrono::Duration::days(365)),
                    limit: PAGE,
                    ..NoteQuery::default()
                }
            }),
        ),
        (
            "one common word",
            Box::new(|r| NoteQuery { words: vec![words[r.usize(..10)].clone()], limit: PAGE, ..NoteQuery::default() }),
        ),
        (
            "a prefix (3 letters)",
            Box::new(|r| {
                let w = &words[r.usize(..VOCABULARY_WORDS)];
                NoteQuery { words: vec![w.chars().take(3).collect()], limit: PAGE, ..NoteQuery::default() }
            }),
        ),
        (
            "filters only: area + kind + author",
            Box::new(|r| NoteQuery {
                area: Some(stream(&format!("area:wijk-{}", r.usize(..AREAS)))),
                kinds: vec![NoteKind::Observation],
                author: Some(ParticipantId::parse(&format!("makelaar-{}", r.usize(..AUTHORS))).expect("an id")),
                limit: PAGE,
                ..NoteQuery::default()
            }),
        ),
    ];
    println!("  searches: {QUERIES} queries of each kind, p50/p99 per run, median of {REPS} runs");
    for (name, make) in &kinds {
        let queries: Vec<NoteQuery> = (0..QUERIES).map(|_| make(&mut rng)).collect();
        let (mut p50s, mut p99s, mut a50s, mut a99s, mut totals) = (vec![], vec![], vec![], vec![], vec![]);
        for _ in 0..REPS {
            let mut search = Vec::with_capacity(QUERIES);
            let mut answer = Vec::with_capacity(QUERIES);
            for q in &queries {
                let t = Instant::now();
                let found = ix.search(q, true);
                search.push(t.elapsed().as_secs_f64() * 1e3);
                let page = notes::page_json(&ix, &store, &found, true, Lang::Nl)?;
                answer.push(t.elapsed().as_secs_f64() * 1e3);
                totals.push(found.total as f64);
                std::hint::black_box(page);
            }
            p50s.push(percentile(&mut search, 0.50));
            p99s.push(percentile(&mut search, 0.99));
            a50s.push(percentile(&mut answer, 0.50));
            a99s.push(percentile(&mut answer, 0.99));
        }
        let found = median(&totals);
        println!(
            "    {name}: search p50 {:.2} ms, p99 {:.2} ms; with the page of {PAGE} read: p50 {:.2} ms, p99 {:.2} ms (median found: {found:.0})",
            median(&p50s),
            median(&p99s),
            median(&a50s),
            median(&a99s)
        );
        ok &= report(&format!("{name}: search p99"), median(&p99s), "ms", TARGET_SEARCH_P99_MS, "");
    }
    store.close();
    Ok(ok)
}

fn report(what: &str, value: f64, unit: &str, target: f64, extra: &str) -> bool {
    let met = value <= target;
    println!("  {what}: {value:.2} {unit} (target ≤ {target} {unit}: {}) {extra}", if met { "met" } else { "MISSED" });
    met
}

fn fmt_list(v: &[f64], digits: usize) -> String {
    v.iter().map(|x| format!("{x:.digits$}")).collect::<Vec<_>>().join(", ")
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

fn stream(s: &str) -> StreamId {
    StreamId::parse(s).expect("a stream id")
}

// ---- the generated log ----

/// Dutch-like words: syllables put together, a few with accents; the first are the most common.
fn vocabulary(rng: &mut fastrand::Rng) -> Vec<String> {
    const COMMON: [&str; 24] = [
        "de",
        "het",
        "een",
        "en",
        "van",
        "buurt",
        "bewoners",
        "met",
        "niet",
        "makelaar",
        "gesprek",
        "wil",
        "ook",
        "koffie",
        "samen",
        "idee",
        "café",
        "coöperatie",
        "financiën",
        "ideeën",
        "plein",
        "tuin",
        "school",
        "avond",
    ];
    const ONSET: [&str; 16] = ["b", "d", "g", "k", "v", "w", "z", "st", "sch", "br", "kl", "m", "n", "p", "r", "t"];
    const NUCLEUS: [&str; 10] = ["a", "e", "i", "o", "u", "aa", "ee", "oo", "ui", "ij"];
    const CODA: [&str; 10] = ["", "n", "r", "l", "k", "t", "s", "m", "rt", "nd"];
    let mut out: Vec<String> = COMMON.iter().map(|s| s.to_string()).collect();
    while out.len() < VOCABULARY_WORDS {
        let syllables = 2 + rng.usize(..2);
        let mut w = String::new();
        for _ in 0..syllables {
            w.push_str(ONSET[rng.usize(..ONSET.len())]);
            w.push_str(NUCLEUS[rng.usize(..NUCLEUS.len())]);
            w.push_str(CODA[rng.usize(..CODA.len())]);
        }
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// A word, the common ones far more often (about Zipf's law).
fn zipf_word<'a>(rng: &mut fastrand::Rng, words: &'a [String]) -> &'a str {
    let u = rng.f64();
    let i = ((words.len() as f64).powf(u) - 1.0) as usize;
    &words[i.min(words.len() - 1)]
}

struct Gen {
    rng: fastrand::Rng,
    words: Vec<String>,
    total: u64,
    emitted: u64,
    notes: Vec<(String, String)>,
    memos: u64,
    excerpts: u64,
    merges: usize,
}

impl Gen {
    fn new(total: u64) -> Gen {
        let mut rng = fastrand::Rng::with_seed(SEED);
        let words = vocabulary(&mut rng);
        Gen { rng, words, total, emitted: 0, notes: Vec::new(), memos: 0, excerpts: 0, merges: 0 }
    }

    fn text(&mut self, min: usize, max: usize) -> String {
        let n = min + self.rng.usize(..=max - min);
        let mut out = String::new();
        for i in 0..n {
            let w = zipf_word(&mut self.rng, &self.words);
            if i > 0 {
                out.push(if self.rng.u8(..12) == 0 { ',' } else { ' ' });
                if out.ends_with(',') {
                    out.push(' ');
                }
            }
            out.push_str(w);
        }
        out.push('.');
        out
    }

    /// The time of event `k`: the log spans ten years from 2015.
    fn when(&self) -> String {
        let day = NaiveDate::from_ymd_opt(2015, 1, 1).expect("a day")
            + chrono::Duration::days((self.emitted * 3650 / self.total.max(1)) as i64);
        format!("{day}T10:00:00+01:00")
    }

    fn event(&self, stream: &str, kind: &str, author: &str, payload: Value, sealed: Option<Value>) -> Value {
        let mut e =
            json!({"stream": stream, "kind": kind, "occurred_at": self.when(), "author": author, "payload": payload});
        if let Some(s) = sealed {
            e["sealed"] = s;
        }
        e
    }

    /// The events that set the study up.
    fn header(&mut self) -> Vec<Value> {
        let mut out = vec![self.event(
            "study:oosterveen",
            "StudyStarted",
            "onderzoeker-0",
            json!({"title": "Sociaal makelen in Oosterveen", "question": "Wat doet de makelaar?", "municipality": "Oosterveen", "levels": ["wijk"]}),
            None,
        )];
        out.push(self.event(
            "participant:onderzoeker-0",
            "ParticipantRegistered",
            "onderzoeker-0",
            json!({"label": "onderzoeker", "role": "researcher"}),
            None,
        ));
        for a in 0..AUTHORS {
            out.push(self.event(
                &format!("participant:makelaar-{a}"),
                "ParticipantRegistered",
                "onderzoeker-0",
                json!({"label": format!("makelaar {a}"), "role": "makelaar"}),
                None,
            ));
        }
        for a in 0..AREAS {
            out.push(self.event(
                &format!("area:wijk-{a}"),
                "AreaDefined",
                "onderzoeker-0",
                json!({"name": format!("Wijk {a}"), "kind": "neighbourhood"}),
                None,
            ));
            out.push(self.event(&format!("cycle:wijk-{a}"), "CycleOpened", "onderzoeker-0", json!({"study": "study:oosterveen", "level": "wijk", "area": format!("area:wijk-{a}"), "question": "Wat werkt?", "plan": "Kijken en vragen."}), None));
        }
        for c in 0..CODES {
            out.push(self.event(
                &format!("code:c-{c}"),
                "CodeDefined",
                "onderzoeker-0",
                json!({"name": format!("code {c}")}),
                None,
            ));
        }
        out
    }

    fn next(&mut self) -> Value {
        self.emitted += 1;
        let r = self.rng.u32(..1000);
        let author = format!("makelaar-{}", self.rng.usize(..AUTHORS));
        let area = self.rng.usize(..AREAS);
        let recent = |g: &mut Gen| -> Option<(String, String)> {
            let n = g.notes.len();
            (n > 0).then(|| g.notes[n - 1 - g.rng.usize(..n.min(2_000))].clone())
        };
        match r {
            0..=29 => {
                let (text, insight) = (self.text(20, 40), self.text(8, 16));
                self.event(
                    &format!("cycle:wijk-{area}"),
                    "ReflectionRecorded",
                    "onderzoeker-0",
                    json!({"summary": text, "insights": [{"kind": "tip", "text": insight}]}),
                    None,
                )
            }
            30..=49 => {
                self.memos += 1;
                let (title, text) = (self.text(2, 4), self.text(30, 60));
                let code = format!("code:c-{}", self.rng.usize(..CODES));
                self.event(
                    &format!("memo:m-{}", self.memos),
                    "MemoWritten",
                    "onderzoeker-0",
                    json!({"title": title, "text": text, "codes": [code]}),
                    None,
                )
            }
            50..=109 => match recent(self) {
                Some((id, _)) => {
                    self.excerpts += 1;
                    let start = self.rng.u32(..100);
                    let end = start + 20 + self.rng.u32(..60);
                    let codes = [format!("code:c-{}", self.rng.usize(..CODES))];
                    let coder = if self.rng.bool() { "onderzoeker-0".to_string() } else { author };
                    self.event(
                        &format!("coding:x-{}", self.excerpts),
                        "ExcerptCoded",
                        &coder,
                        json!({"source": id, "codes": codes, "start": start, "end": end}),
                        None,
                    )
                }
                None => self.observation(&author, area),
            },
            110..=114 => {
                match recent(self) {
                    Some((id, stream)) => {
                        let owner = stream.trim_start_matches("notes:").to_string();
                        let subject = format!("resident:r-{}", self.rng.usize(..SUBJECTS));
                        let text = self.text(40, 80);
                        self.event(&stream, "EventAmended", &owner, json!({"target": id, "reason": "Aangevuld.", "payload": {"area": format!("area:wijk-{area}")}}), Some(json!({"subjects": [subject], "text": text})))
                    }
                    None => self.observation(&author, area),
                }
            }
            115..=117 => match recent(self) {
                Some((id, stream)) => {
                    let owner = stream.trim_start_matches("notes:").to_string();
                    self.event(
                        &stream,
                        "EventRetracted",
                        &owner,
                        json!({"target": id, "reason": "Dubbel ingevoerd."}),
                        None,
                    )
                }
                None => self.observation(&author, area),
            },
            118 if self.merges < 5 && self.emitted > self.total / 2 => {
                self.merges += 1;
                let (into, merged) = (2 * self.merges, 2 * self.merges + 1);
                self.event(
                    &format!("code:c-{into}"),
                    "CodesMerged",
                    "onderzoeker-0",
                    json!({"merged": format!("code:c-{merged}")}),
                    None,
                )
            }
            _ => self.observation(&author, area),
        }
    }

    fn observation(&mut self, author: &str, area: usize) -> Value {
        let id = uuid::Uuid::from_u128(self.rng.u128(..)).to_string();
        let stream = format!("notes:{author}");
        let subject = format!("resident:r-{}", self.rng.usize(..SUBJECTS));
        let text = self.text(40, 80);
        let mut payload = json!({"area": format!("area:wijk-{area}")});
        if self.rng.u8(..4) == 0 {
            payload["cycle"] = json!(format!("cycle:wijk-{area}"));
        }
        if self.rng.u8(..3) == 0 {
            payload["health"] = json!(["participation"]);
        }
        if self.rng.u8(..10) == 0 {
            payload["codes"] = json!([format!("code:c-{}", self.rng.usize(..CODES))]);
        }
        if self.rng.u8(..5) == 0 {
            payload["topic"] = json!(self.text(2, 4));
        }
        self.notes.push((id.clone(), stream.clone()));
        let mut e = self.event(
            &stream,
            "ObservationRecorded",
            author,
            payload,
            Some(json!({"subjects": [subject], "text": text})),
        );
        e["id"] = json!(id);
        e
    }
}

fn ensure_log(root: &Path, events: u64) -> BenchResult<PathBuf> {
    let dir = root.join(format!("log-{events}"));
    let done = root.join(format!("log-{events}.done"));
    let stamp = format!("notes generator version {GENERATOR_VERSION}, seed {SEED:#x}, {events} events\n");
    if std::fs::read_to_string(&done).ok().as_deref() == Some(stamp.as_str()) {
        // A log that does not open (another run of this benchmark holds it, say) is an error,
        // never a reason to build it anew under that run.
        let store = SledStore::open(&dir)?;
        let head = store.head().position.0;
        store.close();
        if head >= events {
            println!("  log: {head} events in {} (reused)", dir.display());
            return Ok(dir);
        }
    }
    let _ = std::fs::remove_file(&done);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    println!("  log: building {events} events in {} ...", dir.display());
    let t = Instant::now();
    let store = SledStore::init(&dir)?;
    let mut g = Gen::new(events);
    let header = g.header();
    let n_header = header.len() as u64;
    append(&store, header)?;
    let mut left = events.saturating_sub(n_header);
    while left > 0 {
        let n = left.min(parlog_core::limits::BATCH_EVENTS_MAX as u64);
        let batch: Vec<Value> = (0..n).map(|_| g.next()).collect();
        append(&store, batch)?;
        left -= n;
    }
    let head = store.head().position.0;
    store.close();
    println!("  log: {head} events built in {:.0} s", t.elapsed().as_secs_f64());
    std::fs::write(&done, stamp)?;
    Ok(dir)
}

fn append(store: &SledStore, batch: Vec<Value>) -> BenchResult<()> {
    let events = batch
        .iter()
        .map(|v| NewEvent::from_json(&v.to_string(), &AuthorSource::FromBody).map_err(|e| format!("{e}: {v}")))
        .collect::<Result<Vec<_>, _>>()?;
    store.append(events).map_err(|e| format!("appending: {e}"))?;
    Ok(())
}
