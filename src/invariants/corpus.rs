//! The seed corpus of `fixtures/corpus/<target>/`: valid answers of the reference orchestrator in
//! every configuration and with every fault, each message filled field by field, and hand-made
//! wire-format edge cases. Generated here so the checked-in files can be proven current.

use prost::encoding::{encode_key, encode_varint, WireType};
use prost::Message as _;
use prost_reflect::{DynamicMessage, Kind, MapKey, MessageDescriptor, Value};

use super::{canonical_bytes, decode_input, message_names, reference_info, DecodeOutcome};
use crate::eth::{self, EthKey};
use crate::gateway::signed_orchestrator_request;
use crate::proto::net::OrchestratorInfo;
use crate::protocol::Protocol;
use crate::reference;
use crate::reference::faults::{Exercise, FAULT_CASES};
use crate::reference::Preset;

/// The cargo-fuzz targets, each with a folder of seeds.
pub(super) const TARGETS: [&str; 3] = ["decode_static_dynamic", "rules_on_decoded", "rules_on_arbitrary_info"];

/// What a seed must do to the decoders; checked when the corpus is generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expect {
    Accepted,
    Rejected,
    /// One decoder accepts and the other refuses, for a documented reason.
    Differs,
    /// The seed is there for its bytes, not for an outcome (a truncation at an arbitrary point).
    Either,
}

pub(super) struct Seed {
    pub name: String,
    pub bytes: Vec<u8>,
    pub expect: Expect,
}

fn seed(name: impl Into<String>, bytes: Vec<u8>, expect: Expect) -> Seed {
    Seed {
        name: name.into(),
        bytes,
        expect,
    }
}

/// The seeds of one target, by file name.
pub(super) fn seeds(target: &str) -> Vec<Seed> {
    match target {
        "decode_static_dynamic" => decode_seeds(),
        "rules_on_decoded" => rules_seeds(),
        "rules_on_arbitrary_info" => arbitrary_seeds(),
        other => panic!("no seeds for {other}"),
    }
}

fn info_bytes(info: &OrchestratorInfo) -> Vec<u8> {
    let descriptor = Protocol::built_in().message("net.OrchestratorInfo").unwrap();
    let message = DynamicMessage::decode(descriptor, info.encode_to_vec().as_slice()).unwrap();
    canonical_bytes(&message)
}

fn preset_name(preset: Preset) -> &'static str {
    match preset {
        Preset::OffChainTranscoding => "offchain-transcoding",
        Preset::OnChainTranscoding => "onchain-transcoding",
        Preset::AiOnly => "offchain-ai",
        Preset::OnChainAiOnly => "onchain-ai",
        Preset::Mixed => "offchain-mixed",
        Preset::OnChainMixed => "onchain-mixed",
    }
}

fn decode_seeds() -> Vec<Seed> {
    let protocol = Protocol::built_in();
    let as_message = |name: &str, payload: &[u8]| decode_input(name, payload).unwrap();
    let mut seeds = Vec::new();
    for name in message_names() {
        let short = name.rsplit('.').next().unwrap();
        let filled = canonical_bytes(&every_field_set(&protocol.message(name).unwrap()));
        seeds.push(seed(
            format!("filled-{short}"),
            as_message(name, &filled),
            Expect::Accepted,
        ));
    }

    let info = info_bytes(&reference_info(Preset::OnChainMixed, &[]));
    let info_seed =
        |name: &str, payload: &[u8], expect| seed(name, as_message("net.OrchestratorInfo", payload), expect);
    seeds.push(info_seed("reference-OrchestratorInfo", &info, Expect::Accepted));
    seeds.push(info_seed(
        "truncated-OrchestratorInfo-half",
        &info[..info.len() / 2],
        Expect::Either,
    ));
    // A valid encoding ends exactly where its last field does: one byte less cuts a field short.
    seeds.push(info_seed(
        "truncated-OrchestratorInfo-last-byte",
        &info[..info.len() - 1],
        Expect::Rejected,
    ));

    let gateway = EthKey::from_hex(&hex::encode(eth::keccak256(b"lpconform corpus gateway"))).unwrap();
    let request = signed_orchestrator_request(&gateway).encode_to_vec();
    seeds.push(seed(
        "signed-OrchestratorRequest",
        as_message("net.OrchestratorRequest", &request),
        Expect::Accepted,
    ));
    let pong = reference::well_known_key().sign_message(&eth::ping_message(&[0x42; 32]));
    let pong = [field_bytes(1, &pong)].concat();
    seeds.push(seed(
        "signed-PingPong",
        as_message("net.PingPong", &pong),
        Expect::Accepted,
    ));

    for (name, message, payload, expect) in wire_edge_cases() {
        seeds.push(seed(name, as_message(message, &payload), expect));
    }
    seeds
}

