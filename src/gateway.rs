//! The gateway's side of the protocol as data: its identity ([`Gateway`], signed for by a
//! [`Signer`]: a local key or a remote signer) and the requests it sends, one signing helper for
//! all of them. The
//! driver makes the calls; the standard sequence of them is `suite::standard_case`.

use std::sync::Arc;

use crate::ambient::{random_bytes, unix_now};
use crate::capability::{self, encode_bitstring};
use crate::eth::{self, Address, EthKey, SIGNATURE_LEN};
use crate::observe::ModelRef;
use crate::proto::net::capabilities::capability_constraints::ModelConstraint;
use crate::proto::net::capabilities::{CapabilityConstraints, Constraints};
use crate::proto::net::{AuthToken, Capabilities, OrchestratorInfo, OrchestratorRequest};

/// Most models a run asks for by name (PRICE-009), so a long model list costs bounded time.
pub const MAX_MODEL_DISCOVERIES: usize = 8;

/// The gateway identity: an address, its discovery signature (`eth_sign` over the EIP-55
/// address string) and who signs for it ([`Signer`]). Cheap to clone: the driver, and so each
/// fuzzed request in flight, holds one.
#[derive(Debug, Clone)]
pub struct Gateway(Arc<Identity>);

#[derive(Debug)]
struct Identity {
    address: Address,
    discovery_sig: Vec<u8>,
    signer: Signer,
}

/// Who signs for the gateway. They differ in what they can sign, and the type says so: only a
/// local key signs a message the harness chooses.
#[derive(Debug, Clone)]
pub enum Signer {
    /// A key the harness holds (`--gateway-key`, or a fresh one): signs anything, discovery,
    /// SegData and tickets alike ([`Gateway::sign`]).
    LocalKey(EthKey),
    /// A go-livepeer remote signer (`--remote-signer`), so a funded key never has to reach the
    /// harness. It signs only what its endpoints offer: the discovery signature came whole from
    /// `POST /sign-orchestrator-info`; payments (tickets, SegData) come whole from its
    /// `POST /generate-live-payment`. It signs no message of the harness's choosing.
    RemoteSigner { url: String },
}

/// A signature the gateway's signer cannot make.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error(
        "the remote signer {url} signs only what its endpoints offer (discovery, whole payments), \
         not a message of the harness's choosing: use --gateway-key for this"
    )]
    NotOffered { url: String },
}

impl Gateway {
    /// A remote signer's identity: its address and the discovery signature it made for it.
    pub fn remote(url: &str, address: Address, discovery_sig: Vec<u8>) -> Self {
        Self(Arc::new(Identity {
            address,
            discovery_sig,
            signer: Signer::RemoteSigner { url: url.to_string() },
        }))
    }

    pub fn address(&self) -> Address {
        self.0.address
    }

    pub fn signer(&self) -> &Signer {
        &self.0.signer
    }

    /// `eth_sign` of `message` by the gateway's key (EIP-191 over its keccak256), as go-livepeer
    /// verifies a gateway's SegData and ticket signatures; only a local key can.
    pub fn sign(&self, message: &[u8]) -> Result<[u8; SIGNATURE_LEN], SignError> {
        match &self.0.signer {
            Signer::LocalKey(key) => Ok(key.sign_message(message)),
            Signer::RemoteSigner { url } => Err(SignError::NotOffered { url: url.clone() }),
        }
    }

    /// Fills a request's `address` and `sig` (bytes fields, as OrchestratorRequest has them)
    /// with this identity, as for a signed discovery: a suite's `sign: true`.
    pub fn sign_fields(&self, message: &mut prost_reflect::DynamicMessage) {
        use prost_reflect::ReflectMessage as _;
        for (name, value) in [
            ("address", self.0.address.0.to_vec()),
            ("sig", self.0.discovery_sig.clone()),
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
        Self(Arc::new(Identity {
            address,
            discovery_sig: key.sign_message(&eth::orchestrator_request_message(&address)).to_vec(),
            signer: Signer::LocalKey(key.clone()),
        }))
    }
}

/// A discovery request as a gateway sends it: its address and `eth_sign`
/// over keccak256 of the EIP-55 address string.
pub fn signed_orchestrator_request(gateway: impl Into<Gateway>) -> OrchestratorRequest {
    let gateway = gateway.into();
    OrchestratorRequest {
        address: gateway.0.address.0.to_vec(),
        sig: gateway.0.discovery_sig.clone(),
        ..Default::default()
    }
}

/// The gateway's address with a signature made by some other key.
pub fn forged_orchestrator_request(gateway: impl Into<Gateway>) -> OrchestratorRequest {
    let gateway = gateway.into();
    let impostor = EthKey::random();
    OrchestratorRequest {
        sig: impostor
            .sign_message(&eth::orchestrator_request_message(&gateway.address()))
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
    fn a_local_key_signs_any_message_and_a_remote_signer_only_what_it_offers() {
        let key = EthKey::random();
        let local = Gateway::from(&key);
        let signature = local.sign(b"segment data").unwrap();
        assert_eq!(eth::recover_signer(b"segment data", &signature), Ok(key.address()));

        let discovery_sig = key.sign_message(&eth::orchestrator_request_message(&key.address()));
        let remote = Gateway::remote("http://127.0.0.1:7936", key.address(), discovery_sig.to_vec());
        assert_eq!(signed_orchestrator_request(&remote).sig, discovery_sig.to_vec());
        let refused = remote.sign(b"segment data").unwrap_err();
        assert!(
            refused
                .to_string()
                .starts_with("the remote signer http://127.0.0.1:7936 signs only"),
            "{refused}"
        );
        assert!(matches!(remote.signer(), Signer::RemoteSigner { url } if url == "http://127.0.0.1:7936"));
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
