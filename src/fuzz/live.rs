//! The live fuzz run: the families take turns making cases, which go to the target in batches,
//! `concurrency` at a time. After each batch a well-formed signed GetOrchestrator checks the
//! target still serves; when it does not, the batch is resent one case at a time, each followed
//! by the same check, to find the case that takes the target down. Never prints: progress goes
//! to a callback and results into a [`FuzzReport`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::families::{generate, Family, FuzzInput, Ingredients};
use super::judge::{self, Judged};
use crate::driver::Driver;
use crate::eth::EthKey;
use crate::gateway::signed_orchestrator_request;
use crate::observe::Call;
use crate::proto::net::{OrchestratorInfo, OrchestratorRequest};
use crate::protocol::RpcMethod;
use crate::rules::{Finding, Rule};

/// A batch is this many rounds of `concurrency` requests. Each batch ends with the pipeline
/// drained and a liveness call alone on the wire: at eight rounds that cost the benchmark's run
/// about 7 % against sixteen (thirty-two gained nothing more), while a target that goes down
/// gets the whole batch resent one case at a time to find the culprit.
pub const BATCH_ROUNDS: usize = 16;
/// How often a target that went down is asked again.
const RECOVERY_POLL: Duration = Duration::from_millis(200);
/// Findings kept (and saved) per rule and family; the rest are only counted.
pub const KEPT_PER_RULE_AND_FAMILY: usize = 5;

/// How to fuzz, validated by the CLI.
#[derive(Debug, Clone)]
pub struct FuzzSettings {
    pub seed: u64,
    /// No new batch starts after this long.
    pub duration: Duration,
    /// No more fuzzed requests than this, when given.
    pub max_requests: Option<u64>,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// The families that take turns, in order.
    pub families: Vec<Family>,
    /// How long a target that stopped answering gets to come back before the run ends.
    pub recovery_timeout: Duration,
}

/// Where a run is, for a progress display.
#[derive(Debug, Clone, Copy)]
pub struct FuzzProgress {
    pub requests: u64,
    pub findings: usize,
    pub elapsed: Duration,
}

/// A finding of a rule about fuzzed input, with the input that reproduces it.
#[derive(Debug, Clone)]
pub struct FuzzFinding {
    pub rule: &'static Rule,
    pub finding: Finding,
    /// The case the finding is about: for a target that went down, the case that took it down,
    /// or `batch-N` when no single case did so alone.
    pub case: String,
    pub family: String,
    /// What to resend, in order, to reproduce the finding.
    pub inputs: Vec<FuzzInput>,
}

/// Latency percentiles of the fuzzed requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latency {
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Latency {
    /// Nearest-rank percentiles; `None` without samples.
    pub fn of(mut samples: Vec<Duration>) -> Option<Latency> {
        samples.sort_unstable();
        let last = samples.len().checked_sub(1)?;
        // The smallest sample with at least `percent` % of the samples at or below it.
        let rank = |percent: usize| samples[(samples.len() * percent).div_ceil(100).saturating_sub(1)];
        Some(Latency {
            p50: rank(50),
            p90: rank(90),
            p99: rank(99),
            max: samples[last],
        })
    }
}

/// What a fuzz run did and found.
#[derive(Debug, Clone)]
pub struct FuzzReport {
    pub seed: u64,
    pub concurrency: usize,
    /// Fuzzed requests sent, resent ones included.
    pub requests: u64,
    /// Well-formed GetOrchestrator calls made to check the target still serves.
    pub liveness_checks: u64,
    pub elapsed: Duration,
    /// Of the fuzzed requests of the batches.
    pub latency: Option<Latency>,
    pub requests_by_family: Vec<(String, u64)>,
    /// Findings kept, at most [`KEPT_PER_RULE_AND_FAMILY`] per rule and family.
    pub findings: Vec<FuzzFinding>,
    /// Every finding, counted by rule ID.
    pub findings_by_rule: BTreeMap<&'static str, usize>,
    /// Families that took the target down; the run sent no more of their cases.
    pub quarantined: Vec<String>,
    /// Why the run ended before its duration, if it did.
    pub stopped_early: Option<String>,
}

impl FuzzReport {
    pub fn finding_count(&self) -> usize {
        self.findings_by_rule.values().sum()
    }

