//! The domain rules of an append, through the pure decide step: no threads, no disk. Given the
//! events already decided (a `MemoryLog`), when one more event (or batch) is decided, then it is
//! staged as expected or refused with the exact `AppendError`.

use parlog_core::limits::{BATCH_EVENTS_MAX, RECORD_BYTES_MAX};
use parlog_core::{
    decide, decide_batch, AppendError, Appended, Decided, Env, EventId, EventKind, FieldError, Hash, Known, MemoryLog,
    NewEvent, Origin, Overlay, Position, Staged, StreamId, SubjectId, SubjectKey, Timestamp,
};
use serde_json::{json, Value};

use crate::support::{area_defined, base_chain, cycle_opened, ev, event, observation, reflection, study_started};

/// A clock that stands still and keys that count up: deciding the same thing twice gives the
/// same bytes.
struct TestEnv {
    now: Timestamp,
    keys_made: u8,
}

impl TestEnv {
    fn new() -> TestEnv {
        TestEnv { now: Timestamp::parse("2024-03-02T10:00:00Z").expect("a time"), keys_made: 0 }
    }
}

impl Env for TestEnv {
    fn now(&mut self) -> Timestamp {
        self.now
    }
    fn new_subject_key(&mut self) -> SubjectKey {
        self.keys_made += 1;
        [self.keys_made; 32]
    }
}

/// A log holding the base chain (study:x, area:noord, participant:m1, and at position 4 a field
/// note on notes:m1 sealed under resident:r-1), with fixed ids, plus `more`.
fn given(more: &[Value]) -> (MemoryLog, TestEnv) {
    let mut log = MemoryLog::new();
    let mut env = TestEnv::new();
    let base: Vec<Value> =
        base_chain().into_iter().enumerate().map(|(i, e)| with(e, "id", json!(fixed_id(i as u128 + 1)))).collect();
    log.append(events(&base), &mut env).expect("the base chain is accepted");
    if !more.is_empty() {
        log.append(events(more), &mut env).expect("the given events are accepted");
    }
    (log, env)
}

fn fixed_id(n: u128) -> EventId {
    EventId(uuid::Uuid::from_u128(n))
}

fn events(values: &[Value]) -> Vec<NewEvent> {
    values.iter().map(event).collect()
}

fn with(mut e: Value, field: &str, value: Value) -> Value {
    e[field] = value;
    e
}

fn note(stream: &str, payload: Value) -> Value {
    let mut p = json!({ "area": "area:noord" });
    p.as_object_mut().expect("an object").extend(payload.as_object().expect("an object").clone());
    ev(stream, "ObservationRecorded", p)
}

fn forgotten(subject: &str) -> NewEvent {
    event(&ev("privacy:subjects", "SubjectForgotten", json!({ "subject": subject, "requested_by": "onderzoeker-1" })))
}

fn id_at(log: &MemoryLog, p: u64) -> EventId {
    log.events()[p as usize - 1].event.id
}

/// Decides one client event; expects it accepted.
fn staged(log: &MemoryLog, env: &mut TestEnv, e: &Value) -> Staged {
    match decide(event(e), 1, Origin::Client, log, env) {
        Ok(Decided::New(s)) => s,
        other => panic!("expected a new event, got {other:?}"),
    }
}

/// Decides one client event; expects a refusal.
fn refused(log: &MemoryLog, env: &mut TestEnv, e: &Value) -> AppendError {
    match decide(event(e), 1, Origin::Client, log, env) {
        Err(e) => e,
        Ok(d) => panic!("expected a refusal, got {d:?}"),
    }
}

/// Checks a refusal about one field of event `index`, with the whole message.
fn is_field_error(e: AppendError, index: usize, field: &str, message: &str) {
    match e {
        AppendError::Invalid { index: i, error } => {
            assert_eq!((i, error), (index, FieldError::new(field, message)));
        }
        other => panic!("expected an error about field `{field}`, got {other:?}"),
    }
}

// ---- accepted events: the record, the chain, determinism ----------------------------------------

