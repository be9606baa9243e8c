//! Writing a study as a REFI-QDA project (`.qdpx`: a ZIP with `project.qde` and `sources/`) or
//! its codebook alone (`.qdc`). Element order follows the schemas (QDA-XML 1.0, March 2019);
//! every GUID is an event id or derived from one (`model::derived_guid`), so exporting the same
//! log twice gives the same bytes.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use parlog_core::{EventId, EventKind, Lang};
use uuid::Uuid;

use super::model::{derived_guid, user_guid, Model, Text, VARIABLES};
use super::xml::Writer;
use super::QdaError;

pub const PROJECT_NS: &str = "urn:QDA-XML:project:1.0";
pub const CODEBOOK_NS: &str = "urn:QDA-XML:codebook:1.0";
/// What the files say made them.
pub fn origin() -> String {
    format!("parlog {}", env!("CARGO_PKG_VERSION"))
}

/// The GUID of the selection over the whole of a note coded as a whole.
pub fn whole_selection_guid(note: EventId) -> Uuid {
    derived_guid(&format!("whole:{note}"))
}

/// The GUID of one code applied on one selection.
fn coding_guid(selection: Uuid, code: Uuid) -> Uuid {
    derived_guid(&format!("coding:{selection}:{code}"))
}

fn variable_guid(name: &str) -> Uuid {
    derived_guid(&format!("variable:{name}"))
}

/// A text as the files hold it: line ends as LF (tools count CRLF differently), with the code
/// point positions of the `\r`s taken out of CRLF pairs, to move offsets between the two.
pub struct LfText {
    pub text: String,
    removed: Vec<usize>,
}

impl LfText {
    pub fn new(s: &str) -> LfText {
        if !s.contains('\r') {
            return LfText { text: s.to_string(), removed: Vec::new() };
        }
        let mut text = String::with_capacity(s.len());
        let mut removed = Vec::new();
        let chars: Vec<char> = s.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            match c {
                '\r' if chars.get(i + 1) == Some(&'\n') => removed.push(i),
                // A lone CR is a line end too; one character for one, offsets keep.
                '\r' => text.push('\n'),
                c => text.push(*c),
            }
        }
        LfText { text, removed }
    }
    /// An offset into the original text as an offset into `text`.
    pub fn to_lf(&self, o: usize) -> usize {
        o - self.removed.iter().take_while(|r| **r < o).count()
    }
    /// An offset into `text` as an offset into the original text.
    pub fn from_lf(&self, o: usize) -> usize {
        let mut k = 0;
        for r in &self.removed {
            if *r < o + k {
                k += 1;
            } else {
                break;
            }
        }
        o + k
    }
}

/// A text's kind in the language of the export.
fn kind_word(kind: EventKind, lang: Lang) -> &'static str {
    match (kind, lang) {
        (EventKind::ObservationRecorded, Lang::Nl) => "veldnotitie",
        (EventKind::ObservationRecorded, Lang::En) => "field note",
        (EventKind::ReflectionRecorded, Lang::Nl) => "reflectie",
        (EventKind::ReflectionRecorded, Lang::En) => "reflection",
        (_, Lang::Nl) => "memo",
        (_, Lang::En) => "memo",
    }
}

/// The name a tool shows for a source: kind, day, author and topic.
pub fn source_name(m: &Model, t: &Text, lang: Lang) -> String {
    let author = m.users.get(&t.author).map(|u| u.label.as_str()).unwrap_or(t.author.as_str());
    let mut name = format!("{} {} · {author}", kind_word(t.kind, lang), t.occurred.date());
    if let Some(topic) = &t.title {
        name.push_str(" · ");
        name.push_str(topic);
    }
    name
}

/// One selection to write: its GUID, range (code points in the LF text), codes, who and when.
struct Selection {
    guid: Uuid,
    start: usize,
    end: usize,
    codes: Vec<Uuid>,
    author: String,
    at: String,
}

/// The whole project: `project.qde` and the text files of `sources/` (name, bytes).
pub struct Project {
    pub qde: String,
    pub sources: Vec<(String, String)>,
}

