//! HTML rendering: one self-contained file (no external requests), inline SVG charts, and a
//! print stylesheet.

use chrono::{Datelike, NaiveDate};

use super::doc::{Block, Chart, Doc, Section, Stmt};

const STYLE: &str = r#"
:root { --ink: #1d2a33; --muted: #5b6b76; --accent: #1f6f8b; --line: #d5dde2; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink);
       max-width: 60rem; margin: 0 auto; padding: 1.5rem; line-height: 1.5; }
header.cover { border-bottom: 3px solid var(--accent); margin-bottom: 2rem; padding-bottom: 1rem; }
header.cover h1 { margin: 0 0 .25rem; font-size: 2rem; }
header.cover p.subtitle { margin: 0 0 1rem; color: var(--muted); font-size: 1.1rem; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; margin: 0; }
dl.meta dt { color: var(--muted); } dl.meta dd { margin: 0; word-break: break-all; }
h2 { border-bottom: 1px solid var(--line); padding-bottom: .2rem; margin-top: 2.2rem; }
h3 { margin-top: 1.6rem; } h4 { margin-top: 1.2rem; }
ul { padding-left: 1.2rem; } li { margin: .25rem 0; }
.src { color: var(--accent); font-size: .85em; white-space: nowrap; text-decoration: none; }
.note { color: var(--muted); font-style: italic; }
figure { margin: 1rem 0; } figcaption { font-weight: 600; margin-bottom: .3rem; }
svg { max-width: 100%; height: auto; font-family: inherit; }
svg text { fill: var(--ink); font-size: 11px; }
ol.sources { font-size: .9em; padding-left: 0; list-style: none; }
ol.sources li { border-bottom: 1px dotted var(--line); padding: .15rem 0; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  header.cover { page-break-after: always; border: none; }
  h2 { page-break-before: always; } h2, h3, h4 { page-break-after: avoid; }
  figure, li { page-break-inside: avoid; }
  a.src { color: inherit; }
}
"#;

pub fn render(doc: &Doc) -> String {
    let lang = match doc.lang {
        parlog_core::Lang::Nl => "nl",
        parlog_core::Lang::En => "en",
    };
    let mut out = String::new();
    out += &format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
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
    out += "</dl>\n</header>\n<main>\n";
    for s in &doc.sections {
        section(&mut out, s, 2);
    }
    out += &format!("<section id=\"bronnen\">\n<h2>{}</h2>\n<ol class=\"sources\">\n", esc(&doc.sources_title));
    for s in &doc.sources {
        out += &format!(
            "<li id=\"e{}\">#{} · {} · {} · {} · {}</li>\n",
            s.position,
            s.position,
            s.date,
            esc(&s.kind),
            esc(&s.stream),
            esc(&s.author)
        );
    }
    out += "</ol>\n</section>\n</main>\n</body>\n</html>\n";
    out
}

fn section(out: &mut String, s: &Section, level: usize) {
    if s.is_empty() {
        return;
    }
    *out += &format!("<section id=\"{}\">\n<h{level}>{}</h{level}>\n", esc(&s.id), esc(&s.title));
    for b in &s.blocks {
        match b {
            Block::Para(st) => *out += &format!("<p>{}</p>\n", stmt(st)),
            Block::List(items) => {
                *out += "<ul>\n";
                for st in items {
                    *out += &format!("<li>{}</li>\n", stmt(st));
                }
                *out += "</ul>\n";
            }
            Block::Note(n) => *out += &format!("<p class=\"note\">{}</p>\n", esc(n)),
            Block::Chart(c) => chart(out, c),
        }
    }
    for sub in &s.subsections {
        section(out, sub, (level + 1).min(6));
    }
    *out += "</section>\n";
}

