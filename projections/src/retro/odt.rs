//! The retrospective as an OpenDocument text (ODF 1.3, `.odt`), which LibreOffice and Word open
//! and edit: the same document model as the Markdown and HTML, with headings in the heading
//! styles (so the document has an outline to navigate by), lists, the cover as a table, the
//! charts as SVG images (ODF 1.3 allows SVG) each with a title and a description in text, and
//! the list of sources at the end (each with a bookmark `bron-12` that the references link to).
//!
//! **The package.** A zip with `mimetype` first and stored (not compressed), so that a reader
//! recognises the file by its first bytes; `META-INF/manifest.xml` lists every other file;
//! `content.xml`, `styles.xml`, `meta.xml`, and the pictures under `Pictures/`. Every entry
//! has the same fixed time (1 Jan 1980, the earliest a zip can say) and permissions, and the
//! meta data names no date or machine, so the same log prefix gives the same bytes.
//!
//! **Escaping.** Every string from the document model goes through [`x`] (XML text and
//! attribute values); only the structure written here is markup.

use std::io::Write;

use parlog_core::Lang;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::doc::{Block, Chart, Doc, Section, Stmt};
use super::html::{self, Image};
use super::md;
use crate::text::{src_ref, tr};

/// The media type of an OpenDocument text, for `mimetype` and for HTTP.
pub const ODT_MEDIA_TYPE: &str = "application/vnd.oasis.opendocument.text";

/// The widest a picture is drawn on the page, in centimetres (an A4 page less its margins).
const PICTURE_WIDTH_CM_MAX: f64 = 17.0;
/// Pixels per centimetre of a picture drawn at its own size (CSS pixels: 96 per inch).
const PX_PER_CM: f64 = 96.0 / 2.54;

/// The report as an ODT package.
pub fn odt(doc: &Doc) -> Vec<u8> {
    let mut body = Body { out: String::new(), images: Vec::new(), lang: doc.lang };
    body.document(doc);
    let Body { out: content_body, images, .. } = body;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    files.push(("content.xml".into(), content(&content_body).into_bytes()));
    files.push(("styles.xml".into(), STYLES.as_bytes().to_vec()));
    files.push(("meta.xml".into(), meta(doc).into_bytes()));
    for (name, img) in &images {
        files.push((name.clone(), img.svg.as_bytes().to_vec()));
    }
    package(&files)
}

/// The zip: `mimetype` first and stored, then the manifest, then every file.
fn package(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let time = DateTime::default(); // 1980-01-01 00:00:00: fixed, so the bytes are too
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(time)
        .unix_permissions(0o644);
    let deflated = stored.compression_method(CompressionMethod::Deflated);
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let add = |zip: &mut ZipWriter<_>, name: &str, bytes: &[u8], o: SimpleFileOptions| {
        zip.start_file(name, o).expect("writing a zip entry to memory");
        zip.write_all(bytes).expect("writing to memory");
    };
    add(&mut zip, "mimetype", ODT_MEDIA_TYPE.as_bytes(), stored);
    add(&mut zip, "META-INF/manifest.xml", manifest(files).as_bytes(), deflated);
    for (name, bytes) in files {
        add(&mut zip, name, bytes, deflated);
    }
    zip.finish().expect("finishing a zip in memory").into_inner()
}

fn manifest(files: &[(String, Vec<u8>)]) -> String {
    let mut out = String::from(concat!(
        r##"<?xml version="1.0" encoding="UTF-8"?>"##,
        "\n",
        r##"<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">"##,
        "\n",
        r##" <manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type="application/vnd.oasis.opendocument.text"/>"##,
        "\n"
    ));
    for (name, _) in files {
        let media = if name.ends_with(".svg") { "image/svg+xml" } else { "text/xml" };
        out += &format!(" <manifest:file-entry manifest:full-path=\"{}\" manifest:media-type=\"{media}\"/>\n", x(name));
    }
    out += "</manifest:manifest>\n";
    out
}

const NS: &str = concat!(
    r##"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" "##,
    r##"xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" "##,
    r##"xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" "##,
    r##"xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" "##,
    r##"xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" "##,
    r##"xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" "##,
    r##"xmlns:xlink="http://www.w3.org/1999/xlink" "##,
    r##"xmlns:dc="http://purl.org/dc/elements/1.1/" "##,
    r##"xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" "##,
    r##"xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" "##,
    r##"office:version="1.3""##
);

