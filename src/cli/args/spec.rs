//! `lpconform spec`: the OpenAPI document against the protocol, with no target.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::checks::ProtoArgs;

#[derive(Debug, Args)]
pub struct SpecArgs {
    #[command(subcommand)]
    pub command: SpecCommand,
}

#[derive(Debug, Subcommand)]
pub enum SpecCommand {
    /// Compare the OpenAPI schemas with the proto messages: properties without a field, fields
    /// without a property, type, required, naming and description drift.
    Drift(DriftArgs),
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// OpenAPI 3.0 document, YAML or JSON. Default: ./openapi/orchestrator.yaml when present,
    /// else the copy built into the binary.
    #[arg(long, value_name = "FILE")]
    pub openapi: Option<PathBuf>,
    #[command(flatten)]
    pub proto: ProtoArgs,
    #[arg(long, value_enum, default_value_t = DriftFormat::Table)]
    pub format: DriftFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DriftFormat {
    /// Aligned text for people.
    Table,
    /// Versioned JSON for tools.
    Json,
}
