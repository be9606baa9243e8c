//! What the HTTP API tests need: each test's own data folder with a store and a log in it, an
//! `AppState` with the limits the test chooses, a token for every role, requests sent through
//! `app(state)` with `oneshot`, and, for the few tests over a real socket, a small blocking
//! HTTP/1.1 client with a Server-Sent Events reader.
//!
//! Why a hand-written client: the socket tests only need request/response with
//! `Connection: close` and one streaming GET, and no HTTP client is in the lock file; hyper's
//! client would pull in new crates. Bodies may come with `Content-Length` or chunked.
//!
//! A test that fails keeps its data folder and prints where it is; a request whose answer is not
//! what the test expected panics with the request, the status and the body.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use std::collections::BTreeMap;
use std::path::PathBuf;

use parlog_core::{AnyStore, EventStore, ParticipantId, SledStore, StoreOptions, StudySlug};
use parlog_server::cli::demo;
use parlog_server::http::auth::{Role, StudyRecord};
use parlog_server::http::{app, AppState, Limits, OpenStudy};
use parlog_server::studies;
use serde_json::{json, Value};
use tempfile::TempDir;
use tower::ServiceExt;

/// How long a socket test waits for one read before it gives up (only stops a hung server from
/// hanging the test run).
pub const SOCKET_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Which log a test starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Log {
    /// The built-in demo (the Gouda story, 648 events with sealed parts).
    Gouda,
    /// A few events in a municipality that is not Gouda: the participants of the tokens, an area,
    /// a study and an open cycle. For tests that append a lot and need no history.
    Small,
}

/// The small log of [`Log::Small`], in the demo file format (`@label` ids).
const SMALL_LOG: &str = r#"[
 {"id": "@p-makelaar", "stream": "participant:makelaar-zuid-1", "kind": "ParticipantRegistered", "occurred_at": "2021-01-04T09:00:00+01:00", "author": "onderzoeker-1", "payload": {"label": "makelaar Zuid 1", "role": "makelaar"}},
 {"id": "@p-onderzoeker", "stream": "participant:onderzoeker-1", "kind": "ParticipantRegistered", "occurred_at": "2021-01-04T09:01:00+01:00", "author": "onderzoeker-1", "payload": {"label": "onderzoeker 1", "role": "researcher"}},
 {"id": "@p-beleid", "stream": "participant:beleid-1", "kind": "ParticipantRegistered", "occurred_at": "2021-01-04T09:02:00+01:00", "author": "onderzoeker-1", "payload": {"label": "beleid 1", "role": "municipality_officer"}},
 {"id": "@p-beheer", "stream": "participant:beheer-1", "kind": "ParticipantRegistered", "occurred_at": "2021-01-04T09:03:00+01:00", "author": "onderzoeker-1", "payload": {"label": "beheer 1", "role": "researcher"}},
 {"id": "@p-bewoner", "stream": "participant:bewoner-zuid-1", "kind": "ParticipantRegistered", "occurred_at": "2021-01-04T09:04:00+01:00", "author": "makelaar-zuid-1", "payload": {"label": "bewoner Zuid 1", "role": "resident"}},
 {"id": "@area", "stream": "area:zuid", "kind": "AreaDefined", "occurred_at": "2021-01-04T09:05:00+01:00", "author": "beleid-1", "payload": {"name": "Zuid", "kind": "district"}},
 {"id": "@study", "stream": "study:zwolle-zuid", "kind": "StudyStarted", "occurred_at": "2021-01-05T10:00:00+01:00", "author": "onderzoeker-1", "payload": {"title": "Makelen in Zuid", "question": "Wat levert de makelaar op?", "municipality": "Zwolle", "levels": ["wijk"]}},
 {"id": "@cycle", "stream": "cycle:zuid-1", "kind": "CycleOpened", "occurred_at": "2021-01-11T10:00:00+01:00", "author": "onderzoeker-1", "payload": {"study": "study:zwolle-zuid", "level": "wijk", "area": "area:zuid", "question": "Wie komt er op de koffieochtend?", "plan": "Meedoen en noteren."}}
]"#;

