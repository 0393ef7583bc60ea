//! Fuzzed calls judged by the rule catalog's RPC rules, not by a second copy of their logic:
//! the driver files each call in an `Observation` (its `fuzzed` slot, named by the case; the
//! liveness check after a batch in `liveness_after_fuzz`) and the rules are evaluated on it.

use crate::driver::{fuzzed_observation, Exchange};
use crate::expect::Expectations;
use crate::observe::{Call, Observation};
use crate::proto::net::OrchestratorInfo;
use crate::rules::{self, Context, Finding, ModeOverrides, Rule};

/// What each fuzzed call is judged by: answered within the deadline, an answer that decodes,
/// errors that keep internals to themselves.
pub const CASE_RULES: &[&str] = &["RPC-003", "RPC-004", "RPC-006"];
/// What the well-formed GetOrchestrator after each batch is judged by.
pub const LIVENESS_RULES: &[&str] = &["RPC-003", "RPC-004", "RPC-005", "RPC-006"];

/// A rule's finding about one call.
#[derive(Debug, Clone)]
pub struct Judged {
    pub rule: &'static Rule,
    pub finding: Finding,
}

/// Judges a fuzzed call; findings are located at `case` (e.g. `ping-value#3`).
pub fn fuzzed_call(case: &str, exchange: &Exchange) -> Vec<Judged> {
    evaluate(&fuzzed_observation(Some((case, exchange)), None), CASE_RULES)
}

/// Judges the well-formed, signed GetOrchestrator sent after fuzzed requests.
pub fn liveness(call: &Call<OrchestratorInfo>) -> Vec<Judged> {
    evaluate(&fuzzed_observation(None, Some(call.clone())), LIVENESS_RULES)
}

fn evaluate(observation: &Observation, rule_ids: &[&str]) -> Vec<Judged> {
    let expectations = Expectations::default();
    let context = Context::new(
        observation,
        &expectations,
        ModeOverrides::default(),
        crate::ambient::unix_now(),
    );
    rule_ids
        .iter()
        .filter_map(|id| rules::rule(id))
        .flat_map(|rule| {
            rules::evaluate_rule(rule, &context)
                .findings
                .into_iter()
                .map(move |finding| Judged { rule, finding })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;

    use super::*;
    use crate::driver::SentRequest;
    use crate::observe::CallError;
    use crate::protocol::Protocol;
    use crate::protocol::RpcMethod;

    /// A fuzzed call to `path` that ended in `answer`, as the driver hands it over.
    fn sent(path: &str, answer: Result<Bytes, CallError>) -> Exchange {
        Exchange {
            sent: SentRequest::grpc(path, Bytes::new()),
            elapsed: Duration::from_millis(3),
            answer,
            http_head: None,
            output: Protocol::built_in().method_by_path(path).map(|method| method.output()),
            scan: Default::default(),
        }
    }

    fn call<T>(outcome: Result<T, CallError>) -> Call<T> {
        Call {
            elapsed: Duration::from_millis(3),
            outcome,
        }
    }

    fn rule_ids(judged: &[Judged]) -> Vec<&'static str> {
        judged.iter().map(|judged| judged.rule.id).collect()
    }

    #[test]
    fn plain_refusals_and_answers_are_fine() {
        let ping = RpcMethod::Ping.path();
        let refused = sent(
            ping,
            Err(CallError::Status {
                code: tonic::Code::InvalidArgument,
                message: "bad request".into(),
            }),
        );
        assert!(fuzzed_call("ping-value#0", &refused).is_empty());
        assert!(fuzzed_call("ping-value#0", &sent(ping, Ok(Bytes::new()))).is_empty());
        let refused_by_tonic = sent(
            ping,
            Err(CallError::Decode(
                "failed to decode Protobuf message: invalid string value: data is not UTF-8 encoded".into(),
            )),
        );
        assert!(fuzzed_call("invalid-utf8#0", &refused_by_tonic).is_empty());
        assert!(fuzzed_call("raw-bytes#0", &sent(ping, Err(CallError::Transport("reset".into())))).is_empty());
    }

    #[test]
    fn timeouts_leaks_and_garbled_answers_are_findings_at_the_case() {
        let path = RpcMethod::GetOrchestrator.path();
        let stalled = fuzzed_call(
            "raw-bytes#1",
            &sent(path, Err(CallError::Timeout(Duration::from_secs(1)))),
        );
        assert_eq!(rule_ids(&stalled), ["RPC-003"]);
        assert_eq!(stalled[0].finding.path, "raw-bytes#1");
        let leaked = sent(
            path,
            Err(CallError::Status {
                code: tonic::Code::Internal,
                message: "thread 'main' panicked at src/main.rs:1:1".into(),
            }),
        );
        let leaked = fuzzed_call("raw-bytes#2", &leaked);
        assert_eq!(rule_ids(&leaked), ["RPC-006"]);
        assert_eq!(leaked[0].finding.path, "raw-bytes#2.message");
        let garbled = fuzzed_call(
            "raw-bytes#3",
            &sent(path, Ok(Bytes::from_static(&[0x0a, 0x02, 0xff, 0xfe]))),
        );
        assert_eq!(rule_ids(&garbled), ["RPC-004"]);
    }

    #[test]
    fn liveness_needs_an_answer() {
        assert!(liveness(&call(Ok(OrchestratorInfo::default()))).is_empty());
        let down = liveness(&call(Err(CallError::Status {
            code: tonic::Code::Unavailable,
            message: "restarting".into(),
        })));
        assert_eq!(rule_ids(&down), ["RPC-005"]);
        let stuck = liveness(&call(Err(CallError::Timeout(Duration::from_secs(1)))));
        assert_eq!(rule_ids(&stuck), ["RPC-003", "RPC-005"]);
    }
}
