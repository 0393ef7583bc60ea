//! Operator expectations: what the orchestrator under test was configured
//! with (go-livepeer flag names) and the limits a gateway would apply, parsed
//! once from `--expect key=value` strings into typed values the rules compare.
//! Keys match ignoring case, like their `LPCONFORM_EXPECT_*` form.
//!
//! Every key is one entry of [`KEYS`]: its name, the v1 names that stay accepted, the value it
//! takes and how that value is read. Parsing, the environment variables, the `--expect` help
//! and the unknown-key error all read that table.

mod keys;
mod values;

use std::cmp::Ordering;
use std::fmt;
use std::time::Duration;

use num_bigint::BigUint;

pub use keys::{flags_from_env, key_list, key_table, ExpectKey, KEYS};

use crate::ai_models::{AiModel, PriceSource};
use crate::eth::Address;
use crate::proto::net::PriceInfo;
use keys::{key_named, spelled_names, Parsing};

/// go-livepeer's default `-maxTicketEV`, in wei.
pub const DEFAULT_MAX_TICKET_EV_WEI: u64 = 3_000_000_000_000;
/// go-livepeer's default `-txCostMultiplier`.
pub const DEFAULT_TX_COST_MULTIPLIER: u64 = 100;
/// go-livepeer's default gateway `-discoveryTimeout`.
pub const DEFAULT_DISCOVERY_TIMEOUT: Duration = Duration::from_millis(500);

/// A price as gateways see it: the exact rational pricePerUnit / pixelsPerUnit wei per pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price {
    pub price_per_unit: i64,
    pub pixels_per_unit: i64,
}

impl Price {
    pub fn of(info: &PriceInfo) -> Self {
        Self {
            price_per_unit: info.price_per_unit,
            pixels_per_unit: info.pixels_per_unit,
        }
    }

    /// Compares the two rationals exactly; `None` when a denominator is not
    /// positive, because such a price has no value a gateway could compute.
    pub fn compare(&self, other: &Price) -> Option<Ordering> {
        if self.pixels_per_unit <= 0 || other.pixels_per_unit <= 0 {
            return None;
        }
        let left = i128::from(self.price_per_unit) * i128::from(other.pixels_per_unit);
        let right = i128::from(other.price_per_unit) * i128::from(self.pixels_per_unit);
        Some(left.cmp(&right))
    }

    /// Whole wei per pixel, truncated, over 1: what go-livepeer advertises in
    /// `capabilities_prices` (`common.PriceToInt64`). `None` without a positive denominator.
    pub fn truncated(&self) -> Option<Price> {
        (self.pixels_per_unit > 0).then(|| Price {
            price_per_unit: self.price_per_unit / self.pixels_per_unit,
            pixels_per_unit: 1,
        })
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{} wei per pixel", self.price_per_unit, self.pixels_per_unit)
    }
}

/// One model the operator configured (an aiModels.json entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedModel {
    pub pipeline: String,
    pub model_id: String,
    pub warm: bool,
    /// The configured wei price; `None` when it is a currency amount (or falls back to a
    /// `-pricePerUnit` that was not given): CFG-004 then checks presence only.
    pub price: Option<Price>,
    /// The gateway address the price is scoped to, when it is not the default price.
    pub gateway: Option<String>,
}

impl ExpectedModel {
    /// The entry as expected, its missing price (or pixel count) falling back to `fallback`
    /// (`-pricePerUnit` / `-pixelsPerUnit`), as go-livepeer falls back; without a declared price
    /// only entries that need no fallback have an expected price, pixels defaulting to
    /// go-livepeer's `-pixelsPerUnit` default of 1.
    pub fn of(model: &AiModel, fallback: Option<Price>) -> Self {
        let price = match fallback {
            Some(base) => model.price_per_pixel(base.price_per_unit, base.pixels_per_unit),
            None if model.price_source == PriceSource::Wei => model.price_per_pixel(0, 1),
            None => None,
        }
        .map(|(price_per_unit, pixels_per_unit)| Price {
            price_per_unit,
            pixels_per_unit,
        });
        Self {
            pipeline: model.pipeline.clone(),
            model_id: model.model_id.clone(),
            warm: model.warm,
            price,
            gateway: model.gateway.clone(),
        }
    }
}

