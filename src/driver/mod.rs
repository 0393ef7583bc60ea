//! The one call driver: every call of `run`, `selftest`, `sweep`, `fuzz` and `replay`, gRPC or
//! HTTP, goes through [`Driver::exchange`]. It sends the request (a gRPC method's encoded
//! message, or an HTTP request on the same port: [`Wire`]) under the connection's deadline and
//! size cap, times it, and walks a protobuf answer's bytes against the loaded descriptors
//! ([`scan`]): fields the loaded proto does not define (SPEC-003)
//! and fields only a newer proto names, decoded by name. The typed calls built on it decode the
//! answer into the compiled types the rules read and file it in the [`Recorder`]'s observation,
//! deciding its slot from the request itself, so no caller decides where an answer goes.

mod lean;
pub mod scan;

use std::borrow::Cow;
use std::time::{Duration, Instant};

use bytes::Bytes;
use prost::Message;
use prost_reflect::{DynamicMessage, MessageDescriptor, MethodDescriptor};

use crate::eth::{self, Address};
use crate::gateway::{model_request, models_to_request, Gateway};
use crate::observe::{
    Call, CallError, CapabilityDiscovery, EndSessionExchange, FuzzedCall, HttpExchange, ModelRef, NodeDiscovery,
    Observation, PingExchange, ScriptedExchange, UnknownField,
};
use crate::proto::net::{AuthToken, EndTranscodingSessionRequest, OrchestratorInfo, OrchestratorRequest, PingPong};
use crate::protocol::{Protocol, RpcMethod, INFO_PATH};
use crate::transport::{Connection, HttpAnswer, HttpHead, HttpRequest, HttpVersion, Target, TransportOptions};
use scan::WireScan;

/// A request as it goes on the wire: a gRPC call or an HTTP request on the same port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wire {
    /// A unary gRPC call: the method's HTTP/2 `:path` (`/net.Orchestrator/Ping`) and the request
    /// message's protobuf encoding, the bytes sent (shared with the call, not copied: a fuzzed
    /// body may be megabytes).
    Grpc { path: String, body: Bytes },
    /// An HTTP request; its header values marked sensitive are secrets reports never show.
    Http(HttpRequest),
}

/// A request as it went on the wire, and what in it reports must not show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentRequest {
    pub wire: Wire,
    /// The body carries the auth token the orchestrator issued, a secret: reports never show
    /// its bytes, and its reproducer says where the token comes from instead.
    pub carries_issued_token: bool,
}

impl SentRequest {
    /// A gRPC call of `body` to `path` carrying no secret.
    pub fn grpc(path: &str, body: Bytes) -> Self {
        Self {
            wire: Wire::Grpc {
                path: path.to_string(),
                body,
            },
            carries_issued_token: false,
        }
    }

    /// An HTTP request carrying no secret in its body.
    pub fn http(request: HttpRequest) -> Self {
        Self {
            wire: Wire::Http(request),
            carries_issued_token: false,
        }
    }

    /// How reports name it: `net.Orchestrator/Ping` as grpcurl does, `GET /orchestrator/info`.
    pub fn name(&self) -> Cow<'_, str> {
        match &self.wire {
            Wire::Grpc { path, .. } => Cow::Borrowed(path.strip_prefix('/').unwrap_or(path)),
            Wire::Http(request) => Cow::Owned(format!("{} {}", request.method, request.path)),
        }
    }

    /// The bytes of the body as sent.
    pub fn body(&self) -> &Bytes {
        match &self.wire {
            Wire::Grpc { body, .. } => body,
            Wire::Http(request) => &request.body,
        }
    }
}

/// One call to make: the request, and what the answer should be.
#[derive(Debug, Clone)]
pub struct Request {
    pub sent: SentRequest,
    /// The answer's message in the loaded proto, walked and decoded with it; `None` when the
    /// answer is not protobuf (JSON) or the loaded proto has no such method (a replayed path).
    pub output: Option<MessageDescriptor>,
}

/// One call made: the request, how long it took, the answer's bytes or why there were none,
/// and what the bytes hold beyond the compiled types.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub sent: SentRequest,
    pub elapsed: Duration,
    /// The answer's message (gRPC) or body (an HTTP 2xx), or why none came.
    pub answer: Result<Bytes, CallError>,
    /// An HTTP answer's status and headers; `None` for gRPC and when no answer came.
    pub http_head: Option<HttpHead>,
    pub output: Option<MessageDescriptor>,
    pub scan: WireScan,
}

