//! Exchange with QDA tools (ATLAS.ti, MAXQDA, NVivo, QualCoder) in the REFI-QDA standard
//! (QDA-XML 1.0): a study's project as `.qdpx`, its codebook as `.qdc`, and the codes, coded
//! passages and memos made in another tool on an exported project read back as events.
//!
//! - `model.rs`: what a study holds for a QDA tool, read from the log in one pass (latest
//!   versions, merges resolved, sealed text as the reader may see it).
//! - `export.rs`: the project document, its source files, the archive, the codebook.
//! - `import.rs`: reading an archive leniently, and the plan of what it adds (matched by GUID).
//! - `xml.rs`: escaping for writing, names and attributes for reading.
//!
//! Shared by the command line (`parlog export/import --format …`) and the API
//! (`GET /api/v1/studies/{study}/export`); it knows neither terminals nor HTTP.

pub mod export;
pub mod import;
pub mod model;
pub mod xml;

pub use import::{Ignored, Plan};
pub use model::{Access, Model};

/// The largest `.qdpx` file read (its compressed bytes).
pub const QDPX_BYTES_MAX: u64 = 512 * 1024 * 1024;
/// Entries of an archive: a project has one text file per source.
pub const QDPX_ENTRIES_MAX: usize = 200_000;
/// All entries unpacked together; and the project document alone.
pub const QDPX_UNPACKED_BYTES_MAX: u64 = 2 * 1024 * 1024 * 1024;
pub const QDE_BYTES_MAX: u64 = 512 * 1024 * 1024;
/// Above this size an entry must not unpack to more than `QDPX_RATIO_MAX` times its packed
/// size: text and XML deflate about 3 to 10 times; a zip bomb by thousands.
pub const QDPX_RATIO_MIN_BYTES: u64 = 1024 * 1024;
pub const QDPX_RATIO_MAX: u64 = 100;
/// How deep the project document's elements may nest (nested codes are the deepest part).
pub const XML_DEPTH_MAX: usize = 256;
/// Problems listed in one refusal; more are counted.
pub const PROBLEMS_SHOWN_MAX: usize = 20;

/// What can go wrong exporting or importing. The messages state the fact and what to do.
#[derive(Debug, thiserror::Error)]
pub enum QdaError {
    #[error("writing the archive failed: {0}")]
    Write(String),
    #[error("the study has no codes yet: a REFI-QDA codebook holds at least one code")]
    NoCodes,
    #[error("the file is not a .qdpx project (a ZIP archive): {0}")]
    NotZip(String),
    #[error("{what} is {bytes} bytes, over the limit of {max} bytes")]
    TooLarge { what: String, bytes: u64, max: u64 },
    #[error("the archive has {entries} entries, over the limit of {max}")]
    TooManyEntries { entries: usize, max: usize },
    #[error("archive entry {name:?} unpacks to {ratio} times its packed size (at most {max} for entries over {min} bytes): refused as a possible zip bomb")]
    Bomb { name: String, ratio: u64, max: u64, min: u64 },
    #[error(
        "the archive holds no project document: expected project.qde (or one <name>.qde) at its root; found {found}"
    )]
    NoQde { found: String },
    #[error(
        "the archive holds several project documents at its root ({names}) and none is named project.qde: keep one"
    )]
    SeveralQde { names: String },
    #[error("{what} is not UTF-8 text: {why}")]
    NotText { what: String, why: String },
    #[error("the project document is not well-formed XML at byte {at}: {why}")]
    Xml { at: u64, why: String },
    #[error("the project document's root element is <{0}>, not <Project>")]
    NotProject(String),
    #[error("the project document nests elements deeper than {0} levels")]
    TooDeep(usize),
    #[error("<{element}> has {attr}={value:?}, which is not a GUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301")]
    BadGuid { element: String, attr: &'static str, value: String },
    #[error("<{element}> lacks the attribute {attr}")]
    MissingAttr { element: String, attr: &'static str },
    #[error("<PlainTextSelection guid=\"{guid}\"> has {attr}={value:?}, which is not a whole number")]
    BadOffset { guid: String, attr: &'static str, value: String },
    #[error("{author} is not a registered researcher of this study: imported codes, codings and memos are a researcher's (register them with role researcher, or name another with --author)")]
    NotResearcher { author: String },
    #[error("nothing was imported; {count} problem(s) in the project:\n{list}")]
    Refused { count: usize, list: String },
}

impl QdaError {
    /// Whether the input is at fault (rather than writing).
    pub fn is_input(&self) -> bool {
        !matches!(self, QdaError::Write(_))
    }
}
