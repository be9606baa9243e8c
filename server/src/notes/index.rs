//! The notes index: every field note, reflection and memo of a study with what the notes browser
//! filters on, and an inverted index of their words. In memory only; built from the store and
//! kept live by applying new events in log order.
//!
//! What it keeps per note is small (where it is, its filters, where its current text is): the
//! text itself is read from the store when a note is shown, so that sealed text is held in
//! memory only as words, and only as long as the subject is not forgotten. A `SubjectForgotten`
//! makes the index stale: its owner rebuilds it from the store, where the forgotten text no
//! longer opens, so no word of it stays behind (`NotesIndex::stale`).
//!
//! **Leak rule:** words of sealed text are kept apart from words of open text (`sealed` and
//! `open` postings); a caller whose role may not read sealed text is matched on open words only.

use std::collections::HashMap;

use chrono::NaiveDate;
use parlog_core::{
    canonical_json, DomainEvent, EventId, EventKind, EventStore, HealthDimension, Lang, Position, RecordedEvent,
    SealedView, StoreError, Vocabulary,
};

use super::text;

/// The kinds of note the index holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum NoteKind {
    Observation,
    Reflection,
    Memo,
}

impl NoteKind {
    pub const ALL: [NoteKind; 3] = [NoteKind::Observation, NoteKind::Reflection, NoteKind::Memo];
    /// The API's word for it (`kind=observation`).
    pub const IDS: &'static [&'static str] = &["observation", "reflection", "memo"];

    pub fn of(kind: EventKind) -> Option<NoteKind> {
        match kind {
            EventKind::ObservationRecorded => Some(NoteKind::Observation),
            EventKind::ReflectionRecorded => Some(NoteKind::Reflection),
            EventKind::MemoWritten => Some(NoteKind::Memo),
            _ => None,
        }
    }
    pub fn parse(s: &str) -> Option<NoteKind> {
        NoteKind::ALL.into_iter().find(|k| k.id() == s)
    }
    pub fn id(self) -> &'static str {
        NoteKind::IDS[self as usize]
    }
    pub fn event_kind(self) -> EventKind {
        match self {
            NoteKind::Observation => EventKind::ObservationRecorded,
            NoteKind::Reflection => EventKind::ReflectionRecorded,
            NoteKind::Memo => EventKind::MemoWritten,
        }
    }
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (NoteKind::Observation, Lang::Nl) => "veldnotitie",
            (NoteKind::Observation, Lang::En) => "field note",
            (NoteKind::Reflection, Lang::Nl) => "reflectie",
            (NoteKind::Reflection, Lang::En) => "reflection",
            (NoteKind::Memo, _) => "memo",
        }
    }
}

/// What became of a note's sealed part, as far as the store could open it when indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedState {
    /// The note has no sealed part.
    None,
    Open,
    /// Its subject was forgotten: the text is gone.
    Forgotten,
    /// No key here, or damaged: kept, but not readable.
    Unreadable,
}

/// A coded passage on a note.
#[derive(Debug, Clone)]
pub struct Excerpt {
    pub id: EventId,
    pub position: u64,
    pub doc: u32,
    /// Code streams as coded (merges are resolved when read).
    pub codes: Box<[u32]>,
    pub start: u32,
    pub end: u32,
    /// The coder.
    pub by: u32,
    pub day: NaiveDate,
    pub revision: u32,
    pub retracted: bool,
}

/// What every query may filter a note on, kept apart from the rest (`Doc`) and small (24
/// bytes), so that a query that visits many notes reads little memory.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hot {
    pub kind: NoteKind,
    pub retracted: bool,
    /// Positive Health dimensions, one bit each (`HealthDimension::ALL` order).
    pub health: u8,
    pub day: NaiveDate,
    pub author: u32,
    /// Stream numbers, `NONE` for none.
    pub area: u32,
    pub initiative: u32,
    pub cycle: u32,
}

/// No stream, in `Hot`.
pub(crate) const NONE: u32 = u32::MAX;

/// A stream number of `Hot`, as an option.
pub(crate) fn some(n: u32) -> Option<u32> {
    (n != NONE).then_some(n)
}

/// One note: what it is shown and corrected with.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    pub position: u64,
    /// Whole-note codes of the current version.
    pub codes: Box<[u32]>,
    /// Excerpts on it (indexes into `excerpts`), in log order; retracted ones leave.
    pub excerpts: Vec<u32>,
    /// Positions of its amendments, in order.
    pub amendments: Vec<u64>,
    /// Position of its retraction, 0 if none.
    pub retracted: u64,
    /// Where its current open payload is: the note itself or its last amendment.
    pub payload_at: u64,
    /// Where its current sealed part is (the note or an amendment that carried one); 0: none.
    pub sealed_at: u64,
    pub sealed: SealedState,
    /// Unicode code points of its current text, for a reader of sealed text.
    pub text_chars: u32,
}

