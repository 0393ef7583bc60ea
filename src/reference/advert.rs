//! What the reference orchestrator advertises, as pure functions of its
//! configuration and the asking gateway: capabilities with per-model constraints,
//! prices and GPU hardware, as go-livepeer 0.9 builds them. Per-call values
//! (auth token, ticket parameters) come from `tokens` and `tickets`.

use std::collections::HashMap;

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{ToPrimitive, Zero};

use super::{ChainMode, ReferenceConfig, Transcoder};
use crate::ai_models::AiModel;
use crate::capability::{encode_bitstring, LIVE_VIDEO_TO_VIDEO};
use crate::eth::Address;
use crate::proto::net::capabilities::capability_constraints::ModelConstraint;
use crate::proto::net::capabilities::{CapabilityConstraints, Constraints};
use crate::proto::net::{Capabilities, GpuComputeInfo, HardwareInformation, PriceInfo};

/// go-livepeer's default capabilities, advertised by every orchestrator (AI-only ones too):
/// the H.264/MPEG-TS core, containers, storage, profiles, GOP, auth token, MPEG-7, slicing.
pub const DEFAULT_CAPABILITIES: &[u32] = &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 26];
/// The optional codecs a software transcoder adds: VP8 decode and the H.264 4:4:4/4:2:2/10-bit decodes.
const SOFTWARE_CODECS: &[u32] = &[17, 21, 22, 23, 24, 25];
/// The codecs whose startup test passes on the GPU the reference stands for: HEVC decode and
/// encode, VP9 decode.
const GPU_CODECS: &[u32] = &[15, 16, 18];
/// Optional capabilities go-livepeer has no startup test for, so every transcoder advertises
/// them: the AI pipelines, with no models behind them.
const UNTESTED_AI_CAPABILITIES: &[u32] = &[27, 28, 29, 30, 31, 32, 34, 36];

/// The runner version reported in model constraints.
pub const RUNNER_VERSION: &str = "0.14.1";

/// The version advertised by default: go-livepeer's release the reference follows.
pub const LIVEPEER_VERSION: &str = "0.9.1";

/// The ticket face value over the redemption transaction's cost (go-livepeer's
/// `-txCostMultiplier` default), and so the auto-adjust overhead 1 + 1/100.
pub const TX_COST_MULTIPLIER: u64 = 100;

/// How long `SlowDiscovery` delays every discovery answer: past gateways' 500 ms timeout.
pub const SLOW_DISCOVERY: std::time::Duration = std::time::Duration::from_millis(700);

/// Every capability number advertised, ascending.
pub fn advertised(config: &ReferenceConfig) -> Vec<u32> {
    let mut numbers: Vec<u32> = DEFAULT_CAPABILITIES.to_vec();
    match config.transcoder {
        Transcoder::None => {}
        Transcoder::Software => numbers.extend_from_slice(SOFTWARE_CODECS),
        Transcoder::Gpu => numbers.extend_from_slice(GPU_CODECS),
    }
    if config.transcoder != Transcoder::None {
        numbers.extend_from_slice(UNTESTED_AI_CAPABILITIES);
    }
    numbers.extend(config.ai_models.iter().map(|model| model.capability));
    numbers.sort_unstable();
    numbers.dedup();
    numbers
}

/// The capabilities message: one unit of capacity per capability, each model under its
/// capability with its free slots, mandatories empty, `minVersion` the node's own version.
pub fn capabilities(config: &ReferenceConfig) -> Capabilities {
    let numbers = advertised(config);
    let capacities: HashMap<u32, u32> = numbers.iter().map(|number| (*number, 1)).collect();
    let mut per_capability: HashMap<u32, CapabilityConstraints> = HashMap::new();
    for model in &config.ai_models {
        let models = &mut per_capability.entry(model.capability).or_default().models;
        if models.contains_key(&model.model_id) {
            continue;
        }
        let jobs = config.jobs_on(&model.model_id);
        models.insert(
            model.model_id.clone(),
            ModelConstraint {
                warm: model.warm,
                capacity: free_slots(config, model.capability, &model.model_id),
                runner_version: RUNNER_VERSION.to_string(),
                // Only live-video-to-video counts busy containers apart.
                capacity_in_use: if model.capability == LIVE_VIDEO_TO_VIDEO {
                    jobs
                } else {
                    0
                },
            },
        );
    }
    Capabilities {
        bitstring: encode_bitstring(numbers),
        mandatories: Vec::new(),
        capacities,
        version: config.version.clone(),
        constraints: Some(Constraints {
            min_version: config.version.clone(),
            per_capability,
        }),
    }
}

