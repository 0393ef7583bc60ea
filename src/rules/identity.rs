//! ADDR / IDENT: the orchestrator's Ethereum identity and its Ping signature.

use super::verify::{bytes_text, call_text, expect_len, report};
use super::{CheckFindings, Context, Finding, Mode, Rule, Severity, Skipped};
use crate::eth::{self, Address, EthError};
use crate::observe::PingExchange;
use crate::view::address_text;

pub(super) const FILE: &str = file!();

pub(super) const RULES: &[Rule] = &[ADDR_001, IDENT_001, IDENT_002, IDENT_003];

const ADDR_001: Rule = Rule {
    id: "ADDR-001",
    severity: Severity::Must,
    mode: Mode::All,
    text: "`address` is exactly 20 bytes; on-chain it is not all zero (off-chain go-livepeer sends the zero address by design)",
    citation: "go-livepeer core/orchestrator.go NewOrchestrator: the address is the 20-byte signing account, zero off-chain",
    hint: "the orchestrator must report the 20-byte address of its Ethereum account",
    check: |ctx| {
        let address = &ctx.info()?.address;
        if address.is_empty() {
            return Err(Skipped("address is empty (REQ-002)".into()));
        }
        let all_zero = address.iter().all(|byte| *byte == 0);
        report([
            expect_len("address", address, 20),
            (ctx.modes.onchain && address.len() == 20 && all_zero)
                .then(|| Finding::new("address", "a non-zero address (on-chain)", bytes_text(address))),
        ])
    },
};

const IDENT_001: Rule = Rule {
    id: "IDENT-001",
    severity: Severity::Must,
    mode: Mode::OnChain,
    text: "Ping answers with a 65-byte signature (v = 27 or 28, low s)",
    citation: "go-livepeer crypto/verify.go: eth_sign is r||s||v with v in {27, 28}; verifiers reject s > n/2",
    hint: "an on-chain orchestrator answers Ping with eth_sign over keccak256 of the value",
    check: |ctx| {
        let ping = ctx.ping()?;
        let pong = match &ping.call.outcome {
            Ok(pong) => pong,
            Err(_) => {
                return Ok(vec![Finding::new(
                    "ping.answer",
                    "a signed Ping answer",
                    call_text(&ping.call),
                )]
                .into())
            }
        };
        let malformed = match ctx.ping_signer(ping, pong) {
            Err(error @ (EthError::SignatureLength(_) | EthError::RecoveryByte(_) | EthError::HighS)) => Some(error),
            _ => None,
        };
        report([malformed.map(|error| {
            Finding::new(
                "ping.answer.value",
                "65-byte r||s||v signature, v = 27 or 28, low s",
                format!("{} ({error})", bytes_text(&pong.value)),
            )
        })])
    },
};

const IDENT_002: Rule = Rule {
    id: "IDENT-002",
    severity: Severity::Must,
    mode: Mode::OnChain,
    text: "the Ping signature recovers to `address` (signed digest: EIP-191 text hash of keccak256(ping value))",
    citation:
        "go-livepeer server/rpc.go ping: eth_sign(keccak256(value)), checked by the node's startup availability check",
    hint: "sign Ping with the key of the advertised address (check -ethAcctAddr and the keystore)",
    check: |ctx| {
        let address = &ctx.info()?.address;
        let ping = ctx.ping()?;
        let pong = ping
            .call
            .answer()
            .ok_or_else(|| Skipped("Ping did not answer (IDENT-001)".into()))?;
        let signer = match ctx.ping_signer(ping, pong) {
            Ok(signer) if signer.0.as_slice() == address.as_slice() => return Ok(CheckFindings::default()),
            Ok(signer) => signer.to_checksum(),
            Err(EthError::Unrecoverable) => "no key: the signature does not recover".to_string(),
            Err(error) => return Err(Skipped(format!("signature is malformed (IDENT-001): {error}"))),
        };
        Ok(vec![Finding::new(
            "ping.answer.value",
            format!("a signature by {}", address_text(address)),
            format!("a signature by {signer}"),
        )]
        .into())
    },
};

