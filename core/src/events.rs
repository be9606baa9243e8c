//! The domain vocabulary as typed, versioned, past-tense event kinds.
//!
//! Each kind has a payload struct (the open part of the event), a schema version, and a rule for
//! the streams it may be written to. Payloads are parsed strictly: unknown fields, missing fields
//! and unknown enum values are errors that name the field.

use std::fmt;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::{Category, EventId, ParticipantId, StreamId, SubjectId};
use crate::values::{Date, List, LongText, ShortText};
use crate::vocab::{
    AreaKind, BrokerRole, HealthDimension, InitiativeStage, InsightKind, Lang, Level, ParticipantRole, Recruitment,
    Route, StakeholderGroup,
};

/// Which streams a kind may be written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamRule {
    /// The event starts the stream: the stream must be of this category and must not exist yet.
    Creates(Category),
    /// The event is about an existing thing: the stream must be of this category and exist.
    Existing(Category),
    /// The stream must be of this category; it is created by its first event.
    Open(Category),
    /// A correction: written to the stream of the event it corrects.
    TargetStream,
    /// Written only by the store itself (e.g. when a data subject is forgotten).
    System(Category),
}

impl StreamRule {
    /// The category the stream must have, where the rule fixes one.
    pub fn category(self) -> Option<Category> {
        match self {
            StreamRule::Creates(c) | StreamRule::Existing(c) | StreamRule::Open(c) | StreamRule::System(c) => Some(c),
            StreamRule::TargetStream => None,
        }
    }
}

/// A payload that does not fit its kind: the field (a JSON path) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field `{}`: {}", self.field, self.message)
    }
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), message: message.into() }
    }
}

/// The references a payload makes to streams and to earlier events; the store checks that each
/// exists (and has the right category or kind) before it accepts the event.
#[derive(Debug, Default)]
pub struct Refs {
    pub streams: Vec<(String, StreamId, Category)>,
    pub events: Vec<(String, EventId, &'static [EventKind])>,
}

impl Refs {
    fn stream(&mut self, field: &str, id: &StreamId, cat: Category) {
        self.streams.push((format!("payload.{field}"), id.clone(), cat));
    }
    fn opt_stream(&mut self, field: &str, id: &Option<StreamId>, cat: Category) {
        if let Some(id) = id {
            self.stream(field, id, cat);
        }
    }
    fn streams(&mut self, field: &str, ids: &List<StreamId>, cat: Category) {
        for (i, id) in ids.iter().enumerate() {
            self.stream(&format!("{field}[{i}]"), id, cat);
        }
    }
    fn events(&mut self, field: &str, ids: &List<EventId>, kinds: &'static [EventKind]) {
        for (i, id) in ids.iter().enumerate() {
            self.events.push((format!("payload.{field}[{i}]"), *id, kinds));
        }
    }
    fn event(&mut self, field: &str, id: EventId, kinds: &'static [EventKind]) {
        self.events.push((format!("payload.{field}"), id, kinds));
    }
}

/// Checks beyond the shape of a payload, and the references it makes.
pub trait Payload: Serialize + DeserializeOwned {
    fn check(&self) -> Result<(), FieldError> {
        Ok(())
    }
    fn refs(&self, _refs: &mut Refs) {}
}

macro_rules! kinds {
    ($($variant:ident($ty:ident) $ver:literal, $rule:expr, $nl:literal, $en:literal;)+) => {
        /// The kind of an event: its stable type name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventKind { $($variant,)+ }

        /// A parsed, checked payload of a known kind.
        #[derive(Debug, Clone, PartialEq)]
        pub enum DomainEvent { $($variant($ty),)+ }

        impl EventKind {
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant),+];
            /// The stable type name, stored with every event.
            pub fn name(self) -> &'static str {
                match self { $(EventKind::$variant => stringify!($variant),)+ }
            }
            /// The schema version new events of this kind are written with.
            pub fn schema_version(self) -> u16 {
                match self { $(EventKind::$variant => $ver,)+ }
            }
            pub fn stream_rule(self) -> StreamRule {
                match self { $(EventKind::$variant => $rule,)+ }
            }
            pub fn label(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((EventKind::$variant, Lang::Nl) => $nl, (EventKind::$variant, Lang::En) => $en,)+
                }
            }
            /// The JSON Schema of this kind's payload, everything inline, for the API's OpenAPI
            /// document. Rules across fields (checked by `Payload::check`) and against the log
            /// (`refs`) are not in it.
            pub fn payload_schema(self) -> Value {
                let settings = schemars::generate::SchemaSettings::draft2020_12().with(|s| {
                    s.inline_subschemas = true;
                    s.meta_schema = None;
                });
                let schema = match self {
                    $(EventKind::$variant => settings.into_generator().into_root_schema_for::<$ty>(),)+
                };
                schema.into()
            }
            pub fn parse(s: &str) -> Result<Self, String> {
                EventKind::ALL.iter().copied().find(|k| k.name() == s).ok_or_else(|| {
                    format!(
                        "unknown event kind {s:?}; expected one of: {}",
                        EventKind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
                    )
                })
            }
        }

        impl DomainEvent {
            pub fn kind(&self) -> EventKind {
                match self { $(DomainEvent::$variant(_) => EventKind::$variant,)+ }
            }
            /// Parses a payload of the current schema version of `kind`.
            pub fn parse(kind: EventKind, json: &str) -> Result<Self, FieldError> {
                match kind { $(EventKind::$variant => parse_payload::<$ty>(json).map(DomainEvent::$variant),)+ }
            }
            /// Parses a payload given as a JSON value (as part of a larger document).
            pub fn parse_value(kind: EventKind, v: &Value) -> Result<Self, FieldError> {
                match kind { $(EventKind::$variant => parse_payload_value::<$ty>(v).map(DomainEvent::$variant),)+ }
            }
            /// The normalised JSON form of the payload (sorted keys, no absent fields).
            pub fn to_json(&self) -> String {
                let v = match self { $(DomainEvent::$variant(p) => serde_json::to_value(p),)+ }
                    .expect("payloads serialise to JSON");
                canonical_json(&v)
            }
            pub fn refs(&self) -> Refs {
                let mut r = Refs::default();
                match self { $(DomainEvent::$variant(p) => p.refs(&mut r),)+ }
                r
            }
        }
    };
}

