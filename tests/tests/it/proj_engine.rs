//! The engine: a long replay (read by reader threads) gives the same state as short catch-ups
//! (read on the calling thread), and the checkpoint gives back the same state, or a rebuild.

use parlog_core::{AuthorSource, DomainEvent, EventId, EventKind, EventStore, NewEvent, Position, SledStore};
use parlog_projections::{AsOf, Engine, Projections, ViewOptions, PROJECTION_NAMES};
use parlog_tests::gen::{self, Generator, SEED};

/// Over the engine's threshold for reading on other threads (4 pages of 512 events).
const LONG_LOG_EVENTS: u64 = 20_000;
/// Under that threshold: every catch-up of this many events is read on the calling thread.
const STEP_EVENTS: u64 = 2_000;

fn generated_store(events: u64) -> (tempfile::TempDir, SledStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SledStore::init(&dir.path().join("data")).expect("store");
    let mut g = Generator::new(events, SEED);
    gen::append(&store, &mut g, events, |_| {}).expect("generated events are accepted");
    (dir, store)
}

fn views(p: &Projections) -> Vec<String> {
    let o = ViewOptions::default();
    PROJECTION_NAMES.iter().map(|n| p.view(n, &o).expect("a known view").to_string()).collect()
}

#[test]
fn a_long_replay_read_on_reader_threads_gives_the_state_of_short_catch_ups() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SledStore::init(&dir.path().join("data")).expect("store");
    let mut g = Generator::new(LONG_LOG_EVENTS, SEED);
    let mut stepwise = Engine::new();
    let mut done = 0;
    while done < LONG_LOG_EVENTS {
        gen::append(&store, &mut g, STEP_EVENTS, |_| {}).expect("generated events are accepted");
        done += STEP_EVENTS;
        assert_eq!(stepwise.catch_up(&store).expect("catch-up"), STEP_EVENTS);
    }
    let whole = Engine::as_of(&store, AsOf::Head).expect("replay");
    assert_eq!((whole.position, whole.hash), (stepwise.position, stepwise.hash));
    assert!(whole.state == stepwise.state, "the replay's state differs from the catch-ups'");
    assert_eq!(views(&whole.state), views(&stepwise.state));
    assert!(!whole.state.cycles.items.is_empty() && whole.state.activity.last_day.is_some(), "a real log");

    // A replay up to a position stops exactly there, and as a plain catch-up would.
    let cut = LONG_LOG_EVENTS - STEP_EVENTS - 123;
    let upto = Engine::as_of(&store, AsOf::Position(cut)).expect("replay up to a position");
    assert_eq!((upto.position, upto.included), (cut, cut));
    assert!(upto.state != whole.state, "the events after the cut are left out");
    let mut short = Engine::as_of(&store, AsOf::Position(cut - STEP_EVENTS)).expect("shorter replay");
    short.catch_up(&store).expect("catch-up");
    assert!(short.state == whole.state, "a replay continued by a catch-up reaches the whole log's state");
}

