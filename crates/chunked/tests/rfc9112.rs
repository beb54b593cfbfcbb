//! RFC 9112 §7.1: every production of the chunked-body grammar, and the
//! decoding algorithm of §7.1.3 as a reference the decoder must agree with.

mod common;

use bytes::{Bytes, BytesMut};
use common::{decode_bytewise, decode_whole};
use rtw_chunked::{ChunkHeader, Config, Decoder, ExtensionValue, Frame};

/// The pseudo-code of RFC 9112 §7.1.3, written out for well-formed input:
///
/// ```text
/// length := 0
/// read chunk-size, chunk-ext (if any), and CRLF
/// while (chunk-size > 0) {
///    read chunk-data and CRLF
///    append chunk-data to content
///    length := length + chunk-size
///    read chunk-size, chunk-ext (if any), and CRLF
/// }
/// read trailer field
/// while (trailer field is not empty) { ... read trailer field }
/// ```
///
/// Returns the content and the trailer field lines.
fn rfc_reference_decode(mut input: &[u8]) -> (Vec<u8>, Vec<String>) {
    fn read_line<'a>(input: &mut &'a [u8]) -> &'a [u8] {
        let end = input.windows(2).position(|w| w == b"\r\n").expect("CRLF");
        let line = &input[..end];
        *input = &input[end + 2..];
        line
    }
    fn chunk_size(line: &[u8]) -> usize {
        let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        usize::from_str_radix(std::str::from_utf8(&line[..digits]).unwrap(), 16).unwrap()
    }
    let mut content = Vec::new();
    let mut length = 0;
    let mut size = chunk_size(read_line(&mut input));
    while size > 0 {
        content.extend_from_slice(&input[..size]);
        input = &input[size..];
        assert_eq!(read_line(&mut input), b"");
        length += size;
        size = chunk_size(read_line(&mut input));
    }
    let mut trailers = Vec::new();
    loop {
        let field = read_line(&mut input);
        if field.is_empty() {
            break;
        }
        trailers.push(String::from_utf8(field.to_vec()).unwrap());
    }
    assert_eq!(length, content.len());
    (content, trailers)
}

/// Well-formed bodies covering each production: last-chunk as `1*("0")`,
/// upper and lower case HEXDIG, leading zeros, BWS around `;` and `=`,
/// token and quoted-string values with quoted-pairs and obs-text, trailers.
const VALID: &[&[u8]] = &[
    b"0\r\n\r\n",
    b"000\r\n\r\n",
    b"5\r\nhello\r\n0\r\n\r\n",
    b"4\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n\r\n",
    b"A\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n",
    b"0005\r\nhello\r\n0000\r\n\r\n",
    b"5 ;a=b\r\nhello\r\n0\r\n\r\n",
    b"5\t;a\r\nhello\r\n0\r\n\r\n",
    b"5; a = b\r\nhello\r\n0\r\n\r\n",
    b"5 ; a = \"q\\\"x\" ; c\r\nhello\r\n0;last\r\n\r\n",
    b"5;a=\"\"\r\nhello\r\n0\r\n\r\n",
    b"5;a=\"caf\xe9 \\\xe9\"\r\nhello\r\n0\r\n\r\n",
    b"5;!#$%&'*+-.^_`|~09azAZ=!#$%&'*+-.^_`|~\r\nhello\r\n0\r\n\r\n",
    b"4\r\n\r\n\r\n\r\n0\r\n\r\n",
    b"0\r\nX-Checksum: abc\r\nServer-Timing: total;dur=12\r\n\r\n",
    b"0\r\nX-Empty:\r\nX-Spaces:   padded   \r\n\r\n",
    b"3\r\nabc\r\n0\r\nX-Dup: 1\r\nX-Dup: 2\r\n\r\n",
];

#[test]
fn valid_bodies_agree_with_the_rfc_algorithm() {
    let config = Config::default();
    for input in VALID {
        let (content, trailer_lines) = rfc_reference_decode(input);
        for out in [
            decode_whole(&config, input),
            decode_bytewise(&config, input),
        ] {
            let shown = String::from_utf8_lossy(input);
            assert_eq!(out.error, None, "{shown}");
            assert_eq!(out.payload(), content, "{shown}");
            assert_eq!(out.frames.last(), Some(&Frame::End), "{shown}");
            let trailers = out.frames.iter().find_map(|f| match f {
                Frame::Trailers(t) => Some(t.clone()),
                _ => None,
            });
            let count = trailers.as_ref().map_or(0, |t| t.len());
            assert_eq!(count, trailer_lines.len(), "{shown}");
            for line in &trailer_lines {
                let (name, value) = line.split_once(':').unwrap();
                let t = trailers.as_ref().unwrap();
                assert!(
                    t.get_all(name).iter().any(|v| v == value.trim()),
                    "{shown}: {line}"
                );
            }
        }
    }
}

