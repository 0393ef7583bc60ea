//! Test fixtures: a known-good on-chain orchestrator that transcodes and
//! serves two AI models, and helpers that break one field and assert which
//! rule reports it where.

use std::collections::HashMap;
use std::time::Duration;

use num_bigint::BigUint;

use super::{evaluate_rule, rule, Context, ModeOverrides, RuleResult, Severity, Verdict};
use crate::capability::{self, encode_bitstring};
use crate::eth::{Address, EthKey};
use crate::expect::Expectations;
use crate::observe::{Call, CallError, CapabilityDiscovery, ModelRef, Observation};
use crate::openapi::OpenApiDocument;
use crate::proto::net::{
    self, capabilities::capability_constraints::ModelConstraint, capabilities::CapabilityConstraints,
    capabilities::Constraints, os_info::StorageType, AuthToken, Capabilities, GpuComputeInfo, HardwareInformation,
    OrchestratorInfo, OsInfo, PingPong, PriceInfo, S3osInfo, TicketExpirationParams, TicketParams,
};
use crate::reference::ProbeAnswers;

/// The evaluation clock of every fixture.
pub(super) const NOW: i64 = 1_700_000_000;
pub(super) const SD_TURBO: &str = "stabilityai/sd-turbo";
pub(super) const LLAMA: &str = "meta-llama/Meta-Llama-3.1-8B-Instruct";
pub(super) const TEXT_TO_IMAGE: u32 = 27;
pub(super) const LLM: u32 = 33;
const TARGET: &str = "https://orch.example:8935";
/// A widely published test key (web3.js documentation).
const ORCHESTRATOR_KEY: &str = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

pub(super) fn orchestrator_key() -> EthKey {
    EthKey::from_hex(ORCHESTRATOR_KEY).unwrap()
}

pub(super) fn orchestrator_address() -> Address {
    orchestrator_key().address()
}

/// Transcoding core and H.264 profiles, GOP, auth token, and two AI pipelines.
pub(super) fn advertised() -> Vec<u32> {
    vec![0, 1, 2, 7, 8, 9, 10, 11, 12, TEXT_TO_IMAGE, LLM]
}

/// Big-endian bytes of a number.
pub(super) fn number(value: &BigUint) -> Vec<u8> {
    value.to_bytes_be()
}

fn model(capacity: u32) -> ModelConstraint {
    ModelConstraint {
        warm: true,
        capacity,
        runner_version: "0.14.1".into(),
        capacity_in_use: 0,
    }
}

fn models(model_id: &str) -> CapabilityConstraints {
    CapabilityConstraints {
        models: HashMap::from([(model_id.to_string(), model(1))]),
    }
}

fn hardware(pipeline: &str, model_id: &str) -> HardwareInformation {
    let gpu = GpuComputeInfo {
        id: "GPU-0".into(),
        name: "NVIDIA GeForce RTX 4090".into(),
        major: 8,
        minor: 9,
        memory_free: 20_000_000_000,
        memory_total: 24_000_000_000,
    };
    HardwareInformation {
        pipeline: pipeline.into(),
        model_id: model_id.into(),
        gpu_info: HashMap::from([("0".to_string(), gpu)]),
    }
}

