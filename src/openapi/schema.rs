//! One view of the schema keywords lpconform reads, over openapiv3's typed and catch-all schema
//! shapes, plus `$ref` resolution inside one document and the property ↔ proto field name match.

use std::borrow::Cow;

use openapiv3::{
    AdditionalProperties, IntegerFormat, NumberFormat, OpenAPI, ReferenceOr, Schema, SchemaKind, StringFormat, Type,
    VariantOrUnknownOrEmpty,
};
use prost_reflect::FieldDescriptor;
use serde_json::Value;

/// The only references lpconform follows: schemas of the same document.
pub(super) const SCHEMA_REF_PREFIX: &str = "#/components/schemas/";

/// A `$ref` chain longer than this is taken as a cycle.
pub(super) const MAX_REF_HOPS: usize = 32;

/// The six types of OpenAPI 3.0.
pub(super) const TYPES: [&str; 6] = ["string", "number", "integer", "boolean", "array", "object"];

/// A subschema, however openapiv3 holds it (some positions box their schemas, some do not).
#[derive(Debug, Clone, Copy)]
pub(super) enum SchemaRef<'a> {
    Plain(&'a ReferenceOr<Schema>),
    Boxed(&'a ReferenceOr<Box<Schema>>),
}

impl<'a> SchemaRef<'a> {
    /// The `$ref` text, when this is a reference.
    pub(super) fn reference(self) -> Option<&'a str> {
        match self {
            SchemaRef::Plain(ReferenceOr::Reference { reference })
            | SchemaRef::Boxed(ReferenceOr::Reference { reference }) => Some(reference),
            _ => None,
        }
    }

    /// The schema written in place, when this is not a reference.
    pub(super) fn item(self) -> Option<&'a Schema> {
        match self {
            SchemaRef::Plain(ReferenceOr::Item(schema)) => Some(schema),
            SchemaRef::Boxed(ReferenceOr::Item(schema)) => Some(schema),
            _ => None,
        }
    }
}

/// The keywords of one schema, not including those of its subschemas.
pub(super) struct Keywords<'a> {
    pub typ: Option<&'a str>,
    pub format: Option<&'a str>,
    pub nullable: bool,
    pub description: Option<&'a str>,
    /// Allowed values; empty when any value of the type is allowed.
    pub enumeration: Vec<Value>,
    pub properties: Vec<(&'a str, SchemaRef<'a>)>,
    pub required: &'a [String],
    pub additional_properties: Option<&'a AdditionalProperties>,
    pub items: Option<SchemaRef<'a>>,
    pub all_of: Vec<SchemaRef<'a>>,
    pub any_of: Vec<SchemaRef<'a>>,
    pub one_of: Vec<SchemaRef<'a>>,
    pub not: Option<SchemaRef<'a>>,
}

