//! The command line on PostgreSQL (`--store postgres://…`, issue 13), black-box as cli.rs is: the
//! real `parlog` binary, a temporary data folder (see cli_support.rs) and a database of its own
//! per test (`parlog_tests::pg::test_db`, which skips the test, saying so, when no server runs and
//! PARLOG_TEST_PG_REQUIRED is not 1).
//!
//! What is pinned down: every command runs on the database while the data folder keeps the
//! registry and the keys; the same events give the same hashes and the same retrospective on
//! both backends; verify changes nothing, not a row and not a file; migrate copies a study either
//! way with an equal head and never overwrites; a study only one side knows is named; and the
//! server appends and reads through the API, and answers 503 when the database is gone.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use parlog_tests::pg::{test_db, TestDb};
use serde_json::{json, Value};

use crate::api_support::{http, note};
use crate::cli_support::{setup, CliTest, Run};
use crate::server_process::start;
use crate::support::{base_chain, cycle_opened, files_under, subject_keys};

/// A test folder and a database of its own.
struct Pg {
    t: CliTest,
    db: TestDb,
}

/// `None` (the test is skipped, with a message) without a PostgreSQL server.
fn setup_pg() -> Option<Pg> {
    let db = test_db()?;
    // The messages these tests look for are the English ones (Dutch, the default: cli_lang.rs).
    Some(Pg { t: setup().english(), db })
}

impl Pg {
    fn url(&self) -> &str {
        &self.db.url
    }

    /// `parlog --data DATA --store URL ARGS`.
    fn run(&self, args: &[&str]) -> Run {
        self.run_at(self.t.data(), args, None)
    }

    fn run_at(&self, data: &Path, args: &[&str], stdin: Option<&str>) -> Run {
        let mut all = vec!["--store", self.url()];
        all.extend_from_slice(args);
        self.t.run_at(data, &all, stdin)
    }

    fn ok(&self, args: &[&str]) -> String {
        self.run(args).success().stdout
    }

    fn ok_at(&self, data: &Path, args: &[&str]) -> String {
        self.run_at(data, args, None).success().stdout
    }

    /// `init` and `study create SLUG` on the database.
    fn init_study(&self, data: &Path, slug: &str, name: &str, municipality: &str) {
        self.ok_at(data, &["init"]);
        self.ok_at(data, &["study", "create", slug, "--name", name, "--municipality", municipality]);
    }

    fn query(&self, sql: &str) -> String {
        query_text(self.url(), sql)
    }
}

/// The one text value `sql` answers on the database at `url`.
fn query_text(url: &str, sql: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("the test database");
        let driver = tokio::spawn(conn);
        let row = client.query_one(sql, &[]).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        let v: Option<String> = row.get(0);
        drop(client);
        let _ = driver.await;
        v.unwrap_or_default()
    })
}

/// Every row parlog keeps, with its row version (`xmin`), so that an update that writes the same
/// values still shows.
fn rows_digest(url: &str) -> String {
    [
        "SELECT md5(string_agg(e::text || '@' || e.xmin::text, '|' ORDER BY study, position)) FROM parlog.events e",
        "SELECT md5(string_agg(s::text || '@' || s.xmin::text, '|' ORDER BY study)) FROM parlog.studies s",
        "SELECT md5(string_agg(m::text || '@' || m.xmin::text, '|' ORDER BY version)) FROM parlog.migrations m",
    ]
    .iter()
    .map(|q| query_text(url, q))
    .collect::<Vec<_>>()
    .join(" ")
}

/// Every file under `dir` (and the master key beside it) by digest and mode.
fn files_digest(dir: &Path) -> BTreeMap<PathBuf, (blake3::Hash, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut files = files_under(dir);
    let key = parlog_core::MasterKeySource::default_file(dir);
    if key.exists() {
        files.push(key);
    }
    files
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(&f).unwrap_or_else(|e| panic!("cannot read {}: {e}", f.display()));
            let mode = std::fs::metadata(&f).expect("metadata").permissions().mode();
            (f, (blake3::hash(&bytes), mode))
        })
        .collect()
}

