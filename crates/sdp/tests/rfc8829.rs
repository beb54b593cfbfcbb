//! The session descriptions of RFC 8829 (JSEP) §7: the simple example
//! (§7.1, offer-A1/answer-A1), the detailed example (§7.2,
//! offer-B1/answer-B1/offer-B2/answer-B2) and the early transport warmup
//! example (§7.3, offer-C1/answer-C1/offer-C2/answer-C2).
//!
//! The files under `tests/corpus/rfc8829/` hold the RFC's SDP as data with
//! CRLF line ends, unfolded as §7 says: the RFC splits long lines, a line
//! that starts with white space continuing the previous one, and adds blank
//! lines between media sections that are not part of the SDP. The blank
//! lines are dropped; a continuation is joined with one space, except that
//! a fingerprint folded after one of its `:` separators continues with no
//! space (so the value is again `<hash-func> SP <fingerprint>`).
//!
//! Each description must parse, be written back byte for byte, and give
//! the values the RFC shows through the raw attribute API.

mod common;
use common::{corpus_parse, corpus_text, mids, session_value, value, values};

use rtw_sdp::SessionDescription;

const NAMES: [&str; 10] = [
    "offer-A1",
    "answer-A1",
    "offer-B1",
    "answer-B1",
    "offer-B2",
    "answer-B2",
    "offer-C1",
    "answer-C1",
    "offer-C2",
    "answer-C2",
];

fn text(name: &str) -> String {
    corpus_text(&format!("rfc8829/{name}.sdp"))
}

fn parse(name: &str) -> SessionDescription {
    corpus_parse(&format!("rfc8829/{name}.sdp"))
}

/// `sha-256` followed by 32 two-digit upper-case hex bytes joined by `:`.
fn assert_sha256_fingerprint(v: &str) {
    let (hash, fp) = v.split_once(' ').expect("<hash-func> SP <fingerprint>");
    assert_eq!(hash, "sha-256");
    let bytes: Vec<&str> = fp.split(':').collect();
    assert_eq!(bytes.len(), 32, "{v}");
    assert!(
        bytes
            .iter()
            .all(|b| b.len() == 2 && b.bytes().all(|c| matches!(c, b'0'..=b'9' | b'A'..=b'F'))),
        "{v}"
    );
}

#[test]
fn every_example_round_trips_byte_exactly() {
    for name in NAMES {
        let text = text(name);
        assert!(text.ends_with("\r\n"), "{name}");
        assert!(
            !text.contains("\r\n\r\n") && !text.contains("\r\n "),
            "{name}: blank or folded line left in the data"
        );
        let sd = SessionDescription::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(sd.to_string(), text, "{name}");
        // LF-only text gives the same value.
        let lf = text.replace("\r\n", "\n");
        assert_eq!(SessionDescription::parse(&lf).as_ref(), Ok(&sd), "{name}");
    }
}

#[test]
fn every_example_has_the_jsep_session_shape() {
    for name in NAMES {
        let sd = parse(name);
        assert_eq!(sd.version, 0, "{name}");
        assert_eq!(sd.origin.username, "-", "{name}");
        assert_eq!(sd.origin.nettype, "IN", "{name}");
        assert_eq!(sd.origin.addrtype, "IP4", "{name}");
        assert_eq!(sd.origin.unicast_address, "0.0.0.0", "{name}");
        assert_eq!(sd.session_name, "-", "{name}");
        assert_eq!(sd.timings.len(), 1, "{name}");
        assert_eq!((sd.timings[0].start, sd.timings[0].stop), (0, 0), "{name}");
        assert!(sd.timings[0].repeats.is_empty(), "{name}");
        assert_eq!(sd.connection, None, "{name}");
        assert_eq!(session_value(&sd, "ice-options"), "trickle ice2", "{name}");
        // The BUNDLE group names every m= section, in order.
        let bundle = session_value(&sd, "group");
        let tags: Vec<&str> = bundle.strip_prefix("BUNDLE ").unwrap().split(' ').collect();
        assert_eq!(tags, mids(&sd), "{name}");
        for m in &sd.media {
            assert_eq!(m.connections.len(), 1, "{name}");
            assert_eq!(m.connections[0].nettype, "IN", "{name}");
            for fp in values(m, "fingerprint") {
                assert_sha256_fingerprint(fp);
            }
            for candidate in values(m, "candidate") {
                assert!(candidate.starts_with("1 "), "{name}: {candidate}");
                assert!(candidate.contains(" typ "), "{name}: {candidate}");
            }
        }
    }
}

