//! The retrospective, through the `parlog` binary: golden files of the demo's report, a report
//! as of a day against the report of the log cut at that day, the sources of every statement,
//! a second, non-Gouda log (tests/data/zwolle.json), and the HTML being one self-contained file.
//!
//! Golden files: tests/golden/gouda.{nl,en}.{md,html} hold the demo's retrospective with the head
//! hash on the cover replaced by `MASKED-HEAD-HASH` (that hash covers the events' recorded times, the
//! server clock at loading, so it differs on every run; nothing else may differ). After a change
//! to the report that is meant, update them with
//!
//! ```sh
//! PARLOG_UPDATE_GOLDEN=1 cargo test -p parlog-tests --test it retrospective::golden
//! ```
//!
//! which rewrites the files and fails on purpose, and review the change with
//! `git diff tests/golden` before committing it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cli_support::{first_difference, repo_file, setup, setup_demo, CliTest};

/// Set to 1 to rewrite the golden files instead of comparing with them.
const UPDATE_GOLDEN: &str = "PARLOG_UPDATE_GOLDEN";
/// What the cover's head hash is replaced with in golden files.
const HASH_MASK: &str = "MASKED-HEAD-HASH";
const HASH_HEX_CHARS: usize = 64;

// ---- helpers --------------------------------------------------------------------------------

fn retro(t: &CliTest, data: &Path, args: &[&str]) -> String {
    let mut a = vec!["retrospective"];
    a.extend_from_slice(args);
    t.ok_at(data, &a)
}

/// A test folder with a demo-style file loaded with `parlog demo --file`.
fn setup_file(path: &Path) -> CliTest {
    let t = setup();
    t.ok(&["demo", "--file", path.to_str().expect("UTF-8 path")]);
    t
}

fn zwolle() -> CliTest {
    setup_file(&repo_file("tests/data/zwolle.json"))
}

/// The byte ranges of runs of exactly 64 hex digits in `line`.
fn hex_runs(line: &str) -> Vec<(usize, usize)> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_hexdigit() {
            let start = i;
            while i < b.len() && b[i].is_ascii_hexdigit() {
                i += 1;
            }
            if i - start == HASH_HEX_CHARS {
                out.push((start, i));
            }
        } else {
            i += 1;
        }
    }
    out
}

/// Replaces the head hash on the cover (the one line before the first section that holds a
/// 64-hex run) with [`HASH_MASK`]; panics unless there is exactly one such line.
fn mask_cover_hash(report: &str) -> String {
    let mut lines: Vec<String> = report.split('\n').map(str::to_string).collect();
    let body = lines
        .iter()
        .position(|l| l.starts_with("## ") || l.starts_with("<main>"))
        .expect("the report has a first section");
    let hashed: Vec<usize> = (0..body).filter(|&i| !hex_runs(&lines[i]).is_empty()).collect();
    assert_eq!(hashed.len(), 1, "exactly one cover line holds the head hash:\n{}", lines[..body].join("\n"));
    let line = &mut lines[hashed[0]];
    let runs = hex_runs(line);
    assert_eq!(runs.len(), 1, "one hash on the cover line: {line}");
    line.replace_range(runs[0].0..runs[0].1, HASH_MASK);
    lines.join("\n")
}

/// `position → occurred day` of every event, from `parlog log --json`.
fn occurred_days(t: &CliTest, data: &Path) -> BTreeMap<u64, String> {
    t.log_json(data)
        .iter()
        .map(|e| {
            let day = e["occurred_at"].as_str().expect("occurred_at")[..10].to_string();
            (e["position"].as_u64().expect("a position"), day)
        })
        .collect()
}

// ---- a. golden files ------------------------------------------------------------------------

fn golden_path(name: &str) -> PathBuf {
    repo_file("tests/golden").join(name)
}

