//! Opening an event's sealed part for a reader, or saying why it cannot be shown. One rule for
//! every way a study is read (the embedded store, its read-only snapshot, PostgreSQL), over
//! what each looks up through [`SealedSource`].

use super::shared::Shared;
use super::{SealedView, StoreError};
use crate::envelope::{RecordedEvent, SealedData};
use crate::events::DomainEvent;
use crate::ids::{Position, SubjectId};
use crate::seal::{self, SubjectKey};

/// What unsealing looks up in a store.
pub(crate) trait SealedSource {
    /// The position of the event that forgot `s`, if one did.
    fn forgotten_at(&self, s: &SubjectId) -> Result<Option<Position>, StoreError>;
    fn event_at(&self, p: Position) -> Result<Option<RecordedEvent>, StoreError>;
    /// The sealed bytes of the event at `p`; `None` once forgotten.
    fn ciphertext_at(&self, p: Position) -> Result<Option<Vec<u8>>, StoreError>;
    /// The key of `s`; `Ok(None)` when the store has none (a log imported without keys), or why
    /// its absence is damage (key files that could not be read whole).
    fn key(&self, s: &SubjectId) -> Result<Option<SubjectKey>, String>;
}

/// The sealed part of `e` as a reader sees it: open, forgotten (by whom, when), without a key
/// here, or damaged (this event only).
pub(crate) fn unseal(src: &impl SealedSource, e: &RecordedEvent) -> Result<SealedView, StoreError> {
    unseal_then(src, e, || src.ciphertext_at(e.position))
}

/// As `unseal`, with the sealed bytes already read with `e` (`None`: none, or destroyed). They
/// are used only after the subjects are looked up: a forgotten subject's part is `Forgotten`
/// whatever was read.
pub(crate) fn unseal_with(
    src: &impl SealedSource,
    e: &RecordedEvent,
    ciphertext: Option<Vec<u8>>,
) -> Result<SealedView, StoreError> {
    unseal_then(src, e, || Ok(ciphertext))
}

fn unseal_then(
    src: &impl SealedSource,
    e: &RecordedEvent,
    ciphertext: impl FnOnce() -> Result<Option<Vec<u8>>, StoreError>,
) -> Result<SealedView, StoreError> {
    let Some(meta) = &e.sealed else { return Ok(SealedView::None) };
    for s in &meta.subjects {
        if let Some(p) = src.forgotten_at(s)? {
            let fe = src.event_at(p)?.ok_or_else(|| StoreError::Corrupt(format!("forget event {p} is missing")))?;
            let by = match fe.domain() {
                Ok(DomainEvent::SubjectForgotten(f)) => f.requested_by,
                _ => return Err(StoreError::Corrupt(format!("position {p} is not a SubjectForgotten event"))),
            };
            return Ok(SealedView::Forgotten { subject: s.clone(), position: p, at: fe.recorded_at, by });
        }
    }
    let damaged = |reason: &str| Ok(SealedView::Damaged { reason: format!("position {}: {reason}", e.position) });
    let Some(ct) = ciphertext()? else {
        return damaged("the sealed bytes are missing but no subject was forgotten");
    };
    if seal::ciphertext_digest(&ct) != meta.digest {
        return damaged("the sealed bytes do not match their digest");
    }
    let mut ks = Vec::with_capacity(meta.subjects.len());
    for s in &meta.subjects {
        match src.key(s) {
            Ok(Some(k)) => ks.push(k),
            // The log was imported without keys: the data is intact but cannot be read here.
            Ok(None) => return Ok(SealedView::NoKey { subject: s.clone() }),
            Err(why) => return damaged(&why),
        }
    }
    let refs: Vec<&SubjectKey> = ks.iter().collect();
    let Some(plain) = seal::open(e.id, &refs, &meta.nonce, &ct) else {
        return damaged("the sealed bytes do not decrypt with the subjects' keys");
    };
    match serde_json::from_slice::<SealedData>(&plain) {
        Ok(data) => Ok(SealedView::Open(data)),
        Err(err) => damaged(&format!("the sealed data is not what parlog seals: {err}")),
    }
}

impl SealedSource for Shared {
    fn forgotten_at(&self, s: &SubjectId) -> Result<Option<Position>, StoreError> {
        self.index.forgotten_at(s)
    }
    fn event_at(&self, p: Position) -> Result<Option<RecordedEvent>, StoreError> {
        Shared::event_at(self, p)
    }
    fn ciphertext_at(&self, p: Position) -> Result<Option<Vec<u8>>, StoreError> {
        Shared::ciphertext_at(self, p)
    }
    fn key(&self, s: &SubjectId) -> Result<Option<SubjectKey>, String> {
        Ok(self.keys.lock().expect("key lock").get(s).copied())
    }
}
