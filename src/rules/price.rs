//! PRICE: price types and values, as gateways compute them (exact rationals
//! pricePerUnit / pixelsPerUnit wei per pixel).

use std::cmp::Ordering;
use std::collections::HashMap;

use serde_json::Value;

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};

use super::verify::{capability_text, expect_non_negative, expect_positive, outcome_text, quoted, report};
use super::{CheckFindings, Context, Finding, Mode, Rule, Severity, Skipped};
use crate::capability;
use crate::expect::Price;
use crate::openapi::{describe_json, is_decimal, same_words};
use crate::proto::net::PriceInfo;
use crate::protocol::INFO_PATH;

pub(super) const FILE: &str = file!();

pub(super) const RULES: &[Rule] = &[
    PRICE_001, PRICE_002, PRICE_003, PRICE_004, PRICE_005, PRICE_006, PRICE_007, PRICE_008, PRICE_009,
];

const PRICE_001: Rule = Rule {
    id: "PRICE-001",
    severity: Severity::Must,
    mode: Mode::All,
    text: "when `price_info` is present: `pixelsPerUnit` > 0",
    citation: "go-livepeer common/util.go RatPriceInfo: \"pixels per unit is 0\"; selection skips the orchestrator",
    hint: "set -pixelsPerUnit to a positive integer",
    check: |ctx| {
        report([expect_positive(
            "price_info.pixelsPerUnit",
            ctx.price_info()?.pixels_per_unit,
        )])
    },
};

const PRICE_002: Rule = Rule {
    id: "PRICE-002",
    severity: Severity::Must,
    mode: Mode::All,
    text: "when `price_info` is present: `pricePerUnit` >= 0",
    citation: "go-livepeer server/selection.go: a price is wei per pixel; a negative price has no meaning to a gateway",
    hint: "set -pricePerUnit to 0 or more",
    check: |ctx| {
        report([expect_non_negative(
            "price_info.pricePerUnit",
            ctx.price_info()?.price_per_unit,
        )])
    },
};

const PRICE_003: Rule = Rule {
    id: "PRICE-003",
    severity: Severity::Must,
    mode: Mode::All,
    text: "every `capabilities_prices` entry has `pixelsPerUnit` > 0 and `pricePerUnit` >= 0",
    citation: "go-livepeer core/orchestrator.go GetCapabilitiesPrices: each entry is a big.Rat price, as price_info",
    hint: "check pixels_per_unit and price_per_unit of each model in aiModels.json",
    check: |ctx| {
        report(
            ctx.info()?
                .capabilities_prices
                .iter()
                .enumerate()
                .flat_map(|(index, price)| {
                    [
                        expect_positive(
                            &format!("capabilities_prices[{index}].pixelsPerUnit"),
                            price.pixels_per_unit,
                        ),
                        expect_non_negative(
                            &format!("capabilities_prices[{index}].pricePerUnit"),
                            price.price_per_unit,
                        ),
                    ]
                }),
        )
    },
};

const PRICE_004: Rule = Rule {
    id: "PRICE-004",
    severity: Severity::Should,
    mode: Mode::All,
    text: "every `capabilities_prices` entry names a capability set in `bitstring` (go-livepeer lists configured prices even while no worker serves the model; BYOC entries, capability 37, are exempt)",
    citation: "go-livepeer core/orchestrator.go GetCapabilitiesPrices: prices of unserved models are dead entries",
    hint: "price only the pipelines the orchestrator advertises, or attach their workers",
    check: |ctx| {
        let bitstring = &ctx.capabilities()?.bitstring;
        report(
            ctx.info()?
                .capabilities_prices
                .iter()
                .enumerate()
                .map(|(index, price)| {
                    let exempt = price.capability == capability::BYOC;
                    (!exempt && !capability::has_bit(bitstring, price.capability)).then(|| {
                        Finding::new(
                            format!("capabilities_prices[{index}].capability"),
                            "a capability set in capabilities.bitstring",
                            format!("{}, not set", capability_text(price.capability)),
                        )
                    })
                }),
        )
    },
};

