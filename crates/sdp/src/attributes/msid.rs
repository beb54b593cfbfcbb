//! Streams and sources: `msid` (RFC 8830), `msid-semantic`, `ssrc` and
//! `ssrc-group` (RFC 5576).

use super::syntax::{decimal, fields, is_token, required};
use super::{AttributeError, AttributeValue};

/// `msid-id` and `msid-appdata`: 1 to 64 token characters (RFC 8830 §2).
fn is_msid_part(s: &str) -> bool {
    s.len() <= 64 && is_token(s)
}

/// `a=msid:<stream id> [<track id>]`: the MediaStream a track belongs to
/// (RFC 8830 §2); `-` as the stream id means no stream (RFC 8829 §5.2.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Msid {
    /// The MediaStream id (`msid-id`).
    pub stream_id: String,
    /// The application data, in WebRTC the track id (`msid-appdata`).
    pub track_id: Option<String>,
}

impl AttributeValue for Msid {
    const NAME: &'static str = "msid";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str =
            "expected <msid-id> [<msid-appdata>], each 1 to 64 token characters (RFC 8830 §2)";
        let v = required(Self::NAME, value, RULE)?;
        let (stream, track) = match v.split_once(' ') {
            Some((s, t)) => (s, Some(t)),
            None => (v, None),
        };
        if !is_msid_part(stream) || track.is_some_and(|t| !is_msid_part(t)) {
            return Err(AttributeError::new(Self::NAME, RULE));
        }
        Ok(Msid {
            stream_id: stream.to_owned(),
            track_id: track.map(str::to_owned),
        })
    }

    fn to_value(&self) -> Option<String> {
        Some(match &self.track_id {
            Some(t) => format!("{} {t}", self.stream_id),
            None => self.stream_id.clone(),
        })
    }
}

/// `a=msid-semantic:<semantic> *(SP <id>)`, from the early msid drafts
/// (draft-ietf-mmusic-msid-00 §3) and still sent by browsers, usually as
/// `a=msid-semantic: WMS` (with a space before the semantic) or
/// `a=msid-semantic:WMS *`.
///
/// The space some senders put after the colon is accepted; the typed value
/// writes without it (the attribute in the description keeps it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MsidSemantic {
    /// The semantic, `WMS` in WebRTC.
    pub semantic: String,
    /// The stream ids, or `*` for all.
    pub identifiers: Vec<String>,
}

impl AttributeValue for MsidSemantic {
    const NAME: &'static str = "msid-semantic";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str = "expected <semantic> followed by ids, tokens separated by single spaces (draft-ietf-mmusic-msid-00 §3)";
        let v = required(Self::NAME, value, RULE)?;
        let v = v.strip_prefix(' ').unwrap_or(v);
        let mut parts = v.split(' ');
        let semantic = parts.next().unwrap_or_default();
        let ids: Vec<&str> = parts.collect();
        if !is_token(semantic) || !ids.iter().all(|i| is_token(i)) {
            return Err(AttributeError::new(Self::NAME, RULE));
        }
        Ok(MsidSemantic {
            semantic: semantic.to_owned(),
            identifiers: ids.into_iter().map(str::to_owned).collect(),
        })
    }

    fn to_value(&self) -> Option<String> {
        let mut v = self.semantic.clone();
        for i in &self.identifiers {
            v.push(' ');
            v.push_str(i);
        }
        Some(v)
    }
}

/// `a=ssrc:<ssrc-id> <attribute>[:<value>]`: a source-level attribute
/// (RFC 5576 §4.1), e.g. `cname:` (RFC 5576 §6.1) or the legacy `msid:`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ssrc {
    /// The synchronization source.
    pub ssrc: u32,
    /// The source attribute's name, e.g. `cname`.
    pub attribute: String,
    /// The source attribute's value, as written.
    pub value: Option<String>,
}

