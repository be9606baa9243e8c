//! `parlog log`: events of the log, of one stream or of one kind.

use clap::Args;
use parlog_core::limits::PAGE_EVENTS_MAX;
use parlog_core::{AnyStore, EventKind, EventStore, Position, RecordedEvent, StreamId};

use super::{open_read, Failure, Result};
use crate::studies::Selected;

/// Events shown when --limit is not given.
const LOG_EVENTS_DEFAULT: usize = 100;

#[derive(Args)]
pub struct LogArgs {
    #[arg(long, default_value_t = 1)]
    from: u64,
    #[arg(long, default_value_t = LOG_EVENTS_DEFAULT)]
    limit: usize,
    #[arg(long)]
    stream: Option<String>,
    #[arg(long)]
    kind: Option<String>,
    #[arg(long)]
    json: bool,
}

/// Prints the events as a table (a heading, then position, id, when, stream, kind and author a
/// line, tab-separated: `parlog show` takes the id or the position), or as JSON lines.
pub fn run(study: &Selected, a: LogArgs) -> Result<i32> {
    let store = open_read(study)?;
    let kind = a.kind.map(|k| EventKind::parse(&k).map_err(|m| Failure::Input(format!("--kind: {m}")))).transpose()?;
    let events = match a.stream {
        Some(s) => {
            let s = StreamId::parse(&s).map_err(|m| Failure::Input(format!("--stream: {m}")))?;
            of_stream(&store, &s, a.from, a.limit)?
        }
        None => of_log(&store, a.from, a.limit, kind)?,
    };
    if !a.json {
        let heading =
            [t!("col-position"), t!("col-id"), t!("col-occurred"), t!("col-stream"), t!("col-kind"), t!("col-author")];
        println!("{}", heading.join("\t"));
    }
    for e in events.iter().filter(|e| kind.is_none_or(|k| e.kind == k)).take(a.limit) {
        if a.json {
            println!("{}", e.to_wire());
        } else {
            println!("{}\t{}\t{}\t{}\t{}\t{}", e.position, e.id, e.occurred_at, e.stream, e.kind.name(), e.author);
        }
    }
    Ok(0)
}

/// At least `limit` events of stream `s` from position `from` on (or all there are).
fn of_stream(store: &AnyStore, s: &StreamId, from: u64, limit: usize) -> Result<Vec<RecordedEvent>> {
    let mut all = Vec::new();
    let mut version = 1;
    loop {
        let page = store.read_stream(s, version, PAGE_EVENTS_MAX)?;
        let Some(last) = page.last() else { break };
        version = last.stream_version + 1;
        all.extend(page.into_iter().filter(|e| e.position.0 >= from));
        if all.len() >= limit {
            break;
        }
    }
    Ok(all)
}

/// At least `limit` events of `kind` (any kind if none) from position `from` on.
fn of_log(store: &AnyStore, from: u64, limit: usize, kind: Option<EventKind>) -> Result<Vec<RecordedEvent>> {
    let mut all = Vec::new();
    let mut at = from;
    while all.len() < limit {
        let page = store.read_from(Position(at), PAGE_EVENTS_MAX)?;
        let Some(last) = page.last() else { break };
        at = last.position.0 + 1;
        all.extend(page.into_iter().filter(|e| kind.is_none_or(|k| e.kind == k)));
    }
    Ok(all)
}
