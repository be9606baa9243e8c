//! The retrospective as an OpenDocument text: unpacked and read back here. The package (mimetype
//! first and stored, a manifest listing every file), every XML part well-formed, headings in
//! heading styles at outline levels, the charts as SVG pictures that exist, are listed and have
//! a title and a description, the same bytes for the same log; through the library, the command
//! line and the API; on the demo and on another municipality.

use std::collections::BTreeSet;
use std::io::Read;

use parlog_core::Lang;
use parlog_projections::retro::{self, RetroOptions};
use parlog_projections::{AsOf, Engine, MemorySource};
use parlog_server::http::auth::Role;

use crate::api_support::setup;
use crate::cli_support::{parlog_bin, repo_file, setup as cli_setup, setup_demo};
use crate::proj_support::memory_of_file;

const MEDIA_TYPE: &str = "application/vnd.oasis.opendocument.text";
const TEXT_NS: &str = "urn:oasis:names:tc:opendocument:xmlns:text:1.0";
const DRAW_NS: &str = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0";
const SVG_NS: &str = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0";
const XLINK_NS: &str = "http://www.w3.org/1999/xlink";
const MANIFEST_NS: &str = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0";

/// An ODT unpacked: its files in the order of the zip, with their bytes.
struct Odt {
    files: Vec<(String, Vec<u8>)>,
}

impl Odt {
    fn read(bytes: &[u8]) -> Odt {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("the ODT is a zip");
        let mut files = Vec::new();
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).expect("an entry");
            if i == 0 {
                assert_eq!(f.name().expect("an entry name"), "mimetype", "mimetype comes first");
                assert_eq!(f.compression(), zip::CompressionMethod::Stored, "mimetype is stored, not compressed");
                assert!(f.extra_data().is_none_or(|e| e.is_empty()), "mimetype has no extra field");
            }
            let mut b = Vec::new();
            f.read_to_end(&mut b).expect("an entry reads");
            files.push((f.name().expect("an entry name").to_string(), b));
        }
        // The media type right after the first local header, where a reader that sniffs looks.
        assert_eq!(&bytes[30..38], b"mimetype", "the first entry's name at offset 30");
        assert_eq!(&bytes[38..38 + MEDIA_TYPE.len()], MEDIA_TYPE.as_bytes(), "the media type at offset 38");
        Odt { files }
    }

    fn file(&self, name: &str) -> &[u8] {
        &self.files.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("the package has {name}")).1
    }

    fn text(&self, name: &str) -> &str {
        std::str::from_utf8(self.file(name)).unwrap_or_else(|e| panic!("{name} is UTF-8: {e}"))
    }
}

