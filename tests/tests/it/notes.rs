//! The notes browser's back end (issue 14): `GET /api/v1/studies/{study}/notes[/{id}]`, the notes
//! index behind it (filters, words without case or accents, paging, corrections, merged codes,
//! forgetting, the leak rule), its CSV, `parlog notes`, and who may correct a note.
//!
//! The API tests start from the small log of a study that is not Gouda (`Log::Small`) and add
//! the notes they need through the API; the paging test runs over a generated made-up
//! municipality (`parlog_tests::gen`).

use std::collections::BTreeSet;

use parlog_core::{EventStore, SledStore};
use parlog_server::http::auth::Role;
use parlog_server::http::Limits;
use parlog_server::notes::{text, NoteQuery, NotesIndex};
use serde_json::{json, Value};

use super::api_support::{new_id, setup_with, Api, Log};
use super::cli_support;

const MAKELAAR_NOTES: &str = "notes:makelaar-zuid-1";
const RESEARCHER_NOTES: &str = "notes:onderzoeker-1";

fn ev(stream: &str, kind: &str, day: &str, payload: Value) -> Value {
    json!({"id": new_id(), "stream": stream, "kind": kind, "occurred_at": format!("{day}T10:00:00+01:00"), "payload": payload})
}

/// A field note with sealed text about `subject`.
fn obs(stream: &str, day: &str, payload: Value, subject: &str, text: &str) -> Value {
    let mut e = ev(stream, "ObservationRecorded", day, payload);
    e["sealed"] = json!({"subjects": [subject], "text": text});
    e
}

/// The notes of a small study (Zwolle-Zuid), with ids by name:
/// - `koffie`: the makelaar's note in Zuid about the vegetable garden, coded (an excerpt) with
///   `eenzaamheid`, which is later merged into `sociaal`;
/// - `cooperatie`: the makelaar's note in Oost in cycle zuid-1, with health "participation";
/// - `reflectie`: the researcher's reflection in cycle zuid-1 (in Zuid);
/// - `memo`: the researcher's memo on code `wonen`, its text with a comma, quotes and a line break.
struct Study {
    api: Api,
    ids: std::collections::HashMap<&'static str, String>,
}

async fn study() -> Study {
    let api = setup_with(Log::Small, Limits::default());
    let setup = [
        ev("area:oost", "AreaDefined", "2021-01-06", json!({"name": "Oost", "kind": "district"})),
        ev("code:wonen", "CodeDefined", "2021-01-06", json!({"name": "wonen"})),
        ev("code:eenzaamheid", "CodeDefined", "2021-01-06", json!({"name": "eenzaamheid"})),
        ev("code:sociaal", "CodeDefined", "2021-01-06", json!({"name": "sociaal"})),
        ev(
            "initiative:moestuin",
            "InitiativeStarted",
            "2021-01-07",
            json!({"name": "Moestuin", "route": "opportunity", "area": "area:zuid", "description": "Een moestuin achter de flat."}),
        ),
    ];
    api.append_ok(Role::Researcher, &setup).await;
    let koffie = obs(
        MAKELAAR_NOTES,
        "2021-02-01",
        json!({"area": "area:zuid", "initiative": "initiative:moestuin", "topic": "Koffieochtend"}),
        "resident:r-1",
        "De koffieochtend in het Café was druk; bewoners praten over de moestuin.",
    );
    let cooperatie = obs(
        MAKELAAR_NOTES,
        "2021-03-01",
        json!({"area": "area:oost", "cycle": "cycle:zuid-1", "health": ["participation"]}),
        "resident:r-2",
        "Gesprek met de coöperatie over financiën.",
    );
    let reflectie = ev(
        "cycle:zuid-1",
        "ReflectionRecorded",
        "2021-04-01",
        json!({"summary": "Terugblik: de ochtend trekt nieuwe mensen.", "insights": [{"kind": "tip", "text": "Begin klein met een vaste tafel."}]}),
    );
    let memo = ev(
        "memo:wonen-1",
        "MemoWritten",
        "2021-05-01",
        json!({"title": "Wonen", "text": "Woningnood, zegt men, \"blijft\".\nTweede regel.", "codes": ["code:wonen"]}),
    );
    let mut ids = std::collections::HashMap::new();
    for (name, e) in [("koffie", &koffie), ("cooperatie", &cooperatie), ("reflectie", &reflectie), ("memo", &memo)] {
        ids.insert(name, e["id"].as_str().unwrap().to_string());
    }
    api.append_ok(Role::Makelaar, &[koffie, cooperatie]).await;
    api.append_ok(Role::Researcher, &[reflectie, memo]).await;
    let excerpt = ev(
        "coding:x-1",
        "ExcerptCoded",
        "2021-02-02",
        json!({"source": ids["koffie"], "codes": ["code:eenzaamheid"], "start": 3, "end": 17}),
    );
    api.append_ok(Role::Researcher, &[excerpt]).await;
    Study { api, ids }
}

