//! TICKET: probabilistic payment parameters. Numbers are big-endian unsigned
//! byte strings of any length and are compared exactly.

use num_bigint::BigUint;
use num_traits::{One, Zero};

use super::verify::{
    bytes_text, expect_fresh, expect_len, expect_non_empty_bytes, expect_positive, expect_positive_number, report,
};
use super::{CheckFindings, Context, Finding, Mode, Rule, Severity, Skipped};
use crate::proto::net::TicketParams;
use crate::shown::{decimal_text, SHOWN_BYTES};
use crate::view::address_text;

pub(super) const FILE: &str = file!();

pub(super) const RULES: &[Rule] = &[
    TICKET_001, TICKET_002, TICKET_003, TICKET_004, TICKET_005, TICKET_006, TICKET_007, TICKET_008, TICKET_009,
    TICKET_010,
];

/// go-livepeer's tickets expire this many L1 blocks after the last block it saw.
const EXPIRATION_BLOCKS: u64 = 40;
/// How far from `l1Block + 40` TICKET-009 lets `expiration_block` be before it notes it: the
/// operator's `l1Block` is read some minutes before the run.
const EXPIRATION_SLACK_BLOCKS: u64 = 20;

const TICKET_001: Rule = Rule {
    id: "TICKET-001",
    severity: Severity::Must,
    mode: Mode::OnChain,
    text: "`recipient` is 20 bytes and equals `--expect ethOrchAddr=` when given; without it, recipient != `address` is an `info` finding (a hot signing key with `-ethOrchAddr` is a normal set-up)",
    citation: "go-livepeer server/selection.go: stake and balances are keyed by the ticket recipient",
    hint: "tickets pay the recipient: check -ethOrchAddr (or --expect ethOrchAddr=)",
    check: |ctx| {
        let address = &ctx.info()?.address;
        let recipient = &ctx.ticket_params()?.recipient;
        if let Some(wrong_length) = expect_len("ticket_params.recipient", recipient, 20) {
            return Ok(vec![wrong_length].into());
        }
        if let Some(expected) = ctx.expectations.orch_address {
            return report([(recipient.as_slice() != expected.0.as_slice()).then(|| {
                Finding::new(
                    "ticket_params.recipient",
                    format!("{} (expected ethOrchAddr)", expected.to_checksum()),
                    address_text(recipient),
                )
            })]);
        }
        report([(recipient != address && !ctx.expectations.pool).then(|| {
            Finding::new(
                "ticket_params.recipient",
                format!("the orchestrator's address {}", address_text(address)),
                address_text(recipient),
            )
            .with_hint("normal with -ethOrchAddr (a hot signing key); pass --expect ethOrchAddr= to check it")
            .at(Severity::Info)
        })])
    },
};

const TICKET_002: Rule = Rule {
    id: "TICKET-002",
    severity: Severity::Must,
    mode: Mode::OnChain,
    text: "`face_value` > 0, unless the advertised price is 0 (then face value and win probability are 0 and gateways accept EV 0)",
    citation: "go-livepeer pm/sender.go validateTicketParams: a zero face value pays nothing",
    hint: "check the orchestrator's -ticketEV and -maxFaceValue settings",
    check: |ctx| {
        if free(ctx)? {
            return Ok(CheckFindings::default());
        }
        report([expect_positive_number(
            "ticket_params.face_value",
            &ctx.ticket_params()?.face_value,
        )])
    },
};

const TICKET_003: Rule = Rule {
    id: "TICKET-003",
    severity: Severity::Must,
    mode: Mode::OnChain,
    text: "`win_prob` > 0 (unless price 0) and EV = face_value x win_prob / 2^256 < face_value",
    citation: "go-livepeer pm/sender.go validateTicketParams: EV must stay below the face value",
    hint: "win_prob is a fraction of 2^256; check the orchestrator's -ticketEV",
    check: |ctx| {
        let win_prob = &ctx.ticket_params()?.win_prob;
        let value = BigUint::from_bytes_be(win_prob);
        let expected = "> 0 and < 2^256";
        report([if value.is_zero() && !free(ctx)? {
            Some(Finding::new(
                "ticket_params.win_prob",
                expected,
                format!("0, as {}", bytes_text(win_prob)),
            ))
        } else if value >= two_pow_256() {
            Some(Finding::new(
                "ticket_params.win_prob",
                expected,
                format!("2^256 or more: {}", bytes_text(win_prob)),
            ))
        } else {
            None
        }])
    },
};

