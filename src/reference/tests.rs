//! The reference orchestrator over real loopback gRPC, TLS and h2c, called
//! through the harness's own transport as a gateway would.

use std::io::Write;
use std::path::Path;

use super::*;
use crate::eth::{self, EthKey};
use crate::observe::CallError;
use crate::probe::{
    forged_auth_token, forged_orchestrator_request, malformed_address_request, signed_orchestrator_request,
};
use crate::proto::net::{Capabilities, EndTranscodingSessionRequest, PingPong};
use crate::transport::{Connection, Target, TransportOptions};

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

async fn connect(running: &RunningOrchestrator) -> Connection {
    connect_with(running, &TransportOptions::default()).await
}

async fn connect_with(running: &RunningOrchestrator, options: &TransportOptions) -> Connection {
    let target = Target::parse(&running.url()).unwrap();
    Connection::connect(&target, options).await.unwrap()
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
        .get_orchestrator(signed_orchestrator_request(&gateway))
        .await
        .unwrap();
    assert_eq!(info.transcoder, running.url());
    assert_eq!(info.address, running.address().0.to_vec());
    assert!(info.ticket_params.is_none());
    connection
        .get_orchestrator(forged_orchestrator_request(&gateway))
        .await
        .unwrap();

    let pong = connection.ping(PingPong { value: vec![1; 32] }).await.unwrap();
    assert!(pong.value.is_empty());
}

#[tokio::test]
async fn on_chain_over_h2c_rejects_bad_signatures_and_signs_ping() {
    let running = start(config(false, ChainMode::OnChain)).await.unwrap();
    assert!(running.url().starts_with("http://127.0.0.1:"));
    let connection = connect(&running).await;
    let gateway = EthKey::random();

    let info = connection
        .get_orchestrator(signed_orchestrator_request(&gateway))
        .await
        .unwrap();
    let ticket = info.ticket_params.expect("on-chain info carries ticket params");
    assert_eq!(ticket.recipient, running.address().0.to_vec());

    for bad in [
        forged_orchestrator_request(&gateway),
        malformed_address_request(&gateway),
    ] {
        let error = connection.get_orchestrator(bad).await.unwrap_err();
        assert_eq!(status_message(error), SIG_CHECK_FAILED);
    }

    let value = vec![9; 32];
    let pong = connection.ping(PingPong { value: value.clone() }).await.unwrap();
    let signer = eth::recover_signer(&eth::ping_message(&value), &pong.value).unwrap();
    assert_eq!(signer, running.address());
}

#[tokio::test]
async fn on_chain_over_tls_serves_signed_requests() {
    let running = start(config(true, ChainMode::OnChain)).await.unwrap();
    let connection = connect(&running).await;
    let info = connection
        .get_orchestrator(signed_orchestrator_request(&EthKey::random()))
        .await
        .unwrap();
    assert!(info.ticket_params.is_some());
}

#[tokio::test]
async fn issued_auth_tokens_end_sessions_and_forged_ones_do_not() {
    let running = start(config(false, ChainMode::OffChain)).await.unwrap();
    let connection = connect(&running).await;
    let info = connection
        .get_orchestrator(signed_orchestrator_request(&EthKey::random()))
        .await
        .unwrap();

    let issued = EndTranscodingSessionRequest {
        auth_token: info.auth_token,
    };
    connection.end_transcoding_session(issued).await.unwrap();
    let forged = EndTranscodingSessionRequest {
        auth_token: Some(forged_auth_token()),
    };
    let error = connection.end_transcoding_session(forged).await.unwrap_err();
    assert_eq!(status_message(error), INVALID_AUTH_TOKEN);
}