impl Exchange {
    /// The answer decoded into a compiled type, as the rules read it.
    pub fn decoded<T: Message + Default>(&self) -> Call<T> {
        let outcome = self.answer.clone().and_then(|bytes| {
            T::decode(bytes).map_err(|error| CallError::Decode(format!("failed to decode Protobuf message: {error}")))
        });
        Call {
            elapsed: self.elapsed,
            outcome,
        }
    }

    /// A discovery answer decoded as [`Call::without_lists`] files it, its lists checked but never
    /// built ([`lean`]): a long answer costs no decoded copy per call. Outcomes and failures are
    /// those of [`Exchange::decoded`] followed by [`Call::without_lists`].
    pub fn discovery_without_lists(&self) -> Call<OrchestratorInfo> {
        let outcome = self.answer.as_ref().map_err(Clone::clone).and_then(|bytes| {
            lean::decode_without_lists(bytes)
                .map_err(|error| CallError::Decode(format!("failed to decode Protobuf message: {error}")))
        });
        Call {
            elapsed: self.elapsed,
            outcome,
        }
    }

    /// The answer decoded with the loaded proto's descriptor of the method's output.
    pub fn dynamic(&self) -> Call<DynamicMessage> {
        let outcome = self.answer.clone().and_then(|bytes| match &self.output {
            Some(output) => DynamicMessage::decode(output.clone(), bytes)
                .map_err(|error| CallError::Decode(format!("failed to decode Protobuf message: {error}"))),
            None => Err(CallError::Decode(format!(
                "the loaded proto has no method {}",
                self.sent.name()
            ))),
        });
        Call {
            elapsed: self.elapsed,
            outcome,
        }
    }

    /// How the call ended, for a step's report: an answer, or why not.
    pub fn result(&self) -> Result<(), CallError> {
        self.answer.as_ref().map(drop).map_err(Clone::clone)
    }
}

/// An observation being filled call by call: the driver files each answer in its slot.
#[derive(Debug)]
pub struct Recorder {
    observation: Observation,
    /// Whether `info` holds a discovery of this observation yet.
    info_filed: bool,
}

impl Recorder {
    /// An observation of `target` with no calls yet: until a signed discovery is filed,
    /// `info` says there was none.
    pub fn new(target: &Target, gateway: Address) -> Self {
        let none = Call {
            elapsed: Duration::ZERO,
            outcome: Err(CallError::Transport("no discovery in this case".into())),
        };
        Self {
            observation: Observation::of_discovery(target.to_string(), gateway, none),
            info_filed: false,
        }
    }

    pub fn observation(&self) -> &Observation {
        &self.observation
    }

    /// The discovery answer filed as `info`, if one came.
    pub fn info(&self) -> Option<&OrchestratorInfo> {
        self.info_filed.then(|| self.observation.grpc.info.answer()).flatten()
    }

    /// `info`'s call, if a discovery was filed there.
    pub fn info_call(&self) -> Option<&Call<OrchestratorInfo>> {
        self.info_filed.then_some(&self.observation.grpc.info)
    }

    /// Files the discoveries of the answer's `nodes` (`--follow-nodes`).
    pub fn observe_followed_nodes(&mut self, followed: Vec<NodeDiscovery>) {
        self.observation.grpc.followed_nodes = Some(followed);
    }

    pub fn finish(self) -> Observation {
        self.observation
    }

    /// Files an HTTP exchange among the observation's HTTP exchanges: its request line and
    /// whether an answer came.
    fn file_http(&mut self, exchange: &Exchange) {
        self.observation.http.exchanges.push(HttpExchange {
            request: exchange.sent.name().into_owned(),
            call: Call {
                elapsed: exchange.elapsed,
                outcome: exchange.result(),
            },
        });
    }

    /// Files the unknown fields of an answer filed under `slot`.
    fn file_unknown(&mut self, slot: &str, found: &[UnknownField]) {
        self.observation
            .unknown_fields
            .extend(found.iter().map(|field| UnknownField {
                message_path: join(slot, &field.message_path),
                ..field.clone()
            }));
    }
}

fn join(slot: &str, path: &str) -> String {
    if path.is_empty() {
        slot.to_string()
    } else {
        format!("{slot}.{path}")
    }
}

/// Where a discovery's answer goes, decided by what its request asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DiscoverySlot {
    Info,
    RepeatInfo,
    CapabilityDiscovery,
    ForgedSignature,
    MalformedAddress,
    /// Kept only in the step's report (a third plain discovery, the zero address, no signature).
    None,
}

