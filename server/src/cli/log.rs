//! `parlog log`: events of the log, of one stream or of one kind.

use clap::Args;
use parlog_core::limits::PAGE_EVENTS_MAX;
use parlog_core::{AnyStore, EventKind, EventStore, Position, RecordedEvent, StreamId};

use super::{open, Failure, Result};
use crate::studies::Selected;

/// Events shown when --limit is not given.
const LOG_EVENTS_DEFAULT: usize = 100;

#[derive(Args)]
pub struct LogArgs {
    /// First position to show.
    #[arg(long, default_value_t = 1)]
    from: u64,
    /// Most events to show.
    #[arg(long, default_value_t = LOG_EVENTS_DEFAULT)]
    limit: usize,
    /// Only this stream, such as initiative:papierwinkel.
    #[arg(long)]
    stream: Option<String>,
    /// Only this kind, such as ObservationRecorded.
    #[arg(long)]
    kind: Option<String>,
    /// One JSON object a line (the API's event form).
    #[arg(long)]
    json: bool,
}

pub fn run(study: &Selected, a: LogArgs) -> Result<i32> {
    let store = open(study)?;
    let kind = a.kind.map(|k| EventKind::parse(&k).map_err(|m| Failure::Input(format!("--kind: {m}")))).transpose()?;
    let events = match a.stream {
        Some(s) => {
            let s = StreamId::parse(&s).map_err(|m| Failure::Input(format!("--stream: {m}")))?;
            of_stream(&store, &s, a.from, a.limit)?
        }
        None => of_log(&store, a.from, a.limit, kind)?,
    };
    for e in events.iter().filter(|e| kind.is_none_or(|k| e.kind == k)).take(a.limit) {
        if a.json {
            println!("{}", e.to_wire());
        } else {
            println!("{}\t{}\t{}\t{}\t{}", e.position, e.occurred_at, e.stream, e.kind.name(), e.author);
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
