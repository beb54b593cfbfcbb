//! The stream side: messages out of the connection, in order, then the end.

use std::task::{Context, Poll, ready};

use rtw_ws::{Event, Message, State};
use tokio::io::{AsyncRead, AsyncWrite};

use super::core::Core;
use super::error::WsError;
use super::wakers::Side;

impl<S: AsyncRead + AsyncWrite + Unpin> Core<S> {
    /// The next message (pings, pongs and the peer's close frame included),
    /// an error, or `None` once the connection is over.
    ///
    /// Between reads it writes what the connection queued (automatic pongs,
    /// RFC 6455 §5.5.2; the close reply, §5.5.1; the close frame of a
    /// failure, §7.1.7) as far as the transport takes it without waiting,
    /// so an idle writer does not leave pings unanswered and a peer that
    /// does not read cannot stop us from reading.
    ///
    /// After the closing handshake, a failure or end of file, it closes
    /// the transport as [`Core::poll_finish`] says, then ends.
    pub(crate) fn poll_next(&mut self, cx: &Context<'_>) -> Poll<Option<Result<Message, WsError>>> {
        let waker = self.enter(Side::Read, cx);
        let cx = &mut Context::from_waker(&waker);
        self.poll_timer(cx);
        if self.stream_ended {
            return Poll::Ready(None);
        }
        loop {
            if let Some(event) = self.conn.poll_event() {
                self.nudge_write(cx);
                match event {
                    Event::Message(m) => return Poll::Ready(Some(Ok(m))),
                    Event::Failed(e) => return Poll::Ready(Some(Err(e.into()))),
                    // Never: `Core::new` turns `deliver_fragments` off.
                    Event::Fragment(_) => continue,
                }
            }
            if self.feed_frame() {
                continue;
            }
            if let Some(e) = self.read_error.take() {
                self.end_reported = true;
                return Poll::Ready(Some(Err(e.into())));
            }
            let closed = self.conn.state() == State::Closed;
            if self.poll_close_timer(cx) || closed || self.read_eof {
                if self.read_eof && !closed && !self.close_timed_out && !self.end_reported {
                    // RFC 6455 §7.1.5: the close code is 1006.
                    self.end_reported = true;
                    return Poll::Ready(Some(Err(WsError::AbnormalClosure)));
                }
                ready!(self.poll_finish(cx));
                self.stream_ended = true;
                return Poll::Ready(None);
            }
            self.nudge_write(cx);
            self.poll_timer(cx);
            ready!(self.poll_read_more(cx));
            if self.read_eof {
                // The writing side may wait for exactly this.
                self.wakers.notify(Side::Write);
            }
        }
    }

    /// Write what the transport takes now. Errors are kept for the writing
    /// side (the reading side goes on to read what the peer already sent);
    /// a writer waiting for room is woken when some was made.
    fn nudge_write(&mut self, cx: &mut Context<'_>) {
        let before = self.buffered();
        let _ = self.poll_write_out(cx);
        if self.buffered() < before && before >= self.write_limit() {
            self.wakers.notify(Side::Write);
        }
    }
}
