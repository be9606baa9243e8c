//! Studies on the command line, black-box: each study its own log, chain and keys; choosing a
//! study; archiving; a folder of the previous release read as it is; comparing studies.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cli_support::{repo_file, setup, study_dir, CliTest};
use crate::support::{base_chain, files_under, subject_keys};

fn ndjson(events: &[Value]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}

fn digests(dir: &Path) -> BTreeMap<PathBuf, blake3::Hash> {
    files_under(dir).into_iter().map(|f| (f.clone(), blake3::hash(&std::fs::read(&f).expect("readable")))).collect()
}

/// `digests` of every file but sled's: sled rewrites its own files whenever a store is opened
/// (they are indexes, rebuilt from the log); every other file must stay byte for byte.
fn parlogs_files(dir: &Path) -> BTreeMap<PathBuf, blake3::Hash> {
    digests(dir).into_iter().filter(|(f, _)| !f.starts_with(dir.join("sled"))).collect()
}

/// A data folder with two studies, `delft` and `zwolle`, each holding `base_chain` (the same
/// events, the same subject `resident:r-1`) under its own slug.
fn two_studies() -> CliTest {
    let t = setup().english();
    t.ok(&["init"]);
    t.ok(&["study", "create", "delft", "--name", "Wijkverbinder Delft", "--municipality", "Delft"]);
    t.ok(&["study", "create", "zwolle", "--name", "Buurtverbinder Zwolle", "--municipality", "Zwolle"]);
    for s in ["delft", "zwolle"] {
        t.run_stdin(&["--study", s, "append"], &ndjson(&base_chain())).success();
    }
    t
}

/// A table of the command line without its heading (its first line).
fn without_heading(table: &str) -> &str {
    table.split_once('\n').map_or("", |(_, rest)| rest)
}

fn head_hash(t: &CliTest, study: &str) -> String {
    let out = t.ok(&["--study", study, "verify"]);
    out.split("head ").nth(1).and_then(|r| r.split(';').next()).expect("verify names the head").to_string()
}

#[test]
fn each_study_has_its_own_log_positions_and_chain() {
    let t = two_studies();
    let list = t.ok(&["study", "list"]);
    assert!(list.contains("delft\tWijkverbinder Delft\tDelft\tactive\tstudies/delft"), "{list}");
    assert!(list.contains("zwolle\tBuurtverbinder Zwolle\tZwolle\tactive\tstudies/zwolle"), "{list}");
    for s in ["delft", "zwolle"] {
        let log = t.ok(&["--study", s, "log", "--json"]);
        let positions: Vec<u64> =
            log.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["position"].as_u64().unwrap()).collect();
        assert_eq!(positions, [1, 2, 3, 4], "each study's positions start at 1: {s}");
    }
    // The same events, recorded in two studies, are two chains: their times differ, and so do
    // their hashes; each verifies on its own.
    assert_ne!(head_hash(&t, "delft"), head_hash(&t, "zwolle"));
    // PARLOG_STUDY does what --study does.
    let run = t.run_env(t.data(), &["log", "--limit", "1"], &[("PARLOG_STUDY", "zwolle")]).success();
    assert!(run.stdout.contains("StudyStarted"), "{}", run.stdout);
    // Appending to one leaves the other as it was.
    let before = digests(&t.data().join("studies/zwolle"));
    t.run_stdin(&["--study", "delft", "append"], &ndjson(&base_chain()[1..2])).code(2);
    let note = crate::support::observation("notes:m1", "area:noord", &["resident:r-1"], "Nog een notitie.");
    t.run_stdin(&["--study", "delft", "append"], &ndjson(&[note])).success();
    assert_eq!(digests(&t.data().join("studies/zwolle")), before, "an append to delft touches no file of zwolle");
    t.ok(&["verify"]);
}

#[test]
fn without_study_a_command_needs_the_folder_to_hold_one() {
    let t = two_studies();
    t.run(&["log"]).code(2).stderr_has(&["2 studies", "delft", "zwolle", "--study"]);
    t.run(&["--study", "utrecht", "log"]).code(2).stderr_has(&["no study \"utrecht\"", "delft, zwolle"]);
    t.run(&["--study", "Not A Slug", "log"]).code(2).stderr_has(&["study slug"]);
    t.run(&["study", "create", "delft", "--name", "Nog eens"]).code(2).stderr_has(&["exists already"]);
    t.run(&["study", "create", "Delft!", "--name", "x"]).code(2).stderr_has(&["SLUG", "lower-case"]);
    t.run(&["study", "create", "utrecht", "--name", " "]).code(2).stderr_has(&["name"]);
    assert!(!t.data().join("studies/utrecht").exists(), "a refused create leaves no folder");
    let list = t.ok(&["study", "list"]);
    assert_eq!(without_heading(&list).lines().count(), 2, "{list}");
}

