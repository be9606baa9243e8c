//! Shared helpers for parlog's integration tests, its benchmarks and the crash test's child
//! process (`src/bin/crash_appender.rs`).
//!
//! Events are built the way clients build them: as JSON parsed by `NewEvent::from_json`.

pub mod gen;
pub mod http1;
pub mod pg;
pub mod trials;

use std::time::Duration;

use parlog_core::limits::PAGE_EVENTS_MAX;
use parlog_core::{
    AuthorSource, EventId, EventStore, NewEvent, Position, RecordedEvent, SealedView, SledStore, StoreError,
};

/// The author of every test event.
pub const AUTHOR: &str = "bench-1";
/// Characters of the sealed text of an observation: with the envelope this makes a stored event
/// of about 700 bytes (the benchmark prints the measured figure).
pub const OBSERVATION_TEXT_CHARS: usize = 400;
/// Characters of the open text of a memo, for the same stored size without sealing.
pub const MEMO_TEXT_CHARS: usize = 550;

const WORDS: &[&str] = &[
    "buurt",
    "bewoner",
    "gesprek",
    "plein",
    "winkel",
    "koffie",
    "buurthuis",
    "afspraak",
    "idee",
    "zorg",
    "tuin",
    "markt",
    "school",
    "straat",
    "fiets",
    "avond",
    "ochtend",
    "vraag",
    "antwoord",
    "plan",
];

/// Deterministic filler text of exactly `chars` ASCII characters; `seed` varies the words so that
/// records do not compress to nothing.
pub fn filler_text(chars: usize, seed: u64) -> String {
    let mut out = String::with_capacity(chars + 16);
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while out.len() < chars {
        // xorshift: cheap and good enough to pick words.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push_str(WORDS[(x % WORDS.len() as u64) as usize]);
        out.push(' ');
    }
    out.truncate(chars);
    out
}

/// An `ObservationRecorded` on `notes:<notes>` whose free text is sealed for `subject`
/// (such as `resident:r-1`).
pub fn observation(id: EventId, notes: &str, subject: &str, seed: u64) -> NewEvent {
    let json = serde_json::json!({
        "id": id,
        "stream": format!("notes:{notes}"),
        "kind": "ObservationRecorded",
        "occurred_at": "2026-11-02T09:30:00+01:00",
        "author": AUTHOR,
        "payload": {"topic": format!("ronde {}", seed % 1000)},
        "sealed": {"subjects": [subject], "text": filler_text(OBSERVATION_TEXT_CHARS, seed)},
    });
    parse(&json)
}

/// A `MemoWritten` on `memo:<memo>` with only open data.
pub fn memo(id: EventId, memo: &str, seed: u64) -> NewEvent {
    let json = serde_json::json!({
        "id": id,
        "stream": format!("memo:{memo}"),
        "kind": "MemoWritten",
        "occurred_at": "2026-11-02T09:30:00+01:00",
        "author": AUTHOR,
        "payload": {"title": format!("memo {seed}"), "text": filler_text(MEMO_TEXT_CHARS, seed)},
    });
    parse(&json)
}

fn parse(json: &serde_json::Value) -> NewEvent {
    NewEvent::from_json(&json.to_string(), &AuthorSource::FromBody).expect("test events are valid")
}

/// Bytes an event occupies as stored: its record plus its sealed ciphertext (index entries and
/// sled's own overhead not counted).
pub fn stored_bytes(store: &SledStore, e: &RecordedEvent) -> Result<u64, StoreError> {
    let ciphertext = match &e.sealed {
        Some(_) => store.ciphertext(e.position)?.map_or(0, |c| c.len() as u64),
        None => 0,
    };
    Ok(e.encode().len() as u64 + ciphertext)
}

/// Reads the whole log in pages and checks that positions run 1..=head without gaps.
pub fn read_all(store: &impl EventStore) -> Result<Vec<RecordedEvent>, String> {
    let head = store.head().position.0;
    let mut out = Vec::with_capacity(head as usize);
    let mut next = 1u64;
    while next <= head {
        let page = store.read_from(Position(next), PAGE_EVENTS_MAX).map_err(|e| format!("read from {next}: {e}"))?;
        if page.is_empty() {
            return Err(format!("the head is at {head} but reading stops at {}", next - 1));
        }
        for e in page {
            if e.position.0 != next {
                return Err(format!("expected position {next}, read {}", e.position));
            }
            next += 1;
            out.push(e);
        }
    }
    Ok(out)
}

/// Checks that every sealed event of `events` still opens: its key and ciphertext survived.
/// A sealed part of a subject that the log says was forgotten may read as forgotten instead.
pub fn check_sealed_open(store: &impl EventStore, events: &[RecordedEvent]) -> Result<u64, String> {
    let mut opened = 0;
    for e in events.iter().filter(|e| e.sealed.is_some()) {
        match store.unseal(e) {
            Ok(SealedView::Open(_)) => opened += 1,
            Ok(SealedView::Forgotten { subject, position, .. }) => {
                let fe = store.read_from(position, 1).map_err(|err| err.to_string())?;
                let names = fe.first().is_some_and(|f| {
                    f.kind == parlog_core::EventKind::SubjectForgotten && f.payload.contains(subject.as_str())
                });
                if !names {
                    return Err(format!(
                        "position {}: forgotten by {position}, which does not forget {subject}",
                        e.position
                    ));
                }
            }
            Ok(other) => return Err(format!("position {}: sealed part is {other:?}", e.position)),
            Err(err) => return Err(format!("position {}: {err}", e.position)),
        }
    }
    Ok(opened)
}

/// Copies the folder `from` to `to`, recursively (a data folder, for a trial or a benchmark).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// The `q`-quantile (0.0..=1.0) of sorted samples, nearest rank.
pub fn quantile(sorted: &[Duration], q: f64) -> Duration {
    assert!(!sorted.is_empty(), "quantile of no samples");
    let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The median of a few repetitions' figures.
pub fn median(values: &[f64]) -> f64 {
    assert!(!values.is_empty(), "median of no values");
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The file system a path is on, from /proc/self/mounts, to show the data is on a real disk.
pub fn file_system_of(path: &std::path::Path) -> String {
    let path = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") else { return "file system unknown".into() };
    let best = mounts
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f.len() >= 3 && path.starts_with(f[1]))
                .then(|| (f[1].len(), format!("{} on {}, mounted at {}", f[2], f[0], f[1])))
        })
        .max_by_key(|(len, _)| *len);
    match best {
        Some((_, s)) if s.starts_with("tmpfs") => format!("{s}; WARNING: tmpfs, figures say nothing about a disk"),
        Some((_, s)) => s,
        None => "file system unknown".into(),
    }
}

/// Where the frame of the event at `position` starts in a log file's bytes, found by walking the
/// frames as core's store/log.rs lays them out: the 8-byte magic, then frames of
/// `[u32 body length][u8 type][body]`, type 1 an event (in position order), type 2 a commit.
/// For tests that change the log behind the store's back.
pub fn frame_offset(log: &[u8], position: u64) -> usize {
    assert!(position > 0, "positions start at 1");
    let mut at = 8;
    let mut events = 0;
    while at + 5 <= log.len() {
        let body = u32::from_be_bytes(log[at..at + 4].try_into().expect("4 bytes")) as usize;
        if log[at + 4] == 1 {
            events += 1;
            if events == position {
                return at;
            }
        }
        at += 5 + body;
    }
    panic!("the log has no event at position {position} ({events} events)");
}
