//! The incremental decoder.

use bytes::{Buf, BytesMut};

use http::header::CONTENT_LENGTH;
use http::{HeaderMap, HeaderName, HeaderValue};
use memchr::memmem;

use crate::{Boundary, Config, Error, Item, Part};

/// Incremental decoder of a multipart body (RFC 2046 §5.1.1), for
/// `multipart/x-mixed-replace` streams and streamed `multipart/mixed`.
///
/// Feed it the body's bytes, in any split, with [`Decoder::decode`]; it
/// consumes what it used and yields [`Item::Part`] for each whole part
/// and [`Item::End`] at the close delimiter. Part bodies are [`Bytes`](bytes::Bytes)
/// split off the input without copying; header values share the same
/// memory.
///
/// How a part ends:
/// - with a `Content-Length` header, after that many bytes: the part is
///   yielded as soon as they are in, without waiting for the next
///   delimiter (an M-JPEG viewer shows each frame when it arrives), and
///   the next call checks that a delimiter follows
///   ([`Error::MissingDelimiterAfterBody`] if not);
/// - without one, at the next `CRLF "--" boundary` found by scanning
///   (memchr's `memmem`). RFC 2046 §5.1.1: a line that starts with the
///   dash-boundary is a delimiter whatever follows, so anything after it
///   but transport padding and CRLF, or `--`, is
///   [`Error::DelimiterLineJunk`].
///
/// The preamble before the first delimiter and the epilogue after the
/// close delimiter are ignored and dropped as they arrive. Strict by
/// default; [`Config`] lists the tolerances real senders need.
#[derive(Debug)]
pub struct Decoder {
    config: Config,
    /// `"--" boundary`, as the body uses it.
    dash: Vec<u8>,
    /// The other form under `allow_dashed_boundary` (the boundary's own
    /// leading `--` taken as the dash-boundary's), until the first
    /// delimiter picks one.
    alt_dash: Option<Vec<u8>>,
    finder: memmem::Finder<'static>,
    state: State,
}

#[derive(Debug)]
enum State {
    /// Before the first delimiter; `dropped` preamble bytes are gone,
    /// positions before `scanned` hold no dash-boundary start.
    Preamble { dropped: usize, scanned: usize },
    /// Right after a dash-boundary: padding and CRLF, or `--`.
    DelimiterLine,
    /// A part's header block.
    Headers,
    /// A part's body; `len` from its `Content-Length`, else scanned for
    /// the next delimiter from `scanned`.
    Body {
        headers: HeaderMap,
        len: Option<usize>,
        scanned: usize,
    },
    /// After a body of `Content-Length` bytes: a delimiter must follow.
    AfterBody,
    /// After the close delimiter (or an accepted end of stream).
    Epilogue,
    /// A decoding error; returned again on every call.
    Failed(Error),
}

impl Decoder {
    /// A strict decoder for `boundary`.
    pub fn new(boundary: Boundary) -> Decoder {
        Decoder::with_config(boundary, Config::default())
    }

