//! The role (functie) over time, per role stream (`role:*`): its description, the changes of
//! mandate, tasks, capacity and position, and the changes of method, each with its rationale,
//! the day it took effect, and (for method changes) the reflections behind it.
//!
//! Two days matter here. `effective` is the day a change took effect in practice; the event's
//! own day (`src.date`) is when the log learned of it. [`Role::state_on`] answers "how did the
//! role stand on this day" with everything the log holds; views answer it with only what the log
//! held on their as-of day ([`Role::state_known`]).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use parlog_core::{DomainEvent, EventId, Lang};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::fact::{Fact, Src};
use crate::text::tr;

mod view;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleHistory {
    /// Per role stream (`role:*`).
    pub roles: BTreeMap<String, Role>,
    /// Every reflection in the log, so that method changes can cite theirs by position.
    pub reflections: BTreeMap<EventId, ReflectionRef>,
}

/// Where a reflection is: its cycle and its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReflectionRef {
    pub cycle: String,
    pub src: Src,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Role {
    /// From `RoleDescribed`; `None` if it was retracted: such a role is skipped.
    pub described: Option<Described>,
    pub changes: BTreeMap<u64, Change>,
    pub methods: BTreeMap<u64, MethodChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Described {
    pub title: String,
    pub mandate: String,
    pub tasks: Vec<String>,
    pub capacity_fte: f64,
    pub position: String,
    pub effective: NaiveDate,
    pub src: Src,
}

/// A `RoleChanged`: only the fields given changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub mandate: Option<String>,
    pub tasks: Option<Vec<String>>,
    pub capacity_fte: Option<f64>,
    pub position: Option<String>,
    pub rationale: String,
    pub effective: NaiveDate,
    pub src: Src,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodChange {
    pub aspect: String,
    pub before: String,
    pub after: String,
    pub rationale: String,
    /// The reflections (event ids) that led to the change.
    pub reflections: Vec<EventId>,
    pub effective: NaiveDate,
    pub src: Src,
}

/// The aspects of a role that a description sets and a change may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleField {
    Title,
    Mandate,
    Tasks,
    CapacityFte,
    Position,
}

impl RoleField {
    pub const ALL: [RoleField; 5] =
        [RoleField::Title, RoleField::Mandate, RoleField::Tasks, RoleField::CapacityFte, RoleField::Position];
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            RoleField::Title => tr(lang, "titel", "title"),
            RoleField::Mandate => tr(lang, "mandaat", "mandate"),
            RoleField::Tasks => tr(lang, "taken", "tasks"),
            RoleField::CapacityFte => tr(lang, "capaciteit (fte)", "capacity (FTE)"),
            RoleField::Position => tr(lang, "positie", "position"),
        }
    }
}

/// One field of the role as it stood: its value and the event that last set it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field<T> {
    pub value: T,
    pub src: Src,
    pub effective: NaiveDate,
}

/// The role as it stood on a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleState {
    pub title: Field<String>,
    pub mandate: Field<String>,
    pub tasks: Field<Vec<String>>,
    pub capacity_fte: Field<f64>,
    pub position: Field<String>,
}

impl RoleState {
    /// A field's value as JSON: a string, a list of strings or a number.
    pub fn value(&self, f: RoleField) -> Value {
        match f {
            RoleField::Title => json!(self.title.value),
            RoleField::Mandate => json!(self.mandate.value),
            RoleField::Tasks => json!(self.tasks.value),
            RoleField::CapacityFte => json!(self.capacity_fte.value),
            RoleField::Position => json!(self.position.value),
        }
    }
    /// The event that last set a field, and the day that took effect.
    pub fn source(&self, f: RoleField) -> (Src, NaiveDate) {
        match f {
            RoleField::Title => (self.title.src, self.title.effective),
            RoleField::Mandate => (self.mandate.src, self.mandate.effective),
            RoleField::Tasks => (self.tasks.src, self.tasks.effective),
            RoleField::CapacityFte => (self.capacity_fte.src, self.capacity_fte.effective),
            RoleField::Position => (self.position.src, self.position.effective),
        }
    }
}

/// How a field differs between two days, and the events that changed it in between.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDiff {
    pub field: RoleField,
    /// `null` if the role was not yet described on the earlier day.
    pub before: Value,
    pub after: Value,
    /// The events that set this field with an effective day after `from` up to `to`.
    pub sources: Vec<Src>,
}

fn known(src: Src, day: Option<NaiveDate>) -> bool {
    day.is_none_or(|d| src.date <= d)
}

fn in_effect(effective: NaiveDate, day: Option<NaiveDate>) -> bool {
    day.is_none_or(|d| effective <= d)
}

