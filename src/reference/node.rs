//! The reference orchestrator itself: its state (the advertised configuration, issued tokens and
//! ticket parameters, sessions, crash state, capacity) and what it does with each call, in
//! go-livepeer's order of checks. Every way in (the gRPC service, the HTTP routes) is a thin
//! adapter over one shared [`Node`], so a token issued on one is known to the others.
//!
//! Checks in order, each with what a refused caller gets (`Refusal`; gRPC Unknown unless said):
//!
//! | entry point | go-livepeer | check | refusal |
//! |---|---|---|---|
//! | GetOrchestrator ([`Node::discover`]) | server/rpc.go getOrchestrator | down after a crash (faults only) | `orchestrator is restarting` (Unavailable) |
//! | | | a bitstring over 64 words (`crash-on-huge-bitstring`) | the same, and down for [`CRASH_OUTAGE`] |
//! | | verifyOrchestratorReq | on chain: `eth_sign` of the sender's checksummed address by that sender | `Invalid orchestrator request: orchestrator req sig check failed` |
//! | | CheckCapacity | `-maxSessions` reached (before `ignoreCapacityCheck` is read) | `Invalid orchestrator request: OrchestratorCapped` |
//! | | | live-video-to-video named without the flag: an idle container for a named model | the same |
//! | | orchestratorInfoWithCaps | on chain, a price to charge: the sender has a deposit and reserve | `insufficient sender reserve` |
//! | | | the price fits int64 | `price cannot be converted to int64` |
//! | EndTranscodingSession ([`Node::end_session`]) | server/rpc.go endTranscodingSession | down after a crash (faults only) | `orchestrator is restarting` (Unavailable) |
//! | | | no token: go-livepeer dereferences nil (`crash-on-missing-token`) | the process dies, no answer |
//! | | | the token's HMAC, not its expiration | `Invalid auth token` |
//! | Ping ([`Node::ping`]) | server/rpc.go Ping | down after a crash (faults only) | `orchestrator is restarting` (Unavailable) |
//! | | | none: on chain `eth_sign(keccak256(value))`, off chain empty | |
//! | `GET /orchestrator/info` ([`Node::info`]) | none (404) | served with `--serve-info-json` only: the answer to an unsigned request naming nothing | the price error, as HTTP 500 text |

use std::sync::{Mutex, PoisonError};

use tokio::sync::watch;
use tokio::time::Instant;

use super::advert;
use super::faults::{
    self, truncated_token_panic, AuthFault, Fault, IdentityFault, PriceFault, RpcFault, CRASH_BITSTRING_WORDS,
    CRASH_OUTAGE, ISSUED_TOKEN_LEN, LEAKED_PANIC, STALL, STALL_PING_LEN,
};
use super::tickets::TicketIssuer;
use super::tokens::{AuthTokens, AUTH_TOKEN_LIFETIME_SECS};
use super::{ChainMode, ReferenceConfig};
use crate::capability::LIVE_VIDEO_TO_VIDEO;
use crate::eth::{self, Address, EthKey};
use crate::observe::{INSUFFICIENT_RESERVE, ORCHESTRATOR_CAPPED};
use crate::proto::net::{AuthToken, Capabilities, OrchestratorInfo, OrchestratorRequest};

/// The error text go-livepeer gives an on-chain request whose signature does not check out.
pub const SIG_CHECK_FAILED: &str = "Invalid orchestrator request: orchestrator req sig check failed";
/// The error text go-livepeer gives a token it did not issue.
pub const INVALID_AUTH_TOKEN: &str = "Invalid auth token";
/// What every call gets while `CrashOnHugeBitstring` has the orchestrator down.
pub const RESTARTING: &str = "orchestrator is restarting";
/// What go-livepeer prints as it dies of an EndTranscodingSession without a token
/// (`CrashOnMissingToken`); `lpconform serve` prints it and exits as the Go runtime does.
pub const NIL_POINTER_PANIC: &str = "panic: runtime error: invalid memory address or nil pointer dereference";

/// How long `ShortLivedToken`'s tokens live: below AUTH-005's three minutes.
const SHORT_TOKEN_LIFETIME_SECS: i64 = 60;

