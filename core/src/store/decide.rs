//! The decide step: whether a new event is accepted, and the record it becomes.
//!
//! Every domain rule of an append lives here and nowhere else, so that every store backend
//! applies the same rules: an idempotent retry by id (the same content answers with the earlier
//! place, other content is a conflict), `expected_version`, the stream rules (creates / existing
//! / open / target / system), references to streams and events, sealing personal data under the
//! subjects' keys (refused for forgotten subjects), hashing and chaining, and the limits.
//!
//! Deciding is pure. What the log already holds comes through [`Known`]; the time and fresh
//! subject keys come through [`Env`]; the answer is a [`Decided`], never a write. Accepted events
//! that are not committed yet are layered over the store's `Known` with an [`Overlay`] (the
//! events before in the batch, the batches before in the group), so a backend decides a whole
//! group before it writes anything. [`MemoryLog`] is a whole log in memory: the model that
//! tests (of these rules, and of other backends) decide against.

use std::collections::HashMap;

use super::{AppendError, Appended, Head, StoreError};
use crate::envelope::{NewEvent, RecordedEvent, SealedMeta};
use crate::events::{DomainEvent, EventKind, FieldError, StreamRule};
use crate::ids::{Category, EventId, Hash, Position, StreamId, SubjectId};
use crate::limits::{BATCH_EVENTS_MAX, RECORD_BYTES_MAX};
use crate::seal::{self, SubjectKey};
use crate::values::Timestamp;

/// What tells a retry of an event from a different event with the same id. Stored with the
/// event (the log frame's index part), so that it survives a rebuild of the indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryDigest {
    /// A digest of what the client said (not of what the store added: position, time). For an
    /// imported event, the digest of its record: imported events cannot be retried by id.
    pub content: [u8; 32],
    /// A keyed digest of the sealed plaintext (keyed by the subjects' keys, so that it reveals
    /// nothing of the text); zeros without a sealed part.
    pub sealed_mac: [u8; 32],
}

/// Bytes of a stored [`RetryDigest`]: the content digest, then the sealed mac.
pub(crate) const RETRY_DIGEST_BYTES: usize = 64;

impl RetryDigest {
    pub(crate) fn to_bytes(self) -> [u8; RETRY_DIGEST_BYTES] {
        let mut b = [0u8; RETRY_DIGEST_BYTES];
        b[..32].copy_from_slice(&self.content);
        b[32..].copy_from_slice(&self.sealed_mac);
        b
    }

    pub(crate) fn from_bytes(b: &[u8; RETRY_DIGEST_BYTES]) -> RetryDigest {
        RetryDigest {
            content: b[..32].try_into().expect("32 bytes"),
            sealed_mac: b[32..].try_into().expect("32 bytes"),
        }
    }
}

/// What the rules need to know of an event that is already decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownEvent {
    pub position: Position,
    pub stream_version: u64,
    pub kind: EventKind,
    pub stream: StreamId,
    pub retry: RetryDigest,
}

impl KnownEvent {
    pub fn of(event: &RecordedEvent, retry: RetryDigest) -> KnownEvent {
        KnownEvent {
            position: event.position,
            stream_version: event.stream_version,
            kind: event.kind,
            stream: event.stream.clone(),
            retry,
        }
    }
}

/// What a store knows that the rules ask about: the log's head, stream versions, events by id,
/// subject keys and forgotten subjects. Errors are the store's (a read failed), never a rule's.
pub trait Known {
    /// The last decided event, which the next one links to.
    fn head(&self) -> Head;
    /// The number of events in `stream` (0: it does not exist).
    fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError>;
    fn event(&self, id: EventId) -> Result<Option<KnownEvent>, StoreError>;
    fn subject_key(&self, subject: &SubjectId) -> Result<Option<SubjectKey>, StoreError>;
    /// The position of the event that forgot `subject`, if one did.
    fn forgotten(&self, subject: &SubjectId) -> Result<Option<Position>, StoreError>;
}

/// What deciding takes from outside the log: the time an event is recorded at, and fresh keys
/// for new data subjects. Injected, so that deciding is deterministic under test.
pub trait Env {
    fn now(&mut self) -> Timestamp;
    fn new_subject_key(&mut self) -> SubjectKey;
}

