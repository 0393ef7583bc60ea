//! A discovery answer decoded as [`Call::without_lists`] files it, without building the lists it
//! drops: their records are only checked to decode, a chunk of records at a time, and a long
//! nested message (a map of 580 000 models) by its own records. Decoding a message merges its
//! records one by one, so it succeeds exactly when every record does; a chunk is checked by
//! decoding the answer with only that chunk in place. Whatever the check cannot vouch for
//! (framing it cannot follow, a record that does not decode) is decoded whole, so the outcome and
//! a failure's text are always the whole decode's.
//!
//! [`Call::without_lists`]: crate::observe::Call::without_lists

use prost::bytes::Buf;
use prost::encoding::{decode_key, decode_varint, encode_key, encode_varint, WireType};
use prost::Message as _;
use prost_reflect::{Kind, MessageDescriptor};

use crate::observe::Call;
use crate::proto::net::OrchestratorInfo;
use crate::protocol::Protocol;

/// The answer's fields [`Call::without_lists`] drops.
///
/// [`Call::without_lists`]: crate::observe::Call::without_lists
const LIST_FIELDS: [&str; 5] = ["nodes", "capabilities", "capabilities_prices", "hardware", "storage"];

/// Most wire bytes decoded at once while checking: a chunk of records, or a nested message
/// short enough to decode whole. Decoded, 64 KiB of map entries take a few MiB.
const CHUNK_BYTES: usize = 64 * 1024;

/// How deep long nested messages are followed; deeper ones are decoded whole.
const MAX_DEPTH: usize = 16;

/// `bytes` decoded as `OrchestratorInfo` without its repeated fields, as
/// `Call::without_lists` leaves it, or the error decoding `bytes` whole gives.
pub fn decode_without_lists(bytes: &[u8]) -> Result<OrchestratorInfo, prost::DecodeError> {
    match checked_without_lists(bytes) {
        Some(info) => Ok(info),
        None => OrchestratorInfo::decode(bytes).map(|info| {
            Call {
                elapsed: Default::default(),
                outcome: Ok(info),
            }
            .without_lists()
            .outcome
            .unwrap_or_default()
        }),
    }
}

/// The answer without its lists, when every list record was checked to decode; `None` when a
/// check failed or could not be made.
fn checked_without_lists(bytes: &[u8]) -> Option<OrchestratorInfo> {
    let info = Protocol::built_in_ref().message("net.OrchestratorInfo")?;
    let lists: Vec<u32> = LIST_FIELDS
        .iter()
        .filter_map(|name| info.get_field_by_name(name).map(|field| field.number()))
        .collect();
    let mut rest = Vec::new();
    let mut chunk = Chunk::default();
    for record in records(bytes)? {
        if !lists.contains(&record.number) {
            rest.extend_from_slice(record.whole);
            continue;
        }
        if !check_record(&info, &mut Vec::new(), &record, &mut chunk, 0) {
            return None;
        }
    }
    if !chunk.check(&[]) {
        return None;
    }
    OrchestratorInfo::decode(rest.as_slice()).ok()
}

/// Checks `record`, a record of `message` at `path` (field numbers from the answer down), adding
/// it to `chunk` unless it is a long nested message, whose own records are checked instead.
fn check_record(
    message: &MessageDescriptor,
    path: &mut Vec<u32>,
    record: &Record<'_>,
    chunk: &mut Chunk,
    depth: usize,
) -> bool {
    let nested = match message.get_field(record.number).map(|field| field.kind()) {
        Some(Kind::Message(nested)) if record.wire_type == WireType::LengthDelimited => Some(nested),
        _ => None,
    };
    match nested {
        Some(nested) if record.payload.len() > CHUNK_BYTES && depth < MAX_DEPTH => {
            if !chunk.check(path) {
                return false;
            }
            let Some(inner) = records(record.payload) else {
                return false;
            };
            path.push(record.number);
            let mut inner_chunk = Chunk::default();
            let checked = inner
                .iter()
                .all(|inner| check_record(&nested, path, inner, &mut inner_chunk, depth + 1))
                && inner_chunk.check(path);
            path.pop();
            checked
        }
        _ => {
            if chunk.bytes.len() + record.whole.len() > CHUNK_BYTES && !chunk.check(path) {
                return false;
            }
            chunk.bytes.extend_from_slice(record.whole);
            true
        }
    }
}

/// Consecutive records of one message, checked together.
#[derive(Default)]
struct Chunk {
    bytes: Vec<u8>,
}

