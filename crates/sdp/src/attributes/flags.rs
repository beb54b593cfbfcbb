//! Property attributes: present or absent, no value.

use super::syntax::no_value;
use super::{AttributeError, AttributeValue};

macro_rules! property {
    ($(#[$doc:meta])* $ty:ident = $name:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $ty;

        impl AttributeValue for $ty {
            const NAME: &'static str = $name;

            fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
                no_value(Self::NAME, value).map(|()| $ty)
            }

            fn to_value(&self) -> Option<String> {
                None
            }
        }
    };
}

property!(
    /// `a=rtcp-mux`: RTP and RTCP share one port (RFC 5761 §5.1.1).
    RtcpMux = "rtcp-mux"
);
property!(
    /// `a=rtcp-mux-only`: RTCP only multiplexed, no fallback port (RFC 8858 §3).
    RtcpMuxOnly = "rtcp-mux-only"
);
property!(
    /// `a=rtcp-rsize`: reduced-size RTCP is accepted (RFC 5506 §5).
    RtcpRsize = "rtcp-rsize"
);
property!(
    /// `a=extmap-allow-mixed`: one-byte and two-byte header extensions may
    /// be mixed in one stream (RFC 8285 §6).
    ExtmapAllowMixed = "extmap-allow-mixed"
);
property!(
    /// `a=bundle-only`: the section is only usable inside a BUNDLE group
    /// (RFC 9143).
    BundleOnly = "bundle-only"
);
property!(
    /// `a=ice-lite`: the agent implements ICE lite (RFC 8839 §5.3).
    IceLite = "ice-lite"
);
property!(
    /// `a=end-of-candidates`: no more candidates will be trickled (RFC 8840).
    EndOfCandidates = "end-of-candidates"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_refuse_values() {
        assert_eq!(RtcpMux::parse_value(None), Ok(RtcpMux));
        assert!(RtcpMux::parse_value(Some("x")).is_err());
        assert_eq!(IceLite.to_attribute().to_string(), "ice-lite");
    }
}