const PRICE_005: Rule = Rule {
    id: "PRICE-005",
    severity: Severity::Should,
    mode: Mode::Ai,
    text: "every `capabilities_prices` entry with a constraint names a model listed under that capability's constraints (BYOC exempt)",
    citation: "go-livepeer core/orchestrator.go GetCapabilitiesPrices: a price for an unlisted model selects nothing",
    hint: "price only models the orchestrator serves (aiModels.json model_id)",
    check: |ctx| {
        let constraints = ctx.capabilities()?.constraints.as_ref();
        report(
            ctx.info()?
                .capabilities_prices
                .iter()
                .enumerate()
                .map(|(index, price)| {
                    let listed = constraints
                        .and_then(|constraints| constraints.per_capability.get(&price.capability))
                        .is_some_and(|per_capability| per_capability.models.contains_key(&price.constraint));
                    let exempt = price.capability == capability::BYOC;
                    (!exempt && !price.constraint.is_empty() && !listed).then(|| {
                        Finding::new(
                            format!("capabilities_prices[{index}].constraint"),
                            format!(
                                "a model listed in capabilities.constraints.PerCapability[{}].models",
                                price.capability
                            ),
                            format!("{}, not listed", quoted(&price.constraint)),
                        )
                    })
                }),
        )
    },
};

const PRICE_006: Rule = Rule {
    id: "PRICE-006",
    severity: Severity::Must,
    mode: Mode::All,
    text: "no two `capabilities_prices` entries share (capability, constraint)",
    citation: "go-livepeer core/orchestrator.go GetCapabilitiesPrices: one entry per (capability, model id)",
    hint: "list each model once per pipeline in aiModels.json",
    check: |ctx| {
        let mut first_seen: HashMap<(u32, &str), usize> = HashMap::new();
        report(
            ctx.info()?
                .capabilities_prices
                .iter()
                .enumerate()
                .map(|(index, price)| {
                    let first = *first_seen
                        .entry((price.capability, price.constraint.as_str()))
                        .or_insert(index);
                    (first != index).then(|| {
                        Finding::new(
                            format!("capabilities_prices[{index}]"),
                            "one entry per (capability, constraint)",
                            format!(
                                "repeats capabilities_prices[{first}] ({}, {})",
                                capability_text(price.capability),
                                quoted(&price.constraint)
                            ),
                        )
                    })
                }),
        )
    },
};

const PRICE_007: Rule = Rule {
    id: "PRICE-007",
    severity: Severity::Should,
    mode: Mode::All,
    text: "when the target serves JSON at `GET /orchestrator/info`, its prices are integers as the OpenAPI document types them; go-livepeer serves no such path (404): skip, saying so",
    citation: "OpenAPI document: prices are `integer` (wei); go-livepeer server/rpc.go serves no /orchestrator/info",
    hint: "serve prices at GET /orchestrator/info as JSON integers, as the OpenAPI document declares",
    check: |ctx| {
        let served = ctx.observation.http.info_json.as_ref();
        let served = served.ok_or_else(|| Skipped(format!("the run did not fetch GET {INFO_PATH}")))?;
        let json = served
            .outcome
            .as_ref()
            .map_err(|error| {
                Skipped(format!(
                    "the target serves no JSON at GET {INFO_PATH} ({error}); go-livepeer serves no such path"
                ))
            })?;
        let prices = served_prices(json);
        if prices.is_empty() {
            return Err(Skipped(format!("the JSON at GET {INFO_PATH} holds no prices")));
        }
        let expected = "integer (OpenAPI type)";
        let (decimal_strings, others): (Vec<_>, Vec<_>) = prices
            .iter()
            .filter(|(_, value)| !(value.is_i64() || value.is_u64()))
            .partition(|(_, value)| value.as_str().is_some_and(is_decimal));
        // The proto3 JSON convention is one drift however many prices it touches.
        let convention = decimal_strings.first().map(|(path, value)| {
            let more = match decimal_strings.len() - 1 {
                0 => String::new(),
                more => format!("; {more} more price fields likewise"),
            };
            Finding::new(
                path,
                expected,
                format!("{} (proto3 JSON writes int64 as a string){more}", describe_json(value)),
            )
            .with_hint("the proto3 JSON convention, not a wrong price; SPEC-002 lists the document's drift from it")
        });
        let wrong = others
            .iter()
            .map(|(path, value)| Finding::new(path, expected, describe_json(value)));
        Ok(convention.into_iter().chain(wrong).collect())
    },
};

