//! What a request for a view says (which part of the log, language, thresholds, format, area),
//! parsed in one place for the command line and the API, so that both accept the same input and
//! refuse bad input with the same words. Each parameter is declared once, as a [`Param`]: the
//! parser checks values against it and the OpenAPI document describes it from it.

use chrono::NaiveDate;
use parlog_core::{
    Category, HealthDimension, Lang, ParticipantId, StreamId, StudySlug, Vocabulary, STUDY_SLUG_CHARS_MAX,
};
use parlog_projections::compare;
use parlog_projections::{AsOf, Thresholds, UnknownProjection, ViewOptions, CHART_NAMES, PROJECTION_NAMES};
use serde::Deserialize;
use serde_json::{json, Value};

/// One query parameter (on the command line: the flag of the same name with `-` for `_`).
pub struct Param {
    pub name: &'static str,
    pub kind: Kind,
    pub description: &'static str,
}

/// What values a parameter takes.
pub enum Kind {
    /// A day, YYYY-MM-DD.
    Day,
    /// One of these words.
    Word(&'static [&'static str]),
    /// A whole number from `min` to `max`.
    Integer { min: u64, max: u64 },
    /// A page size: from 1 to the server's `page_events_max`, which the document is given.
    PageSize,
    /// A stream id of this category.
    Stream(Category),
    /// Study slugs, separated by commas: at least one, each once, at most `compare::STUDIES_MAX`.
    Studies,
    /// Free text of at most this many characters.
    Text { chars_max: usize },
    /// A participant id.
    Participant,
    /// Some of these words, separated by commas (or the parameter repeated).
    Words(&'static [&'static str]),
}

const LANGS: &[&str] = &["nl", "en"];
const BASES: &[&str] = &["occurred", "recorded"];
const FORMATS: &[&str] = &["html", "md", "odt"];
const VIEW_FORMATS: &[&str] = &["json", "csv"];

pub const AS_OF: Param = Param {
    name: "as_of",
    kind: Kind::Day,
    description: "A day (YYYY-MM-DD): only what happened by then (or was recorded, with basis=recorded). Not with as_of_position.",
};
pub const BASIS: Param = Param {
    name: "basis",
    kind: Kind::Word(BASES),
    description: "With as_of: occurred (default) goes by when events happened, recorded by when they were recorded.",
};
pub const AS_OF_POSITION: Param = Param {
    name: "as_of_position",
    kind: Kind::Integer { min: 0, max: u64::MAX },
    description: "Only the log up to and including this position. Not with as_of.",
};
pub const LANG: Param = Param { name: "lang", kind: Kind::Word(LANGS), description: "nl (default) or en." };
pub const SINCE: Param =
    Param { name: "since", kind: Kind::Day, description: "Role: the earlier day of a diff (YYYY-MM-DD)." };
pub const LEAD_MONTHS_MAX: Param = Param {
    name: "lead_months_max",
    kind: Kind::Integer { min: 0, max: u32::MAX as u64 },
    description: "Warnings: a makelaar still leading an initiative this many months after its start.",
};
pub const ACTIVE_INITIATIVES_MAX: Param = Param {
    name: "active_initiatives_max",
    kind: Kind::Integer { min: 0, max: u32::MAX as u64 },
    description: "Warnings: more active initiatives per makelaar than this.",
};
pub const REFLECTION_GAP_DAYS_MAX: Param = Param {
    name: "reflection_gap_days_max",
    kind: Kind::Integer { min: 0, max: u32::MAX as u64 },
    description: "Warnings: no reflection in a team for more days than this.",
};
pub const FORMAT: Param = Param {
    name: "format",
    kind: Kind::Word(FORMATS),
    description: "html (default), md, or odt (an OpenDocument text with the charts, as an attachment).",
};
pub const VIEW_FORMAT: Param = Param {
    name: "format",
    kind: Kind::Word(VIEW_FORMATS),
    description: "json (default), or csv: the view's main table for spreadsheets (RFC 4180, UTF-8 without BOM, CRLF, as an attachment).",
};
pub const AREA: Param = Param {
    name: "area",
    kind: Kind::Stream(Category::Area),
    description: "Only this area (and the areas under it), such as area:noord.",
};

pub const FROM: Param =
    Param { name: "from", kind: Kind::Integer { min: 0, max: u64::MAX }, description: "First position (default 1)." };