/// Hand-made encodings at the edges of the wire format: (name, message, payload, outcome).
fn wire_edge_cases() -> Vec<(&'static str, &'static str, Vec<u8>, Expect)> {
    use Expect::{Accepted, Differs, Rejected};
    const INFO: &str = "net.OrchestratorInfo";
    const CAPABILITIES: &str = "net.Capabilities";
    let capacity = |key: u64, value: u64| field_bytes(3, &[field_varint(1, key), field_varint(2, value)].concat());
    vec![
        (
            "invalid-utf8-string",
            INFO,
            field_bytes(1, &[0xff, 0xfe, b'x']),
            Rejected,
        ),
        ("wrong-wire-type", INFO, field_varint(1, 7), Rejected),
        ("field-number-zero", INFO, field_varint(0, 1), Rejected),
        (
            "varint-too-long",
            INFO,
            [tag(4, WireType::Varint), vec![0xff; 11]].concat(),
            Rejected,
        ),
        (
            "length-past-end",
            INFO,
            [tag(4, WireType::LengthDelimited), vec![100, 1, 2, 3]].concat(),
            Rejected,
        ),
        (
            "length-overflows",
            INFO,
            [tag(4, WireType::LengthDelimited), varint(u64::MAX)].concat(),
            Rejected,
        ),
        ("unmatched-end-group", INFO, tag(50, WireType::EndGroup), Rejected),
        ("unterminated-group", INFO, tag(50, WireType::StartGroup), Rejected),
        (
            "unknown-fields",
            INFO,
            [
                field_bytes(1, b"https://orch.example:8935"),
                field_varint(99, 1),
                field_bytes(100, b"unknown"),
                [tag(101, WireType::ThirtyTwoBit), vec![1, 2, 3, 4]].concat(),
                [tag(102, WireType::SixtyFourBit), vec![1; 8]].concat(),
                [
                    tag(103, WireType::StartGroup),
                    field_varint(1, 5),
                    tag(103, WireType::EndGroup),
                ]
                .concat(),
                field_varint((1 << 29) - 1, 2),
            ]
            .concat(),
            Accepted,
        ),
        (
            "unknown-field-nested",
            INFO,
            field_bytes(3, &[field_varint(1, 1000), field_varint(77, 1)].concat()),
            Accepted,
        ),
        (
            "merged-singular-message",
            INFO,
            [
                field_bytes(3, &field_varint(1, 1000)),
                field_bytes(3, &field_varint(2, 1)),
            ]
            .concat(),
            Accepted,
        ),
        (
            "duplicate-map-key",
            CAPABILITIES,
            [capacity(1, 2), capacity(1, 3)].concat(),
            Accepted,
        ),
        (
            "map-entry-without-value",
            CAPABILITIES,
            field_bytes(3, &field_varint(1, 4)),
            Accepted,
        ),
        ("map-entry-empty", CAPABILITIES, field_bytes(3, &[]), Accepted),
        (
            "map-entry-unknown-field",
            CAPABILITIES,
            field_bytes(
                3,
                &[field_varint(1, 4), field_varint(2, 5), field_varint(9, 6)].concat(),
            ),
            Accepted,
        ),
        (
            "packed-and-unpacked-bitstring",
            CAPABILITIES,
            [
                field_bytes(1, &[varint(1), varint(u64::MAX)].concat()),
                field_varint(1, 1 << 63),
            ]
            .concat(),
            Accepted,
        ),
        (
            "packed-bitstring-cut",
            CAPABILITIES,
            field_bytes(1, &[0xff, 0xff]),
            Rejected,
        ),
        ("negative-enum", "net.OSInfo", field_varint(1, u64::MAX), Accepted),
        ("unknown-enum-value", "net.OSInfo", field_varint(1, 99), Accepted),
        (
            "bool-out-of-range",
            "net.OrchestratorRequest",
            field_varint(4, 2),
            Accepted,
        ),
        (
            "map-field-as-varint",
            "net.Capabilities.CapabilityConstraints",
            field_varint(1, 0),
            Differs,
        ),
        (
            "nested-map-field-as-varint",
            INFO,
            field_bytes(5, &field_bytes(5, &field_varint(2, 0))),
            Differs,
        ),
    ]
}

fn rules_seeds() -> Vec<Seed> {
    let mut seeds: Vec<Seed> = Vec::new();
    let mut add = |name: String, info: &OrchestratorInfo| {
        let bytes = info_bytes(info);
        if !seeds.iter().any(|seed| seed.bytes == bytes) {
            seeds.push(seed(name, bytes, Expect::Accepted));
        }
    };
    for preset in Preset::ALL {
        add(
            format!("reference-{}", preset_name(preset)),
            &reference_info(preset, &[]),
        );
    }
    // Faults that change how calls are handled leave the answer as it was: they add no seed.
    for case in FAULT_CASES.iter().filter(|case| case.exercise != Exercise::FuzzedInput) {
        add(
            format!("fault-{}-{}", case.fault.name(), preset_name(case.preset)),
            &reference_info(case.preset, &[case.fault]),
        );
    }
    add("empty".into(), &OrchestratorInfo::default());
    let reference = info_bytes(&reference_info(Preset::OnChainMixed, &[]));
    seeds.push(seed(
        "truncated-reference",
        reference[..reference.len() - 1].to_vec(),
        Expect::Rejected,
    ));
    seeds
}

