//! `parlog show`: one event by id, with its sealed part if it can be opened.

use clap::Args;
use parlog_core::{EventId, EventStore, RecordedEvent, SealedView};

use super::{open, Failure, Result};
use crate::studies::Selected;

#[derive(Args)]
pub struct ShowArgs {
    id: String,
    /// The API's JSON form of the event, with the sealed part opened.
    #[arg(long)]
    json: bool,
}

pub fn run(study: &Selected, a: ShowArgs) -> Result<i32> {
    let id = EventId::parse(&a.id).map_err(Failure::Input)?;
    let store = open(study)?;
    let e =
        store.get(id)?.ok_or_else(|| Failure::Input(format!("no event with id {id}; `parlog log` lists the ids")))?;
    let sealed = store.unseal(&e)?;
    // Whoever holds the data folder holds the keys: the sealed part is shown opened.
    let wire = crate::wire::event_json(&e, sealed.clone(), true);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&wire).expect("JSON"));
    } else {
        print_text(&e, &wire, sealed);
    }
    Ok(0)
}

/// Continues a multi-line value under the column of labels.
const INDENT: &str = "\n              ";

fn print_text(e: &RecordedEvent, wire: &serde_json::Value, sealed: SealedView) {
    println!("position:     {}", e.position);
    println!("id:           {}", e.id);
    println!("kind:         {} (schema {})", e.kind.name(), e.schema_version);
    println!("stream:       {} (version {})", e.stream, e.stream_version);
    println!("occurred at:  {}", e.occurred_at);
    println!("recorded at:  {}", e.recorded_at);
    println!("author:       {}", e.author);
    if !e.causation.is_empty() {
        let ids: Vec<String> = e.causation.iter().map(|c| c.to_string()).collect();
        println!("causation:    {}", ids.join(", "));
    }
    println!("payload:      {}", serde_json::to_string_pretty(&wire["payload"]).expect("JSON").replace('\n', INDENT));
    match sealed {
        SealedView::None => {}
        SealedView::Open(d) => {
            let subjects: Vec<String> =
                e.sealed.iter().flat_map(|m| m.subjects.iter().map(|s| s.to_string())).collect();
            println!("sealed for:   {}", subjects.join(", "));
            println!("sealed:       {}", serde_json::to_string_pretty(&d).expect("JSON").replace('\n', INDENT));
        }
        SealedView::NoKey { subject } => {
            println!("sealed:       not readable here: this data folder has no key for {subject} (the log was imported without --with-keys)");
        }
        SealedView::Damaged { reason } => {
            println!("sealed:       damaged: {reason}; run `parlog verify` for the whole folder");
        }
        SealedView::Forgotten { subject, position, at, by } => {
            println!("sealed:       forgotten: the data of {subject} was destroyed at {at} at the request of {by} (event at position {position})");
        }
    }
    println!("hash:         {}", e.hash);
    println!("previous:     {}", e.prev_hash);
}
