//! Checks a JSON value against a schema of the document, for the part of JSON Schema that
//! OpenAPI 3.0 documents use: type, format (hex, byte, int32, int64, uint32, uint64), required,
//! properties, items, `$ref`, additionalProperties, enum, nullable, allOf, anyOf, oneOf and not.
//! Other keywords (minimum, pattern, lengths ...) are not checked.

use base64::Engine as _;
use serde_json::Value;

use super::compiled::{Additional, Compiled, Node, Target};

/// The expected text of a violation for a `required` property that is absent.
pub const MISSING_REQUIRED: &str = "present (required)";

/// Deeper recursion (value nesting plus `allOf`/`anyOf` hops) is taken as a schema cycle; a
/// discovery answer nests a handful of levels.
const MAX_SCHEMA_DEPTH: usize = 64;
/// Strings up to this length that are vocabulary (enum values) or numbers are quoted in findings;
/// others are described, so a token or credential in a wrong place is never printed.
const MAX_QUOTED: usize = 40;

/// A place where a value breaks its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON path in the value, e.g. `price_info.price_per_unit` or `storage[0].storage_type`.
    pub path: String,
    pub expected: String,
    pub actual: String,
}

/// Every violation of `target` by `value`, in document order.
pub(super) fn validate(compiled: &Compiled, target: &Target, value: &Value) -> Vec<Violation> {
    let mut found = Vec::new();
    validate_at(compiled, target, value, &Place::root("", 0), 0, &mut found);
    found
}

/// Every violation of `target` by `value`, a part `depth` levels into a whole value at `place`.
pub(super) fn validate_at(
    compiled: &Compiled,
    target: &Target,
    value: &Value,
    place: &Place<'_>,
    depth: usize,
    found: &mut Vec<Violation>,
) {
    Validator { compiled }.check(target, value, place, depth, found);
}

/// Where a value sits in the whole value, as violations spell paths: its text is built only when
/// a violation names it, so checking costs no string per value.
pub(super) struct Place<'p> {
    parent: Option<&'p Place<'p>>,
    key: Key<'p>,
}

enum Key<'p> {
    /// Where checking started: the answer (`""`, depth 0) or an entry of a long field or map.
    Root { path: &'p str, depth: usize },
    /// A property of an object, or the key of a map entry.
    Name(&'p str),
    /// An entry of a list.
    Index(usize),
}

impl<'p> Place<'p> {
    /// The whole value (`path` empty), or a part of it at `path`, `depth` levels in.
    pub(super) fn root(path: &'p str, depth: usize) -> Self {
        Place {
            parent: None,
            key: Key::Root { path, depth },
        }
    }

    /// The property or map entry `name` of the value here.
    pub(super) fn name(&'p self, name: &'p str) -> Self {
        Place {
            parent: Some(self),
            key: Key::Name(name),
        }
    }

    /// The entry `index` of the list here.
    pub(super) fn index(&'p self, index: usize) -> Self {
        Place {
            parent: Some(self),
            key: Key::Index(index),
        }
    }

    /// How many levels into the whole value.
    pub(super) fn depth(&self) -> usize {
        match (self.parent, &self.key) {
            (_, Key::Root { depth, .. }) => *depth,
            (Some(parent), _) => parent.depth() + 1,
            (None, _) => 0,
        }
    }

    pub(super) fn path(&self) -> String {
        let parent = || self.parent.map(Place::path).unwrap_or_default();
        match &self.key {
            Key::Root { path, .. } => path.to_string(),
            Key::Name(name) => child_key(&parent(), name),
            Key::Index(index) => format!("{}[{index}]", parent()),
        }
    }

    /// The path as a violation shows it.
    fn shown(&self) -> String {
        display_path(&self.path())
    }
}

struct Validator<'c> {
    compiled: &'c Compiled,
}

