//! The envelope: what a client submits ([`NewEvent`]), what the store keeps ([`RecordedEvent`]),
//! the versioned binary stored form and the hash that chains events.
//!
//! The stored form is private to the store and versioned by its first byte; the JSON wire form
//! (see [`RecordedEvent::to_wire`]) is a separate, versioned API form.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::events::{DomainEvent, EventKind, FieldError};
use crate::ids::{EventId, Hash, ParticipantId, Position, StreamId, SubjectId};
use crate::limits::{SEALED_BYTES_MAX, SEALED_CIPHERTEXT_BYTES_MAX, SUBJECTS_PER_EVENT_MAX};
use crate::values::{List, LongText, ShortText, Timestamp};

/// Personal data of an event, encrypted per data subject before it reaches the disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealedData {
    /// The free text of a note or an excerpt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<LongText>,
    /// Words of residents or others, as said.
    #[serde(default, skip_serializing_if = "List::is_empty")]
    pub quotes: List<LongText>,
    /// Real names of the people involved.
    #[serde(default, skip_serializing_if = "List::is_empty")]
    pub names: List<ShortText>,
}

/// The sealed part as submitted: whose data it is and the data.
#[derive(Debug, Clone, PartialEq)]
pub struct SealedInput {
    pub subjects: Vec<SubjectId>,
    pub data: SealedData,
}

/// An event as submitted, checked for shape but not yet against the log.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub id: EventId,
    pub stream: StreamId,
    pub event: DomainEvent,
    pub occurred_at: Timestamp,
    pub author: ParticipantId,
    pub causation: Vec<EventId>,
    /// The stream's version before this event; `Some(0)` means the stream must not exist.
    pub expected_version: Option<u64>,
    pub sealed: Option<SealedInput>,
}

/// Wire form of a submitted event (version 1), shared by the CLI's NDJSON and the HTTP API.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireNewEvent {
    #[serde(default)]
    id: Option<EventId>,
    stream: StreamId,
    kind: String,
    occurred_at: Timestamp,
    #[serde(default)]
    author: Option<ParticipantId>,
    #[serde(default)]
    causation: List<EventId>,
    #[serde(default)]
    expected_version: Option<u64>,
    payload: serde_json::Value,
    #[serde(default)]
    sealed: Option<WireSealed>,
}

fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireSealed {
    #[serde(default)]
    subjects: Option<Vec<SubjectId>>,
    #[serde(default)]
    text: Option<LongText>,
    #[serde(default)]
    quotes: List<LongText>,
    #[serde(default)]
    names: List<ShortText>,
}