/// A token the fixture made: the secret to send and what it stands for.
#[derive(Debug, Clone)]
pub struct Token {
    pub role: Role,
    /// The token's id (for revoking), not the secret.
    pub id: String,
    /// What goes after `Bearer `.
    pub secret: String,
}

/// One test's data folder (of studies), server state and tokens.
pub struct Api {
    tmp: Option<TempDir>,
    pub state: AppState,
    pub log: Log,
    /// The study of the fixture's log, in which its role tokens have their role. Requests to
    /// today's routes (`/api/v1/events`, …) go to it under `/api/v1/studies/<study>/…` unless a
    /// test asks for the deprecated route itself (`Req::alias`).
    pub study: StudySlug,
    tokens: Vec<Token>,
}

/// The demo log with the default limits.
pub fn setup() -> Api {
    setup_with(Log::Gouda, Limits::default())
}

/// The slug of the study the fixture puts `log` in.
pub fn study_of(log: Log) -> &'static str {
    match log {
        Log::Gouda => "gouda",
        Log::Small => "zwolle-zuid",
    }
}

/// A fresh data folder with one study holding `log`, served with `limits`, and a token for
/// every role in that study.
pub fn setup_with(log: Log, limits: Limits) -> Api {
    setup_studies(&[(study_of(log), log)], limits)
}

/// A fresh data folder with a study per `(slug, log)`, served with `limits`; the fixture's role
/// tokens have their role in the first.
pub fn setup_studies(studies: &[(&str, Log)], limits: Limits) -> Api {
    let tmp = tempfile::Builder::new().prefix("parlog-api-test-").tempdir().expect("a temporary folder can be made");
    let data = tmp.path().join("data");
    parlog_server::studies::init(&data).unwrap_or_else(|e| panic!("init of {} failed: {e}", data.display()));
    let options = StoreOptions::from_env(&data);
    let state = AppState::new(data.clone(), options, limits)
        .unwrap_or_else(|e| panic!("AppState::new on {} failed: {e:?}", data.display()));
    let (first, log) = studies.first().copied().expect("at least one study");
    let mut api = Api { tmp: Some(tmp), state, log, study: slug(first), tokens: Vec::new() };
    for (s, log) in studies {
        api.add_study(s, *log);
    }
    api.tokens = Role::ALL.into_iter().map(|role| api.create_token(api.participant(role), role)).collect();
    api
}

/// A study slug a test names.
pub fn slug(s: &str) -> StudySlug {
    StudySlug::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
}

/// The limits a test names, the rest as in production: tests pass them explicitly so that what
/// a test relies on is visible at the call site.
pub fn limits(body_bytes_max: usize, page_events_max: usize, sse_clients_max: usize) -> Limits {
    Limits { body_bytes_max, page_events_max, sse_clients_max, ..Limits::default() }
}

impl Api {
    pub fn data(&self) -> &std::path::Path {
        &self.state.data
    }

    /// Creates study `s` (as `parlog study create` does) and loads `log` into it, before the
    /// server has opened it.
    pub fn add_study(&self, s: &str, log: Log) {
        let (text, name) = match log {
            Log::Gouda => (demo::GOUDA, "the built-in demo"),
            Log::Small => (SMALL_LOG, "the small test log"),
        };
        let municipality = match log {
            Log::Gouda => "Gouda",
            Log::Small => "Zwolle",
        };
        let data = self.data().to_path_buf();
        let options = self.state.options.clone();
        let record =
            studies::create(&data, &self.state.tokens, slug(s), &format!("Studie {s}"), municipality, &options)
                .unwrap_or_else(|e| panic!("creating study {s} failed: {e}"));
        let folder = studies::study_folder(&data, &record);
        let events = demo::parse(text, name).unwrap_or_else(|e| panic!("{name} does not parse: {e:?}"));
        // On a thread of its own: the store's blocking append may not run on a runtime's thread,
        // and the async tests call this from one.
        std::thread::scope(|sc| {
            sc.spawn(|| {
                let store = SledStore::open_with(&folder, &options)
                    .unwrap_or_else(|e| panic!("opening study {s} at {} failed: {e}", folder.display()));
                demo::load(&store, events).unwrap_or_else(|e| panic!("{name} does not load into {s}: {e:?}"));
                store.close();
            })
            .join()
        })
        .expect("loading the log panicked");
    }

