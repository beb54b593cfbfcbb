//! The driver that a whole [`WebSocketStream`](super::WebSocketStream) and
//! its split halves share: the sans-IO [`Connection`], the transport, and
//! the bytes between them.
//!
//! The connection decides everything (frames, pongs, close replies, every
//! timer of RFC 6455 §7 and what to do with the transport,
//! [`Connection::transport`]); the driver moves bytes and time:
//!
//! - input: reads go into a buffer shared by the connections of the thread
//!   ([`scratch`]); only the bytes read are kept, and only while a frame is
//!   incomplete does a connection own a buffer, so an idle connection holds
//!   none;
//! - output: the chunks of [`Connection::poll_transmit`] (a frame header,
//!   then the very `Bytes` of the payload on the server's path) are
//!   gathered into one vectored write;
//! - time: one sleep, armed for [`Connection::poll_timeout`], or for the
//!   end of a pause of the reads while the connection is over its budget
//!   of inflated bytes ([`Options::max_inflate_rate`]).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker, ready};

use bytes::{Buf, Bytes, BytesMut};
use rtw_ws::{
    CloseCode, CloseFrame, Connection, Event, InflateRate, Message, Role, State, Transport,
};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Sleep;
use tokio_util::io::poll_read_buf;

use super::error::WsError;
use super::options::Options;
use super::wakers::{Side, WakerSet};
use crate::OsRandom;

/// How much room a read gets at least.
const READ_SIZE: usize = 64 * 1024;

/// Below this much free room, a read buffer grows by [`READ_SIZE`].
const MIN_READ_ROOM: usize = 4 * 1024;

/// Reads one poll of the stream makes at most while they bring no event:
/// input that yields nothing for a while (a message in thousands of tiny
/// fragments, a large message) then gives the thread to the other tasks
/// after each read instead of after tokio's budget of 128 (8 MiB).
const READS_PER_POLL: usize = 1;

/// Chunks of one vectored write at most.
const MAX_IOVECS: usize = 64;

/// The time for the connection: tokio's clock, so that tests with paused
/// time drive its timers too.
fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

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
fn scratch<T>(read: impl FnOnce(&mut BytesMut) -> T) -> Option<T> {
    SCRATCH.with(|buf| {
        let mut buf = buf.try_borrow_mut().ok()?;
        if buf.capacity() - buf.len() < MIN_READ_ROOM {
            // Takes the old room back if nothing points into it any more.
            buf.reserve(READ_SIZE);
        }
        Some(read(&mut buf))
    })
}

/// Chunks below this size are copied together for a transport that
/// cannot write several at once.
const COALESCE_BELOW: usize = 4 * 1024;

/// At most this much is copied together.
const COALESCE_MAX: usize = 64 * 1024;

/// Join the small chunks at the front of `out` into one, so that a
/// transport without vectored writes (`tokio::io::duplex`, say) takes
/// many small frames in one write instead of one write each. Large
/// payloads are left as they are (not copied).
fn coalesce(out: &mut VecDeque<Bytes>) {
    let mut count = 0;
    let mut len = 0;
    for chunk in out.iter() {
        if chunk.len() >= COALESCE_BELOW || len + chunk.len() > COALESCE_MAX {
            break;
        }
        count += 1;
        len += chunk.len();
    }
    if count < 2 {
        return;
    }
    let mut joined = BytesMut::with_capacity(len);
    for chunk in out.drain(..count) {
        joined.extend_from_slice(&chunk);
    }
    out.push_front(joined.freeze());
}

/// The reading direction of the transport.
#[derive(Debug)]
enum Input {
    /// Reading.
    Open,
    /// Reading failed; the error is reported once, in place of the
    /// connection's [`rtw_ws::Error::AbnormalClosure`].
    Failed(Option<io::Error>),
    /// End of file (or an error) was read and reported to the connection.
    Ended,
}

/// The writing direction of the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    /// Writing.
    Open,
    /// A write failed: nothing more is written, what is queued is dropped.
    Failed,
    /// We shut our write side down (RFC 6455 §7.1.1).
    Shut,
}

