//! The shipped document, loading errors, the rendering, the validator and the drift report.

use std::path::{Path, PathBuf};

use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{json, Map, Value};

use super::*;
use crate::proto::net::{
    capabilities::capability_constraints::ModelConstraint, capabilities::CapabilityConstraints,
    capabilities::Constraints, os_info::StorageType, AuthToken, Capabilities, OrchestratorInfo, OsInfo, PriceInfo,
};
use crate::protocol::Protocol;

fn shipped_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_PATH)
}

fn shipped_text() -> String {
    std::fs::read_to_string(shipped_path()).unwrap()
}

/// The shipped document with one piece of its text replaced.
fn edited(from: &str, to: &str) -> Result<OpenApiDocument, OpenApiError> {
    let text = shipped_text();
    assert_eq!(text.matches(from).count(), 1, "{from:?} occurs once");
    OpenApiDocument::parse(&text.replacen(from, to, 1), "edited.yaml")
}

fn problems(error: OpenApiError) -> Vec<(String, String)> {
    match error {
        OpenApiError::Invalid { problems } => problems
            .into_iter()
            .map(|problem| (problem.pointer, problem.message))
            .collect(),
        other => panic!("expected problems, got {other}"),
    }
}

/// A document in the proto3 JSON convention, generated from the descriptors: lowerCamelCase
/// names, 64-bit numbers as strings, bytes as base64, every field described and nothing
/// required. Nothing in it drifts from the protocol.
pub(crate) fn proto3_json_document() -> OpenApiDocument {
    let root = super::compiled::built_in_info();
    let mut schemas = Map::new();
    let mut pending = vec![root.clone()];
    while let Some(message) = pending.pop() {
        if schemas.contains_key(message.full_name()) {
            continue;
        }
        let mut properties = Map::new();
        for field in message.fields() {
            properties.insert(field.json_name().to_string(), proto3_field(&field, &mut pending));
        }
        let schema = json!({"type": "object", "description": "generated", "properties": properties});
        schemas.insert(message.full_name().to_string(), schema);
    }
    let document = json!({
        "openapi": "3.0.3",
        "info": {"title": "proto3 JSON", "version": "1"},
        "paths": {},
        "components": {"schemas": {"OrchestratorInfo": {"$ref": format!("#/components/schemas/{}", root.full_name())}}},
    });
    let mut document = document;
    let components = document["components"]["schemas"].as_object_mut().unwrap();
    components.extend(schemas);
    OpenApiDocument::parse(&document.to_string(), "proto3-json.json").unwrap()
}

fn proto3_field(field: &FieldDescriptor, pending: &mut Vec<MessageDescriptor>) -> Value {
    let mut single = |kind: Kind| match kind {
        Kind::Message(message) => {
            let reference = format!("#/components/schemas/{}", message.full_name());
            pending.push(message);
            json!({"$ref": reference})
        }
        Kind::Enum(descriptor) => {
            let names: Vec<String> = descriptor.values().map(|value| value.name().to_string()).collect();
            json!({"type": "string", "enum": names, "description": "generated"})
        }
        Kind::Bool => json!({"type": "boolean", "description": "generated"}),
        Kind::String => json!({"type": "string", "description": "generated"}),
        Kind::Bytes => json!({"type": "string", "format": "byte", "description": "generated"}),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
            json!({"type": "string", "format": "int64", "description": "generated"})
        }
        Kind::Uint64 | Kind::Fixed64 => json!({"type": "string", "format": "uint64", "description": "generated"}),
        Kind::Float | Kind::Double => json!({"type": "number", "description": "generated"}),
        _ => json!({"type": "integer", "description": "generated"}),
    };
    match field.kind() {
        Kind::Message(entry) if field.is_map() => {
            json!({"type": "object", "description": "generated", "additionalProperties": single(entry.map_entry_value_field().kind())})
        }
        kind if field.is_list() => json!({"type": "array", "description": "generated", "items": single(kind)}),
        kind => single(kind),
    }
}

