//! What a study holds for a QDA tool, read from its log in one pass: participants, codes as of
//! the head (renamed, merges folded into their survivor), areas and initiatives, every note and
//! memo at its latest version with its text, and the coded passages on them.
//!
//! **Personal data:** a note's sealed text is read through the store's `unseal`, so a forgotten
//! subject's text is simply not there (and neither are the codings on it, below); the caller
//! decides beforehand whether the reader may see sealed text at all (`Access`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use parlog_core::{
    DomainEvent, EventId, EventKind, EventStore, ParticipantId, ParticipantRole, Position, RecordedEvent, SealedView,
    StoreError, Timestamp, Vocabulary,
};
use uuid::Uuid;

/// Namespace of the GUIDs parlog derives (users, variables, whole-note selections, codings): a
/// fixed random UUID, so that the same study gives the same GUIDs in every export.
const GUID_NAMESPACE: Uuid = Uuid::from_u128(0x7d3c_91e4_2b6a_4f58_9c0d_e1a2_53b7_f846);

/// A GUID derived from what it stands for (uuid v5 in parlog's namespace).
pub fn derived_guid(what: &str) -> Uuid {
    Uuid::new_v5(&GUID_NAMESPACE, what.as_bytes())
}

/// The GUID of a participant as a REFI-QDA user.
pub fn user_guid(p: &str) -> Uuid {
    derived_guid(&format!("participant:{p}"))
}

/// Whether the reader may see sealed text (the command line's operator and researchers may).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    SealedText,
    OpenOnly,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub label: String,
    pub role: ParticipantRole,
}

#[derive(Debug, Clone)]
pub struct Code {
    /// Its `CodeDefined` event id: the code's GUID.
    pub guid: Uuid,
    pub stream: String,
    pub name: String,
    pub description: Option<String>,
    /// The `CodeDefined` ids of the codes merged into this one (they are no codes of their own
    /// any more; an import that names them means this one).
    pub absorbed: Vec<Uuid>,
}

/// A text that can be coded: a field note, a reflection or a memo.
#[derive(Debug, Clone)]
pub struct Text {
    pub id: EventId,
    pub position: u64,
    pub kind: EventKind,
    pub author: String,
    pub occurred: Timestamp,
    pub stream: String,
    pub title: Option<String>,
    pub area: Option<String>,
    pub initiative: Option<String>,
    /// The current text; `None` when it cannot be shown in full (its subject was forgotten, the
    /// reader may not see sealed text, or this data folder has no key: `withheld`), or when it
    /// has none (a field note without sealed text).
    pub text: Option<String>,
    /// Its text exists but cannot be shown to this reader: nothing is coded on it.
    pub withheld: bool,
    /// Codes applied to the note as a whole (streams, merges resolved).
    pub whole: Vec<String>,
    /// For a memo: the codes and notes it is about.
    pub about_codes: Vec<String>,
    pub about_notes: Vec<EventId>,
}

impl Text {
    pub fn is_memo(&self) -> bool {
        self.kind == EventKind::MemoWritten
    }
    /// The length of the text in Unicode code points (0 when it cannot be shown).
    pub fn chars(&self) -> usize {
        self.text.as_ref().map(|t| t.chars().count()).unwrap_or(0)
    }
}

