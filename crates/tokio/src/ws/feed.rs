//! Received bytes go to the connection up to the next event.
//!
//! [`Connection::handle_input_until_event`](rtw_ws::Connection::handle_input_until_event)
//! stops after each frame that produced an event, so the stream hands the
//! application (and writes the pong for) every message and ping before a
//! later frame of the same read can fail the connection (Autobahn 3.2,
//! 4.1.3, 5.15 want the echo of the first message before the close).
//! Payload that arrives in pieces still goes over as it arrives, so invalid
//! UTF-8 fails fast (RFC 6455 §8.1).

use rtw_ws::State;

use super::core::now;

use super::core::Core;
use super::wakers::Side;

impl<S> Core<S> {
    /// Hand the connection what was read, up to its next event. `false`
    /// when no event came of it (more must be read).
    pub(super) fn feed_frame(&mut self) -> bool {
        if self.conn.state() == State::Closed {
            // The connection discards input now; so do we.
            self.clear_input();
            return false;
        }
        let before = self.conn.state();
        let event = self
            .conn
            .handle_input_until_event(now(), &mut self.read_buf);
        if self.conn.state() != before {
            // A writer waiting for the peer's close frame, say.
            self.wakers.notify(Side::Write);
        }
        event
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;
    use rtw_ws::frame::{OpCode, encode_frame};
    use rtw_ws::{Event, Message, Role};

    use super::*;
    use crate::ws::Options;

    fn frame(opcode: OpCode, payload: &[u8]) -> BytesMut {
        let mut out = BytesMut::new();
        encode_frame(&mut out, opcode, true, 0, Some([1, 2, 3, 4]), payload);
        out
    }

    fn events(core: &mut Core<()>) -> Vec<Event> {
        std::iter::from_fn(|| core.conn.poll_event()).collect()
    }

    #[test]
    fn one_frame_per_call_even_when_many_arrived_together() {
        let mut wire = frame(OpCode::Text, b"first");
        wire.extend_from_slice(&frame(OpCode::Ping, b"p"));
        wire.extend_from_slice(&[0xF1, 0x80, 0, 0, 0, 0]); // reserved bits
        let mut core = Core::new((), Role::Server, Options::default(), wire).unwrap();
        assert!(core.feed_frame());
        assert_eq!(events(&mut core), [Event::Message(Message::text("first"))]);
        assert_eq!(
            core.conn.state(),
            State::Open,
            "the bad frame is not read yet"
        );
        assert!(core.feed_frame());
        assert_eq!(
            events(&mut core),
            [Event::Message(Message::Ping(bytes::Bytes::from_static(
                b"p"
            )))]
        );
        assert!(core.feed_frame());
        assert!(matches!(events(&mut core)[..], [Event::Failed(_)]));
        assert!(!core.feed_frame());
    }

    #[test]
    fn a_frame_split_across_reads_is_fed_as_it_arrives() {
        let wire = frame(OpCode::Binary, &[7; 300]);
        let mut core = Core::new((), Role::Server, Options::default(), BytesMut::new()).unwrap();
        for piece in wire.chunks(7) {
            core.read_buf.extend_from_slice(piece);
            while core.feed_frame() {}
        }
        assert_eq!(
            events(&mut core),
            [Event::Message(Message::binary(vec![7; 300]))]
        );
        assert!(core.read_buf.is_empty());
    }
}