impl Validator<'_> {
    fn check(&self, target: &Target, value: &Value, place: &Place<'_>, depth: usize, found: &mut Vec<Violation>) {
        let violation = |expected: String, actual: String| Violation {
            path: place.shown(),
            expected,
            actual,
        };
        if depth > MAX_SCHEMA_DEPTH {
            found.push(violation(
                format!("a schema nested at most {MAX_SCHEMA_DEPTH} deep"),
                "deeper nesting (a $ref cycle?)".into(),
            ));
            return;
        }
        let schema = match target {
            Target::Node(id) => self.compiled.node(*id),
            Target::Broken(reference) => {
                found.push(violation(
                    "a schema that resolves".into(),
                    format!("$ref {reference} ends in a cycle of $refs"),
                ));
                return;
            }
        };
        if value.is_null() && schema.nullable {
            return;
        }
        if let Some(typ) = schema.typ.as_deref() {
            if !has_type(value, typ) {
                found.push(violation(expected_type(schema), describe_json(value)));
                return;
            }
        }
        if let Some(problem) = schema
            .format
            .as_deref()
            .and_then(|format| format_problem(format, value))
        {
            found.push(violation(expected_type(schema), problem));
        }
        if !schema.enumeration.is_empty() && !schema.enumeration.contains(value) {
            let allowed: Vec<String> = schema.enumeration.iter().map(Value::to_string).collect();
            found.push(violation(
                format!("one of {}", allowed.join(", ")),
                describe_enum_miss(value),
            ));
        }
        if let Some(object) = value.as_object() {
            for name in &schema.required {
                if !object.contains_key(name) {
                    found.push(Violation {
                        path: place.name(name).shown(),
                        expected: MISSING_REQUIRED.into(),
                        actual: "absent".into(),
                    });
                }
            }
            for (key, member) in object {
                let declared = schema.properties.iter().find(|(name, _)| name == key);
                let child = place.name(key);
                match (declared, &schema.additional) {
                    (Some((_, property)), _) => self.check(property, member, &child, depth + 1, found),
                    (None, Additional::Schema(additional)) => self.check(additional, member, &child, depth + 1, found),
                    (None, Additional::Any(false)) => found.push(Violation {
                        path: child.shown(),
                        expected: "no property of this name (additionalProperties: false)".into(),
                        actual: describe_json(member),
                    }),
                    (None, _) => {}
                }
            }
        }
        if let (Some(items), Some(array)) = (&schema.items, value.as_array()) {
            for (index, item) in array.iter().enumerate() {
                self.check(items, item, &place.index(index), depth + 1, found);
            }
        }
        for part in &schema.all_of {
            self.check(part, value, place, depth + 1, found);
        }
        self.check_alternatives(schema, value, place, depth, found);
    }

    /// anyOf, oneOf and not: each alternative is judged on its own, and only the count reported.
    fn check_alternatives(
        &self,
        schema: &Node,
        value: &Value,
        place: &Place<'_>,
        depth: usize,
        found: &mut Vec<Violation>,
    ) {
        let matches = |targets: &[Target]| {
            targets
                .iter()
                .filter(|target| {
                    let mut inner = Vec::new();
                    self.check(target, value, place, depth + 1, &mut inner);
                    inner.is_empty()
                })
                .count()
        };
        let violation = |expected: String, actual: String| Violation {
            path: place.shown(),
            expected,
            actual,
        };
        if !schema.any_of.is_empty() && matches(&schema.any_of) == 0 {
            found.push(violation(
                format!("a value matching any of {} schemas (anyOf)", schema.any_of.len()),
                format!("{}, matching none", describe_json(value)),
            ));
        }
        if !schema.one_of.is_empty() {
            let count = matches(&schema.one_of);
            if count != 1 {
                found.push(violation(
                    format!(
                        "a value matching exactly one of {} schemas (oneOf)",
                        schema.one_of.len()
                    ),
                    format!("{}, matching {count}", describe_json(value)),
                ));
            }
        }
        if let Some(not) = &schema.not {
            if matches(std::slice::from_ref(not)) == 1 {
                found.push(violation(
                    "a value not matching the `not` schema".into(),
                    describe_json(value),
                ));
            }
        }
    }
}

