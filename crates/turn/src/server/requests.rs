//! The requests of RFC 8656: Allocate (§7), Refresh (§8),
//! CreatePermission (§9) and ChannelBind (§11), plus Binding (RFC 8489
//! §6.3.1), which TURN servers answer too.

use std::time::{Duration, Instant};

use bytes::Bytes;
use rtw_core::TokenBucket;
use rtw_stun::attributes::{
    AdditionalAddressFamily, AddressErrorCode, AddressFamily, ErrorCode, EvenPort, Lifetime, Nonce,
    PasswordAlgorithm as AlgorithmAttr, PasswordAlgorithms, Realm, RequestedAddressFamily,
    RequestedTransport, ReservationToken, UnknownAttributes, XorMappedAddress, XorRelayedAddress,
};
use rtw_stun::{AttributeType, Class, Message, Method, TransactionId};

use super::allocation::Allocation;
use super::auth::{self, Authenticated, Rejection};
use super::respond::Response;
use super::{
    FiveTuple, RelayAddresses, RelayError, RelayId, RelayProtocol, RelayRequest, Reservation,
    Server, ServerEvent, Timer,
};

/// An Allocate waiting for its relayed address.
pub(super) struct Pending {
    pub(super) five_tuple: FiveTuple,
    /// The request, to answer it when the relay is open.
    request: Bytes,
    auth: Authenticated,
    lifetime: Duration,
    protocol: RelayProtocol,
    additional_family: bool,
}

impl Pending {
    pub(super) fn auth_username(&self) -> &str {
        &self.auth.username
    }
}

