//! Faults in how calls are handled: checks skipped, stalls, errors, crashes (the RPC rules).

use clap::ValueEnum;

use super::{case, fuzzed, Area, Fault, FaultCase};
use crate::reference::Preset::{Mixed, OffChainTranscoding as OffChain, OnChainTranscoding as OnChain};

/// A way to break the RPC rules; the doc line is the `--fault` help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum RpcFault {
    /// Accept well-formed GetOrchestrator requests whatever their signature (on chain).
    AcceptBadSignatures,
    /// Accept signed requests whose address is not 20 bytes (on chain).
    AcceptMalformedAddress,
    /// Answer Ping only after 30 s.
    StallPing,
    /// Answer every GetOrchestrator only after 700 ms, past gateways' 500 ms discovery timeout.
    SlowDiscovery,
    /// Refuse requests with ignoreCapacityCheck as `OrchestratorCapped`.
    CappedIgnoresFlag,
    /// Answer GetOrchestrator with bytes that do not decode.
    GarbledResponse,
    /// Put a panic message and source path in error messages.
    LeakInternals,
    /// Stop serving for a while after a GetOrchestrator whose capability bitstring has over 64 words.
    CrashOnHugeBitstring,
    /// Answer a Ping whose value is exactly 33 bytes only after 30 s.
    StallOnPingLength,
    /// Leak a panic message when asked to end a session with a token shorter than 32 bytes.
    PanicOnTruncatedToken,
    /// Die on an EndTranscodingSession without auth_token, as go-livepeer 0.9 does (`serve`
    /// exits; the embedded orchestrator drops every connection and restarts).
    CrashOnMissingToken,
}

/// How selftest proves each fault: where it runs and the rules it must fire.
pub const CASES: &[FaultCase] = &[
    case(Fault::Rpc(RpcFault::AcceptBadSignatures), OnChain, &["RPC-001"]),
    case(Fault::Rpc(RpcFault::AcceptMalformedAddress), OnChain, &["RPC-002"]),
    case(Fault::Rpc(RpcFault::StallPing), OffChain, &["RPC-003"]),
    case(Fault::Rpc(RpcFault::GarbledResponse), OffChain, &["RPC-004"]),
    case(Fault::Rpc(RpcFault::LeakInternals), OffChain, &["RPC-006"]),
    case(Fault::Rpc(RpcFault::CappedIgnoresFlag), Mixed, &["RPC-007"]),
    case(Fault::Rpc(RpcFault::SlowDiscovery), OffChain, &["RPC-008"]),
    fuzzed(Fault::Rpc(RpcFault::CrashOnHugeBitstring), &["RPC-005"]),
    fuzzed(Fault::Rpc(RpcFault::StallOnPingLength), &["RPC-003"]),
    fuzzed(Fault::Rpc(RpcFault::PanicOnTruncatedToken), &["RPC-006"]),
    fuzzed(Fault::Rpc(RpcFault::CrashOnMissingToken), &["RPC-005"]),
];

/// None bends an answer: the node applies each as it handles a call, but `GarbledResponse`,
/// whose answer the gRPC routes replace with bytes that do not decode (`service::grpc_routes`).
impl Area for RpcFault {}

/// How long `StallPing` holds its answer: longer than any sensible deadline.
pub const STALL: std::time::Duration = std::time::Duration::from_secs(30);

/// `CrashOnHugeBitstring` goes down on a request bitstring longer than this many words.
pub const CRASH_BITSTRING_WORDS: usize = 64;
/// How long `CrashOnHugeBitstring` stays down: as long as a crashed process takes to restart.
pub const CRASH_OUTAGE: std::time::Duration = std::time::Duration::from_secs(2);
/// `StallOnPingLength` stalls on Ping values of exactly this many bytes.
pub const STALL_PING_LEN: usize = 33;

/// An error message that betrays internals, for `LeakInternals`.
pub const LEAKED_PANIC: &str =
    "thread 'tokio-runtime-worker' panicked at src/reference/service.rs:42:9: called `Option::unwrap()` on a `None` value";

/// The length of the tokens the orchestrator issues (HMAC-SHA256); `PanicOnTruncatedToken`
/// panics on shorter, non-empty ones.
pub const ISSUED_TOKEN_LEN: usize = 32;

/// What `PanicOnTruncatedToken` answers for a token of `len` bytes: the text of a slice panic.
pub fn truncated_token_panic(len: usize) -> String {
    format!(
        "thread 'tokio-runtime-worker' panicked at src/reference/payment.rs:47:21: \
         range end index {ISSUED_TOKEN_LEN} out of range for slice of length {len}"
    )
}