    /// Fuzzed requests per second.
    pub fn throughput(&self) -> f64 {
        let seconds = self.elapsed.as_secs_f64();
        if seconds > 0.0 {
            self.requests as f64 / seconds
        } else {
            0.0
        }
    }
}

/// Fuzzes the target behind `driver` as `settings` say; `progress` hears of every answer.
/// `gateway` is the key behind the driver's identity: the signature families sign with it.
pub async fn fuzz(
    driver: &Driver,
    gateway: &EthKey,
    settings: &FuzzSettings,
    progress: &mut dyn FnMut(&FuzzProgress),
) -> FuzzReport {
    let started = Instant::now();
    // Requests still unanswered one call deadline after the duration are given up, so a target
    // that stalls every call costs the duration and two deadlines (this one, the liveness check).
    let give_up_at = started + settings.duration + driver.connection().call_timeout();
    let maker = CaseMaker {
        seed: settings.seed,
        ingredients: Arc::new(Ingredients::new(gateway, settings.seed)),
    };
    let liveness_request = signed_orchestrator_request(gateway);
    let concurrency = settings.concurrency.max(1);
    let mut schedule = Schedule::new(&settings.families);
    let mut findings = FuzzFindings::default();
    let mut requests = 0u64;
    let mut liveness_checks = 0u64;
    let mut latencies = Vec::new();
    let mut stopped_early = None;

    for batch_number in 1.. {
        let remaining = settings
            .max_requests
            .map_or(u64::MAX, |max| max.saturating_sub(requests));
        if started.elapsed() >= settings.duration || remaining == 0 {
            break;
        }
        let size = (concurrency * BATCH_ROUNDS).min(usize::try_from(remaining).unwrap_or(usize::MAX));
        let cases: Vec<(Family, u64)> = (0..size).map_while(|_| schedule.next()).collect();
        if cases.is_empty() {
            stopped_early = Some("every family took the target down; no cases left to send".to_string());
            break;
        }
        let sent_before = requests;
        let in_flight = start_batch(driver, cases, &maker, concurrency);
        let found_before = findings.count();
        let answered = finish_batch(in_flight, give_up_at, &mut |completed| {
            progress(&FuzzProgress {
                requests: sent_before + completed,
                findings: found_before,
                elapsed: started.elapsed(),
            })
        })
        .await;
        requests += answered.len() as u64;
        let mut batch = Vec::with_capacity(answered.len());
        for Answered { sent, elapsed, judged } in answered {
            latencies.push(elapsed);
            for judged in judged {
                findings.record(judged, &sent.case, sent.family.name(), || vec![maker.input(&sent)]);
            }
            batch.push(sent);
        }

        let check = liveness_check(driver, &liveness_request).await;
        liveness_checks += 1;
        let judged = judge::liveness(&check);
        if !judged.is_empty() {
            let batch_name = format!("batch-{batch_number}");
            if check.outcome.is_ok() {
                findings.record_liveness(judged, &batch_name, "", &batch, &maker);
            } else if Instant::now() >= started + settings.duration {
                findings.record_liveness(judged, &batch_name, "", &batch, &maker);
                stopped_early = Some("the duration ended while the target was not answering".to_string());
                break;
            } else {
                let down = went_down(
                    driver,
                    &liveness_request,
                    &batch,
                    &maker,
                    settings.recovery_timeout,
                    give_up_at,
                )
                .await;
                requests += down.resent;
                liveness_checks += down.checks;
                let (case, family, inputs) = match &down.culprit {
                    Some(culprit) => (
                        culprit.case.clone(),
                        culprit.family.name().to_string(),
                        vec![culprit.clone()],
                    ),
                    None => (batch_name, String::new(), batch),
                };
                findings.record_liveness(judged, &case, &family, &inputs, &maker);
                if let Some(culprit) = &down.culprit {
                    schedule.quarantine(culprit.family.name());
                }
                if !down.recovered {
                    stopped_early = Some(format!(
                        "the target did not answer GetOrchestrator again within the recovery timeout of {:?}",
                        settings.recovery_timeout
                    ));
                    break;
                }
            }
        }
        progress(&FuzzProgress {
            requests,
            findings: findings.count(),
            elapsed: started.elapsed(),
        });
    }
    progress(&FuzzProgress {
        requests,
        findings: findings.count(),
        elapsed: started.elapsed(),
    });

    FuzzReport {
        seed: settings.seed,
        concurrency,
        requests,
        liveness_checks,
        elapsed: started.elapsed(),
        latency: Latency::of(latencies),
        requests_by_family: schedule.sent(),
        findings_by_rule: findings.by_rule,
        findings: findings.kept,
        quarantined: schedule.quarantined(),
        stopped_early,
    }
}

