//! Faults in the advertised capabilities, models and versions (the CAP rules).

use std::collections::HashMap;

use clap::ValueEnum;

use super::{
    capabilities, case, first_ai_capability, flags, models, unadvertised_ai_capability, Answer, Area, Fault, FaultCase,
};
use crate::capability::{self, encode_bitstring};
use crate::proto::net::capabilities::capability_constraints::ModelConstraint;
use crate::proto::net::capabilities::CapabilityConstraints;
use crate::proto::net::OrchestratorInfo;
use crate::reference::Preset::{Mixed, OffChainTranscoding as OffChain};

/// A way to break the CAP rules; the doc line is the `--fault` help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum CapabilityFault {
    /// Clear the capability bitstring (and everything keyed by it).
    EmptyBitstring,
    /// Set capability bit 200, which no capability has.
    UnknownCapabilityBits,
    /// Mandatories naming a capability that is not advertised.
    MandatoriesNotAdvertised,
    /// A capacity for a capability that is not advertised.
    CapacityForUnadvertised,
    /// Model constraints for a capability that is not advertised.
    ConstraintsForUnadvertised,
    /// A capabilities version that is not semver.
    BadVersion,
    /// Report version 0.8.0.
    OldVersion,
    /// Report AI runner version 0.1.0 for every model.
    OldRunnerVersion,
    /// Mark H.264 (advertised) as a mandatory capability.
    MandatoryCapability,
    /// An AI capability advertised with an empty model list (its prices and hardware removed too).
    AiCapabilityWithoutModels,
    /// A model whose capacity underflowed (2^32 - 1 free slots).
    UnderflowedCapacity,
}

/// How selftest proves each fault: where it runs and the rules it must fire.
pub const CASES: &[FaultCase] = &[
    case(
        Fault::Capabilities(CapabilityFault::EmptyBitstring),
        OffChain,
        &["CAP-001"],
    ),
    case(
        Fault::Capabilities(CapabilityFault::UnknownCapabilityBits),
        OffChain,
        &["CAP-002"],
    ),
    case(
        Fault::Capabilities(CapabilityFault::MandatoriesNotAdvertised),
        OffChain,
        &["CAP-003"],
    ),
    case(
        Fault::Capabilities(CapabilityFault::CapacityForUnadvertised),
        OffChain,
        &["CAP-004"],
    ),
    case(
        Fault::Capabilities(CapabilityFault::ConstraintsForUnadvertised),
        Mixed,
        &["CAP-005"],
    ),
    case(Fault::Capabilities(CapabilityFault::BadVersion), OffChain, &["CAP-006"]),
    case(
        Fault::Capabilities(CapabilityFault::AiCapabilityWithoutModels),
        Mixed,
        &["CAP-007"],
    ),
    case(
        Fault::Capabilities(CapabilityFault::UnderflowedCapacity),
        Mixed,
        &["CAP-008"],
    ),
    flags(
        Fault::Capabilities(CapabilityFault::OldVersion),
        OffChain,
        &["orchMinLivepeerVersion=0.9.0"],
        &["CAP-009"],
    ),
    flags(
        Fault::Capabilities(CapabilityFault::OldRunnerVersion),
        Mixed,
        &["aiMinRunnerVersion=0.14.0"],
        &["CAP-010"],
    ),
    case(
        Fault::Capabilities(CapabilityFault::MandatoryCapability),
        OffChain,
        &["CAP-011"],
    ),
];

impl Area for CapabilityFault {
    fn bend(self, info: &mut OrchestratorInfo, _answer: Answer) {
        let first_ai = first_ai_capability(info);
        match self {
            CapabilityFault::EmptyBitstring => {
                if let Some(capabilities) = info.capabilities.as_mut() {
                    capabilities.bitstring.clear();
                    capabilities.capacities.clear();
                    capabilities.constraints = None;
                }
                info.capabilities_prices.clear();
                info.hardware.clear();
            }
            CapabilityFault::UnknownCapabilityBits => capabilities(info, |capabilities| {
                let mut numbers = capability::decode_bitstring(&capabilities.bitstring);
                numbers.push(200);
                capabilities.bitstring = encode_bitstring(numbers);
            }),
            CapabilityFault::MandatoriesNotAdvertised => {
                let missing = unadvertised_ai_capability(info);
                capabilities(info, |capabilities| {
                    capabilities.mandatories = encode_bitstring([missing])
                });
            }
            CapabilityFault::CapacityForUnadvertised => {
                let missing = unadvertised_ai_capability(info);
                capabilities(info, |capabilities| {
                    capabilities.capacities.insert(missing, 1);
                });
            }
            CapabilityFault::ConstraintsForUnadvertised => {
                let missing = unadvertised_ai_capability(info);
                capabilities(info, |capabilities| {
                    let models = HashMap::from([("lpconform/unadvertised".to_string(), ModelConstraint::default())]);
                    let constraints = capabilities.constraints.get_or_insert_with(Default::default);
                    constraints
                        .per_capability
                        .insert(missing, CapabilityConstraints { models });
                });
            }
            CapabilityFault::BadVersion => capabilities(info, |capabilities| capabilities.version = "latest".into()),
            CapabilityFault::OldVersion => capabilities(info, |capabilities| capabilities.version = "0.8.0".into()),
            CapabilityFault::OldRunnerVersion => models(info, |model| model.runner_version = "0.1.0".into()),
            CapabilityFault::MandatoryCapability => capabilities(info, |capabilities| {
                capabilities.mandatories = encode_bitstring([capability::H264])
            }),
            CapabilityFault::AiCapabilityWithoutModels => {
                let Some(number) = first_ai else { return };
                let pipeline = capability::lookup(number)
                    .and_then(|known| known.pipeline())
                    .unwrap_or_default();
                capabilities(info, |capabilities| {
                    if let Some(constraints) = capabilities.constraints.as_mut() {
                        constraints
                            .per_capability
                            .insert(number, CapabilityConstraints::default());
                    }
                });
                info.capabilities_prices.retain(|price| price.capability != number);
                info.hardware.retain(|hardware| hardware.pipeline != pipeline);
            }
            CapabilityFault::UnderflowedCapacity => capabilities(info, |capabilities| {
                // The lowest capability's first model by name, not hash order: the same answer every run.
                let lowest = capabilities
                    .constraints
                    .iter_mut()
                    .flat_map(|c| c.per_capability.iter_mut())
                    .min_by_key(|(number, _)| **number);
                let first = lowest.and_then(|(_, c)| c.models.iter_mut().min_by(|(a, _), (b, _)| a.cmp(b)));
                if let Some((_, model)) = first {
                    model.capacity = u32::MAX;
                }
            }),
        }
    }
}
