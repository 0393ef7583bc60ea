//! RPC: how the orchestrator handles requests: refusals are gRPC statuses,
//! answers arrive in time and decode, fuzzing does not take it down, and
//! error messages keep internals to themselves.

use std::time::Duration;

use super::verify::{call_text, expect_answer, expect_grpc_error, outcome_text, quoted, report};
use super::{Finding, Mode, Rule, Severity, Skipped};
use crate::observe::CallError;

pub(super) const FILE: &str = file!();

pub(super) const RULES: &[Rule] = &[RPC_001, RPC_002, RPC_003, RPC_004, RPC_005, RPC_006, RPC_007, RPC_008];

const RPC_001: Rule = Rule {
    id: "RPC-001",
    severity: Severity::Must,
    mode: Mode::OnChain,
    text: "GetOrchestrator with an invalid signature is rejected with a gRPC error (not a transport failure)",
    citation: "go-livepeer server/rpc.go verifyOrchestratorReq: `orchestrator req sig check failed`",
    hint: "an on-chain orchestrator must verify the gateway's signature and refuse with a gRPC status",
    check: |ctx| {
        let call = ctx.observation.grpc.forged_signature.as_ref();
        let call = call.ok_or_else(|| Skipped("no GetOrchestrator with a forged signature in this run".into()))?;
        report([expect_grpc_error("forged_signature", call)])
    },
};

const RPC_002: Rule = Rule {
    id: "RPC-002",
    severity: Severity::Must,
    mode: Mode::OnChain,
    text: "GetOrchestrator with a malformed address (not 20 bytes) is rejected with a gRPC error (go-livepeer normalises the address, then the signature check fails)",
    citation: "go-livepeer server/rpc.go getOrchestrator: BytesToAddress, then the signature check fails",
    hint: "an on-chain orchestrator must refuse requests whose address is not 20 bytes",
    check: |ctx| {
        let call = ctx.observation.grpc.malformed_address.as_ref();
        let call = call.ok_or_else(|| Skipped("no GetOrchestrator with a malformed address in this run".into()))?;
        report([expect_grpc_error("malformed_address", call)])
    },
};

const RPC_003: Rule = Rule {
    id: "RPC-003",
    severity: Severity::Must,
    mode: Mode::All,
    text: "every call answers within the call deadline (`--call-timeout`, default 3 s)",
    citation: "go-livepeer discovery/discovery.go: gateways give up on calls that do not answer in time",
    hint: "the orchestrator is overloaded, blocked on Ethereum or stuck; check its logs around the call",
    check: |ctx| {
        report(ctx.observation.calls().into_iter().map(|(path, outcome)| {
            matches!(outcome, Err(CallError::Timeout(_)))
                .then(|| Finding::new(path, "an answer within the deadline", outcome_text(outcome)))
        }))
    },
};

const RPC_004: Rule = Rule {
    id: "RPC-004",
    severity: Severity::Must,
    mode: Mode::All,
    text: "a response decodes as the declared message (no malformed bytes, valid UTF-8 in strings)",
    citation: "go-livepeer net/lp_rpc.proto: answers are the declared message; gateways drop undecodable ones",
    hint: "the orchestrator sends bytes that are not the declared message; check its version and any proxy",
    check: |ctx| {
        report(ctx.observation.calls().into_iter().map(|(path, outcome)| {
            matches!(outcome, Err(CallError::Decode(_)))
                .then(|| Finding::new(path, "the declared message", outcome_text(outcome)))
        }))
    },
};

const RPC_005: Rule = Rule {
    id: "RPC-005",
    severity: Severity::Must,
    mode: Mode::All,
    text: "after any fuzzed request the orchestrator still answers a well-formed GetOrchestrator",
    citation: "go-livepeer server/rpc.go: one malformed request must not take the orchestrator out of service",
    hint: "a malformed request crashed or wedged the orchestrator; see the fuzz case transcript",
    check: |ctx| {
        let call = ctx.observation.grpc.liveness_after_fuzz.as_ref();
        let call = call.ok_or_else(|| Skipped("no fuzzing in this run".into()))?;
        report([expect_answer("liveness_after_fuzz", call)])
    },
};

