//! The indexes of the log, kept in sled (the events themselves are in the log file, see
//! `log.rs`). They are derived data: opening rebuilds from the log whatever a crash lost.
//!
//! | key                       | value                                                        |
//! |---------------------------|--------------------------------------------------------------|
//! | `c` first position(8)     | a chunk: end(8), then per event from `first` on: frame offset(8), id(16), stream length(2), stream |
//! | `f` subject               | position(8) of its SubjectForgotten                          |
//! | `mformat`                 | `INDEX_FORMAT`: the layout of this table                     |
//!
//! Numbers are big-endian, so that byte order is numeric order. Why chunks: sled costs several
//! microseconds of CPU per key written and keeps about a kilobyte of page table in memory per
//! node of at most 16 keys for as long as it is open, so one key per event (or two, for ids and
//! streams) made indexing cost as much as checking and writing an event, and opening a store of a
//! million events cost over 100 MiB before anything was read. A chunk holds up to
//! `CHUNK_EVENTS_MAX` consecutive positions; the last one grows until it is full (it is written
//! again, whole, with each group), so there is about one key per `CHUNK_EVENTS_MAX` events
//! however small the groups are.
//!
//! The last chunk's `end` is the log offset just after the commit frame of its last event's group:
//! with the last entry it tells opening how far the indexes reach, and the log's own commit frame
//! there must agree (a changed index cannot hide the last events). Other chunks' `end` is 0.
//!
//! Lookups by id and by stream use [`Maps`], built from the chunks when first needed (a rebuild of
//! projections, which reads by position only, never builds them) and kept up to date by the
//! publisher.

use std::collections::HashMap;

use super::StoreError;
use crate::ids::{EventId, Position, StreamId, SubjectId};

/// Which layout the indexes have. A folder whose indexes have another (or none) gets them
/// rebuilt from the log on open: the log is the only source of truth.
pub(crate) const FORMAT: &[u8] = b"mformat";
pub(crate) const INDEX_FORMAT: &[u8] = b"parlog index 3";
/// Events per chunk. Small enough that a chunk rewritten for a group of one event stays about a
/// kilobyte, large enough that sled holds few keys.
pub(crate) const CHUNK_EVENTS_MAX: usize = 32;
const CHUNK_HEADER_BYTES: usize = 8;
/// Bytes of an entry before its stream name.
const ENTRY_FIXED_BYTES: usize = 8 + 16 + 2;

/// One event's index entry: where its frame is, its id and its stream.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) position: Position,
    pub(crate) offset: u64,
    pub(crate) id: EventId,
    pub(crate) stream: StreamId,
}

pub(crate) fn chunk_key(first: Position) -> [u8; 9] {
    let mut k = [b'c'; 9];
    k[1..].copy_from_slice(&first.0.to_be_bytes());
    k
}

pub(crate) fn forgotten_key(s: &SubjectId) -> Vec<u8> {
    let mut k = vec![b'f'];
    k.extend_from_slice(s.as_str().as_bytes());
    k
}

pub(crate) fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// An entry as read from a stored chunk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stored<'a> {
    pub(crate) position: u64,
    pub(crate) offset: u64,
    pub(crate) id: EventId,
    pub(crate) stream: &'a str,
}

/// A stored chunk, decoded: its `end` and its entries.
pub(crate) struct Decoded<'a> {
    pub(crate) first: u64,
    pub(crate) end: u64,
    pub(crate) entries: Vec<Stored<'a>>,
}

