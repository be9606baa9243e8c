//! The retrospective from a log and its projections; shared by the CLI and the HTTP API so that
//! both give the same bytes. The document itself is built in `parlog_projections::retro`.

use parlog_core::Lang;
use parlog_projections::compare;
use parlog_projections::retro::{self, RetroOptions, SourceLinks};

use crate::request::Format;

use crate::http::auth::StudyRecord;
use parlog_projections::{AsOf, Engine, Source};

/// The retrospective of the projections in `engine` (made from `source` for `as_of`); the list
/// of sources is read from `source`; `links` says where the HTML report's source references go
/// (its own appendix when it stands alone, the web interface's event page when served).
pub fn retrospective(
    source: &(impl Source + ?Sized),
    engine: &Engine,
    as_of: AsOf,
    lang: Lang,
    area: Option<String>,
    format: Format,
    links: SourceLinks,
) -> Vec<u8> {
    let opts = RetroOptions { lang, area, links, ..RetroOptions::default() };
    let doc = retro::from_engine(source, engine, as_of, &opts);
    match format {
        Format::Markdown => retro::render(&doc, retro::Format::Markdown).into_bytes(),
        Format::Html => retro::render(&doc, retro::Format::Html).into_bytes(),
        Format::Odt => retro::odt(&doc),
    }
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
