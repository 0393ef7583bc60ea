//! The embedded reference orchestrator's configuration from its go-livepeer-style flags, shared
//! by `serve`, `run`, `fuzz` and `replay`.

use std::net::SocketAddr;
use std::path::Path;

use super::super::args::{NetworkFlag, ReferenceArgs, TranscoderFlag};
use super::super::RunError;
use crate::eth::{Address, EthKey};
use crate::input_file::{read_input_file, read_input_text, MAX_KEY_FILE_BYTES};
use crate::reference::{self, ChainMode, Funding, GatewayPrice, ReferenceConfig, Transcoder};

/// Which defaults fill the embedded orchestrator's flags that are not given.
#[derive(Debug, Clone, Copy)]
pub struct ReferenceDefaults {
    /// The fullest profile (on chain, software transcoding and the shipped AI models), so a
    /// first `run` exercises the whole catalog; otherwise go-livepeer's own defaults
    /// (off-chain software transcoding).
    fullest: bool,
    /// The gateway the command itself discovers with, funded unless `--fund` names others;
    /// `None` (serve) funds nobody, as a fresh go-livepeer node.
    own_gateway: Option<Address>,
}

impl ReferenceDefaults {
    /// `serve`: go-livepeer with no `-network`.
    pub const SERVE: Self = Self {
        fullest: false,
        own_gateway: None,
    };

    /// `fuzz` and `replay`: go-livepeer's defaults, paying the fuzzing gateway.
    pub fn fuzz(gateway: Address) -> Self {
        Self {
            fullest: false,
            own_gateway: Some(gateway),
        }
    }

    /// `run` without a target: the fullest profile, paying the run's gateway.
    pub fn run(gateway: Address) -> Self {
        Self {
            fullest: true,
            own_gateway: Some(gateway),
        }
    }
}

/// Turns the go-livepeer-style flags into the reference orchestrator's configuration.
pub fn reference_config(
    args: &ReferenceArgs,
    listen: SocketAddr,
    defaults: ReferenceDefaults,
) -> Result<ReferenceConfig, RunError> {
    let fullest = defaults.fullest;
    let ai_models = match &args.ai_models {
        Some(path) if path.as_os_str() == "none" => Vec::new(),
        Some(path) => {
            crate::ai_models::load_ai_models(path).map_err(|error| RunError::Usage(format!("--aiModels {error}")))?
        }
        None if fullest => reference::shipped_ai_models(),
        None => Vec::new(),
    };
    let transcoder = match (args.transcoder, args.no_transcoding) {
        (Some(TranscoderFlag::None), _) | (None, true) => Transcoder::None,
        (Some(TranscoderFlag::Gpu), _) => Transcoder::Gpu,
        (Some(TranscoderFlag::Software) | None, _) => Transcoder::Software,
    };
    if transcoder == Transcoder::None && ai_models.is_empty() {
        return Err(RunError::Usage(
            "--transcoder none leaves the embedded orchestrator nothing to offer: give -aiModels FILE too".into(),
        ));
    }
    let eth_key = match &args.eth_key {
        Some(path) => read_key_file(path, "--eth-key")?,
        None => reference::well_known_key(),
    };
    let chain = match (args.network, args.onchain) {
        (Some(NetworkFlag::Onchain), _) | (None, true) => ChainMode::OnChain,
        (Some(NetworkFlag::Offchain), _) => ChainMode::OffChain,
        (None, false) if fullest => ChainMode::OnChain,
        (None, false) => ChainMode::OffChain,
    };
    let funding = if args.fund_all {
        Funding::All
    } else if !args.fund.is_empty() {
        Funding::Only(args.fund.clone())
    } else {
        Funding::Only(defaults.own_gateway.into_iter().collect())
    };
    let gateway_prices = match &args.price_per_gateway {
        Some(text) => gateway_prices(text)?,
        None => Vec::new(),
    };
    // What go-livepeer refuses to start with.
    if args.price_per_unit < 0 {
        return Err(RunError::Usage(format!(
            "-pricePerUnit {}: must be 0 or more, as go-livepeer requires",
            args.price_per_unit
        )));
    }
    if args.pixels_per_unit <= 0 {
        return Err(RunError::Usage(format!(
            "-pixelsPerUnit {}: must be more than 0, as go-livepeer requires",
            args.pixels_per_unit
        )));
    }
    let nodes = args
        .nodes
        .iter()
        .map(String::as_str)
        .map(str::trim)
        .filter(|node| !node.is_empty())
        .map(node_uri)
        .collect::<Result<Vec<String>, RunError>>()?;
    let service_uri = args.service_addr.as_deref().map(advertised_uri);
    if service_uri.as_deref() == Some("") && nodes.is_empty() {
        return Err(RunError::Usage(
            "-serviceAddr none: with no -nodes there is nothing to advertise (go-livepeer exits: \
             \"Empty service URI and no additional nodes specified\")"
                .into(),
        ));
    }
    Ok(ReferenceConfig {
        listen,
        tls: !args.h2c,
        service_uri,
        price_per_unit: args.price_per_unit,
        pixels_per_unit: args.pixels_per_unit,
        gateway_prices,
        auto_adjust_price: args.auto_adjust_price,
        eth_key,
        orch_address: args.eth_orch_addr,
        chain,
        transcoder,
        ai_models,
        running_jobs: args.running_jobs.clone(),
        max_sessions: args.max_sessions,
        sessions_in_use: if args.at_capacity {
            args.max_sessions
        } else {
            args.sessions_in_use.unwrap_or(0)
        },
        nodes,
        version: args
            .version
            .clone()
            .unwrap_or_else(|| reference::LIVEPEER_VERSION.to_string()),
        funding,
        serve_info_json: args.serve_info_json,
        faults: args.faults.clone(),
    })
}

