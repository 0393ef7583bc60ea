//! `cargo bench`: what the harness costs on top of the calls it makes, measured against the
//! embedded orchestrator over h2c on loopback (on chain, transcoding and AI models).
//!
//! - `suite_run` is one whole run of the shipped suites; `bare_calls_of_a_suite_run` makes as
//!   many plain signed GetOrchestrator calls with tonic's generated client: the floor.
//! - `rules_per_answer` evaluates the whole catalog on one observed answer.
//! - `fuzz_requests` is `lpconform fuzz` for a fixed number of requests; `bare_tonic_loop`
//!   sends the same generated bodies with tonic alone at the same concurrency;
//!   `fuzz_against_bare` runs the two alternately and prints the median ratio of their rounds;
//!   `fuzz_generation` only makes those bodies, the CPU fuzzing takes from the target beside it
//!   on the same cores.
//! - `sweep` runs the suites against 1, 16 and 128 embedded orchestrators, 16 at a time.
//!
//! README's performance section records the figures and their ratios.

use std::path::Path;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use divan::Bencher;
use lpconform::ai_models::load_ai_models;
use lpconform::ambient::unix_now;
use lpconform::driver::Driver;
use lpconform::eth::EthKey;
use lpconform::expect::Expectations;
use lpconform::fuzz::{self, Family, FuzzInput, FuzzSettings, Ingredients};
use lpconform::gateway::{signed_orchestrator_request, Gateway};
use lpconform::observe::Observation;
use lpconform::openapi::OpenApiDocument;
use lpconform::proto::net::orchestrator_client::OrchestratorClient;
use lpconform::protocol::Protocol;
use lpconform::reference::{self, ChainMode, ReferenceConfig, RunningOrchestrator};
use lpconform::rules::{self, Context, ModeOverrides};
use lpconform::runner::{run_suites, standard_probe, RunSettings};
use lpconform::snapshot::SnapshotStore;
use lpconform::suite::{self, Suite};
use lpconform::sweep::{self, SweepSettings, SweepTarget};
use lpconform::transport::{Connection, RawCodec, TransportOptions};
use tokio::runtime::Runtime;
use tonic::transport::{Channel, Endpoint};

fn main() {
    divan::main();
}

/// Requests per fuzz sample, and how many are in flight at once.
const FUZZ_REQUESTS: u64 = 400;
const CONCURRENCY: usize = 8;

/// One embedded orchestrator and everything the benchmarks share.
struct Bench {
    runtime: Runtime,
    _running: RunningOrchestrator,
    driver: Driver,
    /// The same connection as the fuzzing gateway (its key derived from the seed).
    fuzz_driver: Driver,
    bare: Channel,
    gateway: Gateway,
    suites: Vec<Suite>,
    expectations: Expectations,
    settings: RunSettings,
    observation: Observation,
    /// Calls one `suite_run` makes, counted from a run.
    calls_per_suite_run: usize,
    /// The bodies `fuzz_requests` sends, for the bare loop.
    fuzz_inputs: Vec<FuzzInput>,
    fuzz_families: Vec<Family>,
    /// The run `fuzz_requests` makes, and the gateway key it signs with.
    fuzz_settings: FuzzSettings,
    fuzz_gateway: EthKey,
}

