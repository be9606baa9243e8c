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
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    #[arg(long)]
    demo: bool,
    #[arg(long, default_value_t = Limits::default().idle_close_ms / 1000)]
    idle_close_secs: u64,
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

/// The server's address in the banner, filled in once it has bound it (the port may be 0).
const URL: &str = "http://{addr}/";

pub fn serve(data: &Path, wanted: Option<&StudySlug>, a: ServeArgs) -> Result<i32> {
    if a.open_studies_max == 0 || a.idle_close_secs == 0 {
        return Err(Failure::Input(t!("serve-limits")));
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
    let tokens = Tokens::open(data)?;
    studies::ensure_registered(data, &tokens, super::options())?;
    // The first line says where it listens (scripts read the address from it).
    let mut banner = format!("{}\n", t!("serve-listening", url = URL));
    if a.demo {
        banner += &demo_banner(data, wanted, &tokens)?;
    } else {
        let active = tokens.list()?.iter().filter(|t| t.revoked_at.is_none()).count();
        banner += &t!("serve-sign-in", url = URL, tokens = active);
        banner += "\n";
    }
    // The server serves every study of the folder (`--study` only chose where the demo goes);
    // each is opened on its first request.
    drop(tokens);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Check(t!("serve-runtime", why = e.to_string())))?;
    let limits =
        Limits { idle_close_ms: a.idle_close_secs * 1000, open_studies_max: a.open_studies_max, ..Limits::default() };
    let serving = crate::http::serve(data.to_path_buf(), super::options().clone(), backend, limits, a.addr, banner);
    runtime.block_on(serving).map_err(|e| Failure::Check(e.to_string()))?;
    Ok(0)
}

/// Loads the demo into an empty folder, and gives each demo user a token with a sign-in link,
/// once: a demo user who has one already keeps it (a token's secret is shown once and is not
/// kept, so its link cannot be shown again), and the banner says how to make another.
fn demo_banner(data: &Path, wanted: Option<&StudySlug>, tokens: &Tokens) -> Result<String> {
    let mut banner = String::new();
    let name = t!("demo-built-in");
    let events = demo::parse(demo::GOUDA, &name)?;
    let (folder, slug) = demo::study_for(data, wanted, &events, &name)?;
    let store = super::open(&studies::Selected { folder, slug: Some(slug.clone()), record: None })?;
    if store.head().position.0 == 0 {
        let appended = demo::load(&store, events)?;
        banner += &t!("serve-demo-loaded", study = slug.to_string(), events = appended.len());
        banner += "\n";
    }
    store.close();
    let existing = tokens.list()?;
    let mut links = String::new();
    let mut kept = Vec::new();
    for (participant, role) in DEMO_USERS {
        let p = ParticipantId::parse(participant).expect("valid demo participant");
        let has = existing
            .iter()
            .find(|t| t.revoked_at.is_none() && t.participant == p && t.grants.get(&slug) == Some(&role));
        if let Some(t) = has {
            kept.push(format!("{} ({participant}, {})", role.as_str(), t.id));
            continue;
        }
        let grants = std::iter::once((slug.clone(), role)).collect();
        let (_, token) = tokens.create(p, grants, role == Role::Admin)?;
        links += &format!("  {:<10} {URL}#token={token}\n", role.as_str());
    }
    if !links.is_empty() {
        banner += &format!("{}\n{links}", t!("serve-demo-links"));
    }
    if !kept.is_empty() {
        banner += &t!("serve-demo-kept", count = kept.len(), users = kept.join(", "), study = slug.to_string());
        banner += "\n";
    }
    Ok(banner)
}
