//! The writer's answer to "could this event id be in the log already?" without asking sled.
//!
//! Every append carries an id that must be checked for a retry, and nearly all ids are new: a
//! sled lookup that finds nothing cost the writer about a third of its time per event. So the
//! writer keeps 64-bit fingerprints of every id in the log: those indexed before it started come
//! from a scan of the id index in a background thread (started at the first append, so stores
//! opened only to read pay nothing), those it writes itself are added as it goes. Until the scan
//! is done, or if it failed, every id is looked up in sled as before. A fingerprint match is only
//! a hint: sled has the final word, so two ids sharing a fingerprint cost a lookup, never a wrong
//! answer.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::sled_store::Shared;
use crate::ids::EventId;

/// Keys between checks whether the scan should stop (the store is closing).
const SCAN_STOP_CHECK_KEYS: usize = 4_096;

enum Scan {
    NotStarted,
    Running {
        found: Receiver<Option<HashSet<u64>>>,
        stop: Arc<AtomicBool>,
        thread: JoinHandle<()>,
    },
    Done,
    /// sled could not be scanned: every lookup goes to sled.
    Failed,
}

pub(crate) struct KnownIds {
    /// Fingerprints of the ids written by this writer, and once the scan is done, of all ids.
    fingerprints: HashSet<u64>,
    scan: Scan,
}

fn fingerprint(id: EventId) -> u64 {
    let b = id.0.as_bytes();
    let lo = u64::from_le_bytes(b[..8].try_into().expect("8 bytes"));
    let hi = u64::from_le_bytes(b[8..].try_into().expect("8 bytes"));
    lo ^ hi.rotate_left(32)
}

impl KnownIds {
    pub(crate) fn new() -> KnownIds {
        KnownIds { fingerprints: HashSet::new(), scan: Scan::NotStarted }
    }

    /// `false` only if `id` is surely not in the log.
    pub(crate) fn may_contain(&mut self, shared: &Arc<Shared>, id: EventId) -> bool {
        self.poll(shared);
        match self.scan {
            Scan::Done => self.fingerprints.contains(&fingerprint(id)),
            _ => true,
        }
    }

    /// Records an id the writer has written.
    pub(crate) fn insert(&mut self, id: EventId) {
        self.fingerprints.insert(fingerprint(id));
    }

    fn poll(&mut self, shared: &Arc<Shared>) {
        match &self.scan {
            Scan::NotStarted => {
                let (tx, found) = mpsc::channel();
                let stop = Arc::new(AtomicBool::new(false));
                let (shared, stop2) = (shared.clone(), stop.clone());
                let spawned = std::thread::Builder::new()
                    .name("parlog-id-scan".into())
                    .spawn(move || drop(tx.send(scan(&shared, &stop2))));
                self.scan = match spawned {
                    Ok(thread) => Scan::Running { found, stop, thread },
                    Err(_) => Scan::Failed,
                };
            }
            Scan::Running { found, .. } => match found.try_recv() {
                Err(TryRecvError::Empty) => {}
                Ok(Some(mut all)) => {
                    all.extend(self.fingerprints.drain());
                    self.fingerprints = all;
                    self.finish(Scan::Done);
                }
                Ok(None) | Err(TryRecvError::Disconnected) => self.finish(Scan::Failed),
            },
            Scan::Done | Scan::Failed => {}
        }
    }

    fn finish(&mut self, to: Scan) {
        if let Scan::Running { thread, .. } = std::mem::replace(&mut self.scan, to) {
            let _ = thread.join();
        }
    }

    /// Stops a running scan and waits for its thread, which holds the store open.
    pub(crate) fn stop(&mut self) {
        if let Scan::Running { stop, .. } = &self.scan {
            stop.store(true, Ordering::Release);
        }
        self.finish(Scan::Failed);
    }
}

/// The fingerprints of every id in the id index; `None` if sled failed or the scan was stopped.
fn scan(shared: &Shared, stop: &AtomicBool) -> Option<HashSet<u64>> {
    let mut out = HashSet::new();
    for (n, item) in shared.db.scan_prefix(b"i").enumerate() {
        if n % SCAN_STOP_CHECK_KEYS == 0 && stop.load(Ordering::Acquire) {
            return None;
        }
        let (key, _) = item.ok()?;
        let id = uuid::Uuid::from_slice(key.get(1..)?).ok()?;
        out.insert(fingerprint(EventId(id)));
    }
    Some(out)
}
