//! One study's column: its role in its own words, its initiatives counted and its changes of
//! method, each sourced in that study's log.

use chrono::NaiveDate;
use parlog_core::{InitiativeStage, Lang, Route, StudySlug, Vocabulary};

use super::doc::{
    Cites, Count, HandOverItem, InitiativeColumn, Listed, MethodChangeItem, Period, RoleColumn, RoleTitle, Stated,
    Step, StopItem, StudyColumn,
};
use super::{CompareOptions, StudyInput};
use crate::fact::Src;
use crate::initiatives::{Initiative, Status};
use crate::role::{Described, Role};
use crate::text::tr;
use crate::Projections;

pub(crate) fn column(s: &StudyInput, o: &CompareOptions) -> StudyColumn {
    let p = s.projections;
    let question =
        p.directory.study().map(|(_, st)| Stated { text: st.question.clone(), cites: Cites::of(s.slug, [st.src]) });
    let period = match (p.activity.first_src(), p.activity.last_src(None)) {
        (Some(first), Some(last)) => {
            Some(Period { from: first.date, to: last.date, cites: Cites::of(s.slug, [first, last]) })
        }
        _ => None,
    };
    StudyColumn {
        slug: s.slug.clone(),
        name: s.name.to_string(),
        municipality: s.municipality.to_string(),
        question,
        period,
        role: role(s.slug, p, o.lang),
        initiatives: initiatives(s.slug, p, o),
        method_changes: Listed::cut(method_changes(s.slug, p), o.list_items_max),
    }
}

/// The fixed word for the role, for a study whose log describes none.
fn fallback_title(lang: Lang) -> &'static str {
    tr(lang, "sociaal makelaar", "community broker")
}

fn role(study: &StudySlug, p: &Projections, lang: Lang) -> RoleColumn {
    let mut described: Vec<(&Role, &Described)> =
        p.role.roles.values().filter_map(|r| r.described.as_ref().map(|d| (r, d))).collect();
    // By log position: the latest description holds the study's current word for the role.
    described.sort_by_key(|(_, d)| d.src);
    let Some((role, d)) = described.pop() else {
        return RoleColumn {
            title: fallback_title(lang).to_string(),
            own_words: false,
            cites: Cites::default(),
            other_titles: Vec::new(),
            capacity: Vec::new(),
            position: Vec::new(),
        };
    };
    let other_titles = described
        .iter()
        .map(|(_, o)| RoleTitle { title: o.title.clone(), effective: o.effective, cites: Cites::of(study, [o.src]) })
        .collect();
    let changes = role.changes_known(None);
    let mut capacity = vec![step(study, d.effective, d.capacity_fte, None, d.src)];
    capacity.extend(
        changes.iter().filter_map(|c| c.capacity_fte.map(|f| step(study, c.effective, f, Some(&c.rationale), c.src))),
    );
    let mut position = vec![step(study, d.effective, d.position.clone(), None, d.src)];
    position.extend(
        changes
            .iter()
            .filter_map(|c| c.position.clone().map(|v| step(study, c.effective, v, Some(&c.rationale), c.src))),
    );
    RoleColumn {
        title: d.title.clone(),
        own_words: true,
        cites: Cites::of(study, [d.src]),
        other_titles,
        capacity,
        position,
    }
}

fn step<T>(study: &StudySlug, effective: NaiveDate, value: T, rationale: Option<&String>, src: Src) -> Step<T> {
    Step { effective, value, rationale: rationale.cloned(), cites: Cites::of(study, [src]) }
}

fn method_changes(study: &StudySlug, p: &Projections) -> Vec<MethodChangeItem> {
    p.role
        .method_changes()
        .into_iter()
        .map(|(_, m)| {
            let reflections = m.reflections.iter().filter_map(|id| p.role.reflection(*id)).map(|r| r.src);
            MethodChangeItem {
                effective: m.effective,
                aspect: m.aspect.clone(),
                before: m.before.clone(),
                after: m.after.clone(),
                rationale: m.rationale.clone(),
                cites: Cites::of(study, std::iter::once(m.src).chain(reflections)),
            }
        })
        .collect()
}

