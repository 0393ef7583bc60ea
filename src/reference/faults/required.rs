//! Faults in the fields go-livepeer always sends (the REQ rules).

use clap::ValueEnum;

use super::{case, Answer, Area, Fault, FaultCase};
use crate::proto::net::OrchestratorInfo;
use crate::reference::Preset::{OffChainTranscoding as OffChain, OnChainTranscoding as OnChain};

/// A way to break the REQ rules; the doc line is the `--fault` help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum RequiredFault {
    /// Advertise an empty transcoder URI.
    NoTranscoder,
    /// Leave out the ETH address.
    NoAddress,
    /// Leave out price_info.
    NoPriceInfo,
    /// Leave out capabilities.
    NoCapabilities,
    /// Leave out ticket_params (on chain).
    NoTicketParams,
    /// Leave out the auth token.
    NoAuthToken,
}

/// How selftest proves each fault: where it runs and the rules it must fire.
pub const CASES: &[FaultCase] = &[
    case(Fault::Required(RequiredFault::NoTranscoder), OffChain, &["REQ-001"]),
    case(Fault::Required(RequiredFault::NoAddress), OffChain, &["REQ-002"]),
    case(
        Fault::Required(RequiredFault::NoPriceInfo),
        OnChain,
        &["REQ-003", "MATRIX-001"],
    ),
    case(Fault::Required(RequiredFault::NoCapabilities), OffChain, &["REQ-004"]),
    case(Fault::Required(RequiredFault::NoTicketParams), OnChain, &["REQ-005"]),
    case(Fault::Required(RequiredFault::NoAuthToken), OffChain, &["REQ-006"]),
];

impl Area for RequiredFault {
    fn bend(self, info: &mut OrchestratorInfo, _answer: Answer) {
        match self {
            RequiredFault::NoTranscoder => info.transcoder.clear(),
            RequiredFault::NoAddress => info.address.clear(),
            RequiredFault::NoPriceInfo => info.price_info = None,
            RequiredFault::NoCapabilities => info.capabilities = None,
            RequiredFault::NoTicketParams => info.ticket_params = None,
            RequiredFault::NoAuthToken => info.auth_token = None,
        }
    }
}
