//! The indexes of the log, kept in sled (the events themselves are in the log file, see
//! `log.rs`). They are derived data: opening rebuilds from the log whatever a crash lost.
//!
//! | key                       | value                                                        |
//! |---------------------------|--------------------------------------------------------------|
//! | `c` first position(8)     | a full chunk: per event from `first` on: frame offset(8), id(16), stream length(2), stream |
//! | `f` subject               | position(8) of its SubjectForgotten                          |
//! | `mformat`                 | `INDEX_FORMAT`: the layout of this table                     |
//!
//! Numbers are big-endian, so that byte order is numeric order. Why chunks: sled costs several
//! microseconds of CPU per key written and keeps about a kilobyte of page table in memory per
//! node of at most 16 keys for as long as it is open, so one key per event (or two, for ids and
//! streams) made indexing cost as much as checking and writing an event, and opening a store of a
//! million events cost over 100 MiB before anything was read. A chunk holds `CHUNK_EVENTS`
//! consecutive positions and goes to sled once it is full; the entries after the last full chunk
//! (the [`Tail`]) are kept in memory only, and opening indexes them again from the log (at most
//! `CHUNK_EVENTS - 1` events). Rewriting a growing chunk with every group instead made sled's
//! threads write about a kilobyte per event.
//!
//! Opening starts from the last entry in sled: its frame offset must hold the event with that
//! position and id, and the log is read from there to its end, so a changed index cannot hide
//! events.
//!
//! Lookups by id and by stream use [`IdMap`] and [`StreamMap`], each built from the chunks and
//! the tail when first needed (a rebuild of projections reads by position, and finds the
//! events it needs by id among recent positions, so it usually builds neither) and kept up to
//! date as groups are published. Frame
//! offsets come from the chunks (one sled lookup per chunk read) or the tail.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;
use std::sync::Mutex;

use super::StoreError;
use crate::ids::{EventId, Position, StreamId, SubjectId};
use crate::limits::{OPEN_LOCKED_WAIT_MS, SLED_CACHE_BYTES, SLED_FLUSH_EVERY_MS};
use crate::seal::sync_dir;

/// Which layout the indexes have. A folder whose indexes have another (or none) gets them
/// rebuilt from the log on open: the log is the only source of truth.
const FORMAT: &[u8] = b"mformat";
const INDEX_FORMAT: &[u8] = b"parlog index 4";
/// The prefix of chunk keys.
const CHUNK_PREFIX: &[u8] = b"c";
/// Events per chunk: few keys in sled, few events to index again on open.
pub(crate) const CHUNK_EVENTS: usize = 32;
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

fn chunk_key(first: Position) -> [u8; 9] {
    let mut k = [b'c'; 9];
    k[1..].copy_from_slice(&first.0.to_be_bytes());
    k
}

fn forgotten_key(s: &SubjectId) -> Vec<u8> {
    let mut k = vec![b'f'];
    k.extend_from_slice(s.as_str().as_bytes());
    k
}

fn u64_at(b: &[u8], at: usize) -> u64 {
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

/// A stored chunk, decoded.
pub(crate) struct Decoded<'a> {
    pub(crate) first: u64,
    pub(crate) entries: Vec<Stored<'a>>,
}

/// Decodes a `c` key and its value; damage is `Corrupt`, naming the chunk.
fn decode<'a>(key: &[u8], value: &'a [u8]) -> Result<Decoded<'a>, StoreError> {
    let bad = |what: &str| StoreError::Corrupt(format!("the index chunk under key {key:?} {what}"));
    if key.len() != 9 || key[0] != b'c' {
        return Err(bad("has a malformed key"));
    }
    let first = u64_at(key, 1);
    if first == 0 {
        return Err(bad("starts at position 0"));
    }
    let entries = decode_entries(first, value).ok_or_else(|| bad("is malformed"))?;
    if entries.is_empty() {
        return Err(bad("is empty"));
    }
    Ok(Decoded { first, entries })
}

