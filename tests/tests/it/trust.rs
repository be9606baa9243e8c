//! Trust outside the chain, black-box through the `parlog` binary: `verify` changes nothing and
//! names every finding; opening never destroys evidence (what it or `repair` takes out is kept in
//! quarantine); the key file is checked, kept twice and wrapped by a master key outside the data
//! folder; forgetting is final; the data folder is the owner's alone.
//!
//! These are about the embedded store's data folder and its files, through the CLI, so they run
//! on sled only; their PostgreSQL counterparts go through the store: forgetting is final in
//! privacy.rs (`an_old_export_brings_no_forgotten_key_or_data_back`), tampering with the rows in
//! tamper.rs. `an_import_is_held_to_the_limits_of_an_append` runs on both backends.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cli_support::{setup_demo, study_dir, CliTest};
use crate::support::{files_containing, files_under, subject_keys};

/// The demo's events, and its sealed parts (from demo/gouda.json as loaded).
const DEMO_EVENTS: u64 = 648;

/// Every file under `dir` with a digest of its bytes.
fn digests(dir: &Path) -> BTreeMap<PathBuf, blake3::Hash> {
    files_under(dir).into_iter().map(|f| (f.clone(), blake3::hash(&std::fs::read(&f).expect("readable")))).collect()
}

/// Runs `verify` on `data` and checks that it changed no byte of any file there.
fn verify_unchanged(t: &CliTest, data: &Path) -> crate::cli_support::Run {
    let before = digests(data);
    let run = t.run_at(data, &["verify"], None);
    let after = digests(data);
    if before != after {
        run.fail("verify changed the data folder");
    }
    run
}

/// A copy of the test's data folder (and its master key beside it) named `name`.
fn copy_folder(t: &CliTest, name: &str) -> PathBuf {
    let to = t.path(name);
    let status = std::process::Command::new("cp").arg("-a").arg(t.data()).arg(&to).status().expect("cp runs");
    assert!(status.success(), "cp -a of the data folder");
    std::fs::copy(master_key(t.data()), master_key(&to)).expect("the master key can be copied");
    to
}

fn master_key(data: &Path) -> PathBuf {
    let mut p = data.as_os_str().to_owned();
    p.push(".master-key");
    PathBuf::from(p)
}

fn flip(path: &Path, at: usize) {
    let mut b = std::fs::read(path).expect("readable");
    b[at] ^= 0x40;
    std::fs::write(path, b).expect("writable");
}

/// Where the committed log ends: after the last byte that is not a zero of the preallocation.
fn log_data_end(data: &Path) -> usize {
    let b = std::fs::read(study_dir(data).join("log")).expect("the log");
    b.iter().rposition(|x| *x != 0).expect("a log with events") + 1
}

/// A commit frame's length (see log.rs).
const COMMIT_FRAME_BYTES: usize = 49;

/// One more sealed field note after the demo: the last group of the log.
fn append_one(t: &CliTest, data: &Path) {
    let note = r#"{"stream":"notes:makelaar-noord-a","kind":"ObservationRecorded","occurred_at":"2019-03-14T10:30:00+01:00","author":"makelaar-noord-a","payload":{"area":"area:noord","topic":"laatste"},"sealed":{"subjects":["resident:r-017"],"text":"de laatste notitie"}}"#;
    t.run_at(data, &["append", "-"], Some(note)).success();
}

/// The offset a quarantine file's name gives (`…-at-OFFSET.bin`).
fn offset_in_name(f: &Path) -> usize {
    f.to_string_lossy().rsplit("-at-").next().expect("an offset").trim_end_matches(".bin").parse().expect("a number")
}

/// An offset inside the record of the note `append_one` wrote (its topic, in the open payload).
fn last_record_byte(log: &Path) -> usize {
    let b = std::fs::read(log).expect("log");
    b.windows(7).rposition(|w| w == b"laatste").expect("the topic of the last note")
}

