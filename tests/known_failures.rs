//! `--known-failures` and `--record-known-failures` through the binary, against the embedded
//! orchestrator with a fault: a recorded list makes the faulted run pass with the failures
//! reported as known in every report, and fails the clean run, naming each stale entry; an
//! expired entry fails too; a bad list is a located error, exit 2.

mod common;

use common::lpconform;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_recorded_list_passes_the_known_failure_and_turns_stale_once_it_is_fixed() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    // Off chain, where a short address breaks ADDR-001 alone (on chain tickets and Ping disagree too).
    let faulted = ["run", "--network", "offchain", "--fault", "short-address"];

    let recorded = lpconform(
        dir,
        &[&faulted[..], &["--record-known-failures", "known.yaml"]].concat(),
    );
    assert_eq!(recorded.status.code(), Some(1), "{}", text(&recorded.stdout));
    let list = std::fs::read_to_string(dir.join("known.yaml")).unwrap();
    assert!(
        list.contains("rule: ADDR-001") && list.contains("case: discovery::signed_request"),
        "{list}"
    );

    let reports = [
        "--known-failures",
        "known.yaml",
        "--junit",
        "junit.xml",
        "--report-json",
        "report.json",
        "--report-html",
        "report.html",
    ];
    let known = lpconform(dir, &[&faulted[..], &reports[..]].concat());
    let stdout = text(&known.stdout);
    assert_eq!(known.status.code(), Some(0), "{stdout}{}", text(&known.stderr));
    assert!(stdout.contains("KNOWN discovery::signed_request"), "{stdout}");
    assert!(stdout.contains("KNOWN ADDR-001"), "{stdout}");
    assert!(stdout.contains("known failures: 1, stale entries: 0"), "{stdout}");

    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    let document = roxmltree::Document::parse(&junit).unwrap();
    let rule_case = document
        .descendants()
        .find(|node| node.attribute("name") == Some("discovery::signed_request::ADDR-001"))
        .expect("the rule's testcase");
    let skipped = rule_case
        .children()
        .find(|node| node.has_tag_name("skipped"))
        .expect("a known failure is <skipped>");
    assert!(
        skipped
            .attribute("message")
            .unwrap()
            .starts_with("known failure: recorded "),
        "{junit}"
    );

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["conformant"], true);
    let rules = json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|case| case["rules"].as_array().unwrap());
    let addr = rules.clone().find(|rule| rule["id"] == "ADDR-001").unwrap();
    assert_eq!(addr["verdict"], "known_failure");
    assert!(addr["known_failure_reason"].as_str().unwrap().starts_with("recorded "));
    assert_eq!(json["known_failures"]["entries"][0]["state"], "holds");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("Known failures") && html.contains(">KNOWN<"), "{html}");

    // The release fixed it: every entry is stale, named with its line.
    let fixed = lpconform(dir, &["run", "--known-failures", "known.yaml", "--junit", "junit.xml"]);
    let stdout = text(&fixed.stdout);
    assert_eq!(fixed.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("STALE known failure ADDR-001 in discovery::signed_request (known.yaml:4): no longer fails: passes in discovery::signed_request"),
        "{stdout}"
    );
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert!(
        junit.contains("stale known failure ADDR-001 in discovery::signed_request (known.yaml:4)"),
        "{junit}"
    );
}

#[test]
fn an_expired_entry_fails_the_run_although_the_failure_is_still_there() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    std::fs::write(
        dir.join("known.yaml"),
        "- rule: ADDR-001\n  reason: go-livepeer#0000\n  until: 2020-01-31\n\
         - rule: CFG-003\n  reason: go-livepeer#0000\n",
    )
    .unwrap();
    let output = lpconform(
        dir,
        &["run", "--fault", "short-address", "--known-failures", "known.yaml"],
    );
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(
            "STALE known failure ADDR-001 in every case (known.yaml:1): expired: its until date 2020-01-31 has passed"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("     FAIL ADDR-001"),
        "the expired entry accepts nothing: {stdout}"
    );
    assert!(stdout.contains("     KNOWN CFG-003"), "{stdout}");
}

