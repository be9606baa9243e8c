//! Tamper evidence: change the stored bytes behind the store's back (in the log file, or in the
//! sled indexes, as someone with access to the data folder could) and the store must notice, at
//! the right place.
//!
//! Each case closes the store, edits the log file `DATA/log` (frames as in core's store/log.rs:
//! `[u32 body length][u8 type][u32 record length][record][64-byte index][ciphertext][u32 check]`
//! for an event) or the sled tree (as in core's store/index.rs: chunks of index entries under the
//! key `c` and a first position, each entry naming a frame offset, an event id and a stream), then opens
//! the store and runs `verify`. The last event is checked when the store opens, so damage there
//! may instead make `open` fail with `StoreError::Corrupt`.

use std::path::Path;
use std::time::{Duration, Instant};

use parlog_core::{EventStore, Position, SealedView, StoreError, VerifyReport};
use serde_json::{json, Value};

use crate::support::{all_events, append, ev, observation, setup, TestStore};

/// Events in the store that gets tampered with.
/// More than one index chunk (32 events), so that both a full one and a last one that is not
/// full are there.
const EVENTS: u64 = 40;
/// How long opening sled waits for a lock that the store just closed still holds (sled's I/O
/// threads let go of the file a moment after the last handle is dropped).
const SLED_LOCKED_WAIT: Duration = Duration::from_secs(10);

/// A store of [`EVENTS`] events, every other one from position 4 on with a sealed part; closed.
fn tampered_store() -> TestStore {
    let mut t = setup();
    let mut events: Vec<Value> = crate::support::base_chain();
    for i in events.len() as u64 + 1..=EVENTS {
        events.push(if i % 2 == 0 {
            observation("notes:m1", "area:noord", &["resident:r-1", "resident:r-2"], &format!("notitie {i}"))
        } else {
            ev(
                "signals:noord",
                "SignalRaised",
                json!({ "theme": format!("thema {i}"), "area": "area:noord", "count": i }),
            )
        });
    }
    append(t.store(), &events);
    assert_eq!(t.store().head().position, Position(EVENTS));
    assert_eq!(t.store().verify().expect("verify").first_bad, None, "the untouched store verifies");
    t.close();
    t
}

/// Opens the store's sled database directly.
fn open_sled(data: &Path) -> sled::Db {
    let deadline = Instant::now() + SLED_LOCKED_WAIT;
    loop {
        match sled::Config::new().path(data.join("sled")).flush_every_ms(None).open() {
            Ok(db) => return db,
            Err(sled::Error::Io(e)) if e.to_string().contains("lock") && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(e) => panic!("opening sled in {} failed: {e}", data.display()),
        }
    }
}

/// Changes the sled tree with `edit`, then makes the change durable and lets go of the folder.
fn with_sled<R>(data: &Path, edit: impl FnOnce(&sled::Db) -> R) -> R {
    let db = open_sled(data);
    let r = edit(&db);
    db.flush().expect("sled flush");
    drop(db);
    r
}

/// Where the frame of the event at `p` lies in the log file: (offset, length), and the range of
/// its ciphertext.
struct Span {
    offset: usize,
    len: usize,
    ciphertext: std::ops::Range<usize>,
}

fn span(data: &Path, p: u64) -> Span {
    let log = std::fs::read(data.join("log")).expect("read the log");
    let offset = parlog_tests::frame_offset(&log, p);
    let body = u32::from_be_bytes(log[offset..offset + 4].try_into().expect("4 bytes")) as usize;
    let record = u32::from_be_bytes(log[offset + 5..offset + 9].try_into().expect("4 bytes")) as usize;
    let len = 5 + body;
    let ct_start = offset + 9 + record + 64;
    Span { offset, len, ciphertext: ct_start..offset + len - 4 }
}

fn read_log(data: &Path) -> Vec<u8> {
    std::fs::read(data.join("log")).expect("read the log")
}

