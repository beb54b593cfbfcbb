//! Fuzz target for the rtw-ws sans-IO `Connection` (RFC 6455 §5-§7).
//!
//! Input layout: three control bytes, then the bytes the peer sends
//! (missing control bytes count as zero).
//!
//! - byte 0, options: bit 0 our role (server, client); bit 1
//!   `deliver_fragments`; bit 2 `auto_pong` off; bit 3 small frame,
//!   message and write buffer limits (from byte 2); bits 4-5 the split
//!   pattern of the incremental run; bit 6 we start the closing handshake
//!   before any input; bit 7 we send a text message and open a fragmented
//!   binary message before any input.
//! - byte 1: parameter of the split pattern, also the seed of the masking
//!   keys and which pieces run B reads with `handle_input_until_event`.
//! - byte 2: parameter of the small limits.
//!
//! Two runs over the same bytes: (A) one `handle_input` with everything,
//! then the events and the transmit drained once; (B) the bytes fed in
//! pieces, events and transmit drained after each piece, as a real driver
//! does, each piece read either with `handle_input` or with
//! `handle_input_until_event` until it returns `false` (draining after
//! every call). Properties checked; a panic is a bug in the connection:
//!
//! 1. Events are consistent: nothing after `Failed` or a received `Close`;
//!    `Failed` carries a peer fault with a close code; fragments only when
//!    asked for, in order (first, continuations, fin) and of one kind;
//!    whole messages only otherwise; text is UTF-8, also across fragments;
//!    messages within `max_message_size`, control payloads within 125
//!    bytes. `handle_input_until_event` returns `true` exactly when it
//!    queued events.
//! 2. The state agrees with the events: `Closed` after `Failed` or
//!    `Close`, `Closing` after our own close, else `Open`; sending fails
//!    with `Error::Closed` once not open. `transport()` is `Open` until
//!    the connection is closed, then `Shutdown` for a server (it closes
//!    TCP first) and `AwaitPeerClose` for a client (RFC 6455 §7.1.1).
//! 3. The bytes from `poll_transmit` are valid frames for the peer's role
//!    (they decode completely with the peer's `FrameDecoder`), and in run A
//!    they are exactly: what we sent ourselves; pongs; then the close
//!    frame, if any: ours, else the code of the failure
//!    (`Error::close_code`), else the echo of the peer's code.
//!    `buffered_amount` never under-counts what `poll_transmit` gives.
//! 4. Pongs (both runs): none when `auto_pong` is off or we were closing;
//!    else they echo received pings in order, every ping while the write
//!    buffer is under its limit (always, with the default limit), and
//!    unless the connection failed the last ping is answered (RFC 6455
//!    §5.5.3 lets a newer ping's pong replace an unsent one).
//! 5. A peer `Connection` fed the bytes of run A never fails, and sees the
//!    close frame with the same code.
//! 6. Split invariance: run B gives the same events and state as run A,
//!    and the same frames apart from pongs and masking keys.
#![no_main]

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use rtw_fuzz::cut_points;
use rtw_ws::frame::{FrameDecoder, OpCode};
use rtw_ws::{
    CloseCode, CloseFrame, Config, Connection, Error, Event, Message, MessageKind, Role,
    SeededRandom, State, Transport,
};

fuzz_target!(|input: &[u8]| {
    let (control, wire) = input.split_at(input.len().min(3));
    let [opts, split_param, limit_param] =
        std::array::from_fn(|i| control.get(i).copied().unwrap_or(0));
    let setup = Setup::new(opts, split_param, limit_param);

    // Run A: one shot.
    let mut conn = setup.connection();
    let mut a = Run::default();
    let mut buf = BytesMut::from(wire);
    conn.handle_input(Instant::now(), &mut buf);
    a.drain(&mut conn);
    // 1.
    rtw_fuzz::ws::check_events(&setup.config, &a.events, false);
    check_state(&setup, &a.events, &mut conn);
    let frames_a = setup.peer_frames(&a.output);
    check_output_a(&setup, &a.events, &frames_a);
    check_pongs(&setup, &a.events, &frames_a);
    check_peer(&setup, &a.output, &frames_a);

    // Run B: pieces.
    let mut conn = setup.connection();
    let mut b = Run::default();
    // What we sent before any input goes out first, as a driver would.
    b.drain(&mut conn);
    let mut buf = BytesMut::new();
    let mut fed = 0;
    for (i, cut) in cut_points(wire.len(), (opts >> 4) & 3, split_param)
        .into_iter()
        .enumerate()
    {
        buf.extend_from_slice(&wire[fed..cut]);
        fed = cut;
        if split_param.rotate_left(i as u32) & 1 == 0 {
            conn.handle_input(Instant::now(), &mut buf);
            b.drain(&mut conn);
        } else {
            loop {
                let queued = conn.handle_input_until_event(Instant::now(), &mut buf);
                let before = b.events.len();
                b.drain(&mut conn);
                assert_eq!(
                    queued,
                    b.events.len() > before,
                    "handle_input_until_event returned {queued}"
                );
                if !queued {
                    break;
                }
            }
        }
    }
    check_state(&setup, &b.events, &mut conn);
    assert_eq!(a.events, b.events, "one shot and pieces give other events");
    let frames_b = setup.peer_frames(&b.output);
    check_pongs(&setup, &b.events, &frames_b);
    let without_pongs = |frames: &[Sent]| -> Vec<Sent> {
        frames
            .iter()
            .filter(|f| f.opcode != OpCode::Pong)
            .cloned()
            .collect()
    };
    assert_eq!(
        without_pongs(&frames_a),
        without_pongs(&frames_b),
        "one shot and pieces send other frames"
    );
});

