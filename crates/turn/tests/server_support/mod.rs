//! A hand-driven TURN client for the server's tests: it builds requests
//! with the credentials of RFC 8489 §9.2 and reads the server's answers,
//! without the crate's own client, so the server is checked against the
//! RFC and not against our reading of it twice.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtw_stun::attributes::{
    ErrorCode, Lifetime, Nonce, PasswordAlgorithm, PasswordAlgorithms, Realm, RequestedTransport,
    Username, XorPeerAddress, XorRelayedAddress,
};
use rtw_stun::key::{self, long_term_key};
use rtw_stun::{
    Attribute, Class, Message, MessageBuilder, MessageType, Method, TransactionId, Transport,
};
use rtw_turn::SeededRandom;
use rtw_turn::server::{
    FiveTuple, RelayAddresses, RelayRequest, Server, ServerConfig, ServerEvent, ServerTransmit,
};

pub(crate) const REALM: &str = "rtw.test";
pub(crate) const USER: &str = "alice";
pub(crate) const PASS: &str = "wonderland";

/// The server under test with its clock and the relays it asked for.
pub(crate) struct Harness {
    pub(crate) server: Server,
    pub(crate) now: Instant,
    pub(crate) next_port: u16,
    pub(crate) relay_ip: std::net::IpAddr,
    /// Events the harness did not handle itself (relays are opened).
    pub(crate) events: Vec<ServerEvent>,
}

impl Harness {
    pub(crate) fn new(config: ServerConfig) -> Self {
        let server = Server::new(config, Box::new(SeededRandom::new(1))).expect("valid config");
        Harness {
            server,
            now: Instant::now(),
            next_port: 50000,
            relay_ip: "198.51.100.1".parse().unwrap(),
            events: Vec::new(),
        }
    }

    pub(crate) fn default_config() -> ServerConfig {
        ServerConfig::new(REALM).user(USER, PASS)
    }

    pub(crate) fn advance(&mut self, by: Duration) {
        self.now += by;
        self.server.handle_timeout(self.now);
        self.drain_events();
    }

    /// Opens every relay asked for, at consecutive even ports.
    pub(crate) fn drain_events(&mut self) {
        while let Some(event) = self.server.poll_event() {
            match event {
                ServerEvent::OpenRelay(request) => self.open(request),
                other => self.events.push(other),
            }
        }
    }

    fn open(&mut self, request: RelayRequest) {
        let relayed = request
            .reserved
            .unwrap_or_else(|| SocketAddr::new(self.relay_ip, self.take_port()));
        let reserved = request
            .reserve_next
            .then(|| SocketAddr::new(self.relay_ip, relayed.port() + 1));
        let additional = request
            .additional_family
            .map(|_| SocketAddr::new("2001:db8::1".parse().unwrap(), self.take_port()));
        self.server.handle_relay(
            self.now,
            request.id,
            Ok(RelayAddresses {
                relayed,
                additional,
                reserved,
            }),
        );
    }

    fn take_port(&mut self) -> u16 {
        let port = self.next_port;
        self.next_port += 2;
        port
    }

    /// Sends `bytes` from `five_tuple` and returns what the server sent
    /// back to that client, and to peers.
    pub(crate) fn send(&mut self, five_tuple: FiveTuple, bytes: &[u8]) -> Output {
        self.server.handle_client(self.now, five_tuple, bytes);
        self.drain_events();
        self.output()
    }

    pub(crate) fn peer_sends(
        &mut self,
        relayed: SocketAddr,
        peer: SocketAddr,
        bytes: &[u8],
    ) -> Output {
        self.server.handle_peer(self.now, relayed, peer, bytes);
        self.drain_events();
        self.output()
    }

    pub(crate) fn output(&mut self) -> Output {
        let mut out = Output::default();
        while let Some(t) = self.server.poll_transmit() {
            match t {
                ServerTransmit::Client {
                    five_tuple,
                    contents,
                } => out.to_client.push((five_tuple, contents)),
                ServerTransmit::Peer(t) => {
                    out.to_peer
                        .push((t.source.unwrap(), t.destination, t.contents))
                }
            }
        }
        out
    }
}

/// What one input made the server send.
#[derive(Debug, Default)]
pub(crate) struct Output {
    pub(crate) to_client: Vec<(FiveTuple, Bytes)>,
    /// (relayed source, peer, payload)
    pub(crate) to_peer: Vec<(SocketAddr, SocketAddr, Bytes)>,
}

