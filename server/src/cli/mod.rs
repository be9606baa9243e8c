//! The `parlog` command line: the commands' definitions, dispatch to one module per command,
//! opening the store, and the exit codes: 0 ok, 1 a check failed or storage failed, 2 bad usage
//! or bad input.

mod append;
mod check;
mod compare;
pub mod demo;
mod forget;
mod init;
mod io;
mod log;
mod project;
mod retrospective;
mod serve;
mod show;
mod stats;
mod study;
mod token;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use parlog_core::{AppendError, KeyFileError, MasterKeySource, SledStore, StoreError, StoreOptions, StudySlug};

use crate::http::auth::TokenFileError;
use crate::studies::{self, Selected, StudiesError};

/// How a command failed, which fixes the exit code.
#[derive(Debug)]
pub enum Failure {
    /// A check failed (verify) or storage failed: exit 1.
    Check(String),
    /// The user's input or usage is wrong: exit 2.
    Input(String),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        let hint = store_hint(&e).unwrap_or_default();
        match e {
            StoreError::NotInitialised(_) | StoreError::Locked(_) => Failure::Input(format!("{e}{hint}")),
            e => Failure::Check(format!("{e}{hint}")),
        }
    }
}

impl From<StudiesError> for Failure {
    fn from(e: StudiesError) -> Self {
        let hint = match &e {
            StudiesError::NotInitialised(_) => "; run `parlog init` (or `parlog --data DIR init`) first",
            StudiesError::NoStudy { .. } => {
                "; create one with `parlog study create SLUG --name \"…\" --municipality \"…\"`, or load the demo with `parlog demo`"
            }
            StudiesError::Ambiguous { .. } => "; give --study SLUG (or set PARLOG_STUDY); `parlog study list` shows them",
            StudiesError::Unknown { .. } => "; `parlog study create` makes one",
            _ => "",
        };
        match e {
            StudiesError::Store(s) => s.into(),
            StudiesError::Registry(r @ (TokenFileError::StudyExists { .. } | TokenFileError::NoSuchStudy { .. })) => {
                Failure::Input(r.to_string())
            }
            StudiesError::Registry(r) => Failure::Check(r.to_string()),
            StudiesError::Io { .. } => Failure::Check(e.to_string()),
            e => Failure::Input(format!("{e}{hint}")),
        }
    }
}

/// What to do next, in terms of this command line. parlog-core states the fact only: it knows
/// no terminal, and the same error reaches the HTTP API, where these commands mean nothing.
fn store_hint(e: &StoreError) -> Option<&'static str> {
    Some(match e {
        StoreError::Locked(_) => "; stop it, or use another --data folder",
        StoreError::NotInitialised(_) => "; run `parlog init` (or `parlog --data DIR init`) first",
        StoreError::Corrupt(_) => "; run `parlog verify` to name every damaged place",
        StoreError::DamagedLastGroup(_) => "; run `parlog repair` to move the damaged bytes to quarantine",
        StoreError::Keys(KeyFileError::Damaged { .. }) => "; run `parlog repair` to restore it from the other copy",
        _ => return None,
    })
}

impl From<AppendError> for Failure {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::Store(s) => s.into(),
            // Parsing checks the kind's name before the store sees it, so a refused `kind` from
            // the store is always a kind that only parlog writes: SubjectForgotten.
            AppendError::Invalid { ref error, .. } if error.field == "kind" => {
                Failure::Input(format!("{e}; to forget a data subject, use `parlog forget`"))
            }
            e => Failure::Input(e.to_string()),
        }
    }
}

type Result<T> = std::result::Result<T, Failure>;

#[derive(Parser)]
#[command(name = "parlog", version, about = "An event-sourced, tamper-evident log for participatory action research")]
struct Cli {
    /// The data folder.
    #[arg(long, global = true, env = "PARLOG_DATA", default_value = "./parlog-data")]
    data: PathBuf,
    /// The master key file that wraps the subject keys [default: DATA.master-key beside the data
    /// folder; or a passphrase in PARLOG_MASTER_PASSPHRASE].
    #[arg(long, global = true, env = "PARLOG_MASTER_KEY_FILE")]
    master_key_file: Option<PathBuf>,
    /// The study a command acts on (`parlog study list` shows them); needed only when the data
    /// folder holds more than one.
    #[arg(long, global = true, env = "PARLOG_STUDY", value_parser = parse_study)]
    study: Option<StudySlug>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the data folder (does nothing if it exists); add studies with `parlog study create`.
    Init,
    /// Create, list or archive the studies of the data folder.
    #[command(subcommand)]
    Study(study::StudyCommand),
    /// Append events from FILE (or standard input with `-`): NDJSON or a JSON array, one atomic
    /// batch. Prints each event's position and id.
    Append(append::AppendArgs),
    /// List events of the log.
    Log(log::LogArgs),
    /// Show one event by id, with its sealed part if it can be opened.
    Show(show::ShowArgs),
    /// Check the whole data folder without changing it: the hash chain, commits, the indexes,
    /// both copies of the key file and every sealed part. Exit 1 naming every finding.
    Verify,
    /// Mend what can be mended without losing an acknowledged event: restore a damaged copy of
    /// the key file from the other, rebuild damaged indexes, move a damaged last group out of
    /// the log. Every byte taken out is kept in the quarantine folder. Says what it will change
    /// first.
    Repair {
        /// Do it without asking (for scripts).
        #[arg(long)]
        yes: bool,
    },
    /// The master key that wraps the subject keys.
    #[command(subcommand)]
    Keys(check::KeysCommand),
    /// Write the log as NDJSON with full envelopes, hashes and sealed bytes.
    Export {
        /// Output file; standard output if absent.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also write the subjects' keys, so that sealed data can be read after import. Treat
        /// such an export as personal data.
        #[arg(long)]
        with_keys: bool,
    },
    /// Import an export. Checks the chain; importing the same file again changes nothing.
    Import { file: PathBuf },
    /// Destroy a data subject's key and sealed data; the log records who asked and when.
    Forget(forget::ForgetArgs),
    /// Load the demo log (the Gouda story) into the data folder, or a demo-style file of your
    /// own (a JSON array of events that may use `@label` ids).
    Demo(demo::DemoArgs),
    // The names are not listed here: they come from the projections' registry, and a copy
    // would drift from it. An unknown name is answered with the list.
    /// Show a projection, by name, as text or JSON (an unknown name lists the projections).
    Project(project::ProjectArgs),
    /// Compare studies side by side: the role, initiatives, method changes and lessons by theme,
    /// each statement citing its study and events (HTML, Markdown or JSON).
    Compare(compare::CompareArgs),
    /// Write the handreiking-style retrospective (Markdown or one self-contained HTML file).
    Retrospective(retrospective::RetroArgs),
    /// Run the HTTP server with the web interface.
    Serve(serve::ServeArgs),
    /// Create, list or revoke API tokens, and give them roles in studies.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// Counts of events, streams and kinds.
    Stats(stats::StatsArgs),
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(Failure::Check(m)) => {
            eprintln!("error: {m}");
            1
        }
        Err(Failure::Input(m)) => {
            eprintln!("error: {m}");
            2
        }
    }
}

