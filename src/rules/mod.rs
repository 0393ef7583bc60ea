//! The rule catalog of rules.md: one file per area, the context every rule
//! reads, and the one place where findings become verdicts. Rules are pure:
//! the observation, the operator's expectations and the clock come in
//! through [`Context`]; nothing here does I/O.

mod auth;
mod capabilities;
mod catalog;
mod config;
mod hardware;
mod identity;
mod matrix;
mod price;
mod required;
mod rpc;
mod spec;
mod storage;
mod ticket;
mod uri;
mod verify;

#[cfg(test)]
mod fixture;
#[cfg(test)]
mod robustness;

use std::fmt;
use std::sync::OnceLock;

use crate::capability;
use crate::eth::{self, Address, EthError};
use crate::expect::Expectations;
use crate::observe::{CallError, Observation, PingExchange};
use crate::openapi::OpenApiDocument;
use crate::proto::net::{AuthToken, Capabilities, OrchestratorInfo, PriceInfo, TicketParams};

pub use catalog::{catalog, catalog_markdown, catalog_table, rule, Area, AREAS};
pub use storage::redact_storage;

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

/// A rule's check: the findings it makes, or why it could not look.
pub type Check = fn(&Context<'_>) -> CheckOutcome;

/// `Err` means the input the rule needs is absent: the rule is skipped, not failed.
pub type CheckOutcome = Result<CheckFindings, Skipped>;

/// A check's findings, bounded as they are made: the first [`MAX_FINDINGS_PER_RULE`] are kept,
/// the rest only counted with the heaviest weight among them, so an answer with a million bad
/// entries costs a count, not a million findings held at once.
#[derive(Debug, Default)]
pub struct CheckFindings {
    kept: Vec<Finding>,
    omitted: usize,
    /// The heaviest own weight of the omitted findings (`Must` for one without its own); the
    /// rule's severity caps it at evaluation.
    heaviest_omitted: Option<Severity>,
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

    /// The weight the finding counts with under `rule`.
    pub fn weight(&self, rule: &Rule) -> Severity {
        self.severity.map_or(rule.severity, |own| own.min(rule.severity))
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

/// One rule's verdict and the findings behind it.
#[derive(Debug, Clone)]
pub struct RuleResult {
    pub rule: &'static Rule,
    pub verdict: Verdict,
    pub findings: Vec<Finding>,
    /// Findings beyond [`MAX_FINDINGS_PER_RULE`], left out of `findings`.
    pub omitted_findings: usize,
}

/// Which parts of the catalog apply to the orchestrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Modes {
    pub onchain: bool,
    pub transcoding: bool,
    pub ai: bool,
}

/// `on-chain, transcoding, AI`; `off-chain, no capabilities` when it serves neither: how every
/// report names the modes.
impl fmt::Display for Modes {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(if self.onchain { "on-chain" } else { "off-chain" })?;
        match (self.transcoding, self.ai) {
            (false, false) => formatter.write_str(", no capabilities"),
            (transcoding, ai) => {
                if transcoding {
                    formatter.write_str(", transcoding")?;
                }
                if ai {
                    formatter.write_str(", AI")?;
                }
                Ok(())
            }
        }
    }
}

/// Modes forced from the command line; `None` keeps the detected value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModeOverrides {
    pub onchain: Option<bool>,
    pub transcoding: Option<bool>,
    pub ai: Option<bool>,
}