static BENCH: LazyLock<Bench> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = ReferenceConfig {
        tls: false,
        chain: ChainMode::OnChain,
        ai_models: load_ai_models(&manifest.join("fixtures/aiModels.json")).unwrap(),
        eth_key: reference::well_known_key(),
        ..ReferenceConfig::loopback()
    };
    let running = runtime.block_on(reference::start(config)).unwrap();
    let target = running.target();
    let connection = runtime
        .block_on(Connection::connect(&target, &TransportOptions::default()))
        .unwrap();
    let bare = runtime
        .block_on(Endpoint::from_shared(running.url()).unwrap().connect())
        .unwrap();
    let gateway = Gateway::from(&EthKey::random());
    let proto = Protocol::load(&manifest.join("proto")).unwrap();
    let suites = suite::load(&manifest.join("suites"), &proto).unwrap();
    let expectations = running.expectations().clone();
    let scratch = std::env::temp_dir().join("lpconform-bench-snapshots");
    let settings = RunSettings {
        strict: false,
        case_filter: None,
        overrides: ModeOverrides::default(),
        snapshots: Some(SnapshotStore::under(&scratch, "bench", true)),
        openapi: Some(OpenApiDocument::embedded().clone()),
        follow_nodes: None,
    };
    let driver = Driver::new(connection.clone(), proto.clone(), gateway.clone());
    let fuzz_driver = Driver::new(connection, proto, Gateway::from(&fuzz::gateway_for_seed(1)));
    let observation = runtime.block_on(standard_probe(&driver));
    let report = runtime.block_on(run_suites(&driver, &suites, &expectations, &settings, "bench"));
    // The baseline probe's calls, then each case's implicit discovery and its steps.
    let probe_calls = 7;
    let calls_per_suite_run = probe_calls + report.cases.iter().map(|case| case.steps.len() + 1).sum::<usize>();
    let seed = 1;
    let ingredients = Ingredients::new(&fuzz::gateway_for_seed(seed), seed);
    let fuzz_families = fuzz::families(fuzz_driver.proto());
    let fuzz_inputs = fuzz_cases(&fuzz_families, seed, &ingredients).collect();
    let fuzz_settings = FuzzSettings {
        seed,
        duration: Duration::from_secs(600),
        max_requests: Some(FUZZ_REQUESTS),
        concurrency: CONCURRENCY,
        families: fuzz_families.clone(),
        recovery_timeout: Duration::from_secs(5),
    };
    Bench {
        runtime,
        _running: running,
        driver,
        fuzz_driver,
        bare,
        gateway,
        suites,
        expectations,
        settings,
        observation,
        calls_per_suite_run,
        fuzz_inputs,
        fuzz_families,
        fuzz_settings,
        fuzz_gateway: fuzz::gateway_for_seed(seed),
    }
});

#[divan::bench(sample_count = 10, sample_size = 1)]
fn suite_run(bencher: Bencher) {
    let bench = &*BENCH;
    bencher.bench(|| {
        bench.runtime.block_on(run_suites(
            &bench.driver,
            &bench.suites,
            &bench.expectations,
            &bench.settings,
            "bench",
        ))
    });
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn bare_calls_of_a_suite_run(bencher: Bencher) {
    let bench = &*BENCH;
    let request = signed_orchestrator_request(&bench.gateway);
    bencher.bench(|| {
        bench.runtime.block_on(async {
            let mut client = OrchestratorClient::new(bench.bare.clone());
            for _ in 0..bench.calls_per_suite_run {
                client.get_orchestrator(request.clone()).await.unwrap();
            }
        })
    });
}

/// A thousand samples: the first hundred or so run while the allocator and caches settle, and
/// with divan's default hundred their slower times are a third of the sample.
#[divan::bench(sample_count = 1000)]
fn rules_per_answer(bencher: Bencher) {
    let bench = &*BENCH;
    let document = OpenApiDocument::embedded();
    bencher.bench(|| {
        let context = Context::new(
            &bench.observation,
            &bench.expectations,
            ModeOverrides::default(),
            unix_now(),
        )
        .with_openapi(document);
        rules::evaluate(&context)
    });
}

/// Forty samples for the fuzz/bare pair: with ten, one full run's ratio of medians swung from
/// 0.83 to 0.95 on an idle machine.
#[divan::bench(sample_count = 40, sample_size = 1)]
fn fuzz_requests(bencher: Bencher) {
    let bench = &*BENCH;
    bencher.bench(|| fuzz_run(bench));
}

/// One `lpconform fuzz` run of [`FUZZ_REQUESTS`] against the embedded orchestrator.
fn fuzz_run(bench: &Bench) -> u64 {
    let report = bench.runtime.block_on(fuzz::fuzz(
        &bench.fuzz_driver,
        &bench.fuzz_gateway,
        &bench.fuzz_settings,
        &mut |_| {},
    ));
    assert_eq!(report.finding_count(), 0, "the reference orchestrator survives fuzzing");
    report.requests
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn fuzz_generation(bencher: Bencher) {
    let bench = &*BENCH;
    let seed = 1;
    let ingredients = Ingredients::new(&fuzz::gateway_for_seed(seed), seed);
    bencher.bench(|| {
        fuzz_cases(&bench.fuzz_families, seed, &ingredients)
            .map(|input| input.body.len())
            .sum::<usize>()
    });
}

/// The cases a fuzz run of [`FUZZ_REQUESTS`] sends, in the order it takes turns between the
/// families.
fn fuzz_cases<'a>(
    families: &'a [Family],
    seed: u64,
    ingredients: &'a Ingredients,
) -> impl Iterator<Item = FuzzInput> + 'a {
    (0..FUZZ_REQUESTS).map(move |index| {
        let family = &families[index as usize % families.len()];
        fuzz::generate(family, index / families.len() as u64, seed, ingredients)
    })
}

