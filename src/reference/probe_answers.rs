//! What the standard probe observes of an orchestrator that answers as the reference does, around
//! any discovery answer. The rule fixtures' good observation and the fuzz invariants' observation
//! of an arbitrary OrchestratorInfo are both built here, so the two agree on what a conformant
//! orchestrator's other answers look like.

use std::time::Duration;

use super::{INVALID_AUTH_TOKEN, SIG_CHECK_FAILED};
use crate::eth::{self, Address, EthKey};
use crate::observe::{Call, CallError, EndSessionExchange, Observation, PingExchange};
use crate::proto::net::{AuthToken, OrchestratorInfo, PingPong};

/// The answers to every probe but discovery, made once: signing the Ping is the costly part, and
/// the fuzz invariants build an observation per input.
pub struct ProbeAnswers {
    template: Observation,
}

impl ProbeAnswers {
    /// An on-chain orchestrator at `target` signing with `key`, its clock at `now_unix`: the
    /// Ping signed, the forged request and the forged token refused with go-livepeer's messages,
    /// the malformed address refused. The gateway is a fixed address.
    pub fn new(key: &EthKey, target: &str, now_unix: i64) -> Self {
        let ping_value = vec![0x42; 32];
        let signature = key.sign_message(&eth::ping_message(&ping_value));
        let mut template = Observation::of_discovery(target.to_string(), Address([0x99; 20]), refused(""));
        template.grpc.forged_signature = Some(refused(SIG_CHECK_FAILED));
        template.grpc.malformed_address = Some(refused("Invalid orchestrator request: invalid address"));
        template.grpc.ping = Some(PingExchange {
            value: ping_value,
            call: answered(PingPong {
                value: signature.to_vec(),
            }),
        });
        template.grpc.end_session_forged = Some(EndSessionExchange {
            token: AuthToken {
                token: vec![1; 32],
                session_id: "forged".into(),
                expiration: now_unix + 600,
            },
            call: refused(INVALID_AUTH_TOKEN),
        });
        ProbeAnswers { template }
    }

    /// The observation with `info` as the discovery answer, answered again after fuzzing and
    /// served as `served` at `GET /orchestrator/info`, its auth token accepted. No repeat
    /// discovery or capability discoveries: a caller that needs them adds them.
    pub fn around(&self, info: OrchestratorInfo, served: serde_json::Value) -> Observation {
        let mut observation = self.template.clone();
        observation.grpc.end_session_issued = info.auth_token.clone().map(|token| EndSessionExchange {
            token,
            call: answered(()),
        });
        observation.grpc.liveness_after_fuzz = Some(answered(info.clone()));
        observation.grpc.info = answered(info);
        observation.http.info_json = Some(answered(served));
        observation
    }
}

/// A call answered in 12 ms.
pub fn answered<T>(answer: T) -> Call<T> {
    Call {
        elapsed: Duration::from_millis(12),
        outcome: Ok(answer),
    }
}

/// A call refused in 3 ms with gRPC status Unknown and `message`, as go-livepeer refuses.
pub fn refused<T>(message: &str) -> Call<T> {
    Call {
        elapsed: Duration::from_millis(3),
        outcome: Err(CallError::Status {
            code: tonic::Code::Unknown,
            message: message.into(),
        }),
    }
}
