//! The reference orchestrator over real loopback gRPC, TLS and h2c, called
//! through the harness's own transport as a gateway would.

use std::io::Write;
use std::path::Path;

use super::*;
use crate::driver::Driver;
use crate::eth::{self, EthKey};
use crate::gateway::{
    forged_auth_token, forged_orchestrator_request, malformed_address_request, signed_orchestrator_request, Gateway,
};
use crate::observe::CallError;
use crate::proto::net::{
    Capabilities, EndTranscodingSessionRequest, EndTranscodingSessionResponse, OrchestratorInfo, OrchestratorRequest,
    PingPong,
};
use crate::protocol::{Protocol, RpcMethod};
use crate::transport::{Connection, HttpRequest, HttpVersion, TransportOptions};

fn config(tls: bool, chain: ChainMode) -> ReferenceConfig {
    ReferenceConfig {
        tls,
        chain,
        ..ReferenceConfig::loopback()
    }
}

fn with_ai_models(mut config: ReferenceConfig) -> ReferenceConfig {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/aiModels.json");
    config.ai_models = crate::ai_models::load_ai_models(&path).unwrap();
    config
}

async fn connect(running: &RunningOrchestrator) -> Driver {
    connect_with(running, &TransportOptions::default()).await
}

/// A driver to `running`, as some gateway; the tests sign their own requests.
async fn connect_with(running: &RunningOrchestrator, options: &TransportOptions) -> Driver {
    let target = running.target();
    let connection = Connection::connect(&target, options).await.unwrap();
    Driver::new(connection, Protocol::built_in(), Gateway::from(&EthKey::random()))
}

fn status_message(error: CallError) -> String {
    match error {
        CallError::Status {
            code: tonic::Code::Unknown,
            message,
        } => message,
        other => panic!("expected a gRPC Unknown status, got {other:?}"),
    }
}

#[tokio::test]
async fn off_chain_over_tls_accepts_any_signature_and_pings_empty() {
    let running = start(config(true, ChainMode::OffChain)).await.unwrap();
    assert!(running.url().starts_with("https://127.0.0.1:"));
    let connection = connect(&running).await;
    let gateway = EthKey::random();

    let info = connection
        .call::<OrchestratorInfo>(RpcMethod::GetOrchestrator, &signed_orchestrator_request(&gateway))
        .await
        .unwrap();
    assert_eq!(info.transcoder, running.url());
    assert_eq!(
        info.address,
        vec![0; 20],
        "off chain go-livepeer advertises the zero address"
    );
    assert!(info.ticket_params.is_none());
    connection
        .call::<OrchestratorInfo>(RpcMethod::GetOrchestrator, &forged_orchestrator_request(&gateway))
        .await
        .unwrap();

    let pong = connection
        .call::<PingPong>(RpcMethod::Ping, &PingPong { value: vec![1; 32] })
        .await
        .unwrap();
    assert!(pong.value.is_empty());
}

#[tokio::test]
async fn on_chain_over_h2c_rejects_bad_signatures_and_signs_ping() {
    let running = start(config(false, ChainMode::OnChain)).await.unwrap();
    assert!(running.url().starts_with("http://127.0.0.1:"));
    let connection = connect(&running).await;
    let gateway = EthKey::random();

    let info = connection
        .call::<OrchestratorInfo>(RpcMethod::GetOrchestrator, &signed_orchestrator_request(&gateway))
        .await
        .unwrap();
    let ticket = info.ticket_params.expect("on-chain info carries ticket params");
    assert_eq!(ticket.recipient, running.address().0.to_vec());

    for bad in [
        forged_orchestrator_request(&gateway),
        malformed_address_request(&gateway),
    ] {
        let error = connection
            .call::<OrchestratorInfo>(RpcMethod::GetOrchestrator, &bad)
            .await
            .unwrap_err();
        assert_eq!(status_message(error), SIG_CHECK_FAILED);
    }

    let value = vec![9; 32];
    let pong = connection
        .call::<PingPong>(RpcMethod::Ping, &PingPong { value: value.clone() })
        .await
        .unwrap();
    let signer = eth::recover_signer(&eth::ping_message(&value), &pong.value).unwrap();
    assert_eq!(signer, running.address());
}

