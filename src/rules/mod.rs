//! The rule catalog of rules.md: one file per area (with the accessors of its own part of an
//! answer: prices, capabilities, tickets, tokens, Ping), what a rule is and what it returns
//! (`definition`, `finding`), the context every rule reads and the modes it detects, the catalog
//! itself (`catalog`), and the one place where findings become verdicts (`evaluate`). Rules are
//! pure: the observation, the operator's expectations and the clock come in through
//! [`Context`]; nothing here does I/O.

mod auth;
mod capabilities;
mod catalog;
mod config;
mod context;
mod definition;
mod evaluate;
mod finding;
mod hardware;
mod identity;
mod matrix;
mod modes;
mod price;
mod required;
mod rpc;
mod spec;
mod storage;
mod ticket;
mod uri;
mod verify;

#[cfg(test)]
mod fixture;
#[cfg(test)]
mod robustness;

pub use catalog::{catalog, catalog_markdown, catalog_table, rule, Area, AREAS};
pub use context::Context;
pub use definition::{Check, CheckOutcome, Rule, RuleResult};
pub use evaluate::{evaluate, evaluate_rule, failed};
pub use finding::{CheckFindings, Finding, Mode, Severity, Skipped, Verdict, MAX_FINDINGS_PER_RULE};
pub use modes::{ModeOverrides, Modes};
pub use storage::redact_storage;