/// `transcoder` for `-serviceAddr`: `https://` + the address as given, nothing for `none`; a
/// full URI (the old `--serviceURI`) as it is.
fn advertised_uri(service_addr: &str) -> String {
    if service_addr == "none" {
        String::new()
    } else if service_addr.contains("://") {
        service_addr.to_string()
    } else {
        format!("https://{service_addr}")
    }
}

/// A `-nodes` entry as go-livepeer advertises it: `https://` put in front unless it starts so
/// (`http://x` becomes `https://http://x`, as there), and refused when that is no URI.
fn node_uri(node: &str) -> Result<String, RunError> {
    let uri = if node.starts_with("https://") {
        node.to_string()
    } else {
        format!("https://{node}")
    };
    match uri.parse::<http::Uri>() {
        Ok(parsed) if parsed.host().is_some() => Ok(uri),
        _ => Err(RunError::Usage(format!("-nodes: could not parse instance URI {uri:?}"))),
    }
}

/// `-pricePerGateway`: go-livepeer's JSON, inline or in a file (as its `ReadFromFile` takes
/// either), with whole-wei prices; errors name the entry.
fn gateway_prices(text: &str) -> Result<Vec<GatewayPrice>, RunError> {
    #[derive(serde::Deserialize)]
    struct File {
        #[serde(default)]
        gateways: Vec<Entry>,
        #[serde(default)]
        broadcasters: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        ethaddress: String,
        priceperunit: serde_json::Value,
        pixelsperunit: serde_json::Value,
        #[serde(default)]
        currency: Option<String>,
    }
    let problem = |what: String| RunError::Usage(format!("--pricePerGateway: {what}"));
    // go-livepeer takes the JSON itself or a file holding it.
    let json = if Path::new(text).exists() {
        read_input_file(Path::new(text)).map_err(|error| problem(format!("{text}: {error}")))?
    } else {
        text.to_string()
    };
    let file: File = serde_json::from_str(&json)
        .map_err(|error| problem(format!("line {} column {}: {error}", error.line(), error.column())))?;
    let whole_wei = |value: &serde_json::Value, place: String| -> Result<i64, RunError> {
        let number = match value {
            serde_json::Value::Number(number) => number.as_i64(),
            serde_json::Value::String(text) => text.parse().ok(),
            _ => None,
        };
        number.ok_or_else(|| problem(format!("{place}: {value} is not a whole number of wei")))
    };
    let entries = file.broadcasters.iter().map(|entry| ("broadcasters", entry));
    let entries = entries.chain(file.gateways.iter().map(|entry| ("gateways", entry)));
    let mut index_of: std::collections::HashMap<&str, usize> = Default::default();
    entries
        .map(|(list, entry)| {
            let index = index_of.entry(list).or_default();
            let place = format!("{list}[{index}]");
            *index += 1;
            if let Some(currency) = entry.currency.as_deref().filter(|c| !c.eq_ignore_ascii_case("wei")) {
                return Err(problem(format!(
                    "{place}.currency: {currency} needs a price feed, which the embedded orchestrator has not; give wei"
                )));
            }
            let price = GatewayPrice {
                gateway: Address::parse(&entry.ethaddress)
                    .map_err(|error| problem(format!("{place}.ethaddress: {error}")))?,
                price_per_unit: whole_wei(&entry.priceperunit, format!("{place}.priceperunit"))?,
                pixels_per_unit: whole_wei(&entry.pixelsperunit, format!("{place}.pixelsperunit"))?,
            };
            if price.price_per_unit < 0 || price.pixels_per_unit <= 0 {
                return Err(problem(format!(
                    "{place}: {}/{} is no price (go-livepeer needs priceperunit >= 0 and pixelsperunit > 0)",
                    price.price_per_unit, price.pixels_per_unit
                )));
            }
            Ok(price)
        })
        .collect()
}

