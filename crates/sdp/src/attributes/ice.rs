//! ICE attributes (RFC 8839 §5): credentials, options and candidates.

use super::syntax::{decimal, fields, is_ice_chars, is_token, required};
use super::{AttributeError, AttributeValue};

/// `a=ice-ufrag:<ufrag>`: 4 to 256 ice-chars (RFC 8839 §5.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IceUfrag(pub String);

/// `a=ice-pwd:<password>`: 22 to 256 ice-chars (RFC 8839 §5.4).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IcePwd(pub String);

impl std::fmt::Debug for IcePwd {
    /// The password is a secret: debug output shows its length only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IcePwd(<{} chars>)", self.0.len())
    }
}

fn ice_string(
    name: &'static str,
    value: Option<&str>,
    min: usize,
    rule: &'static str,
) -> Result<String, AttributeError> {
    let v = required(name, value, rule)?;
    if !(min..=256).contains(&v.len()) || !is_ice_chars(v) {
        return Err(AttributeError::new(name, rule));
    }
    Ok(v.to_owned())
}

impl AttributeValue for IceUfrag {
    const NAME: &'static str = "ice-ufrag";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str = "expected 4 to 256 characters of ALPHA, DIGIT, + or / (RFC 8839 §5.4)";
        ice_string(Self::NAME, value, 4, RULE).map(IceUfrag)
    }

    fn to_value(&self) -> Option<String> {
        Some(self.0.clone())
    }
}

impl AttributeValue for IcePwd {
    const NAME: &'static str = "ice-pwd";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str = "expected 22 to 256 characters of ALPHA, DIGIT, + or / (RFC 8839 §5.4)";
        ice_string(Self::NAME, value, 22, RULE).map(IcePwd)
    }

    fn to_value(&self) -> Option<String> {
        Some(self.0.clone())
    }
}

/// `a=ice-options:<option> *(SP <option>)` (RFC 8839 §5.6), e.g.
/// `trickle` (RFC 8840 §4.1.1) or `ice2` (RFC 8445 §10).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IceOptions(pub Vec<String>);

impl IceOptions {
    /// Whether `option` is listed.
    pub fn has(&self, option: &str) -> bool {
        self.0.iter().any(|o| o == option)
    }
}

impl AttributeValue for IceOptions {
    const NAME: &'static str = "ice-options";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str = "expected option tags of ALPHA, DIGIT, + or / separated by single spaces (RFC 8839 §5.6)";
        let v = required(Self::NAME, value, RULE)?;
        let f = fields(v, Self::NAME, RULE)?;
        if !f.iter().all(|o| is_ice_chars(o)) {
            return Err(AttributeError::new(Self::NAME, RULE));
        }
        Ok(IceOptions(f.into_iter().map(str::to_owned).collect()))
    }

    fn to_value(&self) -> Option<String> {
        Some(self.0.join(" "))
    }
}

/// `a=candidate:<foundation> <component-id> <transport> <priority>
/// <connection-address> <port> typ <cand-type> ...` (RFC 8839 §5.1).
///
/// The value is kept as written, after its fixed fields are checked
/// against the grammar; the fully typed candidate (related address,
/// extension attributes, priority formula) is the ICE crate's. The value is
/// private, so a `Candidate` always holds a checked value: build one with
/// [`Candidate::parse`] (or [`AttributeValue::parse_value`]) and read it
/// back with [`Candidate::value`].
///
/// A candidate trickled by a browser (`RTCIceCandidate.candidate` of W3C
/// WebRTC 1.0) is the whole `candidate-attribute` of RFC 8839 §5.1, with
/// its `candidate:` prefix, which [`Candidate::parse`] takes as it is:
///
/// ```
/// use rtw_sdp::attributes::Candidate;
///
/// let from_browser = "candidate:842163049 1 udp 1677729535 198.51.100.7 46154 typ srflx raddr 0.0.0.0 rport 0";
/// let c = Candidate::parse(from_browser)?;
/// assert_eq!((c.kind(), c.port()), ("srflx", 46154));
/// assert!(c.value().starts_with("842163049 1 udp"));
/// // The same candidate as an SDP line, or as the bare attribute value:
/// assert_eq!(Candidate::parse(&format!("a={from_browser}"))?, c);
/// assert_eq!(Candidate::parse(c.value())?, c);
/// # Ok::<(), rtw_sdp::attributes::AttributeError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Candidate(String);

