//! The one list of views: each view's name, what it shows, its JSON and text forms, and its chart
//! if it has one. Everything that names views derives from [`VIEWS`]: [`Projections::view`] and
//! [`Projections::text`], [`PROJECTION_NAMES`], the charts ([`crate::retro::chart_svg`]) and the
//! message of [`UnknownProjection`]. Adding a view is one entry here.

use chrono::NaiveDate;
use parlog_core::Lang;
use serde_json::Value;

use crate::retro::context::Ctx;
use crate::retro::{section, Chart};
use crate::warnings::{self, Thresholds};
use crate::{lessons, Projections};

/// How to show a view.
#[derive(Debug, Clone)]
pub struct ViewOptions {
    pub lang: Lang,
    /// The day the view treats as "today"; `None` means the last day in the log.
    pub day: Option<NaiveDate>,
    /// For the role: the earlier day of a diff.
    pub since: Option<NaiveDate>,
    pub thresholds: Thresholds,
}

impl Default for ViewOptions {
    fn default() -> Self {
        ViewOptions { lang: Lang::Nl, day: None, since: None, thresholds: Thresholds::default() }
    }
}

/// One view of the projections.
pub struct ViewDef {
    /// As used by `parlog project NAME`, `GET /api/v1/projections/{name}` and, for a view with a
    /// chart, `GET /api/v1/charts/{name}`.
    pub name: &'static str,
    /// What it shows: one line of English, for the API's document.
    pub about: &'static str,
    json: fn(&Projections, &ViewOptions) -> Value,
    text: fn(&Projections, &ViewOptions) -> String,
    /// The chart the retrospective draws for this view; `None` if there is nothing to draw.
    chart: Option<fn(&Ctx) -> Option<Chart>>,
}

impl ViewDef {
    pub fn json(&self, p: &Projections, o: &ViewOptions) -> Value {
        (self.json)(p, o)
    }
    pub fn text(&self, p: &Projections, o: &ViewOptions) -> String {
        (self.text)(p, o)
    }
    pub fn has_chart(&self) -> bool {
        self.chart.is_some()
    }
    /// The view's chart as the retrospective draws it, if it has one and there is something to
    /// draw.
    pub(crate) fn chart(&self, c: &Ctx) -> Option<Chart> {
        self.chart.and_then(|chart| chart(c))
    }
}

/// Every view, in the order they are listed to users.
pub const VIEWS: &[ViewDef] = &[
    ViewDef {
        name: "cycles",
        about: "Research cycles per level and area: plan, actions, field notes, reflections and outcome; and the \
                spirals they form, each cycle following the one its previous names.",
        json: |p, o| p.cycles.view(p, o),
        text: |p, o| p.cycles.text(p, o),
        chart: Some(section::cycles::chart),
    },
    ViewDef {
        name: "role",
        about: "The role the study is about (the community broker, under the study's own title): its \
                description, changes of capacity, mandate, tasks and position, and changes of method.",
        json: |p, o| p.role.view(p, o),
        text: |p, o| p.role.text(p, o),
        chart: Some(section::role::chart),
    },
    ViewDef {
        name: "initiatives",
        about: "Initiatives: route, area, initiators, stage, the broker's role, hand-over or stop.",
        json: |p, o| p.initiatives.view(&p.directory, o.day, o.lang),
        text: |p, o| p.initiatives.text(&p.directory, o.day, o.lang),
        chart: Some(section::neighbourhood::chart),
    },
    ViewDef {
        name: "signals",
        about: "Signals from the social team per theme and area, and the initiatives that bundled them.",
        json: |p, o| p.signals.view(p, o),
        text: |p, o| p.signals.text(p, o),
        chart: Some(section::signals::chart),
    },
    ViewDef {
        name: "lessons",
        about: "Lessons from reflection: successes, pitfalls, tips and open questions per level and theme, \
                and the added value per stakeholder group.",
        json: lessons::view::json,
        text: lessons::view::text,
        chart: None,
    },
    ViewDef {
        name: "network",
        about: "The social map: who was connected to whom, by whom, through which initiative.",
        json: |p, o| p.network.view(p, o),
        text: |p, o| p.network.text(p, o),
        chart: None,
    },
    ViewDef {
        name: "activity",
        about: "Activity and workload: field notes per participant, area and month, and the initiatives \
                each broker is involved in and leads.",
        json: |p, o| p.activity.view(p, o),
        text: |p, o| p.activity.text(p, o),
        chart: None,
    },
    ViewDef {
        name: "warnings",
        about: "Practice warnings: the pitfalls of the practice guide that hold on the view's day, with their \
                thresholds (the retrospective lists those that held at any time).",
        json: warnings::view::json,
        text: warnings::view::text,
        chart: None,
    },
    ViewDef {
        name: "codebook",
        about: "The codebook: codes with their history, coded excerpts, memos, and which codes occur together.",
        json: |p, o| p.codebook.view(p, o),
        text: |p, o| p.codebook.text(p, o),
        chart: None,
    },
    ViewDef {
        name: "directory",
        about: "The studies, participants and areas the log defines, with labels in the view's language.",
        json: |p, o| p.directory.view(p, o),
        text: |p, o| p.directory.text(p, o),
        chart: None,
    },
];

