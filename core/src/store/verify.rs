//! The in-process verify: the whole chain walked through the running store's log and indexes,
//! up to the head readers see. (`check.rs` checks a whole data folder without opening it.)

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use super::log::{Frame, FrameError, HEADER_BYTES};
use super::shared::{loaded, Shared};
use super::{StoreError, VerifyReport};
use crate::ids::{Hash, Position, StreamId};
use crate::limits::PAGE_EVENTS_MAX;
use crate::seal;

/// Walks the chain: positions, links, hashes, the index entry of every event, stream versions
/// and ciphertext digests. The first thing wrong is the report's `first_bad`.
pub(crate) fn verify(shared: &Shared) -> Result<VerifyReport, StoreError> {
    let head = *shared.head.lock().expect("head lock");
    let end = shared.log_end.load(Ordering::Acquire);
    let mut prev = Hash::ZERO;
    let mut expected = 1u64;
    let mut versions: HashMap<StreamId, u64> = HashMap::new();
    let mut indexed = shared.index.entries();
    let bad = |p: u64, m: String| Ok(VerifyReport { events: p - 1, head, first_bad: Some((Position(p), m)) });
    let mut at = HEADER_BYTES;
    while expected <= head.position.0 {
        // Fast path: a page of frames at once. If the page holds a damaged frame, go frame by
        // frame so that the damage is reported at its own position.
        let (frames, next) = match shared.log.read_frames(at, end, PAGE_EVENTS_MAX) {
            Ok(f) => f,
            Err(FrameError::Io(e)) => return Err(e.into()),
            Err(_) => match shared.log.read_frame(at, end) {
                Ok((frame, next)) => (vec![(at, frame)], next),
                Err(FrameError::Io(e)) => return Err(e.into()),
                Err(e) => return bad(expected, format!("its frame in the log is damaged: {}", e.describe())),
            },
        };
        if frames.is_empty() {
            break;
        }
        for (off, frame) in frames {
            let frame = match frame {
                Frame::Commit { position, hash } => {
                    if position != expected - 1 || Hash(hash) != prev {
                        return bad(
                            expected.max(1),
                            format!("the commit at offset {off} names position {position}, not {}", expected - 1),
                        );
                    }
                    continue;
                }
                f => f,
            };
            if expected > head.position.0 {
                break;
            }
            let l = match loaded(frame, off, None) {
                Ok(l) => l,
                Err(StoreError::Corrupt(m)) => return bad(expected, m),
                Err(e) => return Err(e),
            };
            let e = &l.event;
            let at_pos = expected;
            if e.position.0 != at_pos {
                return bad(at_pos, format!("the record there says it is at position {}", e.position));
            }
            if e.prev_hash != prev {
                return bad(at_pos, "it does not link to the previous event's hash".into());
            }
            if e.compute_hash() != e.hash {
                return bad(at_pos, "its content does not match its hash".into());
            }
            match indexed.next() {
                Ok(Some(x))
                    if x.position == at_pos && x.offset == off && x.id == e.id && x.stream == e.stream.as_str() => {}
                Ok(Some(x)) if x.position != at_pos => {
                    return bad(at_pos, format!("the index is out of step: position {} comes in its place", x.position))
                }
                Ok(Some(x)) if x.id != e.id => {
                    return bad(at_pos, format!("the id index names {} for it, but it is {}", x.id, e.id))
                }
                Ok(Some(x)) if x.stream != e.stream.as_str() => {
                    return bad(at_pos, format!("the stream index puts it in {}, but it is in {}", x.stream, e.stream))
                }
                Ok(Some(_)) => return bad(at_pos, "the index does not point at its frame".into()),
                Ok(None) => return bad(at_pos, "the index has no entry for it".into()),
                Err(StoreError::Corrupt(m)) => return bad(at_pos, m),
                Err(e) => return Err(e),
            }
            let version = versions.entry(e.stream.clone()).or_insert(0);
            if e.stream_version != *version + 1 {
                return bad(
                    at_pos,
                    format!(
                        "it says it is version {} of {}, which is at version {}",
                        e.stream_version, e.stream, version
                    ),
                );
            }
            *version += 1;
            if let Some(meta) = &e.sealed {
                match &l.ciphertext {
                    Some(ct) if seal::ciphertext_digest(ct) == meta.digest => {}
                    Some(_) => return bad(at_pos, "its sealed bytes do not match their digest".into()),
                    None => {
                        let mut forgotten = false;
                        for s in &meta.subjects {
                            forgotten |= shared.index.forgotten_at(s)?.is_some();
                        }
                        if !forgotten {
                            return bad(at_pos, "its sealed bytes are missing but no subject was forgotten".into());
                        }
                    }
                }
            }
            prev = e.hash;
            expected += 1;
        }
        at = next;
    }
    if expected - 1 != head.position.0 {
        return bad(expected, format!("the head is at {} but the log ends at {}", head.position, expected - 1));
    }
    if prev != head.hash {
        return bad(head.position.0, "the last hash does not match the head".into());
    }
    // Entries past the head can only be told from new ones if nothing was appended meanwhile.
    if *shared.head.lock().expect("head lock") == head {
        match indexed.next() {
            Ok(None) => {}
            Ok(Some(x)) => {
                return bad(
                    head.position.0,
                    format!("the index has an entry for position {} past the head", x.position),
                )
            }
            Err(StoreError::Corrupt(m)) => return bad(head.position.0, m),
            Err(e) => return Err(e),
        }
    }
    Ok(VerifyReport { events: head.position.0, head, first_bad: None })
}
