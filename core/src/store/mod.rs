//! The store: an append-only, hash-chained log of events with a single writer.
//!
//! [`EventStore`] is the interface the rest of parlog uses; [`SledStore`] is the embedded default.
//! The durability contract is written down in ARCHITECTURE.md and next to the writer.

// The modules form a DAG: decide (the rules, pure) <- import, known <- writer <- sled_store;
// log, index, quarantine and folder are leaves; shared (the state readers and the writer share)
// sits on log and index; recovery, verify, unseal and forget read through it; check reads a
// folder without opening a store.
mod any;
mod check;
mod decide;
mod folder;
mod forget;
mod import;
mod index;
mod known;
pub(crate) mod log;
pub mod pg;
pub mod quarantine;
mod recovery;
mod shared;
mod sled_store;
mod snapshot;
mod subscription;
mod unseal;
mod verify;
mod writer;

use crate::envelope::{NewEvent, RecordedEvent, SealedData};
use crate::events::FieldError;
use crate::ids::{EventId, Hash, ParticipantId, Position, StreamId, SubjectId};
use crate::values::{LongText, Timestamp};

pub use any::AnyStore;
pub use check::{check_folder, Finding, FolderReport};
pub use decide::{
    decide, decide_batch, Changes, Decided, Env, Known, KnownEvent, MemoryLog, Origin, Overlay, RetryDigest, Staged,
    SystemEnv,
};
pub use folder::StoreOptions;
pub use import::{ImportReport, ImportedEvent};
pub use pg::{PgDatabase, PgStore};
pub use quarantine::{journal_lines, Quarantined, QUARANTINE_DIR};
pub use sled_store::SledStore;
pub use snapshot::LogSnapshot;
pub use subscription::Subscription;

/// The last event of the log; position 0 and the zero hash for an empty log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub position: Position,
    pub hash: Hash,
}

/// The outcome of appending one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub id: EventId,
    pub position: Position,
    pub stream_version: u64,
    /// The event was already stored with the same content; this is its original place.
    pub duplicate: bool,
}

/// The sealed part of an event as a reader sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum SealedView {
    /// The event has no sealed part.
    None,
    Open(SealedData),
    /// This store has no key for a subject of the event (the log was imported without keys):
    /// the sealed bytes are intact but cannot be read here.
    NoKey {
        subject: SubjectId,
    },
    /// A data subject of this event was forgotten: the sealed bytes and the key are gone.
    Forgotten {
        subject: SubjectId,
        position: Position,
        at: Timestamp,
        by: ParticipantId,
    },
    /// The sealed bytes are damaged (changed, missing, or they do not decrypt): this one event's
    /// personal data cannot be shown, and everything else can. `verify` names the position.
    Damaged {
        reason: String,
    },
}

/// The result of walking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub events: u64,
    pub head: Head,
    /// The first position where the log is not what the chain says, and why.
    pub first_bad: Option<(Position, String)>,
}

