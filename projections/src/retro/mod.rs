//! The handreiking-style retrospective: a practice guide built from the projections, in which
//! every statement cites the events it rests on.
//!
//! Map: `context.rs` is what every section reads ([`context::Ctx`]: projections, options, days,
//! the area filter); `cover.rs` the title and cover; `section/` one module per section, each
//! with its text and its chart; `doc.rs` the document model that `md.rs` and `html.rs` render.
//! Charts are also served alone, by the name of their view in [`crate::VIEWS`].

pub(crate) mod context;
mod cover;
mod doc;
pub(crate) mod html;
pub(crate) mod md;
mod odt;
pub(crate) mod section;

use chrono::NaiveDate;
use parlog_core::{Hash, Lang};

pub use doc::{Block, Chart, Doc, Section, SourceInfo, SourceLinks, SpiralChart, StageRow, Stmt};
pub use odt::{odt, ODT_MEDIA_TYPE};
pub use section::sources::source_info;

use crate::engine::{AsOf, Engine};
use crate::source::Source;
use crate::Projections;
use context::Ctx;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
}

/// What the report is made from, for its cover.
#[derive(Debug, Clone)]
pub struct LogInfo {
    /// The last position the report includes, and its hash: they name the log prefix it rests on.
    pub position: u64,
    pub head_hash: Hash,
    /// The as-of day, if the report is limited to one, and whether it goes by recorded time.
    pub as_of_day: Option<NaiveDate>,
    pub by_recorded: bool,
}

#[derive(Debug, Clone)]
pub struct RetroOptions {
    pub lang: Lang,
    /// Only initiatives, cycles and signals in this area (stream id such as `area:noord`) or
    /// in areas under it.
    pub area: Option<String>,
    /// Longest lists; the rest is counted in a note.
    pub list_items_max: usize,
    /// Where the HTML report's source references go: its own appendix of sources when the
    /// report stands alone (the default, as a file must work anywhere), the web interface's page
    /// of the event when the server serves it.
    pub links: SourceLinks,
}

impl Default for RetroOptions {
    fn default() -> Self {
        RetroOptions { lang: Lang::Nl, area: None, list_items_max: 40, links: SourceLinks::Appendix }
    }
}

/// Builds the document. `source` tells what an event is, for the list of sources; it is called
/// only for cited positions.
pub fn build(p: &Projections, log: &LogInfo, o: &RetroOptions, source: &dyn Fn(u64) -> Option<SourceInfo>) -> Doc {
    let c = Ctx::new(p, o, log.as_of_day);
    let cover = cover::cover(&c, log);
    let sections = section::sections(&c);
    let sources = section::sources::cited(&sections).into_iter().filter_map(source).collect();
    Doc {
        lang: c.lang,
        title: cover.title,
        subtitle: cover.subtitle,
        cover: cover.lines,
        sections,
        sources_title: c.t("Bronnen", "Sources").to_string(),
        sources,
        links: o.links.clone(),
    }
}

/// The document of the projections in `engine`, made from `source` for `as_of`: the cover names
/// the log prefix the engine includes, and the list of sources is read from `source`.
pub fn from_engine<S: Source + ?Sized>(source: &S, engine: &Engine, as_of: AsOf, o: &RetroOptions) -> Doc {
    let (by_recorded, as_of_day) = match as_of {
        AsOf::Recorded(d) => (true, Some(d)),
        other => (false, other.day()),
    };
    let log = LogInfo { position: engine.included, head_hash: engine.included_hash, as_of_day, by_recorded };
    let dir = &engine.state.directory;
    let role = crate::RoleWord::of(&engine.state, as_of_day);
    build(&engine.state, &log, o, &|p| source_info(source, dir, &role, o.lang, p))
}

/// One of the report's charts (by the name of its view, see [`crate::CHART_NAMES`]) as an HTML
/// `<figure>` with inline SVG, for the web interface. `None` if the name is unknown or there is
/// nothing to draw.
pub fn chart_svg(p: &Projections, name: &str, lang: Lang, day: Option<NaiveDate>) -> Option<String> {
    let o = RetroOptions { lang, ..RetroOptions::default() };
    let chart = crate::registry::find(name).ok()?.chart(&Ctx::new(p, &o, day))?;
    let mut out = String::new();
    html::chart(&mut out, &chart, lang);
    Some(out)
}

pub fn render(doc: &Doc, format: Format) -> String {
    match format {
        Format::Markdown => md::render(doc),
        Format::Html => html::render(doc),
    }
}
