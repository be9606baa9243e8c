//! `verify`, `repair` and `keys`: checking a data folder, mending it, and its master key.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Subcommand;
use parlog_core::{
    check_folder, Finding, FolderReport, KeyFileError, KeysReport, MasterKeySource, PgDatabase, SledStore, StoreError,
    StoreOptions, StudySlug, VerifyReport,
};

use super::{Failure, Result};
use crate::backend::{kept_in, Backend, Kept};
use crate::http::auth::{StudyLocation, Tokens};
use crate::studies::{self, Selected, StudiesError};

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Wrap every subject key under a new master key (both copies of the key file are
    /// rewritten). Give the new key as a file that does not exist yet (a fresh random key is
    /// written to it) or a passphrase in an environment variable. Keep the new key where the
    /// old one was looked for, or name it from now on.
    RotateMaster {
        /// A new master key file to create.
        #[arg(long, conflicts_with = "new_passphrase_env")]
        new_key_file: Option<PathBuf>,
        /// The name of an environment variable that holds the new passphrase.
        #[arg(long)]
        new_passphrase_env: Option<String>,
    },
}

/// A study to check or rewrap: its name for messages, its slug (none for the root study of a
/// folder of the previous release not in the registry yet) and its folder.
struct StudyAt {
    label: String,
    slug: Option<StudySlug>,
    folder: PathBuf,
}

/// The studies' folders, read without writing anything: the registry's, and the root study of
/// a folder of the previous release that is not in it yet (not opened to name it: opening could
/// recover, and checking changes nothing).
fn study_folders(data: &Path) -> Result<Vec<StudyAt>> {
    let layout = studies::layout(data);
    if layout == studies::Layout::None {
        return Err(StudiesError::NotInitialised(data.display().to_string()).into());
    }
    let registry = Tokens::studies_read_only(data).map_err(|e| Failure::Check(e.to_string()))?;
    let mut out: Vec<StudyAt> = registry
        .iter()
        .map(|s| StudyAt {
            label: s.slug.to_string(),
            slug: Some(s.slug.clone()),
            folder: studies::study_folder(data, s),
        })
        .collect();
    if layout == studies::Layout::Root && !registry.iter().any(|s| s.location == StudyLocation::Root) {
        out.insert(
            0,
            StudyAt { label: "(the data folder's own study)".into(), slug: None, folder: data.to_path_buf() },
        );
    }
    Ok(out)
}

/// Checks the data folder without changing it: the institute journal (tokens and the study
/// registry) and every study (or the one named), in the embedded store or in PostgreSQL
/// (connected read-only: not even the schema is touched); exit 1 on any finding.
pub fn verify_all(data: &Path, wanted: Option<&StudySlug>, options: &StoreOptions) -> Result<i32> {
    let mut folders = study_folders(data)?;
    if let Some(w) = wanted {
        let known: Vec<String> = folders.iter().map(|s| s.label.clone()).collect();
        folders.retain(|s| s.label == w.as_str());
        if folders.is_empty() {
            return Err(StudiesError::Unknown { slug: w.to_string(), known }.into());
        }
    }
    let backend = super::backend()?;
    // The journal is the server's; it is held to the log's standard all the same.
    let (findings, notes) = Tokens::findings(data);
    notes.iter().for_each(|n| println!("note: {n}"));
    findings.iter().for_each(|f| eprintln!("damaged: {f}"));
    let mut failed = !findings.is_empty();
    for note in orphans(data, &folders) {
        println!("note: {note}");
    }
    if wanted.is_none() {
        for slug in backend.database_studies()?.iter().filter(|d| !folders.iter().any(|s| s.slug.as_ref() == Some(*d)))
        {
            println!(
                "note: the database also holds study {slug}, which this data folder's registry does not list; it was not checked"
            );
        }
    }
    let many = folders.len() > 1;
    for study in &folders {
        if many {
            println!("study {}:", study.label);
        }
        failed |= match backend {
            Backend::Embedded => verify_folder(study, options)?,
            Backend::Postgres(db) => verify_in_database(db, study, options)?,
        };
    }
    if folders.is_empty() {
        println!("ok: no studies yet");
    }
    Ok(if failed { 1 } else { 0 })
}

/// Refuses a study folder that belongs to the other backend, with the study named.
fn same_store(study: &StudyAt, kept: Kept, expected: Kept) -> Result<()> {
    if kept != Kept::Nothing && kept != expected {
        return Err(StudiesError::WrongStore {
            study: study.label.clone(),
            folder: study.folder.display().to_string(),
            kept,
            runs: super::backend()?.describe(),
        }
        .into());
    }
    Ok(())
}

/// Checks a study of the embedded store; returns whether it failed.
fn verify_folder(study: &StudyAt, options: &StoreOptions) -> Result<bool> {
    same_store(study, kept_in(&study.folder), Kept::Embedded)?;
    match check_folder(&study.folder, options) {
        Ok(mut r) => {
            r.findings.extend(checkpoint_finding(&study.folder));
            print_report(&r);
            Ok(!r.findings.is_empty())
        }
        Err(e @ (StoreError::NotInitialised(_) | StoreError::Locked(_))) => Err(e.into()),
        Err(e) => {
            eprintln!("verify failed: {e}");
            Ok(true)
        }
    }
}