impl Study {
    async fn list(&self, query: &str) -> Value {
        self.list_as(query, Role::Researcher).await
    }
    async fn list_as(&self, query: &str, role: Role) -> Value {
        let path = format!("/api/v1/studies/{}/notes{query}", self.api.study);
        self.api.get(&path, role).await.json_of(200)
    }
    /// The ids of the notes found, newest first.
    async fn found(&self, query: &str) -> Vec<String> {
        let v = self.list(query).await;
        let notes = v["notes"].as_array().expect("notes");
        assert_eq!(v["total"].as_u64(), Some(notes.len() as u64), "one page holds them all: {v}");
        notes.iter().map(|n| n["id"].as_str().unwrap().to_string()).collect()
    }
    fn ids(&self, names: &[&str]) -> Vec<String> {
        names.iter().map(|n| self.ids[n].clone()).collect()
    }
}

#[tokio::test]
async fn every_filter_narrows_the_list() {
    let s = study().await;
    assert_eq!(s.found("").await, s.ids(&["memo", "reflectie", "cooperatie", "koffie"]), "newest first");
    let cases: &[(&str, &[&str])] = &[
        ("?area=area:zuid", &["reflectie", "koffie"]),
        ("?area=area:oost", &["cooperatie"]),
        ("?initiative=initiative:moestuin", &["koffie"]),
        ("?cycle=cycle:zuid-1", &["reflectie", "cooperatie"]),
        ("?author=makelaar-zuid-1", &["cooperatie", "koffie"]),
        ("?author=onderzoeker-1", &["memo", "reflectie"]),
        ("?code=code:wonen", &["memo"]),
        ("?code=code:eenzaamheid", &["koffie"]),
        ("?health=participation", &["cooperatie"]),
        ("?kind=observation", &["cooperatie", "koffie"]),
        ("?kind=memo,reflection", &["memo", "reflectie"]),
        ("?kind=memo&kind=observation", &["memo", "cooperatie", "koffie"]),
        ("?from=2021-03-01", &["memo", "reflectie", "cooperatie"]),
        ("?to=2021-03-01", &["cooperatie", "koffie"]),
        ("?from=2021-02-02&to=2021-04-30", &["reflectie", "cooperatie"]),
        ("?area=area:zuid&kind=observation", &["koffie"]),
        ("?area=area:nergens", &[]),
        ("?author=niemand", &[]),
    ];
    for (q, want) in cases {
        assert_eq!(s.found(q).await, s.ids(want), "{q}");
    }
    // What a note shows: names, excerpts, codes and labels in the language asked for.
    let v = s.list("?initiative=initiative:moestuin&lang=en").await;
    let n = &v["notes"][0];
    assert_eq!(n["kind"], "ObservationRecorded");
    assert_eq!(n["kind_label"], "field note");
    assert_eq!(n["area_name"], "Zuid");
    assert_eq!(n["initiative_name"], "Moestuin");
    assert_eq!(n["author_name"], "makelaar Zuid 1");
    assert_eq!(n["topic"], "Koffieochtend");
    assert_eq!(n["text_state"], "readable");
    assert_eq!(n["revision"], 0);
    assert_eq!(n["excerpts"][0]["codes"][0], json!({"id": "code:eenzaamheid", "name": "eenzaamheid"}));
    assert_eq!(n["excerpts"][0]["by"], "onderzoeker-1");
    assert_eq!(v["indexed_to"].as_u64(), Some(s.api.head().await));
    let memo = &s.list("?kind=memo").await["notes"][0];
    assert_eq!(memo["codes"], json!([{"id": "code:wonen", "name": "wonen"}]));
    assert_eq!(memo["title"], "Wonen");
}

