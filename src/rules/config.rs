//! CFG: the orchestrator advertises what its operator configured (go-livepeer
//! flags given to the harness with `--expect`). Without an expectation the
//! rule is skipped.

use std::cmp::Ordering;

use super::uri::Endpoint;
use super::verify::{capability_text, quoted, report};
use super::{Finding, Mode, Rule, Severity, Skipped};
use crate::capability;
use crate::expect::{ExpectedModel, Price};
use crate::proto::net::OrchestratorInfo;
use crate::view::address_text;

pub(super) const RULES: &[Rule] = &[CFG_001, CFG_002, CFG_003, CFG_004];

const CFG_001: Rule = Rule {
    id: "CFG-001",
    severity: Severity::Must,
    mode: Mode::All,
    text: "`-serviceURI` equals `transcoder`",
    citation: "go-livepeer: the orchestrator advertises -serviceURI as OrchestratorInfo.transcoder",
    hint: "the orchestrator runs with another -serviceURI than expected; check its command line",
    check: |ctx| {
        let expected = ctx.expectations.service_uri.as_deref();
        let expected = expected.ok_or_else(|| Skipped("no --expect serviceURI given".into()))?;
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
    mode: Mode::All,
    text: "`-pricePerUnit` / `-pixelsPerUnit` equal `price_info` (as the same rational price)",
    citation: "go-livepeer: price_info is -pricePerUnit / -pixelsPerUnit as a reduced big.Rat",
    hint: "check -pricePerUnit/-pixelsPerUnit; per-gateway prices and -autoAdjustPrice also change what a gateway sees",
    check: |ctx| {
        let expectations = ctx.expectations;
        let price_per_unit = expectations
            .price_per_unit
            .ok_or_else(|| Skipped("no --expect pricePerUnit given (pixelsPerUnit alone fixes no price)".into()))?;
        let expected = Price {
            price_per_unit,
            pixels_per_unit: expectations.pixels_per_unit.unwrap_or(1),
        };
        let advertised = Price::of(ctx.price_info()?);
        report([(advertised.compare(&expected) != Some(Ordering::Equal))
            .then(|| Finding::new("price_info", expected.to_string(), advertised.to_string()))])
    },
};

const CFG_003: Rule = Rule {
    id: "CFG-003",
    severity: Severity::Must,
    mode: Mode::All,
    text: "the expected ETH address equals `address`",
    citation: "go-livepeer: address is the -ethAddress account the orchestrator signs and is paid with",
    hint: "the orchestrator runs with another Ethereum account than expected; check -ethAddress and the keystore",
    check: |ctx| {
        let expected = ctx.expectations.address.as_ref();
        let expected = expected.ok_or_else(|| Skipped("no --expect ethAddress given".into()))?;
        let address = &ctx.info()?.address;
        report([(expected.0.as_slice() != address.as_slice())
            .then(|| Finding::new("address", expected.to_checksum(), address_text(address)))])
    },
};

const CFG_004: Rule = Rule {
    id: "CFG-004",
    severity: Severity::Must,
    mode: Mode::Ai,
    text: "each expected (pipeline, model, price) appears in `capabilities_prices`",
    citation: "go-livepeer: each aiModels.json entry is advertised as a (capability, model id) price",
    hint: "check the orchestrator's aiModels.json and that its AI workers are attached",
    check: |ctx| {
        let models = &ctx.expectations.ai_models;
        if models.is_empty() {
            return Err(Skipped("no expected AI models given".into()));
        }
        let info = ctx.info()?;
        report(models.iter().map(|model| model_price_finding(info, model)))
    },
};

/// A finding unless `info` prices the model exactly as expected.
fn model_price_finding(info: &OrchestratorInfo, model: &ExpectedModel) -> Option<Finding> {
    let expected = model.price();
    let Some(known) = capability::by_pipeline(&model.pipeline) else {
        return Some(Finding::new(
            "capabilities_prices",
            format!("({}, {:?}) at {expected}", quoted(&model.pipeline), model.model_id),
            "the pipeline is unknown to the capability table",
        ));
    };
    let entry = info
        .capabilities_prices
        .iter()
        .enumerate()
        .find(|(_, price)| price.capability == known.number && price.constraint == model.model_id);
    match entry {
        None => Some(Finding::new(
            "capabilities_prices",
            format!(
                "an entry for ({}, {:?}) at {expected}",
                capability_text(known.number),
                model.model_id
            ),
            "none",
        )),
        Some((index, price)) => (Price::of(price).compare(&expected) != Some(Ordering::Equal)).then(|| {
            Finding::new(
                format!("capabilities_prices[{index}]"),
                expected.to_string(),
                Price::of(price).to_string(),
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::*;
    use crate::eth::Address;
    use crate::expect::{Expectations, ExpectedModel};

    #[test]
    fn cfg_001_service_uri() {
        let expect = |uri: &str| Expectations {
            service_uri: Some(uri.into()),
            ..Default::default()
        };
        assert_passes_with("CFG-001", &expect("https://orch.example:8935"), |_| {});
        assert_breaks_with("CFG-001", &expect("https://orch.example:9000"), |_| {}, &["transcoder"]);
        assert!(assert_skips("CFG-001", &Expectations::default(), |_| {}).contains("serviceURI"));
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
        assert_breaks_with("CFG-002", &expect(2000, Some(1)), |_| {}, &["price_info"]);
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
            price_per_unit: price,
            pixels_per_unit: 1,
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
    }
}
