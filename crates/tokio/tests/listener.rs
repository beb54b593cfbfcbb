//! The capped listener over loopback: clients from 127.0.0.1, 127.0.0.2 and
//! 127.0.0.3 (all loopback on Linux) tell the per-address cap from the
//! total one.
#![cfg(feature = "listener")]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use rtw_testkit::within_for;
use rtw_tokio::listener::{
    KEEPALIVE_INTERVAL, KEEPALIVE_RETRIES, Listener, ListenerConfig, Permit,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio::time::timeout;

const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n";
const WAIT: Duration = Duration::from_secs(5);

/// What the server hands the test for each accepted connection; the test
/// holds the permit.
type Accepted = (TcpStream, SocketAddr, Permit);

/// A listener on 127.0.0.1 accepting in a task; the accepted connections
/// come out of the channel.
async fn serve(config: ListenerConfig) -> (SocketAddr, mpsc::UnboundedReceiver<Accepted>) {
    let listener = Listener::bind("127.0.0.1:0", config).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(accepted) = listener.accept().await {
            if tx.send(accepted).is_err() {
                break;
            }
        }
    });
    (addr, rx)
}

fn loopback(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// A connection to `server` from `127.0.0.LAST`.
async fn connect_from(last: u8, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(loopback(last), 0)).unwrap();
    within_for(WAIT, "connecting", socket.connect(server))
        .await
        .unwrap()
}

/// Connect from `127.0.0.LAST` and expect the server to accept it.
async fn admitted(
    last: u8,
    server: SocketAddr,
    rx: &mut mpsc::UnboundedReceiver<Accepted>,
) -> (TcpStream, Accepted) {
    let client = connect_from(last, server).await;
    let accepted = within_for(WAIT, "the server accepting", rx.recv())
        .await
        .expect("server running");
    assert_eq!(accepted.1, client.local_addr().unwrap());
    (client, accepted)
}

/// Connect from `127.0.0.LAST`, expect exactly the busy response and the
/// end of the connection, and that the server handed nothing out.
async fn rejected(last: u8, server: SocketAddr, rx: &mut mpsc::UnboundedReceiver<Accepted>) {
    let mut client = connect_from(last, server).await;
    let mut got = Vec::new();
    within_for(WAIT, "the server closing", client.read_to_end(&mut got))
        .await
        .unwrap();
    assert_eq!(got, BUSY, "{}", String::from_utf8_lossy(&got));
    assert!(
        rx.try_recv().is_err(),
        "a rejected connection was handed out"
    );
}

#[tokio::test]
async fn per_address_cap_answers_503_and_admits_again_after_a_permit_drops() {
    let config = ListenerConfig::default()
        .max_connections(10)
        .max_connections_per_ip(2);
    let (server, mut rx) = serve(config).await;
    let first = admitted(1, server, &mut rx).await;
    let _second = admitted(1, server, &mut rx).await;
    rejected(1, server, &mut rx).await;
    // Another address has its own allowance.
    let _other = admitted(2, server, &mut rx).await;
    rejected(1, server, &mut rx).await;
    drop(first);
    let _third = admitted(1, server, &mut rx).await;
    rejected(1, server, &mut rx).await;
}

#[tokio::test]
async fn total_cap_answers_503_to_every_address_and_admits_again_after_a_permit_drops() {
    let config = ListenerConfig::default()
        .max_connections(2)
        .max_connections_per_ip(10);
    let (server, mut rx) = serve(config).await;
    let (_client, (_tcp, _peer, first)) = admitted(1, server, &mut rx).await;
    let _second = admitted(2, server, &mut rx).await;
    rejected(3, server, &mut rx).await;
    rejected(1, server, &mut rx).await;
    // The permit alone holds the slot: the sockets stay open.
    drop(first);
    let _third = admitted(3, server, &mut rx).await;
    rejected(2, server, &mut rx).await;
}

#[tokio::test]
async fn busy_response_arrives_whole_after_a_request_was_sent() {
    let busy = format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n{}",
        "x".repeat(5000)
    );
    let config = ListenerConfig::default()
        .max_connections_per_ip(1)
        .busy_response(busy.clone());
    let (server, mut rx) = serve(config).await;
    let _held = admitted(1, server, &mut rx).await;
    let mut client = connect_from(1, server).await;
    // A request the server never reads: closing with it unread would
    // reset the connection and could destroy the response.
    let request = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\n\r\n",
        "p".repeat(20_000)
    );
    client.write_all(request.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    within_for(WAIT, "the server closing", client.read_to_end(&mut got))
        .await
        .expect("closed cleanly, not reset");
    assert_eq!(String::from_utf8_lossy(&got), busy);
    // The server still reads (and drops) what the client sends until the
    // client closes or the linger ends; a server that had closed its
    // socket would answer the first write with a reset, failing the second.
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        client
            .write_all(b"more of the request")
            .await
            .expect("the server lingers");
    }
}

