//! The state that a whole [`WebSocketStream`](super::WebSocketStream) and
//! its split halves drive: the sans-IO [`Connection`], the transport, and
//! the bytes between them.
//!
//! The logic is spread by concern: this file holds the state and the two
//! transport primitives (write what the connection gives, read what the
//! peer sends); `feed.rs` hands received bytes to the connection a frame
//! at a time, `read.rs` is the stream side, `write.rs` the sink side,
//! `close.rs` the end of the connection (RFC 6455 §7).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker, ready};

use bytes::{Buf, Bytes, BytesMut};
use rtw_ws::{Connection, Role, State};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Sleep;
use tokio_util::io::poll_read_buf;

use super::options::Options;
use super::random::OsRandom;
use super::wakers::{Side, WakerSet};

/// How much room a read gets at least.
const READ_SIZE: usize = 64 * 1024;

/// Below this much free room, the read buffer grows by [`READ_SIZE`].
const MIN_READ_ROOM: usize = 4 * 1024;

/// The time for the connection: tokio's clock, so that tests with paused
/// time drive its timers too.
pub(super) fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}

/// A connection and its transport.
#[derive(Debug)]
pub(crate) struct Core<S> {
    pub(super) io: S,
    pub(super) conn: Connection,
    pub(super) options: Options,
    /// Received bytes not yet consumed by the connection.
    pub(super) read_buf: BytesMut,
    /// Bytes taken from [`Connection::poll_transmit`] and not written yet.
    /// Refilled only once empty, so that what waits stays in the
    /// connection, where a newer ping's pong replaces an older one
    /// (RFC 6455 §5.5.3) instead of queueing without bound.
    out: Bytes,
    /// The transport returned end of file (or failed) on reading.
    pub(super) read_eof: bool,
    /// The stream reported how the transport ended (an error, or end of
    /// file before the closing handshake).
    pub(super) end_reported: bool,
    /// A read error met by the writing side, for the reading side to report.
    pub(super) read_error: Option<io::Error>,
    /// A write failed: nothing more is written.
    pub(super) write_failed: bool,
    /// A write error met while closing, returned by `poll_close`.
    pub(super) close_error: Option<io::Error>,
    /// Runs from our close frame to the peer's (RFC 6455 §7.1.2).
    pub(super) close_deadline: Option<Pin<Box<Sleep>>>,
    /// The peer's close frame did not come in time.
    pub(super) close_timed_out: bool,
    /// Runs while waiting for the peer to close TCP (RFC 6455 §7.1.1).
    pub(super) linger_deadline: Option<Pin<Box<Sleep>>>,
    /// Bounds the writing of what is left once the connection ends, so
    /// that a peer that does not read cannot hold it open.
    pub(super) flush_deadline: Option<Pin<Box<Sleep>>>,
    /// The connection's own timer ([`Connection::poll_timeout`]):
    /// keep-alive pings, message deadlines, idle deflate state.
    timer: Option<Pin<Box<Sleep>>>,
    /// Our write side is shut down.
    pub(super) write_shut: bool,
    /// The connection is over: nothing more is read or written.
    pub(super) finished: bool,
    /// The stream returned `None`.
    pub(super) stream_ended: bool,
    pub(super) wakers: Arc<WakerSet>,
    /// Wakes both sides; every poll of the transport uses it.
    waker: Waker,
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
        let conn = Connection::new(role, options.config.clone(), OsRandom::new()?);
        #[cfg(feature = "deflate")]
        let conn = match &options.negotiated {
            Some(params) => conn.with_deflate(params, &options.deflate.clone().unwrap_or_default()),
            None => conn,
        };
        let (wakers, waker) = WakerSet::new();
        // The connection's timers start now.
        let mut conn = conn;
        conn.handle_timeout(now());
        Ok(Core {
            io,
            conn,
            options,
            read_buf: already_read,
            out: Bytes::new(),
            read_eof: false,
            end_reported: false,
            read_error: None,
            write_failed: false,
            close_error: None,
            close_deadline: None,
            close_timed_out: false,
            linger_deadline: None,
            flush_deadline: None,
            timer: None,
            write_shut: false,
            finished: false,
            stream_ended: false,
            wakers,
            waker,
        })
    }

    /// Remember the task polling `side`, and return the waker to poll the
    /// transport with (see [`WakerSet`]).
    pub(super) fn enter(&self, side: Side, cx: &Context<'_>) -> Waker {
        self.wakers.register(side, cx.waker());
        self.waker.clone()
    }

    /// Bytes accepted but not yet written.
    pub(crate) fn buffered(&self) -> usize {
        self.out.len() + self.conn.buffered_amount()
    }

    /// The write buffer bound (never zero, so a message can always go).
    pub(super) fn write_limit(&self) -> usize {
        self.options.config.max_write_buffer.max(1)
    }

    /// The connection's state.
    pub(crate) fn state(&self) -> State {
        self.conn.state()
    }

    /// Our role.
    pub(crate) fn role(&self) -> Role {
        self.conn.role()
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

    /// Discard what is left of the input (the connection is over).
    pub(super) fn clear_input(&mut self) {
        self.read_buf.clear();
    }

    /// Drive the connection's timers: when [`Connection::poll_timeout`]
    /// is due, call [`Connection::handle_timeout`] (which may queue a
    /// keep-alive ping or fail the connection) and wake both sides. Every
    /// poll of the stream and the sink calls it, so one sleep serves them,
    /// and so does every wait for input, after the input before it moved
    /// the deadlines (a message's first frame starts its deadline).
    pub(super) fn poll_timer(&mut self, cx: &mut Context<'_>) {
        // Each round either arms the sleep or moves the connection past a
        // deadline; a few rounds are plenty.
        for _ in 0..4 {
            let Some(at) = self.conn.poll_timeout() else {
                self.timer = None;
                return;
            };
            let at = tokio::time::Instant::from_std(at);
            if let Some(sleep) = &self.timer
                && sleep.deadline() == at
                && !sleep.is_elapsed()
            {
                // Armed for this deadline, with our (stable) waker.
                return;
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
                return;
            }
            self.conn.handle_timeout(now());
            self.wakers.notify(Side::Read);
            self.wakers.notify(Side::Write);
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Core<S> {
    /// Write one piece of what the connection has to send. `Ok(false)`
    /// when nothing is left. After a failed write everything is dropped.
    pub(super) fn poll_write_some(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        if self.write_failed || self.write_shut {
            self.out.clear();
            while self.conn.poll_transmit().is_some() {}
            return Poll::Ready(Ok(false));
        }
        if self.out.is_empty() {
            match self.conn.poll_transmit() {
                Some(bytes) => self.out = bytes,
                None => return Poll::Ready(Ok(false)),
            }
        }
        let result = match ready!(Pin::new(&mut self.io).poll_write(cx, &self.out)) {
            Ok(0) => Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                self.out.advance(n);
                return Poll::Ready(Ok(true));
            }
            Err(e) => Err(e),
        };
        self.write_failed = true;
        Poll::Ready(result)
    }

    /// Write everything the connection has to send.
    pub(super) fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while ready!(self.poll_write_some(cx))? {}
        Poll::Ready(Ok(()))
    }

    /// Read what the peer sent into the read buffer; `Ok(0)` at end of file.
    pub(super) fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.read_buf.capacity() - self.read_buf.len() < MIN_READ_ROOM {
            self.read_buf.reserve(READ_SIZE);
        }
        poll_read_buf(Pin::new(&mut self.io), cx, &mut self.read_buf)
    }

    /// Read more, for [`Core::feed_frame`]. At end of file or on an
    /// error, `read_eof` is set and the error kept for the stream.
    pub(super) fn poll_read_more(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match ready!(self.poll_fill(cx)) {
            Ok(0) => self.read_eof = true,
            Ok(_) => {}
            Err(e) => {
                self.read_eof = true;
                self.read_error = Some(e);
            }
        }
        Poll::Ready(())
    }
}