/// The entries in `value`, the first at position `first`; `None` if malformed.
fn decode_entries(first: u64, value: &[u8]) -> Option<Vec<Stored<'_>>> {
    let mut entries = Vec::with_capacity(CHUNK_EVENTS);
    let mut at = 0;
    while at < value.len() {
        if at + ENTRY_FIXED_BYTES > value.len() || entries.len() == CHUNK_EVENTS {
            return None;
        }
        let offset = u64_at(value, at);
        let id = EventId(uuid::Uuid::from_bytes(value[at + 8..at + 24].try_into().expect("16 bytes")));
        let len = u16::from_be_bytes([value[at + 24], value[at + 25]]) as usize;
        let name = value.get(at + ENTRY_FIXED_BYTES..at + ENTRY_FIXED_BYTES + len)?;
        let stream = std::str::from_utf8(name).ok()?;
        entries.push(Stored { position: first + entries.len() as u64, offset, id, stream });
        at += ENTRY_FIXED_BYTES + len;
    }
    Some(entries)
}

/// The entries after the last full chunk, in memory only. Its lock is held while a group's
/// entries are added (and a chunk that fills is applied to sled), so that a [`Lookup`] can be built
/// without missing a group, and so that a position below `first` is in sled.
pub(crate) struct Tail {
    first: u64,
    events: usize,
    /// The entries, as they will be stored.
    bytes: Vec<u8>,
}

impl Tail {
    /// An empty tail whose first entry will be at `next`.
    pub(crate) fn empty(next: Position) -> Tail {
        Tail { first: next.0, events: 0, bytes: Vec::with_capacity(CHUNK_EVENTS * 64) }
    }

    /// Stores the tail (as a chunk that is not full yet), so that the next open need not index
    /// its events again from the log.
    fn store(&self, db: &sled::Db) -> Result<(), StoreError> {
        if self.events > 0 {
            db.insert(&chunk_key(Position(self.first))[..], &self.bytes[..])?;
        }
        Ok(())
    }

    /// The position the next entry must have.
    pub(crate) fn next(&self) -> u64 {
        self.first + self.events as u64
    }

    pub(crate) fn first(&self) -> u64 {
        self.first
    }

    pub(crate) fn entries(&self) -> Vec<Stored<'_>> {
        decode_entries(self.first, &self.bytes).expect("the tail encodes its own entries")
    }

    /// Adds the entries of a committed group (consecutive positions that continue the tail);
    /// each chunk that fills goes to `batch`. Returns whether one did.
    pub(crate) fn add(&mut self, entries: &[Entry], batch: &mut sled::Batch) -> bool {
        let mut filled = false;
        for e in entries {
            assert_eq!(e.position.0, self.next(), "index entries continue the indexes without a gap");
            let name = e.stream.as_str().as_bytes();
            self.bytes.extend_from_slice(&e.offset.to_be_bytes());
            self.bytes.extend_from_slice(e.id.0.as_bytes());
            self.bytes.extend_from_slice(&(name.len() as u16).to_be_bytes());
            self.bytes.extend_from_slice(name);
            self.events += 1;
            if self.events == CHUNK_EVENTS {
                batch.insert(&chunk_key(Position(self.first))[..], &self.bytes[..]);
                *self = Tail::empty(Position(e.position.0 + 1));
                filled = true;
            }
        }
        filled
    }
}

/// The indexes: sled's tree of chunks and forgotten subjects, the tail in memory, and the
/// lookups by id and by stream. The only code that knows how they are stored.
pub(crate) struct Indexes {
    db: sled::Db,
    /// The index entries past the last full chunk. Held while a group's entries are added, and
    /// while a lookup is built, so that the build sees every group or the group sees the lookup.
    tail: Mutex<Tail>,
    /// Lookups by id and by stream; `None` until first needed.
    ids: Mutex<Option<IdMap>>,
    streams: Mutex<Option<StreamMap>>,
}

