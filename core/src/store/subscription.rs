//! Subscriptions: catch up from a position, then follow.
//!
//! There is one writer and it publishes the durable head only after a whole group is durable, so
//! positions up to the head are final and gapless. A subscription remembers the next position it
//! wants and reads by position; it cannot skip an event (nothing below the head appears later)
//! or repeat one (it only moves forward). This is the class of bug the landscape warns about.

use std::sync::{Arc, Weak};

use tokio::sync::watch;

use super::StoreError;
use crate::envelope::RecordedEvent;
use crate::ids::Position;

pub(crate) trait LogReader: Send + Sync {
    fn read_range(&self, from: Position, limit: usize) -> Result<Vec<RecordedEvent>, StoreError>;
}

pub struct Subscription {
    /// Weak, so that a forgotten subscription neither keeps a closed store open nor its folder
    /// locked.
    reader: Weak<dyn LogReader>,
    head: watch::Receiver<u64>,
    next: u64,
}

impl Subscription {
    pub(crate) fn new(reader: &Arc<dyn LogReader>, head: watch::Receiver<u64>, from: Position) -> Self {
        Subscription { reader: Arc::downgrade(reader), head, next: from.0.max(1) }
    }

    /// The position of the next event this subscription will return.
    pub fn next_position(&self) -> Position {
        Position(self.next)
    }

    /// The next durable positions, at most `limit` (at least one), without reading the events
    /// (read them with `EventStore::read_from`, or keep them elsewhere, as the HTTP feed's cache
    /// does). Waits until there is one; answers `StoreError::Closed` once the store is closed.
    pub async fn next_positions(&mut self, limit: usize) -> Result<std::ops::RangeInclusive<u64>, StoreError> {
        loop {
            let head = *self.head.borrow_and_update();
            if head >= self.next {
                let from = self.next;
                let to = head.min(from + limit.max(1) as u64 - 1);
                self.next = to + 1;
                return Ok(from..=to);
            }
            if self.head.changed().await.is_err() {
                return Err(StoreError::Closed);
            }
        }
    }

    /// Events that are already durable, without waiting; empty when caught up.
    pub fn try_next_batch(&mut self, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        if *self.head.borrow_and_update() >= self.next {
            self.take(limit)
        } else {
            Ok(Vec::new())
        }
    }

    fn take(&mut self, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        let reader = self.reader.upgrade().ok_or(StoreError::Closed)?;
        let events = reader.read_range(Position(self.next), limit.max(1))?;
        if let Some(first) = events.first() {
            assert_eq!(first.position.0, self.next, "a subscription continues where it left off");
        }
        self.next += events.len() as u64;
        Ok(events)
    }
}
