//! One HTTP/1.1 exchange on its own connection, read as Go's `net/http` transport reads it:
//! the response head (informational 1xx answers skipped), then the body framed by
//! `Transfer-Encoding: chunked`, `Content-Length` or the end of the connection, every read
//! bounded by the probe's deadline.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Go's `DefaultMaxHeaderBytes`-sized bound on a response head.
const MAX_HEAD: usize = 10 << 20;

/// Go's bound on a chunk-size line (`maxLineLength` of `internal/chunked`).
const MAX_CHUNK_LINE: usize = 4096;

/// How many informational (1xx) answers may precede the response (`max1xxResponses`).
const MAX_INFORMATIONAL: usize = 5;

/// A response head: status and header lines.
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) status: u16,
    http_1_0: bool,
    headers: Vec<(String, String)>,
}

impl Head {
    /// The first value of header `name` (any case), as `Header.Get` returns it.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.values(name).next()
    }

    fn values<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .collect::<Vec<_>>()
            .into_iter()
            .map(|(_, v)| v.as_str())
    }
}

/// How a body ends (`transfer.go`'s `readTransfer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body: a 1xx, 204 or 304 answer.
    Empty,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Everything until the server closes the connection.
    UntilClose,
}

impl Framing {
    /// The body's framing, or why the head makes it unreadable (which Go reports as the
    /// response's error, before any body is read).
    pub(crate) fn of(head: &Head) -> Result<Framing, String> {
        if matches!(head.status, 100..=199 | 204 | 304) {
            return Ok(Framing::Empty);
        }
        let encodings: Vec<&str> = head.values("transfer-encoding").collect();
        if !encodings.is_empty() && !head.http_1_0 {
            if encodings.len() > 1 {
                return Err(format!("too many transfer encodings: {encodings:?}"));
            }
            if !encodings[0].trim().eq_ignore_ascii_case("chunked") {
                return Err(format!("unsupported transfer encoding: {:?}", encodings[0]));
            }
            return Ok(Framing::Chunked);
        }
        let lengths: Vec<&str> = head.values("content-length").map(str::trim).collect();
        match lengths.first() {
            None => Ok(Framing::UntilClose),
            Some(first) if lengths.iter().any(|l| l != first) => Err(format!(
                "http: message cannot contain multiple Content-Length headers; got {lengths:?}"
            )),
            Some(first) => first
                .parse::<u64>()
                .ok()
                .filter(|_| first.bytes().all(|b| b.is_ascii_digit()))
                .map(Framing::Length)
                .ok_or_else(|| format!("bad Content-Length {first:?}")),
        }
    }

    /// Whether the Go client slurps this body before following a redirect
    /// (`ContentLength == -1 || ContentLength <= 2 KiB`).
    pub(crate) fn slurped(self) -> bool {
        !matches!(self, Framing::Length(n) if n > 2 << 10)
    }
}

/// A connection with a read buffer, every read and write bounded by `deadline`.
pub(crate) struct Conn {
    stream: TcpStream,
    buffer: Vec<u8>,
    start: usize,
    deadline: Instant,
}