/// An initiative at the end of the log: its start, route, current stage and how it ended.
struct Seen<'a> {
    name: &'a str,
    started: Src,
    route: Route,
    stage: Option<(InitiativeStage, Src)>,
    status: Status,
    /// The first hand-over or stop, as the status counts it.
    end: Option<Src>,
    initiative: &'a Initiative,
}

fn seen(i: &Initiative) -> Option<Seen<'_>> {
    let b = i.base.as_ref()?;
    let status = i.status_on(None);
    let end = match status {
        Status::Active => None,
        Status::HandedOver => i.handed_over.values().map(|h| h.src).min(),
        Status::Stopped => i.stopped.values().map(|s| s.src).min(),
    };
    Some(Seen {
        name: &b.name,
        started: b.src,
        route: b.route,
        stage: i.stage_on(None).map(|s| (s.stage, s.src)),
        status,
        end,
        initiative: i,
    })
}

fn count(study: &StudySlug, key: &str, label: &str, of: impl Iterator<Item = Src>) -> Count {
    let srcs: Vec<Src> = of.collect();
    Count { key: key.to_string(), label: label.to_string(), count: srcs.len() as u64, cites: Cites::of(study, srcs) }
}

fn initiatives(study: &StudySlug, p: &Projections, o: &CompareOptions) -> InitiativeColumn {
    let lang = o.lang;
    let all: Vec<Seen> = p.initiatives.on(None).into_iter().filter_map(|(_, i)| seen(i)).collect();
    let total = count(study, "all", tr(lang, "initiatieven", "initiatives"), all.iter().map(|x| x.started));
    let by_route = Route::ALL
        .iter()
        .map(|r| count(study, r.id(), r.label(lang), all.iter().filter(|x| x.route == *r).map(|x| x.started)))
        .collect();
    let mut by_stage: Vec<Count> = InitiativeStage::ALL
        .iter()
        .map(|s| {
            let of = all.iter().filter_map(|x| x.stage.filter(|(st, _)| st == s).map(|(_, src)| src));
            count(study, s.id(), s.label(lang), of)
        })
        .collect();
    by_stage.push(count(
        study,
        "none",
        tr(lang, "geen fase vastgelegd", "no stage recorded"),
        all.iter().filter(|x| x.stage.is_none()).map(|x| x.started),
    ));
    let by_status = [(Status::Active, "active"), (Status::HandedOver, "handed_over"), (Status::Stopped, "stopped")]
        .into_iter()
        .map(|(st, key)| {
            let of = all.iter().filter(|x| x.status == st).map(|x| x.end.unwrap_or(x.started));
            count(study, key, st.label(lang), of)
        })
        .collect();
    let handed_over = all
        .iter()
        .filter(|x| x.status == Status::HandedOver)
        .filter_map(|x| {
            let h = x.initiative.handed_over.values().min_by_key(|h| h.src)?;
            Some(HandOverItem {
                initiative: x.name.to_string(),
                to: p.directory.who(&h.organisation),
                note: h.note.clone(),
                date: h.src.date,
                cites: Cites::of(study, [x.started, h.src]),
            })
        })
        .collect();
    let stopped = all
        .iter()
        .filter(|x| x.status == Status::Stopped)
        .filter_map(|x| {
            let s = x.initiative.stopped.values().min_by_key(|s| s.src)?;
            Some(StopItem {
                initiative: x.name.to_string(),
                reason: s.reason.clone(),
                date: s.src.date,
                cites: Cites::of(study, [x.started, s.src]),
            })
        })
        .collect();
    InitiativeColumn {
        total,
        by_route,
        by_stage,
        by_status,
        handed_over: Listed::cut(handed_over, o.list_items_max),
        stopped: Listed::cut(stopped, o.list_items_max),
    }
}
