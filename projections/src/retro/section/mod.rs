//! The report's sections, one module each, in the order of the practice guide the report is
//! modelled on: the study; the role in the municipality; the broker at work; in the
//! neighbourhood; conditions for other municipalities; an appendix with the cycles; the sources.
//! `lessons` and `signals` are subsections that other sections hold. Sections read the shared
//! [`Ctx`] and never each other, but for those two.

pub(crate) mod conditions;
pub(crate) mod cycles;
pub(crate) mod lessons;
pub(crate) mod neighbourhood;
pub(crate) mod role;
pub(crate) mod signals;
pub(crate) mod sources;
pub(crate) mod study;
pub(crate) mod work;

use super::context::Ctx;
use super::doc::Section;
use crate::lessons::Lesson;

/// Every section with something in it, in the report's order.
pub(crate) fn sections(c: &Ctx) -> Vec<Section> {
    let lessons: Vec<Lesson> = c.p.lessons(c.day).into_iter().filter(|l| c.in_area(l.area.as_deref())).collect();
    let mut all = vec![
        study::section(c),
        role::section(c, &lessons),
        work::section(c, &lessons),
        neighbourhood::section(c, &lessons),
        conditions::section(c, &lessons),
        cycles::section(c),
    ];
    all.retain(|s| !s.is_empty());
    all
}
