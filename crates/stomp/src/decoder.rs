//! The stream decoder (STOMP 1.2 "STOMP Frames", "Augmented BNF").

use bytes::{Buf, Bytes, BytesMut};

use crate::headers::{escapes, unescape};
use crate::{Command, Error, Frame, Item, Limits, Version};

/// The longest command line: `UNSUBSCRIBE` and a CR.
const MAX_COMMAND_LINE: usize = 12;

/// Decodes a STOMP byte stream into [`Item`]s: frames, and the EOLs
/// between them (heart-beats).
///
/// It consumes what it used from `src` and returns `Ok(None)` when it
/// needs more bytes; parsed lines are consumed as they arrive, so feeding
/// a frame byte by byte costs no rescans. A body is split off `src`
/// without copying. Every error is fatal for the connection (send
/// [`Error::error_frame`] and close); the decoder is reset to the start
/// of a frame.
///
/// Rules (STOMP 1.2 "STOMP Frames", "Value Encoding", "Header
/// content-length"): the command line, header lines `name:value` split at
/// the first colon, a blank line, the body, then NUL. With a
/// `content-length` (the first one counts) the body is that many bytes
/// and may hold NULs; without, it runs to the first NUL. Header escapes
/// follow the [version](Decoder::set_version) (1.2: `\r \n \c \\`; 1.1:
/// `\n \c \\`; 1.0: none) and are never applied in CONNECT, STOMP and
/// CONNECTED frames; any other backslash sequence is an error. In 1.2 a
/// line may end in CRLF; in 1.0 and 1.1 a CR before the LF of a header
/// line belongs to the value, though a CR ending the command line or the
/// blank line is tolerated in every version.
///
/// The version starts as 1.2 (a CONNECT frame is read alike in every
/// version); set the negotiated one after CONNECTED.
///
/// ```
/// use bytes::BytesMut;
/// use rtw_stomp::{Command, Decoder, Item};
///
/// let mut decoder = Decoder::new();
/// let mut src = BytesMut::from(&b"\nMESSAGE\r\nsubscription:0\r\ncontent-length:3\r\n\r\na\0b\0\n"[..]);
/// assert_eq!(decoder.decode(&mut src).unwrap(), Some(Item::HeartBeat));
/// let Some(Item::Frame(frame)) = decoder.decode(&mut src).unwrap() else { panic!() };
/// assert_eq!(frame.command, Command::Message);
/// assert_eq!(frame.header("subscription"), Some("0"));
/// assert_eq!(&frame.body[..], b"a\0b");
/// assert_eq!(decoder.decode(&mut src).unwrap(), Some(Item::HeartBeat));
/// assert_eq!(decoder.decode(&mut src).unwrap(), None);
/// ```
#[derive(Debug)]
pub struct Decoder {
    limits: Limits,
    version: Version,
    state: State,
}

#[derive(Debug)]
enum State {
    /// Between frames: EOLs are heart-beats.
    Idle,
    /// Reading lines; `src` starts at the line being read.
    Head(Partial),
    /// Reading the body; `src` starts at the body.
    Body(Partial, Option<usize>),
}

#[derive(Debug)]
struct Partial {
    command: Option<Command>,
    headers: Vec<(String, String)>,
    /// Bytes of the frame consumed so far.
    size: usize,
    /// Bytes of `src` already searched for the line end or NUL.
    scanned: usize,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

impl Decoder {
    /// A decoder with the default [`Limits`], reading STOMP 1.2.
    pub fn new() -> Self {
        Decoder::with_limits(Limits::default())
    }

    /// A decoder with `limits`, reading STOMP 1.2.
    pub fn with_limits(limits: Limits) -> Self {
        Decoder {
            limits,
            version: Version::V1_2,
            state: State::Idle,
        }
    }

    /// Sets the version whose rules apply to the frames that follow
    /// (after CONNECTED; STOMP 1.2 "Protocol Negotiation").
    pub fn set_version(&mut self, version: Version) {
        self.version = version;
    }

