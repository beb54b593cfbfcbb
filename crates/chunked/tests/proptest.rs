//! Property tests: encode/decode round trip, and split invariance (one
//! piece, byte by byte and random splits give the same frames, also for
//! arbitrary and corrupted input).

mod common;

use bytes::Bytes;
use common::{Outcome, decode_bytewise, decode_split, decode_whole};
use http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;
use rtw_chunked::{ChunkExtension, ChunkHeader, Config, Encoder, Frame};

fn extension() -> impl Strategy<Value = ChunkExtension> {
    let name = "[a-zA-Z0-9!#$%&'*+.^_`|~-]{1,8}";
    prop_oneof![
        name.prop_map(|n| ChunkExtension::new(n).unwrap()),
        (name, "[a-z0-9]{1,8}").prop_map(|(n, v)| ChunkExtension::with_value(n, v).unwrap()),
        (
            name,
            proptest::collection::vec(prop_oneof![Just(b'\t'), 0x20u8..0x7f, 0x80u8..=0xff], 0..12)
        )
            .prop_map(|(n, v)| ChunkExtension::with_value(n, v).unwrap()),
    ]
}

fn chunk() -> impl Strategy<Value = Chunk> {
    (
        proptest::collection::vec(any::<u8>(), 1..300),
        proptest::collection::vec(extension(), 0..3),
    )
}

fn trailers() -> impl Strategy<Value = HeaderMap> {
    proptest::collection::vec(("x-[a-z]{1,10}", "[ -~]{0,20}"), 0..4).prop_map(|fields| {
        let mut map = HeaderMap::new();
        for (n, v) in fields {
            let v = v.trim();
            map.append(
                HeaderName::from_bytes(n.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    })
}

/// A chunk: its data and extensions.
type Chunk = (Vec<u8>, Vec<ChunkExtension>);

/// A body: chunks, last-chunk extensions, trailers.
type Body = (Vec<Chunk>, Vec<ChunkExtension>, HeaderMap);

fn body() -> impl Strategy<Value = Body> {
    (
        proptest::collection::vec(chunk(), 0..8),
        proptest::collection::vec(extension(), 0..2),
        trailers(),
    )
}

fn encode(chunks: &[Chunk], last: &[ChunkExtension], trailers: &HeaderMap) -> Vec<u8> {
    let mut enc = Encoder::new();
    let mut wire = bytes::BytesMut::new();
    for (data, ext) in chunks {
        enc.encode_chunk_with_extensions(Bytes::from(data.clone()), ext)
            .unwrap()
            .write_to(&mut wire);
    }
    wire.extend_from_slice(&enc.encode_last_with_extensions(last, trailers).unwrap());
    wire.to_vec()
}

fn reporting() -> Config {
    Config::default().report_chunk_headers(true)
}

/// Sorted cut points inside `len`.
fn cuts(len: usize, raw: &[usize]) -> Vec<usize> {
    let mut c: Vec<usize> = raw.iter().map(|r| r % (len + 1)).collect();
    c.sort_unstable();
    c
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn decode_of_encode_is_identity((chunks, last, trailers) in body(), raw in proptest::collection::vec(any::<usize>(), 0..16)) {
        let wire = encode(&chunks, &last, &trailers);
        let mut expected = Vec::new();
        for (data, ext) in &chunks {
            expected.push(Frame::Chunk(ChunkHeader::new(data.len() as u64, ext.clone())));
            expected.push(Frame::Data(Bytes::from(data.clone())));
        }
        expected.push(Frame::Chunk(ChunkHeader::new(0, last.clone())));
        if !trailers.is_empty() {
            expected.push(Frame::Trailers(trailers.clone()));
        }
        expected.push(Frame::End);
        let want = Outcome { frames: expected, rest: Vec::new(), error: None };
        prop_assert_eq!(&decode_whole(&reporting(), &wire), &want);
        prop_assert_eq!(&decode_bytewise(&reporting(), &wire), &want);
        prop_assert_eq!(&decode_split(&reporting(), &wire, &cuts(wire.len(), &raw)), &want);
    }

    #[test]
    fn arbitrary_input_is_split_invariant(input in proptest::collection::vec(any::<u8>(), 0..200), raw in proptest::collection::vec(any::<usize>(), 0..16)) {
        for config in [Config::default(), reporting()] {
            let whole = decode_whole(&config, &input);
            prop_assert_eq!(&decode_bytewise(&config, &input), &whole);
            prop_assert_eq!(&decode_split(&config, &input, &cuts(input.len(), &raw)), &whole);
        }
    }

    #[test]
    fn corrupted_bodies_are_split_invariant((chunks, last, trailers) in body(), at in any::<usize>(), byte in any::<u8>(), raw in proptest::collection::vec(any::<usize>(), 0..16)) {
        let mut wire = encode(&chunks, &last, &trailers);
        let at = at % wire.len();
        wire[at] = byte;
        for config in [Config::default(), reporting()] {
            let whole = decode_whole(&config, &wire);
            prop_assert_eq!(&decode_bytewise(&config, &wire), &whole);
            prop_assert_eq!(&decode_split(&config, &wire, &cuts(wire.len(), &raw)), &whole);
        }
    }
}