/// The last entry in sled, where recovery goes on reading the log.
pub(crate) struct LastEntry {
    pub(crate) position: u64,
    pub(crate) offset: u64,
    pub(crate) id: EventId,
}

/// Index changes gathered by recovery, applied to sled in bounded batches.
#[derive(Default)]
pub(crate) struct Recovered {
    batch: sled::Batch,
    events: usize,
    any: bool,
}

impl Indexes {
    /// Opens the indexes in `sled_dir`; indexes of another layout are dropped, to be rebuilt
    /// from the log. The tail is empty until [`Indexes::start`].
    pub(crate) fn open(sled_dir: &Path, dir: &Path) -> Result<Indexes, StoreError> {
        let mut db = open_sled(sled_dir, dir)?;
        if db.get(FORMAT)?.as_deref() != Some(INDEX_FORMAT) {
            // Indexes of another layout (or from before layouts were marked): start sled afresh
            // (clearing it in place would leave its files full of garbage) and rebuild them all
            // from the log. A crash in between leaves no mark, so this is done again.
            drop(db);
            wait_unlocked(&sled_dir.join("db"), std::time::Duration::from_millis(OPEN_LOCKED_WAIT_MS));
            std::fs::remove_dir_all(sled_dir)?;
            db = open_sled(sled_dir, dir)?;
            db.insert(FORMAT, INDEX_FORMAT)?;
        }
        Ok(Indexes { db, tail: Mutex::new(Tail::empty(Position(1))), ids: Mutex::new(None), streams: Mutex::new(None) })
    }

    /// The last entry in sled, and the tail set to go on after it (the tail a closing store
    /// stored, or an empty one).
    pub(crate) fn start(&self) -> Result<Option<LastEntry>, StoreError> {
        let mut tail = self.tail.lock().expect("tail lock");
        let Some((key, value)) = self.db.scan_prefix(CHUNK_PREFIX).next_back().transpose()? else {
            *tail = Tail::empty(Position(1));
            return Ok(None);
        };
        let chunk = decode(&key, &value)?;
        let last = *chunk.entries.last().expect("decode refuses an empty chunk");
        *tail = if chunk.entries.len() < CHUNK_EVENTS {
            // The tail as the store had it when it closed.
            Tail { first: chunk.first, events: chunk.entries.len(), bytes: value.to_vec() }
        } else {
            Tail::empty(Position(last.position + 1))
        };
        Ok(Some(LastEntry { position: last.position, offset: last.offset, id: last.id }))
    }

    /// Adds a group that recovery read from the log; full chunks and forgotten subjects gather
    /// in `r`, applied at [`Indexes::finish_recovery`] or once `r` holds
    /// `RECOVER_BATCH_EVENTS_MAX` events.
    pub(crate) fn recover_group(
        &self,
        r: &mut Recovered,
        entries: &[Entry],
        forgotten: &[(SubjectId, Position)],
    ) -> Result<(), StoreError> {
        let mut tail = self.tail.lock().expect("tail lock");
        add_group(&mut tail, entries, forgotten, &mut r.batch);
        r.events += entries.len();
        r.any = true;
        if r.events >= crate::limits::RECOVER_BATCH_EVENTS_MAX {
            self.db.apply_batch(std::mem::take(&mut r.batch))?;
            r.events = 0;
        }
        Ok(())
    }

    /// Applies and flushes what recovery gathered.
    pub(crate) fn finish_recovery(&self, r: Recovered) -> Result<(), StoreError> {
        if r.any {
            self.db.apply_batch(r.batch)?;
            self.db.flush()?;
        }
        Ok(())
    }

