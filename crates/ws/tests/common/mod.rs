//! Helpers shared by the connection tests.
#![allow(dead_code, unreachable_pub)]

use bytes::BytesMut;
use rtw_ws::frame::{OpCode, encode_frame};
use rtw_ws::{Connection, Event};

/// Everything `c` has to send.
pub fn wire(c: &mut Connection) -> BytesMut {
    let mut out = BytesMut::new();
    while let Some(b) = c.poll_transmit() {
        out.extend_from_slice(&b);
    }
    out
}

/// Every event `c` has queued.
pub fn events(c: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

/// The close code of the frame a failed server connection queued last.
pub fn close_code(wire: &[u8]) -> u16 {
    // An unmasked close frame from a server: 0x88, length, code.
    let at = wire.len() - 4;
    assert_eq!(wire[at], 0x88, "{wire:?}");
    u16::from_be_bytes([wire[at + 2], wire[at + 3]])
}

/// A client frame (masked), with `rsv` bits.
pub fn client_frame(opcode: OpCode, fin: bool, rsv: u8, payload: &[u8]) -> BytesMut {
    let mut b = BytesMut::new();
    encode_frame(&mut b, opcode, fin, rsv, Some([1, 2, 3, 4]), payload);
    b
}
