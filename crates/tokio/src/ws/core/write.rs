//! The write path of [`Core`]: the chunks of the connection gathered into
//! vectored writes (or joined for a transport without them), the write
//! buffer bound, and the sink's send, ready and flush.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes, BytesMut};
use rtw_ws::{Message, State, Transport};
use tokio::io::{AsyncRead, AsyncWrite};

use super::{Core, Output, now};
use crate::ws::error::WsError;
use crate::ws::wakers::Side;

/// Chunks of one vectored write at most.
const MAX_IOVECS: usize = 64;

/// Chunks below this size are copied together for a transport that
/// cannot write several at once.
pub(super) const COALESCE_BELOW: usize = 4 * 1024;

/// At most this much is copied together.
const COALESCE_MAX: usize = 64 * 1024;

/// Join the small chunks at the front of `out` into one, so that a
/// transport without vectored writes (`tokio::io::duplex`, say) takes
/// many small frames in one write instead of one write each. Large
/// payloads are left as they are (not copied).
pub(super) fn coalesce(out: &mut VecDeque<Bytes>) {
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

impl<S> Core<S> {
    /// The write buffer bound (never zero, so a message can always go).
    fn write_limit(&self) -> usize {
        self.options.config.limits.max_write_buffer.max(1)
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
    pub(super) fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while ready!(self.poll_write_some(cx))? {}
        Poll::Ready(Ok(()))
    }

    /// Write what the transport takes now. Errors are kept for the writing
    /// side (the reading side goes on to read what the peer already sent);
    /// a writer waiting for room is woken when some was made.
    pub(super) fn nudge_write(&mut self, cx: &mut Context<'_>) {
        let before = self.buffered();
        let _ = self.poll_write_out(cx);
        if self.buffered() < before && before >= self.write_limit() {
            self.wakers.notify(Side::Write);
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
}
