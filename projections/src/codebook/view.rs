//! The views of the codebook: codes with their history, excerpts, memos and co-occurrence on the
//! view's day, as JSON and as text.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use parlog_core::{EventId, Lang};
use serde::Serialize;
use serde_json::{json, Value};

use super::{Code, Codebook, Excerpt};
use crate::fact::Src;
use crate::text::{count, fmt_day, src_ref, tr};
use crate::{Projections, ViewOptions};

/// One coded stretch as the agreement sees it: the note, who coded it, the surviving code (merges
/// followed as of the day) and the code points it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coding {
    pub note: EventId,
    /// The coder's participant stream (`participant:<id>`).
    pub coder: String,
    pub code: String,
    pub code_name: String,
    pub start: u32,
    pub end: u32,
}

impl Codebook {
    /// Every coded excerpt on a day, one [`Coding`] per surviving code, in log order.
    pub fn codings(&self, day: Option<NaiveDate>) -> Vec<Coding> {
        let book = Book::new(self, day);
        let mut out = Vec::new();
        for e in book.excerpts() {
            for code in book.resolve(&e.codes) {
                out.push(Coding {
                    note: e.source,
                    coder: e.by.clone(),
                    code: code.to_string(),
                    code_name: book.name(code),
                    start: e.start,
                    end: e.end,
                });
            }
        }
        out
    }