/// The real clock and the operating system's randomness.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemEnv;

impl Env for SystemEnv {
    fn now(&mut self) -> Timestamp {
        Timestamp::now_utc()
    }
    fn new_subject_key(&mut self) -> SubjectKey {
        seal::random_bytes()
    }
}

/// Who asks for an event: kinds with [`StreamRule::System`] are written by the store only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Client,
    Store,
}

/// The answer to one new event.
// Nearly every answer is `New`: boxing it would cost an allocation per accepted event to make
// the rare retry smaller.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Decided {
    /// A retry: the event is already decided with the same content; this is its place.
    Duplicate(Appended),
    /// Accepted: the event as it is to be stored.
    New(Staged),
}

impl Decided {
    /// The answer an appender gets.
    pub fn appended(&self) -> Appended {
        match self {
            Decided::Duplicate(a) => a.clone(),
            Decided::New(s) => s.appended(),
        }
    }
}

/// An accepted event, ready to write: its record (hashed and chained to the event before it),
/// its stored bytes, its sealed ciphertext, and what it changes in what is known.
#[derive(Debug, Clone, PartialEq)]
pub struct Staged {
    pub event: RecordedEvent,
    /// The stored form of `event` (`event.encode()`).
    pub record: Vec<u8>,
    pub ciphertext: Option<Vec<u8>>,
    pub retry: RetryDigest,
    /// Keys made for subjects that had none; they are to be stored before the event.
    pub new_keys: Vec<(SubjectId, SubjectKey)>,
    /// The subject a `SubjectForgotten` event forgets.
    pub forgets: Option<SubjectId>,
}

impl Staged {
    pub fn appended(&self) -> Appended {
        Appended {
            id: self.event.id,
            position: self.event.position,
            stream_version: self.event.stream_version,
            duplicate: false,
        }
    }

    /// Stages an event that was decided elsewhere (an import): the record as it is, marked with
    /// the digest of its bytes.
    pub(crate) fn recorded(event: RecordedEvent, ciphertext: Option<Vec<u8>>) -> Staged {
        let record = event.encode();
        let retry = RetryDigest { content: *blake3::hash(&record).as_bytes(), sealed_mac: [0; 32] };
        let forgets = forgotten_by(&event).map(|(s, _)| s);
        Staged { event, record, ciphertext, retry, new_keys: Vec::new(), forgets }
    }
}

/// The subject a `SubjectForgotten` event forgets, with the event's position.
pub(crate) fn forgotten_by(e: &RecordedEvent) -> Option<(SubjectId, Position)> {
    if e.kind != EventKind::SubjectForgotten {
        return None;
    }
    match e.domain() {
        Ok(DomainEvent::SubjectForgotten(f)) => Some((f.subject, e.position)),
        _ => None,
    }
}

/// Decides a batch, all or nothing: each event against what is known and the events before it
/// in the batch. Returns the answers and the changes the accepted events make, for the caller to
/// [`Overlay::absorb`] once the batch is to be committed.
pub fn decide_batch<K: Known + ?Sized>(
    batch: Vec<NewEvent>,
    known: &K,
    env: &mut impl Env,
) -> Result<(Vec<Decided>, Changes), AppendError> {
    if batch.is_empty() {
        return Err(AppendError::EmptyBatch);
    }
    if batch.len() > BATCH_EVENTS_MAX {
        return Err(AppendError::BatchTooLarge { events: batch.len(), max: BATCH_EVENTS_MAX });
    }
    let mut tx = Overlay::new(known);
    let mut out = Vec::with_capacity(batch.len());
    for (i, ev) in batch.into_iter().enumerate() {
        let d = decide(ev, i + 1, Origin::Client, &tx, env)?;
        if let Decided::New(s) = &d {
            tx.apply(s);
        }
        out.push(d);
    }
    Ok((out, tx.changes))
}