impl AttributeValue for Ssrc {
    const NAME: &'static str = "ssrc";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str = "expected <ssrc-id> <attribute>[:<value>] (RFC 5576 §4.1)";
        let v = required(Self::NAME, value, RULE)?;
        let (id, attr) = v
            .split_once(' ')
            .ok_or(AttributeError::new(Self::NAME, RULE))?;
        let (name, value) = match attr.split_once(':') {
            Some((n, v)) => (n, Some(v)),
            None => (attr, None),
        };
        if !is_token(name) {
            return Err(AttributeError::new(Self::NAME, RULE));
        }
        Ok(Ssrc {
            ssrc: decimal(
                id,
                10,
                Self::NAME,
                "ssrc-id must be a 32-bit number (RFC 5576 §4.1)",
            )?,
            attribute: name.to_owned(),
            value: value.map(str::to_owned),
        })
    }

    fn to_value(&self) -> Option<String> {
        Some(match &self.value {
            Some(v) => format!("{} {}:{v}", self.ssrc, self.attribute),
            None => format!("{} {}", self.ssrc, self.attribute),
        })
    }
}

/// `a=ssrc-group:<semantics> *(SP <ssrc-id>)` (RFC 5576 §4.2), e.g.
/// `FID` for a retransmission stream (RFC 4588) or `SIM` for simulcast.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SsrcGroup {
    /// The semantics, e.g. `FID`, `FEC`, `SIM`.
    pub semantics: String,
    /// The sources, in order.
    pub ssrcs: Vec<u32>,
}

impl AttributeValue for SsrcGroup {
    const NAME: &'static str = "ssrc-group";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str = "expected <semantics> followed by 32-bit ssrc ids, separated by single spaces (RFC 5576 §4.2)";
        let v = required(Self::NAME, value, RULE)?;
        let f = fields(v, Self::NAME, RULE)?;
        if !is_token(f[0]) {
            return Err(AttributeError::new(Self::NAME, RULE));
        }
        Ok(SsrcGroup {
            semantics: f[0].to_owned(),
            ssrcs: f[1..]
                .iter()
                .map(|s| decimal(s, 10, Self::NAME, RULE))
                .collect::<Result<_, _>>()?,
        })
    }

    fn to_value(&self) -> Option<String> {
        let mut v = self.semantics.clone();
        for s in &self.ssrcs {
            v.push(' ');
            v.push_str(&s.to_string());
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msid_stream_and_track() {
        let m = Msid::parse_value(Some("- 6f1b7c0e-track")).unwrap();
        assert_eq!(
            (m.stream_id.as_str(), m.track_id.as_deref()),
            ("-", Some("6f1b7c0e-track"))
        );
        assert_eq!(m.to_value().as_deref(), Some("- 6f1b7c0e-track"));
        assert!(Msid::parse_value(Some(&"x".repeat(65))).is_err());
        assert!(Msid::parse_value(Some("a b c")).is_err());
    }

    #[test]
    fn msid_semantic_with_and_without_the_space() {
        let chrome = MsidSemantic::parse_value(Some(" WMS")).unwrap();
        assert_eq!(chrome.semantic, "WMS");
        assert!(chrome.identifiers.is_empty());
        let firefox = MsidSemantic::parse_value(Some("WMS *")).unwrap();
        assert_eq!(firefox.identifiers, ["*"]);
        assert_eq!(firefox.to_value().as_deref(), Some("WMS *"));
    }

    #[test]
    fn ssrc_lines() {
        let s = Ssrc::parse_value(Some("3570614608 cname:4TOk42mSjXCkVIa6")).unwrap();
        assert_eq!(s.ssrc, 3570614608);
        assert_eq!(
            (s.attribute.as_str(), s.value.as_deref()),
            ("cname", Some("4TOk42mSjXCkVIa6"))
        );
        assert_eq!(
            s.to_value().as_deref(),
            Some("3570614608 cname:4TOk42mSjXCkVIa6")
        );
        assert!(Ssrc::parse_value(Some("4294967296 cname:x")).is_err());
        assert!(Ssrc::parse_value(Some("1")).is_err());
        let g = SsrcGroup::parse_value(Some("FID 1 2")).unwrap();
        assert_eq!(g.ssrcs, [1, 2]);
        assert_eq!(g.to_value().as_deref(), Some("FID 1 2"));
        assert!(SsrcGroup::parse_value(Some("FID x")).is_err());
    }
}
