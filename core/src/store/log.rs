//! The event log file: records appended in frames, committed in groups.
//!
//! Layout: the 8-byte magic `PARLOG01`, then frames. A frame is
//! `[u32 body length][u8 type][u32 record length][record][64-byte index][ciphertext][u32 check]`
//! for an event (type 1; the index part holds what the id index needs to tell a retry from a
//! conflict, so that the indexes can be rebuilt from the log; the ciphertext of the sealed part
//! comes last), or
//! `[u32 body length][u8 type][u64 position][32-byte hash][u32 check]` for a commit (type 2),
//! which closes a group and names the chain head. The check is the first four bytes of blake3
//! over the type and the body but the ciphertext, so that forgetting can overwrite ciphertext
//! with zeros and leave every frame intact. All integers are big-endian.
//!
//! Events after the last commit frame were never acknowledged: recovery cuts them off, so a
//! group is durable whole or not at all.
//!
//! The file is extended with zeros ahead of the end, `PREALLOCATE_BYTES` at a time: an fdatasync
//! after a write that grows the file must also write the inode (its size), one more synchronous
//! write per group; inside the zeroed space it writes only the data. A zero header reads as a
//! torn frame, so the zeros past the last commit are cut off like any unfinished group.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The largest read buffer a thread keeps between reads: enough for the engine's pages of 512
/// events (a guess of 1 KiB each); a larger one is freed after use, so that the many threads
/// of a server that read now and then hold little.
const READ_BUFFER_KEPT_BYTES_MAX: usize = 512 * 1024;

