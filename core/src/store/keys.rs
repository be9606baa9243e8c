//! Layout of the one sled tree, which holds the indexes of the log (the events themselves are in
//! the log file, see `log.rs`). A group's entries are one `apply_batch`, which sled recovers
//! atomically; entries a crash loses are rebuilt from the log on open.
//!
//! | key                               | value                                   |
//! |-----------------------------------|-----------------------------------------|
//! | `o` position(8)                   | offset(8) of the event's frame in the log; only every `OFFSET_EVERY_EVENTS`th position |
//! | `i` event id(16)                  | position(8) offset(8)                   |
//! | `s` stream 0x00 version(8)        | position(8) offset(8)                   |
//! | `f` subject                       | position(8) of its SubjectForgotten     |
//! | `mindexed`                        | position(8), log offset(8) after its commit, offset(8) of its frame: how far the indexes reach |
//! | `mformat`                         | `INDEX_FORMAT`: the layout of this table |
//!
//! Positions and versions are big-endian so that byte order is numeric order. Every sled insert
//! costs the writer's companion thread several microseconds, and larger values cost more, so an
//! event costs two small entries: its id and its stream version, both naming its position and
//! offset, so that lookups go straight to the frame (which holds the digest and mac that tell a
//! retry from a conflict). Reading by position starts at the nearest `o` entry at or below and skips frame headers
//! forward (at most `OFFSET_EVERY_EVENTS - 1` frames). A stream's version is its last `s` key, and
//! the events of a subject (needed only to forget it) are found by a walk over the log.

use crate::ids::{EventId, Position, StreamId, SubjectId};

/// The last position whose index entries are written, the log offset after its commit, and the
/// offset of its frame (so that opening finds the head without walking frames).
pub(crate) const INDEXED: &[u8] = b"mindexed";

/// How far the indexes reach: the value of `INDEXED`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Indexed {
    pub(crate) position: u64,
    pub(crate) end: u64,
    pub(crate) last_frame: u64,
}

impl Indexed {
    pub(crate) fn encode(&self) -> [u8; 24] {
        let mut v = [0u8; 24];
        v[..8].copy_from_slice(&self.position.to_be_bytes());
        v[8..16].copy_from_slice(&self.end.to_be_bytes());
        v[16..].copy_from_slice(&self.last_frame.to_be_bytes());
        v
    }

    pub(crate) fn decode(v: &[u8]) -> Option<Indexed> {
        (v.len() == 24).then(|| Indexed { position: u64_at(v, 0), end: u64_at(v, 8), last_frame: u64_at(v, 16) })
    }
}
/// Which layout the indexes have. A folder whose indexes have another (or none) gets them
/// rebuilt from the log on open: the log is the only source of truth.
pub(crate) const FORMAT: &[u8] = b"mformat";
pub(crate) const INDEX_FORMAT: &[u8] = b"parlog index 2";
/// Positions 1, 1 + N, 1 + 2N, ... have an `o` entry.
pub(crate) const OFFSET_EVERY_EVENTS: u64 = 32;

/// The nearest position at or below `p` that has an `o` entry.
pub(crate) fn offset_anchor(p: Position) -> Position {
    debug_assert!(p.0 > 0, "positions start at 1");
    Position((p.0 - 1) / OFFSET_EVERY_EVENTS * OFFSET_EVERY_EVENTS + 1)
}

/// A position and the offset of its frame: the value of an `i` or `s` entry.
pub(crate) fn located(p: Position, offset: u64) -> [u8; 16] {
    let mut v = [0u8; 16];
    v[..8].copy_from_slice(&p.0.to_be_bytes());
    v[8..].copy_from_slice(&offset.to_be_bytes());
    v
}

/// The position and offset of an `i` or `s` value; `None` if damaged.
pub(crate) fn parse_located(v: &[u8]) -> Option<(Position, u64)> {
    (v.len() == 16).then(|| (Position(u64_at(v, 0)), u64_at(v, 8)))
}

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