fn has_type(value: &Value, typ: &str) -> bool {
    match typ {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        // The loader refuses other types.
        _ => true,
    }
}

/// `integer (int64)`, `string (hex)`; `any value` when the schema sets no type.
fn expected_type(schema: &Node) -> String {
    let typ = schema.typ.as_deref().unwrap_or("any value");
    let typ = match &schema.format {
        Some(format) => format!("{typ} ({format})"),
        None => typ.to_string(),
    };
    if schema.nullable {
        format!("{typ} or null")
    } else {
        typ
    }
}

/// What is wrong with a value of the right type under its format; `None` when nothing is, or the
/// format is one lpconform does not check.
fn format_problem(format: &str, value: &Value) -> Option<String> {
    let text_problem = |check: fn(&str) -> bool, what: &str| {
        let text = value.as_str()?;
        (!check(text)).then(|| format!("{} that is not {what}", describe_string(text)))
    };
    let range_problem = |fits: bool| (!fits).then(|| format!("{} (out of range)", describe_json(value)));
    match format {
        "hex" => text_problem(is_hex, "0x-prefixed hex bytes"),
        "byte" => text_problem(
            |text| base64::engine::general_purpose::STANDARD.decode(text).is_ok(),
            "base64",
        ),
        "int32" => range_problem(signed(value).is_some_and(|number| i32::try_from(number).is_ok())),
        "int64" => range_problem(signed(value).is_some()),
        "uint32" => range_problem(unsigned(value).is_some_and(|number| u32::try_from(number).is_ok())),
        "uint64" => range_problem(unsigned(value).is_some()),
        _ => None,
    }
}

/// An integer given as a JSON number or, under `type: string`, as a decimal string (proto3
/// JSON's 64-bit integers).
fn signed(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_str()?.parse().ok())
}

fn unsigned(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| value.as_str()?.parse().ok())
}

fn is_hex(text: &str) -> bool {
    text.strip_prefix("0x")
        .is_some_and(|digits| digits.len() % 2 == 0 && digits.bytes().all(|byte| byte.is_ascii_hexdigit()))
}

/// A value as findings show it: its JSON type, and the value itself unless it may be a secret.
pub fn describe_json(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(flag) => format!("boolean {flag}"),
        Value::Number(number) if number.is_i64() || number.is_u64() => format!("integer {number}"),
        Value::Number(number) => format!("number {number}"),
        Value::String(text) => describe_string(text),
        Value::Array(items) => format!("array of {} items", items.len()),
        Value::Object(members) => format!("object with {} properties", members.len()),
    }
}

/// Decimal strings are quoted (they are how proto3 JSON writes 64-bit numbers); other strings
/// are only measured.
fn describe_string(text: &str) -> String {
    if text.len() <= MAX_QUOTED && is_decimal(text) {
        format!("string \"{text}\"")
    } else {
        format!("string of {} characters", text.chars().count())
    }
}

/// How proto3 JSON writes a 64-bit integer: an optional minus sign, then digits.
pub fn is_decimal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit())
}

/// A value outside an enum, quoted when short: enum members are vocabulary, not secrets.
fn describe_enum_miss(value: &Value) -> String {
    match value {
        Value::String(text) if text.chars().count() <= MAX_QUOTED => format!("string {value}"),
        _ => describe_json(value),
    }
}

pub(super) fn child_key(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || character == '_');
    let numeric = key.bytes().all(|byte| byte.is_ascii_digit());
    match (path.is_empty(), plain, numeric) {
        (_, true, true) => format!("{path}[{key}]"),
        (true, true, false) => key.to_string(),
        (false, true, false) => format!("{path}.{key}"),
        (_, false, _) => format!("{path}[{}]", Value::from(key)),
    }
}

fn display_path(path: &str) -> String {
    if path.is_empty() {
        "(the whole answer)".into()
    } else {
        path.to_string()
    }
}