/// The slots a model advertises: those of every entry that lists it (go-livepeer adds up an
/// entry listed again), less the jobs running on it.
pub fn free_slots(config: &ReferenceConfig, capability: u32, model_id: &str) -> u32 {
    let slots = config
        .ai_models
        .iter()
        .filter(|model| model.capability == capability && model.model_id == model_id)
        .fold(0u32, |slots, model| slots.saturating_add(model.advertised_slots()));
    slots.saturating_sub(config.jobs_on(model_id))
}

/// What one on-chain discovery costs the gateway, as go-livepeer works it out.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    /// `price_info`; `Err` with go-livepeer's text for a summed price no int64 can carry.
    pub price: Result<PriceInfo, String>,
    /// Whether go-livepeer looks up the sender's reserve: with `-autoAdjustPrice` for any base
    /// price above 0 (even one that rounds down to 0), else for the ticket of a price above 0.
    pub needs_reserve: bool,
}

/// The price for one discovery, on chain only (`None` off chain): for a request naming
/// capabilities, the sum of the named (capability, model) prices (the transcoding price when
/// that is zero); otherwise the gateway's transcoding price. With `-autoAdjustPrice` a non-zero
/// price carries the ticket overhead, cut to whole thousandths of a wei as go-livepeer's
/// `PriceToFixed` cuts it (saturating at the int64 range, as its `big.Float.Int64` does).
pub fn quote(config: &ReferenceConfig, gateway: &Address, request: Option<&Capabilities>) -> Option<Quote> {
    if config.chain == ChainMode::OffChain {
        return None;
    }
    let transcoding = transcoding_price(config, gateway);
    let mut base = match request {
        Some(request) => requested_models(request)
            .iter()
            .filter_map(|(capability, model_id)| model_price(config, gateway, *capability, model_id))
            .sum(),
        None => transcoding.clone(),
    };
    if base.is_zero() {
        base = transcoding;
    }
    let positive = base > BigRational::zero();
    let price = if config.auto_adjust_price && positive {
        let overhead = BigRational::new(BigInt::from(TX_COST_MULTIPLIER + 1), BigInt::from(TX_COST_MULTIPLIER));
        let thousandths = (base * overhead * BigInt::from(1000)).to_integer();
        let saturated = thousandths.to_i64().unwrap_or(if thousandths > BigInt::zero() {
            i64::MAX
        } else {
            i64::MIN
        });
        BigRational::new(saturated.into(), 1000.into())
    } else {
        base
    };
    let price = encode_price(&price);
    let needs_reserve = if config.auto_adjust_price {
        positive
    } else {
        price.as_ref().is_ok_and(|price| price.price_per_unit > 0)
    };
    Some(Quote { price, needs_reserve })
}

/// `-pricePerGateway` for this gateway, else `-pricePerUnit`/`-pixelsPerUnit`.
fn transcoding_price(config: &ReferenceConfig, gateway: &Address) -> BigRational {
    let (price_per_unit, pixels_per_unit) = config
        .gateway_prices
        .iter()
        .find(|price| price.gateway == *gateway)
        .map_or((config.price_per_unit, config.pixels_per_unit), |price| {
            (price.price_per_unit, price.pixels_per_unit)
        });
    ratio(price_per_unit, pixels_per_unit)
}

/// The configured prices have positive denominators (the CLI refuses others, as go-livepeer
/// refuses to start); a zero one prices nothing.
fn ratio(numerator: i64, denominator: i64) -> BigRational {
    if denominator == 0 {
        return BigRational::zero();
    }
    BigRational::new(numerator.into(), denominator.into())
}

