//! Fuzz target for `Sec-WebSocket-Extensions` parsing and formatting
//! (RFC 6455 §9.1).
//!
//! Input: the field lines, separated by `\n` (each line one field line of
//! the header, as `HeaderMap::get_all` would give them).
//!
//! Properties checked; a panic is a bug:
//!
//! 1. A parsed list is not empty, and every name, parameter name and value
//!    in it is a token (`validate` passes), quoted values included.
//! 2. Round trip: `format_extensions` of a parsed list succeeds, and parsing
//!    its output gives the same list.
//! 3. Line splitting: the lines joined with `,` into one field value parse
//!    to the same list as the separate lines, or both fail (possibly with
//!    other errors).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtw_ws::handshake::{format_extensions, parse_extensions};

fuzz_target!(|input: &[u8]| {
    let lines: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
    let parsed = parse_extensions(lines.iter().copied());

    // 3.
    let joined = lines.join(&b","[..]);
    let as_one = parse_extensions([&joined[..]]);
    assert_eq!(
        as_one.as_ref().ok(),
        parsed.as_ref().ok(),
        "lines joined with ',' parse differently: {as_one:?} against {parsed:?}"
    );

    let Ok(offers) = parsed else { return };
    // 1.
    assert!(!offers.is_empty(), "an empty list parsed");
    for offer in &offers {
        assert_eq!(offer.validate(), Ok(()), "{offer:?}");
    }
    // 2.
    let formatted = format_extensions(&offers).expect("a parsed list formats");
    assert_eq!(
        parse_extensions([formatted.as_bytes()]).as_ref(),
        Ok(&offers),
        "round trip through {formatted:?}"
    );
});
