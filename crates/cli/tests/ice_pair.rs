//! `rtw ice pair`: the check list of a local and a remote NATed host, in
//! the order RFC 8445 §6.1.2 gives.

use std::process::Command;

fn rtw(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rtw"))
        .args(["ice", "pair"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

const LOCAL_HOST: &str = "candidate:1 1 udp 2130706431 10.0.0.2 5000 typ host";
const LOCAL_SRFLX: &str =
    "candidate:2 1 udp 1694498815 203.0.113.1 40000 typ srflx raddr 10.0.0.2 rport 5000";
const REMOTE_HOST: &str = "candidate:3 1 udp 2130706431 10.0.1.2 6000 typ host";
const REMOTE_SRFLX: &str =
    "candidate:4 1 udp 1694498815 198.51.100.1 41000 typ srflx raddr 10.0.1.2 rport 6000";

#[test]
fn srflx_locals_pair_through_their_base_in_priority_order() {
    let (ok, out, err) = rtw(&[
        "--local",
        LOCAL_HOST,
        "--local",
        LOCAL_SRFLX,
        "--remote",
        REMOTE_SRFLX,
        "--remote",
        REMOTE_HOST,
        "--json",
    ]);
    assert!(ok, "{err}");
    let pairs: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Two pairs, not four: the srflx local is replaced by its base and the
    // duplicates pruned (RFC 8445 §6.1.2.4).
    assert_eq!(pairs.len(), 2, "{out}");
    // 2^32 * MIN(G, D) + 2 * MAX(G, D) + (G > D ? 1 : 0), G the controlling
    // side's priority (§6.1.2.3).
    assert_eq!(
        pairs[0]["priority"],
        2130706431u64 * (1 << 32) + 2 * 2130706431
    );
    assert_eq!(pairs[0]["destination"], "10.0.1.2:6000");
    assert_eq!(
        pairs[1]["priority"],
        1694498815u64 * (1 << 32) + 2 * 2130706431 + 1
    );
    assert_eq!(pairs[1]["destination"], "198.51.100.1:41000");
    assert!(pairs.iter().all(|p| p["source"] == "10.0.0.2:5000"));
    assert!(pairs.iter().all(|p| p["state"] == "Waiting"));
}

#[test]
fn the_controlled_role_drops_the_tie_bit() {
    let (ok, out, _) = rtw(&[
        "--local",
        LOCAL_HOST,
        "--remote",
        REMOTE_SRFLX,
        "--role",
        "controlled",
        "--json",
    ]);
    assert!(ok);
    let pair: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(pair["priority"], 1694498815u64 * (1 << 32) + 2 * 2130706431);
}

#[test]
fn a_malformed_candidate_exits_1_naming_it() {
    let (ok, _, err) = rtw(&["--local", LOCAL_HOST, "--remote", "candidate:x 1 udp"]);
    assert!(!ok);
    assert!(err.contains("--remote #1"), "{err}");
}
