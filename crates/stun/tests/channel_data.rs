//! ChannelData (RFC 8656 §12.4 to §12.6) and stream framing of STUN and
//! ChannelData, including the padding mistakes peers have made.

use bytes::BytesMut;
use proptest::prelude::*;
use rtw_stun::{
    CHANNEL_NUMBERS, ChannelData, Class, Decoder, Error, Frame as DecodedFrame, MessageBuilder,
    MessageType, Method, PacketKind, TransactionId, Transport, demux, frame_len,
};

const ALL: [Transport; 4] = [
    Transport::Udp,
    Transport::Dtls,
    Transport::Tcp,
    Transport::Tls,
];

fn encode(channel: u16, data: &[u8], transport: Transport) -> BytesMut {
    let mut b = BytesMut::new();
    ChannelData::new(channel, data)
        .unwrap()
        .encode(transport, &mut b);
    b
}

#[test]
fn round_trips_on_every_transport_and_padding_length() {
    for transport in ALL {
        for len in 0..=9usize {
            let data: Vec<u8> = (0..len as u8).map(|i| i + 1).collect();
            let wire = encode(0x4abc, &data, transport);
            let want_len = if transport.is_reliable() {
                (4 + len).next_multiple_of(4)
            } else {
                4 + len
            };
            assert_eq!(wire.len(), want_len, "{transport:?} {len}");
            assert_eq!(
                &wire[2..4],
                &(len as u16).to_be_bytes(),
                "length excludes padding"
            );
            let (msg, used) = ChannelData::parse(&wire, transport).unwrap().unwrap();
            assert_eq!(
                (msg.channel(), msg.data(), used),
                (0x4abc, &data[..], wire.len())
            );
        }
    }
}

#[test]
fn udp_accepts_padding_or_none_and_data_never_includes_it() {
    // ice4j once required the datagram to be exactly 4 + length, dropping
    // padded ones; turn-rs once took the rest of the buffer as data.
    let unpadded = b"\x40\x00\x00\x05hello";
    let padded = b"\x40\x00\x00\x05hello\x00\x00\x00";
    for (wire, transport) in [
        (&unpadded[..], Transport::Udp),
        (&padded[..], Transport::Udp),
        (&unpadded[..], Transport::Dtls),
        (&padded[..], Transport::Dtls),
    ] {
        let (msg, used) = ChannelData::parse(wire, transport).unwrap().unwrap();
        assert_eq!(msg.data(), b"hello");
        assert_eq!(used, wire.len(), "a datagram is consumed whole");
    }
    let mut b = BytesMut::new();
    ChannelData::new(0x4000, b"hello")
        .unwrap()
        .encode_with_padding(true, &mut b);
    assert_eq!(&b[..], padded, "UDP may pad on request");
}

#[test]
fn streams_require_and_consume_the_padding() {
    // 5 bytes of data: the padding is required before the next message.
    let wire = b"\x40\x01\x00\x05hello\x00\x00";
    assert_eq!(ChannelData::parse(wire, Transport::Tcp), Ok(None));
    let wire = b"\x40\x01\x00\x05hello\x00\x00\x00\x40\x02\x00\x00";
    let (msg, used) = ChannelData::parse(wire, Transport::Tls).unwrap().unwrap();
    assert_eq!((msg.data(), used), (&b"hello"[..], 12));
    let (next, used) = ChannelData::parse(&wire[12..], Transport::Tls)
        .unwrap()
        .unwrap();
    assert_eq!((next.channel(), next.data(), used), (0x4002, &b""[..], 4));
}

#[test]
fn padding_is_zeros_even_in_a_reused_buffer() {
    // coturn once sent stale buffer bytes as padding.
    let mut b = BytesMut::with_capacity(64);
    b.extend_from_slice(&[0xAA; 64]);
    b.clear();
    ChannelData::new(0x4000, b"x")
        .unwrap()
        .encode(Transport::Tcp, &mut b);
    assert_eq!(&b[..], b"\x40\x00\x00\x01x\x00\x00\x00");
}

