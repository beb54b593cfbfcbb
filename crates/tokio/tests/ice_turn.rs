//! `rtw_tokio::ice` with relayed candidates over loopback: two
//! `IceConnection`s gather from `rtw_tokio::turn::Server` and signal only
//! their relayed candidates (as a browser with `iceTransportPolicy:
//! 'relay'` does), so every pair they can check ends at a relayed address
//! and data crosses the relay; dropping the connections deletes the
//! allocations. Wrong credentials and a bad configuration are reported.
#![cfg(all(feature = "ice", feature = "turn"))]

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use rtw_ice::CandidateKind;
use rtw_tokio::ice::{Candidate, IceConnection, IceEvent, Role, TurnConfig};
use rtw_tokio::turn::{PeerPolicy, Server, ServerConfig, ServerOptions, ServerStats};
use tokio::sync::{mpsc, watch};
use tokio::time::timeout;

/// Upper bound for any one step of a test.
const STEP: Duration = Duration::from_secs(10);

const USER: &str = "alice";
const PASS: &str = "secret";

fn loopback() -> SocketAddr {
    (Ipv4Addr::LOCALHOST, 0).into()
}

/// A TURN server on loopback that relays to loopback peers (the test's
/// agents), its address and its counters.
async fn turn_server() -> (SocketAddr, watch::Receiver<ServerStats>) {
    let config = ServerConfig::new("rtw.test")
        .user(USER, PASS)
        .peers(PeerPolicy::default().allow_loopback(true));
    let server = Server::bind(ServerOptions::new(config, loopback()))
        .await
        .unwrap();
    let address = server.local_addr();
    let stats = server.stats();
    server.spawn();
    (address, stats)
}

/// The next event that `pick` takes, skipping the others.
async fn next_event<T>(
    events: &mut mpsc::Receiver<IceEvent>,
    mut pick: impl FnMut(&IceEvent) -> Option<T>,
) -> T {
    timeout(STEP, async {
        loop {
            let event = events.recv().await.expect("the task runs");
            if let Some(t) = pick(&event) {
                return t;
            }
        }
    })
    .await
    .expect("the event came in time")
}

/// The relayed candidate of `conn`, once gathered from `turn`.
async fn relayed_candidate(
    conn: &IceConnection,
    events: &mut mpsc::Receiver<IceEvent>,
    turn: SocketAddr,
) -> Candidate {
    conn.gather_relayed(conn.local_addrs()[0], turn, TurnConfig::new(USER, PASS))
        .await
        .unwrap();
    let candidate = next_event(events, |e| match e {
        IceEvent::LocalCandidate(c) if c.kind == CandidateKind::Relayed => Some(c.clone()),
        IceEvent::RelayFailed { error, .. } => panic!("no relay: {error}"),
        _ => None,
    })
    .await;
    next_event(events, |e| {
        (*e == IceEvent::GatheringComplete).then_some(())
    })
    .await;
    candidate
}

