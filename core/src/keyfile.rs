//! The subject keys on disk: two copies of a checked, append-only file, each key wrapped by a
//! master key that does not live in the data folder.
//!
//! Why this shape:
//! - **Outside sled.** Forgetting a subject must really remove its key from the folder. sled
//!   keeps old versions of values until it reclaims a segment; a file rewritten and renamed over
//!   the old one does not.
//! - **Wrapped.** Each key is encrypted (XChaCha20-Poly1305, the subject id as associated data)
//!   under a key-encryption key, the *master key*, kept in a file outside the data folder or
//!   derived from a passphrase (Argon2id). A copy of the data folder without it opens no
//!   personal data. See [`MasterKeySource`] for where it is looked for.
//! - **Checked, entry by entry.** Every entry carries a check; the master key is checked against
//!   the header before any entry is unwrapped, and every wrapped key is authenticated. A damaged
//!   entry is reported with its offset and refused. The only damage taken for a crash is a last
//!   entry cut short (keys appended for a group whose events were never written): it is moved to
//!   quarantine.
//! - **Two copies** (`keys` and `keys.copy`), written and synced one after the other: damage to
//!   one copy is repaired from the other by `parlog repair`, never guessed at on open.
//!
//! Layout (big-endian): `PLKEYS02`, a header `[u8 source kind][16-byte salt][32-byte master key
//! check][u32 check]`, then entries `[u8 id length][subject id][24-byte nonce][48-byte wrapped
//! key][u32 check]`. The check is the first four bytes of blake3 over what precedes it in the
//! header or entry. The first format, `PLKEYS01` (keys in the clear), is read, and rewritten as
//! this one when a store opens it for writing.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use crate::ids::SubjectId;
use crate::seal::{random_bytes, sync_dir, SubjectKey, SUBJECT_KEY_BYTES};
use crate::store::quarantine::{self, Quarantined};

pub(crate) const KEYS_FILE: &str = "keys";
pub(crate) const KEYS_COPY_FILE: &str = "keys.copy";
const MAGIC_V1: &[u8; 8] = b"PLKEYS01";
const MAGIC_V2: &[u8; 8] = b"PLKEYS02";
const HEADER_BYTES: usize = 8 + 1 + 16 + 32 + 4;
const NONCE_BYTES: usize = 24;
const WRAPPED_BYTES: usize = SUBJECT_KEY_BYTES + 16;
const MASTER_CHECK_CONTEXT: &str = "parlog 2026-12 master key check v1";
const MASTER_FILE_PREFIX: &str = "parlog-master-key-v1 ";
/// The environment variable naming the master key file.
pub const MASTER_KEY_FILE_ENV: &str = "PARLOG_MASTER_KEY_FILE";
/// The environment variable holding a passphrase to derive the master key from.
pub const MASTER_PASSPHRASE_ENV: &str = "PARLOG_MASTER_PASSPHRASE";
/// Passphrases shorter than this are refused: Argon2 slows guessing, it does not make a short
/// passphrase long.
const PASSPHRASE_CHARS_MIN: usize = 12;

/// Where the master key comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum MasterKeySource {
    /// A file holding the key (created, with a fresh random key, when a data folder is made).
    File(PathBuf),
    /// A passphrase; the key is derived from it with Argon2id and a salt kept in the key file.
    Passphrase(String),
}

impl std::fmt::Debug for MasterKeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MasterKeySource::File(p) => write!(f, "File({})", p.display()),
            MasterKeySource::Passphrase(_) => write!(f, "Passphrase(…)"),
        }
    }
}

impl MasterKeySource {
    /// The default for a data folder: `PARLOG_MASTER_KEY_FILE`, else `PARLOG_MASTER_PASSPHRASE`,
    /// else the file beside the data folder named after it with `.master-key` appended
    /// (`./parlog-data.master-key` for `./parlog-data`). Beside, not inside: copying or sending
    /// the data folder does not copy the key.
    pub fn from_env(data: &Path) -> MasterKeySource {
        if let Some(p) = std::env::var_os(MASTER_KEY_FILE_ENV).filter(|p| !p.is_empty()) {
            return MasterKeySource::File(PathBuf::from(p));
        }
        if let Ok(p) = std::env::var(MASTER_PASSPHRASE_ENV) {
            if !p.is_empty() {
                return MasterKeySource::Passphrase(p);
            }
        }
        MasterKeySource::File(Self::default_file(data))
    }

