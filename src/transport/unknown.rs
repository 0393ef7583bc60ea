//! Fields on the wire that a message descriptor does not define (SPEC-003): prost drops them
//! while decoding, so the answer's bytes are walked against the descriptor of the loaded proto.

use prost::bytes::Buf;
use prost::encoding::{decode_key, decode_varint, WireType};
use prost_reflect::{Kind, MessageDescriptor};

use crate::observe::UnknownField;

/// Most unknown fields listed per answer, and how deep nested messages are followed: an
/// answer within the size cap cannot make the list or the walk unbounded.
const MAX_UNKNOWN_FIELDS: usize = 64;
const MAX_DEPTH: usize = 16;

/// The unknown fields of `bytes`, an encoded `descriptor` message, under `path` (`info`).
/// Bytes that do not parse end the walk: RPC-004 judges undecodable answers.
pub fn unknown_fields(descriptor: &MessageDescriptor, bytes: &[u8], path: &str) -> Vec<UnknownField> {
    let mut found = Vec::new();
    walk(descriptor, bytes, path, 0, &mut found);
    found
}

fn walk(descriptor: &MessageDescriptor, mut bytes: &[u8], path: &str, depth: usize, found: &mut Vec<UnknownField>) {
    while bytes.has_remaining() && found.len() < MAX_UNKNOWN_FIELDS {
        let Ok((number, wire_type)) = decode_key(&mut bytes) else {
            return;
        };
        let field = descriptor.get_field(number);
        if field.is_none() {
            found.push(UnknownField {
                message_path: path.to_string(),
                number,
                wire_type: wire_type as u8,
            });
        }
        let value: &[u8] = match wire_type {
            WireType::Varint => match decode_varint(&mut bytes) {
                Ok(_) => &[],
                Err(_) => return,
            },
            WireType::SixtyFourBit => match skip(&mut bytes, 8) {
                Some(value) => value,
                None => return,
            },
            WireType::ThirtyTwoBit => match skip(&mut bytes, 4) {
                Some(value) => value,
                None => return,
            },
            WireType::LengthDelimited => {
                let len = decode_varint(&mut bytes).ok().and_then(|len| usize::try_from(len).ok());
                match len.and_then(|len| skip(&mut bytes, len)) {
                    Some(value) => value,
                    None => return,
                }
            }
            WireType::StartGroup | WireType::EndGroup => return,
        };
        let nested = field.and_then(|field| match field.kind() {
            Kind::Message(message) => Some((field.name().to_string(), message)),
            _ => None,
        });
        if let (Some((name, message)), WireType::LengthDelimited) = (nested, wire_type) {
            if depth < MAX_DEPTH {
                walk(&message, value, &format!("{path}.{name}"), depth + 1, found);
            }
        }
    }
}

/// Takes `len` bytes off the front, if there are that many.
fn skip<'a>(bytes: &mut &'a [u8], len: usize) -> Option<&'a [u8]> {
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
    use crate::spec::ProtoSpec;

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
        let descriptor = ProtoSpec::built_in().message("net.OrchestratorInfo").unwrap();
        let mut bytes = info.encode_to_vec();
        assert_eq!(unknown_fields(&descriptor, &bytes, "info"), []);
        // Field 35, length-delimited "newer": what a newer orchestrator could add.
        bytes.extend_from_slice(&[0x9a, 0x02, 5, b'n', b'e', b'w', b'e', b'r']);
        // Field 9 of capabilities (varint), nested.
        let capabilities = Capabilities {
            version: "0.9.1".into(),
            ..Default::default()
        };
        let mut nested = capabilities.encode_to_vec();
        nested.extend_from_slice(&[0x48, 1]);
        bytes.push(0x2a);
        bytes.push(nested.len() as u8);
        bytes.extend_from_slice(&nested);
        let found = unknown_fields(&descriptor, &bytes, "info");
        assert_eq!(
            found,
            [
                UnknownField {
                    message_path: "info".into(),
                    number: 35,
                    wire_type: 2
                },
                UnknownField {
                    message_path: "info.capabilities".into(),
                    number: 9,
                    wire_type: 0
                },
            ]
        );
        assert_eq!(
            unknown_fields(&descriptor, &[0xff], "info"),
            [],
            "garbage ends the walk"
        );
    }
}
