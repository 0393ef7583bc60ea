//! `lpconform fuzz`: hostile requests to an orchestrator (or the embedded one) with a progress
//! bar, findings saved to the corpus folder; `lpconform replay FILE`: resend one saved input.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::{duration_flag, ConnectArgs, DeadlineArgs, ProtoArgs, ReferenceArgs};
use super::run::{gateway_key, load_spec, GATEWAY_KEY_ENV};
use super::serve::{reference_config, ReferenceDefaults};
use super::{print_stdout, Outcome, RunError};
use crate::driver::Driver;
use crate::eth::EthKey;
use crate::fuzz::{self, FindingFile, FuzzReport, FuzzSettings, Progress};
use crate::probe::Gateway;
use crate::reference::{self, RunningOrchestrator};
use crate::spec::ProtoSpec;
use crate::transport::{Connection, Target};

#[derive(Debug, Args)]
pub struct FuzzArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// File holding the gateway's secp256k1 private key as hex (or LPCONFORM_GATEWAY_KEY).
    /// Default: a key derived from the seed, so a seed's signed requests are the same bytes.
    #[arg(long, value_name = "FILE")]
    pub gateway_key: Option<PathBuf>,
    /// How long to fuzz; no new batch starts after it.
    #[arg(long, default_value = "30s", value_parser = duration_flag)]
    pub duration: Duration,
    /// Seed of every generated case. Default: a random one, printed in the summary.
    #[arg(long, value_parser = crate::integer::flag::<u64>)]
    pub seed: Option<u64>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
    /// Stop after this many fuzzed requests, even before --duration.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_requests: Option<u64>,
    /// Folder the failing inputs are saved to, one JSON file each.
    #[arg(long, default_value = "fuzz-findings", value_name = "DIR")]
    pub corpus: PathBuf,
    /// Fuzz only these families (repeatable). Default: all of them: the written ones
    /// (raw-bytes, mutated-encoding, bad-signature, address-length, capability-bitstring,
    /// capacities-map, invalid-utf8, unknown-fields, oversized, ping-value, end-session-token)
    /// and `field:<Method>.<field>` for each request field of the loaded proto (see --proto).
    #[arg(long = "family", value_name = "NAME")]
    pub families: Vec<String>,
    /// How long a target that stopped answering gets to come back before the run stops.
    #[arg(long, default_value = "30s", value_parser = duration_flag)]
    pub recovery_timeout: Duration,
    #[command(flatten)]
    pub proto: ProtoArgs,
    #[command(flatten)]
    pub reference: ReferenceArgs,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// A finding file saved by `lpconform fuzz`.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// File holding the gateway's secp256k1 private key as hex, for the GetOrchestrator sent
    /// after each request. Default: LPCONFORM_GATEWAY_KEY, else a random key.
    #[arg(long, value_name = "FILE")]
    pub gateway_key: Option<PathBuf>,
    #[command(flatten)]
    pub proto: ProtoArgs,
    #[command(flatten)]
    pub reference: ReferenceArgs,
}