/// Decides one event; `index` (from 1) names it in errors. The event goes after
/// `known.head()`.
pub fn decide<K: Known + ?Sized>(
    mut ev: NewEvent,
    index: usize,
    origin: Origin,
    known: &K,
    env: &mut impl Env,
) -> Result<Decided, AppendError> {
    let invalid = |field: &str, message: String| AppendError::Invalid { index, error: FieldError::new(field, message) };
    let kind = ev.event.kind();

    // A retried event (same id) is answered with its original place, whatever else changed
    // since; the same id with other content is a conflict.
    let mut payload_json = ev.event.to_json();
    let digest = content_digest(&ev, &payload_json);
    if let Some(info) = known.event(ev.id)? {
        return retried(&ev, index, digest, info, known);
    }

    // The stream must fit the kind.
    let rule = kind.stream_rule();
    let current = known.stream_version(&ev.stream)?;
    if matches!(rule, StreamRule::System(_)) && origin != Origin::Store {
        return Err(invalid("kind", format!("{} is written by parlog itself, not appended", kind.name())));
    }
    if let Some(cat) = rule.category() {
        if ev.stream.category() != cat {
            return Err(invalid(
                "stream",
                format!(
                    "{} is written to a `{}:` stream such as \"{}:voorbeeld\", got {:?}",
                    kind.name(),
                    cat.as_str(),
                    cat.as_str(),
                    ev.stream.as_str()
                ),
            ));
        }
    }
    match rule {
        StreamRule::Creates(_) if current > 0 => {
            return Err(invalid(
                "stream",
                format!(
                    "stream {} already exists (version {current}); {} starts a new stream: choose another name",
                    ev.stream,
                    kind.name()
                ),
            ))
        }
        StreamRule::Existing(cat) if current == 0 => {
            return Err(invalid(
                "stream",
                format!("stream {} does not exist; start it first with {}", ev.stream, creator_of(cat)),
            ))
        }
        _ => {}
    }
    if let Some(expected) = ev.expected_version {
        if expected != current {
            return Err(AppendError::WrongExpectedVersion { index, stream: ev.stream.clone(), expected, current });
        }
    }

    // Corrections are checked against the event they correct.
    let mut checked_refs = ev.event.refs();
    if let DomainEvent::EventAmended(a) = &mut ev.event {
        let target = check_target(a.target, &ev.stream, index, known)?;
        let inner = DomainEvent::parse(target, &a.payload.to_string()).map_err(|e| AppendError::Invalid {
            index,
            error: FieldError::new(format!("payload.{}", e.field), e.message),
        })?;
        let inner_refs = inner.refs();
        for (f, s, c) in inner_refs.streams {
            checked_refs.streams.push((format!("payload.{f}"), s, c));
        }
        for (f, e, kinds) in inner_refs.events {
            checked_refs.events.push((format!("payload.{f}"), e, kinds));
        }
        a.payload = serde_json::from_str(&inner.to_json()).expect("normalised payloads are JSON");
        // The stored payload holds the amendment as normalised; the digest above keeps what
        // the client sent.
        payload_json = ev.event.to_json();
    }
    if let DomainEvent::EventRetracted(r) = &ev.event {
        check_target(r.target, &ev.stream, index, known)?;
    }

    for (field, s, cat) in &checked_refs.streams {
        if s.category() != *cat {
            return Err(invalid(
                field,
                format!(
                    "expected a `{}:` stream such as \"{}:voorbeeld\", got {:?}",
                    cat.as_str(),
                    cat.as_str(),
                    s.as_str()
                ),
            ));
        }
        if known.stream_version(s)? == 0 {
            return Err(invalid(field, format!("stream {s} does not exist; start it first with {}", creator_of(*cat))));
        }
    }
    for (field, id, kinds) in &checked_refs.events {
        check_event_ref(*id, kinds, field, index, known)?;
    }
    for (i, id) in ev.causation.iter().enumerate() {
        check_event_ref(*id, &[], &format!("causation[{i}]"), index, known)?;
    }

    let sealed = seal_part(&ev, index, known, env)?;
    let head = known.head();
    let mut event = RecordedEvent {
        position: Position(head.position.0 + 1),
        stream_version: current + 1,
        id: ev.id,
        stream: ev.stream,
        kind,
        schema_version: kind.schema_version(),
        recorded_at: env.now(),
        occurred_at: ev.occurred_at,
        author: ev.author,
        causation: ev.causation,
        payload: payload_json,
        sealed: sealed.meta,
        prev_hash: head.hash,
        hash: Hash::ZERO,
    };
    let record = event.hash_and_encode();
    if record.len() > RECORD_BYTES_MAX {
        return Err(invalid(
            "payload",
            format!("the event is {} bytes, over the limit of {RECORD_BYTES_MAX}; shorten it", record.len()),
        ));
    }
    debug_assert_eq!(RecordedEvent::decode(&record).as_ref(), Ok(&event), "the stored form round-trips");
    let forgets = match &ev.event {
        DomainEvent::SubjectForgotten(f) => Some(f.subject.clone()),
        _ => None,
    };
    Ok(Decided::New(Staged {
        event,
        record,
        ciphertext: sealed.ciphertext,
        retry: RetryDigest { content: digest, sealed_mac: sealed.mac },
        new_keys: sealed.new_keys,
        forgets,
    }))
}

