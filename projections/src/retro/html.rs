//! HTML rendering: one self-contained file (no external requests), made for a phone first: a
//! table of contents at the top, sections that fold (open by default), inline SVG charts whose
//! text stays readable at any width, and a print stylesheet.
//!
//! **Escaping.** Every string from the document model (names, titles and sentences from the log,
//! and parlog's own sentences) goes through [`esc`]; only the structure written here is markup,
//! so text from events can never add markup.
//!
//! **Charts.** A chart's width follows the page, and its text does not shrink with it: the time
//! and bar charts have no `viewBox` (which would scale text down with the picture, to about 5 px
//! on a phone); they place things at percentages of the width and write text in pixels (13 px),
//! so it reads the same at 390 px and on a desktop. Labels that could run past an edge are not
//! drawn in the picture: the picture numbers its marks, and a list under it (HTML, which wraps)
//! says what each is; names in a row start at the left edge and are cut to fit a phone, whole in
//! their tooltip. The small spirals keep a `viewBox` of their own size, so they are never drawn
//! larger than they are and their text never smaller than 13 px unless the screen is narrower
//! than the spiral. An SVG's height (a spiral's width) is also set in its `style`, so that a page
//! that shows the figure with its own sizes for SVGs (as the web interface's styles do) keeps it.

use chrono::{Datelike, NaiveDate};
use parlog_core::Lang;

use super::doc::{Block, Chart, Doc, Section, SourceInfo, SourceLinks, Stmt};
use crate::fact::Src;
use crate::text::{fmt_day, src_ref, tr};

const STYLE: &str = r#"
:root { --ink: #1d2a33; --muted: #5b6b76; --accent: #1f6f8b; --line: #d5dde2; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink);
       max-width: 60rem; margin: 0 auto; padding: 1.5rem; line-height: 1.5; overflow-wrap: break-word; }
header.cover { border-bottom: 3px solid var(--accent); margin-bottom: 1.5rem; padding-bottom: 1rem; }
header.cover h1 { margin: 0 0 .25rem; font-size: 2rem; line-height: 1.2; }
header.cover p.subtitle { margin: 0 0 1rem; color: var(--muted); font-size: 1.1rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; word-break: break-all; }
nav.toc { border: 1px solid var(--line); border-radius: 6px; padding: .4rem 1rem .6rem; margin: 0 0 1.5rem; }
nav.toc h2 { font-size: 1.15rem; border: 0; margin: .4rem 0; padding: 0; }
nav.toc ol { margin: 0; padding-left: 1.3rem; } nav.toc li { margin: .15rem 0; }
nav.toc ol ol { font-size: .92em; }
nav.toc a { color: var(--accent); }
h2 { border-bottom: 1px solid var(--line); padding-bottom: .2rem; margin: 2.2rem 0 .3rem; line-height: 1.25; }
h3 { margin-top: 1.6rem; } h4 { margin-top: 1.2rem; }
details.fold > summary { cursor: pointer; color: var(--accent); font-size: .9rem; margin: 0 0 .8rem; width: fit-content; }
details.fold > summary .when-closed, details.fold:not([open]) > summary .when-open { display: none; }
details.fold:not([open]) > summary .when-closed { display: inline; }
ul { padding-left: 1.2rem; } li { margin: .25rem 0; }
.src { color: var(--accent); font-size: .85em; white-space: nowrap; text-decoration: none; }
a.src:hover, a.src:focus { text-decoration: underline; }
.vh { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; }
ol.sources li:target { background: #fff6d6; }
.note { color: var(--muted); font-style: italic; }
figure { margin: 1rem 0; } figcaption { font-weight: 600; margin-bottom: .3rem; }
svg { font-family: inherit; }
svg.plot { display: block; width: 100%; overflow: visible; }
svg text { fill: var(--ink); font-size: 13px; }
svg text.mark { font-size: 12px; font-weight: 600; }
.legend { font-size: .9em; margin: .4rem 0 0; padding-left: 1.3rem; }
ul.legend.keys { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .2rem 1.2rem; }
.legend svg { vertical-align: -.1em; margin-right: .35em; width: 12px; height: 12px; }
.spirals { display: flex; flex-wrap: wrap; gap: 1rem 1.5rem; align-items: flex-start; }
.spiral { flex: 1 1 15rem; max-width: 24rem; margin: 0; }
.spiral svg { display: block; max-width: 100%; height: auto; }
.spiral p { font-weight: 600; margin: 0 0 .2rem; }
ol.sources { font-size: .9em; padding-left: 0; list-style: none; }
ol.sources li { border-bottom: 1px dotted var(--line); padding: .15rem 0; }
@media (max-width: 40rem) {
  body { padding: .75rem; }
  header.cover h1 { font-size: 1.5rem; }
  dl.meta { grid-template-columns: 1fr; } dl.meta dd { margin-bottom: .3rem; }
  ul { padding-left: 1rem; }
}
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  header.cover { page-break-after: always; border: none; }
  nav.toc { page-break-after: always; }
  details.fold > summary { display: none; }
  h2 { page-break-before: always; } h2, h3, h4 { page-break-after: avoid; }
  figure, li { page-break-inside: avoid; }
  a.src { color: inherit; }
}
"#;

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Nl => "nl",
        Lang::En => "en",
    }
}

