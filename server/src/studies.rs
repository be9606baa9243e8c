//! The studies of a data folder: where each one's files are, how a folder of the previous
//! release (one study, its files at the root) is read, creating a study, and choosing the study
//! a command acts on. The registry itself is in the institute journal (`http/auth/journal.rs`):
//! which studies exist is decided under the same lock as who may reach them.
//!
//! Layout: `DATA/PARLOG` (marker), `DATA/tokens` (the journal), `DATA/studies/<slug>/` (one
//! study: a store folder as `parlog-core` makes it). A folder of the previous release has a
//! store at its root; it is **read as it is**: its files are never moved (a move of several
//! files cannot be made atomic, and a half-moved study is worse than one at the root), and
//! the registry records it with `location: root`.

use std::path::{Path, PathBuf};

use parlog_core::{DomainEvent, EventStore, Position, SledStore, StoreError, StoreOptions, StudySlug};

use crate::backend::{Backend, Kept};

use crate::http::auth::{StudyLocation, StudyRecord, TokenFileError, Tokens, STUDY_NAME_CHARS_MAX};

/// The folder that holds one folder per study.
pub const STUDIES_DIR: &str = "studies";
const MARKER_FILE: &str = "PARLOG";
/// The marker of a data folder of studies. A release before studies reads it as "written by
/// another version of parlog" and refuses, rather than making a log beside the studies.
const MARKER_TEXT: &str = "parlog data folder\nstudies 1\n";
/// How far into a root study's log the first `StudyStarted` is looked for, to name the study.
const ROOT_NAME_SCAN_EVENTS_MAX: usize = 10_000;
/// The slug of a root study whose log names no municipality.
const ROOT_FALLBACK_SLUG: &str = "study";

#[derive(Debug, thiserror::Error)]
pub enum StudiesError {
    #[error("no parlog data folder at {0}")]
    NotInitialised(String),
    #[error("{0} is not empty and is not a parlog data folder; choose an empty or new folder")]
    NotEmpty(String),
    #[error("the data folder {data} holds no study yet")]
    NoStudy { data: String },
    #[error("the data folder holds {} studies ({}); name one", .slugs.len(), .slugs.join(", "))]
    Ambiguous { slugs: Vec<String> },
    #[error("there is no study {slug:?} in this data folder (it holds: {})", if .known.is_empty() { "none".to_string() } else { .known.join(", ") })]
    Unknown { slug: String, known: Vec<String> },
    #[error("study {slug}: its folder {folder} holds events but is not in the registry; move it out of the data folder, or choose another slug")]
    Orphan { slug: String, folder: String },
    #[error("study {slug}: {database} holds {events} events of a study of that name that is not in this data folder's registry (another data folder's study, or one left from before); choose another slug, or use the data folder it belongs to")]
    OrphanInDatabase { slug: String, database: String, events: u64 },
    /// The study's folder belongs to the other backend.
    #[error("study {study}: its events are kept in {}, in {folder}, but this command runs on {runs}", .kept.describe())]
    WrongStore { study: String, folder: String, kept: Kept, runs: String },
    /// The registry lists the study, the database does not hold it.
    #[error("study {study} is in the registry of this data folder, but {database} holds no study of that name")]
    NotInDatabase { study: String, database: String },
    /// A study kept in PostgreSQL whose key folder is missing.
    #[error("study {study}: its key folder {folder} is missing, so its subject keys cannot be read")]
    NoKeyFolder { study: String, folder: String },
    #[error("{what} is empty or longer than {STUDY_NAME_CHARS_MAX} characters")]
    Name { what: &'static str },
    #[error(transparent)]
    Registry(#[from] TokenFileError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StudiesError + '_ {
    move |source| StudiesError::Io { path: path.display().to_string(), source }
}

/// Where a study's files are.
pub fn study_folder(data: &Path, s: &StudyRecord) -> PathBuf {
    match s.location {
        StudyLocation::Root => data.to_path_buf(),
        StudyLocation::Folder => data.join(STUDIES_DIR).join(s.slug.as_str()),
    }
}

/// The data folder a study folder belongs to: `DATA` for `DATA/studies/<slug>`, the folder
/// itself for a study at the root.
pub fn data_of(folder: &Path) -> PathBuf {
    match folder.parent() {
        Some(p) if p.file_name().is_some_and(|n| n == STUDIES_DIR) => {
            let data = p.parent().unwrap_or(Path::new("."));
            if layout(data) != Layout::None {
                return data.to_path_buf();
            }
            folder.to_path_buf()
        }
        _ => folder.to_path_buf(),
    }
}

/// What a data folder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// No marker: not a data folder (yet).
    None,
    /// A store at the root: a folder of the previous release (perhaps with studies added).
    Root,
    /// A folder of studies, made by this release.
    Studies,
}

pub fn layout(data: &Path) -> Layout {
    match std::fs::read_to_string(data.join(MARKER_FILE)) {
        Ok(t) if t == MARKER_TEXT => Layout::Studies,
        // Any other marker is a store's; the store says if it is of another version.
        Ok(_) => Layout::Root,
        Err(_) => Layout::None,
    }
}

/// The data folder and the files directly in it are the owner's alone (0700, 0600), as a study's
/// folder is (its store sees to that). Set by every command but `verify`, which changes nothing.
pub fn tighten_permissions(data: &Path) -> Result<(), StudiesError> {
    use std::os::unix::fs::PermissionsExt;
    if layout(data) == Layout::None {
        return Ok(());
    }
    let set = |p: &Path, mode: u32| -> Result<(), StudiesError> {
        let now = std::fs::metadata(p).map_err(io(p))?.permissions().mode() & 0o777;
        if now != mode {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).map_err(io(p))?;
        }
        Ok(())
    };
    set(data, 0o700)?;
    for entry in std::fs::read_dir(data).map_err(io(data))? {
        let entry = entry.map_err(io(data))?;
        let is_dir = entry.file_type().map_err(io(data))?.is_dir();
        set(&entry.path(), if is_dir { 0o700 } else { 0o600 })?;
    }
    Ok(())
}

