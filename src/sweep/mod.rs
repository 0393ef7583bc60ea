//! `lpconform sweep`: the suites against many orchestrators at once, a bounded
//! number at a time, each under its own deadline. Every target becomes a
//! [`SweepRow`] (unreachable and timed-out targets too: they are rows, not
//! errors of the run). Like the runner it never prints: progress goes to a
//! callback, results into a [`SweepReport`] for the reporters.

mod targets;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

pub use targets::{load_targets, parse_targets, SweepTarget, TargetsError};

use crate::capability;
use crate::gateway::Gateway;
use crate::proto::net::OrchestratorInfo;
use crate::protocol::Protocol;
use crate::rules::{Modes, Verdict};
use crate::runner::{
    check_target, not_run_reason, CaseStatus, EndedEarly, NotChecked, RunReport, RunSettings, TargetCheck,
};
use crate::suite::Suite;
use crate::transport::TransportOptions;

/// The profile every sweep report carries: a sweep compares no snapshots.
pub const SWEEP_PROFILE: &str = "sweep";

/// How to sweep.
#[derive(Debug, Clone)]
pub struct SweepSettings {
    /// Targets probed at once.
    pub concurrency: usize,
    /// Deadline for one target, from dialling to its last case.
    pub target_timeout: Duration,
    pub transport: TransportOptions,
    /// The loaded proto (`--proto`): every call is made and decoded with it.
    pub proto: Protocol,
    /// Strictness, case filter and OpenAPI document, as for `lpconform run`. Its
    /// snapshot store is never consulted: [`sweep`] drops the suites' snapshots.
    pub run: RunSettings,
}

/// What became of one target.
#[derive(Debug, Clone)]
pub enum TargetOutcome {
    /// The suites ran (or connection setup broke, as the `connection::setup` case says).
    Ran(Box<RunReport>),
    /// Nothing accepted the connection; the reason.
    Unreachable(String),
    /// No verdict within the target deadline: the cases that finished before it, if the
    /// connection was set up by then.
    TimedOut {
        deadline: Duration,
        finished: Option<Box<RunReport>>,
    },
}

/// One target's row.
#[derive(Debug, Clone)]
pub struct SweepRow {
    /// The entry's line in the targets file.
    pub line: usize,
    /// The normalized URL.
    pub target: String,
    pub outcome: TargetOutcome,
    pub elapsed: Duration,
}

/// A row's verdict, as the table's first word says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowStatus {
    Conformant,
    Findings,
    /// Connected, then a discovery call timed out: the later cases were not run.
    StoppedAnswering,
    /// Nothing accepted the connection.
    Unreachable,
    TimedOut,
}

impl RowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RowStatus::Conformant => "conformant",
            RowStatus::Findings => "findings",
            RowStatus::StoppedAnswering => "stopped answering",
            RowStatus::Unreachable => "unreachable",
            RowStatus::TimedOut => "timed out",
        }
    }
}

/// An AI model (or a whole pipeline, with an empty model) priced in `capabilities_prices`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PricedModel {
    pub capability: u32,
    pub pipeline: &'static str,
    /// The price's constraint; empty for the whole pipeline.
    pub model: String,
    pub price_per_unit: i64,
    pub pixels_per_unit: i64,
}

/// The transcoding price, `price_info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TranscodingPrice {
    pub price_per_unit: i64,
    pub pixels_per_unit: i64,
}

impl TranscodingPrice {
    /// `price/pixels`, as a gateway builds the rational.
    pub fn rational(&self) -> String {
        format!("{}/{}", self.price_per_unit, self.pixels_per_unit)
    }

    /// Wei per pixel in decimal, `None` when pixelsPerUnit is 0.
    pub fn decimal(&self) -> Option<String> {
        decimal(self.price_per_unit, self.pixels_per_unit)
    }
}