fn quarantined_files(data: &Path) -> Vec<PathBuf> {
    let q = study_dir(data).join("quarantine");
    files_under(&q).into_iter().filter(|f| f.extension().is_some_and(|e| e == "bin")).collect()
}

#[test]
fn verify_of_a_sound_folder_says_ok_and_changes_nothing() {
    let t = setup_demo().english();
    let run = verify_unchanged(&t, t.data()).success();
    assert!(run.stdout.contains(&format!("ok: {DEMO_EVENTS} events")), "{}", run.stdout);
    assert!(run.stdout.contains("140 open, 0 forgotten, 0 without a key here"), "{}", run.stdout);
}

/// Regression: one flipped byte in `keys` made opening cut the file there, shredding 74 of 140
/// sealed demo events, and `verify` said ok.
#[test]
fn a_flipped_byte_in_the_key_file_is_named_refused_and_repaired_from_the_copy() {
    let t = setup_demo().english();
    let keys = study_dir(t.data()).join("keys");
    let original = std::fs::read(&keys).expect("keys");
    let at = original.len() / 3;
    flip(&keys, at);
    let damaged = std::fs::read(&keys).expect("keys");

    let run = verify_unchanged(&t, t.data()).code(1);
    assert!(run.stderr.contains("`keys` is damaged at offset"), "{}", run.stderr);
    // Opening refuses rather than cutting: the file keeps every byte.
    t.run(&["stats"]).code(1).stderr_has(&["keys is damaged at offset", "parlog repair"]);
    assert_eq!(std::fs::read(&keys).expect("keys"), damaged, "a refused open changed the key file");

    // Repair needs a yes.
    t.run(&["repair"]).code(2).stderr_has(&["--yes"]);
    assert_eq!(std::fs::read(&keys).expect("keys"), damaged, "repair without --yes changed the key file");
    let run = t.run(&["repair", "--yes"]).success();
    assert!(run.stdout.contains("moved: a damaged copy of the key file"), "{}", run.stdout);
    let kept = quarantined_files(t.data());
    assert_eq!(kept.len(), 1, "one file in quarantine: {kept:?}");
    assert_eq!(std::fs::read(&kept[0]).expect("quarantined"), damaged, "quarantine keeps the damaged bytes");
    let journal = std::fs::read_to_string(study_dir(t.data()).join("quarantine/journal.txt")).expect("the journal");
    assert!(journal.contains("damaged copy of the key file"), "{journal}");

    let run = verify_unchanged(&t, t.data()).success();
    assert!(run.stdout.contains("140 open"), "every sealed part opens again: {}", run.stdout);
}

#[test]
fn both_copies_of_the_key_file_damaged_is_refused_with_both_offsets() {
    let t = setup_demo().english();
    flip(&study_dir(t.data()).join("keys"), 200);
    flip(&study_dir(t.data()).join("keys.copy"), 300);
    let run = verify_unchanged(&t, t.data()).code(1);
    assert!(
        run.stderr.contains("`keys` is damaged at offset") && run.stderr.contains("`keys.copy` is damaged"),
        "{}",
        run.stderr
    );
    let before = digests(t.data());
    t.run(&["repair", "--yes"]).code(1).stderr_has(&["both copies of the key file are damaged", "backup"]);
    assert_eq!(digests(t.data()), before, "a refused repair changed nothing");
}

