//! Faults in the prices an answer carries (the PRICE rules).

use clap::ValueEnum;

use super::{case, first_ai_capability, flags, unadvertised_ai_capability, Answer, Area, Fault, FaultCase};
use crate::proto::net::{OrchestratorInfo, PriceInfo};
use crate::reference::Preset::{Mixed, OnChainMixed, OnChainTranscoding as OnChain};

/// A way to break the PRICE rules; the doc line is the `--fault` help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum PriceFault {
    /// Transcoding price with pixelsPerUnit 0.
    ZeroPixelsPerUnit,
    /// Transcoding price of -1 wei.
    NegativePrice,
    /// Transcoding price a thousand times the configured one.
    Expensive,
    /// First AI price with pixelsPerUnit 0.
    AiZeroPixels,
    /// An AI price for a capability that is not advertised.
    PriceForUnadvertised,
    /// An AI price for a model that is not listed.
    PriceForUnlistedModel,
    /// The first AI price twice.
    DuplicatePrice,
    /// Answer a request naming models with the transcoding price instead of theirs.
    TranscodingPriceForModels,
}

/// How selftest proves each fault: where it runs and the rules it must fire.
pub const CASES: &[FaultCase] = &[
    case(
        Fault::Price(PriceFault::ZeroPixelsPerUnit),
        OnChain,
        &["PRICE-001", "MATRIX-001"],
    ),
    case(Fault::Price(PriceFault::NegativePrice), OnChain, &["PRICE-002"]),
    case(Fault::Price(PriceFault::AiZeroPixels), OnChainMixed, &["PRICE-003"]),
    case(Fault::Price(PriceFault::PriceForUnadvertised), Mixed, &["PRICE-004"]),
    case(Fault::Price(PriceFault::PriceForUnlistedModel), Mixed, &["PRICE-005"]),
    case(Fault::Price(PriceFault::DuplicatePrice), OnChainMixed, &["PRICE-006"]),
    flags(
        Fault::Price(PriceFault::Expensive),
        OnChain,
        &["maxPricePerUnit=1000"],
        &["PRICE-008"],
    ),
    case(
        Fault::Price(PriceFault::TranscodingPriceForModels),
        OnChainMixed,
        &["PRICE-009"],
    ),
];

impl Area for PriceFault {
    fn bend(self, info: &mut OrchestratorInfo, _answer: Answer) {
        let first_ai = first_ai_capability(info);
        match self {
            PriceFault::ZeroPixelsPerUnit => info.price_info.iter_mut().for_each(|price| price.pixels_per_unit = 0),
            PriceFault::NegativePrice => info.price_info.iter_mut().for_each(|price| price.price_per_unit = -1),
            PriceFault::Expensive => info
                .price_info
                .iter_mut()
                .for_each(|price| price.price_per_unit *= 1000),
            PriceFault::AiZeroPixels => info
                .capabilities_prices
                .iter_mut()
                .take(1)
                .for_each(|price| price.pixels_per_unit = 0),
            PriceFault::PriceForUnadvertised => info.capabilities_prices.push(PriceInfo {
                price_per_unit: 1,
                pixels_per_unit: 1,
                capability: unadvertised_ai_capability(info),
                constraint: String::new(),
            }),
            PriceFault::PriceForUnlistedModel => info.capabilities_prices.push(PriceInfo {
                price_per_unit: 1,
                pixels_per_unit: 1,
                capability: first_ai.unwrap_or_default(),
                constraint: "lpconform/unlisted-model".into(),
            }),
            PriceFault::DuplicatePrice => {
                let first = info.capabilities_prices.first().cloned();
                info.capabilities_prices.extend(first);
            }
            // The node reads these as it handles a call.
            PriceFault::TranscodingPriceForModels => {}
        }
    }
}