/// A gateway's price ceiling for one pipeline and model (`*` = every model).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaxCapabilityPrice {
    pub pipeline: String,
    pub model_id: String,
    pub price: Price,
}

impl MaxCapabilityPrice {
    /// The model id that stands for every model of the pipeline.
    pub const ANY_MODEL: &'static str = "*";

    pub fn matches(&self, pipeline: &str, model_id: &str) -> bool {
        self.pipeline == pipeline && (self.model_id == Self::ANY_MODEL || self.model_id == model_id)
    }
}

/// A gateway's minimum runner version, for every model or for one (pipeline, model).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinRunnerVersion {
    /// `None`: every model.
    pub model: Option<(String, String)>,
    pub version: String,
}

/// What the operator says the orchestrator should advertise, and the limits
/// of the gateways it must serve. Absent values leave their rules skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expectations {
    /// `serviceAddr` as the URL go-livepeer advertises for it.
    pub service_uri: Option<String>,
    /// `pricePerUnit` in wei.
    pub price_per_unit: Option<i64>,
    /// `pricePerUnit` given as a currency amount (`0.5USD`): a price must be present, its wei unknown.
    pub price_currency: Option<String>,
    pub pixels_per_unit: Option<i64>,
    /// `autoAdjustPrice`; `None` is go-livepeer's default, true.
    pub auto_adjust_price: Option<bool>,
    /// `txCostMultiplier`; `None` is go-livepeer's default, 100.
    pub tx_cost_multiplier: Option<u64>,
    /// `ethAcctAddr`: the account the orchestrator signs with and advertises as `address`.
    pub address: Option<Address>,
    /// `ethOrchAddr`: the account tickets pay.
    pub orch_address: Option<Address>,
    pub ai_models: Vec<ExpectedModel>,
    pub orch_min_version: Option<String>,
    pub ai_min_runner_versions: Vec<MinRunnerVersion>,
    pub l1_block: Option<u64>,
    /// `None` is go-livepeer's default, see [`Expectations::discovery_timeout`].
    pub discovery_timeout: Option<Duration>,
    pub max_price_per_unit: Option<Price>,
    pub max_price_per_capability: Vec<MaxCapabilityPrice>,
    /// `None` means go-livepeer's default, see [`Expectations::ticket_ev_limit`].
    pub max_ticket_ev: Option<BigUint>,
    pub max_face_value: Option<BigUint>,
    /// The ticket recipient is a pool or redeemer, not the orchestrator's address.
    pub pool: bool,
}

/// An expectation (`key=value`) that cannot be used, saying what and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpectError {
    #[error("{given}: expected key=value")]
    NotKeyValue { given: String },
    #[error("{key}: unknown key; known keys: {}", spelled_names().collect::<Vec<_>>().join(", "))]
    UnknownKey { key: String },
    #[error("{key}={value}: {problem}")]
    Invalid {
        key: String,
        value: String,
        problem: String,
    },
    #[error("{key} given twice")]
    Repeated { key: String },
}

impl Expectations {
    /// Parses `key=value` strings; every key but `maxPricePerCapability` may appear once.
    pub fn parse_flags(flags: &[String]) -> Result<Expectations, ExpectError> {
        let mut parsing = Parsing::default();
        let mut seen: Vec<&str> = Vec::new();
        for flag in flags {
            let (name, value) = flag
                .split_once('=')
                .ok_or_else(|| ExpectError::NotKeyValue { given: flag.clone() })?;
            let (key, _) = key_named(name).ok_or_else(|| ExpectError::UnknownKey { key: name.to_string() })?;
            if !key.repeatable {
                if seen.contains(&key.name) {
                    return Err(ExpectError::Repeated { key: name.to_string() });
                }
                seen.push(key.name);
            }
            (key.read)(&mut parsing, value).map_err(|problem| ExpectError::Invalid {
                key: name.to_string(),
                value: value.to_string(),
                problem,
            })?;
        }
        let Parsing {
            mut expectations,
            max_price,
            models,
        } = parsing;
        expectations.max_price_per_unit = max_price.map(|(price_per_unit, pixels)| Price {
            price_per_unit,
            pixels_per_unit: pixels.or(expectations.pixels_per_unit).unwrap_or(1),
        });
        let fallback = expectations.transcoding_price();
        expectations.ai_models = models
            .unwrap_or_default()
            .iter()
            .map(|model| ExpectedModel::of(model, fallback))
            .collect();
        Ok(expectations)
    }

