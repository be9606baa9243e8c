//! Bad input, one test per class of mistake: given a store with some events, when a client
//! submits something wrong, then it is refused with a message that names the field and the fix,
//! and the store is exactly as it was (head and log unchanged).
//!
//! Parse errors (shape, types, dates, enum values, text and list limits) come from
//! `NewEvent::from_json`, before the store sees anything; errors that need the log (references,
//! stream rules, versions, ids, batch limits) come from `append`. Those run on both backends
//! (the embedded store and PostgreSQL) from the same code; the parse errors never reach a store.

use parlog_core::limits::{BATCH_EVENTS_MAX, LIST_ITEMS_MAX, LONG_TEXT_CHARS_MAX, RECORD_BYTES_MAX, SEALED_BYTES_MAX};
use parlog_core::{
    AppendError, AuthorSource, EventId, EventKind, EventStore, FieldError, NewEvent, ParticipantId, Position, StreamId,
};
use serde_json::{json, Value};

use crate::support::{
    append, area_defined, base_chain, both_backends, cycle_opened, ev, event, observation, reflection, setup_on,
    snapshot, study_started, subject_keys, try_event, Backend, Snapshot, TestStore,
};

// ---- given / when / then ---------------------------------------------------------------------

/// A store holding the base chain (study:x, area:noord, participant:m1, a note on notes:m1 at
/// position 4) plus `more`, and what a reader sees of it.
struct Given {
    t: TestStore,
    before: Snapshot,
}

fn given(more: &[Value]) -> Given {
    given_on(Backend::Sled, more).expect("sled is always there")
}

/// [`given`] on `backend`; `None` when PostgreSQL is not there (and not required).
fn given_on(backend: Backend, more: &[Value]) -> Option<Given> {
    let t = setup_on(backend)?;
    append(t.store(), &base_chain());
    if !more.is_empty() {
        append(t.store(), more);
    }
    let before = snapshot(t.store());
    Some(Given { t, before })
}

/// Why a submitted batch was refused: one of its events did not parse, or the store said no.
#[derive(Debug)]
enum Refusal {
    /// `index` counts from 1, as the store's errors do.
    Parse {
        index: usize,
        error: FieldError,
    },
    Append(AppendError),
}

impl Given {
    /// Submits `batch` as a client would (parse each event, then append them as one batch), and
    /// expects a refusal.
    fn when(&self, batch: &[Value]) -> Refusal {
        let mut events = Vec::new();
        for (i, e) in batch.iter().enumerate() {
            match try_event(e) {
                Ok(e) => events.push(e),
                Err(error) => return Refusal::Parse { index: i + 1, error },
            }
        }
        match self.t.store().append(events) {
            Ok(done) => panic!("the batch was accepted, expected a refusal: {done:?}"),
            Err(e) => Refusal::Append(e),
        }
    }

    /// Nothing of a refused batch is stored.
    fn then_nothing_changed(&self) {
        assert_eq!(snapshot(self.t.store()), self.before, "a refused batch leaves the store as it was");
        let report = self.t.store().verify().expect("verify runs");
        assert_eq!(report.first_bad, None);
    }

    fn id_at(&self, p: u64) -> EventId {
        self.before.events[p as usize - 1].id
    }
}

impl Refusal {
    /// Checks a refusal about one field: which event, which field, and that the message holds
    /// each of `parts` (what was wrong, and how to put it right).
    fn is_field_error(&self, index: usize, field: &str, parts: &[&str]) {
        let (at, error, shown) = match self {
            Refusal::Parse { index, error } => (*index, error, error.to_string()),
            Refusal::Append(AppendError::Invalid { index, error }) => (*index, error, self.to_string()),
            Refusal::Append(other) => panic!("expected an error about field `{field}`, got: {other}"),
        };
        assert_eq!((at, error.field.as_str()), (index, field), "which event and field: {shown}");
        assert!(shown.contains(&format!("field `{field}`")), "the message names the field: {shown}");
        for part in parts {
            assert!(error.message.contains(part), "the message should contain {part:?}: {shown}");
        }
    }

