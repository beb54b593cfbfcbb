//! The end of a connection (RFC 6455 §7): waiting for the peer's close
//! frame, then closing the transport in the order each role must.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use rtw_ws::{Role, State};
use tokio::io::{AsyncRead, AsyncWrite};

use super::core::Core;
use super::wakers::Side;

impl<S: AsyncRead + AsyncWrite + Unpin> Core<S> {
    /// Start the wait for the peer's close frame (RFC 6455 §7.1.2), if it
    /// has not started.
    pub(super) fn arm_close_timer(&mut self) {
        if self.close_deadline.is_none() {
            let timeout = self.options.close_timeout;
            self.close_deadline = Some(Box::pin(tokio::time::sleep(timeout)));
        }
    }

    /// `true` once we waited [`Options::close_timeout`] for the peer's close
    /// frame in vain.
    ///
    /// [`Options::close_timeout`]: super::Options::close_timeout
    pub(super) fn poll_close_timer(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.close_timed_out && self.conn.state() == State::Closing {
            self.arm_close_timer();
            if let Some(deadline) = &mut self.close_deadline {
                self.close_timed_out = deadline.as_mut().poll(cx).is_ready();
            }
        }
        self.close_timed_out
    }

    /// Read until the peer's close frame arrives, the transport ends or the
    /// close timeout runs out. What arrives meanwhile stays queued in the
    /// connection for the reading side, which is woken.
    pub(super) fn poll_peer_close(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let mut fed = false;
            while self.conn.state() == State::Closing && self.feed_frame() {
                fed = true;
            }
            if fed {
                self.wakers.notify(Side::Read);
            }
            if self.conn.state() != State::Closing || self.read_eof || self.poll_close_timer(cx) {
                return Poll::Ready(());
            }
            self.poll_timer(cx);
            ready!(self.poll_read_more(cx));
            if self.read_eof {
                self.wakers.notify(Side::Read);
            }
        }
    }

    /// Write out what is queued, as [`Core::poll_write_out`] does, but for
    /// at most [`Options::close_timeout`] once the connection is ending: a
    /// peer that stopped reading cannot hold it open. Past that nothing
    /// more is written and the transport is closed.
    ///
    /// [`Options::close_timeout`]: super::Options::close_timeout
    pub(super) fn poll_write_out_bounded(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Poll::Ready(done) = self.poll_write_out(cx) {
            return Poll::Ready(done);
        }
        let timeout = self.options.close_timeout;
        let deadline = self
            .flush_deadline
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        if deadline.as_mut().poll(cx).is_ready() {
            self.write_failed = true;
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the peer read nothing of what was left to send",
            )));
        }
        Poll::Pending
    }

    /// Close the transport (RFC 6455 §7.1.1): write out what is queued (the
    /// close frame among it); then a server shuts its write side down at
    /// once and waits for the client's FIN, while a client waits for the
    /// server's FIN first and shuts down after. Either wait lasts at most
    /// [`Options::linger`]; input meanwhile is discarded. Transport errors
    /// end the wait: the connection is over either way.
    ///
    /// [`Options::linger`]: super::Options::linger
    pub(super) fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.finished {
            return Poll::Ready(());
        }
        if !self.write_shut && !self.write_failed {
            if let Err(e) = ready!(self.poll_write_out_bounded(cx)) {
                self.close_error.get_or_insert(e);
            } else if let Err(e) = ready!(Pin::new(&mut self.io).poll_flush(cx)) {
                self.close_error.get_or_insert(e);
            }
        }
        if self.conn.role() == Role::Client {
            ready!(self.poll_drain(cx));
        }
        if !self.write_shut {
            let _ = ready!(Pin::new(&mut self.io).poll_shutdown(cx));
            self.write_shut = true;
        }
        ready!(self.poll_drain(cx));
        self.finished = true;
        self.wakers.notify(Side::Read);
        self.wakers.notify(Side::Write);
        Poll::Ready(())
    }

    /// Read and discard until end of file, for at most the linger time.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        while !self.read_eof {
            let linger = self.options.linger;
            let deadline = self
                .linger_deadline
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(linger)));
            if deadline.as_mut().poll(cx).is_ready() {
                break;
            }
            self.clear_input();
            match ready!(self.poll_fill(cx)) {
                Ok(0) | Err(_) => self.read_eof = true,
                Ok(_) => {}
            }
        }
        self.clear_input();
        Poll::Ready(())
    }
}
