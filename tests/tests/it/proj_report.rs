//! The retrospective and the views of a made-up municipality (Lingedal), written from scratch in
//! the demo's event format and read from memory (or, to forget someone, from a store): the role
//! named in the study's own words, administrative events outside the study's period, warnings
//! over the whole period, spirals along `previous`, grammar and dates, and the HTML on a phone.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use parlog_core::{EventStore, Lang, ParticipantId, SubjectId};
use parlog_projections::retro::{self, Format, RetroOptions};
use parlog_projections::{AsOf, EndKind, Engine, Projections, Source, ViewOptions, Warning, WarningKind};
use serde_json::{json, Value};

use super::proj_support::{ev, ev_by, given, id, memory_with};

// ---- the log ----------------------------------------------------------------------------------

fn participant(label: &str, stream: &str, name: &str, role: &str, extra: Value) -> Value {
    let mut payload = json!({"label": name, "role": role});
    if let (Some(p), Some(x)) = (payload.as_object_mut(), extra.as_object()) {
        p.extend(x.clone());
    }
    ev(label, stream, "ParticipantRegistered", "2021-01-04", payload)
}

fn cycle(
    label: &str,
    stream: &str,
    day: &str,
    level: &str,
    area: &str,
    question: &str,
    previous: Option<&str>,
) -> Value {
    let mut payload = json!({
        "study": "study:lingedal", "level": level, "area": area, "question": question,
        "plan": "Gesprekken voeren en kijken wat er gebeurt."
    });
    if let Some(p) = previous {
        payload["previous"] = json!(p);
    }
    ev(label, stream, "CycleOpened", day, payload)
}

