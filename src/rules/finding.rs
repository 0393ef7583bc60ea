//! What a check returns and what it comes to: findings (bounded as they are made), why a rule
//! was skipped, how much a finding weighs, when a rule applies, and the fixed set of verdicts.

use std::fmt;

/// How much a broken rule weighs: `must` fails the run, `should` warns
/// (and fails only with `--strict`), `info` is shown and never fails.
/// Ordered from lightest to heaviest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Should,
    Must,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Must => "must",
            Severity::Should => "should",
            Severity::Info => "info",
        })
    }
}

/// When a rule applies, by what the orchestrator advertises (rules.md "Mode").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    All,
    OnChain,
    OffChain,
    Transcoding,
    Ai,
    OnChainTranscoding,
    OnChainAi,
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Mode::All => "all",
            Mode::OnChain => "onchain",
            Mode::OffChain => "offchain",
            Mode::Transcoding => "transcoding",
            Mode::Ai => "ai",
            Mode::OnChainTranscoding => "onchain+transcoding",
            Mode::OnChainAi => "onchain+ai",
        })
    }
}

/// A check's findings, bounded as they are made: the first [`MAX_FINDINGS_PER_RULE`] are kept,
/// the rest only counted with the heaviest weight among them, so an answer with a million bad
/// entries costs a count, not a million findings held at once.
#[derive(Debug, Default)]
pub struct CheckFindings {
    pub(super) kept: Vec<Finding>,
    pub(super) omitted: usize,
    /// The heaviest own weight of the omitted findings (`Must` for one without its own); the
    /// rule's severity caps it at evaluation.
    pub(super) heaviest_omitted: Option<Severity>,
}

impl CheckFindings {
    pub fn push(&mut self, finding: Finding) {
        if self.kept.len() < MAX_FINDINGS_PER_RULE {
            self.kept.push(finding);
        } else {
            self.omitted += 1;
            let weight = finding.severity.unwrap_or(Severity::Must);
            self.heaviest_omitted = self.heaviest_omitted.max(Some(weight));
        }
    }

    /// Findings made, kept or not.
    pub fn len(&self) -> usize {
        self.kept.len() + self.omitted
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Extend<Finding> for CheckFindings {
    fn extend<I: IntoIterator<Item = Finding>>(&mut self, findings: I) {
        findings.into_iter().for_each(|finding| self.push(finding));
    }
}

impl FromIterator<Finding> for CheckFindings {
    fn from_iter<I: IntoIterator<Item = Finding>>(findings: I) -> Self {
        let mut collected = CheckFindings::default();
        collected.extend(findings);
        collected
    }
}

impl From<Vec<Finding>> for CheckFindings {
    fn from(findings: Vec<Finding>) -> Self {
        findings.into_iter().collect()
    }
}

/// The reason a rule could not be checked (e.g. "no ticket_params (REQ-005)").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped(pub String);

/// Something a rule found wrong: where, what was expected, what was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Set by evaluation from the rule that made the finding.
    pub rule_id: &'static str,
    /// Field path in the observation, e.g. `capabilities_prices[1].constraint`.
    pub path: String,
    pub expected: String,
    pub actual: String,
    /// Advice for the operator; the rule's hint unless the check gave one.
    pub hint: String,
    /// The finding's own weight when it is lighter than its rule's: a `must` rule
    /// may note something at `should` or `info` level (TICKET-001 without
    /// `ethOrchAddr`, CAP-007's bare AI bits). `None`: the rule's severity.
    pub severity: Option<Severity>,
}

impl Finding {
    pub fn new(path: impl Into<String>, expected: impl Into<String>, actual: impl Into<String>) -> Self {
        Self {
            rule_id: "",
            path: path.into(),
            expected: expected.into(),
            actual: actual.into(),
            hint: String::new(),
            severity: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = hint.into();
        self
    }

    /// Weighs the finding at `severity` when that is lighter than its rule (see [`Finding::severity`]).
    pub fn at(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }
}

/// The fixed set of rule outcomes. Errors of the run itself (unreachable
/// target, unreadable file) are not verdicts and never appear here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Only `info` findings: shown in every report, never failing a run, not even with `--strict`.
    Info,
    /// A `should` rule (or a should-level finding) is broken.
    Warn,
    /// A `must` rule is broken.
    Fail,
    /// The rule does not apply or its input is absent; the reason says which.
    Skip(String),
    /// A `Fail` or `Warn` the operator's known-failures list accepts for now, with the list's
    /// reason. Never made by a rule: `known_failures::apply` turns verdicts into it after the run.
    KnownFailure(String),
}

impl Verdict {
    /// Whether this verdict fails a run: Fail, and under `strict` Warn too; Info never.
    pub fn fails(&self, strict: bool) -> bool {
        *self == Verdict::Fail || (strict && *self == Verdict::Warn)
    }
}

/// Reports show at most this many findings per rule; the rest are counted.
pub const MAX_FINDINGS_PER_RULE: usize = 20;
