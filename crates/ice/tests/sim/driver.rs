//! Two ICE agents on the simulated network: A controlling, B controlled,
//! each on a host that is public or behind a NAT, both learning their
//! server-reflexive address from the STUN server (and, when the scenario
//! has a relay, allocating a relayed candidate on the TURN server),
//! trickling candidates to each other through a signalling channel with a
//! delay, until both are connected (then application data crosses the
//! selected pair both ways, through the relay when the pair starts at a
//! relayed candidate) or both have failed, within a bounded simulated
//! time.

use std::collections::{BTreeMap, VecDeque};
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtw_ice::{
    Candidate, CandidateKind, ConnectionAddress, ConnectionState, Credentials, IceAgent, IceConfig,
    IceEvent, Role, TurnConfig,
};
use rtw_stun::Message;

use rtw_ice::SeededRandom;
use rtw_netsim::{Datagram, Delivery, LinkConfig, NatConfig, NatKind, NetStats, Network};

/// The public STUN server both agents use.
pub(crate) const STUN_SERVER: &str = "192.0.2.10:3478";

/// The public TURN server of scenarios with a relay.
pub(crate) const TURN_SERVER: &str = "192.0.2.20:3478";

/// The TURN server's one user, and its password.
pub(crate) const TURN_USER: (&str, &str) = ("sim", "sim-password");

/// The first byte of application datagrams: 128, in the RTP/RTCP range of
/// RFC 7983 §7, never taken for STUN (whose first two bits are zero).
const APP_MARK: u8 = 0x80;

/// Application datagrams go every this often once connected.
const APP_INTERVAL: Duration = Duration::from_millis(20);

/// Upper bound of loop turns in one run: far above what a run needs, so
/// that a busy agent ends the run instead of hanging the test.
const MAX_TURNS: u32 = 2_000_000;

/// Turns in a row without time moving before the run is declared stuck.
const MAX_STILL_TURNS: u32 = 10_000;

/// Lines of datagram trace kept for failure reports.
const TRACE_LIMIT: usize = 400;

/// Where a host sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Site {
    /// On a public address, no NAT.
    Public,
    /// On a private address behind a NAT of this kind.
    Behind(NatKind),
}

impl Site {
    /// A short name for scenario lines.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Site::Public => "public",
            Site::Behind(kind) => kind.name(),
        }
    }
}

/// One run: who sits where, how the network and signalling behave.
#[derive(Debug, Clone)]
pub(crate) struct Scenario {
    /// Printed in the result line.
    pub(crate) name: String,
    /// Where the controlling agent A sits.
    pub(crate) a: Site,
    /// Where the controlled agent B sits.
    pub(crate) b: Site,
    /// Every link of the network.
    pub(crate) link: LinkConfig,
    /// Delay of the signalling channel (candidates, end-of-candidates).
    pub(crate) signaling_delay: Duration,
    /// B is an ICE lite agent (RFC 8445 §2.5): host candidate only, no
    /// gathering, no checks of its own.
    pub(crate) b_lite: bool,
    /// Seeds the network, the agents' random sources and tie-breakers.
    pub(crate) seed: u64,
    /// The run gives up at this simulated time if neither outcome came.
    pub(crate) deadline: Duration,
    /// Application datagrams each side sends once connected (and again
    /// after `hold`, if that is not zero).
    pub(crate) app_datagrams: u32,
    /// How long the run goes on once both are connected before the
    /// second burst of application data; zero for no second burst. Longer
    /// than the NATs' 30 s mapping timeout, it shows that consent checks
    /// keep the path open.
    pub(crate) hold: Duration,
    /// B's initial role: `Controlled`, or `Controlling` for a role
    /// conflict (RFC 8445 §7.3.1.1).
    pub(crate) b_role: Role,
    /// A TURN server is on the network and both agents (but an ICE lite
    /// B) gather a relayed candidate from it, with these credentials
    /// (`TURN_USER` for the right ones).
    pub(crate) relay: Option<(&'static str, &'static str)>,
    /// Once both are connected and the data is through, both agents
    /// close (deleting their allocations) and the run goes on this long,
    /// so that the report shows what the TURN server holds after.
    pub(crate) close_after: Option<Duration>,
}

