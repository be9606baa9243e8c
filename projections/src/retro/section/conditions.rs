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

/// The practice warnings on the report's day (default thresholds) that rest on sources.
fn attention(c: &Ctx) -> Section {
    let mut s =
        Section::new("aandachtspunten", c.t("Aandachtspunten uit de praktijk", "Points of attention from practice"));
    let o = ViewOptions { lang: c.lang, day: c.today, since: None, thresholds: Thresholds::default() };
    let items: Vec<Stmt> = Warning::list(c.p, &o)
        .into_iter()
        .filter(|w| !w.sources.is_empty())
        .map(|w| Stmt::new(format!("{}:", w.subject_label), w.reason, w.sources))
        .collect();
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
