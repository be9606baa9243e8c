//! Exchange with QDA tools (REFI-QDA): `parlog export --format qdpx|qdc`, `parlog import
//! --format qdpx`, and `GET /api/v1/studies/{study}/export`.
//!
//! Every export is validated against the standard's schemas (Project.xsd, Codebook.xsd) with
//! xmllint. `scripts/test.sh` fetches the schemas into `target/refi-qda/` (or
//! `PARLOG_REFI_XSD_DIR`) and installs xmllint, and sets `PARLOG_TEST_XSD_REQUIRED=1`: then a
//! missing schema or validator fails the test; without it the validation is skipped, saying so.
//!
//! The round trip changes an exported project as another tool would (a new code, a passage
//! coded after non-ASCII text, a memo), imports it, and checks the coding lands on the same
//! characters, and that importing it again appends nothing.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use parlog_server::cli::demo::label_id;
use parlog_server::http::auth::Role;
use serde_json::{json, Value};

use super::api_support::{self, Api, Log};
use super::cli_support::{setup, setup_demo, workspace, CliTest};

// ---- validating against the REFI-QDA schemas ------------------------------------------------

fn xsd_dir() -> PathBuf {
    match std::env::var_os("PARLOG_REFI_XSD_DIR") {
        Some(d) if !d.is_empty() => PathBuf::from(d),
        _ => workspace().join("target/refi-qda"),
    }
}

/// Validates `xml` against `schema` (`Project.xsd` or `Codebook.xsd`) with xmllint. Without the
/// schema or xmllint the check is skipped (saying so), unless PARLOG_TEST_XSD_REQUIRED=1.
fn validate(xml: &[u8], schema: &str, what: &str) {
    let required = std::env::var("PARLOG_TEST_XSD_REQUIRED").is_ok_and(|v| v == "1");
    let xsd = xsd_dir().join(schema);
    let lint = Command::new("xmllint").arg("--version").output().is_ok_and(|o| o.status.success());
    if !xsd.exists() || !lint {
        let why = format!(
            "cannot validate {what}: {} (run scripts/test.sh, which fetches the schemas and installs xmllint)",
            if !xsd.exists() { format!("{} is missing", xsd.display()) } else { "xmllint is missing".to_string() }
        );
        assert!(!required, "{why}; PARLOG_TEST_XSD_REQUIRED=1");
        eprintln!("skipped: {why}");
        return;
    }
    let tmp = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(tmp.path(), xml).expect("write the document");
    let out =
        Command::new("xmllint").arg("--noout").arg("--schema").arg(&xsd).arg(tmp.path()).output().expect("run xmllint");
    assert!(
        out.status.success(),
        "{what} is not valid against {schema}:\n{}\n--- document (first 3000 bytes) ---\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&xml[..xml.len().min(3000)])
    );
}

// ---- reading and changing archives ----------------------------------------------------------

/// The entries of a ZIP archive, by name, in archive order.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a ZIP archive");
    (0..z.len())
        .map(|i| {
            let mut e = z.by_index(i).expect("an entry");
            let mut b = Vec::new();
            e.read_to_end(&mut b).expect("read the entry");
            (e.name().expect("a name").to_string(), b)
        })
        .collect()
}

fn rezip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        z.start_file(name.as_str(), o).expect("start an entry");
        z.write_all(bytes).expect("write an entry");
    }
    z.finish().expect("finish the archive").into_inner()
}

fn entry<'a>(entries: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    &entries.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no entry {name}")).1
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).expect("UTF-8")
}

