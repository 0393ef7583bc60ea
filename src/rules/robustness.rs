//! Rules never panic: the whole catalog runs over random bytes that happen
//! to decode, mutations of a good encoded answer, structurally generated
//! messages with extreme values, and a huge bitstring. Seeded, so a failure
//! replays.

use std::collections::HashMap;

use prost::Message;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::fixture::*;
use super::{evaluate, Context, ModeOverrides, Verdict};
use crate::expect::{Expectations, ExpectedModel, MaxCapabilityPrice, Price};
use crate::proto::net::{
    capabilities::capability_constraints::ModelConstraint, capabilities::CapabilityConstraints,
    capabilities::Constraints, AuthToken, Capabilities, GpuComputeInfo, HardwareInformation, OrchestratorInfo, OsInfo,
    PriceInfo, S3osInfo, TicketExpirationParams, TicketParams,
};

const INTEGERS: &[i64] = &[i64::MIN, i64::MIN + 1, -1, 0, 1, 3, 1000, i64::MAX - 1, i64::MAX];
const CAPABILITIES: &[u32] = &[0, 1, 16, 27, 33, 37, 38, 63, 64, 1 << 20, u32::MAX - 1, u32::MAX];
const LENGTHS: &[usize] = &[0, 1, 19, 20, 21, 31, 32, 33, 64, 65, 66, 300];

fn strings() -> Vec<String> {
    vec![
        String::new(),
        "\0".into(),
        "*".into(),
        "ü\u{202e}💥".into(),
        "text-to-image".into(),
        SD_TURBO.into(),
        "https://orch.example:8935".into(),
        "http://[::1]:1".into(),
        "panic: at src/main.rs:1".into(),
        "x".repeat(10_000),
    ]
}

/// Evaluates every rule under every mode combination, with and without expectations.
fn evaluate_everything(info: OrchestratorInfo, now_unix: i64) {
    let mut observation = good_observation();
    observation.grpc.info = answered(info.clone());
    observation.grpc.liveness_after_fuzz = Some(answered(info));
    for expectations in [Expectations::default(), extreme_expectations()] {
        for forced in [None, Some(true), Some(false)] {
            let overrides = ModeOverrides {
                onchain: forced,
                transcoding: forced,
                ai: forced,
            };
            let context = Context::new(&observation, &expectations, overrides, now_unix);
            let results = evaluate(&context);
            assert_eq!(results.len(), super::catalog().len());
            for result in results {
                if let Verdict::Pass | Verdict::Skip(_) = result.verdict {
                    assert!(result.findings.is_empty(), "{result:?}");
                }
            }
        }
    }
}

fn extreme_expectations() -> Expectations {
    Expectations {
        service_uri: Some("https://orch.example:8935".into()),
        price_per_unit: Some(i64::MAX),
        pixels_per_unit: Some(i64::MAX),
        address: Some(orchestrator_address()),
        ai_models: vec![ExpectedModel {
            pipeline: "llm".into(),
            model_id: LLAMA.into(),
            warm: true,
            price: Some(Price {
                price_per_unit: i64::MAX,
                pixels_per_unit: 1,
            }),
            gateway: None,
        }],
        tx_cost_multiplier: Some(u64::MAX),
        orch_min_version: Some("999999999.0".into()),
        l1_block: Some(u64::MAX),
        max_price_per_unit: Some(Price {
            price_per_unit: 0,
            pixels_per_unit: i64::MAX,
        }),
        max_price_per_capability: vec![MaxCapabilityPrice {
            pipeline: "text-to-image".into(),
            model_id: "*".into(),
            price: Price {
                price_per_unit: i64::MAX,
                pixels_per_unit: 1,
            },
        }],
        max_ticket_ev: Some(0u32.into()),
        max_face_value: Some(0u32.into()),
        pool: true,
        ..Expectations::default()
    }
}

#[test]
fn random_bytes_that_decode_never_panic_a_rule() {
    let mut rng = StdRng::seed_from_u64(0x6c70_636f_6e66);
    let mut decoded = 0;
    for _ in 0..3_000 {
        let len = rng.gen_range(0..200);
        let bytes: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
        if let Ok(info) = OrchestratorInfo::decode(bytes.as_slice()) {
            decoded += 1;
            evaluate_everything(info, NOW);
        }
    }
    assert!(decoded > 0, "some random inputs decode");
}

#[test]
fn mutated_good_answers_never_panic_a_rule() {
    let encoded = good_info().encode_to_vec();
    let mut rng = StdRng::seed_from_u64(0x0bad_5eed);
    for _ in 0..1_500 {
        let mut bytes = encoded.clone();
        for _ in 0..rng.gen_range(1..8) {
            let at = rng.gen_range(0..bytes.len());
            match rng.gen_range(0..3) {
                0 => bytes[at] = rng.gen(),
                1 => bytes.insert(at, rng.gen()),
                _ => {
                    bytes.remove(at);
                }
            }
        }
        if let Ok(info) = OrchestratorInfo::decode(bytes.as_slice()) {
            evaluate_everything(info, NOW);
        }
    }
}

fn pick<T: Clone>(rng: &mut StdRng, values: &[T]) -> T {
    values[rng.gen_range(0..values.len())].clone()
}

fn bytes(rng: &mut StdRng) -> Vec<u8> {
    let len = pick(rng, LENGTHS);
    let fill: u8 = pick(rng, &[0x00, 0x01, 0xff]);
    let mut bytes = vec![fill; len];
    if let Some(last) = bytes.last_mut() {
        *last = rng.gen();
    }
    bytes
}

