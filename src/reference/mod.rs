//! The embedded reference orchestrator: a real tonic server for
//! `net.Orchestrator` on a loopback port, over TLS with a fresh self-signed
//! certificate or over h2c, behaving as go-livepeer 0.9 behaves wherever a
//! gateway can see it (docs/reference-vs-go-livepeer.md lists each behaviour and
//! the test that pins it). `lpconform run` starts it when no target is given;
//! `lpconform serve` runs it alone.
//!
//! One [`Node`] holds its state and its checks (`node`); the gRPC service (`service`) and the
//! HTTP routes (`routes`) are thin over it, and `server` owns the port. `advert` builds what it
//! advertises, `tokens` and `tickets` what it issues per answer, `faults` how it breaks rules.

mod advert;
pub mod faults;
mod node;
mod presets;
pub mod probe_answers;
mod routes;
mod server;
mod service;
mod tickets;
mod tokens;

use std::net::SocketAddr;
use std::path::Path;

pub use advert::{LIVEPEER_VERSION, TX_COST_MULTIPLIER};
pub use node::{Node, Refusal, INVALID_AUTH_TOKEN, NIL_POINTER_PANIC, RESTARTING, SIG_CHECK_FAILED};
pub use presets::Preset;
pub use probe_answers::ProbeAnswers;
pub use server::{start, RunningOrchestrator, StartError, TargetOrEmbedded};
pub use tickets::TICKET_EV_WEI;

use crate::ai_models::{parse_ai_models, AiModel};
use crate::eth::{Address, EthKey};
use faults::Fault;

/// The key the embedded orchestrator uses unless given one: fixed so its
/// address (and so its snapshots) are the same on every run. It is derived
/// from a public phrase; it guards nothing and must never hold funds.
pub fn well_known_key() -> EthKey {
    let secret = crate::eth::keccak256(b"lpconform embedded reference orchestrator");
    EthKey::from_hex(&hex::encode(secret)).expect("a keccak digest is a valid secp256k1 key")
}

/// The models of fixtures/aiModels.json, built in so the fullest profile runs from any directory.
pub fn shipped_ai_models() -> Vec<AiModel> {
    const SHIPPED: &str = include_str!("../../fixtures/aiModels.json");
    parse_ai_models(SHIPPED, Path::new("fixtures/aiModels.json")).expect("the shipped models file is valid")
}

/// go-livepeer's `-network`: on chain the orchestrator verifies signatures, signs Ping,
/// prices and issues ticket parameters; `offchain` does none of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainMode {
    OffChain,
    OnChain,
}

/// What transcodes, which decides the capability set (go-livepeer's `-transcoder`, `-nvidia`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transcoder {
    /// No transcoder: an AI-only orchestrator, which still advertises the default set.
    None,
    /// `-transcoder` on the CPU.
    Software,
    /// `-transcoder -nvidia 0`: a GPU whose HEVC and VP9 decode tests pass.
    Gpu,
}

/// On chain, which gateways have a deposit and reserve: go-livepeer refuses the others'
/// discovery with `insufficient sender reserve` whenever it has a price to charge them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Funding {
    /// Every gateway (`--fund-all`).
    All,
    /// These gateways only (`--fund ADDRESS`); empty, as for a fresh go-livepeer node, none.
    Only(Vec<Address>),
}

impl Funding {
    pub fn covers(&self, gateway: &Address) -> bool {
        match self {
            Funding::All => true,
            Funding::Only(funded) => funded.contains(gateway),
        }
    }
}

/// One `-pricePerGateway` entry: the transcoding price one gateway pays instead of `-pricePerUnit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayPrice {
    pub gateway: Address,
    pub price_per_unit: i64,
    pub pixels_per_unit: i64,
}