    /// Adds a synced group's entries to the tail (a full chunk goes to sled, with the subjects
    /// the group forgets) and to the lookups that are built.
    pub(crate) fn publish(&self, entries: &[Entry], forgotten: &[(SubjectId, Position)]) -> Result<(), StoreError> {
        if entries.is_empty() && forgotten.is_empty() {
            return Ok(());
        }
        let mut tail = self.tail.lock().expect("tail lock");
        let mut batch = sled::Batch::default();
        if add_group(&mut tail, entries, forgotten, &mut batch) {
            self.db.apply_batch(batch)?;
        }
        if let Some(m) = self.ids.lock().expect("lookup lock").as_mut() {
            entries.iter().for_each(|e| m.add(e));
        }
        if let Some(m) = self.streams.lock().expect("lookup lock").as_mut() {
            entries.iter().for_each(|e| m.add(e));
        }
        Ok(())
    }

    /// Runs `f` on a lookup, building it from sled first if no one has needed it yet.
    fn with_lookup<L: Lookup, R>(&self, slot: &Mutex<Option<L>>, f: impl FnOnce(&L) -> R) -> Result<R, StoreError> {
        if let Some(m) = slot.lock().expect("lookup lock").as_ref() {
            return Ok(f(m));
        }
        // Lock order: tail, then the lookup (as publishing takes them). No group is indexed
        // meanwhile.
        let tail = self.tail.lock().expect("tail lock");
        let mut m = slot.lock().expect("lookup lock");
        if m.is_none() {
            *m = Some(build(&self.db, &tail)?);
        }
        Ok(f(m.as_ref().expect("just built")))
    }

    /// The positions that may hold the event `id` (the caller compares the whole id).
    pub(crate) fn id_candidates(&self, id: EventId) -> Result<Vec<Position>, StoreError> {
        self.with_lookup(&self.ids, |m| m.candidates(id).collect())
    }

    /// The positions of versions `skip + 1` on of `stream`, at most `limit`.
    pub(crate) fn stream_positions(&self, stream: &StreamId, skip: u64, limit: usize) -> Result<Vec<u64>, StoreError> {
        self.with_lookup(&self.streams, |m| {
            let positions = m.stream(stream);
            let from = positions.len().min(usize::try_from(skip).unwrap_or(usize::MAX));
            positions[from..].iter().take(limit).copied().collect()
        })
    }

    /// How many events the stream has in the index.
    pub(crate) fn stream_version(&self, s: &StreamId) -> Result<u64, StoreError> {
        self.with_lookup(&self.streams, |m| m.stream(s).len() as u64)
    }

    /// Every stream and its version.
    pub(crate) fn streams(&self) -> Result<Vec<(StreamId, u64)>, StoreError> {
        self.with_lookup(&self.streams, |m| m.streams().map(|(s, v)| (s.clone(), v)).collect())
    }

    /// The frame offsets of `positions` (in increasing order): one sled lookup per chunk.
    pub(crate) fn offsets_of(&self, positions: &[u64]) -> Result<Vec<u64>, StoreError> {
        let missing = |p: u64| StoreError::Corrupt(format!("position {p} has no entry in the index"));
        let mut out = Vec::with_capacity(positions.len());
        let mut chunk: Option<(u64, Vec<u64>)> = None;
        for &p in positions {
            let within = |c: &(u64, Vec<u64>)| p >= c.0 && p < c.0 + c.1.len() as u64;
            if !chunk.as_ref().is_some_and(within) {
                // Held, it keeps the positions below the tail's first in sled.
                let tail = self.tail.lock().expect("tail lock");
                let (first, entries) = if p >= tail.first() {
                    (tail.first(), tail.entries().iter().map(|e| e.offset).collect())
                } else {
                    let found = self.db.range(chunk_key(Position(1))..=chunk_key(Position(p))).next_back();
                    let (key, value) = found.transpose()?.ok_or_else(|| missing(p))?;
                    let c = decode(&key, &value)?;
                    (c.first, c.entries.iter().map(|e| e.offset).collect())
                };
                chunk = Some((first, entries));
            }
            let (first, offsets) = chunk.as_ref().expect("just found");
            out.push(*offsets.get((p - first) as usize).ok_or_else(|| missing(p))?);
        }
        Ok(out)
    }

