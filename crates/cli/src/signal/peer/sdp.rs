//! The peer's session descriptions, built with the rtw-sdp editing API:
//! the answer to a browser's offer, the offer rtw makes itself, and what
//! ICE needs from the other side's description (RFC 8829 §5, RFC 8839).
//!
//! rtw has ICE but no DTLS, SCTP or RTP: the descriptions carry what a
//! browser needs to run ICE with it (credentials, `ice-options:trickle`,
//! BUNDLE), and a DTLS fingerprint and setup role only because a browser
//! refuses a description without them (RFC 8829 §5.2.1, §5.3.1); the
//! fingerprint is of no certificate, so DTLS never completes.

use rtw_ice::Credentials;
use rtw_sdp::attributes::{
    Direction, EndOfCandidates, Fingerprint, Fmtp, Group, IceLite, IceOptions, IcePwd, IceUfrag,
    MaxMessageSize, Mid, RtcpMux, RtpMap, SctpPort, Setup,
};
use rtw_sdp::{
    AttributeValue, Connection, Limits, Media, MediaDescription, Origin, SessionDescription,
};

/// The format of a WebRTC data channel section (RFC 8841 §4.1).
const DATA_CHANNEL: &str = "webrtc-datachannel";

/// The proto of a data channel section over UDP (RFC 8841 §4.1).
const SCTP_PROTO: &str = "UDP/DTLS/SCTP";

/// The SCTP port rtw names (RFC 8841 §5.1; 5000 is what browsers use).
const SCTP_PORT: u16 = 5000;

/// The largest SCTP message rtw says it takes (RFC 8841 §6.1): it takes
/// none, as it has no SCTP; this is the browsers' usual figure.
const MAX_MESSAGE_SIZE: u64 = 262_144;

/// Limits for a description from the signaling channel: a browser's is a
/// few KiB (Chromium's offer with audio, video and data is about 6 KiB).
pub(super) fn limits() -> Limits {
    Limits::default().max_size(64 * 1024).max_lines(2_000)
}

/// Parse a description from the other side with [`limits`].
pub(super) fn parse(text: &str) -> Result<SessionDescription, String> {
    SessionDescription::parse_with_limits(text, &limits()).map_err(|e| e.to_string())
}

/// What this side puts in its descriptions.
#[derive(Debug, Clone)]
pub(super) struct Local {
    /// `o=` session id: random, below 2^63 (RFC 8829 §5.2.1).
    pub(super) session_id: u64,
    /// `o=` session version, one higher for each new description (RFC
    /// 3264 §8).
    pub(super) version: u64,
    /// `a=ice-ufrag` and `a=ice-pwd` (RFC 8839 §5.4).
    pub(super) credentials: Credentials,
    /// The 32 bytes of `a=fingerprint:sha-256` (RFC 8122 §5).
    pub(super) fingerprint: [u8; 32],
}

/// What ICE needs from the other side's description: the credentials,
/// candidates and end-of-candidates of the transport in use (the
/// offerer-tagged section of a BUNDLE group, RFC 9143 §7.2, or the first
/// section in use), and whether the other side is ICE lite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RemoteIce {
    /// `ice-ufrag` and `ice-pwd`, at media or session level.
    pub(super) credentials: Credentials,
    /// The `a=candidate` lines of that section, as written (RFC 8839 §5.1).
    pub(super) candidates: Vec<String>,
    /// `a=end-of-candidates` in that section or at session level (RFC 8840).
    pub(super) end_of_candidates: bool,
    /// `a=ice-lite` at session level (RFC 8839 §5.3).
    pub(super) lite: bool,
    /// The `mid` of that section, if it has one.
    pub(super) mid: Option<String>,
    /// Its index among the `m=` lines (`sdpMLineIndex`).
    pub(super) index: usize,
}

/// The section whose transport ICE runs on: the first `mid` of the first
/// BUNDLE group (RFC 9143 §7.2, the offerer- or answerer-tagged section),
/// else the first section in use.
fn transport_section(sd: &SessionDescription) -> Option<usize> {
    let tagged = sd
        .bundle_groups()
        .find_map(|g| g.mids.first().cloned())
        .and_then(|mid| sd.media.iter().position(|m| m.mid() == Some(mid.as_str())));
    tagged.or_else(|| sd.media.iter().position(|m| !m.is_rejected()))
}