/// Why the node answered a call with no answer, in terms every way in can carry: gRPC as a status,
/// HTTP as a status and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// go-livepeer's handler returned this error (gRPC Unknown, the text as its message).
    Error(String),
    /// The process is restarting after a crash (`CrashOnHugeBitstring`).
    Restarting,
    /// A handler panicked and the server recovered it, answering the panic's text.
    Panicked(String),
    /// The process died mid-call (`CrashOnMissingToken`): the caller's connection is dropped.
    Died,
}

impl Refusal {
    /// The text the caller is given.
    pub fn text(&self) -> &str {
        match self {
            Refusal::Error(text) | Refusal::Panicked(text) => text,
            Refusal::Restarting => RESTARTING,
            Refusal::Died => NIL_POINTER_PANIC,
        }
    }
}

/// The reference orchestrator's state, shared by its gRPC service and its HTTP routes.
pub struct Node {
    config: ReferenceConfig,
    /// What `transcoder` advertises: `-serviceAddr`, or the URL actually served.
    service_uri: String,
    tokens: AuthTokens,
    tickets: TicketIssuer,
    /// Under `ReusedSession`: the one token every answer carries.
    first_token: Mutex<Option<AuthToken>>,
    /// Under `CrashOnHugeBitstring`: until when the simulated restart lasts.
    down_until: Mutex<Option<Instant>>,
    /// Counts crashes (`CrashOnMissingToken`): the server drops every connection when it moves.
    crashes: watch::Sender<u32>,
}

/// The gateway a request comes from, read as go-livepeer's `BytesToAddress` reads it: short
/// input left-padded, long input cut to its last 20 bytes.
fn sender(request: &OrchestratorRequest) -> Address {
    let mut address = [0u8; Address::LEN];
    let bytes = &request.address[request.address.len().saturating_sub(Address::LEN)..];
    address[Address::LEN - bytes.len()..].copy_from_slice(bytes);
    Address(address)
}

impl Node {
    pub fn new(config: ReferenceConfig, service_uri: String) -> Self {
        let tickets = TicketIssuer::new(config.recipient());
        Self {
            config,
            service_uri,
            tokens: AuthTokens::new(),
            tickets,
            first_token: Mutex::new(None),
            down_until: Mutex::new(None),
            crashes: watch::channel(0).0,
        }
    }

    /// Moves once per crash: the server watches it to drop its connections and restart.
    pub fn crashes(&self) -> watch::Receiver<u32> {
        self.crashes.subscribe()
    }

    /// How it was configured.
    pub fn config(&self) -> &ReferenceConfig {
        &self.config
    }

    /// Whether it was told to break rules this way (`--fault`).
    pub fn has(&self, fault: impl Into<Fault>) -> bool {
        self.config.faults.contains(&fault.into())
    }

    /// GetOrchestrator: the checks of the module's table in go-livepeer's order, then the answer.
    pub async fn discover(&self, request: &OrchestratorRequest, now: i64) -> Result<OrchestratorInfo, Refusal> {
        self.refuse_while_down()?;
        self.crash_on(request)?;
        let on_chain = self.config.chain == ChainMode::OnChain;
        if on_chain {
            self.check_signature(request)?;
        }
        self.check_capacity(request)?;
        if on_chain {
            self.check_reserve(request)?;
        }
        if self.has(RpcFault::SlowDiscovery) {
            tokio::time::sleep(advert::SLOW_DISCOVERY).await;
        }
        self.info(request, now)
    }

    /// OrchestratorInfo for one request, field by field as go-livepeer 0.9 answers, without the
    /// checks before it. Off chain: the zero address, no prices, no ticket parameters. A request
    /// naming capabilities is answered with the summed price of the models it names, without
    /// hardware or capability prices; one naming none gets the transcoding price and both lists.
    pub fn info(&self, request: &OrchestratorRequest, now: i64) -> Result<OrchestratorInfo, Refusal> {
        let config = &self.config;
        let gateway = sender(request);
        let on_chain = config.chain == ChainMode::OnChain;
        let named = self.named(request);
        let priced_as = if self.has(PriceFault::TranscodingPriceForModels) {
            None
        } else {
            named
        };
        let price_info = match advert::quote(config, &gateway, priced_as) {
            Some(quote) => Some(quote.price.map_err(|problem| self.error(&problem))?),
            None => None,
        };
        // go-livepeer's tickets are worth something only for a price above 0.
        let charges = price_info.as_ref().is_some_and(|price| price.price_per_unit > 0);
        let mut info = OrchestratorInfo {
            transcoder: self.service_uri.clone(),
            ticket_params: on_chain.then(|| self.tickets.issue(now, charges)),
            price_info,
            address: if on_chain {
                config.eth_key.address().0.to_vec()
            } else {
                vec![0; Address::LEN]
            },
            capabilities: Some(advert::capabilities(config)),
            auth_token: Some(self.auth_token(now)),
            hardware: if named.is_some() {
                Vec::new()
            } else {
                advert::hardware(config)
            },
            storage: Vec::new(),
            capabilities_prices: if named.is_some() {
                Vec::new()
            } else {
                advert::capabilities_prices(config, &gateway)
            },
            nodes: config.nodes.clone(),
        };
        let answer = faults::Answer {
            now,
            transcoding_price: named.is_none(),
        };
        faults::corrupt(&mut info, &config.faults, answer);
        Ok(info)
    }