#[divan::bench(sample_count = 40, sample_size = 1)]
fn bare_tonic_loop(bencher: Bencher) {
    let bench = &*BENCH;
    bencher.bench(|| bare_loop(bench));
}

/// The fuzz run's bodies sent with tonic alone, `CONCURRENCY` at a time.
fn bare_loop(bench: &Bench) {
    bench.runtime.block_on(async {
        for batch in bench.fuzz_inputs.chunks(CONCURRENCY) {
            let mut calls = tokio::task::JoinSet::new();
            for input in batch {
                let mut grpc = tonic::client::Grpc::new(bench.bare.clone());
                let path = http::uri::PathAndQuery::try_from(input.path.as_str()).unwrap();
                let body = input.body.clone();
                calls.spawn(async move {
                    grpc.ready().await.unwrap();
                    // Refusals are answers too: only the time matters here.
                    let _ = grpc.unary(tonic::Request::new(body), path, RawCodec).await;
                });
            }
            calls.join_all().await;
        }
    })
}

/// Rounds of [`fuzz_against_bare`] that count (odd, so the median is one round's), after
/// [`WARMUP_ROUNDS`] that do not.
const PAIRED_ROUNDS: usize = 41;
const WARMUP_ROUNDS: usize = 3;

/// The bare loop and the fuzz run alternately, [`PAIRED_ROUNDS`] times, printing the median of
/// each round's speed ratio (bare time over fuzz time): the machine's speed drifts over seconds,
/// and the medians of the two benchmarks above are taken seconds apart. The two swap places
/// every round, so a drift within a round favours neither. Divan's own time for this one is of
/// all rounds.
#[divan::bench(sample_count = 1, sample_size = 1)]
fn fuzz_against_bare() {
    let bench = &*BENCH;
    let seconds = |run: &dyn Fn()| {
        let started = Instant::now();
        run();
        started.elapsed().as_secs_f64()
    };
    let bare_run = || bare_loop(bench);
    let fuzzing_run = || {
        fuzz_run(bench);
    };
    let mut ratios = Vec::new();
    for round in 0..WARMUP_ROUNDS + PAIRED_ROUNDS {
        let (bare_seconds, fuzz_seconds) = if round % 2 == 0 {
            (seconds(&bare_run), seconds(&fuzzing_run))
        } else {
            let fuzz_seconds = seconds(&fuzzing_run);
            (seconds(&bare_run), fuzz_seconds)
        };
        if round >= WARMUP_ROUNDS {
            ratios.push(bare_seconds / fuzz_seconds);
        }
    }
    ratios.sort_by(f64::total_cmp);
    let quartile = |which: usize| ratios[(ratios.len() - 1) * which / 4];
    eprintln!(
        "fuzz/bare (speed), {PAIRED_ROUNDS} alternating rounds: median {:.3} (quartiles {:.3} to {:.3})",
        quartile(2),
        quartile(1),
        quartile(3)
    );
}

/// Orchestrators for the sweep benchmark: as many as its largest size, h2c, off chain.
struct Fleet {
    _servers: Vec<RunningOrchestrator>,
    targets: Vec<SweepTarget>,
}

static FLEET: LazyLock<Fleet> = LazyLock::new(|| {
    let runtime = &BENCH.runtime;
    let servers: Vec<RunningOrchestrator> = (0..128)
        .map(|_| {
            let config = ReferenceConfig {
                tls: false,
                ..ReferenceConfig::loopback()
            };
            runtime.block_on(reference::start(config)).unwrap()
        })
        .collect();
    let targets = servers
        .iter()
        .enumerate()
        .map(|(index, server)| SweepTarget {
            line: index + 1,
            target: server.target(),
            expectations: server.expectations().clone(),
        })
        .collect();
    Fleet {
        _servers: servers,
        targets,
    }
});

#[divan::bench(args = [1, 16, 128], sample_count = 3, sample_size = 1)]
fn sweep(bencher: Bencher, targets: usize) {
    let bench = &*BENCH;
    let fleet = &*FLEET;
    let settings = SweepSettings {
        concurrency: 16,
        target_timeout: Duration::from_secs(60),
        transport: TransportOptions::default(),
        proto: bench.driver.proto().clone(),
        run: bench.settings.clone(),
    };
    bencher.bench(|| {
        let report = bench.runtime.block_on(sweep::sweep(
            fleet.targets[..targets].to_vec(),
            &bench.suites,
            &bench.gateway,
            &settings,
            |_, _| {},
        ));
        assert!(report.rows.iter().all(|row| row.conformant()));
    });
}