fn write_log(data: &Path, bytes: &[u8]) {
    std::fs::write(data.join("log"), bytes).expect("write the log");
}

fn get(db: &sled::Db, k: &[u8]) -> Vec<u8> {
    db.get(k).expect("sled get").unwrap_or_else(|| panic!("no value under {k:?}")).to_vec()
}

/// What the store says about its log after tampering: the verify report, or why it would not open.
fn outcome(t: &mut TestStore) -> Result<VerifyReport, StoreError> {
    t.try_open()?;
    let report = t.store().verify();
    t.close();
    report
}

/// The store finds damage first at `bad`: verify says so, or, for the last event, the store
/// refuses to open as corrupt. Returns the reason given.
fn assert_found_at(t: &mut TestStore, bad: u64, what: &str) -> String {
    match outcome(t) {
        Ok(VerifyReport { first_bad: Some((p, why)), .. }) if p == Position(bad) => why,
        Err(StoreError::Corrupt(why)) if bad == EVENTS => why,
        other => panic!("{what}: expected the damage to be found at position {bad}, got {other:?}"),
    }
}

fn assert_verifies(t: &mut TestStore, what: &str) {
    match outcome(t) {
        Ok(r) if r.first_bad.is_none() && r.events == EVENTS => {}
        other => panic!("{what}: expected the store to verify, got {other:?}"),
    }
}

/// Flips each byte of the frame of the event at `p` in turn and checks that each flip is found
/// at `p`.
fn flip_each_byte(t: &mut TestStore, p: u64) {
    let data = t.data().to_path_buf();
    let sp = span(&data, p);
    let original = read_log(&data);
    for i in sp.offset..sp.offset + sp.len {
        let mut flipped = original.clone();
        flipped[i] ^= 0x01;
        write_log(&data, &flipped);
        assert_found_at(t, p, &format!("flipped byte {} of {} of the frame at {p}", i - sp.offset, sp.len));
    }
    write_log(&data, &original);
    assert_verifies(t, &format!("the frame at {p} restored"));
}

#[test]
fn every_flipped_byte_of_a_sealed_record_is_found_at_its_position() {
    let mut t = tampered_store();
    flip_each_byte(&mut t, 10);
}

#[test]
fn every_flipped_byte_of_the_first_record_is_found() {
    // Nothing comes before it: its link is to the zero hash.
    flip_each_byte(&mut tampered_store(), 1);
}

#[test]
fn every_flipped_byte_of_an_open_record_is_found_at_its_position() {
    flip_each_byte(&mut tampered_store(), 11);
}

#[test]
fn every_flipped_byte_of_the_last_record_is_found() {
    // `open` checks the last event against the commit that closes the log itself.
    flip_each_byte(&mut tampered_store(), EVENTS);
}

#[test]
fn a_deleted_record_is_found_at_its_position() {
    let mut t = tampered_store();
    let data = t.data().to_path_buf();
    let original = read_log(&data);
    for p in [1, 7, 10] {
        let sp = span(&data, p);
        let mut cut = original.clone();
        cut.drain(sp.offset..sp.offset + sp.len);
        write_log(&data, &cut);
        // Everything after the cut moves, so the store may already refuse to open (the last
        // event is no longer where the indexes put it); if it opens, verify names `p`.
        match outcome(&mut t) {
            Ok(VerifyReport { first_bad: Some((found, why)), .. }) => {
                assert_eq!(found, Position(p), "record {p} deleted: {why}")
            }
            Err(StoreError::Corrupt(why)) => assert!(why.contains("position"), "the reason names a position: {why}"),
            other => panic!("record {p} deleted: expected damage to be found, got {other:?}"),
        }
        write_log(&data, &original);
    }
    assert_verifies(&mut t, "records restored");

    // Without its last event (and the commit after it) the log no longer ends where the
    // indexes say it was committed.
    let sp = span(&data, EVENTS);
    write_log(&data, &original[..sp.offset]);
    match t.try_open() {
        Err(StoreError::Corrupt(why)) => assert!(why.contains(&format!("position {EVENTS}")), "{why}"),
        other => panic!("expected the store to refuse to open as corrupt, got {:?}", other.map(|_| "an open store")),
    }
}