/// Lingedal: a study of two years with a role of its own ("Wijkschakel Lingedal"), two
/// districts, an initiative its broker led until it stopped, one handed over, two independent
/// spirals of neighbourhood cycles and one of the municipality, a sealed field note about a
/// resident, a change of method and a change of capacity. No label uses the guide's word for the
/// role, so that any "makelaar" in a report comes from parlog.
fn lingedal() -> Vec<Value> {
    let mut note = ev_by(
        "note-1",
        "schakel-dorp",
        "notes:schakel-dorp",
        "ObservationRecorded",
        "2021-02-10",
        json!({"cycle": "cycle:dorp-1", "area": "area:dorp", "topic": "eettafel"}),
    );
    note["sealed"] = json!({"subjects": ["resident:r-1"], "text": "Mevrouw R. eet sinds de dood van haar man alleen."});
    vec![
        ev(
            "study",
            "study:lingedal",
            "StudyStarted",
            "2021-01-04",
            json!({
                "title": "Schakelen in de wijk: actieonderzoek in Lingedal",
                "question": "Wat brengt de wijkschakel teweeg in Lingedal?", "municipality": "Lingedal",
                "levels": ["gemeente", "functie", "wijk"]
            }),
        ),
        ev("a-city", "area:lingedal", "AreaDefined", "2021-01-04", json!({"name": "Lingedal", "kind": "city"})),
        ev(
            "a-dorp",
            "area:dorp",
            "AreaDefined",
            "2021-01-04",
            json!({"name": "Dorpskern", "kind": "district", "parent": "area:lingedal"}),
        ),
        ev(
            "a-haven",
            "area:haven",
            "AreaDefined",
            "2021-01-04",
            json!({"name": "Havenkwartier", "kind": "district", "parent": "area:lingedal"}),
        ),
        participant("p-r", "participant:onderzoeker-a", "onderzoeker Lingedal", "researcher", json!({})),
        participant("p-d", "participant:schakel-dorp", "schakel Dorpskern", "makelaar", json!({"area": "area:dorp"})),
        participant(
            "p-h",
            "participant:schakel-haven",
            "schakel Havenkwartier",
            "makelaar",
            json!({"area": "area:haven"}),
        ),
        participant("p-o", "participant:welzijn", "Welzijn Lingedal", "organisation", json!({})),
        participant(
            "p-v",
            "participant:vrijwilliger-1",
            "vrijwilliger 1",
            "volunteer",
            json!({"recruitment": "broker_request"}),
        ),
        ev(
            "role",
            "role:wijkschakel",
            "RoleDescribed",
            "2021-01-04",
            json!({
                "title": "Wijkschakel Lingedal",
                "mandate": "Verbindt terugkerende vragen uit het gebiedsteam met wat bewoners zelf kunnen.",
                "tasks": ["vragen bundelen", "bewoners verbinden"], "capacity_fte": 1.5,
                "position": "Lid van het gebiedsteam, zonder eigen caseload.", "effective": "2021-01-01"
            }),
        ),
        cycle("c-d1", "cycle:dorp-1", "2021-01-15", "wijk", "area:dorp", "Wie eet er alleen in de Dorpskern?", None),
        cycle(
            "c-g1",
            "cycle:gemeente-1",
            "2021-01-20",
            "gemeente",
            "area:lingedal",
            "Hoe volgt de gemeente het werk?",
            None,
        ),
        ev(
            "i-eet",
            "initiative:eettafel",
            "InitiativeStarted",
            "2021-02-01",
            json!({
                "name": "Eettafel Dorpskern", "route": "signal", "area": "area:dorp",
                "description": "Een wekelijkse maaltijd voor wie alleen eet."
            }),
        ),
        ev(
            "b-eet",
            "initiative:eettafel",
            "BrokerRoleSet",
            "2021-02-01",
            json!({"broker": "participant:schakel-dorp", "role": "kick_start", "broker_leads": true}),
        ),
        ev(
            "act-1",
            "cycle:dorp-1",
            "ActionTaken",
            "2021-02-05",
            json!({"description": "Eerste eettafel in het dorpshuis.", "initiative": "initiative:eettafel"}),
        ),
        note,
        cycle(
            "c-h1",
            "cycle:haven-1",
            "2021-02-15",
            "wijk",
            "area:haven",
            "Wat missen gezinnen in het Havenkwartier?",
            None,
        ),
        ev(
            "refl-d1",
            "cycle:dorp-1",
            "ReflectionRecorded",
            "2021-03-01",
            json!({
                "summary": "De eettafel trekt vooral ouderen die alleen wonen",
                "insights": [{"kind": "tip", "text": "Vraag de kerk om vervoer te regelen."}],
                "observations": [id("note-1")]
            }),
        ),
        ev(
            "i-tuin",
            "initiative:haventuin",
            "InitiativeStarted",
            "2021-03-01",
            json!({
                "name": "Haventuin <b>groen</b>", "route": "opportunity", "area": "area:haven",
                "description": "Gezinnen maken samen een tuin op een braakliggend stuk kade."
            }),
        ),
        ev(
            "b-tuin",
            "initiative:haventuin",
            "BrokerRoleSet",
            "2021-03-01",
            json!({"broker": "participant:schakel-haven", "role": "support", "broker_leads": false}),
        ),
        ev(
            "n-tuin",
            "network:haven",
            "ConnectionMade",
            "2021-04-01",
            json!({"from": "participant:schakel-haven", "to": "participant:welzijn", "initiative": "initiative:haventuin"}),
        ),
        ev(
            "m-1",
            "role:wijkschakel",
            "MethodChanged",
            "2021-05-01",
            json!({
                "aspect": "vaste eettafelronde", "before": "Losse afspraken.", "after": "Elke maand een vaste ronde.",
                "rationale": "Zo ziet het team sneller wie er alleen eet.", "reflections": [id("refl-d1")],
                "effective": "2021-05-01"
            }),
        ),
        cycle(
            "c-d2",
            "cycle:dorp-2",
            "2021-06-01",
            "wijk",
            "area:dorp",
            "Hoe blijft de eettafel bestaan?",
            Some("cycle:dorp-1"),
        ),
        cycle(
            "c-h2",
            "cycle:haven-2",
            "2021-07-01",
            "wijk",
            "area:haven",
            "Wie houdt de tuin bij?",
            Some("cycle:haven-1"),
        ),
        ev(
            "rc-1",
            "role:wijkschakel",
            "RoleChanged",
            "2021-12-15",
            json!({"capacity_fte": 3.0, "rationale": "Twee gebieden vragen meer tijd.", "effective": "2022-01-01"}),
        ),
        ev(
            "stop-eet",
            "initiative:eettafel",
            "InitiativeStopped",
            "2022-03-01",
            json!({"reason": "Geen vrijwilligers meer."}),
        ),
        ev(
            "refl-h1",
            "cycle:haven-1",
            "ReflectionRecorded",
            "2022-03-01",
            json!({
                "summary": "Gezinnen komen vooral in het weekend.",
                "insights": [{"kind": "success", "text": "De tuin brengt buren samen."}]
            }),
        ),
        ev(
            "h-tuin",
            "initiative:haventuin",
            "InitiativeHandedOver",
            "2022-06-01",
            json!({"organisation": "participant:welzijn"}),
        ),
    ]
}

