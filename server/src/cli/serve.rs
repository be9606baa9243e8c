//! `parlog serve`.

use std::net::SocketAddr;
use std::path::Path;

use clap::Args;
use parlog_core::{EventStore, ParticipantId, StudySlug};

use super::{demo, Failure, Result};
use crate::http::auth::{Role, Tokens};
use crate::http::Limits;
use crate::studies;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on; loopback by default.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Load the demo log into an empty data folder, and print sign-in links for demo users.
    #[arg(long)]
    demo: bool,
    /// Close a study's store and projections after this many seconds without a request (its
    /// checkpoint is saved first); the next request opens it again.
    #[arg(long, default_value_t = Limits::default().idle_close_ms / 1000)]
    idle_close_secs: u64,
    /// Studies open at once at most; past it the least recently used idle one is closed.
    #[arg(long, default_value_t = Limits::default().open_studies_max, value_parser = clap::value_parser!(usize))]
    open_studies_max: usize,
}

/// Demo users: participants of the demo log, one per role.
const DEMO_USERS: [(&str, Role); 4] = [
    ("makelaar-noord-a", Role::Makelaar),
    ("onderzoeker-tno", Role::Researcher),
    ("beleid-gemeente", Role::Viewer),
    ("beheerder", Role::Admin),
];

pub fn serve(data: &Path, wanted: Option<&StudySlug>, a: ServeArgs) -> Result<i32> {
    if a.open_studies_max == 0 || a.idle_close_secs == 0 {
        return Err(Failure::Input("--open-studies-max and --idle-close-secs must be at least 1".into()));
    }
    // The database first: a server that cannot reach it says so before it serves.
    let backend = super::backend()?.clone();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("PARLOG_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    studies::init(data)?;
    // The token journal is read (an old tokens.json imported) before anything else, so that a
    // damaged one stops the server before it serves.
    let tokens = Tokens::open(data).map_err(|e| Failure::Check(e.to_string()))?;
    let mut banner = String::new();
    studies::ensure_registered(data, &tokens, super::options())?;
    if a.demo {
        let events = demo::parse(demo::GOUDA, "the built-in demo")?;
        let (folder, slug) = demo::study_for(data, wanted, &events, "the built-in demo")?;
        let store = super::open(&studies::Selected { folder, slug: Some(slug.clone()), record: None })?;
        if store.head().position.0 == 0 {
            let appended = demo::load(&store, events)?;
            banner += &format!("loaded the demo log into study {slug} ({} events)\n", appended.len());
        }
        store.close();
        banner += "demo sign-in links (new tokens, shown once):\n";
        for (participant, role) in DEMO_USERS {
            let p = ParticipantId::parse(participant).expect("valid demo participant");
            let grants = std::iter::once((slug.clone(), role)).collect();
            let (_, token) =
                tokens.create(p, grants, role == Role::Admin).map_err(|e| Failure::Check(e.to_string()))?;
            // The address is filled in once the server has bound it (the port may be 0).
            banner += &format!("  {:<10} http://{{addr}}/#token={token}\n", role.as_str());
        }
    }
    // The server serves every study of the folder (`--study` only chose where the demo goes);
    // each is opened on its first request.
    drop(tokens);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Check(format!("cannot start the runtime: {e}")))?;
    let limits =
        Limits { idle_close_ms: a.idle_close_secs * 1000, open_studies_max: a.open_studies_max, ..Limits::default() };
    let serving = crate::http::serve(data.to_path_buf(), super::options().clone(), backend, limits, a.addr, banner);
    runtime.block_on(serving).map_err(|e| Failure::Check(e.to_string()))?;
    Ok(0)
}