/// Storage failed or found damage; not the caller's fault.
///
/// The messages say what is wrong, not which command mends it: only parlog-server knows its
/// commands and endpoints, and adds them (matching on the variant).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage error: {0}")]
    Io(#[from] std::io::Error),
    #[error("storage error in sled: {0}")]
    Sled(#[from] sled::Error),
    #[error("the data folder {0} is in use by another parlog process")]
    Locked(String),
    #[error("no parlog data folder at {0}")]
    NotInitialised(String),
    #[error("the store is damaged: {0}")]
    Corrupt(String),
    /// The end of the log is damaged where a crash leaves nothing of the kind, after the last
    /// group that the indexes record, or in the last group itself: the store does not open.
    /// Moving the damaged bytes to quarantine (a repair, which a person asks for) mends it.
    #[error("the store is damaged: {0}")]
    DamagedLastGroup(String),
    /// The disk (or the file system's quota) is full. Nothing of the refused work was stored or
    /// acknowledged; it can be tried again once there is space.
    #[error("the disk is full: {0}; free some space, then try again")]
    Full(String),
    #[error("the key file: {0}")]
    Keys(#[from] crate::keyfile::KeyFileError),
    #[error("an earlier write failed, so later ones are refused; restart parlog to recover from the log on disk")]
    Failed,
    #[error("the store is closed")]
    Closed,
    /// A store opened for reading only was asked to write (`LogSnapshot`).
    #[error("{0}")]
    ReadOnly(String),
    /// The PostgreSQL database refused or could not be reached; what it said. An append that got
    /// this may or may not be stored: retry it with the same id (a stored one answers as such).
    #[error("PostgreSQL: {0}")]
    Postgres(String),
}

/// Why a batch was not appended. Nothing of a refused batch is stored.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    #[error("the batch is empty; give at least one event")]
    EmptyBatch,
    #[error("the batch has {events} events, over the limit of {max}; split it into smaller batches")]
    BatchTooLarge { events: usize, max: usize },
    /// `index` counts from 1, as people do.
    #[error("event {index}: {error}")]
    Invalid { index: usize, error: FieldError },
    #[error("event {index}: stream {stream} is at version {current}, not at the expected version {expected}; read the stream, then retry with expected_version {current}")]
    WrongExpectedVersion { index: usize, stream: StreamId, expected: u64, current: u64 },
    #[error("event {index}: id {id} is already stored at position {position} with other content; give a new event a new id (or leave `id` out)")]
    IdConflict { index: usize, id: EventId, position: Position },
    /// An exported event that cannot be imported here; `position` is its place in the export.
    #[error("position {position} of the import: {reason}")]
    ImportRefused { position: Position, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AppendError {
    /// Whether the caller can fix it (bad input or a conflict) rather than the store failing.
    pub fn is_client_error(&self) -> bool {
        !matches!(self, AppendError::Store(_))
    }
    pub fn is_conflict(&self) -> bool {
        matches!(self, AppendError::WrongExpectedVersion { .. } | AppendError::IdConflict { .. })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ForgetError {
    #[error("no data of subject {0} is stored; check the id (such as resident:r-017 or participant:makelaar-noord-1)")]
    UnknownSubject(SubjectId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the rest of parlog needs from a store.
pub trait EventStore: Send + Sync {
    /// Appends a batch atomically: all events or none. Returns once the batch is durable.
    fn append(&self, batch: Vec<NewEvent>) -> Result<Vec<Appended>, AppendError>;
    /// Events from `from` on, at most `limit`, in log order.
    fn read_from(&self, from: Position, limit: usize) -> Result<Vec<RecordedEvent>, StoreError>;
    /// Events of one stream with a version of `from_version` or later, at most `limit`.
    fn read_stream(&self, stream: &StreamId, from_version: u64, limit: usize)
        -> Result<Vec<RecordedEvent>, StoreError>;
    fn get(&self, id: EventId) -> Result<Option<RecordedEvent>, StoreError>;
    fn head(&self) -> Head;
    /// Catch up from `from`, then follow new events as they become durable.
    fn subscribe(&self, from: Position) -> Subscription;
    fn verify(&self) -> Result<VerifyReport, StoreError>;
    fn unseal(&self, event: &RecordedEvent) -> Result<SealedView, StoreError>;
    /// Events as `read_from` reads them, each with its sealed part as `unseal` shows it when
    /// `open` asks for it (else `None`). For a reader that opens most of what it reads (the notes
    /// index): a store may take the sealed bytes from the same read instead of reading each
    /// event again; a forgotten subject's part is `Forgotten` all the same.
    fn read_from_unsealed(
        &self,
        from: Position,
        limit: usize,
        open: &dyn Fn(&RecordedEvent) -> bool,
    ) -> Result<Vec<(RecordedEvent, Option<SealedView>)>, StoreError> {
        let page = self.read_from(from, limit)?;
        page.into_iter()
            .map(|e| {
                let sealed = if open(&e) { Some(self.unseal(&e)?) } else { None };
                Ok((e, sealed))
            })
            .collect()
    }
    /// Destroys the key and sealed bytes of a data subject; the log records who asked and when.
    fn forget(
        &self,
        subject: &SubjectId,
        by: &ParticipantId,
        reason: Option<LongText>,
    ) -> Result<Appended, ForgetError>;
}
