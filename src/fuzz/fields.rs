//! Fuzz families derived from the loaded proto: one for every field of every unary method's
//! request message (nested messages' fields too), named `field:<method>.<path>` after any method
//! of the loaded proto, standard or not, so a field a newer proto adds is fuzzed without code.
//! Each case sends a valid request of the method with that one field replaced: boundary values of
//! its type, wrong wire types, oversized and deeply nested values, long repeated and map fields,
//! unknown fields inside messages. The field is appended to the request's encoding, which
//! protobuf merges into the request (a later singular value wins, repeated values add up,
//! messages merge).

use prost::encoding::{encode_key, encode_varint, WireType};
use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor, MethodDescriptor};

use super::wire;
use crate::protocol::{Protocol, RpcMethod};

/// How deep nested request messages are followed for their fields.
const MAX_FIELD_DEPTH: usize = 4;
/// Entries of the long repeated and map values.
const LONG_REPEATED: usize = 10_000;
/// Levels of the deeply nested message values.
const DEEP_NESTING: usize = 100;
/// The long string and bytes values: well under the 4 MiB gRPC limit with the rest of a request.
const LONG_VALUE: usize = 1024 * 1024;

/// One field of a request message, fuzzed by its own family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldFamily {
    /// `field:GetOrchestrator.capabilities.bitstring`.
    pub name: String,
    /// The method's HTTP/2 `:path`.
    pub path: String,
    /// The standard method, whose valid request the cases start from; `None` for other methods
    /// of the loaded proto, whose cases start from an empty request.
    pub method: Option<RpcMethod>,
    /// Field numbers from the request message down to the field.
    numbers: Vec<u32>,
    shape: Shape,
}

/// What a field holds, as far as its fuzz values go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Varint,
    Fixed32,
    Fixed64,
    Text,
    Bytes,
    Message,
    Map,
}

/// The family of every field of every unary method's request in `proto`, in file order.
pub fn field_families(proto: &Protocol) -> Vec<FieldFamily> {
    let mut families = Vec::new();
    for service in proto.pool().services() {
        for method in service.methods() {
            if method.is_client_streaming() || method.is_server_streaming() {
                continue;
            }
            let mut visiting = vec![method.input().full_name().to_string()];
            add_fields(&method, &method.input(), &mut Vec::new(), &mut visiting, &mut families);
        }
    }
    families
}

fn add_fields(
    method: &MethodDescriptor,
    message: &MessageDescriptor,
    parents: &mut Vec<FieldDescriptor>,
    visiting: &mut Vec<String>,
    families: &mut Vec<FieldFamily>,
) {
    for field in message.fields() {
        parents.push(field.clone());
        let names: Vec<&str> = parents.iter().map(FieldDescriptor::name).collect();
        let path = format!("/{}/{}", method.parent_service().full_name(), method.name());
        families.push(FieldFamily {
            name: format!("field:{}.{}", method.name(), names.join(".")),
            method: RpcMethod::from_path(&path),
            path,
            numbers: parents.iter().map(FieldDescriptor::number).collect(),
            shape: shape(&field),
        });
        if let Kind::Message(nested) = field.kind() {
            let recursive = visiting.iter().any(|name| name == nested.full_name());
            if !field.is_map() && !recursive && parents.len() < MAX_FIELD_DEPTH {
                visiting.push(nested.full_name().to_string());
                add_fields(method, &nested, parents, visiting, families);
                visiting.pop();
            }
        }
        parents.pop();
    }
}

fn shape(field: &FieldDescriptor) -> Shape {
    if field.is_map() {
        return Shape::Map;
    }
    match field.kind() {
        Kind::Double | Kind::Fixed64 | Kind::Sfixed64 => Shape::Fixed64,
        Kind::Float | Kind::Fixed32 | Kind::Sfixed32 => Shape::Fixed32,
        Kind::String => Shape::Text,
        Kind::Bytes => Shape::Bytes,
        Kind::Message(_) => Shape::Message,
        Kind::Int32 | Kind::Int64 | Kind::Uint32 | Kind::Uint64 | Kind::Sint32 | Kind::Sint64 | Kind::Bool => {
            Shape::Varint
        }
        Kind::Enum(_) => Shape::Varint,
    }
}