const PRICE_008: Rule = Rule {
    id: "PRICE-008",
    severity: Severity::Should,
    mode: Mode::All,
    text: "the price a gateway filters on is <= `--expect maxPricePerUnit=` (transcoding) and `maxPricePerCapability=` (per model, judged on the PRICE-009 answer) when given",
    citation: "go-livepeer server/selection.go and core GetCapabilitiesMaxPrice: pricier orchestrators are skipped",
    hint: "gateways with this maximum will not select the orchestrator; lower the price or confirm the maximum",
    check: |ctx| {
        let expectations = ctx.expectations;
        if expectations.max_price_per_unit.is_none() && expectations.max_price_per_capability.is_empty() {
            return Err(Skipped("no expected maxPricePerUnit or maxPricePerCapability given".into()));
        }
        let info = ctx.info()?;
        let transcoding = info.price_info.as_ref().zip(expectations.max_price_per_unit.as_ref());
        let transcoding = transcoding.and_then(|(price, max)| above_max("price_info", Price::of(price), *max));
        let per_model = model_answers(ctx).flat_map(|(index, model, price)| {
            let pipeline = capability::lookup(model.capability).and_then(|known| known.pipeline());
            expectations
                .max_price_per_capability
                .iter()
                .filter(move |max| pipeline.is_some_and(|pipeline| max.matches(pipeline, &model.model_id)))
                .map(move |max| {
                    above_max(&format!("capability_discoveries[{index}].price_info"), Price::of(price), max.price)
                })
        });
        report(std::iter::once(transcoding).chain(per_model))
    },
};

/// The answers to discoveries that named exactly one model, with that model and its price.
fn model_answers<'a>(
    ctx: &Context<'a>,
) -> impl Iterator<Item = (usize, &'a crate::observe::ModelRef, &'a crate::proto::net::PriceInfo)> {
    ctx.observation
        .grpc
        .capability_discoveries
        .iter()
        .enumerate()
        .filter_map(|(index, discovery)| match discovery.models.as_slice() {
            [model] => {
                let price = discovery.call.answer()?.price_info.as_ref()?;
                Some((index, model, price))
            }
            _ => None,
        })
}

const PRICE_009: Rule = Rule {
    id: "PRICE-009",
    severity: Severity::Must,
    mode: Mode::OnChainAi,
    text: "for each priced (AI capability, model), a GetOrchestrator whose capabilities name that model (in `capacities` and `constraints.PerCapability`, with `ignoreCapacityCheck`, as gateways build it) answers a `price_info` that agrees with that model's `capabilities_prices` entry (several models requested: their sum) within go-livepeer's arithmetic: entries are whole wei per pixel (truncated), the answer is exact to 1/1000 wei and, unless `--expect autoAdjustPrice=false`, carries the auto-adjust overhead (at most 1/`txCostMultiplier`). An answer with the transcoding price, or none, fails. This is the price gateways filter on and pay by",
    citation: "go-livepeer core/orchestrator.go priceInfo (caps branch); server/remote_signer.go /generate-live-payment pays by it",
    hint: "answer a request naming models with the sum of their prices, not the transcoding price",
    check: |ctx| {
        let info = ctx.info()?;
        let discoveries: Vec<_> = ctx
            .observation
            .grpc.capability_discoveries
            .iter()
            .enumerate()
            .filter(|(_, discovery)| !discovery.models.is_empty())
            .collect();
        if discoveries.is_empty() {
            return Err(Skipped("no discovery named a priced model in this run".into()));
        }
        let entry = |model: &crate::observe::ModelRef| {
            info.capabilities_prices
                .iter()
                .find(|price| price.capability == model.capability && price.constraint == model.model_id)
                .and_then(|price| rational(price.price_per_unit, price.pixels_per_unit))
        };
        let transcoding = info
            .price_info
            .as_ref()
            .and_then(|price| rational(price.price_per_unit, price.pixels_per_unit));
        let mut findings = CheckFindings::default();
        for (index, discovery) in discoveries {
            let Some(entries) = discovery.models.iter().map(entry).collect::<Option<Vec<_>>>() else {
                continue; // a model without a valid entry is MATRIX-003's or PRICE-003's to report
            };
            let sum: BigRational = entries.iter().sum();
            let bounds = PriceBounds::around(&sum, entries.len(), ctx.expectations);
            // What the finding says is built only for a finding: most answers pass, and the
            // decimals cost more than the check.
            let finding = |actual: String| {
                let named = discovery
                    .models
                    .iter()
                    .map(|model| format!("({}, {})", capability_text(model.capability), quoted(&model.model_id)))
                    .collect::<Vec<_>>()
                    .join(" + ");
                Finding::new(
                    format!("capability_discoveries[{index}].price_info"),
                    format!("{} for {named}", bounds.describe(&sum)),
                    actual,
                )
            };
            let answer = match &discovery.call.outcome {
                Ok(answer) => answer,
                Err(error) => {
                    findings.push(finding(outcome_text(Err(error))));
                    continue;
                }
            };
            let Some(price) = answer.price_info.as_ref() else {
                findings.push(finding("absent".into()));
                continue;
            };
            let Some(advertised) = rational(price.price_per_unit, price.pixels_per_unit) else {
                findings.push(finding(Price::of(price).to_string()));
                continue;
            };
            // go-livepeer falls back to the transcoding price when the requested prices sum to 0.
            let zero_fallback = sum.is_zero() && transcoding.as_ref() == Some(&advertised);
            if bounds.contains(&advertised) || zero_fallback {
                continue;
            }
            let is_transcoding = transcoding.as_ref() == Some(&advertised);
            findings.push(finding(format!(
                "{}{}",
                Price::of(price),
                if is_transcoding { " (the transcoding price)" } else { "" }
            )));
        }
        Ok(findings)
    },
};

