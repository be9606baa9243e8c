//! Where the studies' events are kept: the embedded store in each study's folder (the default),
//! or one PostgreSQL database for every study of a data folder (`--store postgres://…`, issue 13).
//!
//! Either way the data folder keeps everything else: the institute journal (tokens and the study
//! registry), the master key beside it, and per study its folder `studies/<slug>/`. With the
//! embedded store that folder is the whole store; with PostgreSQL it is the study's **key
//! folder**: its subject keys (keys never go into PostgreSQL, whose old row versions, WAL and
//! backups outlive a forget), the lock that makes one process the study's writer, the
//! projections' checkpoint and its quarantine. A study folder says which it is by its marker, so
//! a command run on the other store is refused with the study named, never opened as something
//! it is not.

use std::path::{Path, PathBuf};

use parlog_core::pg::{is_postgres_url, shown_url, PG_KEYS_MARKER_TEXT};
use parlog_core::{AnyStore, LogSnapshot, PgDatabase, PgStore, SledStore, StoreError, StoreOptions, StudySlug};

use crate::studies::StudiesError;

/// The marker file of a study folder (the store's, in either backend).
const MARKER_FILE: &str = "PARLOG";

/// Where `--store` (or `PARLOG_STORE`) says the events are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreAddress {
    /// The embedded store, in the data folder given.
    Folder(PathBuf),
    /// A PostgreSQL database, by its address (with its password, if it has one: show it with
    /// `shown`).
    Postgres(String),
}

impl StoreAddress {
    /// A `postgres://` or `postgresql://` address, or a folder. Anything else with `://` is
    /// refused, so that a typo in the scheme does not become a folder of that name.
    pub fn parse(s: &str) -> Result<StoreAddress, String> {
        if is_postgres_url(s) {
            return Ok(StoreAddress::Postgres(s.to_string()));
        }
        if s.is_empty() {
            return Err("expected a data folder or a postgres:// address, got nothing".into());
        }
        if let Some((scheme, _)) = s.split_once("://") {
            return Err(format!(
                "expected a data folder or a postgres:// address (such as postgres://parlog@db.example/parlog), got a {scheme}:// address"
            ));
        }
        Ok(StoreAddress::Folder(PathBuf::from(s)))
    }

    /// For messages: the folder, or the address without its password.
    pub fn shown(&self) -> String {
        match self {
            StoreAddress::Folder(p) => p.display().to_string(),
            StoreAddress::Postgres(url) => shown_url(url),
        }
    }
}

/// How a command may use the database: `ReadOnly` changes nothing, not even the schema
/// (`parlog verify`); `Write` creates or migrates parlog's schema first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadOnly,
    Write,
}

/// The store the studies' events are in, connected. Cheap to clone: a database is one pool that
/// every study of the process shares.
#[derive(Clone)]
pub enum Backend {
    /// Each study's folder holds its log (`SledStore`).
    Embedded,
    /// One PostgreSQL database holds every study's events; each study's folder holds its keys.
    Postgres(PgDatabase),
}

/// What a study's folder holds, by its marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// Nothing yet (no marker): a study being made, or a folder that is missing.
    Nothing,
    /// A log of the embedded store (or a folder of the previous release, at the root).
    Embedded,
    /// The keys of a study whose events are in PostgreSQL.
    Postgres,
}

impl Kept {
    /// For messages.
    pub fn describe(self) -> &'static str {
        match self {
            Kept::Nothing => "nowhere yet",
            Kept::Embedded => "the embedded store (a log in the study's folder)",
            Kept::Postgres => "PostgreSQL (the study's folder holds its keys)",
        }
    }
}

/// What a study's folder holds.
pub fn kept_in(folder: &Path) -> Kept {
    match std::fs::read_to_string(folder.join(MARKER_FILE)) {
        Ok(t) if t == PG_KEYS_MARKER_TEXT => Kept::Postgres,
        Ok(_) => Kept::Embedded,
        Err(_) => Kept::Nothing,
    }
}

impl Backend {
    /// Connects to the store `address` names (a folder needs no connection).
    pub fn connect(address: &StoreAddress, access: Access) -> Result<Backend, StoreError> {
        match address {
            StoreAddress::Folder(_) => Ok(Backend::Embedded),
            StoreAddress::Postgres(url) => Ok(Backend::Postgres(match access {
                Access::ReadOnly => PgDatabase::connect_read_only(url)?,
                Access::Write => PgDatabase::connect(url)?,
            })),
        }
    }

    /// `embedded` or `postgres`, for messages and the JSON of `parlog stats`.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Embedded => "embedded",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// For messages: "the embedded store" or "PostgreSQL at postgres://parlog:***@db/parlog".
    pub fn describe(&self) -> String {
        match self {
            Backend::Embedded => "the embedded store".into(),
            Backend::Postgres(db) => format!("PostgreSQL at {}", db.shown()),
        }
    }

    /// What a study folder of this backend holds.
    fn keeps(&self) -> Kept {
        match self {
            Backend::Embedded => Kept::Embedded,
            Backend::Postgres(_) => Kept::Postgres,
        }
    }

    /// Refuses a study folder that belongs to the other backend, naming both.
    fn check_kept(&self, folder: &Path, slug: Option<&StudySlug>) -> Result<Kept, StudiesError> {
        let kept = kept_in(folder);
        if kept != Kept::Nothing && kept != self.keeps() {
            return Err(StudiesError::WrongStore {
                study: shown_slug(slug),
                folder: folder.display().to_string(),
                kept,
                runs: self.describe(),
            });
        }
        Ok(kept)
    }