    /// A code's history on a day, oldest first: (step, name or other code, source).
    fn history<'a>(&'a self, book: &Book<'a>, stream: &'a str) -> Vec<(Step, String, Option<&'a str>, Src)> {
        let mut out = Vec::new();
        let Some(c) = self.codes.get(stream) else { return out };
        if let Some(b) = &c.base {
            out.push((Step::Defined, b.name.clone(), None, b.src));
        }
        for r in upto(&c.renamed, book.day, |r| r.src) {
            out.push((Step::Renamed, r.name.clone(), None, r.src));
        }
        for m in upto(&c.merged, book.day, |m| m.src) {
            out.push((Step::Absorbed, book.name(&m.merged), Some(m.merged.as_str()), m.src));
        }
        if let Some((to, src)) = book.into.get(stream) {
            out.push((Step::MergedInto, book.name(to), Some(*to), *src));
        }
        out.sort_by_key(|(_, _, _, src)| *src);
        out
    }

    pub fn view(&self, p: &Projections, o: &ViewOptions) -> Value {
        let (dir, lang) = (&p.directory, o.lang);
        let book = Book::new(self, o.day);
        let excerpts = book.excerpts();
        let notes = book.note_counts();
        let mut per_code: BTreeMap<&str, Vec<&Excerpt>> = BTreeMap::new();
        for e in &excerpts {
            for c in book.resolve(&e.codes) {
                per_code.entry(c).or_default().push(e);
            }
        }
        let codes: Vec<Value> = self
            .codes
            .iter()
            .filter(|(k, _)| book.exists(k))
            .map(|(k, c)| {
                let survivor = book.survivor(k).filter(|s| s != k);
                json!({
                    "id": k, "name": book.name(k),
                    "description": c.base.as_ref().and_then(|b| b.description.clone()),
                    "merged_into": survivor, "merged_into_name": survivor.map(|s| book.name(s)),
                    "excerpts": per_code.get(k.as_str()).map_or(0, |v| v.len()),
                    "notes": notes.get(k.as_str()).copied().unwrap_or(0),
                    "history": self.history(&book, k).into_iter().map(|(step, name, other, src)| json!({
                        "event": step, "label": step.label(lang), "name": name, "code": other, "src": src,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let coded: Vec<Value> = per_code
            .iter()
            .map(|(code, v)| {
                json!({
                    "code": code, "name": book.name(code),
                    "excerpts": v.iter().map(|e| json!({
                        "source": e.source, "start": e.start, "end": e.end,
                        "codes": book.resolve(&e.codes), "by": e.by, "by_label": dir.who(&e.by), "src": e.src,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        let memos: Vec<Value> = upto(&self.memos, o.day, |m| m.src)
            .into_iter()
            .map(|m| {
                json!({
                    "stream": m.stream, "title": m.title, "text": m.text,
                    "codes": book.resolve(&m.codes).iter().map(|c| json!({"id": c, "name": book.name(c)})).collect::<Vec<_>>(),
                    "notes": m.notes, "cycle": m.cycle,
                    "by": m.by, "by_label": dir.who(&m.by), "src": m.src,
                })
            })
            .collect();
        json!({
            "codes": codes,
            "coded": coded,
            "memos": memos,
            "co_occurrence": Self::co_occurrence_json(&book),
        })
    }

    /// The co-occurrence as pairs (sorted by code) and as a matrix over the surviving codes; the
    /// diagonal holds how many source events carry the code at all.
    fn co_occurrence_json(book: &Book) -> Value {
        let co = book.co_occurrence();
        let codes = book.surviving();
        let matrix: Vec<Vec<u64>> = codes
            .iter()
            .map(|a| {
                codes
                    .iter()
                    .map(|b| {
                        let key = if a <= b { (*a, *b) } else { (*b, *a) };
                        co.get(&key).copied().unwrap_or(0)
                    })
                    .collect()
            })
            .collect();
        let pairs: Vec<Value> = co
            .iter()
            .filter(|((a, b), _)| a != b)
            .map(|((a, b), n)| json!({"a": a, "a_name": book.name(a), "b": b, "b_name": book.name(b), "count": n}))
            .collect();
        json!({
            "codes": codes.iter().map(|c| json!({"id": c, "name": book.name(c)})).collect::<Vec<_>>(),
            "matrix": matrix,
            "pairs": pairs,
        })
    }

    pub fn text(&self, _p: &Projections, o: &ViewOptions) -> String {
        let lang = o.lang;
        let book = Book::new(self, o.day);
        let mut out = String::new();
        let excerpts = book.excerpts();
        let notes = book.note_counts();
        for (k, _) in self.codes.iter().filter(|(k, _)| book.exists(k)) {
            let n = excerpts.iter().filter(|e| book.resolve(&e.codes).contains(&k.as_str())).count();
            let whole = notes.get(k.as_str()).copied().unwrap_or(0);
            out += &format!(
                "{} ({}, {})\n",
                book.name(k),
                count(lang, n as u64, ("fragment", "fragmenten"), ("excerpt", "excerpts")),
                count(lang, whole, ("hele notitie", "hele notities"), ("whole note", "whole notes"))
            );
            for (step, name, _, src) in self.history(&book, k) {
                out += &format!("  {} {}: {name} {}\n", fmt_day(src.date, lang), step.label(lang), src_ref(&src, lang));
            }
        }
        if out.is_empty() {
            out += tr(lang, "Geen codes.\n", "No codes.\n");
        }
        let memos = upto(&self.memos, o.day, |m| m.src);
        if !memos.is_empty() {
            out += tr(lang, "Memo's:\n", "Memos:\n");
        }
        for m in memos {
            out += &format!("  {} {} {}\n", fmt_day(m.src.date, lang), m.title, src_ref(&m.src, lang));
        }
        let co = book.co_occurrence();
        let mut pairs: Vec<(&(&str, &str), &u64)> = co.iter().filter(|((a, b), _)| a != b).collect();
        if !pairs.is_empty() {
            out += tr(lang, "Samen toegepast (bronnen):\n", "Applied together (sources):\n");
        }
        pairs.sort_by(|x, y| y.1.cmp(x.1).then(x.0.cmp(y.0)));
        for ((a, b), n) in pairs {
            out += &format!("  {} + {}: {n}\n", book.name(a), book.name(b));
        }
        out
    }
}

fn upto<T>(m: &BTreeMap<u64, T>, day: Option<NaiveDate>, src: impl Fn(&T) -> Src) -> Vec<&T> {
    let mut v: Vec<&T> = m.values().filter(|x| day.is_none_or(|d| src(x).date <= d)).collect();
    v.sort_by_key(|x| src(x));
    v
}

/// One kind of entry in a code's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Step {
    Defined,
    Renamed,
    Absorbed,
    MergedInto,
}

impl Step {
    fn label(self, lang: Lang) -> &'static str {
        match self {
            Step::Defined => tr(lang, "gedefinieerd", "defined"),
            Step::Renamed => tr(lang, "hernoemd", "renamed"),
            Step::Absorbed => tr(lang, "nam code op", "absorbed code"),
            Step::MergedInto => tr(lang, "samengevoegd met", "merged into"),
        }
    }
}

/// The codebook as of a day: which codes exist, their names and where merged codes went.
struct Book<'a> {
    cb: &'a Codebook,
    day: Option<NaiveDate>,
    /// Merged code → the code it was merged into (one step), the latest merge winning.
    into: BTreeMap<&'a str, (&'a str, Src)>,
}

impl<'a> Book<'a> {
    fn new(cb: &'a Codebook, day: Option<NaiveDate>) -> Book<'a> {
        let mut into: BTreeMap<&str, (&str, Src)> = BTreeMap::new();
        for (stream, c) in &cb.codes {
            if !Self::defined(c, day) {
                continue;
            }
            for m in upto(&c.merged, day, |m| m.src) {
                if m.merged != *stream && into.get(m.merged.as_str()).is_none_or(|(_, s)| *s < m.src) {
                    into.insert(m.merged.as_str(), (stream.as_str(), m.src));
                }
            }
        }
        Book { cb, day, into }
    }
    fn defined(c: &Code, day: Option<NaiveDate>) -> bool {
        c.base.as_ref().is_some_and(|b| day.is_none_or(|d| b.src.date <= d))
    }
    fn exists(&self, code: &str) -> bool {
        self.cb.codes.get(code).is_some_and(|c| Self::defined(c, self.day))
    }
    /// The code a code now counts as: follows merges (stopping at a cycle). `None` for a code
    /// that does not exist on the day.
    fn survivor(&self, code: &'a str) -> Option<&'a str> {
        let mut at = code;
        let mut seen = BTreeSet::new();
        while let Some((next, _)) = self.into.get(at) {
            if !seen.insert(at) {
                break;
            }
            at = next;
        }
        self.exists(at).then_some(at)
    }
    fn name(&self, code: &str) -> String {
        let Some(c) = self.cb.codes.get(code) else {
            return code.split_once(':').map(|(_, n)| n).unwrap_or(code).to_string();
        };
        match upto(&c.renamed, self.day, |r| r.src).last() {
            Some(r) => r.name.clone(),
            None => c.base.as_ref().map(|b| b.name.clone()).unwrap_or_else(|| code.to_string()),
        }
    }
    /// Surviving codes of a list, sorted, without duplicates.
    fn resolve(&self, codes: &'a [String]) -> Vec<&'a str> {
        let set: BTreeSet<&str> = codes.iter().filter_map(|c| self.survivor(c)).collect();
        set.into_iter().collect()
    }
    /// Codes that exist on the day and were not merged into another, sorted by stream.
    fn surviving(&self) -> Vec<&'a str> {
        self.cb.codes.keys().map(|k| k.as_str()).filter(|k| self.survivor(k) == Some(*k)).collect()
    }
    fn excerpts(&self) -> Vec<&'a Excerpt> {
        upto(&self.cb.excerpts, self.day, |e| e.src)
    }
    /// Whole-note codings per surviving code.
    fn note_counts(&self) -> BTreeMap<&'a str, u64> {
        let mut out = BTreeMap::new();
        for ((code, month), n) in self.cb.note_codes.iter() {
            if self.day.is_some_and(|d| *month > d) {
                continue;
            }
            if let Some(s) = self.survivor(self.cb.names.get(*code)) {
                *out.entry(s).or_default() += n;
            }
        }
        out.retain(|_, n| *n > 0);
        out
    }
    /// Source events per pair of surviving codes `a < b`, and per single code (the diagonal).
    fn co_occurrence(&self) -> BTreeMap<(&'a str, &'a str), u64> {
        let mut per_source: BTreeMap<EventId, BTreeSet<&str>> = BTreeMap::new();
        for e in self.excerpts() {
            per_source.entry(e.source).or_default().extend(self.resolve(&e.codes));
        }
        let mut out: BTreeMap<(&str, &str), u64> = BTreeMap::new();
        for codes in per_source.values() {
            for (i, a) in codes.iter().enumerate() {
                *out.entry((a, a)).or_default() += 1;
                for b in codes.iter().skip(i + 1) {
                    *out.entry((a, b)).or_default() += 1;
                }
            }
        }
        for (code, n) in self.note_counts() {
            *out.entry((code, code)).or_default() += n;
        }
        for ((a, b, month), n) in self.cb.note_pairs.iter() {
            if self.day.is_some_and(|d| *month > d) {
                continue;
            }
            let names = &self.cb.names;
            let (Some(x), Some(y)) = (self.survivor(names.get(*a)), self.survivor(names.get(*b))) else { continue };
            if x == y {
                continue;
            }
            let key = if x < y { (x, y) } else { (y, x) };
            *out.entry(key).or_default() += n;
        }
        out.retain(|_, n| *n > 0);
        out
    }
}
