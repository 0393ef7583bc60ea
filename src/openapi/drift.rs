//! Compares the document's schemas with the protocol's messages, starting from the discovery
//! answer and following each matched property into its schema: properties without a field, fields
//! without a property, types that disagree (including where proto3 JSON writes a value differently
//! from the document), required properties proto3 cannot enforce, names that differ from proto3
//! JSON's, and missing descriptions. Pure: files are loaded by the caller.

use std::collections::HashSet;
use std::fmt::Write as _;

use openapiv3::{OpenAPI, ReferenceOr, Schema};
use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};
use serde::Serialize;

use super::schema::{
    object_properties, object_required, property_for_field, resolve, schema_name, Keywords, SchemaRef,
};

/// Version of the `spec drift --format json` output; bumped on incompatible changes.
pub const DRIFT_FORMAT_VERSION: u32 = 1;

/// What kind of disagreement a drift is; reports list them in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriftKind {
    /// A document property that no proto field stands behind.
    NoField,
    /// A proto field the document does not describe.
    NoProperty,
    /// The types disagree, or proto3 JSON writes the value in another form than the document.
    Type,
    /// The document requires a property; proto3 has no required fields.
    Required,
    /// The document's name differs from the proto3 JSON name.
    Naming,
    /// An object schema or property without a description.
    Description,
}

impl DriftKind {
    pub fn name(self) -> &'static str {
        match self {
            DriftKind::NoField => "no-field",
            DriftKind::NoProperty => "no-property",
            DriftKind::Type => "type",
            DriftKind::Required => "required",
            DriftKind::Naming => "naming",
            DriftKind::Description => "description",
        }
    }
}

/// One disagreement between the document and the protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drift {
    pub kind: DriftKind,
    /// `Schema.property` in the document, or the schema alone.
    pub location: String,
    /// What the document says.
    pub openapi: String,
    /// What the protocol says, and how proto3 JSON writes it.
    pub proto: String,
}

/// The drift between one document and one protocol, from the discovery answer down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftReport {
    pub format_version: u32,
    /// The document's file.
    pub openapi: String,
    /// The protocol's files.
    pub proto: String,
    /// The schema and message the comparison starts from.
    pub schema: String,
    pub message: String,
    pub drifts: Vec<Drift>,
}

/// Compares `info_schema` of the document `api` (named `schema` in the report, its file
/// `openapi_source`), and all it reaches, with `info_message`.
pub(super) fn drift(
    api: &OpenAPI,
    info_schema: &ReferenceOr<Schema>,
    schema: String,
    openapi_source: &str,
    info_message: &MessageDescriptor,
    proto_source: &str,
) -> DriftReport {
    let mut walker = Walker {
        api,
        seen: HashSet::new(),
        drifts: Vec::new(),
    };
    if let Some(resolved) = resolve(api, SchemaRef::Plain(info_schema)) {
        walker.object(&schema, resolved, info_message);
    }
    let mut drifts = walker.drifts;
    drifts.sort_by(|left, right| (left.kind, &left.location).cmp(&(right.kind, &right.location)));
    DriftReport {
        format_version: DRIFT_FORMAT_VERSION,
        openapi: openapi_source.to_string(),
        proto: proto_source.to_string(),
        schema,
        message: info_message.full_name().to_string(),
        drifts,
    }
}

struct Walker<'a> {
    api: &'a OpenAPI,
    /// (schema name, message) pairs already compared: shared schemas are reported once.
    seen: HashSet<(String, String)>,
    drifts: Vec<Drift>,
}

impl<'a> Walker<'a> {
    fn push(&mut self, kind: DriftKind, location: &str, openapi: impl Into<String>, proto: impl Into<String>) {
        self.drifts.push(Drift {
            kind,
            location: location.to_string(),
            openapi: openapi.into(),
            proto: proto.into(),
        });
    }

    fn object(&mut self, name: &str, schema: &'a Schema, message: &MessageDescriptor) {
        if !self.seen.insert((name.to_string(), message.full_name().to_string())) {
            return;
        }
        let api = self.api;
        if is_blank(Keywords::of(schema).description) {
            self.push(
                DriftKind::Description,
                name,
                "no description",
                format!("message {}", message.full_name()),
            );
        }
        let properties = object_properties(api, schema);
        let required = object_required(api, schema);
        for (property, property_schema) in &properties {
            let location = format!("{name}.{property}");
            let field = message
                .fields()
                .find(|field| property_for_field(&[(property, *property_schema)], field).is_some());
            match field {
                None => self.push(
                    DriftKind::NoField,
                    &location,
                    "a property",
                    format!("no field of {} by this name", message.full_name()),
                ),
                Some(field) => self.property(
                    &location,
                    property,
                    *property_schema,
                    &field,
                    required.contains(property),
                ),
            }
        }
        for field in message.fields() {
            if property_for_field(&properties, &field).is_none() {
                self.push(
                    DriftKind::NoProperty,
                    &format!("{name}.{}", field.json_name()),
                    "no property",
                    format!("{} {} = {}", field_type(&field), field.name(), field.number()),
                );
            }
        }
    }

