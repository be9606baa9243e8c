//! Comparing studies: per study side by side the role (in the study's own words, its capacity
//! and position over time), the initiatives by route, stage and outcome (with the reasons for
//! stopping as recorded), the changes of method, and the lessons grouped by theme with the
//! studies each theme appears in. Every statement cites its study and events ([`Cite`],
//! printed `gouda #308`).
//!
//! [`build`] is a pure function of the studies' projections and the options: the same logs give
//! the same [`Comparison`], and the same comparison the same bytes in every format. The caller
//! folds each study's log (each study has its own log, positions from 1) and checks that the
//! reader may see every study named; this module reads no store.
//!
//! Map: `doc.rs` the comparison as data (also its JSON form); `study.rs` one study's column;
//! `themes.rs` the lessons across studies; `page.rs` the comparison as text (headings, a
//! summary table, lines with references), which `md.rs` and `html.rs` only format, so that
//! both formats say exactly the same things.

mod doc;
mod html;
mod md;
mod page;
mod study;
mod themes;

use parlog_core::{Lang, StudySlug};

pub use doc::{
    Cite, Cites, Comparison, Count, HandOverItem, InitiativeColumn, LessonItem, Listed, MethodChangeItem, Period,
    RoleColumn, RoleTitle, Stated, Step, StopItem, StudyColumn, Theme, ThemeStudy, CITES_PER_STATEMENT_MAX,
};

use crate::text::tr;
use crate::Projections;

/// Studies compared at once. Each is a column side by side; past this many the columns are too
/// narrow to read even on a wide screen, and the work grows with every study.
pub const STUDIES_MAX: usize = 16;

/// One study to compare: its registry entry's slug, name and municipality, and the state of its
/// log folded ([`crate::Engine::state`]).
#[derive(Debug, Clone, Copy)]
pub struct StudyInput<'a> {
    /// Named in every citation of this study.
    pub slug: &'a StudySlug,
    /// The column's heading.
    pub name: &'a str,
    pub municipality: &'a str,
    /// The study's log folded to its head.
    pub projections: &'a Projections,
}

/// How to compare: the language, and how long lists may be.
#[derive(Debug, Clone)]
pub struct CompareOptions {
    /// The language of parlog's own words (headings, labels); text from the logs stays as written.
    pub lang: Lang,
    /// Longest lists (per study: hand-overs, stops, method changes, a theme's lessons; and the
    /// number of themes); the rest is counted (`left_out`).
    pub list_items_max: usize,
}

impl Default for CompareOptions {
    fn default() -> Self {
        CompareOptions { lang: Lang::Nl, list_items_max: 40 }
    }
}

/// Why studies cannot be compared as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompareError {
    #[error("no studies to compare: name one or more studies, such as gouda,zwolle")]
    NoStudies,
    #[error("study {0} is named more than once: name each study once")]
    DuplicateStudy(StudySlug),
    #[error("{count} studies named, but at most {max} can be compared side by side: name fewer")]
    TooManyStudies { count: usize, max: usize },
}

/// The output formats of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// [`Comparison::to_json`].
    Json,
    /// Readable as plain text; headings per study, as Markdown has no columns.
    Markdown,
    /// One self-contained file: no scripts, no external requests; text from the logs escaped.
    Html,
}

/// Compares studies, in the order given (the order of the columns).
pub fn build(studies: &[StudyInput], o: &CompareOptions) -> Result<Comparison, CompareError> {
    if studies.is_empty() {
        return Err(CompareError::NoStudies);
    }
    if studies.len() > STUDIES_MAX {
        return Err(CompareError::TooManyStudies { count: studies.len(), max: STUDIES_MAX });
    }
    for (i, s) in studies.iter().enumerate() {
        if studies[..i].iter().any(|t| t.slug == s.slug) {
            return Err(CompareError::DuplicateStudy(s.slug.clone()));
        }
    }
    let names: Vec<&str> = studies.iter().map(|s| s.name).collect();
    Ok(Comparison {
        lang: o.lang,
        title: format!("{}: {}", tr(o.lang, "Studies vergeleken", "Studies compared"), names.join(", ")),
        studies: studies.iter().map(|s| study::column(s, o)).collect(),
        themes: themes::themes(studies, o),
    })
}

impl Comparison {
    /// The comparison as JSON (pretty, fields in declared order, ending in a line break).
    pub fn to_json(&self) -> String {
        // Only strings, numbers, lists and structs: serialising cannot fail.
        let mut s = serde_json::to_string_pretty(self).expect("a comparison serialises to JSON");
        s.push('\n');
        s
    }
}

/// The comparison in a format; Markdown and HTML in the comparison's language.
pub fn render(c: &Comparison, format: Format) -> String {
    match format {
        Format::Json => c.to_json(),
        Format::Markdown => md::render(&page::page(c)),
        Format::Html => html::render(&page::page(c)),
    }
}