/// An answer touching every schema of the document.
fn full_info() -> OrchestratorInfo {
    let model = ModelConstraint {
        warm: true,
        capacity: 2,
        runner_version: "0.14.1".into(),
        capacity_in_use: 1,
    };
    let models = CapabilityConstraints {
        models: [("stabilityai/sd-turbo".to_string(), model)].into(),
    };
    OrchestratorInfo {
        transcoder: "https://orch.example:8935".into(),
        price_info: Some(PriceInfo {
            price_per_unit: 1000,
            pixels_per_unit: 1,
            ..Default::default()
        }),
        address: vec![0xab; 20],
        capabilities: Some(Capabilities {
            bitstring: vec![u64::MAX],
            mandatories: vec![1],
            capacities: [(27, 1)].into(),
            version: "0.8.7".into(),
            constraints: Some(Constraints {
                min_version: "0.8.0".into(),
                per_capability: [(27, models)].into(),
            }),
        }),
        auth_token: Some(AuthToken {
            token: vec![0x77; 4],
            session_id: "s".into(),
            expiration: 1_700_000_600,
        }),
        storage: vec![OsInfo {
            storage_type: StorageType::S3 as i32,
            s3info: None,
        }],
        capabilities_prices: vec![PriceInfo {
            price_per_unit: 4_768_371,
            pixels_per_unit: 1,
            capability: 27,
            constraint: "stabilityai/sd-turbo".into(),
        }],
        ..Default::default()
    }
}

#[test]
fn the_shipped_document_loads_and_is_the_built_in_copy() {
    let loaded = OpenApiDocument::load(&shipped_path()).unwrap();
    assert_eq!(loaded.api, OpenApiDocument::embedded().api);
    assert_eq!(loaded.info_schema_name(), "OrchestratorInfo");
    assert!(loaded.source().ends_with(DEFAULT_PATH));
    let server = &loaded.api.servers[0];
    assert_eq!(server.url, "https://{orchestrator-host}:8935");
    assert_eq!(crate::transport::DEFAULT_PORT, 8935);
    assert!(server.variables.as_ref().unwrap().contains_key("orchestrator-host"));
    let required = &loaded.api.components.as_ref().unwrap().schemas["OrchestratorInfo"];
    let required = schema::Keywords::of(required.as_item().unwrap()).required.to_vec();
    assert_eq!(required, ["transcoder", "address", "price_info", "capabilities"]);
}

#[test]
fn the_default_is_the_checkout_file_and_a_named_file_must_exist() {
    // Unit tests run in the package root, where the checkout's document is.
    let default = OpenApiDocument::load_or_default(None).unwrap();
    assert_eq!(default.source(), DEFAULT_PATH);
    let missing = OpenApiDocument::load_or_default(Some(Path::new("no/such.yaml"))).unwrap_err();
    assert!(missing.to_string().starts_with("no/such.yaml: "), "{missing}");
}

#[test]
fn json_documents_load_too() {
    let yaml: Value = serde_norway::from_str(&shipped_text()).unwrap();
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("orchestrator.json");
    std::fs::write(&path, serde_json::to_string_pretty(&yaml).unwrap()).unwrap();
    assert_eq!(
        OpenApiDocument::load(&path).unwrap().api,
        OpenApiDocument::embedded().api
    );
}

#[test]
fn syntax_errors_name_file_line_and_column() {
    let yaml = OpenApiDocument::parse("openapi: 3.0.3\ninfo:\n  title: [open\n", "bad.yaml").unwrap_err();
    assert!(
        matches!(&yaml, OpenApiError::Syntax { position: Some((line, _)), .. } if *line >= 3),
        "{yaml:?}"
    );
    assert!(yaml.to_string().starts_with("bad.yaml:"), "{yaml}");
    let json = OpenApiDocument::parse("{\n  \"openapi\": \"3.0.3\",\n  \"info\" {}\n}", "bad.json").unwrap_err();
    assert_eq!(json.to_string(), "bad.json:3:10: expected `:`");
}

