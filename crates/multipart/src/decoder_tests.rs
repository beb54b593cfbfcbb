//! Unit tests of the decoder's internals.

use super::*;

#[test]
fn bodies_and_header_values_share_the_input() {
    let input = b"--b\r\nContent-Type: image/jpeg\r\nContent-Length: 4\r\n\r\nabcd\r\n--b\r\n\r\nefgh\r\n--b--";
    let mut src = BytesMut::from(&input[..]);
    let range = src.as_ptr() as usize..src.as_ptr() as usize + src.len();
    let mut decoder = Decoder::new(Boundary::new("b").unwrap());
    for _ in 0..2 {
        let Some(Item::Part(part)) = decoder.decode(&mut src).unwrap() else {
            panic!("a part")
        };
        assert!(range.contains(&(part.body.as_ptr() as usize)));
        for value in part.headers.values() {
            assert!(range.contains(&(value.as_bytes().as_ptr() as usize)));
        }
    }
    assert_eq!(decoder.decode(&mut src).unwrap(), Some(Item::End));
    assert!(decoder.is_done());
}

#[test]
fn errors_are_final() {
    let mut decoder = Decoder::new(Boundary::new("b").unwrap());
    let mut src = BytesMut::from(&b"--bx"[..]);
    let error = decoder.decode(&mut src).unwrap_err();
    let mut more = BytesMut::from(&b"\r\n--b--"[..]);
    assert_eq!(decoder.decode(&mut more), Err(error.clone()));
    assert_eq!(decoder.decode_eof(&mut more), Err(error));
}

#[test]
fn epilogue_is_consumed() {
    let mut decoder = Decoder::new(Boundary::new("b").unwrap());
    let mut src = BytesMut::from(&b"--b--\r\nepilogue"[..]);
    assert_eq!(decoder.decode(&mut src).unwrap(), Some(Item::End));
    src.extend_from_slice(b" more");
    assert_eq!(decoder.decode_eof(&mut src).unwrap(), None);
    assert!(src.is_empty());
}

#[test]
fn content_length_values() {
    let map = |v: &[&str]| {
        let mut h = HeaderMap::new();
        for v in v {
            h.append(CONTENT_LENGTH, HeaderValue::from_str(v).unwrap());
        }
        content_length(&h)
    };
    assert_eq!(map(&[]), Ok(None));
    assert_eq!(map(&["12"]), Ok(Some(12)));
    assert_eq!(map(&["12", "12"]), Ok(Some(12)));
    assert_eq!(map(&["12", "13"]), Err(Error::InvalidContentLength));
    assert_eq!(
        map(&["99999999999999999999"]),
        Err(Error::InvalidContentLength)
    );
}

#[test]
fn unbounded_limits_allocate_by_the_input() {
    // Found by the fuzz target: header slots were sized by the limits.
    let limits = crate::Limits::default()
        .max_headers(usize::MAX)
        .max_header_bytes(usize::MAX);
    let config = Config::default().limits(limits);
    let mut decoder = Decoder::with_config(Boundary::new("b").unwrap(), config);
    let mut src = BytesMut::from(&b"--b\r\nA: 1\r\n\r\nx\r\n--b--"[..]);
    let Some(Item::Part(part)) = decoder.decode(&mut src).unwrap() else {
        panic!("a part")
    };
    assert_eq!(part.headers["a"], "1");
}