#[test]
fn records_swapped_or_moved_are_found() {
    let mut t = tampered_store();
    let data = t.data().to_path_buf();
    // Two records trade places: each is intact, but not where its chain says.
    let (a, b) = (span(&data, 5), span(&data, 6));
    let log = read_log(&data);
    let mut swapped = log[..a.offset].to_vec();
    swapped.extend_from_slice(&log[b.offset..b.offset + b.len]);
    swapped.extend_from_slice(&log[a.offset..a.offset + a.len]);
    swapped.extend_from_slice(&log[b.offset + b.len..]);
    write_log(&data, &swapped);
    let why = assert_found_at(&mut t, 5, "records 5 and 6 swapped");
    assert!(why.contains("position 6") || why.contains("index"), "{why}");
}

/// The ciphertext of a sealed part is stored after its record in the frame (outside the
/// hashed record, which covers its digest, and outside the frame's check, so that forgetting
/// can overwrite it with zeros).
#[test]
fn altered_or_deleted_ciphertext_is_found_at_its_position() {
    let mut t = tampered_store();
    let data = t.data().to_path_buf();
    let p = 8;
    let sp = span(&data, p);
    let original = read_log(&data);
    assert!(!sp.ciphertext.is_empty(), "position 8 holds sealed bytes");
    for i in [sp.ciphertext.start, (sp.ciphertext.start + sp.ciphertext.end) / 2, sp.ciphertext.end - 1] {
        let mut altered = original.clone();
        altered[i] ^= 0x80;
        write_log(&data, &altered);
        let why = assert_found_at(&mut t, p, &format!("ciphertext byte {i} of position {p} flipped"));
        assert!(why.contains("sealed bytes do not match their digest"), "{why}");
    }

    // Reading it does not hand out tampered text either.
    t.open();
    let event = t.store().read_from(Position(p), 1).expect("read").remove(0);
    match t.store().unseal(&event) {
        Ok(SealedView::Damaged { reason }) => assert!(reason.contains(&format!("position {p}")), "{reason}"),
        other => panic!("unseal of tampered sealed bytes: expected Damaged, got {other:?}"),
    }
    t.close();

    // Destroyed without a forget: zeros where the ciphertext was.
    let mut zeroed = original.clone();
    zeroed[sp.ciphertext.clone()].fill(0);
    write_log(&data, &zeroed);
    let why = assert_found_at(&mut t, p, "ciphertext zeroed");
    assert!(why.contains("sealed bytes are missing but no subject was forgotten"), "{why}");

    write_log(&data, &original);
    assert_verifies(&mut t, "ciphertext restored");
    t.open();
    let event = t.store().read_from(Position(p), 1).expect("read").remove(0);
    assert!(matches!(t.store().unseal(&event), Ok(SealedView::Open(_))), "restored sealed bytes open again");
}

/// The sled key of the index chunk that starts at position `first` (1, 33, 65, ...).
fn chunk_key(first: u64) -> Vec<u8> {
    let mut k = vec![b'c'];
    k.extend_from_slice(&first.to_be_bytes());
    k
}

fn first_chunk_key() -> Vec<u8> {
    chunk_key(1)
}

/// Where position `p`'s entry lies in a chunk starting at position `first`: the offsets of its
/// frame offset, its id, its stream name, and the name's length.
fn entry_in(chunk: &[u8], first: u64, p: u64) -> (usize, usize, usize, usize) {
    let mut at = 0;
    for _ in first..p {
        at += 26 + u16::from_be_bytes([chunk[at + 24], chunk[at + 25]]) as usize;
    }
    let len = u16::from_be_bytes([chunk[at + 24], chunk[at + 25]]) as usize;
    (at, at + 8, at + 26, len)
}

