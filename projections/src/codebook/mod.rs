//! The codebook of the qualitative analysis: codes with their full history (defined, renamed,
//! merged), coded excerpts per code, memos, and which codes occur together on one source event.
//!
//! Merges are resolved when a view is made: an excerpt coded with a code that was later merged
//! into another counts for the surviving code, as of the view's day.
//!
//! **Memory:** codes, excerpts and memos are rare kinds and are kept per event. Field notes
//! coded as a whole are frequent, so they are only counted: per code and month, and per pair of
//! codes and month. Counts are therefore of applications: a note coded with two codes that were
//! later merged counts twice for the survivor, and a note coded as a whole is not joined with
//! excerpts of the same note in the co-occurrence (the note's codes are not kept per note).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use parlog_core::{DomainEvent, EventId};
use serde::{Deserialize, Serialize};

use crate::fact::{Fact, Src};
use crate::names::{Names, Sym};
use crate::tally::Tally;
use crate::text::month_of;

mod view;

pub use view::Coding;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Codebook {
    /// Per code stream.
    pub codes: BTreeMap<String, Code>,
    /// Every coded excerpt, by position.
    pub excerpts: BTreeMap<u64, Excerpt>,
    /// Every memo, by position.
    pub memos: BTreeMap<u64, Memo>,
    /// Field notes coded as a whole: per code and month, how many. Codes as indexes into
    /// `names`; one look-up per count (see [`Tally`]).
    pub note_codes: Tally<(Sym, NaiveDate)>,
    /// Field notes coded as a whole with two codes `a < b` (by stream): per `a`, `b` and month,
    /// how many.
    pub note_pairs: Tally<(Sym, Sym, NaiveDate)>,
    /// The code streams that whole-note counts name.
    pub names: Names,
    /// Data subjects forgotten so far: codings on their sealed text are dropped, and later ones
    /// are not taken in.
    pub forgotten: BTreeSet<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Code {
    pub base: Option<CodeBase>,
    pub renamed: BTreeMap<u64, Renamed>,
    /// Codes folded into this one.
    pub merged: BTreeMap<u64, Merged>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeBase {
    pub name: String,
    pub description: Option<String>,
    pub src: Src,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Renamed {
    pub name: String,
    pub src: Src,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Merged {
    pub merged: String,
    pub src: Src,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Excerpt {
    pub source: EventId,
    pub codes: Vec<String>,
    pub start: u32,
    pub end: u32,
    /// The coder's participant stream.
    pub by: String,
    pub src: Src,
    /// Whose sealed text it codes ([`Fact::coded_subjects`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Memo {
    pub stream: String,
    pub title: String,
    pub text: String,
    pub codes: Vec<String>,
    /// The notes it is about.
    pub notes: Vec<EventId>,
    /// The cycle it is about.
    pub cycle: Option<String>,
    pub by: String,
    pub src: Src,
}

impl Codebook {
    pub fn add(&mut self, f: &Fact) {
        let key = || f.stream.as_str().to_string();
        let src = f.src();
        let by = || format!("participant:{}", f.author);
        match &f.data {
            DomainEvent::CodeDefined(c) => {
                let description = c.description.as_ref().map(|d| d.to_string());
                self.codes.entry(key()).or_default().base =
                    Some(CodeBase { name: c.name.to_string(), description, src });
            }
            DomainEvent::CodeRenamed(c) => {
                self.codes
                    .entry(key())
                    .or_default()
                    .renamed
                    .insert(f.position, Renamed { name: c.name.to_string(), src });
            }
            DomainEvent::CodesMerged(c) => {
                self.codes
                    .entry(key())
                    .or_default()
                    .merged
                    .insert(f.position, Merged { merged: c.merged.to_string(), src });
            }
            DomainEvent::ExcerptCoded(e) => {
                if f.coded_subjects.iter().any(|s| self.forgotten.contains(s)) {
                    return;
                }
                let codes = e.codes.iter().map(|c| c.to_string()).collect();
                let subjects = f.coded_subjects.clone();
                let excerpt = Excerpt { source: e.source, codes, start: e.start, end: e.end, by: by(), src, subjects };
                self.excerpts.insert(f.position, excerpt);
            }
            DomainEvent::SubjectForgotten(s) => {
                let subject = s.subject.to_string();
                self.excerpts.retain(|_, x| !x.subjects.contains(&subject));
                self.forgotten.insert(subject);
            }
            DomainEvent::MemoWritten(m) => {
                let codes = m.codes.iter().map(|c| c.to_string()).collect();
                let memo = Memo {
                    stream: key(),
                    title: m.title.to_string(),
                    text: m.text.to_string(),
                    codes,
                    notes: m.notes.0.clone(),
                    cycle: m.cycle.as_ref().map(|c| c.to_string()),
                    by: by(),
                    src,
                };
                self.memos.insert(f.position, memo);
            }
            DomainEvent::ObservationRecorded(o) if !o.codes.is_empty() => self.count_note(&o.codes.0, f.date(), true),
            _ => {}
        }
    }

    pub fn remove(&mut self, f: &Fact) {
        let key = f.stream.as_str();
        match &f.data {
            DomainEvent::CodeDefined(_) => {
                if let Some(c) = self.codes.get_mut(key) {
                    c.base = None;
                }
            }
            DomainEvent::CodeRenamed(_) => {
                if let Some(c) = self.codes.get_mut(key) {
                    c.renamed.remove(&f.position);
                }
            }
            DomainEvent::CodesMerged(_) => {
                if let Some(c) = self.codes.get_mut(key) {
                    c.merged.remove(&f.position);
                }
            }
            DomainEvent::ExcerptCoded(_) => drop(self.excerpts.remove(&f.position)),
            DomainEvent::MemoWritten(_) => drop(self.memos.remove(&f.position)),
            DomainEvent::ObservationRecorded(o) if !o.codes.is_empty() => self.count_note(&o.codes.0, f.date(), false),
            _ => {}
        }
    }

    /// Counts (or uncounts) a field note coded as a whole. Keys are copied only when new.
    fn count_note(&mut self, codes: &[parlog_core::StreamId], day: NaiveDate, up: bool) {
        let m = month_of(day);
        // Sorted by stream, so that a pair is counted under `a < b` whatever the note's order.
        let set: BTreeSet<&str> = codes.iter().map(|c| c.as_str()).collect();
        let syms: Vec<Sym> = set.iter().map(|c| self.names.sym(c)).collect();
        for (i, a) in syms.iter().enumerate() {
            self.note_codes.bump((*a, m), up);
            for b in &syms[i + 1..] {
                self.note_pairs.bump((*a, *b, m), up);
            }
        }
    }
}