pub const FEED_FROM: Param = Param {
    name: "from",
    kind: Kind::Integer { min: 0, max: u64::MAX },
    description: "First position, at most one past the head; default: only new events.",
};
pub const FROM_VERSION: Param = Param {
    name: "from_version",
    kind: Kind::Integer { min: 0, max: u64::MAX },
    description: "First stream version (default 1).",
};
pub const LIMIT: Param = Param {
    name: "limit",
    kind: Kind::PageSize,
    description: "Events per page (default 100, at most page_events_max).",
};

/// The parameters of a projection.
pub const PROJECTION_PARAMS: &[&Param] = &[
    &AS_OF,
    &BASIS,
    &AS_OF_POSITION,
    &LANG,
    &SINCE,
    &LEAD_MONTHS_MAX,
    &ACTIVE_INITIATIVES_MAX,
    &REFLECTION_GAP_DAYS_MAX,
    &VIEW_FORMAT,
];
/// The parameters of a chart.
pub const CHART_PARAMS: &[&Param] = &[&AS_OF, &BASIS, &AS_OF_POSITION, &LANG];
/// The parameters of the retrospective.
pub const RETROSPECTIVE_PARAMS: &[&Param] = &[&FORMAT, &AREA, &AS_OF, &BASIS, &AS_OF_POSITION, &LANG];

pub const STUDIES: Param = Param {
    name: "studies",
    kind: Kind::Studies,
    description: "The studies to compare, by slug, separated by commas (at most 16), in the order of the columns.",
};
const EXPORT_FORMATS: &[&str] = &["qdpx", "qdc"];
pub const EXPORT_FORMAT: Param = Param {
    name: "format",
    kind: Kind::Word(EXPORT_FORMATS),
    description: "qdpx (default): the REFI-QDA project (a ZIP: project.qde and sources/), for researchers; qdc: the REFI-QDA codebook (XML), for every role.",
};
pub const EXPORT_PARAMS: &[&Param] = &[&EXPORT_FORMAT, &LANG];

/// An export request as given.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct RawExport {
    pub format: Option<String>,
    pub lang: Option<String>,
}

const COMPARE_FORMATS: &[&str] = &["html", "md", "json"];
pub const COMPARE_FORMAT: Param =
    Param { name: "format", kind: Kind::Word(COMPARE_FORMATS), description: "html (default), md or json." };
pub const COMPARE_PARAMS: &[&Param] = &[&STUDIES, &COMPARE_FORMAT, &LANG];

/// A comparison request as given.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct RawCompare {
    pub studies: Option<String>,
    pub format: Option<String>,
    pub lang: Option<String>,
}

/// A comparison request, checked.
#[derive(Debug, Clone)]
pub struct CompareRequest {
    pub studies: Vec<StudySlug>,
    pub format: compare::Format,
    pub lang: Lang,
}

impl CompareRequest {
    pub fn parse(raw: &RawCompare) -> Result<CompareRequest, RequestError> {
        Ok(CompareRequest {
            studies: STUDIES.studies(raw.studies.as_deref())?,
            format: match COMPARE_FORMAT.word(raw.format.as_deref())? {
                "md" => compare::Format::Markdown,
                "json" => compare::Format::Json,
                _ => compare::Format::Html,
            },
            lang: match LANG.word(raw.lang.as_deref())? {
                "en" => Lang::En,
                _ => Lang::Nl,
            },
        })
    }
}