    /// The folder of study `s`.
    pub fn folder(&self, s: &str) -> PathBuf {
        let record = self.record(s);
        studies::study_folder(self.data(), &record)
    }

    /// Study `s` as the registry has it.
    pub fn record(&self, s: &str) -> StudyRecord {
        let studies = self.state.tokens.studies().expect("the registry reads");
        studies.into_iter().find(|r| r.slug.as_str() == s).unwrap_or_else(|| panic!("no study {s} in the registry"))
    }

    /// The fixture's study, open (opened now if the hub has not yet, or closed it since).
    pub async fn open(&self) -> Arc<OpenStudy> {
        self.open_study(self.study.as_str()).await
    }

    /// Study `s`, open.
    pub async fn open_study(&self, s: &str) -> Arc<OpenStudy> {
        self.state.hub.get(&self.record(s)).await.unwrap_or_else(|e| panic!("opening study {s}: {e}"))
    }

    pub async fn store(&self) -> Arc<AnyStore> {
        self.open().await.store.clone()
    }

    /// The head of the fixture's study.
    pub async fn head(&self) -> u64 {
        self.open().await.store.head().position.0
    }

    /// The participant (registered in the log) that the fixture's token of `role` acts as.
    pub fn participant(&self, role: Role) -> &'static str {
        match (self.log, role) {
            (Log::Gouda, Role::Makelaar) => "makelaar-noord-a",
            (Log::Gouda, Role::Researcher) => "onderzoeker-tno",
            (Log::Gouda, Role::Viewer) => "beleid-gemeente",
            (Log::Gouda, Role::Admin) => "onderzoeker-ggd",
            (Log::Small, Role::Makelaar) => "makelaar-zuid-1",
            (Log::Small, Role::Researcher) => "onderzoeker-1",
            (Log::Small, Role::Viewer) => "beleid-1",
            (Log::Small, Role::Admin) => "beheer-1",
        }
    }

    /// The fixture's token of `role`.
    pub fn token(&self, role: Role) -> &Token {
        self.tokens.iter().find(|t| t.role == role).expect("the fixture made a token for every role")
    }

    /// A new token with `role` in the fixture's study, made the way `parlog token create` makes
    /// one.
    pub fn create_token(&self, participant: &str, role: Role) -> Token {
        let (id, secret) = self.token_with(participant, &[(self.study.as_str(), role)], false);
        Token { role, id, secret }
    }

    /// A new token with a role in each study of `grants`, an institute admin or not; its id
    /// and secret.
    pub fn token_with(&self, participant: &str, grants: &[(&str, Role)], institute_admin: bool) -> (String, String) {
        let p = ParticipantId::parse(participant).unwrap_or_else(|e| panic!("participant {participant:?}: {e}"));
        let grants: BTreeMap<StudySlug, Role> = grants.iter().map(|(s, r)| (slug(s), *r)).collect();
        let (record, secret) =
            self.state.tokens.create(p, grants, institute_admin).expect("the token file can be written");
        (record.id, secret)
    }

    // ---- requests through the router --------------------------------------------------------

    /// `req` with a path of today's study-scoped routes (`/api/v1/events…`) moved under the
    /// fixture's study, unless it asks for the deprecated route itself.
    pub fn scoped(&self, mut req: Req) -> Req {
        if !req.alias {
            req.path = in_study(&req.path, self.study.as_str());
        }
        req
    }

    /// Sends a request through `app(state)` and returns the response with its body unread (for
    /// the live feed, whose body never ends).
    pub async fn send_head(&self, req: Req) -> axum::response::Response {
        let request = self.scoped(req).build(self);
        app(self.state.clone()).oneshot(request).await.expect("the router's error type is Infallible")
    }

    /// Sends a request through `app(state)` and reads the whole answer; the body of a live feed
    /// (`text/event-stream`, which never ends) is left unread and empty.
    pub async fn send(&self, req: Req) -> Resp {
        let req = self.scoped(req);
        let what = req.describe();
        let resp = self.send_head(req).await;
        let status = resp.status();
        let headers = resp.headers().clone();
        let is_feed = headers.get("content-type").is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
        let body = if is_feed {
            Bytes::new()
        } else {
            resp.into_body().collect().await.unwrap_or_else(|e| panic!("{what}: reading the body: {e}")).to_bytes()
        };
        Resp { what, status, headers, body }
    }

    /// Opens the live feed through the router (`path` with its query, `Last-Event-ID` if given)
    /// and reads its first `n` events.
    pub async fn feed_events(&self, path: &str, role: Role, last_event_id: Option<u64>, n: usize) -> Vec<SseEvent> {
        let mut req = Req::get(path).auth(Auth::As(role));
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", &id.to_string());
        }
        let req = self.scoped(req);
        let what = req.describe();
        let resp = self.send_head(req).await;
        assert_eq!(resp.status(), StatusCode::OK, "{what}: the feed did not open");
        let mut body = resp.into_body();
        let mut text = String::new();
        let mut out = Vec::new();
        while out.len() < n {
            let frame = tokio::time::timeout(SOCKET_READ_TIMEOUT, body.frame())
                .await
                .unwrap_or_else(|_| panic!("{what}: no event for {SOCKET_READ_TIMEOUT:?}; got {out:?}"))
                .unwrap_or_else(|| panic!("{what}: the feed ended after {} events", out.len()))
                .unwrap_or_else(|e| panic!("{what}: reading the feed: {e}"));
            if let Ok(data) = frame.into_data() {
                text.push_str(std::str::from_utf8(&data).expect("SSE is UTF-8"));
            }
            while let Some(end) = text.find("\n\n") {
                let block: String = text.drain(..end + 2).collect();
                out.extend(parse_sse_block(&block));
            }
        }
        out
    }

    pub async fn get(&self, path: &str, role: Role) -> Resp {
        self.send(Req::get(path).auth(Auth::As(role))).await
    }

    pub async fn post(&self, path: &str, role: Role, body: &Value) -> Resp {
        self.send(Req::post(path).auth(Auth::As(role)).json(body)).await
    }

    pub async fn delete(&self, path: &str, role: Role) -> Resp {
        self.send(Req::new("DELETE", path).auth(Auth::As(role))).await
    }

    /// POST /api/v1/events with `events` as a JSON array.
    pub async fn append(&self, role: Role, events: &[Value]) -> Resp {
        self.post("/api/v1/events", role, &Value::Array(events.to_vec())).await
    }

    /// Appends events that must be stored; returns the answer's `appended` list.
    pub async fn append_ok(&self, role: Role, events: &[Value]) -> Vec<Value> {
        let v = self.append(role, events).await.json_of(201);
        v["appended"].as_array().expect("`appended` is a list").clone()
    }

    /// Stops the server's state and closes every study (as a shutdown does), runs `edit` on
    /// the fixture study's folder (as someone with access to it could, between two runs of the
    /// server), then starts the state again with the same limits. Tokens stay valid: they live
    /// in the data folder.
    pub async fn restart_with(mut self, edit: impl FnOnce(&std::path::Path)) -> Api {
        let (tmp, tokens, log, study) =
            (self.tmp.take(), std::mem::take(&mut self.tokens), self.log, self.study.clone());
        let folder = self.folder(study.as_str());
        let state = self.state.clone();
        drop(self);
        state.hub.close_all().await;
        let (data, options, limits) = (state.data.clone(), state.options.clone(), state.limits.clone());
        drop(state);
        edit(&folder);
        let state = AppState::new(data.clone(), options, limits)
            .unwrap_or_else(|e| panic!("AppState::new on {} failed: {e:?}", data.display()));
        Api { tmp, state, log, study, tokens }
    }

    /// Starts serving `app(state)` on 127.0.0.1, on a port the system chooses, in a task of the
    /// current runtime; returns the address.
    pub async fn serve_socket(&self) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("a bound listener has an address");
        let router = app(self.state.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                eprintln!("the test server on {addr} stopped: {e}");
            }
        });
        addr
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        if std::thread::panicking() {
            if let Some(tmp) = self.tmp.take() {
                let kept = tmp.keep();
                eprintln!("the failing test's folder is kept for inspection: {} (data folder: data/)", kept.display());
            }
        }
    }
}

