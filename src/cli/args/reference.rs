//! The embedded reference orchestrator's flags (go-livepeer's spellings), and `lpconform serve`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{defaults, value_name};
use crate::integer;
use crate::reference::faults::Fault;

/// Configuration of the embedded reference orchestrator, spelled like go-livepeer's flags
/// (single-dash spellings are accepted too). `serve` with none of them is go-livepeer with
/// no `-network` (off-chain software transcoding); `run` without a target starts the fullest
/// profile instead (on chain, transcoding and AI, funding the run's own gateway key).
#[derive(Debug, Args)]
#[command(next_help_heading = "Embedded orchestrator (when no --target)")]
pub struct ReferenceArgs {
    /// `-serviceAddr HOST:PORT`, advertised as `https://HOST:PORT` in OrchestratorInfo.transcoder;
    /// `none` advertises no URI. A full URI (the old --serviceURI) is taken as it is.
    /// Default: the URL it listens on.
    #[arg(long = "serviceAddr", alias = "serviceURI", value_name = "ADDR")]
    pub service_addr: Option<String>,
    /// Transcoding price in wei per pixelsPerUnit pixels (go-livepeer reads it on chain only).
    #[arg(long = "pricePerUnit", default_value_t = 1000, value_parser = integer::flag::<i64>)]
    pub price_per_unit: i64,
    #[arg(long = "pixelsPerUnit", default_value_t = 1, value_parser = integer::flag::<i64>)]
    pub pixels_per_unit: i64,
    /// Per-gateway transcoding prices, go-livepeer's JSON (or a file holding it):
    /// {"gateways":[{"ethaddress":"0x…","priceperunit":500,"pixelsperunit":1}]}.
    #[arg(long = "pricePerGateway", value_name = "JSON|FILE")]
    pub price_per_gateway: Option<String>,
    /// Add the ticket overhead (1 + 1/100) to advertised prices, as go-livepeer does by default.
    #[arg(long = "autoAdjustPrice", value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub auto_adjust_price: bool,
    /// `offchain` (serve's default) or `onchain` (run's default): on chain it verifies request
    /// signatures, signs Ping, prices and issues ticket parameters.
    #[arg(long = "network", value_enum, value_name = "NETWORK")]
    pub network: Option<NetworkFlag>,
    /// The same as --network onchain.
    #[arg(long, conflicts_with = "network")]
    pub onchain: bool,
    /// What transcodes, which decides the advertised codecs: `software`, `gpu` (HEVC and VP9
    /// decode pass their tests) or `none` (AI-only; needs -aiModels).
    #[arg(long = "transcoder", value_enum, value_name = "KIND")]
    pub transcoder: Option<TranscoderFlag>,
    /// The same as --transcoder none.
    #[arg(long, conflicts_with = "transcoder")]
    pub no_transcoding: bool,
    /// AI models file in the shape of go-livepeer's aiModels.json; `none` for no models
    /// (run's default is the shipped fixtures/aiModels.json).
    #[arg(long = "aiModels", value_name = "FILE")]
    pub ai_models: Option<PathBuf>,
    /// File holding the orchestrator's private key as hex (go-livepeer's -ethAcctAddr account).
    /// Default: a fixed, publicly known test key, so the address is the same on every run.
    #[arg(long, value_name = "FILE")]
    pub eth_key: Option<PathBuf>,
    /// The account tickets pay, when not the signing account.
    #[arg(long = "ethOrchAddr", value_name = "ADDRESS", value_parser = address_flag)]
    pub eth_orch_addr: Option<crate::eth::Address>,
    /// Concurrent transcoding sessions before discovery is refused `OrchestratorCapped`.
    #[arg(long = "maxSessions", default_value_t = crate::reference::DEFAULT_MAX_SESSIONS, value_parser = integer::flag::<u32>)]
    pub max_sessions: u32,
    /// Act as if this many transcoding sessions were running (reaching -maxSessions refuses
    /// every discovery, as go-livepeer does).
    #[arg(long, value_name = "N", conflicts_with = "at_capacity", value_parser = integer::flag::<u32>)]
    pub sessions_in_use: Option<u32>,
    /// All -maxSessions sessions in use: every discovery is refused with `OrchestratorCapped`,
    /// flag or no flag.
    #[arg(long)]
    pub at_capacity: bool,
    /// Act as if N jobs ran on a model (repeatable): they take N of its free slots; on
    /// live-video-to-video they are the containers in use.
    #[arg(long = "running-jobs", value_name = "MODEL_ID=N", value_parser = running_jobs_flag)]
    pub running_jobs: Vec<(String, u32)>,
    /// Other orchestrator URIs to advertise as `nodes` (comma-separated; forced to https).
    #[arg(long = "nodes", value_name = "URIS", value_delimiter = ',')]
    pub nodes: Vec<String>,
    /// The build version to advertise (`capabilities.version`); `undefined` as from a plain `go build`.
    #[arg(long = "version", value_name = "VERSION")]
    pub version: Option<String>,
    /// Serve h2c (cleartext HTTP/2) instead of TLS with a self-signed certificate.
    #[arg(long)]
    pub h2c: bool,
    /// Break a rule on purpose (repeatable), to see the harness catch it.
    #[arg(long = "fault", value_enum, value_name = "NAME")]
    pub faults: Vec<Fault>,
    /// On chain: a gateway address with a deposit and reserve (repeatable). go-livepeer refuses
    /// discovery from any other with `insufficient sender reserve` whenever it has a price to
    /// charge. Default: none for serve, the run's own gateway for run.
    #[arg(long = "fund", value_name = "ADDRESS", value_parser = address_flag)]
    pub fund: Vec<crate::eth::Address>,
    /// On chain: every gateway has a deposit and reserve.
    #[arg(long, conflicts_with = "fund")]
    pub fund_all: bool,
    /// Also serve `GET /orchestrator/info`, the OpenAPI document's JSON view of the discovery
    /// answer; go-livepeer has no such endpoint (404).
    #[arg(long)]
    pub serve_info_json: bool,
}