    /// The master key file used when nothing else is said (see [`MasterKeySource::from_env`]).
    pub fn default_file(data: &Path) -> PathBuf {
        let abs = std::path::absolute(data).unwrap_or_else(|_| data.to_path_buf());
        let name = abs.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "parlog-data".into());
        abs.with_file_name(format!("{name}.master-key"))
    }

    /// Says where the key is, for messages.
    pub fn describe(&self) -> String {
        match self {
            MasterKeySource::File(p) => format!("the master key file {}", p.display()),
            MasterKeySource::Passphrase(_) => format!("the passphrase in {MASTER_PASSPHRASE_ENV}"),
        }
    }

    fn kind(&self) -> u8 {
        match self {
            MasterKeySource::File(_) => 1,
            MasterKeySource::Passphrase(_) => 2,
        }
    }
}

/// Why the key file could not be used. Every variant names the file and offset; the commands
/// that mend it are parlog-server's to name.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// One copy is damaged; the other is sound and a repair restores this one from it.
    #[error("{file} is damaged at offset {offset}: {why}")]
    Damaged { file: String, offset: u64, why: String },
    #[error("both copies of the key file are damaged ({0}); restore `keys` and `keys.copy` from a backup")]
    BothDamaged(String),
    #[error("{source_desc} does not open the key file {file}: {why}")]
    WrongMasterKey { source_desc: String, file: String, why: String },
    #[error("{0}")]
    MasterKey(String),
}

/// A master key, checked against a key file's header.
struct Master {
    key: [u8; 32],
    kind: u8,
    salt: [u8; 16],
}

impl Master {
    fn check(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new_keyed(&self.key);
        h.update(MASTER_CHECK_CONTEXT.as_bytes());
        *h.finalize().as_bytes()
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(Key::from_slice(&self.key))
    }

    /// Loads (or, with `create`, makes) the master key for a key file with this salt.
    fn load(source: &MasterKeySource, salt: [u8; 16], create: bool) -> Result<Master, KeyFileError> {
        let key = match source {
            MasterKeySource::File(path) => read_master_file(path, create)?,
            MasterKeySource::Passphrase(p) => derive(p, &salt)?,
        };
        Ok(Master { key, kind: source.kind(), salt })
    }

    fn header(&self) -> Vec<u8> {
        let mut h = MAGIC_V2.to_vec();
        h.push(self.kind);
        h.extend_from_slice(&self.salt);
        h.extend_from_slice(&self.check());
        let c = check(&h);
        h.extend_from_slice(&c.to_be_bytes());
        h
    }

    fn wrap(&self, s: &SubjectId, k: &SubjectKey) -> Vec<u8> {
        let nonce: [u8; NONCE_BYTES] = random_bytes();
        let wrapped = self
            .cipher()
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: k, aad: s.as_str().as_bytes() })
            .expect("encryption of 32 bytes does not fail");
        let mut body = nonce.to_vec();
        body.extend_from_slice(&wrapped);
        entry_bytes(s, &body)
    }

    fn unwrap(&self, s: &SubjectId, nonce: &[u8], wrapped: &[u8]) -> Option<SubjectKey> {
        let plain = self
            .cipher()
            .decrypt(XNonce::from_slice(nonce), Payload { msg: wrapped, aad: s.as_str().as_bytes() })
            .ok()?;
        plain.try_into().ok()
    }
}

fn read_master_file(path: &Path, create: bool) -> Result<[u8; 32], KeyFileError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let hex = text.trim().strip_prefix(MASTER_FILE_PREFIX.trim_end()).map(str::trim).unwrap_or("");
            decode_hex(hex).ok_or_else(|| {
                KeyFileError::MasterKey(format!(
                    "{} is not a parlog master key file (expected one line: `{MASTER_FILE_PREFIX}` and 64 hexadecimal digits)",
                    path.display()
                ))
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            let key: [u8; 32] = random_bytes();
            write_master_file(path, &key)?;
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(KeyFileError::MasterKey(format!(
            "the master key file {} is missing, and the key file needs it to open personal data; put it back from where you keep it (it is not part of the data folder), or name it with {MASTER_KEY_FILE_ENV}",
            path.display()
        ))),
        Err(e) => Err(KeyFileError::MasterKey(format!("cannot read the master key file {}: {e}", path.display()))),
    }
}

