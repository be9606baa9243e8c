//! `parlog study`: the studies of a data folder.

use std::path::Path;

use clap::Subcommand;
use parlog_core::{StoreOptions, StudySlug};

use super::{Failure, Result};
use crate::http::auth::{StudyLocation, TokenFileError, Tokens};
use crate::studies;

#[derive(Subcommand)]
pub enum StudyCommand {
    /// Create a study: its own log, hash chain, subject keys and projections, in
    /// studies/SLUG/ of the data folder (made if there is none).
    Create {
        /// 1 to 40 lower-case letters, digits and single hyphens, such as `delft` or
        /// `den-haag-2025`; it names the study in commands and addresses, for good.
        slug: String,
        /// The study's name, as people see it.
        #[arg(long)]
        name: String,
        /// The municipality it takes place in.
        #[arg(long, default_value = "")]
        municipality: String,
    },
    /// List the studies: slug, name, municipality, state and where its files are.
    List,
    /// Archive a study: it can still be read, verified and exported, and takes no more events.
    Archive { slug: String },
}

pub fn run(data: &Path, options: &StoreOptions, cmd: StudyCommand) -> Result<i32> {
    let io = |e: TokenFileError| Failure::Check(e.to_string());
    let slug = |s: &str| StudySlug::parse(s).map_err(|m| Failure::Input(format!("SLUG: {m}")));
    match cmd {
        StudyCommand::Create { slug: s, name, municipality } => {
            let s = slug(&s)?;
            studies::init(data)?;
            let tokens = Tokens::open(data).map_err(io)?;
            let r = studies::create_in(data, &tokens, s, &name, &municipality, options, super::backend()?)?;
            println!("study {} created: {} ({})", r.slug, r.name, studies::study_folder(data, &r).display());
        }
        StudyCommand::List => {
            let list = studies::list_read_only(data, options)?;
            // With PostgreSQL: which studies the database holds, to name those only one side has.
            let in_database = match super::on_postgres() {
                true => Some(super::backend()?.database_studies()?),
                false => None,
            };
            if list.is_empty() {
                eprintln!("no studies yet; `parlog study create SLUG --name \"…\"` makes one");
            }
            for s in &list {
                let state =
                    s.archived_at.as_deref().map(|a| format!("archived {a}")).unwrap_or_else(|| "active".into());
                let mut place = match s.location {
                    StudyLocation::Root => "the data folder itself (made by an earlier release)".to_string(),
                    StudyLocation::Folder => format!("{}/{}", studies::STUDIES_DIR, s.slug),
                };
                match &in_database {
                    Some(db) if db.contains(&s.slug) => place += " (keys); events in PostgreSQL",
                    Some(_) => place += "; MISSING from the database",
                    None => {}
                }
                println!("{}\t{}\t{}\t{state}\t{place}", s.slug, s.name, s.municipality);
            }
            for slug in in_database.iter().flatten().filter(|d| !list.iter().any(|s| &s.slug == *d)) {
                eprintln!(
                    "note: the database also holds study {slug}, which this data folder's registry does not list"
                );
            }
        }
        StudyCommand::Archive { slug: s } => {
            let s = slug(&s)?;
            let tokens = Tokens::open(data).map_err(io)?;
            studies::ensure_registered(data, &tokens, options)?;
            if !tokens.archive_study(&s).map_err(io)? {
                return Err(Failure::Input(format!("there is no study {s}; `parlog study list` shows them")));
            }
            println!("study {s} is archived: it can be read, verified and exported, and takes no more events");
        }
    }
    Ok(0)
}
