//! Entry points for the fuzz targets in `fuzz/` (not an API: hidden, and free to change).
//!
//! The log file is read by crate-private code that takes a path, so [`decode_log`] writes the
//! fuzzer's bytes to a file in a folder of its own (one per process, under
//! `std::env::temp_dir()`; `scripts/fuzz.sh` points `TMPDIR` at a folder it removes) and runs
//! the real readers over it. The key file's parser is a pure function of its bytes, which
//! [`read_key_file`] calls directly. Bad input must come back as an error: a panic here is a
//! bug.
//!
//! They return what they read rather than checking it, so that the targets can compare one
//! reader with another.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::envelope::RecordedEvent;
use crate::keyfile;
use crate::store::log::{Frame, FrameError, LogFile, HEADER_BYTES};

/// Events per `read_frames` call in [`decode_log`]: small, so that a page boundary falls inside
/// short inputs too.
const FRAMES_PER_PAGE: usize = 2;

fn scratch_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("parlog-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder for the fuzzer's files");
        dir
    })
}

/// What [`decode_log`] read: the frames found one by one with `read_frame`, and the same log
/// read in pages with `read_frames`.
#[derive(Debug)]
pub struct LogReading {
    /// Offsets of the frames `read_frame` read, from the first to the first that failed.
    pub frames: Vec<u64>,
    /// Why `read_frame` stopped: `None` at the end of the file, else the error.
    pub frame_error: Option<String>,
    /// What recovery would make of the bytes after the last commit frame, if any follow it.
    pub tail: Option<String>,
    /// Offsets of the frames `read_frames` read in pages, or the error that stopped it.
    pub paged: Result<Vec<u64>, String>,
    /// For each event frame `read_frame` read, whether its record decoded.
    pub records: Vec<Result<(), String>>,
}

/// Reads `bytes`, as the log after its magic, with the log's frame readers as recovery and
/// reads use them, and decodes the record of every event frame with [`RecordedEvent::decode`].
pub fn decode_log(bytes: &[u8]) -> std::io::Result<LogReading> {
    let path = scratch_dir().join("log");
    let header = log_header()?;
    let mut file = Vec::with_capacity(header.len() + bytes.len());
    file.extend_from_slice(header);
    file.extend_from_slice(bytes);
    std::fs::write(&path, &file)?;
    let log = LogFile::open_read_only(&path)?;
    let end = log.len()?;
    let mut reading =
        LogReading { frames: Vec::new(), frame_error: None, tail: None, paged: Ok(Vec::new()), records: Vec::new() };
    let mut at = HEADER_BYTES;
    // The offset after the last commit frame: where recovery's question about the tail starts.
    let mut committed = HEADER_BYTES;
    let bad = loop {
        match log.read_frame(at, end) {
            Ok((frame, next)) => {
                reading.frames.push(at);
                match frame {
                    Frame::Event { record, .. } => {
                        reading.records.push(RecordedEvent::decode(&record).map(|_| ()).map_err(|e| e.to_string()))
                    }
                    Frame::Commit { .. } => committed = next,
                }
                at = next;
            }
            Err(FrameError::End) => break end,
            Err(e) => {
                reading.frame_error = Some(e.describe());
                // Recovery asks this after a damaged frame; it scans the rest of the file.
                log.next_commit(at, end)?;
                break at;
            }
        }
    };
    if committed < end {
        reading.tail = Some(format!("{:?}", log.classify_tail(committed, bad, end)?));
    }
    reading.paged = read_paged(&log, end);
    Ok(reading)
}

/// The bytes a new log starts with, as `LogFile::open` writes them (once per process: it syncs).
fn log_header() -> std::io::Result<&'static [u8]> {
    static HEADER: OnceLock<Vec<u8>> = OnceLock::new();
    if let Some(h) = HEADER.get() {
        return Ok(h);
    }
    let path = scratch_dir().join("empty-log");
    let _ = std::fs::remove_file(&path);
    drop(LogFile::open(&path, true)?);
    let header = std::fs::read(&path)?;
    assert_eq!(header.len() as u64, HEADER_BYTES, "a new log holds its magic and nothing else");
    Ok(HEADER.get_or_init(|| header))
}

fn read_paged(log: &LogFile, end: u64) -> Result<Vec<u64>, String> {
    let mut offsets = Vec::new();
    let mut at = HEADER_BYTES;
    while at < end {
        let (frames, next) = log.read_frames(at, end, FRAMES_PER_PAGE).map_err(|e| e.describe())?;
        if next == at {
            return Err(format!("read_frames made no progress at offset {at}"));
        }
        offsets.extend(frames.into_iter().map(|(offset, _)| offset));
        at = next;
    }
    Ok(offsets)
}

/// What [`read_key_file`] read: the subjects of the whole entries, how the file ends and how
/// many bytes are good; and the same for those good bytes alone (what opening cuts the file
/// to).
#[derive(Debug)]
pub struct KeyReading {
    pub subjects: Vec<String>,
    pub end: String,
    pub good_bytes: u64,
    pub cut_subjects: Vec<String>,
    pub cut_end: String,
}

/// Parses `bytes` as a key file `keys` with the store's parser, then parses the good part of
/// it again.
pub fn read_key_file(bytes: &[u8]) -> KeyReading {
    let subjects = |p: &keyfile::Parsed| p.entries.iter().map(|e| e.subject.as_str().to_string()).collect::<Vec<_>>();
    let first = keyfile::parse(bytes);
    let good = usize::try_from(first.good_bytes).expect("good bytes are bytes of the input");
    let cut = keyfile::parse(&bytes[..good]);
    KeyReading {
        subjects: subjects(&first),
        end: format!("{:?}", first.end),
        good_bytes: first.good_bytes,
        cut_subjects: subjects(&cut),
        cut_end: format!("{:?}", cut.end),
    }
}