/// The answer to an id that is already decided: its place if the content is the same, else a
/// conflict.
fn retried<K: Known + ?Sized>(
    ev: &NewEvent,
    index: usize,
    digest: [u8; 32],
    info: KnownEvent,
    known: &K,
) -> Result<Decided, AppendError> {
    let mac = match &ev.sealed {
        Some(s) => {
            let mut keys = Vec::with_capacity(s.subjects.len());
            for subject in &s.subjects {
                keys.push(known.subject_key(subject)?);
            }
            // A forgotten key cannot be compared: then the open part decides.
            keys.into_iter().collect::<Option<Vec<_>>>().map(|keys| {
                let refs: Vec<&SubjectKey> = keys.iter().collect();
                seal::plaintext_mac(ev.id, &refs, &serde_json::to_vec(&s.data).expect("sealed data serialises"))
            })
        }
        None => Some([0; 32]),
    };
    if info.retry.content == digest && mac.is_none_or(|m| m == info.retry.sealed_mac) {
        return Ok(Decided::Duplicate(Appended {
            id: ev.id,
            position: info.position,
            stream_version: info.stream_version,
            duplicate: true,
        }));
    }
    Err(AppendError::IdConflict { index, id: ev.id, position: info.position })
}

/// A sealed part as stored: its meta in the record, the ciphertext, the mac that tells a retry,
/// and the keys made for it.
struct SealedPart {
    meta: Option<SealedMeta>,
    ciphertext: Option<Vec<u8>>,
    mac: [u8; 32],
    new_keys: Vec<(SubjectId, SubjectKey)>,
}

/// Seals the personal data of `ev` under its subjects' keys, making a key for a subject that
/// has none. A forgotten subject's id is refused: forgetting is final.
fn seal_part<K: Known + ?Sized>(
    ev: &NewEvent,
    index: usize,
    known: &K,
    env: &mut impl Env,
) -> Result<SealedPart, AppendError> {
    let mut part = SealedPart { meta: None, ciphertext: None, mac: [0; 32], new_keys: Vec::new() };
    let Some(s) = &ev.sealed else { return Ok(part) };
    let mut keys = Vec::with_capacity(s.subjects.len());
    for (j, subject) in s.subjects.iter().enumerate() {
        if let Some(p) = known.forgotten(subject)? {
            return Err(AppendError::Invalid {
                index,
                error: FieldError::new(
                    format!("sealed.subjects[{j}]"),
                    format!("data subject {subject} was forgotten (position {p}); its id cannot be used again: give the person a new subject id"),
                ),
            });
        }
        let made = part.new_keys.iter().find(|(s, _)| s == subject).map(|(_, k)| *k);
        let key = match made.map_or_else(|| known.subject_key(subject), |k| Ok(Some(k)))? {
            Some(key) => key,
            None => {
                let key = env.new_subject_key();
                part.new_keys.push((subject.clone(), key));
                key
            }
        };
        keys.push(key);
    }
    let refs: Vec<&SubjectKey> = keys.iter().collect();
    let plain = serde_json::to_vec(&s.data).expect("sealed data serialises");
    let nonce = seal::nonce_for(ev.id);
    let ct = seal::seal(ev.id, &refs, &nonce, &plain);
    part.mac = seal::plaintext_mac(ev.id, &refs, &plain);
    part.meta = Some(SealedMeta {
        subjects: s.subjects.clone(),
        nonce,
        digest: seal::ciphertext_digest(&ct),
        ciphertext_bytes: ct.len() as u32,
    });
    part.ciphertext = Some(ct);
    Ok(part)
}