fn content(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-content {NS}>\n<office:automatic-styles>\n\
         <style:style style:name=\"CoverCol\" style:family=\"table-column\"><style:table-column-properties style:column-width=\"5cm\"/></style:style>\n\
         <style:style style:name=\"CoverCol2\" style:family=\"table-column\"><style:table-column-properties style:column-width=\"12cm\"/></style:style>\n\
         </office:automatic-styles>\n<office:body>\n<office:text>\n{body}</office:text>\n</office:body>\n</office:document-content>\n"
    )
}

fn meta(doc: &Doc) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-meta {NS}>\n<office:meta>\n\
         <meta:generator>parlog</meta:generator>\n<dc:title>{}</dc:title>\n<dc:subject>{}</dc:subject>\n<dc:language>{}</dc:language>\n\
         </office:meta>\n</office:document-meta>\n",
        x(&doc.title),
        x(&doc.subtitle),
        match doc.lang {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    )
}

/// The styles the content names: headings 1 to 6 (with their outline levels), body text, lists,
/// the cover's table, figures and their text, and the monospace text under a chart.
const STYLES: &str = concat!(
    r##"<?xml version="1.0" encoding="UTF-8"?>"##,
    "\n",
    r##"<office:document-styles xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" office:version="1.3">"##,
    "\n<office:font-face-decls>",
    r##"<style:font-face style:name="Liberation Sans" svg:font-family="'Liberation Sans', Arial, sans-serif" style:font-family-generic="swiss"/>"##,
    r##"<style:font-face style:name="Liberation Mono" svg:font-family="'Liberation Mono', 'Courier New', monospace" style:font-family-generic="modern" style:font-pitch="fixed"/>"##,
    "</office:font-face-decls>\n<office:styles>\n",
    r##"<style:default-style style:family="paragraph"><style:paragraph-properties fo:margin-bottom="0.2cm"/><style:text-properties style:font-name="Liberation Sans" fo:font-size="11pt"/></style:default-style>"##,
    "\n",
    r##"<style:style style:name="Standard" style:family="paragraph" style:class="text"/>"##,
    r##"<style:style style:name="Text_20_body" style:display-name="Text body" style:family="paragraph" style:parent-style-name="Standard" style:class="text"><style:paragraph-properties fo:margin-bottom="0.25cm" fo:line-height="115%"/></style:style>"##,
    "\n",
    r##"<style:style style:name="Title" style:family="paragraph" style:parent-style-name="Standard" style:class="chapter"><style:paragraph-properties fo:margin-bottom="0.3cm"/><style:text-properties fo:font-size="24pt" fo:font-weight="bold" fo:color="#1f6f8b"/></style:style>"##,
    r##"<style:style style:name="Subtitle" style:family="paragraph" style:parent-style-name="Standard" style:class="chapter"><style:paragraph-properties fo:margin-bottom="0.5cm"/><style:text-properties fo:font-size="14pt" fo:color="#5b6b76"/></style:style>"##,
    "\n",
    r##"<style:style style:name="Heading" style:family="paragraph" style:parent-style-name="Standard" style:next-style-name="Text_20_body" style:class="text"><style:paragraph-properties fo:margin-top="0.5cm" fo:margin-bottom="0.2cm" fo:keep-with-next="always"/><style:text-properties fo:font-weight="bold" fo:color="#1d2a33"/></style:style>"##,
    "\n",
    r##"<style:style style:name="Heading_20_1" style:display-name="Heading 1" style:family="paragraph" style:parent-style-name="Heading" style:default-outline-level="1" style:class="text"><style:paragraph-properties fo:break-before="page"/><style:text-properties fo:font-size="18pt" fo:color="#1f6f8b"/></style:style>"##,
    r##"<style:style style:name="Heading_20_2" style:display-name="Heading 2" style:family="paragraph" style:parent-style-name="Heading" style:default-outline-level="2" style:class="text"><style:text-properties fo:font-size="15pt"/></style:style>"##,
    r##"<style:style style:name="Heading_20_3" style:display-name="Heading 3" style:family="paragraph" style:parent-style-name="Heading" style:default-outline-level="3" style:class="text"><style:text-properties fo:font-size="13pt"/></style:style>"##,
    r##"<style:style style:name="Heading_20_4" style:display-name="Heading 4" style:family="paragraph" style:parent-style-name="Heading" style:default-outline-level="4" style:class="text"><style:text-properties fo:font-size="12pt"/></style:style>"##,
    r##"<style:style style:name="Heading_20_5" style:display-name="Heading 5" style:family="paragraph" style:parent-style-name="Heading" style:default-outline-level="5" style:class="text"><style:text-properties fo:font-size="11pt"/></style:style>"##,
    r##"<style:style style:name="Heading_20_6" style:display-name="Heading 6" style:family="paragraph" style:parent-style-name="Heading" style:default-outline-level="6" style:class="text"><style:text-properties fo:font-size="11pt" fo:font-style="italic"/></style:style>"##,
    "\n",
    r##"<style:style style:name="List_20_Contents" style:display-name="List Contents" style:family="paragraph" style:parent-style-name="Standard" style:class="list"><style:paragraph-properties fo:margin-bottom="0.1cm"/></style:style>"##,
    r##"<style:style style:name="Note" style:family="paragraph" style:parent-style-name="Text_20_body"><style:text-properties fo:font-style="italic" fo:color="#5b6b76"/></style:style>"##,
    r##"<style:style style:name="Figure" style:family="paragraph" style:parent-style-name="Standard" style:class="extra"><style:paragraph-properties fo:margin-top="0.2cm" fo:margin-bottom="0.2cm"/></style:style>"##,
    r##"<style:style style:name="Caption" style:family="paragraph" style:parent-style-name="Standard" style:class="extra"><style:paragraph-properties fo:keep-with-next="always" fo:margin-top="0.3cm"/><style:text-properties fo:font-weight="bold"/></style:style>"##,
    r##"<style:style style:name="Preformatted_20_Text" style:display-name="Preformatted Text" style:family="paragraph" style:parent-style-name="Standard" style:class="html"><style:paragraph-properties fo:margin-top="0cm" fo:margin-bottom="0cm"/><style:text-properties style:font-name="Liberation Mono" fo:font-size="9pt"/></style:style>"##,
    r##"<style:style style:name="Table_20_Contents" style:display-name="Table Contents" style:family="paragraph" style:parent-style-name="Standard" style:class="extra"/>"##,
    "\n",
    r##"<style:style style:name="Strong_20_Emphasis" style:display-name="Strong Emphasis" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style>"##,
    r##"<style:style style:name="Source" style:family="text"><style:text-properties fo:color="#1f6f8b" fo:font-size="9pt"/></style:style>"##,
    "\n",
    r##"<text:list-style style:name="List_20_1" style:display-name="List 1">"##,
    r##"<text:list-level-style-bullet text:level="1" text:bullet-char="•"><style:list-level-properties text:list-level-position-and-space-mode="label-alignment"><style:list-level-label-alignment text:label-followed-by="listtab" text:list-tab-stop-position="0.6cm" fo:text-indent="-0.4cm" fo:margin-left="0.6cm"/></style:list-level-properties></text:list-level-style-bullet>"##,
    "</text:list-style>\n",
    r##"<text:list-style style:name="Numbering_20_123" style:display-name="Numbering 123">"##,
    r##"<text:list-level-style-number text:level="1" style:num-format="1" style:num-suffix="."><style:list-level-properties text:list-level-position-and-space-mode="label-alignment"><style:list-level-label-alignment text:label-followed-by="listtab" text:list-tab-stop-position="0.8cm" fo:text-indent="-0.6cm" fo:margin-left="0.8cm"/></style:list-level-properties></text:list-level-style-number>"##,
    "</text:list-style>\n",
    r##"<text:outline-style style:name="Outline">"##,
    r##"<text:outline-level-style text:level="1" style:num-format=""/><text:outline-level-style text:level="2" style:num-format=""/><text:outline-level-style text:level="3" style:num-format=""/>"##,
    r##"<text:outline-level-style text:level="4" style:num-format=""/><text:outline-level-style text:level="5" style:num-format=""/><text:outline-level-style text:level="6" style:num-format=""/>"##,
    "</text:outline-style>\n",
    "</office:styles>\n</office:document-styles>\n"
);