impl Scenario {
    /// A run named `name` with A at `a` and B at `b`, over 20 ms links
    /// without loss, 50 ms signalling, a 60 s deadline and 10 application
    /// datagrams each way.
    pub(crate) fn new(name: impl Into<String>, a: Site, b: Site) -> Self {
        Scenario {
            name: name.into(),
            a,
            b,
            link: LinkConfig::default(),
            signaling_delay: Duration::from_millis(50),
            b_lite: false,
            seed: 0x1CE_5EED,
            deadline: Duration::from_secs(60),
            app_datagrams: 10,
            hold: Duration::ZERO,
            b_role: Role::Controlled,
            relay: None,
            close_after: None,
        }
    }

    /// The same run with a TURN server both agents gather from.
    pub(crate) fn with_relay(mut self) -> Self {
        self.relay = Some(TURN_USER);
        self
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Both agents connected with a selected pair, this long after the start.
    Connected(Duration),
    /// Both agents reported `Failed`, this long after the start.
    Failed(Duration),
    /// Neither: the deadline passed, or nothing was left to happen, or an
    /// agent kept asking for a timeout in the past.
    Unfinished {
        /// When the run stopped.
        after: Duration,
        /// Why.
        why: String,
    },
}

/// Application data counts, indexed by side (0 = A, 1 = B).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct AppStats {
    /// Datagrams each side sent over its selected pair.
    pub(crate) sent: [u32; 2],
    /// Datagrams each side received.
    pub(crate) received: [u32; 2],
    /// Application datagrams an agent's `handle_receive` claimed as its
    /// own (it must return `false` for them).
    pub(crate) claimed_by_agent: u32,
    /// Application datagrams that came from another address than the
    /// receiver's selected remote.
    pub(crate) wrong_source: u32,
}

/// What a run did.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    /// The scenario.
    pub(crate) scenario: Scenario,
    /// How it ended.
    pub(crate) outcome: Outcome,
    /// Each agent's selected pair at the end.
    pub(crate) selected: [Option<(SocketAddr, SocketAddr)>; 2],
    /// Each agent's state at the end.
    pub(crate) states: [ConnectionState; 2],
    /// Each agent's role at the end.
    pub(crate) roles: [Role; 2],
    /// How many `RoleChanged` events each agent gave.
    pub(crate) role_changes: [u32; 2],
    /// Each agent's host address.
    pub(crate) hosts: [SocketAddr; 2],
    /// Each agent's relayed candidate, if it got one.
    pub(crate) relayed: [Option<SocketAddr>; 2],
    /// The TURN server's counters at the end (after the agents closed,
    /// if they did), when the scenario has one.
    pub(crate) turn: Option<rtw_turn::server::ServerStats>,
    /// Application data.
    pub(crate) app: AppStats,
    /// The network's counters.
    pub(crate) net: NetStats,
    /// Events of both agents with their times.
    pub(crate) timeline: Vec<String>,
    /// The first datagrams sent and received, and the first drops.
    pub(crate) trace: Vec<String>,
}

impl Report {
    /// Whether the selected pair goes through a relay: one side's
    /// selected local address is its relayed candidate.
    pub(crate) fn through_relay(&self) -> bool {
        (0..2).any(|i| {
            self.relayed[i].is_some() && self.selected[i].map(|(local, _)| local) == self.relayed[i]
        })
    }

    /// `scenario: <name>: connected in <N> ms` (with `through the relay`
    /// when it does), or `failed after`, or `UNFINISHED after`.
    pub(crate) fn line(&self) -> String {
        let name = &self.scenario.name;
        match &self.outcome {
            Outcome::Connected(t) if self.through_relay() => format!(
                "scenario: {name}: connected in {} ms through the relay",
                t.as_millis()
            ),
            Outcome::Connected(t) => format!("scenario: {name}: connected in {} ms", t.as_millis()),
            Outcome::Failed(t) => format!("scenario: {name}: failed after {} ms", t.as_millis()),
            Outcome::Unfinished { after, why } => {
                format!(
                    "scenario: {name}: UNFINISHED after {} ms ({why})",
                    after.as_millis()
                )
            }
        }
    }

