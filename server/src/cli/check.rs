//! `verify`, `repair` and `keys`: checking a data folder, mending it, and its master key.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Subcommand;
use parlog_core::{
    check_folder, FolderReport, KeyFileError, MasterKeySource, SledStore, StoreError, StoreOptions, StudySlug,
};

use super::{Failure, Result};
use crate::http::auth::{StudyLocation, Tokens};
use crate::studies;

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

/// The studies' folders, read without writing anything: the registry's, and the root study of
/// a folder of the previous release that is not in it yet (not opened to name it: opening could
/// recover, and checking changes nothing).
fn study_folders(data: &Path) -> Result<Vec<(String, PathBuf)>> {
    let layout = studies::layout(data);
    if layout == studies::Layout::None {
        return Err(studies::StudiesError::NotInitialised(data.display().to_string()).into());
    }
    let registry = Tokens::studies_read_only(data).map_err(|e| Failure::Check(e.to_string()))?;
    let mut out: Vec<(String, PathBuf)> =
        registry.iter().map(|s| (s.slug.to_string(), studies::study_folder(data, s))).collect();
    if layout == studies::Layout::Root && !registry.iter().any(|s| s.location == StudyLocation::Root) {
        out.insert(0, ("(the data folder's own study)".into(), data.to_path_buf()));
    }
    Ok(out)
}

/// Checks the data folder without changing it: the institute journal (tokens and the study
/// registry) and every study (or the one named); exit 1 on any finding.
pub fn verify_all(data: &Path, wanted: Option<&StudySlug>, options: &StoreOptions) -> Result<i32> {
    let mut folders = study_folders(data)?;
    if let Some(w) = wanted {
        let known: Vec<String> = folders.iter().map(|(s, _)| s.clone()).collect();
        folders.retain(|(s, _)| s == w.as_str());
        if folders.is_empty() {
            return Err(studies::StudiesError::Unknown { slug: w.to_string(), known }.into());
        }
    }
    // The journal is the server's; it is held to the log's standard all the same.
    let (findings, notes) = Tokens::findings(data);
    notes.iter().for_each(|n| println!("note: {n}"));
    findings.iter().for_each(|f| eprintln!("damaged: {f}"));
    let mut failed = !findings.is_empty();
    for note in orphans(data, &folders) {
        println!("note: {note}");
    }
    let many = folders.len() > 1;
    for (slug, folder) in &folders {
        if many {
            println!("study {slug}:");
        }
        match check_folder(folder, options) {
            Ok(mut r) => {
                checkpoint_finding(folder, &mut r);
                print_report(&r);
                failed |= !r.findings.is_empty();
            }
            Err(e @ (StoreError::NotInitialised(_) | StoreError::Locked(_))) => return Err(e.into()),
            Err(e) => {
                eprintln!("verify failed: {e}");
                failed = true;
            }
        }
    }
    if folders.is_empty() {
        println!("ok: no studies yet");
    }
    Ok(if failed { 1 } else { 0 })
}

/// Folders in `studies/` that the registry does not name: a create interrupted before its
/// registry entry (an empty store), or something put there by hand.
fn orphans(data: &Path, known: &[(String, PathBuf)]) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(data.join(studies::STUDIES_DIR)) else { return Vec::new() };
    dir.filter_map(|e| e.ok())
        .filter(|e| !known.iter().any(|(_, f)| f == &e.path()))
        .map(|e| format!("{}: not a study in the registry (an interrupted `parlog study create` leaves an empty one, which the next create of that slug takes over); it was not checked", e.path().display()))
        .collect()
}

/// The projections' checkpoint is a cache, but a damaged one is named like any other damage.
fn checkpoint_finding(data: &Path, r: &mut FolderReport) {
    let finding = |what: String| {
        parlog_core::Finding {
        file: "projections/checkpoint.bin".into(),
        position: None,
        offset: None,
        what,
        fix: "It is a cache: the next `parlog serve` or `parlog project` moves it to quarantine and rebuilds it from the log".into(),
    }
    };
    match parlog_projections::check_checkpoint(&data.join("projections")) {
        Ok(None) => {}
        Ok(Some(why)) => r.findings.push(finding(format!("the projections' checkpoint is damaged: {why}"))),
        Err(e) => r.findings.push(finding(e.to_string())),
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

/// Says what repair will change, asks (or takes `--yes`), then mends and says what it did.
pub fn repair(data: &Path, options: &StoreOptions, yes: bool) -> Result<i32> {
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
            for (slug, folder) in study_folders(data)? {
                match SledStore::open_with(&folder, options) {
                    Ok(store) => {
                        store.rotate_master_key(&new)?;
                        store.close();
                        println!("study {slug}: the subject keys are now wrapped with {}", new.describe());
                    }
                    Err(StoreError::Keys(KeyFileError::WrongMasterKey { .. }))
                        if SledStore::open_with(&folder, &new_options).map(|s| s.close()).is_ok() =>
                    {
                        println!("study {slug}: already wrapped with {}", new.describe());
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
