//! The activity projection: field notes per makelaar, area and month, and the workload of
//! initiatives each makelaar is involved in or still leads.

use chrono::NaiveDate;
use parlog_core::Lang;
use parlog_projections::{Projections, ViewOptions};
use serde_json::{json, Value};

use super::proj_support::{base_world, ev, ev_by, given, id};

fn opts(day: Option<&str>, lang: Lang) -> ViewOptions {
    ViewOptions { lang, day: day.map(|d| d.parse::<NaiveDate>().expect("day")), ..ViewOptions::default() }
}

fn view(p: &Projections, day: Option<&str>) -> Value {
    p.view("activity", &opts(day, Lang::Nl)).expect("activity view")
}

fn person<'a>(v: &'a Value, group: &str, who: &str) -> &'a Value {
    v[group]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["participant"] == who))
        .unwrap_or_else(|| panic!("no {who}: {v}"))
}

fn month<'a>(person: &'a Value, m: &str) -> &'a Value {
    person["months"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["month"] == m))
        .unwrap_or_else(|| panic!("no {m}: {person}"))
}

fn day(s: &str) -> NaiveDate {
    s.parse().expect("day")
}

/// Makelaar A writes notes in Assendorp, about an initiative in Holtenbroek, and one without a
/// place; supports the Holtenbroek initiative while still leading it, then lets go in May.
fn world() -> Vec<Value> {
    let mut w = base_world();
    w.extend([
        ev("i1", "initiative:koffie", "InitiativeStarted", "2020-03-01", json!({
            "name": "Koffie-ochtend", "route": "opportunity", "area": "area:holtenbroek", "description": "Samen koffie drinken."
        })),
        ev("b1", "initiative:koffie", "BrokerRoleSet", "2020-03-02", json!({
            "broker": "participant:makelaar-a", "role": "kick_start", "broker_leads": true
        })),
        ev_by("o1", "makelaar-a", "notes:makelaar-a", "ObservationRecorded", "2020-03-03", json!({"area": "area:assendorp", "topic": "ronde"})),
        ev_by("o2", "makelaar-a", "notes:makelaar-a", "ObservationRecorded", "2020-03-04", json!({"area": "area:assendorp"})),
        ev_by("o3", "makelaar-a", "notes:makelaar-a", "ObservationRecorded", "2020-03-05", json!({"initiative": "initiative:koffie"})),
        ev_by("o4", "makelaar-a", "notes:makelaar-a", "ObservationRecorded", "2020-04-06", json!({"topic": "overleg"})),
        ev_by("o5", "onderzoeker-a", "notes:onderzoek", "ObservationRecorded", "2020-04-07", json!({"area": "area:holtenbroek"})),
        ev("b2", "initiative:koffie", "BrokerRoleSet", "2020-05-10", json!({
            "broker": "participant:makelaar-a", "role": "let_go"
        })),
    ]);
    w
}

#[test]
fn activity_counts_notes_per_makelaar_area_and_month_with_initiatives() {
    let p = given(&world());
    let v = view(&p, None);
    assert_eq!(v["today"], "2020-05-10");
    let a = person(&v, "brokers", "participant:makelaar-a");
    assert_eq!(a["label"], "makelaar Assendorp");
    assert_eq!(a["role_label"], "sociaal makelaar");
    assert_eq!(a["notes"], 4);
    let march = month(a, "2020-03");
    assert_eq!(march["notes"], 3);
    assert_eq!(
        march["areas"],
        json!([
            {"area": "area:assendorp", "area_name": "Assendorp", "notes": 2},
            {"area": "area:holtenbroek", "area_name": "Holtenbroek", "notes": 1},
        ])
    );
    assert_eq!(march["active_initiatives"], 1);
    assert_eq!(march["leading"], 1);
    assert_eq!(march["initiatives"][0]["name"], "Koffie-ochtend");
    assert_eq!(march["initiatives"][0]["role_label"], "aanjagen");
    // A note without a place counts for the author's area.
    assert_eq!(month(a, "2020-04")["areas"], json!([{"area": "area:assendorp", "area_name": "Assendorp", "notes": 1}]));
    // After letting go the initiative no longer counts.
    assert_eq!(month(a, "2020-05")["active_initiatives"], 0);
    assert_eq!(month(a, "2020-01")["notes"], 0, "months run from registration: {a}");

    let b = person(&v, "brokers", "participant:makelaar-b");
    assert_eq!(b["notes"], 0);
    let r = person(&v, "others", "participant:onderzoeker-a");
    assert_eq!(r["role_label"], "onderzoeker");
    assert_eq!(
        r["months"],
        json!([{"month": "2020-04", "notes": 1, "areas": [{"area": "area:holtenbroek", "area_name": "Holtenbroek", "notes": 1}]}])
    );
    let areas = v["areas"].as_array().expect("areas");
    assert_eq!(areas[1]["area_name"], "Holtenbroek");
    assert_eq!(areas[1]["notes"], 2);
}