    /// Everything known about the run, for a failed assertion.
    pub(crate) fn dump(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "{}", self.line());
        let _ = writeln!(
            s,
            "A host {} state {:?} selected {:?}",
            self.hosts[0], self.states[0], self.selected[0]
        );
        let _ = writeln!(
            s,
            "B host {} state {:?} selected {:?}",
            self.hosts[1], self.states[1], self.selected[1]
        );
        let _ = writeln!(
            s,
            "roles {:?}, role changes {:?}",
            self.roles, self.role_changes
        );
        let _ = writeln!(s, "relayed candidates {:?}", self.relayed);
        let _ = writeln!(s, "network: {:?}", self.net);
        let _ = writeln!(s, "TURN server: {:?}", self.turn);
        let _ = writeln!(s, "application data: {:?}", self.app);
        let _ = writeln!(s, "-- timeline --");
        for line in &self.timeline {
            let _ = writeln!(s, "{line}");
        }
        let _ = writeln!(s, "-- first datagrams and drops --");
        for line in &self.trace {
            let _ = writeln!(s, "{line}");
        }
        s
    }

    /// Print the result line, then check that both agents connected and
    /// that application data crossed the selected pair both ways.
    pub(crate) fn assert_connected(&self) {
        println!("{}", self.line());
        let fail = |what: &str| -> ! { panic!("{}: {what}\n{}", self.scenario.name, self.dump()) };
        if !matches!(self.outcome, Outcome::Connected(_)) {
            fail("expected both agents to connect");
        }
        for (i, side) in ["A", "B"].into_iter().enumerate() {
            // Agents that closed after the data phase have failed on
            // purpose.
            let closed = self.scenario.close_after.is_some();
            if !closed
                && !matches!(
                    self.states[i],
                    ConnectionState::Connected | ConnectionState::Completed
                )
            {
                fail(&format!(
                    "{side} left the connected states during the data phase"
                ));
            }
            match self.selected[i] {
                Some((local, _)) if local == self.hosts[i] => {}
                Some((local, _)) if Some(local) == self.relayed[i] => {}
                _ => fail(&format!(
                    "{side}'s selected pair must start at its host address or its relayed candidate"
                )),
            }
            if self.app.received[i] == 0 {
                fail(&format!("no application datagram reached {side}"));
            }
            if self.scenario.link.loss == 0.0 && self.app.received[i] != self.app.sent[1 - i] {
                fail(&format!(
                    "without loss every application datagram must reach {side}"
                ));
            }
        }
        if self.app.claimed_by_agent != 0 {
            fail("handle_receive returned true for application data");
        }
        if self.app.wrong_source != 0 {
            fail("application data came from another address than the receiver's selected remote");
        }
    }

    /// Print the result line, then check that both agents failed.
    pub(crate) fn assert_failed(&self) {
        println!("{}", self.line());
        if !matches!(self.outcome, Outcome::Failed(_)) {
            panic!(
                "{}: expected both agents to report Failed\n{}",
                self.scenario.name,
                self.dump()
            );
        }
    }
}

/// A message on the signalling channel.
#[derive(Debug, Clone)]
enum Signal {
    Candidate(Candidate),
    EndOfCandidates,
}

/// One agent and its host.
struct Side {
    label: &'static str,
    agent: IceAgent,
    host: SocketAddr,
    relayed: Option<SocketAddr>,
    end_signalled: bool,
    connected: bool,
    role_changes: u32,
}

/// A run in progress.
struct Sim<'a> {
    scenario: &'a Scenario,
    t0: Instant,
    /// The run's simulated time.
    clock: Instant,
    net: Network,
    sides: [Side; 2],
    signals: BTreeMap<(Instant, u64), (usize, Signal)>,
    signal_seq: u64,
    timeline: Vec<String>,
    trace: Vec<(Instant, String)>,
    app: AppStats,
}