fn ndjson(events: &[Value]) -> String {
    events.iter().map(|e| format!("{e}\n")).collect()
}

/// `stats --json` of the study chosen.
fn stats(run: Run) -> Value {
    run.success().json()
}

/// The number of events of the built-in demo.
fn demo_events() -> u64 {
    let text = std::fs::read_to_string(crate::cli_support::repo_file("demo/gouda.json")).expect("the demo");
    serde_json::from_str::<Vec<Value>>(&text).expect("a JSON array").len() as u64
}

#[test]
fn migrate_help_says_where_the_keys_go() {
    let t = setup().english();
    t.run(&["--help"]).success().stdout_has(&["migrate", "--store"]);
    t.run(&["migrate", "--help"]).success().stdout_has(&[
        "studies/<slug>/",
        "--to-data",
        "--from-data",
        "each need a data folder of their own",
        "refused (exit 2)",
    ]);
}

#[test]
fn init_study_create_and_demo_on_postgres_then_every_command_reads_it() {
    let Some(p) = setup_pg() else { return };
    let data = p.t.data();
    p.run(&["init"]).success().stdout_has(&["PostgreSQL", "schema is ready"]);
    p.ok(&["study", "create", "gouda", "--name", "Makelen in Gouda", "--municipality", "Gouda"]);
    let n = demo_events();
    p.run(&["demo"]).success().stdout_has(&[&format!("{n} events added")]);

    // The events are rows of the database; the study's folder holds its keys, not a log.
    assert_eq!(p.query("SELECT count(*)::text FROM parlog.events WHERE study = 'gouda'"), n.to_string());
    let folder = data.join("studies/gouda");
    assert!(folder.join("keys").exists() && folder.join("keys.copy").exists(), "the keys stay in the data folder");
    assert!(!folder.join("log").exists() && !folder.join("sled").exists(), "no embedded store beside PostgreSQL");
    p.run(&["study", "list"]).success().stdout_has(&["gouda", "events in PostgreSQL"]);

    let s = stats(p.run(&["stats", "--json"]));
    assert_eq!((s["events"].as_u64(), s["store"].as_str()), (Some(n), Some("postgres")), "{s}");
    let log: Vec<Value> =
        p.ok(&["log", "--json", "--limit", "100000"]).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(log.len() as u64, n);
    assert_eq!(log.last().unwrap()["hash"], s["head_hash"]);
    let first = log[0]["id"].as_str().unwrap();
    p.run(&["show", first]).success().stdout_has(&["position:     1", first]);
    // A sealed part opens with the keys of the study's folder.
    let sealed = log.iter().find(|e| e.get("sealed").is_some_and(|s| !s.is_null())).expect("a sealed event");
    let shown = p.run(&["show", sealed["id"].as_str().unwrap(), "--json"]).success().json();
    assert!(shown["sealed"]["data"].is_object(), "the sealed part opens: {shown}");
    for name in ["cycles", "role", "initiatives", "signals", "lessons", "network", "activity", "warnings", "codebook"] {
        p.ok(&["project", name]);
    }
    p.ok(&["project", "role", "--as-of", "2016-01-01"]);
    let md = p.ok(&["retrospective"]);
    assert!(md.contains("Gouda"), "the retrospective names the study");
    let html = p.t.path("retro.html");
    p.ok(&["retrospective", "--format", "html", "--out", html.to_str().unwrap()]);
    assert!(std::fs::read_to_string(&html).unwrap().contains("<html"));
    // The projections' checkpoint is a file of the study's folder, as with the embedded store.
    assert!(folder.join("projections/checkpoint.bin").exists());

    // Commands that only the embedded store has, or the embedded store asked for this study,
    // say what to do instead.
    p.run(&["repair", "--yes"]).code(2).stderr_has(&["PostgreSQL", "keeps its own files", "verify"]);
    p.t.run(&["log"]).code(2).stderr_has(&["study gouda", "kept in PostgreSQL", "--store"]);
    p.t.run(&["--store", "mysql://db/x", "log"]).code(2).stderr_has(&["postgres://"]);
}

