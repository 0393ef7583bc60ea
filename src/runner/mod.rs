//! Runs suite cases against one connected orchestrator and returns the results as data for the
//! reporters: per case, each call's outcome against what the suite expected, the rules evaluated
//! on what came back, and the snapshot comparison. It never prints: progress goes to a callback.
//!
//! This file is the runner's face: what a run returns (the report types, the statuses judged from
//! them). By job below it: `case` running one case (`steps` what each call's outcome says),
//! `probes` the detection probe and the standard probe, `run` the run loop (deadlines, ending
//! early), `target` one target checked end to end (`check_target`: connect, a broken setup
//! judged, the cases; the report's [`RunReport::outcome`] says what it came to).

mod case;
pub mod known_failures;
mod probes;
mod run;
mod steps;
mod target;

use std::time::Duration;

pub use case::{case_applies, run_case, CaseContext, RunSettings, MAX_FOLLOWED_NODES};
pub use probes::standard_probe;
pub use run::{run_suites, run_suites_with_progress, CaseProgress};
pub use target::{check_target, NotChecked, TargetCheck};

pub use crate::driver::SentRequest;
use crate::eth::Address;
use crate::observe::NewerField;
use crate::proto::net::OrchestratorInfo;
use crate::rules::{Modes, RuleResult, Verdict};
use crate::runner::known_failures::KnownFailureCheck;
use crate::snapshot::{SnapshotCheck, SnapshotStatus};

/// The whole run.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub target: String,
    pub profile: String,
    pub modes: Modes,
    /// The discovery answer of the baseline probe, for the capability matrix.
    pub info: Option<OrchestratorInfo>,
    /// Fields of that answer only the loaded (newer) proto names, shown with it.
    pub newer_fields: Vec<NewerField>,
    pub strict: bool,
    pub cases: Vec<CaseReport>,
    pub elapsed: Duration,
    /// The gateway address, when the orchestrator refused discovery with `insufficient sender
    /// reserve`: a fact about the run's identity, not the orchestrator (exit 2).
    pub unfunded_gateway: Option<Address>,
    /// How the operator's known-failures list fared (`--known-failures`); `None` without one.
    pub known_failures: Option<KnownFailureCheck>,
    /// Why the run stopped before its last case, if it did: the later cases are not run.
    pub ended_early: Option<EndedEarly>,
}

/// Why a run stopped before its last case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedEarly {
    /// The target connected, then a discovery call timed out: it stopped answering.
    StoppedAnswering,
    /// The run's own deadline passed (`sweep --target-timeout`); the cases before it finished.
    DeadlinePassed,
}

/// The suite name of the one case of a run that ended at connection setup (`connection::setup`).
pub const SETUP_SUITE: &str = "connection";

/// Why the cases after a run ended early are not run. Once a discovery call timed out each
/// would wait out its deadline too.
pub fn not_run_reason(ended: EndedEarly) -> &'static str {
    match ended {
        EndedEarly::StoppedAnswering => "not run: the target stopped answering (a discovery call timed out)",
        EndedEarly::DeadlinePassed => "not run: the target deadline passed",
    }
}

impl RunReport {
    /// Whether the run ended at connection setup: its one case is the setup, no suite ran.
    pub fn ended_at_setup(&self) -> bool {
        self.cases.iter().any(|case| case.suite == SETUP_SUITE)
    }

    pub fn count(&self, wanted: CaseStatusKind) -> usize {
        self.cases.iter().filter(|case| case.status.kind() == wanted).count()
    }

    /// Steps whose exchange broke in transport after setup, and snapshots that could not be read
    /// or recorded: no verdict on their answers.
    pub fn harness_errors(&self) -> usize {
        let unreadable = |case: &&CaseReport| matches!(&case.snapshot, Some(check) if check.unreadable());
        self.cases
            .iter()
            .flat_map(|case| &case.steps)
            .filter(|step| step.outcome == StepOutcome::HarnessError)
            .count()
            + self.cases.iter().filter(unreadable).count()
    }

    /// Whether the run found something wrong with the orchestrator itself: what [`failed`]
    /// counts, less cases that failed only by harness errors.
    ///
    /// [`failed`]: RunReport::failed
    pub fn has_findings(&self) -> bool {
        let stale = self
            .known_failures
            .as_ref()
            .is_some_and(|check| check.stale().next().is_some());
        let finding = |case: &CaseReport| {
            let judged_steps = CaseReport {
                steps: (case.steps.iter())
                    .filter(|step| step.outcome != StepOutcome::HarnessError)
                    .cloned()
                    .collect(),
                snapshot: case.snapshot.clone().filter(|check| !check.unreadable()),
                ..case.clone()
            };
            case.status == CaseStatus::Failed && judged_status(&judged_steps, self.strict) == CaseStatus::Failed
        };
        stale || self.cases.iter().any(finding)
    }

    /// What the run came to, the orchestrator's verdict first unless the run could not judge it:
    /// an unfunded gateway identity, then findings, then steps that broke in transport.
    pub fn outcome(&self) -> Outcome {
        if self.unfunded_gateway.is_some() {
            Outcome::UnfundedGateway
        } else if self.has_findings() {
            Outcome::Findings
        } else if self.harness_errors() > 0 {
            Outcome::HarnessErrors(self.harness_errors())
        } else {
            Outcome::Conformant
        }
    }

