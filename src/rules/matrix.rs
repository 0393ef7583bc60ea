//! MATRIX: the capability matrix: transcoding is selected by capability bits
//! and priced per pixel by `price_info`; AI is selected and priced per
//! (pipeline, model).

use std::collections::HashSet;

use super::capabilities::advertised_ai;
use super::verify::{capability_list, capability_text, expect_positive, quoted, report, sorted};
use super::{Finding, Mode, Rule, Severity, Skipped};
use crate::capability::{self, has_bit};
use crate::expect::Price;
use crate::proto::net::Capabilities;

pub(super) const FILE: &str = file!();

pub(super) const RULES: &[Rule] = &[MATRIX_001, MATRIX_002, MATRIX_003, MATRIX_004, MATRIX_005, MATRIX_006];

const MATRIX_001: Rule = Rule {
    id: "MATRIX-001",
    severity: Severity::Must,
    mode: Mode::OnChainTranscoding,
    text: "transcoding is priced per pixel: `price_info` is present with `pixelsPerUnit` > 0",
    citation: "go-livepeer core/orchestrator.go PriceInfo: transcoded pixels are paid at price_info's rate",
    hint: "set -pricePerUnit and a positive -pixelsPerUnit",
    check: |ctx| {
        let Some(price) = ctx.info()?.price_info.as_ref() else {
            return Ok(vec![Finding::new("price_info", "a per-pixel price", "absent")].into());
        };
        report([expect_positive("price_info.pixelsPerUnit", price.pixels_per_unit)])
    },
};

const MATRIX_002: Rule = Rule {
    id: "MATRIX-002",
    severity: Severity::Should,
    mode: Mode::Transcoding,
    text: "an orchestrator with transcoding and no AI models advertises no `capabilities_prices`",
    citation: "go-livepeer core/orchestrator.go GetCapabilitiesPrices: prices are per (AI capability, model)",
    hint: "remove the capability prices, or attach the AI workers they are for",
    check: |ctx| {
        if advertised_models(ctx.capabilities()?).next().is_some() {
            return Err(Skipped("the orchestrator lists AI models".into()));
        }
        let prices = &ctx.info()?.capabilities_prices;
        report([(!prices.is_empty()).then(|| {
            Finding::new(
                "capabilities_prices",
                "no entries (transcoding is priced by price_info)",
                format!("{} entries", prices.len()),
            )
        })])
    },
};

const MATRIX_003: Rule = Rule {
    id: "MATRIX-003",
    severity: Severity::Must,
    mode: Mode::OnChainAi,
    text: "every (AI capability, model) pair has a `capabilities_prices` entry",
    citation: "go-livepeer core/orchestrator.go GetCapabilitiesPrices: gateways price a model by its entry",
    hint: "set price_per_unit and pixels_per_unit for each model in aiModels.json",
    check: |ctx| {
        let info = ctx.info()?;
        let priced: HashSet<(u32, &str)> = info
            .capabilities_prices
            .iter()
            .map(|price| (price.capability, price.constraint.as_str()))
            .collect();
        let fallback = info
            .price_info
            .as_ref()
            .map_or("no price_info".to_string(), |price| Price::of(price).to_string());
        report(advertised_models(ctx.capabilities()?).map(|(number, model_id)| {
            (!priced.contains(&(number, model_id))).then(|| {
                Finding::new(
                    model_path(number, model_id),
                    format!(
                        "a capabilities_prices entry for ({}, {})",
                        capability_text(number),
                        quoted(model_id)
                    ),
                    format!("none: gateways fall back to price_info ({fallback})"),
                )
            })
        }))
    },
};

