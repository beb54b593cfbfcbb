//! The driver that a whole [`WebSocketStream`](super::WebSocketStream) and
//! its split halves share: the sans-IO [`Connection`], the transport, and
//! the bytes between them.
//!
//! The connection decides everything (frames, pongs, close replies, every
//! timer of RFC 6455 §7 and what to do with the transport,
//! [`Connection::transport`]); the driver moves bytes and time:
//!
//! - input: reads go into a buffer shared by the connections of the thread
//!   ([`scratch`](read::scratch)); only the bytes read are kept, and only
//!   while a frame is incomplete does a connection own a buffer, so an
//!   idle connection holds none;
//! - output: the chunks of [`Connection::poll_transmit`] (a frame header,
//!   then the very `Bytes` of the payload on the server's path) are
//!   gathered into one vectored write;
//! - time: one sleep, armed for [`Connection::poll_timeout`], or for the
//!   end of a pause of the reads while the connection is over its budget
//!   of inflated bytes ([`Options::max_inflate_rate`]).
//!
//! Here: the driver's state, its construction, the entry of every poll
//! and the timer; the read path is in [`read`], the write path in
//! [`write`](mod@write), the closing path in [`close`].

mod close;
mod read;
mod write;

#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use bytes::{Bytes, BytesMut};
use rtw_ws::{Connection, InflateRate, Role, State};
use tokio::time::Sleep;

use super::options::Options;
use super::wakers::{Side, WakerSet};
use crate::OsRandom;

/// The time for the connection: tokio's clock, so that tests with paused
/// time drive its timers too.
fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
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
}