#[test]
fn structure_errors_name_the_offending_schema() {
    let error = edited(
        "      required:\n        - price_per_unit\n        - pixels_per_unit\n",
        "      required: price_per_unit\n",
    )
    .unwrap_err();
    let found = problems(error);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "#/components/schemas/PriceInfo");
    assert!(found[0].1.contains("expected a sequence"), "{found:?}");

    let error = edited(
        "          description: Wei per pixels_per_unit pixels.\n",
        "          minimum: zero\n",
    )
    .unwrap_err();
    assert_eq!(
        problems(error)[0].0,
        "#/components/schemas/PriceInfo/properties/price_per_unit"
    );

    let error = OpenApiDocument::parse("openapi: 3.0.3\npaths: {}\n", "no-info.yaml").unwrap_err();
    assert_eq!(error.to_string(), "no-info.yaml: #: missing field `info`");
}

#[test]
fn every_meaning_problem_is_reported_at_its_key() {
    let text = shipped_text()
        .replacen("openapi: 3.0.3", "openapi: 3.1.0", 1)
        .replacen(
            "        pixels_per_unit:\n          type: integer",
            "        pixels_per_unit:\n          type: integr",
            1,
        )
        .replacen("'#/components/schemas/AuthToken'", "'#/components/schemas/Token'", 1)
        .replacen("'#/components/schemas/OSInfo'", "'other.yaml#/OSInfo'", 1);
    let error = OpenApiDocument::parse(&text, "broken.yaml").unwrap_err();
    let pointers: Vec<String> = problems(error).into_iter().map(|(pointer, _)| pointer).collect();
    assert_eq!(
        pointers,
        [
            "#/openapi",
            "#/components/schemas/OrchestratorInfo/properties/auth_token/$ref",
            "#/components/schemas/OrchestratorInfo/properties/storage/items/$ref",
            "#/components/schemas/PriceInfo/properties/pixels_per_unit/type",
        ]
    );
    let error = OpenApiDocument::parse(
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n",
        "empty.yaml",
    );
    let found = problems(error.unwrap_err());
    assert_eq!(found[0].0, "#/components/schemas");
    assert!(
        found[0].1.starts_with("no schema for the discovery answer"),
        "{found:?}"
    );
}

#[test]
fn oversized_and_non_utf8_files_are_refused() {
    let directory = tempfile::tempdir().unwrap();
    let large = directory.path().join("large.yaml");
    std::fs::write(&large, vec![b'#'; MAX_DOCUMENT_BYTES as usize + 1]).unwrap();
    assert!(matches!(
        OpenApiDocument::load(&large),
        Err(OpenApiError::TooLarge { .. })
    ));
    let binary = directory.path().join("binary.yaml");
    std::fs::write(&binary, [0xff, 0xfe, 0x00]).unwrap();
    let error = OpenApiDocument::load(&binary).unwrap_err();
    assert!(matches!(&error, OpenApiError::Io { source, .. } if source.kind() == std::io::ErrorKind::InvalidData));
}

#[test]
fn rendering_uses_the_documents_names_hex_and_integers() {
    let json = OpenApiDocument::embedded().render_info(&full_info()).unwrap();
    assert_eq!(json["address"], json!(format!("0x{}", "ab".repeat(20))));
    assert_eq!(json["price_info"]["price_per_unit"], json!(1000));
    assert_eq!(json["capabilities"]["bitstring"], json!([u64::MAX]));
    assert_eq!(json["capabilities"]["capacities"], json!({"27": 1}));
    let model = &json["capabilities"]["constraints"]["per_capability"]["27"]["models"]["stabilityai/sd-turbo"];
    assert_eq!(
        model,
        &json!({"warm": true, "capacity": 2, "runner_version": "0.14.1", "capacity_in_use": 1})
    );
    assert_eq!(
        json["storage"],
        json!([{"storage_type": "S3"}]),
        "absent messages are left out"
    );
    assert_eq!(json["auth_token"]["token"], json!("0x77777777"));
    assert!(json.get("ticket_params").is_none());
    assert_eq!(OpenApiDocument::embedded().validate_info(&json), []);
}

#[test]
fn rendering_follows_a_document_in_the_proto3_convention() {
    let json = proto3_json_document().render_info(&full_info()).unwrap();
    assert_eq!(json["priceInfo"]["pricePerUnit"], json!("1000"));
    assert_eq!(json["address"], json!("q6urq6urq6urq6urq6urq6urq6s="));
    assert_eq!(
        json["capabilities"]["constraints"]["PerCapability"]["27"]["models"]["stabilityai/sd-turbo"]["capacityInUse"],
        json!(1)
    );
    assert_eq!(proto3_json_document().validate_info(&json), []);
}

