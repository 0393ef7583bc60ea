//! Fuzzed calls judged by the rule catalog's RPC rules, not by a second copy of their logic:
//! each call is filed into an `Observation` and the rules evaluated on it. A fuzzed call takes
//! the slot of a non-standard GetOrchestrator (`forged_signature`), whose rules (RPC-001) are
//! not asked; the liveness check after a batch takes `liveness_after_fuzz`. Findings are then
//! renamed after the fuzz case.

use bytes::Bytes;

use super::families::Method;
use crate::eth::Address;
use crate::expect::Expectations;
use crate::observe::{Call, CallError, Observation};
use crate::proto::net::OrchestratorInfo;
use crate::rules::{self, Context, Finding, ModeOverrides, Rule};

/// What each fuzzed call is judged by: answered within the deadline, an answer that decodes,
/// errors that keep internals to themselves.
pub const CASE_RULES: &[&str] = &["RPC-003", "RPC-004", "RPC-006"];
/// What the well-formed GetOrchestrator after each batch is judged by.
pub const LIVENESS_RULES: &[&str] = &["RPC-003", "RPC-004", "RPC-005", "RPC-006"];

/// The observation slot a fuzzed call is filed under.
const FUZZED_SLOT: &str = "forged_signature";

/// A rule's finding about one call.
#[derive(Debug, Clone)]
pub struct Judged {
    pub rule: &'static Rule,
    pub finding: Finding,
}

/// Judges a fuzzed call sent to `path`; findings are located at `case` (e.g. `ping-value#3`).
pub fn fuzzed_call(case: &str, path: &str, call: &Call<Bytes>) -> Vec<Judged> {
    let outcome = match &call.outcome {
        Ok(answer) => match Method::from_path(path).map(|method| method.check_answer(answer)) {
            Some(Err(problem)) => Err(CallError::Decode(problem)),
            Some(Ok(())) | None => Ok(OrchestratorInfo::default()),
        },
        Err(error) => Err(server_refusal(error.clone())),
    };
    let filed = Call {
        elapsed: call.elapsed,
        outcome,
    };
    let observation = observation(Some(filed), None);
    evaluate(&observation, CASE_RULES)
        .into_iter()
        .map(|mut judged| {
            if let Some(rest) = judged.finding.path.strip_prefix(FUZZED_SLOT) {
                judged.finding.path = format!("{case}{rest}");
            }
            judged
        })
        .collect()
}

/// Judges the well-formed, signed GetOrchestrator sent after fuzzed requests.
pub fn liveness(call: &Call<OrchestratorInfo>) -> Vec<Judged> {
    evaluate(&observation(None, Some(call.clone())), LIVENESS_RULES)
}

/// A raw call decodes nothing, so the transport's "does not decode" can only be the server
/// refusing the fuzzed request with tonic's own decode message (or the response size cap): a
/// status from the server, whose code the transport did not keep.
fn server_refusal(error: CallError) -> CallError {
    match error {
        CallError::Decode(message) => CallError::Status {
            code: tonic::Code::Unknown,
            message,
        },
        other => other,
    }
}

/// An observation holding only the calls to judge. `info` is a stand-in answer: only the RPC
/// rules are evaluated, and they look at it for errors alone.
fn observation(fuzzed: Option<Call<OrchestratorInfo>>, liveness: Option<Call<OrchestratorInfo>>) -> Observation {
    let info = Call {
        elapsed: Default::default(),
        outcome: Ok(OrchestratorInfo::default()),
    };
    Observation {
        forged_signature: fuzzed,
        liveness_after_fuzz: liveness,
        ..Observation::of_discovery(String::new(), Address([0; 20]), info)
    }
}

fn evaluate(observation: &Observation, rule_ids: &[&str]) -> Vec<Judged> {
    let expectations = Expectations::default();
    let context = Context::new(
        observation,
        &expectations,
        ModeOverrides::default(),
        crate::probe::unix_now(),
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

    use super::*;

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
        let ping = Method::Ping.path();
        let refused = call(Err(CallError::Status {
            code: tonic::Code::InvalidArgument,
            message: "bad request".into(),
        }));
        assert!(fuzzed_call("ping-value#0", ping, &refused).is_empty());
        assert!(fuzzed_call("ping-value#0", ping, &call(Ok(Bytes::new()))).is_empty());
        let refused_by_tonic = call(Err(CallError::Decode(
            "failed to decode Protobuf message: invalid string value: data is not UTF-8 encoded".into(),
        )));
        assert!(fuzzed_call("invalid-utf8#0", ping, &refused_by_tonic).is_empty());
        assert!(fuzzed_call("raw-bytes#0", ping, &call(Err(CallError::Transport("reset".into())))).is_empty());
    }

    #[test]
    fn timeouts_leaks_and_garbled_answers_are_findings_at_the_case() {
        let path = Method::GetOrchestrator.path();
        let stalled = fuzzed_call(
            "raw-bytes#1",
            path,
            &call(Err(CallError::Timeout(Duration::from_secs(1)))),
        );
        assert_eq!(rule_ids(&stalled), ["RPC-003"]);
        assert_eq!(stalled[0].finding.path, "raw-bytes#1");
        let leaked = call(Err(CallError::Status {
            code: tonic::Code::Internal,
            message: "thread 'main' panicked at src/main.rs:1:1".into(),
        }));
        let leaked = fuzzed_call("raw-bytes#2", path, &leaked);
        assert_eq!(rule_ids(&leaked), ["RPC-006"]);
        assert_eq!(leaked[0].finding.path, "raw-bytes#2.message");
        let garbled = fuzzed_call(
            "raw-bytes#3",
            path,
            &call(Ok(Bytes::from_static(&[0x0a, 0x02, 0xff, 0xfe]))),
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