fn stmt(s: &Stmt) -> String {
    let lead = if s.lead.is_empty() { String::new() } else { format!("<strong>{}</strong> ", esc(&s.lead)) };
    let refs: Vec<String> =
        s.srcs.iter().map(|r| format!("<a class=\"src\" href=\"#e{0}\">[#{0} {1}]</a>", r.position, r.date)).collect();
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

fn days(from: NaiveDate, d: NaiveDate) -> f64 {
    (d - from).num_days() as f64
}

fn year_ticks(out: &mut String, from: NaiveDate, to: NaiveDate, x0: f64, w: f64, y: f64, h: f64) {
    let span = days(from, to).max(1.0);
    for year in from.year()..=to.year() + 1 {
        let Some(d) = NaiveDate::from_ymd_opt(year, 1, 1) else { continue };
        if d < from || d > to {
            continue;
        }
        let x = x0 + days(from, d) / span * w;
        *out += &format!("<line x1=\"{x:.1}\" y1=\"{y:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#d5dde2\"/>", y + h);
        *out += &format!("<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{year}</text>", y + h + 14.0);
    }
}

pub(super) fn chart(out: &mut String, c: &Chart) {
    match c {
        Chart::RoleTimeline { title, from, to, capacity, methods, fte_label } => {
            let (w, h, x0, y0, ch) = (720.0, 220.0, 60.0, 20.0, 120.0);
            let span = days(*from, *to).max(1.0);
            let max_fte = capacity.iter().map(|c| c.1).fold(1.0_f64, f64::max);
            *out += &format!(
                "<figure><figcaption>{}</figcaption><svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\">",
                esc(title),
                esc(title)
            );
            year_ticks(out, *from, *to, x0, w - x0 - 20.0, y0, ch);
            let mut path = String::new();
            let mut last_y = y0 + ch;
            for (i, (d, fte, _)) in capacity.iter().enumerate() {
                let x = x0 + days(*from, *d) / span * (w - x0 - 20.0);
                let y = y0 + ch - fte / max_fte * ch;
                if i == 0 {
                    path += &format!("M{x:.1},{y:.1}");
                } else {
                    path += &format!(" L{x:.1},{last_y:.1} L{x:.1},{y:.1}");
                }
                last_y = y;
                *out += &format!("<text x=\"{:.1}\" y=\"{:.1}\">{fte:.1} {}</text>", x + 3.0, y - 4.0, esc(fte_label));
            }
            if !path.is_empty() {
                path += &format!(" L{:.1},{last_y:.1}", w - 20.0);
                *out += &format!("<path d=\"{path}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2.5\"/>", PALETTE[0]);
            }
            for (i, (d, label, src)) in methods.iter().enumerate() {
                let x = x0 + days(*from, *d) / span * (w - x0 - 20.0);
                let y = y0 + ch + 30.0 + (i % 3) as f64 * 14.0;
                *out += &format!(
                    "<path d=\"M{x:.1},{:.1} l5,5 l-5,5 l-5,-5 z\" fill=\"{}\"><title>{} [#{} {}]</title></path>",
                    y - 10.0,
                    PALETTE[1],
                    esc(label),
                    src.position,
                    src.date
                );
                *out += &format!("<text x=\"{:.1}\" y=\"{y:.1}\">{}</text>", x + 7.0, esc(&short(label, 28)));
            }
            *out += "</svg></figure>\n";
        }
        Chart::Spiral { title, levels } => {
            let size = 260.0;
            *out += &format!("<figure><figcaption>{}</figcaption>", esc(title));
            for (li, (level, cycles)) in levels.iter().enumerate() {
                let colour = PALETTE[li % PALETTE.len()];
                *out += &format!(
                    "<svg viewBox=\"0 0 {size} {size}\" width=\"{size}\" role=\"img\" aria-label=\"{}\">",
                    esc(level)
                );
                *out += &format!(
                    "<text x=\"{:.1}\" y=\"14\" text-anchor=\"middle\" font-weight=\"600\">{}</text>",
                    size / 2.0,
                    esc(level)
                );
                let (cx, cy) = (size / 2.0, size / 2.0 + 8.0);
                let n = cycles.len().max(1) as f64;
                let point = |t: f64| {
                    let angle = t * 1.6 * std::f64::consts::PI;
                    let r = 12.0 + t * 9.0;
                    (cx + r * angle.cos(), cy + r * angle.sin())
                };
                let steps = (n as usize * 12).max(12);
                let mut d = String::new();
                for s in 0..=steps {
                    let t = s as f64 / steps as f64 * (n - 1.0).max(0.0);
                    let (x, y) = point(t);
                    d += &format!("{}{x:.1},{y:.1}", if s == 0 { "M" } else { " L" });
                }
                *out += &format!(
                    "<path d=\"{d}\" fill=\"none\" stroke=\"{colour}\" stroke-opacity=\".45\" stroke-width=\"2\"/>"
                );
                for (i, (name, date, src)) in cycles.iter().enumerate() {
                    let (x, y) = point(i as f64);
                    *out += &format!(
                        "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"5\" fill=\"{colour}\"><title>{} ({date}) [#{} {}]</title></circle>",
                        esc(name),
                        src.position,
                        src.date
                    );
                    *out +=
                        &format!("<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"9\">{}</text>", x + 6.0, y - 3.0, i + 1);
                }
                *out += "</svg>";
            }
            *out += "</figure>\n";
        }
        Chart::Stages { title, from, to, rows, legend } => {
            let (w, row_h, x0, y0) = (720.0, 18.0, 170.0, 10.0);
            let h = y0 + rows.len() as f64 * row_h + 50.0;
            let span = days(*from, *to).max(1.0);
            let xw = w - x0 - 20.0;
            *out += &format!(
                "<figure><figcaption>{}</figcaption><svg viewBox=\"0 0 {w} {h:.0}\" role=\"img\" aria-label=\"{}\">",
                esc(title),
                esc(title)
            );
            year_ticks(out, *from, *to, x0, xw, y0, rows.len() as f64 * row_h);
            for (i, r) in rows.iter().enumerate() {
                let y = y0 + i as f64 * row_h;
                *out += &format!(
                    "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                    x0 - 6.0,
                    y + 12.0,
                    esc(&short(&r.name, 26))
                );
                for (f, t, s) in &r.spans {
                    let x1 = x0 + days(*from, *f) / span * xw;
                    let x2 = x0 + days(*from, *t) / span * xw;
                    *out += &format!(
                        "<rect x=\"{x1:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} {f} – {t}</title></rect>",
                        y + 3.0,
                        (x2 - x1).max(1.5),
                        row_h - 6.0,
                        PALETTE[s % PALETTE.len()],
                        esc(&legend[*s])
                    );
                }
                if let Some((d, label)) = &r.end {
                    let x = x0 + days(*from, *d) / span * xw;
                    *out += &format!(
                        "<path d=\"M{x:.1},{:.1} l0,{:.1}\" stroke=\"#1d2a33\" stroke-width=\"2\"><title>{} {d}</title></path>",
                        y + 1.0,
                        row_h - 2.0,
                        esc(label)
                    );
                }
            }
            let ly = y0 + rows.len() as f64 * row_h + 32.0;
            let mut lx = x0;
            for (i, l) in legend.iter().enumerate() {
                *out += &format!(
                    "<rect x=\"{lx:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{}\"/>",
                    ly - 9.0,
                    PALETTE[i % PALETTE.len()]
                );
                *out += &format!("<text x=\"{:.1}\" y=\"{ly:.1}\">{}</text>", lx + 14.0, esc(l));
                lx += 24.0 + l.chars().count() as f64 * 6.0;
            }
            *out += "</svg></figure>\n";
        }
        Chart::Signals { title, years, themes } => {
            let (w, x0, y0, ch) = (720.0, 40.0, 10.0, 160.0);
            let max: u64 =
                (0..years.len()).map(|i| themes.iter().map(|(_, c)| c[i]).sum::<u64>()).max().unwrap_or(1).max(1);
            let bw = (w - x0 - 20.0) / years.len().max(1) as f64;
            let h = y0 + ch + 30.0 + themes.len() as f64 * 14.0;
            *out += &format!(
                "<figure><figcaption>{}</figcaption><svg viewBox=\"0 0 {w} {h:.0}\" role=\"img\" aria-label=\"{}\">",
                esc(title),
                esc(title)
            );
            for (i, y) in years.iter().enumerate() {
                let x = x0 + i as f64 * bw;
                let mut top = y0 + ch;
                for (ti, (theme, counts)) in themes.iter().enumerate() {
                    let bh = counts[i] as f64 / max as f64 * ch;
                    top -= bh;
                    if counts[i] > 0 {
                        *out += &format!(
                            "<rect x=\"{:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{}\"><title>{} {y}: {}</title></rect>",
                            x + bw * 0.15,
                            bw * 0.7,
                            PALETTE[ti % PALETTE.len()],
                            esc(theme),
                            counts[i]
                        );
                    }
                }
                *out += &format!(
                    "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{y}</text>",
                    x + bw / 2.0,
                    y0 + ch + 14.0
                );
            }
            for (ti, (theme, counts)) in themes.iter().enumerate() {
                let ly = y0 + ch + 30.0 + ti as f64 * 14.0;
                *out += &format!(
                    "<rect x=\"{x0}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{}\"/>",
                    ly - 9.0,
                    PALETTE[ti % PALETTE.len()]
                );
                *out += &format!(
                    "<text x=\"{:.1}\" y=\"{ly:.1}\">{} ({})</text>",
                    x0 + 14.0,
                    esc(theme),
                    counts.iter().sum::<u64>()
                );
            }
            *out += "</svg></figure>\n";
        }
    }
}

fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}
