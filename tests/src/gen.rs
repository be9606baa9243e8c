//! A generated log for benchmarks: a participatory action research project of about ten years in
//! a made-up municipality (not Gouda), with as many events as asked for.
//!
//! The mix follows the demo log, scaled up: a study, districts and neighbourhoods ("Wijk 7"),
//! makelaars, researchers, social workers, residents, volunteers and organisations who come and
//! go; the role and changes of method; cycles per level and area, one after another ("spirals");
//! initiatives ("Initiatief 123") with stages, broker roles, hand-overs and stops; signals and
//! their collectivisation; connections; codes, excerpts and memos; a few amendments and
//! retractions; and above all field notes (about three in four events) with area, initiative
//! and cycle references, Positive Health tags and, for one in three, a sealed text of about 300
//! characters, and reflections that cite them.
//!
//! Deterministic: the same seed and size give the same events, ids included, so a log built
//! earlier can be reused and continued ([`Generator::skip`], then more events). Times increase
//! with every event: event `k` of `n` happens on day `k * 10 years / n`, between 08:00 and 20:00
//! local time (CET/CEST), so a log of any size spans about ten years. Events past `n` continue
//! at the same pace.
//!
//! Events are built as clients build them, as JSON parsed by `NewEvent::from_json`.

use std::collections::VecDeque;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use parlog_core::limits::BATCH_EVENTS_MAX;
use parlog_core::{AuthorSource, EventStore, NewEvent, SledStore};
use serde_json::{json, Value};

/// The seed the benchmarks use.
pub const SEED: u64 = 0x7061_726c_6f67_0001;
/// Changes whenever the generated events change, so that a stored log of an older version is
/// not taken for a current one.
pub const VERSION: u32 = 1;
/// Days the log spans.
pub const SPAN_DAYS: u64 = 3_652;
/// Characters of the sealed text of a field note (about; cut at a word).
pub const NOTE_TEXT_CHARS: usize = 300;

const DISTRICTS: usize = 8;
const MAKELAARS_PER_DISTRICT: usize = 2;
const SOCIAL_WORKERS_PER_DISTRICT: usize = 3;
const RESEARCHERS: usize = 4;
const ORGANISATIONS: usize = 30;
const RESIDENTS_AT_START: usize = 120;
/// Active initiatives per neighbourhood at most; above it, initiatives move on instead of starting.
const ACTIVE_INITIATIVES_PER_WIJK: usize = 3;
const CODES_MAX: usize = 200;
/// Resident data subjects named in sealed notes (`resident:r-<n>`).
const RESIDENT_SUBJECTS: u64 = 3_000;
/// How many recent events of each sort are kept to refer to.
const RECENT_NOTES: usize = 512;
const RECENT_OTHER: usize = 64;

/// What a step of the generator does, with its weight in ten-thousandths of the steps.
#[derive(Clone, Copy)]
enum Act {
    Note,
    Action,
    Reflection,
    Rotate,
    Signal,
    Connection,
    Excerpt,
    Memo,
    Initiative,
    Collectivise,
    Register,
    RoleChange,
    Leave,
    MethodChange,
    RoleChanged,
    CodeDefine,
    CodeRename,
    CodeMerge,
    Amend,
    Retract,
}

const ACTS: [(Act, u32); 20] = [
    (Act::Note, 6_600),
    (Act::Action, 500),
    (Act::Reflection, 200),
    (Act::Rotate, 25),
    (Act::Signal, 450),
    (Act::Connection, 500),
    (Act::Excerpt, 400),
    (Act::Memo, 80),
    (Act::Initiative, 150),
    (Act::Collectivise, 40),
    (Act::Register, 40),
    (Act::RoleChange, 15),
    (Act::Leave, 6),
    (Act::MethodChange, 4),
    (Act::RoleChanged, 1),
    (Act::CodeDefine, 3),
    (Act::CodeRename, 1),
    (Act::CodeMerge, 1),
    (Act::Amend, 8),
    (Act::Retract, 4),
];

const HEALTH: [&str; 6] =
    ["bodily_functions", "mental_wellbeing", "meaningfulness", "quality_of_life", "participation", "daily_functioning"];
const STAGES: [&str; 4] = ["inventory", "bringing_together", "action", "anchoring"];
const BROKER_ROLES: [&str; 5] = ["kick_start", "connect", "support", "facilitate", "mobilise"];
const INSIGHT_KINDS: [&str; 5] = ["success", "pitfall", "tip", "question", "added_value"];
const STAKEHOLDERS: [&str; 5] = ["residents", "neighbourhood", "social_team", "organisations", "municipality"];
const TOPICS: [&str; 24] = [
    "koffieochtend",
    "huisbezoek",
    "teamoverleg",
    "buurtschouw",
    "gesprek met de corporatie",
    "spreekuur in het buurthuis",
    "wandeling door de wijk",
    "overleg met de school",
    "bijeenkomst bewonersgroep",
    "intervisie",
    "telefoontje van een bewoner",
    "markt op het plein",
    "overleg met de wijkagent",
    "vrijwilligersavond",
    "gesprek met de huisarts",
    "inloop bij de voedselbank",
    "werkgroep speeltuin",
    "bezoek aan de moskee",
    "tuindag",
    "repair café",
    "buurtmaaltijd",
    "overleg gebiedsregisseur",
    "kennismaking nieuwe bewoners",
    "evaluatie met de werkgroep",
];
const THEMES: [&str; 20] = [
    "eenzaamheid onder ouderen",
    "schulden en geldzorgen",
    "kleding en spullen voor gezinnen",
    "taal en inburgering",
    "vervoer naar afspraken",
    "klussen in en om het huis",
    "overlast en onveiligheid",
    "opvoedvragen",
    "werk en dagbesteding",
    "mantelzorg",
    "gezond eten",
    "bewegen en sport",
    "digitale vaardigheden",
    "woonproblemen",
    "jongeren op straat",
    "ontmoeting in de buurt",
    "administratie en formulieren",
    "rouw en verlies",
    "zorg mijden",
    "groen in de wijk",
];
const CODE_NAMES: [&str; 15] = [
    "eigenaarschap",
    "werkdruk",
    "vertrouwen",
    "samenwerking sociaal team",
    "informele zorg",
    "eenzaamheid",
    "armoede",
    "ruimte gemeente",
    "trekkersrol",
    "vrijwilligers",
    "verantwoording",
    "intervisie",
    "loslaten",
    "buurtnetwerk",
    "taal",
];
const ASPECTS: [&str; 10] = [
    "intervisie tussen makelaars",
    "verantwoording aan de gemeente",
    "werken op afspraak",
    "aanwezigheid in de wijk",
    "overdracht aan organisaties",
    "samenwerking met het sociaal team",
    "inzet van vrijwilligers",
    "registratie van signalen",
    "loslaten van initiatieven",
    "contact met de huisartsen",
];
const ORG_KINDS: [&str; 6] =
    ["Stichting", "Vereniging", "Woningcorporatie", "Buurthuis", "Kerk", "Welzijnsorganisatie"];