/// One encoded value of the field (its key included), from the field's own numbers out.
#[derive(Debug, Clone, Copy)]
enum Value {
    Varint(u64),
    /// 0x80 ten times then 0x01: a varint longer than any 64-bit value.
    OverlongVarint,
    Fixed32(u32),
    Fixed64(u64),
    Payload(&'static [u8]),
    /// `LONG_VALUE` bytes of `fill`.
    Long(u8),
    /// The same field number nested `DEEP_NESTING` deep inside itself.
    DeepNesting,
    /// An empty message with a field number it cannot have (536870911, the largest).
    UnknownInside,
    /// `LONG_REPEATED` copies of a small value of the field's shape.
    ManyEntries,
    /// The field's number with a wire type it does not have.
    WrongWireType(WireType),
}

const VARINT_VALUES: &[Value] = &[
    Value::Varint(0),
    Value::Varint(1),
    Value::Varint(u64::MAX),
    Value::Varint(i64::MIN as u64),
    Value::Varint(i32::MAX as u64 + 1),
    Value::Varint(u32::MAX as u64 + 1),
    Value::Varint(2),
    Value::OverlongVarint,
    Value::ManyEntries,
    Value::WrongWireType(WireType::LengthDelimited),
    Value::WrongWireType(WireType::SixtyFourBit),
];
const FIXED32_VALUES: &[Value] = &[
    Value::Fixed32(0),
    Value::Fixed32(u32::MAX),
    Value::Fixed32(0x7fc0_0000),
    Value::Fixed32(0x7f80_0000),
    Value::ManyEntries,
    Value::WrongWireType(WireType::Varint),
    Value::WrongWireType(WireType::LengthDelimited),
];
const FIXED64_VALUES: &[Value] = &[
    Value::Fixed64(0),
    Value::Fixed64(u64::MAX),
    Value::Fixed64(0x7ff8_0000_0000_0000),
    Value::Fixed64(i64::MIN as u64),
    Value::ManyEntries,
    Value::WrongWireType(WireType::Varint),
    Value::WrongWireType(WireType::ThirtyTwoBit),
];
const TEXT_VALUES: &[Value] = &[
    Value::Payload(b""),
    Value::Payload(b"\xff\xfe not UTF-8"),
    Value::Payload("\u{202e}reversed\u{0}nul\u{1b}[2J".as_bytes()),
    Value::Long(b'a'),
    Value::ManyEntries,
    Value::WrongWireType(WireType::Varint),
    Value::WrongWireType(WireType::StartGroup),
];
const BYTES_VALUES: &[Value] = &[
    Value::Payload(b""),
    Value::Payload(&[0]),
    Value::Payload(&[0xff; 65]),
    Value::Long(0xff),
    Value::ManyEntries,
    Value::WrongWireType(WireType::Varint),
    Value::WrongWireType(WireType::ThirtyTwoBit),
];
const MESSAGE_VALUES: &[Value] = &[
    Value::Payload(b""),
    Value::UnknownInside,
    Value::DeepNesting,
    Value::Payload(&[0xff; 16]),
    Value::ManyEntries,
    Value::WrongWireType(WireType::Varint),
    Value::WrongWireType(WireType::SixtyFourBit),
];
const MAP_VALUES: &[Value] = &[
    Value::Payload(b""),
    Value::ManyEntries,
    Value::Payload(&[0x08, 0x80]),
    Value::UnknownInside,
    Value::WrongWireType(WireType::Varint),
];

impl FieldFamily {
    /// What the family's `--help` line says.
    pub fn about(&self) -> String {
        format!(
            "{} of {}: boundary values, wrong wire types, oversized and nested values",
            self.numbers_text(),
            self.path
        )
    }

    fn numbers_text(&self) -> String {
        let numbers: Vec<String> = self.numbers.iter().map(u32::to_string).collect();
        format!("field {}", numbers.join("."))
    }

    /// The field value of case `index`, appended to `base` (a valid request of the method).
    pub fn body(&self, index: u64, base: Vec<u8>) -> Vec<u8> {
        let values = match self.shape {
            Shape::Varint => VARINT_VALUES,
            Shape::Fixed32 => FIXED32_VALUES,
            Shape::Fixed64 => FIXED64_VALUES,
            Shape::Text => TEXT_VALUES,
            Shape::Bytes => BYTES_VALUES,
            Shape::Message => MESSAGE_VALUES,
            Shape::Map => MAP_VALUES,
        };
        let value = values[(index % values.len() as u64) as usize];
        let Some((&number, parents)) = self.numbers.split_last() else {
            return base;
        };
        let mut body = base;
        self.nested(parents, &mut body, &|out| self.encode(number, value, out));
        body
    }

    /// `write` inside each of `parents` in turn (outermost first), built in place at `out`'s end.
    fn nested(&self, parents: &[u32], out: &mut Vec<u8>, write: &dyn Fn(&mut Vec<u8>)) {
        match parents.split_first() {
            None => write(out),
            Some((&parent, inner)) => wire::message_field(out, parent, |out| self.nested(inner, out, write)),
        }
    }