/// Checks the package and returns the headings (level, text) and the text of `content.xml`.
fn check(bytes: &[u8]) -> (Vec<(u32, String)>, String) {
    let odt = Odt::read(bytes);
    assert_eq!(odt.text("mimetype"), MEDIA_TYPE);
    let names: BTreeSet<&str> = odt.files.iter().map(|(n, _)| n.as_str()).collect();
    for required in ["META-INF/manifest.xml", "content.xml", "styles.xml", "meta.xml"] {
        assert!(names.contains(required), "the package has {required}: {names:?}");
    }
    // Every XML part and every picture parses.
    for (name, _) in &odt.files {
        if name.ends_with(".xml") || name.ends_with(".svg") {
            roxmltree::Document::parse(odt.text(name)).unwrap_or_else(|e| panic!("{name} is well-formed XML: {e}"));
        }
    }
    // The manifest lists every file but itself and mimetype, and nothing else.
    let manifest = roxmltree::Document::parse(odt.text("META-INF/manifest.xml")).expect("parsed above");
    let listed: BTreeSet<&str> = manifest
        .descendants()
        .filter(|n| n.has_tag_name((MANIFEST_NS, "file-entry")))
        .map(|n| n.attribute((MANIFEST_NS, "full-path")).expect("a path"))
        .collect();
    let mut expected: BTreeSet<&str> =
        names.iter().copied().filter(|n| *n != "mimetype" && *n != "META-INF/manifest.xml").collect();
    expected.insert("/");
    assert_eq!(listed, expected, "the manifest lists every file");
    // Every picture the content shows is in the package, and has a title and a description.
    let content = roxmltree::Document::parse(odt.text("content.xml")).expect("parsed above");
    let mut pictures = 0;
    for frame in content.descendants().filter(|n| n.has_tag_name((DRAW_NS, "frame"))) {
        let image = frame.children().find(|n| n.has_tag_name((DRAW_NS, "image"))).expect("a frame holds an image");
        let href = image.attribute((XLINK_NS, "href")).expect("an image names its file");
        assert!(names.contains(href), "the picture {href} is in the package");
        assert!(href.ends_with(".svg") && odt.text(href).contains("<svg"), "{href} is an SVG");
        for what in ["title", "desc"] {
            let t = frame.children().find(|n| n.has_tag_name((SVG_NS, what))).and_then(|n| n.text()).unwrap_or("");
            assert!(!t.trim().is_empty(), "the picture {href} has an svg:{what}");
        }
        pictures += 1;
    }
    let svgs = names.iter().filter(|n| n.ends_with(".svg")).count();
    assert_eq!(pictures, svgs, "every picture in the package is shown once");
    let headings = content
        .descendants()
        .filter(|n| n.has_tag_name((TEXT_NS, "h")))
        .map(|n| {
            let level: u32 = n.attribute((TEXT_NS, "outline-level")).expect("a level").parse().expect("a number");
            let style = n.attribute((TEXT_NS, "style-name")).expect("a style");
            assert_eq!(style, format!("Heading_20_{level}"), "a heading is in the heading style of its level");
            (level, n.descendants().filter_map(|d| d.text()).collect::<String>())
        })
        .collect();
    // Each heading style the content names is defined, with its outline level.
    let styles = odt.text("styles.xml");
    for level in 1..=6 {
        assert!(
            styles.contains(&format!("style:name=\"Heading_20_{level}\""))
                && styles.contains(&format!("style:default-outline-level=\"{level}\"")),
            "styles.xml defines Heading {level}"
        );
    }
    // Every link inside the document goes to a bookmark it has (a source to its entry).
    let bookmarks: BTreeSet<&str> = content
        .descendants()
        .filter(|n| n.has_tag_name((TEXT_NS, "bookmark")))
        .map(|n| n.attribute((TEXT_NS, "name")).expect("a name"))
        .collect();
    for a in content.descendants().filter(|n| n.has_tag_name((TEXT_NS, "a"))) {
        let href = a.attribute((XLINK_NS, "href")).expect("a link has a target");
        let target = href.strip_prefix('#').unwrap_or_else(|| panic!("{href} points outside the document"));
        assert!(bookmarks.contains(target), "the link to {href} has its bookmark");
    }
    let text = content.descendants().filter_map(|n| n.text()).collect::<Vec<_>>().join(" ");
    (headings, text)
}

/// Text as the HTML report escapes it.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn odt_of(source: &MemorySource, lang: Lang) -> Vec<u8> {
    let engine = Engine::as_of(source, AsOf::Head).expect("the engine reads the log");
    retro::odt(&retro::from_engine(source, &engine, AsOf::Head, &RetroOptions { lang, ..RetroOptions::default() }))
}

#[test]
fn the_demo_as_an_odt_has_its_outline_charts_and_sources() {
    let source = memory_of_file("demo/gouda.json");
    let bytes = odt_of(&source, Lang::Nl);
    assert_eq!(bytes, odt_of(&source, Lang::Nl), "the same log gives the same bytes");
    let (headings, text) = check(&bytes);
    let html = {
        let engine = Engine::as_of(&source, AsOf::Head).expect("engine");
        let doc = retro::from_engine(&source, &engine, AsOf::Head, &RetroOptions::default());
        retro::render(&doc, retro::Format::Html)
    };
    // The same sections as the HTML report, at the same depth (h2 there is level 1 here).
    for (level, title) in &headings {
        let tag = format!("<h{}>{}</h{}>", level + 1, esc(title), level + 1);
        assert!(html.contains(&tag), "the HTML has the heading {tag}");
    }
    assert!(headings.iter().any(|(l, t)| *l == 1 && t == "Bronnen"), "the sources are a section: {headings:?}");
    assert!(headings.iter().any(|(l, _)| *l == 2), "subsections: {headings:?}");
    assert!(text.contains("[#12 · 16 jun 2014]"), "source references as text");
    assert!(text.contains("Sociaal makelaar Gouda"));
    let odt = Odt::read(&bytes);
    assert!(odt.files.iter().filter(|(n, _)| n.ends_with(".svg")).count() >= 4, "the demo's charts are pictures");
    let en = odt_of(&source, Lang::En);
    let (en_headings, _) = check(&en);
    assert!(en_headings.iter().any(|(_, t)| t == "Sources"), "{en_headings:?}");
}

