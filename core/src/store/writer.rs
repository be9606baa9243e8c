//! The single writer: the queue and group commit. It alone assigns positions, so they are
//! gapless and in commit order. What is accepted is decided by the decide step (`decide.rs`);
//! the writer takes a group, decides each batch against what the store knows and the batches
//! before it, writes and syncs the group, publishes it and answers.
//!
//! Durability contract (also in ARCHITECTURE.md). Appends queue up (at most
//! `WRITER_QUEUE_APPENDS_MAX`); the writer takes all that are waiting (up to
//! `GROUP_COMMIT_EVENTS_MAX` events), decides each batch, answers a refused batch at once (it
//! leaves no trace), and commits the accepted ones together:
//! 1. new subject keys are appended to the key file and fdatasync'ed;
//! 2. the group's event frames and a commit frame naming the new chain head are written to the
//!    end of the log file in one write, and the log is fdatasync'ed;
//! 3. only then is the group published: its index entries are added to the index tail (a chunk
//!    that fills goes to sled, which writes it out in the background) and to the lookups, the
//!    visible head advances so that readers and subscribers see the events, and the appenders are
//!    answered (retries too: nobody learns of a position before readers can see it). Then the
//!    writer takes the next group.
//!
//! The disk is assumed to honour fdatasync; a crash may lose anything not synced and tear the
//! last write. A crash before step 2 ends loses the whole group, none of which was acknowledged:
//! on open, what follows the last commit frame is moved to quarantine when it is a torn write
//! (`recovery.rs`). Index entries a crash lost are rebuilt from the log on open; sled's own
//! durability is never relied on. Keys appended without their events are harmless. If a group's
//! write fails (a full disk), what it may have left past the last commit is overwritten with
//! zeros and synced: when that works the writer goes on (the appenders were told), and when it
//! does not, the store refuses work until a later request finds that it works. A failed sync of
//! that scrub, or a failed index update after a synced group, stops the store until a restart:
//! after a failed fsync the kernel may have dropped dirty pages, so only recovery from what is
//! on disk is safe.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use super::decide::{decide, decide_batch, Decided, Env, Known, Origin, Overlay, Staged, SystemEnv};
use super::forget;
use super::import::{self, ImportReport, ImportedEvent};
use super::index::Entry;
use super::known::SledKnown;
use super::log::LogFile;
use super::shared::{entry_of, Shared};
use super::{AppendError, Appended, ForgetError, Head, StoreError};
use crate::envelope::NewEvent;
use crate::ids::{ParticipantId, Position, SubjectId};
use crate::limits::{DISK_FREE_BYTES_MIN, GROUP_COMMIT_EVENTS_MAX};
use crate::seal::SubjectKey;
use crate::values::LongText;

pub(crate) type AppendReply = oneshot::Sender<Result<Vec<Appended>, AppendError>>;

pub(crate) enum Request {
    Append {
        batch: Vec<NewEvent>,
        reply: AppendReply,
    },
    Forget {
        subject: SubjectId,
        by: ParticipantId,
        reason: Option<LongText>,
        reply: oneshot::Sender<Result<Appended, ForgetError>>,
    },
    Import {
        events: Vec<ImportedEvent>,
        keys: Vec<(SubjectId, SubjectKey)>,
        reply: oneshot::Sender<Result<ImportReport, AppendError>>,
    },
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
    /// What the rules ask about, as written and synced.
    known: SledKnown,
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
            Request::Append { batch, reply } => w.commit_appends(gather_appends(batch, reply, &mut rx, &mut held)),
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

/// A group of appends: `first`, and the appends waiting behind it, up to
/// `GROUP_COMMIT_EVENTS_MAX` events. A request of another kind stops the group and is `held` for
/// the next turn, so requests keep their order. Both backends' writers group this way.
pub(crate) fn gather_appends(
    batch: Vec<NewEvent>,
    reply: AppendReply,
    rx: &mut mpsc::Receiver<Request>,
    held: &mut Option<Request>,
) -> Vec<(Vec<NewEvent>, AppendReply)> {
    let mut events = batch.len();
    let mut appends = vec![(batch, reply)];
    while events < GROUP_COMMIT_EVENTS_MAX {
        match rx.try_recv() {
            Ok(Request::Append { batch, reply }) => {
                events += batch.len();
                appends.push((batch, reply));
            }
            Ok(other) => {
                *held = Some(other);
                break;
            }
            Err(_) => break,
        }
    }
    appends
}

fn refuse(r: Request, e: StoreError) {
    match r {
        Request::Append { reply, .. } => drop(reply.send(Err(e.into()))),
        Request::Forget { reply, .. } => drop(reply.send(Err(e.into()))),
        Request::Import { reply, .. } => drop(reply.send(Err(e.into()))),
    }
}

/// Whether a store error is an I/O error (of the log, the key file or the indexes) that says the
/// disk (or a quota) is full.
fn is_disk_full(e: &StoreError) -> bool {
    match e {
        StoreError::Io(io) | StoreError::Sled(sled::Error::Io(io)) => io_full(io),
        _ => false,
    }
}

fn io_full(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT)) || e.kind() == std::io::ErrorKind::StorageFull
}