#[derive(Debug, Clone)]
pub struct Excerpt {
    pub id: EventId,
    pub source: EventId,
    /// Streams of the codes, merges resolved, each once.
    pub codes: Vec<String>,
    pub start: u32,
    pub end: u32,
    pub author: String,
    pub occurred: Timestamp,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub guid: Uuid,
    pub stream: String,
    pub name: String,
    /// `area` or `initiative`.
    pub kind: &'static str,
    /// (variable name, value), in the order of `VARIABLES`.
    pub values: Vec<(&'static str, String)>,
}

/// The case variables, in the order the project lists them.
pub const VARIABLES: &[&str] = &["kind", "area kind", "parent area", "area", "route", "stage", "status"];

#[derive(Debug, Clone, Default)]
pub struct Model {
    pub title: Option<String>,
    /// Who started the study, and when (the project's creator and creation time).
    pub started: Option<(String, Timestamp)>,
    /// The head the model was read at.
    pub head: u64,
    pub users: BTreeMap<String, User>,
    /// By stream; codes merged into another are left out (see `Code::absorbed`).
    pub codes: BTreeMap<String, Code>,
    pub cases: Vec<Case>,
    /// Notes and memos in log order.
    pub texts: Vec<Text>,
    pub excerpts: Vec<Excerpt>,
    /// Every event id in the log, with its kind (an import must not reuse one for another thing).
    pub ids: HashMap<EventId, EventKind>,
    /// Every code stream ever defined, merged or not (new streams must differ from them).
    pub code_streams: BTreeSet<String>,
    /// How many coded passages were left out, and why (for the reader of the export).
    pub left_out: LeftOut,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeftOut {
    /// Notes whose text cannot be shown (forgotten, withheld or without key).
    pub texts: u64,
    /// Codings on those, or past the end of a text that was amended shorter.
    pub codings: u64,
}

/// The current version of one event, as the log's corrections leave it.
struct Current {
    event: RecordedEvent,
    data: DomainEvent,
    retracted: bool,
    /// The event whose sealed part is the text's current one (an amendment may carry a new one).
    sealed_from: Option<Position>,
}

/// The kinds the model is made of (their corrections are followed too).
fn kept(kind: EventKind) -> bool {
    use EventKind::*;
    matches!(
        kind,
        StudyStarted
            | ParticipantRegistered
            | ParticipantRoleChanged
            | AreaDefined
            | InitiativeStarted
            | InitiativeStageChanged
            | InitiativeHandedOver
            | InitiativeStopped
            | ObservationRecorded
            | ReflectionRecorded
            | CodeDefined
            | CodeRenamed
            | CodesMerged
            | ExcerptCoded
            | MemoWritten
    )
}

impl Model {
    /// Reads the whole log of `store` (up to its head now).
    pub fn read(store: &dyn EventStore, access: Access) -> Result<Model, StoreError> {
        let head = store.head().position.0;
        let mut current: BTreeMap<u64, Current> = BTreeMap::new();
        let mut by_id: HashMap<EventId, u64> = HashMap::new();
        let mut ids = HashMap::new();
        let mut sealed_events: HashMap<u64, RecordedEvent> = HashMap::new();
        let mut at = 1;
        while at <= head {
            let page = store.read_from(Position(at), parlog_core::limits::PAGE_EVENTS_MAX)?;
            let Some(last) = page.last() else { break };
            at = last.position.0 + 1;
            for e in page.into_iter().take_while(|e| e.position.0 <= head) {
                ids.insert(e.id, e.kind);
                // A payload of a newer schema is skipped, as the views skip it.
                let Ok(data) = e.domain() else { continue };
                let p = e.position.0;
                match &data {
                    DomainEvent::EventAmended(a) => {
                        let Some(t) = by_id.get(&a.target).and_then(|tp| current.get_mut(tp)) else { continue };
                        let json = parlog_core::canonical_json(&a.payload);
                        if let Ok(new) = DomainEvent::parse(t.data.kind(), &json) {
                            t.data = new;
                        }
                        if e.sealed.is_some() {
                            t.sealed_from = Some(e.position);
                            sealed_events.insert(p, e.clone());
                        }
                    }
                    DomainEvent::EventRetracted(r) => {
                        if let Some(t) = by_id.get(&r.target).and_then(|tp| current.get_mut(tp)) {
                            t.retracted = true;
                        }
                    }
                    // Kept only what the model reads: a large log is mostly other kinds.
                    _ if !kept(e.kind) => {}
                    _ => {
                        by_id.insert(e.id, p);
                        let sealed_from = e.sealed.is_some().then_some(e.position);
                        current.insert(p, Current { event: e, data, retracted: false, sealed_from });
                    }
                }
            }
        }
        let mut m = Model { head, ids, ..Model::default() };
        m.fold(store, access, current, sealed_events)?;
        Ok(m)
    }

