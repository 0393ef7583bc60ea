//! The requests a gateway sends (one signing helper for all of them, from a [`Gateway`]) and the
//! standard call sequence, as data: the driver makes the calls, the runner runs the sequence.

use std::time::{SystemTime, UNIX_EPOCH};

use rand::RngCore;

use crate::capability::{self, encode_bitstring};
use crate::eth::{self, Address, EthKey};
use crate::observe::ModelRef;
use crate::proto::net::capabilities::capability_constraints::ModelConstraint;
use crate::proto::net::capabilities::{CapabilityConstraints, Constraints};
use crate::proto::net::{AuthToken, Capabilities, OrchestratorInfo, OrchestratorRequest};
use crate::suite::{
    AddressChoice, CallSpec, Case, CaseMode, DiscoveryRequest, ExpectedOutcome, PingValue, SignatureChoice, Step,
    TokenChoice,
};

/// Most models a run asks for by name (PRICE-009), so a long model list costs bounded time.
pub const MAX_MODEL_DISCOVERIES: usize = 8;

/// The gateway identity discovery is signed with: an address and its `eth_sign` over the
/// EIP-55 address string, made by a local key or handed over by a go-livepeer remote signer
/// (`--remote-signer`), so a funded key never has to reach the harness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    address: Address,
    discovery_sig: Vec<u8>,
}

impl Gateway {
    /// A remote signer's answer: the address and the signature it made for it.
    pub fn signed(address: Address, discovery_sig: Vec<u8>) -> Self {
        Self { address, discovery_sig }
    }

    pub fn address(&self) -> Address {
        self.address
    }

    /// Fills a request's `address` and `sig` (bytes fields, as OrchestratorRequest has them)
    /// with this identity, as for a signed discovery: a suite's `sign: true`.
    pub fn sign_fields(&self, message: &mut prost_reflect::DynamicMessage) {
        use prost_reflect::ReflectMessage as _;
        for (name, value) in [
            ("address", self.address.0.to_vec()),
            ("sig", self.discovery_sig.clone()),
        ] {
            if let Some(field) = message.descriptor().get_field_by_name(name) {
                message.set_field(&field, prost_reflect::Value::Bytes(value.into()));
            }
        }
    }
}

impl From<&Gateway> for Gateway {
    fn from(gateway: &Gateway) -> Self {
        gateway.clone()
    }
}

impl From<&EthKey> for Gateway {
    fn from(key: &EthKey) -> Self {
        let address = key.address();
        Self {
            address,
            discovery_sig: key.sign_message(&eth::orchestrator_request_message(&address)).to_vec(),
        }
    }
}

/// A discovery request as a gateway sends it: its address and `eth_sign`
/// over keccak256 of the EIP-55 address string.
pub fn signed_orchestrator_request(gateway: impl Into<Gateway>) -> OrchestratorRequest {
    let gateway = gateway.into();
    OrchestratorRequest {
        address: gateway.address.0.to_vec(),
        sig: gateway.discovery_sig,
        ..Default::default()
    }
}

/// The gateway's address with a signature made by some other key.
pub fn forged_orchestrator_request(gateway: impl Into<Gateway>) -> OrchestratorRequest {
    let gateway = gateway.into();
    let impostor = EthKey::random();
    OrchestratorRequest {
        sig: impostor
            .sign_message(&eth::orchestrator_request_message(&gateway.address))
            .to_vec(),
        ..signed_orchestrator_request(gateway)
    }
}

/// A correctly signed request whose address is one byte short.
pub fn malformed_address_request(gateway: impl Into<Gateway>) -> OrchestratorRequest {
    let mut request = signed_orchestrator_request(gateway);
    request.address.truncate(19);
    request
}

/// The (AI capability, model) pairs to ask for by name: every priced model (BYOC aside, priced
/// by capability name), else every listed one; the first [`MAX_MODEL_DISCOVERIES`] in order.
/// Only those are copied out of the answer, so a long model list costs a pass, not a copy.
pub fn models_to_request(info: &OrchestratorInfo) -> Vec<ModelRef> {
    let is_ai = |number: u32| capability::lookup(number).is_some_and(|known| known.is_ai());
    let priced = info
        .capabilities_prices
        .iter()
        .filter(|price| is_ai(price.capability) && !price.constraint.is_empty())
        .map(|price| (price.capability, price.constraint.as_str()));
    let mut models = first_distinct(priced);
    if models.is_empty() {
        let constraints = info.capabilities.as_ref().and_then(|c| c.constraints.as_ref());
        let listed = constraints
            .into_iter()
            .flat_map(|constraints| &constraints.per_capability)
            .filter(|(number, _)| is_ai(**number))
            .flat_map(|(number, per_capability)| {
                per_capability
                    .models
                    .keys()
                    .map(|model_id| (*number, model_id.as_str()))
            });
        models = first_distinct(listed);
    }
    models
}

/// The [`MAX_MODEL_DISCOVERIES`] smallest distinct pairs of `pairs`, sorted: what sorting,
/// deduplicating and truncating them all would keep, holding no more than that many.
fn first_distinct<'a>(pairs: impl Iterator<Item = (u32, &'a str)>) -> Vec<ModelRef> {
    let mut kept = std::collections::BTreeSet::new();
    for pair in pairs {
        if kept.len() < MAX_MODEL_DISCOVERIES || kept.last().is_some_and(|largest| pair < *largest) {
            kept.insert(pair);
            if kept.len() > MAX_MODEL_DISCOVERIES {
                kept.pop_last();
            }
        }
    }
    kept.into_iter()
        .map(|(capability, model_id)| ModelRef {
            capability,
            model_id: model_id.to_string(),
        })
        .collect()
}

