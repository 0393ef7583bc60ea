//! `lpconform spec drift`: where the OpenAPI document and the .proto disagree, from the files
//! alone (no target). Drift is informational: the command exits 0 unless a file fails to load.

use super::args::{DriftArgs, DriftFormat, SpecArgs, SpecCommand};
use super::setup::{load_openapi, load_protocol};
use super::{print_stdout, Outcome, RunError};

pub fn spec(args: &SpecArgs) -> Result<Outcome, RunError> {
    match &args.command {
        SpecCommand::Drift(drift) => spec_drift(drift),
    }
}

fn spec_drift(args: &DriftArgs) -> Result<Outcome, RunError> {
    let document = load_openapi(args.openapi.as_deref())?;
    let proto = load_protocol(args.proto.proto.as_deref())?;
    let message = proto
        .message("net.OrchestratorInfo")
        .ok_or_else(|| RunError::Usage("the protocol defines no net.OrchestratorInfo".into()))?;
    let report = document.drift(&message, &proto.source());
    match args.format {
        DriftFormat::Table => print_stdout(&report.table())?,
        DriftFormat::Json => print_stdout(&format!("{}\n", report.to_json()))?,
    }
    Ok(Outcome::Conformant)
}