#[tokio::test]
async fn on_chain_over_tls_serves_signed_requests() {
    let running = start(config(true, ChainMode::OnChain)).await.unwrap();
    let connection = connect(&running).await;
    let info = connection
        .call::<OrchestratorInfo>(
            RpcMethod::GetOrchestrator,
            &signed_orchestrator_request(&EthKey::random()),
        )
        .await
        .unwrap();
    assert!(info.ticket_params.is_some());
}

#[tokio::test]
async fn issued_auth_tokens_end_sessions_and_forged_ones_do_not() {
    let running = start(config(false, ChainMode::OffChain)).await.unwrap();
    let connection = connect(&running).await;
    let info = connection
        .call::<OrchestratorInfo>(
            RpcMethod::GetOrchestrator,
            &signed_orchestrator_request(&EthKey::random()),
        )
        .await
        .unwrap();

    let issued = EndTranscodingSessionRequest {
        auth_token: info.auth_token,
    };
    connection
        .call::<EndTranscodingSessionResponse>(RpcMethod::EndTranscodingSession, &issued)
        .await
        .unwrap();
    let forged = EndTranscodingSessionRequest {
        auth_token: Some(forged_auth_token()),
    };
    let error = connection
        .call::<EndTranscodingSessionResponse>(RpcMethod::EndTranscodingSession, &forged)
        .await
        .unwrap_err();
    assert_eq!(status_message(error), INVALID_AUTH_TOKEN);
}

// Parity with go-livepeer 0.9, behaviour by behaviour as ../shared/protocol/go-livepeer.md
// lists them; docs/reference-vs-go-livepeer.md names each test.

const IMAGE: (u32, &str) = (27, "ByteDance/SDXL-Lightning");
const VIDEO: (u32, &str) = (29, "stabilityai/stable-video-diffusion-img2vid-xt-1-1");
const LLM: (u32, &str) = (33, "meta-llama/Meta-Llama-3.1-8B-Instruct");

fn model((capability, model_id): (u32, &str)) -> crate::observe::ModelRef {
    crate::observe::ModelRef {
        capability,
        model_id: model_id.into(),
    }
}

/// One discovery from a fresh gateway (funded: `loopback` funds every gateway).
async fn discover(config: ReferenceConfig) -> OrchestratorInfo {
    let running = start(config).await.unwrap();
    discover_from(&running, signed_orchestrator_request(&EthKey::random()))
        .await
        .unwrap()
}

async fn discover_from(
    running: &RunningOrchestrator,
    request: OrchestratorRequest,
) -> Result<OrchestratorInfo, CallError> {
    connect(running)
        .await
        .call::<OrchestratorInfo>(RpcMethod::GetOrchestrator, &request)
        .await
}

fn price(info: &OrchestratorInfo) -> (i64, i64) {
    let price = info.price_info.as_ref().expect("a price");
    (price.price_per_unit, price.pixels_per_unit)
}

fn numbers(info: &OrchestratorInfo) -> Vec<u32> {
    crate::capability::decode_bitstring(&info.capabilities.as_ref().unwrap().bitstring)
}

#[tokio::test]
async fn off_chain_advertises_no_prices_no_tickets_and_the_zero_address() {
    let info = discover(with_ai_models(config(true, ChainMode::OffChain))).await;
    assert_eq!(info.address, vec![0; 20]);
    assert!(info.price_info.is_none());
    assert!(info.capabilities_prices.is_empty());
    assert!(info.ticket_params.is_none());
    assert!(info.auth_token.is_some());
}

#[tokio::test]
async fn on_chain_advertises_the_signing_account_and_tickets_pay_eth_orch_addr() {
    let mut config = config(true, ChainMode::OnChain);
    let signer = config.eth_key.address();
    config.orch_address = Some(Address([0x42; 20]));
    let info = discover(config).await;
    assert_eq!(info.address, signer.0.to_vec());
    assert_eq!(info.ticket_params.unwrap().recipient, vec![0x42; 20]);
}

