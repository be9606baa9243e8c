//! Comparing studies (`parlog_projections::compare`): each study's role in its own words, its
//! initiatives counted by route, stage and outcome with the reasons as recorded, its changes of
//! method, the lessons per theme with the studies each appears in; every statement citing its
//! study and an event of that study's log; the same logs giving the same bytes; text from the
//! logs escaped; both languages; and the demo against another made-up municipality.
//!
//! Each study is its own log (positions from 1), decided in memory by the store's rules and
//! folded by the engine, as the server will do per study.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use parlog_core::limits::BATCH_EVENTS_MAX;
use parlog_core::{AuthorSource, Lang, MemoryLog, NewEvent, StudySlug, SystemEnv};
use parlog_projections::compare::{self, CompareError, CompareOptions, Comparison, Format, StudyInput, STUDIES_MAX};
use parlog_projections::{AsOf, Engine, MemorySource, Projections};
use parlog_server::cli::demo;
use serde_json::{json, Value};

use crate::cli_support::repo_file;
use crate::proj_support::{ev, id};

// ---- studies ---------------------------------------------------------------------------------

/// A study's log, folded: its projections and the day of each position (index + 1).
struct Folded {
    slug: StudySlug,
    name: String,
    municipality: String,
    projections: Projections,
    days: Vec<NaiveDate>,
}

impl Folded {
    fn input(&self) -> StudyInput<'_> {
        StudyInput {
            slug: &self.slug,
            name: &self.name,
            municipality: &self.municipality,
            projections: &self.projections,
        }
    }
}

fn fold(slug: &str, name: &str, events: Vec<NewEvent>) -> Folded {
    let mut log = MemoryLog::new();
    let mut rest = events.into_iter().peekable();
    while rest.peek().is_some() {
        let batch: Vec<NewEvent> = rest.by_ref().take(BATCH_EVENTS_MAX).collect();
        log.append(batch, &mut SystemEnv).unwrap_or_else(|e| panic!("the events of {slug} were refused: {e}"));
    }
    let recorded: Vec<_> = log.events().iter().map(|s| s.event.clone()).collect();
    let days = recorded.iter().map(|e| e.occurred_at.date()).collect();
    let source = MemorySource::new(recorded).expect("a decided log is gapless");
    let projections = Engine::as_of(&source, AsOf::Head).expect("engine").state;
    Folded {
        slug: StudySlug::parse(slug).expect("a slug"),
        name: name.to_string(),
        municipality: name.to_string(),
        projections,
        days,
    }
}

fn fold_json(slug: &str, name: &str, events: &[Value]) -> Folded {
    let events = events
        .iter()
        .map(|e| NewEvent::from_json(&e.to_string(), &AuthorSource::FromBody).expect("a valid event"))
        .collect();
    fold(slug, name, events)
}

/// The start of a study in `town` (lower case, used in stream names): the study, the town with
/// one district, a researcher, a makelaar and an organisation to hand over to.
fn start(town: &str, name: &str, started: &str) -> Vec<Value> {
    vec![
        ev(
            "study",
            &format!("study:{town}"),
            "StudyStarted",
            started,
            json!({
                "title": format!("Verbinden in {name}"), "question": format!("Wat levert de functie in {name} op?"),
                "municipality": name, "levels": ["gemeente", "functie", "wijk"]
            }),
        ),
        ev("city", &format!("area:{town}"), "AreaDefined", started, json!({"name": name, "kind": "city"})),
        ev(
            "district",
            &format!("area:{town}-centrum"),
            "AreaDefined",
            started,
            json!({
                "name": format!("{name}-Centrum"), "kind": "district", "parent": format!("area:{town}")
            }),
        ),
        ev(
            "p-r",
            "participant:onderzoeker-a",
            "ParticipantRegistered",
            started,
            json!({
                "label": "onderzoeker A", "role": "researcher"
            }),
        ),
        ev(
            "p-m",
            "participant:makelaar-a",
            "ParticipantRegistered",
            started,
            json!({
                "label": "makelaar Centrum", "role": "makelaar", "area": format!("area:{town}-centrum")
            }),
        ),
        ev(
            "p-org",
            &format!("participant:welzijn-{town}"),
            "ParticipantRegistered",
            started,
            json!({
                "label": format!("Welzijn {name}"), "role": "organisation"
            }),
        ),
    ]
}

