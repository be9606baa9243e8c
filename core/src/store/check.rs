//! Checking a data folder without changing it: what `parlog verify` runs.
//!
//! Nothing here opens a file for writing. The log is read through a read-only handle, the key
//! files are read whole, and the indexes are checked in a copy of sled's folder made in a
//! temporary folder (sled writes to any folder it opens). Every finding names the file, the
//! position or offset, and what a person can do about it; a check goes on past a finding where
//! it can, so that one run names all the damage.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::decide::forgotten_by;
use super::folder::{check_marker, StoreOptions};
use super::index as ix;
use super::log::{Frame, FrameError, LogFile, TailState, COMMIT_FRAME_BYTES, HEADER_BYTES};
use super::quarantine;
use super::shared::loaded;
use super::{Head, StoreError};
use crate::envelope::SealedData;
use crate::ids::{EventId, Hash, Position, StreamId, SubjectId};
use crate::keyfile::{KeyFile, KeysReport};
use crate::limits::PAGE_EVENTS_MAX;
use crate::seal;

/// One thing wrong in a data folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The file of the data folder, such as `log`, `keys` or `sled`.
    pub file: String,
    /// The event it concerns, if any.
    pub position: Option<Position>,
    /// The byte offset in `file`, if known.
    pub offset: Option<u64>,
    /// What is wrong, in a sentence.
    pub what: String,
    /// What a person can do about it.
    pub fix: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(p) = self.position {
            write!(f, ", position {p}")?;
        }
        if let Some(o) = self.offset {
            write!(f, ", offset {o}")?;
        }
        write!(f, ": {}", self.what)?;
        if !self.fix.is_empty() {
            write!(f, ". {}", self.fix)?;
        }
        Ok(())
    }
}

/// What checking a data folder found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderReport {
    /// Events in the log up to the last intact commit.
    pub events: u64,
    pub head: Head,
    /// Damage; empty when the folder is sound.
    pub findings: Vec<Finding>,
    /// What is worth knowing but is not damage (a torn write the next open will move aside,
    /// loose permissions, events whose keys this folder does not have).
    pub notes: Vec<String>,
    /// Sealed parts that open, that have no key here, and that were forgotten.
    pub sealed_open: u64,
    pub sealed_no_key: u64,
    pub sealed_forgotten: u64,
    pub keys: KeysReport,
}

/// Fixes, said once.
const FIX_RESTORE: &str =
    "Restore the data folder from a backup or an export; a repair cannot mend damage that later events follow";
const FIX_REPAIR_TAIL: &str = "If the machine stopped during a write this may be a write that was never acknowledged: a repair moves it to quarantine; otherwise restore the folder from a backup";
const FIX_INDEX: &str = "The indexes are derived from the log: a repair moves them to quarantine and rebuilds them";

/// Checks the data folder `dir` without changing any byte of it.
pub fn check_folder(dir: &Path, options: &StoreOptions) -> Result<FolderReport, StoreError> {
    check_marker(dir)?;
    let log = LogFile::open_read_only(&dir.join("log"))?;
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    let walk = walk_log(&log, &mut findings, &mut notes)?;
    let (keys, key_map) = KeyFile::check(dir, &options.master_key)?;
    for f in &keys.findings {
        findings.push(Finding {
            file: "keys".into(),
            position: None,
            offset: None,
            what: f.clone(),
            fix: String::new(),
        });
    }
    notes.extend(keys.notes.iter().cloned());
    let mut report = FolderReport {
        events: walk.head.position.0,
        head: walk.head,
        findings,
        notes,
        sealed_open: 0,
        sealed_no_key: 0,
        sealed_forgotten: 0,
        keys,
    };
    for (s, p) in &walk.forgotten {
        if key_map.contains_key(s) {
            report.findings.push(Finding {
                file: "keys".into(),
                position: Some(*p),
                offset: None,
                what: format!("the key of {s}, forgotten at position {p}, is still in the key file"),
                fix: "Open the store for writing once: opening finishes interrupted forgets".into(),
            });
        }
    }
    check_sealed(&log, &walk, &key_map, &mut report)?;
    check_indexes(dir, &walk, &mut report)?;
    check_permissions(dir, &mut report.notes)?;
    let moved = quarantine::journal_lines(dir)?.len();
    if moved > 0 {
        report.notes.push(format!(
            "{moved} item(s) were moved to quarantine/ earlier (see quarantine/journal.txt); they are kept until you delete them"
        ));
    }
    Ok(report)
}