/// Decodes a `c` key and its value; damage is `Corrupt`, naming the chunk.
pub(crate) fn decode<'a>(key: &[u8], value: &'a [u8]) -> Result<Decoded<'a>, StoreError> {
    let bad = |what: &str| StoreError::Corrupt(format!("the index chunk under key {key:?} {what}"));
    if key.len() != 9 || key[0] != b'c' {
        return Err(bad("has a malformed key"));
    }
    let first = u64_at(key, 1);
    if first == 0 || value.len() < CHUNK_HEADER_BYTES {
        return Err(bad("is cut short"));
    }
    let end = u64_at(value, 0);
    let mut entries = Vec::with_capacity(CHUNK_EVENTS_MAX);
    let mut at = CHUNK_HEADER_BYTES;
    while at < value.len() {
        if at + ENTRY_FIXED_BYTES > value.len() || entries.len() == CHUNK_EVENTS_MAX {
            return Err(bad("is malformed"));
        }
        let offset = u64_at(value, at);
        let id = EventId(uuid::Uuid::from_bytes(value[at + 8..at + 24].try_into().expect("16 bytes")));
        let len = u16::from_be_bytes([value[at + 24], value[at + 25]]) as usize;
        let name =
            value.get(at + ENTRY_FIXED_BYTES..at + ENTRY_FIXED_BYTES + len).ok_or_else(|| bad("is cut short"))?;
        let stream = std::str::from_utf8(name).map_err(|_| bad("names a stream that is not UTF-8"))?;
        entries.push(Stored { position: first + entries.len() as u64, offset, id, stream });
        at += ENTRY_FIXED_BYTES + len;
    }
    if entries.is_empty() {
        return Err(bad("is empty"));
    }
    Ok(Decoded { first, end, entries })
}

/// The last chunk, which the publisher extends. Its lock is held while a group's chunks are
/// applied to sled, so that [`Maps`] can be built from sled without missing a group.
pub(crate) struct Tail {
    first: u64,
    events: usize,
    /// Header and entries, as stored.
    bytes: Vec<u8>,
    /// Holds entries that are not in sled yet.
    dirty: bool,
}

impl Tail {
    /// An empty tail whose first entry will be at `next`.
    pub(crate) fn empty(next: Position) -> Tail {
        Tail { first: next.0, events: 0, bytes: vec![0; CHUNK_HEADER_BYTES], dirty: false }
    }

    /// The tail as stored in sled.
    pub(crate) fn stored(key: &[u8], value: &[u8]) -> Result<Tail, StoreError> {
        let d = decode(key, value)?;
        Ok(Tail { first: d.first, events: d.entries.len(), bytes: value.to_vec(), dirty: false })
    }

    /// The position the next entry must have.
    pub(crate) fn next(&self) -> u64 {
        self.first + self.events as u64
    }

    /// Adds the entries of a committed group (consecutive positions that continue the tail) and
    /// writes the chunks they touch to `batch`; `end` is the log offset after the group's commit
    /// frame.
    pub(crate) fn add(&mut self, entries: &[Entry], end: u64, batch: &mut sled::Batch) {
        for e in entries {
            assert_eq!(e.position.0, self.next(), "index entries continue the indexes without a gap");
            if self.events == CHUNK_EVENTS_MAX {
                if self.dirty {
                    // Full in the middle of a group: not the last chunk, so no end.
                    self.bytes[..CHUNK_HEADER_BYTES].fill(0);
                    batch.insert(&chunk_key(Position(self.first))[..], &self.bytes[..]);
                }
                *self = Tail::empty(e.position);
            }
            let name = e.stream.as_str().as_bytes();
            self.bytes.extend_from_slice(&e.offset.to_be_bytes());
            self.bytes.extend_from_slice(e.id.0.as_bytes());
            self.bytes.extend_from_slice(&(name.len() as u16).to_be_bytes());
            self.bytes.extend_from_slice(name);
            self.events += 1;
            self.dirty = true;
        }
        if self.dirty {
            self.bytes[..CHUNK_HEADER_BYTES].copy_from_slice(&end.to_be_bytes());
            batch.insert(&chunk_key(Position(self.first))[..], &self.bytes[..]);
            self.dirty = false;
        }
    }
}

/// In-memory lookups by id, position and stream, built from the chunks.
#[derive(Default)]
pub(crate) struct Maps {
    ids: HashMap<EventId, u64>,
    /// The frame offset of position `i + 1` at `i`.
    offsets: Vec<u64>,
    /// Each stream's positions, version 1 first.
    streams: HashMap<StreamId, Vec<u64>>,
}

impl Maps {
    /// Reads every chunk in sled. The caller holds the tail's lock, so that nothing is added
    /// meanwhile.
    pub(crate) fn build(db: &sled::Db) -> Result<Maps, StoreError> {
        let mut m = Maps::default();
        for item in db.scan_prefix(b"c") {
            let (key, value) = item?;
            let d = decode(&key, &value)?;
            if d.first != m.offsets.len() as u64 + 1 {
                return Err(StoreError::Corrupt(format!(
                    "the index jumps from position {} to {}",
                    m.offsets.len(),
                    d.first
                )));
            }
            for e in &d.entries {
                let stream = match m.streams.get_key_value(e.stream) {
                    Some((s, _)) => s.clone(),
                    None => StreamId::parse(e.stream).map_err(|why| {
                        StoreError::Corrupt(format!("the index entry of position {}: {why}", e.position))
                    })?,
                };
                m.insert(e.position, e.offset, e.id, stream);
            }
        }
        Ok(m)
    }