/// Whether the advertised transcoding price is 0: go-livepeer then issues zero-value tickets.
fn free(ctx: &super::Context<'_>) -> Result<bool, Skipped> {
    Ok(ctx
        .info()?
        .price_info
        .as_ref()
        .is_some_and(|price| price.price_per_unit == 0))
}

const TICKET_004: Rule = Rule {
    id: "TICKET-004",
    severity: Severity::Must,
    mode: Mode::OnChain,
    text: "`recipient_rand_hash` is exactly 32 bytes",
    citation: "go-livepeer pm/recipient.go: recipient_rand_hash is the keccak256 commitment to the recipient rand",
    hint: "the orchestrator must commit to its random number with keccak256",
    check: |ctx| {
        report([expect_len(
            "ticket_params.recipient_rand_hash",
            &ctx.ticket_params()?.recipient_rand_hash,
            32,
        )])
    },
};

const TICKET_005: Rule = Rule {
    id: "TICKET-005",
    severity: Severity::Must,
    mode: Mode::OnChain,
    text: "`seed` is non-empty",
    citation: "go-livepeer pm/recipient.go: the recipient re-derives its random number from the seed",
    hint: "the orchestrator must send the seed of its recipient random number",
    check: |ctx| report([expect_non_empty_bytes("ticket_params.seed", &ctx.ticket_params()?.seed)]),
};

const TICKET_006: Rule = Rule {
    id: "TICKET-006",
    severity: Severity::Must,
    mode: Mode::OnChain,
    text: "`expiration_block` > 0",
    citation: "go-livepeer pm/sender.go validateTicketParams: tickets expire at expiration_block",
    hint: "check the orchestrator's connection to its Ethereum node (block watcher)",
    check: |ctx| {
        report([expect_positive_number(
            "ticket_params.expiration_block",
            &ctx.ticket_params()?.expiration_block,
        )])
    },
};

const TICKET_007: Rule = Rule {
    id: "TICKET-007",
    severity: Severity::Should,
    mode: Mode::OnChain,
    text: "`expiration_params` present, `creation_round` > 0, `creation_round_block_hash` 32 bytes (gateways substitute their own when absent)",
    citation: "go-livepeer pm/sender.go CreateTicketBatch: tickets carry the creation round and its block hash",
    hint: "check the orchestrator's round watcher and Ethereum connection",
    check: |ctx| {
        let Some(expiration) = ctx.ticket_params()?.expiration_params.as_ref() else {
            return Ok(vec![Finding::new(
                "ticket_params.expiration_params",
                "present",
                "absent",
            )].into());
        };
        report([
            expect_positive(
                "ticket_params.expiration_params.creation_round",
                expiration.creation_round,
            ),
            expect_len(
                "ticket_params.expiration_params.creation_round_block_hash",
                &expiration.creation_round_block_hash,
                32,
            ),
        ])
    },
};