pub fn render(doc: &Doc) -> String {
    let lang = doc.lang;
    let mut out = String::new();
    out += &format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        lang_code(lang),
        esc(&doc.title)
    );
    out += &format!(
        "<header class=\"cover\">\n<h1>{}</h1>\n<p class=\"subtitle\">{}</p>\n<dl class=\"meta\">\n",
        esc(&doc.title),
        esc(&doc.subtitle)
    );
    for (k, v) in &doc.cover {
        out += &format!("<dt>{}</dt><dd>{}</dd>\n", esc(k), esc(v));
    }
    out += "</dl>\n</header>\n";
    toc(&mut out, doc);
    out += "<main>\n";
    for s in &doc.sections {
        section(&mut out, s, 2, doc);
    }
    out += &format!("<section id=\"bronnen\">\n<h2>{}</h2>\n", esc(&doc.sources_title));
    fold_open(&mut out, lang);
    out += "<ol class=\"sources\">\n";
    for s in &doc.sources {
        out += &format!("<li id=\"{}\">{}</li>\n", anchor_id(s.position), esc(&source_line(s, lang)));
    }
    out += "</ol>\n</details>\n</section>\n</main>\n</body>\n</html>\n";
    out
}

/// The id of a cited event's entry in the list of sources: `bron-12`.
pub(crate) fn anchor_id(position: u64) -> String {
    format!("bron-{position}")
}

/// One entry of the list of sources, as plain text: the reference, what the event is, who
/// recorded it, its stream and its open facts (`[#12 · 18 mrt 2019] veldnotitie vastgelegd ·
/// makelaar Noord A · notes:makelaar-noord-a · onderwerp: boodschappen · gebied: Gouda-Noord`).
/// Markdown, HTML and ODT list the same words.
pub(crate) fn source_line(s: &SourceInfo, lang: Lang) -> String {
    let src = Src { position: s.position, date: s.date };
    let mut parts = vec![s.kind.clone(), s.author.clone(), s.stream.clone()];
    parts.extend(s.facts.iter().map(|(k, v)| format!("{k}: {v}")));
    format!("{} {}", src_ref(&src, lang), parts.join(" · "))
}

/// A source reference as a link: to the list of sources, or to the event's page in the web
/// interface. The link says in words (for screen readers, hidden on screen) what it opens.
fn src_link(r: &Src, links: &SourceLinks, lang: Lang) -> String {
    let (href, target, what) = match links {
        SourceLinks::Appendix => {
            (format!("#{}", anchor_id(r.position)), "", tr(lang, "naar de lijst van bronnen", "to the list of sources"))
        }
        // `_top`: when the web interface shows the report in a frame, the event opens in the
        // interface itself, not inside the frame.
        SourceLinks::EventPage { study } => (
            format!("/#/event/{}?study={}", r.position, esc(study)),
            " target=\"_top\"",
            tr(lang, "open de gebeurtenis in parlog", "open the event in parlog"),
        ),
    };
    format!(
        "<a class=\"src\" href=\"{href}\"{target}>{}<span class=\"vh\"> ({what})</span></a>",
        esc(&src_ref(r, lang))
    )
}