const WORDS: [&str; 48] = [
    "de",
    "buurt",
    "bewoner",
    "bewoners",
    "gesprek",
    "plein",
    "koffie",
    "buurthuis",
    "afspraak",
    "idee",
    "zorg",
    "tuin",
    "markt",
    "school",
    "straat",
    "vraag",
    "plan",
    "makelaar",
    "team",
    "vrijwilliger",
    "samen",
    "geregeld",
    "niet",
    "wel",
    "eerst",
    "later",
    "met",
    "zonder",
    "over",
    "voor",
    "iedereen",
    "niemand",
    "weer",
    "toch",
    "week",
    "avond",
    "ochtend",
    "gemeente",
    "corporatie",
    "kinderen",
    "ouderen",
    "buren",
    "hulp",
    "contact",
    "ruimte",
    "tijd",
    "geld",
    "vertrouwen",
];

/// A participant the generator can pick: its id and where it works or lives.
#[derive(Clone)]
struct Person {
    id: String,
    district: usize,
    wijk: usize,
}

/// A level and area in which cycles follow one another.
struct Lane {
    level: &'static str,
    area: String,
    slug: String,
    /// Cycles opened so far in this lane.
    seq: u32,
    open: Option<OpenCycle>,
    /// The last cycle of the lane, for `previous`.
    last: Option<String>,
}

struct OpenCycle {
    stream: String,
    notes: VecDeque<String>,
    reflections: u32,
}

struct Initiative {
    stream: String,
    wijk: usize,
    stage: usize,
    broker: String,
}

/// A recent event that may be cited, amended or retracted: its id, stream and payload.
#[derive(Clone)]
struct Recent {
    id: String,
    stream: String,
    payload: Value,
    sealed: bool,
}

/// The generator. See the module documentation.
pub struct Generator {
    rng: fastrand::Rng,
    total: u64,
    emitted: u64,
    pending: VecDeque<Value>,
    start: NaiveDate,
    municipality: String,
    study: String,
    role: String,
    city: String,
    districts: Vec<String>,
    /// Neighbourhood area streams, and the district of each.
    wijken: Vec<(String, usize)>,
    makelaars: Vec<Person>,
    coach: String,
    researchers: Vec<String>,
    officer: String,
    directors: Vec<Person>,
    social_workers: Vec<Person>,
    residents: Vec<Person>,
    volunteers: Vec<Person>,
    organisations: Vec<String>,
    participants_made: u64,
    lanes: Vec<Lane>,
    initiatives: Vec<Initiative>,
    initiatives_made: u64,
    signals: Vec<VecDeque<String>>,
    codes: Vec<String>,
    codes_made: u64,
    notes: VecDeque<Recent>,
    actions: VecDeque<Recent>,
    connections: VecDeque<Recent>,
    reflections: VecDeque<String>,
}

impl Generator {
    /// A generator for a log of `total` events (which sets the pace of time), from `seed`.
    pub fn new(total: u64, seed: u64) -> Generator {
        let mut rng = fastrand::Rng::with_seed(seed);
        let municipality = municipality_name(&mut rng);
        let mut g = Generator {
            rng,
            total: total.max(1),
            emitted: 0,
            pending: VecDeque::new(),
            start: NaiveDate::from_ymd_opt(2016, 1, 4).expect("valid date"),
            city: format!("area:{}", slug(&municipality)),
            study: format!("study:{}-sociaal-makelaar", slug(&municipality)),
            role: format!("role:sociaal-makelaar-{}", slug(&municipality)),
            municipality,
            districts: Vec::new(),
            wijken: Vec::new(),
            makelaars: Vec::new(),
            coach: "coach-1".into(),
            researchers: Vec::new(),
            officer: "beleid-1".into(),
            directors: Vec::new(),
            social_workers: Vec::new(),
            residents: Vec::new(),
            volunteers: Vec::new(),
            organisations: Vec::new(),
            participants_made: 0,
            lanes: Vec::new(),
            initiatives: Vec::new(),
            initiatives_made: 0,
            signals: Vec::new(),
            codes: Vec::new(),
            codes_made: 0,
            notes: VecDeque::new(),
            actions: VecDeque::new(),
            connections: VecDeque::new(),
            reflections: VecDeque::new(),
        };
        g.setup();
        g
    }

    /// The municipality's (generated) name.
    pub fn municipality(&self) -> &str {
        &self.municipality
    }

    /// Events handed out so far.
    pub fn emitted(&self) -> u64 {
        self.emitted
    }

    /// The next event in its JSON wire form.
    pub fn next_json(&mut self) -> Value {
        while self.pending.is_empty() {
            self.step();
        }
        let mut v = self.pending.pop_front().expect("a step adds events");
        v["occurred_at"] = Value::String(self.timestamp(self.emitted));
        self.emitted += 1;
        v
    }

    /// The next event, parsed as a client's would be.
    pub fn next_event(&mut self) -> NewEvent {
        let v = self.next_json();
        match NewEvent::from_json(&v.to_string(), &AuthorSource::FromBody) {
            Ok(e) => e,
            Err(e) => panic!("the generator made an invalid event ({e}): {v}"),
        }
    }

    /// Skips `n` events (to continue a log built earlier with the same seed and size).
    pub fn skip(&mut self, n: u64) {
        for _ in 0..n {
            self.next_json();
        }
    }

    // ---- time -------------------------------------------------------------------------------

    /// The day (from the start) and seconds after local midnight of event `k`.
    fn when(&self, k: u64) -> (NaiveDate, u32) {
        let x = k as f64 * SPAN_DAYS as f64 / self.total as f64;
        let day = x.floor();
        let secs = 8 * 3600 + ((x - day) * 12.0 * 3600.0) as u32;
        (self.start + Duration::days(day as i64), secs)
    }

    fn timestamp(&self, k: u64) -> String {
        let (date, secs) = self.when(k);
        let offset = if summer_time(date) { 2 } else { 1 };
        format!("{date}T{:02}:{:02}:{:02}+0{offset}:00", secs / 3600, secs / 60 % 60, secs % 60)
    }

