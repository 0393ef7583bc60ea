//! What a probe of one orchestrator saw: each call's answer or failure and how
//! long it took. Produced by the runner, read by rules and reporters; plain
//! data, no I/O.

use std::time::Duration;

use crate::error_text::with_causes;
use crate::eth::Address;
use crate::proto::net::{AuthToken, OrchestratorInfo, PingPong};
use crate::shown::shown_text;

/// Why a call produced no answer. A gRPC status or an HTTP refusal is the server speaking; a
/// connection dropped after the request went out is the server's doing too; the other variants
/// mean the server could not be reached or understood. The text shows long messages cut
/// ([`shown_text`]); the fields keep them whole (an HTTP refusal's text is read up to
/// `transport::REFUSAL_TEXT_LIMIT`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The server answered with a gRPC error status.
    #[error("gRPC status {code:?}: {}", shown_text(.message))]
    Status { code: tonic::Code, message: String },
    /// The server answered an HTTP request with a status other than 2xx; `text` is the start of
    /// the body (go-livepeer's `http.Error` text, e.g. `invalid auth token\n`).
    #[error("{}", refusal_text(*.status, .text))]
    Refused { status: u16, text: String },
    /// Connecting, TLS, HTTP/2 or the stream failed before a status arrived; for an HTTP request,
    /// before the request went out. The harness's or the network's problem.
    #[error("transport failure: {}", shown_text(.0))]
    Transport(String),
    /// An HTTP request went out on a working connection, and the server closed the connection,
    /// reset the stream or cut the body before a whole answer: how go-livepeer looks when an
    /// HTTP handler panics (net/http recovers and drops the connection or resets the stream).
    #[error("the connection dropped after the request was sent, with no answer: {}", shown_text(.0))]
    Dropped(String),
    /// No answer within the deadline.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// Bytes arrived but are not the declared message (or exceed the size cap).
    #[error("response does not decode: {}", shown_text(.0))]
    Decode(String),
}

/// `HTTP status 403: invalid auth token`, the text cut when long, without the line end
/// go-livepeer's `http.Error` adds.
fn refusal_text(status: u16, text: &str) -> String {
    match text.trim_end() {
        "" => format!("HTTP status {status} with an empty body"),
        text => format!("HTTP status {status}: {}", shown_text(text)),
    }
}

/// The text go-livepeer refuses every discovery with when the gateway has no deposit or reserve.
pub const INSUFFICIENT_RESERVE: &str = "insufficient sender reserve";
/// The error go-livepeer gives when it is at capacity (`-maxSessions`, or no idle live-video container).
pub const ORCHESTRATOR_CAPPED: &str = "OrchestratorCapped";

impl CallError {
    /// A refusal because the gateway identity is unfunded: a fact about the run, not the orchestrator.
    pub fn is_insufficient_reserve(&self) -> bool {
        matches!(self, CallError::Status { message, .. } if message.contains(INSUFFICIENT_RESERVE))
    }

    /// A refusal because the orchestrator is at capacity.
    pub fn is_capped(&self) -> bool {
        matches!(self, CallError::Status { message, .. } if message.contains(ORCHESTRATOR_CAPPED))
    }

    /// Builds the error from a tonic status, telling server statuses apart
    /// from the ones tonic synthesises for transport and decode failures.
    pub fn from_status(status: tonic::Status) -> Self {
        use std::error::Error as _;
        let code = status.code();
        let message = status.message().to_string();
        // tonic attaches a source only to statuses it builds from local errors (I/O, HTTP/2,
        // connect); a status read off the wire never has one.
        if let Some(source) = status.source() {
            return CallError::Transport(with_causes(message, Some(source)));
        }
        if TONIC_DECODE_FAILURES
            .iter()
            .any(|(failure_code, prefix)| *failure_code == code && message.starts_with(prefix))
        {
            return CallError::Decode(message);
        }
        if TONIC_NO_STATUS.iter().any(|prefix| message.starts_with(prefix)) {
            return CallError::Transport(format!("the answer carried no gRPC status: {message}"));
        }
        CallError::Status { code, message }
    }
}