/// Run `scenario` to its end.
pub(crate) fn run(scenario: &Scenario) -> Report {
    let t0 = Instant::now();
    let mut rng = SeededRandom::new(scenario.seed);
    let mut net = Network::new(scenario.link, SeededRandom::new(rng.next_u64()));
    let stun: SocketAddr = STUN_SERVER.parse().expect("a socket address");
    net.add_stun_server(stun);
    let turn: SocketAddr = TURN_SERVER.parse().expect("a socket address");
    if scenario.relay.is_some() {
        net.add_turn_server(turn, &[TURN_USER]);
    }
    let hosts = [
        place(&mut net, scenario.a, "10.0.1.2:5000", [203, 0, 113, 1]),
        place(&mut net, scenario.b, "10.0.2.2:6000", [198, 51, 100, 1]),
    ];
    let credentials = [
        Credentials {
            ufrag: "ufragA".into(),
            pwd: "pwdA-0123456789abcdefghij".into(),
        },
        Credentials {
            ufrag: "ufragB".into(),
            pwd: "pwdB-0123456789abcdefghij".into(),
        },
    ];
    let mut agent = |role: Role, lite: bool, local: &Credentials, remote: &Credentials| {
        let random = SeededRandom::new(rng.next_u64());
        let tie_breaker = rng.next_u64();
        let mut agent = IceAgent::new(
            config(lite),
            role,
            tie_breaker,
            local.clone(),
            Box::new(random),
        );
        agent.set_remote_credentials(remote.clone());
        agent
    };
    let a = agent(Role::Controlling, false, &credentials[0], &credentials[1]);
    let b = agent(
        scenario.b_role,
        scenario.b_lite,
        &credentials[1],
        &credentials[0],
    );
    let mut sim = Sim {
        scenario,
        t0,
        clock: t0,
        net,
        sides: [
            Side {
                label: "A",
                agent: a,
                host: hosts[0],
                relayed: None,
                end_signalled: false,
                connected: false,
                role_changes: 0,
            },
            Side {
                label: "B",
                agent: b,
                host: hosts[1],
                relayed: None,
                end_signalled: false,
                connected: false,
                role_changes: 0,
            },
        ],
        signals: BTreeMap::new(),
        signal_seq: 0,
        timeline: Vec::new(),
        trace: Vec::new(),
        app: AppStats::default(),
    };
    if scenario.b_lite {
        sim.sides[0].agent.set_remote_lite(true);
    }
    for i in 0..2 {
        let host = sim.sides[i].host;
        let candidate = sim.sides[i].agent.add_host_candidate(host, 1, 65535);
        sim.note(t0, i, format!("host candidate {}", describe(&candidate)));
        sim.signal(t0, 1 - i, Signal::Candidate(candidate));
        if i == 1 && scenario.b_lite {
            // A lite agent gathers nothing more (RFC 8445 §5.1.1).
            sim.sides[i].end_signalled = true;
            sim.signal(t0, 0, Signal::EndOfCandidates);
        } else {
            sim.sides[i]
                .agent
                .gather_server_reflexive(t0, host, stun)
                .expect("the host candidate's base");
            if let Some((user, pass)) = scenario.relay {
                sim.sides[i]
                    .agent
                    .gather_relayed(t0, host, turn, TurnConfig::new(user, pass))
                    .expect("the host candidate's base, valid credentials");
            }
        }
        sim.drain(i, t0);
    }
    let outcome = sim.run_loop();
    if let (Some(settle), Outcome::Connected(_)) = (scenario.close_after, &outcome) {
        sim.close_and_settle(settle);
    }
    sim.report(outcome, hosts)
}

/// The agents' settings: the defaults (RFC values), lite as asked.
fn config(lite: bool) -> IceConfig {
    IceConfig::default().lite(lite)
}

/// Put a host at `site`: on `private` behind a new NAT on `public_ip`, or
/// on `public_ip` with the port of `private`. Its local address.
fn place(net: &mut Network, site: Site, private: &str, public_ip: [u8; 4]) -> SocketAddr {
    let private: SocketAddr = private.parse().expect("a socket address");
    let public_ip = IpAddr::from(public_ip);
    match site {
        Site::Public => {
            let addr = SocketAddr::new(public_ip, private.port());
            net.add_host(addr, None);
            addr
        }
        Site::Behind(kind) => {
            let nat = net.add_nat(public_ip, NatConfig::of(kind));
            net.add_host(private, Some(nat));
            private
        }
    }
}