pub(super) fn good_info() -> OrchestratorInfo {
    let address = orchestrator_address().0.to_vec();
    let two_pow_256 = BigUint::from(1u8) << 256;
    OrchestratorInfo {
        transcoder: TARGET.into(),
        ticket_params: Some(TicketParams {
            recipient: address.clone(),
            // 10^15 wei at 1/1000 odds: EV just under 10^12 wei, below the 3 * 10^12 default.
            face_value: number(&BigUint::from(1_000_000_000_000_000u64)),
            win_prob: number(&(two_pow_256 / 1000u32)),
            recipient_rand_hash: vec![0x5a; 32],
            seed: vec![0x33; 32],
            expiration_block: vec![0x01, 0x2c],
            expiration_params: Some(TicketExpirationParams {
                creation_round: 4_000,
                creation_round_block_hash: vec![0xbb; 32],
            }),
        }),
        price_info: Some(PriceInfo {
            price_per_unit: 1000,
            pixels_per_unit: 1,
            ..Default::default()
        }),
        address,
        capabilities: Some(Capabilities {
            bitstring: encode_bitstring(advertised()),
            mandatories: Vec::new(),
            capacities: HashMap::from([(capability::H264, 10), (TEXT_TO_IMAGE, 1), (LLM, 1)]),
            version: "0.8.7".into(),
            constraints: Some(Constraints {
                min_version: "0.8.0".into(),
                per_capability: HashMap::from([(TEXT_TO_IMAGE, models(SD_TURBO)), (LLM, models(LLAMA))]),
            }),
        }),
        auth_token: Some(AuthToken {
            token: vec![0x77; 32],
            session_id: "session-1".into(),
            expiration: NOW + 600,
        }),
        hardware: vec![hardware("text-to-image", SD_TURBO), hardware("llm", LLAMA)],
        storage: vec![OsInfo {
            storage_type: StorageType::S3 as i32,
            s3info: Some(S3osInfo {
                host: "https://s3.example".into(),
                key: "segments/session-1".into(),
                policy: "eyJleHBpcmF0aW9uIjoiMjAyNi0wMS0wMSJ9".into(),
                signature: "4f2c0d9e8a7b6c5d4e3f2a1b0c9d8e7f".into(),
                credential: "AKIAEXAMPLE/20260101/us-east-1/s3/aws4_request".into(),
                x_amz_date: "20260101T000000Z".into(),
            }),
        }],
        capabilities_prices: vec![
            PriceInfo {
                price_per_unit: 4_768_371,
                pixels_per_unit: 1,
                capability: TEXT_TO_IMAGE,
                constraint: SD_TURBO.into(),
            },
            PriceInfo {
                price_per_unit: 30,
                pixels_per_unit: 1_000_000,
                capability: LLM,
                constraint: LLAMA.into(),
            },
        ],
        nodes: vec!["https://orch-2.example:8935".into()],
    }
}

pub(super) use crate::reference::probe_answers::{answered, refused};

pub(super) fn failed_call<T>(error: CallError) -> Call<T> {
    Call {
        elapsed: Duration::from_millis(5),
        outcome: Err(error),
    }
}

/// The same orchestrator's answer to the next discovery: a fresh session and ticket rand.
fn repeat_info(info: &OrchestratorInfo) -> OrchestratorInfo {
    let mut repeat = info.clone();
    if let Some(ticket) = repeat.ticket_params.as_mut() {
        ticket.seed = vec![0x34; 32];
        ticket.recipient_rand_hash = vec![0x5b; 32];
    }
    if let Some(token) = repeat.auth_token.as_mut() {
        token.token = vec![0x78; 32];
        token.session_id = "session-2".into();
    }
    repeat
}

/// A discovery naming `models` as a gateway builds it, answered with `price` and no hardware
/// or capability prices, as go-livepeer answers a request naming capabilities.
fn capability_discovery(info: &OrchestratorInfo, models: &[(u32, &str)], price: (i64, i64)) -> CapabilityDiscovery {
    let mut answer = repeat_info(info);
    answer.price_info = Some(PriceInfo {
        price_per_unit: price.0,
        pixels_per_unit: price.1,
        ..Default::default()
    });
    answer.hardware.clear();
    answer.capabilities_prices.clear();
    CapabilityDiscovery {
        models: models
            .iter()
            .map(|(capability, model_id)| ModelRef {
                capability: *capability,
                model_id: model_id.to_string(),
            })
            .collect(),
        ignore_capacity_check: true,
        call: answered(answer),
    }
}

/// What an on-chain go-livepeer orchestrator answers to the standard probe, with a repeat
/// discovery and three capability discoveries.
pub(super) fn good_observation() -> Observation {
    let info = good_info();
    // The JSON it serves at GET /orchestrator/info, in the shipped document's convention.
    let served = OpenApiDocument::embedded().render_info(&info).unwrap();
    let mut observation = ProbeAnswers::new(&orchestrator_key(), TARGET, NOW).around(info.clone(), served);
    observation.grpc.repeat_info = Some(answered(repeat_info(&info)));
    // The entries' prices: 4768371/1 and 30/1000000 (0.00003) wei per pixel, and their sum.
    observation.grpc.capability_discoveries = vec![
        capability_discovery(&info, &[(TEXT_TO_IMAGE, SD_TURBO)], (4_768_371, 1)),
        capability_discovery(&info, &[(LLM, LLAMA)], (3, 100_000)),
        capability_discovery(
            &info,
            &[(TEXT_TO_IMAGE, SD_TURBO), (LLM, LLAMA)],
            (476_837_100_003, 100_000),
        ),
    ];
    observation
}

