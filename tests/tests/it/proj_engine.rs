//! The engine: a long replay (read by reader threads) gives the same state as short catch-ups
//! (read on the calling thread), the checkpoint gives back the same state, or a rebuild, and a
//! log held in memory gives the same bytes as the store it was read from.

use chrono::NaiveDate;
use parlog_core::{AuthorSource, DomainEvent, EventId, EventKind, EventStore, Lang, NewEvent, Position, SledStore};
use parlog_projections::retro::{self, Format, RetroOptions};
use parlog_projections::{AsOf, Engine, MemorySource, Projections, Source, ViewOptions, PROJECTION_NAMES};
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
    retract_the_first_field_note(&store);
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

// ---- the engine over a source in memory -----------------------------------------------------

/// Over the reach of the engine's hint for corrections (the last 4,096 events) and its threshold
/// for reading on other threads (2,048), so that both ways of reading are taken.
const MEMORY_LOG_EVENTS: u64 = 6_000;

/// A generated log, then the retraction of its first field note: a correction that the engine
/// must look up by id, beyond the events it applied last.
fn generated_store_with_an_old_correction(events: u64) -> (tempfile::TempDir, SledStore) {
    let (dir, store) = generated_store(events);
    retract_the_first_field_note(&store);
    (dir, store)
}

fn retract_the_first_field_note(store: &SledStore) {
    let early = store.read_from(Position(1), 1_000).expect("read");
    let note = early.iter().find(|e| e.kind == EventKind::ObservationRecorded).expect("an early field note");
    let retraction = serde_json::json!({
        "id": EventId::new_random(), "stream": note.stream, "kind": "EventRetracted",
        "occurred_at": "2030-01-01T12:00:00+01:00", "author": "researcher-1",
        "payload": {"target": note.id, "reason": "dubbel ingevoerd"},
    });
    let retraction = NewEvent::from_json(&retraction.to_string(), &AuthorSource::FromBody).expect("a valid retraction");
    store.append(vec![retraction]).expect("the retraction is accepted");
}

