//! The lessons of every study grouped by theme, with the studies each theme appears in: the
//! question a comparison is for ("what worked where") is answered by themes shared between
//! studies, so those come first.

use std::collections::BTreeMap;

use parlog_core::{InsightKind, Lang, Vocabulary};

use super::doc::{Cites, LessonItem, Listed, Theme, ThemeStudy};
use super::{CompareOptions, StudyInput};
use crate::lessons::{theme_key, Lesson};
use crate::text::tr;

/// A theme while it is being gathered: its first spelling and its lessons per study (by index
/// into the studies given).
struct Gathered<'a> {
    label: Option<&'a str>,
    per_study: BTreeMap<usize, Vec<&'a Lesson>>,
}

pub(crate) fn themes(studies: &[StudyInput], o: &CompareOptions) -> Listed<Theme> {
    let lessons: Vec<Vec<Lesson>> = studies.iter().map(|s| s.projections.lessons(None)).collect();
    let mut gathered: BTreeMap<(bool, String), Gathered> = BTreeMap::new();
    for (i, ls) in lessons.iter().enumerate() {
        for l in ls {
            let g = gathered
                .entry(theme_key(l.theme.as_deref()))
                .or_insert_with(|| Gathered { label: l.theme.as_deref().map(str::trim), per_study: BTreeMap::new() });
            g.per_study.entry(i).or_default().push(l);
        }
    }
    let mut list: Vec<((bool, String), Gathered)> = gathered.into_iter().collect();
    // The general theme last, then themes in more studies first, then by name: the order a
    // reader comparing studies wants, and a total order, so the same input gives the same bytes.
    list.sort_by(|(ka, a), (kb, b)| {
        (ka.0, std::cmp::Reverse(a.per_study.len()), &ka.1).cmp(&(kb.0, std::cmp::Reverse(b.per_study.len()), &kb.1))
    });
    let themes = list.into_iter().map(|((general, _), g)| theme(studies, general, g, o)).collect();
    Listed::cut(themes, o.list_items_max)
}

fn theme(studies: &[StudyInput], general: bool, g: Gathered, o: &CompareOptions) -> Theme {
    let label = match g.label {
        Some(t) => t.to_string(),
        None => tr(o.lang, "algemeen", "general").to_string(),
    };
    let per_study: Vec<ThemeStudy> = g
        .per_study
        .into_iter()
        .map(|(i, ls)| {
            let study = studies[i].slug;
            let items = ls.into_iter().map(|l| item(study, l, o.lang)).collect();
            ThemeStudy { study: study.clone(), lessons: Listed::cut(items, o.list_items_max) }
        })
        .collect();
    Theme { label, general, studies: per_study.iter().map(|s| s.study.clone()).collect(), per_study }
}

fn item(study: &parlog_core::StudySlug, l: &Lesson, lang: Lang) -> LessonItem {
    let kind_label = match (l.kind, l.stakeholder) {
        (InsightKind::AddedValue, Some(g)) => format!("{} ({})", l.kind.label(lang), g.label(lang)),
        (k, _) => k.label(lang).to_string(),
    };
    LessonItem {
        kind: l.kind,
        kind_label,
        level: l.level,
        level_label: l.level.label(lang).to_string(),
        text: l.text.clone(),
        cites: Cites::of(study, l.sources.iter().copied()),
    }
}
