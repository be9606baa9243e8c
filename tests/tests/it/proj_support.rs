//! Given/when/then support for projection tests: given events (as JSON, with `@label` ids),
//! the projections as of the head, built by the engine. The events are decided by the store's
//! own rules (`MemoryLog`) and read from memory (`MemorySource`): projection tests need no disk.

use parlog_core::{AuthorSource, MemoryLog, NewEvent, SystemEnv};
use parlog_projections::{AsOf, Engine, MemorySource, Projections};
use serde_json::{json, Value};

/// A deterministic UUID for a label, so tests can refer to events by name.
pub fn id(label: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, label.as_bytes()).to_string()
}

/// One event. `payload` may use `id("label")` for references.
pub fn ev(label: &str, stream: &str, kind: &str, occurred: &str, payload: Value) -> Value {
    json!({
        "id": id(label), "stream": stream, "kind": kind, "occurred_at": format!("{occurred}T10:00:00+01:00"),
        "author": "onderzoeker-a", "payload": payload
    })
}

/// The same with another author.
pub fn ev_by(label: &str, author: &str, stream: &str, kind: &str, occurred: &str, payload: Value) -> Value {
    let mut e = ev(label, stream, kind, occurred, payload);
    e["author"] = json!(author);
    e
}

fn batch(events: &[Value]) -> Vec<NewEvent> {
    events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            NewEvent::from_json(&e.to_string(), &AuthorSource::FromBody)
                .unwrap_or_else(|err| panic!("given event {} is invalid: {err}\n{e}", i + 1))
        })
        .collect()
}

/// A log in memory holding `events` (decided in one batch, by the rules every store applies).
pub fn memory_with(events: &[Value]) -> MemorySource {
    let mut log = MemoryLog::new();
    log.append(batch(events), &mut SystemEnv).unwrap_or_else(|err| panic!("given events were refused: {err}"));
    MemorySource::new(log.events().iter().map(|s| s.event.clone()).collect()).expect("a decided log is gapless")
}

/// Given these events, the projections as of the head.
pub fn given(events: &[Value]) -> Projections {
    Engine::as_of(&memory_with(events), AsOf::Head).expect("engine").state
}

/// A small study in a municipality that is not Gouda, to build on in tests.
pub fn base_world() -> Vec<Value> {
    vec![
        ev(
            "study",
            "study:zwolle",
            "StudyStarted",
            "2020-01-06",
            json!({
                "title": "Buurtmakelaar Zwolle", "question": "Wat levert de buurtmakelaar op?", "municipality": "Zwolle",
                "levels": ["gemeente", "functie", "wijk"]
            }),
        ),
        ev("city", "area:zwolle", "AreaDefined", "2020-01-06", json!({"name": "Zwolle", "kind": "city"})),
        ev(
            "area-a",
            "area:assendorp",
            "AreaDefined",
            "2020-01-06",
            json!({"name": "Assendorp", "kind": "district", "parent": "area:zwolle"}),
        ),
        ev(
            "area-b",
            "area:holtenbroek",
            "AreaDefined",
            "2020-01-06",
            json!({"name": "Holtenbroek", "kind": "district", "parent": "area:zwolle"}),
        ),
        ev(
            "p-r",
            "participant:onderzoeker-a",
            "ParticipantRegistered",
            "2020-01-06",
            json!({"label": "onderzoeker A", "role": "researcher"}),
        ),
        ev(
            "p-m1",
            "participant:makelaar-a",
            "ParticipantRegistered",
            "2020-01-06",
            json!({"label": "makelaar Assendorp", "role": "makelaar", "area": "area:assendorp"}),
        ),
        ev(
            "p-m2",
            "participant:makelaar-b",
            "ParticipantRegistered",
            "2020-01-06",
            json!({"label": "makelaar Holtenbroek", "role": "makelaar", "area": "area:holtenbroek"}),
        ),
        ev(
            "p-org",
            "participant:welzijn-zwolle",
            "ParticipantRegistered",
            "2020-01-06",
            json!({"label": "Welzijn Zwolle", "role": "organisation"}),
        ),
        ev(
            "p-vol",
            "participant:vrijwilliger-1",
            "ParticipantRegistered",
            "2020-01-06",
            json!({"label": "vrijwilliger 1", "role": "volunteer", "recruitment": "broker_request"}),
        ),
    ]
}

/// A log in memory holding the events of a demo-style file (`@label` ids, as `parlog demo
/// --file` reads it) of the repository, decided in batches as the store takes them.
pub fn memory_of_file(path: &str) -> MemorySource {
    let file = crate::cli_support::repo_file(path);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{path} can be read: {e}"));
    let events = parlog_server::cli::demo::parse(&text, path).unwrap_or_else(|e| panic!("{path} parses: {e:?}"));
    let mut log = MemoryLog::new();
    let mut rest = events.into_iter().peekable();
    while rest.peek().is_some() {
        let batch: Vec<NewEvent> = rest.by_ref().take(parlog_core::limits::BATCH_EVENTS_MAX).collect();
        log.append(batch, &mut SystemEnv).unwrap_or_else(|e| panic!("the events of {path} were refused: {e}"));
    }
    MemorySource::new(log.events().iter().map(|s| s.event.clone()).collect()).expect("a decided log is gapless")
}
