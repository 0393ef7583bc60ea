//! `lpconform run`: a run of the suites against one orchestrator.

use std::path::PathBuf;

use clap::Args;

use super::checks::{CheckArgs, ModeFlag, ReportArgs};
use super::connect::ConnectArgs;
use super::reference::ReferenceArgs;

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub checks: CheckArgs,
    /// Record snapshots instead of comparing them.
    #[arg(long)]
    pub update_snapshots: bool,
    /// Directory of snapshot sets, one per profile. Default: `snapshots/` beside the suites.
    #[arg(long, value_name = "DIR")]
    pub snapshots: Option<PathBuf>,
    /// Name of the snapshot set (suites/snapshots/PROFILE). Default: derived
    /// from the target, or from the embedded orchestrator's configuration.
    #[arg(long, env = "LPCONFORM_PROFILE", value_name = "NAME", value_parser = crate::snapshot::profile_name)]
    pub profile: Option<String>,
    /// Force a mode instead of detecting it from the answers (repeatable).
    #[arg(long = "mode", value_enum, value_name = "MODE")]
    pub modes: Vec<ModeFlag>,
    /// Sign discovery through a go-livepeer remote signer (`http://host:port`, its
    /// POST /sign-orchestrator-info): the funded gateway identity an on-chain orchestrator
    /// needs, without handing its key to the harness. Instead of --gateway-key.
    #[arg(long, value_name = "URL", conflicts_with = "gateway_key")]
    pub remote_signer: Option<String>,
    /// Also send GetOrchestrator to each of the orchestrator's `nodes` (URI-004). Without it
    /// no node is ever dialled.
    #[arg(long)]
    pub follow_nodes: bool,
    /// YAML list of rule failures accepted for now (rule, optional case, reason, optional
    /// until date): they are reported as known failures and do not fail the run; an entry that
    /// no longer fails, or whose until date has passed, fails the run as stale.
    #[arg(long, value_name = "FILE")]
    pub known_failures: Option<PathBuf>,
    /// Write the run's rule failures to FILE as a known-failures list. To update a list, name it
    /// here and as --known-failures: its entries stay as written, fixed ones are removed, new
    /// failures added. Any other existing FILE is refused unless lpconform recorded it and
    /// nobody has edited it since, or it is not a regular file (/dev/stdout).
    #[arg(long, value_name = "FILE")]
    pub record_known_failures: Option<PathBuf>,
    #[command(flatten)]
    pub report: ReportArgs,
    #[command(flatten)]
    pub reference: ReferenceArgs,
}