/// Checks a study kept in PostgreSQL (its chain in the database, its key files and checkpoint
/// in its folder), reading only; returns whether it failed.
fn verify_in_database(db: &PgDatabase, study: &StudyAt, options: &StoreOptions) -> Result<bool> {
    let kept = kept_in(&study.folder);
    same_store(study, kept, Kept::Postgres)?;
    let Some(slug) = &study.slug else {
        return Err(StudiesError::WrongStore {
            study: study.label.clone(),
            folder: study.folder.display().to_string(),
            kept: Kept::Embedded,
            runs: super::backend()?.describe(),
        }
        .into());
    };
    if db.study_events(slug)?.is_none() {
        eprintln!(
            "damaged: {}",
            Failure::from(StudiesError::NotInDatabase { study: slug.to_string(), database: db.shown().to_string() })
                .message()
        );
        return Ok(true);
    }
    if kept == Kept::Nothing {
        let missing = StudiesError::NoKeyFolder { study: slug.to_string(), folder: study.folder.display().to_string() };
        eprintln!("damaged: {}", Failure::from(missing).message());
        return Ok(true);
    }
    match parlog_core::pg::check_study(db, slug, &study.folder, options) {
        Ok((report, keys)) => {
            let checkpoint = checkpoint_finding(&study.folder);
            print_database_report(db, &report, &keys, checkpoint.as_ref());
            Ok(report.first_bad.is_some() || !keys.findings.is_empty() || checkpoint.is_some())
        }
        Err(e @ StoreError::Postgres(_)) => Err(e.into()),
        Err(e) => {
            eprintln!("verify failed: {e}");
            Ok(true)
        }
    }
}

fn print_database_report(db: &PgDatabase, r: &VerifyReport, keys: &KeysReport, checkpoint: Option<&Finding>) {
    for n in &keys.notes {
        println!("note: {n}");
    }
    if let Some((position, why)) = &r.first_bad {
        eprintln!("damaged: the chain in {}, position {position}: {why}", db.shown());
    }
    for f in &keys.findings {
        eprintln!("damaged: {f}");
    }
    if let Some(f) = checkpoint {
        eprintln!("damaged: {f}");
    }
    let findings = usize::from(r.first_bad.is_some()) + keys.findings.len() + usize::from(checkpoint.is_some());
    if findings == 0 {
        println!(
            "ok: {} events, head {}; {} subject keys; events in PostgreSQL at {}",
            r.events,
            r.head.hash,
            keys.keys,
            db.shown()
        );
    } else {
        eprintln!("verify failed: {findings} finding(s); {} events up to the first damage", r.events);
    }
}

/// Folders in `studies/` that the registry does not name: a create interrupted before its
/// registry entry (an empty store), or something put there by hand.
fn orphans(data: &Path, known: &[StudyAt]) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(data.join(studies::STUDIES_DIR)) else { return Vec::new() };
    dir.filter_map(|e| e.ok())
        .filter(|e| !known.iter().any(|s| s.folder == e.path()))
        .map(|e| format!("{}: not a study in the registry (an interrupted `parlog study create` leaves an empty one, which the next create of that slug takes over); it was not checked", e.path().display()))
        .collect()
}

/// The projections' checkpoint is a cache, but a damaged one is named like any other damage.
fn checkpoint_finding(folder: &Path) -> Option<Finding> {
    let finding = |what: String| {
        Finding {
        file: "projections/checkpoint.bin".into(),
        position: None,
        offset: None,
        what,
        fix: "It is a cache: the next `parlog serve` or `parlog project` moves it to quarantine and rebuilds it from the log".into(),
    }
    };
    match parlog_projections::check_checkpoint(&folder.join("projections")) {
        Ok(None) => None,
        Ok(Some(why)) => Some(finding(format!("the projections' checkpoint is damaged: {why}"))),
        Err(e) => Some(finding(e.to_string())),
    }
}

fn print_report(r: &FolderReport) {
    for n in &r.notes {
        println!("note: {n}");
    }
    for f in &r.findings {
        eprintln!("damaged: {f}");
    }
    let sealed = format!(
        "sealed parts: {} open, {} forgotten, {} without a key here",
        r.sealed_open, r.sealed_forgotten, r.sealed_no_key
    );
    if r.findings.is_empty() {
        println!("ok: {} events, head {}; {} subject keys; {sealed}", r.events, r.head.hash, r.keys.keys);
    } else {
        eprintln!("verify failed: {} finding(s); {} events up to the last intact commit", r.findings.len(), r.events);
    }
}

/// What `repair` says on PostgreSQL, where it has nothing of its own to mend.
const REPAIR_ON_POSTGRES: &str =
    "repair mends the files of the embedded store (its log, indexes and the copies of the key file); \
with --store postgres://… the events are in PostgreSQL, which keeps its own files and mends them itself: it recovers \
from its write-ahead log when it restarts, and damage beyond that is mended with PostgreSQL's tools or a restore of \
a backup. Run `parlog --store … verify` to check every study's chain in the database and its key files; restore a \
damaged key file (studies/<slug>/keys or keys.copy) from a backup of the data folder";

