//! Two ICE agents connecting through a simulated network in virtual time:
//! every pair of NAT types, loss, jitter, latency and an ICE lite peer.
//!
//! Each scenario prints `scenario: <name>: connected in <N> ms` (or
//! `failed after <N> ms`); `cargo test -p rtw-ice --test simulation --
//! --nocapture` shows them, and `summary` prints them all as a table.
//!
//! A is controlling, B controlled; A sits at 10.0.1.2:5000 behind a NAT on
//! 203.0.113.1 (or on 203.0.113.1:5000 when public), B at 10.0.2.2:6000
//! behind 198.51.100.1; the STUN server is 192.0.2.10:3478. Without a
//! relay, ICE connects unless both NATs filter by address and port and at
//! least one of them also maps by address and port: symmetric with
//! symmetric or with port-restricted.
//!
//! With a relay (a TURN server on 192.0.2.20:3478, rtw-turn's, from which
//! both agents gather a relayed candidate), every pair connects: the
//! three that fail without one connect through the relay, and
//! `summary_with_relay` prints that table too.

mod sim;

use std::time::Duration;

use rtw_ice::Role;
use rtw_netsim::LinkConfig;
use rtw_netsim::NatKind;
use sim::driver::{Outcome, Report, Scenario, Site, run};

/// Whether ICE without a relay can connect A behind `a` to B behind `b`.
///
/// Each side learns its server-reflexive address (its mapping towards the
/// STUN server) and sends checks to the other's. A symmetric NAT sends
/// them from a new port, made for that destination; the other side can
/// only take them (and learn the peer-reflexive address) if its filter
/// lets in a port it never sent to, which full-cone and address-restricted
/// filters do and port-restricted and symmetric ones do not. Two symmetric
/// NATs also each send from a port the other never saw.
fn ice_connects(a: NatKind, b: NatKind) -> bool {
    use NatKind::{PortRestricted, Symmetric};
    !matches!(
        (a, b),
        (Symmetric, Symmetric) | (Symmetric, PortRestricted) | (PortRestricted, Symmetric)
    )
}

/// The scenario for A behind `a` and B behind `b`, on default links.
fn nat_pair(a: NatKind, b: NatKind) -> Scenario {
    Scenario::new(
        format!("{} <-> {}", a.name(), b.name()),
        Site::Behind(a),
        Site::Behind(b),
    )
}

/// The scenario for A behind `a` and B behind `b` with a TURN server
/// both gather from.
fn nat_pair_with_relay(a: NatKind, b: NatKind) -> Scenario {
    let mut s = nat_pair(a, b).with_relay();
    s.name = format!("{} with a relay", s.name);
    s
}

/// Run `scenario` and check the outcome is `connects` (or failure).
/// With `RTW_ICE_SIM_DUMP` set, the whole report (timeline, datagrams,
/// drops) is printed too.
fn check(scenario: &Scenario, connects: bool) -> Report {
    let report = run(scenario);
    if std::env::var_os("RTW_ICE_SIM_DUMP").is_some() {
        println!("{}", report.dump());
    }
    if connects {
        report.assert_connected();
    } else {
        report.assert_failed();
    }
    report
}

/// Every scenario beyond the NAT table, with its expected outcome.
fn special_scenarios() -> Vec<(Scenario, bool)> {
    vec![
        (no_nat(), true),
        (loss_30_percent(), true),
        (jitter_and_reordering(), true),
        (latency_100ms(), true),
        (lite_peer(NatKind::PortRestricted), true),
        (lite_peer(NatKind::Symmetric), true),
        (held_90s(), true),
        (role_conflict(), true),
    ]
}

/// The scenarios with a relay beyond the NAT table; every one connects.
fn special_relay_scenarios() -> Vec<Scenario> {
    vec![relay_with_loss(), relay_held_90s(), relay_to_lite_peer()]
}

fn relay_with_loss() -> Scenario {
    let mut s = nat_pair_with_relay(NatKind::Symmetric, NatKind::Symmetric);
    s.name = format!("{} and 30 % loss", s.name);
    s.link.loss = 0.3;
    s
}

fn relay_held_90s() -> Scenario {
    let mut s = nat_pair_with_relay(NatKind::PortRestricted, NatKind::Symmetric);
    s.name = format!(
        "{} held 90 s (NAT mappings time out after 30 s idle)",
        s.name
    );
    s.hold = Duration::from_secs(90);
    s
}

fn relay_to_lite_peer() -> Scenario {
    let mut s = lite_peer(NatKind::Symmetric).with_relay();
    s.name = format!("{} with a relay for A", s.name);
    s
}

