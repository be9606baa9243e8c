//! PAR cycles: per level and area, the spiral of plan → act → observe → reflect → adjusted plan.
//!
//! Each cycle keeps its question and plan, its steps by event position (actions and reflections
//! on the cycle's own stream, field notes that point to it through `payload.cycle`) and its
//! outcome. Views link a reflection to the method changes that cite it (those live in
//! [`RoleHistory`](crate::RoleHistory)) and a cycle to the cycles that follow it (`previous`).
//!
//! State is keyed by stream and by event position, so that `remove` undoes exactly what `add` of
//! the same fact did, and every view iterates in a fixed order.
//!
//! **Memory:** field notes are by far the most frequent kind, and every note that points to a
//! cycle is a step of it (the view lists them). A note is therefore kept small: the strings it
//! repeats (author, topic, area, initiative) are kept once in [`Names`] and the note holds their
//! index; the notes of a cycle are a vector in log order.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use parlog_core::{DomainEvent, EventId, EventKind, InsightKind, Lang, Level, StakeholderGroup, Vocabulary};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::fact::{Fact, Src};
use crate::keyed::Keyed;
use crate::names::{Names, Sym};
use crate::text::{src_ref, tr};
use crate::{Projections, ViewOptions};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cycles {
    /// Per cycle stream (`cycle:*`).
    pub items: Keyed<Cycle>,
    /// The strings notes repeat, each once.
    pub names: Names,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cycle {
    /// From `CycleOpened`; `None` if it was retracted (or not seen yet): such a cycle is skipped.
    pub base: Option<CycleBase>,
    pub actions: BTreeMap<u64, Action>,
    /// Field notes that point to this cycle, by position. Their free text is sealed and never
    /// kept here.
    pub notes: Vec<Note>,
    pub reflections: BTreeMap<u64, Reflection>,
    pub closed: BTreeMap<u64, Closed>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CycleBase {
    pub study: String,
    pub level: Level,
    pub area: Option<String>,
    pub question: String,
    pub plan: String,
    /// The cycle this one follows in the spiral.
    pub previous: Option<String>,
    /// Participant id of the author.
    pub author: String,
    pub src: Src,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub description: String,
    pub initiative: Option<String>,
    pub author: String,
    pub src: Src,
}

/// A field note; its strings are indexes into [`Cycles::names`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub id: EventId,
    pub topic: Option<Sym>,
    pub area: Option<Sym>,
    pub initiative: Option<Sym>,
    pub author: Sym,
    /// Whether the note has a sealed part (its text); the text itself is never projected.
    pub sealed: bool,
    pub src: Src,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reflection {
    pub id: EventId,
    pub summary: Option<String>,
    /// Participant streams who took part in the reflection.
    pub participants: Vec<String>,
    pub insights: Vec<InsightRecord>,
    /// The observations (field notes) the reflection rests on, as the engine found them in the
    /// log when the reflection was added (see [`Fact::cited`]); views leave out those retracted
    /// since.
    pub cited: Vec<Src>,
    pub author: String,
    pub src: Src,
}

/// One insight of a reflection, as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InsightRecord {
    pub kind: InsightKind,
    pub text: String,
    pub theme: Option<String>,
    pub stakeholder: Option<StakeholderGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Closed {
    pub outcome: String,
    pub author: String,
    pub src: Src,
}

impl From<&parlog_core::Insight> for InsightRecord {
    fn from(i: &parlog_core::Insight) -> Self {
        InsightRecord {
            kind: i.kind,
            text: i.text.to_string(),
            theme: i.theme.as_ref().map(|t| t.to_string()),
            stakeholder: i.stakeholder,
        }
    }
}

/// One step of a cycle, in the order things happened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step<'a> {
    Action(&'a Action),
    Note(&'a Note),
    Reflection(&'a Reflection),
}

impl Step<'_> {
    pub fn src(&self) -> Src {
        match self {
            Step::Action(a) => a.src,
            Step::Note(n) => n.src,
            Step::Reflection(r) => r.src,
        }
    }
}

/// Cycles grouped per level and area (`None`: no area), each group in spiral order.
pub type Spiral<'a> = BTreeMap<Level, BTreeMap<Option<String>, Vec<(&'a String, &'a Cycle)>>>;

fn upto<T>(m: &BTreeMap<u64, T>, day: Option<NaiveDate>, src: impl Fn(&T) -> Src) -> Vec<&T> {
    let mut v: Vec<&T> = m.values().filter(|x| day.is_none_or(|d| src(x).date <= d)).collect();
    v.sort_by_key(|x| src(x));
    v
}

fn visible(src: Src, day: Option<NaiveDate>) -> bool {
    day.is_none_or(|d| src.date <= d)
}

impl Cycle {
    /// Whether the cycle was opened (and not retracted) on or before a day.
    pub fn exists_on(&self, day: Option<NaiveDate>) -> bool {
        self.base.as_ref().is_some_and(|b| visible(b.src, day))
    }
    pub fn opened(&self) -> Option<Src> {
        self.base.as_ref().map(|b| b.src)
    }
    /// The outcome as of a day: the latest `CycleClosed` on or before it.
    pub fn outcome_on(&self, day: Option<NaiveDate>) -> Option<&Closed> {
        upto(&self.closed, day, |c| c.src).pop()
    }
    pub fn actions_on(&self, day: Option<NaiveDate>) -> Vec<&Action> {
        upto(&self.actions, day, |a| a.src)
    }
    pub fn notes_on(&self, day: Option<NaiveDate>) -> Vec<&Note> {
        // Kept in log order; the sort is by (date, position) as for the other steps.
        let mut v: Vec<&Note> = self.notes.iter().filter(|n| visible(n.src, day)).collect();
        v.sort_by_key(|n| n.src);
        v
    }
    /// How many field notes point to the cycle on a day.
    pub fn notes_count_on(&self, day: Option<NaiveDate>) -> usize {
        match day {
            None => self.notes.len(),
            Some(_) => self.notes.iter().filter(|n| visible(n.src, day)).count(),
        }
    }
    /// Adds a note in log order (an amended note returns to its place).
    fn put_note(&mut self, note: Note) {
        match self.notes.last() {
            Some(last) if last.src.position >= note.src.position => {
                match self.notes.binary_search_by_key(&note.src.position, |n| n.src.position) {
                    Ok(i) => self.notes[i] = note,
                    Err(i) => self.notes.insert(i, note),
                }
            }
            _ => self.notes.push(note),
        }
    }
    /// The source of a field note of this cycle, by event id (recent notes first: a reflection
    /// usually cites those).
    pub fn note_src(&self, id: EventId) -> Option<Src> {
        self.notes.iter().rev().find(|n| n.id == id).map(|n| n.src)
    }
    pub fn reflections_on(&self, day: Option<NaiveDate>) -> Vec<&Reflection> {
        upto(&self.reflections, day, |r| r.src)
    }
    /// Actions, field notes and reflections up to a day, in the order they happened (by date,
    /// then log position).
    pub fn steps_on(&self, day: Option<NaiveDate>) -> Vec<Step<'_>> {
        let mut v: Vec<Step<'_>> = self.actions_on(day).into_iter().map(Step::Action).collect();
        v.extend(self.notes_on(day).into_iter().map(Step::Note));
        v.extend(self.reflections_on(day).into_iter().map(Step::Reflection));
        v.sort_by_key(|s| s.src());
        v
    }
}

impl Reflection {
    /// Insights per kind, in the vocabulary's order; kinds without insights are left out.
    pub fn insight_counts(&self) -> BTreeMap<InsightKind, u64> {
        let mut m = BTreeMap::new();
        for i in &self.insights {
            *m.entry(i.kind).or_default() += 1;
        }
        m
    }
}

impl Cycles {
    pub fn add(&mut self, f: &Fact) {
        let src = f.src();
        let author = || f.author.as_str().to_string();
        match &f.data {
            DomainEvent::CycleOpened(c) => {
                self.items.or_default(f.stream.as_str()).base = Some(CycleBase {
                    study: c.study.to_string(),
                    level: c.level,
                    area: c.area.as_ref().map(|a| a.to_string()),
                    question: c.question.to_string(),
                    plan: c.plan.to_string(),
                    previous: c.previous.as_ref().map(|p| p.to_string()),
                    author: author(),
                    src,
                });
            }
            DomainEvent::ActionTaken(a) => {
                let action = Action {
                    description: a.description.to_string(),
                    initiative: a.initiative.as_ref().map(|i| i.to_string()),
                    author: author(),
                    src,
                };
                self.items.or_default(f.stream.as_str()).actions.insert(f.position, action);
            }
            DomainEvent::ObservationRecorded(o) => {
                let Some(cycle) = &o.cycle else { return };
                let names = &mut self.names;
                let note = Note {
                    id: f.id,
                    topic: o.topic.as_ref().map(|t| names.sym(t.as_str())),
                    area: o.area.as_ref().map(|a| names.sym(a.as_str())),
                    initiative: o.initiative.as_ref().map(|i| names.sym(i.as_str())),
                    author: names.sym(f.author.as_str()),
                    sealed: f.sealed,
                    src,
                };
                self.items.or_default(cycle.as_str()).put_note(note);
            }
            DomainEvent::ReflectionRecorded(r) => {
                let reflection = Reflection {
                    id: f.id,
                    summary: r.summary.as_ref().map(|s| s.to_string()),
                    participants: r.participants.iter().map(|p| p.to_string()).collect(),
                    insights: r.insights.iter().map(InsightRecord::from).collect(),
                    cited: f.cited.clone(),
                    author: author(),
                    src,
                };
                self.items.or_default(f.stream.as_str()).reflections.insert(f.position, reflection);
            }
            DomainEvent::CycleClosed(c) => {
                let closed = Closed { outcome: c.outcome.to_string(), author: author(), src };
                self.items.or_default(f.stream.as_str()).closed.insert(f.position, closed);
            }
            _ => {}
        }
    }

    pub fn remove(&mut self, f: &Fact) {
        let key = match &f.data {
            DomainEvent::ObservationRecorded(o) => match &o.cycle {
                Some(c) => c.as_str(),
                None => return,
            },
            _ => f.stream.as_str(),
        };
        let Some(cycle) = self.items.get_mut(key) else { return };
        let pos = f.position;
        match &f.data {
            DomainEvent::CycleOpened(_) => cycle.base = None,
            DomainEvent::ActionTaken(_) => drop(cycle.actions.remove(&pos)),
            DomainEvent::ObservationRecorded(_) => {
                if let Ok(i) = cycle.notes.binary_search_by_key(&pos, |n| n.src.position) {
                    cycle.notes.remove(i);
                }
            }
            DomainEvent::ReflectionRecorded(_) => drop(cycle.reflections.remove(&pos)),
            DomainEvent::CycleClosed(_) => drop(cycle.closed.remove(&pos)),
            _ => {}
        }
    }

    pub fn cycle(&self, stream: &str) -> Option<&Cycle> {
        self.items.get(stream)
    }

    /// Cycles that exist on a day, in the order they were opened.
    pub fn on(&self, day: Option<NaiveDate>) -> Vec<(&String, &Cycle)> {
        let mut v: Vec<_> = self.items.iter().filter(|(_, c)| c.exists_on(day)).collect();
        v.sort_by_key(|(_, c)| c.opened());
        v
    }

    /// The cycle's question; the stream name if the log does not (or no longer) say.
    pub fn question(&self, stream: &str) -> String {
        match self.items.get(stream).and_then(|c| c.base.as_ref()) {
            Some(b) => b.question.clone(),
            None => stream.split_once(':').map(|(_, n)| n).unwrap_or(stream).to_string(),
        }
    }

    /// The cycles that follow a cycle (their `previous` is it), on a day, oldest first.
    pub fn next_of(&self, stream: &str, day: Option<NaiveDate>) -> Vec<(&String, &Cycle)> {
        self.on(day)
            .into_iter()
            .filter(|(_, c)| c.base.as_ref().and_then(|b| b.previous.as_deref()) == Some(stream))
            .collect()
    }

    /// A reflection by event id, with the stream of its cycle.
    pub fn reflection(&self, id: EventId) -> Option<(&String, &Reflection)> {
        self.items.iter().find_map(|(k, c)| c.reflections.values().find(|r| r.id == id).map(|r| (k, r)))
    }

    /// Level and area of a cycle that exists on a day (the area is `None` for a cycle without).
    pub fn place_of(&self, stream: &str, day: Option<NaiveDate>) -> Option<(Level, Option<&str>)> {
        let c = self.items.get(stream).filter(|c| c.exists_on(day))?;
        let b = c.base.as_ref()?;
        Some((b.level, b.area.as_deref()))
    }

    /// The spiral on a day: per level, per area, the cycles in order. Each group starts with the
    /// cycles whose `previous` lies outside the group (or is absent), oldest first; each cycle is
    /// followed by the cycles that follow it, depth first, oldest first. Cycles caught in a loop
    /// of `previous` links (possible only through amendments) still appear, once.
    pub fn spiral(&self, day: Option<NaiveDate>) -> Spiral<'_> {
        let mut groups: Spiral<'_> = BTreeMap::new();
        for (k, c) in self.on(day) {
            let b = c.base.as_ref().expect("on() keeps cycles with a base");
            groups.entry(b.level).or_default().entry(b.area.clone()).or_default().push((k, c));
        }
        for areas in groups.values_mut() {
            for cycles in areas.values_mut() {
                *cycles = spiral_order(cycles);
            }
        }
        groups
    }

    pub fn view(&self, p: &Projections, o: &ViewOptions) -> Value {
        let (day, lang, dir) = (o.day, o.lang, &p.directory);
        let levels: Vec<Value> = self
            .spiral(day)
            .into_iter()
            .map(|(level, areas)| {
                let areas: Vec<Value> = areas
                    .into_iter()
                    .map(|(area, cycles)| {
                        json!({
                            "area": area,
                            "area_name": area_name(p, area.as_deref(), lang),
                            "cycles": cycles.into_iter().map(|(k, c)| self.cycle_json(p, k, c, o)).collect::<Vec<_>>(),
                        })
                    })
                    .collect();
                json!({ "level": level, "level_label": level.label(lang), "areas": areas })
            })
            .collect();
        let study = dir.study().map(|(k, s)| json!({"id": k, "title": s.title}));
        json!({ "study": study, "day": day, "levels": levels })
    }

    fn cycle_json(&self, p: &Projections, key: &str, c: &Cycle, o: &ViewOptions) -> Value {
        let (day, lang, dir) = (o.day, o.lang, &p.directory);
        let b = c.base.as_ref().expect("the spiral keeps cycles with a base");
        let steps: Vec<Value> = c.steps_on(day).into_iter().map(|s| step_json(p, s, o)).collect();
        let outcome = c.outcome_on(day);
        let (status, status_label) = match outcome {
            Some(_) => ("closed", tr(lang, "afgesloten", "closed")),
            None => ("open", tr(lang, "open", "open")),
        };
        let previous = b.previous.as_ref().map(|prev| {
            let exists = self.items.get(prev).is_some_and(|pc| pc.exists_on(day));
            json!({"id": prev, "question": exists.then(|| self.question(prev))})
        });
        json!({
            "id": key,
            "level": b.level, "level_label": b.level.label(lang),
            "area": b.area, "area_name": area_name(p, b.area.as_deref(), lang),
            "question": b.question,
            "plan": b.plan,
            "opened": b.src,
            "opened_by": dir.author(&b.author),
            "previous": previous,
            "status": status, "status_label": status_label,
            "steps": steps,
            "field_notes": c.notes_count_on(day),
            "outcome": outcome.map(|x| json!({"text": x.outcome, "by": dir.author(&x.author), "src": x.src})),
            "method_changes": cycle_method_changes(p, c, day).into_iter().map(|(role, m)| json!({
                "role": role, "aspect": m.aspect, "before": m.before, "after": m.after, "rationale": m.rationale,
                "effective": m.effective, "src": m.src,
            })).collect::<Vec<_>>(),
            "next": self.next_of(key, day).into_iter().map(|(k, n)| json!({
                "id": k, "question": n.base.as_ref().map(|b| b.question.as_str()), "opened": n.opened(),
            })).collect::<Vec<_>>(),
        })
    }

    pub fn text(&self, p: &Projections, o: &ViewOptions) -> String {
        let (day, lang) = (o.day, o.lang);
        let mut out = String::new();
        for (level, areas) in self.spiral(day) {
            out += &format!("{} {}\n", tr(lang, "Niveau:", "Level:"), level.label(lang));
            for (area, cycles) in areas {
                out += &format!("  {}\n", area_name(p, area.as_deref(), lang));
                for (n, (k, c)) in cycles.into_iter().enumerate() {
                    self.cycle_text(p, k, c, n + 1, o, &mut out);
                }
            }
        }
        if out.is_empty() {
            out = tr(lang, "Geen cycli.\n", "No cycles.\n").to_string();
        }
        out
    }

    fn cycle_text(&self, p: &Projections, key: &str, c: &Cycle, n: usize, o: &ViewOptions, out: &mut String) {
        let (day, lang) = (o.day, o.lang);
        let b = c.base.as_ref().expect("the spiral keeps cycles with a base");
        let status = match c.outcome_on(day) {
            Some(_) => tr(lang, "afgesloten", "closed"),
            None => tr(lang, "open", "open"),
        };
        *out += &format!("    {n}. {} ({status}) {}\n", b.question, src_ref(&b.src));
        if let Some(prev) = &b.previous {
            *out += &format!("       {} {}\n", tr(lang, "volgt op:", "follows:"), self.question(prev));
        }
        *out += &format!("       {} {}\n", tr(lang, "plan:", "plan:"), b.plan);
        for s in c.steps_on(day) {
            *out += &format!("       {}\n", step_text(p, s, o));
        }
        for (_, m) in cycle_method_changes(p, c, day) {
            *out += &format!(
                "       → {} {} ({} {}) {}\n",
                tr(lang, "werkwijze gewijzigd:", "method changed:"),
                m.aspect,
                tr(lang, "vanaf", "from"),
                m.effective,
                src_ref(&m.src)
            );
        }
        if let Some(x) = c.outcome_on(day) {
            *out += &format!("       {} {} {}\n", tr(lang, "uitkomst:", "outcome:"), x.outcome, src_ref(&x.src));
        }
        for (_, next) in self.next_of(key, day) {
            let q = next.base.as_ref().map(|b| b.question.as_str()).unwrap_or_default();
            *out += &format!("       → {} {}\n", tr(lang, "volgende cyclus:", "next cycle:"), q);
        }
    }
}

/// Orders one group of cycles along their `previous` links (see [`Cycles::spiral`]).
fn spiral_order<'a>(cycles: &[(&'a String, &'a Cycle)]) -> Vec<(&'a String, &'a Cycle)> {
    let in_group: BTreeSet<&str> = cycles.iter().map(|(k, _)| k.as_str()).collect();
    let previous = |c: &Cycle| c.base.as_ref().and_then(|b| b.previous.clone());
    // `cycles` comes sorted by opening; children keep that order.
    let mut children: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut roots = Vec::new();
    for (i, (_, c)) in cycles.iter().enumerate() {
        match previous(c).filter(|p| in_group.contains(p.as_str())) {
            Some(p) => children.entry(p).or_default().push(i),
            None => roots.push(i),
        }
    }
    let mut seen = vec![false; cycles.len()];
    let mut out = Vec::with_capacity(cycles.len());
    let visit_from = |start: usize, seen: &mut Vec<bool>, out: &mut Vec<(&'a String, &'a Cycle)>| {
        // Depth first without recursion: a long spiral must not exhaust the stack.
        let mut stack = vec![start];
        while let Some(i) = stack.pop() {
            if seen[i] {
                continue;
            }
            seen[i] = true;
            out.push(cycles[i]);
            if let Some(next) = children.get(cycles[i].0.as_str()) {
                stack.extend(next.iter().rev().filter(|j| !seen[**j]));
            }
        }
    };
    for r in roots {
        visit_from(r, &mut seen, &mut out);
    }
    for i in 0..cycles.len() {
        if !seen[i] {
            visit_from(i, &mut seen, &mut out);
        }
    }
    out
}

