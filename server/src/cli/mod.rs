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
mod migrate;
mod project;
mod retrospective;
mod serve;
mod show;
mod stats;
mod study;
mod token;

use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use parlog_core::{AnyStore, AppendError, KeyFileError, MasterKeySource, StoreError, StoreOptions, StudySlug};

use crate::backend::{Access, Backend, Kept, StoreAddress};
use crate::http::auth::{StudyRecord, TokenFileError};
use crate::studies::{self, Selected, StudiesError};

/// How a command failed, which fixes the exit code.
#[derive(Debug)]
pub enum Failure {
    /// A check failed (verify) or storage failed: exit 1.
    Check(String),
    /// The user's input or usage is wrong: exit 2.
    Input(String),
}

impl Failure {
    /// What is said to the user.
    pub fn message(&self) -> &str {
        match self {
            Failure::Check(m) | Failure::Input(m) => m,
        }
    }
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
            StudiesError::WrongStore { kept: Kept::Postgres, .. } => {
                "; give --store with the database's postgres:// address (or set PARLOG_STORE), or copy the study out of it with `parlog migrate`"
            }
            StudiesError::WrongStore { .. } => {
                "; run the command without --store (and without PARLOG_STORE), or copy the study into the database with `parlog migrate`"
            }
            StudiesError::NotInDatabase { .. } => {
                "; check that --store (PARLOG_STORE) names the database this data folder's studies are kept in, or bring the study back (`parlog migrate` from a copy, or a restore of a PostgreSQL backup)"
            }
            StudiesError::NoKeyFolder { .. } => "; restore it from a backup of the data folder",
            _ => "",
        };
        match e {
            StudiesError::Store(s) => s.into(),
            StudiesError::NotInDatabase { .. } | StudiesError::NoKeyFolder { .. } => {
                Failure::Check(format!("{e}{hint}"))
            }
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
        StoreError::Postgres(_) => {
            "; check that PostgreSQL runs and that --store (PARLOG_STORE) names the right database, then try again (an append sent again with the same event ids is stored once)"
        }
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
    /// Where the studies' events are kept: the embedded store in the data folder (the default; a
    /// folder given here is the data folder), or a PostgreSQL database such as
    /// postgres://parlog@db.example/parlog, which then holds every study's events while the data
    /// folder keeps the tokens, the study registry and each study's subject keys.
    #[arg(long, global = true, env = "PARLOG_STORE")]
    store: Option<String>,
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
    /// Copy studies with their chains from one store to another (a data folder's embedded store
    /// or a PostgreSQL database, either way), checking the head on both sides; never overwrites.
    ///
    /// Every event keeps its id, times, position and hash; the subject keys go along into the
    /// target's key files, wrapped with the target's master key. Afterwards each study's head
    /// (position and hash) must be the same on both sides. The source is not changed.
    ///
    /// Where the keys go: a study's folder studies/<slug>/ holds its log in the embedded store
    /// and its subject keys with PostgreSQL, so the source and the target each need a data
    /// folder of their own. Into PostgreSQL: `parlog migrate --from ./parlog-data --to
    /// postgres://… --to-data ./parlog-pg`, then work with `parlog --data ./parlog-pg --store
    /// postgres://…`. Back: `parlog migrate --from postgres://… --from-data ./parlog-pg --to
    /// ./parlog-back`.
    ///
    /// Every study (all of the source's, or the one --study names) is looked at first: a
    /// target study that has events is refused (exit 2) and nothing is written. A study enters
    /// the target's registry last, once its copy is checked; a copy that stopped half way is
    /// taken up again by the same command. Tokens are not copied: give people access to the
    /// target with `parlog token create`.
    Migrate(migrate::MigrateArgs),
}

