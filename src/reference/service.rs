//! The `net.Orchestrator` gRPC service of the reference orchestrator.

use std::sync::{Mutex, PoisonError};

use tokio::time::Instant;
use tonic::{Request, Response, Status};

use super::advert;
use super::faults::{
    self, truncated_token_panic, Fault, CRASH_BITSTRING_WORDS, CRASH_OUTAGE, ISSUED_TOKEN_LEN, LEAKED_PANIC, STALL,
    STALL_PING_LEN,
};
use super::payment::{AuthTokens, TicketIssuer, AUTH_TOKEN_LIFETIME_SECS};
use super::{ChainMode, ReferenceConfig};
use crate::eth::{self, Address, EthKey};
use crate::observe::{INSUFFICIENT_RESERVE, ORCHESTRATOR_CAPPED};
use crate::probe::unix_now;
use crate::proto::net::orchestrator_server::Orchestrator;
use crate::proto::net::{
    AuthToken, EndTranscodingSessionRequest, EndTranscodingSessionResponse, OrchestratorInfo, OrchestratorRequest,
    PingPong,
};

/// The error text go-livepeer gives an on-chain request whose signature does not check out.
pub const SIG_CHECK_FAILED: &str = "Invalid orchestrator request: orchestrator req sig check failed";
/// The error text go-livepeer gives a token it did not issue.
pub const INVALID_AUTH_TOKEN: &str = "Invalid auth token";
/// What every call gets while `CrashOnHugeBitstring` has the orchestrator down.
pub const RESTARTING: &str = "orchestrator is restarting";

pub struct ReferenceService {
    config: ReferenceConfig,
    /// What `transcoder` advertises: `-serviceURI`, or the URL actually served.
    service_uri: String,
    tokens: AuthTokens,
    tickets: TicketIssuer,
    /// Under `CrashOnHugeBitstring`: until when the simulated restart lasts.
    down_until: Mutex<Option<Instant>>,
    /// Under `ReusedSession`: the one token every answer carries.
    first_token: Mutex<Option<AuthToken>>,
}

/// How long `ShortLivedToken`'s tokens live: below AUTH-005's three minutes.
const SHORT_TOKEN_LIFETIME_SECS: i64 = 60;

/// The (capability, model id) pairs a request names: its capacities that list models under
/// `PerCapability`, as go-livepeer's `priceInfo` reads them.
fn requested_models(capabilities: &crate::proto::net::Capabilities) -> Vec<(u32, String)> {
    let Some(constraints) = capabilities.constraints.as_ref() else {
        return Vec::new();
    };
    capabilities
        .capacities
        .keys()
        .filter_map(|capability| Some((*capability, constraints.per_capability.get(capability)?)))
        .flat_map(|(capability, per_capability)| {
            per_capability
                .models
                .keys()
                .map(move |model_id| (capability, model_id.clone()))
        })
        .collect()
}

impl ReferenceService {
    pub fn new(config: ReferenceConfig, service_uri: String) -> Self {
        let tickets = TicketIssuer::new(config.eth_key.address());
        Self {
            config,
            service_uri,
            tokens: AuthTokens::new(),
            tickets,
            down_until: Mutex::new(None),
            first_token: Mutex::new(None),
        }
    }

    /// OrchestratorInfo for one request. As in go-livepeer, a request naming capabilities is
    /// answered with the summed price of the models it names, and without hardware or
    /// capability prices; one naming none gets the transcoding price and both lists.
    pub fn info(&self, request: &OrchestratorRequest, now: i64) -> OrchestratorInfo {
        let config = &self.config;
        let names_capabilities = request.capabilities.is_some();
        let price_info = match &request.capabilities {
            Some(capabilities) if !self.has(Fault::TranscodingPriceForModels) => {
                advert::price_for_models(config, &requested_models(capabilities))
            }
            _ => advert::price_info(config),
        };
        let mut info = OrchestratorInfo {
            transcoder: self.service_uri.clone(),
            ticket_params: match config.chain {
                ChainMode::OnChain => Some(self.tickets.issue(now)),
                ChainMode::OffChain => None,
            },
            price_info: Some(price_info),
            address: config.eth_key.address().0.to_vec(),
            capabilities: Some(advert::capabilities(config)),
            auth_token: Some(self.auth_token(now)),
            hardware: if names_capabilities {
                Vec::new()
            } else {
                advert::hardware(config)
            },
            storage: Vec::new(),
            capabilities_prices: if names_capabilities {
                Vec::new()
            } else {
                advert::capabilities_prices(config)
            },
            nodes: Vec::new(),
        };
        faults::corrupt(&mut info, &config.faults, now);
        info
    }

    /// A fresh session token, bent by `ShortLivedToken` (a minute to live) or `ReusedSession`.
    fn auth_token(&self, now: i64) -> AuthToken {
        if self.has(Fault::ShortLivedToken) {
            return self
                .tokens
                .issue(now + SHORT_TOKEN_LIFETIME_SECS - AUTH_TOKEN_LIFETIME_SECS);
        }
        if self.has(Fault::ReusedSession) {
            let mut first = self.first_token.lock().unwrap_or_else(PoisonError::into_inner);
            return first.get_or_insert_with(|| self.tokens.issue(now)).clone();
        }
        self.tokens.issue(now)
    }

    fn has(&self, fault: Fault) -> bool {
        self.config.faults.contains(&fault)
    }

    /// An error message, with internals attached under `LeakInternals`.
    fn error(&self, message: &str) -> Status {
        if self.has(Fault::LeakInternals) {
            Status::unknown(format!("{message}: {LEAKED_PANIC}"))
        } else {
            Status::unknown(message)
        }
    }