#[test]
fn extensions_are_reported_in_order() {
    let config = Config::default().report_chunk_headers(true);
    let input = b"5 ; a = b ; c ; d=\"x\\\"y\"\r\nhello\r\n0;last\r\n\r\n";
    for out in [
        decode_whole(&config, input),
        decode_bytewise(&config, input),
    ] {
        let headers: Vec<&ChunkHeader> = out
            .frames
            .iter()
            .filter_map(|f| match f {
                Frame::Chunk(h) => Some(h),
                _ => None,
            })
            .collect();
        assert_eq!(headers.len(), 2);
        let first = headers[0];
        assert_eq!(first.size, 5);
        let names: Vec<&str> = first.extensions.iter().map(|e| e.name_str()).collect();
        assert_eq!(names, ["a", "c", "d"]);
        assert_eq!(
            first.extension("A").unwrap().value(),
            Some(&ExtensionValue::Token(Bytes::from_static(b"b")))
        );
        assert_eq!(first.extension("c").unwrap().value(), None);
        assert_eq!(
            first.extension("d").unwrap().value(),
            Some(&ExtensionValue::Quoted(Bytes::from_static(b"x\"y")))
        );
        assert_eq!(headers[1].size, 0);
        assert_eq!(headers[1].extensions[0].name(), b"last");
        assert_eq!(out.payload(), b"hello");
    }
}

#[test]
fn bytes_after_the_body_are_left_for_the_next_message() {
    let mut dec = Decoder::new();
    let mut buf = BytesMut::from(&b"2\r\nhi\r\n0\r\n\r\nGET / HTTP/1.1\r\n"[..]);
    assert_eq!(
        dec.decode(&mut buf).unwrap(),
        Some(Frame::Data(Bytes::from_static(b"hi")))
    );
    assert_eq!(dec.decode(&mut buf).unwrap(), Some(Frame::End));
    assert_eq!(dec.decode(&mut buf).unwrap(), None);
    assert_eq!(dec.decode_eof(&mut buf).unwrap(), None);
    assert_eq!(&buf[..], b"GET / HTTP/1.1\r\n");
    assert!(dec.is_done());
    assert_eq!(dec.body_len(), 2);
}

#[test]
fn data_is_split_off_without_copying() {
    let mut dec = Decoder::new();
    let mut buf = BytesMut::from(&b"5\r\nhello\r\n0\r\n\r\n"[..]);
    let base = buf.as_ptr() as usize;
    match dec.decode(&mut buf).unwrap() {
        Some(Frame::Data(d)) => assert_eq!(d.as_ptr() as usize, base + 3),
        other => panic!("expected data, got {other:?}"),
    }
}

#[test]
fn a_chunk_arriving_in_pieces_is_yielded_as_it_comes() {
    let mut dec = Decoder::new();
    let mut buf = BytesMut::from(&b"a\r\n01234"[..]);
    assert_eq!(
        dec.decode(&mut buf).unwrap(),
        Some(Frame::Data(Bytes::from_static(b"01234")))
    );
    assert_eq!(dec.decode(&mut buf).unwrap(), None);
    buf.extend_from_slice(b"56789\r\n0\r\n\r\n");
    assert_eq!(
        dec.decode(&mut buf).unwrap(),
        Some(Frame::Data(Bytes::from_static(b"56789")))
    );
    assert_eq!(dec.decode(&mut buf).unwrap(), Some(Frame::End));
}

#[test]
fn discarded_trailers_are_named() {
    let config = Config::default().trailer_policy(rtw_chunked::TrailerPolicy::Discard);
    let mut dec = Decoder::with_config(config);
    let mut buf = BytesMut::from(&b"0\r\nContent-Length: 9\r\nX-Sum: 1\r\n\r\n"[..]);
    match dec.decode(&mut buf).unwrap() {
        Some(Frame::Trailers(t)) => {
            assert_eq!(t.len(), 1);
            assert_eq!(t["x-sum"], "1");
        }
        other => panic!("expected trailers, got {other:?}"),
    }
    assert_eq!(dec.discarded_trailers(), ["content-length"]);
    // Only prohibited trailers: nothing is reported, the body still ends.
    let mut dec = Decoder::with_config(dec.config().clone());
    let mut buf = BytesMut::from(&b"0\r\nHost: x\r\n\r\n"[..]);
    assert_eq!(dec.decode(&mut buf).unwrap(), Some(Frame::End));
}
