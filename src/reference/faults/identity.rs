//! Faults in the advertised address and the key that proves it (the ADDR and IDENT rules).

use clap::ValueEnum;

use super::{case, Answer, Area, Fault, FaultCase};
use crate::proto::net::OrchestratorInfo;
use crate::reference::Preset::{OffChainTranscoding as OffChain, OnChainTranscoding as OnChain};

/// A way to break the ADDR and IDENT rules; the doc line is the `--fault` help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum IdentityFault {
    /// Advertise a 19-byte address.
    ShortAddress,
    /// Sign Ping with another key.
    PingOtherKey,
    /// Answer Ping with a 64-byte signature.
    PingTruncated,
    /// Answer Ping with an error.
    PingError,
}

/// How selftest proves each fault: where it runs and the rules it must fire.
pub const CASES: &[FaultCase] = &[
    case(Fault::Identity(IdentityFault::ShortAddress), OffChain, &["ADDR-001"]),
    case(Fault::Identity(IdentityFault::PingTruncated), OnChain, &["IDENT-001"]),
    case(Fault::Identity(IdentityFault::PingOtherKey), OnChain, &["IDENT-002"]),
    case(Fault::Identity(IdentityFault::PingError), OffChain, &["IDENT-003"]),
];

impl Area for IdentityFault {
    fn bend(self, info: &mut OrchestratorInfo, _answer: Answer) {
        match self {
            IdentityFault::ShortAddress => info.address.truncate(19),
            // The node reads these as it handles a call.
            IdentityFault::PingOtherKey | IdentityFault::PingTruncated | IdentityFault::PingError => {}
        }
    }
}
