//! The quarantine: where bytes that recovery or repair takes out of a data folder are kept.
//!
//! Nothing is deleted from a data folder to make it open again. Bytes that have to leave a file
//! (the torn tail of an interrupted write, a damaged index, the damaged copy of the key file) go
//! to `quarantine/` first, each in a file of its own named after the time, the file it came
//! from and its offset there, and `quarantine/journal.txt` gets a line that says what was moved
//! and why. Only once those are durable is the source changed. A person (or support) can then
//! look at the bytes, and put them back.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The quarantine folder inside a data folder.
pub const QUARANTINE_DIR: &str = "quarantine";
const JOURNAL_FILE: &str = "journal.txt";

/// What was moved to quarantine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    /// The file in `quarantine/` that holds the bytes (or the folder, for a moved folder).
    pub kept_in: PathBuf,
    /// The data folder's file the bytes came from, such as `log` or `keys`.
    pub source: String,
    /// Where in `source` they were: the byte range `[from, to)`.
    pub from: u64,
    pub to: u64,
    /// What the bytes were and why they were moved, in a sentence.
    pub what: String,
}

impl std::fmt::Display for Quarantined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (bytes {}..{} of {}) moved to {}",
            self.what,
            self.from,
            self.to,
            self.source,
            self.kept_in.display()
        )
    }
}

fn ensure_dir(data: &Path) -> std::io::Result<PathBuf> {
    let dir = data.join(QUARANTINE_DIR);
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => crate::seal::sync_dir(data)?,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    Ok(dir)
}

fn stamp() -> String {
    chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ").to_string()
}

/// Keeps `bytes`, taken from `source` at offset `from`, in a new quarantine file, durably, and
/// records it in the journal. Call it before changing the source.
pub fn keep(data: &Path, source: &str, from: u64, bytes: &[u8], what: &str) -> std::io::Result<Quarantined> {
    let dir = ensure_dir(data)?;
    let kept_in = free(data, &format!("{QUARANTINE_DIR}/{}-{}-at-{from}.bin", stamp(), source.replace('/', "_")));
    let mut f = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&kept_in)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    let q = Quarantined { kept_in, source: source.into(), from, to: from + bytes.len() as u64, what: what.into() };
    journal(data, &dir, &q)?;
    Ok(q)
}

/// A new name in the quarantine folder for a whole file or folder, relative to the data folder.
pub fn name(source: &str) -> String {
    format!("{QUARANTINE_DIR}/{}-{}", stamp(), source.replace('/', "_"))
}

/// Moves the data folder's file or folder `source` to `to` (a name from [`name`], relative to
/// the data folder; a fresh one beside it if that is taken) and records it.
pub fn move_in(data: &Path, source: &str, to: &str, what: &str) -> std::io::Result<Quarantined> {
    let dir = ensure_dir(data)?;
    let from = data.join(source);
    let len = if from.is_file() { from.metadata()?.len() } else { 0 };
    let kept_in = free(data, to);
    std::fs::rename(&from, &kept_in)?;
    let q = Quarantined { kept_in, source: source.into(), from: 0, to: len, what: what.into() };
    journal(data, &dir, &q)?;
    Ok(q)
}

/// Moves a whole folder of the data folder (such as `sled`) into quarantine, and records it.
pub(crate) fn keep_dir(data: &Path, source: &str, what: &str) -> std::io::Result<Quarantined> {
    move_in(data, source, &name(source), what)
}

/// `data/rel`, or with `-2`, `-3`, … appended if that exists.
fn free(data: &Path, rel: &str) -> PathBuf {
    let mut path = data.join(rel);
    let mut n = 1;
    while path.symlink_metadata().is_ok() {
        n += 1;
        path = data.join(format!("{rel}-{n}"));
    }
    path
}

fn journal(data: &Path, dir: &Path, q: &Quarantined) -> std::io::Result<()> {
    crate::seal::sync_dir(dir)?;
    let mut j = OpenOptions::new().append(true).create(true).mode(0o600).open(dir.join(JOURNAL_FILE))?;
    writeln!(j, "{}\t{q}", chrono::Utc::now().to_rfc3339())?;
    j.sync_all()?;
    crate::seal::sync_dir(dir)?;
    crate::seal::sync_dir(data)
}

/// The quarantine journal's lines, oldest first (empty if nothing was ever moved).
pub fn journal_lines(data: &Path) -> std::io::Result<Vec<String>> {
    match std::fs::read_to_string(data.join(QUARANTINE_DIR).join(JOURNAL_FILE)) {
        Ok(t) => Ok(t.lines().map(str::to_string).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}