/// The first segments of today's routes that moved under `/api/v1/studies/{study}/`.
pub const STUDY_SCOPED: [&str; 9] =
    ["events", "streams", "projections", "retrospective", "charts", "feed", "verify", "subjects", "tokens"];

/// `path` under `/api/v1/studies/<study>/` if it is one of today's study-scoped routes
/// (`/api/v1/events?from=3` → `/api/v1/studies/gouda/events?from=3`); any other path as it is.
pub fn in_study(path: &str, study: &str) -> String {
    let Some(rest) = path.strip_prefix("/api/v1/") else { return path.to_string() };
    let first = rest.split(['/', '?']).next().unwrap_or("");
    match STUDY_SCOPED.contains(&first) {
        true => format!("/api/v1/studies/{study}/{rest}"),
        false => path.to_string(),
    }
}

/// Who a request says it is.
#[derive(Debug, Clone)]
pub enum Auth {
    /// No `Authorization` header.
    None,
    /// The fixture's token of this role.
    As(Role),
    /// This exact header value after `Bearer `.
    Bearer(String),
    /// This exact `Authorization` header value.
    Raw(String),
}

/// A request to send through the router.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub auth: Auth,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Sent to the path as it is, also to a deprecated route of a token's only study.
    pub alias: bool,
}

