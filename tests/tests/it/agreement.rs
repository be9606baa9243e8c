//! Inter-coder agreement (issue 14): `parlog agreement` and `GET …/agreement` on a made-up
//! municipality (Veendam) with two researchers who coded the same notes, and on the demo, where
//! the GGD researcher re-coded four notes TNO had coded. Figures are checked against a hand count;
//! forgetting a note's subject takes the note, and its codings, out of the comparison.

use serde_json::{json, Value};

use super::api_support::{setup_with, Log};
use super::cli_support::{setup, setup_demo};
use super::proj_support::{ev, ev_by, id};
use parlog_server::http::auth::Role;
use parlog_server::http::Limits;

/// Two notes of 100 characters each, coded by two researchers:
/// - note 1, code `zorg`: A 0..40, B 20..60 (both 20, only A 20, only B 20, neither 40);
/// - note 2, code `zorg`: A 10..20 and B 10..20 (both 10, neither 90); code `geld`: only B 50..70.
/// - note 3 is coded by A only: not compared.
fn veendam() -> Vec<Value> {
    let text = |c: char| c.to_string().repeat(100);
    let note = |label: &str, subject: &str, fill: char| {
        let mut e = ev_by(
            label,
            "makelaar-v",
            "notes:makelaar-v",
            "ObservationRecorded",
            "2022-03-01",
            json!({"area": "area:veendam"}),
        );
        e["sealed"] = json!({"subjects": [subject], "text": text(fill)});
        e
    };
    let code = |label: &str, by: &str, note: &str, codes: &[&str], s: u32, e: u32| {
        ev_by(
            label,
            by,
            &format!("coding:{by}"),
            "ExcerptCoded",
            "2022-04-01",
            json!({
                "source": id(note), "codes": codes.iter().map(|c| format!("code:{c}")).collect::<Vec<_>>(), "start": s, "end": e
            }),
        )
    };
    let person = |label: &str, who: &str, role: &str| {
        ev(
            label,
            &format!("participant:{who}"),
            "ParticipantRegistered",
            "2022-01-03",
            json!({"label": who, "role": role}),
        )
    };
    vec![
        ev(
            "study",
            "study:veendam",
            "StudyStarted",
            "2022-01-03",
            json!({
                "title": "Wijkverbinder Veendam", "question": "Wat doet de wijkverbinder?", "municipality": "Veendam", "levels": ["wijk"]
            }),
        ),
        ev("area", "area:veendam", "AreaDefined", "2022-01-03", json!({"name": "Veendam", "kind": "city"})),
        person("pa", "onderzoeker-a", "researcher"),
        person("pb", "onderzoeker-b", "researcher"),
        person("pm", "makelaar-v", "makelaar"),
        ev("k1", "code:zorg", "CodeDefined", "2022-01-04", json!({"name": "zorg"})),
        ev("k2", "code:geld", "CodeDefined", "2022-01-04", json!({"name": "geld"})),
        note("n1", "resident:v-1", 'a'),
        note("n2", "resident:v-2", 'é'),
        note("n3", "resident:v-3", 'c'),
        code("x1", "onderzoeker-a", "n1", &["zorg"], 0, 40),
        code("x2", "onderzoeker-b", "n1", &["zorg"], 20, 60),
        code("x3", "onderzoeker-a", "n2", &["zorg"], 10, 20),
        code("x4", "onderzoeker-b", "n2", &["zorg", "geld"], 10, 20),
        code("x5", "onderzoeker-b", "n2", &["geld"], 50, 70),
        code("x6", "onderzoeker-a", "n3", &["zorg"], 0, 10),
    ]
}

fn code<'a>(pair: &'a Value, name: &str) -> &'a Value {
    pair["codes"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["name"] == name))
        .unwrap_or_else(|| panic!("no code {name}: {pair}"))
}

