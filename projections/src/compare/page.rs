//! The comparison as text to show: a summary table, then parts (the studies, the role, the
//! initiatives, the method changes, the lessons per theme), each with a column per study. All
//! of it is plain text; `md.rs` and `html.rs` escape every string and add only structure, so a
//! text from a log cannot add markup, and both formats say the same things.

use parlog_core::Lang;

use super::doc::{Cites, Comparison, Count, Listed, StudyColumn, Theme};
use crate::retro::context::{fmt_fte, sentence};
use crate::text::tr;

pub(crate) struct Page {
    pub lang: Lang,
    pub title: String,
    pub intro: Vec<String>,
    /// How to read a reference, with a real one of the first study as the example.
    pub legend: Option<Legend>,
    pub summary: Table,
    pub parts: Vec<Part>,
}

/// `before [gouda #12] after`.
pub(crate) struct Legend {
    pub before: String,
    pub example: Cites,
    pub after: String,
}

/// Rows of labels, a column per study; each cell links to the statement it summarises.
pub(crate) struct Table {
    pub caption: String,
    /// The corner cell, then one heading per study.
    pub head: Vec<String>,
    pub rows: Vec<Row>,
}

pub(crate) struct Row {
    pub label: String,
    pub cells: Vec<Cell>,
}

pub(crate) struct Cell {
    pub text: String,
    /// The id of the line the cell summarises.
    pub link: String,
    pub number: bool,
}

pub(crate) struct Part {
    pub id: String,
    pub title: String,
    pub groups: Vec<Group>,
}

/// Columns side by side, optionally under a title (a theme) with a line saying what they share.
pub(crate) struct Group {
    pub id: Option<String>,
    pub title: Option<String>,
    pub lead: Option<String>,
    pub columns: Vec<Column>,
}

pub(crate) struct Column {
    pub id: String,
    pub title: String,
    pub lines: Vec<Line>,
    /// Remarks about the comparison itself (a list cut short), not statements about a study.
    pub notes: Vec<String>,
}

/// A statement (lead, text, references), or a heading line (no references) over `sub`.
pub(crate) struct Line {
    pub id: Option<String>,
    pub lead: String,
    pub text: String,
    pub cites: Cites,
    pub sub: Vec<Line>,
}

impl Line {
    fn new(lead: impl Into<String>, text: impl Into<String>, cites: &Cites) -> Line {
        Line { id: None, lead: lead.into(), text: text.into(), cites: cites.clone(), sub: Vec::new() }
    }
    fn heading(lead: impl Into<String>, sub: Vec<Line>) -> Line {
        Line { id: None, lead: lead.into(), text: String::new(), cites: Cites::default(), sub }
    }
    fn id(mut self, id: String) -> Line {
        self.id = Some(id);
        self
    }
}

struct W {
    lang: Lang,
}

impl W {
    fn t(&self, nl: &'static str, en: &'static str) -> &'static str {
        tr(self.lang, nl, en)
    }
    fn more(&self, n: usize) -> String {
        match self.lang {
            Lang::Nl => format!("En nog {n} andere, hier weggelaten."),
            Lang::En => format!("And {n} more, left out here."),
        }
    }
    fn notes<T>(&self, l: &Listed<T>) -> Vec<String> {
        if l.left_out > 0 {
            vec![self.more(l.left_out)]
        } else {
            Vec::new()
        }
    }
}

pub(crate) fn page(c: &Comparison) -> Page {
    let w = W { lang: c.lang };
    let intro = vec![w
        .t(
            "Per studie naast elkaar: de functie in de eigen woorden van de studie, de initiatieven, de wijzigingen in de werkwijze en de lessen per thema. Elke uitspraak verwijst naar haar studie en de gebeurtenissen waarop ze rust.",
            "Per study side by side: the role in the study's own words, the initiatives, the changes of method and the lessons per theme. Every statement names its study and the events it rests on.",
        )
        .to_string()];
    let parts = vec![
        part("studies", w.t("De studies", "The studies"), c, |s| study_lines(&w, s)),
        part("functie", w.t("De functie", "The role"), c, |s| role_lines(&w, s)),
        part("initiatieven", w.t("Initiatieven", "Initiatives"), c, |s| initiative_lines(&w, s)),
        part("werkwijze", w.t("Wijzigingen in de werkwijze", "Changes of method"), c, |s| method_lines(&w, s)),
        themes(&w, c),
    ];
    Page { lang: c.lang, title: c.title.clone(), intro, legend: legend(&w, c), summary: summary(&w, c), parts }
}

