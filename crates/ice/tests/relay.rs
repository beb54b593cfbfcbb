//! Relayed candidates (RFC 8445 §5.1.1.2) through rtw-turn's server on the
//! simulated network, in virtual time: what the agent gathers, how it
//! fails, what it refuses, and that closing deletes the allocations. The
//! NAT table with a relay is in `simulation.rs`.

// The driver serves simulation.rs too; this file uses part of it.
#[allow(dead_code)]
mod sim;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtw_ice::{
    CandidateKind, ConnectionState, Credentials, Error, IceAgent, IceConfig, IceEvent, Role,
    SeededRandom, TurnConfig,
};
use rtw_netsim::{Datagram, LinkConfig, NatConfig, NatKind, Network};
use sim::driver::{Outcome, Scenario, Site, TURN_SERVER, TURN_USER, run};

const HOST: &str = "10.0.1.2:5000";
const NAT_IP: &str = "203.0.113.1";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn agent(seed: u64) -> IceAgent {
    let credentials = Credentials {
        ufrag: "ufragA".into(),
        pwd: "pwdA-0123456789abcdefghij".into(),
    };
    IceAgent::new(
        IceConfig::default(),
        Role::Controlling,
        seed,
        credentials,
        Box::new(SeededRandom::new(seed)),
    )
}

/// One agent on HOST behind a NAT of `kind`, a TURN server.
fn network(kind: NatKind) -> Network {
    let mut net = Network::new(LinkConfig::default(), SeededRandom::new(7));
    net.add_turn_server(addr(TURN_SERVER), &[TURN_USER]);
    let nat = net.add_nat(NAT_IP.parse().unwrap(), NatConfig::of(kind));
    net.add_host(addr(HOST), Some(nat));
    net
}

