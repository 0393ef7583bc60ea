//! Renders an encoded message as JSON in the document's convention rather than proto3 JSON's:
//! property names as the document spells them, 64-bit numbers as JSON integers (strings where the
//! document declares `string`), bytes as 0x-hex (base64 where it declares `format: byte`), enums
//! by name (by number where it declares `integer`). Scalars are always written, since proto3
//! cannot tell an absent scalar from its default; messages only when present.
//!
//! For SPEC-001 a long map (`capabilities.constraints.PerCapability[*].models`, `gpu_info`,
//! `capacities`) whose schema judges each entry on its own is checked entry by entry while it is
//! rendered and left out of the JSON: 580 thousand models rendered whole take about 500 bytes
//! each as JSON objects, past a run's memory bound.

use std::borrow::Cow;
use std::collections::HashMap;

use base64::Engine as _;
use prost::Message as _;
use prost_reflect::{DynamicMessage, Kind, MapKey, MessageDescriptor, Value as ProtoValue};
use serde_json::{Map, Number, Value};

use super::compiled::{built_in_info, Compiled, Node, Shape};
use super::records::{for_each_record, RenderError};
use super::validate::{child_key, validate_at, Place, Violation};
use crate::proto::net::OrchestratorInfo;

/// A map of more entries than this is checked entry by entry when the schema judges each entry on
/// its own (see the module's note); the same bound as for a long top-level repeated field.
pub(super) const ENTRIES_CHECKED_WHOLE: usize = 1024;

/// `info` as JSON shaped by the discovery answer's schema.
pub(super) fn render_info(compiled: &Compiled, info: &OrchestratorInfo) -> Result<Value, RenderError> {
    Renderer::whole(compiled).info(&info.encode_to_vec())
}

/// As [`render_info`], given the answer encoded from a typed message, except that long maps are
/// checked against their schema entry by entry, their violations added to `found`, and rendered
/// as `{}`.
pub(super) fn render_encoded_info_checking_long_maps(
    compiled: &Compiled,
    encoded: &[u8],
    found: &mut Vec<Violation>,
) -> Result<Value, RenderError> {
    Renderer::checking_long_maps(compiled, found).info(encoded)
}

/// One entry of a repeated field of `kind` (a message or a string), given its encoded payload,
/// as JSON shaped by `shape`: the entry at `place`. Long maps within it are checked as
/// [`render_encoded_info_checking_long_maps`] checks them.
pub(super) fn render_entry_checking_long_maps(
    compiled: &Compiled,
    kind: &Kind,
    payload: &[u8],
    shape: &Shape,
    place: &Place<'_>,
    found: &mut Vec<Violation>,
) -> Result<Value, RenderError> {
    let mut renderer = Renderer::checking_long_maps(compiled, found);
    match kind {
        Kind::Message(descriptor) => renderer.encoded_message(descriptor, payload, shape, place),
        _ => String::from_utf8(payload.to_vec())
            .map(Value::String)
            .map_err(|error| RenderError(error.to_string())),
    }
}

/// Renders from the encoding one message at a time: a message's scalars, strings and bytes are
/// decoded when it is rendered and move into the JSON, and the messages within it (entries of
/// maps and lists too) stay encoded until their turn, so a long answer is never held decoded
/// whole beside its rendering. The encoding is always one a typed message made (every map key
/// and every singular field once), which is what lets a map's entries be taken one by one.
struct Renderer<'c, 'f> {
    compiled: &'c Compiled,
    /// Where long maps' violations go, when they are checked entry by entry.
    long_map_violations: Option<&'f mut Vec<Violation>>,
}

impl<'c, 'f> Renderer<'c, 'f> {
    fn whole(compiled: &'c Compiled) -> Self {
        Self {
            compiled,
            long_map_violations: None,
        }
    }

    fn checking_long_maps(compiled: &'c Compiled, found: &'f mut Vec<Violation>) -> Self {
        Self {
            compiled,
            long_map_violations: Some(found),
        }
    }

    fn info(&mut self, encoded: &[u8]) -> Result<Value, RenderError> {
        let compiled = self.compiled;
        self.encoded_message(&built_in_info(), encoded, &compiled.info_shape, &Place::root("", 0))
    }

