//! Drives one orchestrator through the standard calls (signed discovery,
//! forged and malformed discovery, Ping, EndTranscodingSession with a forged
//! and with the issued token, the JSON at `GET /orchestrator/info`) and records
//! what came back as an `Observation`.
//! Never prints: reporters render the observation.

use std::future::Future;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use rand::RngCore;

use crate::eth::{self, EthKey};
use crate::observe::{Call, CallError, EndSessionExchange, Observation, PingExchange};
use crate::openapi::INFO_PATH;
use crate::proto::net::{AuthToken, EndTranscodingSessionRequest, OrchestratorRequest, PingPong};
use crate::transport::Connection;

/// A discovery request as a gateway sends it: its address and `eth_sign`
/// over keccak256 of the EIP-55 address string.
pub fn signed_orchestrator_request(gateway: &EthKey) -> OrchestratorRequest {
    let address = gateway.address();
    OrchestratorRequest {
        address: address.0.to_vec(),
        sig: gateway
            .sign_message(&eth::orchestrator_request_message(&address))
            .to_vec(),
        ..Default::default()
    }
}

/// The gateway's address with a signature made by some other key.
pub fn forged_orchestrator_request(gateway: &EthKey) -> OrchestratorRequest {
    let impostor = EthKey::random();
    OrchestratorRequest {
        sig: impostor
            .sign_message(&eth::orchestrator_request_message(&gateway.address()))
            .to_vec(),
        ..signed_orchestrator_request(gateway)
    }
}

/// A correctly signed request whose address is one byte short.
pub fn malformed_address_request(gateway: &EthKey) -> OrchestratorRequest {
    let mut request = signed_orchestrator_request(gateway);
    request.address.truncate(19);
    request
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
pub async fn probe(connection: &Connection, gateway: &EthKey) -> Observation {
    let info = timed(connection.get_orchestrator(signed_orchestrator_request(gateway))).await;
    let forged_signature = timed(connection.get_orchestrator(forged_orchestrator_request(gateway))).await;
    let malformed_address = timed(connection.get_orchestrator(malformed_address_request(gateway))).await;

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
}