/// Checks what the standard and the tools ask of a project's container: `project.qde` at the
/// root, every other entry a flat `sources/<guid>.txt`, UTF-8 without BOM and with LF only,
/// every selection inside its source's text. Returns the source texts by GUID.
fn check_structure(entries: &[(String, Vec<u8>)]) -> BTreeMap<String, String> {
    assert_eq!(entries[0].0, "project.qde", "project.qde comes first, at the root");
    let mut texts = BTreeMap::new();
    for (name, bytes) in entries {
        assert!(!bytes.starts_with(&[0xEF, 0xBB, 0xBF]), "{name} starts with a BOM");
        assert!(!bytes.contains(&b'\r'), "{name} has a CR: line ends are LF");
        let s = String::from_utf8(bytes.clone()).unwrap_or_else(|e| panic!("{name} is not UTF-8: {e}"));
        if name == "project.qde" {
            continue;
        }
        let file = name.strip_prefix("sources/").unwrap_or_else(|| panic!("{name} is outside sources/"));
        let guid = file.strip_suffix(".txt").unwrap_or_else(|| panic!("{name} is not a .txt"));
        assert!(!guid.contains('/'), "{name}: sources/ is flat");
        uuid::Uuid::parse_str(guid).unwrap_or_else(|_| panic!("{name} is not named by a GUID"));
        texts.insert(guid.to_string(), s);
    }
    let qde = text(entry(entries, "project.qde"));
    // Each TextSource names its file, and each selection lies inside its text.
    for part in qde.split("<TextSource ").skip(1) {
        let guid = attr_of(part, "guid");
        assert_eq!(attr_of(part, "plainTextPath"), format!("internal://{guid}.txt"));
        let body = &part[..part.find("</TextSource>").unwrap_or(part.len())];
        let len = texts.get(&guid).unwrap_or_else(|| panic!("source {guid} has no file")).chars().count();
        for sel in body.split("<PlainTextSelection ").skip(1) {
            let (s, e): (usize, usize) =
                (attr_of(sel, "startPosition").parse().unwrap(), attr_of(sel, "endPosition").parse().unwrap());
            assert!(s < e && e <= len, "selection {s}..{e} outside source {guid} of {len} characters");
        }
    }
    texts
}

/// The value of `name="…"` in the first tag of `xml` (the tests' own exports: no escapes in GUIDs).
fn attr_of(xml: &str, name: &str) -> String {
    let tag = &xml[..xml.find('>').unwrap_or(xml.len())];
    let key = format!("{name}=\"");
    let at = match tag.starts_with(&key) {
        true => Some(key.len()),
        false => tag.find(&format!(" {key}")).map(|i| i + key.len() + 1),
    };
    let at = at.unwrap_or_else(|| panic!("no {name} in {tag}"));
    tag[at..at + tag[at..].find('"').expect("a closing quote")].to_string()
}

fn export(t: &CliTest, format: &str) -> Vec<u8> {
    let out = t.path(&format!("export.{format}"));
    t.ok(&["export", "--format", format, "--out", out.to_str().unwrap()]);
    std::fs::read(&out).expect("the export was written")
}

fn head(t: &CliTest) -> u64 {
    t.log_json(t.data()).last().and_then(|e| e["position"].as_u64()).unwrap_or(0)
}

fn show(t: &CliTest, id: &str) -> Value {
    t.run(&["show", id, "--json"]).success().json()
}

/// The code points `start..end` of `s`.
fn chars(s: &str, start: u64, end: u64) -> String {
    s.chars().skip(start as usize).take((end - start) as usize).collect()
}

/// The code point offset of `needle` in `s`.
fn char_offset(s: &str, needle: &str) -> usize {
    s[..s.find(needle).unwrap_or_else(|| panic!("{needle:?} not in {s:?}"))].chars().count()
}

