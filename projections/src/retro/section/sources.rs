//! "Sources": every event a statement of the report cites, by position, with what it is (read
//! through the [`Source`], so that the report needs no store).

use std::collections::BTreeSet;

use parlog_core::{Lang, Position};

use crate::directory::Directory;
use crate::retro::doc::{Block, Section, SourceInfo};
use crate::source::Source;
use crate::text::tr;
use crate::RoleWord;

/// The positions the statements of `sections` cite, in order.
pub(crate) fn cited(sections: &[Section]) -> BTreeSet<u64> {
    let mut out = BTreeSet::new();
    for s in sections {
        collect(s, &mut out);
    }
    out
}

fn collect(s: &Section, out: &mut BTreeSet<u64>) {
    for b in &s.blocks {
        match b {
            Block::Para(st) => out.extend(st.srcs.iter().map(|r| r.position)),
            Block::List(items) => out.extend(items.iter().flat_map(|st| st.srcs.iter().map(|r| r.position))),
            _ => {}
        }
    }
    for sub in &s.subsections {
        collect(sub, out);
    }
}

/// What the list of sources says about the event at `position`, read from `source`, naming the
/// role in the study's words (`role`). `None` if it cannot be read: the list then leaves it out, as
/// a report must render whatever the log holds.
pub fn source_info<S: Source + ?Sized>(
    source: &S,
    dir: &Directory,
    role: &RoleWord,
    lang: Lang,
    position: u64,
) -> Option<SourceInfo> {
    let e = source.at(Position(position)).ok()??;
    Some(SourceInfo {
        position,
        date: e.occurred_at.date(),
        kind: role.event_kind(e.kind, lang),
        stream: e.stream.to_string(),
        author: dir.author(e.author.as_str()),
        facts: open_facts(&e.payload, dir, lang),
    })
}

/// The topic and area of the event, from its open payload (the sealed part is never read here):
/// what a reader of the list of sources needs to tell one field note from another.
fn open_facts(payload: &str, dir: &Directory, lang: Lang) -> Vec<(String, String)> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(payload) else { return Vec::new() };
    let mut out = Vec::new();
    if let Some(topic) = v.get("topic").and_then(|t| t.as_str()) {
        out.push((tr(lang, "onderwerp", "topic").to_string(), topic.to_string()));
    }
    if let Some(area) = v.get("area").and_then(|a| a.as_str()) {
        out.push((tr(lang, "gebied", "area").to_string(), dir.area_name(area)));
    }
    out
}
