//! `parlog migrate`: copies studies with their chains from one store to another, either way
//! between a data folder's embedded store and a PostgreSQL database (or between two of a kind).
//!
//! A copy is an import (`AnyStore::import`, the rules of `store/import.rs`): every event keeps
//! its id, times, position and hash, and the subject keys go with it into the target's key files,
//! wrapped by the target's master key. Then the heads (position and hash) of both sides must be
//! the same; since each hash covers the one before, an equal head means an equal chain.
//!
//! **Where keys go.** A study's folder `studies/<slug>/` holds its log in the embedded store and
//! its keys with PostgreSQL, so one data folder cannot be both source and target: the target
//! has a data folder of its own (the `--to` folder, or `--to-data` for a PostgreSQL target),
//! whose registry lists the study once its copy is complete and checked.
//!
//! **Never overwrites.** Every study is looked at before anything is written: a target study that
//! is in the target's registry with events, or that holds events that are not a beginning of
//! the source's chain, is refused (exit 2), and nothing is changed. A target study that is not
//! in the registry and holds a beginning of the source's chain is an interrupted copy (rows in
//! PostgreSQL are never deleted, so it could not be removed): the copy goes on from there.

use std::path::{Path, PathBuf};

use clap::Args;
use parlog_core::limits::PAGE_EVENTS_MAX;
use parlog_core::{
    check_folder, AnyStore, EventStore, Head, ImportedEvent, MasterKeySource, Position, StoreError, StoreOptions,
    StudySlug,
};

use super::{Failure, Result};
use crate::backend::{kept_in, Access, Backend, Kept, StoreAddress};
use crate::http::auth::{StudyLocation, StudyRecord, TokenFileError, Tokens};
use crate::studies::{self, Layout, StudiesError};

#[derive(Args)]
pub struct MigrateArgs {
    #[arg(long, value_parser = StoreAddress::parse)]
    from: StoreAddress,
    #[arg(long, value_parser = StoreAddress::parse)]
    to: StoreAddress,
    #[arg(long)]
    from_data: Option<PathBuf>,
    #[arg(long)]
    to_data: Option<PathBuf>,
}

/// Events copied per import (one durable commit each); also the unit of the progress bar.
const COPY_CHUNK_EVENTS: usize = 1_000;
/// Studies with more events than this get a progress bar.
const PROGRESS_MIN_EVENTS: u64 = 5_000;

/// One side of a migration.
struct Side {
    address: StoreAddress,
    /// The data folder: the registry, the master key beside it, the studies' folders.
    data: PathBuf,
    options: StoreOptions,
}

impl Side {
    /// A folder is its own data folder; a database takes `data_flag`, or the global `--data`.
    fn new(
        address: StoreAddress,
        data_flag: Option<PathBuf>,
        flag: &str,
        global_data: &Path,
        master_key_file: Option<&Path>,
    ) -> Result<Side> {
        let data = match (&address, data_flag) {
            (StoreAddress::Folder(_), Some(_)) => return Err(Failure::Input(t!("migrate-data-flag", flag = flag))),
            (StoreAddress::Folder(dir), None) => dir.clone(),
            (StoreAddress::Postgres(_), Some(d)) => d,
            (StoreAddress::Postgres(_), None) => global_data.to_path_buf(),
        };
        let options = match master_key_file {
            Some(f) => StoreOptions { master_key: MasterKeySource::File(f.to_path_buf()) },
            None => StoreOptions::from_env(&data),
        };
        Ok(Side { address, data, options })
    }

    fn describe(&self) -> String {
        match &self.address {
            StoreAddress::Folder(d) => t!("migrate-side-folder", folder = d.display().to_string()),
            StoreAddress::Postgres(_) => {
                t!("migrate-side-postgres", address = self.address.shown(), folder = self.data.display().to_string())
            }
        }
    }
}

/// The same folder, however it is written.
fn same_folder(a: &Path, b: &Path) -> bool {
    let norm = |p: &Path| std::fs::canonicalize(p).or_else(|_| std::path::absolute(p)).unwrap_or_else(|_| p.into());
    norm(a) == norm(b)
}

/// What the target holds of a study before the copy.
enum Target {
    /// Nothing yet (or an empty store): copy from the start.
    Empty,
    /// A beginning of the source's chain, not in the registry: an interrupted copy to go on with.
    Interrupted(Head),
}

