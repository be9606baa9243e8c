//! The lessons: successes, pitfalls, tips and open questions per level and theme, and the added
//! value per stakeholder group, each with the reflection and field notes it rests on.

use chrono::NaiveDate;
use parlog_core::Lang;
use parlog_projections::{Projections, ViewOptions};
use serde_json::{json, Value};

use crate::proj_support::{base_world, ev, ev_by, given, id};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
}

fn pos(events: &[Value], label: &str) -> u64 {
    let i = events.iter().position(|e| e["id"] == json!(id(label))).expect("label in the events");
    i as u64 + 1
}

fn src(events: &[Value], label: &str, date: &str) -> Value {
    json!({"position": pos(events, label), "date": date})
}

fn view(p: &Projections, o: &ViewOptions) -> Value {
    p.view("lessons", o).expect("lessons is a projection")
}

fn en() -> ViewOptions {
    ViewOptions { lang: Lang::En, ..Default::default() }
}

fn reflection(insights: Value, observations: Value) -> Value {
    json!({"insights": insights, "observations": observations})
}

/// A neighbourhood cycle in Assendorp with a field note and a reflection full of insights, and a
/// role-level cycle with one more.
fn world() -> Vec<Value> {
    let mut w = base_world();
    w.extend([
        ev("c1", "cycle:assendorp-1", "CycleOpened", "2020-02-03", json!({
            "study": "study:zwolle", "level": "wijk", "area": "area:assendorp",
            "question": "Hoe vinden bewoners met geldzorgen de weg?", "plan": "Inloopspreekuur"
        })),
        ev_by("o1", "makelaar-a", "notes:makelaar-a", "ObservationRecorded", "2020-02-12", json!({"cycle": "cycle:assendorp-1", "topic": "opkomst"})),
        ev_by("o2", "makelaar-a", "notes:makelaar-a", "ObservationRecorded", "2020-02-13", json!({"area": "area:assendorp", "topic": "vrijwilligers"})),
        ev("r1", "cycle:assendorp-1", "ReflectionRecorded", "2020-02-20", reflection(json!([
            {"kind": "success", "text": "Bewoners houden het initiatief zelf in handen", "theme": "Eigenaarschap"},
            {"kind": "pitfall", "text": "Vrijwilligers haken af als de makelaar stopt", "theme": "eigenaarschap "},
            {"kind": "tip", "text": "Geef waardering door aan de vrijwilligersorganisatie"},
            {"kind": "question", "text": "Wie neemt het spreekuur over?", "theme": "Borging"},
            {"kind": "added_value", "text": "Activiteiten in de buurt worden zichtbaar", "stakeholder": "residents"},
            {"kind": "added_value", "text": "Oren en ogen in de wijk", "stakeholder": "municipality", "theme": "Signalering"}
        ]), json!([id("o1"), id("o2")]))),
        ev("c2", "cycle:functie-1", "CycleOpened", "2020-03-02", json!({
            "study": "study:zwolle", "level": "functie", "question": "Hoe houden de makelaars overzicht?", "plan": "Werkdruk bijhouden"
        })),
        ev("r2", "cycle:functie-1", "ReflectionRecorded", "2020-04-01", reflection(json!([
            {"kind": "pitfall", "text": "De rol wordt zo breed dat niemand haar overziet", "theme": "Werkdruk"}
        ]), json!([]))),
    ]);
    w
}

fn level<'a>(v: &'a Value, level: &str) -> &'a Value {
    v["levels"].as_array().unwrap().iter().find(|l| l["level"] == level).expect("level present")
}

fn theme<'a>(level: &'a Value, label: &str) -> &'a Value {
    level["themes"].as_array().unwrap().iter().find(|t| t["theme_label"] == label).expect("theme present")
}

fn texts(kind: &Value) -> Vec<&str> {
    kind["items"].as_array().unwrap().iter().map(|i| i["text"].as_str().unwrap()).collect()
}

fn group<'a>(v: &'a Value, g: &str) -> &'a Value {
    v["added_value"].as_array().unwrap().iter().find(|x| x["group"] == g).expect("group present")
}

