//! The signals projection: questions per area and theme over time, and their collectivisation.

use chrono::NaiveDate;
use parlog_core::Lang;
use parlog_projections::{Projections, ViewOptions};
use serde_json::{json, Value};

use super::proj_support::{base_world, ev, given, id};

fn opts(day: Option<&str>, lang: Lang) -> ViewOptions {
    ViewOptions { lang, day: day.map(|d| d.parse::<NaiveDate>().expect("day")), ..ViewOptions::default() }
}

fn view(p: &Projections, day: Option<&str>) -> Value {
    p.view("signals", &opts(day, Lang::Nl)).expect("signals view")
}

/// Debt questions in Assendorp in February and March, loneliness in Holtenbroek; two debt
/// signals collectivised into a paperwork help.
fn world() -> Vec<Value> {
    let mut w = base_world();
    w.extend([
        ev(
            "s1",
            "signals:team-assendorp",
            "SignalRaised",
            "2020-02-03",
            json!({"theme": "schulden", "area": "area:assendorp", "count": 4}),
        ),
        ev(
            "s2",
            "signals:team-assendorp",
            "SignalRaised",
            "2020-03-02",
            json!({"theme": "schulden", "area": "area:assendorp", "count": 6}),
        ),
        ev(
            "s3",
            "signals:team-holtenbroek",
            "SignalRaised",
            "2020-03-05",
            json!({"theme": "eenzaamheid", "area": "area:holtenbroek", "count": 3}),
        ),
        ev(
            "i1",
            "initiative:papierhulp",
            "InitiativeStarted",
            "2020-03-10",
            json!({
                "name": "Papierhulp Assendorp", "route": "signal", "area": "area:assendorp",
                "description": "Vrijwilligers helpen met post en geldzaken."
            }),
        ),
        ev(
            "c1",
            "initiative:papierhulp",
            "SignalsCollectivised",
            "2020-03-12",
            json!({
                "signals": [id("s1"), id("s2")], "rationale": "Veel vragen over schulden in het team."
            }),
        ),
    ]);
    w
}

#[test]
fn signals_are_grouped_per_area_and_theme_with_months_and_collectivisation() {
    let p = given(&world());
    let v = view(&p, None);
    assert_eq!(v["total"], 13);
    let a = &v["areas"][0];
    assert_eq!(a["area"], "area:assendorp");
    assert_eq!(a["area_name"], "Assendorp");
    assert_eq!(a["total"], 10);
    let t = &a["themes"][0];
    assert_eq!(t["theme"], "schulden");
    assert_eq!(t["months"], json!([{"month": "2020-02", "count": 4}, {"month": "2020-03", "count": 6}]));
    assert_eq!(t["signals"][0]["id"], id("s1"));
    assert_eq!(t["signals"][0]["src"]["date"], "2020-02-03");
    assert_eq!(t["signals"][0]["collectivised_into"][0]["initiative"], "initiative:papierhulp");
    assert_eq!(t["signals"][0]["collectivised_into"][0]["initiative_name"], "Papierhulp Assendorp");
    assert_eq!(v["areas"][1]["area_name"], "Holtenbroek");
    assert_eq!(v["areas"][1]["themes"][0]["signals"][0]["collectivised_into"], json!([]));
    assert_eq!(v["themes"].as_array().map(Vec::len), Some(2), "themes over all areas: {v}");

    let c = &v["collectivisations"][0];
    assert_eq!(c["initiative_name"], "Papierhulp Assendorp");
    assert_eq!(c["total"], 10);
    assert_eq!(c["signals"][1]["theme"], "schulden");
    assert_eq!(c["signals"][1]["area_name"], "Assendorp");
    assert_eq!(c["unresolved"], json!([]));
}

#[test]
fn signals_as_of_a_day_leave_out_what_came_later() {
    let p = given(&world());
    let v = view(&p, Some("2020-02-29"));
    assert_eq!(v["total"], 4);
    assert_eq!(v["areas"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["areas"][0]["themes"][0]["signals"][0]["collectivised_into"], json!([]));
    assert_eq!(v["collectivisations"], json!([]));
}

#[test]
fn an_amended_count_replaces_the_old_one_and_a_retracted_signal_is_gone() {
    let mut w = world();
    w.push(ev("a1", "signals:team-assendorp", "EventAmended", "2020-03-20", json!({
        "target": id("s2"), "payload": {"theme": "schulden", "area": "area:assendorp", "count": 9}, "reason": "telfout"
    })));
    w.push(ev(
        "r1",
        "signals:team-holtenbroek",
        "EventRetracted",
        "2020-03-21",
        json!({
            "target": id("s3"), "reason": "dubbel ingevoerd"
        }),
    ));
    let v = view(&given(&w), None);
    assert_eq!(v["total"], 13);
    assert_eq!(v["areas"].as_array().map(Vec::len), Some(1), "holtenbroek's only signal was retracted: {v}");
    assert_eq!(v["areas"][0]["themes"][0]["months"][1], json!({"month": "2020-03", "count": 9}));
    assert_eq!(v["collectivisations"][0]["total"], 13);

    // A collectivised signal that is retracted shows as unresolved.
    let mut w = world();
    w.push(ev(
        "r2",
        "signals:team-assendorp",
        "EventRetracted",
        "2020-03-21",
        json!({"target": id("s1"), "reason": "fout"}),
    ));
    let v = view(&given(&w), None);
    assert_eq!(v["collectivisations"][0]["unresolved"], json!([id("s1")]));
    assert_eq!(v["collectivisations"][0]["total"], 6);
}

#[test]
fn signals_text_speaks_one_language() {
    let p = given(&world());
    let nl = p.text("signals", &opts(None, Lang::Nl)).expect("text");
    assert!(nl.contains("Assendorp (10 vragen)"), "{nl}");
    assert!(nl.contains("schulden: 10 (feb 2020 4, mrt 2020 6)"), "{nl}");
    assert!(nl.contains("gecollectiviseerd in: Papierhulp Assendorp"), "{nl}");
    let en = p.text("signals", &opts(None, Lang::En)).expect("text");
    assert!(en.contains("Assendorp (10 questions)"), "{en}");
    assert!(en.contains("collectivised into: Papierhulp Assendorp"), "{en}");
    assert!(!en.contains("vragen") && !en.contains("gecollectiviseerd"), "{en}");
    let empty = given(&base_world()).text("signals", &opts(None, Lang::En)).expect("text");
    assert_eq!(empty, "No signals.\n");
}

#[test]
fn signals_state_survives_a_checkpoint_and_views_are_the_same_bytes() {
    let p = given(&world());
    let json = serde_json::to_string(&p).expect("state serialises");
    let back: Projections = serde_json::from_str(&json).expect("state reads back");
    assert_eq!(back, p);
    assert_eq!(view(&back, None).to_string(), view(&given(&world()), None).to_string());
}