fn area_name(p: &Projections, area: Option<&str>, lang: Lang) -> String {
    match area {
        Some(a) => p.directory.area_name(a),
        None => tr(lang, "(geen gebied)", "(no area)").to_string(),
    }
}

/// The method changes, on a day, that cite any of the cycle's reflections; each once, in order.
fn cycle_method_changes<'a>(
    p: &'a Projections,
    c: &Cycle,
    day: Option<NaiveDate>,
) -> Vec<(&'a String, &'a crate::role::MethodChange)> {
    let mut v: Vec<_> = c
        .reflections_on(day)
        .into_iter()
        .flat_map(|r| p.role.method_changes_citing(r.id))
        .filter(|(_, m)| visible(m.src, day))
        .collect();
    v.sort_by_key(|(_, m)| (m.effective, m.src));
    v.dedup_by_key(|(_, m)| m.src);
    v
}

fn insight_counts_json(r: &Reflection, lang: Lang) -> Vec<Value> {
    r.insight_counts().into_iter().map(|(k, n)| json!({"kind": k, "label": k.label(lang), "count": n})).collect()
}

/// Cited observations that the log still holds on the day, by position.
pub(crate) fn cited(p: &Projections, r: &Reflection, day: Option<NaiveDate>) -> Vec<Src> {
    let mut v: Vec<Src> =
        r.cited.iter().copied().filter(|s| visible(*s, day) && !p.corrections.is_retracted(s.position)).collect();
    v.sort();
    v.dedup();
    v
}