impl Change {
    fn fields(&self) -> Vec<RoleField> {
        let mut v = Vec::new();
        if self.mandate.is_some() {
            v.push(RoleField::Mandate);
        }
        if self.tasks.is_some() {
            v.push(RoleField::Tasks);
        }
        if self.capacity_fte.is_some() {
            v.push(RoleField::CapacityFte);
        }
        if self.position.is_some() {
            v.push(RoleField::Position);
        }
        v
    }
    fn value(&self, f: RoleField) -> Value {
        match f {
            RoleField::Title => Value::Null,
            RoleField::Mandate => json!(self.mandate),
            RoleField::Tasks => json!(self.tasks),
            RoleField::CapacityFte => json!(self.capacity_fte),
            RoleField::Position => json!(self.position),
        }
    }
}

impl Described {
    fn value(&self, f: RoleField) -> Value {
        match f {
            RoleField::Title => json!(self.title),
            RoleField::Mandate => json!(self.mandate),
            RoleField::Tasks => json!(self.tasks),
            RoleField::CapacityFte => json!(self.capacity_fte),
            RoleField::Position => json!(self.position),
        }
    }
}

impl Role {
    /// The role as it stood on a day (by effective date), with all the log holds; `None` before
    /// the description took effect or if it was retracted. `None` as day: every change.
    pub fn state_on(&self, day: Option<NaiveDate>) -> Option<RoleState> {
        self.state_known(day, None)
    }

    /// The same, using only events the log held on `known` (their own day on or before it).
    pub fn state_known(&self, day: Option<NaiveDate>, known_day: Option<NaiveDate>) -> Option<RoleState> {
        let d = self.described.as_ref().filter(|d| known(d.src, known_day) && in_effect(d.effective, day))?;
        let field = |value, d: &Described| Field { value, src: d.src, effective: d.effective };
        let mut s = RoleState {
            title: field(d.title.clone(), d),
            mandate: field(d.mandate.clone(), d),
            tasks: Field { value: d.tasks.clone(), src: d.src, effective: d.effective },
            capacity_fte: Field { value: d.capacity_fte, src: d.src, effective: d.effective },
            position: field(d.position.clone(), d),
        };
        for c in self.changes_known(known_day).into_iter().filter(|c| in_effect(c.effective, day)) {
            let (src, effective) = (c.src, c.effective);
            if let Some(v) = &c.mandate {
                s.mandate = Field { value: v.clone(), src, effective };
            }
            if let Some(v) = &c.tasks {
                s.tasks = Field { value: v.clone(), src, effective };
            }
            if let Some(v) = c.capacity_fte {
                s.capacity_fte = Field { value: v, src, effective };
            }
            if let Some(v) = &c.position {
                s.position = Field { value: v.clone(), src, effective };
            }
        }
        Some(s)
    }

    /// The fields that differ between the role on `from` and on `to` (by effective date), with
    /// all the log holds.
    pub fn diff(&self, from: NaiveDate, to: NaiveDate) -> Vec<FieldDiff> {
        self.diff_known(from, to, None)
    }

    /// The same, using only events the log held on `known_day`.
    pub fn diff_known(&self, from: NaiveDate, to: NaiveDate, known_day: Option<NaiveDate>) -> Vec<FieldDiff> {
        let before = self.state_known(Some(from), known_day);
        let after = self.state_known(Some(to), known_day);
        let touches = self.touches(known_day);
        RoleField::ALL
            .into_iter()
            .filter_map(|f| {
                let b = before.as_ref().map(|s| s.value(f)).unwrap_or(Value::Null);
                let a = after.as_ref().map(|s| s.value(f)).unwrap_or(Value::Null);
                (b != a).then(|| FieldDiff {
                    field: f,
                    before: b,
                    after: a,
                    sources: touches
                        .iter()
                        .filter(|(tf, eff, _)| *tf == f && from < *eff && *eff <= to)
                        .map(|(_, _, s)| *s)
                        .collect(),
                })
            })
            .collect()
    }

    /// Role changes known on a day, in the order they took effect.
    pub fn changes_known(&self, known_day: Option<NaiveDate>) -> Vec<&Change> {
        let mut v: Vec<&Change> = self.changes.values().filter(|c| known(c.src, known_day)).collect();
        v.sort_by_key(|c| (c.effective, c.src));
        v
    }

    /// Method changes known on a day, in the order they took effect.
    pub fn method_changes_known(&self, known_day: Option<NaiveDate>) -> Vec<&MethodChange> {
        let mut v: Vec<&MethodChange> = self.methods.values().filter(|m| known(m.src, known_day)).collect();
        v.sort_by_key(|m| (m.effective, m.src));
        v
    }