#[tokio::test]
async fn addresses_are_read_as_go_livepeer_reads_them_before_the_signature_check() {
    let running = start(config(false, ChainMode::OnChain)).await.unwrap();
    let gateway = EthKey::random();
    // 12 zero bytes, then the address: the last 20 bytes are the signer's, so it is accepted.
    let mut padded = signed_orchestrator_request(&gateway);
    padded.address = [vec![0; 12], gateway.address().0.to_vec()].concat();
    discover_from(&running, padded).await.unwrap();
    // 19 or 21 bytes read as another account: the signature is not its.
    for bad in [malformed_address_request(&gateway), {
        let mut long = signed_orchestrator_request(&gateway);
        long.address.push(0);
        long
    }] {
        let error = discover_from(&running, bad).await.unwrap_err();
        assert_eq!(status_message(error), SIG_CHECK_FAILED);
    }
}

#[tokio::test]
async fn service_addr_is_advertised_with_https_and_nodes_are_forced_to_https() {
    let mut config = config(false, ChainMode::OffChain);
    config.service_uri = Some("https://orchestrator.example:8935".into());
    config.nodes = vec!["https://node.example:8935".into()];
    let info = discover(config).await;
    assert_eq!(info.transcoder, "https://orchestrator.example:8935");
    assert_eq!(info.nodes, ["https://node.example:8935"]);
}

#[tokio::test]
async fn without_a_service_uri_the_request_capabilities_are_ignored() {
    let mut config = with_ai_models(config(false, ChainMode::OnChain));
    config.service_uri = Some(String::new());
    let running = start(config).await.unwrap();
    let request = crate::gateway::model_request(&EthKey::random(), &[model(LLM)]);
    let info = discover_from(&running, request).await.unwrap();
    assert_eq!(info.transcoder, "");
    assert_eq!(
        price(&info),
        (1010, 1),
        "the transcoding price, as for a request naming nothing"
    );
    assert!(!info.capabilities_prices.is_empty());
}

#[tokio::test]
async fn prices_are_reduced_rationals_with_the_auto_adjust_overhead() {
    let mut config = config(false, ChainMode::OnChain);
    config.price_per_unit = 3000;
    config.pixels_per_unit = 3;
    assert_eq!(price(&discover(config.clone()).await), (1010, 1), "1000 x (1 + 1/100)");
    config.auto_adjust_price = false;
    assert_eq!(price(&discover(config.clone()).await), (1000, 1), "3000/3 as 1000/1");
    config.price_per_unit = 1;
    config.auto_adjust_price = true;
    // 1/3 x 101/100 = 0.33666…, rounded down to 1/1000 wei: 336/1000 = 42/125.
    assert_eq!(price(&discover(config).await), (42, 125));
}

#[tokio::test]
async fn per_gateway_prices_apply_to_their_gateway_only() {
    let gateway = EthKey::random();
    let mut config = config(false, ChainMode::OnChain);
    config.auto_adjust_price = false;
    config.gateway_prices = vec![GatewayPrice {
        gateway: gateway.address(),
        price_per_unit: 500,
        pixels_per_unit: 1,
    }];
    let running = start(config).await.unwrap();
    let own = discover_from(&running, signed_orchestrator_request(&gateway))
        .await
        .unwrap();
    assert_eq!(price(&own), (500, 1));
    let other = discover_from(&running, signed_orchestrator_request(&EthKey::random()))
        .await
        .unwrap();
    assert_eq!(price(&other), (1000, 1));
}

#[tokio::test]
async fn a_models_entry_for_one_gateway_prices_that_gateway_only() {
    let gateway = EthKey::random();
    let mut config = with_ai_models(config(false, ChainMode::OnChain));
    config.auto_adjust_price = false;
    let mut own = config.ai_models[0].clone();
    own.price_per_unit = 5;
    own.gateway = Some(gateway.address().to_checksum().to_lowercase());
    config.ai_models.push(own);
    let running = start(config).await.unwrap();
    let named = |key: &EthKey| crate::gateway::model_request(key, &[model(IMAGE)]);
    let for_it = discover_from(&running, named(&gateway)).await.unwrap();
    assert_eq!(price(&for_it), (5, 1));
    let for_others = discover_from(&running, named(&EthKey::random())).await.unwrap();
    assert_eq!(price(&for_others), (4_768_371, 1));
    let listed = discover_from(&running, signed_orchestrator_request(&gateway))
        .await
        .unwrap();
    let image = listed
        .capabilities_prices
        .iter()
        .find(|price| price.constraint == IMAGE.1)
        .unwrap();
    assert_eq!(image.price_per_unit, 5, "its own entry replaces the default one");
}