#[tokio::test]
async fn two_agents_connect_through_the_relay_and_drop_deletes_the_allocations() {
    let (turn, mut stats) = turn_server().await;
    let mut a = IceConnection::bind(&[loopback()], Role::Controlling)
        .await
        .unwrap();
    let mut b = IceConnection::bind(&[loopback()], Role::Controlled)
        .await
        .unwrap();
    let mut a_events = a.take_events().unwrap();
    let mut b_events = b.take_events().unwrap();
    let a_relay = relayed_candidate(&a, &mut a_events, turn).await;
    let b_relay = relayed_candidate(&b, &mut b_events, turn).await;
    let a_relayed = a_relay.socket_addr().unwrap();
    let b_relayed = b_relay.socket_addr().unwrap();
    assert_eq!(a_relayed.ip(), turn.ip());
    assert_ne!(a_relayed, b_relayed);
    // The related address is the address the server saw: the host socket.
    assert_eq!(a_relay.related_socket_addr(), Some(a.local_addrs()[0]));

    // Signalling: credentials and the relayed candidates only, as text.
    a.set_remote_credentials(b.local_credentials().clone())
        .unwrap();
    b.set_remote_credentials(a.local_credentials().clone())
        .unwrap();
    let text = |c: &Candidate| Candidate::parse(&c.to_json_candidate()).unwrap();
    a.add_remote_candidate(text(&b_relay)).unwrap();
    b.add_remote_candidate(text(&a_relay)).unwrap();
    a.end_of_remote_candidates().unwrap();
    b.end_of_remote_candidates().unwrap();

    let (a_local, a_remote) = timeout(STEP, a.connected()).await.unwrap().unwrap();
    let (b_local, b_remote) = timeout(STEP, b.connected()).await.unwrap().unwrap();
    // Every pair ends at a relayed address: at least one side's selected
    // pair starts or ends at one, and the two sides agree.
    let relayed = [a_relayed, b_relayed];
    assert!(
        relayed.contains(&a_local) || relayed.contains(&a_remote),
        "{a_local} -> {a_remote}"
    );
    assert!(
        relayed.contains(&b_local) || relayed.contains(&b_remote),
        "{b_local} -> {b_remote}"
    );

    // Data both ways, a few times (the channel of a relayed pair is bound
    // along the way: ChannelData replaces Send indications).
    for i in 0..5u8 {
        a.send(&[0x80, i]).await.unwrap();
        let (from, data) = timeout(STEP, b.recv()).await.unwrap().unwrap();
        assert_eq!((from, &data[..]), (b_remote, &[0x80, i][..]));
        b.send(&[0x81, i]).await.unwrap();
        let (from, data) = timeout(STEP, a.recv()).await.unwrap().unwrap();
        assert_eq!((from, &data[..]), (a_remote, &[0x81, i][..]));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The server publishes its counters about once a second.
    let relayed = |s: &ServerStats| {
        s.allocations == 2
            && s.permissions >= 1
            && s.relayed_to_peers >= 5
            && s.relayed_to_clients >= 5
    };
    let waited = timeout(STEP, stats.wait_for(relayed)).await.is_ok();
    assert!(waited, "not relayed: {:?}", *stats.borrow());

    // Dropping both connections deletes both allocations (RFC 8656 §8.1)
    // long before they would expire.
    drop(a);
    drop(b);
    timeout(STEP, stats.wait_for(|s| s.allocations == 0))
        .await
        .expect("the allocations were deleted")
        .unwrap();
}

#[tokio::test]
async fn wrong_credentials_report_relay_failed() {
    let (turn, _stats) = turn_server().await;
    let mut a = IceConnection::bind(&[loopback()], Role::Controlling)
        .await
        .unwrap();
    let mut events = a.take_events().unwrap();
    a.gather_relayed(a.local_addrs()[0], turn, TurnConfig::new(USER, "wrong"))
        .await
        .unwrap();
    let (server, code) = next_event(&mut events, |e| match e {
        IceEvent::RelayFailed { server, error } => Some((*server, error.error_code())),
        _ => None,
    })
    .await;
    assert_eq!((server, code), (turn, Some(401)));
    next_event(&mut events, |e| {
        (*e == IceEvent::GatheringComplete).then_some(())
    })
    .await;
}

#[tokio::test]
async fn misuse_is_refused() {
    let (turn, _stats) = turn_server().await;
    let a = IceConnection::bind(&[loopback()], Role::Controlling)
        .await
        .unwrap();
    let unbound: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let err = a
        .gather_relayed(unbound, turn, TurnConfig::new(USER, PASS))
        .await
        .unwrap_err();
    assert!(
        matches!(err, rtw_tokio::ice::Error::Ice(rtw_ice::Error::UnknownBase(b)) if b == unbound),
        "{err:?}"
    );
    let err = a
        .gather_relayed(a.local_addrs()[0], turn, TurnConfig::new("", PASS))
        .await
        .unwrap_err();
    assert!(
        matches!(err, rtw_tokio::ice::Error::Ice(rtw_ice::Error::Turn(_))),
        "{err:?}"
    );
}
