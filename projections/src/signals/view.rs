//! The views of the signals: per theme and area, with the initiatives that bundled them, as JSON
//! and as text.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use parlog_core::EventId;
use serde_json::{json, Value};

use super::{Signal, Signals};
use crate::fact::Src;
use crate::text::{count, fmt_day, fmt_month, month_label, month_of, src_ref, tr};
use crate::{Projections, ViewOptions};

impl Signals {
    /// Per signal id: the initiatives (stream, collectivisation source) it was collectivised into
    /// on or before a day. Initiatives whose start is not (or no longer) in the log are skipped.
    fn collectivised_into(p: &Projections, day: Option<NaiveDate>) -> BTreeMap<EventId, Vec<(String, Src)>> {
        let mut out: BTreeMap<EventId, Vec<(String, Src)>> = BTreeMap::new();
        for (stream, i) in &p.initiatives.items {
            if !i.exists_on(day) {
                continue;
            }
            for c in i.collectivised.values().filter(|c| day.is_none_or(|d| c.src.date <= d)) {
                for id in &c.signals {
                    out.entry(*id).or_default().push((stream.clone(), c.src));
                }
            }
        }
        for v in out.values_mut() {
            v.sort_by_key(|(_, src)| *src);
        }
        out
    }

    /// Signals on a day grouped by area (stream) and theme, oldest first within a theme.
    fn grouped<'a>(
        &'a self,
        p: &Projections,
        day: Option<NaiveDate>,
    ) -> BTreeMap<&'a str, BTreeMap<&'a str, Vec<Shown<'a>>>> {
        let into = Self::collectivised_into(p, day);
        let mut out: BTreeMap<&str, BTreeMap<&str, Vec<Shown>>> = BTreeMap::new();
        for s in self.on(day) {
            let shown = Shown { signal: s, into: into.get(&s.id).cloned().unwrap_or_default() };
            out.entry(s.area.as_str()).or_default().entry(s.theme.as_str()).or_default().push(shown);
        }
        out
    }

    pub fn view(&self, p: &Projections, o: &ViewOptions) -> Value {
        let (dir, ini) = (&p.directory, &p.initiatives);
        let grouped = self.grouped(p, o.day);
        let areas: Vec<Value> = grouped
            .iter()
            .map(|(area, themes)| {
                let area_total = total(themes_signals(themes));
                let themes: Vec<Value> = themes
                    .iter()
                    .map(|(theme, shown)| {
                        let signals: Vec<Value> = shown
                            .iter()
                            .map(|s| {
                                json!({
                                    "id": s.signal.id, "count": s.signal.count, "src": s.signal.src,
                                    "collectivised_into": s.into.iter().map(|(i, src)| json!({
                                        "initiative": i, "initiative_name": ini.name(i), "src": src
                                    })).collect::<Vec<_>>(),
                                })
                            })
                            .collect();
                        json!({
                            "theme": theme,
                            "total": total(shown.iter().map(|s| s.signal)),
                            "months": months_json(shown.iter().map(|s| s.signal)),
                            "signals": signals,
                        })
                    })
                    .collect();
                json!({
                    "area": area, "area_name": dir.area_name(area),
                    "total": area_total,
                    "themes": themes,
                })
            })
            .collect();
        let all = self.on(o.day);
        let mut by_theme: BTreeMap<&str, Vec<&Signal>> = BTreeMap::new();
        for s in &all {
            by_theme.entry(s.theme.as_str()).or_default().push(s);
        }
        let themes: Vec<Value> = by_theme
            .iter()
            .map(|(theme, v)| {
                json!({"theme": theme, "total": total(v.iter().copied()), "months": months_json(v.iter().copied())})
            })
            .collect();
        json!({
            "total": total(all.iter().copied()),
            "areas": areas,
            "themes": themes,
            "collectivisations": self.collectivisations_json(p, o),
        })
    }

    /// Every collectivisation on or before the day, oldest first, with its signals resolved.
    fn collectivisations_json(&self, p: &Projections, o: &ViewOptions) -> Vec<Value> {
        let dir = &p.directory;
        let mut out: Vec<(Src, Value)> = Vec::new();
        for (stream, i) in &p.initiatives.items {
            let Some(base) = i.base.as_ref().filter(|_| i.exists_on(o.day)) else { continue };
            for c in i.collectivised.values().filter(|c| o.day.is_none_or(|d| c.src.date <= d)) {
                let (signals, unresolved) = self.resolve(&c.signals, o.day);
                let n = total(signals.iter().copied());
                let signals: Vec<Value> = signals
                    .iter()
                    .map(|s| {
                        json!({
                            "id": s.id, "theme": s.theme, "area": s.area, "area_name": dir.area_name(&s.area),
                            "count": s.count, "src": s.src,
                        })
                    })
                    .collect();
                let v = json!({
                    "initiative": stream, "initiative_name": base.name,
                    "rationale": c.rationale, "src": c.src,
                    "total": n,
                    "signals": signals, "unresolved": unresolved,
                });
                out.push((c.src, v));
            }
        }
        out.sort_by_key(|(src, _)| *src);
        out.into_iter().map(|(_, v)| v).collect()
    }

    /// The signals a list of ids names on a day, and the ids it cannot resolve (retracted, or
    /// after the day).
    fn resolve(&self, ids: &[EventId], day: Option<NaiveDate>) -> (Vec<&Signal>, Vec<EventId>) {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for id in ids {
            match self.get(id).filter(|s| day.is_none_or(|d| s.src.date <= d)) {
                Some(s) => found.push(s),
                None => missing.push(*id),
            }
        }
        (found, missing)
    }

    pub fn text(&self, p: &Projections, o: &ViewOptions) -> String {
        let (dir, ini, lang) = (&p.directory, &p.initiatives, o.lang);
        let grouped = self.grouped(p, o.day);
        if grouped.is_empty() {
            return tr(lang, "Geen signalen.\n", "No signals.\n").to_string();
        }
        let mut out = String::new();
        for (area, themes) in &grouped {
            let n = total(themes_signals(themes));
            out += &format!(
                "{} ({})\n",
                dir.area_name(area),
                count(lang, n, ("vraag", "vragen"), ("question", "questions"))
            );
            for (theme, shown) in themes {
                let months: Vec<String> = months(shown.iter().map(|s| s.signal))
                    .iter()
                    .map(|(m, n)| format!("{} {}", fmt_month(*m, lang), n))
                    .collect();
                let n = total(shown.iter().map(|s| s.signal));
                out += &format!("  {theme}: {n} ({})\n", months.join(", "));
                for s in shown.iter().filter(|s| !s.into.is_empty()) {
                    let names: Vec<String> = s.into.iter().map(|(i, _)| ini.name(i)).collect();
                    out += &format!(
                        "    {} {} {}: {} {}\n",
                        fmt_day(s.signal.src.date, lang),
                        s.signal.count,
                        tr(lang, "gecollectiviseerd in", "collectivised into"),
                        names.join(", "),
                        src_ref(&s.signal.src, lang)
                    );
                }
            }
        }
        out
    }
}

fn themes_signals<'m, 'a>(themes: &'m BTreeMap<&'a str, Vec<Shown<'a>>>) -> impl Iterator<Item = &'a Signal> + 'm {
    themes.values().flatten().map(|s| s.signal)
}

fn total<'a>(signals: impl Iterator<Item = &'a Signal>) -> u64 {
    signals.map(|s| u64::from(s.count)).sum()
}

/// Questions per month (first day of the month), in order.
fn months<'a>(signals: impl Iterator<Item = &'a Signal>) -> BTreeMap<NaiveDate, u64> {
    let mut m = BTreeMap::new();
    for s in signals {
        *m.entry(month_of(s.src.date)).or_default() += u64::from(s.count);
    }
    m
}

fn months_json<'a>(signals: impl Iterator<Item = &'a Signal>) -> Vec<Value> {
    months(signals).iter().map(|(m, n)| json!({"month": month_label(*m), "count": n})).collect()
}

/// A signal as a view shows it: the record and the initiatives it was collectivised into.
struct Shown<'a> {
    signal: &'a Signal,
    into: Vec<(String, Src)>,
}
