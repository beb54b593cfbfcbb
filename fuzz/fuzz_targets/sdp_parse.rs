//! Fuzz `SessionDescription::parse`: it never panics, and whatever parses
//! is a fixed point of writing: `parse(write(parse(x))) == parse(x)`, and
//! the written text is written back unchanged. Every attribute rtw-sdp
//! types is read, and a typed value that reads must write a value that
//! reads back to the same thing; the JSEP checks never panic and name
//! lines that exist.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtw_sdp::attributes::*;
use rtw_sdp::{Attribute, SessionDescription};

fn stable<T: AttributeValue + PartialEq + std::fmt::Debug>(a: &Attribute) {
    if let Ok(t) = T::from_attribute(a) {
        let again = T::from_attribute(&t.to_attribute()).expect("a written value reads");
        assert_eq!(again, t, "typed a={a} writes back");
    }
}

fn typed(a: &Attribute) {
    let _ = check_known(a);
    stable::<RtpMap>(a);
    stable::<Fmtp>(a);
    stable::<RtcpFb>(a);
    stable::<Rtcp>(a);
    stable::<RtcpXr>(a);
    stable::<Extmap>(a);
    stable::<Group>(a);
    stable::<Msid>(a);
    stable::<MsidSemantic>(a);
    stable::<Ssrc>(a);
    stable::<SsrcGroup>(a);
    stable::<Fingerprint>(a);
    stable::<Candidate>(a);
    stable::<Rid>(a);
    stable::<Simulcast>(a);
    stable::<IceOptions>(a);
    stable::<Ptime>(a);
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(sd) = SessionDescription::parse(text) else {
        return;
    };
    let written = sd.to_string();
    let again = SessionDescription::parse(&written).expect("written text parses");
    assert_eq!(again, sd, "parse(write(parse(x))) == parse(x)");
    assert_eq!(again.to_string(), written, "writing is stable");

    sd.attributes.iter().for_each(typed);
    for m in &sd.media {
        m.attributes.iter().for_each(typed);
        let _ = (m.direction(), m.mid(), m.rtpmap(96), m.fmtp("96"));
    }
    let lines = written.matches("\r\n").count();
    for p in sd.check_jsep() {
        assert!(
            (1..=lines).contains(&p.line),
            "{p} names a line that exists"
        );
    }
});