/// Makes `data` a data folder of studies if it is not a data folder yet; a data folder (of
/// either layout) is left as it is. Returns whether it made one.
pub fn init(data: &Path) -> Result<bool, StudiesError> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if layout(data) != Layout::None {
        return Ok(false);
    }
    if !data.exists() {
        if let Some(parent) = data.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::DirBuilder::new().mode(0o700).create(data).map_err(io(data))?;
    } else if std::fs::read_dir(data).map_err(io(data))?.next().is_some() {
        return Err(StudiesError::NotEmpty(data.display().to_string()));
    }
    let marker = data.join(MARKER_FILE);
    let mut f =
        std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&marker).map_err(io(&marker))?;
    std::io::Write::write_all(&mut f, MARKER_TEXT.as_bytes()).map_err(io(&marker))?;
    f.sync_all().map_err(io(&marker))?;
    std::fs::File::open(data).and_then(|d| d.sync_all()).map_err(io(data))?;
    Ok(true)
}

/// The studies of `data`, read without writing anything. A root study not yet in the registry
/// is listed as the registry will record it (named from its log).
pub fn list_read_only(data: &Path, options: &StoreOptions) -> Result<Vec<StudyRecord>, StudiesError> {
    let layout = layout(data);
    if layout == Layout::None {
        return Err(StudiesError::NotInitialised(data.display().to_string()));
    }
    let mut studies = Tokens::studies_read_only(data)?;
    if layout == Layout::Root && !studies.iter().any(|s| s.location == StudyLocation::Root) {
        studies.insert(0, describe_root(data, options)?);
    }
    Ok(studies)
}

/// The studies of `data`; on a folder of the previous release, records its root study in the
/// registry first (a write: for commands that write).
pub fn ensure_registered(
    data: &Path,
    tokens: &Tokens,
    options: &StoreOptions,
) -> Result<Vec<StudyRecord>, StudiesError> {
    let studies = tokens.studies()?;
    if layout(data) != Layout::Root || studies.iter().any(|s| s.location == StudyLocation::Root) {
        return Ok(studies);
    }
    let root = describe_root(data, options)?;
    match tokens.create_study(root.slug.clone(), &root.name, &root.municipality, StudyLocation::Root) {
        Ok(_) => {}
        // Another process registered it meanwhile.
        Err(TokenFileError::StudyExists { .. })
            if tokens.studies()?.iter().any(|s| s.location == StudyLocation::Root) => {}
        Err(e) => return Err(e.into()),
    }
    tracing::info!(slug = %root.slug, "the data folder's study (at its root, as the previous release kept it) is now in the registry");
    Ok(tokens.studies()?)
}

/// The root study as the registry would record it: named after the municipality of the first
/// `StudyStarted` in its log (or `study`), with that event's title.
fn describe_root(data: &Path, options: &StoreOptions) -> Result<StudyRecord, StudiesError> {
    let store = SledStore::open_with(data, options)?;
    let mut started = None;
    let mut from = 1;
    while started.is_none() && from <= ROOT_NAME_SCAN_EVENTS_MAX as u64 {
        let page = store.read_from(Position(from), 500)?;
        if page.is_empty() {
            break;
        }
        from += page.len() as u64;
        started = page.iter().find_map(|e| match e.domain() {
            Ok(DomainEvent::StudyStarted(s)) => Some((s.title.to_string(), s.municipality.to_string())),
            _ => None,
        });
    }
    store.close();
    let (name, municipality) = started.unwrap_or_default();
    let slug = StudySlug::from_name(&municipality)
        .unwrap_or_else(|| StudySlug::parse(ROOT_FALLBACK_SLUG).expect("a valid slug"));
    Ok(StudyRecord {
        slug,
        name,
        municipality,
        location: StudyLocation::Root,
        created_at: String::new(),
        archived_at: None,
    })
}

fn check_name(what: &'static str, s: &str) -> Result<(), StudiesError> {
    let n = s.trim().chars().count();
    if n == 0 || n > STUDY_NAME_CHARS_MAX {
        return Err(StudiesError::Name { what });
    }
    Ok(())
}

