//! Operator expectations: what the orchestrator under test was configured
//! with (go-livepeer flag names) and the limits a gateway would apply, parsed
//! once from `--expect key=value` strings into typed values the rules compare.
//! Keys match ignoring case, like their `LPCONFORM_EXPECT_*` form.
//!
//! Every key is one entry of [`KEYS`]: its name, the v1 names that stay accepted, the value it
//! takes and how that value is read. Parsing, the environment variables, the `--expect` help
//! and the unknown-key error all read that table.

use std::cmp::Ordering;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use num_bigint::BigUint;

use crate::ai_models::{load_ai_models, AiModel, PriceSource};
use crate::capability;
use crate::eth::Address;
use crate::proto::net::PriceInfo;

/// go-livepeer's default `-maxTicketEV`, in wei.
pub const DEFAULT_MAX_TICKET_EV_WEI: u64 = 3_000_000_000_000;
/// go-livepeer's default `-txCostMultiplier`.
pub const DEFAULT_TX_COST_MULTIPLIER: u64 = 100;
/// go-livepeer's default gateway `-discoveryTimeout`.
pub const DEFAULT_DISCOVERY_TIMEOUT: Duration = Duration::from_millis(500);

/// One `--expect` key.
pub struct ExpectKey {
    /// The go-livepeer flag name.
    pub name: &'static str,
    /// The v1 names that stay accepted for it.
    pub aliases: &'static [&'static str],
    /// The value it takes, as the help explains it.
    pub value: &'static str,
    /// Whether it may be given more than once (each adds an entry); others may appear once.
    pub repeatable: bool,
    /// Reads a value into the expectations being parsed; the error is the problem alone.
    read: fn(&mut Parsing, &str) -> Result<(), String>,
}

