//! Layout of the one sled tree, which holds the indexes of the log (the events themselves are in
//! the log file, see `log.rs`). A group's entries are one `apply_batch`, which sled recovers
//! atomically; entries a crash loses are rebuilt from the log on open.
//!
//! | key                               | value                                   |
//! |-----------------------------------|-----------------------------------------|
//! | `o` position(8)                   | offset(8) of the event's frame in the log |
//! | `i` event id(16)                  | position(8) stream version(8) digest(32) mac(32) |
//! | `s` stream 0x00 version(8)        | position(8)                             |
//! | `f` subject                       | position(8) of its SubjectForgotten     |
//! | `mindexed`                        | position(8) log offset(8): how far the indexes reach |
//!
//! Positions and versions are big-endian so that byte order is numeric order. Three keys per
//! event keep the writer fast: a stream's version is its last `s` key, and the events of a
//! subject (needed only to forget it) are found by a walk over the log.

use crate::ids::{EventId, Position, StreamId, SubjectId};

/// The last position whose index entries are written, and the log offset after its commit.
pub(crate) const INDEXED: &[u8] = b"mindexed";

pub(crate) fn offset(p: Position) -> [u8; 9] {
    let mut k = [b'o'; 9];
    k[1..].copy_from_slice(&p.0.to_be_bytes());
    k
}

pub(crate) fn id(id: EventId) -> [u8; 17] {
    let mut k = [b'i'; 17];
    k[1..].copy_from_slice(id.0.as_bytes());
    k
}

pub(crate) fn stream_event(s: &StreamId, version: u64) -> Vec<u8> {
    let mut k = stream_prefix(s);
    k.extend_from_slice(&version.to_be_bytes());
    k
}

pub(crate) fn stream_prefix(s: &StreamId) -> Vec<u8> {
    let mut k = Vec::with_capacity(s.as_str().len() + 10);
    k.push(b's');
    k.extend_from_slice(s.as_str().as_bytes());
    k.push(0);
    k
}

pub(crate) fn forgotten(s: &SubjectId) -> Vec<u8> {
    let mut k = vec![b'f'];
    k.extend_from_slice(s.as_str().as_bytes());
    k
}

/// The stream and version of an `s` key.
pub(crate) fn parse_stream_event(key: &[u8]) -> Option<(StreamId, u64)> {
    let body = key.strip_prefix(b"s")?;
    if body.len() < 9 || body[body.len() - 9] != 0 {
        return None;
    }
    let name = std::str::from_utf8(&body[..body.len() - 9]).ok()?;
    Some((StreamId::parse(name).ok()?, u64_at(body, body.len() - 8)))
}

pub(crate) fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}