#[test]
fn an_accepted_event_continues_the_chain() {
    let (log, mut env) = given(&[]);
    let head = log.head();
    let s = staged(&log, &mut env, &note("notes:m1", json!({})));
    let e = &s.event;
    assert_eq!((e.position, e.stream_version, e.prev_hash), (Position(5), 2, head.hash));
    assert_eq!((e.kind, e.schema_version), (EventKind::ObservationRecorded, 1));
    assert_eq!(e.recorded_at, env.now, "recorded at the time the environment gives");
    assert_eq!(e.hash, e.compute_hash(), "the hash covers the record");
    assert_ne!(e.hash, Hash::ZERO);
    assert_eq!(s.record, e.encode(), "the stored bytes are the record's");
    assert_eq!(s.appended(), Appended { id: e.id, position: Position(5), stream_version: 2, duplicate: false });
    assert_eq!((s.ciphertext, s.new_keys, s.forgets), (None, Vec::new(), None));
    assert_eq!(s.retry.sealed_mac, [0; 32], "no sealed part, no mac");
}

#[test]
fn deciding_is_deterministic() {
    let e = with(note("notes:m1", json!({})), "id", json!(fixed_id(10)));
    let sealed = with(observation("notes:m2", "area:noord", &["resident:r-2"], "Tekst."), "id", json!(fixed_id(11)));
    let decided: Vec<Vec<Staged>> = (0..2)
        .map(|_| {
            let (mut log, mut env) = given(&[]);
            let a = staged(&log, &mut env, &e);
            log.apply(a.clone());
            vec![a, staged(&log, &mut env, &sealed)]
        })
        .collect();
    assert_eq!(decided[0], decided[1], "the same log, event, time and keys give the same bytes");
}

#[test]
fn the_store_can_write_its_own_events() {
    let (log, mut env) = given(&[]);
    match decide(forgotten("resident:r-1"), 1, Origin::Store, &log, &mut env) {
        Ok(Decided::New(s)) => {
            assert_eq!(s.forgets, Some(SubjectId::parse("resident:r-1").expect("a subject id")));
            assert_eq!(s.event.stream.as_str(), "privacy:subjects");
        }
        other => panic!("expected a new event, got {other:?}"),
    }
}

// ---- retries by id --------------------------------------------------------------------------------

#[test]
fn a_retry_with_the_same_content_answers_with_the_earlier_place() {
    let id = EventId::new_random();
    let e = with(observation("notes:m1", "area:noord", &["resident:r-1"], "Zelfde tekst."), "id", json!(id));
    let (log, mut env) = given(std::slice::from_ref(&e));
    env.now = Timestamp::parse("2030-01-01T00:00:00Z").expect("a time");
    let d = decide(event(&e), 1, Origin::Client, &log, &mut env).expect("a retry is accepted");
    assert_eq!(d, Decided::Duplicate(Appended { id, position: Position(5), stream_version: 2, duplicate: true }));
}

#[test]
fn a_retry_with_other_content_is_a_conflict() {
    let (log, mut env) = given(&[]);
    let id = id_at(&log, 4);
    let e = refused(&log, &mut env, &with(note("notes:m1", json!({ "topic": "iets anders" })), "id", json!(id)));
    assert!(matches!(e, AppendError::IdConflict { index: 1, id: got, position: Position(4) } if got == id), "{e:?}");
}

#[test]
fn a_retry_with_other_sealed_text_is_a_conflict() {
    let id = EventId::new_random();
    let e = with(observation("notes:m1", "area:noord", &["resident:r-1"], "Zelfde tekst."), "id", json!(id));
    let (log, mut env) = given(std::slice::from_ref(&e));
    let mut changed = e;
    changed["sealed"]["text"] = json!("Andere tekst.");
    let err = refused(&log, &mut env, &changed);
    assert!(matches!(err, AppendError::IdConflict { position: Position(5), .. }), "{err:?}");
}

