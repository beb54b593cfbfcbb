//! Client-to-server masking (RFC 6455 §5.3): `octet i of the transformed
//! data is octet i of the original data XOR octet (i MOD 4) of the masking
//! key`.

/// XOR `buf` with `key`, where `buf` starts at byte `offset` of the payload
/// (so a payload can be unmasked in pieces as it arrives).
///
/// Works eight bytes at a time against the key repeated into a `u64`, in
/// safe Rust: the compiler keeps the key in a register and vectorises the
/// loop; masking and unmasking are the same operation.
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let rot = offset % 4;
    let key = [
        key[rot],
        key[(rot + 1) % 4],
        key[(rot + 2) % 4],
        key[(rot + 3) % 4],
    ];
    let wide = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    let mut words = buf.chunks_exact_mut(8);
    for word in &mut words {
        let masked = u64::from_ne_bytes((&*word).try_into().expect("8 bytes")) ^ wide;
        word.copy_from_slice(&masked.to_ne_bytes());
    }
    for (i, b) in words.into_remainder().iter_mut().enumerate() {
        *b ^= key[i & 3];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(buf: &mut [u8], key: [u8; 4], offset: usize) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b ^= key[(offset + i) % 4];
        }
    }

    #[test]
    fn matches_the_definition_at_every_length_and_offset() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        for len in 0..100 {
            for offset in 0..5 {
                let data: Vec<u8> = (0..len as u8).collect();
                let (mut a, mut b) = (data.clone(), data.clone());
                apply_mask(&mut a, key, offset);
                naive(&mut b, key, offset);
                assert_eq!(a, b, "len {len} offset {offset}");
            }
        }
    }

    #[test]
    fn rfc6455_section_5_7_masked_hello() {
        // A single-frame masked text message "Hello" (RFC 6455 §5.7).
        let mut payload = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
        apply_mask(&mut payload, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(&payload, b"Hello");
    }

    #[test]
    fn in_pieces_equals_whole() {
        let key = [1, 2, 3, 4];
        let data: Vec<u8> = (0..77).collect();
        let mut whole = data.clone();
        apply_mask(&mut whole, key, 0);
        let mut pieces = data.clone();
        let (a, rest) = pieces.split_at_mut(5);
        apply_mask(a, key, 0);
        let (b, c) = rest.split_at_mut(38);
        apply_mask(b, key, 5);
        apply_mask(c, key, 43);
        assert_eq!(whole, pieces);
    }
}