/// What resending inputs one at a time showed.
#[derive(Debug, Clone, Default)]
pub struct Resent {
    pub requests: u64,
    pub findings: Vec<FuzzFinding>,
    /// The position of the input after which the target stopped answering, if it did.
    pub down_after: Option<usize>,
}

/// Resends `inputs` in order, each judged as in a fuzz run and followed by a well-formed
/// GetOrchestrator; stops once the target no longer answers. `lpconform replay` is this.
pub async fn resend(driver: &Driver, inputs: &[FuzzInput]) -> Resent {
    resend_with(
        driver,
        &signed_orchestrator_request(driver.gateway()),
        inputs.iter().cloned(),
        true,
        None,
    )
    .await
}

/// The well-formed, signed GetOrchestrator that tells whether the target still serves.
async fn liveness_check(driver: &Driver, request: &OrchestratorRequest) -> Call<OrchestratorInfo> {
    let exchange = driver
        .exchange(driver.request(RpcMethod::GetOrchestrator, request))
        .await;
    exchange.decoded::<OrchestratorInfo>()
}

/// Resends `inputs` as [`resend`] does, sending none after `give_up_at`.
async fn resend_with(
    driver: &Driver,
    liveness_request: &OrchestratorRequest,
    inputs: impl IntoIterator<Item = FuzzInput>,
    judge_inputs: bool,
    give_up_at: Option<Instant>,
) -> Resent {
    let mut resent = Resent::default();
    for (position, input) in inputs.into_iter().enumerate() {
        if give_up_at.is_some_and(|moment| Instant::now() >= moment) {
            break;
        }
        let exchange = driver
            .exchange(driver.request_to(&input.path, input.body.clone()))
            .await;
        resent.requests += 1;
        let mut judged = if judge_inputs {
            judge::fuzzed_call(&input.case, &exchange)
        } else {
            Vec::new()
        };
        let check = liveness_check(driver, liveness_request).await;
        judged.extend(judge::liveness(&check));
        resent
            .findings
            .extend(judged.into_iter().map(|Judged { rule, finding }| FuzzFinding {
                rule,
                finding,
                case: input.case.clone(),
                family: input.family.clone(),
                inputs: vec![input.clone()],
            }));
        if check.outcome.is_err() {
            resent.down_after = Some(position);
            break;
        }
    }
    resent
}

/// After the target stopped answering: waits for it to come back, then resends the batch one
/// case at a time to find the case that takes it down, and waits for it to come back again.
struct Down {
    culprit: Option<SentCase>,
    recovered: bool,
    resent: u64,
    checks: u64,
}

async fn went_down(
    driver: &Driver,
    liveness_request: &OrchestratorRequest,
    batch: &[SentCase],
    maker: &CaseMaker,
    recovery_timeout: Duration,
    give_up_at: Instant,
) -> Down {
    // Waiting for the target never outlasts the run.
    let recovery_timeout = recovery_timeout.min(give_up_at.saturating_duration_since(Instant::now()));
    let mut down = Down {
        culprit: None,
        recovered: false,
        resent: 0,
        checks: 0,
    };
    if !wait_for_recovery(driver, liveness_request, recovery_timeout, &mut down.checks).await {
        return down;
    }
    let inputs = batch.iter().map(|sent| maker.input(sent));
    let isolation = resend_with(driver, liveness_request, inputs, false, Some(give_up_at)).await;
    down.resent = isolation.requests;
    down.checks += isolation.requests;
    down.culprit = isolation.down_after.and_then(|position| batch.get(position).cloned());
    down.recovered =
        down.culprit.is_none() || wait_for_recovery(driver, liveness_request, recovery_timeout, &mut down.checks).await;
    down
}

/// Asks every [`RECOVERY_POLL`] until the target answers a well-formed GetOrchestrator again.
async fn wait_for_recovery(
    driver: &Driver,
    liveness_request: &OrchestratorRequest,
    timeout: Duration,
    checks: &mut u64,
) -> bool {
    let started = Instant::now();
    loop {
        tokio::time::sleep(RECOVERY_POLL).await;
        *checks += 1;
        if liveness_check(driver, liveness_request).await.outcome.is_ok() {
            return true;
        }
        if started.elapsed() >= timeout {
            return false;
        }
    }
}

