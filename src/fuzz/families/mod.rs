//! Fuzz families: small named generators over named data lists. Case `k` of a family starts
//! from entry `k` of its list (cycling), so a family's first cases cover its whole list; the rest
//! of a case comes from a ChaCha stream seeded for that case alone. A case is named `family#k`,
//! and the run's seed with that name regenerates it byte for byte.

mod capabilities;
mod draw;
mod encoding;
mod identity;
mod session;
mod strings;

use std::sync::Arc;

use bytes::Bytes;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::fields::{field_families, FieldFamily};
use crate::eth::{self, EthKey};
use crate::gateway::signed_orchestrator_request;
use crate::proto::net::OrchestratorRequest;
use crate::protocol::{Protocol, RpcMethod};
use capabilities::{capability_bitstring, capacities_map};
use draw::Draw;
use encoding::{mutated_encoding, oversized, raw_bytes, unknown_fields};
use identity::{address_length, bad_signature};
use session::{end_session_token, ping_value};
use strings::invalid_utf8;

/// One generated request: which case it is, how to regenerate it, and the bytes sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuzzInput {
    /// `family#index`.
    pub case: String,
    pub family: String,
    /// The seed of the case's own random stream, derived from the run's seed and the case name.
    pub case_seed: u64,
    /// The HTTP/2 `:path` the body is sent to.
    pub path: String,
    pub body: Bytes,
}

/// A named generator of requests: written by hand where it knows more than the descriptors
/// (signatures, tokens, capability maps), or derived from one request field of the loaded proto.
#[derive(Debug, Clone)]
pub enum Family {
    Written(&'static WrittenFamily),
    Field(Arc<FieldFamily>),
}

impl Family {
    pub fn name(&self) -> &str {
        match self {
            Family::Written(family) => family.name,
            Family::Field(family) => &family.name,
        }
    }