/// An attribute at media level, else at session level.
fn either<T: AttributeValue>(
    sd: &SessionDescription,
    m: &MediaDescription,
) -> Option<Result<T, String>> {
    m.get::<T>()
        .or_else(|| sd.get::<T>())
        .map(|r| r.map_err(|e| e.to_string()))
}

/// Read what ICE needs from the other side's offer or answer.
pub(super) fn remote_ice(sd: &SessionDescription) -> Result<RemoteIce, String> {
    let index = transport_section(sd).ok_or("no media section in use")?;
    let m = &sd.media[index];
    let ufrag = either::<IceUfrag>(sd, m).ok_or("no a=ice-ufrag (RFC 8839 §5.4)")??;
    let pwd = either::<IcePwd>(sd, m).ok_or("no a=ice-pwd (RFC 8839 §5.4)")??;
    Ok(RemoteIce {
        credentials: Credentials {
            ufrag: ufrag.0,
            pwd: pwd.0,
        },
        candidates: m
            .attributes_named("candidate")
            .filter_map(|a| a.value.as_deref().map(str::to_owned))
            .collect(),
        end_of_candidates: m.has::<EndOfCandidates>() || sd.has::<EndOfCandidates>(),
        lite: sd.has::<IceLite>(),
        mid: m.mid().map(str::to_owned),
        index,
    })
}

/// Whether a section is a data channel over SCTP over DTLS over UDP
/// (RFC 8841 §4.1).
fn is_data_channel(m: &MediaDescription) -> bool {
    m.media.media == "application"
        && m.media.proto.ends_with("DTLS/SCTP")
        && m.media.formats.iter().any(|f| f == DATA_CHANNEL)
}

/// Whether a section is RTP media over DTLS-SRTP (RFC 8829 §5.1.2).
fn is_rtp(m: &MediaDescription) -> bool {
    matches!(m.media.media.as_str(), "audio" | "video") && m.media.proto.contains("RTP/")
}

/// The transport attributes of every section in use (RFC 8829 §5.2.1,
/// §5.3.1): credentials, trickle, fingerprint, setup role.
fn transport(m: &mut MediaDescription, local: &Local, setup: Setup) {
    m.push(&IceUfrag(local.credentials.ufrag.clone()));
    m.push(&IcePwd(local.credentials.pwd.clone()));
    m.push(&IceOptions(vec!["trickle".into()]));
    m.push(&Fingerprint {
        hash_function: "sha-256".into(),
        value: local.fingerprint.to_vec(),
    });
    m.push(&setup);
}

/// `c=IN IP4 0.0.0.0` with port 9: the address comes with the trickled
/// candidates (RFC 8840 §4.1.1, RFC 8829 §5.2.1).
fn dummy_connection() -> Connection {
    Connection {
        nettype: "IN".into(),
        addrtype: "IP4".into(),
        address: "0.0.0.0".into(),
    }
}

/// The setup role of the answer to an offer's (RFC 8842 §5.3): `active`
/// for `actpass` (JSEP's choice, RFC 8829 §5.3.1) or `passive`, `passive`
/// for `active`.
fn answer_setup(offered: Option<Setup>) -> Setup {
    match offered {
        Some(Setup::Active) => Setup::Passive,
        _ => Setup::Active,
    }
}

/// Copy the offer's `rtpmap` and `fmtp` of the first format `answer`
/// lists from the offered section (RFC 8866 §6.6, §6.15).
fn describe_first_format(answer: &mut MediaDescription, offered: &MediaDescription) {
    let Some(format) = answer.media.formats.first().cloned() else {
        return;
    };
    for name in [RtpMap::NAME, Fmtp::NAME] {
        let described = offered
            .attributes_named(name)
            .find(|a| a.value.as_deref().and_then(|v| v.split(' ').next()) == Some(&*format));
        if let Some(attribute) = described {
            answer.attributes.push(attribute.clone());
        }
    }
}

