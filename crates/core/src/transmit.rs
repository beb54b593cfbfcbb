//! One datagram to send, as every datagram session returns it from
//! `poll_transmit` (`docs/ARCHITECTURE.md` §2.3).

use std::net::SocketAddr;

use bytes::Bytes;

/// One datagram a session wants sent.
///
/// Byte-stream sessions return their bytes as `Bytes` instead; a session
/// over datagrams returns this from `poll_transmit`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Transmit {
    /// The local address to send from, when the session sends from more
    /// than one (an ICE agent names the candidate's base). `None`: the one
    /// socket the session is bound to.
    pub source: Option<SocketAddr>,
    /// Where to send it.
    pub destination: SocketAddr,
    /// The datagram.
    pub contents: Bytes,
}

impl Transmit {
    /// A datagram to `destination`, from the session's one socket.
    pub fn new(destination: SocketAddr, contents: Bytes) -> Self {
        Transmit {
            source: None,
            destination,
            contents,
        }
    }

    /// The same datagram, sent from the local address `source`.
    #[must_use]
    pub fn with_source(mut self, source: SocketAddr) -> Self {
        self.source = Some(source);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_is_optional() {
        let to: SocketAddr = "[::1]:9".parse().unwrap();
        let from: SocketAddr = "[::1]:10".parse().unwrap();
        let t = Transmit::new(to, Bytes::from_static(b"x")).with_source(from);
        assert_eq!(t.source, Some(from));
        assert_eq!(t.destination, to);
        assert_eq!(&t.contents[..], b"x");
    }
}