#[tokio::test]
async fn a_summed_price_beyond_int64_is_go_livepeers_error_and_a_tiny_one_still_needs_a_reserve() {
    let mut config = with_ai_models(config(false, ChainMode::OnChain));
    config.auto_adjust_price = false;
    for model in &mut config.ai_models {
        model.price_per_unit = i64::MAX;
        model.pixels_per_unit = 1;
    }
    let running = start(config).await.unwrap();
    let request = crate::gateway::model_request(&EthKey::random(), &[model(IMAGE), model(LLM)]);
    let error = discover_from(&running, request).await.unwrap_err();
    assert_eq!(status_message(error), "price cannot be converted to int64");

    // 1 wei per 2000 pixels rounds down to 0 with the overhead, yet go-livepeer asks for the
    // sender's reserve before rounding.
    let mut tiny = self::config(false, ChainMode::OnChain);
    tiny.price_per_unit = 1;
    tiny.pixels_per_unit = 2000;
    tiny.funding = Funding::Only(Vec::new());
    let running = start(tiny).await.unwrap();
    let error = discover_from(&running, signed_orchestrator_request(&EthKey::random()))
        .await
        .unwrap_err();
    assert_eq!(status_message(error), "insufficient sender reserve");
}

#[tokio::test]
async fn a_request_naming_models_is_answered_with_their_summed_price() {
    let mut config = with_ai_models(config(false, ChainMode::OnChain));
    config.auto_adjust_price = false;
    let running = start(config).await.unwrap();
    let answer = |models: Vec<crate::observe::ModelRef>| {
        let running = &running;
        async move {
            let request = crate::gateway::model_request(&EthKey::random(), &models);
            discover_from(running, request).await.unwrap()
        }
    };
    let one = answer(vec![model(IMAGE)]).await;
    assert_eq!(price(&one), (4_768_371, 1));
    assert!(one.hardware.is_empty() && one.capabilities_prices.is_empty());
    assert_eq!(
        price(&answer(vec![model(IMAGE), model(LLM)]).await),
        (4_768_371 + 180_000_000, 1)
    );
    let unpriced = answer(vec![model((27, "lpconform/not-served"))]).await;
    assert_eq!(price(&unpriced), (1000, 1), "nothing priced: the transcoding price");
}