/// Compares the demo's retrospective (cover hash masked) with the golden file `name`, or rewrites
/// it when PARLOG_UPDATE_GOLDEN=1 (see the top of this file).
fn check_golden(name: &str, args: &[&str]) {
    let t = setup_demo();
    let actual = mask_cover_hash(&retro(&t, t.data(), args));
    let path = golden_path(name);
    if std::env::var(UPDATE_GOLDEN).is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("tests/golden can be made");
        std::fs::write(&path, &actual).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        panic!(
            "{UPDATE_GOLDEN}=1: rewrote {}; review the change with `git diff tests/golden`, then run the tests \
             without {UPDATE_GOLDEN}",
            path.display()
        );
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the golden file {} ({e}); create it with {UPDATE_GOLDEN}=1 cargo test -p parlog-tests --test it \
             retrospective::golden, then review it",
            path.display()
        )
    });
    if let Some(diff) = first_difference(&expected, &actual) {
        panic!(
            "`parlog retrospective {}` differs from {}:\n{diff}\nIf the change is meant, update the golden files with \
             {UPDATE_GOLDEN}=1 cargo test -p parlog-tests --test it retrospective::golden and review them with \
             `git diff tests/golden`.",
            args.join(" "),
            path.display()
        );
    }
}

#[test]
fn golden_demo_nl_markdown() {
    check_golden("gouda.nl.md", &["--lang", "nl", "--format", "md"]);
}

#[test]
fn golden_demo_en_markdown() {
    check_golden("gouda.en.md", &["--lang", "en", "--format", "md"]);
}

#[test]
fn golden_demo_nl_html() {
    check_golden("gouda.nl.html", &["--lang", "nl", "--format", "html"]);
}

#[test]
fn golden_demo_en_html() {
    check_golden("gouda.en.html", &["--lang", "en", "--format", "html"]);
}

#[test]
fn the_cover_hash_is_the_hash_of_the_last_included_position() {
    let t = setup_demo();
    let log = t.log_json(t.data());
    let report = retro(&t, t.data(), &[]);
    let last = log.last().expect("events");
    assert!(report.contains(last["hash"].as_str().expect("a hash")), "the cover names the head hash");
    let then = retro(&t, t.data(), &["--as-of", "2016-06-30"]);
    let included = log.iter().filter(|e| e["occurred_at"].as_str().expect("occurred_at")[..10] <= *"2016-06-30");
    let last_then = included.max_by_key(|e| e["position"].as_u64()).expect("events before the day");
    assert!(then.contains(last_then["hash"].as_str().expect("a hash")), "as of a day, the hash of its last event");
}

// ---- b. as of a day = the log cut at that day -----------------------------------------------

fn occurred_instant(e: &Value) -> chrono::DateTime<chrono::FixedOffset> {
    let s = e["occurred_at"].as_str().expect("occurred_at");
    chrono::DateTime::parse_from_rfc3339(s).unwrap_or_else(|err| panic!("occurred_at {s:?}: {err}"))
}

/// The demo with its events sorted stably by when they happened, loaded; and its export (with
/// keys, so that the cut log differs from the whole only by the cut).
fn sorted_demo() -> (CliTest, Vec<String>) {
    let t = setup();
    let text = std::fs::read_to_string(repo_file("demo/gouda.json")).expect("demo/gouda.json can be read");
    let mut events: Vec<Value> = serde_json::from_str(&text).expect("demo/gouda.json is a JSON array");
    events.sort_by_key(occurred_instant);
    let sorted = t.write("sorted.json", &serde_json::to_string(&events).expect("JSON"));
    t.ok(&["demo", "--file", sorted.to_str().expect("UTF-8 path")]);
    let export = t.ok(&["export", "--with-keys"]);
    (t, export.lines().map(str::to_string).collect())
}

/// A data folder holding the export's events that happened on or before `day`: the header (with
/// `events` set to their number) and that prefix of the event lines, imported.
fn cut_at(t: &CliTest, export: &[String], day: &str) -> PathBuf {
    let events: Vec<Value> = export[1..].iter().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    let day_of = |e: &Value| e["occurred_at"].as_str().expect("occurred_at")[..10].to_string();
    let keep = events.iter().rposition(|e| *day_of(e) <= *day).map_or(0, |i| i + 1);
    assert!(keep > 0 && keep < events.len(), "{day} cuts the demo somewhere in the middle ({keep} events)");
    let after: Vec<u64> = events[keep..]
        .iter()
        .filter(|e| *day_of(e) <= *day)
        .map(|e| e["position"].as_u64().expect("a position"))
        .collect();
    assert!(after.is_empty(), "the sorted log has events on or before {day} after the cut: {after:?}");
    let mut header: Value = serde_json::from_str(&export[0]).expect("the header is JSON");
    header["events"] = keep.into();
    let mut file = format!("{header}\n");
    for line in &export[1..=keep] {
        file += line;
        file.push('\n');
    }
    let path = t.write(&format!("cut-{day}.ndjson"), &file);
    let data = t.path(&format!("cut-{day}"));
    t.init_at(&data);
    t.run_at(&data, &["import", path.to_str().expect("UTF-8 path")], None)
        .success()
        .stdout_has(&[&format!("{keep} nieuwe gebeurtenissen geïmporteerd")]);
    data
}

