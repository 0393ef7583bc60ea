//! `lpconform compare`: JSON reports of runs or sweeps compared in order.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// JSON reports in order, oldest first: `lpconform run --format json` (or --report-json)
    /// reports, or `lpconform sweep --format json` documents (one run per target). Each run is
    /// compared with the one before it; together they must hold at least two runs.
    #[arg(value_name = "REPORT.json", required = true)]
    pub reports: Vec<PathBuf>,
    /// What to print: the changes as text, a versioned JSON document, or an HTML page with the
    /// grid of rules × runs.
    #[arg(long, value_enum, default_value_t = CompareFormat::Text)]
    pub format: CompareFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompareFormat {
    Text,
    Json,
    Html,
}
