//! Many studies on one server, through the HTTP API: the role × study × endpoint matrix, a study
//! the caller has no role in answering exactly as one that does not exist, the hub opening a
//! study on first use and closing it when idle (or for room), archived studies, the deprecated
//! routes of a token's only study, and studies kept apart (feeds, forgetting).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use parlog_core::EventStore;
use parlog_server::http::auth::Role;
use parlog_server::http::routes::{self, Operation};
use parlog_server::http::Limits;
use serde_json::{json, Value};

use super::api::{allowed, metric, sample_in};
use super::api_support::{note, setup_studies, Api, Auth, Log, Req, Resp};

const A: &str = "alfa";
const B: &str = "bravo";
const C: &str = "charlie";
const D: &str = "delta";
/// A study no server of these tests has.
const NONE: &str = "zulu";

/// A caller of the matrix: its token and what the test expects it to reach.
struct Who {
    name: &'static str,
    secret: String,
    grants: BTreeMap<&'static str, Role>,
    institute_admin: bool,
}

impl Who {
    fn auth(&self) -> Auth {
        Auth::Bearer(self.secret.clone())
    }
}

/// Four studies of the demo log; a participant who is researcher in a and b and viewer in c (and
/// has no role in d); an institute admin without any role in a study; a researcher of a alone;
/// and a researcher in all four who makes what the samples need.
struct World {
    api: Api,
    multi: Who,
    institute: Who,
    single: Who,
    maker: String,
}

