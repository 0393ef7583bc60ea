//! `lpconform run`: drive one orchestrator (or the embedded one) through the
//! suites and report the results.

use std::path::{Path, PathBuf};

use super::args::{ModeFlag, ReportArgs, ReportFormat, RunArgs};
use super::setup::{load_checks, progress_bar, target_or_embedded, writable, write_report, Checks, ReferenceDefaults};
use super::{print_stdout, Outcome, RunError};
use crate::escape::escape_line;
use crate::expect::Expectations;
use crate::gateway::Gateway;
use crate::report::html::{render_html, render_html_error};
use crate::report::json::{render_json, render_json_error};
use crate::report::junit::{render_junit, render_junit_error};
use crate::report::reproducer::{attach_reproducers, Reproduction};
use crate::report::terminal::{colour_wanted, render_run};
use crate::runner::known_failures;
use crate::runner::{check_target, CaseProgress, RunReport, RunSettings, TargetCheck};
use crate::snapshot::SnapshotStore;
use crate::transport::Target;

pub async fn run(args: RunArgs) -> Result<Outcome, RunError> {
    let outputs = ReportOutputs::new(&args.report)?;
    if let Some(path) = &args.record_known_failures {
        writable("--record-known-failures", path)?;
        known_failures::may_record(path, args.known_failures.as_deref())
            .map_err(|problem| RunError::Usage(format!("--record-known-failures {}: {problem}", path.display())))?;
    }
    let report = match run_checks(&args).await {
        Ok(report) => report,
        Err(error) => return Err(outputs.write_run_error(args.connect.target.as_deref(), error)),
    };
    outputs.write(&report)?;
    if let Some(path) = &args.record_known_failures {
        let list = known_failures::record(&report, today());
        write_report("--record-known-failures", path, &list)?;
    }
    Ok(report.outcome())
}

/// A reporter whose text goes to a file.
type FileReporter = fn(&RunReport) -> String;

/// A reporter of a run that could not happen: the target dialled (none for the embedded
/// orchestrator) and the error.
type ErrorReporter = fn(Option<&str>, &str) -> String;

/// Where the reports go, checked before the run so a typo costs no run.
struct ReportOutputs {
    format: ReportFormat,
    junit: Option<PathBuf>,
    html: Option<PathBuf>,
    json: Option<PathBuf>,
}

impl ReportOutputs {
    fn new(args: &ReportArgs) -> Result<Self, RunError> {
        let outputs = Self {
            format: args.format,
            junit: args.junit.clone(),
            html: args.report_html.clone(),
            json: args.report_json.clone(),
        };
        let mut seen: Vec<(&str, PathBuf)> = Vec::new();
        for (what, path, _, _) in outputs.files() {
            writable(what, path)?;
            let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
            let absolute: PathBuf = absolute.components().collect();
            if let Some((earlier, _)) = seen.iter().find(|(_, other)| *other == absolute) {
                return Err(RunError::Usage(format!(
                    "{earlier} and {what} both name {}: one report would overwrite the other",
                    path.display()
                )));
            }
            seen.push((what, absolute));
        }
        Ok(outputs)
    }

    /// Each report file: the flag that asked for it, its path, its reporter and its reporter of
    /// a run that could not happen.
    fn files(&self) -> impl Iterator<Item = (&'static str, &Path, FileReporter, ErrorReporter)> {
        let junit = (self.junit.as_deref()).map(|path| {
            (
                "--junit",
                path,
                render_junit as FileReporter,
                render_junit_error as ErrorReporter,
            )
        });
        let html = (self.html.as_deref()).map(|path| {
            (
                "--report-html",
                path,
                render_html as FileReporter,
                render_html_error as ErrorReporter,
            )
        });
        let json = (self.json.as_deref()).map(|path| {
            (
                "--report-json",
                path,
                render_json as FileReporter,
                render_json_error as ErrorReporter,
            )
        });
        junit.into_iter().chain(html).chain(json)
    }

