//! The OpenAPI document describes what the server accepts: event bodies per kind from the payload
//! types, path and query parameters from the parsers' own tables.

use std::collections::BTreeSet;

use parlog_core::{EventKind, ParticipantId, StreamId, StudySlug, SubjectId, STUDY_SLUG_CHARS_MAX};
use parlog_server::http::routes::{operations, ROUTES};
use parlog_server::http::{openapi, Limits};
use serde_json::Value;

fn document() -> Value {
    openapi::document(&Limits::default())
}

/// Each kind a client may send has its own alternative, whose payload lists exactly the payload
/// type's fields and refuses others, as the parser does.
#[test]
fn event_bodies_are_described_per_kind_from_the_payload_types() {
    let doc = document();
    let alternatives = doc["components"]["schemas"]["NewEvent"]["oneOf"].as_array().expect("oneOf kinds").clone();
    let documented: BTreeSet<&str> =
        alternatives.iter().map(|a| a["properties"]["kind"]["const"].as_str().expect("a kind")).collect();
    let sendable: BTreeSet<&str> =
        EventKind::ALL.iter().map(|k| k.name()).filter(|k| *k != "SubjectForgotten").collect();
    assert_eq!(documented, sendable);

    let kind = |name: &str| alternatives.iter().find(|a| a["properties"]["kind"]["const"] == name).expect(name).clone();
    let note = kind("ObservationRecorded");
    let payload = &note["properties"]["payload"];
    assert_eq!(payload["additionalProperties"], Value::Bool(false), "{payload:#}");
    let fields: BTreeSet<&str> =
        payload["properties"].as_object().expect("fields").keys().map(|k| k.as_str()).collect();
    assert_eq!(fields, BTreeSet::from(["cycle", "area", "initiative", "topic", "health", "codes"]));
    assert_eq!(
        note["properties"]["stream"]["pattern"].as_str(),
        Some(StreamId::pattern(&[parlog_core::Category::Notes]).as_str())
    );
    // Limits of the value types, and rules a schema can say.
    assert_eq!(payload["properties"]["topic"]["maxLength"], 200, "{payload:#}");
    let study = kind("StudyStarted");
    let levels = &study["properties"]["payload"]["properties"]["levels"];
    assert_eq!(levels["minItems"], 1, "{levels:#}");
    assert_eq!(levels["items"]["enum"][0], "gemeente", "{levels:#}");
    assert!(study["properties"]["payload"]["required"].as_array().expect("required").iter().any(|f| f == "title"));
    // Nothing points outside the document.
    assert!(!doc.to_string().contains("#/$defs"), "payload schemas are inline");
}

/// Path parameters are documented with the patterns the id parsers accept.
#[test]
fn path_parameters_have_the_id_parsers_patterns() {
    let doc = document();
    let param = |path: &str, name: &str| -> Value {
        let op = &doc["paths"][path].as_object().expect(path).values().next().expect("an operation").clone();
        op["parameters"].as_array().expect("parameters").iter().find(|p| p["name"] == name).expect(name)["schema"]
            .clone()
    };
    assert_eq!(
        param("/api/v1/streams/{stream}", "stream")["pattern"].as_str(),
        Some(StreamId::pattern(&parlog_core::Category::ALL).as_str())
    );
    assert_eq!(
        param("/api/v1/subjects/{subject}/forget", "subject")["pattern"].as_str(),
        Some(SubjectId::pattern().as_str())
    );
    assert_eq!(
        doc["components"]["schemas"]["token"]["properties"]["participant"]["pattern"].as_str(),
        Some(ParticipantId::pattern().as_str())
    );
}

/// Every route's query parameters come from the parser's table, with a schema each.
#[test]
fn query_parameters_come_from_the_parsers_table() {
    let doc = document();
    for r in ROUTES {
        let params = doc["paths"][r.path][r.method]["parameters"].as_array().expect("parameters").clone();
        let query: Vec<&str> =
            params.iter().filter(|p| p["in"] == "query").map(|p| p["name"].as_str().unwrap()).collect();
        let table: Vec<&str> = r.query.iter().map(|p| p.name).collect();
        assert_eq!(query, table, "{} {}", r.method, r.path);
    }
    let limit = &doc["paths"]["/api/v1/events"]["get"]["parameters"][1]["schema"];
    assert_eq!(limit["maximum"], Limits::default().page_events_max, "{limit}");
}

/// Every study-scoped route names its study with the slug's own rule (the pattern of
/// `StudySlug::parse`, at most 40 characters), and each deprecated alias says what replaces it.
#[test]
fn the_study_in_a_path_has_the_slug_parsers_pattern() {
    let doc = document();
    let mut scoped = 0;
    for op in operations() {
        let documented = &doc["paths"][op.path][op.route.method];
        let params = documented["parameters"].as_array().expect("parameters");
        let study = params.iter().find(|p| p["name"] == "study" && p["in"] == "path");
        assert_eq!(study.is_some(), op.path.contains("{study}"), "{} {}", op.route.method, op.path);
        if let Some(p) = study {
            scoped += 1;
            assert_eq!(p["schema"]["pattern"].as_str(), Some(StudySlug::pattern().as_str()), "{}", op.path);
            assert_eq!(p["schema"]["maxLength"], STUDY_SLUG_CHARS_MAX, "{}", op.path);
        }
        if op.deprecated {
            assert_eq!(documented["deprecated"], true);
            let d = documented["description"].as_str().expect("a description");
            assert!(d.contains(op.route.path) && d.contains("only study"), "{}: {d}", op.path);
            assert!(documented["responses"]["409"].is_object(), "{}: the 409 of a token with several studies", op.path);
        }
        if op.route.in_study && !op.deprecated {
            let d = documented["responses"]["404"]["description"].as_str().unwrap_or("");
            assert!(d.to_lowercase().contains("no such study for this token"), "{}: {d}", op.path);
        }
    }
    assert!(scoped >= 14, "the study-scoped routes: {scoped}");
}
