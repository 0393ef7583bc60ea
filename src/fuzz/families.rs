//! Fuzz families: small named generators over named data lists. Case `k` of a family starts
//! from entry `k` of its list (cycling), so a family's first cases cover its whole list; the rest
//! of a case comes from a ChaCha stream seeded for that case alone. A case is named `family#k`,
//! and the run's seed with that name regenerates it byte for byte.

use bytes::Bytes;
use num_bigint::BigUint;
use prost::Message;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use std::fmt::Write as _;
use std::sync::Arc;

use super::fields::{field_families, FieldFamily};
use super::filler::FillerPool;
use super::wire::{self, WireType};
use crate::capability;
use crate::eth::{self, EthKey};
use crate::gateway::signed_orchestrator_request;
use crate::proto::net::{AuthToken, Capabilities, EndTranscodingSessionRequest, OrchestratorRequest, PingPong};
use crate::protocol::{Protocol, RpcMethod};
use crate::transport::GRPC_MESSAGE_LIMIT;

/// An expiration far in the future (2100-01-01), fixed so cases replay byte for byte.
const FAR_FUTURE: i64 = 4_102_444_800;

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

/// What a generator draws from.
struct Draw<'a> {
    /// The case's number within its family.
    index: u64,
    rng: ChaCha8Rng,
    ingredients: &'a Ingredients,
}

