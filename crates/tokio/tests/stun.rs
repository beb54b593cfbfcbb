//! `rtw_tokio::stun` over loopback UDP: our Binding client against our
//! server, retransmissions against a lossy and a silent server, error
//! responses, and responses that must be ignored (RFC 8489 §6.2.1, §6.3).
#![cfg(feature = "stun")]

use std::net::SocketAddr;
use std::time::Duration;

use rtw_stun::attributes::XorMappedAddress;
use rtw_stun::{
    AttributeType, BindingServer, BindingServerConfig, Class, Message, MessageBuilder, MessageType,
    Method, TransactionId,
};
use rtw_tokio::stun::{
    Error, Server, TransactionConfig, binding, binding_to, binding_with, random_transaction_id,
    transaction,
};
use tokio::net::UdpSocket;
use tokio::time::timeout;

/// Upper bound for any one step of a test that runs in real time.
const STEP: Duration = Duration::from_secs(10);

/// Retransmissions fast enough for tests in real time: 7 requests over
/// about 1.3 s, then failure at 1.6 s.
fn fast() -> TransactionConfig {
    TransactionConfig::default().rto(Duration::from_millis(20))
}

async fn server_on(addr: &str) -> (SocketAddr, tokio::task::JoinHandle<std::io::Result<()>>) {
    let server = Server::bind(addr).await.unwrap();
    let at = server.local_addr().unwrap();
    (at, server.spawn())
}

fn request(method: Method, tid: TransactionId) -> MessageBuilder {
    MessageBuilder::new(MessageType::new(method, Class::Request), tid)
}

