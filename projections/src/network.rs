//! The social map ("sociale kaart"): who was connected to whom, by whom, through which
//! initiative. Nodes and their roles come from the directory; initiators of an initiative count
//! as linked to it.
//!
//! State is one record per `ConnectionMade` (a rare kind), keyed by position.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use parlog_core::{DomainEvent, ParticipantRole, Vocabulary};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::directory::Directory;
use crate::fact::{Fact, Src};
use crate::text::{src_refs, tr};
use crate::{Projections, ViewOptions};

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

    /// Whether a participant with this role is linked to an initiative on a day.
    pub fn has_linked_role(
        &self,
        p: &Projections,
        initiative: &str,
        role: ParticipantRole,
        day: Option<NaiveDate>,
    ) -> bool {
        let linked = self.linked(p, day);
        linked.get(initiative).is_some_and(|v| {
            v.iter().any(|l| p.directory.participants.get(&l.participant).and_then(|x| x.role_on(day)) == Some(role))
        })
    }

    /// Edges: per unordered pair of participants (sorted), the connections between them.
    fn edges<'a>(
        &'a self,
        dir: &'a Directory,
        day: Option<NaiveDate>,
    ) -> BTreeMap<(&'a str, &'a str), Vec<&'a Connection>> {
        let mut out: BTreeMap<(&str, &str), Vec<&Connection>> = BTreeMap::new();
        for c in self.on(dir, day) {
            let (a, b) =
                if c.from <= c.to { (c.from.as_str(), c.to.as_str()) } else { (c.to.as_str(), c.from.as_str()) };
            out.entry((a, b)).or_default().push(c);
        }
        out
    }

    pub fn view(&self, p: &Projections, o: &ViewOptions) -> Value {
        let (dir, ini, lang, day) = (&p.directory, &p.initiatives, o.lang, o.day);
        let edges = self.edges(dir, day);
        let mut degree: BTreeMap<&str, u64> = BTreeMap::new();
        for (a, b) in edges.keys() {
            *degree.entry(a).or_default() += 1;
            *degree.entry(b).or_default() += 1;
        }
        let nodes: Vec<Value> = dir
            .participants
            .iter()
            .filter(|(id, _)| known(dir, id, day))
            .map(|(id, part)| {
                let role = part.role_on(day);
                json!({
                    "id": id, "label": dir.who(id),
                    "role": role, "role_label": role.map(|r| r.label(lang)),
                    "area": part.area_on(day), "area_name": part.area_on(day).map(|a| dir.area_name(a)),
                    "left": part.left_on(day).map(|l| l.src.date),
                    "degree": degree.get(id.as_str()).copied().unwrap_or(0),
                })
            })
            .collect();
        let edges_json: Vec<Value> = edges
            .iter()
            .map(|((a, b), cs)| {
                let inis: BTreeSet<&str> = cs.iter().filter_map(|c| c.initiative.as_deref()).collect();
                json!({
                    "a": a, "a_label": dir.who(a), "b": b, "b_label": dir.who(b),
                    "count": cs.len(),
                    "initiatives": inis.iter().map(|i| json!({"id": i, "name": ini.name(i)})).collect::<Vec<_>>(),
                    "connections": cs.iter().map(|c| json!({
                        "from": c.from, "to": c.to, "by": c.by, "by_label": dir.who(&c.by),
                        "initiative": c.initiative, "initiative_name": c.initiative.as_ref().map(|i| ini.name(i)),
                        "note": c.note, "src": c.src,
                    })).collect::<Vec<_>>(),
                    "sources": cs.iter().map(|c| c.src).collect::<Vec<_>>(),
                })
            })
            .collect();
        let initiatives: Vec<Value> = self
            .linked(p, day)
            .iter()
            .map(|(i, v)| {
                json!({
                    "initiative": i, "name": ini.name(i),
                    "participants": v.iter().map(|l| {
                        let role = dir.participants.get(&l.participant).and_then(|x| x.role_on(day));
                        json!({
                            "id": l.participant, "label": dir.who(&l.participant),
                            "role": role, "role_label": role.map(|r| r.label(lang)),
                            "links": l.links, "links_label": l.links.iter().map(|k| k.label(lang)).collect::<Vec<_>>(),
                            "sources": l.sources,
                        })
                    }).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({ "nodes": nodes, "edges": edges_json, "initiatives": initiatives })
    }

    pub fn text(&self, p: &Projections, o: &ViewOptions) -> String {
        let (dir, ini, lang, day) = (&p.directory, &p.initiatives, o.lang, o.day);
        let edges = self.edges(dir, day);
        let mut out = String::new();
        if edges.is_empty() {
            out += tr(lang, "Geen verbindingen.\n", "No connections.\n");
        } else {
            out += tr(lang, "Verbindingen:\n", "Connections:\n");
        }
        for ((a, b), cs) in &edges {
            let inis: BTreeSet<String> =
                cs.iter().filter_map(|c| c.initiative.as_deref()).map(|i| ini.name(i)).collect();
            let via = if inis.is_empty() {
                String::new()
            } else {
                format!(" ({} {})", tr(lang, "via", "through"), inis.into_iter().collect::<Vec<_>>().join(", "))
            };
            let srcs = src_refs(cs.iter().map(|c| &c.src));
            out += &format!("  {} — {}{via} {srcs}\n", dir.who(a), dir.who(b));
        }
        let linked = self.linked(p, day);
        if !linked.is_empty() {
            out += tr(lang, "Per initiatief:\n", "Per initiative:\n");
        }
        for (i, v) in &linked {
            let who: Vec<String> = v
                .iter()
                .map(|l| {
                    let role = dir.participants.get(&l.participant).and_then(|x| x.role_on(day));
                    match role {
                        Some(r) => format!("{} ({})", dir.who(&l.participant), r.label(lang)),
                        None => dir.who(&l.participant),
                    }
                })
                .collect();
            out += &format!("  {}: {}\n", ini.name(i), who.join(", "));
        }
        out
    }
}
