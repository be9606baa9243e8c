//! The one list of views: each view's name, what it shows, its JSON and text forms, and its chart
//! if it has one. Everything that names views derives from [`VIEWS`]: [`Projections::view`] and
//! [`Projections::text`], [`PROJECTION_NAMES`], the charts ([`crate::retro::chart_svg`]) and the
//! message of [`UnknownProjection`], and each view's table for spreadsheets ([`ViewDef::csv`]).
//! Adding a view is one entry here.

use chrono::NaiveDate;
use parlog_core::Lang;
use serde_json::Value;

use crate::csv::{col, join, pairs, src, Table};
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
    /// Its main table for spreadsheets, made from its JSON (see `csv.rs`).
    csv: Table,
}

impl ViewDef {
    pub fn json(&self, p: &Projections, o: &ViewOptions) -> Value {
        (self.json)(p, o)
    }
    pub fn text(&self, p: &Projections, o: &ViewOptions) -> String {
        (self.text)(p, o)
    }
    /// The view's main table as CSV (RFC 4180, CRLF, UTF-8 without BOM, formulas guarded), its
    /// columns named in the view's language.
    pub fn csv(&self, p: &Projections, o: &ViewOptions) -> String {
        self.csv.render(&self.json(p, o), o.lang)
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
        csv: Table {
            rows: &["levels", "areas", "cycles"],
            columns: &[
                col("cyclus", "cycle", "id"),
                col("niveau", "level", "level_label"),
                col("gebied", "area", "area_name"),
                col("vraag", "question", "question"),
                col("plan", "plan", "plan"),
                col("status", "status", "status_label"),
                col("geopend", "opened", "opened/date"),
                col("geopend door", "opened by", "opened_by"),
                col("vorige cyclus", "previous cycle", "previous"),
                col("veldnotities", "field notes", "field_notes"),
                col("uitkomst", "outcome", "outcome/text"),
                col("uitkomst op", "outcome date", "outcome/src/date"),
                src("bron", "source", "opened"),
                src("bron uitkomst", "outcome source", "outcome/src"),
            ],
        },
    },
    ViewDef {
        name: "role",
        about: "The role the study is about (the community broker, under the study's own title): its \
                description, changes of capacity, mandate, tasks and position, and changes of method.",
        json: |p, o| p.role.view(p, o),
        text: |p, o| p.role.text(p, o),
        chart: Some(section::role::chart),
        csv: Table {
            rows: &["roles", "timeline"],
            columns: &[
                col("functie", "role", "../title"),
                col("soort", "kind", "kind_label"),
                col("datum", "date", "src/date"),
                col("ingangsdatum", "effective", "effective"),
                col("van kracht", "in effect", "in_effect"),
                pairs("wijzigingen", "changes", "changes", "label", "value"),
                col("aspect", "aspect", "aspect"),
                col("voorheen", "before", "before"),
                col("voortaan", "after", "after"),
                col("toelichting", "rationale", "rationale"),
                src("bron", "source", "src"),
                src("reflecties", "reflections", "reflections"),
            ],
        },
    },
    ViewDef {
        name: "initiatives",
        about: "Initiatives: route, area, initiators, stage, the broker's role, hand-over or stop.",
        json: |p, o| p.initiatives.view(&p.directory, o.day, o.lang),
        text: |p, o| p.initiatives.text(&p.directory, o.day, o.lang),
        chart: Some(section::neighbourhood::chart),
        csv: Table {
            rows: &["initiatives"],
            columns: &[
                col("initiatief", "initiative", "id"),
                col("naam", "name", "name"),
                col("gebied", "area", "area_name"),
                col("route", "route", "route_label"),
                join("initiatiefnemers", "initiators", "initiators", "label"),
                col("fase", "stage", "stage_label"),
                col("status", "status", "status_label"),
                col("gestart", "started", "started/date"),
                pairs("rol van de makelaar", "broker's role", "broker_roles", "broker_label", "role_label"),
                join("positieve gezondheid", "positive health", "health", "label"),
                col("veldnotities", "field notes", "notes"),
                col("overgedragen aan", "handed over to", "handed_over/organisation_label"),
                col("overgedragen op", "handed over on", "handed_over/src/date"),
                col("gestopt op", "stopped on", "stopped/src/date"),
                col("reden van stoppen", "reason for stopping", "stopped/reason"),
                src("bron", "source", "started"),
            ],
        },
    },
    ViewDef {
        name: "signals",
        about: "Signals from the social team per theme and area, and the initiatives that bundled them.",
        json: |p, o| p.signals.view(p, o),
        text: |p, o| p.signals.text(p, o),
        chart: Some(section::signals::chart),
        csv: Table {
            rows: &["areas", "themes", "signals"],
            columns: &[
                col("gebied", "area", "../../area_name"),
                col("thema", "theme", "../theme"),
                col("aantal", "count", "count"),
                col("datum", "date", "src/date"),
                join("gebundeld in", "bundled into", "collectivised_into", "initiative_name"),
                col("signaal", "signal", "id"),
                src("bron", "source", "src"),
            ],
        },
    },
    ViewDef {
        name: "lessons",
        about: "Lessons from reflection: successes, pitfalls, tips and open questions per level and theme, \
                and the added value per stakeholder group.",
        json: lessons::view::json,
        text: lessons::view::text,
        chart: None,
        csv: Table {
            rows: &["levels", "themes", "kinds", "items"],
            columns: &[
                col("niveau", "level", "level_label"),
                col("thema", "theme", "theme_label"),
                col("soort", "kind", "../label"),
                col("les", "lesson", "text"),
                col("gebied", "area", "area_name"),
                col("cyclus", "cycle", "cycle"),
                col("vraag van de cyclus", "cycle question", "cycle_question"),
                col("reflectie", "reflection", "reflection"),
                src("bronnen", "sources", "sources"),
            ],
        },
    },
    ViewDef {
        name: "network",
        about: "The social map: who was connected to whom, by whom, through which initiative.",
        json: |p, o| p.network.view(p, o),
        text: |p, o| p.network.text(p, o),
        chart: None,
        csv: Table {
            rows: &["edges", "connections"],
            columns: &[
                col("deelnemer A", "participant A", "../a_label"),
                col("deelnemer B", "participant B", "../b_label"),
                col("van", "from", "from"),
                col("naar", "to", "to"),
                col("gelegd door", "made by", "by_label"),
                col("initiatief", "initiative", "initiative_name"),
                col("notitie", "note", "note"),
                col("datum", "date", "src/date"),
                src("bron", "source", "src"),
            ],
        },
    },
    ViewDef {
        name: "activity",
        about: "Activity and workload: field notes per participant, area and month, and the initiatives \
                each broker is involved in and leads.",
        json: |p, o| p.activity.view(p, o),
        text: |p, o| p.activity.text(p, o),
        chart: None,
        csv: Table {
            rows: &["brokers", "months"],
            columns: &[
                col("deelnemer", "participant", "../participant"),
                col("naam", "name", "../label"),
                col("gebied", "area", "../area_name"),
                col("maand", "month", "month"),
                col("veldnotities", "field notes", "notes"),
                col("actieve initiatieven", "active initiatives", "active_initiatives"),
                col("trekt", "leading", "leading"),
                join("initiatieven", "initiatives", "initiatives", "name"),
                src("bronnen", "sources", "initiatives"),
            ],
        },
    },
    ViewDef {
        name: "warnings",
        about: "Practice warnings: the pitfalls of the practice guide that hold on the view's day, with their \
                thresholds (the retrospective lists those that held at any time).",
        json: warnings::view::json,
        text: warnings::view::text,
        chart: None,
        csv: Table {
            rows: &["warnings"],
            columns: &[
                col("waarschuwing", "warning", "kind_label"),
                col("onderwerp", "subject", "subject_label"),
                col("id", "id", "subject"),
                col("sinds", "since", "since"),
                col("toelichting", "reason", "reason"),
                src("bronnen", "sources", "sources"),
            ],
        },
    },
    ViewDef {
        name: "codebook",
        about: "The codebook: codes with their history, coded excerpts, memos, and which codes occur together.",
        json: |p, o| p.codebook.view(p, o),
        text: |p, o| p.codebook.text(p, o),
        chart: None,
        csv: Table {
            rows: &["codes"],
            columns: &[
                col("code", "code", "id"),
                col("naam", "name", "name"),
                col("omschrijving", "description", "description"),
                col("samengevoegd in", "merged into", "merged_into_name"),
                col("notities", "notes", "notes"),
                col("fragmenten", "excerpts", "excerpts"),
                col("gedefinieerd op", "defined on", "history/0/src/date"),
                join("geschiedenis", "history", "history", "label"),
                src("bronnen", "sources", "history"),
            ],
        },
    },
    ViewDef {
        name: "directory",
        about: "The studies, participants and areas the log defines, with labels in the view's language.",
        json: |p, o| p.directory.view(p, o),
        text: |p, o| p.directory.text(p, o),
        chart: None,
        csv: Table {
            rows: &["participants"],
            columns: &[
                col("deelnemer", "participant", "id"),
                col("naam", "name", "label"),
                col("rol", "role", "role/label"),
                col("organisatie", "organisation", "organisation"),
                col("gebied", "area", "area"),
                col("actief", "active", "active"),
                col("sinds", "since", "src/date"),
                src("bron", "source", "src"),
            ],
        },
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

    /// A view's main table as CSV.
    pub fn csv(&self, name: &str, o: &ViewOptions) -> Result<String, UnknownProjection> {
        Ok(find(name)?.csv(self, o))
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
