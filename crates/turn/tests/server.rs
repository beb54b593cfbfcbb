//! The TURN server against RFC 8656 and RFC 8489 §9.2, driven by hand in
//! virtual time: authentication, allocation lifetimes, permissions,
//! channels, relaying both ways, quotas and the peer policy.

mod server_support;

use std::net::SocketAddr;
use std::time::Duration;

use rtw_stun::attributes::{
    AddressFamily, ChannelNumber, Data, EvenPort, Lifetime, MessageIntegritySha256, Nonce,
    PasswordAlgorithm, Realm, RequestedAddressFamily, RequestedTransport, ReservationToken,
    SecurityFeatures, Userhash, XorMappedAddress, XorPeerAddress, XorRelayedAddress,
};
use rtw_stun::key::PasswordAlgorithm as KeyAlgorithm;
use rtw_stun::{AttributeType, Class, Message, MessageBuilder, MessageType, Method, TransactionId};
use rtw_turn::server::{
    DeleteReason, PeerPolicy, Quotas, ServerConfig, ServerEvent, rest_password,
};
use server_support::*;

const PEER: &str = "203.0.113.50:6000";

fn peer() -> SocketAddr {
    PEER.parse().unwrap()
}

#[test]
fn the_first_allocate_is_challenged_with_realm_nonce_and_the_algorithms() {
    let mut h = Harness::new(Harness::default_config());
    let client = udp("203.0.113.9:40000");
    let out = h.send(
        client,
        &plain(Method::ALLOCATE, TransactionId([1; 12]), udp_transport),
    );
    let reply = out.reply();
    assert_eq!(reply.class(), Class::ErrorResponse);
    assert_eq!(error_code(&reply), Some(401));
    assert_eq!(reply.get::<Realm>().unwrap().unwrap().as_str(), REALM);
    let nonce = reply.get::<Nonce>().unwrap().unwrap();
    let features = nonce
        .security_features()
        .expect("the nonce cookie (RFC 8489 §9.2)");
    assert!(features.contains(SecurityFeatures::PASSWORD_ALGORITHMS));
    assert!(features.contains(SecurityFeatures::USERNAME_ANONYMITY));
    assert_eq!(offered_algorithms(&reply), [1, 2]);
    // Nothing is kept for a client that has not authenticated.
    assert_eq!(h.server.stats().allocations, 0);
    assert!(h.server.poll_timeout().is_none());
}

#[test]
fn allocate_with_md5_gives_the_relayed_and_mapped_addresses_and_600_s() {
    let mut h = Harness::new(Harness::default_config());
    let client = udp("203.0.113.9:40000");
    let (_, relayed) = allocate(&mut h, client);
    assert_eq!(relayed, "198.51.100.1:50000".parse().unwrap());
    assert!(
        matches!(h.events.as_slice(), [ServerEvent::AllocationCreated { username, lifetime, .. }]
        if username == USER && *lifetime == Duration::from_secs(600))
    );
    assert_eq!(h.server.stats().allocations, 1);
}

#[test]
fn the_success_response_carries_lifetime_and_xor_mapped_address() {
    let mut h = Harness::new(Harness::default_config());
    let client = udp("203.0.113.9:40000");
    let mut creds = Creds::new(USER, PASS);
    challenge(&mut h, client, &mut creds);
    let out = h.send(client, &creds.request(Method::ALLOCATE, udp_transport));
    let reply = out.reply();
    assert_eq!(lifetime(&reply), 600);
    assert_eq!(
        reply.get::<XorMappedAddress>().unwrap().unwrap().0,
        client.client
    );
    assert!(reply.get::<XorRelayedAddress>().is_some());
    assert!(reply.verify_fingerprint().unwrap());
}

#[test]
fn sha256_is_negotiated_and_the_response_signed_with_it() {
    let mut h = Harness::new(Harness::default_config());
    let client = udp("203.0.113.9:40000");
    let mut creds = Creds::new(USER, PASS);
    challenge(&mut h, client, &mut creds);
    creds.algorithm = KeyAlgorithm::Sha256;
    let out = h.send(client, &creds.request(Method::ALLOCATE, udp_transport));
    let reply = out.reply();
    assert_eq!(error_code(&reply), None);
    assert!(has::<MessageIntegritySha256>(&reply));
    assert_eq!(
        reply.verify_integrity(&creds.key()).unwrap(),
        rtw_stun::IntegrityAlgorithm::HmacSha256
    );
}

