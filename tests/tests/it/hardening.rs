//! Trust outside the chain (issue 10), through the router: the headers every answer carries,
//! problems for every error (axum's own rejections too), the feed's resume point checked, text
//! from events escaped in the Markdown report, makelaars writing only to their own notes, one
//! damaged sealed part shown as damaged while the page and the feed go on, and the health check.

use parlog_server::http::auth::Role;
use parlog_server::http::Limits;
use serde_json::{json, Value};

use super::api_support::{note, setup_with, Api, Auth, Log, Req, Resp};

fn small() -> Api {
    setup_with(Log::Small, Limits::default())
}

fn header<'a>(r: &'a Resp, name: &str) -> &'a str {
    r.headers
        .get(name)
        .unwrap_or_else(|| panic!("{}: no {name} header; headers: {:?}", r.what, r.headers))
        .to_str()
        .unwrap_or_else(|_| panic!("{}: the {name} header is not text", r.what))
}

/// The sources a policy allows for `directive`, falling back to `default-src` as browsers do.
fn csp_sources(csp: &str, directive: &str) -> Option<Vec<String>> {
    let find = |name: &str| {
        csp.split(';').map(str::trim).find_map(|d| {
            let mut words = d.split_whitespace();
            (words.next() == Some(name)).then(|| words.map(str::to_string).collect::<Vec<_>>())
        })
    };
    find(directive).or_else(|| find("default-src"))
}

/// The headers every answer must carry, with a policy that forbids framing.
fn assert_security_headers(r: &Resp) -> String {
    assert_eq!(header(r, "x-content-type-options"), "nosniff", "{}", r.what);
    assert_eq!(header(r, "x-frame-options"), "DENY", "{}", r.what);
    assert_eq!(header(r, "referrer-policy"), "no-referrer", "{}", r.what);
    let csp = header(r, "content-security-policy").to_string();
    assert_eq!(
        csp_sources(&csp, "frame-ancestors"),
        Some(vec!["'none'".to_string()]),
        "{}: the policy must forbid framing: {csp}",
        r.what
    );
    csp
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let api = small();
    let json = api.get("/api/v1/me", Role::Viewer).await;
    json.expect(200);
    let not_found = api.send(Req::get("/nergens")).await;
    not_found.problem(404);
    let unauthorized = api.send(Req::get("/api/v1/me")).await;
    unauthorized.problem(401);
    let method = api.send(Req::new("DELETE", "/api/v1/me").auth(Auth::As(Role::Viewer))).await;
    method.problem(405);
    let health = api.send(Req::get("/healthz")).await;
    health.expect(200);
    let feed = api.send(Req::get("/api/v1/feed").auth(Auth::As(Role::Researcher))).await;
    feed.expect(200);
    assert!(feed.content_type().starts_with("text/event-stream"), "{}", feed.content_type());
    for r in [&json, &not_found, &unauthorized, &method, &health, &feed] {
        let csp = assert_security_headers(r);
        assert_eq!(csp_sources(&csp, "script-src"), Some(vec!["'none'".to_string()]), "{}: {csp}", r.what);
    }

    // The web page runs its own script, from its own origin only.
    let page = api.send(Req::get("/")).await;
    page.expect(200);
    let csp = assert_security_headers(&page);
    assert_eq!(csp_sources(&csp, "script-src"), Some(vec!["'self'".to_string()]), "the page's policy: {csp}");
    let worker = api.send(Req::get("/sw.js")).await;
    worker.expect(200);
    let csp = assert_security_headers(&worker);
    assert!(
        csp_sources(&csp, "connect-src").is_some_and(|s| s.contains(&"'self'".to_string())),
        "the service worker must be allowed to fetch the page's files: {csp}"
    );
}

