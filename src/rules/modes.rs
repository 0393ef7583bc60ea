//! Which parts of the catalog apply to an orchestrator, detected from what it answered as
//! rules.md defines the modes, or forced from the command line.

use std::fmt;

use super::Mode;
use crate::capability;
use crate::observe::{CallError, Observation};

/// Which parts of the catalog apply to the orchestrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Modes {
    pub onchain: bool,
    pub transcoding: bool,
    pub ai: bool,
}

/// `on-chain, transcoding, AI`; `off-chain, no capabilities` when it serves neither: how every
/// report names the modes.
impl fmt::Display for Modes {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(if self.onchain { "on-chain" } else { "off-chain" })?;
        match (self.transcoding, self.ai) {
            (false, false) => formatter.write_str(", no capabilities"),
            (transcoding, ai) => {
                if transcoding {
                    formatter.write_str(", transcoding")?;
                }
                if ai {
                    formatter.write_str(", AI")?;
                }
                Ok(())
            }
        }
    }
}

/// Modes forced from the command line; `None` keeps the detected value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModeOverrides {
    pub onchain: Option<bool>,
    pub transcoding: Option<bool>,
    pub ai: Option<bool>,
}

impl Modes {
    /// rules.md "Mode": on-chain when the answer carries ticket parameters, Ping answers with a
    /// 65-byte signature, or discovery was refused for an unfunded gateway; transcoding when the
    /// bitstring sets H.264 and MPEGTS; AI when an AI capability lists a model or has a price
    /// (bare AI bits do not count: every go-livepeer transcoder sets them). Overrides win.
    pub fn detect(observation: &Observation, overrides: ModeOverrides) -> Modes {
        let info = observation.grpc.info.answer();
        let signed_ping = observation
            .grpc
            .ping
            .as_ref()
            .and_then(|ping| ping.call.answer())
            .is_some_and(|pong| pong.value.len() == crate::eth::SIGNATURE_LEN);
        let unfunded = observation
            .grpc
            .info
            .outcome
            .as_ref()
            .is_err_and(CallError::is_insufficient_reserve);
        let capabilities = info.and_then(|info| info.capabilities.as_ref());
        let bitstring = capabilities
            .map(|capabilities| capabilities.bitstring.as_slice())
            .unwrap_or_default();
        let transcoding = [capability::H264, capability::MPEGTS]
            .into_iter()
            .all(|number| capability::has_bit(bitstring, number));
        let is_ai = |number: u32| capability::lookup(number).is_some_and(|known| known.is_ai());
        let lists_models = capabilities
            .and_then(|capabilities| capabilities.constraints.as_ref())
            .is_some_and(|constraints| {
                constraints
                    .per_capability
                    .iter()
                    .any(|(number, constraints)| is_ai(*number) && !constraints.models.is_empty())
            });
        let priced = info.is_some_and(|info| info.capabilities_prices.iter().any(|price| is_ai(price.capability)));
        Modes {
            onchain: overrides
                .onchain
                .unwrap_or(info.is_some_and(|info| info.ticket_params.is_some()) || signed_ping || unfunded),
            transcoding: overrides.transcoding.unwrap_or(transcoding),
            ai: overrides.ai.unwrap_or(lists_models || priced),
        }
    }

    pub fn applies(&self, mode: Mode) -> bool {
        match mode {
            Mode::All => true,
            Mode::OnChain => self.onchain,
            Mode::OffChain => !self.onchain,
            Mode::Transcoding => self.transcoding,
            Mode::Ai => self.ai,
            Mode::OnChainTranscoding => self.onchain && self.transcoding,
            Mode::OnChainAi => self.onchain && self.ai,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::*;
    use super::*;

    #[test]
    fn modes_are_detected_and_overridden() {
        let observation = good_observation();
        let detected = Modes::detect(&observation, ModeOverrides::default());
        assert_eq!(
            detected,
            Modes {
                onchain: true,
                transcoding: true,
                ai: true
            }
        );
        let overrides = ModeOverrides {
            onchain: Some(false),
            ai: Some(false),
            transcoding: None,
        };
        assert_eq!(
            Modes::detect(&observation, overrides),
            Modes {
                onchain: false,
                transcoding: true,
                ai: false
            }
        );
        let offchain = offchain_observation();
        assert!(!Modes::detect(&offchain, ModeOverrides::default()).onchain);
    }
}
