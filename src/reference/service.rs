//! The `net.Orchestrator` gRPC service of the reference orchestrator.

use std::sync::{Mutex, PoisonError};

use tokio::time::Instant;
use tonic::{Request, Response, Status};

use super::advert;
use super::faults::{
    self, truncated_token_panic, Fault, CRASH_BITSTRING_WORDS, CRASH_OUTAGE, ISSUED_TOKEN_LEN, LEAKED_PANIC, STALL,
    STALL_PING_LEN,
};
use super::payment::{AuthTokens, TicketIssuer};
use super::{ChainMode, ReferenceConfig};
use crate::eth::{self, Address, EthKey};
use crate::probe::unix_now;
use crate::proto::net::orchestrator_server::Orchestrator;
use crate::proto::net::{
    EndTranscodingSessionRequest, EndTranscodingSessionResponse, OrchestratorInfo, OrchestratorRequest, PingPong,
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
        }
    }

    /// OrchestratorInfo for one request. Hardware is only listed when the
    /// request asks for no particular capabilities, as go-livepeer does.
    pub fn info(&self, request: &OrchestratorRequest, now: i64) -> OrchestratorInfo {
        let config = &self.config;
        let mut info = OrchestratorInfo {
            transcoder: self.service_uri.clone(),
            ticket_params: match config.chain {
                ChainMode::OnChain => Some(self.tickets.issue(now)),
                ChainMode::OffChain => None,
            },
            price_info: Some(advert::price_info(config)),
            address: config.eth_key.address().0.to_vec(),
            capabilities: Some(advert::capabilities(config)),
            auth_token: Some(self.tokens.issue(now)),
            hardware: if request.capabilities.is_none() {
                advert::hardware(config)
            } else {
                Vec::new()
            },
            storage: Vec::new(),
            capabilities_prices: advert::capabilities_prices(config),
            nodes: Vec::new(),
        };
        faults::corrupt(&mut info, &config.faults, now);
        info
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
        if self.config.chain == ChainMode::OnChain {
            self.check_signature(&request)?;
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