impl Req {
    pub fn new(method: &str, path: &str) -> Req {
        Req {
            method: method.into(),
            path: path.into(),
            auth: Auth::None,
            headers: Vec::new(),
            body: Vec::new(),
            alias: false,
        }
    }
    pub fn get(path: &str) -> Req {
        Req::new("GET", path)
    }
    pub fn post(path: &str) -> Req {
        Req::new("POST", path)
    }
    /// Sends to the path as written, not to the fixture's study under `/api/v1/studies/…`.
    pub fn alias(mut self) -> Req {
        self.alias = true;
        self
    }
    pub fn auth(mut self, auth: Auth) -> Req {
        self.auth = auth;
        self
    }
    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.into(), value.into()));
        self
    }
    pub fn json(self, body: &Value) -> Req {
        self.raw(body.to_string().into_bytes()).header("content-type", "application/json")
    }
    pub fn raw(mut self, body: Vec<u8>) -> Req {
        self.body = body;
        self
    }

    fn describe(&self) -> String {
        let who = match &self.auth {
            Auth::None => "without a token".to_string(),
            Auth::As(r) => format!("as {}", r.as_str()),
            Auth::Bearer(t) => format!("with bearer {t:?}"),
            Auth::Raw(h) => format!("with Authorization {h:?}"),
        };
        format!("{} {} {who} ({} body bytes)", self.method, self.path, self.body.len())
    }

    fn build(self, api: &Api) -> Request<Body> {
        let mut b = Request::builder().method(self.method.as_str()).uri(self.path.as_str());
        match &self.auth {
            Auth::None => {}
            Auth::As(role) => b = b.header("authorization", format!("Bearer {}", api.token(*role).secret)),
            Auth::Bearer(t) => b = b.header("authorization", format!("Bearer {t}")),
            Auth::Raw(h) => b = b.header("authorization", h.as_str()),
        }
        for (k, v) in &self.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        b.body(Body::from(self.body)).expect("a valid request")
    }
}

/// A whole answer from the router.
pub struct Resp {
    /// The request, for messages.
    pub what: String,
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn content_type(&self) -> &str {
        self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Panics (showing the request and the answer) unless the status is `status`.
    pub fn expect(&self, status: u16) -> &Resp {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{}: expected status {status}, got {}:\n{}",
            self.what,
            self.status,
            self.text()
        );
        self
    }

