//! Fault injection: each fault makes the reference orchestrator break one
//! catalog rule, so every check can be shown to fire (`lpconform selftest`).
//! Faults either corrupt the OrchestratorInfo it answers with or change how
//! it handles a call.

use std::collections::HashMap;

use clap::ValueEnum;

use crate::capability::{self, encode_bitstring};
use crate::proto::net::capabilities::capability_constraints::ModelConstraint;
use crate::proto::net::capabilities::CapabilityConstraints;
use crate::proto::net::{os_info::StorageType, HardwareInformation, OrchestratorInfo, OsInfo, PriceInfo};

/// A way to break the orchestrator; the doc line is the `--fault` help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum Fault {
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
    /// Advertise a transcoder URI without scheme or port.
    BadServiceUri,
    /// Advertise a well-formed transcoder URI of another host.
    WrongServiceUri,
    /// List a node that is not a URL.
    BadNodeUri,
    /// List the orchestrator's own service URI as a node.
    SelfAsNode,
    /// Advertise a 19-byte address.
    ShortAddress,
    /// Advertise another account's address.
    WrongAddress,
    /// Transcoding price with pixelsPerUnit 0.
    ZeroPixelsPerUnit,
    /// Transcoding price of -1 wei.
    NegativePrice,
    /// Transcoding price half the configured one.
    WrongPrice,
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
    /// First AI price twice the models file's.
    WrongModelPrice,
    /// Answer a request naming models with the transcoding price instead of theirs.
    TranscodingPriceForModels,
    /// Transcoding price half as much again as configured: more than the auto-adjust overhead.
    OverAdjustedPrice,
    /// Ticket recipient other than the address.
    RecipientNotAddress,
    /// Ticket face value 0.
    ZeroFaceValue,
    /// Ticket win probability 0.
    ZeroWinProb,
    /// 31-byte recipient_rand_hash.
    ShortRandHash,
    /// Empty ticket seed.
    NoSeed,
    /// Ticket expiration block 0.
    ZeroExpirationBlock,
    /// Ticket without expiration params.
    NoExpirationParams,
    /// Tickets that expire at block 1, long past.
    StaleExpirationBlock,
    /// The same ticket seed and recipient rand hash in every answer.
    ReusedTicketRand,
    /// Face value of 1 ETH: ticket EV above go-livepeer's default maximum.
    HighTicketEv,
    /// Auth token with an empty session id.
    EmptySessionId,
    /// Auth token that expired a minute ago.
    ExpiredAuthToken,
    /// Auth tokens that expire a minute after they are issued.
    ShortLivedToken,
    /// The same session id and token in every answer.
    ReusedSession,
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
    /// Advertise the warm models as cold.
    ColdWarmModels,
    /// An AI capability advertised with an empty model list (its prices and hardware removed too).
    AiCapabilityWithoutModels,
    /// A model whose capacity underflowed (2^32 - 1 free slots).
    UnderflowedCapacity,
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
    /// A hardware entry for an unknown pipeline.
    HardwareUnknownPipeline,
    /// A GPU with more memory free than in total.
    GpuMemoryOverTotal,
    /// S3 storage without s3info.
    S3WithoutInfo,
    /// Accept well-formed GetOrchestrator requests whatever their signature (on chain).
    AcceptBadSignatures,
    /// Accept signed requests whose address is not 20 bytes (on chain).
    AcceptMalformedAddress,
    /// Sign Ping with another key.
    PingOtherKey,
    /// Answer Ping with a 64-byte signature.
    PingTruncated,
    /// Answer Ping with an error.
    PingError,
    /// Answer Ping only after 30 s.
    StallPing,
    /// Answer every GetOrchestrator only after 700 ms, past gateways' 500 ms discovery timeout.
    SlowDiscovery,
    /// Refuse requests with ignoreCapacityCheck as `OrchestratorCapped`.
    CappedIgnoresFlag,
    /// Answer GetOrchestrator with bytes that do not decode.
    GarbledResponse,
    /// Add field 35, which lp_rpc.proto does not define, to every discovery answer.
    UnknownFieldOnWire,
    /// Put a panic message and source path in error messages.
    LeakInternals,
    /// End sessions for tokens it never issued.
    AcceptForgedToken,
    /// Refuse to end sessions for tokens it issued.
    RejectIssuedToken,
    /// Stop serving for a while after a GetOrchestrator whose capability bitstring has over 64 words.
    CrashOnHugeBitstring,
    /// Answer a Ping whose value is exactly 33 bytes only after 30 s.
    StallOnPingLength,
    /// Leak a panic message when asked to end a session with a token shorter than 32 bytes.
    PanicOnTruncatedToken,
    /// Die on an EndTranscodingSession without auth_token, as go-livepeer 0.9 does (`serve`
    /// exits; the embedded orchestrator drops every connection and restarts).
    CrashOnMissingToken,
}