pub fn run(
    global_data: &Path,
    master_key_file: Option<&Path>,
    wanted: Option<&StudySlug>,
    a: MigrateArgs,
) -> Result<i32> {
    let from = Side::new(a.from, a.from_data, "from", global_data, master_key_file)?;
    let to = Side::new(a.to, a.to_data, "to", global_data, master_key_file)?;
    if same_folder(&from.data, &to.data) {
        return Err(Failure::Input(t!("migrate-same-folder", folder = from.data.display().to_string())));
    }
    if studies::layout(&from.data) == Layout::None {
        return Err(StudiesError::NotInitialised(from.data.display().to_string()).into());
    }
    check_target_folder(&to.data)?;
    let registry = studies::list_read_only(&from.data, &from.options)?;
    let chosen: Vec<StudyRecord> = match wanted {
        Some(w) => vec![studies::select(&registry, Some(w), &from.data)?.clone()],
        None => registry,
    };
    if chosen.is_empty() {
        println!("{}", t!("migrate-nothing", source = from.describe()));
        return Ok(0);
    }
    // The source only reads (its schema is not migrated); the target may get parlog's schema.
    let source = Backend::connect(&from.address, Access::ReadOnly)?;
    let target = Backend::connect(&to.address, Access::Write)?;
    let target_registry = match studies::layout(&to.data) {
        Layout::None => Vec::new(),
        _ => Tokens::studies_read_only(&to.data).map_err(|e| Failure::Check(e.to_string()))?,
    };

    // Every study is looked at before anything is written.
    let mut plans = Vec::with_capacity(chosen.len());
    let mut refusals = Vec::new();
    for record in &chosen {
        let registered = target_registry.iter().find(|r| r.slug == record.slug);
        let folder = match registered {
            Some(r) => studies::study_folder(&to.data, r),
            None => to.data.join(studies::STUDIES_DIR).join(record.slug.as_str()),
        };
        match plan(&source, &from, record, &target, &to, &folder, registered.is_some())? {
            Ok(t) => plans.push((record, folder, registered.is_some(), t)),
            Err(why) => refusals.push(t!("migrate-study", study = record.slug.to_string(), why = why)),
        }
    }
    if !refusals.is_empty() {
        return Err(Failure::Input(t!("migrate-refused", refusals = refusals.join("; "))));
    }

    studies::init(&to.data)?;
    let tokens = Tokens::open(&to.data)?;
    studies::ensure_studies_dir(&to.data)?;
    for (record, folder, registered, t) in plans {
        copy_study(&source, &from, record, &target, &to, &folder, t)?;
        if !registered {
            register(&tokens, record)?;
        }
    }
    println!(
        "{}",
        t!(
            "migrate-done",
            studies = chosen.len(),
            source = from.describe(),
            target = to.describe(),
            key = super::check::master_key(&to.options.master_key)
        )
    );
    Ok(0)
}

/// The target's data folder is a data folder, or new, or empty.
fn check_target_folder(data: &Path) -> Result<()> {
    let not_empty = std::fs::read_dir(data).map(|mut d| d.next().is_some()).unwrap_or(false);
    if studies::layout(data) == Layout::None && not_empty {
        return Err(StudiesError::NotEmpty(data.display().to_string()).into());
    }
    Ok(())
}

/// What the target holds of `record`, read without writing; `Err(why)` refuses the copy.
fn plan(
    source: &Backend,
    from: &Side,
    record: &StudyRecord,
    target: &Backend,
    to: &Side,
    folder: &Path,
    registered: bool,
) -> Result<std::result::Result<Target, String>> {
    let kept = kept_in(folder);
    let head = match (target, kept) {
        (_, Kept::Nothing) => Head { position: Position(0), hash: parlog_core::Hash::ZERO },
        (Backend::Embedded, Kept::Postgres) | (Backend::Postgres(_), Kept::Embedded) => {
            return Ok(Err(t!(
                "migrate-folder-other-store",
                folder = folder.display().to_string(),
                kept = super::describe_kept(kept),
                target = super::describe_backend(target)
            )))
        }
        (Backend::Embedded, Kept::Embedded) => match check_folder(folder, &to.options) {
            Ok(r) => r.head,
            Err(StoreError::NotInitialised(_)) => Head { position: Position(0), hash: parlog_core::Hash::ZERO },
            Err(e) => return Err(e.into()),
        },
        (Backend::Postgres(db), Kept::Postgres) => match db.study_events(&record.slug)? {
            None | Some(0) => Head { position: Position(0), hash: parlog_core::Hash::ZERO },
            Some(_) => {
                let store = target.open(folder, Some(&record.slug), &to.options)?;
                let head = store.head();
                store.close();
                head
            }
        },
    };
    if head.position.0 == 0 {
        if let Backend::Postgres(db) = target {
            // Rows without a key folder: another data folder's study of that name.
            if let Some(n @ 1..) = db.study_events(&record.slug)? {
                return Ok(Err(t!("migrate-orphan-rows", database = db.shown().to_string(), events = n)));
            }
        }
        return Ok(Ok(Target::Empty));
    }
    if registered {
        return Ok(Err(t!("migrate-target-holds", events = head.position.0, target = super::describe_backend(target))));
    }
    // Not in the target's registry but with events: an interrupted copy if it is a beginning of
    // the source's chain.
    let src = open(source, from, record)?;
    let same =
        src.read_from(head.position, 1)?.first().is_some_and(|e| e.position == head.position && e.hash == head.hash);
    src.close();
    if !same {
        return Ok(Err(t!("migrate-target-other", events = head.position.0, target = super::describe_backend(target))));
    }
    Ok(Ok(Target::Interrupted(head)))
}