    /// Prints the stdout report, then writes every report file, even when one fails.
    fn write(&self, report: &RunReport) -> Result<(), RunError> {
        let stdout = match self.format {
            ReportFormat::Terminal => print_stdout(&render_run(report, colour_wanted())),
            ReportFormat::Json => print_stdout(&render_json(report)),
        }
        .err();
        let problems: Vec<RunError> = stdout
            .into_iter()
            .chain(
                self.files()
                    .filter_map(|(what, path, render, _)| write_report(what, path, &render(report)).err()),
            )
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(RunError::Several(problems))
        }
    }

    /// A run that could not happen still gives every report asked for, each stating the error:
    /// a tool reading one sees why the run ended rather than a missing file.
    fn write_run_error(&self, target: Option<&str>, error: RunError) -> RunError {
        let message = error.to_string();
        let stdout = match self.format {
            ReportFormat::Terminal => Ok(()),
            ReportFormat::Json => print_stdout(&render_json_error(target, &message)),
        };
        let problems: Vec<RunError> = stdout
            .err()
            .into_iter()
            .chain(self.files().filter_map(|(what, path, _, render_error)| {
                write_report(what, path, &render_error(target, &message)).err()
            }))
            .collect();
        if problems.is_empty() {
            error
        } else {
            RunError::Several(std::iter::once(error).chain(problems).collect())
        }
    }
}

/// Probes the target (or the embedded orchestrator) with the suites.
async fn run_checks(args: &RunArgs) -> Result<RunReport, RunError> {
    let Checks {
        proto,
        gateway,
        suites,
        suites_dir,
        openapi,
    } = load_checks(&args.checks)?;
    let options = args.connect.transport_options();
    let overrides = ModeFlag::overrides(&args.modes)?;
    let given_expectations = Expectations::parse_flags(&args.checks.expect)?;
    let known_failures = match &args.known_failures {
        Some(path) => Some(known_failures::load(path, &suites)?),
        None => None,
    };

    // The gateway identity comes first: the embedded orchestrator funds it.
    let gateway = match &args.remote_signer {
        Some(url) => crate::remote_signer::gateway_from(url, options.call_timeout).await?,
        None => Gateway::from(&gateway),
    };
    // Held until the end of the run: dropping it stops the embedded server.
    let orchestrator = target_or_embedded(
        &args.connect,
        &args.reference,
        ReferenceDefaults::run(gateway.address()),
    )
    .await?;
    let target = orchestrator.target.clone();
    let expectations = match &orchestrator.embedded {
        Some((running, _)) if args.checks.expect.is_empty() => running.expectations().clone(),
        _ => given_expectations,
    };
    let profile = match (&args.profile, &orchestrator.embedded) {
        (Some(profile), _) => profile.clone(),
        (None, Some((_, config))) => config.profile(),
        (None, None) => target_profile(&target),
    };
    let settings = RunSettings {
        strict: args.checks.strict,
        case_filter: args.checks.case.clone(),
        overrides,
        follow_nodes: args.follow_nodes.then(|| options.clone()),
        snapshots: snapshot_store(args, &suites_dir, &profile)
            .map(|store| store.with_sources(&proto.source(), openapi.source())),
        openapi: Some(openapi),
    };
    let bar = progress_bar("running {elapsed_precise} [{wide_bar}] {pos}/{len} {msg}", None);
    let mut show = |progress: CaseProgress<'_>| {
        bar.set_length(progress.total as u64);
        bar.set_position(progress.done as u64);
        bar.set_message(escape_line(progress.case).into_owned());
    };
    let check = TargetCheck {
        target: &target,
        transport: &options,
        protocol: &proto,
        gateway: &gateway,
        suites: &suites,
        expectations: &expectations,
        settings: &settings,
        profile: &profile,
        deadline: None,
    };
    let checked = check_target(check, &mut show).await;
    bar.finish_and_clear();
    orchestrator.stop().await;
    let mut report = checked?;
    if let Some(list) = &known_failures {
        known_failures::apply(&mut report, list, today(), args.checks.case.as_deref());
    }
    let reproduction = Reproduction {
        target: &target,
        protocol: &proto,
        ca: args.connect.ca.as_deref(),
        call_timeout: options.call_timeout,
    };
    attach_reproducers(&mut report, reproduction);
    Ok(report)
}

/// The day known-failures entries expire against (UTC).
fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// Snapshots are compared where a set exists: the one `--snapshots DIR` names (a release gate's),
/// or the profile's folder beside the suites; `--update-snapshots` records one there. Elsewhere
/// (a first run, a new target) there is nothing to compare with, and nothing is written.
fn snapshot_store(args: &RunArgs, suites_dir: &Path, profile: &str) -> Option<SnapshotStore> {
    let update = args.update_snapshots;
    match &args.snapshots {
        Some(root) => Some(SnapshotStore::under(root, profile, update)),
        None => {
            Some(SnapshotStore::new(suites_dir, profile, update)).filter(|store| update || store.directory.is_dir())
        }
    }
}

/// `orch.example-8935` for `https://orch.example:8935`.
fn target_profile(target: &Target) -> String {
    target
        .authority()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}
