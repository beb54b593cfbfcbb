//! A room: its peers in join order, each with its connection (or none
//! while it waits to be resumed) and what was sent to it meanwhile.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;

use crate::ConnectionId;

/// One peer of a room.
#[derive(Debug)]
pub(super) struct Peer {
    pub(super) id: String,
    /// `None` while the peer is away (its connection dropped).
    pub(super) connection: Option<ConnectionId>,
    /// The token that resumes it.
    pub(super) token: String,
    /// While away: the key of its entry in the server's deadlines.
    pub(super) away: Option<(Instant, u64)>,
    /// Messages forwarded to it while away, oldest first.
    pub(super) queue: VecDeque<Bytes>,
}

/// A room's peers, in join order (at most `Limits::max_room_size`).
#[derive(Debug, Default)]
pub(super) struct Room {
    pub(super) peers: Vec<Peer>,
}

impl Room {
    pub(super) fn position(&self, id: &str) -> Option<usize> {
        self.peers.iter().position(|p| p.id == id)
    }

    pub(super) fn peer_mut(&mut self, id: &str) -> Option<&mut Peer> {
        self.peers.iter_mut().find(|p| p.id == id)
    }
}

/// Compares two tokens in time that depends on their lengths only.
pub(super) fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::same_token;

    #[test]
    fn tokens() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "abcd"));
    }
}