/// The HTML retrospective holds text from the log: its policy allows no script at all, and what
/// the report itself needs (its inline stylesheet), and nothing loaded from anywhere.
#[tokio::test]
async fn the_html_report_may_run_no_script() {
    let api = small();
    let report = api.get("/api/v1/retrospective?format=html", Role::Viewer).await;
    report.expect(200);
    assert!(report.content_type().starts_with("text/html"), "{}", report.content_type());
    let html = report.text();
    assert!(!html.contains("<script"), "the report needs no script: {html}");
    let csp = assert_security_headers(&report);
    assert_eq!(csp_sources(&csp, "script-src"), Some(vec!["'none'".to_string()]), "{csp}");
    assert_eq!(csp_sources(&csp, "img-src"), Some(vec!["'none'".to_string()]), "{csp}");
    assert_eq!(csp_sources(&csp, "connect-src"), Some(vec!["'none'".to_string()]), "{csp}");
    if html.contains("<style>") {
        let style = csp_sources(&csp, "style-src").unwrap_or_default();
        assert!(style.contains(&"'unsafe-inline'".to_string()), "the report's inline stylesheet must apply: {csp}");
    }
    let chart = api.get("/api/v1/charts/cycles", Role::Viewer).await;
    chart.expect(200);
    let csp = assert_security_headers(&chart);
    assert_eq!(csp_sources(&csp, "script-src"), Some(vec!["'none'".to_string()]), "{csp}");
}

// ---- every error is a problem ---------------------------------------------------------------

/// axum's own rejections answered `text/plain` (a path that is not UTF-8 once decoded); every
/// error is now `application/problem+json` whose detail says what was wrong.
#[tokio::test]
async fn axums_rejections_are_problems_too() {
    let api = small();
    let researcher = |path: &str| Req::get(path).auth(Auth::As(Role::Researcher));
    let cases: Vec<(Req, u16, &[&str])> = vec![
        (researcher("/api/v1/events/%FF"), 400, &["/api/v1/studies/zwolle-zuid/events/%FF", "UTF-8"]),
        (researcher("/api/v1/events/%FF").alias(), 400, &["/api/v1/events/%FF", "UTF-8"]),
        (researcher("/api/v1/studies/Zwolle!/events"), 400, &["study", "a study slug of 1 to 40"]),
        (researcher("/api/v1/streams/notes%3A%C3%28"), 400, &["UTF-8"]),
        (researcher("/api/v1/subjects/%FF%FE/forget"), 405, &["GET"]),
        (Req::post("/api/v1/subjects/%FF%FE/forget").auth(Auth::As(Role::Admin)), 400, &["UTF-8"]),
        (researcher("/api/v1/projections/%E2%28%A1"), 400, &["UTF-8"]),
        (researcher("/api/v1/events?from=%FF"), 400, &["from"]),
        (researcher("/api/v1/events?limit=-1"), 400, &["limit"]),
        (researcher("/api/v1/events?from=18446744073709551616"), 400, &["from"]),
        (researcher("/api/v1/feed?from=1&from=2"), 400, &["from"]),
        (researcher("/api/v1/nergens"), 404, &["openapi.json"]),
        (researcher("/nergens/%FF"), 404, &["openapi.json"]),
        (Req::new("PUT", "/api/v1/events").auth(Auth::As(Role::Researcher)), 405, &["PUT"]),
        (Req::new("PATCH", "/healthz"), 405, &["PATCH"]),
        // A JSON body that is not JSON, or not an object where one is needed.
        (Req::post("/api/v1/events").auth(Auth::As(Role::Researcher)).raw(b"{\"events\": [".to_vec()), 400, &["JSON"]),
        (Req::post("/api/v1/tokens").auth(Auth::As(Role::Admin)).raw(b"\xff\xfe".to_vec()), 400, &["JSON"]),
    ];
    for (req, status, needles) in cases {
        let what = format!("{} {}", req.method, req.path);
        let r = api.send(req).await;
        let detail = r.problem_naming(status, needles);
        assert!(!detail.is_empty(), "{what}");
        if status == 405 {
            assert!(r.headers.contains_key("allow"), "{what}: a 405 names the methods in `Allow`");
        }
    }
}

// ---- the feed's resume point ------------------------------------------------------------------

