//! From projections to the document model. Every statement gets the sources it rests on; text
//! comes from the log, labels from the vocabularies, nothing from a particular municipality.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use parlog_core::{Lang, ParticipantRole, Route, Vocabulary};

use super::doc::{Block, Chart, Doc, Section, SourceInfo, StageRow, Stmt};
use super::{LogInfo, RetroOptions};
use crate::fact::Src;
use crate::initiatives::{Initiative, Status};
use crate::text::tr;
use crate::Projections;

pub(super) struct Ctx<'a> {
    pub p: &'a Projections,
    pub o: &'a RetroOptions,
    pub lang: Lang,
    /// The as-of day: things after it are left out.
    pub day: Option<NaiveDate>,
    /// "Today" of the report: the as-of day or the last day in the log.
    pub today: Option<NaiveDate>,
}

impl Ctx<'_> {
    pub fn t(&self, nl: &'static str, en: &'static str) -> &'static str {
        tr(self.lang, nl, en)
    }
    /// Whether an area (stream id) is the report's area or lies under it.
    pub fn in_area(&self, area: Option<&str>) -> bool {
        let Some(filter) = &self.o.area else { return true };
        let mut at = area.map(str::to_string);
        let mut hops = 0;
        while let Some(a) = at {
            if &a == filter {
                return true;
            }
            hops += 1;
            if hops > 16 {
                break;
            }
            at = self.p.directory.areas.get(&a).and_then(|x| x.parent.clone());
        }
        false
    }
    pub fn visible(&self, s: &Src) -> bool {
        self.day.is_none_or(|d| s.date <= d)
    }
    /// Cuts a list to the maximum length, with a note counting the rest.
    pub fn capped(&self, mut items: Vec<Stmt>, blocks: &mut Vec<Block>) {
        let max = self.o.list_items_max.max(1);
        if items.is_empty() {
            return;
        }
        let rest = items.len().saturating_sub(max);
        items.truncate(max);
        blocks.push(Block::List(items));
        if rest > 0 {
            let note = match self.lang {
                Lang::Nl => format!("En nog {rest} andere; zie de projectie voor de volledige lijst."),
                Lang::En => format!("And {rest} more; see the projection for the full list."),
            };
            blocks.push(Block::Note(note));
        }
    }
}

pub(super) fn build(
    p: &Projections,
    log: &LogInfo,
    o: &RetroOptions,
    source: &dyn Fn(u64) -> Option<SourceInfo>,
) -> Doc {
    let day = log.as_of_day;
    let c = Ctx { p, o, lang: o.lang, day, today: day.or(p.last_day()) };
    let study = p.directory.study().map(|(_, s)| s);
    let title = study.map(|s| s.title.clone()).unwrap_or_else(|| c.t("Retrospectief", "Retrospective").to_string());
    let subtitle = match (c.lang, study) {
        (Lang::Nl, Some(s)) => {
            format!("Handreiking uit het logboek van het participatief actieonderzoek in {}", s.municipality)
        }
        (Lang::En, Some(s)) => {
            format!("A practice guide from the log of the participatory action research in {}", s.municipality)
        }
        (Lang::Nl, None) => "Handreiking uit het logboek".to_string(),
        (Lang::En, None) => "A practice guide from the log".to_string(),
    };
    let mut cover = Vec::new();
    let start = p.activity.first_src().map(|s| s.date).or(study.map(|s| s.src.date));
    cover.push((
        c.t("Periode", "Period").to_string(),
        format!(
            "{} – {}",
            start.map(|d| d.to_string()).unwrap_or_else(|| "?".into()),
            c.today.map(|d| d.to_string()).unwrap_or_else(|| "?".into())
        ),
    ));
    if let Some(d) = day {
        let basis = if log.by_recorded {
            c.t("vastgelegd tot en met", "recorded up to and including")
        } else {
            c.t("gebeurd tot en met", "happened up to and including")
        };
        cover.push((c.t("Peildatum", "As of").to_string(), format!("{basis} {d}")));
    }
    if let Some(a) = &o.area {
        cover.push((c.t("Gebied", "Area").to_string(), p.directory.area_name(a)));
    }
    cover.push((
        c.t("Logboek tot en met positie", "Log up to and including position").to_string(),
        log.position.to_string(),
    ));
    cover.push((c.t("Hash van die positie", "Hash at that position").to_string(), log.head_hash.to_hex()));

    let mut sections = vec![study_section(&c)];
    sections.extend(super::build_more::sections(&c));
    sections.retain(|s| !s.is_empty());

    let mut cited = BTreeSet::new();
    for s in &sections {
        collect(s, &mut cited);
    }
    let sources = cited.into_iter().filter_map(source).collect();
    Doc {
        lang: c.lang,
        title,
        subtitle,
        cover,
        sections,
        sources_title: c.t("Bronnen", "Sources").to_string(),
        sources,
    }
}