/// `numerator / denominator` exactly; `None` without a positive denominator.
pub(super) fn rational(numerator: i64, denominator: i64) -> Option<BigRational> {
    (denominator > 0).then(|| BigRational::new(numerator.into(), denominator.into()))
}

/// What go-livepeer's arithmetic allows an answer to be, given the advertised entries' sum.
pub(super) struct PriceBounds {
    pub low: BigRational,
    pub high: BigRational,
}

impl PriceBounds {
    /// `sum` of `count` entries truncated to whole wei, each true price below its entry + 1,
    /// times at most 1 + 1/txCostMultiplier when auto-adjusted, each side 1/1000 wei of rounding.
    pub(super) fn around(sum: &BigRational, count: usize, expectations: &crate::expect::Expectations) -> Self {
        let rounding = BigRational::new(1.into(), 1000.into());
        let mut high = sum + BigRational::from_integer(count.into());
        if expectations.auto_adjusts_price() {
            let multiplier = BigRational::from_integer(expectations.tx_cost_multiplier().into());
            high = &high * (BigRational::one() + multiplier.recip());
        }
        Self {
            low: sum - &rounding,
            high: high + rounding,
        }
    }

    pub(super) fn contains(&self, price: &BigRational) -> bool {
        &self.low <= price && price <= &self.high
    }

    fn describe(&self, sum: &BigRational) -> String {
        format!(
            "a price from {} to {} wei per pixel (entries sum to {})",
            decimal(&self.low.clone().max(BigRational::zero())),
            decimal(&self.high),
            decimal(sum)
        )
    }
}

/// A rational in decimal, to three places (go-livepeer's price precision), marked when cut.
pub(super) fn decimal(value: &BigRational) -> String {
    let scaled = value * BigRational::from_integer(1000.into());
    let thousandths = scaled.floor().to_integer();
    let exact = scaled.is_integer();
    let whole = &thousandths / BigInt::from(1000);
    let fraction = (&thousandths % BigInt::from(1000)).abs();
    let mut text = whole.to_string();
    if fraction != BigInt::zero() {
        text.push_str(&format!(".{fraction:0>3}"));
        while text.ends_with('0') {
            text.pop();
        }
    }
    if !exact {
        text.push('…');
    }
    text
}

/// A finding when `price` is above `max`; prices without a positive
/// denominator are PRICE-001/003's to report.
fn above_max(path: &str, price: Price, max: Price) -> Option<Finding> {
    (price.compare(&max) == Some(Ordering::Greater)).then(|| Finding::new(path, format!("<= {max}"), price.to_string()))
}

/// The price fields of served JSON with their paths, whichever case convention names them
/// (`price_info.price_per_unit` or `priceInfo.pricePerUnit`).
fn served_prices(json: &Value) -> Vec<(String, &Value)> {
    let mut prices: Vec<(String, &Value)> = member(json, "price_info").into_iter().collect();
    if let Some((key, list)) = member(json, "capabilities_prices") {
        let entries = list.as_array().into_iter().flatten().enumerate();
        prices.extend(entries.map(|(index, price)| (format!("{key}[{index}]"), price)));
    }
    prices
        .into_iter()
        .flat_map(|(prefix, price)| {
            ["price_per_unit", "pixels_per_unit"]
                .into_iter()
                .filter_map(move |name| member(price, name).map(|(key, value)| (format!("{prefix}.{key}"), value)))
        })
        .collect()
}