#[test]
fn channel_numbers_outside_the_range_are_refused() {
    for channel in [0x0000u16, 0x3FFF, 0x5000, 0x7FFF, 0x8000, 0xFFFF] {
        let mut wire = channel.to_be_bytes().to_vec();
        wire.extend_from_slice(&[0, 0]);
        for transport in ALL {
            assert!(
                matches!(
                    ChannelData::parse(&wire, transport),
                    Err(Error::InvalidChannelData(_))
                ),
                "{channel:#06x}"
            );
        }
        assert_eq!(
            ChannelData::new(channel, b""),
            Err(Error::InvalidChannelNumber(channel))
        );
    }
    for channel in [*CHANNEL_NUMBERS.start(), *CHANNEL_NUMBERS.end()] {
        let wire = encode(channel, b"", Transport::Udp);
        assert_eq!(
            ChannelData::parse(&wire, Transport::Udp)
                .unwrap()
                .unwrap()
                .0
                .channel(),
            channel
        );
        assert_eq!(demux(&wire), PacketKind::ChannelData);
    }
}

#[test]
fn length_must_fit_in_what_arrived() {
    // RFC 8656 §12.6: a datagram shorter than 4 + length is discarded;
    // on a stream, more bytes are needed. Either way: Ok(None).
    let wire = b"\x40\x00\x00\x08abcd";
    for transport in ALL {
        assert_eq!(ChannelData::parse(wire, transport), Ok(None));
    }
    assert_eq!(
        ChannelData::parse(b"\x40\x00\x00", Transport::Udp),
        Ok(None)
    );
    assert_eq!(ChannelData::parse(b"", Transport::Udp), Ok(None));
    // The first byte alone is enough to refuse a channel outside the range.
    assert!(matches!(
        ChannelData::parse(b"\x50", Transport::Tcp),
        Err(Error::InvalidChannelData(_))
    ));
}

#[test]
fn data_length_limit() {
    let big = vec![7u8; 65_536];
    assert_eq!(
        ChannelData::new(0x4000, &big),
        Err(Error::ChannelDataTooLong(65_536))
    );
    let wire = encode(0x4000, &big[..65_535], Transport::Tcp);
    assert_eq!(wire.len(), 4 + 65_536);
    assert_eq!(frame_len(&wire), Ok(Some(wire.len())));
    let (msg, used) = ChannelData::parse(&wire, Transport::Tcp).unwrap().unwrap();
    assert_eq!((msg.data().len(), used), (65_535, wire.len()));
}

#[test]
fn frame_len_rules() {
    assert_eq!(frame_len(b""), Ok(None));
    assert_eq!(frame_len(b"\x00\x01\x00"), Ok(None));
    assert_eq!(frame_len(b"\x00\x01\x00\x00"), Ok(Some(20)));
    assert_eq!(
        frame_len(b"\x00\x01\x00\x02"),
        Err(Error::UnalignedLength(2))
    );
    assert_eq!(frame_len(b"\x40\x00\x00\x00"), Ok(Some(4)));
    assert_eq!(frame_len(b"\x4f\xff\x00\x01"), Ok(Some(8)));
    assert_eq!(frame_len(b"\x16\x03"), Err(Error::UnknownFrame(0x16)));
    assert_eq!(frame_len(b"\x80"), Err(Error::UnknownFrame(0x80)));
    assert_eq!(
        frame_len(b"\x50\x00\x00\x00"),
        Err(Error::UnknownFrame(0x50))
    );
}

/// One frame of a test stream.
#[derive(Debug, Clone, PartialEq)]
enum Frame {
    Stun(Vec<u8>),
    Channel(u16, Vec<u8>),
}