/// The answer to `offer` (RFC 8829 §5.3.1, RFC 3264 §6): one section per
/// offered one, in order, with the same `mid`.
///
/// - A data channel section is accepted: `m=application 9
///   UDP/DTLS/SCTP webrtc-datachannel`, `a=sctp-port`,
///   `a=max-message-size`.
/// - An audio or video section is accepted but `a=inactive`, with the
///   first offered format only (and its rtpmap and fmtp) and
///   `a=rtcp-mux`: rtw sends and receives no RTP, and a browser with
///   bundle policy `max-bundle` wants no section rejected from the group.
/// - Any other section, and one the offer rejects, is rejected (port 0,
///   RFC 3264 §6).
///
/// Each accepted section carries this side's transport attributes
/// (`ice-ufrag`, `ice-pwd`, `ice-options:trickle`, `fingerprint`,
/// `setup:active` for an `actpass` offer), and the session a BUNDLE group
/// of the accepted sections of the offer's group, in its order (RFC 9143
/// §7.3). No candidates: they are trickled (RFC 8838).
pub(super) fn answer(offer: &SessionDescription, local: &Local) -> SessionDescription {
    let mut sd = SessionDescription::new(Origin::jsep(local.session_id, local.version));
    let mut accepted = Vec::new();
    for m in &offer.media {
        let setup = answer_setup(
            m.get::<Setup>()
                .or_else(|| offer.get::<Setup>())
                .and_then(Result::ok),
        );
        let mut section = if m.is_rejected() {
            None
        } else if is_data_channel(m) {
            let mut a = MediaDescription::new(Media::new(
                "application",
                9,
                m.media.proto.clone(),
                [DATA_CHANNEL],
            ));
            a.connections.push(dummy_connection());
            Some(a)
        } else if is_rtp(m) {
            let first = m.media.formats.first().cloned().unwrap_or_default();
            let mut a = MediaDescription::new(Media::new(
                m.media.media.clone(),
                9,
                m.media.proto.clone(),
                [first.clone()],
            ));
            a.connections.push(dummy_connection());
            Some(a)
        } else {
            None
        };
        match &mut section {
            Some(a) => {
                if let Some(mid) = m.mid() {
                    a.push(&Mid(mid.to_owned()));
                    accepted.push(mid.to_owned());
                }
                transport(a, local, setup);
                if a.media.media == "application" {
                    a.push(&SctpPort(SCTP_PORT));
                    a.push(&MaxMessageSize(MAX_MESSAGE_SIZE));
                } else {
                    a.set_direction(Direction::Inactive);
                    a.push(&RtcpMux);
                    describe_first_format(a, m);
                }
            }
            None => {
                // RFC 3264 §6: port 0, and at least one of the offered
                // formats (with its rtpmap, so that the section stays
                // well-formed).
                let first = m.media.formats.first().cloned();
                let mut rejected = MediaDescription::new(Media::new(
                    m.media.media.clone(),
                    0,
                    m.media.proto.clone(),
                    first,
                ));
                if let Some(mid) = m.mid() {
                    rejected.push(&Mid(mid.to_owned()));
                }
                describe_first_format(&mut rejected, m);
                section = Some(rejected);
            }
        }
        sd.media.extend(section);
    }
    if let Some(group) = offer.bundle_groups().next() {
        let mids: Vec<String> = group
            .mids
            .iter()
            .filter(|mid| accepted.contains(mid))
            .cloned()
            .collect();
        if !mids.is_empty() {
            sd.attributes.insert(
                0,
                Group {
                    semantics: "BUNDLE".into(),
                    mids,
                }
                .to_attribute(),
            );
        }
    }
    sd
}