/// Who is appending: the author written into every event of the batch. `Fixed` comes from an
/// authenticated caller and may not be contradicted by the body; `FromBody` lets the body say.
#[derive(Debug, Clone)]
pub enum AuthorSource<'a> {
    Fixed(&'a ParticipantId),
    /// The body's author if it gives one, else this one.
    Default(&'a ParticipantId),
    FromBody,
}

impl NewEvent {
    /// Parses one submitted event from its JSON wire form.
    pub fn from_json(json: &str, author: &AuthorSource<'_>) -> Result<NewEvent, FieldError> {
        // A well-formed event parses straight into its wire form. Anything else (or what the
        // direct parse refuses, such as a repeated field) goes the careful way below, whose
        // messages name the field; its verdict is the answer.
        match serde_json::from_str::<WireNewEvent>(json) {
            Ok(wire) => NewEvent::from_wire(wire, author),
            Err(_) => NewEvent::from_json_checked(json, author),
        }
    }

    fn from_json_checked(json: &str, author: &AuthorSource<'_>) -> Result<NewEvent, FieldError> {
        // Check the JSON and its outer shape first, so that the messages say what is wrong in
        // terms of the input rather than of our types.
        let value: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| FieldError::new("event", format!("not valid JSON: {e}; an event is one JSON object")))?;
        if !value.is_object() {
            return Err(FieldError::new(
                "event",
                format!(
                    "expected an event as a JSON object such as {{\"stream\": \"notes:makelaar-1\", \"kind\": \"ObservationRecorded\", \"occurred_at\": \"2018-01-01T09:00:00+01:00\", \"payload\": {{}}}}, got {}",
                    json_type(&value)
                ),
            ));
        }
        let wire: WireNewEvent = serde_path_to_error::deserialize(&value).map_err(|e| {
            let path = e.path().to_string();
            let top = path == ".";
            let field = if top { "event".to_string() } else { path };
            let msg = e.into_inner().to_string();
            if top && msg.starts_with("missing field") {
                return FieldError::new(field, format!("{msg}; an event needs stream, kind, occurred_at and payload (and author, unless it comes from your token)"));
            }
            FieldError::new(field, msg)
        })?;
        NewEvent::from_wire(wire, author)
    }

    fn from_wire(wire: WireNewEvent, author: &AuthorSource<'_>) -> Result<NewEvent, FieldError> {
        let kind = EventKind::parse(&wire.kind).map_err(|m| FieldError::new("kind", m))?;
        let event = DomainEvent::parse_value(kind, &wire.payload)?;
        let author = match (author, wire.author) {
            (AuthorSource::Fixed(fixed), Some(given)) if &given != *fixed => {
                return Err(FieldError::new(
                    "author",
                    format!("the author is taken from your token ({fixed}); leave the field out or set it to {fixed}, not {given}"),
                ))
            }
            (AuthorSource::Fixed(fixed), _) => (*fixed).clone(),
            (AuthorSource::Default(_) | AuthorSource::FromBody, Some(given)) => given,
            (AuthorSource::Default(d), None) => (*d).clone(),
            (AuthorSource::FromBody, None) => {
                return Err(FieldError::new("author", "missing: give the participant id of who wrote it, such as \"makelaar-noord-1\""))
            }
        };
        let sealed = wire.sealed.map(|s| seal_input(s, &author)).transpose()?;
        Ok(NewEvent {
            id: wire.id.unwrap_or_else(EventId::new_random),
            stream: wire.stream,
            event,
            occurred_at: wire.occurred_at,
            author,
            causation: wire.causation.0,
            expected_version: wire.expected_version,
            sealed,
        })
    }
}

fn seal_input(s: WireSealed, author: &ParticipantId) -> Result<SealedInput, FieldError> {
    let data = SealedData { text: s.text, quotes: s.quotes, names: s.names };
    if data.text.is_none() && data.quotes.is_empty() && data.names.is_empty() {
        return Err(FieldError::new(
            "sealed",
            "a sealed part needs at least one of text, quotes, names; leave `sealed` out if there is nothing personal",
        ));
    }
    // The author is a data subject of what they write unless the client names the subjects.
    let subjects = s.subjects.unwrap_or_else(|| vec![SubjectId::for_participant(author)]);
    if subjects.is_empty() || subjects.len() > SUBJECTS_PER_EVENT_MAX {
        return Err(FieldError::new(
            "sealed.subjects",
            format!("expected 1 to {SUBJECTS_PER_EVENT_MAX} data subjects, got {}", subjects.len()),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, s) in subjects.iter().enumerate() {
        if !seen.insert(s) {
            return Err(FieldError::new(format!("sealed.subjects[{i}]"), format!("{s} is named twice")));
        }
    }
    let bytes = serde_json::to_vec(&data).expect("sealed data serialises").len();
    if bytes > SEALED_BYTES_MAX {
        return Err(FieldError::new(
            "sealed",
            format!("sealed data is {bytes} bytes, over the limit of {SEALED_BYTES_MAX}; split the note"),
        ));
    }
    Ok(SealedInput { subjects, data })
}

/// What the envelope says about the sealed part; the ciphertext itself is kept apart so that
/// forgetting can destroy it while the chain stays verifiable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedMeta {
    pub subjects: Vec<SubjectId>,
    pub nonce: [u8; 24],
    /// blake3 of the ciphertext: the chain covers this, not the ciphertext.
    pub digest: Hash,
    pub ciphertext_bytes: u32,
}

/// An event as stored, with its place in the log and its hash.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    pub position: Position,
    pub stream_version: u64,
    pub id: EventId,
    pub stream: StreamId,
    pub kind: EventKind,
    pub schema_version: u16,
    pub recorded_at: Timestamp,
    pub occurred_at: Timestamp,
    pub author: ParticipantId,
    pub causation: Vec<EventId>,
    /// The open payload as normalised JSON.
    pub payload: String,
    pub sealed: Option<SealedMeta>,
    pub prev_hash: Hash,
    pub hash: Hash,
}

