//! The incremental decoder.

use bytes::{Buf, Bytes, BytesMut};
use http::HeaderName;

use crate::grammar::{hex_value, is_qdtext, is_quoted_pair_char, is_tchar, is_ws};
use crate::state::ChunkedState as S;
use crate::trailers::parse_trailers;
use crate::{ChunkExtension, ChunkHeader, Config, Error, ExtensionValue, Frame, LineContext};

/// Strict, incremental decoder of the chunked transfer coding
/// (RFC 9112 §7.1).
///
/// Feed it the bytes after the header section with [`Decoder::decode`];
/// it consumes what it used and yields [`Frame`]s. Chunk data is split off
/// the input as [`Bytes`] without copying, except that the data of small
/// chunks (up to 1 KiB) that follow whole in the input is first moved over
/// the framing between them, inside the input buffer, so that a run of
/// small chunks is one [`Frame::Data`]. After [`Frame::End`] the decoder
/// consumes nothing more, so pipelined bytes stay in the buffer.
///
/// Strictness, each rule with the attack it prevents:
/// - line ends are CRLF only, everywhere (RFC 9112 §2.2; CVE-2025-22871,
///   CVE-2025-55315);
/// - `chunk-size` is `1*HEXDIG`: no `0x`, sign, or leading whitespace, no
///   overflow past 64 bits (CVE-2021-32714), bounded digits;
/// - whitespace only where `BWS` is allowed (before and after `;` and `=`),
///   never before the CRLF;
/// - chunk data is followed by exactly CRLF (CVE-2025-43859);
/// - extensions follow the token / quoted-string grammar, no control
///   characters, and are bounded per chunk and per body (CVE-2023-39326,
///   CVE-2024-22019);
/// - trailer fields are CRLF-terminated, unfolded, bounded, and those that
///   RFC 9110 §6.5.1 forbids are rejected by default.
#[derive(Debug, Clone)]
pub struct Decoder {
    config: Config,
    state: S,
    /// Size of the current chunk, as read so far.
    size: u64,
    /// Digits of the current chunk-size.
    digits: usize,
    /// Chunk data still to come.
    remaining: u64,
    /// Sum of chunk sizes so far.
    body_len: u64,
    ext_bytes_chunk: usize,
    ext_bytes_body: usize,
    /// Extension being parsed, kept only when reporting chunk headers.
    ext_name: Vec<u8>,
    ext_value: Vec<u8>,
    ext_quoted: bool,
    ext_has_value: bool,
    extensions: Vec<ChunkExtension>,
    trailer: Vec<u8>,
    trailer_fields: usize,
    discarded: Vec<HeaderName>,
    /// A frame produced by a framing byte, handed out by `decode`.
    pending: Option<Frame>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new()
    }
}

/// The largest chunk whose data [`Decoder`] moves to join it to the
/// chunk before (see `join_small_chunks`): beyond this, moving the bytes
/// costs more than the separate frame it saves.
const JOIN_MAX: usize = 1024;

/// What one framing byte did. Kept to one byte so the per-byte loop stays
/// cheap; a frame that is ready waits in [`Decoder::pending`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Keep reading framing bytes.
    Continue,
    /// A frame is ready in `pending`.
    Yield,
    /// Chunk data begins (or the body ends): leave the byte loop.
    Leave,
}

impl Decoder {
    /// A decoder with the default [`Config`].
    pub fn new() -> Self {
        Decoder::with_config(Config::default())
    }

