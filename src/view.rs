//! A person-readable, redacted view of `OrchestratorInfo`: capability bits as
//! names, bytes as 0x-hex, prices as rationals, secrets replaced. The terminal
//! printout and snapshots both render this view, so what a person reviews is
//! what a snapshot pins. Repeated fields show their first [`SHOWN_ENTRIES`]
//! entries and count the rest, and long strings, bytes and numbers their start
//! and size (`crate::shown`), so an answer of
//! any size renders small. Every report takes target text through these.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::capability;
use crate::eth::Address;
use crate::observe::NewerField;
use crate::proto::net::{self, OrchestratorInfo};
use crate::shown::{big_endian_decimal, hex_bytes, shown_hex, shown_text, SHOWN_BYTES};

/// Stands in for a secret value in every rendering.
pub const REDACTED: &str = "[redacted]";

/// How many entries of one repeated field (or map) a view shows; the rest are counted in
/// `not_shown`, or in a last `… and N more` entry of a list of names.
pub const SHOWN_ENTRIES: usize = 64;

/// The first [`SHOWN_ENTRIES`] items, and how many more there were.
fn first_entries<T>(items: impl Iterator<Item = T>) -> (Vec<T>, usize) {
    let mut items = items;
    let shown: Vec<T> = items.by_ref().take(SHOWN_ENTRIES).collect();
    (shown, items.count())
}

/// A list of names: the first [`SHOWN_ENTRIES`], then `… and N more` when there were more.
fn first_names(names: impl Iterator<Item = String>) -> Vec<String> {
    let (mut shown, more) = first_entries(names);
    if more > 0 {
        shown.push(format!("… and {more} more"));
    }
    shown
}

/// The first [`SHOWN_ENTRIES`] items; the count of the rest goes to `not_shown` under `field`.
fn first_list<T>(
    items: impl Iterator<Item = T>,
    field: &'static str,
    not_shown: &mut BTreeMap<&'static str, usize>,
) -> Vec<T> {
    let (shown, more) = first_entries(items);
    if more > 0 {
        not_shown.insert(field, more);
    }
    shown
}

/// A map of the first [`SHOWN_ENTRIES`] entries; the count of the rest goes to `not_shown`
/// under `field`.
fn first_map<V>(
    entries: impl Iterator<Item = (String, V)>,
    field: &'static str,
    not_shown: &mut BTreeMap<&'static str, usize>,
) -> BTreeMap<String, V> {
    first_list(entries, field, not_shown).into_iter().collect()
}

