//! Lessons as subsections of other sections: the added value per party (in "the role in the
//! municipality") and the successes, pitfalls and tips of one level (in the section of that
//! level). Open questions go to the conditions.

use std::collections::BTreeMap;

use parlog_core::{InsightKind, Lang, Level, Vocabulary};

use crate::lessons::{added_value as per_group, by_level_and_theme, Lesson};
use crate::retro::context::{capitalise, Ctx};
use crate::retro::doc::{Section, Stmt};

/// Added value per stakeholder group.
pub(crate) fn added_value(c: &Ctx, lessons: &[Lesson]) -> Section {
    let mut s = Section::new("meerwaarde", c.t("Meerwaarde per partij", "Added value per party"));
    for (group, items) in per_group(lessons) {
        if items.is_empty() {
            continue;
        }
        let mut sub = Section::new(format!("meerwaarde-{}", group.id()), capitalise(group.label(c.lang)));
        let stmts = items.iter().map(|l| Stmt::new("", l.text.clone(), l.sources.clone())).collect();
        c.capped(stmts, &mut sub.blocks);
        s.subsections.push(sub);
    }
    s
}

fn kind_title(c: &Ctx, k: InsightKind) -> &'static str {
    match k {
        InsightKind::Success => c.t("Successen", "Successes"),
        InsightKind::Pitfall => c.t("Valkuilen", "Pitfalls"),
        InsightKind::Tip => c.t("Tips uit de praktijk", "Tips from practice"),
        InsightKind::Question => c.t("Open vragen", "Open questions"),
        InsightKind::AddedValue => c.t("Meerwaarde", "Added value"),
    }
}

/// Successes, pitfalls and tips of one level, per kind, each with its theme.
pub(crate) fn of_level(c: &Ctx, lessons: &[Lesson], level: Level) -> Section {
    let title = match c.lang {
        Lang::Nl => format!("Successen, valkuilen en tips ({})", level.label(c.lang)),
        Lang::En => format!("Successes, pitfalls and tips ({})", level.label(c.lang)),
    };
    let mut s = Section::new(format!("lessen-{}", level.id()), title);
    let mut per_kind: BTreeMap<InsightKind, Vec<Stmt>> = BTreeMap::new();
    for (_, themes) in by_level_and_theme(lessons).into_iter().filter(|(l, _)| *l == level) {
        for theme in themes {
            for (kind, items) in &theme.kinds {
                if *kind == InsightKind::Question {
                    continue; // open questions go to the conditions chapter
                }
                for l in items {
                    per_kind.entry(*kind).or_default().push(Stmt::new(
                        format!("{}:", theme.label(c.lang)),
                        l.text.clone(),
                        l.sources.clone(),
                    ));
                }
            }
        }
    }
    for (kind, items) in per_kind {
        let mut sub = Section::new(format!("lessen-{}-{}", level.id(), kind.id()), kind_title(c, kind));
        c.capped(items, &mut sub.blocks);
        s.subsections.push(sub);
    }
    s
}