fn encode_frames(frames: &[Frame]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for f in frames {
        match f {
            Frame::Stun(software) => {
                let mut b = MessageBuilder::new(
                    MessageType::new(Method::BINDING, Class::Indication),
                    TransactionId([3; 12]),
                );
                b.add_raw(rtw_stun::AttributeType::SOFTWARE, software)
                    .unwrap();
                out.extend_from_slice(&b.finish());
            }
            Frame::Channel(channel, data) => ChannelData::new(*channel, data)
                .unwrap()
                .encode(Transport::Tcp, &mut out),
        }
    }
    out.to_vec()
}

/// Frame a stream that arrives in `chunks` the way a TCP reader would.
fn read_frames(chunks: &[&[u8]]) -> Vec<Frame> {
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while let Some(len) = frame_len(&buf).unwrap() {
            if buf.len() < len {
                break;
            }
            let frame = buf.split_to(len);
            if demux(&frame) == PacketKind::Stun {
                let msg = rtw_stun::Message::parse(&frame).unwrap();
                let software = msg.raw(rtw_stun::AttributeType::SOFTWARE).unwrap();
                frames.push(Frame::Stun(software.value.to_vec()));
            } else {
                let (cd, used) = ChannelData::parse(&frame, Transport::Tcp).unwrap().unwrap();
                assert_eq!(used, len);
                frames.push(Frame::Channel(cd.channel(), cd.data().to_vec()));
            }
        }
    }
    assert!(buf.is_empty(), "bytes left over");
    frames
}

/// The same with the stream [`Decoder`], ending with `decode_eof`.
fn decode_frames(chunks: &[&[u8]]) -> Vec<Frame> {
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    let mut decoder = Decoder::default();
    let take = |frame| match frame {
        DecodedFrame::Stun(bytes) => {
            let msg = rtw_stun::Message::parse(&bytes).unwrap();
            let software = msg.raw(rtw_stun::AttributeType::SOFTWARE).unwrap();
            Frame::Stun(software.value.to_vec())
        }
        DecodedFrame::ChannelData { channel, data } => Frame::Channel(channel, data.to_vec()),
        other => panic!("unexpected {other:?}"),
    };
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while let Some(frame) = decoder.decode(&mut buf).unwrap() {
            frames.push(take(frame));
        }
    }
    while let Some(frame) = decoder.decode_eof(&mut buf).unwrap() {
        frames.push(take(frame));
    }
    assert!(buf.is_empty(), "bytes left over");
    frames
}

fn frame_strategy() -> impl Strategy<Value = Frame> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..20).prop_map(Frame::Stun),
        (
            CHANNEL_NUMBERS,
            proptest::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(c, d)| Frame::Channel(c, d)),
    ]
}

proptest! {
    #[test]
    fn stream_framing_is_independent_of_splits(
        frames in proptest::collection::vec(frame_strategy(), 0..12),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..10),
    ) {
        let wire = encode_frames(&frames);
        // One shot.
        prop_assert_eq!(&read_frames(&[&wire]), &frames);
        prop_assert_eq!(&decode_frames(&[&wire]), &frames);
        // Byte by byte.
        let bytes: Vec<&[u8]> = wire.chunks(1).collect();
        prop_assert_eq!(&read_frames(&bytes), &frames);
        prop_assert_eq!(&decode_frames(&bytes), &frames);
        // Random splits.
        let mut at: Vec<usize> = cuts.iter().map(|i| i.index(wire.len() + 1)).collect();
        at.sort_unstable();
        let mut pieces = Vec::new();
        let mut from = 0;
        for to in at {
            pieces.push(&wire[from..to]);
            from = to;
        }
        pieces.push(&wire[from..]);
        prop_assert_eq!(&read_frames(&pieces), &frames);
        prop_assert_eq!(&decode_frames(&pieces), &frames);
    }

    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        for transport in ALL {
            if let Ok(Some((msg, used))) = ChannelData::parse(&bytes, transport) {
                prop_assert!(CHANNEL_NUMBERS.contains(&msg.channel()));
                prop_assert!(used <= bytes.len());
                prop_assert!(4 + msg.data().len() <= used);
            }
        }
        let _ = frame_len(&bytes);
    }
}
