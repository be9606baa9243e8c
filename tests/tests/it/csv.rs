//! Every view as a CSV table for spreadsheets: through the registry (every view, on the demo and
//! on another municipality), the command line (`parlog project NAME --format csv`) and the API
//! (`?format=csv`). The tables must be RFC 4180 (read back here by a strict reader), UTF-8
//! without a BOM, the same bytes for the same log, with column names in the chosen language,
//! a column of source positions that exist in the log, and no field a spreadsheet would run.

use parlog_core::Lang;
use parlog_projections::{AsOf, Engine, MemorySource, Source, ViewOptions, VIEWS};
use parlog_server::http::auth::Role;
use serde_json::json;

use crate::api_support::{setup, setup_with, Log};
use crate::cli_support::{setup as cli_setup, setup_demo};
use crate::proj_support::{ev, given, memory_of_file};

/// A strict RFC 4180 reader: records end in CRLF (the last one too), fields are separated by
/// commas, a quoted field doubles its quotes, and nothing but a separator follows a closing
/// quote. Panics with the offset of what does not fit.
fn parse(csv: &str) -> Vec<Vec<String>> {
    assert!(!csv.starts_with('\u{feff}'), "no byte order mark");
    assert!(csv.ends_with("\r\n"), "the last record ends in CRLF too");
    let b: Vec<char> = csv.chars().collect();
    let (mut records, mut record, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut i = 0;
    while i < b.len() {
        if b[i] == '"' && field.is_empty() {
            i += 1;
            loop {
                assert!(i < b.len(), "a quoted field is not closed");
                if b[i] == '"' {
                    if b.get(i + 1) == Some(&'"') {
                        field.push('"');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    break;
                }
                field.push(b[i]);
                i += 1;
            }
            assert!(
                matches!(b.get(i), Some(',') | Some('\r')),
                "at char {i}: only a separator may follow a closing quote"
            );
            continue;
        }
        match b[i] {
            ',' => record.push(std::mem::take(&mut field)),
            '\r' => {
                assert_eq!(b.get(i + 1), Some(&'\n'), "at char {i}: a CR outside quotes ends a record, with LF");
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                i += 1;
            }
            '\n' => panic!("at char {i}: a bare LF outside quotes"),
            '"' => panic!("at char {i}: a quote inside an unquoted field"),
            c => field.push(c),
        }
        i += 1;
    }
    records
}

/// The checks every table passes: a header of names, records as wide as it, the same bytes
/// twice, no field a spreadsheet runs, source positions that are in the log.
fn check_table(name: &str, csv: &str, again: &str, head: u64) -> Vec<Vec<String>> {
    assert_eq!(csv, again, "{name}: the same log gives the same bytes");
    let records = parse(csv);
    let header = &records[0];
    assert!(!header.is_empty() && header.iter().all(|h| !h.is_empty()), "{name}: a header of names: {header:?}");
    for (n, r) in records.iter().enumerate() {
        assert_eq!(r.len(), header.len(), "{name}: record {n} is as wide as the header: {r:?}");
        for f in r {
            assert!(!f.starts_with(['=', '+', '-', '@', '\t', '\r']), "{name}: record {n} has a formula: {f:?}");
        }
    }
    let sources: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| ["bron", "bronnen", "source", "sources"].contains(&h.as_str()))
        .map(|(i, _)| i)
        .collect();
    assert!(!sources.is_empty(), "{name}: a column of sources: {header:?}");
    for r in &records[1..] {
        for &i in &sources {
            for p in r[i].split("; ").filter(|p| !p.is_empty()) {
                let p: u64 = p.parse().unwrap_or_else(|_| panic!("{name}: a source is a position: {:?}", r[i]));
                assert!((1..=head).contains(&p), "{name}: source {p} is in the log (head {head})");
            }
        }
    }
    records
}

fn every_view_in(source: &MemorySource, what: &str) {
    let engine = Engine::as_of(source, AsOf::Head).expect("the engine reads the log");
    let head = source.head().position.0;
    let mut rows = 0;
    for view in VIEWS {
        for lang in [Lang::Nl, Lang::En] {
            let o = ViewOptions { lang, ..ViewOptions::default() };
            let again = Engine::as_of(source, AsOf::Head).expect("again").state.csv(view.name, &o).expect("a view");
            let csv = view.csv(&engine.state, &o);
            let records = check_table(&format!("{what} {} {lang:?}", view.name), &csv, &again, head);
            rows += records.len() - 1;
        }
    }
    assert!(rows > 0, "{what}: the tables have rows");
}

#[test]
fn every_view_gives_a_table_of_the_demo_and_of_another_municipality() {
    every_view_in(&memory_of_file("demo/gouda.json"), "gouda");
    every_view_in(&memory_of_file("tests/data/zwolle.json"), "zwolle");
}

#[test]
fn every_view_gives_a_table_with_a_header_even_of_an_empty_log() {
    let empty = MemorySource::new(Vec::new()).expect("an empty log");
    let engine = Engine::as_of(&empty, AsOf::Head).expect("the engine reads an empty log");
    for view in VIEWS {
        let csv = view.csv(&engine.state, &ViewOptions::default());
        let records = parse(&csv);
        assert_eq!(records.len(), 1, "{}: only the header: {csv:?}", view.name);
    }
}

#[test]
fn columns_are_named_in_the_chosen_language_and_days_are_iso() {
    let source = memory_of_file("tests/data/zwolle.json");
    let p = Engine::as_of(&source, AsOf::Head).expect("engine").state;
    let nl = p.csv("initiatives", &ViewOptions::default()).expect("a view");
    let en = p.csv("initiatives", &ViewOptions { lang: Lang::En, ..ViewOptions::default() }).expect("a view");
    assert!(nl.starts_with("initiatief,naam,gebied,route,"), "{nl}");
    assert!(en.starts_with("initiative,name,area,route,"), "{en}");
    let rows = parse(&nl);
    let repair = rows.iter().find(|r| r[1] == "Repair Café Ittersum").expect("the Repair Café is a row");
    let started = rows[0].iter().position(|h| h == "gestart").expect("a column gestart");
    assert_eq!(repair[started], "2019-05-06", "days are ISO");
    let handed = rows[0].iter().position(|h| h == "overgedragen op").expect("a column overgedragen op");
    assert_eq!(repair[handed], "2020-03-16");
}

/// Text from the log that would break a table or run in a spreadsheet: a comma, quotes, a line
/// break, and names that start like a formula.
#[test]
fn text_from_the_log_is_quoted_and_cannot_run_as_a_formula() {
    let p = given(&[
        ev("city", "area:deventer", "AreaDefined", "2021-02-01", json!({"name": "=Deventer", "kind": "city"})),
        ev(
            "p",
            "participant:onderzoeker-a",
            "ParticipantRegistered",
            "2021-02-01",
            json!({"label": "@onderzoeker, \"A\"", "role": "researcher"}),
        ),
        ev(
            "ini",
            "initiative:hyperlink",
            "InitiativeStarted",
            "2021-02-08",
            json!({"name": "=HYPERLINK(\"http://x\",\"klik\")", "route": "opportunity", "area": "area:deventer",
                   "description": "regel één\nregel twee", "initiators": ["participant:onderzoeker-a"]}),
        ),
    ]);
    let csv = p.csv("initiatives", &ViewOptions::default()).expect("a view");
    let rows = parse(&csv);
    assert_eq!(rows.len(), 2, "{csv}");
    let row = &rows[1];
    assert_eq!(row[1], "'=HYPERLINK(\"http://x\",\"klik\")", "{csv}");
    assert_eq!(row[2], "'=Deventer");
    assert_eq!(row[4], "'@onderzoeker, \"A\"");
    let dir = parse(&p.csv("directory", &ViewOptions::default()).expect("a view"));
    assert!(dir.iter().any(|r| r[1] == "'@onderzoeker, \"A\""), "{dir:?}");
}

#[test]
fn the_command_line_prints_a_table_in_dutch_unless_told_otherwise() {
    let t = setup_demo();
    let nl = t.ok(&["project", "warnings", "--format", "csv"]);
    assert!(nl.starts_with("waarschuwing,onderwerp,"), "{nl}");
    parse(&nl);
    assert_eq!(nl, t.ok(&["project", "warnings", "--format", "csv"]), "the same bytes twice");
    let en = t.ok(&["--lang", "en", "project", "warnings", "--format", "csv"]);
    assert!(en.starts_with("warning,subject,"), "{en}");
    let old = t.ok(&["project", "cycles", "--format", "csv", "--as-of", "2015-06-30"]);
    assert!(parse(&old).len() < parse(&t.ok(&["project", "cycles", "--format", "csv"])).len(), "fewer cycles in 2015");
    let json = t.ok(&["project", "cycles", "--format", "json"]);
    assert!(json.trim_start().starts_with('{'), "--format json is --json");
    t.run(&["project", "cycles", "--format", "xlsx"]).code(2).stderr_has(&["--format", "json or csv"]);
    t.run(&["project", "cycles", "--format", "csv", "--json"]).code(2);
}

#[test]
fn the_command_line_table_of_another_municipality() {
    let t = cli_setup();
    t.ok(&["demo", "--file", crate::cli_support::repo_file("tests/data/zwolle.json").to_str().expect("UTF-8")]);
    let csv = t.ok(&["project", "role", "--format", "csv"]);
    let rows = parse(&csv);
    assert!(rows[1..].iter().all(|r| r[0] == "Buurtverbinder Zwolle"), "the role's own title: {rows:?}");
    assert!(!csv.contains("Gouda"), "nothing of the demo: {csv}");
}

#[tokio::test]
async fn the_api_answers_a_table_as_a_file_to_save() {
    let api = setup();
    for view in VIEWS {
        let resp = api.get(&format!("/api/v1/projections/{}?format=csv&lang=en", view.name), Role::Viewer).await;
        resp.expect(200);
        assert_eq!(resp.content_type(), "text/csv; charset=utf-8", "{}", view.name);
        let disposition = resp.headers.get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert_eq!(disposition, format!("attachment; filename=\"gouda-{}.csv\"", view.name));
        let text = resp.text();
        let again =
            api.get(&format!("/api/v1/projections/{}?format=csv&lang=en", view.name), Role::Viewer).await.text();
        check_table(view.name, &text, &again, api.head().await);
    }
    let json = api.get("/api/v1/projections/cycles?format=json", Role::Viewer).await;
    assert!(json.content_type().starts_with("application/json"), "{}", json.content_type());
    api.get("/api/v1/projections/cycles?format=html", Role::Viewer).await.problem(400);
}

#[tokio::test]
async fn the_api_table_of_another_study_is_named_after_it() {
    let api = setup_with(Log::Small, parlog_server::http::Limits::default());
    let resp = api.get("/api/v1/projections/directory?format=csv", Role::Viewer).await;
    resp.expect(200);
    let disposition = resp.headers.get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert_eq!(disposition, "attachment; filename=\"zwolle-zuid-directory.csv\"");
    assert!(resp.text().contains("makelaar Zuid 1"), "{}", resp.text());
}

/// A column is a path into the view's JSON; a misspelt path would give a column that is always
/// empty. Between them, the demo and the Zwolle log fill every column of every table.
#[test]
fn every_column_says_something_in_the_demo_or_another_municipality() {
    let studies: Vec<_> = ["demo/gouda.json", "tests/data/zwolle.json"]
        .into_iter()
        .map(|f| Engine::as_of(&memory_of_file(f), AsOf::Head).expect("engine").state)
        .collect();
    for view in VIEWS {
        let tables: Vec<Vec<Vec<String>>> =
            studies.iter().map(|p| parse(&view.csv(p, &ViewOptions::default()))).collect();
        for (i, column) in tables[0][0].iter().enumerate() {
            let filled = tables.iter().any(|t| t[1..].iter().any(|r| !r[i].is_empty()));
            assert!(filled, "{}: the column {column:?} is empty in every log (is its path right?)", view.name);
        }
    }
}
