//! The command line next to a running `parlog serve` (issue 15): read commands read the study the
//! server holds without changing it, write commands say that the server holds it and what to do
//! instead; `serve` says how to sign in, and `serve --demo` makes the demo's tokens once. And the
//! commands that destroy or must be told the truth: `forget` asks on a terminal, `verify` says
//! what it found in sentences.

use std::io::Write;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use super::api_support::{http, note};
use super::cli_support::{parlog_bin, setup, setup_demo, study_dir, CliTest, Run};
use super::server_process::{start, Server};
use super::support::base_chain;

/// How long the server may take to print its banner.
const BANNER_TIMEOUT: Duration = Duration::from_secs(60);

/// What the command line says when it reads a study the server holds.
const READ_BESIDE: &str = "is open in a running parlog server; read without changing anything";

/// A token of a demo participant, and the server holding the demo's study (a request opened it).
fn serving_the_demo(t: &CliTest) -> (Server, String) {
    let token =
        t.ok(&["token", "create", "--participant", "onderzoeker-tno", "--role", "researcher"]).trim().to_string();
    let server = start(t, "127.0.0.1:0", &[]);
    // The study is opened on its first request, and held until it is idle for a while.
    let first = http(server.addr, "GET", "/api/v1/events?limit=1", Some(&token), None).expect("GET /api/v1/events");
    assert_eq!(first.status, 200, "{}", first.text());
    (server, token)
}

/// The lines of the server's banner up to (and with) the first that contains `last`.
fn banner_until(server: &mut Server, last: &str) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let line = server.next_line(BANNER_TIMEOUT);
        let done = line.contains(last);
        lines.push(line);
        if done {
            return lines;
        }
    }
}

#[test]
fn read_commands_work_beside_a_running_server_and_write_commands_say_what_to_do() {
    let t = setup_demo().english();
    let before = t.log_json(t.data());
    let (server, token) = serving_the_demo(&t);
    let addr = server.addr;

    // Reading: the same log as the store has, and a note that it was read beside the server.
    let during = t.run(&["log", "--json", "--limit", "1000000"]).success().stderr_has(&[READ_BESIDE]);
    let during: Vec<Value> = during.stdout.lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    assert_eq!(during, before, "the log read beside the server is the log");
    let id = before[4]["id"].as_str().expect("an id").to_string();
    t.run(&["show", &id]).success().stdout_has(&["position:", &id]);
    t.run(&["show", "5"]).success().stdout_has(&[&id]);
    t.run(&["stats"]).success().stdout_has(&["events:   648", "read beside a running server"]);
    t.run(&["project", "initiatives"]).success().stdout_has(&["Weggeefwinkel"]).stderr_has(&[READ_BESIDE]);
    t.run(&["retrospective"]).success().stderr_has(&[READ_BESIDE]);
    let export = t.path("export.ndjson");
    t.run(&["export", "--out", export.to_str().unwrap()]).success().stderr_has(&["exported 648 events"]);
    t.run(&["compare", "--studies", "gouda", "--format", "md"]).success();
    t.run(&["verify"]).success().stdout_has(&["ok: 648 events"]);
    t.run(&["study", "list"]).success().stdout_has(&["gouda\t"]);
    t.run(&["token", "list"]).success().stdout_has(&["onderzoeker-tno"]);
    // A token for another demo participant: its participant is looked up beside the server.
    t.ok(&["token", "create", "--participant", "makelaar-noord-a", "--role", "makelaar"]);

    // Writing: refused, saying that the server holds the study and what to do instead.
    let held = ["open in another parlog process", "web interface", "/api/v1/studies/gouda/", "stop the server"];
    let event = json!({"stream": "participant:nieuw-1", "kind": "ParticipantRegistered",
        "occurred_at": "2024-03-01T09:00:00+01:00", "author": "onderzoeker-tno",
        "payload": {"label": "nieuw", "role": "researcher"}});
    t.run_stdin(&["append"], &event.to_string()).code(2).stderr_has(&held);
    t.run(&["forget", "resident:r-001", "--by", "onderzoeker-tno", "--yes"]).code(2).stderr_has(&held);
    t.run(&["import", export.to_str().unwrap()]).code(2).stderr_has(&held);
    t.run(&["demo"]).code(2).stderr_has(&held);
    t.run(&["repair", "--yes"]).code(2).stderr_has(&held);
    t.run_env(
        t.data(),
        &["keys", "rotate-master", "--new-passphrase-env", "NIEUW"],
        &[("NIEUW", "een nieuwe lange wachtzin")],
    )
    .code(2)
    .stderr_has(&held);

    // The server goes on writing; a new read sees what it wrote.
    let body = json!([note("notes:onderzoeker-tno", "sluiting", "Beside the command line.")]).to_string();
    let appended = http(addr, "POST", "/api/v1/events", Some(&token), Some(body.as_bytes())).unwrap();
    assert_eq!(appended.status, 201, "{}", appended.text());
    let after = t.log_json(t.data());
    assert_eq!(after.len(), 649);
    assert_eq!(after[..648], before[..]);

    let (code, _, log) = server.terminate();
    assert_eq!(code, Some(0), "{log}");
    // Without the server the study opens for writing again, and reads without the note.
    let read = t.run(&["log", "--limit", "1"]).success();
    assert!(!read.stderr.contains(READ_BESIDE), "{}", read.stderr);
    t.run_stdin(&["append"], &event.to_string()).success();
    t.run(&["verify"]).success().stdout_has(&["ok: 650 events"]);
}

