//! parlog-core: the event model and the tamper-evident, durable event store.
//!
//! The public API is exactly what is re-exported here.

mod envelope;
mod events;
mod ids;
pub mod limits;
mod seal;
mod store;
mod values;
mod vocab;

pub use envelope::{AuthorSource, DecodeError, NewEvent, RecordedEvent, SealedData, SealedInput, SealedMeta};
pub use events::*;
pub use ids::{Category, EventId, Hash, ParticipantId, Position, StreamId, SubjectId};
pub use store::{
    AppendError, Appended, EventStore, ForgetError, Head, ImportedEvent, SealedView, SledStore, StoreError,
    Subscription, VerifyReport,
};
pub use values::{Date, List, LongText, ShortText, Text, Timestamp};
pub use vocab::*;
