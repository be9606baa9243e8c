//! The store against a plain in-memory model (a `Vec` of events, stream versions and an id index),
//! as redb fuzzes against a `BTreeMap`: random appends with right, wrong and absent expected
//! versions, retried and conflicting ids, and reopening; after every step the store must answer
//! what the model says. Plus many writers at once on one store.
//!
//! Every test here runs on both backends (the embedded store and PostgreSQL) from the same code,
//! the property test with fewer cases on PostgreSQL (each case is a database of its own). Only
//! `reopen_right_after_close_is_not_locked` is about sled alone (sled's I/O threads hold its file
//! lock a moment after closing); its PostgreSQL twin checks the key folder's lock the same way.

use std::collections::HashMap;
use std::sync::Arc;

use parlog_core::limits::PAGE_EVENTS_MAX;
use parlog_core::{
    AnyStore, AppendError, Appended, EventId, EventStore, Hash, Position, RecordedEvent, SealedView, StreamId,
    Timestamp,
};
use proptest::prelude::*;
use proptest::strategy::Union;
use serde_json::{json, Value};

use crate::support::{all_events, both_backends, event, setup_on, Backend, AUTHOR, OCCURRED_AT};

// ---- the operations -------------------------------------------------------------------------

/// The streams the operations write to, the kind each gets and how often it is chosen. Notes and
/// signals are open streams (made by their first event); areas and codes are created once and
/// then refuse creation. A signal names `area:a`, which may not exist yet. The weights make about
/// half the batches acceptable: one refused event refuses its whole batch, and accepted batches
/// are what build up a log to compare.
const STREAMS: &[(&str, &str, u32)] = &[
    ("notes:a", "ObservationRecorded", 4),
    ("notes:b", "ObservationRecorded", 4),
    ("signals:a", "SignalRaised", 2),
    ("area:a", "AreaDefined", 1),
    ("area:b", "AreaDefined", 1),
    ("code:a", "CodeDefined", 1),
];

#[derive(Debug, Clone)]
enum IdChoice {
    /// A new id.
    Fresh,
    /// Resubmit an earlier event (any event made so far, stored or not) exactly.
    Same(usize),
    /// An earlier event's id with other content.
    Different(usize),
}

#[derive(Debug, Clone)]
enum Expect {
    Absent,
    Right,
    /// The right version plus this (never 0; below 0 becomes +1).
    Wrong(i64),
}

#[derive(Debug, Clone)]
struct Spec {
    stream: usize,
    id: IdChoice,
    expected: Expect,
    sealed: bool,
}

#[derive(Debug, Clone)]
enum Op {
    Append(Vec<Spec>),
    Reopen,
}

fn spec() -> impl Strategy<Value = Spec> {
    let stream = Union::new_weighted(STREAMS.iter().enumerate().map(|(i, s)| (s.2, Just(i))).collect());
    let id = prop_oneof![
        8 => Just(IdChoice::Fresh),
        2 => any::<usize>().prop_map(IdChoice::Same),
        1 => any::<usize>().prop_map(IdChoice::Different),
    ];
    let expected = prop_oneof![
        5 => Just(Expect::Absent),
        3 => Just(Expect::Right),
        1 => prop_oneof![Just(-2i64), Just(-1), Just(1), Just(2)].prop_map(Expect::Wrong),
    ];
    (stream, id, expected, any::<bool>()).prop_map(|(stream, id, expected, sealed)| Spec {
        stream,
        id,
        expected,
        sealed,
    })
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        8 => prop::collection::vec(spec(), 1..=5).prop_map(Op::Append),
        1 => Just(Op::Reopen),
    ];
    prop::collection::vec(op, 1..24)
}

// ---- the model ------------------------------------------------------------------------------

/// One stored event of the model: its content is the JSON it was submitted as, without
/// `expected_version` (which is a condition on the append, not part of the event).
#[derive(Debug, Clone)]
struct ModelEvent {
    id: EventId,
    stream: String,
    stream_version: u64,
    content: Value,
}

#[derive(Debug, Default, Clone)]
struct Model {
    events: Vec<ModelEvent>,
    versions: HashMap<String, u64>,
    ids: HashMap<EventId, (Position, Value)>,
}

/// Why the model refuses a batch; the store's [`AppendError`] mapped to the same shape.
#[derive(Debug, Clone, PartialEq)]
enum Refusal {
    IdConflict { index: usize, id: EventId, position: Position },
    WrongVersion { index: usize, stream: String, expected: u64, current: u64 },
    Invalid { index: usize, field: String },
}