/// The first byte of every stored record.
pub const RECORD_FORMAT_V1: u8 = 1;
const HASH_CONTEXT: &str = "parlog 2026-11 event chain v1";

/// A stored record that cannot be read: the store is damaged or was written by a newer parlog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record cannot be decoded: {0}")]
pub struct DecodeError(pub String);

impl RecordedEvent {
    /// The typed payload. Upcasting of older schema versions happens here, on read; stored bytes
    /// are never rewritten.
    pub fn domain(&self) -> Result<DomainEvent, FieldError> {
        if self.schema_version != self.kind.schema_version() {
            return Err(FieldError::new(
                "schema_version",
                format!(
                    "{} version {} is not known to this parlog (it knows version {})",
                    self.kind.name(),
                    self.schema_version,
                    self.kind.schema_version()
                ),
            ));
        }
        DomainEvent::parse(self.kind, &self.payload)
    }

    /// The stored form: everything but the hash, then the hash over it.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.encode_unhashed();
        out.extend_from_slice(&self.hash.0);
        out
    }

    /// Sets the hash from the content and returns the stored form, encoding once.
    pub fn hash_and_encode(&mut self) -> Vec<u8> {
        let mut out = self.encode_unhashed();
        let mut h = blake3::Hasher::new_derive_key(HASH_CONTEXT);
        h.update(&out);
        self.hash = Hash(*h.finalize().as_bytes());
        out.extend_from_slice(&self.hash.0);
        out
    }

    /// The hash this event must have: blake3 over position, previous hash, the envelope, the
    /// open payload and the digest of the sealed ciphertext, i.e. every stored byte but itself.
    pub fn compute_hash(&self) -> Hash {
        let mut h = blake3::Hasher::new_derive_key(HASH_CONTEXT);
        h.update(&self.encode_unhashed());
        Hash(*h.finalize().as_bytes())
    }

    fn encode_unhashed(&self) -> Vec<u8> {
        let mut w = Vec::with_capacity(256 + self.payload.len());
        w.push(RECORD_FORMAT_V1);
        w.extend_from_slice(&self.position.0.to_be_bytes());
        w.extend_from_slice(&self.stream_version.to_be_bytes());
        w.extend_from_slice(self.id.0.as_bytes());
        w.extend_from_slice(&self.recorded_at.micros().to_be_bytes());
        w.extend_from_slice(&self.recorded_at.offset_secs().to_be_bytes());
        w.extend_from_slice(&self.occurred_at.micros().to_be_bytes());
        w.extend_from_slice(&self.occurred_at.offset_secs().to_be_bytes());
        put_str(&mut w, self.kind.name());
        w.extend_from_slice(&self.schema_version.to_be_bytes());
        put_str(&mut w, self.stream.as_str());
        put_str(&mut w, self.author.as_str());
        w.extend_from_slice(&(self.causation.len() as u32).to_be_bytes());
        for c in &self.causation {
            w.extend_from_slice(c.0.as_bytes());
        }
        w.extend_from_slice(&(self.payload.len() as u32).to_be_bytes());
        w.extend_from_slice(self.payload.as_bytes());
        match &self.sealed {
            None => w.push(0),
            Some(s) => {
                w.push(1);
                w.push(s.subjects.len() as u8);
                for subj in &s.subjects {
                    put_str(&mut w, subj.as_str());
                }
                w.extend_from_slice(&s.nonce);
                w.extend_from_slice(&s.digest.0);
                w.extend_from_slice(&s.ciphertext_bytes.to_be_bytes());
            }
        }
        w.extend_from_slice(&self.prev_hash.0);
        w
    }

    /// Reads a stored record. Checks structure only; [`RecordedEvent::compute_hash`] checks
    /// content.
    pub fn decode(bytes: &[u8]) -> Result<RecordedEvent, DecodeError> {
        let (e, used) = RecordedEvent::decode_prefix(bytes)?;
        if used != bytes.len() {
            return Err(DecodeError(format!("{} trailing bytes", bytes.len() - used)));
        }
        Ok(e)
    }

    fn decode_prefix(bytes: &[u8]) -> Result<(RecordedEvent, usize), DecodeError> {
        let mut r = Reader { b: bytes, at: 0 };
        let format = r.u8()?;
        if format != RECORD_FORMAT_V1 {
            return Err(DecodeError(format!("unknown record format {format}")));
        }
        let position = Position(r.u64()?);
        let stream_version = r.u64()?;
        let id = EventId(uuid::Uuid::from_bytes(r.array::<16>()?));
        let recorded_at = r.timestamp()?;
        let occurred_at = r.timestamp()?;
        let kind = EventKind::parse(r.str()?).map_err(DecodeError)?;
        let schema_version = r.u16()?;
        let stream = StreamId::parse(r.str()?).map_err(DecodeError)?;
        let author = ParticipantId::parse(r.str()?).map_err(DecodeError)?;
        let n = r.u32()? as usize;
        if n > crate::limits::LIST_ITEMS_MAX {
            return Err(DecodeError(format!("{n} causation references")));
        }
        let mut causation = Vec::with_capacity(n);
        for _ in 0..n {
            causation.push(EventId(uuid::Uuid::from_bytes(r.array::<16>()?)));
        }
        let len = r.u32()? as usize;
        let payload =
            std::str::from_utf8(r.take(len)?).map_err(|_| DecodeError("payload is not UTF-8".into()))?.to_string();
        let sealed = match r.u8()? {
            0 => None,
            1 => {
                let n = r.u8()? as usize;
                let mut subjects = Vec::with_capacity(n);
                for _ in 0..n {
                    subjects.push(SubjectId::parse(r.str()?).map_err(DecodeError)?);
                }
                Some(SealedMeta {
                    subjects,
                    nonce: r.array::<24>()?,
                    digest: Hash(r.array::<32>()?),
                    ciphertext_bytes: r.u32()?,
                })
            }
            f => return Err(DecodeError(format!("bad sealed flag {f}"))),
        };
        let prev_hash = Hash(r.array::<32>()?);
        let hash = Hash(r.array::<32>()?);
        let used = r.at;
        Ok((
            RecordedEvent {
                position,
                stream_version,
                id,
                stream,
                kind,
                schema_version,
                recorded_at,
                occurred_at,
                author,
                causation,
                payload,
                sealed,
                prev_hash,
                hash,
            },
            used,
        ))
    }

    /// The JSON wire form (API version 1): the envelope with the open payload inline. The
    /// ciphertext is not part of it; see the export for that.
    pub fn to_wire(&self) -> Value {
        // A record whose payload is not JSON was changed on disk (with its frame's check made to
        // match): show that, rather than fail the whole page; `verify` names the position.
        let payload: Value = serde_json::from_str(&self.payload)
            .unwrap_or_else(|_| serde_json::json!({"damaged": "the stored payload is not JSON"}));
        let mut v = serde_json::json!({
            "position": self.position.0,
            "id": self.id,
            "stream": self.stream,
            "stream_version": self.stream_version,
            "kind": self.kind.name(),
            "schema_version": self.schema_version,
            "recorded_at": self.recorded_at,
            "occurred_at": self.occurred_at,
            "author": self.author,
            "causation": self.causation,
            "payload": payload,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        });
        if let Some(s) = &self.sealed {
            v["sealed"] = serde_json::json!({
                "subjects": s.subjects,
                "nonce": hex(&s.nonce),
                "digest": s.digest,
                "ciphertext_bytes": s.ciphertext_bytes,
            });
        }
        v
    }

    /// Rebuilds an event from its wire form (as written by [`RecordedEvent::to_wire`]), for
    /// import. The caller checks the hash.
    pub fn from_wire(v: &Value) -> Result<RecordedEvent, String> {
        #[derive(Deserialize)]
        struct W {
            position: u64,
            id: EventId,
            stream: StreamId,
            stream_version: u64,
            kind: String,
            schema_version: u16,
            recorded_at: Timestamp,
            occurred_at: Timestamp,
            author: ParticipantId,
            causation: Vec<EventId>,
            payload: Value,
            #[serde(default)]
            sealed: Option<WS>,
            prev_hash: Hash,
            hash: Hash,
        }
        #[derive(Deserialize)]
        struct WS {
            subjects: Vec<SubjectId>,
            nonce: String,
            digest: Hash,
            ciphertext_bytes: u32,
        }
        let w: W = serde_path_to_error::deserialize(v).map_err(|e| format!("field `{}`: {}", e.path(), e.inner()))?;
        // The limits an append has, so that an import cannot store what an append could not.
        if w.causation.len() > crate::limits::LIST_ITEMS_MAX {
            return Err(format!(
                "field `causation`: {} references, over the limit of {}",
                w.causation.len(),
                crate::limits::LIST_ITEMS_MAX
            ));
        }
        let sealed = match w.sealed {
            None => None,
            Some(s) => {
                if s.subjects.is_empty() || s.subjects.len() > SUBJECTS_PER_EVENT_MAX {
                    return Err(format!(
                        "field `sealed.subjects`: expected 1 to {SUBJECTS_PER_EVENT_MAX} data subjects, got {}",
                        s.subjects.len()
                    ));
                }
                if s.ciphertext_bytes as usize > SEALED_CIPHERTEXT_BYTES_MAX {
                    return Err(format!(
                        "field `sealed.ciphertext_bytes`: {} bytes, over the limit of {SEALED_CIPHERTEXT_BYTES_MAX}",
                        s.ciphertext_bytes
                    ));
                }
                let nonce = unhex(&s.nonce)
                    .and_then(|b| <[u8; 24]>::try_from(b).ok())
                    .ok_or("field `sealed.nonce`: expected 48 hexadecimal digits")?;
                Some(SealedMeta { subjects: s.subjects, nonce, digest: s.digest, ciphertext_bytes: s.ciphertext_bytes })
            }
        };
        Ok(RecordedEvent {
            position: Position(w.position),
            stream_version: w.stream_version,
            id: w.id,
            stream: w.stream,
            kind: EventKind::parse(&w.kind)?,
            schema_version: w.schema_version,
            recorded_at: w.recorded_at,
            occurred_at: w.occurred_at,
            author: w.author,
            causation: w.causation,
            payload: crate::events::canonical_json(&w.payload),
            sealed,
            prev_hash: w.prev_hash,
            hash: w.hash,
        })
    }
}

pub(crate) fn hex(b: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(DIGITS[(x >> 4) as usize] as char);
        s.push(DIGITS[(x & 15) as usize] as char);
    }
    s
}

pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

fn put_str(w: &mut Vec<u8>, s: &str) {
    let len = u16::try_from(s.len()).expect("ids and kind names are short");
    w.extend_from_slice(&len.to_be_bytes());
    w.extend_from_slice(s.as_bytes());
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.b.len())
            .ok_or_else(|| DecodeError(format!("truncated: wanted {n} bytes at offset {}", self.at)))?;
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        Ok(self.take(N)?.try_into().expect("take returns N bytes"))
    }
    fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
    fn str(&mut self) -> Result<&'a str, DecodeError> {
        let n = self.u16()? as usize;
        std::str::from_utf8(self.take(n)?).map_err(|_| DecodeError("text is not UTF-8".into()))
    }
    fn timestamp(&mut self) -> Result<Timestamp, DecodeError> {
        let micros = i64::from_be_bytes(self.array()?);
        let off = i32::from_be_bytes(self.array()?);
        Timestamp::from_parts(micros, off).ok_or_else(|| DecodeError("timestamp out of range".into()))
    }
}