    /// The position of the event that forgot `s`, if one did.
    pub(crate) fn forgotten_at(&self, s: &SubjectId) -> Result<Option<Position>, StoreError> {
        forgotten_at(&self.db, s)
    }

    /// Every forgotten subject and the position of its forget event.
    pub(crate) fn forgotten_subjects(&self) -> Result<HashMap<SubjectId, Position>, StoreError> {
        let mut out = HashMap::new();
        for item in self.db.scan_prefix(b"f") {
            let (key, v) = item?;
            let s = std::str::from_utf8(&key[1..]).ok().and_then(|s| SubjectId::parse(s).ok());
            let s = s.ok_or_else(|| StoreError::Corrupt("a forgotten subject id is unreadable".into()))?;
            out.insert(s.clone(), forgotten_position(&s, &v)?);
        }
        Ok(out)
    }

    /// The stored entries in position order, chunk by chunk, then the tail as it is now.
    pub(crate) fn entries(&self) -> StoredEntries {
        let tail = self.tail.lock().expect("tail lock");
        let chunks = self.db.range(chunk_key(Position(1))..chunk_key(Position(tail.first())));
        let tail: Vec<StoredEntry> = tail.entries().iter().map(StoredEntry::of).collect();
        StoredEntries { chunks, entries: Vec::new().into_iter(), tail: Some(tail) }
    }

    /// Stores the tail (as a chunk that is not full yet) and flushes, so that the next open
    /// need not index its events again from the log; on close.
    pub(crate) fn store_tail(&self) {
        let tail = self.tail.lock().expect("tail lock");
        if tail.store(&self.db).is_ok() {
            let _ = self.db.flush();
        }
    }

    pub(crate) fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.db.size_on_disk()?)
    }
}

/// Adds a committed group's index entries to the tail, and the chunks that fill and the
/// subjects it forgets to `batch`. Returns whether `batch` got anything.
fn add_group(tail: &mut Tail, entries: &[Entry], forgotten: &[(SubjectId, Position)], batch: &mut sled::Batch) -> bool {
    let filled = tail.add(entries, batch);
    for (s, p) in forgotten {
        batch.insert(forgotten_key(s), &p.0.to_be_bytes()[..]);
    }
    filled || !forgotten.is_empty()
}

fn forgotten_position(s: &SubjectId, v: &[u8]) -> Result<Position, StoreError> {
    (v.len() == 8)
        .then(|| Position(u64_at(v, 0)))
        .ok_or_else(|| StoreError::Corrupt(format!("the forget entry of {s} is unreadable")))
}

/// The position of the event that forgot `s` in `db`, if one did.
pub(crate) fn forgotten_at(db: &sled::Db, s: &SubjectId) -> Result<Option<Position>, StoreError> {
    db.get(forgotten_key(s))?.map(|v| forgotten_position(s, &v)).transpose()
}

/// Whether `db` holds indexes of the current layout (for the folder check, on a copy).
pub(crate) fn has_current_format(db: &sled::Db) -> Result<bool, StoreError> {
    Ok(db.get(FORMAT)?.as_deref() == Some(INDEX_FORMAT))
}

/// A chunk as stored, to decode.
pub(crate) struct Chunk {
    key: sled::IVec,
    value: sled::IVec,
}

impl Chunk {
    pub(crate) fn decode(&self) -> Result<Decoded<'_>, StoreError> {
        decode(&self.key, &self.value)
    }
}

/// Every chunk in `db`, in position order (for the folder check, on a copy).
pub(crate) fn chunks(db: &sled::Db) -> impl Iterator<Item = Result<Chunk, StoreError>> {
    db.scan_prefix(CHUNK_PREFIX).map(|item| Ok(item.map(|(key, value)| Chunk { key, value })?))
}

