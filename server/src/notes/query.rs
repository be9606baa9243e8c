//! Finding notes: full-text words (every word must match, the last as a prefix) intersected
//! over the inverted index, then filters on each note's small fields, newest first, paged with
//! a `before` cursor.

use std::borrow::Cow;

use chrono::NaiveDate;
use parlog_core::{HealthDimension, ParticipantId, StreamId};

use super::index::{health_bit, NoteKind, NotesIndex};

/// Which notes a retraction leaves in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Retracted {
    #[default]
    Exclude,
    Include,
    Only,
}

impl Retracted {
    pub const IDS: &'static [&'static str] = &["exclude", "include", "only"];
    pub fn parse(s: &str) -> Option<Retracted> {
        match s {
            "exclude" => Some(Retracted::Exclude),
            "include" => Some(Retracted::Include),
            "only" => Some(Retracted::Only),
            _ => None,
        }
    }
}

/// What to look for. Filters that are `None` (or empty) do not filter.
#[derive(Debug, Clone, Default)]
pub struct NoteQuery {
    /// Folded query words (`text::query_words`); the last one matches as a prefix.
    pub words: Vec<String>,
    /// An area: notes in it and in the areas under it.
    pub area: Option<StreamId>,
    pub initiative: Option<StreamId>,
    pub cycle: Option<StreamId>,
    pub author: Option<ParticipantId>,
    /// A code: notes coded with it, or with a code merged into it (as a whole or in an excerpt).
    pub code: Option<StreamId>,
    pub health: Option<HealthDimension>,
    /// Empty: every kind.
    pub kinds: Vec<NoteKind>,
    /// Inclusive, on the day the note is about (`occurred_at`).
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub retracted: Retracted,
    /// Only notes at positions before this one (the cursor of the next page).
    pub before: Option<u64>,
    /// Notes in the page.
    pub limit: usize,
}

/// A page of notes found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Every note the query matches (whatever the cursor).
    pub total: u64,
    /// The page: doc numbers, newest first.
    pub docs: Vec<u32>,
    /// The cursor of the next page, if there is more.
    pub next_before: Option<u64>,
}

/// The filters, as numbers of the index.
struct Filter {
    kinds: u8,
    author: Option<u32>,
    areas: Option<Vec<u32>>,
    initiative: Option<u32>,
    cycle: Option<u32>,
    /// The code asked for and the codes merged into it.
    codes: Option<Vec<u32>>,
    health: u8,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    retracted: Retracted,
}

/// The notes a word matches: a sorted list, or (for a prefix of many words) a bit per note.
enum Set<'a> {
    List(Cow<'a, [u32]>),
    Bits(Vec<u64>),
}

impl NotesIndex {
    /// The notes `q` finds, as a reader who may (`reads_sealed`) or may not read sealed text:
    /// one who may not is matched on words of open text only.
    pub fn search(&self, q: &NoteQuery, reads_sealed: bool) -> Found {
        let none = Found { total: 0, docs: Vec::new(), next_before: None };
        let Some(filter) = self.filter(q) else { return none };
        let matched: Option<Vec<u32>> = match q.words.is_empty() {
            true => None,
            false => Some(self.matching(&q.words, reads_sealed)),
        };
        let mut total = 0u64;
        let mut docs = Vec::with_capacity(q.limit.min(1_024));
        let mut more = false;
        // Notes before the cursor are those below this doc number (docs are in log order).
        let bound = match q.before {
            Some(b) => self.docs.partition_point(|d| d.position < b) as u32,
            None => u32::MAX,
        };
        let mut visit = |doc: u32| {
            if !self.passes(doc, &filter) {
                return;
            }
            total += 1;
            if doc < bound {
                match docs.len() < q.limit {
                    true => docs.push(doc),
                    false => more = true,
                }
            }
        };
        match &matched {
            Some(list) => list.iter().rev().for_each(|&d| visit(d)),
            None => (0..self.docs.len() as u32).rev().for_each(&mut visit),
        }
        let next_before = match more {
            true => docs.last().map(|&d| self.docs[d as usize].position),
            false => None,
        };
        Found { total, docs, next_before }
    }

    /// The filters in the index's numbers; `None` when one names something the index does not
    /// hold (then nothing matches).
    fn filter(&self, q: &NoteQuery) -> Option<Filter> {
        let stream = |s: &Option<StreamId>| -> Option<Option<u32>> {
            match s {
                None => Some(None),
                Some(s) => self.stream_id(s.as_str()).map(Some),
            }
        };
        let areas = stream(&q.area)?.map(|a| self.areas_under(a));
        let codes = match stream(&q.code)? {
            Some(c) => {
                let survivor = self.resolve_code(c);
                let all = (0..self.stream_count() as u32)
                    .filter(|&x| self.stream_name(x).starts_with("code:") && self.resolve_code(x) == survivor)
                    .collect();
                Some(all)
            }
            None => None,
        };
        let author = match &q.author {
            Some(p) => Some(self.participant_id(p.as_str())?),
            None => None,
        };
        Some(Filter {
            kinds: q.kinds.iter().fold(0, |m, k| m | 1 << *k as u8),
            author,
            areas,
            initiative: stream(&q.initiative)?,
            cycle: stream(&q.cycle)?,
            codes,
            health: q.health.map_or(0, health_bit),
            from: q.from,
            to: q.to,
            retracted: q.retracted,
        })
    }