/// The same events give the same hashes on both backends, and projections are pure functions of
/// the log: the retrospective from PostgreSQL is byte for byte the one from a data folder.
#[test]
fn the_same_events_give_the_same_head_and_the_same_retrospective_on_both_backends() {
    let Some(p) = setup_pg() else { return };
    let sled = p.t.path("sled");
    p.t.ok_at(&sled, &["demo"]);
    let export = p.t.path("gouda.ndjson");
    p.t.ok_at(&sled, &["export", "--with-keys", "--out", export.to_str().unwrap()]);

    let data = p.t.data();
    p.init_study(data, "gouda", "Makelen in Gouda", "Gouda");
    p.run(&["import", export.to_str().unwrap()]).success().stdout_has(&["imported"]);

    let (a, b) = (stats(p.t.run_at(&sled, &["stats", "--json"], None)), stats(p.run(&["stats", "--json"])));
    assert_eq!(a["head_hash"], b["head_hash"], "the same events, the same head on both backends");
    assert_eq!(a["events"], b["events"]);
    for args in [
        &["retrospective"][..],
        &["retrospective", "--format", "html", "--lang", "en"],
        &["project", "role", "--json"],
        &["project", "initiatives", "--as-of", "2017-06-30"],
    ] {
        let (from_sled, from_pg) = (p.t.ok_at(&sled, args), p.ok(args));
        if let Some(d) = crate::cli_support::first_difference(&from_sled, &from_pg) {
            panic!("`{}` differs between the embedded store and PostgreSQL: {d}", args.join(" "));
        }
    }
}

#[test]
fn export_and_key_rotation_work_on_postgres() {
    let Some(p) = setup_pg() else { return };
    p.ok(&["demo"]);
    let head = stats(p.run(&["stats", "--json"]))["head_hash"].clone();
    // Out of the database into a data folder, keys and all.
    let export = p.t.path("gouda.ndjson");
    p.ok(&["export", "--with-keys", "--out", export.to_str().unwrap()]);
    let copy = p.t.path("copy");
    p.t.ok_at(&copy, &["init"]);
    p.t.ok_at(&copy, &["study", "create", "gouda", "--name", "Makelen in Gouda", "--municipality", "Gouda"]);
    p.t.ok_at(&copy, &["import", export.to_str().unwrap()]);
    assert_eq!(stats(p.t.run_at(&copy, &["stats", "--json"], None))["head_hash"], head);
    p.t.run_at(&copy, &["verify"], None).success().stdout_has(&["0 without a key here"]);

    // The keys in the study's key folder are rewrapped; the database is not touched.
    let rows = rows_digest(p.url());
    let new_key = p.t.path("new.master-key");
    p.run(&["keys", "rotate-master", "--new-key-file", new_key.to_str().unwrap()])
        .success()
        .stdout_has(&["study gouda: the subject keys are now wrapped"]);
    assert_eq!(rows_digest(p.url()), rows);
    p.run(&["--master-key-file", new_key.to_str().unwrap(), "verify"]).success();
    p.run(&["verify"]).code(1);
}

#[test]
fn verify_on_postgres_passes_and_changes_no_row_and_no_file() {
    let Some(p) = setup_pg() else { return };
    let data = p.t.data();
    p.ok(&["demo"]);
    p.ok(&["forget", "resident:r-025", "--by", "onderzoeker-tno", "--yes"]);
    p.ok(&["project", "role"]);
    let (rows, files) = (rows_digest(p.url()), files_digest(data));
    let n = demo_events() + 1;
    p.run(&["verify"]).success().stdout_has(&[&format!("ok: {n} events"), "subject keys", "PostgreSQL"]);
    p.run(&["--study", "gouda", "verify"]).success();
    assert_eq!(rows_digest(p.url()), rows, "verify changed a row of the database");
    assert_eq!(files_digest(data), files, "verify changed a file of the data folder");
}