#[test]
fn a_retry_after_its_subject_was_forgotten_is_judged_by_its_open_part() {
    let id = EventId::new_random();
    let e = with(observation("notes:m1", "area:noord", &["resident:r-2"], "Tekst."), "id", json!(id));
    let (mut log, mut env) = given(std::slice::from_ref(&e));
    let Decided::New(forget) = decide(forgotten("resident:r-2"), 1, Origin::Store, &log, &mut env).expect("forget")
    else {
        panic!("a new event")
    };
    log.apply(forget);
    let mut other_text = e.clone();
    other_text["sealed"]["text"] = json!("Andere tekst.");
    // The key is gone, so the sealed text cannot be compared; the open part is the same.
    let d = decide(event(&other_text), 1, Origin::Client, &log, &mut env).expect("a retry");
    assert!(matches!(d, Decided::Duplicate(Appended { position: Position(5), .. })), "{d:?}");
    let err = refused(&log, &mut env, &with(e, "occurred_at", json!("2024-03-02T09:00:00+01:00")));
    assert!(matches!(err, AppendError::IdConflict { position: Position(5), .. }), "{err:?}");
}

#[test]
fn a_retry_within_the_batch_answers_with_the_first() {
    let (log, mut env) = given(&[]);
    let e = with(note("notes:m1", json!({})), "id", json!(EventId::new_random()));
    let (decided, _) = decide_batch(events(&[e.clone(), e]), &log, &mut env).expect("accepted");
    assert!(matches!(&decided[0], Decided::New(s) if s.event.position == Position(5)));
    assert!(matches!(&decided[1], Decided::Duplicate(a) if a.position == Position(5)), "{:?}", decided[1]);
}

// ---- expected_version -----------------------------------------------------------------------------

#[test]
fn expected_version_must_be_the_streams() {
    let (log, mut env) = given(&[]);
    let e = refused(&log, &mut env, &with(note("notes:m1", json!({})), "expected_version", json!(0)));
    match e {
        AppendError::WrongExpectedVersion { index: 1, stream, expected: 0, current: 1 } => {
            assert_eq!(stream, StreamId::parse("notes:m1").expect("a stream id"))
        }
        other => panic!("expected WrongExpectedVersion, got {other:?}"),
    }
    let s = staged(&log, &mut env, &with(note("notes:m1", json!({})), "expected_version", json!(1)));
    assert_eq!(s.event.stream_version, 2);
}

#[test]
fn expected_version_in_a_batch_counts_the_events_before() {
    let (log, mut env) = given(&[]);
    let first = with(note("notes:m1", json!({})), "expected_version", json!(1));
    let second = with(note("notes:m1", json!({})), "expected_version", json!(1));
    match decide_batch(events(&[first, second]), &log, &mut env) {
        Err(AppendError::WrongExpectedVersion { index: 2, expected: 1, current: 2, .. }) => {}
        other => panic!("expected the second event to be at the wrong version, got {other:?}"),
    }
}

// ---- stream rules ---------------------------------------------------------------------------------

#[test]
fn a_stream_is_created_once() {
    let (log, mut env) = given(&[]);
    is_field_error(
        refused(&log, &mut env, &area_defined("area:noord")),
        1,
        "stream",
        "stream area:noord already exists (version 1); AreaDefined starts a new stream: choose another name",
    );
    assert_eq!(staged(&log, &mut env, &area_defined("area:zuid")).event.stream_version, 1);
}

#[test]
fn an_event_about_an_existing_thing_needs_its_stream() {
    let (log, mut env) = given(&[]);
    is_field_error(
        refused(&log, &mut env, &ev("cycle:nergens", "CycleClosed", json!({ "outcome": "Klaar." }))),
        1,
        "stream",
        "stream cycle:nergens does not exist; start it first with CycleOpened",
    );
}

#[test]
fn an_open_stream_starts_with_its_first_event_of_the_right_category() {
    let (log, mut env) = given(&[]);
    assert_eq!(staged(&log, &mut env, &note("notes:nieuw", json!({}))).event.stream_version, 1);
    is_field_error(
        refused(&log, &mut env, &note("signals:noord", json!({}))),
        1,
        "stream",
        "ObservationRecorded is written to a `notes:` stream such as \"notes:voorbeeld\", got \"signals:noord\"",
    );
}

