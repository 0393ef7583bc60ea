//! The target's capability matrix, as machine and HTML reports show it: one row
//! per capability advertised in the bitstring or priced in
//! `capabilities_prices`, telling whether it is advertised, priced, has model
//! constraints and, for AI pipelines, GPUs reported in `hardware`.

use std::collections::{BTreeSet, HashMap};

use crate::capability::{self, CapabilityKind};
use crate::proto::net::OrchestratorInfo;
use crate::shown::shown_text;
use crate::view::SHOWN_ENTRIES;

/// Rows shown at most; a hostile bitstring may set millions of bits.
pub const MAX_ROWS: usize = 256;

/// What a capability number is, by the capability enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Transcoding,
    Ai,
    External,
    /// A number the enum does not know.
    Unknown,
}

impl RowKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RowKind::Transcoding => "transcoding",
            RowKind::Ai => "ai",
            RowKind::External => "external",
            RowKind::Unknown => "unknown",
        }
    }
}

/// One capability of the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapabilityRow {
    pub number: u32,
    /// The enum's name, or `unknown(N)`.
    pub name: String,
    pub kind: RowKind,
    /// The AI pipeline, for AI capabilities.
    pub pipeline: Option<&'static str>,
    /// The capability's bit is set in `capabilities.bitstring`.
    pub advertised: bool,
    /// The `constraint` (model id; empty for the whole capability) of every
    /// `capabilities_prices` entry for this capability, in answer order.
    pub prices: Listed,
    /// Model ids constrained in `capabilities.constraints.per_capability`, sorted.
    pub models: Listed,
    /// Model ids of the `hardware` entries for this AI pipeline that list at
    /// least one GPU, sorted. Always empty for other kinds: hardware is
    /// reported for AI pipelines only.
    pub hardware: Listed,
}

impl CapabilityRow {
    pub fn priced(&self) -> bool {
        !self.prices.is_empty()
    }

    pub fn has_model_constraint(&self) -> bool {
        !self.models.is_empty()
    }

    pub fn has_hardware(&self) -> bool {
        !self.hardware.is_empty()
    }
}

/// The first [`SHOWN_ENTRIES`] of a row's list, each cut as [`shown_text`], and a count of the
/// rest: one capability may be priced or constrained a million times over.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listed {
    pub shown: Vec<String>,
    pub not_shown: usize,
}

impl Listed {
    fn push(&mut self, item: &str) {
        if self.shown.len() < SHOWN_ENTRIES {
            self.shown.push(shown_text(item));
        } else {
            self.not_shown += 1;
        }
    }

    /// The distinct `items`, sorted.
    fn sorted<'a>(items: impl Iterator<Item = &'a str>) -> Self {
        let mut items: Vec<&str> = items.collect();
        items.sort_unstable();
        items.dedup();
        let mut listed = Listed::default();
        items.into_iter().for_each(|item| listed.push(item));
        listed
    }

    pub fn is_empty(&self) -> bool {
        self.shown.is_empty()
    }
}

/// The rows, ascending by number, and how many were left out past [`MAX_ROWS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapabilityMatrix {
    pub rows: Vec<CapabilityRow>,
    pub omitted_rows: usize,
}

/// The matrix of one discovery answer. Each list of the answer is read once, whatever the
/// number of rows.
pub fn capability_matrix(info: &OrchestratorInfo) -> CapabilityMatrix {
    let capabilities = info.capabilities.as_ref();
    let bitstring = capabilities.map(|c| c.bitstring.as_slice()).unwrap_or_default();
    let priced: BTreeSet<u32> = info.capabilities_prices.iter().map(|price| price.capability).collect();
    let priced_only = priced
        .iter()
        .filter(|number| !capability::has_bit(bitstring, **number))
        .count();
    let advertised_count: usize = bitstring.iter().map(|word| word.count_ones() as usize).sum();

    // The first MAX_ROWS of the union are among the first MAX_ROWS of each part.
    let mut numbers: BTreeSet<u32> = capability::set_bits(bitstring).take(MAX_ROWS).collect();
    numbers.extend(priced.iter().copied());
    let mut rows: Vec<CapabilityRow> = numbers
        .into_iter()
        .take(MAX_ROWS)
        .map(|number| row(info, bitstring, number))
        .collect();
    let position: HashMap<u32, usize> = rows
        .iter()
        .enumerate()
        .map(|(index, row)| (row.number, index))
        .collect();
    for price in &info.capabilities_prices {
        if let Some(index) = position.get(&price.capability) {
            rows[*index].prices.push(&price.constraint);
        }
    }
    let mut with_gpus: HashMap<&str, Vec<&str>> = HashMap::new();
    for entry in info.hardware.iter().filter(|entry| !entry.gpu_info.is_empty()) {
        with_gpus.entry(&entry.pipeline).or_default().push(&entry.model_id);
    }
    for row in &mut rows {
        if let Some(models) = row.pipeline.and_then(|pipeline| with_gpus.get(pipeline)) {
            row.hardware = Listed::sorted(models.iter().copied());
        }
    }
    let omitted_rows = (advertised_count + priced_only).saturating_sub(rows.len());
    CapabilityMatrix { rows, omitted_rows }
}