/// A chart by name, as the report would draw it.
pub(super) fn chart(p: &Projections, o: &RetroOptions, day: Option<NaiveDate>, name: &str) -> Option<Chart> {
    let c = Ctx { p, o, lang: o.lang, day, today: day.or(p.last_day()) };
    match name {
        "initiatives" => {
            let list = initiatives(&c);
            (!list.is_empty()).then(|| stages_chart(&c, &list))
        }
        "signals" => super::build_signals::signals_chart(&c),
        "role" => super::build_more::role_chart_for(&c),
        "cycles" => super::build_more::spiral_chart(&c),
        _ => None,
    }
}

fn collect(s: &Section, out: &mut BTreeSet<u64>) {
    for b in &s.blocks {
        match b {
            Block::Para(st) => out.extend(st.srcs.iter().map(|r| r.position)),
            Block::List(items) => out.extend(items.iter().flat_map(|st| st.srcs.iter().map(|r| r.position))),
            _ => {}
        }
    }
    for sub in &s.subsections {
        collect(sub, out);
    }
}

fn study_section(c: &Ctx) -> Section {
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
            Lang::Nl => format!("van {} tot en met {today}", first.date),
            Lang::En => format!("from {} up to and including {today}", first.date),
        };
        let mut srcs = vec![first];
        if let Some(last) = c.p.activity.last_src(c.day) {
            srcs.push(last);
        }
        items.push(Stmt::new(c.t("Periode:", "Period:"), text, srcs));
    }
    s.blocks.push(Block::List(items));

    // Participants, grouped by role; labels only (names are personal data and stay sealed).
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
                format!("{}:", role.label(c.lang)),
                text,
                people.iter().flat_map(|(_, s)| s.iter().copied()).collect(),
            )
        })
        .collect();
    if !items.is_empty() {
        sub.blocks.push(Block::List(items));
    }
    s.subsections.push(sub);
    s
}

/// Initiatives in the report's area that exist on its day, oldest first.
pub(super) fn initiatives<'a>(c: &'a Ctx) -> Vec<(&'a String, &'a Initiative)> {
    c.p.initiatives.on(c.day).into_iter().filter(|(_, i)| c.in_area(i.base.as_ref().map(|b| b.area.as_str()))).collect()
}

pub(super) fn neighbourhood_section(c: &Ctx) -> Section {
    let mut s = Section::new("wijk", c.t("In de wijk", "In the neighbourhood"));
    let mut list = initiatives(c);
    if list.is_empty() {
        return s;
    }
    // A large log has more initiatives than a report can portray: the most recent ones.
    let max = c.o.list_items_max.max(1);
    let left_out = list.len().saturating_sub(max);
    if left_out > 0 {
        list.drain(..left_out);
    }
    s.blocks.push(Block::Chart(stages_chart(c, &list)));
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
    s
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
        format!("{} ({}, {} {})", route_text, d.area_name(&b.area), c.t("gestart", "started"), b.src.date),
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
        let text = match c.lang {
            Lang::Nl => format!("{} signalen gebundeld: {}", col.signals.len(), col.rationale),
            Lang::En => format!("{} signals bundled: {}", col.signals.len(), col.rationale),
        };
        let mut srcs = vec![col.src];
        srcs.extend(col.signals.iter().filter_map(|id| c.p.signals.src_of(*id)));
        items.push(Stmt::new(format!("{}:", c.t("Signalen", "Signals")), text, srcs));
    }
    let mut stages: Vec<_> = i.stages.values().filter(|x| c.visible(&x.src)).collect();
    stages.sort_by_key(|x| x.src);
    for st in stages {
        let text = match &st.note {
            Some(n) => format!("{} ({}): {n}", st.stage.label(c.lang), st.src.date),
            None => format!("{} ({})", st.stage.label(c.lang), st.src.date),
        };
        items.push(Stmt::new(format!("{}:", c.t("Fase", "Stage")), text, vec![st.src]));
    }
    let mut roles: Vec<_> = i.broker.values().filter(|x| c.visible(&x.src)).collect();
    roles.sort_by_key(|x| x.src);
    for r in roles {
        let leads = if r.leads { c.t(", trekt zelf het initiatief", ", leads the initiative") } else { "" };
        let note = r.note.as_ref().map(|n| format!(": {n}")).unwrap_or_default();
        items.push(Stmt::new(
            format!("{}:", c.t("Rol van de makelaar", "The broker's role")),
            format!("{} {} ({}){leads}{note}", d.who(&r.broker), r.role.label(c.lang), r.src.date),
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
                        h.src.date
                    ),
                    vec![h.src],
                ));
            }
        }
        Status::Stopped => {
            if let Some(st) = i.stopped.values().filter(|x| c.visible(&x.src)).min_by_key(|x| x.src) {
                items.push(Stmt::new(
                    format!("{}:", c.t("Gestopt", "Stopped")),
                    format!("{} ({})", st.reason, st.src.date),
                    vec![st.src],
                ));
            }
        }
    }
    s.blocks.push(Block::List(items));
    s
}

fn stages_chart(c: &Ctx, list: &[(&String, &Initiative)]) -> Chart {
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