thread_local! {
    /// Reused by [`LogFile::read_frames`] on this thread.
    static READ_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

const MAGIC: &[u8; 8] = b"PARLOG01";
pub(crate) const HEADER_BYTES: u64 = MAGIC.len() as u64;
const EVENT: u8 = 1;
pub(crate) const INDEX_BYTES: usize = 64;
const COMMIT: u8 = 2;
/// How far ahead of the end the file is extended with zeros: a few thousand events, and small
/// enough that the first append after opening (which cuts the zeros off) pays little for it.
const PREALLOCATE_BYTES: u64 = 2 * 1024 * 1024;
/// The largest frame body: a record and its ciphertext, with room to spare.
const FRAME_BODY_BYTES_MAX: usize = 256 * 1024;

/// One frame read back.
#[derive(Debug)]
pub(crate) enum Frame {
    /// An event: its stored record and the ciphertext behind it (empty if none; all zeros once
    /// forgotten).
    Event {
        record: Vec<u8>,
        index: [u8; INDEX_BYTES],
        ciphertext: Vec<u8>,
    },
    Commit {
        position: u64,
        hash: [u8; 32],
    },
}

/// Why a frame could not be read: the end of the file, a torn write, or damage.
#[derive(Debug)]
pub(crate) enum FrameError {
    End,
    Torn(String),
    Io(std::io::Error),
}

fn check(kind: u8, parts: &[&[u8]]) -> u32 {
    let mut h = blake3::Hasher::new();
    h.update(&[kind]);
    for p in parts {
        h.update(p);
    }
    u32::from_be_bytes(h.finalize().as_bytes()[..4].try_into().expect("4 bytes"))
}

pub(crate) struct LogFile {
    pub(crate) file: File,
    /// The file's length: the end of the log and the zeros ahead of it. Only the writer grows it.
    allocated: AtomicU64,
}

impl LogFile {
    /// Opens the log, creating it (with its magic, made durable) if it does not exist.
    pub(crate) fn open(path: &Path) -> std::io::Result<LogFile> {
        let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path)?;
        if file.metadata()?.len() == 0 {
            file.write_all(MAGIC)?;
            file.sync_all()?;
            super::super::seal::sync_dir(path.parent().expect("the log lives in the data folder"))?;
        }
        let mut magic = [0u8; 8];
        file.read_exact_at(&mut magic, 0)?;
        if &magic != MAGIC {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{} is not a parlog log", path.display()),
            ));
        }
        let allocated = AtomicU64::new(file.metadata()?.len());
        Ok(LogFile { file, allocated })
    }

    pub(crate) fn len(&self) -> std::io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    /// Cuts the file at `end` (what follows the last commit) and makes that durable.
    pub(crate) fn cut(&self, end: u64) -> std::io::Result<()> {
        self.file.set_len(end)?;
        self.file.sync_all()?;
        self.allocated.store(end, Ordering::Release);
        Ok(())
    }

    /// Encodes an event frame into `out`; returns the frame's length.
    pub(crate) fn encode_event(out: &mut Vec<u8>, record: &[u8], index: &[u8; INDEX_BYTES], ciphertext: &[u8]) -> u64 {
        let body = 1 + 4 + record.len() + INDEX_BYTES + ciphertext.len() + 4;
        assert!(body - 1 <= FRAME_BODY_BYTES_MAX, "records are limited far below the frame limit");
        let start = out.len();
        out.extend_from_slice(&((body - 1) as u32).to_be_bytes());
        out.push(EVENT);
        let rl = (record.len() as u32).to_be_bytes();
        out.extend_from_slice(&rl);
        out.extend_from_slice(record);
        out.extend_from_slice(index);
        out.extend_from_slice(ciphertext);
        out.extend_from_slice(&check(EVENT, &[&rl, record, index]).to_be_bytes());
        (out.len() - start) as u64
    }

    pub(crate) fn encode_commit(out: &mut Vec<u8>, position: u64, hash: &[u8; 32]) {
        let body = 8 + 32 + 4;
        out.extend_from_slice(&(body as u32).to_be_bytes());
        out.push(COMMIT);
        let p = position.to_be_bytes();
        out.extend_from_slice(&p);
        out.extend_from_slice(hash);
        out.extend_from_slice(&check(COMMIT, &[&p, hash]).to_be_bytes());
    }

    /// Writes bytes at `offset` (the end of the committed log) and makes them durable.
    pub(crate) fn write_durable(&self, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
        let needed = offset + bytes.len() as u64;
        let allocated = self.allocated.load(Ordering::Acquire);
        if needed > allocated {
            // Zeros from the end of this write on; the sync below makes them durable too.
            let to = needed + PREALLOCATE_BYTES;
            let zeros = vec![0u8; (to - needed) as usize];
            self.file.write_all_at(&zeros, needed)?;
            self.allocated.store(to, Ordering::Release);
        }
        self.file.write_all_at(bytes, offset)?;
        self.file.sync_data()
    }

    /// Reads the frame at `offset`; returns it and the offset after it.
    pub(crate) fn read_frame(&self, offset: u64, file_len: u64) -> Result<(Frame, u64), FrameError> {
        if offset >= file_len {
            return Err(FrameError::End);
        }
        if offset + 5 > file_len {
            return Err(FrameError::Torn(format!("a frame header at offset {offset} is cut off")));
        }
        let mut head = [0u8; 5];
        self.file.read_exact_at(&mut head, offset).map_err(FrameError::Io)?;
        let body_len = u32::from_be_bytes(head[..4].try_into().expect("4 bytes")) as usize;
        let kind = head[4];
        if !(4..=FRAME_BODY_BYTES_MAX).contains(&body_len) {
            return Err(FrameError::Torn(format!("a frame at offset {offset} claims {body_len} bytes")));
        }
        let end = offset + 5 + body_len as u64;
        if end > file_len {
            return Err(FrameError::Torn(format!("the frame at offset {offset} is cut off")));
        }
        let mut body = vec![0u8; body_len];
        self.file.read_exact_at(&mut body, offset + 5).map_err(FrameError::Io)?;
        let frame =
            parse_body(kind, body).map_err(|m| FrameError::Torn(format!("the frame at offset {offset} {m}")))?;
        Ok((frame, end))
    }

    /// Whether a group was committed after a damaged frame at `from`: the first commit frame
    /// after it is followed by another valid frame. The writer writes a group only once the one
    /// before is synced, so that proves the damage is not the torn tail of an interrupted write
    /// (whose commit frame, if it reached the disk at all, is the last thing there).
    pub(crate) fn committed_after(&self, from: u64, file_len: u64) -> std::io::Result<Option<u64>> {
        const SCAN_BYTES: usize = 1 << 20;
        const COMMIT_HEAD: [u8; 5] = [0, 0, 0, 44, COMMIT];
        let mut at = from + 1;
        let mut buf = vec![0u8; SCAN_BYTES];
        while at + COMMIT_HEAD.len() as u64 <= file_len {
            let n = ((file_len - at) as usize).min(SCAN_BYTES);
            self.file.read_exact_at(&mut buf[..n], at)?;
            for i in 0..n.saturating_sub(COMMIT_HEAD.len() - 1) {
                if buf[i..i + COMMIT_HEAD.len()] != COMMIT_HEAD {
                    continue;
                }
                let offset = at + i as u64;
                if let Ok((Frame::Commit { position, .. }, next)) = self.read_frame(offset, file_len) {
                    return Ok(self.read_frame(next, file_len).is_ok().then_some(position));
                }
            }
            // Overlap by a header's length, so that a commit frame across the boundary is seen.
            at += (n - (COMMIT_HEAD.len() - 1)) as u64;
        }
        Ok(None)
    }

    /// Reads frames from `offset` in one pass (a large read, then parsing), up to `limit` events
    /// or `end`. Returns the frames with their offsets, and the offset after the last one.
    /// The file is read into a buffer the thread keeps (up to [`READ_BUFFER_KEPT_BYTES_MAX`]):
    /// a fresh zeroed buffer of up to half a megabyte for every page of events was, by perf's
    /// count, most of the page faults of a catch-up in a process with a large heap.
    pub(crate) fn read_frames(
        &self,
        offset: u64,
        end: u64,
        limit: usize,
    ) -> Result<(Vec<(u64, Frame)>, u64), FrameError> {
        READ_BUFFER.with_borrow_mut(|buf| {
            let read = self.read_frames_into(buf, offset, end, limit);
            if buf.capacity() > READ_BUFFER_KEPT_BYTES_MAX {
                *buf = Vec::new();
            }
            read
        })
    }

    fn read_frames_into(
        &self,
        buf: &mut Vec<u8>,
        mut offset: u64,
        end: u64,
        limit: usize,
    ) -> Result<(Vec<(u64, Frame)>, u64), FrameError> {
        let mut out = Vec::new();
        let mut events = 0;
        while offset < end && events < limit {
            // Read about what `limit` events need (a frame is typically under 1 KiB), at most
            // 4 MiB at a time; a frame larger than the buffer is read on its own below.
            let guess = (limit - events).saturating_mul(1024).clamp(4 * 1024, 4 * 1024 * 1024);
            let want = ((end - offset) as usize).min(guess);
            buf.clear();
            buf.resize(want, 0);
            self.file.read_exact_at(buf, offset).map_err(FrameError::Io)?;
            let mut at = 0usize;
            while at + 5 <= buf.len() && events < limit {
                let body_len = u32::from_be_bytes(buf[at..at + 4].try_into().expect("4 bytes")) as usize;
                let kind = buf[at + 4];
                if !(4..=FRAME_BODY_BYTES_MAX).contains(&body_len) {
                    return Err(FrameError::Torn(format!(
                        "a frame at offset {} claims {body_len} bytes",
                        offset + at as u64
                    )));
                }
                if at + 5 + body_len > buf.len() {
                    break; // continues in the next read
                }
                let body = buf[at + 5..at + 5 + body_len].to_vec();
                let frame = parse_body(kind, body)
                    .map_err(|m| FrameError::Torn(format!("the frame at offset {} {m}", offset + at as u64)))?;
                if matches!(frame, Frame::Event { .. }) {
                    events += 1;
                }
                out.push((offset + at as u64, frame));
                at += 5 + body_len;
            }
            if at == 0 {
                // The next frame does not fit in the buffer: read it by itself.
                let (frame, next) = self.read_frame(offset, end)?;
                if matches!(frame, Frame::Event { .. }) {
                    events += 1;
                }
                out.push((offset, frame));
                offset = next;
                continue;
            }
            offset += at as u64;
        }
        Ok((out, offset))
    }

    /// Overwrites the ciphertext of the event frame at `offset` with zeros, durably. The
    /// frame's check does not cover the ciphertext, so the frame stays valid.
    pub(crate) fn zero_ciphertext(&self, offset: u64, file_len: u64) -> std::io::Result<()> {
        let (frame, _) = self.read_frame(offset, file_len).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
        let Frame::Event { record, ciphertext, .. } = frame else {
            return Err(std::io::Error::other(format!("offset {offset} is not an event frame")));
        };
        if ciphertext.is_empty() {
            return Ok(());
        }
        let at = offset + 5 + 4 + (record.len() + INDEX_BYTES) as u64;
        self.file.write_all_at(&vec![0u8; ciphertext.len()], at)?;
        self.file.sync_data()
    }
}