impl SweepRow {
    /// The cases that ran: all of them, or those finished before the target deadline.
    pub fn report(&self) -> Option<&RunReport> {
        match &self.outcome {
            TargetOutcome::Ran(report) => Some(report.as_ref()),
            TargetOutcome::TimedOut { finished, .. } => finished.as_deref(),
            TargetOutcome::Unreachable(_) => None,
        }
    }

    pub fn status(&self) -> RowStatus {
        match &self.outcome {
            TargetOutcome::Ran(report) if report.ended_early == Some(EndedEarly::StoppedAnswering) => {
                RowStatus::StoppedAnswering
            }
            TargetOutcome::Ran(report) if report.failed() => RowStatus::Findings,
            TargetOutcome::Ran(_) => RowStatus::Conformant,
            TargetOutcome::Unreachable(_) => RowStatus::Unreachable,
            TargetOutcome::TimedOut { .. } => RowStatus::TimedOut,
        }
    }

    pub fn conformant(&self) -> bool {
        self.status() == RowStatus::Conformant
    }

    /// Whether an HTTP/2 connection was set up and the suites ran.
    pub fn reachable(&self) -> bool {
        self.report().is_some_and(|report| !is_setup_failure(report))
    }

    /// The discovery answer of the baseline probe.
    pub fn info(&self) -> Option<&OrchestratorInfo> {
        self.report().and_then(|report| report.info.as_ref())
    }

    /// The detected (or forced) modes, when the suites ran.
    pub fn modes(&self) -> Option<Modes> {
        self.report()
            .filter(|report| !is_setup_failure(report))
            .map(|report| report.modes)
    }

    /// Capability bits set in the advertised bitstring.
    pub fn capabilities_advertised(&self) -> Option<usize> {
        let capabilities = self.info()?.capabilities.as_ref()?;
        Some(
            capabilities
                .bitstring
                .iter()
                .map(|word| word.count_ones() as usize)
                .sum(),
        )
    }

    pub fn transcoding_price(&self) -> Option<TranscodingPrice> {
        let price = self.info()?.price_info.as_ref()?;
        Some(TranscodingPrice {
            price_per_unit: price.price_per_unit,
            pixels_per_unit: price.pixels_per_unit,
        })
    }

    /// The AI capabilities' price entries, one per (capability, model), ascending.
    pub fn ai_models_priced(&self) -> Vec<PricedModel> {
        let Some(info) = self.info() else {
            return Vec::new();
        };
        let mut seen = BTreeSet::new();
        let mut models: Vec<PricedModel> = info
            .capabilities_prices
            .iter()
            .filter_map(|price| {
                let pipeline = capability::lookup(price.capability)?.pipeline()?;
                seen.insert((price.capability, price.constraint.clone()))
                    .then(|| PricedModel {
                        capability: price.capability,
                        pipeline,
                        model: price.constraint.clone(),
                        price_per_unit: price.price_per_unit,
                        pixels_per_unit: price.pixels_per_unit,
                    })
            })
            .collect();
        models.sort();
        models
    }