#[tokio::test]
async fn capability_prices_are_whole_wei_without_overhead_listed_for_every_model() {
    let mut config = with_ai_models(config(false, ChainMode::OnChain));
    config.ai_models[0].price_per_unit = 3;
    config.ai_models[0].pixels_per_unit = 2;
    let info = discover(config).await;
    let listed: Vec<(u32, &str, i64, i64)> = info
        .capabilities_prices
        .iter()
        .map(|price| {
            (
                price.capability,
                price.constraint.as_str(),
                price.price_per_unit,
                price.pixels_per_unit,
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (IMAGE.0, IMAGE.1, 1, 1),
            (VIDEO.0, VIDEO.1, 3_390_842, 1),
            (LLM.0, LLM.1, 180_000_000, 1)
        ]
    );
}

#[tokio::test]
async fn hardware_is_listed_for_warm_models_only_and_not_when_capabilities_are_named() {
    let running = start(with_ai_models(config(false, ChainMode::OffChain))).await.unwrap();
    let info = discover_from(&running, signed_orchestrator_request(&EthKey::random()))
        .await
        .unwrap();
    let listed: Vec<&str> = info
        .hardware
        .iter()
        .map(|hardware| hardware.model_id.as_str())
        .collect();
    assert_eq!(
        listed,
        [IMAGE.1, LLM.1],
        "the cold image-to-video model runs no container"
    );
    let mut request = signed_orchestrator_request(&EthKey::random());
    request.capabilities = Some(Capabilities::default());
    let named = discover_from(&running, request).await.unwrap();
    assert!(named.hardware.is_empty() && named.storage.is_empty());
}

#[tokio::test]
async fn capability_sets_follow_the_transcoder() {
    let default_set = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 26];
    let bare_ai = [27, 28, 29, 30, 31, 32, 34, 36];
    let sorted = |parts: &[&[u32]]| {
        let mut all: Vec<u32> = parts.concat();
        all.sort_unstable();
        all.dedup();
        all
    };
    let software = discover(config(false, ChainMode::OffChain)).await;
    assert_eq!(
        numbers(&software),
        sorted(&[&default_set, &[17, 21, 22, 23, 24, 25], &bare_ai])
    );
    let mut gpu = config(false, ChainMode::OffChain);
    gpu.transcoder = Transcoder::Gpu;
    assert_eq!(
        numbers(&discover(gpu).await),
        sorted(&[&default_set, &[15, 16, 18], &bare_ai])
    );
    let mut ai_only = with_ai_models(config(false, ChainMode::OffChain));
    ai_only.transcoder = Transcoder::None;
    let ai_only = discover(ai_only).await;
    assert_eq!(numbers(&ai_only), sorted(&[&default_set, &[27, 29, 33]]));

    let advertised = numbers(&software);
    let capabilities = software.capabilities.unwrap();
    let mut with_capacity: Vec<u32> = capabilities.capacities.keys().copied().collect();
    with_capacity.sort_unstable();
    assert_eq!(with_capacity, advertised, "a capacity for every advertised capability");
    assert!(capabilities.capacities.values().all(|capacity| *capacity == 1));
    assert!(capabilities.mandatories.is_empty());
    assert_eq!(capabilities.version, "0.9.1");
    assert_eq!(capabilities.constraints.unwrap().min_version, "0.9.1");
}

#[tokio::test]
async fn the_version_can_be_set_even_to_undefined() {
    let mut config = config(false, ChainMode::OffChain);
    config.version = "undefined".into();
    let capabilities = discover(config).await.capabilities.unwrap();
    assert_eq!(capabilities.version, "undefined");
    assert_eq!(capabilities.constraints.unwrap().min_version, "undefined");
}

#[tokio::test]
async fn models_are_warm_or_cold_with_free_slots_and_live_containers_in_use() {
    let mut config = with_ai_models(config(false, ChainMode::OffChain));
    let entry = |model_id: &str, capability: u32, capacity: u32, external: bool| {
        let mut model = config.ai_models[0].clone();
        model.model_id = model_id.into();
        model.capability = capability;
        model.capacity = capacity;
        model.external = external;
        model
    };
    let live = entry("streamdiffusion", 35, 3, false);
    let external = entry("external-llm", LLM.0, 3, true);
    // The same external model listed again (say, for another gateway's price): slots add up.
    let again = entry("external-llm", LLM.0, 2, true);
    config.ai_models.extend([live, external, again]);
    config.running_jobs = vec![("external-llm".into(), 1), ("streamdiffusion".into(), 2)];
    let capabilities = discover(config).await.capabilities.unwrap();
    let per_capability = capabilities.constraints.unwrap().per_capability;
    let constraint = |(capability, model_id): (u32, &str)| per_capability[&capability].models[model_id].clone();
    assert!(constraint(IMAGE).warm && !constraint(VIDEO).warm);
    // A local entry is one slot, however many containers it runs (the llm's capacity is 2).
    assert_eq!((constraint(LLM).capacity, constraint(LLM).capacity_in_use), (1, 0));
    let external = constraint((LLM.0, "external-llm"));
    assert_eq!(
        (external.capacity, external.capacity_in_use),
        (4, 0),
        "3 + 2 slots, 1 job"
    );
    let live = constraint((35, "streamdiffusion"));
    assert_eq!(
        (live.capacity, live.capacity_in_use),
        (1, 2),
        "idle and busy containers"
    );
}

