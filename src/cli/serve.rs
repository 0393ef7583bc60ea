//! `lpconform serve`: the embedded reference orchestrator as a standalone server.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;

use super::args::{NetworkFlag, ReferenceArgs, ServeArgs, TranscoderFlag};
use super::{print_stdout, Outcome, RunError};
use crate::eth::{Address, EthKey};
use crate::reference::{self, ChainMode, Funding, GatewayPrice, ReferenceConfig, Transcoder, NIL_POINTER_PANIC};

/// The exit status of a Go program that panics.
const GO_PANIC_EXIT_STATUS: i32 = 2;

pub async fn serve(args: ServeArgs) -> Result<Outcome, RunError> {
    let config = reference_config(&args.reference, args.listen, ReferenceDefaults::SERVE)?;
    let mut running = reference::start(config)
        .await
        .map_err(|error| RunError::new(error.to_string()))?;
    print_stdout(&format!(
        "serving net.Orchestrator on {} (address {})\n",
        running.url(),
        running.address()
    ))?;
    tokio::select! {
        interrupted = tokio::signal::ctrl_c() => {
            interrupted.map_err(|error| RunError::new(format!("cannot wait for Ctrl-C: {error}")))?;
        }
        () = running.crashed() => {
            // As go-livepeer dies (`crash-on-missing-token`): the Go runtime's panic text and exit status.
            let _ = writeln!(std::io::stderr(), "{NIL_POINTER_PANIC}\n[signal SIGSEGV: segmentation violation]");
            std::process::exit(GO_PANIC_EXIT_STATUS);
        }
    }
    running.shutdown().await;
    Ok(Outcome::Conformant)
}

/// Which defaults fill the embedded orchestrator's flags that are not given.
#[derive(Debug, Clone, Copy)]
pub struct ReferenceDefaults {
    /// The fullest profile (on chain, software transcoding and the shipped AI models), so a
    /// first `run` exercises the whole catalog; otherwise go-livepeer's own defaults
    /// (off-chain software transcoding).
    fullest: bool,
    /// The gateway the command itself discovers with, funded unless `--fund` names others;
    /// `None` (serve) funds nobody, as a fresh go-livepeer node.
    own_gateway: Option<Address>,
}

impl ReferenceDefaults {
    /// `serve`: go-livepeer with no `-network`.
    pub const SERVE: Self = Self {
        fullest: false,
        own_gateway: None,
    };

    /// `fuzz` and `replay`: go-livepeer's defaults, paying the fuzzing gateway.
    pub fn fuzz(gateway: Address) -> Self {
        Self {
            fullest: false,
            own_gateway: Some(gateway),
        }
    }

    /// `run` without a target: the fullest profile, paying the run's gateway.
    pub fn run(gateway: Address) -> Self {
        Self {
            fullest: true,
            own_gateway: Some(gateway),
        }
    }
}

/// Turns the go-livepeer-style flags into the reference orchestrator's configuration.
pub fn reference_config(
    args: &ReferenceArgs,
    listen: SocketAddr,
    defaults: ReferenceDefaults,
) -> Result<ReferenceConfig, RunError> {
    let fullest = defaults.fullest;
    let ai_models = match &args.ai_models {
        Some(path) if path.as_os_str() == "none" => Vec::new(),
        Some(path) => crate::ai_models::load_ai_models(path).map_err(|error| RunError::new(error.to_string()))?,
        None if fullest => reference::shipped_ai_models(),
        None => Vec::new(),
    };
    let transcoder = match (args.transcoder, args.no_transcoding) {
        (Some(TranscoderFlag::None), _) | (None, true) => Transcoder::None,
        (Some(TranscoderFlag::Gpu), _) => Transcoder::Gpu,
        (Some(TranscoderFlag::Software) | None, _) => Transcoder::Software,
    };
    if transcoder == Transcoder::None && ai_models.is_empty() {
        return Err(RunError::new(
            "--transcoder none leaves the embedded orchestrator nothing to offer: give -aiModels FILE too",
        ));
    }
    let eth_key = match &args.eth_key {
        Some(path) => read_key_file(path, "--eth-key")?,
        None => reference::well_known_key(),
    };
    let chain = match (args.network, args.onchain) {
        (Some(NetworkFlag::Onchain), _) | (None, true) => ChainMode::OnChain,
        (Some(NetworkFlag::Offchain), _) => ChainMode::OffChain,
        (None, false) if fullest => ChainMode::OnChain,
        (None, false) => ChainMode::OffChain,
    };
    let funding = if args.fund_all {
        Funding::All
    } else if !args.fund.is_empty() {
        Funding::Only(args.fund.clone())
    } else {
        Funding::Only(defaults.own_gateway.into_iter().collect())
    };
    let gateway_prices = match &args.price_per_gateway {
        Some(text) => gateway_prices(text)?,
        None => Vec::new(),
    };
    Ok(ReferenceConfig {
        listen,
        tls: !args.h2c,
        service_uri: args.service_addr.as_deref().map(advertised_uri),
        price_per_unit: args.price_per_unit,
        pixels_per_unit: args.pixels_per_unit,
        gateway_prices,
        auto_adjust_price: args.auto_adjust_price,
        eth_key,
        orch_address: args.eth_orch_addr,
        chain,
        transcoder,
        ai_models,
        running_jobs: args.running_jobs.clone(),
        max_sessions: args.max_sessions,
        sessions_in_use: if args.at_capacity {
            args.max_sessions
        } else {
            args.sessions_in_use.unwrap_or(0)
        },
        nodes: args.nodes.iter().map(|node| forced_https(node)).collect(),
        version: args
            .version
            .clone()
            .unwrap_or_else(|| reference::LIVEPEER_VERSION.to_string()),
        funding,
        serve_info_json: args.serve_info_json,
        faults: args.faults.clone(),
    })
}