#[test]
fn a_forget_in_one_study_never_reaches_another() {
    let t = two_studies();
    t.ok(&["--study", "delft", "forget", "resident:r-1", "--by", "onderzoeker-1", "--yes"]);
    let has_key = |s: &str| subject_keys(&t.data().join("studies").join(s)).iter().any(|(k, _)| k == "resident:r-1");
    assert!(!has_key("delft"), "the key is destroyed in delft");
    assert!(has_key("zwolle"), "zwolle keeps its own key for the same subject id");
    let note = |s: &str| {
        let log = t.ok(&["--study", s, "log", "--json", "--kind", "ObservationRecorded"]);
        let id =
            serde_json::from_str::<Value>(log.lines().next().unwrap()).unwrap()["id"].as_str().unwrap().to_string();
        t.ok(&["--study", s, "show", &id, "--json"])
    };
    assert!(!note("delft").contains("De bewoner vertelde"), "forgotten in delft");
    assert!(note("zwolle").contains("De bewoner vertelde"), "still readable in zwolle");
    t.ok(&["verify"]);
}

#[test]
fn an_archived_study_reads_and_takes_no_more_events() {
    let t = two_studies();
    t.run(&["study", "archive", "utrecht"]).code(2).stderr_has(&["no study utrecht"]);
    t.ok(&["study", "archive", "zwolle"]);
    t.ok(&["study", "archive", "zwolle"]);
    let list = t.ok(&["study", "list"]);
    assert!(list.lines().any(|l| l.starts_with("zwolle\t") && l.contains("archived ")), "{list}");
    let before = digests(&study_dir_of(&t, "zwolle"));
    let note = crate::support::observation("notes:m1", "area:noord", &["resident:r-1"], "Te laat.");
    t.run_stdin(&["--study", "zwolle", "append"], &ndjson(std::slice::from_ref(&note)))
        .code(2)
        .stderr_has(&["archived"]);
    t.run(&["--study", "zwolle", "demo"]).code(2).stderr_has(&["archived"]);
    assert_eq!(digests(&study_dir_of(&t, "zwolle")), before, "a refused append changes nothing");
    t.ok(&["--study", "zwolle", "log"]);
    t.ok(&["--study", "zwolle", "export"]);
    t.ok(&["--study", "zwolle", "verify"]);
    t.ok(&["--study", "zwolle", "project", "directory"]);
    // A data subject's right to be forgotten does not end with the study.
    t.ok(&["--study", "zwolle", "forget", "resident:r-1", "--by", "onderzoeker-1", "--yes"]);
    // The other study goes on.
    t.run_stdin(&["--study", "delft", "append"], &ndjson(&[note])).success();
}

/// A create interrupted between the study's folder and its registry entry leaves an empty store
/// in `studies/<slug>/`: the next create of that slug takes it over. A folder there that holds
/// events is not taken over: it is someone's data.
#[test]
fn an_interrupted_create_is_taken_over_and_a_folder_with_events_is_not() {
    let t = two_studies();
    let options = parlog_core::StoreOptions::from_env(t.data());
    parlog_core::SledStore::init_with(&t.data().join("studies/utrecht"), &options).expect("an empty store").close();
    t.ok(&["verify"]);
    t.ok(&["study", "create", "utrecht", "--name", "Utrecht"]);
    assert!(t.ok(&["study", "list"]).contains("utrecht\tUtrecht\t"));

    let orphan = t.data().join("studies/leiden");
    let store = parlog_core::SledStore::init_with(&orphan, &options).expect("a store");
    crate::support::append(&store, &base_chain());
    store.close();
    let before = parlogs_files(&orphan);
    t.run(&["study", "create", "leiden", "--name", "Leiden"])
        .code(2)
        .stderr_has(&["holds events", "not in the registry"]);
    assert_eq!(parlogs_files(&orphan), before, "the refused create changed nothing in the folder");
    assert!(!t.ok(&["study", "list"]).contains("leiden"));
}

fn study_dir_of(t: &CliTest, slug: &str) -> PathBuf {
    t.data().join("studies").join(slug)
}

