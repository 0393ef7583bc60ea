//! `lpconform fuzz`: hostile requests to an orchestrator (or the embedded one) with a progress
//! bar, findings saved to the corpus folder; `lpconform replay FILE`: resend one saved input.

use std::path::{Path, PathBuf};

use indicatif::ProgressBar;

use super::args::{same_requests, ConnectArgs, FuzzArgs, ReferenceArgs, ReplayArgs};
use super::setup::{gateway_key, load_protocol, progress_bar, target_or_embedded, ReferenceDefaults, GATEWAY_KEY_ENV};
use super::{print_stdout, Outcome, RunError};
use crate::driver::Driver;
use crate::eth::EthKey;
use crate::fuzz::{self, CorpusError, FindingFile, FuzzProgress, FuzzSettings};
use crate::gateway::Gateway;
use crate::protocol::Protocol;
use crate::reference::TargetOrEmbedded;
use crate::report::fuzz::{render_replay, render_summary};
use crate::transport::Connection;

/// The families `--family` names, of those the loaded proto gives; all of them without the flag.
fn chosen_families(names: &[String], proto: &Protocol) -> Result<Vec<fuzz::Family>, RunError> {
    let available = fuzz::families(proto);
    if names.is_empty() {
        return Ok(available);
    }
    names
        .iter()
        .map(|name| {
            available
                .iter()
                .find(|family| family.name() == name)
                .cloned()
                .ok_or_else(|| {
                    let known: Vec<&str> = available.iter().map(fuzz::Family::name).collect();
                    RunError::Usage(format!(
                        "--family {name:?}: no such family; there are: {}",
                        known.join(", ")
                    ))
                })
        })
        .collect()
}

pub async fn fuzz(args: FuzzArgs) -> Result<Outcome, RunError> {
    corpus_usable(&args.corpus)?;
    let seed = args.seed.unwrap_or_else(rand::random);
    let gateway = fuzz_gateway_key(args.gateway_key.as_deref(), seed)?;
    let proto = load_protocol(args.proto.proto.as_deref())?;
    let families = chosen_families(&args.families, &proto)?;
    let settings = FuzzSettings {
        seed,
        duration: args.duration,
        max_requests: args.max_requests,
        concurrency: usize::from(args.concurrency),
        families,
        recovery_timeout: args.recovery_timeout,
    };
    let (connection, embedded) = connect(&args.connect, &args.reference, gateway.address()).await?;
    let driver = Driver::new(connection, proto, Gateway::from(&gateway));
    let bar = fuzz_progress_bar(&settings);
    let report = fuzz::fuzz(&driver, &gateway, &settings, &mut |progress| {
        show(&bar, &settings, progress)
    })
    .await;
    bar.finish_and_clear();
    embedded.stop().await;

    let target = match &args.connect.target {
        Some(url) => url.clone(),
        None => format!("embedded{}", shell_words(&args.reference.command_line())),
    };
    let replay_flags = shell_words(&same_requests(
        &args.connect,
        args.gateway_key.as_deref(),
        &args.proto,
        &args.reference,
    ));
    let mut replays = Vec::new();
    let mut save_error = None;
    for found in &report.findings {
        let file = FindingFile::new(found, seed, &target);
        match replay_line(fuzz::save(&args.corpus, &file), &replay_flags) {
            Ok(line) => replays.push(Some(line)),
            Err(error) => {
                replays.push(None);
                save_error.get_or_insert(error);
            }
        }
    }
    let rerun = format!(
        "rerun: lpconform fuzz --seed {seed}{}\n",
        shell_words(&args.request_flags())
    );
    print_stdout(&(render_summary(&report, &replays) + &rerun))?;
    if let Some(error) = save_error {
        return Err(error.into());
    }
    Ok(outcome(report.finding_count()))
}

/// What the summary says under a finding once it is saved: the command that replays it, or why
/// it is too large to replay. Any other error ends the run once the summary is printed.
fn replay_line(saved: Result<PathBuf, CorpusError>, replay_flags: &str) -> Result<String, CorpusError> {
    match saved {
        Ok(path) => Ok(format!("lpconform replay {}{replay_flags}", path.display())),
        Err(error @ CorpusError::TooLarge { .. }) => Ok(format!(
            "{error}; the rerun line sends the same cases in the same order"
        )),
        Err(error) => Err(error),
    }
}

pub async fn replay(args: ReplayArgs) -> Result<Outcome, RunError> {
    let (file, inputs) = fuzz::load(&args.file)?;
    let gateway = gateway_key(args.gateway_key.as_deref())?;
    let proto = load_protocol(args.proto.proto.as_deref())?;
    let (connection, embedded) = connect(&args.connect, &args.reference, gateway.address()).await?;
    let driver = Driver::new(connection, proto, Gateway::from(&gateway));
    let resent = fuzz::resend(&driver, &inputs).await;
    let target = driver.target().to_string();
    embedded.stop().await;
    let shown_path = args.file.display().to_string();
    print_stdout(&render_replay(&shown_path, &file, &target, &resent))?;
    Ok(outcome(resent.findings.len()))
}

/// `--corpus DIR` is created when the first finding is saved; a path that cannot become a
/// directory (it, or a folder above it, is a file) is refused before any fuzzing.
fn corpus_usable(corpus: &Path) -> Result<(), RunError> {
    let existing = corpus
        .ancestors()
        .find(|ancestor| ancestor.exists() || ancestor.as_os_str().is_empty());
    match existing {
        Some(found) if !found.as_os_str().is_empty() && !found.is_dir() => Err(RunError::Usage(format!(
            "--corpus {}: {} is a file, so the findings cannot be saved there",
            corpus.display(),
            found.display()
        ))),
        _ => Ok(()),
    }
}

