//! What must hold on any input: prost and prost-reflect decode alike, the catalog judges any
//! answer without panicking, contradicting itself or quoting a secret. The cargo-fuzz targets in
//! `fuzz/` run these checks, kept here so the targets stay thin and
//! `cargo test` (on stable) replays the seed corpus in `fixtures/corpus/` through the same code.
//! A check returns a [`Problem`] when an invariant breaks; a panic inside a decoder or a rule
//! propagates as itself.

mod canonical;
mod decode;
mod rule_checks;

#[cfg(test)]
mod corpus;
#[cfg(test)]
mod tests;

#[cfg(test)]
pub(crate) use corpus::every_field_set;

pub use canonical::canonical_bytes;
pub use decode::{check_decode, decode_input, message_names, DecodeOutcome, MAP_WIRE_TYPE};
pub use rule_checks::{check_rules, check_rules_on_bytes, observation_around, reference_info, FUZZ_NOW, SERVICE_URI};

/// A broken invariant: which check found it and what was seen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{check}: {detail}")]
pub struct Problem {
    pub check: &'static str,
    pub detail: String,
}

impl Problem {
    pub fn new(check: &'static str, detail: impl Into<String>) -> Self {
        Self {
            check,
            detail: detail.into(),
        }
    }
}
