//! Families that send long or odd capability sets in a signed discovery: bitstrings of up to a
//! hundred thousand words, and capacity, per-capability and model maps of thousands of entries.

use std::fmt::Write as _;

use bytes::Bytes;
use prost::Message;
use rand::Rng;

use super::draw::Draw;
use crate::capability;
use crate::fuzz::wire;
use crate::proto::net::Capabilities;
use crate::protocol::RpcMethod;

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
pub(super) fn capability_bitstring(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
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
pub(super) fn capacities_map(draw: &mut Draw<'_>) -> (RpcMethod, Bytes) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::families::{family, generate, ingredients};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use crate::fuzz::families::case_seed;
    use crate::proto::net::OrchestratorRequest;

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
