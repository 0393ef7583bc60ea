//! Faults in auth tokens and the sessions they name (the AUTH rules).

use clap::ValueEnum;

use super::{case, Answer, Area, Fault, FaultCase};
use crate::proto::net::OrchestratorInfo;
use crate::reference::Preset::OffChainTranscoding as OffChain;

/// A way to break the AUTH rules; the doc line is the `--fault` help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum AuthFault {
    /// Auth token with an empty session id.
    EmptySessionId,
    /// Auth token that expired a minute ago.
    ExpiredAuthToken,
    /// Auth tokens that expire a minute after they are issued.
    ShortLivedToken,
    /// The same session id and token in every answer.
    ReusedSession,
    /// End sessions for tokens it never issued.
    AcceptForgedToken,
    /// Refuse to end sessions for tokens it issued.
    RejectIssuedToken,
}

/// How selftest proves each fault: where it runs and the rules it must fire.
pub const CASES: &[FaultCase] = &[
    case(Fault::Auth(AuthFault::EmptySessionId), OffChain, &["AUTH-001"]),
    case(Fault::Auth(AuthFault::ExpiredAuthToken), OffChain, &["AUTH-002"]),
    case(Fault::Auth(AuthFault::AcceptForgedToken), OffChain, &["AUTH-003"]),
    case(Fault::Auth(AuthFault::RejectIssuedToken), OffChain, &["AUTH-004"]),
    case(Fault::Auth(AuthFault::ShortLivedToken), OffChain, &["AUTH-005"]),
    case(Fault::Auth(AuthFault::ReusedSession), OffChain, &["AUTH-006"]),
];

impl Area for AuthFault {
    fn bend(self, info: &mut OrchestratorInfo, answer: Answer) {
        let now = answer.now;
        match self {
            AuthFault::EmptySessionId => info.auth_token.iter_mut().for_each(|token| token.session_id.clear()),
            AuthFault::ExpiredAuthToken => info.auth_token.iter_mut().for_each(|token| token.expiration = now - 60),
            // The node reads these as it handles a call.
            AuthFault::ShortLivedToken
            | AuthFault::ReusedSession
            | AuthFault::AcceptForgedToken
            | AuthFault::RejectIssuedToken => {}
        }
    }
}
