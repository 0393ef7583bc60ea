//! What an answer's bytes hold beyond the compiled types: fields the loaded proto does not define
//! (SPEC-003), and fields the loaded proto names that the built-in descriptors lack (a newer
//! `lp_rpc.proto` given with `--proto`), decoded by name with prost-reflect. The compiled types
//! drop both while decoding, so the bytes are walked against the two descriptors side by side.

use prost::bytes::Buf;
use prost::encoding::{decode_key, decode_varint, encode_key, encode_varint, WireType};
use prost_reflect::{DynamicMessage, Kind, MessageDescriptor, SerializeOptions};

use crate::observe::{NewerField, UnknownField};

/// Most unknown and most newer fields listed per answer, and how deep nested messages are
/// followed: an answer within the size cap cannot make the lists or the walk unbounded.
const MAX_LISTED: usize = 64;
const MAX_DEPTH: usize = 16;
/// A newer field's value whose JSON is longer than this is shown by its size instead.
pub const MAX_NEWER_VALUE_BYTES: usize = 1024;

/// An answer's fields beyond the compiled types. Paths are relative to the answer (`""` is the
/// answer itself, `capabilities` a nested message); the observation prefixes its slot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WireScan {
    pub unknown: Vec<UnknownField>,
    pub newer: Vec<NewerField>,
}

/// Walks `bytes`, an encoded message of `loaded` (its descriptor in the loaded proto), beside
/// `built_in` (the same message as the binary was built with; `None` when the built-in
/// descriptors lack it, so every field is newer). Bytes that do not parse end the walk: RPC-004
/// judges undecodable answers.
pub fn scan(loaded: &MessageDescriptor, built_in: Option<&MessageDescriptor>, bytes: &[u8]) -> WireScan {
    let mut found = WireScan::default();
    walk(loaded, built_in, bytes, None, 0, &mut found);
    found
}

/// Where a nested message sits in the answer, rendered only when something is found there: a
/// long answer of nested entries costs no string per entry.
struct Location<'a> {
    parent: Option<&'a Location<'a>>,
    field: &'a str,
    /// The entry of a repeated or map field.
    index: Option<usize>,
}

/// `capabilities_prices[3].constraint`-style text of `location`, `""` for the answer itself.
fn render(location: Option<&Location<'_>>) -> String {
    let Some(location) = location else {
        return String::new();
    };
    let mut text = render(location.parent);
    if !text.is_empty() {
        text.push('.');
    }
    text.push_str(location.field);
    if let Some(index) = location.index {
        text.push_str(&format!("[{index}]"));
    }
    text
}

fn walk(
    loaded: &MessageDescriptor,
    built_in: Option<&MessageDescriptor>,
    mut bytes: &[u8],
    location: Option<&Location<'_>>,
    depth: usize,
    found: &mut WireScan,
) {
    // The newer fields of this message, re-encoded, to decode by the loaded descriptor at the end.
    let mut newer_bytes = Vec::new();
    // Occurrences so far of each repeated message field, for `nodes[3]`-style paths.
    let mut occurrences: Vec<(u32, usize)> = Vec::new();
    while bytes.has_remaining() && found.unknown.len() < MAX_LISTED {
        let Ok((number, wire_type)) = decode_key(&mut bytes) else {
            return;
        };
        let Some(value) = field_value(&mut bytes, wire_type) else {
            return;
        };
        let Some(field) = loaded.get_field(number) else {
            found.unknown.push(UnknownField {
                message_path: render(location),
                number,
                wire_type: wire_type as u8,
            });
            continue;
        };
        let built_in_field = built_in.and_then(|message| message.get_field(number));
        if built_in_field.is_none() {
            encode_key(number, wire_type, &mut newer_bytes);
            match value {
                FieldValue::Varint(varint) => encode_varint(varint, &mut newer_bytes),
                FieldValue::Bytes(payload) => {
                    if wire_type == WireType::LengthDelimited {
                        encode_varint(payload.len() as u64, &mut newer_bytes);
                    }
                    newer_bytes.extend_from_slice(payload);
                }
            }
            continue;
        }
        let (Kind::Message(nested), FieldValue::Bytes(payload), WireType::LengthDelimited) =
            (field.kind(), value, wire_type)
        else {
            continue;
        };
        if depth >= MAX_DEPTH {
            continue;
        }
        let index = (field.is_list() || field.is_map()).then(|| {
            match occurrences.iter_mut().find(|(seen, _)| *seen == number) {
                Some((_, count)) => {
                    *count += 1;
                    *count - 1
                }
                None => {
                    occurrences.push((number, 1));
                    0
                }
            }
        });
        let built_in_nested = built_in_field.and_then(|field| match field.kind() {
            Kind::Message(message) => Some(message),
            _ => None,
        });
        let here = Location {
            parent: location,
            field: field.name(),
            index,
        };
        walk(
            &nested,
            built_in_nested.as_ref(),
            payload,
            Some(&here),
            depth + 1,
            found,
        );
    }
    if !newer_bytes.is_empty() {
        name_newer_fields(loaded, &newer_bytes, &render(location), found);
    }
}

/// Decodes the newer fields of one message by the loaded descriptor and lists each by name, its
/// value in proto3 JSON (proto field names, as the views spell fields).
fn name_newer_fields(loaded: &MessageDescriptor, bytes: &[u8], path: &str, found: &mut WireScan) {
    let Ok(message) = DynamicMessage::decode(loaded.clone(), bytes) else {
        return;
    };
    let options = SerializeOptions::new().use_proto_field_name(true);
    let Ok(serde_json::Value::Object(fields)) = message.serialize_with_options(serde_json::value::Serializer, &options)
    else {
        return;
    };
    for (name, value) in fields {
        if found.newer.len() >= MAX_LISTED {
            return;
        }
        let path = if path.is_empty() {
            name
        } else {
            format!("{path}.{name}")
        };
        found.newer.push(NewerField {
            path,
            value: bounded(value),
        });
    }
}

