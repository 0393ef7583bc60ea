//! What the reference orchestrator advertises, as pure functions of its
//! configuration: capabilities with per-model constraints, transcoding and
//! per-model prices, and GPU hardware. Per-call values (auth token, ticket
//! parameters) come from `payment`.

use std::collections::HashMap;

use num_rational::BigRational;
use num_traits::{ToPrimitive, Zero};

use super::ReferenceConfig;
use crate::ai_models::{AiModel, PriceSource};
use crate::capability::encode_bitstring;
use crate::proto::net::capabilities::capability_constraints::ModelConstraint;
use crate::proto::net::capabilities::{CapabilityConstraints, Constraints};
use crate::proto::net::{Capabilities, GpuComputeInfo, HardwareInformation, PriceInfo};

/// The transcoding capabilities a GPU transcoder typically offers: the
/// H.264/MPEG-TS core, containers, storage, profiles, GOP, auth token,
/// MPEG-7 signatures, HEVC, VP8/VP9 decode and segment slicing.
pub const TRANSCODING_CAPABILITIES: &[u32] = &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 26];

/// Concurrent transcoding sessions advertised per transcoding capability.
pub const TRANSCODING_CAPACITY: u32 = 10;

/// The runner version reported in model constraints.
pub const RUNNER_VERSION: &str = "0.14.1";

/// The version advertised: go-livepeer's release the reference follows, so gateways with
/// `-orchMinLivepeerVersion` treat it as they would that release.
pub const LIVEPEER_VERSION: &str = "0.9.1";

/// How long `SlowDiscovery` delays every discovery answer: past gateways' 500 ms timeout.
pub const SLOW_DISCOVERY: std::time::Duration = std::time::Duration::from_millis(700);

/// Every capability number advertised, ascending.
pub fn advertised(config: &ReferenceConfig) -> Vec<u32> {
    let mut numbers: Vec<u32> = Vec::new();
    if config.transcoding {
        numbers.extend_from_slice(TRANSCODING_CAPABILITIES);
    }
    numbers.extend(config.ai_models.iter().map(|model| model.capability));
    numbers.sort_unstable();
    numbers.dedup();
    numbers
}

pub fn capabilities(config: &ReferenceConfig) -> Capabilities {
    let numbers = advertised(config);
    let mut capacities: HashMap<u32, u32> = HashMap::new();
    let mut per_capability: HashMap<u32, CapabilityConstraints> = HashMap::new();
    if config.transcoding {
        for number in TRANSCODING_CAPABILITIES {
            capacities.insert(*number, TRANSCODING_CAPACITY);
        }
    }
    for model in &config.ai_models {
        *capacities.entry(model.capability).or_default() += model.capacity;
        per_capability.entry(model.capability).or_default().models.insert(
            model.model_id.clone(),
            ModelConstraint {
                warm: model.warm,
                capacity: model.capacity,
                runner_version: RUNNER_VERSION.to_string(),
                capacity_in_use: 0,
            },
        );
    }
    Capabilities {
        bitstring: encode_bitstring(numbers),
        mandatories: Vec::new(),
        capacities,
        version: LIVEPEER_VERSION.to_string(),
        constraints: Some(Constraints {
            min_version: String::new(),
            per_capability,
        }),
    }
}

/// The transcoding price, per pixel as `pricePerUnit / pixelsPerUnit`.
pub fn price_info(config: &ReferenceConfig) -> PriceInfo {
    PriceInfo {
        price_per_unit: config.price_per_unit,
        pixels_per_unit: config.pixels_per_unit,
        ..Default::default()
    }
}

/// One price per (AI capability, model), the model id as constraint, truncated to whole wei
/// per pixel as go-livepeer advertises them (`common.PriceToInt64`).
pub fn capabilities_prices(config: &ReferenceConfig) -> Vec<PriceInfo> {
    config
        .ai_models
        .iter()
        .map(|model| {
            let (price_per_unit, pixels_per_unit) = model_price(config, model);
            PriceInfo {
                price_per_unit: price_per_unit / pixels_per_unit,
                pixels_per_unit: 1,
                capability: model.capability,
                constraint: model.model_id.clone(),
            }
        })
        .collect()
}

/// A model's configured price; one without a price falls back to `-pricePerUnit`, as in go-livepeer.
fn model_price(config: &ReferenceConfig, model: &AiModel) -> (i64, i64) {
    match model.price_source {
        PriceSource::Default => (config.price_per_unit, config.pixels_per_unit),
        _ => (model.price_per_unit, model.pixels_per_unit),
    }
}

/// The price for a request naming `models` (capability, model id): the sum of their prices,
/// exact and reduced; the transcoding price when none of them is priced or they sum to 0, as
/// go-livepeer's `priceInfo` answers.
pub fn price_for_models(config: &ReferenceConfig, models: &[(u32, String)]) -> PriceInfo {
    let sum: BigRational = models
        .iter()
        .filter_map(|(capability, model_id)| {
            config
                .ai_models
                .iter()
                .find(|model| model.capability == *capability && &model.model_id == model_id)
        })
        .map(|model| {
            let (price_per_unit, pixels_per_unit) = model_price(config, model);
            BigRational::new(price_per_unit.into(), pixels_per_unit.max(1).into())
        })
        .sum();
    if sum.is_zero() {
        return price_info(config);
    }
    let (price_per_unit, pixels_per_unit) = match (sum.numer().to_i64(), sum.denom().to_i64()) {
        (Some(numerator), Some(denominator)) => (numerator, denominator),
        // Too large a fraction for int64: whole wei per pixel, as go-livepeer's PriceToInt64.
        _ => (sum.to_integer().to_i64().unwrap_or(i64::MAX), 1),
    };
    PriceInfo {
        price_per_unit,
        pixels_per_unit,
        ..Default::default()
    }
}

/// One GPU entry per served model, as an AI worker reports it.
pub fn hardware(config: &ReferenceConfig) -> Vec<HardwareInformation> {
    config
        .ai_models
        .iter()
        .enumerate()
        .map(|(index, model)| gpu_for(index, model))
        .collect()
}

fn gpu_for(index: usize, model: &AiModel) -> HardwareInformation {
    const GIB: i64 = 1 << 30;
    let gpu = GpuComputeInfo {
        id: format!("GPU-lpconform-{index}"),
        name: "NVIDIA GeForce RTX 4090".to_string(),
        major: 8,
        minor: 9,
        memory_free: 18 * GIB,
        memory_total: 24 * GIB,
    };
    HardwareInformation {
        pipeline: model.pipeline.clone(),
        model_id: model.model_id.clone(),
        gpu_info: HashMap::from([(index.to_string(), gpu)]),
    }
}