impl<'a> Keywords<'a> {
    pub(super) fn of(schema: &'a Schema) -> Keywords<'a> {
        let data = &schema.schema_data;
        let mut keywords = Keywords {
            typ: None,
            format: None,
            nullable: data.nullable,
            description: data.description.as_deref(),
            enumeration: Vec::new(),
            properties: Vec::new(),
            required: &[],
            additional_properties: None,
            items: None,
            all_of: Vec::new(),
            any_of: Vec::new(),
            one_of: Vec::new(),
            not: None,
        };
        match &schema.schema_kind {
            SchemaKind::Type(typed) => keywords.read_type(typed),
            SchemaKind::AllOf { all_of } => keywords.all_of = all_of.iter().map(SchemaRef::Plain).collect(),
            SchemaKind::AnyOf { any_of } => keywords.any_of = any_of.iter().map(SchemaRef::Plain).collect(),
            SchemaKind::OneOf { one_of } => keywords.one_of = one_of.iter().map(SchemaRef::Plain).collect(),
            SchemaKind::Not { not } => keywords.not = Some(SchemaRef::Plain(not)),
            SchemaKind::Any(any) => {
                keywords.typ = any.typ.as_deref();
                keywords.format = any.format.as_deref();
                keywords.enumeration = any.enumeration.clone();
                keywords.properties = properties(&any.properties);
                keywords.required = &any.required;
                keywords.additional_properties = any.additional_properties.as_ref();
                keywords.items = any.items.as_ref().map(SchemaRef::Boxed);
                keywords.all_of = any.all_of.iter().map(SchemaRef::Plain).collect();
                keywords.any_of = any.any_of.iter().map(SchemaRef::Plain).collect();
                keywords.one_of = any.one_of.iter().map(SchemaRef::Plain).collect();
                keywords.not = any.not.as_deref().map(SchemaRef::Plain);
            }
        }
        keywords
    }

    fn read_type(&mut self, typed: &'a Type) {
        match typed {
            Type::String(string) => {
                self.typ = Some("string");
                self.format = format_name(&string.format, |format| match format {
                    StringFormat::Date => "date",
                    StringFormat::DateTime => "date-time",
                    StringFormat::Password => "password",
                    StringFormat::Byte => "byte",
                    StringFormat::Binary => "binary",
                });
                self.enumeration = enumeration(&string.enumeration, |value| Value::from(value.as_str()));
            }
            Type::Number(number) => {
                self.typ = Some("number");
                self.format = format_name(&number.format, |format| match format {
                    NumberFormat::Float => "float",
                    NumberFormat::Double => "double",
                });
                self.enumeration = enumeration(&number.enumeration, |value| Value::from(*value));
            }
            Type::Integer(integer) => {
                self.typ = Some("integer");
                self.format = format_name(&integer.format, |format| match format {
                    IntegerFormat::Int32 => "int32",
                    IntegerFormat::Int64 => "int64",
                });
                self.enumeration = enumeration(&integer.enumeration, |value| Value::from(*value));
            }
            Type::Boolean(boolean) => {
                self.typ = Some("boolean");
                self.enumeration = enumeration(&boolean.enumeration, |value| Value::from(*value));
            }
            Type::Object(object) => {
                self.typ = Some("object");
                self.properties = properties(&object.properties);
                self.required = &object.required;
                self.additional_properties = object.additional_properties.as_ref();
            }
            Type::Array(array) => {
                self.typ = Some("array");
                self.items = array.items.as_ref().map(SchemaRef::Boxed);
            }
        }
    }

    /// Every direct subschema with the JSON-pointer suffix that reaches it.
    pub(super) fn subschemas(&self) -> Vec<(String, SchemaRef<'a>)> {
        let mut found: Vec<(String, SchemaRef<'a>)> = self
            .properties
            .iter()
            .map(|(name, schema)| (format!("/properties/{}", escape_pointer(name)), *schema))
            .collect();
        found.extend(self.items.map(|items| ("/items".to_string(), items)));
        if let Some(AdditionalProperties::Schema(schema)) = self.additional_properties {
            found.push(("/additionalProperties".to_string(), SchemaRef::Plain(schema)));
        }
        for (keyword, list) in [
            ("allOf", &self.all_of),
            ("anyOf", &self.any_of),
            ("oneOf", &self.one_of),
        ] {
            found.extend(
                list.iter()
                    .enumerate()
                    .map(|(index, schema)| (format!("/{keyword}/{index}"), *schema)),
            );
        }
        found.extend(self.not.map(|not| ("/not".to_string(), not)));
        found
    }

    /// The schema of additional property values, when it is a schema rather than a yes/no.
    pub(super) fn additional_schema(&self) -> Option<SchemaRef<'a>> {
        match self.additional_properties {
            Some(AdditionalProperties::Schema(schema)) => Some(SchemaRef::Plain(schema)),
            _ => None,
        }
    }
}

/// openapiv3 keeps properties in an `IndexMap`; taking any map iterator avoids naming its type.
fn properties<'a>(
    map: impl IntoIterator<Item = (&'a String, &'a ReferenceOr<Box<Schema>>)>,
) -> Vec<(&'a str, SchemaRef<'a>)> {
    map.into_iter()
        .map(|(name, schema)| (name.as_str(), SchemaRef::Boxed(schema)))
        .collect()
}

fn format_name<T>(format: &VariantOrUnknownOrEmpty<T>, name: fn(&T) -> &'static str) -> Option<&str> {
    match format {
        VariantOrUnknownOrEmpty::Item(known) => Some(name(known)),
        VariantOrUnknownOrEmpty::Unknown(text) => Some(text),
        VariantOrUnknownOrEmpty::Empty => None,
    }
}