/// The connection under test and what we do with it before any input.
#[derive(Debug, Clone)]
struct Setup {
    role: Role,
    config: Config,
    seed: u64,
    close_first: bool,
    send_first: bool,
}

/// The close frame we send when `close_first` is set.
const OUR_CLOSE: CloseCode = CloseCode::GOING_AWAY;

impl Setup {
    fn new(opts: u8, split_param: u8, limit_param: u8) -> Self {
        let mut config = Config::default()
            .deliver_fragments(opts & 2 != 0)
            .auto_pong(opts & 4 == 0);
        if opts & 8 != 0 {
            // Frame limit 0 to 135, message limit 0 to 255: either can be
            // the smaller one.
            config.limits.max_frame_size = u64::from(limit_param & 0x0f) * 9;
            config.limits.max_message_size = u64::from(limit_param >> 4) * 17;
            // Room for what we send first, then a few pongs: past it,
            // pongs may be coalesced.
            config.limits.max_write_buffer = 40 + usize::from(limit_param & 0x3f);
        }
        Setup {
            role: if opts & 1 == 0 {
                Role::Server
            } else {
                Role::Client
            },
            config,
            seed: u64::from(split_param),
            close_first: opts & 0x40 != 0,
            send_first: opts & 0x80 != 0,
        }
    }

    fn peer_role(&self) -> Role {
        match self.role {
            Role::Server => Role::Client,
            Role::Client => Role::Server,
        }
    }

    /// A fresh connection, after the actions taken before any input.
    fn connection(&self) -> Connection {
        let mut conn =
            Connection::with_config(self.role, self.config.clone(), SeededRandom::new(self.seed));
        if self.send_first {
            conn.send(Message::text("h\u{e9}llo")).unwrap();
            conn.send_fragment(MessageKind::Binary, &b"abc"[..], false)
                .unwrap();
        }
        if self.close_first {
            conn.close(Some(CloseFrame::new(OUR_CLOSE, "bye"))).unwrap();
        }
        conn
    }

    /// The frames we send before any input, as the peer decodes them.
    fn first_frames(&self) -> Vec<Sent> {
        let mut frames = Vec::new();
        if self.send_first {
            frames.push(Sent::new(OpCode::Text, true, "h\u{e9}llo".as_bytes()));
            frames.push(Sent::new(OpCode::Binary, false, b"abc"));
        }
        if self.close_first {
            frames.push(Sent::close(Some(OUR_CLOSE), b"bye"));
        }
        frames
    }

    /// Decode everything we sent as the peer reads it: every byte must
    /// belong to a complete, valid frame.
    fn peer_frames(&self, output: &[u8]) -> Vec<Sent> {
        let mut decoder = FrameDecoder::new(self.peer_role(), u64::MAX);
        let mut buf = BytesMut::from(output);
        let mut frames = Vec::new();
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => {
                    assert_eq!(frame.header.rsv, 0, "RSV bits sent");
                    frames.push(Sent::new(
                        frame.header.opcode,
                        frame.header.fin,
                        &frame.payload,
                    ));
                }
                Ok(None) => break,
                Err(e) => panic!("sent an invalid frame: {e:?}"),
            }
        }
        assert!(
            buf.is_empty() && decoder.current().is_none(),
            "sent an incomplete frame"
        );
        frames
    }
}

/// A frame we sent, without its masking key (which depends on how many
/// keys were drawn before).
#[derive(Debug, Clone, PartialEq)]
struct Sent {
    opcode: OpCode,
    fin: bool,
    payload: Bytes,
}

impl Sent {
    fn new(opcode: OpCode, fin: bool, payload: &[u8]) -> Self {
        Sent {
            opcode,
            fin,
            payload: Bytes::copy_from_slice(payload),
        }
    }

    /// A close frame with `code` (none: an empty body) and `reason`.
    fn close(code: Option<CloseCode>, reason: &[u8]) -> Self {
        let mut payload = Vec::new();
        if let Some(code) = code {
            payload.extend_from_slice(&code.0.to_be_bytes());
            payload.extend_from_slice(reason);
        }
        Sent::new(OpCode::Close, true, &payload)
    }
}

/// What one run observed.
#[derive(Debug, Default)]
struct Run {
    events: Vec<Event>,
    output: Vec<u8>,
}

