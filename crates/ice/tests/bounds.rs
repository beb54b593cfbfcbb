//! What an agent keeps for a peer stays bounded (`docs/ARCHITECTURE.md`
//! §2.8): remote candidates (signalled and peer-reflexive from
//! authenticated checks) by `Limits::max_remote_candidates`, and the pair
//! list, removed pairs included, by twice `Limits::max_pairs`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtw_ice::{
    Candidate, CandidateTransport, Credentials, Error, IceAgent, IceConfig, Limits, Role,
    SeededRandom,
};
use rtw_stun::attributes::{IceControlling, Priority, Username};
use rtw_stun::{Class, Message, MessageBuilder, MessageType, Method, TransactionId};

const LOCAL: &str = "192.0.2.1:1000";

fn credentials(ufrag: &str) -> Credentials {
    Credentials {
        ufrag: ufrag.into(),
        pwd: format!("{ufrag}passwordpasswordpassword"),
    }
}

fn controlled(limits: Limits) -> IceAgent {
    let config = IceConfig::default().limits(limits);
    let mut agent = IceAgent::new(
        config,
        Role::Controlled,
        1,
        credentials("bbbb"),
        Box::new(SeededRandom::new(1)),
    );
    agent.add_host_candidate(LOCAL.parse().unwrap(), 1, 65535);
    agent.set_remote_credentials(credentials("aaaa"));
    agent
}

/// A connectivity check from the peer "aaaa" to "bbbb", authenticated
/// with b's password (RFC 8445 §7.2.2), with a fresh transaction ID.
fn check(random: &mut SeededRandom, priority: u32) -> Vec<u8> {
    let typ = MessageType::new(Method::BINDING, Class::Request);
    MessageBuilder::new(typ, TransactionId::random(random))
        .with(&Username::new("bbbb:aaaa").unwrap())
        .unwrap()
        .with(&Priority(priority))
        .unwrap()
        .with(&IceControlling(7))
        .unwrap()
        .with_message_integrity(credentials("bbbb").pwd.as_bytes())
        .unwrap()
        .with_fingerprint()
        .unwrap()
        .finish()
        .to_vec()
}

/// `(remotes, pairs)` as the agent's Debug output counts them.
fn stored(agent: &IceAgent) -> (usize, usize) {
    let debug = format!("{agent:?}");
    let count = |field: &str| -> usize {
        let at = debug.find(&format!("{field}: ")).unwrap() + field.len() + 2;
        let digits: String = debug[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().unwrap()
    };
    (count("remotes"), count("pairs"))
}

#[test]
fn peer_reflexive_remotes_and_pairs_stay_bounded_under_a_flood_of_checks() {
    let limits = Limits::default().max_pairs(3).max_remote_candidates(5);
    let mut agent = controlled(limits);
    let local: SocketAddr = LOCAL.parse().unwrap();
    let mut random = SeededRandom::new(9);
    let t0 = Instant::now();
    let mut now = t0;
    let mut answered = 0;
    let mut most = (0, 0);
    // 40 rounds of checks from 20 addresses: every check is answered,
    // but only 5 sources are kept and the pair list never passes 6.
    for round in 0..40u32 {
        for port in 0..20u16 {
            let source = SocketAddr::from(([198, 51, 100, 1], 40_000 + port));
            let priority = 1_000 + round * 20 + u32::from(port);
            assert!(agent.handle_receive(now, source, local, &check(&mut random, priority)));
            while let Some(t) = agent.poll_transmit() {
                let msg = Message::parse(&t.contents).unwrap();
                if msg.class() == Class::SuccessResponse && t.destination == source {
                    answered += 1;
                }
            }
            let (remotes, pairs) = stored(&agent);
            most = (most.0.max(remotes), most.1.max(pairs));
        }
        now += Duration::from_millis(50);
        agent.handle_timeout(now);
        while agent.poll_transmit().is_some() {}
    }
    assert_eq!(answered, 40 * 20, "every authenticated check is answered");
    assert_eq!(most.0, 5, "remotes are bounded by max_remote_candidates");
    assert!(
        most.1 <= 6,
        "pairs bounded by 2 x max_pairs, got {}",
        most.1
    );
    assert!(agent.check_list().len() <= 3);
}

#[test]
fn signalled_candidates_beyond_the_limit_are_refused() {
    let mut agent = controlled(Limits::default().max_remote_candidates(2));
    let t0 = Instant::now();
    let candidate = |port: u16| {
        Candidate::host(
            SocketAddr::from(([198, 51, 100, 2], port)),
            1,
            65535,
            CandidateTransport::Udp,
        )
    };
    agent.add_remote_candidate(t0, candidate(1)).unwrap();
    agent.add_remote_candidate(t0, candidate(2)).unwrap();
    // The same address again replaces nothing and is not refused.
    agent.add_remote_candidate(t0, candidate(2)).unwrap();
    let err = agent.add_remote_candidate(t0, candidate(3)).unwrap_err();
    assert_eq!(err, Error::TooManyRemoteCandidates { limit: 2 });
    assert!(err.is_peer_fault());
    assert_eq!(stored(&agent).0, 2);
}

#[test]
fn gathering_from_an_unknown_base_is_caller_misuse() {
    let mut agent = controlled(Limits::default());
    let base: SocketAddr = "192.0.2.99:1".parse().unwrap();
    let err = agent
        .gather_server_reflexive(Instant::now(), base, "192.0.2.10:3478".parse().unwrap())
        .unwrap_err();
    assert_eq!(err, Error::UnknownBase(base));
    assert!(!err.is_peer_fault());
    assert!(agent.poll_transmit().is_none());
}
