//! A suite's call to any unary method of the loaded proto by name (`call:`), its request in the
//! proto3 JSON mapping, and the checks on its answer by field path (`answer:`). Everything is
//! checked against the loaded descriptors when the suite loads, so a method, field or enum value
//! the proto lacks, or a value of the wrong type, is a located error before any call is made.

use std::collections::BTreeMap;

use prost_reflect::{
    DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, MethodDescriptor, ReflectMessage, Value,
};
use regex::Regex;
use serde::Deserialize;

use crate::protocol::Protocol;

/// A call to a method named in the suite.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptedCall {
    pub method: MethodDescriptor,
    pub request: DynamicMessage,
    /// Fill the request's `address` and `sig` with the gateway identity before sending.
    pub sign: bool,
}

/// One check on a scripted call's answer.
#[derive(Debug, Clone)]
pub struct AnswerCheck {
    /// As the suite wrote it: `capabilities.version`.
    pub path: String,
    fields: Vec<FieldDescriptor>,
    pub expectation: Expectation,
}

impl PartialEq for AnswerCheck {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path && self.expectation == other.expectation
    }
}

#[derive(Debug, Clone)]
pub enum Expectation {
    /// The field is set and its value (a string as it is, anything else as JSON) matches.
    Matches(Regex),
    /// The field is set (`true`) or not (`false`), as proto3 presence has it.
    Present(bool),
    /// The field's value equals this one (numbers compare by their decimal text, as proto3
    /// JSON writes 64-bit integers as strings).
    Equals(serde_json::Value),
}

impl PartialEq for Expectation {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Expectation::Matches(a), Expectation::Matches(b)) => a.as_str() == b.as_str(),
            (Expectation::Present(a), Expectation::Present(b)) => a == b,
            (Expectation::Equals(a), Expectation::Equals(b)) => a == b,
            _ => false,
        }
    }
}

/// Longest value text a check's report shows.
const SHOWN_VALUE_CHARS: usize = 200;

impl AnswerCheck {
    /// What the check wants, for the step's report.
    pub fn expected(&self) -> String {
        match &self.expectation {
            Expectation::Matches(pattern) => format!("a value matching /{}/", pattern.as_str()),
            Expectation::Present(true) => "present".into(),
            Expectation::Present(false) => "absent".into(),
            Expectation::Equals(value) => format!("equal to {}", plain(value)),
        }
    }

    /// Judges `answer`: what was found there, and whether it meets the check.
    pub fn judge(&self, answer: &DynamicMessage) -> (String, bool) {
        let value = self.value_in(answer);
        let actual = match &value {
            None => "absent".to_string(),
            Some(value) => shortened(&plain(value)),
        };
        let passed = match (&self.expectation, &value) {
            (Expectation::Present(wanted), found) => *wanted == found.is_some(),
            (Expectation::Matches(pattern), Some(found)) => pattern.is_match(&plain(found)),
            (Expectation::Equals(wanted), Some(found)) => plain(wanted) == plain(found),
            (_, None) => false,
        };
        (actual, passed)
    }

    /// The field's value in proto3 JSON, `None` when it (or a message on the way) is not set.
    fn value_in(&self, answer: &DynamicMessage) -> Option<serde_json::Value> {
        let (last, parents) = self.fields.split_last()?;
        let mut message = answer.clone();
        for field in parents {
            if !message.has_field(field) {
                return None;
            }
            let Value::Message(nested) = message.get_field(field).into_owned() else {
                return None;
            };
            message = nested;
        }
        if !message.has_field(last) {
            return None;
        }
        let mut alone = DynamicMessage::new(message.descriptor());
        alone.set_field(last, message.get_field(last).into_owned());
        let options = prost_reflect::SerializeOptions::new().use_proto_field_name(true);
        let json = alone
            .serialize_with_options(serde_json::value::Serializer, &options)
            .ok()?;
        json.get(last.name()).cloned()
    }
}

