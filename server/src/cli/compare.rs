//! `parlog compare`: studies side by side.

use std::path::{Path, PathBuf};

use clap::Args;
use parlog_core::StoreOptions;
use parlog_projections::AsOf;

use super::project::{projections, request_failure};
use super::{Failure, Result};
use crate::request::{CompareRequest, RawCompare};
use crate::studies;

#[derive(Args)]
pub struct CompareArgs {
    #[arg(long)]
    studies: String,
    #[arg(long)]
    format: Option<String>,
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Checks the request before it opens a store: bad input is refused without touching the data.
pub fn run(data: &Path, options: &StoreOptions, a: CompareArgs) -> Result<i32> {
    let raw = RawCompare { studies: Some(a.studies), format: a.format, lang: None };
    let mut r = CompareRequest::parse(&raw).map_err(request_failure)?;
    r.lang = super::lang::of_output(matches!(r.format, parlog_projections::compare::Format::Json));
    let registry = studies::list_read_only(data, options)?;
    let mut opened = Vec::with_capacity(r.studies.len());
    for slug in &r.studies {
        let record = studies::select(&registry, Some(slug), data)?.clone();
        let (store, folder) = super::open_record(data, &record)?;
        let engine = projections(&store, &folder, AsOf::Head, false)?;
        store.close();
        opened.push((record, engine));
    }
    let pairs: Vec<_> = opened.iter().map(|(r, e)| (r, e)).collect();
    let text = crate::report::comparison(&pairs, r.lang, r.format).map_err(|e| Failure::Input(e.to_string()))?;
    super::write_out(a.out.as_deref(), &text)
}
