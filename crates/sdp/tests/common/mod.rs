//! Helpers shared by the corpus tests: reading a file of
//! `tests/corpus/` and looking up attribute values, panicking with the
//! name of what is missing.
#![allow(dead_code)]

use rtw_sdp::{MediaDescription, SessionDescription};

/// The text of `tests/corpus/<path>`.
pub(crate) fn corpus_text(path: &str) -> String {
    let path = format!("{}/tests/corpus/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `tests/corpus/<path>`, parsed.
pub(crate) fn corpus_parse(path: &str) -> SessionDescription {
    SessionDescription::parse(&corpus_text(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The value of the first session-level attribute `name`.
pub(crate) fn session_value<'a>(sd: &'a SessionDescription, name: &str) -> &'a str {
    sd.attribute(name)
        .and_then(|a| a.value.as_deref())
        .unwrap_or_else(|| panic!("no a={name}: at session level"))
}

/// The value of the first attribute `name` in `m`.
pub(crate) fn value<'a>(m: &'a MediaDescription, name: &str) -> &'a str {
    m.attribute(name)
        .and_then(|a| a.value.as_deref())
        .unwrap_or_else(|| panic!("no a={name}: in m={}", m.media.media))
}

/// The values of every attribute `name` in `m`, in order.
pub(crate) fn values<'a>(m: &'a MediaDescription, name: &'a str) -> Vec<&'a str> {
    m.attributes_named(name)
        .map(|a| {
            a.value
                .as_deref()
                .unwrap_or_else(|| panic!("a={name} has no value"))
        })
        .collect()
}

/// The mids of every media section, in order.
pub(crate) fn mids(sd: &SessionDescription) -> Vec<&str> {
    sd.media.iter().map(|m| value(m, "mid")).collect()
}