#[test]
fn a_bad_list_is_a_located_error_before_any_call() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    for (list, wanted) in [
        (
            "- rule: ADDR-001\n  reason: r\n- rule: NOT-A-RULE\n  reason: r\n",
            "--known-failures known.yaml:3: entry 2 (rule NOT-A-RULE): unknown rule ID",
        ),
        (
            "- rule: ADDR-001\n  reason: r\n  untill: 2030-01-01\n",
            "known.yaml:3: .[0]: unknown field `untill`",
        ),
        ("- rule: ADDR-001\n", "known.yaml:1: .[0]: missing field `reason`"),
    ] {
        std::fs::write(dir.join("known.yaml"), list).unwrap();
        let output = lpconform(dir, &["run", "--known-failures", "known.yaml"]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(wanted), "{list:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let missing = lpconform(dir, &["run", "--known-failures", "missing.yaml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        text(&missing.stderr).contains("missing.yaml: cannot read"),
        "{}",
        text(&missing.stderr)
    );
}

#[test]
fn the_readme_example_is_a_valid_list() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme.split_once("### Known failures").expect("the section").1;
    let example = section
        .split_once("```yaml\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .expect("a YAML example")
        .0;
    let list = lpconform::runner::known_failures::parse(
        example,
        std::path::Path::new("README.md"),
        &lpconform::suite::built_in(),
    )
    .unwrap();
    assert_eq!(list.entries.len(), 1);
    assert!(list.entries[0].until.is_some() && list.entries[0].case.is_some());
}

/// The list as loaded: each entry's rule, case, reason and until, not where it stands.
fn entries(dir: &std::path::Path) -> Vec<(String, Option<String>, String, Option<String>)> {
    let list = lpconform::runner::known_failures::load(&dir.join("known.yaml"), &lpconform::suite::built_in()).unwrap();
    (list.entries.into_iter())
        .map(|entry| {
            (
                entry.rule.into(),
                entry.case,
                entry.reason,
                entry.until.map(|d| d.to_string()),
            )
        })
        .collect()
}

/// Reading and recording one file is how a list is updated: a hand-written list whose cases
/// `--case` left out comes back with every entry and field (its comments may go), and a failure
/// it did not list is added after them.
#[test]
fn recording_over_the_list_read_keeps_every_hand_written_entry() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let written = "# accepted for 0.9.1\n\
                   - rule: ADDR-001\n  case: discovery::signed_request\n  reason: 'go-livepeer#0000: short addresses'  # ours\n  until: 2999-12-31\n\
                   - rule: PRICE-001\n  reason: go-livepeer#0001\n";
    std::fs::write(dir.join("known.yaml"), written).unwrap();
    let before = entries(dir);
    let update = [
        "--known-failures",
        "known.yaml",
        "--record-known-failures",
        "known.yaml",
    ];
    let output = lpconform(dir, &[&["run", "--case", "identity"][..], &update[..]].concat());
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(
        entries(dir),
        before,
        "{}",
        std::fs::read_to_string(dir.join("known.yaml")).unwrap()
    );

    // A new failure is added after the entries as written; the one that still fails keeps its own.
    let faulted = [
        "run",
        "--case",
        "discovery",
        "--network",
        "offchain",
        "--fault",
        "short-address",
        "--fault",
        "bad-service-uri",
    ];
    let output = lpconform(dir, &[&faulted[..], &update[..]].concat());
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let after = entries(dir);
    assert_eq!(after[..2], before[..], "{after:?}");
    assert!(after.len() > 2, "the new failures are added: {after:?}");
}

/// A file the run does not read is never replaced by a recording: it may be a hand-written list.
#[test]
fn recording_over_a_file_the_run_does_not_read_is_refused() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    let written = "- rule: ADDR-001\n  reason: go-livepeer#0000\n";
    std::fs::write(dir.join("known.yaml"), written).unwrap();
    let output = lpconform(
        dir,
        &["run", "--case", "identity", "--record-known-failures", "known.yaml"],
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--record-known-failures known.yaml: the file exists, this run does not read it"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(dir.join("known.yaml")).unwrap(), written);
}