    /// Every (field, effective day, source) that set a field, in the order they took effect.
    fn touches(&self, known_day: Option<NaiveDate>) -> Vec<(RoleField, NaiveDate, Src)> {
        let mut v = Vec::new();
        if let Some(d) = self.described.as_ref().filter(|d| known(d.src, known_day)) {
            v.extend(RoleField::ALL.into_iter().map(|f| (f, d.effective, d.src)));
        }
        for c in self.changes_known(known_day) {
            v.extend(c.fields().into_iter().map(|f| (f, c.effective, c.src)));
        }
        v.sort_by_key(|(_, eff, src)| (*eff, *src));
        v
    }
}

impl RoleHistory {
    pub fn add(&mut self, f: &Fact) {
        let key = || f.stream.as_str().to_string();
        let src = f.src();
        match &f.data {
            DomainEvent::RoleDescribed(d) => {
                self.roles.entry(key()).or_default().described = Some(Described {
                    title: d.title.to_string(),
                    mandate: d.mandate.to_string(),
                    tasks: d.tasks.iter().map(|t| t.to_string()).collect(),
                    capacity_fte: d.capacity_fte,
                    position: d.position.to_string(),
                    effective: d.effective.0,
                    src,
                });
            }
            DomainEvent::RoleChanged(c) => {
                let change = Change {
                    mandate: c.mandate.as_ref().map(|m| m.to_string()),
                    tasks: c.tasks.as_ref().map(|t| t.iter().map(|x| x.to_string()).collect()),
                    capacity_fte: c.capacity_fte,
                    position: c.position.as_ref().map(|p| p.to_string()),
                    rationale: c.rationale.to_string(),
                    effective: c.effective.0,
                    src,
                };
                self.roles.entry(key()).or_default().changes.insert(f.position, change);
            }
            DomainEvent::MethodChanged(m) => {
                let change = MethodChange {
                    aspect: m.aspect.to_string(),
                    before: m.before.to_string(),
                    after: m.after.to_string(),
                    rationale: m.rationale.to_string(),
                    reflections: m.reflections.0.clone(),
                    effective: m.effective.0,
                    src,
                };
                self.roles.entry(key()).or_default().methods.insert(f.position, change);
            }
            DomainEvent::ReflectionRecorded(_) => {
                self.reflections.insert(f.id, ReflectionRef { cycle: key(), src });
            }
            _ => {}
        }
    }

    pub fn remove(&mut self, f: &Fact) {
        if let DomainEvent::ReflectionRecorded(_) = &f.data {
            self.reflections.remove(&f.id);
            return;
        }
        let Some(role) = self.roles.get_mut(f.stream.as_str()) else { return };
        match &f.data {
            DomainEvent::RoleDescribed(_) => role.described = None,
            DomainEvent::RoleChanged(_) => drop(role.changes.remove(&f.position)),
            DomainEvent::MethodChanged(_) => drop(role.methods.remove(&f.position)),
            _ => {}
        }
    }

    pub fn role(&self, stream: &str) -> Option<&Role> {
        self.roles.get(stream)
    }

    /// Roles described (and known) on a day, oldest description first.
    pub fn roles_known(&self, known_day: Option<NaiveDate>) -> Vec<(&String, &Role)> {
        let mut v: Vec<_> =
            self.roles.iter().filter(|(_, r)| r.described.as_ref().is_some_and(|d| known(d.src, known_day))).collect();
        v.sort_by_key(|(_, r)| r.described.as_ref().map(|d| d.src));
        v
    }

    /// The role the study is about: the first one described (a log normally holds one).
    pub fn primary(&self) -> Option<(&String, &Role)> {
        self.roles_known(None).into_iter().next()
    }

    /// [`Role::state_on`] of the primary role.
    pub fn state_on(&self, day: Option<NaiveDate>) -> Option<RoleState> {
        self.primary().and_then(|(_, r)| r.state_on(day))
    }

    /// [`Role::diff`] of the primary role.
    pub fn diff(&self, from: NaiveDate, to: NaiveDate) -> Vec<FieldDiff> {
        self.primary().map(|(_, r)| r.diff(from, to)).unwrap_or_default()
    }

    /// Every method change of every described role, with its role stream, in the order they
    /// took effect (ties by log position).
    pub fn method_changes(&self) -> Vec<(&String, &MethodChange)> {
        let mut v: Vec<_> = self
            .roles
            .iter()
            .filter(|(_, r)| r.described.is_some())
            .flat_map(|(k, r)| r.methods.values().map(move |m| (k, m)))
            .collect();
        v.sort_by_key(|(_, m)| (m.effective, m.src));
        v
    }

    /// The method changes that cite a reflection.
    pub fn method_changes_citing(&self, reflection: EventId) -> Vec<(&String, &MethodChange)> {
        self.method_changes().into_iter().filter(|(_, m)| m.reflections.contains(&reflection)).collect()
    }

    /// Where a reflection is, if the log (still) holds it.
    pub fn reflection(&self, id: EventId) -> Option<&ReflectionRef> {
        self.reflections.get(&id)
    }
}
