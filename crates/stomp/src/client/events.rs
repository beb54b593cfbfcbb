//! What the client reports, and the ids it hands out.

use std::fmt;
use std::time::Duration;

use super::ClientError;
use crate::{Frame, Version};

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            /// The header value: the number in decimal.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id!(
    /// A subscription's `id` header (STOMP 1.2 "SUBSCRIBE id Header"),
    /// unique within the session.
    SubscriptionId
);
id!(
    /// A transaction's `transaction` header (STOMP 1.2 "BEGIN"), unique
    /// within the session.
    TransactionId
);
id!(
    /// A frame's `receipt` header, echoed by the server's RECEIPT as
    /// `receipt-id` (STOMP 1.2 "Header receipt"), unique within the session.
    ReceiptId
);

/// The heart-beat intervals both sides agreed on (STOMP 1.2
/// "Heart-beating"): `None` where no heart-beats go that way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NegotiatedHeartBeat {
    /// How often the client sends something (an EOL when it has nothing
    /// else).
    pub send: Option<Duration>,
    /// How often the server sends something; the client declares it dead
    /// after twice this long without a byte.
    pub receive: Option<Duration>,
}

/// A MESSAGE frame from a subscription (STOMP 1.2 "MESSAGE"), with the
/// headers the client needs read out. Pass it back to
/// [`Client::ack`](super::Client::ack) or [`Client::nack`](super::Client::nack).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The subscription it came through (its `subscription` header; for
    /// a STOMP 1.0 server that leaves it out, the active subscription to
    /// its `destination`).
    pub subscription: SubscriptionId,
    /// The `message-id` header.
    pub message_id: String,
    /// The `ack` header (STOMP 1.2, for the client modes): what ACK and
    /// NACK name as their `id`.
    pub ack: Option<String>,
    /// The `destination` header.
    pub destination: String,
    /// The whole frame: every header and the body.
    pub frame: Frame,
}

impl Message {
    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.frame.body
    }
}

/// What happened in the session, from [`Client::poll_event`](super::Client::poll_event).
///
/// A session ends with exactly one [`ClientEvent::Disconnected`], after
/// what ended it: the RECEIPT of DISCONNECT ([`ClientEvent::Receipt`]), an
/// [`ClientEvent::Error`], a [`ClientEvent::HeartBeatTimeout`] or a
/// [`ClientEvent::Failed`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// CONNECTED came (STOMP 1.2 "Connecting", "Protocol Negotiation").
    Connected {
        /// The version both sides speak.
        version: Version,
        /// The `server` header, if sent.
        server: Option<String>,
        /// The `session` header, if sent.
        session: Option<String>,
        /// The agreed heart-beat intervals.
        heart_beat: NegotiatedHeartBeat,
    },
    /// A MESSAGE came for a subscription.
    Message(Message),
    /// A RECEIPT came for a frame sent with a receipt request.
    Receipt(ReceiptId),
    /// The server sent ERROR (STOMP 1.2 "ERROR"): it closes the connection
    /// next. The frame's `message` header says why, `receipt-id` names the
    /// frame it refused, if that frame asked for a receipt.
    Error(Frame),
    /// Nothing came from the server for twice its heart-beat interval
    /// (STOMP 1.2 "Heart-beating").
    HeartBeatTimeout,
    /// The session failed: bad frames from the server, a timeout, or the
    /// connection closed early.
    Failed(ClientError),
    /// The session is over: write out what
    /// [`Client::poll_transmit`](super::Client::poll_transmit) still
    /// gives, then close the transport.
    Disconnected,
}