/// Bad input in a request, in words for the person who sent it.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("`{param}`: {message}")]
    Invalid { param: &'static str, message: String },
    #[error("give either `as_of` or `as_of_position`, not both")]
    AsOfTwice,
    #[error(transparent)]
    UnknownView(#[from] UnknownProjection),
    #[error("unknown chart {0:?}; expected one of: {names}", names = CHART_NAMES.join(", "))]
    UnknownChart(String),
    #[error("`from` ({from}) is after `to` ({to}): give a range whose first day comes first")]
    DaysReversed { from: NaiveDate, to: NaiveDate },
}

impl RequestError {
    /// The same message with parameters named as the command line's flags (`--as-of`).
    pub fn with_flags(&self) -> String {
        let flag = |p: &str| format!("--{}", p.replace('_', "-"));
        match self {
            RequestError::Invalid { param, message } => format!("{}: {message}", flag(param)),
            RequestError::AsOfTwice => {
                format!("give either {} or {}, not both", flag(AS_OF.name), flag(AS_OF_POSITION.name))
            }
            RequestError::DaysReversed { from, to } => {
                format!("--from ({from}) is after --to ({to}): give a range whose first day comes first")
            }
            other => other.to_string(),
        }
    }
}

impl Param {
    fn invalid(&self, message: String) -> RequestError {
        RequestError::Invalid { param: self.name, message }
    }

    pub fn day(&self, raw: Option<&str>) -> Result<Option<NaiveDate>, RequestError> {
        raw.map(|d| {
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| self.invalid(format!("expected a day such as 2017-12-31, got {d:?}")))
        })
        .transpose()
    }

    /// The word given, or the first of the words when none is.
    pub fn word(&self, raw: Option<&str>) -> Result<&'static str, RequestError> {
        let Kind::Word(words) = self.kind else { unreachable!("{} takes words", self.name) };
        match raw {
            None => Ok(words[0]),
            Some(w) => words
                .iter()
                .copied()
                .find(|x| *x == w)
                .ok_or_else(|| self.invalid(format!("expected {}, got {w:?}", words.join(" or ")))),
        }
    }

    pub fn integer(&self, raw: Option<&str>) -> Result<Option<u64>, RequestError> {
        let (min, max) = match self.kind {
            Kind::Integer { min, max } => (min, max),
            Kind::PageSize => (1, u64::MAX),
            _ => unreachable!("{} takes a number", self.name),
        };
        raw.map(|s| match s.parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            // A page's maximum is the server's, checked where it is known.
            _ if matches!(self.kind, Kind::PageSize) => {
                Err(self.invalid(format!("expected a whole number of at least 1, got {s:?}")))
            }
            _ => Err(self.invalid(format!("expected a whole number from {min} to {max}, got {s:?}"))),
        })
        .transpose()
    }

    pub fn stream(&self, raw: Option<&str>) -> Result<Option<StreamId>, RequestError> {
        let Kind::Stream(category) = self.kind else { unreachable!("{} takes a stream", self.name) };
        raw.map(|s| {
            let id = StreamId::parse(s).map_err(|m| self.invalid(m))?;
            match id.category() == category {
                true => Ok(id),
                false => Err(self.invalid(format!("expected a stream such as {}:noord, got {s:?}", category.as_str()))),
            }
        })
        .transpose()
    }

    /// The word given, if one is (for a parameter without a default).
    pub fn word_opt(&self, raw: Option<&str>) -> Result<Option<&'static str>, RequestError> {
        raw.map(|w| self.word(Some(w))).transpose()
    }

    /// The words given, each once, in the order given (separated by commas, or from the
    /// parameter given more than once).
    pub fn words<'a>(&self, raw: impl IntoIterator<Item = &'a str>) -> Result<Vec<&'static str>, RequestError> {
        let Kind::Words(words) = self.kind else { unreachable!("{} takes words", self.name) };
        let mut out = Vec::new();
        for w in raw.into_iter().flat_map(|r| r.split(',')).map(str::trim).filter(|w| !w.is_empty()) {
            let found = words
                .iter()
                .copied()
                .find(|x| *x == w)
                .ok_or_else(|| self.invalid(format!("expected one or more of {}, got {w:?}", words.join(", "))))?;
            if !out.contains(&found) {
                out.push(found);
            }
        }
        Ok(out)
    }

    /// Free text within its length.
    pub fn text<'a>(&self, raw: Option<&'a str>) -> Result<Option<&'a str>, RequestError> {
        let Kind::Text { chars_max } = self.kind else { unreachable!("{} takes text", self.name) };
        match raw {
            Some(t) if t.chars().count() > chars_max => Err(self.invalid(format!(
                "{} characters, over the limit of {chars_max}; search with fewer or shorter words",
                t.chars().count()
            ))),
            r => Ok(r),
        }
    }

    pub fn participant(&self, raw: Option<&str>) -> Result<Option<ParticipantId>, RequestError> {
        raw.map(|p| ParticipantId::parse(p).map_err(|m| self.invalid(m))).transpose()
    }

    /// Whether a request must give it: only a list of studies has no default to fall back on.
    pub fn required(&self) -> bool {
        matches!(self.kind, Kind::Studies)
    }

    /// The study slugs given, in the order given.
    pub fn studies(&self, raw: Option<&str>) -> Result<Vec<StudySlug>, RequestError> {
        let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
            return Err(
                self.invalid("name one or more studies by slug, separated by commas, such as gouda,zwolle".into())
            );
        };
        let mut out: Vec<StudySlug> = Vec::new();
        for part in raw.split(',') {
            let slug = StudySlug::parse(part).map_err(|m| self.invalid(m))?;
            if out.contains(&slug) {
                return Err(self.invalid(format!("study {slug} is named more than once: name each study once")));
            }
            out.push(slug);
        }
        if out.len() > compare::STUDIES_MAX {
            return Err(self.invalid(format!(
                "{} studies named, but at most {} can be compared side by side: name fewer",
                out.len(),
                compare::STUDIES_MAX
            )));
        }
        Ok(out)
    }

    /// The JSON schema of the values the parser above accepts.
    pub fn schema(&self, page_events_max: usize) -> Value {
        match self.kind {
            Kind::Day => json!({"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}),
            Kind::Word(words) => json!({"type": "string", "enum": words}),
            Kind::Integer { min, max } => json!({"type": "integer", "minimum": min, "maximum": max}),
            Kind::PageSize => json!({"type": "integer", "minimum": 1, "maximum": page_events_max}),
            Kind::Stream(category) => {
                json!({"type": "string", "pattern": StreamId::pattern(&[category])})
            }
            Kind::Studies => json!({
                "type": "array",
                "items": {"type": "string", "pattern": StudySlug::pattern(), "minLength": 1, "maxLength": STUDY_SLUG_CHARS_MAX},
                "minItems": 1,
                "maxItems": compare::STUDIES_MAX,
                "uniqueItems": true,
            }),
            Kind::Text { chars_max } => json!({"type": "string", "maxLength": chars_max}),
            Kind::Participant => json!({"type": "string", "pattern": ParticipantId::pattern()}),
            Kind::Words(words) => json!({"type": "array", "items": {"type": "string", "enum": words}}),
        }
    }
}

/// A view request as given: each parameter's text, if given (the API's query string, or the
/// command line's flags).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct RawView {
    pub as_of: Option<String>,
    pub basis: Option<String>,
    pub as_of_position: Option<String>,
    pub lang: Option<String>,
    pub since: Option<String>,
    pub lead_months_max: Option<String>,
    pub active_initiatives_max: Option<String>,
    pub reflection_gap_days_max: Option<String>,
    pub format: Option<String>,
    pub area: Option<String>,
}

