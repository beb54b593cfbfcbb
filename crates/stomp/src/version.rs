//! Protocol versions and their negotiation (STOMP 1.2 "Protocol
//! Negotiation").

/// A STOMP protocol version. Ordered: `V1_0 < V1_1 < V1_2`.
///
/// The version decides the framing rules of everything after CONNECTED:
///
/// | version | header escapes | line ends |
/// |---|---|---|
/// | 1.0 | none | LF |
/// | 1.1 | `\n` `\c` `\\` | LF |
/// | 1.2 | `\r` `\n` `\c` `\\` | LF or CRLF |
///
/// ```
/// use rtw_stomp::Version;
///
/// assert_eq!(Version::parse("1.2"), Some(Version::V1_2));
/// assert!(Version::V1_1 < Version::V1_2);
/// assert_eq!(Version::V1_2.subprotocol(), "v12.stomp");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// STOMP 1.0: no escapes, LF line ends.
    V1_0,
    /// STOMP 1.1: escapes `\n`, `\c`, `\\`; LF line ends.
    V1_1,
    /// STOMP 1.2: escapes `\r`, `\n`, `\c`, `\\`; LF or CRLF line ends.
    V1_2,
}

impl Version {
    /// Every version, oldest first.
    pub const ALL: [Version; 3] = [Version::V1_0, Version::V1_1, Version::V1_2];

    /// The version as written in `accept-version` and `version` headers.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V1_0 => "1.0",
            Version::V1_1 => "1.1",
            Version::V1_2 => "1.2",
        }
    }

    /// Parses `"1.0"`, `"1.1"` or `"1.2"` (surrounding blanks ignored).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "1.0" => Some(Version::V1_0),
            "1.1" => Some(Version::V1_1),
            "1.2" => Some(Version::V1_2),
            _ => None,
        }
    }

    /// The WebSocket subprotocol name of the version (`v10.stomp`,
    /// `v11.stomp`, `v12.stomp`), as registered with IANA.
    pub fn subprotocol(self) -> &'static str {
        match self {
            Version::V1_0 => "v10.stomp",
            Version::V1_1 => "v11.stomp",
            Version::V1_2 => "v12.stomp",
        }
    }

    /// Whether a header `value` can be written in an escaped frame of this
    /// version (STOMP 1.2 "Value Encoding"): never a NUL; in 1.1 no CR
    /// (it has no `\r` escape); in 1.0, which escapes nothing, no line
    /// end either.
    pub fn can_carry_value(self, value: &str) -> bool {
        let forbidden: &[u8] = match self {
            Version::V1_0 => b"\0\n\r",
            Version::V1_1 => b"\0\r",
            Version::V1_2 => b"\0",
        };
        !value.bytes().any(|b| forbidden.contains(&b))
    }

    /// Whether the header `name: value` can be written in an escaped frame
    /// of this version: both as [`Version::can_carry_value`] says, and in
    /// 1.0 no colon in the name.
    pub fn can_carry(self, name: &str, value: &str) -> bool {
        self.can_carry_value(name)
            && self.can_carry_value(value)
            && (self != Version::V1_0 || !name.contains(':'))
    }

    /// The version a WebSocket subprotocol name stands for.
    pub fn from_subprotocol(name: &str) -> Option<Self> {
        match name {
            "v10.stomp" => Some(Version::V1_0),
            "v11.stomp" => Some(Version::V1_1),
            "v12.stomp" => Some(Version::V1_2),
            _ => None,
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The version a server picks from a CONNECT frame's `accept-version`
/// header: the highest one both sides support (STOMP 1.2 "Protocol
/// Negotiation"). No header means a 1.0 client. `None`: nothing in
/// common, which the server answers with an ERROR frame listing what it
/// supports (in a `version` header) and then closes.
///
/// Unknown entries of the list are ignored.
///
/// ```
/// use rtw_stomp::{negotiate_version, Version};
///
/// let all = Version::ALL;
/// assert_eq!(negotiate_version(Some("1.0,1.1,1.2"), &all), Some(Version::V1_2));
/// assert_eq!(negotiate_version(Some("1.1,2.0"), &all), Some(Version::V1_1));
/// assert_eq!(negotiate_version(None, &all), Some(Version::V1_0));
/// assert_eq!(negotiate_version(Some("1.2"), &[Version::V1_0]), None);
/// ```
pub fn negotiate_version(accept_version: Option<&str>, supported: &[Version]) -> Option<Version> {
    match accept_version {
        None => supported.contains(&Version::V1_0).then_some(Version::V1_0),
        Some(list) => list
            .split(',')
            .filter_map(Version::parse)
            .filter(|v| supported.contains(v))
            .max(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Version, negotiate_version};

    #[test]
    fn versions_and_their_websocket_subprotocols_round_trip() {
        for v in Version::ALL {
            assert_eq!(Version::parse(v.as_str()), Some(v));
            assert_eq!(Version::from_subprotocol(v.subprotocol()), Some(v));
        }
        assert_eq!(Version::V1_2.subprotocol(), "v12.stomp");
        assert_eq!(Version::parse("1.3"), None);
        assert_eq!(Version::from_subprotocol("stomp"), None);
    }

    #[test]
    fn what_each_version_can_carry_in_a_header() {
        assert!(Version::V1_2.can_carry("a:b", "line\r\nend"));
        assert!(!Version::V1_2.can_carry("a", "nul\0"));
        assert!(Version::V1_1.can_carry("a:b", "line\nend"));
        assert!(!Version::V1_1.can_carry_value("cr\r"));
        assert!(!Version::V1_0.can_carry("a:b", "plain"));
        assert!(!Version::V1_0.can_carry_value("line\nend"));
        assert!(Version::V1_0.can_carry("ab", "plain: colon"));
    }

    #[test]
    fn negotiation_picks_the_highest_common_version_whatever_the_order() {
        let all = Version::ALL;
        assert_eq!(
            negotiate_version(Some("1.2,1.0"), &all),
            Some(Version::V1_2)
        );
        // Blanks around an entry are tolerated.
        assert_eq!(negotiate_version(Some(" 1.1 "), &all), Some(Version::V1_1));
        assert_eq!(negotiate_version(Some(""), &all), None);
        assert_eq!(negotiate_version(None, &[Version::V1_2]), None);
        assert_eq!(
            negotiate_version(Some("1.0,1.1,1.2"), &[Version::V1_1]),
            Some(Version::V1_1)
        );
    }
}
