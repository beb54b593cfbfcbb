//! The JSEP rules a WebRTC offer or answer must follow (RFC 8829 §5), as
//! a validator that reports every problem with its line.

use std::collections::HashMap;
use std::fmt;

use crate::attributes::{
    AttributeValue, Direction, Extmap, Fingerprint, Fmtp, Group, IcePwd, IceUfrag, RtcpMux,
    RtcpMuxOnly, RtpMap, Setup, check_known,
};
use crate::{Level, MediaDescription, SessionDescription};

/// A JSEP rule a description breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JsepRule {
    /// An attribute this crate types has a value that breaks its grammar.
    MalformedAttribute,
    /// A media section has no `a=mid` (RFC 8829 §5.2.1).
    MissingMid,
    /// Two media sections share a `mid` (RFC 5888 §4).
    DuplicateMid,
    /// A group names a `mid` no media section has (RFC 5888 §5).
    GroupNamesUnknownMid,
    /// A media section is in more than one BUNDLE group (RFC 9143).
    MidInTwoBundles,
    /// A media section in use has no `ice-ufrag` and `ice-pwd` at media or
    /// session level, nor a BUNDLE group that carries them (RFC 8839
    /// §5.4).
    MissingIceCredentials,
    /// A DTLS media section has no `fingerprint` (RFC 8122 §5, RFC 5763
    /// §5, RFC 8829 §5.2.1).
    MissingFingerprint,
    /// A DTLS media section has no `setup` (RFC 5763 §5, RFC 8842 §5).
    MissingSetup,
    /// An `rtpmap` or `fmtp` for a format the `m=` line does not list
    /// (RFC 8866 §6.6, §6.15).
    AttributeForUnlistedFormat,
    /// A dynamic payload type (96-127) without an `rtpmap` (RFC 8866
    /// §6.6, RFC 3551 §3).
    DynamicPayloadTypeWithoutRtpmap,
    /// More than one direction attribute in one section (RFC 8866 §6.7).
    MultipleDirections,
    /// Two `extmap`s with one id in a section (RFC 8285 §5).
    DuplicateExtmapId,
    /// `rtcp-mux-only` without `rtcp-mux` (RFC 8858 §3).
    RtcpMuxOnlyWithoutRtcpMux,
}

impl fmt::Display for JsepRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JsepRule::MalformedAttribute => "malformed attribute",
            JsepRule::MissingMid => "every media section needs a=mid (RFC 8829 §5.2.1)",
            JsepRule::DuplicateMid => "mid values must be unique (RFC 5888 §4)",
            JsepRule::GroupNamesUnknownMid => {
                "a group may only name mids of media sections (RFC 5888 §5)"
            }
            JsepRule::MidInTwoBundles => {
                "a media section may be in one BUNDLE group only (RFC 9143)"
            }
            JsepRule::MissingIceCredentials => {
                "a media section in use needs ice-ufrag and ice-pwd (RFC 8839 §5.4)"
            }
            JsepRule::MissingFingerprint => {
                "a DTLS media section needs a=fingerprint (RFC 8122 §5, RFC 5763 §5)"
            }
            JsepRule::MissingSetup => "a DTLS media section needs a=setup (RFC 5763 §5)",
            JsepRule::AttributeForUnlistedFormat => {
                "rtpmap and fmtp may only describe formats of the m= line (RFC 8866 §6.6, §6.15)"
            }
            JsepRule::DynamicPayloadTypeWithoutRtpmap => {
                "a dynamic payload type needs an rtpmap (RFC 8866 §6.6)"
            }
            JsepRule::MultipleDirections => {
                "at most one direction attribute per section (RFC 8866 §6.7)"
            }
            JsepRule::DuplicateExtmapId => {
                "an extmap id may be used once per section (RFC 8285 §5)"
            }
            JsepRule::RtcpMuxOnlyWithoutRtcpMux => {
                "rtcp-mux-only needs rtcp-mux beside it (RFC 8858 §3)"
            }
        })
    }
}

/// One broken rule, where it was found.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JsepProblem {
    /// The 1-based line of the written (and parsed) description.
    pub line: usize,
    /// The rule.
    pub rule: JsepRule,
    /// What was found.
    pub detail: String,
}