/// The table of contents: every section and its subsections, then the sources.
fn toc(out: &mut String, doc: &Doc) {
    let title = tr(doc.lang, "Inhoud", "Contents");
    *out += &format!("<nav class=\"toc\" aria-labelledby=\"inhoud\">\n<h2 id=\"inhoud\">{title}</h2>\n<ol>\n");
    for s in doc.sections.iter().filter(|s| !s.is_empty()) {
        *out += &format!("<li><a href=\"#{}\">{}</a>", esc(&s.id), esc(&s.title));
        let subs: Vec<&Section> = s.subsections.iter().filter(|x| !x.is_empty()).collect();
        if !subs.is_empty() {
            *out += "<ol>";
            for x in subs {
                *out += &format!("<li><a href=\"#{}\">{}</a></li>", esc(&x.id), esc(&x.title));
            }
            *out += "</ol>";
        }
        *out += "</li>\n";
    }
    *out += &format!("<li><a href=\"#bronnen\">{}</a></li>\n</ol>\n</nav>\n", esc(&doc.sources_title));
}

/// Opens the fold of a section: its content, under its heading, in a `<details>` open by
/// default. The heading stays outside the fold: a heading inside a `<summary>` loses its role
/// for screen readers (the summary is a button), so the summary is a small control of its own,
/// whose words say what it does.
fn fold_open(out: &mut String, lang: Lang) {
    *out += &format!(
        "<details class=\"fold\" open><summary><span class=\"when-open\">{}</span><span class=\"when-closed\">{}</span></summary>\n",
        tr(lang, "Deze sectie inklappen", "Fold this section"),
        tr(lang, "Deze sectie uitklappen", "Unfold this section")
    );
}

fn section(out: &mut String, s: &Section, level: usize, doc: &Doc) {
    let lang = doc.lang;
    if s.is_empty() {
        return;
    }
    *out += &format!("<section id=\"{}\">\n<h{level}>{}</h{level}>\n", esc(&s.id), esc(&s.title));
    let folds = level == 2;
    if folds {
        fold_open(out, lang);
    }
    for b in &s.blocks {
        match b {
            Block::Para(st) => *out += &format!("<p>{}</p>\n", stmt(st, doc)),
            Block::List(items) => {
                *out += "<ul>\n";
                for st in items {
                    *out += &format!("<li>{}</li>\n", stmt(st, doc));
                }
                *out += "</ul>\n";
            }
            Block::Note(n) => *out += &format!("<p class=\"note\">{}</p>\n", esc(n)),
            Block::Chart(c) => chart(out, c, lang),
        }
    }
    for sub in &s.subsections {
        section(out, sub, (level + 1).min(6), doc);
    }
    if folds {
        *out += "</details>\n";
    }
    *out += "</section>\n";
}

fn stmt(s: &Stmt, doc: &Doc) -> String {
    let lead = if s.lead.is_empty() { String::new() } else { format!("<strong>{}</strong> ", esc(&s.lead)) };
    let refs: Vec<String> = s.srcs.iter().map(|r| src_link(r, &doc.links, doc.lang)).collect();
    let more = if s.more_srcs > 0 { format!(" [+{}]", s.more_srcs) } else { String::new() };
    format!("{lead}{} {}{more}", esc(&s.text), refs.join(" "))
}

pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Colours for series, chosen to stay apart in print and for common colour blindness.
const PALETTE: [&str; 12] = [
    "#1f6f8b", "#e07a1f", "#3a9d5d", "#b23a48", "#7b5ea7", "#c9a227", "#4f7cac", "#8c564b", "#2a9d8f", "#d1495b",
    "#6a994e", "#5e548e",
];

/// The spiral of cycles: the radius of its first cycle, what each next cycle adds, and the most
/// it grows to (in pixels, as the spiral is drawn at its own size).
const SPIRAL_RADIUS_MIN: f64 = 12.0;
const SPIRAL_STEP: f64 = 10.0;
const SPIRAL_RADIUS_MAX: f64 = 100.0;
/// Straight pieces an arc of the spiral between two cycles is drawn with.
const SPIRAL_ARC_STEPS: usize = 12;

/// Where the plot area of a time or bar chart starts and how wide it is, in percent of the
/// chart's width: a small margin on both sides for the first and last tick label.
const PLOT_LEFT_PCT: f64 = 3.0;
const PLOT_WIDTH_PCT: f64 = 94.0;
/// Marks of a time chart closer than this (percent of the width) go on rows under each other:
/// about 30 px on a phone, room for a dot and a number of two digits.
const MARK_GAP_PCT: f64 = 8.0;
/// Year labels on a time axis at most; more years are labelled every other (third, …) year.
const YEAR_LABELS_MAX: i32 = 6;
/// Characters of a name drawn in a row of a chart: about the width of a phone at 13 px; the
/// whole name is in the row's tooltip.
const ROW_NAME_CHARS_MAX: usize = 40;