impl ReferenceArgs {
    /// The flags given, as words of a command line that starts the same orchestrator (for the
    /// replay and rerun lines); defaults are left out. Every field is listed here.
    pub fn command_line(&self) -> Vec<String> {
        let defaults = defaults::<ReferenceArgs>();
        let mut words = Vec::new();
        let mut flag = |name: &str, value: Option<String>| {
            words.push(format!("--{name}"));
            words.extend(value);
        };
        let changed = |pick: fn(&ReferenceArgs) -> String| defaults.as_ref().is_none_or(|d| pick(d) != pick(self));
        if let Some(addr) = &self.service_addr {
            flag("serviceAddr", Some(addr.clone()));
        }
        if changed(|args| args.price_per_unit.to_string()) {
            flag("pricePerUnit", Some(self.price_per_unit.to_string()));
        }
        if changed(|args| args.pixels_per_unit.to_string()) {
            flag("pixelsPerUnit", Some(self.pixels_per_unit.to_string()));
        }
        if let Some(prices) = &self.price_per_gateway {
            flag("pricePerGateway", Some(prices.clone()));
        }
        if !self.auto_adjust_price {
            flag("autoAdjustPrice", Some("false".into()));
        }
        if let Some(network) = self.network {
            flag("network", Some(value_name(network)));
        }
        if self.onchain {
            flag("onchain", None);
        }
        if let Some(transcoder) = self.transcoder {
            flag("transcoder", Some(value_name(transcoder)));
        }
        if self.no_transcoding {
            flag("no-transcoding", None);
        }
        if let Some(path) = &self.ai_models {
            flag("aiModels", Some(path.display().to_string()));
        }
        if let Some(path) = &self.eth_key {
            flag("eth-key", Some(path.display().to_string()));
        }
        if let Some(address) = &self.eth_orch_addr {
            flag("ethOrchAddr", Some(address.to_checksum()));
        }
        if changed(|args| args.max_sessions.to_string()) {
            flag("maxSessions", Some(self.max_sessions.to_string()));
        }
        if let Some(sessions) = self.sessions_in_use {
            flag("sessions-in-use", Some(sessions.to_string()));
        }
        if self.at_capacity {
            flag("at-capacity", None);
        }
        for (model_id, jobs) in &self.running_jobs {
            flag("running-jobs", Some(format!("{model_id}={jobs}")));
        }
        if !self.nodes.is_empty() {
            flag("nodes", Some(self.nodes.join(",")));
        }
        if let Some(version) = &self.version {
            flag("version", Some(version.clone()));
        }
        if self.h2c {
            flag("h2c", None);
        }
        for fault in &self.faults {
            flag("fault", Some(fault.name()));
        }
        for address in &self.fund {
            flag("fund", Some(address.to_checksum()));
        }
        if self.fund_all {
            flag("fund-all", None);
        }
        if self.serve_info_json {
            flag("serve-info-json", None);
        }
        words
    }
}

/// `--network`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NetworkFlag {
    Offchain,
    Onchain,
}

/// `--transcoder`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TranscoderFlag {
    Software,
    Gpu,
    None,
}

/// An address flag, 20 bytes of hex.
fn address_flag(text: &str) -> Result<crate::eth::Address, String> {
    crate::eth::Address::parse(text).map_err(|error| error.to_string())
}

/// `--running-jobs MODEL_ID=N`; the model id may itself contain `=`, the count follows the last.
fn running_jobs_flag(text: &str) -> Result<(String, u32), String> {
    let (model_id, jobs) = text.rsplit_once('=').ok_or_else(|| "expected MODEL_ID=N".to_string())?;
    let jobs = integer::parse::<u32>(jobs).map_err(|error| format!("{jobs:?}: {error}"))?;
    Ok((model_id.to_string(), jobs))
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8935")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub reference: ReferenceArgs,
}