#[test]
fn the_checkpoint_gives_back_the_same_state_and_a_bad_one_only_a_rebuild() {
    let (dir, store) = generated_store(3_000);
    let cp = dir.path().join("projections");
    let mut first = Engine::open(&store, &cp).expect("open");
    first.save_checkpoint().expect("save");
    let file = cp.join("checkpoint.bin");
    assert!(file.exists(), "the checkpoint is written");
    let again = Engine::open(&store, &cp).expect("open from the checkpoint");
    assert!(again.state == first.state, "the checkpoint gives back the state");
    assert_eq!((again.position, again.hash), (first.position, first.hash));
    assert_eq!(views(&again.state), views(&first.state));

    // A damaged checkpoint, or one of an earlier version (JSON), is no error: the engine rebuilds.
    // The damaged one is moved to the data folder's quarantine, not read and not deleted.
    let bytes = std::fs::read(&file).expect("read");
    std::fs::write(&file, &bytes[..bytes.len() / 2]).expect("cut");
    let cut = Engine::open(&store, &cp).expect("open from a cut checkpoint");
    assert!(cut.state == first.state);
    assert!(!file.exists(), "the damaged checkpoint is not left in place");
    let kept = crate::support::files_under(&dir.path().join("quarantine"));
    assert!(kept.iter().any(|f| std::fs::read(f).is_ok_and(|b| b == bytes[..bytes.len() / 2])), "{kept:?}");
    std::fs::write(cp.join("checkpoint.json"), r#"{"version":"projections-v2","position":3000}"#).expect("old");
    let mut old = Engine::open(&store, &cp).expect("open beside an old checkpoint");
    assert!(old.state == first.state);
    // Saving replaces the old form with the new one.
    old.rebuild(&store).expect("rebuild");
    old.save_checkpoint().expect("save");
    assert!(file.exists() && !cp.join("checkpoint.json").exists());
    store.close();
}

/// The engine finds the targets of corrections among the events it applied last, by position;
/// that is only a hint. The checkpoint keeps that list, so after a restart corrections of the
/// events just before the checkpoint are found there, and older ones are looked up in the store
/// by id: both ways the state must be that of a replay.
#[test]
fn corrections_of_events_before_a_checkpoint_give_the_state_of_a_replay() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SledStore::init(&dir.path().join("data")).expect("store");
    let cp = dir.path().join("projections");
    let mut g = Generator::new(LONG_LOG_EVENTS, SEED);
    let before = LONG_LOG_EVENTS / 2;
    gen::append(&store, &mut g, before, |_| {}).expect("generated events are accepted");
    Engine::open(&store, &cp).expect("open").save_checkpoint().expect("save");
    gen::append(&store, &mut g, LONG_LOG_EVENTS - before, |_| {}).expect("generated events are accepted");
    // The generator corrects only recent events: one correction reaching far back is added.
    let early = store.read_from(Position(1), 1_000).expect("read");
    let note = early.iter().find(|e| e.kind == EventKind::ObservationRecorded).expect("an early field note");
    let retraction = serde_json::json!({
        "id": EventId::new_random(), "stream": note.stream, "kind": "EventRetracted",
        "occurred_at": "2030-01-01T12:00:00+01:00", "author": "researcher-1",
        "payload": {"target": note.id, "reason": "dubbel ingevoerd"},
    });
    let retraction = NewEvent::from_json(&retraction.to_string(), &AuthorSource::FromBody).expect("a valid retraction");
    store.append(vec![retraction]).expect("the retraction is accepted");
    let events = LONG_LOG_EVENTS + 1;

    // The test means something only if corrections after the checkpoint target events before
    // it, both within the hint's reach (the last 4,096 events applied) and beyond.
    let log: Vec<_> =
        (0..=events / 1_000).flat_map(|k| store.read_from(Position(k * 1_000 + 1), 1_000).expect("read")).collect();
    assert_eq!(log.len() as u64, events);
    let position_of = |id| log.iter().find(|e| e.id == id).map(|e| e.position.0);
    let reaching_back: Vec<u64> = log[before as usize..]
        .iter()
        .filter_map(|e| match e.domain().ok()? {
            DomainEvent::EventAmended(a) => position_of(a.target),
            DomainEvent::EventRetracted(r) => position_of(r.target),
            _ => None,
        })
        .filter(|p| *p <= before)
        .collect();
    let hint_reach = before - 4_096;
    assert!(
        reaching_back.iter().any(|p| *p > hint_reach),
        "a correction of one of the last events before the checkpoint"
    );
    assert!(reaching_back.iter().any(|p| *p <= hint_reach), "a correction of an event long before the checkpoint");

    let resumed = Engine::open(&store, &cp).expect("open from the checkpoint and catch up");
    let whole = Engine::as_of(&store, AsOf::Head).expect("replay");
    assert_eq!(resumed.position, whole.position);
    assert!(resumed.state == whole.state, "the resumed state differs from the replay's");
    assert_eq!(views(&resumed.state), views(&whole.state));
    store.close();
}
