//! The `heart-beat` header (STOMP 1.2 "Heart-beating").

use std::time::Duration;

use crate::Error;

/// One side's `heart-beat` header, `cx,cy` in milliseconds: how often it
/// can send heart-beats (`cx`), and how often it wants to receive them
/// (`cy`). Zero means "cannot" / "does not want" (STOMP 1.2
/// "Heart-beating").
///
/// ```
/// use std::time::Duration;
/// use rtw_stomp::HeartBeat;
///
/// let client = HeartBeat::parse("4000,10000").unwrap();
/// let server = HeartBeat::parse("5000,2000").unwrap();
/// // The client sends every max(4000, 2000) ms and expects the server
/// // every max(10000, 5000) ms.
/// assert_eq!(
///     HeartBeat::negotiate(client, server),
///     (Some(Duration::from_millis(4000)), Some(Duration::from_millis(10000)))
/// );
/// assert_eq!(client.header_value(), "4000,10000");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct HeartBeat {
    /// The smallest interval at which this side can send (`cx`).
    pub can_send: Duration,
    /// The interval at which this side wants to receive (`cy`).
    pub want_receive: Duration,
}

impl HeartBeat {
    /// No heart-beats either way (`0,0`, also what an absent header means).
    pub const NONE: HeartBeat = HeartBeat {
        can_send: Duration::ZERO,
        want_receive: Duration::ZERO,
    };

    /// Parses `cx,cy`: two decimal integers of milliseconds (blanks around
    /// each are tolerated).
    pub fn parse(value: &str) -> Result<Self, Error> {
        let (cx, cy) = value.split_once(',').ok_or(Error::InvalidHeartBeat)?;
        let ms = |s: &str| -> Result<Duration, Error> {
            let s = s.trim();
            if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::InvalidHeartBeat);
            }
            s.parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| Error::InvalidHeartBeat)
        };
        Ok(HeartBeat {
            can_send: ms(cx)?,
            want_receive: ms(cy)?,
        })
    }

    /// The header value, `cx,cy` in whole milliseconds.
    pub fn header_value(&self) -> String {
        format!(
            "{},{}",
            self.can_send.as_millis(),
            self.want_receive.as_millis()
        )
    }

    /// From our proposal and theirs: (how often we send, how often we
    /// expect to hear from them). Each is the larger of the sender's `cx`
    /// and the receiver's `cy`, or `None` when either is zero (STOMP 1.2
    /// "Heart-beating"). A side that expects heart-beats should allow some
    /// grace before declaring the peer dead (rtw's client and broker allow
    /// twice the interval).
    pub fn negotiate(ours: HeartBeat, theirs: HeartBeat) -> (Option<Duration>, Option<Duration>) {
        let pick = |send: Duration, receive: Duration| {
            (!send.is_zero() && !receive.is_zero()).then(|| send.max(receive))
        };
        (
            pick(ours.can_send, theirs.want_receive),
            pick(theirs.can_send, ours.want_receive),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::HeartBeat;
    use crate::Error;

    const fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn parse_takes_two_integers_of_milliseconds() {
        let hb = HeartBeat::parse(" 500 , 1000 ").unwrap();
        assert_eq!((hb.can_send, hb.want_receive), (ms(500), ms(1000)));
        assert_eq!(hb.header_value(), "500,1000");
        for bad in [
            "",
            "500",
            "a,1",
            "1,-1",
            "1,2,3",
            ",",
            "1,99999999999999999999",
        ] {
            assert_eq!(
                HeartBeat::parse(bad),
                Err(Error::InvalidHeartBeat),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn negotiate_takes_the_larger_of_cx_and_cy_and_none_for_a_zero() {
        let client = HeartBeat {
            can_send: ms(1000),
            want_receive: ms(3000),
        };
        let server = HeartBeat {
            can_send: ms(2000),
            want_receive: ms(500),
        };
        // The client sends every max(1000, 500); hears every max(2000, 3000).
        assert_eq!(
            HeartBeat::negotiate(client, server),
            (Some(ms(1000)), Some(ms(3000)))
        );
        assert_eq!(
            HeartBeat::negotiate(server, client),
            (Some(ms(3000)), Some(ms(1000)))
        );
        let mute = HeartBeat {
            can_send: Duration::ZERO,
            want_receive: ms(100),
        };
        assert_eq!(HeartBeat::negotiate(mute, server), (None, Some(ms(2000))));
        assert_eq!(HeartBeat::negotiate(client, HeartBeat::NONE), (None, None));
    }
}