/// The rule broken by a text given to [`Candidate::parse`] that starts with
/// a prefix other than `candidate:` or `a=candidate:`.
const PREFIX_RULE: &str =
    "expected the prefix candidate: or a=candidate: or none before the foundation (RFC 8839 §5.1)";

/// The rule broken by an attribute value that starts with a prefix (such
/// as `candidate:` given twice): the value begins with the foundation.
const VALUE_PREFIX_RULE: &str = "the value must begin with the foundation, without a candidate: prefix (RFC 8839 §5.1); Candidate::parse takes the prefix";

impl Candidate {
    /// Read a candidate from the attribute value
    /// (`842163049 1 udp ...`), from the `candidate:...` string a browser
    /// gives as `RTCIceCandidate.candidate` (the `candidate-attribute` of
    /// RFC 8839 §5.1), or from a whole `a=candidate:...` line without its
    /// line end.
    ///
    /// A text with another prefix (`a=ice-ufrag:...`, `cand:...`) fails
    /// with an error that names the expected prefixes, not the foundation.
    pub fn parse(text: &str) -> Result<Self, AttributeError> {
        let value = match text.strip_prefix("a=") {
            Some(line) => line
                .strip_prefix("candidate:")
                .ok_or(AttributeError::new(Self::NAME, PREFIX_RULE))?,
            None => text.strip_prefix("candidate:").unwrap_or(text),
        };
        let first = value.split(' ').next().unwrap_or_default();
        if first.contains(['=', ':']) {
            return Err(AttributeError::new(Self::NAME, PREFIX_RULE));
        }
        Self::parse_value(Some(value))
    }

    /// The attribute value as written (without `candidate:`), e.g.
    /// `842163049 1 udp 1677729535 198.51.100.7 46154 typ srflx ...`.
    pub fn value(&self) -> &str {
        &self.0
    }

    fn field(&self, i: usize) -> &str {
        self.0.split(' ').nth(i).unwrap_or_default()
    }

    /// The foundation (1 to 32 ice-chars).
    pub fn foundation(&self) -> &str {
        self.field(0)
    }

    /// The component id (1 for RTP).
    pub fn component(&self) -> u16 {
        self.field(1).parse().unwrap_or_default()
    }

    /// The transport, `UDP` or `TCP` (compared case-insensitively).
    pub fn transport(&self) -> &str {
        self.field(2)
    }

    /// The priority.
    pub fn priority(&self) -> u32 {
        self.field(3).parse().unwrap_or_default()
    }

    /// The connection address: an IPv4 or IPv6 address, or an FQDN such as
    /// an mDNS `.local` name (RFC 8839 §5.1).
    pub fn address(&self) -> &str {
        self.field(4)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.field(5).parse().unwrap_or_default()
    }

    /// The candidate type: `host`, `srflx`, `prflx`, `relay` or another
    /// token.
    pub fn kind(&self) -> &str {
        self.field(7)
    }

    /// The fully typed candidate of the ICE crate (related address,
    /// extension attributes, tcptype), which writes back to this value
    /// byte for byte. Fails where rtw-ice is stricter than the checks
    /// here: a candidate type or transport it does not know, `raddr`
    /// without `rport`, an address that is neither IP nor FQDN.
    #[cfg(feature = "ice")]
    pub fn typed(&self) -> Result<rtw_ice::Candidate, rtw_ice::CandidateError> {
        rtw_ice::Candidate::parse(&self.0)
    }
}