    fn append_error(self) -> AppendError {
        match self {
            Refusal::Append(e) => e,
            Refusal::Parse { index, error } => panic!("event {index} did not parse, expected a store error: {error}"),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Parse { index, error } => write!(f, "event {index}: {error}"),
            Refusal::Append(e) => write!(f, "{e}"),
        }
    }
}

fn note(stream: &str, payload: Value) -> Value {
    ev(stream, "ObservationRecorded", payload)
}

fn with(mut e: Value, field: &str, value: Value) -> Value {
    e[field] = value;
    e
}

fn without(mut e: Value, field: &str) -> Value {
    e.as_object_mut().expect("an event is an object").remove(field);
    e
}

// ---- parse errors: the shape of one event -----------------------------------------------------

#[test]
fn unknown_kind_lists_the_known_kinds() {
    let g = given(&[]);
    let r = g.when(&[with(note("notes:m1", json!({})), "kind", json!("ObservationMade"))]);
    r.is_field_error(1, "kind", &["unknown event kind \"ObservationMade\"", "expected one of: StudyStarted"]);
    for kind in EventKind::ALL {
        assert!(r.to_string().contains(kind.name()), "the message lists {}: {r}", kind.name());
    }
    g.then_nothing_changed();
}

#[test]
fn missing_field_is_named() {
    let g = given(&[]);
    g.when(&[without(note("notes:m1", json!({})), "occurred_at")]).is_field_error(
        1,
        "event",
        &["missing field `occurred_at`"],
    );
    g.when(&[json!({ "stream": "area:zuid", "kind": "AreaDefined", "occurred_at": "2024-03-01T09:00:00+01:00",
        "author": "onderzoeker-1", "payload": { "name": "Zuid" } })])
        .is_field_error(1, "payload", &["missing field `kind`"]);
    g.when(&[without(note("notes:m1", json!({})), "author")]).is_field_error(
        1,
        "author",
        &["missing", "give the participant id of who wrote it, such as \"makelaar-noord-1\""],
    );
    g.then_nothing_changed();
}

#[test]
fn ill_typed_field_says_what_type_it_expects() {
    let g = given(&[]);
    let signal =
        ev("signals:noord", "SignalRaised", json!({ "theme": "eenzaamheid", "area": "area:noord", "count": "drie" }));
    g.when(&[signal]).is_field_error(1, "payload.count", &["invalid type: string \"drie\"", "expected u32"]);
    let title = with(
        study_started("study:y"),
        "payload",
        json!({ "title": 42, "question": "?", "municipality": "Stad", "levels": ["wijk"] }),
    );
    g.when(&[title]).is_field_error(1, "payload.title", &["invalid type: integer `42`", "expected a string"]);
    g.then_nothing_changed();
}

#[test]
fn bad_date_asks_for_rfc_3339_with_an_example() {
    let g = given(&[]);
    g.when(&[with(note("notes:m1", json!({})), "occurred_at", json!("gisteren"))]).is_field_error(
        1,
        "occurred_at",
        &["RFC 3339", "such as 2018-01-01T09:00:00+01:00", "got \"gisteren\""],
    );
    g.then_nothing_changed();
}

#[test]
fn unknown_enum_value_lists_the_allowed_values() {
    let g = given(&[]);
    let mut study = study_started("study:y");
    study["payload"]["levels"] = json!(["wijk", "gemeentee"]);
    g.when(&[study]).is_field_error(
        1,
        "payload.levels[1]",
        &["`gemeentee`", "expected one of `gemeente`, `functie`, `wijk`"],
    );
    let area = ev("area:zuid", "AreaDefined", json!({ "name": "Zuid", "kind": "wijk" }));
    g.when(&[area]).is_field_error(
        1,
        "payload.kind",
        &["`wijk`", "expected one of `city`, `district`, `neighbourhood`"],
    );
    g.then_nothing_changed();
}

