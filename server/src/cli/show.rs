//! `parlog show`: one event by id or position, with its sealed part if it can be opened.

use clap::Args;
use parlog_core::{EventId, EventStore, Position, RecordedEvent, SealedView};

use super::{open_read, Failure, Result};
use crate::studies::Selected;

#[derive(Args)]
pub struct ShowArgs {
    /// An event id, or a position in the log (as `parlog log` lists them).
    event: String,
    #[arg(long)]
    json: bool,
}

/// Which event: a number is a position, anything else must be an event id.
enum Which {
    Position(Position),
    Id(EventId),
}

fn which(s: &str) -> Result<Which> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return match s.parse::<u64>() {
            Ok(p) if p > 0 => Ok(Which::Position(Position(p))),
            _ => Err(Failure::Input(t!("show-bad-position", given = s))),
        };
    }
    EventId::parse(s).map(Which::Id).map_err(|m| Failure::Input(t!("show-bad-event", why = m)))
}

pub fn run(study: &Selected, a: ShowArgs) -> Result<i32> {
    let which = which(&a.event)?;
    let store = open_read(study)?;
    let found = match which {
        Which::Id(id) => store.get(id)?.ok_or_else(|| Failure::Input(t!("show-no-id", id = id.to_string())))?,
        Which::Position(p) => {
            let head = store.head().position.0;
            store
                .read_from(p, 1)?
                .into_iter()
                .next()
                .filter(|e| e.position == p)
                .ok_or_else(|| Failure::Input(t!("show-no-position", position = p.0, head = head)))?
        }
    };
    let sealed = store.unseal(&found)?;
    // Whoever holds the data folder holds the keys: the sealed part is shown opened.
    let wire = crate::wire::event_json(&found, sealed.clone(), true);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&wire).expect("JSON"));
    } else {
        print_text(&found, &wire, sealed);
    }
    Ok(0)
}

fn print_text(e: &RecordedEvent, wire: &serde_json::Value, sealed: SealedView) {
    let json = |v: &serde_json::Value| serde_json::to_string_pretty(v).expect("JSON");
    let mut rows: Vec<(String, String)> = vec![
        (t!("show-position"), e.position.to_string()),
        (t!("show-id"), e.id.to_string()),
        (t!("show-kind"), t!("show-kind-value", kind = e.kind.name(), schema = e.schema_version)),
        (t!("show-stream"), t!("show-stream-value", stream = e.stream.to_string(), version = e.stream_version)),
        (t!("show-occurred"), e.occurred_at.to_string()),
        (t!("show-recorded"), e.recorded_at.to_string()),
        (t!("show-author"), e.author.to_string()),
    ];
    if !e.causation.is_empty() {
        let ids: Vec<String> = e.causation.iter().map(|c| c.to_string()).collect();
        rows.push((t!("show-causation"), ids.join(", ")));
    }
    rows.push((t!("show-payload"), json(&wire["payload"])));
    match sealed {
        SealedView::None => {}
        SealedView::Open(d) => {
            let subjects: Vec<String> =
                e.sealed.iter().flat_map(|m| m.subjects.iter().map(|s| s.to_string())).collect();
            rows.push((t!("show-sealed-for"), subjects.join(", ")));
            rows.push((t!("show-sealed"), json(&serde_json::to_value(&d).expect("JSON"))));
        }
        SealedView::NoKey { subject } => {
            rows.push((t!("show-sealed"), t!("show-sealed-no-key", subject = subject.to_string())))
        }
        SealedView::Damaged { reason } => rows.push((t!("show-sealed"), t!("show-sealed-damaged", why = reason))),
        SealedView::Forgotten { subject, position, at, by } => rows.push((
            t!("show-sealed"),
            t!(
                "show-sealed-forgotten",
                subject = subject.to_string(),
                at = at.to_string(),
                by = by.to_string(),
                position = position.0
            ),
        )),
    }
    rows.push((t!("show-hash"), e.hash.to_string()));
    rows.push((t!("show-previous"), e.prev_hash.to_string()));
    // The values in one column; a value of several lines goes on under it.
    let width = rows.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0) + 3;
    for (label, value) in rows {
        let label = format!("{label}:");
        let indent = format!("\n{}", " ".repeat(width));
        println!("{label:<width$}{}", value.replace('\n', &indent));
    }
}
