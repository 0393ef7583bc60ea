//! Command line: flags are parsed and validated here into typed configuration,
//! commands run, and every outcome maps to an exit code in one place
//! (0 conformant, 1 findings, 2 usage or configuration error).

mod args;
mod compare;
mod fuzz;
mod rules;
mod run;
mod selftest;
mod serve;
mod setup;
mod spec;
mod sweep;

use std::ffi::OsString;
use std::io::Write as _;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args as _, CommandFactory, FromArgMatches as _};

pub use args::Cli;
use args::{Command, ReferenceArgs};

use crate::ai_models::ModelsError;
use crate::escape::escape_text;
use crate::expect::ExpectError;
use crate::fuzz::CorpusError;
use crate::openapi::OpenApiError;
use crate::protocol::ProtocolError;
use crate::reference::StartError;
use crate::remote_signer::RemoteSignerError;
use crate::report::compare::CompareError;
use crate::runner::known_failures::KnownFailuresError;
// How a command ends is said in a checked target's words (`Outcome`), mapped to an exit code in `main`.
use crate::runner::{NotChecked, Outcome};
use crate::suite::SuiteError;
use crate::sweep::TargetsError;
use crate::transport::TransportError;

/// An error of the run itself (bad flag, unreadable file, unreachable target), as opposed to a
/// finding about the orchestrator: exit 2. The library's errors say what is wrong (and where in a
/// file); only this type adds the flag or variable the operator gave them in.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Refused by the command line itself; the message names the flag.
    #[error("{0}")]
    Usage(String),
    #[error("--expect {0}")]
    Expect(#[from] ExpectError),
    #[error("--known-failures {0}")]
    KnownFailures(#[from] KnownFailuresError),
    #[error("{}", flagged_transport(.0))]
    Transport(#[from] TransportError),
    #[error("{}", flagged_not_checked(.0))]
    NotChecked(#[from] NotChecked),
    /// A private key that could not be read: `from` is the flag and file or the variable.
    #[error("{from}: {problem}")]
    Key { from: String, problem: String },
    /// An output that could not be written: `to` is the flag and file, or stdout.
    #[error("{to}: cannot write the {what}: {error}")]
    Output {
        to: String,
        what: &'static str,
        error: std::io::Error,
    },
    #[error(transparent)]
    Proto(#[from] ProtocolError),
    #[error(transparent)]
    OpenApi(#[from] OpenApiError),
    #[error(transparent)]
    Suite(#[from] SuiteError),
    #[error(transparent)]
    AiModels(#[from] ModelsError),
    #[error(transparent)]
    Targets(#[from] TargetsError),
    #[error(transparent)]
    Compare(#[from] CompareError),
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    #[error(transparent)]
    Start(#[from] StartError),
    #[error(transparent)]
    RemoteSigner(#[from] RemoteSignerError),
    /// Several outputs failed: each is said on its own line.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Several(Vec<RunError>),
}

/// A target or CA file problem is said with the flag that gave it.
fn flagged_transport(error: &TransportError) -> String {
    match error {
        TransportError::BadTarget { .. } => format!("--target {error}"),
        TransportError::CaFile { .. } => format!("--ca {error}"),
        _ => error.to_string(),
    }
}

/// An unreachable target is said as any transport error is, with the flag that gave it.
fn flagged_not_checked(error: &NotChecked) -> String {
    match error {
        NotChecked::Unreachable(error) => flagged_transport(error),
        NotChecked::DeadlinePassed => error.to_string(),
    }
}

/// Writes a command's output to stdout. A reader that went away (`| head`) is not an error: the
/// rest is dropped and the command ends as it would have. Any other failure (`> /dev/full`) is an
/// error of the run naming stdout.
pub(crate) fn print_stdout(text: &str) -> Result<(), RunError> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(RunError::Output {
            to: "stdout".into(),
            what: "output",
            error,
        }),
        _ => Ok(()),
    }
}

pub fn main() -> ExitCode {
    let parsed = Cli::command()
        .try_get_matches_from(normalize_go_flags(std::env::args_os()))
        .and_then(|matches| Cli::from_arg_matches(&matches).map(|cli| (cli, matches)));
    let cli = match parsed {
        Ok((cli, matches)) => match refuse_embedded_flags_with_target(&matches) {
            Ok(()) => cli,
            Err(error) => {
                let _ = writeln!(std::io::stderr(), "error: {error}");
                return ExitCode::from(2);
            }
        },
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "error: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run::run(*args).await,
            Command::Serve(args) => serve::serve(*args).await,
            Command::Rules(args) => rules::rules(&args),
            Command::Selftest(args) => selftest::selftest(&args).await,
            Command::Spec(args) => spec::spec(&args),
            Command::Fuzz(args) => fuzz::fuzz(*args).await,
            Command::Replay(args) => fuzz::replay(*args).await,
            Command::Sweep(args) => sweep::sweep(*args).await,
            Command::Compare(args) => compare::compare(&args),
        }
    });
    match result {
        Ok(Outcome::Conformant) => ExitCode::SUCCESS,
        Ok(Outcome::Findings) => ExitCode::from(1),
        Ok(Outcome::UnfundedGateway) => ExitCode::from(2),
        Ok(Outcome::HarnessErrors(count)) => {
            let _ = writeln!(
                std::io::stderr(),
                "error: no finding, but {count} calls or snapshots could not be judged: a call's exchange broke in transport, or a snapshot file could not be read or recorded (harness errors in the report)"
            );
            ExitCode::from(2)
        }
        Err(error) => {
            // Errors quote what a target sent (its TLS alerts, its status texts): escaped too.
            let _ = writeln!(std::io::stderr(), "error: {}", escape_text(&error.to_string()));
            ExitCode::from(2)
        }
    }
}

/// The embedded orchestrator's flags configure the orchestrator `run`, `fuzz` and `replay` start
/// when there is no target; beside `--target` (or LPCONFORM_TARGET) they would be silently ignored.
fn refuse_embedded_flags_with_target(matches: &ArgMatches) -> Result<(), RunError> {
    let Some((_, command)) = matches.subcommand() else {
        return Ok(());
    };
    let given = |id: &str, wanted: &[ValueSource]| {
        command.ids().any(|present| present.as_str() == id)
            && command.value_source(id).is_some_and(|source| wanted.contains(&source))
    };
    if !given("target", &[ValueSource::CommandLine, ValueSource::EnvVariable]) {
        return Ok(());
    }
    let embedded_flags: Vec<String> = ReferenceArgs::augment_args(clap::Command::new("embedded"))
        .get_arguments()
        .filter(|argument| given(argument.get_id().as_str(), &[ValueSource::CommandLine]))
        .filter_map(|argument| argument.get_long().map(|long| format!("--{long}")))
        .collect();
    if embedded_flags.is_empty() {
        return Ok(());
    }
    Err(RunError::Usage(format!(
        "{} configure{} the embedded orchestrator, which runs only without --target: \
         drop {} or the target",
        embedded_flags.join(", "),
        if embedded_flags.len() == 1 { "s" } else { "" },
        if embedded_flags.len() == 1 { "it" } else { "them" },
    )))
}

/// Accepts go-livepeer's single-dash spelling (`-pricePerUnit 1000`) for every
/// long flag, so operators can paste their orchestrator's command line.
fn normalize_go_flags(args: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    let mut long_names = Vec::new();
    collect_long_names(&Cli::command(), &mut long_names);
    args.into_iter()
        .map(|arg| {
            let Some(text) = arg.to_str() else { return arg };
            let Some(rest) = text.strip_prefix('-').filter(|rest| !rest.starts_with('-')) else {
                return arg;
            };
            let name = rest.split('=').next().unwrap_or(rest);
            if name.len() > 1 && long_names.iter().any(|long| long == name) {
                OsString::from(format!("-{text}"))
            } else {
                arg
            }
        })
        .collect()
}

fn collect_long_names(command: &clap::Command, names: &mut Vec<String>) {
    for argument in command.get_arguments() {
        names.extend(argument.get_long().map(str::to_string));
        names.extend(argument.get_all_aliases().into_iter().flatten().map(str::to_string));
    }
    for subcommand in command.get_subcommands() {
        collect_long_names(subcommand, names);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_style_flags_become_long_flags() {
        let args = [
            "lpconform",
            "serve",
            "-pricePerUnit",
            "5",
            "-serviceURI=https://x:1",
            "-h",
            "-x",
            "value",
        ];
        let normalized: Vec<String> = normalize_go_flags(args.map(OsString::from))
            .into_iter()
            .map(|arg| arg.into_string().unwrap())
            .collect();
        assert_eq!(
            normalized,
            [
                "lpconform",
                "serve",
                "--pricePerUnit",
                "5",
                "--serviceURI=https://x:1",
                "-h",
                "-x",
                "value"
            ]
        );
    }

    #[test]
    fn command_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
