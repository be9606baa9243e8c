//! Small helpers for the text and JSON forms of views: labels, dates, counts and source
//! references as people read them.
//!
//! **Dates.** JSON keeps ISO days (`2019-03-18`): that is the API's form, and what programs
//! compare and sort. Every date meant for people (text views, reports, the sentences of
//! warnings, which the web interface shows as they are) is written as [`fmt_day`] writes it:
//! `18 mrt 2019` in Dutch, `18 Mar 2019` in English. That is how Dutch readers write a date in a
//! running text, it cannot be misread as month/day (as `03/18` or `18/03` can), and it is what
//! the web interface shows for every day it formats itself (`format.js`, `fmtDay`: day, short
//! month, year), so that the report, the views and the interface say a day the same way.

use chrono::{Datelike, NaiveDate};
use parlog_core::Lang;

use crate::fact::Src;

/// Picks the Dutch or English form of a label.
pub fn tr(lang: Lang, nl: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Nl => nl,
        Lang::En => en,
    }
}

const MONTHS_NL: [&str; 12] = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"];
const MONTHS_EN: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

fn month_name(d: NaiveDate, lang: Lang) -> &'static str {
    let i = d.month0() as usize;
    match lang {
        Lang::Nl => MONTHS_NL[i],
        Lang::En => MONTHS_EN[i],
    }
}

/// A day for people: `18 mrt 2019`, `18 Mar 2019` (see the top of this file for why).
pub fn fmt_day(d: NaiveDate, lang: Lang) -> String {
    format!("{} {} {}", d.day(), month_name(d, lang), d.year())
}

/// A month for people: `mrt 2019`, `Mar 2019`.
pub fn fmt_month(d: NaiveDate, lang: Lang) -> String {
    format!("{} {}", month_name(d, lang), d.year())
}

/// The day a [`fmt_day`] text names, for tests and tools that read reports back.
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    let mut parts = s.split(' ');
    let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let m = MONTHS_NL.iter().position(|x| *x == month).or_else(|| MONTHS_EN.iter().position(|x| *x == month))?;
    NaiveDate::from_ymd_opt(year.parse().ok()?, m as u32 + 1, day.parse().ok()?)
}

/// `[#12 · 14 mrt 2016]`: a source reference as printed in text views and reports: the event's
/// position in the log and the day it happened, as the web interface shows a source.
pub fn src_ref(s: &Src, lang: Lang) -> String {
    format!("[#{} · {}]", s.position, fmt_day(s.date, lang))
}

pub fn src_refs<'a>(srcs: impl IntoIterator<Item = &'a Src>, lang: Lang) -> String {
    let v: Vec<String> = srcs.into_iter().map(|s| src_ref(s, lang)).collect();
    v.join(" ")
}

/// A count with its noun in the right number: `1 veldnotitie`, `2 veldnotities`, `1 field
/// note`. `nl` and `en` are (singular, plural).
pub fn count(lang: Lang, n: impl Into<u64>, nl: (&str, &str), en: (&str, &str)) -> String {
    let n = n.into();
    let (one, many) = match lang {
        Lang::Nl => nl,
        Lang::En => en,
    };
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The text with its first letter in upper case, to start a sentence.
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Months are the unit of activity views: the first day of the month.
pub fn month_of(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), d.month(), 1).expect("first of a month exists")
}

/// A month as JSON names it: `2019-03`.
pub fn month_label(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// Whole months from `a` to `b` (0 if `b` is before `a`).
pub fn months_between(a: NaiveDate, b: NaiveDate) -> i64 {
    let m = (b.year() as i64 - a.year() as i64) * 12 + b.month() as i64 - a.month() as i64;
    let m = if b.day() < a.day() { m - 1 } else { m };
    m.max(0)
}

pub fn next_month(d: NaiveDate) -> NaiveDate {
    let (y, m) = if d.month() == 12 { (d.year() + 1, 1) } else { (d.year(), d.month() + 1) };
    NaiveDate::from_ymd_opt(y, m, 1).expect("first of a month exists")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("a day")
    }

    #[test]
    fn days_read_as_people_write_them_and_back() {
        assert_eq!(fmt_day(day("2019-03-18"), Lang::Nl), "18 mrt 2019");
        assert_eq!(fmt_day(day("2019-03-18"), Lang::En), "18 Mar 2019");
        assert_eq!(fmt_day(day("2020-05-01"), Lang::Nl), "1 mei 2020");
        assert_eq!(fmt_day(day("2020-10-09"), Lang::En), "9 Oct 2020");
        assert_eq!(fmt_month(day("2016-09-30"), Lang::Nl), "sep 2016");
        for d in ["2014-01-01", "2016-02-29", "2019-12-31"] {
            for lang in [Lang::Nl, Lang::En] {
                assert_eq!(parse_day(&fmt_day(day(d), lang)), Some(day(d)), "{d} {lang:?}");
            }
        }
        assert_eq!(parse_day("2019-03-18"), None);
        assert_eq!(parse_day("31 feb 2019"), None);
    }

    #[test]
    fn counts_agree_with_their_number() {
        let notes = |lang, n: u64| count(lang, n, ("veldnotitie", "veldnotities"), ("field note", "field notes"));
        assert_eq!(notes(Lang::Nl, 0), "0 veldnotities");
        assert_eq!(notes(Lang::Nl, 1), "1 veldnotitie");
        assert_eq!(notes(Lang::Nl, 2), "2 veldnotities");
        assert_eq!(notes(Lang::En, 1), "1 field note");
        assert_eq!(notes(Lang::En, 3), "3 field notes");
    }

    #[test]
    fn a_source_names_its_position_and_day() {
        let s = Src { position: 12, date: day("2016-03-14") };
        assert_eq!(src_ref(&s, Lang::Nl), "[#12 · 14 mrt 2016]");
        assert_eq!(src_ref(&s, Lang::En), "[#12 · 14 Mar 2016]");
    }
}
