//! Opening an event's sealed part for a reader, or saying why it cannot be shown.

use super::shared::Shared;
use super::{SealedView, StoreError};
use crate::envelope::{RecordedEvent, SealedData};
use crate::events::DomainEvent;
use crate::seal;

/// The sealed part of `e` as a reader sees it: open, forgotten (by whom, when), without a key
/// here, or damaged (this event only).
pub(crate) fn unseal(shared: &Shared, e: &RecordedEvent) -> Result<SealedView, StoreError> {
    let Some(meta) = &e.sealed else { return Ok(SealedView::None) };
    for s in &meta.subjects {
        if let Some(p) = shared.index.forgotten_at(s)? {
            let fe = shared.event_at(p)?.ok_or_else(|| StoreError::Corrupt(format!("forget event {p} is missing")))?;
            let by = match fe.domain() {
                Ok(DomainEvent::SubjectForgotten(f)) => f.requested_by,
                _ => return Err(StoreError::Corrupt(format!("position {p} is not a SubjectForgotten event"))),
            };
            return Ok(SealedView::Forgotten { subject: s.clone(), position: p, at: fe.recorded_at, by });
        }
    }
    let damaged = |reason: &str| Ok(SealedView::Damaged { reason: format!("position {}: {reason}", e.position) });
    let Some(ct) = shared.ciphertext_at(e.position)? else {
        return damaged("the sealed bytes are missing but no subject was forgotten");
    };
    if seal::ciphertext_digest(&ct) != meta.digest {
        return damaged("the sealed bytes do not match their digest");
    }
    let keys = shared.keys.lock().expect("key lock");
    let mut ks = Vec::with_capacity(meta.subjects.len());
    for s in &meta.subjects {
        match keys.get(s) {
            Some(k) => ks.push(k),
            // The log was imported without keys: the data is intact but cannot be read here.
            None => return Ok(SealedView::NoKey { subject: s.clone() }),
        }
    }
    let Some(plain) = seal::open(e.id, &ks, &meta.nonce, &ct) else {
        return damaged("the sealed bytes do not decrypt with the subjects' keys");
    };
    match serde_json::from_slice::<SealedData>(&plain) {
        Ok(data) => Ok(SealedView::Open(data)),
        Err(err) => damaged(&format!("the sealed data is not what parlog seals: {err}")),
    }
}