#[tokio::test]
async fn live_video_to_video_without_an_idle_container_is_capped_unless_the_flag_says_otherwise() {
    let mut config = with_ai_models(config(false, ChainMode::OffChain));
    let mut live = config.ai_models[0].clone();
    live.pipeline = "live-video-to-video".into();
    live.model_id = "streamdiffusion".into();
    live.capability = 35;
    live.capacity = 1;
    config.ai_models.push(live);
    config.running_jobs = vec![("streamdiffusion".into(), 1)];
    let running = start(config).await.unwrap();
    let mut request = crate::gateway::model_request(&EthKey::random(), &[model((35, "streamdiffusion"))]);
    request.ignore_capacity_check = false;
    let error = discover_from(&running, request.clone()).await.unwrap_err();
    assert_eq!(
        status_message(error),
        "Invalid orchestrator request: OrchestratorCapped"
    );
    request.ignore_capacity_check = true;
    discover_from(&running, request).await.unwrap();
}

#[tokio::test]
async fn at_max_sessions_every_discovery_is_capped_flag_or_no_flag() {
    let mut config = config(false, ChainMode::OffChain);
    config.max_sessions = 2;
    config.sessions_in_use = 2;
    let running = start(config).await.unwrap();
    let mut request = signed_orchestrator_request(&EthKey::random());
    request.ignore_capacity_check = true;
    let error = discover_from(&running, request).await.unwrap_err();
    assert_eq!(
        status_message(error),
        "Invalid orchestrator request: OrchestratorCapped"
    );
}

#[tokio::test]
async fn unfunded_gateways_are_refused_when_there_is_a_price_to_charge() {
    let funded = EthKey::random();
    let mut config = config(false, ChainMode::OnChain);
    config.funding = Funding::Only(vec![funded.address()]);
    let running = start(config.clone()).await.unwrap();
    discover_from(&running, signed_orchestrator_request(&funded))
        .await
        .unwrap();
    let error = discover_from(&running, signed_orchestrator_request(&EthKey::random()))
        .await
        .unwrap_err();
    assert_eq!(status_message(error), "insufficient sender reserve");

    // At price 0 nothing is charged, so go-livepeer never asks for the reserve.
    config.price_per_unit = 0;
    let free = start(config).await.unwrap();
    let info = discover_from(&free, signed_orchestrator_request(&EthKey::random()))
        .await
        .unwrap();
    let ticket = info.ticket_params.clone().unwrap();
    assert_eq!(price(&info), (0, 1));
    assert!(ticket.face_value.is_empty() && ticket.win_prob.is_empty());
}

#[tokio::test]
async fn tickets_are_worth_the_default_ev_and_fresh_in_every_answer() {
    let running = start(config(false, ChainMode::OnChain)).await.unwrap();
    let gateway = EthKey::random();
    let first = discover_from(&running, signed_orchestrator_request(&gateway))
        .await
        .unwrap();
    let second = discover_from(&running, signed_orchestrator_request(&gateway))
        .await
        .unwrap();
    let (a, b) = (first.ticket_params.unwrap(), second.ticket_params.unwrap());
    let face = num_bigint::BigUint::from_bytes_be(&a.face_value);
    let ev = (&face * num_bigint::BigUint::from_bytes_be(&a.win_prob)) >> 256u32;
    assert_eq!(ev, num_bigint::BigUint::from(TICKET_EV_WEI));
    assert_ne!(a.seed, b.seed);
    assert_ne!(a.recipient_rand_hash, b.recipient_rand_hash);
    let (ta, tb) = (first.auth_token.unwrap(), second.auth_token.unwrap());
    assert_ne!(ta.session_id, tb.session_id);
    assert!(
        (ta.expiration - crate::ambient::unix_now() - 30 * 60).abs() <= 5,
        "30 minutes"
    );
}