/// Every event of a store, read in pages.
fn read_all(store: &SledStore) -> Vec<parlog_core::RecordedEvent> {
    let mut out = Vec::new();
    loop {
        let page = store.read_from(Position(out.len() as u64 + 1), 1_000).expect("read");
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

/// Every view in both languages, as JSON and as text, treating the as-of day as "today".
fn views_and_texts(p: &Projections, as_of: AsOf) -> Vec<String> {
    let mut out = Vec::new();
    for lang in [Lang::Nl, Lang::En] {
        let o = ViewOptions { lang, day: as_of.day(), ..ViewOptions::default() };
        for n in PROJECTION_NAMES {
            out.push(p.view(n, &o).expect("a known view").to_string());
            out.push(p.text(n, &o).expect("a known view"));
        }
    }
    out
}

/// The retrospective in both formats and languages.
fn retrospectives(source: &(impl Source + ?Sized), e: &Engine, as_of: AsOf) -> Vec<String> {
    let mut out = Vec::new();
    for (lang, format) in [(Lang::Nl, Format::Markdown), (Lang::En, Format::Html)] {
        let o = RetroOptions { lang, ..RetroOptions::default() };
        out.push(retro::render(&retro::from_engine(source, e, as_of, &o), format));
    }
    out
}

#[test]
fn the_engine_over_a_log_in_memory_gives_the_bytes_of_the_engine_over_its_store() {
    let (dir, store) = generated_store_with_an_old_correction(MEMORY_LOG_EVENTS);
    let log = read_all(&store);
    let mid = &log[log.len() / 2];
    let memory = MemorySource::new(log.clone()).expect("a store's events are a log");
    assert_eq!(Source::head(&memory), EventStore::head(&store));

    let as_ofs = [
        AsOf::Head,
        AsOf::Position(mid.position.0),
        AsOf::Occurred(mid.occurred_at.date()),
        AsOf::Recorded(log[log.len() - 1].recorded_at.utc().date_naive()),
        AsOf::Occurred(NaiveDate::from_ymd_opt(1990, 1, 1).expect("a day")),
    ];
    for as_of in as_ofs {
        let from_store = Engine::as_of(&store, as_of).expect("replay from the store");
        let from_memory = Engine::as_of(&memory, as_of).expect("replay from memory");
        let prefix = |e: &Engine| (e.position, e.hash, e.included, e.included_hash);
        assert_eq!(prefix(&from_memory), prefix(&from_store), "{as_of:?}");
        assert!(from_memory.state == from_store.state, "{as_of:?}: the states differ");
        assert_eq!(views_and_texts(&from_memory.state, as_of), views_and_texts(&from_store.state, as_of), "{as_of:?}");
        let (a, b) = (retrospectives(&memory, &from_memory, as_of), retrospectives(&store, &from_store, as_of));
        assert_eq!(a, b, "{as_of:?}: the retrospectives differ");
    }
    // The comparison means something: the old correction was found (by id), and the report
    // lists sources read through the source.
    let whole = Engine::as_of(&memory, AsOf::Head).expect("replay");
    let first_note = log.iter().find(|e| e.kind == EventKind::ObservationRecorded).expect("a field note");
    assert!(whole.state.corrections.is_retracted(first_note.position.0), "the old correction is applied");
    let doc = retro::from_engine(&memory, &whole, AsOf::Head, &RetroOptions::default());
    assert!(doc.sources.len() > 10 && doc.sources.iter().all(|s| !s.kind.is_empty()), "{:?}", doc.sources.len());

    // A checkpoint written over the store is the same log's over memory: opened, not rebuilt.
    let cp = dir.path().join("projections");
    Engine::open(&store, &cp).expect("open").save_checkpoint().expect("save");
    let partial = MemorySource::new(log[..log.len() - 10].to_vec()).expect("a prefix is a log");
    let other = Engine::open(&partial, &cp).expect("open over a shorter log");
    assert_eq!(other.position, log.len() as u64 - 10, "a checkpoint beyond the source's head is not used");
    let reopened = Engine::open(&memory, &cp).expect("open over memory");
    assert!(reopened.state == whole.state && reopened.position == whole.position);
    store.close();
}

#[test]
fn a_source_in_memory_answers_as_the_store_does_at_its_edges() {
    let (_dir, store) = generated_store(100);
    let log = read_all(&store);
    let memory = MemorySource::new(log.clone()).expect("a log");
    let head = EventStore::head(&store).position.0;
    for (from, limit) in [(0, 3), (1, 0), (1, 1_000), (head, 5), (head + 1, 5), (u64::MAX, 1)] {
        let (m, s) =
            (memory.page(Position(from), limit).expect("page"), store.read_from(Position(from), limit).expect("read"));
        assert_eq!(m, s, "page from {from}, at most {limit}");
    }
    for p in [0, 1, head, head + 1] {
        assert_eq!(memory.at(Position(p)).expect("at"), Source::at(&store, Position(p)).expect("at"), "at {p}");
    }
    for id in [log[41].id, EventId::new_random()] {
        assert_eq!(memory.by_id(id).expect("by id"), store.get(id).expect("get"));
    }
    let empty = MemorySource::new(Vec::new()).expect("an empty log");
    assert_eq!(Source::head(&empty).position, Position(0));

    let gap = MemorySource::new(vec![log[0].clone(), log[2].clone()]).expect_err("a gap is no log");
    assert_eq!((gap.index, gap.expected, gap.found), (1, 2, 3));
    assert_eq!(gap.to_string(), "event 1 of the given events is at position 3, expected position 2");
    store.close();
}

/// A chart asked for by name is the chart the report draws: the same figure, byte for byte.
#[test]
fn every_chart_by_name_is_the_one_in_the_report() {
    let (_dir, store) = generated_store(3_000);
    let e = Engine::as_of(&store, AsOf::Head).expect("replay");
    let initiatives = e.state.initiatives.on(None).len();
    let o = RetroOptions { lang: Lang::En, list_items_max: initiatives.max(1), ..RetroOptions::default() };
    let report = retro::render(&retro::from_engine(&store, &e, AsOf::Head, &o), Format::Html);
    for name in parlog_projections::CHART_NAMES {
        let chart = retro::chart_svg(&e.state, name, Lang::En, None).unwrap_or_else(|| panic!("a {name} chart"));
        assert!(chart.contains("<svg") && report.contains(&chart), "the {name} chart is not the report's:\n{chart}");
    }
    assert_eq!(retro::chart_svg(&e.state, "network", Lang::En, None), None, "a view without a chart");
    assert_eq!(retro::chart_svg(&e.state, "spiral", Lang::En, None), None, "no view of that name");
    store.close();
}
