//! Reading a REFI-QDA project made or changed by another tool, and planning what it adds to a
//! study: new codes (`CodeDefined`), new codings (`ExcerptCoded`) and new memos (`MemoWritten`).
//!
//! **Matched by GUID, idempotent.** A code's GUID is its `CodeDefined` event id, so a new code
//! is defined with the foreign GUID as its event id; a new selection's coding takes the
//! selection's GUID, or (codes added to a selection parlog has, or a GUID taken) a GUID derived
//! from the selection and its new codes. A coding counts as present when a coding of the same
//! note and range has the code; so importing an unchanged export plans nothing, and importing
//! the same file twice appends once (the store answers a repeated id as a duplicate as well).
//!
//! **Offsets** are Unicode code points into the source's text file, which must equal the
//! note's current text in parlog (line ends aside); else that source's selections are refused.
//!
//! **Lenient:** the project document may be `<name>.qde`, in any namespace, with a BOM; the
//! folder `sources/` in any case; elements parlog does not keep are ignored and counted.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Cursor, Read};

use parlog_core::limits::{LIST_ITEMS_MAX, LONG_TEXT_CHARS_MAX, SHORT_TEXT_CHARS_MAX};
use parlog_core::{
    CodeDefined, DomainEvent, EventId, EventKind, ExcerptCoded, List, LongText, MemoWritten, NewEvent, ParticipantId,
    ShortText, StreamId, Timestamp,
};
use quick_xml::events::Event;
use uuid::Uuid;

use super::export::LfText;
use super::model::{derived_guid, Model};
use super::xml::{attr, local_name};
use super::*;

// ---- what the file says ----------------------------------------------------------------------

#[derive(Debug, Default)]
struct ForeignCode {
    guid: Uuid,
    name: String,
    description: Option<String>,
    codable: bool,
    coloured: bool,
    notes: Vec<Uuid>,
}

#[derive(Debug, Default)]
struct ForeignSelection {
    guid: Uuid,
    start: i64,
    end: i64,
    codes: Vec<Uuid>,
    notes: Vec<Uuid>,
}

/// A `TextSource`, or a `Note` (which has the same type).
#[derive(Debug, Default)]
struct ForeignText {
    is_note: bool,
    guid: Uuid,
    name: String,
    path: Option<String>,
    content: Option<String>,
    selections: Vec<ForeignSelection>,
    /// Codings of the text as a whole (not kept: parlog codes passages).
    whole_codings: usize,
    notes: Vec<Uuid>,
}

#[derive(Debug, Default)]
struct Foreign {
    codes: Vec<ForeignCode>,
    texts: Vec<ForeignText>,
    /// Elements parlog does not read, by name, with their count.
    ignored: BTreeMap<String, usize>,
}

/// Where in the document the reader is, for what a child element or text belongs to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Frame {
    Other,
    /// Ignored with everything inside.
    Skip,
    Code(usize),
    Text(usize),
    Selection(usize, usize),
    Coding,
    Description,
    Content,
}

fn guid_of(e: &quick_xml::events::BytesStart<'_>, name: &str, a: &'static str) -> Result<Uuid, QdaError> {
    let value = attr(e, a).ok_or_else(|| QdaError::MissingAttr { element: name.to_string(), attr: a })?;
    Uuid::parse_str(value.trim()).map_err(|_| QdaError::BadGuid { element: name.to_string(), attr: a, value })
}

fn offset_of(e: &quick_xml::events::BytesStart<'_>, guid: Uuid, a: &'static str) -> Result<i64, QdaError> {
    let value = attr(e, a).ok_or_else(|| QdaError::MissingAttr { element: "PlainTextSelection".into(), attr: a })?;
    value.trim().parse().map_err(|_| QdaError::BadOffset { guid: guid.to_string(), attr: a, value })
}

/// Elements of the project that parlog writes itself and does not read back (users, variables,
/// cases: parlog keeps its own), so they are not reported as ignored.
const OWN_ELEMENTS: &[&str] = &["Users", "Variables", "Cases", "Description", "NoteRef"];

