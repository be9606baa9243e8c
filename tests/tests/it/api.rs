//! The HTTP API, through the router with `oneshot` (a few tests over a real socket at the end):
//! the routes against the OpenAPI document, the role × endpoint matrix, appending, reading,
//! views, admin, limits, and every error class as `application/problem+json` whose detail says
//! what was wrong.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::BodyExt;

use parlog_core::{EventStore, Position};
use parlog_server::cli::demo::label_id;
use parlog_server::http::auth::Role;
use parlog_server::http::openapi;
use parlog_server::http::routes::{self, ROUTES};
use parlog_server::http::Limits;
use serde_json::{json, Value};

use super::api_support::{
    http, limits, new_id, note, setup, setup_with, Api, Auth, Log, Req, SseStream, SOCKET_READ_TIMEOUT,
};

const ALL: [Role; 4] = Role::ALL;

/// A short unique slug, for stream names and subjects that must be new.
fn uniq(prefix: &str) -> String {
    format!("{prefix}-{}", &uuid::Uuid::new_v4().simple().to_string()[..10])
}

/// The notes stream of the fixture's participant of `role`.
fn notes_of(api: &Api, role: Role) -> String {
    format!("notes:{}", api.participant(role))
}

/// A demo event by its label in demo/gouda.json.
fn demo_id(label: &str) -> String {
    label_id(label).to_string()
}

// ---- the routes and the OpenAPI document ---------------------------------------------------

/// Who may call each documented route in the study they have their role in: (method, path,
/// [makelaar, researcher, viewer, admin]). This is the role × endpoint matrix of one study; the
/// test below checks that it lists exactly the routes of `routes::ROUTES`. Creating and
/// archiving studies is for institute admins (none of these roles): api_studies.rs has the
/// role × study × endpoint matrix.
pub const MATRIX: &[(&str, &str, [bool; 4])] = &[
    ("post", "/api/v1/studies/{study}/events", [true, true, false, false]),
    ("get", "/api/v1/studies/{study}/events", [true, true, false, true]),
    ("get", "/api/v1/studies/{study}/events/{id}", [true, true, false, true]),
    ("get", "/api/v1/studies/{study}/streams/{stream}", [true, true, false, true]),
    ("get", "/api/v1/studies/{study}/notes", [true, true, false, false]),
    ("get", "/api/v1/studies/{study}/notes/{id}", [true, true, false, false]),
    ("get", "/api/v1/studies/{study}/projections/{name}", [true, true, true, true]),
    ("get", "/api/v1/studies/{study}/retrospective", [true, true, true, true]),
    ("get", "/api/v1/studies/{study}/charts/{name}", [true, true, true, true]),
    ("get", "/api/v1/studies/{study}/export", [true, true, true, true]),
    ("get", "/api/v1/studies/{study}/feed", [true, true, false, true]),
    ("get", "/api/v1/studies/{study}/verify", [false, false, false, true]),
    ("post", "/api/v1/studies/{study}/subjects/{subject}/forget", [false, false, false, true]),
    ("get", "/api/v1/studies/{study}/tokens", [false, false, false, true]),
    ("post", "/api/v1/studies/{study}/tokens", [false, false, false, true]),
    ("delete", "/api/v1/studies/{study}/tokens/{id}", [false, false, false, true]),
    ("get", "/api/v1/studies/{study}/me", [true, true, true, true]),
    ("get", "/api/v1/studies", [true, true, true, true]),
    ("get", "/api/v1/compare", [true, true, true, true]),
    ("post", "/api/v1/studies", [false, false, false, false]),
    ("post", "/api/v1/studies/{study}/archive", [false, false, false, false]),
    ("get", "/api/v1/openapi.json", [true, true, true, true]),
    ("get", "/api/v1/me", [true, true, true, true]),
    ("get", "/api/v1/vocabulary", [true, true, true, true]),
    ("get", "/api/v1/limits", [true, true, true, true]),
    ("get", "/metrics", [true, true, true, true]),
    ("get", "/healthz", [true, true, true, true]),
];

pub fn allowed(method: &str, path: &str, role: Role) -> bool {
    let (_, _, roles) = MATRIX
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .unwrap_or_else(|| panic!("{method} {path} is documented but missing from the test's MATRIX; add it"));
    roles[ALL.iter().position(|r| *r == role).expect("a role")]
}

/// A request that calls `method path` in `study` successfully for a role that may: path
/// parameters filled with things that exist in the demo log (a subject with sealed data and a
/// spare token are made for the calls that destroy them), a body where the route takes one.
/// The spare token and the sealed note are made in `study` by `maker`, a token with the role
/// needed there (the fixture's own tokens when `maker` is `None`).
pub async fn sample_in(api: &Api, study: &str, maker: Option<&str>, method: &str, path: &str, role: Role) -> Req {
    let exists = api.state.tokens.studies().expect("the registry reads").iter().any(|s| s.slug.as_str() == study);
    let filled = match path.replace("{study}", study).as_str() {
        p if path.ends_with("/events/{id}") || path.ends_with("/notes/{id}") => {
            p.replace("{id}", &demo_id("obs-pilot-1"))
        }
        p if path.ends_with("/streams/{stream}") => p.replace("{stream}", "notes:makelaar-oost-a"),
        p if path.ends_with("/projections/{name}") => p.replace("{name}", "cycles"),
        p if path.ends_with("/charts/{name}") => p.replace("{name}", "role"),
        // In a study that exists, a subject with sealed data; else any subject (the answer is
        // a 404 before it is looked for).
        p if path.ends_with("/subjects/{subject}/forget") => {
            let subject = format!("resident:{}", uniq("r"));
            if exists {
                let stream = format!("notes:{}", api.participant(Role::Researcher));
                let mut ev = note(&stream, "bezoek", "Mevrouw vertelde over haar buren.");
                ev["sealed"]["subjects"] = json!([subject]);
                let append = Req::post(&format!("/api/v1/studies/{study}/events")).json(&json!([ev]));
                let append = match maker {
                    Some(secret) => append.auth(Auth::Bearer(secret.to_string())),
                    None => append.auth(Auth::As(Role::Researcher)),
                };
                api.send(append).await.expect(201);
            }
            p.replace("{subject}", &subject)
        }
        p if path.ends_with("/tokens/{id}") => match exists {
            true => p.replace("{id}", &api.token_with("makelaar-noord-a", &[(study, Role::Makelaar)], false).0),
            false => p.replace("{id}", "0000deadbeef"),
        },
        p => {
            assert!(!p.contains('{'), "no sample value for the parameters of {p}; add one to `sample_in`");
            p.to_string()
        }
    };
    let req = Req::new(&method.to_uppercase(), &filled).auth(Auth::As(role));
    // By the end of the path: a route and its deprecated alias take the same.
    match method {
        "post" if path.ends_with("/events") => {
            let stream = format!("notes:{}", api.participant(role));
            req.json(&json!([note(&stream, "koffieochtend", "Zes bewoners, twee nieuw.")]))
        }
        "post" if path.ends_with("/forget") => req.json(&json!({"reason": "verzoek van de bewoner"})),
        "post" if path.ends_with("/tokens") => req.json(&json!({"participant": "makelaar-noord-a", "role": "viewer"})),
        "post" if path == "/api/v1/studies" => {
            req.json(&json!({"slug": uniq("s"), "name": "Makelen in Delft", "municipality": "Delft"}))
        }
        "get" if path.ends_with("/feed") => Req { path: format!("{filled}?from=1"), ..req },
        // The codebook, which every role may export (the project is for researchers: qda.rs).
        "get" if path.ends_with("/export") => Req { path: format!("{filled}?format=qdc"), ..req },
        "get" if path == "/api/v1/compare" => Req { path: format!("{filled}?studies={study}&format=json"), ..req },
        _ => req,
    }
}

/// `sample_in` the fixture's study.
async fn sample(api: &Api, method: &str, path: &str, role: Role) -> Req {
    sample_in(api, api.study.as_str(), None, method, path, role).await
}

/// The test that the OpenAPI document matches the routes: every documented route answers (not
/// 404 or 405) and succeeds for a role that may call it (an institute admin for the routes only
/// it may call).
#[tokio::test]
async fn every_documented_route_answers() {
    let api = setup();
    let (_, institute) = api.token_with("beheerder", &[], true);
    for r in ROUTES {
        let req = match ALL.iter().find(|role| allowed(r.method, r.path, **role)) {
            Some(role) => sample(&api, r.method, r.path, *role).await,
            None => sample(&api, r.method, r.path, Role::Admin).await.auth(Auth::Bearer(institute.clone())),
        };
        let resp = api.send(req).await;
        let status = resp.status.as_u16();
        assert!(
            status != 404 && status != 405,
            "{}: the documented route is not routed ({status}): {}",
            resp.what,
            resp.text()
        );
        assert!(resp.status.is_success(), "{}: expected success, got {status}: {}", resp.what, resp.text());
    }
}