impl fmt::Display for JsepProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.rule, self.detail)
    }
}

/// Whether a proto runs over DTLS (RFC 5764 §8, RFC 8841 §4).
fn uses_dtls(proto: &str) -> bool {
    proto.split('/').any(|p| p == "TLS" || p == "DTLS")
}

struct Checker<'a> {
    sd: &'a SessionDescription,
    problems: Vec<JsepProblem>,
}

impl Checker<'_> {
    fn report(&mut self, line: usize, rule: JsepRule, detail: impl Into<String>) {
        self.problems.push(JsepProblem {
            line,
            rule,
            detail: detail.into(),
        });
    }

    fn malformed(&mut self, level: Level, attributes: &[crate::Attribute]) {
        for (i, a) in attributes.iter().enumerate() {
            if let Some(Err(e)) = check_known(a) {
                let line = self.sd.line_of_attribute(level, i);
                self.report(line, JsepRule::MalformedAttribute, e.to_string());
            }
        }
    }

    fn mids_and_groups(&mut self) {
        let sd = self.sd;
        let mut mids: HashMap<&str, usize> = HashMap::new();
        for (i, m) in sd.media.iter().enumerate() {
            let m_line = sd.first_line(Level::Media(i));
            match m.mid() {
                None => self.report(m_line, JsepRule::MissingMid, format!("m={}", m.media.media)),
                Some(mid) => {
                    if mids.insert(mid, i).is_some() {
                        let at = m.attributes.iter().position(|a| a.name == "mid");
                        let line = sd.line_of_attribute(Level::Media(i), at.unwrap_or_default());
                        self.report(line, JsepRule::DuplicateMid, format!("mid {mid:?}"));
                    }
                }
            }
        }
        let mut bundled: HashMap<String, usize> = HashMap::new();
        for (i, a) in sd.attributes.iter().enumerate() {
            let Ok(group) = Group::from_attribute(a) else {
                continue;
            };
            let line = sd.line_of_attribute(Level::Session, i);
            for mid in &group.mids {
                if !mids.contains_key(mid.as_str()) {
                    let detail = format!("group {} names mid {mid:?}", group.semantics);
                    self.report(line, JsepRule::GroupNamesUnknownMid, detail);
                }
                if group.is_bundle() && bundled.insert(mid.clone(), i).is_some() {
                    self.report(line, JsepRule::MidInTwoBundles, format!("mid {mid:?}"));
                }
            }
        }
    }

    /// Whether `present` holds for the section, the session level, or a
    /// section in the same BUNDLE group.
    fn provided(&self, index: usize, present: impl Fn(&MediaDescription) -> bool) -> bool {
        let sd = self.sd;
        if present(&sd.media[index]) {
            return true;
        }
        let Some(mid) = sd.media[index].mid() else {
            return false;
        };
        sd.bundle_groups()
            .filter(|g| g.mids.iter().any(|m| m == mid))
            .flat_map(|g| g.mids)
            .filter_map(|m| sd.media_by_mid(&m))
            .any(present)
    }

    fn transport(&mut self) {
        let sd = self.sd;
        let session_ice = sd.has::<IceUfrag>() && sd.has::<IcePwd>();
        let session_fingerprint = sd.has::<Fingerprint>();
        let session_setup = sd.has::<Setup>();
        for (i, m) in sd.media.iter().enumerate() {
            if m.is_rejected() {
                continue;
            }
            let line = sd.first_line(Level::Media(i));
            let what = format!("m={}", m.media.media);
            if !session_ice && !self.provided(i, |m| m.has::<IceUfrag>() && m.has::<IcePwd>()) {
                self.report(line, JsepRule::MissingIceCredentials, what.clone());
            }
            if !uses_dtls(&m.media.proto) {
                continue;
            }
            if !session_fingerprint && !self.provided(i, |m| m.has::<Fingerprint>()) {
                self.report(line, JsepRule::MissingFingerprint, what.clone());
            }
            if !session_setup && !self.provided(i, |m| m.has::<Setup>()) {
                self.report(line, JsepRule::MissingSetup, what);
            }
        }
    }

    fn section(&mut self, level: Level, attributes: &[crate::Attribute]) {
        let sd = self.sd;
        let directions: Vec<usize> = attributes
            .iter()
            .enumerate()
            .filter(|(_, a)| Direction::from_name(&a.name).is_some())
            .map(|(i, _)| i)
            .collect();
        if let [_, second, ..] = directions[..] {
            let line = sd.line_of_attribute(level, second);
            let detail = format!("a={}", attributes[second].name);
            self.report(line, JsepRule::MultipleDirections, detail);
        }
        let mut ids = HashMap::new();
        for (i, a) in attributes.iter().enumerate() {
            if let Ok(e) = Extmap::from_attribute(a) {
                if ids.insert(e.id, i).is_some() {
                    let line = sd.line_of_attribute(level, i);
                    self.report(line, JsepRule::DuplicateExtmapId, format!("id {}", e.id));
                }
            }
        }
        let has = |name: &str| attributes.iter().any(|a| a.name == name);
        if has(RtcpMuxOnly::NAME) && !has(RtcpMux::NAME) {
            let i = attributes
                .iter()
                .position(|a| a.name == RtcpMuxOnly::NAME)
                .unwrap_or_default();
            let line = sd.line_of_attribute(level, i);
            self.report(line, JsepRule::RtcpMuxOnlyWithoutRtcpMux, "a=rtcp-mux-only");
        }
    }

    fn formats(&mut self, index: usize) {
        let sd = self.sd;
        let m = &sd.media[index];
        if !m.media.proto.contains("RTP") {
            return;
        }
        let listed = |f: &str| m.media.formats.iter().any(|x| x == f);
        for (i, a) in m.attributes.iter().enumerate() {
            let format = match a.name.as_str() {
                RtpMap::NAME => RtpMap::from_attribute(a)
                    .ok()
                    .map(|r| r.payload_type.to_string()),
                Fmtp::NAME => Fmtp::from_attribute(a).ok().map(|f| f.format),
                _ => None,
            };
            if let Some(format) = format.filter(|f| !listed(f)) {
                let line = sd.line_of_attribute(Level::Media(index), i);
                let detail = format!("a={} for format {format}", a.name);
                self.report(line, JsepRule::AttributeForUnlistedFormat, detail);
            }
        }
        for f in &m.media.formats {
            let dynamic = f.parse::<u8>().is_ok_and(|pt| (96..=127).contains(&pt));
            if dynamic && m.rtpmap(f.parse().unwrap_or_default()).is_none() {
                let line = sd.first_line(Level::Media(index));
                let detail = format!("payload type {f}");
                self.report(line, JsepRule::DynamicPayloadTypeWithoutRtpmap, detail);
            }
        }
    }
}

impl SessionDescription {
    /// Check the rules a JSEP offer or answer must follow (RFC 8829 §5):
    /// every attribute this crate types is well-formed; every media
    /// section has a unique `mid`; groups name existing mids and a section
    /// is in at most one BUNDLE group; sections in use carry ICE
    /// credentials, and DTLS sections a fingerprint and a setup role (at
    /// their own level, the session level, or in a section of their BUNDLE
    /// group); rtpmap and fmtp describe listed formats and every dynamic
    /// payload type has an rtpmap; at most one direction and unique
    /// extmap ids per section; rtcp-mux-only comes with rtcp-mux.
    ///
    /// Returns every problem found, in line order; empty when the
    /// description passes.
    pub fn check_jsep(&self) -> Vec<JsepProblem> {
        let mut c = Checker {
            sd: self,
            problems: Vec::new(),
        };
        c.malformed(Level::Session, &self.attributes);
        c.section(Level::Session, &self.attributes);
        for (i, m) in self.media.iter().enumerate() {
            c.malformed(Level::Media(i), &m.attributes);
            c.section(Level::Media(i), &m.attributes);
            c.formats(i);
        }
        c.mids_and_groups();
        c.transport();
        c.problems.sort_by_key(|p| p.line);
        c.problems
    }
}
