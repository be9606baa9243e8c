//! Markdown rendering: readable as plain text.
//!
//! The document model holds plain text (names, titles, questions and lessons from the log, and
//! parlog's own sentences); only this file writes Markdown. So every string from the model goes
//! through [`text`] (or, inside a fenced block, [`code`]), and only the structure written here
//! (headings, list markers, bold leads, source references, fences) is Markdown. A note that
//! says `<script>` or `[x](javascript:…)` then reads as those characters, in any renderer.

use chrono::NaiveDate;
use parlog_core::Lang;

use super::doc::{Block, Chart, Doc, Section, Stmt};
use crate::fact::Src;
use crate::text::{fmt_day, src_ref, src_refs, tr};

/// Plain text as Markdown that renders as that text, within one line of a paragraph, list item
/// or heading.
///
/// - `&`, `<` and `>` become entities: a renderer that passes HTML through (most do) must not
///   see a tag, and an entity is read the same by every renderer, which a backslash is not.
/// - Characters that mark emphasis, code, links, tables, strikethrough, headings and escapes
///   (backslash, backtick, `*`, `_`, `[`, `]`, `#`, `|`, `~`) get a backslash, as CommonMark
///   allows for any ASCII punctuation.
/// - Line breaks and other control characters become spaces: a line break would let the text
///   start a block of its own (a heading, a list item, a fence) or end the list item it is in.
/// - At the start, `-`, `+`, `=` and a number followed by `.` or `)` are escaped too, for the
///   values that begin a line (they would make a list or a heading underline); surrounding
///   spaces are dropped, as they would make code blocks and break bold leads.
pub(crate) fn text(s: &str) -> String {
    let s = s.trim_matches(|c: char| c.is_whitespace() || c.is_control());
    let mut out = String::with_capacity(s.len() + 8);
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let marker_at = match s.as_bytes().get(digits) {
        Some(b'.' | b')') if digits > 0 => Some(digits),
        Some(b'-' | b'+' | b'=') if digits == 0 => Some(0),
        _ => None,
    };
    for (i, c) in s.char_indices() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => {
                if Some(i) == marker_at {
                    out.push('\\');
                }
                out.push(c);
            }
        }
    }
    out
}

