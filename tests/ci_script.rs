//! `ci/conformance.sh` end to end, with `lpconform serve` standing in for the orchestrator
//! binary: it records the snapshots of a release, passes the same release again, and fails
//! (exit 1, with a readable diff) on a changed price and on a faulted orchestrator.

use std::path::Path;
use std::process::{Command, Output};

const BINARY: &str = env!("CARGO_BIN_EXE_lpconform");
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ci/conformance.sh");

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Runs the script against `lpconform serve` started with `serve_flags`; returns its output.
fn gate(snapshots: &Path, out: &Path, script_flags: &[&str], serve_flags: &[&str]) -> (Option<i32>, String) {
    let port = free_port().to_string();
    let target = format!("http://127.0.0.1:{port}");
    let listen = format!("127.0.0.1:{port}");
    let mut command = Command::new("bash");
    command
        .arg(SCRIPT)
        .args(["--target", &target, "--profile", "release", "--ready-timeout", "20"])
        .args([
            "--snapshots",
            snapshots.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--lpconform", BINARY])
        .args(script_flags)
        // On chain, where go-livepeer advertises its price; every gateway funded.
        .args([
            "--",
            BINARY,
            "serve",
            "--h2c",
            "--listen",
            &listen,
            "-network",
            "onchain",
            "--fund-all",
        ])
        .args(serve_flags)
        .env_remove("LPCONFORM_TARGET");
    let output: Output = command.output().unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), text)
}