/// `Last-Event-ID: 18446744073709551615` overflowed `+ 1` and the feed replayed the log from
/// position 1. A resume point past the head is refused, naming the head.
#[tokio::test]
async fn a_feed_resumed_past_the_head_is_refused_not_replayed() {
    let api = small();
    let head = api.head().await;
    let feed = |last: Option<&str>, query: &str| {
        let mut r = Req::get(&format!("/api/v1/feed{query}")).auth(Auth::As(Role::Researcher));
        if let Some(l) = last {
            r = r.header("last-event-id", l);
        }
        r
    };
    let head_text = format!("position {head}");
    for (last, query) in
        [(Some(u64::MAX.to_string()), ""), (Some((head + 1).to_string()), ""), (None, "?from=18446744073709551615")]
    {
        let r = api.send(feed(last.as_deref(), query)).await;
        r.problem_naming(400, &["past the head", &head_text]);
    }
    for bad in ["gisteren", "-1", "18446744073709551616", "1e3"] {
        api.send(feed(Some(bad), "")).await.problem_naming(400, &["Last-Event-ID", bad]);
    }

    // Resuming at the head is fine: the next event is the first one sent.
    let appended = api
        .append_ok(Role::Makelaar, &[note(&format!("notes:{}", api.participant(Role::Makelaar)), "koffie", "nieuw")])
        .await;
    let got = api.feed_events("/api/v1/feed", Role::Researcher, Some(head), 1).await;
    assert_eq!(got[0].id.as_deref(), Some((head + 1).to_string().as_str()), "{got:?}");
    assert_eq!(serde_json::from_str::<Value>(&got[0].data).expect("JSON")["id"], appended[0]["id"]);
}

// ---- text from events in the Markdown report ----------------------------------------------

/// Text from events in Markdown: tags, emphasis, links, code, table bars, strikethrough and line
/// breaks, and a fence.
const NASTY: &str =
    "<script>alert(1)</script> *vet* _schuin_ [x](javascript:alert(1)) `code` a|b ~~weg~~ ``` & \\ einde";

/// The lines of `md` outside fenced code blocks; panics if a fence is not closed, or if a line
/// inside a block would have closed it early (then text from the log ended the block).
fn outside_fences(md: &str) -> Vec<&str> {
    let fence_of = |l: &str| {
        let n = l.chars().take_while(|c| *c == '`').count();
        (n >= 3).then_some(n)
    };
    let mut out = Vec::new();
    let mut lines = md.lines();
    while let Some(line) = lines.next() {
        let Some(n) = fence_of(line) else {
            out.push(line);
            continue;
        };
        let closing = "`".repeat(n);
        loop {
            let inner = lines.next().unwrap_or_else(|| panic!("a fence of {n} backticks is not closed:\n{md}"));
            if inner == closing {
                break;
            }
            assert!(
                !(fence_of(inner).is_some_and(|m| m >= n) && inner.trim_end().chars().all(|c| c == '`')),
                "a line inside a code block closes it early: {inner:?}\n{md}"
            );
        }
    }
    out
}