/// Text inside a fenced code block, where nothing is interpreted: only line breaks matter (they
/// would end the chart's line); a fence in the text is made harmless by [`fenced`].
fn code(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// A fenced code block around `body`, with a fence longer than any run of backticks in it, so
/// that text in the block cannot close it.
fn fenced(out: &mut String, body: &str) {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat((longest + 1).max(3));
    *out += &format!("{fence}\n{body}{fence}\n\n");
}

pub fn render(doc: &Doc) -> String {
    let lang = doc.lang;
    let mut out = String::new();
    out += &format!("# {}\n\n{}\n\n", text(&doc.title), text(&doc.subtitle));
    for (k, v) in &doc.cover {
        out += &format!("- {}: {}\n", text(k), text(v));
    }
    out.push('\n');
    for s in &doc.sections {
        section(&mut out, s, 2, lang);
    }
    out += &format!("## {}\n\n", text(&doc.sources_title));
    for s in &doc.sources {
        let src = Src { position: s.position, date: s.date };
        let line = super::html::source_line(s, lang);
        // The reference is Markdown as it stands (as in the statements); the rest is text.
        let rest = line.strip_prefix(&src_ref(&src, lang)).unwrap_or(&line);
        out += &format!("- {} {}\n", src_ref(&src, lang), text(rest));
    }
    out
}

fn section(out: &mut String, s: &Section, level: usize, lang: Lang) {
    if s.is_empty() {
        return;
    }
    *out += &format!("{} {}\n\n", "#".repeat(level), text(&s.title));
    for b in &s.blocks {
        match b {
            Block::Para(st) => *out += &format!("{}\n\n", stmt(st, lang)),
            Block::List(items) => {
                for st in items {
                    *out += &format!("- {}\n", stmt(st, lang));
                }
                out.push('\n');
            }
            Block::Note(n) => *out += &format!("_{}_\n\n", text(n)),
            Block::Chart(c) => chart(out, c, lang),
        }
    }
    for sub in &s.subsections {
        section(out, sub, (level + 1).min(6), lang);
    }
}

fn stmt(s: &Stmt, lang: Lang) -> String {
    let lead = if s.lead.is_empty() { String::new() } else { format!("**{}** ", text(&s.lead)) };
    let more = if s.more_srcs > 0 { format!(" [+{}]", s.more_srcs) } else { String::new() };
    format!("{lead}{} {}{more}", text(&s.text), src_refs(&s.srcs, lang))
}

/// A chart as text in a fenced block: the same things the picture shows, in order.
fn chart(out: &mut String, c: &Chart, lang: Lang) {
    let (title, body) = chart_text(c, lang);
    *out += &format!("**{}**\n\n", text(title));
    fenced(out, &body);
}

/// A chart's title, and as lines of plain text the same things the picture shows, in order:
/// the Markdown report's chart, and the text under (and the description of) the ODT's picture.
pub(crate) fn chart_text(c: &Chart, lang: Lang) -> (&str, String) {
    let day = |d: &NaiveDate| fmt_day(*d, lang);
    let (title, body): (&str, String) = match c {
        Chart::RoleTimeline { title, capacity, methods, fte_label, .. } => {
            // One timeline, by date: capacity and method changes merged (capacity first on a day,
            // as it is the state the change of method happened in).
            let mut rows: Vec<(NaiveDate, u8, Src, String)> = Vec::new();
            for (d, fte, src) in capacity {
                let bar = "█".repeat((fte.max(0.0) * 2.0).round().min(60.0) as usize);
                rows.push((*d, 0, *src, format!("{} {fte:>5.1}  {bar}", code(fte_label))));
            }
            for (d, label, src) in methods {
                rows.push((*d, 1, *src, format!("◆ {}", code(label))));
            }
            rows.sort_by_key(|(d, k, src, _)| (*d, *k, *src));
            let width = rows.iter().map(|(d, ..)| day(d).chars().count()).max().unwrap_or(0);
            let mut b = String::new();
            for (d, _, _, row) in rows {
                b += &format!("{:<width$}  {row}\n", day(&d));
            }
            (title, b)
        }
        Chart::Spiral { title, spirals } => {
            let mut b = String::new();
            for s in spirals {
                let steps: Vec<String> = s
                    .cycles
                    .iter()
                    .enumerate()
                    .map(|(i, (name, d, _, prev))| {
                        let follows = match prev {
                            Some(p) if p + 1 != i => format!(" [{} {}]", follows_word(lang), p + 1),
                            _ => String::new(),
                        };
                        format!("{}. {} ({}){follows}", i + 1, code(name), day(d))
                    })
                    .collect();
                b += &format!("{}: {}\n", code(&s.title), steps.join(" → "));
            }
            (title, b)
        }
        Chart::Stages { title, rows, legend, .. } => {
            let mut b = String::new();
            for r in rows {
                let spans: Vec<String> =
                    r.spans.iter().map(|(f, _, i)| format!("{} {}", day(f), code(&legend[*i]))).collect();
                let end = r.end.as_ref().map(|(d, l)| format!(" | {} {}", day(d), code(l))).unwrap_or_default();
                b += &format!("{}: {}{end}\n", code(&r.name), spans.join(" → "));
            }
            (title, b)
        }
        Chart::Signals { title, years, themes } => {
            let themes: Vec<(String, &Vec<u64>)> = themes.iter().map(|(t, c)| (code(t), c)).collect();
            let width = themes.iter().map(|(t, _)| t.chars().count()).max().unwrap_or(0);
            let mut b = format!("{:width$}", "");
            for y in years {
                b += &format!(" {y:>6}");
            }
            b.push('\n');
            for (t, counts) in &themes {
                b += &format!("{t:width$}");
                for c in counts.iter() {
                    b += &format!(" {c:>6}");
                }
                b.push('\n');
            }
            (title, b)
        }
    };
    (title, body)
}

fn follows_word(lang: Lang) -> &'static str {
    tr(lang, "volgt op", "follows")
}

#[cfg(test)]
mod tests {
    use super::{code, fenced, text};

    #[test]
    fn text_renders_as_itself() {
        let check = |input: &str, expected: &str| assert_eq!(text(input), expected, "{input:?}");
        check("De Papierwinkel (2016-03-07)", "De Papierwinkel (2016-03-07)");
        check("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;");
        check("A & B", "A &amp; B");
        check("*vet* _schuin_ ~~weg~~", r"\*vet\* \_schuin\_ \~\~weg\~\~");
        check("[x](javascript:alert(1))", r"\[x\](javascript:alert(1))");
        check("`code` a|b c\\d", r"\`code\` a\|b c\\d");
        check("eerst\r\n# kop\n\tdan", r"eerst  \# kop  dan");
        // What would start a block where a value begins a line.
        check("- item", r"\- item");
        check("+ item", r"\+ item");
        check("=====", r"\=====");
        check("12. lijst", r"12\. lijst");
        check("3) lijst", r"3\) lijst");
        check("2014-09-01 - 2015", "2014-09-01 - 2015");
        check("    ingesprongen  ", "ingesprongen");
        check("> citaat", "&gt; citaat");
    }

    #[test]
    fn a_fence_is_longer_than_any_backticks_in_its_block() {
        let mut out = String::new();
        fenced(&mut out, &format!("{}\n", code("naam ````\nmet ``` erin")));
        assert_eq!(out, "`````\nnaam ```` met ``` erin\n`````\n\n");
        let mut plain = String::new();
        fenced(&mut plain, "a\n");
        assert_eq!(plain, "```\na\n```\n\n");
    }
}
