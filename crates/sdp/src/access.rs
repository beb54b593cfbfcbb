//! Typed reading and editing of a section's attributes.

use std::borrow::Cow;

use compact_str::{CompactString, ToCompactString};

use crate::attributes::{
    AttributeError, AttributeValue, Candidate, Direction, EndOfCandidates, Fmtp, Group, Mid, RtpMap,
};
use crate::types::*;

/// The methods shared by the session level and each media section, which
/// differ only in where their attributes live.
macro_rules! attribute_access {
    ($ty:ty) => {
        impl $ty {
            /// The first attribute called `name`, as written.
            pub fn attribute(&self, name: &str) -> Option<&Attribute> {
                self.attributes.iter().find(|a| a.name == name)
            }

            /// All attributes called `name`, in order, as written.
            pub fn attributes_named<'a>(
                &'a self,
                name: &'a str,
            ) -> impl Iterator<Item = &'a Attribute> + 'a {
                self.attributes.iter().filter(move |a| a.name == name)
            }

            /// The first `T` attribute, typed: `None` when there is none,
            /// an error when its value breaks `T`'s grammar.
            ///
            /// ```
            /// # use rtw_sdp::{SessionDescription, attributes::Group};
            /// let sd = SessionDescription::parse(
            ///     "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n",
            /// )?;
            /// let group = sd.get::<Group>().unwrap()?;
            /// assert_eq!(group.mids, ["0", "1"]);
            /// # Ok::<(), Box<dyn std::error::Error>>(())
            /// ```
            pub fn get<T: AttributeValue>(&self) -> Option<Result<T, AttributeError>> {
                self.attribute(T::NAME)
                    .map(|a| T::parse_value(a.value.as_deref()))
            }

            /// Every `T` attribute, typed, in order.
            pub fn get_all<T: AttributeValue>(
                &self,
            ) -> impl Iterator<Item = Result<T, AttributeError>> + '_ {
                self.attributes_named(T::NAME)
                    .map(|a| T::parse_value(a.value.as_deref()))
            }

            /// Whether a `T` attribute is present (for property attributes
            /// such as [`RtcpMux`](crate::attributes::RtcpMux)).
            pub fn has<T: AttributeValue>(&self) -> bool {
                self.attribute(T::NAME).is_some()
            }

            /// Append `value` as a new attribute line.
            pub fn push<T: AttributeValue>(&mut self, value: &T) {
                self.attributes.push(value.to_attribute());
            }

            /// Make `value` the only `T` attribute: it replaces the first
            /// one in place, the others are removed; appended if there was
            /// none.
            pub fn set<T: AttributeValue>(&mut self, value: &T) {
                let new = value.to_attribute();
                match self.attributes.iter().position(|a| a.name == T::NAME) {
                    Some(i) => {
                        self.attributes[i] = new;
                        let mut seen = 0;
                        self.attributes.retain(|a| {
                            if a.name != T::NAME {
                                return true;
                            }
                            seen += 1;
                            seen == 1
                        });
                    }
                    None => self.attributes.push(new),
                }
            }

            /// Remove every `T` attribute; how many there were.
            pub fn remove<T: AttributeValue>(&mut self) -> usize {
                let before = self.attributes.len();
                self.attributes.retain(|a| a.name != T::NAME);
                before - self.attributes.len()
            }

            /// The direction attribute (RFC 8866 §6.7), if one is given.
            /// At the session level it is the default for every media
            /// section.
            pub fn direction(&self) -> Option<Direction> {
                self.attributes
                    .iter()
                    .find(|a| a.value.is_none() && Direction::from_name(&a.name).is_some())
                    .and_then(|a| Direction::from_name(&a.name))
            }

            /// Set the direction: the first direction attribute is
            /// replaced in place and any others removed, or `d` is
            /// appended.
            pub fn set_direction(&mut self, d: Direction) {
                let is_direction = |a: &Attribute| Direction::from_name(&a.name).is_some();
                match self.attributes.iter().position(is_direction) {
                    Some(i) => {
                        self.attributes[i] = Attribute::property(d.name());
                        let mut index = 0;
                        self.attributes.retain(|a| {
                            let keep = index == i || !is_direction(a);
                            index += 1;
                            keep
                        });
                    }
                    None => self.attributes.push(Attribute::property(d.name())),
                }
            }
        }
    };
}

attribute_access!(SessionDescription);
attribute_access!(MediaDescription);