    fn encode(&self, number: u32, value: Value, out: &mut Vec<u8>) {
        match value {
            Value::Varint(varint) => {
                encode_key(number, WireType::Varint, out);
                encode_varint(varint, out);
            }
            Value::OverlongVarint => {
                encode_key(number, WireType::Varint, out);
                out.extend_from_slice(&[0x80; 10]);
                out.push(0x01);
            }
            Value::Fixed32(bits) => {
                encode_key(number, WireType::ThirtyTwoBit, out);
                out.extend_from_slice(&bits.to_le_bytes());
            }
            Value::Fixed64(bits) => {
                encode_key(number, WireType::SixtyFourBit, out);
                out.extend_from_slice(&bits.to_le_bytes());
            }
            Value::Payload(payload) => wire::len_field(out, number, payload),
            Value::Long(fill) => {
                encode_key(number, WireType::LengthDelimited, out);
                encode_varint(LONG_VALUE as u64, out);
                out.resize(out.len() + LONG_VALUE, fill);
            }
            Value::DeepNesting => {
                let mut nested = Vec::new();
                for _ in 0..DEEP_NESTING {
                    nested = length_delimited(number, &nested);
                }
                out.extend_from_slice(&length_delimited(number, &nested));
            }
            Value::UnknownInside => {
                let mut inside = Vec::new();
                encode_key(536_870_911, WireType::Varint, &mut inside);
                encode_varint(1, &mut inside);
                out.extend_from_slice(&length_delimited(number, &inside));
            }
            Value::ManyEntries => {
                let one = match self.shape {
                    Shape::Varint => Value::Varint(1),
                    Shape::Fixed32 => Value::Fixed32(1),
                    Shape::Fixed64 => Value::Fixed64(1),
                    Shape::Text | Shape::Bytes => Value::Payload(b"x"),
                    // A map entry of key 0 and value 0, or an empty message.
                    Shape::Map => Value::Payload(&[0x08, 0x00, 0x10, 0x00]),
                    Shape::Message => Value::Payload(b""),
                };
                let mut entry = Vec::new();
                self.encode(number, one, &mut entry);
                wire::repeated(out, &entry, LONG_REPEATED);
            }
            Value::WrongWireType(wire_type) => {
                encode_key(number, wire_type, out);
                match wire_type {
                    WireType::Varint => encode_varint(7, out),
                    WireType::SixtyFourBit => out.extend_from_slice(&[7; 8]),
                    WireType::ThirtyTwoBit => out.extend_from_slice(&[7; 4]),
                    WireType::LengthDelimited => {
                        encode_varint(1, out);
                        out.push(7);
                    }
                    // A group that never ends.
                    WireType::StartGroup | WireType::EndGroup => {}
                }
            }
        }
    }
}

/// `number` as a length-delimited field holding `payload`.
fn length_delimited(number: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 8);
    encode_key(number, WireType::LengthDelimited, &mut out);
    encode_varint(payload.len() as u64, &mut out);
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;
    use crate::proto::net::{OrchestratorRequest, PingPong};

    #[test]
    fn every_request_field_of_the_built_in_proto_has_a_family() {
        let names: Vec<String> = field_families(&Protocol::built_in())
            .into_iter()
            .map(|family| family.name)
            .collect();
        for expected in [
            "field:GetOrchestrator.address",
            "field:GetOrchestrator.capabilities.bitstring",
            "field:GetOrchestrator.capabilities.constraints.PerCapability",
            "field:GetOrchestrator.ignoreCapacityCheck",
            "field:Ping.value",
            "field:EndTranscodingSession.auth_token.expiration",
        ] {
            assert!(names.iter().any(|name| name == expected), "{expected} in {names:?}");
        }
        assert!(
            !names.iter().any(|name| name.contains("RegisterTranscoder")),
            "streaming methods are not fuzzed here"
        );
    }

    #[test]
    fn a_case_replaces_its_field_and_keeps_the_rest_of_the_request() {
        let families = field_families(&Protocol::built_in());
        let family = families
            .iter()
            .find(|family| family.name == "field:GetOrchestrator.ignoreCapacityCheck")
            .unwrap();
        let base = OrchestratorRequest {
            address: vec![1; 20],
            ..Default::default()
        };
        // Case 1 sets the bool to 1, a later value that wins over the base's.
        let decoded = OrchestratorRequest::decode(family.body(1, base.encode_to_vec()).as_slice()).unwrap();
        assert!(decoded.ignore_capacity_check);
        assert_eq!(decoded.address, vec![1; 20]);
        let nested = families
            .iter()
            .find(|family| family.name == "field:GetOrchestrator.capabilities.version")
            .unwrap();
        let invalid = nested.body(1, base.encode_to_vec());
        assert!(
            OrchestratorRequest::decode(invalid.as_slice()).is_err(),
            "case 1 of a string is invalid UTF-8, inside capabilities"
        );
        let ping = families
            .iter()
            .find(|family| family.name == "field:Ping.value")
            .unwrap();
        let long = PingPong::decode(ping.body(3, Vec::new()).as_slice()).unwrap();
        assert_eq!(long.value.len(), LONG_VALUE);
        for index in 0..20 {
            for family in &families {
                assert!(
                    family.body(index, Vec::new()).len() < crate::transport::GRPC_MESSAGE_LIMIT,
                    "{}",
                    family.name
                );
            }
        }
    }
}
