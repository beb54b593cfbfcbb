//! Firefox-style and Safari-style offers and answers: each parses, is
//! written back byte for byte, and gives the values a browser puts there
//! through the raw attribute API; the same text with LF line ends parses to
//! the same value and is written with CRLF.
//!
//! The files under `tests/corpus/firefox/` and `tests/corpus/safari/` were
//! written for this test (not captured from a browser), in the shape each
//! engine produces: Firefox's `mozilla...THIS_IS_SDPARTA-<version>` origin,
//! session-level fingerprint, `msid-semantic:WMS *`, `extmap` with a
//! `/direction`, per-payload `rtcp-fb`, `rid` and `simulcast:send` with a
//! paused (`~`) stream, `ssrc` lines with a braced cname, and
//! `end-of-candidates`; Safari's libwebrtc-style origin on 127.0.0.1,
//! `extmap-allow-mixed`, `msid-semantic: WMS <id>`, several H264 profiles,
//! H265, RED and `ssrc`/`ssrc-group:FID` lines.

mod common;
use common::{corpus_parse, corpus_text, mids, session_value, value, values};

use rtw_sdp::{MediaDescription, SessionDescription};

const FILES: [&str; 4] = [
    "firefox/offer.sdp",
    "firefox/answer.sdp",
    "safari/offer.sdp",
    "safari/answer.sdp",
];

fn text(name: &str) -> String {
    corpus_text(name)
}

fn parse(name: &str) -> SessionDescription {
    corpus_parse(name)
}

/// The payload types that `a=rtpmap` maps to `codec` (e.g. `H264/90000`).
fn payload_types<'a>(m: &'a MediaDescription, codec: &str) -> Vec<&'a str> {
    values(m, "rtpmap")
        .into_iter()
        .filter_map(|v| v.split_once(' ').filter(|(_, c)| *c == codec))
        .map(|(pt, _)| pt)
        .collect()
}

/// The `a=fmtp` parameters of payload type `pt`.
fn fmtp<'a>(m: &'a MediaDescription, pt: &str) -> &'a str {
    values(m, "fmtp")
        .into_iter()
        .find_map(|v| v.strip_prefix(pt)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no a=fmtp:{pt}"))
}

#[test]
fn every_file_round_trips_byte_exactly() {
    for name in FILES {
        let text = text(name);
        assert!(text.ends_with("\r\n"), "{name}");
        assert!(text.lines().count() > 50, "{name}: a realistic size");
        let sd = SessionDescription::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(sd.to_string(), text, "{name}");
        // Every line landed somewhere: none dropped, none invented.
        let attributes =
            sd.attributes.len() + sd.media.iter().map(|m| m.attributes.len()).sum::<usize>();
        assert_eq!(
            attributes,
            text.lines().filter(|l| l.starts_with("a=")).count(),
            "{name}"
        );
        assert_eq!(
            sd.media.len(),
            text.lines().filter(|l| l.starts_with("m=")).count(),
            "{name}"
        );
    }
}

#[test]
fn lf_only_text_parses_to_the_same_value_and_is_written_with_crlf() {
    for name in FILES {
        let crlf = text(name);
        let lf = crlf.replace("\r\n", "\n");
        assert!(!lf.contains('\r'), "{name}");
        let from_crlf = SessionDescription::parse(&crlf).unwrap();
        let from_lf = SessionDescription::parse(&lf).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(from_lf, from_crlf, "{name}");
        assert_eq!(from_lf.to_string(), crlf, "{name}");
        // Without the final line end too.
        let unterminated = lf.strip_suffix('\n').unwrap();
        assert_eq!(
            SessionDescription::parse(unterminated).as_ref(),
            Ok(&from_crlf),
            "{name}"
        );
    }
}