impl AttributeValue for Candidate {
    const NAME: &'static str = "candidate";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str = "expected <foundation> <component-id> <transport> <priority> <address> <port> typ <type> ... (RFC 8839 §5.1)";
        let err = |rule| AttributeError::new(Self::NAME, rule);
        let v = required(Self::NAME, value, RULE)?;
        let f = fields(v, Self::NAME, RULE)?;
        let [
            foundation,
            component,
            transport,
            priority,
            address,
            port,
            typ,
            kind,
            ..,
        ] = f[..]
        else {
            return Err(err(RULE));
        };
        if foundation.contains(':') {
            // `candidate:1 1 udp ...` passed as the value: say so rather
            // than blame the foundation.
            return Err(err(VALUE_PREFIX_RULE));
        }
        if foundation.len() > 32 || !is_ice_chars(foundation) {
            return Err(err("foundation must be 1 to 32 ice-chars (RFC 8839 §5.1)"));
        }
        decimal::<u16>(
            component,
            3,
            Self::NAME,
            "component-id must be 1 to 3 digits (RFC 8839 §5.1)",
        )?;
        decimal::<u32>(
            priority,
            10,
            Self::NAME,
            "priority must be a 32-bit number (RFC 8839 §5.1)",
        )?;
        decimal::<u16>(
            port,
            5,
            Self::NAME,
            "port must be a 16-bit number (RFC 8839 §5.1)",
        )?;
        if !is_token(transport) || !is_token(kind) || typ != "typ" {
            return Err(err(RULE));
        }
        if address.is_empty() || !address.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(err(RULE));
        }
        if f.len() % 2 != 0 {
            return Err(err(
                "extension attributes come as name and value pairs (RFC 8839 §5.1)",
            ));
        }
        Ok(Candidate(v.to_owned()))
    }

    fn to_value(&self) -> Option<String> {
        Some(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_lengths_and_characters() {
        assert!(IceUfrag::parse_value(Some("a+/1")).is_ok());
        assert!(IceUfrag::parse_value(Some("abc")).is_err());
        assert!(IceUfrag::parse_value(Some("ab-cd")).is_err());
        assert!(IceUfrag::parse_value(Some(&"a".repeat(257))).is_err());
        let pwd = "asd88fgpdd777uzjYhagZg";
        assert!(IcePwd::parse_value(Some(pwd)).is_ok());
        assert!(IcePwd::parse_value(Some(&pwd[1..])).is_err());
        assert!(!format!("{:?}", IcePwd(pwd.into())).contains(pwd));
    }

    #[test]
    fn ice_options() {
        let o = IceOptions::parse_value(Some("trickle ice2")).unwrap();
        assert!(o.has("trickle") && o.has("ice2") && !o.has("renomination"));
        assert!(IceOptions::parse_value(Some("trickle  ice2")).is_err());
    }

    #[test]
    fn candidate_fields() {
        let v = "3933231451 1 udp 2122260223 5ab6b4e0-2f1c-4c63-9d65-2a8c3b1b2c3d.local 52004 typ host generation 0 network-id 1";
        let c = Candidate::parse_value(Some(v)).unwrap();
        assert_eq!(c.foundation(), "3933231451");
        assert_eq!(
            (c.component(), c.transport(), c.priority()),
            (1, "udp", 2122260223)
        );
        assert!(c.address().ends_with(".local"));
        assert_eq!((c.port(), c.kind()), (52004, "host"));
        assert_eq!(c.to_value().as_deref(), Some(v));
        let relay = "2 1 UDP 16777215 203.0.113.7 3478 typ relay raddr 0.0.0.0 rport 0";
        assert_eq!(Candidate::parse_value(Some(relay)).unwrap().kind(), "relay");
        for bad in [
            "1 1 udp 1 1.2.3.4 9 host",
            "1 1 udp 1 1.2.3.4 99999 typ host",
            "1 1 udp 4294967296 1.2.3.4 9 typ host",
            "1 1 udp 1 1.2.3.4 9 typ host generation",
            "f-1 1 udp 1 1.2.3.4 9 typ host",
        ] {
            assert!(Candidate::parse_value(Some(bad)).is_err(), "{bad}");
            assert!(Candidate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parse_takes_the_browser_and_line_prefixes() {
        let value = "1467250027 1 udp 2122260223 192.168.0.196 46243 typ host generation 0";
        let bare = Candidate::parse(value).unwrap();
        assert_eq!(bare.value(), value);
        for text in [format!("candidate:{value}"), format!("a=candidate:{value}")] {
            let c = Candidate::parse(&text).unwrap();
            assert_eq!(c, bare, "{text}");
            assert_eq!(c.value(), value);
            assert_eq!(c.to_value().as_deref(), Some(value));
        }
    }

    #[test]
    fn a_wrong_prefix_is_named_as_such() {
        let value = "1 1 udp 1 192.0.2.1 9 typ host";
        for text in [
            format!("cand:{value}"),
            format!("a=cand:{value}"),
            format!("a={value}"),
            format!("candidate:candidate:{value}"),
            format!("a=candidate:a=candidate:{value}"),
            format!("ice-ufrag:{value}"),
        ] {
            let e = Candidate::parse(&text).unwrap_err();
            assert_eq!(e.reason, PREFIX_RULE, "{text}");
            assert!(e.to_string().contains("prefix"), "{e}");
        }
        // The trait reads the attribute value, which has no prefix: given
        // one, it says so instead of blaming the foundation.
        let e = Candidate::parse_value(Some(&format!("candidate:{value}"))).unwrap_err();
        assert_eq!(e.reason, VALUE_PREFIX_RULE);
        assert!(!e.reason.starts_with("foundation"));
    }
}
