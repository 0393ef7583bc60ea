//! Flag definitions, a file per command (and one per group of flags several commands share:
//! `checks`, `connect`, `reference`). Names of flags that mirror go-livepeer's keep its spelling.

mod checks;
mod compare;
mod connect;
mod fuzz;
mod reference;
mod run;
mod spec;
mod sweep;

use std::time::Duration;

use clap::{Args, FromArgMatches, Parser, Subcommand, ValueEnum};

pub use checks::{CheckArgs, ModeFlag, ReportArgs, ReportFormat};
pub use compare::{CompareArgs, CompareFormat};
pub use connect::{duration_flag, ConnectArgs};
pub use fuzz::{same_requests, FuzzArgs, ReplayArgs};
pub use reference::{NetworkFlag, ReferenceArgs, ServeArgs, TranscoderFlag};
pub use run::RunArgs;
pub use spec::{DriftArgs, DriftFormat, SpecArgs, SpecCommand};
pub use sweep::SweepArgs;

#[derive(Debug, Parser)]
#[command(
    name = "lpconform",
    version,
    about = "Conformance and fuzz test harness for Livepeer orchestrators"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Probe an orchestrator (or, without --target, the embedded reference one).
    Run(Box<RunArgs>),
    /// Serve the embedded reference orchestrator until interrupted.
    Serve(Box<ServeArgs>),
    /// List the rule catalog.
    Rules(RulesArgs),
    /// Prove every rule fires: run the embedded orchestrator with each fault.
    Selftest(SelftestArgs),
    /// Check the OpenAPI document against the protocol, with no target.
    Spec(SpecArgs),
    /// Send hostile requests and check the orchestrator stays up, in time and discreet.
    Fuzz(Box<FuzzArgs>),
    /// Resend an input saved by `lpconform fuzz` and judge it again.
    Replay(Box<ReplayArgs>),
    /// Run the suites against many orchestrators at once, a table row per target.
    Sweep(Box<SweepArgs>),
    /// Compare JSON reports of runs or sweeps: rule verdicts, capabilities, prices, models,
    /// versions; exit 1 when something got worse.
    Compare(CompareArgs),
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Print Markdown (as in docs/rules.md) instead of a table.
    #[arg(long)]
    pub markdown: bool,
}

#[derive(Debug, Args)]
pub struct SelftestArgs {
    /// Deadline for each call; the stalling fault must exceed it.
    #[arg(long, default_value = "2s", value_parser = duration_flag)]
    pub call_timeout: Duration,
}

/// The flags of a group when none is given, as clap fills them in.
pub fn defaults<T: Args + FromArgMatches>() -> Option<T> {
    let command = T::augment_args(clap::Command::new("defaults"));
    let matches = command.try_get_matches_from(["defaults"]).ok()?;
    T::from_arg_matches(&matches).ok()
}

/// A value-enum flag's value as typed.
fn value_name(value: impl ValueEnum) -> String {
    value
        .to_possible_value()
        .map(|value| value.get_name().to_string())
        .unwrap_or_default()
}