impl Draw<'_> {
    /// Entry `position` of `list`, cycling: the family's systematic choice.
    fn entry<T: Copy>(&self, list: &[T], position: u64) -> T {
        list[(position % list.len() as u64) as usize]
    }

    /// For families that go through the three methods first: the method, then the entry of
    /// `list` for this case.
    fn method_and_entry<T: Copy>(&self, list: &[T]) -> (RpcMethod, T) {
        let methods = RpcMethod::ALL.len() as u64;
        (
            self.entry(&RpcMethod::ALL, self.index),
            self.entry(list, self.index / methods),
        )
    }

    /// A random entry of `list`: the family's secondary choices.
    fn pick<T: Copy>(&mut self, list: &[T]) -> T {
        list[self.rng.gen_range(0..list.len())]
    }

    fn chance(&mut self, one_in: u32) -> bool {
        self.rng.gen_range(0..one_in) == 0
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; len];
        self.rng.fill_bytes(&mut bytes);
        bytes
    }

    fn filled(&mut self, len: usize, fill: Fill) -> Vec<u8> {
        match fill {
            Fill::Random => self.bytes(len),
            Fill::Zeros => vec![0; len],
            Fill::Ones => vec![0xff; len],
        }
    }

    fn signed(&self) -> OrchestratorRequest {
        self.ingredients.signed.clone()
    }

    fn forged_token(&mut self) -> AuthToken {
        AuthToken {
            token: self.bytes(32),
            session_id: format!("lpconform-fuzz-{}", hex::encode(self.bytes(4))),
            expiration: FAR_FUTURE,
        }
    }

    /// A valid request of `method`, for the families that break valid requests.
    fn valid_body(&mut self, method: RpcMethod) -> Vec<u8> {
        match method {
            RpcMethod::GetOrchestrator => OrchestratorRequest {
                capabilities: Some(Capabilities {
                    bitstring: capability::encode_bitstring([capability::H264, capability::MPEGTS]),
                    version: "0.8.0".into(),
                    ..Default::default()
                }),
                ..self.signed()
            }
            .encode_to_vec(),
            RpcMethod::Ping => PingPong { value: self.bytes(32) }.encode_to_vec(),
            RpcMethod::EndTranscodingSession => EndTranscodingSessionRequest {
                auth_token: Some(self.forged_token()),
            }
            .encode_to_vec(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Fill {
    Random,
    Zeros,
    Ones,
}

const FILLS: &[Fill] = &[Fill::Random, Fill::Zeros, Fill::Ones];

const RAW_LENGTHS: &[usize] = &[0, 1, 2, 5, 16, 64, 255, 1_024, 65_536];

#[derive(Debug, Clone, Copy)]
enum RawShape {
    Filled(Fill),
    /// 0x80 repeated: a varint that never ends.
    EndlessVarint,
    /// Field 3 claiming a length of 4 GiB, again and again.
    HugeLengths,
    /// Keys of every wire type with no payloads.
    BareKeys,
}

const RAW_SHAPES: &[RawShape] = &[
    RawShape::Filled(Fill::Random),
    RawShape::Filled(Fill::Random),
    RawShape::Filled(Fill::Zeros),
    RawShape::Filled(Fill::Ones),
    RawShape::EndlessVarint,
    RawShape::HugeLengths,
    RawShape::BareKeys,
];

fn raw_bytes(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
    let (method, len) = draw.method_and_entry(RAW_LENGTHS);
    let body = match draw.pick(RAW_SHAPES) {
        RawShape::Filled(fill) => draw.filled(len, fill),
        RawShape::EndlessVarint => vec![0x80; len],
        RawShape::HugeLengths => [0x1a, 0xff, 0xff, 0xff, 0xff, 0x0f]
            .into_iter()
            .cycle()
            .take(len)
            .collect(),
        RawShape::BareKeys => (0..len)
            .map(|_| (draw.rng.gen::<u8>() & 0xf8) | draw.rng.gen_range(0..6))
            .collect(),
    };
    (method, body.into())
}

#[derive(Debug, Clone, Copy)]
enum Mutation {
    Truncate,
    FlipBits,
    InsertBytes,
    DeleteBytes,
    DuplicateTail,
    /// The first byte after the first key set to 0x7f: a length prefix that overruns.
    OverrunLength,
}

const MUTATIONS: &[Mutation] = &[
    Mutation::Truncate,
    Mutation::FlipBits,
    Mutation::InsertBytes,
    Mutation::DeleteBytes,
    Mutation::DuplicateTail,
    Mutation::OverrunLength,
];

fn mutated_encoding(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
    let (method, mutation) = draw.method_and_entry(MUTATIONS);
    let mut body = draw.valid_body(method);
    let times = draw.rng.gen_range(1..=4);
    match mutation {
        Mutation::Truncate => {
            let cut = draw.rng.gen_range(0..body.len().max(1));
            body.truncate(cut);
        }
        Mutation::FlipBits => {
            for _ in 0..times {
                let at = draw.rng.gen_range(0..body.len().max(1));
                if let Some(byte) = body.get_mut(at) {
                    *byte ^= 1 << draw.rng.gen_range(0..8);
                }
            }
        }
        Mutation::InsertBytes => {
            for _ in 0..times {
                let at = draw.rng.gen_range(0..=body.len());
                body.insert(at, draw.rng.gen());
            }
        }
        Mutation::DeleteBytes => {
            for _ in 0..times {
                if !body.is_empty() {
                    let at = draw.rng.gen_range(0..body.len());
                    body.remove(at);
                }
            }
        }
        Mutation::DuplicateTail => {
            let from = draw.rng.gen_range(0..body.len().max(1)).min(body.len());
            let tail = body[from..].to_vec();
            body.extend_from_slice(&tail);
        }
        Mutation::OverrunLength => {
            if let Some(length) = body.get_mut(1) {
                *length = 0x7f;
            }
        }
    }
    (method, body.into())
}

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

fn bad_signature(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
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

fn address_length(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
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

const BITSTRING_WORDS: &[usize] = &[1, 65, 0, 1_000, 2, 64, 100_000, 3, 63, 10_000];

#[derive(Debug, Clone, Copy)]
enum WordPattern {
    AllOnes,
    HighBitOnly,
    Alternating,
    Random,
    /// Only the last word set: capability numbers in the millions.
    LastWordOnly,
    Zeros,
}

const WORD_PATTERNS: &[WordPattern] = &[
    WordPattern::AllOnes,
    WordPattern::HighBitOnly,
    WordPattern::Alternating,
    WordPattern::Random,
    WordPattern::LastWordOnly,
    WordPattern::Zeros,
];

const VERSIONS: &[&str] = &["", "0.8.0", "v99999.99999.99999", "latest", "1.2.3-rc.1+build.5"];

/// Written field by field, as prost would encode the request: a hundred thousand words through
/// prost's varint loop cost more than the rest of a batch's generation, where a word repeated is
/// encoded once and copied.
fn capability_bitstring(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
    let words = draw.entry(BITSTRING_WORDS, draw.index);
    let pattern = draw.pick(WORD_PATTERNS);
    let mut bitstring = Vec::new();
    match pattern {
        WordPattern::AllOnes => wire::repeated_varint(&mut bitstring, u64::MAX, words),
        WordPattern::HighBitOnly => wire::repeated_varint(&mut bitstring, 1 << 63, words),
        WordPattern::Alternating => wire::repeated_varint(&mut bitstring, 0xaaaa_aaaa_aaaa_aaaa, words),
        WordPattern::Random => (0..words).for_each(|_| wire::varint(&mut bitstring, draw.rng.gen())),
        WordPattern::LastWordOnly => {
            wire::repeated_varint(&mut bitstring, 0, words.saturating_sub(1));
            wire::repeated_varint(&mut bitstring, 1 << 63, words.min(1));
        }
        WordPattern::Zeros => wire::repeated_varint(&mut bitstring, 0, words),
    }
    let mut mandatories = Vec::new();
    match draw.rng.gen_range(0..3) {
        0 => {}
        1 => mandatories.extend_from_slice(&bitstring),
        _ => wire::repeated_varint(&mut mandatories, u64::MAX, words + 1),
    }
    let version = draw.pick(VERSIONS);
    let ignore_capacity_check: bool = draw.rng.gen();

    let mut capabilities = Vec::new();
    // Empty repeated and string fields are left out, as prost leaves them out.
    for (field, value) in [(1, bitstring.as_slice()), (2, &mandatories), (4, version.as_bytes())] {
        if !value.is_empty() {
            wire::len_field(&mut capabilities, field, value);
        }
    }
    let mut body = draw.signed().encode_to_vec();
    wire::len_field(&mut body, 3, &capabilities);
    if ignore_capacity_check {
        wire::varint_field(&mut body, 4, 1);
    }
    (RpcMethod::GetOrchestrator, body.into())
}

const MAP_ENTRIES: &[usize] = &[1_000, 0, 5_000, 1, 20_000, 2_500];

#[derive(Debug, Clone, Copy)]
enum MapKeys {
    Sequential,
    Random,
    /// Counting down from u32::MAX.
    Top,
}

const MAP_KEYS: &[MapKeys] = &[MapKeys::Sequential, MapKeys::Random, MapKeys::Top];

#[derive(Debug, Clone, Copy)]
enum MapField {
    Capacities,
    PerCapability,
    Models,
}

const MAP_FIELDS: &[MapField] = &[MapField::Capacities, MapField::PerCapability, MapField::Models];

/// Maps are written entry by entry: prost encodes a `HashMap` in an order that changes between
/// runs, and a case must be the same bytes every time.
fn capacities_map(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
    let entries = draw.entry(MAP_ENTRIES, draw.index);
    let keys = draw.pick(MAP_KEYS);
    let field = draw.pick(MAP_FIELDS);
    let key = |draw: &mut Draw<'_>, entry: usize| -> u64 {
        match keys {
            MapKeys::Sequential => entry as u64,
            MapKeys::Random => u64::from(draw.rng.gen::<u32>()),
            MapKeys::Top => u64::from(u32::MAX) - entry as u64,
        }
    };
    let mut capabilities = Capabilities {
        bitstring: capability::encode_bitstring([capability::H264, capability::MPEGTS]),
        version: "0.8.0".into(),
        ..Default::default()
    }
    .encode_to_vec();
    match field {
        MapField::Capacities => {
            for entry in 0..entries {
                let capability = key(draw, entry);
                let capacity = draw.pick(&[0, 1, u64::from(u32::MAX)]);
                wire::message_field(&mut capabilities, 3, |out| {
                    wire::varint_field(out, 1, capability);
                    wire::varint_field(out, 2, capacity);
                });
            }
        }
        MapField::PerCapability => {
            // Every entry holds the same model, encoded once.
            let mut model = Vec::new();
            model_entry(&mut model, "lpconform/fuzz-model", 1);
            let mut constraints = Vec::new();
            for entry in 0..entries {
                let capability = key(draw, entry);
                wire::message_field(&mut constraints, 2, |out| {
                    wire::varint_field(out, 1, capability);
                    wire::len_field(out, 2, &model);
                });
            }
            wire::len_field(&mut capabilities, 5, &constraints);
        }
        MapField::Models => {
            let mut models = Vec::new();
            let mut model_id = String::new();
            for entry in 0..entries {
                let capacity = key(draw, entry);
                model_id.clear();
                write!(model_id, "lpconform/model-{entry}").expect("a String takes any write");
                model_entry(&mut models, &model_id, capacity);
            }
            wire::message_field(&mut capabilities, 5, |out| {
                wire::message_field(out, 2, |out| {
                    wire::varint_field(out, 1, 27);
                    wire::len_field(out, 2, &models);
                });
            });
        }
    }
    let mut body = draw.signed().encode_to_vec();
    wire::len_field(&mut body, 3, &capabilities);
    (RpcMethod::GetOrchestrator, body.into())
}

/// One entry of `CapabilityConstraints.models`: model id → ModelConstraint.
fn model_entry(out: &mut Vec<u8>, model_id: &str, capacity: u64) {
    wire::message_field(out, 1, |out| {
        wire::len_field(out, 1, model_id.as_bytes());
        wire::message_field(out, 2, |out| {
            wire::varint_field(out, 1, 1);
            wire::varint_field(out, 2, capacity);
            wire::len_field(out, 3, b"0.1.0");
        });
    });
}

const INVALID_UTF8: &[&[u8]] = &[
    &[0xff],
    // An overlong NUL.
    &[0xc0, 0x80],
    // A UTF-16 surrogate.
    &[0xed, 0xa0, 0x80],
    // Past U+10FFFF.
    &[0xf4, 0x90, 0x80, 0x80],
    // A three-byte sequence cut short.
    &[0xe2, 0x82],
    // A lone continuation byte.
    &[0x80],
    &[0xfe, 0xfe, 0xff, 0xff],
    b"0.8.0\xff",
];

#[derive(Debug, Clone, Copy)]
enum StringField {
    CapabilitiesVersion,
    MinVersion,
    ModelId,
    RunnerVersion,
    SessionId,
}

const STRING_FIELDS: &[StringField] = &[
    StringField::CapabilitiesVersion,
    StringField::MinVersion,
    StringField::ModelId,
    StringField::RunnerVersion,
    StringField::SessionId,
];

fn invalid_utf8(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
    let field = draw.entry(STRING_FIELDS, draw.index);
    let bad = draw.entry(INVALID_UTF8, draw.index / STRING_FIELDS.len() as u64);
    let mut capabilities = Vec::new();
    // Capabilities 0 and 1 (H.264, MPEG-TS) as a packed bitstring.
    wire::len_field(&mut capabilities, 1, &[0x03]);
    match field {
        StringField::SessionId => return (RpcMethod::EndTranscodingSession, bad_session_id(draw, bad).into()),
        StringField::CapabilitiesVersion => wire::len_field(&mut capabilities, 4, bad),
        StringField::MinVersion => wire::message_field(&mut capabilities, 5, |out| wire::len_field(out, 1, bad)),
        StringField::ModelId => model_constraint(&mut capabilities, bad, b"0.1.0"),
        StringField::RunnerVersion => model_constraint(&mut capabilities, b"lpconform/model", bad),
    }
    let mut body = draw.signed().encode_to_vec();
    wire::len_field(&mut body, 3, &capabilities);
    (RpcMethod::GetOrchestrator, body.into())
}

/// An EndTranscodingSessionRequest whose auth token has `session_id` as its session id.
fn bad_session_id(draw: &mut Draw<'_>, session_id: &[u8]) -> Vec<u8> {
    let token = draw.bytes(32);
    let mut body = Vec::new();
    wire::message_field(&mut body, 1, |out| {
        wire::len_field(out, 1, &token);
        wire::len_field(out, 2, session_id);
        wire::varint_field(out, 3, FAR_FUTURE as u64);
    });
    body
}

/// `constraints.PerCapability[27].models[model_id].runnerVersion` of a Capabilities message.
fn model_constraint(capabilities: &mut Vec<u8>, model_id: &[u8], runner_version: &[u8]) {
    wire::message_field(capabilities, 5, |out| {
        wire::message_field(out, 2, |out| {
            wire::varint_field(out, 1, 27);
            wire::message_field(out, 2, |out| {
                wire::message_field(out, 1, |out| {
                    wire::len_field(out, 1, model_id);
                    wire::message_field(out, 2, |out| wire::len_field(out, 3, runner_version));
                });
            });
        });
    });
}

#[derive(Debug, Clone, Copy)]
enum Extra {
    Varint(u32),
    Fixed32(u32),
    Fixed64(u32),
    Bytes(u32),
    Group(u32),
    /// Field number 0, which no message may use.
    FieldZero,
    /// A known field (1) sent with the wrong wire type.
    WrongWireType,
}

const EXTRAS: &[Extra] = &[
    Extra::Varint(5),
    Extra::Bytes(15),
    Extra::Fixed32(16),
    Extra::Fixed64(100),
    Extra::Bytes(2_047),
    // The largest field number.
    Extra::Varint(536_870_911),
    // The range protobuf reserves for itself.
    Extra::Bytes(19_000),
    Extra::Group(1_000),
    Extra::FieldZero,
    Extra::WrongWireType,
];

fn unknown_fields(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
    let (method, extra) = draw.method_and_entry(EXTRAS);
    let valid = draw.valid_body(method);
    let mut fields = Vec::new();
    for _ in 0..draw.rng.gen_range(1..=3) {
        match extra {
            Extra::Varint(field) => wire::varint_field(&mut fields, field, draw.rng.gen()),
            Extra::Fixed32(field) => {
                wire::key(&mut fields, field, WireType::Fixed32);
                fields.extend_from_slice(&draw.bytes(4));
            }
            Extra::Fixed64(field) => {
                wire::key(&mut fields, field, WireType::Fixed64);
                fields.extend_from_slice(&draw.bytes(8));
            }
            Extra::Bytes(field) => {
                let len = draw.pick(&[0, 1, 100, 10_000]);
                let bytes = draw.bytes(len);
                wire::len_field(&mut fields, field, &bytes);
            }
            Extra::Group(field) => {
                wire::key(&mut fields, field, WireType::StartGroup);
                wire::varint_field(&mut fields, 1, draw.rng.gen());
                wire::key(&mut fields, field, WireType::EndGroup);
            }
            Extra::FieldZero => wire::varint_field(&mut fields, 0, draw.rng.gen()),
            Extra::WrongWireType => {
                wire::key(&mut fields, 1, WireType::Fixed32);
                fields.extend_from_slice(&draw.bytes(4));
            }
        }
    }
    let body = if draw.chance(2) {
        [valid, fields].concat()
    } else {
        [fields, valid].concat()
    };
    (method, body.into())
}

/// Sizes relative to [`GRPC_MESSAGE_LIMIT`].
const SIZE_OFFSETS: &[i64] = &[-1, 0, 1, -1_024, 65_536, -65_536, GRPC_MESSAGE_LIMIT as i64];

/// The unknown field that pads a message to size.
const PADDING_FIELD: u32 = 1_000;

fn oversized(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
    let (method, offset) = draw.method_and_entry(SIZE_OFFSETS);
    let target = (GRPC_MESSAGE_LIMIT as i64 + offset).max(0) as usize;
    let mut body = draw.valid_body(method);
    // The key of field 1000 takes two bytes; the length prefix as many as its value needs.
    let overhead = |pad: usize| 2 + wire::varint_len(pad as u64);
    let mut pad = target.saturating_sub(body.len() + 2);
    while pad > 0 && body.len() + overhead(pad) + pad > target {
        pad -= 1;
    }
    let fill = draw.pick(&[0x00, 0x41, 0xff]);
    wire::key(&mut body, PADDING_FIELD, WireType::Len);
    wire::varint(&mut body, pad as u64);
    let padded = FillerPool::shared().body(&body, fill, body.len() + pad);
    (method, padded)
}

const PING_LENGTHS: &[usize] = &[0, 1, 31, 33, 64, 65, 2, 255, 4_096, 65_536, 7, 1_048_576];

fn ping_value(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
    let len = draw.entry(PING_LENGTHS, draw.index);
    let fill = draw.pick(FILLS);
    let value = draw.filled(len, fill);
    let mut body = Vec::new();
    // Sometimes a first value that the second replaces, as proto3 keeps the last one.
    if draw.chance(4) {
        let earlier_len = draw.pick(PING_LENGTHS).min(1_024);
        let earlier = draw.bytes(earlier_len);
        wire::len_field(&mut body, 1, &earlier);
    }
    body.extend(PingPong { value }.encode_to_vec());
    (RpcMethod::Ping, body.into())
}

const TOKEN_LENGTHS: &[usize] = &[32, 0, 16, 1, 31, 33, 64, 4_096];

const SESSION_IDS: &[&str] = &[
    "",
    "lpconform-fuzz",
    "\0",
    "ü\u{202e}💥",
    "../../../../etc/passwd",
    "%s%s%s%n",
    "' OR '1'='1",
];

const EXPIRATIONS: &[i64] = &[i64::MIN, -1, 0, FAR_FUTURE, i64::MAX];

#[derive(Debug, Clone, Copy)]
enum TokenShape {
    Full,
    /// No auth_token field at all.
    Missing,
    /// An auth_token with every field empty.
    Empty,
    /// The encoded request cut short.
    CutShort,
}

const TOKEN_SHAPES: &[TokenShape] = &[
    TokenShape::Full,
    TokenShape::Full,
    TokenShape::Full,
    TokenShape::Missing,
    TokenShape::Empty,
    TokenShape::CutShort,
];

fn end_session_token(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
    let len = draw.entry(TOKEN_LENGTHS, draw.index);
    let mut session_id = draw.pick(SESSION_IDS).to_string();
    if draw.chance(8) {
        session_id = session_id.repeat(1_000);
    }
    let token = AuthToken {
        token: draw.bytes(len),
        session_id,
        expiration: draw.pick(EXPIRATIONS),
    };
    let request = |auth_token| EndTranscodingSessionRequest { auth_token }.encode_to_vec();
    let body = match draw.pick(TOKEN_SHAPES) {
        TokenShape::Full => request(Some(token)),
        TokenShape::Missing => request(None),
        TokenShape::Empty => request(Some(AuthToken::default())),
        TokenShape::CutShort => {
            let mut body = request(Some(token));
            let cut = draw.rng.gen_range(0..body.len().max(1));
            body.truncate(cut);
            body
        }
    };
    (RpcMethod::EndTranscodingSession, body.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The written family called `name`.
    fn family(name: &str) -> Family {
        Family::Written(FAMILIES.iter().find(|family| family.name == name).unwrap())
    }

    fn ingredients(seed: u64) -> Ingredients {
        Ingredients::new(&gateway_for_seed(seed), seed)
    }

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
    fn oversized_messages_straddle_the_limit() {
        let ingredients = ingredients(1);
        let family = family("oversized");
        let sizes: Vec<usize> = (0..3)
            .map(|k| generate(&family, k * 3, 1, &ingredients).body.len())
            .collect();
        assert_eq!(
            sizes,
            [GRPC_MESSAGE_LIMIT - 1, GRPC_MESSAGE_LIMIT, GRPC_MESSAGE_LIMIT + 1]
        );
    }

    #[test]
    fn invalid_utf8_cases_fail_to_decode_only_for_utf8() {
        let ingredients = ingredients(1);
        let family = family("invalid-utf8");
        for index in 0..(STRING_FIELDS.len() * INVALID_UTF8.len()) as u64 {
            let input = generate(&family, index, 1, &ingredients);
            let error = match RpcMethod::from_path(&input.path).unwrap() {
                RpcMethod::GetOrchestrator => OrchestratorRequest::decode(input.body.clone()).map(drop),
                _ => EndTranscodingSessionRequest::decode(input.body.clone()).map(drop),
            }
            .expect_err(&input.case);
            assert!(error.to_string().contains("UTF-8"), "{}: {error}", input.case);
        }
    }

    #[test]
    fn high_s_is_the_twin_go_livepeer_refuses() {
        let key = gateway_for_seed(3);
        let signature = key.sign_message(b"x");
        let twin = high_s(&signature);
        assert_eq!(twin.len(), 65);
        assert_eq!(eth::recover_signer(b"x", &twin), Err(eth::EthError::HighS));
    }

    /// The capability-bitstring family as it was before it wrote its fields by hand: the
    /// request built as a message and encoded by prost, drawing from the stream in the same order.
    fn capability_bitstring_by_prost(draw: &mut Draw<'_>) -> Vec<u8> {
        let words = draw.entry(BITSTRING_WORDS, draw.index);
        let pattern = draw.pick(WORD_PATTERNS);
        let bitstring: Vec<u64> = (0..words)
            .map(|word| match pattern {
                WordPattern::AllOnes => u64::MAX,
                WordPattern::HighBitOnly => 1 << 63,
                WordPattern::Alternating => 0xaaaa_aaaa_aaaa_aaaa,
                WordPattern::Random => draw.rng.gen(),
                WordPattern::LastWordOnly if word + 1 == words => 1 << 63,
                WordPattern::LastWordOnly | WordPattern::Zeros => 0,
            })
            .collect();
        let mandatories = match draw.rng.gen_range(0..3) {
            0 => Vec::new(),
            1 => bitstring.clone(),
            _ => vec![u64::MAX; words + 1],
        };
        OrchestratorRequest {
            capabilities: Some(Capabilities {
                bitstring,
                mandatories,
                version: draw.pick(VERSIONS).to_string(),
                ..Default::default()
            }),
            ignore_capacity_check: draw.rng.gen(),
            ..draw.signed()
        }
        .encode_to_vec()
    }

    #[test]
    fn bitstrings_are_the_bytes_prost_writes() {
        let ingredients = ingredients(1);
        let draw = |index: u64| Draw {
            index,
            rng: ChaCha8Rng::seed_from_u64(case_seed(1, "capability-bitstring", index)),
            ingredients: &ingredients,
        };
        let mut shapes = std::collections::BTreeSet::new();
        for index in 0..600 {
            let (_, written) = capability_bitstring(&mut draw(index));
            assert_eq!(written, capability_bitstring_by_prost(&mut draw(index)), "case {index}");
            let mut first_draws = draw(index);
            let words = first_draws.entry(BITSTRING_WORDS, index);
            shapes.insert((words, first_draws.pick(WORD_PATTERNS) as usize));
        }
        assert_eq!(
            shapes.len(),
            BITSTRING_WORDS.len() * WORD_PATTERNS.len(),
            "every length meets every pattern"
        );
    }

    #[test]
    fn maps_decode_with_thousands_of_entries() {
        let ingredients = ingredients(1);
        let family = family("capacities-map");
        for index in 0..MAP_ENTRIES.len() as u64 {
            let input = generate(&family, index, 1, &ingredients);
            let request = OrchestratorRequest::decode(input.body).expect("a well-formed map");
            let capabilities = request.capabilities.unwrap();
            let entries = capabilities.capacities.len()
                + capabilities.constraints.map_or(0, |constraints| {
                    constraints.per_capability.len()
                        + constraints
                            .per_capability
                            .values()
                            .map(|c| c.models.len().saturating_sub(1))
                            .sum::<usize>()
                });
            assert!(entries <= MAP_ENTRIES[index as usize], "{}", index);
        }
    }
}