#[test]
fn password_algorithm_rules_give_400() {
    let mut h = Harness::new(Harness::default_config());
    let client = udp("203.0.113.9:40000");
    let mut creds = Creds::new(USER, PASS);
    challenge(&mut h, client, &mut creds);
    creds.algorithm = KeyAlgorithm::Sha256;
    // A list that is not the one the server sent (a bid-down attempt).
    creds.offered = vec![0, 2, 0, 0];
    let out = h.send(client, &creds.request(Method::ALLOCATE, udp_transport));
    assert_eq!(error_code(&out.reply()), Some(400));
    // PASSWORD-ALGORITHM without PASSWORD-ALGORITHMS.
    let request = creds.hand_signed_allocate(|b| {
        b.add(&rtw_stun::attributes::Username::new(USER).unwrap())
            .unwrap();
        b.add(&PasswordAlgorithm::MD5).unwrap();
    });
    let out = h.send(client, &request);
    assert_eq!(error_code(&out.reply()), Some(400));
}

#[test]
fn missing_username_realm_or_nonce_is_400_and_a_wrong_password_401() {
    let mut h = Harness::new(Harness::default_config());
    let client = udp("203.0.113.9:40000");
    let mut creds = Creds::new(USER, PASS);
    challenge(&mut h, client, &mut creds);
    let request = creds.hand_signed_allocate(|_| {});
    assert_eq!(error_code(&h.send(client, &request).reply()), Some(400));

    let mut wrong = Creds::new(USER, "not-the-password");
    challenge(&mut h, client, &mut wrong);
    let reply = h.send(client, &wrong.request(Method::ALLOCATE, udp_transport));
    assert_eq!(error_code(&reply.reply()), Some(401));
    let mut stranger = Creds::new("mallory", PASS);
    challenge(&mut h, client, &mut stranger);
    let reply = h.send(client, &stranger.request(Method::ALLOCATE, udp_transport));
    assert_eq!(error_code(&reply.reply()), Some(401));
    assert_eq!(h.server.stats().allocations, 0);
}

#[test]
fn a_nonce_goes_stale_after_its_lifetime_and_is_bound_to_its_client() {
    let mut h = Harness::new(Harness::default_config().nonce_lifetime(Duration::from_secs(60)));
    let client = udp("203.0.113.9:40000");
    let mut creds = Creds::new(USER, PASS);
    challenge(&mut h, client, &mut creds);
    // Another client replaying this nonce gets 438.
    let other = udp("203.0.113.9:40001");
    let out = h.send(other, &creds.request(Method::ALLOCATE, udp_transport));
    assert_eq!(error_code(&out.reply()), Some(438));
    h.advance(Duration::from_secs(61));
    let out = h.send(client, &creds.request(Method::ALLOCATE, udp_transport));
    let reply = out.reply();
    assert_eq!(error_code(&reply), Some(438));
    let fresh = reply.get::<Nonce>().unwrap().unwrap().as_str().to_owned();
    assert_ne!(fresh, creds.nonce);
    creds.learn(&reply);
    let out = h.send(client, &creds.request(Method::ALLOCATE, udp_transport));
    assert_eq!(error_code(&out.reply()), None);
}

#[test]
fn userhash_authenticates_a_static_user() {
    let mut h = Harness::new(Harness::default_config());
    let client = udp("203.0.113.9:40000");
    let mut creds = Creds::new(USER, PASS);
    challenge(&mut h, client, &mut creds);
    let request = creds.hand_signed_allocate(|b| {
        b.add(&Userhash::compute(USER, REALM)).unwrap();
    });
    let out = h.send(client, &request);
    assert_eq!(error_code(&out.reply()), None);
}

#[test]
fn requested_transport_is_required_and_only_udp_over_udp() {
    let mut h = Harness::new(Harness::default_config());
    let client = udp("203.0.113.9:40000");
    let mut creds = Creds::new(USER, PASS);
    challenge(&mut h, client, &mut creds);
    let out = h.send(client, &creds.request(Method::ALLOCATE, |_| {}));
    assert_eq!(error_code(&out.reply()), Some(400));
    let out = h.send(
        client,
        &creds.request(Method::ALLOCATE, |b| {
            b.add(&RequestedTransport { protocol: 132 }).unwrap();
        }),
    );
    assert_eq!(error_code(&out.reply()), Some(442));
    let out = h.send(
        client,
        &creds.request(Method::ALLOCATE, |b| {
            b.add(&RequestedTransport::TCP).unwrap();
        }),
    );
    assert_eq!(
        error_code(&out.reply()),
        Some(400),
        "TCP allocations need a TCP control connection"
    );
}

#[test]
fn lifetimes_are_bounded_and_refresh_zero_deallocates() {
    let mut h = Harness::new(Harness::default_config());
    let client = udp("203.0.113.9:40000");
    let (mut creds, relayed) = allocate(&mut h, client);
    for (asked, granted) in [(10, 600), (1200, 1200), (100_000, 3600)] {
        let out = h.send(
            client,
            &creds.request(Method::REFRESH, |b| {
                b.add(&Lifetime(asked)).unwrap();
            }),
        );
        assert_eq!(lifetime(&out.reply()), granted, "asked {asked}");
    }
    let out = h.send(
        client,
        &creds.request(Method::REFRESH, |b| {
            b.add(&Lifetime(0)).unwrap();
        }),
    );
    assert_eq!(lifetime(&out.reply()), 0);
    assert_eq!(h.server.stats().allocations, 0);
    assert!(h.events.contains(&ServerEvent::CloseRelay { relayed }));
    assert!(h.events.iter().any(|e| matches!(
        e,
        ServerEvent::AllocationDeleted {
            reason: DeleteReason::Deallocated,
            ..
        }
    )));
    // The retransmitted deallocation finds nothing: 437.
    let out = h.send(
        client,
        &creds.request(Method::REFRESH, |b| {
            b.add(&Lifetime(0)).unwrap();
        }),
    );
    assert_eq!(error_code(&out.reply()), Some(437));
}

