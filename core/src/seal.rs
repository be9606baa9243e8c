//! Sealed personal data: one random key per data subject, kept in a small key file outside sled
//! so that forgetting a subject really removes its key from the data folder (sled keeps old
//! versions of values in its log until it reclaims the segment; a rewritten and renamed file
//! does not).
//!
//! A sealed payload is encrypted with XChaCha20-Poly1305 under a key derived from the event id and
//! the keys of all its subjects: forgetting any one of them makes it unreadable for good.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use crate::ids::{EventId, SubjectId};

const KEYS_MAGIC: &[u8; 8] = b"PLKEYS01";
const DEK_CONTEXT: &str = "parlog 2026-11 sealed payload key v1";
pub(crate) const SUBJECT_KEY_BYTES: usize = 32;

/// Subject keys, in memory and in the key file `keys` of the data folder.
pub(crate) struct KeyFile {
    path: PathBuf,
    file: File,
    keys: BTreeMap<SubjectId, [u8; SUBJECT_KEY_BYTES]>,
}

impl KeyFile {
    /// Opens or creates the key file. A torn last entry (a crash while appending keys whose
    /// events were therefore never acknowledged) is cut off.
    pub(crate) fn open(path: &Path) -> std::io::Result<KeyFile> {
        let mut file = OpenOptions::new().read(true).append(true).create(true).open(path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        if bytes.is_empty() {
            file.write_all(KEYS_MAGIC)?;
            file.sync_all()?;
            sync_dir(path.parent().expect("key file lives in the data folder"))?;
            bytes.extend_from_slice(KEYS_MAGIC);
        }
        if !bytes.starts_with(KEYS_MAGIC) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{} is not a parlog key file", path.display()),
            ));
        }
        let mut keys = BTreeMap::new();
        let mut at = KEYS_MAGIC.len();
        let good_end = loop {
            let Some(&len) = bytes.get(at) else { break at };
            let end = at + 1 + len as usize + SUBJECT_KEY_BYTES + 4;
            if end > bytes.len() {
                break at;
            }
            let entry = &bytes[at..end - 4];
            let check = u32::from_be_bytes(bytes[end - 4..end].try_into().expect("4 bytes"));
            if crc(entry) != check {
                break at;
            }
            let name = std::str::from_utf8(&entry[1..1 + len as usize]).ok().and_then(|s| SubjectId::parse(s).ok());
            let Some(name) = name else { break at };
            let key: [u8; SUBJECT_KEY_BYTES] = entry[1 + len as usize..].try_into().expect("32 bytes");
            keys.insert(name, key);
            at = end;
        };
        if good_end != bytes.len() {
            file.set_len(good_end as u64)?;
            file.sync_all()?;
        }
        Ok(KeyFile { path: path.to_path_buf(), file, keys })
    }

    pub(crate) fn get(&self, s: &SubjectId) -> Option<&[u8; SUBJECT_KEY_BYTES]> {
        self.keys.get(s)
    }

    pub(crate) fn contains(&self, s: &SubjectId) -> bool {
        self.keys.contains_key(s)
    }

    /// Adds new keys and makes them durable before returning.
    pub(crate) fn add(&mut self, new: &[(SubjectId, [u8; SUBJECT_KEY_BYTES])]) -> std::io::Result<()> {
        if new.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        for (s, k) in new {
            assert!(!self.keys.contains_key(s), "a subject gets one key");
            encode_entry(&mut buf, s, k);
        }
        self.file.write_all(&buf)?;
        self.file.sync_data()?;
        for (s, k) in new {
            self.keys.insert(s.clone(), *k);
        }
        Ok(())
    }

    /// Destroys a subject's key: the file is rewritten without it, made durable, and renamed over
    /// the old one, whose blocks the file system then frees.
    pub(crate) fn remove(&mut self, s: &SubjectId) -> std::io::Result<()> {
        if self.keys.remove(s).is_none() {
            return Ok(());
        }
        let mut buf = KEYS_MAGIC.to_vec();
        for (s, k) in &self.keys {
            encode_entry(&mut buf, s, k);
        }
        let tmp = self.path.with_extension("tmp");
        {
            let mut f = File::create(&tmp)?;
            f.write_all(&buf)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)?;
        sync_dir(self.path.parent().expect("key file lives in the data folder"))?;
        self.file = OpenOptions::new().read(true).append(true).open(&self.path)?;
        Ok(())
    }

    pub(crate) fn subjects(&self) -> impl Iterator<Item = &SubjectId> {
        self.keys.keys()
    }
}

fn encode_entry(buf: &mut Vec<u8>, s: &SubjectId, k: &[u8; SUBJECT_KEY_BYTES]) {
    let start = buf.len();
    buf.push(u8::try_from(s.as_str().len()).expect("subject ids are at most 100 bytes"));
    buf.extend_from_slice(s.as_str().as_bytes());
    buf.extend_from_slice(k);
    let c = crc(&buf[start..]);
    buf.extend_from_slice(&c.to_be_bytes());
}

/// A checksum for torn-write detection (not for security): the first 4 bytes of blake3.
fn crc(b: &[u8]) -> u32 {
    u32::from_be_bytes(blake3::hash(b).as_bytes()[..4].try_into().expect("4 bytes"))
}

pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).expect("the operating system provides randomness");
    b
}

fn data_key(id: EventId, keys: &[&[u8; SUBJECT_KEY_BYTES]]) -> Key {
    let mut h = blake3::Hasher::new_derive_key(DEK_CONTEXT);
    h.update(id.0.as_bytes());
    for k in keys {
        h.update(&k[..]);
    }
    *Key::from_slice(h.finalize().as_bytes())
}

/// The nonce of an event's sealed part. Each event's data key is derived from its own id and is
/// used for exactly one message, so a nonce derived from the id is unique per key; it saves a
/// system call for randomness on every sealed append.
pub(crate) fn nonce_for(id: EventId) -> [u8; 24] {
    let mut h = blake3::Hasher::new_derive_key("parlog 2026-11 sealed payload nonce v1");
    h.update(id.0.as_bytes());
    h.finalize().as_bytes()[..24].try_into().expect("24 bytes")
}

/// Encrypts `plain` for an event; the event id is bound in as associated data.
pub(crate) fn seal(id: EventId, keys: &[&[u8; SUBJECT_KEY_BYTES]], nonce: &[u8; 24], plain: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(&data_key(id, keys));
    cipher
        .encrypt(XNonce::from_slice(nonce), Payload { msg: plain, aad: id.0.as_bytes() })
        .expect("encryption of a bounded buffer does not fail")
}

pub(crate) fn open(id: EventId, keys: &[&[u8; SUBJECT_KEY_BYTES]], nonce: &[u8; 24], ct: &[u8]) -> Option<Vec<u8>> {
    let cipher = XChaCha20Poly1305::new(&data_key(id, keys));
    cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: id.0.as_bytes() }).ok()
}

/// A keyed digest of the sealed plaintext, used to tell a retried event from a different one with
/// the same id without storing anything that could reveal the text.
pub(crate) fn plaintext_mac(id: EventId, keys: &[&[u8; SUBJECT_KEY_BYTES]], plain: &[u8]) -> [u8; 32] {
    let key = data_key(id, keys);
    let k: [u8; 32] = key.into();
    *blake3::keyed_hash(&k, plain).as_bytes()
}
