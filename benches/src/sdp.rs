//! Inputs of the SDP benches (`benches/benches/sdp.rs`): an offer of
//! Chromium 156 and a larger offer made from it.
//!
//! [`CHROMIUM_OFFER`] is the offer from rtw-sdp's test corpus as Chromium
//! wrote it: one audio, one video and one data channel section, 6 KiB.
//! [`multi_video_offer`] makes the offer of a call that sends several
//! cameras (or simulcast-free screen shares) from it: the audio section,
//! the video section repeated with its own mid, track, SSRCs and candidate
//! ports each time, then the data channel section, all in one BUNDLE
//! group. It works on the text line by line, without any SDP crate, so
//! every crate under test reads bytes none of them wrote.

/// Chromium 156's offer for one audio track, one video track and a data
/// channel, CRLF line ends, as in `crates/sdp/tests/corpus/chromium-156/`.
pub const CHROMIUM_OFFER: &str =
    include_str!("../../crates/sdp/tests/corpus/chromium-156/offer.sdp");

/// Number of video sections in the larger bench offer.
pub const VIDEO_SECTIONS: usize = 4;

/// The offer of [`CHROMIUM_OFFER`]'s shape with `videos` video sections:
/// 1 audio + `videos` video + the data channel, mids `0` to `videos + 1`
/// in that order, and `a=group:BUNDLE` listing every mid.
///
/// The session part and the audio and data channel sections are copied
/// from `template` (the data channel section gets the last mid). Each
/// video section is the template's video section with, in place of the
/// template's values, its own
/// - `a=mid:` value,
/// - track ID in `a=msid:` and in the `msid:` of its `a=ssrc:` lines,
///   formatted like the UUIDs Chromium writes,
/// - SSRCs in `a=ssrc-group:` and `a=ssrc:` (the primary and its RTX
///   stay paired as in the template),
/// - port in each `a=candidate:` line.
///
/// The new values come from a fixed-seed generator, so the text is the
/// same on every run; they are distinct across sections.
///
/// # Panics
///
/// If `template` does not have exactly one audio section, then one video
/// section, then one `application` section, each with one `a=mid:` line,
/// and one `a=group:BUNDLE` line at session level.
pub fn multi_video_offer(template: &str, videos: usize) -> String {
    let sections = split_sections(template);
    let [session, audio, video, data] = &sections[..] else {
        panic!(
            "template has {} media sections, expected audio, video, application",
            sections.len() - 1
        );
    };
    for (section, kind) in [(audio, "audio"), (video, "video"), (data, "application")] {
        assert!(
            section[0].starts_with(&format!("m={kind} ")),
            "expected an m={kind} section, got {:?}",
            section[0]
        );
    }
    let mids: Vec<String> = (0..videos + 2).map(|i| i.to_string()).collect();

    let mut out = String::with_capacity(template.len() + videos * text_len(video));
    let mut bundles = 0;
    for line in session {
        if line.starts_with("a=group:BUNDLE") {
            bundles += 1;
            push_line(&mut out, &format!("a=group:BUNDLE {}", mids.join(" ")));
        } else {
            push_line(&mut out, line);
        }
    }
    assert_eq!(bundles, 1, "template needs one a=group:BUNDLE line");

    let mut rng = SplitMix64(0x5D9_2026_0A1B_2C3D);
    push_section(&mut out, audio, &mids[0]);
    for mid in &mids[1..=videos] {
        push_video(&mut out, video, mid, &mut rng);
    }
    push_section(&mut out, data, &mids[videos + 1]);
    out
}

/// The lines of `text` (without their CRLF), cut at each `m=` line: the
/// session part first, then one entry per media section.
fn split_sections(text: &str) -> Vec<Vec<&str>> {
    let body = text.strip_suffix("\r\n").expect("template ends with CRLF");
    let mut sections = vec![Vec::new()];
    for line in body.split("\r\n") {
        if line.starts_with("m=") {
            sections.push(Vec::new());
        }
        sections.last_mut().expect("never empty").push(line);
    }
    sections
}