fn initiative(label: &str, town: &str, name: &str, route: &str, day: &str) -> Value {
    ev(
        label,
        &format!("initiative:{label}"),
        "InitiativeStarted",
        day,
        json!({
            "name": name, "route": route, "area": format!("area:{town}-centrum"),
            "description": format!("{name}, in de wijk")
        }),
    )
}

fn stage(label: &str, initiative: &str, stage: &str, day: &str) -> Value {
    ev(label, &format!("initiative:{initiative}"), "InitiativeStageChanged", day, json!({"stage": stage}))
}

/// A cycle at the role's level with one reflection holding `insights`.
fn reflection(town: &str, cycle: &str, day: &str, insights: Value) -> Vec<Value> {
    vec![
        ev(
            &format!("{cycle}-open"),
            &format!("cycle:{cycle}"),
            "CycleOpened",
            day,
            json!({
                "study": format!("study:{town}"), "level": "functie",
                "question": "Hoe houden we het werk vol?", "plan": "Bijhouden en terugkijken"
            }),
        ),
        ev(cycle, &format!("cycle:{cycle}"), "ReflectionRecorded", day, json!({"insights": insights})),
    ]
}

/// Deventer calls the role "wijkverbinder": 1.5 FTE, then 2; a method change after a
/// reflection; three initiatives (one handed over, one stopped, one in action).
fn deventer() -> Vec<Value> {
    let mut w = start("deventer", "Deventer", "2019-01-07");
    w.extend([
        ev(
            "role",
            "role:wijkverbinder",
            "RoleDescribed",
            "2019-01-14",
            json!({
                "title": "wijkverbinder", "mandate": "Bewoners en organisaties met elkaar verbinden",
                "tasks": ["verbinden"], "capacity_fte": 1.5, "position": "in het sociaal wijkteam",
                "effective": "2019-02-01"
            }),
        ),
        initiative("eettafel", "deventer", "Eettafel Centrum", "signal", "2019-03-04"),
        stage("eettafel-s1", "eettafel", "inventory", "2019-03-11"),
        stage("eettafel-s2", "eettafel", "anchoring", "2019-09-02"),
        ev(
            "eettafel-h",
            "initiative:eettafel",
            "InitiativeHandedOver",
            "2019-10-01",
            json!({
                "organisation": "participant:welzijn-deventer", "note": "Welzijn neemt de coördinatie over"
            }),
        ),
        initiative("moestuin", "deventer", "Moestuin aan de IJssel", "opportunity", "2019-04-01"),
        ev(
            "moestuin-x",
            "initiative:moestuin",
            "InitiativeStopped",
            "2019-08-19",
            json!({
                "reason": "De trekker verhuisde en niemand nam het over <script>alert(1)</script>"
            }),
        ),
        initiative("klusdag", "deventer", "Klusdag", "opportunity", "2019-05-06"),
        stage("klusdag-s1", "klusdag", "action", "2019-06-03"),
    ]);
    w.extend(reflection(
        "deventer",
        "dev-1",
        "2019-06-10",
        json!([
            {"kind": "success", "text": "Bewoners trekken het zelf", "theme": "Eigenaarschap"},
            {"kind": "pitfall", "text": "Te veel tegelijk <script>alert('les')</script>", "theme": "Werkdruk"}
        ]),
    ));
    w.extend([
        ev(
            "m1",
            "role:wijkverbinder",
            "MethodChanged",
            "2019-07-01",
            json!({
                "aspect": "loslaten", "before": "tot het einde betrokken", "after": "na drie maanden overdragen",
                "rationale": "de werkdruk groeide", "reflections": [id("dev-1")], "effective": "2019-07-01"
            }),
        ),
        ev(
            "ch1",
            "role:wijkverbinder",
            "RoleChanged",
            "2019-11-04",
            json!({
                "capacity_fte": 2.0, "position": "tussen wijkteam en wijkcentrum",
                "rationale": "meer vragen uit de wijk", "effective": "2020-01-01"
            }),
        ),
    ]);
    w
}

