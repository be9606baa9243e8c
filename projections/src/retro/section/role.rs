//! "The role in the municipality": the role's history (with its chart: capacity over time and
//! changes of method), the role as it stands on the report's day, the added value per party and
//! the municipality's lessons.

use chrono::NaiveDate;
use parlog_core::{Lang, Level};

use super::lessons;
use crate::fact::Src;
use crate::lessons::Lesson;
use crate::retro::context::{capitalise, fmt_fte, sentence, Ctx};
use crate::retro::doc::{Block, Chart, Section, Stmt};
use crate::role::{Described, RoleField};

pub(crate) fn section(c: &Ctx, lessons: &[Lesson]) -> Section {
    let mut s = Section::new("gemeente", c.t("De functie in de gemeente", "The role in the municipality"));
    if let Some(d) = described(c) {
        s.subsections.push(history(c, d));
        if let Some(now) = now(c) {
            s.subsections.push(now);
        }
    }
    s.subsections.push(lessons::added_value(c, lessons));
    s.subsections.push(lessons::of_level(c, lessons, Level::Municipality));
    s
}

/// The description of the primary role, if it is known on the report's day.
fn described<'a>(c: &Ctx<'a>) -> Option<&'a Described> {
    let (_, role) = c.p.role.primary()?;
    role.described.as_ref().filter(|d| c.visible(&d.src))
}

/// The description, then every change in order of taking effect.
fn history(c: &Ctx, d: &Described) -> Section {
    let (_, role) = c.p.role.primary().expect("described() found the primary role");
    let mut history = Section::new("geschiedenis", c.t("Geschiedenis van de functie", "History of the role"));
    // The mandate is the study's own text and may begin with a capital: it follows a full stop.
    let mut items = vec![Stmt::new(
        format!("{} ({}):", d.title, c.day(d.effective)),
        match c.lang {
            Lang::Nl => {
                format!("beschreven met {} fte. {}", fmt_fte(d.capacity_fte), capitalise(&sentence(&d.mandate)))
            }
            Lang::En => {
                format!("described with {} FTE. {}", fmt_fte(d.capacity_fte), capitalise(&sentence(&d.mandate)))
            }
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
            format!("{} ({}):", c.t("Gewijzigd", "Changed"), c.day(ch.effective)),
            format!("{}. {}", what.join(", "), capitalise(&sentence(&ch.rationale))),
            vec![ch.src],
        ));
    }
    history.blocks.push(Block::Chart(timeline(c, d.effective, d.capacity_fte, d.src)));
    history.blocks.push(Block::List(items));
    history
}

/// The role as it stands on the report's day.
fn now(c: &Ctx) -> Option<Section> {
    let state = c.p.role.state_on(c.today)?;
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
    Some(now)
}

/// The role chart, if a role has been described.
pub(crate) fn chart(c: &Ctx) -> Option<Chart> {
    let d = described(c)?;
    Some(timeline(c, d.effective, d.capacity_fte, d.src))
}

fn timeline(c: &Ctx, start: NaiveDate, fte: f64, src: Src) -> Chart {
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
