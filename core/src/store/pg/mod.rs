//! The PostgreSQL store: the same log, rules and promises as the embedded store, kept in a
//! PostgreSQL database (issue 13).
//!
//! - Events are rows of `parlog.events`, keyed by study and position (`schema.rs`). Each study
//!   is its own log: positions from 1, its own chain, its own subject keys.
//! - One writer per study, as in the embedded store: a thread that takes every waiting append,
//!   decides the group with the one decide step (`decide.rs`) and writes it in one INSERT, one
//!   transaction, one commit (`writer.rs`). Positions are given by that writer, from the head it
//!   committed last, so they are gapless and in commit order by construction. The database
//!   holds the writer to it: `(study, position)`, `(study, id)` and `(study, stream,
//!   stream_version)` are unique, so a writer whose view was out of date (another process, a
//!   commit whose answer was lost) gets a conflict, never a second event at a place, and
//!   decides again from what the database holds.
//! - Readers see positions up to the head the writer published after a commit, so a
//!   subscription reading by position can neither skip an event nor see one twice: there is
//!   no sequence and no gap to wait at.
//! - Subject keys never enter PostgreSQL: they stay in the study's key folder, wrapped by the
//!   master key (`keyfile.rs`), which also holds the lock that makes this process the study's
//!   one writer. Forgetting removes the ciphertext from its rows and then the key from the key
//!   files; a backup of the database taken before holds the ciphertext but no key.

mod db;
mod schema;
mod store;
mod writer;

pub use db::{is_postgres_url, shown_url, PgDatabase};
pub use schema::SCHEMA_VERSION;
pub use store::{check_study, PgStore, PG_KEYS_MARKER_TEXT};