fn outcome(findings: usize) -> Outcome {
    if findings == 0 {
        Outcome::Conformant
    } else {
        Outcome::Findings
    }
}

/// `--gateway-key FILE` or the environment's key when given, else the seed's own key.
fn fuzz_gateway_key(file: Option<&Path>, seed: u64) -> Result<EthKey, RunError> {
    if file.is_some() || std::env::var_os(GATEWAY_KEY_ENV).is_some() {
        gateway_key(file)
    } else {
        Ok(fuzz::gateway_for_seed(seed))
    }
}

/// Connects to `--target`, or starts the embedded orchestrator with go-livepeer's defaults paying
/// `gateway` and connects to it; the orchestrator is returned so it lives as long as the connection.
async fn connect(
    connect: &ConnectArgs,
    reference_args: &ReferenceArgs,
    gateway: crate::eth::Address,
) -> Result<(Connection, TargetOrEmbedded), RunError> {
    let orchestrator = target_or_embedded(connect, reference_args, ReferenceDefaults::fuzz(gateway)).await?;
    let connection = Connection::connect(&orchestrator.target, &connect.transport_options()).await?;
    Ok((connection, orchestrator))
}

/// Command-line words as one line for a POSIX shell, with a leading space; empty without words
/// (or with a word holding a NUL byte, which no shell line can carry).
fn shell_words(words: &[String]) -> String {
    match shlex::try_join(words.iter().map(String::as_str)) {
        Ok(line) if !line.is_empty() => format!(" {line}"),
        _ => String::new(),
    }
}

/// A bar over the duration (or the request budget).
fn fuzz_progress_bar(settings: &FuzzSettings) -> ProgressBar {
    let length = match settings.max_requests {
        Some(max) => max,
        None => settings.duration.as_millis().try_into().unwrap_or(u64::MAX),
    };
    progress_bar("fuzzing {elapsed_precise} [{wide_bar}] {msg}", Some(length))
}

fn show(bar: &ProgressBar, settings: &FuzzSettings, progress: &FuzzProgress) {
    if bar.is_hidden() {
        return;
    }
    let position = match settings.max_requests {
        Some(_) => progress.requests,
        None => progress.elapsed.as_millis().try_into().unwrap_or(u64::MAX),
    };
    bar.set_position(position);
    let seconds = progress.elapsed.as_secs_f64();
    let rate = if seconds > 0.0 {
        progress.requests as f64 / seconds
    } else {
        0.0
    };
    bar.set_message(format!(
        "{} requests, {rate:.0} req/s, {} findings",
        progress.requests, progress.findings
    ));
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::super::args::{Cli, Command};
    use super::*;

    fn fuzz_args(args: &[&str]) -> FuzzArgs {
        let cli = Cli::try_parse_from(["lpconform", "fuzz"].iter().chain(args)).unwrap();
        match cli.command {
            Command::Fuzz(args) => *args,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_finding_too_large_to_save_says_so_and_other_save_errors_end_the_run() {
        let saved = Ok(PathBuf::from("fuzz-findings/RPC-005-batch-3-seed1.json"));
        assert_eq!(
            replay_line(saved, " --onchain").unwrap(),
            "lpconform replay fuzz-findings/RPC-005-batch-3-seed1.json --onchain"
        );
        let too_large = CorpusError::TooLarge {
            problem: "its 4096 requests are 23 MiB of file, more than the 8 MiB replay reads".into(),
        };
        assert_eq!(
            replay_line(Err(too_large), "").unwrap(),
            "not saved: its 4096 requests are 23 MiB of file, more than the 8 MiB replay reads; \
             the rerun line sends the same cases in the same order"
        );
        let unwritable = CorpusError::Write {
            path: "x".into(),
            problem: "read-only".into(),
        };
        assert!(matches!(
            replay_line(Err(unwritable), ""),
            Err(CorpusError::Write { .. })
        ));
    }

    #[test]
    fn replay_flags_repeat_only_what_differs_from_the_defaults() {
        let plain = fuzz_args(&[]);
        let same = |args: &FuzzArgs| {
            shell_words(&same_requests(
                &args.connect,
                args.gateway_key.as_deref(),
                &args.proto,
                &args.reference,
            ))
        };
        assert_eq!(same(&plain), "");
        let shaped = fuzz_args(&[
            "--onchain",
            "--fault",
            "stall-on-ping-length",
            "--pricePerUnit",
            "7",
            "--call-timeout",
            "1s",
        ]);
        assert_eq!(
            same(&shaped),
            " --pricePerUnit 7 --onchain --fault stall-on-ping-length --call-timeout 1s"
        );
    }

    #[test]
    fn the_rerun_line_repeats_every_flag_that_changes_the_requests() {
        let given = [
            "--target",
            "https://o.example:8935",
            "--ca",
            "ca.pem",
            "--connect-timeout",
            "2s",
            "--call-timeout",
            "1s",
            "--max-decode-bytes",
            "1000",
            "--gateway-key",
            "key.hex",
            "--proto",
            "newer/lp_rpc.proto",
            "--duration",
            "10s",
            "--max-requests",
            "50",
            "--concurrency",
            "3",
            "--family",
            "ping-value",
        ];
        let args = fuzz_args(&given);
        let rerun = fuzz_args(&args.request_flags().iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(
            format!("{rerun:?}"),
            format!("{args:?}"),
            "the rerun parses to the same flags"
        );
    }
}
