//! `lpconform run`: drive one orchestrator (or the embedded one) through the
//! suites and report the results.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::{CheckArgs, ModeFlag, ReportArgs, ReportFormat, RunArgs};
use super::serve::{read_key_file, reference_config, ReferenceDefaults};
use super::{print_stdout, Outcome, RunError};
use crate::driver::Driver;
use crate::eth::EthKey;
use crate::expect::Expectations;
use crate::known_failures;
use crate::openapi::OpenApiDocument;
use crate::probe::Gateway;
use crate::reference::{self, ReferenceConfig};
use crate::report::escape::escape_line;
use crate::report::html::{render_html, render_html_error};
use crate::report::json::{render_json, render_json_error};
use crate::report::junit::{render_junit, render_junit_error};
use crate::report::reproducer::{attach_reproducers, Reproduction};
use crate::report::terminal::{colour_wanted, render_run};
use crate::runner::{run_suites_with_progress, setup_failure_report, CaseProgress, RunReport, RunSettings};
use crate::snapshot::SnapshotStore;
use crate::spec::ProtoSpec;
use crate::suite::{self, Suite};
use crate::transport::{Connection, Target};

/// The gateway key may come from the environment, for CI secrets.
pub(super) const GATEWAY_KEY_ENV: &str = "LPCONFORM_GATEWAY_KEY";

pub async fn run(args: RunArgs) -> Result<Outcome, RunError> {
    let outputs = ReportOutputs::new(&args.report)?;
    if let Some(path) = &args.record_known_failures {
        writable("--record-known-failures", path)?;
    }
    let report = match run_checks(&args).await {
        Ok(report) => report,
        Err(error) => return Err(outputs.write_run_error(args.connect.target.as_deref(), error)),
    };
    outputs.write(&report)?;
    if let Some(path) = &args.record_known_failures {
        let list = known_failures::record(&report, today());
        write_report("--record-known-failures", path, &list).map_err(RunError::new)?;
    }
    Ok(if report.unfunded_gateway.is_some() {
        Outcome::UnfundedGateway
    } else if report.has_findings() {
        Outcome::Findings
    } else if report.harness_errors() > 0 {
        Outcome::HarnessErrors(report.harness_errors())
    } else {
        Outcome::Conformant
    })
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
                return Err(RunError::new(format!(
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
        .err()
        .map(|error| error.0);
        let problems: Vec<String> = stdout
            .into_iter()
            .chain(
                self.files()
                    .filter_map(|(what, path, render, _)| write_report(what, path, &render(report)).err()),
            )
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(RunError::new(problems.join("\n")))
        }
    }

    /// A run that could not happen still gives every report asked for, each stating the error:
    /// a tool reading one sees why the run ended rather than a missing file.
    fn write_run_error(&self, target: Option<&str>, error: RunError) -> RunError {
        let stdout = match self.format {
            ReportFormat::Terminal => Ok(()),
            ReportFormat::Json => print_stdout(&render_json_error(target, &error.0)),
        };
        let problems: Vec<String> = std::iter::once(error.0.clone())
            .chain(stdout.err().map(|problem| problem.0))
            .chain(self.files().filter_map(|(what, path, _, render_error)| {
                write_report(what, path, &render_error(target, &error.0)).err()
            }))
            .collect();
        RunError::new(problems.join("\n"))
    }
}

/// The report file's directory must exist, and the file must not be a directory.
pub(super) fn writable(what: &str, path: &Path) -> Result<(), RunError> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if path.is_dir() {
        return Err(RunError::new(format!(
            "{what} {}: is a directory, not a file",
            path.display()
        )));
    }
    if !directory.is_dir() {
        return Err(RunError::new(format!(
            "{what} {}: directory {} does not exist",
            path.display(),
            directory.display()
        )));
    }
    Ok(())
}