/// How to run the reference orchestrator; field names follow go-livepeer's flags.
#[derive(Debug, Clone)]
pub struct ReferenceConfig {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// TLS with a self-signed certificate; false serves h2c.
    pub tls: bool,
    /// What `transcoder` advertises (`https://` + `-serviceAddr`; empty for `-serviceAddr none`).
    /// Default: the URL actually served.
    pub service_uri: Option<String>,
    /// `-pricePerUnit`, wei per `pixels_per_unit` pixels of transcoding (read on chain only).
    pub price_per_unit: i64,
    /// `-pixelsPerUnit`.
    pub pixels_per_unit: i64,
    /// `-pricePerGateway`.
    pub gateway_prices: Vec<GatewayPrice>,
    /// `-autoAdjustPrice` (go-livepeer's default: true): prices carry the ticket overhead
    /// 1 + 1/[`TX_COST_MULTIPLIER`], rounded down to 1/1000 wei.
    pub auto_adjust_price: bool,
    /// The account it signs with and advertises on chain (`-ethAcctAddr`'s key).
    pub eth_key: EthKey,
    /// `-ethOrchAddr`: the ticket recipient, when not the signing account.
    pub orch_address: Option<Address>,
    pub chain: ChainMode,
    pub transcoder: Transcoder,
    /// `-aiModels`.
    pub ai_models: Vec<AiModel>,
    /// Jobs running per model id, taking that many of its free slots (containers for
    /// live-video-to-video): what a gateway sees while the node is busy.
    pub running_jobs: Vec<(String, u32)>,
    /// `-maxSessions`: beyond it every discovery is refused `OrchestratorCapped`.
    pub max_sessions: u32,
    /// Transcoding sessions in use, as if gateways were streaming: `max_sessions` of them
    /// (`--at-capacity`) reaches the limit.
    pub sessions_in_use: u32,
    /// `-nodes`: advertised as `nodes`, each forced to https.
    pub nodes: Vec<String>,
    /// The build's version string (`capabilities.version`, and `minVersion` as an orchestrator sets it).
    pub version: String,
    /// Which gateways can be paid from (on chain).
    pub funding: Funding,
    /// Serve `GET /orchestrator/info` (the OpenAPI document's JSON view), which go-livepeer lacks.
    pub serve_info_json: bool,
    /// Rules to break on purpose (`--fault`); empty for a conformant orchestrator.
    pub faults: Vec<Fault>,
}

impl ReferenceConfig {
    /// What `go-livepeer -orchestrator -transcoder` is with no `-network` (off-chain software
    /// transcoding), on a free loopback port, with a fresh key. On chain it would fund every
    /// gateway, so tests can discover it with any key.
    pub fn loopback() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: true,
            service_uri: None,
            price_per_unit: 1000,
            pixels_per_unit: 1,
            gateway_prices: Vec::new(),
            auto_adjust_price: true,
            eth_key: EthKey::random(),
            orch_address: None,
            chain: ChainMode::OffChain,
            transcoder: Transcoder::Software,
            ai_models: Vec::new(),
            running_jobs: Vec::new(),
            max_sessions: DEFAULT_MAX_SESSIONS,
            sessions_in_use: 0,
            nodes: Vec::new(),
            version: LIVEPEER_VERSION.to_string(),
            funding: Funding::All,
            serve_info_json: false,
            faults: Vec::new(),
        }
    }

    /// The ticket recipient: `-ethOrchAddr` when set, else the signing account.
    pub fn recipient(&self) -> Address {
        self.orch_address.unwrap_or_else(|| self.eth_key.address())
    }

    /// `embedded-onchain-transcoding-ai` and the like: the snapshot set of this configuration.
    pub fn profile(&self) -> String {
        let mut profile = String::from(match self.chain {
            ChainMode::OnChain => "embedded-onchain",
            ChainMode::OffChain => "embedded-offchain",
        });
        match self.transcoder {
            Transcoder::None => {}
            Transcoder::Software => profile.push_str("-transcoding"),
            Transcoder::Gpu => profile.push_str("-gpu"),
        }
        if !self.ai_models.is_empty() {
            profile.push_str("-ai");
        }
        profile
    }

    /// Jobs running on `model_id`.
    pub fn jobs_on(&self, model_id: &str) -> u32 {
        self.running_jobs
            .iter()
            .filter(|(running, _)| running == model_id)
            .fold(0u32, |total, (_, jobs)| total.saturating_add(*jobs))
    }
}

/// go-livepeer's `-maxSessions` default.
pub const DEFAULT_MAX_SESSIONS: u32 = 10;

#[cfg(test)]
mod tests;
