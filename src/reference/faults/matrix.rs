//! Faults where capabilities, prices and hardware stop agreeing (the MATRIX rules).

use clap::ValueEnum;

use super::{capabilities, case, first_ai_capability, Answer, Area, Fault, FaultCase};
use crate::capability::{self, encode_bitstring};
use crate::proto::net::{OrchestratorInfo, PriceInfo};
use crate::reference::Preset::{Mixed, OffChainTranscoding as OffChain, OnChainMixed};

/// A way to break the MATRIX rules; the doc line is the `--fault` help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum MatrixFault {
    /// An AI-style price entry on a transcoding capability.
    PriceOnTranscoding,
    /// Drop the first AI model's price.
    AiModelWithoutPrice,
    /// Drop all hardware entries.
    AiWithoutHardware,
    /// Advertise codecs without the H.264/MPEG-TS core.
    CodecWithoutCore,
    /// An AI price for a whole pipeline, without a model.
    AiPriceWithoutModel,
}

/// How selftest proves each fault: where it runs and the rules it must fire.
pub const CASES: &[FaultCase] = &[
    case(
        Fault::Matrix(MatrixFault::PriceOnTranscoding),
        OffChain,
        &["MATRIX-002"],
    ),
    case(
        Fault::Matrix(MatrixFault::AiModelWithoutPrice),
        OnChainMixed,
        &["MATRIX-003"],
    ),
    case(Fault::Matrix(MatrixFault::AiWithoutHardware), Mixed, &["MATRIX-004"]),
    case(Fault::Matrix(MatrixFault::CodecWithoutCore), OffChain, &["MATRIX-005"]),
    case(
        Fault::Matrix(MatrixFault::AiPriceWithoutModel),
        OnChainMixed,
        &["MATRIX-006"],
    ),
];

impl Area for MatrixFault {
    fn bend(self, info: &mut OrchestratorInfo, _answer: Answer) {
        let first_ai = first_ai_capability(info);
        match self {
            MatrixFault::PriceOnTranscoding => info.capabilities_prices.push(PriceInfo {
                price_per_unit: 1,
                pixels_per_unit: 1,
                capability: capability::H264,
                constraint: String::new(),
            }),
            MatrixFault::AiModelWithoutPrice => {
                if !info.capabilities_prices.is_empty() {
                    info.capabilities_prices.remove(0);
                }
            }
            MatrixFault::AiWithoutHardware => info.hardware.clear(),
            MatrixFault::CodecWithoutCore => capabilities(info, |capabilities| {
                let core = [capability::H264, capability::MPEGTS];
                let numbers = capability::decode_bitstring(&capabilities.bitstring);
                capabilities.bitstring = encode_bitstring(numbers.into_iter().filter(|number| !core.contains(number)));
                capabilities.capacities.retain(|number, _| !core.contains(number));
            }),
            MatrixFault::AiPriceWithoutModel => info.capabilities_prices.push(PriceInfo {
                price_per_unit: 1,
                pixels_per_unit: 1,
                capability: first_ai.unwrap_or_default(),
                constraint: String::new(),
            }),
        }
    }
}
