//! `parlog serve` as a real process: graceful shutdown on SIGTERM loses no acknowledged append,
//! and `serve --demo` prints sign-in links that work.
//!
//! The binary is found (or built) by `cli_support::parlog_bin`, and each test runs it on the data
//! folder of its own `cli_support::setup()`, which is kept and printed when the test fails.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use parlog_core::{EventStore, Position, SealedView, SledStore};
use serde_json::{json, Value};

use super::api_support::{http, note};
use super::cli_support::{parlog_bin, setup, CliTest};

/// How long the server may take to start listening (a debug build loading the demo included).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the server may take to exit after SIGTERM: "a few seconds".
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);
/// Client threads appending while the server is stopped.
const CLIENTS: usize = 4;
/// Events acknowledged before the server is sent SIGTERM (appends go on while it stops).
const ACKED_BEFORE_SIGTERM: usize = 300;

/// A running `parlog serve` (also used by tokens.rs).
pub(super) struct Server {
    pub(super) child: Child,
    command: String,
    pub(super) addr: SocketAddr,
    /// Lines of standard output after the first ("parlog luistert op http://…/").
    stdout: Receiver<String>,
    stderr: std::thread::JoinHandle<String>,
}

/// Starts `parlog --data DATA serve --addr ADDR EXTRA…` and waits until it listens.
pub(super) fn start(t: &CliTest, addr: &str, extra: &[&str]) -> Server {
    let mut cmd = Command::new(parlog_bin());
    cmd.arg("--data").arg(t.data()).args(["serve", "--addr", addr]).args(extra);
    cmd.env("PARLOG_DATA", t.data()).env("PARLOG_LOG", "info").current_dir(t.path(""));
    // The default language, whatever the locale of whoever runs the tests.
    for v in ["LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE", "PARLOG_LANG"] {
        cmd.env_remove(v);
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let command = format!("parlog --data {} serve --addr {addr} {}", t.data().display(), extra.join(" "));
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot start `{command}`: {e}"));
    let (tx, stdout) = std::sync::mpsc::channel();
    let out = child.stdout.take().expect("piped standard output");
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    let mut err = child.stderr.take().expect("piped standard error");
    let stderr = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut server = Server { child, command, addr: "127.0.0.1:1".parse().unwrap(), stdout, stderr };
    let line = server.next_line(START_TIMEOUT);
    // "parlog luistert op http://…/" (in English "parlog serves on …"): the address ends the line.
    let bound = line
        .strip_prefix("parlog ")
        .and_then(|rest| rest.rsplit_once(" http://"))
        .and_then(|(_, addr)| addr.strip_suffix('/'))
        .unwrap_or_else(|| server.fail(&format!("the first line of output is {line:?}, not \"parlog … http://…/\"")));
    server.addr = bound.parse().unwrap_or_else(|_| server.fail(&format!("not an address: {bound:?}")));
    server
}

impl Server {
    /// The next line of standard output.
    pub(super) fn next_line(&mut self, timeout: Duration) -> String {
        match self.stdout.recv_timeout(timeout) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => self.fail(&format!("no line of output within {timeout:?}")),
            Err(RecvTimeoutError::Disconnected) => self.fail("standard output closed"),
        }
    }

    /// Sends SIGTERM and waits for the exit; returns the exit code and standard error.
    pub(super) fn terminate(mut self) -> (Option<i32>, Duration, String) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid fits pid_t");
        // SAFETY: kill(2) with a pid of our own child and a valid signal number has no memory
        // effects.
        let rc = unsafe { libc::kill(pid, libc::SIGTERM) };
        assert_eq!(rc, 0, "kill(SIGTERM) failed: {}", std::io::Error::last_os_error());
        let sent = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waiting for the server") {
                break status;
            }
            if sent.elapsed() > SHUTDOWN_TIMEOUT * 4 {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let stderr = self.stderr.join().unwrap_or_default();
                panic!(
                    "`{}` did not exit within {:?} of SIGTERM; killed. Its log:\n{stderr}",
                    self.command,
                    sent.elapsed()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let took = sent.elapsed();
        let stderr = self.stderr.join().unwrap_or_default();
        (status.code(), took, stderr)
    }

    fn fail(&mut self, why: &str) -> ! {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let rest: Vec<String> = self.stdout.try_iter().collect();
        panic!("`{}`: {why}\nmore output: {rest:?}", self.command)
    }
}