/// Zwolle calls the role "buurtverbinder": two initiatives from signals, one stopped, one
/// handed over without a note; lessons sharing the theme "eigenaarschap" (other case).
fn zwolle() -> Vec<Value> {
    let mut w = start("zwolle", "Zwolle", "2020-01-06");
    w.extend([
        ev(
            "role",
            "role:buurtverbinder",
            "RoleDescribed",
            "2020-01-13",
            json!({
                "title": "buurtverbinder", "mandate": "Vragen uit het wijkteam bundelen",
                "tasks": ["bundelen"], "capacity_fte": 2.0, "position": "lid van het wijkteam",
                "effective": "2020-01-13"
            }),
        ),
        initiative("taalcafe", "zwolle", "Taalcafé", "signal", "2020-02-03"),
        stage("taalcafe-s1", "taalcafe", "bringing_together", "2020-02-10"),
        ev(
            "taalcafe-x",
            "initiative:taalcafe",
            "InitiativeStopped",
            "2020-06-01",
            json!({
                "reason": "Geen vrijwilligers gevonden"
            }),
        ),
        initiative("wandelen", "zwolle", "Wandelgroep", "signal", "2020-03-02"),
        ev(
            "wandelen-h",
            "initiative:wandelen",
            "InitiativeHandedOver",
            "2020-09-07",
            json!({
                "organisation": "participant:welzijn-zwolle"
            }),
        ),
    ]);
    w.extend(reflection(
        "zwolle",
        "zw-1",
        "2020-06-08",
        json!([
            {"kind": "pitfall", "text": "De makelaar blijft trekken", "theme": " eigenaarschap"},
            {"kind": "tip", "text": "Spreek vooraf af wie overneemt", "theme": "Borging"},
            {"kind": "tip", "text": "Vier wat lukt"}
        ]),
    ));
    w.extend([ev(
        "m1",
        "role:buurtverbinder",
        "MethodChanged",
        "2020-07-06",
        json!({
            "aspect": "signalen", "before": "per casus", "after": "gebundeld per maand",
            "rationale": "patronen werden pas zichtbaar in bundels", "effective": "2020-07-06"
        }),
    )]);
    w
}

/// Lochem describes no role: the fixed word stands in for it.
fn lochem() -> Vec<Value> {
    let mut w = start("lochem", "Lochem", "2021-03-01");
    w.push(initiative("buurtbus", "lochem", "Buurtbus", "opportunity", "2021-04-05"));
    w
}

fn studies() -> Vec<Folded> {
    vec![fold_json("deventer", "Deventer", &deventer()), fold_json("zwolle", "Zwolle", &zwolle())]
}

fn compare_with(studies: &[Folded], o: &CompareOptions) -> Comparison {
    let inputs: Vec<StudyInput> = studies.iter().map(Folded::input).collect();
    compare::build(&inputs, o).expect("the studies compare")
}

fn nl() -> CompareOptions {
    CompareOptions::default()
}

fn en() -> CompareOptions {
    CompareOptions { lang: Lang::En, ..CompareOptions::default() }
}

fn json_of(c: &Comparison) -> Value {
    serde_json::from_str(&c.to_json()).expect("to_json gives JSON")
}

fn column<'a>(v: &'a Value, slug: &str) -> &'a Value {
    v["studies"].as_array().unwrap().iter().find(|s| s["slug"] == slug).unwrap_or_else(|| panic!("{slug} compared"))
}

fn count(list: &Value, key: &str) -> u64 {
    let c = list.as_array().unwrap().iter().find(|c| c["key"] == key).unwrap_or_else(|| panic!("{key} counted"));
    c["count"].as_u64().unwrap()
}

fn positions(cites: &Value) -> Vec<(String, u64)> {
    cites
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["study"].as_str().unwrap().to_string(), c["position"].as_u64().unwrap()))
        .collect()
}

/// The position of an event by its label in a given log (one batch: index + 1).
fn pos(events: &[Value], label: &str) -> u64 {
    events.iter().position(|e| e["id"] == json!(id(label))).expect("label in the events") as u64 + 1
}

// ---- the role ----------------------------------------------------------------------------------

