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

// ---- The store's own sizes and waits (not input limits, but bounds all the same) ----

/// sled's page cache. sled holds only index chunks, read one per page of events or scanned
/// once to build a lookup, so a small cache serves; a large one filled up while a lookup was
/// built and stayed resident.
pub const SLED_CACHE_BYTES: u64 = 16 * 1024 * 1024;
/// How often sled writes the indexes out in the background.
pub const SLED_FLUSH_EVERY_MS: u64 = 500;
/// How long opening a store waits for a lock that this process may still be letting go of (sled's
/// threads of a store that was just closed).
pub const OPEN_LOCKED_WAIT_MS: u64 = 2_000;
/// Events whose index entries recovery applies to sled at once.
pub const RECOVER_BATCH_EVENTS_MAX: usize = 16_384;
/// The largest body of a log frame: a record and its ciphertext, with room to spare.
pub const FRAME_BODY_BYTES_MAX: usize = 256 * 1024;
/// How far ahead of its end the log file is extended with zeros: a few thousand events, and small
/// enough that the first append after opening (which cuts the zeros off) pays little for it.
pub const LOG_PREALLOCATE_BYTES: u64 = 2 * 1024 * 1024;
/// The largest read buffer a thread keeps between reads of the log: enough for the engine's pages
/// of 512 events (a guess of 1 KiB each); a larger one is freed after use, so that the many
/// threads of a server that read now and then hold little.
pub const READ_BUFFER_KEPT_BYTES_MAX: usize = 512 * 1024;
/// One read of the log when reading a page of frames: `LOG_READ_EVENT_BYTES_GUESS` per event
/// wanted (a frame is typically under 1 KiB), at least `LOG_READ_BYTES_MIN` and at most
/// `LOG_READ_BYTES_MAX`; a frame larger than the buffer is read on its own.
pub const LOG_READ_EVENT_BYTES_GUESS: usize = 1024;
pub const LOG_READ_BYTES_MIN: usize = 4 * 1024;
pub const LOG_READ_BYTES_MAX: usize = 4 * 1024 * 1024;
/// Bytes read at a time when scanning the log: for the last byte that is not zero, or for the
/// next commit frame after damage.
pub const LOG_SCAN_BYTES: usize = 1024 * 1024;

/// Threads of the runtime that drives a PostgreSQL database's connections (they wait on the
/// network; decoding happens on the callers' threads).
pub const PG_RUNTIME_THREADS: usize = 2;
/// Connections to a PostgreSQL database per parlog process, shared by every open study: readers
/// take one per query, a writer without a connection of its own
/// (`PG_WRITER_CONNECTIONS_MAX`) one per group.
pub const PG_POOL_CONNECTIONS_MAX: usize = 16;
/// Studies per parlog process whose writer may hold a PostgreSQL connection of its own (outside
/// the pool) while it writes; the others write through the pool. So a process holds at most
/// `PG_POOL_CONNECTIONS_MAX` plus this many connections to a database.
pub const PG_WRITER_CONNECTIONS_MAX: usize = 8;
/// A writer lets its own connection go after this long without appends, so that the slot goes to
/// a study that writes and a quiet study holds no connection.
pub const PG_WRITER_CONNECTION_IDLE_MS: u64 = 1_000;
/// How long a writer waits for its connection to say goodbye to the server when it lets it go.
pub const PG_WRITER_CONNECTION_CLOSE_MS: u64 = 100;
/// Times a PostgreSQL store decides and writes a group again when the database refuses it as a
/// conflict (what it knew was out of date), before it answers with an error.
pub const PG_GROUP_ATTEMPTS_MAX: usize = 3;