impl Modes {
    /// rules.md "Mode": on-chain when the answer carries ticket parameters, Ping answers with a
    /// 65-byte signature, or discovery was refused for an unfunded gateway; transcoding when the
    /// bitstring sets H.264 and MPEGTS; AI when an AI capability lists a model or has a price
    /// (bare AI bits do not count: every go-livepeer transcoder sets them). Overrides win.
    pub fn detect(observation: &Observation, overrides: ModeOverrides) -> Modes {
        let info = observation.info.answer();
        let signed_ping = observation
            .ping
            .as_ref()
            .and_then(|ping| ping.call.answer())
            .is_some_and(|pong| pong.value.len() == crate::eth::SIGNATURE_LEN);
        let unfunded = observation
            .info
            .outcome
            .as_ref()
            .is_err_and(CallError::is_insufficient_reserve);
        let capabilities = info.and_then(|info| info.capabilities.as_ref());
        let bitstring = capabilities
            .map(|capabilities| capabilities.bitstring.as_slice())
            .unwrap_or_default();
        let transcoding = [capability::H264, capability::MPEGTS]
            .into_iter()
            .all(|number| capability::has_bit(bitstring, number));
        let is_ai = |number: u32| capability::lookup(number).is_some_and(|known| known.is_ai());
        let lists_models = capabilities
            .and_then(|capabilities| capabilities.constraints.as_ref())
            .is_some_and(|constraints| {
                constraints
                    .per_capability
                    .iter()
                    .any(|(number, constraints)| is_ai(*number) && !constraints.models.is_empty())
            });
        let priced = info.is_some_and(|info| info.capabilities_prices.iter().any(|price| is_ai(price.capability)));
        Modes {
            onchain: overrides
                .onchain
                .unwrap_or(info.is_some_and(|info| info.ticket_params.is_some()) || signed_ping || unfunded),
            transcoding: overrides.transcoding.unwrap_or(transcoding),
            ai: overrides.ai.unwrap_or(lists_models || priced),
        }
    }

    pub fn applies(&self, mode: Mode) -> bool {
        match mode {
            Mode::All => true,
            Mode::OnChain => self.onchain,
            Mode::OffChain => !self.onchain,
            Mode::Transcoding => self.transcoding,
            Mode::Ai => self.ai,
            Mode::OnChainTranscoding => self.onchain && self.transcoding,
            Mode::OnChainAi => self.onchain && self.ai,
        }
    }
}

/// Everything a rule may read. The clock is an input so rules stay pure.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub observation: &'a Observation,
    pub expectations: &'a Expectations,
    pub modes: Modes,
    /// Unix seconds at evaluation time.
    pub now_unix: i64,
    /// The OpenAPI document the SPEC rules judge by; without one they are skipped.
    pub openapi: Option<&'a OpenApiDocument>,
    /// The discovery answer as `openapi` renders it, when the caller already has that JSON
    /// (`with_openapi_rendering`): SPEC-001 checks it rather than rendering the answer again.
    info_rendering: Option<&'a serde_json::Value>,
    /// The Ping answer's signer, recovered once per evaluation: IDENT-001 and IDENT-002 both
    /// need it, and secp256k1 recovery is the costliest step of the catalog.
    ping_signer: OnceLock<Result<Address, EthError>>,
}

impl<'a> Context<'a> {
    /// A context whose modes are detected from the observation, then overridden.
    pub fn new(
        observation: &'a Observation,
        expectations: &'a Expectations,
        overrides: ModeOverrides,
        now_unix: i64,
    ) -> Self {
        Self {
            observation,
            expectations,
            modes: Modes::detect(observation, overrides),
            now_unix,
            openapi: None,
            info_rendering: None,
            ping_signer: OnceLock::new(),
        }
    }

    /// The same context with these modes instead of the detected ones (a run's baseline modes).
    pub fn with_modes(self, modes: Modes) -> Self {
        Self { modes, ..self }
    }

    /// The same context, judged against an OpenAPI document too (the SPEC rules).
    pub fn with_openapi(self, document: &'a OpenApiDocument) -> Self {
        Self {
            openapi: Some(document),
            info_rendering: None,
            ..self
        }
    }

    /// As [`Self::with_openapi`], with the discovery answer as `document` renders it
    /// (`OpenApiDocument::render_info` of [`Self::info`]), which the caller rendered for its own
    /// use: the answer is then rendered once, not once more by SPEC-001.
    pub fn with_openapi_rendering(self, document: &'a OpenApiDocument, rendered: &'a serde_json::Value) -> Self {
        Self {
            openapi: Some(document),
            info_rendering: Some(rendered),
            ..self
        }
    }

