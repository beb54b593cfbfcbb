//! Fuzz a running `IceAgent` with arbitrary datagrams and times: it never
//! panics, time never runs backwards in its answers, and whatever it sends
//! is a STUN message that parses; after a timeout is handled the next one
//! is later, so a caller can never spin.
//!
//! The input is a sequence of records. Each starts with a control byte:
//! its low bit says whether the record's bytes go in raw, or as the
//! attributes of a Binding request that is properly authenticated with the
//! agent's password (so the fuzzer reaches past MESSAGE-INTEGRITY); the
//! next bits pick the source address; a second byte advances the clock.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtw_fuzz::steps;
use rtw_ice::{
    Candidate, CandidateTransport, Credentials, IceAgent, IceConfig, Role, SeededRandom,
};
use rtw_stun::attributes::{IceControlled, IceControlling, Priority, UseCandidate, Username};
use rtw_stun::{Class, Message, MessageBuilder, MessageType, Method, TransactionId};

const LOCAL_PWD: &str = "localpasswordlocalpassword";

fn sources() -> [SocketAddr; 4] {
    [
        "198.51.100.2:2000".parse().unwrap(),
        "198.51.100.3:3000".parse().unwrap(),
        "192.0.2.10:3478".parse().unwrap(),
        "[2001:db8::2]:4000".parse().unwrap(),
    ]
}

/// A Binding request from the peer, authenticated with our password, with
/// attributes chosen by `bytes`.
fn authenticated_check(bytes: &[u8]) -> Vec<u8> {
    let get = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let mut tid = [0u8; 12];
    for (i, b) in tid.iter_mut().enumerate() {
        *b = get(i);
    }
    let class = if get(12) & 0x80 == 0 {
        Class::Request
    } else {
        Class::Indication
    };
    let mut b = MessageBuilder::new(MessageType::new(Method::BINDING, class), TransactionId(tid));
    let flags = get(13);
    let tie = u64::from_le_bytes(std::array::from_fn(|i| get(14 + i)));
    let username = if flags & 1 == 0 {
        "local:remote"
    } else {
        "other:remote"
    };
    let _ = b.add(&Username::new(username).unwrap());
    if flags & 2 == 0 {
        let _ = b.add(&Priority(u32::from_le_bytes(std::array::from_fn(|i| {
            get(22 + i)
        }))));
    }
    match flags >> 2 & 3 {
        0 => drop(b.add(&IceControlling(tie))),
        1 => drop(b.add(&IceControlled(tie))),
        _ => {}
    }
    if flags & 16 != 0 {
        let _ = b.add(&UseCandidate);
    }
    let _ = b.add_message_integrity(LOCAL_PWD.as_bytes());
    if flags & 32 == 0 {
        let _ = b.add_fingerprint();
    }
    b.finish().to_vec()
}

fuzz_target!(|data: &[u8]| {
    let t0 = Instant::now();
    let local: SocketAddr = "192.0.2.1:1000".parse().unwrap();
    let credentials = Credentials {
        ufrag: "local".into(),
        pwd: LOCAL_PWD.into(),
    };
    // Seeded: deterministic runs.
    let random = Box::new(SeededRandom::new(0));
    let role = if data.first().is_some_and(|b| b & 1 == 1) {
        Role::Controlling
    } else {
        Role::Controlled
    };
    let mut agent = IceAgent::new(IceConfig::default(), role, 7, credentials, random);
    agent.add_host_candidate(local, 1, 65535);
    agent.set_remote_credentials(Credentials {
        ufrag: "remote".into(),
        pwd: "remotepasswordremotepassword".into(),
    });
    let remote = Candidate::host(sources()[0], 1, 65535, CandidateTransport::Udp);
    agent
        .add_remote_candidate(t0, remote)
        .expect("one candidate is within the limits");
    agent
        .gather_server_reflexive(t0, local, sources()[2])
        .expect("local is a host base");

    let mut now = t0;
    for (control, advance, body) in steps(data.get(1..).unwrap_or_default(), 64) {
        now += Duration::from_millis(u64::from(advance) * 20);
        let source = sources()[usize::from(control >> 1 & 3)];
        let datagram = if control & 1 == 1 {
            authenticated_check(body)
        } else {
            body.to_vec()
        };
        agent.handle_receive(now, source, local, &datagram);
        if control & 0x40 != 0 {
            agent.end_of_remote_candidates();
        }
        if let Some(t) = agent.poll_timeout() {
            if t <= now + Duration::from_secs(60) {
                now = now.max(t);
                agent.handle_timeout(now);
                // Handling a timeout moves the next one past it: the
                // agent can never make its caller spin.
                assert!(
                    agent.poll_timeout().is_none_or(|next| next > now),
                    "spins at {now:?}"
                );
            }
        }
        while let Some(t) = agent.poll_transmit() {
            assert!(Message::parse(&t.contents).is_ok(), "the agent sends STUN");
            assert_eq!(t.source, Some(local), "every transmit names its base");
        }
        while agent.poll_event().is_some() {}
    }
    let _ = (agent.state(), agent.selected_pair(), agent.role());
});
