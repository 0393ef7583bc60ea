//! `lpconform serve`: the embedded reference orchestrator as a standalone server.

use std::net::SocketAddr;
use std::path::Path;

use super::args::{ReferenceArgs, ServeArgs};
use super::{print_stdout, Outcome, RunError};
use crate::eth::EthKey;
use crate::reference::{self, ChainMode, ReferenceConfig};

pub async fn serve(args: ServeArgs) -> Result<Outcome, RunError> {
    let config = reference_config(&args.reference, args.listen)?;
    let running = reference::start(config)
        .await
        .map_err(|error| RunError::new(error.to_string()))?;
    print_stdout(&format!(
        "serving net.Orchestrator on {} (address {})\n",
        running.url(),
        running.address()
    ))?;
    tokio::signal::ctrl_c()
        .await
        .map_err(|error| RunError::new(format!("cannot wait for Ctrl-C: {error}")))?;
    running.shutdown().await;
    Ok(Outcome::Conformant)
}

/// Turns the go-livepeer-style flags into the reference orchestrator's configuration.
pub fn reference_config(args: &ReferenceArgs, listen: SocketAddr) -> Result<ReferenceConfig, RunError> {
    if args.no_transcoding && args.ai_models.is_none() {
        return Err(RunError::new(
            "--no-transcoding leaves the embedded orchestrator nothing to offer: give -aiModels FILE too",
        ));
    }
    let ai_models = match &args.ai_models {
        Some(path) => crate::ai_models::load_ai_models(path).map_err(|error| RunError::new(error.to_string()))?,
        None => Vec::new(),
    };
    let eth_key = match &args.eth_key {
        Some(path) => read_key_file(path, "--eth-key")?,
        None => reference::well_known_key(),
    };
    Ok(ReferenceConfig {
        listen,
        tls: !args.h2c,
        service_uri: args.service_uri.clone(),
        price_per_unit: args.price_per_unit,
        pixels_per_unit: args.pixels_per_unit,
        eth_key,
        chain: if args.onchain {
            ChainMode::OnChain
        } else {
            ChainMode::OffChain
        },
        transcoding: !args.no_transcoding,
        ai_models,
        faults: args.faults.clone(),
        funded: (!args.fund.is_empty()).then(|| args.fund.clone()),
        at_capacity: args.at_capacity,
    })
}

/// Reads a hex private key from a file; errors name the flag and path, never the content.
pub fn read_key_file(path: &Path, flag: &str) -> Result<EthKey, RunError> {
    let text =
        std::fs::read_to_string(path).map_err(|error| RunError::new(format!("{flag} {}: {error}", path.display())))?;
    EthKey::from_hex(&text).map_err(|error| RunError::new(format!("{flag} {}: {error}", path.display())))
}
