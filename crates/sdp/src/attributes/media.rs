//! Media-level attributes of RFC 8866 §6: direction, packet times, frame
//! rate.

use super::syntax::{positive_real, required};
use super::{AttributeError, AttributeValue};

/// The media direction attributes `sendrecv`, `sendonly`, `recvonly`,
/// `inactive` (RFC 8866 §6.7); `sendrecv` is the default when none is
/// given (§6.7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `a=sendrecv`.
    SendRecv,
    /// `a=sendonly`.
    SendOnly,
    /// `a=recvonly`.
    RecvOnly,
    /// `a=inactive`.
    Inactive,
}

impl Direction {
    /// Every direction attribute name.
    pub const NAMES: [&'static str; 4] = ["sendrecv", "sendonly", "recvonly", "inactive"];

    /// The direction an attribute name stands for.
    pub fn from_name(name: &str) -> Option<Direction> {
        Some(match name {
            "sendrecv" => Direction::SendRecv,
            "sendonly" => Direction::SendOnly,
            "recvonly" => Direction::RecvOnly,
            "inactive" => Direction::Inactive,
            _ => return None,
        })
    }

    /// The attribute name.
    pub fn name(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction the other side answers with (RFC 3264 §6.1):
    /// sendonly ↔ recvonly, the others unchanged.
    pub fn reverse(self) -> Direction {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            d => d,
        }
    }

    /// Whether this side sends.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether this side receives.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }
}

macro_rules! positive_number {
    ($(#[$doc:meta])* $ty:ident = $name:literal, $rule:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq)]
        pub struct $ty(pub f64);

        impl AttributeValue for $ty {
            const NAME: &'static str = $name;

            fn parse_value(value: Option<&str>) -> Result<Self, AttributeError> {
                let v = required(Self::NAME, value, $rule)?;
                positive_real(v, Self::NAME, $rule).map($ty)
            }

            /// The shortest decimal that reads back as the same number, so
            /// `20` and `29.97` write as they were read.
            fn to_value(&self) -> Option<String> {
                Some(self.0.to_string())
            }
        }
    };
}

positive_number!(
    /// `a=ptime:<packet time>`: milliseconds of media in a packet (RFC 8866
    /// §6.4).
    Ptime = "ptime",
    "expected a positive number of milliseconds (RFC 8866 §6.4)"
);
positive_number!(
    /// `a=maxptime:<maximum packet time>`: the most milliseconds of media
    /// in a packet (RFC 8866 §6.5).
    MaxPtime = "maxptime",
    "expected a positive number of milliseconds (RFC 8866 §6.5)"
);
positive_number!(
    /// `a=framerate:<frame rate>`: the maximum video frame rate in frames
    /// per second (RFC 8866 §6.8).
    Framerate = "framerate",
    "expected a positive number of frames per second (RFC 8866 §6.8)"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_name_and_reverse() {
        for name in Direction::NAMES {
            let d = Direction::from_name(name).unwrap();
            assert_eq!(d.name(), name);
            assert_eq!(d.reverse().reverse(), d);
        }
        assert_eq!(Direction::SendOnly.reverse(), Direction::RecvOnly);
        assert!(Direction::SendRecv.sends() && Direction::SendRecv.receives());
        assert!(!Direction::Inactive.sends() && !Direction::Inactive.receives());
        assert_eq!(Direction::from_name("SENDRECV"), None);
    }

    #[test]
    fn packet_times_and_frame_rates() {
        assert_eq!(Ptime::parse_value(Some("20")), Ok(Ptime(20.0)));
        assert_eq!(Ptime(20.0).to_value().as_deref(), Some("20"));
        assert_eq!(Framerate::parse_value(Some("29.97")), Ok(Framerate(29.97)));
        assert_eq!(Framerate(29.97).to_value().as_deref(), Some("29.97"));
        assert_eq!(MaxPtime::parse_value(Some("120")), Ok(MaxPtime(120.0)));
        assert!(Ptime::parse_value(Some("0")).is_err());
        assert!(Ptime::parse_value(None).is_err());
        assert!(Framerate::parse_value(Some("30fps")).is_err());
    }
}
