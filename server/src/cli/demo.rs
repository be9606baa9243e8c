//! The demo log: readable JSON in `demo/`, loaded with `parlog demo`.
//!
//! Demo files refer to events by label instead of UUID: any string of the form `@label` in an
//! event's `id`, `causation` or `payload` becomes the UUID v5 of the label, so the same file
//! always gives the same ids and loading it twice changes nothing.

use std::path::{Path, PathBuf};

use parlog_core::{Appended, AuthorSource, DomainEvent, EventStore, NewEvent, StudySlug};
use serde_json::Value;
use uuid::Uuid;

use super::{Failure, Result};
use crate::http::auth::Tokens;
use crate::studies;

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
    let items: Vec<Value> = serde_json::from_str(text)
        .map_err(|e| Failure::Input(t!("demo-not-array", name = name, why = e.to_string())))?;
    let mut out = Vec::with_capacity(items.len());
    for (i, mut item) in items.into_iter().enumerate() {
        for field in ["id", "causation", "payload"] {
            if let Some(v) = item.get_mut(field) {
                resolve(v);
            }
        }
        let ev = NewEvent::from_json(&item.to_string(), &AuthorSource::FromBody).map_err(|e| {
            Failure::Input(format!("{name}: {}", t!("event-refused", index = i + 1, why = e.to_string())))
        })?;
        out.push(ev);
    }
    Ok(out)
}

/// Loads events in batches; events already stored (same id, same content) are skipped.
pub fn load(store: &impl EventStore, events: Vec<NewEvent>) -> Result<Vec<Appended>> {
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
    #[arg(long)]
    file: Option<std::path::PathBuf>,
}

/// `parlog demo`: loads the built-in demo or a demo-style file into the study chosen (or the
/// only one), creating the data folder if needed; into a folder without studies, it creates the
/// study the file describes (its first `StudyStarted`: title and municipality).
pub fn run(data: &Path, wanted: Option<&StudySlug>, a: DemoArgs) -> Result<i32> {
    let (text, name) = match a.file {
        Some(f) => (super::io::read_input(&f.display().to_string())?, f.display().to_string()),
        None => (GOUDA.to_string(), t!("demo-built-in")),
    };
    let events = parse(&text, &name)?;
    let (folder, slug) = study_for(data, wanted, &events, &name)?;
    let store = super::open(&studies::Selected { folder, slug: Some(slug.clone()), record: None })?;
    let appended = load(&store, events)?;
    let new = appended.iter().filter(|a| !a.duplicate).count();
    println!(
        "{}",
        t!(
            "demo-loaded",
            name = name,
            added = new,
            present = appended.len() - new,
            study = slug.to_string(),
            events = store.head().position.0
        )
    );
    Ok(0)
}

/// The study the demo goes into: the one named or the only one, or, in a folder without
/// studies, a new one described by the demo's first `StudyStarted`.
pub fn study_for(
    data: &Path,
    wanted: Option<&StudySlug>,
    events: &[NewEvent],
    name: &str,
) -> Result<(PathBuf, StudySlug)> {
    studies::init(data)?;
    let tokens = Tokens::open(data).map_err(|e| Failure::Check(e.to_string()))?;
    let list = studies::ensure_registered(data, &tokens, super::options())?;
    let record = if list.is_empty() {
        let (slug, title, municipality) =
            describe(events).ok_or_else(|| Failure::Input(t!("demo-no-study-started", name = name)))?;
        let slug = wanted.cloned().unwrap_or(slug);
        let r = studies::create_in(data, &tokens, slug, &title, &municipality, super::options(), super::backend()?)?;
        eprintln!(
            "{}",
            t!(
                "demo-study-created",
                slug = r.slug.to_string(),
                name = r.name.clone(),
                municipality = r.municipality.clone()
            )
        );
        r
    } else {
        studies::select(&list, wanted, data)?.clone()
    };
    if record.archived_at.is_some() {
        return Err(Failure::Input(t!("study-archived", slug = record.slug.to_string())));
    }
    Ok((studies::study_folder(data, &record), record.slug))
}

/// The slug, title and municipality of the study the first `StudyStarted` among `events` starts.
fn describe(events: &[NewEvent]) -> Option<(StudySlug, String, String)> {
    events.iter().find_map(|e| match &e.event {
        DomainEvent::StudyStarted(s) => {
            let slug =
                StudySlug::from_name(s.municipality.as_str()).or_else(|| StudySlug::from_name(e.stream.name()))?;
            Some((slug, s.title.to_string(), s.municipality.to_string()))
        }
        _ => None,
    })
}