fn parse_qde(text: &str) -> Result<Foreign, QdaError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut r = quick_xml::Reader::from_str(text);
    let mut f = Foreign::default();
    let mut stack: Vec<Frame> = Vec::new();
    let mut root_seen = false;
    loop {
        let at = r.buffer_position();
        let ev = r.read_event().map_err(|e| QdaError::Xml { at, why: e.to_string() })?;
        let (start, empty) = match &ev {
            Event::Start(s) => (Some(s.clone()), false),
            Event::Empty(s) => (Some(s.clone()), true),
            _ => (None, false),
        };
        if let Some(s) = start {
            let name = local_name(&s);
            if !root_seen {
                root_seen = true;
                if name != "Project" {
                    return Err(QdaError::NotProject(name));
                }
                if !empty {
                    stack.push(Frame::Other);
                }
                continue;
            }
            let parent = stack.last().copied().unwrap_or(Frame::Other);
            let in_top = stack.len() == 1;
            let frame = element(&mut f, &s, &name, parent, in_top, &stack)?;
            if !empty {
                if stack.len() >= XML_DEPTH_MAX {
                    return Err(QdaError::TooDeep(XML_DEPTH_MAX));
                }
                stack.push(frame);
            }
            continue;
        }
        match ev {
            Event::End(_) => {
                stack.pop();
            }
            Event::Text(t) => push_text(&mut f, &stack, &t.xml10_content()),
            Event::CData(t) => push_text(&mut f, &stack, &t.xml10_content()),
            Event::GeneralRef(g) => {
                let s = match g.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => match quick_xml::escape::resolve_predefined_entity(&g.xml10_content()) {
                        Some(s) => s.to_string(),
                        None => return Err(QdaError::Xml { at, why: format!("unknown entity &{};", g.into_inner()) }),
                    },
                };
                push_text(&mut f, &stack, &s);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !root_seen {
        return Err(QdaError::NotProject("(none)".into()));
    }
    Ok(f)
}

/// Handles the start of an element: records what parlog reads, and says what its children
/// belong to.
fn element(
    f: &mut Foreign,
    s: &quick_xml::events::BytesStart<'_>,
    name: &str,
    parent: Frame,
    in_top: bool,
    stack: &[Frame],
) -> Result<Frame, QdaError> {
    if parent == Frame::Skip {
        return Ok(Frame::Skip);
    }
    let ignore = |f: &mut Foreign, what: &str| {
        *f.ignored.entry(what.to_string()).or_default() += 1;
        Frame::Skip
    };
    Ok(match (name, parent) {
        ("CodeBook" | "Codes" | "Sources" | "Notes", _) if in_top || name == "Codes" => Frame::Other,
        ("Code", Frame::Other | Frame::Code(_)) if stack.len() >= 2 => {
            let guid = guid_of(s, name, "guid")?;
            let codable = attr(s, "isCodable").map(|v| v.trim() != "false" && v.trim() != "0").unwrap_or(true);
            f.codes.push(ForeignCode {
                guid,
                name: attr(s, "name").unwrap_or_default(),
                codable,
                coloured: attr(s, "color").is_some(),
                ..ForeignCode::default()
            });
            Frame::Code(f.codes.len() - 1)
        }
        ("Description", Frame::Code(_)) => Frame::Description,
        ("NoteRef", Frame::Code(i)) => {
            f.codes[i].notes.push(guid_of(s, name, "targetGUID")?);
            Frame::Other
        }
        ("TextSource" | "Note", Frame::Other) if stack.len() == 2 => {
            f.texts.push(ForeignText {
                is_note: name == "Note",
                guid: guid_of(s, name, "guid")?,
                name: attr(s, "name").unwrap_or_default(),
                path: attr(s, "plainTextPath"),
                ..ForeignText::default()
            });
            Frame::Text(f.texts.len() - 1)
        }
        ("PictureSource" | "PDFSource" | "AudioSource" | "VideoSource", _) => ignore(f, name),
        ("PlainTextContent", Frame::Text(_)) => Frame::Content,
        ("PlainTextSelection", Frame::Text(i)) => {
            let guid = guid_of(s, name, "guid")?;
            let start = offset_of(s, guid, "startPosition")?;
            let end = offset_of(s, guid, "endPosition")?;
            f.texts[i].selections.push(ForeignSelection { guid, start, end, ..ForeignSelection::default() });
            Frame::Selection(i, f.texts[i].selections.len() - 1)
        }
        // The coding's CodeRef follows, and finds its selection in the frame under it.
        ("Coding", Frame::Selection(..)) => Frame::Coding,
        ("CodeRef", Frame::Coding) => {
            let code = guid_of(s, name, "targetGUID")?;
            // The selection is the frame under the coding.
            if let Some(Frame::Selection(i, j)) = stack.iter().rev().nth(1) {
                f.texts[*i].selections[*j].codes.push(code);
            }
            Frame::Other
        }
        ("Coding", Frame::Text(i)) => {
            f.texts[i].whole_codings += 1;
            Frame::Skip
        }
        ("NoteRef", Frame::Selection(i, j)) => {
            f.texts[i].selections[j].notes.push(guid_of(s, name, "targetGUID")?);
            Frame::Other
        }
        ("NoteRef", Frame::Text(i)) => {
            f.texts[i].notes.push(guid_of(s, name, "targetGUID")?);
            Frame::Other
        }
        (_, Frame::Other) if in_top && OWN_ELEMENTS.contains(&name) => Frame::Skip,
        (_, Frame::Other) if in_top => ignore(f, name),
        (_, Frame::Text(_) | Frame::Selection(..) | Frame::Code(_)) => Frame::Skip,
        _ => Frame::Skip,
    })
}

fn push_text(f: &mut Foreign, stack: &[Frame], s: &str) {
    let n = stack.len();
    match stack.last() {
        Some(Frame::Description) => {
            if let Some(Frame::Code(i)) = n.checked_sub(2).and_then(|k| stack.get(k)) {
                f.codes[*i].description.get_or_insert_with(String::new).push_str(s);
            }
        }
        Some(Frame::Content) => {
            if let Some(Frame::Text(i)) = n.checked_sub(2).and_then(|k| stack.get(k)) {
                f.texts[*i].content.get_or_insert_with(String::new).push_str(s);
            }
        }
        _ => {}
    }
}

// ---- the archive -----------------------------------------------------------------------------

/// An archive read within the limits: the project document and the names of its other files.
pub struct Archive {
    zip: zip::ZipArchive<Cursor<Vec<u8>>>,
    qde: String,
    /// Lower-cased `sources/<file>` → the entry's index.
    files: HashMap<String, usize>,
}

impl Archive {
    pub fn open(bytes: Vec<u8>) -> Result<Archive, QdaError> {
        let len = bytes.len() as u64;
        if len > QDPX_BYTES_MAX {
            return Err(QdaError::TooLarge { what: "the file".into(), bytes: len, max: QDPX_BYTES_MAX });
        }
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| QdaError::NotZip(e.to_string()))?;
        if zip.len() > QDPX_ENTRIES_MAX {
            return Err(QdaError::TooManyEntries { entries: zip.len(), max: QDPX_ENTRIES_MAX });
        }
        let mut total = 0u64;
        let mut qdes = Vec::new();
        let mut files = HashMap::new();
        for i in 0..zip.len() {
            let e = zip.by_index_raw(i).map_err(|e| QdaError::NotZip(e.to_string()))?;
            let name = e.name().map_err(|e| QdaError::NotZip(e.to_string()))?.replace('\\', "/");
            let (size, packed) = (e.size(), e.compressed_size().max(1));
            total += size;
            if size > QDPX_RATIO_MIN_BYTES && size / packed > QDPX_RATIO_MAX {
                return Err(QdaError::Bomb {
                    name,
                    ratio: size / packed,
                    max: QDPX_RATIO_MAX,
                    min: QDPX_RATIO_MIN_BYTES,
                });
            }
            let lower = name.to_lowercase();
            if !lower.contains('/') && lower.ends_with(".qde") {
                qdes.push((name.clone(), i));
            } else if let Some(file) = lower.strip_prefix("sources/") {
                files.insert(file.to_string(), i);
            }
        }
        if total > QDPX_UNPACKED_BYTES_MAX {
            return Err(QdaError::TooLarge {
                what: "the archive unpacked".into(),
                bytes: total,
                max: QDPX_UNPACKED_BYTES_MAX,
            });
        }
        let qde = match qdes.iter().find(|(n, _)| n.eq_ignore_ascii_case("project.qde")) {
            Some((_, i)) => *i,
            None => match &qdes[..] {
                [(_, i)] => *i,
                [] => {
                    let mut found: Vec<String> = (0..zip.len().min(10))
                        .filter_map(|i| zip.by_index_raw(i).ok().and_then(|e| e.name().ok().map(|n| n.to_string())))
                        .collect();
                    if zip.len() > 10 {
                        found.push("…".into());
                    }
                    let found = if found.is_empty() { "nothing".into() } else { found.join(", ") };
                    return Err(QdaError::NoQde { found });
                }
                many => {
                    let names: Vec<&str> = many.iter().map(|(n, _)| n.as_str()).collect();
                    return Err(QdaError::SeveralQde { names: names.join(", ") });
                }
            },
        };
        let mut a = Archive { zip, qde: String::new(), files };
        let bytes = a.entry(qde, QDE_BYTES_MAX)?;
        a.qde = decode(bytes, "the project document")?;
        Ok(a)
    }

    /// An entry's bytes, reading no more than `max` whatever its header says.
    fn entry(&mut self, i: usize, max: u64) -> Result<Vec<u8>, QdaError> {
        let mut e = self.zip.by_index(i).map_err(|e| QdaError::NotZip(e.to_string()))?;
        let name = e.name().map(|n| n.to_string()).unwrap_or_default();
        let mut out = Vec::with_capacity(e.size().min(max) as usize);
        (&mut e).take(max + 1).read_to_end(&mut out).map_err(|e| QdaError::NotZip(format!("{name}: {e}")))?;
        if out.len() as u64 > max {
            return Err(QdaError::TooLarge { what: name, bytes: out.len() as u64, max });
        }
        Ok(out)
    }

    /// The text of `internal://<file>`, from `sources/` (any case); `None` if the archive has none.
    fn source_text(&mut self, path: &str) -> Result<Option<String>, QdaError> {
        let file = path.trim();
        let file = file.strip_prefix("internal://").unwrap_or(file).to_lowercase();
        let Some(i) = self.files.get(&file).copied() else { return Ok(None) };
        let bytes = self.entry(i, QDE_BYTES_MAX)?;
        decode(bytes, &format!("sources/{file}")).map(Some)
    }
}

