//! "Conditions for other municipalities": the position of the role, the points of attention
//! (practice warnings with sources) and the open questions.

use std::collections::BTreeMap;

use parlog_core::{InsightKind, Lang, Recruitment, Vocabulary};

use crate::lessons::Lesson;
use crate::retro::context::{capitalise, Ctx};
use crate::retro::doc::{Block, Section, Stmt};
use crate::role::RoleField;
use crate::warnings::{Thresholds, Warning, WarningKind};
use crate::ViewOptions;

pub(crate) fn section(c: &Ctx, lessons: &[Lesson]) -> Section {
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
    s.subsections.push(attention(c));
    s.subsections.push(open_questions(c, lessons));
    s
}

/// The practice warnings that held at any time in the report's period (default thresholds), per
/// pitfall, each with when it held and how it ended, or that it still held at the end: a
/// retrospective looks back over the whole period, so a pitfall that ended belongs in it as much
/// as one that lasts.
fn attention(c: &Ctx) -> Section {
    let mut s =
        Section::new("aandachtspunten", c.t("Aandachtspunten uit de praktijk", "Points of attention from practice"));
    let o = ViewOptions { lang: c.lang, day: c.today, since: None, thresholds: Thresholds::default() };
    let mut per_kind: BTreeMap<WarningKind, Vec<Stmt>> = BTreeMap::new();
    for h in Warning::history(c.p, &o).into_iter().filter(|h| !h.sources.is_empty()) {
        per_kind.entry(h.kind).or_default().push(Stmt::new(format!("{}:", h.subject_label), h.text, h.sources));
    }
    if per_kind.is_empty() {
        return s;
    }
    s.blocks.push(Block::Note(
        c.t(
            "Valkuilen uit de handreiking die zich tijdens het onderzoek voordeden, ook als ze inmiddels voorbij zijn: per punt wanneer het gold en hoe het eindigde.",
            "Pitfalls of the practice guide that occurred during the study, also those that have passed: for each, when it held and how it ended.",
        )
        .to_string(),
    ));
    for (kind, items) in per_kind {
        let mut sub = Section::new(format!("aandachtspunten-{}", kind_id(kind)), kind_title(c, kind));
        // In the order they began; what does not fit began later. The warnings projection shows
        // what holds on a day, so the note does not send the reader there for the rest.
        c.capped_saying(items, &mut sub.blocks, |lang, rest| match lang {
            Lang::Nl => format!("En nog {rest} andere, die later begonnen."),
            Lang::En => format!("And {rest} more, which began later."),
        });
        s.subsections.push(sub);
    }
    s
}

fn kind_id(k: WarningKind) -> &'static str {
    match k {
        WarningKind::BrokerStillLeads => "trekker",
        WarningKind::TooManyInitiatives => "te-veel-initiatieven",
        WarningKind::ReflectionGap => "reflectie",
        WarningKind::NoOrganisation => "borging",
        WarningKind::VolunteerAtBrokerRequest => "vrijwilligers",
    }
}

/// The title of a pitfall in the report: what happened, ended or not, the role in the study's
/// words.
fn kind_title(c: &Ctx, k: WarningKind) -> String {
    let (lang, role) = (c.lang, &c.role);
    match (k, lang) {
        (WarningKind::BrokerStillLeads, Lang::Nl) => {
            format!("{} trekt zelf een initiatief", capitalise(&role.the_short(lang)))
        }
        (WarningKind::BrokerStillLeads, Lang::En) => {
            format!("{} leads an initiative", capitalise(&role.the_short(lang)))
        }
        (WarningKind::TooManyInitiatives, _) => {
            c.t("Te veel initiatieven tegelijk", "Too many initiatives at once").into()
        }
        (WarningKind::ReflectionGap, _) => c.t("Lang niet gereflecteerd", "No reflection for long").into(),
        (WarningKind::NoOrganisation, _) => {
            c.t("Geen organisatie voor borging", "No organisation to anchor an initiative").into()
        }
        (WarningKind::VolunteerAtBrokerRequest, Lang::Nl) => {
            format!("Vrijwilligers {}", role.recruitment(Recruitment::BrokerRequest, lang))
        }
        (WarningKind::VolunteerAtBrokerRequest, Lang::En) => {
            format!("Volunteers {}", role.recruitment(Recruitment::BrokerRequest, lang))
        }
    }
}

fn open_questions(c: &Ctx, lessons: &[Lesson]) -> Section {
    let mut s = Section::new("open-vragen", c.t("Open vragen", "Open questions"));
    let items: Vec<Stmt> = lessons
        .iter()
        .filter(|l| l.kind == InsightKind::Question)
        .map(|l| Stmt::new(format!("{}:", l.level.label(c.lang)), l.text.clone(), l.sources.clone()))
        .collect();
    c.capped(items, &mut s.blocks);
    s
}