#[test]
fn the_release_gate_records_passes_and_fails_with_a_diff() {
    let scratch = tempfile::tempdir().unwrap();
    let snapshots = scratch.path().join("snapshots");
    let out = scratch.path().join("out");
    // The URL the orchestrator advertises changes with its port; the operator states the price.
    let expect = ["--expect", "pricePerUnit=1000"];

    let (code, text) = gate(&snapshots, &out, &[&expect[..], &["--record"]].concat(), &[]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("snapshots") && text.contains("recorded"), "{text}");
    assert!(snapshots.join("release/discovery__info.snap").is_file(), "{text}");
    for report in [
        "junit.xml",
        "report.json",
        "report.html",
        "report.txt",
        "orchestrator.log",
    ] {
        assert!(out.join(report).is_file(), "{report} missing: {text}");
    }

    let (code, text) = gate(&snapshots, &out, &expect, &[]);
    assert_eq!(code, Some(0), "the same release passes: {text}");
    assert!(text.contains("unchanged"), "{text}");

    // A new release that doubled its price, on purpose: the snapshot diff shows it.
    let (code, text) = gate(
        &snapshots,
        &out,
        &["--expect", "pricePerUnit=2000"],
        &["--pricePerUnit", "2000"],
    );
    assert_eq!(code, Some(1), "{text}");
    // With go-livepeer's auto-adjust overhead of 1/100.
    assert!(text.contains("-  wei_per_pixel: 1010/1"), "{text}");
    assert!(text.contains("+  wei_per_pixel: 2020/1"), "{text}");

    // A release that breaks a rule.
    let (code, text) = gate(&snapshots, &out, &expect, &["--fault", "short-address"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("ADDR-001"), "{text}");
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(junit.contains("ADDR-001"), "{junit}");
}

#[test]
fn an_orchestrator_that_does_not_start_or_bad_usage_exits_2() {
    let scratch = tempfile::tempdir().unwrap();
    let snapshots = scratch.path().join("snapshots");
    let out = scratch.path().join("out");
    let port = free_port().to_string();
    let output = Command::new("bash")
        .arg(SCRIPT)
        .args(["--target", &format!("http://127.0.0.1:{port}"), "--ready-timeout", "10"])
        .args([
            "--snapshots",
            snapshots.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["--lpconform", BINARY, "--", "false"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("exited before its port"), "{stderr}");

    let output = Command::new("bash").arg(SCRIPT).args(["--target"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--target needs a value"), "{stderr}");
    let output = Command::new("bash")
        .arg(SCRIPT)
        .args(["--target", "ftp://x", "--", "true"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not http(s)://host[:port]"), "{stderr}");
}

#[test]
fn the_gate_accepts_known_failures_fails_stale_ones_and_compares_with_the_previous_release() {
    let scratch = tempfile::tempdir().unwrap();
    // Never recorded: a missing snapshot only warns, so the verdicts below are the rules' own.
    let snapshots = scratch.path().join("snapshots");
    let out = scratch.path().join("out");
    let known = scratch.path().join("known-failures.yaml");
    std::fs::write(
        &known,
        "- rule: TICKET-004\n  case: pricing::ticket_params\n  reason: go-livepeer#0000 short rand hashes, fixed next release\n  until: 2999-12-31\n",
    )
    .unwrap();
    let known = known.to_str().unwrap();
    let previous = scratch.path().join("previous-report.json");

    // The previous release, clean: its report is what the next one is compared with.
    let (code, text) = gate(&snapshots, &out, &[], &[]);
    assert_eq!(code, Some(0), "{text}");
    std::fs::copy(out.join("report.json"), &previous).unwrap();
    let previous = previous.to_str().unwrap();

    // This release has the known defect: the gate passes, and the comparison lists it as known.
    let (code, text) = gate(
        &snapshots,
        &out,
        &["--known-failures", known, "--previous-report", previous],
        &["--fault", "short-rand-hash"],
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("     KNOWN TICKET-004"), "{text}");
    assert!(
        text.contains("newly_known      TICKET-004  pass -> known_failure"),
        "{text}"
    );
    assert!(text.contains("not worse than the previous release"), "{text}");
    assert!(
        out.join("compare.html").is_file() && out.join("compare.txt").is_file(),
        "{text}"
    );
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(
        junit.contains(r#"<skipped message="known failure: go-livepeer#0000 short rand hashes, fixed next release""#),
        "{junit}"
    );

    // The next release fixed it: the entry is stale and the gate fails, naming it.
    let (code, text) = gate(&snapshots, &out, &["--known-failures", known], &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "STALE known failure TICKET-004 in pricing::ticket_params ({known}:1): no longer fails"
        )),
        "{text}"
    );

    // A release whose own run passes but warns where the previous one did not: worse, exit 1.
    let (code, text) = gate(
        &snapshots,
        &out,
        &["--previous-report", previous],
        &["--fault", "bad-version"],
    );
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("new_warning      CAP-006  pass -> warn"), "{text}");
    assert!(text.contains("worse than the previous release"), "{text}");

    let (code, text) = gate(
        &snapshots,
        &out,
        &["--previous-report", "/nonexistent/report.json"],
        &[],
    );
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("--previous-report '/nonexistent/report.json' is not a file"),
        "{text}"
    );
}

/// A run that could not judge the orchestrator (exit 2: here a bad `--expect`) is compared with
/// nothing: the gate says so instead of calling the release worse than the previous one.
#[test]
fn a_run_that_could_not_run_is_not_compared_with_the_previous_release() {
    let scratch = tempfile::tempdir().unwrap();
    let snapshots = scratch.path().join("snapshots");
    let out = scratch.path().join("out");
    let previous = scratch.path().join("previous-report.json");
    std::fs::write(&previous, "{}").unwrap();
    let (code, text) = gate(
        &snapshots,
        &out,
        &[
            "--expect",
            "noSuchKey=1",
            "--previous-report",
            previous.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("not compared with the previous release: this run could not judge the orchestrator (exit 2)"),
        "{text}"
    );
    assert!(!text.contains("worse than the previous release"), "{text}");
    assert!(!out.join("compare.txt").exists(), "{text}");
}

/// The workflow an orchestrator's repository copies starts go-livepeer with its own flag names,
/// expects no price off chain (go-livepeer advertises none there) and passes the script only
/// options it has.
#[test]
fn the_workflow_uses_go_livepeer_flags_and_the_script_options() {
    let workflow = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/ci/github/orchestrator-conformance.yml"
    ))
    .unwrap();
    let script = std::fs::read_to_string(SCRIPT).unwrap();
    let document: serde_json::Value = serde_norway::from_str(&workflow).unwrap();
    let steps = document["jobs"]["conformance"]["steps"].as_array().unwrap();
    let run_of = |name: &str| {
        steps
            .iter()
            .find(|step| step["name"] == name)
            .and_then(|step| step["run"].as_str())
            .unwrap_or_else(|| panic!("a step named {name:?}"))
            .to_string()
    };
    let offchain = run_of("Conformance, off chain");
    let onchain = run_of("Conformance, on chain");
    for run in [&offchain, &onchain] {
        assert!(run.contains("-serviceAddr 127.0.0.1:8935"), "{run}");
        assert!(!run.contains("serviceURI"), "go-livepeer's flag is -serviceAddr: {run}");
        for option in [
            "--known-failures",
            "--previous-report",
            "--expect",
            "--profile",
            "--snapshots",
        ] {
            assert!(run.contains(option), "{option} missing: {run}");
        }
        for option in run
            .split_whitespace()
            .filter(|word| word.starts_with("--") && word.len() > 2)
        {
            assert!(
                script.contains(&format!("    {option})")),
                "conformance.sh has no {option}"
            );
        }
    }
    assert!(
        !offchain.contains("pricePerUnit"),
        "off chain go-livepeer advertises no price: {offchain}"
    );
    assert!(onchain.contains("--expect pricePerUnit=1000") && onchain.contains("-pricePerUnit 1000"));
    assert!(onchain.contains("--remote-signer http://127.0.0.1:7936"));
    assert!(run_of("Remote signer for the on-chain gateway identity").contains("-remoteSigner"));
    assert!(run_of("Publish the comparison with the previous release").contains("GITHUB_STEP_SUMMARY"));

    // The orchestrator under test is the release's own binary or image, an input: never built here.
    assert!(
        !workflow.contains("make livepeer") && !workflow.contains("setup-go"),
        "{workflow}"
    );
    let triggers = document
        .get("on")
        .or_else(|| document.get("true"))
        .expect("the workflow's triggers");
    for input in ["orchestrator-artifact", "orchestrator-image"] {
        assert!(triggers["workflow_call"]["inputs"].get(input).is_some(), "{triggers}");
    }
    assert!(
        triggers["workflow_dispatch"]["inputs"]
            .get("orchestrator-image")
            .is_some(),
        "{triggers}"
    );
    let chosen = run_of("The orchestrator under test");
    assert!(
        chosen.contains("LIVEPEER=") && chosen.contains("docker run"),
        "{chosen}"
    );
    for run in [&offchain, &onchain] {
        assert!(run.contains("-- $LIVEPEER -orchestrator"), "{run}");
        // Like the previous report, the known failures are used when the repository keeps them.
        assert!(
            run.contains(
                "$( [ -f conformance/known-failures.yaml ] && echo --known-failures conformance/known-failures.yaml )"
            ),
            "{run}"
        );
    }
}