#[test]
fn serve_says_how_to_sign_in() {
    let t = setup();
    t.init();
    let mut server = start(&t, "127.0.0.1:0", &[]);
    let addr = server.addr;
    let banner = banner_until(&mut server, "Aanmelden");
    let line = banner.last().unwrap();
    for needed in
        ["parlog token create --participant ID --role ROL", &format!("http://{addr}/#token=TOKEN"), "nog geen tokens"]
    {
        assert!(line.contains(needed), "the sign-in line says {needed:?}: {banner:#?}");
    }
    let (code, _, log) = server.terminate();
    assert_eq!(code, Some(0), "{log}");
}

#[test]
fn serve_demo_makes_the_demo_tokens_once_and_says_how_to_make_more() {
    let t = setup();
    let links = |banner: &[String]| banner.iter().filter(|l| l.contains("/#token=plg_")).count();
    let mut first = start(&t, "127.0.0.1:0", &["--demo"]);
    let banner = banner_until(&mut first, "  admin ");
    assert_eq!(links(&banner), 4, "a link per demo user: {banner:#?}");
    first.terminate();
    let tokens = |t: &CliTest| t.ok(&["token", "list"]).lines().skip(1).filter(|l| l.ends_with("actief")).count();
    assert_eq!(tokens(&t), 4);

    let mut again = start(&t, "127.0.0.1:0", &["--demo"]);
    let banner = banner_until(&mut again, "hebben al een token");
    assert_eq!(links(&banner), 0, "no new tokens: {banner:#?}");
    let said = banner.last().unwrap();
    assert!(said.contains("4 demogebruikers") && said.contains("parlog --study gouda token create"), "{said}");
    let (code, _, log) = again.terminate();
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(tokens(&t), 4, "a second start makes no tokens");
}

