//! A store of either backend, for code that opens one by configuration (the server, the CLI,
//! the tests that run on both): the `EventStore` interface plus what both backends offer beside
//! it (import, export's keys and ciphertexts, statistics, closing).

use std::path::Path;

use super::import::{ImportReport, ImportedEvent};
use super::pg::PgStore;
use super::quarantine::Quarantined;
use super::sled_store::SledStore;
use super::snapshot::LogSnapshot;
use super::subscription::Subscription;
use super::{AppendError, Appended, EventStore, ForgetError, Head, SealedView, StoreError, VerifyReport};
use crate::envelope::{NewEvent, RecordedEvent};
use crate::ids::{EventId, ParticipantId, Position, StreamId, SubjectId};
use crate::keyfile::MasterKeySource;
use crate::seal::SubjectKey;
use crate::values::LongText;

/// The embedded store or the PostgreSQL store, or a study of the embedded store read while
/// another process holds it (`LogSnapshot`: it reads, and refuses to write).
pub enum AnyStore {
    Sled(SledStore),
    Pg(PgStore),
    Snapshot(LogSnapshot),
}

macro_rules! each {
    ($self:expr, $s:ident => $e:expr) => {
        match $self {
            AnyStore::Sled($s) => $e,
            AnyStore::Pg($s) => $e,
            AnyStore::Snapshot($s) => $e,
        }
    };
}

impl From<SledStore> for AnyStore {
    fn from(s: SledStore) -> Self {
        AnyStore::Sled(s)
    }
}

impl From<LogSnapshot> for AnyStore {
    fn from(s: LogSnapshot) -> Self {
        AnyStore::Snapshot(s)
    }
}

impl From<PgStore> for AnyStore {
    fn from(s: PgStore) -> Self {
        AnyStore::Pg(s)
    }
}

impl AnyStore {
    /// `sled` or `postgres`, for messages and metrics.
    pub fn backend(&self) -> &'static str {
        match self {
            AnyStore::Sled(_) | AnyStore::Snapshot(_) => "sled",
            AnyStore::Pg(_) => "postgres",
        }
    }

    /// The folder of the store's files: the data folder (sled), or the key folder (PostgreSQL).
    pub fn dir(&self) -> &Path {
        each!(self, s => s.dir())
    }

    pub async fn append_async(&self, batch: Vec<NewEvent>) -> Result<Vec<Appended>, AppendError> {
        match self {
            AnyStore::Sled(s) => s.append_async(batch).await,
            AnyStore::Pg(s) => s.append_async(batch).await,
            AnyStore::Snapshot(s) => s.append(batch),
        }
    }

    /// Whether this is a study read while another process holds it: it refuses to write.
    pub fn is_snapshot(&self) -> bool {
        matches!(self, AnyStore::Snapshot(_))
    }

    pub fn import(
        &self,
        events: Vec<ImportedEvent>,
        keys: Vec<(SubjectId, SubjectKey)>,
    ) -> Result<ImportReport, AppendError> {
        match self {
            AnyStore::Sled(s) => s.import(events, keys),
            AnyStore::Pg(s) => s.import(events, keys),
            AnyStore::Snapshot(_) => Err(LogSnapshot::read_only().into()),
        }
    }

    pub fn ciphertext(&self, p: Position) -> Result<Option<Vec<u8>>, StoreError> {
        each!(self, s => s.ciphertext(p))
    }

    pub fn subject_keys(&self) -> Vec<(SubjectId, SubjectKey)> {
        each!(self, s => s.subject_keys())
    }

    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        each!(self, s => s.size_on_disk())
    }

    pub fn streams(&self) -> Result<Vec<(StreamId, u64)>, StoreError> {
        each!(self, s => s.streams())
    }

    pub fn rotate_master_key(&self, new: &MasterKeySource) -> Result<(), StoreError> {
        match self {
            AnyStore::Sled(s) => s.rotate_master_key(new),
            AnyStore::Pg(s) => s.rotate_master_key(new),
            AnyStore::Snapshot(_) => Err(LogSnapshot::read_only()),
        }
    }

    pub fn recovered(&self) -> &[Quarantined] {
        match self {
            AnyStore::Sled(s) => s.recovered(),
            AnyStore::Pg(s) => s.recovered(),
            AnyStore::Snapshot(_) => &[],
        }
    }

    pub fn keys_restored(&self) -> Option<&'static str> {
        match self {
            AnyStore::Sled(s) => s.keys_restored(),
            AnyStore::Pg(s) => s.keys_restored(),
            AnyStore::Snapshot(_) => None,
        }
    }

    /// Whether opening wrapped a key file of the first format (only the embedded store's old
    /// folders have one).
    pub fn keys_migrated(&self) -> bool {
        match self {
            AnyStore::Sled(s) => s.keys_migrated(),
            AnyStore::Pg(_) | AnyStore::Snapshot(_) => false,
        }
    }

    /// Closes the store once every queued append is answered (and, for sled, its files are let go).
    pub fn close(self) {
        each!(self, s => s.close())
    }
}

impl EventStore for AnyStore {
    fn append(&self, batch: Vec<NewEvent>) -> Result<Vec<Appended>, AppendError> {
        each!(self, s => s.append(batch))
    }
    fn read_from(&self, from: Position, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        each!(self, s => s.read_from(from, limit))
    }
    fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        each!(self, s => s.read_stream(stream, from_version, limit))
    }
    fn get(&self, id: EventId) -> Result<Option<RecordedEvent>, StoreError> {
        each!(self, s => s.get(id))
    }
    fn head(&self) -> Head {
        each!(self, s => s.head())
    }
    fn subscribe(&self, from: Position) -> Subscription {
        each!(self, s => s.subscribe(from))
    }
    fn verify(&self) -> Result<VerifyReport, StoreError> {
        each!(self, s => s.verify())
    }
    fn unseal(&self, e: &RecordedEvent) -> Result<SealedView, StoreError> {
        each!(self, s => s.unseal(e))
    }
    fn read_from_unsealed(
        &self,
        from: Position,
        limit: usize,
        open: &dyn Fn(&RecordedEvent) -> bool,
    ) -> Result<Vec<(RecordedEvent, Option<SealedView>)>, StoreError> {
        each!(self, s => s.read_from_unsealed(from, limit, open))
    }
    fn forget(
        &self,
        subject: &SubjectId,
        by: &ParticipantId,
        reason: Option<LongText>,
    ) -> Result<Appended, ForgetError> {
        each!(self, s => s.forget(subject, by, reason))
    }
}