    /// One line for `--help` and the README.
    pub fn about(&self) -> String {
        match self {
            Family::Written(family) => family.about.to_string(),
            Family::Field(family) => family.about(),
        }
    }
}

/// Every family of a run with `proto` loaded, in the order a run takes turns between them: the
/// written ones, then one per request field of the loaded proto.
pub fn families(proto: &Protocol) -> Vec<Family> {
    let written = FAMILIES.iter().map(Family::Written);
    let fields = field_families(proto)
        .into_iter()
        .map(|family| Family::Field(Arc::new(family)));
    written.chain(fields).collect()
}

/// A family written by hand.
#[derive(Debug)]
pub struct WrittenFamily {
    pub name: &'static str,
    /// One line for `--help` and the README.
    pub about: &'static str,
    generate: fn(&mut Draw<'_>) -> (RpcMethod, Bytes),
}

/// Every written family, in the order a run takes turns between them.
pub const FAMILIES: &[WrittenFamily] = &[
    WrittenFamily {
        name: "raw-bytes",
        about: "arbitrary bytes as the request body of each method",
        generate: raw_bytes,
    },
    WrittenFamily {
        name: "mutated-encoding",
        about: "valid requests cut short, with bits flipped, bytes inserted or removed",
        generate: mutated_encoding,
    },
    WrittenFamily {
        name: "bad-signature",
        about: "signed GetOrchestrator with empty, truncated, extended, high-s, foreign or wrong-message signatures",
        generate: bad_signature,
    },
    WrittenFamily {
        name: "address-length",
        about: "signed GetOrchestrator whose address has every length from 0 to 64 bytes",
        generate: address_length,
    },
    WrittenFamily {
        name: "capability-bitstring",
        about: "capability bitstrings and mandatories from 0 to 100000 words, in odd bit patterns",
        generate: capability_bitstring,
    },
    WrittenFamily {
        name: "capacities-map",
        about: "capacities, per-capability constraints and model maps with thousands of entries",
        generate: capacities_map,
    },
    WrittenFamily {
        name: "invalid-utf8",
        about: "invalid UTF-8 in every string field of the requests, by raw encoding",
        generate: invalid_utf8,
    },
    WrittenFamily {
        name: "unknown-fields",
        about: "valid requests with unknown fields, groups, field number 0 and wrong wire types",
        generate: unknown_fields,
    },
    WrittenFamily {
        name: "oversized",
        about: "messages just under, at and over the 4 MiB gRPC message limit",
        generate: oversized,
    },
    WrittenFamily {
        name: "ping-value",
        about: "Ping values of odd lengths, from empty to 1 MiB",
        generate: ping_value,
    },
    WrittenFamily {
        name: "end-session-token",
        about: "EndTranscodingSession with forged, truncated, empty and missing auth tokens",
        generate: end_session_token,
    },
];

/// What every case may build on, made once per run: a correctly signed discovery request and
/// signatures that are wrong in instructive ways. Signing is deterministic (RFC 6979), so the
/// same key gives the same bytes in every run.
pub struct Ingredients {
    signed: OrchestratorRequest,
    /// The gateway's message signed by another key.
    impostor_signature: Vec<u8>,
    /// The gateway's signature over another address's message.
    wrong_message_signature: Vec<u8>,
}

impl Ingredients {
    pub fn new(gateway: &EthKey, seed: u64) -> Self {
        let message = eth::orchestrator_request_message(&gateway.address());
        let other = derived_key("other", seed).address();
        Self {
            signed: signed_orchestrator_request(gateway),
            impostor_signature: derived_key("impostor", seed).sign_message(&message).to_vec(),
            wrong_message_signature: gateway
                .sign_message(&eth::orchestrator_request_message(&other))
                .to_vec(),
        }
    }
}

/// The gateway key of a run without `--gateway-key`: derived from the seed, so the signed
/// requests of a seed are the same bytes in every run.
pub fn gateway_for_seed(seed: u64) -> EthKey {
    derived_key("gateway", seed)
}

fn derived_key(role: &str, seed: u64) -> EthKey {
    let secret = eth::keccak256(format!("lpconform fuzz {role} {seed}").as_bytes());
    EthKey::from_hex(&hex::encode(secret)).expect("a keccak digest is a valid secp256k1 key")
}

/// The seed of case `family#index` in a run with `run_seed`.
pub fn case_seed(run_seed: u64, family: &str, index: u64) -> u64 {
    let digest = eth::keccak256(format!("lpconform fuzz case {run_seed} {family}#{index}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// Case `index` of `family` in a run with `run_seed`.
pub fn generate(family: &Family, index: u64, run_seed: u64, ingredients: &Ingredients) -> FuzzInput {
    let case_seed = case_seed(run_seed, family.name(), index);
    let mut draw = Draw {
        index,
        rng: ChaCha8Rng::seed_from_u64(case_seed),
        ingredients,
    };
    let (path, body) = match family {
        Family::Written(family) => {
            let (method, body) = (family.generate)(&mut draw);
            (method.path().to_string(), body)
        }
        Family::Field(family) => {
            let base = family.method.map(|method| draw.valid_body(method)).unwrap_or_default();
            (family.path.clone(), Bytes::from(family.body(index, base)))
        }
    };
    FuzzInput {
        case: format!("{}#{index}", family.name()),
        family: family.name().to_string(),
        case_seed,
        path,
        body,
    }
}

/// The written family called `name`.
#[cfg(test)]
fn family(name: &str) -> Family {
    Family::Written(FAMILIES.iter().find(|family| family.name == name).unwrap())
}

/// The ingredients of a run with `seed` and no `--gateway-key`.
#[cfg(test)]
fn ingredients(seed: u64) -> Ingredients {
    Ingredients::new(&gateway_for_seed(seed), seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_is_the_same_bytes_for_the_same_seed_and_name() {
        let first = ingredients(7);
        let second = ingredients(7);
        let all = families(&Protocol::built_in());
        for family in &all {
            for index in 0..40 {
                let one = generate(family, index, 7, &first);
                let again = generate(family, index, 7, &second);
                assert_eq!(one, again, "{}", one.case);
                assert_eq!(one.case, format!("{}#{index}", family.name()));
            }
        }
        let other_seed = ingredients(8);
        let differs = all
            .iter()
            .any(|family| generate(family, 3, 7, &first).body != generate(family, 3, 8, &other_seed).body);
        assert!(differs, "another seed gives other cases");
    }

    #[test]
    fn family_names_are_unique_kebab_case() {
        for (position, family) in FAMILIES.iter().enumerate() {
            assert!(family
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
            assert!(FAMILIES[position + 1..].iter().all(|other| other.name != family.name));
            assert!(!family.name.starts_with("field"), "field:… names the derived families");
        }
    }
}
