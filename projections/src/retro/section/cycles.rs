//! "Appendix: the research cycles": per level and area, each cycle with its plan, steps,
//! outcome, the changes of method it led to and the cycles that followed, then its reflections
//! with their summaries; and the spiral chart, one spiral per chain of `previous` links.

use parlog_core::{Lang, Vocabulary};

use crate::cycles::{Cycle, CycleBase, Step};
use crate::retro::context::{capitalise, sentence, slug, Ctx};
use crate::retro::doc::{Block, Chart, Section, SpiralChart, Stmt};

pub(crate) fn section(c: &Ctx) -> Section {
    let mut s = Section::new("bijlage-cycli", c.t("Bijlage: de onderzoekscycli", "Appendix: the research cycles"));
    for (level, areas) in &c.p.cycles.spiral(c.day) {
        let mut level_section = Section::new(format!("cycli-{}", level.id()), capitalise(level.label(c.lang)));
        for (area, cycles) in areas {
            if !c.in_area(area.as_deref()) && c.o.area.is_some() {
                continue;
            }
            let title = match area {
                Some(a) => c.p.directory.area_name(a),
                None => c.t("zonder gebied", "no area").to_string(),
            };
            let mut area_section = Section::new(format!("cycli-{}-{}", level.id(), slug(&title)), title);
            let mut items = Vec::new();
            for (stream, cycle) in cycles {
                items.push(statement(c, stream, cycle));
                items.extend(reflections(c, cycle));
            }
            c.capped(items, &mut area_section.blocks);
            level_section.subsections.push(area_section);
        }
        s.subsections.push(level_section);
    }
    if let Some(chart) = chart(c) {
        s.blocks.push(Block::Chart(chart));
    }
    s
}

/// One cycle: its plan, its steps counted, its outcome, the changes of method its reflections
/// led to, and the cycles that follow it. Sentences, each with its own label, so that text from
/// the log (which may begin with a capital) never follows a semicolon.
fn statement(c: &Ctx, stream: &str, cycle: &Cycle) -> Stmt {
    let b = cycle.base.as_ref().expect("spiral keeps cycles with a base");
    let steps = cycle.steps_on(c.day);
    let (mut actions, mut notes, mut reflections) = (0u64, 0u64, 0u64);
    let mut srcs = vec![b.src];
    for st in &steps {
        match st {
            Step::Action(_) => actions += 1,
            Step::Note(_) => notes += 1,
            Step::Reflection(r) => {
                reflections += 1;
                srcs.push(r.src);
            }
        }
    }
    let counted = [
        c.count(actions, ("actie", "acties"), ("action", "actions")),
        c.count(notes, ("veldnotitie", "veldnotities"), ("field note", "field notes")),
        c.count(reflections, ("reflectie", "reflecties"), ("reflection", "reflections")),
    ];
    let mut text = format!(
        "{} {} {}: {}.",
        c.t("Plan:", "Plan:"),
        capitalise(&sentence(&b.plan)),
        c.t("Stappen", "Steps"),
        counted.join(", ")
    );
    if let Some(closed) = cycle.outcome_on(c.day) {
        text += &format!(" {} {}", c.t("Uitkomst:", "Outcome:"), capitalise(&sentence(&closed.outcome)));
        srcs.push(closed.src);
    }
    let changes: Vec<String> = cycle
        .reflections_on(c.day)
        .iter()
        .flat_map(|r| c.p.role.method_changes_citing(r.id))
        .filter(|(_, m)| c.visible(&m.src))
        .map(|(_, m)| {
            srcs.push(m.src);
            m.aspect.clone()
        })
        .collect();
    if !changes.is_empty() {
        let changes = sentence(&changes.join(", "));
        text += &format!(" {} {changes}", c.t("Leidde tot een wijziging van:", "Led to a change of:"));
    }
    if let Some(prev) = previous_elsewhere(c, b) {
        text += &format!(" {} {}.", c.t("Volgt op:", "Follows:"), prev);
    }
    let next: Vec<String> =
        c.p.cycles
            .next_of(stream, c.day)
            .into_iter()
            .filter_map(|(_, n)| n.base.as_ref())
            .map(|n| {
                srcs.push(n.src);
                n.question.clone()
            })
            .collect();
    if !next.is_empty() {
        text += &format!(" {} {}", c.t("Gevolgd door:", "Followed by:"), sentence(&next.join(" / ")));
    }
    Stmt::new(format!("{} ({}):", b.question, c.day(b.src.date)), text, srcs)
}

/// The cycle a cycle follows, named where the reader would not see it right above: a cycle of
/// another level or area (the list of an area shows its own chain in order).
fn previous_elsewhere(c: &Ctx, b: &CycleBase) -> Option<String> {
    let prev = b.previous.as_deref()?;
    let p = c.p.cycles.cycle(prev).filter(|p| p.exists_on(c.day))?.base.as_ref()?;
    if p.level == b.level && p.area == b.area {
        return None;
    }
    let area = p.area.as_deref().map(|a| format!(", {}", c.p.directory.area_name(a))).unwrap_or_default();
    Some(format!("{} ({}{area})", p.question, p.level.label(c.lang)))
}

/// The reflections of a cycle, each with its summary (or, without one, what it yielded).
fn reflections(c: &Ctx, cycle: &Cycle) -> Vec<Stmt> {
    cycle
        .reflections_on(c.day)
        .into_iter()
        .map(|r| {
            let lead = format!("{} ({}):", c.t("Reflectie", "Reflection"), c.day(r.src.date));
            let insights = r.insights.len();
            let text = match &r.summary {
                Some(s) => format!("{} {} {insights}.", capitalise(&sentence(s)), c.t("Inzichten:", "Insights:")),
                None => match c.lang {
                    Lang::Nl => format!("Zonder samenvatting. Inzichten: {insights}."),
                    Lang::En => format!("Without a summary. Insights: {insights}."),
                },
            };
            Stmt::new(lead, text, vec![r.src])
        })
        .collect()
}

/// The spirals: one per cycle that follows no other, with the cycles that follow it along their
/// `previous` links, side by side; `None` if there are no cycles. With an area chosen, the
/// spirals that touch it.
pub(crate) fn chart(c: &Ctx) -> Option<Chart> {
    let spirals: Vec<SpiralChart> =
        c.p.cycles
            .spirals(c.day)
            .into_iter()
            .filter(|s| {
                c.o.area.is_none()
                    || s.cycles.iter().any(|l| c.in_area(l.cycle.base.as_ref().and_then(|b| b.area.as_deref())))
            })
            .map(|s| {
                let first = s.first().cycle.base.as_ref().expect("spirals keep cycles with a base");
                let title = match &first.area {
                    Some(a) => format!("{} · {}", capitalise(first.level.label(c.lang)), c.p.directory.area_name(a)),
                    None => capitalise(first.level.label(c.lang)),
                };
                let cycles = s
                    .cycles
                    .iter()
                    .map(|l| {
                        let b = l.cycle.base.as_ref().expect("spirals keep cycles with a base");
                        (b.question.clone(), b.src.date, b.src, l.previous)
                    })
                    .collect();
                SpiralChart { title, cycles }
            })
            .collect();
    (!spirals.is_empty()).then(|| Chart::Spiral {
        title: c
            .t(
                "De spiralen van cycli: elke cyclus volgt op de cyclus die hij als vorige noemt",
                "The spirals of cycles: each cycle follows the cycle it names as its previous one",
            )
            .to_string(),
        spirals,
    })
}