/// Statuses tonic makes when response bytes arrived but do not decode (prost and the dynamic
/// codec word decode failures alike), told apart from server statuses by code and prefix.
const TONIC_DECODE_FAILURES: &[(tonic::Code, &str)] = &[
    (tonic::Code::Internal, "failed to decode Protobuf message"),
    (tonic::Code::OutOfRange, "Error, decoded message length too large"),
    (tonic::Code::ResourceExhausted, "Error decompressing"),
    (tonic::Code::Internal, "Error decompressing"),
    (tonic::Code::Internal, "Unexpected EOF decoding stream"),
    (tonic::Code::Internal, "protocol error: received message with"),
    (tonic::Code::Internal, "Missing response message"),
    (tonic::Code::Unimplemented, "Content is compressed with"),
];

/// Statuses tonic makes when the answer carried no gRPC status at all (an HTTP error page, a
/// stream cut short): the server was reached but not understood.
const TONIC_NO_STATUS: &[&str] = &[
    "grpc-status header missing, mapped from HTTP status code",
    "protocol error: missing grpc-status trailer",
];

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

impl Call<OrchestratorInfo> {
    /// The call with its answer's repeated fields (`nodes`, `capabilities`, `capabilities_prices`,
    /// `hardware`, `storage`) dropped, as the [`Observation`] files every discovery but `info`:
    /// the rules read only those answers' single values (auth token, ticket parameters, price,
    /// transcoder) and whether they came, so a hostile answer costs one decoded copy per case,
    /// not one per call.
    pub fn without_lists(mut self) -> Self {
        if let Ok(answer) = &mut self.outcome {
            answer.nodes = Vec::new();
            answer.capabilities = None;
            answer.capabilities_prices = Vec::new();
            answer.hardware = Vec::new();
            answer.storage = Vec::new();
        }
        self
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

/// An AI model named in a discovery request: a capability number and a model id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModelRef {
    pub capability: u32,
    pub model_id: String,
}

/// A signed GetOrchestrator that named capabilities, as gateways send before a job.
#[derive(Debug, Clone)]
pub struct CapabilityDiscovery {
    /// The (capability, model) pairs the request named in `capacities` and `PerCapability`;
    /// empty when it named capabilities by bit only.
    pub models: Vec<ModelRef>,
    pub ignore_capacity_check: bool,
    pub call: Call<OrchestratorInfo>,
}

/// A field on the wire that the loaded proto does not define (SPEC-003).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownField {
    /// Where in the observation: `info`, `info.capabilities`, `ping`, …
    pub message_path: String,
    pub number: u32,
    pub wire_type: u8,
}

/// A field of an answer that the loaded proto names and the compiled types lack (a newer
/// `lp_rpc.proto` given with `--proto`): shown by name in the views, never judged.
#[derive(Debug, Clone, PartialEq)]
pub struct NewerField {
    /// The field's path in the answer, by proto field names: `release_channel`,
    /// `capabilities.zones`, `capabilities_prices[2].region`.
    pub path: String,
    /// The value in proto3 JSON, or a note of its size when it is long.
    pub value: serde_json::Value,
}

/// A fuzzed request and how the target answered it: judged by the RPC rules, named by its case.
#[derive(Debug, Clone)]
pub struct FuzzedCall {
    /// `family#index`: the path the rules' findings name.
    pub case: String,
    pub call: Call<()>,
}

/// A suite's call to a method by name (`call:`): how it ended, for the RPC rules.
#[derive(Debug, Clone)]
pub struct ScriptedExchange {
    /// `service/method`.
    pub method: String,
    pub call: Call<()>,
}

/// GetOrchestrator to one of the `nodes` the orchestrator listed (`--follow-nodes`).
#[derive(Debug, Clone)]
pub struct NodeDiscovery {
    pub node: String,
    pub call: Call<OrchestratorInfo>,
}

/// An HTTP request on the target's port and how it ended, for the RPC rules.
#[derive(Debug, Clone)]
pub struct HttpExchange {
    /// The request line, `GET /orchestrator/info`.
    pub request: String,
    /// A 2xx answer, or why none came: a refusal (its status and text), a connection dropped
    /// after the request, a timeout.
    pub call: Call<()>,
}