/// UTF-8 text, without a byte order mark; UTF-16 with one is read too (some tools write it).
fn decode(bytes: Vec<u8>, what: &str) -> Result<String, QdaError> {
    let utf16 = |b: &[u8], le: bool| -> Result<String, QdaError> {
        let units: Vec<u16> = b
            .chunks_exact(2)
            .map(|c| if le { u16::from_le_bytes([c[0], c[1]]) } else { u16::from_be_bytes([c[0], c[1]]) })
            .collect();
        String::from_utf16(&units).map_err(|e| QdaError::NotText { what: what.into(), why: e.to_string() })
    };
    match bytes.as_slice() {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        [0xEF, 0xBB, 0xBF, rest @ ..] => {
            String::from_utf8(rest.to_vec()).map_err(|e| QdaError::NotText { what: what.into(), why: e.to_string() })
        }
        _ => String::from_utf8(bytes).map_err(|e| QdaError::NotText { what: what.into(), why: e.to_string() }),
    }
}

// ---- the plan --------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct NewCode {
    pub id: EventId,
    pub stream: StreamId,
    pub name: ShortText,
    pub description: Option<LongText>,
}

#[derive(Debug, Clone)]
pub struct NewCoding {
    pub id: EventId,
    pub source: EventId,
    /// The source's name in parlog's export (kind, day, author).
    pub source_name: String,
    pub start: u32,
    pub end: u32,
    /// (stream, name) of each code.
    pub codes: Vec<(StreamId, String)>,
    /// The passage, as it stands in the note.
    pub quote: String,
}