impl MediaDescription {
    /// A media section with no attributes yet.
    pub fn new(media: Media) -> Self {
        MediaDescription {
            media,
            title: None,
            connections: Vec::new(),
            bandwidths: Vec::new(),
            key: None,
            attributes: Vec::new(),
        }
    }

    /// The `a=mid` value, as written.
    pub fn mid(&self) -> Option<&str> {
        self.attribute(Mid::NAME)?.value.as_deref()
    }

    /// Whether the section is rejected or disabled: port 0 (RFC 3264 §6,
    /// RFC 8829 §5.2.2) without `a=bundle-only` (RFC 9143).
    pub fn is_rejected(&self) -> bool {
        self.media.port == 0 && self.attribute("bundle-only").is_none()
    }

    /// The `rtpmap` of payload type `pt`.
    pub fn rtpmap(&self, pt: u8) -> Option<Result<RtpMap, AttributeError>> {
        let prefix = pt.to_string();
        self.attributes_named(RtpMap::NAME)
            .find(|a| a.value.as_deref().and_then(|v| v.split(' ').next()) == Some(&prefix))
            .map(RtpMap::from_attribute)
    }

    /// The `fmtp` of format `format`.
    pub fn fmtp(&self, format: &str) -> Option<Result<Fmtp, AttributeError>> {
        self.attributes_named(Fmtp::NAME)
            .find(|a| a.value.as_deref().and_then(|v| v.split(' ').next()) == Some(format))
            .map(Fmtp::from_attribute)
    }

    /// Add a trickled candidate (RFC 8840 §4.4): after the section's other
    /// candidates, before an `a=end-of-candidates` if there is one.
    pub fn add_candidate(&mut self, candidate: &Candidate) {
        let at = self
            .attributes
            .iter()
            .position(|a| a.name == EndOfCandidates::NAME)
            .unwrap_or(self.attributes.len());
        self.attributes.insert(at, candidate.to_attribute());
    }
}

impl Media {
    /// An `m=` line.
    pub fn new(
        media: impl Into<CompactString>,
        port: u16,
        proto: impl Into<CompactString>,
        formats: impl IntoIterator<Item = impl Into<Cow<'static, str>>>,
    ) -> Self {
        Media {
            media: media.into(),
            port,
            port_leading_zeros: 0,
            port_count: None,
            proto: proto.into(),
            formats: formats.into_iter().map(Into::into).collect(),
        }
    }
}

impl Origin {
    /// The origin JSEP writes (RFC 8829 §5.2.1): username `-`, the given
    /// session id and version, `IN IP4 127.0.0.1`. The session id should
    /// be random and below 2^63 (RFC 8829 §5.2.1).
    pub fn jsep(session_id: u64, session_version: u64) -> Self {
        Origin {
            username: "-".into(),
            session_id: session_id.to_compact_string(),
            session_version: session_version.to_compact_string(),
            nettype: "IN".into(),
            addrtype: "IP4".into(),
            unicast_address: "127.0.0.1".into(),
        }
    }
}

impl SessionDescription {
    /// A session with `origin`, session name `-` and timing `t=0 0`, as
    /// JSEP writes them (RFC 8829 §5.2.1), and no media yet.
    pub fn new(origin: Origin) -> Self {
        SessionDescription {
            version: 0,
            origin,
            session_name: "-".into(),
            information: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: None,
            bandwidths: Vec::new(),
            timings: vec![Timing {
                start: 0,
                stop: 0,
                repeats: Vec::new(),
            }],
            time_zones: None,
            key: None,
            attributes: Vec::new(),
            media: Vec::new(),
        }
    }

    /// The media section with `a=mid:<mid>`.
    pub fn media_by_mid(&self, mid: &str) -> Option<&MediaDescription> {
        self.media.iter().find(|m| m.mid() == Some(mid))
    }

    /// The media section with `a=mid:<mid>`, to change it.
    pub fn media_by_mid_mut(&mut self, mid: &str) -> Option<&mut MediaDescription> {
        self.media.iter_mut().find(|m| m.mid() == Some(mid))
    }

