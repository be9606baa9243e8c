//! Building the retrospective from a store and its projections; shared by the CLI and the HTTP
//! API so that both give the same bytes.

use parlog_core::{Category, EventStore, Lang, Position, StreamId};
use parlog_projections::retro::{self, Format, LogInfo, RetroOptions, SourceInfo};
use parlog_projections::{AsOf, Engine};

/// Checks an area filter: an `area:` stream id.
pub fn check_area(area: Option<&str>) -> Result<(), String> {
    let Some(a) = area else { return Ok(()) };
    let id = StreamId::parse(a)?;
    if id.category() != Category::Area {
        return Err(format!("expected an area stream such as area:noord, got {a:?}"));
    }
    Ok(())
}

/// The retrospective of the projections in `engine` (made for `as_of`).
pub fn retrospective(
    store: &dyn EventStore,
    engine: &Engine,
    as_of: AsOf,
    lang: Lang,
    area: Option<String>,
    format: Format,
) -> String {
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
    retro::render(&doc, format)
}
