//! The notes browser's back end (issue 14): every field note, reflection and memo of a study,
//! found by words and filters, shown as the reader's role may see them.
//!
//! - `text.rs`: words (lowercase, accents folded) for the index and the query alike.
//! - `index.rs`: `NotesIndex`, one per open study, in memory only: built from the store, kept
//!   live event by event, rebuilt after a forget (`stale`); the coded passages per note for the
//!   inter-coder agreement (`text_chars_at`, `coded_at`).
//! - `query.rs`: `NoteQuery` → `Found` (total, a page newest first, the next cursor).
//! - this file: a note as the API shows it (`note_json`, `history_json`), read from the store
//!   through the index; `csv.rs`: the same as CSV.
//!
//! **Invariant:** nothing of it is written to disk, and a forgotten subject's words leave it
//! (the owner rebuilds a stale index before it answers).

pub mod csv;
mod index;
mod query;
pub mod text;

pub use index::{CodedPassage, NoteKind, NotesIndex};
pub use query::{Found, NoteQuery, Retracted};

use parlog_core::{DomainEvent, EventId, EventStore, Lang, RecordedEvent, SealedView, StoreError, Vocabulary};
use serde_json::{json, Value};

use index::{note_text, opened, Current};

/// Characters of a search (`q`).
pub const QUERY_CHARS_MAX: usize = 200;
/// Notes in a page when the caller does not say, and at most.
pub const PAGE_NOTES_DEFAULT: usize = 50;
pub const PAGE_NOTES_MAX: usize = 200;
/// Notes in one CSV download (newest first; page with `before` for more).
pub const CSV_NOTES_MAX: usize = 100_000;

/// A note's text as a reader sees it, and why it is as it is: `readable`, `withheld` (the role
/// may not read sealed text), `forgotten` (its subject was forgotten) or `none`.
fn shown_text(data: &DomainEvent, sealed: &SealedView, reads_sealed: bool) -> (Option<String>, &'static str) {
    let has_sealed = !matches!(sealed, SealedView::None);
    if has_sealed && !reads_sealed {
        return (None, "withheld");
    }
    if let SealedView::Forgotten { .. } = sealed {
        return (None, "forgotten");
    }
    match note_text(data, opened(sealed)) {
        Some(t) => (Some(t), "readable"),
        None => (None, "none"),
    }
}

impl NotesIndex {
    fn code_json(&self, code: u32) -> Value {
        let c = self.resolve_code(code);
        json!({"id": self.stream_name(c), "name": self.stream_label(c)})
    }

    fn stream_pair(&self, s: Option<u32>) -> (Value, Value) {
        match s {
            Some(n) => (json!(self.stream_name(n)), json!(self.stream_label(n))),
            None => (Value::Null, Value::Null),
        }
    }

    /// The note at doc number `doc` as the API shows it (see COMMON.md's NOTE); `None` if the
    /// store no longer has it.
    pub fn note_json<S: EventStore + ?Sized>(
        &self,
        store: &S,
        doc: u32,
        reads_sealed: bool,
        lang: Lang,
    ) -> Result<Option<Value>, StoreError> {
        let Some(Current { event, data, sealed }) = self.current(store, doc)? else { return Ok(None) };
        let d = &self.docs[doc as usize];
        let h = self.hot[doc as usize];
        let (text, state) = shown_text(&data, &sealed, reads_sealed);
        let (area, area_name) = self.stream_pair(index::some(h.area));
        let (initiative, initiative_name) = self.stream_pair(index::some(h.initiative));
        let (topic, title, health) = match &data {
            DomainEvent::ObservationRecorded(o) => {
                (o.topic.as_ref().map(|t| t.as_str()), None, o.health.iter().map(|h| h.id()).collect::<Vec<_>>())
            }
            DomainEvent::MemoWritten(m) => (None, Some(m.title.as_str()), Vec::new()),
            _ => (None, None, Vec::new()),
        };
        let mut codes: Vec<Value> = Vec::new();
        for &c in d.codes.iter() {
            let v = self.code_json(c);
            if !codes.contains(&v) {
                codes.push(v);
            }
        }
        let excerpts: Vec<Value> = match state {
            "forgotten" => Vec::new(),
            _ => d
                .excerpts
                .iter()
                .map(|&x| {
                    let ex = &self.excerpts[x as usize];
                    json!({
                        "id": ex.id,
                        "position": ex.position,
                        "codes": ex.codes.iter().map(|&c| self.code_json(c)).collect::<Vec<_>>(),
                        "start": ex.start,
                        "end": ex.end,
                        "by": self.participant_name(ex.by),
                        "date": ex.day.to_string(),
                        "revision": ex.revision,
                    })
                })
                .collect(),
        };
        let retracted = match d.retracted {
            0 => Value::Null,
            p => match read_at(store, p)? {
                Some(r) => {
                    let reason = match r.domain() {
                        Ok(DomainEvent::EventRetracted(x)) => Some(x.reason.as_str().to_string()),
                        _ => None,
                    };
                    json!({"reason": reason, "position": p, "date": r.occurred_at.date().to_string(), "by": r.author})
                }
                None => Value::Null,
            },
        };
        let kind = h.kind;
        let cycle = index::some(h.cycle).map(|c| self.stream_name(c).to_string());
        Ok(Some(json!({
            "id": event.id,
            "position": d.position,
            "kind": event.kind.name(),
            "kind_label": kind.label(lang),
            "recorded_at": event.recorded_at.to_string(),
            "occurred_at": event.occurred_at.to_string(),
            "date": h.day.to_string(),
            "author": self.participant_name(h.author),
            "author_name": self.participant_label(h.author),
            "stream": event.stream,
            "area": area,
            "area_name": area_name,
            "initiative": initiative,
            "initiative_name": initiative_name,
            "cycle": cycle,
            "topic": topic,
            "title": title,
            "health": health,
            "codes": codes,
            "text": text,
            "text_state": state,
            "revision": d.amendments.len(),
            "retracted": retracted,
            "excerpts": excerpts,
        })))
    }