pub(super) fn write_report(what: &str, path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|error| format!("{what} {}: cannot write the report: {error}", path.display()))
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
    let given_expectations =
        Expectations::parse_flags(&args.checks.expect).map_err(|error| RunError::new(error.to_string()))?;
    let known_failures = match &args.known_failures {
        Some(path) => Some(
            known_failures::load(path, &suites).map_err(|error| RunError::new(format!("--known-failures {error}")))?,
        ),
        None => None,
    };

    let target = args.connect.target()?;
    // The gateway identity comes first: the embedded orchestrator funds it.
    let gateway = match &args.remote_signer {
        Some(url) => crate::remote_signer::gateway_from(url, options.call_timeout)
            .await
            .map_err(|error| RunError::new(error.to_string()))?,
        None => Gateway::from(&gateway),
    };
    // Held until the end of the run: dropping it stops the embedded server.
    let mut embedded = None;
    let mut embedded_config = None;
    let target = match target {
        Some(target) => target,
        None => {
            let defaults = ReferenceDefaults::run(gateway.address());
            let config = reference_config(&args.reference, ([127, 0, 0, 1], 0).into(), defaults)?;
            embedded_config = Some(config.clone());
            let running = reference::start(config)
                .await
                .map_err(|error| RunError::new(error.to_string()))?;
            let target = Target::parse(&running.url()).map_err(|error| RunError::new(error.to_string()))?;
            embedded = Some(running);
            target
        }
    };
    let expectations = match &embedded {
        Some(running) if args.checks.expect.is_empty() => running.expectations().clone(),
        _ => given_expectations,
    };
    let profile = match (&args.profile, &embedded) {
        (Some(profile), _) => profile.clone(),
        (None, Some(_)) => embedded_config
            .as_ref()
            .map_or_else(String::new, ReferenceConfig::profile),
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
    let connecting = Instant::now();
    let connection = match Connection::connect(&target, &options).await {
        Ok(connection) => connection,
        // A server that accepts and then breaks setup is judged, not an error of the run.
        Err(error) if error.server_misbehaved() => {
            let mut report = setup_failure_report(&target, &profile, &error, connecting.elapsed(), &settings);
            if let Some(list) = &known_failures {
                known_failures::apply(&mut report, list, today(), args.checks.case.as_deref());
            }
            return Ok(report);
        }
        Err(error) => return Err(RunError::new(error.to_string())),
    };
    let bar = progress_bar();
    let mut show = |progress: CaseProgress<'_>| {
        bar.set_length(progress.total as u64);
        bar.set_position(progress.done as u64);
        bar.set_message(escape_line(progress.case).into_owned());
    };
    let driver = Driver::new(connection, proto.clone(), gateway);
    let mut report = run_suites_with_progress(&driver, &suites, &expectations, &settings, &profile, &mut show).await;
    bar.finish_and_clear();
    if let Some(running) = embedded {
        running.shutdown().await;
    }
    if let Some(list) = &known_failures {
        known_failures::apply(&mut report, list, today(), args.checks.case.as_deref());
    }
    let reproduction = Reproduction {
        target: &target,
        spec: &proto,
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

/// Cases done of all and the case running, on stderr only when it is a terminal.
fn progress_bar() -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(None, target);
    if let Ok(style) = ProgressStyle::with_template("running {elapsed_precise} [{wide_bar}] {pos}/{len} {msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// `--case PATTERN` must select at least one case.
fn check_case_filter(suites: &[Suite], pattern: &str) -> Result<(), RunError> {
    let selected = suites
        .iter()
        .flat_map(|suite| suite.cases.iter().map(|case| case.full_name(suite)));
    if !selected.clone().any(|name| name.contains(pattern)) {
        let example = selected.take(1).collect::<String>();
        return Err(RunError::new(format!(
            "--case {pattern:?} matches no case; names look like {example:?}"
        )));
    }
    Ok(())
}

/// What `run` and `sweep` load before dialling anything, each a located error (exit 2) when bad.
pub(super) struct Checks {
    pub proto: ProtoSpec,
    pub gateway: EthKey,
    pub suites: Vec<Suite>,
    /// Where snapshot sets live by default.
    pub suites_dir: PathBuf,
    pub openapi: OpenApiDocument,
}

pub(super) fn load_checks(args: &CheckArgs) -> Result<Checks, RunError> {
    let proto = load_spec(args.proto.proto.as_deref())?;
    let gateway = gateway_key(args.gateway_key.as_deref())?;
    let (suites, suites_dir) = load_suites(args.suite.as_deref(), &proto)?;
    if let Some(pattern) = &args.case {
        check_case_filter(&suites, pattern)?;
    }
    let openapi =
        OpenApiDocument::load_or_default(args.openapi.as_deref()).map_err(|error| RunError::new(error.to_string()))?;
    Ok(Checks {
        proto,
        gateway,
        suites,
        suites_dir,
        openapi,
    })
}

/// `--suite PATH`, else `./suites` when it holds suite files, else the built-in suites.
/// Returns the directory snapshots live under too.
fn load_suites(explicit: Option<&Path>, proto: &ProtoSpec) -> Result<(Vec<Suite>, PathBuf), RunError> {
    let default_dir = PathBuf::from("suites");
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None if suite::holds_suites(&default_dir) => default_dir,
        None => return Ok((suite::built_in(), default_dir)),
    };
    let suites = suite::load(&path, proto).map_err(|error| RunError::new(error.to_string()))?;
    let directory = if path.is_dir() {
        path
    } else {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    Ok((suites, directory))
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

/// Loads the protocol at run time so a newer lp_rpc.proto needs no rebuild.
pub(super) fn load_spec(explicit: Option<&Path>) -> Result<ProtoSpec, RunError> {
    let default_dir = PathBuf::from("proto");
    let path = match explicit {
        Some(path) => path,
        None if default_dir.is_dir() => default_dir.as_path(),
        None => return Ok(ProtoSpec::built_in()),
    };
    ProtoSpec::load(path).map_err(|error| RunError::new(error.to_string()))
}

pub(super) fn gateway_key(file: Option<&Path>) -> Result<EthKey, RunError> {
    if let Some(path) = file {
        return read_key_file(path, "--gateway-key");
    }
    match std::env::var(GATEWAY_KEY_ENV) {
        Ok(text) => EthKey::from_hex(&text).map_err(|error| RunError::new(format!("{GATEWAY_KEY_ENV}: {error}"))),
        Err(_) => Ok(EthKey::random()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_file_that_fails_to_write_is_named_in_the_error() {
        let scratch = tempfile::tempdir().unwrap();
        let gone = scratch.path().join("removed-after-the-check");
        std::fs::create_dir(&gone).unwrap();
        let path = gone.join("junit.xml");
        writable("--junit", &path).unwrap();
        std::fs::remove_dir(&gone).unwrap();
        let problem = write_report("--junit", &path, "<testsuites/>").unwrap_err();
        assert!(
            problem.starts_with(&format!("--junit {}: cannot write", path.display())),
            "{problem}"
        );
    }

    #[test]
    fn report_files_are_checked_before_the_run() {
        let missing = writable("--report-html", Path::new("/nonexistent/dir/report.html")).unwrap_err();
        assert!(missing.0.contains("/nonexistent/dir/report.html"), "{missing}");
        assert!(
            writable("--junit", Path::new("report.xml")).is_ok(),
            "a bare name is in the current directory"
        );
        let directory = writable("--junit", Path::new(".")).unwrap_err();
        assert!(directory.0.contains("is a directory"), "{directory}");
    }
}