const TICKET_008: Rule = Rule {
    id: "TICKET-008",
    severity: Severity::Should,
    mode: Mode::OnChain,
    text: "ticket EV <= the gateway's maximum (go-livepeer default `-maxTicketEV` 3000000000000 wei; `--expect maxTicketEV=` overrides) and face_value <= `--expect maxFaceValue=` when given",
    citation: "go-livepeer pm/sender.go: gateways reject EV > -maxTicketEV (default 3000000000000 wei)",
    hint: "gateways with this maximum refuse the tickets; lower the orchestrator's -ticketEV",
    check: |ctx| {
        let ticket = ctx.ticket_params()?;
        let face_value = BigUint::from_bytes_be(&ticket.face_value);
        let win_prob = BigUint::from_bytes_be(&ticket.win_prob);
        if win_prob >= two_pow_256() {
            return Err(Skipped("win_prob is out of range (TICKET-003)".into()));
        }
        let ev_scaled = &face_value * &win_prob;
        let limit = ctx.expectations.ticket_ev_limit();
        let ev_finding = (ev_scaled > &limit << 256u32).then(|| {
            Finding::new(
                "ticket_params",
                format!("EV = face_value × win_prob / 2^256 <= {limit} wei"),
                format!("EV {} wei", ev_text(&ev_scaled)),
            )
        });
        let face_finding = ctx.expectations.max_face_value.as_ref().and_then(|max| {
            (&face_value > max).then(|| {
                Finding::new(
                    "ticket_params.face_value",
                    format!("<= {max} wei"),
                    format!("{} wei", decimal_text(&face_value)),
                )
                    .with_hint("gateways with this maximum face value refuse the tickets")
            })
        });
        report([ev_finding, face_finding])
    },
};

const TICKET_009: Rule = Rule {
    id: "TICKET-009",
    severity: Severity::Must,
    mode: Mode::OnChain,
    text: "with `--expect l1Block=N` (the current Ethereum L1 block): `expiration_block` > N + 1; should-level note when it is not about N + 40; skip without it",
    citation: "go-livepeer pm/sender.go validateTicketParams and pm/recipient.go: tickets expire 40 L1 blocks ahead",
    hint: "the orchestrator's view of the L1 chain is stale; check its Ethereum node (-ethUrl) and block watcher",
    check: |ctx| {
        let l1_block = ctx
            .expectations
            .l1_block
            .ok_or_else(|| Skipped("no expected l1Block given".into()))?;
        let expiration = BigUint::from_bytes_be(&ctx.ticket_params()?.expiration_block);
        let path = "ticket_params.expiration_block";
        if expiration <= BigUint::from(l1_block.saturating_add(1)) {
            return Ok(vec![Finding::new(
                path,
                format!("> {} (l1Block + 1)", l1_block.saturating_add(1)),
                format!("{}: the tickets have expired", decimal_text(&expiration)),
            )].into());
        }
        let target = l1_block.saturating_add(EXPIRATION_BLOCKS);
        let low = BigUint::from(target.saturating_sub(EXPIRATION_SLACK_BLOCKS));
        let high = BigUint::from(target.saturating_add(EXPIRATION_SLACK_BLOCKS));
        report([(expiration < low || expiration > high).then(|| {
            Finding::new(
                path,
                format!("about {target} (l1Block + {EXPIRATION_BLOCKS}, as go-livepeer sets it)"),
                decimal_text(&expiration),
            )
            .with_hint("go-livepeer sets expiration 40 L1 blocks past its last seen block; check its chain view")
            .at(Severity::Should)
        })])
    },
};

const TICKET_010: Rule = Rule {
    id: "TICKET-010",
    severity: Severity::Must,
    mode: Mode::OnChain,
    text: "two successive discovery answers to the same gateway carry different `seed` and `recipient_rand_hash` (sender nonces are tracked per rand hash)",
    citation: "go-livepeer pm/recipient.go and pm/sender.go StartSession: nonces are tracked per recipient rand hash",
    hint: "issue a fresh recipient rand (and seed) with every OrchestratorInfo",
    check: |ctx| {
        let first = ctx.ticket_params()?;
        let second = ctx
            .repeat_info()?
            .ticket_params
            .as_ref()
            .ok_or_else(|| Skipped("the second answer has no ticket_params (REQ-005)".into()))?;
        // An empty value is TICKET-004's or TICKET-005's to report, not a reuse.
        let same = |path: &str, value: &[u8], again: &[u8]| expect_fresh(path, "value", value, again, bytes_text(value));
        report([
            same("repeat_info.ticket_params.seed", &first.seed, &second.seed),
            same(
                "repeat_info.ticket_params.recipient_rand_hash",
                &first.recipient_rand_hash,
                &second.recipient_rand_hash,
            ),
        ])
    },
};

fn two_pow_256() -> BigUint {
    BigUint::one() << 256u32
}