#[derive(Debug, Clone)]
pub struct NewMemo {
    pub id: EventId,
    pub stream: StreamId,
    pub title: ShortText,
    pub text: LongText,
    pub codes: Vec<StreamId>,
    pub notes: Vec<EventId>,
}

/// Something in the file that parlog does not take, for the user to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ignored {
    /// Elements of kinds parlog does not keep (sets, graphs, links, pictures, …), by name.
    Elements { name: String, count: usize },
    /// Codes with a colour: parlog keeps none.
    Colours(usize),
    /// Codes that are folders (`isCodable="false"`).
    Folders(usize),
    /// Codings of a whole source rather than a passage.
    WholeCodings(usize),
    /// A code parlog has, under another name in the file (rename it in parlog if meant).
    Renamed { from: String, to: String },
    /// A memo parlog has whose text differs in the file (memos are not amended by an import).
    MemoChanged { title: String },
    /// A memo with no text.
    EmptyMemo { name: String },
    /// A source that parlog does not have, with no codings on it.
    UnknownSource { name: String },
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub codes: Vec<NewCode>,
    pub codings: Vec<NewCoding>,
    pub memos: Vec<NewMemo>,
    pub ignored: Vec<Ignored>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty() && self.codings.is_empty() && self.memos.is_empty()
    }

    /// The events to append, by `author`, happening `at`: codes first, then codings, then memos.
    pub fn events(&self, author: &ParticipantId, at: Timestamp) -> Vec<NewEvent> {
        let coding_stream = StreamId::parse(&format!("coding:qda-{author}")).expect("a participant id is a slug");
        let new = |id: EventId, stream: StreamId, event: DomainEvent| NewEvent {
            id,
            stream,
            event,
            occurred_at: at,
            author: author.clone(),
            causation: Vec::new(),
            expected_version: None,
            sealed: None,
        };
        let mut out = Vec::new();
        for c in &self.codes {
            let e = CodeDefined { name: c.name.clone(), description: c.description.clone() };
            out.push(new(c.id, c.stream.clone(), DomainEvent::CodeDefined(e)));
        }
        for c in &self.codings {
            let codes = List(c.codes.iter().map(|(s, _)| s.clone()).collect());
            let e = ExcerptCoded { source: c.source, codes, start: c.start, end: c.end };
            out.push(new(c.id, coding_stream.clone(), DomainEvent::ExcerptCoded(e)));
        }
        for m in &self.memos {
            let e = MemoWritten {
                title: m.title.clone(),
                text: m.text.clone(),
                codes: List(m.codes.clone()),
                notes: List(m.notes.clone()),
                cycle: None,
            };
            out.push(new(m.id, m.stream.clone(), DomainEvent::MemoWritten(e)));
        }
        out
    }
}