/// What an event id names in the index.
#[derive(Debug, Clone, Copy)]
enum Target {
    Note(u32),
    Excerpt(u32),
    /// A `CodesMerged`: the code merged away.
    Merge(u32),
}

/// A stream the index knows: its name and, for areas, initiatives and cycles, the area it is
/// in; for codes, the code it was merged into.
#[derive(Debug, Clone, Default)]
struct StreamInfo {
    name: Option<Box<str>>,
    parent: Option<u32>,
    merged_into: Option<u32>,
}

/// Ids to small numbers and back.
#[derive(Debug, Default)]
struct Interner {
    ids: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Interner {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&n) = self.ids.get(s) {
            return n;
        }
        let n = self.names.len() as u32;
        self.names.push(s.into());
        self.ids.insert(s.into(), n);
        n
    }
    fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }
}

/// The words of a note's current version: of its open text and of its sealed text.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Terms {
    /// Each word followed by a line break, repeats included (`text::terms`).
    pub open: String,
    pub sealed: String,
}

/// A note's current version as read from the store.
pub(crate) struct Current {
    pub event: RecordedEvent,
    pub data: DomainEvent,
    pub sealed: SealedView,
}

/// An event read and prepared for the index (on a reader thread while building).
pub(crate) struct Prepared {
    pub event: RecordedEvent,
    pub data: Option<DomainEvent>,
    /// The opened sealed part, for notes and amendments; `None` for other events.
    pub sealed: Option<SealedView>,
    /// For a note: its words (ranges of `Page::terms`) and text length.
    pub note: Option<NoteWords>,
}

/// A note's words as numbers of its reader's words, each once: `open` and `sealed` are ranges
/// of its page's `terms`.
pub(crate) struct NoteWords {
    open: std::ops::Range<usize>,
    sealed: std::ops::Range<usize>,
    chars: u32,
}

/// A page of prepared events. The words of its notes are numbers a reader gave them
/// (`ReaderWords`), so that splitting and looking words up is done on the reader threads and the
/// applying thread, which every event passes, looks up each distinct word once per reader.
pub(crate) struct Page {
    events: Vec<Prepared>,
    /// The words this page's reader met for the first time in it, numbered on from before.
    new_words: Vec<Box<str>>,
    terms: Vec<u32>,
}

type WordMap<V> = HashMap<Box<str>, V, std::hash::BuildHasherDefault<text::WordHasher>>;

/// A reader's words, numbered in the order it met them.
#[derive(Default)]
pub(crate) struct ReaderWords {
    ids: WordMap<u32>,
}

impl ReaderWords {
    fn id(&mut self, w: &str, new_words: &mut Vec<Box<str>>) -> u32 {
        if let Some(&n) = self.ids.get(w) {
            return n;
        }
        let n = self.ids.len() as u32;
        self.ids.insert(w.into(), n);
        new_words.push(w.into());
        n
    }
}

/// On the applying thread: a reader's word numbers to the index's term numbers.
#[derive(Default)]
struct ReaderTerms(Vec<u32>);

/// Events read per page while building.
const BUILD_PAGE_EVENTS: usize = 1_024;
/// Reader threads while building: they read, open sealed parts and split words, which is most
/// of the work; one more thread applies the pages in log order.
const BUILD_READERS: usize = 2;
/// Pages each reader may be ahead of the applying thread.
const BUILD_PAGES_AHEAD: usize = 2;
/// Below this many events, the build reads on the calling thread.
const BUILD_PIPELINE_EVENTS_MIN: u64 = 4 * BUILD_PAGE_EVENTS as u64;

/// The notes index of one study.
#[derive(Debug, Default)]
pub struct NotesIndex {
    pub(crate) docs: Vec<Doc>,
    pub(crate) hot: Vec<Hot>,
    /// While building: changes to the words of notes already indexed (by amendments), as (term,
    /// sealed, doc, added), merged into the postings once at the end; inserting into a long
    /// list and removing from it one at a time moves the list each time.
    pending: Option<Vec<(u32, bool, u32, bool)>>,
    pub(crate) excerpts: Vec<Excerpt>,
    by_id: HashMap<EventId, Target>,
    streams: Interner,
    info: Vec<StreamInfo>,
    participants: Interner,
    labels: Vec<Option<Box<str>>>,
    /// Word → term number; `open`/`sealed`: per term, the notes (doc numbers, ascending) whose
    /// open or sealed text has it; `sorted`: term numbers in the words' order, for prefixes.
    dict: WordMap<u32>,
    words: Vec<Box<str>>,
    pub(crate) open: Vec<Vec<u32>>,
    pub(crate) sealed: Vec<Vec<u32>>,
    sorted: Vec<u32>,
    /// Whether `sorted` is kept up to date word by word (after the build sorted it once).
    sorted_live: bool,
    head: u64,
    stale: bool,
}

