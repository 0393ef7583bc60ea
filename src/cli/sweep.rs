//! `lpconform sweep --targets FILE`: the suites against every orchestrator the
//! file lists, a bounded number at a time, as one table (or JSON document)
//! with a row per target.

use super::args::{ReportFormat, SweepArgs};
use super::setup::{load_checks, progress_bar, writable, write_report, Checks};
use super::{print_stdout, Outcome, RunError};
use crate::report::sweep::{render_sweep_html, render_sweep_json, render_sweep_table};
use crate::rules::ModeOverrides;
use crate::runner::RunSettings;
use crate::sweep::{self, RowStatus, SweepRow, SweepSettings};

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
    let targets = sweep::load_targets(&args.targets, &args.checks.expect)?;
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

    let bar = progress_bar(
        "sweeping {elapsed_precise} [{wide_bar}] {pos}/{len} {msg}",
        Some(targets.len() as u64),
    );
    let mut findings = 0;
    let mut unreachable = 0;
    let gateway = crate::gateway::Gateway::from(&gateway);
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
        write_report("--report-html", path, &render_sweep_html(&report))?;
    }
    Ok(if report.conformant() {
        Outcome::Conformant
    } else {
        Outcome::Findings
    })
}
