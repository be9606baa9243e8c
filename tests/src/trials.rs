//! Tamper trials: damage one file of a data folder (a flipped byte, a truncation, a deletion,
//! a zeroed block) and hold the store to its promise. Used by the test suite (a few dozen
//! trials) and by `src/bin/trust_trials.rs` (the larger run, with counts).
//!
//! Each trial, on a fresh copy of a base folder whose contents are known:
//! 1. `check_folder` (what `parlog verify` runs) must change no byte of any file;
//! 2. opening either fails with a message (refused), or opens and then every event reads back
//!    with its hash and every sealed part reads as it did (held), or something differs and the
//!    check or a read named it (found); anything else is silent loss, which must never happen.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use parlog_core::{
    check_folder, EventId, EventStore, Hash, MasterKeySource, ParticipantId, SealedView, SledStore, StoreOptions,
    SubjectId,
};

use crate::{copy_dir, memo, observation, read_all};

/// What a trial came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The store opened and everything reads back as before.
    Held,
    /// The store refused to open, with this message.
    Refused(String),
    /// The store opened, something differs, and the check or a read named it.
    Found(String),
    /// Something differs and nothing said so. Must never happen.
    SilentLoss(String),
    /// The check changed a byte of the folder. Must never happen.
    CheckChanged(String),
}

/// A base data folder and what it holds.
pub struct Base {
    pub dir: PathBuf,
    pub master: PathBuf,
    hashes: Vec<Hash>,
    sealed: BTreeMap<u64, SealedView>,
}

/// Builds a base folder in `root`: `events` appended in small groups (sealed observations for a
/// few subjects, and memos), then one subject forgotten.
pub fn build_base(root: &Path, events: u64) -> Result<Base, String> {
    let dir = root.join("base");
    let master = root.join("base.master-key");
    let options = StoreOptions { master_key: MasterKeySource::File(master.clone()) };
    let store = SledStore::init_with(&dir, &options).map_err(|e| e.to_string())?;
    let mut n = 0u64;
    while n < events {
        let batch: Vec<_> = (0..3.min(events - n))
            .map(|i| {
                let seed = n + i;
                if seed.is_multiple_of(3) {
                    memo(EventId::new_random(), &format!("m{}", seed % 5), seed)
                } else {
                    observation(
                        EventId::new_random(),
                        &format!("mk{}", seed % 4),
                        &format!("resident:r-{}", seed % 7),
                        seed,
                    )
                }
            })
            .collect();
        n += batch.len() as u64;
        store.append(batch).map_err(|e| e.to_string())?;
    }
    let by = ParticipantId::parse("onderzoeker-1").map_err(|e| e.to_string())?;
    store
        .forget(&SubjectId::parse("resident:r-3").map_err(|e| e.to_string())?, &by, None)
        .map_err(|e| e.to_string())?;
    let (hashes, sealed) = contents(&store)?;
    store.close();
    Ok(Base { dir, master, hashes, sealed })
}

fn contents(store: &SledStore) -> Result<(Vec<Hash>, BTreeMap<u64, SealedView>), String> {
    let events = read_all(store)?;
    let mut sealed = BTreeMap::new();
    for e in events.iter().filter(|e| e.sealed.is_some()) {
        sealed.insert(e.position.0, store.unseal(e).map_err(|err| err.to_string())?);
    }
    Ok((events.iter().map(|e| e.hash).collect(), sealed))
}

/// The damage done in one trial.
#[derive(Debug, Clone)]
pub struct Damage {
    pub file: String,
    pub what: String,
}

/// Files of the base a trial may damage (relative paths).
fn targets(base: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![base.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                todo.push(p);
            } else if let Ok(rel) = p.strip_prefix(base) {
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

fn digests(dir: &Path) -> BTreeMap<String, blake3::Hash> {
    targets(dir)
        .into_iter()
        .map(|f| {
            let h = blake3::hash(&std::fs::read(dir.join(&f)).unwrap_or_default());
            (f, h)
        })
        .collect()
}

/// Damages one file of `dir` as `rng` picks. The log is chosen more often: it holds the most.
fn damage(dir: &Path, rng: &mut fastrand::Rng) -> std::io::Result<Damage> {
    let files = targets(dir);
    let file = if rng.u32(..3) == 0 { files[rng.usize(..files.len())].clone() } else { "log".to_string() };
    let path = dir.join(&file);
    let mut bytes = std::fs::read(&path)?;
    let len = bytes.len();
    let what = match (rng.u32(..10), len) {
        (_, 0) | (0, _) => {
            std::fs::remove_file(&path)?;
            return Ok(Damage { file, what: "deleted".into() });
        }
        (1..=5, _) => {
            let at = rng.usize(..len);
            let bit = 1u8 << rng.u32(..8);
            bytes[at] ^= bit;
            format!("bit {bit:#04x} of byte {at} flipped")
        }
        (6..=7, _) => {
            let at = rng.usize(..len);
            bytes.truncate(at);
            format!("cut at byte {at} of {len}")
        }
        _ => {
            let at = rng.usize(..len) / 512 * 512;
            let to = (at + 4096).min(len);
            bytes[at..to].fill(0);
            format!("bytes {at}..{to} zeroed")
        }
    };
    std::fs::write(&path, bytes)?;
    Ok(Damage { file, what })
}

/// Runs one trial in `work` (emptied first).
pub fn trial(base: &Base, work: &Path, rng: &mut fastrand::Rng) -> Result<(Damage, Outcome), String> {
    let _ = std::fs::remove_dir_all(work);
    std::fs::create_dir_all(work).map_err(|e| e.to_string())?;
    let dir = work.join("data");
    copy_dir(&base.dir, &dir).map_err(|e| e.to_string())?;
    let options = StoreOptions { master_key: MasterKeySource::File(base.master.clone()) };
    let d = damage(&dir, rng).map_err(|e| e.to_string())?;

    let before = digests(&dir);
    let check = check_folder(&dir, &options);
    if digests(&dir) != before {
        return Ok((d, Outcome::CheckChanged("check_folder changed the folder".into())));
    }
    let named = match &check {
        Ok(r) if r.findings.is_empty() => None,
        Ok(r) => Some(r.findings.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("; ")),
        Err(e) => Some(e.to_string()),
    };
    let store = match SledStore::open_with(&dir, &options) {
        Ok(s) => s,
        Err(e) => return Ok((d, Outcome::Refused(e.to_string()))),
    };
    let outcome = match contents(&store) {
        Err(read_error) => Outcome::Found(read_error),
        Ok((hashes, sealed)) => {
            let lost = if hashes != base.hashes {
                Some(format!("{} events read back, {} were stored", hashes.len(), base.hashes.len()))
            } else {
                sealed
                    .iter()
                    .find(|(p, v)| base.sealed.get(p) != Some(v))
                    .map(|(p, v)| format!("position {p} reads as {v:?}"))
            };
            match (lost, named) {
                (None, _) => Outcome::Held,
                (Some(l), Some(n)) => Outcome::Found(format!("{l}; named: {n}")),
                (Some(l), None) => Outcome::SilentLoss(l),
            }
        }
    };
    store.close();
    Ok((d, outcome))
}
