//! The embedded reference orchestrator: a real tonic server for
//! `net.Orchestrator` on a loopback port, over TLS with a fresh self-signed
//! certificate or over h2c, configured like go-livepeer. `lpconform run`
//! starts it when no target is given; `lpconform serve` runs it alone.

mod advert;
mod faults;
mod payment;
mod server;
mod service;

use std::net::SocketAddr;

pub use faults::{Fault, CRASH_BITSTRING_WORDS, CRASH_OUTAGE, LEAKED_PANIC, STALL, STALL_PING_LEN};
pub use server::{start, RunningOrchestrator, StartError};
pub use service::{ReferenceService, INVALID_AUTH_TOKEN, RESTARTING, SIG_CHECK_FAILED};

use crate::ai_models::AiModel;
use crate::eth::EthKey;

/// The key the embedded orchestrator uses unless given one: fixed so its
/// address (and so its snapshots) are the same on every run. It is derived
/// from a public phrase; it guards nothing and must never hold funds.
pub fn well_known_key() -> EthKey {
    let secret = crate::eth::keccak256(b"lpconform embedded reference orchestrator");
    EthKey::from_hex(&hex::encode(secret)).expect("a keccak digest is a valid secp256k1 key")
}

/// Whether the orchestrator acts as on a blockchain (verifies signatures,
/// signs Ping, issues ticket parameters) or as go-livepeer's `-network offchain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainMode {
    OffChain,
    OnChain,
}

/// How to run the reference orchestrator; field names follow go-livepeer's flags.
#[derive(Debug, Clone)]
pub struct ReferenceConfig {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// TLS with a self-signed certificate; false serves h2c.
    pub tls: bool,
    /// `-serviceURI`; default: the URL actually served.
    pub service_uri: Option<String>,
    /// `-pricePerUnit`, wei per `pixels_per_unit` pixels of transcoding.
    pub price_per_unit: i64,
    /// `-pixelsPerUnit`.
    pub pixels_per_unit: i64,
    pub eth_key: EthKey,
    pub chain: ChainMode,
    /// Advertise transcoding capabilities.
    pub transcoding: bool,
    /// `-aiModels`: AI models to advertise, price and list hardware for.
    pub ai_models: Vec<AiModel>,
    /// Rules to break on purpose (`--fault`); empty for a conformant orchestrator.
    pub faults: Vec<Fault>,
    /// On chain, the gateways with a deposit and reserve (`--fund`): discovery from any other
    /// is refused with `insufficient sender reserve`, as go-livepeer refuses it. `None`: every
    /// gateway is funded.
    pub funded: Option<Vec<crate::eth::Address>>,
    /// Every `-maxSessions` session is in use (`--at-capacity`): go-livepeer then refuses every
    /// discovery with `OrchestratorCapped`, before it looks at `ignoreCapacityCheck`.
    pub at_capacity: bool,
}

impl ReferenceConfig {
    /// An off-chain transcoding orchestrator on a free loopback port.
    pub fn loopback() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: true,
            service_uri: None,
            price_per_unit: 1000,
            pixels_per_unit: 1,
            eth_key: EthKey::random(),
            chain: ChainMode::OffChain,
            transcoding: true,
            ai_models: Vec::new(),
            faults: Vec::new(),
            funded: None,
            at_capacity: false,
        }
    }
}

#[cfg(test)]
mod tests;
