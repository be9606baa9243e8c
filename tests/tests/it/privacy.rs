//! Sealed personal data and forgetting a data subject: personal data never reaches the disk in
//! the clear, and once a subject is forgotten its key is gone from the data folder, its data
//! cannot be opened, the chain still verifies, and its id cannot be used again.

use parlog_core::{EventStore, ForgetError, LongText, ParticipantId, Position, RecordedEvent, SealedView, SubjectId};
use serde_json::{json, Value};

use crate::support::{
    all_events, append, area_defined, ev, event, files_containing, observation, participant_registered, setup,
    study_started, subject_keys, TestStore,
};

fn subject(s: &str) -> SubjectId {
    SubjectId::parse(s).expect("a subject id")
}

fn by() -> ParticipantId {
    ParticipantId::parse("onderzoeker-1").expect("a participant id")
}

/// Unique texts, so that finding one on disk can only mean this test's data leaked.
struct Markers {
    r1: String,
    r1_name: String,
    both: String,
    r2: String,
}

impl Markers {
    fn new() -> Self {
        let u = uuid::Uuid::new_v4().simple().to_string();
        Markers {
            r1: format!("PLAINTEXT-MARKER-r1-{u}"),
            r1_name: format!("PLAINTEXT-MARKER-r1-name-{u}"),
            both: format!("PLAINTEXT-MARKER-r1-r2-{u}"),
            r2: format!("PLAINTEXT-MARKER-r2-{u}"),
        }
    }
    /// Everything sealed under resident:r-1's key.
    fn of_r1(&self) -> [&str; 3] {
        [&self.r1, &self.r1_name, &self.both]
    }
}

/// A store with notes on resident:r-1 (positions 4 and 5), on both residents (6) and on
/// resident:r-2 (7).
fn store_with_sealed_notes(m: &Markers) -> TestStore {
    let t = setup();
    let mut by_name = observation("notes:m1", "area:noord", &["resident:r-1"], "Gesprek bij de deur.");
    by_name["sealed"]["names"] = json!([m.r1_name]);
    let done = append(
        t.store(),
        &[
            study_started("study:x"),
            area_defined("area:noord"),
            participant_registered("participant:m1"),
            observation("notes:m1", "area:noord", &["resident:r-1"], &m.r1),
            by_name,
            observation("notes:m1", "area:noord", &["resident:r-1", "resident:r-2"], &m.both),
            observation("notes:m1", "area:noord", &["resident:r-2"], &m.r2),
        ],
    );
    assert_eq!(done.last().map(|a| a.position), Some(Position(7)));
    t
}

fn at(t: &TestStore, p: u64) -> RecordedEvent {
    t.store().read_from(Position(p), 1).expect("read").pop().unwrap_or_else(|| panic!("no event at {p}"))
}

fn unsealed_text(t: &TestStore, p: u64) -> String {
    match t.store().unseal(&at(t, p)).expect("unseal") {
        SealedView::Open(data) => {
            let mut all: Vec<String> = data.text.iter().map(|x| x.to_string()).collect();
            all.extend(data.names.iter().map(|x| x.to_string()));
            all.join(" ")
        }
        other => panic!("position {p}: expected open sealed data, got {other:?}"),
    }
}

fn key_of(t: &TestStore, s: &str) -> Option<Vec<u8>> {
    subject_keys(t.data()).into_iter().find(|(subj, _)| subj == s).map(|(_, k)| k)
}

/// The data folder holds none of `texts` in any file, in raw bytes.
fn assert_nowhere(t: &TestStore, what: &str, needle: &[u8]) {
    let found = files_containing(t.data(), needle);
    assert!(found.is_empty(), "{what} is in {found:?}");
}

#[test]
fn sealed_data_opens_and_is_never_stored_in_the_clear() {
    let m = Markers::new();
    let mut t = store_with_sealed_notes(&m);
    assert!(unsealed_text(&t, 4).contains(&m.r1));
    assert!(unsealed_text(&t, 5).contains(&m.r1_name));
    assert!(unsealed_text(&t, 6).contains(&m.both));
    assert!(unsealed_text(&t, 7).contains(&m.r2));
    assert_eq!(t.store().unseal(&at(&t, 1)).expect("unseal"), SealedView::None, "a study has no sealed part");

    t.close();
    for text in m.of_r1().into_iter().chain([m.r2.as_str()]) {
        assert_nowhere(&t, text, text.as_bytes());
    }
    // The search does find what is there: each key is in the key file, and only there.
    for s in ["resident:r-1", "resident:r-2"] {
        let key = key_of(&t, s).unwrap_or_else(|| panic!("{s} has a key"));
        assert_eq!(
            files_containing(t.data(), &key),
            vec![t.data().join("keys"), t.data().join("keys.copy")],
            "the wrapped key of {s}"
        );
    }
}