fn parse_body(kind: u8, mut body: Vec<u8>) -> Result<Frame, String> {
    let check_at = body.len() - 4;
    let stored = u32::from_be_bytes(body[check_at..].try_into().expect("4 bytes"));
    body.truncate(check_at);
    match kind {
        EVENT => {
            if body.len() < 4 {
                return Err("is too short for an event".into());
            }
            let rl = u32::from_be_bytes(body[..4].try_into().expect("4 bytes")) as usize;
            if 4 + rl + INDEX_BYTES > body.len() {
                return Err(format!("claims a record of {rl} bytes that does not fit"));
            }
            let ix = 4 + rl;
            if check(EVENT, &[&body[..4], &body[4..ix], &body[ix..ix + INDEX_BYTES]]) != stored {
                return Err("does not match its check: it was changed or torn".into());
            }
            let ciphertext = body.split_off(ix + INDEX_BYTES);
            let index: [u8; INDEX_BYTES] = body[ix..].try_into().expect("64 bytes");
            body.truncate(ix);
            let record = body.split_off(4);
            Ok(Frame::Event { record, index, ciphertext })
        }
        COMMIT => {
            if body.len() != 40 {
                return Err("is not a commit of 40 bytes".into());
            }
            if check(COMMIT, &[&body[..8], &body[8..40]]) != stored {
                return Err("does not match its check: it was changed or torn".into());
            }
            Ok(Frame::Commit {
                position: u64::from_be_bytes(body[..8].try_into().expect("8 bytes")),
                hash: body[8..40].try_into().expect("32 bytes"),
            })
        }
        k => Err(format!("has an unknown type {k}")),
    }
}
