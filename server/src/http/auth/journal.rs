//! The token journal: the file `tokens` in the data folder, append-only, shared by the server
//! and the `parlog token` commands (separate processes).
//!
//! Layout: the 16-byte magic `parlog tokens 1\n`, then entries
//! `[u32 body length][body][u32 check]`; the body is one JSON object, the check the first four
//! bytes of blake3 over the length and the body; integers are big-endian, as in the log. A body is
//! `{"created": {id, participant, role, hash, created_at}}`, `{"revoked": {id, at}}`, or
//! `{"imported": {from, blake3, moved_to, at, tokens}}` (the one-time import of an old
//! `tokens.json`, all its tokens in one entry so that the import is whole or absent). The hash is
//! blake3 of the secret; the secret is never stored.
//!
//! Since studies (one data folder, many studies), the journal is the institute's record of
//! tenancy and access too, so that which studies exist and who may reach them is decided in one
//! place, under one lock, with the same durability: `{"study_created": {slug, name,
//! municipality, location, at}}`, `{"study_archived": {slug, at}}`, `{"issued": {id,
//! participant, grants, institute_admin, hash, created_at}}` (a token of this release: a role
//! per study), `{"granted": {id, study, role, at}}` and `{"ungranted": {id, study, at}}`. A
//! `created` entry (the previous release) gives its role in the study at the folder's root, and
//! an old admin is an institute admin too: it managed the whole server. The previous release
//! refuses a journal with these entries, as it must: it would read a folder of many studies as
//! one. Unknown fields are refused rather than
//! skipped: a later version might add one that narrows a token (an expiry), and a reader that
//! ignored it would grant more than was meant.
//!
//! Every write is exactly one entry (the first also carries the magic), so a crash can tear
//! only the last entry.
//!
//! Durability and concurrency contract. The disk is assumed to honour fdatasync, as for the log.
//! - A writer (create, revoke, import; in any process) opens the file (0600, created if
//!   missing), takes an exclusive `flock` on it, reads the entries added since it last looked,
//!   decides (a revoke of an unknown id writes nothing), appends its entry with one `pwrite` at
//!   the end of the last valid entry, fdatasyncs (and syncs the folder when it wrote the magic,
//!   since the file may be new), reads the entry back, and only then unlocks and answers.
//! - A reader (`check`, on every request) stats the path. If it names the same file (device and
//!   inode), as long as when it was last read, the cache is current. Otherwise the reader takes
//!   a shared `flock`, which waits for a writer in progress, and applies the new entries; so it
//!   applies only synced entries, and every write answered before a request began is seen by
//!   that request (an answered entry is in the file before its writer unlocks, and the stat
//!   that follows sees its length).
//! - A crash can leave a torn last entry: a prefix of the last write, or an entry of full length
//!   whose check fails (the file grew before all its pages were written). The bytes from the
//!   first entry that does not read are a torn tail if no valid entry starts anywhere after it.
//!   Nothing in a torn tail was answered: readers ignore it, and the next writer copies it to
//!   `quarantine/` (synced), cuts it off and warns. A bad entry with a valid one after it was
//!   written whole and changed since: that is damage, and every reader and writer refuses,
//!   naming the byte offset. As in the log, damage to the very last entry cannot be told from
//!   an interrupted write.
//! - A failed write or sync is undone by cutting the file back to where the entry began (so
//!   that the page cache and the disk agree the entry is not there); if even that fails, this
//!   process refuses further token writes until it restarts.

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{RwLock, RwLockReadGuard};

use chrono::{SecondsFormat, Utc};
use parlog_core::{Finding, Quarantined, QUARANTINE_DIR};
use serde::{Deserialize, Serialize};

use parlog_core::StudySlug;
use std::collections::BTreeMap;

use super::{StudyLocation, StudyRecord, TokenRecord};

/// The token journal's file name in the data folder.
pub const JOURNAL_FILE: &str = "tokens";
/// The token file before the journal (JSON, rewritten whole on every change).
pub const LEGACY_FILE: &str = "tokens.json";
/// The old code's temporary file, renamed over `tokens.json`; left behind by a crash.
const LEGACY_TMP_FILE: &str = "tokens.tmp";

const MAGIC: &[u8; 16] = b"parlog tokens 1\n";
/// The largest entry body. A created or revoked entry is about 250 bytes; an import holds all
/// the tokens of an old `tokens.json` (about 16,000 of them fit).
const ENTRY_BODY_BYTES_MAX: usize = 4 * 1024 * 1024;
/// The largest journal read or written (about 250,000 tokens): it is read whole on start.
const JOURNAL_BYTES_MAX: u64 = 64 * 1024 * 1024;
/// How often a writer reopens the file when the path came to name another file while it waited
/// for the lock (a restore from a backup).
const LOCK_REOPENS_MAX: usize = 8;

const DAMAGE_ADVICE: &str = "parlog does not repair the token journal: restore it from a backup, or move it into \
     quarantine/ and make new tokens with `parlog token create` (every token of this data folder then stops working)";

