//! Suite files: the shipped ones load, and broken ones are refused with their place.

use std::path::Path;

use super::*;

fn parse_text(text: &str) -> Result<Suite, SuiteError> {
    parse(text, Path::new("suites/broken.yaml"), ProtoSpec::built_in_ref())
}

#[test]
fn shipped_suites_load_with_unique_case_names() {
    let suites = built_in();
    // Every file in suites/ is built in, so a binary run elsewhere has the same suites.
    let from_disk = load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("suites"),
        ProtoSpec::built_in_ref(),
    )
    .unwrap();
    let names = |suites: &[Suite]| {
        let mut names: Vec<String> = suites.iter().map(|suite| suite.name.clone()).collect();
        names.sort();
        names
    };
    assert_eq!(names(&suites), names(&from_disk));
    assert!(suites.iter().all(|suite| !suite.cases.is_empty()));
    let discovery = &suites[0];
    assert_eq!(discovery.cases[0].full_name(discovery), "discovery::signed_request");
}

#[test]
fn unknown_keys_are_errors_naming_file_line_and_key() {
    let error =
        parse_text("cases:\n  - id: a\n    description: d\n    calls: [ping: {}]\n    colour: blue\n").unwrap_err();
    let text = error.to_string();
    assert!(text.starts_with("suites/broken.yaml:5:"), "{text}");
    assert!(text.contains("colour"), "{text}");
    let error =
        parse_text("cases:\n  - id: a\n    description: d\n    calls: [get_info_json: {path: /x}]\n").unwrap_err();
    let text = error.to_string();
    assert!(text.starts_with("suites/broken.yaml:4:"), "{text}");
    assert!(text.contains("get_info_json: unknown field `path`"), "{text}");
}

#[test]
fn semantic_errors_name_the_case_and_field() {
    let cases = [
        (
            "    calls: [ping: {}]\n    rules: [REQ-999]\n",
            "rules: unknown rule ID `REQ-999`",
        ),
        (
            "    calls: [{ping: {}, end_session: {token: forged}}]\n",
            "calls[0]: name exactly one",
        ),
        ("    calls: []\n", "list at least one call"),
        ("    calls: [{ping: {}, code: Unknown}]\n", "set `expect: error`"),
        (
            "    calls: [{ping: {}, expect: error, code: Sad}]\n",
            "not a gRPC status code",
        ),
        (
            "    calls: [get_orchestrator: {capabilities: [teleport]}]\n",
            "unknown capability \"teleport\"",
        ),
    ];
    for (calls, needle) in cases {
        let text = format!("cases:\n  - id: broken_case\n    description: d\n{calls}");
        let error = parse_text(&text).unwrap_err().to_string();
        assert!(error.starts_with("suites/broken.yaml:2:"), "{error}");
        assert!(
            error.contains("case `broken_case`") && error.contains(needle),
            "{error}"
        );
    }
}

#[test]
fn capabilities_are_named_or_numbered() {
    let suite = parse_text(
        "cases:\n  - id: caps\n    description: d\n    calls: [get_orchestrator: {capabilities: [H.264, llm, 200]}]\n",
    )
    .unwrap();
    let CallSpec::GetOrchestrator(request) = &suite.cases[0].steps[0].call else {
        panic!()
    };
    assert_eq!(request.capabilities, Some(vec![0, 33, 200]));
}

#[test]
fn a_capability_number_past_32_bits_is_named_too_large_where_it_is() {
    let text =
        "cases:\n  - id: a\n    description: d\n    calls:\n      - get_orchestrator: { capabilities: [4294967296] }\n";
    let message = parse_text(text).unwrap_err().to_string();
    assert!(message.starts_with("suites/broken.yaml:"), "{message}");
    assert!(
        message.contains("capability number 4294967296 is too large: at most 4294967295"),
        "{message}"
    );
    let text = text.replace("4294967296", "4294967295");
    assert!(parse_text(&text).is_ok());
}