/// Regression: after an acknowledged append and a crash, a flipped byte or a truncation inside
/// that last group made `verify` cut the log itself and exit 0 with fewer events.
#[test]
fn damage_to_the_last_group_is_refused_and_repair_keeps_the_bytes() {
    for (case, lose_indexes) in [("flip", false), ("flip", true), ("truncate", false), ("truncate", true)] {
        let t = setup_demo().english();
        append_one(&t, t.data());
        let data = copy_folder(&t, &format!("{case}-{lose_indexes}"));
        if lose_indexes {
            // As after a kill -9: the indexes do not know the last group yet.
            std::fs::remove_dir_all(study_dir(&data).join("sled")).expect("sled");
        }
        let log = study_dir(&data).join("log");
        let end = log_data_end(&data);
        let original = std::fs::read(&log).expect("log");
        match case {
            // A byte of the record (the open payload), which the frame's check covers.
            "flip" => flip(&log, last_record_byte(&log)),
            _ => std::fs::OpenOptions::new()
                .write(true)
                .open(&log)
                .and_then(|f| f.set_len((end - 30) as u64))
                .expect("truncate"),
        }
        let damaged = std::fs::read(&log).expect("log");
        let what = format!("{case}, indexes lost: {lose_indexes}");

        let run = verify_unchanged(&t, &data).code(1);
        assert!(run.stderr.contains("position 649"), "{what}: verify names the position: {}", run.stderr);
        let refused = t.run_at(&data, &["log", "--from", "640"], None).code(1);
        assert!(refused.stderr.contains("649"), "{what}: the refusal names the position: {}", refused.stderr);
        // Core states the damage; the command line names what to run next.
        assert!(
            refused.stderr.contains("`parlog repair`") || refused.stderr.contains("`parlog verify`"),
            "{what}: the refusal names the command to run: {}",
            refused.stderr
        );
        assert_eq!(std::fs::read(&log).expect("log"), damaged, "{what}: a refused open changed the log");

        let run = t.run_at(&data, &["repair", "--yes"], None).success();
        assert!(run.stdout.contains("moved:"), "{what}: {}", run.stdout);
        // Every byte repair took out of the log is in quarantine.
        let kept: Vec<Vec<u8>> = quarantined_files(&data)
            .iter()
            .filter(|f| f.to_string_lossy().contains("-log-at-"))
            .map(|f| std::fs::read(f).expect("readable"))
            .collect();
        assert_eq!(kept.len(), 1, "{what}: one piece of the log in quarantine");
        let name =
            quarantined_files(&data).into_iter().find(|f| f.to_string_lossy().contains("-log-at-")).expect("kept");
        let from = offset_in_name(&name);
        assert_eq!(
            &damaged[from..from + kept[0].len()],
            &kept[0][..],
            "{what}: quarantine holds the bytes as they were"
        );
        assert!(original.len() >= from, "{what}");
        let run = verify_unchanged(&t, &data).success();
        assert!(run.stdout.contains(&format!("ok: {DEMO_EVENTS} events")), "{what}: {}", run.stdout);
    }
}

#[test]
fn a_torn_write_of_an_unacknowledged_group_is_moved_to_quarantine_and_reported() {
    let t = setup_demo().english();
    append_one(&t, t.data());
    // What a power cut during that append leaves: the group's first sectors, then zeros (the
    // file was extended with zeros ahead), and indexes that never heard of it.
    std::fs::remove_dir_all(study_dir(t.data()).join("sled")).expect("sled");
    let log = study_dir(t.data()).join("log");
    let end = log_data_end(t.data());
    let mut b = std::fs::read(&log).expect("log");
    // Tear at the sector boundary that falls inside the last frames of the group.
    let tear = (end - COMMIT_FRAME_BYTES - 60) / 512 * 512;
    b[tear..].fill(0);
    std::fs::write(&log, &b).expect("log");

    let run = verify_unchanged(&t, t.data()).success();
    assert!(run.stdout.contains("unfinished write of a group from position 649"), "{}", run.stdout);
    let run = t.run(&["log", "--from", "640"]).success();
    assert!(
        run.stderr.contains("parlog: recovery: the unfinished write of a group from position 649"),
        "{}",
        run.stderr
    );
    let kept = quarantined_files(t.data());
    assert_eq!(kept.len(), 1, "{kept:?}");
    let bytes = std::fs::read(&kept[0]).expect("kept");
    let from = offset_in_name(&kept[0]);
    assert!(!bytes.is_empty() && from + bytes.len() <= tear, "the kept bytes are the group's surviving start");
    assert_eq!(&b[from..from + bytes.len()], &bytes[..], "quarantine keeps the torn group's bytes as they were");
    assert!(std::fs::read(&log).expect("log")[from..].iter().all(|x| *x == 0), "and the log no longer holds them");
    let run = verify_unchanged(&t, t.data()).success();
    assert!(run.stdout.contains(&format!("ok: {DEMO_EVENTS} events")), "{}", run.stdout);
}