/// The form of the retrospective.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
    /// An OpenDocument text (`.odt`), with the charts as images.
    Odt,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Markdown => "text/markdown; charset=utf-8",
            Format::Odt => parlog_projections::retro::ODT_MEDIA_TYPE,
        }
    }
}

/// The form of a view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewFormat {
    Json,
    /// Its main table (`ViewDef::csv`).
    Csv,
}

impl ViewFormat {
    /// The `format` of a view request (json or csv), which the view's other parameters leave to
    /// it, as the retrospective's formats are others.
    pub fn parse(raw: &RawView) -> Result<ViewFormat, RequestError> {
        Ok(match VIEW_FORMAT.word(raw.format.as_deref())? {
            "csv" => ViewFormat::Csv,
            _ => ViewFormat::Json,
        })
    }
}

/// A view request, checked.
#[derive(Debug, Clone)]
pub struct ViewRequest {
    pub as_of: AsOf,
    pub options: ViewOptions,
    /// The retrospective's format (a view's is [`ViewFormat`]).
    pub format: Format,
    /// An `area:` stream, checked.
    pub area: Option<String>,
}

impl ViewRequest {
    pub fn parse(raw: &RawView) -> Result<ViewRequest, RequestError> {
        let as_of = as_of(raw)?;
        let format = match FORMAT.word(raw.format.as_deref())? {
            "md" => Format::Markdown,
            "odt" => Format::Odt,
            _ => Format::Html,
        };
        Self::parse_with(raw, as_of, format)
    }

    /// A view's request: its `format` is json or csv ([`ViewFormat`]), not the report's.
    pub fn parse_view(raw: &RawView) -> Result<(ViewRequest, ViewFormat), RequestError> {
        let format = ViewFormat::parse(raw)?;
        Ok((Self::parse_with(raw, as_of(raw)?, Format::Html)?, format))
    }