impl NotesIndex {
    /// Builds the index of the whole log of `store`.
    pub fn build<S: EventStore + ?Sized>(store: &S) -> Result<NotesIndex, StoreError> {
        let mut ix = NotesIndex { pending: Some(Vec::new()), ..NotesIndex::default() };
        let head = store.head().position.0;
        let parallel = std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
        if head >= BUILD_PIPELINE_EVENTS_MIN && parallel {
            ix.build_pipelined(store, head)?;
        } else {
            ix.catch_up(store)?;
        }
        ix.apply_pending();
        ix.sort_terms();
        for p in ix.open.iter_mut().chain(ix.sealed.iter_mut()) {
            p.shrink_to_fit();
        }
        Ok(ix)
    }

    /// As `catch_up` from nothing, with reading, unsealing and splitting words on reader threads
    /// (reader `r` takes pages `r`, `r + READERS`, …) and the pages applied in log order here.
    fn build_pipelined<S: EventStore + ?Sized>(&mut self, store: &S, head: u64) -> Result<(), StoreError> {
        use std::sync::mpsc;
        let page_start = |k: u64| 1 + k * BUILD_PAGE_EVENTS as u64;
        std::thread::scope(|s| {
            let mut pages = Vec::with_capacity(BUILD_READERS);
            for r in 0..BUILD_READERS {
                let (tx, rx) = mpsc::sync_channel::<Result<Page, StoreError>>(BUILD_PAGES_AHEAD);
                pages.push((rx, ReaderTerms::default()));
                s.spawn(move || {
                    let mut k = r as u64;
                    let mut words = ReaderWords::default();
                    while page_start(k) <= head {
                        let limit = (head + 1 - page_start(k)).min(BUILD_PAGE_EVENTS as u64) as usize;
                        let page = read_prepared(store, page_start(k), limit, &mut words);
                        if tx.send(page).is_err() {
                            break;
                        }
                        k += BUILD_READERS as u64;
                    }
                });
            }
            for k in 0u64.. {
                if page_start(k) > head {
                    break;
                }
                let (rx, terms) = &mut pages[k as usize % BUILD_READERS];
                let Ok(page) = rx.recv() else { break };
                self.apply_page(store, page?, terms)?;
            }
            Ok(())
        })
    }

    /// Applies every event after `head` up to the store's head. Returns how many.
    pub fn catch_up<S: EventStore + ?Sized>(&mut self, store: &S) -> Result<u64, StoreError> {
        let mut applied = 0;
        let (mut words, mut terms) = (ReaderWords::default(), ReaderTerms::default());
        loop {
            let page = read_prepared(store, self.head + 1, BUILD_PAGE_EVENTS, &mut words)?;
            let n = page.events.len();
            self.apply_page(store, page, &mut terms)?;
            applied += n as u64;
            if n < BUILD_PAGE_EVENTS {
                return Ok(applied);
            }
        }
    }

    /// The last position applied.
    pub fn head(&self) -> u64 {
        self.head
    }

    /// Whether a subject was forgotten since the index was built: its words may still be here,
    /// so the index must be built again before it answers.
    pub fn stale(&self) -> bool {
        self.stale
    }

    /// How many notes it holds (retracted ones too).
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Distinct words it holds.
    pub fn terms(&self) -> usize {
        self.words.len()
    }

    /// Applies a page of prepared events read by the reader whose numbers `terms` maps.
    fn apply_page<S: EventStore + ?Sized>(
        &mut self,
        store: &S,
        page: Page,
        terms: &mut ReaderTerms,
    ) -> Result<(), StoreError> {
        let Page { events, new_words, terms: mut ids } = page;
        for w in &new_words {
            let t = self.term(w);
            terms.0.push(t);
        }
        for t in &mut ids {
            *t = terms.0[*t as usize];
        }
        for p in events {
            self.apply(store, p, &ids)?;
        }
        Ok(())
    }

