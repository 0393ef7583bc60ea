//! What a probe of one orchestrator saw: each call's answer or failure and how
//! long it took. Produced by the runner, read by rules and reporters; plain
//! data, no I/O.

use std::time::Duration;

use crate::eth::Address;
use crate::proto::net::{AuthToken, OrchestratorInfo, PingPong};

/// Why a call produced no answer. A gRPC status is the server speaking; the
/// other variants mean the server could not be reached or understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The server answered with a gRPC error status.
    #[error("gRPC status {code:?}: {message}")]
    Status { code: tonic::Code, message: String },
    /// Connecting, TLS, HTTP/2 or the stream failed before a status arrived.
    #[error("transport failure: {0}")]
    Transport(String),
    /// No answer within the deadline.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// Bytes arrived but are not the declared message (or exceed the size cap).
    #[error("response does not decode: {0}")]
    Decode(String),
}

impl CallError {
    /// Builds the error from a tonic status, telling server statuses apart
    /// from the ones tonic synthesises for transport and decode failures.
    pub fn from_status(status: tonic::Status) -> Self {
        use std::error::Error as _;
        let message = status.message().to_string();
        let transport_source = status
            .source()
            .map(|source| source.to_string())
            .filter(|_| status.code() == tonic::Code::Unavailable || status.code() == tonic::Code::Unknown);
        match (status.code(), transport_source) {
            (_, Some(source)) => CallError::Transport(format!("{message}: {source}")),
            (tonic::Code::Internal, None) if message.contains("decode") || message.contains("message length too large") => {
                CallError::Decode(message)
            }
            (tonic::Code::OutOfRange, None) if message.contains("message length too large") => CallError::Decode(message),
            (code, None) => CallError::Status { code, message },
        }
    }
}

/// One call: what came back and how long it took.
#[derive(Debug, Clone)]
pub struct Call<T> {
    pub elapsed: Duration,
    pub outcome: Result<T, CallError>,
}

impl<T> Call<T> {
    pub fn answer(&self) -> Option<&T> {
        self.outcome.as_ref().ok()
    }
}

/// A Ping: the value sent and the answer.
#[derive(Debug, Clone)]
pub struct PingExchange {
    pub value: Vec<u8>,
    pub call: Call<PingPong>,
}

/// An EndTranscodingSession: the token sent and the answer.
#[derive(Debug, Clone)]
pub struct EndSessionExchange {
    pub token: AuthToken,
    pub call: Call<()>,
}

/// Everything learned from one orchestrator. Optional parts are the probes a
/// suite case may skip; a rule whose input is absent is skipped, not failed.
#[derive(Debug, Clone)]
pub struct Observation {
    /// The address the harness dialled, as given (`https://host:port`).
    pub target: String,
    /// The gateway address the requests were signed with.
    pub gateway: Address,
    /// GetOrchestrator with a valid signature: the discovery answer.
    pub info: Call<OrchestratorInfo>,
    /// GetOrchestrator whose signature was made by a different key.
    pub forged_signature: Option<Call<OrchestratorInfo>>,
    /// GetOrchestrator whose address is not 20 bytes.
    pub malformed_address: Option<Call<OrchestratorInfo>>,
    pub ping: Option<PingExchange>,
    /// EndTranscodingSession with a token the orchestrator never issued.
    pub end_session_forged: Option<EndSessionExchange>,
    /// EndTranscodingSession with the token from `info`.
    pub end_session_issued: Option<EndSessionExchange>,
}