/// A correction's target: it exists, is not itself a correction (or a forget), and is on the
/// correction's stream. Returns its kind.
fn check_target<K: Known + ?Sized>(
    target: EventId,
    stream: &StreamId,
    index: usize,
    known: &K,
) -> Result<EventKind, AppendError> {
    let invalid = |message: String| AppendError::Invalid { index, error: FieldError::new("payload.target", message) };
    let Some(info) = known.event(target)? else {
        return Err(invalid(format!("event {target} does not exist; give the id of the event to correct")));
    };
    if matches!(info.kind, EventKind::EventAmended | EventKind::EventRetracted | EventKind::SubjectForgotten) {
        return Err(invalid(format!(
            "event {target} is a {}, which cannot be corrected; correct the original event",
            info.kind.name()
        )));
    }
    if &info.stream != stream {
        return Err(AppendError::Invalid {
            index,
            error: FieldError::new(
                "stream",
                format!("a correction is written to the stream of the event it corrects: {}", info.stream),
            ),
        });
    }
    Ok(info.kind)
}

/// A reference to an earlier event: it exists, and is of one of `kinds` (any, if empty).
fn check_event_ref<K: Known + ?Sized>(
    id: EventId,
    kinds: &[EventKind],
    field: &str,
    index: usize,
    known: &K,
) -> Result<(), AppendError> {
    let invalid = |message: String| AppendError::Invalid { index, error: FieldError::new(field, message) };
    match known.event(id)? {
        None => Err(invalid(format!(
            "event {id} does not exist; refer only to events already in the log or earlier in this batch"
        ))),
        Some(info) if !kinds.is_empty() && !kinds.contains(&info.kind) => Err(invalid(format!(
            "event {id} is a {}, expected {}",
            info.kind.name(),
            kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(" or ")
        ))),
        Some(_) => Ok(()),
    }
}

/// The kind that starts a stream of `cat`, for the message that asks for it.
fn creator_of(cat: Category) -> String {
    EventKind::ALL
        .iter()
        .find(|k| k.stream_rule() == StreamRule::Creates(cat))
        .map(|k| k.name().to_string())
        .unwrap_or_else(|| format!("any event on a `{}:` stream", cat.as_str()))
}

/// The digest that tells a retry of an event from a different event with the same id. It covers
/// what the client said, not what the store added (position, time).
fn content_digest(ev: &NewEvent, payload_json: &str) -> [u8; 32] {
    let mut h = blake3::Hasher::new_derive_key("parlog 2026-11 append content v1");
    let mut field = |b: &[u8]| {
        h.update(&(b.len() as u64).to_be_bytes());
        h.update(b);
    };
    field(ev.stream.as_str().as_bytes());
    field(ev.event.kind().name().as_bytes());
    field(payload_json.as_bytes());
    field(ev.occurred_at.to_string().as_bytes());
    field(ev.author.as_str().as_bytes());
    for c in &ev.causation {
        field(c.0.as_bytes());
    }
    if let Some(s) = &ev.sealed {
        for subj in &s.subjects {
            field(subj.as_str().as_bytes());
        }
    }
    *h.finalize().as_bytes()
}

/// What accepted events change in what is known: the layer an [`Overlay`] or a [`MemoryLog`]
/// answers from before it asks below.
#[derive(Debug, Default, Clone)]
pub struct Changes {
    head: Option<Head>,
    versions: HashMap<StreamId, u64>,
    ids: HashMap<EventId, KnownEvent>,
    keys: HashMap<SubjectId, SubjectKey>,
    forgotten: HashMap<SubjectId, Position>,
}

impl Changes {
    fn apply(&mut self, s: &Staged) {
        let e = &s.event;
        self.head = Some(Head { position: e.position, hash: e.hash });
        self.versions.insert(e.stream.clone(), e.stream_version);
        self.ids.insert(e.id, KnownEvent::of(e, s.retry));
        self.keys.extend(s.new_keys.iter().cloned());
        if let Some(subject) = &s.forgets {
            self.forgotten.insert(subject.clone(), e.position);
        }
    }