fn refusal(e: &AppendError) -> Refusal {
    match e {
        AppendError::IdConflict { index, id, position } => {
            Refusal::IdConflict { index: *index, id: *id, position: *position }
        }
        AppendError::WrongExpectedVersion { index, stream, expected, current } => {
            Refusal::WrongVersion { index: *index, stream: stream.to_string(), expected: *expected, current: *current }
        }
        AppendError::Invalid { index, error } => Refusal::Invalid { index: *index, field: error.field.clone() },
        other => panic!("the store failed where the model expects an answer: {other}"),
    }
}

/// A batch being checked against the model; its changes are kept apart in `pending` and join
/// the model only if the store accepted the batch too.
struct Tx<'a> {
    model: &'a Model,
    pending: Model,
    out: Vec<Appended>,
    refused: Option<Refusal>,
}

impl<'a> Tx<'a> {
    fn new(model: &'a Model) -> Self {
        Tx { model, pending: Model::default(), out: Vec::new(), refused: None }
    }

    fn version(&self, stream: &str) -> u64 {
        self.pending.versions.get(stream).or_else(|| self.model.versions.get(stream)).copied().unwrap_or(0)
    }

    fn id(&self, id: EventId) -> Option<&(Position, Value)> {
        self.pending.ids.get(&id).or_else(|| self.model.ids.get(&id))
    }

    fn version_at(&self, p: Position) -> u64 {
        let i = p.0 as usize - 1;
        let stored = self.model.events.len();
        self.model.events.get(i).unwrap_or_else(|| &self.pending.events[i - stored]).stream_version
    }

    /// The store's rules, in the store's order: a known id first (same content: the original
    /// place; other content: a conflict), then the stream rule, the expected version and the
    /// references. The first refused event refuses the batch.
    fn check(&mut self, content: &Value, expected: Option<u64>) {
        if self.refused.is_some() {
            return;
        }
        let index = self.out.len() + 1;
        let id = EventId::parse(content["id"].as_str().expect("events have ids")).expect("a valid id");
        let stream = content["stream"].as_str().expect("events have streams").to_string();
        let kind = content["kind"].as_str().expect("events have kinds");
        if let Some((position, stored)) = self.id(id) {
            let position = *position;
            if stored == content {
                let stream_version = self.version_at(position);
                self.out.push(Appended { id, position, stream_version, duplicate: true });
            } else {
                self.refused = Some(Refusal::IdConflict { index, id, position });
            }
            return;
        }
        let current = self.version(&stream);
        let creates = matches!(kind, "AreaDefined" | "CodeDefined");
        if creates && current > 0 {
            self.refused = Some(Refusal::Invalid { index, field: "stream".into() });
            return;
        }
        if let Some(expected) = expected.filter(|&e| e != current) {
            self.refused = Some(Refusal::WrongVersion { index, stream, expected, current });
            return;
        }
        if kind == "SignalRaised" && self.version("area:a") == 0 {
            self.refused = Some(Refusal::Invalid { index, field: "payload.area".into() });
            return;
        }
        let position = Position((self.model.events.len() + self.pending.events.len()) as u64 + 1);
        let stream_version = current + 1;
        self.pending.versions.insert(stream.clone(), stream_version);
        self.pending.ids.insert(id, (position, content.clone()));
        self.pending.events.push(ModelEvent { id, stream, stream_version, content: content.clone() });
        self.out.push(Appended { id, position, stream_version, duplicate: false });
    }

    fn result(&self) -> Result<Vec<Appended>, Refusal> {
        match &self.refused {
            Some(r) => Err(r.clone()),
            None => Ok(self.out.clone()),
        }
    }
}

impl Model {
    fn absorb(&mut self, accepted: Model) {
        self.events.extend(accepted.events);
        self.versions.extend(accepted.versions);
        self.ids.extend(accepted.ids);
    }
}

// ---- building events from the operations ----------------------------------------------------

/// Every event made so far (stored or not), for retries and conflicts; and a counter that makes
/// each new text unique.
#[derive(Default)]
struct Made {
    events: Vec<Value>,
    counter: u64,
}