/// The families `--family` names, of those the loaded proto gives; all of them without the flag.
fn chosen_families(names: &[String], proto: &ProtoSpec) -> Result<Vec<fuzz::Family>, RunError> {
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
                    RunError::new(format!(
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
    let proto = load_spec(args.proto.proto.as_deref())?;
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
    let bar = progress_bar(&settings);
    let report = fuzz::fuzz(&driver, &gateway, &settings, &mut |progress| {
        show(&bar, &settings, progress)
    })
    .await;
    bar.finish_and_clear();
    if let Some(running) = embedded {
        running.shutdown().await;
    }

    let (target, mut replay_flags) = match &args.connect.target {
        Some(url) => (url.clone(), format!(" --target {url}")),
        None => {
            let flags = reference_flags(&args.reference);
            (format!("embedded{flags}"), flags)
        }
    };
    replay_flags.push_str(&call_flags(&args.connect));
    let mut replays = Vec::new();
    let mut save_error = None;
    for found in &report.findings {
        let file = FindingFile::new(found, seed, &target);
        match fuzz::save(&args.corpus, &file) {
            Ok(path) => replays.push(Some(format!("lpconform replay {}{replay_flags}", path.display()))),
            Err(error) => {
                replays.push(None);
                save_error.get_or_insert(error);
            }
        }
    }
    let rerun = format!("rerun: lpconform fuzz --seed {seed}{}\n", rerun_flags(&args, &report));
    print_stdout(&(fuzz::render_summary(&report, &replays) + &rerun))?;
    if let Some(error) = save_error {
        return Err(RunError::new(error.to_string()));
    }
    Ok(outcome(report.finding_count()))
}

pub async fn replay(args: ReplayArgs) -> Result<Outcome, RunError> {
    let (file, inputs) = fuzz::load(&args.file).map_err(|error| RunError::new(error.to_string()))?;
    let gateway = gateway_key(args.gateway_key.as_deref())?;
    let proto = load_spec(args.proto.proto.as_deref())?;
    let (connection, embedded) = connect(&args.connect, &args.reference, gateway.address()).await?;
    let driver = Driver::new(connection, proto, Gateway::from(&gateway));
    let resent = fuzz::resend(&driver, &inputs).await;
    let target = driver.target().to_string();
    if let Some(running) = embedded {
        running.shutdown().await;
    }
    let shown_path = args.file.display().to_string();
    print_stdout(&fuzz::render_replay(&shown_path, &file, &target, &resent))?;
    Ok(outcome(resent.findings.len()))
}

/// `--corpus DIR` is created when the first finding is saved; a path that cannot become a
/// directory (it, or a folder above it, is a file) is refused before any fuzzing.
fn corpus_usable(corpus: &Path) -> Result<(), RunError> {
    let existing = corpus
        .ancestors()
        .find(|ancestor| ancestor.exists() || ancestor.as_os_str().is_empty());
    match existing {
        Some(found) if !found.as_os_str().is_empty() && !found.is_dir() => Err(RunError::new(format!(
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

/// Connects to `--target`, or starts the embedded orchestrator as `lpconform run` does and
/// connects to it; the running orchestrator is returned so it lives as long as the connection.
async fn connect(
    connect: &ConnectArgs,
    reference_args: &ReferenceArgs,
    gateway: crate::eth::Address,
) -> Result<(Connection, Option<RunningOrchestrator>), RunError> {
    let options = connect.transport_options();
    let run_error = |error: &dyn std::fmt::Display| RunError::new(error.to_string());
    let (target, embedded) = match connect.target()? {
        Some(target) => (target, None),
        None => {
            let config = reference_config(
                reference_args,
                ([127, 0, 0, 1], 0).into(),
                ReferenceDefaults::fuzz(gateway),
            )?;
            let running = reference::start(config).await.map_err(|error| run_error(&error))?;
            let target = Target::parse(&running.url()).map_err(|error| run_error(&error))?;
            (target, Some(running))
        }
    };
    let connection = Connection::connect(&target, &options)
        .await
        .map_err(|error| run_error(&error))?;
    Ok((connection, embedded))
}

/// The embedded orchestrator's flags as given, so a replay starts the same orchestrator.
fn reference_flags(reference: &ReferenceArgs) -> String {
    let words = reference.command_line();
    match shlex::try_join(words.iter().map(String::as_str)) {
        Ok(line) if !line.is_empty() => format!(" {line}"),
        // Nothing given, or a word with a NUL byte, which no shell line can carry.
        _ => String::new(),
    }
}

/// The call deadline and CA when not the defaults: a replay judges with the same deadline.
fn call_flags(connect: &ConnectArgs) -> String {
    let mut flags = String::new();
    let call_timeout = connect.deadlines.call_timeout;
    let default_timeout = super::args::defaults::<DeadlineArgs>().map(|defaults| defaults.call_timeout);
    if default_timeout != Some(call_timeout) {
        flags.push_str(&format!(" --call-timeout {}", humantime::format_duration(call_timeout)));
    }
    if let Some(ca) = &connect.ca {
        flags.push_str(&format!(" --ca {}", ca.display()));
    }
    flags
}

/// The flags besides the seed that shape which cases a rerun makes and where it sends them.
fn rerun_flags(args: &FuzzArgs, report: &FuzzReport) -> String {
    let mut flags = format!(" --duration {}", humantime::format_duration(args.duration));
    if let Some(max) = args.max_requests {
        flags.push_str(&format!(" --max-requests {max}"));
    }
    flags.push_str(&format!(" --concurrency {}", report.concurrency));
    for family in &args.families {
        flags.push_str(&format!(" --family {family}"));
    }
    match &args.connect.target {
        Some(url) => flags.push_str(&format!(" --target {url}")),
        None => flags.push_str(&reference_flags(&args.reference)),
    }
    flags.push_str(&call_flags(&args.connect));
    flags
}

/// A bar over the duration (or the request budget), on stderr only when it is a terminal.
fn progress_bar(settings: &FuzzSettings) -> ProgressBar {
    let length = match settings.max_requests {
        Some(max) => max,
        None => settings.duration.as_millis().try_into().unwrap_or(u64::MAX),
    };
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(length), target);
    if let Ok(style) = ProgressStyle::with_template("fuzzing {elapsed_precise} [{wide_bar}] {msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn show(bar: &ProgressBar, settings: &FuzzSettings, progress: &Progress) {
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
    fn replay_flags_repeat_only_what_differs_from_the_defaults() {
        let plain = fuzz_args(&[]);
        assert_eq!(reference_flags(&plain.reference), "");
        assert_eq!(call_flags(&plain.connect), "");
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
            reference_flags(&shaped.reference),
            " --pricePerUnit 7 --onchain --fault stall-on-ping-length"
        );
        assert_eq!(call_flags(&shaped.connect), " --call-timeout 1s");
    }
}