fn days(from: NaiveDate, d: NaiveDate) -> f64 {
    (d - from).num_days() as f64
}

/// An x position on a time axis, in percent of the chart's width.
fn x_of(from: NaiveDate, span: f64, d: NaiveDate) -> f64 {
    PLOT_LEFT_PCT + days(from, d).max(0.0) / span * PLOT_WIDTH_PCT
}

/// The anchor of a text at `x` percent, so that it does not run past either edge.
fn anchor(x: f64) -> &'static str {
    if x < 12.0 {
        "start"
    } else if x > 88.0 {
        "end"
    } else {
        "middle"
    }
}

/// Where a chart's SVG goes: into the HTML page (a figure with its caption and the list under
/// the picture), or alone, as an SVG document of its own (an image in the ODT report, whose
/// caption and list are the document's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Frame {
    Page,
    Alone,
}

/// The width of a time or bar chart drawn alone, in pixels (about the width of a page of text).
pub(crate) const ALONE_WIDTH_PX: f64 = 640.0;

/// What an SVG drawn alone needs that the page's stylesheet gives the inline one.
const ALONE_STYLE: &str =
    "text{font-family:Arial,Helvetica,sans-serif;font-size:13px;fill:#1d2a33}text.mark{font-size:12px;font-weight:600}";

/// A chart's picture as an SVG document of its own.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Image {
    pub title: String,
    pub svg: String,
    pub width_px: f64,
    pub height_px: f64,
}

/// The opening of an SVG document of its own, `width` × `height` pixels.
fn open_alone(out: &mut String, title: &str, width: f64, height: f64) {
    *out += &format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\"><title>{}</title><style>{ALONE_STYLE}</style><rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>",
        esc(title)
    );
}

/// Opens a chart: in a page, its figure, caption and an SVG `height` pixels high that is as
/// wide as the page; alone, an SVG document [`ALONE_WIDTH_PX`] wide.
fn open_chart(out: &mut String, frame: Frame, title: &str, height: f64) {
    match frame {
        Frame::Page => *out += &format!(
            "<figure><figcaption>{0}</figcaption><svg class=\"plot\" width=\"100%\" height=\"{height:.0}\" style=\"height:{height:.0}px\" role=\"img\" aria-label=\"{0}\">",
            esc(title)
        ),
        Frame::Alone => open_alone(out, title, ALONE_WIDTH_PX, height),
    }
}

/// Year lines and labels on a time axis from `y` to `y + h`, labels under it.
fn year_ticks(out: &mut String, from: NaiveDate, to: NaiveDate, y: f64, h: f64) {
    let span = days(from, to).max(1.0);
    let years = to.year() - from.year() + 1;
    let every = ((years + YEAR_LABELS_MAX - 1) / YEAR_LABELS_MAX).max(1);
    for year in from.year()..=to.year() + 1 {
        let Some(d) = NaiveDate::from_ymd_opt(year, 1, 1) else { continue };
        if d < from || d > to {
            continue;
        }
        let x = x_of(from, span, d);
        *out += &format!("<line x1=\"{x:.2}%\" y1=\"{y:.1}\" x2=\"{x:.2}%\" y2=\"{:.1}\" stroke=\"#d5dde2\"/>", y + h);
        if (year - from.year()) % every == 0 || every == 1 {
            *out +=
                &format!("<text x=\"{x:.2}%\" y=\"{:.1}\" text-anchor=\"{}\">{year}</text>", y + h + 16.0, anchor(x));
        }
    }
}

/// The height of the key of a picture drawn alone: a row per entry.
fn key_height(entries: usize) -> f64 {
    8.0 + entries as f64 * KEY_ROW_PX
}

/// One row of a key drawn in a picture, in pixels.
const KEY_ROW_PX: f64 = 18.0;

/// The key of a picture drawn alone, from `y` down: a coloured square and its words per row.
fn alone_key(out: &mut String, keys: &[(&str, &str)], y: f64) {
    for (i, (colour, label)) in keys.iter().enumerate() {
        let top = y + 8.0 + i as f64 * KEY_ROW_PX;
        *out += &format!(
            "<rect x=\"{PLOT_LEFT_PCT}%\" y=\"{top:.1}\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"{:.2}%\" y=\"{:.1}\">{}</text>",
            PLOT_LEFT_PCT + 3.0,
            top + 11.0,
            esc(label)
        );
    }
}