/// Typed enumerations hold `None` for a listed `null`.
fn enumeration<T>(values: &[Option<T>], to_json: fn(&T) -> Value) -> Vec<Value> {
    values
        .iter()
        .map(|value| value.as_ref().map_or(Value::Null, to_json))
        .collect()
}

/// Follows `$ref`s to the schema they name; `None` when one does not resolve.
pub(super) fn resolve<'a>(api: &'a OpenAPI, schema: SchemaRef<'a>) -> Option<&'a Schema> {
    let mut current = schema;
    for _ in 0..MAX_REF_HOPS {
        match current.reference() {
            None => return current.item(),
            Some(reference) => current = SchemaRef::Plain(component(api, reference)?),
        }
    }
    None
}

/// The component a local `$ref` names.
pub(super) fn component<'a>(api: &'a OpenAPI, reference: &str) -> Option<&'a ReferenceOr<Schema>> {
    let name = component_name(reference)?;
    api.components.as_ref()?.schemas.get(name.as_ref())
}

/// A component's name for a `$ref`, else `inline` (the caller's label for a schema in place).
pub(super) fn schema_name(schema: SchemaRef<'_>, inline: &str) -> String {
    schema
        .reference()
        .and_then(component_name)
        .map_or_else(|| inline.to_string(), String::from)
}

/// `#/components/schemas/Name` → `Name`, with JSON-pointer escapes undone. Borrowed when there
/// is nothing to undo: every rendered and validated value resolves its `$ref`s through here.
pub(super) fn component_name(reference: &str) -> Option<Cow<'_, str>> {
    let escaped = reference.strip_prefix(SCHEMA_REF_PREFIX)?;
    if escaped.is_empty() || escaped.contains('/') {
        return None;
    }
    Some(if escaped.contains('~') {
        Cow::Owned(escaped.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(escaped)
    })
}

/// A property name as one JSON-pointer segment.
pub(super) fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// The properties of an object schema, those of its `allOf` parts included.
pub(super) fn object_properties<'a>(api: &'a OpenAPI, schema: &'a Schema) -> Vec<(&'a str, SchemaRef<'a>)> {
    let mut found = Vec::new();
    collect_object(api, schema, 0, &mut |keywords| {
        found.extend(keywords.properties.iter().copied())
    });
    found
}

/// The required property names of an object schema, those of its `allOf` parts included.
pub(super) fn object_required<'a>(api: &'a OpenAPI, schema: &'a Schema) -> Vec<&'a str> {
    let mut found = Vec::new();
    collect_object(api, schema, 0, &mut |keywords| {
        found.extend(keywords.required.iter().map(String::as_str))
    });
    found
}

fn collect_object<'a>(api: &'a OpenAPI, schema: &'a Schema, depth: usize, visit: &mut dyn FnMut(&Keywords<'a>)) {
    let keywords = Keywords::of(schema);
    visit(&keywords);
    if depth < MAX_REF_HOPS {
        for part in &keywords.all_of {
            if let Some(part) = resolve(api, *part) {
                collect_object(api, part, depth + 1, visit);
            }
        }
    }
}

/// Whether two names are the same words in any of snake_case, lowerCamelCase or PascalCase
/// (`price_info`, `priceInfo`, `PriceInfo`).
pub fn same_words(left: &str, right: &str) -> bool {
    // Compared as iterators, so no Strings: planning compares every field with every property.
    fn squashed(name: &str) -> impl Iterator<Item = char> + '_ {
        name.chars()
            .filter(|character| *character != '_')
            .flat_map(char::to_lowercase)
    }
    squashed(left).eq(squashed(right))
}

/// The property that stands for a proto field: one named like the field or like its proto3 JSON
/// name, else one with the same words in another case convention.
pub(super) fn property_for_field<'p, 'n, T>(
    properties: &'p [(&'n str, T)],
    field: &FieldDescriptor,
) -> Option<&'p (&'n str, T)> {
    let exact = properties
        .iter()
        .find(|(name, _)| *name == field.name() || *name == field.json_name());
    exact.or_else(|| properties.iter().find(|(name, _)| same_words(name, field.name())))
}