    /// Opens the store of the study `slug` (`None`: the root study of a folder of the previous
    /// release, not in the registry yet) whose folder is `folder`.
    pub fn open(
        &self,
        folder: &Path,
        slug: Option<&StudySlug>,
        options: &StoreOptions,
    ) -> Result<AnyStore, StudiesError> {
        let kept = self.check_kept(folder, slug)?;
        match self {
            Backend::Embedded => Ok(SledStore::open_with(folder, options)?.into()),
            Backend::Postgres(db) => {
                let slug = in_database(db, folder, slug, kept)?;
                Ok(PgStore::open(db, slug, folder, options)?.into())
            }
        }
    }

    /// Whether another process holds the study in `folder` open (a running `parlog serve`): the
    /// lock the embedded store's indexes take (sled's), or the lock of the key folder's marker
    /// a PostgreSQL study's one writer takes. Taking a shared lock for a moment changes nothing.
    pub fn held(&self, folder: &Path) -> bool {
        let file = match self {
            Backend::Embedded => folder.join("sled").join("db"),
            Backend::Postgres(_) => folder.join(MARKER_FILE),
        };
        locked(&file)
    }

    /// Reads the study in `folder` without opening it for writing, while another process holds
    /// it: the embedded store's log and key files read-only (`LogSnapshot`), or a study in
    /// PostgreSQL from the database with its key files read whole (`PgStore::open_read_only`).
    pub fn open_read_only(
        &self,
        folder: &Path,
        slug: Option<&StudySlug>,
        options: &StoreOptions,
    ) -> Result<AnyStore, StudiesError> {
        let kept = self.check_kept(folder, slug)?;
        match self {
            Backend::Embedded => Ok(LogSnapshot::open(folder, options)?.into()),
            Backend::Postgres(db) => {
                let slug = in_database(db, folder, slug, kept)?;
                Ok(PgStore::open_read_only(db, slug, folder, options)?.into())
            }
        }
    }

    /// Makes the store of a new study (its folder, and with PostgreSQL its row in the database)
    /// if it is not there, and opens it.
    pub fn init(&self, folder: &Path, slug: &StudySlug, options: &StoreOptions) -> Result<AnyStore, StudiesError> {
        self.check_kept(folder, Some(slug))?;
        match self {
            Backend::Embedded => Ok(SledStore::init_with(folder, options)?.into()),
            Backend::Postgres(db) => Ok(PgStore::init(db, slug, folder, options)?.into()),
        }
    }

    /// The studies the database holds (none for the embedded store, whose studies are folders).
    pub fn database_studies(&self) -> Result<Vec<StudySlug>, StoreError> {
        match self {
            Backend::Embedded => Ok(Vec::new()),
            Backend::Postgres(db) => db.studies(),
        }
    }
}

/// Whether a process holds an flock on `file` (none if it cannot be opened).
fn locked(file: &Path) -> bool {
    use std::os::unix::io::AsRawFd;
    let Ok(f) = std::fs::File::open(file) else { return false };
    // SAFETY: flock on a descriptor owned here; no memory is involved. Released at once.
    let got = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_SH | libc::LOCK_NB) } == 0;
    if got {
        // SAFETY: as above.
        unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_UN) };
    }
    !got
}

/// A study's slug for messages; the root study of a folder of the previous release has none yet.
fn shown_slug(slug: Option<&StudySlug>) -> String {
    slug.map(|s| s.to_string()).unwrap_or_else(|| "(the data folder's own study)".into())
}

/// Whether a store refuses work after a failed write (only the embedded store has that state:
/// PostgreSQL answers each request on its own).
pub fn failed(store: &AnyStore) -> bool {
    match store {
        AnyStore::Sled(s) => s.failed(),
        AnyStore::Pg(_) | AnyStore::Snapshot(_) => false,
    }
}

/// The slug of a study kept in PostgreSQL, once its folder is a key folder (`kept`) and the
/// database holds the study: what opening it, for writing or for reading, needs first.
fn in_database<'a>(
    db: &PgDatabase,
    folder: &Path,
    slug: Option<&'a StudySlug>,
    kept: Kept,
) -> Result<&'a StudySlug, StudiesError> {
    let slug = slug
        .filter(|_| kept == Kept::Postgres)
        .ok_or_else(|| StudiesError::NoKeyFolder { study: shown_slug(slug), folder: folder.display().to_string() })?;
    if db.study_events(slug)?.is_none() {
        return Err(StudiesError::NotInDatabase { study: slug.to_string(), database: db.shown().to_string() });
    }
    Ok(slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_address_is_a_folder_or_a_postgres_url() {
        let check = |s: &str, want: Result<StoreAddress, &str>| {
            let got = StoreAddress::parse(s);
            match (&got, &want) {
                (Ok(g), Ok(w)) => assert_eq!(g, w, "{s}"),
                (Err(g), Err(w)) => assert!(g.contains(w), "{s}: {g}"),
                _ => panic!("{s}: got {got:?}, want {want:?}"),
            }
        };
        check("postgres://u@h/db", Ok(StoreAddress::Postgres("postgres://u@h/db".into())));
        check("postgresql://u@h/db", Ok(StoreAddress::Postgres("postgresql://u@h/db".into())));
        check("./parlog-data", Ok(StoreAddress::Folder("./parlog-data".into())));
        check("mysql://u@h/db", Err("got a mysql:// address"));
        check("", Err("got nothing"));
        assert_eq!(StoreAddress::Postgres("postgres://u:secret@h/db".into()).shown(), "postgres://u:***@h/db");
    }
}