/// The report of a log, as `parlog retrospective` makes it.
fn report<S: Source + ?Sized>(source: &S, as_of: AsOf, lang: Lang, format: Format) -> String {
    let engine = Engine::as_of(source, as_of).expect("the engine reads the log");
    let o = RetroOptions { lang, ..RetroOptions::default() };
    retro::render(&retro::from_engine(source, &engine, as_of, &o), format)
}

fn opts(lang: Lang, day: Option<&str>) -> ViewOptions {
    ViewOptions { lang, day: day.map(|d| d.parse::<NaiveDate>().expect("a day")), ..ViewOptions::default() }
}

fn section<'a>(md: &'a str, heading: &str) -> &'a str {
    let start = md.find(heading).unwrap_or_else(|| panic!("no {heading:?} in:\n{md}"));
    let rest = &md[start + heading.len()..];
    let end = rest.find("\n## ").or_else(|| rest.find("\n### ")).unwrap_or(rest.len());
    &rest[..end]
}

// ---- 1. the role in the study's words -------------------------------------------------------

/// Regression: section titles, participant roles, warnings and the kinds of events said
/// "sociaal makelaar" / "makelaar" / "broker" whatever the study called the role.
#[test]
fn the_report_and_views_name_the_role_in_the_studys_own_words() {
    let log = memory_with(&lingedal());
    let nl = report(&log, AsOf::Head, Lang::Nl, Format::Markdown);
    let en = report(&log, AsOf::Head, Lang::En, Format::Markdown);
    for want in [
        "## De wijkschakel aan het werk",
        "#### De wijkschakel trekt zelf een initiatief",
        "#### Vrijwilligers op verzoek van de wijkschakel",
        "- **Rol van de wijkschakel:** schakel Dorpskern aanjagen (1 feb 2021), trekt zelf het initiatief",
        "- **Wijkschakel:** schakel Dorpskern, schakel Havenkwartier (2)",
        "Vrijwilliger 1 doet sinds 4 jan 2021 mee op verzoek van de wijkschakel; zulke vrijwilligers haken vaak af als de wijkschakel loslaat",
        "rol van wijkschakel vastgesteld · onderzoeker Lingedal · initiative:eettafel",
    ] {
        assert!(nl.contains(want), "missing {want:?} in:\n{nl}");
    }
    for want in [
        "## The wijkschakel at work",
        "#### The wijkschakel leads an initiative",
        "- **The wijkschakel's role:** schakel Dorpskern kick-start (1 Feb 2021), leads the initiative",
        "at the wijkschakel's request",
        "wijkschakel's role set · onderzoeker Lingedal · initiative:eettafel",
    ] {
        assert!(en.contains(want), "missing {want:?} in:\n{en}");
    }
    assert!(!nl.to_lowercase().contains("makelaar"), "the guide's word for the role in:\n{nl}");
    assert!(!en.to_lowercase().contains("broker"), "the guide's word for the role in:\n{en}");
    let html = report(&log, AsOf::Head, Lang::Nl, Format::Html);
    assert!(!html.to_lowercase().contains("makelaar"), "the HTML says the guide's word");
    assert!(html.contains("<h2>De wijkschakel aan het werk</h2>"));

    // The views name it too.
    let p = given(&lingedal());
    let o = opts(Lang::Nl, Some("2021-12-31"));
    let warnings = p.view("warnings", &o).expect("view");
    let kinds: Vec<&str> =
        warnings["warnings"].as_array().expect("a list").iter().map(|w| w["kind_label"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"wijkschakel trekt nog steeds"), "{kinds:?}");
    assert!(kinds.contains(&"vrijwilliger op verzoek van de wijkschakel"), "{kinds:?}");
    let activity = p.view("activity", &o).expect("view");
    assert_eq!(activity["brokers"][0]["role_label"], "wijkschakel");
    let directory = p.view("directory", &o).expect("view");
    let roles: BTreeSet<&str> =
        directory["participants"].as_array().unwrap().iter().filter_map(|x| x["role"]["label"].as_str()).collect();
    assert!(roles.contains("wijkschakel") && !roles.contains("sociaal makelaar"), "{roles:?}");
    let network = p.view("network", &o).expect("view");
    let labels: BTreeSet<&str> =
        network["nodes"].as_array().unwrap().iter().filter_map(|x| x["role_label"].as_str()).collect();
    assert!(labels.contains("wijkschakel"), "{labels:?}");
    for name in parlog_projections::PROJECTION_NAMES {
        let text = p.text(name, &o).expect("text");
        assert!(!text.to_lowercase().contains("makelaar"), "`{name}` says the guide's word:\n{text}");
    }
}