/// Reads a hex private key from a file; errors name the flag and path, never the content.
pub fn read_key_file(path: &Path, flag: &str) -> Result<EthKey, RunError> {
    let text = read_input_text(path, MAX_KEY_FILE_BYTES)
        .map_err(|error| RunError::Usage(format!("{flag} {}: {error}", path.display())))?;
    EthKey::from_hex(&text).map_err(|error| RunError::Usage(format!("{flag} {}: {error}", path.display())))
}

#[cfg(test)]
mod tests {
    use clap::{Args, Parser};

    use super::super::super::args::{Cli, Command};
    use super::*;

    fn reference_args(flags: &[&str]) -> ReferenceArgs {
        let cli = Cli::try_parse_from(["lpconform", "serve"].iter().chain(flags)).unwrap();
        match cli.command {
            Command::Serve(args) => args.reference,
            other => panic!("{other:?}"),
        }
    }

    fn config(flags: &[&str]) -> Result<ReferenceConfig, RunError> {
        reference_config(
            &reference_args(flags),
            ([127, 0, 0, 1], 0).into(),
            ReferenceDefaults::SERVE,
        )
    }

    const GATEWAY: &str = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";

    #[test]
    fn service_addr_is_advertised_with_https_none_as_nothing_and_a_full_uri_as_it_is() {
        assert_eq!(advertised_uri("o.example:8935"), "https://o.example:8935");
        assert_eq!(advertised_uri("none"), "");
        assert_eq!(advertised_uri("http://o.example:8935"), "http://o.example:8935");
        let served = config(&["--serviceAddr=o.example:8935"]).unwrap();
        assert_eq!(served.service_uri.as_deref(), Some("https://o.example:8935"));
    }

    #[test]
    fn nodes_get_https_in_front_as_go_livepeer_puts_it_there() {
        let nodes = config(&["--nodes= a.example:1, ,https://b.example:2,http://c.example:3"]).unwrap();
        assert_eq!(
            nodes.nodes,
            [
                "https://a.example:1",
                "https://b.example:2",
                "https://http://c.example:3"
            ]
        );
        assert!(config(&["--nodes=not a uri"])
            .unwrap_err()
            .to_string()
            .contains("could not parse instance URI"));
    }

    #[test]
    fn what_go_livepeer_refuses_to_start_with_is_refused() {
        for (flags, needle) in [
            (&["--pricePerUnit=-5"][..], "-pricePerUnit -5"),
            (&["--pixelsPerUnit=0"][..], "-pixelsPerUnit 0"),
            (&["--serviceAddr=none"][..], "with no -nodes"),
        ] {
            let refused = config(flags).unwrap_err();
            assert!(refused.to_string().contains(needle), "{flags:?}: {refused}");
        }
        let served = config(&["--serviceAddr=none", "--nodes=n.example:8935"]).unwrap();
        assert_eq!(served.service_uri.as_deref(), Some(""));
    }