fn run(cli: Cli) -> Result<i32> {
    let data = cli.data.as_path();
    OPTIONS
        .set(match &cli.master_key_file {
            Some(f) => StoreOptions { master_key: MasterKeySource::File(f.clone()) },
            None => StoreOptions::from_env(data),
        })
        .expect("options are set once");
    if !matches!(cli.command, Command::Verify) {
        studies::tighten_permissions(data)?;
    }
    let wanted = cli.study.as_ref();
    // The study a command acts on, chosen without writing anything.
    let study = || -> Result<Selected> { Ok(studies::select_read_only(data, wanted, options())?) };
    let writable = || -> Result<PathBuf> {
        let s = study()?;
        if s.archived() {
            let slug = s.record.as_ref().map(|r| r.slug.to_string()).unwrap_or_default();
            return Err(Failure::Input(format!(
                "study {slug} is archived: it can be read, verified and exported, and takes no more events"
            )));
        }
        Ok(s.folder)
    };
    match cli.command {
        Command::Init => init::run(data),
        Command::Study(cmd) => study::run(data, options(), cmd),
        Command::Append(args) => append::run(&writable()?, args),
        Command::Log(args) => log::run(&study()?.folder, args),
        Command::Show(args) => show::run(&study()?.folder, args),
        Command::Verify => check::verify_all(data, wanted, options()),
        Command::Repair { yes } => check::repair(&study()?.folder, options(), yes),
        Command::Keys(cmd) => check::keys(data, options(), cmd),
        Command::Export { out, with_keys } => io::export(&open(&study()?.folder)?, out.as_deref(), with_keys),
        Command::Import { file } => io::import(&open(&writable()?)?, &file),
        // A study's archive does not hold back a data subject's right to be forgotten.
        Command::Forget(args) => forget::run(&study()?.folder, args),
        Command::Stats(args) => stats::run(&study()?.folder, args),
        Command::Demo(args) => demo::run(data, wanted, args),
        Command::Project(args) => project::run(|| Ok(study()?.folder), args),
        Command::Serve(args) => serve::serve(data, wanted, args),
        Command::Compare(args) => compare::run(data, options(), args),
        Command::Token(cmd) => token::run(data, wanted, cmd),
        Command::Retrospective(args) => retrospective::run(|| Ok(study()?.folder), args),
    }
}

/// Writes a report to `out` (saying so on standard error), or to standard output.
fn write_out(out: Option<&Path>, text: &str) -> Result<i32> {
    match out {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| Failure::Input(format!("cannot write {}: {e}", path.display())))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(0)
}

fn parse_study(s: &str) -> std::result::Result<StudySlug, String> {
    StudySlug::parse(s)
}

/// How this run opens stores (the master key), set once from the command line.
static OPTIONS: std::sync::OnceLock<StoreOptions> = std::sync::OnceLock::new();

fn options() -> &'static StoreOptions {
    OPTIONS.get().expect("set at the start of run")
}

fn open(data: &Path) -> Result<SledStore> {
    let store = SledStore::open_with(data, options())?;
    tell_recovered(&store);
    Ok(store)
}

/// Says on stderr (and in the server's log) what opening moved to quarantine: nothing leaves a
/// data folder unannounced.
fn tell_recovered(store: &SledStore) {
    for q in store.recovered() {
        eprintln!("parlog: recovery: {q}");
        tracing::warn!(kept_in = %q.kept_in.display(), source = %q.source, from = q.from, to = q.to, "recovery: {}", q.what);
    }
    if let Some(copy) = store.keys_restored() {
        eprintln!(
            "parlog: recovery: `{copy}` was missing or empty and was written again from the other copy of the key file"
        );
        tracing::warn!(copy, "recovery: a copy of the key file was written again from the other");
    }
    if store.keys_migrated() {
        eprintln!(
            "parlog: the key file was in the first format (keys in the clear); it is now wrapped with the master key"
        );
        tracing::warn!("the key file was rewritten wrapped with the master key");
    }
}