#[test]
fn firefox_offer() {
    let sd = parse("firefox/offer.sdp");
    assert_eq!(sd.origin.username, "mozilla...THIS_IS_SDPARTA-128.0.3");
    assert_eq!(sd.origin.session_id, "5820371069534286113");
    assert_eq!(sd.origin.session_version, "0");
    assert_eq!(sd.origin.unicast_address, "0.0.0.0");
    // Firefox puts the fingerprint at session level.
    assert!(session_value(&sd, "fingerprint").starts_with("sha-256 4E:0B:9A:71:"));
    assert_eq!(session_value(&sd, "group"), "BUNDLE 0 1 2");
    assert_eq!(session_value(&sd, "ice-options"), "trickle");
    assert_eq!(session_value(&sd, "msid-semantic"), "WMS *");
    assert_eq!(mids(&sd), ["0", "1", "2"]);

    let audio = &sd.media[0];
    assert_eq!(audio.media.port, 50412);
    assert_eq!(audio.media.formats, ["109", "9", "0", "8", "101"]);
    assert_eq!(audio.connections[0].base_address(), "198.51.100.23");
    assert_eq!(
        values(audio, "extmap"),
        [
            "1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
            "2/recvonly urn:ietf:params:rtp-hdrext:csrc-audio-level",
            "3 urn:ietf:params:rtp-hdrext:sdes:mid"
        ]
    );
    assert_eq!(
        fmtp(audio, "109"),
        "maxplaybackrate=48000;stereo=1;useinbandfec=1"
    );
    assert_eq!(payload_types(audio, "opus/48000/2"), ["109"]);
    let candidates = values(audio, "candidate");
    assert_eq!(candidates.len(), 3);
    assert!(candidates[0].ends_with(".local 50412 typ host"));
    assert!(candidates[1].ends_with(" typ host tcptype active"));
    assert_eq!(
        candidates[2],
        "1 1 UDP 1686052863 198.51.100.23 50412 typ srflx raddr 0.0.0.0 rport 0"
    );
    assert_eq!(audio.attribute("end-of-candidates").unwrap().value, None);
    assert_eq!(
        value(audio, "ssrc"),
        "2837461905 cname:{5d1a9e3c-7b2f-4c60-a8d4-1e9f3b7c2a05}"
    );

    let video = &sd.media[1];
    assert_eq!(video.media.formats.len(), 11);
    assert_eq!(payload_types(video, "H264/90000"), ["126", "97"]);
    assert_eq!(
        fmtp(video, "126"),
        "profile-level-id=42e01f;level-asymmetry-allowed=1;packetization-mode=1"
    );
    assert_eq!(fmtp(video, "124"), "apt=120");
    assert!(
        values(video, "extmap")
            .contains(&"8/sendonly urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id")
    );
    assert_eq!(values(video, "rid"), ["q send", "h send", "f send"]);
    assert_eq!(value(video, "simulcast"), "send q;h;~f");
    // Per-payload feedback, no wildcard.
    let feedback = values(video, "rtcp-fb");
    assert_eq!(feedback.len(), 25);
    assert!(feedback.iter().all(|f| !f.starts_with('*')));
    assert!(feedback.contains(&"120 transport-cc"));
    assert_eq!(values(video, "ssrc").len(), 6);
    assert_eq!(
        values(video, "ssrc-group"),
        [
            "FID 1402389576 3926145087",
            "FID 2250897314 617345290",
            "FID 3085612743 1198754036"
        ]
    );

    let data = &sd.media[2];
    assert_eq!(data.media.proto, "UDP/DTLS/SCTP");
    assert_eq!(data.media.formats, ["webrtc-datachannel"]);
    assert_eq!(value(data, "sctp-port"), "5000");
    assert_eq!(value(data, "max-message-size"), "1073741823");
}

#[test]
fn firefox_answer() {
    let sd = parse("firefox/answer.sdp");
    assert!(sd.origin.username.starts_with("mozilla...THIS_IS_SDPARTA-"));
    assert_eq!(session_value(&sd, "group"), "BUNDLE 0 1 2");
    assert_eq!(mids(&sd), ["0", "1", "2"]);
    for m in &sd.media {
        assert_eq!(m.media.port, 9);
        assert_eq!(value(m, "setup"), "active");
        assert_eq!(value(m, "ice-ufrag"), "c3f8b210");
        assert!(m.attribute("candidate").is_none());
    }
    let video = &sd.media[1];
    assert_eq!(video.attribute("recvonly").unwrap().value, None);
    assert_eq!(values(video, "rid"), ["q recv", "h recv", "f recv"]);
    assert_eq!(value(video, "simulcast"), "recv q;h;~f");
    assert_eq!(video.media.formats, ["120", "124"]);
}