    fn insert(&mut self, position: u64, offset: u64, id: EventId, stream: StreamId) {
        debug_assert_eq!(position, self.offsets.len() as u64 + 1, "entries come in position order");
        self.offsets.push(offset);
        self.ids.insert(id, position);
        self.streams.entry(stream).or_default().push(position);
    }

    /// Adds the entries of a group that sled now holds.
    pub(crate) fn add(&mut self, entries: &[Entry]) {
        for e in entries {
            self.insert(e.position.0, e.offset, e.id, e.stream.clone());
        }
    }

    pub(crate) fn offset(&self, p: Position) -> Option<u64> {
        self.offsets.get((p.0 as usize).checked_sub(1)?).copied()
    }

    /// The position and frame offset of the event `id`.
    pub(crate) fn locate(&self, id: EventId) -> Option<(Position, u64)> {
        let p = *self.ids.get(&id)?;
        Some((Position(p), self.offset(Position(p))?))
    }

    /// The positions of a stream's events, version 1 first.
    pub(crate) fn stream(&self, s: &StreamId) -> &[u64] {
        self.streams.get(s).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn streams(&self) -> impl Iterator<Item = (&StreamId, u64)> {
        self.streams.iter().map(|(s, p)| (s, p.len() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(p: u64, stream: &str) -> Entry {
        Entry {
            position: Position(p),
            offset: p * 100,
            id: EventId(uuid::Uuid::from_u128(p as u128)),
            stream: StreamId::parse(stream).expect("a stream id"),
        }
    }

    #[test]
    fn chunks_fill_up_and_only_the_last_names_the_end() {
        let mut tail = Tail::empty(Position(1));
        let mut written = std::collections::BTreeMap::new();
        let mut next = 1;
        for (group, size) in [1usize, 3, 40, 1, 20].into_iter().enumerate() {
            let entries: Vec<Entry> = (next..next + size as u64).map(|p| entry(p, "notes:a")).collect();
            next += size as u64;
            let mut batch = sled::Batch::default();
            tail.add(&entries, 1000 + group as u64, &mut batch);
            // A batch cannot be read back, so apply it to a throwaway tree.
            let db = sled::Config::new().temporary(true).open().expect("a temporary sled");
            db.apply_batch(batch).expect("apply");
            for item in db.iter() {
                let (k, v) = item.expect("an entry");
                written.insert(k.to_vec(), v.to_vec());
            }
        }
        let chunks: Vec<_> = written.iter().map(|(k, v)| decode(k, v).expect("decodes")).collect();
        let mut p = 1;
        for (i, c) in chunks.iter().enumerate() {
            assert_eq!(c.first, p);
            assert!(c.entries.len() <= CHUNK_EVENTS_MAX);
            for e in &c.entries {
                assert_eq!((e.position, e.offset, e.stream), (p, p * 100, "notes:a"));
                p += 1;
            }
            assert_eq!(c.end, if i + 1 == chunks.len() { 1004 } else { 0 }, "chunk {i}");
        }
        assert_eq!(p, next, "every entry is in a chunk once");
    }

    #[test]
    fn damaged_chunks_are_corrupt_not_a_panic() {
        let mut tail = Tail::empty(Position(1));
        let mut batch = sled::Batch::default();
        tail.add(&[entry(1, "notes:a"), entry(2, "notes:b")], 77, &mut batch);
        let value = tail.bytes.clone();
        for cut in 0..value.len() {
            let r = decode(&chunk_key(Position(1)), &value[..cut]);
            assert!(cut == value.len() || matches!(r, Err(StoreError::Corrupt(_))) || cut == 8 + 26 + 7, "cut {cut}");
        }
        assert!(matches!(decode(b"x", &value), Err(StoreError::Corrupt(_))));
        assert_eq!(decode(&chunk_key(Position(1)), &value).expect("whole").entries.len(), 2);
    }
}
