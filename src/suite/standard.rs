//! The standard case: a gateway's usual calls as one suite case, what the standard probe
//! (`runner::standard_probe`) runs.

use super::{
    AddressChoice, CallSpec, Case, CaseMode, DiscoveryRequest, ExpectedOutcome, PingValue, SignatureChoice, Step,
    TokenChoice,
};

/// The standard calls, as one case the runner makes like any suite's: signed discovery and its
/// repeat, one discovery per priced model, forged and malformed discovery, Ping,
/// EndTranscodingSession with a forged and with the issued token, and the JSON at
/// `GET /orchestrator/info`. `selftest` and the benchmarks probe with it, so they prove the
/// path `run` takes. Each step accepts any answer: the rules judge what came back.
pub fn standard_case() -> Case {
    let discovery = |signature, address| {
        CallSpec::GetOrchestrator(DiscoveryRequest {
            signature,
            address,
            capabilities: None,
            ignore_capacity_check: false,
        })
    };
    let calls = [
        discovery(SignatureChoice::Valid, AddressChoice::Gateway),
        discovery(SignatureChoice::Valid, AddressChoice::Gateway),
        CallSpec::PerModelDiscovery,
        discovery(SignatureChoice::Forged, AddressChoice::Gateway),
        discovery(SignatureChoice::Valid, AddressChoice::Short),
        CallSpec::Ping {
            value: PingValue::Random,
        },
        CallSpec::EndSession {
            token: TokenChoice::Forged,
        },
        CallSpec::EndSession {
            token: TokenChoice::Issued,
        },
        CallSpec::InfoJson,
    ];
    Case {
        id: "probe".into(),
        description: "the standard calls".into(),
        mode: CaseMode::All,
        steps: calls
            .into_iter()
            .map(|call| Step {
                call,
                expect: ExpectedOutcome::Any,
                code: None,
                message: None,
                answer: Vec::new(),
            })
            .collect(),
        rules: Vec::new(),
        snapshot: None,
    }
}
