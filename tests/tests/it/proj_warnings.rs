//! Practice warnings: each pitfall triggers above its threshold and not below it; thresholds can
//! be set; reasons speak the view's language.

use chrono::NaiveDate;
use parlog_core::Lang;
use parlog_projections::{Projections, Thresholds, ViewOptions, Warning, WarningKind};
use serde_json::{json, Value};

use super::proj_support::{base_world, ev, given};

fn opts(day: &str, lang: Lang, thresholds: Thresholds) -> ViewOptions {
    ViewOptions { lang, day: Some(day.parse::<NaiveDate>().expect("day")), since: None, thresholds }
}

/// The warnings of one kind on a day, with default thresholds.
fn of(p: &Projections, kind: WarningKind, day: &str) -> Vec<Warning> {
    of_with(p, kind, day, Thresholds::default(), Lang::Nl)
}

fn of_with(p: &Projections, kind: WarningKind, day: &str, t: Thresholds, lang: Lang) -> Vec<Warning> {
    Warning::list(p, &opts(day, lang, t)).into_iter().filter(|w| w.kind == kind).collect()
}

fn initiative(label: &str, stream: &str, name: &str, day: &str) -> Value {
    ev(
        label,
        stream,
        "InitiativeStarted",
        day,
        json!({
            "name": name, "route": "opportunity", "area": "area:assendorp", "description": "Een initiatief in de buurt."
        }),
    )
}

fn broker(label: &str, stream: &str, role: &str, leads: bool, day: &str) -> Value {
    ev(
        label,
        stream,
        "BrokerRoleSet",
        day,
        json!({"broker": "participant:makelaar-a", "role": role, "broker_leads": leads}),
    )
}

// ---- the makelaar still leads --------------------------------------------------------------

fn leading() -> Projections {
    let mut w = base_world();
    w.push(initiative("i1", "initiative:tuin", "Buurttuin", "2020-02-01"));
    w.push(broker("b1", "initiative:tuin", "kick_start", true, "2020-02-01"));
    given(&w)
}

#[test]
fn a_makelaar_still_leading_after_the_threshold_is_warned() {
    let p = leading();
    let w = of(&p, WarningKind::BrokerStillLeads, "2020-09-15");
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].subject, "initiative:tuin");
    assert_eq!(w[0].subject_label, "Buurttuin");
    assert_eq!(
        w[0].reason,
        "makelaar Assendorp trekt Buurttuin nog steeds, 7 maanden na de start op 1 feb 2020; de drempel is 6 maanden."
    );
    assert_eq!(w[0].since, Some("2020-02-01".parse().unwrap()));
    assert_eq!(w[0].sources.len(), 2);
}

#[test]
fn a_makelaar_leading_within_the_threshold_or_no_longer_leading_is_not_warned() {
    let p = leading();
    assert!(of(&p, WarningKind::BrokerStillLeads, "2020-07-15").is_empty());
    let mut w = base_world();
    w.push(initiative("i1", "initiative:tuin", "Buurttuin", "2020-02-01"));
    w.push(broker("b1", "initiative:tuin", "kick_start", true, "2020-02-01"));
    w.push(broker("b2", "initiative:tuin", "support", false, "2020-05-01"));
    assert!(of(&given(&w), WarningKind::BrokerStillLeads, "2020-09-15").is_empty());
}

#[test]
fn a_custom_lead_threshold_moves_the_warning() {
    let p = leading();
    let t = Thresholds { lead_months_max: 8, ..Thresholds::default() };
    assert!(of_with(&p, WarningKind::BrokerStillLeads, "2020-09-15", t.clone(), Lang::Nl).is_empty());
    let w = of_with(&p, WarningKind::BrokerStillLeads, "2020-11-15", t, Lang::En);
    assert_eq!(
        w[0].reason,
        "makelaar Assendorp still leads Buurttuin, 9 months after it started on 1 Feb 2020; the threshold is 8 months."
    );
}

// ---- too many initiatives -------------------------------------------------------------------

fn busy(n: usize) -> Projections {
    let mut w = base_world();
    for i in 0..n {
        let stream = format!("initiative:ini-{i}");
        w.push(initiative(&format!("i{i}"), &stream, &format!("Initiatief {i}"), "2020-02-01"));
        w.push(broker(&format!("b{i}"), &stream, "support", false, &format!("2020-03-0{}", i + 1)));
    }
    given(&w)
}

