//! The `parlog` command line: the commands' definitions, dispatch to one module per command,
//! opening the store, and the exit codes: 0 ok, 1 a check failed or storage failed, 2 bad usage
//! or bad input. Everything it says is in Dutch or English (`lang.rs`); the help texts of the
//! commands and options are in the Fluent files (`server/locales/`), not in the attributes here.

#[macro_use]
pub mod lang;
pub mod help;

mod append;
mod check;
mod compare;
pub mod demo;
mod forget;
mod init;
mod io;
mod log;
mod migrate;
mod notes;
mod project;
mod qda;
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
        match e {
            StoreError::Locked(what) => Failure::Input(t!("store-locked", what = what)),
            StoreError::NotInitialised(folder) => Failure::Input(t!("store-not-initialised", folder = folder)),
            StoreError::ReadOnly(_) => Failure::Input(t!("store-read-only")),
            e => {
                let hint = store_hint(&e).unwrap_or_default();
                Failure::Check(format!("{e}{hint}"))
            }
        }
    }
}

/// A list of names for a message, or "none".
fn names(list: &[String]) -> String {
    if list.is_empty() {
        t!("list-none")
    } else {
        list.join(", ")
    }
}

impl From<StudiesError> for Failure {
    fn from(e: StudiesError) -> Self {
        match e {
            StudiesError::Store(s) => s.into(),
            StudiesError::NotInitialised(folder) => Failure::Input(t!("studies-not-initialised", folder = folder)),
            StudiesError::NotEmpty(folder) => Failure::Input(t!("studies-not-empty", folder = folder)),
            StudiesError::NoStudy { data } => Failure::Input(t!("studies-none", folder = data)),
            StudiesError::Ambiguous { slugs } => {
                Failure::Input(t!("studies-ambiguous", count = slugs.len(), slugs = slugs.join(", ")))
            }
            StudiesError::Unknown { slug, known } => {
                Failure::Input(t!("studies-unknown", slug = slug, known = names(&known)))
            }
            StudiesError::Orphan { slug, folder } => Failure::Input(t!("studies-orphan", slug = slug, folder = folder)),
            StudiesError::OrphanInDatabase { slug, database, events } => {
                Failure::Input(t!("studies-orphan-database", slug = slug, database = database, events = events))
            }
            StudiesError::WrongStore { study, folder, kept, runs: _ } => {
                let id = match kept {
                    Kept::Postgres => "studies-wrong-store-postgres",
                    _ => "studies-wrong-store-embedded",
                };
                let runs = STORE
                    .get()
                    .map(|(a, _)| match a {
                        StoreAddress::Folder(_) => t!("store-embedded"),
                        StoreAddress::Postgres(_) => t!("store-postgres", address = a.shown()),
                    })
                    .unwrap_or_default();
                let pairs = [("study", study), ("folder", folder), ("kept", describe_kept(kept)), ("runs", runs)];
                Failure::Input(lang::text(id, Some(&args(&pairs))))
            }
            StudiesError::NotInDatabase { study, database } => {
                Failure::Check(t!("studies-not-in-database", study = study, database = database))
            }
            StudiesError::NoKeyFolder { study, folder } => {
                Failure::Check(t!("studies-no-key-folder", study = study, folder = folder))
            }
            StudiesError::Name { what } => {
                Failure::Input(t!("studies-name", what = what, max = crate::http::auth::STUDY_NAME_CHARS_MAX))
            }
            StudiesError::Registry(r) => r.into(),
            e @ StudiesError::Io { .. } => Failure::Check(e.to_string()),
        }
    }
}

impl From<TokenFileError> for Failure {
    fn from(e: TokenFileError) -> Self {
        match e {
            TokenFileError::StudyExists { slug } => Failure::Input(t!("study-exists", slug = slug)),
            TokenFileError::NoSuchStudy { slug } => Failure::Input(t!("study-no-such", slug = slug)),
            // Damage and I/O of the journal: the file's own words, naming it.
            e => Failure::Check(e.to_string()),
        }
    }
}