/// What is wrong with the token files. Messages name the file, the byte offset where there is
/// one, and what to do.
#[derive(Debug, thiserror::Error)]
pub enum TokenFileError {
    #[error("{path}: {what}: {source}")]
    Io {
        path: String,
        what: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("{path}: damaged at byte {offset}: {reason}. Nothing was changed. {DAMAGE_ADVICE}")]
    Damaged { path: String, offset: u64, reason: String },
    /// An old `tokens.json` that cannot be imported.
    #[error("{path}: {reason}")]
    Legacy { path: String, reason: String },
    #[error("{path}: the token journal is or would grow larger than {JOURNAL_BYTES_MAX} bytes (JOURNAL_BYTES_MAX)")]
    Full { path: String },
    #[error("{path}: one token entry would be {bytes} bytes, more than ENTRY_BODY_BYTES_MAX ({ENTRY_BODY_BYTES_MAX}); nothing was written")]
    EntryTooLarge { path: String, bytes: usize },
    /// A study of this slug is in the registry already (archived ones too: a slug names one
    /// study for good, so that old links and exports never point at another).
    #[error("a study named {slug:?} exists already (`parlog study list` shows them); choose another slug")]
    StudyExists { slug: String },
    /// A grant names a study the registry does not hold.
    #[error("there is no study {slug:?} (`parlog study list` shows them)")]
    NoSuchStudy { slug: String },
    #[error(
        "{path}: an earlier token write failed and could not be undone; restart parlog, which reads the file anew"
    )]
    Failed { path: String },
}

impl TokenFileError {
    /// The byte offset in the journal where damage was found.
    pub fn offset(&self) -> Option<u64> {
        match self {
            TokenFileError::Damaged { offset, .. } => Some(*offset),
            _ => None,
        }
    }

    /// As a finding of `parlog verify`.
    pub fn finding(&self) -> Finding {
        let (file, offset, what, fix) = match self {
            TokenFileError::Damaged { offset, reason, .. } => {
                (JOURNAL_FILE, Some(*offset), reason.clone(), DAMAGE_ADVICE)
            }
            TokenFileError::Legacy { reason, .. } => (LEGACY_FILE, None, reason.clone(), ""),
            e => (JOURNAL_FILE, None, e.to_string(), ""),
        };
        Finding { file: file.into(), position: None, offset, what, fix: fix.into() }
    }
}

type Result<T> = std::result::Result<T, TokenFileError>;

fn io_error<'a>(path: &'a Path, what: &'static str) -> impl FnOnce(io::Error) -> TokenFileError + 'a {
    move |source| TokenFileError::Io { path: path.display().to_string(), what, source }
}

// ---- entries --------------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(super) enum Entry {
    Created(Created),
    Revoked(Revoked),
    Imported(Imported),
    Issued(Issued),
    Granted(Granted),
    Ungranted(Ungranted),
    StudyCreated(StudyCreated),
    StudyArchived(StudyArchived),
}