/// A batch's calls on their way: at most `concurrency` in flight at once.
struct InFlight {
    tasks: JoinSet<(usize, Answered)>,
}

/// Makes a run's cases. A case is the same bytes each time it is made, so a batch keeps only
/// which cases it sent, and the few inputs a finding or a resend needs are made again.
#[derive(Clone)]
struct CaseMaker {
    seed: u64,
    ingredients: Arc<Ingredients>,
}

impl CaseMaker {
    fn make(&self, family: &Family, index: u64) -> FuzzInput {
        generate(family, index, self.seed, &self.ingredients)
    }

    fn input(&self, sent: &SentCase) -> FuzzInput {
        self.make(&sent.family, sent.index)
    }
}

/// A case a batch sent, without its body: an oversized body is 4 to 8 MiB, and a batch keeps
/// [`BATCH_ROUNDS`] times the concurrency of cases until its liveness check is done.
#[derive(Clone)]
struct SentCase {
    /// `family#index`, as in [`FuzzInput::case`].
    case: String,
    family: Family,
    index: u64,
}

/// A sent case's answer, judged as soon as it came, so its body and exchange are dropped then.
struct Answered {
    sent: SentCase,
    elapsed: Duration,
    judged: Vec<Judged>,
}

/// Starts a batch: each call generates its case, sends it and judges the answer on one of the
/// runtime's workers, so generation and judging run beside the calls in flight (a call's permit
/// is given back before its answer is judged); [`finish_batch`] collects the verdicts.
fn start_batch(driver: &Driver, cases: Vec<(Family, u64)>, maker: &CaseMaker, concurrency: usize) -> InFlight {
    let permits = Arc::new(Semaphore::new(concurrency));
    // One clone of the driver per batch, not one per call.
    let driver = Arc::new(driver.clone());
    let mut tasks = JoinSet::new();
    for (position, (family, index)) in cases.into_iter().enumerate() {
        let driver = Arc::clone(&driver);
        let permits = Arc::clone(&permits);
        let maker = maker.clone();
        tasks.spawn(async move {
            let permit = permits.acquire_owned().await;
            let FuzzInput { case, path, body, .. } = maker.make(&family, index);
            let exchange = driver.exchange(driver.request_to(&path, body)).await;
            drop(permit);
            let judged = judge::fuzzed_call(&case, &exchange);
            let answered = Answered {
                sent: SentCase { case, family, index },
                elapsed: exchange.elapsed,
                judged,
            };
            (position, answered)
        });
    }
    InFlight { tasks }
}

/// The judged answers of a batch in batch order. Requests not answered by `give_up_at` are dropped,
/// unsent or unanswered.
async fn finish_batch(in_flight: InFlight, give_up_at: Instant, completed: &mut dyn FnMut(u64)) -> Vec<Answered> {
    let mut tasks = in_flight.tasks;
    let mut answered = Vec::new();
    let give_up = tokio::time::sleep_until(give_up_at.into());
    tokio::pin!(give_up);
    loop {
        let joined = tokio::select! {
            joined = tasks.join_next() => joined,
            () = &mut give_up => {
                tasks.abort_all();
                None
            }
        };
        let Some(joined) = joined else { break };
        // A panic (a bug in generation or judging) goes on in the caller rather than losing the
        // call; tasks are cancelled only as the loop ends.
        match joined {
            Ok(result) => {
                answered.push(result);
                completed(answered.len() as u64);
            }
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(_) => {}
        }
    }
    answered.sort_by_key(|(position, ..)| *position);
    answered.into_iter().map(|(_, answered)| answered).collect()
}

/// Which family's case comes next: the families take turns, skipping quarantined ones.
struct Schedule {
    families: Vec<Family>,
    next_index: Vec<u64>,
    quarantined: Vec<bool>,
    turn: usize,
}

impl Schedule {
    fn new(families: &[Family]) -> Self {
        Self {
            families: families.to_vec(),
            next_index: vec![0; families.len()],
            quarantined: vec![false; families.len()],
            turn: 0,
        }
    }

