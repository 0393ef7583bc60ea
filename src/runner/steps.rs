//! A step's report from what its call came to: what the suite expected, what happened, and
//! whether that is a pass, a finding, a harness error or a refusal that leaves the case unjudged.

use std::time::Duration;

use crate::driver::SentRequest;
use crate::observe::{Call, CallError, CapabilityDiscovery, ModelRef};
use crate::proto::net::OrchestratorInfo;
use crate::runner::{StepOutcome, StepReport};
use crate::suite::{AnswerCheck, CallSpec, ExpectedOutcome, Step};

/// Why a refusal to a discovery is no fault of the orchestrator's, if it is none.
pub(super) fn legitimate_refusal(error: &CallError, ignore_capacity_check: bool) -> Option<String> {
    if error.is_insufficient_reserve() {
        return Some("the gateway identity is unfunded (insufficient sender reserve): see the note at the top".into());
    }
    (error.is_capped() && !ignore_capacity_check).then(|| {
        "the orchestrator is at capacity (OrchestratorCapped), a legitimate answer without ignoreCapacityCheck".into()
    })
}

impl StepReport {
    /// Keeps the request when the step failed or the call was refused (see [`StepReport::request`]).
    pub(super) fn keep_request_if<T>(mut self, outcome: &Result<T, CallError>, request: &SentRequest) -> Self {
        if !self.passed() || outcome.is_err() {
            self.request = Some(request.clone());
        }
        self
    }
}

/// The step of an EndTranscodingSession with the issued token when the discovery issued none:
/// not made. Passed with the reason when discovery was legitimately refused (nothing to judge),
/// failed otherwise.
pub(super) fn no_issued_token(step: &Step, label: String, info: Option<&Call<OrchestratorInfo>>) -> StepReport {
    let refused = info.and_then(|call| call.outcome.as_ref().err());
    let not_judged = refused.and_then(|error| legitimate_refusal(error, false));
    StepReport {
        call: label,
        expected: step_report(step, String::new(), &Ok(()), Duration::ZERO).expected,
        actual: "not made: the discovery answer carried no auth token".into(),
        outcome: if not_judged.is_some() {
            StepOutcome::Passed
        } else {
            StepOutcome::Failed
        },
        elapsed: Duration::ZERO,
        not_judged,
        request: None,
        reproducer: None,
    }
}

/// One `answer:` check of a scripted call, as a step of its own.
pub(super) fn answer_step(check: &AnswerCheck, answer: &prost_reflect::DynamicMessage) -> StepReport {
    let (actual, passed) = check.judge(answer);
    StepReport {
        call: format!("answer {}", check.path),
        expected: check.expected(),
        actual,
        outcome: if passed {
            StepOutcome::Passed
        } else {
            StepOutcome::Failed
        },
        elapsed: Duration::ZERO,
        not_judged: None,
        request: None,
        reproducer: None,
    }
}

/// The step of a `get_orchestrator_per_model` call: every discovery answered, or refused for a
/// reason that is no fault of the orchestrator's.
pub(super) fn per_model_step(step: &Step, discoveries: &[CapabilityDiscovery]) -> StepReport {
    let failed: Vec<String> = discoveries
        .iter()
        .filter_map(|discovery| {
            let error = discovery.call.outcome.as_ref().err()?;
            let named: Vec<&str> = discovery
                .models
                .iter()
                .map(|model: &ModelRef| model.model_id.as_str())
                .collect();
            Some(format!("{}: {error}", named.join(" + ")))
        })
        .collect();
    let not_judged = discoveries.iter().find_map(|discovery| {
        let error = discovery.call.outcome.as_ref().err()?;
        legitimate_refusal(error, discovery.ignore_capacity_check)
    });
    let only_capped = discoveries
        .iter()
        .all(|discovery| discovery.call.outcome.as_ref().err().is_none_or(CallError::is_capped));
    StepReport {
        call: format!(
            "GetOrchestrator naming each priced model ({} requests)",
            discoveries.len()
        ),
        expected: match step.expect {
            ExpectedOutcome::Ok => "an answer to each".into(),
            _ => "answers or statuses".into(),
        },
        actual: if failed.is_empty() {
            "an answer to each".into()
        } else {
            failed.join("; ")
        },
        // Capacity refusals (these requests set ignoreCapacityCheck) are RPC-007's and PRICE-009's
        // to judge, as for a single discovery.
        outcome: if only_capped || step.expect != ExpectedOutcome::Ok || not_judged.is_some() {
            StepOutcome::Passed
        } else {
            StepOutcome::Failed
        },
        elapsed: discoveries.iter().map(|discovery| discovery.call.elapsed).sum(),
        not_judged,
        request: None,
        reproducer: None,
    }
}

