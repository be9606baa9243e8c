//! `parlog serve` and `parlog token`.

use std::net::SocketAddr;
use std::path::Path;

use clap::{Args, Subcommand};
use parlog_core::{EventStore, ParticipantId};

use super::{demo, Failure, Result};
use crate::http::auth::{Role, TokenFileError, Tokens};

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on; loopback by default.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Load the demo log into an empty data folder, and print sign-in links for demo users.
    #[arg(long)]
    demo: bool,
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token; it is shown once and stored hashed.
    Create {
        /// The participant id the token acts as (the author of what it appends).
        #[arg(long)]
        participant: String,
        /// makelaar, researcher, viewer or admin.
        #[arg(long)]
        role: String,
    },
    /// List tokens (without their secrets).
    List,
    /// Revoke a token by id.
    Revoke { id: String },
}

pub fn token(data: &Path, cmd: TokenCommand) -> Result<i32> {
    if !data.join("PARLOG").exists() {
        return Err(Failure::Input(format!("no parlog data folder at {}; run `parlog init` first", data.display())));
    }
    // Warnings (a torn entry moved to quarantine, an old tokens.json imported) go to standard
    // error.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("PARLOG_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    // The errors name the file.
    let io = |e: TokenFileError| Failure::Check(e.to_string());
    let tokens = Tokens::open(data).map_err(io)?;
    match cmd {
        TokenCommand::Create { participant, role } => {
            let p = ParticipantId::parse(&participant).map_err(|m| Failure::Input(format!("--participant: {m}")))?;
            let r = Role::parse(&role).map_err(|m| Failure::Input(format!("--role: {m}")))?;
            let (rec, token) = tokens.create(p, r).map_err(io)?;
            println!("{token}");
            eprintln!("token {} for {} as {}: shown once, keep it safe", rec.id, rec.participant, rec.role.as_str());
        }
        TokenCommand::List => {
            for t in tokens.list().map_err(io)? {
                let state = t.revoked_at.as_deref().map(|r| format!("revoked {r}")).unwrap_or_else(|| "active".into());
                println!("{}\t{}\t{}\t{}\t{state}", t.id, t.participant, t.role.as_str(), t.created_at);
            }
        }
        TokenCommand::Revoke { id } => {
            if !tokens.revoke(&id).map_err(io)? {
                return Err(Failure::Input(format!("no token with id {id}; `parlog token list` shows them")));
            }
            println!("revoked {id}");
        }
    }
    Ok(0)
}

/// Demo users: participants of the demo log, one per role.
const DEMO_USERS: [(&str, Role); 4] = [
    ("makelaar-noord-a", Role::Makelaar),
    ("onderzoeker-tno", Role::Researcher),
    ("beleid-gemeente", Role::Viewer),
    ("beheerder", Role::Admin),
];

pub fn serve(data: &Path, a: ServeArgs) -> Result<i32> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("PARLOG_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    // The token journal is read (an old tokens.json imported) before anything else, so that a
    // damaged one stops the server before it serves.
    let tokens = Tokens::open(data).map_err(|e| Failure::Check(e.to_string()))?;
    let store = super::init_store(data)?;
    let mut banner = String::new();
    if a.demo {
        if store.head().position.0 == 0 {
            let appended = demo::load(&store, demo::parse(demo::GOUDA, "the built-in demo")?)?;
            banner += &format!("loaded the demo log ({} events)\n", appended.len());
        }
        banner += "demo sign-in links (new tokens, shown once):\n";
        for (participant, role) in DEMO_USERS {
            let p = ParticipantId::parse(participant).expect("valid demo participant");
            let (_, token) = tokens.create(p, role).map_err(|e| Failure::Check(e.to_string()))?;
            // The address is filled in once the server has bound it (the port may be 0).
            banner += &format!("  {:<10} http://{{addr}}/#token={token}\n", role.as_str());
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Check(format!("cannot start the runtime: {e}")))?;
    runtime
        .block_on(crate::http::serve(store, data.to_path_buf(), a.addr, banner))
        .map_err(|e| Failure::Check(e.to_string()))?;
    Ok(0)
}
