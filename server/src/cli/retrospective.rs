//! `parlog retrospective`: the practice guide from the log.

use std::path::{Path, PathBuf};

use clap::Args;
use parlog_core::{AnyStore, Lang};
use parlog_projections::retro::Format;
use parlog_projections::AsOf;

use super::project::{projections, request_failure, ViewArgs};
use super::Result;
use crate::request::{RawView, ViewRequest};
use crate::studies::Selected;

#[derive(Args)]
pub struct RetroArgs {
    #[arg(long, default_value = "md")]
    format: String,
    #[command(flatten)]
    view: ViewArgs,
    #[arg(long)]
    area: Option<String>,
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Renders the retrospective of a store; `area`, if any, is a checked `area:` stream.
pub fn render(
    store: &AnyStore,
    data: &Path,
    as_of: AsOf,
    lang: Lang,
    area: Option<String>,
    format: Format,
) -> Result<String> {
    let engine = projections(store, data, as_of, false)?;
    Ok(crate::report::retrospective(store, &engine, as_of, lang, area, format))
}

/// Checks the request before it opens the store: bad input is refused without touching the data.
pub fn run(study: impl FnOnce() -> Result<Selected>, a: RetroArgs) -> Result<i32> {
    let raw = RawView { format: Some(a.format), area: a.area, ..a.view.raw() };
    let r = ViewRequest::parse(&raw).map_err(request_failure)?;
    let study = study()?;
    let lang = super::lang::of_output(false);
    let text = render(&super::open_read(&study)?, &study.folder, r.as_of, lang, r.area, r.format)?;
    super::write_out(a.out.as_deref(), &text)
}