#[test]
fn offer_a1() {
    let sd = parse("offer-A1");
    assert_eq!(sd.origin.session_id, "4962303333179871722");
    assert_eq!(sd.origin.session_version, "1");
    let groups: Vec<_> = sd
        .attributes
        .iter()
        .filter(|a| a.name == "group")
        .map(|a| a.value.as_deref().unwrap())
        .collect();
    assert_eq!(groups, ["BUNDLE a1 v1", "LS a1 v1"]);
    assert_eq!(mids(&sd), ["a1", "v1"]);

    let audio = &sd.media[0];
    assert_eq!(audio.media.media, "audio");
    assert_eq!(audio.media.port, 10100);
    assert_eq!(audio.media.port_count, None);
    assert_eq!(audio.media.proto, "UDP/TLS/RTP/SAVPF");
    assert_eq!(audio.media.formats, ["96", "0", "8", "97", "98"]);
    assert_eq!(audio.connections[0].to_string(), "IN IP4 203.0.113.100");
    assert_eq!(
        values(audio, "rtpmap"),
        [
            "96 opus/48000/2",
            "0 PCMU/8000",
            "8 PCMA/8000",
            "97 telephone-event/8000",
            "98 telephone-event/48000"
        ]
    );
    assert_eq!(values(audio, "fmtp"), ["97 0-15", "98 0-15"]);
    assert_eq!(value(audio, "maxptime"), "120");
    assert_eq!(
        values(audio, "extmap"),
        [
            "1 urn:ietf:params:rtp-hdrext:sdes:mid",
            "2 urn:ietf:params:rtp-hdrext:ssrc-audio-level"
        ]
    );
    assert_eq!(value(audio, "ice-ufrag"), "ETEn");
    assert_eq!(value(audio, "ice-pwd"), "OtSK0WpNtpUjkY4+86js7ZQl");
    assert_eq!(
        value(audio, "fingerprint"),
        "sha-256 19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:\
         BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2"
    );
    assert_eq!(value(audio, "setup"), "actpass");
    assert_eq!(value(audio, "tls-id"), "91bbf309c0990a6bec11e38ba2933cee");
    assert_eq!(value(audio, "rtcp"), "10101 IN IP4 203.0.113.100");
    // Property attributes have no value.
    for flag in ["sendrecv", "rtcp-mux", "rtcp-rsize", "end-of-candidates"] {
        assert_eq!(audio.attribute(flag).unwrap().value, None, "{flag}");
    }
    assert_eq!(
        values(audio, "candidate"),
        [
            "1 1 udp 2113929471 203.0.113.100 10100 typ host",
            "1 2 udp 2113929470 203.0.113.100 10101 typ host"
        ]
    );
    // end-of-candidates is the last line of the section.
    assert_eq!(audio.attributes.last().unwrap().name, "end-of-candidates");

    let video = &sd.media[1];
    assert_eq!(video.media.port, 10102);
    assert_eq!(video.media.formats, ["100", "101", "102", "103"]);
    assert_eq!(
        values(video, "fmtp"),
        [
            "101 packetization-mode=1;profile-level-id=42e01f",
            "102 apt=100",
            "103 apt=101"
        ]
    );
    assert_eq!(
        values(video, "rtcp-fb"),
        ["100 ccm fir", "100 nack", "100 nack pli"]
    );
    assert_eq!(value(video, "ice-ufrag"), "BGKk");
    assert_eq!(value(video, "msid"), value(audio, "msid"));
}

#[test]
fn answer_a1() {
    let sd = parse("answer-A1");
    assert_eq!(sd.origin.session_id, "6729291447651054566");
    assert_eq!(mids(&sd), ["a1", "v1"]);
    let audio = &sd.media[0];
    assert_eq!(audio.media.port, 10200);
    assert_eq!(value(audio, "setup"), "active");
    assert!(value(audio, "fingerprint").starts_with("sha-256 6B:8B:F0:65:"));
    assert_eq!(
        values(audio, "candidate"),
        ["1 1 udp 2113929471 203.0.113.200 10200 typ host"]
    );
    // The bundled video section carries no transport attributes.
    let video = &sd.media[1];
    assert_eq!(video.media.port, 10200);
    for absent in ["ice-ufrag", "fingerprint", "candidate", "setup"] {
        assert!(video.attribute(absent).is_none(), "{absent}");
    }
    assert_eq!(value(video, "msid"), "61317484-2ed4-49d7-9eb7-1414322a7aae");
}

