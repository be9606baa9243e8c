//! `parlog append`: events from a file or standard input, as one atomic batch.

use clap::Args;
use parlog_core::{AuthorSource, EventStore, NewEvent, ParticipantId};

use super::{io, open, Failure, Result};
use crate::studies::Selected;

#[derive(Args)]
pub struct AppendArgs {
    #[arg(default_value = "-")]
    file: String,
    #[arg(long)]
    author: Option<String>,
    #[arg(long)]
    json: bool,
}

/// Splits input into event JSON texts: a JSON array, or one object a line.
fn split_events(text: &str) -> Result<Vec<String>> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let items: Vec<Box<serde_json::value::RawValue>> =
            serde_json::from_str(trimmed).map_err(|e| Failure::Input(t!("append-not-array", why = e.to_string())))?;
        return Ok(items.into_iter().map(|r| r.get().to_string()).collect());
    }
    Ok(text.lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect())
}

pub fn run(study: &Selected, a: AppendArgs) -> Result<i32> {
    let text = io::read_input(&a.file)?;
    let default_author =
        a.author.map(|a| ParticipantId::parse(&a).map_err(|m| Failure::Input(format!("--author: {m}")))).transpose()?;
    let source = match &default_author {
        Some(a) => AuthorSource::Default(a),
        None => AuthorSource::FromBody,
    };
    let mut batch = Vec::new();
    for (i, item) in split_events(&text)?.iter().enumerate() {
        let ev = NewEvent::from_json(item, &source)
            .map_err(|e| Failure::Input(t!("event-refused", index = i + 1, why = e.to_string())))?;
        batch.push(ev);
    }
    if batch.is_empty() {
        return Err(Failure::Input(t!("append-empty")));
    }
    let store = open(study)?;
    let appended = store.append(batch)?;
    if a.json {
        let out: Vec<_> = appended
            .iter()
            .map(|a| serde_json::json!({"position": a.position.0, "id": a.id, "stream_version": a.stream_version, "duplicate": a.duplicate}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&out).expect("JSON"));
    } else {
        for a in &appended {
            let note = if a.duplicate { format!("  ({})", t!("append-duplicate")) } else { String::new() };
            println!("{}\t{}{note}", a.position, a.id);
        }
    }
    Ok(0)
}