fn step_json(p: &Projections, s: Step<'_>, o: &ViewOptions) -> Value {
    let (day, lang, dir) = (o.day, o.lang, &p.directory);
    match s {
        Step::Action(a) => json!({
            "kind": "action", "kind_label": EventKind::ActionTaken.label(lang),
            "description": a.description,
            "initiative": a.initiative,
            "initiative_name": a.initiative.as_deref().map(|i| p.initiatives.name(i)),
            "by": dir.author(&a.author), "src": a.src,
        }),
        Step::Note(n) => {
            let name = |s: Sym| p.cycles.names.get(s);
            let (area, initiative) = (n.area.map(name), n.initiative.map(name));
            json!({
                "kind": "observation", "kind_label": EventKind::ObservationRecorded.label(lang),
                "id": n.id, "topic": n.topic.map(name),
                "area": area, "area_name": area.map(|a| dir.area_name(a)),
                "initiative": initiative,
                "initiative_name": initiative.map(|i| p.initiatives.name(i)),
                "by": dir.author(name(n.author)), "src": n.src,
            })
        }
        Step::Reflection(r) => json!({
            "kind": "reflection", "kind_label": EventKind::ReflectionRecorded.label(lang),
            "id": r.id,
            "summary": r.summary,
            "participants": r.participants.iter().map(|x| json!({"id": x, "label": dir.who(x)})).collect::<Vec<_>>(),
            "insights": r.insights.len(),
            "insights_by_kind": insight_counts_json(r, lang),
            "observations": cited(p, r, day),
            "method_changes": p.role.method_changes_citing(r.id).into_iter().filter(|(_, m)| visible(m.src, day))
                .map(|(role, m)| json!({"role": role, "aspect": m.aspect, "src": m.src})).collect::<Vec<_>>(),
            "by": dir.author(&r.author), "src": r.src,
        }),
    }
}