    /// The discovery answer as the OpenAPI document renders it, when the caller gave it.
    pub(crate) fn info_rendering(&self) -> Option<&'a serde_json::Value> {
        self.info_rendering
    }

    /// The discovery answer; without one, rules about it are skipped.
    pub fn info(&self) -> Result<&'a OrchestratorInfo, Skipped> {
        self.observation
            .info
            .outcome
            .as_ref()
            .map_err(|error| Skipped(format!("GetOrchestrator did not answer: {error}")))
    }

    pub fn price_info(&self) -> Result<&'a PriceInfo, Skipped> {
        self.info()?
            .price_info
            .as_ref()
            .ok_or_else(|| Skipped("no price_info (REQ-003)".into()))
    }

    pub fn capabilities(&self) -> Result<&'a Capabilities, Skipped> {
        self.info()?
            .capabilities
            .as_ref()
            .ok_or_else(|| Skipped("no capabilities (REQ-004)".into()))
    }

    pub fn ticket_params(&self) -> Result<&'a TicketParams, Skipped> {
        self.info()?
            .ticket_params
            .as_ref()
            .ok_or_else(|| Skipped("no ticket_params (REQ-005)".into()))
    }

    pub fn auth_token(&self) -> Result<&'a AuthToken, Skipped> {
        self.info()?
            .auth_token
            .as_ref()
            .ok_or_else(|| Skipped("no auth_token (REQ-006)".into()))
    }

    /// The answer to the second discovery (TICKET-010, AUTH-006 compare it with `info`).
    pub fn repeat_info(&self) -> Result<&'a OrchestratorInfo, Skipped> {
        let repeat = self.observation.repeat_info.as_ref();
        let repeat = repeat.ok_or_else(|| Skipped("no second discovery in this run".into()))?;
        repeat
            .answer()
            .ok_or_else(|| Skipped("the second discovery did not answer".into()))
    }

    pub fn ping(&self) -> Result<&'a PingExchange, Skipped> {
        self.observation
            .ping
            .as_ref()
            .ok_or_else(|| Skipped("no Ping in this run".into()))
    }

    /// Who signed the Ping answer `pong` to `ping`: recovered on the first call, then remembered.
    pub fn ping_signer(&self, ping: &PingExchange, pong: &crate::proto::net::PingPong) -> &Result<Address, EthError> {
        self.ping_signer
            .get_or_init(|| eth::recover_signer(&eth::ping_message(&ping.value), &pong.value))
    }
}

/// Evaluates the whole catalog, in catalog order.
pub fn evaluate(context: &Context<'_>) -> Vec<RuleResult> {
    catalog().iter().map(|rule| evaluate_rule(rule, context)).collect()
}

/// Evaluates one rule. The heaviest finding (its own weight, capped by the rule's severity)
/// turns findings into Fail, Warn or Info here and nowhere else.
pub fn evaluate_rule(rule: &'static Rule, context: &Context<'_>) -> RuleResult {
    if !context.modes.applies(rule.mode) {
        let reason = format!("applies in `{}` mode, which is off for this orchestrator", rule.mode);
        return skipped(rule, reason);
    }
    let CheckFindings {
        kept: mut findings,
        omitted: omitted_findings,
        heaviest_omitted,
    } = match (rule.check)(context) {
        Ok(findings) => findings,
        Err(Skipped(reason)) => return skipped(rule, reason),
    };
    let heaviest_kept = findings.iter().map(|finding| finding.weight(rule)).max();
    let heaviest_omitted = heaviest_omitted.map(|weight| weight.min(rule.severity));
    let verdict = match heaviest_kept.max(heaviest_omitted) {
        None => Verdict::Pass,
        Some(Severity::Info) => Verdict::Info,
        Some(Severity::Should) => Verdict::Warn,
        Some(Severity::Must) => Verdict::Fail,
    };
    for finding in &mut findings {
        finding.rule_id = rule.id;
        if finding.hint.is_empty() {
            finding.hint = rule.hint.to_string();
        }
    }
    RuleResult {
        rule,
        verdict,
        findings,
        omitted_findings,
    }
}