    /// Whether the run fails: a failed case (warnings count under `strict`,
    /// which the case status already reflects), or a stale known-failures entry.
    pub fn failed(&self) -> bool {
        let stale = self
            .known_failures
            .as_ref()
            .is_some_and(|check| check.stale().next().is_some());
        self.count(CaseStatusKind::Failed) > 0 || stale
    }
}

/// What a checked target came to ([`RunReport::outcome`]). The CLI maps it (and every command's
/// ending, said in the same words) to an exit code in one place: 0, 1, or 2 for no verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Conformant,
    Findings,
    /// The run could not judge the orchestrator: the gateway identity is unfunded
    /// (`insufficient sender reserve`).
    UnfundedGateway,
    /// No finding, but this many steps or snapshots could not be judged: a step's exchange broke
    /// in transport after setup (a reset stream, an answer that is not gRPC), or a snapshot file
    /// could not be read or recorded. A gate must not read an unjudged
    /// run as a verdict either way.
    HarnessErrors(usize),
}

#[derive(Debug, Clone)]
pub struct CaseReport {
    /// The suite's name (its file's stem), or `connection` for the setup of the connection.
    pub suite: String,
    /// The case's id within its suite.
    pub id: String,
    pub description: String,
    pub status: CaseStatus,
    pub steps: Vec<StepReport>,
    pub rules: Vec<RuleResult>,
    pub snapshot: Option<SnapshotCheck>,
    pub elapsed: Duration,
}

impl CaseReport {
    /// A case before anything of it ran: no steps, rules or snapshot yet, no time taken.
    pub fn new(suite: &str, id: &str, description: &str, status: CaseStatus) -> CaseReport {
        CaseReport {
            suite: suite.to_string(),
            id: id.to_string(),
            description: description.to_string(),
            status,
            steps: Vec::new(),
            rules: Vec::new(),
            snapshot: None,
            elapsed: Duration::ZERO,
        }
    }

    /// `suite::case`, the name tests, reports and `--case` use.
    pub fn name(&self) -> String {
        format!("{}::{}", self.suite, self.id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseStatus {
    Passed,
    /// Only should-rules broke, or a snapshot is not yet recorded.
    Warned,
    Failed,
    Skipped(String),
    /// Nothing failed but rules the known-failures list accepts for now.
    KnownFailure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseStatusKind {
    Passed,
    Warned,
    Failed,
    Skipped,
    KnownFailure,
}

impl CaseStatus {
    pub fn kind(&self) -> CaseStatusKind {
        match self {
            CaseStatus::Passed => CaseStatusKind::Passed,
            CaseStatus::Warned => CaseStatusKind::Warned,
            CaseStatus::Failed => CaseStatusKind::Failed,
            CaseStatus::Skipped(_) => CaseStatusKind::Skipped,
            CaseStatus::KnownFailure => CaseStatusKind::KnownFailure,
        }
    }
}

/// One call of a case: what was asked for and what happened.
#[derive(Debug, Clone)]
pub struct StepReport {
    pub call: String,
    pub expected: String,
    pub actual: String,
    pub outcome: StepOutcome,
    pub elapsed: Duration,
    /// Why the case cannot be judged although the orchestrator did nothing wrong: it is at
    /// capacity, or the gateway identity is unfunded. The case is then skipped with this reason.
    pub not_judged: Option<String>,
    /// The gRPC request exactly as sent, kept when the call failed its step or was refused, so
    /// reports can show how to reproduce it without lpconform.
    pub request: Option<SentRequest>,
    /// How to resend `request` with grpcurl, once the CLI has built it from the loaded proto
    /// (`report::reproducer`); `None` until then.
    pub reproducer: Option<String>,
}

impl StepReport {
    pub fn passed(&self) -> bool {
        self.outcome == StepOutcome::Passed
    }
}

/// How a step ended: kept apart are what the orchestrator did and what broke in transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// What happened meets what the suite expects.
    Passed,
    /// The answer, status, timeout or undecodable bytes are not what the suite expects: a finding.
    Failed,
    /// The exchange broke in transport after setup (a reset stream, an answer carrying no gRPC
    /// status such as an HTTP error page): an error of the step, not a verdict on the answer.
    HarnessError,
}

/// The status of a case that ran, from its steps, rules and snapshot; also used again once
/// known failures are marked.
pub(crate) fn judged_status(report: &CaseReport, strict: bool) -> CaseStatus {
    let rule_failed = crate::rules::failed(&report.rules, strict);
    let rule_warned = report.rules.iter().any(|result| result.verdict == Verdict::Warn);
    let snapshot = report.snapshot.as_ref().map(|check| &check.status);
    let snapshot_changed = matches!(
        snapshot,
        Some(SnapshotStatus::Changed { .. } | SnapshotStatus::Unreadable { .. })
    );
    let snapshot_missing = matches!(snapshot, Some(SnapshotStatus::Missing));
    let step_failed = report.steps.iter().any(|step| !step.passed());
    if step_failed || rule_failed || snapshot_changed {
        CaseStatus::Failed
    } else if rule_warned || snapshot_missing {
        CaseStatus::Warned
    } else if report
        .rules
        .iter()
        .any(|result| matches!(result.verdict, Verdict::KnownFailure(_)))
    {
        CaseStatus::KnownFailure
    } else {
        CaseStatus::Passed
    }
}
