//! One line of an export as `parlog import` reads it.
//!
//! The import's own line parser (`parse_line` in server/src/cli/io.rs) is private to the binary's
//! crate, so this target repeats its few lines (JSON, the base64 ciphertext taken out of
//! `sealed`) and then calls what it calls: `RecordedEvent::from_wire`. Keep the two alike.
//!
//! Besides "no panic": an event that passes the checks the import makes before storing it
//! (position above 0, a payload of its kind, a record within `RECORD_BYTES_MAX`; its hash,
//! which whoever wrote the file can compute, is set here) must read back from its record as it
//! was, and must export and import again unchanged: otherwise an import writes a log that the
//! store cannot read.
#![no_main]

use base64::Engine;
use libfuzzer_sys::fuzz_target;
use parlog_core::limits::RECORD_BYTES_MAX;
use parlog_core::RecordedEvent;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else { return };
    let Ok((mut event, _ciphertext)) = parse_line(line) else { return };
    event.hash = event.compute_hash();
    if event.position.0 == 0 || event.domain().is_err() {
        return; // refused by the import
    }
    let record = event.encode();
    if record.len() > RECORD_BYTES_MAX {
        return; // refused by the import
    }
    let back = RecordedEvent::decode(&record);
    assert_eq!(back.as_ref().ok(), Some(&event), "an importable event does not read back from its record: {back:?}");
    let again = RecordedEvent::from_wire(&event.to_wire());
    assert_eq!(again.as_ref().ok(), Some(&event), "an importable event does not survive export and import: {again:?}");
});

/// As `parse_line` in server/src/cli/io.rs.
fn parse_line(line: &str) -> Result<(RecordedEvent, Option<Vec<u8>>), String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let v: serde_json::Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let ciphertext = match v["sealed"]["ciphertext"].as_str() {
        Some(c) => Some(b64.decode(c).map_err(|_| "field `sealed.ciphertext`: not base64".to_string())?),
        None => None,
    };
    let mut v = v;
    if let Some(s) = v.get_mut("sealed").and_then(|s| s.as_object_mut()) {
        s.remove("ciphertext");
    }
    let event = RecordedEvent::from_wire(&v)?;
    Ok((event, ciphertext))
}