/// `transcoder` for `-serviceAddr`: `https://` + the address as given, nothing for `none`; a
/// full URI (the old `--serviceURI`) as it is.
fn advertised_uri(service_addr: &str) -> String {
    if service_addr == "none" {
        String::new()
    } else if service_addr.contains("://") {
        service_addr.to_string()
    } else {
        format!("https://{service_addr}")
    }
}

/// A `-nodes` entry as go-livepeer advertises it: its scheme replaced by https.
fn forced_https(node: &str) -> String {
    let rest = node.split_once("://").map_or(node, |(_, rest)| rest);
    format!("https://{rest}")
}

/// `-pricePerGateway`: go-livepeer's JSON, inline or in a file (as its `ReadFromFile` takes
/// either), with whole-wei prices; errors name the entry.
fn gateway_prices(text: &str) -> Result<Vec<GatewayPrice>, RunError> {
    #[derive(serde::Deserialize)]
    struct File {
        #[serde(default)]
        gateways: Vec<Entry>,
        #[serde(default)]
        broadcasters: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        ethaddress: String,
        priceperunit: serde_json::Value,
        pixelsperunit: serde_json::Value,
        #[serde(default)]
        currency: Option<String>,
    }
    let problem = |what: String| RunError::new(format!("--pricePerGateway: {what}"));
    let json = match std::fs::read_to_string(text) {
        Ok(content) => content,
        Err(_) => text.to_string(),
    };
    let file: File = serde_json::from_str(&json)
        .map_err(|error| problem(format!("line {} column {}: {error}", error.line(), error.column())))?;
    let whole_wei = |value: &serde_json::Value, place: String| -> Result<i64, RunError> {
        let number = match value {
            serde_json::Value::Number(number) => number.as_i64(),
            serde_json::Value::String(text) => text.parse().ok(),
            _ => None,
        };
        number.ok_or_else(|| problem(format!("{place}: {value} is not a whole number of wei")))
    };
    let entries = file.broadcasters.iter().map(|entry| ("broadcasters", entry));
    let entries = entries.chain(file.gateways.iter().map(|entry| ("gateways", entry)));
    let mut index_of: std::collections::HashMap<&str, usize> = Default::default();
    entries
        .map(|(list, entry)| {
            let index = index_of.entry(list).or_default();
            let place = format!("{list}[{index}]");
            *index += 1;
            if let Some(currency) = entry.currency.as_deref().filter(|c| !c.eq_ignore_ascii_case("wei")) {
                return Err(problem(format!(
                    "{place}.currency: {currency} needs a price feed, which the embedded orchestrator has not; give wei"
                )));
            }
            Ok(GatewayPrice {
                gateway: Address::parse(&entry.ethaddress)
                    .map_err(|error| problem(format!("{place}.ethaddress: {error}")))?,
                price_per_unit: whole_wei(&entry.priceperunit, format!("{place}.priceperunit"))?,
                pixels_per_unit: whole_wei(&entry.pixelsperunit, format!("{place}.pixelsperunit"))?,
            })
        })
        .collect()
}

/// Reads a hex private key from a file; errors name the flag and path, never the content.
pub fn read_key_file(path: &Path, flag: &str) -> Result<EthKey, RunError> {
    let text =
        std::fs::read_to_string(path).map_err(|error| RunError::new(format!("{flag} {}: {error}", path.display())))?;
    EthKey::from_hex(&text).map_err(|error| RunError::new(format!("{flag} {}: {error}", path.display())))
}