/// Step 3 of the durability contract for one synced group.
fn publish_group(shared: &Shared, g: Published) {
    let applied = if shared.failed.load(Ordering::Acquire) {
        Err(StoreError::Failed)
    } else {
        shared.index.publish(&g.entries, &g.forgotten)
    };
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
            let full = is_disk_full(&e);
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
        let known = SledKnown::start(shared.clone())?;
        let write_end = shared.log_end.load(Ordering::Acquire);
        Ok(Writer { shared, known, write_end, pending_scrub: None })
    }

    /// After a failed group write (or key append): overwrite what the write may have left past
    /// the end of the log with zeros, and sync. If that works, disk and page cache agree again
    /// that the log ends at its last commit, and the writer goes on: a full disk costs the
    /// refused group, not a restart. If not, the store refuses work until a later request finds
    /// that it works (see [`Writer::try_recover`]).
    fn scrub_after_failure(&mut self, full: bool) {
        match self.shared.log.scrub(self.write_end, u64::MAX) {
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

    /// Decides each batch of a group against what is known and the batches before it, then
    /// commits the accepted ones. A refused batch is answered at once.
    fn commit_appends(&mut self, appends: Vec<(Vec<NewEvent>, AppendReply)>) {
        let mut staged = Vec::new();
        let mut accepted = Vec::new();
        let mut env = SystemEnv;
        let mut group = Overlay::new(&self.known);
        for (batch, reply) in appends {
            match decide_batch(batch, &group, &mut env) {
                Ok((decided, changes)) => {
                    group.absorb(changes);
                    let mut answers = Vec::with_capacity(decided.len());
                    for d in decided {
                        answers.push(d.appended());
                        if let Decided::New(s) = d {
                            staged.push(s);
                        }
                    }
                    accepted.push((reply, answers));
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
        let _ = self.commit(staged, accepted);
    }

    /// Steps 1 and 2 of the durability contract for the accepted events of a group, then step 3.
    /// A group without new events (all retries) is only answered.
    fn commit(&mut self, group: Vec<Staged>, acks: Vec<(AppendReply, Vec<Appended>)>) -> Result<(), StoreError> {
        let head = self.known.head();
        if group.is_empty() {
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
        self.known.committed(&group);
        let forgotten: Vec<(SubjectId, Position)> =
            group.iter().filter_map(|s| s.forgets.clone().map(|subject| (subject, s.event.position))).collect();
        let head = self.known.head();
        self.publish(Published { entries, forgotten, head, log_end: self.write_end, acks })
    }

    /// Step 3. On the writer's thread: a second thread to publish on cost more in wake-ups than
    /// the overlap won, once indexing a group became a few hundred nanoseconds per event.
    fn publish(&mut self, g: Published) -> Result<(), StoreError> {
        publish_group(&self.shared, g);
        self.healthy()
    }

    /// Writes a group durably to the log (steps 1 and 2) and returns its index entries.
    fn write(&mut self, group: &[Staged], head: Head) -> Result<Vec<Entry>, StoreError> {
        let new_keys: Vec<(SubjectId, SubjectKey)> = group.iter().flat_map(|s| s.new_keys.iter().cloned()).collect();
        self.shared.keys.lock().expect("key lock").add(&new_keys)?;
        let base = self.write_end;
        let mut frames = Vec::with_capacity(
            group.iter().map(|s| s.record.len() + s.ciphertext.as_ref().map_or(0, Vec::len) + 80).sum::<usize>() + 64,
        );
        let mut entries = Vec::with_capacity(group.len());
        // The write-side half of the chain assertions (readers check the other half): every
        // event of the group, across its batches, links to the one before, from the head on.
        let (mut prev, mut next) = (head.hash, head.position.0 + 1);
        for s in group {
            assert_eq!((s.event.position.0, s.event.prev_hash), (next, prev), "the group continues the chain");
            (prev, next) = (s.event.hash, next + 1);
            entries.push(entry_of(&s.event, base + frames.len() as u64));
            LogFile::encode_event(&mut frames, &s.record, &s.retry.to_bytes(), s.ciphertext.as_deref().unwrap_or(&[]));
        }
        let pos = next - 1;
        LogFile::encode_commit(&mut frames, pos, &prev.0);
        // The durable step: the group and its commit frame reach the disk before anything is
        // acknowledged. The indexes follow in sled and are rebuilt from the log after a crash.
        self.shared.log.write_durable(base, &frames)?;
        self.write_end = base + frames.len() as u64;
        Ok(entries)
    }

    /// Records that `subject` is forgotten (a `SubjectForgotten` event, committed alone), then
    /// destroys its sealed bytes and key (`forget.rs`). Asking again answers with the first.
    fn forget(
        &mut self,
        subject: &SubjectId,
        by: &ParticipantId,
        reason: Option<LongText>,
    ) -> Result<Appended, ForgetError> {
        // Forgetting walks the log, so everything written must be visible first.
        self.healthy()?;
        if let Some(p) = self.known.forgotten(subject)? {
            let e =
                self.shared.event_at(p)?.ok_or_else(|| StoreError::Corrupt(format!("forget event {p} is missing")))?;
            return Ok(Appended { id: e.id, position: p, stream_version: e.stream_version, duplicate: true });
        }
        // Keys exist for every subject with sealed data; a log imported without keys is walked.
        if !forget::holds_data_of(&self.shared, subject)? {
            return Err(ForgetError::UnknownSubject(subject.clone()));
        }
        let mut env = SystemEnv;
        let request = forget::request(subject, by, reason, env.now());
        let not_recorded = |why: String| StoreError::Corrupt(format!("could not record the forget event: {why}"));
        let staged = match decide(request, 1, Origin::Store, &self.known, &mut env) {
            Ok(Decided::New(s)) => s,
            Ok(Decided::Duplicate(a)) => {
                return Err(not_recorded(format!("its new id {} is already at position {}", a.id, a.position)).into())
            }
            Err(e) => return Err(not_recorded(e.to_string()).into()),
        };
        let appended = staged.appended();
        self.commit(vec![staged], Vec::new())?;
        self.healthy()?;
        forget::destroy_subject(&self.shared, subject)?;
        Ok(appended)
    }

    /// Imports a chunk of consecutive exported events by the rules of `import.rs`, committed in
    /// groups of at most `GROUP_COMMIT_EVENTS_MAX` events.
    fn import(
        &mut self,
        events: Vec<ImportedEvent>,
        keys: Vec<(SubjectId, SubjectKey)>,
    ) -> Result<ImportReport, AppendError> {
        // Events at or below the head are compared with what readers see.
        self.healthy()?;
        let shared = &self.shared;
        let mut fresh = import::new_events(events, self.known.head(), |p| shared.event_at(p))?;
        let (mut new_keys, mut report) = {
            let have = shared.keys.lock().expect("key lock");
            import::without_forgotten(&mut fresh, keys, self.known.forgotten_subjects(), |s| have.contains(s))
        };
        let mut rest = fresh.into_iter().peekable();
        while rest.peek().is_some() || !new_keys.is_empty() {
            let mut group = Vec::new();
            let mut overlay = Overlay::new(&self.known);
            for ie in rest.by_ref().take(GROUP_COMMIT_EVENTS_MAX) {
                let s = import::stage(ie, &overlay)?;
                overlay.apply(&s);
                group.push(s);
            }
            let keys = std::mem::take(&mut new_keys);
            match group.first_mut() {
                // The export's keys are stored with the first group, before its events.
                Some(first) => first.new_keys = keys,
                None => {
                    self.shared.keys.lock().expect("key lock").add(&keys).map_err(StoreError::from)?;
                    continue;
                }
            }
            report.added += group.len() as u64;
            self.commit(group, Vec::new())?;
        }
        self.healthy()?;
        Ok(report)
    }
}
