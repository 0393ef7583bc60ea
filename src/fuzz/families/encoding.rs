//! Families that break the encoding itself, for every method: arbitrary bytes, valid requests
//! mutated, unknown fields and wire types, and messages at the gRPC size limit.

use bytes::Bytes;
use rand::Rng;

use super::draw::{Draw, Fill};
use crate::fuzz::filler::FillerPool;
use crate::fuzz::wire::{self, WireType};
use crate::protocol::RpcMethod;
use crate::transport::GRPC_MESSAGE_LIMIT;

const RAW_LENGTHS: &[usize] = &[0, 1, 2, 5, 16, 64, 255, 1_024, 65_536];

#[derive(Debug, Clone, Copy)]
enum RawShape {
    Filled(Fill),
    /// 0x80 repeated: a varint that never ends.
    EndlessVarint,
    /// Field 3 claiming a length of 4 GiB, again and again.
    HugeLengths,
    /// Keys of every wire type with no payloads.
    BareKeys,
}

const RAW_SHAPES: &[RawShape] = &[
    RawShape::Filled(Fill::Random),
    RawShape::Filled(Fill::Random),
    RawShape::Filled(Fill::Zeros),
    RawShape::Filled(Fill::Ones),
    RawShape::EndlessVarint,
    RawShape::HugeLengths,
    RawShape::BareKeys,
];

pub(super) fn raw_bytes(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
    let (method, len) = draw.method_and_entry(RAW_LENGTHS);
    let body = match draw.pick(RAW_SHAPES) {
        RawShape::Filled(fill) => draw.filled(len, fill),
        RawShape::EndlessVarint => vec![0x80; len],
        RawShape::HugeLengths => [0x1a, 0xff, 0xff, 0xff, 0xff, 0x0f]
            .into_iter()
            .cycle()
            .take(len)
            .collect(),
        RawShape::BareKeys => (0..len)
            .map(|_| (draw.rng.gen::<u8>() & 0xf8) | draw.rng.gen_range(0..6))
            .collect(),
    };
    (method, body.into())
}

#[derive(Debug, Clone, Copy)]
enum Mutation {
    Truncate,
    FlipBits,
    InsertBytes,
    DeleteBytes,
    DuplicateTail,
    /// The first byte after the first key set to 0x7f: a length prefix that overruns.
    OverrunLength,
}

const MUTATIONS: &[Mutation] = &[
    Mutation::Truncate,
    Mutation::FlipBits,
    Mutation::InsertBytes,
    Mutation::DeleteBytes,
    Mutation::DuplicateTail,
    Mutation::OverrunLength,
];

pub(super) fn mutated_encoding(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
    let (method, mutation) = draw.method_and_entry(MUTATIONS);
    let mut body = draw.valid_body(method);
    let times = draw.rng.gen_range(1..=4);
    match mutation {
        Mutation::Truncate => {
            let cut = draw.rng.gen_range(0..body.len().max(1));
            body.truncate(cut);
        }
        Mutation::FlipBits => {
            for _ in 0..times {
                let at = draw.rng.gen_range(0..body.len().max(1));
                if let Some(byte) = body.get_mut(at) {
                    *byte ^= 1 << draw.rng.gen_range(0..8);
                }
            }
        }
        Mutation::InsertBytes => {
            for _ in 0..times {
                let at = draw.rng.gen_range(0..=body.len());
                body.insert(at, draw.rng.gen());
            }
        }
        Mutation::DeleteBytes => {
            for _ in 0..times {
                if !body.is_empty() {
                    let at = draw.rng.gen_range(0..body.len());
                    body.remove(at);
                }
            }
        }
        Mutation::DuplicateTail => {
            let from = draw.rng.gen_range(0..body.len().max(1)).min(body.len());
            let tail = body[from..].to_vec();
            body.extend_from_slice(&tail);
        }
        Mutation::OverrunLength => {
            if let Some(length) = body.get_mut(1) {
                *length = 0x7f;
            }
        }
    }
    (method, body.into())
}

