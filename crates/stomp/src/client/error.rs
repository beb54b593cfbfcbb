//! What can go wrong in a client session.

use crate::Command;

/// Why a [`Client`](super::Client) call was refused or the session failed.
///
/// Refusals of a call (`NotConnected`, `Closed`, `UnknownSubscription`,
/// ...) leave the session as it was; the others come in
/// [`ClientEvent::Failed`](super::ClientEvent::Failed) and end it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server's bytes are not STOMP (STOMP 1.2 "Frames and Headers",
    /// "Value Encoding", "Size Limits"): the codec's error.
    #[error(transparent)]
    Codec(#[from] crate::Error),
    /// The server sent a frame a client does not expect here (STOMP 1.2
    /// "Server Frames": CONNECTED once, first; then MESSAGE, RECEIPT and
    /// ERROR).
    #[error("STOMP 1.2 \"Server Frames\": unexpected {0:?} frame")]
    UnexpectedFrame(Command),
    /// A server frame lacks a header the specification requires
    /// (STOMP 1.2 "MESSAGE", "RECEIPT").
    #[error("STOMP 1.2 \"Server Frames\": {command:?} frame without a {header} header")]
    MissingHeader {
        /// The frame.
        command: Command,
        /// The header it lacks.
        header: &'static str,
    },
    /// A server header has a value that cannot be read (`heart-beat`,
    /// `version`, `subscription`, `receipt-id`).
    #[error("STOMP 1.2: bad {header} header value {value:?}")]
    BadHeader {
        /// The header's name.
        header: &'static str,
        /// Its value.
        value: String,
    },
    /// CONNECTED chose a version the client did not offer in
    /// `accept-version` (STOMP 1.2 "Protocol Negotiation").
    #[error("STOMP 1.2 \"Protocol Negotiation\": the server chose version {0:?}, not offered")]
    VersionNotOffered(String),
    /// The server did not answer CONNECT with CONNECTED within
    /// [`ClientConfig::connect_timeout`](super::ClientConfig::connect_timeout).
    #[error("STOMP 1.2 \"Connecting\": no CONNECTED frame within {0:?}")]
    ConnectTimeout(std::time::Duration),
    /// The RECEIPT for DISCONNECT did not come within
    /// [`ClientConfig::disconnect_timeout`](super::ClientConfig::disconnect_timeout)
    /// (STOMP 1.2 "Connection Lingering").
    #[error("STOMP 1.2 \"Connection Lingering\": no RECEIPT for DISCONNECT within {0:?}")]
    DisconnectTimeout(std::time::Duration),
    /// The transport ended before the session did (STOMP 1.2 "DISCONNECT":
    /// a graceful end waits for the RECEIPT).
    #[error("STOMP 1.2 \"DISCONNECT\": the connection closed before a graceful end")]
    ConnectionClosed,
    /// The call needs CONNECTED first (STOMP 1.2 "Connecting").
    #[error("STOMP 1.2 \"Connecting\": not connected yet")]
    NotConnected,
    /// The session ended or DISCONNECT was sent: nothing more can be sent
    /// (STOMP 1.2 "DISCONNECT").
    #[error("STOMP 1.2 \"DISCONNECT\": the session is ending or ended")]
    Closed,
    /// No active subscription has this id (STOMP 1.2 "UNSUBSCRIBE", "ACK").
    #[error("STOMP 1.2 \"SUBSCRIBE\": no active subscription {0}")]
    UnknownSubscription(u64),
    /// The message's subscription acknowledges automatically (STOMP 1.2
    /// "SUBSCRIBE ack Header": `auto` takes no ACK or NACK).
    #[error("STOMP 1.2 \"SUBSCRIBE ack Header\": subscription {0} uses ack mode auto")]
    AutoAck(u64),
    /// No open transaction has this id (STOMP 1.2 "COMMIT", "ABORT").
    #[error("STOMP 1.2 \"BEGIN\": no open transaction {0}")]
    UnknownTransaction(u64),
    /// The negotiated version lacks the feature (NACK and `client-individual`
    /// came with STOMP 1.1).
    #[error("STOMP 1.1: {0} is not in the negotiated version")]
    NotInVersion(&'static str),
    /// A header the negotiated version cannot carry (STOMP 1.2 "Value
    /// Encoding": a NUL anywhere; 1.1 has no escape for CR, 1.0 none at
    /// all, so no CR or LF, nor a colon in a name).
    #[error("STOMP 1.2 \"Value Encoding\": header {0:?} cannot be sent in this version")]
    Unencodable(String),
    /// [`ClientConfig::max_outstanding_receipts`](super::ClientConfig::max_outstanding_receipts)
    /// receipts are awaited already.
    #[error("too many outstanding receipts (limit {0})")]
    TooManyReceipts(usize),
}

impl ClientError {
    /// `true` when the server sent something wrong, did not answer in
    /// time or closed the connection; `false` when the caller misused the
    /// API.
    pub fn is_peer_fault(&self) -> bool {
        match self {
            ClientError::Codec(e) => e.is_peer_fault(),
            ClientError::UnexpectedFrame(_)
            | ClientError::MissingHeader { .. }
            | ClientError::BadHeader { .. }
            | ClientError::VersionNotOffered(_)
            | ClientError::ConnectTimeout(_)
            | ClientError::DisconnectTimeout(_)
            | ClientError::ConnectionClosed => true,
            ClientError::NotConnected
            | ClientError::Closed
            | ClientError::UnknownSubscription(_)
            | ClientError::AutoAck(_)
            | ClientError::UnknownTransaction(_)
            | ClientError::NotInVersion(_)
            | ClientError::Unencodable(_)
            | ClientError::TooManyReceipts(_) => false,
        }
    }
}