    /// The body as JSON (any status).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!("{}: the body is not JSON ({e}); status {}:\n{}", self.what, self.status, self.text())
        })
    }

    /// The JSON body of an answer that must have `status`.
    pub fn json_of(&self, status: u16) -> Value {
        self.expect(status).json()
    }

    /// Checks that this is an `application/problem+json` answer with `status` and returns its
    /// `detail`, which must say something.
    pub fn problem(&self, status: u16) -> String {
        self.expect(status);
        assert!(
            self.content_type().starts_with("application/problem+json"),
            "{}: a {status} must be application/problem+json, got {:?}:\n{}",
            self.what,
            self.content_type(),
            self.text()
        );
        let v = self.json();
        assert_eq!(v["status"], json!(status), "{}: the problem's status field: {v}", self.what);
        assert!(v["type"].as_str().is_some_and(|t| !t.is_empty()), "{}: the problem has no type: {v}", self.what);
        assert!(v["title"].as_str().is_some_and(|t| !t.is_empty()), "{}: the problem has no title: {v}", self.what);
        let detail = v["detail"].as_str().unwrap_or_else(|| panic!("{}: the problem has no detail: {v}", self.what));
        assert!(detail.len() > 10, "{}: the detail says too little: {detail:?}", self.what);
        detail.to_string()
    }

    /// A problem with `status` whose detail names every one of `needles`.
    pub fn problem_naming(&self, status: u16, needles: &[&str]) -> String {
        let detail = self.problem(status);
        for n in needles {
            assert!(
                detail.contains(n),
                "{}: the {status} problem should name {n:?}; its detail is: {detail}",
                self.what
            );
        }
        detail
    }
}

// ---- events as clients write them ---------------------------------------------------------

/// A fresh random event id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A field note with sealed text on the author's notes stream (the author comes from the token),
/// with a fresh id. It refers to nothing, so it fits any log.
pub fn note(stream: &str, topic: &str, text: &str) -> Value {
    json!({
        "id": new_id(),
        "stream": stream,
        "kind": "ObservationRecorded",
        "occurred_at": "2021-03-01T10:00:00+01:00",
        "payload": {"topic": topic},
        "sealed": {"text": text},
    })
}

// ---- a blocking HTTP/1.1 client, for the tests over a real socket --------------------------

/// An answer read from a socket.
#[derive(Debug)]
pub struct HttpAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpAnswer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the body is not JSON ({e}); status {}:\n{}", self.status, self.text()))
    }
}

/// One request on a new connection (`Connection: close`); the whole answer.
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&[u8]>,
) -> std::io::Result<HttpAnswer> {
    let mut reader = send_request(addr, method, path, token, &[], body)?;
    let (status, headers) = read_head(&mut reader)?;
    let mut body = Vec::new();
    if is_chunked(&headers) {
        Chunked::new(reader).read_to_end(&mut body)?;
    } else if let Some(n) = header_of(&headers, "content-length") {
        let n: usize = n.trim().parse().map_err(|_| bad_data(format!("Content-Length {n:?}")))?;
        body.resize(n, 0);
        reader.read_exact(&mut body)?;
    } else {
        reader.read_to_end(&mut body)?;
    }
    Ok(HttpAnswer { status, headers, body })
}

fn send_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    extra: &[(&str, &str)],
    body: Option<&[u8]>,
) -> std::io::Result<BufReader<TcpStream>> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(SOCKET_READ_TIMEOUT))?;
    stream.set_nodelay(true)?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    if let Some(t) = token {
        head += &format!("Authorization: Bearer {t}\r\n");
    }
    for (k, v) in extra {
        head += &format!("{k}: {v}\r\n");
    }
    let body = body.unwrap_or_default();
    if !body.is_empty() || method == "POST" {
        head += &format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len());
    }
    head += "\r\n";
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    stream.write_all(&out)?;
    Ok(BufReader::new(stream))
}

fn bad_data(what: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what)
}