    fn property(&mut self, location: &str, name: &str, schema: SchemaRef<'a>, field: &FieldDescriptor, required: bool) {
        if name != field.json_name() {
            self.push(
                DriftKind::Naming,
                location,
                name,
                format!("{} (proto3 JSON; field `{}`)", field.json_name(), field.name()),
            );
        }
        if required {
            let presence = if field.is_list() || field.is_map() {
                "repeated: an absent list reads as empty"
            } else if field.supports_presence() {
                "optional on the wire; absence is visible"
            } else {
                "scalar: an absent value reads as its default"
            };
            self.push(
                DriftKind::Required,
                location,
                "required",
                format!("proto3 has no required fields ({presence})"),
            );
        }
        let Some(resolved) = resolve(self.api, schema) else {
            return;
        };
        // An inline message schema is an object, whose description `object` checks.
        let message_valued = !field.is_list() && !field.is_map() && matches!(field.kind(), Kind::Message(_));
        if schema.item().is_some() && !message_valued && is_blank(Keywords::of(resolved).description) {
            self.push(DriftKind::Description, location, "no description", field_type(field));
        }
        let keywords = Keywords::of(resolved);
        if field.is_map() {
            let value_field = match field.kind() {
                Kind::Message(entry) => entry.map_entry_value_field(),
                _ => return,
            };
            if !matches!(keywords.typ, None | Some("object")) {
                self.type_drift(location, &keywords, field_type(field), "a map is a JSON object");
                return;
            }
            if let Some(values) = keywords.additional_schema() {
                self.single(&format!("{location}{{}}"), values, &value_field);
            }
        } else if field.is_list() {
            if !matches!(keywords.typ, None | Some("array")) {
                self.type_drift(
                    location,
                    &keywords,
                    field_type(field),
                    "a repeated field is a JSON array",
                );
                return;
            }
            if let Some(items) = keywords.items {
                self.single(&format!("{location}[]"), items, field);
            }
        } else {
            self.single(location, schema, field);
        }
    }

    /// One value of the field's kind (a list item or map value for repeated fields) against `schema`.
    fn single(&mut self, location: &str, schema: SchemaRef<'a>, field: &FieldDescriptor) {
        let Some(resolved) = resolve(self.api, schema) else {
            return;
        };
        let keywords = Keywords::of(resolved);
        let kind = field.kind();
        let proto = kind_name(&kind);
        let Some(typ) = keywords.typ else {
            if let Kind::Message(message) = &kind {
                self.object(&schema_name(schema, location), resolved, message);
            }
            return;
        };
        match (&kind, typ) {
            (Kind::Message(message), "object") => self.object(&schema_name(schema, location), resolved, message),
            (Kind::Bool, "boolean") | (Kind::String, "string") | (Kind::Float | Kind::Double, "number") => {}
            (Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 | Kind::Uint32 | Kind::Fixed32, "integer") => {}
            (Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint64 | Kind::Fixed64, "integer") => {
                self.type_drift(location, &keywords, proto, "proto3 JSON writes it as a decimal string");
            }
            // A string says "decimal" only with an integer format: plain text could be anything, as
            // when a field that was a string is retyped to int64 in a newer proto.
            (Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint64 | Kind::Fixed64, "string") => {
                if !matches!(keywords.format, Some("int64" | "uint64")) {
                    self.type_drift(
                        location,
                        &keywords,
                        proto,
                        "proto3 JSON writes a decimal string; the document declares free text (give format: int64)",
                    );
                }
            }
            (Kind::Bytes, "string") => match keywords.format {
                Some("byte") => {}
                Some("hex") => self.type_drift(location, &keywords, proto, "proto3 JSON writes base64"),
                _ => self.type_drift(
                    location,
                    &keywords,
                    proto,
                    "proto3 JSON writes base64; the document does not say how bytes are written",
                ),
            },
            (Kind::Enum(descriptor), "string") => {
                let names: Vec<String> = descriptor.values().map(|value| value.name().to_string()).collect();
                let listed: Vec<String> = keywords
                    .enumeration
                    .iter()
                    .filter_map(|value| value.as_str().map(String::from))
                    .collect();
                if !keywords.enumeration.is_empty() && listed != names {
                    self.push(
                        DriftKind::Type,
                        location,
                        format!("enum {}", listed.join(", ")),
                        format!("enum {} {}", descriptor.full_name(), names.join(", ")),
                    );
                }
            }
            (Kind::Enum(_), "integer") => {
                self.type_drift(location, &keywords, proto, "proto3 JSON writes the value's name");
            }
            _ => self.type_drift(location, &keywords, proto, "incompatible types"),
        }
    }

