//! The demo log: readable JSON in `demo/`, loaded with `parlog demo`.
//!
//! Demo files refer to events by label instead of UUID: any string of the form `@label` in an
//! event's `id`, `causation` or `payload` becomes the UUID v5 of the label, so the same file
//! always gives the same ids and loading it twice changes nothing.

use parlog_core::{Appended, AuthorSource, EventStore, NewEvent, SledStore};
use serde_json::Value;
use uuid::Uuid;

use super::{Failure, Result};

/// The Gouda story (2014 to 2019), in the repository as data.
pub const GOUDA: &str = include_str!("../../../demo/gouda.json");

/// Namespace of demo labels (a fixed, random UUID).
const LABEL_NAMESPACE: Uuid = Uuid::from_u128(0x5b0e_4a7c_93d1_4f0e_8a61_2c9f_d3b4_7e10);
/// Events per appended batch when loading.
const LOAD_BATCH_EVENTS: usize = 500;

pub fn label_id(label: &str) -> Uuid {
    Uuid::new_v5(&LABEL_NAMESPACE, label.as_bytes())
}

fn is_label(s: &str) -> bool {
    s.len() > 1
        && s.starts_with('@')
        && s[1..].chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
}

fn resolve(v: &mut Value) {
    match v {
        Value::String(s) if is_label(s) => *s = label_id(&s[1..]).to_string(),
        Value::Array(items) => items.iter_mut().for_each(resolve),
        Value::Object(map) => map.values_mut().for_each(resolve),
        _ => {}
    }
}

/// Parses a demo file (a JSON array of events) into events with their labels resolved.
pub fn parse(text: &str, name: &str) -> Result<Vec<NewEvent>> {
    let items: Vec<Value> =
        serde_json::from_str(text).map_err(|e| Failure::Input(format!("{name}: not a JSON array of events: {e}")))?;
    let mut out = Vec::with_capacity(items.len());
    for (i, mut item) in items.into_iter().enumerate() {
        for field in ["id", "causation", "payload"] {
            if let Some(v) = item.get_mut(field) {
                resolve(v);
            }
        }
        let ev = NewEvent::from_json(&item.to_string(), &AuthorSource::FromBody)
            .map_err(|e| Failure::Input(format!("{name}: event {}: {e}", i + 1)))?;
        out.push(ev);
    }
    Ok(out)
}

/// Loads events in batches; events already stored (same id, same content) are skipped.
pub fn load(store: &SledStore, events: Vec<NewEvent>) -> Result<Vec<Appended>> {
    let mut out = Vec::with_capacity(events.len());
    let mut events = events.into_iter().peekable();
    while events.peek().is_some() {
        let batch: Vec<NewEvent> = events.by_ref().take(LOAD_BATCH_EVENTS).collect();
        out.extend(store.append(batch)?);
    }
    Ok(out)
}

/// `parlog demo`: where the demo comes from.
#[derive(clap::Args)]
pub struct DemoArgs {
    /// A demo-style JSON file instead of the built-in demo.
    #[arg(long)]
    file: Option<std::path::PathBuf>,
}

/// `parlog demo`: loads the built-in demo or a demo-style file, creating the data folder if needed.
pub fn run(data: &std::path::Path, a: DemoArgs) -> Result<i32> {
    let (text, name) = match a.file {
        Some(f) => (super::io::read_input(&f.display().to_string())?, f.display().to_string()),
        None => (GOUDA.to_string(), "the built-in demo".to_string()),
    };
    let events = parse(&text, &name)?;
    let store = super::init_store(data)?;
    let appended = load(&store, events)?;
    let new = appended.iter().filter(|a| !a.duplicate).count();
    println!(
        "{name}: {new} events added, {} already present; the log in {} has {} events",
        appended.len() - new,
        data.display(),
        store.head().position
    );
    Ok(0)
}