    /// Applies one prepared event (the next position); `ids`: its page's terms, as term numbers.
    fn apply<S: EventStore + ?Sized>(&mut self, store: &S, p: Prepared, ids: &[u32]) -> Result<(), StoreError> {
        let Prepared { event: e, data, sealed, note } = p;
        debug_assert_eq!(e.position.0, self.head + 1, "the index sees every position once, in order");
        self.head = e.position.0;
        let Some(data) = data else { return Ok(()) };
        match &data {
            DomainEvent::AreaDefined(a) => {
                let parent = a.parent.as_ref().map(|p| self.streams_intern(p.as_str()));
                let n = self.streams_intern(e.stream.as_str());
                self.info[n as usize].name = Some(a.name.as_str().into());
                self.info[n as usize].parent = parent;
            }
            DomainEvent::InitiativeStarted(i) => {
                let parent = self.streams_intern(i.area.as_str());
                let n = self.streams_intern(e.stream.as_str());
                self.info[n as usize].name = Some(i.name.as_str().into());
                self.info[n as usize].parent = Some(parent);
            }
            DomainEvent::CycleOpened(c) => {
                let parent = c.area.as_ref().map(|p| self.streams_intern(p.as_str()));
                let n = self.streams_intern(e.stream.as_str());
                self.info[n as usize].parent = parent;
            }
            DomainEvent::CodeDefined(c) => {
                let n = self.streams_intern(e.stream.as_str());
                self.info[n as usize].name = Some(c.name.as_str().into());
            }
            DomainEvent::CodeRenamed(c) => {
                let n = self.streams_intern(e.stream.as_str());
                self.info[n as usize].name = Some(c.name.as_str().into());
            }
            DomainEvent::CodesMerged(m) => {
                let survivor = self.streams_intern(e.stream.as_str());
                let merged = self.streams_intern(m.merged.as_str());
                if survivor != merged {
                    self.info[merged as usize].merged_into = Some(survivor);
                    self.by_id.insert(e.id, Target::Merge(merged));
                }
            }
            DomainEvent::ParticipantRegistered(r) => {
                let n = self.participant(e.stream.name());
                self.labels[n as usize] = Some(r.label.as_str().into());
            }
            DomainEvent::ObservationRecorded(_) | DomainEvent::ReflectionRecorded(_) | DomainEvent::MemoWritten(_) => {
                let (open, sealed_ids, chars) = match &note {
                    Some(n) => (&ids[n.open.clone()], &ids[n.sealed.clone()], n.chars),
                    None => (&[][..], &[][..], 0),
                };
                self.add_note(&e, &data, sealed.unwrap_or(SealedView::None), open, sealed_ids, chars);
            }
            DomainEvent::ExcerptCoded(x) => {
                if let Some(&Target::Note(doc)) = self.by_id.get(&x.source) {
                    let codes = x.codes.iter().map(|c| self.streams_intern(c.as_str())).collect();
                    let by = self.participant(e.author.as_str());
                    let n = self.excerpts.len() as u32;
                    self.excerpts.push(Excerpt {
                        id: e.id,
                        position: e.position.0,
                        doc,
                        codes,
                        start: x.start,
                        end: x.end,
                        by,
                        day: e.occurred_at.date(),
                        revision: 0,
                        retracted: false,
                    });
                    self.by_id.insert(e.id, Target::Excerpt(n));
                    // Codes on forgotten text are forgotten with it.
                    if self.docs[doc as usize].sealed != SealedState::Forgotten {
                        self.docs[doc as usize].excerpts.push(n);
                    }
                }
            }
            DomainEvent::EventAmended(a) => match self.by_id.get(&a.target).copied() {
                // A retracted note is not amended any more (as the projections have it).
                Some(Target::Note(doc)) if !self.hot[doc as usize].retracted => {
                    self.amend_note(store, doc, &e, &a.payload, sealed)?
                }
                Some(Target::Excerpt(x)) => self.amend_excerpt(x, &a.payload),
                _ => {}
            },
            DomainEvent::EventRetracted(r) => match self.by_id.get(&r.target).copied() {
                Some(Target::Note(doc)) if !self.hot[doc as usize].retracted => {
                    self.hot[doc as usize].retracted = true;
                    self.docs[doc as usize].retracted = e.position.0;
                }
                Some(Target::Note(_)) => {}
                Some(Target::Excerpt(x)) => {
                    let ex = &mut self.excerpts[x as usize];
                    ex.retracted = true;
                    let doc = ex.doc as usize;
                    self.docs[doc].excerpts.retain(|&i| i != x);
                }
                Some(Target::Merge(merged)) => self.info[merged as usize].merged_into = None,
                None => {}
            },
            DomainEvent::SubjectForgotten(_) => self.stale = true,
            _ => {}
        }
        Ok(())
    }

    fn streams_intern(&mut self, s: &str) -> u32 {
        let n = self.streams.intern(s);
        if n as usize == self.info.len() {
            self.info.push(StreamInfo::default());
        }
        n
    }

    fn participant(&mut self, s: &str) -> u32 {
        let n = self.participants.intern(s);
        if n as usize == self.labels.len() {
            self.labels.push(None);
        }
        n
    }

    /// The fields a note is filtered on, from its current payload.
    fn set_fields(&mut self, doc: u32, stream: &str, data: &DomainEvent) {
        let (mut area, mut initiative, mut cycle, mut health, mut codes) = (None, None, None, 0u8, Vec::new());
        match data {
            DomainEvent::ObservationRecorded(o) => {
                area = o.area.as_ref().map(|s| self.streams_intern(s.as_str()));
                initiative = o.initiative.as_ref().map(|s| self.streams_intern(s.as_str()));
                cycle = o.cycle.as_ref().map(|s| self.streams_intern(s.as_str()));
                health = health_bits(o.health.iter().copied());
                codes = o.codes.iter().map(|c| self.streams_intern(c.as_str())).collect();
            }
            DomainEvent::ReflectionRecorded(_) => cycle = Some(self.streams_intern(stream)),
            DomainEvent::MemoWritten(m) => {
                cycle = m.cycle.as_ref().map(|s| self.streams_intern(s.as_str()));
                codes = m.codes.iter().map(|c| self.streams_intern(c.as_str())).collect();
            }
            _ => {}
        }
        // A note without an area of its own is in its cycle's area.
        if area.is_none() {
            area = cycle.and_then(|c| self.info[c as usize].parent);
        }
        let h = &mut self.hot[doc as usize];
        h.area = area.unwrap_or(NONE);
        h.initiative = initiative.unwrap_or(NONE);
        h.cycle = cycle.unwrap_or(NONE);
        h.health = health;
        self.docs[doc as usize].codes = codes.into_boxed_slice();
    }