/// An index entry as stored, owned.
pub(crate) struct StoredEntry {
    pub(crate) position: u64,
    pub(crate) offset: u64,
    pub(crate) id: EventId,
    pub(crate) stream: String,
}

impl StoredEntry {
    fn of(e: &Stored<'_>) -> StoredEntry {
        StoredEntry { position: e.position, offset: e.offset, id: e.id, stream: e.stream.to_string() }
    }
}

/// The stored index entries in position order: the chunks in sled below the tail, then a copy
/// of the tail.
pub(crate) struct StoredEntries {
    chunks: sled::Iter,
    entries: std::vec::IntoIter<StoredEntry>,
    tail: Option<Vec<StoredEntry>>,
}

impl StoredEntries {
    pub(crate) fn next(&mut self) -> Result<Option<StoredEntry>, StoreError> {
        loop {
            if let Some(e) = self.entries.next() {
                return Ok(Some(e));
            }
            let Some(item) = self.chunks.next() else {
                match self.tail.take() {
                    Some(tail) => {
                        self.entries = tail.into_iter();
                        continue;
                    }
                    None => return Ok(None),
                }
            };
            let (key, value) = item?;
            let chunk = decode(&key, &value)?;
            self.entries = chunk.entries.iter().map(StoredEntry::of).collect::<Vec<_>>().into_iter();
        }
    }
}

fn open_sled(sled_dir: &Path, dir: &Path) -> Result<sled::Db, StoreError> {
    if !sled_dir.exists() {
        std::fs::DirBuilder::new().mode(0o700).create(sled_dir)?;
    }
    let db = sled::Config::new()
        .path(sled_dir)
        .cache_capacity(SLED_CACHE_BYTES)
        .mode(sled::Mode::HighThroughput)
        // The indexes need not be durable at acknowledgement: the log is, and opening
        // rebuilds any index entries a crash lost from it.
        .flush_every_ms(Some(SLED_FLUSH_EVERY_MS))
        .open()
        .map_err(|e| match e {
            sled::Error::Io(ref io) if io.kind() == std::io::ErrorKind::Other && io.to_string().contains("lock") => {
                StoreError::Locked(dir.display().to_string())
            }
            e => StoreError::Sled(e),
        })?;
    sync_dir(sled_dir)?;
    sync_dir(dir)?;
    Ok(db)
}

/// Waits until no one holds sled's lock on `db_file` (sled locks it with flock), or the time is up.
pub(crate) fn wait_unlocked(db_file: &Path, max: std::time::Duration) {
    use std::os::unix::io::AsRawFd;
    let deadline = std::time::Instant::now() + max;
    let Ok(f) = File::open(db_file) else { return };
    loop {
        // SAFETY: flock on a file descriptor we own; the lock is released right away.
        let got = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
        if got {
            // SAFETY: as above.
            unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_UN) };
            return;
        }
        if std::time::Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// An in-memory lookup built from the index entries: from the chunks in sled and the tail when