/// What the HTTP requests on the target's port saw, beside the gRPC calls.
#[derive(Debug, Clone, Default)]
pub struct HttpObservation {
    /// Every HTTP request made, in order; the RPC rules judge each as they judge a gRPC call.
    pub exchanges: Vec<HttpExchange>,
    /// `GET /orchestrator/info`: the JSON the target serves there, as served. It may hold the
    /// auth token and storage credentials, so reports never render it whole. `None` when the run
    /// did not ask.
    pub info_json: Option<Call<serde_json::Value>>,
}

/// What the gRPC calls to the target saw: the discoveries, Ping, EndTranscodingSession, a suite's
/// calls by name and a fuzzed request. Optional parts are the probes a suite case may skip.
#[derive(Debug, Clone)]
pub struct GrpcObservation {
    /// GetOrchestrator with a valid signature: the discovery answer.
    pub info: Call<OrchestratorInfo>,
    /// A second signed discovery after `info`: TICKET-010 and AUTH-006 compare the two answers.
    pub repeat_info: Option<Call<OrchestratorInfo>>,
    /// Signed discoveries naming capabilities and models (PRICE-009, RPC-007).
    pub capability_discoveries: Vec<CapabilityDiscovery>,
    /// GetOrchestrator to each of `info.nodes`; `None` unless the run follows nodes (URI-004).
    pub followed_nodes: Option<Vec<NodeDiscovery>>,
    /// GetOrchestrator whose signature was made by a different key.
    pub forged_signature: Option<Call<OrchestratorInfo>>,
    /// GetOrchestrator whose address is not 20 bytes.
    pub malformed_address: Option<Call<OrchestratorInfo>>,
    pub ping: Option<PingExchange>,
    /// EndTranscodingSession with a token the orchestrator never issued.
    pub end_session_forged: Option<EndSessionExchange>,
    /// EndTranscodingSession with the token from `info`.
    pub end_session_issued: Option<EndSessionExchange>,
    /// A well-formed GetOrchestrator sent after the fuzzed requests: is the
    /// orchestrator still serving? `None` when the run did no fuzzing.
    pub liveness_after_fuzz: Option<Call<OrchestratorInfo>>,
    /// A fuzzed request; `None` unless this observation judges one.
    pub fuzzed: Option<FuzzedCall>,
    /// The suite's calls to methods by name, in order.
    pub scripted: Vec<ScriptedExchange>,
}

/// Everything learned from one orchestrator, by surface: the gRPC calls and the HTTP requests on
/// the same port. A rule whose input is absent is skipped, not failed. Only `grpc.info` holds a
/// whole discovery answer: the runner and the probe file the other discoveries
/// [`Call::without_lists`].
#[derive(Debug, Clone)]
pub struct Observation {
    /// The address the harness dialled, as given (`https://host:port`).
    pub target: String,
    /// The gateway address the requests were signed with.
    pub gateway: Address,
    /// What the gRPC calls saw.
    pub grpc: GrpcObservation,
    /// What the HTTP requests on the same port saw.
    pub http: HttpObservation,
    /// Fields of the answers that the loaded proto does not define, by slot path. Kept beside
    /// the surfaces: any protobuf answer, gRPC or an HTTP route's, may carry them.
    pub unknown_fields: Vec<UnknownField>,
    /// Fields of `grpc.info`'s answer that only the loaded (newer) proto names; beside the
    /// surfaces for the same reason.
    pub newer_fields: Vec<NewerField>,
}

impl Observation {
    /// An observation holding only a discovery call; the optional probes are left out, so the
    /// rules that read them skip until a caller fills them in.
    pub fn of_discovery(target: String, gateway: Address, info: Call<OrchestratorInfo>) -> Self {
        Observation {
            target,
            gateway,
            grpc: GrpcObservation {
                info,
                repeat_info: None,
                capability_discoveries: Vec::new(),
                followed_nodes: None,
                forged_signature: None,
                malformed_address: None,
                ping: None,
                end_session_forged: None,
                end_session_issued: None,
                liveness_after_fuzz: None,
                fuzzed: None,
                scripted: Vec::new(),
            },
            http: HttpObservation::default(),
            unknown_fields: Vec::new(),
            newer_fields: Vec::new(),
        }
    }