/// The body of `content.xml`, and the pictures it names.
struct Body {
    out: String,
    /// The pictures, by their path in the package, in the order they appear.
    images: Vec<(String, Image)>,
    lang: Lang,
}

impl Body {
    fn document(&mut self, doc: &Doc) {
        self.out += &format!("<text:p text:style-name=\"Title\">{}</text:p>\n", x(&doc.title));
        self.out += &format!("<text:p text:style-name=\"Subtitle\">{}</text:p>\n", x(&doc.subtitle));
        self.cover(&doc.cover);
        for s in &doc.sections {
            self.section(s, 1);
        }
        self.heading(1, &doc.sources_title, Some("bronnen"));
        self.out += "<text:list text:style-name=\"List_20_1\">\n";
        for s in &doc.sources {
            let bookmark = html::anchor_id(s.position);
            self.out += &format!(
                "<text:list-item><text:p text:style-name=\"List_20_Contents\"><text:bookmark text:name=\"{bookmark}\"/>{}</text:p></text:list-item>\n",
                x(&html::source_line(s, self.lang))
            );
        }
        self.out += "</text:list>\n";
    }

    /// The cover's label / value lines as a table of two columns.
    fn cover(&mut self, lines: &[(String, String)]) {
        if lines.is_empty() {
            return; // a table must have a row
        }
        self.out += "<table:table table:name=\"Cover\"><table:table-column table:style-name=\"CoverCol\"/><table:table-column table:style-name=\"CoverCol2\"/>\n";
        for (k, v) in lines {
            self.out += &format!(
                "<table:table-row><table:table-cell office:value-type=\"string\"><text:p text:style-name=\"Table_20_Contents\">{}</text:p></table:table-cell><table:table-cell office:value-type=\"string\"><text:p text:style-name=\"Table_20_Contents\">{}</text:p></table:table-cell></table:table-row>\n",
                x(k),
                x(v)
            );
        }
        self.out += "</table:table>\n";
    }

