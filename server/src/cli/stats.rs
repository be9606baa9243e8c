//! `parlog stats`: counts of events, streams and kinds.

use clap::Args;
use parlog_core::limits::PAGE_EVENTS_MAX;
use parlog_core::{EventStore, Position};
use std::collections::BTreeMap;

use super::{open_read, Result};
use crate::studies::Selected;

#[derive(Args)]
pub struct StatsArgs {
    #[arg(long)]
    json: bool,
}

/// Bytes in a mebibyte, for the size on disk.
const MIB_BYTES: f64 = 1024.0 * 1024.0;

pub fn run(study: &Selected, a: StatsArgs) -> Result<i32> {
    let store = open_read(study)?;
    let head = store.head();
    let mut kinds = BTreeMap::<&str, u64>::new();
    let mut at = 1;
    loop {
        let page = store.read_from(Position(at), PAGE_EVENTS_MAX)?;
        let Some(last) = page.last() else { break };
        at = last.position.0 + 1;
        for e in &page {
            *kinds.entry(e.kind.name()).or_default() += 1;
        }
    }
    let streams = store.streams()?;
    let bytes = store.size_on_disk()?;
    if a.json {
        let v = serde_json::json!({
            "events": head.position.0, "head_hash": head.hash, "streams": streams.len(), "kinds": kinds,
            // The name is older than the choice of store: bytes on disk of either backend.
            "sled_bytes": bytes, "store": store.backend()
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("JSON"));
    } else {
        let mib = format!("{:.1}", bytes as f64 / MIB_BYTES);
        let rows = [
            (t!("stats-events"), head.position.to_string()),
            (t!("stats-streams"), streams.len().to_string()),
            (t!("stats-head"), head.hash.to_string()),
            (t!("stats-on-disk"), t!("stats-on-disk-value", mib = mib, store = describe(&store)?)),
        ];
        let width = rows.iter().map(|(l, _)| l.chars().count()).max().unwrap_or(0) + 3;
        for (label, value) in rows {
            println!("{:<width$}{value}", format!("{label}:"));
        }
        println!("{}", t!("stats-kinds"));
        for (k, n) in kinds {
            println!("  {n:>8}  {k}");
        }
    }
    Ok(0)
}

/// Where the study's events are, for people.
fn describe(store: &parlog_core::AnyStore) -> Result<String> {
    Ok(match super::backend()? {
        crate::backend::Backend::Embedded if store.is_snapshot() => t!("store-embedded-read-only"),
        b => super::describe_backend(b),
    })
}
