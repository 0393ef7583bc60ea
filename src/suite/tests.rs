//! Suite files: the shipped ones load, and broken ones are refused with their place.

use std::path::Path;

use super::*;

fn parse_text(text: &str) -> Result<Suite, SuiteError> {
    parse(text, Path::new("suites/broken.yaml"), Protocol::built_in_ref())
}

#[test]
fn shipped_suites_load_with_unique_case_names() {
    let suites = built_in();
    // Every file in suites/ is built in, so a binary run elsewhere has the same suites.
    let from_disk = load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("suites"),
        Protocol::built_in_ref(),
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

const SCRIPTED: &str = "\
cases:
  - id: scripted
    description: d
    calls:
      - call:
          method: net.Orchestrator/GetOrchestrator
          request: { ignoreCapacityCheck: true, capabilities: { bitstring: [3], version: '0.9.1' } }
          sign: true
        expect: ok
        answer:
          transcoder: { matches: '^https://' }
          capabilities.version: { present: true }
          ticket_params.expiration_params.creation_round: { equals: 40 }
";

#[test]
fn scripted_calls_name_any_method_and_check_the_answer_by_path() {
    let suite = parse_text(SCRIPTED).unwrap();
    let step = &suite.cases[0].steps[0];
    let CallSpec::Scripted(call) = &step.call else {
        panic!("{:?}", step.call)
    };
    assert_eq!(call.method.full_name(), "net.Orchestrator.GetOrchestrator");
    assert!(call.sign);
    let request: crate::proto::net::OrchestratorRequest = call.request.transcode_to().unwrap();
    assert!(request.ignore_capacity_check);
    assert_eq!(request.capabilities.unwrap().bitstring, [3]);
    let paths: Vec<&str> = step.answer.iter().map(|check| check.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "capabilities.version",
            "ticket_params.expiration_params.creation_round",
            "transcoder"
        ]
    );
}

#[test]
fn answer_checks_judge_presence_patterns_and_values() {
    use crate::proto::net::{Capabilities, OrchestratorInfo, TicketExpirationParams, TicketParams};
    let suite = parse_text(SCRIPTED).unwrap();
    let checks = &suite.cases[0].steps[0].answer;
    let descriptor = Protocol::built_in().message("net.OrchestratorInfo").unwrap();
    let answer = |info: OrchestratorInfo| {
        prost_reflect::DynamicMessage::decode(descriptor.clone(), prost::Message::encode_to_vec(&info).as_slice())
            .unwrap()
    };
    let good = answer(OrchestratorInfo {
        transcoder: "https://o.example:8935".into(),
        capabilities: Some(Capabilities {
            version: "0.9.1".into(),
            ..Default::default()
        }),
        ticket_params: Some(TicketParams {
            expiration_params: Some(TicketExpirationParams {
                creation_round: 40,
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    });
    let judged: Vec<(String, bool)> = checks.iter().map(|check| check.judge(&good)).collect();
    assert_eq!(
        judged,
        [
            ("0.9.1".into(), true),
            ("40".into(), true),
            ("https://o.example:8935".into(), true)
        ]
    );
    let bad = answer(OrchestratorInfo {
        transcoder: "http://o.example:8935".into(),
        ..Default::default()
    });
    let judged: Vec<(String, bool)> = checks.iter().map(|check| check.judge(&bad)).collect();
    assert_eq!(
        judged,
        [
            ("absent".into(), false),
            ("absent".into(), false),
            ("http://o.example:8935".into(), false)
        ]
    );
    assert_eq!(checks[2].expected(), "a value matching /^https:///");
}

#[test]
fn scripted_calls_the_proto_cannot_make_are_errors_at_their_line() {
    let cases = [
        (
            "method: net.Orchestrator/Teleport",
            "request: {}",
            6,
            "has no method \"net.Orchestrator/Teleport\"",
        ),
        (
            "method: net.Orchestrator/Ping",
            "request: { colour: blue }",
            7,
            "net.PingPong has no field `colour`",
        ),
        (
            "method: net.Orchestrator/GetOrchestrator",
            "request: { ignoreCapacityCheck: 'yes' }",
            7,
            "call.request.ignoreCapacityCheck: expected true or false",
        ),
        (
            "method: net.Orchestrator/GetOrchestrator",
            "request: { capabilities: { capacities: { '1': -1 } } }",
            7,
            "call.request.capabilities.capacities.1: expected an integer that fits uint32",
        ),
        (
            "method: net.Orchestrator/Ping",
            "sign: true",
            7,
            "net.PingPong has no bytes field `address`",
        ),
        (
            "method: net.Transcoder/RegisterTranscoder",
            "request: {}",
            6,
            "streams; only unary methods",
        ),
    ];
    for (method, request, line, needle) in cases {
        let text = format!(
            "cases:\n  - id: broken_case\n    description: d\n    calls:\n      - call:\n          {method}\n          {request}\n"
        );
        let error = parse_text(&text).unwrap_err().to_string();
        assert!(error.starts_with(&format!("suites/broken.yaml:{line}:")), "{error}");
        assert!(
            error.contains("case `broken_case`") && error.contains(needle),
            "{error}"
        );
    }
    let answer_errors = [
        (
            "answer: { colour: { present: true } }",
            "net.OrchestratorInfo has no field `colour`",
        ),
        (
            "answer: { transcoder.host: { present: true } }",
            "`transcoder` is not a single message",
        ),
        (
            "answer: { transcoder: { present: true, matches: x } }",
            "exactly one of matches, present, equals",
        ),
    ];
    for (answer, needle) in answer_errors {
        let text = format!(
            "cases:\n  - id: broken_case\n    description: d\n    calls:\n      - call: {{ method: net.Orchestrator/GetOrchestrator }}\n        {answer}\n"
        );
        let error = parse_text(&text).unwrap_err().to_string();
        assert!(error.starts_with("suites/broken.yaml:6:"), "{error}");
        assert!(error.contains(needle), "{error}");
    }
    let on_ping = "cases:\n  - id: broken_case\n    description: d\n    calls:\n      - ping: {}\n        answer: { value: { present: true } }\n";
    let error = parse_text(on_ping).unwrap_err().to_string();
    assert!(
        error.starts_with("suites/broken.yaml:6:") && error.contains("answer of a `call:` step"),
        "{error}"
    );
}