#[test]
fn safari_offer() {
    let sd = parse("safari/offer.sdp");
    assert_eq!(sd.origin.username, "-");
    assert_eq!(sd.origin.session_id, "3840572916648213057");
    assert_eq!(sd.origin.session_version, "2");
    assert_eq!(sd.origin.unicast_address, "127.0.0.1");
    assert_eq!(session_value(&sd, "group"), "BUNDLE 0 1 2");
    assert_eq!(sd.attribute("extmap-allow-mixed").unwrap().value, None);
    // libwebrtc writes a space after the colon.
    assert_eq!(
        session_value(&sd, "msid-semantic"),
        " WMS 5E3A9C1F-7B24-4D86-A0E5-C9F3182B6D47"
    );
    assert_eq!(mids(&sd), ["0", "1", "2"]);

    let audio = &sd.media[0];
    assert_eq!(
        audio.media.formats,
        ["111", "63", "9", "0", "8", "13", "110", "126"]
    );
    assert_eq!(value(audio, "rtcp"), "9 IN IP4 0.0.0.0");
    assert_eq!(fmtp(audio, "111"), "minptime=10;useinbandfec=1");
    assert_eq!(fmtp(audio, "63"), "111/111");
    assert_eq!(payload_types(audio, "red/48000/2"), ["63"]);
    assert!(
        values(audio, "candidate")
            .iter()
            .all(|c| c.ends_with(" generation 0 network-cost 999"))
    );
    assert!(value(audio, "fingerprint").starts_with("sha-256 9F:24:C1:7E:"));

    let video = &sd.media[1];
    assert_eq!(video.media.formats.len(), 17);
    assert_eq!(
        payload_types(video, "H264/90000"),
        ["96", "98", "100", "102"]
    );
    let profiles: Vec<_> = ["96", "98", "100", "102"]
        .iter()
        .map(|pt| fmtp(video, pt))
        .collect();
    assert_eq!(
        profiles,
        [
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f",
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
            "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=640c1f",
            "level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f",
        ]
    );
    assert_eq!(payload_types(video, "H265/90000"), ["104"]);
    assert_eq!(
        fmtp(video, "104"),
        "level-id=93;profile-id=1;tier-flag=0;tx-mode=SRST"
    );
    assert_eq!(fmtp(video, "108"), "profile-id=0");
    // extmap ids need not be in order.
    let ids: Vec<&str> = values(video, "extmap")
        .iter()
        .map(|v| v.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["14", "2", "13", "3", "5", "6", "7", "8", "4", "10", "11"]
    );
    assert_eq!(value(video, "ssrc-group"), "FID 3051987264 1637420985");
    assert_eq!(
        values(video, "ssrc")[1],
        "3051987264 msid:5E3A9C1F-7B24-4D86-A0E5-C9F3182B6D47 0C6B2E95-D481-47F3-9A1E-83B5F07D2C64"
    );

    let data = &sd.media[2];
    assert_eq!(value(data, "max-message-size"), "262144");
}

#[test]
fn safari_answer() {
    let sd = parse("safari/answer.sdp");
    assert_eq!(sd.origin.unicast_address, "127.0.0.1");
    assert_eq!(mids(&sd), ["0", "1", "2"]);
    let video = &sd.media[1];
    assert_eq!(video.media.formats, ["96", "97", "104", "105"]);
    assert_eq!(video.attribute("recvonly").unwrap().value, None);
    assert!(video.attribute("msid").is_none());
    assert!(video.attribute("ssrc").is_none());
    let data = &sd.media[2];
    assert_eq!(data.bandwidths.len(), 1);
    assert_eq!(data.bandwidths[0].modifier, "AS");
    assert_eq!(data.bandwidths[0].value, 30);
    for m in &sd.media {
        assert_eq!(value(m, "setup"), "active");
        assert!(value(m, "fingerprint").starts_with("sha-256 D3:5A:E8:21:"));
    }
}