/// Talks to one orchestrator as one gateway, with one loaded proto. Cheap to clone (the fuzzer
/// hands a clone to each request in flight).
#[derive(Debug, Clone)]
pub struct Driver {
    connection: Connection,
    proto: Protocol,
    gateway: Gateway,
}

impl Driver {
    pub fn new(connection: Connection, proto: Protocol, gateway: Gateway) -> Self {
        Self {
            connection,
            proto,
            gateway,
        }
    }

    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    pub fn proto(&self) -> &Protocol {
        &self.proto
    }

    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }

    pub fn target(&self) -> &Target {
        self.connection.target()
    }

    /// A recorder for an observation by this driver.
    pub fn recorder(&self) -> Recorder {
        Recorder::new(self.target(), self.gateway.address())
    }

    /// The request of `method` carrying `message`.
    pub fn request(&self, method: RpcMethod, message: &impl Message) -> Request {
        self.request_to(method.path(), Bytes::from(message.encode_to_vec()))
    }

    /// `body` sent to the gRPC `path` as it is (the fuzzer's bytes, a replayed request).
    pub fn request_to(&self, path: &str, body: Bytes) -> Request {
        Request {
            sent: SentRequest::grpc(path, body),
            output: self.proto.method_by_path(path).map(|method| method.output()),
        }
    }

    /// Every call, gRPC or HTTP, goes through here: sent under the connection's deadline and
    /// size cap, timed, its answer walked against the loaded descriptors when it is protobuf.
    pub async fn exchange(&self, request: Request) -> Exchange {
        let started = Instant::now();
        let (answer, http_head) = match &request.sent.wire {
            Wire::Grpc { path, body } => (self.connection.call_raw(path, body.clone()).await, None),
            Wire::Http(http) => match self.connection.http(http).await {
                Ok(HttpAnswer { head, body }) => (Ok(body), Some(head)),
                Err(error) => (Err(error), None),
            },
        };
        let elapsed = started.elapsed();
        let scan = match (&answer, &request.output) {
            (Ok(bytes), Some(output)) => {
                let built_in = Protocol::built_in_ref().message(output.full_name());
                scan::scan(output, built_in.as_ref(), bytes)
            }
            _ => WireScan::default(),
        };
        Exchange {
            sent: request.sent,
            elapsed,
            answer,
            http_head,
            output: request.output,
            scan,
        }
    }

    /// One call of `method` with its answer decoded into the compiled type `A`, filed nowhere:
    /// the liveness check after fuzzed requests, and tests of an orchestrator's answers.
    pub async fn call<A: Message + Default>(&self, method: RpcMethod, request: &impl Message) -> Result<A, CallError> {
        self.exchange(self.request(method, request))
            .await
            .decoded::<A>()
            .outcome
    }

    /// A GetOrchestrator, filed where its request says: the first signed plain one is `info`,
    /// the second `repeat_info`, one naming capabilities a capability discovery, a signature by
    /// another key `forged_signature`, an address not 20 bytes `malformed_address`.
    pub async fn discover(&self, request: OrchestratorRequest, recorder: &mut Recorder) -> Exchange {
        let slot = self.discovery_slot(&request, recorder);
        let ignore_capacity_check = request.ignore_capacity_check;
        let exchange = self.exchange(self.request(RpcMethod::GetOrchestrator, &request)).await;
        let observation = &mut recorder.observation;
        let path = match slot {
            DiscoverySlot::Info => {
                recorder.info_filed = true;
                observation.grpc.info = exchange.decoded::<OrchestratorInfo>();
                observation.newer_fields = exchange.scan.newer.clone();
                "info".to_string()
            }
            DiscoverySlot::RepeatInfo => {
                observation.grpc.repeat_info = Some(exchange.discovery_without_lists());
                "repeat_info".to_string()
            }
            DiscoverySlot::CapabilityDiscovery => {
                observation.grpc.capability_discoveries.push(CapabilityDiscovery {
                    models: Vec::new(),
                    ignore_capacity_check,
                    call: exchange.discovery_without_lists(),
                });
                format!(
                    "capability_discoveries[{}]",
                    observation.grpc.capability_discoveries.len() - 1
                )
            }
            DiscoverySlot::ForgedSignature => {
                observation.grpc.forged_signature = Some(exchange.discovery_without_lists());
                "forged_signature".to_string()
            }
            DiscoverySlot::MalformedAddress => {
                observation.grpc.malformed_address = Some(exchange.discovery_without_lists());
                "malformed_address".to_string()
            }
            DiscoverySlot::None => return exchange,
        };
        recorder.file_unknown(&path, &exchange.scan.unknown);
        exchange
    }

    fn discovery_slot(&self, request: &OrchestratorRequest, recorder: &Recorder) -> DiscoverySlot {
        let gateway = self.gateway.address();
        if request.address.len() != Address::LEN {
            return if request.sig.is_empty() {
                DiscoverySlot::None
            } else {
                DiscoverySlot::MalformedAddress
            };
        }
        if request.address != gateway.0 || request.sig.is_empty() {
            return DiscoverySlot::None;
        }
        let message = eth::orchestrator_request_message(&gateway);
        if eth::recover_signer(&message, &request.sig) != Ok(gateway) {
            return DiscoverySlot::ForgedSignature;
        }
        let observation = &recorder.observation;
        if request.capabilities.is_some() {
            DiscoverySlot::CapabilityDiscovery
        } else if !recorder.info_filed {
            DiscoverySlot::Info
        } else if observation.grpc.repeat_info.is_none() {
            DiscoverySlot::RepeatInfo
        } else {
            DiscoverySlot::None
        }
    }

    /// One discovery per model of the recorder's `info` (see [`models_to_request`]), and one
    /// naming them all when there are several, as a gateway asks before paying for a job; none
    /// without an `info` answer. The models are read from `info` in place, never a copy of it.
    pub async fn discover_models(&self, recorder: &mut Recorder) -> Vec<CapabilityDiscovery> {
        let models = recorder.info().map(models_to_request).unwrap_or_default();
        let mut requests: Vec<Vec<ModelRef>> = models.iter().map(|model| vec![model.clone()]).collect();
        if models.len() > 1 {
            requests.push(models);
        }
        let first = recorder.observation.grpc.capability_discoveries.len();
        for models in requests {
            self.discover(model_request(&self.gateway, &models), recorder).await;
            if let Some(filed) = recorder.observation.grpc.capability_discoveries.last_mut() {
                filed.models = models;
            }
        }
        recorder.observation.grpc.capability_discoveries[first..].to_vec()
    }

    pub async fn ping(&self, value: Vec<u8>, recorder: &mut Recorder) -> Exchange {
        let request = PingPong { value: value.clone() };
        let exchange = self.exchange(self.request(RpcMethod::Ping, &request)).await;
        recorder.observation.grpc.ping = Some(PingExchange {
            value,
            call: exchange.decoded::<PingPong>(),
        });
        recorder.file_unknown("ping", &exchange.scan.unknown);
        exchange
    }

    /// EndTranscodingSession with `token`; `issued` says it is the one `info` carried, filed
    /// as `end_session_issued` (else `end_session_forged`).
    pub async fn end_session(&self, token: AuthToken, issued: bool, recorder: &mut Recorder) -> Exchange {
        let request = EndTranscodingSessionRequest {
            auth_token: Some(token.clone()),
        };
        let mut sent = self.request(RpcMethod::EndTranscodingSession, &request);
        sent.sent.carries_issued_token = issued;
        let exchange = self.exchange(sent).await;
        let call = exchange.decoded::<crate::proto::net::EndTranscodingSessionResponse>();
        let exchange_filed = EndSessionExchange {
            token,
            call: Call {
                elapsed: call.elapsed,
                outcome: call.outcome.map(drop),
            },
        };
        let slot = if issued {
            recorder.observation.grpc.end_session_issued = Some(exchange_filed);
            "end_session_issued"
        } else {
            recorder.observation.grpc.end_session_forged = Some(exchange_filed);
            "end_session_forged"
        };
        recorder.file_unknown(slot, &exchange.scan.unknown);
        exchange
    }

    /// `GET /orchestrator/info` over HTTP/2 on the same port, filed among the HTTP exchanges and
    /// its JSON as `http.info_json`: a status other than 2xx is a refusal, a body that is not
    /// JSON (or too large) undecodable; either way the target serves no JSON there.
    pub async fn info_json(&self, recorder: &mut Recorder) -> Result<(), CallError> {
        let request = HttpRequest::new(HttpVersion::Http2, http::Method::GET, INFO_PATH)
            .with_header(http::header::ACCEPT, http::HeaderValue::from_static("application/json"));
        let exchange = self
            .exchange(Request {
                sent: SentRequest::http(request),
                output: None,
            })
            .await;
        recorder.file_http(&exchange);
        let outcome = exchange.answer.and_then(|body| {
            serde_json::from_slice(&body)
                .map_err(|error| CallError::Decode(format!("GET {INFO_PATH}: not JSON: {error}")))
        });
        let result = outcome.as_ref().map(drop).map_err(Clone::clone);
        recorder.observation.http.info_json = Some(Call {
            elapsed: exchange.elapsed,
            outcome,
        });
        result
    }

    /// A call to any unary method of the loaded proto, filed as the next of `scripted`; the
    /// answer comes back decoded with the loaded descriptors, for the suite's answer checks.
    pub async fn scripted(
        &self,
        method: &MethodDescriptor,
        mut message: DynamicMessage,
        sign: bool,
        recorder: &mut Recorder,
    ) -> (Exchange, Call<DynamicMessage>) {
        if sign {
            self.gateway.sign_fields(&mut message);
        }
        let path = format!("/{}/{}", method.parent_service().full_name(), method.name());
        let exchange = self
            .exchange(self.request_to(&path, Bytes::from(message.encode_to_vec())))
            .await;
        let answer = exchange.dynamic();
        let slot = format!("scripted[{}]", recorder.observation.grpc.scripted.len());
        recorder.observation.grpc.scripted.push(ScriptedExchange {
            method: exchange.sent.name().into_owned(),
            call: Call {
                elapsed: answer.elapsed,
                outcome: answer.outcome.as_ref().map(drop).map_err(Clone::clone),
            },
        });
        recorder.file_unknown(&slot, &exchange.scan.unknown);
        (exchange, answer)
    }

    /// GetOrchestrator to each of `nodes` (at most `limit`), each dialled afresh.
    pub async fn follow_nodes(&self, nodes: &[String], options: &TransportOptions, limit: usize) -> Vec<NodeDiscovery> {
        let mut followed = Vec::new();
        for node in nodes.iter().take(limit) {
            let started = Instant::now();
            let outcome = match Target::parse(node) {
                Err(error) => Err(CallError::Transport(error.to_string())),
                Ok(target) => match Connection::connect(&target, options).await {
                    Err(error) => Err(CallError::Transport(error.to_string())),
                    Ok(connection) => {
                        let driver = Driver::new(connection, self.proto.clone(), self.gateway.clone());
                        let request = crate::gateway::signed_orchestrator_request(&self.gateway);
                        let exchange = driver
                            .exchange(driver.request(RpcMethod::GetOrchestrator, &request))
                            .await;
                        exchange.discovery_without_lists().outcome
                    }
                },
            };
            followed.push(NodeDiscovery {
                node: node.clone(),
                call: Call {
                    elapsed: started.elapsed(),
                    outcome,
                },
            });
        }
        followed
    }
}

