//! The retrospective from a log and its projections; shared by the CLI and the HTTP API so that
//! both give the same bytes. The document itself is built in `parlog_projections::retro`.

use parlog_core::Lang;
use parlog_projections::compare;
use parlog_projections::retro::{self, Format, RetroOptions};

use crate::http::auth::StudyRecord;
use parlog_projections::{AsOf, Engine, Source};

/// The retrospective of the projections in `engine` (made from `source` for `as_of`); the list
/// of sources is read from `source`.
pub fn retrospective(
    source: &(impl Source + ?Sized),
    engine: &Engine,
    as_of: AsOf,
    lang: Lang,
    area: Option<String>,
    format: Format,
) -> String {
    let opts = RetroOptions { lang, area, ..RetroOptions::default() };
    retro::render(&retro::from_engine(source, engine, as_of, &opts), format)
}

/// The comparison of studies, each given with its registry entry and its projections at the
/// head, in the order of the columns; shared by the CLI and the HTTP API.
pub fn comparison(
    studies: &[(&StudyRecord, &Engine)],
    lang: Lang,
    format: compare::Format,
) -> Result<String, compare::CompareError> {
    let inputs: Vec<compare::StudyInput> = studies
        .iter()
        .map(|(r, e)| compare::StudyInput {
            slug: &r.slug,
            name: &r.name,
            municipality: &r.municipality,
            projections: &e.state,
        })
        .collect();
    let opts = compare::CompareOptions { lang, ..compare::CompareOptions::default() };
    Ok(compare::render(&compare::build(&inputs, &opts)?, format))
}
