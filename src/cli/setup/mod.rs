//! What two or more commands share before and after their work: loading the protocol, suites,
//! OpenAPI document and gateway identity; the orchestrator to talk to (`--target`, or the
//! embedded one); report files checked before a run and written after; the progress bar.
//! Command files use this module and `args`, never each other.

mod reference;

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::{CheckArgs, ConnectArgs, ReferenceArgs};
use super::RunError;
use crate::eth::EthKey;
use crate::openapi::OpenApiDocument;
use crate::protocol::Protocol;
use crate::reference::TargetOrEmbedded;
use crate::suite::{self, Suite};
pub use reference::{read_key_file, reference_config, ReferenceDefaults};

/// The gateway key may come from the environment, for CI secrets.
pub const GATEWAY_KEY_ENV: &str = "LPCONFORM_GATEWAY_KEY";

/// Loads the protocol at run time so a newer lp_rpc.proto needs no rebuild.
pub fn load_protocol(explicit: Option<&Path>) -> Result<Protocol, RunError> {
    let default_dir = PathBuf::from("proto");
    let path = match explicit {
        Some(path) => path,
        None if default_dir.is_dir() => default_dir.as_path(),
        None => return Ok(Protocol::built_in()),
    };
    Protocol::load(path).map_err(|error| match explicit {
        Some(_) => RunError::Usage(format!("--proto {error}")),
        None => error.into(),
    })
}

/// `--openapi FILE`, else the default document (`OpenApiDocument::load_or_default`).
pub fn load_openapi(explicit: Option<&Path>) -> Result<OpenApiDocument, RunError> {
    OpenApiDocument::load_or_default(explicit).map_err(|error| match explicit {
        Some(_) => RunError::Usage(format!("--openapi {error}")),
        None => error.into(),
    })
}

pub fn gateway_key(file: Option<&Path>) -> Result<EthKey, RunError> {
    if let Some(path) = file {
        return read_key_file(path, "--gateway-key");
    }
    match std::env::var(GATEWAY_KEY_ENV) {
        Ok(text) => EthKey::from_hex(&text).map_err(|error| RunError::Key {
            from: GATEWAY_KEY_ENV.into(),
            problem: error.to_string(),
        }),
        Err(_) => Ok(EthKey::random()),
    }
}

/// `--case PATTERN` must select at least one case.
pub fn check_case_filter(suites: &[Suite], pattern: &str) -> Result<(), RunError> {
    let selected = suites
        .iter()
        .flat_map(|suite| suite.cases.iter().map(|case| case.full_name(suite)));
    if !selected.clone().any(|name| name.contains(pattern)) {
        let example = selected.take(1).collect::<String>();
        return Err(RunError::Usage(format!(
            "--case {pattern:?} matches no case; names look like {example:?}"
        )));
    }
    Ok(())
}

/// What `run` and `sweep` load before dialling anything, each a located error (exit 2) when bad.
pub struct Checks {
    pub proto: Protocol,
    pub gateway: EthKey,
    pub suites: Vec<Suite>,
    /// Where snapshot sets live by default.
    pub suites_dir: PathBuf,
    pub openapi: OpenApiDocument,
}

pub fn load_checks(args: &CheckArgs) -> Result<Checks, RunError> {
    let proto = load_protocol(args.proto.proto.as_deref())?;
    let gateway = gateway_key(args.gateway_key.as_deref())?;
    let (suites, suites_dir) = load_suites(args.suite.as_deref(), &proto)?;
    if let Some(pattern) = &args.case {
        check_case_filter(&suites, pattern)?;
    }
    let openapi = load_openapi(args.openapi.as_deref())?;
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
pub fn load_suites(explicit: Option<&Path>, proto: &Protocol) -> Result<(Vec<Suite>, PathBuf), RunError> {
    let default_dir = PathBuf::from("suites");
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None if suite::holds_suites(&default_dir) => default_dir,
        None => return Ok((suite::built_in(), default_dir)),
    };
    let suites = suite::load(&path, proto)?;
    let directory = if path.is_dir() {
        path
    } else {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    Ok((suites, directory))
}

/// The report file's directory must exist, and the file must not be a directory.
pub fn writable(what: &str, path: &Path) -> Result<(), RunError> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if path.is_dir() {
        return Err(RunError::Usage(format!(
            "{what} {}: is a directory, not a file",
            path.display()
        )));
    }
    if !directory.is_dir() {
        return Err(RunError::Usage(format!(
            "{what} {}: directory {} does not exist",
            path.display(),
            directory.display()
        )));
    }
    Ok(())
}

pub fn write_report(what: &str, path: &Path, text: &str) -> Result<(), RunError> {
    std::fs::write(path, text).map_err(|error| RunError::Output {
        to: format!("{what} {}", path.display()),
        what: "report",
        error,
    })
}

/// A progress bar drawn with `template` (indicatif's), on stderr only when it is a terminal;
/// `length` is filled in later when `None`.
pub fn progress_bar(template: &str, length: Option<u64>) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(length, target);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// `--target`, or the embedded orchestrator with the command's defaults for the flags not given.
pub async fn target_or_embedded(
    connect: &ConnectArgs,
    reference_args: &ReferenceArgs,
    defaults: ReferenceDefaults,
) -> Result<TargetOrEmbedded, RunError> {
    TargetOrEmbedded::start(connect.target()?, || {
        reference_config(reference_args, ([127, 0, 0, 1], 0).into(), defaults)
    })
    .await
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
        let problem = write_report("--junit", &path, "<testsuites/>").unwrap_err().to_string();
        assert!(
            problem.starts_with(&format!("--junit {}: cannot write", path.display())),
            "{problem}"
        );
    }

    #[test]
    fn report_files_are_checked_before_the_run() {
        let missing = writable("--report-html", Path::new("/nonexistent/dir/report.html")).unwrap_err();
        assert!(
            missing.to_string().contains("/nonexistent/dir/report.html"),
            "{missing}"
        );
        assert!(
            writable("--junit", Path::new("report.xml")).is_ok(),
            "a bare name is in the current directory"
        );
        let directory = writable("--junit", Path::new(".")).unwrap_err();
        assert!(directory.to_string().contains("is a directory"), "{directory}");
    }
}
