//! AUTH: the session token gateways present with segments and EndTranscodingSession.

use super::verify::{
    expect_answer, expect_fresh, expect_grpc_error, expect_non_empty, expect_non_empty_bytes, quoted, report,
};
use super::{Context, Finding, Mode, Rule, Severity, Skipped};
use crate::proto::net::AuthToken;

/// AUTH-002's upper bound: a token valid for more than a day is suspect.
const MAX_TOKEN_LIFETIME_SECONDS: i64 = 24 * 60 * 60;

/// AUTH-005's lower bound: gateways refresh in the last 10 % of a session.
const MIN_TOKEN_LIFETIME_SECONDS: i64 = 180;

pub(super) const FILE: &str = file!();

pub(super) const RULES: &[Rule] = &[AUTH_001, AUTH_002, AUTH_003, AUTH_004, AUTH_005, AUTH_006];

const AUTH_001: Rule = Rule {
    id: "AUTH-001",
    severity: Severity::Must,
    mode: Mode::All,
    text: "`auth_token.token` and `session_id` are non-empty",
    citation:
        "go-livepeer server/rpc.go endTranscodingSession: sessions are looked up by session_id, the token checked",
    hint: "the orchestrator must fill in both the token and the session id it issues",
    check: |ctx| {
        let token = ctx.auth_token()?;
        report([
            expect_non_empty_bytes("auth_token.token", &token.token),
            expect_non_empty("auth_token.session_id", &token.session_id),
        ])
    },
};

const AUTH_002: Rule = Rule {
    id: "AUTH-002",
    severity: Severity::Must,
    mode: Mode::All,
    text: "`auth_token.expiration` is in the future and within 24 h",
    citation: "go-livepeer server/broadcast.go shouldRefreshSession: gateways refresh by the token's expiration",
    hint: "check the orchestrator's clock (NTP) and its token lifetime",
    check: |ctx| {
        let expiration = ctx.auth_token()?.expiration;
        let now = ctx.now_unix;
        let seconds_ahead = i128::from(expiration) - i128::from(now);
        let expected = format!("after now ({now}) and at most 24 h ahead (unix seconds)");
        report([if seconds_ahead <= 0 {
            Some(Finding::new(
                "auth_token.expiration",
                expected,
                format!("{expiration}, {} s ago", -seconds_ahead),
            ))
        } else if seconds_ahead > i128::from(MAX_TOKEN_LIFETIME_SECONDS) {
            Some(Finding::new(
                "auth_token.expiration",
                expected,
                format!("{expiration}, {seconds_ahead} s ahead"),
            ))
        } else {
            None
        }])
    },
};

const AUTH_003: Rule = Rule {
    id: "AUTH-003",
    severity: Severity::Must,
    mode: Mode::All,
    text: "EndTranscodingSession with a forged token is rejected with a gRPC error",
    citation: "go-livepeer server/rpc.go endTranscodingSession: a token it did not issue is `Invalid auth token`",
    hint: "the orchestrator must verify auth tokens before ending sessions",
    check: |ctx| {
        let exchange = ctx.observation.grpc.end_session_forged.as_ref();
        let exchange =
            exchange.ok_or_else(|| Skipped("no EndTranscodingSession with a forged token in this run".into()))?;
        report([expect_grpc_error("end_session_forged", &exchange.call)])
    },
};

const AUTH_004: Rule = Rule {
    id: "AUTH-004",
    severity: Severity::Should,
    mode: Mode::All,
    text: "EndTranscodingSession with the token just issued succeeds",
    citation: "go-livepeer server/rpc.go endTranscodingSession: the issued token ends its session",
    hint: "the orchestrator should accept the token it issued moments ago",
    check: |ctx| {
        let exchange = ctx.observation.grpc.end_session_issued.as_ref();
        let exchange = exchange.ok_or_else(|| Skipped("no token was issued, so none was ended".into()))?;
        report([expect_answer("end_session_issued", &exchange.call)])
    },
};

const AUTH_005: Rule = Rule {
    id: "AUTH-005",
    severity: Severity::Should,
    mode: Mode::All,
    text: "the token lives at least 180 s (gateways refresh in the last 10 % of a session; go-livepeer issues 30 min)",
    citation: "go-livepeer server/broadcast.go shouldRefreshSession: refresh in the last 10 % of the token's life",
    hint: "issue tokens valid for longer (go-livepeer: 30 minutes), or gateways refresh constantly",
    check: |ctx| {
        let expiration = ctx.auth_token()?.expiration;
        let seconds_ahead = i128::from(expiration) - i128::from(ctx.now_unix);
        if seconds_ahead <= 0 {
            return Err(Skipped("the token has expired (AUTH-002)".into()));
        }
        report([(seconds_ahead < i128::from(MIN_TOKEN_LIFETIME_SECONDS)).then(|| {
            Finding::new(
                "auth_token.expiration",
                format!("at least {MIN_TOKEN_LIFETIME_SECONDS} s ahead"),
                format!("{expiration}, {seconds_ahead} s ahead"),
            )
        })])
    },
};

