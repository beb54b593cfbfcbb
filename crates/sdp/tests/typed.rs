//! Typed attributes of the Chromium 156 corpus, the JSEP checks on it and
//! on broken variants, and building a description with the editing API.

use rtw_sdp::attributes::*;
use rtw_sdp::{JsepRule, Level, Media, MediaDescription, Origin, SessionDescription};

fn corpus(name: &str) -> SessionDescription {
    let path = format!(
        "{}/tests/corpus/chromium-156/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    SessionDescription::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

const FILES: [&str; 3] = ["offer.sdp", "answer.sdp", "simulcast_offer.sdp"];

#[test]
fn every_known_attribute_of_the_corpus_parses_and_writes_back() {
    for name in FILES {
        let sd = corpus(name);
        let levels = std::iter::once(&sd.attributes).chain(sd.media.iter().map(|m| &m.attributes));
        let mut typed = 0;
        for attrs in levels {
            for a in attrs {
                if let Some(r) = check_known(a) {
                    r.unwrap_or_else(|e| panic!("{name}: a={a}: {e}"));
                    typed += 1;
                }
            }
        }
        assert!(typed > 100, "{name}: only {typed} typed attributes");
    }
}

/// Typed values write back as they were read, for every attribute of the
/// corpus whose form is canonical (all but Chrome's `msid-semantic: WMS`).
#[test]
fn typed_values_write_back_verbatim() {
    fn same<T: AttributeValue>(a: &rtw_sdp::Attribute) {
        let t = T::from_attribute(a).unwrap();
        assert_eq!(t.to_attribute(), *a, "a={a}");
    }
    for name in FILES {
        let sd = corpus(name);
        for m in &sd.media {
            for a in &m.attributes {
                match &*a.name {
                    "rtpmap" => same::<RtpMap>(a),
                    "fmtp" => same::<Fmtp>(a),
                    "rtcp-fb" => same::<RtcpFb>(a),
                    "extmap" => same::<Extmap>(a),
                    "ssrc" => same::<Ssrc>(a),
                    "ssrc-group" => same::<SsrcGroup>(a),
                    "msid" => same::<Msid>(a),
                    "fingerprint" => same::<Fingerprint>(a),
                    "candidate" => same::<Candidate>(a),
                    "rid" => same::<Rid>(a),
                    "simulcast" => same::<Simulcast>(a),
                    "rtcp" => same::<Rtcp>(a),
                    "rtcp-xr" => same::<RtcpXr>(a),
                    "setup" => same::<Setup>(a),
                    "ice-options" => same::<IceOptions>(a),
                    _ => {}
                }
            }
        }
    }
}

#[test]
fn chromium_offer_typed() {
    let sd = corpus("offer.sdp");
    let bundle: Vec<Group> = sd.bundle_groups().collect();
    assert_eq!(bundle.len(), 1);
    assert_eq!(bundle[0].mids, ["0", "1", "2"]);
    let wms = sd.get::<MsidSemantic>().unwrap().unwrap();
    assert_eq!(wms.semantic, "WMS");

    let audio = sd.media_by_mid("0").unwrap();
    let opus = audio.rtpmap(111).unwrap().unwrap();
    assert_eq!(opus.encoding_name, "opus");
    assert_eq!((opus.clock_rate, opus.channels()), (48000, Some(2)));
    let fmtp = audio.fmtp("111").unwrap().unwrap();
    assert_eq!(fmtp.get("minptime"), Some("10"));
    assert_eq!(fmtp.get("useinbandfec"), Some("1"));
    assert!(audio.has::<RtcpMux>());
    assert_eq!(audio.direction(), Some(Direction::SendRecv));
    assert_eq!(audio.get::<Setup>().unwrap(), Ok(Setup::ActPass));
    let fp = audio.get::<Fingerprint>().unwrap().unwrap();
    assert_eq!((fp.hash_function.as_str(), fp.value.len()), ("sha-256", 32));
    assert!(audio.get::<IceOptions>().unwrap().unwrap().has("trickle"));
    let candidates: Vec<Candidate> = audio.get_all::<Candidate>().map(Result::unwrap).collect();
    assert!(!candidates.is_empty());
    for c in &candidates {
        assert!(c.address().ends_with(".local"), "{}", c.value());
        assert_eq!(c.kind(), "host");
    }
    let feedback: Vec<RtcpFb> = audio.get_all::<RtcpFb>().map(Result::unwrap).collect();
    assert!(
        feedback
            .iter()
            .any(|f| f.applies_to("111") && f.feedback == "transport-cc")
    );
    let ssrc: Vec<Ssrc> = audio.get_all::<Ssrc>().map(Result::unwrap).collect();
    assert!(ssrc.iter().any(|s| s.attribute == "cname"));

    let video = sd.media_by_mid("1").unwrap();
    let vp8 = video.rtpmap(96).unwrap().unwrap();
    assert_eq!((vp8.encoding_name.as_str(), vp8.clock_rate), ("VP8", 90000));
    let rtx = video.fmtp("97").unwrap().unwrap();
    assert_eq!(rtx.get("apt"), Some("96"));
    let fid = video.get::<SsrcGroup>().unwrap().unwrap();
    assert_eq!((fid.semantics.as_str(), fid.ssrcs.len()), ("FID", 2));
    assert!(video.get_all::<Extmap>().all(|e| e.unwrap().id <= 14));

    let data = sd.media_by_mid("2").unwrap();
    assert_eq!(data.media.formats, ["webrtc-datachannel"]);
    assert_eq!(data.get::<SctpPort>().unwrap(), Ok(SctpPort(5000)));
    assert!(data.get::<MaxMessageSize>().unwrap().unwrap().0 > 0);
}

#[test]
fn chromium_answer_and_simulcast_offer_typed() {
    let answer = corpus("answer.sdp");
    for m in &answer.media {
        assert_eq!(m.get::<Setup>().unwrap(), Ok(Setup::Active));
    }
    assert_eq!(answer.media[0].direction(), Some(Direction::RecvOnly));

    let offer = corpus("simulcast_offer.sdp");
    let video = offer
        .media
        .iter()
        .find(|m| m.has::<Simulcast>())
        .expect("a simulcast section");
    let sc = video.get::<Simulcast>().unwrap().unwrap();
    let rids: Vec<Rid> = video.get_all::<Rid>().map(Result::unwrap).collect();
    assert!(rids.len() >= 2);
    assert!(rids.iter().all(|r| r.direction == RidDirection::Send));
    let sent: Vec<&str> = sc.send.iter().map(|alt| alt[0].rid.as_str()).collect();
    let named: Vec<&str> = rids.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(sent, named);
    assert!(video.get::<RtcpXr>().unwrap().unwrap().has("rcvr-rtt"));
}

#[test]
fn the_corpus_passes_the_jsep_checks() {
    for name in FILES {
        let problems = corpus(name).check_jsep();
        assert!(problems.is_empty(), "{name}: {problems:#?}");
    }
}

/// Change one line of the Chromium offer and expect `rule` at that line.
fn broken(from: &str, to: &str) -> (usize, Vec<rtw_sdp::JsepProblem>) {
    let text = std::fs::read_to_string(format!(
        "{}/tests/corpus/chromium-156/offer.sdp",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let line = text.lines().position(|l| l == from).expect(from) + 1;
    let text = if to.is_empty() {
        text.replacen(&format!("{from}\r\n"), "", 1)
    } else {
        text.replacen(from, to, 1)
    };
    (line, SessionDescription::parse(&text).unwrap().check_jsep())
}

#[test]
fn broken_offers_are_reported_at_their_line() {
    let cases: [(&str, &str, JsepRule); 7] = [
        (
            "a=rtpmap:111 opus/48000/2",
            "a=rtpmap:111 opus",
            JsepRule::MalformedAttribute,
        ),
        ("a=mid:1", "a=mid:0", JsepRule::DuplicateMid),
        (
            "a=group:BUNDLE 0 1 2",
            "a=group:BUNDLE 0 1 2 7",
            JsepRule::GroupNamesUnknownMid,
        ),
        (
            "a=rtpmap:111 opus/48000/2",
            "a=rtpmap:112 opus/48000/2",
            JsepRule::AttributeForUnlistedFormat,
        ),
        (
            "a=sendrecv",
            "a=sendrecv\r\na=inactive",
            JsepRule::MultipleDirections,
        ),
        (
            "a=rtcp-mux",
            "a=rtcp-mux-only",
            JsepRule::RtcpMuxOnlyWithoutRtcpMux,
        ),
        (
            "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
            "a=extmap:1 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
            JsepRule::DuplicateExtmapId,
        ),
    ];
    for (from, to, rule) in cases {
        let (line, problems) = broken(from, to);
        let hit = problems.iter().find(|p| p.rule == rule);
        let hit = hit.unwrap_or_else(|| panic!("{to}: {problems:#?}"));
        let expected = if rule == JsepRule::MultipleDirections {
            line + 1
        } else {
            line
        };
        assert_eq!(hit.line, expected, "{to}: {hit}");
    }
}

#[test]
fn a_second_end_of_candidates_in_a_section_is_reported_at_its_line() {
    let last_audio_candidate = "a=candidate:2357875166 1 udp 2113942271 38b9f68d-6b43-40b3-b36b-a4a56b5af4eb.local 42389 typ host generation 0 network-cost 999";
    let rule = JsepRule::RepeatedEndOfCandidates;
    // Once in each section passes.
    let mut sd = corpus("offer.sdp");
    for m in &mut sd.media {
        m.push(&EndOfCandidates);
    }
    assert!(sd.check_jsep().is_empty(), "{:#?}", sd.check_jsep());
    // Twice in the audio section: reported at the second, once.
    let twice = format!("{last_audio_candidate}\r\na=end-of-candidates\r\na=end-of-candidates");
    let (line, problems) = broken(last_audio_candidate, &twice);
    let hits: Vec<_> = problems.iter().filter(|p| p.rule == rule).collect();
    assert_eq!(hits.len(), 1, "{problems:#?}");
    assert_eq!(hits[0].line, line + 2, "{}", hits[0]);
    assert!(hits[0].to_string().contains("end-of-candidates"));
    // Apart, with the candidate between them, it is still the same section.
    let apart = format!("a=end-of-candidates\r\n{last_audio_candidate}\r\na=end-of-candidates");
    let (line, problems) = broken(last_audio_candidate, &apart);
    let hits: Vec<_> = problems
        .iter()
        .filter(|p| p.rule == rule)
        .map(|p| p.line)
        .collect();
    assert_eq!(hits, [line + 2], "{problems:#?}");
    // At session level too.
    let mut sd = corpus("offer.sdp");
    sd.attributes.push(EndOfCandidates.to_attribute());
    sd.attributes.push(EndOfCandidates.to_attribute());
    let last = sd.line_of_attribute(Level::Session, sd.attributes.len() - 1);
    let hits: Vec<_> = sd
        .check_jsep()
        .into_iter()
        .filter(|p| p.rule == rule)
        .map(|p| p.line)
        .collect();
    assert_eq!(hits, [last]);
}

#[test]
fn missing_transport_attributes_are_reported_at_the_m_line() {
    let sd = corpus("offer.sdp");
    for (name, rule) in [
        ("ice-ufrag", JsepRule::MissingIceCredentials),
        ("fingerprint", JsepRule::MissingFingerprint),
        ("setup", JsepRule::MissingSetup),
    ] {
        let mut sd = sd.clone();
        for m in &mut sd.media {
            m.attributes.retain(|a| a.name != name);
        }
        let problems = sd.check_jsep();
        let lines: Vec<usize> = problems
            .iter()
            .filter(|p| p.rule == rule)
            .map(|p| p.line)
            .collect();
        let m_lines: Vec<usize> = (0..sd.media.len())
            .map(|i| sd.first_line(Level::Media(i)))
            .collect();
        assert_eq!(lines, m_lines, "{name}");
    }
    let mut no_mid = sd.clone();
    no_mid.media[2].remove::<Mid>();
    let problems = no_mid.check_jsep();
    assert!(problems.iter().any(|p| p.rule == JsepRule::MissingMid));
    assert!(
        problems
            .iter()
            .any(|p| p.rule == JsepRule::GroupNamesUnknownMid)
    );
}

#[test]
fn line_numbers_match_the_text() {
    let text = std::fs::read_to_string(format!(
        "{}/tests/corpus/chromium-156/offer.sdp",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let sd = SessionDescription::parse(&text).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for (i, m) in sd.media.iter().enumerate() {
        assert!(lines[sd.first_line(Level::Media(i)) - 1].starts_with("m="));
        for (j, a) in m.attributes.iter().enumerate() {
            assert_eq!(
                lines[sd.line_of_attribute(Level::Media(i), j) - 1],
                format!("a={a}")
            );
        }
    }
    for (j, a) in sd.attributes.iter().enumerate() {
        assert_eq!(
            lines[sd.line_of_attribute(Level::Session, j) - 1],
            format!("a={a}")
        );
    }
}

#[test]
fn build_edit_and_write_an_offer() {
    let mut sd = SessionDescription::new(Origin::jsep(4611731400430051336, 2));
    sd.push(&Group {
        semantics: "BUNDLE".into(),
        mids: vec!["0".into()],
    });
    sd.push(&MsidSemantic {
        semantic: "WMS".into(),
        identifiers: vec![],
    });
    let mut audio = MediaDescription::new(Media::new("audio", 9, "UDP/TLS/RTP/SAVPF", ["111"]));
    audio.connections.push(rtw_sdp::Connection {
        nettype: "IN".into(),
        addrtype: "IP4".into(),
        address: "0.0.0.0".into(),
    });
    audio.push(&IceUfrag("EsAw".into()));
    audio.push(&IcePwd("P2uYro0UCOQ4zxjKXaWCBui1".into()));
    audio.push(&IceOptions(vec!["trickle".into()]));
    audio.push(&Fingerprint {
        hash_function: "sha-256".into(),
        value: (0..32).collect(),
    });
    audio.push(&Setup::ActPass);
    audio.push(&Mid("0".into()));
    audio.set_direction(Direction::SendOnly);
    audio.push(&RtcpMux);
    audio.push(&RtpMap {
        payload_type: 111,
        encoding_name: "opus".into(),
        clock_rate: 48000,
        encoding_parameters: Some("2".into()),
    });
    audio.push(&Fmtp {
        format: "111".into(),
        parameters: vec![("minptime".into(), Some("10".into()))],
    });
    audio.push(&EndOfCandidates);
    audio.add_candidate(
        &Candidate::parse("candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host").unwrap(),
    );
    sd.media.push(audio);
    assert!(sd.check_jsep().is_empty(), "{:#?}", sd.check_jsep());

    let text = sd.to_string();
    assert!(
        text.starts_with("v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n")
    );
    assert!(text.contains(
        "a=candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host\r\na=end-of-candidates\r\n"
    ));
    assert!(text.contains("a=fingerprint:sha-256 00:01:02:"));
    let back = SessionDescription::parse(&text).unwrap();
    assert_eq!(back, sd);

    let m = sd.media_by_mid_mut("0").unwrap();
    m.set_direction(Direction::Inactive);
    assert_eq!(m.direction(), Some(Direction::Inactive));
    assert_eq!(m.attributes_named("sendonly").count(), 0);
    m.set(&Setup::Active);
    assert_eq!(m.get::<Setup>().unwrap(), Ok(Setup::Active));
    assert_eq!(m.remove::<RtcpMux>(), 1);
    assert!(!m.has::<RtcpMux>());
}

/// The RFC 8829 examples and the Firefox- and Safari-style cases pass the
/// JSEP checks too, and every attribute rtw-sdp types in them parses.
#[test]
fn every_corpus_passes_the_jsep_checks() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let mut files = 0;
    for dir in ["rfc8829", "firefox", "safari"] {
        for entry in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
            let path = entry.unwrap().path();
            let sd = SessionDescription::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let problems = sd.check_jsep();
            assert!(problems.is_empty(), "{}: {problems:#?}", path.display());
            files += 1;
        }
    }
    assert!(files >= 14, "{files} files");
}