#[test]
fn forget_on_postgres_asks_nothing_and_removes_the_ciphertext_and_the_key() {
    let Some(p) = setup_pg() else { return };
    p.init_study(p.t.data(), "proef", "Proefonderzoek", "Proefstad");
    let mut events = base_chain();
    let id = "0b1c2d3e-4f50-4617-8829-3a4b5c6d7e8f";
    events[3]["id"] = json!(id);
    p.run_at(p.t.data(), &["append"], Some(&ndjson(&events))).success();
    p.run(&["show", id]).success().stdout_has(&["De bewoner vertelde over de speeltuin."]);
    let keys = p.t.data().join("studies/proef");
    assert!(subject_keys(&keys).iter().any(|(s, _)| s == "resident:r-1"));

    // Standard input is not a terminal here: a command that asked would fail.
    p.run(&["forget", "resident:r-1", "--by", "onderzoeker-1", "--reason", "verzoek", "--yes"])
        .success()
        .stdout_has(&["forgot resident:r-1", "position 5"]);
    p.run(&["show", id]).success().stdout_has(&["forgotten", "onderzoeker-1"]);
    assert_eq!(p.query("SELECT count(*)::text FROM parlog.events WHERE ciphertext IS NOT NULL"), "0");
    assert!(!subject_keys(&keys).iter().any(|(s, _)| s == "resident:r-1"), "the key left the key folder");
    p.run(&["forget", "resident:r-1", "--by", "onderzoeker-1", "--yes"]).success().stdout_has(&["already forgotten"]);
    p.run(&["verify"]).success();
}

#[test]
fn migrate_copies_a_study_to_postgres_and_back_with_the_same_head_and_never_overwrites() {
    let Some(p) = setup_pg() else { return };
    let sled = p.t.data().to_path_buf();
    p.t.ok(&["demo"]);
    p.t.ok(&["forget", "resident:r-040", "--by", "onderzoeker-tno", "--yes"]);
    let head = stats(p.t.run(&["stats", "--json"]))["head_hash"].as_str().unwrap().to_string();
    let (url, pgdata, back) = (p.url().to_string(), p.t.path("pgdata"), p.t.path("back"));
    let (pgdata_s, back_s, sled_s) = (pgdata.to_str().unwrap(), back.to_str().unwrap(), sled.to_str().unwrap());

    // One data folder cannot be both sides: studies/<slug>/ is the log on one and the keys on
    // the other.
    p.t.run(&["migrate", "--from", sled_s, "--to", &url]).code(2).stderr_has(&["share the data folder", "--to-data"]);
    p.t.run(&["migrate", "--from", sled_s, "--from-data", pgdata_s, "--to", &url, "--to-data", pgdata_s])
        .code(2)
        .stderr_has(&["--from-data is for a postgres:// --from only"]);
    assert_eq!(p.query("SELECT coalesce(to_regclass('parlog.events')::text, '')"), "", "nothing was made");

    // Into PostgreSQL: the keys go to the key folder of the target's data folder.
    p.t.run(&["migrate", "--from", sled_s, "--to", &url, "--to-data", pgdata_s]).success().stdout_has(&[
        "study gouda",
        "on both sides",
        &head,
    ]);
    let on_pg = stats(p.run_at(&pgdata, &["stats", "--json"], None));
    assert_eq!(on_pg["head_hash"], json!(head));
    assert_eq!(on_pg["store"], "postgres");
    p.run_at(&pgdata, &["study", "list"], None).success().stdout_has(&["gouda", "events in PostgreSQL"]);
    p.run_at(&pgdata, &["verify"], None).success();
    assert!(pgdata.join("studies/gouda/keys").exists());

    // Never over a study that has events: refused before anything is written.
    let (rows, files) = (rows_digest(&url), files_digest(&pgdata));
    p.t.run(&["migrate", "--from", sled_s, "--to", &url, "--to-data", pgdata_s]).code(2).stderr_has(&[
        "study gouda",
        "already holds it",
        "never overwrites",
        "nothing was changed",
    ]);
    assert_eq!((rows_digest(&url), files_digest(&pgdata)), (rows, files), "the refused migrate changed the target");

    // And back into a new data folder.
    p.t.run(&["migrate", "--from", &url, "--from-data", pgdata_s, "--to", back_s]).success().stdout_has(&[&head]);
    let on_back = stats(p.t.run_at(&back, &["stats", "--json"], None));
    assert_eq!((on_back["head_hash"].as_str(), on_back["store"].as_str()), (Some(head.as_str()), Some("sled")));
    let sealed = |out: String| out.split("sealed parts:").nth(1).map(str::to_string).expect("a verify report");
    let verified = sealed(p.t.ok_at(&back, &["verify"]));
    assert_eq!(verified, sealed(p.t.ok(&["verify"])), "the sealed parts open, and the forgotten stay forgotten");
    // The same chain: the same retrospective, and the sealed parts open with the keys that came along.
    assert_eq!(p.t.ok_at(&back, &["retrospective"]), p.t.ok(&["retrospective"]));
    let before = files_digest(&back);
    p.t.run(&["migrate", "--from", &url, "--from-data", pgdata_s, "--to", back_s])
        .code(2)
        .stderr_has(&["never overwrites"]);
    assert_eq!(files_digest(&back), before, "the refused migrate changed the folder");
}

