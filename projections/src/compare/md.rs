//! Markdown: the summary as a table, then each part with a heading per study (Markdown cannot
//! put columns side by side). Every string goes through the retrospective's [`text`], which
//! makes text from a log read as itself in any renderer (also `|` inside a table cell).

use super::doc::Cites;
use super::page::{Line, Page, Table};
use crate::retro::md::text;

pub(crate) fn render(p: &Page) -> String {
    let mut out = format!("# {}\n\n", text(&p.title));
    for para in &p.intro {
        out += &format!("{}\n\n", text(para));
    }
    if let Some(l) = &p.legend {
        out += &format!("{} {} {}\n\n", text(&l.before), refs(&l.example), text(&l.after));
    }
    table(&mut out, &p.summary);
    for part in &p.parts {
        out += &format!("## {}\n\n", text(&part.title));
        for g in &part.groups {
            // A group with a title (a theme) gets its own heading; its studies one level below.
            let level = if let Some(t) = &g.title {
                out += &format!("### {}\n\n", text(t));
                4
            } else {
                3
            };
            if let Some(lead) = &g.lead {
                out += &format!("{}\n\n", text(lead));
            }
            for c in &g.columns {
                out += &format!("{} {}\n\n", "#".repeat(level), text(&c.title));
                for l in &c.lines {
                    line(&mut out, l, 0);
                }
                if !c.lines.is_empty() {
                    out.push('\n');
                }
                for n in &c.notes {
                    out += &format!("_{}_\n\n", text(n));
                }
            }
        }
    }
    out
}

fn table(out: &mut String, t: &Table) {
    *out += &format!("## {}\n\n", text(&t.caption));
    let head: Vec<String> = t.head.iter().map(|h| text(h)).collect();
    *out += &format!("| {} |\n", head.join(" | "));
    *out += &format!("|{}\n", "---|".repeat(t.head.len()));
    for r in &t.rows {
        let cells: Vec<String> = r.cells.iter().map(|c| text(&c.text)).collect();
        *out += &format!("| {} | {} |\n", text(&r.label), cells.join(" | "));
    }
    out.push('\n');
}

fn line(out: &mut String, l: &Line, depth: usize) {
    let lead = if l.lead.is_empty() { String::new() } else { format!("**{}**", text(&l.lead)) };
    let body = [lead, text(&l.text), refs(&l.cites)].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>();
    *out += &format!("{}- {}\n", "  ".repeat(depth), body.join(" "));
    for s in &l.sub {
        line(out, s, depth + 1);
    }
}

/// `[gouda #308] [zwolle #12] [+3]`: slugs are letters, digits and hyphens, nothing to escape.
pub(crate) fn refs(c: &Cites) -> String {
    let mut v: Vec<String> = c.cites.iter().map(|x| format!("[{x}]")).collect();
    if c.more_cites > 0 {
        v.push(format!("[+{}]", c.more_cites));
    }
    v.join(" ")
}
