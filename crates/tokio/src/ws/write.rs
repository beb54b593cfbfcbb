//! The sink side: messages into the connection, with a bounded write
//! buffer, flushing, and the closing handshake.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use rtw_ws::{CloseCode, CloseFrame, Message, State};
use tokio::io::{AsyncRead, AsyncWrite};

use super::core::Core;
use super::error::WsError;
use super::wakers::Side;

impl<S: AsyncRead + AsyncWrite + Unpin> Core<S> {
    /// Why nothing can be sent, if so.
    fn check_writable(&self) -> Result<(), WsError> {
        if self.write_failed {
            return Err(
                io::Error::new(io::ErrorKind::BrokenPipe, "an earlier write failed").into(),
            );
        }
        if self.conn.state() != State::Open {
            return Err(rtw_ws::Error::Closed.into());
        }
        Ok(())
    }

    /// Ready while fewer than [`Config::max_write_buffer`] bytes wait;
    /// otherwise writes until that is so. Nothing is written while there
    /// is room: [`Core::poll_flush`] does that.
    ///
    /// [`Config::max_write_buffer`]: rtw_ws::Config::max_write_buffer
    pub(crate) fn poll_ready(&mut self, cx: &Context<'_>) -> Poll<Result<(), WsError>> {
        let waker = self.enter(Side::Write, cx);
        let cx = &mut Context::from_waker(&waker);
        self.poll_timer(cx);
        loop {
            self.check_writable()?;
            if self.buffered() < self.write_limit() {
                return Poll::Ready(Ok(()));
            }
            ready!(self.poll_write_some(cx))?;
        }
    }

    /// Queue `message`: data is framed (and masked, for a client) into the
    /// connection's buffer; `Message::Close` starts the closing handshake
    /// (RFC 6455 §7.1.2).
    pub(crate) fn start_send(&mut self, message: Message) -> Result<(), WsError> {
        self.check_writable()?;
        let close = matches!(message, Message::Close(_));
        self.conn.send(message)?;
        if close {
            self.arm_close_timer();
        }
        Ok(())
    }

    /// Write everything queued and flush the transport.
    pub(crate) fn poll_flush(&mut self, cx: &Context<'_>) -> Poll<Result<(), WsError>> {
        let waker = self.enter(Side::Write, cx);
        let cx = &mut Context::from_waker(&waker);
        self.poll_timer(cx);
        if self.write_failed {
            self.check_writable()?;
        }
        if self.conn.state() == State::Open {
            ready!(self.poll_write_out(cx))?;
        } else {
            // The connection is ending (a failure, say a peer that stopped
            // answering): what is left gets a bounded time to go.
            ready!(self.poll_write_out_bounded(cx))?;
        }
        if !self.write_shut {
            ready!(Pin::new(&mut self.io).poll_flush(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    /// The closing handshake (RFC 6455 §7.1.2): send a close frame (1000)
    /// unless one was sent, write it out, wait for the peer's close frame
    /// (at most [`Options::close_timeout`]), then close the transport as
    /// [`Core::poll_finish`] says. Messages that arrive meanwhile stay
    /// queued for the stream.
    ///
    /// [`Options::close_timeout`]: super::Options::close_timeout
    pub(crate) fn poll_close(&mut self, cx: &Context<'_>) -> Poll<Result<(), WsError>> {
        let waker = self.enter(Side::Write, cx);
        let cx = &mut Context::from_waker(&waker);
        self.poll_timer(cx);
        if self.conn.state() == State::Open {
            self.conn
                .close(Some(CloseFrame::new(CloseCode::NORMAL, "")))?;
            self.arm_close_timer();
        }
        if !self.write_shut && !self.write_failed {
            if let Err(e) = ready!(self.poll_write_out_bounded(cx)) {
                self.close_error.get_or_insert(e);
            } else if let Err(e) = ready!(Pin::new(&mut self.io).poll_flush(cx)) {
                self.close_error.get_or_insert(e);
            }
        }
        if !self.write_failed {
            ready!(self.poll_peer_close(cx));
        }
        ready!(self.poll_finish(cx));
        match self.close_error.take() {
            Some(e) => Poll::Ready(Err(e.into())),
            None => Poll::Ready(Ok(())),
        }
    }
}
