//! `lpconform fuzz` and `lpconform replay`, and the flags a rerun or replay line repeats.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::checks::ProtoArgs;
use super::connect::{duration_flag, ConnectArgs};
use super::reference::ReferenceArgs;
use crate::fuzz::FAMILIES;

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
    /// The families to fuzz (`--family`); its help is made from the written families' table,
    /// `fuzz::FAMILIES`.
    #[arg(long = "family", value_name = "NAME", help = family_help(false), long_help = family_help(true))]
    pub families: Vec<String>,
    /// How long a target that stopped answering gets to come back before the run stops.
    #[arg(long, default_value = "30s", value_parser = duration_flag)]
    pub recovery_timeout: Duration,
    #[command(flatten)]
    pub proto: ProtoArgs,
    #[command(flatten)]
    pub reference: ReferenceArgs,
}

/// The `--family` help from the written families' table: their names (`-h`), or each with what
/// it sends (`--help`).
fn family_help(long: bool) -> String {
    let written = if long {
        let lines: Vec<String> = (FAMILIES.iter())
            .map(|family| format!("  {}: {}", family.name, family.about))
            .collect();
        format!(":\n{}\n", lines.join("\n"))
    } else {
        let names: Vec<&str> = FAMILIES.iter().map(|family| family.name).collect();
        format!(" ({}) ", names.join(", "))
    };
    format!(
        "Fuzz only these families (repeatable). Default: all of them: the written ones{written}and \
         `field:<Method>.<field>` for each request field of the loaded proto (see --proto)."
    )
}

impl FuzzArgs {
    /// Every flag that changes which requests a run makes and where it sends them, as
    /// command-line words, so the rerun line makes the same requests (signed with the same key).
    /// Destructured: a new field must be listed here (or marked as not changing requests) to compile.
    pub fn request_flags(&self) -> Vec<String> {
        let FuzzArgs {
            connect,
            gateway_key,
            duration,
            seed,
            concurrency,
            max_requests,
            corpus: _,
            families,
            recovery_timeout: _,
            proto,
            reference,
        } = self;
        // The rerun line gives the run's seed itself: a random one when none was given.
        let _ = seed;
        let mut words = Vec::new();
        words.extend([
            "--duration".to_string(),
            humantime::format_duration(*duration).to_string(),
        ]);
        if let Some(max) = max_requests {
            words.extend(["--max-requests".to_string(), max.to_string()]);
        }
        words.extend(["--concurrency".to_string(), concurrency.to_string()]);
        for family in families {
            words.extend(["--family".to_string(), family.clone()]);
        }
        words.extend(same_requests(connect, gateway_key.as_deref(), proto, reference));
        words
    }
}

impl ReplayArgs {
    /// Every flag that changes the requests a replay makes and where it sends them.
    pub fn request_flags(&self) -> Vec<String> {
        let ReplayArgs {
            file: _,
            connect,
            gateway_key,
            proto,
            reference,
        } = self;
        same_requests(connect, gateway_key.as_deref(), proto, reference)
    }
}

/// The flags, shared by fuzz and replay, that reach the same orchestrator (the target, or the
/// embedded one configured the same), with the same key and protocol.
pub fn same_requests(
    connect: &ConnectArgs,
    gateway_key: Option<&std::path::Path>,
    proto: &ProtoArgs,
    reference: &ReferenceArgs,
) -> Vec<String> {
    let mut words = Vec::new();
    if connect.target.is_none() {
        words.extend(reference.command_line());
    }
    words.extend(connect.command_line());
    if let Some(path) = gateway_key {
        words.extend(["--gateway-key".to_string(), path.display().to_string()]);
    }
    words.extend(proto.command_line());
    words
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