/// Writes a new master key file (0600), durably; refuses to overwrite one.
/// Written whole or not at all (a temporary file, linked into place), so that a crash leaves no
/// half a key behind for the next open to trip over.
fn write_master_file(path: &Path, key: &[u8; 32]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    {
        let mut f = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
        writeln!(f, "{MASTER_FILE_PREFIX}{}", encode_hex(key))?;
        f.sync_all()?;
    }
    let linked = std::fs::hard_link(&tmp, path);
    std::fs::remove_file(&tmp)?;
    linked?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        sync_dir(parent)?;
    }
    Ok(())
}

fn derive(passphrase: &str, salt: &[u8; 16]) -> Result<[u8; 32], KeyFileError> {
    if passphrase.chars().count() < PASSPHRASE_CHARS_MIN {
        return Err(KeyFileError::MasterKey(format!(
            "the passphrase in {MASTER_PASSPHRASE_ENV} has fewer than {PASSPHRASE_CHARS_MIN} characters; choose a longer one"
        )));
    }
    let mut out = [0u8; 32];
    argon2::Argon2::default()
        .hash_password_into(passphrase.as_bytes(), salt, &mut out)
        .map_err(|e| KeyFileError::MasterKey(format!("deriving the master key from the passphrase failed: {e}")))?;
    Ok(out)
}

fn encode_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn decode_hex(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// An entry as stored: `[u8 id length][subject id][body][u32 check]`.
fn entry_bytes(s: &SubjectId, body: &[u8]) -> Vec<u8> {
    let mut e = Vec::with_capacity(1 + s.as_str().len() + body.len() + 4);
    e.push(u8::try_from(s.as_str().len()).expect("subject ids are at most 100 bytes"));
    e.extend_from_slice(s.as_str().as_bytes());
    e.extend_from_slice(body);
    let c = check(&e);
    e.extend_from_slice(&c.to_be_bytes());
    e
}

/// A checksum for damage and torn writes (not for security: the wrapping authenticates).
fn check(b: &[u8]) -> u32 {
    u32::from_be_bytes(blake3::hash(b).as_bytes()[..4].try_into().expect("4 bytes"))
}

/// One entry as read, not yet unwrapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawEntry {
    pub(crate) offset: u64,
    pub(crate) subject: SubjectId,
    /// v2: nonce and wrapped key; v1: the key in the clear.
    pub(crate) body: Vec<u8>,
}

/// How a key file ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeysEnd {
    /// After its last whole entry.
    Clean,
    /// A last entry cut short from `offset` on: a crash while keys were appended.
    Torn { offset: u64 },
    /// Damage at `offset` that a crash does not leave.
    Damaged { offset: u64, why: String },
}

/// A key file parsed, without any key opened: a pure function of its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parsed {
    pub(crate) version: u8,
    /// v2: the source kind, salt and master check.
    pub(crate) header: Option<(u8, [u8; 16], [u8; 32])>,
    pub(crate) entries: Vec<RawEntry>,
    pub(crate) end: KeysEnd,
    pub(crate) good_bytes: u64,
}