/// How far the end of the driver is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Messages flow (or the connection is ending as
    /// [`Connection::transport`] says).
    Running,
    /// The transport is closed: nothing more is read or written.
    Finished,
    /// ... and the stream returned `None`.
    Ended,
}

/// A connection and its transport.
#[derive(Debug)]
pub(crate) struct Core<S> {
    io: S,
    conn: Connection,
    options: Options,
    /// Received bytes the connection has not consumed: the rest of an
    /// incomplete frame. Empty (no allocation of its own) between frames.
    input: BytesMut,
    /// Chunks taken from [`Connection::poll_transmit`], not written yet.
    /// Refilled only once empty, so that what waits stays in the
    /// connection, where a newer ping's pong replaces an older one
    /// (RFC 6455 §5.5.3) instead of queueing without bound.
    out: VecDeque<Bytes>,
    /// Bytes in `out`.
    out_len: usize,
    /// When the bytes in `input` were read: one clock reading per read,
    /// not per frame.
    read_at: std::time::Instant,
    reading: Input,
    writing: Output,
    phase: Phase,
    /// A write error met while closing, returned by `poll_close`.
    close_error: Option<io::Error>,
    /// The one sleep, armed for [`Connection::poll_timeout`]: keep-alive
    /// pings, message deadlines, the close timeout, the linger, idle
    /// deflate state.
    timer: Option<Pin<Box<Sleep>>>,
    wakers: Arc<WakerSet>,
    /// Wakes both sides; every poll of the transport uses it.
    waker: Waker,
    /// The budget of inflated bytes per second ([`Options::max_inflate_rate`]).
    inflate_rate: Option<InflateRate>,
    /// [`Connection::inflated_bytes`] when last charged to `inflate_rate`.
    inflate_charged: u64,
}

impl<S> Core<S> {
    /// A connection in `role` over `io`, after the opening handshake;
    /// `already_read` holds bytes read past the handshake (the peer's first
    /// frames), which are handled at once.
    pub(crate) fn new(
        io: S,
        role: Role,
        mut options: Options,
        already_read: BytesMut,
    ) -> io::Result<Self> {
        // The stream yields whole messages only.
        options.config.deliver_fragments = false;
        let config = options.config.clone();
        let conn = match role {
            Role::Client => Connection::with_config(role, config, OsRandom::new()?),
            // A server never masks (RFC 6455 §5.1): it draws no randomness,
            // so it needs no generator (nor its state, nor the entropy).
            Role::Server => Connection::with_config(role, config, |dst: &mut [u8]| dst.fill(0)),
        };
        #[cfg(feature = "deflate")]
        let conn = match &options.negotiated {
            Some(params) => conn.with_deflate(params, &options.deflate.clone().unwrap_or_default()),
            None => conn,
        };
        let (wakers, waker) = WakerSet::new();
        let inflate_rate = options.max_inflate_rate.map(InflateRate::new);
        let mut conn = conn;
        // The connection's timers start now.
        conn.handle_timeout(now());
        Ok(Core {
            io,
            conn,
            options,
            input: already_read,
            out: VecDeque::new(),
            out_len: 0,
            read_at: now(),
            reading: Input::Open,
            writing: Output::Open,
            phase: Phase::Running,
            close_error: None,
            timer: None,
            wakers,
            waker,
            inflate_rate,
            inflate_charged: 0,
        })
    }

