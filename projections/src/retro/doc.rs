//! The retrospective as a document model, rendered to Markdown and HTML by the same code path so
//! that both formats say exactly the same things.

use chrono::NaiveDate;

use crate::fact::Src;

/// A statement and the events it rests on.
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    /// A short lead in bold (a name, a label), may be empty.
    pub lead: String,
    pub text: String,
    pub srcs: Vec<Src>,
    /// Sources left out to keep the statement readable (shown as `[+N]`).
    pub more_srcs: usize,
}

/// Sources cited per statement; the rest are counted.
pub const SOURCES_PER_STATEMENT_MAX: usize = 50;

impl Stmt {
    pub fn new(lead: impl Into<String>, text: impl Into<String>, srcs: Vec<Src>) -> Stmt {
        let mut srcs = srcs;
        srcs.sort();
        srcs.dedup();
        let more_srcs = srcs.len().saturating_sub(SOURCES_PER_STATEMENT_MAX);
        srcs.truncate(SOURCES_PER_STATEMENT_MAX);
        Stmt { lead: lead.into(), text: text.into(), srcs, more_srcs }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Para(Stmt),
    List(Vec<Stmt>),
    /// A remark about the report itself (such as a list cut short), not a statement about the
    /// research; rendered in italics.
    Note(String),
    Chart(Chart),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub id: String,
    pub title: String,
    pub blocks: Vec<Block>,
    pub subsections: Vec<Section>,
}

impl Section {
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Section {
        Section { id: id.into(), title: title.into(), blocks: Vec::new(), subsections: Vec::new() }
    }
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty() && self.subsections.iter().all(Section::is_empty)
    }
}

/// What the sources list says about a cited event: only what the log holds in the open (its
/// kind, who, its stream, and a note's topic and area), never sealed text, so that the report
/// can go to anyone who may read the views.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceInfo {
    pub position: u64,
    pub date: NaiveDate,
    /// The kind in words (`veldnotitie vastgelegd`).
    pub kind: String,
    pub stream: String,
    /// Who recorded it, as the report names people.
    pub author: String,
    /// The open facts of the event that say what it is about: its topic and its area (by name),
    /// as label / value pairs; empty for kinds that have neither.
    pub facts: Vec<(String, String)>,
}

/// Where a source reference (`[#12 · 18 mrt 2019]`) in the HTML report goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceLinks {
    /// To the report's own list of sources (`#bron-12`): a report saved as a file.
    Appendix,
    /// To the web interface's page of the event (`/#/event/12?study=<slug>`): the report as the
    /// server serves it.
    EventPage { study: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    pub lang: parlog_core::Lang,
    pub title: String,
    pub subtitle: String,
    /// Label / value lines of the cover: period, log position, head hash, ….
    pub cover: Vec<(String, String)>,
    pub sections: Vec<Section>,
    pub sources_title: String,
    pub sources: Vec<SourceInfo>,
    /// Where the HTML's source references go (from the report's options).
    pub links: SourceLinks,
}

/// Charts, as data. HTML draws them as inline SVG, Markdown prints them as small tables.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// The role over time: capacity steps and method changes.
    RoleTimeline {
        title: String,
        from: NaiveDate,
        to: NaiveDate,
        capacity: Vec<(NaiveDate, f64, Src)>,
        methods: Vec<(NaiveDate, String, Src)>,
        fte_label: String,
    },
    /// The independent spirals of cycles, each along its `previous` links.
    Spiral { title: String, spirals: Vec<SpiralChart> },
    /// Stages of initiatives over time; `end` is a hand-over or stop.
    Stages { title: String, from: NaiveDate, to: NaiveDate, rows: Vec<StageRow>, legend: Vec<String> },
    /// Signals per theme per year.
    Signals { title: String, years: Vec<i32>, themes: Vec<(String, Vec<u64>)> },
}

/// One spiral: its title (the level and area it starts in) and its cycles in order: question,
/// day opened, source, and the index of the cycle it follows (`None` for the first).
#[derive(Debug, Clone, PartialEq)]
pub struct SpiralChart {
    pub title: String,
    pub cycles: Vec<(String, NaiveDate, Src, Option<usize>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StageRow {
    pub name: String,
    /// (from, to, index into the legend)
    pub spans: Vec<(NaiveDate, NaiveDate, usize)>,
    pub end: Option<(NaiveDate, String)>,
}
