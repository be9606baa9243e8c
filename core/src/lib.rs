//! parlog-core: the event model and the tamper-evident, durable event store.
//!
//! The public API is exactly what is re-exported here.

mod envelope;
mod events;
#[doc(hidden)]
pub mod fuzzing;
mod ids;
mod keyfile;
pub mod limits;
mod seal;
mod store;
mod values;
mod vocab;

pub use envelope::{AuthorSource, DecodeError, NewEvent, RecordedEvent, SealedData, SealedInput, SealedMeta};
pub use events::*;
pub use ids::{Category, EventId, Hash, ParticipantId, Position, StreamId, StudySlug, SubjectId, STUDY_SLUG_CHARS_MAX};
#[doc(hidden)]
pub use keyfile::parse_for_fuzzing as parse_key_file_for_fuzzing;
pub use keyfile::{KeyFileError, KeysReport, MasterKeySource, MASTER_KEY_FILE_ENV, MASTER_PASSPHRASE_ENV};
pub use seal::{SubjectKey, SUBJECT_KEY_BYTES};
pub use store::pg;
pub use store::quarantine;
pub use store::{
    check_folder, journal_lines, AnyStore, AppendError, Appended, EventStore, Finding, FolderReport, ForgetError, Head,
    ImportReport, ImportedEvent, LogSnapshot, PgDatabase, PgStore, Quarantined, SealedView, SledStore, StoreError,
    StoreOptions, Subscription, VerifyReport, QUARANTINE_DIR,
};
/// The decide step every store backend applies (see `store/decide.rs`).
pub use store::{
    decide, decide_batch, Changes, Decided, Env, Known, KnownEvent, MemoryLog, Origin, Overlay, RetryDigest, Staged,
    SystemEnv,
};
pub use values::{Date, List, LongText, ShortText, Text, Timestamp};
pub use vocab::*;