fn skipped(rule: &'static Rule, reason: String) -> RuleResult {
    RuleResult {
        rule,
        verdict: Verdict::Skip(reason),
        findings: Vec::new(),
        omitted_findings: 0,
    }
}

/// Whether the results fail the run: any verdict that [`Verdict::fails`].
pub fn failed(results: &[RuleResult], strict: bool) -> bool {
    results.iter().any(|result| result.verdict.fails(strict))
}

#[cfg(test)]
mod tests {
    use super::fixture::*;
    use super::*;

    #[test]
    fn the_good_fixture_passes_every_applicable_rule() {
        let observation = good_observation();
        let expectations = Expectations::default();
        let results = evaluate(&context(&observation, &expectations));
        assert_eq!(results.len(), catalog().len());
        for result in &results {
            let expected = match result.rule.id {
                "IDENT-003" | "PRICE-008" | "MATRIX-002" | "SPEC-001" | "SPEC-002" | "CFG-001" | "CFG-002"
                | "CFG-003" | "CFG-004" | "CFG-005" | "CFG-006" | "CFG-007" | "TICKET-009" | "CAP-009" | "CAP-010" => {
                    "skip"
                }
                _ => "pass",
            };
            assert_eq!(
                verdict_name(&result.verdict),
                expected,
                "{}: {:?}",
                result.rule.id,
                result
            );
        }
        assert!(!failed(&results, false));
        assert!(!failed(&results, true));
    }

    #[test]
    fn modes_are_detected_and_overridden() {
        let observation = good_observation();
        let detected = Modes::detect(&observation, ModeOverrides::default());
        assert_eq!(
            detected,
            Modes {
                onchain: true,
                transcoding: true,
                ai: true
            }
        );
        let overrides = ModeOverrides {
            onchain: Some(false),
            ai: Some(false),
            transcoding: None,
        };
        assert_eq!(
            Modes::detect(&observation, overrides),
            Modes {
                onchain: false,
                transcoding: true,
                ai: false
            }
        );
        let offchain = offchain_observation();
        assert!(!Modes::detect(&offchain, ModeOverrides::default()).onchain);
    }

    #[test]
    fn off_chain_orchestrators_skip_on_chain_rules() {
        let observation = offchain_observation();
        let expectations = Expectations::default();
        let results = evaluate(&context(&observation, &expectations));
        for result in &results {
            if result.rule.mode == Mode::OnChain {
                assert!(
                    matches!(&result.verdict, Verdict::Skip(reason) if reason.contains("onchain")),
                    "{result:?}"
                );
            }
        }
        let ident_003 = results.iter().find(|result| result.rule.id == "IDENT-003").unwrap();
        assert_eq!(ident_003.verdict, Verdict::Pass);
    }

    #[test]
    fn missing_discovery_answer_skips_instead_of_failing() {
        let mut observation = good_observation();
        observation.info.outcome = Err(crate::observe::CallError::Transport("connection refused".into()));
        let expectations = Expectations::default();
        let results = evaluate(&context(&observation, &expectations));
        let required = results.iter().find(|result| result.rule.id == "REQ-001").unwrap();
        assert!(matches!(&required.verdict, Verdict::Skip(reason) if reason.contains("connection refused")));
        assert!(
            results.iter().all(|result| result.verdict != Verdict::Fail),
            "{results:?}"
        );
    }