/// JSON with object keys sorted at every level and no insignificant white space: the form in
/// which payloads are stored and hashed, so that the same content always gives the same bytes
/// whatever order a client or a JSON library used.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).expect("strings serialise"));
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&serde_json::to_string(other).expect("scalars serialise")),
    }
}

fn parse_payload<T: Payload>(json: &str) -> Result<T, FieldError> {
    // Stored payloads nearly always parse, and tracking the path costs about a third of the
    // parse: parse plainly first and only on failure again with the path, for the message. Both
    // accept exactly the same input.
    match serde_json::from_str::<T>(json) {
        Ok(value) => {
            value.check()?;
            Ok(value)
        }
        Err(_) => parse_payload_traced(json),
    }
}

fn parse_payload_traced<T: Payload>(json: &str) -> Result<T, FieldError> {
    let mut de = serde_json::Deserializer::from_str(json);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "payload".to_string() } else { format!("payload.{path}") };
        FieldError::new(field, strip_position(&e.into_inner().to_string()))
    })?;
    de.end().map_err(|e| FieldError::new("payload", strip_position(&e.to_string())))?;
    value.check()?;
    Ok(value)
}

fn parse_payload_value<T: Payload>(v: &Value) -> Result<T, FieldError> {
    if !v.is_object() {
        return Err(FieldError::new("payload", "expected the payload as a JSON object, such as {}"));
    }
    let value: T = serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "payload".to_string() } else { format!("payload.{path}") };
        FieldError::new(field, e.into_inner().to_string())
    })?;
    value.check()?;
    Ok(value)
}

/// serde_json appends " at line 1 column 57"; the field path already says where.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

use StreamRule::{Creates, Existing, Open, System, TargetStream};

