//! SDP: parsing a session description from text and writing it back,
//! rtw beside the peer crates a user would pick instead. Inputs come from
//! `rtw_benches::sdp`:
//!
//! - `chromium-offer`: [`CHROMIUM_OFFER`], Chromium 156's offer with one
//!   audio, one video and one data channel section (6 KiB);
//! - `4-video-offer`: [`multi_video_offer`] of it with
//!   [`VIDEO_SECTIONS`] video sections, each with its own mid, track,
//!   SSRCs and candidate ports, all in one BUNDLE group (19 KiB).
//!
//! Group `sdp/parse/<input>`: from `&str` (or bytes) to the crate's owned
//! session description, dropped at the end of each iteration.
//! Group `sdp/write/<input>`: from a description parsed once, outside the
//! timed loop, to a new `String` (or `Vec<u8>`) of SDP text. Each crate
//! writes what it kept: rtw writes the input back byte for byte (checked at
//! startup); the peers may normalise, or leave out lines they dropped, and
//! the startup notes say so.
//!
//! - `rtw`: [`rtw_sdp::SessionDescription::parse`], and `to_string()` of
//!   its `Display`.
//! - `webrtc-sdp` (Mozilla's, in Firefox): `parse_sdp(text, false)`, which
//!   turns lines it does not support into warnings rather than errors, as
//!   Firefox calls it; `to_string()` of its `Display`.
//! - `sdp (webrtc-rs)`: `SessionDescription::unmarshal` from a
//!   `Cursor` over the text, and `marshal()`.
//! - `sdp-types`: `Session::parse(bytes)`, and `write` into a new
//!   `Vec<u8>`.
//!
//! A peer that cannot parse an input is reported once on stderr and left
//! out of both groups of that input only. Throughput is in bytes of the
//! input text for both groups, so a figure means the same for every crate.
//! Group `sdp/check_jsep/1000-bundled-sections`: rtw's JSEP checks
//! ([`rtw_sdp::SessionDescription::check_jsep`]) of an offer with 1,000
//! short audio sections in one BUNDLE group, only the last carrying the
//! ICE credentials, fingerprint and setup role (the generator of
//! `crates/sdp/tests/common/bundled.rs`, shared with the scaling test
//! there). The peers have no such check. Throughput is in media sections.
//!
//! Run with `cargo bench -p rtw-benches --bench sdp`.

use std::hint::black_box;
use std::io::Cursor;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtw_benches::Group;
use rtw_benches::sdp::{CHROMIUM_OFFER, VIDEO_SECTIONS, multi_video_offer};

rtw_benches::count_allocations!();

#[path = "../../crates/sdp/tests/common/bundled.rs"]
mod bundled;

/// Media sections of the `check_jsep` input.
const BUNDLED_SECTIONS: usize = 1_000;

/// One bench input: its name in group names and its text.
struct Input {
    name: &'static str,
    text: String,
}

fn inputs() -> Vec<Input> {
    vec![
        Input {
            name: "chromium-offer",
            text: CHROMIUM_OFFER.to_owned(),
        },
        Input {
            name: "4-video-offer",
            text: multi_video_offer(CHROMIUM_OFFER, VIDEO_SECTIONS),
        },
    ]
}

/// Number of media sections in `text`, to check that a peer kept them all.
fn media_sections(text: &str) -> usize {
    text.split("\r\n").filter(|l| l.starts_with("m=")).count()
}

/// Parses `input` with one peer, untimed; on failure says so on stderr
/// and returns `None`, so the caller leaves this peer out for this input.
/// On success, notes on stderr what the peer kept: media sections, lines
/// it set aside, and whether its written text equals the input.
fn check_peer<T, E: std::fmt::Display>(
    peer: &str,
    input: &Input,
    parse: impl Fn(&str) -> Result<T, E>,
    media: impl Fn(&T) -> usize,
    set_aside: impl Fn(&T) -> Vec<String>,
    write: impl Fn(&T) -> String,
) -> Option<T> {
    let parsed = match parse(&input.text) {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!(
                "sdp bench: {peer} fails to parse {} ({e}); skipping {peer} on this input",
                input.name
            );
            return None;
        }
    };
    let expected = media_sections(&input.text);
    assert_eq!(
        media(&parsed),
        expected,
        "{peer} lost media sections of {}",
        input.name
    );
    let written = write(&parsed);
    let round_trip = if written == input.text {
        "writes it back byte for byte".to_owned()
    } else {
        let (line, (ours, theirs)) = written
            .split("\r\n")
            .zip(input.text.split("\r\n"))
            .enumerate()
            .find(|(_, (a, b))| a != b)
            .unwrap_or((0, ("", "")));
        format!(
            "writes {} bytes for its {} (first difference on line {}: {ours:?} for {theirs:?})",
            written.len(),
            input.text.len(),
            line + 1
        )
    };
    let aside = set_aside(&parsed);
    let aside = if aside.is_empty() {
        String::new()
    } else {
        // The kinds of line, such as `a=rtcp-xr`, each once.
        let mut kinds: Vec<&str> = aside
            .iter()
            .map(|l| l.split([':', ' ']).next().unwrap_or(l))
            .collect();
        kinds.dedup();
        format!(
            ", set aside {} lines as unsupported ({})",
            aside.len(),
            kinds.join(", ")
        )
    };
    eprintln!(
        "sdp bench: {peer} on {}: {expected} media sections{aside}, {round_trip}",
        input.name
    );
    Some(parsed)
}

