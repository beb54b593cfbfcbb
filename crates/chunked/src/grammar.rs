//! Character classes of RFC 9110 §5.6 and RFC 5234 Appendix B.1.

/// `tchar` of RFC 9110 §5.6.2: the characters of a token.
pub(crate) const fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.'
        | b'^' | b'_' | b'`' | b'|' | b'~'
        | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

/// `qdtext` of RFC 9110 §5.6.4: HTAB, SP, `!`, `#`-`[`, `]`-`~`, obs-text.
pub(crate) const fn is_qdtext(b: u8) -> bool {
    matches!(b, b'\t' | b' ' | 0x21 | 0x23..=0x5B | 0x5D..=0x7E | 0x80..=0xFF)
}

/// What may follow a backslash in a `quoted-pair` (RFC 9110 §5.6.4):
/// HTAB, SP, VCHAR, obs-text.
pub(crate) const fn is_quoted_pair_char(b: u8) -> bool {
    matches!(b, b'\t' | b' ' | 0x21..=0x7E | 0x80..=0xFF)
}

/// `BWS` is `*( SP / HTAB )` (RFC 9110 §5.6.3).
pub(crate) const fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Value of a `HEXDIG` (RFC 5234 Appendix B.1; ABNF strings are
/// case-insensitive, so `a`-`f` count too), or `None`.
pub(crate) const fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}
