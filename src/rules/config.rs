//! CFG: the orchestrator advertises what its operator configured (go-livepeer
//! flags given to the harness with `--expect`). Without an expectation the
//! rule is skipped.

use std::cmp::Ordering;

use super::price::{decimal, rational, PriceBounds};
use super::uri::Endpoint;
use super::verify::{capability_text, quoted, report};
use super::{Finding, Mode, Rule, Severity, Skipped};
use crate::capability;
use crate::expect::{ExpectedModel, Price};
use crate::proto::net::OrchestratorInfo;
use crate::view::address_text;

pub(super) const FILE: &str = file!();

pub(super) const RULES: &[Rule] = &[CFG_001, CFG_002, CFG_003, CFG_004, CFG_005, CFG_006, CFG_007];

const CFG_001: Rule = Rule {
    id: "CFG-001",
    severity: Severity::Must,
    mode: Mode::All,
    text: "`serviceAddr` (host[:port], `https://` prepended as go-livepeer does) or `serviceURI` equals `transcoder`",
    citation: "go-livepeer cmd/livepeer/starter/starter.go getServiceURI: https:// + -serviceAddr is the transcoder",
    hint: "the orchestrator runs with another -serviceAddr than expected; check its command line",
    check: |ctx| {
        let expected = ctx.expectations.service_uri.as_deref();
        let expected = expected.ok_or_else(|| Skipped("no expected serviceAddr given".into()))?;
        let transcoder = &ctx.info()?.transcoder;
        let same = Endpoint::parse(expected)
            .ok()
            .zip(Endpoint::parse(transcoder).ok())
            .is_some_and(|(expected, advertised)| expected.same_as(&advertised));
        report([(!same).then(|| Finding::new("transcoder", quoted(expected), quoted(transcoder)))])
    },
};

const CFG_002: Rule = Rule {
    id: "CFG-002",
    severity: Severity::Must,
    mode: Mode::OnChain,
    text: "`pricePerUnit` / `pixelsPerUnit` against `price_info` as rationals: equal with `--expect autoAdjustPrice=false`; by default (go-livepeer `-autoAdjustPrice=true`) the advertised price is >= the configured one. Off-chain: skip, saying go-livepeer advertises no price off-chain. A currency price (`0.5USD`) is checked for presence only",
    citation: "go-livepeer core/orchestrator.go priceInfo: -pricePerUnit / -pixelsPerUnit, times the auto-adjust overhead",
    hint: "check -pricePerUnit/-pixelsPerUnit; per-gateway prices (-pricePerGateway) also change what a gateway sees",
    check: |ctx| {
        let expectations = ctx.expectations;
        if let Some(currency) = &expectations.price_currency {
            return report([expect_present_price(ctx, currency)?]);
        }
        let expected = expectations
            .transcoding_price()
            .ok_or_else(|| Skipped("no expected pricePerUnit given (pixelsPerUnit alone fixes no price)".into()))?;
        let advertised = Price::of(ctx.price_info()?);
        let ordering = advertised.compare(&expected);
        let (agrees, wanted) = if expectations.auto_adjusts_price() {
            (
                matches!(ordering, Some(Ordering::Equal | Ordering::Greater)),
                format!(">= {expected} (auto-adjusted, go-livepeer's default; an expected autoAdjustPrice=false checks it exactly)"),
            )
        } else {
            (ordering == Some(Ordering::Equal), expected.to_string())
        };
        report([(!agrees).then(|| Finding::new("price_info", wanted, advertised.to_string()))])
    },
};

/// A currency price has no wei value until go-livepeer converts it: one must be advertised.
fn expect_present_price(ctx: &super::Context<'_>, currency: &str) -> Result<Option<Finding>, Skipped> {
    Ok(ctx
        .info()?
        .price_info
        .is_none()
        .then(|| Finding::new("price_info", format!("a price (configured in {currency})"), "absent")))
}

const CFG_003: Rule = Rule {
    id: "CFG-003",
    severity: Severity::Must,
    mode: Mode::All,
    text: "`ethAcctAddr` equals `address`",
    citation: "go-livepeer server/rpc.go orchestratorInfoWithCaps: address is the -ethAcctAddr signing account",
    hint: "the orchestrator runs with another Ethereum account than expected; check -ethAcctAddr and the keystore",
    check: |ctx| {
        let expected = ctx.expectations.address.as_ref();
        let expected = expected.ok_or_else(|| Skipped("no expected ethAcctAddr given".into()))?;
        let address = &ctx.info()?.address;
        report([(expected.0.as_slice() != address.as_slice())
            .then(|| Finding::new("address", expected.to_checksum(), address_text(address)))])
    },
};

