//! `parlog retrospective`: the practice guide from the log.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use parlog_core::{EventStore, Lang, Position, SledStore, StreamId};
use parlog_projections::retro::{self, Format, LogInfo, RetroOptions, SourceInfo};
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

/// Renders the retrospective of a store; shared with the server.
pub fn render(
    store: &SledStore,
    data: &Path,
    as_of: AsOf,
    lang: Lang,
    area: Option<String>,
    format: Format,
) -> Result<String> {
    if let Some(a) = &area {
        let id = StreamId::parse(a).map_err(|m| Failure::Input(format!("--area: {m}")))?;
        if id.category() != parlog_core::Category::Area {
            return Err(Failure::Input(format!("--area: expected an area stream such as area:noord, got {a:?}")));
        }
    }
    let engine = projections(store, data, as_of, false)?;
    let (by_recorded, day) = match as_of {
        AsOf::Recorded(d) => (true, Some(d)),
        other => (false, other.day()),
    };
    let info = LogInfo { position: engine.included, head_hash: engine.included_hash, as_of_day: day, by_recorded };
    let opts = RetroOptions { lang, area, ..RetroOptions::default() };
    let dir = &engine.state.directory;
    let source = |p: u64| -> Option<SourceInfo> {
        let e = store.read_from(Position(p), 1).ok()?.into_iter().next()?;
        Some(SourceInfo {
            position: p,
            date: e.occurred_at.date(),
            kind: e.kind.label(lang).to_string(),
            stream: e.stream.to_string(),
            author: dir.author(e.author.as_str()),
        })
    };
    let doc = retro::build(&engine.state, &info, &opts, &source);
    Ok(retro::render(&doc, format))
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
