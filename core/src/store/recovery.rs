//! Opening a log: bring the indexes up to it, find the head, and tell a torn write (moved to
//! quarantine) from damage (refused). The argument is in ARCHITECTURE.md's durability contract
//! and at `LogFile::classify_tail`.

use std::path::Path;

use super::decide::forgotten_by;
use super::index::{Entry, Indexes, Recovered};
use super::log::{Frame, FrameError, LogFile, TailState, HEADER_BYTES};
use super::quarantine::{self, Quarantined};
use super::shared::{entry_of, loaded, Loaded};
use super::{Head, StoreError};
use crate::ids::{Hash, Position};

/// How recovery treats bytes after the last commit frame that no crash leaves behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TailPolicy {
    /// Refuse to open: they may be an acknowledged group that was changed or cut.
    Refuse,
    /// Move them to quarantine: a repair, which a person asked for.
    Quarantine,
}

/// What recovery found: the head, the end of the committed log, and what it moved aside.
pub(crate) struct Recovery {
    pub(crate) head: Head,
    pub(crate) log_end: u64,
    pub(crate) quarantined: Vec<Quarantined>,
}

/// Brings the indexes up to the log and finds the head. The log is read from where the
/// indexes end; every group closed by a commit frame is indexed. What follows the last commit
/// frame is classified (see `LogFile::classify_tail`): the torn write of a group that was never
/// acknowledged is moved to quarantine and zeroed; anything else makes the open fail, unless
/// `policy` says to quarantine it too.
pub(crate) fn recover(index: &Indexes, log: &LogFile, dir: &Path, policy: TailPolicy) -> Result<Recovery, StoreError> {
    let file_len = log.len()?;
    let (mut pos, mut end, mut hash) = (0u64, HEADER_BYTES, Hash::ZERO);
    // The last entry in sled must be that event in the log; the log is read on from its frame.
    if let Some(last) = index.start()? {
        pos = last.position;
        let (frame, next) = log.read_frame(last.offset, file_len).map_err(|e| {
            StoreError::Corrupt(format!("the index puts position {pos} where the log has none: {}", e.describe()))
        })?;
        let l = loaded(frame, last.offset, Some(pos))?;
        if l.event.id != last.id {
            return Err(StoreError::Corrupt(format!(
                "the index names event {} at position {pos}, where the log holds {}",
                last.id, l.event.id
            )));
        }
        if l.event.compute_hash() != l.event.hash {
            return Err(StoreError::Corrupt(format!("the event at position {pos} does not match its hash")));
        }
        hash = l.event.hash;
        end = next;
    }
    let mut pending: Vec<Loaded> = Vec::new();
    let mut recovered = Recovered::default();
    let mut indexed_any = false;
    let mut at = end;
    loop {
        match log.read_frame(at, file_len) {
            Ok((frame @ Frame::Event { .. }, next)) => {
                let want = pos + pending.len() as u64 + 1;
                let l = loaded(frame, at, Some(want))?;
                let prev = pending.last().map(|p| p.event.hash).unwrap_or(hash);
                if l.event.prev_hash != prev || l.event.compute_hash() != l.event.hash {
                    return Err(StoreError::Corrupt(format!("position {want} does not continue the chain")));
                }
                pending.push(l);
                at = next;
            }
            Ok((Frame::Commit { position, hash: h }, next)) => {
                let last = pending.last().map(|p| (p.event.position.0, p.event.hash)).unwrap_or((pos, hash));
                if (position, Hash(h)) != (last.0, last.1) {
                    return Err(StoreError::Corrupt(format!(
                        "the commit at offset {at} names position {position}, not {}",
                        last.0
                    )));
                }
                let entries: Vec<Entry> = pending.iter().map(|l| entry_of(&l.event, l.offset)).collect();
                let forgotten: Vec<_> = pending.iter().filter_map(|l| forgotten_by(&l.event)).collect();
                index.recover_group(&mut recovered, &entries, &forgotten)?;
                pending.clear();
                indexed_any = true;
                pos = position;
                hash = Hash(h);
                end = next;
                at = next;
            }
            Err(FrameError::End) => break,
            Err(FrameError::Torn(m)) => {
                // Taking bytes out here is right for the torn tail of an interrupted write,
                // never for damage to a group that later groups follow: that would drop
                // acknowledged events.
                if let Some(later) = log.committed_after(at, file_len)? {
                    return Err(StoreError::Corrupt(format!(
                        "position {} is damaged ({m}), but the log goes on to a commit of position {later}: acknowledged events follow it; restore the data folder from a backup or an export",
                        pos + pending.len() as u64 + 1
                    )));
                }
                break;
            }
            Err(FrameError::Io(e)) => return Err(e.into()),
        }
    }
    let mut quarantined = Vec::new();
    if end < file_len {
        let first = pos + 1;
        match log.classify_tail(end, at, file_len)? {
            TailState::Zeros => {}
            TailState::Torn { from, to } => {
                let what = format!(
                    "the unfinished write of a group from position {first} (an interrupted append that was never acknowledged)"
                );
                quarantined.push(quarantine_log_bytes(log, dir, from, to, &what)?);
            }
            TailState::Damaged { at: bad, why } if policy == TailPolicy::Quarantine => {
                let what = format!("the damaged last group from position {first} (at offset {bad}: {why})");
                quarantined.push(quarantine_log_bytes(log, dir, end, file_len, &what)?);
            }
            TailState::Damaged { at: bad, why } if !indexed_any && pending.is_empty() && pos > 0 => {
                return Err(StoreError::DamagedLastGroup(format!(
                    "the log is damaged right after position {pos}, which the indexes record as acknowledged: at offset {bad}: {why}. The damaged bytes can be restored from a backup, or moved to quarantine (position {pos} goes with them if its commit frame is what is damaged)"
                )));
            }
            TailState::Damaged { at: bad, why } => {
                let p = pos + pending.len() as u64 + 1;
                return Err(StoreError::DamagedLastGroup(format!(
                    "the last group of the log, which starts at position {first} (offset {end}), is damaged at offset {bad}, where position {p} or the group's commit frame should be: {why}. Its events may have been acknowledged, so parlog does not open the folder; the group can be restored from a backup, or moved to quarantine to go on without it"
                )));
            }
        }
    }
    index.finish_recovery(recovered)?;
    Ok(Recovery { head: Head { position: Position(pos), hash }, log_end: end, quarantined })
}

/// Keeps `[from, to)` of the log in quarantine, then overwrites it with zeros (not a cut: the
/// file keeps its aligned length, see `LogFile::write_durable`).
fn quarantine_log_bytes(log: &LogFile, dir: &Path, from: u64, to: u64, what: &str) -> Result<Quarantined, StoreError> {
    let bytes = log.read_range(from, to)?;
    let q = quarantine::keep(dir, "log", from, &bytes, what)?;
    log.scrub(from, to)?;
    Ok(q)
}
