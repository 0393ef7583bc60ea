//! Faults in the advertised service URI and nodes (the URI rules).

use clap::ValueEnum;

use super::{case, declared, Answer, Area, Fault, FaultCase};
use crate::proto::net::OrchestratorInfo;
use crate::reference::Preset::OffChainTranscoding as OffChain;

/// A way to break the URI rules; the doc line is the `--fault` help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum UriFault {
    /// Advertise a transcoder URI without scheme or port.
    BadServiceUri,
    /// Advertise a well-formed transcoder URI of another host.
    WrongServiceUri,
    /// List a node that is not a URL.
    BadNodeUri,
    /// List the orchestrator's own service URI as a node.
    SelfAsNode,
}

/// How selftest proves each fault: where it runs and the rules it must fire.
pub const CASES: &[FaultCase] = &[
    case(Fault::Uri(UriFault::BadServiceUri), OffChain, &["URI-001"]),
    case(Fault::Uri(UriFault::WrongServiceUri), OffChain, &["URI-002"]),
    case(Fault::Uri(UriFault::BadNodeUri), OffChain, &["URI-003"]),
    case(Fault::Uri(UriFault::SelfAsNode), OffChain, &["URI-004"]),
    declared(Fault::Uri(UriFault::WrongServiceUri), OffChain, &["CFG-001"]),
];

impl Area for UriFault {
    fn bend(self, info: &mut OrchestratorInfo, _answer: Answer) {
        match self {
            UriFault::BadServiceUri => info.transcoder = "orchestrator.example".into(),
            UriFault::WrongServiceUri => info.transcoder = "https://elsewhere.example:8935".into(),
            UriFault::BadNodeUri => info.nodes.push("node one".into()),
            UriFault::SelfAsNode => info.nodes.push(info.transcoder.clone()),
        }
    }
}