#[test]
fn text_over_its_limit_says_the_limit() {
    let g = given(&[]);
    let mut study = study_started("study:y");
    study["payload"]["question"] = json!("v".repeat(LONG_TEXT_CHARS_MAX + 1));
    g.when(&[study]).is_field_error(
        1,
        "payload.question",
        &[
            &format!("{} characters", LONG_TEXT_CHARS_MAX + 1),
            &format!("over the limit of {LONG_TEXT_CHARS_MAX}"),
            "shorten it",
        ],
    );
    g.then_nothing_changed();
}

#[test]
fn text_at_its_limit_is_accepted() {
    let g = given(&[]);
    let mut study = study_started("study:y");
    study["payload"]["question"] = json!("v".repeat(LONG_TEXT_CHARS_MAX));
    append(g.t.store(), &[study]);
}

#[test]
fn list_over_its_limit_says_the_limit() {
    let g = given(&[]);
    let mut study = study_started("study:y");
    study["payload"]["partners"] = json!(vec!["partner"; LIST_ITEMS_MAX + 1]);
    g.when(&[study]).is_field_error(
        1,
        "payload.partners",
        &[&format!("{} items", LIST_ITEMS_MAX + 1), &format!("over the limit of {LIST_ITEMS_MAX}")],
    );
    g.then_nothing_changed();
}

/// The other parse errors of `NewEvent::from_json`: each with the field it names and parts of
/// its message. Each row changes one thing of a valid note.
#[test]
fn parse_errors_name_the_field() {
    let ok = || observation("notes:m1", "area:noord", &["resident:r-1"], "tekst");
    // Three-byte characters: within the text's character limit, over the sealed byte limit.
    let long_sealed = "€".repeat(SEALED_BYTES_MAX / 3 + 1);
    const { assert!(SEALED_BYTES_MAX / 3 < LONG_TEXT_CHARS_MAX) };
    let cases: Vec<(&str, Value, &str, Vec<String>)> = vec![
        (
            "an unknown envelope field",
            with(ok(), "colour", json!("rood")),
            "colour",
            vec!["unknown field `colour`".into(), "expected one of `id`, `stream`, `kind`".into()],
        ),
        (
            "an unknown payload field",
            with(ok(), "payload", json!({ "topik": "speeltuin" })),
            "payload.topik",
            vec!["unknown field `topik`".into(), "`topic`".into()],
        ),
        (
            "a stream without a known category",
            with(ok(), "stream", json!("notities:m1")),
            "stream",
            vec!["unknown stream category \"notities\"".into(), "notes".into()],
        ),
        (
            "a stream name with capitals",
            with(ok(), "stream", json!("notes:M1")),
            "stream",
            vec!["lower-case letters".into(), "\"M1\"".into()],
        ),
        (
            "an id that is not a UUID",
            with(ok(), "id", json!("abc")),
            "id",
            vec!["expected an event id (a UUID such as".into(), "got \"abc\"".into()],
        ),
        (
            "a causation that is not a UUID",
            with(ok(), "causation", json!(["vorige"])),
            "causation[0]",
            vec!["expected an event id".into()],
        ),
        (
            "a negative expected version",
            with(ok(), "expected_version", json!(-1)),
            "expected_version",
            vec!["-1".into()],
        ),
        (
            "an author that is a name",
            with(ok(), "author", json!("Jan Jansen")),
            "author",
            vec!["participant id".into(), "such as \"makelaar-noord-1\"".into(), "got \"Jan Jansen\"".into()],
        ),
        (
            "an empty text",
            with(ok(), "payload", json!({ "topic": " " })),
            "payload.topic",
            vec!["got an empty one; leave the field out".into()],
        ),
        (
            "a count out of range",
            ev("signals:noord", "SignalRaised", json!({ "theme": "t", "area": "area:noord", "count": 0 })),
            "payload.count",
            vec!["between 1 and 100000, got 0".into()],
        ),
        (
            "a study without levels",
            with(
                study_started("study:y"),
                "payload",
                json!({ "title": "t", "question": "q", "municipality": "m", "levels": [] }),
            ),
            "payload.levels",
            vec!["at least one level: gemeente, functie or wijk".into()],
        ),
        (
            "a sealed part with nothing in it",
            with(ok(), "sealed", json!({ "subjects": ["resident:r-1"] })),
            "sealed",
            vec!["needs at least one of text, quotes, names".into(), "leave `sealed` out".into()],
        ),
        (
            "a subject that is not a subject id",
            with(ok(), "sealed", json!({ "subjects": ["r-1"], "text": "t" })),
            "sealed.subjects[0]",
            vec!["`participant:<id>` or `resident:<id>`".into(), "got \"r-1\"".into()],
        ),
        (
            "a subject named twice",
            with(ok(), "sealed", json!({ "subjects": ["resident:r-1", "resident:r-1"], "text": "t" })),
            "sealed.subjects[1]",
            vec!["resident:r-1 is named twice".into()],
        ),
        (
            "no subjects",
            with(ok(), "sealed", json!({ "subjects": [], "text": "t" })),
            "sealed.subjects",
            vec!["expected 1 to 20 data subjects, got 0".into()],
        ),
        (
            "sealed data over its byte limit",
            with(ok(), "sealed", json!({ "subjects": ["resident:r-1"], "text": long_sealed })),
            "sealed",
            vec![format!("over the limit of {SEALED_BYTES_MAX}"), "split the note".into()],
        ),
        (
            "a payload that is not an object",
            with(ok(), "payload", json!("speeltuin")),
            "payload",
            vec!["expected the payload as a JSON object".into()],
        ),
    ];
    for (what, json, field, parts) in cases {
        let error = try_event(&json).expect_err(what);
        assert_eq!(error.field, field, "{what}: {error}");
        for part in &parts {
            assert!(error.message.contains(part.as_str()), "{what}: the message should contain {part:?}: {error}");
        }
    }
}