/// Fluent arguments from pairs of strings.
fn args(pairs: &[(&'static str, String)]) -> fluent_bundle::FluentArgs<'static> {
    let mut a = fluent_bundle::FluentArgs::new();
    for (k, v) in pairs {
        a.set(*k, v.clone());
    }
    a
}

/// What to do next, in terms of this command line. parlog-core states the fact only: it knows
/// no terminal, and the same error reaches the HTTP API, where these commands mean nothing.
fn store_hint(e: &StoreError) -> Option<String> {
    Some(match e {
        StoreError::Corrupt(_) => t!("hint-corrupt"),
        StoreError::DamagedLastGroup(_) => t!("hint-damaged-last-group"),
        StoreError::Keys(KeyFileError::Damaged { .. }) => t!("hint-keys-damaged"),
        StoreError::Postgres(_) => t!("hint-postgres"),
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
                Failure::Input(format!("{e}{}", t!("hint-use-forget")))
            }
            e => Failure::Input(e.to_string()),
        }
    }
}

type Result<T> = std::result::Result<T, Failure>;

// The help of every command and option is in the Fluent files (`help.rs` says where).
#[derive(Parser)]
#[command(name = "parlog", version)]
struct Cli {
    #[arg(long, global = true, env = "PARLOG_DATA", default_value = "./parlog-data")]
    data: PathBuf,
    #[arg(long, global = true, env = "PARLOG_STORE")]
    store: Option<String>,
    #[arg(long, global = true, env = "PARLOG_MASTER_KEY_FILE")]
    master_key_file: Option<PathBuf>,
    #[arg(long, global = true, env = "PARLOG_STUDY", value_parser = parse_study)]
    study: Option<StudySlug>,
    /// Read before clap parses (`lang::choose_from`); here so that clap knows it. Checked as the
    /// API checks its `lang`, with the same words.
    #[arg(long, global = true, env = "PARLOG_LANG")]
    lang: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Init,
    #[command(subcommand)]
    Study(study::StudyCommand),
    Append(append::AppendArgs),
    Log(log::LogArgs),
    Show(show::ShowArgs),
    Notes(notes::NotesArgs),
    Verify,
    Repair {
        #[arg(long)]
        yes: bool,
    },
    #[command(subcommand)]
    Keys(check::KeysCommand),
    Export {
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long)]
        with_keys: bool,
        #[arg(long, value_parser = ["parlog", "qdpx", "qdc"], default_value = "parlog")]
        format: String,
    },
    Import {
        file: PathBuf,
        #[arg(long, value_parser = ["parlog", "qdpx"], default_value = "parlog")]
        format: String,
        #[arg(long)]
        author: Option<String>,
        #[arg(long)]
        yes: bool,
    },
    Forget(forget::ForgetArgs),
    Demo(demo::DemoArgs),
    // The projections' names are not listed in its help: they come from the projections'
    // registry, and a copy would drift from it. An unknown name is answered with the list.
    Project(project::ProjectArgs),
    Compare(compare::CompareArgs),
    Retrospective(retrospective::RetroArgs),
    Serve(serve::ServeArgs),
    #[command(subcommand)]
    Token(token::TokenCommand),
    Stats(stats::StatsArgs),
    Migrate(migrate::MigrateArgs),
}

/// The command line's definition, built, with its texts in the language chosen
/// (`lang::choose`).
pub fn command() -> clap::Command {
    // Twice: before clap builds the tree, so that it sees which commands have a long help (it
    // decides that when it builds), and after, for the options it adds (`--help`, `--version`)
    // and those given to every command, which it copies to each.
    let mut cmd = help::localise(Cli::command());
    cmd.build();
    help::localise(cmd)
}