#[tokio::test]
async fn end_transcoding_session_checks_the_mac_not_the_expiration() {
    let running = start(config(false, ChainMode::OffChain)).await.unwrap();
    let connection = connect(&running).await;
    let info = connection
        .call::<OrchestratorInfo>(
            RpcMethod::GetOrchestrator,
            &signed_orchestrator_request(&EthKey::random()),
        )
        .await
        .unwrap();
    let mut token = info.auth_token.unwrap();
    let end = |token: Option<crate::proto::net::AuthToken>| {
        let request = EndTranscodingSessionRequest { auth_token: token };
        let connection = &connection;
        async move { (connection.call::<EndTranscodingSessionResponse>(RpcMethod::EndTranscodingSession, &request)).await }
    };
    end(Some(token.clone())).await.unwrap();
    token.expiration -= 1;
    assert_eq!(status_message(end(Some(token)).await.unwrap_err()), INVALID_AUTH_TOKEN);
    // go-livepeer crashes here (crash-on-missing-token); the reference refuses instead.
    assert_eq!(status_message(end(None).await.unwrap_err()), INVALID_AUTH_TOKEN);
}

#[tokio::test]
async fn crash_on_missing_token_drops_every_connection_then_restarts() {
    let mut config = config(false, ChainMode::OffChain);
    config.faults = vec![faults::RpcFault::CrashOnMissingToken.into()];
    let mut running = start(config).await.unwrap();
    let connection = connect(&running).await;
    let _ = connection
        .call::<EndTranscodingSessionResponse>(
            RpcMethod::EndTranscodingSession,
            &EndTranscodingSessionRequest { auth_token: None },
        )
        .await
        .unwrap_err();
    tokio::time::timeout(std::time::Duration::from_secs(1), running.crashed())
        .await
        .expect("the crash is reported");
    let target = running.target();
    assert!(
        Connection::connect(&target, &TransportOptions::default())
            .await
            .is_err(),
        "the port is closed"
    );
    tokio::time::sleep(faults::CRASH_OUTAGE + std::time::Duration::from_millis(300)).await;
    connect(&running)
        .await
        .call::<PingPong>(RpcMethod::Ping, &PingPong::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn http_paths_it_does_not_serve_are_404_and_unknown_methods_unimplemented() {
    let running = start(config(false, ChainMode::OffChain)).await.unwrap();
    let connection = connect(&running).await;
    for path in ["/orchestrator/info", "/no/such/path"] {
        let get = HttpRequest::new(HttpVersion::Http2, http::Method::GET, path);
        let error = connection.connection().http(&get).await.unwrap_err();
        assert!(
            matches!(error, CallError::Refused { status: 404, .. }),
            "{path}: {error:?}"
        );
    }
    let unknown = (connection.connection())
        .call_raw("/net.Orchestrator/NoSuchMethod", bytes::Bytes::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            unknown,
            CallError::Status {
                code: tonic::Code::Unimplemented,
                ..
            }
        ),
        "{unknown:?}"
    );
    let mut config = config(false, ChainMode::OffChain);
    config.serve_info_json = true;
    let serving = start(config).await.unwrap();
    let serving = connect(&serving).await;
    serving.info_json(&mut serving.recorder()).await.unwrap();
}

#[tokio::test]
async fn its_certificate_can_be_pinned() {
    let running = start(config(true, ChainMode::OffChain)).await.unwrap();
    let mut pem = tempfile::NamedTempFile::new().unwrap();
    pem.write_all(running.certificate_pem().unwrap().as_bytes()).unwrap();
    let options = TransportOptions {
        ca_file: Some(pem.path().to_path_buf()),
        ..TransportOptions::default()
    };
    let connection = connect_with(&running, &options).await;
    connection
        .call::<PingPong>(RpcMethod::Ping, &PingPong::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn shutdown_closes_the_port() {
    let running = start(config(false, ChainMode::OffChain)).await.unwrap();
    let target = running.target();
    running.shutdown().await;
    assert!(Connection::connect(&target, &TransportOptions::default())
        .await
        .is_err());
}

#[tokio::test]
async fn a_port_in_use_is_a_clear_error() {
    let running = start(config(false, ChainMode::OffChain)).await.unwrap();
    let mut taken = config(false, ChainMode::OffChain);
    taken.listen = running.local_addr();
    let error = start(taken).await.err().expect("the port is taken").to_string();
    assert!(
        error.starts_with(&format!("cannot listen on {}", running.local_addr())),
        "{error}"
    );
}
