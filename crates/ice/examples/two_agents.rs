//! Two ICE agents connect through an in-memory network in virtual time
//! (RFC 8445): credentials and host candidates are signalled, checks and
//! answers cross a link with 10 ms of delay that loses the first check,
//! the controlling agent nominates, both select the same pair, and consent
//! checks (RFC 7675) keep it for a minute of virtual time.
//!
//! `cargo run -p rtw-ice --example two_agents` prints what each agent
//! reports and exits 0 at once: no clock is read and nothing sleeps.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtw_ice::{
    ConnectionState, Credentials, IceAgent, IceConfig, IceEvent, Role, SeededRandom, Transmit,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let credentials = |ufrag: &str| Credentials {
        ufrag: ufrag.into(),
        pwd: format!("{ufrag}-a-password-of-22-chars"),
    };
    // Randomness (transaction IDs, consent jitter) is the caller's:
    // rtw_tokio::OsRandom over real sockets, seeded here so that every run
    // is the same run.
    let agent = |role, tie_breaker, ufrag| {
        IceAgent::new(
            IceConfig::default(),
            role,
            tie_breaker,
            credentials(ufrag),
            Box::new(SeededRandom::new(tie_breaker)),
        )
    };
    let mut agents = [
        agent(Role::Controlling, 2, "alice"),
        agent(Role::Controlled, 1, "bobby"),
    ];
    let addrs: [SocketAddr; 2] = ["192.0.2.1:5000".parse()?, "198.51.100.2:6000".parse()?];
    let names = ["alice", "bobby"];

    // Signalling, here in memory: credentials, host candidates, then
    // end-of-candidates (RFC 8838).
    let t0 = Instant::now();
    let hosts = [
        agents[0].add_host_candidate(addrs[0], 1, 65535),
        agents[1].add_host_candidate(addrs[1], 1, 65535),
    ];
    for i in 0..2 {
        let j = 1 - i;
        let remote = agents[j].local_credentials().clone();
        agents[i].set_remote_credentials(remote);
        agents[i].add_remote_candidate(t0, hosts[j].clone())?;
        agents[i].end_of_remote_candidates();
        println!("{} signals {}", names[j], hosts[j].to_sdp_line());
    }

    let mut now = t0;
    let mut in_flight: Vec<(Instant, Transmit)> = Vec::new();
    let mut sent = 0;
    let end = t0 + Duration::from_secs(60);
    while now < end {
        for (i, agent) in agents.iter_mut().enumerate() {
            while let Some(t) = agent.poll_transmit() {
                sent += 1;
                // The very first datagram is lost: a retransmission or the
                // peer's triggered check makes up for it.
                if sent > 1 {
                    in_flight.push((now + Duration::from_millis(10), t));
                }
            }
            while let Some(event) = agent.poll_event() {
                let at = (now - t0).as_millis();
                match event {
                    IceEvent::StateChanged(state) => println!("{at:>6} ms {} {state:?}", names[i]),
                    IceEvent::SelectedPair {
                        source,
                        destination,
                    } => println!("{at:>6} ms {} selects {source} -> {destination}", names[i]),
                    other => println!("{at:>6} ms {} {other:?}", names[i]),
                }
            }
        }
        let arrivals = in_flight.iter().map(|(at, _)| *at);
        let timers = agents.iter().filter_map(IceAgent::poll_timeout);
        now = arrivals.chain(timers).min().unwrap_or(end).min(end);
        let (due, later) = in_flight.into_iter().partition(|(at, _)| *at <= now);
        in_flight = later;
        for (_, t) in due {
            let to = usize::from(t.destination == addrs[1]);
            let source = t
                .source
                .ok_or("every transmit of an agent names its base")?;
            agents[to].handle_receive(now, source, t.destination, &t.contents);
        }
        for agent in &mut agents {
            agent.handle_timeout(now);
        }
    }
    for (i, agent) in agents.iter().enumerate() {
        if agent.state() != ConnectionState::Completed {
            return Err(format!("{} ended {:?}", names[i], agent.state()).into());
        }
    }
    assert_eq!(agents[0].selected_pair(), Some((addrs[0], addrs[1])));
    assert_eq!(agents[1].selected_pair(), Some((addrs[1], addrs[0])));
    println!("{sent} datagrams in 60 s of virtual time; both agents completed");
    Ok(())
}
