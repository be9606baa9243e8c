//! The views of the lessons: per level, theme and kind, and the added value per group, as JSON and
//! as text.

use parlog_core::{InsightKind, Lang, Vocabulary};
use serde_json::{json, Value};

use super::{added_value, by_level_and_theme, Lesson};
use crate::text::{src_refs, tr};
use crate::{Projections, ViewOptions};

pub(crate) fn json(p: &Projections, o: &ViewOptions) -> Value {
    let (day, lang) = (o.day, o.lang);
    let lessons = p.lessons(day);
    let levels: Vec<Value> = by_level_and_theme(&lessons)
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
    let added: Vec<Value> = added_value(&lessons)
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

pub(crate) fn text(p: &Projections, o: &ViewOptions) -> String {
    let (day, lang) = (o.day, o.lang);
    let lessons = p.lessons(day);
    if lessons.is_empty() {
        return tr(lang, "Nog geen lessen uit reflecties.\n", "No lessons from reflections yet.\n").to_string();
    }
    let mut out = String::new();
    for (level, themes) in by_level_and_theme(&lessons) {
        out += &format!("{} {}\n", tr(lang, "Niveau:", "Level:"), level.label(lang));
        for t in themes {
            out += &format!("  {} {}\n", tr(lang, "Thema:", "Theme:"), t.label(lang));
            for (k, items) in &t.kinds {
                out += &format!("    {}:\n", k.label(lang));
                for l in items {
                    let area = area_of(p, l).map(|a| format!(" ({a})")).unwrap_or_default();
                    out += &format!("      - {}{area} {}\n", l.text, src_refs(&l.sources, lang));
                }
            }
        }
    }
    out += &format!("{}\n", tr(lang, "Meerwaarde per groep:", "Added value per group:"));
    for (g, items) in added_value(&lessons) {
        if items.is_empty() {
            out += &format!("  {}: {}\n", g.label(lang), tr(lang, "(nog niets vastgelegd)", "(nothing recorded yet)"));
            continue;
        }
        out += &format!("  {}:\n", g.label(lang));
        for l in items {
            let area = area_of(p, l).map(|a| format!(", {a}")).unwrap_or_default();
            out += &format!("    - {} ({}{area}) {}\n", l.text, l.level.label(lang), src_refs(&l.sources, lang));
        }
    }
    out
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
