//! Small helpers for the text and JSON forms of views.

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

/// `[12 · 2016-03-14]`: a source reference as printed in text views and reports.
pub fn src_ref(s: &Src) -> String {
    format!("[#{} {}]", s.position, s.date)
}

pub fn src_refs<'a>(srcs: impl IntoIterator<Item = &'a Src>) -> String {
    let v: Vec<String> = srcs.into_iter().map(src_ref).collect();
    v.join(" ")
}

/// Months are the unit of activity views: the first day of the month.
pub fn month_of(d: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(d.year(), d.month(), 1).expect("first of a month exists")
}

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
