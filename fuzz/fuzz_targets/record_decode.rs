//! The stored record of an event (`RecordedEvent::decode`), as read from a log frame.
//!
//! Besides "no panic": a record that decodes must encode to the same bytes, since the chain
//! hashes the encoding and verify recomputes it from the decoded event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parlog_core::RecordedEvent;

fuzz_target!(|data: &[u8]| {
    let Ok(event) = RecordedEvent::decode(data) else { return };
    assert_eq!(event.encode(), data, "a record decodes but does not encode back to itself");
    let _ = event.domain();
    let _ = event.compute_hash();
    let _ = event.to_wire();
});
