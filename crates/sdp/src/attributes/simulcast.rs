//! RTP stream identifiers and simulcast: `rid` (RFC 8851) and
//! `simulcast` (RFC 8853).

use super::syntax::{is_token, join_parameters, parameters, required};
use super::{AttributeError, AttributeValue};

/// `rid-id = 1*(alpha-numeric / "-" / "_")` (RFC 8851 §10).
fn is_rid_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The direction of a `rid` (RFC 8851 §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RidDirection {
    /// `send`.
    Send,
    /// `recv`.
    Recv,
}

impl RidDirection {
    fn name(self) -> &'static str {
        match self {
            RidDirection::Send => "send",
            RidDirection::Recv => "recv",
        }
    }
}

/// `a=rid:<rid-id> <send|recv> [pt=<fmt>,...;<restriction>;...]`: an RTP
/// stream identifier with its payload types and restrictions (RFC 8851
/// §10), e.g. `a=rid:h send max-width=1280;max-height=720`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Rid {
    /// The identifier.
    pub id: String,
    /// Send or receive.
    pub direction: RidDirection,
    /// The payload types of `pt=`, if given.
    pub payload_types: Vec<String>,
    /// Restrictions such as `max-width=1280`, in order.
    pub restrictions: Vec<(String, Option<String>)>,
}

impl Rid {
    /// The value of restriction `name`.
    pub fn restriction(&self, name: &str) -> Option<&str> {
        self.restrictions
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_deref())
    }
}

impl AttributeValue for Rid {
    const NAME: &'static str = "rid";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str =
            "expected <rid-id> <send|recv> [pt=<fmt list>][;<param>...] (RFC 8851 §10)";
        let err = || AttributeError::new(Self::NAME, RULE);
        let v = required(Self::NAME, value, RULE)?;
        let mut parts = v.splitn(3, ' ');
        let id = parts.next().unwrap_or_default();
        let direction = match parts.next() {
            Some("send") => RidDirection::Send,
            Some("recv") => RidDirection::Recv,
            _ => return Err(err()),
        };
        if !is_rid_id(id) {
            return Err(err());
        }
        let mut payload_types = Vec::new();
        let mut restrictions = Vec::new();
        if let Some(params) = parts.next() {
            if params.is_empty() {
                return Err(err());
            }
            for (i, (k, v)) in parameters(params).enumerate() {
                if i == 0 && k == "pt" {
                    let list = v.ok_or_else(err)?;
                    if !list.split(',').all(is_token) {
                        return Err(err());
                    }
                    payload_types = list.split(',').map(str::to_owned).collect();
                    continue;
                }
                let key_ok =
                    !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
                if !key_ok || v.is_some_and(|v| !v.bytes().all(|b| (0x20..=0x7e).contains(&b))) {
                    return Err(err());
                }
                restrictions.push((k.to_owned(), v.map(str::to_owned)));
            }
        }
        Ok(Rid {
            id: id.to_owned(),
            direction,
            payload_types,
            restrictions,
        })
    }

    fn to_value(&self) -> Option<String> {
        let mut v = format!("{} {}", self.id, self.direction.name());
        let mut params = Vec::new();
        if !self.payload_types.is_empty() {
            params.push(("pt".to_owned(), Some(self.payload_types.join(","))));
        }
        params.extend(self.restrictions.iter().cloned());
        if !params.is_empty() {
            v.push(' ');
            v.push_str(&join_parameters(&params));
        }
        Some(v)
    }
}

/// One stream in a simulcast list: a rid, possibly paused with `~`
/// (RFC 8853 §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SimulcastStream {
    /// The `rid` naming the stream.
    pub rid: String,
    /// Whether it starts paused (`~`).
    pub paused: bool,
}

