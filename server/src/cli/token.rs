//! `parlog token`: tokens of the institute journal, and their roles per study.

use std::collections::BTreeMap;
use std::path::Path;

use clap::Subcommand;
use parlog_core::{Category, ParticipantId, StudySlug};

use super::{Failure, Result};
use crate::http::auth::{Role, StudyRecord, Tokens};
use crate::studies::{self, Selected};

#[derive(Subcommand)]
pub enum TokenCommand {
    Create {
        #[arg(long)]
        participant: String,
        #[arg(long, required_unless_present = "institute_admin")]
        role: Option<String>,
        #[arg(long)]
        institute_admin: bool,
    },
    Grant {
        id: String,
        #[arg(long)]
        role: String,
    },
    Ungrant {
        id: String,
    },
    List,
    Revoke {
        id: String,
    },
}

/// Participants named when a token's participant is not in the study; more are counted.
const KNOWN_PARTICIPANTS_SHOWN_MAX: usize = 30;

pub fn run(data: &Path, wanted: Option<&StudySlug>, cmd: TokenCommand) -> Result<i32> {
    if studies::layout(data) == studies::Layout::None {
        return Err(Failure::Input(t!("studies-not-initialised", folder = data.display().to_string())));
    }
    // Warnings (a torn entry moved to quarantine, an old tokens.json imported) go to standard
    // error.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("PARLOG_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    let tokens = Tokens::open(data)?;
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
                let (s, r) = (study()?, parse_role(&r)?);
                check_participant(data, &s, &p)?;
                grants.insert(s.slug, r);
            }
            let (rec, token) = tokens.create(p, grants, institute_admin)?;
            println!("{token}");
            eprintln!(
                "{}",
                t!(
                    "token-created",
                    id = rec.id.clone(),
                    participant = rec.participant.to_string(),
                    roles = describe(&rec.grants, rec.institute_admin)
                )
            );
        }
        TokenCommand::Grant { id, role } => {
            let (s, r) = (study()?, parse_role(&role)?);
            if !tokens.grant(&id, &s.slug, r)? {
                return Err(no_token(&id));
            }
            println!("{}", t!("token-granted", id = id, role = r.as_str(), study = s.slug.to_string()));
        }
        TokenCommand::Ungrant { id } => {
            let s = study()?;
            if !tokens.ungrant(&id, &s.slug)? {
                return Err(Failure::Input(t!("token-no-role", id = id, study = s.slug.to_string())));
            }
            println!("{}", t!("token-ungranted", id = id, study = s.slug.to_string()));
        }
        TokenCommand::List => {
            let list = tokens.list()?;
            if list.is_empty() {
                println!("{}", t!("token-list-empty"));
                return Ok(0);
            }
            let heading = [t!("col-token"), t!("col-participant"), t!("col-roles"), t!("col-created"), t!("col-state")];
            println!("{}", heading.join("\t"));
            for t in list {
                let state = match t.revoked_at.as_deref() {
                    Some(at) => t!("token-state-revoked", at = at),
                    None => t!("token-state-active"),
                };
                let roles = describe(&t.grants, t.institute_admin);
                println!("{}\t{}\t{roles}\t{}\t{state}", t.id, t.participant, t.created_at);
            }
        }
        TokenCommand::Revoke { id } => {
            if !tokens.revoke(&id)? {
                return Err(no_token(&id));
            }
            println!("{}", t!("token-revoked", id = id));
        }
    }
    Ok(0)
}

/// A token acts as a participant of the study: one the study's log registers (a typo would make
/// a token no one's notes are by). The study is read without changing it, also while a server
/// holds it.
fn check_participant(data: &Path, study: &StudyRecord, p: &ParticipantId) -> Result<()> {
    let selected = Selected {
        folder: studies::study_folder(data, study),
        slug: Some(study.slug.clone()),
        record: Some(study.clone()),
    };
    let store = super::open_read_quietly(&selected)?;
    let known: Vec<String> = store
        .streams()?
        .into_iter()
        .filter(|(s, _)| s.category() == Category::Participant)
        .map(|(s, _)| s.name().to_string())
        .collect();
    store.close();
    if known.iter().any(|k| *k == p.to_string()) {
        return Ok(());
    }
    let shown: Vec<String> = known.iter().take(KNOWN_PARTICIPANTS_SHOWN_MAX).cloned().collect();
    let more = known.len() - shown.len();
    Err(Failure::Input(t!(
        "token-unknown-participant",
        participant = p.to_string(),
        study = study.slug.to_string(),
        count = known.len(),
        known = shown.join(", "),
        more = more
    )))
}

fn no_token(id: &str) -> Failure {
    Failure::Input(t!("token-none", id = id))
}

/// `gouda:researcher,delft:viewer`, and `institute-admin` if it is one.
fn describe(grants: &BTreeMap<StudySlug, Role>, institute_admin: bool) -> String {
    let mut parts: Vec<String> = grants.iter().map(|(s, r)| format!("{s}:{}", r.as_str())).collect();
    if institute_admin {
        parts.push("institute-admin".into());
    }
    if parts.is_empty() {
        t!("token-no-roles")
    } else {
        parts.join(",")
    }
}