impl Conn {
    /// Connects to the first of `addresses` that accepts before the deadline.
    pub(crate) fn connect(addresses: &[SocketAddr], deadline: Instant) -> io::Result<Conn> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address to connect to");
        for address in addresses {
            match TcpStream::connect_timeout(address, remaining(deadline)?) {
                Ok(stream) => {
                    return Ok(Conn {
                        stream,
                        buffer: Vec::with_capacity(4096),
                        start: 0,
                        deadline,
                    });
                }
                Err(error) => last = error,
            }
        }
        Err(last)
    }

    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream
            .set_write_timeout(Some(remaining(self.deadline)?))?;
        self.stream.write_all(bytes).map_err(timed_out)
    }

    /// Reads more bytes into the buffer; 0 at the end of the stream.
    fn fill(&mut self) -> io::Result<usize> {
        if self.start > 0 && self.start == self.buffer.len() {
            self.buffer.clear();
            self.start = 0;
        }
        self.stream
            .set_read_timeout(Some(remaining(self.deadline)?))?;
        let mut chunk = [0u8; 8192];
        let read = self.stream.read(&mut chunk).map_err(timed_out)?;
        self.buffer.extend_from_slice(&chunk[..read]);
        Ok(read)
    }

    fn buffered(&self) -> &[u8] {
        &self.buffer[self.start..]
    }

    /// One line without its `\n` (and `\r`); `None` at the end of the stream before any
    /// byte of it.
    fn read_line(&mut self, limit: usize) -> io::Result<Option<Vec<u8>>> {
        loop {
            if let Some(end) = self.buffered().iter().position(|b| *b == b'\n') {
                let mut line = self.buffered()[..end].to_vec();
                self.start += end + 1;
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Some(line));
            }
            if self.buffered().len() > limit {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
            }
            if self.fill()? == 0 {
                return if self.buffered().is_empty() {
                    Ok(None)
                } else {
                    Err(io::ErrorKind::UnexpectedEof.into())
                };
            }
        }
    }

    /// Up to `want` bytes, fewer only at the end of the stream.
    fn read_up_to(&mut self, want: usize, out: &mut Vec<u8>) -> io::Result<usize> {
        let mut got = 0;
        while got < want {
            if self.buffered().is_empty() && self.fill()? == 0 {
                break;
            }
            let take = self.buffered().len().min(want - got);
            out.extend_from_slice(&self.buffered()[..take]);
            self.start += take;
            got += take;
        }
        Ok(got)
    }

    /// The response head, after any informational answer (`100 Continue`, `103 Early
    /// Hints`); `101 Switching Protocols` is a final answer.
    pub(crate) fn read_head(&mut self) -> Result<Head, HeadError> {
        for _ in 0..=MAX_INFORMATIONAL {
            let head = self.read_one_head()?;
            if !(100..=199).contains(&head.status) || head.status == 101 {
                return Ok(head);
            }
        }
        Err(HeadError::Malformed(
            "net/http: too many 1xx informational responses".to_owned(),
        ))
    }

    fn read_one_head(&mut self) -> Result<Head, HeadError> {
        let mut size = 0;
        let mut next_line = |conn: &mut Conn| -> Result<Vec<u8>, HeadError> {
            let line = conn
                .read_line(MAX_HEAD)?
                .ok_or(HeadError::Io(io::ErrorKind::UnexpectedEof.into()))?;
            size += line.len() + 2;
            if size > MAX_HEAD {
                return Err(HeadError::Malformed(format!(
                    "net/http: server response headers exceeded {MAX_HEAD} bytes; aborted"
                )));
            }
            Ok(line)
        };
        let status_line = String::from_utf8_lossy(&next_line(self)?).into_owned();
        let (status, http_1_0) = parse_status_line(&status_line)?;
        let mut headers = Vec::new();
        loop {
            let line = next_line(self)?;
            if line.is_empty() {
                break;
            }
            let line = String::from_utf8_lossy(&line).into_owned();
            let Some((name, value)) = line.split_once(':') else {
                return Err(HeadError::Malformed(format!(
                    "malformed MIME header line: {line}"
                )));
            };
            if name.is_empty() || !name.bytes().all(is_token_byte) {
                return Err(HeadError::Malformed(format!(
                    "malformed MIME header line: {line}"
                )));
            }
            headers.push((name.to_owned(), value.trim_matches([' ', '\t']).to_owned()));
        }
        Ok(Head {
            status,
            http_1_0,
            headers,
        })
    }

    /// `utilio.ReadAtMost(body, limit)`: the body up to `limit` bytes; reaching the limit
    /// is no error, anything the framing says is missing is.
    pub(crate) fn read_body(&mut self, framing: Framing, limit: usize) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        match framing {
            Framing::Empty => {}
            Framing::Length(length) => {
                let want = usize::try_from(length).unwrap_or(usize::MAX).min(limit);
                if self.read_up_to(want, &mut body)? < want {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
            }
            Framing::UntilClose => {
                self.read_up_to(limit, &mut body)?;
            }
            Framing::Chunked => self.read_chunked(limit, &mut body)?,
        }
        Ok(body)
    }

    /// `internal/chunked`'s reader, stopping once `limit` bytes of data are read.
    fn read_chunked(&mut self, limit: usize, body: &mut Vec<u8>) -> io::Result<()> {
        let malformed = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
        while body.len() < limit {
            let line = self
                .read_line(MAX_CHUNK_LINE)?
                .ok_or(io::ErrorKind::UnexpectedEof)?;
            let size = chunk_size(&line).map_err(malformed)?;
            if size == 0 {
                // The trailer, up to its blank line.
                while !self
                    .read_line(MAX_HEAD)?
                    .ok_or(io::ErrorKind::UnexpectedEof)?
                    .is_empty()
                {}
                return Ok(());
            }
            let want = usize::try_from(size)
                .unwrap_or(usize::MAX)
                .min(limit - body.len());
            if self.read_up_to(want, body)? < want {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            if u64::try_from(want).is_ok_and(|w| w < size) {
                return Ok(()); // the limit, inside this chunk
            }
            let mut end = Vec::with_capacity(2);
            if self.read_up_to(2, &mut end)? < 2 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            if end != b"\r\n" {
                return Err(malformed("malformed chunked encoding"));
            }
        }
        Ok(())
    }
}