/// Runs `parlog --data DATA ARGS` with a terminal as its standard input (a pseudo-terminal), types
/// `answer` and a newline into it, and returns what it did.
fn on_a_terminal(t: &CliTest, args: &[&str], answer: &str) -> Run {
    let (mut master, slave) = {
        let (mut m, mut s) = (0, 0);
        // SAFETY: openpty writes two descriptors into the integers given; the rest are null.
        let rc = unsafe { libc::openpty(&mut m, &mut s, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors were just opened by openpty and are owned here alone.
        unsafe { (std::fs::File::from(OwnedFd::from_raw_fd(m)), OwnedFd::from_raw_fd(s)) }
    };
    let mut cmd = Command::new(parlog_bin());
    cmd.arg("--data").arg(t.data()).args(args).env("PARLOG_DATA", t.data()).current_dir(t.path(""));
    for v in ["LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE", "PARLOG_LANG"] {
        cmd.env_remove(v);
    }
    cmd.stdin(Stdio::from(slave)).stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().expect("parlog starts");
    master.write_all(format!("{answer}\n").as_bytes()).expect("typing into the terminal");
    let out = child.wait_with_output().expect("parlog ends");
    drop(master);
    Run {
        command: format!("parlog {} < (a terminal: {answer})", args.join(" ")),
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

#[test]
fn forget_asks_on_a_terminal_and_takes_yes_in_scripts() {
    let t = setup();
    t.init();
    let mut events = base_chain();
    events.push(super::support::observation("notes:m1", "area:noord", &["resident:r-2"], "Een tweede bewoner."));
    let text: String = events.iter().map(|e| format!("{e}\n")).collect();
    t.run_stdin(&["append"], &text).success();
    let before = t.log_json(t.data());

    // Without a terminal and without --yes: refused, saying to add --yes; nothing changed.
    t.run(&["forget", "resident:r-1", "--by", "onderzoeker-1"]).code(2).stderr_has(&["--yes", "resident:r-1"]);
    assert_eq!(t.log_json(t.data()), before);

    // On a terminal: it says what it destroys and asks; another answer changes nothing.
    let no = on_a_terminal(&t, &["forget", "resident:r-1", "--by", "onderzoeker-1"], "nee").code(2);
    no.clone()
        .stderr_has(&["voorgoed", "niet ongedaan", "Typ resident:r-1 of ja"])
        .stdout_has(&["er is niets veranderd"]);
    assert_eq!(t.log_json(t.data()), before);
    // Typing the subject's id goes ahead, and so does "ja".
    on_a_terminal(&t, &["forget", "resident:r-1", "--by", "onderzoeker-1"], "resident:r-1")
        .success()
        .stdout_has(&["resident:r-1 vergeten"]);
    on_a_terminal(&t, &["forget", "resident:r-2", "--by", "onderzoeker-1"], "ja").success().stdout_has(&["vergeten"]);
    assert_eq!(t.log_json(t.data()).len(), before.len() + 2);
    // Forgotten before: nothing to ask.
    on_a_terminal(&t, &["forget", "resident:r-2", "--by", "onderzoeker-1"], "").success().stdout_has(&["al vergeten"]);
}

/// Flips a byte in the middle of position 3's record.
fn damage(data: &std::path::Path) {
    let path = study_dir(data).join("log");
    let mut log = std::fs::read(&path).unwrap();
    let offset = parlog_tests::frame_offset(&log, 3);
    log[offset + 20] ^= 0x01;
    std::fs::write(&path, log).unwrap();
}

#[test]
fn verify_says_what_it_found_in_sentences_in_both_languages() {
    let t = setup_demo();
    for (env, ok) in [(vec![], "in orde: 648 gebeurtenissen"), (vec![("LANG", "en_US.UTF-8")], "ok: 648 events")] {
        t.run_env(t.data(), &["verify"], &env).success().stdout_has(&[ok]);
    }
    damage(t.data());
    let debug = ["Position(", "Some(", "None", "Ok(", "Err(", "{ ", "\\\""];
    for (env, words) in [
        (vec![], ["beschadigd: log, positie 3, offset", "de controle vond"]),
        (vec![("LANG", "en_US.UTF-8")], ["damaged: log, position 3, offset", "verify failed:"]),
    ] {
        let run = t.run_env(t.data(), &["verify"], &env).code(1).stderr_has(&words);
        for d in debug {
            assert!(!run.stdout.contains(d) && !run.stderr.contains(d), "verify printed {d:?}:\n{run:?}");
        }
    }
}