/// A token of this release: its roles per study, and whether it manages studies.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Issued {
    id: String,
    participant: parlog_core::ParticipantId,
    grants: BTreeMap<StudySlug, super::Role>,
    institute_admin: bool,
    hash: String,
    created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Granted {
    id: String,
    study: StudySlug,
    role: super::Role,
    at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Ungranted {
    id: String,
    study: StudySlug,
    at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StudyCreated {
    slug: StudySlug,
    name: String,
    municipality: String,
    location: StudyLocation,
    at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StudyArchived {
    slug: StudySlug,
    at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Created {
    id: String,
    participant: parlog_core::ParticipantId,
    role: super::Role,
    hash: String,
    created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Revoked {
    id: String,
    at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Imported {
    /// The file imported, `tokens.json`.
    from: String,
    /// blake3 of its bytes, so that a crash between importing and moving it is recognised.
    blake3: String,
    /// Where it was moved, from the data folder.
    moved_to: String,
    at: String,
    /// Its tokens as they were, revocations included.
    tokens: Vec<LegacyRecord>,
}

/// A token as the previous releases kept it: one role, in the folder's one study.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LegacyRecord {
    id: String,
    participant: parlog_core::ParticipantId,
    role: super::Role,
    hash: String,
    created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    revoked_at: Option<String>,
}

impl Entry {
    pub(super) fn issued(r: &TokenRecord) -> Entry {
        Entry::Issued(Issued {
            id: r.id.clone(),
            participant: r.participant.clone(),
            grants: r.grants.clone(),
            institute_admin: r.institute_admin,
            hash: r.hash.clone(),
            created_at: r.created_at.clone(),
        })
    }
    pub(super) fn revoked(id: &str, at: String) -> Entry {
        Entry::Revoked(Revoked { id: id.to_string(), at })
    }
    pub(super) fn granted(id: &str, study: &StudySlug, role: super::Role) -> Entry {
        Entry::Granted(Granted { id: id.to_string(), study: study.clone(), role, at: now() })
    }
    pub(super) fn ungranted(id: &str, study: &StudySlug) -> Entry {
        Entry::Ungranted(Ungranted { id: id.to_string(), study: study.clone(), at: now() })
    }
    pub(super) fn study_created(r: &StudyRecord) -> Entry {
        Entry::StudyCreated(StudyCreated {
            slug: r.slug.clone(),
            name: r.name.clone(),
            municipality: r.municipality.clone(),
            location: r.location,
            at: r.created_at.clone(),
        })
    }
    pub(super) fn study_archived(slug: &StudySlug) -> Entry {
        Entry::StudyArchived(StudyArchived { slug: slug.clone(), at: now() })
    }
}

/// The old token file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LegacyFile {
    tokens: Vec<LegacyRecord>,
}

fn frame_check(len: &[u8], body: &[u8]) -> [u8; 4] {
    let mut h = blake3::Hasher::new();
    h.update(len);
    h.update(body);
    h.finalize().as_bytes()[..4].try_into().expect("4 bytes")
}

fn frame(body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).expect("bodies are below ENTRY_BODY_BYTES_MAX").to_be_bytes();
    let mut out = Vec::with_capacity(body.len() + 8);
    out.extend_from_slice(&len);
    out.extend_from_slice(body);
    out.extend_from_slice(&frame_check(&len, body));
    out
}

/// The body of the entry at `at` in `buf` and where the entry ends, or why there is none.
fn frame_at(buf: &[u8], at: usize) -> std::result::Result<(&[u8], usize), String> {
    let rest = &buf[at..];
    let Some(len) = rest.get(..4) else { return Err("the file ends inside an entry's length".into()) };
    let n = u32::from_be_bytes(len.try_into().expect("4 bytes")) as usize;
    if n == 0 || n > ENTRY_BODY_BYTES_MAX {
        return Err(format!("the entry's length {n} is not between 1 and {ENTRY_BODY_BYTES_MAX}"));
    }
    if rest.len() < n + 8 {
        return Err(format!("the entry of {n} bytes runs past the end of the file"));
    }
    let body = &rest[4..4 + n];
    // A body is a JSON object: a cheap test first, so that scanning a long tail for a valid entry
    // hashes almost nothing.
    if body[0] != b'{' || rest[4 + n..8 + n] != frame_check(len, body) {
        return Err("the entry does not match its check".into());
    }
    Ok((body, at + 8 + n))
}

fn check_id(id: &str) -> std::result::Result<(), String> {
    let ok = (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
    ok.then_some(()).ok_or_else(|| format!("token id {id:?} is not 1 to 64 lower-case letters and digits"))
}

fn check_time(what: &str, t: &str) -> std::result::Result<(), String> {
    chrono::DateTime::parse_from_rfc3339(t).map(|_| ()).map_err(|_| format!("{what} {t:?} is not an RFC 3339 time"))
}

/// The time written into entries.
pub(super) fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

// ---- the state the entries build ------------------------------------------------------------

/// A torn last entry: bytes from `offset` to the end of the file that no writer finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TornTail {
    pub offset: u64,
    pub bytes: u64,
}

/// The tokens the journal's entries add up to, and how much of the file they cover.
#[derive(Default, Clone)]
pub(super) struct State {
    /// Device and inode of the file read; `None` if there is none.
    identity: Option<(u64, u64)>,
    /// The end of the last valid entry read (0: not even the magic).
    applied: u64,
    /// The file's length when it was last read whole.
    seen: u64,
    torn: Option<TornTail>,
    entries: u64,
    pub(super) records: Vec<TokenRecord>,
    by_id: HashMap<String, (usize, blake3::Hash)>,
    /// The role each token of the previous release has in the study at the folder's root, by
    /// index in `records`; it becomes a grant once that study is in the registry.
    root_roles: Vec<(usize, super::Role)>,
    /// The studies, in the order created.
    pub(super) studies: Vec<StudyRecord>,
    /// The old files imported: their blake3 and where they were moved.
    imports: Vec<(String, String)>,
}

impl State {
    fn new(identity: Option<(u64, u64)>) -> State {
        State { identity, ..State::default() }
    }

    /// The token with `id` and its secret's hash.
    pub(super) fn find(&self, id: &str) -> Option<(&TokenRecord, &blake3::Hash)> {
        self.by_id.get(id).map(|(i, h)| (&self.records[*i], h))
    }

    pub(super) fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    pub(super) fn study(&self, slug: &StudySlug) -> Option<&StudyRecord> {
        self.studies.iter().find(|s| &s.slug == slug)
    }

    fn check_study_known(&self, slug: &StudySlug) -> std::result::Result<(), String> {
        self.study(slug).map(|_| ()).ok_or_else(|| format!("study {slug} is not in the registry"))
    }

    /// The token `id`, which must exist and not be revoked.
    fn live_token(&self, id: &str) -> std::result::Result<&TokenRecord, String> {
        match self.by_id.get(id) {
            None => Err(format!("no entry before it creates token {id}")),
            Some((i, _)) if self.records[*i].revoked_at.is_some() => Err(format!("token {id} was revoked")),
            Some((i, _)) => Ok(&self.records[*i]),
        }
    }

    /// Whether the file, as a stat found it (identity and length), is what this state read.
    fn is_current(&self, now: Option<((u64, u64), u64)>) -> bool {
        match now {
            None => self.identity.is_none(),
            // A torn tail is read again each time: cutting it off and appending may leave the
            // file as long as it was.
            Some((id, len)) => self.identity == Some(id) && self.seen == len && self.torn.is_none(),
        }
    }

    fn check_legacy(&self, t: &LegacyRecord) -> std::result::Result<(), String> {
        self.check_token(&TokenRecord {
            id: t.id.clone(),
            participant: t.participant.clone(),
            grants: BTreeMap::new(),
            institute_admin: false,
            hash: t.hash.clone(),
            created_at: t.created_at.clone(),
            revoked_at: t.revoked_at.clone(),
        })
    }

    fn check_token(&self, t: &TokenRecord) -> std::result::Result<(), String> {
        check_id(&t.id)?;
        blake3::Hash::from_hex(&t.hash).map_err(|_| format!("token {}: its hash is not 64 hex digits", t.id))?;
        check_time("created_at", &t.created_at)?;
        if let Some(at) = &t.revoked_at {
            check_time("revoked_at", at)?;
        }
        if self.contains(&t.id) {
            return Err(format!("it creates token {} a second time", t.id));
        }
        Ok(())
    }

    /// Whether `e` may follow the entries read so far: checked before an entry is written and
    /// again when it is read.
    pub(super) fn check_entry(&self, e: &Entry) -> std::result::Result<(), String> {
        match e {
            Entry::Created(c) => self.check_legacy(&created_record(c)),
            Entry::Issued(t) => {
                t.grants.keys().try_for_each(|s| self.check_study_known(s))?;
                self.check_token(&issued_record(t))
            }
            Entry::Granted(g) => {
                check_time("at", &g.at)?;
                self.check_study_known(&g.study)?;
                self.live_token(&g.id).map(|_| ())
            }
            Entry::Ungranted(g) => {
                check_time("at", &g.at)?;
                let t = self.live_token(&g.id)?;
                t.grants
                    .contains_key(&g.study)
                    .then_some(())
                    .ok_or_else(|| format!("token {} has no role in study {}", g.id, g.study))
            }
            Entry::StudyCreated(c) => {
                check_time("at", &c.at)?;
                if self.study(&c.slug).is_some() {
                    return Err(format!("it creates study {} a second time", c.slug));
                }
                if c.location == StudyLocation::Root && self.studies.iter().any(|s| s.location == StudyLocation::Root) {
                    return Err(format!("it puts study {} at the folder's root, where another study is", c.slug));
                }
                Ok(())
            }
            Entry::StudyArchived(a) => {
                check_time("at", &a.at)?;
                match self.study(&a.slug) {
                    None => Err(format!("it archives study {}, which no entry before it creates", a.slug)),
                    Some(s) if s.archived_at.is_some() => Err(format!("it archives study {} a second time", a.slug)),
                    Some(_) => Ok(()),
                }
            }
            Entry::Revoked(r) => {
                check_time("at", &r.at)?;
                match self.by_id.get(&r.id) {
                    None => Err(format!("it revokes token {}, which no entry before it creates", r.id)),
                    Some((i, _)) if self.records[*i].revoked_at.is_some() => {
                        Err(format!("it revokes token {} a second time", r.id))
                    }
                    Some(_) => Ok(()),
                }
            }
            Entry::Imported(m) => {
                blake3::Hash::from_hex(&m.blake3).map_err(|_| "the imported file's blake3 is not 64 hex digits")?;
                check_time("at", &m.at)?;
                let mut ids = HashSet::new();
                for t in &m.tokens {
                    self.check_legacy(t)?;
                    if !ids.insert(t.id.as_str()) {
                        return Err(format!("it imports token {} twice", t.id));
                    }
                }
                Ok(())
            }
        }
    }

    fn apply(&mut self, e: Entry) -> std::result::Result<(), String> {
        self.check_entry(&e)?;
        match e {
            Entry::Created(c) => self.add_legacy(created_record(&c)),
            Entry::Issued(t) => self.add(issued_record(&t)),
            Entry::Revoked(r) => {
                let (i, _) = self.by_id[&r.id];
                self.records[i].revoked_at = Some(r.at);
            }
            Entry::Imported(m) => {
                m.tokens.into_iter().for_each(|t| self.add_legacy(t));
                self.imports.push((m.blake3, m.moved_to));
            }
            Entry::Granted(g) => {
                let (i, _) = self.by_id[&g.id];
                self.records[i].grants.insert(g.study, g.role);
            }
            Entry::Ungranted(g) => {
                let (i, _) = self.by_id[&g.id];
                self.records[i].grants.remove(&g.study);
            }
            Entry::StudyCreated(c) => {
                if c.location == StudyLocation::Root {
                    for (i, role) in std::mem::take(&mut self.root_roles) {
                        self.records[i].grants.insert(c.slug.clone(), role);
                    }
                }
                self.studies.push(StudyRecord {
                    slug: c.slug,
                    name: c.name,
                    municipality: c.municipality,
                    location: c.location,
                    created_at: c.at,
                    archived_at: None,
                });
            }
            Entry::StudyArchived(a) => {
                let s = self.studies.iter_mut().find(|s| s.slug == a.slug).expect("checked before");
                s.archived_at = Some(a.at);
            }
        }
        self.entries += 1;
        Ok(())
    }

    /// A token of the previous release: its role is in the study at the folder's root (a grant
    /// once that study is registered), and an admin managed the whole server, so it is an
    /// institute admin.
    fn add_legacy(&mut self, t: LegacyRecord) {
        let root = self.studies.iter().find(|s| s.location == StudyLocation::Root).map(|s| s.slug.clone());
        let mut record = TokenRecord {
            id: t.id,
            participant: t.participant,
            grants: BTreeMap::new(),
            institute_admin: t.role == super::Role::Admin,
            hash: t.hash,
            created_at: t.created_at,
            revoked_at: t.revoked_at,
        };
        match root {
            Some(slug) => {
                record.grants.insert(slug, t.role);
            }
            None => self.root_roles.push((self.records.len(), t.role)),
        }
        self.add(record);
    }

    fn add(&mut self, t: TokenRecord) {
        let hash = blake3::Hash::from_hex(&t.hash).expect("checked before");
        self.by_id.insert(t.id.clone(), (self.records.len(), hash));
        self.records.push(t);
    }

    /// Applies `buf`, the file's bytes from `self.applied` to its end (`len`). On an error the
    /// entries before it stay applied, and `seen` is left, so the next read meets it again.
    fn read(&mut self, buf: &[u8], len: u64, path: &Path) -> Result<()> {
        let base = self.applied;
        let damaged = |at: usize, reason: String| TokenFileError::Damaged {
            path: path.display().to_string(),
            offset: base + at as u64,
            reason,
        };
        self.torn = None;
        let mut at = 0;
        if base == 0 {
            if buf.len() < MAGIC.len() && MAGIC.starts_with(buf) {
                // Empty, or a first write torn inside the magic.
                self.torn = (!buf.is_empty()).then_some(TornTail { offset: 0, bytes: len });
                self.seen = len;
                return Ok(());
            }
            if buf.get(..MAGIC.len()) != Some(MAGIC) {
                let start = String::from_utf8_lossy(&buf[..buf.len().min(16)]).into_owned();
                return Err(damaged(0, format!("this is not a parlog token journal (it starts {start:?})")));
            }
            at = MAGIC.len();
            self.applied = at as u64;
        }
        while at < buf.len() {
            match frame_at(buf, at) {
                Ok((body, end)) => {
                    let entry: Entry = serde_json::from_slice(body).map_err(|e| {
                        damaged(
                            at,
                            format!("the entry matches its check but is not a token entry this parlog knows ({e}; written by a newer parlog?)"),
                        )
                    })?;
                    self.apply(entry)
                        .map_err(|why| damaged(at, format!("the entry cannot follow the ones before: {why}")))?;
                    at = end;
                    self.applied = base + at as u64;
                }
                Err(why) => {
                    if let Some(next) = (at + 1..buf.len()).find(|&o| frame_at(buf, o).is_ok()) {
                        let next = base + next as u64;
                        return Err(damaged(at, format!("{why}, yet a valid entry follows at byte {next}, so this is no interrupted write: the entry was changed after it was written")));
                    }
                    self.torn = Some(TornTail { offset: base + at as u64, bytes: (buf.len() - at) as u64 });
                    break;
                }
            }
        }
        self.seen = len;
        Ok(())
    }

    fn summary(&self, path: PathBuf, exists: bool) -> TokenSummary {
        let revoked = self.records.iter().filter(|t| t.revoked_at.is_some()).count() as u64;
        TokenSummary {
            path,
            exists,
            bytes: self.seen,
            entries: self.entries,
            tokens: self.records.len() as u64,
            active: self.records.len() as u64 - revoked,
            revoked,
            studies: self.studies.len() as u64,
            torn_tail: self.torn.clone(),
            legacy_pending: false,
            legacy_temp_left: false,
            mode: None,
        }
    }
}

fn created_record(c: &Created) -> LegacyRecord {
    LegacyRecord {
        id: c.id.clone(),
        participant: c.participant.clone(),
        role: c.role,
        hash: c.hash.clone(),
        created_at: c.created_at.clone(),
        revoked_at: None,
    }
}

fn issued_record(t: &Issued) -> TokenRecord {
    TokenRecord {
        id: t.id.clone(),
        participant: t.participant.clone(),
        grants: t.grants.clone(),
        institute_admin: t.institute_admin,
        hash: t.hash.clone(),
        created_at: t.created_at.clone(),
        revoked_at: None,
    }
}

/// What `verify` found: counts, and what the next writer will tidy up.
#[derive(Debug, Clone, Serialize)]
pub struct TokenSummary {
    pub path: PathBuf,
    /// Whether the journal exists (no journal: no tokens yet).
    pub exists: bool,
    pub bytes: u64,
    pub entries: u64,
    pub tokens: u64,
    pub active: u64,
    pub revoked: u64,
    /// Studies in the registry, archived ones included.
    pub studies: u64,
    /// A torn last entry, ignored; the next token write moves it to `quarantine/`.
    pub torn_tail: Option<TornTail>,
    /// An old `tokens.json` that the next `parlog serve` or `parlog token` imports (or, if it
    /// was imported already, moves to `quarantine/`).
    pub legacy_pending: bool,
    /// A `tokens.tmp` of the old code, never in use, that the next writer moves to `quarantine/`.
    pub legacy_temp_left: bool,
    /// The journal's permission bits (0o600 when parlog made it).
    pub mode: Option<u32>,
}

impl TokenSummary {
    /// What is worth knowing but is not damage, as notes of `parlog verify`.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if let Some(t) = &self.torn_tail {
            notes.push(format!(
                "{JOURNAL_FILE}: a torn last entry at byte {} ({} bytes), an interrupted write that was never answered; the next token write moves it to quarantine/",
                t.offset, t.bytes
            ));
        }
        if self.legacy_pending {
            notes.push(format!("{LEGACY_FILE}: the old token file; the next `parlog serve` or `parlog token` command imports it into `{JOURNAL_FILE}` and moves it to quarantine/"));
        }
        if self.legacy_temp_left {
            notes.push(format!("{LEGACY_TMP_FILE}: left by an interrupted write of the old token file, never in use; the next token write moves it to quarantine/"));
        }
        if let Some(mode) = self.mode.filter(|m| m & 0o077 != 0) {
            notes.push(format!("{JOURNAL_FILE}: others may read it (mode {mode:o}); `chmod 600` it"));
        }
        notes
    }
}

/// The token files of `data` checked read-only, as findings (damage) and notes of `parlog verify`.
pub fn findings(data: &Path) -> (Vec<Finding>, Vec<String>) {
    match verify(data) {
        Ok(summary) => (Vec::new(), summary.notes()),
        Err(e) => (vec![e.finding()], Vec::new()),
    }
}

// ---- locking --------------------------------------------------------------------------------

/// A file with a `flock` held on it; unlocked when dropped (and closed).
struct Locked(File);

impl Locked {
    fn new(file: File, how: libc::c_int, path: &Path) -> Result<Locked> {
        loop {
            // SAFETY: flock(2) on a descriptor this `File` owns; no memory is passed.
            if unsafe { libc::flock(file.as_raw_fd(), how) } == 0 {
                return Ok(Locked(file));
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(io_error(path, "locking")(e));
            }
        }
    }
}

impl std::ops::Deref for Locked {
    type Target = File;
    fn deref(&self) -> &File {
        &self.0
    }
}

impl Drop for Locked {
    fn drop(&mut self) {
        // SAFETY: as in `new`. Closing would unlock too; this says so where it happens.
        unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_UN) };
    }
}

