//! The OpenAPI side of the protocol: a document describing `GET /orchestrator/info` (loaded at run
//! time, or the copy built in), the JSON rendering of a decoded OrchestratorInfo in that
//! document's convention, a validator for the JSON Schema subset OpenAPI 3.0 uses, and the drift
//! report between the document and the .proto messages. No I/O but reading the document.

mod compiled;
mod document;
mod drift;
mod entries;
mod records;
mod render;
mod schema;
mod validate;

#[cfg(test)]
mod tests;

use prost_reflect::MessageDescriptor;
use serde_json::Value;

pub use document::{OpenApiDocument, OpenApiError, Problem, DEFAULT_PATH, MAX_DOCUMENT_BYTES};
pub use drift::{Drift, DriftKind, DriftReport, DRIFT_FORMAT_VERSION};
pub use records::RenderError;
pub use schema::same_words;
pub use validate::{describe_json, is_decimal, Violation, MISSING_REQUIRED};

use crate::proto::net::OrchestratorInfo;

impl OpenApiDocument {
    /// `info` as JSON in this document's convention (its names, hex bytes, integer numbers).
    pub fn render_info(&self, info: &OrchestratorInfo) -> Result<Value, RenderError> {
        render::render_info(self.compiled(), info)
    }

    /// Where `info`, rendered as [`Self::render_info`] renders it, breaks the discovery answer's
    /// schema, each violation given to `each`; a long repeated field is rendered one entry at a
    /// time, so an answer of any size is never held whole as JSON.
    pub fn info_violations(&self, info: &OrchestratorInfo, each: impl FnMut(Violation)) -> Result<(), RenderError> {
        entries::info_violations(self.compiled(), info, each)
    }

    /// As [`Self::info_violations`], given `rendered`: `info` as [`Self::render_info`] renders
    /// it, which a caller that needed the JSON anyway already has. A rendering of no long list or
    /// map is checked as it is rather than rendered again; a longer one is checked entry by entry
    /// from `info`, as `info_violations` checks it.
    pub fn rendered_info_violations(
        &self,
        info: &OrchestratorInfo,
        rendered: &Value,
        each: impl FnMut(Violation),
    ) -> Result<(), RenderError> {
        if entries::checked_whole(rendered) {
            self.validate_info(rendered).into_iter().for_each(each);
            Ok(())
        } else {
            self.info_violations(info, each)
        }
    }

    /// Where `json` breaks the discovery answer's schema.
    pub fn validate_info(&self, json: &Value) -> Vec<Violation> {
        let compiled = self.compiled();
        validate::validate(compiled, &compiled.info, json)
    }

    /// Compares the discovery answer's schema (and all it reaches) with `info_message`.
    pub fn drift(&self, info_message: &MessageDescriptor, proto_source: &str) -> DriftReport {
        drift::drift(
            &self.api,
            &self.info_schema,
            self.info_schema_name(),
            self.source(),
            info_message,
            proto_source,
        )
    }

    /// The drift against the protocol the binary was built with: the one its messages decode by.
    pub fn built_in_drift(&self) -> &DriftReport {
        self.built_in_drift
            .get_or_init(|| self.drift(&compiled::built_in_info(), "built-in lp_rpc.proto"))
    }
}

#[cfg(test)]
pub(crate) use tests::proto3_json_document;