/// first needed, then kept up to date as groups are published.
pub(crate) trait Lookup: Default {
    /// Room for `events` entries, so that building does not grow (and copy) the table.
    fn with_capacity(events: usize) -> Self;
    fn add_stored(&mut self, e: &Stored<'_>) -> Result<(), StoreError>;
    fn add(&mut self, e: &Entry);
}

/// Builds a lookup from every chunk in sled below the tail, then the tail. The caller holds the
/// tail's lock, so that nothing is added meanwhile.
pub(crate) fn build<L: Lookup>(db: &sled::Db, tail: &Tail) -> Result<L, StoreError> {
    let mut l = L::with_capacity(tail.first.saturating_sub(1) as usize + tail.events);
    let mut next = 1;
    let mut add = |entries: &[Stored<'_>]| -> Result<(), StoreError> {
        if let Some(first) = entries.first().map(|e| e.position) {
            if first != next {
                return Err(StoreError::Corrupt(format!("the index jumps from position {} to {first}", next - 1)));
            }
        }
        for e in entries {
            l.add_stored(e)?;
        }
        next += entries.len() as u64;
        Ok(())
    };
    // A tail stored at the last close is in sled too, older than the one in memory.
    for item in db.range(chunk_key(Position(1))..chunk_key(Position(tail.first))) {
        let (key, value) = item?;
        add(&decode(&key, &value)?.entries)?;
    }
    add(&tail.entries())?;
    Ok(l)
}

/// Event ids to positions, keyed by a 64-bit keyed hash of the id, so that an entry is 16
/// bytes and not 24. The hash key is random and never leaves memory, so no client can choose
/// ids whose keys collide (ids are client-chosen: keying by the ids' own bytes let ids that
/// share a prefix pile up in one slot, each lookup reading every event there). Keys of
/// different ids that do collide land in `more`. A lookup gives candidates: the caller reads
/// each and compares the whole id.
pub(crate) struct IdMap {
    key: [u8; 32],
    first: HashMap<u64, u64>,
    more: HashMap<u64, Vec<u64>>,
}

impl Default for IdMap {
    fn default() -> Self {
        IdMap { key: crate::seal::random_bytes(), first: HashMap::new(), more: HashMap::new() }
    }
}

impl IdMap {
    fn key_of(&self, id: EventId) -> u64 {
        let h = blake3::keyed_hash(&self.key, id.0.as_bytes());
        u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"))
    }

    fn insert(&mut self, id: EventId, position: u64) {
        let k = self.key_of(id);
        self.insert_at(k, position);
    }

    fn insert_at(&mut self, k: u64, position: u64) {
        match self.first.entry(k) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(position);
            }
            std::collections::hash_map::Entry::Occupied(_) => self.more.entry(k).or_default().push(position),
        }
    }

    /// The positions that may hold the event `id`.
    pub(crate) fn candidates(&self, id: EventId) -> impl Iterator<Item = Position> + '_ {
        self.candidates_at(self.key_of(id))
    }

    fn candidates_at(&self, k: u64) -> impl Iterator<Item = Position> + '_ {
        self.first.get(&k).into_iter().chain(self.more.get(&k).into_iter().flatten()).map(|p| Position(*p))
    }
}

impl Lookup for IdMap {
    fn with_capacity(events: usize) -> Self {
        IdMap { first: HashMap::with_capacity(events), ..IdMap::default() }
    }

    fn add_stored(&mut self, e: &Stored<'_>) -> Result<(), StoreError> {
        self.insert(e.id, e.position);
        Ok(())
    }

    fn add(&mut self, e: &Entry) {
        self.insert(e.id, e.position.0);
    }
}

/// Each stream's positions, version 1 first.
#[derive(Default)]
pub(crate) struct StreamMap {
    streams: HashMap<StreamId, Vec<u64>>,
}

impl StreamMap {
    pub(crate) fn stream(&self, s: &StreamId) -> &[u64] {
        self.streams.get(s).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn streams(&self) -> impl Iterator<Item = (&StreamId, u64)> {
        self.streams.iter().map(|(s, p)| (s, p.len() as u64))
    }
}

impl Lookup for StreamMap {
    fn with_capacity(_events: usize) -> Self {
        StreamMap::default()
    }

    fn add_stored(&mut self, e: &Stored<'_>) -> Result<(), StoreError> {
        match self.streams.get_mut(e.stream) {
            Some(v) => v.push(e.position),
            None => {
                let s = StreamId::parse(e.stream)
                    .map_err(|why| StoreError::Corrupt(format!("the index entry of position {}: {why}", e.position)))?;
                self.streams.insert(s, vec![e.position]);
            }
        }
        Ok(())
    }