#[test]
fn activity_as_of_a_day_ends_there() {
    let p = given(&world());
    let v = view(&p, Some("2020-03-31"));
    assert_eq!(v["today"], "2020-03-31");
    let a = person(&v, "brokers", "participant:makelaar-a");
    assert_eq!(a["notes"], 3);
    assert_eq!(a["months"].as_array().and_then(|m| m.last()).map(|m| m["month"].clone()), Some(json!("2020-03")));
    assert!(v["others"].as_array().is_some_and(|o| o.is_empty()), "the researcher wrote in April: {v}");
    let last = p.activity.last_src(Some(day("2020-03-31"))).expect("a source");
    assert_eq!((last.position, last.date), (14, day("2020-03-05")), "the last event up to the day: note o3");
    assert_eq!(p.activity.last_src(None).map(|s| s.position), Some(17));
}

#[test]
fn the_last_day_is_exact_when_the_latest_event_is_retracted_and_notes_follow_amendments() {
    let mut w = world();
    w.push(ev(
        "r1",
        "initiative:koffie",
        "EventRetracted",
        "2020-06-01",
        json!({"target": id("b2"), "reason": "nog niet losgelaten"}),
    ));
    w.push(ev(
        "a1",
        "notes:makelaar-a",
        "EventAmended",
        "2020-06-02",
        json!({
            "target": id("o1"), "payload": {"area": "area:holtenbroek"}, "reason": "verkeerde wijk"
        }),
    ));
    w.push(ev(
        "r2",
        "notes:makelaar-a",
        "EventRetracted",
        "2020-06-03",
        json!({"target": id("o4"), "reason": "dubbel"}),
    ));
    let p = given(&w);
    assert_eq!(
        p.last_day(),
        Some(day("2020-04-07")),
        "corrections do not count as activity, the retracted event no longer does"
    );
    let v = view(&p, None);
    let a = person(&v, "brokers", "participant:makelaar-a");
    assert_eq!(a["notes"], 3);
    assert_eq!(
        month(a, "2020-03")["areas"],
        json!([
            {"area": "area:assendorp", "area_name": "Assendorp", "notes": 1},
            {"area": "area:holtenbroek", "area_name": "Holtenbroek", "notes": 2},
        ])
    );
    assert_eq!(month(a, "2020-04")["notes"], 0);
    assert_eq!(month(a, "2020-04")["active_initiatives"], 1, "the let-go was retracted");
}

#[test]
fn a_handed_over_initiative_is_no_longer_workload() {
    let mut w = world();
    w.push(ev(
        "h1",
        "initiative:koffie",
        "InitiativeHandedOver",
        "2020-04-15",
        json!({"organisation": "participant:welzijn-zwolle"}),
    ));
    let v = view(&given(&w), None);
    let a = person(&v, "brokers", "participant:makelaar-a");
    assert_eq!(month(a, "2020-03")["active_initiatives"], 1);
    assert_eq!(month(a, "2020-04")["active_initiatives"], 0);
}

#[test]
fn activity_text_speaks_one_language() {
    let p = given(&world());
    let nl = p.text("activity", &opts(None, Lang::Nl)).expect("text");
    assert!(nl.contains("makelaar Assendorp (sociaal makelaar)"), "{nl}");
    assert!(nl.contains("mrt 2020: 3 veldnotities, 1 actief initiatief (Koffie-ochtend), zelf trekker bij 1"), "{nl}");
    // One of a thing is singular (regression: "1 veldnotities", "1 actieve initiatieven").
    assert!(nl.contains("Andere auteurs van veldnotities:\n  onderzoeker A: 1 veldnotitie\n"), "{nl}");
    let en = p.text("activity", &opts(None, Lang::En)).expect("text");
    assert!(en.contains("makelaar Assendorp (community broker)"), "{en}");
    assert!(en.contains("Mar 2020: 3 field notes, 1 active initiative (Koffie-ochtend), still leading 1"), "{en}");
    assert!(en.contains("onderzoeker A: 1 field note\n"), "{en}");
    assert!(!en.contains("veldnotities") && !nl.contains("field notes"));
    assert_eq!(Projections::default().text("activity", &opts(None, Lang::En)).expect("text"), "No activity.\n");
}

#[test]
fn activity_state_survives_a_checkpoint_and_views_are_the_same_bytes() {
    let p = given(&world());
    let json = serde_json::to_string(&p).expect("state serialises");
    let back: Projections = serde_json::from_str(&json).expect("state reads back");
    assert_eq!(back, p);
    assert_eq!(view(&back, None).to_string(), view(&given(&world()), None).to_string());
}
