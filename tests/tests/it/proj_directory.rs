//! The directory view: the studies, participants and areas of the log with their labels, as the
//! web client's forms and filters use them (they no longer scan the log to name things).

use chrono::NaiveDate;
use parlog_core::Lang;
use parlog_projections::{Projections, ViewOptions};
use serde_json::{json, Value};

use super::proj_support::{base_world, ev, given, id};

fn opts(day: Option<&str>, lang: Lang) -> ViewOptions {
    ViewOptions { lang, day: day.map(|d| d.parse::<NaiveDate>().expect("day")), ..ViewOptions::default() }
}

fn view(p: &Projections, day: Option<&str>, lang: Lang) -> Value {
    p.view("directory", &opts(day, lang)).expect("directory view")
}

fn text(p: &Projections, day: Option<&str>, lang: Lang) -> String {
    p.text("directory", &opts(day, lang)).expect("directory text")
}

fn entry<'a>(v: &'a Value, list: &str, id: &str) -> &'a Value {
    v[list]
        .as_array()
        .and_then(|l| l.iter().find(|x| x["id"] == id))
        .unwrap_or_else(|| panic!("no {id} in {list}: {v}"))
}

fn ids(v: &Value, list: &str) -> Vec<String> {
    v[list].as_array().expect("a list").iter().map(|x| x["id"].as_str().expect("an id").to_string()).collect()
}

/// The base world, then: makelaar A becomes the city-wide coach for all of Zwolle (March), the
/// volunteer leaves (July), a resident is registered (August), and Holtenbroek is renamed by an
/// amendment.
fn world() -> Vec<Value> {
    let mut w = base_world();
    w.extend([
        ev(
            "rc",
            "participant:makelaar-a",
            "ParticipantRoleChanged",
            "2020-03-01",
            json!({"role": "city_coach", "area": "area:zwolle", "reason": "teamcoach"}),
        ),
        ev("left", "participant:vrijwilliger-1", "ParticipantLeft", "2020-07-01", json!({})),
        ev(
            "p-res",
            "participant:bewoner-1",
            "ParticipantRegistered",
            "2020-08-01",
            json!({"label": "bewoner 1", "role": "resident", "organisation": "Huurdersvereniging"}),
        ),
        ev(
            "amend-b",
            "area:holtenbroek",
            "EventAmended",
            "2020-08-02",
            json!({"target": id("area-b"), "payload": {"name": "Holtenbroek-Noord", "kind": "district", "parent": "area:zwolle"}, "reason": "spelling"}),
        ),
    ]);
    w
}

#[test]
fn the_directory_is_a_published_view_named_last() {
    assert_eq!(parlog_projections::PROJECTION_NAMES.last(), Some(&"directory"));
}

#[test]
fn studies_and_areas_have_the_published_shape() {
    let v = view(&given(&world()), None, Lang::Nl);
    assert_eq!(
        v["studies"],
        json!([{
            "id": "study:zwolle", "title": "Buurtmakelaar Zwolle", "question": "Wat levert de buurtmakelaar op?",
            "municipality": "Zwolle", "partners": [],
            "levels": [
                {"id": "gemeente", "label": "gemeente"}, {"id": "functie", "label": "functie"},
                {"id": "wijk", "label": "wijk"}
            ],
            "src": {"position": 1, "date": "2020-01-06"}
        }])
    );
    assert_eq!(
        v["areas"],
        json!([
            {"id": "area:assendorp", "name": "Assendorp", "kind": {"id": "district", "label": "gebied"},
             "parent": "area:zwolle", "src": {"position": 3, "date": "2020-01-06"}},
            {"id": "area:holtenbroek", "name": "Holtenbroek-Noord", "kind": {"id": "district", "label": "gebied"},
             "parent": "area:zwolle", "src": {"position": 4, "date": "2020-01-06"}},
            {"id": "area:zwolle", "name": "Zwolle", "kind": {"id": "city", "label": "stad"},
             "parent": null, "src": {"position": 2, "date": "2020-01-06"}},
        ])
    );
}

