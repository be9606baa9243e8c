//! The cycles projection: the spiral of PAR cycles per level and area, with steps, outcome,
//! method changes and the cycles that follow.

use chrono::NaiveDate;
use parlog_core::Lang;
use parlog_projections::{Cycles, Projections, RoleHistory, ViewOptions};
use serde_json::{json, Value};

use crate::proj_support::{base_world, ev, ev_by, given, id};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date")
}

/// The log position of the event with this label (positions start at 1, in batch order).
fn pos(events: &[Value], label: &str) -> u64 {
    let i = events.iter().position(|e| e["id"] == json!(id(label))).expect("label in the events");
    i as u64 + 1
}

fn view(p: &Projections, o: &ViewOptions) -> Value {
    p.view("cycles", o).expect("cycles is a projection")
}

fn en() -> ViewOptions {
    ViewOptions { lang: Lang::En, ..Default::default() }
}

/// Two neighbourhood cycles in Assendorp that follow each other, a third one in between by date
/// but not in the spiral, and a method change that rests on the first cycle's reflection.
fn world() -> Vec<Value> {
    let mut w = base_world();
    w.extend([
        ev("c1", "cycle:assendorp-1", "CycleOpened", "2020-02-03", json!({
            "study": "study:zwolle", "level": "wijk", "area": "area:assendorp",
            "question": "Hoe vinden bewoners met geldzorgen de weg?", "plan": "Inloopspreekuur in het buurthuis"
        })),
        ev_by("a1", "makelaar-a", "cycle:assendorp-1", "ActionTaken", "2020-02-10", json!({"description": "Eerste inloopspreekuur gehouden"})),
        ev_by("o1", "makelaar-a", "notes:makelaar-a", "ObservationRecorded", "2020-02-12", json!({"cycle": "cycle:assendorp-1", "topic": "opkomst"})),
        ev("c3", "cycle:assendorp-3", "CycleOpened", "2020-02-15", json!({
            "study": "study:zwolle", "level": "wijk", "area": "area:assendorp",
            "question": "Wie kent de vrijwilligers?", "plan": "Rondgang langs verenigingen"
        })),
        ev("r1", "cycle:assendorp-1", "ReflectionRecorded", "2020-02-20", json!({
            "summary": "Intervisie na vier weken",
            "participants": ["participant:makelaar-a", "participant:onderzoeker-a"],
            "insights": [
                {"kind": "success", "text": "Bewoners komen via de huisarts binnen"},
                {"kind": "pitfall", "text": "Het spreekuur leunt op de makelaar"},
                {"kind": "pitfall", "text": "Te weinig vrijwilligers"}
            ],
            "observations": [id("o1")]
        })),
        ev("cl1", "cycle:assendorp-1", "CycleClosed", "2020-02-28", json!({"outcome": "Spreekuur gaat door met vrijwilligers"})),
        ev("role", "role:buurtmakelaar", "RoleDescribed", "2020-01-06", json!({
            "title": "buurtmakelaar", "mandate": "Collectieve oplossingen", "tasks": ["verbinden"],
            "capacity_fte": 2.0, "position": "in het wijkteam", "effective": "2020-01-01"
        })),
        ev("m1", "role:buurtmakelaar", "MethodChanged", "2020-03-01", json!({
            "aspect": "intervisie", "before": "ad hoc", "after": "elke maand",
            "rationale": "reflectie liet zien dat het spreekuur op de makelaar leunt",
            "reflections": [id("r1")], "effective": "2020-03-01"
        })),
        ev("c2", "cycle:assendorp-2", "CycleOpened", "2020-03-02", json!({
            "study": "study:zwolle", "level": "wijk", "area": "area:assendorp",
            "question": "Kunnen vrijwilligers het spreekuur dragen?", "plan": "Vrijwilligers werven via de vereniging",
            "previous": "cycle:assendorp-1"
        })),
        ev("g1", "cycle:gemeente-1", "CycleOpened", "2020-02-05", json!({
            "study": "study:zwolle", "level": "gemeente", "question": "Welke ruimte geeft de gemeente?", "plan": "Gesprek met beleid"
        })),
    ]);
    w
}