/// An off-chain orchestrator: no ticket params, empty Ping answers.
pub(super) fn offchain_observation() -> Observation {
    let mut observation = good_observation();
    info_mut(&mut observation).ticket_params = None;
    ping_answer_mut(&mut observation).value.clear();
    observation
}

pub(super) fn info_mut(observation: &mut Observation) -> &mut OrchestratorInfo {
    observation.grpc.info.outcome.as_mut().unwrap()
}

pub(super) fn capabilities_mut(observation: &mut Observation) -> &mut Capabilities {
    info_mut(observation).capabilities.as_mut().unwrap()
}

pub(super) fn ticket_mut(observation: &mut Observation) -> &mut TicketParams {
    info_mut(observation).ticket_params.as_mut().unwrap()
}

pub(super) fn price_mut(observation: &mut Observation) -> &mut net::PriceInfo {
    info_mut(observation).price_info.as_mut().unwrap()
}

pub(super) fn ping_answer_mut(observation: &mut Observation) -> &mut PingPong {
    observation.grpc.ping.as_mut().unwrap().call.outcome.as_mut().unwrap()
}

pub(super) fn context<'a>(observation: &'a Observation, expectations: &'a Expectations) -> Context<'a> {
    Context::new(observation, expectations, ModeOverrides::default(), NOW)
}

pub(super) fn verdict_name(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::Info => "info",
        Verdict::Warn => "warn",
        Verdict::Fail => "fail",
        Verdict::Skip(_) => "skip",
        Verdict::KnownFailure(_) => "known failure",
    }
}

/// Evaluates one rule on the good observation after `mutate`.
pub(super) fn outcome_with(id: &str, expectations: &Expectations, mutate: impl FnOnce(&mut Observation)) -> RuleResult {
    let mut observation = good_observation();
    mutate(&mut observation);
    let rule = rule(id).unwrap_or_else(|| panic!("{id} is not in the catalog"));
    evaluate_rule(rule, &context(&observation, expectations))
}

pub(super) fn assert_passes(id: &str) {
    assert_passes_with(id, &Expectations::default(), |_| {});
}

pub(super) fn assert_passes_with(id: &str, expectations: &Expectations, mutate: impl FnOnce(&mut Observation)) {
    let result = outcome_with(id, expectations, mutate);
    assert_eq!(result.verdict, Verdict::Pass, "{id}: {result:?}");
}

pub(super) fn assert_breaks(id: &str, mutate: impl FnOnce(&mut Observation), paths: &[&str]) -> RuleResult {
    assert_breaks_with(id, &Expectations::default(), mutate, paths)
}

/// The rule breaks with its own severity and exactly these finding paths.
pub(super) fn assert_breaks_with(
    id: &str,
    expectations: &Expectations,
    mutate: impl FnOnce(&mut Observation),
    paths: &[&str],
) -> RuleResult {
    let result = outcome_with(id, expectations, mutate);
    let expected = match result.rule.severity {
        Severity::Must => Verdict::Fail,
        Severity::Should => Verdict::Warn,
        Severity::Info => Verdict::Info,
    };
    assert_eq!(result.verdict, expected, "{id}: {result:?}");
    let found: Vec<&str> = result.findings.iter().map(|finding| finding.path.as_str()).collect();
    assert_eq!(found, paths, "{id}: {result:?}");
    assert!(result
        .findings
        .iter()
        .all(|finding| finding.rule_id == id && !finding.hint.is_empty()));
    result
}

pub(super) fn assert_skips(id: &str, expectations: &Expectations, mutate: impl FnOnce(&mut Observation)) -> String {
    match outcome_with(id, expectations, mutate).verdict {
        Verdict::Skip(reason) => reason,
        other => panic!("{id}: expected a skip, got {other:?}"),
    }
}