#[test]
fn an_allocation_expires_without_refresh() {
    let mut h = Harness::new(Harness::default_config());
    let client = udp("203.0.113.9:40000");
    let (_, relayed) = allocate(&mut h, client);
    let due = h.server.poll_timeout().expect("a timer");
    assert_eq!(due, h.now + Duration::from_secs(600));
    h.advance(Duration::from_secs(599));
    assert_eq!(h.server.stats().allocations, 1);
    h.advance(Duration::from_secs(1));
    assert_eq!(h.server.stats().allocations, 0);
    assert!(h.events.contains(&ServerEvent::CloseRelay { relayed }));
}

#[test]
fn a_retransmitted_allocate_gets_the_cached_response_and_another_437() {
    let mut h = Harness::new(Harness::default_config());
    let client = udp("203.0.113.9:40000");
    let mut creds = Creds::new(USER, PASS);
    challenge(&mut h, client, &mut creds);
    let tid = TransactionId([9; 12]);
    let request = creds.request_with_tid(Method::ALLOCATE, tid, udp_transport);
    let first = h.send(client, &request).to_client[0].1.clone();
    let again = h.send(client, &request).to_client[0].1.clone();
    assert_eq!(first, again);
    let out = h.send(client, &creds.request(Method::ALLOCATE, udp_transport));
    assert_eq!(error_code(&out.reply()), Some(437));
    assert_eq!(h.server.stats().allocations, 1);
}

#[test]
fn quotas_answer_486_per_user_and_508_in_total() {
    let config = Harness::default_config()
        .user("bob", "builder")
        .quotas(Quotas::default().allocations_per_user(2).allocations(3));
    let mut h = Harness::new(config);
    allocate(&mut h, udp("203.0.113.9:1"));
    allocate(&mut h, udp("203.0.113.9:2"));
    let client = udp("203.0.113.9:3");
    let mut creds = Creds::new(USER, PASS);
    challenge(&mut h, client, &mut creds);
    let out = h.send(client, &creds.request(Method::ALLOCATE, udp_transport));
    assert_eq!(error_code(&out.reply()), Some(486));
    let mut bob = Creds::new("bob", "builder");
    challenge(&mut h, client, &mut bob);
    assert_eq!(
        error_code(
            &h.send(client, &bob.request(Method::ALLOCATE, udp_transport))
                .reply()
        ),
        None
    );
    let client4 = udp("203.0.113.9:4");
    challenge(&mut h, client4, &mut bob);
    let out = h.send(client4, &bob.request(Method::ALLOCATE, udp_transport));
    assert_eq!(error_code(&out.reply()), Some(508));
}

#[test]
fn the_policy_refuses_loopback_unspecified_and_mapped_peers_with_403() {
    let mut h = Harness::new(Harness::default_config());
    let client = udp("203.0.113.9:40000");
    let (mut creds, _) = allocate(&mut h, client);
    for refused in [
        "0.0.0.0:9",
        "127.0.0.1:9",
        "[::ffff:127.0.0.1]:9",
        "[::1]:9",
        "10.0.0.1:9",
        "[::]:9",
    ] {
        assert_eq!(
            permission(&mut h, client, &mut creds, refused.parse().unwrap()),
            Some(403),
            "{refused}"
        );
    }
    assert_eq!(permission(&mut h, client, &mut creds, peer()), None);
    assert_eq!(
        permission(
            &mut h,
            client,
            &mut creds,
            "[2001:db8::7]:9".parse().unwrap()
        ),
        Some(443)
    );
}

#[test]
fn allow_loopback_lets_loopback_peers_through() {
    let config = Harness::default_config().peers(PeerPolicy::default().allow_loopback(true));
    let mut h = Harness::new(config);
    let client = udp("203.0.113.9:40000");
    let (mut creds, _) = allocate(&mut h, client);
    assert_eq!(
        permission(&mut h, client, &mut creds, "127.0.0.1:9".parse().unwrap()),
        None
    );
    assert_eq!(
        permission(&mut h, client, &mut creds, "0.0.0.0:9".parse().unwrap()),
        Some(403)
    );
}