/// Whole-answer and entry-by-entry checks of `info` by the shipped document, each sorted by path.
fn checked_both_ways(info: &OrchestratorInfo) -> (Vec<Violation>, Vec<Violation>) {
    checked_both_ways_by(OpenApiDocument::embedded(), info)
}

/// Whole-answer and entry-by-entry checks of `info` by `document`, each sorted by path.
fn checked_both_ways_by(document: &OpenApiDocument, info: &OrchestratorInfo) -> (Vec<Violation>, Vec<Violation>) {
    let mut whole = document.validate_info(&document.render_info(info).unwrap());
    let mut by_entry = Vec::new();
    document
        .info_violations(info, |violation| by_entry.push(violation))
        .unwrap();
    let by_path = |a: &Violation, b: &Violation| a.path.cmp(&b.path);
    whole.sort_by(by_path);
    by_entry.sort_by(by_path);
    (whole, by_entry)
}

#[test]
fn long_repeated_fields_checked_entry_by_entry_break_the_schema_where_the_whole_answer_does() {
    let mut info = full_info();
    // Unknown enum numbers render as numbers where the document wants a name.
    let storage = |index: usize| OsInfo {
        storage_type: if index % 1000 == 7 { 7 } else { StorageType::S3 as i32 },
        ..Default::default()
    };
    info.storage = (0..3000).map(storage).collect();
    info.nodes = vec!["https://node:8935".into(); 2000];
    info.capabilities = None;
    let (whole, by_entry) = checked_both_ways(&info);
    let paths: Vec<&str> = by_entry.iter().map(|violation| violation.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "capabilities",
            "storage[1007].storage_type",
            "storage[2007].storage_type",
            "storage[7].storage_type"
        ]
    );
    assert_eq!(by_entry, whole);
    // Short fields are checked with the answer, whole.
    info.storage.truncate(10);
    let (whole, by_entry) = checked_both_ways(&info);
    assert_eq!((by_entry.len(), &by_entry), (2, &whole));
}

