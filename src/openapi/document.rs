//! Loads an OpenAPI 3.0 document (YAML or JSON) at run time and checks the parts lpconform relies
//! on, reporting every problem with its place: `file:line:column` for syntax, the JSON pointer of
//! the offending key for structure and meaning.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, OnceLock};

use openapiv3::{Components, Info, OpenAPI, PathItem, ReferenceOr, Schema, Server, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::compiled::Compiled;
use super::drift::DriftReport;
use super::schema::{
    component, component_name, escape_pointer, schema_name, Keywords, SchemaRef, SCHEMA_REF_PREFIX, TYPES,
};
use crate::input_file::{read_input_text, InputFileError};
use crate::protocol::INFO_PATH;

/// Where the document is looked for when `--openapi` is not given, from the working directory.
pub const DEFAULT_PATH: &str = "openapi/orchestrator.yaml";
/// Larger files are refused before parsing: a discovery document is a few kilobytes.
pub const MAX_DOCUMENT_BYTES: u64 = 4 * 1024 * 1024;
/// The component describing the discovery answer when no operation names one.
const INFO_COMPONENT: &str = "OrchestratorInfo";
/// The shipped document, so the binary works outside a checkout.
const EMBEDDED_TEXT: &str = include_str!("../../openapi/orchestrator.yaml");
const EMBEDDED_NAME: &str = "built-in openapi/orchestrator.yaml";

static EMBEDDED: LazyLock<OpenApiDocument> = LazyLock::new(|| {
    OpenApiDocument::parse(EMBEDDED_TEXT, EMBEDDED_NAME).expect("the shipped document loads (see its tests)")
});

/// A loaded OpenAPI document and the schema in it that describes the discovery answer.
#[derive(Clone)]
pub struct OpenApiDocument {
    source: String,
    pub(super) api: OpenAPI,
    /// The schema of `GET /orchestrator/info`'s JSON answer, or a `$ref` to `OrchestratorInfo`.
    pub(super) info_schema: ReferenceOr<Schema>,
    /// The drift against the built-in protocol, worked out once: SPEC-002 asks on every answer.
    pub(super) built_in_drift: OnceLock<DriftReport>,
    /// The schemas compiled and the built-in answer planned, once: SPEC-001 renders and checks
    /// every answer by them.
    compiled: OnceLock<Compiled>,
}

/// Why a document could not be used. Every variant names the file; `Invalid` lists every problem.
#[derive(Debug, thiserror::Error)]
pub enum OpenApiError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: larger than {MAX_DOCUMENT_BYTES} bytes, too large for an OpenAPI document", path.display())]
    TooLarge { path: PathBuf },
    #[error("{source_name}{}: {message}", position.map(|(line, column)| format!(":{line}:{column}")).unwrap_or_default())]
    Syntax {
        source_name: String,
        /// 1-based line and column, when the parser said where.
        position: Option<(usize, usize)>,
        message: String,
    },
    #[error("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid { problems: Vec<Problem> },
}

/// One problem of a well-formed document, at the JSON pointer of the offending key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub source_name: String,
    /// E.g. `#/components/schemas/PriceInfo/properties/price_per_unit/type`.
    pub pointer: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.source_name, self.pointer, self.message)
    }
}