#[test]
fn an_author_fixed_by_the_caller_cannot_be_contradicted() {
    let me = ParticipantId::parse("makelaar-noord-1").expect("a participant id");
    let e = note("notes:m1", json!({})).to_string();
    let error = NewEvent::from_json(&e, &AuthorSource::Fixed(&me)).expect_err("another author in the body");
    assert_eq!(error.field, "author");
    assert!(error.message.contains("taken from your token (makelaar-noord-1)"), "{error}");
    assert!(error.message.contains("not onderzoeker-1"), "{error}");
    let without_author = without(note("notes:m1", json!({})), "author").to_string();
    let parsed = NewEvent::from_json(&without_author, &AuthorSource::Fixed(&me)).expect("the token's author is used");
    assert_eq!(parsed.author, me);
}

#[test]
fn input_that_is_not_an_event_object_is_refused() {
    for (input, part) in [
        ("42", "expected an event as a JSON object"),
        ("[]", "got an array"),
        ("", "EOF while parsing a value"),
        ("{not json", "key must be a string"),
    ] {
        let error = NewEvent::from_json(input, &AuthorSource::FromBody).expect_err(input);
        assert!(error.message.contains(part), "{input:?}: {error}");
    }
}

/// Regression: for input that is not a JSON object, `NewEvent::from_json` reported a syntax
/// error for field `?` with its place cut off, and named the private type `WireNewEvent` for a
/// non-object instead of saying that an event is a JSON object.
#[test]
fn input_that_is_not_an_event_object_gets_a_message_that_says_so() {
    let error = NewEvent::from_json("{not json", &AuthorSource::FromBody).expect_err("not JSON");
    assert_eq!(error.field, "event", "{error}");
    assert!(error.message.contains("line 1 column 2"), "a syntax error says where it is: {error}");
    let error = NewEvent::from_json("42", &AuthorSource::FromBody).expect_err("not an object");
    assert!(!error.message.contains("WireNewEvent"), "no private type names: {error}");
    assert!(error.message.contains("object"), "says that an event is a JSON object: {error}");
}

// ---- store errors: the event against the log -------------------------------------------------

