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
//! Events after the last commit frame were never acknowledged: recovery moves them to
//! quarantine when they look like an interrupted write, and refuses to open otherwise (see
//! [`LogFile::classify_tail`]), so a group is durable whole or not at all.
//!
//! The file is extended with zeros ahead of the end, `LOG_PREALLOCATE_BYTES` at a time: an fdatasync
//! after a write that grows the file must also write the inode (its size), one more synchronous
//! write per group; inside the zeroed space it writes only the data. The zeros past the last
//! commit are left in place; the next group is written over them.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::limits::{
    FRAME_BODY_BYTES_MAX, LOG_PREALLOCATE_BYTES, LOG_READ_BYTES_MAX, LOG_READ_BYTES_MIN, LOG_READ_EVENT_BYTES_GUESS,
    LOG_SCAN_BYTES, READ_BUFFER_KEPT_BYTES_MAX,
};

thread_local! {
    /// Reused by [`LogFile::read_frames`] on this thread.
    static READ_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

const MAGIC: &[u8; 8] = b"PARLOG01";
pub(crate) const HEADER_BYTES: u64 = MAGIC.len() as u64;
const EVENT: u8 = 1;
pub(crate) const INDEX_BYTES: usize = 64;
const COMMIT: u8 = 2;
/// A commit frame's length: header, position, hash and check.
pub(crate) const COMMIT_FRAME_BYTES: u64 = 5 + 8 + 32 + 4;
/// The file's length is kept at a multiple of this (see [`LogFile::write_durable`]).
pub(crate) const ALLOCATE_ALIGN_BYTES: u64 = 4096;
/// The smallest unit a disk writes whole: a torn write ends at a multiple of it.
const SECTOR_BYTES: u64 = 512;

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

/// What follows the last commit frame of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TailState {
    /// Nothing but the zeros the file was extended with.
    Zeros,
    /// The unfinished write of a group that was never acknowledged, in `[from, to)` (zeros after).
    Torn { from: u64, to: u64 },
    /// Bytes that no crash leaves behind: a frame changed after it was written, or a cut file.
    Damaged { at: u64, why: String },
}

/// Why a frame could not be read: the end of the file, a torn write, or damage.
#[derive(Debug)]
pub(crate) enum FrameError {
    End,
    Torn(String),
    Io(std::io::Error),
}

impl FrameError {
    /// A sentence for people (not a Rust debug value).
    pub(crate) fn describe(&self) -> String {
        match self {
            FrameError::End => "the log ends there".into(),
            FrameError::Torn(m) => m.clone(),
            FrameError::Io(e) => format!("reading the log failed: {e}"),
        }
    }
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
    /// Opens the log; with `create`, creates it (with its magic, made durable) if it does not
    /// exist. Only a new data folder creates its log: a missing log in an existing folder is
    /// damage, not an empty log.
    pub(crate) fn open(path: &Path, create: bool) -> std::io::Result<LogFile> {
        let mut file =
            OpenOptions::new().read(true).write(true).create(create).truncate(false).mode(0o600).open(path)?;
        if file.metadata()?.len() == 0 {
            file.write_all(MAGIC)?;
            file.sync_all()?;
            crate::seal::sync_dir(path.parent().expect("the log lives in the data folder"))?;
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

    /// Opens the log for reading only: checking a folder must not be able to change it.
    pub(crate) fn open_read_only(path: &Path) -> std::io::Result<LogFile> {
        let file = File::open(path)?;
        let mut magic = [0u8; 8];
        if file.read_exact_at(&mut magic, 0).is_err() || &magic != MAGIC {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{} is not a parlog log (it does not start with {:?})", path.display(), MAGIC),
            ));
        }
        let allocated = AtomicU64::new(file.metadata()?.len());
        Ok(LogFile { file, allocated })
    }

    pub(crate) fn len(&self) -> std::io::Result<u64> {
        Ok(self.file.metadata()?.len())
    }