    /// A decoder for `boundary` with the given limits and tolerances.
    pub fn with_config(boundary: Boundary, config: Config) -> Decoder {
        let dash = boundary.dash_boundary();
        let alt_dash = (config.allow_dashed_boundary && boundary.as_str().starts_with("--"))
            .then(|| boundary.as_str().as_bytes().to_vec());
        let finder = memmem::Finder::new(&dash).into_owned();
        Decoder {
            config,
            dash,
            alt_dash,
            finder,
            state: State::Preamble {
                dropped: 0,
                scanned: 0,
            },
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// `true` after the close delimiter, or after [`Decoder::decode_eof`]
    /// accepted the end of the stream.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Epilogue)
    }

    /// Decode the next item from `src`, consuming what it used. `Ok(None)`
    /// when more bytes are needed (all of `src` that is not part of an
    /// unfinished item has then been consumed).
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Item>, Error> {
        match self.step(src) {
            Err(error) => {
                self.state = State::Failed(error.clone());
                Err(error)
            }
            ok => ok,
        }
    }

    /// [`Decoder::decode`] at the end of the stream: reports a stream
    /// that ends before the close delimiter, as [`Error::Truncated`] inside
    /// a part or before the first delimiter, as
    /// [`Error::MissingCloseDelimiter`] between parts unless
    /// [`Config::allow_missing_close_delimiter`] accepts it.
    pub fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Item>, Error> {
        if let Some(item) = self.decode(src)? {
            return Ok(Some(item));
        }
        let error = match &self.state {
            State::Epilogue => return Ok(None),
            State::Preamble { .. } => Error::Truncated("preamble, before any delimiter"),
            State::DelimiterLine => Error::Truncated("delimiter line"),
            State::Headers if !src.is_empty() => Error::Truncated("part headers"),
            State::Body { .. } => Error::Truncated("part body"),
            State::Headers | State::AfterBody => {
                if self.config.allow_missing_close_delimiter {
                    src.clear();
                    self.state = State::Epilogue;
                    return Ok(None);
                }
                Error::MissingCloseDelimiter
            }
            State::Failed(error) => error.clone(),
        };
        self.state = State::Failed(error.clone());
        Err(error)
    }

    fn step(&mut self, src: &mut BytesMut) -> Result<Option<Item>, Error> {
        loop {
            match &mut self.state {
                State::Failed(error) => return Err(error.clone()),
                State::Epilogue => {
                    src.clear();
                    return Ok(None);
                }
                State::Preamble { .. } => {
                    if !self.preamble(src)? {
                        return Ok(None);
                    }
                }
                State::DelimiterLine => match self.delimiter_line(src)? {
                    Line::Wait => return Ok(None),
                    Line::Part => self.state = State::Headers,
                    Line::Close => {
                        self.state = State::Epilogue;
                        src.clear();
                        return Ok(Some(Item::End));
                    }
                },
                State::Headers => {
                    match self.empty_part(src) {
                        Some(true) => {
                            self.state = State::DelimiterLine;
                            return Ok(Some(Item::Part(Part::default())));
                        }
                        Some(false) => {}
                        None => return Ok(None),
                    }
                    let Some((headers, len)) = self.headers(src)? else {
                        return Ok(None);
                    };
                    self.state = State::Body {
                        headers,
                        len,
                        scanned: 0,
                    };
                }
                State::Body {
                    len: Some(len),
                    headers,
                    ..
                } => {
                    if src.len() < *len {
                        return Ok(None);
                    }
                    let part = Part {
                        headers: std::mem::take(headers),
                        body: src.split_to(*len).freeze(),
                    };
                    self.state = State::AfterBody;
                    return Ok(Some(Item::Part(part)));
                }
                State::Body {
                    len: None,
                    headers,
                    scanned,
                } => {
                    let Some(end) =
                        scan_body(&self.config, &self.dash, &self.finder, src, scanned)?
                    else {
                        return Ok(None);
                    };
                    let part = Part {
                        headers: std::mem::take(headers),
                        body: src.split_to(end).freeze(),
                    };
                    // The CRLF (or LF) and the dash-boundary.
                    let skip = if src.first() == Some(&b'\r') { 2 } else { 1 };
                    src.advance(skip + self.dash.len());
                    self.state = State::DelimiterLine;
                    return Ok(Some(Item::Part(part)));
                }
                State::AfterBody => {
                    if !self.after_body(src)? {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Look for the first delimiter; `true` once found and consumed.
    fn preamble(&mut self, src: &mut BytesMut) -> Result<bool, Error> {
        let State::Preamble { dropped, scanned } = &mut self.state else {
            unreachable!()
        };
        let longest = self.dash.len();
        let mut best: Option<(usize, usize, bool)> = None;
        let forms = std::iter::once((&self.dash, false))
            .chain(self.alt_dash.as_ref().map(|alt| (alt, true)));
        for (dash, is_alt) in forms {
            let mut from = *scanned;
            while let Some(q) = memmem::find(&src[from..], dash).map(|i| i + from) {
                if let Some(start) = line_start(
                    src,
                    q,
                    *dropped == 0,
                    self.config.allow_lf_line_ends,
                    self.config.allow_missing_crlf_before_delimiter,
                ) {
                    if best.is_none_or(|(s, _, _)| start < s) {
                        best = Some((start, q + dash.len(), is_alt));
                    }
                    break;
                }
                from = q + 1;
            }
        }
        let limit = self.config.limits.max_preamble_size;
        if let Some((start, after, is_alt)) = best {
            if *dropped + start > limit {
                return Err(Error::PreambleTooLong { limit });
            }
            if is_alt {
                self.dash = self.alt_dash.take().unwrap_or_default();
                self.finder = memmem::Finder::new(&self.dash).into_owned();
            }
            self.alt_dash = None;
            src.advance(after);
            self.state = State::DelimiterLine;
            return Ok(true);
        }
        // Keep what a delimiter starting later could still need: the
        // partial dash-boundary and the CRLF before it.
        let keep = longest - 1 + 2;
        if src.len() > keep {
            let drop = src.len() - keep;
            if *dropped + drop > limit {
                return Err(Error::PreambleTooLong { limit });
            }
            src.advance(drop);
            *dropped += drop;
        }
        *scanned = src.len().saturating_sub(longest - 1);
        Ok(false)
    }

    fn delimiter_line(&self, src: &mut BytesMut) -> Result<Line, Error> {
        match src.first() {
            None => return Ok(Line::Wait),
            Some(b'-') => {
                return match src.get(1) {
                    None => Ok(Line::Wait),
                    Some(b'-') => {
                        src.advance(2);
                        Ok(Line::Close)
                    }
                    Some(_) => Err(Error::DelimiterLineJunk { found: b'-' }),
                };
            }
            Some(_) => {}
        }
        let limit = self.config.limits.max_transport_padding;
        let pad = src.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
        if pad > limit {
            return Err(Error::PaddingTooLong { limit });
        }
        match src.get(pad) {
            None => Ok(Line::Wait),
            Some(b'\r') => match src.get(pad + 1) {
                None => Ok(Line::Wait),
                Some(b'\n') => {
                    src.advance(pad + 2);
                    Ok(Line::Part)
                }
                Some(_) => Err(Error::DelimiterLineJunk { found: b'\r' }),
            },
            Some(b'\n') if self.config.allow_lf_line_ends => {
                src.advance(pad + 1);
                Ok(Line::Part)
            }
            Some(b'\n') => Err(Error::BareLf {
                context: "delimiter line",
            }),
            Some(&found) => Err(Error::DelimiterLineJunk { found }),
        }
    }

    /// A body-part left out entirely (RFC 2046 §5.1.1 `body-part :=
    /// MIME-part-headers [CRLF *OCTET]`, both empty): the delimiter line
    /// is followed at once by the next delimiter, whose CRLF would
    /// otherwise pass for the empty line of a header block. `Some(true)`
    /// when consumed (up to the dash-boundary), `Some(false)` when this is
    /// not the case, `None` while undecided.
    fn empty_part(&self, src: &mut BytesMut) -> Option<bool> {
        let line_end: &[u8] = match src.first() {
            Some(b'\r') => b"\r\n",
            Some(b'\n') if self.config.allow_lf_line_ends => b"\n",
            Some(_) => return Some(false),
            None => return None,
        };
        let want = line_end.len() + self.dash.len();
        let have = src.len().min(want);
        let expected = line_end.iter().chain(self.dash.iter());
        if !src[..have].iter().zip(expected).all(|(a, b)| a == b) {
            return Some(false);
        }
        if have < want {
            return None;
        }
        src.advance(want);
        Some(true)
    }

    /// The header block, once whole: its fields and `Content-Length`.
    #[allow(clippy::type_complexity)]
    fn headers(&self, src: &mut BytesMut) -> Result<Option<(HeaderMap, Option<usize>)>, Error> {
        let limits = &self.config.limits;
        let window = &src[..src.len().min(limits.max_header_bytes)];
        // Each field takes at least 3 bytes ("a:\n"), so the window never
        // holds more fields than that: no more slots are needed, whatever
        // the limit.
        let slots = limits.max_headers.min(window.len() / 3 + 1);
        let mut slots = vec![httparse::EMPTY_HEADER; slots];
        let (used, fields) = match httparse::parse_headers(window, &mut slots) {
            Ok(httparse::Status::Complete((used, fields))) => (used, fields),
            Ok(httparse::Status::Partial) if src.len() >= limits.max_header_bytes => {
                return Err(Error::HeaderBlockTooLarge {
                    limit: limits.max_header_bytes,
                });
            }
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(httparse::Error::TooManyHeaders) => {
                return Err(Error::TooManyHeaders {
                    limit: limits.max_headers,
                });
            }
            Err(httparse::Error::HeaderName) => return Err(Error::InvalidHeader("invalid name")),
            Err(httparse::Error::HeaderValue) => {
                return Err(Error::InvalidHeader("invalid value"));
            }
            Err(httparse::Error::NewLine) => return Err(Error::InvalidHeader("invalid line end")),
            Err(_) => return Err(Error::InvalidHeader("not a header field")),
        };
        if !self.config.allow_lf_line_ends && has_bare_lf(&window[..used]) {
            return Err(Error::BareLf {
                context: "part headers",
            });
        }
        let base = window.as_ptr() as usize;
        let mut named = Vec::with_capacity(fields.len());
        for field in fields.iter() {
            let name = HeaderName::from_bytes(field.name.as_bytes())
                .map_err(|_| Error::InvalidHeader("invalid name"))?;
            let start = field.value.as_ptr() as usize - base;
            named.push((name, start..start + field.value.len()));
        }
        let block = src.split_to(used).freeze();
        let mut headers = HeaderMap::with_capacity(named.len());
        for (name, range) in named {
            let value = HeaderValue::from_maybe_shared(block.slice(range))
                .map_err(|_| Error::InvalidHeader("a control character in a value"))?;
            headers.append(name, value);
        }
        let len = content_length(&headers)?;
        if let Some(len) = len {
            if len > limits.max_part_size {
                return Err(Error::PartTooLarge {
                    limit: limits.max_part_size,
                });
            }
        }
        Ok(Some((headers, len)))
    }

    /// The delimiter after a `Content-Length` body; `true` once consumed.
    fn after_body(&mut self, src: &mut BytesMut) -> Result<bool, Error> {
        let forms: [(&[u8], bool); 3] = [
            (b"\r\n", true),
            (b"\n", self.config.allow_lf_line_ends),
            (b"", self.config.allow_missing_crlf_before_delimiter),
        ];
        let mut possible = false;
        for (line_end, allowed) in forms {
            if !allowed {
                continue;
            }
            let want = line_end.len() + self.dash.len();
            let have = src.len().min(want);
            let expected = line_end.iter().chain(self.dash.iter());
            if src[..have].iter().zip(expected).all(|(a, b)| a == b) {
                if have == want {
                    src.advance(want);
                    self.state = State::DelimiterLine;
                    return Ok(true);
                }
                possible = true;
            }
        }
        if possible {
            Ok(false)
        } else {
            Err(Error::MissingDelimiterAfterBody)
        }
    }
}

/// What a delimiter line turned out to be.
enum Line {
    Wait,
    Part,
    Close,
}

/// The end of a body without `Content-Length`: the index of the CRLF
/// (or LF) of the next delimiter.
fn scan_body(
    config: &Config,
    dash: &[u8],
    finder: &memmem::Finder<'_>,
    src: &BytesMut,
    scanned: &mut usize,
) -> Result<Option<usize>, Error> {
    let lf = config.allow_lf_line_ends;
    let mut from = *scanned;
    while let Some(q) = finder.find(&src[from..]).map(|i| i + from) {
        let end = if q >= 2 && &src[q - 2..q] == b"\r\n" {
            Some(q - 2)
        } else if lf && q >= 1 && src[q - 1] == b'\n' {
            Some(q - 1)
        } else {
            None
        };
        if let Some(end) = end {
            let limit = config.limits.max_part_size;
            if end > limit {
                return Err(Error::PartTooLarge { limit });
            }
            return Ok(Some(end));
        }
        from = q + 1;
    }
    *scanned = src.len().saturating_sub(dash.len() - 1);
    // What cannot be the start of a delimiter is body.
    let known = src.len().saturating_sub(dash.len() - 1 + 2);
    let limit = config.limits.max_part_size;
    if known > limit {
        return Err(Error::PartTooLarge { limit });
    }
    Ok(None)
}

/// Where the delimiter whose dash-boundary is at `q` starts, if a line
/// starts there: after CRLF (after LF with `lf`), at the very start of the
/// body, or anywhere with `bare`.
fn line_start(src: &[u8], q: usize, at_stream_start: bool, lf: bool, bare: bool) -> Option<usize> {
    if q >= 2 && &src[q - 2..q] == b"\r\n" {
        Some(q - 2)
    } else if lf && q >= 1 && src[q - 1] == b'\n' {
        Some(q - 1)
    } else if (q == 0 && at_stream_start) || bare {
        Some(q)
    } else {
        None
    }
}

fn has_bare_lf(block: &[u8]) -> bool {
    memchr::memchr_iter(b'\n', block).any(|i| i == 0 || block[i - 1] != b'\r')
}

/// The part's `Content-Length`: every such field one decimal number, all
/// equal (RFC 9110 §8.6).
fn content_length(headers: &HeaderMap) -> Result<Option<usize>, Error> {
    let mut len = None;
    for value in headers.get_all(CONTENT_LENGTH) {
        let bytes = value.as_bytes().trim_ascii();
        if bytes.is_empty() || bytes.len() > 19 || !bytes.iter().all(u8::is_ascii_digit) {
            return Err(Error::InvalidContentLength);
        }
        let n: u64 = bytes.iter().fold(0, |n, d| n * 10 + u64::from(d - b'0'));
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        if len.is_some_and(|l| l != n) {
            return Err(Error::InvalidContentLength);
        }
        len = Some(n);
    }
    Ok(len)
}

impl From<Part> for Item {
    fn from(part: Part) -> Item {
        Item::Part(part)
    }
}

#[cfg(test)]
#[path = "decoder_tests.rs"]
mod tests;
