//! Session auth tokens as the reference orchestrator issues and verifies them: an HMAC over a
//! fresh session id and the expiration, under a secret that never leaves the process.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::ambient::random_bytes;
use crate::proto::net::AuthToken;

type HmacSha256 = Hmac<Sha256>;

/// How long an issued auth token stays valid.
pub const AUTH_TOKEN_LIFETIME_SECS: i64 = 30 * 60;

/// Issues and verifies auth tokens: the token is an HMAC over the session id
/// and expiration under a secret that never leaves the process.
pub struct AuthTokens {
    secret: [u8; 32],
}

/// Random bytes in a session id: go-livepeer's manifest ids are 4 bytes, 8 hex digits.
const SESSION_ID_BYTES: usize = 4;

impl AuthTokens {
    pub fn new() -> Self {
        let mut secret = [0u8; 32];
        secret.copy_from_slice(&random_bytes(32));
        Self { secret }
    }

    pub fn issue(&self, now: i64) -> AuthToken {
        let session_id = hex::encode(random_bytes(SESSION_ID_BYTES));
        let expiration = now + AUTH_TOKEN_LIFETIME_SECS;
        AuthToken {
            token: self.mac(&session_id, expiration).finalize().into_bytes().to_vec(),
            session_id,
            expiration,
        }
    }

    /// Whether this process issued `token`. Its expiration is not checked: go-livepeer's
    /// EndTranscodingSession only recomputes the HMAC.
    pub fn verify(&self, token: &AuthToken) -> bool {
        self.mac(&token.session_id, token.expiration)
            .verify_slice(&token.token)
            .is_ok()
    }

    fn mac(&self, session_id: &str, expiration: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("HMAC takes keys of any length");
        mac.update(session_id.as_bytes());
        mac.update(b":");
        mac.update(&expiration.to_be_bytes());
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn issued_tokens_verify_even_after_they_expire() {
        let tokens = AuthTokens::new();
        let token = tokens.issue(NOW);
        assert_eq!(token.expiration, NOW + 30 * 60);
        assert_eq!(token.session_id.len(), 8, "{}", token.session_id);
        assert!(tokens.verify(&token));
        let mut expired = token.clone();
        expired.expiration = NOW - AUTH_TOKEN_LIFETIME_SECS;
        assert!(!tokens.verify(&expired), "the expiration is under the MAC");
        assert!(tokens.verify(&tokens.issue(NOW - 2 * AUTH_TOKEN_LIFETIME_SECS)));
    }

    #[test]
    fn altered_or_foreign_tokens_do_not_verify() {
        let tokens = AuthTokens::new();
        let mut token = tokens.issue(NOW);
        token.session_id.push('x');
        assert!(!tokens.verify(&token));
        let foreign = AuthTokens::new().issue(NOW);
        assert!(!tokens.verify(&foreign));
        let mut extended = tokens.issue(NOW);
        extended.expiration += 1;
        assert!(!tokens.verify(&extended));
    }
}