/// Run the agent and the network from `t0` until `until`; the agent's
/// events.
fn run_one(net: &mut Network, agent: &mut IceAgent, t0: Instant, until: Instant) -> Vec<IceEvent> {
    let mut events = Vec::new();
    let mut now = t0;
    loop {
        while let Some(t) = agent.poll_transmit() {
            assert_eq!(
                t.source,
                Some(addr(HOST)),
                "everything leaves from the base"
            );
            let d = Datagram {
                source: addr(HOST),
                destination: t.destination,
                contents: t.contents,
            };
            net.send(now, d);
        }
        events.extend(std::iter::from_fn(|| agent.poll_event()));
        let next = [net.poll_timeout(), agent.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        match next {
            Some(t) if t <= until => now = now.max(t),
            _ => return events,
        }
        while let Some(d) = net.poll_delivery(now) {
            assert!(agent.handle_receive(now, d.source, d.destination, &d.contents));
        }
        if agent.poll_timeout().is_some_and(|t| t <= now) {
            agent.handle_timeout(now);
        }
    }
}

#[test]
fn a_relayed_candidate_is_gathered_with_its_priority_and_related_address() {
    let mut net = network(NatKind::Symmetric);
    let mut a = agent(1);
    let t0 = Instant::now();
    let host = a.add_host_candidate(addr(HOST), 1, 65535);
    let turn = addr(TURN_SERVER);
    a.gather_relayed(
        t0,
        addr(HOST),
        turn,
        TurnConfig::new(TURN_USER.0, TURN_USER.1),
    )
    .unwrap();
    let events = run_one(&mut net, &mut a, t0, t0 + Duration::from_secs(1));
    let [
        IceEvent::LocalCandidate(relayed),
        IceEvent::GatheringComplete,
    ] = events.as_slice()
    else {
        panic!("{events:?}");
    };
    assert_eq!(relayed.kind, CandidateKind::Relayed);
    // The server's first relayed port, on its own IP.
    assert_eq!(relayed.socket_addr(), Some(addr("192.0.2.20:49152")));
    // The related address is the mapped one (RFC 8839 §5.1): the NAT's
    // first mapping.
    assert_eq!(
        relayed.related_socket_addr(),
        Some(addr("203.0.113.1:40000"))
    );
    // Type preference 0 (RFC 8445 §5.1.2.2), the host's local preference.
    assert_eq!(
        relayed.priority,
        rtw_ice::priority(CandidateKind::Relayed, 65535, 1)
    );
    assert_eq!(relayed.priority, 16_777_215);
    assert_ne!(relayed.foundation, host.foundation);
    let line = relayed.to_sdp_line();
    assert!(
        line.ends_with("192.0.2.20 49152 typ relay raddr 203.0.113.1 rport 40000"),
        "{line}"
    );
    // The client refreshes the allocation: the agent has a timer.
    assert!(a.poll_timeout().is_some());
    let stats = net.turn_server(turn).unwrap().stats();
    assert_eq!(stats.allocations, 1);
}

#[test]
fn stun_and_turn_on_one_server_address_share_the_base() {
    // Many deployments name one server for both: its Binding answers go
    // to the agent, its TURN answers to the client.
    let mut net = network(NatKind::PortRestricted);
    let mut a = agent(2);
    let t0 = Instant::now();
    a.add_host_candidate(addr(HOST), 1, 65535);
    let turn = addr(TURN_SERVER);
    a.gather_server_reflexive(t0, addr(HOST), turn).unwrap();
    a.gather_relayed(
        t0,
        addr(HOST),
        turn,
        TurnConfig::new(TURN_USER.0, TURN_USER.1),
    )
    .unwrap();
    let events = run_one(&mut net, &mut a, t0, t0 + Duration::from_secs(1));
    let kinds: Vec<CandidateKind> = events
        .iter()
        .filter_map(|e| match e {
            IceEvent::LocalCandidate(c) => Some(c.kind),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        [CandidateKind::ServerReflexive, CandidateKind::Relayed],
        "{events:?}"
    );
    assert_eq!(events.last(), Some(&IceEvent::GatheringComplete));
    assert_eq!(
        events
            .iter()
            .filter(|e| **e == IceEvent::GatheringComplete)
            .count(),
        1
    );
}

#[test]
fn wrong_credentials_report_relay_failed_and_gathering_still_completes() {
    let mut net = network(NatKind::FullCone);
    let mut a = agent(3);
    let t0 = Instant::now();
    a.add_host_candidate(addr(HOST), 1, 65535);
    let turn = addr(TURN_SERVER);
    a.gather_relayed(t0, addr(HOST), turn, TurnConfig::new(TURN_USER.0, "wrong"))
        .unwrap();
    let events = run_one(&mut net, &mut a, t0, t0 + Duration::from_secs(60));
    match events.as_slice() {
        [
            IceEvent::RelayFailed { server, error },
            IceEvent::GatheringComplete,
        ] => {
            assert_eq!(*server, turn);
            assert_eq!(error.error_code(), Some(401), "{error}");
        }
        other => panic!("{other:?}"),
    }
    // Nothing is left to do: no allocation, no timer.
    assert_eq!(a.poll_timeout(), None);
    assert_eq!(net.turn_server(turn).unwrap().stats().allocations, 0);
}

#[test]
fn a_silent_turn_server_is_given_up() {
    // No TURN server at that address: the Allocate times out (RFC 8489
    // §6.2.1, 39.5 s) and gathering completes without a relayed candidate.
    let mut net = network(NatKind::FullCone);
    let mut a = agent(4);
    let t0 = Instant::now();
    a.add_host_candidate(addr(HOST), 1, 65535);
    let nobody = addr("192.0.2.99:3478");
    a.gather_relayed(t0, addr(HOST), nobody, TurnConfig::new("u", "p"))
        .unwrap();
    let events = run_one(&mut net, &mut a, t0, t0 + Duration::from_secs(60));
    assert!(
        matches!(
            events.as_slice(),
            [IceEvent::RelayFailed { server, .. }, IceEvent::GatheringComplete] if *server == nobody
        ),
        "{events:?}"
    );
}

#[test]
fn misuse_is_refused() {
    let mut a = agent(5);
    let t0 = Instant::now();
    let turn = addr(TURN_SERVER);
    let config = TurnConfig::new(TURN_USER.0, TURN_USER.1);
    assert_eq!(
        a.gather_relayed(t0, addr(HOST), turn, config.clone()),
        Err(Error::UnknownBase(addr(HOST)))
    );
    a.add_host_candidate(addr(HOST), 1, 65535);
    let err = a
        .gather_relayed(t0, addr(HOST), turn, TurnConfig::new("", "p"))
        .unwrap_err();
    assert!(matches!(err, Error::Turn(_)), "{err:?}");
    assert!(!err.is_peer_fault());
    assert_eq!(a.send_data(t0, b"x"), Err(Error::NotConnected));
    assert!(a.poll_transmit().is_none(), "nothing was started");
}

/// Symmetric NATs on both sides: the agents connect through the relay,
/// data crosses it both ways (as ChannelData once the channel is bound),
/// permissions for the peers' private host candidates are refused and not
/// asked again, and closing deletes both allocations.
#[test]
fn connect_through_the_relay_then_close_deletes_the_allocations() {
    let mut s = Scenario::new(
        "symmetric <-> symmetric with a relay, closed after",
        Site::Behind(NatKind::Symmetric),
        Site::Behind(NatKind::Symmetric),
    )
    .with_relay();
    s.app_datagrams = 50;
    s.close_after = Some(Duration::from_secs(5));
    let report = run(&s);
    report.assert_connected();
    assert!(report.through_relay(), "{}", report.dump());
    assert_eq!(report.app.received, [50, 50], "{}", report.dump());
    let turn = report.turn.expect("a TURN server");
    assert_eq!(turn.allocations, 0, "closed: {}", report.dump());
    assert_eq!((turn.permissions, turn.channels), (0, 0));
    // The data went through the relay: each side's datagrams, plus checks.
    assert!(
        turn.relayed_to_peers >= 50 && turn.relayed_to_clients >= 50,
        "{turn:?}"
    );
    // The two 401 challenges of the Allocates, and one 403 per private
    // host candidate (10.0.2.2 for A's relay, 10.0.1.2 for B's): the
    // refused permission is not asked again for every check.
    assert_eq!(turn.error_responses, 4, "{turn:?} {}", report.dump());
}

/// Without a TURN server nothing changes: the scenario has no relayed
/// candidate and fails as before.
#[test]
fn without_a_relay_symmetric_pairs_still_fail() {
    let s = Scenario::new(
        "symmetric <-> symmetric without a relay",
        Site::Behind(NatKind::Symmetric),
        Site::Behind(NatKind::Symmetric),
    );
    let report = run(&s);
    assert!(
        matches!(report.outcome, Outcome::Failed(_)),
        "{}",
        report.dump()
    );
    assert_eq!(report.relayed, [None, None]);
    assert!(report.turn.is_none());
}

/// The agent's state after close: failed, and no timer once the
/// deletion is answered.
#[test]
fn close_fails_the_agent_and_stops_its_timers() {
    let mut net = network(NatKind::Symmetric);
    let mut a = agent(6);
    let t0 = Instant::now();
    a.add_host_candidate(addr(HOST), 1, 65535);
    let turn = addr(TURN_SERVER);
    a.gather_relayed(
        t0,
        addr(HOST),
        turn,
        TurnConfig::new(TURN_USER.0, TURN_USER.1),
    )
    .unwrap();
    let t1 = t0 + Duration::from_secs(1);
    run_one(&mut net, &mut a, t0, t1);
    assert_eq!(net.turn_server(turn).unwrap().stats().allocations, 1);
    a.close(t1);
    let events = run_one(&mut net, &mut a, t1, t1 + Duration::from_secs(5));
    assert_eq!(events, [IceEvent::StateChanged(ConnectionState::Failed)]);
    assert_eq!(a.state(), ConnectionState::Failed);
    assert_eq!(a.poll_timeout(), None);
    assert_eq!(net.turn_server(turn).unwrap().stats().allocations, 0);
}

/// Two agents behind symmetric NATs with a TURN server, signalling each
/// other's candidates at once, for the restart test.
struct Pair {
    net: Network,
    agents: [IceAgent; 2],
    hosts: [SocketAddr; 2],
    /// Every local candidate each side signalled, to signal again after a
    /// restart.
    signalled: [Vec<rtw_ice::Candidate>; 2],
}

impl Pair {
    fn new() -> Self {
        let mut net = Network::new(LinkConfig::default(), SeededRandom::new(11));
        net.add_turn_server(addr(TURN_SERVER), &[TURN_USER]);
        net.add_stun_server(addr(sim::driver::STUN_SERVER));
        let hosts = [addr("10.0.1.2:5000"), addr("10.0.2.2:6000")];
        for (host, ip) in hosts.iter().zip(["203.0.113.1", "198.51.100.1"]) {
            let nat = net.add_nat(ip.parse().unwrap(), NatConfig::of(NatKind::Symmetric));
            net.add_host(*host, Some(nat));
        }
        let mut a = agent(21);
        let mut b = IceAgent::new(
            IceConfig::default(),
            Role::Controlled,
            22,
            credentials("ufragB", 0),
            Box::new(SeededRandom::new(22)),
        );
        a.set_remote_credentials(b.local_credentials().clone());
        b.set_remote_credentials(a.local_credentials().clone());
        Pair {
            net,
            agents: [a, b],
            hosts,
            signalled: [Vec::new(), Vec::new()],
        }
    }

    /// Run from `now` until both agents are connected (or `limit`
    /// passes); the time it stopped.
    fn connect(&mut self, mut now: Instant, limit: Duration) -> Instant {
        let end = now + limit;
        loop {
            for i in 0..2 {
                while let Some(t) = self.agents[i].poll_transmit() {
                    let d = Datagram {
                        source: t.source.unwrap(),
                        destination: t.destination,
                        contents: t.contents,
                    };
                    self.net.send(now, d);
                }
                while let Some(e) = self.agents[i].poll_event() {
                    if let IceEvent::LocalCandidate(c) = e {
                        self.signalled[i].push(c.clone());
                        self.agents[1 - i].add_remote_candidate(now, c).unwrap();
                    }
                }
            }
            let connected = self.agents.iter().all(|a| {
                matches!(
                    a.state(),
                    ConnectionState::Connected | ConnectionState::Completed
                ) && a.selected_pair().is_some()
            });
            if connected {
                return now;
            }
            let next = [
                self.net.poll_timeout(),
                self.agents[0].poll_timeout(),
                self.agents[1].poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
            match next {
                Some(t) if t <= end => now = now.max(t),
                _ => panic!("not connected within {limit:?}"),
            }
            while let Some(d) = self.net.poll_delivery(now) {
                let i = usize::from(d.destination == self.hosts[1]);
                self.agents[i].handle_receive(now, d.source, d.destination, &d.contents);
            }
            for agent in &mut self.agents {
                if agent.poll_timeout().is_some_and(|t| t <= now) {
                    agent.handle_timeout(now);
                }
            }
        }
    }
}

fn credentials(ufrag: &str, generation: u8) -> Credentials {
    Credentials {
        ufrag: format!("{ufrag}{generation}"),
        pwd: format!("{ufrag}-{generation}-0123456789abcdefghij"),
    }
}

/// An ICE restart (RFC 8445 §9) keeps the allocations: the relayed
/// candidates are signalled again and the agents connect through the
/// same relay, without a new Allocate.
#[test]
fn an_ice_restart_reuses_the_allocations() {
    let mut pair = Pair::new();
    let t0 = Instant::now();
    let turn = addr(TURN_SERVER);
    let stun = addr(sim::driver::STUN_SERVER);
    for i in 0..2 {
        let host = pair.hosts[i];
        let c = pair.agents[i].add_host_candidate(host, 1, 65535);
        pair.agents[1 - i]
            .add_remote_candidate(t0, c.clone())
            .unwrap();
        pair.signalled[i].push(c);
        pair.agents[i]
            .gather_server_reflexive(t0, host, stun)
            .unwrap();
        let config = TurnConfig::new(TURN_USER.0, TURN_USER.1);
        pair.agents[i]
            .gather_relayed(t0, host, turn, config)
            .unwrap();
    }
    let t1 = pair.connect(t0, Duration::from_secs(30));
    let relayed: Vec<SocketAddr> = (0..2)
        .flat_map(|i| pair.signalled[i].iter())
        .filter(|c| c.kind == CandidateKind::Relayed)
        .filter_map(|c| c.socket_addr())
        .collect();
    assert_eq!(relayed.len(), 2);
    let through_relay = |pair: &Pair| {
        pair.agents
            .iter()
            .any(|a| a.selected_pair().is_some_and(|(l, _)| relayed.contains(&l)))
    };
    assert!(through_relay(&pair));

    // Restart both: new credentials, every candidate signalled again.
    let restart_at = t1;
    for (i, ufrag) in ["ufragA", "ufragB"].into_iter().enumerate() {
        pair.agents[i].restart(restart_at, credentials(ufrag, 1));
    }
    for i in 0..2 {
        let remote = pair.agents[1 - i].local_credentials().clone();
        pair.agents[i].set_remote_credentials(remote);
        for c in pair.signalled[1 - i].clone() {
            pair.agents[i].add_remote_candidate(restart_at, c).unwrap();
        }
    }
    let t3 = pair.connect(restart_at, Duration::from_secs(30));
    assert!(through_relay(&pair));
    assert!(t3 > restart_at);
    let stats = pair.net.turn_server(turn).unwrap().stats();
    assert_eq!(stats.allocations, 2, "{stats:?}");
    // No new relayed candidate came: the allocations are the same.
    let relays = (0..2)
        .flat_map(|i| pair.signalled[i].iter())
        .filter(|c| c.kind == CandidateKind::Relayed)
        .count();
    assert_eq!(relays, 2);
}
