//! The JSEP rules a WebRTC offer or answer must follow (RFC 8829 §5), as
//! a validator that reports every problem with its line.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::access::LineTable;
use crate::attributes::{
    AttributeValue, Direction, EndOfCandidates, Extmap, Fingerprint, Fmtp, Group, IcePwd, IceUfrag,
    RtcpMux, RtcpMuxOnly, RtpMap, Setup, check_known,
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
    /// A second `a=end-of-candidates` in one media section (or at session
    /// level): the indication that gathering is complete is a property
    /// attribute given at most once per section (RFC 8840, RFC 8838
    /// §8.2; RFC 8839 §5 for the ICE attributes it ends). The problem is
    /// reported at the second one.
    RepeatedEndOfCandidates,
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
            JsepRule::RepeatedEndOfCandidates => {
                "a=end-of-candidates at most once per section (RFC 8840, RFC 8838 §8.2)"
            }
        })
    }
}

/// One broken rule, where it was found, from
/// [`SessionDescription::check_jsep`](crate::SessionDescription::check_jsep).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
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

/// What the sections of a BUNDLE group carry between them: each rule of
/// [`Checker::transport`] is met by a section that carries its attribute
/// itself or shares a BUNDLE group with one that does (RFC 9143 §7.1: the
/// group's transport is negotiated once).
#[derive(Debug, Clone, Copy, Default)]
struct Carried {
    /// `ice-ufrag` and `ice-pwd` (RFC 8839 §5.4).
    ice: bool,
    /// `fingerprint` (RFC 8122 §5).
    fingerprint: bool,
    /// `setup` (RFC 5763 §5).
    setup: bool,
}

impl Carried {
    fn of(m: &MediaDescription) -> Self {
        Carried {
            ice: m.has::<IceUfrag>() && m.has::<IcePwd>(),
            fingerprint: m.has::<Fingerprint>(),
            setup: m.has::<Setup>(),
        }
    }

    fn or(self, other: Carried) -> Self {
        Carried {
            ice: self.ice || other.ice,
            fingerprint: self.fingerprint || other.fingerprint,
            setup: self.setup || other.setup,
        }
    }
}

/// The checks of [`SessionDescription::check_jsep`]. Everything one section
/// needs from the others (the mids, the BUNDLE groups, the line numbers)
/// is computed once, so the whole check is linear in the size of the
/// description.
struct Checker<'a> {
    sd: &'a SessionDescription,
    lines: LineTable,
    /// The session-level `a=group` attributes that parse, with their index.
    groups: Vec<(usize, Group)>,
    /// For each mid, the first section that has it (as
    /// [`SessionDescription::media_by_mid`] finds it).
    mids: HashMap<&'a str, usize>,
    problems: Vec<JsepProblem>,
}