#[test]
fn events_the_store_writes_are_refused_from_clients() {
    let (log, mut env) = given(&[]);
    match decide(forgotten("resident:r-1"), 1, Origin::Client, &log, &mut env) {
        Err(e) => is_field_error(e, 1, "kind", "SubjectForgotten is written by parlog itself, not appended"),
        Ok(d) => panic!("expected a refusal, got {d:?}"),
    }
}

#[test]
fn a_correction_goes_to_the_stream_of_the_event_it_corrects() {
    let (log, mut env) = given(&[]);
    let target = id_at(&log, 4);
    let retraction =
        |stream: &str, target: EventId| ev(stream, "EventRetracted", json!({ "target": target, "reason": "dubbel" }));
    is_field_error(
        refused(&log, &mut env, &retraction("notes:m2", target)),
        1,
        "stream",
        "a correction is written to the stream of the event it corrects: notes:m1",
    );
    let s = staged(&log, &mut env, &retraction("notes:m1", target));
    assert_eq!((s.event.stream.as_str(), s.event.stream_version), ("notes:m1", 2));
    let ghost = EventId::new_random();
    is_field_error(
        refused(&log, &mut env, &retraction("notes:m1", ghost)),
        1,
        "payload.target",
        &format!("event {ghost} does not exist; give the id of the event to correct"),
    );
}

#[test]
fn a_correction_is_not_corrected() {
    let (mut log, mut env) = given(&[]);
    let first = staged(
        &log,
        &mut env,
        &ev("notes:m1", "EventRetracted", json!({ "target": id_at(&log, 4), "reason": "dubbel" })),
    );
    let retraction = first.event.id;
    log.apply(first);
    is_field_error(
        refused(&log, &mut env, &ev("notes:m1", "EventRetracted", json!({ "target": retraction, "reason": "toch" }))),
        1,
        "payload.target",
        &format!("event {retraction} is a EventRetracted, which cannot be corrected; correct the original event"),
    );
}

#[test]
fn an_amendment_is_checked_and_stored_as_its_target_kind_normalises_it() {
    let (log, mut env) = given(&[]);
    let target = id_at(&log, 4);
    let amend = |payload: Value| {
        ev("notes:m1", "EventAmended", json!({ "target": target, "payload": payload, "reason": "verkeerde wijk" }))
    };
    is_field_error(
        refused(&log, &mut env, &amend(json!({ "area": "area:nergens" }))),
        1,
        "payload.payload.area",
        "stream area:nergens does not exist; start it first with AreaDefined",
    );
    let s = staged(&log, &mut env, &amend(json!({ "area": "area:noord", "topic": "  speeltuin " })));
    let stored: Value = serde_json::from_str(&s.event.payload).expect("JSON");
    let again = parlog_core::DomainEvent::parse(EventKind::ObservationRecorded, &stored["payload"].to_string())
        .expect("the stored amendment parses as its target's kind");
    assert_eq!(stored["payload"], serde_json::from_str::<Value>(&again.to_json()).expect("JSON"), "normalised");
}

// ---- references -----------------------------------------------------------------------------------

#[test]
fn a_referenced_stream_exists_and_has_its_category() {
    let (log, mut env) = given(&[]);
    is_field_error(
        refused(&log, &mut env, &note("notes:m1", json!({ "area": "area:nergens" }))),
        1,
        "payload.area",
        "stream area:nergens does not exist; start it first with AreaDefined",
    );
    is_field_error(
        refused(&log, &mut env, &note("notes:m1", json!({ "area": "study:x" }))),
        1,
        "payload.area",
        "expected a `area:` stream such as \"area:voorbeeld\", got \"study:x\"",
    );
}

