//! Structure-aware input for `rules_on_arbitrary_info`: an OrchestratorInfo that starts empty or as
//! the reference orchestrator's answer in one of its configurations, then takes a list of edits,
//! each replacing or adding one part (capability bitstrings, capacities, per-model constraints,
//! prices, ticket parameters, hardware, storage, auth token, URIs). Values come from small named
//! lists of telling values (the capability enum, the shipped model ids, lengths around 20 and 32,
//! integer extremes) or raw from the input, so a few bytes reach deep into the rules.

use std::sync::LazyLock;

use arbitrary::{Arbitrary, Result, Unstructured};
use lpconform::capability::{self, encode_bitstring};
use lpconform::invariants::{reference_info, FUZZ_NOW, SERVICE_URI};
use lpconform::proto::net::capabilities::capability_constraints::ModelConstraint;
use lpconform::proto::net::capabilities::Constraints;
use lpconform::proto::net::{
    AuthToken, Capabilities, GpuComputeInfo, HardwareInformation, OrchestratorInfo, OsInfo, PriceInfo, S3osInfo,
    TicketExpirationParams, TicketParams,
};
use lpconform::reference::Preset;

/// One generated answer and the clock to judge it at.
#[derive(Debug)]
pub struct InfoInput {
    pub info: OrchestratorInfo,
    pub now_unix: i64,
    /// What built it, for reading a crash report (`cargo fuzz fmt`).
    pub edits: Vec<Edit>,
}

impl<'a> Arbitrary<'a> for InfoInput {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let start: Start = u.arbitrary()?;
        let clock: Clock = u.arbitrary()?;
        let edits = u.arbitrary_iter()?.collect::<Result<_>>()?;
        Ok(InfoInput::build(start, clock, edits))
    }

    fn arbitrary_take_rest(mut u: Unstructured<'a>) -> Result<Self> {
        let start: Start = u.arbitrary()?;
        let clock: Clock = u.arbitrary()?;
        let edits = u.arbitrary_take_rest_iter()?.collect::<Result<_>>()?;
        Ok(InfoInput::build(start, clock, edits))
    }
}

impl InfoInput {
    fn build(start: Start, clock: Clock, edits: Vec<Edit>) -> Self {
        let mut info = start.info();
        for edit in &edits {
            edit.apply(&mut info);
        }
        InfoInput {
            info,
            now_unix: clock.unix(),
            edits,
        }
    }
}

/// The answer the edits start from.
#[derive(Debug, Clone, Copy)]
pub enum Start {
    Empty,
    Reference(Preset),
}

impl<'a> Arbitrary<'a> for Start {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(match variant(u, 2)? {
            0 => Start::Empty,
            _ => Start::Reference(Preset::ALL[variant(u, Preset::ALL.len())?]),
        })
    }
}

/// A variant index out of `count`, read as `#[derive(Arbitrary)]` reads an enum's, so a saved
/// input starts from the same preset as when `Start` was derived.
fn variant(u: &mut Unstructured<'_>, count: usize) -> Result<usize> {
    let drawn = u64::from(u32::arbitrary(u)?);
    Ok(((drawn * count as u64) >> 32) as usize)
}

/// The reference's answers, built once: each is deterministic.
static REFERENCE: LazyLock<Vec<(Preset, OrchestratorInfo)>> = LazyLock::new(|| {
    Preset::ALL
        .iter()
        .map(|preset| (*preset, reference_info(*preset, &[])))
        .collect()
});

impl Start {
    fn info(self) -> OrchestratorInfo {
        let Start::Reference(wanted) = self else {
            return OrchestratorInfo::default();
        };
        REFERENCE
            .iter()
            .find(|(preset, _)| *preset == wanted)
            .map(|(_, info)| info.clone())
            .unwrap_or_default()
    }
}

/// When the rules look: the fixed evaluation time, near it, or anywhere (extremes included).
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Clock {
    Fixed,
    Near(i32),
    Raw(i64),
}

impl Clock {
    fn unix(self) -> i64 {
        match self {
            Clock::Fixed => FUZZ_NOW,
            Clock::Near(offset) => FUZZ_NOW + i64::from(offset),
            Clock::Raw(unix) => unix,
        }
    }
}

/// One change to the answer.
#[derive(Arbitrary, Debug)]
pub enum Edit {
    Transcoder(Text),
    Address(Bytes),
    Node(Text),
    PriceInfo(Option<Price>),
    TicketParams(Option<Ticket>),
    NoCapabilities,
    Bitstring(Bitstring),
    Mandatories(Bitstring),
    Capacity(Capability, Count),
    ClearCapacities,
    Version(Text),
    MinVersion(Text),
    ModelConstraint(Capability, ModelId, Model),
    NoConstraints,
    CapabilityPrice(Price),
    ClearCapabilityPrices,
    Hardware(Hardware),
    ClearHardware,
    Storage(Storage),
    AuthToken(Option<Token>),
}

