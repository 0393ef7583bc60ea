//! Ethereum identity: addresses (EIP-55), `eth_sign` signatures over the
//! EIP-191 text hash, and recovery with the checks go-livepeer applies
//! (65 bytes, v in {27, 28}, low s).

use std::fmt;

use k256::ecdsa::{RecoveryId, Signature, SigningKey, VerifyingKey};
use sha3::{Digest, Keccak256};
use zeroize::Zeroizing;

/// Why a key or signature was refused.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum EthError {
    #[error("signature is {0} bytes, expected 65")]
    SignatureLength(usize),
    #[error("signature recovery byte v is {0}, expected 27 or 28")]
    RecoveryByte(u8),
    #[error("signature s value is in the upper half of the curve order (not low-s)")]
    HighS,
    #[error("signature does not recover to a public key")]
    Unrecoverable,
    #[error("address is {0} bytes, expected 20")]
    AddressLength(usize),
    #[error("not a hex string: {0}")]
    Hex(String),
    #[error("private key is not a valid secp256k1 scalar (expected 32 bytes of hex)")]
    PrivateKey,
}

/// Length of an `eth_sign` signature: r (32) || s (32) || v (1).
pub const SIGNATURE_LEN: usize = 65;

pub fn keccak256(data: &[u8]) -> [u8; 32] {
    Keccak256::digest(data).into()
}

/// The EIP-191 "personal message" hash that `eth_sign` signs.
pub fn eip191_hash(message: &[u8]) -> [u8; 32] {
    let mut hasher = Keccak256::new();
    hasher.update(format!("\x19Ethereum Signed Message:\n{}", message.len()).as_bytes());
    hasher.update(message);
    hasher.finalize().into()
}

/// A 20-byte Ethereum account address.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Address(pub [u8; 20]);

impl Address {
    /// Bytes in an address.
    pub const LEN: usize = 20;

    pub fn from_slice(bytes: &[u8]) -> Result<Self, EthError> {
        let array: [u8; 20] = bytes.try_into().map_err(|_| EthError::AddressLength(bytes.len()))?;
        Ok(Self(array))
    }

    /// Parses `0x`-prefixed or bare hex, in any letter case.
    pub fn parse(text: &str) -> Result<Self, EthError> {
        let hex_digits = text.strip_prefix("0x").unwrap_or(text);
        let bytes = hex::decode(hex_digits).map_err(|_| EthError::Hex(text.to_string()))?;
        Self::from_slice(&bytes)
    }

    fn from_public_key(key: &VerifyingKey) -> Self {
        let uncompressed = key.to_encoded_point(false);
        let hash = keccak256(&uncompressed.as_bytes()[1..]);
        let mut address = [0u8; 20];
        address.copy_from_slice(&hash[12..]);
        Self(address)
    }

    /// EIP-55 mixed-case checksum form, with `0x`.
    pub fn to_checksum(&self) -> String {
        let lower = hex::encode(self.0);
        let hash = keccak256(lower.as_bytes());
        let mut out = String::with_capacity(42);
        out.push_str("0x");
        for (index, character) in lower.chars().enumerate() {
            let nibble = (hash[index / 2] >> (if index % 2 == 0 { 4 } else { 0 })) & 0x0f;
            if character.is_ascii_alphabetic() && nibble >= 8 {
                out.push(character.to_ascii_uppercase());
            } else {
                out.push(character);
            }
        }
        out
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_checksum())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_checksum())
    }
}

/// A secp256k1 private key. Its `Debug` never shows the secret.
#[derive(Clone)]
pub struct EthKey {
    signing_key: SigningKey,
}

impl EthKey {
    pub fn random() -> Self {
        Self {
            signing_key: SigningKey::random(&mut rand::rngs::OsRng),
        }
    }

    /// Parses 32 bytes of hex (optional `0x`, surrounding white space ignored),
    /// the format of `--gateway-key` files.
    pub fn from_hex(text: &str) -> Result<Self, EthError> {
        let trimmed = text.trim();
        let hex_digits = trimmed.strip_prefix("0x").unwrap_or(trimmed);
        let bytes = Zeroizing::new(hex::decode(hex_digits).map_err(|_| EthError::PrivateKey)?);
        let signing_key = SigningKey::from_slice(&bytes).map_err(|_| EthError::PrivateKey)?;
        Ok(Self { signing_key })
    }

    pub fn address(&self) -> Address {
        Address::from_public_key(self.signing_key.verifying_key())
    }

    /// `eth_sign`: signs the EIP-191 hash of `message`; 65 bytes r||s||v, v in {27, 28}, low s.
    pub fn sign_message(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        let hash = eip191_hash(message);
        let (signature, recovery_id) = self
            .signing_key
            .sign_prehash_recoverable(&hash)
            .expect("signing a 32-byte prehash cannot fail");
        let (signature, recovery_id) = match signature.normalize_s() {
            // Flipping s to n - s flips the parity of the recovered point.
            Some(low) => (
                low,
                RecoveryId::new(!recovery_id.is_y_odd(), recovery_id.is_x_reduced()),
            ),
            None => (signature, recovery_id),
        };
        let mut out = [0u8; SIGNATURE_LEN];
        out[..64].copy_from_slice(&signature.to_bytes());
        out[64] = 27 + recovery_id.to_byte();
        out
    }
}

impl fmt::Debug for EthKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EthKey({}, private key redacted)", self.address())
    }
}

/// A message, a signature over it and who signed it.
type Recovery = (Vec<u8>, Vec<u8>, Result<Address, EthError>);

