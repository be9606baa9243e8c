//! The views of the social map: nodes, edges and who is linked to each initiative, as JSON and as
//! text.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde_json::{json, Value};

use super::{known, Connection, Network};
use crate::directory::Directory;
use crate::text::{src_refs, tr};
use crate::{Projections, RoleWord, ViewOptions};

impl Network {
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
        let role_word = RoleWord::of(p, day);
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
                    "role": role, "role_label": role.map(|r| role_word.participant_role(r, lang)),
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
                            "role": role, "role_label": role.map(|r| role_word.participant_role(r, lang)),
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
        let role_word = RoleWord::of(p, day);
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
            let srcs = src_refs(cs.iter().map(|c| &c.src), lang);
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
                        Some(r) => format!("{} ({})", dir.who(&l.participant), role_word.participant_role(r, lang)),
                        None => dir.who(&l.participant),
                    }
                })
                .collect();
            out += &format!("  {}: {}\n", ini.name(i), who.join(", "));
        }
        out
    }
}