const CFG_004: Rule = Rule {
    id: "CFG-004",
    severity: Severity::Must,
    mode: Mode::OnChainAi,
    text: "each entry of the expected aiModels file appears in `capabilities_prices` at its price truncated to whole wei per pixel as go-livepeer advertises it; an entry without a price expects the `-pricePerUnit` fallback; an entry scoped to another gateway (`gateway` field) is not expected",
    citation: "go-livepeer core/orchestrator.go GetCapabilitiesPrices: common.PriceToInt64 of each aiModels price",
    hint: "check the orchestrator's aiModels.json (price_per_unit, pixels_per_unit, gateway)",
    check: |ctx| {
        let gateway = ctx.observation.gateway;
        let models: Vec<&ExpectedModel> = ctx
            .expectations
            .ai_models
            .iter()
            .filter(|model| {
                model.gateway.as_deref().is_none_or(|scoped| {
                    crate::eth::Address::parse(scoped).is_ok_and(|scoped| scoped == gateway)
                })
            })
            .collect();
        if models.is_empty() {
            return Err(Skipped("no expected AI models given (aiModels)".into()));
        }
        let info = ctx.info()?;
        report(models.into_iter().map(|model| model_price_finding(info, model)))
    },
};

const CFG_005: Rule = Rule {
    id: "CFG-005",
    severity: Severity::Must,
    mode: Mode::Ai,
    text: "each model the aiModels file declares `warm: true` is advertised with `warm: true`",
    citation: "go-livepeer core/capabilities.go ModelConstraints.CompatibleWith: a gateway asking for warm skips cold",
    hint: "the model's container is not running warm; check the AI worker and aiModels.json",
    check: |ctx| {
        let warm: Vec<&ExpectedModel> = ctx.expectations.ai_models.iter().filter(|model| model.warm).collect();
        if warm.is_empty() {
            return Err(Skipped("no expected warm AI models given (aiModels)".into()));
        }
        let constraints = ctx.capabilities()?.constraints.as_ref();
        report(warm.into_iter().map(|model| {
            let known = capability::by_pipeline(&model.pipeline)?;
            let advertised = constraints
                .and_then(|constraints| constraints.per_capability.get(&known.number))
                .and_then(|per_capability| per_capability.models.get(&model.model_id));
            let path = format!(
                "capabilities.constraints.PerCapability[{}].models[{:?}].warm",
                known.number, model.model_id
            );
            match advertised {
                Some(advertised) if advertised.warm => None,
                Some(_) => Some(Finding::new(path, "true", "false")),
                None => Some(Finding::new(path, "true", "the model is not listed")),
            }
        }))
    },
};

const CFG_006: Rule = Rule {
    id: "CFG-006",
    severity: Severity::Must,
    mode: Mode::OnChain,
    text: "`ethOrchAddr` equals `ticket_params.recipient`",
    citation: "go-livepeer pm/recipient.go TicketParams: the recipient is -ethOrchAddr when set",
    hint: "tickets pay another account than expected; check -ethOrchAddr",
    check: |ctx| {
        let expected = ctx.expectations.orch_address.as_ref();
        let expected = expected.ok_or_else(|| Skipped("no expected ethOrchAddr given".into()))?;
        let recipient = &ctx.ticket_params()?.recipient;
        report([(expected.0.as_slice() != recipient.as_slice()).then(|| {
            Finding::new(
                "ticket_params.recipient",
                expected.to_checksum(),
                address_text(recipient),
            )
        })])
    },
};