    /// A decoder with the given limits and options.
    pub fn with_config(config: Config) -> Self {
        Decoder {
            config,
            state: S::SizeStart,
            size: 0,
            digits: 0,
            remaining: 0,
            body_len: 0,
            ext_bytes_chunk: 0,
            ext_bytes_body: 0,
            ext_name: Vec::new(),
            ext_value: Vec::new(),
            ext_quoted: false,
            ext_has_value: false,
            extensions: Vec::new(),
            trailer: Vec::new(),
            trailer_fields: 0,
            discarded: Vec::new(),
            pending: None,
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// `true` once the whole body, trailers included, has been read and
    /// [`Frame::End`] yielded.
    pub fn is_done(&self) -> bool {
        self.state == S::Done
    }

    /// Chunk data bytes declared so far (the sum of chunk sizes read).
    pub fn body_len(&self) -> u64 {
        self.body_len
    }

    /// Names of prohibited trailer fields left out under
    /// [`TrailerPolicy::Discard`](crate::TrailerPolicy::Discard).
    pub fn discarded_trailers(&self) -> &[HeaderName] {
        &self.discarded
    }

    /// Decode the next frame from `src`, consuming the bytes it used.
    ///
    /// Returns `Ok(None)` when `src` holds no complete frame yet (all of it
    /// has then been consumed, except after the end of the body). Any error
    /// is final: the framing of the stream is lost, and the connection must
    /// be closed after answering [`Error::status`].
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, Error> {
        loop {
            match self.state {
                S::Data => return Ok(self.take_data(src)),
                S::End => {
                    self.state = S::Done;
                    return Ok(Some(Frame::End));
                }
                S::Done => return Ok(None),
                _ => {}
            }
            if self.state == S::DataCr && src.starts_with(b"\r\n") {
                src.advance(2);
                self.state = S::SizeStart;
            }
            if self.state == S::SizeStart {
                match self.plain_chunk_line(src)? {
                    Some(Step::Yield) => return Ok(self.pending.take()),
                    Some(_) => continue,
                    None => {}
                }
            }
            if src.is_empty() {
                return Ok(None);
            }
            let mut used = 0;
            let mut result = Ok(Step::Continue);
            for &b in src.iter() {
                used += 1;
                result = self.framing_byte(b);
                if result != Ok(Step::Continue) {
                    break;
                }
            }
            src.advance(used);
            match result? {
                Step::Continue => return Ok(None),
                Step::Yield => return Ok(self.pending.take()),
                Step::Leave => {}
            }
        }
    }

    /// Fast path for the most common chunk line, `1*16HEXDIG CRLF` with no
    /// extensions, when all of it is in `src`. Returns `None`, consuming
    /// nothing, for anything else: the byte-wise state machine then reads
    /// the line and reports any error exactly.
    fn plain_chunk_line(&mut self, src: &mut BytesMut) -> Result<Option<Step>, Error> {
        let Some((size, line_len)) = self.plain_line(src) else {
            return Ok(None);
        };
        src.advance(line_len);
        self.size = size;
        self.chunk_line_done().map(Some)
    }

    /// The size and length of a plain chunk line (`1*HEXDIG CRLF`, within
    /// the digit and size limits) at the start of `bytes`, if one is there
    /// whole.
    fn plain_line(&self, bytes: &[u8]) -> Option<(u64, usize)> {
        let limits = &self.config.limits;
        let max_digits = limits.max_chunk_size_digits.min(16);
        let mut size: u64 = 0;
        let mut digits = 0;
        for &b in bytes.iter().take(max_digits) {
            match hex_value(b) {
                Some(v) => size = (size << 4) | u64::from(v),
                None => break,
            }
            digits += 1;
        }
        let plain = digits > 0
            && bytes.get(digits..digits + 2) == Some(&b"\r\n"[..])
            && limits.max_chunk_size.is_none_or(|l| size <= l);
        plain.then_some((size, digits + 2))
    }

    /// Like [`Decoder::decode`], for when the stream has ended: an
    /// incomplete body is [`Error::UnexpectedEof`].
    pub fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, Error> {
        match self.decode(src)? {
            Some(frame) => Ok(Some(frame)),
            None if self.state == S::Done => Ok(None),
            None => Err(Error::UnexpectedEof(self.state.describe())),
        }
    }

    fn take_data(&mut self, src: &mut BytesMut) -> Option<Frame> {
        if src.is_empty() {
            return None;
        }
        let n = usize::try_from(self.remaining).map_or(src.len(), |r| r.min(src.len()));
        self.remaining -= n as u64;
        let (len, used) = if self.remaining == 0 {
            self.state = S::DataCr;
            self.join_small_chunks(&mut src[..], n)
        } else {
            (n, n)
        };
        let data: Bytes = src.split_to(len).freeze();
        src.advance(used - len);
        Some(Frame::Data(data))
    }

    /// Append to the `len` data bytes at the start of `buf` the data of the
    /// small chunks that follow whole in `buf`, moving each over the
    /// framing before it, so that many small chunks cost one [`Frame::Data`]
    /// (and one split of the input) instead of one each.
    ///
    /// Returns the joined length and how many bytes of `buf` that used;
    /// the bytes between are spent framing. Only plain chunk lines within
    /// the limits and data of at most [`JOIN_MAX`] bytes are joined;
    /// anything else, the last-chunk included, is left for
    /// [`Decoder::decode`] to read (and to report, if it is an error).
    /// Nothing is joined when chunk headers are reported.
    fn join_small_chunks(&mut self, buf: &mut [u8], mut len: usize) -> (usize, usize) {
        if self.config.report_chunk_headers {
            return (len, len);
        }
        let max_body = self.config.limits.max_body_size.unwrap_or(u64::MAX);
        let mut used = len;
        loop {
            if buf.get(used..used + 2) != Some(&b"\r\n"[..]) {
                break;
            }
            let Some((size, line_len)) = self.plain_line(&buf[used + 2..]) else {
                break;
            };
            let data_at = used + 2 + line_len;
            let fits = size > 0
                && size <= JOIN_MAX as u64
                && data_at + size as usize <= buf.len()
                && self.body_len + size <= max_body;
            if !fits {
                break;
            }
            let size_usize = size as usize;
            buf.copy_within(data_at..data_at + size_usize, len);
            len += size_usize;
            used = data_at + size_usize;
            self.body_len += size;
        }
        (len, used)
    }

    fn framing_byte(&mut self, b: u8) -> Result<Step, Error> {
        if self.state.in_extensions() {
            self.count_extension_byte()?;
        }
        match self.state {
            S::SizeStart | S::Size | S::SizeBws | S::SizeLf => self.size_byte(b),
            S::DataCr => match b {
                b'\r' => {
                    self.state = S::DataLf;
                    Ok(Step::Continue)
                }
                b'\n' => Err(Error::BareLf {
                    context: LineContext::AfterData,
                }),
                _ => Err(Error::MissingCrlfAfterData { found: b }),
            },
            S::DataLf => match b {
                b'\n' => {
                    self.state = S::SizeStart;
                    Ok(Step::Continue)
                }
                _ => Err(Error::BareCr {
                    context: LineContext::AfterData,
                    found: b,
                }),
            },
            S::TrailerStart | S::Trailer | S::TrailerLf | S::EndLf => self.trailer_byte(b),
            S::Data | S::End | S::Done => unreachable!("not a framing state"),
            _ => self.extension_byte(b),
        }
    }

    fn count_extension_byte(&mut self) -> Result<(), Error> {
        let limits = &self.config.limits;
        self.ext_bytes_chunk += 1;
        self.ext_bytes_body += 1;
        if self.ext_bytes_chunk > limits.max_extension_bytes_per_chunk {
            return Err(Error::ExtensionTooLong {
                limit: limits.max_extension_bytes_per_chunk,
            });
        }
        if self.ext_bytes_body > limits.max_extension_bytes_per_body {
            return Err(Error::ExtensionsTooLong {
                limit: limits.max_extension_bytes_per_body,
            });
        }
        Ok(())
    }

    /// `chunk-size`, the BWS before the first `;`, and the line's CRLF.
    fn size_byte(&mut self, b: u8) -> Result<Step, Error> {
        match (self.state, b) {
            (S::SizeStart, _) => match hex_value(b) {
                Some(v) => self.push_digit(v),
                None => Err(Error::MissingChunkSize { found: b }),
            },
            (S::Size, b'\r') => {
                self.state = S::SizeLf;
                Ok(Step::Continue)
            }
            (S::Size, b';') => {
                self.state = S::ExtNameStart;
                self.count_extension_byte()?;
                Ok(Step::Continue)
            }
            (S::Size, b'\n') => Err(Error::BareLf {
                context: LineContext::ChunkLine,
            }),
            (S::Size, _) if is_ws(b) => {
                self.state = S::SizeBws;
                self.count_extension_byte()?;
                Ok(Step::Continue)
            }
            (S::Size, _) => match hex_value(b) {
                Some(v) => self.push_digit(v),
                None => Err(Error::InvalidChunkSize { found: b }),
            },
            (S::SizeBws, b';') => {
                self.state = S::ExtNameStart;
                Ok(Step::Continue)
            }
            (S::SizeBws, _) if is_ws(b) => Ok(Step::Continue),
            (S::SizeBws, b'\r') => Err(Error::WhitespaceBeforeLineEnd),
            (S::SizeBws, _) => Err(Error::InvalidExtension { found: b }),
            (S::SizeLf, b'\n') => self.chunk_line_done(),
            (S::SizeLf, _) => Err(Error::BareCr {
                context: LineContext::ChunkLine,
                found: b,
            }),
            _ => unreachable!("size_byte called in {:?}", self.state),
        }
    }

    fn push_digit(&mut self, v: u8) -> Result<Step, Error> {
        self.digits += 1;
        let limits = &self.config.limits;
        if self.digits > limits.max_chunk_size_digits {
            return Err(Error::TooManySizeDigits {
                limit: limits.max_chunk_size_digits,
            });
        }
        self.size = self
            .size
            .checked_mul(16)
            .and_then(|s| s.checked_add(u64::from(v)))
            .ok_or(Error::ChunkSizeOverflow)?;
        if let Some(limit) = limits.max_chunk_size.filter(|&l| self.size > l) {
            return Err(Error::ChunkTooLarge {
                size: self.size,
                limit,
            });
        }
        self.state = S::Size;
        Ok(Step::Continue)
    }

    /// The chunk line's LF: start the data, or the trailer section.
    fn chunk_line_done(&mut self) -> Result<Step, Error> {
        let size = self.size;
        if let Some(limit) = self.config.limits.max_body_size {
            if self.body_len.saturating_add(size) > limit {
                return Err(Error::BodyTooLarge { limit });
            }
        }
        self.body_len += size;
        self.remaining = size;
        self.size = 0;
        self.digits = 0;
        self.ext_bytes_chunk = 0;
        self.state = if size == 0 { S::TrailerStart } else { S::Data };
        if self.config.report_chunk_headers {
            let extensions = std::mem::take(&mut self.extensions);
            self.pending = Some(Frame::Chunk(ChunkHeader { size, extensions }));
            return Ok(Step::Yield);
        }
        Ok(if size == 0 {
            Step::Continue
        } else {
            Step::Leave
        })
    }

    /// `chunk-ext` (RFC 9112 §7.1.1).
    fn extension_byte(&mut self, b: u8) -> Result<Step, Error> {
        let report = self.config.report_chunk_headers;
        let bad = Err(Error::InvalidExtension { found: b });
        match self.state {
            S::ExtNameStart if is_ws(b) => {}
            S::ExtNameStart if is_tchar(b) => {
                self.state = S::ExtName;
                if report {
                    self.ext_name.push(b);
                }
            }
            S::ExtName if is_tchar(b) => {
                if report {
                    self.ext_name.push(b);
                }
            }
            S::ExtName | S::ExtNameBws | S::ExtValueEnd | S::ExtValueBws => match b {
                b';' => {
                    self.finish_extension();
                    self.state = S::ExtNameStart;
                }
                b'=' if matches!(self.state, S::ExtName | S::ExtNameBws) => {
                    self.ext_has_value = true;
                    self.state = S::ExtValueStart;
                }
                _ if is_ws(b) => {
                    self.state = match self.state {
                        S::ExtName | S::ExtNameBws => S::ExtNameBws,
                        _ => S::ExtValueBws,
                    };
                }
                b'\r' if matches!(self.state, S::ExtNameBws | S::ExtValueBws) => {
                    return Err(Error::WhitespaceBeforeLineEnd);
                }
                b'\r' if matches!(self.state, S::ExtName | S::ExtValueEnd) => {
                    self.finish_extension();
                    self.state = S::SizeLf;
                }
                b'\n' if matches!(self.state, S::ExtName | S::ExtValueEnd) => {
                    return Err(Error::BareLf {
                        context: LineContext::ChunkLine,
                    });
                }
                _ => return bad,
            },
            S::ExtValueStart if is_ws(b) => {}
            S::ExtValueStart if b == b'"' => {
                self.ext_quoted = true;
                self.state = S::ExtQuoted;
            }
            S::ExtValueStart | S::ExtToken if is_tchar(b) => {
                self.state = S::ExtToken;
                if report {
                    self.ext_value.push(b);
                }
            }
            S::ExtToken => {
                // End of a token value: re-read this byte as after a value.
                self.state = S::ExtValueEnd;
                return self.extension_byte(b);
            }
            S::ExtQuoted if b == b'"' => self.state = S::ExtValueEnd,
            S::ExtQuoted if b == b'\\' => self.state = S::ExtQuotedPair,
            S::ExtQuoted if is_qdtext(b) => {
                if report {
                    self.ext_value.push(b);
                }
            }
            S::ExtQuotedPair if is_quoted_pair_char(b) => {
                self.state = S::ExtQuoted;
                if report {
                    self.ext_value.push(b);
                }
            }
            _ => return bad,
        }
        Ok(Step::Continue)
    }

    /// Store the extension just read, when reporting.
    fn finish_extension(&mut self) {
        let (has_value, quoted) = (self.ext_has_value, self.ext_quoted);
        self.ext_has_value = false;
        self.ext_quoted = false;
        if !self.config.report_chunk_headers {
            return;
        }
        let name = Bytes::from(std::mem::take(&mut self.ext_name));
        let value = std::mem::take(&mut self.ext_value);
        let value = match (has_value, quoted) {
            (false, _) => None,
            (true, false) => Some(ExtensionValue::Token(value.into())),
            (true, true) => Some(ExtensionValue::Quoted(value.into())),
        };
        self.extensions
            .push(ChunkExtension::from_parts(name, value));
    }

    /// The trailer section and the final CRLF (RFC 9112 §7.1.2).
    fn trailer_byte(&mut self, b: u8) -> Result<Step, Error> {
        let limits = &self.config.limits;
        if self.trailer.len() >= limits.max_trailer_bytes {
            return Err(Error::TrailerTooLarge {
                limit: limits.max_trailer_bytes,
            });
        }
        let lf_error = Err(Error::BareLf {
            context: LineContext::Trailer,
        });
        match (self.state, b) {
            (S::TrailerStart, b'\r') => self.state = S::EndLf,
            (S::TrailerStart, b'\n') | (S::Trailer, b'\n') => return lf_error,
            (S::TrailerStart, _) if is_ws(b) => return Err(Error::ObsoleteLineFolding),
            (S::TrailerStart, _) => {
                self.trailer_fields += 1;
                if self.trailer_fields > limits.max_trailer_fields {
                    return Err(Error::TooManyTrailerFields {
                        limit: limits.max_trailer_fields,
                    });
                }
                self.state = S::Trailer;
            }
            (S::Trailer, b'\r') => self.state = S::TrailerLf,
            (S::Trailer, _) => {}
            (S::TrailerLf, b'\n') => self.state = S::TrailerStart,
            (S::EndLf, b'\n') => return self.trailers_done(),
            (S::TrailerLf | S::EndLf, _) => {
                return Err(Error::BareCr {
                    context: LineContext::Trailer,
                    found: b,
                });
            }
            _ => unreachable!("trailer_byte called in {:?}", self.state),
        }
        self.trailer.push(b);
        Ok(Step::Continue)
    }

    fn trailers_done(&mut self) -> Result<Step, Error> {
        self.state = S::End;
        // The buffer holds the field lines and the final CR; add its LF.
        let mut section = std::mem::take(&mut self.trailer);
        if self.trailer_fields == 0 {
            return Ok(Step::Leave);
        }
        section.push(b'\n');
        let map = parse_trailers(
            &section,
            self.trailer_fields,
            self.config.trailer_policy,
            &mut self.discarded,
        )?;
        if map.is_empty() {
            return Ok(Step::Leave);
        }
        self.pending = Some(Frame::Trailers(map));
        Ok(Step::Yield)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Limits;

    /// Every frame of `wire` decoded from one buffer.
    fn frames(config: Config, wire: &[u8]) -> Vec<Result<Frame, Error>> {
        let mut decoder = Decoder::with_config(config);
        let mut src = BytesMut::from(wire);
        let mut out = Vec::new();
        loop {
            match decoder.decode(&mut src) {
                Ok(Some(frame)) => {
                    let end = frame == Frame::End;
                    out.push(Ok(frame));
                    if end {
                        return out;
                    }
                }
                Ok(None) => return out,
                Err(e) => {
                    out.push(Err(e));
                    return out;
                }
            }
        }
    }

    fn data(bytes: &'static [u8]) -> Result<Frame, Error> {
        Ok(Frame::Data(Bytes::from_static(bytes)))
    }

    #[test]
    fn small_chunks_in_one_buffer_are_one_frame() {
        let wire = b"3\r\nabc\r\n2\r\nde\r\n1\r\nf\r\n0\r\n\r\n";
        assert_eq!(
            frames(Config::default(), wire),
            [data(b"abcdef"), Ok(Frame::End)]
        );
    }

    #[test]
    fn joining_stops_before_a_large_chunk_and_an_incomplete_one() {
        let big = vec![b'x'; JOIN_MAX + 1];
        let mut wire = b"2\r\nab\r\n".to_vec();
        wire.extend_from_slice(format!("{:x}\r\n", big.len()).as_bytes());
        wire.extend_from_slice(&big);
        wire.extend_from_slice(b"\r\n1\r\nc\r\n3\r\nde");
        let got = frames(Config::default(), &wire);
        assert_eq!(got[0], data(b"ab"));
        // A small chunk joins the large one before it; the 3-byte chunk is
        // not whole yet, so it comes on its own.
        let mut joined = big;
        joined.push(b'c');
        assert_eq!(got[1], Ok(Frame::Data(Bytes::from(joined))));
        assert_eq!(got[2], data(b"de"));
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn limits_still_hold_for_joined_chunks() {
        let wire = b"2\r\nab\r\n2\r\ncd\r\n2\r\nef\r\n0\r\n\r\n";
        let config = Config::default().limits(Limits::default().max_body_size(Some(4)));
        assert_eq!(
            frames(config, wire),
            [data(b"abcd"), Err(Error::BodyTooLarge { limit: 4 })]
        );
        let wire = b"2\r\nab\r\n9\r\n123456789\r\n0\r\n\r\n";
        let config = Config::default().limits(Limits::default().max_chunk_size(Some(8)));
        assert_eq!(
            frames(config, wire),
            [data(b"ab"), Err(Error::ChunkTooLarge { size: 9, limit: 8 })]
        );
    }

    #[test]
    fn framing_errors_after_joined_chunks_are_reported() {
        let wire = b"2\r\nab\r\n1\r\nc\rX";
        assert_eq!(
            frames(Config::default(), wire),
            [
                data(b"abc"),
                Err(Error::BareCr {
                    context: LineContext::AfterData,
                    found: b'X'
                })
            ]
        );
    }

    #[test]
    fn chunks_are_not_joined_when_headers_are_reported() {
        let wire = b"1\r\na\r\n1\r\nb\r\n0\r\n\r\n";
        let got = frames(Config::default().report_chunk_headers(true), wire);
        let datas: Vec<_> = got
            .iter()
            .filter(|f| matches!(f, Ok(Frame::Data(_))))
            .collect();
        assert_eq!(datas, [&data(b"a"), &data(b"b")]);
    }
}