    /// The BUNDLE groups (RFC 9143) that parse.
    pub fn bundle_groups(&self) -> impl Iterator<Item = Group> + '_ {
        self.get_all::<Group>()
            .filter_map(Result::ok)
            .filter(Group::is_bundle)
    }

    /// The 1-based line number the attribute at `index` of `level` has
    /// in the written description (and in the parsed text).
    pub fn line_of_attribute(&self, level: Level, index: usize) -> usize {
        self.first_line(level) + self.header_lines(level) + index
    }

    /// The 1-based line number of the `m=` line of media section `index`,
    /// or of `v=` for the session level.
    pub fn first_line(&self, level: Level) -> usize {
        let session = self.header_lines(Level::Session) + self.attributes.len();
        match level {
            Level::Session => 1,
            Level::Media(i) => {
                1 + session
                    + self.media[..i]
                        .iter()
                        .enumerate()
                        .map(|(j, m)| self.header_lines(Level::Media(j)) + m.attributes.len())
                        .sum::<usize>()
            }
        }
    }

    /// Where every level's lines begin, computed in one pass: for callers
    /// that ask [`first_line`](Self::first_line) or
    /// [`line_of_attribute`](Self::line_of_attribute) once per section,
    /// which would each cost a walk over the sections before.
    pub(crate) fn line_table(&self) -> LineTable {
        let mut starts = Vec::with_capacity(self.media.len() + 1);
        let mut next = 1;
        let levels = std::iter::once(Level::Session).chain((0..self.media.len()).map(Level::Media));
        for level in levels {
            let attributes = next + self.header_lines(level);
            starts.push((next, attributes));
            next = attributes
                + match level {
                    Level::Session => self.attributes.len(),
                    Level::Media(i) => self.media[i].attributes.len(),
                };
        }
        LineTable { starts }
    }

    /// Lines before the attributes of `level`.
    fn header_lines(&self, level: Level) -> usize {
        match level {
            Level::Session => {
                3 + usize::from(self.information.is_some())
                    + usize::from(self.uri.is_some())
                    + self.emails.len()
                    + self.phones.len()
                    + usize::from(self.connection.is_some())
                    + self.bandwidths.len()
                    + self
                        .timings
                        .iter()
                        .map(|t| 1 + t.repeats.len())
                        .sum::<usize>()
                    + usize::from(self.time_zones.is_some())
                    + usize::from(self.key.is_some())
            }
            Level::Media(i) => {
                let m = &self.media[i];
                1 + usize::from(m.title.is_some())
                    + m.connections.len()
                    + m.bandwidths.len()
                    + usize::from(m.key.is_some())
            }
        }
    }
}

/// The line numbers of [`SessionDescription::first_line`] and
/// [`SessionDescription::line_of_attribute`], looked up in constant time.
pub(crate) struct LineTable {
    /// Per level, the session first, then each media section: the line of
    /// its first line and of its first attribute.
    starts: Vec<(usize, usize)>,
}

impl LineTable {
    fn starts(&self, level: Level) -> (usize, usize) {
        match level {
            Level::Session => self.starts[0],
            Level::Media(i) => self.starts[i + 1],
        }
    }

    /// As [`SessionDescription::first_line`].
    pub(crate) fn first_line(&self, level: Level) -> usize {
        self.starts(level).0
    }

    /// As [`SessionDescription::line_of_attribute`].
    pub(crate) fn line_of_attribute(&self, level: Level, index: usize) -> usize {
        self.starts(level).1 + index
    }
}

/// Where an attribute is: the session level or a media section (by
/// index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// Session-level attributes, before the first `m=`.
    Session,
    /// Media section `n` (0-based).
    Media(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_table_agrees_with_the_walks() {
        let text = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\ni=x\r\nc=IN IP4 0.0.0.0\r\n\
                    t=0 0\r\nr=7d 1h 0 25h\r\na=a\r\na=b\r\n\
                    m=audio 9 RTP/AVP 0\r\ni=t\r\nb=AS:1\r\na=c\r\n\
                    m=video 9 RTP/AVP 96\r\n\
                    m=video 9 RTP/AVP 96\r\nc=IN IP4 0.0.0.0\r\na=d\r\na=e\r\n";
        let sd = SessionDescription::parse(text).unwrap();
        let table = sd.line_table();
        let levels = [
            Level::Session,
            Level::Media(0),
            Level::Media(1),
            Level::Media(2),
        ];
        for level in levels {
            assert_eq!(table.first_line(level), sd.first_line(level), "{level:?}");
            for i in 0..3 {
                assert_eq!(
                    table.line_of_attribute(level, i),
                    sd.line_of_attribute(level, i),
                    "{level:?} {i}"
                );
            }
        }
        assert_eq!(table.first_line(Level::Media(2)), 15);
        assert_eq!(table.line_of_attribute(Level::Media(2), 1), 18);
    }
}