fn send_indication(peer: SocketAddr, data: &[u8]) -> bytes::Bytes {
    let mut b = MessageBuilder::new(
        MessageType::new(Method::SEND, Class::Indication),
        TransactionId([5; 12]),
    );
    b.add(&XorPeerAddress(peer)).unwrap();
    b.add(&Data(data)).unwrap();
    b.finish().freeze()
}

#[test]
fn send_and_data_indications_need_a_permission_both_ways() {
    let mut h = Harness::new(Harness::default_config());
    let client = udp("203.0.113.9:40000");
    let (mut creds, relayed) = allocate(&mut h, client);
    // No permission: dropped both ways.
    assert!(
        h.send(client, &send_indication(peer(), b"hello"))
            .to_peer
            .is_empty()
    );
    assert!(h.peer_sends(relayed, peer(), b"back").to_client.is_empty());
    assert_eq!(h.server.stats().dropped_no_permission, 2);

    assert_eq!(permission(&mut h, client, &mut creds, peer()), None);
    let out = h.send(client, &send_indication(peer(), b"hello"));
    assert_eq!(
        out.to_peer,
        vec![(relayed, peer(), bytes::Bytes::from_static(b"hello"))]
    );
    // Any port of the permitted IP may answer (RFC 8656 §9).
    let other_port: SocketAddr = "203.0.113.50:7000".parse().unwrap();
    let out = h.peer_sends(relayed, other_port, b"back");
    let data = out.reply();
    assert_eq!(data.class(), Class::Indication);
    assert_eq!(data.method(), Method::DATA);
    assert_eq!(data.get::<XorPeerAddress>().unwrap().unwrap().0, other_port);
    assert_eq!(data.get::<Data>().unwrap().unwrap().0, b"back");
    // Another IP is still dropped.
    assert!(
        h.peer_sends(relayed, "203.0.113.51:6000".parse().unwrap(), b"x")
            .to_client
            .is_empty()
    );

    // The permission lasts 300 s.
    h.advance(Duration::from_secs(301));
    assert!(
        h.send(client, &send_indication(peer(), b"late"))
            .to_peer
            .is_empty()
    );
    assert_eq!(h.server.stats().permissions, 0);
}

fn channel_bind(
    h: &mut Harness,
    client: rtw_turn::server::FiveTuple,
    creds: &mut Creds,
    number: u16,
    peer: SocketAddr,
) -> Option<u16> {
    signed(h, client, creds, Method::CHANNEL_BIND, |b| {
        b.add(&ChannelNumber(number)).unwrap();
        b.add(&XorPeerAddress(peer)).unwrap();
    })
}

#[test]
fn channels_relay_both_ways_and_follow_the_binding_rules() {
    let mut h = Harness::new(Harness::default_config());
    let client = udp("203.0.113.9:40000");
    let (mut creds, relayed) = allocate(&mut h, client);
    assert_eq!(
        channel_bind(&mut h, client, &mut creds, 0x3FFF, peer()),
        Some(400)
    );
    assert_eq!(
        channel_bind(&mut h, client, &mut creds, 0x5000, peer()),
        Some(400)
    );
    assert_eq!(
        channel_bind(&mut h, client, &mut creds, 0x4000, peer()),
        None
    );
    // Refreshing the same binding is fine; rebinding either side is not.
    assert_eq!(
        channel_bind(&mut h, client, &mut creds, 0x4000, peer()),
        None
    );
    assert_eq!(
        channel_bind(&mut h, client, &mut creds, 0x4001, peer()),
        Some(400)
    );
    let other: SocketAddr = "203.0.113.51:6000".parse().unwrap();
    assert_eq!(
        channel_bind(&mut h, client, &mut creds, 0x4000, other),
        Some(400)
    );

    // ChannelBind installs the permission: ChannelData flows.
    let out = h.send(client, &[0x40, 0x00, 0x00, 0x03, b'a', b'b', b'c']);
    assert_eq!(
        out.to_peer,
        vec![(relayed, peer(), bytes::Bytes::from_static(b"abc"))]
    );
    let out = h.peer_sends(relayed, peer(), b"xyz");
    assert_eq!(
        out.to_client[0].1.as_ref(),
        &[0x40, 0x00, 0x00, 0x03, b'x', b'y', b'z']
    );
    // An unbound channel is dropped.
    assert!(
        h.send(client, &[0x40, 0x01, 0x00, 0x01, b'a'])
            .to_peer
            .is_empty()
    );

    // The channel expires at 600 s unless refreshed (and the permission at
    // 300), while the allocation is kept alive.
    h.advance(Duration::from_secs(500));
    let refreshed = signed(&mut h, client, &mut creds, Method::REFRESH, |_| {});
    assert_eq!(refreshed, None);
    h.advance(Duration::from_secs(101));
    assert!(
        h.send(client, &[0x40, 0x00, 0x00, 0x01, b'a'])
            .to_peer
            .is_empty()
    );
    // For 5 more minutes the number may only go back to the same peer.
    assert_eq!(
        channel_bind(&mut h, client, &mut creds, 0x4000, other),
        Some(400)
    );
    assert_eq!(
        channel_bind(&mut h, client, &mut creds, 0x4000, peer()),
        None
    );
}