    /// The note with this id, with its history (each version as recorded, amended, retracted);
    /// `None` if no note has this id.
    pub fn history_json<S: EventStore + ?Sized>(
        &self,
        store: &S,
        id: EventId,
        reads_sealed: bool,
        lang: Lang,
    ) -> Result<Option<Value>, StoreError> {
        let Some(doc) = self.doc_of(id) else { return Ok(None) };
        let Some(mut note) = self.note_json(store, doc, reads_sealed, lang)? else { return Ok(None) };
        let d = &self.docs[doc as usize];
        let mut steps = Vec::new();
        let Some(first) = read_at(store, d.position)? else { return Ok(None) };
        let mut sealed = store.unseal(&first)?;
        let kind = first.kind;
        if let Ok(data) = first.domain() {
            steps.push(step(
                &first,
                "recorded",
                None,
                serde_json::from_str(&first.payload).unwrap_or(Value::Null),
                &data,
                &sealed,
                reads_sealed,
            ));
        }
        for &p in &d.amendments {
            let Some(a) = read_at(store, p)? else { continue };
            let Ok(DomainEvent::EventAmended(am)) = a.domain() else { continue };
            if a.sealed.is_some() {
                sealed = store.unseal(&a)?;
            }
            let Ok(data) = DomainEvent::parse_value(kind, &am.payload) else { continue };
            let reason = Some(am.reason.as_str().to_string());
            steps.push(step(&a, "amended", reason, am.payload.clone(), &data, &sealed, reads_sealed));
        }
        if d.retracted != 0 {
            if let Some(r) = read_at(store, d.retracted)? {
                let reason = match r.domain() {
                    Ok(DomainEvent::EventRetracted(x)) => Some(x.reason.as_str().to_string()),
                    _ => None,
                };
                steps.push(json!({"position": r.position.0, "id": r.id, "step": "retracted", "date": r.occurred_at.date().to_string(), "by": r.author, "reason": reason, "payload": null, "text": null}));
            }
        }
        note["history"] = Value::Array(steps);
        Ok(Some(note))
    }

    /// The doc number of the note with this id.
    pub fn find(&self, id: EventId) -> Option<u32> {
        self.doc_of(id)
    }
}

fn step(
    e: &RecordedEvent,
    what: &str,
    reason: Option<String>,
    payload: Value,
    data: &DomainEvent,
    sealed: &SealedView,
    reads_sealed: bool,
) -> Value {
    let (text, _) = shown_text(data, sealed, reads_sealed);
    json!({"position": e.position.0, "id": e.id, "step": what, "date": e.occurred_at.date().to_string(), "by": e.author, "reason": reason, "payload": payload, "text": text})
}

fn read_at<S: EventStore + ?Sized>(store: &S, p: u64) -> Result<Option<RecordedEvent>, StoreError> {
    Ok(store.read_from(parlog_core::Position(p), 1)?.into_iter().next().filter(|e| e.position.0 == p))
}

/// The answer to a search: the page of notes, with how many there are and the next cursor.
pub fn page_json<S: EventStore + ?Sized>(
    ix: &NotesIndex,
    store: &S,
    found: &Found,
    reads_sealed: bool,
    lang: Lang,
) -> Result<Value, StoreError> {
    let mut notes = Vec::with_capacity(found.docs.len());
    for &d in &found.docs {
        if let Some(n) = ix.note_json(store, d, reads_sealed, lang)? {
            notes.push(n);
        }
    }
    Ok(json!({"total": found.total, "next_before": found.next_before, "indexed_to": ix.head(), "notes": notes}))
}
