//! Polling payloads: any packets without the record separator round-trip,
//! and any bytes decode or fail without panicking, within the limits.

use proptest::prelude::*;
use rtw_engineio::{Data, Limits, Packet, PacketType, SEPARATOR, decode_payload, encode_payload};

fn packet() -> impl Strategy<Value = Packet> {
    prop_oneof![
        (0u8..7, "[^\x1e]{0,40}")
            .prop_map(|(t, s)| Packet::new(PacketType::from_digit(b'0' + t).unwrap(), s)),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(Packet::binary),
    ]
}

proptest! {
    #[test]
    fn payloads_round_trip(packets in proptest::collection::vec(packet(), 1..20)) {
        let bytes = encode_payload(&packets);
        let back = decode_payload(&bytes, &Limits::default()).unwrap();
        prop_assert_eq!(back, packets);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200),
                                   max_payload in 0usize..200, max_packets in 1usize..8) {
        let limits = Limits::default().max_payload(max_payload).max_packets(max_packets);
        if let Ok(packets) = decode_payload(&bytes, &limits) {
            prop_assert!(bytes.len() <= max_payload);
            prop_assert!(packets.len() <= max_packets);
            for p in &packets {
                if let Data::Text(t) = &p.data {
                    prop_assert!(!t.as_bytes().contains(&SEPARATOR));
                }
            }
            let again = decode_payload(&encode_payload(&packets), &Limits::default()).unwrap();
            prop_assert_eq!(again, packets);
        }
    }
}
