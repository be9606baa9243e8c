//! The engine's checkpoint: the projections' state at a position, so that opening a large log
//! does not replay it. A cache, never a source of truth: one of another version is rebuilt
//! without a word; a damaged one is named, moved to the data folder's quarantine, and rebuilt.
//!
//! Format (`checkpoint.bin`): `PLCKPT02`, a blake3 digest of the rest, then the head
//! ([`CheckpointHead`]) and the state, both postcard (a compact binary serde format: the state
//! of a large log loads several times faster than as JSON).

use std::path::Path;

use parlog_core::{EventId, Hash};
use serde::{Deserialize, Serialize};

use super::EngineError;
use crate::Projections;

const CHECKPOINT_FILE: &str = "checkpoint.bin";
/// The start of a checkpoint file: its format (a blake3 digest of the rest follows it, so that
/// damage is found rather than read as another state).
const CHECKPOINT_MAGIC: &[u8; 8] = b"PLCKPT02";
/// The checkpoint file of earlier versions (JSON); removed when a new checkpoint is written.
const OLD_CHECKPOINT_FILE: &str = "checkpoint.json";

/// The head of the checkpoint file; the state follows it. Both are postcard (a compact binary
/// serde format): the state of a large log loads several times faster than as JSON.
#[derive(Serialize, Deserialize)]
pub(super) struct CheckpointHead {
    pub(super) version: String,
    pub(super) position: u64,
    pub(super) hash: Hash,
    /// [`Engine::recent`], so that after a restart corrections of the events just before the
    /// checkpoint are still found without the store's id lookup (a third of a second to build
    /// for a million events).
    pub(super) recent: Vec<(EventId, u64)>,
}

pub(super) struct Checkpoint {
    pub(super) head: CheckpointHead,
    pub(super) state: Projections,
}

/// Writes a checkpoint into `dir` atomically: write, sync, rename.
pub(super) fn write(dir: &Path, head: &CheckpointHead, state: &Projections) -> Result<(), EngineError> {
    let err = |m: String| EngineError::Checkpoint { path: dir.display().to_string(), message: m };
    std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
    let mut body = postcard::to_allocvec(head).map_err(|e| err(e.to_string()))?;
    body.extend(postcard::to_allocvec(state).map_err(|e| err(e.to_string()))?);
    let mut bytes = Vec::with_capacity(CHECKPOINT_MAGIC.len() + 32 + body.len());
    bytes.extend_from_slice(CHECKPOINT_MAGIC);
    bytes.extend_from_slice(blake3::hash(&body).as_bytes());
    bytes.extend_from_slice(&body);
    let tmp = dir.join("checkpoint.tmp");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp).map_err(|e| err(e.to_string()))?;
        f.write_all(&bytes).map_err(|e| err(e.to_string()))?;
        f.sync_all().map_err(|e| err(e.to_string()))?;
    }
    std::fs::rename(&tmp, dir.join(CHECKPOINT_FILE)).map_err(|e| err(e.to_string()))?;
    // An earlier version's checkpoint is of no more use; failing to remove it harms nothing.
    let _ = std::fs::remove_file(dir.join(OLD_CHECKPOINT_FILE));
    Ok(())
}

/// What a checkpoint file holds, read and checked.
enum CheckpointFile {
    None,
    /// Of another format or version of the projections: an upgrade, rebuilt without a word.
    Other,
    /// Its bytes do not match their digest (or do not decode): damage, named and kept.
    Damaged(Vec<u8>, String),
    Good(Box<Checkpoint>),
}

fn read_file(path: &Path) -> Result<CheckpointFile, EngineError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(CheckpointFile::None),
        Err(e) => return Err(EngineError::Checkpoint { path: path.display().to_string(), message: e.to_string() }),
    };
    let Some(rest) = bytes.strip_prefix(&CHECKPOINT_MAGIC[..]) else { return Ok(CheckpointFile::Other) };
    if rest.len() < 32 || blake3::hash(&rest[32..]).as_bytes() != &rest[..32] {
        return Ok(CheckpointFile::Damaged(bytes, "its bytes do not match their digest".into()));
    }
    let body = &rest[32..];
    // The version comes first, so the state is read only by the version that wrote it.
    let Ok((head, state)) = postcard::take_from_bytes::<CheckpointHead>(body) else {
        return Ok(CheckpointFile::Damaged(bytes, "its head does not decode".into()));
    };
    if head.version != Projections::VERSION {
        return Ok(CheckpointFile::Other);
    }
    match postcard::from_bytes::<Projections>(state) {
        Ok(state) => Ok(CheckpointFile::Good(Box::new(Checkpoint { head, state }))),
        Err(e) => Ok(CheckpointFile::Damaged(bytes, format!("its state does not decode: {e}"))),
    }
}

/// The checkpoint in `dir`, if there is one of this version of the projections that reads.
/// It is a cache: one of another version is rebuilt; a damaged one is moved to the data
/// folder's quarantine (with a line in its journal) and rebuilt, never used.
pub(super) fn read(dir: &Path) -> Result<Option<Checkpoint>, EngineError> {
    let path = dir.join(CHECKPOINT_FILE);
    match read_file(&path)? {
        CheckpointFile::None | CheckpointFile::Other => Ok(None),
        CheckpointFile::Good(c) => Ok(Some(*c)),
        CheckpointFile::Damaged(bytes, why) => {
            if let Some(data) = dir.parent() {
                let what = format!("a damaged checkpoint of the projections ({why}); rebuilt from the log");
                let source = format!("projections/{CHECKPOINT_FILE}");
                let kept = parlog_core::quarantine::keep(data, &source, 0, &bytes, &what);
                let err = |e: std::io::Error| EngineError::Checkpoint {
                    path: path.display().to_string(),
                    message: e.to_string(),
                };
                kept.map_err(err)?;
                std::fs::remove_file(&path).map_err(err)?;
            }
            Ok(None)
        }
    }
}

/// Checks the checkpoint in `dir` without changing anything: `Some(why)` if it is damaged.
pub fn check_checkpoint(dir: &Path) -> Result<Option<String>, EngineError> {
    Ok(match read_file(&dir.join(CHECKPOINT_FILE))? {
        CheckpointFile::Damaged(_, why) => Some(why),
        _ => None,
    })
}