    /// Remember the task polling `side`, and run `poll` with the context
    /// to poll the transport with, whose waker wakes both sides (see
    /// [`WakerSet`]).
    ///
    /// The timer is handled here: a sleep that fired is handled before
    /// `poll`, and before the side waits the sleep is armed for the
    /// connection's next deadline (which the work of `poll` may have
    /// moved). The task is registered only when it waits.
    fn entered<T>(
        &mut self,
        side: Side,
        cx: &Context<'_>,
        poll: impl Fn(&mut Self, &mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        let wakes = self.wakers.wakes();
        // Lent out for the call, not cloned: no reference count traffic.
        let waker = std::mem::replace(&mut self.waker, Waker::noop().clone());
        let inner = &mut Context::from_waker(&waker);
        if self.timer.as_ref().is_some_and(|sleep| sleep.is_elapsed()) {
            self.poll_timer(inner);
        }
        let mut out = poll(self, inner);
        if out.is_pending() {
            let fired = self.poll_timer(inner);
            self.wakers.register(side, cx.waker());
            if fired {
                // The connection did something at its deadline: look again.
                out = poll(self, inner);
                if out.is_pending() {
                    cx.waker().wake_by_ref();
                }
            } else if self.wakers.wakes() != wakes {
                // Woken before the task was registered: poll again soon.
                cx.waker().wake_by_ref();
            }
        }
        self.waker = waker;
        out
    }

    /// Bytes accepted but not yet written.
    pub(crate) fn buffered(&self) -> usize {
        self.out_len + self.conn.buffered_amount()
    }

    /// The write buffer bound (never zero, so a message can always go).
    fn write_limit(&self) -> usize {
        self.options.config.limits.max_write_buffer.max(1)
    }

    pub(crate) fn options(&self) -> &Options {
        &self.options
    }

    /// The connection's state.
    pub(crate) fn state(&self) -> State {
        self.conn.state()
    }

    /// Our role.
    pub(crate) fn role(&self) -> Role {
        self.conn.role()
    }

    /// The stream returned `None`.
    pub(crate) fn is_terminated(&self) -> bool {
        self.phase == Phase::Ended
    }

    /// The transport.
    pub(crate) fn get_ref(&self) -> &S {
        &self.io
    }

    /// The transport, mutably. Reading or writing it directly corrupts the
    /// connection.
    pub(crate) fn get_mut(&mut self) -> &mut S {
        &mut self.io
    }

    /// Drive the connection's timers: when [`Connection::poll_timeout`]
    /// is due, call [`Connection::handle_timeout`] (which may queue a
    /// keep-alive ping, fail the connection, or end a wait of the closing
    /// handshake) and wake both sides. Every poll of the stream and the
    /// sink calls it, and so does every wait, after the work before it
    /// moved the deadlines (a message's first frame starts its deadline).
    ///
    /// `true` when a deadline was handled.
    fn poll_timer(&mut self, cx: &mut Context<'_>) -> bool {
        let mut fired = false;
        // Each round either arms the sleep or moves the connection past a
        // deadline; a few rounds are plenty.
        for _ in 0..4 {
            let resume = self.paused_until();
            let Some(at) = [self.conn.poll_timeout(), resume]
                .into_iter()
                .flatten()
                .min()
            else {
                // A sleep still armed fires for nothing, once.
                return fired;
            };
            let at = tokio::time::Instant::from_std(at);
            if let Some(sleep) = &self.timer
                && sleep.deadline() <= at
                && !sleep.is_elapsed()
            {
                // Armed, with our (stable) waker, for this deadline or an
                // earlier one: a deadline that moved later (each input
                // moves the keep-alive ping) costs nothing now, the sleep
                // is moved when it fires.
                return fired;
            }
            let sleep = match &mut self.timer {
                Some(sleep) => {
                    if sleep.deadline() != at {
                        sleep.as_mut().reset(at);
                    }
                    sleep
                }
                None => self.timer.insert(Box::pin(tokio::time::sleep_until(at))),
            };
            if sleep.as_mut().poll(cx).is_pending() {
                return fired;
            }
            self.conn.handle_timeout(now());
            fired = true;
            self.wakers.notify(Side::Read);
            self.wakers.notify(Side::Write);
        }
        fired
    }

    /// Hand the connection what was read, up to its next event (so the
    /// application sees, and the pong goes out for, every message and ping
    /// before a later frame of the same read can fail the connection:
    /// RFC 6455 §7.1.7). `false` when no event came of it.
    fn feed(&mut self) -> bool {
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
    fn paused_until(&self) -> Option<std::time::Instant> {
        if self.conn.state() == State::Closed {
            return None;
        }
        self.inflate_rate.as_ref()?.resume_at(now())
    }

    /// Why nothing can be sent, if so.
    fn check_writable(&self) -> Result<(), WsError> {
        if self.writing == Output::Failed {
            return Err(
                io::Error::new(io::ErrorKind::BrokenPipe, "an earlier write failed").into(),
            );
        }
        if self.conn.state() != State::Open {
            return Err(rtw_ws::Error::Closed.into());
        }
        Ok(())
    }

    /// Queue `message`: data is framed (and masked, for a client) by the
    /// connection; `Message::Close` starts the closing handshake (RFC 6455
    /// §7.1.2) and its timeout.
    pub(crate) fn start_send(&mut self, message: Message) -> Result<(), WsError> {
        self.check_writable()?;
        let close = matches!(message, Message::Close(_));
        self.conn.send(message)?;
        if close {
            // The close timeout runs from now.
            self.conn.handle_timeout(now());
        }
        Ok(())
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Core<S> {
    /// Write some of what the connection has to send, as one vectored
    /// write. `Ok(false)` when nothing is left. After a failed write (or
    /// once our side is shut down) everything is dropped.
    fn poll_write_some(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        if self.writing != Output::Open {
            self.out.clear();
            self.out_len = 0;
            while self.conn.poll_transmit().is_some() {}
            return Poll::Ready(Ok(false));
        }
        if self.out.is_empty() {
            while let Some(chunk) = self.conn.poll_transmit() {
                self.out_len += chunk.len();
                self.out.push_back(chunk);
            }
            if self.out.is_empty() {
                return Poll::Ready(Ok(false));
            }
        }
        let io = Pin::new(&mut self.io);
        let vectored = io.is_write_vectored();
        if self.out.len() > 1 && !vectored {
            coalesce(&mut self.out);
        }
        let written = if self.out.len() > 1 && vectored {
            let mut slices = [IoSlice::new(&[]); MAX_IOVECS];
            let mut count = 0;
            for (slot, chunk) in slices.iter_mut().zip(&self.out) {
                *slot = IoSlice::new(chunk);
                count += 1;
            }
            ready!(io.poll_write_vectored(cx, &slices[..count]))
        } else {
            ready!(io.poll_write(cx, &self.out[0]))
        };
        match written {
            Ok(0) => {}
            Ok(mut n) => {
                self.out_len -= n;
                while n > 0 {
                    let Some(front) = self.out.front_mut() else {
                        break;
                    };
                    if n < front.len() {
                        front.advance(n);
                        break;
                    }
                    n -= front.len();
                    self.out.pop_front();
                }
                return Poll::Ready(Ok(true));
            }
            Err(e) => {
                self.writing = Output::Failed;
                return Poll::Ready(Err(e));
            }
        }
        self.writing = Output::Failed;
        Poll::Ready(Err(io::ErrorKind::WriteZero.into()))
    }

    /// Write everything the connection has to send.
    fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while ready!(self.poll_write_some(cx))? {}
        Poll::Ready(Ok(()))
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
    fn poll_read(&mut self, cx: &mut Context<'_>) -> Poll<()> {
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
    fn poll_discard(&mut self, cx: &mut Context<'_>) -> Poll<()> {
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

    /// Ready while fewer than [`Limits::max_write_buffer`] bytes wait;
    /// otherwise writes until that is so. Nothing is written while there
    /// is room: [`Core::poll_flush`] does that.
    ///
    /// [`Limits::max_write_buffer`]: rtw_ws::Limits::max_write_buffer
    pub(crate) fn poll_ready(&mut self, cx: &Context<'_>) -> Poll<Result<(), WsError>> {
        self.entered(Side::Write, cx, Self::ready)
    }

    fn ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        loop {
            self.check_writable()?;
            if self.buffered() < self.write_limit() {
                return Poll::Ready(Ok(()));
            }
            ready!(self.poll_write_some(cx))?;
        }
    }

    /// Write everything queued and flush the transport.
    pub(crate) fn poll_flush(&mut self, cx: &Context<'_>) -> Poll<Result<(), WsError>> {
        self.entered(Side::Write, cx, Self::flush)
    }

    fn flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        if self.writing == Output::Failed {
            self.check_writable()?;
        }
        // Once the connection is ending, what is left gets the time the
        // connection gives it (the close timeout, then the linger): the
        // timer fails the connection, and the transport is closed.
        let written = self.poll_write_out(cx);
        if written.is_pending() && self.conn.transport() == Transport::Close {
            self.writing = Output::Failed;
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the peer read nothing of what was left to send",
            )
            .into()));
        }
        ready!(written)?;
        if self.writing == Output::Open {
            ready!(Pin::new(&mut self.io).poll_flush(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    /// The closing handshake (RFC 6455 §7.1.2): send a close frame (1000)
    /// unless one was sent, write it out, wait for the peer's close frame
    /// (at most [`Config::close_timeout`]), then close the transport as
    /// [`Core::poll_finish`] says. Messages that arrive meanwhile stay
    /// queued for the stream.
    ///
    /// [`Config::close_timeout`]: rtw_ws::Config::close_timeout
    pub(crate) fn poll_close(&mut self, cx: &Context<'_>) -> Poll<Result<(), WsError>> {
        self.entered(Side::Write, cx, Self::close)
    }

    fn close(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        if self.conn.state() == State::Open {
            self.conn
                .close(Some(CloseFrame::new(CloseCode::NORMAL, "")))?;
            // The close timeout runs from now.
            self.conn.handle_timeout(now());
        }
        self.poll_timer(cx);
        if self.writing == Output::Open && self.conn.state() == State::Closing {
            if let Err(e) = ready!(self.poll_write_out(cx)) {
                self.close_error.get_or_insert(e);
            } else if let Err(e) = ready!(Pin::new(&mut self.io).poll_flush(cx)) {
                self.close_error.get_or_insert(e);
            }
        }
        ready!(self.poll_peer_close(cx));
        ready!(self.poll_finish(cx));
        match self.close_error.take() {
            Some(e) => Poll::Ready(Err(e.into())),
            None => Poll::Ready(Ok(())),
        }
    }

    /// Read until the connection is closed: the peer's close frame came,
    /// the close timeout ran out, or the transport ended. What arrives
    /// meanwhile stays queued in the connection for the reading side,
    /// which is woken.
    fn poll_peer_close(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let mut fed = false;
            while self.conn.state() == State::Closing && self.feed() {
                fed = true;
            }
            if fed {
                self.wakers.notify(Side::Read);
            }
            if self.conn.state() != State::Closing {
                return Poll::Ready(());
            }
            self.poll_timer(cx);
            if self.conn.state() != State::Closing {
                return Poll::Ready(());
            }
            ready!(self.poll_read(cx));
            self.wakers.notify(Side::Read);
        }
    }

    /// Close the transport (RFC 6455 §7.1.1) as [`Connection::transport`]
    /// says, once the connection is closed: write out what is queued (the
    /// close frame among it); then a server shuts its write side down at
    /// once and reads (discarding) until the client's end of file, while a
    /// client waits for the server's end of file and shuts down after.
    /// Either wait lasts at most [`Config::linger`], after which the
    /// connection says [`Transport::Close`]. Write errors are kept for
    /// `poll_close`: the connection is over either way.
    ///
    /// [`Config::linger`]: rtw_ws::Config::linger
    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            if self.phase != Phase::Running {
                return Poll::Ready(());
            }
            self.poll_timer(cx);
            let transport = self.conn.transport();
            if transport == Transport::Close {
                // Only what the transport takes at once.
                if let Poll::Ready(Err(e)) = self.poll_write_out(cx) {
                    self.close_error.get_or_insert(e);
                }
                if self.writing != Output::Shut {
                    let _ = ready!(Pin::new(&mut self.io).poll_shutdown(cx));
                    self.writing = Output::Shut;
                }
                self.input = BytesMut::new();
                self.phase = Phase::Finished;
                self.wakers.notify(Side::Read);
                self.wakers.notify(Side::Write);
                return Poll::Ready(());
            }
            if self.writing == Output::Open {
                match ready!(self.poll_write_out(cx)) {
                    Err(e) => {
                        self.close_error.get_or_insert(e);
                    }
                    Ok(()) => {
                        if let Err(e) = ready!(Pin::new(&mut self.io).poll_flush(cx)) {
                            self.close_error.get_or_insert(e);
                            self.writing = Output::Failed;
                        }
                    }
                }
            }
            if transport == Transport::Shutdown && self.writing != Output::Shut {
                let _ = ready!(Pin::new(&mut self.io).poll_shutdown(cx));
                self.writing = Output::Shut;
            }
            // Until end of file (which makes it `Transport::Close`) or the
            // end of the linger.
            ready!(self.poll_discard(cx));
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;
    use rtw_ws::frame::{OpCode, encode_frame};
    use rtw_ws::{Event, Message, Role};

    use super::*;

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
        assert!(core.feed());
        assert_eq!(events(&mut core), [Event::Message(Message::text("first"))]);
        assert_eq!(
            core.conn.state(),
            State::Open,
            "the bad frame is not read yet"
        );
        assert!(core.feed());
        assert_eq!(
            events(&mut core),
            [Event::Message(Message::Ping(Bytes::from_static(b"p")))]
        );
        assert!(core.feed());
        assert!(matches!(events(&mut core)[..], [Event::Failed(_)]));
        assert!(!core.feed());
    }

    #[test]
    fn small_chunks_are_joined_and_large_ones_left_alone() {
        let big = Bytes::from(vec![9u8; COALESCE_BELOW]);
        let mut out: VecDeque<Bytes> = [
            Bytes::from_static(b"ab"),
            Bytes::from_static(b"cd"),
            big.clone(),
            Bytes::from_static(b"ef"),
        ]
        .into();
        coalesce(&mut out);
        assert_eq!(
            out,
            [
                Bytes::from_static(b"abcd"),
                big.clone(),
                Bytes::from_static(b"ef")
            ]
        );
        assert_eq!(
            out[1].as_ptr(),
            big.as_ptr(),
            "the large payload is not copied"
        );
        coalesce(&mut out);
        assert_eq!(out.len(), 3, "nothing small is left to join at the front");
    }

    #[test]
    fn the_scratch_buffer_in_use_is_not_borrowed_twice() {
        let nested = scratch(|outer| {
            outer.extend_from_slice(b"x");
            let inner = scratch(|_| ());
            outer.clear();
            inner
        });
        assert_eq!(nested, Some(None));
    }

    /// A peer with no end of masked 1-byte fragments of one binary
    /// message, always ready to be read; counts its reads.
    struct Fragments {
        reads: usize,
    }

    impl AsyncRead for Fragments {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let mut wire = BytesMut::new();
            if self.reads == 0 {
                encode_frame(
                    &mut wire,
                    OpCode::Binary,
                    false,
                    0,
                    Some([1, 2, 3, 4]),
                    b"x",
                );
            }
            while wire.len() + 7 <= buf.remaining() {
                encode_frame(
                    &mut wire,
                    OpCode::Continuation,
                    false,
                    0,
                    Some([1, 2, 3, 4]),
                    b"x",
                );
            }
            buf.put_slice(&wire);
            self.reads += 1;
            Poll::Ready(Ok(()))
        }
    }

    impl AsyncWrite for Fragments {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            b: &[u8],
        ) -> Poll<io::Result<usize>> {
            Poll::Ready(Ok(b.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn input_without_events_gives_the_thread_back_after_each_read() {
        let io = Fragments { reads: 0 };
        let mut core = Core::new(io, Role::Server, Options::default(), BytesMut::new()).unwrap();
        let woken = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        struct Count(Arc<std::sync::atomic::AtomicUsize>);
        impl std::task::Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let waker = Waker::from(Arc::new(Count(woken.clone())));
        let cx = Context::from_waker(&waker);
        for round in 1..=3 {
            assert!(core.poll_next(&cx).is_pending(), "round {round}");
            assert_eq!(core.get_ref().reads, round, "one read per poll");
            assert!(
                woken.load(std::sync::atomic::Ordering::SeqCst) >= round,
                "woken to go on"
            );
        }
        assert_eq!(core.state(), State::Open);
    }

    #[test]
    fn a_frame_split_across_reads_is_fed_as_it_arrives_and_the_buffer_released() {
        let wire = frame(OpCode::Binary, &[7; 300]);
        let mut core = Core::new((), Role::Server, Options::default(), BytesMut::new()).unwrap();
        for piece in wire.chunks(7) {
            core.input.extend_from_slice(piece);
            while core.feed() {}
        }
        assert_eq!(
            events(&mut core),
            [Event::Message(Message::binary(vec![7; 300]))]
        );
        assert!(core.input.is_empty());
        assert_eq!(
            core.input.capacity(),
            0,
            "an idle connection holds no buffer"
        );
    }
}