    fn type_drift(&mut self, location: &str, keywords: &Keywords<'_>, proto: String, how: &str) {
        let openapi = match (keywords.typ, keywords.format) {
            (Some(typ), Some(format)) => format!("{typ} ({format})"),
            (Some(typ), None) => typ.to_string(),
            (None, _) => "any type".to_string(),
        };
        self.push(DriftKind::Type, location, openapi, format!("{proto}: {how}"));
    }
}

fn is_blank(description: Option<&str>) -> bool {
    description.is_none_or(|text| text.trim().is_empty())
}

/// `repeated uint64`, `map<uint32, uint32>`, `net.PriceInfo`: as the .proto file spells the type.
fn field_type(field: &FieldDescriptor) -> String {
    if field.is_map() {
        if let Kind::Message(entry) = field.kind() {
            return format!(
                "map<{}, {}>",
                kind_name(&entry.map_entry_key_field().kind()),
                kind_name(&entry.map_entry_value_field().kind())
            );
        }
    }
    let kind = kind_name(&field.kind());
    if field.is_list() {
        format!("repeated {kind}")
    } else {
        kind
    }
}

fn kind_name(kind: &Kind) -> String {
    match kind {
        Kind::Double => "double".into(),
        Kind::Float => "float".into(),
        Kind::Int32 => "int32".into(),
        Kind::Int64 => "int64".into(),
        Kind::Uint32 => "uint32".into(),
        Kind::Uint64 => "uint64".into(),
        Kind::Sint32 => "sint32".into(),
        Kind::Sint64 => "sint64".into(),
        Kind::Fixed32 => "fixed32".into(),
        Kind::Fixed64 => "fixed64".into(),
        Kind::Sfixed32 => "sfixed32".into(),
        Kind::Sfixed64 => "sfixed64".into(),
        Kind::Bool => "bool".into(),
        Kind::String => "string".into(),
        Kind::Bytes => "bytes".into(),
        Kind::Message(message) => message.full_name().into(),
        Kind::Enum(descriptor) => descriptor.full_name().into(),
    }
}

impl DriftReport {
    /// Aligned text for people: a header naming both files, then one line per drift.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "OpenAPI  {} (schema {})", self.openapi, self.schema);
        let _ = writeln!(out, "proto    {} (message {})", self.proto, self.message);
        let _ = writeln!(
            out,
            "{} drift{} (informational: drift does not fail a run)",
            self.drifts.len(),
            if self.drifts.len() == 1 { "" } else { "s" }
        );
        if self.drifts.is_empty() {
            return out;
        }
        let header = ("KIND", "WHERE", "OPENAPI", "PROTO");
        let width = |column: fn(&Drift) -> usize, title: &str| {
            self.drifts.iter().map(column).chain([title.len()]).max().unwrap_or(0)
        };
        let kind_width = width(|drift| drift.kind.name().len(), header.0);
        let location_width = width(|drift| drift.location.len(), header.1);
        let openapi_width = width(|drift| drift.openapi.len(), header.2);
        out.push('\n');
        let mut line = |kind: &str, location: &str, openapi: &str, proto: &str| {
            let text = format!("{kind:<kind_width$}  {location:<location_width$}  {openapi:<openapi_width$}  {proto}");
            let _ = writeln!(out, "{}", text.trim_end());
        };
        line(header.0, header.1, header.2, header.3);
        for drift in &self.drifts {
            line(drift.kind.name(), &drift.location, &drift.openapi, &drift.proto);
        }
        out
    }

    /// The report as versioned JSON (`format_version`), for tools; the documents' text (a
    /// hostile one's names) carries what a terminal cannot show safely as `\u` escapes.
    pub fn to_json(&self) -> String {
        crate::escape::json_pretty(self).unwrap_or_default()
    }
}