#[tokio::test]
async fn binding_returns_the_address_the_server_saw_ipv4() {
    let (server, task) = server_on("127.0.0.1:0").await;
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for _ in 0..3 {
        let mapped = timeout(STEP, binding(&socket, server))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(mapped, socket.local_addr().unwrap());
    }
    let (mapped, local) = timeout(STEP, binding_to(server, fast()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mapped.port(), local.port());
    assert_eq!(
        mapped.ip(),
        "127.0.0.1".parse::<std::net::IpAddr>().unwrap()
    );
    task.abort();
}

#[tokio::test]
async fn binding_returns_the_address_the_server_saw_ipv6() {
    // Machines without IPv6 on loopback cannot run this one; say so.
    let Ok(server) = Server::bind("[::1]:0").await else {
        eprintln!("no IPv6 loopback here: skipping the IPv6 case");
        return;
    };
    let at = server.local_addr().unwrap();
    let task = server.spawn();
    let socket = UdpSocket::bind("[::1]:0").await.unwrap();
    let mapped = timeout(STEP, binding(&socket, at)).await.unwrap().unwrap();
    assert_eq!(mapped, socket.local_addr().unwrap());
    task.abort();
}

/// A server that drops the first `drop` requests it gets and answers the
/// rest with a [`BindingServer`]; returns how many requests it saw.
async fn lossy_server(socket: UdpSocket, drop: usize, answer: usize) -> usize {
    let responder = BindingServer::with_config(BindingServerConfig::default()).unwrap();
    let mut buf = vec![0u8; 2048];
    let mut seen = 0;
    while seen < drop + answer {
        let (n, from) = socket.recv_from(&mut buf).await.unwrap();
        seen += 1;
        if seen > drop {
            let reply = responder.handle(&buf[..n], from).unwrap();
            socket.send_to(&reply, from).await.unwrap();
        }
    }
    seen
}

#[tokio::test]
async fn lost_requests_are_retransmitted() {
    let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let at = server.local_addr().unwrap();
    let lossy = tokio::spawn(lossy_server(server, 3, 1));
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mapped = timeout(STEP, binding_with(&socket, at, fast()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mapped, socket.local_addr().unwrap());
    assert_eq!(timeout(STEP, lossy).await.unwrap().unwrap(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_silent_server_times_out_after_rc_requests_and_rm_rto() {
    let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let started = tokio::time::Instant::now();
    let err = binding(&socket, silent.local_addr().unwrap())
        .await
        .unwrap_err();
    // RFC 8489 §6.2.1: 7 requests, failure at 39.5 s (tokio's paused time).
    match err {
        Error::Timeout { requests, elapsed } => {
            assert_eq!(requests, 7);
            assert_eq!(elapsed, Duration::from_millis(39_500));
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert_eq!(started.elapsed(), Duration::from_millis(39_500));
    // The seven requests are the same message.
    let mut buf = [0u8; 256];
    let mut requests = Vec::new();
    while let Ok((n, _)) = silent.try_recv_from(&mut buf) {
        requests.push(buf[..n].to_vec());
    }
    assert_eq!(requests.len(), 7);
    assert!(requests.windows(2).all(|w| w[0] == w[1]));
    let msg = Message::parse(&requests[0]).unwrap();
    assert_eq!(
        (msg.method(), msg.class()),
        (Method::BINDING, Class::Request)
    );
    assert_eq!(msg.verify_fingerprint(), Ok(true));
}

#[tokio::test]
async fn error_responses_come_back_with_their_code() {
    let (server, task) = server_on("127.0.0.1:0").await;
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();

    // An unknown comprehension-required attribute: 420 (RFC 8489 §6.3.1).
    let mut req = request(Method::BINDING, random_transaction_id().unwrap());
    req.add_raw(AttributeType(0x7FFE), b"what").unwrap();
    let response = timeout(STEP, transaction(&socket, server, req.finish(), fast()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(response.error_code(), Some(420));
    assert!(!response.is_success());
    let msg = response.message();
    assert_eq!(msg.class(), Class::ErrorResponse);
    let unknown = msg.raw(AttributeType::UNKNOWN_ATTRIBUTES).unwrap();
    assert_eq!(unknown.value, [0x7F, 0xFE]);
    match response.into_result() {
        Err(Error::ErrorResponse { code: 420, reason }) => assert!(!reason.is_empty()),
        other => panic!("expected error 420, got {other:?}"),
    }

    // A method the Binding server does not know: 400.
    let req = request(Method::ALLOCATE, random_transaction_id().unwrap()).finish();
    let response = timeout(STEP, transaction(&socket, server, req, fast()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(response.error_code(), Some(400));
    task.abort();
}

#[tokio::test]
async fn stray_datagrams_do_not_end_the_transaction() {
    let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let at = server.local_addr().unwrap();
    let stranger = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let me = socket.local_addr().unwrap();
    let fake = tokio::spawn(async move {
        let mut buf = [0u8; 2048];
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        let req = Message::parse(&buf[..n]).unwrap();
        let tid = req.transaction_id();
        let answer = |tid, addr: SocketAddr, fingerprint| {
            let mut b = MessageBuilder::new(
                MessageType::new(Method::BINDING, Class::SuccessResponse),
                tid,
            );
            b.add(&XorMappedAddress(addr)).unwrap();
            if fingerprint {
                b.add_fingerprint().unwrap();
            }
            b.finish()
        };
        let wrong: SocketAddr = "192.0.2.1:9".parse().unwrap();
        // From another address, with the right transaction ID.
        stranger
            .send_to(&answer(tid, wrong, false), from)
            .await
            .unwrap();
        // Another transaction ID.
        server
            .send_to(&answer(TransactionId([9; 12]), wrong, false), from)
            .await
            .unwrap();
        // Not STUN.
        server.send_to(b"\x80hello, RTP", from).await.unwrap();
        // A request with the transaction ID, not a response.
        server.send_to(&buf[..n], from).await.unwrap();
        // A wrong FINGERPRINT (RFC 8489 §7.3: discarded).
        let mut bad = answer(tid, wrong, true);
        let last = bad.len() - 1;
        bad[last] ^= 1;
        server.send_to(&bad, from).await.unwrap();
        // The answer.
        server
            .send_to(&answer(tid, from, true), from)
            .await
            .unwrap();
    });
    let mapped = timeout(STEP, binding_with(&socket, at, fast()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mapped, me);
    fake.await.unwrap();
}

#[tokio::test]
async fn a_response_without_an_address_is_an_error() {
    let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let at = server.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 2048];
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        let tid = Message::parse(&buf[..n]).unwrap().transaction_id();
        let reply = MessageBuilder::new(
            MessageType::new(Method::BINDING, Class::SuccessResponse),
            tid,
        )
        .finish();
        server.send_to(&reply, from).await.unwrap();
    });
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let err = timeout(STEP, binding_with(&socket, at, fast()))
        .await
        .unwrap()
        .unwrap_err();
    assert!(matches!(err, Error::NoMappedAddress), "{err:?}");
}

#[tokio::test]
async fn only_requests_start_a_transaction() {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let at = socket.local_addr().unwrap();
    let indication = MessageBuilder::new(
        MessageType::new(Method::BINDING, Class::Indication),
        TransactionId([1; 12]),
    )
    .finish();
    for bad in [indication.to_vec(), b"not stun at all, no".to_vec()] {
        let err = transaction(&socket, at, bad, fast()).await.unwrap_err();
        assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    }
}

#[tokio::test]
async fn transaction_ids_are_fresh() {
    let a = random_transaction_id().unwrap();
    let b = random_transaction_id().unwrap();
    assert_ne!(a, b);
}

#[test]
fn errors_say_whose_fault_and_carry_the_answer() {
    let answer = Error::ErrorResponse {
        code: 401,
        reason: "Unauthorized".into(),
    };
    assert_eq!(answer.error_code(), Some(401));
    assert!(!answer.is_peer_fault());
    assert!(Error::NoMappedAddress.is_peer_fault());
    assert_eq!(Error::NoMappedAddress.error_code(), None);
    let misuse = Error::InvalidRequest(rtw_stun::Error::NotARequest(Class::Indication));
    assert!(!misuse.is_peer_fault());
}