fn write_file(t: &CliTest, name: &str, bytes: &[u8]) -> PathBuf {
    let p = t.path(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

fn import(t: &CliTest, file: &Path, author: &str) -> super::cli_support::Run {
    t.run(&["import", "--format", "qdpx", file.to_str().unwrap(), "--author", author, "--yes"])
}

// ---- exports --------------------------------------------------------------------------------

#[test]
fn the_demo_exports_as_a_valid_project_and_codebook() {
    let t = setup_demo();
    let qdpx = export(&t, "qdpx");
    let entries = unzip(&qdpx);
    let texts = check_structure(&entries);
    let qde = entry(&entries, "project.qde");
    validate(qde, "Project.xsd", "the demo's project.qde");
    let qdc = export(&t, "qdc");
    validate(&qdc, "Codebook.xsd", "the demo's codebook");

    let qde = text(qde);
    assert!(qde.contains("name=\"Makelen tussen team en wijk"), "Project@name is the study's title");
    // The codebook as of the head: renamed codes by their new name, merged codes folded away.
    assert!(qde.contains("name=\"gekanteld werken\""), "a renamed code has its new name");
    assert!(!qde.contains("name=\"makelaar als trekker\""), "a merged code is folded into its survivor");
    let trekker = label_id("code-trekkersrol").to_string();
    assert!(!qde.contains(&format!("targetGUID=\"{trekker}\"")), "codings name the survivor");
    // A code's GUID is its CodeDefined event id; a coded passage's GUID its ExcerptCoded id.
    assert!(qde.contains(&format!("guid=\"{}\"", label_id("code-eigenaarschap"))));
    let exc = label_id("exc-1").to_string();
    let sel = &qde[qde.find(&format!("<PlainTextSelection guid=\"{exc}\"")).expect("exc-1 is a selection")..];
    let (s, e): (u64, u64) =
        (attr_of(sel, "startPosition").parse().unwrap(), attr_of(sel, "endPosition").parse().unwrap());
    assert_eq!((s, e), (360, 413), "offsets are code points, as parlog stores them");
    // The passage is the one parlog shows for the note.
    let note = label_id("obs-g1-1").to_string();
    let sealed = show(&t, &note)["sealed"]["data"]["text"].as_str().expect("the note's text").to_string();
    assert_eq!(texts[&note], sealed, "the source file is the note's text");
    // Memos are notes with their text; cases are the areas and initiatives.
    assert!(qde.contains("<Note guid=") && qde.contains("<PlainTextContent>"), "memos as notes");
    assert!(qde.contains("name=\"Gouda-Noord\""), "an area as a case");
    assert!(qde.contains("<User guid="), "participants as users");
    // The same log gives the same bytes.
    assert_eq!(export(&t, "qdpx"), qdpx, "an export is a function of the log");
}

/// A made-up other municipality, with text that XML and tools get wrong: markup characters,
/// quotes, letters outside ASCII, an emoji, CRLF line ends.
#[test]
fn another_municipality_exports_valid_files_with_its_text_intact() {
    let t = setup();
    t.init();
    let note_text =
        "Overleg in 't Ĳsselhuis: <b>\"samen\"</b> & ‘anders’ 😀\r\nDe bewoners van Hoogkerk pakken het zelf op.";
    let events = [
        json!({"stream": "participant:onderzoeker-1", "kind": "ParticipantRegistered", "occurred_at": "2024-03-01T09:00:00+01:00", "author": "onderzoeker-1", "payload": {"label": "onderzoeker 1", "role": "researcher"}}),
        json!({"stream": "participant:makelaar-1", "kind": "ParticipantRegistered", "occurred_at": "2024-03-01T09:01:00+01:00", "author": "onderzoeker-1", "payload": {"label": "makelaar Hoogkerk", "role": "makelaar"}}),
        json!({"stream": "area:hoogkerk", "kind": "AreaDefined", "occurred_at": "2024-03-01T09:02:00+01:00", "author": "onderzoeker-1", "payload": {"name": "Hoogkerk", "kind": "district"}}),
        json!({"stream": "study:groningen", "kind": "StudyStarted", "occurred_at": "2024-03-02T09:00:00+01:00", "author": "onderzoeker-1", "payload": {"title": "Makelen in Hoogkerk & <omstreken>", "question": "Wat doet de makelaar?", "municipality": "Groningen", "levels": ["wijk"]}}),
        json!({"stream": "code:eigen-kracht", "kind": "CodeDefined", "occurred_at": "2024-03-03T09:00:00+01:00", "author": "onderzoeker-1", "payload": {"name": "eigen kracht \"&\" <samen>", "description": "Wat bewoners zelf doen."}}),
        json!({"id": "6f1c2b9e-0d1a-4c1e-9b7a-0c2b9f5d1e01", "stream": "notes:makelaar-1", "kind": "ObservationRecorded", "occurred_at": "2024-03-04T10:00:00+01:00", "author": "makelaar-1", "payload": {"area": "area:hoogkerk", "topic": "overleg", "codes": ["code:eigen-kracht"]}, "sealed": {"subjects": ["participant:makelaar-1"], "text": note_text}}),
    ];
    for e in &events {
        t.run_stdin(&["append"], &e.to_string()).success();
    }
    let entries = unzip(&export(&t, "qdpx"));
    let texts = check_structure(&entries);
    validate(entry(&entries, "project.qde"), "Project.xsd", "Hoogkerk's project.qde");
    validate(&export(&t, "qdc"), "Codebook.xsd", "Hoogkerk's codebook");
    let lf = note_text.replace("\r\n", "\n");
    assert_eq!(texts["6f1c2b9e-0d1a-4c1e-9b7a-0c2b9f5d1e01"], lf, "the text, with LF line ends");
    let qde = text(entry(&entries, "project.qde"));
    assert!(qde.contains("name=\"Makelen in Hoogkerk &amp; &lt;omstreken&gt;\""), "escaped: {qde}");
    // The note coded as a whole is a selection over its whole text (in the LF file).
    let whole = lf.chars().count().to_string();
    assert!(qde.contains(&format!("startPosition=\"0\" endPosition=\"{whole}\"")), "{qde}");
}

#[test]
fn a_forgotten_subjects_text_and_its_codings_are_not_exported() {
    let t = setup_demo();
    let note = label_id("obs-o1-1").to_string();
    let excerpt = label_id("exc-6").to_string();
    let before = unzip(&export(&t, "qdpx"));
    let sealed = text(entry(&before, &format!("sources/{note}.txt")));
    assert!(text(entry(&before, "project.qde")).contains(&excerpt));
    t.ok(&["forget", "resident:r-002", "--by", "onderzoeker-ggd", "--yes"]);
    let after = unzip(&export(&t, "qdpx"));
    check_structure(&after);
    validate(entry(&after, "project.qde"), "Project.xsd", "the project after a forget");
    assert!(!after.iter().any(|(n, _)| n.contains(&note)), "the forgotten note's text file is gone");
    let qde = text(entry(&after, "project.qde"));
    assert!(!qde.contains(&note) && !qde.contains(&excerpt), "nor its source or codings");
    let words: String = sealed.chars().take(40).collect();
    assert!(!after.iter().any(|(_, b)| text(b).contains(&words)), "its text is nowhere in the export");
}

// ---- the round trip ---------------------------------------------------------------------------

const NOTE_ID: &str = "0b7e8c62-6f55-4f0e-a3d2-6a1f0c9d2e11";
const NEW_CODE: &str = "5e0c1d2a-8b7f-4c3e-9a1b-2c3d4e5f6a7b";
const NEW_SELECTION: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
const NEW_MEMO: &str = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
const PASSAGE: &str = "de bewoners pakken het zelf op";

/// The demo with a field note whose text has non-ASCII letters and an emoji before a passage,
/// exported; then the project as another tool changes it: a new code, that passage coded with
/// it, a memo on the code. Returns the test, the changed archive's entries.
fn changed_demo() -> (CliTest, Vec<(String, Vec<u8>)>) {
    let t = setup_demo();
    let note_text = "Bij Ëlla in de ĳssalon 😀 bleek het: de bewoners pakken het zelf op, zonder ons.";
    let e = json!({"id": NOTE_ID, "stream": "notes:makelaar-noord-a", "kind": "ObservationRecorded", "occurred_at": "2019-03-04T10:00:00+01:00", "author": "makelaar-noord-a", "payload": {"area": "area:noord", "topic": "ijssalon"}, "sealed": {"subjects": ["participant:makelaar-noord-a"], "text": note_text}});
    t.run_stdin(&["append"], &e.to_string()).success();
    let mut entries = unzip(&export(&t, "qdpx"));
    let file = text(entry(&entries, &format!("sources/{NOTE_ID}.txt")));
    let start = char_offset(&file, PASSAGE);
    let end = start + PASSAGE.chars().count();
    let qde = text(entry(&entries, "project.qde"));
    let code = format!(
        "<Code guid=\"{NEW_CODE}\" name=\"zelf doen ë\" isCodable=\"true\" color=\"#33AA66\"><Description>Bewoners doen het zelf.</Description><NoteRef targetGUID=\"{NEW_MEMO}\"/></Code>"
    );
    let qde = qde.replacen("<Codes>", &format!("<Codes>{code}"), 1);
    let tag_at = qde.find(&format!("<TextSource guid=\"{NOTE_ID}\"")).expect("the note is a source");
    let tag_end = tag_at + qde[tag_at..].find('>').expect("the tag ends") + 1;
    let selection = format!(
        "<PlainTextSelection guid=\"{NEW_SELECTION}\" startPosition=\"{start}\" endPosition=\"{end}\"><Coding guid=\"{}\"><CodeRef targetGUID=\"{NEW_CODE}\"/></Coding></PlainTextSelection>",
        uuid::Uuid::new_v4()
    );
    let mut qde = qde;
    // The memo is about the note too, and the new code is added to a passage parlog has coded.
    qde.insert_str(tag_end, &format!("{selection}<NoteRef targetGUID=\"{NEW_MEMO}\"/>"));
    let known = format!("<PlainTextSelection guid=\"{}\"", label_id("exc-1"));
    let at = qde.find(&known).expect("exc-1 is a selection");
    let at = at + qde[at..].find('>').expect("its tag ends") + 1;
    qde.insert_str(
        at,
        &format!("<Coding guid=\"{}\"><CodeRef targetGUID=\"{NEW_CODE}\"/></Coding>", uuid::Uuid::new_v4()),
    );
    let memo = format!(
        "<Note guid=\"{NEW_MEMO}\" name=\"Zelf doen\"><PlainTextContent>Bewoners nemen het over als de makelaar een stap terug doet.</PlainTextContent></Note>"
    );
    let qde = qde.replacen("<Notes>", &format!("<Notes>{memo}"), 1);
    entries[0].1 = qde.into_bytes();
    (t, entries)
}

#[test]
fn a_passage_coded_in_another_tool_lands_on_the_same_characters_and_imports_once() {
    let (t, entries) = changed_demo();
    let file = write_file(&t, "changed.qdpx", &rezip(&entries));
    let before = head(&t);
    let out = import(&t, &file, "onderzoeker-tno").success();
    assert!(out.stdout.contains("zelf doen ë") && out.stdout.contains(PASSAGE), "it shows what it adds: {out:?}");
    assert!(out.stderr.contains("33AA66") || out.stderr.contains("kleur"), "it says colours are ignored: {out:?}");
    assert_eq!(head(&t), before + 4, "a code, two codings and a memo");

    // The code takes the foreign GUID as its event id; the coding the selection's.
    let code = show(&t, NEW_CODE);
    assert_eq!(code["kind"], "CodeDefined");
    assert_eq!(code["author"], "onderzoeker-tno");
    let stream = code["stream"].as_str().unwrap().to_string();
    assert_eq!(stream, "code:zelf-doen-e");
    let coding = show(&t, NEW_SELECTION);
    assert_eq!(coding["kind"], "ExcerptCoded");
    assert_eq!(coding["payload"]["source"], NOTE_ID);
    assert_eq!(coding["payload"]["codes"], json!([stream]));
    let note = show(&t, NOTE_ID)["sealed"]["data"]["text"].as_str().unwrap().to_string();
    let (s, e) = (coding["payload"]["start"].as_u64().unwrap(), coding["payload"]["end"].as_u64().unwrap());
    assert_eq!(chars(&note, s, e), PASSAGE, "the coding lands on the same characters");
    let memo = show(&t, NEW_MEMO);
    assert_eq!(memo["kind"], "MemoWritten");
    assert_eq!(memo["payload"]["codes"], json!([stream]), "the memo is about the code that refers to it");
    assert_eq!(memo["payload"]["notes"], json!([NOTE_ID]), "and about the note that refers to it");
    // The code added to a passage parlog had coded: a coding of the same range, with the new
    // code only, under an id derived from the selection and the code.
    let exc1 = show(&t, &label_id("exc-1").to_string());
    let added: Vec<Value> = t
        .log_json(t.data())
        .into_iter()
        .filter(|e| e["kind"] == "ExcerptCoded" && e["payload"]["source"] == exc1["payload"]["source"])
        .collect();
    assert_eq!(added.len(), 2, "exc-1 and the added coding: {added:?}");
    let new = &added[1];
    assert_eq!(new["payload"]["codes"], json!([stream]));
    assert_eq!(
        (&new["payload"]["start"], &new["payload"]["end"]),
        (&exc1["payload"]["start"], &exc1["payload"]["end"])
    );
    // The codebook view knows the new code and its passage.
    let book = t.ok(&["project", "codebook", "--json"]);
    assert!(book.contains("zelf doen ë"), "the codebook shows the code: {book}");

    // Again: nothing new, nothing appended.
    let again = import(&t, &file, "onderzoeker-tno").success();
    assert_eq!(head(&t), before + 4, "importing the same file again appends nothing: {again:?}");
    // And the export now carries the code and the selection under the same GUIDs, and imports
    // as nothing new.
    let entries = unzip(&export(&t, "qdpx"));
    validate(entry(&entries, "project.qde"), "Project.xsd", "the project after an import");
    let qde = text(entry(&entries, "project.qde"));
    assert!(qde.contains(&format!("guid=\"{NEW_CODE}\"")) && qde.contains(&format!("guid=\"{NEW_SELECTION}\"")));
    let reexport = write_file(&t, "again.qdpx", &rezip(&entries));
    import(&t, &reexport, "onderzoeker-tno").success();
    assert_eq!(head(&t), before + 4, "an unchanged export appends nothing");
}

#[test]
fn importing_an_unchanged_export_appends_nothing() {
    let t = setup_demo();
    let file = write_file(&t, "demo.qdpx", &export(&t, "qdpx"));
    let before = head(&t);
    let out = import(&t, &file, "onderzoeker-tno").success();
    assert_eq!(head(&t), before, "{out:?}");
    assert!(!out.stdout.is_empty(), "it says there was nothing new");
}

/// ATLAS.ti names the document after the project, some tools write `Sources/`, a BOM, another
/// namespace, a prefix; all of it is read.
#[test]
fn the_variants_real_tools_write_are_read() {
    let (t, entries) = changed_demo();
    let mut variant: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, bytes) in entries {
        if name == "project.qde" {
            let qde = text(&bytes)
                .replace("urn:QDA-XML:project:1.0", "urn:QDA-XML:project:1.5")
                .replace("<Project ", "<qda:Project xmlns:qda=\"urn:QDA-XML:project:1.5\" ")
                .replace("</Project>", "</qda:Project>");
            let mut b = vec![0xEF, 0xBB, 0xBF];
            b.extend(qde.into_bytes());
            variant.push(("Makelen in Gouda.qde".into(), b));
        } else {
            let mut b = vec![0xEF, 0xBB, 0xBF];
            b.extend(bytes);
            variant.push((name.replace("sources/", "Sources/"), b));
        }
    }
    let file = write_file(&t, "variant.qdpx", &rezip(&variant));
    let before = head(&t);
    import(&t, &file, "onderzoeker-tno").success();
    assert_eq!(head(&t), before + 4);
    let coding = show(&t, NEW_SELECTION);
    let note = show(&t, NOTE_ID)["sealed"]["data"]["text"].as_str().unwrap().to_string();
    let (s, e) = (coding["payload"]["start"].as_u64().unwrap(), coding["payload"]["end"].as_u64().unwrap());
    assert_eq!(chars(&note, s, e), PASSAGE, "a BOM in the text file does not shift the offsets");
}

#[test]
fn bad_projects_are_refused_clearly_and_append_nothing() {
    let (t, entries) = changed_demo();
    let before = head(&t);
    let refused = |name: &str, bytes: Vec<u8>, says: &[&str]| {
        let file = write_file(&t, name, &bytes);
        let out = t.run(&[
            "--lang",
            "en",
            "import",
            "--format",
            "qdpx",
            file.to_str().unwrap(),
            "--author",
            "onderzoeker-tno",
            "--yes",
        ]);
        let out = out.code(2);
        for s in says {
            assert!(out.stderr.contains(s), "{name}: expected the error to say {s:?}: {out:?}");
        }
        assert_eq!(head(&t), before, "{name}: nothing is appended");
    };
    refused("not-a-zip.qdpx", b"<Project/>".to_vec(), &["not a .qdpx project"]);
    let without: Vec<_> = entries.iter().filter(|(n, _)| n != "project.qde").cloned().collect();
    refused("no-qde.qdpx", rezip(&without), &["project.qde"]);

    let qde = text(&entries[0].1);
    let with = |qde: String| {
        let mut e = entries.clone();
        e[0].1 = qde.into_bytes();
        rezip(&e)
    };
    // A selection past the end of its text.
    let at = qde.find(&format!("<PlainTextSelection guid=\"{NEW_SELECTION}\"")).expect("the new selection");
    let end = at + qde[at..].find('>').expect("its tag ends");
    let far = format!(
        "{}<PlainTextSelection guid=\"{NEW_SELECTION}\" startPosition=\"9000\" endPosition=\"9999\"{}",
        &qde[..at],
        &qde[end..]
    );
    refused("past-the-end.qdpx", with(far), &[NEW_SELECTION, "not a passage"]);
    // A source parlog does not have, with a coding on it.
    let stranger = uuid::Uuid::new_v4().to_string();
    refused(
        "unknown-source.qdpx",
        with(qde.replace(&format!("<TextSource guid=\"{NOTE_ID}\""), &format!("<TextSource guid=\"{stranger}\""))),
        &[&stranger, "not a note of this study"],
    );
    // Not XML.
    refused("broken.qdpx", with(qde.replacen("</Codes>", "</Kodes>", 1)), &["not well-formed XML"]);
    // A zip bomb: an entry that unpacks to a thousand times its packed size.
    let mut bomb = entries.clone();
    bomb.push(("sources/zeros.txt".into(), vec![b'0'; 8 * 1024 * 1024]));
    refused("bomb.qdpx", rezip(&bomb), &["sources/zeros.txt", "zip bomb"]);
    // Not a researcher; and without a terminal, --yes is needed.
    let file = write_file(&t, "fine.qdpx", &rezip(&entries));
    let out = t.run(&[
        "--lang",
        "en",
        "import",
        "--format",
        "qdpx",
        file.to_str().unwrap(),
        "--author",
        "makelaar-noord-a",
        "--yes",
    ]);
    assert!(out.code(2).stderr.contains("not a registered researcher"));
    let out = t.run(&["import", "--format", "qdpx", file.to_str().unwrap(), "--author", "onderzoeker-tno"]);
    assert!(out.code(2).stderr.contains("--yes"));
    assert_eq!(head(&t), before);
}

// ---- the API --------------------------------------------------------------------------------

#[tokio::test]
async fn the_api_gives_the_project_to_researchers_and_the_codebook_to_all() {
    let api: Api = api_support::setup_with(Log::Gouda, parlog_server::http::Limits::default());
    let path = |f: &str| format!("/api/v1/studies/{}/export?format={f}", api.study);
    let r = api.get(&path("qdpx"), Role::Researcher).await;
    r.expect(200);
    assert_eq!(r.content_type(), "application/zip");
    let disposition = r.headers.get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert_eq!(disposition, "attachment; filename=\"gouda.qdpx\"");
    let entries = unzip(&r.body);
    check_structure(&entries);
    validate(entry(&entries, "project.qde"), "Project.xsd", "the API's project");
    for role in [Role::Makelaar, Role::Viewer, Role::Admin] {
        api.get(&path("qdpx"), role).await.problem_naming(403, &[role.as_str(), "qdc"]);
        let r = api.get(&path("qdc"), role).await;
        r.expect(200);
        assert!(r.content_type().starts_with("application/xml"), "{}", r.content_type());
        validate(&r.body, "Codebook.xsd", "the API's codebook");
    }
    api.get(&format!("/api/v1/studies/{}/export?format=docx", api.study), Role::Researcher).await.problem(400);
    // A study without codes has no codebook to give.
    let small = api_support::setup_with(Log::Small, parlog_server::http::Limits::default());
    let p = format!("/api/v1/studies/{}/export?format=qdc", small.study);
    small.get(&p, Role::Viewer).await.problem_naming(404, &["no codes"]);
    let p = format!("/api/v1/studies/{}/export", small.study);
    let r = small.get(&p, Role::Researcher).await;
    r.expect(200);
    validate(entry(&unzip(&r.body), "project.qde"), "Project.xsd", "a project without codes");
}

/// The latest version of each note: an amendment with a sealed part replaces its text (and a
/// coding made on the old text that no longer fits is left out); a retracted note is not there.
#[test]
fn notes_are_exported_as_last_amended_and_retracted_ones_not_at_all() {
    let t = setup();
    t.init();
    let (kept, gone) = ("2a9d8c7b-6e5f-4a3b-9c1d-0e2f3a4b5c6d", "3b0e9d8c-7f6a-4b5c-8d2e-1f3a4b5c6d7e");
    let events = [
        json!({"stream": "participant:onderzoeker-2", "kind": "ParticipantRegistered", "occurred_at": "2022-05-01T09:00:00+02:00", "author": "onderzoeker-2", "payload": {"label": "onderzoeker Zuid", "role": "researcher"}}),
        json!({"stream": "study:tilburg", "kind": "StudyStarted", "occurred_at": "2022-05-02T09:00:00+02:00", "author": "onderzoeker-2", "payload": {"title": "Makelen in Tilburg-Noord", "question": "Wat werkt?", "municipality": "Tilburg", "levels": ["wijk"]}}),
        json!({"stream": "code:buren", "kind": "CodeDefined", "occurred_at": "2022-05-02T10:00:00+02:00", "author": "onderzoeker-2", "payload": {"name": "buren"}}),
        json!({"id": kept, "stream": "notes:onderzoeker-2", "kind": "ObservationRecorded", "occurred_at": "2022-05-03T10:00:00+02:00", "author": "onderzoeker-2", "payload": {"topic": "buurtfeest"}, "sealed": {"subjects": ["participant:onderzoeker-2"], "text": "Eerste versie van een lange notitie over het buurtfeest in de Reeshof."}}),
        json!({"id": gone, "stream": "notes:onderzoeker-2", "kind": "ObservationRecorded", "occurred_at": "2022-05-03T11:00:00+02:00", "author": "onderzoeker-2", "payload": {"topic": "dubbel"}, "sealed": {"subjects": ["participant:onderzoeker-2"], "text": "Per ongeluk dubbel ingevoerd."}}),
        json!({"stream": "coding:ronde-1", "kind": "ExcerptCoded", "occurred_at": "2022-05-04T10:00:00+02:00", "author": "onderzoeker-2", "payload": {"source": kept, "codes": ["code:buren"], "start": 40, "end": 60}}),
        json!({"stream": "notes:onderzoeker-2", "kind": "EventAmended", "occurred_at": "2022-05-05T10:00:00+02:00", "author": "onderzoeker-2", "payload": {"target": kept, "payload": {"topic": "buurtfeest Reeshof"}, "reason": "ingekort"}, "sealed": {"subjects": ["participant:onderzoeker-2"], "text": "Korte tweede versie."}}),
        json!({"stream": "notes:onderzoeker-2", "kind": "EventRetracted", "occurred_at": "2022-05-05T11:00:00+02:00", "author": "onderzoeker-2", "payload": {"target": gone, "reason": "dubbel"}}),
    ];
    for e in &events {
        t.run_stdin(&["append"], &e.to_string()).success();
    }
    let entries = unzip(&export(&t, "qdpx"));
    let texts = check_structure(&entries);
    validate(entry(&entries, "project.qde"), "Project.xsd", "Tilburg's project.qde");
    assert_eq!(texts[kept], "Korte tweede versie.", "the amendment's sealed text replaces the note's");
    assert!(!texts.contains_key(gone), "a retracted note is not exported");
    let qde = text(entry(&entries, "project.qde"));
    assert!(qde.contains("buurtfeest Reeshof"), "the amended topic names the source");
    assert!(!qde.contains("<PlainTextSelection"), "the coding past the end of the shorter text is left out");
}
