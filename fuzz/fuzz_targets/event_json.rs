//! The event JSON parser (`NewEvent::from_json`), which every append over HTTP and the CLI
//! goes through. Input: one submitted event, as a client sends it.
//!
//! Besides "no panic": a payload that parses must come back the same from its stored form
//! (`DomainEvent::to_json`, which the writer stores and `RecordedEvent::domain` reads).
#![no_main]

use libfuzzer_sys::fuzz_target;
use parlog_core::{AuthorSource, DomainEvent, NewEvent, ParticipantId};

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else { return };
    let me = ParticipantId::parse("makelaar-noord-1").expect("a valid participant id");
    for author in [AuthorSource::FromBody, AuthorSource::Fixed(&me), AuthorSource::Default(&me)] {
        if let Ok(ev) = NewEvent::from_json(json, &author) {
            let stored = ev.event.to_json();
            let back = DomainEvent::parse(ev.event.kind(), &stored);
            assert_eq!(
                back.as_ref().ok(),
                Some(&ev.event),
                "payload does not survive its stored form {stored}: {back:?}"
            );
        }
    }
});
