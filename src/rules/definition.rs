//! What a rule is ([`Rule`]: its ID, severity, mode, text, citation, hint and check) and the
//! result of judging one ([`RuleResult`]).

use super::{CheckFindings, Context, Finding, Mode, Severity, Skipped, Verdict};

/// A rule's check: the findings it makes, or why it could not look.
pub type Check = fn(&Context<'_>) -> CheckOutcome;

/// `Err` means the input the rule needs is absent: the rule is skipped, not failed.
pub type CheckOutcome = Result<CheckFindings, Skipped>;

/// One rule of the catalog, declared with everything a report quotes.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Stable public name, exactly as in rules.md.
    pub id: &'static str,
    pub severity: Severity,
    pub mode: Mode,
    /// The rule sentence from rules.md.
    pub text: &'static str,
    /// Where the requirement comes from, in one line.
    pub citation: &'static str,
    /// What an operator can do about a finding, unless the finding says more.
    pub hint: &'static str,
    pub check: Check,
}

impl Finding {
    /// The weight the finding counts with under `rule`.
    pub fn weight(&self, rule: &Rule) -> Severity {
        self.severity.map_or(rule.severity, |own| own.min(rule.severity))
    }
}

/// One rule's verdict and the findings behind it.
#[derive(Debug, Clone)]
pub struct RuleResult {
    pub rule: &'static Rule,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    /// Findings beyond [`MAX_FINDINGS_PER_RULE`], left out of `findings`.
    pub omitted_findings: usize,
}