/// A row without its prices and hardware, which [`capability_matrix`] fills in one pass each.
fn row(info: &OrchestratorInfo, bitstring: &[u64], number: u32) -> CapabilityRow {
    let known = capability::lookup(number);
    let kind = match known.map(|known| known.kind) {
        Some(CapabilityKind::Transcoding) => RowKind::Transcoding,
        Some(CapabilityKind::Ai { .. }) => RowKind::Ai,
        Some(CapabilityKind::External) => RowKind::External,
        None => RowKind::Unknown,
    };
    let models = info
        .capabilities
        .as_ref()
        .and_then(|capabilities| capabilities.constraints.as_ref())
        .and_then(|constraints| constraints.per_capability.get(&number))
        .map(|per_capability| Listed::sorted(per_capability.models.keys().map(String::as_str)))
        .unwrap_or_default();
    CapabilityRow {
        number,
        name: capability::display_name(number),
        kind,
        pipeline: known.and_then(|known| known.pipeline()),
        advertised: capability::has_bit(bitstring, number),
        prices: Listed::default(),
        models,
        hardware: Listed::default(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::proto::net::capabilities::capability_constraints::ModelConstraint;
    use crate::proto::net::capabilities::{CapabilityConstraints, Constraints};
    use crate::proto::net::{Capabilities, GpuComputeInfo, HardwareInformation, PriceInfo};

    fn info() -> OrchestratorInfo {
        let constraint = CapabilityConstraints {
            models: HashMap::from([("model-a".to_string(), ModelConstraint::default())]),
        };
        OrchestratorInfo {
            capabilities: Some(Capabilities {
                bitstring: capability::encode_bitstring([0, 27, 33, 99]),
                constraints: Some(Constraints {
                    min_version: String::new(),
                    per_capability: HashMap::from([(27, constraint)]),
                }),
                ..Default::default()
            }),
            capabilities_prices: vec![
                PriceInfo {
                    capability: 27,
                    constraint: "model-a".into(),
                    ..Default::default()
                },
                PriceInfo {
                    capability: 30,
                    constraint: "model-b".into(),
                    ..Default::default()
                },
            ],
            hardware: vec![
                HardwareInformation {
                    pipeline: "text-to-image".into(),
                    model_id: "model-a".into(),
                    gpu_info: HashMap::from([("0".to_string(), GpuComputeInfo::default())]),
                },
                HardwareInformation {
                    pipeline: "llm".into(),
                    model_id: "no-gpus".into(),
                    gpu_info: HashMap::new(),
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn rows_are_advertised_or_priced_capabilities() {
        let matrix = capability_matrix(&info());
        let numbers: Vec<u32> = matrix.rows.iter().map(|row| row.number).collect();
        assert_eq!(numbers, [0, 27, 30, 33, 99]);
        assert_eq!(matrix.omitted_rows, 0);

        let text_to_image = &matrix.rows[1];
        assert_eq!(text_to_image.name, "text-to-image");
        assert_eq!(text_to_image.kind, RowKind::Ai);
        assert!(text_to_image.advertised && text_to_image.priced());
        assert!(text_to_image.has_model_constraint() && text_to_image.has_hardware());

        let upscale = &matrix.rows[2];
        assert!(!upscale.advertised && upscale.priced() && !upscale.has_hardware());

        let llm = &matrix.rows[3];
        assert!(!llm.has_hardware(), "a hardware entry without GPUs does not count");
        assert_eq!(matrix.rows[0].kind, RowKind::Transcoding);
        assert_eq!(
            (matrix.rows[4].kind, matrix.rows[4].name.as_str()),
            (RowKind::Unknown, "unknown(99)")
        );
    }

    #[test]
    fn long_lists_of_a_row_show_their_first_entries_and_count_the_rest() {
        let mut info = info();
        let price = |index: usize| PriceInfo {
            capability: 27,
            constraint: format!("model-{index:04}"),
            ..Default::default()
        };
        info.capabilities_prices = (0..1000).map(price).collect();
        let matrix = capability_matrix(&info);
        let prices = &matrix.rows[1].prices;
        assert_eq!(
            (prices.shown.len(), prices.not_shown),
            (SHOWN_ENTRIES, 1000 - SHOWN_ENTRIES)
        );
        assert_eq!(prices.shown[1], "model-0001", "in answer order");
        assert!(!matrix.rows[2].priced(), "an entry for 27 is no price of 30");
    }

    #[test]
    fn a_huge_bitstring_is_cut_and_counted() {
        let info = OrchestratorInfo {
            capabilities: Some(Capabilities {
                bitstring: vec![u64::MAX; 100],
                ..Default::default()
            }),
            ..Default::default()
        };
        let matrix = capability_matrix(&info);
        assert_eq!(matrix.rows.len(), MAX_ROWS);
        assert_eq!(matrix.omitted_rows, 6400 - MAX_ROWS);
    }
}