#[test]
fn channel_data_on_tcp_is_padded_and_stream_input_may_split_anywhere() {
    let mut h = Harness::new(Harness::default_config());
    let client = tcp("203.0.113.9:40000");
    // The whole exchange, byte by byte.
    let mut creds = Creds::new(USER, PASS);
    let challenge = plain(Method::ALLOCATE, TransactionId([1; 12]), udp_transport);
    for byte in challenge.iter() {
        h.server
            .handle_client(h.now, client, std::slice::from_ref(byte));
    }
    let out = h.output();
    creds.learn(&out.reply());
    let request = creds.request(Method::ALLOCATE, udp_transport);
    let (a, b) = request.split_at(7);
    h.send(client, a);
    let out = h.send(client, b);
    let relayed = out.reply().get::<XorRelayedAddress>().unwrap().unwrap().0;
    assert_eq!(
        channel_bind(&mut h, client, &mut creds, 0x4000, peer()),
        None
    );
    // Client ChannelData over TCP carries padding (RFC 8656 §12.5).
    let out = h.send(
        client,
        &[
            0x40, 0x00, 0x00, 0x01, b'a', 0, 0, 0, 0x40, 0x00, 0x00, 0x02,
        ],
    );
    assert_eq!(out.to_peer.len(), 1);
    let out = h.send(client, b"bc\0\0");
    assert_eq!(out.to_peer[0].2.as_ref(), b"bc");
    let out = h.peer_sends(relayed, peer(), b"xyz");
    assert_eq!(
        out.to_client[0].1.as_ref(),
        &[0x40, 0x00, 0x00, 0x03, b'x', b'y', b'z', 0]
    );
    // Garbage closes the connection and deletes its allocation.
    h.send(client, &[0xFF; 8]);
    assert!(
        h.events
            .contains(&ServerEvent::CloseClient { five_tuple: client })
    );
    assert_eq!(h.server.stats().allocations, 0);
}

#[test]
fn closing_a_tcp_connection_deletes_its_allocation() {
    let mut h = Harness::new(Harness::default_config());
    let client = tcp("203.0.113.9:40000");
    let (_, relayed) = allocate(&mut h, client);
    h.server.handle_client_closed(h.now, client);
    h.drain_events();
    assert!(h.events.iter().any(|e| matches!(
        e,
        ServerEvent::AllocationDeleted {
            reason: DeleteReason::ConnectionClosed,
            ..
        }
    )));
    assert!(h.events.contains(&ServerEvent::CloseRelay { relayed }));
}

#[test]
fn rest_credentials_expire_on_every_request_not_only_at_allocation() {
    let secret = b"north-wind".to_vec();
    let mut h = Harness::new(ServerConfig::new(REALM).auth_secret(secret.clone()));
    let client = udp("203.0.113.9:40000");
    let username = "1000100:carol";
    let mut creds = Creds::new(username, &rest_password(&secret, username));
    challenge(&mut h, client, &mut creds);
    // Without the wall clock nothing can be checked: 401.
    assert_eq!(
        error_code(
            &h.send(client, &creds.request(Method::ALLOCATE, udp_transport))
                .reply()
        ),
        Some(401)
    );
    h.server
        .handle_wall_clock(h.now, Duration::from_secs(1_000_000));
    assert_eq!(
        error_code(
            &h.send(client, &creds.request(Method::ALLOCATE, udp_transport))
                .reply()
        ),
        None
    );
    // A wrong REST password is refused.
    let mut forged = Creds::new(
        "9999999999:carol",
        &rest_password(b"guess", "9999999999:carol"),
    );
    let other = udp("203.0.113.9:40001");
    challenge(&mut h, other, &mut forged);
    assert_eq!(
        error_code(
            &h.send(other, &forged.request(Method::ALLOCATE, udp_transport))
                .reply()
        ),
        Some(401)
    );
    // 100 s later the username has expired: the refresh is refused.
    h.advance(Duration::from_secs(100));
    let refresh = creds.request(Method::REFRESH, |b| {
        b.add(&Lifetime(600)).unwrap();
    });
    assert_eq!(error_code(&h.send(client, &refresh).reply()), Some(401));
}