    /// EndTranscodingSession: whether the session of `token` ends, by the table's checks.
    pub async fn end_session(&self, token: Option<AuthToken>) -> Result<(), Refusal> {
        self.refuse_while_down()?;
        if token.is_none() && self.has(RpcFault::CrashOnMissingToken) {
            // go-livepeer dereferences the missing token and the process dies mid-call: the
            // server drops the connection before any answer, so the gateway gets no status.
            self.crashes.send_modify(|crashes| *crashes = crashes.wrapping_add(1));
            tokio::time::sleep(CRASH_OUTAGE).await;
            return Err(Refusal::Died);
        }
        let token_len = token.as_ref().map_or(0, |token| token.token.len());
        if self.has(RpcFault::PanicOnTruncatedToken) && (1..ISSUED_TOKEN_LEN).contains(&token_len) {
            return Err(Refusal::Panicked(truncated_token_panic(token_len)));
        }
        let issued = token.is_some_and(|token| self.tokens.verify(&token));
        let accepted = (issued && !self.has(AuthFault::RejectIssuedToken)) || self.has(AuthFault::AcceptForgedToken);
        if accepted {
            Ok(())
        } else {
            Err(self.error(INVALID_AUTH_TOKEN))
        }
    }

    /// Ping: on chain the answer proves the key behind `address`; off chain it is empty.
    pub async fn ping(&self, value: &[u8]) -> Result<Vec<u8>, Refusal> {
        self.refuse_while_down()?;
        let stall_on_length = self.has(RpcFault::StallOnPingLength) && value.len() == STALL_PING_LEN;
        if self.has(RpcFault::StallPing) || stall_on_length {
            tokio::time::sleep(STALL).await;
        }
        if self.has(IdentityFault::PingError) {
            return Err(self.error("ping failed"));
        }
        Ok(match self.config.chain {
            ChainMode::OnChain => {
                let message = eth::ping_message(value);
                let signer = if self.has(IdentityFault::PingOtherKey) {
                    EthKey::random()
                } else {
                    self.config.eth_key.clone()
                };
                let mut signature = signer.sign_message(&message).to_vec();
                if self.has(IdentityFault::PingTruncated) {
                    signature.truncate(64);
                }
                signature
            }
            ChainMode::OffChain => Vec::new(),
        })
    }