/// The legend's example: the first event the first study's column cites.
fn legend(w: &W, c: &Comparison) -> Option<Legend> {
    let s = c.studies.first()?;
    let first = [s.question.as_ref().map(|q| &q.cites), s.period.as_ref().map(|p| &p.cites), Some(&s.role.cites)]
        .into_iter()
        .flatten()
        .find_map(|c| c.cites.first())?;
    let after = match w.lang {
        Lang::Nl => format!("is gebeurtenis {} in het logboek van {}.", first.position, first.study),
        Lang::En => format!("is event {} in the log of {}.", first.position, first.study),
    };
    Some(Legend {
        before: w.t("Zo leest u een verwijzing:", "How to read a reference:").to_string(),
        example: Cites { cites: vec![first.clone()], more_cites: 0 },
        after,
    })
}

fn part(id: &str, title: &str, c: &Comparison, lines: impl Fn(&StudyColumn) -> (Vec<Line>, Vec<String>)) -> Part {
    let columns = c
        .studies
        .iter()
        .map(|s| {
            let (lines, notes) = lines(s);
            Column { id: format!("{id}-{}", s.slug), title: s.name.clone(), lines, notes }
        })
        .collect();
    Part {
        id: id.to_string(),
        title: title.to_string(),
        groups: vec![Group { id: None, title: None, lead: None, columns }],
    }
}

fn study_lines(w: &W, s: &StudyColumn) -> (Vec<Line>, Vec<String>) {
    let mut lines = vec![Line::new(
        w.t("Gemeente:", "Municipality:"),
        format!("{} ({} {})", s.municipality, w.t("studie", "study"), s.slug),
        &Cites::default(),
    )];
    if let Some(q) = &s.question {
        lines.push(Line::new(w.t("Onderzoeksvraag:", "Research question:"), q.text.clone(), &q.cites));
    }
    if let Some(p) = &s.period {
        let text = match w.lang {
            Lang::Nl => format!("van {} tot en met {}", p.from, p.to),
            Lang::En => format!("from {} up to and including {}", p.from, p.to),
        };
        lines.push(Line::new(w.t("Periode:", "Period:"), text, &p.cites));
    }
    (lines, Vec::new())
}

fn role_lines(w: &W, s: &StudyColumn) -> (Vec<Line>, Vec<String>) {
    let r = &s.role;
    let slug = &s.slug;
    let title = if r.own_words {
        r.title.clone()
    } else {
        match w.lang {
            Lang::Nl => format!("{} (het logboek beschrijft geen functie; hier het vaste woord)", r.title),
            Lang::En => format!("{} (the log describes no role; the fixed word here)", r.title),
        }
    };
    let mut lines = vec![Line::new(w.t("Functie:", "Role:"), title, &r.cites).id(format!("{slug}-functie"))];
    if !r.other_titles.is_empty() {
        let sub = r
            .other_titles
            .iter()
            .map(|o| Line::new("", format!("{} ({} {})", o.title, w.t("vanaf", "from"), o.effective), &o.cites))
            .collect();
        lines.push(Line::heading(w.t("Ook beschreven:", "Also described:"), sub));
    }
    if !r.capacity.is_empty() {
        let sub = r
            .capacity
            .iter()
            .map(|st| {
                let why = st.rationale.as_deref().map(|x| format!("{} {}", w.t("Reden:", "Why:"), sentence(x)));
                let lead =
                    format!("{} {}: {} {}", w.t("vanaf", "from"), st.effective, fmt_fte(st.value), w.t("fte", "FTE"));
                Line::new(lead, why.unwrap_or_default(), &st.cites)
            })
            .collect();
        lines.push(Line::heading(w.t("Capaciteit:", "Capacity:"), sub).id(format!("{slug}-capaciteit")));
    }
    if !r.position.is_empty() {
        let sub = r
            .position
            .iter()
            .map(|st| {
                let why = st
                    .rationale
                    .as_deref()
                    .map(|x| format!(" {} {}", w.t("Reden:", "Why:"), sentence(x)))
                    .unwrap_or_default();
                Line::new(
                    format!("{} {}:", w.t("vanaf", "from"), st.effective),
                    format!("{}{why}", sentence(&st.value)),
                    &st.cites,
                )
            })
            .collect();
        lines.push(Line::heading(w.t("Positie:", "Position:"), sub));
    }
    (lines, Vec::new())
}