/// A stream name from a human name: lower-case ASCII letters and digits joined by `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(|c| c.to_lowercase()) {
        let folded: &str = match c {
            'a'..='z' | '0'..='9' => {
                out.push(c);
                continue;
            }
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
            'è' | 'é' | 'ê' | 'ë' => "e",
            'ì' | 'í' | 'î' | 'ï' => "i",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => "o",
            'ù' | 'ú' | 'û' | 'ü' => "u",
            'ý' | 'ÿ' => "y",
            'ç' => "c",
            'ñ' => "n",
            'ĳ' => "ij",
            'ß' => "ss",
            'æ' => "ae",
            'œ' => "oe",
            _ => "-",
        };
        out.push_str(folded);
    }
    let mut s = String::new();
    for part in out.split('-').filter(|p| !p.is_empty()) {
        if !s.is_empty() {
            s.push('-');
        }
        s.push_str(part);
    }
    // Room for a "-NN" that makes it unique, within the limit of an id.
    let s: String = s.chars().take(60).collect();
    let s = s.trim_end_matches('-').to_string();
    if s.is_empty() {
        "code".into()
    } else {
        s
    }
}

/// A name cut to a short text's limit, marked as cut.
fn short(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() <= SHORT_TEXT_CHARS_MAX {
        return s.to_string();
    }
    let mut t: String = s.chars().take(SHORT_TEXT_CHARS_MAX - 1).collect();
    t.push('…');
    t
}