    fn add_note(
        &mut self,
        e: &RecordedEvent,
        data: &DomainEvent,
        sealed: SealedView,
        open: &[u32],
        sealed_terms: &[u32],
        chars: u32,
    ) {
        let kind = NoteKind::of(e.kind).expect("a note kind");
        let doc = self.docs.len() as u32;
        let author = self.participant(e.author.as_str());
        self.hot.push(Hot {
            kind,
            retracted: false,
            health: 0,
            day: e.occurred_at.date(),
            author,
            area: NONE,
            initiative: NONE,
            cycle: NONE,
        });
        self.docs.push(Doc {
            position: e.position.0,
            codes: Box::new([]),
            excerpts: Vec::new(),
            amendments: Vec::new(),
            retracted: 0,
            payload_at: e.position.0,
            sealed_at: if e.sealed.is_some() { e.position.0 } else { 0 },
            sealed: sealed_state(&sealed),
            text_chars: chars,
        });
        self.set_fields(doc, e.stream.as_str(), data);
        self.by_id.insert(e.id, Target::Note(doc));
        // The newest note: it goes last in each of its words' lists.
        for (terms, lists) in [(open, &mut self.open), (sealed_terms, &mut self.sealed)] {
            for &t in terms {
                let list = &mut lists[t as usize];
                if list.last() != Some(&doc) {
                    list.push(doc);
                }
            }
        }
    }

    /// An amendment of a note: its new payload (and sealed part, if it carries one) become the
    /// note's current version; the words of the version before are taken out (read again from
    /// the store: the index keeps no text).
    fn amend_note<S: EventStore + ?Sized>(
        &mut self,
        store: &S,
        doc: u32,
        e: &RecordedEvent,
        payload: &serde_json::Value,
        sealed: Option<SealedView>,
    ) -> Result<(), StoreError> {
        let kind = self.hot[doc as usize].kind.event_kind();
        let Ok(new) = DomainEvent::parse(kind, &canonical_json(payload)) else { return Ok(()) };
        let Some(old) = self.current(store, doc)? else { return Ok(()) };
        let old_terms = note_terms(&old.data, opened(&old.sealed));
        let carries_sealed = e.sealed.is_some();
        let new_sealed = match (carries_sealed, sealed) {
            (true, Some(s)) => s,
            _ => old.sealed,
        };
        let new_terms = note_terms(&new, opened(&new_sealed));
        let chars = note_chars(&new, opened(&new_sealed));
        self.remove_terms(doc, &old_terms);
        self.add_terms(doc, &new_terms);
        let stream = old.event.stream.clone();
        self.set_fields(doc, stream.as_str(), &new);
        let d = &mut self.docs[doc as usize];
        d.amendments.push(e.position.0);
        d.payload_at = e.position.0;
        if carries_sealed {
            d.sealed_at = e.position.0;
            d.sealed = sealed_state(&new_sealed);
        }
        d.text_chars = chars;
        Ok(())
    }

    fn amend_excerpt(&mut self, x: u32, payload: &serde_json::Value) {
        let Ok(DomainEvent::ExcerptCoded(new)) = DomainEvent::parse_value(EventKind::ExcerptCoded, payload) else {
            return;
        };
        let codes: Box<[u32]> = new.codes.iter().map(|c| self.streams_intern(c.as_str())).collect();
        let to = match self.by_id.get(&new.source) {
            Some(&Target::Note(d)) => d,
            _ => return,
        };
        let ex = &mut self.excerpts[x as usize];
        if ex.retracted {
            return;
        }
        let from = ex.doc;
        ex.codes = codes;
        ex.start = new.start;
        ex.end = new.end;
        ex.revision += 1;
        ex.doc = to;
        if from != to {
            self.docs[from as usize].excerpts.retain(|&i| i != x);
            if self.docs[to as usize].sealed != SealedState::Forgotten {
                let list = &mut self.docs[to as usize].excerpts;
                let at = list.partition_point(|&i| i < x);
                list.insert(at, x);
            }
        }
    }

    fn term(&mut self, w: &str) -> u32 {
        if let Some(&t) = self.dict.get(w) {
            return t;
        }
        let t = self.words.len() as u32;
        self.words.push(w.into());
        self.dict.insert(w.into(), t);
        self.open.push(Vec::new());
        self.sealed.push(Vec::new());
        // After the build, a new word goes into its place in the sorted list at once.
        if self.sorted_live {
            let at = self.sorted.partition_point(|&o| *self.words[o as usize] < *w);
            self.sorted.insert(at, t);
        }
        t
    }