#[test]
fn a_makelaar_with_more_active_initiatives_than_the_threshold_is_warned() {
    let p = busy(6);
    let w = of(&p, WarningKind::TooManyInitiatives, "2020-04-01");
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].subject, "participant:makelaar-a");
    assert!(
        w[0].reason.starts_with("makelaar Assendorp is betrokken bij 6 actieve initiatieven (Initiatief 0, "),
        "{}",
        w[0].reason
    );
    assert!(w[0].reason.ends_with("; de drempel is 5."), "{}", w[0].reason);
    assert_eq!(w[0].since, Some("2020-03-06".parse().unwrap()), "the sixth joined on 6 March");
    assert_eq!(w[0].sources.len(), 6);
}

#[test]
fn a_makelaar_at_the_threshold_or_with_a_higher_one_is_not_warned() {
    assert!(of(&busy(5), WarningKind::TooManyInitiatives, "2020-04-01").is_empty());
    let t = Thresholds { active_initiatives_max: 6, ..Thresholds::default() };
    assert!(of_with(&busy(6), WarningKind::TooManyInitiatives, "2020-04-01", t, Lang::Nl).is_empty());
}

// ---- reflection gap -------------------------------------------------------------------------

fn reflecting(closed: bool) -> Projections {
    let mut w = base_world();
    w.push(ev(
        "c1",
        "cycle:assendorp-1",
        "CycleOpened",
        "2020-01-10",
        json!({
            "study": "study:zwolle", "level": "wijk", "area": "area:assendorp",
            "question": "Wat vraagt de buurt?", "plan": "Rondes lopen en gesprekken voeren."
        }),
    ));
    w.push(ev(
        "f1",
        "cycle:assendorp-1",
        "ReflectionRecorded",
        "2020-02-01",
        json!({
            "insights": [{"kind": "tip", "text": "Vaker samen terugkijken."}]
        }),
    ));
    if closed {
        w.push(ev("x1", "cycle:assendorp-1", "CycleClosed", "2020-03-01", json!({"outcome": "Afgerond."})));
    }
    given(&w)
}

#[test]
fn a_team_without_reflection_beyond_the_threshold_is_warned() {
    let p = reflecting(false);
    let w = of(&p, WarningKind::ReflectionGap, "2020-07-01");
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].subject, "cycle:assendorp-1");
    assert_eq!(w[0].subject_label, "team wijk Assendorp");
    assert_eq!(
        w[0].reason,
        "Het team wijk Assendorp heeft 151 dagen niet gereflecteerd (laatste reflectie op 1 feb 2020); de drempel is 120 dagen."
    );
    assert_eq!(w[0].since, Some("2020-02-01".parse().unwrap()));
    let en = of_with(&p, WarningKind::ReflectionGap, "2020-07-01", Thresholds::default(), Lang::En);
    assert_eq!(
        en[0].reason,
        "Team neighbourhood Assendorp has not reflected for 151 days (last reflection on 1 Feb 2020); the threshold is 120 days."
    );
}

#[test]
fn a_team_that_reflected_recently_or_closed_its_cycles_is_not_warned() {
    assert!(of(&reflecting(false), WarningKind::ReflectionGap, "2020-05-01").is_empty());
    assert!(of(&reflecting(true), WarningKind::ReflectionGap, "2020-07-01").is_empty());
    let t = Thresholds { reflection_gap_days_max: 200, ..Thresholds::default() };
    assert!(of_with(&reflecting(false), WarningKind::ReflectionGap, "2020-07-01", t, Lang::Nl).is_empty());
}

// ---- no organisation ------------------------------------------------------------------------

#[test]
fn an_active_initiative_without_an_organisation_is_warned() {
    let mut w = base_world();
    w.push(initiative("i1", "initiative:tuin", "Buurttuin", "2020-02-01"));
    let p = given(&w);
    let found = of(&p, WarningKind::NoOrganisation, "2020-05-01");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].subject_label, "Buurttuin");
    assert!(
        found[0].reason.starts_with("Buurttuin loopt sinds 1 feb 2020 (3 maanden) zonder overdracht"),
        "{}",
        found[0].reason
    );
    assert!(of(&p, WarningKind::NoOrganisation, "2020-01-31").is_empty(), "not started yet");
}

