//! The `parlog` command line. Exit codes: 0 ok, 1 a check failed or storage failed, 2 bad usage
//! or bad input.

mod check;
pub mod demo;
mod io;
mod project;
mod retrospective;
mod serve;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use parlog_core::{
    AppendError, AuthorSource, EventId, EventKind, EventStore, ForgetError, LongText, MasterKeySource, NewEvent,
    ParticipantId, Position, SealedView, SledStore, StoreError, StoreOptions, StreamId, SubjectId,
};

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
        match e {
            StoreError::NotInitialised(_) | StoreError::Locked(_) => Failure::Input(e.to_string()),
            e => Failure::Check(e.to_string()),
        }
    }
}

impl From<AppendError> for Failure {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::Store(s) => s.into(),
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
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the data folder (does nothing if it exists).
    Init,
    /// Append events from FILE (or standard input with `-`): NDJSON or a JSON array, one atomic
    /// batch. Prints each event's position and id.
    Append {
        /// NDJSON or a JSON array of events; `-` for standard input.
        #[arg(default_value = "-")]
        file: String,
        /// The author of events that do not name one.
        #[arg(long)]
        author: Option<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List events of the log.
    Log {
        /// First position to show.
        #[arg(long, default_value_t = 1)]
        from: u64,
        /// Most events to show.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Only this stream, such as initiative:papierwinkel.
        #[arg(long)]
        stream: Option<String>,
        /// Only this kind, such as ObservationRecorded.
        #[arg(long)]
        kind: Option<String>,
        /// One JSON object a line (the API's event form).
        #[arg(long)]
        json: bool,
    },
    /// Show one event by id, with its sealed part if it can be opened.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
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
    Forget {
        /// Such as resident:r-017.
        subject: String,
        /// The participant who asks for it.
        #[arg(long)]
        by: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Load the demo log (the Gouda story) into the data folder, or a demo-style file of your
    /// own (a JSON array of events that may use `@label` ids).
    Demo {
        /// A demo-style JSON file instead of the built-in demo.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Show a projection (cycles, role, initiatives, signals, lessons, network, activity,
    /// warnings, codebook) as text or JSON.
    Project(project::ProjectArgs),
    /// Write the handreiking-style retrospective (Markdown or one self-contained HTML file).
    Retrospective(retrospective::RetroArgs),
    /// Run the HTTP server with the web interface.
    Serve(serve::ServeArgs),
    /// Create, list or revoke API tokens.
    #[command(subcommand)]
    Token(serve::TokenCommand),
    /// Counts of events, streams and kinds.
    Stats {
        #[arg(long)]
        json: bool,
    },
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
    match cli.command {
        Command::Init => {
            let store = init_store(data)?;
            println!("data folder ready: {} ({} events)", data.display(), store.head().position);
            Ok(0)
        }
        Command::Append { file, author, json } => append(data, &file, author, json),
        Command::Log { from, limit, stream, kind, json } => log(data, from, limit, stream, kind, json),
        Command::Show { id, json } => show(data, &id, json),
        Command::Verify => check::verify(data, options()),
        Command::Repair { yes } => check::repair(data, options(), yes),
        Command::Keys(cmd) => check::keys(data, cmd),
        Command::Export { out, with_keys } => io::export(&open(data)?, out.as_deref(), with_keys),
        Command::Import { file } => io::import(&open(data)?, &file),
        Command::Forget { subject, by, reason } => forget(data, &subject, &by, reason),
        Command::Stats { json } => stats(data, json),
        Command::Demo { file } => load_demo(data, file.as_deref()),
        Command::Project(args) => project::run(data, args),
        Command::Serve(args) => serve::serve(data, args),
        Command::Token(cmd) => serve::token(data, cmd),
        Command::Retrospective(args) => retrospective::run(data, args),
    }
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

/// Opens the data folder, creating it if there is none.
fn init_store(data: &Path) -> Result<SledStore> {
    let store = SledStore::init_with(data, options())?;
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

/// Splits input into event JSON texts: a JSON array, or one object a line.
fn split_events(text: &str) -> Result<Vec<String>> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let items: Vec<Box<serde_json::value::RawValue>> = serde_json::from_str(trimmed)
            .map_err(|e| Failure::Input(format!("the input starts with '[' but is not a JSON array: {e}")))?;
        return Ok(items.into_iter().map(|r| r.get().to_string()).collect());
    }
    Ok(text.lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect())
}

fn append(data: &Path, file: &str, author: Option<String>, json: bool) -> Result<i32> {
    let text = io::read_input(file)?;
    let default_author =
        author.map(|a| ParticipantId::parse(&a).map_err(|m| Failure::Input(format!("--author: {m}")))).transpose()?;
    let source = match &default_author {
        Some(a) => AuthorSource::Default(a),
        None => AuthorSource::FromBody,
    };
    let mut batch = Vec::new();
    for (i, item) in split_events(&text)?.iter().enumerate() {
        let ev = NewEvent::from_json(item, &source).map_err(|e| Failure::Input(format!("event {}: {e}", i + 1)))?;
        batch.push(ev);
    }
    if batch.is_empty() {
        return Err(Failure::Input("no events in the input; give NDJSON (one event a line) or a JSON array".into()));
    }
    let store = open(data)?;
    let appended = store.append(batch)?;
    if json {
        let out: Vec<_> = appended
            .iter()
            .map(|a| serde_json::json!({"position": a.position.0, "id": a.id, "stream_version": a.stream_version, "duplicate": a.duplicate}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&out).expect("JSON"));
    } else {
        for a in &appended {
            let note = if a.duplicate { "  (already stored)" } else { "" };
            println!("{}\t{}{note}", a.position, a.id);
        }
    }
    Ok(0)
}

fn log(data: &Path, from: u64, limit: usize, stream: Option<String>, kind: Option<String>, json: bool) -> Result<i32> {
    let store = open(data)?;
    let kind = kind.map(|k| EventKind::parse(&k).map_err(|m| Failure::Input(format!("--kind: {m}")))).transpose()?;
    let events = match stream {
        Some(s) => {
            let s = StreamId::parse(&s).map_err(|m| Failure::Input(format!("--stream: {m}")))?;
            let mut all = Vec::new();
            let mut version = 1;
            loop {
                let page = store.read_stream(&s, version, parlog_core::limits::PAGE_EVENTS_MAX)?;
                let Some(last) = page.last() else { break };
                version = last.stream_version + 1;
                all.extend(page.into_iter().filter(|e| e.position.0 >= from));
                if all.len() >= limit {
                    break;
                }
            }
            all
        }
        None => {
            let mut all = Vec::new();
            let mut at = from;
            while all.len() < limit {
                let page = store.read_from(Position(at), parlog_core::limits::PAGE_EVENTS_MAX)?;
                let Some(last) = page.last() else { break };
                at = last.position.0 + 1;
                all.extend(page.into_iter().filter(|e| kind.is_none_or(|k| e.kind == k)));
            }
            all
        }
    };
    for e in events.iter().filter(|e| kind.is_none_or(|k| e.kind == k)).take(limit) {
        if json {
            println!("{}", e.to_wire());
        } else {
            println!("{}\t{}\t{}\t{}\t{}", e.position, e.occurred_at, e.stream, e.kind.name(), e.author);
        }
    }
    Ok(0)
}

fn show(data: &Path, id: &str, json: bool) -> Result<i32> {
    let id = EventId::parse(id).map_err(Failure::Input)?;
    let store = open(data)?;
    let e =
        store.get(id)?.ok_or_else(|| Failure::Input(format!("no event with id {id}; `parlog log` lists the ids")))?;
    let sealed = store.unseal(&e)?;
    // Whoever holds the data folder holds the keys: the sealed part is shown opened.
    let wire = crate::wire::event_json(&e, sealed.clone(), true);
    if json {
        println!("{}", serde_json::to_string_pretty(&wire).expect("JSON"));
        return Ok(0);
    }
    println!("position:     {}", e.position);
    println!("id:           {}", e.id);
    println!("kind:         {} (schema {})", e.kind.name(), e.schema_version);
    println!("stream:       {} (version {})", e.stream, e.stream_version);
    println!("occurred at:  {}", e.occurred_at);
    println!("recorded at:  {}", e.recorded_at);
    println!("author:       {}", e.author);
    if !e.causation.is_empty() {
        let ids: Vec<String> = e.causation.iter().map(|c| c.to_string()).collect();
        println!("causation:    {}", ids.join(", "));
    }
    println!(
        "payload:      {}",
        serde_json::to_string_pretty(&wire["payload"]).expect("JSON").replace('\n', "\n              ")
    );
    match sealed {
        SealedView::None => {}
        SealedView::Open(d) => {
            let subjects: Vec<String> =
                e.sealed.iter().flat_map(|m| m.subjects.iter().map(|s| s.to_string())).collect();
            println!("sealed for:   {}", subjects.join(", "));
            println!(
                "sealed:       {}",
                serde_json::to_string_pretty(&d).expect("JSON").replace('\n', "\n              ")
            );
        }
        SealedView::NoKey { subject } => {
            println!("sealed:       not readable here: this data folder has no key for {subject} (the log was imported without --with-keys)");
        }
        SealedView::Damaged { reason } => {
            println!("sealed:       damaged: {reason}; run `parlog verify` for the whole folder");
        }
        SealedView::Forgotten { subject, position, at, by } => {
            println!("sealed:       forgotten: the data of {subject} was destroyed at {at} at the request of {by} (event at position {position})");
        }
    }
    println!("hash:         {}", e.hash);
    println!("previous:     {}", e.prev_hash);
    Ok(0)
}

fn forget(data: &Path, subject: &str, by: &str, reason: Option<String>) -> Result<i32> {
    let subject = SubjectId::parse(subject).map_err(Failure::Input)?;
    let by = ParticipantId::parse(by).map_err(|m| Failure::Input(format!("--by: {m}")))?;
    let reason = reason.map(|r| LongText::new(r).map_err(|m| Failure::Input(format!("--reason: {m}")))).transpose()?;
    let store = open(data)?;
    match store.forget(&subject, &by, reason) {
        Ok(a) if a.duplicate => println!("{subject} was already forgotten (event at position {})", a.position),
        Ok(a) => {
            println!("forgot {subject}: key and sealed data destroyed (event at position {}, id {})", a.position, a.id)
        }
        Err(ForgetError::UnknownSubject(s)) => return Err(Failure::Input(ForgetError::UnknownSubject(s).to_string())),
        Err(ForgetError::Store(e)) => return Err(e.into()),
    }
    Ok(0)
}

fn stats(data: &Path, json: bool) -> Result<i32> {
    let store = open(data)?;
    let head = store.head();
    let mut kinds = std::collections::BTreeMap::<&str, u64>::new();
    let mut at = 1;
    loop {
        let page = store.read_from(Position(at), parlog_core::limits::PAGE_EVENTS_MAX)?;
        let Some(last) = page.last() else { break };
        at = last.position.0 + 1;
        for e in &page {
            *kinds.entry(e.kind.name()).or_default() += 1;
        }
    }
    let streams = store.streams()?;
    let bytes = store.size_on_disk()?;
    if json {
        let v = serde_json::json!({
            "events": head.position.0, "head_hash": head.hash, "streams": streams.len(), "kinds": kinds, "sled_bytes": bytes
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("JSON"));
    } else {
        println!("events:   {}", head.position);
        println!("streams:  {}", streams.len());
        println!("head:     {}", head.hash);
        println!("on disk:  {:.1} MiB", bytes as f64 / (1024.0 * 1024.0));
        for (k, n) in kinds {
            println!("  {n:>8}  {k}");
        }
    }
    Ok(0)
}

fn load_demo(data: &Path, file: Option<&Path>) -> Result<i32> {
    let (text, name) = match file {
        Some(f) => (io::read_input(&f.display().to_string())?, f.display().to_string()),
        None => (demo::GOUDA.to_string(), "the built-in demo".to_string()),
    };
    let events = demo::parse(&text, &name)?;
    let store = init_store(data)?;
    let appended = demo::load(&store, events)?;
    let new = appended.iter().filter(|a| !a.duplicate).count();
    println!(
        "{name}: {new} events added, {} already present; the log in {} has {} events",
        appended.len() - new,
        data.display(),
        store.head().position
    );
    Ok(0)
}
