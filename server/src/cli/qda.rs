//! `parlog export --format qdpx|qdc` and `parlog import --format qdpx`: a study's project for a
//! QDA tool, and what was coded there read back (see `crate::qda`). The import shows what it
//! will append and asks on a terminal; a script says `--yes`.

use std::io::Write;
use std::path::Path;

use parlog_core::{AnyStore, EventStore, ParticipantId, Timestamp};

use super::{open, open_read, Failure, Result};
use crate::qda::{self, Access, Ignored, Model, QdaError};
use crate::studies::Selected;

impl From<QdaError> for Failure {
    fn from(e: QdaError) -> Self {
        match e.is_input() {
            true => Failure::Input(e.to_string()),
            false => Failure::Check(e.to_string()),
        }
    }
}

/// Whoever holds the data folder holds the keys: the command line exports sealed text opened,
/// as `parlog show` shows it (a forgotten subject's text is gone all the same).
fn model(store: &AnyStore) -> Result<Model> {
    Ok(Model::read(store, Access::SealedText)?)
}

fn write(out: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match out {
        Some(p) => std::fs::write(p, bytes)
            .map_err(|e| Failure::Input(t!("cannot-write", path = p.display().to_string(), why = e.to_string())))?,
        None => {
            let mut o = std::io::stdout().lock();
            o.write_all(bytes)
                .and_then(|_| o.flush())
                .map_err(|e| Failure::Check(t!("export-cannot-write", why = e.to_string())))?;
        }
    }
    Ok(())
}

pub fn export_qdpx(study: &Selected, out: Option<&Path>) -> Result<i32> {
    let m = model(&open_read(study)?)?;
    let bytes = qda::export::qdpx(&m, super::lang::current())?;
    write(out, &bytes)?;
    let exported = m.texts.iter().filter(|t| t.text.is_some()).count();
    if let Some(p) = out {
        eprintln!(
            "{}",
            t!(
                "export-qdpx-done",
                path = p.display().to_string(),
                texts = exported,
                codes = m.codes.len(),
                codings = m.excerpts.len()
            )
        );
    }
    if m.left_out.texts > 0 {
        eprintln!("{}", t!("export-qdpx-left-out", texts = m.left_out.texts, codings = m.left_out.codings));
    }
    Ok(0)
}

pub fn export_qdc(study: &Selected, out: Option<&Path>) -> Result<i32> {
    // The codebook holds no note's text: nothing is unsealed for it.
    let m = Model::read(&open_read(study)?, Access::OpenOnly)?;
    let xml = qda::export::qdc(&m)?;
    write(out, xml.as_bytes())?;
    if let Some(p) = out {
        eprintln!("{}", t!("export-qdc-done", path = p.display().to_string(), codes = m.codes.len()));
    }
    Ok(0)
}

pub fn import_qdpx(study: &Selected, file: &Path, author: Option<&str>, yes: bool) -> Result<i32> {
    let Some(author) = author else { return Err(Failure::Input(t!("import-qdpx-needs-author"))) };
    let author = ParticipantId::parse(author).map_err(|m| Failure::Input(format!("--author: {m}")))?;
    if !yes && !super::on_terminal() {
        return Err(Failure::Input(t!("import-qdpx-needs-yes")));
    }
    let bytes = std::fs::read(file)
        .map_err(|e| Failure::Input(t!("cannot-read", path = file.display().to_string(), why = e.to_string())))?;
    let store = open(study)?;
    let m = model(&store)?;
    if !m.is_researcher(&author) {
        return Err(QdaError::NotResearcher { author: author.to_string() }.into());
    }
    let lang = super::lang::current();
    // A note by the name the export gave it, which the other tool showed.
    let name_of = |id| m.text(id).map(|t| qda::export::source_name(&m, t, lang)).unwrap_or_else(|| id.to_string());
    let plan = qda::import::plan(&m, bytes, name_of)?;
    for i in &plan.ignored {
        eprintln!("{}", ignored(i));
    }
    if plan.is_empty() {
        println!("{}", t!("import-qdpx-nothing"));
        return Ok(0);
    }
    print_plan(&plan);
    if !yes && !super::confirm(&t!("import-qdpx-ask", events = count(&plan)), &["yes", "ja", "y", "j"])? {
        println!("{}", t!("nothing-changed"));
        return Ok(2);
    }
    let events = plan.events(&author, Timestamp::now_utc());
    let mut added = 0;
    for batch in events.chunks(parlog_core::limits::BATCH_EVENTS_MAX) {
        let appended = store.append(batch.to_vec())?;
        added += appended.iter().filter(|a| !a.duplicate).count();
    }
    let head = store.head();
    println!("{}", t!("import-qdpx-done", added = added, position = head.position.0));
    Ok(0)
}

fn count(p: &qda::Plan) -> usize {
    p.codes.len() + p.codings.len() + p.memos.len()
}

/// A passage for the terminal: on one line, cut to a readable length.
fn quoted(s: &str) -> String {
    const QUOTE_CHARS_MAX: usize = 120;
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() <= QUOTE_CHARS_MAX {
        return format!("“{one}”");
    }
    let cut: String = one.chars().take(QUOTE_CHARS_MAX - 1).collect();
    format!("“{cut}…”")
}

fn print_plan(p: &qda::Plan) {
    if !p.codes.is_empty() {
        println!("{}", t!("import-qdpx-codes", count = p.codes.len()));
        for c in &p.codes {
            println!("  + {} ({})", c.name, c.stream);
        }
    }
    if !p.codings.is_empty() {
        println!("{}", t!("import-qdpx-codings", count = p.codings.len()));
        for c in &p.codings {
            let names: Vec<&str> = c.codes.iter().map(|(_, n)| n.as_str()).collect();
            println!(
                "  + {}: {}, {}",
                names.join(", "),
                c.source_name,
                t!("import-qdpx-range", start = c.start, end = c.end)
            );
            println!("    {}", quoted(&c.quote));
        }
    }
    if !p.memos.is_empty() {
        println!("{}", t!("import-qdpx-memos", count = p.memos.len()));
        for m in &p.memos {
            println!("  + {}: {}", m.title, quoted(m.text.as_str()));
        }
    }
}

fn ignored(i: &Ignored) -> String {
    match i {
        Ignored::Elements { name, count } => t!("import-qdpx-ignored-elements", name = name.clone(), count = *count),
        Ignored::Colours(n) => t!("import-qdpx-ignored-colours", count = *n),
        Ignored::Folders(n) => t!("import-qdpx-ignored-folders", count = *n),
        Ignored::WholeCodings(n) => t!("import-qdpx-ignored-whole", count = *n),
        Ignored::Renamed { from, to } => t!("import-qdpx-ignored-renamed", from = from.clone(), to = to.clone()),
        Ignored::MemoChanged { title } => t!("import-qdpx-ignored-memo", title = title.clone()),
        Ignored::EmptyMemo { name } => t!("import-qdpx-ignored-empty-memo", name = name.clone()),
        Ignored::UnknownSource { name } => t!("import-qdpx-ignored-source", name = name.clone()),
    }
}
