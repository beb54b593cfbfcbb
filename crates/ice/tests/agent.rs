//! Two agents wired back to back with no network in between: the agent's
//! own rules (checks, nomination, role conflicts, ICE lite, consent,
//! authentication) in virtual time. The NAT scenarios are in
//! `simulation.rs`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtw_ice::{
    ConnectionState, Credentials, IceAgent, IceConfig, IceEvent, Random, Role, SeededRandom,
    Transmit,
};

/// A fixed, seeded source of bytes.
fn random(seed: u64) -> Box<dyn Random + Send> {
    Box::new(SeededRandom::new(seed))
}

fn credentials(ufrag: &str) -> Credentials {
    Credentials {
        ufrag: ufrag.into(),
        pwd: format!("{ufrag}passwordpasswordpassword"),
    }
}

struct Peer {
    agent: IceAgent,
    addr: SocketAddr,
    events: Vec<IceEvent>,
}

fn agent(role: Role, tie: u64, ufrag: &str, addr: &str, config: IceConfig) -> Peer {
    let addr: SocketAddr = addr.parse().unwrap();
    let mut agent = IceAgent::new(config, role, tie, credentials(ufrag), random(tie));
    agent.add_host_candidate(addr, 1, 65535);
    Peer {
        agent,
        addr,
        events: Vec::new(),
    }
}

/// Exchange credentials and host candidates.
fn introduce(a: &mut Peer, b: &mut Peer, t0: Instant) {
    let ca = rtw_ice::Candidate::host(a.addr, 1, 65535, rtw_ice::CandidateTransport::Udp);
    let cb = rtw_ice::Candidate::host(b.addr, 1, 65535, rtw_ice::CandidateTransport::Udp);
    a.agent
        .set_remote_credentials(b.agent.local_credentials().clone());
    b.agent
        .set_remote_credentials(a.agent.local_credentials().clone());
    a.agent.add_remote_candidate(t0, cb).unwrap();
    b.agent.add_remote_candidate(t0, ca).unwrap();
    a.agent.end_of_remote_candidates();
    b.agent.end_of_remote_candidates();
}

