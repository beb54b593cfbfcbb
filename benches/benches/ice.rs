//! ICE candidates: reading the `a=candidate` attribute (RFC 8839 §5.1)
//! and writing it back, rtw beside webrtc-sdp (Mozilla's, in Firefox),
//! which parses candidate attributes as part of SDP. Inputs: the candidate
//! lines browsers write (Chromium 156 and Firefox, from
//! `crates/sdp/tests/corpus`, the same strings as rtw-ice's unit tests):
//! a host candidate with an mDNS name, a server-reflexive one with
//! `raddr`/`rport` and extensions, a TCP one with `tcptype`, a relayed
//! IPv6 one.
//!
//! Group `ice/candidate_parse`: all lines, from `&str` to each crate's
//! owned candidate, dropped at the end of each iteration. Group
//! `ice/candidate_write`: candidates parsed once outside the timed loop,
//! written to a new `String` each (`Display` of both). Throughput is in
//! bytes of the input lines for both groups.
//!
//! - `rtw`: [`rtw_ice::Candidate::parse`] of `candidate:...` and
//!   `to_string()`;
//! - `webrtc-sdp`: `SdpAttribute::from_str` of the same `candidate:...`
//!   text and `to_string()`.
//!
//! Startup checks that both crates accept every line, so both groups
//! measure the same work.
//!
//! Run with `cargo bench -p rtw-benches --bench ice`.

use std::hint::black_box;
use std::str::FromStr;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtw_benches::Group;
use webrtc_sdp::attribute_type::SdpAttribute;

rtw_benches::count_allocations!();

/// `candidate:` values as `RTCIceCandidate.candidate` carries them.
const LINES: &[&str] = &[
    "candidate:1206685758 1 udp 2113937151 97960a8e-cda9-44bb-b3ef-c9aa3be7f54c.local 50724 typ host generation 0 network-cost 999",
    "candidate:3519406827 1 udp 1677729535 203.0.113.58 61932 typ srflx raddr 0.0.0.0 rport 0 generation 0 network-cost 999",
    "candidate:1 1 UDP 1686052863 198.51.100.23 50412 typ srflx raddr 0.0.0.0 rport 0",
    "candidate:2 1 TCP 2105524479 192.0.2.17 9 typ host tcptype active",
    "candidate:4 1 UDP 8331263 2001:db8::9 55032 typ relay raddr 2001:db8::1 rport 55032",
];

fn bytes() -> u64 {
    LINES.iter().map(|l| l.len() as u64).sum()
}

fn parse(c: &mut Criterion) {
    for line in LINES {
        assert!(
            rtw_ice::Candidate::parse(line).is_ok(),
            "rtw refuses {line}"
        );
        assert!(
            SdpAttribute::from_str(line).is_ok(),
            "webrtc-sdp refuses {line}"
        );
    }
    let mut g = Group::new(c, "ice/candidate_parse");
    g.throughput(Throughput::Bytes(bytes()));
    g.bench("rtw", || {
        for line in LINES {
            black_box(rtw_ice::Candidate::parse(black_box(line)).ok());
        }
    });
    g.bench("webrtc-sdp", || {
        for line in LINES {
            black_box(SdpAttribute::from_str(black_box(line)).ok());
        }
    });
    g.finish();
}

fn write(c: &mut Criterion) {
    let ours: Vec<rtw_ice::Candidate> = LINES
        .iter()
        .map(|l| rtw_ice::Candidate::parse(l).expect("checked in parse"))
        .collect();
    let theirs: Vec<SdpAttribute> = LINES
        .iter()
        .map(|l| SdpAttribute::from_str(l).expect("checked in parse"))
        .collect();
    for (line, c) in LINES.iter().zip(&ours) {
        assert_eq!(
            format!("candidate:{c}"),
            *line,
            "rtw writes back byte for byte"
        );
    }
    let mut g = Group::new(c, "ice/candidate_write");
    g.throughput(Throughput::Bytes(bytes()));
    g.bench("rtw", || {
        for c in &ours {
            black_box(black_box(c).to_string());
        }
    });
    g.bench("webrtc-sdp", || {
        for a in &theirs {
            black_box(black_box(a).to_string());
        }
    });
    g.finish();
}

criterion_group!(benches, parse, write);
criterion_main!(benches);