#[test]
fn agreement_counts_characters_of_shared_notes_and_forgets_with_the_text() {
    let t = setup();
    t.init();
    let file = t.write("veendam.json", &serde_json::to_string(&veendam()).unwrap());
    t.run(&["append", file.to_str().unwrap()]).success();
    let v = t.run(&["agreement", "--json"]).success().json();
    let pairs = v["pairs"].as_array().expect("pairs");
    assert_eq!(pairs.len(), 1, "{v}");
    let p = &pairs[0];
    assert_eq!((p["a"]["id"].as_str(), p["b"]["id"].as_str()), (Some("onderzoeker-a"), Some("onderzoeker-b")));
    assert_eq!(p["notes"].as_array().unwrap().len(), 2, "note 3, coded by A only, is not compared: {p}");
    assert_eq!(p["characters"], 200);
    // zorg: both 30, only A 20, only B 20, neither 130 → 80%; p_e = .25·.25 + .75·.75 = .625,
    // kappa = (.8 − .625)/.375 = .467; on coded text 30/70 = 42.9%.
    let zorg = code(p, "zorg");
    assert_eq!(
        (zorg["both"].as_u64(), zorg["only_a"].as_u64(), zorg["only_b"].as_u64()),
        (Some(30), Some(20), Some(20))
    );
    assert_eq!(zorg["percent_agreement"], json!(80.0));
    assert_eq!(zorg["kappa"], json!(0.467));
    assert_eq!(zorg["coded_agreement"], json!(42.9));
    let words: Vec<(&str, &str)> = zorg["disagreements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["coded_by"].as_str().unwrap(), d["text"].as_str().unwrap()))
        .collect();
    assert!(words.contains(&("onderzoeker-a", &"a".repeat(20))), "A's stretch is quoted: {words:?}");
    // geld: only B, 30 characters of note 2 (10..20 and 50..70).
    let geld = code(p, "geld");
    assert_eq!((geld["both"].as_u64(), geld["only_b"].as_u64()), (Some(0), Some(30)));
    assert_eq!(geld["kappa"], json!(0.0));
    let quoted: Vec<&str> =
        geld["disagreements"].as_array().unwrap().iter().map(|d| d["text"].as_str().unwrap()).collect();
    assert_eq!(quoted, vec!["é".repeat(10), "é".repeat(20)], "offsets count code points, not bytes");

    let text = t.run(&["agreement"]).success();
    assert!(text.stdout.contains("onderzoeker-a – onderzoeker-b: 2 notities, 200 tekens"), "{}", text.stdout);
    let en = t.run(&["--lang", "en", "agreement", "--a", "onderzoeker-b", "--b", "onderzoeker-a"]).success();
    assert!(
        en.stdout.contains("2 notes, 200 characters") && en.stdout.contains("only by onderzoeker-a"),
        "{}",
        en.stdout
    );
    t.run(&["agreement", "--a", "onderzoeker-a", "--b", "onderzoeker-a"]).code(2).stderr_has(&["--a", "--b"]);

    // Forgetting note 1's subject takes note 1 out, with its codings.
    t.run(&["forget", "resident:v-1", "--by", "onderzoeker-a", "--yes"]).success();
    let after = t.run(&["agreement", "--json"]).success().json();
    let p = &after["pairs"][0];
    assert_eq!(p["notes"].as_array().unwrap().len(), 1, "{after}");
    assert_eq!(p["characters"], 100);
    let zorg = code(p, "zorg");
    assert_eq!((zorg["both"].as_u64(), zorg["only_a"].as_u64(), zorg["only_b"].as_u64()), (Some(10), Some(0), Some(0)));
    assert_eq!(zorg["kappa"], json!(1.0));
}

#[test]
fn the_demo_shows_how_far_tno_and_ggd_agree() {
    let t = setup_demo();
    let v = t.run(&["agreement", "--json"]).success().json();
    let p = &v["pairs"][0];
    assert_eq!(p["notes"].as_array().unwrap().len(), 4, "the four re-coded notes: {v}");
    let eigen = code(p, "eigenaarschap");
    // both 118, GGD only 28, neither 1330 of 1476: p_o .9810, p_e .8370, kappa .884.
    assert_eq!(eigen["kappa"], json!(0.884), "{eigen}");
    let first = &eigen["disagreements"][0];
    assert_eq!(
        (first["coded_by"].as_str(), first["text"].as_str()),
        (Some("onderzoeker-ggd"), Some("Ze hebben alles al bedacht; "))
    );
}

#[tokio::test]
async fn researchers_read_the_agreement_in_the_api_and_a_pair_must_be_two() {
    let api = setup_with(Log::Gouda, Limits::default());
    let path = format!("/api/v1/studies/{}/agreement", api.study);
    let v = api.get(&path, Role::Researcher).await.json_of(200);
    assert_eq!(v["pairs"].as_array().map(|a| a.len()), Some(1), "{v}");
    assert!(v["about"].as_str().unwrap().contains("kappa"));
    let one =
        api.get(&format!("{path}?a=onderzoeker-tno&b=onderzoeker-ggd&lang=en"), Role::Researcher).await.json_of(200);
    assert_eq!(one["pairs"][0]["notes"].as_array().map(|a| a.len()), Some(4));
    assert!(one["about"].as_str().unwrap().starts_with("Per pair"));
    api.get(&format!("{path}?a=onderzoeker-tno"), Role::Researcher).await.problem_naming(400, &["a and b"]);
    api.get(&format!("{path}?a=onderzoeker-tno&b=onderzoeker-tno"), Role::Researcher)
        .await
        .problem_naming(400, &["two different"]);
    api.get(&path, Role::Makelaar).await.problem_naming(403, &["researchers"]);
}