/// What a walk over the log learned.
struct Walk {
    head: Head,
    /// Per position: frame offset, id, stream (for the index check).
    entries: Vec<(u64, EventId, StreamId)>,
    /// Subjects forgotten in the log, and their forget events.
    forgotten: HashMap<SubjectId, Position>,
    /// Sealed events: position, frame offset.
    sealed: Vec<(Position, u64)>,
    /// Sealed parts destroyed because a subject was forgotten.
    sealed_forgotten: u64,
}

/// Walks every frame: the chain, positions, stream versions, commits and ciphertext digests.
/// After damage it resumes at the next commit frame that a valid frame follows, so that later
/// damage is found too.
fn walk_log(log: &LogFile, findings: &mut Vec<Finding>, notes: &mut Vec<String>) -> Result<Walk, StoreError> {
    let end = log.len()?;
    let mut walk = Walk {
        head: Head { position: Position(0), hash: Hash::ZERO },
        entries: Vec::new(),
        forgotten: HashMap::new(),
        sealed: Vec::new(),
        sealed_forgotten: 0,
    };
    // After damage, stream versions are only checked from where a stream is next seen.
    let mut resynced = false;
    let mut versions: HashMap<StreamId, u64> = HashMap::new();
    let mut prev = Hash::ZERO;
    let mut expected = 1u64;
    // Where the last commit frame ends.
    let mut committed_end = HEADER_BYTES;
    let mut at = HEADER_BYTES;
    let mut zeroed: Vec<(Position, Vec<SubjectId>)> = Vec::new();
    let log_finding = |position: u64, offset: u64, what: String, fix: &str| Finding {
        file: "log".into(),
        position: Some(Position(position)),
        offset: Some(offset),
        what,
        fix: fix.into(),
    };
    loop {
        let (frames, next) = match log.read_frames(at, end, PAGE_EVENTS_MAX) {
            Ok(f) => f,
            Err(FrameError::Io(e)) => return Err(e.into()),
            Err(_) => match log.read_frame(at, end) {
                Ok((frame, next)) => (vec![(at, frame)], next),
                Err(FrameError::Io(e)) => return Err(e.into()),
                Err(FrameError::End) => (Vec::new(), at),
                Err(e) => {
                    // A damaged frame: acknowledged events follow it if a later commit does.
                    match log.next_commit(at, end)? {
                        Some((position, hash, after)) => {
                            findings.push(log_finding(
                                expected,
                                at,
                                format!(
                                    "the frame is damaged ({}); the log goes on to a commit of position {position}",
                                    e.describe()
                                ),
                                FIX_RESTORE,
                            ));
                            // Resume after that commit, trusting its hash for the link.
                            prev = Hash(hash);
                            expected = position + 1;
                            versions.clear();
                            resynced = true;
                            committed_end = after;
                            at = after;
                            walk.head = Head { position: Position(position), hash: Hash(hash) };
                            notes.push(format!(
                                "stream versions after position {position} were not checked: the damage before it hides what came earlier"
                            ));
                            continue;
                        }
                        None => (Vec::new(), at),
                    }
                }
            },
        };
        if frames.is_empty() {
            break;
        }
        for (off, frame) in frames {
            if let Frame::Commit { position, hash } = frame {
                if position != expected - 1 || Hash(hash) != prev {
                    findings.push(log_finding(
                        expected - 1,
                        off,
                        format!("the commit frame names position {position}, where the chain is at {}", expected - 1),
                        FIX_RESTORE,
                    ));
                }
                committed_end = off + COMMIT_FRAME_BYTES;
                walk.head = Head { position: Position(expected - 1), hash: prev };
                continue;
            }
            let l = match loaded(frame, off, None) {
                Ok(l) => l,
                Err(StoreError::Corrupt(m)) => {
                    findings.push(log_finding(expected, off, m, FIX_RESTORE));
                    expected += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let e = &l.event;
            let p = expected;
            let mut bad = |what: String| findings.push(log_finding(p, off, what, FIX_RESTORE));
            if e.position.0 != p {
                bad(format!("the record says it is at position {}", e.position));
            }
            if e.prev_hash != prev {
                bad("it does not link to the previous event's hash".into());
            }
            if e.compute_hash() != e.hash {
                bad("its content does not match its hash".into());
            }
            let version = versions.entry(e.stream.clone()).or_insert(0);
            if (*version > 0 || !resynced) && e.stream_version != *version + 1 {
                bad(format!(
                    "it says it is version {} of {}, which is at version {version}",
                    e.stream_version, e.stream
                ));
            }
            *version = e.stream_version;
            if let Some(meta) = &e.sealed {
                match &l.ciphertext {
                    Some(ct) if seal::ciphertext_digest(ct) == meta.digest => walk.sealed.push((e.position, off)),
                    Some(_) => bad("its sealed bytes do not match their digest".into()),
                    None => zeroed.push((e.position, meta.subjects.clone())),
                }
            }
            if let Some((s, fp)) = forgotten_by(e) {
                walk.forgotten.insert(s, fp);
            }
            walk.entries.push((off, e.id, e.stream.clone()));
            prev = e.hash;
            expected += 1;
        }
        at = next;
    }
    // Sealed bytes that are zeros must belong to a forgotten subject.
    for (p, subjects) in zeroed.into_iter().filter(|(p, _)| *p <= walk.head.position) {
        if subjects.iter().any(|s| walk.forgotten.contains_key(s)) {
            walk.sealed_forgotten += 1;
        } else {
            findings.push(Finding {
                file: "log".into(),
                position: Some(p),
                offset: walk.entries.get(p.0 as usize - 1).map(|e| e.0),
                what: "its sealed bytes are gone (zeros) but none of its subjects was forgotten".into(),
                fix: FIX_RESTORE.into(),
            });
        }
    }
    // What follows the last commit.
    let first = walk.head.position.0 + 1;
    walk.entries.truncate(walk.head.position.0 as usize);
    match log.classify_tail(committed_end, at.max(committed_end), end)? {
        TailState::Zeros => {}
        TailState::Torn { from, to } => notes.push(format!(
            "the log ends with the unfinished write of a group from position {first} (bytes {from}..{to}), which was never acknowledged; the next open for writing moves it to quarantine"
        )),
        TailState::Damaged { at: bad, why } => findings.push(Finding {
            file: "log".into(),
            position: Some(Position(expected)),
            offset: Some(bad),
            what: format!(
                "the last group of the log, which starts at position {first} (offset {committed_end}), is damaged at offset {bad}, where position {expected} or the group's commit frame should be: {why}"
            ),
            fix: FIX_REPAIR_TAIL.into(),
        }),
    }
    Ok(walk)
}

/// Opens every sealed part whose keys this folder has.
fn check_sealed(
    log: &LogFile,
    walk: &Walk,
    keys: &BTreeMap<SubjectId, seal::SubjectKey>,
    report: &mut FolderReport,
) -> Result<(), StoreError> {
    let end = log.len()?;
    let forgotten: HashSet<&SubjectId> = walk.forgotten.keys().collect();
    report.sealed_forgotten = walk.sealed_forgotten;
    for (p, off) in walk.sealed.iter().filter(|(p, _)| *p <= walk.head.position) {
        let (frame, _) = log.read_frame(*off, end).map_err(|e| StoreError::Corrupt(e.describe()))?;
        let l = loaded(frame, *off, Some(p.0))?;
        let meta = l.event.sealed.as_ref().expect("listed as sealed");
        if meta.subjects.iter().any(|s| forgotten.contains(s)) {
            report.findings.push(Finding {
                file: "log".into(),
                position: Some(*p),
                offset: Some(*off),
                what: "its sealed bytes are still there though a subject of it was forgotten".into(),
                fix: "Open the store for writing once: opening finishes interrupted forgets".into(),
            });
            continue;
        }
        let ks: Option<Vec<_>> = meta.subjects.iter().map(|s| keys.get(s)).collect();
        let Some(ks) = ks else {
            report.sealed_no_key += 1;
            continue;
        };
        let ct = l.ciphertext.as_deref().unwrap_or_default();
        let opened = seal::open(l.event.id, &ks, &meta.nonce, ct)
            .and_then(|plain| serde_json::from_slice::<SealedData>(&plain).ok());
        match opened {
            Some(_) => report.sealed_open += 1,
            None => report.findings.push(Finding {
                file: "keys".into(),
                position: Some(*p),
                offset: None,
                what: "the sealed part of this event does not open with its subjects' keys".into(),
                fix: "A key in the key file was changed: restore `keys` and `keys.copy` from a backup".into(),
            }),
        }
    }
    if report.sealed_no_key > 0 {
        report.notes.push(format!(
            "{} sealed part(s) have no key in this folder (a log imported without --with-keys, or keys lost): they cannot be read here",
            report.sealed_no_key
        ));
    }
    Ok(())
}

/// Compares the indexes (in a copy of sled's folder) with the walk.
fn check_indexes(dir: &Path, walk: &Walk, report: &mut FolderReport) -> Result<(), StoreError> {
    let sled_dir = dir.join("sled");
    if !sled_dir.exists() {
        report.notes.push("there are no indexes yet (sled/); the next open builds them from the log".into());
        return Ok(());
    }
    if in_use(&sled_dir.join("db")) {
        report.notes.push("the indexes were not checked: a running parlog holds them (stop it to check them)".into());
        return Ok(());
    }
    let copy = TempDir::new()?;
    copy_dir(&sled_dir, &copy.0)?;
    let db = match sled::Config::new().path(&copy.0).open() {
        Ok(db) => db,
        Err(e) => {
            report.findings.push(Finding {
                file: "sled".into(),
                position: None,
                offset: None,
                what: format!("sled cannot open the indexes: {e}"),
                fix: FIX_INDEX.into(),
            });
            return Ok(());
        }
    };
    let mut index_finding = |position: Option<u64>, what: String| {
        report.findings.push(Finding {
            file: "sled".into(),
            position: position.map(Position),
            offset: None,
            what,
            fix: FIX_INDEX.into(),
        })
    };
    if !ix::has_current_format(&db)? {
        report.notes.push("the indexes have an older layout; the next open rebuilds them from the log".into());
        return Ok(());
    }
    let mut last = 0u64;
    for chunk in ix::chunks(&db) {
        let chunk = chunk?;
        let chunk = match chunk.decode() {
            Ok(c) => c,
            Err(e) => {
                index_finding(None, e.to_string());
                continue;
            }
        };
        for s in &chunk.entries {
            let Some((off, id, stream)) = walk.entries.get((s.position - 1) as usize) else {
                index_finding(Some(s.position), "the index has an entry past the end of the log".into());
                break;
            };
            if s.offset != *off || s.id != *id || s.stream != stream.as_str() {
                index_finding(
                    Some(s.position),
                    format!(
                        "the index entry (offset {}, id {}, stream {}) does not match the log (offset {off}, id {id}, stream {stream})",
                        s.offset, s.id, s.stream
                    ),
                );
            }
            last = last.max(s.position);
        }
    }
    for (s, p) in &walk.forgotten {
        if ix::forgotten_at(&db, s)? != Some(*p) {
            index_finding(Some(p.0), format!("the index does not record that {s} was forgotten"));
        }
    }
    let behind = walk.head.position.0.saturating_sub(last);
    if behind as usize >= ix::CHUNK_EVENTS * 2 {
        report.notes.push(format!(
            "the indexes end {behind} events before the log (a crash before they were written out); the next open indexes those events again"
        ));
    }
    drop(db);
    Ok(())
}

/// Whether a running parlog holds sled's lock on `db_file`. Taking a shared lock for a moment
/// changes nothing on disk.
fn in_use(db_file: &Path) -> bool {
    use std::os::unix::io::AsRawFd;
    let Ok(f) = std::fs::File::open(db_file) else { return false };
    // SAFETY: flock on a descriptor we own; released at once.
    let got = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_SH | libc::LOCK_NB) } == 0;
    if got {
        // SAFETY: as above.
        unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_UN) };
    }
    !got
}

fn check_permissions(dir: &Path, notes: &mut Vec<String>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut loose = Vec::new();
    if std::fs::metadata(dir)?.permissions().mode() & 0o077 != 0 {
        loose.push(".".to_string());
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.metadata()?.permissions().mode() & 0o077 != 0 {
            loose.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    if !loose.is_empty() {
        loose.sort();
        notes.push(format!(
            "others than the owner may read {} in the data folder; the next open for writing sets the folder to 0700 and its files to 0600",
            loose.join(", ")
        ));
    }
    Ok(())
}

/// A temporary folder removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        use std::os::unix::fs::DirBuilderExt;
        let name = format!("parlog-verify-{}", encode(&seal::random_bytes::<8>()));
        let path = std::env::temp_dir().join(name);
        std::fs::DirBuilder::new().mode(0o700).create(&path)?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn encode(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir(&target)?;
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