#[test]
fn an_initiative_connected_to_an_organisation_or_handed_over_is_not_warned() {
    let mut w = base_world();
    w.push(initiative("i1", "initiative:tuin", "Buurttuin", "2020-02-01"));
    w.push(ev(
        "n1",
        "network:assendorp",
        "ConnectionMade",
        "2020-03-01",
        json!({
            "from": "participant:makelaar-a", "to": "participant:welzijn-zwolle", "initiative": "initiative:tuin"
        }),
    ));
    let p = given(&w);
    assert_eq!(of(&p, WarningKind::NoOrganisation, "2020-02-15").len(), 1, "before the connection");
    assert!(of(&p, WarningKind::NoOrganisation, "2020-05-01").is_empty());

    let mut w = base_world();
    w.push(initiative("i1", "initiative:tuin", "Buurttuin", "2020-02-01"));
    w.push(ev(
        "h1",
        "initiative:tuin",
        "InitiativeHandedOver",
        "2020-03-01",
        json!({"organisation": "participant:welzijn-zwolle"}),
    ));
    assert!(of(&given(&w), WarningKind::NoOrganisation, "2020-05-01").is_empty());
}

// ---- volunteers at the broker's request -----------------------------------------------------

#[test]
fn volunteers_at_the_brokers_request_are_warned_and_those_who_left_after_a_let_go_are_named() {
    let p = given(&base_world());
    let w = of(&p, WarningKind::VolunteerAtBrokerRequest, "2020-02-01");
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].subject, "participant:vrijwilliger-1");
    assert!(
        w[0].reason.starts_with("vrijwilliger 1 doet sinds 6 jan 2020 mee op verzoek van de makelaar;"),
        "{}",
        w[0].reason
    );

    let mut world = base_world();
    world.extend([
        initiative("i1", "initiative:tuin", "Buurttuin", "2020-02-01"),
        ev(
            "n1",
            "network:assendorp",
            "ConnectionMade",
            "2020-02-02",
            json!({
                "from": "participant:makelaar-a", "to": "participant:vrijwilliger-1", "initiative": "initiative:tuin"
            }),
        ),
        broker("b1", "initiative:tuin", "let_go", false, "2020-06-01"),
        ev("l1", "participant:vrijwilliger-1", "ParticipantLeft", "2020-07-01", json!({})),
    ]);
    let p = given(&world);
    let w = of_with(&p, WarningKind::VolunteerAtBrokerRequest, "2020-08-01", Thresholds::default(), Lang::En);
    assert_eq!(
        w[0].reason,
        "vrijwilliger 1 took part at the broker's request and left on 1 Jul 2020, 30 days after makelaar Assendorp let go of Buurttuin on 1 Jun 2020 (no threshold)."
    );
    assert_eq!(w[0].since, Some("2020-07-01".parse().unwrap()));
    assert_eq!(w[0].sources.len(), 3);
}

#[test]
fn volunteers_on_their_own_initiative_are_not_warned() {
    let mut w = base_world();
    w.retain(|e| e["stream"] != "participant:vrijwilliger-1");
    w.push(ev(
        "p-v2",
        "participant:vrijwilliger-2",
        "ParticipantRegistered",
        "2020-01-06",
        json!({
            "label": "vrijwilliger 2", "role": "volunteer", "recruitment": "own_initiative"
        }),
    ));
    assert!(of(&given(&w), WarningKind::VolunteerAtBrokerRequest, "2020-02-01").is_empty());
}

// ---- the view -------------------------------------------------------------------------------

#[test]
fn the_warnings_view_is_sorted_json_with_labels_and_today_from_the_log() {
    let p = leading();
    let v = p.view("warnings", &ViewOptions::default()).expect("view");
    assert_eq!(v["today"], "2020-02-01", "today is the last day in the log, not the wall clock");
    assert_eq!(
        v["thresholds"],
        json!({"lead_months_max": 6, "active_initiatives_max": 5, "reflection_gap_days_max": 120})
    );
    let kinds: Vec<&str> = v["warnings"].as_array().unwrap().iter().map(|w| w["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["no_organisation", "volunteer_at_broker_request"]);
    assert_eq!(v["warnings"][0]["kind_label"], "geen organisatie voor borging");
    let t: Thresholds = serde_json::from_value(json!({"lead_months_max": 2})).expect("partial thresholds");
    assert_eq!((t.lead_months_max, t.active_initiatives_max), (2, 5));
    let en = p.text("warnings", &opts("2020-09-15", Lang::En, Thresholds::default())).expect("text");
    assert!(en.starts_with("broker still leads: Buurttuin\n"), "{en}");
    assert!(!en.contains("drempel"), "{en}");
    assert_eq!(
        Projections::default().text("warnings", &ViewOptions::default()).expect("text"),
        "Geen waarschuwingen.\n"
    );
}
