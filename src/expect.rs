//! Operator expectations: what the orchestrator under test was configured
//! with (go-livepeer flag names) and the limits a gateway would apply, parsed
//! once from `--expect key=value` strings into typed values the rules compare.
//!
//! Keys and value syntax:
//!
//! | key | value |
//! |---|---|
//! | `serviceURI` | absolute URL, e.g. `https://orch.example:8935` |
//! | `pricePerUnit` | wei, integer >= 0 |
//! | `pixelsPerUnit` | integer > 0 (go-livepeer's default is 1) |
//! | `ethAddress` (alias `address`) | 20-byte hex address, `0x` optional |
//! | `maxPricePerUnit` | `PRICE` or `PRICE/PIXELS`; without `/PIXELS` the `pixelsPerUnit` expectation (else 1) is the denominator, as in go-livepeer's gateway |
//! | `maxPricePerCapability` | `PIPELINE/MODEL:PRICE[/PIXELS]` or `PIPELINE:PRICE[/PIXELS]` (any model; same as model `*`); repeatable. The price follows the last `:`, so model ids may contain `/` and `:` |
//! | `maxTicketEV` | wei, integer >= 0 (default 3000000000000, go-livepeer's `-maxTicketEV`) |
//! | `maxFaceValue` | wei, integer >= 0 |
//! | `aiModels` | path of an aiModels.json file: every (pipeline, model, price) in it must be advertised (CFG-004) |
//! | `pool` | `true` or `false`: ticket recipient may differ from the address (pool or redeemer) |

use std::cmp::Ordering;
use std::fmt;
use std::path::Path;

use num_bigint::BigUint;

use crate::ai_models::{load_ai_models, AiModel};
use crate::capability;
use crate::eth::Address;
use crate::proto::net::PriceInfo;

/// go-livepeer's default `-maxTicketEV`, in wei.
pub const DEFAULT_MAX_TICKET_EV_WEI: u64 = 3_000_000_000_000;

/// Every key `--expect` accepts, in the order the help lists them.
pub const KNOWN_KEYS: &[&str] = &[
    "serviceURI",
    "pricePerUnit",
    "pixelsPerUnit",
    "ethAddress",
    "address",
    "maxPricePerUnit",
    "maxPricePerCapability",
    "maxTicketEV",
    "maxFaceValue",
    "aiModels",
    "pool",
];

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
    pub price_per_unit: i64,
    pub pixels_per_unit: i64,
}

impl From<&AiModel> for ExpectedModel {
    fn from(model: &AiModel) -> Self {
        Self {
            pipeline: model.pipeline.clone(),
            model_id: model.model_id.clone(),
            price_per_unit: model.price_per_unit,
            pixels_per_unit: model.pixels_per_unit,
        }
    }
}

