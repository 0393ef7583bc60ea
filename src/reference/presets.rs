//! The reference orchestrator's presets: one per shape of orchestrator the catalog tells apart.

use super::{shipped_ai_models, ChainMode, ReferenceConfig, Transcoder};

/// The shapes of orchestrator the catalog distinguishes, as reference configurations: selftest
/// proves the catalog against each, the fuzz targets start from their answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    OffChainTranscoding,
    OnChainTranscoding,
    AiOnly,
    OnChainAiOnly,
    Mixed,
    OnChainMixed,
}

impl Preset {
    pub const ALL: [Preset; 6] = [
        Preset::OffChainTranscoding,
        Preset::OnChainTranscoding,
        Preset::AiOnly,
        Preset::OnChainAiOnly,
        Preset::Mixed,
        Preset::OnChainMixed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Preset::OffChainTranscoding => "off-chain transcoding",
            Preset::OnChainTranscoding => "on-chain transcoding",
            Preset::AiOnly => "off-chain AI-only",
            Preset::OnChainAiOnly => "on-chain AI-only",
            Preset::Mixed => "off-chain transcoding + AI",
            Preset::OnChainMixed => "on-chain transcoding + AI",
        }
    }

    /// The reference orchestrator's configuration for this shape.
    pub fn config(self) -> ReferenceConfig {
        let on_chain = matches!(
            self,
            Preset::OnChainTranscoding | Preset::OnChainAiOnly | Preset::OnChainMixed
        );
        let ai = !matches!(self, Preset::OffChainTranscoding | Preset::OnChainTranscoding);
        ReferenceConfig {
            chain: if on_chain {
                ChainMode::OnChain
            } else {
                ChainMode::OffChain
            },
            transcoder: if matches!(self, Preset::AiOnly | Preset::OnChainAiOnly) {
                Transcoder::None
            } else {
                Transcoder::Software
            },
            ai_models: if ai { shipped_ai_models() } else { Vec::new() },
            ..ReferenceConfig::loopback()
        }
    }
}