impl Edit {
    fn apply(&self, info: &mut OrchestratorInfo) {
        match self {
            Edit::Transcoder(text) => info.transcoder = text.build(),
            Edit::Address(bytes) => info.address = bytes.build(),
            Edit::Node(text) => info.nodes.push(text.build()),
            Edit::PriceInfo(price) => info.price_info = price.as_ref().map(Price::build),
            Edit::TicketParams(ticket) => info.ticket_params = ticket.as_ref().map(Ticket::build),
            Edit::NoCapabilities => info.capabilities = None,
            Edit::Bitstring(bits) => capabilities(info).bitstring = bits.build(),
            Edit::Mandatories(bits) => capabilities(info).mandatories = bits.build(),
            Edit::Capacity(number, count) => {
                capabilities(info).capacities.insert(number.build(), count.build());
            }
            Edit::ClearCapacities => capabilities(info).capacities.clear(),
            Edit::Version(text) => capabilities(info).version = text.build(),
            Edit::MinVersion(text) => constraints(info).min_version = text.build(),
            Edit::ModelConstraint(number, model_id, model) => {
                constraints(info)
                    .per_capability
                    .entry(number.build())
                    .or_default()
                    .models
                    .insert(model_id.build(), model.build());
            }
            Edit::NoConstraints => capabilities(info).constraints = None,
            Edit::CapabilityPrice(price) => info.capabilities_prices.push(price.build()),
            Edit::ClearCapabilityPrices => info.capabilities_prices.clear(),
            Edit::Hardware(hardware) => info.hardware.push(hardware.build()),
            Edit::ClearHardware => info.hardware.clear(),
            Edit::Storage(storage) => info.storage.push(storage.build()),
            Edit::AuthToken(token) => info.auth_token = token.as_ref().map(Token::build),
        }
    }
}

fn capabilities(info: &mut OrchestratorInfo) -> &mut Capabilities {
    info.capabilities.get_or_insert_with(Capabilities::default)
}

fn constraints(info: &mut OrchestratorInfo) -> &mut Constraints {
    capabilities(info).constraints.get_or_insert_with(Constraints::default)
}

/// Strings rules compare with or parse: URIs good and bad, pipelines, versions, odd Unicode.
const TEXTS: &[&str] = &[
    SERVICE_URI,
    "https://orch-2.example:8935",
    "http://127.0.0.1:8935",
    "https://[::1]:8935",
    "orch.example",
    "https://orch.example",
    "https://orch.example:99999",
    "https://orch.example:8935/path?query",
    "text-to-image",
    "llm",
    "image-to-video",
    "0.8.7",
    "0.14.1",
    "v1.2.3-rc.1",
    "*",
    "\0",
    "ü\u{202e}💥",
    "panic: at src/main.rs:1",
];

#[derive(Arbitrary, Debug)]
pub enum Text {
    Empty,
    Known(u8),
    Model(ModelId),
    /// `64 ×` this many characters.
    Long(u8),
    Raw(String),
}

impl Text {
    fn build(&self) -> String {
        match self {
            Text::Empty => String::new(),
            Text::Known(index) => pick(TEXTS, *index).to_string(),
            Text::Model(model_id) => model_id.build(),
            Text::Long(len) => "x".repeat(usize::from(*len) * 64),
            Text::Raw(text) => text.clone(),
        }
    }
}

/// The model ids the reference serves (fixtures/aiModels.json), the wildcard, or any text.
#[derive(Arbitrary, Debug)]
pub enum ModelId {
    Shipped(u8),
    Wildcard,
    Raw(String),
}

static SHIPPED_MODELS: LazyLock<Vec<String>> = LazyLock::new(|| {
    let info = reference_info(Preset::OnChainMixed, &[]);
    let mut ids: Vec<String> = info
        .capabilities_prices
        .iter()
        .map(|price| price.constraint.clone())
        .collect();
    ids.sort();
    ids
});

impl ModelId {
    fn build(&self) -> String {
        match self {
            ModelId::Shipped(index) => pick(&SHIPPED_MODELS, *index).clone(),
            ModelId::Wildcard => "*".to_string(),
            ModelId::Raw(text) => text.clone(),
        }
    }
}