/// What a client was told: the event at `position` has `id` and its sealed text is `text`.
#[derive(Debug, Clone)]
struct Ack {
    id: String,
    text: String,
}

/// Appends batches of 1 to 3 notes until `stop` is set or the server stops answering; records
/// every acknowledged event. Before `stopping` is set every append must succeed.
fn client(
    addr: SocketAddr,
    token: &str,
    n: usize,
    stop: &AtomicBool,
    stopping: &AtomicBool,
    acks: &Mutex<BTreeMap<u64, Ack>>,
) {
    let mut round = 0;
    while !stop.load(Ordering::Relaxed) {
        round += 1;
        let batch: Vec<Value> = (0..1 + round % 3)
            .map(|i| note("notes:makelaar-zuid-1", "sluiting", &format!("client {n}, round {round}, note {i}")))
            .collect();
        let body = Value::Array(batch.clone()).to_string();
        let was_stopping = stopping.load(Ordering::SeqCst);
        let answer = match http(addr, "POST", "/api/v1/events", Some(token), Some(body.as_bytes())) {
            Ok(a) => a,
            // The server went away: the end of this client's run.
            Err(_) if was_stopping || stopping.load(Ordering::SeqCst) => return,
            Err(e) => panic!("client {n}: the append failed before the server was stopped: {e}"),
        };
        if answer.status != 201 {
            assert!(
                was_stopping || stopping.load(Ordering::SeqCst),
                "client {n}: append answered {} before the server was stopped: {}",
                answer.status,
                answer.text()
            );
            return;
        }
        let v = answer.json();
        let appended = v["appended"].as_array().expect("an `appended` list");
        assert_eq!(appended.len(), batch.len(), "client {n}: {v}");
        let mut acks = acks.lock().unwrap();
        for (a, ev) in appended.iter().zip(&batch) {
            assert_eq!(a["id"], ev["id"], "client {n}: the answer is in batch order");
            let pos = a["position"].as_u64().expect("a position");
            let ack =
                Ack { id: ev["id"].as_str().unwrap().into(), text: ev["sealed"]["text"].as_str().unwrap().into() };
            if let Some(other) = acks.insert(pos, ack.clone()) {
                panic!("position {pos} was acknowledged twice: {other:?} and {ack:?}");
            }
        }
    }
}

#[test]
fn sigterm_exits_cleanly_and_loses_no_acknowledged_append() {
    let t = setup();
    t.init();
    t.register(&["makelaar-zuid-1"]);
    let token = t.ok(&["token", "create", "--participant", "makelaar-zuid-1", "--role", "makelaar"]).trim().to_string();
    assert!(token.starts_with("plg_"), "`token create` prints the token: {token:?}");
    let server = start(&t, "127.0.0.1:0", &[]);
    let addr = server.addr;

    let (stop, stopping) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let acks = Arc::new(Mutex::new(BTreeMap::new()));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let (token, stop, stopping, acks) = (token.clone(), stop.clone(), stopping.clone(), acks.clone());
            std::thread::spawn(move || client(addr, &token, n, &stop, &stopping, &acks))
        })
        .collect();
    let deadline = Instant::now() + START_TIMEOUT;
    while acks.lock().unwrap().len() < ACKED_BEFORE_SIGTERM {
        assert!(
            Instant::now() < deadline,
            "fewer than {ACKED_BEFORE_SIGTERM} appends acknowledged in {START_TIMEOUT:?}"
        );
        assert!(clients.iter().all(|c| !c.is_finished()), "a client stopped early");
        std::thread::sleep(Duration::from_millis(5));
    }
    stopping.store(true, Ordering::SeqCst);
    let (code, took, log) = server.terminate();
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().expect("a client failed");
    }
    assert_eq!(code, Some(0), "the server should exit 0 after SIGTERM; its log:\n{log}");
    assert!(took <= SHUTDOWN_TIMEOUT, "the server took {took:?} to stop (limit {SHUTDOWN_TIMEOUT:?}); its log:\n{log}");

    let acks = acks.lock().unwrap().clone();
    let store =
        SledStore::open_with(&crate::cli_support::study_dir(t.data()), &parlog_core::StoreOptions::from_env(t.data()))
            .unwrap_or_else(|e| panic!("the store does not open after shutdown: {e}\n{log}"));
    let head = store.head().position.0;
    let events = store.read_from(Position(1), usize::try_from(head).unwrap() + 1).expect("read the log");
    let positions: Vec<u64> = events.iter().map(|e| e.position.0).collect();
    assert_eq!(positions, (1..=head).collect::<Vec<_>>(), "positions are gapless from 1 to the head");
    let max_acked = *acks.keys().last().expect("appends were acknowledged");
    assert!(head >= max_acked, "the head {head} is below an acknowledged position {max_acked}");
    for (pos, ack) in &acks {
        let e = &events[usize::try_from(*pos).unwrap() - 1];
        assert_eq!(e.id.to_string(), ack.id, "position {pos}: an acknowledged event is missing or moved");
        match store.unseal(e).expect("unseal") {
            SealedView::Open(data) => {
                assert_eq!(data.text.as_ref().map(|t| t.as_str()), Some(ack.text.as_str()), "position {pos}")
            }
            other => panic!("position {pos}: the sealed text of an acknowledged event cannot be read: {other:?}"),
        }
    }
    let report = store.verify().expect("verify runs");
    assert_eq!(report.first_bad, None, "the chain verifies after shutdown");
    assert_eq!(report.events, head);
    eprintln!("{} events acknowledged, {} stored; the server stopped in {took:?}", acks.len(), head);
    store.close();
    t.ok(&["verify"]);
}