fn price(rng: &mut StdRng, strings: &[String]) -> PriceInfo {
    PriceInfo {
        price_per_unit: pick(rng, INTEGERS),
        pixels_per_unit: pick(rng, INTEGERS),
        capability: pick(rng, CAPABILITIES),
        constraint: pick(rng, strings),
    }
}

/// An OrchestratorInfo whose every field comes from the named extreme-value lists.
fn generated_info(rng: &mut StdRng) -> OrchestratorInfo {
    let strings = strings();
    let words = |rng: &mut StdRng| -> Vec<u64> {
        (0..rng.gen_range(0..4))
            .map(|_| {
                let random = rng.gen();
                pick(rng, &[0, 1, u64::MAX, 1 << 63, random])
            })
            .collect()
    };
    let model = |rng: &mut StdRng| ModelConstraint {
        warm: rng.gen(),
        capacity: pick(rng, &[0, 1, u32::MAX]),
        runner_version: pick(rng, &strings),
        capacity_in_use: pick(rng, &[0, 1, u32::MAX]),
    };
    let per_capability: HashMap<u32, CapabilityConstraints> = (0..rng.gen_range(0..4))
        .map(|_| {
            let models = (0..rng.gen_range(0..3))
                .map(|_| (pick(rng, &strings), model(rng)))
                .collect();
            (pick(rng, CAPABILITIES), CapabilityConstraints { models })
        })
        .collect();
    let gpu = |rng: &mut StdRng| GpuComputeInfo {
        id: pick(rng, &strings),
        name: pick(rng, &strings),
        major: rng.gen(),
        minor: rng.gen(),
        memory_free: pick(rng, INTEGERS),
        memory_total: pick(rng, INTEGERS),
    };
    OrchestratorInfo {
        transcoder: pick(rng, &strings),
        ticket_params: rng.gen_bool(0.8).then(|| TicketParams {
            recipient: bytes(rng),
            face_value: bytes(rng),
            win_prob: bytes(rng),
            recipient_rand_hash: bytes(rng),
            seed: bytes(rng),
            expiration_block: bytes(rng),
            expiration_params: rng.gen_bool(0.8).then(|| TicketExpirationParams {
                creation_round: pick(rng, INTEGERS),
                creation_round_block_hash: bytes(rng),
            }),
        }),
        price_info: rng.gen_bool(0.8).then(|| price(rng, &strings)),
        address: bytes(rng),
        capabilities: rng.gen_bool(0.9).then(|| Capabilities {
            bitstring: words(rng),
            mandatories: words(rng),
            capacities: (0..rng.gen_range(0..4))
                .map(|_| (pick(rng, CAPABILITIES), rng.gen()))
                .collect(),
            version: pick(rng, &strings),
            constraints: rng.gen_bool(0.8).then(|| Constraints {
                min_version: pick(rng, &strings),
                per_capability,
            }),
        }),
        auth_token: rng.gen_bool(0.8).then(|| AuthToken {
            token: bytes(rng),
            session_id: pick(rng, &strings),
            expiration: pick(rng, INTEGERS),
        }),
        hardware: (0..rng.gen_range(0..3))
            .map(|_| HardwareInformation {
                pipeline: pick(rng, &strings),
                model_id: pick(rng, &strings),
                gpu_info: (0..rng.gen_range(0..3))
                    .map(|_| (pick(rng, &strings), gpu(rng)))
                    .collect(),
            })
            .collect(),
        storage: (0..rng.gen_range(0..3))
            .map(|_| OsInfo {
                storage_type: pick(rng, &[0, 1, 2, -1, i32::MAX]),
                s3info: rng.gen_bool(0.7).then(|| S3osInfo {
                    host: pick(rng, &strings),
                    key: pick(rng, &strings),
                    policy: pick(rng, &strings),
                    signature: pick(rng, &strings),
                    credential: pick(rng, &strings),
                    x_amz_date: pick(rng, &strings),
                }),
            })
            .collect(),
        capabilities_prices: (0..rng.gen_range(0..5)).map(|_| price(rng, &strings)).collect(),
        nodes: (0..rng.gen_range(0..3)).map(|_| pick(rng, &strings)).collect(),
    }
}

#[test]
fn generated_extreme_answers_never_panic_a_rule() {
    let mut rng = StdRng::seed_from_u64(42);
    for _ in 0..400 {
        let info = generated_info(&mut rng);
        let now = pick(&mut rng, &[i64::MIN, 0, NOW, i64::MAX]);
        evaluate_everything(info, now);
    }
}

#[test]
fn a_huge_bitstring_is_evaluated_in_linear_time() {
    let mut info = good_info();
    let capabilities = info.capabilities.as_mut().unwrap();
    capabilities.bitstring = vec![u64::MAX; 100_000];
    capabilities.mandatories = vec![u64::MAX; 100_000];
    let started = std::time::Instant::now();
    let mut observation = good_observation();
    observation.grpc.info = answered(info);
    let expectations = Expectations::default();
    let results = evaluate(&context(&observation, &expectations));
    let unknown = results.iter().find(|result| result.rule.id == "CAP-002").unwrap();
    assert!(
        unknown.findings[0].actual.ends_with("and 6399942 more"),
        "{:?}",
        unknown.findings
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}
