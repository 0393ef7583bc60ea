//! The values `--expect` keys take, read into typed values: addresses and URLs, integers with
//! go-livepeer's bounds, prices, versions, wei, booleans. Each error is the problem alone; the
//! caller names the key and value.

use num_bigint::BigUint;

use super::{MaxCapabilityPrice, MinRunnerVersion, Price};
use crate::capability;

/// `host[:port]` as go-livepeer's `-serviceAddr` takes it (advertised with `https://`), or a URL.
pub(super) fn parse_service_addr(value: &str) -> Result<String, &'static str> {
    let url = if value.contains("://") {
        value.to_string()
    } else {
        format!("https://{value}")
    };
    parse_service_uri(&url)
}

/// `0.5USD`: a decimal amount followed by a currency name; the currency is returned.
pub(super) fn parse_currency_amount(value: &str) -> Option<String> {
    let split = value.find(|c: char| c.is_ascii_alphabetic())?;
    let (amount, currency) = value.split_at(split);
    let numeric = !amount.is_empty() && amount.bytes().all(|byte| byte.is_ascii_digit() || byte == b'.');
    (numeric && currency.bytes().all(|byte| byte.is_ascii_alphabetic())).then(|| currency.to_string())
}

/// A version as gateways parse it (lenient semver).
pub(super) fn parse_version(value: &str) -> Result<String, &'static str> {
    crate::version::Version::parse(value)
        .map(|_| value.to_string())
        .ok_or("not a version (e.g. 0.9.1)")
}

/// One version for every model, or go-livepeer's `-aiMinRunnerVersion` JSON list.
pub(super) fn parse_min_runner_versions(value: &str) -> Result<Vec<MinRunnerVersion>, String> {
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

pub(super) fn parse_service_uri(value: &str) -> Result<String, &'static str> {
    let uri: http::Uri = value.parse().map_err(|_| "not a URL")?;
    match (uri.scheme(), uri.host()) {
        (Some(_), Some(_)) => Ok(value.to_string()),
        _ => Err("not an absolute URL (expected scheme://host:port)"),
    }
}

/// A 64-bit integer, as go-livepeer's price flags take it; beyond 64 bits it says so.
pub(super) fn parse_integer(value: &str) -> Result<i64, String> {
    crate::integer::parse::<i64>(value).map_err(|error| error.to_string())
}

pub(super) fn parse_non_negative(value: &str) -> Result<i64, String> {
    match parse_integer(value)? {
        negative if negative < 0 => Err("must not be negative".into()),
        number => Ok(number),
    }
}

pub(super) fn parse_positive(value: &str) -> Result<i64, String> {
    match parse_integer(value)? {
        not_positive if not_positive <= 0 => Err("must be positive (go-livepeer refuses pixelsPerUnit <= 0)".into()),
        number => Ok(number),
    }
}

/// `PRICE` or `PRICE/PIXELS`.
pub(super) fn parse_price(value: &str) -> Result<(i64, Option<i64>), String> {
    match value.split_once('/') {
        Some((price, pixels)) => Ok((parse_non_negative(price)?, Some(parse_positive(pixels)?))),
        None => Ok((parse_non_negative(value)?, None)),
    }
}

/// `PIPELINE[/MODEL]:PRICE[/PIXELS]`.
pub(super) fn parse_capability_price(value: &str) -> Result<MaxCapabilityPrice, String> {
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

pub(super) fn parse_wei(value: &str) -> Result<BigUint, &'static str> {
    if value.is_empty() || !value.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err("not a non-negative integer (wei)");
    }
    BigUint::parse_bytes(value.as_bytes(), 10).ok_or("not a non-negative integer (wei)")
}

pub(super) fn parse_bool(value: &str) -> Result<bool, &'static str> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("expected true or false"),
    }
}
