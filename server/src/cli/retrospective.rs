//! `parlog retrospective`: the practice guide from the log.

use std::path::{Path, PathBuf};

use clap::Args;
use parlog_core::{AnyStore, Lang};
use parlog_projections::retro::SourceLinks;
use parlog_projections::AsOf;

use super::project::{projections, request_failure, ViewArgs};
use super::Result;
use crate::request::{Format, RawView, ViewRequest};
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
) -> Result<Vec<u8>> {
    let engine = projections(store, data, as_of, false)?;
    // Standalone: the HTML's source references go to its own appendix of sources.
    Ok(crate::report::retrospective(store, &engine, as_of, lang, area, format, SourceLinks::Appendix))
}

/// Checks the request before it opens the store: bad input is refused without touching the data.
pub fn run(study: impl FnOnce() -> Result<Selected>, a: RetroArgs) -> Result<i32> {
    let raw = RawView { format: Some(a.format), area: a.area, ..a.view.raw() };
    let r = ViewRequest::parse(&raw).map_err(request_failure)?;
    if r.format == Format::Odt && a.out.is_none() && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        // A zip package on a terminal is noise and can upset it: ask for a file.
        return Err(super::Failure::Input(t!("retro-odt-needs-out")));
    }
    let study = study()?;
    let lang = super::lang::of_output(false);
    let bytes = render(&super::open_read(&study)?, &study.folder, r.as_of, lang, r.area, r.format)?;
    super::write_bytes(a.out.as_deref(), &bytes)
}
