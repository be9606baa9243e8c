//! "Conditions for other municipalities": the position of the role, the points of attention
//! (practice warnings with sources) and the open questions.

use parlog_core::{InsightKind, Vocabulary};

use crate::lessons::Lesson;
use crate::retro::context::Ctx;
use crate::retro::doc::{Block, Section, Stmt};
use crate::role::RoleField;
use crate::warnings::{Thresholds, Warning};
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

/// The practice warnings that held at any time in the report's period (default thresholds), each
/// with when it held and how it ended, or that it still held at the end: a retrospective looks
/// back over the whole period, so a pitfall that ended belongs in it as much as one that lasts.
fn attention(c: &Ctx) -> Section {
    let mut s =
        Section::new("aandachtspunten", c.t("Aandachtspunten uit de praktijk", "Points of attention from practice"));
    let o = ViewOptions { lang: c.lang, day: c.today, since: None, thresholds: Thresholds::default() };
    let items: Vec<Stmt> = Warning::history(c.p, &o)
        .into_iter()
        .filter(|h| !h.sources.is_empty())
        .map(|h| Stmt::new(format!("{}:", h.subject_label), h.text, h.sources))
        .collect();
    if !items.is_empty() {
        s.blocks.push(Block::Note(
            c.t(
                "Valkuilen uit de handreiking die zich tijdens het onderzoek voordeden, ook als ze inmiddels voorbij zijn: per punt wanneer het gold en hoe het eindigde.",
                "Pitfalls of the practice guide that occurred during the study, also those that have passed: for each, when it held and how it ended.",
            )
            .to_string(),
        ));
    }
    c.capped(items, &mut s.blocks);
    s
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
