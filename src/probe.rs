//! Drives one orchestrator through the standard calls (signed discovery,
//! forged and malformed discovery, Ping, EndTranscodingSession with a forged
//! and with the issued token, the JSON at `GET /orchestrator/info`) and records
//! what came back as an `Observation`.
//! Never prints: reporters render the observation.

use std::future::Future;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use rand::RngCore;

use crate::capability::{self, encode_bitstring};
use crate::eth::{self, Address, EthKey};
use crate::observe::{
    Call, CallError, CapabilityDiscovery, EndSessionExchange, ModelRef, Observation, PingExchange, UnknownField,
};
use crate::openapi::INFO_PATH;
use crate::proto::net::capabilities::capability_constraints::ModelConstraint;
use crate::proto::net::capabilities::{CapabilityConstraints, Constraints};
use crate::proto::net::{
    AuthToken, Capabilities, EndTranscodingSessionRequest, OrchestratorInfo, OrchestratorRequest, PingPong,
};
use crate::transport::Connection;

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
/// by capability name), else every listed one; at most [`MAX_MODEL_DISCOVERIES`].
pub fn models_to_request(info: &OrchestratorInfo) -> Vec<ModelRef> {
    let is_ai = |number: u32| capability::lookup(number).is_some_and(|known| known.is_ai());
    let mut models: Vec<ModelRef> = info
        .capabilities_prices
        .iter()
        .filter(|price| is_ai(price.capability) && !price.constraint.is_empty())
        .map(|price| ModelRef {
            capability: price.capability,
            model_id: price.constraint.clone(),
        })
        .collect();
    if models.is_empty() {
        let constraints = info.capabilities.as_ref().and_then(|c| c.constraints.as_ref());
        models = constraints
            .into_iter()
            .flat_map(|constraints| &constraints.per_capability)
            .filter(|(number, _)| is_ai(**number))
            .flat_map(|(number, per_capability)| {
                per_capability.models.keys().map(|model_id| ModelRef {
                    capability: *number,
                    model_id: model_id.clone(),
                })
            })
            .collect();
    }
    models.sort();
    models.dedup();
    models.truncate(MAX_MODEL_DISCOVERIES);
    models
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

/// One discovery per model of `info` (see [`models_to_request`]), and one naming them all
/// when there are several, as a gateway asks before paying for a job.
pub async fn discover_models(
    connection: &Connection,
    gateway: &Gateway,
    info: &OrchestratorInfo,
) -> Vec<CapabilityDiscovery> {
    let models = models_to_request(info);
    let mut requests: Vec<Vec<ModelRef>> = models.iter().map(|model| vec![model.clone()]).collect();
    if models.len() > 1 {
        requests.push(models);
    }
    let mut discoveries = Vec::with_capacity(requests.len());
    for models in requests {
        let call = timed(connection.get_orchestrator(model_request(gateway.clone(), &models))).await;
        discoveries.push(CapabilityDiscovery {
            models,
            ignore_capacity_check: true,
            call: call.without_lists(),
        });
    }
    discoveries
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

/// A discovery call with the answer's fields the proto does not define (SPEC-003) split off.
pub async fn scanned_discovery(
    connection: &Connection,
    request: OrchestratorRequest,
) -> (Call<OrchestratorInfo>, Vec<UnknownField>) {
    let call = timed(connection.get_orchestrator_scanned(request)).await;
    let (outcome, unknown) = match call.outcome {
        Ok((info, unknown)) => (Ok(info), unknown),
        Err(error) => (Err(error), Vec::new()),
    };
    (
        Call {
            elapsed: call.elapsed,
            outcome,
        },
        unknown,
    )
}

/// Runs a call and records how long it took.
pub async fn timed<T>(call: impl Future<Output = Result<T, CallError>>) -> Call<T> {
    let started = Instant::now();
    let outcome = call.await;
    Call {
        elapsed: started.elapsed(),
        outcome,
    }
}

/// Runs every standard call against a connected orchestrator.
pub async fn probe(connection: &Connection, gateway: &Gateway) -> Observation {
    let (info, unknown_fields) = scanned_discovery(connection, signed_orchestrator_request(gateway.clone())).await;
    let repeat_info = timed(connection.get_orchestrator(signed_orchestrator_request(gateway.clone())))
        .await
        .without_lists();
    let capability_discoveries = match info.answer() {
        Some(answer) => discover_models(connection, gateway, answer).await,
        None => Vec::new(),
    };
    let forged_signature = timed(connection.get_orchestrator(forged_orchestrator_request(gateway.clone())))
        .await
        .without_lists();
    let malformed_address = timed(connection.get_orchestrator(malformed_address_request(gateway.clone())))
        .await
        .without_lists();

    let ping_value = random_bytes(32);
    let ping_call = timed(connection.ping(PingPong {
        value: ping_value.clone(),
    }))
    .await;

    let end_session = |token: AuthToken| async move {
        let request = EndTranscodingSessionRequest {
            auth_token: Some(token.clone()),
        };
        EndSessionExchange {
            token,
            call: timed(connection.end_transcoding_session(request)).await,
        }
    };
    let end_session_forged = end_session(forged_auth_token()).await;
    let issued_token = info.answer().and_then(|info| info.auth_token.clone());
    let end_session_issued = match issued_token {
        Some(token) => Some(end_session(token).await),
        None => None,
    };

    Observation {
        target: connection.target().to_string(),
        gateway: gateway.address(),
        info,
        repeat_info: Some(repeat_info),
        capability_discoveries,
        followed_nodes: None,
        unknown_fields,
        forged_signature: Some(forged_signature),
        malformed_address: Some(malformed_address),
        ping: Some(PingExchange {
            value: ping_value,
            call: ping_call,
        }),
        end_session_forged: Some(end_session_forged),
        end_session_issued,
        liveness_after_fuzz: None,
        info_json: Some(timed(connection.get_json(INFO_PATH)).await),
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
