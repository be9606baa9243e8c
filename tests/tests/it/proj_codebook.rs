//! The codebook: codes with their history, coded excerpts per code (merges resolved), memos and
//! the co-occurrence of codes on one source event.

use chrono::NaiveDate;
use parlog_core::Lang;
use parlog_projections::{Projections, ViewOptions};
use serde_json::{json, Value};

use super::proj_support::{base_world, ev, given, id};

fn opts(day: Option<&str>, lang: Lang) -> ViewOptions {
    ViewOptions { lang, day: day.map(|d| d.parse::<NaiveDate>().expect("day")), ..ViewOptions::default() }
}

fn view(p: &Projections, day: Option<&str>, lang: Lang) -> Value {
    p.view("codebook", &opts(day, lang)).expect("codebook view")
}

fn code<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["codes"].as_array().and_then(|a| a.iter().find(|c| c["id"] == id)).unwrap_or_else(|| panic!("no code {id}: {v}"))
}

fn pairs(v: &Value) -> Vec<(String, String, u64)> {
    v["co_occurrence"]["pairs"]
        .as_array()
        .expect("pairs")
        .iter()
        .map(|p| {
            (
                p["a_name"].as_str().unwrap().to_string(),
                p["b_name"].as_str().unwrap().to_string(),
                p["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Three codes; note 1 coded as a whole with two of them; two excerpts of note 2; a memo.
fn world() -> Vec<Value> {
    let mut w = base_world();
    w.extend([
        ev("k1", "code:eigenaarschap", "CodeDefined", "2020-02-01", json!({"name": "eigenaarschap", "description": "Wie is eigenaar?"})),
        ev("k2", "code:loslaten", "CodeDefined", "2020-02-01", json!({"name": "loslaten"})),
        ev("k3", "code:werkdruk", "CodeDefined", "2020-02-01", json!({"name": "werkdruk"})),
        ev("o1", "notes:makelaar-a", "ObservationRecorded", "2020-02-10", json!({"codes": ["code:eigenaarschap", "code:werkdruk"]})),
        ev("o2", "notes:makelaar-a", "ObservationRecorded", "2020-02-11", json!({"topic": "overleg"})),
        ev("x1", "coding:ronde-1", "ExcerptCoded", "2020-02-20", json!({
            "source": id("o2"), "codes": ["code:eigenaarschap", "code:loslaten"], "start": 0, "end": 40
        })),
        ev("x2", "coding:ronde-1", "ExcerptCoded", "2020-02-21", json!({"source": id("o2"), "codes": ["code:werkdruk"], "start": 50, "end": 90})),
        ev("m1", "memo:analyse", "MemoWritten", "2020-02-25", json!({
            "title": "Eerste indruk", "text": "Loslaten lukt pas als bewoners eigenaar zijn.", "codes": ["code:loslaten"]
        })),
    ]);
    w
}

/// The same, then a rename and a merge in March.
fn world_merged() -> Vec<Value> {
    let mut w = world();
    w.extend([
        ev("k4", "code:loslaten", "CodeRenamed", "2020-03-01", json!({"name": "loslaten en overdragen"})),
        ev("k5", "code:eigenaarschap", "CodesMerged", "2020-03-02", json!({"merged": "code:werkdruk"})),
    ]);
    w
}

#[test]
fn codebook_lists_codes_excerpts_memos_and_co_occurrence() {
    let v = view(&given(&world()), None, Lang::Nl);
    let e = code(&v, "code:eigenaarschap");
    assert_eq!(e["name"], "eigenaarschap");
    assert_eq!(e["description"], "Wie is eigenaar?");
    assert_eq!(e["excerpts"], 1);
    assert_eq!(e["notes"], 1);
    assert_eq!(
        e["history"],
        json!([{"event": "defined", "label": "gedefinieerd", "name": "eigenaarschap", "code": null, "src": {"position": 10, "date": "2020-02-01"}}])
    );
    assert_eq!(v["coded"][0]["code"], "code:eigenaarschap");
    assert_eq!(v["coded"][0]["excerpts"][0]["source"], id("o2"));
    assert_eq!(v["coded"][0]["excerpts"][0]["end"], 40);
    assert_eq!(v["memos"][0]["title"], "Eerste indruk");
    assert_eq!(v["memos"][0]["codes"], json!([{"id": "code:loslaten", "name": "loslaten"}]));
    assert_eq!(
        pairs(&v),
        vec![
            ("eigenaarschap".into(), "loslaten".into(), 1),
            ("eigenaarschap".into(), "werkdruk".into(), 2),
            ("loslaten".into(), "werkdruk".into(), 1),
        ]
    );
    // Matrix over codes sorted by stream; the diagonal is how many sources carry the code.
    assert_eq!(v["co_occurrence"]["matrix"], json!([[2, 1, 2], [1, 1, 1], [2, 1, 2]]));
}

#[test]
fn a_merge_folds_excerpts_and_co_occurrence_into_the_surviving_code() {
    let v = view(&given(&world_merged()), None, Lang::En);
    let e = code(&v, "code:eigenaarschap");
    let steps: Vec<&str> = e["history"].as_array().unwrap().iter().map(|h| h["label"].as_str().unwrap()).collect();
    assert_eq!(steps, vec!["defined", "absorbed code"]);
    assert_eq!(e["history"][1]["code"], "code:werkdruk");
    assert_eq!(e["excerpts"], 2);
    assert_eq!(e["notes"], 2, "whole-note codings count per application");
    let w = code(&v, "code:werkdruk");
    assert_eq!(w["merged_into"], "code:eigenaarschap");
    assert_eq!(w["history"][1]["event"], "merged_into");
    let l = code(&v, "code:loslaten");
    assert_eq!(l["name"], "loslaten en overdragen");
    assert_eq!(
        l["history"][1],
        json!({"event": "renamed", "label": "renamed", "name": "loslaten en overdragen", "code": null, "src": {"position": 18, "date": "2020-03-01"}})
    );
    assert_eq!(v["coded"].as_array().map(Vec::len), Some(2), "werkdruk's excerpt moved: {v}");
    assert_eq!(v["memos"][0]["codes"][0]["name"], "loslaten en overdragen");
    assert_eq!(pairs(&v), vec![("eigenaarschap".into(), "loslaten en overdragen".into(), 1)]);
    assert_eq!(v["co_occurrence"]["codes"].as_array().map(Vec::len), Some(2));
}

#[test]
fn codebook_as_of_a_day_before_the_merge_keeps_codes_apart() {
    let v = view(&given(&world_merged()), Some("2020-02-28"), Lang::Nl);
    assert_eq!(code(&v, "code:werkdruk")["merged_into"], Value::Null);
    assert_eq!(code(&v, "code:loslaten")["name"], "loslaten");
    assert_eq!(pairs(&v).len(), 3);
    let v = view(&given(&world_merged()), Some("2020-02-15"), Lang::Nl);
    assert_eq!(v["memos"], json!([]));
    assert_eq!(v["coded"], json!([]));
    assert_eq!(pairs(&v), vec![("eigenaarschap".into(), "werkdruk".into(), 1)]);
}

#[test]
fn amended_and_retracted_codings_are_followed() {
    let mut w = world();
    w.push(ev(
        "a1",
        "notes:makelaar-a",
        "EventAmended",
        "2020-03-01",
        json!({
            "target": id("o1"), "payload": {"codes": ["code:loslaten"]}, "reason": "andere code"
        }),
    ));
    w.push(ev(
        "r1",
        "coding:ronde-1",
        "EventRetracted",
        "2020-03-02",
        json!({"target": id("x2"), "reason": "te ruim"}),
    ));
    w.push(ev(
        "r2",
        "code:werkdruk",
        "EventRetracted",
        "2020-03-03",
        json!({"target": id("k3"), "reason": "niet nodig"}),
    ));
    let v = view(&given(&w), None, Lang::Nl);
    assert_eq!(v["codes"].as_array().map(Vec::len), Some(2), "a code whose definition is retracted is gone: {v}");
    assert_eq!(code(&v, "code:eigenaarschap")["notes"], 0);
    assert_eq!(code(&v, "code:loslaten")["notes"], 1);
    assert_eq!(pairs(&v), vec![("eigenaarschap".into(), "loslaten".into(), 1)]);
}

#[test]
fn codebook_text_speaks_one_language() {
    let p = given(&world_merged());
    let nl = p.text("codebook", &opts(None, Lang::Nl)).expect("text");
    assert!(nl.contains("eigenaarschap (2 fragmenten, 2 hele notities)"), "{nl}");
    assert!(nl.contains("2 mrt 2020 nam code op: werkdruk"), "{nl}");
    assert!(nl.contains("Memo's:"), "{nl}");
    let en = p.text("codebook", &opts(None, Lang::En)).expect("text");
    assert!(en.contains("eigenaarschap (2 excerpts, 2 whole notes)"), "{en}");
    assert!(en.contains("2 Mar 2020 absorbed code: werkdruk"), "{en}");
    assert!(en.contains("Applied together (sources):\n  eigenaarschap + loslaten en overdragen: 1"), "{en}");
    assert!(!en.contains("fragmenten") && !nl.contains("excerpts"));
}

#[test]
fn codebook_state_survives_a_checkpoint_and_views_are_the_same_bytes() {
    let p = given(&world_merged());
    let json = serde_json::to_string(&p).expect("state serialises");
    let back: Projections = serde_json::from_str(&json).expect("state reads back");
    assert_eq!(back, p);
    assert_eq!(view(&back, None, Lang::Nl).to_string(), view(&given(&world_merged()), None, Lang::Nl).to_string());
}

/// Codes on sealed text are forgotten with it: forgetting the subject of a note's sealed text
/// drops the coded excerpts on that text from the codebook, keeps those on other notes, and a
/// coding of the forgotten text made later is not taken in.
#[test]
fn codings_on_a_forgotten_text_are_forgotten_with_it() {
    use parlog_core::{EventStore, ParticipantId, SubjectId};
    use parlog_projections::{AsOf, Engine};

    let t = crate::support::setup();
    let store = t.store();
    let mut w = base_world();
    let mut sealed = ev("o1", "notes:makelaar-a", "ObservationRecorded", "2020-02-10", json!({"topic": "keukentafel"}));
    sealed["sealed"] = json!({"subjects": ["resident:r-7"], "text": "Meneer K. vertelt over zijn schulden."});
    let mut other = ev("o2", "notes:makelaar-a", "ObservationRecorded", "2020-02-11", json!({"topic": "buurthuis"}));
    other["sealed"] = json!({"subjects": ["resident:r-8"], "text": "Mevrouw B. wil een moestuin beginnen."});
    w.extend([
        ev("k1", "code:geldzorgen", "CodeDefined", "2020-02-01", json!({"name": "geldzorgen"})),
        sealed,
        other,
        ev(
            "x1",
            "coding:ronde-1",
            "ExcerptCoded",
            "2020-02-20",
            json!({"source": id("o1"), "codes": ["code:geldzorgen"], "start": 9, "end": 36}),
        ),
        ev(
            "x2",
            "coding:ronde-1",
            "ExcerptCoded",
            "2020-02-20",
            json!({"source": id("o2"), "codes": ["code:geldzorgen"], "start": 0, "end": 10}),
        ),
    ]);
    crate::support::append(store, &w);
    let excerpts = |store: &dyn Fn() -> Value| -> Vec<String> {
        let v = store();
        let coded = v["coded"].as_array().cloned().unwrap_or_default();
        let mut out: Vec<String> = coded
            .iter()
            .flat_map(|c| c["excerpts"].as_array().cloned().unwrap_or_default())
            .map(|x| x["source"].as_str().unwrap_or_default().to_string())
            .collect();
        out.sort();
        out
    };
    let now = || view(&Engine::as_of(store, AsOf::Head).expect("engine").state, None, Lang::Nl);
    let mut both = vec![id("o1"), id("o2")];
    both.sort();
    assert_eq!(excerpts(&now), both, "before the forget both codings show: {}", now());

    let subject = SubjectId::parse("resident:r-7").expect("a subject");
    store.forget(&subject, &ParticipantId::parse("onderzoeker-a").expect("a participant"), None).expect("forget");
    assert_eq!(excerpts(&now), vec![id("o2")], "the coding of the forgotten text is gone: {}", now());

    crate::support::append(
        store,
        &[ev(
            "x3",
            "coding:ronde-2",
            "ExcerptCoded",
            "2020-03-01",
            json!({"source": id("o1"), "codes": ["code:geldzorgen"], "start": 0, "end": 5}),
        )],
    );
    assert_eq!(excerpts(&now), vec![id("o2")], "a later coding of the forgotten text is not taken in: {}", now());
}
