//! `lpconform sweep`: many orchestrators at once.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::checks::{CheckArgs, ReportFormat};
use super::connect::{duration_flag, DeadlineArgs};

#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The orchestrators: one URL per line (`#` comments and blank lines
    /// allowed), or a JSON array of URLs and {"target": URL, "expect": ["key=value", ...]}.
    #[arg(long, value_name = "FILE")]
    pub targets: PathBuf,
    /// Targets probed at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub concurrency: u16,
    /// Deadline for one target, from dialling to its last case; on expiry its row says so.
    #[arg(long, default_value = "60s", value_parser = duration_flag)]
    pub target_timeout: Duration,
    #[command(flatten)]
    pub deadlines: DeadlineArgs,
    #[command(flatten)]
    pub checks: CheckArgs,
    /// What to print on stdout: the table, or the JSON document of docs/sweep-json.md.
    #[arg(long, value_enum, default_value_t = ReportFormat::Terminal, value_name = "FORMAT")]
    pub format: ReportFormat,
    /// Also write the table as a self-contained HTML page to FILE.
    #[arg(long = "report-html", value_name = "FILE")]
    pub report_html: Option<PathBuf>,
}