/// The Markdown retrospective copied `<script>` and Markdown syntax from events verbatim, so a
/// renderer would run the script, follow the `javascript:` link or end a list at a line break.
#[tokio::test]
async fn the_markdown_report_escapes_text_from_events() {
    let api = small();
    let cycle = format!("cycle:zuid-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let opened = serde_json::json!({
        "stream": cycle,
        "kind": "CycleOpened",
        "occurred_at": "2021-02-01T10:00:00+01:00",
        "payload": {
            "study": "study:zwolle-zuid", "level": "wijk", "area": "area:zuid",
            "question": NASTY,
            "plan": "eerst\n# geen kop\n- geen item\n1. geen lijst\n```\nnog steeds tekst",
        },
    });
    api.append_ok(Role::Researcher, &[opened]).await;
    let resident = serde_json::json!({
        "stream": "participant:bewoner-zuid-9", "kind": "ParticipantRegistered",
        "occurred_at": "2021-02-01T11:00:00+01:00",
        "payload": {"label": "**Jan** <b>de</b> [Vries](https://example.org)", "role": "resident"},
    });
    api.append_ok(Role::Makelaar, &[resident]).await;

    let md = api.get("/api/v1/retrospective?format=md", Role::Viewer).await;
    md.expect(200);
    let md = md.text();
    let text = outside_fences(&md).join("\n");
    for raw in
        ["<script", "</script", "<b>", "[x](", "[Vries](", "**Jan**", "*vet*", "_schuin_", "`code`", "a|b", "~~weg~~"]
    {
        assert!(!text.contains(raw), "{raw:?} from an event is copied verbatim into the Markdown:\n{md}");
    }
    for escaped in [
        r"&lt;script&gt;alert(1)&lt;/script&gt;",
        r"\*vet\* \_schuin\_ \[x\](javascript:alert(1)) \`code\` a\|b \~\~weg\~\~ \`\`\` &amp; \\ einde",
        r"\*\*Jan\*\* &lt;b&gt;de&lt;/b&gt; \[Vries\](https://example.org)",
    ] {
        assert!(text.contains(escaped), "the Markdown should hold {escaped:?}:\n{md}");
    }
    // Line breaks in a text do not start blocks of their own.
    // (The plan is a sentence of the report, so it starts with a capital.)
    assert!(text.contains(r"Eerst \# geen kop - geen item 1. geen lijst \`\`\` nog steeds tekst"), "{md}");
    for line in text.lines() {
        assert!(!line.contains("geen") || line.contains("Eerst"), "a line break in a text made a block: {line:?}");
    }
    // Structure that parlog writes is still Markdown.
    assert!(text.contains("\n## ") && text.contains("\n- **"), "{md}");

    let html = api.get("/api/v1/retrospective?format=html", Role::Viewer).await;
    assert!(!html.expect(200).text().contains("<script"), "the HTML report holds a script: {}", html.text());
}

// ---- a makelaar's notes ---------------------------------------------------------------------

/// A makelaar token could append to (and amend or retract on) another participant's `notes:`
/// stream. Now only their own; a researcher still writes to any notes stream.
#[tokio::test]
async fn a_makelaar_writes_only_to_their_own_notes_stream() {
    let api = small();
    let own = format!("notes:{}", api.participant(Role::Makelaar));
    let other = format!("notes:{}", api.participant(Role::Researcher));
    let stored = api.append_ok(Role::Researcher, &[note(&other, "koffie", "van de onderzoeker")]).await;
    let head = api.head().await;

    let refused =
        api.append(Role::Makelaar, &[note(&own, "koffie", "eigen"), note(&other, "koffie", "van een ander")]).await;
    refused.problem_naming(403, &["event 2", &own, &other]);
    let retract = json!({
        "stream": other, "kind": "EventRetracted", "occurred_at": "2021-03-02T10:00:00+01:00",
        "payload": {"target": stored[0]["id"], "reason": "niet van mij"},
    });
    api.append(Role::Makelaar, std::slice::from_ref(&retract)).await.problem_naming(403, &[&own, &other]);
    assert_eq!(api.head().await, head, "a refused batch leaves no trace");

    api.append_ok(Role::Makelaar, &[note(&own, "koffie", "eigen")]).await;
    api.append_ok(Role::Researcher, &[note(&own, "koffie", "de onderzoeker mag overal noteren")]).await;
    api.append_ok(Role::Researcher, &[retract]).await;
}

// ---- a damaged sealed part ------------------------------------------------------------------

/// The range of the ciphertext of the event at `position` in the log file (frames as in core's
/// store/log.rs: `[u32 body length][u8 type][u32 record length][record][64-byte index]
/// [ciphertext][u32 check]`; see tamper.rs).
fn ciphertext_of(log: &[u8], position: u64) -> std::ops::Range<usize> {
    let offset = parlog_tests::frame_offset(log, position);
    let be32 = |at: usize| u32::from_be_bytes(log[at..at + 4].try_into().expect("4 bytes")) as usize;
    let (body, record) = (be32(offset), be32(offset + 5));
    offset + 9 + record + 64..offset + 5 + body - 4
}

