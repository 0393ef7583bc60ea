//! The probes a run makes besides its cases: the detection probe its modes are read from, and
//! the standard probe, the standard case run alone (what `selftest` judges the reference
//! orchestrator by).

use bytes::Bytes;

use crate::ambient::random_bytes;
use crate::driver::Driver;
use crate::gateway::signed_orchestrator_request;
use crate::observe::{CallError, Observation};
use crate::runner::case::{observe_case, RunSettings};
use crate::suite::standard_case;

/// What mode detection reads: the signed discovery answer and, when that came, a Ping. A target
/// that stalls costs one deadline here, not one per call of the full probe. Beside it, the
/// discovery answer's bytes when they decoded (the run's report decodes them again).
pub(super) async fn detection_probe(driver: &Driver) -> (Observation, Option<Bytes>) {
    let mut recorder = driver.recorder();
    let discovery = driver
        .discover(signed_orchestrator_request(driver.gateway()), &mut recorder)
        .await;
    if !matches!(discovery.answer, Err(CallError::Timeout(_))) {
        driver.ping(random_bytes(32), &mut recorder).await;
    }
    let observation = recorder.finish();
    let answer = discovery.answer.ok().filter(|_| observation.grpc.info.outcome.is_ok());
    (observation, answer)
}

/// Runs the standard calls ([`standard_case`]) as `run` runs a case, and returns what
/// came back: what `selftest` judges the reference orchestrator by.
pub async fn standard_probe(driver: &Driver) -> Observation {
    let mut steps = Vec::new();
    observe_case(driver, &standard_case(), &RunSettings::default(), &mut steps)
        .await
        .0
}