fn world(studies: &[&'static str], limits: Limits) -> World {
    let logs: Vec<(&str, Log)> = studies.iter().map(|s| (*s, Log::Gouda)).collect();
    let api = setup_studies(&logs, limits);
    let who = |name, grants: &[(&'static str, Role)], institute_admin| {
        let present: Vec<(&str, Role)> = grants.iter().filter(|(s, _)| studies.contains(s)).copied().collect();
        let (_, secret) = api.token_with("onderzoeker-tno", &present, institute_admin);
        Who { name, secret, grants: present.into_iter().collect(), institute_admin }
    };
    let multi = who(
        "researcher in a and b, viewer in c",
        &[(A, Role::Researcher), (B, Role::Researcher), (C, Role::Viewer)],
        false,
    );
    let institute = who("institute admin without grants", &[], true);
    let single = who("researcher in a only", &[(A, Role::Researcher)], false);
    let all: Vec<(&str, Role)> = studies.iter().map(|s| (*s, Role::Researcher)).collect();
    let (_, maker) = api.token_with("onderzoeker-tno", &all, false);
    World { api, multi, institute, single, maker }
}

/// What a cell of the matrix must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Success,
    Forbidden,
    NotFound,
    /// A deprecated route, for a token with roles in several studies.
    StudyRequired,
}

/// What the rules say `who` gets from `op` in `study` (on a server that has `exists`).
fn want(op: &Operation, who: &Who, study: &str, exists: bool) -> Want {
    let r = op.route;
    if op.deprecated {
        let mut grants = who.grants.keys();
        return match (grants.next(), grants.next()) {
            (None, _) => Want::NotFound,
            (Some(_), Some(_)) => Want::StudyRequired,
            (Some(only), None) => want(&Operation { path: r.path, route: r, deprecated: false }, who, only, true),
        };
    }
    let role = who.grants.get(study).copied();
    match (r.method, r.path) {
        ("post", "/api/v1/studies") => match who.institute_admin {
            true => Want::Success,
            false => Want::Forbidden,
        },
        // The study named in the query: as a study-scoped route, for every role.
        ("get", "/api/v1/compare") => match role {
            Some(_) => Want::Success,
            None => Want::NotFound,
        },
        ("post", "/api/v1/studies/{study}/archive") => match (who.institute_admin, exists) {
            (false, _) => Want::Forbidden,
            (true, true) => Want::Success,
            (true, false) => Want::NotFound,
        },
        (_, p) if p.starts_with("/api/v1/studies/{study}/tokens") => match role {
            Some(Role::Admin) if exists => Want::Success,
            _ if who.institute_admin && exists => Want::Success,
            _ if who.institute_admin => Want::NotFound,
            Some(_) => Want::Forbidden,
            None => Want::NotFound,
        },
        _ if r.in_study => match role {
            None => Want::NotFound,
            Some(role) if allowed(r.method, r.path, role) => Want::Success,
            Some(_) => Want::Forbidden,
        },
        _ => Want::Success,
    }
}

fn check(resp: &Resp, want: Want) -> Result<(), String> {
    let status = resp.status.as_u16();
    let ok = match want {
        Want::Success => resp.status.is_success(),
        Want::Forbidden => status == 403 && resp.content_type().starts_with("application/problem+json"),
        Want::NotFound => status == 404 && resp.content_type().starts_with("application/problem+json"),
        Want::StudyRequired => {
            status == 409
                && resp.json()["type"] == json!("https://parlog.invalid/problems/study-required")
                && resp.text().contains("/api/v1/studies/{study}/")
        }
    };
    match ok {
        true => Ok(()),
        false => Err(format!("expected {want:?}, got {status}: {}", resp.text().chars().take(300).collect::<String>())),
    }
}

/// Every operation (each route and each deprecated alias) for every caller in every study (and
/// one that does not exist): 2xx, 403, 404 or 409 as the rules say. Archiving comes last, as it
/// changes what the other routes answer.
#[tokio::test]
async fn role_study_endpoint_matrix() {
    let w = world(&[A, B, C, D], Limits::default());
    let mut ops: Vec<Operation> = routes::operations().collect();
    ops.sort_by_key(|op| op.route.path.ends_with("/archive"));
    let mut failures = Vec::new();
    let mut cells = 0;
    for op in &ops {
        let studies: &[&str] =
            if op.path.contains("{study}") || op.path == "/api/v1/compare" { &[A, B, C, D, NONE] } else { &[A] };
        for who in [&w.multi, &w.institute, &w.single] {
            for study in studies {
                let exists = *study != NONE;
                let expected = want(op, who, study, exists);
                let role = who.grants.get(study).copied().unwrap_or(Role::Researcher);
                let mut req = sample_in(&w.api, study, Some(&w.maker), op.route.method, op.path, role).await;
                req.auth = who.auth();
                let resp = w.api.send(req.alias()).await;
                cells += 1;
                if let Err(e) = check(&resp, expected) {
                    failures.push(format!("{:<70} {:<36} {e}", resp.what, who.name));
                }
                if op.deprecated && resp.status.is_success() {
                    assert_eq!(
                        resp.headers.get("deprecation").map(|v| v.as_bytes()),
                        Some(&b"true"[..]),
                        "{}",
                        resp.what
                    );
                }
            }
        }
    }
    assert!(cells > 200, "the matrix has {cells} cells");
    assert!(failures.is_empty(), "{} of {cells} cells are wrong:\n{}", failures.len(), failures.join("\n"));
}

/// The whole answer, for comparing two answers byte for byte.
async fn answer(api: &Api, req: Req) -> (u16, Vec<(String, Vec<u8>)>, Vec<u8>) {
    let resp = api.send_head(req).await;
    let status = resp.status().as_u16();
    let mut headers: Vec<(String, Vec<u8>)> =
        resp.headers().iter().map(|(k, v)| (k.as_str().to_string(), v.as_bytes().to_vec())).collect();
    headers.sort();
    let body = resp.into_body().collect().await.expect("a body").to_bytes().to_vec();
    (status, headers, body)
}

/// A study the caller has no role in answers exactly as a study that does not exist: the same
/// status, headers and body, on every study-scoped route, so that no study's name leaks. Study
/// d exists on the first server and not on the second; the caller has the same roles on both.
#[tokio::test]
async fn no_role_in_a_study_is_byte_for_byte_no_such_study() {
    let with_d = world(&[A, B, C, D], Limits::default());
    let without_d = world(&[A, B, C], Limits::default());
    let mut compared = 0;
    for op in routes::operations().filter(|op| op.route.in_study && !op.deprecated) {
        let callers = [(&with_d.multi, &without_d.multi), (&with_d.institute, &without_d.institute)];
        for (who, same) in callers {
            // An institute admin may know every study's name: its token routes differ.
            if who.institute_admin && op.path.starts_with("/api/v1/studies/{study}/tokens") {
                continue;
            }
            let method = op.route.method;
            let req = sample_in(&with_d.api, D, Some(&with_d.maker), method, op.path, Role::Researcher).await;
            let no_role = answer(&with_d.api, Req { auth: who.auth(), ..req }.alias()).await;
            let req = sample_in(&without_d.api, D, Some(&without_d.maker), method, op.path, Role::Researcher).await;
            let no_study = answer(&without_d.api, Req { auth: same.auth(), ..req }.alias()).await;
            assert_eq!(no_role.0, 404, "{method} {} as {}: {}", op.path, who.name, String::from_utf8_lossy(&no_role.2));
            assert_eq!(
                no_role, no_study,
                "{method} {} as {}: no role in d and no d at all answer differently",
                op.path, who.name
            );
            compared += 1;
        }
    }
    assert!(compared >= 20, "compared {compared} answers");
}

/// Polls `done` until it holds or `within` passes.
async fn eventually(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn is_open(api: &Api, s: &str) -> bool {
    api.state.hub.open_studies().iter().any(|o| o.as_str() == s)
}

/// A study is opened by its first request, not before; closed once idle for idle_close_ms
/// (its checkpoint saved); and opened again by the next request with the same head and the
/// same projections. A feed holds it open however long it is idle.
#[tokio::test]
async fn a_study_opens_on_first_use_and_closes_when_idle() {
    let limits = Limits { idle_close_ms: 500, ..Limits::default() };
    let api = setup_studies(&[(A, Log::Small), (B, Log::Small)], limits);
    let (_, researcher) = api.token_with("onderzoeker-1", &[(A, Role::Researcher), (B, Role::Researcher)], false);
    let auth = Auth::Bearer(researcher);
    assert!(api.state.hub.open_studies().is_empty(), "nothing is open before a request");

    let note_a = note("notes:onderzoeker-1", "koffie", "In alfa.");
    api.send(Req::post("/api/v1/studies/alfa/events").auth(auth.clone()).json(&json!([note_a]))).await.expect(201);
    let view = "/api/v1/studies/alfa/projections/activity";
    let before = api.send(Req::get(view).auth(auth.clone())).await.json_of(200);
    let head =
        api.send(Req::get("/api/v1/studies/alfa/events?limit=1").auth(auth.clone())).await.json_of(200)["head"].clone();
    assert!(
        is_open(&api, A) && !is_open(&api, B),
        "only the study asked for is open: {:?}",
        api.state.hub.open_studies()
    );

    let checkpoint = api.folder(A).join("projections").join("checkpoint.bin");
    let _ = std::fs::remove_file(&checkpoint);
    eventually("the idle study closes", Duration::from_secs(10), || !is_open(&api, A)).await;
    eventually("closing saves the projections' checkpoint", Duration::from_secs(10), || checkpoint.exists()).await;
    assert_eq!(api.state.hub.opens(), 1);

    let again = api.send(Req::get(view).auth(auth.clone())).await.json_of(200);
    assert!(is_open(&api, A), "a request opens it again");
    assert_eq!(again, before, "the same projections after reopening");
    let head_again =
        api.send(Req::get("/api/v1/studies/alfa/events?limit=1").auth(auth.clone())).await.json_of(200)["head"].clone();
    assert_eq!(head_again, head, "the same head after reopening");
    assert_eq!(api.state.hub.opens(), 2, "opened again, once");
    let open = api.state.hub.if_open(&super::api_support::slug(A)).expect("open");
    assert_eq!(open.projected(), head.as_u64().unwrap(), "the projections are at the head");
    drop(open);

    // A feed holds its study open while it is idle for several times idle_close_ms.
    let feed = api.send_head(Req::get("/api/v1/studies/alfa/feed").auth(auth.clone())).await;
    assert_eq!(feed.status(), 200);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert!(is_open(&api, A), "a study with a live feed stays open");
    drop(feed);
    eventually("the study closes once the feed ends", Duration::from_secs(10), || !is_open(&api, A)).await;
}

/// At open_studies_max, opening another study closes the least recently used idle one first;
/// when every open study is in use, the request is answered 503 with Retry-After, and works
/// once one is free again.
#[tokio::test]
async fn at_open_studies_max_the_least_recently_used_idle_study_closes() {
    let limits = Limits { open_studies_max: 2, idle_close_ms: 3_600_000, ..Limits::default() };
    let api = setup_studies(&[(A, Log::Small), (B, Log::Small), (C, Log::Small)], limits);
    let grants = [(A, Role::Researcher), (B, Role::Researcher), (C, Role::Researcher)];
    let (_, secret) = api.token_with("onderzoeker-1", &grants, false);
    let auth = Auth::Bearer(secret);
    let view = |s: &str| Req::get(&format!("/api/v1/studies/{s}/projections/cycles")).auth(auth.clone());
    api.send(view(A)).await.expect(200);
    api.send(view(B)).await.expect(200);
    api.send(view(A)).await.expect(200); // b is now the least recently used
    api.send(view(C)).await.expect(200);
    let mut open: Vec<String> = api.state.hub.open_studies().iter().map(|s| s.to_string()).collect();
    open.sort();
    assert_eq!(open, [A, C], "b, used least recently, was closed for c");

    // Feeds hold a and c: nothing can be closed for b.
    let feed_a = api.send_head(Req::get("/api/v1/studies/alfa/feed").auth(auth.clone())).await;
    let feed_c = api.send_head(Req::get("/api/v1/studies/charlie/feed").auth(auth.clone())).await;
    let busy = api.send(view(B)).await;
    let detail = busy.problem_naming(503, &["open_studies_max", "2"]);
    assert_eq!(busy.json()["type"], json!("https://parlog.invalid/problems/busy"), "{detail}");
    let retry: u64 = busy.headers.get("retry-after").expect("Retry-After").to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry), "Retry-After {retry}");
    drop(feed_a);
    api.send(view(B)).await.expect(200);
    assert!(is_open(&api, C) && !is_open(&api, A), "a, no longer held, made room");
    drop(feed_c);
}

