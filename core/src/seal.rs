//! Sealed personal data: one random key per data subject (kept in the key files, see
//! `keyfile.rs`).
//!
//! A sealed payload is encrypted with XChaCha20-Poly1305 under a key derived from the event id and
//! the keys of all its subjects: forgetting any one of them makes it unreadable for good.

use std::fs::File;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use crate::ids::{EventId, Hash};

const DEK_CONTEXT: &str = "parlog 2026-11 sealed payload key v1";
/// Bytes of a data subject's key.
pub const SUBJECT_KEY_BYTES: usize = 32;
/// A data subject's key: random, kept in the key files, destroyed when the subject is forgotten.
pub type SubjectKey = [u8; SUBJECT_KEY_BYTES];

pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).expect("the operating system provides randomness");
    b
}

fn data_key(id: EventId, keys: &[&SubjectKey]) -> Key {
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
pub(crate) fn seal(id: EventId, keys: &[&SubjectKey], nonce: &[u8; 24], plain: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(&data_key(id, keys));
    cipher
        .encrypt(XNonce::from_slice(nonce), Payload { msg: plain, aad: id.0.as_bytes() })
        .expect("encryption of a bounded buffer does not fail")
}

pub(crate) fn open(id: EventId, keys: &[&SubjectKey], nonce: &[u8; 24], ct: &[u8]) -> Option<Vec<u8>> {
    let cipher = XChaCha20Poly1305::new(&data_key(id, keys));
    cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad: id.0.as_bytes() }).ok()
}

/// The digest of a sealed part's ciphertext, which the chain covers in its place (the
/// ciphertext itself is outside the hashed record, so that forgetting can destroy it). The one
/// definition: sealing, import, unsealing and both verifies compare against it.
pub(crate) fn ciphertext_digest(ciphertext: &[u8]) -> Hash {
    Hash(*blake3::hash(ciphertext).as_bytes())
}

/// A keyed digest of the sealed plaintext, used to tell a retried event from a different one with
/// the same id without storing anything that could reveal the text.
pub(crate) fn plaintext_mac(id: EventId, keys: &[&SubjectKey], plain: &[u8]) -> [u8; 32] {
    let key = data_key(id, keys);
    let k: [u8; 32] = key.into();
    *blake3::keyed_hash(&k, plain).as_bytes()
}