#[test]
fn verify_names_the_study_where_damage_is() {
    let t = two_studies();
    let log = study_dir_of(&t, "zwolle").join("log");
    let mut bytes = std::fs::read(&log).unwrap();
    let offset = parlog_tests::frame_offset(&bytes, 2);
    bytes[offset + 20] ^= 0x01;
    std::fs::write(&log, bytes).unwrap();
    let run = t.run(&["verify"]).code(1);
    assert!(run.stdout.contains("study delft:") && run.stdout.contains("study zwolle:"), "{}", run.stdout);
    let zwolle = run.stderr.find("damaged").expect("a finding");
    assert!(run.stderr[zwolle..].contains("position 2"), "{}", run.stderr);
    t.ok(&["--study", "delft", "verify"]);
}

#[test]
fn tokens_have_a_role_per_study() {
    let t = two_studies();
    // A token acts as a participant the study registers; base_chain registers m1.
    t.run(&["--study", "delft", "token", "create", "--participant", "onderzoeker-1", "--role", "researcher"])
        .code(2)
        .stderr_has(&["study delft has no participant onderzoeker-1", "It registers 1: m1."]);
    t.run_stdin(
        &["--study", "delft", "append"],
        &serde_json::json!({"stream": "participant:onderzoeker-1", "kind": "ParticipantRegistered",
            "occurred_at": "2024-03-02T09:00:00+01:00", "author": "m1",
            "payload": {"label": "onderzoeker 1", "role": "researcher"}})
        .to_string(),
    )
    .success();
    let token =
        t.ok(&["--study", "delft", "token", "create", "--participant", "onderzoeker-1", "--role", "researcher"]);
    let id = token.trim().strip_prefix("plg_").and_then(|r| r.split_once('_')).unwrap().0.to_string();
    t.ok(&["--study", "zwolle", "token", "grant", &id, "--role", "viewer"]);
    let list = t.ok(&["token", "list"]);
    assert!(list.contains(&format!("{id}\tonderzoeker-1\tdelft:researcher,zwolle:viewer\t")), "{list}");
    t.ok(&["--study", "delft", "token", "ungrant", &id]);
    t.run(&["--study", "delft", "token", "ungrant", &id]).code(2).stderr_has(&["no role in study delft"]);
    t.run(&["--study", "utrecht", "token", "grant", &id, "--role", "viewer"]).code(2).stderr_has(&["no study"]);
    t.run(&["token", "create", "--participant", "x-1", "--role", "viewer"]).code(2).stderr_has(&["--study"]);
    let admin = t.ok(&["token", "create", "--participant", "beheer-1", "--institute-admin"]);
    assert!(admin.starts_with("plg_"));
    let list = t.ok(&["token", "list"]);
    assert!(list.contains("\tbeheer-1\tinstitute-admin\t"), "{list}");
    assert!(list.contains(&format!("{id}\tonderzoeker-1\tzwolle:viewer\t")), "{list}");
}

#[test]
fn compare_shows_studies_side_by_side_in_their_own_words() {
    let t = setup().english();
    t.ok(&["demo"]);
    t.ok(&["study", "create", "zwolle", "--name", "Buurtverbinder Zwolle", "--municipality", "Zwolle"]);
    let zwolle = repo_file("tests/data/zwolle.json");
    t.ok(&["--study", "zwolle", "demo", "--file", zwolle.to_str().unwrap()]);
    let md = t.ok(&["compare", "--studies", "gouda,zwolle", "--format", "md"]);
    assert!(md.contains("[gouda #") && md.contains("[zwolle #"), "every statement cites its study:\n{md}");
    assert!(md.contains("Buurtverbinder Zwolle") && md.contains("Sociaal makelaar Gouda"), "{md}");
    let en = t.ok(&["compare", "--studies", "zwolle,gouda", "--format", "md", "--lang", "en"]);
    assert!(en.contains("Studies compared"), "{en}");
    let json: Value =
        serde_json::from_str(&t.ok(&["compare", "--studies", "gouda,zwolle", "--format", "json"])).unwrap();
    assert_eq!(json["studies"].as_array().map(Vec::len), Some(2));
    let out = t.path("vergelijking.html");
    t.run(&["compare", "--studies", "gouda,zwolle", "--out", out.to_str().unwrap()]).success().stderr_has(&["wrote"]);
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"), "{}", &html[..80]);
    assert!(!html.contains("<script"), "one file without scripts");
    // The same request gives the same bytes.
    assert_eq!(t.ok(&["compare", "--studies", "gouda,zwolle", "--format", "md"]), md);
    t.run(&["compare", "--studies", "gouda,utrecht"]).code(2).stderr_has(&["no study \"utrecht\""]);
    t.run(&["compare", "--studies", "gouda,gouda"]).code(2).stderr_has(&["more than once"]);
    t.run(&["compare", "--studies", "gouda", "--format", "pdf"]).code(2).stderr_has(&["--format"]);
    t.run(&["compare", "--studies", ""]).code(2).stderr_has(&["--studies"]);
}