#[test]
fn the_latest_description_known_on_the_day_names_the_role_and_the_fixed_word_is_the_fallback() {
    let mut log = lingedal();
    log.push(ev(
        "role-2",
        "role:buurtschakel",
        "RoleDescribed",
        "2022-05-01",
        json!({
            "title": "Buurtschakel", "mandate": "Zoals de wijkschakel, nu per buurt.", "tasks": ["buurten verbinden"],
            "capacity_fte": 3.0, "position": "In het buurtteam.", "effective": "2022-05-01"
        }),
    ));
    let log = memory_with(&log);
    let whole = report(&log, AsOf::Head, Lang::Nl, Format::Markdown);
    assert!(whole.contains("## De buurtschakel aan het werk"), "{whole}");
    let before = report(&log, AsOf::Occurred("2022-04-30".parse().unwrap()), Lang::Nl, Format::Markdown);
    assert!(before.contains("## De wijkschakel aan het werk"), "{before}");

    // Without a description, the guide's word.
    let undescribed: Vec<Value> = lingedal()
        .into_iter()
        .filter(|e| e["kind"] != "RoleDescribed")
        .filter(|e| e["stream"] != "role:wijkschakel")
        .collect();
    let log = memory_with(&undescribed);
    let nl = report(&log, AsOf::Head, Lang::Nl, Format::Markdown);
    assert!(nl.contains("## De sociaal makelaar aan het werk"), "{nl}");
    assert!(nl.contains("- **Rol van de makelaar:**"), "{nl}");
    let en = report(&log, AsOf::Head, Lang::En, Format::Markdown);
    assert!(en.contains("## The community broker at work") && en.contains("- **The broker's role:**"), "{en}");
}

// ---- 2. administrative events are outside the study --------------------------------------------

/// The lines of two reports that differ, as (before, after).
fn differing_lines(a: &str, b: &str) -> Vec<(String, String)> {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    assert_eq!(a.len(), b.len(), "the reports have as many lines");
    a.iter().zip(&b).filter(|(x, y)| x != y).map(|(x, y)| (x.to_string(), y.to_string())).collect()
}