/// Says what repair will change, asks (or takes `--yes`), then mends and says what it did.
pub fn repair(study: impl FnOnce() -> Result<Selected>, options: &StoreOptions, yes: bool) -> Result<i32> {
    if super::on_postgres() {
        return Err(Failure::Input(REPAIR_ON_POSTGRES.into()));
    }
    let study = &study()?;
    let at = StudyAt {
        label: study.slug.as_ref().map(|s| s.to_string()).unwrap_or_else(|| "(the data folder's own study)".into()),
        slug: study.slug.clone(),
        folder: study.folder.clone(),
    };
    same_store(&at, kept_in(&study.folder), Kept::Embedded)?;
    let data = study.folder.as_path();
    let report = match check_folder(data, options) {
        Ok(r) => Some(r),
        Err(e @ (StoreError::NotInitialised(_) | StoreError::Locked(_))) => return Err(e.into()),
        Err(e) => {
            println!("the check before repair failed: {e}");
            None
        }
    };
    if let Some(r) = &report {
        if r.findings.is_empty() && !r.notes.iter().any(|n| n.contains("unfinished write") || n.contains("cut short")) {
            print_report(r);
            println!("nothing to repair");
            return Ok(0);
        }
        for f in &r.findings {
            println!("found: {f}");
        }
    }
    println!(
        "repair will: restore a damaged or missing copy of the key file from the other; move indexes that do not match the log to quarantine and rebuild them; move a damaged or unfinished last group of the log to quarantine. Every byte it takes out is kept in {}/quarantine/ and listed in its journal.txt. Damage that later events follow is not mended (restore a backup).",
        data.display()
    );
    if !yes && !confirm()? {
        println!("nothing changed");
        return Ok(2);
    }
    let (store, moved) = SledStore::repair(data, options)?;
    for q in &moved {
        println!("moved: {q}");
        tracing::warn!(kept_in = %q.kept_in.display(), "repair: {}", q.what);
    }
    let head = parlog_core::EventStore::head(&store);
    store.close();
    let after = check_folder(data, options)?;
    print_report(&after);
    println!("repair done: {} item(s) moved to quarantine; head at position {}", moved.len(), head.position);
    Ok(if after.findings.is_empty() { 0 } else { 1 })
}

/// Asks on a terminal; refuses without one (scripts say `--yes`).
fn confirm() -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(Failure::Input(
            "repair changes the data folder: run it on a terminal to be asked, or add --yes".into(),
        ));
    }
    print!("go ahead? [y/N] ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| Failure::Input(e.to_string()))?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "j" | "ja"))
}

pub fn keys(data: &Path, options: &StoreOptions, cmd: KeysCommand) -> Result<i32> {
    match cmd {
        KeysCommand::RotateMaster { new_key_file, new_passphrase_env } => {
            let new = match (new_key_file, new_passphrase_env) {
                (Some(f), None) => {
                    if f.exists() {
                        return Err(Failure::Input(format!(
                            "{} exists; name a new file, so that the old key is not overwritten before the key file is rewrapped",
                            f.display()
                        )));
                    }
                    MasterKeySource::File(f)
                }
                (None, Some(var)) => MasterKeySource::Passphrase(std::env::var(&var).map_err(|_| {
                    Failure::Input(format!("the environment variable {var} is not set; put the new passphrase in it"))
                })?),
                _ => return Err(Failure::Input("give --new-key-file FILE or --new-passphrase-env VAR".into())),
            };
            // One master key wraps the keys of every study: each study's key file is rewrapped
            // in turn. A study found wrapped with the new key already (by a run that was
            // interrupted) is left as it is. With a passphrase, running the command again
            // finishes such a run; with a key file it does not yet (the file exists by then, and
            // the command refuses an existing file rather than overwrite a key).
            let new_options = StoreOptions { master_key: new.clone() };
            let backend = super::backend()?;
            for StudyAt { label, slug, folder } in study_folders(data)? {
                match backend.open(&folder, slug.as_ref(), options) {
                    Ok(store) => {
                        store.rotate_master_key(&new)?;
                        store.close();
                        println!("study {label}: the subject keys are now wrapped with {}", new.describe());
                    }
                    Err(StudiesError::Store(StoreError::Keys(KeyFileError::WrongMasterKey { .. })))
                        if backend.open(&folder, slug.as_ref(), &new_options).map(|s| s.close()).is_ok() =>
                    {
                        println!("study {label}: already wrapped with {}", new.describe());
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            match &new {
                MasterKeySource::File(f) => println!(
                    "from now on, give --master-key-file {} (or PARLOG_MASTER_KEY_FILE), or move it to {}; keep the old key until you have checked with `parlog verify`",
                    f.display(),
                    MasterKeySource::default_file(data).display()
                ),
                MasterKeySource::Passphrase(_) => {
                    println!("from now on, set PARLOG_MASTER_PASSPHRASE to the new passphrase")
                }
            }
            Ok(0)
        }
    }
}