impl Made {
    fn fresh(&mut self, spec: &Spec) -> Value {
        self.counter += 1;
        let n = self.counter;
        let (stream, kind, _) = STREAMS[spec.stream];
        let payload = match kind {
            "ObservationRecorded" => json!({ "topic": format!("onderwerp {n}") }),
            "SignalRaised" => json!({ "theme": format!("thema {n}"), "area": "area:a", "count": n % 7 + 1 }),
            "AreaDefined" => json!({ "name": format!("gebied {n}"), "kind": "neighbourhood" }),
            "CodeDefined" => json!({ "name": format!("code {n}") }),
            other => unreachable!("no payload for {other}"),
        };
        let mut e = json!({
            "id": EventId::new_random().to_string(),
            "stream": stream,
            "kind": kind,
            "occurred_at": OCCURRED_AT,
            "author": AUTHOR,
            "payload": payload,
        });
        if spec.sealed && kind == "ObservationRecorded" {
            e["sealed"] = json!({ "subjects": ["resident:r-1"], "text": format!("notitie {n}") });
        }
        e
    }

    /// The content of the event `spec` asks for.
    fn content(&mut self, spec: &Spec) -> Value {
        let content = match (&spec.id, self.events.len()) {
            (IdChoice::Fresh, _) | (_, 0) => self.fresh(spec),
            (IdChoice::Same(i), n) => self.events[i % n].clone(),
            (IdChoice::Different(i), n) => {
                let mut e = self.events[i % n].clone();
                self.counter += 1;
                let text = format!("anders {}", self.counter);
                let field = match e["kind"].as_str() {
                    Some("ObservationRecorded") => "topic",
                    Some("SignalRaised") => "theme",
                    _ => "name",
                };
                e["payload"][field] = json!(text);
                e
            }
        };
        self.events.push(content.clone());
        content
    }
}

fn expected_version(spec: &Spec, current: u64) -> Option<u64> {
    match spec.expected {
        Expect::Absent => None,
        Expect::Right => Some(current),
        Expect::Wrong(d) => Some(u64::try_from(current as i64 + d).unwrap_or(current + 1)),
    }
}

// ---- running and comparing ------------------------------------------------------------------

/// Appends one batch to the store and the model and checks that they answer alike.
fn run_append(store: &AnyStore, model: &mut Model, made: &mut Made, specs: &[Spec]) -> Result<(), TestCaseError> {
    let mut tx = Tx::new(model);
    let mut batch = Vec::new();
    for spec in specs {
        let content = made.content(spec);
        let stream = content["stream"].as_str().expect("a stream").to_string();
        let expected = expected_version(spec, tx.version(&stream));
        tx.check(&content, expected);
        let mut submitted = content.clone();
        if let Some(v) = expected {
            submitted["expected_version"] = json!(v);
        }
        batch.push(event(&submitted));
    }
    let want = tx.result();
    let got = store.append(batch).map_err(|e| refusal(&e));
    prop_assert_eq!(&got, &want, "the store and the model disagree about a batch of {:?}", specs);
    if want.is_ok() {
        let accepted = tx.pending;
        model.absorb(accepted);
    }
    Ok(())
}

/// Everything a reader can ask the store must match the model.
fn compare(store: &AnyStore, model: &Model) -> Result<(), TestCaseError> {
    let log = store.read_from(Position(1), PAGE_EVENTS_MAX).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(log.len(), model.events.len(), "events in the log");
    let mut prev = Hash::ZERO;
    for (i, (got, want)) in log.iter().zip(&model.events).enumerate() {
        prop_assert_eq!(got.position, Position(i as u64 + 1), "positions are gapless from 1");
        prop_assert_eq!(got.prev_hash, prev, "position {} links to the event before it", got.position);
        same_event(got, want)?;
        prev = got.hash;
    }

    let head = store.head();
    prop_assert_eq!(head.position, Position(model.events.len() as u64));
    prop_assert_eq!(head.hash, prev, "the head is the last event's hash");

    for (stream, _, _) in STREAMS {
        let id = StreamId::parse(stream).expect("a valid stream id");
        let got = store.read_stream(&id, 1, PAGE_EVENTS_MAX).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let want: Vec<&ModelEvent> = model.events.iter().filter(|e| e.stream == *stream).collect();
        prop_assert_eq!(got.len(), want.len(), "events in stream {}", stream);
        prop_assert_eq!(model.versions.get(*stream).copied().unwrap_or(0), want.len() as u64);
        for (v, (g, w)) in got.iter().zip(&want).enumerate() {
            prop_assert_eq!(g.stream_version, v as u64 + 1, "stream versions are gapless from 1");
            same_event(g, w)?;
        }
        if want.len() > 1 {
            let tail = store.read_stream(&id, 2, 1).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(tail.len(), 1);
            prop_assert_eq!(tail[0].id, want[1].id, "read_stream starts at the version asked for");
        }
    }

    for (id, (position, _)) in &model.ids {
        let got = store.get(*id).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(got.map(|e| e.position), Some(*position), "get({}) finds the event where it was stored", id);
    }
    let unknown = EventId::new_random();
    prop_assert!(store.get(unknown).map_err(|e| TestCaseError::fail(e.to_string()))?.is_none());

    let report = store.verify().map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(report.first_bad, None, "verify finds no damage");
    prop_assert_eq!(report.events, model.events.len() as u64);
    prop_assert_eq!(report.head, head);
    Ok(())
}