    /// The day the next pushed event will happen on.
    fn today(&self) -> NaiveDate {
        self.when(self.emitted + self.pending.len() as u64).0
    }

    // ---- building blocks --------------------------------------------------------------------

    fn id(&mut self) -> String {
        uuid::Builder::from_random_bytes(self.rng.u128(..).to_le_bytes()).into_uuid().to_string()
    }

    /// Queues an event; returns its id.
    fn push(&mut self, stream: &str, kind: &str, author: &str, payload: Value, sealed: Option<Value>) -> String {
        self.push_caused(stream, kind, author, payload, sealed, &[])
    }

    fn push_caused(
        &mut self,
        stream: &str,
        kind: &str,
        author: &str,
        payload: Value,
        sealed: Option<Value>,
        causation: &[String],
    ) -> String {
        let id = self.id();
        let mut v = json!({
            "id": id,
            "stream": stream,
            "kind": kind,
            "occurred_at": "",
            "author": author,
            "payload": payload,
        });
        if let Some(s) = sealed {
            v["sealed"] = s;
        }
        if !causation.is_empty() {
            v["causation"] = json!(causation);
        }
        self.pending.push_back(v);
        id
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.usize(..items.len())]
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.f64() < p
    }

    /// Prose of a length drawn from `chars`.
    fn prose_in(&mut self, chars: std::ops::Range<usize>) -> String {
        let n = self.rng.usize(chars);
        self.prose(n)
    }

    /// Words in Dutch-looking sentences, about `chars` characters long.
    fn prose(&mut self, chars: usize) -> String {
        let mut out = String::with_capacity(chars + 16);
        while out.chars().count() < chars {
            let n = self.rng.usize(6..14);
            let mut sentence = String::new();
            for i in 0..n {
                let w = *self.pick(&WORDS);
                if i == 0 {
                    let mut c = w.chars();
                    let first = c.next().expect("words are not empty").to_uppercase();
                    sentence.extend(first);
                    sentence.push_str(c.as_str());
                } else {
                    sentence.push(' ');
                    sentence.push_str(w);
                }
            }
            sentence.push_str(". ");
            out.push_str(&sentence);
        }
        let cut: String = out.chars().take(chars).collect();
        cut.trim_end().to_string()
    }

    fn remember(list: &mut VecDeque<Recent>, r: Recent, max: usize) {
        if list.len() == max {
            list.pop_front();
        }
        list.push_back(r);
    }

    fn register(&mut self, id: &str, label: &str, role: &str, org: Option<&str>, area: Option<&str>) {
        let mut payload = json!({"label": label, "role": role});
        if let Some(o) = org {
            payload["organisation"] = json!(o);
        }
        if let Some(a) = area {
            payload["area"] = json!(a);
        }
        if role == "resident" || role == "volunteer" {
            let how = ["own_initiative", "broker_request", "organisation"][self.rng.usize(..3)];
            payload["recruitment"] = json!(how);
        }
        let name = format!(
            "{} {}",
            ["Anna", "Bram", "Fatima", "Sanne", "Mehmet", "Joost", "Ilse", "Kofi"][self.rng.usize(..8)],
            ["de Vries", "Jansen", "Bakker", "Yilmaz", "Visser", "Smit", "Meijer", "Mulder"][self.rng.usize(..8)]
        );
        let sealed = json!({"subjects": [format!("participant:{id}")], "names": [name]});
        let officer = self.officer.clone();
        self.push(&format!("participant:{id}"), "ParticipantRegistered", &officer, payload, Some(sealed));
        self.participants_made += 1;
    }

    fn new_person(&mut self, prefix: &str, district: usize) -> Person {
        let wijk = self.wijk_in(district);
        Person { id: format!("{prefix}-{}", self.participants_made + 1), district, wijk }
    }

    /// A neighbourhood of a district.
    fn wijk_in(&mut self, district: usize) -> usize {
        let ws: Vec<usize> = (0..self.wijken.len()).filter(|w| self.wijken[*w].1 == district).collect();
        *self.pick(&ws)
    }

    // ---- the start of the study -------------------------------------------------------------

    fn setup(&mut self) {
        let officer = self.officer.clone();
        self.register(
            &officer,
            "beleidsadviseur sociaal domein",
            "municipality_officer",
            Some(&format!("Gemeente {}", self.municipality)),
            None,
        );
        let (city, name) = (self.city.clone(), self.municipality.clone());
        self.push(&city, "AreaDefined", &officer, json!({"name": name, "kind": "city"}), None);
        let mut n = 0;
        for d in 0..DISTRICTS {
            let stream = format!("area:gebied-{}", d + 1);
            self.push(
                &stream,
                "AreaDefined",
                &officer,
                json!({"name": format!("Gebied {}", d + 1), "kind": "district", "parent": city}),
                None,
            );
            self.districts.push(stream.clone());
            for _ in 0..self.rng.usize(4..7) {
                n += 1;
                let w = format!("area:wijk-{n}");
                self.push(
                    &w,
                    "AreaDefined",
                    &officer,
                    json!({"name": format!("Wijk {n}"), "kind": "neighbourhood", "parent": stream}),
                    None,
                );
                self.wijken.push((w, d));
                self.signals.push(VecDeque::new());
            }
        }
        let effective = self.today().to_string();
        let role = self.role.clone();
        let payload = json!({
            "title": format!("Sociaal makelaar {}", self.municipality),
            "mandate": self.prose(400),
            "tasks": ["terugkerende vragen herkennen en bundelen", "initiatieven van bewoners op gang helpen", "bewoners verbinden met wat er in de wijk is", "het sociaal team wegwijs maken in de wijk"],
            "capacity_fte": (DISTRICTS * MAKELAARS_PER_DISTRICT) as f64 * 0.8,
            "position": self.prose(200),
            "effective": effective,
        });
        self.push(&role, "RoleDescribed", &officer, payload, None);
        let coach = self.coach.clone();
        self.register(&coach, "stadsbrede makelaar", "city_coach", Some("Welzijn Samen"), Some(&city));
        for d in 0..DISTRICTS {
            let area = self.districts[d].clone();
            for k in 0..MAKELAARS_PER_DISTRICT {
                let p = self.new_person("makelaar", d);
                self.register(
                    &p.id,
                    &format!("makelaar Gebied {} {}", d + 1, k + 1),
                    "makelaar",
                    Some("Welzijn Samen"),
                    Some(&area),
                );
                self.makelaars.push(p);
            }
            let p = self.new_person("gebiedsregisseur", d);
            self.register(
                &p.id,
                &format!("gebiedsregisseur Gebied {}", d + 1),
                "area_director",
                Some(&format!("Gemeente {}", self.municipality)),
                Some(&area),
            );
            self.directors.push(p);
            for k in 0..SOCIAL_WORKERS_PER_DISTRICT {
                let p = self.new_person("sociaalwerker", d);
                self.register(
                    &p.id,
                    &format!("sociaal werker Gebied {} {}", d + 1, k + 1),
                    "social_worker",
                    Some("Welzijn Samen"),
                    Some(&area),
                );
                self.social_workers.push(p);
            }
        }
        for k in 0..RESEARCHERS {
            let id = format!("onderzoeker-{}", k + 1);
            self.register(
                &id,
                &format!("onderzoeker {}", k + 1),
                "researcher",
                Some(["Hogeschool", "GGD", "Universiteit", "Kenniscentrum"][k % 4]),
                None,
            );
            self.researchers.push(id);
        }
        for _ in 0..ORGANISATIONS {
            self.new_organisation();
        }
        for _ in 0..RESIDENTS_AT_START {
            self.new_resident("resident");
        }
        let (study, researcher) = (self.study.clone(), self.researchers[0].clone());
        let payload = json!({
            "title": format!("Verbinden in de wijk: actieonderzoek naar de sociaal makelaar in {}", self.municipality),
            "question": self.prose(300),
            "municipality": self.municipality,
            "partners": ["Hogeschool", "GGD", format!("Gemeente {}", self.municipality), "Welzijn Samen"],
            "levels": ["gemeente", "functie", "wijk"],
            "method": self.prose(400),
        });
        self.push(&study, "StudyStarted", &researcher, payload, None);
        for name in CODE_NAMES {
            self.define_code(name);
        }
        self.lanes.push(Lane {
            level: "gemeente",
            area: city.clone(),
            slug: "gemeente".into(),
            seq: 0,
            open: None,
            last: None,
        });
        for d in 0..DISTRICTS {
            let area = self.districts[d].clone();
            self.lanes.push(Lane {
                level: "functie",
                area,
                slug: format!("functie-gebied-{}", d + 1),
                seq: 0,
                open: None,
                last: None,
            });
        }
        for (w, _) in self.wijken.clone() {
            let slug = w.trim_start_matches("area:").to_string();
            self.lanes.push(Lane { level: "wijk", area: w, slug, seq: 0, open: None, last: None });
        }
        // The first round: the municipality, the role in every district and a few neighbourhoods.
        for lane in 0..1 + DISTRICTS + 4 {
            self.open_cycle(lane);
        }
    }

    fn new_organisation(&mut self) {
        let id = format!("org-{}", self.participants_made + 1);
        let label = format!("{} {}", self.pick(&ORG_KINDS), self.participants_made + 1);
        let d = self.rng.usize(..DISTRICTS);
        let area = self.districts[d].clone();
        self.register(&id, &label, "organisation", Some(&label), Some(&area));
        self.organisations.push(id);
    }

    fn new_resident(&mut self, role: &str) {
        let d = self.rng.usize(..DISTRICTS);
        let prefix = if role == "volunteer" { "vrijwilliger" } else { "bewoner" };
        let p = self.new_person(prefix, d);
        let area = self.wijken[p.wijk].0.clone();
        let label =
            format!("{} {}", if role == "volunteer" { "vrijwilliger" } else { "bewoner" }, self.participants_made + 1);
        self.register(&p.id, &label, role, None, Some(&area));
        if role == "volunteer" {
            self.volunteers.push(p);
        } else {
            self.residents.push(p);
        }
    }

    fn define_code(&mut self, name: &str) {
        self.codes_made += 1;
        let stream = format!("code:{}-{}", slug(name), self.codes_made);
        let r = self.researchers[self.rng.usize(..self.researchers.len())].clone();
        let description = self.prose(120);
        self.push(&stream, "CodeDefined", &r, json!({"name": name, "description": description}), None);
        self.codes.push(stream);
    }

    // ---- steps ------------------------------------------------------------------------------

    fn step(&mut self) {
        let total: u32 = ACTS.iter().map(|(_, w)| w).sum();
        let mut x = self.rng.u32(..total);
        let mut act = Act::Note;
        for (a, w) in ACTS {
            if x < w {
                act = a;
                break;
            }
            x -= w;
        }
        match act {
            Act::Note => self.note(),
            Act::Action => self.action(),
            Act::Reflection => self.reflection(),
            Act::Rotate => self.rotate(),
            Act::Signal => self.signal(),
            Act::Connection => self.connection(),
            Act::Excerpt => self.excerpt(),
            Act::Memo => self.memo(),
            Act::Initiative => self.initiative(),
            Act::Collectivise => self.collectivise(),
            Act::Register => self.register_someone(),
            Act::RoleChange => self.participant_role_change(),
            Act::Leave => self.leave(),
            Act::MethodChange => self.method_change(),
            Act::RoleChanged => self.role_changed(),
            Act::CodeDefine => {
                if self.codes.len() < CODES_MAX {
                    let name = format!("thema {}", self.codes_made + 1);
                    self.define_code(&name);
                } else {
                    self.note();
                }
            }
            Act::CodeRename => self.code_rename(),
            Act::CodeMerge => self.code_merge(),
            Act::Amend => self.amend(),
            Act::Retract => self.retract(),
        }
    }

    /// A field note: mostly by makelaars, in a neighbourhood, often about an initiative and in
    /// a cycle, with Positive Health tags; one in three has a sealed text.
    fn note(&mut self) {
        let r = self.rng.f64();
        let author = if r < 0.65 || self.volunteers.is_empty() && r >= 0.92 {
            any(&mut self.rng, &self.makelaars)
        } else if r < 0.80 {
            any(&mut self.rng, &self.social_workers)
        } else if r < 0.92 {
            let id = any(&mut self.rng, &self.researchers);
            let d = self.rng.usize(..DISTRICTS);
            let wijk = self.wijk_in(d);
            Person { id, district: d, wijk }
        } else {
            any(&mut self.rng, &self.volunteers)
        };
        let wijk = if self.chance(0.8) { self.wijk_in(author.district) } else { author.wijk };
        let mut payload = json!({"area": self.wijken[wijk].0});
        let local: Vec<usize> = (0..self.initiatives.len()).filter(|i| self.initiatives[*i].wijk == wijk).collect();
        if !local.is_empty() && self.chance(0.35) {
            let i = *self.pick(&local);
            payload["initiative"] = json!(self.initiatives[i].stream);
        }
        let lane = 1 + DISTRICTS + wijk;
        let x = self.rng.f64();
        let cycle_lane = if x < 0.40 {
            Some(lane)
        } else if x < 0.45 {
            Some(1 + author.district)
        } else if x < 0.47 {
            Some(0)
        } else {
            None
        };
        let cycle = cycle_lane.and_then(|l| self.lanes[l].open.as_ref().map(|c| (l, c.stream.clone())));
        if let Some((_, c)) = &cycle {
            payload["cycle"] = json!(c);
        }
        if self.chance(0.85) {
            payload["topic"] = json!(self.pick(&TOPICS));
        }
        if self.chance(0.55) {
            let mut dims: Vec<&str> = Vec::new();
            for _ in 0..self.rng.usize(1..4) {
                let d = *self.pick(&HEALTH);
                if !dims.contains(&d) {
                    dims.push(d);
                }
            }
            payload["health"] = json!(dims);
        }
        if self.chance(0.12) {
            let a = any(&mut self.rng, &self.codes);
            let mut codes = vec![a];
            if self.chance(0.4) {
                let b = any(&mut self.rng, &self.codes);
                if !codes.contains(&b) {
                    codes.push(b);
                }
            }
            payload["codes"] = json!(codes);
        }
        let sealed = self.chance(1.0 / 3.0);
        let sealed_part = sealed.then(|| {
            let mut subjects = vec![format!("participant:{}", author.id)];
            if self.chance(0.4) {
                subjects.push(format!("resident:r-{}", self.rng.u64(1..=RESIDENT_SUBJECTS)));
            }
            json!({"subjects": subjects, "text": self.prose(NOTE_TEXT_CHARS)})
        });
        let stream = format!("notes:{}", author.id);
        let id = self.push(&stream, "ObservationRecorded", &author.id, payload.clone(), sealed_part);
        if let Some((l, _)) = cycle {
            let open = self.lanes[l].open.as_mut().expect("the cycle is open");
            if open.notes.len() == 32 {
                open.notes.pop_front();
            }
            open.notes.push_back(id.clone());
        }
        Self::remember(&mut self.notes, Recent { id, stream, payload, sealed }, RECENT_NOTES);
    }

    /// A lane with an open cycle, preferring neighbourhoods; `None` if none is found quickly.
    fn open_lane(&mut self) -> Option<usize> {
        for _ in 0..8 {
            let l = self.rng.usize(..self.lanes.len());
            if self.lanes[l].open.is_some() {
                return Some(l);
            }
        }
        (0..self.lanes.len()).find(|l| self.lanes[*l].open.is_some())
    }

    fn lane_author(&mut self, l: usize) -> String {
        match self.lanes[l].level {
            "gemeente" => any(&mut self.rng, &self.researchers),
            _ => {
                let d = self.district_of_lane(l);
                let ms: Vec<String> = self.makelaars.iter().filter(|m| m.district == d).map(|m| m.id.clone()).collect();
                if ms.is_empty() || self.chance(0.2) {
                    any(&mut self.rng, &self.researchers)
                } else {
                    self.pick(&ms).clone()
                }
            }
        }
    }

    fn district_of_lane(&self, l: usize) -> usize {
        if l == 0 {
            0
        } else if l <= DISTRICTS {
            l - 1
        } else {
            self.wijken[l - 1 - DISTRICTS].1
        }
    }

    fn action(&mut self) {
        let Some(l) = self.open_lane() else { return self.rotate() };
        let stream = self.lanes[l].open.as_ref().expect("open lane").stream.clone();
        let author = self.lane_author(l);
        let mut payload = json!({"description": self.prose_in(60..200)});
        let d = self.district_of_lane(l);
        let local: Vec<String> =
            self.initiatives.iter().filter(|i| self.wijken[i.wijk].1 == d).map(|i| i.stream.clone()).collect();
        if !local.is_empty() && self.chance(0.4) {
            payload["initiative"] = json!(self.pick(&local));
        }
        let id = self.push(&stream, "ActionTaken", &author, payload.clone(), None);
        Self::remember(&mut self.actions, Recent { id, stream, payload, sealed: false }, RECENT_OTHER);
    }

    fn insight(&mut self) -> Value {
        let kind = *self.pick(&INSIGHT_KINDS);
        let mut v = json!({"kind": kind, "text": self.prose_in(80..240)});
        if self.chance(0.8) {
            v["theme"] = json!(self.pick(&THEMES));
        }
        if kind == "added_value" {
            v["stakeholder"] = json!(self.pick(&STAKEHOLDERS));
        }
        v
    }

    /// A reflection in an open cycle, citing field notes of that cycle (or recent ones).
    fn reflection(&mut self) {
        let Some(l) = self.open_lane() else { return self.rotate() };
        let author = self.lane_author(l);
        let mut participants = vec![format!("participant:{author}")];
        for _ in 0..self.rng.usize(1..5) {
            let p = match self.rng.usize(..4) {
                0 => any(&mut self.rng, &self.researchers),
                1 => any(&mut self.rng, &self.makelaars).id,
                2 => any(&mut self.rng, &self.social_workers).id,
                _ => any(&mut self.rng, &self.residents).id,
            };
            let p = format!("participant:{p}");
            if !participants.contains(&p) {
                participants.push(p);
            }
        }
        let insights: Vec<Value> = (0..self.rng.usize(1..5)).map(|_| self.insight()).collect();
        let open = self.lanes[l].open.as_ref().expect("open lane");
        let mut cited: Vec<String> = open.notes.iter().rev().take(self.rng.usize(2..7)).cloned().collect();
        if cited.is_empty() && !self.notes.is_empty() {
            let n = self.notes.len();
            cited = self.notes.iter().skip(n.saturating_sub(3)).map(|r| r.id.clone()).collect();
        }
        let stream = open.stream.clone();
        let mut payload = json!({"participants": participants, "insights": insights});
        if !cited.is_empty() {
            payload["observations"] = json!(cited);
        }
        if self.chance(0.7) {
            payload["summary"] = json!(self.prose(160));
        }
        let id = self.push(&stream, "ReflectionRecorded", &author, payload, None);
        self.lanes[l].open.as_mut().expect("open lane").reflections += 1;
        if self.reflections.len() == RECENT_OTHER {
            self.reflections.pop_front();
        }
        self.reflections.push_back(id);
    }

    fn open_cycle(&mut self, l: usize) {
        let author = self.lane_author(l);
        let lane = &mut self.lanes[l];
        lane.seq += 1;
        let stream = format!("cycle:{}-{}", lane.slug, lane.seq);
        let mut payload = json!({"study": self.study, "level": lane.level, "area": lane.area});
        if let Some(prev) = &lane.last {
            payload["previous"] = json!(prev);
        }
        lane.open = Some(OpenCycle { stream: stream.clone(), notes: VecDeque::new(), reflections: 0 });
        lane.last = Some(stream.clone());
        payload["question"] = json!(format!("{}?", self.prose_in(80..200)));
        payload["plan"] = json!(self.prose_in(200..500));
        self.push(&stream, "CycleOpened", &author, payload, None);
    }

    /// Closes a lane's cycle (after a reflection, if it had none) and opens the next one.
    fn rotate(&mut self) {
        let l = self.rng.usize(..self.lanes.len());
        if let Some(open) = &self.lanes[l].open {
            let stream = open.stream.clone();
            let reflected = open.reflections > 0;
            let author = self.lane_author(l);
            if !reflected && self.chance(0.8) {
                let insights: Vec<Value> = (0..self.rng.usize(1..4)).map(|_| self.insight()).collect();
                let payload = json!({"insights": insights, "summary": self.prose(120)});
                let id = self.push(&stream, "ReflectionRecorded", &author, payload, None);
                self.reflections.push_back(id);
            }
            let outcome = self.prose_in(100..300);
            self.push(&stream, "CycleClosed", &author, json!({"outcome": outcome}), None);
            self.lanes[l].open = None;
        }
        self.open_cycle(l);
    }

    fn signal(&mut self) {
        let w = self.rng.usize(..self.wijken.len());
        let d = self.wijken[w].1;
        let sw: Vec<String> = self.social_workers.iter().filter(|s| s.district == d).map(|s| s.id.clone()).collect();
        let author = if sw.is_empty() { any(&mut self.rng, &self.makelaars).id } else { self.pick(&sw).clone() };
        let payload = json!({"theme": self.pick(&THEMES), "area": self.wijken[w].0, "count": self.rng.u32(1..=30)});
        let id = self.push(&format!("signals:gebied-{}", d + 1), "SignalRaised", &author, payload, None);
        let pending = &mut self.signals[w];
        if pending.len() == RECENT_OTHER {
            pending.pop_front();
        }
        pending.push_back(id);
    }

    fn connection(&mut self) {
        let from = any(&mut self.rng, &self.makelaars);
        let to = match self.rng.usize(..5) {
            0 | 1 => any(&mut self.rng, &self.residents).id,
            2 if !self.volunteers.is_empty() => any(&mut self.rng, &self.volunteers).id,
            3 => any(&mut self.rng, &self.social_workers).id,
            _ => any(&mut self.rng, &self.organisations),
        };
        let mut payload = json!({"from": format!("participant:{}", from.id), "to": format!("participant:{to}")});
        let local: Vec<String> = self
            .initiatives
            .iter()
            .filter(|i| self.wijken[i.wijk].1 == from.district)
            .map(|i| i.stream.clone())
            .collect();
        if !local.is_empty() && self.chance(0.5) {
            payload["initiative"] = json!(self.pick(&local));
        }
        if self.chance(0.5) {
            payload["note"] = json!(self.prose_in(40..140));
        }
        let stream = format!("network:gebied-{}", from.district + 1);
        let id = self.push(&stream, "ConnectionMade", &from.id, payload.clone(), None);
        Self::remember(&mut self.connections, Recent { id, stream, payload, sealed: false }, RECENT_OTHER);
    }

    fn excerpt(&mut self) {
        if self.notes.is_empty() {
            return self.note();
        }
        let sealed: Vec<usize> = (0..self.notes.len()).filter(|i| self.notes[*i].sealed).collect();
        let i = if sealed.is_empty() { self.rng.usize(..self.notes.len()) } else { *self.pick(&sealed) };
        let source = self.notes[i].id.clone();
        let mut codes = vec![any(&mut self.rng, &self.codes)];
        for _ in 0..self.rng.usize(0..3) {
            let c = any(&mut self.rng, &self.codes);
            if !codes.contains(&c) {
                codes.push(c);
            }
        }
        let start = self.rng.u32(0..220);
        let end = start + self.rng.u32(20..80);
        let r = any(&mut self.rng, &self.researchers);
        let stream = format!("coding:ronde-{}", self.today().year());
        self.push(
            &stream,
            "ExcerptCoded",
            &r,
            json!({"source": source, "codes": codes, "start": start, "end": end}),
            None,
        );
    }

    fn memo(&mut self) {
        let code = any(&mut self.rng, &self.codes);
        let mut codes = vec![code.clone()];
        if self.chance(0.5) {
            let c = any(&mut self.rng, &self.codes);
            if c != code {
                codes.push(c);
            }
        }
        let r = any(&mut self.rng, &self.researchers);
        let title = format!("{}?", self.prose_in(20..60));
        let payload = json!({"title": title, "text": self.prose_in(300..700), "codes": codes});
        self.push(&format!("memo:{}", code.trim_start_matches("code:")), "MemoWritten", &r, payload, None);
    }

    /// Starts an initiative, or moves one on: a stage, a broker role, a hand-over or a stop.
    fn initiative(&mut self) {
        let cap = ACTIVE_INITIATIVES_PER_WIJK * self.wijken.len();
        if self.initiatives.is_empty() || self.initiatives.len() < cap && self.chance(0.25) {
            return self.start_initiative();
        }
        let i = self.rng.usize(..self.initiatives.len());
        let (stream, stage, broker) = {
            let x = &self.initiatives[i];
            (x.stream.clone(), x.stage, x.broker.clone())
        };
        if stage == STAGES.len() - 1 && self.chance(0.5) {
            self.push(
                &stream,
                "BrokerRoleSet",
                &broker,
                json!({"broker": format!("participant:{broker}"), "role": "let_go", "broker_leads": false}),
                None,
            );
            let org = any(&mut self.rng, &self.organisations);
            let note = self.prose(120);
            self.push(
                &stream,
                "InitiativeHandedOver",
                &broker,
                json!({"organisation": format!("participant:{org}"), "note": note}),
                None,
            );
            self.initiatives.swap_remove(i);
        } else if stage == 2 && self.chance(0.05) {
            let reason = self.prose(160);
            self.push(&stream, "InitiativeStopped", &broker, json!({"reason": reason}), None);
            self.initiatives.swap_remove(i);
        } else if stage + 1 < STAGES.len() && self.chance(0.6) {
            self.initiatives[i].stage += 1;
            let mut payload = json!({"stage": STAGES[stage + 1]});
            if self.chance(0.7) {
                payload["note"] = json!(self.prose(140));
            }
            self.push(&stream, "InitiativeStageChanged", &broker, payload, None);
        } else {
            let role = BROKER_ROLES[(stage + self.rng.usize(0..3)).min(BROKER_ROLES.len() - 1)];
            let leads = self.chance(if stage < 2 { 0.4 } else { 0.15 });
            let mut payload = json!({"broker": format!("participant:{broker}"), "role": role, "broker_leads": leads});
            if self.chance(0.5) {
                payload["note"] = json!(self.prose(100));
            }
            self.push(&stream, "BrokerRoleSet", &broker, payload, None);
        }
    }

    fn start_initiative(&mut self) {
        self.initiatives_made += 1;
        let n = self.initiatives_made;
        let wijk = self.rng.usize(..self.wijken.len());
        let d = self.wijken[wijk].1;
        let ms: Vec<String> = self.makelaars.iter().filter(|m| m.district == d).map(|m| m.id.clone()).collect();
        let broker = if ms.is_empty() { self.coach.clone() } else { self.pick(&ms).clone() };
        let stream = format!("initiative:i-{n}");
        let signal = !self.signals[wijk].is_empty() && self.chance(0.4);
        let initiator = any(&mut self.rng, &self.residents).id;
        let mut health: Vec<&str> = Vec::new();
        for _ in 0..self.rng.usize(1..4) {
            let h = *self.pick(&HEALTH);
            if !health.contains(&h) {
                health.push(h);
            }
        }
        let payload = json!({
            "name": format!("Initiatief {n}"),
            "route": if signal { "signal" } else { "opportunity" },
            "area": self.wijken[wijk].0,
            "description": self.prose_in(120..320),
            "initiators": [format!("participant:{initiator}")],
            "health": health,
        });
        self.push(&stream, "InitiativeStarted", &broker, payload, None);
        let role = if self.chance(0.5) { "kick_start" } else { "connect" };
        let leads = self.chance(0.4);
        self.push(
            &stream,
            "BrokerRoleSet",
            &broker,
            json!({"broker": format!("participant:{broker}"), "role": role, "broker_leads": leads}),
            None,
        );
        self.initiatives.push(Initiative { stream: stream.clone(), wijk, stage: 0, broker: broker.clone() });
        if signal {
            self.collectivise_into(self.initiatives.len() - 1, wijk);
        }
    }

    fn collectivise(&mut self) {
        if self.initiatives.is_empty() {
            return self.signal();
        }
        let i = self.rng.usize(..self.initiatives.len());
        let wijk = self.initiatives[i].wijk;
        if self.signals[wijk].is_empty() {
            return self.signal();
        }
        self.collectivise_into(i, wijk);
    }

    fn collectivise_into(&mut self, i: usize, wijk: usize) {
        let n = self.rng.usize(1..4).min(self.signals[wijk].len());
        let ids: Vec<String> = self.signals[wijk].drain(..n).collect();
        let (stream, broker) = (self.initiatives[i].stream.clone(), self.initiatives[i].broker.clone());
        let payload = json!({"signals": ids, "rationale": self.prose_in(100..240)});
        self.push_caused(&stream, "SignalsCollectivised", &broker, payload, None, &ids);
    }

    fn register_someone(&mut self) {
        match self.rng.usize(..20) {
            0..=13 => self.new_resident("resident"),
            14..=16 => self.new_resident("volunteer"),
            17 | 18 => self.new_organisation(),
            _ => {
                let d = self.rng.usize(..DISTRICTS);
                let p = self.new_person("sociaalwerker", d);
                let area = self.districts[d].clone();
                self.register(
                    &p.id,
                    &format!("sociaal werker {}", self.participants_made + 1),
                    "social_worker",
                    Some("Welzijn Samen"),
                    Some(&area),
                );
                self.social_workers.push(p);
            }
        }
    }

    /// A resident becomes a volunteer (mostly), or a social worker a makelaar.
    fn participant_role_change(&mut self) {
        if self.chance(0.9) && self.residents.len() > 1 {
            let i = self.rng.usize(..self.residents.len());
            let p = self.residents.swap_remove(i);
            let payload = json!({"role": "volunteer", "area": self.wijken[p.wijk].0, "reason": self.prose(100)});
            let m = any(&mut self.rng, &self.makelaars).id;
            self.push(&format!("participant:{}", p.id), "ParticipantRoleChanged", &m, payload, None);
            self.volunteers.push(p);
        } else if self.social_workers.len() > DISTRICTS {
            let i = self.rng.usize(..self.social_workers.len());
            let p = self.social_workers.swap_remove(i);
            let payload = json!({"role": "makelaar", "area": self.districts[p.district], "reason": self.prose(100)});
            let officer = self.officer.clone();
            self.push(&format!("participant:{}", p.id), "ParticipantRoleChanged", &officer, payload, None);
            self.makelaars.push(p);
        }
    }

    /// Someone leaves; a makelaar who leaves is replaced.
    fn leave(&mut self) {
        let officer = self.officer.clone();
        let reason = self.prose(80);
        if self.chance(0.3) && self.makelaars.len() > DISTRICTS {
            let i = self.rng.usize(..self.makelaars.len());
            let p = self.makelaars.swap_remove(i);
            self.push(&format!("participant:{}", p.id), "ParticipantLeft", &officer, json!({"reason": reason}), None);
            for x in self.initiatives.iter_mut().filter(|x| x.broker == p.id) {
                x.broker = self.coach.clone();
            }
            let q = self.new_person("makelaar", p.district);
            let area = self.districts[p.district].clone();
            self.register(
                &q.id,
                &format!("makelaar Gebied {} ({})", p.district + 1, self.participants_made + 1),
                "makelaar",
                Some("Welzijn Samen"),
                Some(&area),
            );
            self.makelaars.push(q);
        } else if self.volunteers.len() > 1 {
            let i = self.rng.usize(..self.volunteers.len());
            let p = self.volunteers.swap_remove(i);
            self.push(&format!("participant:{}", p.id), "ParticipantLeft", &officer, json!({"reason": reason}), None);
        }
    }

    fn method_change(&mut self) {
        if self.reflections.is_empty() {
            return self.reflection();
        }
        let n = self.rng.usize(1..4).min(self.reflections.len());
        let start = self.reflections.len() - n;
        let cited: Vec<String> = self.reflections.iter().skip(start).cloned().collect();
        let payload = json!({
            "aspect": self.pick(&ASPECTS),
            "before": self.prose_in(100..250),
            "after": self.prose_in(100..250),
            "rationale": self.prose_in(120..300),
            "reflections": cited,
            "effective": self.today().to_string(),
        });
        let (role, coach) = (self.role.clone(), self.coach.clone());
        self.push_caused(&role, "MethodChanged", &coach, payload, None, &cited);
    }

    fn role_changed(&mut self) {
        let mut payload = json!({"rationale": self.prose(200), "effective": self.today().to_string()});
        match self.rng.usize(..3) {
            0 => payload["capacity_fte"] = json!(self.makelaars.len() as f64 * 0.8),
            1 => payload["position"] = json!(self.prose(200)),
            _ => {
                payload["tasks"] = json!([
                    "vragen bundelen",
                    "initiatieven aanjagen",
                    "loslaten en overdragen",
                    "het team wegwijs maken"
                ])
            }
        }
        let (role, officer) = (self.role.clone(), self.officer.clone());
        self.push(&role, "RoleChanged", &officer, payload, None);
    }

    fn code_rename(&mut self) {
        let code = any(&mut self.rng, &self.codes);
        let name = format!("{} (herzien)", code.trim_start_matches("code:"));
        let r = any(&mut self.rng, &self.researchers);
        self.push(&code, "CodeRenamed", &r, json!({"name": name}), None);
    }

    fn code_merge(&mut self) {
        if self.codes.len() < 10 {
            return self.code_rename();
        }
        let a = self.rng.usize(..self.codes.len());
        let merged = self.codes.swap_remove(a);
        let into = any(&mut self.rng, &self.codes);
        let r = any(&mut self.rng, &self.researchers);
        self.push(&into, "CodesMerged", &r, json!({"merged": merged}), None);
    }

    /// Amends a recent field note (another topic) or action (another description).
    fn amend(&mut self) {
        let note = self.chance(0.6) || self.actions.is_empty();
        let list = if note { &self.notes } else { &self.actions };
        if list.is_empty() {
            return;
        }
        let i = self.rng.usize(..list.len());
        let mut target = list[i].clone();
        if note {
            target.payload["topic"] = json!(self.pick(&TOPICS));
        } else {
            target.payload["description"] = json!(self.prose_in(60..200));
        }
        let author = any(&mut self.rng, &self.researchers);
        let reason = self.prose_in(40..120);
        let payload = json!({"target": target.id, "payload": target.payload, "reason": reason});
        self.push(&target.stream, "EventAmended", &author, payload, None);
        let list = if note { &mut self.notes } else { &mut self.actions };
        list[i] = target;
    }

    /// Retracts a recent connection (entered twice) or field note (about the wrong person).
    fn retract(&mut self) {
        let note = self.chance(0.5) || self.connections.is_empty();
        let list = if note { &mut self.notes } else { &mut self.connections };
        if list.is_empty() {
            return;
        }
        let i = self.rng.usize(..list.len());
        let target = list.remove(i).expect("index in range");
        for lane in &mut self.lanes {
            if let Some(open) = &mut lane.open {
                open.notes.retain(|n| n != &target.id);
            }
        }
        let author = any(&mut self.rng, &self.researchers);
        let reason = if note { "Notitie ging over de verkeerde bewoner." } else { "Dubbel ingevoerd." };
        self.push(&target.stream, "EventRetracted", &author, json!({"target": target.id, "reason": reason}), None);
    }
}