const RPC_006: Rule = Rule {
    id: "RPC-006",
    severity: Severity::Should,
    mode: Mode::All,
    text:
        "error messages (gRPC statuses, HTTP refusals' text) do not leak internals (stack traces, panics, file paths)",
    citation: "go-livepeer server/rpc.go: gRPC error messages reach any caller; internals belong in the node's log",
    hint: "return a short error message and log the details on the orchestrator",
    check: |ctx| {
        report(ctx.observation.calls().into_iter().map(|(path, outcome)| {
            let (Err(CallError::Status { message, .. }) | Err(CallError::Refused { text: message, .. })) = outcome
            else {
                return None;
            };
            let lowered = message.to_lowercase();
            let marker = LEAK_MARKERS.iter().find(|marker| lowered.contains(*marker))?;
            Some(Finding::new(
                format!("{path}.message"),
                "a message without stack traces, panics or file paths",
                format!("{} (contains {marker:?})", quoted(message)),
            ))
        }))
    },
};

const RPC_007: Rule = Rule {
    id: "RPC-007",
    severity: Severity::Should,
    mode: Mode::All,
    text: "a discovery with `ignoreCapacityCheck: true` is never refused for capacity (`OrchestratorCapped`); without the flag a capacity refusal is a legitimate answer, reported as such, not a failed case",
    citation: "go-livepeer net/lp_rpc.proto ignoreCapacityCheck; server/rpc.go CheckCapacity",
    hint: "go-livepeer checks -maxSessions before it looks at ignoreCapacityCheck: raise -maxSessions, or wait for free sessions",
    check: |ctx| {
        let flagged: Vec<_> = ctx
            .observation
            .grpc.capability_discoveries
            .iter()
            .enumerate()
            .filter(|(_, discovery)| discovery.ignore_capacity_check)
            .collect();
        if flagged.is_empty() {
            return Err(Skipped("no discovery with ignoreCapacityCheck in this run".into()));
        }
        report(flagged.into_iter().map(|(index, discovery)| {
            let refused = discovery.call.outcome.as_ref().is_err_and(CallError::is_capped);
            refused.then(|| {
                Finding::new(
                    format!("capability_discoveries[{index}]"),
                    "an answer: the request set ignoreCapacityCheck",
                    call_text(&discovery.call),
                )
            })
        }))
    },
};

const RPC_008: Rule = Rule {
    id: "RPC-008",
    severity: Severity::Should,
    mode: Mode::All,
    text: "the median signed GetOrchestrator answers within the gateway's discovery timeout (go-livepeer `-discoveryTimeout`, default 500 ms; `--expect discoveryTimeout=`): slower orchestrators are left out of sessions",
    citation: "go-livepeer cmd/livepeer/starter/starter.go DiscoveryTimeout; discovery/discovery.go",
    hint: "gateways leave this orchestrator out of their sessions; check its load and its Ethereum node",
    check: |ctx| {
        let mut elapsed: Vec<Duration> = ctx
            .observation
            .signed_discoveries()
            .filter(|call| call.outcome.is_ok())
            .map(|call| call.elapsed)
            .collect();
        if elapsed.is_empty() {
            return Err(Skipped("no signed discovery answered".into()));
        }
        elapsed.sort_unstable();
        let median = elapsed[elapsed.len() / 2];
        let timeout = ctx.expectations.discovery_timeout();
        report([(median > timeout).then(|| {
            Finding::new(
                "info.elapsed",
                format!("a median within {timeout:?} over {} signed discoveries", elapsed.len()),
                format!("{median:?}"),
            )
        })])
    },
};

