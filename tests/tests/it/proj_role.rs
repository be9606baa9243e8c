//! The role history: the role as it stood on a day (by effective date), the differences between
//! two days, and the method changes with the reflections behind them.

use chrono::NaiveDate;
use parlog_core::{EventId, Lang};
use parlog_projections::{Projections, Src, ViewOptions};
use serde_json::{json, Value};

use crate::proj_support::{base_world, ev, given, id};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
}

fn pos(events: &[Value], label: &str) -> u64 {
    let i = events.iter().position(|e| e["id"] == json!(id(label))).expect("label in the events");
    i as u64 + 1
}

fn src(events: &[Value], label: &str, date: &str) -> Src {
    Src { position: pos(events, label), date: day(date) }
}

fn event_id(label: &str) -> EventId {
    EventId::parse(&id(label)).expect("a uuid")
}

fn view(p: &Projections, o: &ViewOptions) -> Value {
    p.view("role", o).expect("role is a projection")
}

/// A role described for 2 FTE; a reflection leads to a change of method; half a year later the
/// capacity doubles, announced two weeks before it takes effect.
fn world() -> Vec<Value> {
    let mut w = base_world();
    w.extend([
        ev("role", "role:buurtmakelaar", "RoleDescribed", "2020-01-06", json!({
            "title": "buurtmakelaar", "mandate": "Collectieve oplossingen voor terugkerende vragen",
            "tasks": ["verbinden", "signaleren"], "capacity_fte": 2.0, "position": "in het wijkteam",
            "effective": "2020-01-01"
        })),
        ev("c1", "cycle:functie-1", "CycleOpened", "2020-01-20", json!({
            "study": "study:zwolle", "level": "functie", "question": "Hoe houden de makelaars overzicht?", "plan": "Werkdruk bijhouden"
        })),
        ev("r1", "cycle:functie-1", "ReflectionRecorded", "2020-02-20", json!({
            "insights": [{"kind": "pitfall", "text": "Elk initiatief blijft aan de makelaar hangen"}]
        })),
        ev("m1", "role:buurtmakelaar", "MethodChanged", "2020-03-02", json!({
            "aspect": "loslaten", "before": "betrokken tot het einde", "after": "na drie maanden overdragen",
            "rationale": "werkdruk groeit met elk initiatief", "reflections": [id("r1")], "effective": "2020-03-01"
        })),
        ev("ch1", "role:buurtmakelaar", "RoleChanged", "2020-06-15", json!({
            "capacity_fte": 4.0, "tasks": ["verbinden", "signaleren", "coachen"],
            "rationale": "twee makelaars per team", "effective": "2020-07-01"
        })),
    ]);
    w
}

#[test]
fn given_a_described_and_changed_role_then_state_on_follows_the_effective_date() {
    let w = world();
    let p = given(&w);

    let before = p.role.state_on(Some(day("2020-06-30"))).expect("the role is described");
    assert_eq!(before.title.value, "buurtmakelaar");
    assert_eq!(before.capacity_fte.value, 2.0);
    assert_eq!(before.capacity_fte.src, src(&w, "role", "2020-01-06"));
    let after = p.role.state_on(Some(day("2020-07-01"))).unwrap();
    assert_eq!(after.capacity_fte.value, 4.0);
    assert_eq!(after.capacity_fte.src, src(&w, "ch1", "2020-06-15"));
    assert_eq!(after.tasks.value, ["verbinden", "signaleren", "coachen"]);
    assert_eq!(after.mandate.src, src(&w, "role", "2020-01-06"), "only the fields given change");
    assert!(p.role.state_on(Some(day("2019-12-31"))).is_none(), "before the description took effect");

    let diff = p.role.diff(day("2020-01-01"), day("2020-07-01"));
    let fields: Vec<Value> = diff.iter().map(|d| serde_json::to_value(d.field).unwrap()).collect();
    assert_eq!(fields, [json!("tasks"), json!("capacity_fte")]);
    assert_eq!(diff[1].before, json!(2.0));
    assert_eq!(diff[1].after, json!(4.0));
    assert_eq!(diff[1].sources, [src(&w, "ch1", "2020-06-15")]);
    assert!(p.role.diff(day("2020-07-01"), day("2020-12-31")).is_empty());

    let methods = p.role.method_changes();
    assert_eq!(methods.len(), 1);
    assert_eq!(methods[0].1.aspect, "loslaten");
    assert_eq!(p.role.method_changes_citing(event_id("r1")).len(), 1);
    assert!(p.role.method_changes_citing(event_id("c1")).is_empty());
}

