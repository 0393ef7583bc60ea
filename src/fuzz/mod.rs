//! Live fuzzing of an orchestrator: named families generate hostile requests from a seed, the
//! live runner sends them concurrently and checks after each batch that the target still serves,
//! the RPC rules judge every answer, and failing inputs go to a corpus folder for replay.

mod corpus;
mod families;
mod fields;
mod filler;
mod judge;
mod live;
mod wire;

pub use corpus::{load, save, BodyFill, CorpusError, FindingFile, SavedRequest, FORMAT, FORMAT_VERSION};
pub use families::{
    case_seed, families, gateway_for_seed, generate, Family, FuzzInput, Ingredients, WrittenFamily, FAMILIES,
};
pub use judge::{CASE_RULES, LIVENESS_RULES};
pub use live::{
    fuzz, resend, FuzzFinding, FuzzProgress, FuzzReport, FuzzSettings, Latency, Resent, BATCH_ROUNDS,
    KEPT_PER_RULE_AND_FAMILY,
};
