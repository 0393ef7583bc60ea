//! What `run` and `sweep` check and with what (the protocol, the OpenAPI document, the
//! operator's expectations, the suites) and how a run is reported.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::super::RunError;
use crate::rules::ModeOverrides;

/// `--proto`, the same in every command that calls or compares with the protocol.
#[derive(Debug, Args)]
pub struct ProtoArgs {
    /// Directory or .proto file to load the protocol from at run time, no rebuild needed: every
    /// call is made and every answer walked with it, so fields it names beyond the built-in
    /// lp_rpc.proto show by name in reports and snapshots, fields it lacks are SPEC-003, suites'
    /// `call:` steps may name any of its methods, and `fuzz` derives a family for each request
    /// field. Default: ./proto when present, else the descriptors built into the binary.
    #[arg(long, value_name = "PATH")]
    pub proto: Option<PathBuf>,
}

impl ProtoArgs {
    /// `--proto` when given, as command-line words.
    pub fn command_line(&self) -> Vec<String> {
        let ProtoArgs { proto } = self;
        proto
            .iter()
            .flat_map(|path| ["--proto".to_string(), path.display().to_string()])
            .collect()
    }
}

/// What to check and with what: shared by `run` and `sweep`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// File holding the gateway's secp256k1 private key as hex. Default: a
    /// random key per run. The key itself may instead be given in
    /// LPCONFORM_GATEWAY_KEY. It is never printed.
    #[arg(long, value_name = "FILE")]
    pub gateway_key: Option<PathBuf>,
    #[command(flatten)]
    pub proto: ProtoArgs,
    /// OpenAPI 3.0 document the SPEC rules judge by, YAML or JSON. Default:
    /// ./openapi/orchestrator.yaml when present, else the copy built into the binary.
    #[arg(long, value_name = "FILE")]
    pub openapi: Option<PathBuf>,
    /// What the orchestrator was configured with (`--expect`); its help is made from the keys'
    /// table, `expect::KEYS`.
    #[arg(long = "expect", value_name = "KEY=VALUE", help = expect_help(false), long_help = expect_help(true))]
    pub expect: Vec<String>,
    /// Fail on should-rules too.
    #[arg(long)]
    pub strict: bool,
    /// Suite file or directory. Default: ./suites when present, else the built-in suites.
    #[arg(long, value_name = "PATH")]
    pub suite: Option<PathBuf>,
    /// Run only cases whose `suite::case` name contains this text.
    #[arg(long, value_name = "PATTERN")]
    pub case: Option<String>,
}

/// The `--expect` help from the keys' table: their names (`-h`), or each with its value (`--help`).
fn expect_help(long: bool) -> String {
    let keys = if long {
        format!(":\n{}\n", crate::expect::key_table())
    } else {
        format!(": {}. ", crate::expect::key_list())
    };
    format!(
        "What the orchestrator was configured with, in go-livepeer's flag names (repeatable, keys \
         case-insensitive){keys}`run` without --target: the embedded orchestrator's configuration. `sweep`: for \
         every target; a target's own `expect` entry wins for the keys it sets."
    )
}

/// Where the run's results go besides the exit code.
#[derive(Debug, Args)]
#[command(next_help_heading = "Reports")]
pub struct ReportArgs {
    /// What to print on stdout: the report for people, or the JSON report
    /// whose schema docs/report-json.md documents.
    #[arg(long, value_enum, default_value_t = ReportFormat::Terminal, value_name = "FORMAT")]
    pub format: ReportFormat,
    /// Also write a JUnit XML report to FILE, for CI: one testsuite per suite,
    /// one testcase per case and per (case, rule ID).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write a self-contained HTML report to FILE: the capability matrix
    /// of the target and the findings.
    #[arg(long = "report-html", value_name = "FILE")]
    pub report_html: Option<PathBuf>,
    /// Also write the JSON report (as `--format json` prints it) to FILE, so one
    /// run can give people the terminal report and tools the JSON.
    #[arg(long = "report-json", value_name = "FILE")]
    pub report_json: Option<PathBuf>,
}

/// The report printed on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Readable text, coloured on a terminal unless NO_COLOR is set.
    Terminal,
    /// The versioned JSON report (`format_version: 2`).
    Json,
}

/// A mode forced from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeFlag {
    Onchain,
    Offchain,
    Transcoding,
    NoTranscoding,
    Ai,
    NoAi,
}

impl ModeFlag {
    /// The forced modes; two flags that force one mode both ways are an error, not "last wins".
    pub fn overrides(flags: &[ModeFlag]) -> Result<ModeOverrides, RunError> {
        let mut overrides = ModeOverrides::default();
        for flag in flags {
            let (mode, forced, opposite) = match flag {
                ModeFlag::Onchain => (&mut overrides.onchain, true, ModeFlag::Offchain),
                ModeFlag::Offchain => (&mut overrides.onchain, false, ModeFlag::Onchain),
                ModeFlag::Transcoding => (&mut overrides.transcoding, true, ModeFlag::NoTranscoding),
                ModeFlag::NoTranscoding => (&mut overrides.transcoding, false, ModeFlag::Transcoding),
                ModeFlag::Ai => (&mut overrides.ai, true, ModeFlag::NoAi),
                ModeFlag::NoAi => (&mut overrides.ai, false, ModeFlag::Ai),
            };
            if *mode == Some(!forced) {
                return Err(RunError::Usage(format!(
                    "--mode {} and --mode {} contradict each other: give one of them",
                    opposite.name(),
                    flag.name()
                )));
            }
            *mode = Some(forced);
        }
        Ok(overrides)
    }

    /// The flag's value as typed.
    fn name(self) -> String {
        self.to_possible_value()
            .map_or_else(|| format!("{self:?}"), |value| value.get_name().to_string())
    }
}