// Every test of this part runs on both backends (`name::sled`, `name::postgres`).
both_backends!(
    reference_to_a_stream_that_does_not_exist,
    reference_to_a_stream_of_another_category,
    causation_naming_an_event_that_does_not_exist,
    reflection_on_an_observation_that_does_not_exist,
    reference_to_an_event_earlier_in_the_same_batch_is_accepted,
    stream_of_the_wrong_category,
    event_on_a_stream_that_was_never_started,
    creating_a_stream_twice,
    events_only_parlog_writes_are_refused,
    event_record_over_its_byte_limit,
    batch_over_its_limit,
    batch_at_its_limit_is_accepted,
    empty_batch,
    wrong_expected_version_says_the_current_version,
    id_conflict_names_where_the_id_is_stored,
    a_retried_event_is_not_stored_twice,
    a_batch_with_one_bad_event_stores_none_of_its_events,
);

fn reference_to_a_stream_that_does_not_exist(b: Backend) {
    let Some(g) = given_on(b, &[]) else { return };
    g.when(&[note("notes:m1", json!({ "area": "area:nergens" }))]).is_field_error(
        1,
        "payload.area",
        &["stream area:nergens does not exist", "start it first with AreaDefined"],
    );
    g.then_nothing_changed();
}

fn reference_to_a_stream_of_another_category(b: Backend) {
    let Some(g) = given_on(b, &[]) else { return };
    g.when(&[note("notes:m1", json!({ "area": "study:x" }))]).is_field_error(
        1,
        "payload.area",
        &["expected a `area:` stream such as \"area:voorbeeld\"", "got \"study:x\""],
    );
    g.then_nothing_changed();
}

fn causation_naming_an_event_that_does_not_exist(b: Backend) {
    let Some(g) = given_on(b, &[]) else { return };
    let ghost = EventId::new_random();
    let e = with(note("notes:m1", json!({})), "causation", json!([g.id_at(1), ghost]));
    g.when(&[e]).is_field_error(
        1,
        "causation[1]",
        &[&format!("event {ghost} does not exist"), "refer only to events already in the log or earlier in this batch"],
    );
    g.then_nothing_changed();
}

fn reflection_on_an_observation_that_does_not_exist(b: Backend) {
    let Some(g) = given_on(b, &[cycle_opened("cycle:c1")]) else { return };
    let ghost = EventId::new_random();
    g.when(&[reflection("cycle:c1", &[g.id_at(4), ghost])]).is_field_error(
        1,
        "payload.observations[1]",
        &[&format!("event {ghost} does not exist")],
    );
    // An event of another kind is no observation either.
    let study = g.id_at(1);
    g.when(&[reflection("cycle:c1", &[study])]).is_field_error(
        1,
        "payload.observations[0]",
        &[&format!("event {study} is a StudyStarted, expected ObservationRecorded")],
    );
    g.then_nothing_changed();
}

fn reference_to_an_event_earlier_in_the_same_batch_is_accepted(b: Backend) {
    let Some(g) = given_on(b, &[cycle_opened("cycle:c1")]) else { return };
    let id = EventId::new_random();
    let obs = with(note("notes:m1", json!({})), "id", json!(id));
    let done = append(g.t.store(), &[obs, reflection("cycle:c1", &[id])]);
    assert_eq!(done.len(), 2);
}

fn stream_of_the_wrong_category(b: Backend) {
    let Some(g) = given_on(b, &[]) else { return };
    g.when(&[note("signals:noord", json!({}))]).is_field_error(
        1,
        "stream",
        &["ObservationRecorded is written to a `notes:` stream such as \"notes:voorbeeld\"", "got \"signals:noord\""],
    );
    g.then_nothing_changed();
}

fn event_on_a_stream_that_was_never_started(b: Backend) {
    let Some(g) = given_on(b, &[]) else { return };
    g.when(&[ev("cycle:nergens", "CycleClosed", json!({ "outcome": "Klaar." }))]).is_field_error(
        1,
        "stream",
        &["stream cycle:nergens does not exist", "start it first with CycleOpened"],
    );
    g.then_nothing_changed();
}