/// Run both agents, delivering every datagram after `delay` (unless
/// `drop` says to lose it), until `until` or `limit` of virtual time.
fn run(
    a: &mut Peer,
    b: &mut Peer,
    t0: Instant,
    limit: Duration,
    delay: Duration,
    mut drop: impl FnMut(&Transmit) -> bool,
    until: impl Fn(&Peer, &Peer) -> bool,
) -> Instant {
    let mut in_flight: Vec<(Instant, Transmit)> = Vec::new();
    let mut now = t0;
    for _ in 0..100_000 {
        for peer in [&mut *a, &mut *b] {
            while let Some(t) = peer.agent.poll_transmit() {
                if !drop(&t) {
                    in_flight.push((now + delay, t));
                }
            }
            while let Some(e) = peer.agent.poll_event() {
                peer.events.push(e);
            }
        }
        if until(a, b) || now - t0 >= limit {
            return now;
        }
        let next_packet = in_flight.iter().map(|(t, _)| *t).min();
        let next = [next_packet, a.agent.poll_timeout(), b.agent.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(t0 + limit);
        now = next.max(now).min(t0 + limit);
        let (due, later): (Vec<_>, Vec<_>) = in_flight.into_iter().partition(|(t, _)| *t <= now);
        in_flight = later;
        for (_, t) in due {
            let to = if t.destination == a.addr {
                &mut *a
            } else {
                &mut *b
            };
            assert!(
                to.agent
                    .handle_receive(now, t.source.unwrap(), t.destination, &t.contents)
            );
        }
        for peer in [&mut *a, &mut *b] {
            peer.agent.handle_timeout(now);
            // Handling a timeout moves the next one past it.
            assert!(peer.agent.poll_timeout().is_none_or(|t| t > now));
        }
    }
    panic!("no progress");
}

fn selected(p: &Peer) -> bool {
    p.agent.selected_pair().is_some()
}

/// Agent a at 192.0.2.1:1000 and b at 192.0.2.2:2000, introduced.
fn pair_up(a: (Role, u64, IceConfig), b: (Role, u64, IceConfig), t0: Instant) -> (Peer, Peer) {
    let mut a = agent(a.0, a.1, "aaaa", "192.0.2.1:1000", a.2);
    let mut b = agent(b.0, b.1, "bbbb", "192.0.2.2:2000", b.2);
    introduce(&mut a, &mut b, t0);
    (a, b)
}

/// Run with a 10 ms network until both agents complete.
fn until_completed(a: &mut Peer, b: &mut Peer, t0: Instant) -> Instant {
    let ms10 = Duration::from_millis(10);
    run(
        a,
        b,
        t0,
        Duration::from_secs(10),
        ms10,
        |_| false,
        |a, b| {
            a.agent.state() == ConnectionState::Completed
                && b.agent.state() == ConnectionState::Completed
        },
    )
}

/// The states an agent went through.
fn states(p: &Peer) -> Vec<ConnectionState> {
    p.events
        .iter()
        .filter_map(|e| match e {
            IceEvent::StateChanged(s) => Some(*s),
            _ => None,
        })
        .collect()
}

#[test]
fn two_full_agents_connect_and_complete() {
    let t0 = Instant::now();
    let (mut a, mut b) = pair_up(
        (Role::Controlling, 2, IceConfig::default()),
        (Role::Controlled, 1, IceConfig::default()),
        t0,
    );
    let end = until_completed(&mut a, &mut b, t0);
    assert_eq!(a.agent.selected_pair(), Some((a.addr, b.addr)));
    assert_eq!(b.agent.selected_pair(), Some((b.addr, a.addr)));
    assert!(end - t0 < Duration::from_millis(500), "{:?}", end - t0);
    for p in [&a, &b] {
        let states = states(p);
        assert_eq!(
            states,
            [
                ConnectionState::Checking,
                ConnectionState::Connected,
                ConnectionState::Completed
            ]
        );
    }
}

#[test]
fn a_role_conflict_is_resolved_by_the_tie_breaker() {
    let t0 = Instant::now();
    // Both start in one role; the larger tie-breaker (a's) ends up
    // controlling, and only the other agent switches.
    for start in [Role::Controlling, Role::Controlled] {
        let (mut a, mut b) = pair_up(
            (start, 9, IceConfig::default()),
            (start, 3, IceConfig::default()),
            t0,
        );
        let ms10 = Duration::from_millis(10);
        run(
            &mut a,
            &mut b,
            t0,
            Duration::from_secs(10),
            ms10,
            |_| false,
            |a, b| selected(a) && selected(b),
        );
        assert_eq!(a.agent.role(), Role::Controlling);
        assert_eq!(b.agent.role(), Role::Controlled);
        let switches = |p: &Peer| {
            p.events
                .iter()
                .filter(|e| matches!(e, IceEvent::RoleChanged(_)))
                .count()
        };
        let (a_switches, b_switches) = (switches(&a), switches(&b));
        match start {
            Role::Controlling => assert_eq!((a_switches, b_switches), (0, 1)),
            Role::Controlled => assert_eq!((a_switches, b_switches), (1, 0)),
        }
    }
}

#[test]
fn a_full_agent_connects_to_an_ice_lite_peer() {
    let t0 = Instant::now();
    let lite = IceConfig::default().lite(true);
    let (mut a, mut b) = pair_up(
        (Role::Controlled, 2, IceConfig::default()),
        (Role::Controlled, 1, lite),
        t0,
    );
    a.agent.set_remote_lite(true);
    assert_eq!(a.agent.role(), Role::Controlling);
    run(
        &mut a,
        &mut b,
        t0,
        Duration::from_secs(10),
        Duration::from_millis(10),
        |_| false,
        |a, b| selected(a) && selected(b),
    );
    assert_eq!(b.agent.selected_pair(), Some((b.addr, a.addr)));
}

#[test]
fn checks_with_the_wrong_password_are_refused_and_the_agent_fails() {
    let t0 = Instant::now();
    let (mut a, mut b) = pair_up(
        (Role::Controlling, 2, IceConfig::default()),
        (Role::Controlled, 1, IceConfig::default()),
        t0,
    );
    a.agent.set_remote_credentials(credentials("wrong"));
    let end = run(
        &mut a,
        &mut b,
        t0,
        Duration::from_secs(60),
        Duration::from_millis(10),
        |_| false,
        |a, _| a.agent.state() == ConnectionState::Failed,
    );
    assert_eq!(a.agent.state(), ConnectionState::Failed);
    assert!(!selected(&b));
    // b answers 401 without integrity, which a must discard as never
    // received (RFC 8489 §9.1.4): a's checks time out after 39.5 s.
    let failed_after = end - t0;
    assert!(
        failed_after >= Duration::from_millis(39_500) && failed_after < Duration::from_secs(41),
        "{failed_after:?}"
    );
}

#[test]
fn consent_is_lost_when_the_peer_goes_silent() {
    let t0 = Instant::now();
    let (mut a, mut b) = pair_up(
        (Role::Controlling, 2, IceConfig::default()),
        (Role::Controlled, 1, IceConfig::default()),
        t0,
    );
    let connected = until_completed(&mut a, &mut b, t0);
    // From now on nothing b sends arrives.
    let silent_from = connected;
    let b_addr = b.addr;
    let end = run(
        &mut a,
        &mut b,
        connected,
        Duration::from_secs(60),
        Duration::from_millis(10),
        |t| t.source == Some(b_addr),
        |a, _| a.agent.state() == ConnectionState::Failed,
    );
    let states = states(&a);
    assert_eq!(
        states[states.len() - 2..],
        [ConnectionState::Disconnected, ConnectionState::Failed]
    );
    let lost_after = end - silent_from;
    assert!(
        lost_after >= Duration::from_secs(30) && lost_after < Duration::from_secs(31),
        "{lost_after:?}"
    );
}

#[test]
fn keepalives_go_out_when_the_selected_pair_is_otherwise_idle() {
    let t0 = Instant::now();
    // Consent checks rare enough that only keepalives keep the pair busy.
    let quiet = IceConfig::default()
        .consent_interval(Duration::from_secs(100))
        .consent_timeout(Duration::from_secs(300))
        .disconnected_timeout(Duration::from_secs(200));
    let (mut a, mut b) = pair_up(
        (Role::Controlling, 2, quiet.clone()),
        (Role::Controlled, 1, quiet),
        t0,
    );
    let connected = until_completed(&mut a, &mut b, t0);
    let mut indications = Vec::new();
    run(
        &mut a,
        &mut b,
        connected,
        Duration::from_secs(46),
        Duration::from_millis(10),
        |t| {
            let message = rtw_stun::Message::parse(&t.contents).unwrap();
            if message.class() == rtw_stun::Class::Indication {
                indications.push(t.source.unwrap());
            }
            false
        },
        |_, _| false,
    );
    // Every 15 s from each side: at 15, 30 and 45 s.
    let from_a = indications.iter().filter(|s| **s == a.addr).count();
    let from_b = indications.iter().filter(|s| **s == b.addr).count();
    assert_eq!((from_a, from_b), (3, 3), "{indications:?}");
}

#[test]
fn an_ice_restart_connects_again_with_new_credentials() {
    let t0 = Instant::now();
    let (mut a, mut b) = pair_up(
        (Role::Controlling, 2, IceConfig::default()),
        (Role::Controlled, 1, IceConfig::default()),
        t0,
    );
    let first = until_completed(&mut a, &mut b, t0);
    let old_pwd = a.agent.local_credentials().pwd.clone();
    a.agent.restart(first, credentials("aaa2"));
    b.agent.restart(first, credentials("bbb2"));
    // The old pair stays usable while the new checks run (RFC 8445 §9).
    assert_eq!(a.agent.selected_pair(), Some((a.addr, b.addr)));
    assert_eq!(a.agent.state(), ConnectionState::Checking);
    a.events.clear();
    b.events.clear();
    introduce(&mut a, &mut b, first);
    let second = until_completed(&mut a, &mut b, first);
    assert!(
        second - first < Duration::from_millis(500),
        "{:?}",
        second - first
    );
    assert_ne!(a.agent.local_credentials().pwd, old_pwd);
    for p in [&a, &b] {
        assert!(
            p.events
                .iter()
                .any(|e| matches!(e, IceEvent::SelectedPair { .. })),
            "{:?}",
            p.events
        );
        // Checking from the restart itself, then the new pair.
        assert_eq!(
            states(p),
            [
                ConnectionState::Checking,
                ConnectionState::Connected,
                ConnectionState::Completed
            ]
        );
    }
}
