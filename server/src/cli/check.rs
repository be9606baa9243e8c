//! `verify`, `repair` and `keys`: checking a data folder, mending it, and its master key.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Subcommand;
use parlog_core::{check_folder, FolderReport, MasterKeySource, SledStore, StoreError, StoreOptions};

use super::{Failure, Result};

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

/// Checks the folder without changing it; exit 1 on any finding.
pub fn verify(data: &Path, options: &StoreOptions) -> Result<i32> {
    let report = match check_folder(data, options) {
        Ok(mut r) => {
            // The token store is the server's; it is held to the log's standard all the same.
            let (findings, notes) = crate::http::auth::Tokens::findings(data);
            r.findings.extend(findings);
            r.notes.extend(notes);
            checkpoint_finding(data, &mut r);
            r
        }
        Err(e @ (StoreError::NotInitialised(_) | StoreError::Locked(_))) => return Err(e.into()),
        Err(e) => {
            eprintln!("verify failed: {e}");
            return Ok(1);
        }
    };
    print_report(&report);
    Ok(if report.findings.is_empty() { 0 } else { 1 })
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

pub fn keys(data: &Path, cmd: KeysCommand) -> Result<i32> {
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
            let store = super::open(data)?;
            store.rotate_master_key(&new)?;
            store.close();
            println!("the subject keys are now wrapped with {}", new.describe());
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
