//! Renders a decoded message as JSON in the document's convention rather than proto3 JSON's:
//! property names as the document spells them, 64-bit numbers as JSON integers (strings where the
//! document declares `string`), bytes as 0x-hex (base64 where it declares `format: byte`), enums
//! by name (by number where it declares `integer`). Scalars are always written, since proto3
//! cannot tell an absent scalar from its default; messages only when present.

use std::sync::LazyLock;

use base64::Engine as _;
use openapiv3::{OpenAPI, Schema};
use prost::Message as _;
use prost_reflect::{DynamicMessage, Kind, MapKey, MessageDescriptor, ReflectMessage as _, Value as ProtoValue};
use serde_json::{Map, Number, Value};

use super::schema::{object_properties, property_for_field, resolve, Keywords, SchemaRef};
use crate::proto::net::OrchestratorInfo;
use crate::spec::ProtoSpec;

/// The descriptors the static message types were generated from.
static BUILT_IN: LazyLock<ProtoSpec> = LazyLock::new(ProtoSpec::built_in);

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

/// `info` as JSON shaped by `schema` (the discovery answer's schema).
pub(super) fn render_info(api: &OpenAPI, schema: SchemaRef<'_>, info: &OrchestratorInfo) -> Result<Value, RenderError> {
    let message = DynamicMessage::decode(built_in_info(), info.encode_to_vec().as_slice())
        .map_err(|error| RenderError(error.to_string()))?;
    Ok(Renderer { api }.message(message, resolve(api, schema)))
}

/// One value of a field of `kind`, as JSON shaped by `schema`: an entry of a repeated field.
pub(super) fn render_value<'a>(api: &'a OpenAPI, kind: &Kind, value: ProtoValue, schema: SchemaRef<'a>) -> Value {
    Renderer { api }.value(kind, value, resolve(api, schema))
}

/// Renders by value: each string and byte buffer moves from the decoded message into the JSON
/// (or is dropped once written), so a long answer is not held three times over while rendering.
struct Renderer<'a> {
    api: &'a OpenAPI,
}

impl<'a> Renderer<'a> {
    fn message(&self, mut message: DynamicMessage, schema: Option<&'a Schema>) -> Value {
        let properties = schema
            .map(|schema| object_properties(self.api, schema))
            .unwrap_or_default();
        let mut object = Map::new();
        for field in message.descriptor().fields() {
            if field.supports_presence() && !message.has_field(&field) {
                continue;
            }
            let (name, property) = match property_for_field(&properties, &field) {
                Some((name, property)) => (name.to_string(), resolve(self.api, property)),
                None => (field.name().to_string(), None),
            };
            let value = message
                .take_field(&field)
                .unwrap_or_else(|| ProtoValue::default_value_for_field(&field));
            object.insert(name, self.value(&field.kind(), value, property));
        }
        Value::Object(object)
    }

    fn value(&self, kind: &Kind, value: ProtoValue, schema: Option<&'a Schema>) -> Value {
        let keywords = schema.map(Keywords::of);
        let declared_type = keywords.as_ref().and_then(|keywords| keywords.typ);
        let declared_format = keywords.as_ref().and_then(|keywords| keywords.format);
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
            ProtoValue::Message(message) => self.message(message, schema),
            ProtoValue::List(items) => {
                let item_schema = keywords
                    .and_then(|keywords| keywords.items)
                    .and_then(|items| resolve(self.api, items));
                Value::Array(
                    items
                        .into_iter()
                        .map(|item| self.value(kind, item, item_schema))
                        .collect(),
                )
            }
            ProtoValue::Map(entries) => {
                // A map field's kind is its entry message; the values have the entry's value kind.
                let value_kind = match kind {
                    Kind::Message(entry) => entry.map_entry_value_field().kind(),
                    other => other.clone(),
                };
                let value_schema = keywords
                    .and_then(|keywords| keywords.additional_schema())
                    .and_then(|additional| resolve(self.api, additional));
                let object = entries
                    .into_iter()
                    .map(|(key, value)| (map_key(key), self.value(&value_kind, value, value_schema)))
                    .collect();
                Value::Object(object)
            }
        }
    }
}

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