    fn sort_terms(&mut self) {
        let mut sorted: Vec<u32> = (0..self.words.len() as u32).collect();
        sorted.sort_unstable_by(|a, b| self.words[*a as usize].cmp(&self.words[*b as usize]));
        self.sorted = sorted;
        self.sorted_live = true;
    }

    /// Adds the words of an amended note.
    fn add_terms(&mut self, doc: u32, terms: &Terms) {
        for (words, sealed) in [(&terms.open, false), (&terms.sealed, true)] {
            for w in words.lines() {
                let t = self.term(w);
                let list = if sealed { &mut self.sealed[t as usize] } else { &mut self.open[t as usize] };
                // An amended note goes back into its place.
                match list.last() {
                    Some(&last) if last >= doc => match &mut self.pending {
                        Some(ops) => ops.push((t, sealed, doc, true)),
                        None => {
                            if let Err(at) = list.binary_search(&doc) {
                                list.insert(at, doc);
                            }
                        }
                    },
                    _ => list.push(doc),
                }
            }
        }
    }

    /// Merges the changes that waited during the build into the postings: per word, the last
    /// change of each note counts.
    fn apply_pending(&mut self) {
        let Some(mut ops) = self.pending.take() else { return };
        // Stable: each note's changes stay in the order they were made.
        ops.sort_by_key(|&(t, sealed, doc, _)| (t, sealed, doc));
        let mut i = 0;
        while i < ops.len() {
            let (t, sealed) = (ops[i].0, ops[i].1);
            let (mut adds, mut removes) = (Vec::new(), Vec::new());
            while i < ops.len() && (ops[i].0, ops[i].1) == (t, sealed) {
                let doc = ops[i].2;
                while i + 1 < ops.len() && (ops[i + 1].0, ops[i + 1].1, ops[i + 1].2) == (t, sealed, doc) {
                    i += 1;
                }
                match ops[i].3 {
                    true => adds.push(doc),
                    false => removes.push(doc),
                }
                i += 1;
            }
            let list = if sealed { &mut self.sealed[t as usize] } else { &mut self.open[t as usize] };
            if !removes.is_empty() {
                list.retain(|d| removes.binary_search(d).is_err());
            }
            if !adds.is_empty() {
                let old = std::mem::take(list);
                let mut merged = Vec::with_capacity(old.len() + adds.len());
                let (mut a, mut b) = (0, 0);
                while a < old.len() || b < adds.len() {
                    let next = match (old.get(a), adds.get(b)) {
                        (Some(&x), Some(&y)) if x <= y => {
                            a += 1;
                            b += usize::from(x == y);
                            x
                        }
                        (_, Some(&y)) => {
                            b += 1;
                            y
                        }
                        (Some(&x), None) => {
                            a += 1;
                            x
                        }
                        (None, None) => unreachable!("the loop ends first"),
                    };
                    merged.push(next);
                }
                *list = merged;
            }
        }
    }

    fn remove_terms(&mut self, doc: u32, terms: &Terms) {
        for (words, sealed) in [(&terms.open, false), (&terms.sealed, true)] {
            for w in words.lines() {
                let Some(&t) = self.dict.get(w) else { continue };
                if let Some(ops) = &mut self.pending {
                    ops.push((t, sealed, doc, false));
                    continue;
                }
                let list = if sealed { &mut self.sealed[t as usize] } else { &mut self.open[t as usize] };
                if let Ok(at) = list.binary_search(&doc) {
                    list.remove(at);
                }
            }
        }
    }

    /// A note's current version, read from the store: its first event, its current payload and
    /// its current sealed part. `None` if the store no longer has it (it always does).
    pub(crate) fn current<S: EventStore + ?Sized>(&self, store: &S, doc: u32) -> Result<Option<Current>, StoreError> {
        let d = &self.docs[doc as usize];
        let Some(event) = event_at(store, d.position)? else { return Ok(None) };
        let data = if d.payload_at == d.position {
            event.domain().ok()
        } else {
            match event_at(store, d.payload_at)?.and_then(|a| a.domain().ok()) {
                Some(DomainEvent::EventAmended(a)) => DomainEvent::parse(event.kind, &canonical_json(&a.payload)).ok(),
                _ => None,
            }
        };
        let Some(data) = data else { return Ok(None) };
        let sealed = match d.sealed_at {
            0 => SealedView::None,
            p if p == d.position => store.unseal(&event)?,
            p => match event_at(store, p)? {
                Some(a) => store.unseal(&a)?,
                None => SealedView::None,
            },
        };
        Ok(Some(Current { event, data, sealed }))
    }

    // ---- lookups for queries and answers ----

    pub(crate) fn doc_of(&self, id: EventId) -> Option<u32> {
        match self.by_id.get(&id) {
            Some(&Target::Note(d)) => Some(d),
            _ => None,
        }
    }

    /// The note at a position, if one is there.
    pub fn doc_at(&self, position: u64) -> Option<u32> {
        self.docs.binary_search_by_key(&position, |d| d.position).ok().map(|d| d as u32)
    }