const MATRIX_004: Rule = Rule {
    id: "MATRIX-004",
    severity: Severity::Should,
    mode: Mode::Ai,
    text: "GPU specs for AI: `hardware` has an entry for every warm (pipeline, model); only running containers report hardware, so cold models are exempt",
    citation: "go-livepeer ai/worker HardwareInformation: running containers report their GPUs",
    hint: "the AI workers must report their GPUs for every model they serve",
    check: |ctx| {
        let info = ctx.info()?;
        let reported: HashSet<(&str, &str)> = info
            .hardware
            .iter()
            .map(|hardware| (hardware.pipeline.as_str(), hardware.model_id.as_str()))
            .collect();
        let capabilities = ctx.capabilities()?;
        let warm = |number: u32, model_id: &str| {
            capabilities
                .constraints
                .as_ref()
                .and_then(|constraints| constraints.per_capability.get(&number))
                .and_then(|per_capability| per_capability.models.get(model_id))
                .is_some_and(|model| model.warm)
        };
        let warm_models = advertised_models(capabilities).filter(|(number, model_id)| warm(*number, model_id));
        report(warm_models.map(|(number, model_id)| {
            let pipeline = capability::lookup(number)
                .and_then(|known| known.pipeline())
                .unwrap_or_default();
            (!reported.contains(&(pipeline, model_id))).then(|| {
                Finding::new(
                    "hardware",
                    format!("an entry for ({pipeline}, {})", quoted(model_id)),
                    format!("none among {} entries", info.hardware.len()),
                )
            })
        }))
    },
};

const MATRIX_005: Rule = Rule {
    id: "MATRIX-005",
    severity: Severity::Should,
    // rules.md gives this rule mode `transcoding`, which v2 defines as "H.264 and MPEGTS set":
    // under that mode the rule could never fire, so it applies to every orchestrator.
    mode: Mode::All,
    text:
        "codec capabilities (HEVC, VP8, VP9, H264 decode variants) are only advertised alongside the transcoding core",
    citation: "go-livepeer core/capabilities.go: codec bits refine the default transcoding set (H.264 in MPEG-TS)",
    hint: "advertise H.264 and MPEGTS with the codecs, or drop the codec bits",
    check: |ctx| {
        let bitstring = &ctx.capabilities()?.bitstring;
        let codecs: Vec<u32> = capability::KNOWN
            .iter()
            .map(|known| known.number)
            .filter(|number| capability::is_codec(*number) && has_bit(bitstring, *number))
            .collect();
        let core_missing: Vec<u32> = [capability::H264, capability::MPEGTS]
            .into_iter()
            .filter(|number| !has_bit(bitstring, *number))
            .collect();
        report([(!codecs.is_empty() && !core_missing.is_empty()).then(|| {
            Finding::new(
                "capabilities.bitstring",
                "H.264 (0) and MPEGTS (1) alongside codec capabilities",
                format!("{} without {}", capability_list(codecs), capability_list(core_missing)),
            )
        })])
    },
};

const MATRIX_006: Rule = Rule {
    id: "MATRIX-006",
    severity: Severity::Should,
    mode: Mode::Ai,
    text: "every `capabilities_prices` entry for an AI capability names a model (AI is priced per model, not per capability)",
    citation: "go-livepeer core/orchestrator.go priceInfo: AI prices are looked up by (capability, model id)",
    hint: "give each AI price the model id it is for (aiModels.json model_id)",
    check: |ctx| {
        report(
            ctx.info()?
                .capabilities_prices
                .iter()
                .enumerate()
                .map(|(index, price)| {
                    let ai = capability::lookup(price.capability).is_some_and(|known| known.is_ai());
                    (ai && price.constraint.is_empty()).then(|| {
                        Finding::new(
                            format!("capabilities_prices[{index}].constraint"),
                            format!("a model id for {}", capability_text(price.capability)),
                            "empty: a price for the pipeline as a whole",
                        )
                    })
                }),
        )
    },
};

/// Every (AI capability, model id) the orchestrator advertises, in a stable order.
fn advertised_models(capabilities: &Capabilities) -> impl Iterator<Item = (u32, &str)> {
    let per_capability = capabilities
        .constraints
        .as_ref()
        .map(|constraints| &constraints.per_capability);
    advertised_ai(&capabilities.bitstring).flat_map(move |number| {
        let models = per_capability
            .and_then(|per_capability| per_capability.get(&number))
            .map(|constraints| sorted(&constraints.models))
            .unwrap_or_default();
        models.into_iter().map(move |(model_id, _)| (number, model_id.as_str()))
    })
}