    /// The IDs of the rules that failed (must), each once, in catalog-ID order.
    pub fn failed_rules(&self) -> Vec<&'static str> {
        self.rules_with(|verdict| *verdict == Verdict::Fail)
    }

    /// The IDs of the rules that warned (should, or advisory findings), each once.
    pub fn warned_rules(&self) -> Vec<&'static str> {
        self.rules_with(|verdict| *verdict == Verdict::Warn)
    }

    fn rules_with(&self, wanted: fn(&Verdict) -> bool) -> Vec<&'static str> {
        let Some(report) = self.report() else {
            return Vec::new();
        };
        let ids: BTreeSet<&'static str> = report
            .cases
            .iter()
            .flat_map(|case| &case.rules)
            .filter(|result| wanted(&result.verdict))
            .map(|result| result.rule.id)
            .collect();
        ids.into_iter().collect()
    }

    /// Calls that did not go as the suites expect.
    pub fn failed_calls(&self) -> usize {
        self.report().map_or(0, |report| {
            report
                .cases
                .iter()
                .flat_map(|case| &case.steps)
                .filter(|step| !step.passed())
                .count()
        })
    }

    /// Why the row has no results, or broke at connection setup: the reason in one line.
    pub fn problem(&self) -> Option<String> {
        match &self.outcome {
            TargetOutcome::Unreachable(reason) => Some(reason.clone()),
            TargetOutcome::TimedOut { deadline, finished } => {
                let deadline = humantime::format_duration(*deadline);
                Some(match finished.as_deref() {
                    Some(report) => format!(
                        "no verdict within the target deadline of {deadline}; {} of {} cases finished",
                        finished_cases(report),
                        report.cases.len()
                    ),
                    None => format!("no connection within the target deadline of {deadline}"),
                })
            }
            TargetOutcome::Ran(report) if report.ended_early == Some(EndedEarly::StoppedAnswering) => Some(format!(
                "connected, then stopped answering (a discovery call timed out); {} of {} cases not run",
                report.cases.len() - finished_cases(report),
                report.cases.len()
            )),
            TargetOutcome::Ran(report) if is_setup_failure(report) => report
                .cases
                .first()
                .and_then(|case| case.steps.first())
                .map(|step| format!("connection setup failed: {}", step.actual)),
            TargetOutcome::Ran(_) => None,
        }
    }
}

/// Cases that ran to their end, not skipped because the run ended early.
fn finished_cases(report: &RunReport) -> usize {
    let ended = report.ended_early.map(not_run_reason);
    report
        .cases
        .iter()
        .filter(|case| !matches!((&case.status, ended), (CaseStatus::Skipped(reason), Some(ended)) if reason == ended))
        .count()
}

/// A run that ended at connection setup holds only the `connection::setup` case.
fn is_setup_failure(report: &RunReport) -> bool {
    report.info.is_none() && report.ended_at_setup()
}

/// The whole sweep, rows in the targets file's order.
#[derive(Debug, Clone)]
pub struct SweepReport {
    pub rows: Vec<SweepRow>,
    pub strict: bool,
    pub concurrency: usize,
    pub target_timeout: Duration,
    pub elapsed: Duration,
}

impl SweepReport {
    /// Whether every target is conformant: the exit code is 0 exactly then.
    pub fn conformant(&self) -> bool {
        self.rows.iter().all(SweepRow::conformant)
    }

    pub fn count(&self, status: RowStatus) -> usize {
        self.rows.iter().filter(|row| row.status() == status).count()
    }
}

/// What the sweep's tasks share.
struct Shared {
    suites: Vec<Suite>,
    gateway: Gateway,
    settings: SweepSettings,
}