/// The member named `name` in any case convention, with its key as served.
fn member<'a>(object: &'a Value, name: &str) -> Option<(String, &'a Value)> {
    let found = object.as_object()?.iter().find(|(key, _)| same_words(key, name));
    found.map(|(key, value)| (key.clone(), value))
}

impl<'a> Context<'a> {
    pub fn price_info(&self) -> Result<&'a PriceInfo, Skipped> {
        self.info()?
            .price_info
            .as_ref()
            .ok_or_else(|| Skipped("no price_info (REQ-003)".into()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::fixture::*;
    use crate::expect::{Expectations, MaxCapabilityPrice, Price};
    use crate::observe::{CallError, Observation};
    use crate::proto::net::PriceInfo;

    #[test]
    fn price_001_pixels_per_unit_positive() {
        assert_passes("PRICE-001");
        assert_breaks(
            "PRICE-001",
            |o| price_mut(o).pixels_per_unit = 0,
            &["price_info.pixelsPerUnit"],
        );
    }

    #[test]
    fn price_002_price_per_unit_non_negative() {
        assert_passes("PRICE-002");
        assert_breaks(
            "PRICE-002",
            |o| price_mut(o).price_per_unit = -1,
            &["price_info.pricePerUnit"],
        );
    }

    #[test]
    fn price_003_capability_prices_valid() {
        assert_passes("PRICE-003");
        assert_breaks(
            "PRICE-003",
            |o| info_mut(o).capabilities_prices[1].pixels_per_unit = i64::MIN,
            &["capabilities_prices[1].pixelsPerUnit"],
        );
    }

    #[test]
    fn price_004_priced_capability_is_advertised() {
        assert_passes("PRICE-004");
        assert_breaks(
            "PRICE-004",
            |o| info_mut(o).capabilities_prices[1].capability = 30,
            &["capabilities_prices[1].capability"],
        );
    }

    #[test]
    fn price_005_priced_model_is_listed() {
        assert_passes("PRICE-005");
        assert_breaks(
            "PRICE-005",
            |o| info_mut(o).capabilities_prices[0].constraint = "other/model".into(),
            &["capabilities_prices[0].constraint"],
        );
    }

    #[test]
    fn price_006_no_duplicate_entries() {
        assert_passes("PRICE-006");
        assert_breaks(
            "PRICE-006",
            |o| {
                let first = info_mut(o).capabilities_prices[0].clone();
                info_mut(o).capabilities_prices.push(PriceInfo {
                    price_per_unit: 1,
                    ..first
                });
            },
            &["capabilities_prices[2]"],
        );
    }

    #[test]
    fn price_007_served_prices_are_json_integers() {
        assert_passes("PRICE-007");
        fn served(o: &mut Observation) -> &mut serde_json::Value {
            o.http.info_json.as_mut().unwrap().outcome.as_mut().unwrap()
        }
        // proto3 JSON: lowerCamelCase names and int64 as strings, reported once for all prices.
        let result = assert_breaks(
            "PRICE-007",
            |o| {
                *served(o) = json!({
                    "priceInfo": {"pricePerUnit": "1000", "pixelsPerUnit": "1"},
                    "capabilitiesPrices": [{"pricePerUnit": "30", "pixelsPerUnit": "1000000"}],
                })
            },
            &["priceInfo.pricePerUnit"],
        );
        assert_eq!(
            result.findings[0].actual,
            "string \"1000\" (proto3 JSON writes int64 as a string); 3 more price fields likewise"
        );
        assert!(result.findings[0].hint.contains("SPEC-002"));
        // Any other type is its own finding.
        assert_breaks(
            "PRICE-007",
            |o| served(o)["capabilities_prices"][1]["pixels_per_unit"] = json!(0.5),
            &["capabilities_prices[1].pixels_per_unit"],
        );
    }

    #[test]
    fn price_007_needs_served_json() {
        let expectations = Expectations::default();
        assert!(assert_skips("PRICE-007", &expectations, |o| o.http.info_json = None).contains("did not fetch"));
        let not_served = |o: &mut Observation| {
            o.http.info_json = Some(failed_call(CallError::Refused {
                status: 404,
                text: String::new(),
            }))
        };
        assert!(assert_skips("PRICE-007", &expectations, not_served).contains("HTTP status 404"));
        let no_prices =
            |o: &mut Observation| o.http.info_json = Some(answered(json!({"transcoder": "https://o:8935"})));
        assert!(assert_skips("PRICE-007", &expectations, no_prices).contains("no prices"));
    }

    #[test]
    fn price_008_prices_within_the_gateway_maximum() {
        let max = |price_per_unit, pixels_per_unit| Price {
            price_per_unit,
            pixels_per_unit,
        };
        let at_price = Expectations {
            max_price_per_unit: Some(max(3000, 3)),
            ..Default::default()
        };
        assert_passes_with("PRICE-008", &at_price, |_| {});
        let below = Expectations {
            max_price_per_unit: Some(max(999, 1)),
            ..Default::default()
        };
        assert_breaks_with("PRICE-008", &below, |_| {}, &["price_info"]);
        let per_model = Expectations {
            max_price_per_capability: vec![
                MaxCapabilityPrice {
                    pipeline: "text-to-image".into(),
                    model_id: "*".into(),
                    price: max(4_000_000, 1),
                },
                MaxCapabilityPrice {
                    pipeline: "llm".into(),
                    model_id: LLAMA.into(),
                    price: max(30, 1_000_000),
                },
            ],
            ..Default::default()
        };
        // Per model, judged on the answer to the discovery that names the model.
        assert_breaks_with(
            "PRICE-008",
            &per_model,
            |_| {},
            &["capability_discoveries[0].price_info"],
        );
        assert!(assert_skips("PRICE-008", &Expectations::default(), |_| {}).contains("maxPricePerUnit"));
    }

    #[test]
    fn price_009_a_request_naming_models_is_answered_with_their_price() {
        assert_passes("PRICE-009");
        fn answer_mut(o: &mut Observation, index: usize) -> &mut PriceInfo {
            let answer = o.grpc.capability_discoveries[index].call.outcome.as_mut().unwrap();
            answer.price_info.as_mut().unwrap()
        }
        let transcoding = assert_breaks(
            "PRICE-009",
            |o| {
                *answer_mut(o, 0) = PriceInfo {
                    price_per_unit: 1000,
                    pixels_per_unit: 1,
                    ..Default::default()
                }
            },
            &["capability_discoveries[0].price_info"],
        );
        assert!(
            transcoding.findings[0].actual.contains("the transcoding price"),
            "{transcoding:?}"
        );
        assert_breaks(
            "PRICE-009",
            |o| o.grpc.capability_discoveries[2].call = refused("Invalid orchestrator request: OrchestratorCapped"),
            &["capability_discoveries[2].price_info"],
        );
        // go-livepeer's overhead: up to 1/txCostMultiplier above the entry; 1/50 is too much.
        let adjusted = |numerator: i64| move |o: &mut Observation| answer_mut(o, 0).price_per_unit = numerator;
        assert_passes_with("PRICE-009", &Expectations::default(), adjusted(4_768_371 + 47_683));
        assert_breaks(
            "PRICE-009",
            adjusted(4_768_371 + 95_367),
            &["capability_discoveries[0].price_info"],
        );
        let exact = Expectations {
            auto_adjust_price: Some(false),
            ..Default::default()
        };
        assert_breaks_with(
            "PRICE-009",
            &exact,
            adjusted(4_768_371 + 47_683),
            &["capability_discoveries[0].price_info"],
        );
        // Free models: go-livepeer falls back to the transcoding price.
        assert_passes_with("PRICE-009", &Expectations::default(), |o| {
            info_mut(o).capabilities_prices[0].price_per_unit = 0;
            *answer_mut(o, 0) = price_mut(o).clone();
            o.grpc.capability_discoveries.truncate(1);
        });
        assert!(assert_skips("PRICE-009", &Expectations::default(), |o| o
            .grpc
            .capability_discoveries
            .clear())
        .contains("priced model"));
    }

    #[test]
    fn decimals_show_three_places() {
        let rational = |n: i64, d: i64| super::rational(n, d).unwrap();
        assert_eq!(super::decimal(&rational(3, 2)), "1.5");
        assert_eq!(super::decimal(&rational(1, 3)), "0.333…");
        assert_eq!(super::decimal(&rational(4_768_371, 1)), "4768371");
    }
}
