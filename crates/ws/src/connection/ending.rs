//! The end of a connection (RFC 6455 §7.1): the wait for the peer's close
//! frame after ours (§7.1.2), then closing the transport in the order each
//! role must (§7.1.1: the server closes TCP first, the client waits for
//! it). Time only comes in as an argument.

use std::time::Instant;

use crate::{Config, Role};

/// What the driver does with the transport now (RFC 6455 §7.1.1), read
/// with [`Connection::transport`](crate::Connection::transport).
///
/// | role | after the closing handshake (or a failure, or the close timeout) | ends |
/// |---|---|---|
/// | server | [`Transport::Shutdown`]: write out, shut down the write side at once, read until the client's end of file | at end of file ([`Connection::handle_eof`](crate::Connection::handle_eof)) or after [`Config::linger`] |
/// | client | [`Transport::AwaitPeerClose`]: write out, read until the server's end of file | at end of file, or after [`Config::linger`] |
///
/// Then [`Transport::Close`]: close the transport. The wait for the
/// peer's close frame before this is bounded by [`Config::close_timeout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Transport {
    /// Read and write: the connection is open, or closing and waiting for
    /// the peer's close frame (at most [`Config::close_timeout`]).
    Open,
    /// A client whose connection is closed waits for the server to close
    /// TCP first (RFC 6455 §7.1.1: "the client SHOULD wait for the server
    /// to close the connection"). Keep writing what
    /// [`Connection::poll_transmit`](crate::Connection::poll_transmit)
    /// gives (the close reply, say) and keep reading: the connection
    /// discards input now. Call
    /// [`Connection::handle_eof`](crate::Connection::handle_eof) at end of
    /// file. Lasts at most [`Config::linger`]; then [`Transport::Close`].
    AwaitPeerClose,
    /// A server whose connection is closed closes TCP first (RFC 6455
    /// §7.1.1: "the underlying TCP connection, in most normal cases,
    /// SHOULD be closed first by the server"): write out what
    /// [`Connection::poll_transmit`](crate::Connection::poll_transmit)
    /// gives, then shut down the write side (send FIN), and keep reading
    /// (the connection discards input) until end of file, so that unread
    /// data does not turn the close into a reset that could destroy the
    /// close frame in flight. Call
    /// [`Connection::handle_eof`](crate::Connection::handle_eof) at end of
    /// file. Lasts at most [`Config::linger`]; then [`Transport::Close`].
    Shutdown,
    /// The connection is over: close the transport now. What
    /// [`Connection::poll_transmit`](crate::Connection::poll_transmit)
    /// still gives may be written first if the transport takes it at once;
    /// nothing more is waited for.
    Close,
}

/// The end of the connection, as far as time is concerned.
#[derive(Debug)]
pub(crate) struct Ending {
    /// Our close frame is queued and the peer's has not come.
    closing: bool,
    /// When the wait for the peer's close frame started; set at the first
    /// time known once `closing` (our close frame may be queued without a
    /// time: [`Connection::close`](crate::Connection::close) takes none).
    closing_since: Option<Instant>,
    /// When the connection became closed.
    closed_at: Option<Instant>,
    transport: Transport,
}

impl Default for Ending {
    fn default() -> Self {
        Ending {
            closing: false,
            closing_since: None,
            closed_at: None,
            transport: Transport::Open,
        }
    }
}

/// What is due at an [`Ending::due`] call.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum EndDue {
    /// Nothing.
    Nothing,
    /// The peer's close frame did not come within the close timeout.
    CloseTimeout,
}

impl Ending {
    /// The time is `now` (the latest time known).
    pub(crate) fn tick(&mut self, now: Instant) {
        if self.closing && self.closing_since.is_none() {
            self.closing_since = Some(now);
        }
        if self.transport != Transport::Open && self.closed_at.is_none() {
            self.closed_at = Some(now);
        }
    }

    /// Our close frame was queued at `now` (`None`: the next time given).
    pub(crate) fn close_sent(&mut self, now: Option<Instant>) {
        self.closing = true;
        self.closing_since = now;
    }

    /// The connection became closed at `now` (`None`: the next time
    /// given): the transport is closed in the order of `role`.
    pub(crate) fn closed(&mut self, role: Role, now: Option<Instant>) {
        self.closing = false;
        if self.transport == Transport::Open {
            self.closed_at = now;
            self.transport = match role {
                Role::Server => Transport::Shutdown,
                Role::Client => Transport::AwaitPeerClose,
            };
        }
    }

    /// The peer closed its side of the transport: nothing more to wait for.
    pub(crate) fn eof(&mut self) {
        self.closing = false;
        self.transport = Transport::Close;
    }

    /// What the driver does with the transport.
    pub(crate) fn transport(&self) -> Transport {
        self.transport
    }

    /// The next deadline, if any; `now` is the latest time known, returned
    /// when a wait has started without a time (so that the driver gives
    /// one at once).
    pub(crate) fn next(&self, config: &Config, now: Option<Instant>) -> Option<Instant> {
        match self.transport {
            Transport::Open if self.closing => {
                self.closing_since.map(|t| t + config.close_timeout).or(now)
            }
            Transport::Open | Transport::Close => None,
            Transport::AwaitPeerClose | Transport::Shutdown => {
                self.closed_at.map(|t| t + config.linger).or(now)
            }
        }
    }

    /// What is due at `now`; the linger's end is handled here.
    pub(crate) fn due(&mut self, config: &Config, now: Instant) -> EndDue {
        match self.transport {
            Transport::Open
                if self.closing
                    && self
                        .closing_since
                        .is_some_and(|t| now >= t + config.close_timeout) =>
            {
                EndDue::CloseTimeout
            }
            Transport::AwaitPeerClose | Transport::Shutdown
                if self.closed_at.is_some_and(|t| now >= t + config.linger) =>
            {
                self.transport = Transport::Close;
                EndDue::Nothing
            }
            _ => EndDue::Nothing,
        }
    }
}