/// Builds the project document and its source files.
pub fn project(m: &Model, lang: Lang) -> Project {
    let code_guid = |stream: &str| m.codes.get(stream).map(|c| c.guid);
    let exported: Vec<&Text> = m.texts.iter().filter(|t| t.text.is_some()).collect();
    let shown: HashMap<EventId, &Text> = exported.iter().map(|t| (t.id, *t)).collect();
    let lf: HashMap<EventId, LfText> =
        exported.iter().map(|t| (t.id, LfText::new(t.text.as_deref().unwrap_or_default()))).collect();

    // Selections per text: coded excerpts, then the note coded as a whole.
    let mut selections: BTreeMap<EventId, Vec<Selection>> = BTreeMap::new();
    for x in &m.excerpts {
        let Some(t) = lf.get(&x.source) else { continue };
        let codes: Vec<Uuid> = x.codes.iter().filter_map(|c| code_guid(c)).collect();
        if codes.is_empty() {
            continue;
        }
        selections.entry(x.source).or_default().push(Selection {
            guid: x.id.0,
            start: t.to_lf(x.start as usize),
            end: t.to_lf(x.end as usize),
            codes,
            author: x.author.clone(),
            at: x.occurred.to_string(),
        });
    }
    for t in &exported {
        let codes: Vec<Uuid> = t.whole.iter().filter_map(|c| code_guid(c)).collect();
        let end = lf[&t.id].text.chars().count();
        if codes.is_empty() || end == 0 {
            continue;
        }
        selections.entry(t.id).or_default().push(Selection {
            guid: whole_selection_guid(t.id),
            start: 0,
            end,
            codes,
            author: t.author.clone(),
            at: t.occurred.to_string(),
        });
    }
    // Memos about codes and notes, by what they are about.
    let mut memos_on_code: BTreeMap<&str, Vec<Uuid>> = BTreeMap::new();
    let mut memos_on_text: BTreeMap<EventId, Vec<Uuid>> = BTreeMap::new();
    for memo in m.texts.iter().filter(|t| t.is_memo()) {
        for c in &memo.about_codes {
            memos_on_code.entry(c.as_str()).or_default().push(memo.id.0);
        }
        for n in &memo.about_notes {
            if shown.contains_key(n) {
                memos_on_text.entry(*n).or_default().push(memo.id.0);
            }
        }
    }

    let title = m.title.clone().unwrap_or_else(|| "parlog".to_string());
    let origin = origin();
    let creator = m.started.as_ref().map(|(a, _)| user_guid(a).to_string());
    let created = m.started.as_ref().map(|(_, t)| t.to_string());
    let mut w = Writer::new();
    let mut attrs: Vec<(&str, &str)> = vec![("xmlns", PROJECT_NS), ("name", &title), ("origin", &origin)];
    if let (Some(c), Some(t)) = (&creator, &created) {
        attrs.push(("creatingUserGUID", c));
        attrs.push(("creationDateTime", t));
    }
    w.open("Project", &attrs);

    if !m.users.is_empty() {
        w.open("Users", &[]);
        for u in m.users.values() {
            let guid = user_guid(&u.id).to_string();
            w.empty("User", &[("guid", &guid), ("name", &u.label), ("id", &u.id)]);
        }
        w.close("Users");
    }

    if !m.codes.is_empty() {
        w.open("CodeBook", &[]);
        w.open("Codes", &[]);
        for c in m.codes.values() {
            let guid = c.guid.to_string();
            let attrs = [("guid", guid.as_str()), ("name", c.name.as_str()), ("isCodable", "true")];
            let memos = memos_on_code.get(c.stream.as_str());
            if c.description.is_none() && memos.is_none() {
                w.empty("Code", &attrs);
                continue;
            }
            w.open("Code", &attrs);
            if let Some(d) = &c.description {
                w.text("Description", d);
            }
            for memo in memos.into_iter().flatten() {
                w.empty("NoteRef", &[("targetGUID", &memo.to_string())]);
            }
            w.close("Code");
        }
        w.close("Codes");
        w.close("CodeBook");
    }

    let used: Vec<&str> =
        VARIABLES.iter().copied().filter(|v| m.cases.iter().any(|c| c.values.iter().any(|(n, _)| n == v))).collect();
    if !used.is_empty() {
        w.open("Variables", &[]);
        for v in &used {
            w.empty("Variable", &[("guid", &variable_guid(v).to_string()), ("name", v), ("typeOfVariable", "Text")]);
        }
        w.close("Variables");
    }
    if !m.cases.is_empty() {
        w.open("Cases", &[]);
        for case in &m.cases {
            w.open("Case", &[("guid", &case.guid.to_string()), ("name", &case.name)]);
            for (name, value) in &case.values {
                w.open("VariableValue", &[]);
                w.empty("VariableRef", &[("targetGUID", &variable_guid(name).to_string())]);
                w.text("TextValue", value);
                w.close("VariableValue");
            }
            for t in exported.iter().filter(|t| !t.is_memo()) {
                let of_case = match case.kind {
                    "area" => t.area.as_deref() == Some(case.stream.as_str()),
                    _ => t.initiative.as_deref() == Some(case.stream.as_str()),
                };
                if of_case {
                    w.empty("SourceRef", &[("targetGUID", &t.id.to_string())]);
                }
            }
            w.close("Case");
        }
        w.close("Cases");
    }

    let mut sources = Vec::new();
    let notes: Vec<&&Text> = exported.iter().filter(|t| !t.is_memo()).collect();
    if !notes.is_empty() {
        w.open("Sources", &[]);
        for t in notes {
            let guid = t.id.to_string();
            let path = format!("internal://{guid}.txt");
            let name = source_name(m, t, lang);
            let user = user_guid(&t.author).to_string();
            let at = t.occurred.to_string();
            w.open(
                "TextSource",
                &[
                    ("guid", &guid),
                    ("name", &name),
                    ("plainTextPath", &path),
                    ("creatingUser", &user),
                    ("creationDateTime", &at),
                ],
            );
            write_selections(&mut w, selections.get(&t.id));
            for memo in memos_on_text.get(&t.id).into_iter().flatten() {
                w.empty("NoteRef", &[("targetGUID", &memo.to_string())]);
            }
            w.close("TextSource");
            sources.push((format!("{guid}.txt"), lf[&t.id].text.clone()));
        }
        w.close("Sources");
    }

    let memos: Vec<&&Text> = exported.iter().filter(|t| t.is_memo()).collect();
    if !memos.is_empty() {
        w.open("Notes", &[]);
        for t in memos {
            let guid = t.id.to_string();
            let user = user_guid(&t.author).to_string();
            let at = t.occurred.to_string();
            let name = t.title.clone().unwrap_or_default();
            w.open("Note", &[("guid", &guid), ("name", &name), ("creatingUser", &user), ("creationDateTime", &at)]);
            w.text("PlainTextContent", &lf[&t.id].text);
            write_selections(&mut w, selections.get(&t.id));
            for memo in memos_on_text.get(&t.id).into_iter().flatten() {
                w.empty("NoteRef", &[("targetGUID", &memo.to_string())]);
            }
            w.close("Note");
        }
        w.close("Notes");
    }
    w.close("Project");
    Project { qde: w.finish(), sources }
}