#[test]
fn given_the_view_then_it_shows_state_timeline_and_reflections_behind_method_changes() {
    let w = world();
    let v = view(&given(&w), &ViewOptions { since: Some(day("2020-01-01")), ..Default::default() });
    let r = &v["roles"][0];
    assert_eq!(r["id"], "role:buurtmakelaar");
    assert_eq!(r["title"], "buurtmakelaar");
    let cap = r["state"].as_array().unwrap().iter().find(|f| f["field"] == "capacity_fte").unwrap();
    // The log ends on 2020-06-15: the doubling is known but takes effect on 2020-07-01.
    assert_eq!(cap["value"], 2.0);
    assert_eq!(cap["label"], "capaciteit (fte)");
    assert_eq!(cap["src"]["position"], pos(&w, "role"));
    assert_eq!(cap["effective"], "2020-01-01");

    let kinds: Vec<&str> = r["timeline"].as_array().unwrap().iter().map(|t| t["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["RoleDescribed", "MethodChanged", "RoleChanged"], "in the order they took effect");
    let m = &r["timeline"][1];
    assert_eq!(m["rationale"], "werkdruk groeit met elk initiatief");
    assert_eq!(m["before"], "betrokken tot het einde");
    assert_eq!(
        m["reflections"],
        json!([{
            "id": id("r1"), "src": {"position": pos(&w, "r1"), "date": "2020-02-20"},
            "cycle": "cycle:functie-1", "cycle_question": "Hoe houden de makelaars overzicht?"
        }])
    );
    assert_eq!(r["timeline"][2]["rationale"], "twee makelaars per team");

    let diff = &r["diff"];
    assert_eq!(diff["since"], "2020-01-01");
    assert_eq!(diff["day"], "2020-06-15", "without an as-of day, the last day in the log");
    assert_eq!(diff["changes"], json!([]), "the doubling is announced but not yet in effect on the last day");
    assert_eq!(r["timeline"][2]["in_effect"], false);
}

#[test]
fn given_an_as_of_day_then_only_what_the_log_held_then_counts() {
    let w = world();
    let p = given(&w);
    let o = |d: &str| ViewOptions { day: Some(day(d)), since: Some(day("2020-01-01")), ..Default::default() };

    let v = view(&p, &o("2020-05-01"));
    let kinds: Vec<&str> =
        v["roles"][0]["timeline"].as_array().unwrap().iter().map(|t| t["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["RoleDescribed", "MethodChanged"]);

    let v = view(&p, &o("2020-08-01"));
    let r = &v["roles"][0];
    let cap = r["state"].as_array().unwrap().iter().find(|f| f["field"] == "capacity_fte").unwrap();
    assert_eq!(cap["value"], 4.0);
    let changed: Vec<&str> =
        r["diff"]["changes"].as_array().unwrap().iter().map(|c| c["field"].as_str().unwrap()).collect();
    assert_eq!(changed, ["tasks", "capacity_fte"]);
    assert_eq!(r["diff"]["changes"][1]["sources"], json!([{"position": pos(&w, "ch1"), "date": "2020-06-15"}]));

    assert_eq!(view(&p, &o("2020-01-05"))["roles"], json!([]), "not yet described");
}

#[test]
fn given_an_amended_change_then_the_latest_content_counts() {
    let mut w = world();
    w.push(ev(
        "fix-ch1",
        "role:buurtmakelaar",
        "EventAmended",
        "2020-06-20",
        json!({
            "target": id("ch1"),
            "payload": {"capacity_fte": 3.0, "rationale": "anderhalve makelaar per team", "effective": "2020-07-01"},
            "reason": "begroting bijgesteld"
        }),
    ));
    let p = given(&w);
    let s = p.role.state_on(Some(day("2020-07-01"))).unwrap();
    assert_eq!(s.capacity_fte.value, 3.0);
    assert_eq!(s.tasks.value, ["verbinden", "signaleren"], "the amendment no longer changes the tasks");
    let v = view(&p, &ViewOptions { day: Some(day("2020-07-02")), ..Default::default() });
    assert_eq!(v["roles"][0]["timeline"][2]["rationale"], "anderhalve makelaar per team");
}

#[test]
fn given_retractions_then_their_contribution_is_gone() {
    let mut w = world();
    w.push(ev(
        "x-ch1",
        "role:buurtmakelaar",
        "EventRetracted",
        "2020-06-20",
        json!({"target": id("ch1"), "reason": "ging niet door"}),
    ));
    w.push(ev(
        "x-r1",
        "cycle:functie-1",
        "EventRetracted",
        "2020-06-20",
        json!({"target": id("r1"), "reason": "verkeerde cyclus"}),
    ));
    let p = given(&w);
    assert_eq!(p.role.state_on(Some(day("2020-12-31"))).unwrap().capacity_fte.value, 2.0);
    assert!(p.role.diff(day("2020-01-01"), day("2020-12-31")).is_empty());
    let v = view(&p, &ViewOptions::default());
    let m = &v["roles"][0]["timeline"][1];
    assert_eq!(m["kind"], "MethodChanged");
    assert_eq!(m["reflections"], json!([]), "a retracted reflection is no longer cited");

    // Retracting the description leaves a role without a base: it is skipped, nothing breaks.
    w.push(ev(
        "x-role",
        "role:buurtmakelaar",
        "EventRetracted",
        "2020-06-21",
        json!({"target": id("role"), "reason": "test"}),
    ));
    let p = given(&w);
    assert!(p.role.state_on(None).is_none());
    assert!(p.role.method_changes().is_empty());
    assert_eq!(view(&p, &ViewOptions::default())["roles"], json!([]));
    assert_eq!(p.text("role", &ViewOptions::default()).unwrap(), "Geen functiebeschrijving.\n");
}

#[test]
fn given_english_then_labels_are_english_and_dutch_by_default() {
    let p = given(&world());
    let en = ViewOptions {
        lang: Lang::En,
        since: Some(day("2020-01-01")),
        day: Some(day("2020-08-01")),
        ..Default::default()
    };
    let v = view(&p, &en);
    let r = &v["roles"][0];
    assert_eq!(r["state"][3]["label"], "capacity (FTE)");
    assert_eq!(r["timeline"][1]["kind_label"], "method changed");
    let text_en = p.text("role", &en).unwrap();
    assert!(text_en.contains("Role: buurtmakelaar (role:buurtmakelaar)"), "{text_en}");
    assert!(text_en.contains("capacity (FTE): 2 → 4"), "{text_en}");
    assert!(text_en.contains("method changed: loslaten"), "{text_en}");
    for dutch in ["Functie:", "Tijdlijn", "reden", "Verschil", "werkwijze", "capaciteit", "voorheen", "voortaan"] {
        assert!(!text_en.contains(dutch), "{dutch:?} in the English text:\n{text_en}");
    }
    let nl = ViewOptions { lang: Lang::Nl, ..en };
    let text_nl = p.text("role", &nl).unwrap();
    assert!(text_nl.contains("capaciteit (fte): 2 → 4"), "{text_nl}");
    assert!(text_nl.contains("werkwijze gewijzigd: loslaten"), "{text_nl}");
    assert!(text_nl.contains("op grond van reflecties [#"), "{text_nl}");
    for english in ["Role:", "Timeline", "rationale", "Difference", "method changed", "capacity", "before:", "after:"] {
        assert!(!text_nl.contains(english), "{english:?} in the Dutch text:\n{text_nl}");
    }
}

#[test]
fn given_names_in_the_log_then_views_use_them() {
    let mut w = world();
    w.push(ev(
        "fix-role",
        "role:buurtmakelaar",
        "EventAmended",
        "2020-01-07",
        json!({
            "target": id("role"),
            "payload": {
                "title": "wijkverbinder", "mandate": "Collectieve oplossingen voor terugkerende vragen",
                "tasks": ["verbinden", "signaleren"], "capacity_fte": 2.0, "position": "in het wijkteam",
                "effective": "2020-01-01"
            },
            "reason": "naam gewijzigd"
        }),
    ));
    let p = given(&w);
    assert_eq!(view(&p, &ViewOptions::default())["roles"][0]["title"], "wijkverbinder");
    let text = p.text("role", &ViewOptions::default()).unwrap();
    assert!(text.contains("Functie: wijkverbinder"), "{text}");
    assert!(!text.contains("Gouda") && !text.contains("sociaal makelaar"), "{text}");
}