kinds! {
    StudyStarted(StudyStarted) 1, Creates(Category::Study), "onderzoek gestart", "study started";
    ParticipantRegistered(ParticipantRegistered) 1, Creates(Category::Participant), "deelnemer geregistreerd", "participant registered";
    ParticipantRoleChanged(ParticipantRoleChanged) 1, Existing(Category::Participant), "rol van deelnemer gewijzigd", "participant's role changed";
    ParticipantLeft(ParticipantLeft) 1, Existing(Category::Participant), "deelnemer vertrokken", "participant left";
    AreaDefined(AreaDefined) 1, Creates(Category::Area), "gebied vastgelegd", "area defined";
    CycleOpened(CycleOpened) 1, Creates(Category::Cycle), "cyclus geopend", "cycle opened";
    ActionTaken(ActionTaken) 1, Existing(Category::Cycle), "actie ondernomen", "action taken";
    ObservationRecorded(ObservationRecorded) 1, Open(Category::Notes), "veldnotitie vastgelegd", "observation recorded";
    ReflectionRecorded(ReflectionRecorded) 1, Existing(Category::Cycle), "reflectie vastgelegd", "reflection recorded";
    CycleClosed(CycleClosed) 1, Existing(Category::Cycle), "cyclus afgesloten", "cycle closed";
    RoleDescribed(RoleDescribed) 1, Creates(Category::Role), "functie beschreven", "role described";
    RoleChanged(RoleChanged) 1, Existing(Category::Role), "functie gewijzigd", "role changed";
    MethodChanged(MethodChanged) 1, Existing(Category::Role), "werkwijze gewijzigd", "method changed";
    SignalRaised(SignalRaised) 1, Open(Category::Signals), "signaal gemeld", "signal raised";
    SignalsCollectivised(SignalsCollectivised) 1, Existing(Category::Initiative), "signalen gecollectiviseerd", "signals collectivised";
    InitiativeStarted(InitiativeStarted) 1, Creates(Category::Initiative), "initiatief gestart", "initiative started";
    InitiativeStageChanged(InitiativeStageChanged) 1, Existing(Category::Initiative), "fase van initiatief gewijzigd", "initiative stage changed";
    BrokerRoleSet(BrokerRoleSet) 1, Existing(Category::Initiative), "rol van makelaar vastgesteld", "broker's role set";
    InitiativeHandedOver(InitiativeHandedOver) 1, Existing(Category::Initiative), "initiatief overgedragen", "initiative handed over";
    InitiativeStopped(InitiativeStopped) 1, Existing(Category::Initiative), "initiatief gestopt", "initiative stopped";
    ConnectionMade(ConnectionMade) 1, Open(Category::Network), "verbinding gelegd", "connection made";
    CodeDefined(CodeDefined) 1, Creates(Category::Code), "code gedefinieerd", "code defined";
    CodeRenamed(CodeRenamed) 1, Existing(Category::Code), "code hernoemd", "code renamed";
    CodesMerged(CodesMerged) 1, Existing(Category::Code), "codes samengevoegd", "codes merged";
    ExcerptCoded(ExcerptCoded) 1, Open(Category::Coding), "fragment gecodeerd", "excerpt coded";
    MemoWritten(MemoWritten) 1, Open(Category::Memo), "memo geschreven", "memo written";
    EventAmended(EventAmended) 1, TargetStream, "gebeurtenis aangevuld", "event amended";
    EventRetracted(EventRetracted) 1, TargetStream, "gebeurtenis ingetrokken", "event retracted";
    SubjectForgotten(SubjectForgotten) 1, System(Category::Privacy), "gegevens van betrokkene vergeten", "data subject forgotten";
}

// ---- payloads -------------------------------------------------------------------------------