    fn add(&mut self, e: &Entry) {
        match self.streams.get_mut(e.stream.as_str()) {
            Some(v) => v.push(e.position.0),
            None => drop(self.streams.insert(e.stream.clone(), vec![e.position.0])),
        }
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
    fn full_chunks_go_to_sled_and_the_rest_stays_in_the_tail() {
        let db = sled::Config::new().temporary(true).open().expect("a temporary sled");
        let mut tail = Tail::empty(Position(1));
        let mut next = 1;
        for size in [1usize, 3, 40, 1, 20] {
            let entries: Vec<Entry> = (next..next + size as u64).map(|p| entry(p, "notes:a")).collect();
            next += size as u64;
            let mut batch = sled::Batch::default();
            tail.add(&entries, &mut batch);
            db.apply_batch(batch).expect("apply");
        }
        assert_eq!(db.scan_prefix(b"c").count(), 2, "65 entries: two full chunks");
        assert_eq!((tail.first(), tail.entries().len()), (65, 1));
        let ids: IdMap = build(&db, &tail).expect("builds");
        for p in 1..next {
            // from_u128 puts the number in the last bytes: the ids share their first 8 bytes,
            // which must not matter.
            let found: Vec<_> = ids.candidates(EventId(uuid::Uuid::from_u128(p as u128))).collect();
            assert_eq!(found, vec![Position(p)], "id {p}");
        }
        let streams: StreamMap = build(&db, &tail).expect("builds");
        assert_eq!(streams.stream(&StreamId::parse("notes:a").expect("id")), (1..next).collect::<Vec<_>>());
    }

    #[test]
    fn ids_whose_keys_collide_are_all_candidates() {
        let mut ids = IdMap::default();
        for p in [3, 9, 12] {
            ids.insert_at(77, p);
        }
        ids.insert_at(78, 5);
        assert_eq!(ids.candidates_at(77).collect::<Vec<_>>(), vec![Position(3), Position(9), Position(12)]);
        assert_eq!(ids.candidates_at(78).collect::<Vec<_>>(), vec![Position(5)]);
        assert_eq!(ids.candidates_at(79).count(), 0);
    }

    #[test]
    fn damaged_chunks_are_corrupt_not_a_panic() {
        let mut tail = Tail::empty(Position(1));
        let mut batch = sled::Batch::default();
        let entries: Vec<Entry> = (1..=CHUNK_EVENTS as u64).map(|p| entry(p, "notes:a")).collect();
        tail.add(&entries[..CHUNK_EVENTS - 1], &mut batch);
        let value = {
            let mut v = tail.bytes.clone();
            let last = &entries[CHUNK_EVENTS - 1];
            v.extend_from_slice(&last.offset.to_be_bytes());
            v.extend_from_slice(last.id.0.as_bytes());
            v.extend_from_slice(&7u16.to_be_bytes());
            v.extend_from_slice(b"notes:a");
            v
        };
        assert_eq!(decode(&chunk_key(Position(1)), &value).expect("whole").entries.len(), CHUNK_EVENTS);
        let whole = decode(&chunk_key(Position(1)), &value).expect("whole").entries;
        let mut boundaries = 0;
        for cut in 0..value.len() {
            // Cut between entries it is a shorter (last) chunk; anywhere else, damage.
            match decode(&chunk_key(Position(1)), &value[..cut]) {
                Ok(d) => {
                    assert_eq!(d.entries[..], whole[..d.entries.len()], "cut {cut}");
                    boundaries += 1;
                }
                Err(StoreError::Corrupt(_)) => {}
                Err(e) => panic!("cut {cut}: {e}"),
            }
        }
        assert_eq!(boundaries, CHUNK_EVENTS - 1, "a cut inside an entry is never taken for a chunk");
        assert!(matches!(decode(b"x", &value), Err(StoreError::Corrupt(_))));
    }
}
