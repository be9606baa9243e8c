//! The comparison as data: what [`super::build`] returns, what the JSON form is (field order as
//! declared here), and what the Markdown and HTML renderers read. Every statement about a study
//! carries [`Cite`]s naming that study and the positions of the events it rests on.

use std::fmt;

use chrono::NaiveDate;
use parlog_core::{InsightKind, Lang, Level, StudySlug};
use serde::Serialize;

use crate::fact::Src;

/// Cited events per statement; the rest are counted in `more_cites` (a count over hundreds of
/// initiatives would otherwise print hundreds of references in one table cell).
pub const CITES_PER_STATEMENT_MAX: usize = 20;

/// A source reference across studies: the study, and the position and day of the event in that
/// study's log (positions start at 1 in every study, so a position alone is ambiguous).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Cite {
    pub study: StudySlug,
    pub position: u64,
    pub date: NaiveDate,
}

impl Cite {
    /// The reference to `src` in `study`'s log.
    pub fn new(study: &StudySlug, src: Src) -> Cite {
        Cite { study: study.clone(), position: src.position, date: src.date }
    }
}

/// `gouda #308`: how reports print a reference.
impl fmt::Display for Cite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} #{}", self.study, self.position)
    }
}

/// The events a statement rests on, in log order, at most [`CITES_PER_STATEMENT_MAX`].
/// Empty only for a statement of absence (a count of 0, a role not described): there is no
/// event to point at.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Cites {
    pub cites: Vec<Cite>,
    /// Events the statement also rests on, left out to keep it readable.
    pub more_cites: usize,
}

impl Cites {
    /// The sources of one study, sorted by position, each once, cut to the maximum.
    pub fn of(study: &StudySlug, srcs: impl IntoIterator<Item = Src>) -> Cites {
        let mut srcs: Vec<Src> = srcs.into_iter().collect();
        srcs.sort();
        srcs.dedup();
        let more_cites = srcs.len().saturating_sub(CITES_PER_STATEMENT_MAX);
        srcs.truncate(CITES_PER_STATEMENT_MAX);
        Cites { cites: srcs.into_iter().map(|s| Cite::new(study, s)).collect(), more_cites }
    }
    /// True for a statement of absence.
    pub fn is_empty(&self) -> bool {
        self.cites.is_empty() && self.more_cites == 0
    }
}

/// A list cut to the comparison's `list_items_max`; `left_out` counts the rest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listed<T> {
    /// The first `list_items_max` (at least one), in the list's order.
    pub items: Vec<T>,
    pub left_out: usize,
}

impl<T> Listed<T> {
    pub(crate) fn cut(mut items: Vec<T>, max: usize) -> Listed<T> {
        let max = max.max(1);
        let left_out = items.len().saturating_sub(max);
        items.truncate(max);
        Listed { items, left_out }
    }
}

/// Several studies side by side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The language of parlog's words in it (labels, title); texts from the logs are as written.
    pub lang: Lang,
    /// "Studies vergeleken: Gouda, Zwolle".
    pub title: String,
    /// One column per study, in the order they were given.
    pub studies: Vec<StudyColumn>,
    /// The lessons per theme across the studies: themes found in more studies first, the
    /// general theme (insights without one) last.
    pub themes: Listed<Theme>,
}

/// What the comparison says about one study.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudyColumn {
    /// The study, as given ([`super::StudyInput`]).
    pub slug: StudySlug,
    pub name: String,
    pub municipality: String,
    /// The research question, from the study's `StudyStarted`.
    pub question: Option<Stated>,
    /// The first and last day anything happened in the log.
    pub period: Option<Period>,
    pub role: RoleColumn,
    pub initiatives: InitiativeColumn,
    /// The changes of method of every described role, in the order they took effect.
    pub method_changes: Listed<MethodChangeItem>,
}

/// A text from the log and the events it comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stated {
    pub text: String,
    #[serde(flatten)]
    pub cites: Cites,
}

/// The first and last day in a study's log, citing an event of each.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[serde(flatten)]
    pub cites: Cites,
}