/// Many requests for a closed study at once open it once: the first opens it, the others wait
/// for that open and are answered from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_study_is_opened_once_for_requests_that_come_together() {
    let api = setup_studies(&[(A, Log::Small)], Limits::default());
    let requests: Vec<_> =
        (0..16).map(|_| api.send(Req::get("/api/v1/projections/cycles").auth(Auth::As(Role::Viewer)))).collect();
    for r in futures_join(requests).await {
        r.expect(200);
    }
    assert_eq!(api.state.hub.open_studies().len(), 1);
    assert_eq!(api.state.hub.opens(), 1, "one open for sixteen requests");
}

/// Awaits all of `futures` concurrently (the test crate has no futures crate).
async fn futures_join<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, o) in pinned.iter_mut().zip(out.iter_mut()) {
            if o.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *o = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(|o| o.expect("ready")).collect()
}

/// An archived study reads as before and refuses appends with a 409 of its own type; it says so
/// in the listing and in `me`, and a subject can still be forgotten in it.
#[tokio::test]
async fn an_archived_study_reads_and_refuses_appends() {
    let api = setup_studies(&[(A, Log::Small), (B, Log::Small)], Limits::default());
    let (_, institute) = api.token_with("beheer-1", &[], true);
    let researcher = Auth::As(Role::Researcher);
    let subject = "resident:r-archief";
    let mut sealed = note("notes:onderzoeker-1", "bezoek", "Voor het archief.");
    sealed["sealed"]["subjects"] = json!([subject]);
    api.send(Req::post("/api/v1/events").auth(researcher.clone()).json(&json!([sealed]))).await.expect(201);

    api.send(Req::post("/api/v1/studies/alfa/archive").auth(researcher.clone()))
        .await
        .problem_naming(403, &["institute admin"]);
    let archived =
        api.send(Req::post("/api/v1/studies/alfa/archive").auth(Auth::Bearer(institute.clone()))).await.json_of(200);
    assert_eq!(archived["archived"], json!(true), "{archived}");
    api.send(Req::post("/api/v1/studies/zulu/archive").auth(Auth::Bearer(institute.clone()))).await.problem(404);

    let refused = api.post("/api/v1/events", Role::Researcher, &json!([note("notes:onderzoeker-1", "a", "b")])).await;
    let detail = refused.problem_naming(409, &["alfa", "archived"]);
    assert_eq!(refused.json()["type"], json!("https://parlog.invalid/problems/study-archived"), "{detail}");
    api.get("/api/v1/events", Role::Researcher).await.expect(200);
    api.get("/api/v1/projections/cycles", Role::Viewer).await.expect(200);
    let me = api.get("/api/v1/studies/alfa/me", Role::Makelaar).await.json_of(200);
    assert_eq!((me["study"]["archived"].clone(), me["may_append"].clone()), (json!(true), json!([])), "{me}");
    let listed = api.send(Req::get("/api/v1/studies").auth(Auth::Bearer(institute))).await.json_of(200);
    let flags: Vec<(Value, Value)> =
        listed["studies"].as_array().unwrap().iter().map(|s| (s["slug"].clone(), s["archived"].clone())).collect();
    assert_eq!(flags, [(json!(A), json!(true)), (json!(B), json!(false))], "{listed}");

    // Forgetting is owed to the person whatever became of the study.
    api.post(&format!("/api/v1/subjects/{subject}/forget"), Role::Admin, &json!({})).await.expect(200);
}