    /// Under `CrashOnHugeBitstring`, every call fails while the simulated restart lasts.
    fn refuse_while_down(&self) -> Result<(), Status> {
        let down_until = *self.down_until.lock().unwrap_or_else(PoisonError::into_inner);
        match down_until {
            Some(until) if Instant::now() < until => Err(Status::unavailable(RESTARTING)),
            _ => Ok(()),
        }
    }

    /// `CrashOnHugeBitstring`: a bitstring over the limit takes the orchestrator down for a while.
    fn crash_on(&self, request: &OrchestratorRequest) -> Result<(), Status> {
        let words = request.capabilities.as_ref().map_or(0, |c| c.bitstring.len());
        if !self.has(Fault::CrashOnHugeBitstring) || words <= CRASH_BITSTRING_WORDS {
            return Ok(());
        }
        *self.down_until.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now() + CRASH_OUTAGE);
        Err(Status::unavailable(RESTARTING))
    }

    /// On chain, go-livepeer issues ticket parameters only to a sender with a deposit and
    /// reserve; the check follows the signature check, as in its `getOrchestrator`.
    fn check_reserve(&self, request: &OrchestratorRequest) -> Result<(), Status> {
        let Some(funded) = &self.config.funded else {
            return Ok(());
        };
        let sender = Address::from_slice(&request.address).ok();
        if sender.is_some_and(|sender| funded.contains(&sender)) {
            Ok(())
        } else {
            Err(Status::unknown(INSUFFICIENT_RESERVE))
        }
    }

    /// On chain, the request must carry the gateway's `eth_sign` over its own
    /// checksummed address; a malformed address fails the same check.
    fn check_signature(&self, request: &OrchestratorRequest) -> Result<(), Status> {
        let well_formed = request.address.len() == Address::LEN;
        if (self.has(Fault::AcceptBadSignatures) && well_formed)
            || (self.has(Fault::AcceptMalformedAddress) && !well_formed)
        {
            return Ok(());
        }
        let signed_by_sender = Address::from_slice(&request.address).ok().is_some_and(|sender| {
            let message = eth::orchestrator_request_message(&sender);
            eth::recover_signer(&message, &request.sig).is_ok_and(|signer| signer == sender)
        });
        if signed_by_sender {
            Ok(())
        } else {
            Err(self.error(SIG_CHECK_FAILED))
        }
    }
}

#[tonic::async_trait]
impl Orchestrator for ReferenceService {
    async fn get_orchestrator(
        &self,
        request: Request<OrchestratorRequest>,
    ) -> Result<Response<OrchestratorInfo>, Status> {
        self.refuse_while_down()?;
        let request = request.into_inner();
        self.crash_on(&request)?;
        let on_chain = self.config.chain == ChainMode::OnChain;
        if on_chain {
            self.check_signature(&request)?;
        }
        // go-livepeer's order: signature, then capacity (before ignoreCapacityCheck is read),
        // then the sender's reserve when it makes ticket parameters.
        let capped_despite_flag = self.has(Fault::CappedIgnoresFlag) && request.ignore_capacity_check;
        if self.config.at_capacity || capped_despite_flag {
            return Err(self.error(&format!("Invalid orchestrator request: {ORCHESTRATOR_CAPPED}")));
        }
        if on_chain {
            self.check_reserve(&request)?;
        }
        if self.has(Fault::SlowDiscovery) {
            tokio::time::sleep(advert::SLOW_DISCOVERY).await;
        }
        Ok(Response::new(self.info(&request, unix_now())))
    }

    async fn end_transcoding_session(
        &self,
        request: Request<EndTranscodingSessionRequest>,
    ) -> Result<Response<EndTranscodingSessionResponse>, Status> {
        self.refuse_while_down()?;
        let token = request.into_inner().auth_token;
        let token_len = token.as_ref().map_or(0, |token| token.token.len());
        if self.has(Fault::PanicOnTruncatedToken) && (1..ISSUED_TOKEN_LEN).contains(&token_len) {
            return Err(Status::internal(truncated_token_panic(token_len)));
        }
        let issued = token.is_some_and(|token| self.tokens.verify(&token, unix_now()));
        let accepted = (issued && !self.has(Fault::RejectIssuedToken)) || self.has(Fault::AcceptForgedToken);
        if accepted {
            Ok(Response::new(EndTranscodingSessionResponse {}))
        } else {
            Err(self.error(INVALID_AUTH_TOKEN))
        }
    }

    /// On chain the answer proves the key behind `address`; off chain it is empty.
    async fn ping(&self, request: Request<PingPong>) -> Result<Response<PingPong>, Status> {
        self.refuse_while_down()?;
        let stall_on_length = self.has(Fault::StallOnPingLength) && request.get_ref().value.len() == STALL_PING_LEN;
        if self.has(Fault::StallPing) || stall_on_length {
            tokio::time::sleep(STALL).await;
        }
        if self.has(Fault::PingError) {
            return Err(self.error("ping failed"));
        }
        let value = match self.config.chain {
            ChainMode::OnChain => {
                let message = eth::ping_message(&request.into_inner().value);
                let signer = if self.has(Fault::PingOtherKey) {
                    EthKey::random()
                } else {
                    self.config.eth_key.clone()
                };
                let mut signature = signer.sign_message(&message).to_vec();
                if self.has(Fault::PingTruncated) {
                    signature.truncate(64);
                }
                signature
            }
            ChainMode::OffChain => Vec::new(),
        };
        Ok(Response::new(PingPong { value }))
    }
}
