//! Evaluation: the one place where a rule's findings become its verdict, for one rule or the
//! whole catalog.

use super::{catalog, CheckFindings, Context, Rule, RuleResult, Severity, Skipped, Verdict};

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
    use super::super::fixture::*;
    use super::*;
    use crate::expect::Expectations;
    use crate::rules::{catalog, Finding, Mode, MAX_FINDINGS_PER_RULE};

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
        observation.grpc.info.outcome = Err(crate::observe::CallError::Transport("connection refused".into()));
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
    use super::super::fixture::*;
    use super::*;
    use crate::capability::encode_bitstring;
    use crate::expect::Expectations;
    use crate::observe::Observation;
    use crate::proto::net::PriceInfo;
    use crate::rules::{ModeOverrides, Modes};

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
        observation.grpc.capability_discoveries.clear();
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
            let answer = o.grpc.capability_discoveries[index].call.outcome.as_mut().unwrap();
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