/// `srflx 203.0.113.1:40000` and the like.
fn describe(candidate: &Candidate) -> String {
    let address = match &candidate.address {
        ConnectionAddress::Ip(ip) => ip.to_string(),
        ConnectionAddress::Fqdn(name) => name.clone(),
    };
    format!(
        "{:?} {address}:{} prio {}",
        candidate.kind, candidate.port, candidate.priority
    )
}

/// `Request Method(1) 108 B`, or `non-STUN 12 B`.
fn describe_datagram(contents: &[u8]) -> String {
    match Message::parse(contents) {
        Ok(m) => format!("{:?} {:?} {} B", m.class(), m.method(), contents.len()),
        Err(_) => format!("non-STUN {} B", contents.len()),
    }
}

impl Sim<'_> {
    /// Milliseconds since the start.
    fn ms(&self, t: Instant) -> u128 {
        t.saturating_duration_since(self.t0).as_millis()
    }

    /// A timeline entry for side `i`.
    fn note(&mut self, t: Instant, i: usize, text: String) {
        let line = format!("{:>6} ms {} {text}", self.ms(t), self.sides[i].label);
        self.timeline.push(line);
    }

    /// A datagram trace line for side `i`.
    fn trace(&mut self, t: Instant, i: usize, text: String) {
        if self.trace.len() < TRACE_LIMIT {
            let line = format!("{} {text}", self.sides[i].label);
            self.trace.push((t, line));
        }
    }

    /// Send `signal` to side `to`; it arrives after the signalling delay.
    fn signal(&mut self, now: Instant, to: usize, signal: Signal) {
        self.signal_seq += 1;
        let at = now + self.scenario.signaling_delay;
        self.signals.insert((at, self.signal_seq), (to, signal));
    }

    /// Take every datagram and event side `i` has ready.
    fn drain(&mut self, i: usize, now: Instant) {
        while let Some(t) = self.sides[i].agent.poll_transmit() {
            let what = describe_datagram(&t.contents);
            let source = t
                .source
                .expect("the agent names the base of every transmit");
            self.trace(now, i, format!("send {source} -> {} {what}", t.destination));
            self.net.send(
                now,
                Datagram {
                    source,
                    destination: t.destination,
                    contents: t.contents,
                },
            );
        }
        while let Some(event) = self.sides[i].agent.poll_event() {
            match event {
                IceEvent::LocalCandidate(candidate) => {
                    self.note(now, i, format!("LocalCandidate {}", describe(&candidate)));
                    if candidate.kind == CandidateKind::Relayed {
                        self.sides[i].relayed = candidate.socket_addr();
                    }
                    self.signal(now, 1 - i, Signal::Candidate(candidate));
                }
                IceEvent::GatheringComplete => {
                    self.note(now, i, "GatheringComplete".into());
                    if !self.sides[i].end_signalled {
                        self.sides[i].end_signalled = true;
                        self.signal(now, 1 - i, Signal::EndOfCandidates);
                    }
                }
                IceEvent::RoleChanged(role) => {
                    self.note(now, i, format!("RoleChanged({role:?})"));
                    self.sides[i].role_changes += 1;
                }
                other => self.note(now, i, format!("{other:?}")),
            }
        }
    }

    /// Hand the signals due by `now` to their agents.
    fn deliver_signals(&mut self, now: Instant) {
        while let Some(entry) = self.signals.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let (to, signal) = entry.remove();
            match signal {
                Signal::Candidate(candidate) => {
                    self.note(now, to, format!("gets remote {}", describe(&candidate)));
                    self.sides[to]
                        .agent
                        .add_remote_candidate(now, candidate)
                        .expect("within the limits");
                }
                Signal::EndOfCandidates => {
                    self.note(now, to, "gets end-of-candidates".into());
                    self.sides[to].agent.end_of_remote_candidates();
                }
            }
            self.drain(to, now);
        }
    }

    /// Hand a datagram to the agent whose host it reached.
    fn deliver(&mut self, d: Delivery) {
        let i = self
            .sides
            .iter()
            .position(|s| s.host == d.destination)
            .expect("the network delivers to hosts only");
        let what = describe_datagram(&d.contents);
        self.trace(
            d.at,
            i,
            format!("recv {} -> {} {what}", d.source, d.destination),
        );
        let is_app = d.contents.first() == Some(&APP_MARK);
        let claimed =
            self.sides[i]
                .agent
                .handle_receive(d.at, d.source, d.destination, &d.contents);
        if is_app {
            if claimed {
                self.app.claimed_by_agent += 1;
            } else {
                self.app.received[i] += 1;
                let expected = self.sides[i]
                    .agent
                    .selected_pair()
                    .map(|(_, remote)| remote);
                if expected != Some(d.source) {
                    self.app.wrong_source += 1;
                    self.note(
                        d.at,
                        i,
                        format!(
                            "application data from {} but selected {expected:?}",
                            d.source
                        ),
                    );
                }
            }
        } else if !claimed {
            self.trace(d.at, i, "  (handle_receive returned false)".into());
        }
        // Application data that came through the relay.
        while let Some(relayed) = self.sides[i].agent.poll_relayed_data() {
            if relayed.data.first() != Some(&APP_MARK) {
                continue;
            }
            self.app.received[i] += 1;
            let expected = self.sides[i]
                .agent
                .selected_pair()
                .map(|(_, remote)| remote);
            if expected != Some(relayed.peer) || self.sides[i].relayed != Some(relayed.relayed) {
                self.app.wrong_source += 1;
                self.note(
                    d.at,
                    i,
                    format!(
                        "relayed application data from {} to {} but selected {expected:?}",
                        relayed.peer, relayed.relayed
                    ),
                );
            }
        }
        self.drain(i, d.at);
    }

    /// Whether side `i` is connected with a selected pair.
    fn is_connected(&self, i: usize) -> bool {
        let agent = &self.sides[i].agent;
        matches!(
            agent.state(),
            ConnectionState::Connected | ConnectionState::Completed
        ) && agent.selected_pair().is_some()
    }

    /// Each side sends application datagram number `n` over its selected
    /// pair: from its host socket, or through the agent when the pair
    /// starts at its relayed candidate.
    fn send_app(&mut self, now: Instant, n: u32) {
        for i in 0..2 {
            if let Some((source, destination)) = self.sides[i].agent.selected_pair() {
                let mut contents = vec![APP_MARK, i as u8];
                contents.extend_from_slice(&n.to_be_bytes());
                if source != self.sides[i].host {
                    self.sides[i]
                        .agent
                        .send_data(now, &contents)
                        .expect("a selected pair");
                    self.drain(i, now);
                    self.app.sent[i] += 1;
                    continue;
                }
                self.net.send(
                    now,
                    Datagram {
                        source,
                        destination,
                        contents: Bytes::from(contents),
                    },
                );
                self.app.sent[i] += 1;
            }
        }
    }

    /// Run until an outcome, the deadline, or a stall.
    fn run_loop(&mut self) -> Outcome {
        let deadline = self.t0 + self.scenario.deadline;
        let link = self.scenario.link;
        let mut now = self.t0;
        let mut outcome: Option<Outcome> = None;
        // Once connected: when application datagrams go, how many went,
        // and when the run ends.
        let mut app_times: VecDeque<Instant> = VecDeque::new();
        let mut app_count = 0;
        let mut end_at: Option<Instant> = None;
        let mut still = 0;
        for _ in 0..MAX_TURNS {
            self.deliver_signals(now);
            while let Some(d) = self.net.poll_delivery(now) {
                self.deliver(d);
            }
            for i in 0..2 {
                if self.sides[i].agent.poll_timeout().is_some_and(|t| t <= now) {
                    self.sides[i].agent.handle_timeout(now);
                    self.drain(i, now);
                }
            }
            while app_times.front().is_some_and(|t| *t <= now) {
                app_times.pop_front();
                self.send_app(now, app_count);
                app_count += 1;
            }
            for i in 0..2 {
                let connected = self.is_connected(i);
                if connected != self.sides[i].connected {
                    self.sides[i].connected = connected;
                    let text = match self.sides[i].agent.selected_pair() {
                        Some((l, r)) if connected => format!("== connected, selected {l} -> {r}"),
                        _ => "== no longer connected".to_string(),
                    };
                    self.note(now, i, text);
                }
            }
            let after = now - self.t0;
            if outcome.is_none() && self.sides.iter().all(|s| s.connected) {
                outcome = Some(Outcome::Connected(after));
                let mut bursts = vec![now];
                if !self.scenario.hold.is_zero() {
                    bursts.push(now + self.scenario.hold);
                }
                for start in bursts {
                    app_times
                        .extend((0..self.scenario.app_datagrams).map(|k| start + APP_INTERVAL * k));
                }
                let last = app_times.back().copied().unwrap_or(now);
                let round_trip = 2 * (link.latency + link.jitter);
                end_at = Some(last + round_trip + Duration::from_secs(1));
            }
            let failed = self
                .sides
                .iter()
                .all(|s| s.agent.state() == ConnectionState::Failed);
            if outcome.is_none() && failed {
                return Outcome::Failed(after);
            }
            if end_at.is_some_and(|t| now >= t) {
                return outcome.expect("end_at is set on connection");
            }
            let next = [
                self.net.poll_timeout(),
                self.signals.keys().next().map(|(t, _)| *t),
                self.sides[0].agent.poll_timeout(),
                self.sides[1].agent.poll_timeout(),
                app_times.front().copied(),
                end_at,
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = next else {
                return outcome.unwrap_or_else(|| Outcome::Unfinished {
                    after,
                    why: "nothing left to happen: no timer, datagram or signal pending".into(),
                });
            };
            if outcome.is_none() && next > deadline {
                return Outcome::Unfinished {
                    after,
                    why: format!("deadline of {} s passed", self.scenario.deadline.as_secs()),
                };
            }
            if next <= now {
                still += 1;
                if still > MAX_STILL_TURNS {
                    return Outcome::Unfinished {
                        after,
                        why: "time stopped: poll_timeout stays at or before now".into(),
                    };
                }
            } else {
                still = 0;
                now = next;
                self.clock = now;
            }
        }
        Outcome::Unfinished {
            after: now - self.t0,
            why: format!("{MAX_TURNS} loop turns"),
        }
    }

    /// Both agents close (deleting their TURN allocations) after the
    /// run, which goes on for `settle` so that the deletions are answered.
    fn close_and_settle(&mut self, settle: Duration) {
        let start = self.clock;
        for i in 0..2 {
            self.sides[i].agent.close(start);
            self.note(start, i, "close".into());
            self.drain(i, start);
        }
        let end = start + settle;
        let mut now = start;
        loop {
            while let Some(d) = self.net.poll_delivery(now) {
                self.deliver(d);
            }
            for i in 0..2 {
                if self.sides[i].agent.poll_timeout().is_some_and(|t| t <= now) {
                    self.sides[i].agent.handle_timeout(now);
                    self.drain(i, now);
                }
            }
            let next = [
                self.net.poll_timeout(),
                self.sides[0].agent.poll_timeout(),
                self.sides[1].agent.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
            match next {
                Some(t) if t <= end => now = now.max(t),
                _ => return,
            }
        }
    }

    /// The report of the finished run.
    fn report(self, outcome: Outcome, hosts: [SocketAddr; 2]) -> Report {
        let turn_addr: SocketAddr = TURN_SERVER.parse().expect("a socket address");
        let turn = self.net.turn_server(turn_addr).map(|t| t.stats());
        let mut events = self.trace;
        events.extend(
            self.net
                .drops()
                .iter()
                .map(|(t, what)| (*t, format!("net drop {what}"))),
        );
        // Stable: equal times keep the order they happened in.
        events.sort_by_key(|(t, _)| *t);
        let trace = events
            .into_iter()
            .map(|(t, line)| {
                format!(
                    "{:>6} ms {line}",
                    t.saturating_duration_since(self.t0).as_millis()
                )
            })
            .collect();
        Report {
            scenario: self.scenario.clone(),
            outcome,
            selected: [
                self.sides[0].agent.selected_pair(),
                self.sides[1].agent.selected_pair(),
            ],
            states: [self.sides[0].agent.state(), self.sides[1].agent.state()],
            roles: [self.sides[0].agent.role(), self.sides[1].agent.role()],
            role_changes: [self.sides[0].role_changes, self.sides[1].role_changes],
            hosts,
            relayed: [self.sides[0].relayed, self.sides[1].relayed],
            turn,
            app: self.app,
            net: self.net.stats(),
            timeline: self.timeline,
            trace,
        }
    }
}
