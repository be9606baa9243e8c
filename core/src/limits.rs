//! Every input has a limit; names carry their unit. One place, so the CLI, the server and the
//! documentation quote the same numbers.

/// Characters in a short text field (a name, a theme, a title).
pub const SHORT_TEXT_CHARS_MAX: usize = 200;
/// Characters in a long text field (a plan, a reflection, a note).
pub const LONG_TEXT_CHARS_MAX: usize = 20_000;
/// Items in any list field of a payload (tasks, insights, codes, …).
pub const LIST_ITEMS_MAX: usize = 200;
/// Events in one appended batch.
pub const BATCH_EVENTS_MAX: usize = 1_000;
/// Bytes of one event's stored record (envelope plus open payload); with its ciphertext it stays
/// well within a log frame.
pub const RECORD_BYTES_MAX: usize = 64 * 1024;
/// Bytes of the JSON of one sealed payload before encryption.
pub const SEALED_BYTES_MAX: usize = 48 * 1024;
/// Bytes of one sealed payload's ciphertext: its JSON and the cipher's 16-byte tag.
pub const SEALED_CIPHERTEXT_BYTES_MAX: usize = SEALED_BYTES_MAX + 16;
/// Characters of a stream id, a participant id or a subject id.
pub const ID_CHARS_MAX: usize = 100;
/// Data subjects named in one sealed payload.
pub const SUBJECTS_PER_EVENT_MAX: usize = 20;
/// Events read in one page of the log.
pub const PAGE_EVENTS_MAX: usize = 10_000;
/// Appends waiting for the writer; a full queue makes callers wait (back-pressure), it never
/// drops an append.
pub const WRITER_QUEUE_APPENDS_MAX: usize = 4_096;
/// Events the writer commits in one group (one write, one fdatasync).
pub const GROUP_COMMIT_EVENTS_MAX: usize = 4_096;
/// Free bytes the store keeps on its disk: below this it refuses appends as `Full`, so that the
/// indexes (sled writes on its own schedule) and a forget (which rewrites the key files) still
/// find room, and no write fails halfway for want of space.
pub const DISK_FREE_BYTES_MIN: u64 = 16 * 1024 * 1024;