/// Regression: `export --with-keys`, `forget`, then `import` of that export into the same folder
/// put the forgotten subject's key back.
#[test]
fn forget_is_final_an_old_export_brings_no_key_back() {
    let t = setup_demo().english();
    let export = t.path("export.ndjson");
    t.ok(&["export", "--with-keys", "--out", export.to_str().expect("UTF-8")]);
    let keys = subject_keys(&study_dir(t.data()));
    let subject = keys.iter().map(|(s, _)| s.as_str()).find(|s| s.starts_with("resident:")).expect("a resident");
    t.ok(&["forget", subject, "--by", "beheerder", "--reason", "verzoek", "--yes"]);
    let run = t.run(&["import", export.to_str().expect("UTF-8")]).success();
    assert!(run.stderr.contains("forgotten here") && run.stderr.contains(subject), "{}", run.stderr);
    assert!(!subject_keys(&study_dir(t.data())).iter().any(|(s, _)| s == subject), "the key stays destroyed");
    let events: Vec<Value> = t.log_json(t.data());
    let named = events
        .iter()
        .find(|e| e["sealed"]["subjects"].as_array().is_some_and(|s| s.iter().any(|x| x == subject)))
        .expect("an event names the subject");
    let shown = t.ok(&["show", named["id"].as_str().expect("an id")]);
    assert!(shown.contains("forgotten"), "{shown}");
    verify_unchanged(&t, t.data()).success();
}

#[test]
fn a_copied_data_folder_without_the_master_key_opens_no_personal_data() {
    let t = setup_demo().english();
    // The subject keys in the clear (from the export) are in no file of the data folder.
    let header = export_header(&t);
    let keys = header["keys"].as_object().expect("keys in the export");
    assert_eq!(keys.len(), 85);
    use base64::Engine;
    for (s, k) in keys.iter().take(10) {
        let raw = base64::engine::general_purpose::STANDARD.decode(k.as_str().expect("base64")).expect("base64");
        assert!(files_containing(t.data(), &raw).is_empty(), "the key of {s} is stored in the clear");
    }

    let copy = t.path("copy");
    let status = std::process::Command::new("cp").arg("-a").arg(t.data()).arg(&copy).status().expect("cp");
    assert!(status.success());
    let id = sealed_event_id(&t);
    t.run_at(&copy, &["show", &id], None).code(1).stderr_has(&["master key file", "missing"]);
    let with = master_key(t.data());
    let shown = t.run_at(&copy, &["--master-key-file", with.to_str().expect("UTF-8"), "show", &id], None).success();
    assert!(shown.stdout.contains("sealed:       {"), "{}", shown.stdout);
}

/// The header of `parlog export --with-keys` (which holds the subject keys in the clear).
fn export_header(t: &CliTest) -> Value {
    let export = t.path("export.ndjson");
    t.ok(&["export", "--with-keys", "--out", export.to_str().expect("UTF-8")]);
    let text = std::fs::read_to_string(&export).expect("export");
    serde_json::from_str(text.lines().next().expect("a header")).expect("JSON")
}

fn sealed_event_id(t: &CliTest) -> String {
    let events = t.log_json(t.data());
    events.iter().find(|e| e["sealed"].is_object()).expect("a sealed event")["id"].as_str().expect("id").to_string()
}