#[tokio::test]
async fn search_ignores_case_and_accents_and_takes_the_last_word_as_a_prefix() {
    let s = study().await;
    let cases: &[(&str, &[&str])] = &[
        ("?q=cafe", &["koffie"]),
        ("?q=CAFÉ", &["koffie"]),
        ("?q=cooperatie%20financien", &["cooperatie"]),
        ("?q=Coöperatie", &["cooperatie"]),
        ("?q=koffieochtend", &["koffie"]),                 // the topic (open text)
        ("?q=moes", &["koffie"]),                          // a prefix
        ("?q=moestuin%20bewo", &["koffie"]),               // every word, the last a prefix
        ("?q=bewo%20moestuin", &[]),                       // only the last word is a prefix
        ("?q=vaste%20tafel", &["reflectie"]),              // an insight's text
        ("?q=woningnood", &["memo"]),                      // a memo's text
        ("?q=de", &["reflectie", "cooperatie", "koffie"]), // the last word as a prefix: "de", "druk"…
        ("?q=koffie%20onbekend", &[]),
        ("?q=%21%21%21", &["memo", "reflectie", "cooperatie", "koffie"]), // no words: no search
    ];
    for (q, want) in cases {
        assert_eq!(s.found(q).await, s.ids(want), "{q}");
    }
    assert_eq!(text::query_words("Één ĲSSALON straße"), ["een", "ijssalon", "strasse"]);
}

#[tokio::test]
async fn viewers_and_admins_may_not_read_notes() {
    let s = study().await;
    let path = format!("/api/v1/studies/{}/notes", s.api.study);
    for role in [Role::Viewer, Role::Admin] {
        s.api.get(&path, role).await.problem_naming(403, &["read notes"]);
        let one = format!("{path}/{}", s.ids["koffie"]);
        s.api.get(&one, role).await.problem_naming(403, &["read notes"]);
    }
    // The makelaar reads sealed text, as the researcher does.
    let v = s.list_as("?q=cafe", Role::Makelaar).await;
    assert_eq!(v["notes"][0]["text_state"], "readable");
}

#[tokio::test]
async fn bad_parameters_say_what_to_fix() {
    let s = study().await;
    let path = |q: &str| format!("/api/v1/studies/{}/notes{q}", s.api.study);
    let long = "a".repeat(201);
    s.api.get(&path(&format!("?q={long}")), Role::Researcher).await.problem_naming(400, &["q", "200"]);
    s.api.get(&path("?kind=notitie"), Role::Researcher).await.problem_naming(400, &["kind", "observation"]);
    s.api.get(&path("?area=zuid"), Role::Researcher).await.problem_naming(400, &["area"]);
    s.api.get(&path("?limit=201"), Role::Researcher).await.problem_naming(400, &["limit", "200"]);
    s.api.get(&path("?before=0"), Role::Researcher).await.problem_naming(400, &["before"]);
    s.api.get(&path("?from=2021-05-01&to=2021-01-01"), Role::Researcher).await.problem_naming(422, &["from", "to"]);
    s.api.get(&path("/niet-een-id"), Role::Researcher).await.expect(400);
    let not_a_note =
        s.api.append_ok(Role::Researcher, &[ev("code:x", "CodeDefined", "2021-06-01", json!({"name": "x"}))]).await;
    let id = not_a_note[0]["id"].as_str().unwrap();
    s.api.get(&path(&format!("/{id}")), Role::Researcher).await.problem_naming(404, &["no note"]);
}