/// A string as it is, anything else as compact JSON.
fn plain(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn shortened(text: &str) -> String {
    match text.char_indices().nth(SHOWN_VALUE_CHARS) {
        Some((cut, _)) => format!("{}… ({} bytes)", &text[..cut], text.len()),
        None => text.to_string(),
    }
}

// The step as written.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScriptedCall {
    method: String,
    #[serde(default)]
    request: Option<serde_json::Value>,
    #[serde(default)]
    sign: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAnswerCheck {
    #[serde(default)]
    matches: Option<String>,
    #[serde(default)]
    present: Option<bool>,
    #[serde(default)]
    equals: Option<serde_json::Value>,
}

/// A problem with a scripted step, and the text in the suite to locate it by.
#[derive(Debug)]
pub(super) struct Problem {
    pub needle: String,
    pub message: String,
}

fn problem(needle: impl Into<String>, message: String) -> Problem {
    Problem {
        needle: needle.into(),
        message,
    }
}

/// `call:` checked against the loaded proto.
pub(super) fn scripted_call(raw: RawScriptedCall, proto: &Protocol) -> Result<ScriptedCall, Problem> {
    let at_method = || raw.method.clone();
    let method = proto.method_by_path(&raw.method).ok_or_else(|| {
        problem(
            at_method(),
            format!(
                "call.method: the loaded proto ({}) has no method {:?}; name it as service/method, e.g. \
                 net.Orchestrator/GetOrchestrator",
                proto.source(),
                raw.method
            ),
        )
    })?;
    if method.is_client_streaming() || method.is_server_streaming() {
        return Err(problem(
            at_method(),
            format!("call.method: {} streams; only unary methods can be called", raw.method),
        ));
    }
    let input = method.input();
    let value = raw
        .request
        .unwrap_or_else(|| serde_json::Value::Object(Default::default()));
    check_message(&value, &input, "call.request")?;
    let request = DynamicMessage::deserialize(input.clone(), value)
        .map_err(|error| problem("request", format!("call.request: {error}")))?;
    if raw.sign {
        for name in ["address", "sig"] {
            let bytes = input
                .get_field_by_name(name)
                .is_some_and(|field| field.kind() == Kind::Bytes);
            if !bytes {
                return Err(problem(
                    "sign",
                    format!(
                        "call.sign: {} has no bytes field `{name}` to sign into",
                        input.full_name()
                    ),
                ));
            }
        }
    }
    Ok(ScriptedCall {
        method,
        request,
        sign: raw.sign,
    })
}

/// `answer:` checked against the method's output message.
pub(super) fn answer_checks(
    raw: BTreeMap<String, RawAnswerCheck>,
    output: &MessageDescriptor,
) -> Result<Vec<AnswerCheck>, Problem> {
    raw.into_iter()
        .map(|(path, check)| {
            let at = |message: String| problem(path.clone(), format!("answer.{path}: {message}"));
            let mut fields = Vec::new();
            let mut message = output.clone();
            let segments: Vec<&str> = path.split('.').collect();
            for (position, name) in segments.iter().enumerate() {
                let field = field_named(&message, name).ok_or_else(|| at(no_field(&message, name)))?;
                let last = position + 1 == segments.len();
                if !last {
                    match field.kind() {
                        Kind::Message(nested) if !field.is_list() && !field.is_map() => message = nested,
                        _ => return Err(at(format!("`{name}` is not a single message, so it has no fields"))),
                    }
                }
                fields.push(field);
            }
            let expectation = match (check.matches, check.present, check.equals) {
                (Some(pattern), None, None) => Expectation::Matches(
                    Regex::new(&pattern).map_err(|error| at(format!("matches: not a valid pattern: {error}")))?,
                ),
                (None, Some(present), None) => Expectation::Present(present),
                (None, None, Some(value)) => Expectation::Equals(value),
                _ => return Err(at("give exactly one of matches, present, equals".into())),
            };
            Ok(AnswerCheck {
                path,
                fields,
                expectation,
            })
        })
        .collect()
}

fn field_named(message: &MessageDescriptor, name: &str) -> Option<FieldDescriptor> {
    message
        .get_field_by_json_name(name)
        .or_else(|| message.get_field_by_name(name))
}

fn no_field(message: &MessageDescriptor, name: &str) -> String {
    let names: Vec<String> = message.fields().map(|field| field.json_name().to_string()).collect();
    format!(
        "{} has no field `{name}` (it has: {})",
        message.full_name(),
        names.join(", ")
    )
}

/// Checks a request value against `message` by the proto3 JSON mapping, naming the first
/// unknown field, unknown enum value or wrongly typed value by its path.
fn check_message(value: &serde_json::Value, message: &MessageDescriptor, path: &str) -> Result<(), Problem> {
    let serde_json::Value::Object(entries) = value else {
        return Err(problem(
            path.rsplit('.').next().unwrap_or(path),
            format!("{path}: {} must be a mapping of its fields", message.full_name()),
        ));
    };
    for (key, entry) in entries {
        let here = format!("{path}.{key}");
        let field = field_named(message, key)
            .ok_or_else(|| problem(key.clone(), format!("{here}: {}", no_field(message, key))))?;
        let located = |message: String| problem(key.clone(), format!("{here}: {message}"));
        if entry.is_null() {
            continue;
        }
        if field.is_map() {
            let serde_json::Value::Object(map) = entry else {
                return Err(located("a map is written as a mapping".into()));
            };
            let Kind::Message(map_entry) = field.kind() else {
                continue;
            };
            let value_field = map_entry.map_entry_value_field();
            for (map_key, map_value) in map {
                check_value(map_value, &value_field.kind(), &format!("{here}.{map_key}"), key)?;
            }
        } else if field.is_list() {
            let serde_json::Value::Array(items) = entry else {
                return Err(located("a repeated field is written as a list".into()));
            };
            for (index, item) in items.iter().enumerate() {
                check_value(item, &field.kind(), &format!("{here}[{index}]"), key)?;
            }
        } else {
            check_value(entry, &field.kind(), &here, key)?;
        }
    }
    Ok(())
}

fn check_value(value: &serde_json::Value, kind: &Kind, path: &str, key: &str) -> Result<(), Problem> {
    use serde_json::Value as Json;
    let wrong = |wanted: &str| {
        Err(problem(
            key.to_string(),
            format!("{path}: expected {wanted}, found {}", shortened(&value.to_string())),
        ))
    };
    let integer = |value: &Json, fits: &dyn Fn(i128) -> bool| match value {
        Json::Number(number) => number
            .as_i64()
            .map(i128::from)
            .or(number.as_u64().map(i128::from))
            .is_some_and(fits),
        Json::String(text) => text.parse::<i128>().is_ok_and(fits),
        _ => false,
    };
    let ok = match kind {
        Kind::Message(message) => return check_message(value, message, path),
        Kind::Enum(enumeration) => match value {
            Json::String(name) => {
                if enumeration.get_value_by_name(name).is_none() {
                    let names: Vec<String> = enumeration.values().map(|value| value.name().to_string()).collect();
                    return Err(problem(
                        key.to_string(),
                        format!(
                            "{path}: {} has no value {name:?} (it has: {})",
                            enumeration.full_name(),
                            names.join(", ")
                        ),
                    ));
                }
                true
            }
            Json::Number(number) => number.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            _ => false,
        },
        Kind::Bool => value.is_boolean(),
        Kind::String | Kind::Bytes => value.is_string(),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => integer(value, &|n| i32::try_from(n).is_ok()),
        Kind::Uint32 | Kind::Fixed32 => integer(value, &|n| u32::try_from(n).is_ok()),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => integer(value, &|n| i64::try_from(n).is_ok()),
        Kind::Uint64 | Kind::Fixed64 => integer(value, &|n| u64::try_from(n).is_ok()),
        Kind::Float | Kind::Double => value.is_number() || value.is_string(),
    };
    if ok {
        return Ok(());
    }
    let wanted = match kind {
        Kind::Enum(enumeration) => format!("a value name of {}", enumeration.full_name()),
        Kind::Bool => "true or false".into(),
        Kind::String => "a string".into(),
        Kind::Bytes => "base64 text".into(),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => "an integer that fits int32".into(),
        Kind::Uint32 | Kind::Fixed32 => "an integer that fits uint32".into(),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => "an integer that fits int64".into(),
        Kind::Uint64 | Kind::Fixed64 => "an integer that fits uint64".into(),
        Kind::Float | Kind::Double => "a number".into(),
        Kind::Message(message) => format!("a mapping of {}", message.full_name()),
    };
    wrong(&wanted)
}