/// Bytes of `lines` with their CRLFs.
fn text_len(lines: &[&str]) -> usize {
    lines.iter().map(|l| l.len() + 2).sum()
}

fn push_line(out: &mut String, line: &str) {
    out.push_str(line);
    out.push_str("\r\n");
}

/// `section` as it is, but with `mid` as its `a=mid:` value.
fn push_section(out: &mut String, section: &[&str], mid: &str) {
    let mut seen = 0;
    for line in section {
        if line.starts_with("a=mid:") {
            seen += 1;
            push_line(out, &format!("a=mid:{mid}"));
        } else {
            push_line(out, line);
        }
    }
    assert_eq!(seen, 1, "a section needs one a=mid line");
}

/// The video `section` with `mid` and fresh track ID, SSRCs and candidate
/// ports (see [`multi_video_offer`]).
fn push_video(out: &mut String, section: &[&str], mid: &str, rng: &mut SplitMix64) {
    let track = rng.uuid();
    // Template SSRC -> new SSRC, in order of first appearance.
    let mut ssrcs: Vec<(&str, String)> = Vec::new();
    let mut mids = 0;
    for &line in section {
        let rewritten = if line.starts_with("a=mid:") {
            mids += 1;
            format!("a=mid:{mid}")
        } else if let Some(value) = line.strip_prefix("a=msid:") {
            // `a=msid:<stream id> <track id>`
            let stream = value.split(' ').next().unwrap_or("-");
            format!("a=msid:{stream} {track}")
        } else if let Some(value) = line.strip_prefix("a=ssrc-group:") {
            // `a=ssrc-group:<semantics> <ssrc>...`
            let mut words = value.split(' ');
            let mut new = format!("a=ssrc-group:{}", words.next().unwrap_or_default());
            for ssrc in words {
                new.push(' ');
                new.push_str(&new_ssrc(&mut ssrcs, ssrc, rng));
            }
            new
        } else if let Some(value) = line.strip_prefix("a=ssrc:") {
            // `a=ssrc:<ssrc> <attribute>[:<value>]`
            let (ssrc, attribute) = value.split_once(' ').expect("a=ssrc has an attribute");
            let ssrc = new_ssrc(&mut ssrcs, ssrc, rng);
            match attribute.strip_prefix("msid:") {
                Some(msid) => {
                    let stream = msid.split(' ').next().unwrap_or("-");
                    format!("a=ssrc:{ssrc} msid:{stream} {track}")
                }
                None => format!("a=ssrc:{ssrc} {attribute}"),
            }
        } else if line.starts_with("a=candidate:") {
            // `a=candidate:<foundation> <component> <transport> <priority>
            // <address> <port> typ ...`: the port is the sixth word.
            let port = 1024 + rng.next_u64() % (65536 - 1024);
            let mut words: Vec<String> = line.split(' ').map(str::to_owned).collect();
            assert!(words.len() > 6, "short candidate line {line:?}");
            words[5] = port.to_string();
            words.join(" ")
        } else {
            line.to_owned()
        };
        push_line(out, &rewritten);
    }
    assert_eq!(mids, 1, "the video section needs one a=mid line");
}

/// The SSRC that replaces the template's `old` in one video section: the
/// one `map` already has for it, or a new random one.
fn new_ssrc<'a>(map: &mut Vec<(&'a str, String)>, old: &'a str, rng: &mut SplitMix64) -> String {
    if let Some((_, new)) = map.iter().find(|(o, _)| *o == old) {
        return new.clone();
    }
    // Non-zero, as Chromium's are.
    let new = (rng.next_u64() as u32 | 1).to_string();
    map.push((old, new.clone()));
    new
}

