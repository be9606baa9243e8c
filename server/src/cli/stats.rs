//! `parlog stats`: counts of events, streams and kinds.

use std::collections::BTreeMap;
use std::path::Path;

use clap::Args;
use parlog_core::limits::PAGE_EVENTS_MAX;
use parlog_core::{EventStore, Position};

use super::{open, Result};

#[derive(Args)]
pub struct StatsArgs {
    #[arg(long)]
    json: bool,
}

/// Bytes in a mebibyte, for the size on disk.
const MIB_BYTES: f64 = 1024.0 * 1024.0;

pub fn run(data: &Path, a: StatsArgs) -> Result<i32> {
    let store = open(data)?;
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
            "events": head.position.0, "head_hash": head.hash, "streams": streams.len(), "kinds": kinds, "sled_bytes": bytes
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("JSON"));
    } else {
        println!("events:   {}", head.position);
        println!("streams:  {}", streams.len());
        println!("head:     {}", head.hash);
        println!("on disk:  {:.1} MiB", bytes as f64 / MIB_BYTES);
        for (k, n) in kinds {
            println!("  {n:>8}  {k}");
        }
    }
    Ok(0)
}