impl Fault {
    /// The `--fault` spelling.
    pub fn name(self) -> String {
        self.to_possible_value()
            .map(|value| value.get_name().to_string())
            .unwrap_or_default()
    }

    /// What the fault does, as `--help` shows it.
    pub fn description(self) -> String {
        self.to_possible_value()
            .and_then(|value| value.get_help().map(ToString::to_string))
            .unwrap_or_default()
    }
}

/// How long `StallPing` holds its answer: longer than any sensible deadline.
pub const STALL: std::time::Duration = std::time::Duration::from_secs(30);

/// `CrashOnHugeBitstring` goes down on a request bitstring longer than this many words.
pub const CRASH_BITSTRING_WORDS: usize = 64;
/// How long `CrashOnHugeBitstring` stays down: as long as a crashed process takes to restart.
pub const CRASH_OUTAGE: std::time::Duration = std::time::Duration::from_secs(2);
/// `StallOnPingLength` stalls on Ping values of exactly this many bytes.
pub const STALL_PING_LEN: usize = 33;

/// An error message that betrays internals, for `LeakInternals`.
pub const LEAKED_PANIC: &str =
    "thread 'tokio-runtime-worker' panicked at src/reference/service.rs:42:9: called `Option::unwrap()` on a `None` value";

/// The length of the tokens the orchestrator issues (HMAC-SHA256); `PanicOnTruncatedToken`
/// panics on shorter, non-empty ones.
pub const ISSUED_TOKEN_LEN: usize = 32;

/// What `PanicOnTruncatedToken` answers for a token of `len` bytes: the text of a slice panic.
pub fn truncated_token_panic(len: usize) -> String {
    format!(
        "thread 'tokio-runtime-worker' panicked at src/reference/payment.rs:47:21: \
         range end index {ISSUED_TOKEN_LEN} out of range for slice of length {len}"
    )
}

/// The answer a fault bends: when it was made, and whether its price is the transcoding price
/// (the request named no capabilities) or the sum of named models' prices.
#[derive(Debug, Clone, Copy)]
pub struct Answer {
    pub now: i64,
    pub transcoding_price: bool,
}

/// Applies every information-corrupting fault to one answer. Faults that
/// change call handling are read by the service instead.
pub fn corrupt(info: &mut OrchestratorInfo, faults: &[Fault], answer: Answer) {
    for fault in faults {
        corrupt_one(info, *fault, answer);
    }
}