#[derive(Debug, Clone, Copy)]
enum Extra {
    Varint(u32),
    Fixed32(u32),
    Fixed64(u32),
    Bytes(u32),
    Group(u32),
    /// Field number 0, which no message may use.
    FieldZero,
    /// A known field (1) sent with the wrong wire type.
    WrongWireType,
}

const EXTRAS: &[Extra] = &[
    Extra::Varint(5),
    Extra::Bytes(15),
    Extra::Fixed32(16),
    Extra::Fixed64(100),
    Extra::Bytes(2_047),
    // The largest field number.
    Extra::Varint(536_870_911),
    // The range protobuf reserves for itself.
    Extra::Bytes(19_000),
    Extra::Group(1_000),
    Extra::FieldZero,
    Extra::WrongWireType,
];

pub(super) fn unknown_fields(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
    let (method, extra) = draw.method_and_entry(EXTRAS);
    let valid = draw.valid_body(method);
    let mut fields = Vec::new();
    for _ in 0..draw.rng.gen_range(1..=3) {
        match extra {
            Extra::Varint(field) => wire::varint_field(&mut fields, field, draw.rng.gen()),
            Extra::Fixed32(field) => {
                wire::key(&mut fields, field, WireType::Fixed32);
                fields.extend_from_slice(&draw.bytes(4));
            }
            Extra::Fixed64(field) => {
                wire::key(&mut fields, field, WireType::Fixed64);
                fields.extend_from_slice(&draw.bytes(8));
            }
            Extra::Bytes(field) => {
                let len = draw.pick(&[0, 1, 100, 10_000]);
                let bytes = draw.bytes(len);
                wire::len_field(&mut fields, field, &bytes);
            }
            Extra::Group(field) => {
                wire::key(&mut fields, field, WireType::StartGroup);
                wire::varint_field(&mut fields, 1, draw.rng.gen());
                wire::key(&mut fields, field, WireType::EndGroup);
            }
            Extra::FieldZero => wire::varint_field(&mut fields, 0, draw.rng.gen()),
            Extra::WrongWireType => {
                wire::key(&mut fields, 1, WireType::Fixed32);
                fields.extend_from_slice(&draw.bytes(4));
            }
        }
    }
    let body = if draw.chance(2) {
        [valid, fields].concat()
    } else {
        [fields, valid].concat()
    };
    (method, body.into())
}

/// Sizes relative to [`GRPC_MESSAGE_LIMIT`].
const SIZE_OFFSETS: &[i64] = &[-1, 0, 1, -1_024, 65_536, -65_536, GRPC_MESSAGE_LIMIT as i64];

/// The unknown field that pads a message to size.
const PADDING_FIELD: u32 = 1_000;

pub(super) fn oversized(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
    let (method, offset) = draw.method_and_entry(SIZE_OFFSETS);
    let target = (GRPC_MESSAGE_LIMIT as i64 + offset).max(0) as usize;
    let mut body = draw.valid_body(method);
    // The key of field 1000 takes two bytes; the length prefix as many as its value needs.
    let overhead = |pad: usize| 2 + wire::varint_len(pad as u64);
    let mut pad = target.saturating_sub(body.len() + 2);
    while pad > 0 && body.len() + overhead(pad) + pad > target {
        pad -= 1;
    }
    let fill = draw.pick(&[0x00, 0x41, 0xff]);
    wire::key(&mut body, PADDING_FIELD, WireType::Len);
    wire::varint(&mut body, pad as u64);
    let padded = FillerPool::shared().body(&body, fill, body.len() + pad);
    (method, padded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::families::{family, generate, ingredients};

    #[test]
    fn oversized_messages_straddle_the_limit() {
        let ingredients = ingredients(1);
        let family = family("oversized");
        let sizes: Vec<usize> = (0..3)
            .map(|k| generate(&family, k * 3, 1, &ingredients).body.len())
            .collect();
        assert_eq!(
            sizes,
            [GRPC_MESSAGE_LIMIT - 1, GRPC_MESSAGE_LIMIT, GRPC_MESSAGE_LIMIT + 1]
        );
    }
}