/// A rejected request's answer: an error code and its reason.
pub(super) type Refusal = (u16, &'static str);

impl Server {
    /// One STUN message from a client, of any class.
    pub(super) fn handle_message(
        &mut self,
        now: Instant,
        five_tuple: FiveTuple,
        msg: &Message<'_>,
    ) {
        if msg.class() == Class::Indication {
            if msg.method() == Method::SEND && msg.unknown_attributes().is_empty() {
                self.handle_send_indication(now, five_tuple, msg);
            }
            return;
        }
        if msg.class() != Class::Request {
            return;
        }
        let unknown = msg.unknown_attributes();
        if !unknown.is_empty() {
            let mut response = Response::error(msg, 420, "");
            if let Ok(list) = UnknownAttributes::new(&unknown) {
                response.add(&list);
            }
            self.answer(five_tuple, response, None);
            return;
        }
        match msg.method() {
            Method::BINDING => {
                let mut response = Response::success(msg);
                response.add(&XorMappedAddress(five_tuple.client));
                self.answer(five_tuple, response, None);
            }
            Method::ALLOCATE => self.allocate(now, five_tuple, msg),
            Method::REFRESH => self.refresh(now, five_tuple, msg),
            Method::CREATE_PERMISSION => self.create_permission(now, five_tuple, msg),
            Method::CHANNEL_BIND => self.channel_bind(now, five_tuple, msg),
            Method::CONNECT => self.connect(now, five_tuple, msg),
            Method::CONNECTION_BIND => self.connection_bind(now, five_tuple, msg),
            _ => {
                let response = Response::error(msg, 400, "unknown method");
                self.answer(five_tuple, response, None);
            }
        }
    }

    /// Sends `response` to the client, signed with `auth` when given.
    pub(super) fn answer(
        &mut self,
        five_tuple: FiveTuple,
        response: Response,
        auth: Option<&Authenticated>,
    ) -> Option<Bytes> {
        let signing = auth.map(|a| (&*a.key, a.integrity));
        let bytes = response.finish(self.config.software.as_deref(), signing)?;
        if bytes
            .get(..2)
            .is_some_and(|t| t[0] & 0x01 == 0x01 && t[1] & 0x10 == 0x10)
        {
            self.stats.error_responses += 1;
        }
        self.send_to_client(five_tuple, bytes.clone());
        Some(bytes)
    }

    /// Sends an error response signed with `auth`.
    pub(super) fn refuse(
        &mut self,
        five_tuple: FiveTuple,
        msg: &Message<'_>,
        (code, reason): Refusal,
        auth: &Authenticated,
    ) {
        let response = Response::error(msg, code, reason);
        self.answer(five_tuple, response, Some(auth));
    }

    /// Checks the credentials of `msg`, answering 400, 401 or 438 itself
    /// when they fail.
    pub(super) fn authenticate(
        &mut self,
        now: Instant,
        five_tuple: FiveTuple,
        msg: &Message<'_>,
    ) -> Option<Authenticated> {
        let elapsed = self.elapsed(now);
        let rejection =
            match self
                .credentials
                .authenticate(now, elapsed, &self.nonces, &five_tuple, msg)
            {
                Ok(auth) => return Some(auth),
                Err(rejection) => rejection,
            };
        let (code, reason) = match rejection {
            Rejection::BadRequest(reason) => (400, reason),
            Rejection::Unauthorized(_) => (401, ""),
            Rejection::StaleNonce => (438, ""),
        };
        let mut response = Response::error(msg, code, reason);
        if code != 400 {
            let nonce = self.nonces.mint(elapsed, &five_tuple);
            if let (Ok(realm), Ok(nonce)) =
                (Realm::new(self.credentials.realm()), Nonce::new(&nonce))
            {
                response.add(&realm);
                response.add(&nonce);
            }
            if self.config.password_algorithms != [rtw_stun::key::PasswordAlgorithm::Md5] {
                let list: Vec<AlgorithmAttr<'static>> = self
                    .credentials
                    .algorithms()
                    .iter()
                    .map(|a| AlgorithmAttr {
                        algorithm: auth::code(*a),
                        params: &[],
                    })
                    .collect();
                if let Ok(list) = PasswordAlgorithms::new(&list) {
                    response.add(&list);
                }
            }
        }
        self.answer(five_tuple, response, None);
        None
    }

    /// The allocation of `five_tuple` for an authenticated request, or the
    /// refusal: 437 without one, 441 for another user's credentials
    /// (RFC 8656 §7.2 item 2, §8.2).
    pub(super) fn allocation_of(
        &self,
        five_tuple: FiveTuple,
        auth: &Authenticated,
    ) -> Result<u64, Refusal> {
        let id = *self
            .by_five_tuple
            .get(&five_tuple)
            .ok_or((437, "no allocation for this 5-tuple"))?;
        if self.allocations[&id].username != auth.username {
            return Err((441, "the allocation belongs to another username"));
        }
        Ok(id)
    }

    /// The lifetime to grant for a LIFETIME of `requested` (RFC 8656 §7.2
    /// item 7): the smaller of it and the maximum, but never below the
    /// default.
    fn grant(&self, requested: Option<Duration>) -> Duration {
        let requested = requested.map_or(self.config.default_lifetime, |r| {
            r.min(self.config.max_lifetime)
        });
        requested.max(self.config.default_lifetime)
    }

    /// Allocate (RFC 8656 §7.2).
    fn allocate(&mut self, now: Instant, five_tuple: FiveTuple, msg: &Message<'_>) {
        let Some(auth) = self.authenticate(now, five_tuple, msg) else {
            return;
        };
        if let Some(id) = self.by_five_tuple.get(&five_tuple) {
            let allocation = &self.allocations[id];
            if allocation.allocate.0 == msg.transaction_id() {
                let cached = allocation.allocate.1.clone();
                self.send_to_client(five_tuple, cached);
            } else {
                self.refuse(
                    five_tuple,
                    msg,
                    (437, "this 5-tuple already has an allocation"),
                    &auth,
                );
            }
            return;
        }
        if self.pending.values().any(|p| p.five_tuple == five_tuple) {
            // A retransmission while the relay is being opened: the
            // response follows when it is.
            return;
        }
        match self.check_allocate(now, five_tuple, msg, &auth) {
            Ok(request) => {
                *self.per_user.entry(auth.username.clone()).or_default() += 1;
                self.pending.insert(
                    request.id,
                    Pending {
                        five_tuple,
                        request: Bytes::copy_from_slice(msg.as_bytes()),
                        auth,
                        lifetime: self.grant(
                            msg.get::<Lifetime>()
                                .and_then(Result::ok)
                                .map(Lifetime::as_duration),
                        ),
                        protocol: request.protocol,
                        additional_family: request.additional_family.is_some(),
                    },
                );
                self.events.push_back(ServerEvent::OpenRelay(request));
            }
            Err(refusal) => self.refuse(five_tuple, msg, refusal, &auth),
        }
    }

    /// The checks of RFC 8656 §7.2 items 3 to 9 (and RFC 6062 §5.1), giving
    /// the relay to open.
    fn check_allocate(
        &mut self,
        now: Instant,
        five_tuple: FiveTuple,
        msg: &Message<'_>,
        auth: &Authenticated,
    ) -> Result<RelayRequest, Refusal> {
        let malformed = |_| (400, "malformed attribute");
        let transport = msg
            .get::<RequestedTransport>()
            .ok_or((400, "REQUESTED-TRANSPORT is required (RFC 8656 §7.2)"))?
            .map_err(malformed)?;
        let protocol = match transport.protocol {
            17 => RelayProtocol::Udp,
            6 if five_tuple.transport.is_reliable() => RelayProtocol::Tcp,
            6 => {
                return Err((
                    400,
                    "a TCP allocation needs a TCP or TLS connection (RFC 6062 §5.1)",
                ));
            }
            _ => return Err((442, "")),
        };
        let even_port = msg.get::<EvenPort>().transpose().map_err(malformed)?;
        let token = msg
            .get::<ReservationToken>()
            .transpose()
            .map_err(malformed)?;
        let family = msg
            .get::<RequestedAddressFamily>()
            .transpose()
            .map_err(malformed)?;
        let additional = msg
            .get::<AdditionalAddressFamily>()
            .transpose()
            .map_err(malformed)?;
        if token.is_some() && (even_port.is_some() || family.is_some() || additional.is_some()) {
            return Err((
                400,
                "RESERVATION-TOKEN goes with neither EVEN-PORT nor an address family (RFC 8656 §7.2)",
            ));
        }
        if family.is_some() && additional.is_some() {
            return Err((
                400,
                "REQUESTED-ADDRESS-FAMILY and ADDITIONAL-ADDRESS-FAMILY together (RFC 8656 §7.2)",
            ));
        }
        if protocol == RelayProtocol::Tcp
            && (even_port.is_some()
                || token.is_some()
                || msg.raw(AttributeType::DONT_FRAGMENT).is_some())
        {
            return Err((
                400,
                "EVEN-PORT, RESERVATION-TOKEN and DONT-FRAGMENT are for UDP allocations (RFC 6062 §5.1)",
            ));
        }
        let held = self.per_user.get(&auth.username).copied().unwrap_or(0);
        if held >= self.config.quotas.allocations_per_user {
            return Err((486, ""));
        }
        if self.allocations.len() + self.pending.len() >= self.config.quotas.allocations {
            return Err((508, ""));
        }
        let reserved = match token {
            Some(token) => {
                let id = self
                    .reservations
                    .iter()
                    .find(|(_, r)| r.token == token.0 && r.expires > now)
                    .map(|(id, _)| *id)
                    .ok_or((508, "no port is reserved for this RESERVATION-TOKEN"))?;
                Some(self.reservations.remove(&id).expect("found").address)
            }
            None => None,
        };
        let id = RelayId(self.next_id());
        Ok(RelayRequest {
            id,
            five_tuple,
            protocol,
            family: reserved
                .map(|r| AddressFamily::of(r.ip()))
                .or(family.map(|f| f.0))
                .unwrap_or(AddressFamily::V4),
            additional_family: additional.map(|a| a.family()),
            even_port: even_port.is_some(),
            reserve_next: even_port.is_some_and(|e| e.reserve),
            reserved,
            dont_fragment: msg.raw(AttributeType::DONT_FRAGMENT).is_some(),
        })
    }

    /// The relay of an Allocate is open (or could not be): create the
    /// allocation and answer (RFC 8656 §7.2 items 10 and on).
    pub(super) fn finish_allocate(
        &mut self,
        now: Instant,
        id: RelayId,
        result: Result<RelayAddresses, RelayError>,
    ) {
        let Some(pending) = self.pending.remove(&id) else {
            if let Ok(addresses) = result {
                for relayed in [
                    Some(addresses.relayed),
                    addresses.additional,
                    addresses.reserved,
                ]
                .into_iter()
                .flatten()
                {
                    self.events.push_back(ServerEvent::CloseRelay { relayed });
                }
            }
            return;
        };
        let Ok(msg) = Message::parse(&pending.request) else {
            return;
        };
        let addresses = match result {
            Ok(addresses) => addresses,
            Err(error) => {
                self.release_user(&pending.auth.username);
                let refusal = match error {
                    RelayError::FamilyNotSupported => (440, ""),
                    RelayError::InsufficientCapacity => (508, ""),
                };
                self.refuse(pending.five_tuple, &msg, refusal, &pending.auth);
                return;
            }
        };
        let mut response = Response::success(&msg);
        response.add(&XorRelayedAddress(addresses.relayed));
        if let Some(additional) = addresses.additional {
            response.add(&XorRelayedAddress(additional));
        } else if pending.additional_family {
            if let Ok(error) = ErrorCode::new(440, "Address Family not Supported") {
                response.add(&AddressErrorCode {
                    family: AddressFamily::V6,
                    error,
                });
            }
        }
        response.add(&Lifetime(pending.lifetime.as_secs() as u32));
        if let Some(address) = addresses.reserved {
            let mut token = [0u8; 8];
            self.random.fill_bytes(&mut token);
            let expires = now + self.config.reservation_lifetime;
            let rid = self.next_id();
            self.reservations.insert(
                rid,
                Reservation {
                    token,
                    address,
                    expires,
                },
            );
            self.timers
                .push(std::cmp::Reverse((expires, Timer::Reservation(rid))));
            response.add(&ReservationToken(token));
        }
        response.add(&XorMappedAddress(pending.five_tuple.client));
        let Some(bytes) = self.answer(pending.five_tuple, response, Some(&pending.auth)) else {
            return;
        };
        let aid = self.next_id();
        let expires = now + pending.lifetime;
        let allocation = Allocation {
            five_tuple: pending.five_tuple,
            protocol: pending.protocol,
            relayed: addresses.relayed,
            additional: addresses.additional,
            username: pending.auth.username.clone(),
            expires,
            scheduled: expires,
            permissions: Default::default(),
            channels: Default::default(),
            channel_of: Default::default(),
            allocate: (msg.transaction_id(), bytes),
            bucket: self
                .config
                .quotas
                .bandwidth
                .map(|rate| TokenBucket::new(now, rate, rate)),
        };
        self.by_five_tuple.insert(pending.five_tuple, aid);
        self.by_relayed.insert(addresses.relayed, aid);
        if let Some(additional) = addresses.additional {
            self.by_relayed.insert(additional, aid);
        }
        self.allocations.insert(aid, allocation);
        self.stats.allocations_created += 1;
        self.timers
            .push(std::cmp::Reverse((expires, Timer::Allocation(aid))));
        self.events.push_back(ServerEvent::AllocationCreated {
            five_tuple: pending.five_tuple,
            relayed: addresses.relayed,
            username: pending.auth.username,
            lifetime: pending.lifetime,
        });
    }

    /// Refresh (RFC 8656 §8.2); LIFETIME 0 deletes the allocation.
    fn refresh(&mut self, now: Instant, five_tuple: FiveTuple, msg: &Message<'_>) {
        let Some(auth) = self.authenticate(now, five_tuple, msg) else {
            return;
        };
        let id = match self.allocation_of(five_tuple, &auth) {
            Ok(id) => id,
            Err(refusal) => return self.refuse(five_tuple, msg, refusal, &auth),
        };
        if let Some(Ok(family)) = msg.get::<RequestedAddressFamily>() {
            let allocation = &self.allocations[&id];
            let matches = [Some(allocation.relayed), allocation.additional]
                .into_iter()
                .flatten()
                .any(|r| AddressFamily::of(r.ip()) == family.0);
            if !matches {
                return self.refuse(five_tuple, msg, (443, ""), &auth);
            }
        }
        let requested = msg.get::<Lifetime>().and_then(Result::ok);
        let lifetime = if requested == Some(Lifetime(0)) {
            self.delete_allocation(now, id, super::DeleteReason::Deallocated);
            Duration::ZERO
        } else {
            let lifetime = self.grant(requested.map(Lifetime::as_duration));
            let allocation = self.allocations.get_mut(&id).expect("found");
            allocation.expires = now + lifetime;
            lifetime
        };
        let mut response = Response::success(msg);
        response.add(&Lifetime(lifetime.as_secs() as u32));
        self.answer(five_tuple, response, Some(&auth));
    }

    /// Makes sure allocation `id` is looked at by `at`.
    pub(super) fn schedule(&mut self, id: u64, at: Instant) {
        if let Some(allocation) = self.allocations.get_mut(&id) {
            if at < allocation.scheduled {
                allocation.scheduled = at;
                self.timers
                    .push(std::cmp::Reverse((at, Timer::Allocation(id))));
            }
        }
    }
}

/// The transaction ID of an indication the server sends.
pub(super) fn indication_id(state: &mut rtw_core::SeededRandom) -> TransactionId {
    use rtw_core::Random;
    TransactionId(state.array())
}
