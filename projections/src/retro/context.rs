//! What every section of the retrospective reads: the projections, the report's options, its
//! language and days, and the rules that every section applies the same way (the area filter,
//! what is visible on the day, lists cut to a length).

use chrono::NaiveDate;
use parlog_core::Lang;

use super::doc::{Block, Stmt};
use super::RetroOptions;
use crate::fact::Src;
use crate::initiatives::Initiative;
pub(crate) use crate::text::capitalise;
use crate::text::{count, fmt_day, tr};
use crate::{Projections, RoleWord};

/// Parent areas followed to decide whether an area lies under the report's area; a deeper chain
/// (or a cycle of parents) counts as outside it.
const AREA_HOPS_MAX: usize = 16;

pub(crate) struct Ctx<'a> {
    pub p: &'a Projections,
    pub o: &'a RetroOptions,
    pub lang: Lang,
    /// The as-of day: things after it are left out.
    pub day: Option<NaiveDate>,
    /// "Today" of the report: the as-of day or the last day in the log.
    pub today: Option<NaiveDate>,
    /// The role's name in the study's own words, as the log held it on the report's day.
    pub role: RoleWord,
}

impl<'a> Ctx<'a> {
    pub fn new(p: &'a Projections, o: &'a RetroOptions, day: Option<NaiveDate>) -> Ctx<'a> {
        Ctx { p, o, lang: o.lang, day, today: day.or(p.last_day()), role: RoleWord::of(p, day) }
    }
    pub fn t(&self, nl: &'static str, en: &'static str) -> &'static str {
        tr(self.lang, nl, en)
    }
    /// A day as the report writes it (see [`crate::text`]).
    pub fn day(&self, d: NaiveDate) -> String {
        fmt_day(d, self.lang)
    }
    /// A count with its noun in the right number.
    pub fn count(&self, n: impl Into<u64>, nl: (&str, &str), en: (&str, &str)) -> String {
        count(self.lang, n, nl, en)
    }
    /// Whether an area (stream id) is the report's area or lies under it.
    pub fn in_area(&self, area: Option<&str>) -> bool {
        let Some(filter) = &self.o.area else { return true };
        let mut at = area.map(str::to_string);
        let mut hops = 0;
        while let Some(a) = at {
            if &a == filter {
                return true;
            }
            hops += 1;
            if hops > AREA_HOPS_MAX {
                break;
            }
            at = self.p.directory.areas.get(&a).and_then(|x| x.parent.clone());
        }
        false
    }
    pub fn visible(&self, s: &Src) -> bool {
        self.day.is_none_or(|d| s.date <= d)
    }
    /// Initiatives in the report's area that exist on its day, oldest first.
    pub fn initiatives(&self) -> Vec<(&'a String, &'a Initiative)> {
        let in_area = |i: &Initiative| self.in_area(i.base.as_ref().map(|b| b.area.as_str()));
        self.p.initiatives.on(self.day).into_iter().filter(|(_, i)| in_area(i)).collect()
    }
    /// Cuts a list to the maximum length, with a note counting the rest.
    pub fn capped(&self, items: Vec<Stmt>, blocks: &mut Vec<Block>) {
        self.capped_saying(items, blocks, |lang, rest| match lang {
            Lang::Nl => format!("En nog {rest} andere; zie de projectie voor de volledige lijst."),
            Lang::En => format!("And {rest} more; see the projection for the full list."),
        })
    }

    /// The same, with the note `rest_note` writes for the number left out.
    pub fn capped_saying(
        &self,
        mut items: Vec<Stmt>,
        blocks: &mut Vec<Block>,
        rest_note: impl Fn(Lang, usize) -> String,
    ) {
        let max = self.o.list_items_max.max(1);
        if items.is_empty() {
            return;
        }
        let rest = items.len().saturating_sub(max);
        items.truncate(max);
        blocks.push(Block::List(items));
        if rest > 0 {
            blocks.push(Block::Note(rest_note(self.lang, rest)));
        }
    }
}

/// A text as a sentence: with a full stop unless it already ends in punctuation.
pub(crate) fn sentence(s: &str) -> String {
    let t = s.trim_end();
    if t.ends_with(['.', '!', '?', ':', ';']) {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

pub(crate) fn fmt_fte(f: f64) -> String {
    if (f.fract()).abs() < 1e-9 {
        format!("{f:.0}")
    } else {
        format!("{f:.1}")
    }
}

pub(crate) fn slug(s: &str) -> String {
    s.chars().map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect()
}