fn same_event(got: &RecordedEvent, want: &ModelEvent) -> Result<(), TestCaseError> {
    let c = &want.content;
    prop_assert_eq!(got.id, want.id);
    prop_assert_eq!(got.stream.as_str(), want.stream.as_str());
    prop_assert_eq!(got.stream_version, want.stream_version, "stream version of {}", got.id);
    prop_assert_eq!(got.kind.name(), c["kind"].as_str().expect("a kind"));
    let payload: Value = serde_json::from_str(&got.payload).expect("stored payloads are JSON");
    prop_assert_eq!(&payload, &c["payload"], "payload of {}", got.id);
    prop_assert_eq!(got.occurred_at, Timestamp::parse(OCCURRED_AT).expect("a valid time"));
    prop_assert_eq!(got.author.as_str(), AUTHOR);
    prop_assert_eq!(got.sealed.is_some(), c.get("sealed").is_some(), "sealed part of {}", got.id);
    Ok(())
}

/// The sealed texts must open to what was submitted, before and after reopening.
fn compare_sealed(store: &AnyStore, model: &Model) -> Result<(), TestCaseError> {
    let log = all_events(store);
    for (got, want) in log.iter().zip(&model.events) {
        let view = store.unseal(got).map_err(|e| TestCaseError::fail(e.to_string()))?;
        match (&view, want.content["sealed"]["text"].as_str()) {
            (SealedView::None, None) => {}
            (SealedView::Open(data), Some(text)) => {
                prop_assert_eq!(data.text.as_ref().map(|t| t.as_str()), Some(text));
            }
            (view, text) => {
                prop_assert!(false, "position {}: unsealed {:?}, expected text {:?}", got.position, view, text)
            }
        }
    }
    Ok(())
}

fn run(backend: Backend, ops: &[Op]) -> Result<(), TestCaseError> {
    let Some(t) = setup_on(backend) else { return Ok(()) };
    let mut t = t.discard_on_failure();
    let mut model = Model::default();
    let mut made = Made::default();
    for op in ops {
        match op {
            Op::Append(specs) => run_append(t.store(), &mut model, &mut made, specs)?,
            Op::Reopen => t.reopen(),
        }
        compare(t.store(), &model)?;
    }
    compare_sealed(t.store(), &model)?;
    // Ids of batches that were refused were never stored.
    for e in &made.events {
        let id = EventId::parse(e["id"].as_str().expect("an id")).expect("a valid id");
        if !model.ids.contains_key(&id) {
            prop_assert!(t.store().get(id).map_err(|e| TestCaseError::fail(e.to_string()))?.is_none());
        }
    }
    Ok(())
}

/// Each case opens a store and makes every append durable, so a few dozen cases are what the
/// suite can afford (fewer on PostgreSQL, where each case is a new database); failures are not
/// persisted to a file (the seed and the smallest case are printed instead).
fn model_config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, max_shrink_iters: 200, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(model_config(32))]
    #[test]
    fn store_answers_like_the_model_sled(ops in ops()) {
        run(Backend::Sled, &ops)?;
    }
}

proptest! {
    #![proptest_config(model_config(16))]
    #[test]
    fn store_answers_like_the_model_postgres(ops in ops()) {
        run(Backend::Postgres, &ops)?;
    }
}

// ---- many writers ---------------------------------------------------------------------------

const WRITERS: u64 = 8;
const APPENDS_PER_WRITER: u64 = 200;
const SHARED_STREAMS: u64 = 3;

both_backends!(
    concurrent_writers_get_gapless_positions_that_match_the_log,
    concurrent_retries_of_one_event_store_it_once,
    concurrent_events_with_one_id_and_different_content_store_one,
    of_writers_expecting_the_same_version_exactly_one_wins,
    reopen_right_after_close_is_not_locked,
    retries_of_events_from_before_a_reopen_stay_duplicates,
);