impl fmt::Debug for OpenApiDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenApiDocument")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl OpenApiDocument {
    /// Reads and checks a document; `.json` files (or text opening with `{`) parse as JSON, the
    /// rest as YAML.
    pub fn load(path: &Path) -> Result<OpenApiDocument, OpenApiError> {
        let text = read_capped(path)?;
        OpenApiDocument::parse(&text, &path.display().to_string())
    }

    /// `--openapi FILE` when given; else `./openapi/orchestrator.yaml` when present; else the
    /// copy built into the binary.
    pub fn load_or_default(explicit: Option<&Path>) -> Result<OpenApiDocument, OpenApiError> {
        match explicit {
            Some(path) => OpenApiDocument::load(path),
            None if Path::new(DEFAULT_PATH).is_file() => OpenApiDocument::load(Path::new(DEFAULT_PATH)),
            None => Ok(OpenApiDocument::embedded().clone()),
        }
    }

    /// The shipped document as built into the binary.
    pub fn embedded() -> &'static OpenApiDocument {
        &EMBEDDED
    }

    /// Parses and checks document text; `source_name` is what errors and reports call it.
    pub fn parse(text: &str, source_name: &str) -> Result<OpenApiDocument, OpenApiError> {
        let value = parse_value(text, source_name)?;
        let problem = |pointer: &str, message: String| Problem {
            source_name: source_name.to_string(),
            pointer: pointer.to_string(),
            message,
        };
        let api: OpenAPI = match serde_json::from_value(value.clone()) {
            Ok(api) => api,
            Err(error) => {
                let problems = structure_problems(&value, &error)
                    .into_iter()
                    .map(|(pointer, message)| problem(&pointer, message))
                    .collect();
                return Err(OpenApiError::Invalid { problems });
            }
        };
        let mut problems: Vec<Problem> = meaning_problems(&api)
            .into_iter()
            .map(|(pointer, message)| problem(&pointer, message))
            .collect();
        let info_schema = find_info_schema(&api);
        if info_schema.is_none() {
            problems.push(problem(
                "#/components/schemas",
                format!(
                    "no schema for the discovery answer: neither GET {INFO_PATH} (200, application/json) \
                     nor {SCHEMA_REF_PREFIX}{INFO_COMPONENT}"
                ),
            ));
        }
        match info_schema {
            Some(info_schema) if problems.is_empty() => Ok(OpenApiDocument {
                source: source_name.to_string(),
                api,
                info_schema,
                built_in_drift: OnceLock::new(),
                compiled: OnceLock::new(),
            }),
            _ => Err(OpenApiError::Invalid { problems }),
        }
    }

    /// The file it was loaded from, or that it is the built-in copy.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub(super) fn compiled(&self) -> &Compiled {
        self.compiled
            .get_or_init(|| Compiled::new(&self.api, SchemaRef::Plain(&self.info_schema)))
    }

    /// What reports call the discovery answer's schema: its component name, or where it is inline.
    pub fn info_schema_name(&self) -> String {
        match self.info_schema.as_item() {
            None => schema_name(SchemaRef::Plain(&self.info_schema), "OrchestratorInfo"),
            Some(_) => format!("GET {INFO_PATH} response"),
        }
    }
}

fn read_capped(path: &Path) -> Result<String, OpenApiError> {
    let io_error = |source| OpenApiError::Io {
        path: path.to_path_buf(),
        source,
    };
    read_input_text(path, MAX_DOCUMENT_BYTES).map_err(|error| match error {
        InputFileError::TooLarge { .. } => OpenApiError::TooLarge {
            path: path.to_path_buf(),
        },
        InputFileError::Unreadable(source) => io_error(source),
        InputFileError::NotUtf8 => io_error(io::Error::new(io::ErrorKind::InvalidData, error)),
        InputFileError::NotAFile => io_error(io::Error::other(error)),
    })
}

fn parse_value(text: &str, source_name: &str) -> Result<Value, OpenApiError> {
    let syntax = |position, message| OpenApiError::Syntax {
        source_name: source_name.to_string(),
        position,
        message,
    };
    if source_name.ends_with(".json") || text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|error| {
            let message = strip_position(error.to_string(), error.line(), error.column());
            syntax(Some((error.line(), error.column())), message)
        });
    }
    serde_norway::from_str(text).map_err(|error| match error.location() {
        Some(location) => syntax(
            Some((location.line(), location.column())),
            strip_position(error.to_string(), location.line(), location.column()),
        ),
        None => syntax(None, error.to_string()),
    })
}

/// Parsers end their messages with the position that the error already carries up front.
fn strip_position(message: String, line: usize, column: usize) -> String {
    let suffix = format!(" at line {line} column {column}");
    match message.strip_suffix(&suffix) {
        Some(stripped) => stripped.to_string(),
        None => message,
    }
}

/// Where a document that is valid YAML or JSON fails to be OpenAPI: each part that does not
/// deserialize on its own, narrowed down to the smallest failing schema.
fn structure_problems(root: &Value, whole: &serde_json::Error) -> Vec<(String, String)> {
    let mut found = Vec::new();
    if root.is_object() {
        check_part::<Info>(root.get("info"), "#/info", &mut found);
        for (index, server) in root
            .get("servers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            check_part::<Server>(Some(server), &format!("#/servers/{index}"), &mut found);
        }
        for (path, item) in root.get("paths").and_then(Value::as_object).into_iter().flatten() {
            if !path.starts_with("x-") {
                let pointer = format!("#/paths/{}", escape_pointer(path));
                check_part::<ReferenceOr<PathItem>>(Some(item), &pointer, &mut found);
            }
        }
        let components = root.get("components");
        let schemas = components.and_then(|components| components.get("schemas"));
        for (name, schema) in schemas.and_then(Value::as_object).into_iter().flatten() {
            check_schema(
                schema,
                &format!("{SCHEMA_REF_PREFIX}{}", escape_pointer(name)),
                &mut found,
            );
        }
        if found.is_empty() {
            check_part::<Components>(components, "#/components", &mut found);
        }
    }
    if found.is_empty() {
        found.push(("#".to_string(), whole.to_string()));
    }
    found
}

fn check_part<T: DeserializeOwned>(value: Option<&Value>, pointer: &str, found: &mut Vec<(String, String)>) {
    if let Some(value) = value {
        if let Err(error) = serde_json::from_value::<T>(value.clone()) {
            found.push((pointer.to_string(), error.to_string()));
        }
    }
}