/// The report of the whole log as of a day equals the report of the log cut at that day, byte
/// for byte: an as-of report sees nothing after its day. (Were they to differ, the report would
/// leak later events into the past, or depend on where the log ends.)
#[test]
fn the_report_as_of_a_day_equals_the_report_of_the_log_cut_at_that_day() {
    let (t, export) = sorted_demo();
    let mut differences = Vec::new();
    for day in ["2016-06-30", "2017-12-31", "2018-06-30"] {
        let cut = cut_at(&t, &export, day);
        for lang in ["nl", "en"] {
            for format in ["md", "html"] {
                let args = ["--as-of", day, "--lang", lang, "--format", format];
                let whole = retro(&t, t.data(), &args);
                let part = retro(&t, &cut, &args);
                if let Some(diff) = first_difference(&part, &whole) {
                    differences
                        .push(format!("retrospective {} (- the cut log, + the whole log):\n{diff}", args.join(" ")));
                }
            }
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

// ---- c. every statement cites its sources ---------------------------------------------------

/// The references `[#N · D mmm YYYY]` in a text (as the report writes a source: its position and,
/// as every day meant for people, `18 mrt 2019` or `18 Mar 2019`), each with its day as ISO.
fn refs(text: &str) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("[#") {
        rest = &rest[i + 2..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let after = &rest[digits.len()..];
        let Some(day) = after.strip_prefix(" · ").and_then(|a| a.split_once(']')).map(|(d, _)| d) else { continue };
        if let (false, Some(day)) = (digits.is_empty(), parlog_projections::text::parse_day(day)) {
            out.push((digits.parse().expect("digits"), day.to_string()));
        }
    }
    out
}

/// The statements of a Markdown report's body (after the cover, before the sources): list items
/// and paragraphs, leaving out headings, fenced chart blocks, bold-only chart captions and
/// italic notes about the report. Returns the statements and the sources heading's line index.
fn statements(md: &str) -> (Vec<String>, usize) {
    let lines: Vec<&str> = md.lines().collect();
    let start = lines.iter().position(|l| l.starts_with("## ")).expect("a first section");
    let sources = lines.iter().rposition(|l| l.starts_with("## ")).expect("the sources heading");
    let mut out: Vec<String> = Vec::new();
    let mut in_fence = false;
    let mut open = false; // whether the last line belongs to a statement that may continue
    for line in &lines[start..sources] {
        if line.starts_with("```") {
            in_fence = !in_fence;
            open = false;
            continue;
        }
        let caption =
            line.len() > 4 && line.starts_with("**") && line.ends_with("**") && !line[2..line.len() - 2].contains("**");
        let note = line.len() > 2 && line.starts_with('_') && line.ends_with('_');
        if in_fence || line.trim().is_empty() || line.starts_with('#') || caption || note {
            open = false;
            continue;
        }
        match (line.strip_prefix("- "), open) {
            (Some(item), _) => out.push(item.to_string()),
            (None, true) => {
                let last = out.last_mut().expect("an open statement");
                last.push('\n');
                last.push_str(line);
            }
            (None, false) => out.push(line.to_string()),
        }
        open = true;
    }
    assert!(!in_fence, "a fenced block is not closed");
    (out, sources)
}

/// What is wrong with the sources of a Markdown report: statements without a reference,
/// references to positions that do not exist or with the wrong day, cited events missing from the
/// sources list (and listed events nobody cites), and, as of a day, citations of later events.
fn citation_problems(md: &str, days: &BTreeMap<u64, String>, as_of: Option<&str>) -> Vec<String> {
    let (stmts, sources_at) = statements(md);
    let mut problems = Vec::new();
    let mut cited = BTreeSet::new();
    assert!(!stmts.is_empty(), "the report has statements");
    for s in &stmts {
        let r = refs(s);
        if r.is_empty() {
            problems.push(format!("no source: {s}"));
        }
        for (n, day) in r {
            match days.get(&n) {
                None => problems.push(format!("[#{n} {day}] names no event of the log: {s}")),
                Some(d) if *d != day => problems.push(format!("[#{n} {day}]: event {n} happened on {d}: {s}")),
                Some(_) => {}
            }
            if as_of.is_some_and(|a| *day > *a) {
                problems.push(format!("[#{n} {day}] is after the as-of day {}: {s}", as_of.unwrap_or_default()));
            }
            cited.insert(n);
        }
    }
    let lines: Vec<&str> = md.lines().collect();
    let mut listed = BTreeSet::new();
    for line in lines[sources_at + 1..].iter().filter(|l| !l.trim().is_empty()) {
        match (line.strip_prefix("- ").map(refs).as_deref(), line.starts_with("- [#")) {
            (Some([(n, day)]), true) => {
                if days.get(n) != Some(day) {
                    problems.push(format!("sources list: [#{n} {day}] does not match the log ({:?})", days.get(n)));
                }
                listed.insert(*n);
            }
            _ => problems.push(format!("sources list: not a source line: {line}")),
        }
    }
    for n in cited.difference(&listed) {
        problems.push(format!("#{n} is cited but not in the sources list"));
    }
    for n in listed.difference(&cited) {
        problems.push(format!("#{n} is in the sources list but cited nowhere"));
    }
    problems
}

/// Checks the sources of the Markdown retrospective with `args`, in both languages.
fn check_citations(t: &CliTest, args: &[&str], as_of: Option<&str>) {
    let days = occurred_days(t, t.data());
    for lang in ["nl", "en"] {
        let mut a = vec!["--format", "md", "--lang", lang];
        a.extend_from_slice(args);
        let md = retro(t, t.data(), &a);
        let problems = citation_problems(&md, &days, as_of);
        assert!(
            problems.is_empty(),
            "retrospective {}: {} problems with sources:\n{}",
            a.join(" "),
            problems.len(),
            problems.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
        );
    }
}

#[test]
fn the_citation_check_finds_what_it_should() {
    let days: BTreeMap<u64, String> = [(1, "2015-01-01".to_string()), (2, "2016-02-02".to_string())].into();
    let md = "# T\n\nsub\n\n- Periode: x\n\n## A\n\n**Chart**\n\n```\nno refs here\n```\n\n_a note_\n\n\
              - **Lead:** fine [#1 · 1 jan 2015]\n- none at all\n- wrong day [#2 · 1 jan 2015]\n- missing [#3 · 3 mrt 2017]\n\n\
              A paragraph [#2 · 2 feb 2016]\n\n## Bronnen\n\n- [#1 · 1 jan 2015] x\n- [#2 · 2 Feb 2016] y\n";
    let problems = citation_problems(md, &days, Some("2015-12-31"));
    let expect = ["no source: none at all", "event 2 happened on 2016-02-02", "names no event", "#3 is cited but not"];
    for e in expect {
        assert!(problems.iter().any(|p| p.contains(e)), "expected a problem with {e:?}: {problems:#?}");
    }
    assert!(problems.iter().any(|p| p.contains("after the as-of day")), "{problems:#?}");
    assert_eq!(
        refs("x [#12 · 2 jan 2018] [#3 2018-01-02] [#5 · 2 Jaan 2018] [#4 · 3 Jan 2018]"),
        [(12, "2018-01-02".into()), (4, "2018-01-03".into())]
    );
}

#[test]
fn every_statement_of_the_demo_report_cites_its_sources() {
    let t = setup_demo();
    check_citations(&t, &[], None);
    check_citations(&t, &["--as-of", "2017-06-30"], Some("2017-06-30"));
    check_citations(&t, &["--area", "area:oost"], None);
    check_citations(&t, &["--area", "area:noord", "--as-of", "2016-12-31"], Some("2016-12-31"));
}

// ---- d. nothing hard-wired to Gouda ---------------------------------------------------------

/// Names that only the Gouda demo uses: its initiatives and areas.
fn gouda_names() -> Vec<String> {
    let text = std::fs::read_to_string(repo_file("demo/gouda.json")).expect("demo/gouda.json can be read");
    let events: Vec<Value> = serde_json::from_str(&text).expect("a JSON array");
    let names: BTreeSet<String> = events
        .iter()
        .filter(|e| e["kind"] == "InitiativeStarted" || e["kind"] == "AreaDefined")
        .map(|e| e["payload"]["name"].as_str().expect("a name").to_string())
        .collect();
    assert!(names.len() > 10, "the demo has initiatives and areas: {names:?}");
    names.into_iter().collect()
}

#[test]
fn the_zwolle_report_is_about_zwolle_and_mentions_nothing_of_gouda() {
    let t = zwolle();
    let gouda = gouda_names();
    for lang in ["nl", "en"] {
        for format in ["md", "html"] {
            let report = retro(&t, t.data(), &["--lang", lang, "--format", format]);
            let what = format!("the Zwolle retrospective ({lang}, {format})");
            for own in [
                "Zwolle",
                "Zwolle-Zuid",
                "Stadshagen",
                "Ittersum",
                "Westenholte",
                "Repair Café Ittersum",
                "Formulierenhulp Schelle",
                "Ouderkring Westenholte",
                "buurtverbinder Zuid",
                "Buurtverbinder Zwolle",
            ] {
                assert!(report.contains(own), "{what} mentions {own:?}");
            }
            for foreign in gouda.iter().map(String::as_str).chain(["Gouda", "Goudse", "Voortouw", "TNO"]) {
                assert!(!report.contains(foreign), "{what} mentions {foreign:?}, which belongs to the Gouda demo");
            }
        }
    }
}

#[test]
fn every_statement_of_the_zwolle_report_cites_its_sources() {
    let t = zwolle();
    check_citations(&t, &[], None);
    check_citations(&t, &["--as-of", "2020-03-31"], Some("2020-03-31"));
    check_citations(&t, &["--area", "area:zwolle-zuid"], None);
}

#[test]
fn the_zwolle_log_is_valid_and_covers_every_kind_a_report_uses() {
    let t = zwolle();
    t.ok(&["verify"]);
    let stats = t.run(&["stats", "--json"]).success().json();
    let n = stats["events"].as_u64().expect("events");
    assert!((60..=120).contains(&n), "a small log: {n} events");
    for kind in [
        "StudyStarted",
        "AreaDefined",
        "ParticipantRegistered",
        "ParticipantRoleChanged",
        "ParticipantLeft",
        "RoleDescribed",
        "RoleChanged",
        "MethodChanged",
        "CycleOpened",
        "ActionTaken",
        "ObservationRecorded",
        "ReflectionRecorded",
        "CycleClosed",
        "SignalRaised",
        "SignalsCollectivised",
        "InitiativeStarted",
        "InitiativeStageChanged",
        "BrokerRoleSet",
        "InitiativeHandedOver",
        "InitiativeStopped",
        "ConnectionMade",
        "CodeDefined",
        "ExcerptCoded",
        "MemoWritten",
    ] {
        assert!(stats["kinds"][kind].as_u64().is_some_and(|c| c > 0), "the Zwolle log has {kind}: {stats:#}");
    }
    // Reflections with insights of every kind.
    let log = t.log_json(t.data());
    let insight_kinds: BTreeSet<&str> = log
        .iter()
        .filter(|e| e["kind"] == "ReflectionRecorded")
        .flat_map(|e| e["payload"]["insights"].as_array().expect("insights").iter())
        .map(|i| i["kind"].as_str().expect("a kind"))
        .collect();
    assert_eq!(insight_kinds, ["added_value", "pitfall", "question", "success", "tip"].into());
    // Loading it again adds nothing.
    let file = repo_file("tests/data/zwolle.json");
    t.run(&["demo", "--file", file.to_str().expect("UTF-8 path")])
        .success()
        .stdout_has(&["0 gebeurtenissen toegevoegd"]);
}

// ---- e. the HTML is one self-contained file -------------------------------------------------

/// The values of `attr="…"` attributes in an HTML text.
fn attribute_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!("{attr}=");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&needle) {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + needle.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '-') {
            continue; // part of a longer attribute name, such as data-src=
        }
        let quote = rest.chars().next();
        let value = match quote {
            Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or(""),
            _ => rest.split(|c: char| c.is_whitespace() || c == '>').next().unwrap_or(""),
        };
        out.push(value);
    }
    out
}