/// Reads `bytes` (a `.qdpx`) and plans what it adds to the study `m`. Every problem with a code,
/// selection or memo is collected; if there is any, nothing is planned and all are named.
pub fn plan(m: &Model, bytes: Vec<u8>, source_name: impl Fn(EventId) -> String) -> Result<Plan, QdaError> {
    let mut archive = Archive::open(bytes)?;
    let f = parse_qde(&std::mem::take(&mut archive.qde))?;
    let mut problems: Vec<String> = Vec::new();
    let mut plan = Plan::default();
    for (name, count) in &f.ignored {
        plan.ignored.push(Ignored::Elements { name: name.clone(), count: *count });
    }
    let coloured = f.codes.iter().filter(|c| c.coloured).count();
    if coloured > 0 {
        plan.ignored.push(Ignored::Colours(coloured));
    }
    let folders = f.codes.iter().filter(|c| !c.codable).count();
    if folders > 0 {
        plan.ignored.push(Ignored::Folders(folders));
    }
    let whole: usize = f.texts.iter().map(|t| t.whole_codings).sum();
    if whole > 0 {
        plan.ignored.push(Ignored::WholeCodings(whole));
    }

    // Codes: by GUID, the stream each names (known, or new in this plan).
    let mut taken: BTreeSet<String> = m.code_streams.clone();
    let mut code_stream: HashMap<Uuid, (StreamId, String)> = HashMap::new();
    for c in m.codes.values() {
        let stream = StreamId::parse(&c.stream).expect("a stored stream id");
        for g in std::iter::once(c.guid).chain(c.absorbed.iter().copied()) {
            code_stream.insert(g, (stream.clone(), c.name.clone()));
        }
    }
    for c in f.codes.iter().filter(|c| c.codable) {
        if let Some(known) = m.code_by_guid(c.guid) {
            if known.name != c.name.trim() && known.guid == c.guid {
                plan.ignored.push(Ignored::Renamed { from: known.name.clone(), to: c.name.trim().to_string() });
            }
            continue;
        }
        if code_stream.contains_key(&c.guid) {
            continue; // listed twice in the file
        }
        if let Some(kind) = m.ids.get(&EventId(c.guid)) {
            problems.push(format!(
                "code {:?} ({}): its GUID is the id of a {} event in parlog, not of a code",
                c.name,
                c.guid,
                kind.name()
            ));
            continue;
        }
        let name = match ShortText::new(c.name.trim()) {
            Ok(n) => n,
            Err(why) => {
                problems.push(format!("code {} ({:?}): its name: {why}", c.guid, c.name));
                continue;
            }
        };
        let description = match c.description.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            None => None,
            Some(d) => match LongText::new(d) {
                Ok(d) => Some(d),
                Err(why) => {
                    problems.push(format!("code {:?}: its description: {why}", c.name));
                    continue;
                }
            },
        };
        let base = slug(name.as_str());
        let mut stream = format!("code:{base}");
        let mut n = 2;
        while taken.contains(&stream) {
            stream = format!("code:{base}-{n}");
            n += 1;
        }
        taken.insert(stream.clone());
        let stream = StreamId::parse(&stream).expect("a slug makes a stream id");
        code_stream.insert(c.guid, (stream.clone(), name.to_string()));
        plan.codes.push(NewCode { id: EventId(c.guid), stream, name, description });
    }

    // Selections, on the texts parlog exported.
    let mut used_ids: BTreeSet<Uuid> = plan.codes.iter().map(|c| c.id.0).collect();
    let mut texts = f.texts;
    for t in texts.iter_mut() {
        let ours = m.text(EventId(t.guid));
        let label = if t.name.is_empty() { t.guid.to_string() } else { format!("{:?} ({})", t.name, t.guid) };
        let what = if t.is_note { "note" } else { "source" };
        let Some(ours) = ours else {
            if !t.is_note && !t.selections.is_empty() {
                problems.push(format!(
                    "{what} {label} is not a note of this study: parlog takes codings only on the notes it exported ({} selection(s) on it)",
                    t.selections.len()
                ));
            } else if !t.is_note {
                plan.ignored.push(Ignored::UnknownSource { name: label.clone() });
            }
            continue;
        };
        if t.selections.is_empty() {
            continue;
        }
        let Some(our_text) = ours.text.as_deref().filter(|_| !ours.withheld) else {
            problems.push(format!("{what} {label}: its text is not readable in parlog (forgotten or withheld), so nothing can be coded on it"));
            continue;
        };
        let file = match (&t.content, &t.path) {
            (Some(c), _) if t.path.is_none() || t.is_note => Some(c.clone()),
            (_, Some(p)) => archive.source_text(p)?,
            (c, None) => c.clone(),
        };
        let Some(file) = file else {
            problems.push(format!(
                "{what} {label}: its text file {} is not in the archive's sources/ folder",
                t.path.as_deref().unwrap_or("(none named)")
            ));
            continue;
        };
        let file = file.strip_prefix('\u{FEFF}').unwrap_or(&file);
        let theirs = LfText::new(file);
        let ours_lf = LfText::new(our_text);
        if theirs.text != ours_lf.text {
            problems.push(format!(
                "{what} {label}: its text differs from the note's current text in parlog (amended since the export, or changed in the other tool), so its {} selection(s) are refused",
                t.selections.len()
            ));
            continue;
        }
        let file_chars = file.chars().count() as i64;
        let our_chars: Vec<char> = our_text.chars().collect();
        // What is coded on each range already: parlog's codings, the whole-note codes, and
        // those planned above.
        let mut present: HashMap<(u32, u32), BTreeSet<String>> = HashMap::new();
        for x in m.excerpts.iter().filter(|x| x.source == ours.id) {
            present.entry((x.start, x.end)).or_default().extend(x.codes.iter().cloned());
        }
        if !ours.whole.is_empty() {
            present.entry((0, our_chars.len() as u32)).or_default().extend(ours.whole.iter().cloned());
        }
        for s in &t.selections {
            if s.start < 0 || s.end <= s.start || s.end > file_chars {
                problems.push(format!(
                    "selection {} on {what} {label}: characters {} to {} are not a passage of its text ({file_chars} characters)",
                    s.guid, s.start, s.end
                ));
                continue;
            }
            let start = ours_lf.from_lf(theirs.to_lf(s.start as usize));
            let end = ours_lf.from_lf(theirs.to_lf(s.end as usize));
            let (start, end) = (start as u32, end as u32);
            let mut new: Vec<(StreamId, String, Uuid)> = Vec::new();
            let mut bad = false;
            for g in &s.codes {
                match code_stream.get(g) {
                    Some((stream, name)) => {
                        let had = present.get(&(start, end)).is_some_and(|p| p.contains(stream.as_str()));
                        if !had && !new.iter().any(|(st, _, _)| st == stream) {
                            new.push((stream.clone(), name.clone(), *g));
                        }
                    }
                    None => {
                        problems.push(format!(
                            "selection {} on {what} {label}: code {g} is neither in the file's codebook nor in parlog",
                            s.guid
                        ));
                        bad = true;
                    }
                }
            }
            if bad || new.is_empty() {
                continue;
            }
            if new.len() > LIST_ITEMS_MAX {
                problems.push(format!("selection {}: more than {LIST_ITEMS_MAX} codes", s.guid));
                continue;
            }
            let mut id = s.guid;
            if m.ids.contains_key(&EventId(id)) || used_ids.contains(&id) {
                let mut guids: Vec<String> = new.iter().map(|(_, _, g)| g.to_string()).collect();
                guids.sort();
                id = derived_guid(&format!("selection:{}:{}", s.guid, guids.join(",")));
                if m.ids.contains_key(&EventId(id)) || used_ids.contains(&id) {
                    continue;
                }
            }
            used_ids.insert(id);
            present.entry((start, end)).or_default().extend(new.iter().map(|(st, _, _)| st.to_string()));
            plan.codings.push(NewCoding {
                id: EventId(id),
                source: ours.id,
                source_name: source_name(ours.id),
                start,
                end,
                codes: new.into_iter().map(|(st, n, _)| (st, n)).collect(),
                quote: our_chars[start as usize..end as usize].iter().collect(),
            });
        }
    }

    // Memos: notes of the file that parlog does not have.
    let mut about_codes: HashMap<Uuid, Vec<StreamId>> = HashMap::new();
    for c in &f.codes {
        if let Some((stream, _)) = code_stream.get(&c.guid) {
            for n in &c.notes {
                about_codes.entry(*n).or_default().push(stream.clone());
            }
        }
    }
    let mut about_texts: HashMap<Uuid, Vec<EventId>> = HashMap::new();
    for t in &texts {
        if m.text(EventId(t.guid)).is_none() {
            continue;
        }
        for n in t.notes.iter().chain(t.selections.iter().flat_map(|s| s.notes.iter())) {
            about_texts.entry(*n).or_default().push(EventId(t.guid));
        }
    }
    for t in texts.iter().filter(|t| t.is_note) {
        let title_of = || short(if t.name.trim().is_empty() { "memo" } else { &t.name });
        let content = match (&t.content, &t.path) {
            (Some(c), _) => Some(c.clone()),
            (None, Some(p)) => archive.source_text(p)?,
            (None, None) => None,
        };
        let content = content.map(|c| c.strip_prefix('\u{FEFF}').map(str::to_string).unwrap_or(c));
        match m.ids.get(&EventId(t.guid)) {
            Some(EventKind::MemoWritten) => {
                let ours = m.text(EventId(t.guid)).and_then(|o| o.text.clone());
                let theirs = content.as_deref().map(|c| LfText::new(c).text);
                if ours.map(|o| LfText::new(&o).text) != theirs && theirs.is_some() {
                    plan.ignored.push(Ignored::MemoChanged { title: title_of() });
                }
                continue;
            }
            Some(kind) => {
                problems.push(format!(
                    "note {:?} ({}): its GUID is the id of a {} event in parlog, not of a memo",
                    t.name,
                    t.guid,
                    kind.name()
                ));
                continue;
            }
            None => {}
        }
        if used_ids.contains(&t.guid) {
            problems.push(format!("note {:?} ({}): its GUID is used twice in the file", t.name, t.guid));
            continue;
        }
        let Some(text) = content.filter(|c| !c.trim().is_empty()) else {
            plan.ignored.push(Ignored::EmptyMemo { name: title_of() });
            continue;
        };
        let text = LfText::new(&text).text;
        let text = match LongText::new(text) {
            Ok(t) => t,
            Err(why) => {
                problems.push(format!(
                    "note {:?}: its text: {why} (a memo holds at most {LONG_TEXT_CHARS_MAX} characters)",
                    t.name
                ));
                continue;
            }
        };
        let title = ShortText::new(title_of()).expect("a short, non-blank title");
        let mut codes = about_codes.remove(&t.guid).unwrap_or_default();
        codes.dedup();
        codes.truncate(LIST_ITEMS_MAX);
        let mut notes = about_texts.remove(&t.guid).unwrap_or_default();
        notes.sort_by_key(|n| n.0);
        notes.dedup();
        notes.truncate(LIST_ITEMS_MAX);
        let stream = StreamId::parse(&format!("memo:{}", slug(title.as_str()))).expect("a slug makes a stream id");
        used_ids.insert(t.guid);
        plan.memos.push(NewMemo { id: EventId(t.guid), stream, title, text, codes, notes });
    }

    if !problems.is_empty() {
        let count = problems.len();
        let mut list: Vec<String> = problems.into_iter().take(PROBLEMS_SHOWN_MAX).map(|p| format!("- {p}")).collect();
        if count > PROBLEMS_SHOWN_MAX {
            list.push(format!("- … and {} more", count - PROBLEMS_SHOWN_MAX));
        }
        return Err(QdaError::Refused { count, list: list.join("\n") });
    }
    Ok(plan)
}