/// A small coloured square for a legend.
fn swatch(colour: &str) -> String {
    format!(
        "<svg viewBox=\"0 0 12 12\" width=\"12\" height=\"12\" aria-hidden=\"true\"><rect width=\"12\" height=\"12\" fill=\"{colour}\"/></svg>"
    )
}

/// A small coloured dot for a legend, as the marks of a time chart.
fn dot(colour: &str) -> String {
    format!(
        "<svg viewBox=\"0 0 12 12\" width=\"12\" height=\"12\" aria-hidden=\"true\"><circle cx=\"6\" cy=\"6\" r=\"5\" fill=\"{colour}\"/></svg>"
    )
}

/// A short thick line for a legend, as a line of a time chart.
fn stroke(colour: &str) -> String {
    format!(
        "<svg viewBox=\"0 0 12 12\" width=\"12\" height=\"12\" aria-hidden=\"true\"><rect y=\"4.5\" width=\"12\" height=\"3\" fill=\"{colour}\"/></svg>"
    )
}

pub(super) fn chart(out: &mut String, c: &Chart, lang: Lang) {
    if let Chart::Spiral { title, spirals } = c {
        *out += &format!("<figure><figcaption>{}</figcaption><div class=\"spirals\">", esc(title));
        for (k, s) in spirals.iter().enumerate() {
            spiral(out, Frame::Page, s, PALETTE[k % PALETTE.len()], lang);
        }
        *out += "</div></figure>\n";
    } else {
        draw(out, Frame::Page, c, lang);
    }
}

/// The chart's pictures as SVG documents of their own: one, or one per spiral.
pub(crate) fn images(c: &Chart, lang: Lang) -> Vec<Image> {
    if let Chart::Spiral { spirals, .. } = c {
        return spirals
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let mut svg = String::new();
                let size = spiral(&mut svg, Frame::Alone, s, PALETTE[k % PALETTE.len()], lang);
                Image { title: s.title.clone(), svg: xml_chars(&svg), width_px: size, height_px: size }
            })
            .collect();
    }
    let mut svg = String::new();
    let height_px = draw(&mut svg, Frame::Alone, c, lang);
    let svg = xml_chars(&svg);
    let title = match c {
        Chart::RoleTimeline { title, .. } | Chart::Stages { title, .. } | Chart::Signals { title, .. } => title,
        Chart::Spiral { title, .. } => title,
    };
    vec![Image { title: title.clone(), svg, width_px: ALONE_WIDTH_PX, height_px }]
}

/// An SVG document for an XML reader: the control characters XML 1.0 does not allow (which an
/// HTML page shows or ignores) become spaces.
fn xml_chars(svg: &str) -> String {
    svg.chars().map(|c| if c.is_control() && !matches!(c, '\n' | '\t' | '\r') { ' ' } else { c }).collect()
}

/// A time or bar chart; its height in pixels. (Spirals are drawn one by one, by [`spiral`].)
fn draw(out: &mut String, frame: Frame, c: &Chart, lang: Lang) -> f64 {
    match c {
        Chart::RoleTimeline { title, from, to, capacity, methods, fte_label } => {
            role_timeline(out, frame, title, (*from, *to), capacity, methods, fte_label, lang)
        }
        Chart::Spiral { .. } => unreachable!("spirals are drawn one by one"),
        Chart::Stages { title, from, to, rows, legend } => stages(out, frame, title, (*from, *to), rows, legend, lang),
        Chart::Signals { title, years, themes } => signals(out, frame, title, years, themes),
    }
}