const IDENT_003: Rule = Rule {
    id: "IDENT-003",
    severity: Severity::Should,
    mode: Mode::OffChain,
    text: "off-chain Ping answers with an empty value and no error",
    citation: "go-livepeer server/rpc.go ping: off-chain, the orchestrator answers Ping with an empty value",
    hint: "an off-chain orchestrator should answer Ping; its startup availability check uses it",
    check: |ctx| {
        let ping = ctx.ping()?;
        report([match &ping.call.outcome {
            Ok(pong) if pong.value.is_empty() => None,
            Ok(pong) => Some(Finding::new(
                "ping.answer.value",
                "an empty value",
                bytes_text(&pong.value),
            )),
            Err(_) => Some(Finding::new(
                "ping.answer",
                "an answer with an empty value",
                call_text(&ping.call),
            )),
        }])
    },
};

impl<'a> Context<'a> {
    /// The Ping exchange; without one, the IDENT rules about it are skipped.
    pub fn ping(&self) -> Result<&'a PingExchange, Skipped> {
        self.observation
            .grpc
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

#[cfg(test)]
mod tests {
    use super::super::fixture::*;
    use crate::eth::{self, EthKey};
    use crate::expect::Expectations;
    use crate::observe::CallError;

    #[test]
    fn addr_001_twenty_non_zero_bytes() {
        assert_passes("ADDR-001");
        assert_breaks("ADDR-001", |o| info_mut(o).address = vec![0; 20], &["address"]);
        let offchain_zero = |o: &mut crate::observe::Observation| {
            *o = offchain_observation();
            info_mut(o).address = vec![0; 20];
        };
        assert_passes_with("ADDR-001", &Expectations::default(), offchain_zero);
        assert_breaks("ADDR-001", |o| info_mut(o).address.push(1), &["address"]);
        assert!(
            assert_skips("ADDR-001", &Expectations::default(), |o| info_mut(o).address.clear()).contains("REQ-002")
        );
    }

    #[test]
    fn ident_001_signature_form() {
        assert_passes("IDENT-001");
        assert_breaks(
            "IDENT-001",
            |o| ping_answer_mut(o).value[64] = 29,
            &["ping.answer.value"],
        );
        assert_breaks(
            "IDENT-001",
            |o| ping_answer_mut(o).value.truncate(64),
            &["ping.answer.value"],
        );
        assert_breaks(
            "IDENT-001",
            |o| o.grpc.ping.as_mut().unwrap().call = refused("unimplemented"),
            &["ping.answer"],
        );
    }

    #[test]
    fn ident_002_signature_recovers_to_address() {
        assert_passes("IDENT-002");
        let impostor = |o: &mut crate::observe::Observation| {
            let value = o.grpc.ping.as_ref().unwrap().value.clone();
            ping_answer_mut(o).value = EthKey::random().sign_message(&eth::ping_message(&value)).to_vec();
        };
        let result = assert_breaks("IDENT-002", impostor, &["ping.answer.value"]);
        assert!(result.findings[0]
            .expected
            .contains(&orchestrator_address().to_checksum()));
        let skipped = assert_skips("IDENT-002", &Expectations::default(), |o| {
            ping_answer_mut(o).value.clear()
        });
        assert!(skipped.contains("IDENT-001"));
    }

    #[test]
    fn ident_003_off_chain_ping_is_empty() {
        let offchain = |o: &mut crate::observe::Observation| *o = offchain_observation();
        assert_passes_with("IDENT-003", &Expectations::default(), offchain);
        assert_breaks(
            "IDENT-003",
            |o| {
                *o = offchain_observation();
                o.grpc.ping.as_mut().unwrap().call = failed_call(CallError::Transport("reset".into()));
            },
            &["ping.answer"],
        );
        assert!(assert_skips("IDENT-003", &Expectations::default(), |_| {}).contains("offchain"));
    }
}