#[test]
fn the_matrix_lists_exactly_the_documented_routes_and_roles() {
    let documented: BTreeSet<(&str, &str)> = ROUTES.iter().map(|r| (r.method, r.path)).collect();
    let tested: BTreeSet<(&str, &str)> = MATRIX.iter().map(|(m, p, _)| (*m, *p)).collect();
    assert_eq!(documented, tested, "routes::ROUTES and the test's MATRIX list different routes");
    assert_eq!(documented.len(), ROUTES.len(), "a route is documented twice");
    // What the document says about who may call a route agrees with the matrix ("an institute
    // admin" is none of a study's roles).
    for r in ROUTES {
        let says_all = r.roles.starts_with("all") || r.roles.starts_with("anyone");
        let words = r.roles.replace("an institute admin", "");
        for role in ALL {
            let documented = says_all || words.split([',', ' ', '(']).any(|w| w == role.as_str());
            assert_eq!(
                documented,
                allowed(r.method, r.path, role),
                "{} {}: the document says roles {:?}, the matrix says {} is {}",
                r.method,
                r.path,
                r.roles,
                role.as_str(),
                if allowed(r.method, r.path, role) { "allowed" } else { "forbidden" }
            );
        }
    }
}

#[tokio::test]
async fn the_openapi_document_is_openapi_3_1_with_every_path_parameter() {
    let api = setup_with(Log::Small, Limits::default());
    let served = api.get("/api/v1/openapi.json", Role::Viewer).await.json_of(200);
    let doc = openapi::document(&Limits::default());
    assert_eq!(served, doc, "the served document is `openapi::document(limits)`");

    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1.")), "openapi: {}", doc["openapi"]);
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string(), "info: {}", doc["info"]);
    let schemes = &doc["components"]["securitySchemes"];
    let paths = doc["paths"].as_object().expect("paths is an object");
    let mut operations = BTreeSet::new();
    for (path, item) in paths {
        assert!(path.starts_with('/'), "path {path:?}");
        let template: BTreeSet<&str> =
            path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))).collect();
        for (method, op) in item.as_object().expect("a path item is an object") {
            assert!(["get", "post", "put", "delete", "patch"].contains(&method.as_str()), "{method} {path}");
            operations.insert((method.clone(), path.clone()));
            let params = op["parameters"].as_array().unwrap_or_else(|| panic!("{method} {path}: no parameters list"));
            let mut in_path = BTreeSet::new();
            let mut seen = BTreeSet::new();
            for p in params {
                let (name, place) = (p["name"].as_str().expect("a parameter name"), p["in"].as_str().expect("`in`"));
                assert!(["path", "query", "header", "cookie"].contains(&place), "{method} {path}: {p}");
                assert!(seen.insert((name, place)), "{method} {path}: parameter {name} in {place} twice");
                assert!(p["schema"].is_object(), "{method} {path}: parameter {name} has no schema");
                if place == "path" {
                    assert_eq!(p["required"], json!(true), "{method} {path}: path parameter {name} must be required");
                    in_path.insert(name);
                }
            }
            assert_eq!(in_path, template, "{method} {path}: the path parameters documented differ from the template");
            let responses = op["responses"].as_object().unwrap_or_else(|| panic!("{method} {path}: no responses"));
            assert!(responses.keys().any(|k| k.starts_with('2')), "{method} {path}: no success response");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{method} {path}: no summary");
            if path != "/healthz" {
                let scheme = op["security"][0].as_object().and_then(|o| o.keys().next().cloned());
                let scheme = scheme.unwrap_or_else(|| panic!("{method} {path}: needs a token but says no security"));
                assert!(schemes[&scheme].is_object(), "{method} {path}: security scheme {scheme} is not defined");
            }
        }
    }
    // Every `$ref` points at a schema the document defines.
    let text = doc.to_string();
    for piece in text.split("\"$ref\":\"").skip(1) {
        let target = &piece[..piece.find('"').expect("a closing quote")];
        let name = target.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("$ref {target}"));
        assert!(doc["components"]["schemas"][name].is_object(), "$ref {target} points at nothing");
    }
    let routes: BTreeSet<(String, String)> =
        routes::operations().map(|op| (op.route.method.to_string(), op.path.to_string())).collect();
    assert_eq!(operations, routes, "the document's operations are the routes, at their paths and aliases");
    // The deprecated aliases say so, and only they.
    for op in routes::operations() {
        let documented = &doc["paths"][op.path][op.route.method];
        assert_eq!(
            documented["deprecated"].as_bool().unwrap_or(false),
            op.deprecated,
            "{} {}",
            op.route.method,
            op.path
        );
    }
}

/// The router and the document come from one table; this holds both to it from outside. Every
/// documented path answers a method it does not serve with 405 and an `Allow` header that lists
/// exactly the documented methods (GET brings HEAD), so the router serves no method on a
/// documented path that the document lacks, and lacks none it has.
#[tokio::test]
async fn the_router_serves_exactly_the_documented_methods_on_each_path() {
    let api = setup_with(Log::Small, Limits::default());
    let doc = openapi::document(&Limits::default());
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let mut documented: BTreeSet<String> =
            item.as_object().expect("a path item").keys().map(|m| m.to_uppercase()).collect();
        if documented.contains("GET") {
            documented.insert("HEAD".into());
        }
        // A path parameter filled with something of the right form: a 405 comes before the handler.
        let filled = path
            .replace("{study}", api.study.as_str())
            .replace("{id}", "67e55044-10b1-426f-9247-bb680e5fe0c8")
            .replace("{stream}", "notes:x")
            .replace("{subject}", "resident:r-1")
            .replace("{name}", "cycles");
        let resp = api.send(Req::new("PATCH", &filled).auth(Auth::As(Role::Admin)).alias()).await;
        resp.problem(405);
        let allow = resp.headers.get("allow").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        let served: BTreeSet<String> =
            allow.split(',').map(|m| m.trim().to_string()).filter(|m| !m.is_empty()).collect();
        assert_eq!(served, documented, "{path}: the router serves {allow:?}, the document lists {documented:?}");
    }
}

#[tokio::test]
async fn an_unknown_route_is_a_404_and_a_wrong_method_a_405_problem() {
    let api = setup_with(Log::Small, Limits::default());
    let resp = api.get("/api/v1/nothing-here", Role::Researcher).await;
    resp.problem_naming(404, &["openapi.json"]);
    let resp = api.send(Req::new("PUT", "/api/v1/events").auth(Auth::As(Role::Researcher))).await;
    resp.problem_naming(405, &["PUT", "/api/v1/studies/zwolle-zuid/events"]);
    let allow = resp.headers.get("allow").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    assert!(allow.contains("GET") && allow.contains("POST"), "a 405 lists the methods in `Allow`: {allow:?}");
    api.send(Req::new("DELETE", "/healthz")).await.problem(405);
}

// ---- the role × endpoint matrix --------------------------------------------------------------