/// Regression: `SubjectForgotten` is stamped with the wall clock, and the activity projection
/// counted its day, so a forget years later made the study run to that day: the period, the age
/// of running initiatives and the warnings changed.
#[test]
fn a_forget_years_later_changes_nothing_but_the_log_prefix_on_the_cover() {
    let t = crate::support::setup();
    crate::support::append(t.store(), &lingedal());
    let store = t.store();
    let views = |p: &Projections| -> Vec<Value> {
        ["activity", "warnings", "initiatives", "cycles", "role", "signals", "lessons", "network"]
            .iter()
            .map(|n| p.view(n, &ViewOptions::default()).expect("a view"))
            .collect()
    };
    let formats = [
        (Lang::Nl, Format::Markdown),
        (Lang::En, Format::Markdown),
        (Lang::Nl, Format::Html),
        (Lang::En, Format::Html),
    ];
    let before: Vec<String> = formats.iter().map(|(l, f)| report(store, AsOf::Head, *l, *f)).collect();
    let views_before = views(&Engine::as_of(store, AsOf::Head).expect("engine").state);

    let subject = SubjectId::parse("resident:r-1").expect("a subject");
    let by = ParticipantId::parse("onderzoeker-a").expect("a participant");
    let forgot = store.forget(&subject, &by, None).expect("forget");
    let forget_day = store.at(forgot.position).expect("read").expect("the forget event").occurred_at.date();
    assert!(
        forget_day > "2023-01-01".parse::<NaiveDate>().expect("a day"),
        "the forget is stamped with the clock, years after the study: {forget_day}"
    );

    let after: Vec<String> = formats.iter().map(|(l, f)| report(store, AsOf::Head, *l, *f)).collect();
    let engine = Engine::as_of(store, AsOf::Head).expect("engine");
    assert_eq!(views(&engine.state), views_before, "no view moves with a forget");
    assert_eq!(engine.state.last_day(), Some("2022-06-01".parse().unwrap()), "today is the study's last day");
    for ((lang, format), (b, a)) in formats.iter().zip(before.iter().zip(&after)) {
        let diff = differing_lines(b, a);
        assert_eq!(diff.len(), 2, "{lang:?} {format:?}: only the position and hash on the cover change: {diff:#?}");
        for (_, line) in &diff {
            let cover = ["positie", "position", "Hash"].iter().any(|w| line.contains(w));
            assert!(cover, "{lang:?} {format:?}: a line that changed is not the cover's log prefix: {line}");
        }
        assert!(a.contains(&forgot.position.0.to_string()), "the cover names the new head");
    }
    assert!(after[0].contains("- Periode: 4 jan 2021 – 1 jun 2022"), "{}", after[0]);
}

// ---- 3. warnings over the whole period --------------------------------------------------------

/// Regression: the retrospective's practice warnings looked at the last day only, so the guide's
/// classic pitfall (the broker led an initiative until it stopped) was left out.
#[test]
fn the_retrospective_shows_pitfalls_that_ended_with_when_they_held_and_how_they_ended() {
    let log = memory_with(&lingedal());
    let nl = report(&log, AsOf::Head, Lang::Nl, Format::Markdown);
    let points = section(&nl, "### Aandachtspunten uit de praktijk");
    let want =
        "- **Eettafel Dorpskern:** Schakel Dorpskern trok Eettafel Dorpskern zelf, tot 12 maanden na de start op \
                1 feb 2021; de drempel is 6 maanden. Dat gold van 1 sep 2021 tot 1 mrt 2022 en eindigde toen het \
                initiatief op 1 mrt 2022 stopte. [#13 · 1 feb 2021] [#14 · 1 feb 2021] [#26 · 1 mrt 2022]";
    assert!(points.contains(want), "missing {want:?} in:\n{points}");
    assert!(points.contains("- **Haventuin &lt;b&gt;groen&lt;/b&gt;:** Haventuin &lt;b&gt;groen&lt;/b&gt; liep zonder overdracht en zonder verbonden organisatie (geen drempel). Dat gold van 1 mrt 2021 tot 1 apr 2021 en eindigde toen Welzijn Lingedal er op 1 apr 2021 aan verbonden was."), "{points}");
    assert!(points.contains("Dat geldt nog op 1 jun 2022."), "a warning that still holds says so: {points}");
    let en = report(&log, AsOf::Head, Lang::En, Format::Markdown);
    assert!(
        en.contains("That held from 1 Sep 2021 until 1 Mar 2022 and ended when the initiative stopped on 1 Mar 2022."),
        "{en}"
    );

    // The warnings view shows what holds now: the stopped initiative is not among them.
    let p = given(&lingedal());
    let now = Warning::list(&p, &opts(Lang::Nl, None));
    assert!(now.iter().all(|w| w.subject != "initiative:eettafel"), "{now:#?}");
    let held = Warning::history(&p, &opts(Lang::Nl, None));
    let leads: Vec<_> = held.iter().filter(|h| h.kind == WarningKind::BrokerStillLeads).collect();
    assert_eq!(leads.len(), 1, "{leads:#?}");
    assert_eq!((leads[0].from, leads[0].until), ("2021-09-01".parse().unwrap(), Some("2022-03-01".parse().unwrap())));
    assert_eq!(leads[0].ended.as_ref().map(|e| e.how), Some(EndKind::Stopped));
    let gaps: Vec<_> = held
        .iter()
        .filter(|h| h.kind == WarningKind::ReflectionGap)
        .map(|h| (h.subject_label.as_str(), h.from, h.ended.as_ref().map(|e| e.how)))
        .collect();
    assert!(
        gaps.contains(&("team wijk Havenkwartier", "2021-06-16".parse().unwrap(), Some(EndKind::Reflected))),
        "{gaps:?}"
    );
    // As of a day, the history ends there: the initiative still ran, the warning still held.
    let then = Warning::history(&p, &opts(Lang::Nl, Some("2021-12-31")));
    let lead = then.iter().find(|h| h.kind == WarningKind::BrokerStillLeads).expect("it held then");
    assert_eq!((lead.until, lead.ended.clone()), (None, None));
}