    fn fold(
        &mut self,
        store: &dyn EventStore,
        access: Access,
        current: BTreeMap<u64, Current>,
        sealed_events: HashMap<u64, RecordedEvent>,
    ) -> Result<(), StoreError> {
        // Codes first: merges anywhere in the log decide which code a coding counts for now.
        let mut merged_into: HashMap<String, String> = HashMap::new();
        let mut codes: BTreeMap<String, Code> = BTreeMap::new();
        for c in current.values().filter(|c| !c.retracted) {
            let stream = c.event.stream.as_str();
            match &c.data {
                DomainEvent::CodeDefined(d) => {
                    self.code_streams.insert(stream.to_string());
                    codes.insert(
                        stream.to_string(),
                        Code {
                            guid: c.event.id.0,
                            stream: stream.to_string(),
                            name: d.name.to_string(),
                            description: d.description.as_ref().map(|d| d.to_string()),
                            absorbed: Vec::new(),
                        },
                    );
                }
                DomainEvent::CodeRenamed(r) => {
                    if let Some(code) = codes.get_mut(stream) {
                        code.name = r.name.to_string();
                    }
                }
                DomainEvent::CodesMerged(mg) => {
                    merged_into.insert(mg.merged.to_string(), stream.to_string());
                }
                _ => {}
            }
        }
        let survivor = |s: &str| -> String {
            let mut s = s.to_string();
            // Bounded: a cycle of merges (a into b, b into a) must not loop.
            for _ in 0..=merged_into.len() {
                match merged_into.get(&s) {
                    Some(next) if *next != s => s = next.clone(),
                    _ => break,
                }
            }
            s
        };
        let mut absorbed: Vec<(String, Uuid)> = Vec::new();
        for (from, _) in merged_into.iter() {
            let to = survivor(from);
            if to != *from {
                if let Some(c) = codes.get(from) {
                    absorbed.push((to, c.guid));
                }
            }
        }
        for (to, guid) in absorbed {
            if let Some(c) = codes.get_mut(&to) {
                c.absorbed.push(guid);
            }
        }
        codes.retain(|stream, _| survivor(stream) == *stream);
        for c in codes.values_mut() {
            c.absorbed.sort();
        }
        self.codes = codes;
        let resolve = |list: &mut dyn Iterator<Item = String>| -> Vec<String> {
            let mut out: Vec<String> = Vec::new();
            for s in list {
                let s = survivor(&s);
                if !out.contains(&s) {
                    out.push(s);
                }
            }
            out
        };

        let mut areas: BTreeMap<String, (Uuid, String, String, Option<String>)> = BTreeMap::new();
        let mut initiatives: BTreeMap<String, (Uuid, String, String, String, String, String)> = BTreeMap::new();
        for c in current.values() {
            let e = &c.event;
            let stream = e.stream.as_str().to_string();
            let author = e.author.to_string();
            if c.retracted {
                continue;
            }
            match &c.data {
                DomainEvent::StudyStarted(s) => {
                    self.title = Some(s.title.to_string());
                    self.started = Some((author, e.occurred_at));
                }
                DomainEvent::ParticipantRegistered(p) => {
                    let id = e.stream.name().to_string();
                    let user = User { id: id.clone(), label: p.label.to_string(), role: p.role };
                    self.users.insert(id, user);
                }
                DomainEvent::ParticipantRoleChanged(p) => {
                    if let Some(u) = self.users.get_mut(e.stream.name()) {
                        u.role = p.role;
                    }
                }
                DomainEvent::AreaDefined(a) => {
                    let parent = a.parent.as_ref().map(|p| p.to_string());
                    areas.insert(stream, (e.id.0, a.name.to_string(), a.kind.id().to_string(), parent));
                }
                DomainEvent::InitiativeStarted(i) => {
                    let v = (
                        e.id.0,
                        i.name.to_string(),
                        i.area.to_string(),
                        i.route.id().to_string(),
                        "idea".to_string(),
                        "active".to_string(),
                    );
                    initiatives.insert(stream, v);
                }
                DomainEvent::InitiativeStageChanged(s) => {
                    if let Some(i) = initiatives.get_mut(&stream) {
                        i.4 = s.stage.id().to_string();
                    }
                }
                DomainEvent::InitiativeHandedOver(_) => {
                    if let Some(i) = initiatives.get_mut(&stream) {
                        i.5 = "handed_over".to_string();
                    }
                }
                DomainEvent::InitiativeStopped(_) => {
                    if let Some(i) = initiatives.get_mut(&stream) {
                        i.5 = "stopped".to_string();
                    }
                }
                DomainEvent::ObservationRecorded(o) => {
                    let text = self.sealed_text(store, access, c, &sealed_events)?;
                    self.texts.push(Text {
                        id: e.id,
                        position: e.position.0,
                        kind: e.kind,
                        author,
                        occurred: e.occurred_at,
                        stream,
                        title: o.topic.as_ref().map(|t| t.to_string()),
                        area: o.area.as_ref().map(|a| a.to_string()),
                        initiative: o.initiative.as_ref().map(|a| a.to_string()),
                        withheld: text.is_err(),
                        text: text.unwrap_or(None),
                        whole: resolve(&mut o.codes.iter().map(|c| c.to_string())),
                        about_codes: Vec::new(),
                        about_notes: Vec::new(),
                    });
                }
                DomainEvent::ReflectionRecorded(_) => {
                    // The text the notes index and the coding interface show for a reflection
                    // (its summary, then its sealed text): one rule, `notes::note_text`, so that
                    // offsets coded in parlog land on the same characters in the export.
                    let sealed = self.sealed_text(store, access, c, &sealed_events)?;
                    let withheld = sealed.is_err();
                    let text = match &sealed {
                        Ok(t) => crate::notes::note_text(&c.data, t.as_deref()),
                        Err(()) => None,
                    };
                    self.texts.push(Text {
                        id: e.id,
                        position: e.position.0,
                        kind: e.kind,
                        author,
                        occurred: e.occurred_at,
                        stream,
                        title: None,
                        area: None,
                        initiative: None,
                        text,
                        withheld,
                        whole: Vec::new(),
                        about_codes: Vec::new(),
                        about_notes: Vec::new(),
                    });
                }
                DomainEvent::MemoWritten(mw) => self.texts.push(Text {
                    id: e.id,
                    position: e.position.0,
                    kind: e.kind,
                    author,
                    occurred: e.occurred_at,
                    stream,
                    title: Some(mw.title.to_string()),
                    area: None,
                    initiative: None,
                    text: Some(mw.text.to_string()),
                    withheld: false,
                    whole: Vec::new(),
                    about_codes: resolve(&mut mw.codes.iter().map(|c| c.to_string())),
                    about_notes: mw.notes.0.clone(),
                }),
                DomainEvent::ExcerptCoded(x) => self.excerpts.push(Excerpt {
                    id: e.id,
                    source: x.source,
                    codes: resolve(&mut x.codes.iter().map(|c| c.to_string())),
                    start: x.start,
                    end: x.end,
                    author,
                    occurred: e.occurred_at,
                }),
                _ => {}
            }
        }
        // Codings only on texts that are shown whole, and within them.
        let lengths: HashMap<EventId, Option<usize>> =
            self.texts.iter().map(|t| (t.id, t.text.as_ref().map(|_| t.chars()))).collect();
        let withheld_ids: BTreeSet<EventId> = self.texts.iter().filter(|t| t.withheld).map(|t| t.id).collect();
        let on_withheld = self.excerpts.iter().filter(|x| withheld_ids.contains(&x.source)).count() as u64;
        // Also left out, without a word: codings on retracted notes, and past the end of a
        // text amended shorter (they were made on a text that is no longer there).
        self.excerpts
            .retain(|x| matches!(lengths.get(&x.source), Some(Some(n)) if x.end as usize <= *n && x.start < x.end));
        let whole_lost: u64 = self.texts.iter().filter(|t| t.withheld).map(|t| t.whole.len() as u64).sum();
        self.left_out = LeftOut { texts: withheld_ids.len() as u64, codings: on_withheld + whole_lost };

        for (stream, (guid, name, kind, parent)) in &areas {
            let mut values = vec![("kind", "area".to_string()), ("area kind", kind.clone())];
            if let Some(p) = parent.as_ref().and_then(|p| areas.get(p)) {
                values.push(("parent area", p.1.clone()));
            }
            self.cases.push(Case { guid: *guid, stream: stream.clone(), name: name.clone(), kind: "area", values });
        }
        for (stream, (guid, name, area, route, stage, status)) in &initiatives {
            let mut values = vec![("kind", "initiative".to_string())];
            if let Some(a) = areas.get(area) {
                values.push(("area", a.1.clone()));
            }
            values.push(("route", route.clone()));
            values.push(("stage", stage.clone()));
            values.push(("status", status.clone()));
            self.cases.push(Case {
                guid: *guid,
                stream: stream.clone(),
                name: name.clone(),
                kind: "initiative",
                values,
            });
        }
        Ok(())
    }