/// Parses a key file's bytes (either format). Never panics on any input.
pub(crate) fn parse(bytes: &[u8]) -> Parsed {
    let damaged = |version, offset: usize, why: &str| Parsed {
        version,
        header: None,
        entries: Vec::new(),
        end: KeysEnd::Damaged { offset: offset as u64, why: why.into() },
        good_bytes: 0,
    };
    let (version, mut at, header) = if bytes.starts_with(MAGIC_V2) {
        if bytes.len() < HEADER_BYTES {
            return damaged(2, 0, "the header is cut short");
        }
        let h = &bytes[..HEADER_BYTES];
        if check(&h[..HEADER_BYTES - 4]) != u32::from_be_bytes(h[HEADER_BYTES - 4..].try_into().expect("4 bytes")) {
            return damaged(2, 0, "the header does not match its check");
        }
        let salt: [u8; 16] = h[9..25].try_into().expect("16 bytes");
        let mc: [u8; 32] = h[25..57].try_into().expect("32 bytes");
        (2, HEADER_BYTES, Some((h[8], salt, mc)))
    } else if bytes.starts_with(MAGIC_V1) {
        (1, MAGIC_V1.len(), None)
    } else {
        return damaged(0, 0, "it does not start with a parlog key file's mark");
    };
    let body_len = if version == 2 { NONCE_BYTES + WRAPPED_BYTES } else { SUBJECT_KEY_BYTES };
    let mut entries = Vec::new();
    let end = loop {
        let Some(&len) = bytes.get(at) else { break KeysEnd::Clean };
        let entry_end = at + 1 + len as usize + body_len + 4;
        if entry_end > bytes.len() {
            break KeysEnd::Torn { offset: at as u64 };
        }
        let entry = &bytes[at..entry_end - 4];
        let stored = u32::from_be_bytes(bytes[entry_end - 4..entry_end].try_into().expect("4 bytes"));
        if check(entry) != stored {
            // A whole last entry that fails its check is damage too, unless what follows its
            // start is the zeros a file system leaves for data it had no time to write.
            let zeros_after = bytes[at + 1..entry_end].iter().rev().take(4).all(|b| *b == 0);
            if entry_end == bytes.len() && zeros_after {
                break KeysEnd::Torn { offset: at as u64 };
            }
            break KeysEnd::Damaged { offset: at as u64, why: "an entry does not match its check".into() };
        }
        let subject = std::str::from_utf8(&entry[1..1 + len as usize]).ok().and_then(|s| SubjectId::parse(s).ok());
        let Some(subject) = subject else {
            break KeysEnd::Damaged { offset: at as u64, why: "an entry names no valid subject id".into() };
        };
        entries.push(RawEntry { offset: at as u64, subject, body: entry[1 + len as usize..].to_vec() });
        at = entry_end;
    };
    Parsed { version, header, entries, end, good_bytes: at as u64 }
}

/// What one copy of the key file holds, checked.
struct Copy {
    name: &'static str,
    parsed: Parsed,
}

/// Subject keys, in memory and in the two key files of the data folder.
pub(crate) struct KeyFile {
    dir: PathBuf,
    master: Master,
    keys: BTreeMap<SubjectId, SubjectKey>,
    /// The entries as written, to rewrite a file without one of them.
    entries: BTreeMap<SubjectId, Vec<u8>>,
    files: [File; 2],
    /// Each file's length after its last whole entry, to undo a failed append.
    lengths: [u64; 2],
}

/// What opening the key file did besides reading it.
#[derive(Debug, Default)]
pub(crate) struct KeysOpened {
    pub(crate) quarantined: Vec<Quarantined>,
    /// The file was in the first format (keys in the clear) and is now wrapped.
    pub(crate) migrated: bool,
    /// One copy was missing or empty and was written again from the other.
    pub(crate) restored_copy: Option<&'static str>,
}

/// What a read-only check of the key files found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeysReport {
    pub keys: usize,
    /// Findings, each a sentence naming the file and offset.
    pub findings: Vec<String>,
    /// Notes that are not damage (a torn last entry, the first format).
    pub notes: Vec<String>,
}

