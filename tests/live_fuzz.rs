//! `lpconform fuzz` and `lpconform replay` as users run them, against the embedded orchestrator
//! over real sockets: a clean orchestrator survives a seeded run with no findings, and each fuzz
//! fault is found with its rule within a bounded number of requests, saved, and replayed.

use std::path::{Path, PathBuf};
use std::process::Output;

use lpconform::fuzz::{self, FindingFile};

mod common;

use common::lpconform;

const AI_MODELS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/aiModels.json");

/// Enough for each fuzz fault's case to come up from seed 1 (each is among its first hundred cases).
const BUDGET: &str = "100";

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The finding files of `rule` in the corpus folder, in name order.
fn saved(corpus: &Path, rule: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .collect()
        })
        .unwrap_or_default();
    files.retain(|path| {
        path.file_name()
            .and_then(|name| name.to_str())
            .is_some_and(|name| name.starts_with(rule))
    });
    files.sort();
    files
}

/// Flags beyond the fault: `both` are given to `fuzz` and `replay`, `fuzz_only` to `fuzz` alone
/// (replay sends one input at a time, so it refuses `--concurrency`).
#[derive(Default)]
struct Flags<'a> {
    both: &'a [&'a str],
    fuzz_only: &'a [&'a str],
}

/// Fuzzes the embedded orchestrator with `fault` from seed 1, checks `rule` is found and saved,
/// and that `lpconform replay` reproduces it with the fault and not without. Returns the file.
fn fault_is_found_and_replayed(fault: &str, rule: &str, flags: Flags<'_>) -> FindingFile {
    let scratch = tempfile::tempdir().unwrap();
    let mut args = vec!["fuzz", "--seed", "1", "--duration", "20s", "--max-requests", BUDGET];
    args.extend(["--fault", fault]);
    args.extend(flags.both);
    args.extend(flags.fuzz_only);
    let output = lpconform(scratch.path(), &args);
    let summary = text(&output);
    assert_eq!(output.status.code(), Some(1), "{summary}");
    assert!(summary.contains(&format!("findings by rule:\n  {rule}")), "{summary}");
    assert!(summary.contains("rerun: lpconform fuzz --seed 1"), "{summary}");

    let files = saved(&scratch.path().join("fuzz-findings"), rule);
    let file = files
        .first()
        .unwrap_or_else(|| panic!("no {rule} file saved:\n{summary}"));
    let name = file.strip_prefix(scratch.path()).unwrap().display().to_string();
    let replay_line = format!("replay:   lpconform replay {name} --fault {fault}");
    assert!(summary.contains(&replay_line), "{replay_line}\n{summary}");

    let mut replay = vec!["replay", name.as_str(), "--fault", fault];
    replay.extend(flags.both);
    let output = lpconform(scratch.path(), &replay);
    let verdict = text(&output);
    assert_eq!(output.status.code(), Some(1), "{verdict}");
    assert!(verdict.contains(&format!("result: reproduced {rule}")), "{verdict}");

    let mut clean = vec!["replay", name.as_str()];
    clean.extend(flags.both);
    let output = lpconform(scratch.path(), &clean);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(text(&output).contains("result: did not reproduce"));

    let (file, inputs) = fuzz::load(file).unwrap();
    assert_eq!((file.rule.as_str(), file.seed), (rule, 1));
    assert!(!inputs.is_empty());
    file
}

#[test]
fn a_clean_orchestrator_survives_a_seeded_run_without_findings() {
    let scratch = tempfile::tempdir().unwrap();
    let output = lpconform(
        scratch.path(),
        &[
            "fuzz",
            "--seed",
            "7",
            "--duration",
            "3s",
            "--onchain",
            "--aiModels",
            AI_MODELS,
        ],
    );
    let summary = text(&output);
    assert_eq!(output.status.code(), Some(0), "{summary}");
    assert!(summary.contains("result: no findings"), "{summary}");
    assert!(summary.contains("req/s (seed 7, concurrency 8)"), "{summary}");
    assert!(summary.contains("latency: p50 "), "{summary}");
    for family in fuzz::FAMILIES {
        assert!(
            summary.contains(&format!("{} ", family.name)),
            "{} not sent:\n{summary}",
            family.name
        );
    }
    assert!(!scratch.path().join("fuzz-findings").exists(), "nothing to save");
}

/// At one request in flight a batch is `BATCH_ROUNDS` cases and the huge bitstring comes up in
/// a later one: the crash is found and narrowed in a batch after the first, not only in a run's
/// opening batch.
#[test]
fn a_crash_on_a_huge_bitstring_in_a_later_batch_is_rpc_005_and_isolated_to_its_case() {
    let flags = Flags {
        fuzz_only: &["--concurrency", "1"],
        ..Flags::default()
    };
    let file = fault_is_found_and_replayed("crash-on-huge-bitstring", "RPC-005", flags);
    assert_eq!(file.family, "capability-bitstring", "{file:?}");
    assert_eq!(
        file.requests.len(),
        1,
        "the batch is narrowed to the case that took it down"
    );
    let families = fuzz::families(lpconform::protocol::Protocol::built_in_ref());
    let turn = families.iter().position(|family| family.name() == file.family).unwrap();
    let (_, index) = file.case.rsplit_once('#').unwrap();
    let sent_before = index.parse::<usize>().unwrap() * families.len() + turn;
    assert!(
        sent_before >= fuzz::BATCH_ROUNDS,
        "{sent_before} cases before it: in the first batch"
    );
}

/// go-livepeer 0.9's known defect: an EndTranscodingSession without `auth_token` kills the
/// process. The embedded orchestrator drops every connection and comes back after the outage
/// (as under a supervisor), so the fuzzer can narrow the batch to the request that killed it.
#[test]
fn a_crash_on_a_missing_token_is_rpc_005_and_isolated_to_its_case() {
    let file = fault_is_found_and_replayed("crash-on-missing-token", "RPC-005", Flags::default());
    assert_eq!(file.family, "end-session-token", "{file:?}");
    assert_eq!(file.requests.len(), 1, "narrowed to the request without a token");
}

#[test]
fn a_stall_on_a_ping_length_is_rpc_003() {
    let file = fault_is_found_and_replayed(
        "stall-on-ping-length",
        "RPC-003",
        Flags {
            both: &["--call-timeout", "1s"],
            ..Flags::default()
        },
    );
    assert_eq!(file.family, "ping-value");
    assert_eq!(file.actual, "no answer within 1s");
}

#[test]
fn a_leaked_panic_on_a_truncated_token_is_rpc_006_and_the_same_for_the_same_seed() {
    let first = fault_is_found_and_replayed("panic-on-truncated-token", "RPC-006", Flags::default());
    assert_eq!(first.family, "end-session-token");
    assert!(first.actual.contains("panicked"), "{first:?}");
    let again = fault_is_found_and_replayed("panic-on-truncated-token", "RPC-006", Flags::default());
    assert_eq!(first, again, "the same seed makes the same cases");
}

#[test]
fn bad_flags_and_unreadable_files_exit_2() {
    let scratch = tempfile::tempdir().unwrap();
    for args in [
        &["fuzz", "--concurrency", "0"][..],
        &["fuzz", "--family", "no-such-family"],
        &["fuzz", "--duration", "soon"],
        &["replay", "missing.json"],
    ] {
        let output = lpconform(scratch.path(), args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output));
    }
    std::fs::write(scratch.path().join("other.json"), r#"{"format": "something else"}"#).unwrap();
    let output = lpconform(scratch.path(), &["replay", "other.json"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("other.json"), "{}", text(&output));
}