/// Today's routes serve a token's only study (and say they are deprecated); a token with roles
/// in several studies gets a 409 naming the route to use, and one with none a 404.
#[tokio::test]
async fn the_deprecated_routes_serve_the_only_study() {
    let api = setup_studies(&[(A, Log::Small), (B, Log::Small)], Limits::default());
    let only = Req::get("/api/v1/events?limit=1").auth(Auth::As(Role::Researcher)).alias();
    let resp = api.send(only).await;
    let head = resp.json_of(200)["head"].clone();
    assert_eq!(resp.headers.get("deprecation").map(|v| v.to_str().unwrap()), Some("true"));

    let ev = note("notes:onderzoeker-1", "koffie", "Via de oude route.");
    let id = ev["id"].as_str().unwrap().to_string();
    api.send(Req::post("/api/v1/events").auth(Auth::As(Role::Researcher)).json(&json!([ev])).alias()).await.expect(201);
    let in_a = api.send(Req::get(&format!("/api/v1/studies/alfa/events/{id}")).auth(Auth::As(Role::Researcher))).await;
    assert_eq!(in_a.json_of(200)["position"], json!(head.as_u64().unwrap() + 1), "the old route appended to alfa");

    let (_, both) = api.token_with("onderzoeker-1", &[(A, Role::Researcher), (B, Role::Viewer)], false);
    for path in ["/api/v1/events", "/api/v1/projections/cycles", "/api/v1/feed"] {
        let resp = api.send(Req::get(path).auth(Auth::Bearer(both.clone())).alias()).await;
        let scoped = format!("/api/v1/studies/{{study}}/{}", path.trim_start_matches("/api/v1/"));
        resp.problem_naming(409, &[&scoped, "alfa, bravo"]);
    }
    let (_, none) = api.token_with("beheer-1", &[], true);
    api.send(Req::get("/api/v1/events").auth(Auth::Bearer(none)).alias()).await.problem_naming(404, &["no study"]);

    // /api/v1/me names the studies, and for a token of one study still says what it may do.
    let me = api.send(Req::get("/api/v1/me").auth(Auth::Bearer(both))).await.json_of(200);
    assert_eq!(me["studies"], json!({"alfa": "researcher", "bravo": "viewer"}), "{me}");
    assert!(me.get("role").is_none(), "{me}");
    let me = api.get("/api/v1/me", Role::Makelaar).await.json_of(200);
    assert_eq!((me["role"].clone(), me["studies"].clone()), (json!("makelaar"), json!({"alfa": "makelaar"})), "{me}");
}

