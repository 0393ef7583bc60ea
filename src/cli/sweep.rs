//! `lpconform sweep --targets FILE`: the suites against every orchestrator the
//! file lists, a bounded number at a time, as one table (or JSON document)
//! with a row per target.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::{duration_flag, CheckArgs, DeadlineArgs, ReportFormat};
use super::run::{load_checks, writable, write_report, Checks};
use super::{print_stdout, Outcome, RunError};
use crate::report::sweep::{render_sweep_html, render_sweep_json, render_sweep_table};
use crate::rules::ModeOverrides;
use crate::runner::RunSettings;
use crate::sweep::{self, RowStatus, SweepRow, SweepSettings};

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

pub async fn sweep(args: SweepArgs) -> Result<Outcome, RunError> {
    if let Some(path) = &args.report_html {
        writable("--report-html", path)?;
    }
    let Checks {
        proto,
        gateway,
        suites,
        openapi,
        ..
    } = load_checks(&args.checks)?;
    let targets =
        sweep::load_targets(&args.targets, &args.checks.expect).map_err(|error| RunError::new(error.to_string()))?;
    let settings = SweepSettings {
        concurrency: usize::from(args.concurrency),
        target_timeout: args.target_timeout,
        // Certificates are never verified in a sweep, as gateways do not verify them.
        transport: args.deadlines.transport_options(None),
        proto,
        run: RunSettings {
            strict: args.checks.strict,
            case_filter: args.checks.case.clone(),
            overrides: ModeOverrides::default(),
            snapshots: None,
            openapi: Some(openapi),
            follow_nodes: None,
        },
    };

    let bar = progress_bar(targets.len());
    let mut findings = 0;
    let mut unreachable = 0;
    let gateway = crate::probe::Gateway::from(&gateway);
    let report = sweep::sweep(targets, &suites, &gateway, &settings, |row: &SweepRow, done| {
        match row.status() {
            RowStatus::Findings => findings += 1,
            RowStatus::StoppedAnswering | RowStatus::Unreachable | RowStatus::TimedOut => unreachable += 1,
            RowStatus::Conformant => {}
        }
        bar.set_position(done as u64);
        bar.set_message(format!(
            "{findings} with findings, {unreachable} unreachable, stopped answering or timed out"
        ));
    })
    .await;
    bar.finish_and_clear();

    match args.format {
        ReportFormat::Terminal => print_stdout(&render_sweep_table(&report))?,
        ReportFormat::Json => print_stdout(&render_sweep_json(&report))?,
    }
    if let Some(path) = &args.report_html {
        write_report("--report-html", path, &render_sweep_html(&report)).map_err(RunError::new)?;
    }
    Ok(if report.conformant() {
        Outcome::Conformant
    } else {
        Outcome::Findings
    })
}

/// Targets done of all, on stderr only when it is a terminal.
fn progress_bar(total: usize) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(total as u64), target);
    if let Ok(style) = ProgressStyle::with_template("sweeping {elapsed_precise} [{wide_bar}] {pos}/{len} {msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