#[tokio::test]
async fn role_endpoint_matrix() {
    let api = setup();
    let mut failures = Vec::new();
    for &(method, path, roles) in MATRIX {
        for (role, may) in ALL.into_iter().zip(roles) {
            let resp = api.send(sample(&api, method, path, role).await).await;
            let status = resp.status.as_u16();
            let ok = if may {
                resp.status.is_success()
            } else {
                status == 403 && {
                    let detail = resp.problem(403);
                    detail.contains(&format!("role {} may not", role.as_str()))
                        || detail.contains("only an institute admin may")
                }
            };
            if !ok {
                failures.push(format!(
                    "{:<50} expected {}, got {status}: {}",
                    resp.what,
                    if may { "success" } else { "403 naming the role" },
                    resp.text().chars().take(300).collect::<String>()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "the role × endpoint matrix has {} wrong cells:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn healthz_and_the_web_page_need_no_token() {
    let api = setup_with(Log::Small, Limits::default());
    let resp = api.send(Req::get("/healthz")).await;
    assert_eq!((resp.status.as_u16(), resp.text().trim()), (200, "ok"), "{}", resp.what);
    let page = api.send(Req::get("/")).await;
    page.expect(200);
    assert!(page.content_type().starts_with("text/html"), "the page's type: {}", page.content_type());
    assert!(
        page.text().contains(r#"<script type="module" src="/js/main.js""#),
        "the page loads its script: {}",
        page.text()
    );
    for (asset, ty) in [("/js/main.js", "text/javascript"), ("/app.css", "text/css")] {
        let resp = api.send(Req::get(asset)).await;
        resp.expect(200);
        assert!(resp.content_type().starts_with(ty), "{asset}: {}", resp.content_type());
        assert!(!resp.body.is_empty(), "{asset} is empty");
    }
}

// ---- appending: what each role may append --------------------------------------------------

/// One event of `kind` that a researcher can append to the demo log (with `cycle` an open cycle),
/// and whether a makelaar may append it.
fn event_of_kind(kind: &str, cycle: &str) -> (Value, bool) {
    let (stream, payload, makelaar) = match kind {
        "ObservationRecorded" => {
            ("notes:makelaar-noord-a".to_string(), json!({"area": "area:noord", "topic": "koffieochtend"}), true)
        }
        "SignalRaised" => (
            "signals:noord".into(),
            json!({"theme": "eenzaamheid bij ouderen", "area": "area:noord", "count": 4}),
            true,
        ),
        "InitiativeStarted" => (
            format!("initiative:{}", uniq("moestuin")),
            json!({"name": "Moestuin", "route": "opportunity", "area": "area:noord", "description": "Bewoners willen samen een moestuin."}),
            true,
        ),
        "ConnectionMade" => (
            "network:noord".into(),
            json!({"from": "participant:makelaar-noord-a", "to": "participant:bewoner-noord-01"}),
            true,
        ),
        "ParticipantRegistered" => {
            (format!("participant:{}", uniq("bewoner")), json!({"label": "bewoner", "role": "resident"}), true)
        }
        "CycleOpened" => (
            format!("cycle:{}", uniq("wijk")),
            json!({"study": "study:gouda-sociaal-makelaar", "level": "wijk", "question": "Wat werkt?", "plan": "Kijken en vragen."}),
            false,
        ),
        "ActionTaken" => (cycle.into(), json!({"description": "Bewoners gesproken."}), false),
        "ReflectionRecorded" => {
            (cycle.into(), json!({"insights": [{"kind": "tip", "text": "Begin klein.", "theme": "aanpak"}]}), false)
        }
        "MethodChanged" => (
            "role:sociaal-makelaar-gouda".into(),
            json!({"aspect": "verslaglegging", "before": "Los.", "after": "Wekelijks.", "rationale": "Overzicht.", "effective": "2020-01-01"}),
            false,
        ),
        "CodeDefined" => (format!("code:{}", uniq("code")), json!({"name": "nieuwe code"}), false),
        "MemoWritten" => ("memo:api-test".into(), json!({"title": "Memo", "text": "Een gedachte."}), false),
        other => panic!("no sample event of kind {other}"),
    };
    let ev = json!({"id": new_id(), "stream": stream, "kind": kind, "occurred_at": "2020-02-03T10:00:00+01:00", "payload": payload});
    (ev, makelaar)
}

#[tokio::test]
async fn what_each_role_may_append() {
    let api = setup();
    let cycle = format!("cycle:{}", uniq("open"));
    let (mut open, _) = event_of_kind("CycleOpened", "");
    open["stream"] = json!(cycle);
    api.append_ok(Role::Researcher, &[open]).await;
    let kinds = [
        "ObservationRecorded",
        "SignalRaised",
        "InitiativeStarted",
        "ConnectionMade",
        "ParticipantRegistered",
        "CycleOpened",
        "ActionTaken",
        "ReflectionRecorded",
        "MethodChanged",
        "CodeDefined",
        "MemoWritten",
    ];
    let mut failures = Vec::new();
    for kind in kinds {
        for role in ALL {
            let (ev, makelaar_may) = event_of_kind(kind, &cycle);
            let may = match role {
                Role::Makelaar => makelaar_may,
                Role::Researcher => true,
                Role::Viewer | Role::Admin => false,
            };
            let resp = api.append(role, &[ev]).await;
            let ok = if may {
                resp.status.as_u16() == 201
            } else {
                resp.status.as_u16() == 403 && {
                    let detail = resp.problem(403);
                    detail.contains(&format!("role {} may not append {kind}", role.as_str()))
                }
            };
            if !ok {
                failures.push(format!(
                    "{} {kind}: expected {}, got {}: {}",
                    role.as_str(),
                    if may { 201 } else { 403 },
                    resp.status,
                    resp.text()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} wrong answers:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn a_makelaar_registers_residents_but_not_staff_and_corrects_only_own_kinds() {
    let api = setup();
    let staff = json!({"id": new_id(), "stream": format!("participant:{}", uniq("makelaar")), "kind": "ParticipantRegistered",
        "occurred_at": "2020-02-03T10:00:00+01:00", "payload": {"label": "nieuwe makelaar", "role": "makelaar"}});
    api.append(Role::Makelaar, std::slice::from_ref(&staff)).await.problem_naming(403, &["makelaar", "residents"]);
    api.append(Role::Researcher, &[staff]).await.expect(201);

    // A reflection (a researcher's kind) may not be retracted by a makelaar.
    let retract = json!({"id": new_id(), "stream": "cycle:gemeente-1", "kind": "EventRetracted", "occurred_at": "2020-02-03T10:00:00+01:00",
        "payload": {"target": demo_id("refl-g1"), "reason": "dubbel"}});
    api.append(Role::Makelaar, &[retract]).await.problem_naming(403, &["may not correct", "ReflectionRecorded"]);
}

// ---- appending: author, idempotency, expected version, atomicity ----------------------------

#[tokio::test]
async fn the_author_comes_from_the_token() {
    let api = setup();
    let me = api.participant(Role::Makelaar);
    let ev = note(&notes_of(&api, Role::Makelaar), "huisbezoek", "Meneer wil graag helpen in de tuin.");
    let id = ev["id"].as_str().unwrap().to_string();
    api.append_ok(Role::Makelaar, &[ev]).await;
    let stored = api.get(&format!("/api/v1/events/{id}"), Role::Researcher).await.json_of(200);
    assert_eq!(stored["author"], json!(me), "{stored}");

    // Saying the same author is fine; another one is refused and names both.
    let mut same = note(&notes_of(&api, Role::Makelaar), "x", "y");
    same["author"] = json!(me);
    api.append(Role::Makelaar, &[same]).await.expect(201);
    let mut other = note(&notes_of(&api, Role::Makelaar), "x", "y");
    other["author"] = json!("onderzoeker-tno");
    let head = api.head().await;
    api.append(Role::Makelaar, &[other]).await.problem_naming(400, &["event 1", "author", me, "onderzoeker-tno"]);
    assert_eq!(api.head().await, head, "a refused append stores nothing");
}

#[tokio::test]
async fn a_retry_with_the_same_id_and_content_is_answered_as_a_duplicate() {
    let api = setup_with(Log::Small, Limits::default());
    let ev = note(&notes_of(&api, Role::Makelaar), "koffie", "Twee nieuwe bewoners.");
    let first = api.append(Role::Makelaar, std::slice::from_ref(&ev)).await.json_of(201);
    let head = api.head().await;
    let again = api.append(Role::Makelaar, std::slice::from_ref(&ev)).await.json_of(200);
    assert_eq!(again["appended"][0]["duplicate"], json!(true), "{again}");
    assert_eq!(first["appended"][0]["duplicate"], json!(false), "{first}");
    assert_eq!(again["appended"][0]["position"], first["appended"][0]["position"], "the original position");
    assert_eq!(again["appended"][0]["id"], ev["id"]);
    assert_eq!(api.head().await, head, "a retry stores nothing");

    // The same id with other content is a conflict naming the id and its position.
    let mut changed = ev.clone();
    changed["sealed"]["text"] = json!("Drie nieuwe bewoners.");
    let pos = first["appended"][0]["position"].to_string();
    api.append(Role::Makelaar, &[changed])
        .await
        .problem_naming(409, &[ev["id"].as_str().unwrap(), &pos, "other content"]);
    let mut changed = ev;
    changed["payload"]["topic"] = json!("thee");
    api.append(Role::Makelaar, &[changed]).await.problem(409);
}

#[tokio::test]
async fn expected_version_guards_a_stream() {
    let api = setup_with(Log::Small, Limits::default());
    let stream = "notes:makelaar-zuid-1";
    let with_version = |v: u64| {
        let mut e = note(stream, "koffie", "tekst");
        e["expected_version"] = json!(v);
        e
    };
    let a = api.append_ok(Role::Makelaar, &[with_version(0)]).await;
    assert_eq!(a[0]["stream_version"], json!(1), "{a:?}");
    api.append(Role::Makelaar, &[with_version(0)])
        .await
        .problem_naming(409, &["expected_version", "version 1", stream]);
    api.append(Role::Makelaar, &[with_version(5)]).await.problem_naming(409, &["expected version 5"]);
    let b = api.append_ok(Role::Makelaar, &[with_version(1)]).await;
    assert_eq!(b[0]["stream_version"], json!(2));
}

#[tokio::test]
async fn a_batch_is_all_or_nothing_and_may_be_wrapped() {
    let api = setup_with(Log::Small, Limits::default());
    let stream = notes_of(&api, Role::Makelaar);
    let head = api.head().await;
    let mut bad = note(&stream, "b", "c");
    bad["occurred_at"] = json!("gisteren");
    api.append(Role::Makelaar, &[note(&stream, "a", "b"), bad])
        .await
        .problem_naming(400, &["event 2", "occurred_at", "gisteren"]);
    assert_eq!(api.head().await, head, "nothing of a refused batch is stored");

    let wrapped = json!({"events": [note(&stream, "a", "b"), note(&stream, "c", "d")]});
    let v = api.post("/api/v1/events", Role::Makelaar, &wrapped).await.json_of(201);
    let positions: Vec<u64> =
        v["appended"].as_array().unwrap().iter().map(|a| a["position"].as_u64().unwrap()).collect();
    assert_eq!(positions, vec![head + 1, head + 2], "{v}");
    assert_eq!(v["head"], json!(head + 2));
}

// ---- reading, and who sees sealed text -------------------------------------------------------

#[tokio::test]
async fn makelaar_and_researcher_see_sealed_text_viewer_and_admin_do_not() {
    let api = setup();
    let ev = note(&notes_of(&api, Role::Makelaar), "huisbezoek", "Mevrouw De Vries (82) voelt zich alleen.");
    let id = ev["id"].as_str().unwrap().to_string();
    let pos = api.append_ok(Role::Makelaar, &[ev]).await[0]["position"].as_u64().unwrap();
    let stream = notes_of(&api, Role::Makelaar);
    let reads = [
        format!("/api/v1/events/{id}"),
        format!("/api/v1/events?from={pos}&limit=1"),
        format!("/api/v1/streams/{stream}?from_version=1&limit=1000"),
    ];
    for role in ALL {
        for path in &reads {
            let resp = api.get(path, role).await;
            if !role.reads_events() {
                resp.problem_naming(403, &["role viewer may not read events"]);
                continue;
            }
            let v = resp.json_of(200);
            let event = if v["id"].is_string() {
                v
            } else {
                let events = v["events"].as_array().unwrap_or_else(|| panic!("{path}: {v}"));
                events
                    .iter()
                    .find(|e| e["id"] == json!(id))
                    .unwrap_or_else(|| panic!("{path}: event {id} missing"))
                    .clone()
            };
            assert!(
                event["sealed"]["subjects"].is_array(),
                "{path} as {}: the envelope names the subjects: {event}",
                role.as_str()
            );
            let text = &event["sealed"]["data"]["text"];
            if role.reads_sealed() {
                assert_eq!(text, &json!("Mevrouw De Vries (82) voelt zich alleen."), "{path} as {}", role.as_str());
            } else {
                assert!(
                    event["sealed"].get("data").is_none(),
                    "{path} as {} shows sealed data: {event}",
                    role.as_str()
                );
            }
        }
        // The live feed shows the same as the reads.
        if role.reads_events() {
            let got = api.feed_events(&format!("/api/v1/feed?from={pos}"), role, None, 1).await;
            let event: Value = serde_json::from_str(&got[0].data).expect("feed data is JSON");
            assert_eq!(event["id"], json!(id));
            assert_eq!(
                event["sealed"].get("data").is_some(),
                role.reads_sealed(),
                "feed as {}: {event}",
                role.as_str()
            );
        }
    }
}

#[tokio::test]
async fn the_log_is_read_in_pages_by_position() {
    let api = setup();
    let head = api.head().await;
    let v = api.get("/api/v1/events?from=1&limit=250", Role::Admin).await.json_of(200);
    let events = v["events"].as_array().unwrap();
    assert_eq!(events.len(), 250);
    let positions: Vec<u64> = events.iter().map(|e| e["position"].as_u64().unwrap()).collect();
    assert_eq!(positions, (1..=250).collect::<Vec<_>>());
    assert_eq!((v["next"].clone(), v["head"].clone()), (json!(251), json!(head)));
    let last = api.get(&format!("/api/v1/events?from={}&limit=250", head - 1), Role::Admin).await.json_of(200);
    assert_eq!(last["events"].as_array().unwrap().len(), 2);
    assert_eq!(last["next"], Value::Null, "the last page has no next");
    let default = api.get("/api/v1/events", Role::Admin).await.json_of(200);
    assert_eq!(default["events"].as_array().unwrap().len(), 100, "the default page");

    let s = api.get("/api/v1/streams/initiative:weggeefwinkel?limit=2", Role::Makelaar).await.json_of(200);
    let versions: Vec<u64> =
        s["events"].as_array().unwrap().iter().map(|e| e["stream_version"].as_u64().unwrap()).collect();
    assert_eq!(versions, vec![1, 2]);
    assert_eq!(s["next_version"], json!(3));
    let e = api.get(&format!("/api/v1/events/{}", demo_id("ini-weggeefwinkel")), Role::Makelaar).await.json_of(200);
    assert_eq!(
        (e["kind"].as_str(), e["stream"].as_str()),
        (Some("InitiativeStarted"), Some("initiative:weggeefwinkel"))
    );
}

// ---- projections, retrospective, charts ------------------------------------------------------

#[tokio::test]
async fn every_projection_answers_as_of_the_head_a_day_or_a_position() {
    let api = setup();
    let head = api.head().await;
    for name in parlog_projections::PROJECTION_NAMES {
        let v = api.get(&format!("/api/v1/projections/{name}"), Role::Viewer).await.json_of(200);
        assert_eq!(v["as_of_position"], json!(head), "{name}: {v}");
        let en =
            api.get(&format!("/api/v1/projections/{name}?lang=en&as_of=2016-06-30"), Role::Viewer).await.json_of(200);
        assert!(en["as_of_position"].as_u64().is_some_and(|p| p < head), "{name} as of 2016: {}", en["as_of_position"]);
        let at = api.get(&format!("/api/v1/projections/{name}?as_of_position=100"), Role::Viewer).await.json_of(200);
        assert_eq!(at["as_of_position"], json!(100), "{name}");
    }
    // As of a day, later events are left out; Dutch and English differ in their labels.
    let now = api.get("/api/v1/projections/initiatives", Role::Viewer).await.text();
    let then = api.get("/api/v1/projections/initiatives?as_of=2015-01-01", Role::Viewer).await.text();
    assert!(now.contains("Weggeefwinkel") && then.contains("Weggeefwinkel"), "started in 2014");
    assert!(now.len() > then.len() * 2, "the 2015 view should hold much less than today's");
    let nl = api.get("/api/v1/projections/cycles?lang=nl", Role::Viewer).await.text();
    let en = api.get("/api/v1/projections/cycles?lang=en", Role::Viewer).await.text();
    assert_ne!(nl, en, "lang changes the labels");
    let recorded =
        api.get("/api/v1/projections/cycles?as_of=2015-01-01&basis=recorded", Role::Viewer).await.json_of(200);
    assert_eq!(
        recorded["as_of_position"],
        json!(0),
        "nothing was recorded before the demo was loaded: {}",
        recorded["as_of_position"]
    );
}

#[tokio::test]
async fn the_retrospective_comes_as_markdown_or_html() {
    let api = setup();
    let md = api.get("/api/v1/retrospective?format=md&lang=nl", Role::Viewer).await;
    md.expect(200);
    assert!(md.content_type().starts_with("text/markdown"), "{}", md.content_type());
    assert!(md.text().starts_with('#'), "markdown starts with a heading: {}", &md.text()[..100.min(md.text().len())]);
    let html = api.get("/api/v1/retrospective", Role::Viewer).await;
    html.expect(200);
    assert!(html.content_type().starts_with("text/html"), "{}", html.content_type());
    assert!(html.text().contains("<h1"), "html has a heading");
    let en = api.get("/api/v1/retrospective?format=md&lang=en", Role::Viewer).await;
    assert_ne!(en.text(), md.text(), "lang=en is another text");
    let area = api.get("/api/v1/retrospective?format=md&area=area:noord&as_of=2017-01-01", Role::Viewer).await;
    area.expect(200);
    assert!(area.body.len() < md.body.len(), "one area as of 2017 is shorter than the whole");
}

#[tokio::test]
async fn a_chart_is_what_its_content_type_says() {
    let api = setup();
    for name in ["role", "cycles", "initiatives", "signals"] {
        let resp = api.get(&format!("/api/v1/charts/{name}?lang=en"), Role::Viewer).await;
        resp.expect(200);
        let text = resp.text();
        assert!(text.contains("<svg"), "chart {name} has an SVG picture");
        let ty = resp.content_type();
        if ty.starts_with("image/svg+xml") {
            assert!(
                text.trim_start().starts_with("<svg") || text.trim_start().starts_with("<?xml"),
                "chart {name} is served as image/svg+xml but is not an SVG document (a browser refuses it): {}",
                &text[..80.min(text.len())]
            );
        } else {
            assert!(ty.starts_with("text/html"), "chart {name}: content type {ty}");
        }
    }
    api.get("/api/v1/charts/spiral", Role::Viewer).await.problem_naming(404, &["role, cycles, initiatives, signals"]);
}

// ---- admin: verify, forget, tokens ------------------------------------------------------------

#[tokio::test]
async fn verify_through_the_api() {
    let api = setup();
    let v = api.get("/api/v1/verify", Role::Admin).await.json_of(200);
    assert_eq!(v["ok"], json!(true), "{v}");
    assert_eq!(v["events"], json!(api.head().await));
    assert_eq!(v["head"]["position"], json!(api.head().await));
    assert_eq!(v["first_bad"], Value::Null);
}

#[tokio::test]
async fn forget_through_the_api_leaves_the_event_marked_forgotten() {
    let api = setup();
    let subject = format!("resident:{}", uniq("r"));
    let mut ev = note(&notes_of(&api, Role::Makelaar), "huisbezoek", "Mevrouw Jansen, Goudsewijk 12.");
    ev["sealed"]["subjects"] = json!([subject]);
    let id = ev["id"].as_str().unwrap().to_string();
    api.append_ok(Role::Makelaar, &[ev]).await;
    let path = format!("/api/v1/events/{id}");
    let before = api.get(&path, Role::Researcher).await.json_of(200);
    assert_eq!(before["sealed"]["data"]["text"], json!("Mevrouw Jansen, Goudsewijk 12."));

    let forget = format!("/api/v1/subjects/{subject}/forget");
    // Regression (found by schemathesis): a body that is not an object was read as "no reason"
    // and the subject was forgotten. Such a body, or an unknown field, is refused and destroys
    // nothing.
    for body in [json!(36583230), json!([1, 2]), json!({"reson": "typo"})] {
        api.post(&forget, Role::Admin, &body).await.problem_naming(400, &["reason"]);
    }
    let still = api.get(&path, Role::Researcher).await.json_of(200);
    assert_eq!(still["sealed"]["data"]["text"], json!("Mevrouw Jansen, Goudsewijk 12."), "nothing was forgotten");
    let f = api.post(&forget, Role::Admin, &json!({"reason": "verzoek van de bewoner"})).await.json_of(200);
    assert_eq!(f["already_forgotten"], json!(false), "{f}");
    let position = f["position"].as_u64().expect("the forget event's position");
    assert_eq!(position, api.head().await);

    for role in [Role::Makelaar, Role::Researcher, Role::Admin] {
        let after = api.get(&path, role).await.json_of(200);
        let forgotten = &after["sealed"]["forgotten"];
        assert_eq!(forgotten["subject"], json!(subject), "as {}: {after}", role.as_str());
        assert_eq!(forgotten["by"], json!(api.participant(Role::Admin)));
        assert_eq!(forgotten["position"], json!(position));
        assert!(after["sealed"].get("data").is_none(), "forgotten text is gone: {after}");
    }
    let forget_event = api.get(&format!("/api/v1/events?from={position}&limit=1"), Role::Admin).await.json_of(200);
    assert_eq!(forget_event["events"][0]["kind"], json!("SubjectForgotten"));

    let again = api.post(&forget, Role::Admin, &json!({})).await.json_of(200);
    assert_eq!(
        (again["already_forgotten"].clone(), again["position"].clone()),
        (json!(true), json!(position)),
        "{again}"
    );
    let v = api.get("/api/v1/verify", Role::Admin).await.json_of(200);
    assert_eq!(v["ok"], json!(true), "the chain still verifies after forgetting: {v}");
    // Without a body at all is fine too; an unknown subject is a 404.
    api.send(Req::post("/api/v1/subjects/resident:nooit-gezien/forget").auth(Auth::As(Role::Admin)))
        .await
        .problem_naming(404, &["resident:nooit-gezien"]);
}

#[tokio::test]
async fn tokens_are_created_listed_and_revoked_through_the_api() {
    let api = setup_with(Log::Small, Limits::default());
    let created = api
        .post("/api/v1/tokens", Role::Admin, &json!({"participant": "makelaar-zuid-1", "role": "makelaar"}))
        .await
        .json_of(201);
    let (id, secret) = (created["id"].as_str().unwrap().to_string(), created["token"].as_str().unwrap().to_string());
    assert_eq!(
        (created["participant"].as_str(), created["role"].as_str()),
        (Some("makelaar-zuid-1"), Some("makelaar"))
    );
    let new = Auth::Bearer(secret.clone());
    api.send(Req::get("/api/v1/events?limit=1").auth(new.clone())).await.expect(200);

    let list = api.get("/api/v1/tokens", Role::Admin).await.json_of(200);
    let listed = list["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == json!(id))
        .expect("the new token is listed")
        .clone();
    assert_eq!(listed["revoked_at"], Value::Null);
    let text = list.to_string();
    assert!(!text.contains(&secret) && !text.contains("\"hash\""), "the list shows neither secrets nor hashes: {text}");
    assert_eq!(list["tokens"].as_array().unwrap().len(), 5, "the fixture's four and the new one");

    // Deleting takes the token's role in this study away: the study is then not there for it.
    let removed = api.delete(&format!("/api/v1/tokens/{id}"), Role::Admin).await;
    removed.expect(204);
    api.send(Req::get("/api/v1/events?limit=1").auth(new)).await.problem_naming(404, &["zwolle-zuid"]);
    let list = api.get("/api/v1/tokens", Role::Admin).await.json_of(200);
    assert!(!list["tokens"].as_array().unwrap().iter().any(|t| t["id"] == json!(id)), "no longer listed: {list}");
    api.delete(&format!("/api/v1/tokens/{id}"), Role::Admin).await.problem_naming(404, &[&id]);
    api.delete("/api/v1/tokens/0000deadbeef", Role::Admin).await.problem_naming(404, &["0000deadbeef"]);

    // Revoking (the CLI, the journal) ends a token in every study: 401.
    let other = api.create_token("makelaar-zuid-1", Role::Makelaar);
    assert!(api.state.tokens.revoke(&other.id).unwrap());
    api.send(Req::get("/api/v1/events?limit=1").auth(Auth::Bearer(other.secret)))
        .await
        .problem_naming(401, &["revoked"]);
    let list = api.get("/api/v1/tokens", Role::Admin).await.json_of(200);
    let listed = list["tokens"].as_array().unwrap().iter().find(|t| t["id"] == json!(other.id)).unwrap().clone();
    assert!(listed["revoked_at"].is_string(), "{listed}");
}

// ---- health and metrics -------------------------------------------------------------------------

/// The value of a metric in Prometheus text, by its name with its labels
/// (`parlog_log_head_position{study="gouda"}`).
pub fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("metric {name} missing:\n{text}"))
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("metric {name}: {e}"))
}

#[tokio::test]
async fn metrics_count_appends_and_projection_lag() {
    let api = setup_with(Log::Small, Limits::default());
    let stream = notes_of(&api, Role::Makelaar);
    let first = note(&stream, "a", "b");
    api.append_ok(Role::Makelaar, &[first.clone(), note(&stream, "c", "d")]).await;
    api.append(Role::Makelaar, &[first]).await.expect(200); // a duplicate is not counted
    api.append(Role::Viewer, &[note(&stream, "e", "f")]).await.problem(403);
    let resp = api.get("/metrics", Role::Viewer).await;
    resp.expect(200);
    assert!(resp.content_type().starts_with("text/plain"), "{}", resp.content_type());
    let text = resp.text();
    assert_eq!(metric(&text, "parlog_appended_events_total"), 2.0, "{text}");
    assert_eq!(metric(&text, "parlog_append_errors_total"), 1.0);
    let (head, projected, lag) = (
        "parlog_log_head_position{study=\"zwolle-zuid\"}",
        "parlog_projection_position{study=\"zwolle-zuid\"}",
        "parlog_projection_lag_events{study=\"zwolle-zuid\"}",
    );
    assert_eq!(metric(&text, head), api.head().await as f64);
    assert_eq!(metric(&text, lag), metric(&text, head) - metric(&text, projected));
    assert_eq!(metric(&text, "parlog_open_studies"), 1.0);
    assert!(text.contains("# TYPE parlog_append_latency_seconds histogram"), "{text}");
    // Reading a projection catches the live projections up: no lag.
    api.get("/api/v1/projections/activity", Role::Viewer).await.expect(200);
    let text = api.get("/metrics", Role::Viewer).await.text();
    assert_eq!(metric(&text, lag), 0.0, "{text}");
}

// ---- error classes ---------------------------------------------------------------------------------

#[tokio::test]
async fn every_route_but_healthz_wants_a_valid_token() {
    let api = setup_with(Log::Small, Limits::default());
    let revoked = api.create_token("makelaar-zuid-1", Role::Admin);
    assert!(api.state.tokens.revoke(&revoked.id).unwrap());
    let wrong_secret = format!("plg_{}_{}", api.token(Role::Admin).id, "0".repeat(48));
    let cases = [
        (Auth::None, "missing bearer token"),
        (Auth::Bearer("nonsense".into()), "not valid"),
        (Auth::Bearer(wrong_secret), "not valid"),
        (Auth::Bearer(revoked.secret.clone()), "revoked"),
        (Auth::Raw(format!("Basic {}", api.token(Role::Admin).secret)), "Authorization: Bearer"),
    ];
    for r in ROUTES.iter().filter(|r| r.path != "/healthz") {
        for (auth, says) in &cases {
            let mut req = sample(&api, r.method, r.path, Role::Admin).await;
            req.auth = auth.clone();
            let resp = api.send(req).await;
            resp.problem_naming(401, &[says]);
            assert_eq!(
                resp.headers.get("www-authenticate").map(|v| v.to_str().unwrap()),
                Some("Bearer"),
                "{}",
                resp.what
            );
        }
    }
}

#[tokio::test]
async fn bad_input_is_a_400_that_names_the_field() {
    let api = setup();
    let notes = notes_of(&api, Role::Makelaar);
    let with = |field: &str, value: Value| {
        let mut e = note(&notes, "koffie", "tekst");
        if value.is_null() {
            e.as_object_mut().unwrap().remove(field);
        } else {
            e[field] = value;
        }
        json!([e])
    };
    let mut long_topic = note(&notes, &"x".repeat(201), "tekst");
    long_topic["payload"]["area"] = json!("area:noord");
    let appends: Vec<(Value, Vec<&str>)> = vec![
        (with("occurred_at", json!("gisteren")), vec!["event 1", "occurred_at", "gisteren", "RFC 3339"]),
        (with("stream", Value::Null), vec!["stream"]),
        (with("stream", json!("aantekeningen:x")), vec!["stream", "aantekeningen", "notes"]),
        (with("kind", json!("NoteTaken")), vec!["kind", "NoteTaken", "ObservationRecorded"]),
        (with("payload", json!({"topic": "a", "weather": "sunny"})), vec!["weather"]),
        (with("sealed", json!({"subjects": ["resident:r-1"]})), vec!["sealed", "text"]),
        (with("sealed", json!({"text": "a", "subjects": ["bewoner:r-1"]})), vec!["sealed.subjects", "resident:"]),
        (json!([long_topic]), vec!["payload.topic", "200"]),
        (json!([]), vec!["empty"]),
        (json!({"event": {}}), vec!["a JSON array of events"]),
        (json!("hallo"), vec!["a JSON array of events"]),
        (json!({"events": "hallo"}), vec!["a JSON array of events"]),
        (json!(42), vec!["a JSON array of events"]),
        (json!([42]), vec!["event 1", "JSON object"]),
    ];
    for (body, needles) in appends {
        api.post("/api/v1/events", Role::Makelaar, &body).await.problem_naming(400, &needles);
    }
    let resp =
        api.send(Req::post("/api/v1/events").auth(Auth::As(Role::Makelaar)).raw(b"[{\"stream\": ".to_vec())).await;
    resp.problem_naming(400, &["not valid JSON"]);
    let resp =
        api.send(Req::post("/api/v1/events").auth(Auth::As(Role::Makelaar)).raw(b"{\"events\": [}".to_vec())).await;
    resp.problem_naming(400, &["not valid JSON"]);

    let gets: &[(&str, &[&str])] = &[
        ("/api/v1/events/not-a-uuid", &["not-a-uuid"]),
        ("/api/v1/streams/nocategory", &["nocategory", "<category>:<name>"]),
        ("/api/v1/events?limit=0", &["limit"]),
        ("/api/v1/projections/cycles?as_of=gisteren", &["as_of", "gisteren", "2017-12-31"]),
        ("/api/v1/projections/cycles?lang=fr", &["lang", "fr"]),
        ("/api/v1/projections/cycles?as_of=2016-01-01&basis=ooit", &["basis", "ooit"]),
        ("/api/v1/projections/role?since=vorig-jaar", &["since"]),
        ("/api/v1/retrospective?format=pdf", &["format", "pdf"]),
        ("/api/v1/retrospective?area=noord", &["area", "noord"]),
        ("/api/v1/retrospective?area=cycle:gemeente-1", &["area", "area:noord"]),
        ("/api/v1/charts/role?lang=de", &["lang"]),
    ];
    for (path, needles) in gets {
        api.get(path, Role::Researcher).await.problem_naming(400, needles);
    }
    // Each parameter is fine; together they are not, which the document cannot say: a 422.
    api.get("/api/v1/projections/cycles?as_of=2016-01-01&as_of_position=4", Role::Researcher)
        .await
        .problem_naming(422, &["as_of", "as_of_position"]);
    let resp =
        api.send(Req::get("/api/v1/feed").auth(Auth::As(Role::Researcher)).header("last-event-id", "gisteren")).await;
    resp.problem_naming(400, &["Last-Event-ID", "gisteren"]);

    let admin_posts: &[(&str, Value, &[&str])] = &[
        ("/api/v1/tokens", json!({"role": "viewer"}), &["participant", "missing"]),
        ("/api/v1/tokens", json!({"participant": "Jan Jansen", "role": "viewer"}), &["participant", "Jan Jansen"]),
        ("/api/v1/tokens", json!({"participant": "jan"}), &["role", "missing"]),
        (
            "/api/v1/tokens",
            json!({"participant": "jan", "role": "baas"}),
            &["role", "baas", "makelaar, researcher, viewer, admin"],
        ),
        ("/api/v1/subjects/bewoner-1/forget", json!({}), &["bewoner-1", "resident:"]),
        ("/api/v1/subjects/resident:r-001/forget", json!({"reason": 5}), &["reason"]),
    ];
    for (path, body, needles) in admin_posts {
        api.post(path, Role::Admin, body).await.problem_naming(400, needles);
    }
}

/// A query parameter of the wrong type gets the same problem+json as every other bad input.
#[tokio::test]
async fn a_query_parameter_of_the_wrong_type_is_a_problem_naming_it() {
    let api = setup_with(Log::Small, Limits::default());
    for (path, field) in [
        ("/api/v1/events?limit=lots", "limit"),
        ("/api/v1/events?from=-3", "from"),
        ("/api/v1/streams/notes:x?from_version=one", "from_version"),
        ("/api/v1/projections/cycles?as_of_position=last", "as_of_position"),
        ("/api/v1/feed?from=start", "from"),
    ] {
        api.get(path, Role::Researcher).await.problem_naming(400, &[field]);
    }
}

#[tokio::test]
async fn unknown_things_are_404s_that_name_them() {
    let api = setup();
    let ghost = new_id();
    api.get(&format!("/api/v1/events/{ghost}"), Role::Researcher).await.problem_naming(404, &[&ghost]);
    api.get("/api/v1/projections/spiral", Role::Viewer).await.problem_naming(404, &["spiral", "cycles"]);
    api.get("/api/v1/charts/spiral", Role::Viewer).await.problem(404);
    api.delete("/api/v1/tokens/abcdef012345", Role::Admin).await.problem_naming(404, &["abcdef012345"]);
    api.post("/api/v1/subjects/resident:r-999/forget", Role::Admin, &json!({}))
        .await
        .problem_naming(404, &["resident:r-999"]);
    api.get("/api/v1/streams/notes:niemand", Role::Researcher).await.problem_naming(404, &["notes:niemand"]);
}

// ---- limits ---------------------------------------------------------------------------------------

#[tokio::test]
async fn a_body_over_body_bytes_max_is_413_naming_the_limit() {
    let api = setup_with(Log::Small, limits(2_048, 1_000, 8));
    let stream = notes_of(&api, Role::Makelaar);
    api.append(Role::Makelaar, &[note(&stream, "kort", "tekst")]).await.expect(201);
    let big = note(&stream, "lang", &"tekst ".repeat(500));
    api.append(Role::Makelaar, &[big]).await.problem_naming(413, &["body_bytes_max", "2048"]);
    let big_reason = json!({"reason": "r".repeat(3_000)});
    api.post("/api/v1/subjects/resident:r-1/forget", Role::Admin, &big_reason)
        .await
        .problem_naming(413, &["body_bytes_max"]);
    let big_token = json!({"participant": "p".repeat(3_000), "role": "viewer"});
    api.post("/api/v1/tokens", Role::Admin, &big_token).await.problem_naming(413, &["body_bytes_max"]);
}

#[tokio::test]
async fn a_batch_over_1000_events_is_refused_naming_the_limit() {
    let api = setup_with(Log::Small, Limits::default());
    let stream = notes_of(&api, Role::Makelaar);
    let batch: Vec<Value> = (0..1_001).map(|i| note(&stream, "t", &format!("n{i}"))).collect();
    let head = api.head().await;
    let resp = api.append(Role::Makelaar, &batch).await;
    let status = resp.status.as_u16();
    assert!((400..500).contains(&status), "{}: {status}", resp.what);
    resp.problem_naming(status, &["1001", "1000", "batch_events_max"]);
    assert_eq!(api.head().await, head);
    let v = api.append(Role::Makelaar, &batch[..1_000]).await.json_of(201);
    assert_eq!(v["appended"].as_array().unwrap().len(), 1_000);
}

#[tokio::test]
async fn a_page_over_page_events_max_is_refused_naming_the_limit() {
    let api = setup_with(Log::Small, limits(1 << 20, 5, 8));
    for path in ["/api/v1/events?limit=6", "/api/v1/streams/participant:beheer-1?limit=6"] {
        let resp = api.get(path, Role::Admin).await;
        let status = resp.status.as_u16();
        assert!((400..500).contains(&status), "{}: {status}", resp.what);
        resp.problem_naming(status, &["6", "5", "page_events_max"]);
    }
    let v = api.get("/api/v1/events?limit=5", Role::Admin).await.json_of(200);
    assert_eq!((v["events"].as_array().unwrap().len(), v["next"].clone()), (5, json!(6)));
    let v = api.get("/api/v1/events", Role::Admin).await.json_of(200);
    assert_eq!(v["events"].as_array().unwrap().len(), 5, "the default page is at most the limit");
}

/// An idle feed sends a comment line every `feed_keep_alive_ms`, so that proxies keep the
/// connection open; clients ignore comments, and no event comes with it.
#[tokio::test]
async fn an_idle_feed_sends_a_keep_alive_comment() {
    let api = setup_with(Log::Small, Limits { feed_keep_alive_ms: 50, ..Limits::default() });
    let resp = api.send_head(Req::get("/api/v1/feed").auth(Auth::As(Role::Researcher))).await;
    assert_eq!(resp.status().as_u16(), 200);
    let mut body = resp.into_body();
    let started = std::time::Instant::now();
    let mut comments = 0;
    while comments < 2 {
        let frame = tokio::time::timeout(Duration::from_secs(10), body.frame())
            .await
            .expect("a keep-alive within 10 s")
            .expect("the feed stays open")
            .expect("the feed reads");
        let data = frame.into_data().expect("a data frame");
        assert_eq!(&data[..], b":\n\n", "only comment lines on an idle feed");
        comments += 1;
    }
    assert!(started.elapsed() >= Duration::from_millis(100), "not before the interval");
}

#[tokio::test]
async fn feeds_over_sse_clients_max_get_429_naming_the_limit() {
    let api = setup_with(Log::Small, limits(1 << 20, 1_000, 2));
    let open = || Req::get("/api/v1/feed?from=1").auth(Auth::As(Role::Researcher));
    let first = api.send_head(open()).await;
    let second = api.send_head(open()).await;
    assert_eq!((first.status().as_u16(), second.status().as_u16()), (200, 200));
    let metrics = api.get("/metrics", Role::Viewer).await.text();
    assert_eq!(metric(&metrics, "parlog_sse_clients"), 2.0);
    api.send(open()).await.problem_naming(429, &["2", "sse_clients_max"]);
    drop(first);
    let third = api.send_head(open()).await;
    assert_eq!(third.status().as_u16(), 200, "a closed feed frees its slot");
    drop((second, third));
    let metrics = api.get("/metrics", Role::Viewer).await.text();
    assert_eq!(metric(&metrics, "parlog_sse_clients"), 0.0);
}

#[tokio::test]
async fn a_request_over_request_timeout_ms_is_answered_naming_the_limit() {
    // Building the demo's retrospective as HTML (every projection of 642 events, charts, a few
    // hundred kilobytes) takes far longer than a millisecond; verifying the log no longer
    // reliably did.
    let api = setup_with(Log::Gouda, Limits { request_timeout_ms: 1, ..Limits::default() });
    let resp = api.get("/api/v1/retrospective?format=html", Role::Admin).await;
    resp.problem_naming(408, &["request_timeout_ms", "1 ms"]);
}

// ---- over a real socket ---------------------------------------------------------------------------

/// The one smoke test over a real socket: append, read it back, see it in a projection.
#[test]
fn smoke_over_a_real_socket() {
    let rt = runtime();
    let api = setup_with(Log::Small, Limits::default());
    let addr = rt.block_on(api.serve_socket());
    let makelaar = api.token(Role::Makelaar).secret.clone();
    let health = http(addr, "GET", "/healthz", None, None).expect("GET /healthz");
    assert_eq!((health.status, health.text().trim()), (200, "ok"));

    let ev = json!([{"stream": "initiative:buurtmoestuin", "kind": "InitiativeStarted", "occurred_at": "2021-04-01T10:00:00+02:00",
        "payload": {"name": "Buurtmoestuin Zuid", "route": "opportunity", "area": "area:zuid", "description": "Samen tuinieren."}}]);
    let body = ev.to_string();
    let a = http(addr, "POST", "/api/v1/events", Some(&makelaar), Some(body.as_bytes())).expect("POST /api/v1/events");
    assert_eq!(a.status, 201, "{}", a.text());
    let appended = a.json();
    let id = appended["appended"][0]["id"].as_str().expect("an id").to_string();

    let e = http(addr, "GET", &format!("/api/v1/events/{id}"), Some(&makelaar), None).expect("GET the event");
    assert_eq!(e.status, 200, "{}", e.text());
    assert_eq!(e.json()["author"], json!("makelaar-zuid-1"));
    assert_eq!(e.json()["position"], appended["appended"][0]["position"]);

    let viewer = api.token(Role::Viewer).secret.clone();
    let p = http(addr, "GET", "/api/v1/projections/initiatives", Some(&viewer), None).expect("GET the projection");
    assert_eq!(p.status, 200, "{}", p.text());
    assert!(p.text().contains("Buurtmoestuin Zuid"), "the new initiative is in the projection: {}", p.text());
    let problem = http(addr, "GET", "/api/v1/events", None, None).expect("GET without a token");
    assert_eq!(problem.status, 401);
    assert_eq!(problem.header("content-type"), Some("application/problem+json"));
    drop(rt);
}

/// Appenders per feed test, and events each appends.
const FEED_APPENDERS: usize = 4;
const FEED_EVENTS_PER_APPENDER: usize = 100;

/// Two live feeds over a socket, one from position 1 and one resuming after `Last-Event-ID`, while
/// four clients append 400 events: each feed gets every position exactly once, in order, with
/// the ids the appenders were given.
#[test]
fn the_feed_neither_skips_nor_repeats_while_others_append() {
    let rt = runtime();
    let api = setup_with(Log::Small, Limits::default());
    let addr = rt.block_on(api.serve_socket());
    let start_head = rt.block_on(api.head());
    let final_head = start_head + (FEED_APPENDERS * FEED_EVENTS_PER_APPENDER) as u64;
    let resume_after = 5;
    let researcher = api.token(Role::Researcher).secret.clone();

    // Both feeds are open before the first append, so they catch up and follow while appends land.
    let (opened_tx, opened) = std::sync::mpsc::channel();
    let readers: Vec<_> = [(Some(1u64), None), (None, Some(resume_after))]
        .into_iter()
        .map(|(from, last_id)| {
            let (token, opened) = (researcher.clone(), opened_tx.clone());
            let path = match from {
                Some(f) => format!("/api/v1/feed?from={f}"),
                None => "/api/v1/feed".to_string(),
            };
            let first = from.unwrap_or_else(|| last_id.unwrap() + 1);
            std::thread::spawn(move || read_feed(addr, &path, &token, last_id, first, final_head, opened))
        })
        .collect();
    for _ in 0..2 {
        opened.recv_timeout(SOCKET_READ_TIMEOUT).expect("both feeds open");
    }

    let acked = Arc::new(Mutex::new(BTreeMap::<u64, String>::new()));
    let makelaar = api.token(Role::Makelaar).secret.clone();
    let appenders: Vec<_> = (0..FEED_APPENDERS)
        .map(|n| {
            let (token, acked) = (makelaar.clone(), acked.clone());
            std::thread::spawn(move || {
                for i in 0..FEED_EVENTS_PER_APPENDER {
                    let ev = note("notes:makelaar-zuid-1", "feed", &format!("appender {n} note {i}"));
                    let body = json!([ev]).to_string();
                    let a = http(addr, "POST", "/api/v1/events", Some(&token), Some(body.as_bytes())).expect("append");
                    assert_eq!(a.status, 201, "appender {n}: {}", a.text());
                    let v = a.json();
                    let (pos, id) = (
                        v["appended"][0]["position"].as_u64().unwrap(),
                        v["appended"][0]["id"].as_str().unwrap().to_string(),
                    );
                    assert_eq!(id, ev["id"].as_str().unwrap());
                    assert!(acked.lock().unwrap().insert(pos, id).is_none(), "position {pos} acknowledged twice");
                }
            })
        })
        .collect();
    for a in appenders {
        a.join().expect("an appender failed");
    }
    let acked = acked.lock().unwrap().clone();
    assert_eq!(acked.len(), FEED_APPENDERS * FEED_EVENTS_PER_APPENDER);
    assert_eq!(rt.block_on(api.head()), final_head);

    let stored: BTreeMap<u64, String> = rt
        .block_on(api.store())
        .read_from(Position(1), 10_000)
        .unwrap()
        .iter()
        .map(|e| (e.position.0, e.id.to_string()))
        .collect();
    for (reader, first) in readers.into_iter().zip([1, resume_after + 1]) {
        let got = reader.join().expect("a feed reader failed");
        let positions: Vec<u64> = got.iter().map(|(p, _)| *p).collect();
        assert_eq!(
            positions,
            (first..=final_head).collect::<Vec<_>>(),
            "the feed from {first}: every position once, in order"
        );
        for (pos, id) in &got {
            assert_eq!(Some(id), stored.get(pos), "the feed's id at position {pos} is the stored one");
            if let Some(acked_id) = acked.get(pos) {
                assert_eq!(id, acked_id, "position {pos}: the feed and the append's answer disagree");
            }
        }
    }
    drop(rt);
}

/// Reads a feed until `last` has arrived, checking each event's SSE id against its position, and
/// then for a moment more to see that nothing is repeated.
fn read_feed(
    addr: std::net::SocketAddr,
    path: &str,
    token: &str,
    last_event_id: Option<u64>,
    first: u64,
    last: u64,
    opened: std::sync::mpsc::Sender<()>,
) -> Vec<(u64, String)> {
    let mut feed = SseStream::open(addr, path, token, last_event_id).expect("open the feed");
    assert_eq!(feed.status, 200, "{path}");
    opened.send(()).expect("the test waits for the feeds");
    let mut got: Vec<(u64, String)> = Vec::new();
    while got.last().map(|(p, _)| *p) != Some(last) {
        let ev = feed
            .next_event()
            .unwrap_or_else(|e| panic!("{path} (from {first}): reading after {} events: {e}", got.len()))
            .unwrap_or_else(|| panic!("{path}: the feed ended after {} events", got.len()));
        let v: Value = serde_json::from_str(&ev.data).expect("an event's data is JSON");
        let pos = v["position"].as_u64().expect("a position");
        assert_eq!(ev.id.as_deref(), Some(pos.to_string().as_str()), "the SSE id is the position");
        assert_eq!(ev.event.as_deref(), Some("event"));
        got.push((pos, v["id"].as_str().expect("an id").to_string()));
        assert!(
            got.len() as u64 <= last,
            "{path}: more events than positions; the last ones: {:?}",
            got.iter().rev().take(3).collect::<Vec<_>>()
        );
    }
    feed.set_timeout(Some(Duration::from_millis(300))).unwrap();
    match feed.next_event() {
        Ok(Some(extra)) => panic!("{path}: an event after the last one: {extra:?}"),
        Ok(None) => panic!("{path}: the feed ended"),
        Err(e) => {
            assert!(matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut), "{path}: {e}")
        }
    }
    got
}

/// A runtime for the server of a socket test (the clients are plain threads).
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("a tokio runtime")
}

/// The feed keeps encoded events in a cache shared by its subscribers; once a subject is
/// forgotten, a feed that replays the event must show it forgotten, never the cached text.
#[tokio::test]
async fn the_feed_serves_no_forgotten_text_from_its_cache() {
    let api = setup();
    let subject = format!("resident:{}", uniq("r"));
    let secret = format!("GEHEIM-{}", uniq("tekst"));
    let mut ev = note(&notes_of(&api, Role::Makelaar), "huisbezoek", &secret);
    ev["sealed"]["subjects"] = json!([subject]);
    api.append_ok(Role::Makelaar, &[ev]).await;
    let at = api.head().await;
    let from = format!("/api/v1/feed?from={at}");
    let before = api.feed_events(&from, Role::Researcher, None, 1).await;
    assert!(before[0].data.contains(&secret), "the feed shows the sealed text to a researcher: {:?}", before[0]);

    api.post(&format!("/api/v1/subjects/{subject}/forget"), Role::Admin, &json!({})).await.json_of(200);
    let after = api.feed_events(&from, Role::Researcher, None, 1).await;
    assert!(!after[0].data.contains(&secret), "no forgotten text from the cache: {:?}", after[0]);
    assert!(after[0].data.contains("\"forgotten\""), "the event shows it was forgotten: {:?}", after[0]);
}

/// Views at the head are kept encoded until the head moves: an append must show in the next
/// answer, never a stale cached one.
#[tokio::test]
async fn a_cached_view_changes_when_the_log_does() {
    let api = setup();
    let path = "/api/v1/projections/initiatives";
    let notes_of_weggeefwinkel = |v: &Value| {
        v["initiatives"]
            .as_array()
            .and_then(|a| a.iter().find(|i| i["id"] == json!("initiative:weggeefwinkel")))
            .and_then(|i| i["notes"].as_u64())
            .expect("the demo's weggeefwinkel with a note count")
    };
    let before = api.get(path, Role::Viewer).await.json_of(200);
    let again = api.get(path, Role::Viewer).await.json_of(200);
    assert_eq!(before, again, "the same head gives the same answer");
    let mut ev = note(&notes_of(&api, Role::Makelaar), "weggeefwinkel", "Nieuwe vrijwilliger meldt zich.");
    ev["payload"]["initiative"] = json!("initiative:weggeefwinkel");
    api.append_ok(Role::Makelaar, &[ev]).await;
    let after = api.get(path, Role::Viewer).await.json_of(200);
    assert_eq!(notes_of_weggeefwinkel(&after), notes_of_weggeefwinkel(&before) + 1, "the new note is counted");
    assert_eq!(after["as_of_position"], json!(api.head().await));
}
