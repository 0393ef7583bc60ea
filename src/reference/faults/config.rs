//! Faults where the answer disagrees with the operator's configuration (the CFG rules).

use clap::ValueEnum;

use super::{declared, flags, models, transcoding_price, Answer, Area, Fault, FaultCase};
use crate::proto::net::OrchestratorInfo;
use crate::reference::Preset::{Mixed, OffChainTranscoding as OffChain, OnChainMixed, OnChainTranscoding as OnChain};

/// A way to break the CFG rules; the doc line is the `--fault` help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum ConfigFault {
    /// Advertise another account's address.
    WrongAddress,
    /// Transcoding price half the configured one.
    WrongPrice,
    /// First AI price twice the models file's.
    WrongModelPrice,
    /// Transcoding price half as much again as configured: more than the auto-adjust overhead.
    OverAdjustedPrice,
    /// Advertise the warm models as cold.
    ColdWarmModels,
}

/// How selftest proves each fault: where it runs and the rules it must fire.
pub const CASES: &[FaultCase] = &[
    declared(Fault::Config(ConfigFault::WrongPrice), OnChain, &["CFG-002"]),
    // Off chain go-livepeer advertises the zero address, which an operator may declare.
    flags(
        Fault::Config(ConfigFault::WrongAddress),
        OffChain,
        &["ethAcctAddr=0x0000000000000000000000000000000000000000"],
        &["CFG-003"],
    ),
    // The advertised entry no longer agrees with the price answered for the model: PRICE-009 too.
    declared(
        Fault::Config(ConfigFault::WrongModelPrice),
        OnChainMixed,
        &["CFG-004", "PRICE-009"],
    ),
    declared(Fault::Config(ConfigFault::ColdWarmModels), Mixed, &["CFG-005"]),
    flags(
        Fault::Config(ConfigFault::OverAdjustedPrice),
        OnChain,
        &["pricePerUnit=1000"],
        &["CFG-007"],
    ),
];

impl Area for ConfigFault {
    fn bend(self, info: &mut OrchestratorInfo, answer: Answer) {
        match self {
            ConfigFault::WrongAddress => info.address = vec![0x11; 20],
            ConfigFault::WrongPrice => transcoding_price(info, answer).for_each(|price| price.price_per_unit /= 2),
            ConfigFault::WrongModelPrice => info
                .capabilities_prices
                .iter_mut()
                .take(1)
                .for_each(|price| price.price_per_unit = price.price_per_unit.saturating_mul(2)),
            ConfigFault::OverAdjustedPrice => transcoding_price(info, answer).for_each(|price| {
                price.price_per_unit = price.price_per_unit.saturating_mul(3);
                price.pixels_per_unit = price.pixels_per_unit.saturating_mul(2);
            }),
            ConfigFault::ColdWarmModels => models(info, |model| model.warm = false),
        }
    }
}
