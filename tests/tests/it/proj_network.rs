//! The network projection (the social map): nodes from the directory, edges from connections,
//! and who is linked to each initiative.

use chrono::NaiveDate;
use parlog_core::Lang;
use parlog_projections::{Projections, ViewOptions};
use serde_json::{json, Value};

use super::proj_support::{base_world, ev, ev_by, given, id};

fn opts(day: Option<&str>, lang: Lang) -> ViewOptions {
    ViewOptions { lang, day: day.map(|d| d.parse::<NaiveDate>().expect("day")), ..ViewOptions::default() }
}

fn view(p: &Projections, day: Option<&str>, lang: Lang) -> Value {
    p.view("network", &opts(day, lang)).expect("network view")
}

fn node<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["nodes"].as_array().and_then(|n| n.iter().find(|x| x["id"] == id)).unwrap_or_else(|| panic!("no node {id}: {v}"))
}

/// A garden started by a resident; makelaar A connects the volunteer to the welfare organisation
/// through it, and later the volunteer to makelaar B without an initiative.
fn world() -> Vec<Value> {
    let mut w = base_world();
    w.extend([
        ev(
            "p-res",
            "participant:bewoner-1",
            "ParticipantRegistered",
            "2020-01-06",
            json!({"label": "bewoner 1", "role": "resident"}),
        ),
        ev(
            "i1",
            "initiative:buurttuin",
            "InitiativeStarted",
            "2020-02-01",
            json!({
                "name": "Buurttuin", "route": "opportunity", "area": "area:assendorp",
                "description": "Een braakliggend veld wordt een tuin.", "initiators": ["participant:bewoner-1"]
            }),
        ),
        ev_by(
            "n1",
            "makelaar-a",
            "network:assendorp",
            "ConnectionMade",
            "2020-02-10",
            json!({
                "from": "participant:vrijwilliger-1", "to": "participant:welzijn-zwolle",
                "initiative": "initiative:buurttuin", "note": "kennismaking"
            }),
        ),
        ev_by(
            "n2",
            "makelaar-a",
            "network:assendorp",
            "ConnectionMade",
            "2020-04-01",
            json!({
                "from": "participant:makelaar-b", "to": "participant:vrijwilliger-1"
            }),
        ),
    ]);
    w
}