#[derive(Debug, Serialize, PartialEq)]
pub struct InfoView {
    pub transcoder: String,
    pub address: String,
    pub price_info: Option<PriceView>,
    pub ticket_params: Option<TicketView>,
    pub capabilities: Option<CapabilitiesView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capabilities_prices: Vec<PriceView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hardware: Vec<HardwareView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub storage: Vec<StorageView>,
    pub auth_token: Option<AuthTokenView>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<String>,
    /// Entries past the first [`SHOWN_ENTRIES`] of a repeated field, by field.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub not_shown: BTreeMap<&'static str, usize>,
    /// Fields only the loaded (newer) proto names, by path, in proto3 JSON: what `--proto` on a
    /// newer lp_rpc.proto shows without a rebuild.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub newer_fields: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct PriceView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capability: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// `pricePerUnit/pixelsPerUnit` wei per pixel, as the gateway computes it.
    pub wei_per_pixel: String,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct TicketView {
    pub recipient: String,
    pub face_value_wei: String,
    pub win_prob: String,
    pub recipient_rand_hash: String,
    pub seed: String,
    pub expiration_block: String,
    pub creation_round: Option<i64>,
    pub creation_round_block_hash: Option<String>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct CapabilitiesView {
    pub advertised: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mandatories: Vec<String>,
    pub capacities: BTreeMap<String, u32>,
    pub version: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub min_version: String,
    /// Pipeline → model id → constraint.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub models: BTreeMap<String, BTreeMap<String, ModelView>>,
    /// Entries past the first [`SHOWN_ENTRIES`] of a map, by field.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub not_shown: BTreeMap<&'static str, usize>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct ModelView {
    pub warm: bool,
    pub capacity: u32,
    pub capacity_in_use: u32,
    pub runner_version: String,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct HardwareView {
    pub pipeline: String,
    pub model_id: String,
    pub gpus: BTreeMap<String, GpuView>,
    /// GPUs past the first [`SHOWN_ENTRIES`].
    #[serde(skip_serializing_if = "is_zero")]
    pub gpus_not_shown: usize,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

#[derive(Debug, Serialize, PartialEq)]
pub struct GpuView {
    pub name: String,
    pub compute: String,
    pub memory_free: i64,
    pub memory_total: i64,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct StorageView {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3View>,
}

/// S3 upload parameters; policy, signature and credential are always redacted.
#[derive(Debug, Serialize, PartialEq)]
pub struct S3View {
    pub host: String,
    pub key: String,
    pub policy: &'static str,
    pub signature: &'static str,
    pub credential: &'static str,
    pub x_amz_date: String,
}

/// The token is a bearer credential: only its presence and length are shown.
#[derive(Debug, Serialize, PartialEq)]
pub struct AuthTokenView {
    pub token: String,
    pub session_id: String,
    pub expiration: i64,
}

/// A 20-byte address in EIP-55 form; any other length as raw hex with its size.
pub fn address_text(bytes: &[u8]) -> String {
    match Address::from_slice(bytes) {
        Ok(address) => address.to_checksum(),
        Err(_) if bytes.len() > SHOWN_BYTES => shown_hex(bytes),
        Err(_) => format!("{} ({} bytes)", hex_bytes(bytes), bytes.len()),
    }
}

/// `price/pixels`, the rational a gateway builds from a PriceInfo.
pub fn price_rational(price: &net::PriceInfo) -> String {
    format!("{}/{}", price.price_per_unit, price.pixels_per_unit)
}

/// `name (n)` for known capabilities, `unknown(n)` otherwise.
fn capability_label(number: u32) -> String {
    match capability::lookup(number) {
        Some(known) => format!("{} ({number})", known.name),
        None => capability::display_name(number),
    }
}

impl InfoView {
    pub fn new(info: &OrchestratorInfo) -> Self {
        let mut not_shown = BTreeMap::new();
        let capabilities_prices = first_list(
            info.capabilities_prices.iter().map(|price| PriceView {
                capability: Some(capability_label(price.capability)),
                model: Some(shown_text(&price.constraint)),
                wei_per_pixel: price_rational(price),
            }),
            "capabilities_prices",
            &mut not_shown,
        );
        let hardware = first_list(info.hardware.iter().map(HardwareView::new), "hardware", &mut not_shown);
        let storage = first_list(info.storage.iter().map(StorageView::new), "storage", &mut not_shown);
        Self {
            transcoder: shown_text(&info.transcoder),
            address: address_text(&info.address),
            price_info: info.price_info.as_ref().map(|price| PriceView {
                capability: None,
                model: None,
                wei_per_pixel: price_rational(price),
            }),
            ticket_params: info.ticket_params.as_ref().map(TicketView::new),
            capabilities: info.capabilities.as_ref().map(CapabilitiesView::new),
            capabilities_prices,
            hardware,
            storage,
            auth_token: info.auth_token.as_ref().map(|token| AuthTokenView {
                token: format!("{REDACTED} ({} bytes)", token.token.len()),
                session_id: shown_text(&token.session_id),
                expiration: token.expiration,
            }),
            nodes: first_names(info.nodes.iter().map(|node| shown_text(node))),
            not_shown,
            newer_fields: BTreeMap::new(),
        }
    }

    /// The view of an answer with the fields only the loaded proto names.
    pub fn with_newer_fields(info: &OrchestratorInfo, newer: &[NewerField]) -> Self {
        Self {
            newer_fields: newer
                .iter()
                .map(|field| (field.path.clone(), field.value.clone()))
                .collect(),
            ..Self::new(info)
        }
    }

    /// The view as YAML, for terminals and snapshots.
    pub fn to_yaml(&self) -> String {
        serde_norway::to_string(self).unwrap_or_else(|error| format!("# view could not be rendered: {error}\n"))
    }
}

impl TicketView {
    fn new(ticket: &net::TicketParams) -> Self {
        let expiration = ticket.expiration_params.as_ref();
        Self {
            recipient: address_text(&ticket.recipient),
            face_value_wei: big_endian_decimal(&ticket.face_value),
            win_prob: shown_hex(&ticket.win_prob),
            recipient_rand_hash: shown_hex(&ticket.recipient_rand_hash),
            seed: shown_hex(&ticket.seed),
            expiration_block: big_endian_decimal(&ticket.expiration_block),
            creation_round: expiration.map(|params| params.creation_round),
            creation_round_block_hash: expiration.map(|params| shown_hex(&params.creation_round_block_hash)),
        }
    }
}

impl CapabilitiesView {
    fn new(capabilities: &net::Capabilities) -> Self {
        let constraints = capabilities.constraints.as_ref();
        let mut not_shown = BTreeMap::new();
        let mut models_not_shown = 0;
        let per_capability = constraints.map(|constraints| &constraints.per_capability);
        let models = first_map(
            per_capability.into_iter().flatten().map(|(number, per_capability)| {
                let (models, more) = first_entries(per_capability.models.iter().map(|(model_id, model)| {
                    let view = ModelView {
                        warm: model.warm,
                        capacity: model.capacity,
                        capacity_in_use: model.capacity_in_use,
                        runner_version: shown_text(&model.runner_version),
                    };
                    (shown_text(model_id), view)
                }));
                models_not_shown += more;
                (capability_label(*number), models.into_iter().collect())
            }),
            "models",
            &mut not_shown,
        );
        if models_not_shown > 0 {
            *not_shown.entry("models of a capability").or_default() += models_not_shown;
        }
        let capacities = first_map(
            (capabilities.capacities.iter()).map(|(number, capacity)| (capability_label(*number), *capacity)),
            "capacities",
            &mut not_shown,
        );
        Self {
            advertised: first_names(capability::bitstring_numbers(&capabilities.bitstring).map(capability_label)),
            mandatories: first_names(capability::bitstring_numbers(&capabilities.mandatories).map(capability_label)),
            capacities,
            version: shown_text(&capabilities.version),
            min_version: constraints.map(|c| shown_text(&c.min_version)).unwrap_or_default(),
            models,
            not_shown,
        }
    }
}

impl HardwareView {
    fn new(hardware: &net::HardwareInformation) -> Self {
        let (gpus, gpus_not_shown) = first_entries(hardware.gpu_info.iter().map(|(id, gpu)| {
            let view = GpuView {
                name: shown_text(&gpu.name),
                compute: format!("{}.{}", gpu.major, gpu.minor),
                memory_free: gpu.memory_free,
                memory_total: gpu.memory_total,
            };
            (shown_text(id), view)
        }));
        Self {
            pipeline: shown_text(&hardware.pipeline),
            model_id: shown_text(&hardware.model_id),
            gpus: gpus.into_iter().collect(),
            gpus_not_shown,
        }
    }
}

impl StorageView {
    fn new(storage: &net::OsInfo) -> Self {
        let kind = net::os_info::StorageType::try_from(storage.storage_type)
            .map(|kind| kind.as_str_name().to_string())
            .unwrap_or_else(|_| format!("unknown({})", storage.storage_type));
        Self {
            kind,
            s3: storage.s3info.as_ref().map(|s3| S3View {
                host: shown_text(&s3.host),
                key: shown_text(&s3.key),
                policy: REDACTED,
                signature: REDACTED,
                credential: REDACTED,
                x_amz_date: shown_text(&s3.x_amz_date),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info_with_secrets() -> OrchestratorInfo {
        OrchestratorInfo {
            transcoder: "https://o.example:8935".into(),
            address: vec![0x11; 20],
            price_info: Some(net::PriceInfo {
                price_per_unit: 1200,
                pixels_per_unit: 3,
                ..Default::default()
            }),
            capabilities: Some(net::Capabilities {
                bitstring: capability::encode_bitstring([0, 1, 27, 99]),
                ..Default::default()
            }),
            storage: vec![net::OsInfo {
                storage_type: net::os_info::StorageType::S3 as i32,
                s3info: Some(net::S3osInfo {
                    host: "s3.example".into(),
                    key: "segments/".into(),
                    policy: "POLICY-SECRET".into(),
                    signature: "SIGNATURE-SECRET".into(),
                    credential: "CREDENTIAL-SECRET".into(),
                    x_amz_date: "20261125T000000Z".into(),
                }),
            }],
            auth_token: Some(net::AuthToken {
                token: b"TOKEN-SECRET".to_vec(),
                session_id: "abc".into(),
                expiration: 1,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn secrets_never_reach_the_rendering() {
        let yaml = InfoView::new(&info_with_secrets()).to_yaml();
        for secret in ["POLICY-SECRET", "SIGNATURE-SECRET", "CREDENTIAL-SECRET", "TOKEN-SECRET"] {
            assert!(!yaml.contains(secret), "{secret} leaked:\n{yaml}");
        }
        assert!(yaml.contains(REDACTED));
    }

    #[test]
    fn capabilities_and_prices_are_readable() {
        let view = InfoView::new(&info_with_secrets());
        let capabilities = view.capabilities.unwrap();
        assert_eq!(
            capabilities.advertised,
            ["H.264 (0)", "MPEGTS (1)", "text-to-image (27)", "unknown(99)"]
        );
        assert_eq!(view.price_info.unwrap().wei_per_pixel, "1200/3");
        assert_eq!(view.address, Address([0x11; 20]).to_checksum());
    }

    #[test]
    fn odd_address_lengths_render_without_panicking() {
        assert_eq!(address_text(&[1, 2]), "0x0102 (2 bytes)");
        assert_eq!(address_text(&[7; 1000]), shown_hex(&[7; 1000]));
    }
}
