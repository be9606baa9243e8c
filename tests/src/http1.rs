//! A small HTTP/1.1 client over tokio's `TcpStream`, for the load generator
//! (`src/bin/loadgen.rs`) and the studies benchmark (`benches/studies.rs`).
//!
//! Why hand-written: the load needs keep-alive connections with one request in flight each and
//! a streaming reader for the feed; no HTTP client is in the lock file and a small one here costs
//! less CPU than a general one would, which matters when the server and the load share the same
//! cores. It speaks only what parlog's server answers: `Content-Length` or chunked bodies, no
//! trailers.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long one read may wait before the request is declared hung.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The request bytes: a keep-alive HTTP/1.1 request, with the bearer token when one is given.
pub fn request_bytes(addr: SocketAddr, token: Option<&str>, method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
    if let Some(token) = token {
        head += &format!("Authorization: Bearer {token}\r\n");
    }
    if method == "POST" {
        head += &format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len());
    }
    head += "\r\n";
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

/// Where `needle` first occurs in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

/// The values of the `"position":` fields of an append's answer.
pub fn positions_in(body: &[u8]) -> Vec<u64> {
    const KEY: &[u8] = b"\"position\":";
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = find(&body[at..], KEY) {
        at += i + KEY.len();
        out.extend(number_at(body, at));
    }
    out
}

/// The unsigned number that starts at `at` in `s`, after optional spaces.
pub fn number_at(s: &[u8], at: usize) -> Option<u64> {
    let rest = s.get(at..)?;
    let rest = &rest[rest.iter().take_while(|b| **b == b' ').count()..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

/// One keep-alive connection.
pub struct Conn {
    stream: TcpStream,
    /// Bytes read and not yet used.
    buf: Vec<u8>,
    /// The body of the last answer.
    body: Vec<u8>,
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> std::io::Result<Conn> {
        let stream = tokio::time::timeout(READ_TIMEOUT, TcpStream::connect(addr)).await.map_err(timed_out)??;
        stream.set_nodelay(true)?;
        Ok(Conn { stream, buf: Vec::with_capacity(64 * 1024), body: Vec::new() })
    }

    /// Sends bytes without reading an answer (a feed's request, whose answer never ends).
    pub async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await
    }

    /// Bytes read and not yet used (after `read_head`, the first bytes of a streamed body).
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// Drops the first `n` bytes of `buffered()`, once used.
    pub fn consume(&mut self, n: usize) {
        self.buf.drain(..n);
    }

    /// Reads more bytes into `buffered()`, waiting as long as it takes.
    pub async fn fill(&mut self) -> std::io::Result<()> {
        self.buf.reserve(64 * 1024);
        match self.stream.read_buf(&mut self.buf).await? {
            0 => Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the server closed the connection")),
            _ => Ok(()),
        }
    }

    async fn fill_in_time(&mut self) -> std::io::Result<()> {
        tokio::time::timeout(READ_TIMEOUT, self.fill()).await.map_err(timed_out)?
    }

    /// Reads a response head; returns the status and whether the body is chunked. The bytes
    /// after the head stay in `buffered()`.
    pub async fn read_head(&mut self) -> std::io::Result<(u16, bool)> {
        let (status, _, chunked) = self.head().await?;
        Ok((status, chunked))
    }

    async fn head(&mut self) -> std::io::Result<(u16, Option<usize>, bool)> {
        let end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            self.fill_in_time().await?;
        };
        let text = std::str::from_utf8(&self.buf[..end]).map_err(|_| bad("the response head is not text"))?;
        let mut lines = text.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("no status line"))?;
        let (mut length, mut chunked) = (None, false);
        for line in lines {
            let Some((k, v)) = line.split_once(':') else { continue };
            if k.eq_ignore_ascii_case("content-length") {
                length = Some(v.trim().parse().map_err(|_| bad("a bad Content-Length"))?);
            } else if k.eq_ignore_ascii_case("transfer-encoding") {
                chunked = v.to_ascii_lowercase().contains("chunked");
            }
        }
        self.buf.drain(..end);
        Ok((status, length, chunked))
    }

    /// Sends a request and reads the whole answer (its body is then in `body()`); returns the status.
    pub async fn exchange(&mut self, request: &[u8]) -> std::io::Result<u16> {
        self.stream.write_all(request).await?;
        let (status, length, chunked) = self.head().await?;
        self.body.clear();
        if chunked {
            self.read_chunked().await?;
        } else {
            let n = length.ok_or_else(|| bad("an answer without Content-Length on a keep-alive connection"))?;
            while self.buf.len() < n {
                self.fill_in_time().await?;
            }
            self.body.extend_from_slice(&self.buf[..n]);
            self.buf.drain(..n);
        }
        Ok(status)
    }

    async fn read_chunked(&mut self) -> std::io::Result<()> {
        loop {
            let line_end = loop {
                if let Some(i) = find(&self.buf, b"\r\n") {
                    break i;
                }
                self.fill_in_time().await?;
            };
            let line = std::str::from_utf8(&self.buf[..line_end]).map_err(|_| bad("a chunk size is not text"))?;
            let hex = line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(hex, 16).map_err(|_| bad("a bad chunk size"))?;
            self.buf.drain(..line_end + 2);
            while self.buf.len() < size + 2 {
                self.fill_in_time().await?;
            }
            self.body.extend_from_slice(&self.buf[..size]);
            self.buf.drain(..size + 2);
            if size == 0 {
                return Ok(()); // no trailers from this server
            }
        }
    }

    /// The body of the last answer `exchange` read.
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

fn bad(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string())
}

fn timed_out(_: tokio::time::error::Elapsed) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::TimedOut, format!("no answer within {READ_TIMEOUT:?}"))
}