    /// Encodes an event frame into `out`.
    pub(crate) fn encode_event(out: &mut Vec<u8>, record: &[u8], index: &[u8; INDEX_BYTES], ciphertext: &[u8]) {
        let body = 1 + 4 + record.len() + INDEX_BYTES + ciphertext.len() + 4;
        assert!(body - 1 <= FRAME_BODY_BYTES_MAX, "records are limited far below the frame limit");
        out.extend_from_slice(&((body - 1) as u32).to_be_bytes());
        out.push(EVENT);
        let rl = (record.len() as u32).to_be_bytes();
        out.extend_from_slice(&rl);
        out.extend_from_slice(record);
        out.extend_from_slice(index);
        out.extend_from_slice(ciphertext);
        out.extend_from_slice(&check(EVENT, &[&rl, record, index]).to_be_bytes());
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
    ///
    /// The file grows to a multiple of [`ALLOCATE_ALIGN_BYTES`], so that a crash that loses the
    /// growth leaves the file at such a multiple: recovery takes a log that ends inside a frame
    /// at any other length for a cut, not for a torn write (see [`LogFile::classify_tail`]).
    ///
    /// On an error nothing was acknowledged; the caller scrubs the range (see
    /// [`LogFile::scrub`]) so that no half-written group is left for a later group to follow.
    pub(crate) fn write_durable(&self, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
        let needed = offset + bytes.len() as u64;
        let allocated = self.allocated.load(Ordering::Acquire);
        if needed > allocated {
            // Zeros from the end of this write on; the sync below makes them durable too.
            let to = (needed + LOG_PREALLOCATE_BYTES).next_multiple_of(ALLOCATE_ALIGN_BYTES);
            let zeros = vec![0u8; (to - needed) as usize];
            self.file.write_all_at(&zeros, needed)?;
            self.allocated.store(to, Ordering::Release);
        }
        self.file.write_all_at(bytes, offset)?;
        self.file.sync_data()
    }

    /// Bytes free on the log's file system for this (unprivileged) process.
    pub(crate) fn free_bytes(&self) -> std::io::Result<u64> {
        use std::os::unix::io::AsRawFd;
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        // SAFETY: fstatvfs fills the struct for a descriptor we own.
        if unsafe { libc::fstatvfs(self.file.as_raw_fd(), &mut st) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(st.f_bavail as u64 * st.f_frsize as u64)
    }

    /// Overwrites `[from, to)` with zeros and syncs: after a failed group write, the disk and
    /// the page cache agree again that nothing follows the last commit. Its success is what lets
    /// the writer go on after a full disk without a restart.
    pub(crate) fn scrub(&self, from: u64, to: u64) -> std::io::Result<()> {
        let len = self.file.metadata()?.len();
        let to = to.min(len);
        if from < to {
            self.file.write_all_at(&vec![0u8; (to - from) as usize], from)?;
        }
        self.file.sync_data()
    }

    /// Tells what follows the last commit frame (at `end`) when the frame at `bad` could not be
    /// read (`bad == file_len` when the file ends after whole frames with no commit frame).
    ///
    /// A group is written with one write into zeroed space and then synced, so a crash can
    /// leave a prefix of it (whole sectors) followed by zeros, or, if the growth of the file
    /// was lost, a file that ends at a multiple of [`ALLOCATE_ALIGN_BYTES`]. Anything else after
    /// the last commit (bytes that are not zeros past a damaged frame, a frame that is whole
    /// but does not match its check) was changed after it was written.
    pub(crate) fn classify_tail(&self, end: u64, bad: u64, file_len: u64) -> std::io::Result<TailState> {
        let nonzero_end = self.nonzero_end(end, file_len)?;
        if nonzero_end <= end {
            return Ok(TailState::Zeros);
        }
        let torn = TailState::Torn { from: end, to: nonzero_end };
        let file_cut = file_len.is_multiple_of(ALLOCATE_ALIGN_BYTES);
        if nonzero_end <= bad && (bad < file_len || file_cut) {
            // Whole frames of a group and then zeros (or the end of a file whose growth was
            // lost): its commit frame never reached the disk.
            return Ok(torn);
        }
        if nonzero_end <= bad {
            return Ok(TailState::Damaged {
                at: bad,
                why: format!(
                    "the log ends at offset {file_len} after whole event frames with no commit frame, which a crash does not leave: the file was cut"
                ),
            });
        }
        let mut head = [0u8; 5];
        let claimed_end = if bad + 5 <= file_len {
            self.file.read_exact_at(&mut head, bad)?;
            let body = u32::from_be_bytes(head[..4].try_into().expect("4 bytes")) as u64;
            (4..=FRAME_BODY_BYTES_MAX as u64).contains(&body).then_some(bad + 5 + body)
        } else {
            None
        };
        let damaged = |why: String| Ok(TailState::Damaged { at: bad, why });
        match claimed_end {
            // The frame runs past the end of the file: a lost growth, or the file was cut.
            Some(f) if f > file_len => {
                if file_cut {
                    Ok(torn)
                } else {
                    damaged(format!(
                        "the frame at offset {bad} runs past the end of the file ({file_len} bytes), which a crash does not leave: the file was cut"
                    ))
                }
            }
            // Zeros from a sector boundary inside the frame to the end: the rest never arrived.
            Some(f) if nonzero_end.next_multiple_of(SECTOR_BYTES) < f => Ok(torn),
            Some(_) => damaged(format!(
                "the frame at offset {bad} is whole but does not match its check, and no later group commits: it was changed after it was written"
            )),
            None if file_cut && nonzero_end == file_len && bad + 5 > file_len => Ok(torn),
            None => damaged(format!("the frame header at offset {bad} is not a frame's and is not zeros")),
        }
    }

    /// The offset after the last byte in `[from, to)` that is not zero (`from` if none is).
    fn nonzero_end(&self, from: u64, to: u64) -> std::io::Result<u64> {
        let mut hi = to;
        let mut buf = vec![0u8; LOG_SCAN_BYTES];
        while hi > from {
            let lo = hi.saturating_sub(LOG_SCAN_BYTES as u64).max(from);
            let piece = &mut buf[..(hi - lo) as usize];
            self.file.read_exact_at(piece, lo)?;
            if let Some(i) = piece.iter().rposition(|b| *b != 0) {
                return Ok(lo + i as u64 + 1);
            }
            hi = lo;
        }
        Ok(from)
    }

    /// Reads `[from, to)` whole, for quarantine.
    pub(crate) fn read_range(&self, from: u64, to: u64) -> std::io::Result<Vec<u8>> {
        let mut buf = vec![0u8; (to - from) as usize];
        self.file.read_exact_at(&mut buf, from)?;
        Ok(buf)
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
        Ok(self.next_commit(from, file_len)?.map(|(position, _, _)| position))
    }

    /// The first commit frame after `from` that another valid frame follows: its position, its
    /// hash and the offset after it.
    pub(crate) fn next_commit(&self, from: u64, file_len: u64) -> std::io::Result<Option<(u64, [u8; 32], u64)>> {
        const COMMIT_HEAD: [u8; 5] = [0, 0, 0, 44, COMMIT];
        let mut at = from + 1;
        let mut buf = vec![0u8; LOG_SCAN_BYTES];
        while at + COMMIT_HEAD.len() as u64 <= file_len {
            let n = ((file_len - at) as usize).min(LOG_SCAN_BYTES);
            self.file.read_exact_at(&mut buf[..n], at)?;
            for i in 0..n.saturating_sub(COMMIT_HEAD.len() - 1) {
                if buf[i..i + COMMIT_HEAD.len()] != COMMIT_HEAD {
                    continue;
                }
                let offset = at + i as u64;
                if let Ok((Frame::Commit { position, hash }, next)) = self.read_frame(offset, file_len) {
                    return Ok(self.read_frame(next, file_len).is_ok().then_some((position, hash, next)));
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
            // Read about what `limit` events need; a frame larger than the buffer is read on its
            // own below.
            let guess = (limit - events)
                .saturating_mul(LOG_READ_EVENT_BYTES_GUESS)
                .clamp(LOG_READ_BYTES_MIN, LOG_READ_BYTES_MAX);
            let want = ((end - offset) as usize).min(guess);
            buf.clear();
            buf.resize(want, 0);
            self.file.read_exact_at(buf, offset).map_err(FrameError::Io)?;
            let mut at = 0usize;
            while at + 5 <= buf.len() && events < limit {
                let body_len = u32::from_be_bytes(buf[at..at + 4].try_into().expect("4 bytes")) as usize;
                let kind = buf[at + 4];
                // A bad frame after good ones ends this read without an error, so that the next
                // read starts at it and its error names its own offset, not this read's start.
                if !(4..=FRAME_BODY_BYTES_MAX).contains(&body_len) {
                    if !out.is_empty() {
                        return Ok((out, offset + at as u64));
                    }
                    return Err(FrameError::Torn(format!(
                        "a frame at offset {} claims {body_len} bytes",
                        offset + at as u64
                    )));
                }
                if at + 5 + body_len > buf.len() {
                    break; // continues in the next read
                }
                let body = buf[at + 5..at + 5 + body_len].to_vec();
                let frame = match parse_body(kind, body) {
                    Ok(f) => f,
                    Err(_) if !out.is_empty() => return Ok((out, offset + at as u64)),
                    Err(m) => return Err(FrameError::Torn(format!("the frame at offset {} {m}", offset + at as u64))),
                };
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
        let (frame, _) = self.read_frame(offset, file_len).map_err(|e| std::io::Error::other(e.describe()))?;
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