fn count_line(slug: &str, group: &str, c: &Count) -> Line {
    Line::new(format!("{}:", c.label), c.count.to_string(), &c.cites).id(format!("{slug}-{group}-{}", c.key))
}

fn initiative_lines(w: &W, s: &StudyColumn) -> (Vec<Line>, Vec<String>) {
    let i = &s.initiatives;
    let slug = s.slug.as_str();
    let mut lines = vec![
        Line::new(w.t("Initiatieven:", "Initiatives:"), i.total.count.to_string(), &i.total.cites)
            .id(format!("{slug}-initiatieven")),
        Line::heading(
            w.t("Per route:", "By route:"),
            i.by_route.iter().map(|c| count_line(slug, "route", c)).collect(),
        ),
        Line::heading(
            w.t("Per fase (nu):", "By stage (now):"),
            i.by_stage.iter().map(|c| count_line(slug, "fase", c)).collect(),
        ),
        Line::heading(w.t("Afloop:", "Outcome:"), i.by_status.iter().map(|c| count_line(slug, "afloop", c)).collect()),
    ];
    let mut notes = Vec::new();
    if !i.handed_over.items.is_empty() {
        let sub = i
            .handed_over
            .items
            .iter()
            .map(|h| {
                let note = h.note.as_deref().map(|n| format!(": {n}")).unwrap_or_default();
                let text = format!("{} {}{note}", w.t("overgedragen aan", "handed over to"), h.to);
                Line::new(format!("{} ({}):", h.initiative, h.date), text, &h.cites)
            })
            .collect();
        lines.push(Line::heading(w.t("Overgedragen:", "Handed over:"), sub));
        notes.extend(w.notes(&i.handed_over));
    }
    if !i.stopped.items.is_empty() {
        let sub = i
            .stopped
            .items
            .iter()
            .map(|x| Line::new(format!("{} ({}):", x.initiative, x.date), x.reason.clone(), &x.cites))
            .collect();
        lines.push(Line::heading(w.t("Gestopt, en waarom:", "Stopped, and why:"), sub));
        notes.extend(w.notes(&i.stopped));
    }
    (lines, notes)
}

fn method_lines(w: &W, s: &StudyColumn) -> (Vec<Line>, Vec<String>) {
    let m = &s.method_changes;
    if m.items.is_empty() {
        let none = w.t("Geen wijzigingen in de werkwijze vastgelegd.", "No changes of method recorded.");
        return (vec![Line::new("", none, &Cites::default())], Vec::new());
    }
    let lines = m
        .items
        .iter()
        .map(|x| {
            let text = format!("{} → {}. {} {}", x.before, x.after, w.t("Reden:", "Why:"), sentence(&x.rationale));
            Line::new(format!("{} · {}:", x.effective, x.aspect), text, &x.cites)
        })
        .collect();
    (lines, w.notes(m))
}