fn check_self_contained(html: &str, what: &str) {
    for scheme in ["http://", "https://", "//fonts.", "url("] {
        assert!(!html.contains(scheme), "{what} contains {scheme:?}: it must not load anything");
    }
    assert!(
        attribute_values(html, "src").is_empty(),
        "{what} has src= attributes: {:?}",
        attribute_values(html, "src")
    );
    let hrefs = attribute_values(html, "href");
    assert!(!hrefs.is_empty(), "{what} links statements to their sources");
    for href in &hrefs {
        let Some(target) = href.strip_prefix('#') else { panic!("{what}: href={href:?} points outside the document") };
        assert!(html.contains(&format!("id=\"{target}\"")), "{what}: href=\"#{target}\" has no target");
    }
    assert!(html.contains("<svg"), "{what} draws its charts as inline SVG");
    assert!(html.contains("@media print"), "{what} has a print stylesheet");
    assert!(html.starts_with("<!DOCTYPE html>"), "{what} is a whole HTML document");
}

#[test]
fn the_html_is_self_contained_and_in_its_language() {
    let t = setup_demo();
    let nl = retro(&t, t.data(), &["--format", "html", "--lang", "nl"]);
    let en = retro(&t, t.data(), &["--format", "html", "--lang", "en"]);
    check_self_contained(&nl, "the Dutch HTML");
    check_self_contained(&en, "the English HTML");

    assert!(nl.contains("<html lang=\"nl\">"), "the Dutch HTML says it is Dutch");
    assert!(en.contains("<html lang=\"en\">"), "the English HTML says it is English");
    // The demo's own text is Dutch in both, so the English report is checked on its labels only.
    for label in
        ["Sources", "Research question", "Municipality:", ">Period<", "Participants", "Stages of the initiatives"]
    {
        assert!(!nl.contains(label), "the Dutch HTML has the English label {label:?}");
    }
    for label in [">Bronnen<", ">Onderzoeksvraag:<", ">Periode<", ">Deelnemers<", ">Fasen van de initiatieven<"] {
        assert!(!en.contains(label), "the English HTML has the Dutch label {label:?}");
        assert!(nl.contains(label), "the Dutch HTML has {label:?} (so the check above means something)");
    }
}

