//! Export and import: the NDJSON exchange form (version 1). The first line is a header; each
//! further line is one event in the API's wire form plus its sealed bytes.

use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::Path;

use base64::Engine;
use parlog_core::{AnyStore, EventStore, ImportedEvent, Position, RecordedEvent, SubjectId};

use super::{Failure, Result};

const EXPORT_FORMAT: &str = "parlog-export";
const EXPORT_VERSION: u64 = 1;
/// Events imported per durable commit; also the unit of the progress bar.
const IMPORT_CHUNK_EVENTS: usize = 1_000;
/// Files with more lines than this get a progress bar.
const PROGRESS_MIN_EVENTS: u64 = 5_000;

pub(super) fn read_input(file: &str) -> Result<String> {
    let mut text = String::new();
    if file == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::Input(t!("cannot-read-stdin", why = e.to_string())))?;
    } else {
        text = std::fs::read_to_string(file)
            .map_err(|e| Failure::Input(t!("cannot-read", path = file, why = e.to_string())))?;
    }
    Ok(text)
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

pub(super) fn export(store: &AnyStore, out: Option<&Path>, with_keys: bool) -> Result<i32> {
    let sink: Box<dyn Write> =
        match out {
            Some(p) => Box::new(std::fs::File::create(p).map_err(|e| {
                Failure::Input(t!("cannot-create", path = p.display().to_string(), why = e.to_string()))
            })?),
            None => Box::new(std::io::stdout().lock()),
        };
    let mut w = BufWriter::new(sink);
    let head = store.head();
    let mut header = serde_json::json!({
        "format": EXPORT_FORMAT, "version": EXPORT_VERSION, "events": head.position.0, "head_hash": head.hash
    });
    if with_keys {
        let keys: serde_json::Map<String, serde_json::Value> =
            store.subject_keys().into_iter().map(|(s, k)| (s.to_string(), b64().encode(k).into())).collect();
        header["keys"] = keys.into();
    }
    let io_err = |e: std::io::Error| Failure::Check(t!("export-cannot-write", why = e.to_string()));
    writeln!(w, "{header}").map_err(io_err)?;
    let mut at = 1;
    while at <= head.position.0 {
        let page = store.read_from(Position(at), parlog_core::limits::PAGE_EVENTS_MAX)?;
        let Some(last) = page.last() else { break };
        at = last.position.0 + 1;
        for e in page.iter().take_while(|e| e.position <= head.position) {
            let mut v = e.to_wire();
            if e.sealed.is_some() {
                if let Some(ct) = store.ciphertext(e.position)? {
                    v["sealed"]["ciphertext"] = b64().encode(ct).into();
                }
            }
            writeln!(w, "{v}").map_err(io_err)?;
        }
    }
    w.flush().map_err(io_err)?;
    if let Some(p) = out {
        eprintln!("{}", t!("export-done", events = head.position.0, path = p.display().to_string()));
    }
    Ok(0)
}

pub(super) fn import(store: &AnyStore, file: &Path) -> Result<i32> {
    let f = std::fs::File::open(file)
        .map_err(|e| Failure::Input(t!("cannot-read", path = file.display().to_string(), why = e.to_string())))?;
    let mut lines = BufReader::new(f).lines().enumerate();
    let bad = |line: usize, m: String| {
        Failure::Input(t!("import-bad-line", path = file.display().to_string(), line = line + 1, why = m))
    };
    let (_, first) = lines.next().ok_or_else(|| bad(0, t!("import-empty")))?;
    let header: serde_json::Value = first
        .map_err(|e| bad(0, e.to_string()))
        .and_then(|l| serde_json::from_str(&l).map_err(|e| bad(0, t!("not-json", why = e.to_string()))))?;
    if header["format"] != EXPORT_FORMAT || header["version"] != EXPORT_VERSION {
        let expected = format!("{{\"format\":\"{EXPORT_FORMAT}\",\"version\":{EXPORT_VERSION},…}}");
        return Err(bad(0, t!("import-no-header", header = expected)));
    }
    let total = header["events"].as_u64().unwrap_or(0);
    let mut keys = Vec::new();
    if let Some(map) = header["keys"].as_object() {
        for (s, k) in map {
            let subject = SubjectId::parse(s).map_err(|m| bad(0, m))?;
            let key = k
                .as_str()
                .and_then(|k| b64().decode(k).ok())
                .and_then(|k| <[u8; 32]>::try_from(k).ok())
                .ok_or_else(|| bad(0, t!("import-bad-key", subject = s.clone())))?;
            keys.push((subject, key));
        }
    }
    let progress = (total >= PROGRESS_MIN_EVENTS).then(|| {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(super::progress_style());
        bar
    });
    let mut added = 0;
    let mut refused: Vec<SubjectId> = Vec::new();
    let mut dropped = 0u64;
    let mut seen = 0u64;
    let mut chunk = Vec::with_capacity(IMPORT_CHUNK_EVENTS);
    let mut keys = Some(keys);
    loop {
        let next = lines.next();
        if let Some((n, line)) = &next {
            let line = line.as_ref().map_err(|e| bad(*n, e.to_string()))?;
            if line.trim().is_empty() {
                continue;
            }
            chunk.push(parse_line(line).map_err(|m| bad(*n, m))?);
        }
        if chunk.len() == IMPORT_CHUNK_EVENTS || (next.is_none() && (!chunk.is_empty() || keys.is_some())) {
            let n = chunk.len() as u64;
            let r = store.import(std::mem::take(&mut chunk), keys.take().unwrap_or_default())?;
            added += r.added;
            refused.extend(r.keys_refused);
            dropped += r.sealed_dropped;
            seen += n;
            if let Some(bar) = &progress {
                bar.set_position(seen);
            }
        }
        if next.is_none() {
            break;
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if seen != total {
        return Err(Failure::Input(t!("import-incomplete", total = total, seen = seen, added = added)));
    }
    if !refused.is_empty() || dropped > 0 {
        let names: Vec<String> = refused.iter().map(|s| s.to_string()).collect();
        eprintln!("{}", t!("import-forgotten", subjects = refused.len(), names = names.join(", "), sealed = dropped));
    }
    let head = store.head();
    println!(
        "{}",
        t!(
            "import-done",
            added = added,
            present = seen - added,
            position = head.position.0,
            hash = head.hash.to_string()
        )
    );
    Ok(0)
}

fn parse_line(line: &str) -> std::result::Result<ImportedEvent, String> {
    let v: serde_json::Value = serde_json::from_str(line).map_err(|e| t!("not-json", why = e.to_string()))?;
    let ciphertext = match v["sealed"]["ciphertext"].as_str() {
        Some(c) => Some(b64().decode(c).map_err(|_| "field `sealed.ciphertext`: not base64".to_string())?),
        None => None,
    };
    let mut v = v;
    if let Some(s) = v.get_mut("sealed").and_then(|s| s.as_object_mut()) {
        s.remove("ciphertext");
    }
    let event = RecordedEvent::from_wire(&v)?;
    Ok(ImportedEvent { event, ciphertext })
}