    fn next(&mut self) -> Option<(Family, u64)> {
        for _ in 0..self.families.len() {
            let slot = self.turn % self.families.len();
            self.turn += 1;
            if !self.quarantined[slot] {
                let index = self.next_index[slot];
                self.next_index[slot] += 1;
                return Some((self.families[slot].clone(), index));
            }
        }
        None
    }

    fn quarantine(&mut self, name: &str) {
        for (slot, family) in self.families.iter().enumerate() {
            if family.name() == name {
                self.quarantined[slot] = true;
            }
        }
    }

    fn quarantined(&self) -> Vec<String> {
        (self.families.iter().zip(&self.quarantined))
            .filter(|(_, quarantined)| **quarantined)
            .map(|(family, _)| family.name().to_string())
            .collect()
    }

    fn sent(&self) -> Vec<(String, u64)> {
        (self.families.iter().zip(&self.next_index))
            .map(|(family, sent)| (family.name().to_string(), *sent))
            .collect()
    }
}

/// The run's findings: all counted by rule, the first few per rule and family kept with the
/// inputs that reproduce them.
#[derive(Default)]
struct FuzzFindings {
    kept: Vec<FuzzFinding>,
    by_rule: BTreeMap<&'static str, usize>,
}

impl FuzzFindings {
    /// Counts the finding, and keeps it with the inputs that reproduce it (made only when kept).
    fn record(&mut self, judged: Judged, case: &str, family: &str, inputs: impl FnOnce() -> Vec<FuzzInput>) {
        let rule = judged.rule;
        *self.by_rule.entry(rule.id).or_default() += 1;
        let kept = (self.kept.iter())
            .filter(|kept| kept.rule.id == rule.id && kept.family == family)
            .count();
        if kept < KEPT_PER_RULE_AND_FAMILY {
            self.kept.push(FuzzFinding {
                rule,
                finding: judged.finding,
                case: case.to_string(),
                family: family.to_string(),
                inputs: inputs(),
            });
        }
    }

    /// Records the liveness check's findings, located at `case` of `family`, reproduced by `cases`.
    fn record_liveness(
        &mut self,
        judged: Vec<Judged>,
        case: &str,
        family: &str,
        cases: &[SentCase],
        maker: &CaseMaker,
    ) {
        // Made once for all its findings (a timed-out check is RPC-003 and RPC-005), which then
        // share the bodies.
        let mut inputs: Option<Vec<FuzzInput>> = None;
        for judged in judged {
            self.record(judged, case, family, || {
                inputs
                    .get_or_insert_with(|| cases.iter().map(|sent| maker.input(sent)).collect())
                    .clone()
            });
        }
    }

    fn count(&self) -> usize {
        self.by_rule.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::families::FAMILIES;

    #[test]
    fn percentiles_by_nearest_rank() {
        let samples: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let latency = Latency::of(samples).unwrap();
        assert_eq!(
            (latency.p50, latency.p90, latency.p99, latency.max),
            (
                Duration::from_millis(50),
                Duration::from_millis(90),
                Duration::from_millis(99),
                Duration::from_millis(100)
            )
        );
        assert_eq!(Latency::of(Vec::new()), None);
        let one = Latency::of(vec![Duration::from_millis(7)]).unwrap();
        assert_eq!(one.p50, one.max);
    }

    #[test]
    fn families_take_turns_and_quarantined_ones_sit_out() {
        let families: Vec<Family> = FAMILIES.iter().take(3).map(Family::Written).collect();
        let mut schedule = Schedule::new(&families);
        let named = |schedule: &mut Schedule| {
            schedule
                .next()
                .map(|(family, index)| format!("{}#{index}", family.name()))
        };
        let first: Vec<_> = (0..4).filter_map(|_| named(&mut schedule)).collect();
        assert_eq!(
            first,
            ["raw-bytes#0", "mutated-encoding#0", "bad-signature#0", "raw-bytes#1"]
        );
        schedule.quarantine("mutated-encoding");
        assert_eq!(named(&mut schedule).as_deref(), Some("bad-signature#1"));
        assert_eq!(named(&mut schedule).as_deref(), Some("raw-bytes#2"));
        assert_eq!(schedule.quarantined(), ["mutated-encoding"]);
        schedule.quarantine("raw-bytes");
        schedule.quarantine("bad-signature");
        assert_eq!(named(&mut schedule), None);
    }
}