/// Capacity as steps over time, and changes of method as numbered marks under it; the list under
/// the picture names each, by date.
#[allow(clippy::too_many_arguments)]
fn role_timeline(
    out: &mut String,
    frame: Frame,
    title: &str,
    (from, to): (NaiveDate, NaiveDate),
    capacity: &[(NaiveDate, f64, Src)],
    methods: &[(NaiveDate, String, Src)],
    fte_label: &str,
    lang: Lang,
) -> f64 {
    let (y0, ch) = (24.0, 110.0);
    let span = days(from, to).max(1.0);
    let max_fte = capacity.iter().map(|c| c.1).fold(1.0_f64, f64::max);
    // Marks of changes of method close in time go on rows under each other.
    let mut rows_end: Vec<f64> = Vec::new();
    let mut marks = Vec::new();
    for (d, _, _) in methods {
        let x = x_of(from, span, *d);
        let row = rows_end.iter().position(|end| *end + MARK_GAP_PCT < x).unwrap_or(rows_end.len());
        if row == rows_end.len() {
            rows_end.push(x);
        }
        rows_end[row] = x;
        marks.push((x, row));
    }
    let marks_y = y0 + ch + 40.0;
    let height = marks_y + rows_end.len() as f64 * 20.0 + 6.0;
    open_chart(out, frame, title, height);
    year_ticks(out, from, to, y0, ch);
    let y_of = |fte: f64| y0 + ch - fte / max_fte * ch;
    for (i, (d, fte, src)) in capacity.iter().enumerate() {
        let x1 = x_of(from, span, *d);
        let x2 = capacity.get(i + 1).map(|n| x_of(from, span, n.0)).unwrap_or(PLOT_LEFT_PCT + PLOT_WIDTH_PCT);
        let y = y_of(*fte);
        *out += &format!(
            "<line x1=\"{x1:.2}%\" y1=\"{y:.1}\" x2=\"{x2:.2}%\" y2=\"{y:.1}\" stroke=\"{}\" stroke-width=\"3\"><title>{}</title></line>",
            PALETTE[0],
            esc(&format!("{} {} {} {}", fmt_fte_label(*fte), fte_label, fmt_day(*d, lang), src_ref(src, lang)))
        );
        if let Some(next) = capacity.get(i + 1) {
            *out += &format!(
                "<line x1=\"{x2:.2}%\" y1=\"{y:.1}\" x2=\"{x2:.2}%\" y2=\"{:.1}\" stroke=\"{}\" stroke-width=\"3\"/>",
                y_of(next.1),
                PALETTE[0]
            );
        }
        let a = if x1 > 70.0 { "end" } else { "start" };
        let tx = if a == "end" { x1 - 0.5 } else { x1 + 0.5 };
        *out += &format!(
            "<text x=\"{tx:.2}%\" y=\"{:.1}\" text-anchor=\"{a}\">{} {}</text>",
            y - 6.0,
            fmt_fte_label(*fte),
            esc(fte_label)
        );
    }
    for (i, ((d, label, src), (x, row))) in methods.iter().zip(&marks).enumerate() {
        let y = marks_y + *row as f64 * 20.0;
        *out += &format!(
            "<circle cx=\"{x:.2}%\" cy=\"{:.1}\" r=\"5\" fill=\"{}\"><title>{} {} {}</title></circle>",
            y - 4.0,
            PALETTE[1],
            esc(label),
            fmt_day(*d, lang),
            esc(&src_ref(src, lang))
        );
        let a = if *x > 88.0 { "end" } else { "start" };
        let tx = if a == "end" { x - 1.2 } else { x + 1.2 };
        *out += &format!("<text class=\"mark\" x=\"{tx:.2}%\" y=\"{y:.1}\" text-anchor=\"{a}\">{}</text>", i + 1);
    }
    *out += "</svg>";
    if frame == Frame::Alone {
        return height;
    }
    // The list under it: capacity and method changes merged by date, as the Markdown lists them.
    let mut items: Vec<(NaiveDate, u8, Src, String)> = Vec::new();
    for (d, fte, src) in capacity {
        items.push((*d, 0, *src, format!("{}{} {}", stroke(PALETTE[0]), fmt_fte_label(*fte), esc(fte_label))));
    }
    for (i, (d, label, src)) in methods.iter().enumerate() {
        items.push((*d, 1, *src, format!("{}{}. {}", dot(PALETTE[1]), i + 1, esc(label))));
    }
    items.sort_by_key(|(d, k, src, _)| (*d, *k, *src));
    *out += "<ul class=\"legend\">";
    for (d, _, _, text) in items {
        *out += &format!("<li>{}: {text}</li>", fmt_day(d, lang));
    }
    *out += "</ul></figure>\n";
    height
}

fn fmt_fte_label(f: f64) -> String {
    super::context::fmt_fte(f)
}

