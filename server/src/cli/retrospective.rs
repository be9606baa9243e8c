//! `parlog retrospective`: the practice guide from the log.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use parlog_core::{Lang, SledStore};
use parlog_projections::retro::Format;
use parlog_projections::AsOf;

use super::project::{projections, AsOfArgs, LangArg};
use super::{Failure, Result};

#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Md,
    Html,
}

#[derive(Args)]
pub struct RetroArgs {
    #[arg(long, value_enum, default_value = "md")]
    format: FormatArg,
    #[arg(long, value_enum, default_value = "nl", env = "PARLOG_LANG")]
    lang: LangArg,
    #[command(flatten)]
    as_of: AsOfArgs,
    /// Only this area (and the areas under it), such as area:noord.
    #[arg(long)]
    area: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Renders the retrospective of a store.
pub fn render(
    store: &SledStore,
    data: &Path,
    as_of: AsOf,
    lang: Lang,
    area: Option<String>,
    format: Format,
) -> Result<String> {
    crate::report::check_area(area.as_deref()).map_err(|m| Failure::Input(format!("--area: {m}")))?;
    let engine = projections(store, data, as_of, false)?;
    Ok(crate::report::retrospective(store, &engine, as_of, lang, area, format))
}

pub fn run(store: &SledStore, data: &Path, a: RetroArgs) -> Result<i32> {
    let format = match a.format {
        FormatArg::Md => Format::Markdown,
        FormatArg::Html => Format::Html,
    };
    let text = render(store, data, a.as_of.as_of(), a.lang.into(), a.area, format)?;
    match a.out {
        Some(path) => {
            std::fs::write(&path, text).map_err(|e| Failure::Input(format!("cannot write {}: {e}", path.display())))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    Ok(0)
}