/// The role, in the study's own words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleColumn {
    /// The title of the study's latest `RoleDescribed` (by log position); the fixed word
    /// ("sociaal makelaar", "community broker") only if the log describes no role.
    pub title: String,
    /// False when `title` is the fixed word because no role is described.
    pub own_words: bool,
    /// The `RoleDescribed` the title comes from; empty for the fixed word.
    #[serde(flatten)]
    pub cites: Cites,
    /// Titles of the study's other described roles (earlier words for the role, or a second
    /// role), oldest first.
    pub other_titles: Vec<RoleTitle>,
    /// Capacity in FTE over time (by the day each value took effect), of the role named above.
    pub capacity: Vec<Step<f64>>,
    /// The role's position over time, of the role named above.
    pub position: Vec<Step<String>>,
}

/// A role the study also described, other than the one it is compared by.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleTitle {
    pub title: String,
    pub effective: NaiveDate,
    #[serde(flatten)]
    pub cites: Cites,
}

/// A value of the role from the day it took effect: from the description (no rationale) or
/// from a `RoleChanged` (with its rationale).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step<T> {
    pub effective: NaiveDate,
    pub value: T,
    pub rationale: Option<String>,
    #[serde(flatten)]
    pub cites: Cites,
}

/// The initiatives of one study as they stand at the end of its log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InitiativeColumn {
    /// Every initiative started (cites their `InitiativeStarted`).
    pub total: Count,
    /// Per route, in the vocabulary's order, zeros included (cites their `InitiativeStarted`).
    pub by_route: Vec<Count>,
    /// Per current stage, in the vocabulary's order, then `none` (no stage recorded); cites the
    /// event that set the stage (the `InitiativeStarted` for `none`).
    pub by_stage: Vec<Count>,
    /// Active, handed over, stopped (an initiative stopped after a hand-over counts as stopped);
    /// cites the first hand-over or stop, or the `InitiativeStarted` of an active one.
    pub by_status: Vec<Count>,
    /// The initiatives counted as handed over: to whom, and the note as recorded.
    pub handed_over: Listed<HandOverItem>,
    /// The initiatives counted as stopped, and why (the reason as recorded).
    pub stopped: Listed<StopItem>,
}

/// How many; `key` is the vocabulary id (`signal`, `action`, `handed_over`, …) or `all`/`none`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Count {
    pub key: String,
    pub label: String,
    pub count: u64,
    /// One event per initiative counted.
    #[serde(flatten)]
    pub cites: Cites,
}

/// An initiative handed over: the first hand-over, which the status counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HandOverItem {
    pub initiative: String,
    /// The organisation's label as the log names it.
    pub to: String,
    pub note: Option<String>,
    pub date: NaiveDate,
    /// The `InitiativeStarted` and the `InitiativeHandedOver`.
    #[serde(flatten)]
    pub cites: Cites,
}

/// An initiative stopped: the first stop, with its reason as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StopItem {
    pub initiative: String,
    pub reason: String,
    pub date: NaiveDate,
    /// The `InitiativeStarted` and the `InitiativeStopped`.
    #[serde(flatten)]
    pub cites: Cites,
}

/// A `MethodChanged`: the day it took effect, the aspect, before and after, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MethodChangeItem {
    pub effective: NaiveDate,
    pub aspect: String,
    pub before: String,
    pub after: String,
    pub rationale: String,
    /// The `MethodChanged` and the reflections it names that the log holds.
    #[serde(flatten)]
    pub cites: Cites,
}

/// One theme of lessons across the studies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Theme {
    /// As first written (studies in the order given, then log order); themes that differ only
    /// in case or surrounding space are one theme. "algemeen"/"general" for insights without one.
    pub label: String,
    /// True for the insights without a theme.
    pub general: bool,
    /// The studies the theme appears in, in the order given.
    pub studies: Vec<StudySlug>,
    /// The lessons, per study it appears in.
    pub per_study: Vec<ThemeStudy>,
}

/// A theme's lessons in one study.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThemeStudy {
    pub study: StudySlug,
    /// In log order.
    pub lessons: Listed<LessonItem>,
}

/// One insight of a reflection, with its kind and the level of its cycle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LessonItem {
    pub kind: InsightKind,
    /// The kind's label; for added value with the group it is for.
    pub kind_label: String,
    pub level: Level,
    pub level_label: String,
    pub text: String,
    /// The reflection and the field notes it cites.
    #[serde(flatten)]
    pub cites: Cites,
}