/// A copy that stopped half way (here: the target's registry entry, written last, is missing)
/// is a beginning of the source's chain; running migrate again goes on from there. Another
/// study of that name, with other events, is still refused.
#[test]
fn migrate_goes_on_with_an_interrupted_copy_and_refuses_another_chain() {
    let Some(p) = setup_pg() else { return };
    let sled = p.t.data().to_path_buf();
    p.t.ok(&["demo"]);
    let (url, pgdata) = (p.url().to_string(), p.t.path("pgdata"));
    let (pgdata_s, sled_s) = (pgdata.to_str().unwrap(), sled.to_str().unwrap());
    // A partial copy: the first 100 events, in a study the target's registry does not list.
    let export = p.t.path("all.ndjson");
    p.t.ok(&["export", "--with-keys", "--out", export.to_str().unwrap()]);
    let text = std::fs::read_to_string(&export).unwrap();
    let mut lines: Vec<String> = text.lines().take(101).map(str::to_string).collect();
    let mut header: Value = serde_json::from_str(&lines[0]).unwrap();
    header["events"] = json!(100);
    lines[0] = header.to_string();
    let partial = p.t.write("partial.ndjson", &(lines.join("\n") + "\n"));
    p.init_study(&pgdata, "gouda", "Makelen in Gouda", "Gouda");
    p.run_at(&pgdata, &["import", partial.to_str().unwrap()], None).success();
    std::fs::remove_file(pgdata.join("tokens")).unwrap();

    p.t.run(&["migrate", "--from", sled_s, "--to", &url, "--to-data", pgdata_s])
        .success()
        .stderr_has(&["interrupted copy"])
        .stdout_has(&["on both sides"]);
    p.run_at(&pgdata, &["verify"], None).success();

    // Another chain under the same name in another data folder's registry-less study: refused.
    let other = p.t.path("other");
    p.t.ok_at(&other, &["init"]);
    p.t.ok_at(&other, &["study", "create", "gouda", "--name", "Ander", "--municipality", "Gouda"]);
    p.t.run_at(&other, &["append"], Some(&ndjson(&base_chain()))).success();
    std::fs::remove_file(other.join("tokens")).unwrap();
    let before = files_digest(&other);
    p.run_at(&pgdata, &["migrate", "--from", &url, "--from-data", pgdata_s, "--to", other.to_str().unwrap()], None)
        .code(2)
        .stderr_has(&["not a copy of this one", "nothing was changed"]);
    assert_eq!(files_digest(&other), before);
}

