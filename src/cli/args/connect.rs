//! How a command reaches an orchestrator: the target, its CA, the deadlines and the decode cap.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::super::RunError;
use super::defaults;
use crate::integer;
use crate::transport::{Scheme, Target, TransportOptions, GRPC_MESSAGE_LIMIT};

#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// Orchestrator to test: https://host:port (TLS) or http://host:port (h2c).
    /// Without it, the embedded reference orchestrator is started in-process.
    /// The embedded orchestrator's flags are refused with it: they would be ignored.
    #[arg(long, env = "LPCONFORM_TARGET", value_name = "URL")]
    pub target: Option<String>,
    /// Verify the target's TLS certificate against this PEM CA instead of
    /// accepting any certificate (as gateways do).
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,
    #[command(flatten)]
    pub deadlines: DeadlineArgs,
}

impl ConnectArgs {
    /// The flags given, as command-line words that reach the same target the same way (the
    /// embedded orchestrator's flags are [`ReferenceArgs::command_line`]).
    pub fn command_line(&self) -> Vec<String> {
        let ConnectArgs { target, ca, deadlines } = self;
        let mut words = Vec::new();
        if let Some(target) = target {
            words.extend(["--target".to_string(), target.clone()]);
        }
        if let Some(ca) = ca {
            words.extend(["--ca".to_string(), ca.display().to_string()]);
        }
        words.extend(deadlines.command_line());
        words
    }

    pub fn transport_options(&self) -> TransportOptions {
        self.deadlines.transport_options(self.ca.clone())
    }

    /// `--target` parsed, `None` for the embedded orchestrator. `--ca` verifies a TLS
    /// certificate, so it needs an `https://` target: anywhere else it would be ignored.
    pub fn target(&self) -> Result<Option<Target>, RunError> {
        let target = match &self.target {
            Some(text) => Some(Target::parse(text)?),
            None => None,
        };
        if let Some(ca) = &self.ca {
            let why = match &target {
                None => "the embedded orchestrator's certificate is made afresh each run".to_string(),
                Some(target) if target.scheme() == Scheme::Http => format!("{target} is h2c, without TLS"),
                Some(_) => return Ok(target),
            };
            return Err(RunError::Usage(format!(
                "--ca {}: a CA verifies the certificate of an https:// --target, and {why}",
                ca.display()
            )));
        }
        Ok(target)
    }
}

/// Deadlines and the decode cap, the same for every command that dials an orchestrator.
#[derive(Debug, Args)]
pub struct DeadlineArgs {
    /// Deadline for TCP connect, TLS and HTTP/2 setup.
    #[arg(long, default_value = shown_duration(TransportOptions::DEFAULT_CONNECT_TIMEOUT), value_parser = duration_flag)]
    pub connect_timeout: Duration,
    /// Deadline for each call (RPC-003).
    #[arg(long, default_value = shown_duration(TransportOptions::DEFAULT_CALL_TIMEOUT), value_parser = duration_flag)]
    pub call_timeout: Duration,
    /// Largest response the harness decodes, in bytes.
    #[arg(long, default_value_t = GRPC_MESSAGE_LIMIT, value_parser = integer::flag::<usize>)]
    pub max_decode_bytes: usize,
}

impl DeadlineArgs {
    /// The flags given that differ from the defaults, as command-line words, so a replay or rerun
    /// line makes its calls under the same deadlines and cap. Destructured: a new field must be
    /// listed here to compile.
    pub fn command_line(&self) -> Vec<String> {
        let DeadlineArgs {
            connect_timeout,
            call_timeout,
            max_decode_bytes,
        } = self;
        let Some(default) = defaults::<DeadlineArgs>() else {
            return Vec::new();
        };
        let mut words = Vec::new();
        let duration = |duration: &Duration| shown_duration(*duration);
        if *connect_timeout != default.connect_timeout {
            words.extend(["--connect-timeout".to_string(), duration(connect_timeout)]);
        }
        if *call_timeout != default.call_timeout {
            words.extend(["--call-timeout".to_string(), duration(call_timeout)]);
        }
        if *max_decode_bytes != default.max_decode_bytes {
            words.extend(["--max-decode-bytes".to_string(), max_decode_bytes.to_string()]);
        }
        words
    }

    pub fn transport_options(&self, ca_file: Option<PathBuf>) -> TransportOptions {
        TransportOptions {
            connect_timeout: self.connect_timeout,
            call_timeout: self.call_timeout,
            max_decode_bytes: self.max_decode_bytes,
            ca_file,
        }
    }
}

/// The longest duration a flag takes. tonic refuses deadlines past 99 999 999 hours (and panics
/// on them); a year is far beyond any useful deadline or fuzz run, so anything longer is a typo.
const LONGEST_DURATION: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// A duration as duration flags take it (`5s`).
fn shown_duration(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}

/// Parses a duration flag (`10s`, `1m 30s`), refusing zero and anything over [`LONGEST_DURATION`].
pub fn duration_flag(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text).map_err(|error| error.to_string())?;
    if duration.is_zero() {
        return Err("must be longer than zero".into());
    }
    if duration > LONGEST_DURATION {
        return Err("longer than 365 days, the longest duration lpconform takes".into());
    }
    Ok(duration)
}
