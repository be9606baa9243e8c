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
use parlog_core::{DomainEvent, EventId, InsightKind, Level, StakeholderGroup};
use serde::{Deserialize, Serialize};

use crate::fact::{Fact, Src};
use crate::keyed::Keyed;
use crate::names::{Names, Sym};
use crate::Projections;

mod view;

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

/// One spiral: a cycle that follows no other (its `previous` is absent, or names no cycle the
/// log holds on the day) and every cycle that follows it through `previous`, whatever their level
/// or area. See [`Cycles::spirals`].
#[derive(Debug, Clone)]
pub struct Chain<'a> {
    /// Depth first from the first cycle, the cycles that follow one cycle oldest first.
    pub cycles: Vec<Link<'a>>,
}

/// A cycle in a [`Chain`].
#[derive(Debug, Clone)]
pub struct Link<'a> {
    pub id: &'a String,
    pub cycle: &'a Cycle,
    /// The index in the chain of the cycle it follows; `None` for the first.
    pub previous: Option<usize>,
}

impl<'a> Chain<'a> {
    /// The cycle the spiral starts from.
    pub fn first(&self) -> &Link<'a> {
        &self.cycles[0]
    }
}

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
}

impl Cycles {
    /// The independent spirals on a day: each starts at a cycle that follows no cycle the log
    /// holds, and goes on along `previous` (a cycle follows the cycle it names, never simply the
    /// cycle opened before it); the spirals in the order their first cycles opened. Cycles caught
    /// in a loop of `previous` links (possible only through amendments) start a spiral at the
    /// one opened first.
    pub fn spirals(&self, day: Option<NaiveDate>) -> Vec<Chain<'_>> {
        let on = self.on(day);
        let index: BTreeMap<&str, usize> = on.iter().enumerate().map(|(i, (k, _))| (k.as_str(), i)).collect();
        let previous = |c: &Cycle| c.base.as_ref().and_then(|b| b.previous.as_deref()).and_then(|p| index.get(p));
        // `on` is sorted by opening; the cycles that follow one keep that order.
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); on.len()];
        let mut roots = Vec::new();
        for (i, (_, c)) in on.iter().enumerate() {
            match previous(c) {
                Some(p) if *p != i => children[*p].push(i),
                _ => roots.push(i),
            }
        }
        let mut seen = vec![false; on.len()];
        let mut out = Vec::new();
        let mut chain_from = |start: usize, seen: &mut Vec<bool>| {
            // Depth first without recursion: a long spiral must not exhaust the stack.
            let mut links: Vec<Link<'_>> = Vec::new();
            let mut stack = vec![(start, None)];
            while let Some((i, prev)) = stack.pop() {
                if seen[i] {
                    continue;
                }
                seen[i] = true;
                links.push(Link { id: on[i].0, cycle: on[i].1, previous: prev });
                let here = Some(links.len() - 1);
                stack.extend(children[i].iter().rev().filter(|j| !seen[**j]).map(|j| (*j, here)));
            }
            out.push(Chain { cycles: links });
        };
        for r in roots {
            chain_from(r, &mut seen);
        }
        for i in 0..on.len() {
            if !seen[i] {
                chain_from(i, &mut seen);
            }
        }
        out.sort_by_key(|c| c.cycles[0].cycle.opened());
        out
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

/// Cited observations that the log still holds on the day, by position.
pub(crate) fn cited(p: &Projections, r: &Reflection, day: Option<NaiveDate>) -> Vec<Src> {
    let mut v: Vec<Src> =
        r.cited.iter().copied().filter(|s| visible(*s, day) && !p.corrections.is_retracted(s.position)).collect();
    v.sort();
    v.dedup();
    v
}