// ---- 4. spirals follow `previous` -------------------------------------------------------------

/// Regression: the spiral chained the cycles of a level in the order they opened, whatever their
/// area, so it joined one district's cycle to another's that never named it as its previous.
#[test]
fn spirals_follow_previous_and_independent_spirals_stand_side_by_side() {
    let p = given(&lingedal());
    let v = p.view("cycles", &ViewOptions::default()).expect("view");
    let spirals: Vec<Vec<&str>> = v["spirals"]
        .as_array()
        .expect("spirals")
        .iter()
        .map(|s| s["cycles"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect())
        .collect();
    assert_eq!(
        spirals,
        vec![vec!["cycle:dorp-1", "cycle:dorp-2"], vec!["cycle:gemeente-1"], vec!["cycle:haven-1", "cycle:haven-2"]]
    );
    let wijk = &v["levels"].as_array().unwrap().iter().find(|l| l["level"] == "wijk").expect("wijk")["areas"];
    let spiral_of: Vec<(&str, &str)> = wijk
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["cycles"].as_array().unwrap())
        .map(|c| (c["id"].as_str().unwrap(), c["spiral"].as_str().unwrap()))
        .collect();
    assert!(spiral_of.contains(&("cycle:haven-2", "cycle:haven-1")), "{spiral_of:?}");
    let text = p.text("cycles", &ViewOptions::default()).expect("text");
    assert!(text.contains("Spiraal 3: wijk, Havenkwartier (2 cycli)\n    1. Wat missen gezinnen in het Havenkwartier? (15 feb 2021)\n    2. Wie houdt de tuin bij? (1 jul 2021)\n"), "{text}");

    let log = memory_with(&lingedal());
    let md = report(&log, AsOf::Head, Lang::Nl, Format::Markdown);
    assert!(md.contains("Wijk · Dorpskern: 1. Wie eet er alleen in de Dorpskern? (15 jan 2021) → 2. Hoe blijft de eettafel bestaan? (1 jun 2021)\n"), "{md}");
    assert!(md.contains("Wijk · Havenkwartier: 1. Wat missen gezinnen in het Havenkwartier? (15 feb 2021) → 2. Wie houdt de tuin bij? (1 jul 2021)\n"), "{md}");
    let html = report(&log, AsOf::Head, Lang::Nl, Format::Html);
    let pictures: Vec<&str> = html.split("<div class=\"spiral\">").skip(1).collect();
    assert_eq!(pictures.len(), 3, "one picture per spiral");
    for pic in pictures {
        let cycles = pic.split("</ol>").next().unwrap_or("").matches("<li>").count();
        let links = pic.split("</svg>").next().unwrap_or("").matches("<path ").count();
        assert_eq!(links, cycles - 1, "each cycle but the first is joined to the one it follows: {pic}");
    }
}

#[test]
fn a_cycle_follows_the_cycle_it_names_across_areas_and_one_without_starts_its_own_spiral() {
    let mut log = lingedal();
    // In the Havenkwartier, a cycle that builds on the Dorpskern's second one; and in the
    // Dorpskern a new start that names none.
    log.push(cycle(
        "c-h3",
        "cycle:haven-3",
        "2021-08-01",
        "wijk",
        "area:haven",
        "Kan de eettafel ook aan de kade?",
        Some("cycle:dorp-2"),
    ));
    log.push(cycle("c-d3", "cycle:dorp-3", "2021-09-01", "wijk", "area:dorp", "Een nieuwe vraag in het dorp", None));
    let p = given(&log);
    let v = p.view("cycles", &ViewOptions::default()).expect("view");
    let spirals: Vec<Vec<(&str, Option<&str>)>> = v["spirals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s["cycles"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c["id"].as_str().unwrap(), c["previous"].as_str()))
                .collect()
        })
        .collect();
    assert_eq!(
        spirals[0],
        vec![("cycle:dorp-1", None), ("cycle:dorp-2", Some("cycle:dorp-1")), ("cycle:haven-3", Some("cycle:dorp-2"))]
    );
    assert!(spirals.contains(&vec![("cycle:dorp-3", None)]), "{spirals:?}");
}

