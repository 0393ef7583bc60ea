//! Run-time loading against the build-time descriptors, and the errors users see for bad input.

use std::collections::BTreeSet;

use prost_reflect::Kind;

use super::*;

fn proto_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("proto")
}

/// Everything a wire-compatible change must keep, one line per fact, sorted.
fn wire_facts(pool: &DescriptorPool) -> BTreeSet<String> {
    let kind_name = |kind: Kind| match kind {
        Kind::Message(message) => message.full_name().to_string(),
        Kind::Enum(enumeration) => enumeration.full_name().to_string(),
        scalar => format!("{scalar:?}").to_lowercase(),
    };
    let mut facts = BTreeSet::new();
    for message in pool.all_messages() {
        facts.insert(format!("message {}", message.full_name()));
        for field in message.fields() {
            facts.insert(format!(
                "message {} field {} = {}: {:?} {}",
                message.full_name(),
                field.name(),
                field.number(),
                field.cardinality(),
                kind_name(field.kind())
            ));
        }
    }
    for enumeration in pool.all_enums() {
        for value in enumeration.values() {
            facts.insert(format!(
                "enum {} value {} = {}",
                enumeration.full_name(),
                value.name(),
                value.number()
            ));
        }
    }
    for service in pool.services() {
        for method in service.methods() {
            facts.insert(format!(
                "service {} rpc {}({}) returns ({})",
                service.full_name(),
                method.name(),
                method.input().full_name(),
                method.output().full_name()
            ));
        }
    }
    facts
}

/// The first fact only one side has, or `None` when both describe the same wire protocol.
fn first_difference(run_time: &DescriptorPool, built_in: &DescriptorPool) -> Option<String> {
    let (run_time, built_in) = (wire_facts(run_time), wire_facts(built_in));
    let only_run_time = run_time.difference(&built_in).next();
    let only_built_in = built_in.difference(&run_time).next();
    match (only_run_time, only_built_in) {
        (None, None) => None,
        (run_time, built_in) => Some(format!("only at run time: {run_time:?}; only built in: {built_in:?}")),
    }
}

fn write_proto(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn run_time_load_matches_the_build_time_descriptors() {
    let loaded = Protocol::load(&proto_dir()).unwrap();
    assert_eq!(loaded.files(), [proto_dir().join("lp_rpc.proto")]);
    assert!(
        wire_facts(loaded.pool()).len() > 100,
        "the comparison must see the real protocol"
    );
    assert_eq!(first_difference(loaded.pool(), Protocol::built_in().pool()), None);

    let single_file = Protocol::load(&proto_dir().join("lp_rpc.proto")).unwrap();
    assert_eq!(first_difference(single_file.pool(), loaded.pool()), None);
    let ping = single_file.method("net.Orchestrator", "Ping").unwrap();
    assert_eq!(
        (ping.input().full_name(), ping.output().full_name()),
        ("net.PingPong", "net.PingPong")
    );
}

#[test]
fn comparison_reports_a_changed_field_number() {
    let dir = tempfile::tempdir().unwrap();
    let original = fs::read_to_string(proto_dir().join("lp_rpc.proto")).unwrap();
    let changed = original.replacen("int64 pricePerUnit = 1;", "int64 pricePerUnit = 9;", 1);
    assert_ne!(changed, original, "the edit must apply");
    write_proto(&dir, "lp_rpc.proto", &changed);
    let difference = first_difference(Protocol::load(dir.path()).unwrap().pool(), Protocol::built_in().pool());
    let difference = difference.expect("a renumbered field is a difference");
    assert!(
        difference.contains("pricePerUnit = 9") && difference.contains("pricePerUnit = 1"),
        "{difference}"
    );
}

#[test]
fn syntax_error_is_located_by_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_proto(
        &dir,
        "bad.proto",
        "syntax = \"proto3\";\npackage net;\nmessage Broken { int32 x = 1 }\n",
    );
    let error = Protocol::load(dir.path()).unwrap_err().to_string();
    assert!(error.starts_with(&format!("{}:3:", path.display())), "{error}");
    assert!(error.contains("';'"), "{error}");
}

#[test]
fn problems_in_every_file_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let first = write_proto(&dir, "a.proto", "syntax = \"proto3\";\nmessage A { int32 x = 1 }\n");
    let second = write_proto(&dir, "b.proto", "syntax = \"proto3\";\nmessage B { Unknown y = 1; }\n");
    let error = Protocol::load(dir.path()).unwrap_err().to_string();
    let lines: Vec<&str> = error.lines().collect();
    assert!(lines.len() == 2, "{error}");
    assert!(lines[0].starts_with(&format!("{}:2:", first.display())), "{error}");
    assert!(
        lines[1].starts_with(&format!("{}:2:", second.display())) && lines[1].contains("Unknown"),
        "{error}"
    );
}

#[test]
fn missing_service_methods_or_messages_are_named_with_the_files_loaded() {
    let cases = [
        ("syntax = \"proto3\";\npackage net;\nmessage OrchestratorInfo {}\n", vec!["service net.Orchestrator"]),
        (
            "syntax = \"proto3\";\npackage net;\nmessage PingPong {}\nservice Orchestrator { rpc Ping(PingPong) returns (PingPong); }\n",
            vec![
                "method net.Orchestrator/GetOrchestrator",
                "method net.Orchestrator/EndTranscodingSession",
                "message net.OrchestratorInfo",
            ],
        ),
    ];
    for (text, missing) in cases {
        let dir = tempfile::tempdir().unwrap();
        let path = write_proto(&dir, "partial.proto", text);
        let error = Protocol::load(dir.path()).unwrap_err();
        assert!(
            matches!(&error, ProtocolError::Missing { missing: found, .. } if *found == missing),
            "{error}"
        );
        assert!(
            error.to_string().ends_with(&format!("(loaded: {})", path.display())),
            "{error}"
        );
    }
}

#[test]
fn empty_or_absent_paths_are_errors_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    write_proto(&dir, "notes.txt", "not a proto");
    let error = Protocol::load(dir.path()).unwrap_err().to_string();
    assert_eq!(
        error,
        format!("{}: no .proto files in this directory", dir.path().display())
    );

    let absent = dir.path().join("absent.proto");
    let error = Protocol::load(&absent).unwrap_err().to_string();
    assert!(error.starts_with(&format!("{}: ", absent.display())), "{error}");
}