impl<'a> Checker<'a> {
    fn new(sd: &'a SessionDescription) -> Self {
        let groups = sd
            .attributes
            .iter()
            .enumerate()
            .filter_map(|(i, a)| Group::from_attribute(a).ok().map(|g| (i, g)))
            .collect();
        let mut mids = HashMap::with_capacity(sd.media.len());
        for (i, m) in sd.media.iter().enumerate() {
            if let Some(mid) = m.mid() {
                mids.entry(mid).or_insert(i);
            }
        }
        Checker {
            sd,
            lines: sd.line_table(),
            groups,
            mids,
            problems: Vec::new(),
        }
    }

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
                let line = self.lines.line_of_attribute(level, i);
                self.report(line, JsepRule::MalformedAttribute, e.to_string());
            }
        }
    }

    fn mids_and_groups(&mut self) {
        let sd = self.sd;
        for (i, m) in sd.media.iter().enumerate() {
            let m_line = self.lines.first_line(Level::Media(i));
            match m.mid() {
                None => self.report(m_line, JsepRule::MissingMid, format!("m={}", m.media.media)),
                Some(mid) if self.mids[mid] != i => {
                    let at = m.attributes.iter().position(|a| a.name == "mid");
                    let line = self
                        .lines
                        .line_of_attribute(Level::Media(i), at.unwrap_or_default());
                    self.report(line, JsepRule::DuplicateMid, format!("mid {mid:?}"));
                }
                Some(_) => {}
            }
        }
        let groups = std::mem::take(&mut self.groups);
        let mut bundled: HashSet<&str> = HashSet::new();
        for (i, group) in &groups {
            let line = self.lines.line_of_attribute(Level::Session, *i);
            for mid in &group.mids {
                if !self.mids.contains_key(mid.as_str()) {
                    let detail = format!("group {} names mid {mid:?}", group.semantics);
                    self.report(line, JsepRule::GroupNamesUnknownMid, detail);
                }
                if group.is_bundle() && !bundled.insert(mid) {
                    self.report(line, JsepRule::MidInTwoBundles, format!("mid {mid:?}"));
                }
            }
        }
        self.groups = groups;
    }

    /// For each mid named by a BUNDLE group, what the sections of the
    /// groups naming it carry (a mid in two groups, which
    /// [`JsepRule::MidInTwoBundles`] reports, gets what both carry).
    fn bundled(&self) -> HashMap<&str, Carried> {
        let mut bundled: HashMap<&str, Carried> = HashMap::new();
        for (_, group) in self.groups.iter().filter(|(_, g)| g.is_bundle()) {
            let carried = group
                .mids
                .iter()
                .filter_map(|mid| self.mids.get(mid.as_str()))
                .map(|&i| Carried::of(&self.sd.media[i]))
                .fold(Carried::default(), Carried::or);
            for mid in &group.mids {
                let entry = bundled.entry(mid).or_default();
                *entry = entry.or(carried);
            }
        }
        bundled
    }

    fn transport(&mut self) {
        let sd = self.sd;
        let session = Carried {
            ice: sd.has::<IceUfrag>() && sd.has::<IcePwd>(),
            fingerprint: sd.has::<Fingerprint>(),
            setup: sd.has::<Setup>(),
        };
        let bundled = self.bundled();
        let mut problems = Vec::new();
        for (i, m) in sd.media.iter().enumerate() {
            if m.is_rejected() {
                continue;
            }
            let from_group = m.mid().and_then(|mid| bundled.get(mid)).copied();
            let has = session
                .or(Carried::of(m))
                .or(from_group.unwrap_or_default());
            let line = self.lines.first_line(Level::Media(i));
            let what = || format!("m={}", m.media.media);
            if !has.ice {
                problems.push((line, JsepRule::MissingIceCredentials, what()));
            }
            if !uses_dtls(&m.media.proto) {
                continue;
            }
            if !has.fingerprint {
                problems.push((line, JsepRule::MissingFingerprint, what()));
            }
            if !has.setup {
                problems.push((line, JsepRule::MissingSetup, what()));
            }
        }
        for (line, rule, detail) in problems {
            self.report(line, rule, detail);
        }
    }

    fn section(&mut self, level: Level, attributes: &[crate::Attribute]) {
        let directions: Vec<usize> = attributes
            .iter()
            .enumerate()
            .filter(|(_, a)| Direction::from_name(&a.name).is_some())
            .map(|(i, _)| i)
            .collect();
        if let [_, second, ..] = directions[..] {
            let line = self.lines.line_of_attribute(level, second);
            let detail = format!("a={}", attributes[second].name);
            self.report(line, JsepRule::MultipleDirections, detail);
        }
        let mut ids = HashMap::new();
        for (i, a) in attributes.iter().enumerate() {
            if let Ok(e) = Extmap::from_attribute(a) {
                if ids.insert(e.id, i).is_some() {
                    let line = self.lines.line_of_attribute(level, i);
                    self.report(line, JsepRule::DuplicateExtmapId, format!("id {}", e.id));
                }
            }
        }
        let mut ends = attributes
            .iter()
            .enumerate()
            .filter(|(_, a)| a.name == EndOfCandidates::NAME)
            .map(|(i, _)| i);
        if let (Some(_), Some(second)) = (ends.next(), ends.next()) {
            let line = self.lines.line_of_attribute(level, second);
            self.report(
                line,
                JsepRule::RepeatedEndOfCandidates,
                "a=end-of-candidates",
            );
        }
        let has = |name: &str| attributes.iter().any(|a| a.name == name);
        if has(RtcpMuxOnly::NAME) && !has(RtcpMux::NAME) {
            let i = attributes
                .iter()
                .position(|a| a.name == RtcpMuxOnly::NAME)
                .unwrap_or_default();
            let line = self.lines.line_of_attribute(level, i);
            self.report(line, JsepRule::RtcpMuxOnlyWithoutRtcpMux, "a=rtcp-mux-only");
        }
    }

    fn formats(&mut self, index: usize) {
        let sd = self.sd;
        let m = &sd.media[index];
        if !m.media.proto.contains("RTP") {
            return;
        }
        let listed: HashSet<&str> = m.media.formats.iter().map(AsRef::as_ref).collect();
        // The payload types an rtpmap is written for, as
        // `MediaDescription::rtpmap` looks them up: the value's first word.
        let mut mapped: HashSet<&str> = HashSet::new();
        for (i, a) in m.attributes.iter().enumerate() {
            let format = match &*a.name {
                RtpMap::NAME => {
                    mapped.extend(a.value.as_deref().and_then(|v| v.split(' ').next()));
                    RtpMap::from_attribute(a)
                        .ok()
                        .map(|r| r.payload_type.to_string())
                }
                Fmtp::NAME => Fmtp::from_attribute(a).ok().map(|f| f.format),
                _ => None,
            };
            if let Some(format) = format.filter(|f| !listed.contains(f.as_str())) {
                let line = self.lines.line_of_attribute(Level::Media(index), i);
                let detail = format!("a={} for format {format}", a.name);
                self.report(line, JsepRule::AttributeForUnlistedFormat, detail);
            }
        }
        for f in &m.media.formats {
            let dynamic = f.parse::<u8>().ok().filter(|pt| (96..=127).contains(pt));
            if dynamic.is_some_and(|pt| !mapped.contains(pt.to_string().as_str())) {
                let line = self.lines.first_line(Level::Media(index));
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
    /// payload type has an rtpmap; at most one direction, at most one
    /// end-of-candidates and unique extmap ids per section; rtcp-mux-only
    /// comes with rtcp-mux.
    ///
    /// Returns every problem found, in line order; empty when the
    /// description passes.
    pub fn check_jsep(&self) -> Vec<JsepProblem> {
        let mut c = Checker::new(self);
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
