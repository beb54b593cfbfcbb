//! Typed views of the attributes WebRTC uses.
//!
//! Attributes stay in the description exactly as written
//! ([`Attribute`]), so a description always writes back
//! byte for byte; a typed value is read from one on demand with
//! [`get`](crate::MediaDescription::get) /
//! [`get_all`](crate::MediaDescription::get_all), and written into one with
//! [`push`](crate::MediaDescription::push) /
//! [`set`](crate::MediaDescription::set). Every type here implements
//! [`AttributeValue`]: its attribute name, how its value is read, and how
//! it is written.
//!
//! | attribute | type | defined in |
//! |---|---|---|
//! | `rtpmap` | [`RtpMap`] | RFC 8866 §6.6 |
//! | `fmtp` | [`Fmtp`] | RFC 8866 §6.15 |
//! | `ptime`, `maxptime` | [`Ptime`], [`MaxPtime`] | RFC 8866 §6.4, §6.5 |
//! | `framerate` | [`Framerate`] | RFC 8866 §6.8 |
//! | `sendrecv`, `sendonly`, `recvonly`, `inactive` | [`Direction`] | RFC 8866 §6.7 |
//! | `rtcp` | [`Rtcp`] | RFC 3605 §2.1 |
//! | `rtcp-mux`, `rtcp-mux-only`, `rtcp-rsize` | [`RtcpMux`], [`RtcpMuxOnly`], [`RtcpRsize`] | RFC 5761 §5.1.1, RFC 8858 §3, RFC 5506 §5 |
//! | `rtcp-fb` | [`RtcpFb`] | RFC 4585 §4.2 |
//! | `rtcp-xr` | [`RtcpXr`] | RFC 3611 §5.1 |
//! | `extmap`, `extmap-allow-mixed` | [`Extmap`], [`ExtmapAllowMixed`] | RFC 8285 §5, §6 |
//! | `mid`, `group`, `bundle-only` | [`Mid`], [`Group`], [`BundleOnly`] | RFC 5888 §4, §5; RFC 9143 |
//! | `msid`, `msid-semantic` | [`Msid`], [`MsidSemantic`] | RFC 8830 §2; draft-ietf-mmusic-msid-00 |
//! | `ssrc`, `ssrc-group` | [`Ssrc`], [`SsrcGroup`] | RFC 5576 §4.1, §4.2 |
//! | `setup` | [`Setup`] | RFC 4145 §4 |
//! | `fingerprint` | [`Fingerprint`] | RFC 8122 §5 |
//! | `ice-ufrag`, `ice-pwd`, `ice-options`, `ice-lite` | [`IceUfrag`], [`IcePwd`], [`IceOptions`], [`IceLite`] | RFC 8839 §5.4, §5.6, §5.3 |
//! | `candidate`, `end-of-candidates` | [`Candidate`], [`EndOfCandidates`] | RFC 8839 §5.1, RFC 8840 |
//! | `sctp-port`, `max-message-size` | [`SctpPort`], [`MaxMessageSize`] | RFC 8841 §5, §6 |
//! | `rid` | [`Rid`] | RFC 8851 §10 |
//! | `simulcast` | [`Simulcast`] | RFC 8853 §5.1 |

mod dtls;
mod flags;
mod grouping;
mod ice;
mod media;
mod msid;
mod rtcp;
mod rtp;
mod sctp;
mod simulcast;
pub(crate) mod syntax;

pub use dtls::{Fingerprint, Setup};
pub use flags::{
    BundleOnly, EndOfCandidates, ExtmapAllowMixed, IceLite, RtcpMux, RtcpMuxOnly, RtcpRsize,
};
pub use grouping::{Group, Mid};
pub use ice::{Candidate, IceOptions, IcePwd, IceUfrag};
pub use media::{Direction, Framerate, MaxPtime, Ptime};
pub use msid::{Msid, MsidSemantic, Ssrc, SsrcGroup};
pub use rtcp::{Rtcp, RtcpFb, RtcpXr};
pub use rtp::{Extmap, Fmtp, RtpMap};
pub use sctp::{MaxMessageSize, SctpPort};
pub use simulcast::{Rid, RidDirection, Simulcast, SimulcastStream};

use crate::Attribute;

/// An attribute with a typed value: its name, how its value is read, and
/// how it is written.
///
/// For the types in this crate, `T::parse_value(v)` followed by
/// `to_value` gives `v` back for values in the canonical form the RFC
/// shows (single spaces, no optional whitespace).
pub trait AttributeValue: Sized {
    /// The attribute name, e.g. `rtpmap`.
    const NAME: &'static str;

    /// Read the value (`None` for a property attribute such as `a=rtcp-mux`).
    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError>;

    /// The value to write (`None` for a property attribute).
    fn to_value(&self) -> Option<String>;

    /// Read a whole attribute, checking its name.
    fn from_attribute(attribute: &Attribute) -> Result<Self, AttributeError> {
        if attribute.name != Self::NAME {
            return Err(AttributeError::new(
                Self::NAME,
                "attribute has another name",
            ));
        }
        Self::parse_value(attribute.value.as_deref())
    }

    /// This value as an attribute line's contents.
    fn to_attribute(&self) -> Attribute {
        Attribute {
            name: std::borrow::Cow::Borrowed(Self::NAME),
            value: self.to_value().map(Into::into),
        }
    }
}

/// A known attribute whose value breaks its grammar: the error nested
/// under [`Error::Attribute`](crate::Error::Attribute), returned directly
/// by the typed accessors
/// ([`MediaDescription::get`](crate::MediaDescription::get),
/// [`AttributeValue::parse_value`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a={attribute}: {reason}")]
#[non_exhaustive]
pub struct AttributeError {
    /// The attribute's name.
    pub attribute: &'static str,
    /// The rule broken, with the RFC section that states it.
    pub reason: &'static str,
}

