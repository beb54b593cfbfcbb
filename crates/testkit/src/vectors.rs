//! Test vectors from the RFCs, written once for every test that needs
//! them, as the RFCs print them (binary ones as hex bytes separated by
//! white space; read them with [`hex`]).

/// The bytes of `text`: hex byte pairs separated by white space, as RFCs
/// print test vectors. Panics on anything else.
pub fn hex(text: &str) -> Vec<u8> {
    text.split_whitespace()
        .map(|pair| {
            u8::from_str_radix(pair, 16).unwrap_or_else(|_| panic!("not a hex byte: {pair:?}"))
        })
        .collect()
}

/// RFC 5769 "Test Vectors for Session Traversal Utilities for NAT
/// (STUN)", §2: the four sample messages verbatim and their credentials.
pub mod rfc5769 {
    /// §2.1 Sample Request (short-term credentials): SOFTWARE, PRIORITY,
    /// ICE-CONTROLLED, USERNAME `evtj:h6vY`, MESSAGE-INTEGRITY,
    /// FINGERPRINT.
    pub const REQUEST: &str = "
        00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
        00 24 00 04 6e 00 01 ff
        80 29 00 08 93 2f f9 b1 51 26 3b 36
        00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
        00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
        80 28 00 04 e5 7a 3b cf";

    /// §2.2 Sample IPv4 Response: XOR-MAPPED-ADDRESS 192.0.2.1:32853.
    pub const RESPONSE_V4: &str = "
        01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 08 00 01 a1 47 e1 12 a6 43
        00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
        80 28 00 04 c0 7d 4c 96";

    /// §2.3 Sample IPv6 Response: XOR-MAPPED-ADDRESS
    /// `[2001:db8:1234:5678:11:2233:4455:6677]:32853`.
    pub const RESPONSE_V6: &str = "
        01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
        00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
        80 28 00 04 c8 fb 0b 4c";

    /// §2.4 Sample Request with Long-Term Authentication: USERNAME
    /// [`LONG_TERM_USERNAME`], NONCE, REALM [`REALM`], MESSAGE-INTEGRITY.
    pub const REQUEST_LONG_TERM: &str = "
        00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
        00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
        00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
        00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
        00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66";

    /// The short-term password of §2.1 to §2.3.
    pub const SHORT_TERM_PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";

    /// The username of §2.4 (before SASLprep: "マトリックス").
    pub const LONG_TERM_USERNAME: &str = "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}";

    /// The realm of §2.4.
    pub const REALM: &str = "example.org";

    /// The long-term password of §2.4 (before SASLprep).
    pub const LONG_TERM_PASSWORD: &str = "TheMatrIX";
}

/// RFC 6455 "The WebSocket Protocol", §1.2 and §1.3: the example opening
/// handshake.
pub mod rfc6455 {
    /// §1.2, the client's handshake.
    pub const REQUEST: &str = "GET /chat HTTP/1.1\r\n\
                               Host: server.example.com\r\n\
                               Upgrade: websocket\r\n\
                               Connection: Upgrade\r\n\
                               Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                               Origin: http://example.com\r\n\
                               Sec-WebSocket-Protocol: chat, superchat\r\n\
                               Sec-WebSocket-Version: 13\r\n\
                               \r\n";

    /// §1.2, the server's handshake.
    pub const RESPONSE: &str = "HTTP/1.1 101 Switching Protocols\r\n\
                                Upgrade: websocket\r\n\
                                Connection: Upgrade\r\n\
                                Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
                                Sec-WebSocket-Protocol: chat\r\n\
                                \r\n";

    /// §1.3, the client's `Sec-WebSocket-Key` (the base64 of the 16 bytes
    /// `the sample nonce`).
    pub const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    /// §1.3, the `Sec-WebSocket-Accept` the server derives from [`KEY`].
    pub const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_reads_rfc_layout() {
        assert_eq!(hex("00 ff\n  0a"), [0, 255, 10]);
        assert!(hex(" \n ").is_empty());
    }

    #[test]
    #[should_panic(expected = "not a hex byte")]
    fn hex_refuses_other_text() {
        hex("zz");
    }

    #[test]
    fn the_websocket_example_holds_its_key_and_accept() {
        assert!(rfc6455::REQUEST.contains(&format!("Sec-WebSocket-Key: {}\r\n", rfc6455::KEY)));
        assert!(rfc6455::RESPONSE.contains(&format!("Accept: {}\r\n", rfc6455::ACCEPT)));
        assert!(rfc6455::REQUEST.ends_with("13\r\n\r\n") && !rfc6455::REQUEST.contains("  "));
    }

    #[test]
    fn the_stun_samples_have_their_announced_lengths() {
        // Header: 20 bytes, the length field (bytes 2-3) counts the rest.
        for vector in [
            rfc5769::REQUEST,
            rfc5769::RESPONSE_V4,
            rfc5769::RESPONSE_V6,
            rfc5769::REQUEST_LONG_TERM,
        ] {
            let bytes = hex(vector);
            let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
            assert_eq!(bytes.len(), 20 + len);
            assert_eq!(bytes[4..8], [0x21, 0x12, 0xa4, 0x42], "magic cookie");
        }
    }
}
