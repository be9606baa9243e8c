//! "The community broker at work": the method and how it changed (with the reflections behind
//! each change), the two routes into a project, the broker's roles per project, and the lessons
//! of the role level.

use parlog_core::{Lang, Level, Route, Vocabulary};

use super::lessons;
use crate::lessons::Lesson;
use crate::retro::context::{capitalise, Ctx};
use crate::retro::doc::{Section, Stmt};

pub(crate) fn section(c: &Ctx, lessons: &[Lesson]) -> Section {
    // The role in the study's own words: "De buurtverbinder aan het werk".
    let title = match c.lang {
        Lang::Nl => format!("{} aan het werk", capitalise(&c.role.the(c.lang))),
        Lang::En => format!("{} at work", capitalise(&c.role.the(c.lang))),
    };
    let mut s = Section::new("functie", title);
    s.subsections.push(method(c));
    s.subsections.push(routes(c));
    s.subsections.push(roles(c));
    s.subsections.push(lessons::of_level(c, lessons, Level::Role));
    s
}

/// Method and how it changed, with the reflections behind each change.
fn method(c: &Ctx) -> Section {
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
                    m.before,
                    m.after,
                    c.day(m.effective),
                    m.rationale
                ),
                Lang::En => format!(
                    "from \"{}\" to \"{}\" (from {}). Why: {}",
                    m.before,
                    m.after,
                    c.day(m.effective),
                    m.rationale
                ),
            };
            Stmt::new(format!("{}:", m.aspect), text, srcs)
        })
        .collect();
    c.capped(items, &mut method.blocks);
    method
}

/// Routes into projects: from signals, from opportunities.
fn routes(c: &Ctx) -> Section {
    let list = c.initiatives();
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
    routes
}

/// The broker's roles per project, in order.
fn roles(c: &Ctx) -> Section {
    let mut roles = Section::new("rollen", c.t("Rollen per project", "Roles per project"));
    let items: Vec<Stmt> = c
        .initiatives()
        .iter()
        .filter_map(|(_, i)| {
            let mut r: Vec<_> = i.broker.values().filter(|b| c.visible(&b.src)).collect();
            if r.is_empty() {
                return None;
            }
            r.sort_by_key(|b| b.src);
            let steps: Vec<String> =
                r.iter().map(|b| format!("{} ({})", b.role.label(c.lang), c.day(b.src.date))).collect();
            let name = i.base.as_ref().expect("has base").name.clone();
            Some(Stmt::new(format!("{name}:"), steps.join(" → "), r.iter().map(|b| b.src).collect()))
        })
        .collect();
    c.capped(items, &mut roles.blocks);
    roles
}