pub(super) fn step_report<T>(
    step: &Step,
    call: String,
    outcome: &Result<T, CallError>,
    elapsed: Duration,
) -> StepReport {
    let expected = match (step.expect, step.code, &step.message) {
        (ExpectedOutcome::Ok, _, _) => "an answer".to_string(),
        (ExpectedOutcome::Any, _, _) if step.call == CallSpec::InfoJson => {
            "an answer or a refusal within the deadline".to_string()
        }
        (ExpectedOutcome::Any, _, _) => "an answer or a status".to_string(),
        (ExpectedOutcome::Error, code, message) => {
            let mut text = "a gRPC error".to_string();
            if let Some(code) = code {
                text.push_str(&format!(" with code {code:?}"));
            }
            if let Some(message) = message {
                text.push_str(&format!(" matching /{message}/"));
            }
            text
        }
    };
    let passed = match (step.expect, outcome) {
        (ExpectedOutcome::Ok, Ok(_)) => true,
        (ExpectedOutcome::Any, Ok(_) | Err(CallError::Status { .. } | CallError::Refused { .. })) => true,
        // Plain HTTP is optional for an orchestrator: a gRPC-only server may refuse it any way
        // (404, a reset stream), as long as it does so within the deadline.
        (ExpectedOutcome::Any, Err(CallError::Transport(_) | CallError::Dropped(_) | CallError::Decode(_))) => {
            step.call == CallSpec::InfoJson
        }
        (ExpectedOutcome::Error, Err(CallError::Status { code, message })) => {
            step.code.is_none_or(|wanted| wanted == *code)
                && step.message.as_ref().is_none_or(|pattern| pattern.is_match(message))
        }
        _ => false,
    };
    let actual = match outcome {
        Ok(_) => "an answer".to_string(),
        Err(error) => error.to_string(),
    };
    let outcome = match outcome {
        _ if passed => StepOutcome::Passed,
        Err(CallError::Transport(_)) => StepOutcome::HarnessError,
        _ => StepOutcome::Failed,
    };
    StepReport {
        call,
        expected,
        actual,
        outcome,
        elapsed,
        not_judged: None,
        request: None,
        reproducer: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::PingValue;

    #[test]
    fn a_call_that_timed_out_passes_no_step() {
        let timeout: Result<(), CallError> = Err(CallError::Timeout(Duration::from_secs(1)));
        for call in [
            CallSpec::InfoJson,
            CallSpec::Ping {
                value: PingValue::Random,
            },
        ] {
            for expect in [ExpectedOutcome::Ok, ExpectedOutcome::Any, ExpectedOutcome::Error] {
                let step = Step {
                    call: call.clone(),
                    expect,
                    code: None,
                    message: None,
                    answer: Vec::new(),
                };
                let report = step_report(&step, "call".into(), &timeout, Duration::from_secs(1));
                assert_eq!(
                    report.outcome,
                    StepOutcome::Failed,
                    "{call:?} expecting {expect:?} on a timeout"
                );
            }
        }
    }
}
