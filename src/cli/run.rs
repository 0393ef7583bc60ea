//! `lpconform run`: drive one orchestrator (or the embedded one) through the
//! suites and report the results.

use std::path::{Path, PathBuf};

use super::args::{ModeFlag, ReferenceArgs, RunArgs};
use super::serve::{read_key_file, reference_config};
use super::{Outcome, RunError};
use crate::eth::EthKey;
use crate::expect::Expectations;
use crate::openapi::OpenApiDocument;
use crate::reference;
use crate::report::terminal::{colour_wanted, render_run};
use crate::runner::{run_suites, RunSettings};
use crate::snapshot::SnapshotStore;
use crate::spec::ProtoSpec;
use crate::suite::{self, Suite};
use crate::transport::{Connection, Target, TransportOptions};

/// The gateway key may come from the environment, for CI secrets.
const GATEWAY_KEY_ENV: &str = "LPCONFORM_GATEWAY_KEY";

pub async fn run(args: RunArgs) -> Result<Outcome, RunError> {
    load_spec(args.proto.as_deref())?;
    let gateway = gateway_key(args.gateway_key.as_deref())?;
    let options = TransportOptions {
        connect_timeout: args.connect.connect_timeout,
        call_timeout: args.connect.call_timeout,
        max_decode_bytes: args.connect.max_decode_bytes,
        ca_file: args.connect.ca.clone(),
    };
    let given_expectations =
        Expectations::parse_flags(&args.expect).map_err(|error| RunError::new(error.to_string()))?;
    let (suites, suites_dir) = load_suites(args.suite.as_deref())?;
    let openapi =
        OpenApiDocument::load_or_default(args.openapi.as_deref()).map_err(|error| RunError::new(error.to_string()))?;

    // Held until the end of the run: dropping it stops the embedded server.
    let mut embedded = None;
    let target = match &args.connect.target {
        Some(text) => Target::parse(text).map_err(|error| RunError::new(error.to_string()))?,
        None => {
            let config = reference_config(&args.reference, ([127, 0, 0, 1], 0).into())?;
            let running = reference::start(config)
                .await
                .map_err(|error| RunError::new(error.to_string()))?;
            let target = Target::parse(&running.url()).map_err(|error| RunError::new(error.to_string()))?;
            embedded = Some(running);
            target
        }
    };
    let connection = Connection::connect(&target, &options)
        .await
        .map_err(|error| RunError::new(error.to_string()))?;
    let expectations = match &embedded {
        Some(running) if args.expect.is_empty() => running.expectations().clone(),
        _ => given_expectations,
    };
    let profile = match (&args.profile, &embedded) {
        (Some(profile), _) => profile.clone(),
        (None, Some(_)) => embedded_profile(&args.reference),
        (None, None) => target_profile(&target),
    };
    let settings = RunSettings {
        strict: args.strict,
        case_filter: args.case.clone(),
        overrides: ModeFlag::overrides(&args.modes),
        snapshots: SnapshotStore::new(&suites_dir, &profile, args.update_snapshots),
        openapi: Some(openapi),
    };
    let report = run_suites(&connection, &gateway, &suites, &expectations, &settings, &profile).await;
    if let Some(running) = embedded {
        running.shutdown().await;
    }
    print!("{}", render_run(&report, colour_wanted()));
    Ok(if report.failed() {
        Outcome::Findings
    } else {
        Outcome::Conformant
    })
}

/// `--suite PATH`, else `./suites` when present, else the built-in suites.
/// Returns the directory snapshots live under too.
fn load_suites(explicit: Option<&Path>) -> Result<(Vec<Suite>, PathBuf), RunError> {
    let default_dir = PathBuf::from("suites");
    let path = match explicit {
        Some(path) => path.to_path_buf(),
        None if default_dir.is_dir() => default_dir,
        None => return Ok((suite::built_in(), default_dir)),
    };
    let suites = suite::load(&path).map_err(|error| RunError::new(error.to_string()))?;
    let directory = if path.is_dir() {
        path
    } else {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    Ok((suites, directory))
}

/// `embedded-onchain-transcoding-ai` and the like: one snapshot set per configuration.
fn embedded_profile(reference: &ReferenceArgs) -> String {
    let mut profile = String::from(if reference.onchain {
        "embedded-onchain"
    } else {
        "embedded-offchain"
    });
    if !reference.no_transcoding {
        profile.push_str("-transcoding");
    }
    if reference.ai_models.is_some() {
        profile.push_str("-ai");
    }
    profile
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

fn gateway_key(file: Option<&Path>) -> Result<EthKey, RunError> {
    if let Some(path) = file {
        return read_key_file(path, "--gateway-key");
    }
    match std::env::var(GATEWAY_KEY_ENV) {
        Ok(text) => EthKey::from_hex(&text).map_err(|error| RunError::new(format!("{GATEWAY_KEY_ENV}: {error}"))),
        Err(_) => Ok(EthKey::random()),
    }
}
