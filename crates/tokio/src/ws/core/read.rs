//! The read path of [`Core`]: reads from the transport (into the
//! thread's scratch buffer between frames), input handed to the
//! connection, the pause of the inflate budget, and the stream's next
//! message.

use std::cell::RefCell;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::BytesMut;
use rtw_ws::{Event, Message, State};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::io::poll_read_buf;

use super::{Core, Input, Phase, now};
use crate::ws::error::WsError;
use crate::ws::wakers::Side;

/// How much room a read gets at least.
const READ_SIZE: usize = 64 * 1024;

/// Below this much free room, a read buffer grows by [`READ_SIZE`].
const MIN_READ_ROOM: usize = 4 * 1024;

/// Reads one poll of the stream makes at most while they bring no event:
/// input that yields nothing for a while (a message in thousands of tiny
/// fragments, a large message) then gives the thread to the other tasks
/// after each read instead of after tokio's budget of 128 (8 MiB).
const READS_PER_POLL: usize = 1;

thread_local! {
    /// The read buffer of the connections polled on this thread while they
    /// are between frames. What a read brings is split off and handed to
    /// the connection (payloads stay slices of it, without a copy); the
    /// rest of the room serves the next read, of any connection.
    static SCRATCH: RefCell<BytesMut> = RefCell::new(BytesMut::new());
}

/// Run `read` on the thread's scratch buffer, with at least
/// [`MIN_READ_ROOM`] free room; `None` if the buffer is in use already (a
/// transport that is itself driven by a WebSocket of this thread, say).
pub(super) fn scratch<T>(read: impl FnOnce(&mut BytesMut) -> T) -> Option<T> {
    SCRATCH.with(|buf| {
        let mut buf = buf.try_borrow_mut().ok()?;
        if buf.capacity() - buf.len() < MIN_READ_ROOM {
            // Takes the old room back if nothing points into it any more.
            buf.reserve(READ_SIZE);
        }
        Some(read(&mut buf))
    })
}

impl<S> Core<S> {
    /// Hand the connection what was read, up to its next event (so the
    /// application sees, and the pong goes out for, every message and ping
    /// before a later frame of the same read can fail the connection:
    /// RFC 6455 §7.1.7). `false` when no event came of it.
    pub(super) fn feed(&mut self) -> bool {
        if self.input.is_empty() || self.paused_until().is_some() {
            return false;
        }
        let before = self.conn.state();
        let event = self
            .conn
            .handle_input_until_event(self.read_at, &mut self.input);
        self.charge_inflated();
        if self.input.is_empty() {
            // Between frames: give the buffer back (the payloads handed
            // out keep what they need of it).
            self.input = BytesMut::new();
        }
        if self.conn.state() != before {
            // A writer waiting for the peer's close frame, say.
            self.wakers.notify(Side::Write);
        }
        event
    }

    /// Charge what the connection inflated since the last call to the
    /// budget of [`Options::max_inflate_rate`].
    ///
    /// [`Options::max_inflate_rate`]: crate::ws::Options::max_inflate_rate
    fn charge_inflated(&mut self) {
        let total = self.conn.inflated_bytes();
        if let Some(rate) = &mut self.inflate_rate
            && total > self.inflate_charged
        {
            rate.charge(now(), total - self.inflate_charged);
        }
        self.inflate_charged = total;
    }