/// `a=simulcast:send <streams> [recv <streams>]` (either order): the
/// simulcast streams in each direction (RFC 8853 §5.1). Each direction is
/// a `;`-separated list of streams, each a `,`-separated list of
/// alternative rids.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Simulcast {
    /// Streams sent, each a list of alternatives.
    pub send: Vec<Vec<SimulcastStream>>,
    /// Streams received, each a list of alternatives.
    pub recv: Vec<Vec<SimulcastStream>>,
    /// Whether `recv` was written before `send`.
    pub recv_first: bool,
}

fn stream_list(s: &str) -> Option<Vec<Vec<SimulcastStream>>> {
    s.split(';')
        .map(|alternatives| {
            alternatives
                .split(',')
                .map(|id| {
                    let (paused, rid) = match id.strip_prefix('~') {
                        Some(rid) => (true, rid),
                        None => (false, id),
                    };
                    is_rid_id(rid).then(|| SimulcastStream {
                        rid: rid.to_owned(),
                        paused,
                    })
                })
                .collect()
        })
        .collect()
}

fn write_list(out: &mut String, list: &[Vec<SimulcastStream>]) {
    for (i, alternatives) in list.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        for (j, s) in alternatives.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            if s.paused {
                out.push('~');
            }
            out.push_str(&s.rid);
        }
    }
}

impl AttributeValue for Simulcast {
    const NAME: &'static str = "simulcast";

    fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
        const RULE: &str = "expected send <streams> and/or recv <streams> (RFC 8853 §5.1)";
        let err = || AttributeError::new(Self::NAME, RULE);
        let v = required(Self::NAME, value, RULE)?;
        let f: Vec<&str> = v.split(' ').collect();
        let mut sc = Simulcast {
            send: Vec::new(),
            recv: Vec::new(),
            recv_first: f.first() == Some(&"recv"),
        };
        if !matches!(f.len(), 2 | 4) {
            return Err(err());
        }
        for pair in f.chunks(2) {
            let list = stream_list(pair[1]).ok_or_else(err)?;
            let slot = match pair[0] {
                "send" => &mut sc.send,
                "recv" => &mut sc.recv,
                _ => return Err(err()),
            };
            if !slot.is_empty() {
                return Err(err());
            }
            *slot = list;
        }
        Ok(sc)
    }

    fn to_value(&self) -> Option<String> {
        let mut out = String::new();
        let mut dirs = [("send", &self.send), ("recv", &self.recv)];
        if self.recv_first {
            dirs.reverse();
        }
        for (name, list) in dirs {
            if list.is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(name);
            out.push(' ');
            write_list(&mut out, list);
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rids_with_payload_types_and_restrictions() {
        let r = Rid::parse_value(Some("h send pt=96,97;max-width=1280;max-height=720")).unwrap();
        assert_eq!(r.id, "h");
        assert_eq!(r.direction, RidDirection::Send);
        assert_eq!(r.payload_types, ["96", "97"]);
        assert_eq!(r.restriction("max-height"), Some("720"));
        assert_eq!(
            r.to_value().as_deref(),
            Some("h send pt=96,97;max-width=1280;max-height=720")
        );
        assert_eq!(
            Rid::parse_value(Some("q recv"))
                .unwrap()
                .to_value()
                .as_deref(),
            Some("q recv")
        );
        for bad in [
            "h",
            "h both",
            "h send ",
            "h.1 send",
            "h send pt",
            "h send a b",
        ] {
            assert!(Rid::parse_value(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn simulcast_lists_alternatives_and_pauses() {
        let s = Simulcast::parse_value(Some("send q;h;f")).unwrap();
        assert_eq!(s.send.len(), 3);
        assert!(s.recv.is_empty());
        let v = "recv 1;~2,3 send 4";
        let s = Simulcast::parse_value(Some(v)).unwrap();
        assert!(s.recv_first);
        assert!(s.recv[1][0].paused && !s.recv[1][1].paused);
        assert_eq!(s.to_value().as_deref(), Some(v));
        for bad in [
            "send",
            "send q recv",
            "send q send h",
            "both q",
            "send q;;h",
            "send ~",
        ] {
            assert!(Simulcast::parse_value(Some(bad)).is_err(), "{bad}");
        }
    }
}
