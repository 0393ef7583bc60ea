//! The `--expect` keys as one table ([`KEYS`]): each key's name, the v1 names that stay
//! accepted, the value it takes and how that value is read. Parsing, `LPCONFORM_EXPECT_<KEY>`,
//! the unknown-key error and the `--expect` help all read it.

use std::path::Path;

use super::values::{
    parse_bool, parse_capability_price, parse_currency_amount, parse_min_runner_versions, parse_non_negative,
    parse_positive, parse_price, parse_service_addr, parse_version, parse_wei,
};
use super::Expectations;
use crate::ai_models::{load_ai_models, AiModel};
use crate::eth::Address;

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
    pub(super) read: fn(&mut Parsing, &str) -> Result<(), String>,
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
pub(super) fn spelled_names() -> impl Iterator<Item = &'static str> {
    (KEYS.iter().map(|key| key.name)).chain(KEYS.iter().flat_map(|key| key.aliases.iter().copied()))
}

/// The key `name` stands for, ignoring case, aliases resolved; with the name as the table
/// spells it.
pub(super) fn key_named(name: &str) -> Option<(&'static ExpectKey, &'static str)> {
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
pub(super) struct Parsing {
    pub(super) expectations: Expectations,
    pub(super) max_price: Option<(i64, Option<i64>)>,
    pub(super) models: Option<Vec<AiModel>>,
}

#[cfg(test)]
mod tests {
    use super::*;

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
