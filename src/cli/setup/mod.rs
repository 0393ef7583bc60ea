//! What two or more commands share before and after their work: loading the protocol, suites,
//! OpenAPI document and gateway identity; the orchestrator to talk to (`--target`, or the
//! embedded one); report files checked before a run and written after; the progress bar.
//! Command files use this module and `args`, never each other.

mod reference;

use std::io::{IsTerminal as _, Write as _};
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
    replace_whole(path, text).map_err(|error| RunError::Output {
        to: format!("{what} {}", path.display()),
        what: "report",
        error,
    })
}

/// Writes `text` to `path` so that no reader, and no failure halfway, ever sees a file cut short:
/// a regular file (the list `--record-known-failures` updates, which the user may have written
/// by hand) is written beside itself and renamed over, keeping its permissions. A symbolic link
/// (`/dev/stdout` is one, to whatever the shell redirected) or what is not a file (a FIFO) is
/// written in place, so the output goes where it points.
fn replace_whole(path: &Path, text: &str) -> std::io::Result<()> {
    let permissions = match std::fs::symlink_metadata(path) {
        Ok(metadata) if !metadata.is_file() => return std::fs::write(path, text),
        Ok(metadata) => Some(metadata.permissions()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(error),
    };
    let mut beside = path.as_os_str().to_owned();
    beside.push(format!(".{}.partial", std::process::id()));
    let beside = PathBuf::from(beside);
    let written = (|| {
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&beside)?;
        file.write_all(text.as_bytes())?;
        if let Some(permissions) = permissions {
            file.set_permissions(permissions)?;
        }
        file.sync_all()?;
        std::fs::rename(&beside, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&beside);
    }
    written
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
    fn a_file_is_replaced_whole_with_its_permissions() {
        use std::os::unix::fs::PermissionsExt as _;
        let scratch = tempfile::tempdir().unwrap();
        let list = scratch.path().join("known.yaml");
        std::fs::write(&list, "- rule: ADDR-001\n  reason: written by hand\n").unwrap();
        std::fs::set_permissions(&list, std::fs::Permissions::from_mode(0o640)).unwrap();
        // A second name of the old file still reads it whole: the new text went to a new file.
        let old_name = scratch.path().join("old.yaml");
        std::fs::hard_link(&list, &old_name).unwrap();
        write_report("--record-known-failures", &list, "[]\n").unwrap();
        assert_eq!(std::fs::read_to_string(&list).unwrap(), "[]\n");
        assert_eq!(
            std::fs::read_to_string(&old_name).unwrap(),
            "- rule: ADDR-001\n  reason: written by hand\n"
        );
        let mode = std::fs::metadata(&list).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        let mut names: Vec<_> = std::fs::read_dir(scratch.path())
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, ["known.yaml", "old.yaml"], "nothing left beside it");
        // A link is written through, in place: the file it names takes the text.
        let link = scratch.path().join("link.yaml");
        std::os::unix::fs::symlink(&list, &link).unwrap();
        write_report("--record-known-failures", &link, "- rule: ADDR-001\n").unwrap();
        assert_eq!(std::fs::read_to_string(&list).unwrap(), "- rule: ADDR-001\n");
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        write_report("--junit", Path::new("/dev/null"), "<testsuites/>").unwrap();
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