/// The core reads a damaged sealed part as `SealedView::Damaged`: a page of events and the feed
/// show that one event as damaged and go on, rather than failing for the whole page.
#[tokio::test]
async fn a_damaged_sealed_part_shows_in_its_event_and_the_rest_goes_on() {
    let api = small();
    let own = format!("notes:{}", api.participant(Role::Makelaar));
    let first = api.head().await + 1;
    let texts = ["eerste notitie", "tweede notitie", "derde notitie", "vierde notitie"];
    for t in texts {
        api.append_ok(Role::Makelaar, &[note(&own, "huisbezoek", t)]).await;
    }
    let damaged = first + 1;
    let api = api
        .restart_with(|data| {
            let path = data.join("log");
            let mut log = std::fs::read(&path).expect("read the log");
            let ct = ciphertext_of(&log, damaged);
            assert!(!ct.is_empty(), "position {damaged} holds sealed bytes");
            log[ct.start + ct.len() / 2] ^= 0x40;
            std::fs::write(&path, log).expect("write the log");
        })
        .await;

    let check = |events: &[Value], what: &str| {
        assert_eq!(events.len(), texts.len(), "{what}: {events:?}");
        for (e, t) in events.iter().zip(texts) {
            let p = e["position"].as_u64().expect("a position");
            if p == damaged {
                let reason = e["sealed"]["damaged"]["reason"].as_str().unwrap_or_else(|| panic!("{what}: {e}"));
                assert!(reason.contains(&format!("position {damaged}")), "{what}: {reason}");
                assert!(e["sealed"].get("data").is_none(), "{what}: {e}");
            } else {
                assert_eq!(e["sealed"]["data"]["text"], json!(t), "{what}: {e}");
            }
        }
    };
    let page = api.get(&format!("/api/v1/events?from={first}"), Role::Researcher).await.json_of(200);
    check(page["events"].as_array().expect("events"), "the page");
    let stream = api.get(&format!("/api/v1/streams/{own}"), Role::Researcher).await.json_of(200);
    check(stream["events"].as_array().expect("events"), "the stream");
    let by_id = format!("/api/v1/events/{}", page["events"][1]["id"].as_str().expect("an id"));
    let one = api.get(&by_id, Role::Researcher).await.json_of(200);
    assert!(one["sealed"]["damaged"].is_object(), "the event by id: {one}");

    // The feed sends every event, the damaged one marked, and then follows.
    let got = api.feed_events(&format!("/api/v1/feed?from={first}"), Role::Researcher, None, texts.len()).await;
    let events: Vec<Value> = got.iter().map(|e| serde_json::from_str(&e.data).expect("feed data is JSON")).collect();
    check(&events, "the feed");
}

// ---- health -----------------------------------------------------------------------------------

/// `/healthz` reports the store's state (503 once a write failed, see error.rs's unit tests for
/// the answer; a failing disk cannot be made here): while the store works, 200 `ok`, no token.
#[tokio::test]
async fn healthz_says_ok_while_the_store_works() {
    let api = small();
    assert!(!parlog_server::backend::failed(&*api.store().await));
    let r = api.send(Req::get("/healthz")).await;
    r.expect(200);
    assert_eq!(r.text(), "ok\n");
    assert!(r.content_type().starts_with("text/plain"), "{}", r.content_type());
}

/// The OpenAPI document names the answers of this issue, so that clients can plan for them.
#[tokio::test]
async fn the_openapi_document_lists_the_new_answers() {
    let doc = parlog_server::http::openapi::document(&parlog_server::http::Limits::default());
    let responses = |method: &str, path: &str| doc["paths"][path][method]["responses"].clone();
    assert!(responses("get", "/api/v1/feed")["400"]["description"]
        .as_str()
        .is_some_and(|d| d.contains("past the head")));
    assert!(responses("post", "/api/v1/events")["403"]["description"].as_str().is_some_and(|d| d.contains("notes")));
    for (method, path, status) in [
        ("post", "/api/v1/events", "507"),
        ("post", "/api/v1/subjects/{subject}/forget", "507"),
        ("post", "/api/v1/events", "503"),
        ("get", "/api/v1/events", "503"),
        ("get", "/healthz", "503"),
    ] {
        let r = &responses(method, path)[status];
        assert!(r["headers"]["Retry-After"].is_object(), "{method} {path} {status}: {r}");
        assert!(r["content"]["application/problem+json"].is_object(), "{method} {path} {status}: {r}");
    }
}