/// Probes every target, `settings.concurrency` at a time. `on_row` hears of each
/// row as it completes, with how many are done.
pub async fn sweep(
    targets: Vec<SweepTarget>,
    suites: &[Suite],
    gateway: &Gateway,
    settings: &SweepSettings,
    mut on_row: impl FnMut(&SweepRow, usize),
) -> SweepReport {
    let started = Instant::now();
    let shared = Arc::new(Shared {
        suites: without_snapshots(suites),
        gateway: gateway.clone(),
        settings: settings.clone(),
    });
    let total = targets.len();
    let mut rows: Vec<Option<SweepRow>> = vec![None; total];
    let mut pending = targets.into_iter().enumerate();
    let mut running = JoinSet::new();
    let mut done = 0;
    loop {
        while running.len() < settings.concurrency.max(1) {
            let Some((index, target)) = pending.next() else {
                break;
            };
            let shared = Arc::clone(&shared);
            running.spawn(async move { (index, sweep_one(target, &shared).await) });
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        let (index, row) = match joined {
            Ok(finished) => finished,
            // A panic is a bug of the harness, not a verdict on a target: it ends the sweep as it would a run.
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        };
        done += 1;
        on_row(&row, done);
        rows[index] = Some(row);
    }
    SweepReport {
        rows: rows.into_iter().flatten().collect(),
        strict: settings.run.strict,
        concurrency: settings.concurrency,
        target_timeout: settings.target_timeout,
        elapsed: started.elapsed(),
    }
}

/// A sweep compares no snapshots: nothing to record per target, nothing written.
fn without_snapshots(suites: &[Suite]) -> Vec<Suite> {
    let mut suites = suites.to_vec();
    for case in suites.iter_mut().flat_map(|suite| &mut suite.cases) {
        case.snapshot = None;
    }
    suites
}

async fn sweep_one(target: SweepTarget, shared: &Shared) -> SweepRow {
    let started = Instant::now();
    let outcome = probe_target(&target, shared).await;
    SweepRow {
        line: target.line,
        target: target.target.to_string(),
        outcome,
        elapsed: started.elapsed(),
    }
}

/// Checks the target as `lpconform run` does ([`check_target`]), within the target deadline;
/// the cases finished by then are kept.
async fn probe_target(target: &SweepTarget, shared: &Shared) -> TargetOutcome {
    let settings = &shared.settings;
    let timeout = settings.target_timeout;
    let check = TargetCheck {
        target: &target.target,
        transport: &settings.transport,
        protocol: &settings.proto,
        gateway: &shared.gateway,
        suites: &shared.suites,
        expectations: &target.expectations,
        settings: &settings.run,
        profile: SWEEP_PROFILE,
        deadline: Some(tokio::time::Instant::now() + timeout),
    };
    match check_target(check, &mut |_| {}).await {
        Ok(report) if report.ended_early == Some(EndedEarly::DeadlinePassed) => TargetOutcome::TimedOut {
            deadline: timeout,
            finished: Some(Box::new(report)),
        },
        Ok(report) => TargetOutcome::Ran(Box::new(report)),
        Err(NotChecked::DeadlinePassed) => TargetOutcome::TimedOut {
            deadline: timeout,
            finished: None,
        },
        Err(NotChecked::Unreachable(error)) => TargetOutcome::Unreachable(error.to_string()),
    }
}

/// `numerator/denominator` in decimal: exact up to 6 places, `…` when cut there.
fn decimal(numerator: i64, denominator: i64) -> Option<String> {
    const PLACES: u32 = 6;
    if denominator == 0 {
        return None;
    }
    let negative = (numerator < 0) != (denominator < 0);
    let numerator = i128::from(numerator).unsigned_abs();
    let denominator = i128::from(denominator).unsigned_abs();
    let whole = numerator / denominator;
    let mut remainder = numerator % denominator;
    let mut fraction = String::new();
    for _ in 0..PLACES {
        if remainder == 0 {
            break;
        }
        remainder *= 10;
        fraction.push(char::from(b'0' + (remainder / denominator) as u8));
        remainder %= denominator;
    }
    let sign = if negative && (whole != 0 || !fraction.is_empty()) {
        "-"
    } else {
        ""
    };
    let mut text = format!("{sign}{whole}");
    if !fraction.is_empty() {
        text.push('.');
        text.push_str(&fraction);
    }
    if remainder != 0 {
        text.push('…');
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_is_exact_or_says_it_was_cut() {
        assert_eq!(decimal(1200, 3).as_deref(), Some("400"));
        assert_eq!(decimal(1, 4).as_deref(), Some("0.25"));
        assert_eq!(decimal(1000, 3).as_deref(), Some("333.333333…"));
        assert_eq!(decimal(-1, 1).as_deref(), Some("-1"));
        assert_eq!(decimal(-1, 2).as_deref(), Some("-0.5"));
        assert_eq!(decimal(0, -5).as_deref(), Some("0"));
        assert_eq!(decimal(i64::MIN, -1).as_deref(), Some("9223372036854775808"));
        assert_eq!(decimal(5, 0), None);
    }
}
