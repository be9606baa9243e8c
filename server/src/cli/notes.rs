//! `parlog notes`: the study's field notes, reflections and memos, found by words and filters,
//! newest first, a page at a time: as a list, JSON (the API's answer) or CSV. The command line
//! holds the data folder and its keys, so sealed text is shown and searched (as `show` does).
//! It builds the notes index in memory for the one run; beside a running server it reads the
//! study as `log` and `show` do.

use clap::Args;

use super::{open_read, Failure, Result};
use crate::notes::{self, csv, NotesIndex};
use crate::request::{NotesRequest, RequestError};
use crate::studies::Selected;

/// Characters of a note's first line in the list.
const LINE_CHARS_MAX: usize = 72;

#[derive(Args)]
pub struct NotesArgs {
    #[arg(long)]
    search: Option<String>,
    #[arg(long)]
    area: Option<String>,
    #[arg(long)]
    initiative: Option<String>,
    #[arg(long)]
    cycle: Option<String>,
    #[arg(long)]
    author: Option<String>,
    #[arg(long)]
    code: Option<String>,
    #[arg(long)]
    health: Option<String>,
    #[arg(long)]
    kind: Vec<String>,
    #[arg(long)]
    from: Option<String>,
    #[arg(long)]
    to: Option<String>,
    #[arg(long)]
    retracted: Option<String>,
    #[arg(long)]
    limit: Option<String>,
    #[arg(long)]
    before: Option<String>,
    #[arg(long, conflicts_with = "format")]
    json: bool,
    #[arg(long)]
    format: Option<String>,
}

impl NotesArgs {
    /// The flags as the API's query pairs, for the one parser both use.
    fn pairs(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut put = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                out.push((k.to_string(), v.clone()));
            }
        };
        put("q", &self.search);
        put("area", &self.area);
        put("initiative", &self.initiative);
        put("cycle", &self.cycle);
        put("author", &self.author);
        put("code", &self.code);
        put("health", &self.health);
        put("from", &self.from);
        put("to", &self.to);
        put("retracted", &self.retracted);
        put("limit", &self.limit);
        put("before", &self.before);
        put("format", &self.format);
        out.extend(self.kind.iter().map(|k| ("kind".to_string(), k.clone())));
        out
    }
}

/// Bad flags are bad input (exit 2), named as the flags (`--search`, not `q`).
fn failure(e: RequestError) -> Failure {
    Failure::Input(e.with_flags().replace("--q:", "--search:"))
}

pub fn run(study: &Selected, a: NotesArgs) -> Result<i32> {
    let mut pairs = a.pairs();
    pairs.push((
        "lang".into(),
        if super::lang::of_output(a.json) == parlog_core::Lang::En { "en" } else { "nl" }.into(),
    ));
    let r = NotesRequest::parse(&pairs).map_err(failure)?;
    let store = open_read(study)?;
    let ix = NotesIndex::build(&store)?;
    let found = ix.search(&r.query, true);
    if a.json {
        let page = notes::page_json(&ix, &store, &found, true, r.lang)?;
        println!("{}", serde_json::to_string_pretty(&page).expect("JSON"));
        return Ok(0);
    }
    let mut rows = Vec::with_capacity(found.docs.len());
    for &d in &found.docs {
        if let Some(n) = ix.note_json(&store, d, true, r.lang)? {
            rows.push(n);
        }
    }
    if r.csv {
        print!("{}", csv::header());
        rows.iter().for_each(|n| print!("{}", csv::row(n)));
        return Ok(0);
    }
    for n in &rows {
        println!("{}", line(n));
    }
    let footer = match found.next_before {
        Some(p) => t!("notes-footer-more", shown = rows.len(), total = found.total, before = p),
        None => t!("notes-footer", shown = rows.len(), total = found.total),
    };
    println!("{footer}");
    Ok(0)
}

/// One note in the list: position, day, kind, author, area, and the first line of its text.
fn line(n: &serde_json::Value) -> String {
    let s = |k: &str| n[k].as_str().unwrap_or("").to_string();
    let first = match n["text_state"].as_str() {
        Some("forgotten") => t!("notes-text-forgotten"),
        Some("withheld") => t!("notes-text-withheld"),
        _ => {
            let text = n["text"].as_str().or(n["title"].as_str()).or(n["topic"].as_str()).unwrap_or("");
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
            match first.chars().count() > LINE_CHARS_MAX {
                true => format!("{}…", first.chars().take(LINE_CHARS_MAX - 1).collect::<String>()),
                false => first.to_string(),
            }
        }
    };
    let retracted = if n["retracted"].is_null() { String::new() } else { format!(" {}", t!("notes-retracted")) };
    let area = n["area_name"].as_str().map(str::to_string).unwrap_or_else(|| s("area"));
    format!(
        "#{:<7} {}  {:<12} {:<20} {:<16} {}{}",
        n["position"],
        s("date"),
        s("kind_label"),
        s("author"),
        if area.is_empty() { "-".to_string() } else { area },
        first,
        retracted
    )
}