pub fn main() -> i32 {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    lang::choose(lang::choose_from(&argv, |name| std::env::var_os(name)));
    let matches = match command().try_get_matches_from(argv) {
        Ok(m) => m,
        Err(e) => return help::report(&e),
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => return help::report(&e),
    };
    // Whether --data (or PARLOG_DATA) was given, rather than its default.
    let data_given = matches.value_source("data").is_some_and(|s| s != ValueSource::DefaultValue);
    match run(cli, data_given) {
        Ok(code) => code,
        Err(Failure::Check(m)) => {
            eprintln!("{} {m}", t!("error-prefix"));
            1
        }
        Err(Failure::Input(m)) => {
            eprintln!("{} {m}", t!("error-prefix"));
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
        Some(StoreAddress::Folder(dir)) if data_given && dir != &cli.data => Err(Failure::Input(t!(
            "store-folder-conflict",
            store = dir.display().to_string(),
            data = cli.data.display().to_string()
        ))),
        Some(StoreAddress::Folder(dir)) => Ok((dir.clone(), StoreAddress::Folder(dir.clone()))),
        Some(pg) => Ok((cli.data.clone(), pg.clone())),
    }
}

fn run(cli: Cli, data_given: bool) -> Result<i32> {
    if cli.lang.is_some() {
        crate::request::LANG.word(cli.lang.as_deref()).map_err(project::request_failure)?;
    }
    lang::set_explicit(cli.lang.as_deref().and_then(lang::parse));
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
            return Err(Failure::Input(t!("study-archived", slug = slug)));
        }
        Ok(s)
    };
    match cli.command {
        Command::Init => init::run(data),
        Command::Study(cmd) => study::run(data, options(), cmd),
        Command::Append(args) => append::run(&writable()?, args),
        Command::Log(args) => log::run(&study()?, args),
        Command::Show(args) => show::run(&study()?, args),
        Command::Notes(args) => notes::run(&study()?, args),
        Command::Verify => check::verify_all(data, wanted, options()),
        Command::Repair { yes } => check::repair(study, options(), yes),
        Command::Keys(cmd) => check::keys(data, options(), cmd),
        Command::Export { out, with_keys, format } => match format.as_str() {
            "qdpx" => qda::export_qdpx(&study()?, out.as_deref()),
            "qdc" => qda::export_qdc(&study()?, out.as_deref()),
            _ => io::export(&open_read(&study()?)?, out.as_deref(), with_keys),
        },
        Command::Import { file, format, author, yes } => match format.as_str() {
            "qdpx" => qda::import_qdpx(&writable()?, &file, author.as_deref(), yes),
            _ => io::import(&open(&writable()?)?, &file),
        },
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
    write_bytes(out, text.as_bytes())
}