/// Why no response head was read.
#[derive(Debug)]
pub(crate) enum HeadError {
    /// The connection failed or timed out.
    Io(io::Error),
    /// The bytes are not an HTTP response head.
    Malformed(String),
}

impl From<io::Error> for HeadError {
    fn from(error: io::Error) -> HeadError {
        HeadError::Io(error)
    }
}

/// `HTTP/1.1 200 OK`: the status code and whether the version is 1.0, as `ReadResponse`
/// checks them.
fn parse_status_line(line: &str) -> Result<(u16, bool), HeadError> {
    let malformed = |what: &str| HeadError::Malformed(format!("{what}: {line:?}"));
    let (version, rest) = line
        .split_once(' ')
        .ok_or_else(|| malformed("malformed HTTP response"))?;
    let code = rest.split(' ').next().unwrap_or_default();
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed("malformed HTTP status code"));
    }
    let minor = version
        .strip_prefix("HTTP/1.")
        .filter(|minor| minor.len() == 1 && minor.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| malformed("malformed HTTP version"))?;
    Ok((code.parse().unwrap_or_default(), minor == "0"))
}

/// The size of a chunk from its line: hex digits, extensions after `;` ignored.
fn chunk_size(line: &[u8]) -> Result<u64, &'static str> {
    let line = line.split(|b| *b == b';').next().unwrap_or_default();
    let digits = line.trim_ascii();
    if digits.is_empty() {
        return Err("empty hex number for chunk length");
    }
    if digits.len() > 16 {
        return Err("http chunk length too large");
    }
    let mut size = 0u64;
    for &digit in digits {
        let value = char::from(digit)
            .to_digit(16)
            .ok_or("invalid byte in chunk length")?;
        size = size << 4 | u64::from(value);
    }
    Ok(size)
}

/// An HTTP token byte (RFC 9110 §5.6.2), which header names are made of.
pub(crate) fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The time left before `deadline`; a timeout error when none is.
pub(crate) fn remaining(deadline: Instant) -> io::Result<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|left| !left.is_zero())
        .ok_or_else(|| io::ErrorKind::TimedOut.into())
}

/// A socket timeout (`WouldBlock` on Unix) read as what it is.
fn timed_out(error: io::Error) -> io::Error {
    if error.kind() == io::ErrorKind::WouldBlock {
        io::ErrorKind::TimedOut.into()
    } else {
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(status: u16, headers: &[(&str, &str)]) -> Head {
        Head {
            status,
            http_1_0: false,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn reads_status_lines_as_go_does() {
        assert_eq!(
            parse_status_line("HTTP/1.1 503 Service Unavailable").unwrap(),
            (503, false)
        );
        assert_eq!(parse_status_line("HTTP/1.0 200").unwrap(), (200, true));
        for bad in [
            "SSH-2.0-OpenSSH",
            "HTTP/1.1 20 OK",
            "HTTP/2 200 OK",
            "HTTP/1.1",
        ] {
            assert!(parse_status_line(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn frames_bodies_as_go_does() {
        assert_eq!(
            Framing::of(&head(204, &[("Content-Length", "5")])),
            Ok(Framing::Empty)
        );
        assert_eq!(Framing::of(&head(200, &[])), Ok(Framing::UntilClose));
        assert_eq!(
            Framing::of(&head(
                200,
                &[("transfer-encoding", "chunked"), ("content-length", "3")]
            )),
            Ok(Framing::Chunked)
        );
        assert_eq!(
            Framing::of(&head(200, &[("Content-Length", " 12 ")])),
            Ok(Framing::Length(12))
        );
        assert!(
            Framing::of(&head(
                200,
                &[("Content-Length", "1"), ("Content-Length", "2")]
            ))
            .is_err()
        );
        assert!(Framing::of(&head(200, &[("Content-Length", "+1")])).is_err());
        assert!(Framing::of(&head(200, &[("Transfer-Encoding", "gzip")])).is_err());
        assert!(Framing::Length(2048).slurped() && !Framing::Length(2049).slurped());
    }

    #[test]
    fn reads_chunk_sizes() {
        assert_eq!(chunk_size(b"1a"), Ok(26));
        assert_eq!(chunk_size(b"0;name=value "), Ok(0));
        assert!(chunk_size(b"").is_err() && chunk_size(b"xyz").is_err());
    }
}