fn entry_at(chunk: &[u8], p: u64) -> (usize, usize, usize, usize) {
    entry_in(chunk, 1, p)
}

#[test]
fn an_id_index_that_points_elsewhere_is_found() {
    let mut t = tampered_store();
    t.open();
    let log = all_events(t.store());
    t.close();
    let (at, to) = (&log[11], &log[12]);
    with_sled(t.data(), |db| {
        let mut v = get(db, &first_chunk_key());
        let (_, id, _, _) = entry_at(&v, at.position.0);
        assert_eq!(&v[id..id + 16], at.id.0.as_bytes(), "the entry as the store wrote it");
        v[id..id + 16].copy_from_slice(to.id.0.as_bytes());
        db.insert(first_chunk_key(), v).expect("sled insert");
    });
    let why = assert_found_at(&mut t, at.position.0, "id index of position 12 changed");
    assert!(why.contains("id index"), "{why}");
}

/// Opening goes on from the last index entry (the last chunk, which a closing store leaves
/// there though it is not full): a change to where that entry points, or to its id, makes the
/// store refuse to open, since the log disagrees; a lost last chunk is indexed again.
#[test]
fn a_changed_last_index_entry_makes_open_refuse_the_store() {
    let mut t = tampered_store();
    let last_chunk = chunk_key(33);
    let original = with_sled(t.data(), |db| get(db, &last_chunk));
    let (offset, id, _, _) = entry_in(&original, 33, EVENTS);
    for (what, byte) in [("frame offset", offset + 7), ("frame offset", offset + 5), ("id", id + 3)] {
        let mut altered = original.clone();
        altered[byte] ^= 0x01;
        with_sled(t.data(), |db| db.insert(last_chunk.clone(), altered).expect("sled insert"));
        match t.try_open() {
            Err(StoreError::Corrupt(_)) => {}
            other => panic!(
                "the last entry's {what} changed (byte {byte}): expected Corrupt, got {:?}",
                other.map(|_| "an open store")
            ),
        }
    }
    with_sled(t.data(), |db| db.remove(&last_chunk).expect("sled remove"));
    assert_verifies(&mut t, "the last chunk indexed again from the log");
    let again = with_sled(t.data(), |db| get(db, &last_chunk));
    assert_eq!(again, original, "the closing store left the same last chunk");
}

/// Regression: `verify` did not check the stream index, so an entry pointing at another stream's
/// event went unnoticed, and `read_stream` met it with a panic where damage on disk should be
/// `StoreError::Corrupt`.
#[test]
fn a_stream_index_that_points_elsewhere_is_found() {
    let mut t = tampered_store().discard_on_failure();
    // notes:m1 version 1 is the note at position 4; put it in notes:m2 in the index.
    with_sled(t.data(), |db| {
        let mut v = get(db, &first_chunk_key());
        let (_, _, name, len) = entry_at(&v, 4);
        assert_eq!(&v[name..name + len], b"notes:m1", "the entry as the store wrote it");
        v[name + len - 1] = b'2';
        db.insert(first_chunk_key(), v).expect("sled insert");
    });
    let found = outcome(&mut t).map(|r| r.first_bad);
    t.open();
    let notes = parlog_core::StreamId::parse("notes:m1").expect("a stream id");
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| t.store().read_stream(&notes, 1, 10)));
    match read {
        Ok(Err(StoreError::Corrupt(_))) => {}
        Ok(other) => panic!("read_stream over a damaged index: expected Corrupt, got {other:?}"),
        Err(_) => panic!("read_stream panicked on a damaged stream index instead of returning Corrupt"),
    }
    match found {
        Ok(Some((Position(4), why))) => assert!(why.contains("stream index"), "{why}"),
        other => panic!("verify should find the stream index damage at position 4, got {other:?}"),
    }
}

