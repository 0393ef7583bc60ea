//! The ticket parameters the reference orchestrator issues on chain: worth go-livepeer's default
//! EV, naming its recipient, each with a fresh seed whose recipient rand it can derive again.

use hmac::{Hmac, Mac};
use num_bigint::BigUint;
use num_traits::{One, Zero};
use sha2::Sha256;

use super::advert::TX_COST_MULTIPLIER;
use crate::ambient::random_bytes;
use crate::eth::{keccak256, Address};
use crate::proto::net::{TicketExpirationParams, TicketParams};

type HmacSha256 = Hmac<Sha256>;

/// Ticket parameters as an on-chain orchestrator issues them. The simulated
/// chain starts at a plausible mainnet round and advances a block every 12 s.
pub struct TicketIssuer {
    recipient: Address,
    secret: [u8; 32],
}

/// The expected value of a ticket, go-livepeer's `-ticketEV` default.
pub const TICKET_EV_WEI: u64 = 8_000_000_000;
/// What redeeming a winning ticket costs (gas x gas price), a constant here; the face value is
/// [`TX_COST_MULTIPLIER`] times it.
pub const TX_COST_WEI: u64 = 12_000_000_000_000;
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

    /// The simulated L1 head at `now`.
    pub fn l1_block(now: i64) -> i64 {
        FIRST_BLOCK + (now - CHAIN_EPOCH).max(0) / SECONDS_PER_BLOCK
    }

    /// Fresh parameters for one answer. A gateway that is charged nothing (`charges` false:
    /// price 0) gets face value and win probability 0, as from go-livepeer. Numbers are
    /// minimal big-endian, empty for zero (`big.Int.Bytes()`).
    pub fn issue(&self, now: i64, charges: bool) -> TicketParams {
        let block = Self::l1_block(now);
        let round = block / BLOCKS_PER_ROUND;
        let seed = BigUint::from_bytes_be(&random_bytes(32)).to_bytes_be();
        let (face_value, win_prob) = if charges {
            let face_value = face_value();
            let win_prob = win_prob(&face_value);
            (minimal_bytes(&face_value), minimal_bytes(&win_prob))
        } else {
            (Vec::new(), Vec::new())
        };
        TicketParams {
            recipient: self.recipient.0.to_vec(),
            face_value,
            win_prob,
            recipient_rand_hash: keccak256(&self.recipient_rand(&seed)).to_vec(),
            seed,
            expiration_block: minimal_bytes(&BigUint::from(u64::try_from(block + VALIDITY_BLOCKS).unwrap_or(0))),
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

/// go-livepeer's face value for a funded sender: tx cost x multiplier, or 100 x EV when
/// that is below the EV.
fn face_value() -> BigUint {
    let by_cost = BigUint::from(TX_COST_WEI) * BigUint::from(TX_COST_MULTIPLIER);
    if by_cost < BigUint::from(TICKET_EV_WEI) {
        BigUint::from(TICKET_EV_WEI) * BigUint::from(100u8)
    } else {
        by_cost
    }
}

/// The win probability over 2^256 - 1 that makes the ticket worth the EV, rounded up.
fn win_prob(face_value: &BigUint) -> BigUint {
    let max_win_prob = (BigUint::one() << 256u32) - BigUint::one();
    let ev = BigUint::from(TICKET_EV_WEI);
    if *face_value == ev {
        return max_win_prob;
    }
    let quotient = &max_win_prob / face_value;
    let rounded_up = if (&max_win_prob % face_value).is_zero() {
        quotient
    } else {
        quotient + BigUint::one()
    };
    ev * rounded_up
}

/// `big.Int.Bytes()`: minimal big-endian, empty for zero.
fn minimal_bytes(number: &BigUint) -> Vec<u8> {
    if number.is_zero() {
        Vec::new()
    } else {
        number.to_bytes_be()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn tickets_are_worth_go_livepeers_default_ev_and_expire_40_blocks_past_the_head() {
        let recipient = Address([7; 20]);
        let issuer = TicketIssuer::new(recipient);
        let params = issuer.issue(NOW, true);
        assert_eq!(params.recipient, recipient.0.to_vec());
        assert_eq!(params.recipient_rand_hash.len(), 32);
        let face = BigUint::from_bytes_be(&params.face_value);
        assert_eq!(face, BigUint::from(TX_COST_WEI) * BigUint::from(TX_COST_MULTIPLIER));
        // EV = face x winProb / 2^256, the win probability rounded up: 8e9 wei, to the wei.
        let ev = (&face * BigUint::from_bytes_be(&params.win_prob)) >> 256u32;
        assert_eq!(ev, BigUint::from(TICKET_EV_WEI));
        assert_ne!(params.face_value[0], 0, "minimal big-endian");
        let expiration_block = BigUint::from_bytes_be(&params.expiration_block);
        assert_eq!(
            expiration_block,
            BigUint::from((TicketIssuer::l1_block(NOW) + 40) as u64)
        );
        let expiration = params.expiration_params.unwrap();
        assert!(expiration.creation_round > 0);
        assert_eq!(expiration.creation_round_block_hash.len(), 32);

        let again = issuer.issue(NOW, true);
        assert_ne!(again.seed, params.seed, "a fresh seed per answer");
        assert_ne!(again.recipient_rand_hash, params.recipient_rand_hash);
    }

    #[test]
    fn a_gateway_charged_nothing_gets_zero_face_value_and_win_probability() {
        let params = TicketIssuer::new(Address([7; 20])).issue(NOW, false);
        assert!(params.face_value.is_empty(), "big.Int 0 is no bytes");
        assert!(params.win_prob.is_empty());
        assert!(params.seed.len() <= 32);
    }
}