    /// A heading in its heading style, at its outline level, with a bookmark to link to.
    fn heading(&mut self, level: usize, title: &str, id: Option<&str>) {
        let bookmark = id.map(|id| format!("<text:bookmark text:name=\"{}\"/>", x(id))).unwrap_or_default();
        self.out += &format!(
            "<text:h text:style-name=\"Heading_20_{level}\" text:outline-level=\"{level}\">{bookmark}{}</text:h>\n",
            x(title)
        );
    }

    fn section(&mut self, s: &Section, level: usize) {
        if s.is_empty() {
            return;
        }
        self.heading(level, &s.title, Some(&s.id));
        for b in &s.blocks {
            match b {
                Block::Para(st) => {
                    self.out += &format!("<text:p text:style-name=\"Text_20_body\">{}</text:p>\n", self.stmt(st))
                }
                Block::List(items) => {
                    self.out += "<text:list text:style-name=\"List_20_1\">\n";
                    for st in items {
                        self.out += &format!(
                            "<text:list-item><text:p text:style-name=\"List_20_Contents\">{}</text:p></text:list-item>\n",
                            self.stmt(st)
                        );
                    }
                    self.out += "</text:list>\n";
                }
                Block::Note(n) => self.out += &format!("<text:p text:style-name=\"Note\">{}</text:p>\n", x(n)),
                Block::Chart(c) => self.chart(c),
            }
        }
        for sub in &s.subsections {
            self.section(sub, (level + 1).min(6));
        }
    }

    fn stmt(&self, s: &Stmt) -> String {
        let lead = if s.lead.is_empty() {
            String::new()
        } else {
            format!("<text:span text:style-name=\"Strong_20_Emphasis\">{}</text:span> ", x(&s.lead))
        };
        let more = if s.more_srcs > 0 { format!(" [+{}]", s.more_srcs) } else { String::new() };
        // Each reference as text that links to its entry in the list of sources (a bookmark),
        // as the standalone HTML does.
        let refs: Vec<String> = s
            .srcs
            .iter()
            .map(|r| {
                format!(
                    "<text:a xlink:type=\"simple\" xlink:href=\"#{}\">{}</text:a>",
                    html::anchor_id(r.position),
                    x(&src_ref(r, self.lang))
                )
            })
            .collect();
        format!("{lead}{} <text:span text:style-name=\"Source\">{}{more}</text:span>", x(&s.text), refs.join(" "))
    }