fn held_90s() -> Scenario {
    let mut s = nat_pair(NatKind::PortRestricted, NatKind::PortRestricted);
    s.name = format!(
        "{} held 90 s (NAT mappings time out after 30 s idle)",
        s.name
    );
    s.hold = Duration::from_secs(90);
    s
}

fn role_conflict() -> Scenario {
    let mut s = nat_pair(NatKind::FullCone, NatKind::AddressRestricted);
    s.name = format!("{} both controlling", s.name);
    s.b_role = Role::Controlling;
    s
}

fn no_nat() -> Scenario {
    let name = format!("{0} <-> {0}", Site::Public.name());
    Scenario::new(name, Site::Public, Site::Public)
}

fn loss_30_percent() -> Scenario {
    let mut s = nat_pair(NatKind::FullCone, NatKind::PortRestricted);
    s.name = format!("{} with 30 % loss", s.name);
    s.link.loss = 0.3;
    s
}

fn jitter_and_reordering() -> Scenario {
    let mut s = nat_pair(NatKind::AddressRestricted, NatKind::Symmetric);
    s.name = format!("{} with 20 ms + 0..80 ms jitter", s.name);
    s.link = LinkConfig::default()
        .latency(Duration::from_millis(20))
        .jitter(Duration::from_millis(80));
    s
}

fn latency_100ms() -> Scenario {
    let mut s = nat_pair(NatKind::PortRestricted, NatKind::PortRestricted);
    s.name = format!("{} with 100 ms one way", s.name);
    s.link.latency = Duration::from_millis(100);
    s
}

fn lite_peer(a: NatKind) -> Scenario {
    let mut s = Scenario::new(
        format!("{} <-> public ICE lite", a.name()),
        Site::Behind(a),
        Site::Public,
    );
    s.b_lite = true;
    s
}

macro_rules! nat_pair_tests {
    ($($test:ident: $a:ident <-> $b:ident;)*) => {
        $(
            #[test]
            fn $test() {
                let (a, b) = (NatKind::$a, NatKind::$b);
                check(&nat_pair(a, b), ice_connects(a, b));
            }
        )*
    };
}

nat_pair_tests! {
    full_cone_to_full_cone: FullCone <-> FullCone;
    full_cone_to_address_restricted: FullCone <-> AddressRestricted;
    full_cone_to_port_restricted: FullCone <-> PortRestricted;
    full_cone_to_symmetric: FullCone <-> Symmetric;
    address_restricted_to_full_cone: AddressRestricted <-> FullCone;
    address_restricted_to_address_restricted: AddressRestricted <-> AddressRestricted;
    address_restricted_to_port_restricted: AddressRestricted <-> PortRestricted;
    address_restricted_to_symmetric: AddressRestricted <-> Symmetric;
    port_restricted_to_full_cone: PortRestricted <-> FullCone;
    port_restricted_to_address_restricted: PortRestricted <-> AddressRestricted;
    port_restricted_to_port_restricted: PortRestricted <-> PortRestricted;
    port_restricted_to_symmetric_fails: PortRestricted <-> Symmetric;
    symmetric_to_full_cone: Symmetric <-> FullCone;
    symmetric_to_address_restricted: Symmetric <-> AddressRestricted;
    symmetric_to_port_restricted_fails: Symmetric <-> PortRestricted;
    symmetric_to_symmetric_fails: Symmetric <-> Symmetric;
}

/// With a relay every pair connects; the three without a direct path
/// connect through it.
macro_rules! nat_pair_relay_tests {
    ($($test:ident: $a:ident <-> $b:ident;)*) => {
        $(
            #[test]
            fn $test() {
                let (a, b) = (NatKind::$a, NatKind::$b);
                let report = check(&nat_pair_with_relay(a, b), true);
                if !ice_connects(a, b) {
                    assert!(report.through_relay(), "{}", report.dump());
                }
            }
        )*
    };
}

nat_pair_relay_tests! {
    relay_full_cone_to_full_cone: FullCone <-> FullCone;
    relay_full_cone_to_address_restricted: FullCone <-> AddressRestricted;
    relay_full_cone_to_port_restricted: FullCone <-> PortRestricted;
    relay_full_cone_to_symmetric: FullCone <-> Symmetric;
    relay_address_restricted_to_full_cone: AddressRestricted <-> FullCone;
    relay_address_restricted_to_address_restricted: AddressRestricted <-> AddressRestricted;
    relay_address_restricted_to_port_restricted: AddressRestricted <-> PortRestricted;
    relay_address_restricted_to_symmetric: AddressRestricted <-> Symmetric;
    relay_port_restricted_to_full_cone: PortRestricted <-> FullCone;
    relay_port_restricted_to_address_restricted: PortRestricted <-> AddressRestricted;
    relay_port_restricted_to_port_restricted: PortRestricted <-> PortRestricted;
    relay_port_restricted_to_symmetric: PortRestricted <-> Symmetric;
    relay_symmetric_to_full_cone: Symmetric <-> FullCone;
    relay_symmetric_to_address_restricted: Symmetric <-> AddressRestricted;
    relay_symmetric_to_port_restricted: Symmetric <-> PortRestricted;
    relay_symmetric_to_symmetric: Symmetric <-> Symmetric;
}

