//! HTML: one self-contained file (no scripts, no external requests), phone first. The studies of
//! a part sit side by side in a grid that stacks them when the screen is narrow; the summary
//! table fits a 390 px screen for three studies and scrolls sideways inside its own box beyond
//! that, so the page itself never does. Every string goes through the retrospective's [`esc`].

use super::doc::Cites;
use super::page::{Column, Line, Page, Table};
use crate::retro::html::esc;

const STYLE: &str = r#"
:root { --ink: #1d2a33; --muted: #5b6b76; --accent: #1f6f8b; --line: #d5dde2; --card: #f5f8fa; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink);
       max-width: 72rem; margin: 0 auto; padding: .75rem; line-height: 1.45; overflow-wrap: anywhere; }
h1 { font-size: 1.5rem; margin: .5rem 0; border-bottom: 3px solid var(--accent); padding-bottom: .4rem; }
h2 { font-size: 1.25rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; margin-top: 2rem; }
h3 { font-size: 1.1rem; margin: 1.2rem 0 .3rem; } h4 { font-size: 1rem; margin: 0 0 .4rem; }
p.intro { color: var(--muted); }
.table { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; font-size: .88rem; overflow-wrap: normal; hyphens: auto; }
caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .3rem .35rem; text-align: left; vertical-align: top; }
thead th { border-bottom: 2px solid var(--accent); }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
td a { color: inherit; }
.cols { display: grid; gap: .75rem; grid-template-columns: repeat(auto-fit, minmax(min(100%, 17rem), 1fr)); }
.col { background: var(--card); border-radius: .4rem; padding: .6rem .75rem; min-width: 0; }
.col ul { padding-left: 1.1rem; margin: 0; } .col li { margin: .2rem 0; }
.src { color: var(--accent); font-size: .82em; white-space: nowrap; }
.note, p.lead { color: var(--muted); font-style: italic; }
@media (min-width: 48rem) { body { padding: 1.5rem; } h1 { font-size: 1.9rem; } table { font-size: .95rem; } }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  .col { background: none; border: 1px solid var(--line); page-break-inside: avoid; }
  h2, h3 { page-break-after: avoid; }
}
"#;

pub(crate) fn render(p: &Page) -> String {
    let lang = match p.lang {
        parlog_core::Lang::Nl => "nl",
        parlog_core::Lang::En => "en",
    };
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>{}</h1>\n",
        esc(&p.title),
        esc(&p.title)
    );
    for para in &p.intro {
        out += &format!("<p class=\"intro\">{}</p>\n", esc(para));
    }
    if let Some(l) = &p.legend {
        out += &format!("<p class=\"intro\">{} {} {}</p>\n", esc(&l.before), refs(&l.example), esc(&l.after));
    }
    out += "</header>\n<main>\n";
    table(&mut out, &p.summary);
    for part in &p.parts {
        out += &format!("<section id=\"{}\">\n<h2>{}</h2>\n", esc(&part.id), esc(&part.title));
        for g in &part.groups {
            let id = g.id.as_ref().map(|i| format!(" id=\"{}\"", esc(i))).unwrap_or_default();
            out += &format!("<div class=\"group\"{id}>\n");
            if let Some(t) = &g.title {
                out += &format!("<h3>{}</h3>\n", esc(t));
            }
            if let Some(lead) = &g.lead {
                out += &format!("<p class=\"lead\">{}</p>\n", esc(lead));
            }
            if !g.columns.is_empty() {
                out += "<div class=\"cols\">\n";
                for c in &g.columns {
                    column(&mut out, c);
                }
                out += "</div>\n";
            }
            out += "</div>\n";
        }
        out += "</section>\n";
    }
    out += "</main>\n</body>\n</html>\n";
    out
}

fn table(out: &mut String, t: &Table) {
    *out += &format!(
        "<section id=\"overzicht\">\n<div class=\"table\">\n<table>\n<caption>{}</caption>\n<thead><tr>",
        esc(&t.caption)
    );
    for h in &t.head {
        *out += &format!("<th scope=\"col\">{}</th>", esc(h));
    }
    *out += "</tr></thead>\n<tbody>\n";
    for r in &t.rows {
        *out += &format!("<tr><th scope=\"row\">{}</th>", esc(&r.label));
        for c in &r.cells {
            let class = if c.number { " class=\"n\"" } else { "" };
            *out += &format!("<td{class}><a href=\"#{}\">{}</a></td>", esc(&c.link), esc(&c.text));
        }
        *out += "</tr>\n";
    }
    *out += "</tbody>\n</table>\n</div>\n</section>\n";
}

fn column(out: &mut String, c: &Column) {
    *out += &format!("<article class=\"col\" id=\"{}\">\n<h4>{}</h4>\n", esc(&c.id), esc(&c.title));
    if !c.lines.is_empty() {
        *out += "<ul>\n";
        for l in &c.lines {
            line(out, l);
        }
        *out += "</ul>\n";
    }
    for n in &c.notes {
        *out += &format!("<p class=\"note\">{}</p>\n", esc(n));
    }
    *out += "</article>\n";
}

fn line(out: &mut String, l: &Line) {
    let id = l.id.as_ref().map(|i| format!(" id=\"{}\"", esc(i))).unwrap_or_default();
    let lead = if l.lead.is_empty() { String::new() } else { format!("<strong>{}</strong>", esc(&l.lead)) };
    let body = [lead, esc(&l.text), refs(&l.cites)].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ");
    *out += &format!("<li{id}>{body}");
    if !l.sub.is_empty() {
        *out += "\n<ul>\n";
        for s in &l.sub {
            line(out, s);
        }
        *out += "</ul>\n";
    }
    *out += "</li>\n";
}

/// A reference per cited event, with its day as the tooltip.
fn refs(c: &Cites) -> String {
    let mut v: Vec<String> = c
        .cites
        .iter()
        .map(|x| format!("<span class=\"src\" title=\"{}\">[{}]</span>", x.date, esc(&x.to_string())))
        .collect();
    if c.more_cites > 0 {
        v.push(format!("<span class=\"src\">[+{}]</span>", c.more_cites));
    }
    v.join(" ")
}
