//! `rtw_tokio::ice` over loopback UDP: two agents with sockets on
//! 127.0.0.1, credentials and candidates exchanged in memory (trickled, as
//! text), reach a selected pair and carry data over it both ways; a wrong
//! password keeps the side that holds it from connecting (RFC 8445 §7.3).
#![cfg(feature = "ice")]

use std::net::SocketAddr;
use std::time::Duration;

use rtw_tokio::ice::{
    Candidate, ConnectionState, Credentials, Error, IceConfig, IceConnection, IceEvent, Role,
    TransactionConfig, random_credentials,
};
use tokio::time::timeout;

/// Upper bound for any one step of a test that runs in real time.
const STEP: Duration = Duration::from_secs(10);

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Signal `from`'s candidates to `to` the way trickle ICE carries them:
/// as `candidate:` strings, parsed on arrival.
fn trickle(from: &IceConnection, to: &IceConnection) {
    for candidate in from.local_candidates() {
        let text = candidate.to_json_candidate();
        to.add_remote_candidate(Candidate::parse(&text).unwrap())
            .unwrap();
    }
    to.end_of_remote_candidates().unwrap();
}

async fn connect(a_addrs: &[SocketAddr], b_addrs: &[SocketAddr]) -> (IceConnection, IceConnection) {
    let a = IceConnection::bind(a_addrs, Role::Controlling)
        .await
        .unwrap();
    let b = IceConnection::bind(b_addrs, Role::Controlled)
        .await
        .unwrap();
    a.set_remote_credentials(b.local_credentials().clone())
        .unwrap();
    b.set_remote_credentials(a.local_credentials().clone())
        .unwrap();
    trickle(&a, &b);
    trickle(&b, &a);
    (a, b)
}

/// Send `count` datagrams from `from` and receive them all at `to`, from
/// `from`'s selected local address.
async fn exchange(from: &IceConnection, to: &mut IceConnection, count: usize, tag: &str) {
    let (source, _) = from.selected_pair().unwrap();
    for i in 0..count {
        let message = format!("{tag} {i}");
        from.send(message.as_bytes()).await.unwrap();
        let (sender, data) = timeout(STEP, to.recv()).await.unwrap().unwrap();
        assert_eq!(sender, source);
        assert_eq!(&data[..], message.as_bytes());
    }
}

#[tokio::test]
async fn two_agents_connect_on_loopback_and_carry_data_both_ways() {
    let (mut a, mut b) = connect(&[loopback()], &[loopback()]).await;
    assert_ne!(a.local_addrs(), b.local_addrs());
    let mut a_events = a.take_events().unwrap();
    assert!(a.take_events().is_none());

    let a_pair = timeout(STEP, a.connected()).await.unwrap().unwrap();
    let b_pair = timeout(STEP, b.connected()).await.unwrap().unwrap();
    assert_eq!(a_pair, (a.local_addrs()[0], b.local_addrs()[0]));
    assert_eq!(b_pair, (a_pair.1, a_pair.0));
    assert!(matches!(
        a.state(),
        ConnectionState::Connected | ConnectionState::Completed
    ));
    assert_eq!(a.selected_pair(), Some(a_pair));

    exchange(&a, &mut b, 5, "a to b").await;
    exchange(&b, &mut a, 5, "b to a").await;

    // The events tell the same story: checking, then this pair selected.
    let mut seen = Vec::new();
    while let Ok(event) = a_events.try_recv() {
        seen.push(event);
    }
    let checking = seen
        .iter()
        .position(|e| *e == IceEvent::StateChanged(ConnectionState::Checking));
    let selected = seen.iter().position(|e| {
        *e == IceEvent::SelectedPair {
            source: a_pair.0,
            destination: a_pair.1,
        }
    });
    assert!(
        matches!((checking, selected), (Some(c), Some(s)) if c < s),
        "{seen:?}"
    );
}

#[tokio::test]
async fn agents_with_two_sockets_each_pick_one_pair_and_agree_on_it() {
    let (mut a, mut b) = connect(&[loopback(), loopback()], &[loopback(), loopback()]).await;
    let a_pair = timeout(STEP, a.connected()).await.unwrap().unwrap();
    let b_pair = timeout(STEP, b.connected()).await.unwrap().unwrap();
    assert!(a.local_addrs().contains(&a_pair.0));
    assert!(b.local_addrs().contains(&a_pair.1));
    assert_eq!(b_pair, (a_pair.1, a_pair.0));
    exchange(&a, &mut b, 3, "a to b").await;
    exchange(&b, &mut a, 3, "b to a").await;
}

#[tokio::test]
async fn data_before_a_pair_is_selected_is_refused() {
    let a = IceConnection::bind(&[loopback()], Role::Controlling)
        .await
        .unwrap();
    assert!(matches!(a.send(b"early").await, Err(Error::NotConnected)));
    assert_eq!(a.state(), ConnectionState::New);
}

#[tokio::test]
async fn a_wrong_remote_password_keeps_its_holder_from_connecting() {
    // Checks fail fast: 7 requests over about 1.3 s, then failure at 1.6 s.
    let config = IceConfig::default()
        .check_transaction(TransactionConfig::default().rto(Duration::from_millis(20)));
    let a = IceConnection::bind_with(
        &[loopback()],
        Role::Controlling,
        config.clone(),
        random_credentials().unwrap(),
    )
    .await
    .unwrap();
    let b = IceConnection::bind_with(
        &[loopback()],
        Role::Controlled,
        config,
        random_credentials().unwrap(),
    )
    .await
    .unwrap();
    // `a` signs its checks with a password `b` does not have: `b` answers
    // them with 401 or drops them (RFC 8445 §7.3, RFC 8489 §9.1.3).
    let wrong = Credentials {
        ufrag: b.local_credentials().ufrag.clone(),
        pwd: "not-the-password-at-all-0123".into(),
    };
    a.set_remote_credentials(wrong).unwrap();
    b.set_remote_credentials(a.local_credentials().clone())
        .unwrap();
    trickle(&a, &b);
    trickle(&b, &a);

    // Bounded: either `a` fails, or it is still checking when the wait
    // ends; it never selects a pair.
    match timeout(Duration::from_secs(3), a.connected()).await {
        Err(_) => assert_eq!(a.state(), ConnectionState::Checking),
        Ok(result) => {
            assert!(matches!(result, Err(Error::Failed)), "{result:?}");
            assert_eq!(a.state(), ConnectionState::Failed);
        }
    }
    assert_eq!(a.selected_pair(), None);
    assert!(matches!(
        a.send(b"x").await,
        Err(Error::NotConnected | Error::Failed)
    ));
    // `b`'s own checks reach `a` with the right password, but `a` nominates
    // nothing, so `b`, controlled, selects nothing either.
    assert_eq!(b.selected_pair(), None);
}

#[tokio::test]
async fn gathering_from_an_address_with_no_socket_is_refused_as_misuse() {
    let c = IceConnection::bind(&[loopback()], Role::Controlling)
        .await
        .unwrap();
    let elsewhere: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let server: SocketAddr = "127.0.0.1:3478".parse().unwrap();
    let err = c.gather_server_reflexive(elsewhere, server).unwrap_err();
    assert!(
        matches!(err, Error::Ice(rtw_ice::Error::UnknownBase(a)) if a == elsewhere),
        "{err:?}"
    );
    assert!(!err.is_peer_fault());
    let base = c.local_addrs()[0];
    assert!(c.gather_server_reflexive(base, server).is_ok());
}
