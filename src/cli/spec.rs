//! `lpconform spec drift`: where the OpenAPI document and the .proto disagree, from the files
//! alone (no target). Drift is informational: the command exits 0 unless a file fails to load.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::args::ProtoArgs;
use super::run::load_spec;
use super::{print_stdout, Outcome, RunError};
use crate::openapi::OpenApiDocument;

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

pub fn spec(args: &SpecArgs) -> Result<Outcome, RunError> {
    match &args.command {
        SpecCommand::Drift(drift) => spec_drift(drift),
    }
}

fn spec_drift(args: &DriftArgs) -> Result<Outcome, RunError> {
    let document =
        OpenApiDocument::load_or_default(args.openapi.as_deref()).map_err(|error| RunError::new(error.to_string()))?;
    let proto = load_spec(args.proto.proto.as_deref())?;
    let message = proto
        .message("net.OrchestratorInfo")
        .ok_or_else(|| RunError::new("the protocol defines no net.OrchestratorInfo"))?;
    let report = document.drift(&message, &proto.source());
    match args.format {
        DriftFormat::Table => print_stdout(&report.table())?,
        DriftFormat::Json => print_stdout(&format!("{}\n", report.to_json()))?,
    }
    Ok(Outcome::Conformant)
}
