//! Where the engine reads events from: a narrow view of a log (its head, pages by position, one
//! event by position or by id), so that projections can be fed from any store, or from memory
//! in tests, and nothing in this crate can write.
//!
//! **API boundary:** the engine and the retrospective's list of sources read only through
//! [`Source`]. Every [`EventStore`] is one (a blanket impl); [`MemorySource`] holds a log in a
//! `Vec`.

use std::collections::HashMap;

use parlog_core::{EventId, EventStore, Hash, Head, Position, RecordedEvent, StoreError};

/// A log the projections can read: positions are gapless from 1, in log order, up to `head`.
/// `Sync` because a long replay reads pages on reader threads.
pub trait Source: Sync {
    /// The last position the source holds and its hash (position 0 and [`Hash::ZERO`] when
    /// empty).
    fn head(&self) -> Head;
    /// Events from `from` on, at most `limit`, in log order; fewer only at the head.
    fn page(&self, from: Position, limit: usize) -> Result<Vec<RecordedEvent>, StoreError>;
    /// The event at a position, if the source holds it.
    fn at(&self, position: Position) -> Result<Option<RecordedEvent>, StoreError>;
    /// The event with an id, if the source holds it.
    fn by_id(&self, id: EventId) -> Result<Option<RecordedEvent>, StoreError>;
}

impl<S: EventStore + ?Sized> Source for S {
    fn head(&self) -> Head {
        EventStore::head(self)
    }
    fn page(&self, from: Position, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        self.read_from(from, limit)
    }
    fn at(&self, position: Position) -> Result<Option<RecordedEvent>, StoreError> {
        Ok(self.read_from(position, 1)?.into_iter().next().filter(|e| e.position == position))
    }
    fn by_id(&self, id: EventId) -> Result<Option<RecordedEvent>, StoreError> {
        self.get(id)
    }
}

/// A log held in memory: for tests of projections without a store on disk, and for anything
/// that already holds the events (an export, a generated log).
#[derive(Debug, Clone, Default)]
pub struct MemorySource {
    /// The event at position `p` is at index `p - 1`.
    events: Vec<RecordedEvent>,
    by_id: HashMap<EventId, u64>,
}

/// Events that are not a log: each must be at the position after the one before, from 1.
#[derive(Debug, thiserror::Error)]
#[error("event {index} of the given events is at position {found}, expected position {expected}")]
pub struct NotALog {
    pub index: usize,
    pub expected: u64,
    pub found: u64,
}

impl MemorySource {
    /// A source holding `events`, which must be the positions 1, 2, … in order.
    pub fn new(events: Vec<RecordedEvent>) -> Result<MemorySource, NotALog> {
        let mut by_id = HashMap::with_capacity(events.len());
        for (index, e) in events.iter().enumerate() {
            let expected = index as u64 + 1;
            if e.position.0 != expected {
                return Err(NotALog { index, expected, found: e.position.0 });
            }
            by_id.insert(e.id, expected);
        }
        Ok(MemorySource { events, by_id })
    }

    fn index(&self, position: Position) -> Option<usize> {
        usize::try_from(position.0.checked_sub(1)?).ok().filter(|i| *i < self.events.len())
    }
}

impl Source for MemorySource {
    fn head(&self) -> Head {
        match self.events.last() {
            Some(e) => Head { position: e.position, hash: e.hash },
            None => Head { position: Position(0), hash: Hash::ZERO },
        }
    }
    fn page(&self, from: Position, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        // As a store does, position 0 reads from the first event.
        let Some(start) = self.index(Position(from.0.max(1))) else { return Ok(Vec::new()) };
        Ok(self.events[start..].iter().take(limit).cloned().collect())
    }
    fn at(&self, position: Position) -> Result<Option<RecordedEvent>, StoreError> {
        Ok(self.index(position).map(|i| self.events[i].clone()))
    }
    fn by_id(&self, id: EventId) -> Result<Option<RecordedEvent>, StoreError> {
        Ok(self.by_id.get(&id).and_then(|p| self.index(Position(*p))).map(|i| self.events[i].clone()))
    }
}
