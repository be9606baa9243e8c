//! Sealed personal data and forgetting a data subject: personal data never reaches the disk in
//! the clear, and once a subject is forgotten its key is gone from the data folder, its data
//! cannot be opened, the chain still verifies, and its id cannot be used again.
//!
//! Every test here runs on both backends from the same code (`name::sled`, `name::postgres`).
//! "Nowhere in the clear" means: in no file of the store's folder (sled: the data folder;
//! PostgreSQL: the study's key folder) and, for PostgreSQL, in no column of any event row of
//! the database (see `TestStore::places_containing`). What PostgreSQL's own files and WAL hold
//! is not searched here: parlog sends it only ciphertext, never a key or a sealed text.

use parlog_core::{
    EventStore, ForgetError, ImportedEvent, LongText, ParticipantId, Position, RecordedEvent, SealedView, SubjectId,
};
use serde_json::{json, Value};

use crate::support::{
    all_events, append, area_defined, both_backends, ev, event, observation, participant_registered, setup_on,
    study_started, subject_keys, Backend, TestStore, PG_STUDY,
};

both_backends!(
    sealed_data_opens_and_is_never_stored_in_the_clear,
    forgetting_a_subject_destroys_its_key_and_data_and_keeps_the_chain,
    a_forgotten_subject_cannot_be_named_again,
    a_retry_of_a_forgotten_event_does_not_store_its_data_again,
    forgetting_twice_is_answered_with_the_first_forget,
    forgetting_an_unknown_subject_is_refused,
    the_author_is_the_subject_when_none_is_named,
    the_same_subject_in_two_studies_is_forgotten_in_one_only,
    an_old_export_brings_no_forgotten_key_or_data_back,
    an_export_imports_with_its_hashes_and_a_second_import_adds_nothing,
    a_page_read_with_its_sealed_parts_opens_them_as_unseal_does,
);

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
fn store_with_sealed_notes(b: Backend, m: &Markers) -> Option<TestStore> {
    let t = setup_on(b)?;
    add_sealed_notes(&t, m);
    Some(t)
}