    #[test]
    fn per_gateway_prices_are_read_inline_or_from_a_file_in_both_keys() {
        let json = format!(
            r#"{{"gateways":[{{"ethaddress":"{}","priceperunit":"500","pixelsperunit":2,"currency":"WEI"}}],
                 "broadcasters":[{{"ethaddress":"{GATEWAY}","priceperunit":7,"pixelsperunit":1}}]}}"#,
            GATEWAY.to_lowercase()
        );
        let inline = gateway_prices(&json).unwrap();
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &json).unwrap();
        assert_eq!(gateway_prices(file.path().to_str().unwrap()).unwrap(), inline);
        let gateway = Address::parse(GATEWAY).unwrap();
        assert_eq!(
            inline,
            [
                GatewayPrice {
                    gateway,
                    price_per_unit: 7,
                    pixels_per_unit: 1
                },
                GatewayPrice {
                    gateway,
                    price_per_unit: 500,
                    pixels_per_unit: 2
                },
            ]
        );
    }

    #[test]
    fn per_gateway_prices_that_cannot_be_used_name_the_entry() {
        let entry = |fields: &str| format!(r#"{{"gateways":[{{"ethaddress":"{GATEWAY}",{fields}}}]}}"#);
        for (json, needle) in [
            (
                entry(r#""priceperunit":"0.5","pixelsperunit":1,"currency":"USD""#),
                "gateways[0].currency: USD",
            ),
            (
                entry(r#""priceperunit":1.5,"pixelsperunit":1"#),
                "gateways[0].priceperunit: 1.5",
            ),
            (
                entry(r#""priceperunit":1,"pixelsperunit":0"#),
                "gateways[0]: 1/0 is no price",
            ),
            (
                r#"{"gateways":[{"ethaddress":"0x12","priceperunit":1,"pixelsperunit":1}]}"#.to_string(),
                "gateways[0].ethaddress",
            ),
            ("{not json".to_string(), "--pricePerGateway: line 1"),
        ] {
            let refused = gateway_prices(&json).unwrap_err();
            assert!(refused.to_string().contains(needle), "{json}: {refused}");
        }
    }

    /// Every flag, none at its default: `command_line` must give them all back.
    #[test]
    fn command_line_gives_back_every_flag() {
        let models = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/aiModels.json");
        let flags = [
            "--serviceAddr=o.example:8935",
            "--pricePerUnit=7",
            "--pixelsPerUnit=2",
            r#"--pricePerGateway={"gateways":[]}"#,
            "--autoAdjustPrice=false",
            "--network=onchain",
            "--onchain",
            "--transcoder=gpu",
            "--no-transcoding",
            &format!("--aiModels={models}"),
            "--eth-key=key.hex",
            &format!("--ethOrchAddr={GATEWAY}"),
            "--maxSessions=3",
            "--sessions-in-use=1",
            "--at-capacity",
            "--running-jobs=m=2",
            "--nodes=https://n.example:1",
            "--version=undefined",
            "--h2c",
            "--fault=no-address",
            &format!("--fund={GATEWAY}"),
            "--fund-all",
            "--serve-info-json",
        ];
        let names: Vec<String> = flags
            .iter()
            .map(|flag| flag.split('=').next().unwrap().to_string())
            .collect();
        for argument in ReferenceArgs::augment_args(clap::Command::new("reference")).get_arguments() {
            let long = format!("--{}", argument.get_long().unwrap());
            assert!(names.contains(&long), "{long} is missing from this test");
        }
        // Conflicting pairs are parsed apart: clap refuses them together.
        let conflicting = ["--onchain", "--no-transcoding", "--at-capacity", "--fund-all"];
        let (first, second): (Vec<&str>, Vec<&str>) = flags.iter().partition(|flag| !conflicting.contains(flag));
        let second: Vec<&str> = second.into_iter().chain(["--pricePerUnit=7"]).collect();
        for given in [first, second] {
            let parsed = reference_args(&given);
            let words = parsed.command_line();
            let words: Vec<&str> = words.iter().map(String::as_str).collect();
            assert_eq!(
                format!("{:?}", reference_args(&words)),
                format!("{parsed:?}"),
                "{words:?}"
            );
        }
    }
}