#[tokio::test]
async fn rejected_connections_are_closed_when_no_task_may_linger() {
    let config = ListenerConfig::default()
        .max_connections(1)
        .max_rejecting(0);
    let listener = Listener::bind("127.0.0.1:0", config).await.unwrap();
    let server = listener.local_addr().unwrap();
    let held = connect_from(1, server).await;
    let (_tcp, _peer, _permit) = listener.accept().await.unwrap();
    let mut client = connect_from(2, server).await;
    // accept() rejects the second connection and waits for a third.
    let pending = timeout(Duration::from_millis(300), listener.accept()).await;
    assert!(pending.is_err(), "nothing should have been accepted");
    let mut got = Vec::new();
    // Written without waiting, then closed: the bytes or a reset, but an
    // end either way.
    let read = within_for(WAIT, "the server closing", client.read_to_end(&mut got)).await;
    if read.is_ok() {
        assert_eq!(got, BUSY);
    }
    let stats = listener.stats();
    assert_eq!((stats.accepted, stats.rejected, stats.open), (1, 1, 1));
    assert_eq!(stats.accept_errors, 0);
    drop(held);
}

#[tokio::test]
async fn accepted_sockets_have_keepalive_user_timeout_and_nodelay() {
    let (server, mut rx) = serve(ListenerConfig::default()).await;
    let (_client, (tcp, _peer, _permit)) = admitted(1, server, &mut rx).await;
    let socket = socket2::SockRef::from(&tcp);
    assert!(socket.keepalive().unwrap());
    assert_eq!(
        socket.tcp_keepalive_time().unwrap(),
        Duration::from_secs(60)
    );
    assert_eq!(socket.tcp_keepalive_interval().unwrap(), KEEPALIVE_INTERVAL);
    assert_eq!(socket.tcp_keepalive_retries().unwrap(), KEEPALIVE_RETRIES);
    assert_eq!(
        socket.tcp_user_timeout().unwrap(),
        Some(Duration::from_secs(120))
    );
    assert!(socket.tcp_nodelay().unwrap());

    // An idle time under the interval probes as often as it waits.
    let config = ListenerConfig::default()
        .tcp_keepalive(Some(Duration::from_secs(7)))
        .tcp_user_timeout(Some(Duration::from_millis(2500)))
        .nodelay(false);
    let (server, mut rx) = serve(config).await;
    let (_client, (tcp, _peer, _permit)) = admitted(1, server, &mut rx).await;
    let socket = socket2::SockRef::from(&tcp);
    assert!(socket.keepalive().unwrap());
    assert_eq!(socket.tcp_keepalive_time().unwrap(), Duration::from_secs(7));
    assert_eq!(
        socket.tcp_keepalive_interval().unwrap(),
        Duration::from_secs(7)
    );
    assert_eq!(
        socket.tcp_user_timeout().unwrap(),
        Some(Duration::from_millis(2500))
    );
    assert!(!socket.tcp_nodelay().unwrap());

    let config = ListenerConfig::default()
        .tcp_keepalive(None)
        .tcp_user_timeout(None);
    let (server, mut rx) = serve(config).await;
    let (_client, (tcp, _peer, _permit)) = admitted(1, server, &mut rx).await;
    let socket = socket2::SockRef::from(&tcp);
    assert!(!socket.keepalive().unwrap());
    assert_eq!(socket.tcp_user_timeout().unwrap(), None);
}

#[tokio::test]
async fn caps_are_fitted_to_the_descriptor_limit() {
    let limit = rtw_tokio::listener::raise_nofile_limit().unwrap();
    let (soft, _hard) = rlimit::getrlimit(rlimit::Resource::NOFILE).unwrap();
    assert_eq!(limit, soft);
    let huge = ListenerConfig::default().max_connections(usize::MAX);
    let listener = Listener::bind("127.0.0.1:0", huge.clone()).await.unwrap();
    let expected = huge.fit_to_descriptor_limit(soft);
    assert_eq!(listener.config(), &expected);
    if soft < u64::MAX / 2 {
        assert!(listener.config().max_connections < usize::MAX);
    }
}
