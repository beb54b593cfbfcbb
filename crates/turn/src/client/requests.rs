//! The client's requests (RFC 8656 §7-§12): building them with the
//! credentials, running them as rtw-stun transactions, and what their
//! outcomes do, including the retries of RFC 8489 §9.2 (401 to the first
//! Allocate, one retry on 438 Stale Nonce per request).

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use rtw_stun::attributes::{
    ChannelNumber, ErrorCode, Lifetime, RequestedAddressFamily, RequestedTransport, Software,
    XorPeerAddress,
};
use rtw_stun::{
    Class, Message, MessageBuilder, MessageType, Method, TransactionEvent, TransactionId,
};

use super::{Client, State};
use crate::Error;

/// A request in flight, by what it is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Request {
    /// Allocate (RFC 8656 §7.1).
    Allocate,
    /// Refresh (§8.1) with this LIFETIME, if any; `Some(0)` deletes.
    Refresh {
        /// The LIFETIME sent.
        lifetime: Option<u32>,
    },
    /// CreatePermission for one peer IP (§9.1).
    Permission {
        /// The peer.
        peer: IpAddr,
    },
    /// ChannelBind (§12.1).
    Channel {
        /// The peer.
        peer: SocketAddr,
        /// The channel number.
        channel: u16,
    },
}

impl Request {
    fn method(self) -> Method {
        match self {
            Request::Allocate => Method::ALLOCATE,
            Request::Refresh { .. } => Method::REFRESH,
            Request::Permission { .. } => Method::CREATE_PERMISSION,
            Request::Channel { .. } => Method::CHANNEL_BIND,
        }
    }

    /// The method's name, for errors.
    pub(super) fn name(self) -> &'static str {
        match self {
            Request::Allocate => "Allocate",
            Request::Refresh { .. } => "Refresh",
            Request::Permission { .. } => "CreatePermission",
            Request::Channel { .. } => "ChannelBind",
        }
    }
}

/// What the client remembers of a running transaction.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pending {
    pub(super) request: Request,
    /// When the first request of the transaction went out: the server's
    /// timers start no earlier, so refreshes are scheduled from here.
    pub(super) started: Instant,
    /// Sent with credentials: a success must then carry a valid
    /// MESSAGE-INTEGRITY (RFC 8489 §9.2.5).
    pub(super) authenticated: bool,
    /// Already retried once after 438 Stale Nonce.
    pub(super) stale_retried: bool,
}

impl Client {
    /// Build `request` with a fresh transaction ID, the credentials once
    /// known and FINGERPRINT, and start its transaction.
    pub(super) fn start(
        &mut self,
        now: Instant,
        request: Request,
        stale_retried: bool,
    ) -> Result<TransactionId, Error> {
        let tid = TransactionId::random(&mut *self.random);
        let mut b = MessageBuilder::new(MessageType::new(request.method(), Class::Request), tid);
        match request {
            Request::Allocate => {
                b.add(&RequestedTransport::UDP)?;
                if self.config.family == rtw_stun::attributes::AddressFamily::V6 {
                    b.add(&RequestedAddressFamily(self.config.family))?;
                }
                if let Some(lifetime) = self.lifetime_secs() {
                    b.add(&Lifetime(lifetime))?;
                }
                if let Some(software) = &self.config.software {
                    b.add(&Software::new(software)?)?;
                }
            }
            Request::Refresh { lifetime } => {
                if let Some(lifetime) = lifetime {
                    b.add(&Lifetime(lifetime))?;
                }
            }
            Request::Permission { peer } => {
                b.add(&XorPeerAddress(SocketAddr::new(peer, 0)))?;
            }
            Request::Channel { peer, channel } => {
                b.add(&ChannelNumber(channel))?;
                b.add(&XorPeerAddress(peer))?;
            }
        }
        let authenticated = self.auth.ready();
        self.auth.add_attributes(&mut b)?;
        self.auth.sign(&mut b)?;
        b.add_fingerprint()?;
        self.transactions
            .start(now, b.finish().freeze(), self.server, self.config.transport)?;
        self.pending.insert(
            tid,
            Pending {
                request,
                started: now,
                authenticated,
                stale_retried,
            },
        );
        Ok(tid)
    }