/// The feed of a study shows its own events only, though positions overlap.
#[tokio::test]
async fn the_feed_of_one_study_never_shows_another_studys_events() {
    let api = setup_studies(&[(A, Log::Small), (B, Log::Small)], Limits::default());
    let (_, both) = api.token_with("onderzoeker-1", &[(A, Role::Researcher), (B, Role::Researcher)], false);
    let auth = Auth::Bearer(both.clone());
    let mut ids_b = Vec::new();
    for i in 0..5 {
        let ev = note("notes:onderzoeker-1", "b", &format!("bravo {i}"));
        ids_b.push(ev["id"].as_str().unwrap().to_string());
        api.send(Req::post("/api/v1/studies/bravo/events").auth(auth.clone()).json(&json!([ev]))).await.expect(201);
    }
    let ev_a = note("notes:onderzoeker-1", "a", "alfa");
    let id_a = ev_a["id"].as_str().unwrap().to_string();
    api.send(Req::post("/api/v1/studies/alfa/events").auth(auth.clone()).json(&json!([ev_a]))).await.expect(201);
    let log_a = api.send(Req::get("/api/v1/studies/alfa/events?limit=1000").auth(auth.clone())).await.json_of(200);
    let stored: Vec<String> =
        log_a["events"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();

    let resp = api.send_head(Req::get("/api/v1/studies/alfa/feed?from=1").auth(auth)).await;
    assert_eq!(resp.status(), 200);
    let mut body = resp.into_body();
    let mut text = String::new();
    while text.matches("\n\n").count() < stored.len() {
        let frame = tokio::time::timeout(Duration::from_secs(10), body.frame())
            .await
            .expect("the feed sends")
            .unwrap()
            .unwrap();
        if let Ok(data) = frame.into_data() {
            text.push_str(std::str::from_utf8(&data).unwrap());
        }
    }
    let fed: Vec<String> = text
        .split("\n\n")
        .filter_map(|block| block.lines().find_map(|l| l.strip_prefix("data: ")))
        .map(|d| serde_json::from_str::<Value>(d).unwrap()["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fed, stored, "alfa's feed is alfa's log");
    assert!(fed.contains(&id_a) && !ids_b.iter().any(|b| fed.contains(b)), "nothing of bravo in alfa's feed");
}

/// Forgetting a subject in one study destroys its data there only: each study has its own
/// subject keys, and the same subject's note in another study still opens.
#[tokio::test]
async fn a_forget_in_one_study_leaves_the_subject_readable_in_another() {
    let api = setup_studies(&[(A, Log::Small), (B, Log::Small)], Limits::default());
    let (_, both) = api.token_with("onderzoeker-1", &[(A, Role::Researcher), (B, Role::Researcher)], false);
    let (_, admin_a) = api.token_with("beheer-1", &[(A, Role::Admin)], false);
    let auth = Auth::Bearer(both);
    let subject = "resident:r-gedeeld";
    let mut ids = BTreeMap::new();
    for s in [A, B] {
        let mut ev = note("notes:onderzoeker-1", "bezoek", &format!("Gesprek in {s}."));
        ev["sealed"]["subjects"] = json!([subject]);
        ids.insert(s, ev["id"].as_str().unwrap().to_string());
        api.send(Req::post(&format!("/api/v1/studies/{s}/events")).auth(auth.clone()).json(&json!([ev])))
            .await
            .expect(201);
    }
    let forget = format!("/api/v1/studies/alfa/subjects/{subject}/forget");
    api.send(Req::post(&forget).auth(Auth::Bearer(admin_a.clone())).json(&json!({}))).await.expect(200);
    // Not an admin of bravo: bravo is not there for this token.
    let in_b = format!("/api/v1/studies/bravo/subjects/{subject}/forget");
    api.send(Req::post(&in_b).auth(Auth::Bearer(admin_a)).json(&json!({}))).await.problem(404);

    let read = |s: &str| Req::get(&format!("/api/v1/studies/{s}/events/{}", ids[s])).auth(auth.clone());
    let a = api.send(read(A)).await.json_of(200);
    assert!(a["sealed"]["forgotten"].is_object() && a["sealed"].get("data").is_none(), "forgotten in alfa: {a}");
    let b = api.send(read(B)).await.json_of(200);
    assert_eq!(b["sealed"]["data"]["text"], json!("Gesprek in bravo."), "still readable in bravo: {b}");
}

/// An institute admin creates a study through the API (a slug taken is a 409), sees it with no
/// role of its own, gives a participant a role in it, and that participant writes to it; the
/// others do not see it. Metrics name only the studies a token has a role in.
#[tokio::test]
async fn an_institute_admin_creates_a_study_and_grants_a_role_in_it() {
    let api = setup_studies(&[(A, Log::Small)], Limits::default());
    let (_, institute) = api.token_with("beheer-1", &[], true);
    let inst = Auth::Bearer(institute);
    let body = json!({"slug": "echo", "name": "Makelen in Echt", "municipality": "Echt-Susteren"});
    api.send(Req::post("/api/v1/studies").auth(Auth::As(Role::Admin)).json(&body))
        .await
        .problem_naming(403, &["institute admin"]);
    let made = api.send(Req::post("/api/v1/studies").auth(inst.clone()).json(&body)).await.json_of(201);
    assert_eq!((made["slug"].clone(), made["archived"].clone()), (json!("echo"), json!(false)), "{made}");
    api.send(Req::post("/api/v1/studies").auth(inst.clone()).json(&body)).await.problem_naming(409, &["echo"]);
    api.send(Req::post("/api/v1/studies").auth(inst.clone()).json(&json!({"slug": "Echo!", "name": "x"})))
        .await
        .problem(400);

    let listed = api.send(Req::get("/api/v1/studies").auth(inst.clone())).await.json_of(200);
    assert_eq!(listed["institute_admin"], json!(true));
    let echo =
        listed["studies"].as_array().unwrap().iter().find(|s| s["slug"] == json!("echo")).expect("listed").clone();
    assert_eq!(echo["role"], Value::Null, "{echo}");
    // The institute admin reads no study's data without a role in it.
    api.send(Req::get("/api/v1/studies/echo/events").auth(inst.clone())).await.problem(404);

    let token = json!({"participant": "onderzoeker-1", "role": "researcher"});
    let created = api.send(Req::post("/api/v1/studies/echo/tokens").auth(inst.clone()).json(&token)).await.json_of(201);
    let researcher = Auth::Bearer(created["token"].as_str().unwrap().to_string());
    let started = json!([{"stream": "study:echt", "kind": "StudyStarted", "occurred_at": "2024-01-08T10:00:00+01:00",
        "payload": {"title": "Makelen in Echt", "question": "Wat levert het op?", "municipality": "Echt-Susteren", "levels": ["wijk"]}}]);
    let appended =
        api.send(Req::post("/api/v1/studies/echo/events").auth(researcher.clone()).json(&started)).await.json_of(201);
    assert_eq!(appended["head"], json!(1), "echo has a log of its own, from position 1");
    let mine = api.send(Req::get("/api/v1/studies").auth(researcher.clone())).await.json_of(200);
    assert_eq!(mine["studies"].as_array().unwrap().len(), 1, "{mine}");
    let others = api.get("/api/v1/studies", Role::Researcher).await.json_of(200);
    assert!(!others.to_string().contains("echo"), "a token without a role in echo does not see it: {others}");

    let text = api.get("/metrics", Role::Researcher).await.text();
    assert!(!text.contains("echo"), "metrics name no study the token has no role in:\n{text}");
    let text = api.send(Req::get("/metrics").auth(researcher)).await.text();
    assert_eq!(metric(&text, "parlog_log_head_position{study=\"echo\"}"), 1.0, "{text}");
}

/// A data folder of the previous release (a log at its root) is served as it is: one study,
/// named after its municipality, at its root.
#[tokio::test]
async fn a_folder_of_the_previous_release_is_served_as_one_study() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let store = parlog_core::SledStore::init(&data).unwrap();
    let events = parlog_server::cli::demo::parse(parlog_server::cli::demo::GOUDA, "the demo").unwrap();
    std::thread::scope(|s| s.spawn(|| parlog_server::cli::demo::load(&store, events).map(|_| ())).join())
        .unwrap()
        .unwrap();
    let head = store.head().position.0;
    store.close();
    let options = parlog_core::StoreOptions::from_env(&data);
    let state = parlog_server::http::AppState::new(data.clone(), options, Limits::default()).expect("the state");
    let studies = state.tokens.studies().unwrap();
    assert_eq!(studies.len(), 1, "{studies:?}");
    assert!(!data.join("studies").join(studies[0].slug.as_str()).exists(), "its files stay at the root");
    let slug = studies[0].slug.to_string();
    let p = parlog_core::ParticipantId::parse("onderzoeker-tno").unwrap();
    let (_, secret) = state.tokens.create(p, [(studies[0].slug.clone(), Role::Researcher)].into(), false).unwrap();
    let router = parlog_server::http::app(state.clone());
    let req = axum::http::Request::get(format!("/api/v1/studies/{slug}/events?limit=1"))
        .header("authorization", format!("Bearer {secret}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = tower::ServiceExt::oneshot(router, req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(v["head"], json!(head), "{v}");
    state.hub.close_all().await;
}

/// Shutting down saves every open study's checkpoint and closes its store; no study opens after.
#[tokio::test]
async fn shutdown_saves_every_open_study() {
    let api = setup_studies(&[(A, Log::Small), (B, Log::Small)], Limits::default());
    let (_, both) = api.token_with("onderzoeker-1", &[(A, Role::Researcher), (B, Role::Researcher)], false);
    for s in [A, B] {
        let checkpoint = api.folder(s).join("projections").join("checkpoint.bin");
        let _ = std::fs::remove_file(&checkpoint);
        let path = format!("/api/v1/studies/{s}/projections/cycles");
        api.send(Req::get(&path).auth(Auth::Bearer(both.clone()))).await.expect(200);
    }
    api.state.hub.close_all().await;
    assert!(api.state.hub.open_studies().is_empty());
    for s in [A, B] {
        assert!(api.folder(s).join("projections").join("checkpoint.bin").exists(), "{s}'s checkpoint");
    }
    let after = api.send(Req::get("/api/v1/studies/alfa/projections/cycles").auth(Auth::Bearer(both))).await;
    after.problem(503);
}

/// `GET /api/v1/compare`: studies side by side for a caller with a role in each; a study it has
/// no role in is answered as one that does not exist, whichever of the named it is.
#[tokio::test]
async fn compare_answers_for_the_studies_the_caller_has_a_role_in() {
    let w = world(&[A, B, C, D], Limits::default());
    let get = |who: &Who, query: &str| {
        let mut req = Req::get(&format!("/api/v1/compare?{query}"));
        req.auth = who.auth();
        req
    };
    let md = w.api.send(get(&w.multi, &format!("studies={A},{C}&format=md"))).await;
    md.expect(200);
    assert!(md.content_type().starts_with("text/markdown"), "{}", md.content_type());
    let text = md.text();
    assert!(text.contains(&format!("[{A} #")) && text.contains(&format!("[{C} #")), "cites both studies:\n{text}");
    let html = w.api.send(get(&w.multi, &format!("studies={A},{B}"))).await;
    html.expect(200);
    assert!(html.content_type().starts_with("text/html") && !html.text().contains("<script"));
    let json = w.api.send(get(&w.multi, &format!("studies={A},{B}&format=json&lang=en"))).await.expect(200).json();
    assert_eq!(json["studies"].as_array().map(Vec::len), Some(2));
    // No role in D, and no study "nergens": the same 404 body but for the slug.
    let d = w.api.send(get(&w.multi, &format!("studies={A},{D}"))).await;
    let none = w.api.send(get(&w.multi, &format!("studies={A},{NONE}"))).await;
    assert_eq!((d.status.as_u16(), none.status.as_u16()), (404, 404));
    assert_eq!(d.text().replace(D, "X"), none.text().replace(NONE, "X"));
    w.api.send(get(&w.institute, &format!("studies={A}"))).await.expect(404);
    w.api.send(get(&w.multi, &format!("studies={A},{A}"))).await.expect(400);
    w.api.send(get(&w.multi, "studies=")).await.expect(400);
    w.api.send(get(&w.multi, &format!("studies={A}&format=pdf"))).await.expect(400);
}