    #[test]
    fn severity_decides_fail_or_warn_and_advisory_findings_only_warn() {
        const MUST: Rule = Rule {
            id: "TEST-001",
            severity: Severity::Must,
            mode: Mode::All,
            text: "test",
            citation: "test",
            hint: "rule hint",
            check: |_| Ok(vec![Finding::new("a", "b", "c")].into()),
        };
        const ADVISORY: Rule = Rule {
            check: |_| Ok(vec![Finding::new("a", "b", "c").at(Severity::Should)].into()),
            ..MUST
        };
        const SHOULD: Rule = Rule {
            severity: Severity::Should,
            ..MUST
        };
        static RULES: [Rule; 3] = [MUST, ADVISORY, SHOULD];
        let observation = good_observation();
        let expectations = Expectations::default();
        let context = context(&observation, &expectations);
        let verdicts: Vec<Verdict> = RULES.iter().map(|rule| evaluate_rule(rule, &context).verdict).collect();
        assert_eq!(verdicts, [Verdict::Fail, Verdict::Warn, Verdict::Warn]);
        let result = evaluate_rule(&RULES[0], &context);
        assert_eq!(result.findings[0].rule_id, "TEST-001");
        assert_eq!(result.findings[0].hint, "rule hint");
    }

    #[test]
    fn findings_beyond_the_cap_are_counted() {
        const MANY: Rule = Rule {
            id: "TEST-002",
            severity: Severity::Should,
            mode: Mode::All,
            text: "test",
            citation: "test",
            hint: "",
            check: |_| {
                Ok((0..MAX_FINDINGS_PER_RULE + 5)
                    .map(|i| Finding::new(i.to_string(), "", ""))
                    .collect())
            },
        };
        static RULE: Rule = MANY;
        let observation = good_observation();
        let expectations = Expectations::default();
        let result = evaluate_rule(&RULE, &context(&observation, &expectations));
        assert_eq!(
            (result.findings.len(), result.omitted_findings),
            (MAX_FINDINGS_PER_RULE, 5)
        );
    }

    #[test]
    fn an_omitted_finding_still_weighs_in_the_verdict() {
        // The kept findings are advisory; the one past the cap is the rule's own weight.
        const HEAVY_LAST: Rule = Rule {
            id: "TEST-003",
            severity: Severity::Must,
            mode: Mode::All,
            text: "test",
            citation: "test",
            hint: "",
            check: |_| {
                let advisory =
                    (0..MAX_FINDINGS_PER_RULE).map(|i| Finding::new(i.to_string(), "", "").at(Severity::Info));
                Ok(advisory.chain([Finding::new("last", "", "")]).collect())
            },
        };
        static RULE: Rule = HEAVY_LAST;
        let observation = good_observation();
        let expectations = Expectations::default();
        let result = evaluate_rule(&RULE, &context(&observation, &expectations));
        assert_eq!((result.verdict, result.omitted_findings), (Verdict::Fail, 1));
        let mut findings: CheckFindings = vec![Finding::new("a", "", "")].into();
        findings.extend((0..MAX_FINDINGS_PER_RULE * 1000).map(|i| Finding::new(i.to_string(), "", "")));
        assert_eq!(
            (findings.kept.len(), findings.len()),
            (MAX_FINDINGS_PER_RULE, MAX_FINDINGS_PER_RULE * 1000 + 1)
        );
    }
}

/// Answers shaped as go-livepeer 0.9.1 sends them (../shared/protocol/go-livepeer.md) pass
/// every must-rule: a rule that failed one would fail the implementation the network runs.
#[cfg(test)]
mod go_livepeer_shapes {
    use super::fixture::*;
    use super::*;
    use crate::capability::encode_bitstring;
    use crate::proto::net::PriceInfo;

    /// The software transcoder's bits: the default set, the untested optional codecs and the
    /// AI bits go-livepeer sets with no models.
    fn transcoder_bits() -> Vec<u64> {
        let default_set = (0..=12).chain([14, 26]);
        let optional = [17, 21, 22, 23, 24, 25];
        let bare_ai = [27, 28, 29, 30, 31, 32, 34, 36];
        encode_bitstring(default_set.chain(optional).chain(bare_ai))
    }

