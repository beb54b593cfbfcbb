//! Parse a browser's offer, edit it and write it back (RFC 8866, RFC 8829).
//!
//! The offer is Chromium 156's from the test corpus
//! (`tests/corpus/chromium-156/offer.sdp`): audio, video and a data
//! channel, BUNDLEd. The edits are ones an application makes before
//! sending an offer on: keep only Opus for audio, receive video only, add
//! a trickled candidate and end the candidates, and bump the session
//! version (RFC 3264 §8).
//!
//! `cargo run -p rtw-sdp --example edit`

use rtw_sdp::attributes::{Candidate, Direction, EndOfCandidates, Fmtp, RtcpFb, RtpMap};
use rtw_sdp::{AttributeValue, Error, Limits, SessionDescription};

const OFFER: &str = include_str!("../tests/corpus/chromium-156/offer.sdp");

fn main() -> Result<(), Error> {
    // A signaling server takes text from peers: parse with limits that
    // fit offers (a few KiB), not the 1 MiB default.
    let limits = Limits::default().max_size(64 * 1024).max_lines(2_000);
    let mut sd = SessionDescription::parse_with_limits(OFFER, &limits)?;
    assert_eq!(sd.to_string(), OFFER, "written back byte for byte");

    for m in &sd.media {
        let codecs: Vec<String> = m
            .get_all::<RtpMap>()
            .map(|r| r.map(|r| format!("{}/{}", r.encoding_name, r.clock_rate)))
            .collect::<Result<_, _>>()?;
        println!(
            "mid {:?}: {} {:?}, {} codecs {:?}",
            m.mid().unwrap_or("-"),
            m.media.media,
            m.direction(),
            codecs.len(),
            codecs.iter().take(3).collect::<Vec<_>>(),
        );
    }

    // 1. Audio: Opus only. Drop the other payload types from the m= line
    //    and their rtpmap, fmtp and rtcp-fb lines.
    let audio = sd.media_by_mid_mut("0").expect("mid 0 is audio");
    let opus = audio
        .get_all::<RtpMap>()
        .find_map(|r| r.ok().filter(|r| r.encoding_name == "opus"))
        .expect("Chromium offers Opus");
    let keep = opus.payload_type.to_string();
    audio.media.formats.retain(|f| *f == keep);
    audio.attributes.retain(|a| {
        let per_format = [RtpMap::NAME, Fmtp::NAME, RtcpFb::NAME].contains(&&*a.name);
        let format = a.value.as_deref().and_then(|v| v.split(' ').next());
        !per_format || format == Some(keep.as_str()) || format == Some("*")
    });

    // 2. Add a candidate trickled after the offer was made, then say that
    //    no more will come (RFC 8840).
    let candidate = Candidate::parse(
        "candidate:842163049 1 udp 1677729535 198.51.100.7 46154 typ srflx raddr 0.0.0.0 rport 0",
    )?;
    audio.add_candidate(&candidate);
    audio.push(&EndOfCandidates);

    // 3. Video: receive only.
    let video = sd.media_by_mid_mut("1").expect("mid 1 is video");
    video.set_direction(Direction::RecvOnly);

    // 4. A changed description gets a higher session version.
    let version: u64 = sd.origin.session_version.parse().expect("numeric");
    sd.origin.session_version = (version + 1).to_string().into();

    // The result still follows JSEP, and reads back as written.
    let problems = sd.check_jsep();
    assert!(problems.is_empty(), "{problems:?}");
    let edited = sd.to_string();
    let again = SessionDescription::parse(&edited)?;
    assert_eq!(again, sd);
    let audio = again.media_by_mid("0").expect("mid 0");
    assert_eq!(audio.media.formats, [keep.as_str()]);
    assert_eq!(audio.get_all::<RtpMap>().count(), 1);
    assert!(audio.has::<EndOfCandidates>());
    assert_eq!(
        again.media_by_mid("1").and_then(|m| m.direction()),
        Some(Direction::RecvOnly)
    );

    println!(
        "\nedited offer: {} lines instead of {}, audio section:\n",
        edited.lines().count(),
        OFFER.lines().count()
    );
    let audio_text: Vec<&str> = edited
        .lines()
        .skip_while(|l| !l.starts_with("m=audio"))
        .take_while(|l| !l.starts_with("m=video"))
        .collect();
    println!("{}", audio_text.join("\n"));
    Ok(())
}