/// `scaled / 2^256` in decimal with six fractional digits, marked when cut; a whole part too
/// long for decimal as [`decimal_text`] shows it, without the fraction.
fn ev_text(scaled: &BigUint) -> String {
    let whole = scaled >> 256u32;
    if whole.bits() > 8 * SHOWN_BYTES as u64 {
        return decimal_text(&whole);
    }
    let fraction = scaled - (&whole << 256u32);
    if fraction.is_zero() {
        return whole.to_string();
    }
    let micro = (&fraction * 1_000_000u32) >> 256u32;
    let exact = (&micro << 256u32) == fraction * 1_000_000u32;
    format!("{whole}.{micro:0>6}{}", if exact { "" } else { "…" })
}

impl<'a> Context<'a> {
    pub fn ticket_params(&self) -> Result<&'a TicketParams, Skipped> {
        self.info()?
            .ticket_params
            .as_ref()
            .ok_or_else(|| Skipped("no ticket_params (REQ-005)".into()))
    }
}

#[cfg(test)]
mod tests {
    use num_bigint::BigUint;

    use super::super::fixture::*;
    use super::*;
    use crate::expect::Expectations;

    #[test]
    fn ticket_001_recipient_is_the_orchestrator() {
        assert_passes("TICKET-001");
        let foreign = |o: &mut crate::observe::Observation| ticket_mut(o).recipient = vec![0x44; 20];
        let hot_key = outcome_with("TICKET-001", &Expectations::default(), foreign);
        assert_eq!(
            hot_key.verdict,
            crate::rules::Verdict::Info,
            "without ethOrchAddr: {hot_key:?}"
        );
        let declared = |address: [u8; 20]| Expectations {
            orch_address: Some(crate::eth::Address(address)),
            ..Default::default()
        };
        assert_passes_with("TICKET-001", &declared([0x44; 20]), foreign);
        assert_breaks_with(
            "TICKET-001",
            &declared([0x55; 20]),
            foreign,
            &["ticket_params.recipient"],
        );
        let pool = Expectations {
            pool: true,
            ..Default::default()
        };
        assert_passes_with("TICKET-001", &pool, foreign);
        let short = |o: &mut crate::observe::Observation| ticket_mut(o).recipient.truncate(19);
        assert_eq!(
            outcome_with("TICKET-001", &pool, short).verdict,
            crate::rules::Verdict::Fail
        );
    }

    #[test]
    fn ticket_002_face_value_positive() {
        assert_passes("TICKET-002");
        assert_breaks(
            "TICKET-002",
            |o| ticket_mut(o).face_value = vec![0, 0],
            &["ticket_params.face_value"],
        );
        let free = |o: &mut crate::observe::Observation| {
            price_mut(o).price_per_unit = 0;
            ticket_mut(o).face_value.clear();
            ticket_mut(o).win_prob.clear();
        };
        assert_passes_with("TICKET-002", &Expectations::default(), free);
        assert_passes_with("TICKET-003", &Expectations::default(), free);
    }

    #[test]
    fn ticket_003_win_prob_in_range() {
        assert_passes("TICKET-003");
        assert_breaks(
            "TICKET-003",
            |o| ticket_mut(o).win_prob.clear(),
            &["ticket_params.win_prob"],
        );
        assert_breaks(
            "TICKET-003",
            |o| ticket_mut(o).win_prob = number(&two_pow_256()),
            &["ticket_params.win_prob"],
        );
        let just_below = number(&(two_pow_256() - 1u32));
        let mut leading_zeros = vec![0; 8];
        leading_zeros.extend(&just_below);
        assert_passes_with("TICKET-003", &Expectations::default(), |o| {
            ticket_mut(o).win_prob = leading_zeros
        });
    }

    #[test]
    fn ticket_004_rand_hash_32_bytes() {
        assert_passes("TICKET-004");
        assert_breaks(
            "TICKET-004",
            |o| ticket_mut(o).recipient_rand_hash.truncate(31),
            &["ticket_params.recipient_rand_hash"],
        );
    }

    #[test]
    fn ticket_005_seed_non_empty() {
        assert_passes("TICKET-005");
        assert_breaks("TICKET-005", |o| ticket_mut(o).seed.clear(), &["ticket_params.seed"]);
    }

