//! "In the neighbourhood": the stages of the initiatives (with their chart), a portrait of each,
//! the signals from the social team, and the lessons of the neighbourhood level.

use parlog_core::{Lang, Level, Route, Vocabulary};

use super::{lessons, signals};
use crate::initiatives::{Initiative, Status};
use crate::lessons::Lesson;
use crate::retro::context::{capitalise, Ctx};
use crate::retro::doc::{Block, Chart, Section, StageRow, Stmt};

pub(crate) fn section(c: &Ctx, lessons: &[Lesson]) -> Section {
    let mut s = Section::new("wijk", c.t("In de wijk", "In the neighbourhood"));
    initiatives(c, &mut s);
    if let Some(signals) = signals::section(c) {
        s.subsections.insert(0, signals);
    }
    s.subsections.push(lessons::of_level(c, lessons, Level::Neighbourhood));
    s
}

/// The stages chart and a portrait of each initiative; a large log has more initiatives than a
/// report can portray, so only the most recent ones.
fn initiatives(c: &Ctx, s: &mut Section) {
    let mut list = c.initiatives();
    if list.is_empty() {
        return;
    }
    let max = c.o.list_items_max.max(1);
    let left_out = list.len().saturating_sub(max);
    if left_out > 0 {
        list.drain(..left_out);
    }
    s.blocks.push(Block::Chart(stages(c, &list)));
    if left_out > 0 {
        s.blocks.push(Block::Note(match c.lang {
            Lang::Nl => {
                format!("De {max} meest recente initiatieven; {left_out} eerdere staan in de projectie initiatives.")
            }
            Lang::En => {
                format!("The {max} most recent initiatives; {left_out} earlier ones are in the initiatives projection.")
            }
        }));
    }
    for (id, i) in &list {
        s.subsections.push(portrait(c, id, i));
    }
}

/// The stages of every initiative in the report's area, if there are any.
pub(crate) fn chart(c: &Ctx) -> Option<Chart> {
    let list = c.initiatives();
    (!list.is_empty()).then(|| stages(c, &list))
}

fn portrait(c: &Ctx, id: &str, i: &Initiative) -> Section {
    let b = i.base.as_ref().expect("initiatives() keeps initiatives with a base");
    let d = &c.p.directory;
    let mut s = Section::new(format!("initiatief-{}", id.split_once(':').map(|x| x.1).unwrap_or(id)), b.name.clone());
    let mut items = Vec::new();
    let route_text = match (c.lang, b.route) {
        (Lang::Nl, Route::Signal) => "ontstaan uit signalen van het sociaal team".to_string(),
        (Lang::Nl, Route::Opportunity) => "ontstaan uit een kans in de wijk".to_string(),
        (Lang::En, Route::Signal) => "grew from signals in the social team".to_string(),
        (Lang::En, Route::Opportunity) => "grew from an opportunity in the neighbourhood".to_string(),
    };
    items.push(Stmt::new(
        format!("{}:", c.t("Ontstaan", "Origin")),
        format!("{} ({}, {} {})", route_text, d.area_name(&b.area), c.t("gestart", "started"), c.day(b.src.date)),
        vec![b.src],
    ));
    items.push(Stmt::new(format!("{}:", c.t("Wat", "What")), b.description.clone(), vec![b.src]));
    if !b.initiators.is_empty() {
        let names: Vec<String> = b.initiators.iter().map(|p| d.who(p)).collect();
        items.push(Stmt::new(format!("{}:", c.t("Initiatiefnemers", "Initiators")), names.join(", "), vec![b.src]));
    }
    if !b.health.is_empty() {
        let dims: Vec<&str> = b.health.iter().map(|h| h.label(c.lang)).collect();
        items.push(Stmt::new(
            format!("{}:", c.t("Positieve Gezondheid", "Positive Health")),
            dims.join(", "),
            vec![b.src],
        ));
    }
    for col in i.collectivised.values().filter(|x| c.visible(&x.src)) {
        let n = c.count(col.signals.len() as u64, ("signaal", "signalen"), ("signal", "signals"));
        let text = match c.lang {
            Lang::Nl => format!("{n} gebundeld: {}", col.rationale),
            Lang::En => format!("{n} bundled: {}", col.rationale),
        };
        let mut srcs = vec![col.src];
        srcs.extend(col.signals.iter().filter_map(|id| c.p.signals.src_of(*id)));
        items.push(Stmt::new(format!("{}:", c.t("Signalen", "Signals")), text, srcs));
    }
    let mut stages: Vec<_> = i.stages.values().filter(|x| c.visible(&x.src)).collect();
    stages.sort_by_key(|x| x.src);
    for st in stages {
        let text = match &st.note {
            Some(n) => format!("{} ({}): {n}", st.stage.label(c.lang), c.day(st.src.date)),
            None => format!("{} ({})", st.stage.label(c.lang), c.day(st.src.date)),
        };
        items.push(Stmt::new(format!("{}:", c.t("Fase", "Stage")), text, vec![st.src]));
    }
    let mut roles: Vec<_> = i.broker.values().filter(|x| c.visible(&x.src)).collect();
    roles.sort_by_key(|x| x.src);
    // "Rol van de buurtverbinder": the role in the study's own words.
    let role_lead = match c.lang {
        Lang::Nl => format!("Rol van {}:", c.role.the_short(c.lang)),
        Lang::En => format!("{} role:", capitalise(&c.role.the_short_possessive_en())),
    };
    for r in roles {
        let leads = if r.leads { c.t(", trekt zelf het initiatief", ", leads the initiative") } else { "" };
        let note = r.note.as_ref().map(|n| format!(": {n}")).unwrap_or_default();
        items.push(Stmt::new(
            role_lead.clone(),
            format!("{} {} ({}){leads}{note}", d.who(&r.broker), r.role.label(c.lang), c.day(r.src.date)),
            vec![r.src],
        ));
    }
    match i.status_on(c.day) {
        Status::Active => {}
        Status::HandedOver => {
            if let Some(h) = i.handed_over.values().filter(|x| c.visible(&x.src)).min_by_key(|x| x.src) {
                let note = h.note.as_ref().map(|n| format!(": {n}")).unwrap_or_default();
                items.push(Stmt::new(
                    format!("{}:", c.t("Geborgd", "Anchored")),
                    format!(
                        "{} {} ({}){note}",
                        c.t("overgedragen aan", "handed over to"),
                        d.who(&h.organisation),
                        c.day(h.src.date)
                    ),
                    vec![h.src],
                ));
            }
        }
        Status::Stopped => {
            if let Some(st) = i.stopped.values().filter(|x| c.visible(&x.src)).min_by_key(|x| x.src) {
                items.push(Stmt::new(
                    format!("{}:", c.t("Gestopt", "Stopped")),
                    format!("{} ({})", st.reason, c.day(st.src.date)),
                    vec![st.src],
                ));
            }
        }
    }
    s.blocks.push(Block::List(items));
    s
}

