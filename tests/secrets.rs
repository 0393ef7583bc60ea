//! Secrets never reach a report or snapshot: a live run against the embedded
//! orchestrator, then every rendering (terminal, JSON, JUnit, HTML) and every
//! snapshot file is searched for the auth token the server issued, S3 upload
//! secrets, and both private keys.

use std::path::Path;

use base64::Engine as _;
use lpconform::ai_models::load_ai_models;
use lpconform::eth::{keccak256, EthKey};
use lpconform::gateway::Gateway;
use lpconform::openapi::OpenApiDocument;
use lpconform::proto::net::{os_info::StorageType, OsInfo, S3osInfo};
use lpconform::reference::{self, ChainMode, ReferenceConfig};
use lpconform::report::html::render_html;
use lpconform::report::json::render_json;
use lpconform::report::junit::render_junit;
use lpconform::report::terminal::render_run;
use lpconform::runner::{run_suites, RunReport, RunSettings};
use lpconform::snapshot::{snapshot_view, SnapshotStore};
use lpconform::suite;
use lpconform::transport::{Connection, TransportOptions};

const GATEWAY_KEY: &str = "8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63";
const S3_POLICY: &str = "eyJleHBpcmF0aW9uIjoiMjAyNi0xMi0wMVQwMDowMDowMFoifQ==";
const S3_SIGNATURE: &str = "a3f1c2e4b5d60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";
const S3_CREDENTIAL: &str = "AKIAIOSFODNN7EXAMPLE/20261125/us-east-1/s3/aws4_request";

/// Every spelling a byte secret could take in a rendering.
fn spellings(bytes: &[u8]) -> Vec<String> {
    vec![
        hex::encode(bytes),
        hex::encode_upper(bytes),
        base64::engine::general_purpose::STANDARD.encode(bytes),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        format!("{bytes:?}"),
    ]
}

async fn live_run(snapshots: &Path) -> RunReport {
    let models = load_ai_models(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/aiModels.json"
    )))
    .unwrap();
    let config = ReferenceConfig {
        chain: ChainMode::OnChain,
        ai_models: models,
        eth_key: reference::well_known_key(),
        ..ReferenceConfig::loopback()
    };
    let running = reference::start(config).await.unwrap();
    let target = running.target();
    let connection = Connection::connect(&target, &TransportOptions::default())
        .await
        .unwrap();
    let settings = RunSettings {
        strict: false,
        case_filter: None,
        overrides: Default::default(),
        snapshots: Some(SnapshotStore::new(snapshots, "secrets", true)),
        openapi: Some(OpenApiDocument::embedded().clone()),
        follow_nodes: None,
    };
    let gateway = Gateway::from(&EthKey::from_hex(GATEWAY_KEY).unwrap());
    let driver = lpconform::driver::Driver::new(connection, lpconform::protocol::Protocol::built_in(), gateway);
    run_suites(
        &driver,
        &suite::built_in(),
        running.expectations(),
        &settings,
        "secrets",
    )
    .await
}

#[tokio::test]
async fn no_rendering_or_snapshot_holds_a_secret() {
    let scratch = tempfile::tempdir().unwrap();
    let mut report = live_run(scratch.path()).await;
    let info = report.info.as_mut().expect("the embedded orchestrator answered");
    let token = info.auth_token.clone().expect("an auth token was issued").token;
    // The reference advertises no storage; an S3 upload target as go-livepeer describes one is added.
    info.storage.push(OsInfo {
        storage_type: StorageType::S3.into(),
        s3info: Some(S3osInfo {
            host: "https://s3.example".into(),
            key: "uploads/".into(),
            policy: S3_POLICY.into(),
            signature: S3_SIGNATURE.into(),
            credential: S3_CREDENTIAL.into(),
            x_amz_date: "20261125T000000Z".into(),
        }),
    });

    let mut secrets = spellings(&token);
    secrets.extend(spellings(&keccak256(b"lpconform embedded reference orchestrator")));
    secrets.push(GATEWAY_KEY.to_string());
    secrets.extend([S3_POLICY, S3_SIGNATURE, S3_CREDENTIAL].map(String::from));

    let mut outputs = vec![
        ("terminal report".to_string(), render_run(&report, false)),
        ("JSON report".to_string(), render_json(&report)),
        ("JUnit report".to_string(), render_junit(&report)),
        ("HTML report".to_string(), render_html(&report)),
        (
            "snapshot view".to_string(),
            snapshot_view(report.info.as_ref().unwrap(), &report.newer_fields, &report.target),
        ),
    ];
    for entry in walk(scratch.path()) {
        outputs.push((entry.display().to_string(), std::fs::read_to_string(&entry).unwrap()));
    }
    assert!(outputs.len() > 3, "the run recorded snapshot files");
    for (name, text) in &outputs {
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{name} contains the secret {secret}");
        }
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