impl AttributeError {
    pub(crate) fn new(attribute: &'static str, reason: &'static str) -> Self {
        AttributeError { attribute, reason }
    }

    /// `true`: the value was read from text, which breaks the attribute's
    /// grammar; the text is normally the peer's (see
    /// [`Error::is_peer_fault`](crate::Error::is_peer_fault)).
    pub fn is_peer_fault(&self) -> bool {
        true
    }
}

/// Read the typed value of `attribute` if its name is one this crate
/// types, so that a validator can report every malformed known attribute.
/// `None` for names this crate does not type.
pub fn check_known(attribute: &Attribute) -> Option<Result<(), AttributeError>> {
    fn check<T: AttributeValue>(a: &Attribute) -> Option<Result<(), AttributeError>> {
        Some(T::from_attribute(a).map(drop))
    }
    match &*attribute.name {
        RtpMap::NAME => check::<RtpMap>(attribute),
        Fmtp::NAME => check::<Fmtp>(attribute),
        Ptime::NAME => check::<Ptime>(attribute),
        MaxPtime::NAME => check::<MaxPtime>(attribute),
        Framerate::NAME => check::<Framerate>(attribute),
        "sendrecv" | "sendonly" | "recvonly" | "inactive" => Some(match attribute.value {
            None => Ok(()),
            Some(_) => Err(AttributeError::new(
                "sendrecv",
                "a direction attribute takes no value (RFC 8866 §6.7)",
            )),
        }),
        Rtcp::NAME => check::<Rtcp>(attribute),
        RtcpMux::NAME => check::<RtcpMux>(attribute),
        RtcpMuxOnly::NAME => check::<RtcpMuxOnly>(attribute),
        RtcpRsize::NAME => check::<RtcpRsize>(attribute),
        RtcpFb::NAME => check::<RtcpFb>(attribute),
        RtcpXr::NAME => check::<RtcpXr>(attribute),
        Extmap::NAME => check::<Extmap>(attribute),
        ExtmapAllowMixed::NAME => check::<ExtmapAllowMixed>(attribute),
        Mid::NAME => check::<Mid>(attribute),
        Group::NAME => check::<Group>(attribute),
        BundleOnly::NAME => check::<BundleOnly>(attribute),
        Msid::NAME => check::<Msid>(attribute),
        MsidSemantic::NAME => check::<MsidSemantic>(attribute),
        Ssrc::NAME => check::<Ssrc>(attribute),
        SsrcGroup::NAME => check::<SsrcGroup>(attribute),
        Setup::NAME => check::<Setup>(attribute),
        Fingerprint::NAME => check::<Fingerprint>(attribute),
        IceUfrag::NAME => check::<IceUfrag>(attribute),
        IcePwd::NAME => check::<IcePwd>(attribute),
        IceOptions::NAME => check::<IceOptions>(attribute),
        IceLite::NAME => check::<IceLite>(attribute),
        Candidate::NAME => check::<Candidate>(attribute),
        EndOfCandidates::NAME => check::<EndOfCandidates>(attribute),
        SctpPort::NAME => check::<SctpPort>(attribute),
        MaxMessageSize::NAME => check::<MaxMessageSize>(attribute),
        Rid::NAME => check::<Rid>(attribute),
        Simulcast::NAME => check::<Simulcast>(attribute),
        _ => None,
    }
}

/// The name as a `&'static str` if it is one this crate knows (a typed
/// attribute's or a direction's), so that a parsed attribute of a known
/// name does not allocate for it.
pub(crate) fn known_name(name: &str) -> Option<&'static str> {
    // The arms are tried in order: the names browsers write most often
    // (per codec) come first.
    Some(match name {
        RtcpFb::NAME => RtcpFb::NAME,
        RtpMap::NAME => RtpMap::NAME,
        Fmtp::NAME => Fmtp::NAME,
        Extmap::NAME => Extmap::NAME,
        Ssrc::NAME => Ssrc::NAME,
        Candidate::NAME => Candidate::NAME,
        Ptime::NAME => Ptime::NAME,
        MaxPtime::NAME => MaxPtime::NAME,
        Framerate::NAME => Framerate::NAME,
        "sendrecv" => "sendrecv",
        "sendonly" => "sendonly",
        "recvonly" => "recvonly",
        "inactive" => "inactive",
        Rtcp::NAME => Rtcp::NAME,
        RtcpMux::NAME => RtcpMux::NAME,
        RtcpMuxOnly::NAME => RtcpMuxOnly::NAME,
        RtcpRsize::NAME => RtcpRsize::NAME,
        RtcpXr::NAME => RtcpXr::NAME,
        ExtmapAllowMixed::NAME => ExtmapAllowMixed::NAME,
        Mid::NAME => Mid::NAME,
        Group::NAME => Group::NAME,
        BundleOnly::NAME => BundleOnly::NAME,
        Msid::NAME => Msid::NAME,
        MsidSemantic::NAME => MsidSemantic::NAME,
        SsrcGroup::NAME => SsrcGroup::NAME,
        Setup::NAME => Setup::NAME,
        Fingerprint::NAME => Fingerprint::NAME,
        IceUfrag::NAME => IceUfrag::NAME,
        IcePwd::NAME => IcePwd::NAME,
        IceOptions::NAME => IceOptions::NAME,
        IceLite::NAME => IceLite::NAME,
        EndOfCandidates::NAME => EndOfCandidates::NAME,
        SctpPort::NAME => SctpPort::NAME,
        MaxMessageSize::NAME => MaxMessageSize::NAME,
        Rid::NAME => Rid::NAME,
        Simulcast::NAME => Simulcast::NAME,
        _ => return None,
    })
}
