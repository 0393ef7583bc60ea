//! Families that break the gateway's identity in a signed discovery: its signature and its address.

use bytes::Bytes;
use num_bigint::BigUint;
use prost::Message;
use rand::Rng;

use super::draw::Draw;
use crate::eth;
use crate::protocol::RpcMethod;

#[derive(Debug, Clone, Copy)]
enum SignatureMutation {
    Empty,
    Truncated(usize),
    /// One byte appended: 66 bytes.
    Extended,
    /// The signature twice: 130 bytes.
    Doubled,
    FlippedBit,
    RecoveryByte(u8),
    /// s replaced by n - s (and v flipped): valid ECDSA, refused by go-livepeer.
    HighS,
    Zeros,
    Ones,
    Impostor,
    WrongMessage,
}

const SIGNATURE_MUTATIONS: &[SignatureMutation] = &[
    SignatureMutation::Empty,
    SignatureMutation::Truncated(64),
    SignatureMutation::Truncated(1),
    SignatureMutation::Truncated(32),
    SignatureMutation::Extended,
    SignatureMutation::Doubled,
    SignatureMutation::FlippedBit,
    SignatureMutation::RecoveryByte(0),
    SignatureMutation::RecoveryByte(1),
    SignatureMutation::RecoveryByte(29),
    SignatureMutation::RecoveryByte(255),
    SignatureMutation::HighS,
    SignatureMutation::Zeros,
    SignatureMutation::Ones,
    SignatureMutation::Impostor,
    SignatureMutation::WrongMessage,
];

/// The order of secp256k1, for the high-s twin of a signature.
const CURVE_ORDER: &[u8] = b"fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";

pub(super) fn bad_signature(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
    let mut request = draw.signed();
    let signature = &mut request.sig;
    match draw.entry(SIGNATURE_MUTATIONS, draw.index) {
        SignatureMutation::Empty => signature.clear(),
        SignatureMutation::Truncated(len) => signature.truncate(len),
        SignatureMutation::Extended => signature.push(draw.rng.gen()),
        SignatureMutation::Doubled => *signature = signature.repeat(2),
        SignatureMutation::FlippedBit => {
            let at = draw.rng.gen_range(0..signature.len().max(1));
            if let Some(byte) = signature.get_mut(at) {
                *byte ^= 1 << draw.rng.gen_range(0..8);
            }
        }
        SignatureMutation::RecoveryByte(v) => {
            if let Some(last) = signature.last_mut() {
                *last = v;
            }
        }
        SignatureMutation::HighS => *signature = high_s(signature),
        SignatureMutation::Zeros => signature.fill(0),
        SignatureMutation::Ones => signature.fill(0xff),
        SignatureMutation::Impostor => signature.clone_from(&draw.ingredients.impostor_signature),
        SignatureMutation::WrongMessage => signature.clone_from(&draw.ingredients.wrong_message_signature),
    }
    (RpcMethod::GetOrchestrator, request.encode_to_vec().into())
}

/// The same signature with s replaced by n - s and the recovery byte flipped.
fn high_s(signature: &[u8]) -> Vec<u8> {
    let Some(order) = BigUint::parse_bytes(CURVE_ORDER, 16) else {
        return signature.to_vec();
    };
    if signature.len() != 65 {
        return signature.to_vec();
    }
    let s = BigUint::from_bytes_be(&signature[32..64]);
    if s >= order {
        return signature.to_vec();
    }
    let high = (order - s).to_bytes_be();
    let mut out = signature[..32].to_vec();
    out.extend(std::iter::repeat_n(0, 32 - high.len()));
    out.extend_from_slice(&high);
    out.push(if signature[64] == 27 { 28 } else { 27 });
    out
}

#[derive(Debug, Clone, Copy)]
enum AddressSource {
    /// The gateway's own address, cut or extended with random bytes.
    Gateway,
    Zeros,
    Random,
}

const ADDRESS_SOURCES: &[AddressSource] = &[AddressSource::Gateway, AddressSource::Zeros, AddressSource::Random];

/// Every address length from 0 to this.
const LONGEST_ADDRESS: u64 = 64;

pub(super) fn address_length(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
    let len = (draw.index % (LONGEST_ADDRESS + 1)) as usize;
    let mut request = draw.signed();
    request.address = match draw.pick(ADDRESS_SOURCES) {
        AddressSource::Gateway => {
            let mut address = request.address.clone();
            address.resize(len, 0);
            for byte in address.iter_mut().skip(eth::Address::LEN) {
                *byte = draw.rng.gen();
            }
            address
        }
        AddressSource::Zeros => vec![0; len],
        AddressSource::Random => draw.bytes(len),
    };
    (RpcMethod::GetOrchestrator, request.encode_to_vec().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::families::gateway_for_seed;
    use crate::fuzz::families::{family, generate, ingredients};
    use crate::proto::net::OrchestratorRequest;

    #[test]
    fn address_lengths_cover_0_to_64() {
        let ingredients = ingredients(1);
        let family = family("address-length");
        let mut lengths: Vec<usize> = (0..=LONGEST_ADDRESS)
            .map(|index| {
                let input = generate(&family, index, 1, &ingredients);
                OrchestratorRequest::decode(input.body).unwrap().address.len()
            })
            .collect();
        lengths.dedup();
        assert_eq!(lengths, (0..=64).collect::<Vec<usize>>());
    }

    #[test]
    fn high_s_is_the_twin_go_livepeer_refuses() {
        let key = gateway_for_seed(3);
        let signature = key.sign_message(b"x");
        let twin = high_s(&signature);
        assert_eq!(twin.len(), 65);
        assert_eq!(eth::recover_signer(b"x", &twin), Err(eth::EthError::HighS));
    }
}