fn model_path(number: u32, model_id: &str) -> String {
    format!(
        "capabilities.constraints.PerCapability[{number}].models[{}]",
        quoted(model_id)
    )
}

#[cfg(test)]
mod tests {
    use super::super::fixture::*;
    use crate::capability::encode_bitstring;
    use crate::expect::Expectations;

    /// The fixture without its AI pipelines.
    fn transcoding_only(observation: &mut crate::observe::Observation) {
        let capabilities = capabilities_mut(observation);
        capabilities.bitstring = encode_bitstring([0, 1, 2, 7, 8, 9, 10, 11, 12]);
        capabilities.constraints = None;
        capabilities.capacities.retain(|number, _| *number < 27);
        info_mut(observation).hardware.clear();
        info_mut(observation).capabilities_prices.clear();
    }

    #[test]
    fn matrix_001_transcoding_priced_per_pixel() {
        assert_passes("MATRIX-001");
        assert_breaks("MATRIX-001", |o| info_mut(o).price_info = None, &["price_info"]);
        assert_breaks(
            "MATRIX-001",
            |o| price_mut(o).pixels_per_unit = -5,
            &["price_info.pixelsPerUnit"],
        );
    }

    #[test]
    fn matrix_002_transcoding_only_has_no_capability_prices() {
        assert_passes_with("MATRIX-002", &Expectations::default(), transcoding_only);
        assert_breaks(
            "MATRIX-002",
            |o| {
                transcoding_only(o);
                info_mut(o).capabilities_prices.push(Default::default());
            },
            &["capabilities_prices"],
        );
        assert!(assert_skips("MATRIX-002", &Expectations::default(), |_| {}).contains("AI models"));
    }

    #[test]
    fn matrix_003_every_model_is_priced() {
        assert_passes("MATRIX-003");
        let result = assert_breaks(
            "MATRIX-003",
            |o| {
                info_mut(o).capabilities_prices.pop();
            },
            &["capabilities.constraints.PerCapability[33].models[\"meta-llama/Meta-Llama-3.1-8B-Instruct\"]"],
        );
        assert!(result.findings[0].actual.contains("1000/1 wei per pixel"));
    }

    #[test]
    fn matrix_004_every_model_has_hardware() {
        assert_passes("MATRIX-004");
        let result = assert_breaks(
            "MATRIX-004",
            |o| {
                info_mut(o).hardware.remove(0);
            },
            &["hardware"],
        );
        assert!(result.findings[0].expected.contains(SD_TURBO));
        // Cold models run no container, so they report no hardware.
        assert_passes_with("MATRIX-004", &Expectations::default(), |o| {
            info_mut(o).hardware.remove(0);
            let constraints = capabilities_mut(o).constraints.as_mut().unwrap();
            let models = &mut constraints.per_capability.get_mut(&TEXT_TO_IMAGE).unwrap().models;
            models.get_mut(SD_TURBO).unwrap().warm = false;
        });
    }

    #[test]
    fn matrix_005_codecs_need_the_transcoding_core() {
        assert_passes("MATRIX-005");
        let result = assert_breaks(
            "MATRIX-005",
            |o| capabilities_mut(o).bitstring = encode_bitstring([0, 16, 27, 33]),
            &["capabilities.bitstring"],
        );
        assert_eq!(result.findings[0].actual, "HEVC encode (16) without MPEGTS (1)");
    }

    #[test]
    fn matrix_006_ai_prices_name_a_model() {
        assert_passes("MATRIX-006");
        assert_breaks(
            "MATRIX-006",
            |o| info_mut(o).capabilities_prices[1].constraint.clear(),
            &["capabilities_prices[1].constraint"],
        );
    }
}