/// Byte strings: the reference's address, lengths around an address (20) and a hash (32), big
/// numbers, or raw.
#[derive(Arbitrary, Debug)]
pub enum Bytes {
    Empty,
    ReferenceAddress,
    Filled { len: Length, byte: u8 },
    Number(u128),
    Raw(Vec<u8>),
}

static REFERENCE_ADDRESS: LazyLock<Vec<u8>> =
    LazyLock::new(|| lpconform::reference::well_known_key().address().0.to_vec());

impl Bytes {
    fn build(&self) -> Vec<u8> {
        match self {
            Bytes::Empty => Vec::new(),
            Bytes::ReferenceAddress => REFERENCE_ADDRESS.clone(),
            Bytes::Filled { len, byte } => vec![*byte; len.build()],
            Bytes::Number(number) => {
                let bytes = number.to_be_bytes();
                let first = bytes.iter().position(|byte| *byte != 0).unwrap_or(bytes.len());
                bytes[first..].to_vec()
            }
            Bytes::Raw(bytes) => bytes.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
pub enum Length {
    Known(u8),
    Raw(u8),
}

const LENGTHS: &[usize] = &[1, 19, 20, 21, 31, 32, 33, 64, 65, 66, 300];

impl Length {
    fn build(&self) -> usize {
        match self {
            Length::Known(index) => *pick(LENGTHS, *index),
            Length::Raw(len) => usize::from(*len),
        }
    }
}

#[derive(Arbitrary, Debug)]
pub enum Integer {
    Known(u8),
    Raw(i64),
}

const INTEGERS: &[i64] = &[
    0,
    1,
    -1,
    3,
    1000,
    1_000_000,
    i64::MIN,
    i64::MIN + 1,
    i64::MAX - 1,
    i64::MAX,
];

impl Integer {
    fn build(&self) -> i64 {
        match self {
            Integer::Known(index) => *pick(INTEGERS, *index),
            Integer::Raw(value) => *value,
        }
    }
}

#[derive(Arbitrary, Debug)]
pub enum Count {
    Small(u8),
    Max,
    Raw(u32),
}

impl Count {
    fn build(&self) -> u32 {
        match self {
            Count::Small(count) => u32::from(*count),
            Count::Max => u32::MAX,
            Count::Raw(count) => *count,
        }
    }
}

/// Capability numbers: the enum's own, around word boundaries, or raw.
#[derive(Arbitrary, Debug)]
pub enum Capability {
    Known(u8),
    Boundary(u8),
    Raw(u32),
}

const BOUNDARIES: &[u32] = &[
    63,
    64,
    127,
    128,
    255,
    256,
    1 << 20,
    u32::MAX - 64,
    u32::MAX - 1,
    u32::MAX,
];

impl Capability {
    fn build(&self) -> u32 {
        match self {
            Capability::Known(index) => pick(capability::KNOWN, *index).number,
            Capability::Boundary(index) => *pick(BOUNDARIES, *index),
            Capability::Raw(number) => *number,
        }
    }
}

/// Bitstrings as a gateway encodes them (from capability numbers), raw words, or long runs.
#[derive(Arbitrary, Debug)]
pub enum Bitstring {
    Of(Vec<Capability>),
    Words(Vec<u64>),
    Run { words: u8, fill: u64 },
}

/// Numbers whose word lies beyond this are left out of an encoded bitstring: one bit that high
/// takes megabytes, which only slows the fuzzer down. `Run` covers long bitstrings.
const MAX_ENCODED_CAPABILITY: u32 = 1 << 16;
/// The longest `Run`: past the enum, yet short enough for hundreds of runs a second (rules do work
/// per set bit; the robustness tests in src/rules time a 100 000-word bitstring).
const MAX_RUN_WORDS: u8 = 64;

impl Bitstring {
    fn build(&self) -> Vec<u64> {
        match self {
            Bitstring::Of(numbers) => encode_bitstring(
                numbers
                    .iter()
                    .map(Capability::build)
                    .filter(|number| *number < MAX_ENCODED_CAPABILITY),
            ),
            Bitstring::Words(words) => words.clone(),
            Bitstring::Run { words, fill } => vec![*fill; usize::from((*words).min(MAX_RUN_WORDS))],
        }
    }
}

#[derive(Arbitrary, Debug)]
pub struct Price {
    price_per_unit: Integer,
    pixels_per_unit: Integer,
    capability: Capability,
    constraint: ModelId,
}

impl Price {
    fn build(&self) -> PriceInfo {
        PriceInfo {
            price_per_unit: self.price_per_unit.build(),
            pixels_per_unit: self.pixels_per_unit.build(),
            capability: self.capability.build(),
            constraint: self.constraint.build(),
        }
    }
}

#[derive(Arbitrary, Debug)]
pub struct Model {
    warm: bool,
    capacity: Count,
    runner_version: Text,
    capacity_in_use: Count,
}

impl Model {
    fn build(&self) -> ModelConstraint {
        ModelConstraint {
            warm: self.warm,
            capacity: self.capacity.build(),
            runner_version: self.runner_version.build(),
            capacity_in_use: self.capacity_in_use.build(),
        }
    }
}

#[derive(Arbitrary, Debug)]
pub struct Ticket {
    recipient: Bytes,
    face_value: Bytes,
    win_prob: Bytes,
    recipient_rand_hash: Bytes,
    seed: Bytes,
    expiration_block: Bytes,
    expiration_params: Option<(Integer, Bytes)>,
}

impl Ticket {
    fn build(&self) -> TicketParams {
        TicketParams {
            recipient: self.recipient.build(),
            face_value: self.face_value.build(),
            win_prob: self.win_prob.build(),
            recipient_rand_hash: self.recipient_rand_hash.build(),
            seed: self.seed.build(),
            expiration_block: self.expiration_block.build(),
            expiration_params: self
                .expiration_params
                .as_ref()
                .map(|(round, hash)| TicketExpirationParams {
                    creation_round: round.build(),
                    creation_round_block_hash: hash.build(),
                }),
        }
    }
}

#[derive(Arbitrary, Debug)]
pub struct Hardware {
    pipeline: Text,
    model_id: ModelId,
    gpus: Vec<(Text, Gpu)>,
}

#[derive(Arbitrary, Debug)]
pub struct Gpu {
    id: Text,
    name: Text,
    major: u32,
    minor: u32,
    memory_free: Integer,
    memory_total: Integer,
}

impl Hardware {
    fn build(&self) -> HardwareInformation {
        HardwareInformation {
            pipeline: self.pipeline.build(),
            model_id: self.model_id.build(),
            gpu_info: self
                .gpus
                .iter()
                .map(|(key, gpu)| {
                    let gpu = GpuComputeInfo {
                        id: gpu.id.build(),
                        name: gpu.name.build(),
                        major: gpu.major,
                        minor: gpu.minor,
                        memory_free: gpu.memory_free.build(),
                        memory_total: gpu.memory_total.build(),
                    };
                    (key.build(), gpu)
                })
                .collect(),
        }
    }
}

#[derive(Arbitrary, Debug)]
pub struct Storage {
    storage_type: StorageType,
    s3info: Option<S3>,
}

#[derive(Arbitrary, Debug)]
pub enum StorageType {
    Direct,
    S3,
    Google,
    Raw(i32),
}

#[derive(Arbitrary, Debug)]
pub struct S3 {
    host: Text,
    key: Text,
    policy: Text,
    signature: Text,
    credential: Text,
    x_amz_date: Text,
}

impl Storage {
    fn build(&self) -> OsInfo {
        OsInfo {
            storage_type: match self.storage_type {
                StorageType::Direct => 0,
                StorageType::S3 => 1,
                StorageType::Google => 2,
                StorageType::Raw(number) => number,
            },
            s3info: self.s3info.as_ref().map(|s3| S3osInfo {
                host: s3.host.build(),
                key: s3.key.build(),
                policy: s3.policy.build(),
                signature: s3.signature.build(),
                credential: s3.credential.build(),
                x_amz_date: s3.x_amz_date.build(),
            }),
        }
    }
}

#[derive(Arbitrary, Debug)]
pub struct Token {
    token: Bytes,
    session_id: Text,
    expiration: Clock,
}

impl Token {
    fn build(&self) -> AuthToken {
        AuthToken {
            token: self.token.build(),
            session_id: self.session_id.build(),
            expiration: self.expiration.unix(),
        }
    }
}

fn pick<T>(values: &[T], index: u8) -> &T {
    &values[usize::from(index) % values.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every seed of fixtures/corpus/rules_on_arbitrary_info builds an answer the rules accept
    /// without a problem: the same as the fuzz target, on stable.
    #[test]
    fn seeds_build_answers_the_rules_take() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/corpus/rules_on_arbitrary_info");
        let mut built = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            let input = InfoInput::arbitrary_take_rest(Unstructured::new(&bytes)).unwrap();
            lpconform::invariants::check_rules(&input.info, input.now_unix).unwrap();
            built += 1;
        }
        assert!(built >= 5);
    }

    #[test]
    fn no_capability_number_makes_a_huge_bitstring() {
        let bits = Bitstring::Of(vec![
            Capability::Boundary(9),
            Capability::Raw(u32::MAX),
            Capability::Known(0),
        ]);
        assert_eq!(bits.build(), vec![1]);
    }
}
