//! Inter-coder agreement: where two researchers coded the same notes, how far they agree per
//! code, counted over characters (Unicode code points, as excerpts are stored).
//!
//! For a pair of coders, the notes both coded (with any code) are compared. For each code either
//! of them used there, every character of those notes falls in one of four cells: coded by both,
//! by the first only, by the second only, by neither. From them:
//! - **percentage agreement**: (both + neither) / characters;
//! - **Cohen's kappa**: agreement corrected for chance, (p_o − p_e) / (1 − p_e), with p_e from
//!   each coder's share of coded characters; undefined (`None`) when p_e is 1 (both coded all or
//!   nothing);
//! - **agreement on coded text**: both / (both + first only + second only). Kappa and the
//!   percentage are high whenever much text is left uncoded by both; this one is not, which is
//!   why QDA users ask for it beside them.
//!
//! The disagreements are the stretches coded by one coder and not the other.
//!
//! The length of a note's text is not in the open log (the text is sealed), so the caller gives
//! it; notes whose length it cannot give (text withheld from the caller, or forgotten) are left
//! out and listed. Excerpts reaching past the text's end are cut at it. Pure: the same codings
//! and lengths give the same answer.

use std::collections::{BTreeMap, BTreeSet};

use parlog_core::EventId;
use serde::Serialize;

use crate::codebook::Coding;

