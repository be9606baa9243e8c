//! `verify`, `repair` and `keys`: checking a data folder, mending it, and its master key.

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
    RotateMaster {
        #[arg(long, conflicts_with = "new_passphrase_env")]
        new_key_file: Option<PathBuf>,
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
        out.insert(0, StudyAt { label: super::shown_slug(None), slug: None, folder: data.to_path_buf() });
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
    notes.iter().for_each(|n| note(n));
    findings.iter().for_each(|f| damaged(&finding(f)));
    let mut failed = !findings.is_empty();
    for n in orphans(data, &folders) {
        note(&n);
    }
    if wanted.is_none() {
        for slug in backend.database_studies()?.iter().filter(|d| !folders.iter().any(|s| s.slug.as_ref() == Some(*d)))
        {
            note(&t!("verify-only-in-database", slug = slug.to_string()));
        }
    }
    let many = folders.len() > 1;
    for study in &folders {
        if many {
            println!("{}", t!("verify-study", study = study.label.clone()));
        }
        failed |= match backend {
            Backend::Embedded => verify_folder(study, options)?,
            Backend::Postgres(db) => verify_in_database(db, study, options)?,
        };
    }
    if folders.is_empty() {
        println!("{}", t!("verify-no-studies"));
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
            runs: String::new(),
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
            eprintln!("{}", t!("verify-failed-because", why = e.to_string()));
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
            runs: String::new(),
        }
        .into());
    };
    if db.study_events(slug)?.is_none() {
        damaged(
            Failure::from(StudiesError::NotInDatabase { study: slug.to_string(), database: db.shown().to_string() })
                .message(),
        );
        return Ok(true);
    }
    if kept == Kept::Nothing {
        let missing = StudiesError::NoKeyFolder { study: slug.to_string(), folder: study.folder.display().to_string() };
        damaged(Failure::from(missing).message());
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
            eprintln!("{}", t!("verify-failed-because", why = e.to_string()));
            Ok(true)
        }
    }
}

fn print_database_report(db: &PgDatabase, r: &VerifyReport, keys: &KeysReport, checkpoint: Option<&Finding>) {
    for n in &keys.notes {
        note(n);
    }
    if let Some((position, why)) = &r.first_bad {
        damaged(&t!(
            "verify-chain-damaged",
            database = db.shown().to_string(),
            position = position.0,
            why = why.clone()
        ));
    }
    for f in &keys.findings {
        damaged(f);
    }
    if let Some(f) = checkpoint {
        damaged(&finding(f));
    }
    let findings = usize::from(r.first_bad.is_some()) + keys.findings.len() + usize::from(checkpoint.is_some());
    if findings == 0 {
        println!(
            "{}",
            t!(
                "verify-ok-postgres",
                events = r.events,
                head = r.head.hash.to_string(),
                keys = keys.keys,
                database = db.shown().to_string()
            )
        );
    } else {
        eprintln!("{}", t!("verify-failed-postgres", findings = findings, events = r.events));
    }
}

/// A finding in a sentence: the file, where in it, what is wrong (parlog-core's words) and what
/// to do.
fn finding(f: &Finding) -> String {
    let mut at = f.file.clone();
    if let Some(p) = f.position {
        at += &t!("finding-position", position = p.0);
    }
    if let Some(o) = f.offset {
        at += &t!("finding-offset", offset = o);
    }
    match f.fix.is_empty() {
        true => format!("{at}: {}", f.what),
        false => format!("{at}: {}. {}", f.what, f.fix),
    }
}

/// A note of a check: worth knowing, not damage.
fn note(n: &str) {
    println!("{} {n}", t!("verify-note"));
}

/// A finding of a check: damage.
fn damaged(f: &str) {
    eprintln!("{} {f}", t!("verify-damaged"));
}

/// Folders in `studies/` that the registry does not name: a create interrupted before its
/// registry entry (an empty store), or something put there by hand.
fn orphans(data: &Path, known: &[StudyAt]) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(data.join(studies::STUDIES_DIR)) else { return Vec::new() };
    dir.filter_map(|e| e.ok())
        .filter(|e| !known.iter().any(|s| s.folder == e.path()))
        .map(|e| t!("verify-orphan", folder = e.path().display().to_string()))
        .collect()
}

/// The projections' checkpoint is a cache, but a damaged one is named like any other damage.
fn checkpoint_finding(folder: &Path) -> Option<Finding> {
    let finding = |what: String| Finding {
        file: "projections/checkpoint.bin".into(),
        position: None,
        offset: None,
        what,
        fix: t!("checkpoint-fix"),
    };
    match parlog_projections::check_checkpoint(&folder.join("projections")) {
        Ok(None) => None,
        Ok(Some(why)) => Some(finding(t!("checkpoint-damaged", why = why))),
        Err(e) => Some(finding(e.to_string())),
    }
}

fn print_report(r: &FolderReport) {
    for n in &r.notes {
        note(n);
    }
    for f in &r.findings {
        damaged(&finding(f));
    }
    if r.findings.is_empty() {
        println!(
            "{}",
            t!(
                "verify-ok",
                events = r.events,
                head = r.head.hash.to_string(),
                keys = r.keys.keys,
                open = r.sealed_open,
                forgotten = r.sealed_forgotten,
                nokey = r.sealed_no_key
            )
        );
    } else {
        eprintln!("{}", t!("verify-failed", findings = r.findings.len(), events = r.events));
    }
}

