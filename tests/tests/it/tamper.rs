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
//!
//! Those tests are about the embedded store's own files (log frames, commit frames, sled's
//! index chunks, the quarantine of a torn log tail, the store format's marker) and run on sled
//! only. The PostgreSQL store is tampered with at the end of this file (`tamper::pg`): rows
//! changed with SQL, with the append-only trigger switched off.

use std::path::Path;
use std::time::{Duration, Instant};

use parlog_core::{EventStore, Position, SealedView, StoreError, VerifyReport};
use serde_json::{json, Value};

use crate::support::{all_events, append, ev, observation, setup, setup_on, Backend, TestStore};

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
    fill(&t);
    t.close();
    t
}

/// Appends the [`EVENTS`] events of [`tampered_store`] and checks that they verify.
fn fill(t: &TestStore) {
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

// ---- PostgreSQL: rows changed behind parlog's back --------------------------------------------
//
// The same store of [`EVENTS`] events, as a study in a PostgreSQL database. Someone with the
// database's superuser can switch the append-only trigger off for a session
// (`SET session_replication_role = replica`) and change rows; `verify` (the open store's and
// `parlog_core::pg::check_study`, which `parlog verify` runs) must name the first bad position,
// and checking must change nothing: not a byte of a row, not even a row's version (`xmin`).
//
// Rows deleted from the end are found too: each group's statement also records the head it
// ended with in `parlog.studies` (schema migration 2), and opening and verify hold the rows to
// it (`the_last_rows_deleted_are_found_against_the_recorded_head`). What still cannot be found:
// someone who deletes the last rows and also rewrites that recorded head, or drops a whole study.

mod pg {
    use parlog_core::pg::check_study;
    use parlog_core::{EventStore, PgDatabase, Position, SealedView, VerifyReport};
    use parlog_tests::pg::Sql;

    use super::{pg_store, EVENTS};
    use crate::support::{TestStore, PG_STUDY};

    /// Every row of the study as PostgreSQL holds it, with where and by which transaction it was
    /// written: a check that changed anything, or rewrote a row as it was, shows here.
    fn dump(sql: &Sql) -> Vec<String> {
        sql.rows(&format!(
            "SELECT concat_ws(' ', position, ctid, xmin, md5(e::text)) FROM parlog.events e
             WHERE study = '{PG_STUDY}' ORDER BY position, ctid"
        ))
        .expect("the study's rows")
        .into_iter()
        .map(|r| r.into_iter().flatten().collect())
        .collect()
    }

    fn assert_unchanged(before: &[String], after: &[String], what: &str) {
        if before != after {
            let first = before.iter().zip(after).find(|(a, b)| a != b);
            panic!(
                "{what}: the study's rows changed ({} rows before, {} after; first difference: {first:?})",
                before.len(),
                after.len()
            );
        }
    }

    /// A session with the append-only trigger switched off, and the study's rows saved, so that
    /// [`Tamper::restore`] can put them back.
    pub(super) struct Tamper {
        pub sql: Sql,
    }

    impl Tamper {
        pub fn new(t: &TestStore) -> Tamper {
            let sql = t.pg().sql();
            sql.execute(&format!(
                "SET session_replication_role = replica;
                 CREATE TEMP TABLE saved AS SELECT * FROM parlog.events WHERE study = '{PG_STUDY}'"
            ))
            .expect("a superuser may switch the trigger off");
            Tamper { sql }
        }

        /// Runs `change` (SQL; `{s}` is the study's slug, quoted).
        pub fn change(&self, change: &str) {
            let change = change.replace("{s}", &format!("'{PG_STUDY}'"));
            self.sql.execute(&change).unwrap_or_else(|e| panic!("tampering with {change:?}: {e}"));
        }

        /// Puts the study's rows back as they were saved.
        pub fn restore(&self) {
            self.change("DELETE FROM parlog.events WHERE study = {s}; INSERT INTO parlog.events SELECT * FROM saved");
        }
    }

    /// What both checks say, each run with the rows dumped before and after: `check_study` on
    /// a read-only connection, and `verify` of a store opened now (or why it would not open).
    fn outcome(t: &mut TestStore, what: &str) -> (VerifyReport, Result<VerifyReport, String>) {
        let watch = t.pg().sql();
        let before = dump(&watch);
        let pg = t.pg().clone();
        let db = PgDatabase::connect_read_only(&pg.db.url).expect("a read-only connection");
        let (report, _keys) = check_study(&db, &pg.slug, t.data(), &pg.options).expect("check_study runs");
        drop(db);
        assert_unchanged(&before, &dump(&watch), &format!("{what}: check_study"));
        let opened = match t.try_open() {
            Ok(()) => {
                let r = t.store().verify().map_err(|e| format!("verify failed: {e}"));
                t.close();
                r
            }
            Err(e) => Err(format!("open refused: {e}")),
        };
        assert_unchanged(&before, &dump(&watch), &format!("{what}: opening and verifying"));
        (report, opened)
    }

    /// Both checks name `bad` first (a store refuses to open only when the damage is in the last
    /// row, which opening checks); returns check_study's reason.
    pub(super) fn assert_found_at(t: &mut TestStore, bad: u64, what: &str) -> String {
        let (report, opened) = outcome(t, what);
        let why = match &report.first_bad {
            Some((p, why)) if *p == Position(bad) => why.clone(),
            other => panic!("{what}: check_study should name position {bad}, said {other:?} ({report:?})"),
        };
        assert_eq!(report.events, bad - 1, "{what}: check_study counts the sound events before it");
        match opened {
            Ok(VerifyReport { first_bad: Some((p, _)), .. }) if p == Position(bad) => {}
            // Opening checks the last row, and the rows that say they forget a subject (a forget
            // the record does not bear out would otherwise destroy a subject's data).
            Err(e) if (bad == EVENTS || e.contains("forgets column")) && e.contains(&format!("position {bad}")) => {}
            other => panic!("{what}: verify of the reopened store should name position {bad}, got {other:?}"),
        }
        why
    }

    pub(super) fn assert_verifies(t: &mut TestStore, what: &str) {
        let (report, opened) = outcome(t, what);
        assert_eq!((report.first_bad.clone(), report.events), (None, EVENTS), "{what}: check_study: {report:?}");
        match opened {
            Ok(r) if r.first_bad.is_none() && r.events == EVENTS => {}
            other => panic!("{what}: expected the store to verify, got {other:?}"),
        }
    }

    /// Flips each byte of the record at `p` in turn (every byte checked by `check_study` and by
    /// the open store's `verify`, every 16th also by a store opened anew).
    fn flip_each_byte(p: u64) {
        let Some(mut t) = pg_store() else { return };
        let tamper = Tamper::new(&t);
        let len: usize = tamper
            .sql
            .value(&format!("SELECT length(record) FROM parlog.events WHERE study = '{PG_STUDY}' AND position = {p}"))
            .expect("the record's length")
            .expect("a record")
            .parse()
            .expect("a number");
        let pg = t.pg().clone();
        let db = PgDatabase::connect_read_only(&pg.db.url).expect("a read-only connection");
        t.open();
        for i in 0..len {
            tamper.change(&format!(
                "UPDATE parlog.events SET record = set_byte(record, {i}, get_byte(record, {i}) # 1)
                 WHERE study = {{s}} AND position = {p}"
            ));
            let what = format!("byte {i} of {len} of the record at {p} flipped");
            let (report, _) = check_study(&db, &pg.slug, t.data(), &pg.options).expect("check_study runs");
            assert_eq!(report.first_bad.as_ref().map(|b| b.0), Some(Position(p)), "{what}: check_study: {report:?}");
            let open = t.store().verify().expect("verify runs");
            assert_eq!(open.first_bad.as_ref().map(|b| b.0), Some(Position(p)), "{what}: the open store: {open:?}");
            if i % 16 == 0 || i + 1 == len {
                t.close();
                assert_found_at(&mut t, p, &what);
                tamper.restore();
                t.open();
            } else {
                tamper.restore();
            }
        }
        t.close();
        assert_verifies(&mut t, &format!("the record at {p} restored"));
    }

    #[test]
    fn every_flipped_byte_of_a_sealed_record_is_found_at_its_position() {
        flip_each_byte(10);
    }

    #[test]
    fn every_flipped_byte_of_an_open_record_is_found_at_its_position() {
        flip_each_byte(11);
    }

    #[test]
    fn every_flipped_byte_of_the_first_record_is_found() {
        flip_each_byte(1);
    }

    #[test]
    fn every_flipped_byte_of_the_last_record_is_found() {
        flip_each_byte(EVENTS);
    }

    #[test]
    fn a_changed_column_is_found_at_its_position() {
        let Some(mut t) = pg_store() else { return };
        let tamper = Tamper::new(&t);
        for (what, change, expect) in [
            (
                "hash column",
                "UPDATE parlog.events SET hash = set_byte(hash, 0, get_byte(hash, 0) # 1) WHERE study = {s} AND position = 10",
                "hash column does not match",
            ),
            (
                "stream_version column",
                "UPDATE parlog.events SET stream_version = stream_version + 1000 WHERE study = {s} AND position = 10",
                "columns (id, stream, version)",
            ),
            (
                "stream column",
                "UPDATE parlog.events SET stream = 'notes:ander' WHERE study = {s} AND position = 10",
                "columns (id, stream, version)",
            ),
            (
                "id column",
                "UPDATE parlog.events SET id = gen_random_uuid() WHERE study = {s} AND position = 10",
                "columns (id, stream, version)",
            ),
            (
                "forgets column",
                "UPDATE parlog.events SET forgets = 'resident:r-1' WHERE study = {s} AND position = 10",
                "forgets column",
            ),
        ] {
            tamper.change(change);
            let why = assert_found_at(&mut t, 10, what);
            assert!(why.contains(expect), "{what}: {why}");
            tamper.restore();
        }
        assert_verifies(&mut t, "columns restored");
    }

    #[test]
    fn altered_or_removed_ciphertext_is_found_at_its_position() {
        let Some(mut t) = pg_store() else { return };
        let tamper = Tamper::new(&t);
        let p = 8;
        for (what, change, expect) in [
            (
                "a ciphertext byte flipped",
                "UPDATE parlog.events SET ciphertext = set_byte(ciphertext, 5, get_byte(ciphertext, 5) # 128) WHERE study = {s} AND position = 8",
                "sealed bytes do not match their digest",
            ),
            (
                "the ciphertext cut short",
                "UPDATE parlog.events SET ciphertext = substr(ciphertext, 1, length(ciphertext) - 1) WHERE study = {s} AND position = 8",
                "sealed bytes do not match their digest",
            ),
            (
                "the ciphertext of another event",
                "UPDATE parlog.events e SET ciphertext = o.ciphertext FROM saved o WHERE e.study = {s} AND e.position = 8 AND o.position = 10",
                "sealed bytes do not match their digest",
            ),
            (
                "the ciphertext removed without a forget",
                "UPDATE parlog.events SET ciphertext = NULL WHERE study = {s} AND position = 8",
                "sealed bytes are missing but no subject was forgotten",
            ),
            (
                "sealed bytes added to an open event",
                "UPDATE parlog.events e SET ciphertext = o.ciphertext FROM saved o WHERE e.study = {s} AND e.position = 9 AND o.position = 8",
                "sealed bytes its record does not announce",
            ),
        ] {
            tamper.change(change);
            let bad = if what.contains("open event") { 9 } else { p };
            let why = assert_found_at(&mut t, bad, what);
            assert!(why.contains(expect), "{what}: {why}");
            if bad == p {
                // Reading it does not hand out tampered or missing text as anything but damage.
                t.open();
                let event = t.store().read_from(Position(p), 1).expect("read").remove(0);
                match t.store().unseal(&event) {
                    Ok(SealedView::Damaged { reason }) => assert!(reason.contains(&format!("position {p}")), "{reason}"),
                    other => panic!("{what}: unseal should say Damaged, got {other:?}"),
                }
                t.close();
            }
            tamper.restore();
        }
        assert_verifies(&mut t, "ciphertext restored");
        t.open();
        let event = t.store().read_from(Position(p), 1).expect("read").remove(0);
        assert!(matches!(t.store().unseal(&event), Ok(SealedView::Open(_))), "restored sealed bytes open again");
    }

    /// Regression: a forgets column set on a row that forgets nothing (one UPDATE by a
    /// superuser) made the next open "finish" that forget: it removed the sealed bytes of every
    /// event naming the subject and destroyed the subject's key. Now opening refuses such a
    /// row and changes nothing; and verify does not take it as a forget, so an earlier row whose
    /// sealed bytes were removed is the first bad position.
    #[test]
    fn a_fake_forget_destroys_nothing_and_hides_no_removed_sealed_bytes() {
        let Some(mut t) = pg_store() else { return };
        let keys_before = crate::support::subject_keys(t.data());
        let tamper = Tamper::new(&t);
        tamper.change("UPDATE parlog.events SET forgets = 'resident:r-1' WHERE study = {s} AND position = 9");
        let (report, opened) = outcome(&mut t, "a forget faked at 9");
        assert_eq!(report.first_bad.as_ref().map(|b| b.0), Some(Position(9)), "{report:?}");
        match opened {
            Err(e) => assert!(e.contains("position 9") && e.contains("forgets column"), "{e}"),
            Ok(r) => panic!("opening should refuse a forget its record does not bear out, verified {r:?}"),
        }
        assert_eq!(crate::support::subject_keys(t.data()), keys_before, "no subject key was destroyed");

        tamper.change("UPDATE parlog.events SET ciphertext = NULL WHERE study = {s} AND position = 8");
        let (report, _) = outcome(&mut t, "sealed bytes removed, a forget faked after them");
        match &report.first_bad {
            Some((p, why)) => {
                assert_eq!(*p, Position(8), "{why}");
                assert!(why.contains("sealed bytes are missing but no subject was forgotten"), "{why}");
            }
            None => panic!("the removed sealed bytes went unnoticed: {report:?}"),
        }
        tamper.restore();
        assert_verifies(&mut t, "restored");
        t.open();
        let event = t.store().read_from(Position(10), 1).expect("read").remove(0);
        assert!(matches!(t.store().unseal(&event), Ok(SealedView::Open(_))), "resident:r-1's data still opens");
    }

    #[test]
    fn a_deleted_row_is_found_at_its_position() {
        let Some(mut t) = pg_store() else { return };
        let tamper = Tamper::new(&t);
        for p in [1, 7, 10, EVENTS - 1] {
            tamper.change(&format!("DELETE FROM parlog.events WHERE study = {{s}} AND position = {p}"));
            let why = assert_found_at(&mut t, p, &format!("row {p} deleted"));
            assert!(why.contains("missing"), "row {p} deleted: {why}");
            tamper.restore();
        }
        assert_verifies(&mut t, "rows restored");
    }

    #[test]
    fn rows_swapped_are_found() {
        let Some(mut t) = pg_store() else { return };
        let tamper = Tamper::new(&t);
        // The records only, and then every column but the position: each row is whole, but
        // not where its chain says.
        tamper.change(
            "UPDATE parlog.events e SET record = o.record FROM saved o
             WHERE e.study = {s} AND ((e.position = 5 AND o.position = 6) OR (e.position = 6 AND o.position = 5))",
        );
        let why = assert_found_at(&mut t, 5, "records 5 and 6 swapped");
        assert!(why.contains("says it is at 6"), "{why}");
        tamper.restore();
        tamper.change(
            "DELETE FROM parlog.events WHERE study = {s} AND position IN (5, 6);
             INSERT INTO parlog.events
             SELECT study, 11 - position, id, stream, stream_version, hash, record, retry, ciphertext, forgets
             FROM saved WHERE position IN (5, 6)",
        );
        let why = assert_found_at(&mut t, 5, "rows 5 and 6 swapped whole");
        assert!(why.contains("says it is at 6"), "{why}");
        tamper.restore();
        assert_verifies(&mut t, "rows restored");
    }

    /// Nothing outside the rows records where the log ended: the open store notices that the
    /// database is behind its head; a store opened afterwards, and check_study, see a shorter
    /// sound log. (The embedded store's commit frames and indexes catch this; see
    /// `a_deleted_record_is_found_at_its_position`.)
    #[test]
    fn the_last_rows_deleted_are_found_against_the_recorded_head() {
        let Some(mut t) = pg_store() else { return };
        let tamper = Tamper::new(&t);
        t.open();
        tamper.change(&format!("DELETE FROM parlog.events WHERE study = {{s}} AND position = {EVENTS}"));
        let open = t.store().verify().expect("verify runs");
        match &open.first_bad {
            Some((p, why)) => {
                assert_eq!(*p, Position(EVENTS), "{why}");
                assert!(why.contains(&format!("rows end at {}", EVENTS - 1)), "{why}");
            }
            None => panic!("the open store should notice that the database lost its last event: {open:?}"),
        }
        t.close();
        let (report, opened) = outcome(&mut t, "the last row deleted");
        match &report.first_bad {
            Some((p, why)) => {
                assert_eq!(*p, Position(EVENTS), "{why}");
                assert!(why.contains(&format!("ended at position {EVENTS}")), "{why}");
            }
            None => panic!("check_study should find the missing last row: {report:?}"),
        }
        match opened {
            Err(why) => assert!(why.contains(&format!("rows {EVENTS}–{EVENTS} are missing")), "{why}"),
            Ok(r) => panic!("opening should refuse a study that lost its last rows: {r:?}"),
        }
        tamper.restore();
        assert_verifies(&mut t, "the last row restored");
    }

    /// The append-only trigger: without the superuser's switch a row can be neither changed nor
    /// deleted. The one change it allows (removing a ciphertext, which is what a forget does) is
    /// found by verify when no forget asked for it.
    #[test]
    fn the_trigger_refuses_changes_and_deletes() {
        let Some(mut t) = pg_store() else { return };
        let sql = t.pg().sql();
        let q = |s: &str| s.replace("{s}", &format!("'{PG_STUDY}'"));
        for change in [
            "UPDATE parlog.events SET record = set_byte(record, 3, 0) WHERE study = {s} AND position = 10",
            "UPDATE parlog.events SET hash = hash WHERE study = {s} AND position = 10",
            "UPDATE parlog.events SET stream_version = stream_version + 1000 WHERE study = {s} AND position = 10",
            "UPDATE parlog.events SET ciphertext = '\\x00'::bytea WHERE study = {s} AND position = 8",
            "UPDATE parlog.events SET forgets = 'resident:r-1' WHERE study = {s} AND position = 10",
        ] {
            let change = q(change);
            let err = sql.execute(&change).expect_err("the trigger refuses the change");
            assert!(err.contains("parlog events are never changed"), "{change}: {err}");
        }
        let err = sql
            .execute(&q("DELETE FROM parlog.events WHERE study = {s} AND position = 10"))
            .expect_err("the trigger refuses a delete");
        assert!(err.contains("parlog events are never deleted"), "{err}");
        assert_verifies(&mut t, "nothing was changed");
        sql.execute(&q("UPDATE parlog.events SET ciphertext = NULL WHERE study = {s} AND position = 8"))
            .expect("removing a ciphertext is what a forget does, and the trigger allows it");
        let why = assert_found_at(&mut t, 8, "a ciphertext removed without a forget");
        assert!(why.contains("no subject was forgotten"), "{why}");
    }
}

/// The store of [`tampered_store`] as a study in PostgreSQL; closed. `None` without a server.
fn pg_store() -> Option<TestStore> {
    let mut t = setup_on(Backend::Postgres)?;
    fill(&t);
    t.close();
    Some(t)
}
