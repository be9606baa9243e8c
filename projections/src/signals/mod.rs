//! Signals: questions in the social team per area and theme over time (counts only, never
//! names), and which of them were collectivised into which initiative.
//!
//! State is one record per `SignalRaised` (a rare kind) keyed by position, plus the event id of
//! each so that a `SignalsCollectivised` (kept by the initiatives projection, which owns the
//! initiative streams) can be resolved to theme, area and count.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use parlog_core::{DomainEvent, EventId};
use serde::{Deserialize, Serialize};

use crate::fact::{Fact, Src};
use crate::keyed::Lookup;

mod view;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Signals {
    /// Every signal, by position.
    pub raised: BTreeMap<u64, Signal>,
    /// Event id to position, to resolve the ids a collectivisation lists.
    pub by_id: Lookup<EventId, u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub id: EventId,
    pub theme: String,
    pub area: String,
    pub count: u32,
    pub src: Src,
}

impl Signals {
    pub fn add(&mut self, f: &Fact) {
        if let DomainEvent::SignalRaised(s) = &f.data {
            let signal =
                Signal { id: f.id, theme: s.theme.to_string(), area: s.area.to_string(), count: s.count, src: f.src() };
            self.raised.insert(f.position, signal);
            self.by_id.insert(f.id, f.position);
        }
    }

    pub fn remove(&mut self, f: &Fact) {
        if let DomainEvent::SignalRaised(_) = &f.data {
            self.raised.remove(&f.position);
            self.by_id.remove(&f.id);
        }
    }

    /// The signal an event id names, if the log (still) holds it.
    pub fn get(&self, id: &EventId) -> Option<&Signal> {
        self.by_id.get(id).and_then(|p| self.raised.get(p))
    }

    /// The source of a signal an event id names, if the log (still) holds it.
    pub fn src_of(&self, id: EventId) -> Option<Src> {
        self.get(&id).map(|s| s.src)
    }

    /// Signals that happened on or before a day, oldest first.
    pub fn on(&self, day: Option<NaiveDate>) -> Vec<&Signal> {
        let mut v: Vec<&Signal> = self.raised.values().filter(|s| day.is_none_or(|d| s.src.date <= d)).collect();
        v.sort_by_key(|s| s.src);
        v
    }
}