#[test]
fn network_has_nodes_edges_and_who_is_linked_to_each_initiative() {
    let v = view(&given(&world()), None, Lang::Nl);
    let vol = node(&v, "participant:vrijwilliger-1");
    assert_eq!(vol["label"], "vrijwilliger 1");
    assert_eq!(vol["role"], "volunteer");
    assert_eq!(vol["role_label"], "vrijwilliger");
    assert_eq!(vol["degree"], 2);
    assert_eq!(node(&v, "participant:onderzoeker-a")["degree"], 0);

    let edges = v["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), 2);
    // Pairs are sorted by stream; the first is makelaar B and the volunteer.
    assert_eq!(edges[0]["a"], "participant:makelaar-b");
    assert_eq!(edges[0]["initiatives"], json!([]));
    let e = &edges[1];
    assert_eq!((e["a_label"].as_str(), e["b_label"].as_str()), (Some("vrijwilliger 1"), Some("Welzijn Zwolle")));
    assert_eq!(e["initiatives"], json!([{"id": "initiative:buurttuin", "name": "Buurttuin"}]));
    assert_eq!(e["connections"][0]["by_label"], "makelaar Assendorp");
    assert_eq!(e["connections"][0]["note"], "kennismaking");
    assert_eq!(e["sources"][0]["date"], "2020-02-10");

    let i = &v["initiatives"][0];
    assert_eq!(i["name"], "Buurttuin");
    let linked: Vec<(&str, Value)> = i["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["label"].as_str().unwrap(), p["links"].clone()))
        .collect();
    assert_eq!(
        linked,
        vec![
            ("bewoner 1", json!(["initiator"])),
            ("vrijwilliger 1", json!(["connection"])),
            ("Welzijn Zwolle", json!(["connection"])),
        ]
    );
}

#[test]
fn network_as_of_a_day_leaves_out_later_connections() {
    let v = view(&given(&world()), Some("2020-03-01"), Lang::Nl);
    assert_eq!(v["edges"].as_array().map(Vec::len), Some(1));
    assert_eq!(node(&v, "participant:vrijwilliger-1")["degree"], 1);
    let v = view(&given(&world()), Some("2020-01-31"), Lang::Nl);
    assert_eq!(v["edges"], json!([]));
    assert_eq!(v["initiatives"], json!([]), "the initiative had not started yet");
}

#[test]
fn an_amended_connection_moves_and_a_retracted_one_disappears() {
    let mut w = world();
    w.push(ev("a1", "network:assendorp", "EventAmended", "2020-04-02", json!({
        "target": id("n1"),
        "payload": {"from": "participant:vrijwilliger-1", "to": "participant:makelaar-a", "initiative": "initiative:buurttuin"},
        "reason": "verkeerde organisatie"
    })));
    w.push(ev(
        "r1",
        "network:assendorp",
        "EventRetracted",
        "2020-04-03",
        json!({"target": id("n2"), "reason": "niet gebeurd"}),
    ));
    let v = view(&given(&w), None, Lang::Nl);
    let edges = v["edges"].as_array().expect("edges");
    assert_eq!(edges.len(), 1, "{v}");
    assert_eq!(edges[0]["a"], "participant:makelaar-a");
    assert_eq!(edges[0]["b"], "participant:vrijwilliger-1");
    assert_eq!(node(&v, "participant:welzijn-zwolle")["degree"], 0);
}

#[test]
fn network_labels_follow_the_language() {
    let p = given(&world());
    let v = view(&p, None, Lang::En);
    assert_eq!(node(&v, "participant:vrijwilliger-1")["role_label"], "volunteer");
    assert_eq!(node(&v, "participant:makelaar-a")["role_label"], "community broker");
    assert_eq!(v["initiatives"][0]["participants"][0]["links_label"], json!(["initiator"]));
    let en = p.text("network", &opts(None, Lang::En)).expect("text");
    assert!(en.contains("Connections:"), "{en}");
    assert!(en.contains("vrijwilliger 1 — Welzijn Zwolle (through Buurttuin)"), "{en}");
    assert!(en.contains("Buurttuin: bewoner 1 (resident)"), "{en}");
    let nl = p.text("network", &opts(None, Lang::Nl)).expect("text");
    assert!(
        nl.contains("Verbindingen:") && nl.contains("(via Buurttuin)") && nl.contains("bewoner 1 (bewoner)"),
        "{nl}"
    );
    assert!(!nl.contains("Connections") && !en.contains("Verbindingen"));
}

#[test]
fn network_skips_connections_and_links_whose_creating_events_were_retracted() {
    let mut w = world();
    w.push(ev(
        "r1",
        "initiative:buurttuin",
        "EventRetracted",
        "2020-05-01",
        json!({"target": id("i1"), "reason": "nooit gestart"}),
    ));
    w.push(ev(
        "r2",
        "participant:makelaar-b",
        "EventRetracted",
        "2020-05-01",
        json!({"target": id("p-m2"), "reason": "fout"}),
    ));
    let p = given(&w);
    let v = view(&p, None, Lang::Nl);
    assert_eq!(v["initiatives"], json!([]));
    assert_eq!(v["edges"].as_array().map(Vec::len), Some(1), "{v}");
    assert!(v["nodes"].as_array().unwrap().iter().all(|n| n["id"] != "participant:makelaar-b"));
    for name in ["signals", "network", "activity", "codebook", "warnings"] {
        p.text(name, &opts(None, Lang::En)).expect("text");
    }
}
