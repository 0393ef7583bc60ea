//! `lpconform selftest`: every fault against the checks, printed as report::selftest's table.

use super::args::SelftestArgs;
use super::{print_stdout, Outcome, RunError};
use crate::report::selftest::render_selftest;
use crate::selftest::{run_selftest, CaseOutcome};

pub async fn selftest(args: &SelftestArgs) -> Result<Outcome, RunError> {
    let outcomes = run_selftest(args.call_timeout).await;
    print_stdout(&render_selftest(&outcomes))?;
    Ok(if outcomes.iter().all(CaseOutcome::passed) {
        Outcome::Conformant
    } else {
        Outcome::Findings
    })
}