#[test]
fn long_maps_checked_entry_by_entry_break_the_schema_where_the_whole_answer_does() {
    // Where the document wants `warm` as a string, every model breaks it; GPUs and capacities fit.
    let document = edited("warm:\n          type: boolean", "warm:\n          type: string").unwrap();
    let mut info = full_info();
    let models = |count: usize| CapabilityConstraints {
        models: (0..count)
            .map(|index| (format!("org/model {index}"), ModelConstraint::default()))
            .collect(),
    };
    let capabilities = info.capabilities.as_mut().unwrap();
    capabilities.capacities = (0..3000).map(|number| (number, 1)).collect();
    let per_capability = &mut capabilities.constraints.as_mut().unwrap().per_capability;
    per_capability.insert(27, models(2000));
    per_capability.insert(33, models(3));
    info.hardware = vec![Default::default(); 2];
    info.hardware[1].gpu_info = (0..1500).map(|index| (index.to_string(), Default::default())).collect();
    let (whole, by_entry) = checked_both_ways_by(&document, &info);
    assert_eq!(by_entry.len(), 2003);
    assert!(
        by_entry.iter().any(|violation| violation.path
            == r#"capabilities.constraints.per_capability[27].models["org/model 1999"].warm"#),
        "{:?}",
        &by_entry[..3]
    );
    assert_eq!(by_entry, whole);
}

fn violations(json: Value) -> Vec<(String, String, String)> {
    OpenApiDocument::embedded()
        .validate_info(&json)
        .into_iter()
        .map(|violation| (violation.path, violation.expected, violation.actual))
        .collect()
}

fn good_json() -> Value {
    OpenApiDocument::embedded().render_info(&full_info()).unwrap()
}

fn triple(path: &str, expected: &str, actual: &str) -> (String, String, String) {
    (path.to_string(), expected.to_string(), actual.to_string())
}

#[test]
fn the_validator_names_path_expected_and_actual() {
    let mut json = good_json();
    json["price_info"]["price_per_unit"] = json!("1000");
    json["address"] = json!("0xabc");
    json["capabilities_prices"][0]["capability"] = json!(4_294_967_296u64);
    json["storage"][0]["storage_type"] = json!("FTP");
    json["capabilities"]["constraints"]["per_capability"]["27"]["models"]["stabilityai/sd-turbo"]["warm"] = json!(1);
    json.as_object_mut().unwrap().remove("transcoder");
    assert_eq!(
        violations(json),
        [
            triple("transcoder", "present (required)", "absent"),
            triple(
                "address",
                "string (hex)",
                "string of 5 characters that is not 0x-prefixed hex bytes"
            ),
            triple(
                "capabilities.constraints.per_capability[27].models[\"stabilityai/sd-turbo\"].warm",
                "boolean",
                "integer 1"
            ),
            triple(
                "capabilities_prices[0].capability",
                "integer (uint32)",
                "integer 4294967296 (out of range)"
            ),
            triple("price_info.price_per_unit", "integer (int64)", "string \"1000\""),
            triple(
                "storage[0].storage_type",
                "one of \"DIRECT\", \"S3\", \"GOOGLE\"",
                "string \"FTP\""
            ),
        ]
    );
    assert_eq!(
        violations(json!([])),
        [triple("(the whole answer)", "object", "array of 0 items")]
    );
}

#[test]
fn the_validator_reads_nullable_additional_properties_and_compositions() {
    let document = OpenApiDocument::parse(
        r#"
openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    OrchestratorInfo:
      type: object
      additionalProperties: false
      properties:
        maybe: {type: string, nullable: true}
        either: {anyOf: [{type: string}, {type: integer}]}
        one: {oneOf: [{type: integer}, {type: number}]}
        never: {not: {type: string}}
        both: {allOf: [{$ref: '#/components/schemas/Named'}, {required: [id]}]}
    Named:
      type: object
      required: [name]
"#,
        "compositions.yaml",
    )
    .unwrap();
    let good = json!({"maybe": null, "either": 1, "one": 1.5, "never": 2, "both": {"name": "n", "id": 1}});
    assert_eq!(document.validate_info(&good), []);
    let bad = json!({"either": true, "one": 1, "never": "s", "both": {}, "extra": 1});
    let paths: Vec<String> = document
        .validate_info(&bad)
        .into_iter()
        .map(|violation| format!("{}: {}", violation.path, violation.actual))
        .collect();
    assert_eq!(
        paths,
        [
            "both.name: absent",
            "both.id: absent",
            "either: boolean true, matching none",
            "extra: integer 1",
            "never: string of 1 characters",
            "one: integer 1, matching 2",
        ]
    );
}

/// The drift of the shipped document against the checkout's proto/, named as a reader sees them.
fn shipped_drift() -> DriftReport {
    let document = OpenApiDocument::parse(&shipped_text(), DEFAULT_PATH).unwrap();
    let proto = Protocol::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("proto")).unwrap();
    let message = proto.message("net.OrchestratorInfo").unwrap();
    document.drift(&message, "proto/lp_rpc.proto")
}

#[test]
fn drift_of_the_shipped_files() {
    let report = shipped_drift();
    insta::with_settings!({
        description => "lpconform spec drift --openapi openapi/orchestrator.yaml --proto proto",
        omit_expression => true,
    }, {
        insta::assert_snapshot!("drift_table", report.table());
        insta::assert_yaml_snapshot!("drift_report", report);
    });
    // The known drifts and nothing else: 64-bit integers, bytes as hex, required, naming.
    let count = |kind: DriftKind| report.drifts.iter().filter(|drift| drift.kind == kind).count();
    assert_eq!(
        [DriftKind::NoField, DriftKind::NoProperty, DriftKind::Description].map(count),
        [0, 0, 0]
    );
    assert!(report
        .drifts
        .iter()
        .filter(|drift| drift.kind == DriftKind::Type)
        .all(|drift| drift.proto.contains("decimal string") || drift.proto.contains("base64")));
    // The binary's built-in copies drift alike.
    assert_eq!(report.drifts, OpenApiDocument::embedded().built_in_drift().drifts);
}