fn identity(m: &std::fs::Metadata) -> (u64, u64) {
    (m.dev(), m.ino())
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_error(dir, "syncing the folder"))
}

// ---- the journal ----------------------------------------------------------------------------

/// The token journal of one data folder, with the state read from it.
pub(super) struct Journal {
    data: PathBuf,
    path: PathBuf,
    state: RwLock<State>,
    /// A failed write could not be undone: what the file holds is unknown until restart.
    broken: AtomicBool,
}

impl Journal {
    /// Reads the journal (importing an old `tokens.json` first, if there is one); refuses a
    /// damaged one.
    pub(super) fn open(data: &Path) -> Result<Journal> {
        let j = Journal {
            data: data.to_path_buf(),
            path: data.join(JOURNAL_FILE),
            state: RwLock::new(State::default()),
            broken: AtomicBool::new(false),
        };
        if data.join(LEGACY_FILE).exists() || data.join(LEGACY_TMP_FILE).exists() {
            j.write(|_| Ok((None, ())))?;
        }
        j.refresh()?;
        if let Some(t) = &j.state.read().expect("token state lock").torn {
            tracing::warn!(
                path = %j.path.display(), offset = t.offset, bytes = t.bytes,
                "the token journal ends in a torn entry (an interrupted write, never answered); it is ignored, and the next token write moves it to quarantine/"
            );
        }
        Ok(j)
    }