    fn passes(&self, doc: u32, f: &Filter) -> bool {
        let h = &self.hot[doc as usize];
        let ok = match f.retracted {
            Retracted::Exclude => !h.retracted,
            Retracted::Include => true,
            Retracted::Only => h.retracted,
        };
        ok && (f.kinds == 0 || f.kinds & (1 << h.kind as u8) != 0)
            && f.author.is_none_or(|a| h.author == a)
            && f.initiative.is_none_or(|i| h.initiative == i)
            && f.cycle.is_none_or(|c| h.cycle == c)
            && (f.health == 0 || h.health & f.health != 0)
            && f.from.is_none_or(|from| h.day >= from)
            && f.to.is_none_or(|to| h.day <= to)
            && f.areas.as_ref().is_none_or(|areas| areas.contains(&h.area))
            && f.codes.as_ref().is_none_or(|codes| {
                let d = &self.docs[doc as usize];
                d.codes.iter().any(|c| codes.contains(c))
                    || d.excerpts.iter().any(|&x| self.excerpts[x as usize].codes.iter().any(|c| codes.contains(c)))
            })
    }

    /// The notes (ascending) that have every word, the last one as a prefix.
    fn matching(&self, words: &[String], reads_sealed: bool) -> Vec<u32> {
        let n = self.docs.len();
        let mut lists: Vec<Cow<[u32]>> = Vec::new();
        let mut bits: Vec<Vec<u64>> = Vec::new();
        for (i, w) in words.iter().enumerate() {
            let terms = self.term_ids(w, i + 1 == words.len());
            let mut postings: Vec<&[u32]> = Vec::new();
            for t in terms {
                postings.push(&self.open[t as usize]);
                if reads_sealed {
                    postings.push(&self.sealed[t as usize]);
                }
            }
            postings.retain(|p| !p.is_empty());
            match union(postings, n) {
                Set::List(l) if l.is_empty() => return Vec::new(),
                Set::List(l) => lists.push(l),
                Set::Bits(b) => bits.push(b),
            }
        }
        lists.sort_by_key(|l| l.len());
        let mut acc: Vec<u32> = match lists.split_first() {
            Some((first, rest)) => {
                let mut acc = first.to_vec();
                for l in rest {
                    acc = intersect(&acc, l);
                    if acc.is_empty() {
                        return acc;
                    }
                }
                acc
            }
            None => {
                let Some((first, rest)) = bits.split_first() else { return Vec::new() };
                let mut all = first.clone();
                for b in rest {
                    all.iter_mut().zip(b).for_each(|(x, y)| *x &= y);
                }
                bits.clear();
                ones(&all)
            }
        };
        for b in &bits {
            acc.retain(|&d| b[d as usize / 64] & (1 << (d % 64)) != 0);
        }
        acc
    }
}

/// The union of sorted lists: a list, or a bit set when they are long together (a short prefix
/// matches many words, and sorting their notes would cost more than marking them).
fn union<'a>(lists: Vec<&'a [u32]>, docs: usize) -> Set<'a> {
    match lists.len() {
        0 => return Set::List(Cow::Borrowed(&[])),
        1 => return Set::List(Cow::Borrowed(lists[0])),
        _ => {}
    }
    let total: usize = lists.iter().map(|l| l.len()).sum();
    if total > docs / 32 {
        let mut bits = vec![0u64; docs.div_ceil(64)];
        for l in lists {
            for &d in l {
                bits[d as usize / 64] |= 1 << (d % 64);
            }
        }
        return Set::Bits(bits);
    }
    let mut all: Vec<u32> = Vec::with_capacity(total);
    for l in lists {
        all.extend_from_slice(l);
    }
    all.sort_unstable();
    all.dedup();
    Set::List(Cow::Owned(all))
}

/// The notes of a bit set, ascending.
fn ones(bits: &[u64]) -> Vec<u32> {
    let mut out = Vec::new();
    for (i, &w) in bits.iter().enumerate() {
        let mut w = w;
        while w != 0 {
            let b = w.trailing_zeros();
            out.push(i as u32 * 64 + b);
            w &= w - 1;
        }
    }
    out
}

/// The intersection of two sorted lists; a short one against a long one by searching the
/// long one ahead (galloping), else by walking both.
fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let mut out = Vec::with_capacity(short.len());
    if long.len() / 16 > short.len() {
        let mut rest = long;
        for &x in short {
            let at = rest.partition_point(|&y| y < x);
            rest = &rest[at..];
            match rest.first() {
                None => break,
                Some(&y) if y == x => out.push(x),
                _ => {}
            }
        }
        return out;
    }
    let (mut i, mut j) = (0, 0);
    while i < short.len() && j < long.len() {
        match short[i].cmp(&long[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(short[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intersections() {
        assert_eq!(intersect(&[1, 3, 5, 7], &[3, 4, 5]), [3, 5]);
        let long: Vec<u32> = (0..1000).collect();
        assert_eq!(intersect(&[5, 500, 2000], &long), [5, 500]);
        assert_eq!(ones(&[0b101, 1]), [0, 2, 64]);
    }
}
