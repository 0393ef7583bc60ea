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
use openapiv3::{OpenAPI, Schema};
use prost::Message as _;
use prost_reflect::{DynamicMessage, Kind, MapKey, MessageDescriptor, ReflectMessage as _, Value as ProtoValue};
use serde_json::{Map, Number, Value};

use super::schema::{object_properties, property_for_field, resolve, Keywords, SchemaRef};
use super::validate::{child_key, validate_at, Violation};
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

/// `info` as JSON shaped by `schema` (the discovery answer's schema).
pub(super) fn render_info(api: &OpenAPI, schema: SchemaRef<'_>, info: &OrchestratorInfo) -> Result<Value, RenderError> {
    let mut renderer = Renderer::whole(api);
    renderer.info(schema, info)
}

/// As [`render_info`], except that long maps are checked against `schema` entry by entry, their
/// violations added to `found`, and rendered as `{}`.
pub(super) fn render_info_checking_long_maps(
    api: &OpenAPI,
    schema: SchemaRef<'_>,
    info: &OrchestratorInfo,
    found: &mut Vec<Violation>,
) -> Result<Value, RenderError> {
    let mut renderer = Renderer::checking_long_maps(api, found);
    renderer.info(schema, info)
}

/// One value of a field of `kind`, as JSON shaped by `schema`: an entry of a repeated field at
/// `path`, `depth` levels into the answer. Long maps within it are checked as
/// [`render_info_checking_long_maps`] checks them.
pub(super) fn render_value_checking_long_maps<'a>(
    api: &'a OpenAPI,
    kind: &Kind,
    value: ProtoValue,
    schema: SchemaRef<'a>,
    (path, depth): (&str, usize),
    found: &mut Vec<Violation>,
) -> Value {
    let place = Place {
        parent: None,
        key: Key::Root { path, depth },
    };
    Renderer::checking_long_maps(api, found).value(kind, value, resolve(api, schema), &place)
}

/// Where a value sits in the answer, as the validator spells paths, and how deep: its text is
/// built only for a long map, so rendering costs no string per value.
struct Place<'p> {
    parent: Option<&'p Place<'p>>,
    key: Key<'p>,
}

enum Key<'p> {
    /// Where rendering started: the answer (`""`, depth 0) or an entry of a long repeated field.
    Root { path: &'p str, depth: usize },
    /// A property of an object, or the key of a map entry.
    Name(&'p str),
    /// An entry of a list.
    Index(usize),
}

impl Place<'_> {
    fn depth(&self) -> usize {
        match (self.parent, &self.key) {
            (_, Key::Root { depth, .. }) => *depth,
            (Some(parent), _) => parent.depth() + 1,
            (None, _) => 0,
        }
    }

    fn path(&self) -> String {
        let parent = || self.parent.map(Place::path).unwrap_or_default();
        match &self.key {
            Key::Root { path, .. } => path.to_string(),
            Key::Name(name) => child_key(&parent(), name),
            Key::Index(index) => format!("{}[{index}]", parent()),
        }
    }
}

/// Renders by value: each string and byte buffer moves from the decoded message into the JSON
/// (or is dropped once written), so a long answer is not held three times over while rendering.
struct Renderer<'a, 'f> {
    api: &'a OpenAPI,
    /// Where long maps' violations go, when they are checked entry by entry.
    long_map_violations: Option<&'f mut Vec<Violation>>,
}

impl<'a, 'f> Renderer<'a, 'f> {
    fn whole(api: &'a OpenAPI) -> Self {
        Self {
            api,
            long_map_violations: None,
        }
    }

    fn checking_long_maps(api: &'a OpenAPI, found: &'f mut Vec<Violation>) -> Self {
        Self {
            api,
            long_map_violations: Some(found),
        }
    }

    fn info(&mut self, schema: SchemaRef<'a>, info: &OrchestratorInfo) -> Result<Value, RenderError> {
        let message = DynamicMessage::decode(built_in_info(), info.encode_to_vec().as_slice())
            .map_err(|error| RenderError(error.to_string()))?;
        let answer = Place {
            parent: None,
            key: Key::Root { path: "", depth: 0 },
        };
        Ok(self.message(message, resolve(self.api, schema), &answer))
    }

    fn message(&mut self, mut message: DynamicMessage, schema: Option<&'a Schema>, place: &Place<'_>) -> Value {
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
            let child = Place {
                parent: Some(place),
                key: Key::Name(&name),
            };
            let rendered = self.value(&field.kind(), value, property, &child);
            object.insert(name, rendered);
        }
        Value::Object(object)
    }

    fn value(&mut self, kind: &Kind, value: ProtoValue, schema: Option<&'a Schema>, place: &Place<'_>) -> Value {
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
            ProtoValue::Message(message) => self.message(message, schema, place),
            ProtoValue::List(items) => {
                let item_schema = keywords
                    .and_then(|keywords| keywords.items)
                    .and_then(|items| resolve(self.api, items));
                let mut array = Vec::with_capacity(items.len());
                for (index, item) in items.into_iter().enumerate() {
                    let child = Place {
                        parent: Some(place),
                        key: Key::Index(index),
                    };
                    array.push(self.value(kind, item, item_schema, &child));
                }
                Value::Array(array)
            }
            ProtoValue::Map(entries) => {
                // A map field's kind is its entry message; the values have the entry's value kind.
                let value_kind = match kind {
                    Kind::Message(entry) => entry.map_entry_value_field().kind(),
                    other => other.clone(),
                };
                let entry_schema = keywords
                    .as_ref()
                    .filter(|keywords| keywords.judges_entries_alone())
                    .and_then(Keywords::additional_schema)
                    .filter(|_| self.long_map_violations.is_some() && entries.len() > ENTRIES_CHECKED_WHOLE);
                let value_schema = keywords
                    .and_then(|keywords| keywords.additional_schema())
                    .and_then(|additional| resolve(self.api, additional));
                let mut object = Map::new();
                let map_path = entry_schema.map(|_| place.path());
                for (key, value) in entries {
                    let key = map_key(key);
                    let child = Place {
                        parent: Some(place),
                        key: Key::Name(&key),
                    };
                    let rendered = self.value(&value_kind, value, value_schema, &child);
                    match (entry_schema, &map_path, self.long_map_violations.as_deref_mut()) {
                        (Some(entry_schema), Some(map_path), Some(found)) => {
                            let path = child_key(map_path, &key);
                            validate_at(self.api, entry_schema, &rendered, &path, place.depth() + 1, found);
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
