//! `rtw_tokio::turn` over loopback: our TURN server and client relaying to
//! echo peers over UDP, TCP and TLS; the peer policy's 403; TURN REST API
//! credentials; the relay port range; the TCP client timeouts; and an
//! RFC 6062 TCP allocation spliced to a TCP echo peer.
#![cfg(feature = "turn")]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use rtw_stun::attributes::{
    ConnectionId, Nonce, Realm, RequestedTransport, Username, XorPeerAddress,
};
use rtw_stun::key::{PasswordAlgorithm, long_term_key};
use rtw_stun::{Class, Message, MessageBuilder, MessageType, Method, TransactionId, Transport};
use rtw_tokio::turn::{
    Client, ClientConfig, PeerPolicy, Server, ServerConfig, ServerEvent, ServerOptions,
    client_tls_config, rest_password, server_tls_config_from_pem,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// Upper bound for any one step of a test.
const STEP: Duration = Duration::from_secs(10);

const REALM: &str = "rtw.test";
const USER: &str = "alice";
const PASS: &str = "secret";

fn loopback() -> SocketAddr {
    (Ipv4Addr::LOCALHOST, 0).into()
}

fn config(allow_loopback: bool) -> ServerConfig {
    ServerConfig::new(REALM)
        .user(USER, PASS)
        .peers(PeerPolicy::default().allow_loopback(allow_loopback))
}

/// A server with `options`, running; its UDP/TCP address and its task.
async fn start(options: ServerOptions) -> (Server, SocketAddr) {
    let server = Server::bind(options).await.unwrap();
    let address = server.local_addr();
    (server, address)
}

/// A UDP peer that echoes every datagram, and its address.
async fn udp_echo() -> (SocketAddr, JoinHandle<()>) {
    let socket = UdpSocket::bind(loopback()).await.unwrap();
    let address = socket.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut buf = vec![0; 65_536];
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            let _ = socket.send_to(&buf[..n], from).await;
        }
    });
    (address, task)
}

/// A TCP peer that echoes every connection, and its address.
async fn tcp_echo() -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind(loopback()).await.unwrap();
    let address = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut r, mut w) = tcp.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    (address, task)
}

/// Sends `data` to `peer` and expects the echo back through the relay.
async fn round_trip(client: &mut Client, peer: SocketAddr, data: &'static [u8]) {
    timeout(STEP, client.send_to(peer, data))
        .await
        .unwrap()
        .unwrap();
    let (from, got) = timeout(STEP, client.recv()).await.unwrap().unwrap();
    assert_eq!((from, got), (peer, Bytes::from_static(data)));
}

/// Permission and indications, then a channel and ChannelData, to an echo
/// peer; the peer sees the relayed address as the sender.
async fn relay_through(mut client: Client, peer: SocketAddr) {
    timeout(STEP, client.create_permission(peer.ip()))
        .await
        .unwrap()
        .unwrap();
    round_trip(&mut client, peer, b"through a Send indication").await;
    let channel = timeout(STEP, client.bind_channel(peer))
        .await
        .unwrap()
        .unwrap();
    assert!((0x4000..=0x4FFF).contains(&channel.0), "{channel:?}");
    round_trip(&mut client, peer, b"through ChannelData").await;
    // A larger payload, and a few in a row.
    let big: &'static [u8] = Box::leak(vec![0xA5; 1200].into_boxed_slice());
    for _ in 0..5 {
        round_trip(&mut client, peer, big).await;
    }
    timeout(STEP, client.deallocate()).await.unwrap().unwrap();
}

#[tokio::test]
async fn udp_client_relays_to_a_udp_echo_peer() {
    let (mut server, address) = start(ServerOptions::new(config(true), loopback())).await;
    let stats = server.stats();
    let mut events = server.events(64);
    let task = server.spawn();
    let (peer, echo) = udp_echo().await;
    let client = timeout(
        STEP,
        Client::allocate(address, ClientConfig::new(USER, PASS)),
    )
    .await
    .unwrap()
    .unwrap();
    // The events are copied out for logs: the relay opened, then the
    // allocation on it for alice.
    let created = loop {
        if let ServerEvent::AllocationCreated {
            relayed, username, ..
        } = timeout(STEP, events.recv()).await.unwrap().unwrap()
        {
            break (relayed, username);
        }
    };
    assert_eq!(created, (client.relayed_address(), USER.to_owned()));
    // The client's socket is bound to 0.0.0.0; the server saw 127.0.0.1.
    assert_eq!(client.mapped_address().port(), client.local_addr().port());
    assert_eq!(
        client.relayed_address().ip(),
        IpAddr::from(Ipv4Addr::LOCALHOST)
    );
    relay_through(client, peer).await;
    // The counters reach the handle within the wall-clock interval (1 s).
    let mut stats = stats;
    let relayed = timeout(STEP, stats.wait_for(|s| s.relayed_to_clients >= 7))
        .await
        .unwrap()
        .unwrap()
        .relayed_to_peers;
    assert!(relayed >= 7, "{relayed}");
    task.abort();
    echo.abort();
}

