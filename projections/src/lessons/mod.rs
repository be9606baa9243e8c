//! Lessons from reflection: successes, pitfalls, tips and open questions per level and theme,
//! and the added value per stakeholder group, each with the sources it rests on (the reflection
//! and the field notes it cites).
//!
//! The level and area of a lesson are those of its reflection's cycle, looked up in
//! [`Cycles`](crate::Cycles) when a view is made, so that an amended cycle moves its lessons and
//! a retracted cycle takes them out. The reflections themselves are those the cycles keep (the
//! same events, by the same rules), so lessons keep no state of their own.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use parlog_core::{EventId, InsightKind, Lang, Level, StakeholderGroup, Vocabulary};
use serde::Serialize;

use crate::cycles::{cited, Reflection};
use crate::fact::Src;
use crate::text::tr;
use crate::Projections;

pub(crate) mod view;

/// One insight, placed (level, area, cycle) and sourced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lesson {
    pub kind: InsightKind,
    pub text: String,
    /// The theme as written; `None` for insights without one (shown under "general").
    pub theme: Option<String>,
    /// For added value: the group it is for.
    pub stakeholder: Option<StakeholderGroup>,
    pub level: Level,
    pub area: Option<String>,
    pub cycle: String,
    pub reflection: EventId,
    /// The reflection's source first, then those of the field notes it cites, by position.
    pub sources: Vec<Src>,
}

/// The kinds shown per level and theme; added value is shown per stakeholder group.
const THEMED: [InsightKind; 4] = [InsightKind::Success, InsightKind::Pitfall, InsightKind::Tip, InsightKind::Question];

/// A theme's grouping key: themes differing only in case or surrounding space are one theme;
/// "general" (no theme) sorts last.
pub(crate) fn theme_key(theme: Option<&str>) -> (bool, String) {
    match theme {
        Some(t) => (false, t.trim().to_lowercase()),
        None => (true, String::new()),
    }
}

fn visible(src: Src, day: Option<NaiveDate>) -> bool {
    day.is_none_or(|d| src.date <= d)
}

impl Projections {
    /// Every lesson known on a day, in log order (reflection, then insight order). Insights of
    /// reflections whose cycle does not exist on the day (retracted, say) are left out.
    pub fn lessons(&self, day: Option<NaiveDate>) -> Vec<Lesson> {
        let p = self;
        let mut reflections: Vec<(&String, &Reflection)> = p
            .cycles
            .items
            .iter()
            .flat_map(|(k, c)| c.reflections.values().map(move |r| (k, r)))
            .filter(|(_, r)| visible(r.src, day))
            .collect();
        reflections.sort_by_key(|(_, r)| r.src.position);
        let mut out = Vec::new();
        for (cycle, r) in reflections {
            let Some((level, area)) = p.cycles.place_of(cycle, day) else { continue };
            let sources: Vec<Src> = std::iter::once(r.src).chain(cited(p, r, day)).collect();
            for i in &r.insights {
                out.push(Lesson {
                    kind: i.kind,
                    text: i.text.clone(),
                    theme: i.theme.clone(),
                    stakeholder: i.stakeholder,
                    level,
                    area: area.map(|a| a.to_string()),
                    cycle: cycle.clone(),
                    reflection: r.id,
                    sources: sources.clone(),
                });
            }
        }
        out
    }
}

/// Successes, pitfalls, tips and questions per level, then per theme (first spelling seen), then
/// per kind.
pub fn by_level_and_theme(lessons: &[Lesson]) -> BTreeMap<Level, Vec<ThemeLessons<'_>>> {
    let mut m: BTreeMap<Level, BTreeMap<(bool, String), ThemeLessons<'_>>> = BTreeMap::new();
    for l in lessons.iter().filter(|l| THEMED.contains(&l.kind)) {
        let t = m
            .entry(l.level)
            .or_default()
            .entry(theme_key(l.theme.as_deref()))
            .or_insert_with(|| ThemeLessons { theme: l.theme.as_deref().map(str::trim), kinds: BTreeMap::new() });
        t.kinds.entry(l.kind).or_default().push(l);
    }
    m.into_iter().map(|(level, themes)| (level, themes.into_values().collect())).collect()
}

/// Added value per stakeholder group, every group present (possibly empty), in the vocabulary's
/// order.
pub fn added_value(lessons: &[Lesson]) -> Vec<(StakeholderGroup, Vec<&Lesson>)> {
    StakeholderGroup::ALL
        .iter()
        .map(|g| {
            let items =
                lessons.iter().filter(|l| l.kind == InsightKind::AddedValue && l.stakeholder == Some(*g)).collect();
            (*g, items)
        })
        .collect()
}

/// The lessons of one theme within a level.
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeLessons<'a> {
    /// `None`: the general theme, for insights without one.
    pub theme: Option<&'a str>,
    pub kinds: BTreeMap<InsightKind, Vec<&'a Lesson>>,
}

impl ThemeLessons<'_> {
    pub fn label(&self, lang: Lang) -> String {
        match self.theme {
            Some(t) => t.to_string(),
            None => tr(lang, "algemeen", "general").to_string(),
        }
    }
}