/// Raw bytes for `arbitrary` to build answers from: the fuzzer's structure comes from the
/// builder in fuzz/src/lib.rs, so these only need to differ.
fn arbitrary_seeds() -> Vec<Seed> {
    let stream = |len: usize| -> Vec<u8> {
        let mut block = eth::keccak256(b"lpconform arbitrary seed");
        let mut bytes = Vec::with_capacity(len);
        while bytes.len() < len {
            bytes.extend_from_slice(&block);
            block = eth::keccak256(&block);
        }
        bytes.truncate(len);
        bytes
    };
    vec![
        seed("zeros-256", vec![0; 256], Expect::Either),
        seed("ones-256", vec![0xff; 256], Expect::Either),
        seed("counting-256", (0..=255).collect(), Expect::Either),
        seed("keccak-stream-1024", stream(1024), Expect::Either),
        seed("keccak-stream-4096", stream(4096), Expect::Either),
    ]
}

/// A message with every field set to a non-default value, nested messages too: it exercises
/// every field's number, type and label at once.
pub(crate) fn every_field_set(descriptor: &MessageDescriptor) -> DynamicMessage {
    filled(descriptor, 0)
}

fn filled(descriptor: &MessageDescriptor, depth: usize) -> DynamicMessage {
    let mut message = DynamicMessage::new(descriptor.clone());
    // Deep enough for ModelConstraint inside NotifySegment, the deepest nesting in the file.
    if depth > 6 {
        return message;
    }
    for field in descriptor.fields() {
        let value = if field.is_map() {
            let Kind::Message(entry) = field.kind() else {
                unreachable!("a map field's kind is its entry message")
            };
            let key = match sample(&entry.map_entry_key_field().kind(), depth) {
                Value::U32(number) => MapKey::U32(number),
                Value::String(text) => MapKey::String(text),
                other => panic!("no map key of {other:?} in lp_rpc.proto"),
            };
            Value::Map([(key, sample(&entry.map_entry_value_field().kind(), depth))].into())
        } else if field.is_list() {
            Value::List(vec![sample(&field.kind(), depth), sample(&field.kind(), depth)])
        } else {
            sample(&field.kind(), depth)
        };
        message.set_field(&field, value);
    }
    message
}

fn sample(kind: &Kind, depth: usize) -> Value {
    match kind {
        Kind::Double => Value::F64(1.5),
        Kind::Float => Value::F32(2.5),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(-7),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(-9_000_000_000),
        Kind::Uint32 | Kind::Fixed32 => Value::U32(27),
        Kind::Uint64 | Kind::Fixed64 => Value::U64(9_000_000_000),
        Kind::Bool => Value::Bool(true),
        Kind::String => Value::String("sample ✓".into()),
        Kind::Bytes => Value::Bytes(vec![0, 1, 0xff].into()),
        Kind::Enum(descriptor) => Value::EnumNumber(descriptor.values().last().map_or(0, |value| value.number())),
        Kind::Message(descriptor) => Value::Message(filled(descriptor, depth + 1)),
    }
}

fn tag(number: u32, wire_type: WireType) -> Vec<u8> {
    let mut out = Vec::new();
    // encode_key refuses field number 0; a zero tag is written by hand.
    if number == 0 {
        out.push(wire_type as u8);
    } else {
        encode_key(number, wire_type, &mut out);
    }
    out
}

fn varint(value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    encode_varint(value, &mut out);
    out
}

fn field_varint(number: u32, value: u64) -> Vec<u8> {
    [tag(number, WireType::Varint), varint(value)].concat()
}

fn field_bytes(number: u32, payload: &[u8]) -> Vec<u8> {
    [
        tag(number, WireType::LengthDelimited),
        varint(payload.len() as u64),
        payload.to_vec(),
    ]
    .concat()
}

/// Whether an outcome is what the seed promises.
pub(super) fn as_expected(expect: Expect, outcome: DecodeOutcome) -> bool {
    match expect {
        Expect::Accepted => matches!(outcome, DecodeOutcome::Accepted { .. }),
        Expect::Rejected => matches!(outcome, DecodeOutcome::Rejected { .. }),
        Expect::Differs => matches!(outcome, DecodeOutcome::KnownDifference { .. }),
        Expect::Either => true,
    }
}