fn read(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Unwraps (or, for v1, takes) every entry; refuses an entry that does not open.
fn open_entries(
    c: &Copy,
    master: Option<&Master>,
    source: &MasterKeySource,
) -> Result<BTreeMap<SubjectId, SubjectKey>, KeyFileError> {
    let mut out = BTreeMap::new();
    for e in &c.parsed.entries {
        let key = match master {
            Some(m) => m.unwrap(&e.subject, &e.body[..NONCE_BYTES], &e.body[NONCE_BYTES..]).ok_or_else(|| {
                KeyFileError::WrongMasterKey {
                    source_desc: source.describe(),
                    file: c.name.into(),
                    why: format!("the entry of {} at offset {} does not open", e.subject, e.offset),
                }
            })?,
            None => e.body[..].try_into().expect("v1 entries hold a key"),
        };
        out.insert(e.subject.clone(), key);
    }
    Ok(out)
}

impl KeyFile {
    /// Opens (or creates) the key files of a data folder for writing.
    ///
    /// A torn last entry of either copy is moved to quarantine and cut off; any other damage,
    /// a missing copy, or copies that disagree are refused (`parlog repair` mends one copy from
    /// the other). A key file of the first format is rewritten wrapped, in both copies.
    ///
    /// `log_is_new` says the log holds no event yet: only then may both files be missing (or
    /// empty, as a crash while creating them leaves them). One copy missing or empty, the other
    /// whole, is what a crash between writing the two leaves: it is written again from the other.
    pub(crate) fn open(
        dir: &Path,
        source: &MasterKeySource,
        log_is_new: bool,
    ) -> Result<(KeyFile, KeysOpened), KeyFileError> {
        let mut opened = KeysOpened::default();
        let main = read(&dir.join(KEYS_FILE))?.filter(|b| !b.is_empty());
        let copy = read(&dir.join(KEYS_COPY_FILE))?.filter(|b| !b.is_empty());
        let mut stored_entries: BTreeMap<SubjectId, Vec<u8>> = BTreeMap::new();
        for bytes in [&copy, &main].into_iter().flatten().filter(|b| b.starts_with(MAGIC_V2)) {
            for e in parse(bytes).entries {
                let stored = entry_bytes(&e.subject, &e.body);
                stored_entries.insert(e.subject, stored);
            }
        }
        let (master, keys) = match (main, copy) {
            (None, None) if !log_is_new => {
                return Err(KeyFileError::BothDamaged(format!(
                    "`{KEYS_FILE}` and `{KEYS_COPY_FILE}` are missing or empty, though the log holds events; without them no sealed data opens"
                )));
            }
            (None, None) => {
                // A new folder: a fresh salt, and the master key file if there is none yet.
                let master = Master::load(source, random_bytes(), true)?;
                (master, BTreeMap::new())
            }
            (Some(main), _) if main.starts_with(MAGIC_V1) => {
                // The first format: keys in the clear, one copy. Wrap them.
                let c = Copy { name: KEYS_FILE, parsed: parse(&main) };
                if let KeysEnd::Damaged { offset, why } = &c.parsed.end {
                    return Err(KeyFileError::Damaged { file: KEYS_FILE.into(), offset: *offset, why: why.clone() });
                }
                let keys = open_entries(&c, None, source)?;
                opened.migrated = true;
                (Master::load(source, random_bytes(), true)?, keys)
            }
            (Some(one), None) => Self::from_one(dir, &one, KEYS_FILE, KEYS_COPY_FILE, source, &mut opened)?,
            (None, Some(one)) => Self::from_one(dir, &one, KEYS_COPY_FILE, KEYS_FILE, source, &mut opened)?,
            (Some(main), Some(copy)) => {
                let copies = [
                    Copy { name: KEYS_FILE, parsed: parse(&main) },
                    Copy { name: KEYS_COPY_FILE, parsed: parse(&copy) },
                ];
                Self::agree(dir, &copies, source, &mut opened)?
            }
        };
        let mut kf = KeyFile {
            dir: dir.to_path_buf(),
            master,
            keys: BTreeMap::new(),
            entries: BTreeMap::new(),
            files: [open_append(&dir.join(KEYS_FILE))?, open_append(&dir.join(KEYS_COPY_FILE))?],
            lengths: [0, 0],
        };
        for (s, k) in &keys {
            // The entry as stored, where there is one (so that a rewrite keeps other subjects'
            // bytes as they were); wrapped afresh for keys of the first format.
            let stored = stored_entries.get(s).cloned();
            kf.entries.insert(s.clone(), stored.unwrap_or_else(|| kf.master.wrap(s, k)));
        }
        kf.keys = keys;
        let lens = [kf.files[0].metadata()?.len(), kf.files[1].metadata()?.len()];
        if opened.migrated || opened.restored_copy.is_some() || lens[0] == 0 || lens[1] == 0 {
            kf.rewrite()?;
        } else {
            kf.lengths = lens;
        }
        Ok((kf, opened))
    }

    /// Reads the one copy `name` that is there; the other, `missing`, is written again from it.
    fn from_one(
        dir: &Path,
        one: &[u8],
        name: &'static str,
        missing: &'static str,
        source: &MasterKeySource,
        opened: &mut KeysOpened,
    ) -> Result<(Master, BTreeMap<SubjectId, SubjectKey>), KeyFileError> {
        let copies = [Copy { name, parsed: parse(one) }, Copy { name, parsed: parse(one) }];
        let read = Self::agree(dir, &copies, source, opened)?;
        opened.restored_copy = Some(missing);
        Ok(read)
    }

    /// Checks both copies against each other and the master key; moves torn last entries to
    /// quarantine.
    fn agree(
        dir: &Path,
        copies: &[Copy; 2],
        source: &MasterKeySource,
        opened: &mut KeysOpened,
    ) -> Result<(Master, BTreeMap<SubjectId, SubjectKey>), KeyFileError> {
        for c in copies {
            match &c.parsed.end {
                KeysEnd::Damaged { offset, why } => {
                    return Err(KeyFileError::Damaged { file: c.name.into(), offset: *offset, why: why.clone() })
                }
                KeysEnd::Torn { .. } | KeysEnd::Clean => {}
            }
        }
        let (kind, salt, mcheck) = copies[0].parsed.header.expect("a v2 file that is not damaged has a header");
        if copies[1].parsed.header != copies[0].parsed.header {
            return Err(KeyFileError::Damaged {
                file: KEYS_COPY_FILE.into(),
                offset: 0,
                why: "its header differs from that of `keys`".into(),
            });
        }
        if kind != source.kind() {
            let want = if kind == 1 { MASTER_KEY_FILE_ENV } else { MASTER_PASSPHRASE_ENV };
            return Err(KeyFileError::WrongMasterKey {
                source_desc: source.describe(),
                file: KEYS_FILE.into(),
                why: format!("the key file was wrapped with a master key from {want}; set it"),
            });
        }
        let master = Master::load(source, salt, false)?;
        if master.check() != mcheck {
            return Err(KeyFileError::WrongMasterKey {
                source_desc: source.describe(),
                file: KEYS_FILE.into(),
                why: "it is another master key than the one the key file was wrapped with".into(),
            });
        }
        let a = open_entries(&copies[0], Some(&master), source)?;
        let b = open_entries(&copies[1], Some(&master), source)?;
        // The copies are written one after the other, so after a crash one may hold a few
        // more entries than the other: those are the torn group's keys. Beyond that they agree.
        for (s, k) in &a {
            if b.get(s).is_some_and(|kb| kb != k) {
                return Err(KeyFileError::Damaged {
                    file: KEYS_COPY_FILE.into(),
                    offset: 0,
                    why: format!("its key for {s} differs from the one in `keys`"),
                });
            }
        }
        let mut keys = a;
        for (s, k) in b {
            keys.entry(s).or_insert(k);
        }
        for (i, c) in copies.iter().enumerate() {
            if i == 1 && c.name == copies[0].name {
                break;
            }
            if let KeysEnd::Torn { offset } = c.parsed.end {
                let path = dir.join(c.name);
                let bytes = std::fs::read(&path)?;
                let what = "a key entry cut short by a crash (keys for a group that was never acknowledged)";
                opened.quarantined.push(quarantine::keep(dir, c.name, offset, &bytes[offset as usize..], what)?);
                let f = OpenOptions::new().write(true).open(&path)?;
                f.set_len(offset)?;
                f.sync_all()?;
            }
        }
        Ok((master, keys))
    }

    /// Checks the key files of a folder without changing anything: every entry, both copies,
    /// and whether the master key opens them.
    pub(crate) fn check(
        dir: &Path,
        source: &MasterKeySource,
    ) -> Result<(KeysReport, BTreeMap<SubjectId, SubjectKey>), std::io::Error> {
        let mut r = KeysReport::default();
        let main = read(&dir.join(KEYS_FILE))?.filter(|b| !b.is_empty());
        let copy = read(&dir.join(KEYS_COPY_FILE))?.filter(|b| !b.is_empty());
        let parsed: Vec<(&str, Parsed)> = [(KEYS_FILE, &main), (KEYS_COPY_FILE, &copy)]
            .into_iter()
            .filter_map(|(n, b)| b.as_ref().map(|b| (n, parse(b))))
            .collect();
        match (&main, &copy) {
            (None, None) => return Ok((r, BTreeMap::new())),
            (Some(m), _) if m.starts_with(MAGIC_V1) => {
                r.notes.push("the key file is in the first format (keys in the clear, one copy); the next open for writing wraps it with the master key".into());
            }
            (None, _) => {
                r.findings.push(format!("`{KEYS_FILE}` is missing; a repair restores it from `{KEYS_COPY_FILE}`"))
            }
            (_, None) => {
                r.findings.push(format!("`{KEYS_COPY_FILE}` is missing; a repair restores it from `{KEYS_FILE}`"))
            }
            _ => {}
        }
        for (name, p) in &parsed {
            match &p.end {
                KeysEnd::Clean => {}
                KeysEnd::Torn { offset } => r.notes.push(format!(
                    "`{name}` ends in an entry cut short at offset {offset} (a crash while keys were added); the next write moves it to quarantine"
                )),
                KeysEnd::Damaged { offset, why } => r.findings.push(format!(
                    "`{name}` is damaged at offset {offset}: {why}; a repair restores it from the other copy"
                )),
            }
        }
        let mut all: BTreeMap<SubjectId, SubjectKey> = BTreeMap::new();
        for (name, p) in &parsed {
            let master = match p.header {
                None => None,
                Some((kind, salt, mcheck)) => {
                    if kind != source.kind() {
                        r.findings.push(format!(
                            "`{name}` was wrapped with a master key of another kind than {}",
                            source.describe()
                        ));
                        continue;
                    }
                    match Master::load(source, salt, false) {
                        Ok(m) if m.check() == mcheck => Some(m),
                        Ok(_) => {
                            r.findings
                                .push(format!("{} is not the master key `{name}` was wrapped with", source.describe()));
                            continue;
                        }
                        Err(e) => {
                            r.findings.push(e.to_string());
                            continue;
                        }
                    }
                }
            };
            let c = Copy { name: if *name == KEYS_FILE { KEYS_FILE } else { KEYS_COPY_FILE }, parsed: p.clone() };
            match open_entries(&c, master.as_ref(), source) {
                Ok(keys) => {
                    for (s, k) in keys {
                        if all.insert(s.clone(), k).is_some_and(|old| old != k) {
                            r.findings.push(format!("the two copies hold different keys for {s}"));
                        }
                    }
                }
                Err(e) => r.findings.push(e.to_string()),
            }
        }
        r.keys = all.len();
        Ok((r, all))
    }

    /// Restores a damaged or missing copy from the other, keeping the damaged bytes in
    /// quarantine. Refuses when both are damaged.
    pub(crate) fn repair(dir: &Path, source: &MasterKeySource) -> Result<Vec<Quarantined>, KeyFileError> {
        let mut moved = Vec::new();
        let files = [KEYS_FILE, KEYS_COPY_FILE];
        let bytes: Vec<Option<Vec<u8>>> = files.iter().map(|f| read(&dir.join(f))).collect::<Result<_, _>>()?;
        let bad: Vec<bool> =
            bytes.iter().map(|b| b.as_ref().is_none_or(|b| matches!(parse(b).end, KeysEnd::Damaged { .. }))).collect();
        if bytes.iter().all(Option::is_none) || bytes[0].as_ref().is_some_and(|b| b.starts_with(MAGIC_V1)) {
            return Ok(moved);
        }
        if bad[0] && bad[1] {
            let why: Vec<String> = bytes
                .iter()
                .zip(files)
                .map(|(b, f)| match b.as_ref().map(|b| parse(b).end) {
                    Some(KeysEnd::Damaged { offset, why }) => format!("`{f}` at offset {offset}: {why}"),
                    _ => format!("`{f}` is missing"),
                })
                .collect();
            return Err(KeyFileError::BothDamaged(why.join("; ")));
        }
        for (i, f) in files.iter().enumerate() {
            if !bad[i] {
                continue;
            }
            let good = bytes[1 - i].as_ref().expect("the other copy is there");
            if let Some(b) = &bytes[i] {
                let what = "a damaged copy of the key file, replaced by the other copy";
                moved.push(quarantine::keep(dir, f, 0, b, what)?);
            }
            let p = parse(good);
            replace_file(&dir.join(f), &good[..p.good_bytes as usize])?;
        }
        // Both now read; opening checks them against each other and the master key.
        let (kf, opened) = KeyFile::open(dir, source, false)?;
        drop(kf);
        moved.extend(opened.quarantined);
        Ok(moved)
    }

    pub(crate) fn get(&self, s: &SubjectId) -> Option<&SubjectKey> {
        self.keys.get(s)
    }

    pub(crate) fn contains(&self, s: &SubjectId) -> bool {
        self.keys.contains_key(s)
    }

    pub(crate) fn subjects(&self) -> impl Iterator<Item = &SubjectId> {
        self.keys.keys()
    }

    /// Adds new keys to both copies and makes them durable before returning. On an error
    /// (such as a full disk) both files are cut back to their last whole entry, so that a later
    /// append does not follow a torn one.
    pub(crate) fn add(&mut self, new: &[(SubjectId, SubjectKey)]) -> std::io::Result<()> {
        if new.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        let mut wrapped = Vec::with_capacity(new.len());
        for (s, k) in new {
            assert!(!self.keys.contains_key(s), "a subject gets one key");
            let e = self.master.wrap(s, k);
            buf.extend_from_slice(&e);
            wrapped.push(e);
        }
        for i in 0..2 {
            let written = self.files[i].write_all(&buf).and_then(|()| self.files[i].sync_data());
            if let Err(e) = written {
                for j in 0..=i {
                    let _ = self.files[j].set_len(self.lengths[j]).and_then(|()| self.files[j].sync_data());
                }
                return Err(e);
            }
        }
        for ((s, k), e) in new.iter().zip(wrapped) {
            self.keys.insert(s.clone(), *k);
            self.entries.insert(s.clone(), e);
        }
        for l in &mut self.lengths {
            *l += buf.len() as u64;
        }
        Ok(())
    }

    /// Destroys a subject's key: both files are rewritten without it, made durable, and renamed
    /// over the old ones, whose blocks the file system then frees.
    pub(crate) fn remove(&mut self, s: &SubjectId) -> std::io::Result<()> {
        if self.keys.remove(s).is_none() {
            return Ok(());
        }
        self.entries.remove(s);
        self.rewrite()
    }

    /// Wraps every key under a new master key and rewrites both copies with it. The new key
    /// (a new file, or a passphrase) must differ from the current one.
    pub(crate) fn rotate(&mut self, new: &MasterKeySource) -> Result<(), KeyFileError> {
        let master = Master::load(new, random_bytes(), true)?;
        if master.key == self.master.key {
            return Err(KeyFileError::MasterKey(format!(
                "{} is the master key the key file is already wrapped with; give a new one",
                new.describe()
            )));
        }
        self.master = master;
        let keys = std::mem::take(&mut self.keys);
        self.entries = keys.iter().map(|(s, k)| (s.clone(), self.master.wrap(s, k))).collect();
        self.keys = keys;
        self.rewrite()?;
        Ok(())
    }

    /// Writes both copies afresh from memory: each to a temporary file, synced, renamed over.
    fn rewrite(&mut self) -> std::io::Result<()> {
        let mut buf = self.master.header();
        for e in self.entries.values() {
            buf.extend_from_slice(e);
        }
        for (i, name) in [KEYS_FILE, KEYS_COPY_FILE].into_iter().enumerate() {
            let path = self.dir.join(name);
            replace_file(&path, &buf)?;
            self.files[i] = open_append(&path)?;
            self.lengths[i] = buf.len() as u64;
        }
        Ok(())
    }
}

fn open_append(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().read(true).append(true).create(true).mode(0o600).open(path)
}

/// Replaces `path` with `bytes`: a temporary file, synced, renamed over it, the folder synced.
fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    {
        let mut f = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    sync_dir(path.parent().expect("key files live in the data folder"))
}

/// Parses a key file's bytes and returns how many whole entries it holds; for fuzzing.
#[doc(hidden)]
pub fn parse_for_fuzzing(bytes: &[u8]) -> usize {
    parse(bytes).entries.len()
}
