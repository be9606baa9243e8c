//! The command line and the API agree. They parse view requests with one parser
//! (`parlog_server::request`):
//! the same bad input is refused by both, with the same words. The API names a parameter as in
//! the query (`as_of`), the command line as a flag (`--as-of`); the rest of the message is equal.

use parlog_server::http::auth::Role;
use parlog_server::request::PROJECTION_PARAMS;

use super::api_support::setup;
use super::cli_support::setup_demo;

/// Bad requests: (API path and query, the same as `parlog` arguments, the API's status).
const CASES: &[(&str, &[&str], u16)] = &[
    ("/api/v1/projections/cycles?as_of=gisteren", &["project", "cycles", "--as-of", "gisteren"], 400),
    ("/api/v1/projections/cycles?as_of_position=last", &["project", "cycles", "--as-of-position", "last"], 400),
    ("/api/v1/projections/cycles?as_of_position=-4", &["project", "cycles", "--as-of-position=-4"], 400),
    (
        "/api/v1/projections/cycles?as_of=2016-01-01&as_of_position=4",
        &["project", "cycles", "--as-of", "2016-01-01", "--as-of-position", "4"],
        422,
    ),
    ("/api/v1/projections/cycles?lang=fr", &["project", "cycles", "--lang", "fr"], 400),
    ("/api/v1/projections/role?since=vorig-jaar", &["project", "role", "--since", "vorig-jaar"], 400),
    ("/api/v1/projections/warnings?lead_months_max=-1", &["project", "warnings", "--lead-months-max=-1"], 400),
    (
        "/api/v1/projections/warnings?active_initiatives_max=4294967296",
        &["project", "warnings", "--active-initiatives-max", "4294967296"],
        400,
    ),
    ("/api/v1/projections/spiral", &["project", "spiral"], 404),
    ("/api/v1/retrospective?format=pdf", &["retrospective", "--format", "pdf"], 400),
    ("/api/v1/retrospective?area=noord", &["retrospective", "--area", "noord"], 400),
    ("/api/v1/retrospective?area=cycle:gemeente-1", &["retrospective", "--area", "cycle:gemeente-1"], 400),
];

/// The API's message with its parameters named as the command line's flags.
fn as_flags(detail: &str) -> String {
    let mut out = detail.to_string();
    let names = PROJECTION_PARAMS.iter().map(|p| p.name).chain(["format", "area"]);
    for name in names {
        out = out.replace(&format!("`{name}`"), &format!("--{}", name.replace('_', "-")));
    }
    out
}

#[tokio::test]
async fn the_cli_and_the_api_refuse_the_same_view_requests_alike() {
    let api = setup();
    // The API speaks English; so does the command line in an English locale.
    let cli = setup_demo().english();
    for (path, args, status) in CASES {
        let detail = api.get(path, Role::Viewer).await.problem(*status);
        let run = cli.run(args).code(2);
        assert_eq!(
            run.stderr.trim_end(),
            format!("error: {}", as_flags(&detail)),
            "`parlog {}` and GET {path} say different things",
            args.join(" ")
        );
    }
}

/// `parlog show --json` and `GET /api/v1/events/{id}` show an event's sealed part in one shape
/// (`parlog_server::wire`): both read it opened, so both have the same fields and the same data.
/// (The two data folders were loaded at different times, so the envelopes' times and hashes differ.)
#[tokio::test]
async fn show_and_the_api_give_the_sealed_part_in_one_shape() {
    let api = setup();
    let cli = setup_demo();
    let id = parlog_server::cli::demo::label_id("p-makelaar-oost-a").to_string();
    let from_api = api.get(&format!("/api/v1/events/{id}"), Role::Researcher).await.json_of(200);
    let from_cli = cli.run(&["show", &id, "--json"]).success().json();
    let keys = |v: &serde_json::Value| -> Vec<String> {
        v["sealed"].as_object().expect("a sealed part").keys().cloned().collect()
    };
    assert_eq!(keys(&from_cli), keys(&from_api), "cli: {from_cli:#}\napi: {from_api:#}");
    assert!(from_api["sealed"]["data"].is_object(), "{from_api:#}");
    assert_eq!(from_cli["sealed"]["data"], from_api["sealed"]["data"]);
}
