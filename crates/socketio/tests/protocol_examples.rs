//! The packet examples of the Socket.IO v5 protocol document
//! (socket.io-protocol v5, "Packet encoding" and "Examples"), as data:
//! each encoded text (and attachments) decodes to the packet the document
//! gives, and that packet encodes back to the same text.

use bytes::Bytes;
use rtw_socketio::{Decoder, EngineMessage, Limits, Packet, PacketKind, encode};
use serde_json::{Value, json};

struct Example {
    text: &'static str,
    attachments: &'static [&'static [u8]],
    kind: PacketKind,
    namespace: &'static str,
    ack_id: Option<u64>,
    data: Option<Value>,
}

fn examples() -> Vec<Example> {
    let ex = |text, attachments, kind, namespace, ack_id, data| Example {
        text,
        attachments,
        kind,
        namespace,
        ack_id,
        data,
    };
    vec![
        // Connection to a namespace: the main one, a custom one (the
        // server's answer with the sid), refused.
        ex("0", &[], PacketKind::Connect, "/", None, None),
        ex(
            r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#,
            &[],
            PacketKind::Connect,
            "/admin",
            None,
            Some(json!({"sid": "oSO0OpakMV_3jnilAAAA"})),
        ),
        ex(
            r#"4{"message":"Not authorized"}"#,
            &[],
            PacketKind::ConnectError,
            "/",
            None,
            Some(json!({"message": "Not authorized"})),
        ),
        // Sending and receiving data.
        ex(
            r#"2["foo"]"#,
            &[],
            PacketKind::Event,
            "/",
            None,
            Some(json!(["foo"])),
        ),
        ex(
            r#"2/admin,["bar"]"#,
            &[],
            PacketKind::Event,
            "/admin",
            None,
            Some(json!(["bar"])),
        ),
        ex(
            r#"51-["baz",{"_placeholder":true,"num":0}]"#,
            &[&[1, 2, 3, 4]],
            PacketKind::BinaryEvent,
            "/",
            None,
            Some(json!(["baz", {"_placeholder": true, "num": 0}])),
        ),
        ex(
            r#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            &[&[1, 2], &[3, 4]],
            PacketKind::BinaryEvent,
            "/admin",
            None,
            Some(
                json!(["baz", {"_placeholder": true, "num": 0}, {"_placeholder": true, "num": 1}]),
            ),
        ),
        // Acknowledgement.
        ex(
            r#"212["foo"]"#,
            &[],
            PacketKind::Event,
            "/",
            Some(12),
            Some(json!(["foo"])),
        ),
        ex(
            r#"3/admin,13["bar"]"#,
            &[],
            PacketKind::Ack,
            "/admin",
            Some(13),
            Some(json!(["bar"])),
        ),
        ex(
            r#"61-15["bar",{"_placeholder":true,"num":0}]"#,
            &[&[1, 2, 3, 4]],
            PacketKind::BinaryAck,
            "/",
            Some(15),
            Some(json!(["bar", {"_placeholder": true, "num": 0}])),
        ),
        // Disconnection from a namespace.
        ex("1", &[], PacketKind::Disconnect, "/", None, None),
        ex(
            "1/admin,",
            &[],
            PacketKind::Disconnect,
            "/admin",
            None,
            None,
        ),
    ]
}

#[test]
fn every_example_decodes_and_encodes_back() {
    for example in examples() {
        let mut decoder = Decoder::new(Limits::default());
        let mut got = decoder
            .decode(EngineMessage::Text(example.text.into()))
            .unwrap();
        for (i, attachment) in example.attachments.iter().enumerate() {
            assert!(
                got.is_none(),
                "{}: whole before attachment {i}",
                example.text
            );
            got = decoder
                .decode(EngineMessage::Binary(Bytes::from_static(attachment)))
                .unwrap();
        }
        let packet = got.unwrap_or_else(|| panic!("{}: not whole", example.text));
        let expected = Packet {
            kind: example.kind,
            namespace: example.namespace.into(),
            ack_id: example.ack_id,
            data: example.data,
            attachments: example
                .attachments
                .iter()
                .map(|a| Bytes::from_static(a))
                .collect(),
        };
        assert_eq!(packet, expected, "{}", example.text);
        let (text, attachments) = encode(&packet);
        assert_eq!(text, example.text);
        assert_eq!(attachments, expected.attachments);
    }
}

#[test]
fn a_connect_with_auth_and_a_connect_error_with_data() {
    let (text, _) = encode(&Packet::connect("/admin", Some(json!({"token": "123"}))));
    assert_eq!(text, r#"0/admin,{"token":"123"}"#);
    let refused = Packet::connect_error("/admin", "Not authorized", Some(json!({"retry": false})));
    assert_eq!(
        encode(&refused).0,
        r#"4/admin,{"data":{"retry":false},"message":"Not authorized"}"#
    );
}