#[test]
fn a_study_of_another_municipality_works_the_same_on_postgres() {
    let Some(p) = setup_pg() else { return };
    let data = p.t.data();
    p.init_study(data, "delft", "Buurtkracht in Delft", "Delft");
    let mut events = base_chain();
    events[0]["stream"] = json!("study:x");
    events[0]["payload"]["municipality"] = json!("Delft");
    events[0]["payload"]["title"] = json!("Buurtkracht in Delft");
    events.push(cycle_opened("cycle:delft-1"));
    p.run_at(data, &["append"], Some(&ndjson(&events))).success();
    p.ok(&["study", "create", "gouda", "--name", "Makelen in Gouda", "--municipality", "Gouda"]);
    p.ok(&["--study", "gouda", "demo"]);

    let delft = stats(p.run(&["--study", "delft", "stats", "--json"]));
    assert_eq!(delft["events"], 5);
    assert_eq!(stats(p.run(&["--study", "gouda", "stats", "--json"]))["events"], demo_events());
    p.run(&["--study", "delft", "log"]).success().stdout_has(&["cycle:delft-1", "CycleOpened"]);
    p.run(&["--study", "delft", "project", "cycles"]).success();
    p.run(&["--study", "delft", "retrospective"]).success().stdout_has(&["Buurtkracht in Delft"]);
    p.run(&["compare", "--studies", "gouda,delft", "--format", "md"]).success().stdout_has(&["Delft", "Gouda"]);
    p.run(&["verify"]).success().stdout_has(&["study delft:", "study gouda:"]);

    // One study moves alone; the other stays in the database.
    let back = p.t.path("back");
    let url = p.url().to_string();
    p.t.run(&["--study", "delft", "migrate", "--from", &url, "--to", back.to_str().unwrap()])
        .success()
        .stdout_has(&["study delft", delft["head_hash"].as_str().unwrap()]);
    p.t.run_at(&back, &["study", "list"], None).success().stdout_has(&["delft\tBuurtkracht in Delft\tDelft"]);
    assert_eq!(stats(p.t.run_at(&back, &["stats", "--json"], None))["head_hash"], delft["head_hash"]);
}

/// A study the registry lists and the database lacks (another database given, a restore of an
/// older backup) is named, exit 1; one the database holds and the registry lacks is a note.
#[test]
fn a_study_only_the_registry_or_only_the_database_knows_is_named() {
    let Some(p) = setup_pg() else { return };
    let Some(other_db) = test_db() else { return };
    let data = p.t.data();
    p.init_study(data, "proef", "Proefonderzoek", "Proefstad");
    p.run_at(data, &["append"], Some(&ndjson(&base_chain()))).success();

    let on_other = |args: &[&str]| {
        let mut all = vec!["--store", other_db.url.as_str()];
        all.extend_from_slice(args);
        p.t.run(&all)
    };
    on_other(&["init"]).success();
    on_other(&["log"]).code(1).stderr_has(&[
        "study proef is in the registry",
        "holds no study of that name",
        "--store",
    ]);
    on_other(&["study", "list"]).success().stdout_has(&["proef", "MISSING from the database"]);
    on_other(&["verify"]).code(1).stderr_has(&["damaged: study proef", "holds no study"]);

    let second = p.t.path("second");
    p.ok_at(&second, &["init"]);
    p.run_at(&second, &["study", "list"], None).success().stderr_has(&["the database also holds study proef"]);
    p.run_at(&second, &["verify"], None).success().stdout_has(&["the database also holds study proef"]);
    // A new study of that name in this data folder would mix two chains: refused.
    p.run_at(&second, &["study", "create", "proef", "--name", "Ander"], None)
        .code(2)
        .stderr_has(&["4 events of a study of that name", "not in this data folder's registry"]);
}

