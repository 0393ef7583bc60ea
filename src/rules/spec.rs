//! SPEC: the OpenAPI document. The discovery answer, rendered as JSON in the document's own
//! convention, must satisfy the document's schema; where the document and the .proto disagree,
//! the drift is reported once, as a warning, instead of failing every answer.

use super::{CheckFindings, Context, Finding, Mode, Rule, Severity, Skipped};
use crate::openapi::{DriftKind, OpenApiDocument, Violation, MISSING_REQUIRED};

pub(super) const FILE: &str = file!();

pub(super) const RULES: &[Rule] = &[SPEC_001, SPEC_002, SPEC_003];

const SPEC_001: Rule = Rule {
    id: "SPEC-001",
    severity: Severity::Must,
    mode: Mode::All,
    text: "the JSON rendering of OrchestratorInfo, in the document's convention, satisfies its schema's property types and its `required` list read with this catalog's modes (`price_info` is required on-chain only)",
    citation: "OpenAPI document (--openapi): the OrchestratorInfo schema; go-livepeer server/rpc.go sends no price off-chain",
    hint: "send the field the document requires, with the type it declares",
    check: |ctx| {
        let document = document(ctx)?;
        let info = ctx.info()?;
        // REQ-003 and REQ-001 say when go-livepeer may leave these out.
        let excused = |path: &str| match path {
            "price_info" => !ctx.modes.onchain,
            "transcoder" => !info.nodes.is_empty(),
            _ => false,
        };
        let mut findings = CheckFindings::default();
        let each = |violation: Violation| {
            if !(violation.expected == MISSING_REQUIRED && excused(&violation.path)) {
                findings.push(Finding::new(violation.path, violation.expected, violation.actual));
            }
        };
        match ctx.info_rendering() {
            Some(rendered) => document.rendered_info_violations(info, rendered, each),
            None => document.info_violations(info, each),
        }
        .map_err(|error| Skipped(error.to_string()))?;
        Ok(findings)
    },
};

const SPEC_002: Rule = Rule {
    id: "SPEC-002",
    severity: Severity::Should,
    mode: Mode::All,
    text: "every OpenAPI property maps to a proto field of a compatible type and vice versa (drift report: names, types, required)",
    citation: "OpenAPI document vs lp_rpc.proto and the proto3 JSON mapping; full list: `lpconform spec drift`",
    hint: "a disagreement of the two specifications, not of the orchestrator; `lpconform spec drift` lists them all",
    check: |ctx| {
        let report = document(ctx)?.built_in_drift();
        Ok(report
            .drifts
            .iter()
            .map(|drift| {
                Finding::new(&drift.location, &drift.proto, &drift.openapi).with_hint(drift_hint(drift.kind))
            })
            .collect())
    },
};

const SPEC_003: Rule = Rule {
    id: "SPEC-003",
    severity: Severity::Info,
    mode: Mode::All,
    text: "fields on the wire that the loaded proto does not know (unknown field numbers in any answer) are listed by message path and number: the orchestrator speaks a newer protocol",
    citation: "go-livepeer net/lp_rpc.proto: newer orchestrators add fields older gateways skip",
    hint: "load the newer lp_rpc.proto with --proto to see these fields by name",
    check: |ctx| {
        Ok(ctx
            .observation
            .unknown_fields
            .iter()
            .map(|field| {
                Finding::new(
                    format!("{}.{}", field.message_path, field.number),
                    "a field the loaded proto defines",
                    format!("unknown field {} (wire type {})", field.number, field.wire_type),
                )
            })
            .collect())
    },
};

fn document<'a>(ctx: &Context<'a>) -> Result<&'a OpenApiDocument, Skipped> {
    ctx.openapi.ok_or_else(|| Skipped("no OpenAPI document loaded".into()))
}

