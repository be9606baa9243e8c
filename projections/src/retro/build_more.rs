//! The sections after "the study": the role in the municipality, the makelaar at work, the
//! neighbourhood, conditions for other municipalities, and the cycles.

use std::collections::BTreeMap;

use parlog_core::{InsightKind, Lang, Level, Route, Vocabulary};

use super::build::{initiatives, neighbourhood_section, Ctx};
use super::doc::{Block, Chart, Section, Stmt};
use crate::fact::Src;
use crate::lessons::{Lesson, Lessons};
use crate::role::RoleField;

pub(super) fn sections(c: &Ctx) -> Vec<Section> {
    let lessons: Vec<Lesson> =
        c.p.lessons.lessons(c.p, c.day).into_iter().filter(|l| c.in_area(l.area.as_deref())).collect();
    let mut municipality = role_section(c);
    municipality.subsections.push(added_value(c, &lessons));
    municipality.subsections.push(level_lessons(c, &lessons, Level::Municipality));
    let mut at_work = work_section(c);
    at_work.subsections.push(level_lessons(c, &lessons, Level::Role));
    let mut wijk = neighbourhood_section(c);
    if let Some(chart) = super::build_signals::signals_chart(c) {
        let mut signals =
            Section::new("signalen", c.t("Signalen uit het sociaal team", "Signals from the social team"));
        signals.blocks.push(Block::Chart(chart));
        c.capped(super::build_signals::signal_statements(c), &mut signals.blocks);
        wijk.subsections.insert(0, signals);
    }
    wijk.subsections.push(level_lessons(c, &lessons, Level::Neighbourhood));
    vec![municipality, at_work, wijk, conditions(c, &lessons), cycles_appendix(c)]
}

fn role_section(c: &Ctx) -> Section {
    let mut s = Section::new("gemeente", c.t("De functie in de gemeente", "The role in the municipality"));
    let Some((_, role)) = c.p.role.primary() else { return s };
    let Some(d) = role.described.as_ref().filter(|d| c.visible(&d.src)) else { return s };
    // History: the description, then every change in order of taking effect.
    let mut history = Section::new("geschiedenis", c.t("Geschiedenis van de functie", "History of the role"));
    let mut items = vec![Stmt::new(
        format!("{} ({}):", d.title, d.effective),
        match c.lang {
            Lang::Nl => format!("beschreven met {} fte; {}", fmt_fte(d.capacity_fte), d.mandate),
            Lang::En => format!("described with {} FTE; {}", fmt_fte(d.capacity_fte), d.mandate),
        },
        vec![d.src],
    )];
    let mut changes: Vec<_> = role.changes.values().filter(|ch| c.visible(&ch.src)).collect();
    changes.sort_by_key(|ch| (ch.effective, ch.src));
    for ch in &changes {
        let mut what = Vec::new();
        if let Some(f) = ch.capacity_fte {
            what.push(format!("{} {}", RoleField::CapacityFte.label(c.lang), fmt_fte(f)));
        }
        if ch.mandate.is_some() {
            what.push(RoleField::Mandate.label(c.lang).to_string());
        }
        if ch.tasks.is_some() {
            what.push(RoleField::Tasks.label(c.lang).to_string());
        }
        if ch.position.is_some() {
            what.push(RoleField::Position.label(c.lang).to_string());
        }
        items.push(Stmt::new(
            format!("{} ({}):", c.t("Gewijzigd", "Changed"), ch.effective),
            format!("{}. {}", what.join(", "), ch.rationale),
            vec![ch.src],
        ));
    }
    history.blocks.push(Block::Chart(role_chart(c, d.effective, d.capacity_fte, d.src)));
    history.blocks.push(Block::List(items));
    s.subsections.push(history);

    // The role as it stands on the report's day.
    if let Some(state) = c.p.role.state_on(c.today) {
        let mut now = Section::new("mandaat", c.t("Mandaat, taken en positie", "Mandate, tasks and position"));
        let mut items = Vec::new();
        for f in [RoleField::Mandate, RoleField::Tasks, RoleField::Position, RoleField::CapacityFte] {
            let (src, _) = state.source(f);
            let value = match f {
                RoleField::Tasks => state.tasks.value.join("; "),
                RoleField::CapacityFte => fmt_fte(state.capacity_fte.value),
                RoleField::Mandate => state.mandate.value.clone(),
                _ => state.position.value.clone(),
            };
            items.push(Stmt::new(format!("{}:", capitalise(f.label(c.lang))), value, vec![src]));
        }
        now.blocks.push(Block::List(items));
        s.subsections.push(now);
    }
    s
}

