//! lpconform: conformance and fuzz test harness for Livepeer orchestrators.
//!
//! See ARCHITECTURE.md for how the pieces fit together.

pub mod ai_models;
pub mod ambient;
pub mod capability;
pub mod cli;
pub mod driver;
pub mod error_text;
pub mod escape;
pub mod eth;
pub mod expect;
pub mod fuzz;
pub mod gateway;
pub mod input_file;
pub mod integer;
pub mod invariants;
pub mod observe;
pub mod openapi;
pub mod proto;
pub mod protocol;
pub mod reference;
pub mod remote_signer;
pub mod report;
pub mod rules;
pub mod runner;
pub mod selftest;
pub mod shown;
pub mod snapshot;
pub mod suite;
pub mod sweep;
pub mod transport;
pub mod version;
pub mod view;