const CFG_007: Rule = Rule {
    id: "CFG-007",
    severity: Severity::Should,
    mode: Mode::OnChain,
    text: "with auto-adjusted prices, the overhead is at most 1/`txCostMultiplier` (default 100) plus 1/1000 wei rounding",
    citation: "go-livepeer core/orchestrator.go priceInfo: overhead = 1 + 1/txCostMultiplier, rounded to 1/1000 wei",
    hint: "the advertised price is above the configured one by more than go-livepeer's overhead; check -pricePerUnit and -pricePerGateway",
    check: |ctx| {
        let expectations = ctx.expectations;
        if !expectations.auto_adjusts_price() {
            return Err(Skipped("autoAdjustPrice=false is expected: CFG-002 checks the price exactly".into()));
        }
        let expected = expectations
            .transcoding_price()
            .ok_or_else(|| Skipped("no expected pricePerUnit given".into()))?;
        let price = ctx.price_info()?;
        let (Some(configured), Some(advertised)) = (
            rational(expected.price_per_unit, expected.pixels_per_unit),
            rational(price.price_per_unit, price.pixels_per_unit),
        ) else {
            return Err(Skipped("price_info has no positive pixelsPerUnit (PRICE-001)".into()));
        };
        let bounds = PriceBounds::around(&configured, 0, expectations);
        report([(advertised > bounds.high).then(|| {
            Finding::new(
                "price_info",
                format!(
                    "at most {} wei per pixel ({expected} plus 1/{} and rounding)",
                    decimal(&bounds.high),
                    expectations.tx_cost_multiplier()
                ),
                Price::of(price).to_string(),
            )
        })])
    },
};