/// One spiral: its cycles on a spiral from the centre, each joined to the cycle it follows, and
/// the list of its cycles under it.
/// Drawn alone, only the picture; the size of its square, in pixels.
fn spiral(out: &mut String, frame: Frame, s: &super::doc::SpiralChart, colour: &str, lang: Lang) -> f64 {
    // The spiral grows by `step` per cycle, less for a long one, so that it stays within
    // SPIRAL_RADIUS_MAX; the picture is as large as its spiral (a single cycle is a dot).
    let n = s.cycles.len().max(1);
    let step = if n > 1 { SPIRAL_STEP.min((SPIRAL_RADIUS_MAX - SPIRAL_RADIUS_MIN) / (n - 1) as f64) } else { 0.0 };
    let half = SPIRAL_RADIUS_MIN + step * (n - 1) as f64 + 22.0;
    let size = 2.0 * half;
    match frame {
        Frame::Page => *out += &format!(
            "<div class=\"spiral\"><p>{0}</p><svg viewBox=\"0 0 {size:.0} {size:.0}\" width=\"{size:.0}\" style=\"width:{size:.0}px\" role=\"img\" aria-label=\"{0}\">",
            esc(&s.title)
        ),
        Frame::Alone => open_alone(out, &s.title, size, size),
    }
    let point = |t: f64| {
        let angle = t * 1.6 * std::f64::consts::PI;
        let r = SPIRAL_RADIUS_MIN + step * t;
        (half + r * angle.cos(), half + r * angle.sin())
    };
    // Each cycle joined to the one it follows: along the spiral when that is the cycle just
    // before it, straight across when the spiral branches.
    for (i, (_, _, _, prev)) in s.cycles.iter().enumerate() {
        let Some(p) = prev else { continue };
        let mut d = String::new();
        let steps = if p + 1 == i { SPIRAL_ARC_STEPS } else { 1 };
        for k in 0..=steps {
            let t = *p as f64 + (i - p) as f64 * k as f64 / steps as f64;
            let (x, y) = if steps == 1 { point(if k == 0 { *p as f64 } else { i as f64 }) } else { point(t) };
            d += &format!("{}{x:.1},{y:.1}", if k == 0 { "M" } else { " L" });
        }
        *out +=
            &format!("<path d=\"{d}\" fill=\"none\" stroke=\"{colour}\" stroke-opacity=\".55\" stroke-width=\"2\"/>");
    }
    for (i, (name, date, src, _)) in s.cycles.iter().enumerate() {
        let (x, y) = point(i as f64);
        *out += &format!(
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"5\" fill=\"{colour}\"><title>{} ({}) {}</title></circle>",
            esc(name),
            fmt_day(*date, lang),
            esc(&src_ref(src, lang))
        );
        *out += &format!("<text class=\"mark\" x=\"{:.1}\" y=\"{:.1}\">{}</text>", x + 7.0, y - 4.0, i + 1);
    }
    *out += "</svg>";
    if frame == Frame::Alone {
        return size;
    }
    *out += "<ol class=\"legend\">";
    for (i, (name, date, _, prev)) in s.cycles.iter().enumerate() {
        let follows = match prev {
            Some(p) if p + 1 != i => format!(" ({} {})", tr(lang, "volgt op", "follows"), p + 1),
            _ => String::new(),
        };
        *out += &format!("<li>{} ({}){follows}</li>", esc(name), fmt_day(*date, lang));
    }
    *out += "</ol></div>";
    size
}