fn concurrent_writers_get_gapless_positions_that_match_the_log(b: Backend) {
    let Some(mut t) = setup_on(b) else { return };
    let store: Arc<AnyStore> = t.shared().clone();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = store.clone();
            std::thread::spawn(move || {
                let mut acks = Vec::new();
                for i in 0..APPENDS_PER_WRITER {
                    // Writers share streams, so stream versions are contended too.
                    let stream = format!("notes:gedeeld-{}", (w + i) % SHARED_STREAMS);
                    let e = json!({
                        "stream": stream,
                        "kind": "ObservationRecorded",
                        "occurred_at": OCCURRED_AT,
                        "author": AUTHOR,
                        "payload": { "topic": format!("schrijver {w} notitie {i}") },
                    });
                    let done = store.append(vec![event(&e)]).expect("append from a writer thread");
                    assert_eq!(done.len(), 1);
                    assert!(!done[0].duplicate);
                    acks.push((done[0].clone(), stream));
                }
                acks
            })
        })
        .collect();
    let acks: Vec<(Appended, String)> = writers.into_iter().flat_map(|w| w.join().expect("writer thread")).collect();
    drop(store);

    let total = WRITERS * APPENDS_PER_WRITER;
    for round in ["before reopening", "after reopening"] {
        let log = all_events(t.store());
        assert_eq!(log.len() as u64, total, "{round}: every acknowledged append is in the log");
        for (i, e) in log.iter().enumerate() {
            assert_eq!(e.position, Position(i as u64 + 1), "{round}: positions are 1..={total} without gaps");
        }
        for (ack, stream) in &acks {
            let e = &log[ack.position.0 as usize - 1];
            assert_eq!(e.id, ack.id, "{round}: position {} holds the event acknowledged there", ack.position);
            assert_eq!(e.stream.as_str(), stream);
            assert_eq!(e.stream_version, ack.stream_version, "{round}: the acknowledged stream version");
        }
        let mut versions: HashMap<&str, u64> = HashMap::new();
        for e in &log {
            let v = versions.entry(e.stream.as_str()).or_default();
            *v += 1;
            assert_eq!(e.stream_version, *v, "{round}: stream versions follow position order in {}", e.stream);
        }
        assert_eq!(versions.len() as u64, SHARED_STREAMS);
        let report = t.store().verify().expect("verify runs");
        assert_eq!(report.first_bad, None, "{round}: verify finds no damage");
        assert_eq!(report.events, total);
        t.reopen();
    }
}

/// Runs `f(thread)` on [`WRITERS`] threads that start together, so their appends tend to land in
/// one group commit, and returns what each got.
fn all_at_once<T: Send + 'static>(
    store: &Arc<AnyStore>,
    f: impl Fn(&AnyStore, u64) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let start = Arc::new(std::sync::Barrier::new(WRITERS as usize));
    let f = Arc::new(f);
    let threads: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (store, start, f) = (store.clone(), start.clone(), f.clone());
            std::thread::spawn(move || {
                start.wait();
                f(&store, w)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().expect("writer thread")).collect()
}

fn concurrent_retries_of_one_event_store_it_once(b: Backend) {
    let Some(t) = setup_on(b) else { return };
    let id = EventId::new_random();
    for round in 0..10 {
        let e = json!({
            "id": id.to_string(),
            "stream": "notes:herhaald",
            "kind": "ObservationRecorded",
            "occurred_at": OCCURRED_AT,
            "author": AUTHOR,
            "payload": { "topic": "dezelfde" },
        });
        let results =
            all_at_once(t.shared(), move |store, _| store.append(vec![event(&e)]).expect("a retry").remove(0));
        let stored: Vec<&Appended> = results.iter().filter(|a| !a.duplicate).collect();
        assert_eq!(stored.len(), if round == 0 { 1 } else { 0 }, "round {round}: the event is stored once");
        assert!(results.iter().all(|a| a.position == Position(1) && a.stream_version == 1), "{results:?}");
    }
    assert_eq!(t.store().head().position, Position(1));
}