/// The role chart, if a role has been described.
pub(super) fn role_chart_for(c: &Ctx) -> Option<Chart> {
    let (_, role) = c.p.role.primary()?;
    let d = role.described.as_ref().filter(|d| c.visible(&d.src))?;
    Some(role_chart(c, d.effective, d.capacity_fte, d.src))
}

/// The spiral chart, if there are cycles.
pub(super) fn spiral_chart(c: &Ctx) -> Option<Chart> {
    cycles_appendix(c).blocks.into_iter().find_map(|b| match b {
        Block::Chart(ch) => Some(ch),
        _ => None,
    })
}

fn role_chart(c: &Ctx, start: chrono::NaiveDate, fte: f64, src: Src) -> Chart {
    let (_, role) = c.p.role.primary().expect("caller checked");
    let mut capacity = vec![(start, fte, src)];
    let mut changes: Vec<_> =
        role.changes.values().filter(|ch| c.visible(&ch.src) && ch.capacity_fte.is_some()).collect();
    changes.sort_by_key(|ch| (ch.effective, ch.src));
    for ch in changes {
        capacity.push((ch.effective, ch.capacity_fte.expect("filtered"), ch.src));
    }
    let methods: Vec<_> =
        c.p.role
            .method_changes()
            .into_iter()
            .filter(|(_, m)| c.visible(&m.src))
            .map(|(_, m)| (m.effective, m.aspect.clone(), m.src))
            .collect();
    let to = c.today.unwrap_or(start).max(start);
    let to = capacity.iter().map(|x| x.0).chain(methods.iter().map(|m| m.0)).fold(to, |a, b| a.max(b));
    Chart::RoleTimeline {
        title: c
            .t(
                "De functie door de tijd: capaciteit en wijzigingen in de werkwijze",
                "The role over time: capacity and changes of method",
            )
            .to_string(),
        from: start,
        to,
        capacity,
        methods,
        fte_label: c.t("fte", "FTE").to_string(),
    }
}

fn work_section(c: &Ctx) -> Section {
    let mut s = Section::new("functie", c.t("De sociaal makelaar aan het werk", "The community broker at work"));
    // Method and how it changed, with the reflections behind each change.
    let mut method = Section::new("werkwijze", c.t("Werkwijze en hoe die veranderde", "Method and how it changed"));
    let items: Vec<Stmt> = c
        .p
        .role
        .method_changes()
        .into_iter()
        .filter(|(_, m)| c.visible(&m.src))
        .map(|(_, m)| {
            let mut srcs = vec![m.src];
            srcs.extend(
                m.reflections.iter().filter_map(|r| c.p.role.reflection(*r)).map(|r| r.src).filter(|s| c.visible(s)),
            );
            let text = match c.lang {
                Lang::Nl => format!(
                    "van \"{}\" naar \"{}\" (vanaf {}). Waarom: {}",
                    m.before, m.after, m.effective, m.rationale
                ),
                Lang::En => {
                    format!("from \"{}\" to \"{}\" (from {}). Why: {}", m.before, m.after, m.effective, m.rationale)
                }
            };
            Stmt::new(format!("{}:", m.aspect), text, srcs)
        })
        .collect();
    c.capped(items, &mut method.blocks);
    s.subsections.push(method);

    // Routes into projects.
    let list = initiatives(c);
    let mut routes = Section::new("routes", c.t("Twee routes naar een project", "Two routes into a project"));
    let mut items = Vec::new();
    for route in Route::ALL {
        let of: Vec<_> = list.iter().filter(|(_, i)| i.base.as_ref().is_some_and(|b| b.route == *route)).collect();
        if of.is_empty() {
            continue;
        }
        let names: Vec<String> = of.iter().map(|(_, i)| i.base.as_ref().expect("has base").name.clone()).collect();
        let srcs = of.iter().filter_map(|(_, i)| i.started()).collect();
        items.push(Stmt::new(format!("{} ({}):", capitalise(route.label(c.lang)), of.len()), names.join(", "), srcs));
    }
    c.capped(items, &mut routes.blocks);
    s.subsections.push(routes);

    // The broker's roles per project.
    let mut roles = Section::new("rollen", c.t("Rollen per project", "Roles per project"));
    let items: Vec<Stmt> = list
        .iter()
        .filter_map(|(_, i)| {
            let mut r: Vec<_> = i.broker.values().filter(|b| c.visible(&b.src)).collect();
            if r.is_empty() {
                return None;
            }
            r.sort_by_key(|b| b.src);
            let steps: Vec<String> = r.iter().map(|b| format!("{} ({})", b.role.label(c.lang), b.src.date)).collect();
            let name = i.base.as_ref().expect("has base").name.clone();
            Some(Stmt::new(format!("{name}:"), steps.join(" → "), r.iter().map(|b| b.src).collect()))
        })
        .collect();
    c.capped(items, &mut roles.blocks);
    s.subsections.push(roles);
    s
}