fn stages(c: &Ctx, list: &[(&String, &Initiative)]) -> Chart {
    let legend: Vec<String> = parlog_core::InitiativeStage::ALL.iter().map(|s| s.label(c.lang).to_string()).collect();
    let to = c
        .today
        .unwrap_or_else(|| list.iter().filter_map(|(_, i)| i.started()).map(|s| s.date).max().expect("non-empty"));
    let from = list.iter().filter_map(|(_, i)| i.started()).map(|s| s.date).min().unwrap_or(to);
    let rows = list
        .iter()
        .map(|(_, i)| {
            let b = i.base.as_ref().expect("with base");
            let mut stages: Vec<_> = i.stages.values().filter(|x| c.visible(&x.src)).collect();
            stages.sort_by_key(|x| x.src);
            let end = match i.status_on(c.day) {
                Status::Active => None,
                Status::HandedOver => i
                    .handed_over
                    .values()
                    .filter(|x| c.visible(&x.src))
                    .map(|h| h.src.date)
                    .min()
                    .map(|d| (d, Status::HandedOver.label(c.lang).to_string())),
                Status::Stopped => i
                    .stopped
                    .values()
                    .filter(|x| c.visible(&x.src))
                    .map(|h| h.src.date)
                    .min()
                    .map(|d| (d, Status::Stopped.label(c.lang).to_string())),
            };
            let stop = end.as_ref().map(|e| e.0).unwrap_or(to);
            let mut spans = Vec::new();
            for (k, st) in stages.iter().enumerate() {
                let until = stages.get(k + 1).map(|n| n.src.date).unwrap_or(stop).min(stop);
                let idx = parlog_core::InitiativeStage::ALL.iter().position(|x| *x == st.stage).expect("known stage");
                spans.push((st.src.date.max(b.src.date), until.max(st.src.date), idx));
            }
            StageRow { name: b.name.clone(), spans, end }
        })
        .collect();
    Chart::Stages {
        title: c.t("Fasen van de initiatieven", "Stages of the initiatives").to_string(),
        from,
        to,
        rows,
        legend,
    }
}