/// Reports the deepest subschemas that fail; the schema itself only when all its parts are fine.
fn check_schema(value: &Value, pointer: &str, found: &mut Vec<(String, String)>) {
    let Err(error) = serde_json::from_value::<ReferenceOr<Schema>>(value.clone()) else {
        return;
    };
    let before = found.len();
    for (suffix, child) in raw_subschemas(value) {
        check_schema(child, &format!("{pointer}{suffix}"), found);
    }
    if found.len() == before {
        found.push((pointer.to_string(), error.to_string()));
    }
}

/// The subschemas of a schema not yet deserialized, with their JSON-pointer suffixes.
fn raw_subschemas(value: &Value) -> Vec<(String, &Value)> {
    let mut found = Vec::new();
    if let Some(properties) = value.get("properties").and_then(Value::as_object) {
        found.extend(
            properties
                .iter()
                .map(|(name, schema)| (format!("/properties/{}", escape_pointer(name)), schema)),
        );
    }
    for keyword in ["items", "not"] {
        found.extend(value.get(keyword).map(|schema| (format!("/{keyword}"), schema)));
    }
    found.extend(
        value
            .get("additionalProperties")
            .filter(|schema| schema.is_object())
            .map(|schema| ("/additionalProperties".to_string(), schema)),
    );
    for keyword in ["allOf", "anyOf", "oneOf"] {
        let list = value.get(keyword).and_then(Value::as_array).into_iter().flatten();
        found.extend(
            list.enumerate()
                .map(|(index, schema)| (format!("/{keyword}/{index}"), schema)),
        );
    }
    found
}

/// Problems of a document that deserialized: an OpenAPI version lpconform does not read, unknown
/// types and `$ref`s that do not resolve, anywhere under `components.schemas` or in the
/// discovery answer's own schema.
fn meaning_problems(api: &OpenAPI) -> Vec<(String, String)> {
    let mut found = Vec::new();
    if !api.openapi.starts_with("3.0.") {
        found.push((
            "#/openapi".to_string(),
            format!("OpenAPI {} is not read; lpconform reads OpenAPI 3.0.x", api.openapi),
        ));
    }
    let schemas = api.components.iter().flat_map(|components| components.schemas.iter());
    for (name, schema) in schemas {
        let pointer = format!("{SCHEMA_REF_PREFIX}{}", escape_pointer(name));
        check_meaning(api, SchemaRef::Plain(schema), &pointer, &mut found);
    }
    if let Some((pointer, schema)) = response_schema(api) {
        check_meaning(api, SchemaRef::Plain(schema), &pointer, &mut found);
    }
    found
}

fn check_meaning(api: &OpenAPI, schema: SchemaRef<'_>, pointer: &str, found: &mut Vec<(String, String)>) {
    if let Some(reference) = schema.reference() {
        let problem = if component_name(reference).is_none() {
            Some(format!(
                "`{reference}` is not followed: only {SCHEMA_REF_PREFIX}NAME in the same document is"
            ))
        } else if component(api, reference).is_none() {
            Some(format!("`{reference}` names no schema"))
        } else {
            None
        };
        found.extend(problem.map(|problem| (format!("{pointer}/$ref"), problem)));
        return;
    }
    let Some(schema) = schema.item() else { return };
    let keywords = Keywords::of(schema);
    if let Some(typ) = keywords.typ.filter(|typ| !TYPES.contains(typ)) {
        found.push((
            format!("{pointer}/type"),
            format!("unknown type `{typ}` (OpenAPI 3.0 has {})", TYPES.join(", ")),
        ));
    }
    for (suffix, child) in keywords.subschemas() {
        check_meaning(api, child, &format!("{pointer}{suffix}"), found);
    }
}

/// The schema `GET /orchestrator/info` answers with, and its JSON pointer.
fn response_schema(api: &OpenAPI) -> Option<(String, &ReferenceOr<Schema>)> {
    let item = api.paths.paths.get(INFO_PATH)?.as_item()?;
    let response = item
        .get
        .as_ref()?
        .responses
        .responses
        .get(&StatusCode::Code(200))?
        .as_item()?;
    let schema = response.content.get("application/json")?.schema.as_ref()?;
    let pointer = format!(
        "#/paths/{}/get/responses/200/content/application~1json/schema",
        escape_pointer(INFO_PATH)
    );
    Some((pointer, schema))
}

fn find_info_schema(api: &OpenAPI) -> Option<ReferenceOr<Schema>> {
    if let Some((_, schema)) = response_schema(api) {
        return Some(schema.clone());
    }
    let reference = format!("{SCHEMA_REF_PREFIX}{INFO_COMPONENT}");
    component(api, &reference).map(|_| ReferenceOr::Reference { reference })
}