#[test]
fn relay_survives_30_percent_loss() {
    let report = check(&relay_with_loss(), true);
    assert!(report.through_relay(), "{}", report.dump());
    assert!(
        report.net.lost > 0,
        "the link lost nothing: {:?}",
        report.net
    );
}

#[test]
fn relay_consent_keeps_the_path_open_for_90s() {
    let report = check(&relay_held_90s(), true);
    assert!(report.through_relay(), "{}", report.dump());
    // Every datagram of the second burst, 90 s later, arrived too: the
    // consent checks through the relay kept the NAT mapping towards the
    // TURN server, the permissions and the channel alive.
    assert_eq!(report.app.received, [20, 20], "{}", report.dump());
    let turn = report.turn.expect("a TURN server");
    assert_eq!(turn.channels, 1, "{}", report.dump());
}

#[test]
fn relay_to_a_public_ice_lite_peer() {
    check(&relay_to_lite_peer(), true);
}

#[test]
fn the_expected_table() {
    let connecting = NatKind::ALL
        .iter()
        .flat_map(|a| NatKind::ALL.iter().map(move |b| (*a, *b)))
        .filter(|(a, b)| ice_connects(*a, *b))
        .count();
    assert_eq!(connecting, 13, "16 pairs, 3 without a way through");
    assert!(!ice_connects(NatKind::Symmetric, NatKind::Symmetric));
    assert!(ice_connects(NatKind::Symmetric, NatKind::AddressRestricted));
}

#[test]
fn public_to_public() {
    check(&no_nat(), true);
}

#[test]
fn full_cone_to_port_restricted_with_30_percent_loss() {
    let report = check(&loss_30_percent(), true);
    assert!(
        report.net.lost > 0,
        "the link lost nothing: {:?}",
        report.net
    );
}

#[test]
fn jitter_reorders_and_ice_still_connects() {
    let report = check(&jitter_and_reordering(), true);
    assert!(
        report.net.reordered > 0,
        "nothing was reordered: {:?}",
        report.net
    );
}

#[test]
fn latency_of_100ms_one_way() {
    let report = check(&latency_100ms(), true);
    let Outcome::Connected(t) = report.outcome else {
        unreachable!("checked")
    };
    // Gathering alone is a round trip to the STUN server, and a check
    // another: nothing connects in less than 400 ms here.
    assert!(
        t >= Duration::from_millis(400),
        "connected in {t:?}, faster than light"
    );
}

#[test]
fn port_restricted_to_public_ice_lite() {
    check(&lite_peer(NatKind::PortRestricted), true);
}

#[test]
fn symmetric_to_public_ice_lite() {
    check(&lite_peer(NatKind::Symmetric), true);
}

#[test]
fn consent_keeps_nat_mappings_open_for_90s() {
    let report = check(&held_90s(), true);
    // Every datagram of the second burst, 90 s later, arrived too.
    assert_eq!(report.app.received, [20, 20], "{}", report.dump());
}

#[test]
fn role_conflict_is_resolved() {
    let report = check(&role_conflict(), true);
    assert_ne!(report.roles[0], report.roles[1], "{}", report.dump());
    assert_eq!(
        report.role_changes.iter().sum::<u32>(),
        1,
        "exactly one agent switches\n{}",
        report.dump()
    );
}

