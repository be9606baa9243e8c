//! The names of things: studies, participants and areas, as the log defines them. Every other
//! view takes names from here, never from code.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use parlog_core::{AreaKind, DomainEvent, Level, ParticipantRole, Recruitment};
use serde::{Deserialize, Serialize};

use crate::fact::{Fact, Src};

mod view;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Directory {
    pub studies: BTreeMap<String, Study>,
    pub participants: BTreeMap<String, Participant>,
    pub areas: BTreeMap<String, Area>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Study {
    pub title: String,
    pub question: String,
    pub municipality: String,
    pub partners: Vec<String>,
    pub levels: Vec<Level>,
    pub method: Option<String>,
    pub src: Src,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Participant {
    pub base: Option<ParticipantBase>,
    pub role_changes: BTreeMap<u64, RoleChange>,
    pub left: BTreeMap<u64, Left>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParticipantBase {
    pub label: String,
    pub role: ParticipantRole,
    pub organisation: Option<String>,
    pub area: Option<String>,
    pub recruitment: Option<Recruitment>,
    pub src: Src,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleChange {
    pub role: ParticipantRole,
    pub area: Option<String>,
    pub reason: Option<String>,
    pub src: Src,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Left {
    pub reason: Option<String>,
    pub src: Src,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Area {
    pub name: String,
    pub kind: AreaKind,
    pub parent: Option<String>,
    pub src: Src,
}

impl Participant {
    /// The role on a day: the last change on or before it, else the registered role.
    pub fn role_on(&self, day: Option<NaiveDate>) -> Option<ParticipantRole> {
        let base = self.base.as_ref()?;
        let changed = self
            .role_changes
            .values()
            .filter(|c| day.is_none_or(|d| c.src.date <= d))
            .max_by_key(|c| (c.src.date, c.src.position));
        Some(changed.map(|c| c.role).unwrap_or(base.role))
    }
    pub fn area_on(&self, day: Option<NaiveDate>) -> Option<&str> {
        let base = self.base.as_ref()?;
        let changed = self
            .role_changes
            .values()
            .filter(|c| c.area.is_some() && day.is_none_or(|d| c.src.date <= d))
            .max_by_key(|c| (c.src.date, c.src.position));
        changed.and_then(|c| c.area.as_deref()).or(base.area.as_deref())
    }
    pub fn left_on(&self, day: Option<NaiveDate>) -> Option<&Left> {
        self.left.values().filter(|l| day.is_none_or(|d| l.src.date <= d)).min_by_key(|l| l.src)
    }
    /// Whether this participant is a community broker (makelaar or city-wide coach) on a day.
    pub fn is_broker_on(&self, day: Option<NaiveDate>) -> bool {
        matches!(self.role_on(day), Some(ParticipantRole::Makelaar | ParticipantRole::CityCoach))
    }
}

impl Directory {
    pub fn add(&mut self, f: &Fact) {
        let key = || f.stream.as_str().to_string();
        match &f.data {
            DomainEvent::StudyStarted(s) => {
                self.studies.insert(
                    key(),
                    Study {
                        title: s.title.to_string(),
                        question: s.question.to_string(),
                        municipality: s.municipality.to_string(),
                        partners: s.partners.iter().map(|p| p.to_string()).collect(),
                        levels: s.levels.0.clone(),
                        method: s.method.as_ref().map(|m| m.to_string()),
                        src: f.src(),
                    },
                );
            }
            DomainEvent::ParticipantRegistered(p) => {
                self.participants.entry(key()).or_default().base = Some(ParticipantBase {
                    label: p.label.to_string(),
                    role: p.role,
                    organisation: p.organisation.as_ref().map(|o| o.to_string()),
                    area: p.area.as_ref().map(|a| a.to_string()),
                    recruitment: p.recruitment,
                    src: f.src(),
                });
            }
            DomainEvent::ParticipantRoleChanged(c) => {
                self.participants.entry(key()).or_default().role_changes.insert(
                    f.position,
                    RoleChange {
                        role: c.role,
                        area: c.area.as_ref().map(|a| a.to_string()),
                        reason: c.reason.as_ref().map(|r| r.to_string()),
                        src: f.src(),
                    },
                );
            }
            DomainEvent::ParticipantLeft(l) => {
                self.participants
                    .entry(key())
                    .or_default()
                    .left
                    .insert(f.position, Left { reason: l.reason.as_ref().map(|r| r.to_string()), src: f.src() });
            }
            DomainEvent::AreaDefined(a) => {
                self.areas.insert(
                    key(),
                    Area {
                        name: a.name.to_string(),
                        kind: a.kind,
                        parent: a.parent.as_ref().map(|p| p.to_string()),
                        src: f.src(),
                    },
                );
            }
            _ => {}
        }
    }

    pub fn remove(&mut self, f: &Fact) {
        let key = f.stream.as_str();
        match &f.data {
            DomainEvent::StudyStarted(_) => {
                self.studies.remove(key);
            }
            DomainEvent::ParticipantRegistered(_) => {
                if let Some(p) = self.participants.get_mut(key) {
                    p.base = None;
                }
            }
            DomainEvent::ParticipantRoleChanged(_) => {
                if let Some(p) = self.participants.get_mut(key) {
                    p.role_changes.remove(&f.position);
                }
            }
            DomainEvent::ParticipantLeft(_) => {
                if let Some(p) = self.participants.get_mut(key) {
                    p.left.remove(&f.position);
                }
            }
            DomainEvent::AreaDefined(_) => {
                self.areas.remove(key);
            }
            _ => {}
        }
    }

    /// The first study in the log (a log normally holds one).
    pub fn study(&self) -> Option<(&String, &Study)> {
        self.studies.iter().min_by_key(|(_, s)| s.src)
    }

    /// A participant's display label; the stream name if the log does not (or no longer) say.
    pub fn who(&self, stream: &str) -> String {
        match self.participants.get(stream).and_then(|p| p.base.as_ref()) {
            Some(b) => b.label.clone(),
            None => stream.split_once(':').map(|(_, n)| n).unwrap_or(stream).to_string(),
        }
    }

    /// Same for an author, who is named by participant id rather than stream.
    pub fn author(&self, participant_id: &str) -> String {
        self.who(&format!("participant:{participant_id}"))
    }

    pub fn area_name(&self, stream: &str) -> String {
        match self.areas.get(stream) {
            Some(a) => a.name.clone(),
            None => stream.split_once(':').map(|(_, n)| n).unwrap_or(stream).to_string(),
        }
    }
}