pub fn main() -> i32 {
    let parsed = Cli::command().try_get_matches().and_then(|m| Ok((Cli::from_arg_matches(&m)?, m)));
    let (cli, matches) = match parsed {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    // Whether --data (or PARLOG_DATA) was given, rather than its default.
    let data_given = matches.value_source("data").is_some_and(|s| s != ValueSource::DefaultValue);
    match run(cli, data_given) {
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

/// The data folder and the store: `--store DIR` is the data folder (the embedded store), and may
/// not contradict a `--data` that was given.
fn data_and_store(cli: &Cli, data_given: bool) -> Result<(PathBuf, StoreAddress)> {
    // An empty PARLOG_STORE is no choice, as an unset one.
    let store = match cli.store.as_deref() {
        None | Some("") => None,
        Some(s) => Some(StoreAddress::parse(s).map_err(|m| Failure::Input(format!("--store: {m}")))?),
    };
    match &store {
        None => Ok((cli.data.clone(), StoreAddress::Folder(cli.data.clone()))),
        Some(StoreAddress::Folder(dir)) if data_given && dir != &cli.data => Err(Failure::Input(format!(
            "--store names the folder {} and --data (or PARLOG_DATA) the folder {}: a folder given to --store is the data folder; give one of them",
            dir.display(),
            cli.data.display()
        ))),
        Some(StoreAddress::Folder(dir)) => Ok((dir.clone(), StoreAddress::Folder(dir.clone()))),
        Some(pg) => Ok((cli.data.clone(), pg.clone())),
    }
}

fn run(cli: Cli, data_given: bool) -> Result<i32> {
    let (data, address) = data_and_store(&cli, data_given)?;
    let data = data.as_path();
    // `verify` changes nothing, not even parlog's schema in the database; `study list` writes
    // nothing either.
    let access = match &cli.command {
        Command::Verify | Command::Study(study::StudyCommand::List) => Access::ReadOnly,
        _ => Access::Write,
    };
    STORE.set((address, access)).expect("the store is set once");
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
    let writable = || -> Result<Selected> {
        let s = study()?;
        if s.archived() {
            let slug = s.record.as_ref().map(|r| r.slug.to_string()).unwrap_or_default();
            return Err(Failure::Input(format!(
                "study {slug} is archived: it can be read, verified and exported, and takes no more events"
            )));
        }
        Ok(s)
    };
    match cli.command {
        Command::Init => init::run(data),
        Command::Study(cmd) => study::run(data, options(), cmd),
        Command::Append(args) => append::run(&writable()?, args),
        Command::Log(args) => log::run(&study()?, args),
        Command::Show(args) => show::run(&study()?, args),
        Command::Verify => check::verify_all(data, wanted, options()),
        Command::Repair { yes } => check::repair(study, options(), yes),
        Command::Keys(cmd) => check::keys(data, options(), cmd),
        Command::Export { out, with_keys } => io::export(&open(&study()?)?, out.as_deref(), with_keys),
        Command::Import { file } => io::import(&open(&writable()?)?, &file),
        // A study's archive does not hold back a data subject's right to be forgotten.
        Command::Forget(args) => forget::run(&study()?, args),
        Command::Stats(args) => stats::run(&study()?, args),
        Command::Demo(args) => demo::run(data, wanted, args),
        Command::Project(args) => project::run(study, args),
        Command::Serve(args) => serve::serve(data, wanted, args),
        Command::Compare(args) => compare::run(data, options(), args),
        Command::Token(cmd) => token::run(data, wanted, cmd),
        Command::Retrospective(args) => retrospective::run(study, args),
        Command::Migrate(args) => migrate::run(data, cli.master_key_file.as_deref(), wanted, args),
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

/// Where this run keeps events, and whether it may write there; set once from the command line.
static STORE: std::sync::OnceLock<(StoreAddress, Access)> = std::sync::OnceLock::new();
/// The store, connected on first use (a command that needs none, such as `token`, works while
/// the database is down), once per process: every study shares the database's pool.
static BACKEND: std::sync::OnceLock<Backend> = std::sync::OnceLock::new();

/// The store this run keeps events in, connected.
fn backend() -> Result<&'static Backend> {
    if let Some(b) = BACKEND.get() {
        return Ok(b);
    }
    let (address, access) = STORE.get().expect("set at the start of run");
    let b = Backend::connect(address, *access)?;
    Ok(BACKEND.get_or_init(|| b))
}

/// Whether this run keeps events in PostgreSQL (known without connecting).
fn on_postgres() -> bool {
    matches!(STORE.get(), Some((StoreAddress::Postgres(_), _)))
}

/// Opens the store of the study a command acts on.
fn open(s: &Selected) -> Result<AnyStore> {
    let store = backend()?.open(&s.folder, s.slug.as_ref(), options())?;
    tell_recovered(&store);
    Ok(store)
}

/// Opens the store of a study of the registry.
fn open_record(data: &Path, record: &StudyRecord) -> Result<(AnyStore, PathBuf)> {
    let folder = studies::study_folder(data, record);
    let store = backend()?.open(&folder, Some(&record.slug), options())?;
    tell_recovered(&store);
    Ok((store, folder))
}

/// Says on stderr (and in the server's log) what opening moved to quarantine: nothing leaves a
/// data folder unannounced.
fn tell_recovered(store: &AnyStore) {
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