#[tokio::test]
async fn a_new_note_is_found_at_once() {
    let s = study().await;
    assert!(s.found("?q=wijkagent").await.is_empty(), "the index is built");
    let n = obs(MAKELAAR_NOTES, "2021-06-01", json!({"area": "area:zuid"}), "resident:r-3", "De wijkagent kwam langs.");
    let id = n["id"].as_str().unwrap().to_string();
    s.api.append_ok(Role::Makelaar, &[n]).await;
    assert_eq!(s.found("?q=wijkagent").await, [id]);
    assert_eq!(s.list("").await["indexed_to"].as_u64(), Some(s.api.head().await));
}

#[tokio::test]
async fn an_amended_note_is_found_by_its_new_words_and_not_its_old_ones() {
    let s = study().await;
    let target = s.ids["cooperatie"].clone();
    let mut amend = ev(
        MAKELAAR_NOTES,
        "EventAmended",
        "2021-03-02",
        json!({"target": target, "reason": "verkeerde wijk", "payload": {"area": "area:zuid", "topic": "Huurders"}}),
    );
    amend["sealed"] = json!({"subjects": ["resident:r-2"], "text": "Gesprek met de huurdersvereniging over de tuin."});
    s.api.append_ok(Role::Makelaar, &[amend]).await;
    assert!(s.found("?q=financien").await.is_empty(), "the old words are gone");
    assert_eq!(s.found("?q=huurdersvereniging").await, vec![target.clone()]);
    assert_eq!(s.found("?q=huurders").await, vec![target.clone()], "the new topic");
    assert_eq!(s.found("?area=area:oost").await, Vec::<String>::new(), "the new area");
    let v = s.list("?q=huurdersvereniging").await;
    assert_eq!(v["notes"][0]["revision"], 1);
    assert_eq!(v["notes"][0]["text"], "Gesprek met de huurdersvereniging over de tuin.");

    // An amendment without a sealed part keeps the text.
    let amend = ev(
        MAKELAAR_NOTES,
        "EventAmended",
        "2021-03-03",
        json!({"target": target, "reason": "gebied", "payload": {"area": "area:oost"}}),
    );
    s.api.append_ok(Role::Makelaar, &[amend]).await;
    assert_eq!(s.found("?q=huurdersvereniging&area=area:oost").await, vec![target.clone()]);
    assert_eq!(s.found("?q=tuin%20huurders&area=area:oost").await, vec![target.clone()], "the sealed text stays");
    assert!(s.found("?q=huurders%20tuin").await.is_empty(), "the topic went");

    // The newest note amended, keeping some of its words (at the end of a build's postings).
    let last =
        obs(MAKELAAR_NOTES, "2021-06-01", json!({"area": "area:zuid"}), "resident:r-5", "Buurtfeest op het plein.");
    let last_id = last["id"].as_str().unwrap().to_string();
    s.api.append_ok(Role::Makelaar, &[last]).await;
    let mut amend = ev(
        MAKELAAR_NOTES,
        "EventAmended",
        "2021-06-02",
        json!({"target": last_id, "reason": "x", "payload": {"area": "area:zuid"}}),
    );
    amend["sealed"] = json!({"subjects": ["resident:r-5"], "text": "Buurtfeest op de speelplaats."});
    s.api.append_ok(Role::Makelaar, &[amend]).await;
    assert_eq!(s.found("?q=buurtfeest").await, vec![last_id.clone()]);
    assert!(s.found("?q=plein").await.is_empty());
    // An index built from the log after the amendments (which merges them into the postings
    // once, at the end) finds the same as the live one (which applied them one by one).
    let store = s.api.store().await;
    let built = tokio::task::spawn_blocking(move || NotesIndex::build(store.as_ref()).expect("built")).await.unwrap();
    for q in
        ["financien", "huurdersvereniging", "tuin huurders", "huurders tuin", "gesprek", "buurtfeest", "plein", "op"]
    {
        let live = s.list(&format!("?q={}", q.replace(' ', "%20"))).await["total"].as_u64().unwrap();
        let query = NoteQuery { words: text::query_words(q), limit: 50, ..NoteQuery::default() };
        assert_eq!(built.search(&query, true).total, live, "{q}");
    }

    // The note with its history.
    let one =
        s.api.get(&format!("/api/v1/studies/{}/notes/{target}", s.api.study), Role::Researcher).await.json_of(200);
    let steps: Vec<&str> = one["history"].as_array().unwrap().iter().map(|h| h["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["recorded", "amended", "amended"]);
    assert_eq!(one["history"][0]["text"], "Gesprek met de coöperatie over financiën.");
    assert_eq!(one["history"][1]["reason"], "verkeerde wijk");
    assert_eq!(one["history"][2]["text"], "Gesprek met de huurdersvereniging over de tuin.");
    assert_eq!(one["revision"], 2);
}

#[tokio::test]
async fn retracted_notes_are_left_out_unless_asked_for() {
    let s = study().await;
    let retract =
        ev(MAKELAAR_NOTES, "EventRetracted", "2021-03-05", json!({"target": s.ids["koffie"], "reason": "dubbel"}));
    s.api.append_ok(Role::Makelaar, &[retract]).await;
    assert_eq!(s.found("?kind=observation").await, s.ids(&["cooperatie"]));
    assert_eq!(s.found("?kind=observation&retracted=include").await, s.ids(&["cooperatie", "koffie"]));
    assert_eq!(s.found("?retracted=only").await, s.ids(&["koffie"]));
    let v = s.list("?retracted=only").await;
    assert_eq!(v["notes"][0]["retracted"]["reason"], "dubbel");
    assert_eq!(v["notes"][0]["retracted"]["by"], "makelaar-zuid-1");
    s.api.get(&format!("/api/v1/studies/{}/notes?retracted=soms", s.api.study), Role::Researcher).await.expect(400);
}

#[tokio::test]
async fn a_forgotten_subjects_words_leave_the_index() {
    let s = study().await;
    assert_eq!(s.found("?q=cafe").await, s.ids(&["koffie"]), "the index is built before the forget");
    let forget = format!("/api/v1/studies/{}/subjects/resident:r-1/forget", s.api.study);
    s.api.post(&forget, Role::Admin, &json!({"reason": "verzoek"})).await.expect(200);
    assert!(s.found("?q=cafe").await.is_empty(), "the forgotten text's words are gone");
    assert!(s.found("?q=druk").await.is_empty());
    // The note stays, with its open fields, its text forgotten and its coded passages gone.
    assert_eq!(s.found("?q=koffieochtend").await, s.ids(&["koffie"]), "the open topic stays");
    let n = &s.list("?initiative=initiative:moestuin").await["notes"][0];
    assert_eq!(n["text_state"], "forgotten");
    assert_eq!(n["text"], Value::Null);
    assert_eq!(n["excerpts"], json!([]));
    assert!(s.found("?code=code:eenzaamheid").await.is_empty(), "codes on forgotten text are forgotten with it");
    // Others' text is still found.
    assert_eq!(s.found("?q=financien").await, s.ids(&["cooperatie"]));
}

#[tokio::test]
async fn a_merged_code_finds_the_notes_of_the_codes_merged_into_it() {
    let s = study().await;
    let merge = ev("code:sociaal", "CodesMerged", "2021-06-01", json!({"merged": "code:eenzaamheid"}));
    s.api.append_ok(Role::Researcher, &[merge]).await;
    assert_eq!(s.found("?code=code:sociaal").await, s.ids(&["koffie"]));
    assert_eq!(s.found("?code=code:eenzaamheid").await, s.ids(&["koffie"]));
    let n = &s.list("?code=code:sociaal").await["notes"][0];
    assert_eq!(
        n["excerpts"][0]["codes"],
        json!([{"id": "code:sociaal", "name": "sociaal"}]),
        "shown as the code it is now"
    );
}

#[tokio::test]
async fn csv_has_a_header_and_quotes_commas_quotes_and_line_breaks() {
    let s = study().await;
    let path = format!("/api/v1/studies/{}/notes?format=csv&kind=memo&lang=en", s.api.study);
    let r = s.api.get(&path, Role::Researcher).await;
    r.expect(200);
    assert_eq!(r.content_type(), "text/csv; charset=utf-8");
    let disposition = r.headers.get("content-disposition").unwrap().to_str().unwrap();
    assert_eq!(disposition, "attachment; filename=\"zwolle-zuid-notes.csv\"");
    let body = r.text();
    assert!(!body.starts_with('\u{feff}'), "no byte order mark");
    let (header, rest) = body.split_once("\r\n").unwrap();
    assert!(header.starts_with("position,id,date,kind,kind_label,author"), "{header}");
    assert!(rest.contains("\"Woningnood, zegt men, \"\"blijft\"\".\nTweede regel.\""), "{rest}");
    assert!(rest.contains(",wonen,"), "codes by name: {rest}");
    assert!(rest.ends_with("\r\n"));
    // Every note found, in as many rows (a record may span lines inside quotes).
    let all = s.api.get(&format!("/api/v1/studies/{}/notes?format=csv", s.api.study), Role::Researcher).await;
    let records = all.text().matches("\r\n").count();
    assert_eq!(records, 1 + 4, "{}", all.text());
    // Text typed by people is never run as a formula by the spreadsheet (as in the views' CSV).
    let memo = ev("memo:formule", "MemoWritten", "2021-05-02", json!({"title": "Som", "text": "=SUM(A1:A9)"}));
    s.api.append_ok(Role::Researcher, &[memo]).await;
    let r = s.api.get(&format!("/api/v1/studies/{}/notes?format=csv&kind=memo", s.api.study), Role::Researcher).await;
    assert!(r.text().contains(",'=SUM(A1:A9),"), "a formula gets a ' before it: {}", r.text());
}

#[tokio::test]
async fn only_the_author_or_a_researcher_corrects_a_note() {
    let s = study().await;
    // The researcher writes a note into the makelaar's own stream; the makelaar may not
    // withdraw it, the researcher may.
    let theirs =
        obs(MAKELAAR_NOTES, "2021-06-01", json!({"area": "area:zuid"}), "resident:r-4", "Door de onderzoeker.");
    let id = theirs["id"].as_str().unwrap().to_string();
    s.api.append_ok(Role::Researcher, &[theirs]).await;
    let retract = ev(MAKELAAR_NOTES, "EventRetracted", "2021-06-02", json!({"target": id, "reason": "niet van mij"}));
    s.api
        .append(Role::Makelaar, std::slice::from_ref(&retract))
        .await
        .problem_naming(403, &["author", "onderzoeker-1"]);
    let amend = ev(MAKELAAR_NOTES, "EventAmended", "2021-06-02", json!({"target": id, "reason": "x", "payload": {}}));
    s.api.append(Role::Makelaar, &[amend]).await.problem_naming(403, &["author"]);
    s.api.append_ok(Role::Researcher, &[retract]).await;
    // The makelaar corrects their own note.
    let own =
        ev(MAKELAAR_NOTES, "EventRetracted", "2021-06-02", json!({"target": s.ids["koffie"], "reason": "dubbel"}));
    s.api.append_ok(Role::Makelaar, &[own]).await;
    // And a researcher anyone's.
    let theirs = ev(
        MAKELAAR_NOTES,
        "EventAmended",
        "2021-06-03",
        json!({"target": s.ids["cooperatie"], "reason": "y", "payload": {"area": "area:zuid"}}),
    );
    s.api.append_ok(Role::Researcher, &[theirs]).await;
    // But not a kind the role may not write: no one retracts a forget.
    let forget = format!("/api/v1/studies/{}/subjects/resident:r-4/forget", s.api.study);
    let forgot = s.api.post(&forget, Role::Admin, &json!({"reason": "verzoek"})).await.json_of(200);
    let undo =
        ev("privacy:subjects", "EventRetracted", "2021-06-04", json!({"target": forgot["id"], "reason": "terug"}));
    s.api.append(Role::Researcher, &[undo]).await.problem_naming(403, &["may not correct a SubjectForgotten"]);
}

// ---- the index as a library: paging over a generated study, the leak rule ------------------

#[test]
fn pages_have_no_gaps_and_no_repeats_and_total_is_right() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::init(dir.path()).unwrap();
    let mut g = parlog_tests::gen::Generator::new(4_000, parlog_tests::gen::SEED);
    parlog_tests::gen::append(&store, &mut g, 4_000, |_| {}).unwrap();
    let ix = NotesIndex::build(&store).unwrap();
    assert!(ix.len() > 1_000, "{} notes", ix.len());
    for words in [vec![], vec!["buurt".to_string()], vec!["ge".to_string()]] {
        let all = ix.search(&NoteQuery { words: words.clone(), limit: usize::MAX, ..NoteQuery::default() }, true);
        assert_eq!(all.total as usize, all.docs.len());
        assert!(all.total > 0, "{words:?}");
        let mut seen = Vec::new();
        let mut before = None;
        loop {
            let page = ix.search(&NoteQuery { words: words.clone(), limit: 37, before, ..NoteQuery::default() }, true);
            assert_eq!(page.total, all.total, "the total does not change with the cursor");
            seen.extend(page.docs.iter().copied());
            match page.next_before {
                Some(b) => before = Some(b),
                None => break,
            }
        }
        assert_eq!(seen, all.docs, "{words:?}: pages in order, none twice, none left out");
        let unique: BTreeSet<u32> = seen.iter().copied().collect();
        assert_eq!(unique.len(), seen.len());
    }
    // The integrator's helpers: a note's length and its coded passages.
    let coded = ix.positions().find(|&p| !ix.coded_at(p).is_empty()).expect("a coded note");
    let passages = ix.coded_at(coded);
    assert!(!passages[0].coder.is_empty() && !passages[0].codes.is_empty());
    assert!(ix.text_chars_at(coded).is_some());
    store.close();
}

/// The leak rule: a reader who may not read sealed text does not find a note by its sealed
/// words, and sees its text as withheld.
#[test]
fn sealed_words_are_not_found_by_a_reader_who_may_not_read_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::init(dir.path()).unwrap();
    let e =
        obs(RESEARCHER_NOTES, "2021-02-01", json!({"topic": "openbaar onderwerp"}), "resident:r-9", "Het geheimwoord.");
    let mut e = e;
    e["author"] = json!("onderzoeker-1");
    let new = parlog_core::NewEvent::from_json(&e.to_string(), &parlog_core::AuthorSource::FromBody).unwrap();
    store.append(vec![new]).unwrap();
    let ix = NotesIndex::build(&store).unwrap();
    let q = |w: &str| NoteQuery { words: text::query_words(w), limit: 10, ..NoteQuery::default() };
    assert_eq!(ix.search(&q("geheimwoord"), true).total, 1);
    assert_eq!(ix.search(&q("geheimwoord"), false).total, 0, "sealed words are not searched for this reader");
    assert_eq!(ix.search(&q("geheim"), false).total, 0, "nor by a prefix");
    assert_eq!(ix.search(&q("openbaar"), false).total, 1, "open words are");
    let found = ix.search(&q("openbaar"), false);
    let n = ix.note_json(&store, found.docs[0], false, parlog_core::Lang::Nl).unwrap().unwrap();
    assert_eq!(n["text_state"], "withheld");
    assert_eq!(n["text"], Value::Null);
    store.close();
}