/// A half-open stretch of code points `[start, end)`.
pub type Span = (u32, u32);

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agreement {
    /// Every pair of coders that coded at least one note in common, ordered by coder.
    pub pairs: Vec<PairAgreement>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairAgreement {
    pub a: String,
    pub b: String,
    /// The notes both coded whose length is known, in id order.
    pub notes: Vec<EventId>,
    /// The notes both coded whose length the caller could not give: left out.
    pub left_out: Vec<EventId>,
    /// Characters in the compared notes.
    pub characters: u64,
    /// Per code (by stream), ordered by code.
    pub codes: Vec<CodeAgreement>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeAgreement {
    pub code: String,
    pub name: String,
    pub both: u64,
    pub only_a: u64,
    pub only_b: u64,
    pub neither: u64,
    /// (both + neither) / characters, from 0 to 1.
    pub percent_agreement: f64,
    pub kappa: Option<f64>,
    /// both / (both + only_a + only_b); `None` when neither coded anything with this code.
    pub coded_agreement: Option<f64>,
    pub disagreements: Vec<Disagreement>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    pub note: EventId,
    pub start: u32,
    pub end: u32,
    /// The coder who coded this stretch (the other did not).
    pub coded_by: String,
}

/// Agreement of every pair of coders, or of one pair if `only` names it (in either order).
pub fn compute(
    codings: &[Coding],
    length_of: impl Fn(EventId) -> Option<u32>,
    only: Option<(&str, &str)>,
) -> Agreement {
    // coder -> note -> code -> spans
    let mut by: BTreeMap<&str, BTreeMap<EventId, BTreeMap<&str, Vec<Span>>>> = BTreeMap::new();
    let mut names: BTreeMap<&str, &str> = BTreeMap::new();
    for c in codings {
        if c.start < c.end {
            by.entry(&c.coder)
                .or_default()
                .entry(c.note)
                .or_default()
                .entry(&c.code)
                .or_default()
                .push((c.start, c.end));
            names.insert(&c.code, &c.code_name);
        }
    }
    let coders: Vec<&str> = by.keys().copied().collect();
    let mut pairs = Vec::new();
    for (i, a) in coders.iter().enumerate() {
        for b in &coders[i + 1..] {
            if let Some((x, y)) = only {
                if !((x == *a && y == *b) || (x == *b && y == *a)) {
                    continue;
                }
            }
            if let Some(p) = pair(a, b, &by[a], &by[b], &names, &length_of) {
                pairs.push(p);
            }
        }
    }
    Agreement { pairs }
}

type NoteCodes<'a> = BTreeMap<EventId, BTreeMap<&'a str, Vec<Span>>>;

fn pair(
    a: &str,
    b: &str,
    of_a: &NoteCodes<'_>,
    of_b: &NoteCodes<'_>,
    names: &BTreeMap<&str, &str>,
    length_of: &impl Fn(EventId) -> Option<u32>,
) -> Option<PairAgreement> {
    let shared: Vec<EventId> = of_a.keys().filter(|n| of_b.contains_key(n)).copied().collect();
    if shared.is_empty() {
        return None;
    }
    let (mut notes, mut left_out, mut characters) = (Vec::new(), Vec::new(), 0u64);
    let mut cells: BTreeMap<&str, [u64; 3]> = BTreeMap::new();
    let mut disagreements: BTreeMap<&str, Vec<Disagreement>> = BTreeMap::new();
    for note in shared {
        let Some(len) = length_of(note) else {
            left_out.push(note);
            continue;
        };
        notes.push(note);
        characters += u64::from(len);
        let (ca, cb) = (&of_a[&note], &of_b[&note]);
        let codes: BTreeSet<&str> = ca.keys().chain(cb.keys()).copied().collect();
        for code in codes {
            let sa = union(ca.get(code).map(Vec::as_slice).unwrap_or(&[]), len);
            let sb = union(cb.get(code).map(Vec::as_slice).unwrap_or(&[]), len);
            let both = covered(&intersection(&sa, &sb));
            let cell = cells.entry(code).or_default();
            cell[0] += both;
            cell[1] += covered(&sa) - both;
            cell[2] += covered(&sb) - both;
            let list = disagreements.entry(code).or_default();
            for (start, end) in difference(&sa, &sb) {
                list.push(Disagreement { note, start, end, coded_by: a.to_string() });
            }
            for (start, end) in difference(&sb, &sa) {
                list.push(Disagreement { note, start, end, coded_by: b.to_string() });
            }
        }
    }
    let codes = cells
        .into_iter()
        .map(|(code, [both, only_a, only_b])| {
            let neither = characters - both - only_a - only_b;
            let mut list = disagreements.remove(code).unwrap_or_default();
            list.sort_by(|x, y| (x.note, x.start, &x.coded_by).cmp(&(y.note, y.start, &y.coded_by)));
            CodeAgreement {
                code: code.to_string(),
                name: names.get(code).copied().unwrap_or(code).to_string(),
                both,
                only_a,
                only_b,
                neither,
                percent_agreement: ratio(both + neither, characters).unwrap_or(1.0),
                kappa: kappa(both, only_a, only_b, neither),
                coded_agreement: ratio(both, both + only_a + only_b),
                disagreements: list,
            }
        })
        .collect();
    Some(PairAgreement { a: a.to_string(), b: b.to_string(), notes, left_out, characters, codes })
}

fn ratio(x: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| x as f64 / of as f64)
}

/// Cohen's kappa of a 2×2 table; `None` when chance agreement is certain.
pub fn kappa(both: u64, only_a: u64, only_b: u64, neither: u64) -> Option<f64> {
    let n = (both + only_a + only_b + neither) as f64;
    if n == 0.0 {
        return None;
    }
    let p_o = (both + neither) as f64 / n;
    let a_yes = (both + only_a) as f64 / n;
    let b_yes = (both + only_b) as f64 / n;
    let p_e = a_yes * b_yes + (1.0 - a_yes) * (1.0 - b_yes);
    if (1.0 - p_e).abs() < 1e-12 {
        return None;
    }
    Some((p_o - p_e) / (1.0 - p_e))
}

/// Sorted, non-overlapping spans covering the same characters, cut at `len`.
fn union(spans: &[Span], len: u32) -> Vec<Span> {
    let mut s: Vec<Span> = spans.iter().map(|&(a, b)| (a.min(len), b.min(len))).filter(|(a, b)| a < b).collect();
    s.sort_unstable();
    let mut out: Vec<Span> = Vec::with_capacity(s.len());
    for (a, b) in s {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

fn covered(spans: &[Span]) -> u64 {
    spans.iter().map(|(a, b)| u64::from(b - a)).sum()
}

fn intersection(x: &[Span], y: &[Span]) -> Vec<Span> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < x.len() && j < y.len() {
        let (a, b) = (x[i].0.max(y[j].0), x[i].1.min(y[j].1));
        if a < b {
            out.push((a, b));
        }
        if x[i].1 < y[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// The characters of `x` not in `y`.
fn difference(x: &[Span], y: &[Span]) -> Vec<Span> {
    let mut out = Vec::new();
    for &(mut a, b) in x {
        for &(c, d) in y {
            if d <= a || c >= b {
                continue;
            }
            if c > a {
                out.push((a, c));
            }
            a = a.max(d);
            if a >= b {
                break;
            }
        }
        if a < b {
            out.push((a, b));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(n: u8) -> EventId {
        EventId::parse(&format!("00000000-0000-4000-8000-0000000000{n:02}")).expect("an id")
    }
    fn c(note_n: u8, coder: &str, code: &str, start: u32, end: u32) -> Coding {
        Coding {
            note: note(note_n),
            coder: format!("participant:{coder}"),
            code: format!("code:{code}"),
            code_name: code.to_string(),
            start,
            end,
        }
    }

    #[test]
    fn spans_unite_intersect_and_differ() {
        assert_eq!(union(&[(5, 10), (0, 3), (2, 6), (20, 30)], 25), vec![(0, 10), (20, 25)]);
        assert_eq!(intersection(&[(0, 10), (20, 25)], &[(5, 22)]), vec![(5, 10), (20, 22)]);
        assert_eq!(difference(&[(0, 10), (20, 25)], &[(5, 22)]), vec![(0, 5), (22, 25)]);
        assert_eq!(difference(&[(0, 10)], &[(0, 10)]), vec![]);
        assert_eq!(difference(&[(0, 10)], &[(2, 3), (5, 6)]), vec![(0, 2), (3, 5), (6, 10)]);
    }

    /// A worked example checked by hand: 100 characters; A codes 0..40, B codes 20..60.
    /// both 20, only A 20, only B 20, neither 40: p_o = 0.6, p_e = 0.4·0.4 + 0.6·0.6 = 0.52,
    /// kappa = 0.08 / 0.48 = 1/6.
    #[test]
    fn kappa_and_percentages_match_a_hand_count() {
        let codings = [c(1, "a", "x", 0, 40), c(1, "b", "x", 20, 60)];
        let r = compute(&codings, |_| Some(100), None);
        let code = &r.pairs[0].codes[0];
        assert_eq!((code.both, code.only_a, code.only_b, code.neither), (20, 20, 20, 40));
        assert!((code.percent_agreement - 0.6).abs() < 1e-12);
        assert!((code.kappa.unwrap() - 1.0 / 6.0).abs() < 1e-12);
        assert!((code.coded_agreement.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        let d: Vec<(u32, u32, &str)> =
            code.disagreements.iter().map(|d| (d.start, d.end, d.coded_by.as_str())).collect();
        assert_eq!(d, vec![(0, 20, "participant:a"), (40, 60, "participant:b")]);
    }

    #[test]
    fn identical_coding_is_kappa_one_and_codes_used_by_one_coder_count_against() {
        let codings = [c(1, "a", "x", 10, 20), c(1, "b", "x", 10, 20), c(1, "a", "y", 0, 5)];
        let r = compute(&codings, |_| Some(50), None);
        let x = r.pairs[0].codes.iter().find(|k| k.code == "code:x").unwrap();
        assert_eq!(x.kappa, Some(1.0));
        assert!(x.disagreements.is_empty());
        let y = r.pairs[0].codes.iter().find(|k| k.code == "code:y").unwrap();
        assert_eq!((y.both, y.only_a, y.only_b, y.neither), (0, 5, 0, 45));
        assert_eq!(y.kappa, Some(0.0), "one coder never used it: no agreement beyond chance");
    }

    #[test]
    fn only_shared_notes_count_unknown_lengths_are_left_out_and_spans_are_cut_at_the_end() {
        let codings = [
            c(1, "a", "x", 0, 10),
            c(1, "b", "x", 0, 99), // past the end of a 20-character text
            c(2, "a", "x", 0, 10), // only A coded note 2: not compared
            c(3, "a", "x", 0, 10),
            c(3, "b", "x", 0, 10), // note 3's text is withheld: left out
        ];
        let r = compute(&codings, |n| (n == note(1)).then_some(20), None);
        let p = &r.pairs[0];
        assert_eq!(p.notes, vec![note(1)]);
        assert_eq!(p.left_out, vec![note(3)]);
        assert_eq!(p.characters, 20);
        let x = &p.codes[0];
        assert_eq!((x.both, x.only_a, x.only_b, x.neither), (10, 0, 10, 0));
        assert_eq!(x.kappa, Some(0.0), "B coded everything: no agreement beyond chance");
        let all = compute(&[c(1, "a", "x", 0, 20), c(1, "b", "x", 0, 20)], |_| Some(20), None);
        assert_eq!(all.pairs[0].codes[0].kappa, None, "both coded everything: chance agreement is certain");
    }

    #[test]
    fn three_coders_give_three_pairs_and_one_pair_can_be_asked_for() {
        let codings = [c(1, "a", "x", 0, 10), c(1, "b", "x", 0, 10), c(1, "c", "x", 5, 10)];
        assert_eq!(compute(&codings, |_| Some(10), None).pairs.len(), 3);
        let one = compute(&codings, |_| Some(10), Some(("participant:c", "participant:a")));
        assert_eq!(one.pairs.len(), 1);
        assert_eq!((one.pairs[0].a.as_str(), one.pairs[0].b.as_str()), ("participant:a", "participant:c"));
    }

    #[test]
    fn the_same_input_gives_the_same_answer() {
        let codings = [c(1, "a", "x", 0, 40), c(1, "b", "x", 20, 60), c(2, "b", "y", 3, 9), c(2, "a", "y", 1, 4)];
        let one = serde_json::to_string(&compute(&codings, |_| Some(100), None)).unwrap();
        let two = serde_json::to_string(&compute(&codings, |_| Some(100), None)).unwrap();
        assert_eq!(one, two);
    }
}