#[tokio::test]
async fn ai_models_become_bits_constraints_prices_and_hardware() {
    let running = start(with_ai_models(config(false, ChainMode::OffChain))).await.unwrap();
    let connection = connect(&running).await;
    let info = connection
        .get_orchestrator(signed_orchestrator_request(&EthKey::random()))
        .await
        .unwrap();

    let capabilities = info.capabilities.unwrap();
    let per_capability = capabilities.constraints.unwrap().per_capability;
    for (number, model_id) in [
        (27, "ByteDance/SDXL-Lightning"),
        (29, "stabilityai/stable-video-diffusion-img2vid-xt-1-1"),
        (33, "meta-llama/Meta-Llama-3.1-8B-Instruct"),
    ] {
        assert!(crate::capability::has_bit(&capabilities.bitstring, number));
        assert!(per_capability[&number].models.contains_key(model_id));
        assert!(info
            .capabilities_prices
            .iter()
            .any(|price| price.capability == number && price.constraint == model_id && price.pixels_per_unit > 0));
        assert!(info.hardware.iter().any(|hardware| hardware.model_id == model_id));
    }
    assert_eq!(capabilities.capacities[&33], 2);
}

#[tokio::test]
async fn hardware_and_capability_prices_are_left_out_when_the_request_names_capabilities() {
    let running = start(with_ai_models(config(false, ChainMode::OffChain))).await.unwrap();
    let connection = connect(&running).await;
    let mut request = signed_orchestrator_request(&EthKey::random());
    request.capabilities = Some(Capabilities::default());
    let info = connection.get_orchestrator(request).await.unwrap();
    assert!(info.hardware.is_empty());
    assert!(info.capabilities_prices.is_empty());
    assert_eq!(
        info.price_info.map(|price| price.price_per_unit),
        Some(1000),
        "no models named: transcoding"
    );
}

#[tokio::test]
async fn a_request_naming_models_is_answered_with_their_summed_price() {
    let running = start(with_ai_models(config(false, ChainMode::OffChain))).await.unwrap();
    let connection = connect(&running).await;
    let model = |capability, model_id: &str| crate::observe::ModelRef {
        capability,
        model_id: model_id.into(),
    };
    let image = model(27, "ByteDance/SDXL-Lightning");
    let llm = model(33, "meta-llama/Meta-Llama-3.1-8B-Instruct");
    let price = |models: &[crate::observe::ModelRef]| {
        let connection = &connection;
        let request = crate::probe::model_request(&EthKey::random(), models);
        async move {
            let price = connection.get_orchestrator(request).await.unwrap().price_info.unwrap();
            (price.price_per_unit, price.pixels_per_unit)
        }
    };
    assert_eq!(price(std::slice::from_ref(&image)).await, (4_768_371, 1));
    assert_eq!(price(&[image, llm]).await, (4_768_371 + 180_000_000, 1));
}

#[tokio::test]
async fn ai_only_advertises_no_transcoding() {
    let mut config = with_ai_models(config(false, ChainMode::OffChain));
    config.transcoding = false;
    let running = start(config).await.unwrap();
    let info = connect(&running)
        .await
        .get_orchestrator(signed_orchestrator_request(&EthKey::random()))
        .await
        .unwrap();
    let numbers = crate::capability::decode_bitstring(&info.capabilities.unwrap().bitstring);
    assert_eq!(numbers, vec![27, 29, 33]);
}

#[tokio::test]
async fn service_uri_flag_is_advertised() {
    let mut config = config(false, ChainMode::OffChain);
    config.service_uri = Some("https://orchestrator.example:8935".into());
    let running = start(config).await.unwrap();
    let info = connect(&running)
        .await
        .get_orchestrator(signed_orchestrator_request(&EthKey::random()))
        .await
        .unwrap();
    assert_eq!(info.transcoder, "https://orchestrator.example:8935");
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
    connection.ping(PingPong::default()).await.unwrap();
}

#[tokio::test]
async fn shutdown_closes_the_port() {
    let running = start(config(false, ChainMode::OffChain)).await.unwrap();
    let target = Target::parse(&running.url()).unwrap();
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