fn step_text(p: &Projections, s: Step<'_>, o: &ViewOptions) -> String {
    let (day, lang, dir) = (o.day, o.lang, &p.directory);
    match s {
        Step::Action(a) => {
            let initiative = match &a.initiative {
                Some(i) => format!(" ({})", p.initiatives.name(i)),
                None => String::new(),
            };
            format!(
                "{} {}: {}{} — {} {}",
                a.src.date,
                tr(lang, "actie", "action"),
                a.description,
                initiative,
                dir.author(&a.author),
                src_ref(&a.src)
            )
        }
        Step::Note(n) => format!(
            "{} {}: {} — {} {}",
            n.src.date,
            tr(lang, "veldnotitie", "field note"),
            n.topic.map(|t| p.cycles.names.get(t)).unwrap_or(tr(lang, "(zonder onderwerp)", "(no topic)")),
            dir.author(p.cycles.names.get(n.author)),
            src_ref(&n.src)
        ),
        Step::Reflection(r) => {
            let counts: Vec<String> =
                r.insight_counts().into_iter().map(|(k, n)| format!("{n} {}", k.label(lang))).collect();
            let counts = if counts.is_empty() {
                tr(lang, "geen inzichten", "no insights").to_string()
            } else {
                counts.join(", ")
            };
            let notes = cited(p, r, day).len();
            format!(
                "{} {}: {counts}; {}: {notes} — {} {}",
                r.src.date,
                tr(lang, "reflectie", "reflection"),
                tr(lang, "aangehaalde veldnotities", "field notes cited"),
                dir.author(&r.author),
                src_ref(&r.src)
            )
        }
    }
}
