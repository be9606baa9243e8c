//! "Appendix: the research cycles": per level and area, each cycle with its plan, steps,
//! outcome, the changes of method it led to and the cycles that followed; and the spiral chart.

use parlog_core::{Lang, Vocabulary};

use crate::cycles::Step;
use crate::retro::context::{capitalise, sentence, slug, Ctx};
use crate::retro::doc::{Block, Chart, Section, Stmt};

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
                let b = cycle.base.as_ref().expect("spiral keeps cycles with a base");
                let steps = cycle.steps_on(c.day);
                let (mut actions, mut notes, mut reflections) = (0, 0, 0);
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
                let mut text = match c.lang {
                    Lang::Nl => {
                        format!(
                            "plan: {} {actions} acties, {notes} veldnotities, {reflections} reflecties",
                            sentence(&b.plan)
                        )
                    }
                    Lang::En => {
                        format!(
                            "plan: {} {actions} actions, {notes} field notes, {reflections} reflections",
                            sentence(&b.plan)
                        )
                    }
                };
                if let Some(closed) = cycle.outcome_on(c.day) {
                    text += &format!("; {}: {}", c.t("uitkomst", "outcome"), closed.outcome);
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
                    text +=
                        &format!("; {}: {}", c.t("leidde tot wijziging van", "led to a change of"), changes.join(", "));
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
                    text += &format!("; {}: {}", c.t("gevolgd door", "followed by"), next.join(" / "));
                }
                items.push(Stmt::new(format!("{} ({}):", b.question, b.src.date), text, srcs));
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

/// The spiral: per level, its cycles in the order they were opened, whatever their area; `None`
/// if there are no cycles.
pub(crate) fn chart(c: &Ctx) -> Option<Chart> {
    let mut levels = Vec::new();
    for (level, areas) in &c.p.cycles.spiral(c.day) {
        let mut cycles: Vec<_> = areas
            .iter()
            .filter(|(area, _)| c.o.area.is_none() || c.in_area(area.as_deref()))
            .flat_map(|(_, cycles)| cycles)
            .map(|(_, cycle)| {
                let b = cycle.base.as_ref().expect("spiral keeps cycles with a base");
                (b.question.clone(), b.src.date, b.src)
            })
            .collect();
        if !cycles.is_empty() {
            cycles.sort_by_key(|(_, _, src)| *src);
            levels.push((capitalise(level.label(c.lang)), cycles));
        }
    }
    (!levels.is_empty()).then(|| Chart::Spiral {
        title: c.t("De spiraal van cycli per niveau", "The spiral of cycles per level").to_string(),
        levels,
    })
}
