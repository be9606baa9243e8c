//! `parlog token`: tokens of the institute journal, and their roles per study.

use std::collections::BTreeMap;
use std::path::Path;

use clap::Subcommand;
use parlog_core::{ParticipantId, StudySlug};

use super::{Failure, Result};
use crate::http::auth::{Role, StudyRecord, TokenFileError, Tokens};
use crate::studies;

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token; it is shown once and stored hashed. With --role it has that role in the
    /// study chosen with --study (or the only one); add roles in other studies with `grant`.
    Create {
        /// The participant id the token acts as (the author of what it appends).
        #[arg(long)]
        participant: String,
        /// makelaar, researcher, viewer or admin (the study's admin: verify, forget, its tokens).
        #[arg(long, required_unless_present = "institute_admin")]
        role: Option<String>,
        /// The token manages studies across the data folder (creates, archives, grants); it
        /// reads no study's data unless it has a role there too.
        #[arg(long)]
        institute_admin: bool,
    },
    /// Give a token a role in the study chosen with --study (or the only one), replacing the
    /// role it had there.
    Grant {
        id: String,
        #[arg(long)]
        role: String,
    },
    /// Take a token's role in the study chosen with --study (or the only one) away.
    Ungrant { id: String },
    /// List tokens (without their secrets), with their roles per study.
    List,
    /// Revoke a token by id: it reaches no study any more.
    Revoke { id: String },
}

pub fn run(data: &Path, wanted: Option<&StudySlug>, cmd: TokenCommand) -> Result<i32> {
    if studies::layout(data) == studies::Layout::None {
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
    let study = || -> Result<StudyRecord> {
        let list = studies::ensure_registered(data, &tokens, super::options())?;
        Ok(studies::select(&list, wanted, data)?.clone())
    };
    let parse_role = |r: &str| Role::parse(r).map_err(|m| Failure::Input(format!("--role: {m}")));
    match cmd {
        TokenCommand::Create { participant, role, institute_admin } => {
            let p = ParticipantId::parse(&participant).map_err(|m| Failure::Input(format!("--participant: {m}")))?;
            let mut grants = BTreeMap::new();
            if let Some(r) = role {
                grants.insert(study()?.slug, parse_role(&r)?);
            }
            let (rec, token) = tokens.create(p, grants, institute_admin).map_err(io)?;
            println!("{token}");
            eprintln!(
                "token {} for {} ({}): shown once, keep it safe",
                rec.id,
                rec.participant,
                describe(&rec.grants, rec.institute_admin)
            );
        }
        TokenCommand::Grant { id, role } => {
            let (s, r) = (study()?, parse_role(&role)?);
            if !tokens.grant(&id, &s.slug, r).map_err(io)? {
                return Err(no_token(&id));
            }
            println!("token {id} is {} in study {}", r.as_str(), s.slug);
        }
        TokenCommand::Ungrant { id } => {
            let s = study()?;
            if !tokens.ungrant(&id, &s.slug).map_err(io)? {
                return Err(Failure::Input(format!(
                    "token {id} has no role in study {}; `parlog token list` shows the roles",
                    s.slug
                )));
            }
            println!("token {id} has no role in study {} any more", s.slug);
        }
        TokenCommand::List => {
            let list = tokens.list().map_err(io)?;
            if list.is_empty() {
                eprintln!("no tokens yet; `parlog token create --participant ID --role ROLE` makes one");
            }
            for t in list {
                let state = t.revoked_at.as_deref().map(|r| format!("revoked {r}")).unwrap_or_else(|| "active".into());
                println!(
                    "{}\t{}\t{}\t{}\t{state}",
                    t.id,
                    t.participant,
                    describe(&t.grants, t.institute_admin),
                    t.created_at
                );
            }
        }
        TokenCommand::Revoke { id } => {
            if !tokens.revoke(&id).map_err(io)? {
                return Err(no_token(&id));
            }
            println!("revoked {id}");
        }
    }
    Ok(0)
}

fn no_token(id: &str) -> Failure {
    Failure::Input(format!("no active token with id {id}; `parlog token list` shows them"))
}

/// `gouda:researcher,delft:viewer`, and `institute-admin` if it is one.
fn describe(grants: &BTreeMap<StudySlug, Role>, institute_admin: bool) -> String {
    let mut parts: Vec<String> = grants.iter().map(|(s, r)| format!("{s}:{}", r.as_str())).collect();
    if institute_admin {
        parts.push("institute-admin".into());
    }
    if parts.is_empty() {
        "no role in any study".into()
    } else {
        parts.join(",")
    }
}