/// `parlog serve --store postgres://…`: appends and reads through the API; when the database
/// goes away, the API answers 503 saying to try again with the same event ids.
#[test]
fn serve_on_postgres_appends_and_reads_and_answers_503_without_its_database() {
    let Some(p) = setup_pg() else { return };
    let data = p.t.data();
    p.init_study(data, "proef", "Proefonderzoek", "Proefstad");
    // A token acts as a participant the study registers.
    let registered = json!({"stream": "participant:makelaar-zuid-1", "kind": "ParticipantRegistered",
        "occurred_at": "2024-03-01T09:00:00+01:00", "author": "onderzoeker-1",
        "payload": {"label": "makelaar zuid 1", "role": "makelaar"}});
    p.run_at(data, &["append"], Some(&registered.to_string())).success();
    let token = p.ok(&["token", "create", "--participant", "makelaar-zuid-1", "--role", "makelaar"]).trim().to_string();
    let admin = p.ok(&["token", "create", "--participant", "beheerder", "--institute-admin"]).trim().to_string();
    let server = start(&p.t, "127.0.0.1:0", &["--store", p.url()]);
    let addr = server.addr;

    // A study made through the API is made in the database, its keys in the data folder.
    let new = json!({"slug": "delft", "name": "Buurtkracht in Delft", "municipality": "Delft"}).to_string();
    let made = http(addr, "POST", "/api/v1/studies", Some(&admin), Some(new.as_bytes())).unwrap();
    assert_eq!(made.status, 201, "{}", made.text());
    assert_eq!(p.query("SELECT string_agg(study, ',' ORDER BY study) FROM parlog.studies"), "delft,proef");
    assert!(data.join("studies/delft/PARLOG").exists());

    let batch = json!([note("notes:makelaar-zuid-1", "sluiting", "De bibliotheek gaat dicht.")]);
    let body = batch.to_string();
    let a = http(addr, "POST", "/api/v1/studies/proef/events", Some(&token), Some(body.as_bytes())).unwrap();
    assert_eq!(a.status, 201, "{}", a.text());
    assert_eq!(a.json()["appended"][0]["position"], 2, "after the participant's registration");
    // The server holds the study: the command line reads beside it (from the database, with the
    // key files read whole), and says so; writing is refused with what to do instead.
    let before = p.query("SELECT string_agg(md5(e::text), ',' ORDER BY position) FROM parlog.events e");
    p.run(&["--study", "proef", "log"])
        .code(0)
        .stdout_has(&[batch[0]["id"].as_str().unwrap()])
        .stderr_has(&["open in a running parlog server", "without changing anything"]);
    let shown = p.run(&["--study", "proef", "show", "2", "--json"]).code(0).stdout.clone();
    assert!(shown.contains("De bibliotheek gaat dicht."), "the sealed text opens beside the server: {shown}");
    p.run(&["--study", "proef", "verify"]).code(0);
    assert_eq!(
        p.query("SELECT string_agg(md5(e::text), ',' ORDER BY position) FROM parlog.events e"),
        before,
        "reading beside the server changes no row"
    );
    p.run_at(data, &["--study", "proef", "append"], Some(&registered.to_string()))
        .code(2)
        .stderr_has(&["open in another parlog process"]);
    let r = http(addr, "GET", "/api/v1/studies/proef/events", Some(&token), None).unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let events = r.json()["events"].clone();
    assert_eq!(events[1]["id"], batch[0]["id"]);
    assert_eq!(events[1]["sealed"]["data"]["text"], "De bibliotheek gaat dicht.", "{events}");
    assert_eq!(p.query("SELECT count(*)::text FROM parlog.events WHERE study = 'proef'"), "2");

    // The database goes away under the running server.
    let name = p.url().rsplit('/').next().unwrap().to_string();
    let admin = std::env::var("PARLOG_TEST_PG").unwrap_or_else(|_| parlog_tests::pg::DEFAULT_ADMIN_URL.into());
    parlog_tests::pg::admin_execute(&admin, &format!("DROP DATABASE {name} WITH (FORCE)")).unwrap();
    let again = json!([note("notes:makelaar-zuid-1", "sluiting", "Nog een.")]).to_string();
    for (method, body) in [("GET", None), ("POST", Some(again.as_bytes()))] {
        let a = http(addr, method, "/api/v1/studies/proef/events", Some(&token), body).unwrap();
        assert_eq!(a.status, 503, "{method}: {}", a.text());
        assert!(a.header("retry-after").is_some(), "{method}: Retry-After");
        let v = a.json();
        let detail = v["detail"].as_str().unwrap();
        assert!(detail.contains("database") && detail.contains("same event id"), "{method}: {v}");
        assert!(!detail.contains(&name), "the database's name is not answered: {v}");
    }
    let (code, _, log) = server.terminate();
    assert_eq!(code, Some(0), "the server exits cleanly without its database:\n{log}");
    assert!(log.contains("the database is unavailable"), "the server's log says why:\n{log}");
}
