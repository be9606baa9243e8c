//! First light of the PostgreSQL store (the conformance suite runs the rest on both backends).

use parlog_core::{EventStore, ParticipantId, PgDatabase, PgStore, SealedView, StoreOptions, StudySlug, SubjectId};

use crate::support::{base_chain, event};

#[test]
fn a_study_in_postgres_appends_reads_verifies_and_forgets() {
    let Some(db) = parlog_tests::pg::test_db() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let keys = tmp.path().join("keys");
    let database = PgDatabase::connect(&db.url).unwrap();
    let slug = StudySlug::parse("proef").unwrap();
    let options = StoreOptions::from_env(tmp.path());
    let store = PgStore::init(&database, &slug, &keys, &options).unwrap();
    let batch = base_chain().iter().map(event).collect();
    let a = store.append(batch).unwrap();
    assert_eq!(a.last().unwrap().position.0, 4);
    let again = store.append(base_chain().iter().map(event).collect());
    assert!(again.is_err() || again.unwrap().iter().all(|x| x.duplicate));
    let events = store.read_from(parlog_core::Position(1), 100).unwrap();
    assert_eq!(events.len(), 4);
    assert!(matches!(store.unseal(&events[3]).unwrap(), SealedView::Open(_)));
    let r = store.verify().unwrap();
    assert_eq!(r.first_bad, None, "{r:?}");
    let subject = SubjectId::parse("resident:r-1").unwrap();
    let f = store.forget(&subject, &ParticipantId::parse("onderzoeker-1").unwrap(), None).unwrap();
    assert_eq!(f.position.0, 5);
    assert!(matches!(store.unseal(&events[3]).unwrap(), SealedView::Forgotten { .. }));
    assert_eq!(store.verify().unwrap().first_bad, None);
    store.close();
    let store = PgStore::open(&database, &slug, &keys, &options).unwrap();
    assert_eq!(store.head().position.0, 5);
    assert!(matches!(store.unseal(&events[3]).unwrap(), SealedView::Forgotten { .. }));
}