fn cycles_of(v: &Value, level: &str) -> Vec<Value> {
    let level = v["levels"].as_array().unwrap().iter().find(|l| l["level"] == level).expect("level present");
    level["areas"].as_array().unwrap().iter().flat_map(|a| a["cycles"].as_array().unwrap().clone()).collect()
}

fn ids(cycles: &[Value]) -> Vec<&str> {
    cycles.iter().map(|c| c["id"].as_str().unwrap()).collect()
}

#[test]
fn given_a_spiral_then_the_view_shows_cycles_in_spiral_order_with_steps_outcome_and_links() {
    let w = world();
    let v = view(&given(&w), &ViewOptions::default());

    let levels: Vec<&str> = v["levels"].as_array().unwrap().iter().map(|l| l["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["gemeente", "wijk"], "levels in the vocabulary's order");
    let wijk = &v["levels"][1];
    assert_eq!(wijk["areas"][0]["area_name"], "Assendorp");
    // Cycle 3 was opened before cycle 2, but cycle 2 follows cycle 1 in the spiral.
    let cycles = cycles_of(&v, "wijk");
    assert_eq!(ids(&cycles), ["cycle:assendorp-1", "cycle:assendorp-2", "cycle:assendorp-3"]);

    let c1 = &cycles[0];
    assert_eq!(c1["question"], "Hoe vinden bewoners met geldzorgen de weg?");
    assert_eq!(c1["plan"], "Inloopspreekuur in het buurthuis");
    assert_eq!(c1["status"], "closed");
    let kinds: Vec<&str> = c1["steps"].as_array().unwrap().iter().map(|s| s["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["action", "observation", "reflection"]);
    assert_eq!(c1["field_notes"], 1);
    let note = &c1["steps"][1];
    assert_eq!(note["by"], "makelaar Assendorp");
    assert_eq!(note["topic"], "opkomst");
    assert_eq!(note["src"], json!({"position": pos(&w, "o1"), "date": "2020-02-12"}));
    let reflection = &c1["steps"][2];
    assert_eq!(reflection["id"], id("r1"));
    assert_eq!(reflection["insights"], 3);
    assert_eq!(
        reflection["insights_by_kind"],
        json!([{"kind": "success", "label": "succes", "count": 1}, {"kind": "pitfall", "label": "valkuil", "count": 2}])
    );
    assert_eq!(reflection["observations"], json!([{"position": pos(&w, "o1"), "date": "2020-02-12"}]));
    assert_eq!(reflection["method_changes"][0]["aspect"], "intervisie");
    assert_eq!(c1["outcome"]["text"], "Spreekuur gaat door met vrijwilligers");
    assert_eq!(c1["method_changes"][0]["after"], "elke maand");
    assert_eq!(c1["method_changes"][0]["src"]["position"], pos(&w, "m1"));
    assert_eq!(c1["next"][0]["id"], "cycle:assendorp-2");

    let c2 = &cycles[1];
    assert_eq!(c2["previous"]["id"], "cycle:assendorp-1");
    assert_eq!(c2["status"], "open");
    assert_eq!(c2["outcome"], Value::Null);
    let g = cycles_of(&v, "gemeente");
    assert_eq!(g[0]["area"], Value::Null, "a cycle without an area");
}

#[test]
fn given_an_as_of_day_then_later_cycles_steps_and_outcomes_are_left_out() {
    let p = given(&world());
    let v = view(&p, &ViewOptions { day: Some(day("2020-02-15")), ..Default::default() });

    let cycles = cycles_of(&v, "wijk");
    assert_eq!(ids(&cycles), ["cycle:assendorp-1", "cycle:assendorp-3"]);
    let c1 = &cycles[0];
    let kinds: Vec<&str> = c1["steps"].as_array().unwrap().iter().map(|s| s["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["action", "observation"]);
    assert_eq!(c1["status"], "open");
    assert_eq!(c1["outcome"], Value::Null);
    assert_eq!(c1["method_changes"], json!([]));
    assert_eq!(c1["next"], json!([]));
    assert!(!p
        .text("cycles", &ViewOptions { day: Some(day("2020-02-15")), ..Default::default() })
        .unwrap()
        .contains("Kunnen vrijwilligers"));
}

#[test]
fn given_amendments_then_the_view_shows_the_latest_content() {
    let mut w = world();
    w.push(ev(
        "fix-a1",
        "cycle:assendorp-1",
        "EventAmended",
        "2020-03-05",
        json!({
            "target": id("a1"), "payload": {"description": "Eerste inloopspreekuur gehouden, samen met de bibliotheek"},
            "reason": "partner vergeten"
        }),
    ));
    // Cycle 3 moves to Holtenbroek.
    w.push(ev(
        "fix-c3",
        "cycle:assendorp-3",
        "EventAmended",
        "2020-03-05",
        json!({
            "target": id("c3"), "payload": {
                "study": "study:zwolle", "level": "wijk", "area": "area:holtenbroek",
                "question": "Wie kent de vrijwilligers?", "plan": "Rondgang langs verenigingen"
            },
            "reason": "verkeerd gebied"
        }),
    ));
    let v = view(&given(&w), &ViewOptions::default());

    let wijk = v["levels"].as_array().unwrap().iter().find(|l| l["level"] == "wijk").unwrap();
    let areas: Vec<&str> = wijk["areas"].as_array().unwrap().iter().map(|a| a["area_name"].as_str().unwrap()).collect();
    assert_eq!(areas, ["Assendorp", "Holtenbroek"]);
    let c1 = &wijk["areas"][0]["cycles"][0];
    assert_eq!(c1["steps"][0]["description"], "Eerste inloopspreekuur gehouden, samen met de bibliotheek");
    assert_eq!(c1["steps"].as_array().unwrap().len(), 3, "the amended action replaces the old one");
    assert_eq!(wijk["areas"][1]["cycles"][0]["id"], "cycle:assendorp-3");
}

#[test]
fn given_retractions_then_their_contribution_is_gone_and_nothing_breaks() {
    let mut w = world();
    w.push(ev(
        "x-o1",
        "notes:makelaar-a",
        "EventRetracted",
        "2020-03-05",
        json!({"target": id("o1"), "reason": "dubbel"}),
    ));
    w.push(ev(
        "x-cl1",
        "cycle:assendorp-1",
        "EventRetracted",
        "2020-03-05",
        json!({"target": id("cl1"), "reason": "te vroeg"}),
    ));
    let v = view(&given(&w), &ViewOptions::default());
    let c1 = &cycles_of(&v, "wijk")[0];
    assert_eq!(c1["field_notes"], 0);
    assert_eq!(c1["steps"][1]["kind"], "reflection");
    assert_eq!(c1["steps"][1]["observations"], json!([]), "a retracted field note is no longer cited");
    assert_eq!(c1["status"], "open");

    // Retracting the opening of cycle 1 drops it; cycle 2 then starts the spiral, its link dangling.
    w.push(ev(
        "x-c1",
        "cycle:assendorp-1",
        "EventRetracted",
        "2020-03-06",
        json!({"target": id("c1"), "reason": "geen echte cyclus"}),
    ));
    let p = given(&w);
    let v = view(&p, &ViewOptions::default());
    let cycles = cycles_of(&v, "wijk");
    assert_eq!(ids(&cycles), ["cycle:assendorp-3", "cycle:assendorp-2"]);
    assert_eq!(cycles[1]["previous"], json!({"id": "cycle:assendorp-1", "question": null}));
    assert!(!p.text("cycles", &ViewOptions::default()).unwrap().is_empty());
}

#[test]
fn given_english_then_labels_are_english_and_dutch_by_default() {
    let p = given(&world());
    let v = view(&p, &en());
    let wijk = v["levels"].as_array().unwrap().iter().find(|l| l["level"] == "wijk").unwrap();
    assert_eq!(wijk["level_label"], "neighbourhood");
    let c1 = &wijk["areas"][0]["cycles"][0];
    assert_eq!(c1["status_label"], "closed");
    assert_eq!(c1["steps"][0]["kind_label"], "action taken");
    assert_eq!(c1["steps"][2]["insights_by_kind"][1]["label"], "pitfall");
    let g = v["levels"].as_array().unwrap().iter().find(|l| l["level"] == "gemeente").unwrap();
    assert_eq!(g["areas"][0]["area_name"], "(no area)");

    let text_en = p.text("cycles", &en()).unwrap();
    assert!(text_en.contains("Level: neighbourhood"), "{text_en}");
    assert!(text_en.contains("next cycle: Kunnen vrijwilligers het spreekuur dragen?"), "{text_en}");
    for dutch in ["Niveau", "afgesloten", "veldnotitie", "uitkomst", "geen gebied"] {
        assert!(!text_en.contains(dutch), "{dutch:?} in the English text:\n{text_en}");
    }
    let text_nl = p.text("cycles", &ViewOptions::default()).unwrap();
    assert!(text_nl.contains("Niveau: wijk"), "{text_nl}");
    assert!(text_nl.contains("volgende cyclus: Kunnen vrijwilligers"), "{text_nl}");
    assert!(text_nl.contains("werkwijze gewijzigd: intervisie"), "{text_nl}");
    for english in ["Level", "closed", "field note", "outcome", "no area"] {
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
        "2020-03-05",
        json!({
            "target": id("area-a"), "payload": {"name": "Assendorp-Zuid", "kind": "district", "parent": "area:zwolle"},
            "reason": "officiële naam"
        }),
    ));
    let p = given(&w);
    let v = view(&p, &ViewOptions::default());
    assert_eq!(v["study"]["title"], "Buurtmakelaar Zwolle");
    let c1 = &cycles_of(&v, "wijk")[0];
    assert_eq!(c1["area_name"], "Assendorp-Zuid");
    assert_eq!(c1["opened_by"], "onderzoeker A");
    assert_eq!(c1["steps"][2]["participants"][0]["label"], "makelaar Assendorp");
    let text = p.text("cycles", &ViewOptions::default()).unwrap();
    assert!(text.contains("Assendorp-Zuid") && text.contains("makelaar Assendorp"), "{text}");
    assert!(!text.contains("Gouda"), "{text}");
}

#[test]
fn given_no_cycles_then_the_views_say_so() {
    let p = given(&base_world());
    assert_eq!(view(&p, &ViewOptions::default())["levels"], json!([]));
    assert_eq!(p.text("cycles", &en()).unwrap(), "No cycles.\n");
    assert_eq!(p.text("cycles", &ViewOptions::default()).unwrap(), "Geen cycli.\n");
}

#[test]
fn given_the_same_log_then_views_are_the_same_bytes_and_the_state_survives_a_checkpoint() {
    let w = world();
    let (a, b) = (given(&w), given(&w));
    assert_eq!(view(&a, &ViewOptions::default()).to_string(), view(&b, &ViewOptions::default()).to_string());
    assert_eq!(a.text("cycles", &en()).unwrap(), b.text("cycles", &en()).unwrap());
    // The state survives serialisation (as the checkpoint needs); reflection and note ids are map keys.
    let json = serde_json::to_string(&(&a.cycles, &a.role)).expect("state serialises");
    let back: (Cycles, RoleHistory) = serde_json::from_str(&json).expect("state deserialises");
    assert_eq!(back, (a.cycles.clone(), a.role.clone()));
}
