//! `rtw ice`: ICE (RFC 8445, RFC 8839) with [`rtw_ice`].
//!
//! - `rtw ice candidate`: candidate lines on stdin (`a=candidate:...`,
//!   `candidate:...` or the bare value, one per line, blank lines
//!   skipped), one JSON object per candidate on stdout with its fields and
//!   a check of its priority against the RFC 8445 §5.1.2.1 formula.
//!   Every line is read; each malformed one is reported on stderr as
//!   `line N: reason` (nothing is printed for it on stdout), and the exit
//!   status is then 1. A line longer than a candidate may be
//!   ([`Limits::max_candidate_len`](rtw_ice::Limits::max_candidate_len) and a CR) is read to its end without
//!   being kept, so memory stays bounded whatever the input.
//! - `rtw ice pair --local C... --remote C...`: the check list those
//!   candidates make (RFC 8445 §6.1.2), in the order it is checked.

mod pair;

use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use clap::Subcommand;
use rtw_ice::{
    Candidate, CandidateTransport, ConnectionAddress, PriorityParts, priority, type_preference,
};
use serde_json::{Value, json};

use crate::input::{self, Line};

/// `rtw ice`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Read ICE candidates on stdin, one per line, and print each as a JSON
    /// object on its own line.
    ///
    /// A line is `a=candidate:<value>`, `candidate:<value>` or the bare
    /// value (RFC 8839 §5.1); a CR before the LF is ignored and blank lines
    /// are skipped. Each object holds the line number, the fields, the
    /// extension attributes, and `priority_check`: the type and local
    /// preference and the component read from the priority (RFC 8445
    /// §5.1.2.1), the priority recomputed from the candidate's type, that
    /// local preference and its component, and whether the type
    /// preference is the one RFC 8445 §5.1.2.2 recommends for its type
    /// (126 host, 110 prflx, 100 srflx, 0 relay). Malformed lines are
    /// reported on stderr with their line number and the rule broken;
    /// the other lines are still printed, and the exit status is 1.
    Candidate,
    /// Print the check list that local and remote candidates make (RFC 8445
    /// §6.1.2): pairs of a local base and a remote address, of the same
    /// component and address family, duplicates pruned (server-reflexive
    /// candidates pair through their base, §6.1.2.4), in priority order
    /// (§6.1.2.3) for the role given, with their foundation and initial
    /// state (§6.1.2.6).
    ///
    /// A local candidate's base is its address for host and relayed
    /// candidates and its related address (`raddr`/`rport`) for
    /// server-reflexive and peer-reflexive ones.
    Pair(pair::PairArgs),
}

pub(crate) fn run(args: Args) -> ExitCode {
    match args.command {
        Command::Candidate => candidates(io::stdin().lock(), &mut io::stdout().lock()),
        Command::Pair(args) => pair::run(args),
    }
}

fn candidates(mut input: impl BufRead, out: &mut impl Write) -> ExitCode {
    // A line holds a candidate of at most max_len bytes (its prefix
    // included) and a CR: a longer line is read to its end but not kept.
    let max_len = rtw_ice::Limits::default().max_candidate_len;
    let mut failed = false;
    let mut buf = Vec::new();
    for n in 1.. {
        let read = match input::read_line(&mut input, &mut buf, max_len + 1) {
            Ok(Some(read)) => read,
            Ok(None) => break,
            Err(e) => {
                eprintln!("rtw ice candidate: reading stdin: {e}");
                return ExitCode::FAILURE;
            }
        };
        if read == Line::TooLong {
            eprintln!(
                "rtw ice candidate: line {n}: longer than {max_len} bytes, the limit of a \
                 candidate (rtw_ice::Limits::max_candidate_len); skipped to its end"
            );
            failed = true;
            continue;
        }
        let line = buf.strip_suffix(b"\r").unwrap_or(&buf);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed = std::str::from_utf8(line)
            .map_err(|_| "not UTF-8 text".to_owned())
            .and_then(|s| Candidate::parse(s).map_err(|e| e.to_string()));
        match parsed {
            Ok(c) => {
                let mut text = candidate(n, &c).to_string();
                text.push('\n');
                if let Err(e) = out.write_all(text.as_bytes()) {
                    eprintln!("rtw ice candidate: writing stdout: {e}");
                    return ExitCode::FAILURE;
                }
            }
            Err(e) => {
                eprintln!("rtw ice candidate: line {n}: {e}");
                failed = true;
            }
        }
    }
    if let Err(e) = out.flush() {
        eprintln!("rtw ice candidate: writing stdout: {e}");
        return ExitCode::FAILURE;
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn address(a: &ConnectionAddress) -> Value {
    Value::String(a.to_string())
}

/// One candidate as JSON.
fn candidate(line: usize, c: &Candidate) -> Value {
    let (transport, tcptype) = match c.transport {
        CandidateTransport::Udp => ("udp", None),
        CandidateTransport::Tcp(t) => ("tcp", t.map(|t| t.as_str())),
    };
    json!({
        "line": line,
        "foundation": c.foundation,
        "component": c.component,
        "transport": transport,
        "tcptype": tcptype,
        "priority": c.priority,
        "address": address(&c.address),
        "address_kind": match &c.address {
            ConnectionAddress::Ip(ip) if ip.is_ipv4() => "ipv4",
            ConnectionAddress::Ip(_) => "ipv6",
            ConnectionAddress::Fqdn(_) if c.address.is_mdns() => "mdns",
            ConnectionAddress::Fqdn(_) => "fqdn",
        },
        "port": c.port,
        "type": c.kind.as_str(),
        "related_address": c.related_address.as_ref().map(address),
        "related_port": c.related_port,
        "extensions": c.extensions.iter().map(|(name, value)| json!({
            "name": name,
            "value": value,
        })).collect::<Vec<_>>(),
        "generation": c.generation(),
        "ufrag": c.ufrag(),
        "network_id": c.network_id(),
        "network_cost": c.network_cost(),
        "candidate": c.to_json_candidate(),
        "priority_check": priority_check(c),
    })
}

/// The priority taken apart and recomputed (RFC 8445 §5.1.2.1).
fn priority_check(c: &Candidate) -> Value {
    let parts = PriorityParts::of(c.priority);
    let recommended = type_preference(c.kind);
    let recomputed = priority(c.kind, parts.local_preference, c.component);
    json!({
        "type_preference": parts.type_preference,
        "recommended_type_preference": recommended,
        "type_preference_matches": parts.type_preference == recommended,
        "local_preference": parts.local_preference,
        "component": parts.component,
        "component_matches": parts.component == c.component,
        "recomputed": recomputed,
        "matches": recomputed == c.priority,
        "within_rfc_range": (1..=0x7fff_ffff).contains(&c.priority),
    })
}

#[cfg(test)]
mod tests {
    use rtw_ice::CandidateKind;

    use super::*;

    #[test]
    fn priority_check_of_a_firefox_srflx() {
        let c = Candidate::parse(
            "candidate:1 1 UDP 1686052863 198.51.100.23 50412 typ srflx raddr 0.0.0.0 rport 0",
        )
        .unwrap();
        let v = priority_check(&c);
        assert_eq!(v["type_preference"], 100);
        assert_eq!(v["local_preference"], 32543);
        assert_eq!(v["matches"], true);
        assert_eq!(c.kind, CandidateKind::ServerReflexive);
    }
}
