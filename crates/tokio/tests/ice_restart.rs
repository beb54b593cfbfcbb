//! `IceConnection::restart` over loopback UDP (RFC 8445 §9): two
//! connected agents restart with fresh credentials, signal them and their
//! candidates again, and select a pair anew; data keeps flowing over the
//! old pair while the new checks run.
#![cfg(feature = "ice")]

use std::net::SocketAddr;
use std::time::Duration;

use rtw_tokio::ice::{
    Candidate, ConnectionState, IceConnection, IceEvent, Role, random_credentials,
};
use tokio::sync::mpsc;
use tokio::time::timeout;

/// Upper bound for any one step of a test that runs in real time.
const STEP: Duration = Duration::from_secs(10);

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Signal `from`'s credentials and candidates (as text) to `to`, then
/// end-of-candidates.
fn signal(from: &IceConnection, to: &IceConnection) {
    to.set_remote_credentials(from.local_credentials().clone())
        .unwrap();
    for candidate in from.local_candidates() {
        let text = candidate.to_json_candidate();
        to.add_remote_candidate(Candidate::parse(&text).unwrap())
            .unwrap();
    }
    to.end_of_remote_candidates().unwrap();
}

/// Read events until one matches `wanted`; the events read, that one
/// last.
async fn until(
    events: &mut mpsc::Receiver<IceEvent>,
    wanted: impl Fn(&IceEvent) -> bool,
) -> Vec<IceEvent> {
    let mut seen = Vec::new();
    loop {
        let event = timeout(STEP, events.recv())
            .await
            .unwrap_or_else(|_| panic!("no such event within {STEP:?}: {seen:?}"))
            .expect("the ICE task ended");
        let done = wanted(&event);
        seen.push(event);
        if done {
            return seen;
        }
    }
}

fn is_selected(event: &IceEvent) -> bool {
    matches!(event, IceEvent::SelectedPair { .. })
}

async fn connected_pair() -> (IceConnection, IceConnection) {
    let a = IceConnection::bind(&[loopback()], Role::Controlling)
        .await
        .unwrap();
    let b = IceConnection::bind(&[loopback()], Role::Controlled)
        .await
        .unwrap();
    signal(&a, &b);
    signal(&b, &a);
    timeout(STEP, a.connected()).await.unwrap().unwrap();
    timeout(STEP, b.connected()).await.unwrap().unwrap();
    (a, b)
}

#[tokio::test]
async fn both_sides_restart_with_fresh_credentials_and_select_a_pair_again() {
    let (mut a, mut b) = connected_pair().await;
    let mut a_events = a.take_events().unwrap();
    let mut b_events = b.take_events().unwrap();
    until(&mut a_events, is_selected).await;
    until(&mut b_events, is_selected).await;
    let before = a.selected_pair().unwrap();

    let (old_a, old_b) = (a.local_credentials().clone(), b.local_credentials().clone());
    a.restart(random_credentials().unwrap()).unwrap();
    b.restart(random_credentials().unwrap()).unwrap();
    assert_ne!(a.local_credentials(), &old_a);
    assert_ne!(b.local_credentials(), &old_b);
    signal(&a, &b);
    signal(&b, &a);

    // Back to checking, then a pair selected again by the new checks.
    for events in [&mut a_events, &mut b_events] {
        let seen = until(events, is_selected).await;
        assert!(
            seen.contains(&IceEvent::StateChanged(ConnectionState::Checking)),
            "{seen:?}"
        );
    }
    // Same sockets on both sides: the same pair, now checked with the new
    // credentials.
    assert_eq!(a.selected_pair(), Some(before));
    assert_eq!(b.selected_pair(), Some((before.1, before.0)));
    assert!(matches!(
        a.state(),
        ConnectionState::Connected | ConnectionState::Completed
    ));
    a.send(b"after the restart").await.unwrap();
    let (from, data) = timeout(STEP, b.recv()).await.unwrap().unwrap();
    assert_eq!((from, &data[..]), (before.0, &b"after the restart"[..]));
    assert!(b.last_received().is_some());
}

#[tokio::test]
async fn the_old_pair_carries_data_until_the_peer_signals_again() {
    let (mut a, mut b) = connected_pair().await;
    let pair = a.selected_pair().unwrap();
    a.restart(random_credentials().unwrap()).unwrap();
    // The peer has not heard of the restart yet: no new credentials, no
    // candidates, so no new checks; the old pair stays selected.
    for i in 0..3 {
        let text = format!("during the restart {i}");
        a.send(text.as_bytes()).await.unwrap();
        let (from, data) = timeout(STEP, b.recv()).await.unwrap().unwrap();
        assert_eq!((from, &data[..]), (pair.0, text.as_bytes()));
    }
    assert_eq!(a.selected_pair(), Some(pair));
    assert_eq!(a.state(), ConnectionState::Checking);
    // b's checks and consent checks arrived.
    assert!(a.last_received().is_some());
}
