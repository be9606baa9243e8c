//! Forgetting a data subject, after its `SubjectForgotten` event is durable: the walk over the
//! log for the sealed bytes that name the subject, overwriting them with zeros, and destroying
//! the subject's key. The event itself is decided and committed like any other (`writer.rs`).

use std::sync::atomic::Ordering;

use super::log::{Frame, HEADER_BYTES};
use super::shared::Shared;
use super::StoreError;
use crate::envelope::{NewEvent, RecordedEvent};
use crate::events::{DomainEvent, SubjectForgotten};
use crate::ids::{Category, EventId, ParticipantId, StreamId, SubjectId};
use crate::limits::PAGE_EVENTS_MAX;
use crate::values::{LongText, Timestamp};

/// The event that records a forget request.
pub(crate) fn request(subject: &SubjectId, by: &ParticipantId, reason: Option<LongText>, at: Timestamp) -> NewEvent {
    NewEvent {
        id: EventId::new_random(),
        stream: StreamId::parse(&format!("{}:subjects", Category::Privacy.as_str())).expect("valid stream id"),
        event: DomainEvent::SubjectForgotten(SubjectForgotten {
            subject: subject.clone(),
            requested_by: by.clone(),
            reason,
        }),
        occurred_at: at,
        author: by.clone(),
        causation: Vec::new(),
        expected_version: None,
        sealed: None,
    }
}

/// Whether the store holds data of `subject`: its key, or (in a log imported without keys)
/// sealed bytes that name it.
pub(crate) fn holds_data_of(shared: &Shared, subject: &SubjectId) -> Result<bool, StoreError> {
    Ok(shared.keys.lock().expect("key lock").contains(subject) || !sealing(shared, subject)?.is_empty())
}

/// The log offsets of events that still hold sealed bytes naming `subject`. A walk over the
/// log: forgetting is rare, and an index of subjects would cost every append.
fn sealing(shared: &Shared, subject: &SubjectId) -> Result<Vec<u64>, StoreError> {
    let end = shared.log_end.load(Ordering::Acquire);
    let mut out = Vec::new();
    let mut at = HEADER_BYTES;
    while at < end {
        let (frames, next) = shared
            .log
            .read_frames(at, end, PAGE_EVENTS_MAX)
            .map_err(|e| StoreError::Corrupt(format!("the log at offset {at}: {}", e.describe())))?;
        if frames.is_empty() {
            break;
        }
        for (off, frame) in frames {
            if let Frame::Event { record, ciphertext, .. } = frame {
                if ciphertext.is_empty() || ciphertext.iter().all(|b| *b == 0) {
                    continue;
                }
                let e = RecordedEvent::decode(&record)
                    .map_err(|err| StoreError::Corrupt(format!("offset {off}: {err}")))?;
                if e.sealed.as_ref().is_some_and(|m| m.subjects.contains(subject)) {
                    out.push(off);
                }
            }
        }
        at = next;
    }
    Ok(out)
}

/// Overwrites the sealed bytes of every event naming a forgotten subject with zeros in the log
/// (the records stay byte for byte), makes that durable, and then destroys the subject's key.
/// Idempotent: while the key is there, a crash is finished on the next open.
pub(crate) fn destroy_subject(shared: &Shared, subject: &SubjectId) -> Result<(), StoreError> {
    let end = shared.log_end.load(Ordering::Acquire);
    for off in sealing(shared, subject)? {
        shared.log.zero_ciphertext(off, end)?;
    }
    shared.keys.lock().expect("key lock").remove(subject)?;
    Ok(())
}

/// Finishes forgets that a crash interrupted between recording and destroying: a forgotten
/// subject whose key is still in the key file.
pub(crate) fn finish_forgetting(shared: &Shared) -> Result<(), StoreError> {
    for s in shared.index.forgotten_subjects()?.into_keys() {
        if shared.keys.lock().expect("key lock").contains(&s) {
            destroy_subject(shared, &s)?;
        }
    }
    Ok(())
}
