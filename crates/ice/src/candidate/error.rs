//! Why a candidate could not be read.

/// Why a candidate could not be read: each variant names the rule of RFC
/// 8839 §5.1 (or the RFC it points to) that was broken.
///
/// One choice goes beyond the grammar: a `cand-type` other than `host`,
/// `srflx`, `prflx` or `relay` is grammatical (`candidate-types = ... /
/// token`) but means nothing to an ICE agent, which RFC 8445 §5.1.1 gives
/// only those four types; it is refused with
/// [`UnsupportedType`](CandidateError::UnsupportedType) rather than kept,
/// so that [`CandidateKind`](crate::CandidateKind) stays exhaustive. The
/// same holds for transports other than UDP and TCP.
///
/// Nested under the crate's [`Error`](crate::Error) as
/// [`Error::Candidate`](crate::Error::Candidate); the parsers return it
/// directly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CandidateError {
    /// The input is longer than [`Limits::max_candidate_len`](crate::Limits::max_candidate_len).
    #[error("candidate of {len} bytes exceeds the limit of {limit}")]
    TooLong {
        /// Bytes given.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// More extension attributes than [`Limits::max_extensions`](crate::Limits::max_extensions).
    #[error("more than {limit} extension attributes")]
    TooManyExtensions {
        /// The limit.
        limit: usize,
    },
    /// A byte that is neither a visible ASCII character nor a space, e.g.
    /// a tab, a line ending or non-ASCII text (RFC 8839 §5.1: fields are
    /// VCHAR separated by SP).
    #[error(
        "byte 0x{byte:02x} at offset {offset}: a candidate is visible ASCII separated by spaces (RFC 8839 §5.1)"
    )]
    InvalidCharacter {
        /// Offset in the input.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// A leading, trailing or doubled space (RFC 8839 §5.1: fields are
    /// separated by one SP).
    #[error(
        "empty field at offset {offset}: fields are separated by single spaces (RFC 8839 §5.1)"
    )]
    Spacing {
        /// Offset in the input of the empty field.
        offset: usize,
    },
    /// The value ends before a required field.
    #[error("missing {0} (RFC 8839 §5.1)")]
    Missing(&'static str),
    /// The foundation is not 1 to 32 ice-chars.
    #[error("foundation must be 1 to 32 of ALPHA, DIGIT, + or / (RFC 8839 §5.1)")]
    Foundation,
    /// The component ID is not 1 to 3 digits, or not 1 to 256.
    #[error("component-id must be 1 to 3 digits with a value from 1 to 256 (RFC 8839 §5.1)")]
    Component,
    /// A transport other than UDP or TCP (RFC 8839 §5.1, RFC 6544 §4.5).
    #[error("transport `{0}` is not UDP or TCP (RFC 8839 §5.1, RFC 6544 §4.5)")]
    UnsupportedTransport(String),
    /// The priority is not 1 to 10 digits up to 4294967295.
    #[error("priority must be 1 to 10 digits with a value up to 4294967295 (RFC 8839 §5.1)")]
    Priority,
    /// An address that is neither an IP address nor an FQDN (letters,
    /// digits, `-` and `.`, 4 to 255 of them, RFC 8866 §9).
    #[error(
        "{field} must be an IP address or a name of 4 to 255 letters, digits, `-` and `.` (RFC 8839 §5.1, RFC 8866 §9)"
    )]
    Address {
        /// `connection-address` or `rel-addr`.
        field: &'static str,
    },
    /// A port that is not 1 to 5 digits up to 65535.
    #[error("{field} must be 1 to 5 digits with a value up to 65535 (RFC 8839 §5.1, RFC 8866 §9)")]
    Port {
        /// `port` or `rel-port`.
        field: &'static str,
    },
    /// The seventh field is not `typ`.
    #[error("expected `typ` after the port (RFC 8839 §5.1)")]
    MissingTyp,
    /// A `cand-type` other than the four of RFC 8445 §5.1.1 (see the type
    /// documentation for why it is not kept).
    #[error(
        "candidate type `{0}` is not host, srflx, prflx or relay (RFC 8445 §5.1.1, RFC 8839 §5.1)"
    )]
    UnsupportedType(String),
    /// `raddr` without `rport` after it.
    #[error("raddr must be followed by rport (RFC 8839 §5.1)")]
    RaddrWithoutRport,
    /// `rport` without `raddr` before it.
    #[error("rport must follow raddr (RFC 8839 §5.1)")]
    RportWithoutRaddr,
    /// An extension name without a value.
    #[error("extension attributes come as name and value pairs (RFC 8839 §5.1)")]
    UnpairedExtension,
    /// An extension name that is not a token.
    #[error("extension-att-name `{0}` is not a token (RFC 8839 §5.1, RFC 8866 §9)")]
    ExtensionName(String),
    /// The `tcptype` of a TCP candidate is not `active`, `passive` or `so`.
    #[error("tcptype `{0}` is not active, passive or so (RFC 6544 §4.5)")]
    TcpType(String),
}