    #[test]
    fn ticket_006_expiration_block_positive() {
        assert_passes("TICKET-006");
        assert_breaks(
            "TICKET-006",
            |o| ticket_mut(o).expiration_block = vec![0],
            &["ticket_params.expiration_block"],
        );
    }

    #[test]
    fn ticket_007_expiration_params() {
        assert_passes("TICKET-007");
        assert_breaks(
            "TICKET-007",
            |o| ticket_mut(o).expiration_params = None,
            &["ticket_params.expiration_params"],
        );
        assert_breaks(
            "TICKET-007",
            |o| ticket_mut(o).expiration_params.as_mut().unwrap().creation_round = i64::MIN,
            &["ticket_params.expiration_params.creation_round"],
        );
        assert_breaks(
            "TICKET-007",
            |o| {
                ticket_mut(o)
                    .expiration_params
                    .as_mut()
                    .unwrap()
                    .creation_round_block_hash
                    .clear()
            },
            &["ticket_params.expiration_params.creation_round_block_hash"],
        );
    }

    #[test]
    fn ticket_008_expected_value_and_face_value_limits() {
        assert_passes("TICKET-008");
        let generous = |o: &mut crate::observe::Observation| ticket_mut(o).win_prob = number(&(two_pow_256() / 10u32));
        let result = assert_breaks("TICKET-008", generous, &["ticket_params"]);
        assert!(
            result.findings[0].actual.starts_with("EV 99999999999999.99"),
            "{result:?}"
        );
        let just_below = Expectations {
            max_ticket_ev: Some(BigUint::from(999_999_999_999u64)),
            ..Default::default()
        };
        let result = assert_breaks_with("TICKET-008", &just_below, |_| {}, &["ticket_params"]);
        assert!(
            result.findings[0].actual.starts_with("EV 999999999999.999"),
            "{result:?}"
        );
        let ceiling = Expectations {
            max_face_value: Some(BigUint::from(10u32)),
            ..Default::default()
        };
        assert_breaks_with("TICKET-008", &ceiling, |_| {}, &["ticket_params.face_value"]);
    }

    #[test]
    fn ticket_009_expiration_against_the_l1_block() {
        // The fixture's expiration_block is 300.
        let at = |block| Expectations {
            l1_block: Some(block),
            ..Default::default()
        };
        assert_passes_with("TICKET-009", &at(260), |_| {});
        assert_breaks_with("TICKET-009", &at(299), |_| {}, &["ticket_params.expiration_block"]);
        let far = outcome_with("TICKET-009", &at(200), |_| {});
        assert_eq!(far.verdict, crate::rules::Verdict::Warn, "{far:?}");
        assert!(assert_skips("TICKET-009", &Expectations::default(), |_| {}).contains("l1Block"));
    }

    #[test]
    fn ticket_010_fresh_rand_per_answer() {
        assert_passes("TICKET-010");
        let reused = |o: &mut crate::observe::Observation| {
            let first = ticket_mut(o).clone();
            let repeat = o.grpc.repeat_info.as_mut().unwrap().outcome.as_mut().unwrap();
            repeat.ticket_params = Some(first);
        };
        assert_breaks(
            "TICKET-010",
            reused,
            &[
                "repeat_info.ticket_params.seed",
                "repeat_info.ticket_params.recipient_rand_hash",
            ],
        );
        assert!(assert_skips("TICKET-010", &Expectations::default(), |o| o.grpc.repeat_info = None).contains("second"));
    }

    #[test]
    fn expected_value_is_written_exactly() {
        assert_eq!(ev_text(&(BigUint::from(3u32) << 256u32)), "3");
        assert_eq!(ev_text(&(BigUint::from(3u32) << 255u32)), "1.500000");
        assert_eq!(ev_text(&BigUint::from(1u32)), "0.000000…");
        let huge = ev_text(&(BigUint::from(7u32) << 4096u32));
        assert!(
            huge.starts_with("0x07000000") && huge.ends_with("… (481 bytes)"),
            "{huge}"
        );
    }
}