#[test]
fn even_port_reserves_the_next_port_for_a_token() {
    let mut h = Harness::new(Harness::default_config());
    let client = udp("203.0.113.9:40000");
    let mut creds = Creds::new(USER, PASS);
    challenge(&mut h, client, &mut creds);
    let out = h.send(
        client,
        &creds.request(Method::ALLOCATE, |b| {
            b.add(&RequestedTransport::UDP).unwrap();
            b.add(&EvenPort { reserve: true }).unwrap();
        }),
    );
    let reply = out.reply();
    let relayed = reply.get::<XorRelayedAddress>().unwrap().unwrap().0;
    assert_eq!(relayed.port() % 2, 0);
    let token = reply.get::<ReservationToken>().expect("a token").unwrap();
    // A second client takes the reserved port with the token.
    let second = udp("203.0.113.9:40002");
    challenge(&mut h, second, &mut creds);
    let with_token = creds.request(Method::ALLOCATE, |b| {
        b.add(&RequestedTransport::UDP).unwrap();
        b.add(&token).unwrap();
    });
    let out = h.send(second, &with_token);
    let next = out.reply().get::<XorRelayedAddress>().unwrap().unwrap().0;
    assert_eq!(next.port(), relayed.port() + 1);
    // A token with EVEN-PORT is a 400; an unknown token 508.
    let third = udp("203.0.113.9:40003");
    challenge(&mut h, third, &mut creds);
    let out = h.send(
        third,
        &creds.request(Method::ALLOCATE, |b| {
            b.add(&RequestedTransport::UDP).unwrap();
            b.add(&token).unwrap();
            b.add(&EvenPort { reserve: false }).unwrap();
        }),
    );
    assert_eq!(error_code(&out.reply()), Some(400));
    let out = h.send(
        third,
        &creds.request(Method::ALLOCATE, |b| {
            b.add(&RequestedTransport::UDP).unwrap();
            b.add(&ReservationToken([7; 8])).unwrap();
        }),
    );
    assert_eq!(error_code(&out.reply()), Some(508));
}

#[test]
fn a_reservation_is_released_after_30_s() {
    let mut h = Harness::new(Harness::default_config());
    let client = udp("203.0.113.9:40000");
    let mut creds = Creds::new(USER, PASS);
    challenge(&mut h, client, &mut creds);
    let out = h.send(
        client,
        &creds.request(Method::ALLOCATE, |b| {
            b.add(&RequestedTransport::UDP).unwrap();
            b.add(&EvenPort { reserve: true }).unwrap();
        }),
    );
    let relayed = out.reply().get::<XorRelayedAddress>().unwrap().unwrap().0;
    let reserved = SocketAddr::new(relayed.ip(), relayed.port() + 1);
    h.advance(Duration::from_secs(31));
    assert!(
        h.events
            .contains(&ServerEvent::CloseRelay { relayed: reserved })
    );
}

#[test]
fn address_families_are_checked() {
    let mut h = Harness::new(Harness::default_config());
    let client = udp("203.0.113.9:40000");
    let mut creds = Creds::new(USER, PASS);
    challenge(&mut h, client, &mut creds);
    let out = h.send(
        client,
        &creds.request(Method::ALLOCATE, |b| {
            b.add(&RequestedTransport::UDP).unwrap();
            b.add(&RequestedAddressFamily(AddressFamily::V4)).unwrap();
            b.add(&rtw_stun::attributes::AdditionalAddressFamily)
                .unwrap();
        }),
    );
    assert_eq!(error_code(&out.reply()), Some(400));
    // Dual stack: two relayed addresses.
    let out = h.send(
        client,
        &creds.request(Method::ALLOCATE, |b| {
            b.add(&RequestedTransport::UDP).unwrap();
            b.add(&rtw_stun::attributes::AdditionalAddressFamily)
                .unwrap();
        }),
    );
    let reply = out.reply();
    let relayed: Vec<SocketAddr> = reply
        .attributes()
        .filter(|a| a.typ == AttributeType::XOR_RELAYED_ADDRESS)
        .map(|a| {
            a.decode::<XorRelayedAddress>(&reply.transaction_id())
                .unwrap()
                .0
        })
        .collect();
    assert_eq!(relayed.len(), 2);
    assert!(relayed[0].is_ipv4() && relayed[1].is_ipv6());
    // Refresh asking for a family the allocation lacks... it has both now.
    let out = h.send(
        client,
        &creds.request(Method::REFRESH, |b| {
            b.add(&RequestedAddressFamily(AddressFamily::V6)).unwrap();
        }),
    );
    assert_eq!(error_code(&out.reply()), None);
}

#[test]
fn unknown_comprehension_required_attributes_get_420() {
    let mut h = Harness::new(Harness::default_config());
    let client = udp("203.0.113.9:40000");
    let out = h.send(
        client,
        &plain(Method::ALLOCATE, TransactionId([1; 12]), |b| {
            b.add(&RequestedTransport::UDP).unwrap();
            b.add_raw(AttributeType(0x0031), &[0; 4]).unwrap();
        }),
    );
    let reply = out.reply();
    assert_eq!(error_code(&reply), Some(420));
    let unknown = reply
        .get::<rtw_stun::attributes::UnknownAttributes>()
        .unwrap()
        .unwrap();
    assert!(unknown.contains(AttributeType(0x0031)));
}

