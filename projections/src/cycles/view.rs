//! The views of the cycles: per level and area, each cycle with its steps, as JSON and as text.

use chrono::NaiveDate;
use parlog_core::{EventKind, Lang, Vocabulary};
use serde_json::{json, Value};

use std::collections::BTreeMap;

use super::{cited, visible, Chain, Cycle, Cycles, Reflection, Step};
use crate::names::Sym;
use crate::text::{count, fmt_day, src_ref, tr};
use crate::{Projections, ViewOptions};

impl Cycles {
    pub fn view(&self, p: &Projections, o: &ViewOptions) -> Value {
        let (day, lang, dir) = (o.day, o.lang, &p.directory);
        let spirals = self.spirals(day);
        let spiral_of: BTreeMap<&str, &str> =
            spirals.iter().flat_map(|s| s.cycles.iter().map(|l| (l.id.as_str(), s.first().id.as_str()))).collect();
        let levels: Vec<Value> = self
            .spiral(day)
            .into_iter()
            .map(|(level, areas)| {
                let areas: Vec<Value> = areas
                    .into_iter()
                    .map(|(area, cycles)| {
                        json!({
                            "area": area,
                            "area_name": area_name(p, area.as_deref(), lang),
                            "cycles": cycles.into_iter().map(|(k, c)| {
                                let mut v = self.cycle_json(p, k, c, o);
                                v["spiral"] = json!(spiral_of.get(k.as_str()));
                                v
                            }).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                json!({ "level": level, "level_label": level.label(lang), "areas": areas })
            })
            .collect();
        let study = dir.study().map(|(k, s)| json!({"id": k, "title": s.title}));
        let spirals: Vec<Value> = spirals.iter().map(|s| spiral_json(p, s, lang)).collect();
        json!({ "study": study, "day": day, "levels": levels, "spirals": spirals })
    }

    pub fn text(&self, p: &Projections, o: &ViewOptions) -> String {
        let (day, lang) = (o.day, o.lang);
        let mut out = String::new();
        for (level, areas) in self.spiral(day) {
            out += &format!("{} {}\n", tr(lang, "Niveau:", "Level:"), level.label(lang));
            for (area, cycles) in areas {
                out += &format!("  {}\n", area_name(p, area.as_deref(), lang));
                for (n, (k, c)) in cycles.into_iter().enumerate() {
                    self.cycle_text(p, k, c, n + 1, o, &mut out);
                }
            }
        }
        if out.is_empty() {
            return tr(lang, "Geen cycli.\n", "No cycles.\n").to_string();
        }
        spirals_text(p, &self.spirals(day), lang, &mut out);
        out
    }

    fn cycle_json(&self, p: &Projections, key: &str, c: &Cycle, o: &ViewOptions) -> Value {
        let (day, lang, dir) = (o.day, o.lang, &p.directory);
        let b = c.base.as_ref().expect("the spiral keeps cycles with a base");
        let steps: Vec<Value> = c.steps_on(day).into_iter().map(|s| step_json(p, s, o)).collect();
        let outcome = c.outcome_on(day);
        let (status, status_label) = match outcome {
            Some(_) => ("closed", tr(lang, "afgesloten", "closed")),
            None => ("open", tr(lang, "open", "open")),
        };
        let previous = b.previous.as_ref().map(|prev| {
            let exists = self.items.get(prev).is_some_and(|pc| pc.exists_on(day));
            json!({"id": prev, "question": exists.then(|| self.question(prev))})
        });
        json!({
            "id": key,
            "level": b.level, "level_label": b.level.label(lang),
            "area": b.area, "area_name": area_name(p, b.area.as_deref(), lang),
            "question": b.question,
            "plan": b.plan,
            "opened": b.src,
            "opened_by": dir.author(&b.author),
            "previous": previous,
            "status": status, "status_label": status_label,
            "steps": steps,
            "field_notes": c.notes_count_on(day),
            "outcome": outcome.map(|x| json!({"text": x.outcome, "by": dir.author(&x.author), "src": x.src})),
            "method_changes": cycle_method_changes(p, c, day).into_iter().map(|(role, m)| json!({
                "role": role, "aspect": m.aspect, "before": m.before, "after": m.after, "rationale": m.rationale,
                "effective": m.effective, "src": m.src,
            })).collect::<Vec<_>>(),
            "next": self.next_of(key, day).into_iter().map(|(k, n)| json!({
                "id": k, "question": n.base.as_ref().map(|b| b.question.as_str()), "opened": n.opened(),
            })).collect::<Vec<_>>(),
        })
    }

    fn cycle_text(&self, p: &Projections, key: &str, c: &Cycle, n: usize, o: &ViewOptions, out: &mut String) {
        let (day, lang) = (o.day, o.lang);
        let b = c.base.as_ref().expect("the spiral keeps cycles with a base");
        let status = match c.outcome_on(day) {
            Some(_) => tr(lang, "afgesloten", "closed"),
            None => tr(lang, "open", "open"),
        };
        *out += &format!("    {n}. {} ({status}) {}\n", b.question, src_ref(&b.src, lang));
        if let Some(prev) = &b.previous {
            *out += &format!("       {} {}\n", tr(lang, "volgt op:", "follows:"), self.question(prev));
        }
        *out += &format!("       {} {}\n", tr(lang, "plan:", "plan:"), b.plan);
        for s in c.steps_on(day) {
            *out += &format!("       {}\n", step_text(p, s, o));
        }
        for (_, m) in cycle_method_changes(p, c, day) {
            *out += &format!(
                "       → {} {} ({} {}) {}\n",
                tr(lang, "werkwijze gewijzigd:", "method changed:"),
                m.aspect,
                tr(lang, "vanaf", "from"),
                fmt_day(m.effective, lang),
                src_ref(&m.src, lang)
            );
        }
        if let Some(x) = c.outcome_on(day) {
            *out += &format!("       {} {} {}\n", tr(lang, "uitkomst:", "outcome:"), x.outcome, src_ref(&x.src, lang));
        }
        for (_, next) in self.next_of(key, day) {
            let q = next.base.as_ref().map(|b| b.question.as_str()).unwrap_or_default();
            *out += &format!("       → {} {}\n", tr(lang, "volgende cyclus:", "next cycle:"), q);
        }
    }
}

/// A spiral as JSON: where it starts, and its cycles with the one each follows.
fn spiral_json(p: &Projections, s: &Chain<'_>, lang: Lang) -> Value {
    let first = s.first().cycle.base.as_ref().expect("spirals keep cycles with a base");
    json!({
        "id": s.first().id,
        "level": first.level, "level_label": first.level.label(lang),
        "area": first.area, "area_name": area_name(p, first.area.as_deref(), lang),
        "question": first.question,
        "cycles": s.cycles.iter().map(|l| {
            let b = l.cycle.base.as_ref().expect("spirals keep cycles with a base");
            json!({
                "id": l.id, "question": b.question, "opened": b.src,
                "level": b.level, "area": b.area,
                "previous": l.previous.map(|i| s.cycles[i].id),
            })
        }).collect::<Vec<_>>(),
    })
}

/// The spirals as text: each with its cycles in order, and the cycle each follows where that is
/// not the one listed before it.
fn spirals_text(p: &Projections, spirals: &[Chain<'_>], lang: Lang, out: &mut String) {
    *out += tr(
        lang,
        "Spiralen (elke cyclus volgt op de cyclus die hij als vorige noemt):\n",
        "Spirals (each cycle follows the cycle it names as its previous one):\n",
    );
    for (n, s) in spirals.iter().enumerate() {
        let first = s.first().cycle.base.as_ref().expect("spirals keep cycles with a base");
        *out += &format!(
            "  {} {}: {}, {} ({})\n",
            tr(lang, "Spiraal", "Spiral"),
            n + 1,
            first.level.label(lang),
            area_name(p, first.area.as_deref(), lang),
            count(lang, s.cycles.len() as u64, ("cyclus", "cycli"), ("cycle", "cycles")),
        );
        for (i, l) in s.cycles.iter().enumerate() {
            let b = l.cycle.base.as_ref().expect("spirals keep cycles with a base");
            let follows = match l.previous {
                Some(prev) if prev + 1 != i => format!(" ({} {})", tr(lang, "volgt op", "follows"), prev + 1),
                _ => String::new(),
            };
            *out += &format!("    {}. {} ({}){follows}\n", i + 1, b.question, fmt_day(b.src.date, lang));
        }
    }
}

fn area_name(p: &Projections, area: Option<&str>, lang: Lang) -> String {
    match area {
        Some(a) => p.directory.area_name(a),
        None => tr(lang, "(geen gebied)", "(no area)").to_string(),
    }
}

/// The method changes, on a day, that cite any of the cycle's reflections; each once, in order.
fn cycle_method_changes<'a>(
    p: &'a Projections,
    c: &Cycle,
    day: Option<NaiveDate>,
) -> Vec<(&'a String, &'a crate::role::MethodChange)> {
    let mut v: Vec<_> = c
        .reflections_on(day)
        .into_iter()
        .flat_map(|r| p.role.method_changes_citing(r.id))
        .filter(|(_, m)| visible(m.src, day))
        .collect();
    v.sort_by_key(|(_, m)| (m.effective, m.src));
    v.dedup_by_key(|(_, m)| m.src);
    v
}

fn insight_counts_json(r: &Reflection, lang: Lang) -> Vec<Value> {
    r.insight_counts().into_iter().map(|(k, n)| json!({"kind": k, "label": k.label(lang), "count": n})).collect()
}

fn step_json(p: &Projections, s: Step<'_>, o: &ViewOptions) -> Value {
    let (day, lang, dir) = (o.day, o.lang, &p.directory);
    match s {
        Step::Action(a) => json!({
            "kind": "action", "kind_label": EventKind::ActionTaken.label(lang),
            "description": a.description,
            "initiative": a.initiative,
            "initiative_name": a.initiative.as_deref().map(|i| p.initiatives.name(i)),
            "by": dir.author(&a.author), "src": a.src,
        }),
        Step::Note(n) => {
            let name = |s: Sym| p.cycles.names.get(s);
            let (area, initiative) = (n.area.map(name), n.initiative.map(name));
            json!({
                "kind": "observation", "kind_label": EventKind::ObservationRecorded.label(lang),
                "id": n.id, "topic": n.topic.map(name),
                "area": area, "area_name": area.map(|a| dir.area_name(a)),
                "initiative": initiative,
                "initiative_name": initiative.map(|i| p.initiatives.name(i)),
                "by": dir.author(name(n.author)), "src": n.src,
            })
        }
        Step::Reflection(r) => json!({
            "kind": "reflection", "kind_label": EventKind::ReflectionRecorded.label(lang),
            "id": r.id,
            "summary": r.summary,
            "participants": r.participants.iter().map(|x| json!({"id": x, "label": dir.who(x)})).collect::<Vec<_>>(),
            "insights": r.insights.len(),
            "insights_by_kind": insight_counts_json(r, lang),
            "observations": cited(p, r, day),
            "method_changes": p.role.method_changes_citing(r.id).into_iter().filter(|(_, m)| visible(m.src, day))
                .map(|(role, m)| json!({"role": role, "aspect": m.aspect, "src": m.src})).collect::<Vec<_>>(),
            "by": dir.author(&r.author), "src": r.src,
        }),
    }
}

fn step_text(p: &Projections, s: Step<'_>, o: &ViewOptions) -> String {
    let (day, lang, dir) = (o.day, o.lang, &p.directory);
    match s {
        Step::Action(a) => {
            let initiative = match &a.initiative {
                Some(i) => format!(" ({})", p.initiatives.name(i)),
                None => String::new(),
            };
            format!(
                "{} {}: {}{} — {} {}",
                fmt_day(a.src.date, lang),
                tr(lang, "actie", "action"),
                a.description,
                initiative,
                dir.author(&a.author),
                src_ref(&a.src, lang)
            )
        }
        Step::Note(n) => format!(
            "{} {}: {} — {} {}",
            fmt_day(n.src.date, lang),
            tr(lang, "veldnotitie", "field note"),
            n.topic.map(|t| p.cycles.names.get(t)).unwrap_or(tr(lang, "(zonder onderwerp)", "(no topic)")),
            dir.author(p.cycles.names.get(n.author)),
            src_ref(&n.src, lang)
        ),
        Step::Reflection(r) => {
            let counts: Vec<String> =
                r.insight_counts().into_iter().map(|(k, n)| format!("{}: {n}", k.label(lang))).collect();
            let counts = if counts.is_empty() {
                tr(lang, "geen inzichten", "no insights").to_string()
            } else {
                counts.join(", ")
            };
            let notes = cited(p, r, day).len();
            let summary = r.summary.as_ref().map(|s| format!(" — {}", s.trim())).unwrap_or_default();
            format!(
                "{} {}: {counts}; {}: {notes}{summary} — {} {}",
                fmt_day(r.src.date, lang),
                tr(lang, "reflectie", "reflection"),
                tr(lang, "aangehaalde veldnotities", "field notes cited"),
                dir.author(&r.author),
                src_ref(&r.src, lang)
            )
        }
    }
}