/// Says what repair will change, asks (or takes `--yes`), then mends and says what it did.
pub fn repair(study: impl FnOnce() -> Result<Selected>, options: &StoreOptions, yes: bool) -> Result<i32> {
    if super::on_postgres() {
        return Err(Failure::Input(t!("repair-on-postgres")));
    }
    let study = &study()?;
    let at = StudyAt {
        label: super::shown_slug(study.slug.as_ref()),
        slug: study.slug.clone(),
        folder: study.folder.clone(),
    };
    same_store(&at, kept_in(&study.folder), Kept::Embedded)?;
    if super::backend()?.held(&study.folder) {
        return Err(super::held(study.slug.as_ref()));
    }
    let data = study.folder.as_path();
    let report = match check_folder(data, options) {
        Ok(r) => Some(r),
        Err(e @ (StoreError::NotInitialised(_) | StoreError::Locked(_))) => return Err(e.into()),
        Err(e) => {
            println!("{}", t!("repair-check-failed", why = e.to_string()));
            None
        }
    };
    if let Some(r) = &report {
        if r.findings.is_empty() && !r.notes.iter().any(|n| n.contains("unfinished write") || n.contains("cut short")) {
            print_report(r);
            println!("{}", t!("repair-nothing"));
            return Ok(0);
        }
        for f in &r.findings {
            println!("{} {}", t!("repair-found"), finding(f));
        }
    }
    println!("{}", t!("repair-plan", folder = data.display().to_string()));
    if !yes {
        if !super::on_terminal() {
            return Err(Failure::Input(t!("repair-needs-yes")));
        }
        if !super::confirm(&t!("repair-ask"), &["y", "yes", "j", "ja"])? {
            println!("{}", t!("nothing-changed"));
            return Ok(2);
        }
    }
    let (store, moved) = SledStore::repair(data, options)?;
    for q in &moved {
        println!("{} {q}", t!("repair-moved"));
        tracing::warn!(kept_in = %q.kept_in.display(), "repair: {}", q.what);
    }
    let head = parlog_core::EventStore::head(&store);
    store.close();
    let after = check_folder(data, options)?;
    print_report(&after);
    println!("{}", t!("repair-done", moved = moved.len(), position = head.position.0));
    Ok(if after.findings.is_empty() { 0 } else { 1 })
}

pub fn keys(data: &Path, options: &StoreOptions, cmd: KeysCommand) -> Result<i32> {
    match cmd {
        KeysCommand::RotateMaster { new_key_file, new_passphrase_env } => {
            let new = match (new_key_file, new_passphrase_env) {
                (Some(f), None) => {
                    if f.exists() {
                        return Err(Failure::Input(t!("keys-file-exists", file = f.display().to_string())));
                    }
                    MasterKeySource::File(f)
                }
                (None, Some(var)) => MasterKeySource::Passphrase(
                    std::env::var(&var).map_err(|_| Failure::Input(t!("keys-env-missing", var = var.clone())))?,
                ),
                _ => return Err(Failure::Input(t!("keys-give-new"))),
            };
            // One master key wraps the keys of every study: each study's key file is rewrapped
            // in turn. A study found wrapped with the new key already (by a run that was
            // interrupted) is left as it is. With a passphrase, running the command again
            // finishes such a run; with a key file it does not yet (the file exists by then, and
            // the command refuses an existing file rather than overwrite a key).
            let new_options = StoreOptions { master_key: new.clone() };
            let backend = super::backend()?;
            let described = master_key(&new);
            for StudyAt { label, slug, folder } in study_folders(data)? {
                if backend.held(&folder) {
                    return Err(super::held(slug.as_ref()));
                }
                match backend.open(&folder, slug.as_ref(), options) {
                    Ok(store) => {
                        store.rotate_master_key(&new)?;
                        store.close();
                        println!("{}", t!("keys-rewrapped", study = label, key = described.clone()));
                    }
                    Err(StudiesError::Store(StoreError::Keys(KeyFileError::WrongMasterKey { .. })))
                        if backend.open(&folder, slug.as_ref(), &new_options).map(|s| s.close()).is_ok() =>
                    {
                        println!("{}", t!("keys-already", study = label, key = described.clone()));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            match &new {
                MasterKeySource::File(f) => println!(
                    "{}",
                    t!(
                        "keys-from-now-file",
                        file = f.display().to_string(),
                        default = MasterKeySource::default_file(data).display().to_string()
                    )
                ),
                MasterKeySource::Passphrase(_) => println!("{}", t!("keys-from-now-passphrase")),
            }
            Ok(0)
        }
    }
}

/// A master key, for people.
pub(super) fn master_key(source: &MasterKeySource) -> String {
    match source {
        MasterKeySource::File(p) => t!("master-key-file", file = p.display().to_string()),
        MasterKeySource::Passphrase(_) => t!("master-key-passphrase", var = parlog_core::MASTER_PASSPHRASE_ENV),
    }
}
