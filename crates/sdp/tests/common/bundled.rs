//! A Chromium-like offer with many short media sections in one BUNDLE
//! group (RFC 9143), the input of the `check_jsep` scaling test
//! (`tests/jsep_linear.rs`) and of the `sdp/check_jsep` bench
//! (`benches/benches/sdp.rs`, which includes this file by path).

use std::fmt::Write;

/// An offer with `sections` audio sections, mids `0` to `sections - 1`,
/// all named by one `a=group:BUNDLE` line. Only the last section carries
/// the ICE credentials, fingerprint and setup role, so every other section
/// gets them through the group (RFC 9143 §7.1): the most a checker has to
/// look up. Each section is four lines (`m=`, `c=`, `a=mid`, `a=rtpmap`),
/// so 4,900 sections stay under the default line limit and come to about
/// 460 KB. The offer passes `check_jsep`.
pub(crate) fn bundled_offer(sections: usize) -> String {
    let mut sdp =
        String::from("v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
    sdp.push_str("a=group:BUNDLE");
    for mid in 0..sections {
        write!(sdp, " {mid}").expect("writing to a String");
    }
    sdp.push_str("\r\na=extmap-allow-mixed\r\na=msid-semantic: WMS\r\n");
    for mid in 0..sections {
        write!(
            sdp,
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:{mid}\r\n\
             a=rtpmap:111 opus/48000/2\r\n"
        )
        .expect("writing to a String");
    }
    sdp.push_str(
        "a=ice-ufrag:4ZcD\r\na=ice-pwd:2/1muCWoOi3uLifh0NuRHlrG\r\n\
         a=fingerprint:sha-256 \
         19:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2\r\n\
         a=setup:actpass\r\n",
    );
    sdp
}