fn read_line(r: &mut impl BufRead) -> std::io::Result<String> {
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the connection closed"));
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn read_head(r: &mut impl BufRead) -> std::io::Result<(u16, Vec<(String, String)>)> {
    let status_line = read_line(r)?;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad_data(format!("status line {status_line:?}")))?;
    let mut headers = Vec::new();
    loop {
        let line = read_line(r)?;
        if line.is_empty() {
            return Ok((status, headers));
        }
        let (k, v) = line.split_once(':').ok_or_else(|| bad_data(format!("header line {line:?}")))?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
}

fn header_of<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

fn is_chunked(headers: &[(String, String)]) -> bool {
    header_of(headers, "transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
}

/// Decodes `Transfer-Encoding: chunked` as the bytes arrive.
struct Chunked<R> {
    inner: R,
    /// Bytes left in the current chunk.
    left: usize,
    done: bool,
}

impl<R: BufRead> Chunked<R> {
    fn new(inner: R) -> Self {
        Chunked { inner, left: 0, done: false }
    }
}

impl<R: BufRead> Read for Chunked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            let line = read_line(&mut self.inner)?;
            let size = line.split(';').next().unwrap_or("").trim();
            self.left = usize::from_str_radix(size, 16).map_err(|_| bad_data(format!("chunk size {line:?}")))?;
            if self.left == 0 {
                // The trailer: header lines up to an empty one.
                while !read_line(&mut self.inner)?.is_empty() {}
                self.done = true;
                return Ok(0);
            }
        }
        let n = buf.len().min(self.left);
        let n = self.inner.read(&mut buf[..n])?;
        if n == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the connection closed in a chunk"));
        }
        self.left -= n;
        if self.left == 0 {
            let end = read_line(&mut self.inner)?;
            if !end.is_empty() {
                return Err(bad_data(format!("a chunk ends with {end:?}, not CRLF")));
            }
        }
        Ok(n)
    }
}

/// One Server-Sent Event.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
}

/// One event from the lines of one SSE block; `None` for a block of comments only.
pub fn parse_sse_block(block: &str) -> Option<SseEvent> {
    let mut ev = SseEvent { id: None, event: None, data: String::new() };
    let mut any = false;
    for line in block.lines() {
        if line.is_empty() || line.starts_with(':') {
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" => ev.id = Some(value.to_string()),
            "event" => ev.event = Some(value.to_string()),
            "data" => {
                if !ev.data.is_empty() {
                    ev.data.push('\n');
                }
                ev.data.push_str(value);
            }
            _ => continue,
        }
        any = true;
    }
    any.then_some(ev)
}

/// A live feed read over a socket.
pub struct SseStream {
    pub status: u16,
    lines: BufReader<Chunked<BufReader<TcpStream>>>,
}

impl SseStream {
    /// GET `path` as an event stream, with `Last-Event-ID` if given; the answer's head is read.
    pub fn open(addr: SocketAddr, path: &str, token: &str, last_event_id: Option<u64>) -> std::io::Result<SseStream> {
        let last = last_event_id.map(|p| p.to_string());
        let mut extra = vec![("Accept", "text/event-stream")];
        if let Some(l) = &last {
            extra.push(("Last-Event-ID", l.as_str()));
        }
        let mut reader = send_request(addr, "GET", path, Some(token), &extra, None)?;
        let (status, headers) = read_head(&mut reader)?;
        if status == 200 && !is_chunked(&headers) {
            return Err(bad_data(format!("a feed should be chunked; headers: {headers:?}")));
        }
        Ok(SseStream { status, lines: BufReader::new(Chunked::new(reader)) })
    }

    /// Changes how long the next reads wait (`None`: forever).
    pub fn set_timeout(&self, t: Option<Duration>) -> std::io::Result<()> {
        self.lines.get_ref().inner.get_ref().set_read_timeout(t)
    }

    /// The next event (comments, such as keep-alives, are skipped); `None` when the stream ends.
    pub fn next_event(&mut self) -> std::io::Result<Option<SseEvent>> {
        let mut block = String::new();
        loop {
            let mut line = String::new();
            if self.lines.read_line(&mut line)? == 0 {
                return Ok(None);
            }
            if line.trim_end_matches(['\r', '\n']).is_empty() {
                if let Some(ev) = parse_sse_block(&block) {
                    return Ok(Some(ev));
                }
                block.clear();
            } else {
                block.push_str(&line);
            }
        }
    }
}