/// The offer rtw makes itself (RFC 8829 §5.2.1): one data channel section,
/// `m=application 9 UDP/DTLS/SCTP webrtc-datachannel` with `mid` 0, in a
/// BUNDLE group, `setup:actpass`, this side's ICE credentials and
/// `ice-options:trickle`; candidates are trickled.
pub(super) fn offer(local: &Local) -> SessionDescription {
    let mut sd = SessionDescription::new(Origin::jsep(local.session_id, local.version));
    sd.push(&Group {
        semantics: "BUNDLE".into(),
        mids: vec!["0".into()],
    });
    let mut m = MediaDescription::new(Media::new("application", 9, SCTP_PROTO, [DATA_CHANNEL]));
    m.connections.push(dummy_connection());
    transport(&mut m, local, Setup::ActPass);
    m.push(&Mid("0".into()));
    m.push(&SctpPort(SCTP_PORT));
    m.push(&MaxMessageSize(MAX_MESSAGE_SIZE));
    sd.media.push(m);
    sd
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHROMIUM: &str = include_str!("../../../../sdp/tests/corpus/chromium-156/offer.sdp");
    const SIMULCAST: &str =
        include_str!("../../../../sdp/tests/corpus/chromium-156/simulcast_offer.sdp");
    const FIREFOX: &str = include_str!("../../../../sdp/tests/corpus/firefox/offer.sdp");
    const SAFARI: &str = include_str!("../../../../sdp/tests/corpus/safari/offer.sdp");
    const RFC8829: [&str; 5] = [
        include_str!("../../../../sdp/tests/corpus/rfc8829/offer-A1.sdp"),
        include_str!("../../../../sdp/tests/corpus/rfc8829/offer-B1.sdp"),
        include_str!("../../../../sdp/tests/corpus/rfc8829/offer-B2.sdp"),
        include_str!("../../../../sdp/tests/corpus/rfc8829/offer-C1.sdp"),
        include_str!("../../../../sdp/tests/corpus/rfc8829/offer-C2.sdp"),
    ];

    fn local() -> Local {
        Local {
            session_id: 4_611_686_018_427_387_904,
            version: 1,
            credentials: Credentials {
                ufrag: "rtwA".into(),
                pwd: "rtwrtwrtwrtwrtwrtwrtwrtw".into(),
            },
            fingerprint: [0xAB; 32],
        }
    }

    /// The answer to `text`, checked as a browser would: it follows JSEP,
    /// reads back as written, answers every section in order with its mid,
    /// and carries this side's transport in every accepted section.
    fn answer_to(text: &str) -> (SessionDescription, SessionDescription) {
        let offer = parse(text).unwrap();
        let answer = answer(&offer, &local());
        let written = answer.to_string();
        let again = parse(&written).unwrap();
        assert_eq!(again, answer);
        assert_eq!(answer.check_jsep(), [], "{written}");
        assert_eq!(answer.media.len(), offer.media.len());
        for (a, o) in answer.media.iter().zip(&offer.media) {
            assert_eq!(a.mid(), o.mid());
            assert_eq!(a.media.media, o.media.media);
            if a.is_rejected() {
                continue;
            }
            assert_eq!(a.media.port, 9);
            assert_eq!(a.get::<IceUfrag>(), Some(Ok(IceUfrag("rtwA".into()))));
            assert_eq!(
                a.get::<IcePwd>(),
                Some(Ok(IcePwd("rtwrtwrtwrtwrtwrtwrtwrtw".into())))
            );
            assert!(a.get::<IceOptions>().unwrap().unwrap().has("trickle"));
            let fingerprint = a.get::<Fingerprint>().unwrap().unwrap();
            assert_eq!(fingerprint.hash_function, "sha-256");
            assert_eq!(fingerprint.value, [0xAB; 32]);
            assert_eq!(a.get::<Setup>(), Some(Ok(Setup::Active)));
            assert!(!a.has::<rtw_sdp::attributes::Candidate>());
        }
        (offer, answer)
    }

    fn bundle(sd: &SessionDescription) -> Vec<String> {
        sd.get::<Group>().unwrap().unwrap().mids
    }

    #[test]
    fn chromium_offer_answered_with_a_data_channel_and_inactive_media() {
        let (offer, answer) = answer_to(CHROMIUM);
        assert_eq!(bundle(&answer), bundle(&offer));
        let data = answer
            .media
            .iter()
            .find(|m| m.media.media == "application")
            .unwrap();
        assert_eq!(
            data.media,
            Media::new("application", 9, "UDP/DTLS/SCTP", ["webrtc-datachannel"])
        );
        assert_eq!(data.get::<SctpPort>(), Some(Ok(SctpPort(5000))));
        let audio = &answer.media[0];
        assert_eq!(audio.direction(), Some(Direction::Inactive));
        assert!(audio.has::<RtcpMux>());
        let codec = audio.get::<RtpMap>().unwrap().unwrap();
        assert_eq!(codec.encoding_name, "opus");
        assert_eq!(audio.media.formats, [codec.payload_type.to_string()]);
        let text = answer.to_string();
        assert!(text.starts_with("v=0\r\no=- 4611686018427387904 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE "), "{text}");
        assert!(text.contains("\r\na=setup:active\r\n"));
    }

    #[test]
    fn firefox_safari_and_simulcast_offers_are_answered() {
        for text in [FIREFOX, SAFARI, SIMULCAST] {
            let (offer, answer) = answer_to(text);
            assert_eq!(bundle(&answer), bundle(&offer));
        }
    }

    #[test]
    fn rfc8829_offers_are_answered() {
        for text in RFC8829 {
            answer_to(text);
        }
    }

    #[test]
    fn the_remote_ice_of_browser_offers() {
        let firefox = remote_ice(&parse(FIREFOX).unwrap()).unwrap();
        assert_eq!(firefox.credentials.ufrag, "a61e09d4");
        assert_eq!(firefox.credentials.pwd, "3f9c1a7be24d8065c1f2a93b7e4d0c58");
        assert_eq!((firefox.mid.as_deref(), firefox.index), (Some("0"), 0));
        assert_eq!(firefox.candidates.len(), 3);
        assert!(firefox.candidates[2].ends_with("typ srflx raddr 0.0.0.0 rport 0"));
        assert!(firefox.end_of_candidates);
        assert!(!firefox.lite);
        let chromium = remote_ice(&parse(CHROMIUM).unwrap()).unwrap();
        assert!(!chromium.credentials.ufrag.is_empty());
        assert!(chromium.credentials.pwd.len() >= 22);
    }

    #[test]
    fn an_offer_without_ice_credentials_is_refused() {
        let sd = parse(
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n\
             m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n",
        )
        .unwrap();
        assert!(remote_ice(&sd).unwrap_err().contains("ice-ufrag"));
        let empty = parse("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n").unwrap();
        assert!(remote_ice(&empty).is_err());
    }

    #[test]
    fn unknown_and_rejected_sections_are_rejected_and_left_out_of_bundle() {
        let text = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE a b c\r\n\
                    a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n\
                    m=text 9 UDP/TLS/RTP/SAVPF 100\r\na=mid:a\r\na=rtpmap:100 t140/1000\r\n\
                    m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:b\r\n\
                    m=audio 0 UDP/TLS/RTP/SAVPF 0\r\na=mid:c\r\n";
        let (_, answer) = answer_to(text);
        assert_eq!(bundle(&answer), ["b"]);
        assert!(answer.media[0].is_rejected());
        assert!(!answer.media[1].is_rejected());
        assert!(answer.media[2].is_rejected());
        let ice = remote_ice(&parse(text).unwrap()).unwrap();
        // The offerer-tagged section is `a`, which this side rejects; ICE
        // still runs on the offer's transport.
        assert_eq!(ice.mid.as_deref(), Some("a"));
        assert_eq!(ice.credentials.ufrag, "abcd");
    }

    #[test]
    fn the_offer_is_one_bundled_data_channel_with_actpass() {
        let sd = offer(&local());
        assert_eq!(sd.check_jsep(), []);
        let text = sd.to_string();
        assert_eq!(parse(&text).unwrap(), sd);
        assert_eq!(bundle(&sd), ["0"]);
        let m = &sd.media[0];
        assert_eq!(
            m.media.to_string(),
            "application 9 UDP/DTLS/SCTP webrtc-datachannel"
        );
        assert_eq!(m.get::<Setup>(), Some(Ok(Setup::ActPass)));
        assert_eq!(m.mid(), Some("0"));
        // What a browser answers it with is read back by remote_ice.
        let answer = answer(
            &sd,
            &Local {
                credentials: Credentials {
                    ufrag: "peer".into(),
                    pwd: "peerpeerpeerpeerpeerpeer".into(),
                },
                ..local()
            },
        );
        assert_eq!(answer.media[0].get::<Setup>(), Some(Ok(Setup::Active)));
        let ice = remote_ice(&answer).unwrap();
        assert_eq!(ice.credentials.ufrag, "peer");
        assert_eq!((ice.mid.as_deref(), ice.index), (Some("0"), 0));
    }
}