    /// The state, read anew first if the file changed since.
    pub(super) fn current(&self) -> Result<RwLockReadGuard<'_, State>> {
        let now = match std::fs::metadata(&self.path) {
            Ok(m) => Some((identity(&m), m.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(io_error(&self.path, "looking at")(e)),
        };
        {
            let st = self.state.read().expect("token state lock");
            if st.is_current(now) {
                return Ok(st);
            }
        }
        self.refresh()?;
        Ok(self.state.read().expect("token state lock"))
    }

    /// Reads what writers added, under a shared lock. Lock order: the file's lock, then the
    /// state's, everywhere.
    fn refresh(&self) -> Result<()> {
        let file = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let mut st = self.state.write().expect("token state lock");
                if st.identity.is_some() {
                    tracing::warn!(path = %self.path.display(), "the token journal is gone: no token is valid until it is back");
                }
                *st = State::new(None);
                return Ok(());
            }
            Err(e) => return Err(io_error(&self.path, "opening")(e)),
        };
        let file = Locked::new(file, libc::LOCK_SH, &self.path)?;
        self.read_new(&file)
    }

    /// Applies the entries past what was read (all of them if the path names another file now).
    fn read_new(&self, file: &File) -> Result<()> {
        let meta = file.metadata().map_err(io_error(&self.path, "looking at"))?;
        let mut st = self.state.write().expect("token state lock");
        if st.identity != Some(identity(&meta)) {
            if st.identity.is_some() {
                tracing::info!(path = %self.path.display(), "the token journal was replaced; reading it anew");
            }
            *st = State::new(Some(identity(&meta)));
        }
        let len = meta.len();
        if st.is_current(Some((identity(&meta), len))) {
            return Ok(());
        }
        if len < st.applied {
            return Err(TokenFileError::Damaged {
                path: self.path.display().to_string(),
                offset: len,
                reason: format!("the file was cut: it is {len} bytes, shorter than the {} already read", st.applied),
            });
        }
        if len > JOURNAL_BYTES_MAX {
            return Err(TokenFileError::Full { path: self.path.display().to_string() });
        }
        let mut buf = vec![0; usize::try_from(len - st.applied).expect("below JOURNAL_BYTES_MAX")];
        file.read_exact_at(&mut buf, st.applied).map_err(io_error(&self.path, "reading"))?;
        st.read(&buf, len, &self.path)
    }

    /// Runs `decide` on the current state under the exclusive lock and appends the entry it
    /// returns, if any; answers only after the entry is synced and read back.
    pub(super) fn write<T>(&self, decide: impl FnOnce(&State) -> Result<(Option<Entry>, T)>) -> Result<T> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(TokenFileError::Failed { path: self.path.display().to_string() });
        }
        let file = self.lock_for_writing()?;
        self.read_new(&file)?;
        self.settle_legacy(&file)?;
        let (entry, out) = decide(&self.state.read().expect("token state lock"))?;
        if let Some(entry) = entry {
            self.append(&file, &entry)?;
        }
        Ok(out)
    }

    /// Opens (creating it, 0600) and locks the journal for writing. If the path named another
    /// file by the time the lock was granted, that one is locked instead.
    fn lock_for_writing(&self) -> Result<Locked> {
        for _ in 0..LOCK_REOPENS_MAX {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600)
                .open(&self.path)
                .map_err(io_error(&self.path, "opening for writing"))?;
            let file = Locked::new(file, libc::LOCK_EX, &self.path)?;
            let held = file.metadata().map_err(io_error(&self.path, "looking at"))?;
            match std::fs::metadata(&self.path) {
                Ok(m) if identity(&m) == identity(&held) => return Ok(file),
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_error(&self.path, "looking at")(e)),
            }
        }
        Err(io_error(&self.path, "locking")(io::Error::other(format!(
            "the path named another file each of {LOCK_REOPENS_MAX} times the lock was granted"
        ))))
    }

    /// Appends one entry (after the magic if the journal is empty), syncs it and reads it back.
    fn append(&self, file: &Locked, entry: &Entry) -> Result<()> {
        let path = self.path.display().to_string();
        let (end, torn) = {
            let st = self.state.read().expect("token state lock");
            // Checked before it is written and again when it is read back. Under the lock the
            // state cannot change, unless the file was removed meanwhile (a reader then forgets
            // its tokens).
            st.check_entry(entry).map_err(|why| {
                io_error(&self.path, "appending an entry")(io::Error::other(format!(
                    "the entry no longer fits the journal ({why}); was the file removed? nothing was written"
                )))
            })?;
            (st.applied, st.torn.clone())
        };
        if let Some(t) = torn {
            self.set_aside(file, &t)?;
        }
        let body = serde_json::to_vec(entry).expect("entries serialise");
        if body.len() > ENTRY_BODY_BYTES_MAX {
            return Err(TokenFileError::EntryTooLarge { path, bytes: body.len() });
        }
        let mut bytes = if end == 0 { MAGIC.to_vec() } else { Vec::new() };
        bytes.extend_from_slice(&frame(&body));
        let new_end = end + bytes.len() as u64;
        if new_end > JOURNAL_BYTES_MAX {
            return Err(TokenFileError::Full { path });
        }
        if let Err(e) = file.write_all_at(&bytes, end).and_then(|_| file.sync_data()) {
            self.undo(file, end);
            return Err(io_error(&self.path, "appending an entry")(e));
        }
        if end == 0 {
            // The file may have been made by this writer: its name must be durable too.
            sync_dir(&self.data)?;
        }
        self.read_new(file)?;
        let applied = self.state.read().expect("token state lock").applied;
        if applied != new_end {
            return Err(TokenFileError::Damaged {
                path,
                offset: end,
                reason: format!("the entry just written does not read back (the valid entries end at byte {applied}, not {new_end})"),
            });
        }
        Ok(())
    }

    /// Cuts a failed append off again, so that the page cache holds no entry the disk may lack.
    fn undo(&self, file: &File, end: u64) {
        if let Err(e) = file.set_len(end).and_then(|_| file.sync_data()) {
            self.broken.store(true, Ordering::SeqCst);
            tracing::error!(path = %self.path.display(), error = %e, end, "a failed token write could not be cut off; token writes are refused until restart");
        }
    }

    /// Moves a torn tail to `quarantine/` (synced) and cuts it off the journal.
    fn set_aside(&self, file: &File, t: &TornTail) -> Result<()> {
        let mut bytes = vec![0; usize::try_from(t.bytes).expect("below JOURNAL_BYTES_MAX")];
        file.read_exact_at(&mut bytes, t.offset).map_err(io_error(&self.path, "reading the torn tail"))?;
        let what = "a torn last entry of the token journal (an interrupted write, never answered)";
        let q = quarantine::keep(&self.data, JOURNAL_FILE, t.offset, &bytes, what)?;
        file.set_len(t.offset).map_err(io_error(&self.path, "cutting off the torn tail"))?;
        tracing::warn!(kept_in = %q.kept_in.display(), "{q}");
        Ok(())
    }

    /// Imports an old `tokens.json` into the empty journal and moves it to `quarantine/`; moves
    /// a `tokens.tmp` the old code left there too.
    fn settle_legacy(&self, file: &Locked) -> Result<()> {
        let legacy = self.data.join(LEGACY_FILE);
        match std::fs::read(&legacy) {
            Ok(bytes) => {
                let st = self.state.read().expect("token state lock").clone();
                match classify_legacy(&st, &legacy, &bytes)? {
                    Legacy::Imported(moved_to) => {
                        let what = "tokens.json, imported into the token journal before a crash came between the import and this move";
                        let q = quarantine::move_in(&self.data, LEGACY_FILE, &moved_to, what)?;
                        tracing::info!(kept_in = %q.kept_in.display(), "{q}");
                    }
                    Legacy::ToImport(tokens) => {
                        let n = tokens.len();
                        let moved_to = quarantine::name(LEGACY_FILE);
                        let entry = Entry::Imported(Imported {
                            from: LEGACY_FILE.into(),
                            blake3: blake3::hash(&bytes).to_hex().to_string(),
                            moved_to: moved_to.clone(),
                            at: now(),
                            tokens,
                        });
                        st.check_entry(&entry).map_err(|why| TokenFileError::Legacy {
                            path: legacy.display().to_string(),
                            reason: format!("it cannot be imported: {why}; fix it or move it out of the data folder"),
                        })?;
                        self.append(file, &entry)?;
                        let what = format!("tokens.json, its {n} tokens imported into the token journal (it holds their hashes, no secrets)");
                        let q = quarantine::move_in(&self.data, LEGACY_FILE, &moved_to, &what)?;
                        tracing::info!(kept_in = %q.kept_in.display(), "{q}");
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(&legacy, "reading")(e)),
        }
        let tmp = self.data.join(LEGACY_TMP_FILE);
        if tmp.exists() {
            let what = "tokens.tmp, left by an interrupted write of the old token file and never in use";
            let q = quarantine::move_in(&self.data, LEGACY_TMP_FILE, &quarantine::name(LEGACY_TMP_FILE), what)?;
            tracing::warn!(kept_in = %q.kept_in.display(), "{q}");
        }
        Ok(())
    }
}

enum Legacy {
    /// Imported already (a crash came before it was moved): where it goes.
    Imported(String),
    /// Not imported yet: its tokens.
    ToImport(Vec<LegacyRecord>),
}

fn classify_legacy(st: &State, legacy: &Path, bytes: &[u8]) -> Result<Legacy> {
    let digest = blake3::hash(bytes).to_hex().to_string();
    if let Some((_, moved_to)) = st.imports.iter().find(|(d, _)| *d == digest) {
        return Ok(Legacy::Imported(moved_to.clone()));
    }
    let refuse = |reason: String| TokenFileError::Legacy { path: legacy.display().to_string(), reason };
    if st.entries > 0 {
        return Err(refuse(format!(
            "an old token file beside the token journal `{JOURNAL_FILE}`, which has {} entries and did not import this file, so its tokens are not in use; check what it holds, then move it out of the data folder",
            st.entries
        )));
    }
    let old: LegacyFile = serde_json::from_slice(bytes).map_err(|e| {
        refuse(format!(
            "the old token file does not read ({e}); fix it or move it out of the data folder, then try again"
        ))
    })?;
    Ok(Legacy::ToImport(old.tokens))
}

/// Reads the journal of `data` and says what it holds, without writing anything (not even
/// the quarantine folder); a damaged journal is an error naming the byte offset.
pub fn verify(data: &Path) -> Result<TokenSummary> {
    read_only(data).map(|(summary, _)| summary)
}

/// The studies in the registry of `data`, read without writing anything: for commands that
/// only read, which must change nothing (not even import an old token file).
pub fn studies_read_only(data: &Path) -> Result<Vec<StudyRecord>> {
    read_only(data).map(|(_, st)| st.studies)
}

fn read_only(data: &Path) -> Result<(TokenSummary, State)> {
    let path = data.join(JOURNAL_FILE);
    let mut st = State::default();
    let mut mode = None;
    let exists = match File::open(&path) {
        Ok(file) => {
            let file = Locked::new(file, libc::LOCK_SH, &path)?;
            let meta = file.metadata().map_err(io_error(&path, "looking at"))?;
            mode = Some(std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777);
            let len = meta.len();
            if len > JOURNAL_BYTES_MAX {
                return Err(TokenFileError::Full { path: path.display().to_string() });
            }
            let mut buf = vec![0; usize::try_from(len).expect("below JOURNAL_BYTES_MAX")];
            file.read_exact_at(&mut buf, 0).map_err(io_error(&path, "reading"))?;
            st.read(&buf, len, &path)?;
            true
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(io_error(&path, "opening")(e)),
    };
    let mut summary = TokenSummary { mode, ..st.summary(path, exists) };
    let legacy = data.join(LEGACY_FILE);
    match std::fs::read(&legacy) {
        Ok(bytes) => {
            classify_legacy(&st, &legacy, &bytes)?;
            summary.legacy_pending = true;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(io_error(&legacy, "reading")(e)),
    }
    summary.legacy_temp_left = data.join(LEGACY_TMP_FILE).exists();
    Ok((summary, st))
}

// ---- quarantine ----------------------------------------------------------------------------

/// `quarantine/` as the store keeps it (parlog-core's `quarantine`), with this file's errors.
mod quarantine {
    use super::*;

    pub(super) use parlog_core::quarantine::name;

    pub(super) fn keep(data: &Path, source: &str, from: u64, bytes: &[u8], what: &str) -> Result<Quarantined> {
        let dir = data.join(QUARANTINE_DIR);
        parlog_core::quarantine::keep(data, source, from, bytes, what).map_err(io_error(&dir, "keeping bytes in"))
    }

    pub(super) fn move_in(data: &Path, source: &str, to: &str, what: &str) -> Result<Quarantined> {
        let from = data.join(source);
        parlog_core::quarantine::move_in(data, source, to, what).map_err(io_error(&from, "moving into quarantine"))
    }
}