impl ExpectedModel {
    pub fn price(&self) -> Price {
        Price {
            price_per_unit: self.price_per_unit,
            pixels_per_unit: self.pixels_per_unit,
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

/// What the operator says the orchestrator should advertise, and the limits
/// of the gateways it must serve. Absent values leave their rules skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expectations {
    pub service_uri: Option<String>,
    pub price_per_unit: Option<i64>,
    pub pixels_per_unit: Option<i64>,
    pub address: Option<Address>,
    pub ai_models: Vec<ExpectedModel>,
    pub max_price_per_unit: Option<Price>,
    pub max_price_per_capability: Vec<MaxCapabilityPrice>,
    /// `None` means go-livepeer's default, see [`Expectations::ticket_ev_limit`].
    pub max_ticket_ev: Option<BigUint>,
    pub max_face_value: Option<BigUint>,
    /// The ticket recipient is a pool or redeemer, not the orchestrator's address.
    pub pool: bool,
}

/// A `--expect` string that cannot be used, naming the flag and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpectError {
    #[error("--expect {given}: expected key=value")]
    NotKeyValue { given: String },
    #[error("--expect {key}: unknown key; known keys: {}", KNOWN_KEYS.join(", "))]
    UnknownKey { key: String },
    #[error("--expect {key}={value}: {problem}")]
    Invalid {
        key: String,
        value: String,
        problem: String,
    },
    #[error("--expect {key} given twice")]
    Repeated { key: String },
}

/// `--expect` flags from `LPCONFORM_EXPECT_<KEY>=value` variables, the key
/// matched to a known key ignoring case (`LPCONFORM_EXPECT_PRICEPERUNIT`).
pub fn flags_from_env(vars: impl IntoIterator<Item = (String, String)>) -> Vec<String> {
    let mut flags: Vec<String> = vars
        .into_iter()
        .filter_map(|(name, value)| {
            let key = name.strip_prefix("LPCONFORM_EXPECT_")?;
            let known = KNOWN_KEYS.iter().find(|known| known.eq_ignore_ascii_case(key))?;
            Some(format!("{known}={value}"))
        })
        .collect();
    flags.sort();
    flags
}

impl Expectations {
    /// Parses `key=value` strings; every key but `maxPricePerCapability` may appear once.
    pub fn parse_flags(flags: &[String]) -> Result<Expectations, ExpectError> {
        let mut expectations = Expectations::default();
        let mut max_price: Option<(i64, Option<i64>)> = None;
        let mut seen: Vec<&str> = Vec::new();
        for flag in flags {
            let (key, value) = flag
                .split_once('=')
                .ok_or_else(|| ExpectError::NotKeyValue { given: flag.clone() })?;
            let canonical = match key {
                "address" => "ethAddress",
                other => other,
            };
            if !KNOWN_KEYS.contains(&canonical) {
                return Err(ExpectError::UnknownKey { key: key.to_string() });
            }
            if canonical != "maxPricePerCapability" {
                if seen.contains(&canonical) {
                    return Err(ExpectError::Repeated { key: key.to_string() });
                }
                seen.push(canonical);
            }
            let invalid = |problem: &str| ExpectError::Invalid {
                key: key.to_string(),
                value: value.to_string(),
                problem: problem.to_string(),
            };
            match canonical {
                "serviceURI" => expectations.service_uri = Some(parse_service_uri(value).map_err(invalid)?),
                "pricePerUnit" => expectations.price_per_unit = Some(parse_non_negative(value).map_err(invalid)?),
                "pixelsPerUnit" => expectations.pixels_per_unit = Some(parse_positive(value).map_err(invalid)?),
                "ethAddress" => {
                    let address = Address::parse(value).map_err(|error| invalid(&error.to_string()))?;
                    expectations.address = Some(address);
                }
                "maxPricePerUnit" => max_price = Some(parse_price(value).map_err(invalid)?),
                "maxPricePerCapability" => {
                    let limit = parse_capability_price(value).map_err(invalid)?;
                    expectations.max_price_per_capability.push(limit);
                }
                "maxTicketEV" => expectations.max_ticket_ev = Some(parse_wei(value).map_err(invalid)?),
                "maxFaceValue" => expectations.max_face_value = Some(parse_wei(value).map_err(invalid)?),
                "aiModels" => {
                    let models = load_ai_models(Path::new(value)).map_err(|error| invalid(&error.to_string()))?;
                    expectations.ai_models = models.iter().map(ExpectedModel::from).collect();
                }
                "pool" => expectations.pool = parse_bool(value).map_err(invalid)?,
                _ => return Err(ExpectError::UnknownKey { key: key.to_string() }),
            }
        }
        expectations.max_price_per_unit = max_price.map(|(price_per_unit, pixels)| Price {
            price_per_unit,
            pixels_per_unit: pixels.or(expectations.pixels_per_unit).unwrap_or(1),
        });
        Ok(expectations)
    }

    /// The gateway's maximum ticket expected value in wei.
    pub fn ticket_ev_limit(&self) -> BigUint {
        self.max_ticket_ev
            .clone()
            .unwrap_or_else(|| BigUint::from(DEFAULT_MAX_TICKET_EV_WEI))
    }
}

fn parse_service_uri(value: &str) -> Result<String, &'static str> {
    let uri: http::Uri = value.parse().map_err(|_| "not a URL")?;
    match (uri.scheme(), uri.host()) {
        (Some(_), Some(_)) => Ok(value.to_string()),
        _ => Err("not an absolute URL (expected scheme://host:port)"),
    }
}

fn parse_integer(value: &str) -> Result<i64, &'static str> {
    value.parse::<i64>().map_err(|_| "not an integer")
}

fn parse_non_negative(value: &str) -> Result<i64, &'static str> {
    match parse_integer(value)? {
        negative if negative < 0 => Err("must not be negative"),
        number => Ok(number),
    }
}

fn parse_positive(value: &str) -> Result<i64, &'static str> {
    match parse_integer(value)? {
        not_positive if not_positive <= 0 => Err("must be positive (go-livepeer refuses pixelsPerUnit <= 0)"),
        number => Ok(number),
    }
}

/// `PRICE` or `PRICE/PIXELS`.
fn parse_price(value: &str) -> Result<(i64, Option<i64>), &'static str> {
    match value.split_once('/') {
        Some((price, pixels)) => Ok((parse_non_negative(price)?, Some(parse_positive(pixels)?))),
        None => Ok((parse_non_negative(value)?, None)),
    }
}