#[test]
fn each_study_names_the_role_in_its_own_words_and_the_fixed_word_only_without_a_description() {
    let s = studies();
    let c = compare_with(&s, &nl());
    let v = json_of(&c);
    let dev = column(&v, "deventer");
    assert_eq!(dev["role"]["title"], "wijkverbinder");
    assert_eq!(dev["role"]["own_words"], true);
    assert_eq!(positions(&dev["role"]["cites"]), [("deventer".into(), pos(&deventer(), "role"))]);
    assert_eq!(column(&v, "zwolle")["role"]["title"], "buurtverbinder");

    for format in [Format::Markdown, Format::Html] {
        for o in [nl(), en()] {
            let out = compare::render(&compare_with(&s, &o), format);
            for word in ["wijkverbinder", "buurtverbinder"] {
                assert!(out.contains(word), "{format:?} {:?} names the role {word}", o.lang);
            }
            for fixed in ["sociaal makelaar", "community broker"] {
                assert!(!out.to_lowercase().contains(fixed), "{format:?} {:?}: no fixed word {fixed:?}", o.lang);
            }
        }
    }

    let mut with_lochem = studies();
    with_lochem.push(fold_json("lochem", "Lochem", &lochem()));
    let v = json_of(&compare_with(&with_lochem, &nl()));
    let l = column(&v, "lochem");
    assert_eq!(l["role"]["title"], "sociaal makelaar");
    assert_eq!(l["role"]["own_words"], false);
    assert_eq!(l["role"]["cites"], json!([]), "a fixed word rests on no event");
    assert_eq!(json_of(&compare_with(&with_lochem, &en()))["studies"][2]["role"]["title"], "community broker");
    let md = compare::render(&compare_with(&with_lochem, &nl()), Format::Markdown);
    assert!(md.contains("sociaal makelaar (het logboek beschrijft geen functie"), "the fallback says it is one:\n{md}");
}

#[test]
fn the_latest_description_gives_the_word_and_earlier_ones_are_listed() {
    let mut w = start("raalte", "Raalte", "2019-01-07");
    w.extend([
        ev(
            "old",
            "role:buurtmakelaar",
            "RoleDescribed",
            "2019-01-14",
            json!({
                "title": "buurtmakelaar", "mandate": "Verbinden", "tasks": ["verbinden"], "capacity_fte": 1.0,
                "position": "in het wijkteam", "effective": "2019-02-01"
            }),
        ),
        ev(
            "new",
            "role:wijkverbinder",
            "RoleDescribed",
            "2020-03-02",
            json!({
                "title": "wijkverbinder", "mandate": "Verbinden", "tasks": ["verbinden"], "capacity_fte": 3.0,
                "position": "in het wijkcentrum", "effective": "2020-04-01"
            }),
        ),
    ]);
    let v = json_of(&compare_with(&[fold_json("raalte", "Raalte", &w)], &nl()));
    let role = &column(&v, "raalte")["role"];
    assert_eq!(role["title"], "wijkverbinder", "the study's current word");
    assert_eq!(role["capacity"][0]["value"], 3.0, "capacity of the role named");
    assert_eq!(
        role["other_titles"],
        json!([{"title": "buurtmakelaar", "effective": "2019-02-01",
                "cites": [{"study": "raalte", "position": pos(&w, "old"), "date": "2019-01-14"}], "more_cites": 0}])
    );
}

#[test]
fn capacity_and_position_over_time_follow_the_role_changes() {
    let v = json_of(&compare_with(&studies(), &nl()));
    let role = &column(&v, "deventer")["role"];
    let w = deventer();
    assert_eq!(
        role["capacity"],
        json!([
            {"effective": "2019-02-01", "value": 1.5, "rationale": null,
             "cites": [{"study": "deventer", "position": pos(&w, "role"), "date": "2019-01-14"}], "more_cites": 0},
            {"effective": "2020-01-01", "value": 2.0, "rationale": "meer vragen uit de wijk",
             "cites": [{"study": "deventer", "position": pos(&w, "ch1"), "date": "2019-11-04"}], "more_cites": 0}
        ])
    );
    let steps: Vec<&str> = role["position"].as_array().unwrap().iter().map(|p| p["value"].as_str().unwrap()).collect();
    assert_eq!(steps, ["in het sociaal wijkteam", "tussen wijkteam en wijkcentrum"]);
    assert_eq!(column(&v, "zwolle")["role"]["capacity"].as_array().unwrap().len(), 1, "Zwolle changed nothing");
}

// ---- initiatives and method changes ------------------------------------------------------------

