//! What a rule may read ([`Context`]): the observation, the operator's expectations, the modes,
//! the clock and the OpenAPI document. The answers every area reads are reached here; an area's
//! own parts (its prices, tickets, tokens, Ping) from that area's file.

use std::sync::OnceLock;

use super::{ModeOverrides, Modes, Skipped};
use crate::eth::{Address, EthError};
use crate::expect::Expectations;
use crate::observe::Observation;
use crate::openapi::OpenApiDocument;
use crate::proto::net::OrchestratorInfo;

/// Everything a rule may read. The clock is an input so rules stay pure.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub observation: &'a Observation,
    pub expectations: &'a Expectations,
    pub modes: Modes,
    /// Unix seconds at evaluation time.
    pub now_unix: i64,
    /// The OpenAPI document the SPEC rules judge by; without one they are skipped.
    pub openapi: Option<&'a OpenApiDocument>,
    /// The discovery answer as `openapi` renders it, when the caller already has that JSON
    /// (`with_openapi_rendering`): SPEC-001 checks it rather than rendering the answer again.
    info_rendering: Option<&'a serde_json::Value>,
    /// The Ping answer's signer, recovered once per evaluation: IDENT-001 and IDENT-002 both
    /// need it, and secp256k1 recovery is the costliest step of the catalog.
    pub(super) ping_signer: OnceLock<Result<Address, EthError>>,
}

impl<'a> Context<'a> {
    /// A context whose modes are detected from the observation, then overridden.
    pub fn new(
        observation: &'a Observation,
        expectations: &'a Expectations,
        overrides: ModeOverrides,
        now_unix: i64,
    ) -> Self {
        Self {
            observation,
            expectations,
            modes: Modes::detect(observation, overrides),
            now_unix,
            openapi: None,
            info_rendering: None,
            ping_signer: OnceLock::new(),
        }
    }

    /// The same context with these modes instead of the detected ones (a run's baseline modes).
    pub fn with_modes(self, modes: Modes) -> Self {
        Self { modes, ..self }
    }

    /// The same context, judged against an OpenAPI document too (the SPEC rules).
    pub fn with_openapi(self, document: &'a OpenApiDocument) -> Self {
        Self {
            openapi: Some(document),
            info_rendering: None,
            ..self
        }
    }

    /// As [`Self::with_openapi`], with the discovery answer as `document` renders it
    /// (`OpenApiDocument::render_info` of [`Self::info`]), which the caller rendered for its own
    /// use: the answer is then rendered once, not once more by SPEC-001.
    pub fn with_openapi_rendering(self, document: &'a OpenApiDocument, rendered: &'a serde_json::Value) -> Self {
        Self {
            openapi: Some(document),
            info_rendering: Some(rendered),
            ..self
        }
    }

    /// The discovery answer as the OpenAPI document renders it, when the caller gave it.
    pub(crate) fn info_rendering(&self) -> Option<&'a serde_json::Value> {
        self.info_rendering
    }

    /// The discovery answer; without one, rules about it are skipped.
    pub fn info(&self) -> Result<&'a OrchestratorInfo, Skipped> {
        self.observation
            .grpc
            .info
            .outcome
            .as_ref()
            .map_err(|error| Skipped(format!("GetOrchestrator did not answer: {error}")))
    }

    /// The answer to the second discovery (TICKET-010, AUTH-006 compare it with `info`).
    pub fn repeat_info(&self) -> Result<&'a OrchestratorInfo, Skipped> {
        let repeat = self.observation.grpc.repeat_info.as_ref();
        let repeat = repeat.ok_or_else(|| Skipped("no second discovery in this run".into()))?;
        repeat
            .answer()
            .ok_or_else(|| Skipped("the second discovery did not answer".into()))
    }
}