#[test]
fn offer_b1_and_answer_b1() {
    let offer = parse("offer-B1");
    assert_eq!(session_value(&offer, "group"), "BUNDLE a1 d1");
    assert_eq!(mids(&offer), ["a1", "d1"]);
    let audio = &offer.media[0];
    assert_eq!(audio.media.port, 9);
    assert_eq!(audio.connections[0].base_address(), "0.0.0.0");
    assert!(audio.attribute("rtcp-mux-only").is_some());
    assert!(audio.attribute("candidate").is_none());
    let data = &offer.media[1];
    assert_eq!(data.media.media, "application");
    assert_eq!(data.media.port, 0);
    assert_eq!(data.media.proto, "UDP/DTLS/SCTP");
    assert_eq!(data.media.formats, ["webrtc-datachannel"]);
    assert_eq!(value(data, "sctp-port"), "5000");
    assert_eq!(value(data, "max-message-size"), "65536");
    assert_eq!(data.attribute("bundle-only").unwrap().value, None);

    let answer = parse("answer-B1");
    assert_eq!(answer.origin.session_id, "7729291447651054566");
    assert_eq!(mids(&answer), ["a1", "d1"]);
    assert_eq!(answer.media[1].media.port, 9);
    assert!(answer.media[1].attribute("bundle-only").is_none());
    assert_eq!(value(&answer.media[0], "setup"), "active");
    assert_eq!(value(&answer.media[0], "ice-ufrag"), "7sFv");
}

#[test]
fn offer_b2_and_answer_b2() {
    let offer = parse("offer-B2");
    assert_eq!(offer.origin.session_version, "2");
    assert_eq!(session_value(&offer, "group"), "BUNDLE a1 d1 v1 v2");
    assert_eq!(mids(&offer), ["a1", "d1", "v1", "v2"]);
    let audio = &offer.media[0];
    assert_eq!(audio.media.port, 12200);
    assert_eq!(audio.connections[0].base_address(), "192.0.2.200");
    assert_eq!(
        values(audio, "candidate"),
        [
            "1 1 udp 2113929471 203.0.113.200 10200 typ host",
            "1 1 udp 1845494015 198.51.100.200 11200 typ srflx raddr 203.0.113.200 rport 10200",
            "1 1 udp 255 192.0.2.200 12200 typ relay raddr 198.51.100.200 rport 11200"
        ]
    );
    let v1 = &offer.media[2];
    assert_eq!(v1.media.formats, ["100", "101", "102", "103", "104"]);
    assert_eq!(values(v1, "rtpmap").last(), Some(&"104 flexfec/90000"));
    assert_eq!(values(v1, "rid"), ["1 send", "2 send", "3 send"]);
    assert_eq!(value(v1, "simulcast"), "send 1;2;3");
    let v2 = &offer.media[3];
    assert!(v2.attribute("simulcast").is_none());
    assert_eq!(value(v2, "msid"), "81317484-2ed4-49d7-9eb7-1414322a7aae");

    let answer = parse("answer-B2");
    assert_eq!(mids(&answer), ["a1", "d1", "v1", "v2"]);
    assert_eq!(value(&answer.media[0], "setup"), "passive");
    for video in &answer.media[2..] {
        assert_eq!(video.media.formats, ["100", "101", "102", "103"]);
        assert_eq!(video.attribute("recvonly").unwrap().value, None);
        assert_eq!(
            value(video, "imageattr"),
            "100 recv [x=[48:1920],y=[48:1080],q=1.0]"
        );
    }
}

#[test]
fn warmup_offers_and_answers() {
    let offer = parse("offer-C1");
    assert_eq!(offer.origin.session_id, "1070771854436052752");
    assert_eq!(mids(&offer), ["a1", "v1"]);
    let video = &offer.media[1];
    assert_eq!(video.media.port, 0);
    assert_eq!(video.attributes.last().unwrap().name, "bundle-only");
    assert_eq!(
        value(&offer.media[0], "ice-pwd"),
        "ZaaG6OG7tCn4J/lehAGz+HHD"
    );

    let answer = parse("answer-C1");
    for m in &answer.media {
        assert_eq!(m.media.port, 9);
        assert_eq!(m.attribute("sendonly").unwrap().value, None);
        assert!(m.attribute("sendrecv").is_none());
    }
    assert!(value(&answer.media[0], "fingerprint").starts_with("sha-256 A2:F3:A5:6D:"));

    let offer2 = parse("offer-C2");
    assert_eq!(offer2.origin.session_id, answer.origin.session_id);
    assert_eq!(offer2.origin.session_version, "2");
    assert_eq!(
        values(&offer2.media[0], "candidate"),
        ["1 1 udp 255 192.0.2.200 12200 typ relay raddr 0.0.0.0 rport 0"]
    );
    assert_eq!(value(&offer2.media[0], "setup"), "actpass");

    let answer2 = parse("answer-C2");
    assert_eq!(answer2.origin.session_id, offer.origin.session_id);
    assert_eq!(value(&answer2.media[0], "setup"), "passive");
    assert_eq!(answer2.media[1].media.port, 12100);
    assert_eq!(value(&answer2.media[1], "mid"), "v1");
}