    /// The version whose rules apply.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Whether the decoder is between frames (nothing partial held).
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Idle)
    }

    /// The next item of `src`, consuming its bytes; `Ok(None)` when more
    /// bytes are needed.
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Item>, Error> {
        let result = self.step(src);
        if result.is_err() {
            self.state = State::Idle;
        }
        result
    }

    /// [`Decoder::decode`] at the end of the stream: a stream that ends
    /// inside a frame (or on a lone CR) is [`Error::Truncated`].
    pub fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Item>, Error> {
        match self.decode(src)? {
            Some(item) => Ok(Some(item)),
            None if self.is_idle() && src.is_empty() => Ok(None),
            None => {
                self.state = State::Idle;
                Err(Error::Truncated)
            }
        }
    }

    fn step(&mut self, src: &mut BytesMut) -> Result<Option<Item>, Error> {
        loop {
            match &mut self.state {
                State::Idle => {
                    match src.first() {
                        None => return Ok(None),
                        Some(b'\n') => {
                            src.advance(1);
                            return Ok(Some(Item::HeartBeat));
                        }
                        Some(b'\r') => match src.get(1) {
                            None => return Ok(None),
                            Some(b'\n') => {
                                src.advance(2);
                                return Ok(Some(Item::HeartBeat));
                            }
                            Some(_) => return Err(Error::UnknownCommand),
                        },
                        Some(_) => {}
                    }
                    self.state = State::Head(Partial {
                        command: None,
                        headers: Vec::with_capacity(8),
                        size: 0,
                        scanned: 0,
                    });
                }
                State::Head(partial) => {
                    // A caller that dropped bytes it had handed in before
                    // (misuse) gets the line searched again, not a panic.
                    partial.scanned = partial.scanned.min(src.len());
                    let Some(at) = memchr::memchr(b'\n', &src[partial.scanned..]) else {
                        partial.scanned = src.len();
                        check_partial_line(partial, src.len(), &self.limits)?;
                        return Ok(None);
                    };
                    let end = partial.scanned + at;
                    partial.scanned = 0;
                    partial.size += end + 1;
                    if partial.size > self.limits.max_frame_size {
                        return Err(Error::FrameTooLarge {
                            limit: self.limits.max_frame_size,
                        });
                    }
                    let line = &src[..end];
                    let Some(command) = partial.command else {
                        let line = line.strip_suffix(b"\r").unwrap_or(line);
                        let command = Command::parse(line).ok_or(Error::UnknownCommand)?;
                        partial.command = Some(command);
                        src.advance(end + 1);
                        continue;
                    };
                    if line.is_empty() || line == b"\r" {
                        src.advance(end + 1);
                        let length = content_length(&partial.headers, &self.limits, partial.size)?;
                        let State::Head(partial) = std::mem::replace(&mut self.state, State::Idle)
                        else {
                            unreachable!("in the head state")
                        };
                        self.state = State::Body(partial, length);
                        continue;
                    }
                    let line = if self.version >= Version::V1_2 {
                        line.strip_suffix(b"\r").unwrap_or(line)
                    } else {
                        line
                    };
                    if line.len() > self.limits.max_header_line {
                        return Err(Error::HeaderLineTooLong {
                            limit: self.limits.max_header_line,
                        });
                    }
                    if partial.headers.len() >= self.limits.max_headers {
                        return Err(Error::TooManyHeaders {
                            limit: self.limits.max_headers,
                        });
                    }
                    let colon = memchr::memchr(b':', line).ok_or(Error::MissingColon)?;
                    let escaped = escapes(self.version) && !command.is_unescaped();
                    let name = unescape(&line[..colon], self.version, escaped)?;
                    let value = unescape(&line[colon + 1..], self.version, escaped)?;
                    partial.headers.push((name, value));
                    src.advance(end + 1);
                }
                State::Body(partial, length) => {
                    let body = match *length {
                        Some(n) => {
                            if src.len() <= n {
                                return Ok(None);
                            }
                            if src[n] != 0 {
                                return Err(Error::MissingNul);
                            }
                            take_body(src, n)
                        }
                        None => {
                            partial.scanned = partial.scanned.min(src.len());
                            let Some(at) = memchr::memchr(0, &src[partial.scanned..]) else {
                                partial.scanned = src.len();
                                if src.len() > self.limits.max_body {
                                    return Err(Error::BodyTooLarge {
                                        limit: self.limits.max_body,
                                    });
                                }
                                if partial.size + src.len() >= self.limits.max_frame_size {
                                    return Err(Error::FrameTooLarge {
                                        limit: self.limits.max_frame_size,
                                    });
                                }
                                return Ok(None);
                            };
                            let n = partial.scanned + at;
                            if n > self.limits.max_body {
                                return Err(Error::BodyTooLarge {
                                    limit: self.limits.max_body,
                                });
                            }
                            if partial.size + n + 1 > self.limits.max_frame_size {
                                return Err(Error::FrameTooLarge {
                                    limit: self.limits.max_frame_size,
                                });
                            }
                            take_body(src, n)
                        }
                    };
                    let State::Body(partial, _) = std::mem::replace(&mut self.state, State::Idle)
                    else {
                        unreachable!("in the body state")
                    };
                    let Some(command) = partial.command else {
                        unreachable!("the command comes before the body")
                    };
                    return Ok(Some(Item::Frame(Frame {
                        command,
                        headers: partial.headers,
                        body,
                    })));
                }
            }
        }
    }
}

/// Splits `n` body bytes and the NUL off `src`.
fn take_body(src: &mut BytesMut, n: usize) -> Bytes {
    let body = src.split_to(n).freeze();
    src.advance(1);
    body
}

/// Limits on a line that has not ended yet (`len` bytes so far).
fn check_partial_line(partial: &Partial, len: usize, limits: &Limits) -> Result<(), Error> {
    if partial.size + len >= limits.max_frame_size {
        return Err(Error::FrameTooLarge {
            limit: limits.max_frame_size,
        });
    }
    if partial.command.is_none() {
        if len > MAX_COMMAND_LINE {
            return Err(Error::UnknownCommand);
        }
    } else if len > limits.max_header_line + 1 {
        // One more byte for a CR that may precede the LF.
        return Err(Error::HeaderLineTooLong {
            limit: limits.max_header_line,
        });
    }
    Ok(())
}

/// The body length from the first `content-length` header, checked
/// against the limits before any of the body is buffered.
fn content_length(
    headers: &[(String, String)],
    limits: &Limits,
    head: usize,
) -> Result<Option<usize>, Error> {
    let Some((_, value)) = headers.iter().find(|(n, _)| n == "content-length") else {
        return Ok(None);
    };
    let value = value.trim_matches(' ');
    if value.is_empty() || value.len() > 19 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::InvalidContentLength);
    }
    let n: u64 = value.parse().map_err(|_| Error::InvalidContentLength)?;
    if n > limits.max_body as u64 {
        return Err(Error::BodyTooLarge {
            limit: limits.max_body,
        });
    }
    let n = n as usize;
    if head.saturating_add(n).saturating_add(1) > limits.max_frame_size {
        return Err(Error::FrameTooLarge {
            limit: limits.max_frame_size,
        });
    }
    Ok(Some(n))
}