impl Output {
    /// The one message sent to the client.
    pub(crate) fn reply(&self) -> Message<'_> {
        assert_eq!(
            self.to_client.len(),
            1,
            "expected one message to the client: {self:?}"
        );
        Message::parse(&self.to_client[0].1).expect("a STUN message")
    }
}

pub(crate) fn udp(client: &str) -> FiveTuple {
    FiveTuple::new(
        Transport::Udp,
        client.parse().unwrap(),
        "192.0.2.1:3478".parse().unwrap(),
    )
}

pub(crate) fn tcp(client: &str) -> FiveTuple {
    FiveTuple::new(
        Transport::Tcp,
        client.parse().unwrap(),
        "192.0.2.1:3478".parse().unwrap(),
    )
}

/// The error code of a response, or `None` for a success.
pub(crate) fn error_code(msg: &Message<'_>) -> Option<u16> {
    msg.get::<ErrorCode>().map(|e| e.unwrap().code())
}

/// A client's credentials and the nonce it last got.
pub(crate) struct Creds {
    pub(crate) username: String,
    pub(crate) password: String,
    pub(crate) realm: String,
    pub(crate) nonce: String,
    pub(crate) algorithm: key::PasswordAlgorithm,
    /// PASSWORD-ALGORITHMS as the server sent it, echoed when SHA-256 is used.
    pub(crate) offered: Vec<u8>,
    pub(crate) counter: u8,
}

impl Creds {
    pub(crate) fn new(username: &str, password: &str) -> Self {
        Creds {
            username: username.to_owned(),
            password: password.to_owned(),
            realm: REALM.to_owned(),
            nonce: String::new(),
            algorithm: key::PasswordAlgorithm::Md5,
            offered: Vec::new(),
            counter: 0,
        }
    }

    pub(crate) fn key(&self) -> Vec<u8> {
        long_term_key(&self.username, &self.realm, &self.password, self.algorithm).unwrap()
    }

    pub(crate) fn tid(&mut self) -> TransactionId {
        self.counter += 1;
        TransactionId([self.counter; 12])
    }

    /// Learns REALM, NONCE and PASSWORD-ALGORITHMS from a 401 or 438.
    pub(crate) fn learn(&mut self, msg: &Message<'_>) {
        self.nonce = msg.get::<Nonce>().unwrap().unwrap().as_str().to_owned();
        self.realm = msg.get::<Realm>().unwrap().unwrap().as_str().to_owned();
        if let Some(raw) = msg.raw(rtw_stun::AttributeType::PASSWORD_ALGORITHMS) {
            self.offered = raw.value.to_vec();
        }
    }

    /// An Allocate signed by hand with the MD5 key: REQUESTED-TRANSPORT,
    /// what `identity` adds (USERNAME, USERHASH, a lone
    /// PASSWORD-ALGORITHM, or nothing), REALM, NONCE, MESSAGE-INTEGRITY;
    /// for the requests that break one rule of RFC 8489 §9.2.4.
    pub(crate) fn hand_signed_allocate(
        &mut self,
        identity: impl FnOnce(&mut MessageBuilder),
    ) -> Bytes {
        let tid = self.tid();
        let mut b = MessageBuilder::new(MessageType::new(Method::ALLOCATE, Class::Request), tid);
        b.add(&RequestedTransport::UDP).unwrap();
        identity(&mut b);
        b.add(&Realm::new(REALM).unwrap()).unwrap();
        b.add(&Nonce::new(&self.nonce).unwrap()).unwrap();
        self.algorithm = key::PasswordAlgorithm::Md5;
        b.add_message_integrity(&self.key()).unwrap();
        b.finish().freeze()
    }

    /// A request of `method` with `attrs` added by the closure, signed.
    pub(crate) fn request(
        &mut self,
        method: Method,
        attrs: impl FnOnce(&mut MessageBuilder),
    ) -> Bytes {
        let tid = self.tid();
        self.request_with_tid(method, tid, attrs)
    }