fn creating_a_stream_twice(b: Backend) {
    let Some(g) = given_on(b, &[]) else { return };
    g.when(&[area_defined("area:noord")]).is_field_error(
        1,
        "stream",
        &["stream area:noord already exists (version 1)", "AreaDefined starts a new stream: choose another name"],
    );
    g.then_nothing_changed();
}

fn events_only_parlog_writes_are_refused(b: Backend) {
    let Some(g) = given_on(b, &[]) else { return };
    let forget = ev(
        "privacy:subjects",
        "SubjectForgotten",
        json!({ "subject": "resident:r-1", "requested_by": "onderzoeker-1" }),
    );
    g.when(&[forget]).is_field_error(1, "kind", &["SubjectForgotten is written by parlog itself"]);
    g.then_nothing_changed();
}

fn event_record_over_its_byte_limit(b: Backend) {
    // Two long texts of two-byte characters: each within its character limit, together over the
    // record's byte limit.
    let Some(g) = given_on(b, &[]) else { return };
    let mut study = study_started("study:y");
    study["payload"]["question"] = json!("é".repeat(LONG_TEXT_CHARS_MAX));
    study["payload"]["method"] = json!("é".repeat(LONG_TEXT_CHARS_MAX));
    const { assert!(4 * LONG_TEXT_CHARS_MAX > RECORD_BYTES_MAX, "the texts are over the record limit together") };
    g.when(&[study]).is_field_error(1, "payload", &[&format!("over the limit of {RECORD_BYTES_MAX}"), "shorten it"]);
    g.then_nothing_changed();
}