// ---- 5. grammar and dates ---------------------------------------------------------------------

/// Days written as ISO (`2021-03-01`) in a text.
fn iso_days(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(9))
        .filter(|&i| {
            let d = |k: usize| b[i + k].is_ascii_digit();
            d(0) && d(1) && d(2) && d(3) && b[i + 4] == b'-' && d(5) && d(6) && b[i + 7] == b'-' && d(8) && d(9)
        })
        .map(|i| text[i..i + 10].to_string())
        .collect()
}

#[test]
fn counts_agree_with_their_number_no_capital_follows_a_semicolon_and_days_read_one_way() {
    let log = memory_with(&lingedal());
    let nl = report(&log, AsOf::Head, Lang::Nl, Format::Markdown);
    let en = report(&log, AsOf::Head, Lang::En, Format::Markdown);
    // Regression: "1 acties, 1 veldnotities, 1 reflecties".
    assert!(nl.contains("Stappen: 1 actie, 1 veldnotitie, 1 reflectie."), "{nl}");
    assert!(en.contains("Steps: 1 action, 1 field note, 1 reflection."), "{en}");
    assert!(nl.contains("Stappen: 0 acties, 0 veldnotities, 0 reflecties."), "{nl}");
    // Regression: "beschreven met 1.5 fte; Verbindt …".
    for (lang, md) in [("nl", &nl), ("en", &en)] {
        let after: Vec<&str> = md.split("; ").skip(1).filter(|s| s.starts_with(char::is_uppercase)).collect();
        assert!(after.is_empty(), "{lang}: a capital after a semicolon: {after:?}");
    }
    assert!(nl.contains("beschreven met 1.5 fte. Verbindt terugkerende vragen"), "{nl}");
    // One way to write a day, for people; JSON keeps ISO.
    for (what, text) in [("nl md", &nl), ("en md", &en)] {
        assert_eq!(iso_days(text), Vec::<String>::new(), "{what} writes days as ISO");
    }
    let html = report(&log, AsOf::Head, Lang::Nl, Format::Html);
    assert_eq!(iso_days(&html), Vec::<String>::new(), "the HTML writes days as ISO");
    let p = given(&lingedal());
    for lang in [Lang::Nl, Lang::En] {
        for name in parlog_projections::PROJECTION_NAMES {
            let text = p.text(name, &opts(lang, None)).expect("text");
            assert_eq!(iso_days(&text), Vec::<String>::new(), "`{name}` as text writes days as ISO:\n{text}");
        }
    }
    let warnings = p.view("warnings", &opts(Lang::Nl, None)).expect("view");
    assert_eq!(warnings["today"], "2022-06-01", "JSON keeps ISO days");
    assert!(
        warnings.to_string().contains("sinds 4 jan 2021"),
        "sentences for people in JSON speak as people: {warnings}"
    );
}

#[test]
fn reflections_show_their_summaries_and_the_role_timeline_is_in_date_order() {
    let log = memory_with(&lingedal());
    let nl = report(&log, AsOf::Head, Lang::Nl, Format::Markdown);
    assert!(nl.contains("- **Reflectie (1 mrt 2021):** De eettafel trekt vooral ouderen die alleen wonen. Inzichten: 1. [#18 · 1 mrt 2021]"), "{nl}");
    assert!(nl.contains("- **Reflectie (1 mrt 2022):** Gezinnen komen vooral in het weekend. Inzichten: 1."), "{nl}");
    let p = given(&lingedal());
    let text = p.text("cycles", &ViewOptions::default()).expect("text");
    assert!(text.contains("— De eettafel trekt vooral ouderen die alleen wonen —"), "{text}");
    // Regression: capacity rows first, then every change of method, whatever their days.
    let chart = section(&nl, "**De functie door de tijd: capaciteit en wijzigingen in de werkwijze**");
    let fenced = chart.split("```").nth(1).expect("the chart as text");
    let rows: Vec<&str> = fenced.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(rows.len(), 3, "{chart}");
    assert!(
        rows[0].starts_with("1 jan 2021")
            && rows[1].starts_with("1 mei 2021  ◆ vaste eettafelronde")
            && rows[2].starts_with("1 jan 2022"),
        "{rows:#?}"
    );
}