fn none<T>(v: &Option<T>) -> bool {
    v.is_none()
}
fn empty<T>(v: &List<T>) -> bool {
    v.is_empty()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StudyStarted {
    pub title: ShortText,
    pub question: LongText,
    pub municipality: ShortText,
    #[serde(default, skip_serializing_if = "empty")]
    pub partners: List<ShortText>,
    #[schemars(extend("minItems" = 1))]
    pub levels: List<Level>,
    #[serde(default, skip_serializing_if = "none")]
    pub method: Option<LongText>,
}
impl Payload for StudyStarted {
    fn check(&self) -> Result<(), FieldError> {
        if self.levels.is_empty() {
            return Err(FieldError::new("payload.levels", "expected at least one level: gemeente, functie or wijk"));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantRegistered {
    /// A pseudonymous label ("makelaar Noord A"); real names belong in the sealed part.
    pub label: ShortText,
    pub role: ParticipantRole,
    #[serde(default, skip_serializing_if = "none")]
    pub organisation: Option<ShortText>,
    #[serde(default, skip_serializing_if = "none")]
    pub area: Option<StreamId>,
    #[serde(default, skip_serializing_if = "none")]
    pub recruitment: Option<Recruitment>,
}
impl Payload for ParticipantRegistered {
    fn refs(&self, r: &mut Refs) {
        r.opt_stream("area", &self.area, Category::Area);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantRoleChanged {
    pub role: ParticipantRole,
    #[serde(default, skip_serializing_if = "none")]
    pub area: Option<StreamId>,
    #[serde(default, skip_serializing_if = "none")]
    pub reason: Option<LongText>,
}
impl Payload for ParticipantRoleChanged {
    fn refs(&self, r: &mut Refs) {
        r.opt_stream("area", &self.area, Category::Area);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantLeft {
    #[serde(default, skip_serializing_if = "none")]
    pub reason: Option<LongText>,
}
impl Payload for ParticipantLeft {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AreaDefined {
    pub name: ShortText,
    pub kind: AreaKind,
    #[serde(default, skip_serializing_if = "none")]
    pub parent: Option<StreamId>,
}
impl Payload for AreaDefined {
    fn refs(&self, r: &mut Refs) {
        r.opt_stream("parent", &self.parent, Category::Area);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CycleOpened {
    pub study: StreamId,
    pub level: Level,
    #[serde(default, skip_serializing_if = "none")]
    pub area: Option<StreamId>,
    pub question: LongText,
    pub plan: LongText,
    /// The cycle this one follows in the spiral.
    #[serde(default, skip_serializing_if = "none")]
    pub previous: Option<StreamId>,
}
impl Payload for CycleOpened {
    fn refs(&self, r: &mut Refs) {
        r.stream("study", &self.study, Category::Study);
        r.opt_stream("area", &self.area, Category::Area);
        r.opt_stream("previous", &self.previous, Category::Cycle);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionTaken {
    pub description: LongText,
    #[serde(default, skip_serializing_if = "none")]
    pub initiative: Option<StreamId>,
}
impl Payload for ActionTaken {
    fn refs(&self, r: &mut Refs) {
        r.opt_stream("initiative", &self.initiative, Category::Initiative);
    }
}

/// A field note. Its free text lives in the sealed part; the open part says where it belongs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObservationRecorded {
    #[serde(default, skip_serializing_if = "none")]
    pub cycle: Option<StreamId>,
    #[serde(default, skip_serializing_if = "none")]
    pub area: Option<StreamId>,
    #[serde(default, skip_serializing_if = "none")]
    pub initiative: Option<StreamId>,
    #[serde(default, skip_serializing_if = "none")]
    pub topic: Option<ShortText>,
    #[serde(default, skip_serializing_if = "empty")]
    pub health: List<HealthDimension>,
    #[serde(default, skip_serializing_if = "empty")]
    pub codes: List<StreamId>,
}
impl Payload for ObservationRecorded {
    fn refs(&self, r: &mut Refs) {
        r.opt_stream("cycle", &self.cycle, Category::Cycle);
        r.opt_stream("area", &self.area, Category::Area);
        r.opt_stream("initiative", &self.initiative, Category::Initiative);
        r.streams("codes", &self.codes, Category::Code);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Insight {
    pub kind: InsightKind,
    pub text: LongText,
    #[serde(default, skip_serializing_if = "none")]
    pub theme: Option<ShortText>,
    /// Required for added value: for whom.
    #[serde(default, skip_serializing_if = "none")]
    pub stakeholder: Option<StakeholderGroup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReflectionRecorded {
    #[serde(default, skip_serializing_if = "none")]
    pub summary: Option<LongText>,
    #[serde(default, skip_serializing_if = "empty")]
    pub participants: List<StreamId>,
    pub insights: List<Insight>,
    /// Observations this reflection rests on.
    #[serde(default, skip_serializing_if = "empty")]
    pub observations: List<EventId>,
}
impl Payload for ReflectionRecorded {
    fn check(&self) -> Result<(), FieldError> {
        for (i, insight) in self.insights.iter().enumerate() {
            let added = insight.kind == InsightKind::AddedValue;
            if added && insight.stakeholder.is_none() {
                return Err(FieldError::new(
                    format!("payload.insights[{i}].stakeholder"),
                    "an added_value insight needs a stakeholder: one of residents, neighbourhood, social_team, organisations, municipality",
                ));
            }
            if !added && insight.stakeholder.is_some() {
                return Err(FieldError::new(
                    format!("payload.insights[{i}].stakeholder"),
                    "only an added_value insight has a stakeholder; remove it or change the kind",
                ));
            }
        }
        Ok(())
    }
    fn refs(&self, r: &mut Refs) {
        r.streams("participants", &self.participants, Category::Participant);
        r.events("observations", &self.observations, &[EventKind::ObservationRecorded]);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CycleClosed {
    pub outcome: LongText,
}
impl Payload for CycleClosed {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleDescribed {
    pub title: ShortText,
    pub mandate: LongText,
    pub tasks: List<ShortText>,
    #[schemars(range(min = 0, max = 1000))]
    pub capacity_fte: f64,
    pub position: LongText,
    pub effective: Date,
}
impl Payload for RoleDescribed {
    fn check(&self) -> Result<(), FieldError> {
        check_fte("payload.capacity_fte", self.capacity_fte)
    }
}

fn check_fte(field: &str, fte: f64) -> Result<(), FieldError> {
    if !(0.0..=1000.0).contains(&fte) {
        return Err(FieldError::new(
            field,
            format!("expected a capacity in FTE between 0 and 1000, such as 4.0, got {fte}"),
        ));
    }
    Ok(())
}

/// A change of the role: only the aspects that changed are given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChanged {
    #[serde(default, skip_serializing_if = "none")]
    pub mandate: Option<LongText>,
    #[serde(default, skip_serializing_if = "none")]
    pub tasks: Option<List<ShortText>>,
    #[serde(default, skip_serializing_if = "none")]
    #[schemars(range(min = 0, max = 1000))]
    pub capacity_fte: Option<f64>,
    #[serde(default, skip_serializing_if = "none")]
    pub position: Option<LongText>,
    pub rationale: LongText,
    pub effective: Date,
}
impl Payload for RoleChanged {
    fn check(&self) -> Result<(), FieldError> {
        if self.mandate.is_none() && self.tasks.is_none() && self.capacity_fte.is_none() && self.position.is_none() {
            return Err(FieldError::new(
                "payload",
                "a role change needs at least one of mandate, tasks, capacity_fte, position",
            ));
        }
        match self.capacity_fte {
            Some(fte) => check_fte("payload.capacity_fte", fte),
            None => Ok(()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MethodChanged {
    pub aspect: ShortText,
    pub before: LongText,
    pub after: LongText,
    pub rationale: LongText,
    /// The reflections that led to the change.
    #[serde(default, skip_serializing_if = "empty")]
    pub reflections: List<EventId>,
    pub effective: Date,
}
impl Payload for MethodChanged {
    fn refs(&self, r: &mut Refs) {
        r.events("reflections", &self.reflections, &[EventKind::ReflectionRecorded]);
    }
}

/// Questions in the social team on one theme; counts only, never names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalRaised {
    pub theme: ShortText,
    pub area: StreamId,
    #[schemars(range(min = 1, max = 100_000))]
    pub count: u32,
}
impl Payload for SignalRaised {
    fn check(&self) -> Result<(), FieldError> {
        if !(1..=100_000).contains(&self.count) {
            return Err(FieldError::new(
                "payload.count",
                format!("expected a count between 1 and 100000, got {}", self.count),
            ));
        }
        Ok(())
    }
    fn refs(&self, r: &mut Refs) {
        r.stream("area", &self.area, Category::Area);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalsCollectivised {
    #[schemars(extend("minItems" = 1))]
    pub signals: List<EventId>,
    pub rationale: LongText,
}
impl Payload for SignalsCollectivised {
    fn check(&self) -> Result<(), FieldError> {
        if self.signals.is_empty() {
            return Err(FieldError::new("payload.signals", "expected at least one signal event id"));
        }
        Ok(())
    }
    fn refs(&self, r: &mut Refs) {
        r.events("signals", &self.signals, &[EventKind::SignalRaised]);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InitiativeStarted {
    pub name: ShortText,
    pub route: Route,
    pub area: StreamId,
    pub description: LongText,
    #[serde(default, skip_serializing_if = "empty")]
    pub initiators: List<StreamId>,
    #[serde(default, skip_serializing_if = "empty")]
    pub health: List<HealthDimension>,
}
impl Payload for InitiativeStarted {
    fn refs(&self, r: &mut Refs) {
        r.stream("area", &self.area, Category::Area);
        r.streams("initiators", &self.initiators, Category::Participant);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InitiativeStageChanged {
    pub stage: InitiativeStage,
    #[serde(default, skip_serializing_if = "none")]
    pub note: Option<LongText>,
}
impl Payload for InitiativeStageChanged {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BrokerRoleSet {
    pub broker: StreamId,
    pub role: BrokerRole,
    /// Whether the broker is (still) the one leading the initiative, which the practice warns
    /// against.
    #[serde(default)]
    pub broker_leads: bool,
    #[serde(default, skip_serializing_if = "none")]
    pub note: Option<LongText>,
}
impl Payload for BrokerRoleSet {
    fn refs(&self, r: &mut Refs) {
        r.stream("broker", &self.broker, Category::Participant);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InitiativeHandedOver {
    /// The organisation (a participant with role organisation) that takes it on.
    pub organisation: StreamId,
    #[serde(default, skip_serializing_if = "none")]
    pub note: Option<LongText>,
}
impl Payload for InitiativeHandedOver {
    fn refs(&self, r: &mut Refs) {
        r.stream("organisation", &self.organisation, Category::Participant);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InitiativeStopped {
    pub reason: LongText,
}
impl Payload for InitiativeStopped {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionMade {
    pub from: StreamId,
    pub to: StreamId,
    #[serde(default, skip_serializing_if = "none")]
    pub initiative: Option<StreamId>,
    #[serde(default, skip_serializing_if = "none")]
    pub note: Option<LongText>,
}
impl Payload for ConnectionMade {
    fn check(&self) -> Result<(), FieldError> {
        if self.from == self.to {
            return Err(FieldError::new("payload.to", "a connection needs two different participants"));
        }
        Ok(())
    }
    fn refs(&self, r: &mut Refs) {
        r.stream("from", &self.from, Category::Participant);
        r.stream("to", &self.to, Category::Participant);
        r.opt_stream("initiative", &self.initiative, Category::Initiative);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeDefined {
    pub name: ShortText,
    #[serde(default, skip_serializing_if = "none")]
    pub description: Option<LongText>,
}
impl Payload for CodeDefined {}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRenamed {
    pub name: ShortText,
}
impl Payload for CodeRenamed {}

/// Written to the code that remains; `merged` is the code folded into it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CodesMerged {
    pub merged: StreamId,
}
impl Payload for CodesMerged {
    fn refs(&self, r: &mut Refs) {
        r.stream("merged", &self.merged, Category::Code);
    }
}

/// A stretch of an event's text coded with one or more codes. Offsets count characters of the
/// source's text; the excerpt's own words, if kept, live in the sealed part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExcerptCoded {
    pub source: EventId,
    #[schemars(extend("minItems" = 1))]
    pub codes: List<StreamId>,
    pub start: u32,
    pub end: u32,
}
impl Payload for ExcerptCoded {
    fn check(&self) -> Result<(), FieldError> {
        if self.codes.is_empty() {
            return Err(FieldError::new(
                "payload.codes",
                "expected at least one code stream such as \"code:eigenaarschap\"",
            ));
        }
        if self.start >= self.end {
            return Err(FieldError::new(
                "payload.end",
                format!("expected end > start (character offsets), got start {} and end {}", self.start, self.end),
            ));
        }
        Ok(())
    }
    fn refs(&self, r: &mut Refs) {
        r.event("source", self.source, &[]);
        r.streams("codes", &self.codes, Category::Code);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemoWritten {
    pub title: ShortText,
    pub text: LongText,
    /// The codes the memo is about.
    #[serde(default, skip_serializing_if = "empty")]
    pub codes: List<StreamId>,
    /// The notes (field notes, reflections, other memos) the memo is about. Added after the
    /// first release; optional, so events stored before it still read as they were.
    #[serde(default, skip_serializing_if = "empty")]
    pub notes: List<EventId>,
    /// The research cycle the memo is about.
    #[serde(default, skip_serializing_if = "none")]
    pub cycle: Option<StreamId>,
}
impl Payload for MemoWritten {
    fn refs(&self, r: &mut Refs) {
        r.streams("codes", &self.codes, Category::Code);
        r.events(
            "notes",
            &self.notes,
            &[EventKind::ObservationRecorded, EventKind::ReflectionRecorded, EventKind::MemoWritten],
        );
        r.opt_stream("cycle", &self.cycle, Category::Cycle);
    }
}

/// A correction: `payload` replaces the target's open payload and is checked against the
/// target's kind. The target stays in the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventAmended {
    pub target: EventId,
    pub payload: Value,
    pub reason: LongText,
}
impl Payload for EventAmended {
    fn refs(&self, r: &mut Refs) {
        r.event("target", self.target, &[]);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EventRetracted {
    pub target: EventId,
    pub reason: LongText,
}
impl Payload for EventRetracted {
    fn refs(&self, r: &mut Refs) {
        r.event("target", self.target, &[]);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectForgotten {
    pub subject: SubjectId,
    pub requested_by: ParticipantId,
    #[serde(default, skip_serializing_if = "none")]
    pub reason: Option<LongText>,
}
impl Payload for SubjectForgotten {}
