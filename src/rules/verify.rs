//! Shared verifiers: each checks one kind of value and writes the expected
//! and actual text once, so rule bodies stay a few lines. Every verifier
//! returns `None` when the value is fine.

use std::collections::HashMap;

use num_bigint::BigUint;
use num_traits::Zero;

use super::{CheckOutcome, Finding};
use crate::capability;
use crate::observe::{Call, CallError};
use crate::shown::hex_bytes;

/// Longest text quoted from an observation; beyond it the text is cut.
const QUOTE_LIMIT: usize = 120;
/// Most bytes shown as hex in a finding.
const HEX_LIMIT: usize = 40;
/// Most numbers listed in one finding.
const LIST_LIMIT: usize = 20;

/// Collects the verifiers' results into a check's outcome.
pub(super) fn report(checks: impl IntoIterator<Item = Option<Finding>>) -> CheckOutcome {
    Ok(checks.into_iter().flatten().collect())
}

/// A string as Rust would quote it, cut to a readable length.
pub(super) fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTE_LIMIT) {
        Some((cut, _)) => format!("{:?}… ({} bytes)", &text[..cut], text.len()),
        None => format!("{text:?}"),
    }
}

/// Bytes as 0x-hex with their length, cut to a readable length.
pub(super) fn bytes_text(bytes: &[u8]) -> String {
    if bytes.len() > HEX_LIMIT {
        format!("{}… ({} bytes)", hex_bytes(&bytes[..HEX_LIMIT]), bytes.len())
    } else {
        format!("{} ({} bytes)", hex_bytes(bytes), bytes.len())
    }
}

/// `name (n)` for known capabilities, `unknown(n)` otherwise.
pub(super) fn capability_text(number: u32) -> String {
    match capability::lookup(number) {
        Some(known) => format!("{} ({number})", known.name),
        None => capability::display_name(number),
    }
}

/// Capability numbers as a readable list, with a count of those left out.
pub(super) fn capability_list(numbers: impl IntoIterator<Item = u32>) -> String {
    let mut shown = Vec::new();
    let mut more = 0usize;
    for number in numbers {
        if shown.len() < LIST_LIMIT {
            shown.push(capability_text(number));
        } else {
            more += 1;
        }
    }
    match more {
        0 => shown.join(", "),
        _ => format!("{} and {more} more", shown.join(", ")),
    }
}

/// A map's entries in key order, so findings come out in a stable order.
pub(super) fn sorted<K: Ord, V>(map: &HashMap<K, V>) -> Vec<(&K, &V)> {
    let mut entries: Vec<(&K, &V)> = map.iter().collect();
    entries.sort_by(|left, right| left.0.cmp(right.0));
    entries
}

/// What a call produced, for the "actual" side of a finding.
pub(super) fn call_text<T>(call: &Call<T>) -> String {
    outcome_text(call.outcome.as_ref().map(|_| ()))
}

/// What a call produced, its answer left out.
pub(super) fn outcome_text(outcome: Result<(), &CallError>) -> String {
    match outcome {
        Ok(()) => "a normal answer".to_string(),
        Err(CallError::Status { code, message }) => format!("gRPC status {code:?}: {}", quoted(message)),
        Err(error) => error.to_string(),
    }
}

pub(super) fn expect_present<T>(path: &str, value: Option<&T>) -> Option<Finding> {
    value.is_none().then(|| Finding::new(path, "present", "absent"))
}

pub(super) fn expect_non_empty(path: &str, text: &str) -> Option<Finding> {
    text.is_empty()
        .then(|| Finding::new(path, "a non-empty string", "empty"))
}

pub(super) fn expect_non_empty_bytes(path: &str, bytes: &[u8]) -> Option<Finding> {
    bytes.is_empty().then(|| Finding::new(path, "non-empty bytes", "empty"))
}

pub(super) fn expect_len(path: &str, bytes: &[u8], len: usize) -> Option<Finding> {
    (bytes.len() != len).then(|| Finding::new(path, format!("exactly {len} bytes"), bytes_text(bytes)))
}

pub(super) fn expect_positive(path: &str, value: i64) -> Option<Finding> {
    (value <= 0).then(|| Finding::new(path, "> 0", value.to_string()))
}

pub(super) fn expect_non_negative(path: &str, value: i64) -> Option<Finding> {
    (value < 0).then(|| Finding::new(path, ">= 0", value.to_string()))
}

/// A big-endian unsigned number of any length that must not be zero.
pub(super) fn expect_positive_number(path: &str, bytes: &[u8]) -> Option<Finding> {
    BigUint::from_bytes_be(bytes).is_zero().then(|| {
        Finding::new(
            path,
            "> 0 (big-endian unsigned)",
            format!("0, as {}", bytes_text(bytes)),
        )
    })
}

/// The server must refuse with a gRPC status; an answer or a transport
/// failure (the server not speaking gRPC back) both break the rule.
/// A value the second discovery answer must not repeat (a session, a ticket rand): a finding
/// when `first` is non-empty and `second` equals it. An empty value is another rule's to report.
pub(super) fn expect_fresh(path: &str, what: &str, first: &[u8], second: &[u8], shown: String) -> Option<Finding> {
    (!first.is_empty() && first == second).then(|| {
        Finding::new(
            path,
            format!("a fresh {what} in the second answer"),
            format!("the same {shown}"),
        )
    })
}

pub(super) fn expect_grpc_error<T>(path: &str, call: &Call<T>) -> Option<Finding> {
    match &call.outcome {
        Err(CallError::Status { .. }) => None,
        _ => Some(Finding::new(path, "rejected with a gRPC error status", call_text(call))),
    }
}

/// The server must answer normally.
pub(super) fn expect_answer<T>(path: &str, call: &Call<T>) -> Option<Finding> {
    call.outcome
        .is_err()
        .then(|| Finding::new(path, "a normal answer", call_text(call)))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn call(outcome: Result<(), CallError>) -> Call<()> {
        Call {
            elapsed: Duration::ZERO,
            outcome,
        }
    }

    #[test]
    fn grpc_errors_pass_answers_and_transport_failures_do_not() {
        let status = CallError::Status {
            code: tonic::Code::Unknown,
            message: "Invalid auth token".into(),
        };
        assert_eq!(expect_grpc_error("x", &call(Err(status))), None);
        let answered = expect_grpc_error("x", &call(Ok(()))).unwrap();
        assert_eq!(
            (answered.expected.as_str(), answered.actual.as_str()),
            ("rejected with a gRPC error status", "a normal answer")
        );
        let transport = expect_grpc_error("x", &call(Err(CallError::Transport("reset".into())))).unwrap();
        assert_eq!(transport.actual, "transport failure: reset");
    }

    #[test]
    fn values_are_shown_readably_and_cut() {
        assert_eq!(bytes_text(&[0xab, 1]), "0xab01 (2 bytes)");
        assert!(bytes_text(&[7; 1000]).ends_with("… (1000 bytes)"));
        assert_eq!(quoted("a\"b"), "\"a\\\"b\"");
        assert!(quoted(&"é".repeat(500)).ends_with("… (1000 bytes)"));
        assert_eq!(capability_list([27, 99]), "text-to-image (27), unknown(99)");
        assert!(capability_list(100..200).ends_with("and 80 more"));
        assert_eq!(
            expect_positive_number("x", &[0, 0]).unwrap().actual,
            "0, as 0x0000 (2 bytes)"
        );
        assert_eq!(expect_positive_number("x", &[0, 1]), None);
    }
}
