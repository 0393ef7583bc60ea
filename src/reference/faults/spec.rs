//! Faults in the answer's wire format against lp_rpc.proto (the SPEC rules).

use clap::ValueEnum;

use super::{case, Area, Fault, FaultCase};
use crate::reference::Preset::OffChainTranscoding as OffChain;

/// A way to break the SPEC rules; the doc line is the `--fault` help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum SpecFault {
    /// Add field 35, which lp_rpc.proto does not define, to every discovery answer.
    UnknownFieldOnWire,
}

/// How selftest proves each fault: where it runs and the rules it must fire.
pub const CASES: &[FaultCase] = &[case(
    Fault::Spec(SpecFault::UnknownFieldOnWire),
    OffChain,
    &["SPEC-003"],
)];

/// None bends an answer: the gRPC routes (`service::grpc_routes`) append `UnknownFieldOnWire`'s
/// field to the answer's bytes on the wire.
impl Area for SpecFault {}