/// A finding unless `info` prices the model as go-livepeer advertises its configured price.
fn model_price_finding(info: &OrchestratorInfo, model: &ExpectedModel) -> Option<Finding> {
    let expected = model.price.and_then(|price| price.truncated());
    let expected_text = expected.map_or("a price (currency or fallback: presence only)".to_string(), |price| {
        price.to_string()
    });
    let Some(known) = capability::by_pipeline(&model.pipeline) else {
        return Some(Finding::new(
            "capabilities_prices",
            format!("({}, {:?}) at {expected_text}", quoted(&model.pipeline), model.model_id),
            "the pipeline is unknown to the capability table",
        ));
    };
    let entry = info
        .capabilities_prices
        .iter()
        .enumerate()
        .find(|(_, price)| price.capability == known.number && price.constraint == model.model_id);
    match (entry, expected) {
        (None, _) => Some(Finding::new(
            "capabilities_prices",
            format!(
                "an entry for ({}, {:?}) at {expected_text}",
                capability_text(known.number),
                model.model_id
            ),
            "none",
        )),
        (Some(_), None) => None,
        (Some((index, price)), Some(expected)) => {
            (Price::of(price).compare(&expected) != Some(Ordering::Equal)).then(|| {
                Finding::new(
                    format!("capabilities_prices[{index}]"),
                    format!("{expected} (truncated to whole wei per pixel)"),
                    Price::of(price).to_string(),
                )
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::*;
    use crate::eth::Address;
    use crate::expect::{Expectations, ExpectedModel, Price};

    #[test]
    fn cfg_001_service_uri() {
        let expect = |uri: &str| Expectations {
            service_uri: Some(uri.into()),
            ..Default::default()
        };
        assert_passes_with("CFG-001", &expect("https://orch.example:8935"), |_| {});
        assert_breaks_with("CFG-001", &expect("https://orch.example:9000"), |_| {}, &["transcoder"]);
        assert!(assert_skips("CFG-001", &Expectations::default(), |_| {}).contains("serviceAddr"));
    }

    #[test]
    fn cfg_002_price_as_the_same_rational() {
        let expect = |price, pixels| Expectations {
            price_per_unit: Some(price),
            pixels_per_unit: pixels,
            ..Default::default()
        };
        assert_passes_with("CFG-002", &expect(1000, None), |_| {});
        assert_passes_with("CFG-002", &expect(3000, Some(3)), |_| {});
        // Auto-adjusted (go-livepeer's default): above the configured price passes, below fails.
        assert_passes_with("CFG-002", &expect(999, Some(1)), |_| {});
        assert_breaks_with("CFG-002", &expect(2000, Some(1)), |_| {}, &["price_info"]);
        let exact = Expectations {
            auto_adjust_price: Some(false),
            ..expect(999, Some(1))
        };
        assert_breaks_with("CFG-002", &exact, |_| {}, &["price_info"]);
        let currency = Expectations {
            price_currency: Some("USD".into()),
            ..Default::default()
        };
        assert_passes_with("CFG-002", &currency, |_| {});
        assert_breaks_with("CFG-002", &currency, |o| info_mut(o).price_info = None, &["price_info"]);
        let offchain = |o: &mut crate::observe::Observation| *o = offchain_observation();
        assert!(assert_skips("CFG-002", &expect(1, None), offchain).contains("onchain"));
        assert_breaks_with(
            "CFG-002",
            &expect(1000, None),
            |o| price_mut(o).pixels_per_unit = 0,
            &["price_info"],
        );
    }

    #[test]
    fn cfg_003_eth_address() {
        let expect = |address| Expectations {
            address: Some(address),
            ..Default::default()
        };
        assert_passes_with("CFG-003", &expect(orchestrator_address()), |_| {});
        assert_breaks_with("CFG-003", &expect(Address([0x12; 20])), |_| {}, &["address"]);
    }

    #[test]
    fn cfg_004_expected_models_priced() {
        let model = |pipeline: &str, model_id: &str, price| ExpectedModel {
            pipeline: pipeline.into(),
            model_id: model_id.into(),
            warm: false,
            price: Some(Price {
                price_per_unit: price,
                pixels_per_unit: 1,
            }),
            gateway: None,
        };
        let expect = |models| Expectations {
            ai_models: models,
            ..Default::default()
        };
        assert_passes_with(
            "CFG-004",
            &expect(vec![model("text-to-image", SD_TURBO, 4_768_371)]),
            |_| {},
        );
        assert_breaks_with(
            "CFG-004",
            &expect(vec![
                model("text-to-image", SD_TURBO, 1),
                model("llm", "other/model", 1),
                model("painting", "x", 1),
            ]),
            |_| {},
            &["capabilities_prices[0]", "capabilities_prices", "capabilities_prices"],
        );
        // Advertised truncated to whole wei per pixel: 9536742/2 is 4768371.
        let halves = ExpectedModel {
            price: Some(Price {
                price_per_unit: 9_536_743,
                pixels_per_unit: 2,
            }),
            ..model("text-to-image", SD_TURBO, 0)
        };
        assert_passes_with("CFG-004", &expect(vec![halves]), |_| {});
        // Scoped to another gateway: not expected here.
        let elsewhere = ExpectedModel {
            gateway: Some("0x1111111111111111111111111111111111111111".into()),
            ..model("llm", "other/model", 1)
        };
        assert!(assert_skips("CFG-004", &expect(vec![elsewhere]), |_| {}).contains("aiModels"));
    }

    #[test]
    fn cfg_005_warm_models_advertised_warm() {
        let warm = ExpectedModel {
            pipeline: "llm".into(),
            model_id: LLAMA.into(),
            warm: true,
            price: None,
            gateway: None,
        };
        let expect = Expectations {
            ai_models: vec![warm],
            ..Default::default()
        };
        assert_passes_with("CFG-005", &expect, |_| {});
        let path = format!("capabilities.constraints.PerCapability[33].models[{LLAMA:?}].warm");
        assert_breaks_with(
            "CFG-005",
            &expect,
            |o| {
                let constraints = capabilities_mut(o).constraints.as_mut().unwrap();
                let models = &mut constraints.per_capability.get_mut(&LLM).unwrap().models;
                models.get_mut(LLAMA).unwrap().warm = false;
            },
            &[&path],
        );
    }

    #[test]
    fn cfg_006_ticket_recipient() {
        let expect = |address| Expectations {
            orch_address: Some(address),
            ..Default::default()
        };
        assert_passes_with("CFG-006", &expect(orchestrator_address()), |_| {});
        assert_breaks_with(
            "CFG-006",
            &expect(Address([0x12; 20])),
            |_| {},
            &["ticket_params.recipient"],
        );
    }

    #[test]
    fn cfg_007_auto_adjust_overhead_is_bounded() {
        let expect = |price| Expectations {
            price_per_unit: Some(price),
            ..Default::default()
        };
        // 1000 advertised against 991 configured: 1/100 overhead is 9.91, within it.
        assert_passes_with("CFG-007", &expect(991), |_| {});
        assert_breaks_with("CFG-007", &expect(980), |_| {}, &["price_info"]);
        let exact = Expectations {
            auto_adjust_price: Some(false),
            ..expect(980)
        };
        assert!(assert_skips("CFG-007", &exact, |_| {}).contains("autoAdjustPrice"));
    }
}