#[test]
fn the_html_of_other_logs_and_parts_is_self_contained_too() {
    let t = zwolle();
    for lang in ["nl", "en"] {
        let html = retro(&t, t.data(), &["--format", "html", "--lang", lang]);
        check_self_contained(&html, &format!("the Zwolle HTML ({lang})"));
    }
    let d = setup_demo();
    let html = retro(&d, d.data(), &["--format", "html", "--as-of", "2015-12-31", "--area", "area:west"]);
    check_self_contained(&html, "the demo's HTML for West as of 2015-12-31");
}

#[test]
fn markdown_and_html_say_the_same_things() {
    // Both render one document model: the same sources are cited, in the same order.
    let t = setup_demo();
    for lang in ["nl", "en"] {
        let md = retro(&t, t.data(), &["--format", "md", "--lang", lang]);
        let html = retro(&t, t.data(), &["--format", "html", "--lang", lang]);
        let md_body = &md[..md.rfind("\n## ").expect("a sources heading")];
        // In HTML a statement's references are links; chart tooltips name sources too.
        let html_refs: Vec<(u64, String)> = html
            .split("<a class=\"src\"")
            .skip(1)
            .flat_map(|link| refs(link.split("</a>").next().unwrap_or("")))
            .collect();
        assert_eq!(refs(md_body), html_refs, "the {lang} Markdown and HTML cite the same sources in order");
    }
}