    /// Every call of the observation, gRPC and HTTP, with the path that names it in findings: its
    /// slot (`info`, `capability_discoveries[1]`, `scripted[0]`), the fuzz case, or an HTTP
    /// request's place and line (`http[0] GET /orchestrator/info`).
    pub fn calls(&self) -> Vec<(String, Result<(), &CallError>)> {
        fn outcome<T>(call: &Call<T>) -> Result<(), &CallError> {
            call.outcome.as_ref().map(|_| ())
        }
        let optional = [
            ("repeat_info", self.grpc.repeat_info.as_ref().map(outcome)),
            ("forged_signature", self.grpc.forged_signature.as_ref().map(outcome)),
            ("malformed_address", self.grpc.malformed_address.as_ref().map(outcome)),
            ("ping", self.grpc.ping.as_ref().map(|ping| outcome(&ping.call))),
            (
                "end_session_forged",
                self.grpc.end_session_forged.as_ref().map(|end| outcome(&end.call)),
            ),
            (
                "end_session_issued",
                self.grpc.end_session_issued.as_ref().map(|end| outcome(&end.call)),
            ),
            (
                "liveness_after_fuzz",
                self.grpc.liveness_after_fuzz.as_ref().map(outcome),
            ),
        ];
        let listed = |name: &'static str| move |(index, result)| (format!("{name}[{index}]"), result);
        let discoveries = (self
            .grpc
            .capability_discoveries
            .iter()
            .map(|discovery| outcome(&discovery.call)))
        .enumerate()
        .map(listed("capability_discoveries"));
        let nodes = (self
            .grpc
            .followed_nodes
            .iter()
            .flatten()
            .map(|node| outcome(&node.call)))
        .enumerate()
        .map(listed("followed_nodes"));
        let scripted = (self.grpc.scripted.iter().map(|scripted| outcome(&scripted.call)))
            .enumerate()
            .map(listed("scripted"));
        let http = (self.http.exchanges.iter().enumerate())
            .map(|(index, exchange)| (format!("http[{index}] {}", exchange.request), outcome(&exchange.call)));
        let fuzzed = self
            .grpc
            .fuzzed
            .iter()
            .map(|fuzzed| (fuzzed.case.clone(), outcome(&fuzzed.call)));
        std::iter::once(("info".to_string(), outcome(&self.grpc.info)))
            .chain(
                optional
                    .into_iter()
                    .filter_map(|(path, outcome)| outcome.map(|outcome| (path.to_string(), outcome))),
            )
            .chain(discoveries)
            .chain(nodes)
            .chain(scripted)
            .chain(fuzzed)
            .chain(http)
            .collect()
    }

    /// Every signed discovery answered or refused: the baseline, its repeat and the ones naming
    /// capabilities (RPC-008 times them).
    pub fn signed_discoveries(&self) -> impl Iterator<Item = &Call<OrchestratorInfo>> {
        std::iter::once(&self.grpc.info)
            .chain(self.grpc.repeat_info.as_ref())
            .chain(self.grpc.capability_discoveries.iter().map(|discovery| &discovery.call))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::net::{Capabilities, PriceInfo, TicketParams};

    #[test]
    fn a_discovery_filed_without_lists_keeps_what_rules_compare() {
        let price = PriceInfo {
            price_per_unit: 1000,
            pixels_per_unit: 1,
            ..Default::default()
        };
        let answer = OrchestratorInfo {
            transcoder: "https://orch.example:8935".into(),
            nodes: vec!["https://node.example:8935".into(); 3],
            capabilities: Some(Capabilities::default()),
            capabilities_prices: vec![price.clone()],
            price_info: Some(price),
            ticket_params: Some(TicketParams::default()),
            auth_token: Some(AuthToken::default()),
            ..Default::default()
        };
        let call = Call {
            elapsed: Duration::from_millis(3),
            outcome: Ok(answer.clone()),
        };
        let filed = call.without_lists().outcome.unwrap();
        let expected = OrchestratorInfo {
            nodes: Vec::new(),
            capabilities: None,
            capabilities_prices: Vec::new(),
            ..answer
        };
        assert_eq!(filed, expected);
    }
}
