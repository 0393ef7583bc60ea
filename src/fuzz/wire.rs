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

/// Appends `value` as a base-128 varint (a long one written to the stack first: one append, not
/// one per byte).
pub fn varint(out: &mut Vec<u8>, mut value: u64) {
    if value < 0x80 {
        out.push(value as u8);
        return;
    }
    let mut encoded = [0u8; 10];
    let mut last = 0;
    while value >= 0x80 {
        encoded[last] = (value as u8 & 0x7f) | 0x80;
        value >>= 7;
        last += 1;
    }
    encoded[last] = value as u8;
    out.extend_from_slice(&encoded[..=last]);
}

/// Appends `piece` `count` times, copying what is already written in doubling runs (a hundred
/// thousand ten-byte appends cost generation about a millisecond per 400 cases more).
pub fn repeated(out: &mut Vec<u8>, piece: &[u8], count: usize) {
    let total = piece.len() * count;
    if total == 0 {
        return;
    }
    out.reserve(total);
    let start = out.len();
    out.extend_from_slice(piece);
    while out.len() - start < total {
        let written = out.len() - start;
        out.extend_from_within(start..start + written.min(total - written));
    }
}

/// Appends `value` as a varint `count` times, encoded once.
pub fn repeated_varint(out: &mut Vec<u8>, value: u64, count: usize) {
    let mut once = Vec::with_capacity(10);
    varint(&mut once, value);
    repeated(out, &once, count);
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

/// A length-delimited field built by `build`, for nesting messages: built in place after its key
/// and a one-byte length, which is widened (moving the field once) only when the field is 128
/// bytes or longer, so a field of many small entries needs no buffer per entry.
pub fn message_field(out: &mut Vec<u8>, field: u32, build: impl FnOnce(&mut Vec<u8>)) {
    key(out, field, WireType::Len);
    let length_at = out.len();
    out.push(0);
    build(out);
    let len = out.len() - length_at - 1;
    if len < 0x80 {
        out[length_at] = len as u8;
    } else {
        let mut length = Vec::with_capacity(10);
        varint(&mut length, len as u64);
        out.splice(length_at..=length_at, length);
    }
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
    fn repeated_varints_are_the_varint_again_and_again() {
        for (value, count) in [(0, 0), (0, 1), (300, 3), (u64::MAX, 7), (1 << 63, 1_000)] {
            let mut repeated = vec![9];
            repeated_varint(&mut repeated, value, count);
            let mut expected = vec![9];
            (0..count).for_each(|_| varint(&mut expected, value));
            assert_eq!(repeated, expected, "{value} x {count}");
        }
    }

    #[test]
    fn a_message_field_built_in_place_is_a_length_delimited_field() {
        for len in [0, 1, 127, 128, 200, 20_000] {
            let mut in_place = vec![7];
            message_field(&mut in_place, 300, |out| out.extend(std::iter::repeat_n(1, len)));
            let mut expected = vec![7];
            len_field(&mut expected, 300, &vec![1; len]);
            assert_eq!(in_place, expected, "{len}");
        }
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
