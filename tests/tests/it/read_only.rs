//! Reading a study of the embedded store while another process holds it (`LogSnapshot`, what the
//! command line reads next to a running `parlog serve`): the same events, ids, streams and
//! sealed parts as the open store, as of when it was opened, and not one byte written.

use parlog_core::{AnyStore, EventStore, LogSnapshot, Position, SealedView, StoreError, StoreOptions};

use super::support::{all_events, append, base_chain, event, files_under, observation, participant_registered, setup};

/// A digest of every file under `dir`, by path.
fn digests(dir: &std::path::Path) -> Vec<(std::path::PathBuf, blake3::Hash)> {
    let mut files = files_under(dir);
    files.sort();
    files.into_iter().map(|f| (f.clone(), blake3::hash(&std::fs::read(&f).expect("a file reads")))).collect()
}

#[test]
fn a_snapshot_reads_what_the_open_store_acknowledged() {
    let t = setup();
    let store = t.store();
    append(store, &base_chain());
    let more: Vec<_> = (0..40)
        .map(|i| {
            observation("notes:m1", "area:noord", &[&format!("resident:r-{}", i % 3 + 1)], &format!("notitie {i}"))
        })
        .collect();
    append(store, &more);
    let options = StoreOptions::from_env(t.data());

    // The store is open (sled's lock is held): the snapshot reads beside it.
    let snap = LogSnapshot::open(t.data(), &options).expect("a snapshot opens beside the open store");
    assert_eq!(snap.head(), store.head());
    let events = all_events(store);
    let mut read = Vec::new();
    loop {
        let page = snap.read_from(Position(read.len() as u64 + 1), 7).unwrap();
        if page.is_empty() {
            break;
        }
        read.extend(page);
    }
    assert_eq!(read, events, "the same events, in pages");
    for e in &events {
        assert_eq!(snap.get(e.id).unwrap().as_ref(), Some(e), "by id");
        assert_eq!(snap.unseal(e).unwrap(), store.unseal(e).unwrap(), "sealed part of position {}", e.position);
    }
    let stream = parlog_core::StreamId::parse("notes:m1").unwrap();
    assert_eq!(snap.read_stream(&stream, 3, 5).unwrap(), store.read_stream(&stream, 3, 5).unwrap());
    assert_eq!(
        AnyStore::from(LogSnapshot::open(t.data(), &options).unwrap()).streams().unwrap(),
        store.streams().unwrap()
    );
    assert!(matches!(snap.unseal(&events[3]).unwrap(), SealedView::Open(_)));

    // It refuses to write, and does not see what is appended after it was opened.
    let refused = snap.append(vec![event(&participant_registered("participant:m2"))]).expect_err("read-only");
    assert!(matches!(refused, parlog_core::AppendError::Store(StoreError::ReadOnly(_))), "{refused}");
    let before = snap.head();
    append(store, &[participant_registered("participant:m2")]);
    assert_eq!(snap.head(), before, "a snapshot is as of when it was opened");
    assert_eq!(LogSnapshot::open(t.data(), &options).unwrap().head(), store.head(), "a new one sees the append");

    // A forget: a new snapshot says who asked, as the store does.
    let by = parlog_core::ParticipantId::parse("onderzoeker-1").unwrap();
    store.forget(&parlog_core::SubjectId::parse("resident:r-1").unwrap(), &by, None).expect("forget");
    let after = LogSnapshot::open(t.data(), &options).unwrap();
    assert!(matches!(after.unseal(&events[3]).unwrap(), SealedView::Forgotten { .. }));
}

#[test]
fn a_snapshot_writes_nothing() {
    let mut t = setup();
    append(t.store(), &base_chain());
    t.close();
    let before = digests(t.data());
    let options = StoreOptions::from_env(t.data());
    let snap = LogSnapshot::open(t.data(), &options).expect("opens");
    let events: Vec<_> = snap.read_from(Position(1), 100).unwrap();
    for e in &events {
        snap.unseal(e).unwrap();
    }
    drop(snap);
    assert_eq!(digests(t.data()), before, "not one byte of the folder changed");
}
