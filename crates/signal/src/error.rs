//! The errors of rtw-signal: each one is a refusal the server sends back
//! as `{"type":"error","code":CODE,...}` (crate docs, "Errors").

/// Why the server refused a client's message, the one error type of the
/// crate.
///
/// [`Error::code`] is the wire code of the `error` message the server
/// answers with; [`Error::is_peer_fault`] tells a client that broke the
/// protocol from a refusal of a well-formed request (a full room, a taken
/// peer id).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Not JSON (RFC 8259), not an object, a missing or wrong-typed field,
    /// or an unknown `type`.
    #[error("bad message: {0}")]
    BadMessage(&'static str),
    /// A message other than `join` before the connection joined a room.
    #[error("join a room first")]
    NotJoined,
    /// A `join` on a connection that is already in a room (`leave` first).
    #[error("this connection is already in a room")]
    AlreadyJoined,
    /// A room or peer id that is not 1 to 64 characters of RFC 3986 §2.3's
    /// unreserved set `[A-Za-z0-9._~-]`.
    #[error("{0} is not 1 to 64 characters of [A-Za-z0-9._~-] (RFC 3986 §2.3)")]
    BadId(&'static str),
    /// The server serves a fixed list of rooms and this is not one of them.
    #[error("no such room")]
    UnknownRoom,
    /// The room holds `Limits::max_room_size` peers already.
    #[error("the room is full")]
    RoomFull,
    /// The server holds `Limits::max_rooms` rooms or `Limits::max_peers`
    /// peers already.
    #[error("the server is full")]
    ServerFull,
    /// Another peer of the room has this id (or had it, and may still
    /// resume it within the grace period).
    #[error("the peer id is taken in this room")]
    PeerIdTaken,
    /// A `resume` token that does not name a peer of the room waiting to
    /// be resumed: wrong, or its grace period is over.
    #[error("the resume token is not valid (wrong, or the grace period is over)")]
    BadResume,
    /// `to` names no peer of the sender's room.
    #[error("no such peer in the room")]
    UnknownPeer,
    /// The text is longer than `Limits::max_message_size` bytes.
    #[error("the message is larger than the server accepts")]
    MessageTooLarge,
    /// The connection sent faster than `Limits::messages_per_second` with
    /// `Limits::burst`; the message was dropped.
    #[error("too many messages: slow down")]
    RateLimited,
}

impl Error {
    /// The wire code of the `error` message for this refusal: one of
    /// `bad-message`, `not-joined`, `already-joined`, `bad-id`,
    /// `unknown-room`, `room-full`, `server-full`, `peer-id-taken`,
    /// `bad-resume`, `unknown-peer`, `message-too-large`, `rate-limited`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadMessage(_) => "bad-message",
            Error::NotJoined => "not-joined",
            Error::AlreadyJoined => "already-joined",
            Error::BadId(_) => "bad-id",
            Error::UnknownRoom => "unknown-room",
            Error::RoomFull => "room-full",
            Error::ServerFull => "server-full",
            Error::PeerIdTaken => "peer-id-taken",
            Error::BadResume => "bad-resume",
            Error::UnknownPeer => "unknown-peer",
            Error::MessageTooLarge => "message-too-large",
            Error::RateLimited => "rate-limited",
        }
    }

    /// `true` when the client broke the protocol (malformed or oversized
    /// messages, bad ids, out-of-order messages, a wrong resume token,
    /// flooding); `false` for refusals of well-formed requests that the
    /// state of the server explains (full, unknown room or peer, taken id).
    pub fn is_peer_fault(&self) -> bool {
        match self {
            Error::BadMessage(_)
            | Error::NotJoined
            | Error::AlreadyJoined
            | Error::BadId(_)
            | Error::BadResume
            | Error::MessageTooLarge
            | Error::RateLimited => true,
            Error::UnknownRoom
            | Error::RoomFull
            | Error::ServerFull
            | Error::PeerIdTaken
            | Error::UnknownPeer => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn codes_are_distinct_and_kebab_case() {
        let all = [
            Error::BadMessage("x"),
            Error::NotJoined,
            Error::AlreadyJoined,
            Error::BadId("room"),
            Error::UnknownRoom,
            Error::RoomFull,
            Error::ServerFull,
            Error::PeerIdTaken,
            Error::BadResume,
            Error::UnknownPeer,
            Error::MessageTooLarge,
            Error::RateLimited,
        ];
        let mut codes: Vec<_> = all.iter().map(Error::code).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
        );
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        assert!(Error::RateLimited.is_peer_fault());
        assert!(!Error::RoomFull.is_peer_fault());
    }
}