#[test]
fn the_demo_creates_the_study_its_log_describes_in_a_folder_without_studies() {
    let t = setup().english();
    let zwolle = repo_file("tests/data/zwolle.json");
    t.run(&["demo", "--file", zwolle.to_str().unwrap()]).success().stderr_has(&["created study zwolle"]);
    let list = t.ok(&["study", "list"]);
    let list = without_heading(&list);
    assert!(list.starts_with("zwolle\t") && list.contains("\tZwolle\t"), "named after the log, not Gouda: {list}");
    assert_eq!(study_dir(t.data()), t.data().join("studies/zwolle"));
    // Loading it again changes nothing; with one study, no --study is needed.
    t.run(&["demo", "--file", zwolle.to_str().unwrap()]).success().stdout_has(&["0 events added"]);
}

/// Unpacks the data folder made by the release before studies (see tests/data/release-1-folder.md)
/// into the test's folder; returns the folder and the two tokens it holds (researcher, admin).
fn release_1_folder(t: &CliTest) -> (PathBuf, Vec<String>) {
    let archive = repo_file("tests/data/release-1-folder.tar.gz");
    let status = std::process::Command::new("tar")
        .arg("xzf")
        .arg(&archive)
        .arg("-C")
        .arg(t.path(""))
        .status()
        .expect("tar runs");
    assert!(status.success(), "tar xzf {}", archive.display());
    let tokens = std::fs::read_to_string(t.path("release-1.tokens")).expect("the tokens");
    (t.path("release-1"), tokens.lines().map(str::to_string).collect())
}

#[test]
fn a_folder_of_the_previous_release_opens_as_one_study_read_as_it_is() {
    let t = setup().english();
    let (data, _) = release_1_folder(&t);
    let all_before = digests(&data);
    t.run_at(&data, &["verify"], None).success().stdout_has(&["ok: 642 events"]);
    assert_eq!(digests(&data), all_before, "verify changes nothing at all");
    let before = parlogs_files(&data);
    // Reading changes nothing, and needs no --study: the folder holds one study, at its root.
    let list = t.run_at(&data, &["study", "list"], None).success().stdout;
    let list = without_heading(&list);
    assert!(
        list.starts_with("gouda\tMakelen tussen team en wijk")
            && list.contains("\tGouda\tactive\tthe data folder itself"),
        "named after its log: {list}"
    );
    t.run_at(&data, &["log", "--limit", "1"], None).success();
    t.run_at(&data, &["--study", "gouda", "log", "--limit", "1"], None).success();
    t.run_at(&data, &["--study", "delft", "log"], None).code(2).stderr_has(&["no study \"delft\"", "gouda"]);
    assert_eq!(parlogs_files(&data), before, "reading commands changed a file of the old folder");

    // The first write records the study in the registry; its files stay where they are.
    let log = std::fs::read(data.join("log")).unwrap();
    t.run_at(&data, &["study", "create", "delft", "--name", "Wijkverbinder Delft", "--municipality", "Delft"], None)
        .success();
    assert_eq!(std::fs::read(data.join("log")).unwrap(), log, "the old study's log is untouched");
    let list = t.run_at(&data, &["study", "list"], None).success().stdout;
    assert!(list.lines().nth(1).unwrap().starts_with("gouda\t") && list.contains("\ndelft\t"), "{list}");
    // The old tokens keep their roles, now in study gouda; the old admin manages studies.
    let tokens = t.run_at(&data, &["token", "list"], None).success().stdout;
    assert!(tokens.contains("\tonderzoeker-tno\tgouda:researcher\t"), "{tokens}");
    assert!(tokens.contains("\tbeheerder\tgouda:admin,institute-admin\t"), "{tokens}");
    // Both studies work; the old one goes on from its head.
    t.run_at(&data, &["--study", "delft", "append"], Some(&ndjson(&base_chain()))).success();
    let gouda_note = crate::support::ev(
        "memo:na-de-overstap",
        "MemoWritten",
        serde_json::json!({"title": "Na de overstap", "text": "De studie loopt door in een map met meer studies."}),
    );
    t.run_at(&data, &["--study", "gouda", "append", "--author", "onderzoeker-tno"], Some(&ndjson(&[gouda_note])))
        .success()
        .stdout_has(&["643"]);
    t.run_at(&data, &["verify"], None).success().stdout_has(&["study gouda:", "ok: 643 events", "study delft:"]);
}