impl Chunk {
    /// Whether the records so far decode where `path` places them; empties the chunk.
    fn check(&mut self, path: &[u32]) -> bool {
        if self.bytes.is_empty() {
            return true;
        }
        let mut wrapped = std::mem::take(&mut self.bytes);
        for number in path.iter().rev() {
            let mut outer = Vec::with_capacity(wrapped.len() + 12);
            encode_key(*number, WireType::LengthDelimited, &mut outer);
            encode_varint(wrapped.len() as u64, &mut outer);
            outer.extend_from_slice(&wrapped);
            wrapped = outer;
        }
        OrchestratorInfo::decode(wrapped.as_slice()).is_ok()
    }
}

/// One field record of an encoded message.
struct Record<'a> {
    number: u32,
    wire_type: WireType,
    /// A length-delimited record's payload; empty for the others.
    payload: &'a [u8],
    /// The record's bytes, key included.
    whole: &'a [u8],
}

/// The records of `bytes`; `None` when the framing cannot be followed (groups, a truncated
/// record), which only the whole decode may judge.
fn records(mut bytes: &[u8]) -> Option<Vec<Record<'_>>> {
    let mut found = Vec::new();
    while bytes.has_remaining() {
        let start = bytes;
        let (number, wire_type) = decode_key(&mut bytes).ok()?;
        let payload = match wire_type {
            WireType::Varint => {
                decode_varint(&mut bytes).ok()?;
                &[][..]
            }
            WireType::SixtyFourBit | WireType::ThirtyTwoBit => {
                let width = if wire_type == WireType::SixtyFourBit { 8 } else { 4 };
                bytes = bytes.get(width..)?;
                &[][..]
            }
            WireType::LengthDelimited => {
                let length = usize::try_from(decode_varint(&mut bytes).ok()?).ok()?;
                let payload = bytes.get(..length)?;
                bytes = &bytes[length..];
                payload
            }
            WireType::StartGroup | WireType::EndGroup => return None,
        };
        found.push(Record {
            number,
            wire_type,
            payload,
            whole: &start[..start.len() - bytes.len()],
        });
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::net::capabilities::{CapabilityConstraints, Constraints};
    use crate::proto::net::{Capabilities, PriceInfo};

    fn whole_without_lists(bytes: &[u8]) -> Result<OrchestratorInfo, String> {
        OrchestratorInfo::decode(bytes)
            .map(|info| {
                Call {
                    elapsed: Default::default(),
                    outcome: Ok(info),
                }
                .without_lists()
                .outcome
                .unwrap()
            })
            .map_err(|error| error.to_string())
    }

    fn many_models(count: usize) -> OrchestratorInfo {
        let models = (0..count)
            .map(|index| (format!("m{index}"), Default::default()))
            .collect();
        OrchestratorInfo {
            transcoder: "https://orch.example:8935".into(),
            nodes: vec!["https://node.example:8935".into(); 3],
            capabilities: Some(Capabilities {
                bitstring: vec![1 << 27],
                constraints: Some(Constraints {
                    per_capability: [(27, CapabilityConstraints { models })].into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            capabilities_prices: vec![PriceInfo::default(); 30_000],
            price_info: Some(PriceInfo {
                price_per_unit: 1000,
                pixels_per_unit: 1,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn keeps_what_the_whole_decode_keeps() {
        for info in [OrchestratorInfo::default(), many_models(3), many_models(40_000)] {
            let bytes = info.encode_to_vec();
            assert!(checked_without_lists(&bytes).is_some());
            assert_eq!(
                decode_without_lists(&bytes).map_err(|e| e.to_string()),
                whole_without_lists(&bytes)
            );
        }
    }

    #[test]
    fn a_bad_record_deep_in_a_long_list_fails_as_the_whole_decode_does() {
        let bytes = many_models(40_000).encode_to_vec();
        // A model id that is not UTF-8, at entry 30 000 of the map (ids are ASCII and unique).
        let needle = b"m30000";
        let at = bytes.windows(needle.len()).position(|window| window == needle).unwrap();
        let mut broken = bytes.clone();
        broken[at] = 0xff;
        assert!(checked_without_lists(&broken).is_none());
        let whole = whole_without_lists(&broken);
        assert!(whole.is_err());
        assert_eq!(decode_without_lists(&broken).map_err(|e| e.to_string()), whole);
        // Framing that cannot be followed is left to the whole decode too.
        let truncated = &bytes[..bytes.len() - 1];
        assert_eq!(
            decode_without_lists(truncated).map_err(|e| e.to_string()),
            whole_without_lists(truncated)
        );
    }
}