    fn absorb(&mut self, later: Changes) {
        if later.head.is_some() {
            self.head = later.head;
        }
        self.versions.extend(later.versions);
        self.ids.extend(later.ids);
        self.keys.extend(later.keys);
        self.forgotten.extend(later.forgotten);
    }
}

/// Accepted events that are not committed yet, over what a store knows.
pub struct Overlay<'a, K: Known + ?Sized> {
    base: &'a K,
    changes: Changes,
}

impl<'a, K: Known + ?Sized> Overlay<'a, K> {
    pub fn new(base: &'a K) -> Self {
        Overlay { base, changes: Changes::default() }
    }

    /// Adds an accepted event.
    pub fn apply(&mut self, staged: &Staged) {
        self.changes.apply(staged);
    }

    /// Adds the changes of a batch decided over this overlay (see [`decide_batch`]).
    pub fn absorb(&mut self, changes: Changes) {
        self.changes.absorb(changes);
    }
}

impl<K: Known + ?Sized> Known for Overlay<'_, K> {
    fn head(&self) -> Head {
        self.changes.head.unwrap_or_else(|| self.base.head())
    }
    fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        match self.changes.versions.get(stream) {
            Some(v) => Ok(*v),
            None => self.base.stream_version(stream),
        }
    }
    fn event(&self, id: EventId) -> Result<Option<KnownEvent>, StoreError> {
        match self.changes.ids.get(&id) {
            Some(e) => Ok(Some(e.clone())),
            None => self.base.event(id),
        }
    }
    fn subject_key(&self, subject: &SubjectId) -> Result<Option<SubjectKey>, StoreError> {
        match self.changes.keys.get(subject) {
            Some(k) => Ok(Some(*k)),
            None => self.base.subject_key(subject),
        }
    }
    fn forgotten(&self, subject: &SubjectId) -> Result<Option<Position>, StoreError> {
        match self.changes.forgotten.get(subject) {
            Some(p) => Ok(Some(*p)),
            None => self.base.forgotten(subject),
        }
    }
}

/// A log in memory: the events decided so far and what they make known. The plain model of a
/// store, for tests of the rules and of backends.
#[derive(Debug, Default, Clone)]
pub struct MemoryLog {
    changes: Changes,
    events: Vec<Staged>,
}

impl MemoryLog {
    pub fn new() -> MemoryLog {
        MemoryLog::default()
    }

    /// Decides a batch and, if it is accepted, adds its new events.
    pub fn append(&mut self, batch: Vec<NewEvent>, env: &mut impl Env) -> Result<Vec<Appended>, AppendError> {
        let (decided, _) = decide_batch(batch, self, env)?;
        Ok(decided
            .into_iter()
            .map(|d| {
                let a = d.appended();
                if let Decided::New(s) = d {
                    self.apply(s);
                }
                a
            })
            .collect())
    }

    /// Adds an accepted event: it must continue the log. A `SubjectForgotten` destroys the
    /// subject's key, as a store does once the event is durable.
    pub fn apply(&mut self, staged: Staged) {
        let head = self.head();
        assert_eq!(
            (staged.event.position.0, staged.event.prev_hash),
            (head.position.0 + 1, head.hash),
            "an applied event continues the log"
        );
        self.changes.apply(&staged);
        if let Some(subject) = &staged.forgets {
            self.changes.keys.remove(subject);
        }
        self.events.push(staged);
    }

    /// The events, in log order.
    pub fn events(&self) -> &[Staged] {
        &self.events
    }
}

impl Known for MemoryLog {
    fn head(&self) -> Head {
        self.changes.head.unwrap_or(Head { position: Position(0), hash: Hash::ZERO })
    }
    fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        Ok(self.changes.versions.get(stream).copied().unwrap_or(0))
    }
    fn event(&self, id: EventId) -> Result<Option<KnownEvent>, StoreError> {
        Ok(self.changes.ids.get(&id).cloned())
    }
    fn subject_key(&self, subject: &SubjectId) -> Result<Option<SubjectKey>, StoreError> {
        Ok(self.changes.keys.get(subject).copied())
    }
    fn forgotten(&self, subject: &SubjectId) -> Result<Option<Position>, StoreError> {
        Ok(self.changes.forgotten.get(subject).copied())
    }
}