#[tokio::test]
async fn tcp_client_relays_to_a_udp_echo_peer() {
    let (server, address) = start(ServerOptions::new(config(true), loopback())).await;
    let task = server.spawn();
    let (peer, echo) = udp_echo().await;
    let client = timeout(
        STEP,
        Client::allocate(
            address,
            ClientConfig::new(USER, PASS).transport(Transport::Tcp),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    relay_through(client, peer).await;
    task.abort();
    echo.abort();
}

/// A self-signed certificate for `localhost`, written as PEM files in a
/// directory of its own.
fn self_signed() -> (
    std::path::PathBuf,
    std::path::PathBuf,
    rustls::pki_types::CertificateDer<'static>,
) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = std::env::temp_dir().join(format!(
        "rtw-turn-tls-{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
    (cert, key, certified.cert.der().clone())
}

#[tokio::test]
async fn tls_client_relays_with_a_self_signed_certificate() {
    let (cert, key, der) = self_signed();
    let tls = server_tls_config_from_pem(&cert, &key).unwrap();
    let options = ServerOptions::new(config(true), loopback()).tls(Some((loopback(), tls)));
    let (server, _) = start(options).await;
    let tls_address = server.tls_local_addr().expect("a TLS listener");
    let task = server.spawn();
    let (peer, echo) = udp_echo().await;
    let roots = client_tls_config(vec![der.clone()]).unwrap();
    let client = timeout(
        STEP,
        Client::allocate_tls(
            tls_address,
            "localhost",
            roots,
            ClientConfig::new(USER, PASS),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    relay_through(client, peer).await;

    // A client that trusts another certificate fails the handshake.
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let wrong = client_tls_config(vec![other.cert.der().clone()]).unwrap();
    let refused = timeout(
        STEP,
        Client::allocate_tls(
            tls_address,
            "localhost",
            wrong,
            ClientConfig::new(USER, PASS),
        ),
    )
    .await
    .unwrap();
    assert!(
        matches!(refused, Err(rtw_tokio::turn::Error::Io(_))),
        "{refused:?}"
    );
    // A missing key file is reported with its path.
    let missing = server_tls_config_from_pem(&cert, &cert.with_file_name("nope.pem")).unwrap_err();
    assert!(missing.to_string().contains("nope.pem"), "{missing}");
    let _ = std::fs::remove_dir_all(cert.parent().unwrap());
    task.abort();
    echo.abort();
}

#[tokio::test]
async fn loopback_and_unspecified_peers_get_403_without_allow_loopback() {
    let (server, address) = start(ServerOptions::new(config(false), loopback())).await;
    let task = server.spawn();
    let (peer, echo) = udp_echo().await;
    let mut client = timeout(
        STEP,
        Client::allocate(address, ClientConfig::new(USER, PASS)),
    )
    .await
    .unwrap()
    .unwrap();
    for ip in [
        peer.ip(),
        IpAddr::from(Ipv4Addr::UNSPECIFIED),
        "::ffff:127.0.0.1".parse().unwrap(),
    ] {
        let refused = timeout(STEP, client.create_permission(ip))
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(refused.error_code(), Some(403), "{ip}: {refused}");
        assert!(refused.is_peer_fault());
    }
    let refused = timeout(STEP, client.bind_channel(peer))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(refused.error_code(), Some(403), "{refused}");
    // Nothing reaches the peer: sending needs a permission.
    assert!(client.send_to(peer, &b"x"[..]).await.is_err());
    assert!(
        timeout(Duration::from_millis(300), client.recv())
            .await
            .is_err()
    );
    task.abort();
    echo.abort();
}

#[tokio::test]
async fn rest_api_credentials_allocate_until_they_expire() {
    let secret = "rest-secret";
    let config = ServerConfig::new(REALM)
        .auth_secret(secret)
        .peers(PeerPolicy::default().allow_loopback(true));
    let (server, address) = start(ServerOptions::new(config, loopback())).await;
    let task = server.spawn();
    let (peer, echo) = udp_echo().await;
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let fresh = format!("{}:bob", unix + 3600);
    let client = timeout(
        STEP,
        Client::allocate(
            address,
            ClientConfig::new(fresh.clone(), rest_password(secret.as_bytes(), &fresh)),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    relay_through(client, peer).await;
    let stale = format!("{}:bob", unix - 10);
    let refused = timeout(
        STEP,
        Client::allocate(
            address,
            ClientConfig::new(stale.clone(), rest_password(secret.as_bytes(), &stale)),
        ),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert_eq!(refused.error_code(), Some(401), "{refused}");
    task.abort();
    echo.abort();
}

#[tokio::test]
async fn relayed_ports_come_from_the_range_until_it_runs_out() {
    // Three ports are enough for three allocations; a fourth gets 508.
    let low = 40_000 + u16::try_from(std::process::id() % 5_000).unwrap() * 4;
    let options = ServerOptions::new(
        config(true).quotas(rtw_tokio::turn::Quotas::default().allocations_per_user(100)),
        loopback(),
    )
    .relay_ports(low..=low + 2);
    let (server, address) = start(options).await;
    let task = server.spawn();
    let mut clients = Vec::new();
    for _ in 0..3 {
        let client = timeout(
            STEP,
            Client::allocate(address, ClientConfig::new(USER, PASS)),
        )
        .await
        .unwrap()
        .unwrap();
        let port = client.relayed_address().port();
        assert!((low..=low + 2).contains(&port), "{port}");
        clients.push(client);
    }
    let mut ports: Vec<u16> = clients.iter().map(|c| c.relayed_address().port()).collect();
    ports.sort_unstable();
    ports.dedup();
    assert_eq!(ports.len(), 3);
    let full = timeout(
        STEP,
        Client::allocate(address, ClientConfig::new(USER, PASS)),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert_eq!(full.error_code(), Some(508), "{full}");
    // A released port is taken again.
    let released = clients.pop().unwrap();
    let port = released.relayed_address().port();
    timeout(STEP, released.deallocate()).await.unwrap().unwrap();
    let again = timeout(
        STEP,
        Client::allocate(address, ClientConfig::new(USER, PASS)),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(again.relayed_address().port(), port);
    task.abort();
}

/// Reads until the connection closes; the time it took.
async fn closed_within(tcp: &mut TcpStream) -> Duration {
    let started = tokio::time::Instant::now();
    let mut buf = [0; 1024];
    loop {
        match timeout(STEP, tcp.read(&mut buf))
            .await
            .expect("closed in time")
        {
            Ok(0) | Err(_) => return started.elapsed(),
            Ok(_) => {}
        }
    }
}

#[tokio::test]
async fn idle_and_half_sent_tcp_clients_are_closed() {
    let options = ServerOptions::new(config(true), loopback())
        .idle_timeout(Duration::from_millis(300))
        .frame_timeout(Duration::from_millis(300));
    let (server, address) = start(options).await;
    let task = server.spawn();
    // Nothing sent.
    let mut idle = TcpStream::connect(address).await.unwrap();
    assert!(closed_within(&mut idle).await >= Duration::from_millis(250));
    // The first bytes of a STUN header, then nothing.
    let mut half = TcpStream::connect(address).await.unwrap();
    half.write_all(&[0x00, 0x01, 0x00]).await.unwrap();
    assert!(closed_within(&mut half).await >= Duration::from_millis(250));
    // Not STUN framing at all (a TLS ClientHello's first bytes: 0x16 is
    // neither STUN nor ChannelData): the server closes it at once. (An
    // HTTP request would not do: "GE" reads as ChannelData on channel
    // 0x4745.)
    let mut garbage = TcpStream::connect(address).await.unwrap();
    garbage
        .write_all(b"\x16\x03\x01\x00\x05hello")
        .await
        .unwrap();
    assert!(closed_within(&mut garbage).await < Duration::from_millis(250));
    // A client with an allocation is not idle-timed while it lives.
    let client = timeout(
        STEP,
        Client::allocate(
            address,
            ClientConfig::new(USER, PASS).transport(Transport::Tcp),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    timeout(STEP, client.create_permission(Ipv4Addr::LOCALHOST.into()))
        .await
        .unwrap()
        .unwrap();
    task.abort();
}

/// Long-term credentials for hand-made requests (MD5, RFC 8489 §9.2).
struct Creds {
    nonce: String,
    counter: u8,
}

impl Creds {
    fn request(&mut self, method: Method, attrs: impl FnOnce(&mut MessageBuilder)) -> Bytes {
        self.counter += 1;
        let mut b = MessageBuilder::new(
            MessageType::new(method, Class::Request),
            TransactionId([self.counter; 12]),
        );
        attrs(&mut b);
        if !self.nonce.is_empty() {
            b.add(&Username::new(USER).unwrap()).unwrap();
            b.add(&Realm::new(REALM).unwrap()).unwrap();
            b.add(&Nonce::new(&self.nonce).unwrap()).unwrap();
            let key = long_term_key(USER, REALM, PASS, PasswordAlgorithm::Md5).unwrap();
            b.add_message_integrity(&key).unwrap();
        }
        b.add_fingerprint().unwrap();
        b.finish().freeze()
    }
}

/// One STUN message from a stream.
async fn read_message(tcp: &mut TcpStream) -> Vec<u8> {
    let mut head = [0; 4];
    timeout(STEP, tcp.read_exact(&mut head))
        .await
        .unwrap()
        .unwrap();
    let len = rtw_stun::frame_len(&head).unwrap().unwrap();
    let mut message = head.to_vec();
    message.resize(len, 0);
    timeout(STEP, tcp.read_exact(&mut message[4..]))
        .await
        .unwrap()
        .unwrap();
    message
}

/// Sends `request` (made again with the nonce after a 401) and returns the
/// final answer.
async fn exchange(
    tcp: &mut TcpStream,
    creds: &mut Creds,
    method: Method,
    attrs: impl Fn(&mut MessageBuilder),
) -> Vec<u8> {
    tcp.write_all(&creds.request(method, &attrs)).await.unwrap();
    let answer = read_message(tcp).await;
    let msg = Message::parse(&answer).unwrap();
    if msg.class() == Class::ErrorResponse
        && let Some(Ok(nonce)) = msg.get::<Nonce>()
    {
        creds.nonce = nonce.as_str().to_owned();
        tcp.write_all(&creds.request(method, &attrs)).await.unwrap();
        return read_message(tcp).await;
    }
    answer
}

#[tokio::test]
async fn tcp_allocation_connects_and_splices_to_a_tcp_peer() {
    let (server, address) = start(ServerOptions::new(config(true), loopback())).await;
    let task = server.spawn();
    let (peer, echo) = tcp_echo().await;

    // RFC 6062 §4.1-4.3: Allocate with REQUESTED-TRANSPORT TCP on the
    // control connection, a permission, then Connect.
    let mut control = TcpStream::connect(address).await.unwrap();
    let mut creds = Creds {
        nonce: String::new(),
        counter: 0,
    };
    let allocated = exchange(&mut control, &mut creds, Method::ALLOCATE, |b| {
        b.add(&RequestedTransport::TCP).unwrap();
    })
    .await;
    assert_eq!(
        Message::parse(&allocated).unwrap().class(),
        Class::SuccessResponse
    );
    let permitted = exchange(&mut control, &mut creds, Method::CREATE_PERMISSION, |b| {
        b.add(&XorPeerAddress(peer)).unwrap();
    })
    .await;
    assert_eq!(
        Message::parse(&permitted).unwrap().class(),
        Class::SuccessResponse
    );
    let connected = exchange(&mut control, &mut creds, Method::CONNECT, |b| {
        b.add(&XorPeerAddress(peer)).unwrap();
    })
    .await;
    let connected = Message::parse(&connected).unwrap();
    assert_eq!(connected.class(), Class::SuccessResponse, "{connected:?}");
    let id = connected.get::<ConnectionId>().unwrap().unwrap();

    // §4.4: ConnectionBind on a new data connection (its own nonce), then
    // the connection carries the peer's bytes both ways.
    let mut data = TcpStream::connect(address).await.unwrap();
    let mut data_creds = Creds {
        nonce: String::new(),
        counter: 100,
    };
    let bound = exchange(&mut data, &mut data_creds, Method::CONNECTION_BIND, |b| {
        b.add(&id).unwrap();
    })
    .await;
    assert_eq!(
        Message::parse(&bound).unwrap().class(),
        Class::SuccessResponse
    );
    for text in [&b"spliced to the peer"[..], &[7; 5000][..]] {
        data.write_all(text).await.unwrap();
        let mut back = vec![0; text.len()];
        timeout(STEP, data.read_exact(&mut back))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back, text);
    }
    // Closing the control connection deletes the allocation (RFC 8656
    // §7), and the spliced connections close with it.
    drop(control);
    let mut rest = [0; 16];
    let end = timeout(STEP, data.read(&mut rest))
        .await
        .expect("closed in time");
    assert!(matches!(end, Ok(0) | Err(_)), "{end:?}");
    task.abort();
    echo.abort();
}

#[tokio::test]
async fn a_tcp_client_that_stops_reading_is_closed_with_its_allocation() {
    let options = ServerOptions::new(
        config(true).quotas(rtw_tokio::turn::Quotas::default().bandwidth(None)),
        loopback(),
    )
    .max_write_buffer(64 * 1024)
    .wall_clock_interval(Duration::from_millis(50));
    let (server, address) = start(options).await;
    let mut stats = server.stats();
    let task = server.spawn();
    let peer = UdpSocket::bind(loopback()).await.unwrap();

    // A client allocates over TCP, permits the peer, and then reads no more.
    let mut control = TcpStream::connect(address).await.unwrap();
    let mut creds = Creds {
        nonce: String::new(),
        counter: 0,
    };
    let allocated = exchange(&mut control, &mut creds, Method::ALLOCATE, |b| {
        b.add(&RequestedTransport::UDP).unwrap();
    })
    .await;
    let allocated = Message::parse(&allocated).unwrap();
    assert_eq!(allocated.class(), Class::SuccessResponse);
    let relayed = allocated
        .get::<rtw_stun::attributes::XorRelayedAddress>()
        .unwrap()
        .unwrap()
        .0;
    let peer_addr = peer.local_addr().unwrap();
    let permitted = exchange(&mut control, &mut creds, Method::CREATE_PERMISSION, |b| {
        b.add(&XorPeerAddress(peer_addr)).unwrap();
    })
    .await;
    assert_eq!(
        Message::parse(&permitted).unwrap().class(),
        Class::SuccessResponse
    );
    timeout(STEP, stats.wait_for(|s| s.allocations == 1))
        .await
        .unwrap()
        .unwrap();

    // The peer sends until the server gives up on the client: the kernel's
    // buffers fill, then the 64 KiB the server queues.
    let payload = [0x5A; 1000];
    let deadline = tokio::time::Instant::now() + STEP;
    let mut sent = 0;
    while stats.borrow().allocations != 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "still allocated after {sent} datagrams"
        );
        for _ in 0..100 {
            let _ = peer.send_to(&payload, relayed).await;
            sent += 1;
        }
        tokio::task::yield_now().await;
    }
    // What the kernel had taken is still there to read, then the end.
    let mut sink = vec![0; 64 * 1024];
    loop {
        match timeout(STEP, control.read(&mut sink))
            .await
            .expect("closed")
        {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    task.abort();
}

#[tokio::test]
async fn ipv6_allocations_relay_over_ipv6_and_refuse_loopback_unless_allowed() {
    use rtw_stun::attributes::AddressFamily;
    let v6: SocketAddr = "[::1]:0".parse().unwrap();
    // Allowed: a relayed address on ::1 and an echo peer on ::1.
    let (server, address) = start(ServerOptions::new(config(true), v6)).await;
    assert_eq!(
        server.relay_ips(),
        &[IpAddr::from(std::net::Ipv6Addr::LOCALHOST)]
    );
    let task = server.spawn();
    let socket = UdpSocket::bind(v6).await.unwrap();
    let peer = socket.local_addr().unwrap();
    let echo = tokio::spawn(async move {
        let mut buf = vec![0; 65_536];
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            let _ = socket.send_to(&buf[..n], from).await;
        }
    });
    let client = timeout(
        STEP,
        Client::allocate(
            address,
            ClientConfig::new(USER, PASS).family(AddressFamily::V6),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(
        client.relayed_address().is_ipv6(),
        "{}",
        client.relayed_address()
    );
    relay_through(client, peer).await;
    // An IPv4 relayed address: the server has no IPv4 relay IP (440).
    let refused = timeout(
        STEP,
        Client::allocate(address, ClientConfig::new(USER, PASS)),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert_eq!(refused.error_code(), Some(440), "{refused}");
    task.abort();
    echo.abort();

    // Refused by default: ::1, ::ffff:127.0.0.1 and :: get 403.
    let (server, address) = start(ServerOptions::new(config(false), v6)).await;
    let task = server.spawn();
    let client = timeout(
        STEP,
        Client::allocate(
            address,
            ClientConfig::new(USER, PASS).family(AddressFamily::V6),
        ),
    )
    .await
    .unwrap()
    .unwrap();
    for ip in ["::1", "::ffff:127.0.0.1", "::"] {
        let refused = timeout(STEP, client.create_permission(ip.parse().unwrap()))
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(refused.error_code(), Some(403), "{ip}: {refused}");
    }
    task.abort();
}

#[tokio::test]
async fn a_busy_stream_whose_reads_end_inside_frames_is_not_timed_out() {
    let options = ServerOptions::new(config(true), loopback())
        .frame_timeout(Duration::from_millis(1000))
        .idle_timeout(Duration::from_millis(1000));
    let (server, address) = start(options).await;
    let task = server.spawn();
    let mut tcp = TcpStream::connect(address).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    // Binding requests (answered without credentials), each written in two
    // halves 100 ms apart, so that the stream is inside a frame after
    // every write for three seconds: three frame timeouts. (Each half
    // still comes well within the timeout on a loaded machine: a sleep of
    // 100 ms may overshoot by several hundred.)
    let requests: Vec<Bytes> = (0..30u8)
        .map(|k| {
            MessageBuilder::new(
                MessageType::new(Method::BINDING, Class::Request),
                TransactionId([k; 12]),
            )
            .finish()
            .freeze()
        })
        .collect();
    tcp.write_all(&requests[0][..10]).await.unwrap();
    for k in 0..requests.len() {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut chunk = requests[k][10..].to_vec();
        if let Some(next) = requests.get(k + 1) {
            chunk.extend_from_slice(&next[..10]);
        }
        tcp.write_all(&chunk).await.unwrap();
    }
    for k in 0..requests.len() {
        let response = read_message(&mut tcp).await;
        let response = Message::parse(&response).unwrap();
        assert_eq!(response.class(), Class::SuccessResponse);
        assert_eq!(response.transaction_id(), TransactionId([k as u8; 12]));
    }
    task.abort();
}

#[tokio::test]
async fn even_port_reserves_the_next_port_for_a_token() {
    use rtw_stun::attributes::{DontFragment, EvenPort, ReservationToken, XorRelayedAddress};
    let (server, address) = start(ServerOptions::new(config(true), loopback())).await;
    let task = server.spawn();
    let relayed_of = |answer: &[u8]| {
        let msg = Message::parse(answer).unwrap();
        assert_eq!(msg.class(), Class::SuccessResponse, "{msg:?}");
        msg.get::<XorRelayedAddress>().unwrap().unwrap().0
    };

    // EVEN-PORT with R: an even port, and the next one kept for a token.
    let mut first = TcpStream::connect(address).await.unwrap();
    let mut creds = Creds {
        nonce: String::new(),
        counter: 0,
    };
    let answer = exchange(&mut first, &mut creds, Method::ALLOCATE, |b| {
        b.add(&RequestedTransport::UDP).unwrap();
        b.add(&EvenPort { reserve: true }).unwrap();
    })
    .await;
    let relayed = relayed_of(&answer);
    assert_eq!(relayed.port() % 2, 0, "{relayed}");
    let token = Message::parse(&answer)
        .unwrap()
        .get::<ReservationToken>()
        .expect("RESERVATION-TOKEN")
        .unwrap();
    // The next port is held by the server meanwhile.
    let next = SocketAddr::new(relayed.ip(), relayed.port() + 1);
    assert_eq!(
        std::net::UdpSocket::bind(next).unwrap_err().kind(),
        std::io::ErrorKind::AddrInUse
    );

    // Another client takes it with the token (and DONT-FRAGMENT).
    let mut second = TcpStream::connect(address).await.unwrap();
    let mut creds = Creds {
        nonce: String::new(),
        counter: 50,
    };
    let answer = exchange(&mut second, &mut creds, Method::ALLOCATE, |b| {
        b.add(&RequestedTransport::UDP).unwrap();
        b.add(&token).unwrap();
        b.add(&DontFragment).unwrap();
    })
    .await;
    assert_eq!(relayed_of(&answer), next);
    task.abort();
}
