//! A deterministic encoding of a dynamic message: known fields in field-number order, map entries
//! sorted by key, unknown fields left out. prost and prost-reflect both write maps in hash order,
//! which differs between runs, so neither their bytes nor a byte comparison of them is stable.

use prost::encoding::{encode_key, encode_varint, WireType};
use prost::Message as _;
use prost_reflect::{DynamicMessage, ReflectMessage as _, Value};

/// The same bytes for the same known content, on every run. Decodes to the message it came from
/// (less its unknown fields).
pub fn canonical_bytes(message: &DynamicMessage) -> Vec<u8> {
    let mut out = Vec::new();
    let mut fields: Vec<_> = message.fields().collect();
    fields.sort_by_key(|(field, _)| field.number());
    for (field, value) in fields {
        match value {
            Value::Map(entries) => {
                let entry = field.kind();
                let entry = entry.as_message().expect("a map field's kind is its entry message");
                let mut entries: Vec<_> = entries.iter().collect();
                entries.sort_by_key(|(key, _)| *key);
                for (key, value) in entries {
                    let mut pair = DynamicMessage::new(entry.clone());
                    pair.set_field(&entry.map_entry_key_field(), Value::from(key.clone()));
                    pair.set_field(&entry.map_entry_value_field(), value.clone());
                    length_delimited(field.number(), &canonical_bytes(&pair), &mut out);
                }
            }
            Value::Message(nested) => length_delimited(field.number(), &canonical_bytes(nested), &mut out),
            Value::List(items) if field.kind().as_message().is_some() => {
                for item in items {
                    if let Value::Message(nested) = item {
                        length_delimited(field.number(), &canonical_bytes(nested), &mut out);
                    }
                }
            }
            scalar => {
                // A message holding only this field: prost-reflect writes scalars (packed or not)
                // in one well-defined way, so there is nothing to sort.
                let mut single = DynamicMessage::new(message.descriptor());
                single.set_field(&field, scalar.clone());
                single.encode_raw(&mut out);
            }
        }
    }
    out
}

fn length_delimited(number: u32, payload: &[u8], out: &mut Vec<u8>) {
    encode_key(number, WireType::LengthDelimited, out);
    encode_varint(payload.len() as u64, out);
    out.extend_from_slice(payload);
}
