//! The `decode_static_dynamic` check: one input byte picks a message of the `net` package, the
//! rest is decoded by the generated prost type (static) and by prost-reflect against the built-in
//! descriptors (dynamic), the way `transport` does for static and dynamic calls.

use std::fmt::Debug;
use std::sync::LazyLock;

use prost::encoding::{decode_key, decode_varint, skip_field, DecodeContext, WireType};
use prost::Message;
use prost_reflect::{DynamicMessage, MessageDescriptor, UnknownField, Value};

use super::canonical::canonical_bytes;
use super::Problem;
use crate::protocol::Protocol;

/// What the two decoders made of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeOutcome {
    /// No selector byte: nothing to decode.
    Empty,
    /// Both decoded it, to the same content, and both re-encode it stably.
    Accepted { message: &'static str },
    /// Both refused it.
    Rejected { message: &'static str },
    /// One accepted and the other refused it, for a documented reason of the decoders' own.
    KnownDifference {
        message: &'static str,
        reason: &'static str,
    },
}

type Compare = fn(&'static str, &MessageDescriptor, &[u8]) -> Result<DecodeOutcome, Problem>;

macro_rules! messages {
    ($($full_name:literal => $type:ty),* $(,)?) => {
        &[$(($full_name, compare::<$type> as Compare)),*]
    };
}

/// Every message of proto/lp_rpc.proto in file order, with its generated type. The selector byte
/// modulo the length picks one, so the order is part of the corpus format: append, never reorder.
const MESSAGES: &[(&str, Compare)] = crate::proto::with_every_message!(messages);

/// The descriptors of [`MESSAGES`], in the same order.
static DESCRIPTORS: LazyLock<Vec<MessageDescriptor>> = LazyLock::new(|| {
    let protocol = Protocol::built_in();
    MESSAGES
        .iter()
        .map(|(name, _)| {
            protocol
                .message(name)
                .unwrap_or_else(|| panic!("{name} is generated from the built-in descriptors"))
        })
        .collect()
});

/// The full names of every message the check covers, in selector order.
pub fn message_names() -> impl Iterator<Item = &'static str> {
    MESSAGES.iter().map(|(name, _)| *name)
}

/// The input that makes [`check_decode`] decode `payload` as `full_name`.
pub fn decode_input(full_name: &str, payload: &[u8]) -> Option<Vec<u8>> {
    let selector = MESSAGES.iter().position(|(name, _)| *name == full_name)?;
    let mut input = vec![u8::try_from(selector).expect("fewer than 256 messages")];
    input.extend_from_slice(payload);
    Some(input)
}

/// Decodes `input[1..]` as the message `input[0]` picks, statically and dynamically. `Err` when
/// the decoders disagree or a decode → encode → decode round trip is not stable.
pub fn check_decode(input: &[u8]) -> Result<DecodeOutcome, Problem> {
    let Some((&selector, payload)) = input.split_first() else {
        return Ok(DecodeOutcome::Empty);
    };
    let index = usize::from(selector) % MESSAGES.len();
    let (name, compare) = MESSAGES[index];
    compare(name, &DESCRIPTORS[index], payload)
}

fn compare<M>(name: &'static str, descriptor: &MessageDescriptor, payload: &[u8]) -> Result<DecodeOutcome, Problem>
where
    M: Message + Default + PartialEq + Debug,
{
    // Dynamic messages print their whole descriptor tree; problems show content through the
    // generated types and canonical bytes instead.
    let problem = |what: String| {
        Problem::new(
            "decode_static_dynamic",
            format!("{name}: {what} (payload 0x{})", hex::encode(payload)),
        )
    };
    let (typed, dynamic) = match (M::decode(payload), DynamicMessage::decode(descriptor.clone(), payload)) {
        (Ok(typed), Ok(dynamic)) => (typed, dynamic),
        (Err(_), Err(_)) => return Ok(DecodeOutcome::Rejected { message: name }),
        (Ok(typed), Err(error)) => {
            return Err(problem(format!(
                "prost accepts ({typed:?}) but prost-reflect refuses: {error}"
            )))
        }
        (Err(_), Ok(_)) if has_map_field_off_wire_type(descriptor, payload) => {
            // prost-reflect 0.16 does not check a map field's wire type: it reads whatever varint
            // follows the tag as the entry's length, where prost refuses the field. Both refuse
            // every other malformed input, so this is the one difference let through.
            return Ok(DecodeOutcome::KnownDifference {
                message: name,
                reason: MAP_WIRE_TYPE,
            });
        }
        (Err(error), Ok(_)) => return Err(problem(format!("prost-reflect accepts but prost refuses: {error}"))),
    };

    // decode → encode → decode gives the same value, and the length prost computes is the length it writes.
    let typed_bytes = typed.encode_to_vec();
    if typed_bytes.len() != typed.encoded_len() {
        return Err(problem(format!(
            "prost wrote {} bytes but encoded_len() said {}",
            typed_bytes.len(),
            typed.encoded_len()
        )));
    }
    let typed_again = M::decode(typed_bytes.as_slice())
        .map_err(|error| problem(format!("prost's re-encoding does not decode: {error}")))?;
    if typed_again != typed {
        return Err(problem(format!(
            "prost's round trip changed the value: {typed:?} became {typed_again:?}"
        )));
    }

    let dynamic_bytes = dynamic.encode_to_vec();
    let dynamic_again = DynamicMessage::decode(descriptor.clone(), dynamic_bytes.as_slice())
        .map_err(|error| problem(format!("prost-reflect's re-encoding does not decode: {error}")))?;
    let (before, after) = (canonical_bytes(&dynamic), canonical_bytes(&dynamic_again));
    if before != after || unknown(&dynamic_again) != unknown(&dynamic) {
        return Err(problem(format!(
            "prost-reflect's round trip changed the value: canonically 0x{} became 0x{}",
            hex::encode(before),
            hex::encode(after)
        )));
    }

    // Same content both ways round. prost drops unknown fields and prost-reflect keeps them: the
    // known fields are what must agree, and each side decoding the other's bytes compares them.
    let transcoded: M = M::decode(dynamic_bytes.as_slice())
        .map_err(|error| problem(format!("prost refuses prost-reflect's re-encoding: {error}")))?;
    if transcoded != typed {
        return Err(problem(format!(
            "static and dynamic content differ: prost read {typed:?}, prost-reflect read {transcoded:?}"
        )));
    }
    let from_typed = DynamicMessage::decode(descriptor.clone(), typed_bytes.as_slice())
        .map_err(|error| problem(format!("prost-reflect refuses prost's re-encoding: {error}")))?;
    let from_typed = canonical_bytes(&from_typed);
    if from_typed != before {
        return Err(problem(format!(
            "static and dynamic content differ: canonically prost read 0x{}, prost-reflect read 0x{}",
            hex::encode(from_typed),
            hex::encode(before)
        )));
    }
    Ok(DecodeOutcome::Accepted { message: name })
}

/// Why [`DecodeOutcome::KnownDifference`] happens for a map field sent with the wrong wire type.
pub const MAP_WIRE_TYPE: &str = "a map field with a wire type other than length-delimited: prost refuses it, \
     prost-reflect 0.16 reads the varint after the tag as the entry's length";

/// Whether, read the way prost reads it, `payload` reaches a map field (in the message or any
/// message nested in it) whose wire type is not length-delimited before it reaches any other
/// malformation.
fn has_map_field_off_wire_type(descriptor: &MessageDescriptor, mut payload: &[u8]) -> bool {
    while !payload.is_empty() {
        let Ok((number, wire_type)) = decode_key(&mut payload) else {
            return false;
        };
        let field = descriptor.get_field(number);
        if field.as_ref().is_some_and(|field| field.is_map()) && wire_type != WireType::LengthDelimited {
            return true;
        }
        let nested = field.as_ref().and_then(|field| field.kind().as_message().cloned());
        match (wire_type, nested) {
            (WireType::LengthDelimited, Some(nested)) => {
                let Ok(len) = decode_varint(&mut payload) else {
                    return false;
                };
                let Some(len) = usize::try_from(len).ok().filter(|len| *len <= payload.len()) else {
                    return false;
                };
                let (inner, rest) = payload.split_at(len);
                if has_map_field_off_wire_type(&nested, inner) {
                    return true;
                }
                payload = rest;
            }
            _ => {
                if skip_field(wire_type, number, &mut payload, DecodeContext::default()).is_err() {
                    return false;
                }
            }
        }
    }
    false
}

/// The unknown fields of a message and of every message nested in it, in field order.
fn unknown(message: &DynamicMessage) -> Vec<UnknownField> {
    let mut found: Vec<UnknownField> = message.unknown_fields().cloned().collect();
    for (_, value) in message.fields() {
        let nested: Vec<&DynamicMessage> = match value {
            Value::Message(nested) => vec![nested],
            Value::List(items) => items.iter().filter_map(Value::as_message).collect(),
            Value::Map(entries) => {
                let mut entries: Vec<_> = entries.iter().collect();
                entries.sort_by_key(|(key, _)| *key);
                entries
                    .into_iter()
                    .filter_map(|(_, value)| value.as_message())
                    .collect()
            }
            _ => Vec::new(),
        };
        for message in nested {
            found.extend(unknown(message));
        }
    }
    found
}