/// The 30 % loss scenario with twenty seeds: every one must connect. A
/// run where gathering lost every Binding exchange is reported as such.
#[test]
fn survives_30_percent_loss_with_any_seed() {
    let mut failures = Vec::new();
    for seed in 1..=20 {
        let mut s = loss_30_percent();
        s.seed = seed;
        s.name = format!("{} (seed {seed})", s.name);
        let report = run(&s);
        println!("{}", report.line());
        if !matches!(report.outcome, Outcome::Connected(_)) {
            let gathered = |side: &str| {
                let prefix = format!("{side} LocalCandidate");
                report.timeline.iter().any(|l| l.contains(&prefix))
            };
            failures.push(format!(
                "{} (srflx gathered: A {}, B {})",
                report.line(),
                gathered("A"),
                gathered("B")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "under 30 % loss these seeds did not connect:\n{}",
        failures.join("\n")
    );
}

#[test]
fn same_seed_same_run() {
    let scenario = jitter_and_reordering();
    let (first, second) = (run(&scenario), run(&scenario));
    assert_eq!(first.outcome, second.outcome);
    assert_eq!(first.net, second.net);
    assert_eq!(first.trace, second.trace);
    assert_eq!(first.timeline, second.timeline);
}

/// Every scenario, printed as lines and as a NAT table, then checked all
/// at once (the single tests above say more about a failure).
#[test]
fn summary() {
    let mut lines = Vec::new();
    let mut wrong = Vec::new();
    let mut cells = Vec::new();
    let mut record = |report: &Report, connects: bool| {
        let ok = match report.outcome {
            Outcome::Connected(_) => connects,
            Outcome::Failed(_) => !connects,
            Outcome::Unfinished { .. } => false,
        };
        let line = report.line();
        if !ok {
            wrong.push(format!(
                "{line} (expected {})",
                if connects { "connected" } else { "failed" }
            ));
        }
        lines.push(line);
    };
    for a in NatKind::ALL {
        for b in NatKind::ALL {
            let report = run(&nat_pair(a, b));
            record(&report, ice_connects(a, b));
            cells.push(match report.outcome {
                Outcome::Connected(t) => format!("{} ms", t.as_millis()),
                Outcome::Failed(t) => format!("fail {} ms", t.as_millis()),
                Outcome::Unfinished { .. } => "UNFINISHED".to_string(),
            });
        }
    }
    for (scenario, connects) in special_scenarios() {
        record(&run(&scenario), connects);
    }
    let title = "ICE simulator: time to connect in simulated ms";
    print_table(title, &lines, &cells);
    assert!(
        wrong.is_empty(),
        "scenarios with the wrong outcome:\n{}",
        wrong.join("\n")
    );
}

/// The NAT table with a TURN server on the network: every pair must
/// connect, the three without a direct path through the relay (cells
/// marked `relay`).
#[test]
fn summary_with_relay() {
    let mut lines = Vec::new();
    let mut wrong = Vec::new();
    let mut cells = Vec::new();
    let mut record = |report: &Report, must_relay: bool| {
        let connected = matches!(report.outcome, Outcome::Connected(_));
        if !connected || (must_relay && !report.through_relay()) {
            wrong.push(report.line());
        }
        lines.push(report.line());
    };
    for a in NatKind::ALL {
        for b in NatKind::ALL {
            let report = run(&nat_pair_with_relay(a, b));
            record(&report, !ice_connects(a, b));
            cells.push(match report.outcome {
                Outcome::Connected(t) if report.through_relay() => {
                    format!("{} ms relay", t.as_millis())
                }
                Outcome::Connected(t) => format!("{} ms", t.as_millis()),
                Outcome::Failed(t) => format!("fail {} ms", t.as_millis()),
                Outcome::Unfinished { .. } => "UNFINISHED".to_string(),
            });
        }
    }
    for scenario in special_relay_scenarios() {
        record(&run(&scenario), false);
    }
    let title = "ICE simulator with a TURN relay: time to connect in simulated ms";
    print_table(title, &lines, &cells);
    assert!(
        wrong.is_empty(),
        "with a relay every scenario must connect, the pairs without a direct path through it:\n{}",
        wrong.join("\n")
    );
}

/// Print `lines` and the 4 x 4 NAT table of `cells` (row A, column B)
/// straight to the process's stderr, past the test harness's capture, so
/// that every `cargo test` run (CI included) shows the times.
fn print_table(title: &str, lines: &[String], cells: &[String]) {
    use std::fmt::Write as _;
    let mut out = format!("\n{title}\n");
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    let head: Vec<&str> = NatKind::ALL.iter().map(|k| k.name()).collect();
    let _ = writeln!(
        out,
        "\n{:<20}| {}",
        "A \\ B",
        head.iter().map(|h| format!("{h:<20}")).collect::<String>()
    );
    for (row, a) in NatKind::ALL.iter().enumerate() {
        let row_cells: String = cells[row * 4..row * 4 + 4]
            .iter()
            .map(|c| format!("{c:<20}"))
            .collect();
        let _ = writeln!(out, "{:<20}| {row_cells}", a.name());
    }
    use std::io::Write as _;
    let _ = std::io::stderr().lock().write_all(out.as_bytes());
}