#[test]
fn the_bandwidth_cap_drops_what_exceeds_it() {
    let config = Harness::default_config().quotas(Quotas::default().bandwidth(Some(1000)));
    let mut h = Harness::new(config);
    let client = udp("203.0.113.9:40000");
    let (mut creds, _) = allocate(&mut h, client);
    assert_eq!(permission(&mut h, client, &mut creds, peer()), None);
    let payload = [0u8; 400];
    let sent: usize = (0..5)
        .map(|_| {
            h.send(client, &send_indication(peer(), &payload))
                .to_peer
                .len()
        })
        .sum();
    assert_eq!(sent, 2);
    assert_eq!(h.server.stats().dropped_bandwidth, 3);
    h.advance(Duration::from_secs(1));
    assert_eq!(
        h.send(client, &send_indication(peer(), &payload))
            .to_peer
            .len(),
        1
    );
}

#[test]
fn the_servers_own_address_is_reachable_only_at_its_relays() {
    let config = Harness::default_config()
        .peers(PeerPolicy::default().server_addresses(vec!["198.51.100.1".parse().unwrap()]));
    let mut h = Harness::new(config);
    let a = udp("203.0.113.9:40000");
    let b = udp("203.0.113.10:40000");
    let (mut creds_a, relayed_a) = allocate(&mut h, a);
    let (_, relayed_b) = allocate(&mut h, b);
    assert_eq!(permission(&mut h, a, &mut creds_a, relayed_b), None);
    // Relay to relay: fine.
    let out = h.send(a, &send_indication(relayed_b, b"hop"));
    assert_eq!(
        out.to_peer,
        vec![(relayed_a, relayed_b, bytes::Bytes::from_static(b"hop"))]
    );
    // Another port of the server's address (its listener, say): dropped.
    let listener: SocketAddr = "198.51.100.1:3478".parse().unwrap();
    assert!(
        h.send(a, &send_indication(listener, b"x"))
            .to_peer
            .is_empty()
    );
    assert_eq!(h.server.stats().dropped_forbidden_peer, 1);
}

#[test]
fn binding_requests_are_answered_without_credentials() {
    let mut h = Harness::new(Harness::default_config());
    let client = udp("203.0.113.9:40000");
    let out = h.send(
        client,
        &plain(Method::BINDING, TransactionId([1; 12]), |_| {}),
    );
    let reply = out.reply();
    assert_eq!(reply.class(), Class::SuccessResponse);
    assert_eq!(
        reply.get::<XorMappedAddress>().unwrap().unwrap().0,
        client.client
    );
}

#[test]
fn garbage_datagrams_are_dropped_silently() {
    let mut h = Harness::new(Harness::default_config());
    let client = udp("203.0.113.9:40000");
    for junk in [
        &[][..],
        &[0],
        &[0xFF; 40],
        &[0x00, 0x01, 0x00, 0x00],
        &[0x40, 0x00, 0xFF, 0xFF, 1],
    ] {
        let out = h.send(client, junk);
        assert!(out.to_client.is_empty() && out.to_peer.is_empty());
    }
    let _ = Message::parse(&[]);
}

#[test]
fn invalid_configurations_are_refused() {
    use rtw_turn::server::Server;
    let random = || Box::new(rtw_turn::SeededRandom::new(1));
    assert!(Server::new(ServerConfig::new(""), random()).is_err());
    assert!(Server::new(ServerConfig::new(REALM), random()).is_err());
    assert!(
        Server::new(
            Harness::default_config().password_algorithms(vec![]),
            random()
        )
        .is_err()
    );
    assert!(
        Server::new(
            Harness::default_config().max_lifetime(Duration::from_secs(60)),
            random()
        )
        .is_err()
    );
}

/// A TCP allocation (RFC 6062 §5.1) on the TCP control connection `client`.
fn tcp_allocation(h: &mut Harness, client: rtw_turn::server::FiveTuple) -> (Creds, SocketAddr) {
    let mut creds = Creds::new(USER, PASS);
    challenge(h, client, &mut creds);
    let out = h.send(
        client,
        &creds.request(Method::ALLOCATE, |b| {
            b.add(&RequestedTransport::TCP).unwrap();
        }),
    );
    let reply = out.reply();
    assert_eq!(error_code(&reply), None, "{reply:?}");
    (creds, reply.get::<XorRelayedAddress>().unwrap().unwrap().0)
}