fn open(backend: &Backend, side: &Side, record: &StudyRecord) -> Result<AnyStore> {
    let folder = studies::study_folder(&side.data, record);
    let store = backend.open(&folder, Some(&record.slug), &side.options)?;
    super::tell_recovered(&store);
    Ok(store)
}

/// Copies one study's events, ciphertexts and keys into the target, then holds the heads to each
/// other.
fn copy_study(
    source: &Backend,
    from: &Side,
    record: &StudyRecord,
    target: &Backend,
    to: &Side,
    folder: &Path,
    t: Target,
) -> Result<()> {
    let slug = &record.slug;
    let src = open(source, from, record)?;
    let dst = target.init(folder, slug, &to.options)?;
    let head = src.head();
    if let Target::Interrupted(h) = t {
        eprintln!("{}", t!("migrate-resume", study = slug.to_string(), events = h.position.0));
    }
    let copied = copy_events(&src, &dst, head).map_err(|f| match f {
        Failure::Check(m) | Failure::Input(m) => {
            Failure::Check(t!("migrate-stopped", study = slug.to_string(), why = m))
        }
    })?;
    let (a, b) = (src.head(), dst.head());
    src.close();
    dst.close();
    if a != b {
        return Err(Failure::Check(t!(
            "migrate-heads-differ",
            study = slug.to_string(),
            source = format!("{} {}", a.position, a.hash),
            target = format!("{} {}", b.position, b.hash)
        )));
    }
    println!(
        "{}",
        t!(
            "migrate-copied",
            study = slug.to_string(),
            events = copied,
            position = b.position.0,
            hash = b.hash.to_string()
        )
    );
    Ok(())
}

/// Imports the source's events up to `head` and its subject keys; returns how many were added.
fn copy_events(src: &AnyStore, dst: &AnyStore, head: Head) -> Result<u64> {
    let progress = (head.position.0 >= PROGRESS_MIN_EVENTS).then(|| {
        let bar = indicatif::ProgressBar::new(head.position.0);
        bar.set_style(super::progress_style());
        bar
    });
    let mut keys = Some(src.subject_keys());
    let mut added = 0;
    let mut at = 1;
    while at <= head.position.0 {
        let page = src.read_from(Position(at), PAGE_EVENTS_MAX.min(COPY_CHUNK_EVENTS))?;
        let Some(last) = page.last() else { break };
        at = last.position.0 + 1;
        let mut chunk = Vec::with_capacity(page.len());
        for e in page.into_iter().take_while(|e| e.position <= head.position) {
            let ciphertext = match e.sealed {
                Some(_) => src.ciphertext(e.position)?,
                None => None,
            };
            chunk.push(ImportedEvent { event: e, ciphertext });
        }
        let r = dst.import(chunk, keys.take().unwrap_or_default())?;
        added += r.added;
        if let Some(bar) = &progress {
            bar.set_position(at - 1);
        }
    }
    // A study with keys and no events yet.
    if let Some(k) = keys.filter(|k| !k.is_empty()) {
        dst.import(Vec::new(), k)?;
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    Ok(added)
}

/// The study in the target's registry, as the source's registry has it (archived too).
fn register(tokens: &Tokens, record: &StudyRecord) -> Result<()> {
    match tokens.create_study(record.slug.clone(), &record.name, &record.municipality, StudyLocation::Folder) {
        Ok(_) | Err(TokenFileError::StudyExists { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    if record.archived_at.is_some() {
        tokens.archive_study(&record.slug)?;
    }
    Ok(())
}