impl Run {
    fn drain(&mut self, conn: &mut Connection) {
        while let Some(event) = conn.poll_event() {
            self.events.push(event);
        }
        let promised = conn.buffered_amount();
        let before = self.output.len();
        while let Some(bytes) = conn.poll_transmit() {
            assert!(!bytes.is_empty(), "poll_transmit gave no bytes");
            self.output.extend_from_slice(&bytes);
        }
        assert!(
            self.output.len() - before <= promised,
            "buffered_amount {promised} under-counts {} bytes",
            self.output.len() - before
        );
        assert_eq!(conn.buffered_amount(), 0, "bytes left after poll_transmit");
    }
}

/// The event that ended the connection, if any.
fn terminal(events: &[Event]) -> Option<&Event> {
    events
        .last()
        .filter(|e| matches!(e, Event::Failed(_) | Event::Message(Message::Close(_))))
}

/// Property 2.
fn check_state(setup: &Setup, events: &[Event], conn: &mut Connection) {
    let expected = if terminal(events).is_some() {
        State::Closed
    } else if setup.close_first {
        State::Closing
    } else {
        State::Open
    };
    assert_eq!(conn.state(), expected, "state after {:?}", events.last());
    let transport = match (expected, setup.role) {
        (State::Closed, Role::Server) => Transport::Shutdown,
        (State::Closed, Role::Client) => Transport::AwaitPeerClose,
        _ => Transport::Open,
    };
    assert_eq!(conn.transport(), transport, "transport in {expected:?}");
    assert_eq!(
        conn.can_send(),
        expected == State::Open,
        "can_send in {expected:?}"
    );
    if expected != State::Open {
        assert_eq!(conn.send(Message::binary(&b"x"[..])), Err(Error::Closed));
        assert_eq!(conn.close(None), Err(Error::Closed));
        assert!(conn.poll_transmit().is_none(), "refused sends queued bytes");
    }
}

/// Property 3, for run A.
fn check_output_a(setup: &Setup, events: &[Event], frames: &[Sent]) {
    let first = setup.first_frames();
    assert!(
        frames.starts_with(&first),
        "frames sent before any input: {frames:?}"
    );
    let rest = &frames[first.len()..];
    let pongs = rest.iter().take_while(|f| f.opcode == OpCode::Pong).count();
    let mut expected_close = Vec::new();
    if !setup.close_first {
        match terminal(events) {
            Some(Event::Failed(e)) => expected_close.push(Sent::close(e.close_code(), b"")),
            Some(Event::Message(Message::Close(c))) => {
                expected_close.push(Sent::close(c.as_ref().map(|c| c.code), b""));
            }
            _ => {}
        }
    }
    assert_eq!(
        rest[pongs..],
        expected_close,
        "frames after the pongs, after {:?}",
        events.last()
    );
}

/// Property 4.
fn check_pongs(setup: &Setup, events: &[Event], frames: &[Sent]) {
    let pings: Vec<&Bytes> = events
        .iter()
        .filter_map(|e| match e {
            Event::Message(Message::Ping(p)) => Some(p),
            _ => None,
        })
        .collect();
    let pongs: Vec<&Bytes> = frames
        .iter()
        .filter(|f| f.opcode == OpCode::Pong)
        .map(|f| &f.payload)
        .collect();
    if !setup.config.auto_pong || setup.close_first {
        assert!(pongs.is_empty(), "pongs sent: {pongs:?}");
        return;
    }
    if setup.config.limits.max_write_buffer == Config::default().limits.max_write_buffer {
        assert_eq!(pongs, pings, "every ping answered in order");
        return;
    }
    let mut next_ping = 0;
    for pong in &pongs {
        let Some(found) = pings[next_ping..].iter().position(|p| p == pong) else {
            panic!("pong {pong:?} echoes no later ping of {pings:?}");
        };
        next_ping += found + 1;
    }
    let failed = matches!(terminal(events), Some(Event::Failed(_)));
    if !failed && let Some(last) = pings.last() {
        assert_eq!(pongs.last(), Some(last), "last ping not answered");
    }
}

/// Property 5: the peer accepts everything we sent.
fn check_peer(setup: &Setup, output: &[u8], frames: &[Sent]) {
    let mut peer = Connection::new(setup.peer_role(), SeededRandom::new(0));
    let mut buf = BytesMut::from(output);
    peer.handle_input(Instant::now(), &mut buf);
    let mut last = None;
    while let Some(event) = peer.poll_event() {
        assert!(
            !matches!(event, Event::Failed(_)),
            "the peer failed on what we sent: {event:?}"
        );
        last = Some(event);
    }
    if let Some(close) = frames.iter().find(|f| f.opcode == OpCode::Close) {
        let code = close
            .payload
            .get(..2)
            .map(|c| CloseCode(u16::from_be_bytes([c[0], c[1]])));
        match last {
            Some(Event::Message(Message::Close(c))) => {
                assert_eq!(c.map(|c| c.code), code, "close code the peer saw");
            }
            other => panic!("the peer saw {other:?} instead of our close frame"),
        }
    }
}