const AUTH_006: Rule = Rule {
    id: "AUTH-006",
    severity: Severity::Must,
    mode: Mode::All,
    text: "two successive discovery answers carry different `session_id` and `token`",
    citation: "go-livepeer server/rpc.go orchestratorInfoWithCaps: a fresh session id and token per answer",
    hint: "issue a new session (id and token) with every OrchestratorInfo",
    check: |ctx| {
        let first = ctx.auth_token()?;
        let second = ctx
            .repeat_info()?
            .auth_token
            .as_ref()
            .ok_or_else(|| Skipped("the second answer has no auth_token (REQ-006)".into()))?;
        report([
            // Empty values are AUTH-001's to report, not a reuse.
            expect_fresh(
                "repeat_info.auth_token.session_id",
                "session id",
                first.session_id.as_bytes(),
                second.session_id.as_bytes(),
                quoted(&first.session_id),
            ),
            expect_fresh(
                "repeat_info.auth_token.token",
                "token",
                &first.token,
                &second.token,
                "token".into(),
            ),
        ])
    },
};

impl<'a> Context<'a> {
    pub fn auth_token(&self) -> Result<&'a AuthToken, Skipped> {
        self.info()?
            .auth_token
            .as_ref()
            .ok_or_else(|| Skipped("no auth_token (REQ-006)".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::*;
    use crate::observe::CallError;

    fn token_mut(observation: &mut crate::observe::Observation) -> &mut crate::proto::net::AuthToken {
        info_mut(observation).auth_token.as_mut().unwrap()
    }

    #[test]
    fn auth_001_token_and_session_non_empty() {
        assert_passes("AUTH-001");
        assert_breaks("AUTH-001", |o| token_mut(o).token.clear(), &["auth_token.token"]);
        assert_breaks(
            "AUTH-001",
            |o| token_mut(o).session_id.clear(),
            &["auth_token.session_id"],
        );
    }

    #[test]
    fn auth_002_expiration_within_a_day() {
        assert_passes("AUTH-002");
        assert_breaks(
            "AUTH-002",
            |o| token_mut(o).expiration = NOW,
            &["auth_token.expiration"],
        );
        assert_breaks(
            "AUTH-002",
            |o| token_mut(o).expiration = NOW + 86_401,
            &["auth_token.expiration"],
        );
        assert_breaks(
            "AUTH-002",
            |o| token_mut(o).expiration = i64::MIN,
            &["auth_token.expiration"],
        );
    }

    #[test]
    fn auth_003_forged_token_rejected_with_status() {
        assert_passes("AUTH-003");
        assert_breaks(
            "AUTH-003",
            |o| o.grpc.end_session_forged.as_mut().unwrap().call = answered(()),
            &["end_session_forged"],
        );
        assert_breaks(
            "AUTH-003",
            |o| o.grpc.end_session_forged.as_mut().unwrap().call = failed_call(CallError::Transport("reset".into())),
            &["end_session_forged"],
        );
    }

    #[test]
    fn auth_004_issued_token_accepted() {
        assert_passes("AUTH-004");
        assert_breaks(
            "AUTH-004",
            |o| o.grpc.end_session_issued.as_mut().unwrap().call = refused("Invalid auth token"),
            &["end_session_issued"],
        );
    }

    #[test]
    fn auth_005_token_lives_long_enough() {
        assert_passes("AUTH-005");
        assert_breaks(
            "AUTH-005",
            |o| token_mut(o).expiration = NOW + 60,
            &["auth_token.expiration"],
        );
    }

    #[test]
    fn auth_006_fresh_session_per_answer() {
        assert_passes("AUTH-006");
        let reused = |o: &mut crate::observe::Observation| {
            let first = token_mut(o).clone();
            o.grpc
                .repeat_info
                .as_mut()
                .unwrap()
                .outcome
                .as_mut()
                .unwrap()
                .auth_token = Some(first);
        };
        assert_breaks(
            "AUTH-006",
            reused,
            &["repeat_info.auth_token.session_id", "repeat_info.auth_token.token"],
        );
    }
}