/// A reduced rational as `PriceInfo`; one too large for int64 as whole wei per pixel
/// (go-livepeer's `PriceToInt64`), or its error when even that does not fit.
fn encode_price(price: &BigRational) -> Result<PriceInfo, String> {
    let (price_per_unit, pixels_per_unit) = match (price.numer().to_i64(), price.denom().to_i64()) {
        (Some(numerator), Some(denominator)) => (numerator, denominator),
        _ => {
            let whole = price.to_integer().to_i64();
            (whole.ok_or_else(|| PRICE_OVERFLOW.to_string())?, 1)
        }
    };
    Ok(PriceInfo {
        price_per_unit,
        pixels_per_unit,
        ..Default::default()
    })
}

/// go-livepeer's error for a price no int64 can carry.
pub const PRICE_OVERFLOW: &str = "price cannot be converted to int64";

/// The (capability, model id) pairs a request names: its capacities that list models under
/// `PerCapability`, as go-livepeer's `priceInfo` reads them.
pub fn requested_models(capabilities: &Capabilities) -> Vec<(u32, String)> {
    let Some(constraints) = capabilities.constraints.as_ref() else {
        return Vec::new();
    };
    capabilities
        .capacities
        .keys()
        .filter_map(|capability| Some((*capability, constraints.per_capability.get(capability)?)))
        .flat_map(|(capability, per_capability)| {
            per_capability
                .models
                .keys()
                .map(move |model_id| (capability, model_id.clone()))
        })
        .collect()
}

/// The models entry pricing (capability, model) for this gateway: its own `gateway` entry,
/// else the one for every gateway.
fn model_entry<'a>(
    config: &'a ReferenceConfig,
    gateway: &Address,
    capability: u32,
    model_id: &str,
) -> Option<&'a AiModel> {
    let entries = || {
        config
            .ai_models
            .iter()
            .filter(move |model| model.capability == capability && model.model_id == model_id)
    };
    let for_this_gateway = |model: &&AiModel| {
        model
            .gateway
            .as_deref()
            .and_then(|text| Address::parse(text).ok())
            .is_some_and(|address| address == *gateway)
    };
    entries()
        .find(for_this_gateway)
        .or_else(|| entries().find(|model| model.gateway.is_none()))
}

/// A model's price per pixel for this gateway; a missing price or pixel count falls back to
/// `-pricePerUnit` / `-pixelsPerUnit`, as in go-livepeer. A currency price has no wei value
/// here (no price feed).
fn model_price(config: &ReferenceConfig, gateway: &Address, capability: u32, model_id: &str) -> Option<BigRational> {
    let model = model_entry(config, gateway, capability, model_id)?;
    let (price_per_unit, pixels_per_unit) = model.price_per_pixel(config.price_per_unit, config.pixels_per_unit)?;
    Some(ratio(price_per_unit, pixels_per_unit))
}

/// On chain, one price per (AI capability, model) this gateway pays, the model id as
/// constraint, truncated to whole wei per pixel (`common.PriceToInt64`) and without the
/// auto-adjust overhead, as go-livepeer lists them.
pub fn capabilities_prices(config: &ReferenceConfig, gateway: &Address) -> Vec<PriceInfo> {
    if config.chain == ChainMode::OffChain {
        return Vec::new();
    }
    let mut seen: Vec<(u32, &str)> = Vec::new();
    let mut prices = Vec::new();
    for model in &config.ai_models {
        let key = (model.capability, model.model_id.as_str());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        // Whole wei per pixel; go-livepeer leaves out a price no int64 can carry.
        let price = model_price(config, gateway, model.capability, &model.model_id);
        if let Some(price_per_unit) = price.and_then(|price| price.to_integer().to_i64()) {
            prices.push(PriceInfo {
                price_per_unit,
                pixels_per_unit: 1,
                capability: model.capability,
                constraint: model.model_id.clone(),
            });
        }
    }
    prices
}

/// One GPU entry per warm model: only running containers report hardware.
pub fn hardware(config: &ReferenceConfig) -> Vec<HardwareInformation> {
    config
        .ai_models
        .iter()
        .filter(|model| model.warm)
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