    pub(crate) fn stream_id(&self, s: &str) -> Option<u32> {
        self.streams.get(s)
    }
    pub(crate) fn stream_count(&self) -> usize {
        self.streams.names.len()
    }
    pub(crate) fn stream_name(&self, n: u32) -> &str {
        &self.streams.names[n as usize]
    }
    pub(crate) fn stream_label(&self, n: u32) -> Option<&str> {
        self.info[n as usize].name.as_deref()
    }
    pub(crate) fn participant_id(&self, s: &str) -> Option<u32> {
        self.participants.get(s)
    }
    pub(crate) fn participant_name(&self, n: u32) -> &str {
        &self.participants.names[n as usize]
    }
    pub(crate) fn participant_label(&self, n: u32) -> Option<&str> {
        self.labels[n as usize].as_deref()
    }

    /// The code a code was merged into, at the end of the chain (itself if never merged).
    pub(crate) fn resolve_code(&self, mut c: u32) -> u32 {
        // A chain cannot be longer than the codes there are; the bound guards a merge back.
        for _ in 0..self.info.len() {
            match self.info[c as usize].merged_into {
                Some(next) if next != c => c = next,
                _ => break,
            }
        }
        c
    }

    /// Areas in `area` (itself and those under it).
    pub(crate) fn areas_under(&self, area: u32) -> Vec<u32> {
        let mut out = vec![area];
        for n in 0..self.info.len() as u32 {
            let mut p = self.info[n as usize].parent;
            for _ in 0..self.info.len() {
                match p {
                    Some(x) if x == area => {
                        if !out.contains(&n) && self.streams.names[n as usize].starts_with("area:") {
                            out.push(n);
                        }
                        break;
                    }
                    Some(x) if x != n => p = self.info[x as usize].parent,
                    _ => break,
                }
            }
        }
        out
    }

    /// Term numbers of a query word: the word itself, or with `prefix` every word it begins.
    pub(crate) fn term_ids(&self, w: &str, prefix: bool) -> Vec<u32> {
        if !prefix {
            return self.dict.get(w).copied().into_iter().collect();
        }
        let from = self.sorted.partition_point(|&t| *self.words[t as usize] < *w);
        self.sorted[from..].iter().copied().take_while(|&t| self.words[t as usize].starts_with(w)).collect()
    }

    // ---- for the integrator (inter-coder agreement) ----

    /// A note's current text length in Unicode code points (the unit of excerpt offsets), by
    /// the note's position; `None` if no note is there. 0 when it has no text, or its text was
    /// forgotten.
    pub fn text_chars_at(&self, position: u64) -> Option<u32> {
        let d = &self.docs[self.doc_at(position)? as usize];
        Some(if d.sealed == SealedState::Forgotten { 0 } else { d.text_chars })
    }

    /// The excerpts on the note at `position` that stand (not retracted, not on forgotten
    /// text), in log order, each with its coder and its codes after merges.
    pub fn coded_at(&self, position: u64) -> Vec<CodedPassage> {
        let Some(doc) = self.doc_at(position) else { return Vec::new() };
        self.docs[doc as usize]
            .excerpts
            .iter()
            .map(|&x| {
                let ex = &self.excerpts[x as usize];
                let mut codes: Vec<String> =
                    ex.codes.iter().map(|&c| self.stream_name(self.resolve_code(c)).to_string()).collect();
                codes.sort();
                codes.dedup();
                CodedPassage {
                    excerpt: ex.id,
                    position: ex.position,
                    coder: self.participant_name(ex.by).to_string(),
                    start: ex.start,
                    end: ex.end,
                    codes,
                }
            })
            .collect()
    }

    /// Positions of every note, oldest first (retracted ones too; see `is_retracted_at`).
    pub fn positions(&self) -> impl Iterator<Item = u64> + '_ {
        self.docs.iter().map(|d| d.position)
    }

    pub fn is_retracted_at(&self, position: u64) -> bool {
        self.doc_at(position).is_some_and(|d| self.hot[d as usize].retracted)
    }
}

/// One coded passage, for computing agreement between coders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodedPassage {
    pub excerpt: EventId,
    pub position: u64,
    /// The participant who coded it.
    pub coder: String,
    /// Code points into the note's current text, `start` inclusive, `end` exclusive.
    pub start: u32,
    pub end: u32,
    /// Code streams, merges resolved, sorted, each once.
    pub codes: Vec<String>,
}

fn health_bits(h: impl Iterator<Item = HealthDimension>) -> u8 {
    h.fold(0, |bits, d| bits | health_bit(d))
}

pub(crate) fn health_bit(d: HealthDimension) -> u8 {
    let i = HealthDimension::ALL.iter().position(|x| *x == d).unwrap_or(0);
    1 << i
}

fn sealed_state(s: &SealedView) -> SealedState {
    match s {
        SealedView::None => SealedState::None,
        SealedView::Open(_) => SealedState::Open,
        SealedView::Forgotten { .. } => SealedState::Forgotten,
        SealedView::NoKey { .. } | SealedView::Damaged { .. } => SealedState::Unreadable,
    }
}