/// A signed discovery naming `models` as go-livepeer gateways build it: each capability's bit,
/// a capacity of 1 and its models under `PerCapability`, with `ignoreCapacityCheck`.
pub fn model_request(gateway: impl Into<Gateway>, models: &[ModelRef]) -> OrchestratorRequest {
    let mut per_capability: std::collections::HashMap<u32, CapabilityConstraints> = Default::default();
    for model in models {
        per_capability
            .entry(model.capability)
            .or_default()
            .models
            .insert(model.model_id.clone(), ModelConstraint::default());
    }
    OrchestratorRequest {
        capabilities: Some(Capabilities {
            bitstring: encode_bitstring(models.iter().map(|model| model.capability)),
            capacities: models.iter().map(|model| (model.capability, 1)).collect(),
            constraints: Some(Constraints {
                per_capability,
                ..Default::default()
            }),
            ..Default::default()
        }),
        ignore_capacity_check: true,
        ..signed_orchestrator_request(gateway)
    }
}

/// A token the orchestrator cannot have issued.
pub fn forged_auth_token() -> AuthToken {
    AuthToken {
        token: random_bytes(32),
        session_id: format!("lpconform-forged-{}", hex::encode(random_bytes(4))),
        expiration: unix_now() + 600,
    }
}

pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The standard calls, as one case the runner makes like any suite's: signed discovery and its
/// repeat, one discovery per priced model, forged and malformed discovery, Ping,
/// EndTranscodingSession with a forged and with the issued token, and the JSON at
/// `GET /orchestrator/info`. `selftest` and the benchmarks probe with it, so they prove the
/// path `run` takes. Each step accepts any answer: the rules judge what came back.
pub fn standard_case() -> Case {
    let discovery = |signature, address| {
        CallSpec::GetOrchestrator(DiscoveryRequest {
            signature,
            address,
            capabilities: None,
            ignore_capacity_check: false,
        })
    };
    let calls = [
        discovery(SignatureChoice::Valid, AddressChoice::Gateway),
        discovery(SignatureChoice::Valid, AddressChoice::Gateway),
        CallSpec::PerModelDiscovery,
        discovery(SignatureChoice::Forged, AddressChoice::Gateway),
        discovery(SignatureChoice::Valid, AddressChoice::Short),
        CallSpec::Ping {
            value: PingValue::Random,
        },
        CallSpec::EndSession {
            token: TokenChoice::Forged,
        },
        CallSpec::EndSession {
            token: TokenChoice::Issued,
        },
        CallSpec::InfoJson,
    ];
    Case {
        id: "probe".into(),
        description: "the standard calls".into(),
        mode: CaseMode::All,
        steps: calls
            .into_iter()
            .map(|call| Step {
                call,
                expect: ExpectedOutcome::Any,
                code: None,
                message: None,
                answer: Vec::new(),
            })
            .collect(),
        rules: Vec::new(),
        snapshot: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_request_recovers_to_the_gateway() {
        let gateway = EthKey::random();
        let request = signed_orchestrator_request(&gateway);
        let message = eth::orchestrator_request_message(&gateway.address());
        assert_eq!(eth::recover_signer(&message, &request.sig), Ok(gateway.address()));
        assert_eq!(request.address, gateway.address().0.to_vec());
    }

    #[test]
    fn forged_and_malformed_requests_break_exactly_one_thing() {
        let gateway = EthKey::random();
        let message = eth::orchestrator_request_message(&gateway.address());
        let forged = forged_orchestrator_request(&gateway);
        assert_eq!(forged.address, gateway.address().0.to_vec());
        assert_ne!(eth::recover_signer(&message, &forged.sig), Ok(gateway.address()));
        let malformed = malformed_address_request(&gateway);
        assert_eq!(malformed.address.len(), 19);
        assert_eq!(eth::recover_signer(&message, &malformed.sig), Ok(gateway.address()));
    }

    #[test]
    fn the_models_requested_are_the_first_distinct_ones() {
        let pairs: Vec<(u32, String)> = (0..40u32)
            .map(|index| (27 + index % 3, format!("model-{}", (index * 7) % 13)))
            .collect();
        let mut expected: Vec<ModelRef> = pairs
            .iter()
            .map(|(capability, model_id)| ModelRef {
                capability: *capability,
                model_id: model_id.clone(),
            })
            .collect();
        expected.sort();
        expected.dedup();
        expected.truncate(MAX_MODEL_DISCOVERIES);
        let kept = first_distinct(
            pairs
                .iter()
                .map(|(capability, model_id)| (*capability, model_id.as_str())),
        );
        assert_eq!(kept, expected);
        assert!(first_distinct(std::iter::empty()).is_empty());
    }

    #[test]
    fn model_requests_name_each_model_as_gateways_do() {
        let models = [
            ModelRef {
                capability: 27,
                model_id: "a/b".into(),
            },
            ModelRef {
                capability: 33,
                model_id: "c".into(),
            },
        ];
        let request = model_request(&EthKey::random(), &models);
        assert!(request.ignore_capacity_check);
        let capabilities = request.capabilities.unwrap();
        assert!(capability::has_bit(&capabilities.bitstring, 27) && capability::has_bit(&capabilities.bitstring, 33));
        assert_eq!(capabilities.capacities.get(&27), Some(&1));
        let per_capability = capabilities.constraints.unwrap().per_capability;
        assert!(per_capability[&27].models.contains_key("a/b"));
        assert!(per_capability[&33].models.contains_key("c"));
    }
}