#[test]
fn forgetting_a_subject_destroys_its_key_and_data_and_keeps_the_chain() {
    let m = Markers::new();
    let mut t = store_with_sealed_notes(&m);
    let r1_key = key_of(&t, "resident:r-1").expect("resident:r-1 has a key");
    let r2_key = key_of(&t, "resident:r-2").expect("resident:r-2 has a key");

    let reason = LongText::new("Verzoek van de bewoner.").expect("a text");
    let forgot = t.store().forget(&subject("resident:r-1"), &by(), Some(reason)).expect("forget");
    assert_eq!((forgot.position, forgot.duplicate), (Position(8), false));
    assert_eq!(t.store().head().position, Position(8));

    // The forget is an event in the log: who asked, about whom, why.
    let fe = at(&t, 8);
    assert_eq!(fe.id, forgot.id);
    assert_eq!((fe.kind.name(), fe.stream.as_str()), ("SubjectForgotten", "privacy:subjects"));
    let payload: Value = serde_json::from_str(&fe.payload).expect("JSON payload");
    assert_eq!(
        payload,
        json!({ "subject": "resident:r-1", "requested_by": "onderzoeker-1", "reason": "Verzoek van de bewoner." })
    );
    assert_eq!(fe.author, by());

    let forgotten =
        SealedView::Forgotten { subject: subject("resident:r-1"), position: Position(8), at: fe.recorded_at, by: by() };
    for p in [4, 5, 6] {
        assert_eq!(t.store().unseal(&at(&t, p)).expect("unseal"), forgotten, "position {p} named resident:r-1");
    }
    assert!(unsealed_text(&t, 7).contains(&m.r2), "resident:r-2's own data still opens");
    let report = t.store().verify().expect("verify");
    assert_eq!((report.first_bad, report.events), (None, 8), "the chain verifies without the sealed bytes");

    t.close();
    assert_nowhere(&t, "resident:r-1's key", &r1_key);
    for text in m.of_r1() {
        assert_nowhere(&t, text, text.as_bytes());
    }
    assert_eq!(key_of(&t, "resident:r-2"), Some(r2_key), "resident:r-2's key is kept");
    assert_eq!(key_of(&t, "resident:r-1"), None);

    t.open();
    let report = t.store().verify().expect("verify");
    assert_eq!((report.first_bad, report.events), (None, 8), "the chain verifies after reopening");
    assert_eq!(t.store().unseal(&at(&t, 4)).expect("unseal"), forgotten);
    assert!(unsealed_text(&t, 7).contains(&m.r2));
    assert_eq!(all_events(t.store()).len(), 8, "no event is removed by forgetting");
}

#[test]
fn a_forgotten_subject_cannot_be_named_again() {
    let m = Markers::new();
    let t = store_with_sealed_notes(&m);
    let forgot = t.store().forget(&subject("resident:r-1"), &by(), None).expect("forget");
    let head = t.store().head();
    for (subjects, index) in [(vec!["resident:r-1"], 0), (vec!["resident:r-2", "resident:r-1"], 1)] {
        let e = observation("notes:m1", "area:noord", &subjects, "Nieuwe notitie.");
        let err = t.store().append(vec![event(&e)]).expect_err("a forgotten subject");
        let msg = err.to_string();
        assert!(msg.contains(&format!("field `sealed.subjects[{index}]`")), "{msg}");
        assert!(
            msg.contains(&format!("data subject resident:r-1 was forgotten (position {})", forgot.position)),
            "{msg}"
        );
        assert!(msg.contains("give the person a new subject id"), "{msg}");
    }
    assert_eq!(t.store().head(), head, "nothing was stored");
    assert_eq!(key_of(&t, "resident:r-1"), None, "no new key was made");
}

#[test]
fn a_retry_of_a_forgotten_event_does_not_store_its_data_again() {
    let m = Markers::new();
    let mut t = store_with_sealed_notes(&m);
    let original = at(&t, 4);
    t.store().forget(&subject("resident:r-1"), &by(), None).expect("forget");
    let mut retry = observation("notes:m1", "area:noord", &["resident:r-1"], &m.r1);
    retry["id"] = json!(original.id);
    let done = t.store().append(vec![event(&retry)]).expect("a retry is answered with the original place");
    assert_eq!((done[0].position, done[0].duplicate), (Position(4), true));
    assert_eq!(t.store().head().position, Position(8));
    assert_eq!(key_of(&t, "resident:r-1"), None, "no key came back");
    t.close();
    assert_nowhere(&t, "the retried text", m.r1.as_bytes());
}

#[test]
fn forgetting_twice_is_answered_with_the_first_forget() {
    let m = Markers::new();
    let t = store_with_sealed_notes(&m);
    let first = t.store().forget(&subject("resident:r-1"), &by(), None).expect("forget");
    let other = ParticipantId::parse("onderzoeker-2").expect("a participant id");
    let second = t.store().forget(&subject("resident:r-1"), &other, None).expect("forget again");
    assert_eq!((second.id, second.position, second.stream_version), (first.id, first.position, first.stream_version));
    assert!(!first.duplicate && second.duplicate);
    assert_eq!(t.store().head().position, first.position, "the second forget stores nothing");
}

#[test]
fn forgetting_an_unknown_subject_is_refused() {
    let m = Markers::new();
    let t = store_with_sealed_notes(&m);
    let head = t.store().head();
    match t.store().forget(&subject("resident:r-404"), &by(), None) {
        Err(ForgetError::UnknownSubject(s)) => assert_eq!(s, subject("resident:r-404")),
        other => panic!("expected UnknownSubject, got {other:?}"),
    }
    let msg = t.store().forget(&subject("resident:r-404"), &by(), None).expect_err("unknown").to_string();
    assert!(msg.contains("no data of subject resident:r-404 is stored; check the id"), "{msg}");
    assert_eq!(t.store().head(), head, "nothing was stored");
}

#[test]
fn the_author_is_the_subject_when_none_is_named() {
    let t = setup();
    let mut e = ev("notes:m1", "ObservationRecorded", json!({}));
    e["sealed"] = json!({ "text": "Eigen aantekening." });
    append(t.store(), &[e]);
    let stored = at(&t, 1);
    let meta = stored.sealed.as_ref().expect("a sealed part");
    assert_eq!(meta.subjects, vec![subject("participant:onderzoeker-1")]);
    assert!(key_of(&t, "participant:onderzoeker-1").is_some());
    assert!(unsealed_text(&t, 1).contains("Eigen aantekening."));
}