    fn assert_no_must_rule_fails(observation: &Observation, expectations: &Expectations) {
        let results = evaluate(&context(observation, expectations));
        let failed: Vec<_> = results
            .iter()
            .filter(|result| result.verdict == Verdict::Fail)
            .collect();
        assert!(failed.is_empty(), "{failed:#?}");
    }

    #[test]
    fn an_off_chain_go_livepeer_transcoder_passes() {
        let mut observation = offchain_observation();
        let info = info_mut(&mut observation);
        info.address = vec![0; 20];
        info.price_info = None;
        info.capabilities_prices.clear();
        info.hardware.clear();
        info.storage.clear();
        info.nodes.clear();
        let capabilities = info.capabilities.as_mut().unwrap();
        capabilities.bitstring = transcoder_bits();
        capabilities.capacities = (0..=12).chain([14, 26]).map(|number| (number, 1)).collect();
        capabilities.version = "0.9.1".into();
        capabilities.constraints.as_mut().unwrap().min_version = "0.9.1".into();
        capabilities.constraints.as_mut().unwrap().per_capability.clear();
        observation.capability_discoveries.clear();
        let modes = Modes::detect(&observation, ModeOverrides::default());
        assert_eq!((modes.onchain, modes.transcoding, modes.ai), (false, true, false));
        assert_no_must_rule_fails(&observation, &Expectations::default());
        let declared = Expectations::parse_flags(&[
            "serviceAddr=orch.example:8935".into(),
            "pricePerUnit=1000".into(),
            "orchMinLivepeerVersion=0.9.0".into(),
        ])
        .unwrap();
        assert_no_must_rule_fails(&observation, &declared);
    }

    #[test]
    fn an_on_chain_go_livepeer_orchestrator_passes() {
        let mut observation = good_observation();
        let info = info_mut(&mut observation);
        // EV 8e9 wei: face value 8e11 at 1/100 odds, minimal big-endian; 40 blocks past block 21000000.
        let ticket = info.ticket_params.as_mut().unwrap();
        ticket.face_value = num_bigint::BigUint::from(800_000_000_000u64).to_bytes_be();
        ticket.win_prob = ((num_bigint::BigUint::from(1u8) << 256u32) / 100u32).to_bytes_be();
        ticket.expiration_block = num_bigint::BigUint::from(21_000_040u64).to_bytes_be();
        // -pricePerUnit 3000 -pixelsPerUnit 3, reduced and auto-adjusted: 1010/1.
        info.price_info = Some(PriceInfo {
            price_per_unit: 1010,
            pixels_per_unit: 1,
            ..Default::default()
        });
        // Capability prices truncated to whole wei: 30/1000000 is advertised 0/1.
        info.capabilities_prices[1] = PriceInfo {
            price_per_unit: 0,
            pixels_per_unit: 1,
            ..info.capabilities_prices[1].clone()
        };
        info.capabilities.as_mut().unwrap().version = "0.9.1-v0.9.1-5-g176aa415".into();
        // Per-model answers auto-adjusted, exact to 1/1000 wei.
        let adjusted = |o: &mut Observation, index: usize, price_per_unit: i64, pixels_per_unit: i64| {
            let answer = o.capability_discoveries[index].call.outcome.as_mut().unwrap();
            answer.price_info = Some(PriceInfo {
                price_per_unit,
                pixels_per_unit,
                ..Default::default()
            });
        };
        adjusted(&mut observation, 0, 4_816_054_710, 1000);
        adjusted(&mut observation, 1, 0, 1);
        adjusted(&mut observation, 2, 4_816_054_710, 1000);
        let declared = Expectations::parse_flags(&[
            "pricePerUnit=3000".into(),
            "pixelsPerUnit=3".into(),
            "l1Block=21000000".into(),
            format!("ethAcctAddr={}", orchestrator_address().to_checksum()),
        ])
        .unwrap();
        assert_no_must_rule_fails(&observation, &Expectations::default());
        assert_no_must_rule_fails(&observation, &declared);
    }
}