#[test]
fn rfc6062_connect_then_connection_bind_splices_the_data_connection() {
    use rtw_stun::attributes::ConnectionId as ConnectionIdAttr;
    let mut h = Harness::new(Harness::default_config());
    let control = tcp("203.0.113.9:40000");
    let (mut creds, relayed) = tcp_allocation(&mut h, control);
    let connect = |creds: &mut Creds| {
        creds.request(Method::CONNECT, |b| {
            b.add(&XorPeerAddress(peer())).unwrap();
        })
    };
    let out = h.send(control, &connect(&mut creds));
    assert!(out.to_client.is_empty(), "answered when the driver reports");
    let Some(ServerEvent::ConnectPeer {
        connection,
        relayed: from,
        peer: to,
    }) = h.events.pop()
    else {
        panic!("no ConnectPeer: {:?}", h.events)
    };
    assert_eq!((from, to), (relayed, peer()));
    // A second Connect to the same peer: 446.
    let out = h.send(control, &connect(&mut creds));
    assert_eq!(error_code(&out.reply()), Some(446));
    h.server.handle_peer_connect(h.now, connection, true);
    let out = h.output();
    let reply = out.reply();
    assert_eq!(error_code(&reply), None);
    let id = reply.get::<ConnectionIdAttr>().unwrap().unwrap();
    assert_eq!(id.0, connection.0);

    // The data connection binds with its own credentials exchange.
    let data = tcp("203.0.113.9:40001");
    challenge(&mut h, data, &mut creds);
    let bind = creds.request(Method::CONNECTION_BIND, |b| {
        b.add(&id).unwrap();
    });
    let out = h.send(data, &bind);
    assert_eq!(error_code(&out.reply()), None);
    h.drain_events();
    assert!(h.events.iter().any(|e| matches!(e,
        ServerEvent::Splice { connection: c, client, .. } if *c == connection && *client == data)));
    // The same ID cannot be bound twice.
    let again = tcp("203.0.113.9:40002");
    challenge(&mut h, again, &mut creds);
    let out = h.send(
        again,
        &creds.request(Method::CONNECTION_BIND, |b| {
            b.add(&id).unwrap();
        }),
    );
    assert_eq!(error_code(&out.reply()), Some(400));
}

#[test]
fn rfc6062_a_failed_connect_is_447_and_incoming_peers_need_a_permission() {
    let mut h = Harness::new(Harness::default_config());
    let control = tcp("203.0.113.9:40000");
    let (mut creds, relayed) = tcp_allocation(&mut h, control);
    h.send(
        control,
        &creds.request(Method::CONNECT, |b| {
            b.add(&XorPeerAddress(peer())).unwrap();
        }),
    );
    let Some(ServerEvent::ConnectPeer { connection, .. }) = h.events.pop() else {
        panic!("no ConnectPeer")
    };
    h.server.handle_peer_connect(h.now, connection, false);
    assert_eq!(error_code(&h.output().reply()), Some(447));

    // No permission: the incoming connection is refused.
    let incoming: SocketAddr = "203.0.113.60:5555".parse().unwrap();
    assert_eq!(
        h.server.handle_peer_connection(h.now, relayed, incoming),
        None
    );
    assert_eq!(permission(&mut h, control, &mut creds, incoming), None);
    let id = h
        .server
        .handle_peer_connection(h.now, relayed, incoming)
        .expect("accepted");
    let attempt = h.output();
    let attempt = attempt.reply();
    assert_eq!(attempt.method(), Method::CONNECTION_ATTEMPT);
    assert_eq!(
        attempt.get::<XorPeerAddress>().unwrap().unwrap().0,
        incoming
    );
    // Never bound: closed after 30 s.
    h.advance(Duration::from_secs(31));
    assert!(
        h.events
            .contains(&ServerEvent::ClosePeerConnection { connection: id })
    );
    // Connect over UDP, or on a UDP allocation, is refused.
    let udp_client = udp("203.0.113.9:40009");
    let (mut udp_creds, _) = allocate(&mut h, udp_client);
    let out = h.send(
        udp_client,
        &udp_creds.request(Method::CONNECT, |b| {
            b.add(&XorPeerAddress(peer())).unwrap();
        }),
    );
    assert_eq!(error_code(&out.reply()), Some(400));
}

#[test]
fn rfc5766_channel_numbers_only_when_configured() {
    let mut h = Harness::new(Harness::default_config());
    let client = udp("203.0.113.9:40000");
    let (mut creds, _) = allocate(&mut h, client);
    assert_eq!(
        channel_bind(&mut h, client, &mut creds, 0x6abc, peer()),
        Some(400)
    );

    let mut h = Harness::new(Harness::default_config().rfc5766_channels(true));
    for client in [udp("203.0.113.9:40000"), tcp("203.0.113.9:40001")] {
        let (mut creds, relayed) = allocate(&mut h, client);
        assert_eq!(
            channel_bind(&mut h, client, &mut creds, 0x6abc, peer()),
            None
        );
        assert_eq!(
            channel_bind(&mut h, client, &mut creds, 0x8000, peer()),
            Some(400)
        );
        let out = h.send(client, &[0x6a, 0xbc, 0x00, 0x02, b'h', b'i', 0, 0]);
        assert_eq!(out.to_peer.len(), 1);
        assert_eq!(out.to_peer[0].2.as_ref(), b"hi");
        let out = h.peer_sends(relayed, peer(), b"yo");
        assert_eq!(&out.to_client[0].1[..4], &[0x6a, 0xbc, 0x00, 0x02]);
    }
}