    pub(crate) fn request_with_tid(
        &mut self,
        method: Method,
        tid: TransactionId,
        attrs: impl FnOnce(&mut MessageBuilder),
    ) -> Bytes {
        let mut b = MessageBuilder::new(MessageType::new(method, Class::Request), tid);
        attrs(&mut b);
        b.add(&Username::new(&self.username).unwrap()).unwrap();
        b.add(&Realm::new(&self.realm).unwrap()).unwrap();
        b.add(&Nonce::new(&self.nonce).unwrap()).unwrap();
        let key = self.key();
        if self.algorithm == key::PasswordAlgorithm::Sha256 {
            b.add(&PasswordAlgorithm::SHA256).unwrap();
            b.add_raw(rtw_stun::AttributeType::PASSWORD_ALGORITHMS, &self.offered)
                .unwrap();
            b.add_message_integrity_sha256(&key, 32).unwrap();
        } else {
            b.add_message_integrity(&key).unwrap();
        }
        b.add_fingerprint().unwrap();
        b.finish().freeze()
    }
}

/// An unsigned request of `method`.
pub(crate) fn plain(
    method: Method,
    tid: TransactionId,
    attrs: impl FnOnce(&mut MessageBuilder),
) -> Bytes {
    let mut b = MessageBuilder::new(MessageType::new(method, Class::Request), tid);
    attrs(&mut b);
    b.finish().freeze()
}

pub(crate) fn udp_transport(b: &mut MessageBuilder) {
    b.add(&RequestedTransport::UDP).unwrap();
}

/// The unsigned Allocate every exchange starts with: `creds` learns
/// REALM, NONCE and the algorithms from the 401.
pub(crate) fn challenge(h: &mut Harness, five_tuple: FiveTuple, creds: &mut Creds) {
    let out = h.send(
        five_tuple,
        &plain(Method::ALLOCATE, TransactionId([0xAA; 12]), udp_transport),
    );
    assert_eq!(error_code(&out.reply()), Some(401));
    creds.learn(&out.reply());
}

/// Allocates for `five_tuple` with the default user: the 401 exchange,
/// then the success. Returns the credentials and the relayed address.
pub(crate) fn allocate(h: &mut Harness, five_tuple: FiveTuple) -> (Creds, SocketAddr) {
    let mut creds = Creds::new(USER, PASS);
    let challenge = h.send(
        five_tuple,
        &plain(Method::ALLOCATE, TransactionId([0xAA; 12]), udp_transport),
    );
    assert_eq!(error_code(&challenge.reply()), Some(401));
    creds.learn(&challenge.reply());
    let request = creds.request(Method::ALLOCATE, udp_transport);
    let out = h.send(five_tuple, &request);
    let reply = out.reply();
    assert_eq!(error_code(&reply), None, "allocate failed: {reply:?}");
    reply.verify_integrity(&creds.key()).unwrap();
    let relayed = reply.get::<XorRelayedAddress>().unwrap().unwrap().0;
    (creds, relayed)
}

pub(crate) fn permission(
    h: &mut Harness,
    five_tuple: FiveTuple,
    creds: &mut Creds,
    peer: SocketAddr,
) -> Option<u16> {
    signed(h, five_tuple, creds, Method::CREATE_PERMISSION, |b| {
        b.add(&XorPeerAddress(peer)).unwrap();
    })
}

/// Sends a signed request, once more with the new nonce after a 438
/// (RFC 8489 §9.2.5); returns the final error code.
pub(crate) fn signed(
    h: &mut Harness,
    five_tuple: FiveTuple,
    creds: &mut Creds,
    method: Method,
    attrs: impl Fn(&mut MessageBuilder),
) -> Option<u16> {
    let out = h.send(five_tuple, &creds.request(method, &attrs));
    let code = error_code(&out.reply());
    if code != Some(438) {
        return code;
    }
    creds.learn(&out.reply());
    error_code(&h.send(five_tuple, &creds.request(method, &attrs)).reply())
}

pub(crate) fn lifetime(msg: &Message<'_>) -> u32 {
    msg.get::<Lifetime>().unwrap().unwrap().0
}

/// The offered list as the client reads it.
pub(crate) fn offered_algorithms(msg: &Message<'_>) -> Vec<u16> {
    msg.get::<PasswordAlgorithms>()
        .map(|l| l.unwrap().iter().map(|a| a.algorithm).collect())
        .unwrap_or_default()
}

/// `A::TYPE`, for asserting presence.
pub(crate) fn has<'a, A: Attribute<'a>>(msg: &Message<'a>) -> bool {
    msg.raw(A::TYPE).is_some()
}
