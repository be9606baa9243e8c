//! What the sled store knows, as the decide step asks it: the writer's view of the log.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use super::decide::{Known, KnownEvent, Staged};
use super::shared::Shared;
use super::{Head, StoreError};
use crate::ids::{EventId, Position, StreamId, SubjectId};
use crate::seal::SubjectKey;

/// The log as written and synced, on the writer's thread. Groups being decided are layered over
/// it (`decide::Overlay`); [`SledKnown::committed`] takes in a group once it is written.
pub(crate) struct SledKnown {
    shared: Arc<Shared>,
    /// Stream versions, kept so that hot streams cost no lookup. A cache that deciding fills
    /// (hence the cell: `Known` answers through `&self`).
    versions: RefCell<HashMap<StreamId, u64>>,
    /// Every forgotten subject and the position of its forget event (few; loaded at start).
    forgotten: HashMap<SubjectId, Position>,
    /// The head as written and synced (and, once the writer's commit returns, published).
    head: Head,
}

impl SledKnown {
    pub(crate) fn start(shared: Arc<Shared>) -> Result<SledKnown, StoreError> {
        let forgotten = shared.index.forgotten_subjects()?;
        let head = shared.head();
        Ok(SledKnown { shared, versions: RefCell::new(HashMap::new()), forgotten, head })
    }

    /// Takes in a written group.
    pub(crate) fn committed(&mut self, group: &[Staged]) {
        let versions = self.versions.get_mut();
        for s in group {
            versions.insert(s.event.stream.clone(), s.event.stream_version);
            if let Some(subject) = &s.forgets {
                self.forgotten.insert(subject.clone(), s.event.position);
            }
        }
        if let Some(last) = group.last() {
            self.head = Head { position: last.event.position, hash: last.event.hash };
        }
    }

    pub(crate) fn forgotten_subjects(&self) -> &HashMap<SubjectId, Position> {
        &self.forgotten
    }
}

impl Known for SledKnown {
    fn head(&self) -> Head {
        self.head
    }

    fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        if let Some(v) = self.versions.borrow().get(stream) {
            return Ok(*v);
        }
        // Streams the writer wrote to are in `versions`, so the published index has the rest.
        let v = self.shared.index.stream_version(stream)?;
        if v > 0 {
            self.versions.borrow_mut().insert(stream.clone(), v);
        }
        Ok(v)
    }

    fn event(&self, id: EventId) -> Result<Option<KnownEvent>, StoreError> {
        Ok(self.shared.find(id)?.map(|l| KnownEvent::of(&l.event, l.retry)))
    }

    fn subject_key(&self, subject: &SubjectId) -> Result<Option<SubjectKey>, StoreError> {
        Ok(self.shared.keys.lock().expect("key lock").get(subject).copied())
    }

    fn forgotten(&self, subject: &SubjectId) -> Result<Option<Position>, StoreError> {
        Ok(self.forgotten.get(subject).copied())
    }
}