    /// The capabilities a request names, as go-livepeer reads them: none when it advertises no
    /// service URI (`-serviceAddr none`).
    fn named<'a>(&self, request: &'a OrchestratorRequest) -> Option<&'a Capabilities> {
        request.capabilities.as_ref().filter(|_| !self.service_uri.is_empty())
    }

    /// go-livepeer's capacity checks, in its order: the session limit (before it reads
    /// `ignoreCapacityCheck`), then, for a request naming live-video-to-video models without
    /// the flag, an idle container for one of them.
    fn check_capacity(&self, request: &OrchestratorRequest) -> Result<(), Refusal> {
        let capped = || self.error(&format!("Invalid orchestrator request: {ORCHESTRATOR_CAPPED}"));
        let capped_despite_flag = self.has(RpcFault::CappedIgnoresFlag) && request.ignore_capacity_check;
        if self.config.sessions_in_use >= self.config.max_sessions || capped_despite_flag {
            return Err(capped());
        }
        let live = self
            .named(request)
            .and_then(|named| named.constraints.as_ref())
            .and_then(|constraints| constraints.per_capability.get(&LIVE_VIDEO_TO_VIDEO));
        let Some(live) = live.filter(|_| !request.ignore_capacity_check) else {
            return Ok(());
        };
        let idle = |model_id: &String| advert::free_slots(&self.config, LIVE_VIDEO_TO_VIDEO, model_id) > 0;
        if live.models.keys().any(idle) {
            Ok(())
        } else {
            Err(capped())
        }
    }

    /// A fresh session token, bent by `ShortLivedToken` (a minute to live) or `ReusedSession`.
    fn auth_token(&self, now: i64) -> AuthToken {
        if self.has(AuthFault::ShortLivedToken) {
            return self
                .tokens
                .issue(now + SHORT_TOKEN_LIFETIME_SECS - AUTH_TOKEN_LIFETIME_SECS);
        }
        if self.has(AuthFault::ReusedSession) {
            let mut first = self.first_token.lock().unwrap_or_else(PoisonError::into_inner);
            return first.get_or_insert_with(|| self.tokens.issue(now)).clone();
        }
        self.tokens.issue(now)
    }

    /// An error as go-livepeer returns it, with internals attached under `LeakInternals`.
    fn error(&self, message: &str) -> Refusal {
        if self.has(RpcFault::LeakInternals) {
            Refusal::Error(format!("{message}: {LEAKED_PANIC}"))
        } else {
            Refusal::Error(message.to_string())
        }
    }

    /// Under `CrashOnHugeBitstring`, every call fails while the simulated restart lasts.
    fn refuse_while_down(&self) -> Result<(), Refusal> {
        let down_until = *self.down_until.lock().unwrap_or_else(PoisonError::into_inner);
        match down_until {
            Some(until) if Instant::now() < until => Err(Refusal::Restarting),
            _ => Ok(()),
        }
    }

    /// `CrashOnHugeBitstring`: a bitstring over the limit takes the orchestrator down for a while.
    fn crash_on(&self, request: &OrchestratorRequest) -> Result<(), Refusal> {
        let words = request.capabilities.as_ref().map_or(0, |c| c.bitstring.len());
        if !self.has(RpcFault::CrashOnHugeBitstring) || words <= CRASH_BITSTRING_WORDS {
            return Ok(());
        }
        *self.down_until.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now() + CRASH_OUTAGE);
        Err(Refusal::Restarting)
    }

    /// On chain, go-livepeer prices and issues ticket parameters only for a sender with a
    /// deposit and reserve, and only asks when it has something to charge (a price above 0).
    fn check_reserve(&self, request: &OrchestratorRequest) -> Result<(), Refusal> {
        let gateway = sender(request);
        let needs_reserve =
            advert::quote(&self.config, &gateway, self.named(request)).is_some_and(|quote| quote.needs_reserve);
        if self.config.funding.covers(&gateway) || !needs_reserve {
            Ok(())
        } else {
            Err(Refusal::Error(INSUFFICIENT_RESERVE.to_string()))
        }
    }

    /// On chain, the request must carry the gateway's `eth_sign` over its own checksummed
    /// address, read as go-livepeer reads it (`BytesToAddress`): a short or long address
    /// becomes another account, whose signature it is not.
    fn check_signature(&self, request: &OrchestratorRequest) -> Result<(), Refusal> {
        let well_formed = request.address.len() == Address::LEN;
        if (self.has(RpcFault::AcceptBadSignatures) && well_formed)
            || (self.has(RpcFault::AcceptMalformedAddress) && !well_formed)
        {
            return Ok(());
        }
        let sender = sender(request);
        let message = eth::orchestrator_request_message(&sender);
        let signed_by_sender = eth::recover_signer(&message, &request.sig).is_ok_and(|signer| signer == sender);
        if signed_by_sender {
            Ok(())
        } else {
            Err(self.error(SIG_CHECK_FAILED))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ambient::unix_now;

    /// go-livepeer's EndTranscodingSession recomputes the MAC and never looks at the time: a
    /// token that expired an hour ago still ends its session.
    #[tokio::test]
    async fn an_expired_token_it_issued_still_ends_its_session() {
        let node = Node::new(ReferenceConfig::loopback(), "https://o.example:8935".into());
        let expired = node.tokens.issue(unix_now() - AUTH_TOKEN_LIFETIME_SECS - 3600);
        assert!(expired.expiration < unix_now());
        node.end_session(Some(expired)).await.unwrap();
    }
}
