//! Connection limits and options.

/// Limits and behaviour of a [`Connection`](crate::Connection).
///
/// Defaults, beside tungstenite's:
///
/// | setting | rtw default | tungstenite |
/// |---|---|---|
/// | `max_frame_size` | 16 MiB | 16 MiB |
/// | `max_message_size` | 64 MiB | 64 MiB |
/// | `max_write_buffer` | 16 MiB | unbounded |
/// | `fragment_size` | 1 MiB | none (one frame per message) |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Largest frame payload accepted; a larger frame fails the connection
    /// with 1009 as soon as its header arrives, before any of it is buffered.
    pub max_frame_size: u64,
    /// Largest message accepted, counted across fragments as their headers
    /// arrive; a larger message fails with 1009.
    pub max_message_size: u64,
    /// [`Connection::send`](crate::Connection::send) refuses new data
    /// while this many bytes wait in the outgoing buffer
    /// ([`Error::WriteBufferFull`](crate::Error::WriteBufferFull)). The buffer
    /// can thus hold at most this plus one message; automatic pongs and the
    /// close frame are exempt (each is bounded by 127 bytes).
    pub max_write_buffer: usize,
    /// Outgoing messages larger than this are sent as several fragments of
    /// at most this size (RFC 6455 §5.4); `None` sends each message as one
    /// frame.
    pub fragment_size: Option<usize>,
    /// Answer each ping with a pong automatically (RFC 6455 §5.5.2). When
    /// several pings arrive before the pong is written, only the most recent
    /// is answered, as §5.5.3 permits.
    pub auto_pong: bool,
    /// Deliver text and binary data as
    /// [`Event::Fragment`](crate::Event::Fragment)s as frames arrive instead
    /// of whole messages, for messages too large to hold.
    pub deliver_fragments: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_frame_size: 16 << 20,
            max_message_size: 64 << 20,
            max_write_buffer: 16 << 20,
            fragment_size: Some(1 << 20),
            auto_pong: true,
            deliver_fragments: false,
        }
    }
}
