//! Protobuf written field by field, so a fuzz case can hold what prost never encodes: invalid
//! UTF-8 in a string, unknown fields, wrong wire types, groups, field number 0.

/// The wire type in a field's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireType {
    Varint = 0,
    Fixed64 = 1,
    Len = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
}

/// Appends `value` as a base-128 varint.
pub fn varint(out: &mut Vec<u8>, value: u64) {
    out.extend(varint_bytes(value));
}

/// The bytes of `value` as a base-128 varint, least significant group first.
fn varint_bytes(mut value: u64) -> impl Iterator<Item = u8> {
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let low = value as u8 & 0x7f;
        value >>= 7;
        done = value == 0;
        Some(if done { low } else { low | 0x80 })
    })
}

/// Bytes `value` takes as a varint.
pub fn varint_len(value: u64) -> usize {
    let bits = 64 - value.leading_zeros() as usize;
    bits.max(1).div_ceil(7)
}

/// Appends a field key. Field numbers are not checked: 0 and numbers past 2^29 - 1 are fuzz inputs.
pub fn key(out: &mut Vec<u8>, field: u32, wire_type: WireType) {
    varint(out, (u64::from(field) << 3) | wire_type as u64);
}

/// Appends a length-delimited field (bytes, string, message, packed repeated).
pub fn len_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    key(out, field, WireType::Len);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

pub fn varint_field(out: &mut Vec<u8>, field: u32, value: u64) {
    key(out, field, WireType::Varint);
    varint(out, value);
}

/// A length-delimited field built by `build`, for nesting messages: built in place at `out`'s
/// end, then its key and length put in front of it, so a field of many small entries costs one
/// short move per entry rather than a buffer per entry.
pub fn message_field(out: &mut Vec<u8>, field: u32, build: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    build(out);
    let len = out.len() - start;
    let mut header = [0u8; 20];
    let mut used = 0;
    for byte in varint_bytes((u64::from(field) << 3) | WireType::Len as u64).chain(varint_bytes(len as u64)) {
        header[used] = byte;
        used += 1;
    }
    out.splice(start..start, header[..used].iter().copied());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_match_prost() {
        for value in [0, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            let mut ours = Vec::new();
            varint(&mut ours, value);
            let mut theirs = Vec::new();
            prost::encoding::encode_varint(value, &mut theirs);
            assert_eq!(ours, theirs, "{value}");
            assert_eq!(varint_len(value), theirs.len(), "{value}");
        }
    }

    #[test]
    fn a_message_field_built_in_place_is_a_length_delimited_field() {
        let mut in_place = vec![7];
        message_field(&mut in_place, 300, |out| out.extend_from_slice(&[1; 200]));
        let mut expected = vec![7];
        len_field(&mut expected, 300, &[1; 200]);
        assert_eq!(in_place, expected);
    }

    #[test]
    fn fields_decode_with_prost() {
        use prost::Message;
        let mut bytes = Vec::new();
        len_field(&mut bytes, 1, b"value");
        let decoded = crate::proto::net::PingPong::decode(bytes.as_slice()).unwrap();
        assert_eq!(decoded.value, b"value");
    }
}