    fn parse_with(raw: &RawView, as_of: AsOf, format: Format) -> Result<ViewRequest, RequestError> {
        let d = Thresholds::default();
        let threshold = |p: &Param, raw: &Option<String>, default: u32| -> Result<u32, RequestError> {
            // In range: the parameter's maximum is u32::MAX.
            Ok(p.integer(raw.as_deref())?.map_or(default, |n| n as u32))
        };
        let options = ViewOptions {
            lang: match LANG.word(raw.lang.as_deref())? {
                "en" => Lang::En,
                _ => Lang::Nl,
            },
            day: as_of.day(),
            since: SINCE.day(raw.since.as_deref())?,
            thresholds: Thresholds {
                lead_months_max: threshold(&LEAD_MONTHS_MAX, &raw.lead_months_max, d.lead_months_max)?,
                active_initiatives_max: threshold(
                    &ACTIVE_INITIATIVES_MAX,
                    &raw.active_initiatives_max,
                    d.active_initiatives_max,
                )?,
                reflection_gap_days_max: threshold(
                    &REFLECTION_GAP_DAYS_MAX,
                    &raw.reflection_gap_days_max,
                    d.reflection_gap_days_max,
                )?,
            },
        };
        let area = AREA.stream(raw.area.as_deref())?.map(|a| a.to_string());
        Ok(ViewRequest { as_of, options, format, area })
    }
}

/// Which part of the log: `as_of` (by `basis`) or `as_of_position`, or the whole log.
fn as_of(raw: &RawView) -> Result<AsOf, RequestError> {
    let day = AS_OF.day(raw.as_of.as_deref())?;
    let basis = BASIS.word(raw.basis.as_deref())?;
    let position = AS_OF_POSITION.integer(raw.as_of_position.as_deref())?;
    Ok(match (day, position) {
        (Some(_), Some(_)) => return Err(RequestError::AsOfTwice),
        (Some(d), None) if basis == "recorded" => AsOf::Recorded(d),
        (Some(d), None) => AsOf::Occurred(d),
        (None, Some(p)) => AsOf::Position(p),
        (None, None) => AsOf::Head,
    })
}

/// A projection's name, checked against the projections there are.
pub fn view_name(name: &str) -> Result<&str, RequestError> {
    match PROJECTION_NAMES.contains(&name) {
        true => Ok(name),
        false => Err(UnknownProjection(name.to_string()).into()),
    }
}

/// A chart's name, checked against the charts there are.
pub fn chart_name(name: &str) -> Result<&str, RequestError> {
    match CHART_NAMES.contains(&name) {
        true => Ok(name),
        false => Err(RequestError::UnknownChart(name.to_string())),
    }
}

// ---- the notes browser (issue 14) ----

use crate::notes::{self, NoteKind, NoteQuery, Retracted};

/// The Positive Health dimensions by id, as the vocabulary names them.
const HEALTH_IDS: &[&str] = &[
    "bodily_functions",
    "mental_wellbeing",
    "meaningfulness",
    "quality_of_life",
    "participation",
    "daily_functioning",
];
const NOTES_FORMATS: &[&str] = &["json", "csv"];

pub const NOTES_Q: Param = Param {
    name: "q",
    kind: Kind::Text { chars_max: notes::QUERY_CHARS_MAX },
    description: "Words to find (case and accents do not matter; every word must occur, the last one may be the start of a word), at most 200 characters.",
};
pub const NOTES_AREA: Param = Param {
    name: "area",
    kind: Kind::Stream(Category::Area),
    description: "Only notes in this area (and the areas under it), such as area:noord.",
};
pub const NOTES_INITIATIVE: Param = Param {
    name: "initiative",
    kind: Kind::Stream(Category::Initiative),
    description: "Only notes about this initiative, such as initiative:buurtkamer.",
};
pub const NOTES_CYCLE: Param = Param {
    name: "cycle",
    kind: Kind::Stream(Category::Cycle),
    description: "Only notes of this cycle, such as cycle:wijk-noord-1.",
};
pub const NOTES_AUTHOR: Param = Param {
    name: "author",
    kind: Kind::Participant,
    description: "Only notes by this participant, such as makelaar-noord-1.",
};
pub const NOTES_CODE: Param = Param {
    name: "code",
    kind: Kind::Stream(Category::Code),
    description: "Only notes coded with this code, as a whole or in a passage (a code merged into it counts as it).",
};
pub const NOTES_HEALTH: Param = Param {
    name: "health",
    kind: Kind::Word(HEALTH_IDS),
    description: "Only field notes tagged with this Positive Health dimension.",
};
pub const NOTES_KIND: Param = Param {
    name: "kind",
    kind: Kind::Words(NoteKind::IDS),
    description: "Only these kinds: observation, reflection, memo (separated by commas, or the parameter repeated).",
};
pub const NOTES_FROM: Param = Param {
    name: "from",
    kind: Kind::Day,
    description: "Only notes about this day or later (YYYY-MM-DD, the day the note is about).",
};
pub const NOTES_TO: Param =
    Param { name: "to", kind: Kind::Day, description: "Only notes about this day or earlier (YYYY-MM-DD)." };