/// SplitMix64 (Steele, Lea, Flood 2014): a fixed-seed source of the values
/// the generated sections need.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A version 4, variant 1 UUID in lowercase hex, as in Chromium's
    /// track IDs.
    fn uuid(&mut self) -> String {
        let hi = self.next_u64();
        let lo = self.next_u64();
        let hi = (hi & !0xF000) | 0x4000;
        let lo = (lo & !(0b11 << 62)) | (0b10 << 62);
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            hi >> 32,
            (hi >> 16) & 0xFFFF,
            hi & 0xFFFF,
            lo >> 48,
            lo & 0xFFFF_FFFF_FFFF
        )
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn offer() -> String {
        multi_video_offer(CHROMIUM_OFFER, VIDEO_SECTIONS)
    }

    fn values<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
        text.split("\r\n")
            .filter_map(|l| l.strip_prefix(prefix))
            .collect()
    }

    #[test]
    fn deterministic() {
        assert_eq!(offer(), offer());
    }

    #[test]
    fn sections_mids_and_bundle() {
        let text = offer();
        let kinds: Vec<&str> = values(&text, "m=")
            .iter()
            .map(|m| m.split(' ').next().unwrap())
            .collect();
        assert_eq!(
            kinds,
            ["audio", "video", "video", "video", "video", "application"]
        );
        assert_eq!(values(&text, "a=mid:"), ["0", "1", "2", "3", "4", "5"]);
        assert_eq!(values(&text, "a=group:BUNDLE "), ["0 1 2 3 4 5"]);
        assert!(text.ends_with("a=max-message-size:262144\r\n"));
        assert!(!text.contains("\r\n\r\n"));
    }

    #[test]
    fn video_sections_have_their_own_ids() {
        let text = offer();
        // One audio track and four video tracks, all distinct.
        let tracks: HashSet<&str> = values(&text, "a=msid:").into_iter().collect();
        assert_eq!(tracks.len(), 1 + VIDEO_SECTIONS);
        // Two SSRCs (primary and RTX) per video section plus the audio's.
        let ssrcs: HashSet<&str> = values(&text, "a=ssrc:")
            .iter()
            .map(|v| v.split(' ').next().unwrap())
            .collect();
        assert_eq!(ssrcs.len(), 1 + 2 * VIDEO_SECTIONS);
        // Each FID group pairs SSRCs of its own section's a=ssrc lines.
        for group in values(&text, "a=ssrc-group:FID ") {
            for ssrc in group.split(' ') {
                assert!(ssrcs.contains(ssrc), "{ssrc} of {group} has no a=ssrc");
            }
        }
        // Candidate ports: 2 per section, all distinct.
        let ports: HashSet<&str> = values(&text, "a=candidate:")
            .iter()
            .map(|c| c.split(' ').nth(5).unwrap())
            .collect();
        assert_eq!(ports.len(), 2 * (2 + VIDEO_SECTIONS));
    }

    #[test]
    fn video_sections_differ_from_the_template_only_in_ids() {
        let text = offer();
        let template = split_sections(CHROMIUM_OFFER);
        let sections = split_sections(&text);
        assert_eq!(sections.len(), 1 + 2 + VIDEO_SECTIONS);
        for video in &sections[2..2 + VIDEO_SECTIONS] {
            assert_eq!(video.len(), template[2].len());
            for (new, old) in video.iter().zip(&template[2]) {
                let changing = ["a=mid:", "a=msid:", "a=ssrc", "a=candidate:"];
                if !changing.iter().any(|p| old.starts_with(p)) {
                    assert_eq!(new, old);
                }
            }
        }
        assert_eq!(sections[1], template[1]);
        let data: Vec<&str> = template[3]
            .iter()
            .map(|&l| {
                if l.starts_with("a=mid:") {
                    "a=mid:5"
                } else {
                    l
                }
            })
            .collect();
        assert_eq!(sections[2 + VIDEO_SECTIONS], data);
    }

    /// rtw-sdp reads the generated offer and writes it back unchanged, so the
    /// bench times the same work on both inputs.
    #[test]
    fn rtw_sdp_round_trips_both_inputs() {
        for text in [CHROMIUM_OFFER.to_owned(), offer()] {
            let sd = rtw_sdp::SessionDescription::parse(&text).unwrap();
            assert_eq!(sd.to_string(), text);
        }
    }
}