/// Appends `events` generated events to a store in batches of `BATCH_EVENTS_MAX`. Events are
/// generated on a second thread while the store commits the batch before, so the two overlap.
/// `progress` is told how many were appended after each batch.
pub fn append(
    store: &SledStore,
    gen: &mut Generator,
    events: u64,
    mut progress: impl FnMut(u64),
) -> Result<(), String> {
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<NewEvent>>(2);
        s.spawn(move || {
            let mut left = events;
            while left > 0 {
                let n = left.min(BATCH_EVENTS_MAX as u64);
                let batch: Vec<NewEvent> = (0..n).map(|_| gen.next_event()).collect();
                if tx.send(batch).is_err() {
                    return;
                }
                left -= n;
            }
        });
        let mut done = 0u64;
        for batch in rx {
            let n = batch.len() as u64;
            // What each event is, to say which one a refused batch stumbled on.
            let what: Vec<String> =
                batch.iter().map(|e| format!("{} on {}", e.event.kind().name(), e.stream)).collect();
            match store.append(batch) {
                Ok(_) => {}
                Err(parlog_core::AppendError::Invalid { index, error }) => {
                    let about = what.get(index - 1).cloned().unwrap_or_default();
                    return Err(format!("generated event {} ({about}) was refused: {error}", done + index as u64));
                }
                Err(e) => return Err(format!("appending generated events: {e}")),
            }
            done += n;
            progress(done);
        }
        Ok(())
    })
}

