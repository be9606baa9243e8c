//! Signals from the social team (a subsection of "in the neighbourhood"): a chart per theme and
//! year, and a sourced statement per theme.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Datelike;
use parlog_core::{EventId, Lang};

use crate::fact::Src;
use crate::retro::context::Ctx;
use crate::retro::doc::{Block, Chart, Section, Stmt};

/// The subsection, if there are signals in the report's area on its day.
pub(crate) fn section(c: &Ctx) -> Option<Section> {
    let chart = chart(c)?;
    let mut s = Section::new("signalen", c.t("Signalen uit het sociaal team", "Signals from the social team"));
    s.blocks.push(Block::Chart(chart));
    c.capped(statements(c), &mut s.blocks);
    Some(s)
}

/// A theme as first spelled, its counts per year, and its signals.
type Theme = (String, BTreeMap<i32, u64>, Vec<Src>);

/// Themes are grouped case-insensitively, shown in their first spelling.
fn themes(c: &Ctx) -> BTreeMap<String, Theme> {
    let mut out: BTreeMap<String, Theme> = BTreeMap::new();
    for s in c.p.signals.on(c.day) {
        if !c.in_area(Some(&s.area)) {
            continue;
        }
        let e = out
            .entry(s.theme.trim().to_lowercase())
            .or_insert_with(|| (s.theme.trim().to_string(), BTreeMap::new(), Vec::new()));
        *e.1.entry(s.src.date.year()).or_default() += s.count as u64;
        e.2.push(s.src);
    }
    out
}

/// Signals per theme and year, if there are any.
pub(crate) fn chart(c: &Ctx) -> Option<Chart> {
    let themes = themes(c);
    let years: Vec<i32> = {
        let all: BTreeSet<i32> = themes.values().flat_map(|t| t.1.keys().copied()).collect();
        let (Some(first), Some(last)) = (all.first(), all.last()) else { return None };
        (*first..=*last).collect()
    };
    let rows = themes
        .into_values()
        .map(|(name, per_year, _)| (name, years.iter().map(|y| per_year.get(y).copied().unwrap_or(0)).collect()))
        .collect();
    Some(Chart::Signals {
        title: c
            .t("Signalen uit het sociaal team per thema en jaar", "Signals from the social team per theme and year")
            .to_string(),
        years,
        themes: rows,
    })
}

/// One statement per theme: how many signals, when, and into which initiatives they went.
fn statements(c: &Ctx) -> Vec<Stmt> {
    let mut collectivised: BTreeMap<EventId, Vec<String>> = BTreeMap::new();
    for (_, i) in c.p.initiatives.on(c.day) {
        let Some(b) = &i.base else { continue };
        for col in i.collectivised.values().filter(|x| c.visible(&x.src)) {
            for id in &col.signals {
                collectivised.entry(*id).or_default().push(b.name.clone());
            }
        }
    }
    let mut into: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in c.p.signals.on(c.day) {
        if let Some(names) = collectivised.get(&s.id) {
            into.entry(s.theme.trim().to_lowercase()).or_default().extend(names.iter().cloned());
        }
    }
    themes(c)
        .into_iter()
        .map(|(key, (name, per_year, srcs))| {
            let total: u64 = per_year.values().sum();
            let first = per_year.keys().next().copied().unwrap_or_default();
            let last = per_year.keys().last().copied().unwrap_or_default();
            let years = if first == last { first.to_string() } else { format!("{first}–{last}") };
            let mut text = match c.lang {
                Lang::Nl => {
                    format!("{} gemeld ({years})", c.count(total, ("vraag", "vragen"), ("question", "questions")))
                }
                Lang::En => {
                    format!("{} reported ({years})", c.count(total, ("vraag", "vragen"), ("question", "questions")))
                }
            };
            if let Some(names) = into.get(&key) {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                text += &format!("; {} {}", c.t("gebundeld in", "bundled into"), names.join(", "));
            }
            Stmt::new(format!("{name}:"), text, srcs)
        })
        .collect()
}
