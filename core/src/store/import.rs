//! The rules of an import: a chunk of consecutive exported events, kept with their ids, times and
//! hashes. Events the store already holds must be the same (same hash), so that a repeated or
//! resumed import changes nothing; the rest must continue the chain from the head, each stream's
//! versions and the ids. Keys and sealed bytes of forgotten subjects are not taken: forgetting is
//! final. The writer commits what these rules accept (`writer.rs`).

use std::collections::HashMap;

use super::decide::{Known, Staged};
use super::{AppendError, Head, StoreError};
use crate::envelope::RecordedEvent;
use crate::ids::{Hash, Position, SubjectId};
use crate::limits::RECORD_BYTES_MAX;
use crate::seal::{self, SubjectKey};

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Events added (the rest were already there).
    pub added: u64,
    /// Keys in the export of subjects forgotten here (or by an imported event): not stored.
    pub keys_refused: Vec<SubjectId>,
    /// Sealed parts in the export that name such a subject: not stored.
    pub sealed_dropped: u64,
}

/// An event from an export, with its ciphertext if it was not forgotten.
#[derive(Debug, Clone)]
pub struct ImportedEvent {
    pub event: RecordedEvent,
    pub ciphertext: Option<Vec<u8>>,
}

fn refused(position: u64, reason: String) -> AppendError {
    AppendError::ImportRefused { position: Position(position), reason }
}

/// Checks a chunk against itself and the store: each event matches its hash, links to the one
/// before, keeps to the limits and parses; events at or below `head` are the ones `stored` holds
/// there; the rest continue the chain from `head`. Returns the rest.
pub(crate) fn new_events(
    events: Vec<ImportedEvent>,
    head: Head,
    stored: impl Fn(Position) -> Result<Option<RecordedEvent>, StoreError>,
) -> Result<Vec<ImportedEvent>, AppendError> {
    let mut prev: Option<Hash> = None;
    let mut fresh = Vec::new();
    for ie in events {
        let e = &ie.event;
        let p = e.position.0;
        if prev.is_some_and(|prev| e.prev_hash != prev) {
            return Err(refused(
                p,
                format!("it does not link to position {}: events are missing or out of order", p - 1),
            ));
        }
        if p == 0 || e.compute_hash() != e.hash {
            return Err(refused(p, "it does not match its hash: the file was changed or is damaged".into()));
        }
        if e.encode().len() > RECORD_BYTES_MAX {
            return Err(refused(p, format!("the record is over the limit of {RECORD_BYTES_MAX} bytes")));
        }
        match (&e.sealed, &ie.ciphertext) {
            (Some(m), Some(ct)) if ct.len() != m.ciphertext_bytes as usize => {
                return Err(refused(
                    p,
                    format!("{} bytes of ciphertext where its record says {}", ct.len(), m.ciphertext_bytes),
                ))
            }
            (Some(m), Some(ct)) if seal::ciphertext_digest(ct) != m.digest => {
                return Err(refused(p, "the sealed bytes do not match their digest".into()))
            }
            (None, Some(_)) => return Err(refused(p, "sealed bytes given for an event without a sealed part".into())),
            _ => {}
        }
        if let Err(err) = e.domain() {
            return Err(refused(p, err.to_string()));
        }
        if p <= head.position.0 {
            let there = stored(e.position)?
                .ok_or_else(|| StoreError::Corrupt(format!("position {p}, at or below the head, cannot be read")))?;
            if there.hash != e.hash {
                return Err(refused(
                    p,
                    "the store differs from the file here; import into an empty data folder".into(),
                ));
            }
        } else {
            let want = head.position.0 + 1 + fresh.len() as u64;
            if p != want {
                return Err(refused(p, format!("expected position {want} next: events are missing")));
            }
            if fresh.is_empty() && e.prev_hash != head.hash {
                return Err(refused(p, "it does not link to the store's head".into()));
            }
            fresh.push(ie.clone());
        }
        prev = Some(e.hash);
    }
    Ok(fresh)
}

/// Forget is final: no key of a subject forgotten here (`forgotten`), or by an event of this
/// import, comes back, and no sealed bytes naming one are stored again. Drops those from
/// `fresh` and `keys`; returns the keys to add (those the store does not have) and the report.
pub(crate) fn without_forgotten(
    fresh: &mut [ImportedEvent],
    keys: Vec<(SubjectId, SubjectKey)>,
    forgotten: &HashMap<SubjectId, Position>,
    has_key: impl Fn(&SubjectId) -> bool,
) -> (Vec<(SubjectId, SubjectKey)>, ImportReport) {
    let mut gone = forgotten.clone();
    gone.extend(fresh.iter().filter_map(|ie| super::decide::forgotten_by(&ie.event)));
    let mut report = ImportReport::default();
    let mut new_keys = Vec::new();
    for (s, k) in keys {
        if gone.contains_key(&s) {
            report.keys_refused.push(s);
        } else if !has_key(&s) {
            new_keys.push((s, k));
        }
    }
    for ie in fresh {
        let names_gone = ie.event.sealed.as_ref().is_some_and(|m| m.subjects.iter().any(|s| gone.contains_key(s)));
        if names_gone && ie.ciphertext.take().is_some() {
            report.sealed_dropped += 1;
        }
    }
    (new_keys, report)
}

/// Stages a new imported event after what is known: its stream version follows the stream's,
/// and its id is new.
pub(crate) fn stage<K: Known + ?Sized>(ie: ImportedEvent, known: &K) -> Result<Staged, AppendError> {
    let e = ie.event;
    let current = known.stream_version(&e.stream)?;
    if e.stream_version != current + 1 {
        return Err(refused(
            e.position.0,
            format!("stream {} would be at version {} but the file says {}", e.stream, current + 1, e.stream_version),
        ));
    }
    if known.event(e.id)?.is_some() {
        return Err(refused(e.position.0, format!("id {} is already stored", e.id)));
    }
    Ok(Staged::recorded(e, ie.ciphertext))
}
