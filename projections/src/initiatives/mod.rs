//! Initiatives: route, area, initiators, stages, the broker's role over time, Positive Health,
//! hand-over or stop.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use parlog_core::{BrokerRole, DomainEvent, EventId, HealthDimension, InitiativeStage, Lang, Route};
use serde::{Deserialize, Serialize};

use crate::fact::{Fact, Src};
use crate::keyed::Keyed;
use crate::text::tr;

mod view;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Initiatives {
    pub items: Keyed<Initiative>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Initiative {
    pub base: Option<Base>,
    pub stages: BTreeMap<u64, Stage>,
    pub broker: BTreeMap<u64, Broker>,
    pub handed_over: BTreeMap<u64, HandOver>,
    pub stopped: BTreeMap<u64, Stopped>,
    pub collectivised: BTreeMap<u64, Collectivised>,
    /// Field notes about the initiative, per month.
    pub notes_per_month: BTreeMap<NaiveDate, u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Base {
    pub name: String,
    pub route: Route,
    pub area: String,
    pub description: String,
    pub initiators: Vec<String>,
    pub health: Vec<HealthDimension>,
    pub src: Src,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    pub stage: InitiativeStage,
    pub note: Option<String>,
    pub src: Src,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Broker {
    pub broker: String,
    pub role: BrokerRole,
    pub leads: bool,
    pub note: Option<String>,
    pub src: Src,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandOver {
    pub organisation: String,
    pub note: Option<String>,
    pub src: Src,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stopped {
    pub reason: String,
    pub src: Src,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collectivised {
    pub signals: Vec<EventId>,
    pub rationale: String,
    pub src: Src,
}

/// Where an initiative stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Active,
    HandedOver,
    Stopped,
}

impl Status {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Status::Active => tr(lang, "actief", "active"),
            Status::HandedOver => tr(lang, "overgedragen", "handed over"),
            Status::Stopped => tr(lang, "gestopt", "stopped"),
        }
    }
}

fn upto<T>(m: &BTreeMap<u64, T>, day: Option<NaiveDate>, src: impl Fn(&T) -> Src) -> impl Iterator<Item = &T> {
    let mut v: Vec<&T> = m.values().filter(|x| day.is_none_or(|d| src(x).date <= d)).collect();
    v.sort_by_key(|x| src(x));
    v.into_iter()
}

impl Initiative {
    pub fn status_on(&self, day: Option<NaiveDate>) -> Status {
        let by = |src: Src| day.is_none_or(|d| src.date <= d);
        if self.stopped.values().any(|s| by(s.src)) {
            Status::Stopped
        } else if self.handed_over.values().any(|h| by(h.src)) {
            Status::HandedOver
        } else {
            Status::Active
        }
    }
    pub fn stage_on(&self, day: Option<NaiveDate>) -> Option<&Stage> {
        upto(&self.stages, day, |s| s.src).last()
    }
    /// One broker's latest role on a day (what [`Initiative::brokers_on`] holds for them).
    pub fn broker_on(&self, broker: &str, day: Option<NaiveDate>) -> Option<&Broker> {
        self.broker.values().filter(|b| b.broker == broker && day.is_none_or(|d| b.src.date <= d)).max_by_key(|b| b.src)
    }
    /// The broker's latest role per broker on a day.
    pub fn brokers_on(&self, day: Option<NaiveDate>) -> BTreeMap<&str, &Broker> {
        let mut out = BTreeMap::new();
        for b in upto(&self.broker, day, |b| b.src) {
            out.insert(b.broker.as_str(), b);
        }
        out
    }
    pub fn started(&self) -> Option<Src> {
        self.base.as_ref().map(|b| b.src)
    }
    pub fn exists_on(&self, day: Option<NaiveDate>) -> bool {
        self.base.as_ref().is_some_and(|b| day.is_none_or(|d| b.src.date <= d))
    }
}

impl Initiatives {
    pub fn add(&mut self, f: &Fact) {
        let src = f.src();
        match &f.data {
            DomainEvent::InitiativeStarted(s) => {
                self.items.or_default(f.stream.as_str()).base = Some(Base {
                    name: s.name.to_string(),
                    route: s.route,
                    area: s.area.to_string(),
                    description: s.description.to_string(),
                    initiators: s.initiators.iter().map(|i| i.to_string()).collect(),
                    health: s.health.0.clone(),
                    src,
                });
            }
            DomainEvent::InitiativeStageChanged(s) => {
                let note = s.note.as_ref().map(|n| n.to_string());
                self.items.or_default(f.stream.as_str()).stages.insert(f.position, Stage { stage: s.stage, note, src });
            }
            DomainEvent::BrokerRoleSet(b) => {
                self.items.or_default(f.stream.as_str()).broker.insert(
                    f.position,
                    Broker {
                        broker: b.broker.to_string(),
                        role: b.role,
                        leads: b.broker_leads,
                        note: b.note.as_ref().map(|n| n.to_string()),
                        src,
                    },
                );
            }
            DomainEvent::InitiativeHandedOver(h) => {
                let note = h.note.as_ref().map(|n| n.to_string());
                let organisation = h.organisation.to_string();
                self.items
                    .or_default(f.stream.as_str())
                    .handed_over
                    .insert(f.position, HandOver { organisation, note, src });
            }
            DomainEvent::InitiativeStopped(s) => {
                self.items
                    .or_default(f.stream.as_str())
                    .stopped
                    .insert(f.position, Stopped { reason: s.reason.to_string(), src });
            }
            DomainEvent::SignalsCollectivised(c) => {
                self.items.or_default(f.stream.as_str()).collectivised.insert(
                    f.position,
                    Collectivised { signals: c.signals.0.clone(), rationale: c.rationale.to_string(), src },
                );
            }
            DomainEvent::ObservationRecorded(o) => {
                if let Some(i) = &o.initiative {
                    *self
                        .items
                        .or_default(i.as_str())
                        .notes_per_month
                        .entry(crate::text::month_of(src.date))
                        .or_default() += 1;
                }
            }
            _ => {}
        }
    }

    pub fn remove(&mut self, f: &Fact) {
        let key = f.stream.as_str();
        let pos = f.position;
        let item = match &f.data {
            DomainEvent::ObservationRecorded(o) => o.initiative.as_ref().map(|i| i.as_str()),
            _ => Some(key),
        };
        let Some(item) = item.and_then(|k| self.items.get_mut(k)) else { return };
        match &f.data {
            DomainEvent::InitiativeStarted(_) => item.base = None,
            DomainEvent::InitiativeStageChanged(_) => drop(item.stages.remove(&pos)),
            DomainEvent::BrokerRoleSet(_) => drop(item.broker.remove(&pos)),
            DomainEvent::InitiativeHandedOver(_) => drop(item.handed_over.remove(&pos)),
            DomainEvent::InitiativeStopped(_) => drop(item.stopped.remove(&pos)),
            DomainEvent::SignalsCollectivised(_) => drop(item.collectivised.remove(&pos)),
            DomainEvent::ObservationRecorded(_) => {
                let m = crate::text::month_of(f.date());
                if let Some(n) = item.notes_per_month.get_mut(&m) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        item.notes_per_month.remove(&m);
                    }
                }
            }
            _ => {}
        }
    }

    /// Initiatives that exist on a day, oldest first.
    pub fn on(&self, day: Option<NaiveDate>) -> Vec<(&String, &Initiative)> {
        let mut v: Vec<_> = self.items.iter().filter(|(_, i)| i.exists_on(day)).collect();
        v.sort_by_key(|(_, i)| i.started());
        v
    }

    pub fn name(&self, stream: &str) -> String {
        match self.items.get(stream).and_then(|i| i.base.as_ref()) {
            Some(b) => b.name.clone(),
            None => stream.split_once(':').map(|(_, n)| n).unwrap_or(stream).to_string(),
        }
    }
}