const fn names() -> [&'static str; VIEWS.len()] {
    let mut out = [""; VIEWS.len()];
    let mut i = 0;
    while i < VIEWS.len() {
        out[i] = VIEWS[i].name;
        i += 1;
    }
    out
}

/// The names of the views, as used by `parlog project NAME` and the API, in [`VIEWS`]' order.
pub const PROJECTION_NAMES: [&str; VIEWS.len()] = names();

/// The names of the views with a chart, as used by `GET /api/v1/charts/{name}`, in the order
/// the API lists them (the report's order: role, cycles, initiatives, signals). A unit test holds
/// them to [`VIEWS`].
pub const CHART_NAMES: [&str; 4] = ["role", "cycles", "initiatives", "signals"];

/// The view with this name.
pub fn find(name: &str) -> Result<&'static ViewDef, UnknownProjection> {
    VIEWS.iter().find(|v| v.name == name).ok_or_else(|| UnknownProjection(name.to_string()))
}

/// A view asked for by a name that does not exist.
#[derive(Debug, thiserror::Error)]
#[error("unknown projection {0:?}; expected one of: {names}", names = PROJECTION_NAMES.join(", "))]
pub struct UnknownProjection(pub String);

impl Projections {
    /// A view as JSON.
    pub fn view(&self, name: &str, o: &ViewOptions) -> Result<Value, UnknownProjection> {
        Ok(find(name)?.json(self, o))
    }

    /// A view as text for the terminal.
    pub fn text(&self, name: &str, o: &ViewOptions) -> Result<String, UnknownProjection> {
        Ok(find(name)?.text(self, o))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn chart_names_are_the_views_with_a_chart() {
        let charted: BTreeSet<&str> = VIEWS.iter().filter(|v| v.has_chart()).map(|v| v.name).collect();
        assert_eq!(charted, CHART_NAMES.into_iter().collect(), "CHART_NAMES must list exactly the views with a chart");
        assert_eq!(CHART_NAMES.len(), charted.len(), "no chart named twice");
    }

    #[test]
    fn view_names_are_unique_and_say_what_they_show() {
        let names: BTreeSet<&str> = PROJECTION_NAMES.into_iter().collect();
        assert_eq!(names.len(), VIEWS.len(), "a name names one view");
        for v in VIEWS {
            assert!(
                !v.about.is_empty() && !v.about.contains('\n') && v.about.ends_with('.'),
                "{}: {:?}",
                v.name,
                v.about
            );
        }
    }

    #[test]
    fn an_unknown_name_is_refused_with_every_known_name() {
        let e = find("cyclus").err().expect("no view is named cyclus");
        let msg = e.to_string();
        assert!(msg.starts_with("unknown projection \"cyclus\"; expected one of: cycles, role,"), "{msg}");
        assert!(PROJECTION_NAMES.iter().all(|n| msg.contains(n)), "{msg}");
    }
}
