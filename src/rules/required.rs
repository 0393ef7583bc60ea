//! REQ: the fields a gateway cannot do without (OpenAPI `required` and gateway use).

use super::verify::{expect_non_empty, expect_non_empty_bytes, expect_present, report};
use super::{CheckFindings, Finding, Mode, Rule, Severity};

pub(super) const FILE: &str = file!();

pub(super) const RULES: &[Rule] = &[REQ_001, REQ_002, REQ_003, REQ_004, REQ_005, REQ_006];

const REQ_001: Rule = Rule {
    id: "REQ-001",
    severity: Severity::Must,
    mode: Mode::All,
    text: "`transcoder` is non-empty, or `nodes` is non-empty (an entry point started with `-serviceAddr none -nodes ...`)",
    citation: "go-livepeer discovery/discovery.go: orchestrators without a URI are skipped; nodes are followed",
    hint: "set -serviceAddr to the public host:port of the orchestrator (or list -nodes)",
    check: |ctx| {
        let info = ctx.info()?;
        if !info.nodes.is_empty() {
            return Ok(CheckFindings::default());
        }
        report([expect_non_empty("transcoder", &info.transcoder).map(|finding| Finding {
            expected: "a non-empty string (or a non-empty nodes list)".into(),
            ..finding
        })])
    },
};

const REQ_002: Rule = Rule {
    id: "REQ-002",
    severity: Severity::Must,
    mode: Mode::All,
    text: "`address` is present",
    citation: "go-livepeer server/selection.go and core balances: the gateway identifies the orchestrator by it",
    hint: "the orchestrator must report its Ethereum address (-ethAcctAddr / its keystore account)",
    check: |ctx| report([expect_non_empty_bytes("address", &ctx.info()?.address)]),
};

const REQ_003: Rule = Rule {
    id: "REQ-003",
    severity: Severity::Must,
    mode: Mode::OnChain,
    text: "`price_info` is present (off-chain go-livepeer sends none)",
    citation: "go-livepeer discovery/db_discovery.go: the on-chain pool drops an orchestrator with a nil price",
    hint: "set -pricePerUnit and -pixelsPerUnit",
    check: |ctx| report([expect_present("price_info", ctx.info()?.price_info.as_ref())]),
};

const REQ_004: Rule = Rule {
    id: "REQ-004",
    severity: Severity::Must,
    mode: Mode::All,
    text: "`capabilities` is present",
    citation: "go-livepeer core/capabilities.go CompatibleWith: gateways select orchestrators by capability",
    hint: "the orchestrator must advertise its capabilities; check its version",
    check: |ctx| report([expect_present("capabilities", ctx.info()?.capabilities.as_ref())]),
};

const REQ_005: Rule = Rule {
    id: "REQ-005",
    severity: Severity::Must,
    mode: Mode::OnChain,
    text: "`ticket_params` is present",
    citation: "go-livepeer pm/sender.go: the gateway cannot pay without ticket parameters",
    hint: "an on-chain orchestrator must issue ticket parameters; check its Ethereum connection and deposit",
    check: |ctx| report([expect_present("ticket_params", ctx.info()?.ticket_params.as_ref())]),
};

const REQ_006: Rule = Rule {
    id: "REQ-006",
    severity: Severity::Must,
    mode: Mode::All,
    text: "`auth_token` is present",
    citation: "go-livepeer server/broadcast.go selectOrchestrator: \"Missing auth token\"",
    hint: "upgrade the orchestrator: current go-livepeer issues an auth token with every OrchestratorInfo",
    check: |ctx| report([expect_present("auth_token", ctx.info()?.auth_token.as_ref())]),
};

#[cfg(test)]
mod tests {
    use super::super::fixture::*;

    #[test]
    fn req_001_transcoder() {
        assert_passes("REQ-001");
        assert_passes_with("REQ-001", &Default::default(), |o| info_mut(o).transcoder.clear());
        assert_breaks(
            "REQ-001",
            |o| {
                info_mut(o).transcoder.clear();
                info_mut(o).nodes.clear();
            },
            &["transcoder"],
        );
    }

    #[test]
    fn req_002_address() {
        assert_passes("REQ-002");
        assert_breaks("REQ-002", |o| info_mut(o).address.clear(), &["address"]);
    }

    #[test]
    fn req_003_price_info() {
        assert_passes("REQ-003");
        assert_breaks("REQ-003", |o| info_mut(o).price_info = None, &["price_info"]);
    }

    #[test]
    fn req_004_capabilities() {
        assert_passes("REQ-004");
        assert_breaks("REQ-004", |o| info_mut(o).capabilities = None, &["capabilities"]);
    }

    #[test]
    fn req_005_ticket_params() {
        assert_passes("REQ-005");
        assert_breaks("REQ-005", |o| info_mut(o).ticket_params = None, &["ticket_params"]);
    }

    #[test]
    fn req_006_auth_token() {
        assert_passes("REQ-006");
        assert_breaks("REQ-006", |o| info_mut(o).auth_token = None, &["auth_token"]);
    }
}
