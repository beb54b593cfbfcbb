//! A whole STOMP frame (STOMP 1.2 "STOMP Frames").

use bytes::{Bytes, BytesMut};

use crate::{Command, Version};

/// A whole frame: command, headers and body.
///
/// Headers are decoded (escapes undone), kept in wire order, and repeats
/// are kept; [`Frame::header`] returns the first value, the one that
/// counts (STOMP 1.2 "Repeated Header Entries"). The body is raw bytes
/// and may hold NULs (then a `content-length` header frames it, STOMP 1.2
/// "Header content-length").
///
/// ```
/// use rtw_stomp::{Command, Frame, Version};
///
/// let frame = Frame::new(Command::Send)
///     .with_header("destination", "/queue/a")
///     .with_body(&b"hello"[..]);
/// assert_eq!(
///     &frame.to_bytes(Version::V1_2)[..],
///     b"SEND\ndestination:/queue/a\ncontent-length:5\n\nhello\0"
/// );
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The command.
    pub command: Command,
    /// The headers, decoded, in order, repeats kept.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

impl Frame {
    /// A frame with no headers and no body.
    pub fn new(command: Command) -> Self {
        Frame {
            command,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    /// An ERROR frame (STOMP 1.2 "ERROR"): `message` as its `message`
    /// header and again as a `text/plain` body, and `receipt-id` when the
    /// refused frame asked for a receipt.
    pub fn error(message: &str, receipt_id: Option<&str>) -> Self {
        let mut frame = Frame::new(Command::Error).with_header("message", message);
        if let Some(receipt) = receipt_id {
            frame = frame.with_header("receipt-id", receipt);
        }
        frame
            .with_header("content-type", "text/plain")
            .with_body(Bytes::copy_from_slice(message.as_bytes()))
    }

    /// Adds a header after the others.
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    #[must_use]
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// The first value of header `name` (names are case-sensitive; STOMP
    /// 1.2 "Repeated Header Entries").
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Serializes the frame for `version` into `dst`.
    ///
    /// Header names and values are escaped as the version says (STOMP 1.2
    /// "Value Encoding"; 1.1 has no `\r`, 1.0 no escapes), except in
    /// CONNECT, STOMP and CONNECTED frames, which are never escaped. Lines
    /// end in LF. The first `content-length` header is written with the
    /// body's real length; when the body is not empty and there is none,
    /// `content-length` is added after the other headers. The frame ends
    /// with NUL.
    ///
    /// Text the version cannot carry is the caller's to avoid: a LF (or a
    /// colon in a name) in an unescaped frame, a CR before the line end in
    /// 1.1, a NUL anywhere in a header.
    pub fn encode(&self, version: Version, dst: &mut BytesMut) {
        crate::encode::encode(self, version, dst);
    }

    /// [`Frame::encode`] into a new buffer.
    pub fn to_bytes(&self, version: Version) -> Bytes {
        let mut dst = BytesMut::with_capacity(self.encoded_len_hint());
        self.encode(version, &mut dst);
        dst.freeze()
    }

    pub(crate) fn encoded_len_hint(&self) -> usize {
        let head: usize = self
            .headers
            .iter()
            .map(|(n, v)| n.len() + v.len() + 2)
            .sum();
        self.command.as_str().len() + head + self.body.len() + 32
    }
}

/// One item of a STOMP byte stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A whole frame.
    Frame(Frame),
    /// An EOL (LF or CRLF) between frames: a heart-beat (STOMP 1.2
    /// "Heart-beating").
    HeartBeat,
}
