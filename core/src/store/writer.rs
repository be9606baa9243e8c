//! The single writer: it alone assigns positions, so they are gapless and in commit order.
//!
//! Durability contract (also in ARCHITECTURE.md). Appends queue up; the writer takes all that
//! are waiting (up to `GROUP_COMMIT_EVENTS_MAX` events), checks each batch against the log and
//! the batches before it in the group, and commits the accepted ones together:
//! 1. new subject keys are appended to the key file and fdatasync'ed;
//! 2. the group's event frames and a commit frame naming the new chain head are written to the
//!    end of the log file in one write, and the log is fdatasync'ed;
//! 3. only then is the group published: its index entries are added to the index tail (a chunk
//!    that fills goes to sled, which writes it out in the background) and to the lookups, the
//!    visible head advances so that readers and subscribers see the events, and the appenders are
//!    answered. Then the writer takes the next group.
//!
//! A crash before step 2 ends loses the whole group, none of which was acknowledged: on open,
//! frames after the last commit frame are cut off. Index entries a crash lost are rebuilt from
//! the log on open. If a write, sync or index update fails the store refuses all later work:
//! after a failed fsync the kernel may have dropped dirty pages, so only a restart, which
//! recovers from what is on disk, is safe.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::index::{self as ix, Entry, Lookup};
use super::log::{Frame, LogFile, INDEX_BYTES};
use super::sled_store::{entry_of, forgotten_by, index_group, ImportReport, ImportedEvent, Loaded, Shared};
use super::{AppendError, Appended, ForgetError, Head, StoreError};
use crate::envelope::{NewEvent, RecordedEvent, SealedMeta};
use crate::events::{DomainEvent, EventKind, FieldError, StreamRule, SubjectForgotten};
use crate::ids::{Category, EventId, Hash, ParticipantId, Position, StreamId, SubjectId};
use crate::limits::{
    BATCH_EVENTS_MAX, DISK_FREE_BYTES_MIN, GROUP_COMMIT_EVENTS_MAX, PAGE_EVENTS_MAX, RECORD_BYTES_MAX,
};
use crate::seal::{self, SUBJECT_KEY_BYTES};
use crate::values::{LongText, Timestamp};

type Key = [u8; SUBJECT_KEY_BYTES];

type AppendReply = oneshot::Sender<Result<Vec<Appended>, AppendError>>;

pub(crate) enum Request {
    Append {
        batch: Vec<NewEvent>,
        reply: oneshot::Sender<Result<Vec<Appended>, AppendError>>,
    },
    Forget {
        subject: SubjectId,
        by: ParticipantId,
        reason: Option<LongText>,
        reply: oneshot::Sender<Result<Appended, ForgetError>>,
    },
    Import {
        events: Vec<ImportedEvent>,
        keys: Vec<(SubjectId, Key)>,
        reply: oneshot::Sender<Result<ImportReport, AppendError>>,
    },
}

/// What is known about an event id of the group being built, or of a stored event.
#[derive(Clone)]
struct IdInfo {
    position: Position,
    stream_version: u64,
    kind: EventKind,
    stream: StreamId,
    digest: [u8; 32],
    mac: [u8; 32],
}

/// Changes made by accepted but not yet committed batches.
#[derive(Default)]
struct Overlay {
    versions: HashMap<StreamId, u64>,
    ids: HashMap<EventId, IdInfo>,
    keys: HashMap<SubjectId, Key>,
    new_keys: Vec<(SubjectId, Key)>,
    forgotten: HashMap<SubjectId, Position>,
    /// Accepted events in order, with their record bytes, waiting for the group's commit.
    staged: Vec<(Loaded, Vec<u8>)>,
    events: u64,
    last_hash: Option<Hash>,
}

impl Overlay {
    fn absorb(&mut self, tx: Overlay) {
        self.versions.extend(tx.versions);
        self.ids.extend(tx.ids);
        self.keys.extend(tx.keys);
        self.new_keys.extend(tx.new_keys);
        self.forgotten.extend(tx.forgotten);
        self.staged.extend(tx.staged);
        self.events += tx.events;
        if tx.last_hash.is_some() {
            self.last_hash = tx.last_hash;
        }
    }
}

/// A synced group, to be published.
struct Published {
    entries: Vec<Entry>,
    forgotten: Vec<(SubjectId, Position)>,
    head: Head,
    log_end: u64,
    acks: Vec<(AppendReply, Vec<Appended>)>,
}