/// A closed store of [`EVENTS`] events, one group per event after the base chain, as after a
/// crash: the index entries past the last full chunk (33..=40) are not in sled, so opening
/// indexes them again from the log. Returns the store, its data folder and the log's bytes.
fn crashed_store_of_small_groups() -> (TestStore, std::path::PathBuf, Vec<u8>) {
    let mut t = setup().discard_on_failure();
    append(t.store(), &crate::support::base_chain());
    while t.store().head().position.0 < EVENTS {
        let i = t.store().head().position.0;
        append(t.store(), &[observation("notes:m1", "area:noord", &["resident:r-1"], &format!("notitie {i}"))]);
    }
    t.close();
    with_sled(t.data(), |db| db.remove(chunk_key(33)).expect("sled remove"));
    let data = t.data().to_path_buf();
    let original = read_log(&data);
    (t, data, original)
}

/// After a crash the index entries past the last full chunk are rebuilt from the log, and a
/// torn tail (an interrupted write) is cut off there. A damaged frame that later groups follow is
/// not a torn tail: cutting at it would drop acknowledged events, so the store refuses to open.
#[test]
fn damage_before_later_groups_is_not_cut_off_as_a_torn_tail() {
    let (mut t, data, original) = crashed_store_of_small_groups();
    let sp = span(&data, 35);
    let mut damaged = original.clone();
    damaged[sp.offset + sp.len - 1] ^= 0x01; // the frame's check
    write_log(&data, &damaged);
    match t.try_open() {
        Err(StoreError::Corrupt(why)) => assert!(why.contains("position 35"), "{why}"),
        other => panic!("expected the store to refuse a damaged frame, got {:?}", other.map(|_| "an open store")),
    }
    assert_eq!(read_log(&data), damaged, "nothing was cut off");
    write_log(&data, &original);
    t.open();
    assert_eq!(t.store().head().position, Position(EVENTS), "every event is there");
    assert_eq!(t.store().verify().expect("verify").first_bad, None);
}

/// As after a crash, the events past the last full index chunk are indexed again from the log
/// when the store opens. A frame missing there (cut out of the middle of the log) must not be
/// taken for the end of the log: the acknowledged events after it would be cut off.
#[test]
fn a_frame_missing_after_the_indexes_is_not_cut_off_as_a_torn_tail() {
    let (mut t, data, original) = crashed_store_of_small_groups();
    for p in [33, 36] {
        let sp = span(&data, p);
        let mut cut = original.clone();
        cut.drain(sp.offset..sp.offset + sp.len);
        write_log(&data, &cut);
        match t.try_open() {
            Err(StoreError::Corrupt(why)) => {
                assert!(why.contains(&format!("position {p}")), "frame {p} missing: {why}")
            }
            other => panic!("frame {p} missing: expected Corrupt, got {:?}", other.map(|_| "an open store")),
        }
        assert_eq!(read_log(&data), cut, "frame {p} missing: nothing was cut off");
    }
    write_log(&data, &original);
    t.open();
    assert_eq!(t.store().head().position, Position(EVENTS), "every event is there");
    assert_eq!(t.store().verify().expect("verify").first_bad, None);
}