fn drift_hint(kind: DriftKind) -> &'static str {
    match kind {
        DriftKind::NoField => "the document describes a property the protocol does not carry",
        DriftKind::NoProperty => "the document does not describe this field; add a property for it",
        DriftKind::Type => "JSON written by a proto3 encoder differs from the document here; clients must convert",
        DriftKind::Required => "proto3 cannot enforce `required`; the REQ rules and SPEC-001 check presence",
        DriftKind::Naming => "the document names it differently from proto3 JSON; clients must map the name",
        DriftKind::Description => "describe it in the document",
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::*;
    use super::super::{evaluate_rule, rule, RuleResult, Verdict, MAX_FINDINGS_PER_RULE};
    use crate::expect::Expectations;
    use crate::observe::{CallError, Observation};
    use crate::openapi::{OpenApiDocument, DEFAULT_PATH};

    /// Evaluates `id` on the good observation after `mutate`, against `document`.
    fn judged(id: &str, document: &OpenApiDocument, mutate: impl FnOnce(&mut Observation)) -> RuleResult {
        let mut observation = good_observation();
        mutate(&mut observation);
        let expectations = Expectations::default();
        let context = context(&observation, &expectations).with_openapi(document);
        evaluate_rule(rule(id).unwrap(), &context)
    }

    fn paths(result: &RuleResult) -> Vec<&str> {
        result.findings.iter().map(|finding| finding.path.as_str()).collect()
    }

    /// The shipped document with one piece of its text replaced.
    fn edited_document(from: &str, to: &str) -> OpenApiDocument {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_PATH);
        let text = std::fs::read_to_string(path).unwrap();
        assert_eq!(text.matches(from).count(), 1, "{from:?} occurs once");
        OpenApiDocument::parse(&text.replacen(from, to, 1), "edited.yaml").unwrap()
    }

    #[test]
    fn spec_001_the_rendering_satisfies_the_schema() {
        let shipped = OpenApiDocument::embedded();
        assert_eq!(judged("SPEC-001", shipped, |_| {}).verdict, Verdict::Pass);
        let offchain = judged("SPEC-001", shipped, |o| info_mut(o).ticket_params = None);
        assert_eq!(offchain.verdict, Verdict::Pass);
        // Off-chain go-livepeer sends no price: the document's `required` is read on-chain only.
        let no_price = |o: &mut Observation| {
            *o = offchain_observation();
            info_mut(o).price_info = None;
        };
        assert_eq!(judged("SPEC-001", shipped, no_price).verdict, Verdict::Pass);
        let onchain_no_price = judged("SPEC-001", shipped, |o| info_mut(o).price_info = None);
        assert_eq!(paths(&onchain_no_price), ["price_info"]);
    }

    #[test]
    fn spec_001_a_dropped_required_field_fails_at_its_path() {
        let shipped = OpenApiDocument::embedded();
        let result = judged("SPEC-001", shipped, |o| info_mut(o).price_info = None);
        assert_eq!(
            (result.verdict.clone(), paths(&result)),
            (Verdict::Fail, vec!["price_info"])
        );
        assert_eq!(result.findings[0].expected, "present (required)");
        let result = judged("SPEC-001", shipped, |o| info_mut(o).capabilities = None);
        assert_eq!(paths(&result), ["capabilities"]);
    }

    #[test]
    fn spec_001_a_changed_type_fails_at_its_path() {
        // An enum number the protocol does not define renders as a number, not a name.
        let shipped = OpenApiDocument::embedded();
        let result = judged("SPEC-001", shipped, |o| info_mut(o).storage[0].storage_type = 7);
        assert_eq!(
            (result.verdict.clone(), paths(&result)),
            (Verdict::Fail, vec!["storage[0].storage_type"])
        );
        assert_eq!(
            (result.findings[0].expected.as_str(), result.findings[0].actual.as_str()),
            ("string", "integer 7")
        );
        // A document whose declared type no longer fits the protocol's.
        let retyped = edited_document(
            "        pixels_per_unit:\n          type: integer",
            "        pixels_per_unit:\n          type: boolean",
        );
        let result = judged("SPEC-001", &retyped, |_| {});
        assert_eq!(
            paths(&result),
            [
                "capabilities_prices[0].pixels_per_unit",
                "capabilities_prices[1].pixels_per_unit",
                "price_info.pixels_per_unit"
            ]
        );
        assert_eq!(result.findings[2].actual, "integer 1");
    }

    #[test]
    fn spec_001_judges_a_given_rendering_as_its_own() {
        let shipped = OpenApiDocument::embedded();
        let expectations = Expectations::default();
        for mutate in [
            (|_: &mut Observation| {}) as fn(&mut Observation),
            |o| info_mut(o).price_info = None,
            |o| info_mut(o).storage[0].storage_type = 7,
        ] {
            let mut observation = good_observation();
            mutate(&mut observation);
            let rendered = shipped.render_info(observation.grpc.info.answer().unwrap()).unwrap();
            let own = context(&observation, &expectations).with_openapi(shipped);
            let given = context(&observation, &expectations).with_openapi_rendering(shipped, &rendered);
            let judged = |context| {
                let result = evaluate_rule(rule("SPEC-001").unwrap(), context);
                (result.verdict, result.findings)
            };
            assert_eq!(judged(&given), judged(&own));
        }
    }

    #[test]
    fn spec_001_needs_a_document_and_an_answer() {
        let observation = good_observation();
        let expectations = Expectations::default();
        let without = evaluate_rule(rule("SPEC-001").unwrap(), &context(&observation, &expectations));
        assert!(matches!(without.verdict, Verdict::Skip(reason) if reason.contains("no OpenAPI document")));
        let unanswered = judged("SPEC-001", OpenApiDocument::embedded(), |o| {
            o.grpc.info.outcome = Err(CallError::Transport("connection refused".into()))
        });
        assert!(matches!(unanswered.verdict, Verdict::Skip(reason) if reason.contains("connection refused")));
    }

    #[test]
    fn spec_002_reports_the_shipped_drift_as_warnings() {
        let result = judged("SPEC-002", OpenApiDocument::embedded(), |_| {});
        assert_eq!(result.verdict, Verdict::Warn);
        let total = OpenApiDocument::embedded().built_in_drift().drifts.len();
        assert_eq!(result.findings.len() + result.omitted_findings, total);
        assert_eq!(result.findings.len(), MAX_FINDINGS_PER_RULE);
        let first = &result.findings[0];
        assert_eq!(first.path, "AuthToken.expiration");
        assert_eq!(first.actual, "integer (int64)");
        assert!(first.expected.starts_with("int64: proto3 JSON writes"), "{first:?}");
        assert!(first.hint.contains("proto3 encoder"));
    }

    #[test]
    fn spec_002_passes_a_document_in_the_proto3_json_convention() {
        let proto3 = crate::openapi::proto3_json_document();
        let result = judged("SPEC-002", &proto3, |_| {});
        assert_eq!(result.verdict, Verdict::Pass, "{result:?}");
        // The rendering follows that document's convention too.
        assert_eq!(judged("SPEC-001", &proto3, |_| {}).verdict, Verdict::Pass);
    }

    #[test]
    fn spec_002_names_a_property_the_protocol_lacks() {
        let extra = edited_document(
            "        nodes:\n",
            "        region:\n          type: string\n          description: Where it runs.\n        nodes:\n",
        );
        let result = judged("SPEC-002", &extra, |_| {});
        let finding = result
            .findings
            .iter()
            .find(|finding| finding.path == "OrchestratorInfo.region")
            .unwrap();
        assert_eq!(finding.expected, "no field of net.OrchestratorInfo by this name");
    }

    #[test]
    fn spec_003_lists_unknown_wire_fields() {
        let shipped = OpenApiDocument::embedded();
        assert_eq!(judged("SPEC-003", shipped, |_| {}).verdict, Verdict::Pass);
        let newer = judged("SPEC-003", shipped, |o| {
            o.unknown_fields.push(crate::observe::UnknownField {
                message_path: "info".into(),
                number: 35,
                wire_type: 2,
            })
        });
        assert_eq!(newer.verdict, Verdict::Info);
        assert_eq!(paths(&newer), ["info.35"]);
    }
}