/// Checks the form of a 65-byte `eth_sign` signature and recovers its signer. The last
/// recovery is remembered: the same signature is often checked again (the reference verifies
/// every discovery of one gateway, the fuzz checks judge one Ping answer per input), and
/// secp256k1 recovery costs far more than everything around it.
pub fn recover_signer(message: &[u8], signature: &[u8]) -> Result<Address, EthError> {
    static LAST: std::sync::Mutex<Option<Recovery>> = std::sync::Mutex::new(None);
    let remembered = || LAST.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((seen_message, seen_signature, recovered)) = remembered().as_ref() {
        if seen_message == message && seen_signature == signature {
            return recovered.clone();
        }
    }
    // Recovered outside the lock, so concurrent callers do not wait for each other.
    let recovered = recover_uncached(message, signature);
    *remembered() = Some((message.to_vec(), signature.to_vec(), recovered.clone()));
    recovered
}

fn recover_uncached(message: &[u8], signature: &[u8]) -> Result<Address, EthError> {
    if signature.len() != SIGNATURE_LEN {
        return Err(EthError::SignatureLength(signature.len()));
    }
    let v = signature[64];
    if v != 27 && v != 28 {
        return Err(EthError::RecoveryByte(v));
    }
    let parsed = Signature::from_slice(&signature[..64]).map_err(|_| EthError::Unrecoverable)?;
    if parsed.normalize_s().is_some() {
        return Err(EthError::HighS);
    }
    let recovery_id = RecoveryId::from_byte(v - 27).ok_or(EthError::RecoveryByte(v))?;
    let key = VerifyingKey::recover_from_prehash(&eip191_hash(message), &parsed, recovery_id)
        .map_err(|_| EthError::Unrecoverable)?;
    Ok(Address::from_public_key(&key))
}

/// The message a gateway signs in `OrchestratorRequest.sig`: keccak256 of its
/// EIP-55 address string.
pub fn orchestrator_request_message(gateway: &Address) -> [u8; 32] {
    keccak256(gateway.to_checksum().as_bytes())
}

/// The message an on-chain orchestrator signs in its Ping answer.
pub fn ping_message(value: &[u8]) -> [u8; 32] {
    keccak256(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    // A widely published test key (web3.js documentation) with its address and
    // the signature of the text "Some data", computed by other implementations.
    const KEY: &str = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
    const ADDRESS: &str = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";
    const SOME_DATA_SIGNATURE: &str = "b91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a0291c";

    #[test]
    fn key_gives_known_checksummed_address() {
        let key = EthKey::from_hex(KEY).unwrap();
        assert_eq!(key.address().to_checksum(), ADDRESS);
    }

    #[test]
    fn eth_sign_matches_known_signature() {
        let key = EthKey::from_hex(KEY).unwrap();
        assert_eq!(hex::encode(key.sign_message(b"Some data")), SOME_DATA_SIGNATURE);
        let signature = hex::decode(SOME_DATA_SIGNATURE).unwrap();
        assert_eq!(recover_signer(b"Some data", &signature).unwrap().to_checksum(), ADDRESS);
    }

    #[test]
    fn eip55_vectors_from_the_eip() {
        for expected in [
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
            "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        ] {
            assert_eq!(
                Address::parse(&expected.to_lowercase()).unwrap().to_checksum(),
                expected
            );
        }
    }

    #[test]
    fn signatures_round_trip_and_are_low_s() {
        let key = EthKey::random();
        for message in [&b""[..], b"ping", &[0xffu8; 32][..]] {
            let signature = key.sign_message(message);
            assert!(signature[64] == 27 || signature[64] == 28);
            assert_eq!(recover_signer(message, &signature).unwrap(), key.address());
        }
    }

    #[test]
    fn malformed_signatures_are_refused() {
        let key = EthKey::random();
        let mut signature = key.sign_message(b"x");
        assert_eq!(
            recover_signer(b"x", &signature[..64]),
            Err(EthError::SignatureLength(64))
        );
        signature[64] = 1;
        assert_eq!(recover_signer(b"x", &signature), Err(EthError::RecoveryByte(1)));

        // The same signature with s replaced by n - s is valid ECDSA but high-s.
        let good = key.sign_message(b"x");
        let parsed = Signature::from_slice(&good[..64]).unwrap();
        let high_s = Signature::from_scalars(parsed.r(), -*parsed.s()).unwrap();
        let mut high = [0u8; 65];
        high[..64].copy_from_slice(&high_s.to_bytes());
        high[64] = 27 + (1 - (good[64] - 27));
        assert_eq!(recover_signer(b"x", &high), Err(EthError::HighS));
    }

    #[test]
    fn the_remembered_recovery_answers_only_the_same_message_and_signature() {
        let (first, second) = (EthKey::random(), EthKey::random());
        let message = keccak256(b"ping value");
        let by_first = first.sign_message(&message);
        let by_second = second.sign_message(&message);
        for _ in 0..2 {
            assert_eq!(recover_signer(&message, &by_first), Ok(first.address()));
            assert_eq!(recover_signer(&message, &by_first), Ok(first.address()), "remembered");
            assert_eq!(recover_signer(&message, &by_second), Ok(second.address()));
            assert_ne!(
                recover_signer(&keccak256(b"other value"), &by_second),
                Ok(second.address())
            );
            assert_eq!(
                recover_signer(&message, &by_second[..64]),
                Err(EthError::SignatureLength(64))
            );
        }
    }

    #[test]
    fn a_different_message_recovers_a_different_signer() {
        let key = EthKey::random();
        let signature = key.sign_message(b"one");
        assert_ne!(recover_signer(b"two", &signature).ok(), Some(key.address()));
    }

    #[test]
    fn debug_hides_the_private_key() {
        let key = EthKey::from_hex(KEY).unwrap();
        let shown = format!("{key:?}");
        assert!(!shown.contains(&KEY[2..]) && shown.contains("redacted"));
    }
}