/// Every key `--expect` accepts, in the order the help lists them.
pub const KEYS: &[ExpectKey] = &[
    ExpectKey {
        name: "serviceAddr",
        aliases: &["serviceURI"],
        value: "`host[:port]` as given to go-livepeer (`https://` is prepended, as go-livepeer advertises it) \
                or an absolute URL",
        repeatable: false,
        read: |parsing, value| {
            parsing.expectations.service_uri = Some(parse_service_addr(value)?);
            Ok(())
        },
    },
    ExpectKey {
        name: "pricePerUnit",
        aliases: &[],
        value: "wei, integer >= 0, or a currency amount such as `0.5USD` (checked for presence only)",
        repeatable: false,
        read: |parsing, value| {
            match parse_non_negative(value) {
                Ok(price) => parsing.expectations.price_per_unit = Some(price),
                Err(problem) => {
                    parsing.expectations.price_currency = Some(parse_currency_amount(value).ok_or(problem)?)
                }
            }
            Ok(())
        },
    },
    ExpectKey {
        name: "pixelsPerUnit",
        aliases: &[],
        value: "integer > 0 (go-livepeer's default is 1)",
        repeatable: false,
        read: |parsing, value| {
            parsing.expectations.pixels_per_unit = Some(parse_positive(value)?);
            Ok(())
        },
    },
    ExpectKey {
        name: "autoAdjustPrice",
        aliases: &[],
        value: "`true` (go-livepeer's default: advertised prices carry a transaction-cost overhead) or `false`",
        repeatable: false,
        read: |parsing, value| {
            parsing.expectations.auto_adjust_price = Some(parse_bool(value)?);
            Ok(())
        },
    },
    ExpectKey {
        name: "txCostMultiplier",
        aliases: &[],
        value: "integer > 0 (default 100): the overhead is at most 1/txCostMultiplier",
        repeatable: false,
        read: |parsing, value| {
            parsing.expectations.tx_cost_multiplier = Some(parse_positive(value)?.unsigned_abs());
            Ok(())
        },
    },
    ExpectKey {
        name: "ethAcctAddr",
        aliases: &["ethAddress", "address"],
        value: "20-byte hex address of the signing account, `0x` optional",
        repeatable: false,
        read: |parsing, value| {
            parsing.expectations.address = Some(Address::parse(value).map_err(|error| error.to_string())?);
            Ok(())
        },
    },
    ExpectKey {
        name: "ethOrchAddr",
        aliases: &[],
        value: "20-byte hex address tickets pay (the ticket recipient)",
        repeatable: false,
        read: |parsing, value| {
            parsing.expectations.orch_address = Some(Address::parse(value).map_err(|error| error.to_string())?);
            Ok(())
        },
    },
    ExpectKey {
        name: "aiModels",
        aliases: &[],
        value: "path of an aiModels.json file (pipeline, model_id, warm, price_per_unit, pixels_per_unit, \
                currency, gateway)",
        repeatable: false,
        read: |parsing, value| {
            parsing.models = Some(load_ai_models(Path::new(value)).map_err(|error| error.to_string())?);
            Ok(())
        },
    },
    ExpectKey {
        name: "orchMinLivepeerVersion",
        aliases: &[],
        value: "a version the orchestrator's must be at least (CAP-009)",
        repeatable: false,
        read: |parsing, value| {
            parsing.expectations.orch_min_version = Some(parse_version(value)?);
            Ok(())
        },
    },
    ExpectKey {
        name: "aiMinRunnerVersion",
        aliases: &[],
        value: "a version every model's runner must be at least, or go-livepeer's JSON list \
                `[{\"pipeline\":…,\"model_id\":…,\"minVersion\":…}]` (CAP-010)",
        repeatable: false,
        read: |parsing, value| {
            parsing.expectations.ai_min_runner_versions = parse_min_runner_versions(value)?;
            Ok(())
        },
    },
    ExpectKey {
        name: "l1Block",
        aliases: &[],
        value: "the current Ethereum L1 block number (TICKET-009)",
        repeatable: false,
        read: |parsing, value| {
            let block = crate::integer::parse::<u64>(value).map_err(|error| match error {
                crate::integer::IntegerError::NotAnInteger => "not a block number (integer >= 0)".to_string(),
                overflow => overflow.to_string(),
            })?;
            parsing.expectations.l1_block = Some(block);
            Ok(())
        },
    },
    ExpectKey {
        name: "discoveryTimeout",
        aliases: &[],
        value: "the gateways' discovery timeout, e.g. `500ms` (go-livepeer's default; RPC-008)",
        repeatable: false,
        read: |parsing, value| {
            let timeout = humantime::parse_duration(value).map_err(|_| "not a duration (e.g. 500ms, 2s)")?;
            parsing.expectations.discovery_timeout = Some(timeout);
            Ok(())
        },
    },
    ExpectKey {
        name: "maxPricePerUnit",
        aliases: &[],
        value: "`PRICE` or `PRICE/PIXELS`; without `/PIXELS` the `pixelsPerUnit` expectation (else 1) is the \
                denominator, as in go-livepeer's gateway",
        repeatable: false,
        read: |parsing, value| {
            parsing.max_price = Some(parse_price(value)?);
            Ok(())
        },
    },
    ExpectKey {
        name: "maxPricePerCapability",
        aliases: &[],
        value: "`PIPELINE/MODEL:PRICE[/PIXELS]` or `PIPELINE:PRICE[/PIXELS]` (any model; same as model `*`). \
                The price follows the last `:`, so model ids may contain `/` and `:`",
        repeatable: true,
        read: |parsing, value| {
            let limit = parse_capability_price(value)?;
            parsing.expectations.max_price_per_capability.push(limit);
            Ok(())
        },
    },
    ExpectKey {
        name: "maxTicketEV",
        aliases: &[],
        value: "wei, integer >= 0 (default 3000000000000, go-livepeer's `-maxTicketEV`)",
        repeatable: false,
        read: |parsing, value| {
            parsing.expectations.max_ticket_ev = Some(parse_wei(value)?);
            Ok(())
        },
    },
    ExpectKey {
        name: "maxFaceValue",
        aliases: &[],
        value: "wei, integer >= 0",
        repeatable: false,
        read: |parsing, value| {
            parsing.expectations.max_face_value = Some(parse_wei(value)?);
            Ok(())
        },
    },
    ExpectKey {
        name: "pool",
        aliases: &[],
        value: "`true` or `false`: a pool or redeemer receives the tickets, so a recipient other than the \
                address is not even noted",
        repeatable: false,
        read: |parsing, value| {
            parsing.expectations.pool = parse_bool(value)?;
            Ok(())
        },
    },
];

