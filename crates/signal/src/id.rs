//! Room and peer ids: 1 to 64 characters of RFC 3986 §2.3's unreserved
//! set, so that they fit in URLs, TURN REST usernames and log lines
//! without escaping.

/// The longest room or peer id, in characters.
pub const MAX_ID_LEN: usize = 64;

/// `true` when `id` is 1 to [`MAX_ID_LEN`] characters of `[A-Za-z0-9._~-]`
/// (RFC 3986 §2.3 "unreserved").
pub fn is_valid_id(id: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'~' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::is_valid_id;

    #[test]
    fn unreserved_only() {
        assert!(is_valid_id("alice"));
        assert!(is_valid_id("A-z.0_9~"));
        assert!(is_valid_id(&"a".repeat(64)));
        assert!(!is_valid_id(&"a".repeat(65)));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("a b"));
        assert!(!is_valid_id("a:b"));
        assert!(!is_valid_id("é"));
        assert!(!is_valid_id("a/b"));
    }
}