fn sdp(c: &mut Criterion) {
    for input in inputs() {
        let text = input.text.as_str();

        // Untimed: rtw reads every input and writes it back unchanged.
        let rtw = rtw_sdp::SessionDescription::parse(text)
            .unwrap_or_else(|e| panic!("rtw fails to parse {}: {e}", input.name));
        assert_eq!(rtw.to_string(), text, "rtw's write of {}", input.name);

        let mozilla = check_peer(
            "webrtc-sdp",
            &input,
            |t| webrtc_sdp::parse_sdp(t, false),
            |s| s.media.len(),
            |s| {
                s.warnings
                    .iter()
                    .map(|w| match w {
                        webrtc_sdp::error::SdpParserError::Unsupported { line, .. } => line.clone(),
                        other => other.to_string(),
                    })
                    .collect()
            },
            |s| s.to_string(),
        );
        let webrtc_rs = check_peer(
            "sdp (webrtc-rs)",
            &input,
            |t| sdp::SessionDescription::unmarshal(&mut Cursor::new(t.as_bytes())),
            |s| s.media_descriptions.len(),
            |_| Vec::new(),
            |s| s.marshal(),
        );
        let sdp_types = check_peer(
            "sdp-types",
            &input,
            |t| sdp_types::Session::parse(t.as_bytes()),
            |s| s.medias.len(),
            |_| Vec::new(),
            |s| {
                let mut out = Vec::new();
                s.write(&mut out).expect("writes to a Vec");
                String::from_utf8(out).expect("sdp-types writes UTF-8 for UTF-8 input")
            },
        );

        let mut group = Group::new(c, format!("sdp/parse/{}", input.name));
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench("rtw", || {
            rtw_sdp::SessionDescription::parse(black_box(text))
        });
        if mozilla.is_some() {
            group.bench("webrtc-sdp", || {
                webrtc_sdp::parse_sdp(black_box(text), false)
            });
        }
        if webrtc_rs.is_some() {
            group.bench("sdp (webrtc-rs)", || {
                sdp::SessionDescription::unmarshal(&mut Cursor::new(black_box(text).as_bytes()))
            });
        }
        if sdp_types.is_some() {
            group.bench("sdp-types", || {
                sdp_types::Session::parse(black_box(text).as_bytes())
            });
        }
        group.finish();

        let mut group = Group::new(c, format!("sdp/write/{}", input.name));
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench("rtw", || black_box(&rtw).to_string());
        if let Some(s) = &mozilla {
            group.bench("webrtc-sdp", || black_box(s).to_string());
        }
        if let Some(s) = &webrtc_rs {
            group.bench("sdp (webrtc-rs)", || black_box(s).marshal());
        }
        if let Some(s) = &sdp_types {
            group.bench("sdp-types", || {
                let mut out = Vec::new();
                black_box(s).write(&mut out).expect("writes to a Vec");
                out
            });
        }
        group.finish();
    }
}

fn check_jsep(c: &mut Criterion) {
    let sd = rtw_sdp::SessionDescription::parse(&bundled::bundled_offer(BUNDLED_SECTIONS))
        .expect("the bundled offer parses");
    assert_eq!(sd.check_jsep(), [], "the bundled offer passes");
    let mut group = Group::new(c, "sdp/check_jsep");
    group.throughput(Throughput::Elements(BUNDLED_SECTIONS as u64));
    group.bench("1000-bundled-sections", || black_box(&sd).check_jsep());
    group.finish();
}

criterion_group!(benches, sdp, check_jsep);
criterion_main!(benches);