/// The stages of each initiative over time: its name on a line, its stages as a bar under it.
fn stages(
    out: &mut String,
    frame: Frame,
    title: &str,
    (from, to): (NaiveDate, NaiveDate),
    rows: &[super::doc::StageRow],
    legend: &[String],
    lang: Lang,
) -> f64 {
    let row_h = 42.0;
    let y0 = 4.0;
    let plot_height = y0 + rows.len() as f64 * row_h + 26.0;
    // Alone, the picture carries its key (the page's list is not there): a row per stage and
    // one for the end mark.
    let keys: Vec<(&str, &str)> = legend
        .iter()
        .enumerate()
        .map(|(i, l)| (PALETTE[i % PALETTE.len()], l.as_str()))
        .chain([("#1d2a33", tr(lang, "overgedragen of gestopt", "handed over or stopped"))])
        .collect();
    let height = plot_height + if frame == Frame::Alone { key_height(keys.len()) } else { 0.0 };
    let span = days(from, to).max(1.0);
    open_chart(out, frame, title, height);
    year_ticks(out, from, to, y0, rows.len() as f64 * row_h);
    for (i, r) in rows.iter().enumerate() {
        let y = y0 + i as f64 * row_h;
        *out += &format!(
            "<text x=\"{PLOT_LEFT_PCT}%\" y=\"{:.1}\"><title>{}</title>{}</text>",
            y + 17.0,
            esc(&r.name),
            esc(&short(&r.name, ROW_NAME_CHARS_MAX))
        );
        for (f, t, s) in &r.spans {
            let x1 = x_of(from, span, *f);
            let x2 = x_of(from, span, *t);
            *out += &format!(
                "<rect x=\"{x1:.2}%\" y=\"{:.1}\" width=\"{:.2}%\" height=\"12\" fill=\"{}\"><title>{} {} – {}</title></rect>",
                y + 23.0,
                (x2 - x1).max(0.3),
                PALETTE[s % PALETTE.len()],
                esc(&legend[*s]),
                fmt_day(*f, lang),
                fmt_day(*t, lang)
            );
        }
        if let Some((d, label)) = &r.end {
            let x = x_of(from, span, *d);
            *out += &format!(
                "<line x1=\"{x:.2}%\" y1=\"{:.1}\" x2=\"{x:.2}%\" y2=\"{:.1}\" stroke=\"#1d2a33\" stroke-width=\"2\"><title>{} {}</title></line>",
                y + 20.0,
                y + 38.0,
                esc(label),
                fmt_day(*d, lang)
            );
        }
    }
    if frame == Frame::Alone {
        alone_key(out, &keys, plot_height);
        *out += "</svg>";
        return height;
    }
    *out += "</svg>";
    *out += "<ul class=\"legend keys\">";
    for (i, l) in legend.iter().enumerate() {
        *out += &format!("<li>{}{}</li>", swatch(PALETTE[i % PALETTE.len()]), esc(l));
    }
    *out += &format!(
        "<li><svg viewBox=\"0 0 12 12\" width=\"12\" height=\"12\" aria-hidden=\"true\"><rect x=\"5\" width=\"2\" height=\"12\" fill=\"#1d2a33\"/></svg>{}</li>",
        tr(lang, "overgedragen of gestopt", "handed over or stopped")
    );
    *out += "</ul></figure>\n";
    height
}

/// Signals per theme per year, stacked; the themes with their totals in the list under it.
fn signals(out: &mut String, frame: Frame, title: &str, years: &[i32], themes: &[(String, Vec<u64>)]) -> f64 {
    let (y0, ch) = (10.0, 160.0);
    let max: u64 = (0..years.len()).map(|i| themes.iter().map(|(_, c)| c[i]).sum::<u64>()).max().unwrap_or(1).max(1);
    let bw = PLOT_WIDTH_PCT / years.len().max(1) as f64;
    let every = (years.len() as i32 + 7) / 8;
    let totals: Vec<String> = themes.iter().map(|(t, c)| format!("{t} ({})", c.iter().sum::<u64>())).collect();
    let keys: Vec<(&str, &str)> =
        totals.iter().enumerate().map(|(i, t)| (PALETTE[i % PALETTE.len()], t.as_str())).collect();
    let plot_height = y0 + ch + 24.0;
    let height = plot_height + if frame == Frame::Alone { key_height(keys.len()) } else { 0.0 };
    open_chart(out, frame, title, height);
    for (i, y) in years.iter().enumerate() {
        let x = PLOT_LEFT_PCT + i as f64 * bw;
        let mut top = y0 + ch;
        for (ti, (theme, counts)) in themes.iter().enumerate() {
            let bh = counts[i] as f64 / max as f64 * ch;
            top -= bh;
            if counts[i] > 0 {
                *out += &format!(
                    "<rect x=\"{:.2}%\" y=\"{top:.1}\" width=\"{:.2}%\" height=\"{bh:.1}\" fill=\"{}\"><title>{} {y}: {}</title></rect>",
                    x + bw * 0.15,
                    bw * 0.7,
                    PALETTE[ti % PALETTE.len()],
                    esc(theme),
                    counts[i]
                );
            }
        }
        if i as i32 % every.max(1) == 0 {
            *out += &format!(
                "<text x=\"{:.2}%\" y=\"{:.1}\" text-anchor=\"middle\">{y}</text>",
                x + bw / 2.0,
                y0 + ch + 17.0
            );
        }
    }
    if frame == Frame::Alone {
        alone_key(out, &keys, plot_height);
        *out += "</svg>";
        return height;
    }
    *out += "</svg>";
    *out += "<ul class=\"legend keys\">";
    for (ti, (theme, counts)) in themes.iter().enumerate() {
        *out +=
            &format!("<li>{}{} ({})</li>", swatch(PALETTE[ti % PALETTE.len()]), esc(theme), counts.iter().sum::<u64>());
    }
    *out += "</ul></figure>\n";
    height
}

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}
