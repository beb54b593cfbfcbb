//! The errors of rtw-stomp.

use crate::{Command, Frame};

/// Everything that can go wrong in rtw-stomp's codec.
///
/// Every decoding error is fatal for the connection: STOMP 1.2 "Frames
/// and Headers" and "Size Limits" have the server answer with an ERROR
/// frame and close. [`Error::error_frame`] builds that frame, its
/// `message` header naming the broken rule or limit.
///
/// ```
/// use bytes::BytesMut;
/// use rtw_stomp::{Decoder, Error};
///
/// let mut decoder = Decoder::new();
/// let mut src = BytesMut::from(&b"SEND\ndestination:/queue/a\\t\n\nhi\0"[..]);
/// let error = decoder.decode(&mut src).unwrap_err();
/// assert!(matches!(error, Error::UndefinedEscape { .. }));
/// assert!(error.is_peer_fault());
/// let frame = error.error_frame();
/// assert_eq!(frame.header("message"), Some("undefined escape sequence in a header"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The first line of a frame is no STOMP command.
    #[error("unknown command (STOMP 1.2 \"Frames and Headers\")")]
    UnknownCommand,
    /// A header line has no colon.
    #[error("header line without a colon (STOMP 1.2 \"Frames and Headers\")")]
    MissingColon,
    /// A backslash in a header is followed by something other than the
    /// escapes of the version, or ends the text.
    #[error("undefined escape sequence in a header (STOMP 1.2 \"Value Encoding\")")]
    UndefinedEscape {
        /// The byte after the backslash; `None` when the backslash ended
        /// the name or value.
        byte: Option<u8>,
    },
    /// The command or a header is not UTF-8.
    #[error("command or header not UTF-8 (STOMP 1.2 \"Value Encoding\")")]
    NotUtf8,
    /// A `content-length` header that is not a decimal byte count.
    #[error("invalid content-length header (STOMP 1.2 \"Header content-length\")")]
    InvalidContentLength,
    /// The byte after `content-length` bytes of body is not the NUL.
    #[error("body not followed by NUL (STOMP 1.2 \"Header content-length\")")]
    MissingNul,
    /// A `heart-beat` header that is not two integers separated by a comma.
    #[error("invalid heart-beat header (STOMP 1.2 \"Heart-beating\")")]
    InvalidHeartBeat,
    /// The stream ended inside a frame.
    #[error("stream ended inside a frame (STOMP 1.2 \"Frames and Headers\")")]
    Truncated,
    /// A frame passed [`Limits::max_frame_size`](crate::Limits::max_frame_size).
    #[error("frame larger than max_frame_size {limit} bytes (STOMP 1.2 \"Size Limits\")")]
    FrameTooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// A frame passed [`Limits::max_headers`](crate::Limits::max_headers).
    #[error("more than max_headers {limit} headers (STOMP 1.2 \"Size Limits\")")]
    TooManyHeaders {
        /// The configured limit.
        limit: usize,
    },
    /// A line passed [`Limits::max_header_line`](crate::Limits::max_header_line).
    #[error("line longer than max_header_line {limit} bytes (STOMP 1.2 \"Size Limits\")")]
    HeaderLineTooLong {
        /// The configured limit.
        limit: usize,
    },
    /// A body passed [`Limits::max_body`](crate::Limits::max_body).
    #[error("body larger than max_body {limit} bytes (STOMP 1.2 \"Size Limits\")")]
    BodyTooLarge {
        /// The configured limit.
        limit: usize,
    },
}

impl Error {
    /// Whether the peer broke the protocol (every variant of the codec),
    /// as opposed to the caller misusing the API.
    pub fn is_peer_fault(&self) -> bool {
        match self {
            Error::UnknownCommand
            | Error::MissingColon
            | Error::UndefinedEscape { .. }
            | Error::NotUtf8
            | Error::InvalidContentLength
            | Error::MissingNul
            | Error::InvalidHeartBeat
            | Error::Truncated
            | Error::FrameTooLarge { .. }
            | Error::TooManyHeaders { .. }
            | Error::HeaderLineTooLong { .. }
            | Error::BodyTooLarge { .. } => true,
        }
    }

    /// The short text of the ERROR frame's `message` header: the rule or
    /// limit that was broken.
    pub fn message(&self) -> String {
        match self {
            Error::UnknownCommand => "unknown command".into(),
            Error::MissingColon => "header line without a colon".into(),
            Error::UndefinedEscape { .. } => "undefined escape sequence in a header".into(),
            Error::NotUtf8 => "command or header not UTF-8".into(),
            Error::InvalidContentLength => "invalid content-length".into(),
            Error::MissingNul => "body not followed by NUL".into(),
            Error::InvalidHeartBeat => "invalid heart-beat".into(),
            Error::Truncated => "stream ended inside a frame".into(),
            Error::FrameTooLarge { limit } => format!("frame too large (max_frame_size {limit})"),
            Error::TooManyHeaders { limit } => format!("too many headers (max_headers {limit})"),
            Error::HeaderLineTooLong { limit } => {
                format!("header line too long (max_header_line {limit})")
            }
            Error::BodyTooLarge { limit } => format!("body too large (max_body {limit})"),
        }
    }

    /// The ERROR frame a server sends before closing (STOMP 1.2 "ERROR"):
    /// `message` names the broken rule or limit, the body is the full
    /// error text with the specification section.
    pub fn error_frame(&self) -> Frame {
        let text = self.to_string();
        Frame::new(Command::Error)
            .with_header("message", self.message())
            .with_header("content-type", "text/plain")
            .with_body(text.into_bytes())
    }
}