    fn encoded_message(
        &mut self,
        descriptor: &MessageDescriptor,
        encoded: &[u8],
        shape: &Shape,
        place: &Place<'_>,
    ) -> Result<Value, RenderError> {
        let compiled = self.compiled;
        // Only the built-in OrchestratorInfo's messages are rendered, and all are planned.
        let Some(plan) = shape.message.map(|plan| compiled.plan(plan)) else {
            return Ok(Value::Object(Map::new()));
        };
        let of_messages = |number| {
            plan.fields
                .iter()
                .any(|field| field.field.number() == number && matches!(field.kind, Kind::Message(_)))
        };
        let (mut message, mut within) = decoded_but(descriptor, encoded, of_messages)?;
        let mut object = Map::new();
        for field in &plan.fields {
            let name = place.name(&field.name);
            let rendered = if let Kind::Message(inner) = &field.kind {
                let payloads = within.remove(&field.field.number()).unwrap_or_default();
                if field.field.is_map() {
                    self.encoded_map(inner, &payloads, &field.shape, &name)?
                } else if field.field.is_list() {
                    let item_shape = field.shape.element.as_deref().unwrap_or(&NO_SHAPE);
                    let mut array = Vec::with_capacity(payloads.len());
                    for (index, payload) in payloads.into_iter().enumerate() {
                        array.push(self.encoded_message(inner, payload, item_shape, &name.index(index))?);
                    }
                    Value::Array(array)
                } else if payloads.is_empty() && field.supports_presence {
                    continue;
                } else {
                    self.encoded_message(inner, &merged(&payloads), &field.shape, &name)?
                }
            } else {
                if field.supports_presence && !message.has_field(&field.field) {
                    continue;
                }
                let value = message
                    .take_field(&field.field)
                    .unwrap_or_else(|| ProtoValue::default_value_for_field(&field.field));
                self.value(&field.kind, value, &field.shape, &name)
            };
            object.insert(field.name.clone(), rendered);
        }
        Ok(Value::Object(object))
    }

    /// A map field's entries, each an encoded entry message of `entry`. A long map whose schema
    /// judges each entry on its own is checked entry by entry and rendered as `{}` when long maps
    /// are checked.
    fn encoded_map(
        &mut self,
        entry: &MessageDescriptor,
        entries: &[&[u8]],
        shape: &Shape,
        place: &Place<'_>,
    ) -> Result<Value, RenderError> {
        let compiled = self.compiled;
        let entry_schema = shape
            .node
            .map(|node| compiled.node(node))
            .filter(|schema| schema.judges_entries_alone())
            .and_then(Node::additional_schema)
            .filter(|_| self.long_map_violations.is_some() && entries.len() > ENTRIES_CHECKED_WHOLE);
        let key_field = entry.map_entry_key_field();
        let value_field = entry.map_entry_value_field();
        let value_kind = value_field.kind();
        let value_shape = shape.element.as_deref().unwrap_or(&NO_SHAPE);
        let map_path = entry_schema.map(|_| place.path());
        let depth = place.depth() + 1;
        let mut object = Map::new();
        let value_number = value_field.number();
        let value_is_message = matches!(value_kind, Kind::Message(_));
        for encoded in entries {
            let (mut decoded, mut within) =
                decoded_but(entry, encoded, |number| value_is_message && number == value_number)?;
            let key = decoded
                .take_field(&key_field)
                .unwrap_or_else(|| ProtoValue::default_value_for_field(&key_field))
                .into_map_key()
                .map(map_key)
                .ok_or_else(|| RenderError("a map entry whose key is not a map key".into()))?;
            let name = place.name(&key);
            let rendered = match &value_kind {
                Kind::Message(inner) => {
                    let payloads = within.remove(&value_number).unwrap_or_default();
                    self.encoded_message(inner, &merged(&payloads), value_shape, &name)?
                }
                scalar => {
                    let value = decoded
                        .take_field(&value_field)
                        .unwrap_or_else(|| ProtoValue::default_value_for_field(&value_field));
                    self.value(scalar, value, value_shape, &name)
                }
            };
            match (entry_schema, &map_path, self.long_map_violations.as_deref_mut()) {
                (Some(entry_schema), Some(map_path), Some(found)) => {
                    let path = child_key(map_path, &key);
                    validate_at(
                        compiled,
                        entry_schema,
                        &rendered,
                        &Place::root(&path, depth),
                        depth,
                        found,
                    );
                }
                _ => {
                    object.insert(key, rendered);
                }
            }
        }
        Ok(Value::Object(object))
    }