#[test]
fn rotating_the_master_key_rewraps_every_key() {
    let t = setup_demo().english();
    let id = sealed_event_id(&t);
    let new = t.path("new.master-key");
    t.ok(&["keys", "rotate-master", "--new-key-file", new.to_str().expect("UTF-8")]);
    assert!(new.exists());
    t.run(&["show", &id]).code(1).stderr_has(&["another master key"]);
    let run = t.run(&["--master-key-file", new.to_str().expect("UTF-8"), "verify"]).success();
    assert!(run.stdout.contains("140 open"), "{}", run.stdout);
    // An existing file is never overwritten.
    t.run(&[
        "--master-key-file",
        new.to_str().expect("UTF-8"),
        "keys",
        "rotate-master",
        "--new-key-file",
        new.to_str().expect("UTF-8"),
    ])
    .code(2);
}

#[test]
fn a_passphrase_can_be_the_master_key() {
    let t = crate::cli_support::setup().english();
    let pass = [("PARLOG_MASTER_PASSPHRASE", "een lange wachtzin voor de test")];
    t.run_env(t.data(), &["demo"], &pass).success();
    assert!(!master_key(t.data()).exists(), "no key file is made when a passphrase is given");
    let run = t.run_env(t.data(), &["verify"], &pass).success();
    assert!(run.stdout.contains("140 open"), "{}", run.stdout);
    let log = t.run_env(t.data(), &["log", "--json"], &pass).success().stdout;
    let id = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("JSON"))
        .find(|e| e["sealed"].is_object())
        .expect("a sealed event")["id"]
        .as_str()
        .expect("an id")
        .to_string();
    let shown = t.run_env(t.data(), &["show", &id], &pass).success();
    assert!(shown.stdout.contains("sealed:       {"), "{}", shown.stdout);
    t.run_env(t.data(), &["show", &id], &[("PARLOG_MASTER_PASSPHRASE", "een andere lange wachtzin")])
        .code(1)
        .stderr_has(&["another master key"]);
    t.run_env(t.data(), &["show", &id], &[("PARLOG_MASTER_PASSPHRASE", "kort")]).code(1).stderr_has(&["fewer than 12"]);
}

