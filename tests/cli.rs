//! The `lpconform` binary as users run it: exit codes, the embedded
//! orchestrator, a served orchestrator dialled from another process, faults.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

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

/// Kills the server when the test ends, however it ends.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `lpconform serve` on a free port and returns it with the URL it announced.
fn serve(args: &[&str]) -> (Served, String) {
    let mut child = Command::new(BINARY)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().unwrap();
    let served = Served(child);
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    let line = receiver
        .recv_timeout(Duration::from_secs(30))
        .expect("serve announces its URL");
    let url = line
        .split_whitespace()
        .find(|word| word.contains("://"))
        .expect("a URL")
        .to_string();
    (served, url)
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
    let (_served, url) = serve(&["--onchain"]);
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
    let (_served, url) = serve(&["--onchain", "-pricePerUnit", "1200", "-pixelsPerUnit", "3"]);
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
    ];
    for (args, needle) in cases {
        let output = lpconform(args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
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
fn outside_the_repository_the_built_in_suites_run_even_after_snapshots_were_left() {
    // A run elsewhere leaves pending snapshots under ./suites/snapshots; the next run there must
    // still find the built-in suites rather than an empty ./suites.
    let elsewhere = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let output = Command::new(BINARY)
            .current_dir(elsewhere.path())
            .env_remove("LPCONFORM_TARGET")
            .args(["run", "--case", "discovery::signed_request"])
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stdout = text(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{stdout}");
        assert!(stdout.contains("cases: 1,"), "{stdout}");
    }
    assert!(
        elsewhere.path().join("suites/snapshots").is_dir(),
        "the case has a snapshot to leave"
    );
}