#[test]
fn a_referenced_event_exists_and_has_its_kind() {
    let (log, mut env) = given(&[cycle_opened("cycle:c1")]);
    let ghost = EventId::new_random();
    is_field_error(
        refused(&log, &mut env, &reflection("cycle:c1", &[id_at(&log, 4), ghost])),
        1,
        "payload.observations[1]",
        &format!("event {ghost} does not exist; refer only to events already in the log or earlier in this batch"),
    );
    let study = id_at(&log, 1);
    is_field_error(
        refused(&log, &mut env, &reflection("cycle:c1", &[study])),
        1,
        "payload.observations[0]",
        &format!("event {study} is a StudyStarted, expected ObservationRecorded"),
    );
}

#[test]
fn causation_names_events_that_exist() {
    let (log, mut env) = given(&[]);
    let ghost = EventId::new_random();
    is_field_error(
        refused(&log, &mut env, &with(note("notes:m1", json!({})), "causation", json!([id_at(&log, 1), ghost]))),
        1,
        "causation[1]",
        &format!("event {ghost} does not exist; refer only to events already in the log or earlier in this batch"),
    );
}

#[test]
fn a_reference_to_an_event_earlier_in_the_batch_is_accepted() {
    let (log, mut env) = given(&[cycle_opened("cycle:c1")]);
    let id = EventId::new_random();
    let batch = events(&[with(note("notes:m1", json!({})), "id", json!(id)), reflection("cycle:c1", &[id])]);
    let (decided, _) = decide_batch(batch, &log, &mut env).expect("accepted");
    assert_eq!(decided.iter().map(|d| d.appended().position.0).collect::<Vec<_>>(), vec![6, 7]);
}

// ---- sealing --------------------------------------------------------------------------------------

#[test]
fn personal_data_is_sealed_under_a_new_key_for_a_new_subject() {
    let (log, mut env) = given(&[]);
    let s = staged(&log, &mut env, &observation("notes:m1", "area:noord", &["resident:r-9"], "Geheim."));
    let r9 = SubjectId::parse("resident:r-9").expect("a subject id");
    assert_eq!(s.new_keys, vec![(r9.clone(), [2; 32])], "the environment's next key (the first went to r-1)");
    let meta = s.event.sealed.as_ref().expect("a sealed part");
    let ct = s.ciphertext.as_ref().expect("ciphertext");
    assert_eq!(meta.subjects, vec![r9]);
    assert_eq!((meta.ciphertext_bytes as usize, meta.digest), (ct.len(), Hash(*blake3::hash(ct).as_bytes())));
    assert!(!ct.windows(7).any(|w| w == b"Geheim."), "the text is not stored in the clear");
    assert!(!s.record.windows(7).any(|w| w == b"Geheim."), "nor in the record");
    assert_ne!(s.retry.sealed_mac, [0; 32]);
}

#[test]
fn a_known_subject_keeps_its_key() {
    let (log, mut env) = given(&[]);
    let s = staged(&log, &mut env, &observation("notes:m1", "area:noord", &["resident:r-1"], "Nog een."));
    assert_eq!(s.new_keys, Vec::new());
    assert_eq!(log.subject_key(&SubjectId::parse("resident:r-1").expect("id")).expect("known"), Some([1; 32]));
}

#[test]
fn a_subject_new_in_the_batch_gets_one_key() {
    let (log, mut env) = given(&[]);
    let batch = events(&[
        observation("notes:m1", "area:noord", &["resident:r-9"], "Een."),
        observation("notes:m1", "area:noord", &["resident:r-9"], "Twee."),
    ]);
    let (decided, _) = decide_batch(batch, &log, &mut env).expect("accepted");
    let keys: Vec<_> = decided
        .iter()
        .map(|d| match d {
            Decided::New(s) => s.new_keys.len(),
            Decided::Duplicate(_) => panic!("new events"),
        })
        .collect();
    assert_eq!(keys, vec![1, 0]);
}

