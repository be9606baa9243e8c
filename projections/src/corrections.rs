//! Amendments and retractions: which events were corrected, how, and why. The engine uses it to
//! hand projections the latest version of an event; views use it to show history.

use std::collections::BTreeMap;

use parlog_core::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::fact::Src;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Corrections {
    /// Per corrected event (by position): its amendments in order.
    pub amended: BTreeMap<u64, Vec<Amendment>>,
    pub retracted: BTreeMap<u64, Retraction>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Amendment {
    /// The payload as amended, canonical JSON of the target's kind.
    pub payload: String,
    pub reason: String,
    pub src: Src,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Retraction {
    pub reason: String,
    pub src: Src,
}

impl Corrections {
    pub fn latest_payload(&self, target: u64) -> Option<&str> {
        self.amended.get(&target).and_then(|v| v.last()).map(|a| a.payload.as_str())
    }
    pub fn revision(&self, target: u64) -> u32 {
        self.amended.get(&target).map(|v| v.len() as u32).unwrap_or(0)
    }
    pub fn is_retracted(&self, target: u64) -> bool {
        self.retracted.contains_key(&target)
    }
    pub(crate) fn amend(&mut self, target: u64, data: &DomainEvent, reason: String, src: Src) {
        self.amended.entry(target).or_default().push(Amendment { payload: data.to_json(), reason, src });
    }
    pub(crate) fn retract(&mut self, target: u64, reason: String, src: Src) {
        self.retracted.insert(target, Retraction { reason, src });
    }
}