    /// A scalar, string, bytes or enum value, or a list of them.
    fn value(&mut self, kind: &Kind, value: ProtoValue, shape: &Shape, place: &Place<'_>) -> Value {
        let compiled = self.compiled;
        let schema = shape.node.map(|node| compiled.node(node));
        let declared_type = schema.and_then(|schema| schema.typ.as_deref());
        let declared_format = schema.and_then(|schema| schema.format.as_deref());
        let wide = |number: Value| {
            if declared_type == Some("string") {
                Value::String(number.to_string())
            } else {
                number
            }
        };
        match value {
            ProtoValue::Bool(flag) => Value::Bool(flag),
            ProtoValue::I32(number) => Value::from(number),
            ProtoValue::U32(number) => Value::from(number),
            ProtoValue::I64(number) => wide(Value::from(number)),
            ProtoValue::U64(number) => wide(Value::from(number)),
            ProtoValue::F32(number) => float(f64::from(number)),
            ProtoValue::F64(number) => float(number),
            ProtoValue::String(text) => Value::String(text),
            ProtoValue::Bytes(bytes) if declared_format == Some("byte") => {
                Value::String(base64::engine::general_purpose::STANDARD.encode(bytes))
            }
            ProtoValue::Bytes(bytes) => Value::String(format!("0x{}", hex::encode(bytes))),
            ProtoValue::EnumNumber(number) => {
                let name = match kind {
                    Kind::Enum(descriptor) if declared_type != Some("integer") => descriptor.get_value(number),
                    _ => None,
                };
                name.map_or_else(|| Value::from(number), |value| Value::from(value.name()))
            }
            ProtoValue::List(items) => {
                let item_shape = shape.element.as_deref().unwrap_or(&NO_SHAPE);
                let mut array = Vec::with_capacity(items.len());
                for (index, item) in items.into_iter().enumerate() {
                    array.push(self.value(kind, item, item_shape, &place.index(index)));
                }
                Value::Array(array)
            }
            // Messages and maps are rendered from their encoding (`encoded_message`), so a decoded
            // one is never given.
            ProtoValue::Message(_) | ProtoValue::Map(_) => Value::Object(Map::new()),
        }
    }
}

/// The still encoded payloads of a message's fields of message kind, by field number, in order.
type Within<'b> = HashMap<u32, Vec<&'b [u8]>>;

/// `encoded` decoded as `descriptor` but for the fields `of_messages` names (those of message
/// kind: messages, lists of them and maps), whose records' payloads are given by field number,
/// still encoded, in order.
fn decoded_but<'b>(
    descriptor: &MessageDescriptor,
    encoded: &'b [u8],
    of_messages: impl Fn(u32) -> bool,
) -> Result<(DynamicMessage, Within<'b>), RenderError> {
    let mut rest = Vec::new();
    let mut within = Within::new();
    for_each_record(encoded, |number, payload, record| match payload {
        Some(payload) if of_messages(number) => within.entry(number).or_default().push(payload),
        _ => rest.extend_from_slice(record),
    })?;
    let decoded =
        DynamicMessage::decode(descriptor.clone(), rest.as_slice()).map_err(|error| RenderError(error.to_string()))?;
    Ok((decoded, within))
}

/// A singular message's records as one encoding: protobuf merges them in order, as their
/// concatenation decodes.
fn merged<'b>(payloads: &[&'b [u8]]) -> Cow<'b, [u8]> {
    match payloads {
        [] => Cow::Borrowed(&[]),
        [one] => Cow::Borrowed(one),
        several => Cow::Owned(several.concat()),
    }
}

/// The shape of a value no schema describes.
static NO_SHAPE: Shape = Shape {
    node: None,
    message: None,
    element: None,
};

/// Map keys are JSON object keys: always strings, numbers in decimal.
fn map_key(key: MapKey) -> String {
    match key {
        MapKey::Bool(flag) => flag.to_string(),
        MapKey::I32(number) => number.to_string(),
        MapKey::I64(number) => number.to_string(),
        MapKey::U32(number) => number.to_string(),
        MapKey::U64(number) => number.to_string(),
        MapKey::String(text) => text,
    }
}

/// JSON has no NaN or infinities; proto3 JSON writes them as these strings.
fn float(number: f64) -> Value {
    match Number::from_f64(number) {
        Some(number) => Value::Number(number),
        None if number.is_nan() => Value::from("NaN"),
        None if number > 0.0 => Value::from("Infinity"),
        None => Value::from("-Infinity"),
    }
}