fn add_sealed_notes(t: &TestStore, m: &Markers) {
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

/// The store keeps `needle` nowhere: in no file of its folder, in no row of its database.
fn assert_nowhere(t: &TestStore, what: &str, needle: &[u8]) {
    let found = t.places_containing(needle);
    assert!(found.is_empty(), "{what} is in {found:?}");
}

fn sealed_data_opens_and_is_never_stored_in_the_clear(b: Backend) {
    let m = Markers::new();
    let Some(mut t) = store_with_sealed_notes(b, &m) else { return };
    assert!(unsealed_text(&t, 4).contains(&m.r1));
    assert!(unsealed_text(&t, 5).contains(&m.r1_name));
    assert!(unsealed_text(&t, 6).contains(&m.both));
    assert!(unsealed_text(&t, 7).contains(&m.r2));
    assert_eq!(t.store().unseal(&at(&t, 1)).expect("unseal"), SealedView::None, "a study has no sealed part");
    let sealed = t.store().ciphertext(Position(7)).expect("read").expect("sealed bytes");

    t.close();
    for text in m.of_r1().into_iter().chain([m.r2.as_str()]) {
        assert_nowhere(&t, text, text.as_bytes());
    }
    // The search does find what is there: the sealed bytes where the backend keeps them, and
    // each key in the key file, and only there.
    let found = t.places_containing(&sealed);
    match t.backend() {
        Backend::Sled => assert_eq!(found, vec![t.data().join("log").display().to_string()], "the sealed bytes"),
        Backend::Postgres => assert_eq!(found, vec![format!("{PG_STUDY}/7/ciphertext")], "the sealed bytes"),
    }
    for s in ["resident:r-1", "resident:r-2"] {
        let key = key_of(&t, s).unwrap_or_else(|| panic!("{s} has a key"));
        assert_eq!(
            t.places_containing(&key),
            vec![t.data().join("keys").display().to_string(), t.data().join("keys.copy").display().to_string()],
            "the wrapped key of {s}"
        );
    }
}

fn forgetting_a_subject_destroys_its_key_and_data_and_keeps_the_chain(b: Backend) {
    let m = Markers::new();
    let Some(mut t) = store_with_sealed_notes(b, &m) else { return };
    let r1_sealed: Vec<Vec<u8>> =
        [4, 5, 6].iter().map(|p| t.store().ciphertext(Position(*p)).expect("read").expect("sealed bytes")).collect();
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
    for p in [4, 5, 6] {
        assert_eq!(t.store().ciphertext(Position(p)).expect("read"), None, "position {p}: the sealed bytes are gone");
    }
    assert!(t.store().ciphertext(Position(7)).expect("read").is_some(), "resident:r-2's sealed bytes stay");

    t.close();
    assert_nowhere(&t, "resident:r-1's key", &r1_key);
    for (p, ct) in [4, 5, 6].iter().zip(&r1_sealed) {
        assert_nowhere(&t, &format!("the sealed bytes of position {p}"), ct);
    }
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

/// `read_from_unsealed` (what the notes index reads with) takes the sealed bytes from the same
/// read on the embedded store: it must open what `unseal` opens, and nothing once forgotten.
fn a_page_read_with_its_sealed_parts_opens_them_as_unseal_does(b: Backend) {
    let m = Markers::new();
    let Some(t) = store_with_sealed_notes(b, &m) else { return };
    let check = |t: &TestStore| {
        let page = t.store().read_from_unsealed(Position(1), 100, &|e| e.position.0 != 5).expect("read");
        assert_eq!(page.len() as u64, t.store().head().position.0);
        for (e, sealed) in &page {
            assert_eq!(e, &at(t, e.position.0));
            match sealed {
                None => assert_eq!(e.position.0, 5, "only what was asked for is opened"),
                Some(s) => assert_eq!(s, &t.store().unseal(e).expect("unseal"), "position {}", e.position),
            }
        }
        page
    };
    let page = check(&t);
    assert!(matches!(&page[3].1, Some(SealedView::Open(_))), "position 4 opens");
    t.store().forget(&subject("resident:r-1"), &by(), None).expect("forget");
    let page = check(&t);
    for p in [4, 6] {
        assert!(
            matches!(&page[p - 1].1, Some(SealedView::Forgotten { .. })),
            "position {p} named resident:r-1: {:?}",
            page[p - 1].1
        );
    }
    assert!(matches!(&page[6].1, Some(SealedView::Open(_))), "resident:r-2's own part still opens");
}

fn a_forgotten_subject_cannot_be_named_again(b: Backend) {
    let m = Markers::new();
    let Some(t) = store_with_sealed_notes(b, &m) else { return };
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

fn a_retry_of_a_forgotten_event_does_not_store_its_data_again(b: Backend) {
    let m = Markers::new();
    let Some(mut t) = store_with_sealed_notes(b, &m) else { return };
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

fn forgetting_twice_is_answered_with_the_first_forget(b: Backend) {
    let m = Markers::new();
    let Some(mut t) = store_with_sealed_notes(b, &m) else { return };
    let first = t.store().forget(&subject("resident:r-1"), &by(), None).expect("forget");
    let other = ParticipantId::parse("onderzoeker-2").expect("a participant id");
    let second = t.store().forget(&subject("resident:r-1"), &other, None).expect("forget again");
    assert_eq!((second.id, second.position, second.stream_version), (first.id, first.position, first.stream_version));
    assert!(!first.duplicate && second.duplicate);
    assert_eq!(t.store().head().position, first.position, "the second forget stores nothing");
    t.reopen();
    let third = t.store().forget(&subject("resident:r-1"), &other, None).expect("forget after reopening");
    assert_eq!((third.id, third.position, third.duplicate), (first.id, first.position, true));
    assert_eq!(t.store().head().position, first.position, "a forget after reopening stores nothing either");
}

fn forgetting_an_unknown_subject_is_refused(b: Backend) {
    let m = Markers::new();
    let Some(t) = store_with_sealed_notes(b, &m) else { return };
    let head = t.store().head();
    match t.store().forget(&subject("resident:r-404"), &by(), None) {
        Err(ForgetError::UnknownSubject(s)) => assert_eq!(s, subject("resident:r-404")),
        other => panic!("expected UnknownSubject, got {other:?}"),
    }
    let msg = t.store().forget(&subject("resident:r-404"), &by(), None).expect_err("unknown").to_string();
    assert!(msg.contains("no data of subject resident:r-404 is stored; check the id"), "{msg}");
    assert_eq!(t.store().head(), head, "nothing was stored");
}

fn the_author_is_the_subject_when_none_is_named(b: Backend) {
    let Some(t) = setup_on(b) else { return };
    let mut e = ev("notes:m1", "ObservationRecorded", json!({}));
    e["sealed"] = json!({ "text": "Eigen aantekening." });
    append(t.store(), &[e]);
    let stored = at(&t, 1);
    let meta = stored.sealed.as_ref().expect("a sealed part");
    assert_eq!(meta.subjects, vec![subject("participant:onderzoeker-1")]);
    assert!(key_of(&t, "participant:onderzoeker-1").is_some());
    assert!(unsealed_text(&t, 1).contains("Eigen aantekening."));
}

/// Two studies (two data folders; two studies of one PostgreSQL database) each hold data of
/// resident:r-1 under a key of their own. Forgetting them in one leaves the other's untouched,
/// also after both are opened again.
fn the_same_subject_in_two_studies_is_forgotten_in_one_only(b: Backend) {
    let m = Markers::new();
    let Some(mut t) = store_with_sealed_notes(b, &m) else { return };
    let other_markers = Markers::new();
    let mut other = t.another_study("tweede");
    add_sealed_notes(&other, &other_markers);
    let other_key = key_of(&other, "resident:r-1").expect("the second study has its own key");
    assert_ne!(key_of(&t, "resident:r-1"), Some(other_key.clone()), "each study wraps a key of its own");

    t.store().forget(&subject("resident:r-1"), &by(), None).expect("forget in the first study");
    assert!(matches!(t.store().unseal(&at(&t, 4)).expect("unseal"), SealedView::Forgotten { .. }));
    for round in ["", " after reopening"] {
        assert!(unsealed_text(&other, 4).contains(&other_markers.r1), "the second study's data opens{round}");
        assert!(unsealed_text(&other, 6).contains(&other_markers.both), "the second study's data opens{round}");
        assert_eq!(key_of(&other, "resident:r-1"), Some(other_key.clone()), "the second study keeps its key{round}");
        assert_eq!(other.store().head().position, Position(7), "nothing was written to the second study{round}");
        assert_eq!(other.store().verify().expect("verify").first_bad, None);
        assert!(matches!(t.store().unseal(&at(&t, 5)).expect("unseal"), SealedView::Forgotten { .. }));
        // The second study still takes new notes on the subject; the first refuses them.
        t.reopen();
        other.reopen();
    }
    let e = observation("notes:m1", "area:noord", &["resident:r-1"], "Nog een notitie.");
    assert!(t.store().append(vec![event(&e)]).is_err(), "the first study refuses the forgotten subject");
    let done = append(other.store(), &[e]);
    assert_eq!(done[0].position, Position(8));
    assert!(unsealed_text(&other, 8).contains("Nog een notitie."));
}

/// What `parlog export --with-keys` takes from a store: every event with its sealed bytes, and
/// the subject keys in the clear.
fn export(t: &TestStore) -> (Vec<ImportedEvent>, Vec<(SubjectId, parlog_core::SubjectKey)>) {
    let events = all_events(t.store())
        .into_iter()
        .map(|event| {
            let ciphertext = t.store().ciphertext(event.position).expect("read sealed bytes");
            ImportedEvent { event, ciphertext }
        })
        .collect();
    (events, t.store().subject_keys())
}

/// Regression (found through the CLI; here through the store on both backends): an export taken
/// before a forget, imported into the same store, brought the forgotten subject's key back.
fn an_old_export_brings_no_forgotten_key_or_data_back(b: Backend) {
    let m = Markers::new();
    let Some(mut t) = store_with_sealed_notes(b, &m) else { return };
    let (events, keys) = export(&t);
    let forgot = t.store().forget(&subject("resident:r-1"), &by(), None).expect("forget");
    let report = t.store().import(events.clone(), keys.clone()).expect("importing the old export");
    assert_eq!(report.added, 0, "every event of the export is already there");
    assert!(report.keys_refused.contains(&subject("resident:r-1")), "{report:?}");
    assert_eq!(key_of(&t, "resident:r-1"), None, "the key stays destroyed");
    t.reopen();
    assert_eq!(key_of(&t, "resident:r-1"), None, "the key stays destroyed after reopening");
    for p in [4, 5, 6] {
        assert!(
            matches!(t.store().unseal(&at(&t, p)).expect("unseal"), SealedView::Forgotten { position, .. } if position == forgot.position),
            "position {p} stays forgotten"
        );
        assert_eq!(t.store().ciphertext(Position(p)).expect("read"), None, "position {p}: no sealed bytes came back");
    }
    assert!(unsealed_text(&t, 7).contains(&m.r2));
    assert_eq!(t.store().verify().expect("verify").first_bad, None);

    // Into a fresh store the old export goes whole; the later forget's export leaves r-1 out.
    let Some(fresh) = setup_on(b) else { return };
    let (after, after_keys) = export(&t);
    let report = fresh.store().import(after, after_keys).expect("import of the export after the forget");
    assert_eq!(report.added, 8);
    assert_eq!(key_of(&fresh, "resident:r-1"), None, "the forgotten subject has no key in the copy");
    assert!(matches!(fresh.store().unseal(&at(&fresh, 4)).expect("unseal"), SealedView::Forgotten { .. }));
    assert!(unsealed_text(&fresh, 7).contains(&m.r2));
}

/// Export, then import into a fresh store: the same log, hash for hash, and the sealed parts
/// open; importing the same export again adds nothing.
fn an_export_imports_with_its_hashes_and_a_second_import_adds_nothing(b: Backend) {
    let m = Markers::new();
    let Some(t) = store_with_sealed_notes(b, &m) else { return };
    let Some(mut copy) = setup_on(b) else { return };
    let (events, keys) = export(&t);
    let report = copy.store().import(events.clone(), keys.clone()).expect("import");
    assert_eq!((report.added, report.sealed_dropped), (7, 0), "{report:?}");
    assert_eq!(all_events(copy.store()), all_events(t.store()), "the same events, times and hashes");
    assert_eq!(copy.store().head(), t.store().head());
    for p in 4..=7 {
        assert_eq!(unsealed_text(&copy, p), unsealed_text(&t, p), "position {p} opens to the same data");
    }
    let again = copy.store().import(events.clone(), keys.clone()).expect("import again");
    assert_eq!(again.added, 0, "a second import adds nothing: {again:?}");
    copy.reopen();
    let again = copy.store().import(events, keys).expect("import again after reopening");
    assert_eq!(again.added, 0, "nor after reopening: {again:?}");
    assert_eq!(copy.store().head(), t.store().head());
    let report = copy.store().verify().expect("verify");
    assert_eq!((report.first_bad, report.events), (None, 7));
}