#[test]
fn given_reflections_then_lessons_are_grouped_per_level_theme_and_kind_with_sources() {
    let w = world();
    let v = view(&given(&w), &ViewOptions::default());

    let levels: Vec<&str> = v["levels"].as_array().unwrap().iter().map(|l| l["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["functie", "wijk"], "the level comes from the reflection's cycle");
    let wijk = level(&v, "wijk");
    let themes: Vec<&str> =
        wijk["themes"].as_array().unwrap().iter().map(|t| t["theme_label"].as_str().unwrap()).collect();
    assert_eq!(themes, ["Borging", "Eigenaarschap", "algemeen"], "themes that differ in case are one; general last");

    let own = theme(wijk, "Eigenaarschap");
    let kinds: Vec<&str> = own["kinds"].as_array().unwrap().iter().map(|k| k["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["success", "pitfall"]);
    assert_eq!(texts(&own["kinds"][0]), ["Bewoners houden het initiatief zelf in handen"]);
    let item = &own["kinds"][0]["items"][0];
    assert_eq!(item["area_name"], "Assendorp");
    assert_eq!(item["cycle"], "cycle:assendorp-1");
    assert_eq!(
        item["sources"],
        json!([src(&w, "r1", "2020-02-20"), src(&w, "o1", "2020-02-12"), src(&w, "o2", "2020-02-13")]),
        "the reflection and the field notes it cites, also one without a cycle"
    );
    let general = theme(wijk, "algemeen");
    assert_eq!(general["theme"], Value::Null);
    assert_eq!(general["kinds"][0]["kind"], "tip");
    assert_eq!(theme(level(&v, "functie"), "Werkdruk")["kinds"][0]["kind"], "pitfall");

    let groups: Vec<&str> = v["added_value"].as_array().unwrap().iter().map(|g| g["group"].as_str().unwrap()).collect();
    assert_eq!(groups, ["residents", "neighbourhood", "social_team", "organisations", "municipality"]);
    assert_eq!(texts(group(&v, "residents")), ["Activiteiten in de buurt worden zichtbaar"]);
    assert_eq!(texts(group(&v, "social_team")), Vec::<&str>::new());
    let m = &group(&v, "municipality")["items"][0];
    assert_eq!(m["theme"], "Signalering");
    assert_eq!(m["sources"][0], src(&w, "r1", "2020-02-20"));
    let pitfalls = v["counts"].as_array().unwrap().iter().find(|c| c["kind"] == "pitfall").unwrap();
    assert_eq!(pitfalls["count"], 2);
}

#[test]
fn given_an_as_of_day_then_later_reflections_are_left_out() {
    let p = given(&world());
    let v = view(&p, &ViewOptions { day: Some(day("2020-03-15")), ..Default::default() });
    let levels: Vec<&str> = v["levels"].as_array().unwrap().iter().map(|l| l["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["wijk"]);
    let v = view(&p, &ViewOptions { day: Some(day("2020-02-19")), ..Default::default() });
    assert_eq!(v["levels"], json!([]));
    assert_eq!(group(&v, "residents")["items"], json!([]));
}

#[test]
fn given_amendments_then_lessons_show_the_latest_content_and_place() {
    let mut w = world();
    w.push(ev("fix-r2", "cycle:functie-1", "EventAmended", "2020-04-02", json!({
        "target": id("r2"),
        "payload": {"insights": [{"kind": "tip", "text": "Houd bij hoeveel initiatieven je draagt", "theme": "Werkdruk"}]},
        "reason": "het was eerder een tip"
    })));
    // The role-level cycle turns out to be a municipal one: its lessons move along.
    w.push(ev("fix-c2", "cycle:functie-1", "EventAmended", "2020-04-02", json!({
        "target": id("c2"),
        "payload": {"study": "study:zwolle", "level": "gemeente", "question": "Hoe houden de makelaars overzicht?", "plan": "Werkdruk bijhouden"},
        "reason": "verkeerd niveau"
    })));
    let v = view(&given(&w), &ViewOptions::default());
    let levels: Vec<&str> = v["levels"].as_array().unwrap().iter().map(|l| l["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["gemeente", "wijk"]);
    let werkdruk = theme(level(&v, "gemeente"), "Werkdruk");
    assert_eq!(werkdruk["kinds"].as_array().unwrap().len(), 1);
    assert_eq!(werkdruk["kinds"][0]["kind"], "tip");
    assert_eq!(texts(&werkdruk["kinds"][0]), ["Houd bij hoeveel initiatieven je draagt"]);
}

#[test]
fn given_retractions_then_their_contribution_is_gone() {
    let mut w = world();
    w.push(ev(
        "x-o2",
        "notes:makelaar-a",
        "EventRetracted",
        "2020-04-02",
        json!({"target": id("o2"), "reason": "dubbel"}),
    ));
    w.push(ev(
        "x-r2",
        "cycle:functie-1",
        "EventRetracted",
        "2020-04-02",
        json!({"target": id("r2"), "reason": "hoort niet bij het onderzoek"}),
    ));
    let v = view(&given(&w), &ViewOptions::default());
    let levels: Vec<&str> = v["levels"].as_array().unwrap().iter().map(|l| l["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["wijk"]);
    let item = &theme(level(&v, "wijk"), "Eigenaarschap")["kinds"][0]["items"][0];
    assert_eq!(item["sources"], json!([src(&w, "r1", "2020-02-20"), src(&w, "o1", "2020-02-12")]));

    // A reflection whose cycle was retracted has no place: it is left out, nothing breaks.
    w.push(ev(
        "x-c1",
        "cycle:assendorp-1",
        "EventRetracted",
        "2020-04-03",
        json!({"target": id("c1"), "reason": "test"}),
    ));
    let p = given(&w);
    assert_eq!(view(&p, &ViewOptions::default())["levels"], json!([]));
    assert_eq!(p.text("lessons", &en()).unwrap(), "No lessons from reflections yet.\n");
}

#[test]
fn given_english_then_labels_are_english_and_dutch_by_default() {
    let p = given(&world());
    let v = view(&p, &en());
    let wijk = level(&v, "wijk");
    assert_eq!(wijk["level_label"], "neighbourhood");
    assert_eq!(theme(wijk, "general")["kinds"][0]["label"], "tip");
    assert_eq!(theme(wijk, "Borging")["kinds"][0]["label"], "open question");
    assert_eq!(group(&v, "residents")["label"], "residents");

    let text_en = p.text("lessons", &en()).unwrap();
    assert!(text_en.contains("Level: neighbourhood"), "{text_en}");
    assert!(text_en.contains("Theme: general"), "{text_en}");
    assert!(text_en.contains("Added value per group:"), "{text_en}");
    assert!(text_en.contains("social team: (nothing recorded yet)"), "{text_en}");
    for dutch in ["Niveau", "Thema", "algemeen", "valkuil", "Meerwaarde", "buurtbewoners", "nog niets"] {
        assert!(!text_en.contains(dutch), "{dutch:?} in the English text:\n{text_en}");
    }
    let text_nl = p.text("lessons", &ViewOptions::default()).unwrap();
    assert!(text_nl.contains("Niveau: wijk"), "{text_nl}");
    assert!(text_nl.contains("Thema: algemeen"), "{text_nl}");
    assert!(text_nl.contains("buurtbewoners:"), "{text_nl}");
    assert!(text_nl.contains("sociaal team: (nog niets vastgelegd)"), "{text_nl}");
    for english in ["Level", "Theme", "general", "pitfall", "Added value", "residents:", "nothing"] {
        assert!(!text_nl.contains(english), "{english:?} in the Dutch text:\n{text_nl}");
    }
}

#[test]
fn given_names_in_the_log_then_views_use_them() {
    let mut w = world();
    w.push(ev(
        "fix-area",
        "area:assendorp",
        "EventAmended",
        "2020-04-02",
        json!({
            "target": id("area-a"), "payload": {"name": "Assendorp-Zuid", "kind": "district", "parent": "area:zwolle"},
            "reason": "officiële naam"
        }),
    ));
    let p = given(&w);
    let v = view(&p, &ViewOptions::default());
    assert_eq!(theme(level(&v, "wijk"), "Borging")["kinds"][0]["items"][0]["area_name"], "Assendorp-Zuid");
    let text = p.text("lessons", &ViewOptions::default()).unwrap();
    assert!(text.contains("Wie neemt het spreekuur over? (Assendorp-Zuid) [#"), "{text}");
    assert!(text.contains("Oren en ogen in de wijk (wijk, Assendorp-Zuid) [#"), "{text}");
    assert!(!text.contains("Gouda"), "{text}");
}
