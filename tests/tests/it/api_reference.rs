//! The reference data the API serves for clients: the vocabularies with their labels
//! (`/api/v1/vocabulary`) and the limits (`/api/v1/limits`), checked against the tables the
//! server validates with.

use parlog_core::{
    AreaKind, BrokerRole, HealthDimension, InitiativeStage, InsightKind, Level, ParticipantRole, Recruitment, Route,
    StakeholderGroup, Vocabulary,
};
use parlog_server::http::auth::Role;
use parlog_server::http::Limits;
use serde_json::{json, Value};

use super::api_support::{limits, setup_with, Auth, Log, Req};

/// A vocabulary as the API must show it, built from the type's own values and labels.
fn entries<V: Vocabulary>() -> Value {
    V::ALL.iter().map(|v| json!({"id": v.id(), "nl": v.label_nl(), "en": v.label_en()})).collect()
}

#[tokio::test]
async fn the_vocabulary_lists_every_vocabulary_with_its_labels_in_declaration_order() {
    let api = setup_with(Log::Small, Limits::default());
    let got = api.get("/api/v1/vocabulary", Role::Viewer).await.json_of(200);
    let expected = json!({"vocabularies": {
        "level": entries::<Level>(),
        "participant_role": entries::<ParticipantRole>(),
        "recruitment": entries::<Recruitment>(),
        "area_kind": entries::<AreaKind>(),
        "route": entries::<Route>(),
        "broker_role": entries::<BrokerRole>(),
        "initiative_stage": entries::<InitiativeStage>(),
        "insight_kind": entries::<InsightKind>(),
        "stakeholder_group": entries::<StakeholderGroup>(),
        "health_dimension": entries::<HealthDimension>(),
    }});
    assert_eq!(got, expected);
    assert_eq!(
        got["vocabularies"]["level"][0],
        json!({"id": "gemeente", "nl": "gemeente", "en": "municipality"}),
        "the first level, as the web client shows it"
    );
}

#[tokio::test]
async fn the_limits_are_the_cores_and_the_servers() {
    // Limits other than the defaults, to see that the answer is the server's, not a copy.
    let api = setup_with(Log::Small, limits(123_456, 77, 4));
    let got = api.get("/api/v1/limits", Role::Makelaar).await.json_of(200);
    assert_eq!(
        got,
        json!({
            "short_text_chars_max": 200,
            "long_text_chars_max": 20000,
            "list_items_max": 200,
            "subjects_per_event_max": 20,
            "batch_events_max": 1000,
            "page_events_max": 77,
            "body_bytes_max": 123_456,
            "id_chars_max": 100,
        })
    );
}

#[tokio::test]
async fn vocabulary_and_limits_want_a_valid_token() {
    let api = setup_with(Log::Small, Limits::default());
    for path in ["/api/v1/vocabulary", "/api/v1/limits"] {
        api.send(Req::get(path)).await.problem(401);
        api.send(Req::get(path).auth(Auth::Bearer("not-a-token".into()))).await.problem(401);
    }
}