    /// A chart: its title, its pictures (each with its title and, as its description, what the
    /// text under it says), then that text, line by line in a fixed-width font as the Markdown
    /// report prints it.
    fn chart(&mut self, c: &Chart) {
        let (title, text) = md::chart_text(c, self.lang);
        self.out += &format!("<text:p text:style-name=\"Caption\">{}</text:p>\n", x(title));
        let images = html::images(c, self.lang);
        let several = images.len() > 1;
        for img in images {
            let n = self.images.len() + 1;
            if several {
                // Each spiral under its own title, as the HTML shows it.
                self.out += &format!("<text:p text:style-name=\"Figure\">{}</text:p>\n", x(&img.title));
            }
            let path = format!("Pictures/chart-{n}.svg");
            let (w, h) = size_cm(&img);
            let desc =
                format!("{}: {}", tr(self.lang, "Wat de afbeelding toont", "What the picture shows"), one_line(&text));
            self.out += &format!(
                "<text:p text:style-name=\"Figure\"><draw:frame draw:name=\"chart-{n}\" text:anchor-type=\"as-char\" svg:width=\"{w:.2}cm\" svg:height=\"{h:.2}cm\" draw:z-index=\"0\"><draw:image xlink:href=\"{path}\" xlink:type=\"simple\" xlink:show=\"embed\" xlink:actuate=\"onLoad\" draw:mime-type=\"image/svg+xml\"/><svg:title>{}</svg:title><svg:desc>{}</svg:desc></draw:frame></text:p>\n",
                x(&img.title),
                x(&desc)
            );
            self.images.push((path, img));
        }
        for line in text.lines() {
            self.out += &format!("<text:p text:style-name=\"Preformatted_20_Text\">{}</text:p>\n", spaced(line));
        }
    }
}

/// A picture's size on the page: its own size, made smaller to fit the page's width.
fn size_cm(img: &Image) -> (f64, f64) {
    let (w, h) = (img.width_px / PX_PER_CM, img.height_px / PX_PER_CM);
    if w > PICTURE_WIDTH_CM_MAX {
        (PICTURE_WIDTH_CM_MAX, h * PICTURE_WIDTH_CM_MAX / w)
    } else {
        (w, h)
    }
}

/// The lines of a chart's text as one line, for a description.
fn one_line(text: &str) -> String {
    text.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect::<Vec<_>>().join("; ")
}

/// A line whose spaces matter (columns in a fixed-width font): ODF collapses runs of spaces, so
/// each run after the first space is a `<text:s text:c="N"/>`.
fn spaced(line: &str) -> String {
    let mut out = String::new();
    let mut run = 0usize;
    let flush = |out: &mut String, run: usize| {
        if run > 0 {
            out.push(' ');
        }
        if run > 1 {
            *out += &format!("<text:s text:c=\"{}\"/>", run - 1);
        }
    };
    for c in line.chars() {
        if c == ' ' {
            run += 1;
            continue;
        }
        flush(&mut out, run);
        run = 0;
        out += &x(&c.to_string());
    }
    flush(&mut out, run);
    out
}

/// Text as XML character data or an attribute value. Control characters other than tab, CR and
/// LF are not allowed in XML 1.0 at all: they become spaces.
fn x(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            '\t' | '\n' | '\r' => o.push(' '),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => o.push(' '),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::{spaced, x};

    #[test]
    fn runs_of_spaces_are_kept() {
        assert_eq!(spaced("a  b"), "a <text:s text:c=\"1\"/>b");
        assert_eq!(spaced("  a"), " <text:s text:c=\"1\"/>a");
        assert_eq!(spaced("a b "), "a b ");
        assert_eq!(spaced("<x>"), "&lt;x&gt;");
    }

    #[test]
    fn text_cannot_add_markup_or_break_xml() {
        assert_eq!(x("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;");
        assert_eq!(x("a\u{1}b\u{7}"), "a b ");
    }
}