// ---- 6. the HTML on a phone -------------------------------------------------------------------

/// The values of an attribute on the elements that start with `tag` in an HTML text.
fn attrs<'a>(html: &'a str, tag: &str, attr: &str) -> Vec<Option<&'a str>> {
    html.split(tag)
        .skip(1)
        .map(|el| {
            let el = el.split('>').next().unwrap_or("");
            let needle = format!(" {attr}=\"");
            el.find(&needle).map(|i| el[i + needle.len()..].split('"').next().unwrap_or(""))
        })
        .collect()
}

#[test]
fn the_html_has_a_table_of_contents_folding_sections_and_chart_text_that_does_not_shrink() {
    let log = memory_with(&lingedal());
    let html = report(&log, AsOf::Head, Lang::Nl, Format::Html);
    // A table of contents before the sections, naming every section.
    let toc_at = html.find("<nav class=\"toc\"").expect("a table of contents");
    assert!(toc_at < html.find("<main>").expect("main"), "the table of contents comes first");
    let toc = &html[toc_at..html.find("</nav>").expect("its end")];
    let sections: Vec<&str> = html.split("<section id=\"").skip(1).map(|s| s.split('"').next().unwrap()).collect();
    let h2: Vec<&str> = html
        .split("<section id=\"")
        .skip(1)
        .filter(|s| s.split('>').nth(1).is_some_and(|x| x.starts_with("\n<h2")))
        .map(|s| s.split('"').next().unwrap())
        .collect();
    assert!(h2.len() >= 6, "{sections:?}");
    for id in &h2 {
        assert!(toc.contains(&format!("href=\"#{id}\"")), "the table of contents links #{id}");
    }
    // Every top section folds, open by default, with its heading outside the summary (a heading
    // in a summary is no heading for screen readers).
    assert_eq!(html.matches("<details class=\"fold\" open>").count(), h2.len());
    for summary in html.split("<summary").skip(1) {
        let inside = summary.split("</summary>").next().unwrap_or("");
        assert!(!inside.contains("<h"), "a heading inside a summary: {inside}");
    }
    // Charts: time and bar charts as wide as the page, without a viewBox that would scale their
    // 13 px text down on a phone (to about 5 px at 390 px before); spirals at their own size.
    let charts = attrs(&html, "<svg class=\"plot\"", "viewBox");
    assert_eq!(charts.len(), 2, "the role and stages charts (Lingedal records no signals)");
    assert!(charts.iter().all(Option::is_none), "a wide chart with a viewBox scales its text: {charts:?}");
    assert!(attrs(&html, "<svg class=\"plot\"", "width").iter().all(|w| *w == Some("100%")));
    assert!(html.contains("svg text { fill: var(--ink); font-size: 13px; }"));
    for spiral in html.split("<div class=\"spiral\">").skip(1) {
        let svg = &spiral[spiral.find("<svg").expect("a picture")..];
        let (vb, w) = (attrs(svg, "<svg", "viewBox")[0], attrs(svg, "<svg", "width")[0]);
        assert_eq!(vb.and_then(|v| v.split(' ').nth(2)), w, "a spiral is drawn at its own size: {svg}");
    }
    // Regression: the role chart cut off its labels at the right edge. Its marks are numbers;
    // what they stand for is in the list under it.
    let role = html.split("<figcaption>De functie door de tijd").nth(1).expect("the role chart");
    let picture = role.split("</svg>").next().unwrap();
    assert!(!picture.contains(">vaste eettafelronde<"), "a label drawn in the picture can run off it");
    assert!(role.split("</figure>").next().unwrap().contains("1. vaste eettafelronde</li>"), "{role}");
    // Text from events stays text.
    assert!(!html.contains("<b>groen"), "an initiative's name became markup");
    assert!(html.contains("Haventuin &lt;b&gt;groen&lt;/b&gt;"));
}