#[test]
fn drift_names_each_kind_of_disagreement() {
    let message = super::compiled::built_in_info();
    let report = |document: OpenApiDocument| document.drift(&message, "built-in").drifts;
    let find = |drifts: &[Drift], location: &str, kind: DriftKind| {
        drifts
            .iter()
            .find(|drift| drift.location == location && drift.kind == kind)
            .cloned()
    };

    let without_nodes = edited(
        "        nodes:\n          type: array\n          description: Service URIs of other nodes of the same orchestrator.\n          items:\n            type: string\n",
        "",
    )
    .unwrap();
    let drift = find(&report(without_nodes), "OrchestratorInfo.nodes", DriftKind::NoProperty).unwrap();
    assert_eq!(drift.proto, "repeated string nodes = 34");

    let retyped = edited(
        "        transcoder:\n          type: string",
        "        transcoder:\n          type: integer",
    )
    .unwrap();
    let drift = find(&report(retyped), "OrchestratorInfo.transcoder", DriftKind::Type).unwrap();
    assert_eq!(
        (drift.openapi.as_str(), drift.proto.as_str()),
        ("integer", "string: incompatible types")
    );

    // A field retyped from string to int64 in the proto, the document still saying free text.
    let as_text = "        expiration:\n          type: string\n          description";
    let retyped_to_int64 = edited(
        "        expiration:\n          type: integer\n          format: int64\n          description",
        as_text,
    )
    .unwrap();
    let drift = find(&report(retyped_to_int64), "AuthToken.expiration", DriftKind::Type).unwrap();
    assert_eq!(drift.openapi, "string");
    assert!(
        drift.proto.starts_with("int64: proto3 JSON writes a decimal string"),
        "{drift:?}"
    );
    let declared_decimal = edited(
        "        expiration:\n          type: integer\n          format: int64\n          description",
        "        expiration:\n          type: string\n          format: int64\n          description",
    )
    .unwrap();
    assert_eq!(
        find(&report(declared_decimal), "AuthToken.expiration", DriftKind::Type),
        None
    );

    let undescribed = edited("          description: Kind of storage.\n", "").unwrap();
    let drift = find(&report(undescribed), "OSInfo.storage_type", DriftKind::Description).unwrap();
    assert_eq!(drift.proto, "net.OSInfo.StorageType");

    let fewer_values = edited("            - GOOGLE\n", "").unwrap();
    let drift = find(&report(fewer_values), "OSInfo.storage_type", DriftKind::Type).unwrap();
    assert_eq!(
        (drift.openapi.as_str(), drift.proto.as_str()),
        ("enum DIRECT, S3", "enum net.OSInfo.StorageType DIRECT, S3, GOOGLE")
    );

    assert_eq!(report(proto3_json_document()), []);
}

#[test]
fn a_given_rendering_is_checked_as_the_answer_itself_is() {
    let document = OpenApiDocument::embedded();
    let mut info = full_info();
    info.storage[0].storage_type = 7;
    let checked = |info: &OrchestratorInfo, rendered: &Value| {
        let (mut given, mut own) = (Vec::new(), Vec::new());
        document
            .rendered_info_violations(info, rendered, |violation| given.push(violation))
            .unwrap();
        document.info_violations(info, |violation| own.push(violation)).unwrap();
        (given, own)
    };
    let (given, own) = checked(&info, &document.render_info(&info).unwrap());
    assert_eq!((given.len(), &given), (1, &own));
    // A long answer is checked entry by entry from the answer, as without a rendering, so its
    // violations come in that check's order.
    info.nodes = vec!["https://node:8935".into(); 2000];
    info.storage = vec![info.storage[0].clone(); 1500];
    let (given, own) = checked(&info, &document.render_info(&info).unwrap());
    assert_eq!((given.len(), &given), (1500, &own));
}

/// A hostile document's names reach `spec drift --format json` as `\u` escapes, never raw.
#[test]
fn the_drift_json_escapes_what_a_terminal_cannot_show() {
    let mut report = shipped_drift();
    report.drifts[0].location = "Info\u{202e}.field\u{85}\u{fffe}".into();
    let json = report.to_json();
    assert!(!json.contains(['\u{202e}', '\u{85}', '\u{fffe}']), "{json:?}");
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["drifts"][0]["location"], "Info\u{202e}.field\u{85}\u{fffe}");
}