fn themes(w: &W, c: &Comparison) -> Part {
    let name = |slug: &parlog_core::StudySlug| {
        c.studies.iter().find(|s| &s.slug == slug).map(|s| s.name.clone()).unwrap_or_else(|| slug.to_string())
    };
    let mut groups: Vec<Group> = c.themes.items.iter().enumerate().map(|(k, t)| theme(w, k, t, &name)).collect();
    if c.themes.left_out > 0 {
        let more = match w.lang {
            Lang::Nl => format!("En nog {} thema's, hier weggelaten.", c.themes.left_out),
            Lang::En => format!("And {} more themes, left out here.", c.themes.left_out),
        };
        groups.push(Group { id: None, title: None, lead: Some(more), columns: Vec::new() });
    }
    if groups.is_empty() {
        let none = w.t("Nog geen lessen uit reflecties.", "No lessons from reflections yet.");
        groups.push(Group { id: None, title: None, lead: Some(none.to_string()), columns: Vec::new() });
    }
    Part { id: "lessen".into(), title: w.t("Lessen per thema", "Lessons per theme").into(), groups }
}

fn theme(w: &W, k: usize, t: &Theme, name: &dyn Fn(&parlog_core::StudySlug) -> String) -> Group {
    let names: Vec<String> = t.studies.iter().map(name).collect();
    let lead = format!("{} {}", w.t("In:", "In:"), names.join(", "));
    let columns = t
        .per_study
        .iter()
        .map(|ts| Column {
            id: format!("thema-{}-{}", k + 1, ts.study),
            title: name(&ts.study),
            lines: ts
                .lessons
                .items
                .iter()
                .map(|l| Line::new(format!("{} ({}):", l.kind_label, l.level_label), l.text.clone(), &l.cites))
                .collect(),
            notes: w.notes(&ts.lessons),
        })
        .collect();
    Group { id: Some(format!("thema-{}", k + 1)), title: Some(t.label.clone()), lead: Some(lead), columns }
}

fn summary(w: &W, c: &Comparison) -> Table {
    let mut head = vec![String::new()];
    head.extend(c.studies.iter().map(|s| s.name.clone()));
    let mut rows = Vec::new();
    let cells = |f: &dyn Fn(&StudyColumn) -> Cell| c.studies.iter().map(f).collect::<Vec<Cell>>();
    let cell = |text: String, link: String, number: bool| Cell { text, link, number };
    rows.push(Row {
        label: w.t("Functie", "Role").into(),
        cells: cells(&|s| {
            let title = if s.role.own_words {
                s.role.title.clone()
            } else {
                format!("{} ({})", s.role.title, w.t("niet beschreven", "not described"))
            };
            cell(title, format!("{}-functie", s.slug), false)
        }),
    });
    rows.push(Row {
        label: w.t("Capaciteit (fte), laatst vastgelegd", "Capacity (FTE), last recorded").into(),
        cells: cells(&|s| match s.role.capacity.last() {
            Some(st) => cell(fmt_fte(st.value), format!("{}-capaciteit", s.slug), true),
            None => cell("–".into(), format!("functie-{}", s.slug), true),
        }),
    });
    rows.push(Row {
        label: w.t("Initiatieven", "Initiatives").into(),
        cells: cells(&|s| cell(s.initiatives.total.count.to_string(), format!("{}-initiatieven", s.slug), true)),
    });
    let counted = |group: &'static str, prefix: &str, pick: &dyn Fn(&StudyColumn) -> &Vec<Count>| -> Vec<Row> {
        let Some(first) = c.studies.first() else { return Vec::new() };
        (0..pick(first).len())
            .map(|k| Row {
                label: format!("{prefix} {}", pick(first)[k].label),
                cells: cells(&|s| {
                    let x = &pick(s)[k];
                    cell(x.count.to_string(), format!("{}-{group}-{}", s.slug, x.key), true)
                }),
            })
            .collect()
    };
    rows.extend(counted("route", w.t("route:", "route:"), &|s| &s.initiatives.by_route));
    rows.extend(counted("fase", w.t("fase nu:", "stage now:"), &|s| &s.initiatives.by_stage));
    rows.extend(counted("afloop", w.t("afloop:", "outcome:"), &|s| &s.initiatives.by_status));
    rows.push(Row {
        label: w.t("Wijzigingen in de werkwijze", "Changes of method").into(),
        cells: cells(&|s| {
            let m = &s.method_changes;
            cell((m.items.len() + m.left_out).to_string(), format!("werkwijze-{}", s.slug), true)
        }),
    });
    Table { caption: w.t("Overzicht", "Summary").into(), head, rows }
}