    /// While the connection is over its budget of inflated bytes, when it
    /// may read (and handle input) again. Never once it is closed: what
    /// is read then is only discarded.
    pub(super) fn paused_until(&self) -> Option<std::time::Instant> {
        if self.conn.state() == State::Closed {
            return None;
        }
        self.inflate_rate.as_ref()?.resume_at(now())
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Core<S> {
    /// Read what the peer sent. Between frames the read goes into the
    /// thread's [`scratch`] buffer and only the bytes that came are kept;
    /// while a frame is incomplete, into the connection's own buffer. At
    /// end of file, or on an error, the connection is told
    /// ([`Connection::handle_eof`]) and the error kept for the stream.
    ///
    /// While the connection is over its budget of inflated bytes, nothing
    /// is read (the peer's bytes wait in its socket, and TCP's window stops
    /// it): pending, with the timer armed for the end of the pause by
    /// [`Core::poll_timer`].
    ///
    /// [`Connection::handle_eof`]: rtw_ws::Connection::handle_eof
    pub(super) fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.paused_until().is_some() {
            return Poll::Pending;
        }
        let mut io = Pin::new(&mut self.io);
        let shared = if self.input.is_empty() {
            scratch(|buf| {
                let read = poll_read_buf(io.as_mut(), cx, buf);
                if !buf.is_empty() {
                    self.input = buf.split();
                }
                read
            })
        } else {
            None
        };
        let read = match shared {
            Some(read) => ready!(read),
            None => {
                if self.input.capacity() - self.input.len() < MIN_READ_ROOM {
                    self.input.reserve(READ_SIZE);
                }
                ready!(poll_read_buf(io, cx, &mut self.input))
            }
        };
        match read {
            Ok(0) => self.end_input(None),
            Ok(_) => self.read_at = now(),
            Err(e) => self.end_input(Some(e)),
        }
        Poll::Ready(())
    }

    /// The transport's input ended (`error`: by failing).
    fn end_input(&mut self, error: Option<io::Error>) {
        self.reading = match error {
            Some(e) => Input::Failed(Some(e)),
            None => Input::Ended,
        };
        self.conn.handle_eof(now());
        // The writing side may wait for exactly this.
        self.wakers.notify(Side::Read);
        self.wakers.notify(Side::Write);
    }

    /// Read and discard (the connection is over) until end of file.
    pub(super) fn poll_discard(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        while matches!(self.reading, Input::Open) {
            self.input = BytesMut::new();
            ready!(self.poll_read(cx));
        }
        Poll::Ready(())
    }

    /// The next message (pings, pongs and the peer's close frame included),
    /// an error, or `None` once the connection is over.
    ///
    /// Between reads it writes what the connection queued (automatic pongs,
    /// RFC 6455 §5.5.2; the close reply, §5.5.1; the close frame of a
    /// failure, §7.1.7) as far as the transport takes it without waiting,
    /// so an idle writer does not leave pings unanswered and a peer that
    /// does not read cannot stop us from reading.
    ///
    /// Once the connection is closed it closes the transport as
    /// [`Core::poll_finish`] says, then ends.
    pub(crate) fn poll_next(&mut self, cx: &Context<'_>) -> Poll<Option<Result<Message, WsError>>> {
        self.entered(Side::Read, cx, Self::next)
    }

    fn next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, WsError>>> {
        if self.phase == Phase::Ended {
            return Poll::Ready(None);
        }
        let mut reads = 0;
        loop {
            if let Some(event) = self.conn.poll_event() {
                // Nothing is written here: what the connection queued (a
                // pong, say) goes out before the next read, together with
                // what the application sent meanwhile.
                match event {
                    Event::Message(m) => return Poll::Ready(Some(Ok(m))),
                    Event::Failed(rtw_ws::Error::AbnormalClosure)
                        if matches!(self.reading, Input::Failed(Some(_))) =>
                    {
                        // The read error says more than 1006 does.
                        if let Input::Failed(e) = &mut self.reading
                            && let Some(e) = e.take()
                        {
                            return Poll::Ready(Some(Err(e.into())));
                        }
                    }
                    Event::Failed(e) => return Poll::Ready(Some(Err(e.into()))),
                    // Never: `Core::new` turns `deliver_fragments` off.
                    _ => continue,
                }
            }
            if self.feed() {
                continue;
            }
            if self.conn.state() == State::Closed {
                ready!(self.poll_finish(cx));
                self.phase = Phase::Ended;
                return Poll::Ready(None);
            }
            self.nudge_write(cx);
            if reads == READS_PER_POLL {
                // What was read is handled and brought no event: let the
                // other tasks run, then read on.
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            ready!(self.poll_read(cx));
            reads += 1;
        }
    }
}