// ---- f. every source reference opens its event ----------------------------------------------

/// The links of the statements' source references: (href, the reference it shows).
fn source_links(html: &str) -> Vec<(String, String)> {
    html.split("<a class=\"src\" href=\"")
        .skip(1)
        .map(|rest| {
            let (href, after) = rest.split_once('"').expect("a closed href");
            let shown = after.split_once('>').expect("a tag").1.split('<').next().unwrap_or("");
            (href.to_string(), shown.to_string())
        })
        .collect()
}

/// The entries of the standalone HTML's list of sources: id and text.
fn source_entries(html: &str) -> Vec<(String, String)> {
    let list =
        html.split("<ol class=\"sources\">").nth(1).expect("a list of sources").split("</ol>").next().unwrap_or("");
    list.split("<li id=\"")
        .skip(1)
        .map(|rest| {
            let (id, after) = rest.split_once("\">").expect("an id");
            (id.to_string(), after.split("</li>").next().unwrap_or("").to_string())
        })
        .collect()
}

/// Standalone, each reference goes to the report's own list of sources, which lists each cited
/// event once with what it is, who recorded it, its stream and open facts, and no sealed text.
fn check_standalone_links(t: &CliTest, what: &str, sealed: &[String]) {
    for lang in ["nl", "en"] {
        let html = retro(t, t.data(), &["--format", "html", "--lang", lang]);
        let links = source_links(&html);
        let entries = source_entries(&html);
        assert!(!links.is_empty(), "{what} {lang}: statements link their sources");
        let ids: BTreeSet<&str> = entries.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids.len(), entries.len(), "{what} {lang}: each cited event is listed once");
        for (href, shown) in &links {
            let n = shown.trim_start_matches("[#").split(' ').next().expect("a position");
            assert_eq!(href, &format!("#bron-{n}"), "{what} {lang}: {shown} links to its entry");
            let entry = entries.iter().find(|(id, _)| *id == href[1..]);
            let (_, text) = entry.unwrap_or_else(|| panic!("{what} {lang}: {href} has an entry in the list"));
            assert!(text.starts_with(shown.as_str()), "{what} {lang}: the entry names the same event: {text}");
            // The kind in words, who, and the stream: at least three parts after the reference.
            assert!(text.matches(" · ").count() >= 3, "{what} {lang}: {text}");
        }
        // The link says what it opens, to a screen reader.
        let says = if lang == "nl" { "naar de lijst van bronnen" } else { "to the list of sources" };
        assert!(html.contains(&format!("<span class=\"vh\"> ({says})</span></a>")), "{what} {lang}");
        assert!(html.contains("<section id=\"bronnen\">\n<h2>"), "{what} {lang}: the list has a heading");
        let list = html.split("<ol class=\"sources\">").nth(1).expect("a list");
        for s in sealed {
            assert!(!list.contains(s.as_str()), "{what} {lang}: sealed text in the list of sources: {s}");
        }
    }
}