fn write_selections(w: &mut Writer, list: Option<&Vec<Selection>>) {
    for s in list.into_iter().flatten() {
        let guid = s.guid.to_string();
        let (start, end) = (s.start.to_string(), s.end.to_string());
        let user = user_guid(&s.author).to_string();
        w.open(
            "PlainTextSelection",
            &[
                ("guid", &guid),
                ("startPosition", &start),
                ("endPosition", &end),
                ("creatingUser", &user),
                ("creationDateTime", &s.at),
            ],
        );
        for code in &s.codes {
            let cg = coding_guid(s.guid, *code).to_string();
            w.open("Coding", &[("guid", &cg), ("creatingUser", &user), ("creationDateTime", &s.at)]);
            w.empty("CodeRef", &[("targetGUID", &code.to_string())]);
            w.close("Coding");
        }
        w.close("PlainTextSelection");
    }
}

/// The project as a `.qdpx` archive: `project.qde` first, then `sources/<guid>.txt`, flat,
/// deflated, with fixed times so the same log gives the same bytes.
pub fn qdpx(m: &Model, lang: Lang) -> Result<Vec<u8>, QdaError> {
    let p = project(m, lang);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    let io = |e: std::io::Error| QdaError::Write(e.to_string());
    let z = |e: zip::result::ZipError| QdaError::Write(e.to_string());
    zip.start_file("project.qde", options).map_err(z)?;
    zip.write_all(p.qde.as_bytes()).map_err(io)?;
    for (name, text) in &p.sources {
        zip.start_file(format!("sources/{name}"), options).map_err(z)?;
        zip.write_all(text.as_bytes()).map_err(io)?;
    }
    Ok(zip.finish().map_err(z)?.into_inner())
}

/// The codebook alone (`.qdc`). A REFI-QDA codebook holds at least one code.
pub fn qdc(m: &Model) -> Result<String, QdaError> {
    if m.codes.is_empty() {
        return Err(QdaError::NoCodes);
    }
    let origin = origin();
    let mut w = Writer::new();
    w.open("CodeBook", &[("xmlns", CODEBOOK_NS), ("origin", &origin)]);
    w.open("Codes", &[]);
    for c in m.codes.values() {
        let guid = c.guid.to_string();
        let attrs = [("guid", guid.as_str()), ("name", c.name.as_str()), ("isCodable", "true")];
        match &c.description {
            None => w.empty("Code", &attrs),
            Some(d) => {
                w.open("Code", &attrs);
                w.text("Description", d);
                w.close("Code");
            }
        }
    }
    w.close("Codes");
    w.close("CodeBook");
    Ok(w.finish())
}