/// `PIPELINE[/MODEL]:PRICE[/PIXELS]`.
fn parse_capability_price(value: &str) -> Result<MaxCapabilityPrice, &'static str> {
    let (selector, price) = value.rsplit_once(':').ok_or("expected PIPELINE/MODEL:PRICE[/PIXELS]")?;
    let (pipeline, model_id) = selector
        .split_once('/')
        .unwrap_or((selector, MaxCapabilityPrice::ANY_MODEL));
    if capability::by_pipeline(pipeline).is_none() {
        return Err("unknown AI pipeline (expected a name such as text-to-image or llm)");
    }
    if model_id.is_empty() {
        return Err("empty model id (use * for every model)");
    }
    let (price_per_unit, pixels) = parse_price(price)?;
    Ok(MaxCapabilityPrice {
        pipeline: pipeline.to_string(),
        model_id: model_id.to_string(),
        price: Price {
            price_per_unit,
            pixels_per_unit: pixels.unwrap_or(1),
        },
    })
}

fn parse_wei(value: &str) -> Result<BigUint, &'static str> {
    if value.is_empty() || !value.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err("not a non-negative integer (wei)");
    }
    BigUint::parse_bytes(value.as_bytes(), 10).ok_or("not a non-negative integer (wei)")
}

fn parse_bool(value: &str) -> Result<bool, &'static str> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("expected true or false"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(flags: &[&str]) -> Result<Expectations, ExpectError> {
        Expectations::parse_flags(&flags.iter().map(|flag| flag.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn go_livepeer_flag_names_parse_into_typed_values() {
        let expectations = parse(&[
            "serviceURI=https://orch.example:8935",
            "pricePerUnit=1000",
            "pixelsPerUnit=3",
            "address=0x2c7536E3605D9C16a7a3D7b1898e529396a65c23",
            "maxPricePerUnit=1200",
            "maxPricePerCapability=text-to-image/stabilityai/sd-turbo:5/2",
            "maxPricePerCapability=llm:7",
            "maxTicketEV=100",
            "maxFaceValue=20000000000000000000000000000",
            "pool=true",
        ])
        .unwrap();
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
    fn errors_name_the_flag_and_the_problem() {
        let message = |flags: &[&str]| parse(flags).unwrap_err().to_string();
        assert_eq!(
            message(&["pixelsPerUnit=abc"]),
            "--expect pixelsPerUnit=abc: not an integer"
        );
        assert_eq!(
            message(&["pixelsPerUnit=0"]),
            "--expect pixelsPerUnit=0: must be positive (go-livepeer refuses pixelsPerUnit <= 0)"
        );
        assert_eq!(
            message(&["pricePerUnit=-1"]),
            "--expect pricePerUnit=-1: must not be negative"
        );
        assert_eq!(message(&["pool"]), "--expect pool: expected key=value");
        assert_eq!(message(&["pool=yes"]), "--expect pool=yes: expected true or false");
        assert_eq!(
            message(&["maxTicketEV=1e12"]),
            "--expect maxTicketEV=1e12: not a non-negative integer (wei)"
        );
        assert_eq!(
            message(&["ethAddress=0x12"]),
            "--expect ethAddress=0x12: address is 1 bytes, expected 20"
        );
        assert_eq!(
            message(&["serviceURI=orch.example:8935"]),
            "--expect serviceURI=orch.example:8935: not an absolute URL (expected scheme://host:port)"
        );
        assert!(message(&["maxPricePerCapability=painting/x:1"]).contains("unknown AI pipeline"));
        assert_eq!(
            message(&["pricePerUnit=1", "pricePerUnit=2"]),
            "--expect pricePerUnit given twice"
        );
        let unknown = message(&["priceperunit=1"]);
        assert!(unknown.starts_with("--expect priceperunit: unknown key; known keys: serviceURI, pricePerUnit"));
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
    }

    #[test]
    fn ai_models_file_becomes_expected_prices() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/aiModels.json");
        let expectations = parse(&[&format!("aiModels={path}")]).unwrap();
        assert_eq!(expectations.ai_models.len(), 3);
        assert_eq!(expectations.ai_models[2].pipeline, "llm");
        assert_eq!(expectations.ai_models[2].price_per_unit, 180_000_000);
        let missing = parse(&["aiModels=/nonexistent/aiModels.json"]).unwrap_err().to_string();
        assert!(
            missing.starts_with("--expect aiModels=/nonexistent/aiModels.json: "),
            "{missing}"
        );
    }

    #[test]
    fn environment_variables_become_flags_by_known_key() {
        let vars = [
            ("LPCONFORM_EXPECT_PRICEPERUNIT", "1000"),
            ("LPCONFORM_EXPECT_serviceURI", "https://o.example:8935"),
            ("LPCONFORM_EXPECT_COLOUR", "blue"),
            ("PATH", "/bin"),
        ]
        .map(|(name, value)| (name.to_string(), value.to_string()));
        assert_eq!(
            flags_from_env(vars),
            vec![
                "pricePerUnit=1000".to_string(),
                "serviceURI=https://o.example:8935".to_string()
            ]
        );
    }
}