fn batch_over_its_limit(b: Backend) {
    let Some(g) = given_on(b, &[]) else { return };
    let batch: Vec<Value> =
        (0..=BATCH_EVENTS_MAX).map(|i| note("notes:m1", json!({ "topic": format!("{i}") }))).collect();
    let e = g.when(&batch).append_error();
    assert!(
        matches!(e, AppendError::BatchTooLarge { events, max } if events == BATCH_EVENTS_MAX + 1 && max == BATCH_EVENTS_MAX),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(msg.contains(&format!("{} events, over the limit of {BATCH_EVENTS_MAX}", BATCH_EVENTS_MAX + 1)), "{msg}");
    assert!(msg.contains("split it into smaller batches"), "{msg}");
    assert!(e.is_client_error() && !e.is_conflict());
    g.then_nothing_changed();
}

fn batch_at_its_limit_is_accepted(b: Backend) {
    let Some(g) = given_on(b, &[]) else { return };
    let batch: Vec<Value> =
        (0..BATCH_EVENTS_MAX).map(|i| note("notes:m1", json!({ "topic": format!("{i}") }))).collect();
    let done = append(g.t.store(), &batch);
    assert_eq!(done.len(), BATCH_EVENTS_MAX);
    assert_eq!(g.t.store().head().position, Position(4 + BATCH_EVENTS_MAX as u64));
}

fn empty_batch(b: Backend) {
    let Some(g) = given_on(b, &[]) else { return };
    let e = g.when(&[]).append_error();
    assert!(matches!(e, AppendError::EmptyBatch), "{e:?}");
    assert!(e.to_string().contains("the batch is empty; give at least one event"), "{e}");
    g.then_nothing_changed();
}

fn wrong_expected_version_says_the_current_version(b: Backend) {
    let Some(g) = given_on(b, &[]) else { return };
    let notes = StreamId::parse("notes:m1").expect("a stream id");
    for (index, expected) in [(1, 5u64), (1, 0)] {
        let e = g.when(&[with(note("notes:m1", json!({})), "expected_version", json!(expected))]).append_error();
        match &e {
            AppendError::WrongExpectedVersion { index: i, stream, expected: x, current } => {
                assert_eq!((*i, stream, *x, *current), (index, &notes, expected, 1));
            }
            other => panic!("expected WrongExpectedVersion, got {other:?}"),
        }
        let msg = e.to_string();
        assert!(msg.contains("stream notes:m1 is at version 1"), "{msg}");
        assert!(msg.contains(&format!("not at the expected version {expected}")), "{msg}");
        assert!(msg.contains("retry with expected_version 1"), "{msg}");
        assert!(e.is_conflict());
    }
    // The second event of a batch expects what the first leaves behind.
    let first = with(note("notes:m1", json!({})), "expected_version", json!(1));
    let second = with(note("notes:m1", json!({})), "expected_version", json!(1));
    match g.when(&[first, second]).append_error() {
        AppendError::WrongExpectedVersion { index: 2, expected: 1, current: 2, .. } => {}
        other => panic!("expected the second event to be at the wrong version, got {other:?}"),
    }
    g.then_nothing_changed();
}

fn id_conflict_names_where_the_id_is_stored(b: Backend) {
    let Some(g) = given_on(b, &[]) else { return };
    let id = g.id_at(4);
    let other = with(note("notes:m1", json!({ "topic": "iets anders" })), "id", json!(id));
    let e = g.when(&[other]).append_error();
    assert!(matches!(e, AppendError::IdConflict { index: 1, id: got, position: Position(4) } if got == id), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains(&format!("id {id} is already stored at position 4 with other content")), "{msg}");
    assert!(msg.contains("give a new event a new id (or leave `id` out)"), "{msg}");
    assert!(e.is_conflict());
    g.then_nothing_changed();
}

fn a_retried_event_is_not_stored_twice(b: Backend) {
    let Some(g) = given_on(b, &[]) else { return };
    let id = EventId::new_random();
    let e = with(observation("notes:m1", "area:noord", &["resident:r-1"], "Zelfde tekst."), "id", json!(id));
    let first = append(g.t.store(), std::slice::from_ref(&e));
    let after_first = snapshot(g.t.store());
    let retry = append(g.t.store(), std::slice::from_ref(&e));
    assert_eq!(retry[0].position, first[0].position);
    assert_eq!(retry[0].stream_version, first[0].stream_version);
    assert!(!first[0].duplicate && retry[0].duplicate);
    assert_eq!(snapshot(g.t.store()), after_first, "a retry stores nothing");

    // Other sealed text under the same id is other content.
    let mut changed = e;
    changed["sealed"]["text"] = json!("Andere tekst.");
    let conflict = g.t.store().append(vec![event(&changed)]).expect_err("other sealed text");
    assert!(
        matches!(conflict, AppendError::IdConflict { position, .. } if position == first[0].position),
        "{conflict:?}"
    );
}

fn a_batch_with_one_bad_event_stores_none_of_its_events(b: Backend) {
    let Some(g) = given_on(b, &[]) else { return };
    let good_ids = [EventId::new_random(), EventId::new_random(), EventId::new_random()];
    let batch = vec![
        with(area_defined("area:zuid"), "id", json!(good_ids[0])),
        with(observation("notes:m2", "area:zuid", &["resident:r-9"], "Nieuwe bewoner."), "id", json!(good_ids[1])),
        with(note("notes:m1", json!({})), "id", json!(good_ids[2])),
        note("notes:m1", json!({ "area": "area:nergens" })),
    ];
    g.when(&batch).is_field_error(4, "payload.area", &["area:nergens does not exist"]);
    g.then_nothing_changed();
    for id in good_ids {
        assert_eq!(g.t.store().get(id).expect("get"), None, "event {id} of the refused batch is not stored");
    }
    let zuid = StreamId::parse("area:zuid").expect("a stream id");
    assert_eq!(g.t.store().read_stream(&zuid, 1, 10).expect("read_stream"), Vec::new(), "area:zuid was not made");
    assert!(
        !subject_keys(g.t.data()).iter().any(|(s, _)| s == "resident:r-9"),
        "no key is kept for a subject named only in a refused batch"
    );

    // Nothing half-done stands in the way: the same events, without the bad one, go in whole.
    let done = append(g.t.store(), &batch[..3]);
    let positions: Vec<u64> = done.iter().map(|a| a.position.0).collect();
    assert_eq!(positions, vec![5, 6, 7]);
    assert!(done.iter().all(|a| !a.duplicate));
}
