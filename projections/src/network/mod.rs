//! The social map ("sociale kaart"): who was connected to whom, by whom, through which
//! initiative. Nodes and their roles come from the directory; initiators of an initiative count
//! as linked to it.
//!
//! State is one record per `ConnectionMade` (a rare kind), keyed by position.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use parlog_core::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::directory::Directory;
use crate::fact::{Fact, Src};
use crate::text::tr;
use crate::Projections;

mod view;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Network {
    /// Every connection, by position.
    pub connections: BTreeMap<u64, Connection>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub from: String,
    pub to: String,
    pub initiative: Option<String>,
    pub note: Option<String>,
    /// Who made it: the author's participant stream (`participant:<author>`).
    pub by: String,
    pub src: Src,
}

/// How a participant is linked to an initiative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Link {
    /// Named among the initiators when it started.
    Initiator,
    /// One end of a connection made through the initiative.
    Connection,
}

impl Link {
    pub fn label(self, lang: parlog_core::Lang) -> &'static str {
        match self {
            Link::Initiator => tr(lang, "initiatiefnemer", "initiator"),
            Link::Connection => tr(lang, "verbinding", "connection"),
        }
    }
}

/// A participant linked to an initiative, with how and on what sources.
#[derive(Debug, Clone, PartialEq)]
pub struct Linked {
    pub participant: String,
    pub links: BTreeSet<Link>,
    pub sources: Vec<Src>,
}

fn known(dir: &Directory, stream: &str, day: Option<NaiveDate>) -> bool {
    dir.participants.get(stream).and_then(|p| p.base.as_ref()).is_some_and(|b| day.is_none_or(|d| b.src.date <= d))
}

impl Network {
    pub fn add(&mut self, f: &Fact) {
        if let DomainEvent::ConnectionMade(c) = &f.data {
            let connection = Connection {
                from: c.from.to_string(),
                to: c.to.to_string(),
                initiative: c.initiative.as_ref().map(|i| i.to_string()),
                note: c.note.as_ref().map(|n| n.to_string()),
                by: format!("participant:{}", f.author),
                src: f.src(),
            };
            self.connections.insert(f.position, connection);
        }
    }

    pub fn remove(&mut self, f: &Fact) {
        if let DomainEvent::ConnectionMade(_) = &f.data {
            self.connections.remove(&f.position);
        }
    }

    /// Connections on or before a day between participants the directory knows, oldest first.
    pub fn on<'a>(&'a self, dir: &'a Directory, day: Option<NaiveDate>) -> impl Iterator<Item = &'a Connection> + 'a {
        let mut v: Vec<&Connection> = self
            .connections
            .values()
            .filter(move |c| day.is_none_or(|d| c.src.date <= d))
            .filter(move |c| known(dir, &c.from, day) && known(dir, &c.to, day))
            .collect();
        v.sort_by_key(|c| c.src);
        v.into_iter()
    }

    /// Per initiative that exists on the day: the participants linked to it, by stream.
    pub fn linked(&self, p: &Projections, day: Option<NaiveDate>) -> BTreeMap<String, Vec<Linked>> {
        let dir = &p.directory;
        let mut out: BTreeMap<String, BTreeMap<String, Linked>> = BTreeMap::new();
        let mut link = |ini: &str, who: &str, how: Link, src: Src| {
            let l = out.entry(ini.to_string()).or_default().entry(who.to_string()).or_insert_with(|| Linked {
                participant: who.to_string(),
                links: BTreeSet::new(),
                sources: Vec::new(),
            });
            l.links.insert(how);
            l.sources.push(src);
        };
        for (stream, i) in &p.initiatives.items {
            let Some(base) = i.base.as_ref().filter(|_| i.exists_on(day)) else { continue };
            for who in base.initiators.iter().filter(|w| known(dir, w, day)) {
                link(stream, who, Link::Initiator, base.src);
            }
        }
        for c in self.on(dir, day) {
            let Some(ini) = &c.initiative else { continue };
            if !p.initiatives.items.get(ini).is_some_and(|i| i.exists_on(day)) {
                continue;
            }
            link(ini, &c.from, Link::Connection, c.src);
            link(ini, &c.to, Link::Connection, c.src);
        }
        out.into_iter()
            .map(|(ini, m)| {
                let mut v: Vec<Linked> = m.into_values().collect();
                for l in &mut v {
                    l.sources.sort();
                    l.sources.dedup();
                }
                (ini, v)
            })
            .collect()
    }
}