#[test]
fn participants_have_the_published_shape_sorted_by_id() {
    let v = view(&given(&world()), None, Lang::Nl);
    assert_eq!(
        ids(&v, "participants"),
        [
            "participant:bewoner-1",
            "participant:makelaar-a",
            "participant:makelaar-b",
            "participant:onderzoeker-a",
            "participant:vrijwilliger-1",
            "participant:welzijn-zwolle"
        ]
    );
    assert_eq!(
        *entry(&v, "participants", "participant:bewoner-1"),
        json!({
            "id": "participant:bewoner-1", "label": "bewoner 1", "role": {"id": "resident", "label": "bewoner"},
            "organisation": "Huurdersvereniging", "area": null, "active": true,
            "src": {"position": 12, "date": "2020-08-01"}
        })
    );
}

#[test]
fn role_area_and_activity_are_as_of_the_views_day() {
    let p = given(&world());
    let feb = view(&p, Some("2020-02-01"), Lang::Nl);
    let a = entry(&feb, "participants", "participant:makelaar-a");
    assert_eq!((&a["role"]["id"], &a["area"]), (&json!("makelaar"), &json!("area:assendorp")), "{a}");
    assert_eq!(entry(&feb, "participants", "participant:vrijwilliger-1")["active"], json!(true));
    assert!(!ids(&feb, "participants").contains(&"participant:bewoner-1".to_string()), "registered in August");

    let now = view(&p, None, Lang::Nl);
    let a = entry(&now, "participants", "participant:makelaar-a");
    assert_eq!((&a["role"]["id"], &a["area"]), (&json!("city_coach"), &json!("area:zwolle")), "{a}");
    assert_eq!(a["src"], json!({"position": 6, "date": "2020-01-06"}), "the registration is the source");
    assert_eq!(entry(&now, "participants", "participant:vrijwilliger-1")["active"], json!(false));

    let before = view(&p, Some("2020-01-05"), Lang::Nl);
    assert_eq!(before, json!({"studies": [], "participants": [], "areas": []}), "nothing defined yet");
}

#[test]
fn labels_are_in_the_views_language() {
    let p = given(&world());
    let (nl, en) = (view(&p, None, Lang::Nl), view(&p, None, Lang::En));
    assert_eq!(entry(&nl, "participants", "participant:makelaar-b")["role"]["label"], json!("sociaal makelaar"));
    assert_eq!(entry(&en, "participants", "participant:makelaar-b")["role"]["label"], json!("community broker"));
    assert_eq!(entry(&en, "areas", "area:zwolle")["kind"], json!({"id": "city", "label": "city"}));
    assert_eq!(en["studies"][0]["levels"][1], json!({"id": "functie", "label": "role"}));
    // Only labels differ: the same ids, names and sources.
    assert_eq!(ids(&nl, "participants"), ids(&en, "participants"));
    assert_eq!(nl["areas"][0]["name"], en["areas"][0]["name"]);
}

#[test]
fn a_retracted_registration_leaves_the_directory() {
    let mut w = world();
    w.push(ev(
        "retract",
        "participant:makelaar-b",
        "EventRetracted",
        "2020-09-01",
        json!({"target": id("p-m2"), "reason": "dubbel geregistreerd"}),
    ));
    let v = view(&given(&w), None, Lang::Nl);
    assert!(!ids(&v, "participants").contains(&"participant:makelaar-b".to_string()), "{v}");
}

#[test]
fn the_text_view_names_every_entry_with_its_source() {
    let p = given(&world());
    let nl = text(&p, None, Lang::Nl);
    for want in [
        "Onderzoeken:",
        "Buurtmakelaar Zwolle (study:zwolle, Zwolle) [#1 · 6 jan 2020]",
        "niveaus: gemeente, functie, wijk",
        "makelaar Assendorp (participant:makelaar-a): stadsbrede makelaar / teamcoach, Zwolle [#6 · 6 jan 2020]",
        "vrijwilliger 1 (participant:vrijwilliger-1): vrijwilliger, vertrokken 1 jul 2020",
        "bewoner 1 (participant:bewoner-1): bewoner, Huurdersvereniging [#12 · 1 aug 2020]",
        "Holtenbroek-Noord (area:holtenbroek): gebied, in Zwolle [#4 · 6 jan 2020]",
    ] {
        assert!(nl.contains(want), "missing {want:?} in:\n{nl}");
    }
    let en = text(&p, Some("2020-02-01"), Lang::En);
    assert!(en.contains("makelaar Assendorp (participant:makelaar-a): community broker, Assendorp"), "{en}");
    assert!(!en.contains("bewoner 1"), "not yet registered:\n{en}");
}