    /// `pricePerUnit` / `pixelsPerUnit` in wei, when the price was given in wei.
    pub fn transcoding_price(&self) -> Option<Price> {
        self.price_per_unit.map(|price_per_unit| Price {
            price_per_unit,
            pixels_per_unit: self.pixels_per_unit.unwrap_or(1),
        })
    }

    /// Whether advertised prices carry go-livepeer's auto-adjust overhead (its default).
    pub fn auto_adjusts_price(&self) -> bool {
        self.auto_adjust_price.unwrap_or(true)
    }

    pub fn tx_cost_multiplier(&self) -> u64 {
        self.tx_cost_multiplier.unwrap_or(DEFAULT_TX_COST_MULTIPLIER)
    }

    pub fn discovery_timeout(&self) -> Duration {
        self.discovery_timeout.unwrap_or(DEFAULT_DISCOVERY_TIMEOUT)
    }

    /// The gateway's maximum ticket expected value in wei.
    pub fn ticket_ev_limit(&self) -> BigUint {
        self.max_ticket_ev
            .clone()
            .unwrap_or_else(|| BigUint::from(DEFAULT_MAX_TICKET_EV_WEI))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(flags: &[&str]) -> Result<Expectations, ExpectError> {
        Expectations::parse_flags(&flags.iter().map(|flag| flag.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn numbers_past_their_type_are_named_too_large_or_too_small() {
        let problem = |flag: &str| match parse(&[flag]) {
            Err(ExpectError::Invalid { problem, .. }) => problem,
            other => panic!("{flag}: {other:?}"),
        };
        assert_eq!(
            problem("pricePerUnit=9223372036854775808"),
            "too large: at most 9223372036854775807"
        );
        assert_eq!(
            problem("pixelsPerUnit=-9223372036854775809"),
            "too small: at least -9223372036854775808"
        );
        assert_eq!(
            problem("maxPricePerUnit=1/99999999999999999999"),
            "too large: at most 9223372036854775807"
        );
        assert_eq!(
            problem("maxPricePerCapability=llm:99999999999999999999"),
            "too large: at most 9223372036854775807"
        );
        assert_eq!(
            problem("l1Block=18446744073709551616"),
            "too large: at most 18446744073709551615"
        );
        assert_eq!(problem("pixelsPerUnit=many"), "not an integer");
        assert_eq!(problem("l1Block=-1"), "not a block number (integer >= 0)");
        assert!(parse(&["pricePerUnit=9223372036854775807", "l1Block=18446744073709551615"]).is_ok());
    }

    #[test]
    fn go_livepeer_flag_names_parse_into_typed_values() {
        let expectations = parse(&[
            "serviceAddr=orch.example:8935",
            "pricePerUnit=1000",
            "pixelsPerUnit=3",
            "address=0x2c7536E3605D9C16a7a3D7b1898e529396a65c23",
            "maxPricePerUnit=1200",
            "maxPricePerCapability=text-to-image/stabilityai/sd-turbo:5/2",
            "maxPricePerCapability=llm:7",
            "maxTicketEV=100",
            "maxFaceValue=20000000000000000000000000000",
            "pool=true",
            "autoAdjustPrice=false",
            "txCostMultiplier=50",
            "ethOrchAddr=0x1111111111111111111111111111111111111111",
            "orchMinLivepeerVersion=0.9.1",
            "aiMinRunnerVersion=0.14.0",
            "l1Block=21000000",
            "discoveryTimeout=750ms",
        ])
        .unwrap();
        assert_eq!(
            (
                expectations.auto_adjusts_price(),
                expectations.tx_cost_multiplier(),
                expectations.l1_block,
                expectations.discovery_timeout()
            ),
            (false, 50, Some(21_000_000), Duration::from_millis(750))
        );
        assert_eq!(expectations.orch_address, Some(Address([0x11; 20])));
        assert_eq!(expectations.orch_min_version.as_deref(), Some("0.9.1"));
        assert_eq!(
            expectations.ai_min_runner_versions,
            [MinRunnerVersion {
                model: None,
                version: "0.14.0".into()
            }]
        );
        assert_eq!(expectations.service_uri.as_deref(), Some("https://orch.example:8935"));
        assert_eq!(
            (expectations.price_per_unit, expectations.pixels_per_unit),
            (Some(1000), Some(3))
        );
        assert_eq!(
            expectations.address.map(|address| address.to_checksum()).as_deref(),
            Some("0x2c7536E3605D9C16a7a3D7b1898e529396a65c23")
        );
        assert_eq!(
            expectations.max_price_per_unit,
            Some(Price {
                price_per_unit: 1200,
                pixels_per_unit: 3
            }),
            "maxPricePerUnit takes the pixelsPerUnit denominator, as a gateway does"
        );
        assert_eq!(
            expectations.max_price_per_capability,
            [
                MaxCapabilityPrice {
                    pipeline: "text-to-image".into(),
                    model_id: "stabilityai/sd-turbo".into(),
                    price: Price {
                        price_per_unit: 5,
                        pixels_per_unit: 2
                    },
                },
                MaxCapabilityPrice {
                    pipeline: "llm".into(),
                    model_id: "*".into(),
                    price: Price {
                        price_per_unit: 7,
                        pixels_per_unit: 1
                    },
                },
            ]
        );
        assert_eq!(expectations.ticket_ev_limit(), BigUint::from(100u32));
        assert_eq!(
            expectations.max_face_value.unwrap().to_string(),
            "20000000000000000000000000000"
        );
        assert!(expectations.pool);
    }

    #[test]
    fn defaults_follow_go_livepeer() {
        let expectations = parse(&["maxPricePerUnit=10"]).unwrap();
        assert_eq!(
            expectations.max_price_per_unit,
            Some(Price {
                price_per_unit: 10,
                pixels_per_unit: 1
            })
        );
        assert_eq!(expectations.ticket_ev_limit(), BigUint::from(DEFAULT_MAX_TICKET_EV_WEI));
        assert!(!expectations.pool);
        assert!(expectations.auto_adjusts_price());
        assert_eq!(expectations.tx_cost_multiplier(), DEFAULT_TX_COST_MULTIPLIER);
        assert_eq!(expectations.discovery_timeout(), DEFAULT_DISCOVERY_TIMEOUT);
        let explicit = parse(&["pixelsPerUnit=4", "maxPricePerUnit=10/5"]).unwrap();
        assert_eq!(
            explicit.max_price_per_unit,
            Some(Price {
                price_per_unit: 10,
                pixels_per_unit: 5
            })
        );
    }

    #[test]
    fn model_ids_may_contain_colons_and_slashes() {
        let limit = &parse(&["maxPricePerCapability=llm/org/llama3.1:8b:9/4"])
            .unwrap()
            .max_price_per_capability[0];
        assert_eq!(
            (limit.pipeline.as_str(), limit.model_id.as_str()),
            ("llm", "org/llama3.1:8b")
        );
        assert_eq!(
            limit.price,
            Price {
                price_per_unit: 9,
                pixels_per_unit: 4
            }
        );
        assert!(limit.matches("llm", "org/llama3.1:8b") && !limit.matches("llm", "other"));
    }

    #[test]
    fn errors_name_the_key_and_the_problem() {
        let message = |flags: &[&str]| parse(flags).unwrap_err().to_string();
        assert_eq!(message(&["pixelsPerUnit=abc"]), "pixelsPerUnit=abc: not an integer");
        assert_eq!(
            message(&["pixelsPerUnit=0"]),
            "pixelsPerUnit=0: must be positive (go-livepeer refuses pixelsPerUnit <= 0)"
        );
        assert_eq!(message(&["pricePerUnit=-1"]), "pricePerUnit=-1: must not be negative");
        assert_eq!(message(&["pool"]), "pool: expected key=value");
        assert_eq!(message(&["pool=yes"]), "pool=yes: expected true or false");
        assert_eq!(
            message(&["maxTicketEV=1e12"]),
            "maxTicketEV=1e12: not a non-negative integer (wei)"
        );
        assert_eq!(
            message(&["ethAddress=0x12"]),
            "ethAddress=0x12: address is 1 bytes, expected 20"
        );
        assert_eq!(
            message(&["serviceAddr=orch example"]),
            "serviceAddr=orch example: not a URL"
        );
        assert_eq!(
            message(&["orchMinLivepeerVersion=latest"]),
            "orchMinLivepeerVersion=latest: not a version (e.g. 0.9.1)"
        );
        assert!(
            message(&["aiMinRunnerVersion=[{\"pipeline\":\"llm\",\"model_id\":\"m\",\"minVersion\":\"x\"}]"])
                .contains("[0].minVersion: not a version")
        );
        assert_eq!(
            message(&["serviceURI=a.example", "serviceAddr=b.example"]),
            "serviceAddr given twice"
        );
        assert!(message(&["maxPricePerCapability=painting/x:1"]).contains("unknown AI pipeline"));
        assert_eq!(
            message(&["pricePerUnit=1", "pricePerUnit=2"]),
            "pricePerUnit given twice"
        );
        let unknown = message(&["pricePerPixel=1"]);
        assert!(unknown.starts_with("pricePerPixel: unknown key; known keys: serviceAddr, pricePerUnit"));
    }

    #[test]
    fn keys_ignore_case_and_v1_names_stay_aliases() {
        let expectations = parse(&[
            "PRICEPERUNIT=7",
            "serviceURI=https://orch.example:8935",
            "ethAddress=0x2c7536E3605D9C16a7a3D7b1898e529396a65c23",
        ])
        .unwrap();
        assert_eq!(expectations.price_per_unit, Some(7));
        assert_eq!(expectations.service_uri.as_deref(), Some("https://orch.example:8935"));
        assert!(expectations.address.is_some());
        let currency = parse(&["pricePerUnit=0.5USD"]).unwrap();
        assert_eq!(
            (currency.price_per_unit, currency.price_currency.as_deref()),
            (None, Some("USD"))
        );
        let json = parse(&[r#"aiMinRunnerVersion=[{"pipeline":"llm","model_id":"m","minVersion":"v0.2"}]"#]).unwrap();
        assert_eq!(json.ai_min_runner_versions[0].model, Some(("llm".into(), "m".into())));
    }

    #[test]
    fn prices_compare_as_exact_rationals() {
        let price = |price_per_unit, pixels_per_unit| Price {
            price_per_unit,
            pixels_per_unit,
        };
        assert_eq!(price(1000, 1).compare(&price(3000, 3)), Some(Ordering::Equal));
        assert_eq!(price(i64::MAX, 1).compare(&price(i64::MAX, 2)), Some(Ordering::Greater));
        assert_eq!(price(i64::MIN, 1).compare(&price(0, i64::MAX)), Some(Ordering::Less));
        assert_eq!(price(1, 0).compare(&price(1, 1)), None);
        assert_eq!(price(1000, 1).to_string(), "1000/1 wei per pixel");
        assert_eq!(price(3, 2).truncated(), Some(price(1, 1)));
        assert_eq!(price(30, 1_000_000).truncated(), Some(price(0, 1)));
    }

    #[test]
    fn ai_models_file_becomes_expected_prices() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/aiModels.json");
        let expectations = parse(&[&format!("aiModels={path}")]).unwrap();
        assert_eq!(expectations.ai_models.len(), 3);
        assert_eq!(expectations.ai_models[2].pipeline, "llm");
        assert_eq!(
            expectations.ai_models[2].price,
            Some(Price {
                price_per_unit: 180_000_000,
                pixels_per_unit: 1
            })
        );
        let missing = parse(&["aiModels=/nonexistent/aiModels.json"]).unwrap_err().to_string();
        assert!(
            missing.starts_with("aiModels=/nonexistent/aiModels.json: "),
            "{missing}"
        );
    }
}