fn concurrent_events_with_one_id_and_different_content_store_one(b: Backend) {
    let Some(t) = setup_on(b) else { return };
    let id = EventId::new_random();
    let results = all_at_once(t.shared(), move |store, w| {
        let e = json!({
            "id": id.to_string(),
            "stream": "notes:botsing",
            "kind": "ObservationRecorded",
            "occurred_at": OCCURRED_AT,
            "author": AUTHOR,
            "payload": { "topic": format!("schrijver {w}") },
        });
        store.append(vec![event(&e)])
    });
    let stored = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(stored, 1, "exactly one content wins the id: {results:?}");
    for r in &results {
        match r {
            Ok(done) => assert_eq!((done[0].position, done[0].duplicate), (Position(1), false)),
            Err(AppendError::IdConflict { index: 1, id: got, position: Position(1) }) if *got == id => {}
            Err(other) => panic!("expected IdConflict at position 1, got {other:?}"),
        }
    }
    assert_eq!(t.store().head().position, Position(1));
}

fn of_writers_expecting_the_same_version_exactly_one_wins(b: Backend) {
    let Some(t) = setup_on(b) else { return };
    for version in 0..10u64 {
        let results = all_at_once(t.shared(), move |store, w| {
            let e = json!({
                "stream": "notes:wedloop",
                "kind": "ObservationRecorded",
                "occurred_at": OCCURRED_AT,
                "author": AUTHOR,
                "expected_version": version,
                "payload": { "topic": format!("versie {version} schrijver {w}") },
            });
            store.append(vec![event(&e)])
        });
        let winners: Vec<&Vec<Appended>> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(winners.len(), 1, "at version {version} one writer wins: {results:?}");
        assert_eq!(winners[0][0].stream_version, version + 1);
        for r in &results {
            if let Err(e) = r {
                assert!(
                    matches!(e, AppendError::WrongExpectedVersion { expected, current, .. } if *expected == version && *current == version + 1),
                    "the others are told the new version: {e:?}"
                );
            }
        }
    }
    assert_eq!(t.store().head().position, Position(10));
    assert_eq!(t.store().verify().expect("verify").first_bad, None);
}

/// Pins down a bug in core: `SledStore::close` returns before sled has let go of its file lock
/// (sled's I/O threads hold the database file a moment longer than the last `Db` handle), so
/// opening the folder right after closing it sometimes fails with "in use by another parlog
/// process" although nothing has it open. `support::TestStore::try_open` waits this out.
/// On PostgreSQL the lock is the key folder's flock, which closing must let go of at once.
fn reopen_right_after_close_is_not_locked(b: Backend) {
    let Some(t) = setup_on(b) else { return };
    let mut t = t.discard_on_failure();
    t.close();
    for round in 0..REOPEN_ROUNDS {
        let store = t.open_once().unwrap_or_else(|e| panic!("round {round}: {e}"));
        let e = json!({
            "stream": "notes:heropenen",
            "kind": "ObservationRecorded",
            "occurred_at": OCCURRED_AT,
            "author": AUTHOR,
            "payload": { "topic": format!("ronde {round}") },
        });
        store.append(vec![event(&e)]).expect("append");
        store.close();
    }
}

const REOPEN_ROUNDS: u32 = 300;

/// The writer knows which ids are in the log from a scan of the id index that starts with the
/// first append after opening and runs beside it; retries of events from before the reopen must
/// be recognised while the scan runs and after it is done, and new events must still be new.
fn retries_of_events_from_before_a_reopen_stay_duplicates(b: Backend) {
    let Some(mut t) = setup_on(b) else { return };
    let note = |i: usize| {
        event(&json!({
            "id": uuid::Uuid::from_u128(0x5ca1ab1e_0000_4000_8000_000000000000 + i as u128).to_string(),
            "stream": format!("notes:scan{}", i % 7),
            "kind": "ObservationRecorded",
            "occurred_at": OCCURRED_AT,
            "author": AUTHOR,
            "payload": { "topic": format!("notitie {i}") },
        }))
    };
    let before: Vec<Appended> = (0..300).flat_map(|i| t.store().append(vec![note(i)]).expect("append")).collect();
    t.reopen();
    for round in 0..40 {
        for (i, original) in before.iter().enumerate().step_by(13) {
            let again = t.store().append(vec![note(i)]).expect("a retry is accepted");
            assert!(again[0].duplicate, "round {round}: the retry of event {i} is a duplicate");
            assert_eq!(again[0].position, original.position, "round {round}: at its original position");
        }
        let fresh = t.store().append(vec![note(1_000 + round)]).expect("a new event");
        assert!(!fresh[0].duplicate, "round {round}: a new id is new");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(t.store().head().position, Position(340));
}