/// As [`write_out`], for bytes that need not be text (an ODT package).
fn write_bytes(out: Option<&Path>, bytes: &[u8]) -> Result<i32> {
    match out {
        Some(path) => {
            std::fs::write(path, bytes).map_err(|e| {
                Failure::Input(t!("cannot-write", path = path.display().to_string(), why = e.to_string()))
            })?;
            eprintln!("{}", t!("wrote", path = path.display().to_string()));
        }
        None => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(bytes)
                .and_then(|()| stdout.flush())
                .map_err(|e| Failure::Input(t!("cannot-write", path = "-".to_string(), why = e.to_string())))?;
        }
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

/// The progress bar of a long copy or import: events done of all, their rate, the time left.
fn progress_style() -> indicatif::ProgressStyle {
    let words = t!("progress", speed = "{per_sec}", left = "{eta}");
    indicatif::ProgressStyle::with_template(&format!("{{bar:40}} {{pos}}/{{len}} {words}")).expect("template")
}

/// Whether the command can ask its user: standard input is a terminal.
fn on_terminal() -> bool {
    std::io::IsTerminal::is_terminal(&std::io::stdin())
}

/// Asks `question` on the terminal (on standard error, so that it is seen when standard output
/// goes elsewhere); true if the answer is one of `accept`.
fn confirm(question: &str, accept: &[&str]) -> Result<bool> {
    use std::io::{BufRead, Write};
    eprint!("{question} ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| Failure::Input(e.to_string()))?;
    let answer = line.trim();
    Ok(accept.iter().any(|a| a.eq_ignore_ascii_case(answer)))
}

/// Where the studies' events are kept, for people.
fn describe_backend(b: &Backend) -> String {
    match b {
        Backend::Embedded => t!("store-embedded"),
        Backend::Postgres(db) => t!("store-postgres", address = db.shown().to_string()),
    }
}

/// What a study's folder holds, for people.
fn describe_kept(k: Kept) -> String {
    match k {
        Kept::Nothing => t!("kept-nothing"),
        Kept::Embedded => t!("kept-embedded"),
        Kept::Postgres => t!("kept-postgres"),
    }
}

/// A study's slug for messages (a folder of the previous release names its own study so).
fn shown_slug(slug: Option<&StudySlug>) -> String {
    slug.map(|s| s.to_string()).unwrap_or_else(|| t!("study-root"))
}

/// What a command that writes is told when another process holds the study: a running
/// `parlog serve` is its one writer, and takes the same writes through its API.
fn held(slug: Option<&StudySlug>) -> Failure {
    let study = shown_slug(slug);
    let api = slug.map(|s| format!("/api/v1/studies/{s}/")).unwrap_or_else(|| "/api/v1/".into());
    Failure::Input(t!("study-held", study = study, api = api))
}

/// Opens the store of the study a command writes to. A study that another process holds (a
/// running `parlog serve`) is refused at once with what to do instead.
fn open(s: &Selected) -> Result<AnyStore> {
    let b = backend()?;
    if b.held(&s.folder) {
        return Err(held(s.slug.as_ref()));
    }
    let store = match b.open(&s.folder, s.slug.as_ref(), options()) {
        Err(StudiesError::Store(StoreError::Locked(_))) => return Err(held(s.slug.as_ref())),
        r => r?,
    };
    tell_recovered(&store);
    Ok(store)
}

/// Opens the store of a study a command only reads. While another process holds it (a running
/// `parlog serve`), the embedded store's study is read without opening it (`LogSnapshot`: its
/// log read-only up to the last commit, nothing written), and the command says so; otherwise it
/// is opened as for writing, which recovers what a crash left and says so.
fn open_read(s: &Selected) -> Result<AnyStore> {
    open_read_as(s, true)
}

/// `open_read` without saying that the study was read beside a server (a command that only
/// looks something up in it, such as `token create`).
fn open_read_quietly(s: &Selected) -> Result<AnyStore> {
    open_read_as(s, false)
}

fn open_read_as(s: &Selected, tell: bool) -> Result<AnyStore> {
    let b = backend()?;
    if !b.held(&s.folder) {
        match b.open(&s.folder, s.slug.as_ref(), options()) {
            Err(StudiesError::Store(StoreError::Locked(_))) => {}
            r => {
                let store = r?;
                tell_recovered(&store);
                return Ok(store);
            }
        }
    }
    let store = b.open_read_only(&s.folder, s.slug.as_ref(), options())?;
    if tell {
        eprintln!("{}", t!("read-beside-server", study = shown_slug(s.slug.as_ref())));
    }
    Ok(store)
}

/// Opens the store of a study of the registry, to read it.
fn open_record(data: &Path, record: &StudyRecord) -> Result<(AnyStore, PathBuf)> {
    let folder = studies::study_folder(data, record);
    let selected = Selected { folder: folder.clone(), slug: Some(record.slug.clone()), record: Some(record.clone()) };
    Ok((open_read(&selected)?, folder))
}

/// Says on stderr (and in the server's log) what opening moved to quarantine: nothing leaves a
/// data folder unannounced.
fn tell_recovered(store: &AnyStore) {
    for q in store.recovered() {
        eprintln!("{}", t!("recovered", what = q.to_string()));
        tracing::warn!(kept_in = %q.kept_in.display(), source = %q.source, from = q.from, to = q.to, "recovery: {}", q.what);
    }
    if let Some(copy) = store.keys_restored() {
        eprintln!("{}", t!("recovered-key-copy", copy = copy));
        tracing::warn!(copy, "recovery: a copy of the key file was written again from the other");
    }
    if store.keys_migrated() {
        eprintln!("{}", t!("recovered-keys-migrated"));
        tracing::warn!("the key file was rewritten wrapped with the master key");
    }
}