/// Creates a study in the embedded store (see `create_in`).
pub fn create(
    data: &Path,
    tokens: &Tokens,
    slug: StudySlug,
    name: &str,
    municipality: &str,
    options: &StoreOptions,
) -> Result<StudyRecord, StudiesError> {
    create_in(data, tokens, slug, name, municipality, options, &Backend::Embedded)
}

/// Creates a study: its store first (an empty one: its folder, and with PostgreSQL its row in
/// the database and its key folder), then its entry in the registry, so that a registered study
/// always has its store. A crash in between leaves an empty store that the next create of that
/// slug takes over.
pub fn create_in(
    data: &Path,
    tokens: &Tokens,
    slug: StudySlug,
    name: &str,
    municipality: &str,
    options: &StoreOptions,
    backend: &Backend,
) -> Result<StudyRecord, StudiesError> {
    check_name("the study's name", name)?;
    if !municipality.is_empty() {
        check_name("the municipality", municipality)?;
    }
    let studies = ensure_registered(data, tokens, options)?;
    if studies.iter().any(|s| s.slug == slug) {
        return Err(TokenFileError::StudyExists { slug: slug.to_string() }.into());
    }
    // Rows of a study of this name that no registry here lists (another data folder's study
    // sharing the database): its keys are not here, so it cannot be opened, let alone taken over.
    if let Backend::Postgres(db) = backend {
        if let Some(events @ 1..) = db.study_events(&slug)? {
            let database = db.shown().to_string();
            return Err(StudiesError::OrphanInDatabase { slug: slug.to_string(), database, events });
        }
    }
    let folder = ensure_studies_dir(data)?.join(slug.as_str());
    let store = backend.init(&folder, &slug, options)?;
    let events = store.head().position.0;
    store.close();
    match backend {
        _ if events == 0 => {}
        Backend::Embedded => {
            return Err(StudiesError::Orphan { slug: slug.to_string(), folder: folder.display().to_string() })
        }
        Backend::Postgres(db) => {
            return Err(StudiesError::OrphanInDatabase {
                slug: slug.to_string(),
                database: db.shown().to_string(),
                events,
            })
        }
    }
    Ok(tokens.create_study(slug, name.trim(), municipality.trim(), StudyLocation::Folder)?)
}

/// The folder of the studies' folders, `DATA/studies/`, made if there is none.
pub fn ensure_studies_dir(data: &Path) -> Result<PathBuf, StudiesError> {
    let parent = data.join(STUDIES_DIR);
    if !parent.exists() {
        use std::os::unix::fs::DirBuilderExt;
        // The owner's alone, as the data folder and each study's folder are.
        std::fs::DirBuilder::new().mode(0o700).create(&parent).map_err(io(&parent))?;
    }
    Ok(parent)
}

/// The study a command acts on: the one named, or the only one.
pub fn select<'a>(
    studies: &'a [StudyRecord],
    wanted: Option<&StudySlug>,
    data: &Path,
) -> Result<&'a StudyRecord, StudiesError> {
    match (wanted, studies) {
        (Some(w), _) => studies.iter().find(|s| &s.slug == w).ok_or_else(|| StudiesError::Unknown {
            slug: w.to_string(),
            known: studies.iter().map(|s| s.slug.to_string()).collect(),
        }),
        (None, [only]) => Ok(only),
        (None, []) => Err(StudiesError::NoStudy { data: data.display().to_string() }),
        (None, many) => Err(StudiesError::Ambiguous { slugs: many.iter().map(|s| s.slug.to_string()).collect() }),
    }
}

/// The study a command acts on: its folder, its slug (none for the root study of a folder of
/// the previous release chosen without opening its log to name it), and its registry entry (none
/// for such a root study that no command of this release has written to).
pub struct Selected {
    pub folder: PathBuf,
    pub slug: Option<StudySlug>,
    pub record: Option<StudyRecord>,
}

impl Selected {
    pub fn archived(&self) -> bool {
        self.record.as_ref().is_some_and(|r| r.archived_at.is_some())
    }
}

/// The study a command acts on, chosen without writing anything. On a folder of the previous
/// release without `--study`, the root, without opening its log to name it.
pub fn select_read_only(
    data: &Path,
    wanted: Option<&StudySlug>,
    options: &StoreOptions,
) -> Result<Selected, StudiesError> {
    match layout(data) {
        Layout::None => Err(StudiesError::NotInitialised(data.display().to_string())),
        Layout::Root if wanted.is_none() && Tokens::studies_read_only(data)?.len() <= 1 => {
            let record = Tokens::studies_read_only(data)?.pop();
            Ok(Selected { folder: data.to_path_buf(), slug: record.as_ref().map(|r| r.slug.clone()), record })
        }
        _ => {
            let studies = list_read_only(data, options)?;
            let s = select(&studies, wanted, data)?;
            let record = (!s.created_at.is_empty()).then(|| s.clone());
            Ok(Selected { folder: study_folder(data, s), slug: Some(s.slug.clone()), record })
        }
    }
}
