//! Per-call values the reference orchestrator issues: session auth tokens it
//! can later verify, and probabilistic-payment ticket parameters naming its
//! own address as recipient.

use hmac::{Hmac, Mac};
use num_bigint::BigUint;
use num_traits::One;
use sha2::Sha256;

use crate::eth::{keccak256, Address};
use crate::probe::random_bytes;
use crate::proto::net::{AuthToken, TicketExpirationParams, TicketParams};

type HmacSha256 = Hmac<Sha256>;

/// How long an issued auth token stays valid.
pub const AUTH_TOKEN_LIFETIME_SECS: i64 = 30 * 60;

/// Issues and verifies auth tokens: the token is an HMAC over the session id
/// and expiration under a secret that never leaves the process.
pub struct AuthTokens {
    secret: [u8; 32],
}

impl AuthTokens {
    pub fn new() -> Self {
        let mut secret = [0u8; 32];
        secret.copy_from_slice(&random_bytes(32));
        Self { secret }
    }

    pub fn issue(&self, now: i64) -> AuthToken {
        let session_id = hex::encode(random_bytes(16));
        let expiration = now + AUTH_TOKEN_LIFETIME_SECS;
        AuthToken {
            token: self.mac(&session_id, expiration).finalize().into_bytes().to_vec(),
            session_id,
            expiration,
        }
    }

    /// Whether this process issued `token` and it has not expired.
    pub fn verify(&self, token: &AuthToken, now: i64) -> bool {
        token.expiration > now
            && self
                .mac(&token.session_id, token.expiration)
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

/// Ticket parameters as an on-chain orchestrator issues them. The simulated
/// chain starts at a plausible mainnet round and advances a block every 12 s.
pub struct TicketIssuer {
    recipient: Address,
    secret: [u8; 32],
}

/// Face value of a winning ticket: 0.001 ETH.
pub const FACE_VALUE_WEI: u64 = 1_000_000_000_000_000;
/// One winning ticket in this many: EV = face value / 1000 = 1e12 wei, under
/// go-livepeer's default `-maxTicketEV` of 3e12.
pub const WIN_ODDS: u32 = 1000;
const FIRST_BLOCK: i64 = 21_000_000;
const BLOCKS_PER_ROUND: i64 = 5760;
const SECONDS_PER_BLOCK: i64 = 12;
/// Blocks a ticket stays redeemable after issue: 40 past the L1 head, as go-livepeer sets it.
const VALIDITY_BLOCKS: i64 = 40;
/// Unix time at which the simulated chain is at FIRST_BLOCK.
const CHAIN_EPOCH: i64 = 1_735_689_600;

impl TicketIssuer {
    pub fn new(recipient: Address) -> Self {
        let mut secret = [0u8; 32];
        secret.copy_from_slice(&random_bytes(32));
        Self { recipient, secret }
    }

    pub fn issue(&self, now: i64) -> TicketParams {
        let block = FIRST_BLOCK + (now - CHAIN_EPOCH).max(0) / SECONDS_PER_BLOCK;
        let round = block / BLOCKS_PER_ROUND;
        let seed = random_bytes(32);
        TicketParams {
            recipient: self.recipient.0.to_vec(),
            face_value: BigUint::from(FACE_VALUE_WEI).to_bytes_be(),
            win_prob: win_prob().to_bytes_be(),
            recipient_rand_hash: keccak256(&self.recipient_rand(&seed)).to_vec(),
            seed,
            expiration_block: BigUint::from(u64::try_from(block + VALIDITY_BLOCKS).unwrap_or(0)).to_bytes_be(),
            expiration_params: Some(TicketExpirationParams {
                creation_round: round,
                creation_round_block_hash: keccak256(&(round * BLOCKS_PER_ROUND).to_be_bytes()).to_vec(),
            }),
        }
    }

    /// The secret the recipient reveals on redemption, derived from the seed so
    /// nothing per ticket needs storing.
    fn recipient_rand(&self, seed: &[u8]) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.secret).expect("HMAC takes keys of any length");
        mac.update(seed);
        mac.finalize().into_bytes().into()
    }
}

/// 2^256 / WIN_ODDS, the winning probability as gateways read it.
fn win_prob() -> BigUint {
    (BigUint::one() << 256u32) / BigUint::from(WIN_ODDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn issued_tokens_verify_until_they_expire() {
        let tokens = AuthTokens::new();
        let token = tokens.issue(NOW);
        assert!(tokens.verify(&token, NOW));
        assert!(!tokens.verify(&token, NOW + AUTH_TOKEN_LIFETIME_SECS));
    }

    #[test]
    fn altered_or_foreign_tokens_do_not_verify() {
        let tokens = AuthTokens::new();
        let mut token = tokens.issue(NOW);
        token.session_id.push('x');
        assert!(!tokens.verify(&token, NOW));
        let foreign = AuthTokens::new().issue(NOW);
        assert!(!tokens.verify(&foreign, NOW));
        let mut extended = tokens.issue(NOW);
        extended.expiration += 1;
        assert!(!tokens.verify(&extended, NOW));
    }

    #[test]
    fn tickets_name_the_recipient_and_stay_under_the_default_ev_cap() {
        let recipient = Address([7; 20]);
        let params = TicketIssuer::new(recipient).issue(NOW);
        assert_eq!(params.recipient, recipient.0.to_vec());
        assert_eq!(params.recipient_rand_hash.len(), 32);
        let face = BigUint::from_bytes_be(&params.face_value);
        let ev = (&face * BigUint::from_bytes_be(&params.win_prob)) >> 256u32;
        assert!(
            ev > BigUint::from(0u8) && ev <= BigUint::from(3_000_000_000_000u64),
            "{ev}"
        );
        let expiration = params.expiration_params.unwrap();
        assert!(expiration.creation_round > 0);
        assert_eq!(expiration.creation_round_block_hash.len(), 32);
    }
}