// ---- the command line ----------------------------------------------------------------------

#[test]
fn parlog_notes_lists_searches_and_exports_in_dutch_and_english() {
    let t = cli_support::setup();
    t.init();
    let events = [
        json!({"stream": "participant:makelaar-1", "kind": "ParticipantRegistered", "occurred_at": "2022-01-03T09:00:00+01:00", "author": "onderzoeker-1", "payload": {"label": "makelaar Noord", "role": "makelaar"}}),
        json!({"stream": "area:noord", "kind": "AreaDefined", "occurred_at": "2022-01-03T09:00:00+01:00", "author": "onderzoeker-1", "payload": {"name": "Noord", "kind": "district"}}),
        json!({"stream": "notes:makelaar-1", "kind": "ObservationRecorded", "occurred_at": "2022-02-01T10:00:00+01:00", "author": "makelaar-1", "payload": {"area": "area:noord"}, "sealed": {"subjects": ["resident:r-1"], "text": "Eerste regel over het café.\nTweede regel."}}),
        json!({"stream": "notes:makelaar-1", "kind": "ObservationRecorded", "occurred_at": "2022-02-02T10:00:00+01:00", "author": "makelaar-1", "payload": {"area": "area:noord"}, "sealed": {"subjects": ["resident:r-2"], "text": "Over de speeltuin, met \"quotes\", en komma's."}}),
        json!({"stream": "memo:m-1", "kind": "MemoWritten", "occurred_at": "2022-02-03T10:00:00+01:00", "author": "onderzoeker-1", "payload": {"title": "Memo", "text": "Een memo."}}),
    ];
    let ndjson: String = events.iter().map(|e| format!("{e}\n")).collect();
    t.run_stdin(&["append", "-"], &ndjson).success();

    let nl = t.ok(&["notes", "--search", "CAFE"]);
    assert!(nl.contains("veldnotitie") && nl.contains("Eerste regel over het café."), "{nl}");
    assert!(!nl.contains("Tweede regel"), "only the first line: {nl}");
    assert!(nl.contains("1 van 1 notitie"), "{nl}");
    let paged = t.ok(&["notes", "--limit", "2"]);
    assert!(paged.contains("2 van 3 notities") && paged.contains("--before"), "{paged}");
    let en = t.ok(&["--lang", "en", "notes", "--area", "area:noord"]);
    assert!(en.contains("field note") && en.contains("Noord") && en.contains("2 of 2 notes"), "{en}");
    let json: Value = serde_json::from_str(&t.ok(&["notes", "--kind", "memo", "--json"])).unwrap();
    assert_eq!(json["total"], 1);
    assert_eq!(json["notes"][0]["title"], "Memo");
    let csv = t.ok(&["notes", "--format", "csv", "--search", "speeltuin"]);
    assert!(csv.starts_with("position,id,date,"), "{csv}");
    assert!(csv.contains("\"Over de speeltuin, met \"\"quotes\"\", en komma's.\""), "{csv}");
    let bad = t.run(&["notes", "--from", "2022-03-01", "--to", "2022-01-01"]).code(2);
    assert!(bad.stderr.contains("--from") && bad.stderr.contains("--to"), "{}", bad.stderr);
    let bad = t.run(&["notes", "--kind", "notitie"]).code(2);
    assert!(bad.stderr.contains("--kind"), "{}", bad.stderr);
}