/// An observation holding one fuzzed exchange (in `fuzzed`, named by its case) and, when given,
/// the well-formed discovery sent after a batch (`liveness_after_fuzz`). `info` is a stand-in:
/// only the RPC rules judge fuzzed calls, and they read it for errors alone. A fuzzed answer
/// that does not decode as the method's output is the orchestrator's undecodable answer; a
/// decode refusal the transport reports is the server refusing the request with tonic's own
/// message, a status whose code was not kept.
pub fn fuzzed_observation(fuzzed: Option<(&str, &Exchange)>, liveness: Option<Call<OrchestratorInfo>>) -> Observation {
    let stand_in = Call {
        elapsed: Duration::ZERO,
        outcome: Ok(OrchestratorInfo::default()),
    };
    let mut observation = Observation::of_discovery(String::new(), Address([0; 20]), stand_in);
    observation.grpc.liveness_after_fuzz = liveness;
    if let Some((case, exchange)) = fuzzed {
        let outcome = match &exchange.answer {
            Ok(_) if exchange.output.is_some() => exchange.dynamic().outcome.map(drop),
            Ok(_) => Ok(()),
            Err(CallError::Decode(message)) => Err(CallError::Status {
                code: tonic::Code::Unknown,
                message: message.clone(),
            }),
            Err(other) => Err(other.clone()),
        };
        observation.grpc.fuzzed = Some(FuzzedCall {
            case: case.to_string(),
            call: Call {
                elapsed: exchange.elapsed,
                outcome,
            },
        });
    }
    observation
}