/// A forget entry in sled (`f` and the subject, holding the forget event's position) that was
/// cut short is damage the store names on open, not a panic.
#[test]
fn a_damaged_forget_entry_makes_open_refuse_the_store() {
    let mut t = tampered_store();
    t.open();
    let subject = parlog_core::SubjectId::parse("resident:r-1").expect("a subject id");
    let by = parlog_core::ParticipantId::parse("admin").expect("a participant id");
    t.store().forget(&subject, &by, None).expect("forget");
    t.close();
    let key = b"fresident:r-1".to_vec();
    let original = with_sled(t.data(), |db| get(db, &key));
    assert_eq!(original.len(), 8, "the entry as the store wrote it");
    with_sled(t.data(), |db| db.insert(key.clone(), &original[..5]).expect("sled insert"));
    match t.try_open() {
        Err(StoreError::Corrupt(why)) => assert!(why.contains("unreadable"), "{why}"),
        other => panic!("expected Corrupt for a cut forget entry, got {:?}", other.map(|_| "an open store")),
    }
    with_sled(t.data(), |db| db.insert(key, original).expect("sled insert"));
    t.open();
    assert_eq!(t.store().head().position, Position(EVENTS + 1), "the forget event is there");
}

/// Small groups (a lone appender's) share index chunks: sled holds about one key per 32 events,
/// not one per event, which is what keeps its memory small on a large log.
#[test]
fn small_groups_share_index_chunks() {
    let mut t = setup();
    let base = crate::support::base_chain();
    append(t.store(), &base);
    let mut p = t.store().head().position.0;
    while p < 100 {
        append(t.store(), &[observation("notes:m1", "area:noord", &["resident:r-1"], &format!("notitie {p}"))]);
        p += 1;
    }
    let before = all_events(t.store());
    t.close();
    let chunks = with_sled(t.data(), |db| db.scan_prefix(b"c").count());
    assert_eq!(chunks, 4, "100 events: three full chunks of 32, and the last four left there on close");
    let report = outcome(&mut t).expect("opens");
    assert_eq!((report.events, report.first_bad), (100, None), "verifies after single-event groups");
    t.open();
    for e in &before {
        assert_eq!(t.store().get(e.id).expect("get").as_ref(), Some(e), "found by id");
    }
}

/// Regression: a data folder written by the first store format (events in sled) opened as an
/// empty log under the second (events in a log file), so appends would have started a new
/// chain beside the old one. The format marker now refuses it.
#[test]
fn a_folder_of_another_store_format_is_refused() {
    let mut t = tampered_store();
    std::fs::write(t.data().join("PARLOG"), "parlog data folder\nstore format 1\n").expect("write the marker");
    match t.try_open() {
        Err(StoreError::Corrupt(why)) => assert!(why.contains("another version of parlog"), "{why}"),
        other => panic!("expected the store to refuse an older format, got {:?}", other.map(|_| "an open store")),
    }
}

/// The indexes are derived from the log: indexes of another layout (marked by `mformat`, or not
/// marked at all, as before layouts were marked) are dropped and rebuilt from the log on open,
/// whatever they hold.
#[test]
fn indexes_of_another_layout_are_rebuilt_from_the_log() {
    let mut t = tampered_store();
    t.open();
    let before = all_events(t.store());
    t.close();
    with_sled(t.data(), |db| {
        assert_eq!(get(db, b"mformat"), b"parlog index 4".to_vec(), "the store marks its index layout");
        db.remove(b"mformat").expect("sled remove");
        // What an older layout might have left: entries the current one does not know.
        db.insert(b"o\0\0\0\0\0\0\0\x02", &[1u8, 2, 3][..]).expect("sled insert");
        let chunks: Vec<_> = db.scan_prefix(b"c").keys().map(|k| k.expect("a key")).collect();
        for c in chunks {
            db.remove(c).expect("sled remove");
        }
    });
    assert_verifies(&mut t, "after rebuilding the indexes");
    t.open();
    assert_eq!(all_events(t.store()), before, "the same events");
    for e in &before {
        assert_eq!(t.store().get(e.id).expect("get").as_ref(), Some(e), "found by id again");
    }
    t.close();
    with_sled(t.data(), |db| {
        assert_eq!(get(db, b"mformat"), b"parlog index 4".to_vec(), "marked again");
        assert!(db.get(b"o\0\0\0\0\0\0\0\x02").expect("sled get").is_none(), "the old layout's entries are gone");
    });
}
