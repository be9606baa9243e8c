//! "The study": the research question, municipality, method, levels, partners and period, and the
//! participants grouped by role.

use std::collections::BTreeMap;

use parlog_core::{Lang, ParticipantRole, Vocabulary};

use crate::retro::context::capitalise;

use crate::fact::Src;
use crate::retro::context::Ctx;
use crate::retro::doc::{Block, Section, Stmt};

pub(crate) fn section(c: &Ctx) -> Section {
    let mut s = Section::new("onderzoek", c.t("Het onderzoek", "The study"));
    let Some((_, study)) = c.p.directory.study() else { return s };
    let mut items = vec![
        Stmt::new(c.t("Onderzoeksvraag:", "Research question:"), study.question.clone(), vec![study.src]),
        Stmt::new(c.t("Gemeente:", "Municipality:"), study.municipality.clone(), vec![study.src]),
    ];
    if let Some(m) = &study.method {
        items.push(Stmt::new(c.t("Methode:", "Method:"), m.clone(), vec![study.src]));
    }
    let levels: Vec<&str> = study.levels.iter().map(|l| l.label(c.lang)).collect();
    items.push(Stmt::new(c.t("Niveaus:", "Levels:"), levels.join(", "), vec![study.src]));
    if !study.partners.is_empty() {
        items.push(Stmt::new(c.t("Partners:", "Partners:"), study.partners.join(", "), vec![study.src]));
    }
    if let (Some(today), Some(first)) = (c.today, c.p.activity.first_src()) {
        let text = match c.lang {
            Lang::Nl => format!("van {} tot en met {}", c.day(first.date), c.day(today)),
            Lang::En => format!("from {} up to and including {}", c.day(first.date), c.day(today)),
        };
        let mut srcs = vec![first];
        if let Some(last) = c.p.activity.last_src(c.day) {
            srcs.push(last);
        }
        items.push(Stmt::new(c.t("Periode:", "Period:"), text, srcs));
    }
    s.blocks.push(Block::List(items));
    s.subsections.push(participants(c));
    s
}

/// Participants, grouped by role; labels only (names are personal data and stay sealed).
fn participants(c: &Ctx) -> Section {
    let mut by_role: BTreeMap<ParticipantRole, Vec<(String, Vec<Src>)>> = BTreeMap::new();
    for (stream, part) in &c.p.directory.participants {
        let Some(base) = &part.base else { continue };
        if !c.visible(&base.src) {
            continue;
        }
        let role = part.role_on(c.day).unwrap_or(base.role);
        // The registration and every role change up to the day: the role shown rests on them.
        let mut srcs = vec![base.src];
        srcs.extend(part.role_changes.values().map(|ch| ch.src).filter(|s| c.visible(s)));
        by_role.entry(role).or_default().push((c.p.directory.who(stream), srcs));
    }
    let mut sub = Section::new("deelnemers", c.t("Deelnemers", "Participants"));
    let items: Vec<Stmt> = by_role
        .into_iter()
        .map(|(role, mut people)| {
            people.sort();
            let labels: Vec<&str> = people.iter().map(|(l, _)| l.as_str()).collect();
            let text = format!("{} ({})", labels.join(", "), people.len());
            Stmt::new(
                format!("{}:", capitalise(&c.role.participant_role(role, c.lang))),
                text,
                people.iter().flat_map(|(_, s)| s.iter().copied()).collect(),
            )
        })
        .collect();
    if !items.is_empty() {
        sub.blocks.push(Block::List(items));
    }
    sub
}
