//! Renders a decoded message as JSON in the document's convention rather than proto3 JSON's:
//! property names as the document spells them, 64-bit numbers as JSON integers (strings where the
//! document declares `string`), bytes as 0x-hex (base64 where it declares `format: byte`), enums
//! by name (by number where it declares `integer`). Scalars are always written, since proto3
//! cannot tell an absent scalar from its default; messages only when present.
//!
//! For SPEC-001 a long map (`capabilities.constraints.PerCapability[*].models`, `gpu_info`,
//! `capacities`) whose schema judges each entry on its own is checked entry by entry while it is
//! rendered and left out of the JSON: 580 thousand models rendered whole take about 500 bytes
//! each as JSON objects, past a run's memory bound.

use std::sync::LazyLock;

use base64::Engine as _;
use prost::Message as _;
use prost_reflect::{DynamicMessage, Kind, MapKey, MessageDescriptor, ReflectMessage as _, Value as ProtoValue};
use serde_json::{Map, Number, Value};

use super::compiled::{Compiled, MessagePlan, Node, Shape};
use super::validate::{child_key, validate_at, Place, Violation};
use crate::proto::net::OrchestratorInfo;
use crate::protocol::Protocol;

/// The descriptors the static message types were generated from.
static BUILT_IN: LazyLock<Protocol> = LazyLock::new(Protocol::built_in);

/// The message `net.OrchestratorInfo` as the binary was built with it.
pub(super) fn built_in_info() -> MessageDescriptor {
    BUILT_IN
        .message("net.OrchestratorInfo")
        .expect("build.rs generated the OrchestratorInfo type from these descriptors")
}

/// Why a message could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot render OrchestratorInfo as JSON: {0}")]
pub struct RenderError(pub(super) String);

/// A map of more entries than this is checked entry by entry when the schema judges each entry on
/// its own (see the module's note); the same bound as for a long top-level repeated field.
pub(super) const ENTRIES_CHECKED_WHOLE: usize = 1024;

/// `info` as JSON shaped by the discovery answer's schema.
pub(super) fn render_info(compiled: &Compiled, info: &OrchestratorInfo) -> Result<Value, RenderError> {
    Renderer::whole(compiled).info(info)
}

/// As [`render_info`], except that long maps are checked against their schema entry by entry,
/// their violations added to `found`, and rendered as `{}`.
pub(super) fn render_info_checking_long_maps(
    compiled: &Compiled,
    info: &OrchestratorInfo,
    found: &mut Vec<Violation>,
) -> Result<Value, RenderError> {
    Renderer::checking_long_maps(compiled, found).info(info)
}

/// One value of a field of `kind`, as JSON shaped by `shape`: an entry of a repeated field at
/// `place`. Long maps within it are checked as [`render_info_checking_long_maps`] checks them.
pub(super) fn render_value_checking_long_maps(
    compiled: &Compiled,
    kind: &Kind,
    value: ProtoValue,
    shape: &Shape,
    place: &Place<'_>,
    found: &mut Vec<Violation>,
) -> Value {
    Renderer::checking_long_maps(compiled, found).value(kind, value, shape, place)
}

/// Renders by value: each string and byte buffer moves from the decoded message into the JSON
/// (or is dropped once written), so a long answer is not held three times over while rendering.
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

    fn info(&mut self, info: &OrchestratorInfo) -> Result<Value, RenderError> {
        let message = DynamicMessage::decode(built_in_info(), info.encode_to_vec().as_slice())
            .map_err(|error| RenderError(error.to_string()))?;
        let compiled = self.compiled;
        Ok(self.value(
            &Kind::Message(message.descriptor()),
            ProtoValue::Message(message),
            &compiled.info_shape,
            &Place::root("", 0),
        ))
    }

    fn message(&mut self, mut message: DynamicMessage, plan: &MessagePlan, place: &Place<'_>) -> Value {
        let mut object = Map::new();
        for field in &plan.fields {
            if field.supports_presence && !message.has_field(&field.field) {
                continue;
            }
            let value = message
                .take_field(&field.field)
                .unwrap_or_else(|| ProtoValue::default_value_for_field(&field.field));
            let rendered = self.value(&field.kind, value, &field.shape, &place.name(&field.name));
            object.insert(field.name.clone(), rendered);
        }
        Value::Object(object)
    }

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
        let element = || shape.element.as_deref().unwrap_or(&NO_SHAPE);
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
            ProtoValue::Message(message) => match shape.message {
                Some(plan) => self.message(message, compiled.plan(plan), place),
                // Only the built-in OrchestratorInfo's messages are rendered, and all are planned.
                None => Value::Object(Map::new()),
            },
            ProtoValue::List(items) => {
                let item_shape = element();
                let mut array = Vec::with_capacity(items.len());
                for (index, item) in items.into_iter().enumerate() {
                    array.push(self.value(kind, item, item_shape, &place.index(index)));
                }
                Value::Array(array)
            }
            ProtoValue::Map(entries) => {
                // A map field's kind is its entry message; the values have the entry's value kind.
                let value_kind = match kind {
                    Kind::Message(entry) => entry.map_entry_value_field().kind(),
                    other => other.clone(),
                };
                let entry_schema = schema
                    .filter(|schema| schema.judges_entries_alone())
                    .and_then(Node::additional_schema)
                    .filter(|_| self.long_map_violations.is_some() && entries.len() > ENTRIES_CHECKED_WHOLE);
                let value_shape = element();
                let mut object = Map::new();
                let map_path = entry_schema.map(|_| place.path());
                let depth = entry_schema.map(|_| place.depth() + 1);
                for (key, value) in entries {
                    let key = map_key(key);
                    let rendered = self.value(&value_kind, value, value_shape, &place.name(&key));
                    match (entry_schema, &map_path, depth, self.long_map_violations.as_deref_mut()) {
                        (Some(entry_schema), Some(map_path), Some(depth), Some(found)) => {
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
                Value::Object(object)
            }
        }
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
