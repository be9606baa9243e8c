//! Markdown rendering: readable as plain text.

use super::doc::{Block, Chart, Doc, Section, Stmt};
use crate::text::src_refs;

pub fn render(doc: &Doc) -> String {
    let mut out = String::new();
    out += &format!("# {}\n\n{}\n\n", doc.title, doc.subtitle);
    for (k, v) in &doc.cover {
        out += &format!("- {k}: {v}\n");
    }
    out.push('\n');
    for s in &doc.sections {
        section(&mut out, s, 2);
    }
    out += &format!("## {}\n\n", doc.sources_title);
    for s in &doc.sources {
        out += &format!("- [#{} {}] {} · {} · {}\n", s.position, s.date, s.kind, s.stream, s.author);
    }
    out
}

fn section(out: &mut String, s: &Section, level: usize) {
    if s.is_empty() {
        return;
    }
    *out += &format!("{} {}\n\n", "#".repeat(level), s.title);
    for b in &s.blocks {
        match b {
            Block::Para(st) => *out += &format!("{}\n\n", stmt(st)),
            Block::List(items) => {
                for st in items {
                    *out += &format!("- {}\n", stmt(st));
                }
                out.push('\n');
            }
            Block::Note(n) => *out += &format!("_{n}_\n\n"),
            Block::Chart(c) => chart(out, c),
        }
    }
    for sub in &s.subsections {
        section(out, sub, (level + 1).min(6));
    }
}

fn stmt(s: &Stmt) -> String {
    let lead = if s.lead.is_empty() { String::new() } else { format!("**{}** ", s.lead) };
    let more = if s.more_srcs > 0 { format!(" [+{}]", s.more_srcs) } else { String::new() };
    format!("{lead}{} {}{more}", s.text, src_refs(&s.srcs))
}

fn chart(out: &mut String, c: &Chart) {
    match c {
        Chart::RoleTimeline { title, capacity, methods, fte_label, .. } => {
            *out += &format!("**{title}**\n\n```\n");
            for (d, fte, _) in capacity {
                *out += &format!(
                    "{d}  {fte_label} {fte:>5.1}  {}\n",
                    "█".repeat((fte.max(0.0) * 2.0).round().min(60.0) as usize)
                );
            }
            for (d, label, _) in methods {
                *out += &format!("{d}  ◆ {label}\n");
            }
            *out += "```\n\n";
        }
        Chart::Spiral { title, levels } => {
            *out += &format!("**{title}**\n\n```\n");
            for (level, cycles) in levels {
                let names: Vec<String> = cycles.iter().map(|(n, d, _)| format!("{n} ({d})")).collect();
                *out += &format!("{level}: {}\n", names.join(" → "));
            }
            *out += "```\n\n";
        }
        Chart::Stages { title, rows, legend, .. } => {
            *out += &format!("**{title}**\n\n```\n");
            for r in rows {
                let spans: Vec<String> = r.spans.iter().map(|(f, _, i)| format!("{f} {}", legend[*i])).collect();
                let end = r.end.as_ref().map(|(d, l)| format!(" | {d} {l}")).unwrap_or_default();
                *out += &format!("{}: {}{end}\n", r.name, spans.join(" → "));
            }
            *out += "```\n\n";
        }
        Chart::Signals { title, years, themes } => {
            *out += &format!("**{title}**\n\n```\n");
            let width = themes.iter().map(|(t, _)| t.chars().count()).max().unwrap_or(0);
            *out += &format!("{:width$}", "");
            for y in years {
                *out += &format!(" {y:>6}");
            }
            out.push('\n');
            for (t, counts) in themes {
                *out += &format!("{t:width$}");
                for c in counts {
                    *out += &format!(" {c:>6}");
                }
                out.push('\n');
            }
            *out += "```\n\n";
        }
    }
}