    /// The sealed text of a note: `Ok(Some)` its text, `Ok(None)` it has none, `Err(())` it has
    /// one that cannot be shown (forgotten, withheld, no key, damaged).
    fn sealed_text(
        &self,
        store: &dyn EventStore,
        access: Access,
        c: &Current,
        amendments: &HashMap<u64, RecordedEvent>,
    ) -> Result<Result<Option<String>, ()>, StoreError> {
        let Some(from) = c.sealed_from else { return Ok(Ok(None)) };
        if access == Access::OpenOnly {
            return Ok(Err(()));
        }
        let holder = match amendments.get(&from.0) {
            Some(a) => a,
            None => &c.event,
        };
        Ok(match store.unseal(holder)? {
            SealedView::Open(d) => Ok(d.text.map(|t| t.to_string())),
            SealedView::None => Ok(None),
            _ => Err(()),
        })
    }

    pub fn text(&self, id: EventId) -> Option<&Text> {
        self.texts.iter().find(|t| t.id == id)
    }

    /// The code that a GUID names now: its own, or the survivor it was merged into.
    pub fn code_by_guid(&self, guid: Uuid) -> Option<&Code> {
        self.codes.values().find(|c| c.guid == guid || c.absorbed.contains(&guid))
    }

    /// Whether `p` may code: a participant registered as a researcher.
    pub fn is_researcher(&self, p: &ParticipantId) -> bool {
        self.users.get(p.as_str()).is_some_and(|u| u.role == ParticipantRole::Researcher)
    }
}