/// Every name a key is known by, as spelled: the keys in order, then the v1 names.
fn spelled_names() -> impl Iterator<Item = &'static str> {
    (KEYS.iter().map(|key| key.name)).chain(KEYS.iter().flat_map(|key| key.aliases.iter().copied()))
}

/// The key `name` stands for, ignoring case, aliases resolved; with the name as the table
/// spells it.
fn key_named(name: &str) -> Option<(&'static ExpectKey, &'static str)> {
    KEYS.iter().find_map(|key| {
        let mut spelled = std::iter::once(key.name).chain(key.aliases.iter().copied());
        let matching = spelled.find(|spelled| spelled.eq_ignore_ascii_case(name));
        matching.map(|spelled| (key, spelled))
    })
}

/// The keys' names, for the `--expect` help.
pub fn key_list() -> String {
    (KEYS.iter().map(|key| key.name)).collect::<Vec<_>>().join(", ")
}

/// The keys and the values they take, one a line, for the `--expect` long help.
pub fn key_table() -> String {
    let lines: Vec<String> = KEYS
        .iter()
        .map(|key| {
            let aliases = match key.aliases {
                [] => String::new(),
                aliases => format!(" (v1: {})", aliases.join(", ")),
            };
            let repeatable = if key.repeatable { "; repeatable" } else { "" };
            format!("  {}{aliases}: {}{repeatable}", key.name, key.value)
        })
        .collect();
    lines.join("\n")
}

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

/// `--expect` flags from `LPCONFORM_EXPECT_<KEY>=value` variables, the key
/// matched to a known key ignoring case (`LPCONFORM_EXPECT_PRICEPERUNIT`).
pub fn flags_from_env(vars: impl IntoIterator<Item = (String, String)>) -> Vec<String> {
    let mut flags: Vec<String> = vars
        .into_iter()
        .filter_map(|(name, value)| {
            let (_, spelled) = key_named(name.strip_prefix("LPCONFORM_EXPECT_")?)?;
            Some(format!("{spelled}={value}"))
        })
        .collect();
    flags.sort();
    flags
}

/// An `--expect` list part-way read: the expectations, and what is settled only once every key
/// is read (a price ceiling's denominator, the models' fallback prices).
#[derive(Default)]
struct Parsing {
    expectations: Expectations,
    max_price: Option<(i64, Option<i64>)>,
    models: Option<Vec<AiModel>>,
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

/// `host[:port]` as go-livepeer's `-serviceAddr` takes it (advertised with `https://`), or a URL.
fn parse_service_addr(value: &str) -> Result<String, &'static str> {
    let url = if value.contains("://") {
        value.to_string()
    } else {
        format!("https://{value}")
    };
    parse_service_uri(&url)
}

/// `0.5USD`: a decimal amount followed by a currency name; the currency is returned.
fn parse_currency_amount(value: &str) -> Option<String> {
    let split = value.find(|c: char| c.is_ascii_alphabetic())?;
    let (amount, currency) = value.split_at(split);
    let numeric = !amount.is_empty() && amount.bytes().all(|byte| byte.is_ascii_digit() || byte == b'.');
    (numeric && currency.bytes().all(|byte| byte.is_ascii_alphabetic())).then(|| currency.to_string())
}

