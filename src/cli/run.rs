//! `lpconform run`: probe one orchestrator, check every applicable rule and
//! report what it answered.

use std::path::{Path, PathBuf};

use super::args::{ModeFlag, RunArgs};
use super::serve::{read_key_file, reference_config};
use super::{Outcome, RunError};
use crate::eth::EthKey;
use crate::expect::Expectations;
use crate::probe::{probe, unix_now};
use crate::reference;
use crate::report::terminal::{render_observation, render_results};
use crate::rules::{self, Context};
use crate::spec::ProtoSpec;
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
    let observation = probe(&connection, &gateway).await;
    let expectations = match &embedded {
        Some(running) if args.expect.is_empty() => running.expectations().clone(),
        _ => given_expectations,
    };
    let context = Context::new(
        &observation,
        &expectations,
        ModeFlag::overrides(&args.modes),
        unix_now(),
    );
    let results = rules::evaluate(&context);
    print!("{}", render_observation(&observation));
    println!();
    print!("{}", render_results(&results));
    if let Some(running) = embedded {
        running.shutdown().await;
    }
    Ok(if rules::failed(&results, args.strict) {
        Outcome::Findings
    } else {
        Outcome::Conformant
    })
}

/// Loads the protocol at run time so a newer lp_rpc.proto needs no rebuild.
fn load_spec(explicit: Option<&Path>) -> Result<ProtoSpec, RunError> {
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
