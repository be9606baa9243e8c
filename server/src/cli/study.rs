//! `parlog study`: the studies of a data folder.

use std::path::Path;

use clap::Subcommand;
use parlog_core::{StoreOptions, StudySlug};

use super::{Failure, Result};
use crate::http::auth::{StudyLocation, Tokens};
use crate::studies;

#[derive(Subcommand)]
pub enum StudyCommand {
    Create {
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        municipality: String,
    },
    List,
    Archive {
        slug: String,
    },
}

pub fn run(data: &Path, options: &StoreOptions, cmd: StudyCommand) -> Result<i32> {
    let slug = |s: &str| StudySlug::parse(s).map_err(|m| Failure::Input(format!("SLUG: {m}")));
    match cmd {
        StudyCommand::Create { slug: s, name, municipality } => {
            let s = slug(&s)?;
            studies::init(data)?;
            let tokens = Tokens::open(data)?;
            let r = studies::create_in(data, &tokens, s, &name, &municipality, options, super::backend()?)?;
            let folder = studies::study_folder(data, &r).display().to_string();
            println!("{}", t!("study-created", slug = r.slug.to_string(), name = r.name, folder = folder));
        }
        StudyCommand::List => list(data, options)?,
        StudyCommand::Archive { slug: s } => {
            let s = slug(&s)?;
            let tokens = Tokens::open(data)?;
            studies::ensure_registered(data, &tokens, options)?;
            if !tokens.archive_study(&s)? {
                return Err(Failure::Input(t!("study-no-such", slug = s.to_string())));
            }
            println!("{}", t!("study-archived", slug = s.to_string()));
        }
    }
    Ok(0)
}

/// The studies as a table: a heading, then slug, name, municipality, state and where its files
/// are, tab-separated.
fn list(data: &Path, options: &StoreOptions) -> Result<()> {
    let list = studies::list_read_only(data, options)?;
    // With PostgreSQL: which studies the database holds, to name those only one side has.
    let in_database = match super::on_postgres() {
        true => Some(super::backend()?.database_studies()?),
        false => None,
    };
    if list.is_empty() {
        eprintln!("{}", t!("study-list-empty"));
    } else {
        let heading = [t!("col-slug"), t!("col-name"), t!("col-municipality"), t!("col-state"), t!("col-place")];
        println!("{}", heading.join("\t"));
    }
    for s in &list {
        let state = match s.archived_at.as_deref() {
            Some(at) => t!("study-state-archived", at = at),
            None => t!("study-state-active"),
        };
        let mut place = match s.location {
            StudyLocation::Root => t!("study-place-root"),
            StudyLocation::Folder => format!("{}/{}", studies::STUDIES_DIR, s.slug),
        };
        match &in_database {
            Some(db) if db.contains(&s.slug) => place += &t!("study-place-postgres"),
            Some(_) => place += &t!("study-place-missing"),
            None => {}
        }
        println!("{}\t{}\t{}\t{state}\t{place}", s.slug, s.name, s.municipality);
    }
    for slug in in_database.iter().flatten().filter(|d| !list.iter().any(|s| &s.slug == *d)) {
        eprintln!("{}", t!("study-only-in-database", slug = slug.to_string()));
    }
    Ok(())
}
