//! The queue of events waiting for [`Connection::poll_event`](super::Connection::poll_event).

use std::collections::VecDeque;

use crate::Event;

/// Events in order. Most reads give one event that is taken at once, so
/// the first waits in a slot of its own and only later ones go through
/// the ring buffer.
#[derive(Debug, Default)]
pub(crate) struct Events {
    /// The oldest event, when `rest` is empty or holds only newer ones.
    first: Option<Event>,
    /// Events after `first`, in order.
    rest: VecDeque<Event>,
}

impl Events {
    /// Number of events waiting.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }

    /// Queue `event` after the others.
    #[inline]
    pub(crate) fn push_back(&mut self, event: Event) {
        if self.first.is_none() && self.rest.is_empty() {
            self.first = Some(event);
        } else {
            self.rest.push_back(event);
        }
    }

    /// The oldest event.
    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<Event> {
        match self.first.take() {
            Some(event) => Some(event),
            None => self.rest.pop_front(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Message;

    fn ping(n: u8) -> Event {
        Event::Message(Message::Ping(vec![n].into()))
    }

    #[test]
    fn events_come_out_in_the_order_they_went_in() {
        let mut events = Events::default();
        events.push_back(ping(1));
        events.push_back(ping(2));
        assert_eq!(events.pop_front(), Some(ping(1)));
        events.push_back(ping(3));
        assert_eq!(events.len(), 2);
        assert_eq!(events.pop_front(), Some(ping(2)));
        events.push_back(ping(4));
        assert_eq!(events.pop_front(), Some(ping(3)));
        assert_eq!(events.pop_front(), Some(ping(4)));
        assert_eq!(events.pop_front(), None);
        assert_eq!(events.len(), 0);
        events.push_back(ping(5));
        assert_eq!(events.pop_front(), Some(ping(5)));
    }
}