#[test]
fn a_forgotten_subject_cannot_be_named_again() {
    let (mut log, mut env) = given(&[]);
    let Decided::New(forget) = decide(forgotten("resident:r-1"), 1, Origin::Store, &log, &mut env).expect("forget")
    else {
        panic!("a new event")
    };
    log.apply(forget);
    is_field_error(
        refused(&log, &mut env, &observation("notes:m1", "area:noord", &["resident:r-1"], "Weer.")),
        1,
        "sealed.subjects[0]",
        "data subject resident:r-1 was forgotten (position 5); its id cannot be used again: give the person a new subject id",
    );
}

// ---- limits and batches ---------------------------------------------------------------------------

#[test]
fn an_empty_batch_is_refused() {
    let (log, mut env) = given(&[]);
    assert!(matches!(decide_batch(Vec::new(), &log, &mut env), Err(AppendError::EmptyBatch)));
}

#[test]
fn a_batch_over_its_limit_is_refused() {
    let (log, mut env) = given(&[]);
    let batch: Vec<NewEvent> = (0..=BATCH_EVENTS_MAX).map(|_| event(&note("notes:m1", json!({})))).collect();
    match decide_batch(batch, &log, &mut env) {
        Err(AppendError::BatchTooLarge { events, max }) => {
            assert_eq!((events, max), (BATCH_EVENTS_MAX + 1, BATCH_EVENTS_MAX))
        }
        other => panic!("expected BatchTooLarge, got {other:?}"),
    }
}

#[test]
fn a_record_over_its_byte_limit_is_refused() {
    let (log, mut env) = given(&[]);
    let mut study = study_started("study:y");
    study["payload"]["question"] = json!("é".repeat(parlog_core::limits::LONG_TEXT_CHARS_MAX));
    study["payload"]["method"] = json!("é".repeat(parlog_core::limits::LONG_TEXT_CHARS_MAX));
    match refused(&log, &mut env, &study) {
        AppendError::Invalid { index: 1, error } => {
            assert_eq!(error.field, "payload");
            assert!(
                error.message.ends_with(&format!("bytes, over the limit of {RECORD_BYTES_MAX}; shorten it")),
                "{error}"
            );
        }
        other => panic!("expected the record limit, got {other:?}"),
    }
}

#[test]
fn a_refused_batch_leaves_nothing_behind() {
    let (mut log, mut env) = given(&[]);
    let before = log.clone().events().to_vec();
    let batch = events(&[
        area_defined("area:zuid"),
        observation("notes:m2", "area:zuid", &["resident:r-9"], "Nieuw."),
        note("notes:m1", json!({ "area": "area:nergens" })),
    ]);
    match log.append(batch, &mut env) {
        Err(e) => {
            is_field_error(e, 3, "payload.area", "stream area:nergens does not exist; start it first with AreaDefined")
        }
        Ok(done) => panic!("expected a refusal, got {done:?}"),
    }
    assert_eq!(log.events(), &before[..]);
    assert_eq!(log.stream_version(&StreamId::parse("area:zuid").expect("id")).expect("known"), 0);
    assert_eq!(log.subject_key(&SubjectId::parse("resident:r-9").expect("id")).expect("known"), None);
}

#[test]
fn batches_of_a_group_see_the_batches_before_them() {
    let (log, mut env) = given(&[]);
    let mut group = Overlay::new(&log);
    let (first, changes) =
        decide_batch(events(&[area_defined("area:zuid")]), &group, &mut env).expect("the first batch");
    group.absorb(changes);
    assert_eq!(group.head().position, Position(5));
    is_field_error(
        decide_batch(events(&[area_defined("area:zuid")]), &group, &mut env).expect_err("the stream exists now"),
        1,
        "stream",
        "stream area:zuid already exists (version 1); AreaDefined starts a new stream: choose another name",
    );
    let (second, _) = decide_batch(events(&[note("notes:m1", json!({ "area": "area:zuid" }))]), &group, &mut env)
        .expect("a reference to the group's earlier batch");
    let (Decided::New(a), Decided::New(b)) = (&first[0], &second[0]) else { panic!("new events") };
    assert_eq!((b.event.position, b.event.prev_hash), (Position(6), a.event.hash), "the chain runs across batches");
    assert_eq!(log.head().position, Position(4), "the log below is untouched");
}
