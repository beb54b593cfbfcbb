//! With the `ice` feature, every candidate of the Chromium 156 corpus (and
//! of the other browser corpora) is typed by rtw-ice and written back
//! byte for byte.
#![cfg(feature = "ice")]

use rtw_ice::{CandidateKind, CandidateTransport, ConnectionAddress};
use rtw_sdp::attributes::Candidate;
use rtw_sdp::{AttributeValue, SessionDescription};

fn candidates(dir: &str) -> Vec<Candidate> {
    let dir = format!("{}/tests/corpus/{dir}", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sdp"))
        .collect();
    names.sort();
    let mut all = Vec::new();
    for path in names {
        let sd = SessionDescription::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for m in &sd.media {
            for a in m.attributes.iter().filter(|a| a.name == "candidate") {
                all.push(Candidate::from_attribute(a).unwrap());
            }
        }
    }
    all
}

#[test]
fn every_chromium_candidate_is_typed() {
    let all = candidates("chromium-156");
    assert_eq!(all.len(), 8);
    let mut mdns = 0;
    for c in &all {
        let t = c.typed().unwrap_or_else(|e| panic!("{}: {e}", c.value()));
        assert_eq!(t.to_string(), c.value());
        assert_eq!(t.foundation, c.foundation());
        assert_eq!(
            (t.component, t.priority, t.port),
            (c.component(), c.priority(), c.port())
        );
        assert_eq!(t.kind.as_str(), c.kind());
        assert_eq!(t.transport, CandidateTransport::Udp);
        assert_eq!(t.generation(), Some(0));
        assert_eq!(t.network_cost(), Some(999));
        match &t.address {
            ConnectionAddress::Fqdn(name) => {
                assert!(t.address.is_mdns(), "{name}");
                assert_eq!(t.kind, CandidateKind::Host);
                mdns += 1;
            }
            ConnectionAddress::Ip(ip) => {
                panic!("Chromium 156 showed {ip} where it writes mDNS names")
            }
        }
    }
    assert_eq!(mdns, 8);
}

#[test]
fn other_browsers_and_rfc_examples_are_typed() {
    for dir in ["firefox", "safari", "rfc8829"] {
        for c in candidates(dir) {
            let t = c
                .typed()
                .unwrap_or_else(|e| panic!("{dir}: {}: {e}", c.value()));
            assert_eq!(t.to_string(), c.value(), "{dir}");
        }
    }
}