/// The value, or a note of its size when its JSON is longer than [`MAX_NEWER_VALUE_BYTES`].
fn bounded(value: serde_json::Value) -> serde_json::Value {
    let size = value.to_string().len();
    if size > MAX_NEWER_VALUE_BYTES {
        serde_json::Value::String(format!("[{size} bytes of JSON, not shown]"))
    } else {
        value
    }
}

enum FieldValue<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

/// The value after a key, taken off the front of `bytes`; `None` when it does not parse.
fn field_value<'a>(bytes: &mut &'a [u8], wire_type: WireType) -> Option<FieldValue<'a>> {
    match wire_type {
        WireType::Varint => decode_varint(bytes).ok().map(FieldValue::Varint),
        WireType::SixtyFourBit => take(bytes, 8).map(FieldValue::Bytes),
        WireType::ThirtyTwoBit => take(bytes, 4).map(FieldValue::Bytes),
        WireType::LengthDelimited => {
            let len = usize::try_from(decode_varint(bytes).ok()?).ok()?;
            take(bytes, len).map(FieldValue::Bytes)
        }
        WireType::StartGroup | WireType::EndGroup => None,
    }
}

/// Takes `len` bytes off the front, if there are that many.
fn take<'a>(bytes: &mut &'a [u8], len: usize) -> Option<&'a [u8]> {
    if bytes.len() < len {
        return None;
    }
    let (value, rest) = bytes.split_at(len);
    *bytes = rest;
    Some(value)
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;
    use crate::proto::net::{Capabilities, OrchestratorInfo};
    use crate::protocol::Protocol;

    fn info_descriptor() -> MessageDescriptor {
        Protocol::built_in().message("net.OrchestratorInfo").unwrap()
    }

    #[test]
    fn fields_the_descriptor_lacks_are_listed_by_path_and_number() {
        let info = OrchestratorInfo {
            transcoder: "https://o.example".into(),
            capabilities: Some(Capabilities {
                version: "0.9.1".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let descriptor = info_descriptor();
        let mut bytes = info.encode_to_vec();
        assert_eq!(scan(&descriptor, Some(&descriptor), &bytes), WireScan::default());
        // Field 35, length-delimited "newer": what a newer orchestrator could add.
        bytes.extend_from_slice(&[0x9a, 0x02, 5, b'n', b'e', b'w', b'e', b'r']);
        // Field 9 of capabilities (varint), nested.
        let mut nested = info.capabilities.clone().unwrap().encode_to_vec();
        nested.extend_from_slice(&[0x48, 1]);
        bytes.push(0x2a);
        bytes.push(nested.len() as u8);
        bytes.extend_from_slice(&nested);
        let found = scan(&descriptor, Some(&descriptor), &bytes);
        assert_eq!(
            found.unknown,
            [
                UnknownField {
                    message_path: "".into(),
                    number: 35,
                    wire_type: 2
                },
                UnknownField {
                    message_path: "capabilities".into(),
                    number: 9,
                    wire_type: 0
                },
            ]
        );
        assert!(found.newer.is_empty());
        assert_eq!(
            scan(&descriptor, Some(&descriptor), &[0xff]),
            WireScan::default(),
            "garbage ends the walk"
        );
    }

    #[test]
    fn entries_of_repeated_fields_are_named_by_their_index() {
        use crate::proto::net::PriceInfo;
        let mut bytes = Vec::new();
        for unknown in [false, true] {
            let mut entry = PriceInfo {
                price_per_unit: 1,
                ..Default::default()
            }
            .encode_to_vec();
            if unknown {
                entry.extend_from_slice(&[0x48, 1]);
            }
            bytes.extend_from_slice(&[0x8a, 0x02, entry.len() as u8]);
            bytes.extend_from_slice(&entry);
        }
        let descriptor = info_descriptor();
        let found = scan(&descriptor, Some(&descriptor), &bytes);
        assert_eq!(
            found.unknown,
            [UnknownField {
                message_path: "capabilities_prices[1]".into(),
                number: 9,
                wire_type: 0
            }]
        );
    }

    #[test]
    fn fields_only_the_loaded_proto_names_are_decoded_by_name() {
        let directory = tempfile::tempdir().unwrap();
        let newer = include_str!("../../proto/lp_rpc.proto").replacen(
            "message OrchestratorInfo {",
            "message OrchestratorInfo {\n  string release_channel = 35;\n  repeated uint64 zones = 36;",
            1,
        );
        std::fs::write(directory.path().join("lp_rpc.proto"), newer).unwrap();
        let loaded = Protocol::load(directory.path())
            .unwrap()
            .message("net.OrchestratorInfo")
            .unwrap();
        let mut bytes = OrchestratorInfo {
            transcoder: "https://o.example".into(),
            ..Default::default()
        }
        .encode_to_vec();
        bytes.extend_from_slice(&[0x9a, 0x02, 4, b'b', b'e', b't', b'a', 0xa2, 0x02, 2, 7, 9]);
        let found = scan(&loaded, Some(&info_descriptor()), &bytes);
        assert!(found.unknown.is_empty(), "{:?}", found.unknown);
        assert_eq!(
            found.newer,
            [
                NewerField {
                    path: "release_channel".into(),
                    value: "beta".into()
                },
                NewerField {
                    path: "zones".into(),
                    value: serde_json::json!(["7", "9"])
                },
            ]
        );
    }
}
