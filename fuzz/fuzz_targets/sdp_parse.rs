//! Fuzz `SessionDescription::parse`: it never panics, and whatever parses
//! is a fixed point of writing: `parse(write(parse(x))) == parse(x)`, and
//! the written text is written back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtw_sdp::SessionDescription;

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
});