/// The same on PostgreSQL (skipped, saying so, without a server): the notes are read and unsealed
/// through the database's store.
#[test]
fn parlog_notes_works_on_postgres() {
    let Some(db) = parlog_tests::pg::test_db() else { return };
    let t = cli_support::setup();
    let url = db.url.clone();
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut all = vec!["--store", url.as_str()];
        all.extend_from_slice(args);
        t.run_at(t.data(), &all, stdin)
    };
    run(&["init"], None).success();
    run(&["study", "create", "veenhoven", "--name", "Makelen in Veenhoven", "--municipality", "Veenhoven"], None)
        .success();
    let events = [
        json!({"stream": "area:dorp", "kind": "AreaDefined", "occurred_at": "2022-01-03T09:00:00+01:00", "author": "onderzoeker-1", "payload": {"name": "Dorp", "kind": "district"}}),
        json!({"stream": "notes:makelaar-1", "kind": "ObservationRecorded", "occurred_at": "2022-02-01T10:00:00+01:00", "author": "makelaar-1", "payload": {"area": "area:dorp"}, "sealed": {"subjects": ["resident:r-1"], "text": "Het dorpshuis zoekt vrijwilligers."}}),
    ];
    let ndjson: String = events.iter().map(|e| format!("{e}\n")).collect();
    run(&["append", "-"], Some(&ndjson)).success();
    let out = run(&["--lang", "en", "notes", "--search", "dorpsh"], None).success().stdout;
    assert!(out.contains("Het dorpshuis zoekt vrijwilligers.") && out.contains("1 of 1 note"), "{out}");
    run(&["forget", "resident:r-1", "--by", "onderzoeker-1", "--yes"], None).success();
    let out = run(&["--lang", "en", "notes", "--search", "dorpshuis"], None).success().stdout;
    assert!(out.contains("0 of 0 notes"), "{out}");
}