#[test]
fn another_municipality_as_an_odt() {
    let source = memory_of_file("tests/data/zwolle.json");
    let bytes = odt_of(&source, Lang::Nl);
    let (headings, text) = check(&bytes);
    assert!(headings.len() > 5, "{headings:?}");
    assert!(text.contains("Buurtverbinder Zwolle"), "the role in its own words");
    assert!(!text.contains("Gouda"), "nothing of the demo");
    let meta = Odt::read(&bytes);
    assert!(meta.text("meta.xml").contains("<dc:language>nl</dc:language>"));
}

#[test]
fn an_empty_log_is_a_valid_odt() {
    let empty = MemorySource::new(Vec::new()).expect("an empty log");
    check(&odt_of(&empty, Lang::En));
}

#[test]
fn the_command_line_writes_an_odt_file() {
    let t = setup_demo();
    let out = t.path("terugblik.odt");
    let path = out.to_str().expect("UTF-8");
    t.ok(&["retrospective", "--format", "odt", "--out", path]);
    let bytes = std::fs::read(&out).expect("the file is written");
    check(&bytes);
    // To standard output when it is not a terminal (a pipe, as here): the same package.
    let piped = std::process::Command::new(parlog_bin())
        .args([std::ffi::OsStr::new("--data"), t.data().as_os_str()])
        .args(["retrospective", "--format", "odt"])
        .output()
        .expect("parlog runs");
    assert!(piped.status.success(), "{}", String::from_utf8_lossy(&piped.stderr));
    assert_eq!(piped.stdout, bytes, "the same package on standard output");
    t.run(&["retrospective", "--format", "docx", "--out", path]).code(2).stderr_has(&["odt"]);
}

#[test]
fn the_command_line_odt_of_another_municipality() {
    let t = cli_setup();
    t.ok(&["demo", "--file", repo_file("tests/data/zwolle.json").to_str().expect("UTF-8")]);
    let out = t.path("zwolle.odt");
    t.ok(&["--lang", "en", "retrospective", "--format", "odt", "--out", out.to_str().expect("UTF-8")]);
    let (headings, _) = check(&std::fs::read(&out).expect("written"));
    assert!(headings.iter().any(|(_, t)| t == "Sources"), "{headings:?}");
}

#[tokio::test]
async fn the_api_answers_an_odt_to_save() {
    let api = setup();
    let resp = api.get("/api/v1/retrospective?format=odt&lang=en", Role::Viewer).await;
    resp.expect(200);
    assert_eq!(resp.content_type(), MEDIA_TYPE);
    let disposition = resp.headers.get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert_eq!(disposition, "attachment; filename=\"gouda-retrospective.odt\"");
    check(&resp.body);
    let again = api.get("/api/v1/retrospective?format=odt&lang=en", Role::Viewer).await;
    assert_eq!(resp.body, again.body, "the same bytes for the same log");
}

/// Text from the log that looks like markup stays text: every part still parses, and the names
/// read back as they were typed (in the content and in the pictures).
#[test]
fn markup_in_the_log_stays_text_in_the_odt() {
    use crate::proj_support::{ev, memory_with};
    use serde_json::json;
    let name = "<text:h>Kop</text:h> & \"Buurt\" 'Oost' ]]>";
    let source = memory_with(&[
        ev("city", "area:deventer", "AreaDefined", "2021-02-01", json!({"name": "Deventer <b>", "kind": "city"})),
        ev(
            "p",
            "participant:onderzoeker-a",
            "ParticipantRegistered",
            "2021-02-01",
            json!({"label": "onderzoeker <A>", "role": "researcher"}),
        ),
        ev(
            "ini",
            "initiative:kop",
            "InitiativeStarted",
            "2021-02-08",
            json!({"name": name, "route": "opportunity", "area": "area:deventer",
                   "description": "regel één\nregel twee", "initiators": ["participant:onderzoeker-a"]}),
        ),
        ev("stage", "initiative:kop", "InitiativeStageChanged", "2021-03-08", json!({"stage": "bringing_together"})),
    ]);
    let bytes = odt_of(&source, Lang::Nl);
    let (headings, text) = check(&bytes);
    assert!(headings.iter().all(|(_, t)| !t.contains("Kop</text:h>") || t.contains(name)), "{headings:?}");
    assert!(text.contains(name), "the name as typed: {text}");
    let odt = Odt::read(&bytes);
    let pictures: Vec<&str> = odt.files.iter().filter(|(n, _)| n.ends_with(".svg")).map(|(n, _)| odt.text(n)).collect();
    assert!(!pictures.is_empty(), "the stages are drawn");
    let drawn = pictures.iter().any(|svg| {
        let doc = roxmltree::Document::parse(svg).expect("parsed in check");
        doc.descendants().filter_map(|n| n.text()).any(|t| t.contains(name))
    });
    assert!(drawn, "the stage chart names the initiative as typed");
}