fn corrupt_one(info: &mut OrchestratorInfo, fault: Fault, answer: Answer) {
    let now = answer.now;
    let first_ai = first_ai_capability(info);
    match fault {
        Fault::NoTranscoder => info.transcoder.clear(),
        Fault::NoAddress => info.address.clear(),
        Fault::NoPriceInfo => info.price_info = None,
        Fault::NoCapabilities => info.capabilities = None,
        Fault::NoTicketParams => info.ticket_params = None,
        Fault::NoAuthToken => info.auth_token = None,
        Fault::BadServiceUri => info.transcoder = "orchestrator.example".into(),
        Fault::WrongServiceUri => info.transcoder = "https://elsewhere.example:8935".into(),
        Fault::BadNodeUri => info.nodes.push("node one".into()),
        Fault::SelfAsNode => info.nodes.push(info.transcoder.clone()),
        Fault::ShortAddress => info.address.truncate(19),
        Fault::WrongAddress => info.address = vec![0x11; 20],
        Fault::ZeroPixelsPerUnit => info.price_info.iter_mut().for_each(|price| price.pixels_per_unit = 0),
        Fault::NegativePrice => info.price_info.iter_mut().for_each(|price| price.price_per_unit = -1),
        Fault::WrongPrice => transcoding_price(info, answer).for_each(|price| price.price_per_unit /= 2),
        Fault::OverAdjustedPrice => transcoding_price(info, answer).for_each(|price| {
            price.price_per_unit = price.price_per_unit.saturating_mul(3);
            price.pixels_per_unit = price.pixels_per_unit.saturating_mul(2);
        }),
        Fault::Expensive => info
            .price_info
            .iter_mut()
            .for_each(|price| price.price_per_unit *= 1000),
        Fault::AiZeroPixels => info
            .capabilities_prices
            .iter_mut()
            .take(1)
            .for_each(|price| price.pixels_per_unit = 0),
        Fault::PriceForUnadvertised => info.capabilities_prices.push(PriceInfo {
            price_per_unit: 1,
            pixels_per_unit: 1,
            capability: unadvertised_ai_capability(info),
            constraint: String::new(),
        }),
        Fault::PriceForUnlistedModel => info.capabilities_prices.push(PriceInfo {
            price_per_unit: 1,
            pixels_per_unit: 1,
            capability: first_ai.unwrap_or_default(),
            constraint: "lpconform/unlisted-model".into(),
        }),
        Fault::DuplicatePrice => {
            let first = info.capabilities_prices.first().cloned();
            info.capabilities_prices.extend(first);
        }
        Fault::WrongModelPrice => info
            .capabilities_prices
            .iter_mut()
            .take(1)
            .for_each(|price| price.price_per_unit = price.price_per_unit.saturating_mul(2)),
        Fault::RecipientNotAddress => tickets(info, |ticket| ticket.recipient = vec![0x22; 20]),
        Fault::ZeroFaceValue => tickets(info, |ticket| ticket.face_value = vec![0]),
        Fault::ZeroWinProb => tickets(info, |ticket| ticket.win_prob = vec![0]),
        Fault::ShortRandHash => tickets(info, |ticket| ticket.recipient_rand_hash.truncate(31)),
        Fault::NoSeed => tickets(info, |ticket| ticket.seed.clear()),
        Fault::ZeroExpirationBlock => tickets(info, |ticket| ticket.expiration_block = vec![0]),
        Fault::NoExpirationParams => tickets(info, |ticket| ticket.expiration_params = None),
        Fault::StaleExpirationBlock => tickets(info, |ticket| ticket.expiration_block = vec![1]),
        Fault::ReusedTicketRand => tickets(info, |ticket| {
            ticket.seed = vec![0x5e; 32];
            ticket.recipient_rand_hash = crate::eth::keccak256(b"lpconform reused rand").to_vec();
        }),
        Fault::HighTicketEv => tickets(info, |ticket| {
            ticket.face_value = 1_000_000_000_000_000_000u64.to_be_bytes().to_vec();
        }),
        Fault::EmptySessionId => info.auth_token.iter_mut().for_each(|token| token.session_id.clear()),
        Fault::ExpiredAuthToken => info.auth_token.iter_mut().for_each(|token| token.expiration = now - 60),
        Fault::EmptyBitstring => {
            if let Some(capabilities) = info.capabilities.as_mut() {
                capabilities.bitstring.clear();
                capabilities.capacities.clear();
                capabilities.constraints = None;
            }
            info.capabilities_prices.clear();
            info.hardware.clear();
        }
        Fault::UnknownCapabilityBits => capabilities(info, |capabilities| {
            let mut numbers = capability::decode_bitstring(&capabilities.bitstring);
            numbers.push(200);
            capabilities.bitstring = encode_bitstring(numbers);
        }),
        Fault::MandatoriesNotAdvertised => {
            let missing = unadvertised_ai_capability(info);
            capabilities(info, |capabilities| {
                capabilities.mandatories = encode_bitstring([missing])
            });
        }
        Fault::CapacityForUnadvertised => {
            let missing = unadvertised_ai_capability(info);
            capabilities(info, |capabilities| {
                capabilities.capacities.insert(missing, 1);
            });
        }
        Fault::ConstraintsForUnadvertised => {
            let missing = unadvertised_ai_capability(info);
            capabilities(info, |capabilities| {
                let models = HashMap::from([("lpconform/unadvertised".to_string(), ModelConstraint::default())]);
                let constraints = capabilities.constraints.get_or_insert_with(Default::default);
                constraints
                    .per_capability
                    .insert(missing, CapabilityConstraints { models });
            });
        }
        Fault::BadVersion => capabilities(info, |capabilities| capabilities.version = "latest".into()),
        Fault::OldVersion => capabilities(info, |capabilities| capabilities.version = "0.8.0".into()),
        Fault::OldRunnerVersion => models(info, |model| model.runner_version = "0.1.0".into()),
        Fault::MandatoryCapability => capabilities(info, |capabilities| {
            capabilities.mandatories = encode_bitstring([capability::H264])
        }),
        Fault::ColdWarmModels => models(info, |model| model.warm = false),
        Fault::AiCapabilityWithoutModels => {
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
        Fault::UnderflowedCapacity => capabilities(info, |capabilities| {
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
        Fault::PriceOnTranscoding => info.capabilities_prices.push(PriceInfo {
            price_per_unit: 1,
            pixels_per_unit: 1,
            capability: capability::H264,
            constraint: String::new(),
        }),
        Fault::AiModelWithoutPrice => {
            if !info.capabilities_prices.is_empty() {
                info.capabilities_prices.remove(0);
            }
        }
        Fault::AiWithoutHardware => info.hardware.clear(),
        Fault::CodecWithoutCore => capabilities(info, |capabilities| {
            let core = [capability::H264, capability::MPEGTS];
            let numbers = capability::decode_bitstring(&capabilities.bitstring);
            capabilities.bitstring = encode_bitstring(numbers.into_iter().filter(|number| !core.contains(number)));
            capabilities.capacities.retain(|number, _| !core.contains(number));
        }),
        Fault::AiPriceWithoutModel => info.capabilities_prices.push(PriceInfo {
            price_per_unit: 1,
            pixels_per_unit: 1,
            capability: first_ai.unwrap_or_default(),
            constraint: String::new(),
        }),
        Fault::HardwareUnknownPipeline => info.hardware.push(HardwareInformation {
            pipeline: "interpretive-dance".into(),
            model_id: "lpconform/dancer".into(),
            gpu_info: HashMap::new(),
        }),
        Fault::GpuMemoryOverTotal => {
            let gpus = info
                .hardware
                .iter_mut()
                .flat_map(|hardware| hardware.gpu_info.values_mut());
            if let Some(gpu) = gpus.into_iter().next() {
                gpu.memory_free = gpu.memory_total + 1;
            }
        }
        Fault::S3WithoutInfo => info.storage.push(OsInfo {
            storage_type: StorageType::S3.into(),
            s3info: None,
        }),
        Fault::AcceptBadSignatures
        | Fault::AcceptMalformedAddress
        | Fault::PingOtherKey
        | Fault::PingTruncated
        | Fault::PingError
        | Fault::StallPing
        | Fault::SlowDiscovery
        | Fault::CappedIgnoresFlag
        | Fault::TranscodingPriceForModels
        | Fault::ShortLivedToken
        | Fault::ReusedSession
        | Fault::GarbledResponse
        | Fault::UnknownFieldOnWire
        | Fault::LeakInternals
        | Fault::AcceptForgedToken
        | Fault::RejectIssuedToken
        | Fault::CrashOnHugeBitstring
        | Fault::StallOnPingLength
        | Fault::PanicOnTruncatedToken
        | Fault::CrashOnMissingToken => {}
    }
}

/// The answer's price when it is the transcoding price: the faults about the configured
/// transcoding price leave the per-model prices alone.
fn transcoding_price(info: &mut OrchestratorInfo, answer: Answer) -> impl Iterator<Item = &mut PriceInfo> {
    info.price_info.iter_mut().filter(move |_| answer.transcoding_price)
}

fn tickets(info: &mut OrchestratorInfo, change: impl FnOnce(&mut crate::proto::net::TicketParams)) {
    if let Some(ticket) = info.ticket_params.as_mut() {
        change(ticket);
    }
}

/// Applies `change` to every model constraint.
fn models(info: &mut OrchestratorInfo, mut change: impl FnMut(&mut ModelConstraint)) {
    capabilities(info, |capabilities| {
        let constraints = capabilities.constraints.iter_mut();
        constraints
            .flat_map(|constraints| constraints.per_capability.values_mut())
            .flat_map(|per_capability| per_capability.models.values_mut())
            .for_each(&mut change);
    });
}

fn capabilities(info: &mut OrchestratorInfo, change: impl FnOnce(&mut crate::proto::net::Capabilities)) {
    if let Some(capabilities) = info.capabilities.as_mut() {
        change(capabilities);
    }
}

/// The lowest AI capability that lists models (else the first priced one), to aim faults at.
fn first_ai_capability(info: &OrchestratorInfo) -> Option<u32> {
    let with_models = info
        .capabilities
        .iter()
        .flat_map(|capabilities| capabilities.constraints.iter())
        .flat_map(|constraints| constraints.per_capability.iter())
        .filter(|(_, per_capability)| !per_capability.models.is_empty())
        .map(|(number, _)| *number)
        .min();
    with_models.or_else(|| info.capabilities_prices.first().map(|price| price.capability))
}

/// The first AI capability the answer does not advertise, to aim faults at.
fn unadvertised_ai_capability(info: &OrchestratorInfo) -> u32 {
    let bitstring = info
        .capabilities
        .as_ref()
        .map(|c| c.bitstring.as_slice())
        .unwrap_or_default();
    capability::KNOWN
        .iter()
        .filter(|known| known.is_ai())
        .map(|known| known.number)
        .find(|number| !capability::has_bit(bitstring, *number))
        .unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_kebab_case_flag_values() {
        assert_eq!(Fault::ShortRandHash.name(), "short-rand-hash");
        assert_eq!(
            Fault::from_str("zero-pixels-per-unit", false),
            Ok(Fault::ZeroPixelsPerUnit)
        );
        assert!(Fault::HighTicketEv.description().contains("EV"));
    }
}