    /// Handle every transaction that ended.
    pub(super) fn drain_outcomes(&mut self, now: Instant) {
        while let Some(outcome) = self.transactions.poll_event() {
            let Some(pending) = self.pending.remove(&outcome.transaction_id) else {
                continue;
            };
            self.on_outcome(now, pending, outcome.event);
        }
    }

    fn on_outcome(&mut self, now: Instant, pending: Pending, event: TransactionEvent) {
        let (code, response) = match event {
            TransactionEvent::Success { response } => {
                match Message::parse_with_limits(&response, &self.config.limits) {
                    Ok(msg) => self.on_success(now, pending, &msg),
                    Err(e) => self.on_failure(pending, e.into()),
                }
                return;
            }
            TransactionEvent::ErrorResponse { code, response } => (code, response),
            TransactionEvent::Timeout => {
                return self.on_failure(pending, Error::Timeout(pending.request.name()));
            }
            TransactionEvent::Failed { error, .. } => {
                return self.on_failure(pending, error.into());
            }
            _ => {
                return self.on_failure(
                    pending,
                    Error::InvalidResponse("a transaction ended in an unknown way"),
                );
            }
        };
        let msg = match Message::parse_with_limits(&response, &self.config.limits) {
            Ok(msg) => msg,
            Err(e) => return self.on_failure(pending, e.into()),
        };
        // RFC 8489 §9.2.3: the first Allocate is sent without credentials
        // and answered 401 with the realm and a nonce; §9.2.5: 438 asks
        // for the same request with the new nonce, once.
        let unauthorized = code == ErrorCode::UNAUTHENTICATED.code()
            && !pending.authenticated
            && pending.request == Request::Allocate;
        let stale = code == ErrorCode::STALE_NONCE.code() && !pending.stale_retried;
        if !(unauthorized || stale) {
            let reason = match msg.get::<ErrorCode>() {
                Some(Ok(e)) => e.reason().to_owned(),
                _ => String::new(),
            };
            let error = Error::ErrorResponse {
                method: pending.request.name(),
                code,
                reason,
            };
            return self.on_failure(pending, error);
        }
        if let Err(e) = self.auth.challenge(&msg) {
            return self.on_failure(pending, e);
        }
        if let Err(e) = self.start(now, pending.request, pending.stale_retried || stale) {
            self.on_failure(pending, e);
        }
    }

    fn on_success(&mut self, now: Instant, pending: Pending, msg: &Message<'_>) {
        match pending.request {
            Request::Allocate => self.on_allocated(pending.started, msg),
            Request::Refresh { lifetime: Some(0) } => {
                self.close();
                self.events.push_back(super::ClientEvent::Deallocated);
            }
            Request::Refresh { .. } => self.on_refreshed(pending.started, msg),
            Request::Permission { peer } => self.on_permission(peer, pending.started),
            Request::Channel { peer, channel } => {
                self.on_channel(now, peer, channel, pending.started)
            }
        }
    }

    /// A request failed for good: what that means depends on what it was.
    pub(super) fn on_failure(&mut self, pending: Pending, error: Error) {
        match pending.request {
            Request::Allocate => {
                self.close();
                self.events
                    .push_back(super::ClientEvent::AllocationFailed(error));
            }
            // The server lets an unrefreshed allocation expire (RFC 8656
            // §8): whatever the answer, the allocation is over.
            Request::Refresh { lifetime: Some(0) } => {
                self.close();
                self.events.push_back(super::ClientEvent::Deallocated);
            }
            Request::Refresh { .. } => {
                if self.state == State::Allocated {
                    self.close();
                    self.events.push_back(super::ClientEvent::Expired(error));
                }
            }
            Request::Permission { peer } => self.on_permission_failed(peer, error),
            Request::Channel { peer, channel } => self.on_channel_failed(peer, channel, error),
        }
    }
}