/// The sealed text, if the sealed part opened and has one.
pub(crate) fn opened(s: &SealedView) -> Option<&str> {
    match s {
        SealedView::Open(d) => d.text.as_ref().map(|t| t.as_str()),
        _ => None,
    }
}

/// A note's text as the API shows it: for an observation its sealed text, for a reflection its
/// summary (and its sealed text, after a blank line), for a memo its text.
pub(crate) fn note_text(data: &DomainEvent, sealed: Option<&str>) -> Option<String> {
    match data {
        DomainEvent::ObservationRecorded(_) => sealed.map(str::to_string),
        DomainEvent::ReflectionRecorded(r) => match (r.summary.as_ref().map(|s| s.as_str()), sealed) {
            (Some(a), Some(b)) => Some(format!("{a}\n\n{b}")),
            (Some(a), None) => Some(a.to_string()),
            (None, b) => b.map(str::to_string),
        },
        DomainEvent::MemoWritten(m) => Some(m.text.as_str().to_string()),
        _ => None,
    }
}

/// The length of `note_text` in Unicode code points, without making it.
fn note_chars(data: &DomainEvent, sealed: Option<&str>) -> u32 {
    let n = |s: &str| s.chars().count() as u32;
    match data {
        DomainEvent::ObservationRecorded(_) => sealed.map_or(0, n),
        DomainEvent::ReflectionRecorded(r) => match (r.summary.as_ref().map(|s| s.as_str()), sealed) {
            (Some(a), Some(b)) => n(a) + 2 + n(b),
            (Some(a), None) => n(a),
            (None, b) => b.map_or(0, n),
        },
        DomainEvent::MemoWritten(m) => n(m.text.as_str()),
        _ => 0,
    }
}

/// The texts of a note's open fields that it is found by (topic; summary and insights; title
/// and text).
fn open_texts(data: &DomainEvent) -> Vec<&str> {
    match data {
        DomainEvent::ObservationRecorded(o) => o.topic.iter().map(|t| t.as_str()).collect(),
        DomainEvent::ReflectionRecorded(r) => r
            .summary
            .iter()
            .map(|s| s.as_str())
            .chain(
                r.insights
                    .iter()
                    .flat_map(|i| std::iter::once(i.text.as_str()).chain(i.theme.as_ref().map(|t| t.as_str()))),
            )
            .collect(),
        DomainEvent::MemoWritten(m) => vec![m.title.as_str(), m.text.as_str()],
        _ => Vec::new(),
    }
}

/// The words a note is found by: of its open fields (topic; summary and insights; title and
/// text) and of its sealed text.
pub(crate) fn note_terms(data: &DomainEvent, sealed: Option<&str>) -> Terms {
    Terms { open: text::terms(open_texts(data)), sealed: text::terms(sealed) }
}

fn event_at<S: EventStore + ?Sized>(store: &S, p: u64) -> Result<Option<RecordedEvent>, StoreError> {
    Ok(store.read_from(Position(p), 1)?.into_iter().next().filter(|e| e.position.0 == p))
}

/// Reads a page and prepares it: payloads parsed, sealed parts of notes and amendments opened,
/// notes' words split and numbered (`words`: the reader's, kept from page to page).
fn read_prepared<S: EventStore + ?Sized>(
    store: &S,
    from: u64,
    limit: usize,
    words: &mut ReaderWords,
) -> Result<Page, StoreError> {
    let wants_sealed = |e: &RecordedEvent| NoteKind::of(e.kind).is_some() || e.kind == EventKind::EventAmended;
    let page = store.read_from_unsealed(Position(from), limit, &wants_sealed)?;
    let mut out = Vec::with_capacity(page.len());
    let (mut new_words, mut terms) = (Vec::new(), Vec::new());
    // Each word of a note once: its numbers sorted and repeats dropped.
    let mut split = |texts: &mut dyn Iterator<Item = &str>, terms: &mut Vec<u32>| {
        let start = terms.len();
        for t in texts {
            text::words(t, |w| terms.push(words.id(w, &mut new_words)));
        }
        terms[start..].sort_unstable();
        let mut kept = start;
        for i in start..terms.len() {
            if kept == start || terms[i] != terms[kept - 1] {
                terms[kept] = terms[i];
                kept += 1;
            }
        }
        terms.truncate(kept);
        start..kept
    };
    for (event, sealed) in page {
        let data = event.domain().ok();
        let note = match (&data, NoteKind::of(event.kind)) {
            (Some(d), Some(_)) => {
                let text = sealed.as_ref().and_then(opened);
                let open = split(&mut open_texts(d).into_iter(), &mut terms);
                let sealed = split(&mut text.into_iter(), &mut terms);
                Some(NoteWords { open, sealed, chars: note_chars(d, text) })
            }
            _ => None,
        };
        out.push(Prepared { event, data, sealed, note });
    }
    Ok(Page { events: out, new_words, terms })
}