/// The first words of every sealed text of a demo-style file, to look for in a report.
fn sealed_texts(path: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo_file(path)).expect("readable");
    let events: Vec<Value> = serde_json::from_str(&text).expect("a JSON array");
    events
        .iter()
        .filter_map(|e| e["sealed"]["text"].as_str())
        .map(|s| s.chars().take(40).collect::<String>())
        .filter(|s| s.chars().count() >= 20)
        .collect()
}

#[test]
fn standalone_source_references_open_the_list_of_sources() {
    let sealed = sealed_texts("demo/gouda.json");
    assert!(sealed.len() > 10, "the demo has sealed texts to look for");
    check_standalone_links(&setup_demo(), "the demo", &sealed);
    check_standalone_links(&zwolle(), "zwolle", &sealed_texts("tests/data/zwolle.json"));
}

#[test]
fn the_list_of_sources_names_a_notes_topic_and_area() {
    let t = zwolle();
    let html = retro(&t, t.data(), &["--format", "html"]);
    let entries = source_entries(&html);
    assert!(
        entries
            .iter()
            .any(|(_, e)| e.contains("veldnotitie vastgelegd") && e.contains("onderwerp: ") && e.contains("gebied: ")),
        "a field note with its topic and area: {entries:?}"
    );
    // The Markdown report lists the same words.
    let md = retro(&t, t.data(), &["--format", "md"]);
    let sources = &md[md.rfind("\n## ").expect("a sources heading")..];
    assert!(sources.contains("onderwerp: ") && sources.contains("gebied: "), "{sources}");
}

#[tokio::test]
async fn served_source_references_open_the_event_in_the_web_interface() {
    use parlog_server::http::auth::Role;
    for log in [crate::api_support::Log::Gouda, crate::api_support::Log::Small] {
        let api = crate::api_support::setup_with(log, parlog_server::http::Limits::default());
        let study = crate::api_support::study_of(log);
        for lang in ["nl", "en"] {
            let html = api.get(&format!("/api/v1/retrospective?format=html&lang={lang}"), Role::Viewer).await.text();
            let links = source_links(&html);
            assert!(!links.is_empty(), "{study} {lang}: statements link their sources");
            for (href, shown) in &links {
                let n = shown.trim_start_matches("[#").split(' ').next().expect("a position");
                assert_eq!(href, &format!("/#/event/{n}?study={study}"), "{study} {lang}: {shown}");
            }
            let says = if lang == "nl" { "open de gebeurtenis in parlog" } else { "open the event in parlog" };
            assert!(html.contains(&format!("<span class=\"vh\"> ({says})</span></a>")), "{study} {lang}");
            assert!(!html.contains("href=\"#bron-"), "{study} {lang}: served, no link goes to the list");
        }
    }
}