/// A random element, cloned.
fn any<T: Clone>(rng: &mut fastrand::Rng, items: &[T]) -> T {
    items[rng.usize(..items.len())].clone()
}

/// A made-up Dutch municipality name, such as "Westerbroek".
fn municipality_name(rng: &mut fastrand::Rng) -> String {
    const A: [&str; 8] = ["Wester", "Ooster", "Noorder", "Zuider", "Hoog", "Laag", "Nieuw", "Oud"];
    const B: [&str; 8] = ["veen", "dijk", "wold", "hoven", "broek", "meer", "horst", "dam"];
    format!("{}{}", A[rng.usize(..A.len())], B[rng.usize(..B.len())])
}

/// A stream-name form of a name: lower case, spaces to dashes.
fn slug(s: &str) -> String {
    s.to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Whether a day falls in Central European Summer Time (last Sunday of March to the last Sunday
/// of October; the switch happens at night, outside the hours events are placed in).
fn summer_time(d: NaiveDate) -> bool {
    let last_sunday = |month: u32| {
        let last = NaiveDate::from_ymd_opt(d.year(), month, 31).expect("March and October have 31 days");
        last - Duration::days(last.weekday().num_days_from_sunday() as i64)
    };
    debug_assert_eq!(last_sunday(3).weekday(), Weekday::Sun);
    d >= last_sunday(3) && d < last_sunday(10)
}