pub(crate) struct Writer {
    shared: Arc<Shared>,
    /// Stream versions, kept so that hot streams cost no lookup.
    versions: HashMap<StreamId, u64>,
    /// Every forgotten subject and the position of its forget event (few; loaded at start).
    forgotten: HashMap<SubjectId, Position>,
    /// The head as written and synced (and, once `commit` returns, published).
    written: Head,
    /// The end of the synced log, where the next group goes.
    write_end: u64,
    /// A failed write whose leftovers could not be scrubbed yet; `true` if the disk was full.
    pending_scrub: Option<bool>,
}

/// The writer's loop, on its own thread, until the store closes.
pub(crate) fn run(mut w: Writer, mut rx: mpsc::Receiver<Request>) {
    let mut held: Option<Request> = None;
    loop {
        let first = match held.take() {
            Some(r) => r,
            None => match rx.blocking_recv() {
                Some(r) => r,
                None => break,
            },
        };
        if let Err(e) = w.try_recover() {
            refuse(first, e);
            continue;
        }
        match first {
            Request::Append { batch, reply } => {
                let mut appends = vec![(batch, reply)];
                let mut events = appends[0].0.len();
                while events < GROUP_COMMIT_EVENTS_MAX {
                    match rx.try_recv() {
                        Ok(Request::Append { batch, reply }) => {
                            events += batch.len();
                            appends.push((batch, reply));
                        }
                        Ok(other) => {
                            held = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                w.commit_appends(appends);
            }
            Request::Forget { subject, by, reason, reply } => {
                let _ = reply.send(w.forget(&subject, &by, reason));
            }
            Request::Import { events, keys, reply } => {
                let _ = reply.send(w.import(events, keys));
            }
        }
    }
    // Every queued append was answered: the loop ends when the queue is closed and empty.
    drop(w);
}

fn refuse(r: Request, e: StoreError) {
    match r {
        Request::Append { reply, .. } => drop(reply.send(Err(e.into()))),
        Request::Forget { reply, .. } => drop(reply.send(Err(e.into()))),
        Request::Import { reply, .. } => drop(reply.send(Err(e.into()))),
    }
}

/// Whether a store error is an I/O error that says the disk (or a quota) is full.
fn is_disk_full(e: &StoreError) -> bool {
    matches!(e, StoreError::Io(io) if io_full(io))
}

fn io_full(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT)) || e.kind() == std::io::ErrorKind::StorageFull
}

/// Adds a synced group's index entries to the tail (a full chunk goes to sled) and to the
/// lookups that are built.
fn publish_index(shared: &Shared, g: &Published) -> Result<(), StoreError> {
    if g.entries.is_empty() && g.forgotten.is_empty() {
        return Ok(());
    }
    let mut tail = shared.tail.lock().expect("tail lock");
    let mut batch = sled::Batch::default();
    if index_group(&mut tail, &g.entries, &g.forgotten, &mut batch) {
        shared.db.apply_batch(batch)?;
    }
    if let Some(m) = shared.ids.lock().expect("lookup lock").as_mut() {
        g.entries.iter().for_each(|e| m.add(e));
    }
    if let Some(m) = shared.streams.lock().expect("lookup lock").as_mut() {
        g.entries.iter().for_each(|e| m.add(e));
    }
    Ok(())
}

/// Step 3 of the durability contract for one synced group.
fn publish_group(shared: &Shared, g: Published) {
    let applied =
        if shared.failed.load(Ordering::Acquire) { Err(StoreError::Failed) } else { publish_index(shared, &g) };
    match applied {
        Ok(()) => {
            // Readers find the index entries before they learn of the new head.
            shared.log_end.store(g.log_end, Ordering::Release);
            *shared.head.lock().expect("head lock") = g.head;
            shared.durable.store(g.head.position.0, Ordering::Release);
            shared.head_tx.send_replace(g.head.position.0);
            for (reply, result) in g.acks {
                let _ = reply.send(Ok(result));
            }
        }
        Err(e) => {
            // The group is durable in the log but not indexed: only reopening (which indexes it
            // from the log) is safe now. A retry by id after that finds it.
            shared.failed.store(true, Ordering::Release);
            let full = matches!(&e, StoreError::Sled(sled::Error::Io(io)) if io_full(io));
            let msg = e.to_string();
            for (reply, _) in g.acks {
                let err = if full {
                    StoreError::Full(msg.clone())
                } else {
                    StoreError::Io(std::io::Error::other(msg.clone()))
                };
                let _ = reply.send(Err(err.into()));
            }
        }
    }
}

impl Writer {
    /// Prepares the writer on the opening thread, so that a failure is the open's error.
    pub(crate) fn start(shared: Arc<Shared>) -> Result<Writer, StoreError> {
        let forgotten = forgotten_subjects(&shared)?;
        let written = *shared.head.lock().expect("head lock");
        let write_end = shared.log_end.load(Ordering::Acquire);
        Ok(Writer { shared, versions: HashMap::new(), forgotten, written, write_end, pending_scrub: None })
    }

    /// After a failed group write (or key append): overwrite what the write may have left past
    /// the end of the log with zeros, and sync. If that works, disk and page cache agree again
    /// that the log ends at its last commit, and the writer goes on: a full disk costs the
    /// refused group, not a restart. If not, the store refuses work until a later request finds
    /// that it works (see [`Writer::try_recover`]).
    fn scrub_after_failure(&mut self, full: bool) {
        let end = self.write_end;
        match self.shared.log.scrub(end, u64::MAX) {
            Ok(()) => self.pending_scrub = None,
            Err(_) => {
                self.pending_scrub = Some(full);
                self.shared.failed.store(true, Ordering::Release);
            }
        }
    }

    /// Whether the store may take work again: it has not failed, or it failed in a way that a
    /// scrub mends and the scrub works now (the disk has space again). A failure to index or
    /// publish a durable group is not mended here: only reopening, which rebuilds the indexes
    /// from the log, is.
    pub(crate) fn try_recover(&mut self) -> Result<(), StoreError> {
        if !self.shared.failed.load(Ordering::Acquire) {
            return Ok(());
        }
        let Some(full) = self.pending_scrub else { return Err(StoreError::Failed) };
        match self.shared.log.scrub(self.write_end, u64::MAX) {
            Ok(()) => {
                self.pending_scrub = None;
                self.shared.failed.store(false, Ordering::Release);
                Ok(())
            }
            Err(e) if full || io_full(&e) => Err(StoreError::Full(e.to_string())),
            Err(_) => Err(StoreError::Failed),
        }
    }

    /// Refuses work once the store has failed (see the top of this file).
    fn healthy(&self) -> Result<(), StoreError> {
        if self.shared.failed.load(Ordering::Acquire) {
            return Err(StoreError::Failed);
        }
        Ok(())
    }

    fn commit_appends(&mut self, appends: Vec<(Vec<NewEvent>, AppendReply)>) {
        let head = self.written;
        let mut group = Overlay::default();
        let mut accepted = Vec::new();
        for (batch, reply) in appends {
            match self.check_batch(batch, head, &group) {
                Ok((tx, result)) => {
                    group.absorb(tx);
                    accepted.push((reply, result));
                }
                Err(e) => drop(reply.send(Err(e))),
            }
        }
        if accepted.is_empty() {
            return;
        }
        // Answers that name earlier events (retries) are also given only when the group is
        // published, so that nobody is told of a position before readers can see it. A failure
        // has answered every appender of the group and stops the store.
        let _ = self.commit(group, accepted);
    }

    /// Steps 1 and 2 of the durability contract for the accepted batches of a group, then step 3.
    /// A group without new events (all retries) is only answered.
    fn commit(&mut self, group: Overlay, acks: Vec<(AppendReply, Vec<Appended>)>) -> Result<(), StoreError> {
        let head = self.written;
        if group.events == 0 {
            let g = Published { entries: Vec::new(), forgotten: Vec::new(), head, log_end: self.write_end, acks };
            return self.publish(g);
        }
        if let Some(free) = self.shared.log.free_bytes().ok().filter(|f| *f < DISK_FREE_BYTES_MIN) {
            let msg = format!(
                "{} MiB are free on the data folder's disk, below the {} MiB parlog keeps free for its indexes and forgets",
                free / (1024 * 1024),
                DISK_FREE_BYTES_MIN / (1024 * 1024)
            );
            for (reply, _) in acks {
                let _ = reply.send(Err(StoreError::Full(msg.clone()).into()));
            }
            return Err(StoreError::Full(msg));
        }
        let entries = match self.write(&group, head) {
            Ok(entries) => entries,
            Err(e) => {
                let full = is_disk_full(&e);
                let msg = e.to_string();
                self.scrub_after_failure(full);
                let answer = || {
                    if full {
                        StoreError::Full(msg.clone())
                    } else {
                        StoreError::Io(std::io::Error::other(msg.clone()))
                    }
                };
                for (reply, _) in acks {
                    let _ = reply.send(Err(answer().into()));
                }
                return Err(answer());
            }
        };
        let new_head =
            Head { position: Position(head.position.0 + group.events), hash: group.last_hash.unwrap_or(head.hash) };
        self.written = new_head;
        self.versions.extend(group.versions);
        let forgotten: Vec<_> = group.forgotten.iter().map(|(s, p)| (s.clone(), *p)).collect();
        self.forgotten.extend(group.forgotten);
        self.publish(Published { entries, forgotten, head: new_head, log_end: self.write_end, acks })
    }

    /// Step 3. On the writer's thread: a second thread to publish on cost more in wake-ups than
    /// the overlap won, once indexing a group became a few hundred nanoseconds per event.
    fn publish(&mut self, g: Published) -> Result<(), StoreError> {
        publish_group(&self.shared, g);
        self.healthy()
    }

    /// Writes a group durably to the log (steps 1 and 2) and returns its index entries.
    fn write(&mut self, group: &Overlay, head: Head) -> Result<Vec<Entry>, StoreError> {
        self.shared.keys.lock().expect("key lock").add(&group.new_keys)?;
        let base = self.write_end;
        let mut frames = Vec::with_capacity(
            group.staged.iter().map(|(l, r)| r.len() + l.ciphertext.as_ref().map_or(0, Vec::len) + 80).sum::<usize>()
                + 64,
        );
        let mut entries = Vec::with_capacity(group.staged.len());
        // The write-side half of the chain assertions (readers check the other half): every
        // event of the group, across its batches, links to the one before, from the head on.
        let (mut prev, mut next) = (head.hash, head.position.0 + 1);
        for (l, record) in &group.staged {
            assert_eq!((l.event.position.0, l.event.prev_hash), (next, prev), "the group continues the chain");
            (prev, next) = (l.event.hash, next + 1);
            entries.push(entry_of(&l.event, base + frames.len() as u64));
            LogFile::encode_event(&mut frames, record, &l.index, l.ciphertext.as_deref().unwrap_or(&[]));
        }
        let pos = head.position.0 + group.events;
        let hash = group.last_hash.expect("events were added");
        LogFile::encode_commit(&mut frames, pos, &hash.0);
        // The durable step: the group and its commit frame reach the disk before anything is
        // acknowledged. The indexes follow in sled and are rebuilt from the log after a crash.
        self.shared.log.write_durable(base, &frames)?;
        debug_assert_eq!(entries.last().map(|e| e.position.0), Some(pos), "the group ends at the new head");
        self.write_end = base + frames.len() as u64;
        Ok(entries)
    }

    fn check_batch(
        &mut self,
        batch: Vec<NewEvent>,
        head: Head,
        group: &Overlay,
    ) -> Result<(Overlay, Vec<Appended>), AppendError> {
        if batch.is_empty() {
            return Err(AppendError::EmptyBatch);
        }
        if batch.len() > BATCH_EVENTS_MAX {
            return Err(AppendError::BatchTooLarge { events: batch.len(), max: BATCH_EVENTS_MAX });
        }
        let mut tx = Overlay::default();
        let mut out = Vec::with_capacity(batch.len());
        for (i, ev) in batch.into_iter().enumerate() {
            let index = i + 1;
            let next = Position(head.position.0 + group.events + tx.events + 1);
            let prev = tx.last_hash.or(group.last_hash).unwrap_or(head.hash);
            out.push(self.check_event(ev, index, next, prev, group, &mut tx, false)?);
        }
        Ok((tx, out))
    }

    fn version(&mut self, s: &StreamId, group: &Overlay, tx: &Overlay) -> Result<u64, StoreError> {
        if let Some(v) = tx.versions.get(s).or_else(|| group.versions.get(s)).or_else(|| self.versions.get(s)) {
            return Ok(*v);
        }
        // Streams the writer wrote to are in `versions`, so the published index has the rest.
        let v = self.shared.stream_version(s)?;
        if v > 0 {
            self.versions.insert(s.clone(), v);
        }
        Ok(v)
    }

    fn id_info(&self, id: EventId, group: &Overlay, tx: &Overlay) -> Result<Option<IdInfo>, StoreError> {
        if let Some(i) = tx.ids.get(&id).or_else(|| group.ids.get(&id)) {
            return Ok(Some(i.clone()));
        }
        let Some(l) = self.shared.find(id)? else { return Ok(None) };
        Ok(Some(IdInfo {
            position: l.event.position,
            stream_version: l.event.stream_version,
            kind: l.event.kind,
            stream: l.event.stream,
            digest: l.index[..32].try_into().expect("32 bytes"),
            mac: l.index[32..].try_into().expect("32 bytes"),
        }))
    }

    fn forgotten_at(&self, s: &SubjectId, group: &Overlay, tx: &Overlay) -> Option<Position> {
        tx.forgotten.get(s).or_else(|| group.forgotten.get(s)).or_else(|| self.forgotten.get(s)).copied()
    }

    fn key_of(&self, s: &SubjectId, group: &Overlay, tx: &Overlay) -> Option<Key> {
        tx.keys
            .get(s)
            .or_else(|| group.keys.get(s))
            .copied()
            .or_else(|| self.shared.keys.lock().expect("key lock").get(s).copied())
    }

    #[allow(clippy::too_many_arguments)]
    fn check_event(
        &mut self,
        mut ev: NewEvent,
        index: usize,
        position: Position,
        prev_hash: Hash,
        group: &Overlay,
        tx: &mut Overlay,
        system: bool,
    ) -> Result<Appended, AppendError> {
        let invalid =
            |field: &str, message: String| AppendError::Invalid { index, error: FieldError::new(field, message) };
        let kind = ev.event.kind();

        // A retried event (same id) is answered with its original place, whatever else changed
        // since; the same id with other content is a conflict.
        let mut payload_json = ev.event.to_json();
        let digest = content_digest(&ev, &payload_json);
        if let Some(info) = self.id_info(ev.id, group, tx)? {
            let mac = match &ev.sealed {
                Some(s) => {
                    s.subjects.iter().map(|s| self.key_of(s, group, tx)).collect::<Option<Vec<_>>>().map(|keys| {
                        let refs: Vec<&Key> = keys.iter().collect();
                        seal::plaintext_mac(ev.id, &refs, &serde_json::to_vec(&s.data).expect("sealed data serialises"))
                    })
                }
                None => Some([0; 32]),
            };
            let same_sealed = mac.is_none_or(|m| m == info.mac); // a forgotten key cannot be compared
            if info.digest == digest && same_sealed {
                return Ok(Appended {
                    id: ev.id,
                    position: info.position,
                    stream_version: info.stream_version,
                    duplicate: true,
                });
            }
            return Err(AppendError::IdConflict { index, id: ev.id, position: info.position });
        }

        // The stream must fit the kind.
        let rule = kind.stream_rule();
        let current = self.version(&ev.stream, group, tx)?;
        match rule {
            StreamRule::System(_) if !system => {
                return Err(invalid(
                    "kind",
                    format!("{} is written by parlog itself; use `parlog forget`", kind.name()),
                ))
            }
            _ => {}
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
            let target = self.check_target(a.target, &ev.stream, index, group, tx)?;
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
            self.check_target(r.target, &ev.stream, index, group, tx)?;
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
            if self.version(s, group, tx)? == 0 {
                return Err(invalid(
                    field,
                    format!("stream {s} does not exist; start it first with {}", creator_of(*cat)),
                ));
            }
        }
        for (field, id, kinds) in &checked_refs.events {
            self.check_event_ref(*id, kinds, field, index, group, tx)?;
        }
        for (i, id) in ev.causation.iter().enumerate() {
            self.check_event_ref(*id, &[], &format!("causation[{i}]"), index, group, tx)?;
        }

        // Seal personal data under the subjects' keys.
        let mut mac = [0u8; 32];
        let mut sealed_meta = None;
        let mut ciphertext = None;
        if let Some(s) = &ev.sealed {
            let mut keys = Vec::with_capacity(s.subjects.len());
            for (j, subj) in s.subjects.iter().enumerate() {
                if let Some(p) = self.forgotten_at(subj, group, tx) {
                    return Err(invalid(
                        &format!("sealed.subjects[{j}]"),
                        format!("data subject {subj} was forgotten (position {p}); its id cannot be used again: give the person a new subject id"),
                    ));
                }
                let key = match self.key_of(subj, group, tx) {
                    Some(key) => key,
                    None => {
                        let key: Key = seal::random_bytes();
                        tx.keys.insert(subj.clone(), key);
                        tx.new_keys.push((subj.clone(), key));
                        key
                    }
                };
                keys.push(key);
            }
            let refs: Vec<&Key> = keys.iter().collect();
            let plain = serde_json::to_vec(&s.data).expect("sealed data serialises");
            let nonce = seal::nonce_for(ev.id);
            let ct = seal::seal(ev.id, &refs, &nonce, &plain);
            mac = seal::plaintext_mac(ev.id, &refs, &plain);
            sealed_meta = Some(SealedMeta {
                subjects: s.subjects.clone(),
                nonce,
                digest: Hash(*blake3::hash(&ct).as_bytes()),
                ciphertext_bytes: ct.len() as u32,
            });
            ciphertext = Some(ct);
        }

        let mut record = RecordedEvent {
            position,
            stream_version: current + 1,
            id: ev.id,
            stream: ev.stream.clone(),
            kind,
            schema_version: kind.schema_version(),
            recorded_at: Timestamp::now_utc(),
            occurred_at: ev.occurred_at,
            author: ev.author.clone(),
            causation: ev.causation.clone(),
            payload: payload_json,
            sealed: sealed_meta,
            prev_hash,
            hash: Hash::ZERO,
        };
        let bytes = record.hash_and_encode();
        if bytes.len() > RECORD_BYTES_MAX {
            return Err(invalid(
                "payload",
                format!("the event is {} bytes, over the limit of {RECORD_BYTES_MAX}; shorten it", bytes.len()),
            ));
        }
        self.stage(tx, record, bytes, ciphertext, digest, mac);
        if let DomainEvent::SubjectForgotten(f) = &ev.event {
            tx.forgotten.insert(f.subject.clone(), position);
        }
        Ok(Appended { id: ev.id, position, stream_version: current + 1, duplicate: false })
    }

    /// Adds an accepted event's record and index entries to the batch being built.
    fn stage(
        &self,
        tx: &mut Overlay,
        e: RecordedEvent,
        bytes: Vec<u8>,
        ct: Option<Vec<u8>>,
        digest: [u8; 32],
        mac: [u8; 32],
    ) {
        debug_assert_eq!(RecordedEvent::decode(&bytes).as_ref(), Ok(&e), "the stored form round-trips");
        let pos = e.position;
        let mut index = [0u8; INDEX_BYTES];
        index[..32].copy_from_slice(&digest);
        index[32..].copy_from_slice(&mac);
        tx.versions.insert(e.stream.clone(), e.stream_version);
        tx.ids.insert(
            e.id,
            IdInfo {
                position: pos,
                stream_version: e.stream_version,
                kind: e.kind,
                stream: e.stream.clone(),
                digest,
                mac,
            },
        );
        tx.events += 1;
        tx.last_hash = Some(e.hash);
        tx.staged.push((Loaded { event: e, index, ciphertext: ct, offset: 0 }, bytes));
    }

    fn check_target(
        &self,
        target: EventId,
        stream: &StreamId,
        index: usize,
        group: &Overlay,
        tx: &Overlay,
    ) -> Result<EventKind, AppendError> {
        let invalid =
            |message: String| AppendError::Invalid { index, error: FieldError::new("payload.target", message) };
        let Some(info) = self.id_info(target, group, tx)? else {
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

    fn check_event_ref(
        &self,
        id: EventId,
        kinds: &[EventKind],
        field: &str,
        index: usize,
        group: &Overlay,
        tx: &Overlay,
    ) -> Result<(), AppendError> {
        let invalid = |message: String| AppendError::Invalid { index, error: FieldError::new(field, message) };
        match self.id_info(id, group, tx)? {
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

    fn forget(
        &mut self,
        subject: &SubjectId,
        by: &ParticipantId,
        reason: Option<LongText>,
    ) -> Result<Appended, ForgetError> {
        // Forgetting walks the log, so everything written must be visible first.
        self.healthy()?;
        if let Some(p) = self.forgotten.get(subject).copied() {
            let e =
                self.shared.event_at(p)?.ok_or_else(|| StoreError::Corrupt(format!("forget event {p} is missing")))?;
            return Ok(Appended { id: e.id, position: p, stream_version: e.stream_version, duplicate: true });
        }
        // Keys exist for every subject with sealed data; a log imported without keys is walked.
        let known =
            self.shared.keys.lock().expect("key lock").contains(subject) || !sealing(&self.shared, subject)?.is_empty();
        if !known {
            return Err(ForgetError::UnknownSubject(subject.clone()));
        }
        let head = self.written;
        let ev = NewEvent {
            id: EventId::new_random(),
            stream: StreamId::parse(&format!("{}:subjects", Category::Privacy.as_str())).expect("valid stream id"),
            event: DomainEvent::SubjectForgotten(SubjectForgotten {
                subject: subject.clone(),
                requested_by: by.clone(),
                reason,
            }),
            occurred_at: Timestamp::now_utc(),
            author: by.clone(),
            causation: Vec::new(),
            expected_version: None,
            sealed: None,
        };
        let group = Overlay::default();
        let mut tx = Overlay::default();
        let appended = self
            .check_event(ev, 1, Position(head.position.0 + 1), head.hash, &group, &mut tx, true)
            .map_err(|e| StoreError::Corrupt(format!("could not record the forget event: {e}")))?;
        self.commit(tx, Vec::new())?;
        self.healthy()?;
        destroy_subject(&self.shared, subject)?;
        Ok(appended)
    }

    /// Imports a chunk of consecutive exported events. Events at or below the head must be the
    /// ones stored there (same hash): that makes a repeated or resumed import a no-op for them.
    /// The rest must continue the chain from the head.
    fn import(&mut self, events: Vec<ImportedEvent>, keys: Vec<(SubjectId, Key)>) -> Result<ImportReport, AppendError> {
        // Events at or below the head are compared with what readers see.
        self.healthy()?;
        let head = self.written;
        let bad = |p: u64, m: String| AppendError::Invalid { index: p as usize, error: FieldError::new("event", m) };
        let mut prev: Option<Hash> = None;
        let mut fresh = Vec::new();
        for ie in events {
            let e = &ie.event;
            let p = e.position.0;
            if let Some(prev) = prev {
                if e.prev_hash != prev {
                    return Err(bad(
                        p,
                        format!("position {p} does not link to position {}: events are missing or out of order", p - 1),
                    ));
                }
            }
            if p == 0 || e.compute_hash() != e.hash {
                return Err(bad(
                    p,
                    format!("position {p} does not match its hash: the file was changed or is damaged"),
                ));
            }
            if e.encode().len() > RECORD_BYTES_MAX {
                return Err(bad(p, format!("position {p}: the record is over the limit of {RECORD_BYTES_MAX} bytes")));
            }
            match (&e.sealed, &ie.ciphertext) {
                (Some(m), Some(ct)) if ct.len() != m.ciphertext_bytes as usize => {
                    return Err(bad(
                        p,
                        format!(
                            "position {p}: {} bytes of ciphertext where its record says {}",
                            ct.len(),
                            m.ciphertext_bytes
                        ),
                    ))
                }
                (Some(m), Some(ct)) if Hash(*blake3::hash(ct).as_bytes()) != m.digest => {
                    return Err(bad(p, format!("position {p}: the sealed bytes do not match their digest")))
                }
                (None, Some(_)) => {
                    return Err(bad(p, format!("position {p}: sealed bytes given for an event without a sealed part")))
                }
                _ => {}
            }
            if let Err(err) = e.domain() {
                return Err(bad(p, format!("position {p}: {err}")));
            }
            if p <= head.position.0 {
                let stored = self.shared.event_at(e.position)?.expect("at or below the head");
                if stored.hash != e.hash {
                    return Err(bad(
                        p,
                        format!("the store differs from the file at position {p}; import into an empty data folder"),
                    ));
                }
            } else {
                let want = head.position.0 + 1 + fresh.len() as u64;
                if p != want {
                    return Err(bad(p, format!("expected position {want} next, found {p}: events are missing")));
                }
                if fresh.is_empty() && e.prev_hash != head.hash {
                    return Err(bad(p, format!("position {p} does not link to the store's head")));
                }
                fresh.push(ie.clone());
            }
            prev = Some(e.hash);
        }
        // Forget is final: no key of a subject forgotten here, or by an event of this import,
        // comes back, and no sealed bytes naming one are stored again.
        let mut gone: HashMap<SubjectId, Position> = self.forgotten.clone();
        gone.extend(fresh.iter().filter_map(|ie| forgotten_by(&ie.event)));
        let mut report = ImportReport::default();
        let mut new_keys: Vec<(SubjectId, Key)> = {
            let have = self.shared.keys.lock().expect("key lock");
            let mut fresh_keys = Vec::new();
            for (s, k) in keys {
                if gone.contains_key(&s) {
                    report.keys_refused.push(s);
                } else if !have.contains(&s) {
                    fresh_keys.push((s, k));
                }
            }
            fresh_keys
        };
        for ie in &mut fresh {
            let names_gone = ie.event.sealed.as_ref().is_some_and(|m| m.subjects.iter().any(|s| gone.contains_key(s)));
            if names_gone && ie.ciphertext.take().is_some() {
                report.sealed_dropped += 1;
            }
        }
        let mut added = 0u64;
        let mut rest = fresh.into_iter().peekable();
        while rest.peek().is_some() || !new_keys.is_empty() {
            let mut tx = Overlay { new_keys: std::mem::take(&mut new_keys), ..Overlay::default() };
            for ie in rest.by_ref().take(GROUP_COMMIT_EVENTS_MAX) {
                let e = ie.event;
                let current = self.version(&e.stream, &Overlay::default(), &tx)?;
                if e.stream_version != current + 1 {
                    return Err(bad(
                        e.position.0,
                        format!(
                            "stream {} would be at version {} but the file says {}",
                            e.stream,
                            current + 1,
                            e.stream_version
                        ),
                    ));
                }
                if self.id_info(e.id, &Overlay::default(), &tx)?.is_some() {
                    return Err(bad(e.position.0, format!("id {} is already stored", e.id)));
                }
                if let Some((subject, p)) = forgotten_by(&e) {
                    tx.forgotten.insert(subject, p);
                }
                let bytes = e.encode();
                // Imported events cannot be retried by id, so their digest only marks them.
                let digest = *blake3::hash(&bytes).as_bytes();
                self.stage(&mut tx, e, bytes, ie.ciphertext, digest, [0; 32]);
            }
            added += tx.events;
            if tx.events == 0 {
                self.shared.keys.lock().expect("key lock").add(&tx.new_keys).map_err(StoreError::from)?;
                continue;
            }
            self.commit(tx, Vec::new())?;
        }
        self.healthy()?;
        report.added = added;
        Ok(report)
    }
}

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

/// The log offsets of events that still hold sealed bytes naming `subject`. A walk over the
/// log: forgetting is rare, and an index of subjects would cost every append.
fn sealing(shared: &Shared, subject: &SubjectId) -> Result<Vec<u64>, StoreError> {
    let end = shared.log_end.load(Ordering::Acquire);
    let mut out = Vec::new();
    let mut at = super::log::HEADER_BYTES;
    while at < end {
        let (frames, next) = shared
            .log
            .read_frames(at, end, PAGE_EVENTS_MAX)
            .map_err(|e| StoreError::Corrupt(format!("the log at offset {at}: {}", e.describe())))?;
        if frames.is_empty() {
            break;
        }
        for (off, frame) in frames {
            if let Frame::Event { record, ciphertext, .. } = frame {
                if ciphertext.is_empty() || ciphertext.iter().all(|b| *b == 0) {
                    continue;
                }
                let e = RecordedEvent::decode(&record)
                    .map_err(|err| StoreError::Corrupt(format!("offset {off}: {err}")))?;
                if e.sealed.as_ref().is_some_and(|m| m.subjects.contains(subject)) {
                    out.push(off);
                }
            }
        }
        at = next;
    }
    Ok(out)
}

/// Overwrites the sealed bytes of every event naming a forgotten subject with zeros in the log
/// (the records stay byte for byte), makes that durable, and then destroys the subject's key.
/// Idempotent: while the key is there, a crash is finished on the next open.
fn destroy_subject(shared: &Shared, subject: &SubjectId) -> Result<(), StoreError> {
    let end = shared.log_end.load(Ordering::Acquire);
    for off in sealing(shared, subject)? {
        shared.log.zero_ciphertext(off, end)?;
    }
    shared.keys.lock().expect("key lock").remove(subject)?;
    Ok(())
}

/// Every forgotten subject and the position of its forget event, from the `f` index entries.
fn forgotten_subjects(shared: &Shared) -> Result<HashMap<SubjectId, Position>, StoreError> {
    let mut out = HashMap::new();
    for item in shared.db.scan_prefix(b"f") {
        let (key, v) = item?;
        let s = std::str::from_utf8(&key[1..]).ok().and_then(|s| SubjectId::parse(s).ok());
        let s = s.ok_or_else(|| StoreError::Corrupt("a forgotten subject id is unreadable".into()))?;
        let p = (v.len() == 8).then(|| Position(ix::u64_at(&v, 0)));
        out.insert(s, p.ok_or_else(|| StoreError::Corrupt("a forgotten subject's position is unreadable".into()))?);
    }
    Ok(out)
}

/// Finishes forgets that a crash interrupted between recording and destroying: a forgotten
/// subject whose key is still in the key file.
pub(crate) fn finish_forgetting(shared: &Shared) -> Result<(), StoreError> {
    for s in forgotten_subjects(shared)?.into_keys() {
        if shared.keys.lock().expect("key lock").contains(&s) {
            destroy_subject(shared, &s)?;
        }
    }
    Ok(())
}