fn added_value(c: &Ctx, lessons: &[Lesson]) -> Section {
    let mut s = Section::new("meerwaarde", c.t("Meerwaarde per partij", "Added value per party"));
    for (group, items) in Lessons::added_value(lessons) {
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
fn level_lessons(c: &Ctx, lessons: &[Lesson], level: Level) -> Section {
    let title = match c.lang {
        Lang::Nl => format!("Successen, valkuilen en tips ({})", level.label(c.lang)),
        Lang::En => format!("Successes, pitfalls and tips ({})", level.label(c.lang)),
    };
    let mut s = Section::new(format!("lessen-{}", level.id()), title);
    let mut per_kind: BTreeMap<InsightKind, Vec<Stmt>> = BTreeMap::new();
    for (_, themes) in Lessons::by_level_and_theme(lessons).into_iter().filter(|(l, _)| *l == level) {
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

fn conditions(c: &Ctx, lessons: &[Lesson]) -> Section {
    let mut s = Section::new(
        "randvoorwaarden",
        c.t("Randvoorwaarden voor andere gemeenten", "Conditions for other municipalities"),
    );
    if let Some(state) = c.p.role.state_on(c.today) {
        let (src, _) = state.source(RoleField::Position);
        s.blocks.push(Block::Para(Stmt::new(
            c.t("Positie van de functie:", "Position of the role:"),
            state.position.value.clone(),
            vec![src],
        )));
    }
    let mut attention =
        Section::new("aandachtspunten", c.t("Aandachtspunten uit de praktijk", "Points of attention from practice"));
    let o = crate::ViewOptions { lang: c.lang, day: c.today, since: None, thresholds: Default::default() };
    let warnings = crate::warnings::warnings(c.p, &o);
    let items: Vec<Stmt> = warnings
        .into_iter()
        .filter(|w| !w.sources.is_empty())
        .map(|w| Stmt::new(format!("{}:", w.subject_label), w.reason, w.sources))
        .collect();
    c.capped(items, &mut attention.blocks);
    s.subsections.push(attention);
    let mut open = Section::new("open-vragen", c.t("Open vragen", "Open questions"));
    let items: Vec<Stmt> = lessons
        .iter()
        .filter(|l| l.kind == InsightKind::Question)
        .map(|l| Stmt::new(format!("{}:", l.level.label(c.lang)), l.text.clone(), l.sources.clone()))
        .collect();
    c.capped(items, &mut open.blocks);
    s.subsections.push(open);
    s
}

fn cycles_appendix(c: &Ctx) -> Section {
    let mut s = Section::new("bijlage-cycli", c.t("Bijlage: de onderzoekscycli", "Appendix: the research cycles"));
    let spiral = c.p.cycles.spiral(c.day);
    let mut chart_levels = Vec::new();
    for (level, areas) in &spiral {
        let mut level_section = Section::new(format!("cycli-{}", level.id()), capitalise(level.label(c.lang)));
        let mut chart_cycles = Vec::new();
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
                chart_cycles.push((b.question.clone(), b.src.date, b.src));
                let steps = cycle.steps_on(c.day);
                let (mut actions, mut notes, mut reflections) = (0, 0, 0);
                let mut srcs = vec![b.src];
                for st in &steps {
                    match st {
                        crate::cycles::Step::Action(_) => actions += 1,
                        crate::cycles::Step::Note(_) => notes += 1,
                        crate::cycles::Step::Reflection(r) => {
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
        if !chart_cycles.is_empty() {
            // One spiral per level, in the order the cycles were opened, whatever their area.
            chart_cycles.sort_by_key(|(_, _, src)| *src);
            chart_levels.push((capitalise(level.label(c.lang)), chart_cycles));
        }
        s.subsections.push(level_section);
    }
    if !chart_levels.is_empty() {
        s.blocks.push(Block::Chart(Chart::Spiral {
            title: c.t("De spiraal van cycli per niveau", "The spiral of cycles per level").to_string(),
            levels: chart_levels,
        }));
    }
    s
}

/// A text as a sentence: with a full stop unless it already ends in punctuation.
fn sentence(s: &str) -> String {
    let t = s.trim_end();
    if t.ends_with(['.', '!', '?', ':', ';']) {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

fn fmt_fte(f: f64) -> String {
    if (f.fract()).abs() < 1e-9 {
        format!("{f:.0}")
    } else {
        format!("{f:.1}")
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn slug(s: &str) -> String {
    s.chars().map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect()
}
