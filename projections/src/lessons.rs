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
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::cycles::{cited, Reflection};
use crate::fact::Src;
use crate::text::{src_refs, tr};
use crate::{Projections, ViewOptions};

/// Views over the reflections of [`Cycles`](crate::Cycles); no state of its own.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lessons {}

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
fn theme_key(theme: Option<&str>) -> (bool, String) {
    match theme {
        Some(t) => (false, t.trim().to_lowercase()),
        None => (true, String::new()),
    }
}

fn visible(src: Src, day: Option<NaiveDate>) -> bool {
    day.is_none_or(|d| src.date <= d)
}

impl Lessons {
    /// Every lesson known on a day, in log order (reflection, then insight order). Insights of
    /// reflections whose cycle does not exist on the day (retracted, say) are left out.
    pub fn lessons(&self, p: &Projections, day: Option<NaiveDate>) -> Vec<Lesson> {
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

    /// Successes, pitfalls, tips and questions per level, then per theme (first spelling seen),
    /// then per kind.
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

    /// Added value per stakeholder group, every group present (possibly empty), in the
    /// vocabulary's order.
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

    pub fn view(&self, p: &Projections, o: &ViewOptions) -> Value {
        let (day, lang) = (o.day, o.lang);
        let lessons = self.lessons(p, day);
        let levels: Vec<Value> = Lessons::by_level_and_theme(&lessons)
            .into_iter()
            .map(|(level, themes)| {
                let themes: Vec<Value> = themes
                    .into_iter()
                    .map(|t| {
                        json!({
                            "theme": t.theme, "theme_label": t.label(lang),
                            "kinds": t.kinds.into_iter().map(|(k, items)| json!({
                                "kind": k, "label": k.label(lang),
                                "items": items.into_iter().map(|l| lesson_json(p, l, lang)).collect::<Vec<_>>(),
                            })).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                json!({"level": level, "level_label": level.label(lang), "themes": themes})
            })
            .collect();
        let added: Vec<Value> = Lessons::added_value(&lessons)
            .into_iter()
            .map(|(g, items)| {
                json!({
                    "group": g, "label": g.label(lang),
                    "items": items.into_iter().map(|l| lesson_json(p, l, lang)).collect::<Vec<_>>(),
                })
            })
            .collect();
        let counts: Vec<Value> = InsightKind::ALL
            .iter()
            .map(|k| json!({"kind": k, "label": k.label(lang), "count": lessons.iter().filter(|l| l.kind == *k).count()}))
            .collect();
        json!({"day": day, "levels": levels, "added_value": added, "counts": counts})
    }

    pub fn text(&self, p: &Projections, o: &ViewOptions) -> String {
        let (day, lang) = (o.day, o.lang);
        let lessons = self.lessons(p, day);
        if lessons.is_empty() {
            return tr(lang, "Nog geen lessen uit reflecties.\n", "No lessons from reflections yet.\n").to_string();
        }
        let mut out = String::new();
        for (level, themes) in Lessons::by_level_and_theme(&lessons) {
            out += &format!("{} {}\n", tr(lang, "Niveau:", "Level:"), level.label(lang));
            for t in themes {
                out += &format!("  {} {}\n", tr(lang, "Thema:", "Theme:"), t.label(lang));
                for (k, items) in &t.kinds {
                    out += &format!("    {}:\n", k.label(lang));
                    for l in items {
                        let area = area_of(p, l).map(|a| format!(" ({a})")).unwrap_or_default();
                        out += &format!("      - {}{area} {}\n", l.text, src_refs(&l.sources));
                    }
                }
            }
        }
        out += &format!("{}\n", tr(lang, "Meerwaarde per groep:", "Added value per group:"));
        for (g, items) in Lessons::added_value(&lessons) {
            if items.is_empty() {
                out +=
                    &format!("  {}: {}\n", g.label(lang), tr(lang, "(nog niets vastgelegd)", "(nothing recorded yet)"));
                continue;
            }
            out += &format!("  {}:\n", g.label(lang));
            for l in items {
                let area = area_of(p, l).map(|a| format!(", {a}")).unwrap_or_default();
                out += &format!("    - {} ({}{area}) {}\n", l.text, l.level.label(lang), src_refs(&l.sources));
            }
        }
        out
    }
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

/// The name of the area of a lesson's cycle, if it has one.
fn area_of(p: &Projections, l: &Lesson) -> Option<String> {
    l.area.as_deref().map(|a| p.directory.area_name(a))
}

fn lesson_json(p: &Projections, l: &Lesson, lang: Lang) -> Value {
    json!({
        "text": l.text,
        "theme": l.theme,
        "theme_label": l.theme.clone().unwrap_or_else(|| tr(lang, "algemeen", "general").to_string()),
        "level": l.level, "level_label": l.level.label(lang),
        "area": l.area, "area_name": l.area.as_deref().map(|a| p.directory.area_name(a)),
        "cycle": l.cycle, "cycle_question": p.cycles.question(&l.cycle),
        "reflection": l.reflection,
        "sources": l.sources,
    })
}