#[test]
fn the_data_folder_is_the_owners_alone() {
    let t = setup_demo().english();
    let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(t.data()), 0o700);
    for f in ["log", "keys", "keys.copy", "PARLOG"] {
        assert_eq!(mode(&study_dir(t.data()).join(f)), 0o600, "{f}");
    }
    assert_eq!(mode(&study_dir(t.data()).join("sled")), 0o700);
    assert_eq!(mode(&master_key(t.data())), 0o600);
    // A folder made by an older release (0755, files 0644) is noted by verify, tightened on open.
    std::fs::set_permissions(t.data(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::set_permissions(study_dir(t.data()).join("log"), std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let run = verify_unchanged(&t, t.data()).success();
    assert!(run.stdout.contains("others than the owner may read"), "{}", run.stdout);
    assert_eq!(mode(&study_dir(t.data()).join("log")), 0o644, "verify changes nothing");
    t.ok(&["stats"]);
    assert_eq!((mode(t.data()), mode(&study_dir(t.data()).join("log"))), (0o700, 0o600));
}

/// A key file of the first format (keys in the clear, as the previous release wrote it) is
/// read, and rewrapped when the folder is opened for writing.
#[test]
fn a_key_file_of_the_first_format_is_wrapped_on_open() {
    let t = setup_demo().english();
    let header = export_header(&t);
    use base64::Engine;
    let mut v1 = b"PLKEYS01".to_vec();
    let mut raw_keys = Vec::new();
    for (s, k) in header["keys"].as_object().expect("keys") {
        let key = base64::engine::general_purpose::STANDARD.decode(k.as_str().expect("base64")).expect("base64");
        let start = v1.len();
        v1.push(s.len() as u8);
        v1.extend_from_slice(s.as_bytes());
        v1.extend_from_slice(&key);
        let check = blake3::hash(&v1[start..]);
        v1.extend_from_slice(&check.as_bytes()[..4]);
        raw_keys.push(key);
    }
    std::fs::write(study_dir(t.data()).join("keys"), &v1).expect("keys");
    std::fs::remove_file(study_dir(t.data()).join("keys.copy")).expect("keys.copy");
    std::fs::remove_file(master_key(t.data())).expect("master key");

    let run = verify_unchanged(&t, t.data()).success();
    assert!(run.stdout.contains("first format") && run.stdout.contains("140 open"), "{}", run.stdout);
    let run = t.run(&["stats"]).success();
    assert!(run.stderr.contains("now wrapped with the master key"), "{}", run.stderr);
    assert!(std::fs::read(study_dir(t.data()).join("keys")).expect("keys").starts_with(b"PLKEYS02"));
    for k in &raw_keys {
        assert!(files_containing(t.data(), k).is_empty(), "a key is still in the clear");
    }
    let run = verify_unchanged(&t, t.data()).success();
    assert!(run.stdout.contains("140 open"), "{}", run.stdout);
}

/// A few dozen random tamper trials on every file of a folder (the larger run is
/// `scripts/trust.sh`): the check never changes a byte, and no damage is silent.
#[test]
fn random_damage_to_any_file_is_never_silent() {
    use parlog_tests::trials::{build_base, trial, Outcome};
    let trials: u64 = std::env::var("PARLOG_TAMPER_TRIALS").ok().and_then(|v| v.parse().ok()).unwrap_or(30);
    let seed =
        std::env::var("PARLOG_TAMPER_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| fastrand::u64(..));
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let base = build_base(tmp.path(), 120).expect("the base folder");
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut counts = BTreeMap::<&str, u64>::new();
    for i in 0..trials {
        let (d, outcome) = trial(&base, &tmp.path().join("work"), &mut rng).expect("a trial runs");
        let kind = match &outcome {
            Outcome::Held => "held",
            Outcome::Refused(_) => "refused",
            Outcome::Found(_) => "found",
            Outcome::SilentLoss(m) | Outcome::CheckChanged(m) => {
                let kept = tmp.keep();
                panic!(
                    "trial {i} (seed {seed}), {} {}: {outcome:?} ({m}); folder kept at {}",
                    d.file,
                    d.what,
                    kept.display()
                )
            }
        };
        *counts.entry(kind).or_default() += 1;
    }
    eprintln!("tamper trials (seed {seed}): {counts:?}");
}

/// The projections' checkpoint is a cache, and was read without a check: a flipped byte could
/// decode as another state. Now it carries a digest: damage is named by verify, and the next
/// open moves it to quarantine and rebuilds the same views from the log.
#[test]
fn a_damaged_checkpoint_is_named_kept_and_rebuilt() {
    let t = setup_demo().english();
    let before = t.ok(&["project", "initiatives", "--json"]);
    let checkpoint = study_dir(t.data()).join("projections/checkpoint.bin");
    assert!(checkpoint.exists(), "`project` leaves a checkpoint");
    let len = std::fs::metadata(&checkpoint).expect("checkpoint").len() as usize;
    flip(&checkpoint, len / 2);
    let damaged = std::fs::read(&checkpoint).expect("checkpoint");
    let run = verify_unchanged(&t, t.data()).code(1);
    assert!(run.stderr.contains("projections/checkpoint.bin") && run.stderr.contains("damaged"), "{}", run.stderr);
    assert_eq!(t.ok(&["project", "initiatives", "--json"]), before, "the same view, rebuilt from the log");
    let kept = quarantined_files(t.data());
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(std::fs::read(&kept[0]).expect("kept"), damaged);
    verify_unchanged(&t, t.data()).success();
}

crate::support::both_backends!(an_import_is_held_to_the_limits_of_an_append);

/// Regression (found by reading what the fuzzer's import target mirrors): an import stored what
/// an append could not. A 300 KiB ciphertext panicked the writer; 201 causation references or
/// 256 subjects made a record that does not decode again. On both backends.
fn an_import_is_held_to_the_limits_of_an_append(b: crate::support::Backend) {
    use parlog_core::{EventStore, Hash, ImportedEvent, RecordedEvent};
    let Some(mut t) = crate::support::setup_on(b) else { return };
    let store = t.store();
    let first = RecordedEvent::from_wire(&serde_json::json!({
        "position": 1, "id": "6f9619ff-8b86-4011-b42d-00c04fc964ff", "stream": "study:s", "stream_version": 1,
        "kind": "StudyStarted", "schema_version": 1, "recorded_at": "2024-01-01T00:00:00Z",
        "occurred_at": "2024-01-01T00:00:00Z", "author": "onderzoeker-1", "causation": [],
        "payload": {"title": "Studie", "question": "Wat werkt?", "municipality": "Elders", "levels": ["wijk"]},
        "prev_hash": Hash::ZERO, "hash": Hash::ZERO
    }));
    let Ok(mut first) = first else { panic!("a wire event: {first:?}") };
    first.hash = first.compute_hash();
    // Too many causation references and subjects are refused by the wire form itself.
    let mut wire = first.to_wire();
    wire["causation"] = serde_json::json!(vec!["6f9619ff-8b86-4011-b42d-00c04fc964ff"; 201]);
    let err = RecordedEvent::from_wire(&wire).expect_err("201 references");
    assert!(err.contains("causation") && err.contains("limit"), "{err}");
    let mut wire = first.to_wire();
    let subjects: Vec<String> = (0..256).map(|i| format!("resident:r-{i}")).collect();
    wire["sealed"] = serde_json::json!({"subjects": subjects, "nonce": "00".repeat(24), "digest": Hash::ZERO, "ciphertext_bytes": 10});
    let err = RecordedEvent::from_wire(&wire).expect_err("256 subjects");
    assert!(err.contains("sealed.subjects"), "{err}");
    // A ciphertext over the limit, in an event that is otherwise whole (its digest and hash match).
    let ct = vec![7u8; 300 * 1024];
    let mut wire = first.to_wire();
    wire["sealed"] = serde_json::json!({"subjects": ["resident:r-1"], "nonce": "00".repeat(24),
        "digest": Hash(*blake3::hash(&ct).as_bytes()), "ciphertext_bytes": ct.len()});
    let err = RecordedEvent::from_wire(&wire).expect_err("a ciphertext over the limit");
    assert!(err.contains("ciphertext_bytes"), "{err}");
    // And a whole event of the right size still imports.
    let added = store.import(vec![ImportedEvent { event: first, ciphertext: None }], Vec::new()).expect("import");
    assert_eq!(added.added, 1);
    t.reopen();
    assert_eq!(t.store().verify().expect("verify").events, 1);
}

/// One copy of the key file missing (what a crash between writing the two leaves, or a person
/// deleting it): verify names it, and the next open writes it again from the other copy.
#[test]
fn a_missing_copy_of_the_key_file_is_named_and_written_again() {
    let t = setup_demo().english();
    let copy = study_dir(t.data()).join("keys.copy");
    std::fs::remove_file(&copy).expect("keys.copy");
    let run = verify_unchanged(&t, t.data()).code(1);
    assert!(run.stderr.contains("`keys.copy` is missing"), "{}", run.stderr);
    t.run(&["stats"]).success().stderr_has(&["`keys.copy` was missing or empty and was written again"]);
    assert!(copy.exists());
    let run = verify_unchanged(&t, t.data()).success();
    assert!(run.stdout.contains("140 open"), "{}", run.stdout);
}
