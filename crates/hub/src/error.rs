//! The one error type of rtw-hub, with the HTTP status a transport answers
//! with.

/// Why the hub refused a call, the one error type of the crate.
///
/// [`Error::http_status`] is the status an HTTP transport answers with;
/// [`Error::is_peer_fault`] tells a client's bad input (a bad topic name,
/// an oversized message) from a full hub and from the caller's misuse of
/// the API.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A topic name that is not 1 to `Limits::max_topic_len` (at most
    /// [`TopicName::MAX_LEN`](crate::TopicName::MAX_LEN)) bytes of
    /// RFC 3986 §2.3's unreserved set `[A-Za-z0-9._~-]`, or is `.` or `..`
    /// (RFC 3986 §3.3 dot-segments).
    #[error("bad topic name: {0} (1 to 128 bytes of [A-Za-z0-9._~-], RFC 3986 §2.3, not . or ..)")]
    BadTopicName(&'static str),
    /// A message longer than `Limits::max_message_bytes`.
    #[error("the message is {size} bytes, more than the {max} the hub accepts")]
    MessageTooLarge {
        /// The message's size in bytes.
        size: usize,
        /// `Limits::max_message_bytes`.
        max: usize,
    },
    /// The hub holds `Limits::max_topics` topics already and this one is
    /// new.
    #[error("the hub holds its maximum number of topics")]
    TooManyTopics,
    /// The hub holds `Limits::max_subscribers` subscribers already.
    #[error("the hub holds its maximum number of subscribers")]
    TooManySubscribers,
    /// [`Hub::ingest`](crate::Hub::ingest) with an id that is not greater
    /// than the topic's last id: a duplicate (or a message older than one
    /// already taken) from the backend. The hub keeps nothing of it; a
    /// backend that redelivers after a reconnection ignores this error.
    #[error("message id {id} is not after the topic's last id {last}")]
    StaleId {
        /// The id given.
        id: u64,
        /// The topic's last id.
        last: u64,
    },
    /// A [`SubscriberId`](crate::SubscriberId) the hub does not hold: it
    /// was unsubscribed or evicted already (caller misuse, or a race the
    /// caller may ignore).
    #[error("no such subscriber (unsubscribed or evicted)")]
    UnknownSubscriber,
}

impl Error {
    /// `true` when the client's input was refused (a bad topic name, an
    /// oversized message); `false` for a full hub, a backend's duplicate
    /// and the caller's misuse of the API.
    pub fn is_peer_fault(&self) -> bool {
        matches!(self, Error::BadTopicName(_) | Error::MessageTooLarge { .. })
    }

    /// The HTTP status (RFC 9110 §15) a transport answers with: 400 for a
    /// bad topic name, 413 for a message too large, 503 when the hub is
    /// full, 409 for a stale id, 500 for an unknown subscriber (a bug of
    /// the caller, not the client's).
    pub fn http_status(&self) -> u16 {
        match self {
            Error::BadTopicName(_) => 400,
            Error::MessageTooLarge { .. } => 413,
            Error::TooManyTopics | Error::TooManySubscribers => 503,
            Error::StaleId { .. } => 409,
            Error::UnknownSubscriber => 500,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn statuses_and_faults() {
        let cases = [
            (Error::BadTopicName("empty"), 400, true),
            (Error::MessageTooLarge { size: 2, max: 1 }, 413, true),
            (Error::TooManyTopics, 503, false),
            (Error::TooManySubscribers, 503, false),
            (Error::StaleId { id: 1, last: 1 }, 409, false),
            (Error::UnknownSubscriber, 500, false),
        ];
        for (error, status, peer) in cases {
            assert_eq!(error.http_status(), status, "{error}");
            assert_eq!(error.is_peer_fault(), peer, "{error}");
        }
    }
}
