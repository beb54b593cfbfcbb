//! Fuzz target for rtw-stun's ChannelData messages (RFC 8656 §12.4) and
//! stream framing (`frame_len`, RFC 8656 §12.5).
//!
//! The whole input is the bytes received: one datagram, or the start of a
//! stream.
//!
//! Properties checked for every input; a panic is a bug in rtw-stun:
//!
//! 1. [`ChannelData::parse`] never panics for any [`Transport`]; what it
//!    accepts has a channel number in [`CHANNEL_NUMBERS`], its data is the
//!    bytes after the 4-byte header, and it uses the whole datagram (UDP,
//!    DTLS) or the message with its padding (TCP, TLS).
//! 2. Re-encoded for each transport (and padded or not with
//!    `encode_with_padding`), a parsed message has the announced
//!    `encoded_len` and parses again to the same channel and data.
//! 3. [`frame_len`] never panics, and agrees with `parse` on streams: a
//!    ChannelData message parsed over TCP has the frame length `parse`
//!    used; a STUN frame length is 20 plus a multiple of 4. `parse`
//!    answers `Ok(None)` (need more) only when the frame is not whole.
//! 4. The stream [`Decoder`] cuts exactly the frame `frame_len` measures,
//!    and waits when it is not whole.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rtw_stun::{
    CHANNEL_DATA_HEADER_LEN, CHANNEL_NUMBERS, ChannelData, Decoder, Transport, frame_len,
    message_len,
};

const TRANSPORTS: [Transport; 4] = [
    Transport::Udp,
    Transport::Dtls,
    Transport::Tcp,
    Transport::Tls,
];

fuzz_target!(|input: &[u8]| {
    let frame = frame_len(input);
    match frame {
        Ok(Some(len)) => {
            assert!(input.len() >= 4, "frame length from fewer than 4 bytes");
            if input[0] < 0x40 {
                assert!((len - 20) % 4 == 0, "STUN frame of {len} bytes");
                assert_eq!(message_len(input), Some(len));
            } else {
                assert!(len % 4 == 0, "ChannelData frame of {len} bytes");
            }
            assert!(len <= 65_555);
        }
        Ok(None) => assert!(
            input.len() < 4,
            "no frame length from {} bytes",
            input.len()
        ),
        Err(_) => {}
    }

    // 4. The stream decoder.
    let mut stream = BytesMut::from(input);
    match Decoder::default().decode(&mut stream) {
        Ok(Some(_)) => assert_eq!(frame, Ok(Some(input.len() - stream.len())), "decoder cut"),
        Ok(None) => {
            assert!(
                matches!(frame, Ok(None)) || matches!(frame, Ok(Some(len)) if len > input.len()),
                "decoder waits on {frame:?} with {} bytes",
                input.len()
            );
            assert_eq!(stream.len(), input.len(), "nothing consumed while waiting");
        }
        Err(_) => {}
    }

    for transport in TRANSPORTS {
        let (msg, used) = match ChannelData::parse(input, transport) {
            Ok(Some(parsed)) => parsed,
            // Too short: never when a whole frame is there.
            Ok(None) => {
                if let Ok(Some(len)) = frame {
                    assert!(
                        input.len() < len,
                        "Ok(None) with a whole {len}-byte frame of {} bytes",
                        input.len()
                    );
                }
                continue;
            }
            Err(_) => continue,
        };
        // 1. Shape.
        assert!(CHANNEL_NUMBERS.contains(&msg.channel()));
        assert_eq!(
            u16::from_be_bytes([input[0], input[1]]),
            msg.channel(),
            "channel"
        );
        let data_len = usize::from(u16::from_be_bytes([input[2], input[3]]));
        assert_eq!(msg.data(), &input[CHANNEL_DATA_HEADER_LEN..][..data_len]);
        if transport.is_reliable() {
            assert_eq!(used, (CHANNEL_DATA_HEADER_LEN + data_len).div_ceil(4) * 4);
            // 3. Framing agrees.
            assert_eq!(frame, Ok(Some(used)), "frame_len and parse disagree");
        } else {
            assert_eq!(used, input.len(), "a datagram is one message");
        }
        assert!(used <= input.len());
        assert_eq!(
            msg.encoded_len(transport),
            if transport.is_reliable() {
                used
            } else {
                CHANNEL_DATA_HEADER_LEN + data_len
            }
        );

        // 2. Re-encode for every transport, and with explicit padding.
        for out in TRANSPORTS {
            let mut buf = BytesMut::new();
            msg.encode(out, &mut buf);
            assert_eq!(buf.len(), msg.encoded_len(out), "encoded_len for {out:?}");
            check_reparse(&msg, &buf, out);
            assert_eq!(frame_len(&buf), Ok(Some(msg.encoded_len(Transport::Tcp))));
        }
        for pad in [false, true] {
            let mut buf = BytesMut::new();
            msg.encode_with_padding(pad, &mut buf);
            check_reparse(&msg, &buf, Transport::Udp);
            if pad {
                check_reparse(&msg, &buf, Transport::Tcp);
            }
        }
        // Built afresh from its parts.
        let fresh = ChannelData::new(msg.channel(), msg.data()).expect("parsed parts are valid");
        assert_eq!(fresh, msg);
    }
});

fn check_reparse(msg: &ChannelData<'_>, buf: &[u8], transport: Transport) {
    let (again, used) = ChannelData::parse(buf, transport)
        .unwrap_or_else(|e| panic!("re-encoded ChannelData for {transport:?}: {e:?}"))
        .unwrap_or_else(|| panic!("re-encoded ChannelData for {transport:?} is whole"));
    assert_eq!(used, buf.len());
    assert_eq!(again.channel(), msg.channel());
    assert_eq!(again.data(), msg.data());
}