#[test]
fn serve_demo_prints_sign_in_links_and_the_page_loads() {
    let t = setup();
    let port = {
        // A port that was free a moment ago: the links must name the port the server listens on.
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a probe");
        probe.local_addr().unwrap().port()
    };
    let addr = format!("127.0.0.1:{port}");
    let mut server = start(&t, &addr, &["--demo"]);
    assert_eq!(server.addr.to_string(), addr);
    let mut banner = Vec::new();
    let mut links = BTreeMap::new();
    while links.len() < 4 {
        let line = server.next_line(START_TIMEOUT);
        banner.push(line.clone());
        if let Some((role, link)) = line.trim().split_once(char::is_whitespace) {
            if let Some(token) = link.trim().strip_prefix(&format!("http://{addr}/#token=")) {
                links.insert(role.to_string(), token.to_string());
            }
        }
    }
    assert!(
        banner.iter().any(|l| l.contains("het demologboek is geladen in studie gouda (648 gebeurtenissen)")),
        "the banner: {banner:#?}"
    );
    let roles: Vec<&str> = links.keys().map(String::as_str).collect();
    assert_eq!(roles, ["admin", "makelaar", "researcher", "viewer"], "one link per role: {banner:#?}");

    let socket = server.addr;
    let page = http(socket, "GET", "/", None, None).expect("GET /");
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").is_some_and(|t| t.starts_with("text/html")), "{:?}", page.headers);
    assert!(page.text().contains("/js/main.js"), "{}", page.text());
    // The tokens of the links work, each with its role.
    let viewer = http(socket, "GET", "/api/v1/projections/initiatives", Some(&links["viewer"]), None).unwrap();
    assert_eq!(viewer.status, 200, "{}", viewer.text());
    assert!(viewer.text().contains("Weggeefwinkel"), "the demo is loaded");
    let researcher = http(socket, "GET", "/api/v1/events?limit=1", Some(&links["researcher"]), None).unwrap();
    assert_eq!(researcher.status, 200, "{}", researcher.text());
    assert_eq!(researcher.json()["head"], json!(648));
    let forbidden = http(socket, "GET", "/api/v1/events?limit=1", Some(&links["viewer"]), None).unwrap();
    assert_eq!(forbidden.status, 403);
    let admin = http(socket, "GET", "/api/v1/verify", Some(&links["admin"]), None).unwrap();
    assert_eq!((admin.status, admin.json()["ok"].clone()), (200, json!(true)), "{}", admin.text());

    let (code, _, log) = server.terminate();
    assert_eq!(code, Some(0), "exit after SIGTERM; log:\n{log}");
}
