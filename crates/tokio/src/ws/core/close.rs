//! The closing path of [`Core`]: the closing handshake (RFC 6455 §7.1.2),
//! the wait for the peer's close frame, and the close of the transport
//! (§7.1.1).

use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::BytesMut;
use rtw_ws::{CloseCode, CloseFrame, State, Transport};
use tokio::io::{AsyncRead, AsyncWrite};

use super::{Core, Output, Phase, now};
use crate::ws::error::WsError;
use crate::ws::wakers::Side;

impl<S: AsyncRead + AsyncWrite + Unpin> Core<S> {
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
    /// [`Connection::transport`]: rtw_ws::Connection::transport
    pub(super) fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<()> {
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
