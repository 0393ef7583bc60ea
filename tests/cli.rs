//! The `lpconform` binary as users run it: exit codes, the embedded
//! orchestrator, a served orchestrator dialled from another process, faults.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::serve;

const BINARY: &str = env!("CARGO_BIN_EXE_lpconform");

const AI_MODELS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/aiModels.json");

/// Runs the binary in an empty directory, so it uses its built-in suites and
/// whatever snapshot files it leaves go nowhere near the repository.
fn lpconform(args: &[&str]) -> Output {
    let scratch = tempfile::tempdir().expect("a scratch directory");
    Command::new(BINARY)
        .current_dir(scratch.path())
        .args(args)
        .env_remove("LPCONFORM_TARGET")
        .env_remove("LPCONFORM_GATEWAY_KEY")
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn run_without_target_checks_the_embedded_orchestrator_and_exits_0() {
    let output = lpconform(&["run", "--onchain", "--aiModels", AI_MODELS]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains("OrchestratorInfo"), "{stdout}");
    assert!(stdout.contains("text-to-image"), "{stdout}");
    assert!(stdout.contains("PASS identity::ping_signed_by_address"), "{stdout}");
    assert!(stdout.contains("failed: 0,"), "{stdout}");
}

#[test]
fn run_against_a_served_orchestrator_in_another_process() {
    let (_served, url) = serve(&["--onchain", "--fund-all"]);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let output = lpconform(&["run", "--target", &url]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains(&format!("transcoder: {url}")), "{stdout}");
}

#[test]
fn a_broken_must_rule_exits_1_naming_the_rule_and_field() {
    let output = lpconform(&["run", "--onchain", "--fault", "short-rand-hash"]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL pricing::ticket_params"), "{stdout}");
    assert!(stdout.contains("FAIL TICKET-004"), "{stdout}");
    assert!(stdout.contains("ticket_params.recipient_rand_hash"), "{stdout}");
}

#[test]
fn should_rules_fail_only_with_strict() {
    let lenient = lpconform(&["run", "--fault", "bad-version"]);
    assert_eq!(lenient.status.code(), Some(0), "{}", text(&lenient.stdout));
    assert!(text(&lenient.stdout).contains("WARN CAP-006"));
    let strict = lpconform(&["run", "--strict", "--fault", "bad-version"]);
    assert_eq!(strict.status.code(), Some(1), "{}", text(&strict.stdout));
}

#[test]
fn expectations_are_checked_against_a_target() {
    // On chain: go-livepeer advertises no price off-chain, so CFG-002 skips there.
    let (_served, url) = serve(&[
        "-network",
        "onchain",
        "--fund-all",
        "-pricePerUnit",
        "1200",
        "-pixelsPerUnit",
        "3",
    ]);
    let matching = lpconform(&[
        "run",
        "--target",
        &url,
        "--expect",
        "pricePerUnit=400",
        "--expect",
        "pixelsPerUnit=1",
    ]);
    assert_eq!(matching.status.code(), Some(0), "{}", text(&matching.stdout));
    let other = lpconform(&["run", "--target", &url, "--expect", "pricePerUnit=1300"]);
    assert_eq!(other.status.code(), Some(1), "{}", text(&other.stdout));
    assert!(text(&other.stdout).contains("FAIL CFG-002"));
}

#[test]
fn usage_and_configuration_errors_exit_2_with_a_clear_message() {
    let cases: &[(&[&str], &str)] = &[
        (&["run", "--no-such-flag"], "--no-such-flag"),
        (&["run", "--expect", "colour=blue"], "unknown key"),
        (&["run", "--target", "ftp://host:1"], "ftp"),
        (&["run", "--fault", "no-such-fault"], "no-such-fault"),
        (
            &["run", "--aiModels", "/nonexistent/aiModels.json"],
            "/nonexistent/aiModels.json",
        ),
        // Numbers beyond their type say so, with the flag and the bound.
        (
            &["run", "--max-decode-bytes", "18446744073709551616"],
            "'--max-decode-bytes <MAX_DECODE_BYTES>': too large: at most 18446744073709551615",
        ),
        (
            &["fuzz", "--seed", "18446744073709551616"],
            "'--seed <SEED>': too large: at most 18446744073709551615",
        ),
        (
            &["serve", "--maxSessions", "4294967296"],
            "too large: at most 4294967295",
        ),
        (
            &["run", "--expect", "pricePerUnit=9223372036854775808"],
            "--expect pricePerUnit=9223372036854775808: too large: at most 9223372036854775807",
        ),
    ];
    for (args, needle) in cases {
        assert_refused(args, needle);
    }
}

#[test]
fn unreachable_target_is_an_error_within_the_deadline() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let started = std::time::Instant::now();
    let output = lpconform(&[
        "run",
        "--target",
        &format!("https://127.0.0.1:{port}"),
        "--connect-timeout",
        "2s",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains(&format!("127.0.0.1:{port}")),
        "{}",
        text(&output.stderr)
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn rules_lists_every_rule_id_of_the_catalog() {
    let table = text(&lpconform(&["rules"]).stdout);
    let markdown = text(&lpconform(&["rules", "--markdown"]).stdout);
    let shipped = std::fs::read_to_string("docs/rules.md").unwrap();
    assert_eq!(markdown, shipped, "docs/rules.md is stale");
    for id in [
        "REQ-001",
        "ADDR-001",
        "IDENT-003",
        "TICKET-008",
        "PRICE-009",
        "SPEC-003",
        "CFG-004",
        "RPC-006",
    ] {
        assert!(table.contains(id), "{id} missing from `lpconform rules`");
    }
}

#[test]
fn serve_accepts_go_livepeer_single_dash_flags_and_faults() {
    let (_served, url) = serve(&[
        "-serviceURI",
        "https://orch.example:8935",
        "--fault",
        "no-auth-token",
        "--h2c",
    ]);
    assert!(url.starts_with("http://"), "{url}");
    let output = lpconform(&["run", "--target", &url]);
    let stdout = text(&output.stdout);
    assert!(stdout.contains("transcoder: https://orch.example:8935"), "{stdout}");
    assert!(stdout.contains("FAIL REQ-006"), "{stdout}");
}

#[test]
fn suites_are_chosen_filtered_and_validated() {
    let filtered = lpconform(&["run", "--case", "sessions::"]);
    let stdout = text(&filtered.stdout);
    assert_eq!(filtered.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("cases: 3,"), "{stdout}");

    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yaml");
    std::fs::write(
        &broken,
        "cases:\n  - id: a\n    description: d\n    calls: [ping: {}]\n    rulez: [REQ-001]\n",
    )
    .unwrap();
    let output = lpconform(&["run", "--suite", broken.to_str().unwrap()]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("broken.yaml:5:") && stderr.contains("rulez"),
        "{stderr}"
    );

    let typo = lpconform(&["run", "--case", "sesions::"]);
    let stderr = text(&typo.stderr);
    assert_eq!(typo.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("matches no case"), "{stderr}");
    let empty = tempfile::tempdir().unwrap();
    let output = lpconform(&["run", "--suite", empty.path().to_str().unwrap()]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("holds no .yaml suite files"), "{stderr}");
}

#[test]
fn a_first_run_in_an_empty_directory_is_a_clean_pass_that_writes_nothing() {
    // No snapshot set exists there, so none is compared and no pending snapshot is left; a
    // second run still finds the built-in suites.
    let empty = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let output = Command::new(BINARY)
            .current_dir(empty.path())
            .env_remove("LPCONFORM_TARGET")
            .arg("run")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stdout = text(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{stdout}");
        assert!(text(&output.stderr).is_empty(), "{}", text(&output.stderr));
        assert!(stdout.contains("failed: 0, warnings: 0,"), "{stdout}");
        assert!(!stdout.contains("WARN") && !stdout.contains("snapshot"), "{stdout}");
        let left: Vec<_> = std::fs::read_dir(empty.path()).unwrap().collect();
        assert!(left.is_empty(), "the run left {left:?}");
    }
}

#[test]
fn snapshots_are_compared_where_a_set_is_named_and_pending_ones_go_only_there() {
    let scratch = tempfile::tempdir().unwrap();
    let set = scratch.path().join("release");
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "--case", "discovery::signed_request", "--snapshots"];
        args.push(set.to_str().unwrap());
        args.extend(extra);
        Command::new(BINARY)
            .current_dir(scratch.path())
            .env_remove("LPCONFORM_TARGET")
            .args(&args)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let missing = run(&[]);
    assert!(
        text(&missing.stdout).contains("not recorded yet"),
        "{}",
        text(&missing.stdout)
    );
    let profile = set.join("embedded-onchain-transcoding-ai");
    assert!(profile.join("discovery__info.snap.new").is_file());
    let recorded = run(&["--update-snapshots"]);
    assert_eq!(recorded.status.code(), Some(0));
    assert!(profile.join("discovery__info.snap").is_file());
    let entries: Vec<_> = std::fs::read_dir(scratch.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(entries, ["release"], "nothing beside the named set");
}

/// A recorded snapshot lpconform cannot read is a problem of the run (exit 2), never a finding.
#[test]
fn a_snapshot_that_cannot_be_read_exits_2_not_1() {
    let scratch = tempfile::tempdir().unwrap();
    let set = scratch.path().join("release");
    let profile = set.join("embedded-onchain-transcoding-ai");
    std::fs::create_dir_all(&profile).unwrap();
    std::fs::write(profile.join("discovery__info.snap"), b"---\n---\nnot UTF-8: \xff\n").unwrap();
    let output = Command::new(BINARY)
        .current_dir(scratch.path())
        .env_remove("LPCONFORM_TARGET")
        .args(["run", "--case", "discovery::signed_request", "--snapshots"])
        .arg(&set)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stdout.contains("harness error: snapshot info could not be used:") && stdout.contains("not UTF-8"),
        "{stdout}"
    );
    assert!(stderr.contains("could not be judged"), "{stderr}");
}

/// Runs the binary in an empty directory as [`lpconform`] does, its stdout going to `stdout`
/// (`None`: a pipe whose reader has gone away before anything was written).
fn lpconform_writing_to(stdout: Option<std::fs::File>, args: &[&str]) -> Output {
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let mut command = Command::new(BINARY);
    command
        .current_dir(scratch.path())
        .args(args)
        .env_remove("LPCONFORM_TARGET")
        .env_remove("LPCONFORM_GATEWAY_KEY")
        .stderr(Stdio::piped());
    match stdout {
        Some(file) => command.stdout(file),
        None => command.stdout(Stdio::piped()),
    };
    let mut child = command.spawn().expect("the binary runs");
    drop(child.stdout.take());
    child.wait_with_output().expect("the binary ends")
}

/// A targets file naming one port nothing listens on, in `directory`.
fn unreachable_targets(directory: &std::path::Path) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let path = directory.join("targets.txt");
    std::fs::write(&path, format!("https://127.0.0.1:{port}\n")).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn a_closed_stdout_ends_quietly_with_the_exit_status_of_the_run() {
    let scratch = tempfile::tempdir().unwrap();
    let targets = unreachable_targets(scratch.path());
    let cases: &[(&[&str], i32)] = &[
        (&["run"], 0),
        (&["run", "--format", "json"], 0),
        (&["run", "--fault", "zero-pixels-per-unit"], 1),
        (&["rules", "--markdown"], 0),
        (&["sweep", "--targets", &targets, "--format", "json"], 1),
        (&["spec", "drift"], 0),
    ];
    for (args, code) in cases {
        let output = lpconform_writing_to(None, args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(*code), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

#[test]
fn a_full_disk_on_stdout_is_an_error_naming_stdout() {
    for args in [&["run"][..], &["rules"], &["run", "--format", "json"]] {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
        let output = lpconform_writing_to(Some(full), args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("stdout: cannot write"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn durations_beyond_what_the_transport_takes_are_usage_errors_in_every_command() {
    let scratch = tempfile::tempdir().unwrap();
    let targets = unreachable_targets(scratch.path());
    let finding = scratch.path().join("finding.json");
    std::fs::write(&finding, "{}").unwrap();
    let finding = finding.to_str().unwrap();
    let huge = "99999999999999s";
    let cases: &[&[&str]] = &[
        &["run", "--call-timeout", huge],
        &["run", "--connect-timeout", huge],
        &["fuzz", "--call-timeout", huge],
        &["fuzz", "--duration", huge],
        &["fuzz", "--recovery-timeout", huge],
        &["replay", finding, "--call-timeout", huge],
        &["sweep", "--targets", &targets, "--call-timeout", huge],
        &["sweep", "--targets", &targets, "--target-timeout", huge],
        &["selftest", "--call-timeout", huge],
        &["run", "--call-timeout", "0s"],
    ];
    for args in cases {
        let output = lpconform(args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        let flag = args.iter().rev().nth(1).unwrap();
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

/// `args` end in exit 2 at once, the message naming `needle`, without a panic.
fn assert_refused(args: &[&str], needle: &str) {
    let output = lpconform(args);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(needle), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
}

#[test]
fn embedded_orchestrator_flags_with_a_target_are_refused() {
    let target = "http://127.0.0.1:9";
    for command in ["run", "fuzz"] {
        assert_refused(
            &[command, "--target", target, "--fault", "zero-pixels-per-unit"],
            "--fault configures the embedded orchestrator, which runs only without --target",
        );
        assert_refused(
            &[command, "--target", target, "-pricePerUnit", "5", "--onchain"],
            "--pricePerUnit, --onchain configure the embedded orchestrator",
        );
    }
    let scratch = tempfile::tempdir().unwrap();
    let finding = scratch.path().join("finding.json");
    std::fs::write(&finding, "{}").unwrap();
    let output = Command::new(BINARY)
        .args(["replay", finding.to_str().unwrap(), "--h2c"])
        .env("LPCONFORM_TARGET", target)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--h2c configures the embedded orchestrator"));
}

#[test]
fn contradicting_modes_are_refused() {
    assert_refused(
        &["run", "--mode", "onchain", "--mode", "offchain"],
        "--mode onchain and --mode offchain contradict each other",
    );
    assert_refused(
        &["run", "--mode", "ai", "--mode", "transcoding", "--mode", "no-ai"],
        "--mode ai and --mode no-ai contradict each other",
    );
}

#[test]
fn a_ca_without_a_tls_target_is_refused() {
    assert_refused(
        &["run", "--target", "http://127.0.0.1:9", "--ca", "ca.pem"],
        "--ca ca.pem: a CA verifies the certificate of an https:// --target, and http://127.0.0.1:9 is h2c",
    );
    assert_refused(&["fuzz", "--ca", "ca.pem"], "the embedded orchestrator's certificate");
}

#[test]
fn two_reports_on_one_path_are_refused() {
    assert_refused(
        &["run", "--junit", "report.out", "--report-json", "./report.out"],
        "--junit and --report-json both name ./report.out",
    );
}

#[test]
fn no_transcoding_without_ai_models_is_refused() {
    let message = "--transcoder none leaves the embedded orchestrator nothing to offer: give -aiModels FILE too";
    assert_refused(&["serve", "--no-transcoding"], message);
    assert_refused(&["serve", "--transcoder", "none"], message);
    // run's embedded orchestrator has the shipped models unless told otherwise.
    assert_refused(&["run", "--no-transcoding", "--aiModels", "none"], message);
}

#[test]
fn an_unreachable_target_still_gets_every_report_stating_the_error() {
    let scratch = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target = format!("https://{}", listener.local_addr().unwrap());
    drop(listener);
    let file = |name: &str| scratch.path().join(name).to_str().unwrap().to_string();
    let (junit, html, json) = (file("junit.xml"), file("report.html"), file("report.json"));
    let output = lpconform(&[
        "run",
        "--target",
        &target,
        "--format",
        "json",
        "--junit",
        &junit,
        "--report-html",
        &html,
        "--report-json",
        &json,
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    let problem = stderr.trim().strip_prefix("error: ").unwrap_or(&stderr).to_string();
    assert!(problem.contains(&target[8..]), "{stderr}");
    for document in [text(&output.stdout), std::fs::read_to_string(&json).unwrap()] {
        let report: lpconform::report::json::JsonReport = serde_json::from_str(&document).unwrap();
        assert_eq!(report.error.as_deref(), Some(problem.as_str()), "{document}");
        assert!(!report.conformant && report.cases.is_empty(), "{document}");
        assert_eq!(report.target, target);
    }
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(
        page.contains("the run could not happen") && page.contains(&target[8..]),
        "{page}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<error") && !xml.contains("<failure"), "{xml}");
}

#[test]
fn unreadable_inputs_are_located_errors_not_hangs() {
    let scratch = tempfile::tempdir().unwrap();
    let path = |name: &str| scratch.path().join(name).to_str().unwrap().to_string();
    std::fs::write(path("no-cases.yaml"), "description: nothing\ncases: []\n").unwrap();
    assert_refused(
        &["run", "--suite", &path("no-cases.yaml")],
        &format!("{}:2:1: cases: list at least one case", path("no-cases.yaml")),
    );
    let huge = std::fs::File::create(path("huge.yaml")).unwrap();
    huge.set_len(8 * 1024 * 1024 + 1).unwrap();
    assert_refused(&["run", "--suite", &path("huge.yaml")], "is over 8 MiB");
    let fifo_made = Command::new("mkfifo").arg(path("fifo.yaml")).status();
    if fifo_made.is_ok_and(|status| status.success()) {
        assert_refused(&["run", "--suite", &path("fifo.yaml")], "not a regular file");
        assert_refused(&["replay", &path("fifo.yaml")], "not a regular file");
    }
    std::fs::write(path("a-file"), "").unwrap();
    assert_refused(
        &[
            "fuzz",
            "--corpus",
            &format!("{}/findings", path("a-file")),
            "--duration",
            "1s",
        ],
        "is a file, so the findings cannot be saved there",
    );
}

#[test]
fn dialling_the_wrong_scheme_suggests_the_other() {
    let (_tls, url) = serve(&[]);
    let output = lpconform(&["run", "--target", &url.replace("https://", "http://")]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("(they are TLS: use an https:// target)"), "{stdout}");
    let (_h2c, url) = serve(&["--h2c"]);
    let output = lpconform(&["run", "--target", &url.replace("http://", "https://")]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("if it serves h2c, use an http:// target"), "{stdout}");
}

#[test]
fn an_unfunded_gateway_is_said_once_still_checks_what_needs_no_answer_and_exits_2() {
    let funded_elsewhere = "0x1111111111111111111111111111111111111111";
    let (_served, url) = serve(&["--onchain", "--h2c", "--fund", funded_elsewhere]);
    let scratch = tempfile::tempdir().unwrap();
    let json = scratch.path().join("report.json");
    let output = lpconform(&["run", "--target", &url, "--report-json", json.to_str().unwrap()]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert_eq!(
        stdout.matches("insufficient sender reserve`: the gateway").count(),
        1,
        "{stdout}"
    );
    assert!(stdout.contains("PASS identity::forged_signature_rejected"), "{stdout}");
    assert!(stdout.contains("PASS identity::ping_signed_by_address"), "{stdout}");
    assert!(
        stdout.contains("SKIP discovery::signed_request (the gateway identity is unfunded"),
        "{stdout}"
    );
    assert!(!stdout.lines().any(|line| line.starts_with("FAIL ")), "{stdout}");
    let report: lpconform::report::json::JsonReport =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(report.unfunded_gateway.is_some() && !report.conformant);
    assert!(
        report.modes.onchain,
        "a refusal for an unfunded gateway makes the orchestrator on-chain"
    );
}

#[test]
fn a_remote_signer_gives_the_funded_identity() {
    let funded = lpconform::eth::EthKey::random();
    let (signer, answered) = common::remote_signer(&funded);
    let funded_address = funded.address().to_checksum();
    let (_served, url) = serve(&["--onchain", "--h2c", "--fund", &funded_address]);
    let signed = lpconform(&["run", "--target", &url, "--remote-signer", &signer]);
    assert_eq!(signed.status.code(), Some(0), "{}", text(&signed.stdout));
    assert_eq!(
        answered.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "asked once per run"
    );
    // The random key of a run without the signer is refused, so the signer's identity was used.
    let unsigned = lpconform(&["run", "--target", &url]);
    assert_eq!(unsigned.status.code(), Some(2), "{}", text(&unsigned.stdout));
    let not_a_signer = lpconform(&["run", "--target", &url, "--remote-signer", "https://127.0.0.1:1"]);
    assert_eq!(not_a_signer.status.code(), Some(2));
    assert!(text(&not_a_signer.stderr).contains("remote signer https://127.0.0.1:1: only http://"));
}

#[test]
fn an_orchestrator_at_capacity_is_reported_as_such_not_failed() {
    let (_served, url) = serve(&["--h2c", "--at-capacity"]);
    let output = lpconform(&["run", "--target", &url]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("SKIP discovery::signed_request (the orchestrator is at capacity"),
        "{stdout}"
    );
    assert!(!stdout.lines().any(|line| line.starts_with("FAIL ")), "{stdout}");
    // go-livepeer refuses at -maxSessions whatever ignoreCapacityCheck says: RPC-007 notes it.
    assert!(stdout.contains("WARN RPC-007"), "{stdout}");
    let strict = lpconform(&["run", "--target", &url, "--strict"]);
    assert_eq!(strict.status.code(), Some(1), "{}", text(&strict.stdout));
}

#[test]
fn run_against_serve_is_conformant_in_every_configuration() {
    let secret = hex::encode(lpconform::eth::keccak256(b"lpconform cli test gateway"));
    let gateway = lpconform::eth::EthKey::from_hex(&secret).unwrap();
    let key_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(key_file.path(), &secret).unwrap();
    let funded = gateway.address().to_checksum();
    let configurations: &[&[&str]] = &[
        &[],
        &["--transcoder", "gpu", "--h2c"],
        &["--transcoder", "none", "-aiModels", AI_MODELS],
        &["-aiModels", AI_MODELS, "--version", "undefined"],
        &["-network", "onchain", "--fund", &funded, "-aiModels", AI_MODELS],
        &[
            "-network",
            "onchain",
            "--fund",
            &funded,
            "--transcoder",
            "none",
            "-aiModels",
            AI_MODELS,
        ],
        &[
            "-network",
            "onchain",
            "--fund",
            &funded,
            "-autoAdjustPrice=false",
            "-serviceAddr",
            "o.example:8935",
        ],
    ];
    for flags in configurations {
        let (_served, url) = serve(flags);
        let output = lpconform(&[
            "run",
            "--target",
            &url,
            "--gateway-key",
            key_file.path().to_str().unwrap(),
        ]);
        let stdout = text(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(0),
            "serve {flags:?}:\n{stdout}{}",
            text(&output.stderr)
        );
        if flags.contains(&"-serviceAddr") {
            assert!(stdout.contains("transcoder: https://o.example:8935"), "{stdout}");
        }
    }
}

/// go-livepeer 0.9 dies of an EndTranscodingSession without a token; so does `serve` with the
/// fault, printing the Go runtime's panic and exiting with Go's status 2.
#[test]
fn serve_with_crash_on_missing_token_exits_like_go_livepeer() {
    let mut child = Command::new(BINARY)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--h2c",
            "--fault",
            "crash-on-missing-token",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|word| word.contains("://"))
        .unwrap()
        .to_string();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let connection = common::driver_to(&url).await;
        let request = lpconform::proto::net::EndTranscodingSessionRequest { auth_token: None };
        let ended = connection
            .call::<lpconform::proto::net::EndTranscodingSessionResponse>(
                lpconform::protocol::RpcMethod::EndTranscodingSession,
                &request,
            )
            .await;
        assert!(ended.is_err());
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(std::time::Instant::now() < deadline, "serve did not exit");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(2));
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        stderr.contains("panic: runtime error: invalid memory address or nil pointer dereference"),
        "{stderr}"
    );
}

#[test]
fn a_profile_that_would_leave_the_snapshots_directory_is_refused() {
    let scratch = tempfile::tempdir().unwrap();
    let inner = scratch.path().join("a").join("b");
    std::fs::create_dir_all(&inner).unwrap();
    for profile in ["../../escape", "..", "nested/set", ""] {
        let output = Command::new(BINARY)
            .current_dir(&inner)
            .env_remove("LPCONFORM_TARGET")
            .args([
                "run",
                "--case",
                "discovery::signed_request",
                "--update-snapshots",
                "--profile",
                profile,
            ])
            .output()
            .unwrap();
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{profile:?}: {stderr}");
        assert!(
            stderr.contains("--profile") && stderr.contains("one directory inside the snapshots directory"),
            "{stderr}"
        );
    }
    assert!(!scratch.path().join("escape").exists(), "nothing was written outside");
    assert_eq!(std::fs::read_dir(&inner).unwrap().count(), 0, "nor inside");
}

/// Every file input of every command goes through the one bounded reader: a FIFO no one writes
/// to, `/dev/zero` and a directory are refused at once (exit 2), the message naming the flag,
/// never a hang or a run out of memory.
#[test]
fn every_file_input_refuses_fifos_devices_and_directories_quickly_naming_the_flag() {
    let scratch = tempfile::tempdir().unwrap();
    let fifo = scratch.path().join("fifo");
    let fifo_made = Command::new("mkfifo").arg(&fifo).status();
    let mut inputs = vec!["/dev/zero".to_string(), scratch.path().to_str().unwrap().to_string()];
    if fifo_made.is_ok_and(|status| status.success()) {
        inputs.push(fifo.to_str().unwrap().to_string());
    }
    let commands: [(&str, &[&str]); 9] = [
        ("--openapi", &["run", "--openapi"]),
        ("--proto", &["run", "--proto"]),
        ("--gateway-key", &["run", "--gateway-key"]),
        ("--eth-key", &["run", "--eth-key"]),
        ("--aiModels", &["run", "--aiModels"]),
        ("--pricePerGateway", &["run", "--pricePerGateway"]),
        ("--ca", &["run", "--target", "https://127.0.0.1:9", "--ca"]),
        ("--openapi", &["spec", "drift", "--openapi"]),
        ("--proto", &["spec", "drift", "--proto"]),
    ];
    for (flag, command) in commands {
        for input in &inputs {
            // The directory is a proto include directory: only its FIFO must not be read.
            if flag == "--proto" && input == scratch.path().to_str().unwrap() {
                continue;
            }
            let args = [command, &[input.as_str()]].concat();
            let started = std::time::Instant::now();
            let output = lpconform(&args);
            let stderr = text(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(stderr.contains(flag), "{args:?}: {stderr}");
            assert!(stderr.contains("not a regular file"), "{args:?}: {stderr}");
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{args:?} took {:?}",
                started.elapsed()
            );
        }
    }
    // Each kind has its cap, checked before anything is read.
    let large = scratch.path().join("large.proto");
    std::fs::File::create(&large).unwrap().set_len(13 << 20).unwrap();
    let large = large.to_str().unwrap();
    assert_refused(&["spec", "drift", "--proto", large], "is over 1 MiB");
    assert_refused(&["run", "--gateway-key", large], "is over 4 KiB");
    assert_refused(&["run", "--openapi", large], "too large for an OpenAPI document");
}