pub const NOTES_RETRACTED: Param = Param {
    name: "retracted",
    kind: Kind::Word(Retracted::IDS),
    description: "Retracted notes: exclude (default), include, or only them.",
};
pub const NOTES_BEFORE: Param = Param {
    name: "before",
    kind: Kind::Integer { min: 1, max: u64::MAX },
    description: "Only notes at positions before this one: next_before of the previous page.",
};
pub const NOTES_LIMIT: Param = Param {
    name: "limit",
    kind: Kind::Integer { min: 1, max: notes::PAGE_NOTES_MAX as u64 },
    description:
        "Notes per page (default 50, at most 200; a CSV holds every note found, up to 100000, unless limit is given).",
};
pub const NOTES_FORMAT: Param =
    Param { name: "format", kind: Kind::Word(NOTES_FORMATS), description: "json (default) or csv (RFC 4180, UTF-8)." };

/// The parameters of the notes list.
pub const NOTES_PARAMS: &[&Param] = &[
    &NOTES_Q,
    &NOTES_AREA,
    &NOTES_INITIATIVE,
    &NOTES_CYCLE,
    &NOTES_AUTHOR,
    &NOTES_CODE,
    &NOTES_HEALTH,
    &NOTES_KIND,
    &NOTES_FROM,
    &NOTES_TO,
    &NOTES_RETRACTED,
    &NOTES_BEFORE,
    &NOTES_LIMIT,
    &NOTES_FORMAT,
    &LANG,
];
/// The parameters of one note.
pub const NOTE_PARAMS: &[&Param] = &[&LANG];

/// A notes request, checked.
#[derive(Debug, Clone)]
pub struct NotesRequest {
    pub query: NoteQuery,
    pub csv: bool,
    pub lang: Lang,
}

impl NotesRequest {
    /// From the query's pairs (a parameter given twice counts once, the last; `kind` counts
    /// every time).
    pub fn parse(pairs: &[(String, String)]) -> Result<NotesRequest, RequestError> {
        let get = |name: &str| pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let csv = NOTES_FORMAT.word(get(NOTES_FORMAT.name))? == "csv";
        let limit = match NOTES_LIMIT.integer(get(NOTES_LIMIT.name))? {
            Some(n) => n as usize,
            None if csv => notes::CSV_NOTES_MAX,
            None => notes::PAGE_NOTES_DEFAULT,
        };
        let kinds = NOTES_KIND.words(pairs.iter().filter(|(k, _)| k == NOTES_KIND.name).map(|(_, v)| v.as_str()))?;
        let (from, to) = (NOTES_FROM.day(get(NOTES_FROM.name))?, NOTES_TO.day(get(NOTES_TO.name))?);
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                return Err(RequestError::DaysReversed { from, to });
            }
        }
        let query = NoteQuery {
            words: notes::text::query_words(NOTES_Q.text(get(NOTES_Q.name))?.unwrap_or_default()),
            area: NOTES_AREA.stream(get(NOTES_AREA.name))?,
            initiative: NOTES_INITIATIVE.stream(get(NOTES_INITIATIVE.name))?,
            cycle: NOTES_CYCLE.stream(get(NOTES_CYCLE.name))?,
            author: NOTES_AUTHOR.participant(get(NOTES_AUTHOR.name))?,
            code: NOTES_CODE.stream(get(NOTES_CODE.name))?,
            health: NOTES_HEALTH.word_opt(get(NOTES_HEALTH.name))?.and_then(HealthDimension::parse),
            kinds: kinds.into_iter().filter_map(NoteKind::parse).collect(),
            from,
            to,
            retracted: Retracted::parse(NOTES_RETRACTED.word(get(NOTES_RETRACTED.name))?).unwrap_or_default(),
            before: NOTES_BEFORE.integer(get(NOTES_BEFORE.name))?,
            limit,
        };
        let lang = match LANG.word(get(LANG.name))? {
            "en" => Lang::En,
            _ => Lang::Nl,
        };
        Ok(NotesRequest { query, csv, lang })
    }
}

#[cfg(test)]
mod notes_tests {
    use super::*;

    #[test]
    fn health_ids_are_the_vocabulary() {
        let ids: Vec<&str> = HealthDimension::ALL.iter().map(|h| h.id()).collect();
        assert_eq!(ids, HEALTH_IDS);
    }
}
