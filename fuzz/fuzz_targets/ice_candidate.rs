//! Fuzz `rtw_ice::Candidate::parse` (RFC 8839 §5.1): it never panics, and
//! whatever parses writes back the value it was read from (prefix
//! removed), and that text parses to the same candidate and writes the
//! same text again. The accessors never panic, and the priority helpers
//! never panic on what was read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rtw_ice::{Candidate, Limits, PriorityParts, priority, type_preference};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(c) = Candidate::parse(text) else {
        return;
    };
    let written = c.to_string();
    let value = text
        .strip_prefix("a=candidate:")
        .or_else(|| text.strip_prefix("candidate:"))
        .unwrap_or(text);
    assert_eq!(
        written, value,
        "a parsed candidate writes back byte for byte"
    );
    let again = Candidate::parse(&written).expect("written text parses");
    assert_eq!(again, c, "parse(write(c)) == c");
    assert_eq!(again.to_string(), written, "writing is stable");
    // The length limit counts a prefix too (`Limits::max_candidate_len`):
    // a value just under it parses bare but not with `a=candidate:` before
    // it, so the prefixed forms get room for their prefix.
    let room = Limits::default().max_candidate_len("a=candidate:".len() + written.len());
    for form in [c.to_sdp_line(), c.to_json_candidate()] {
        let parsed = Candidate::parse_with_limits(&form, &room).expect("prefixed form parses");
        assert_eq!(parsed, c);
    }

    let _ = (
        c.socket_addr(),
        c.related_socket_addr(),
        c.generation(),
        c.ufrag(),
    );
    let _ = (
        c.network_id(),
        c.network_cost(),
        c.tcp_type(),
        c.address.is_mdns(),
    );
    let parts = PriorityParts::of(c.priority);
    let _ = (
        priority(c.kind, parts.local_preference, c.component),
        type_preference(c.kind),
    );

    // A candidate whose fields are rebuilt without spellings (what code
    // building one would do) still round trips through the writer.
    let mut plain = Candidate::host("127.0.0.1:9".parse().unwrap(), c.component, 0, c.transport);
    plain.foundation = c.foundation.clone();
    plain.priority = c.priority;
    plain.address = c.address.clone();
    plain.port = c.port;
    plain.kind = c.kind;
    plain.related_address = c.related_address.clone();
    plain.related_port = c.related_port;
    plain.extensions = c.extensions.clone();
    let plain_text = plain.to_string();
    let plain_again = Candidate::parse(&plain_text).expect("rtw's form parses");
    assert_eq!(plain_again, plain);
    assert_eq!(plain_again, c, "only spellings differ");
});