/// Lower-case fragments that betray internals in an error message.
const LEAK_MARKERS: &[&str] = &[
    "panic",
    "goroutine",
    "runtime error",
    "stack trace",
    "stacktrace",
    "traceback",
    ".go:",
    ".rs:",
    "/home/",
    "/usr/",
    "/root/",
    "/go/pkg/",
    "at src/",
    "nil pointer dereference",
];

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::fixture::*;
    use crate::expect::Expectations;
    use crate::observe::{CallError, HttpExchange};

    #[test]
    fn rpc_001_forged_signature_refused_with_status() {
        assert_passes("RPC-001");
        assert_breaks(
            "RPC-001",
            |o| o.grpc.forged_signature = Some(answered(good_info())),
            &["forged_signature"],
        );
        assert_breaks(
            "RPC-001",
            |o| o.grpc.forged_signature = Some(failed_call(CallError::Transport("connection reset".into()))),
            &["forged_signature"],
        );
    }

    #[test]
    fn rpc_002_malformed_address_refused_with_status() {
        assert_passes("RPC-002");
        assert_breaks(
            "RPC-002",
            |o| o.grpc.malformed_address = Some(answered(good_info())),
            &["malformed_address"],
        );
    }

    #[test]
    fn rpc_003_calls_answer_in_time() {
        assert_passes("RPC-003");
        let result = assert_breaks(
            "RPC-003",
            |o| o.grpc.ping.as_mut().unwrap().call = failed_call(CallError::Timeout(Duration::from_secs(10))),
            &["ping"],
        );
        assert_eq!(result.findings[0].actual, "no answer within 10s");
        let result = assert_breaks(
            "RPC-003",
            |o| {
                o.http
                    .exchanges
                    .push(http_exchange(CallError::Timeout(Duration::from_secs(3))))
            },
            &["http[0] GET /orchestrator/info"],
        );
        assert_eq!(result.findings[0].actual, "no answer within 3s");
    }

    /// `GET /orchestrator/info` ended in `error`.
    fn http_exchange(error: CallError) -> HttpExchange {
        HttpExchange {
            request: "GET /orchestrator/info".into(),
            call: failed_call(error),
        }
    }

    #[test]
    fn rpc_004_answers_decode() {
        assert_passes("RPC-004");
        assert_breaks(
            "RPC-004",
            |o| {
                o.grpc.end_session_issued.as_mut().unwrap().call =
                    failed_call(CallError::Decode("invalid utf-8".into()))
            },
            &["end_session_issued"],
        );
    }

    #[test]
    fn rpc_005_alive_after_fuzzing() {
        assert_passes("RPC-005");
        assert_breaks(
            "RPC-005",
            |o| o.grpc.liveness_after_fuzz = Some(failed_call(CallError::Transport("connection refused".into()))),
            &["liveness_after_fuzz"],
        );
        let reason = assert_skips("RPC-005", &Expectations::default(), |o| {
            o.grpc.liveness_after_fuzz = None
        });
        assert_eq!(reason, "no fuzzing in this run");
    }

    #[test]
    fn rpc_006_errors_keep_internals() {
        assert_passes("RPC-006");
        let result = assert_breaks(
            "RPC-006",
            |o| {
                o.grpc.forged_signature = Some(refused(
                    "panic: runtime error: index out of range\ngoroutine 1 [running]:\nserver/rpc.go:120",
                ))
            },
            &["forged_signature.message"],
        );
        assert!(result.findings[0].actual.contains("(contains \"panic\")"));
        let result = assert_breaks(
            "RPC-006",
            |o| {
                o.http.exchanges.push(http_exchange(CallError::Refused {
                    status: 500,
                    text: "open /home/livepeer/.lpData/x.tempfile: no such file\n".into(),
                }))
            },
            &["http[0] GET /orchestrator/info.message"],
        );
        assert!(result.findings[0].actual.contains("(contains \"/home/\")"));
    }

    #[test]
    fn rpc_007_ignore_capacity_check_is_honoured() {
        assert_passes("RPC-007");
        let result = assert_breaks(
            "RPC-007",
            |o| o.grpc.capability_discoveries[0].call = refused("Invalid orchestrator request: OrchestratorCapped"),
            &["capability_discoveries[0]"],
        );
        assert!(result.findings[0].actual.contains("OrchestratorCapped"));
        let unflagged = |o: &mut crate::observe::Observation| {
            o.grpc
                .capability_discoveries
                .iter_mut()
                .for_each(|d| d.ignore_capacity_check = false)
        };
        assert!(assert_skips("RPC-007", &Expectations::default(), unflagged).contains("ignoreCapacityCheck"));
    }

    #[test]
    fn rpc_008_median_discovery_within_the_gateway_timeout() {
        assert_passes("RPC-008");
        let slow = |o: &mut crate::observe::Observation| {
            o.grpc.info.elapsed = Duration::from_millis(900);
            o.grpc.repeat_info.as_mut().unwrap().elapsed = Duration::from_millis(800);
            o.grpc.capability_discoveries[0].call.elapsed = Duration::from_millis(700);
        };
        assert_breaks("RPC-008", slow, &["info.elapsed"]);
        let patient = Expectations {
            discovery_timeout: Some(Duration::from_secs(1)),
            ..Default::default()
        };
        assert_passes_with("RPC-008", &patient, slow);
    }
}