/// A version as gateways parse it (lenient semver).
fn parse_version(value: &str) -> Result<String, &'static str> {
    crate::version::Version::parse(value)
        .map(|_| value.to_string())
        .ok_or("not a version (e.g. 0.9.1)")
}

/// One version for every model, or go-livepeer's `-aiMinRunnerVersion` JSON list.
fn parse_min_runner_versions(value: &str) -> Result<Vec<MinRunnerVersion>, String> {
    #[derive(serde::Deserialize)]
    struct Entry {
        pipeline: String,
        model_id: String,
        #[serde(rename = "minVersion")]
        min_version: String,
    }
    if !value.trim_start().starts_with('[') {
        let version = parse_version(value)?;
        return Ok(vec![MinRunnerVersion { model: None, version }]);
    }
    let entries: Vec<Entry> = serde_json::from_str(value).map_err(|error| format!("not a JSON list: {error}"))?;
    entries
        .into_iter()
        .enumerate()
        .map(|(index, entry)| {
            let version =
                parse_version(&entry.min_version).map_err(|problem| format!("[{index}].minVersion: {problem}"))?;
            Ok(MinRunnerVersion {
                model: Some((entry.pipeline, entry.model_id)),
                version,
            })
        })
        .collect()
}

fn parse_service_uri(value: &str) -> Result<String, &'static str> {
    let uri: http::Uri = value.parse().map_err(|_| "not a URL")?;
    match (uri.scheme(), uri.host()) {
        (Some(_), Some(_)) => Ok(value.to_string()),
        _ => Err("not an absolute URL (expected scheme://host:port)"),
    }
}

/// A 64-bit integer, as go-livepeer's price flags take it; beyond 64 bits it says so.
fn parse_integer(value: &str) -> Result<i64, String> {
    crate::integer::parse::<i64>(value).map_err(|error| error.to_string())
}

fn parse_non_negative(value: &str) -> Result<i64, String> {
    match parse_integer(value)? {
        negative if negative < 0 => Err("must not be negative".into()),
        number => Ok(number),
    }
}

fn parse_positive(value: &str) -> Result<i64, String> {
    match parse_integer(value)? {
        not_positive if not_positive <= 0 => Err("must be positive (go-livepeer refuses pixelsPerUnit <= 0)".into()),
        number => Ok(number),
    }
}

/// `PRICE` or `PRICE/PIXELS`.
fn parse_price(value: &str) -> Result<(i64, Option<i64>), String> {
    match value.split_once('/') {
        Some((price, pixels)) => Ok((parse_non_negative(price)?, Some(parse_positive(pixels)?))),
        None => Ok((parse_non_negative(value)?, None)),
    }
}

/// `PIPELINE[/MODEL]:PRICE[/PIXELS]`.
fn parse_capability_price(value: &str) -> Result<MaxCapabilityPrice, String> {
    let (selector, price) = value.rsplit_once(':').ok_or("expected PIPELINE/MODEL:PRICE[/PIXELS]")?;
    let (pipeline, model_id) = selector
        .split_once('/')
        .unwrap_or((selector, MaxCapabilityPrice::ANY_MODEL));
    if capability::by_pipeline(pipeline).is_none() {
        return Err("unknown AI pipeline (expected a name such as text-to-image or llm)".into());
    }
    if model_id.is_empty() {
        return Err("empty model id (use * for every model)".into());
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

    #[test]
    fn every_name_in_the_table_reads_as_its_key_and_no_two_clash() {
        let names: Vec<&str> = spelled_names().collect();
        for name in &names {
            let (key, spelled) = key_named(&name.to_ascii_uppercase()).unwrap();
            assert_eq!(spelled, *name);
            assert!(key.name == *name || key.aliases.contains(name), "{name}");
        }
        let distinct: std::collections::BTreeSet<String> = names.iter().map(|name| name.to_ascii_lowercase()).collect();
        assert_eq!(distinct.len(), names.len(), "two names differ only in case");
        assert!(key_table().lines().count() == KEYS.len() && key_list().split(", ").count() == KEYS.len());
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