#[test]
fn initiatives_are_counted_by_route_stage_and_outcome_with_the_reasons_as_recorded() {
    let v = json_of(&compare_with(&studies(), &nl()));
    let dev = &column(&v, "deventer")["initiatives"];
    assert_eq!(dev["total"]["count"], 3);
    assert_eq!((count(&dev["by_route"], "signal"), count(&dev["by_route"], "opportunity")), (1, 2));
    let stages: Vec<(String, u64)> = dev["by_stage"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["key"].as_str().unwrap().to_string(), c["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        stages,
        [("inventory", 0), ("bringing_together", 0), ("action", 1), ("anchoring", 1), ("none", 1)]
            .map(|(k, n)| (k.to_string(), n)),
        "the current stage: the stopped one never had a stage"
    );
    assert_eq!(
        [
            count(&dev["by_status"], "active"),
            count(&dev["by_status"], "handed_over"),
            count(&dev["by_status"], "stopped")
        ],
        [1, 1, 1]
    );
    let w = deventer();
    let stopped = &dev["stopped"]["items"][0];
    assert_eq!(stopped["initiative"], "Moestuin aan de IJssel");
    assert_eq!(stopped["reason"], "De trekker verhuisde en niemand nam het over <script>alert(1)</script>");
    assert_eq!(stopped["date"], "2019-08-19");
    assert_eq!(
        positions(&stopped["cites"]),
        [("deventer".into(), pos(&w, "moestuin")), ("deventer".into(), pos(&w, "moestuin-x"))]
    );
    let handed = &dev["handed_over"]["items"][0];
    assert_eq!((&handed["initiative"], &handed["to"]), (&json!("Eettafel Centrum"), &json!("Welzijn Deventer")));
    assert_eq!(handed["note"], "Welzijn neemt de coördinatie over");
    let stopped_count = dev["by_status"].as_array().unwrap().iter().find(|c| c["key"] == "stopped").unwrap();
    assert_eq!(positions(&stopped_count["cites"]), [("deventer".into(), pos(&w, "moestuin-x"))], "cites the stop");

    let zw = &column(&v, "zwolle")["initiatives"];
    assert_eq!((count(&zw["by_route"], "signal"), count(&zw["by_route"], "opportunity")), (2, 0));
    assert_eq!(count(&zw["by_stage"], "bringing_together"), 1);
    assert_eq!(zw["stopped"]["items"][0]["reason"], "Geen vrijwilligers gevonden");
    assert_eq!(zw["handed_over"]["items"][0]["note"], Value::Null);

    let md = compare::render(&compare_with(&studies(), &nl()), Format::Markdown);
    assert!(md.contains("Geen vrijwilligers gevonden"), "the reason as recorded is in the report");
    assert!(md.contains("overgedragen aan Welzijn Deventer: Welzijn neemt de coördinatie over"));
}

#[test]
fn method_changes_say_when_and_what_changed_and_cite_the_reflection_behind_them() {
    let v = json_of(&compare_with(&studies(), &nl()));
    let w = deventer();
    let m = &column(&v, "deventer")["method_changes"]["items"][0];
    assert_eq!((&m["effective"], &m["aspect"]), (&json!("2019-07-01"), &json!("loslaten")));
    assert_eq!((&m["before"], &m["after"]), (&json!("tot het einde betrokken"), &json!("na drie maanden overdragen")));
    assert_eq!(positions(&m["cites"]), [("deventer".into(), pos(&w, "dev-1")), ("deventer".into(), pos(&w, "m1"))]);
    assert_eq!(column(&v, "zwolle")["method_changes"]["items"][0]["aspect"], "signalen");
    let en = compare::render(&compare_with(&studies(), &en()), Format::Markdown);
    assert!(en.contains("tot het einde betrokken → na drie maanden overdragen. Why: de werkdruk groeide."), "{en}");
}

// ---- lessons -----------------------------------------------------------------------------------

#[test]
fn a_theme_in_two_studies_lists_both_and_comes_first() {
    let v = json_of(&compare_with(&studies(), &nl()));
    let themes = v["themes"]["items"].as_array().unwrap();
    let labels: Vec<&str> = themes.iter().map(|t| t["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["Eigenaarschap", "Borging", "Werkdruk", "algemeen"], "shared first, general last");
    let own = &themes[0];
    assert_eq!(own["studies"], json!(["deventer", "zwolle"]), "themes differing in case and space are one");
    let per: Vec<(&str, &str)> = own["per_study"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["study"].as_str().unwrap(), s["lessons"]["items"][0]["text"].as_str().unwrap()))
        .collect();
    assert_eq!(per, [("deventer", "Bewoners trekken het zelf"), ("zwolle", "De makelaar blijft trekken")]);
    assert_eq!(own["per_study"][1]["lessons"]["items"][0]["cites"][0]["study"], "zwolle");
    assert_eq!(themes[1]["studies"], json!(["zwolle"]));
    assert_eq!(themes[3]["general"], true);

    let html = compare::render(&compare_with(&studies(), &en()), Format::Html);
    assert!(html.contains("<h3>Eigenaarschap</h3>\n<p class=\"lead\">In: Deventer, Zwolle</p>"), "{html}");
    assert!(html.contains("<h3>general</h3>"));
}

// ---- citations ---------------------------------------------------------------------------------

/// Every object with `cites` under `v`: each names `study` and an event of its log (a position
/// the log holds, with the day of that event); counts cite one event per thing counted; only
/// statements of absence cite nothing.
fn check_cites(v: &Value, study: &Folded, path: &str, seen: &mut usize) {
    match v {
        Value::Object(m) => {
            if let Some(cites) = m.get("cites") {
                *seen += 1;
                let cites = cites.as_array().unwrap();
                let more = m["more_cites"].as_u64().unwrap();
                for c in cites {
                    assert_eq!(c["study"], study.slug.as_str(), "{path}: cites its own study");
                    let p = c["position"].as_u64().unwrap();
                    assert!(p >= 1 && p as usize <= study.days.len(), "{path}: position {p} is in the log");
                    assert_eq!(c["date"], study.days[p as usize - 1].to_string(), "{path}: #{p} has that day");
                }
                let absence = m.get("count") == Some(&json!(0)) || m.get("own_words") == Some(&json!(false));
                assert_eq!(cites.is_empty(), absence, "{path}: only a statement of absence cites nothing");
                if let Some(n) = m.get("count") {
                    assert_eq!(cites.len() as u64 + more, n.as_u64().unwrap(), "{path}: one event per thing counted");
                }
            }
            for (k, x) in m {
                if k != "cites" {
                    check_cites(x, study, &format!("{path}.{k}"), seen);
                }
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                check_cites(x, study, &format!("{path}[{i}]"), seen);
            }
        }
        _ => {}
    }
}

fn check_all_cites(studies: &[Folded], v: &Value) -> usize {
    let mut seen = 0;
    for s in studies {
        check_cites(column(v, s.slug.as_str()), s, s.slug.as_str(), &mut seen);
    }
    for t in v["themes"]["items"].as_array().unwrap() {
        for per in t["per_study"].as_array().unwrap() {
            let s = studies.iter().find(|s| per["study"] == s.slug.as_str()).expect("a compared study");
            check_cites(per, s, &format!("theme {}", t["label"]), &mut seen);
        }
    }
    seen
}

#[test]
fn every_statement_cites_its_study_and_an_event_of_its_log() {
    let mut s = studies();
    s.push(fold_json("lochem", "Lochem", &lochem()));
    let v = json_of(&compare_with(&s, &nl()));
    let seen = check_all_cites(&s, &v);
    assert!(seen > 40, "the walk found the statements ({seen})");

    // The reports print the same references: every one names a compared study.
    let md = compare::render(&compare_with(&s, &nl()), Format::Markdown);
    let refs: BTreeSet<&str> = md.match_indices(" #").map(|(i, _)| md[..i].rsplit('[').next().unwrap()).collect();
    assert_eq!(refs, BTreeSet::from(["deventer", "lochem", "zwolle"]), "{md}");
}

#[test]
fn a_statement_citing_many_events_names_the_first_and_counts_the_rest() {
    let mut w = start("kampen", "Kampen", "2022-01-03");
    for k in 0..compare::CITES_PER_STATEMENT_MAX + 5 {
        w.push(initiative(&format!("i{k}"), "kampen", &format!("Initiatief {k}"), "signal", "2022-02-07"));
    }
    let s = [fold_json("kampen", "Kampen", &w)];
    let v = json_of(&compare_with(&s, &nl()));
    let total = &column(&v, "kampen")["initiatives"]["total"];
    assert_eq!(total["count"], compare::CITES_PER_STATEMENT_MAX as u64 + 5);
    assert_eq!(total["cites"].as_array().unwrap().len(), compare::CITES_PER_STATEMENT_MAX);
    assert_eq!(total["more_cites"], 5);
    check_all_cites(&s, &v);
    assert!(compare::render(&compare_with(&s, &nl()), Format::Markdown).contains("[+5]"));
}

#[test]
fn long_lists_are_cut_and_the_rest_counted() {
    let o = CompareOptions { list_items_max: 2, ..en() };
    let c = compare_with(&studies(), &o);
    let v = json_of(&c);
    let labels: Vec<&str> =
        v["themes"]["items"].as_array().unwrap().iter().map(|t| t["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["Eigenaarschap", "Borging"], "the shared theme is kept");
    assert_eq!(v["themes"]["left_out"], 2);
    assert!(compare::render(&c, Format::Markdown).contains("And 2 more themes, left out here."));
    let o = CompareOptions { list_items_max: 0, ..en() };
    let v = json_of(&compare_with(&studies(), &o));
    assert_eq!(v["themes"]["items"].as_array().unwrap().len(), 1, "a list keeps at least one item");
}

// ---- determinism, escaping, languages ----------------------------------------------------------

#[test]
fn the_same_logs_give_the_same_bytes() {
    // Folded twice, from scratch (new subject keys, new recorded times): nothing of that shows.
    let (a, b) = (studies(), studies());
    for o in [nl(), en()] {
        for format in [Format::Json, Format::Markdown, Format::Html] {
            let (x, y) =
                (compare::render(&compare_with(&a, &o), format), compare::render(&compare_with(&b, &o), format));
            assert!(x == y, "{format:?} {:?} differs between two runs", o.lang);
        }
    }
    assert_eq!(compare::render(&compare_with(&a, &nl()), Format::Json), compare_with(&a, &nl()).to_json());
}

#[test]
fn html_escapes_text_from_the_logs_and_is_one_file_without_scripts() {
    let c = compare_with(&studies(), &nl());
    let html = compare::render(&c, Format::Html);
    assert!(!html.to_lowercase().contains("<script"), "no script element, also not from a log:\n{html}");
    assert!(html.contains("De trekker verhuisde en niemand nam het over &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("Te veel tegelijk &lt;script&gt;alert(&#39;les&#39;)&lt;/script&gt;"));
    for external in ["src=", "<link", "@import", "url(", "http://", "https://"] {
        assert!(!html.contains(external), "nothing loaded from elsewhere ({external})");
    }
    let md = compare::render(&c, Format::Markdown);
    assert!(md.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !md.contains("<script"), "{md}");

    // Every link of the summary table points at an element of the page.
    let ids: BTreeSet<&str> =
        html.match_indices(" id=\"").map(|(i, _)| html[i + 5..].split('"').next().unwrap()).collect();
    let links: Vec<&str> =
        html.match_indices("href=\"#").map(|(i, _)| html[i + 7..].split('"').next().unwrap()).collect();
    assert!(links.len() > 10, "the summary links its cells");
    for l in links {
        assert!(ids.contains(l), "#{l} is an element of the page");
    }
}

#[test]
fn the_page_is_phone_first_with_studies_stacking_on_narrow_screens() {
    let html = compare::render(&compare_with(&studies(), &nl()), Format::Html);
    assert!(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
    // Side by side where there is room, one under the other below two columns' width.
    assert!(html.contains(".cols { display: grid;") && html.contains("minmax(min(100%, 17rem), 1fr)"));
    // The summary table scrolls inside its own box, so the page never scrolls sideways.
    assert!(html.contains(".table { overflow-x: auto;") && html.contains("<div class=\"table\">\n<table>"));
    let part =
        html.split("<section id=\"functie\">").nth(1).expect("the role part").split("</section>").next().unwrap();
    assert_eq!(part.matches("<article class=\"col\"").count(), 2, "a column per study");
}

#[test]
fn markdown_and_html_render_in_dutch_and_english() {
    let s = studies();
    let check = |o: CompareOptions, lang: &str, words: &[&str], not: &[&str]| {
        let c = compare_with(&s, &o);
        for (format, out) in
            [("md", compare::render(&c, Format::Markdown)), ("html", compare::render(&c, Format::Html))]
        {
            for w in words {
                assert!(out.contains(w), "{format} in {lang} says {w:?}");
            }
            for w in not {
                assert!(!out.contains(w), "{format} in {lang} does not say {w:?}");
            }
        }
        c
    };
    let nl_words = [
        "Studies vergeleken",
        "De functie",
        "Capaciteit:",
        "Gestopt, en waarom:",
        "Lessen per thema",
        "overgedragen aan",
    ];
    let en_words =
        ["Studies compared", "The role", "Capacity:", "Stopped, and why:", "Lessons per theme", "handed over to"];
    let c = check(nl(), "nl", &nl_words, &en_words);
    assert!(compare::render(&c, Format::Html).starts_with("<!DOCTYPE html>\n<html lang=\"nl\">"));
    let c = check(en(), "en", &en_words, &nl_words);
    assert!(compare::render(&c, Format::Html).starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert_eq!(json_of(&c)["lang"], "en");
}

#[test]
fn bad_requests_are_refused_saying_what_to_do() {
    let s = studies();
    assert_eq!(compare::build(&[], &nl()), Err(CompareError::NoStudies));
    let twice = [s[0].input(), s[1].input(), s[0].input()];
    let err = compare::build(&twice, &nl()).unwrap_err();
    assert_eq!(err, CompareError::DuplicateStudy(StudySlug::parse("deventer").unwrap()));
    assert_eq!(err.to_string(), "study deventer is named more than once: name each study once");
    let many = vec![s[0].input(); STUDIES_MAX + 1];
    assert_eq!(
        compare::build(&many, &nl()).unwrap_err(),
        CompareError::TooManyStudies { count: STUDIES_MAX + 1, max: STUDIES_MAX }
    );
}

// ---- the demo and another municipality -------------------------------------------------------

fn demo_file(slug: &str, name: &str, path: &str) -> Folded {
    let text = std::fs::read_to_string(repo_file(path)).unwrap_or_else(|e| panic!("{path} can be read: {e}"));
    let events = demo::parse(&text, path).unwrap_or_else(|e| panic!("{path} parses: {e:?}"));
    fold(slug, name, events)
}

/// Names only the Gouda demo uses: its initiatives and areas.
fn gouda_names() -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo_file("demo/gouda.json")).expect("demo/gouda.json can be read");
    let events: Vec<Value> = serde_json::from_str(&text).expect("a JSON array");
    events
        .iter()
        .filter(|e| e["kind"] == "InitiativeStarted" || e["kind"] == "AreaDefined")
        .map(|e| e["payload"]["name"].as_str().expect("a name").to_string())
        .collect()
}

#[test]
fn the_demo_compares_with_another_municipality_and_nothing_is_wired_to_gouda() {
    let s = [demo_file("gouda", "Gouda", "demo/gouda.json"), demo_file("zwolle", "Zwolle", "tests/data/zwolle.json")];
    let v = json_of(&compare_with(&s, &nl()));
    check_all_cites(&s, &v);
    assert_eq!(column(&v, "gouda")["role"]["title"], "Sociaal makelaar Gouda");
    assert_eq!(column(&v, "zwolle")["role"]["title"], "Buurtverbinder Zwolle");
    for f in &s {
        let col = column(&v, f.slug.as_str());
        let started = f.projections.initiatives.on(None).len() as u64;
        assert!(started > 0, "{} has initiatives", f.slug);
        assert_eq!(col["initiatives"]["total"]["count"], started);
        let routes: u64 =
            col["initiatives"]["by_route"].as_array().unwrap().iter().map(|c| c["count"].as_u64().unwrap()).sum();
        let stages: u64 =
            col["initiatives"]["by_stage"].as_array().unwrap().iter().map(|c| c["count"].as_u64().unwrap()).sum();
        let ends: u64 =
            col["initiatives"]["by_status"].as_array().unwrap().iter().map(|c| c["count"].as_u64().unwrap()).sum();
        assert_eq!((routes, stages, ends), (started, started, started), "{}: every initiative counted once", f.slug);
    }
    assert!(
        v["themes"]["items"].as_array().unwrap().iter().any(|t| t["studies"] == json!(["gouda", "zwolle"])),
        "the two studies share a theme"
    );

    // Zwolle's column says nothing of Gouda's initiatives and areas.
    let zwolle = column(&v, "zwolle").to_string();
    for name in gouda_names() {
        assert!(!zwolle.contains(&format!("\"{name}\"")), "Zwolle's column names {name:?} from Gouda");
    }
    // The order given is the order of the columns; each column is the same whatever it stands next to.
    let swapped = json_of(&compare_with(&[demo_file("zwolle", "Zwolle", "tests/data/zwolle.json")], &nl()));
    assert_eq!(column(&swapped, "zwolle"), column(&v, "zwolle"));
    for o in [nl(), en()] {
        let html = compare::render(&compare_with(&s, &o), Format::Html);
        assert!(html.contains("Buurtverbinder Zwolle") && html.contains("Sociaal makelaar Gouda"));
    }
}
