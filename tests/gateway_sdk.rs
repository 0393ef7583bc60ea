//! The official Python gateway SDK (`livepeer-gateway` on PyPI, Python >= 3.12) discovers the
//! embedded reference orchestrator and reads what its configuration says: capabilities, models,
//! prices (the per-model price for a request naming the model too), hardware and token, in
//! off-chain, on-chain (through a loopback remote signer), AI-only and mixed configurations.
//! Skips with a message when the SDK is not installed (`.ci/run` installs it into
//! target/gateway-sdk when a Python 3.12 is at hand).

use std::path::PathBuf;
use std::process::Command;

use lpconform::eth::EthKey;
use lpconform::reference::{self, ChainMode, Funding, ReferenceConfig, Transcoder};
use serde_json::{json, Value};

mod common;

const PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/gateway_sdk.py");
/// Where `.ci/run` installs the SDK; `LPCONFORM_GATEWAY_SDK_PYTHON` names another interpreter.
const VENV_PYTHON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/target/gateway-sdk/bin/python");
/// Set where the SDK was installed, so a broken install fails instead of skipping.
const REQUIRED: &str = "LPCONFORM_REQUIRE_GATEWAY_SDK";

fn sdk_python() -> Option<PathBuf> {
    let python =
        std::env::var_os("LPCONFORM_GATEWAY_SDK_PYTHON").map_or_else(|| PathBuf::from(VENV_PYTHON), PathBuf::from);
    let importable = Command::new(&python)
        .args(["-c", "import livepeer_gateway"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !importable && std::env::var_os(REQUIRED).is_some() {
        panic!(
            "{REQUIRED} is set (.ci/run installed the SDK) but {} cannot import it",
            python.display()
        );
    }
    if !importable {
        eprintln!(
            "skipped: the official Python gateway SDK is not installed at {} \
             (python3.12 -m venv target/gateway-sdk && target/gateway-sdk/bin/pip install livepeer-gateway)",
            python.display()
        );
    }
    importable.then_some(python)
}

/// What the SDK read in one discovery, as tests/interop/gateway_sdk.py prints it.
fn sdk_discovery(python: &PathBuf, url: &str, signer: Option<&str>, model: Option<(u32, &str)>) -> Value {
    let mut command = Command::new(python);
    command.args([PEER, url, signer.unwrap_or("-")]);
    if let Some((capability, model_id)) = model {
        command.args([capability.to_string().as_str(), model_id]);
    }
    let output = command.output().expect("python starts");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

const IMAGE: (u32, &str) = (27, "ByteDance/SDXL-Lightning");
const DEFAULT_SET: [u32; 15] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 26];

fn set(parts: &[&[u32]]) -> Value {
    let mut all: Vec<u32> = parts.concat();
    all.sort_unstable();
    all.dedup();
    json!(all)
}

/// The shipped models as the SDK should read them: warm or cold, one slot per local entry
/// (the llm runs 2 containers, still one slot, as go-livepeer advertises it).
fn shipped_models() -> Value {
    json!({
        "27": {"ByteDance/SDXL-Lightning": {"warm": true, "capacity": 1}},
        "29": {"stabilityai/stable-video-diffusion-img2vid-xt-1-1": {"warm": false, "capacity": 1}},
        "33": {"meta-llama/Meta-Llama-3.1-8B-Instruct": {"warm": true, "capacity": 1}},
    })
}

/// Runs the SDK against `config`, once naming nothing and once naming the image model, and
/// checks the common fields; returns both answers for the configuration's own checks.
fn discover_both_ways(python: &PathBuf, config: ReferenceConfig, signer: Option<&str>) -> (Value, Value, String) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let running = runtime.block_on(reference::start(config)).unwrap();
    let url = running.url();
    let plain = sdk_discovery(python, &url, signer, None);
    let named = sdk_discovery(python, &url, signer, Some(IMAGE));
    for answer in [&plain, &named] {
        assert_eq!(answer["transcoder"], json!(url));
        assert_eq!(answer["version"], json!("0.9.1"));
        assert_eq!(answer["session_id"].as_str().unwrap().len(), 8, "{answer}");
        let expiration = answer["expiration"].as_i64().unwrap();
        assert!(
            (expiration - lpconform::ambient::unix_now() - 30 * 60).abs() < 60,
            "{answer}"
        );
    }
    assert_eq!(named["hardware"], json!([]), "naming a model leaves hardware out");
    assert_eq!(named["capabilities_prices"], json!([]));
    let address = running.address().0.iter().map(|byte| format!("{byte:02x}")).collect();
    (plain, named, address)
}

fn off_chain(transcoder: Transcoder, ai: bool) -> ReferenceConfig {
    ReferenceConfig {
        tls: true,
        chain: ChainMode::OffChain,
        transcoder,
        ai_models: if ai { reference::shipped_ai_models() } else { Vec::new() },
        ..ReferenceConfig::loopback()
    }
}

#[test]
fn the_sdk_reads_an_off_chain_transcoder() {
    let Some(python) = sdk_python() else { return };
    let (plain, named, _) = discover_both_ways(&python, off_chain(Transcoder::Software, false), None);
    let bare_ai: &[u32] = &[27, 28, 29, 30, 31, 32, 34, 36];
    for answer in [&plain, &named] {
        assert_eq!(answer["address"], json!("0".repeat(40)), "the zero address off chain");
        assert_eq!(answer["price"], Value::Null);
        assert_eq!(answer["ticket_params"], json!(false));
        assert_eq!(
            answer["capabilities"],
            set(&[&DEFAULT_SET, &[17, 21, 22, 23, 24, 25], bare_ai])
        );
        assert_eq!(answer["models"], json!({}));
    }
    assert_eq!(plain["hardware"], json!([]));
}

#[test]
fn the_sdk_reads_off_chain_ai_only_and_mixed_orchestrators() {
    let Some(python) = sdk_python() else { return };
    let (ai_only, _, _) = discover_both_ways(&python, off_chain(Transcoder::None, true), None);
    assert_eq!(ai_only["capabilities"], set(&[&DEFAULT_SET, &[27, 29, 33]]));
    assert_eq!(ai_only["models"], shipped_models());
    assert_eq!(
        ai_only["hardware"],
        json!([IMAGE.1, "meta-llama/Meta-Llama-3.1-8B-Instruct"])
    );
    assert_eq!(ai_only["capabilities_prices"], json!([]), "no AI prices off chain");

    let (mixed, _, _) = discover_both_ways(&python, off_chain(Transcoder::Software, true), None);
    assert_eq!(mixed["models"], shipped_models());
    assert_eq!(mixed["price"], Value::Null);
}

#[test]
fn the_sdk_reads_an_on_chain_mixed_orchestrator_through_a_remote_signer() {
    let Some(python) = sdk_python() else { return };
    let gateway = EthKey::random();
    let (signer, answered) = common::remote_signer(&gateway);
    let config = ReferenceConfig {
        tls: true,
        chain: ChainMode::OnChain,
        transcoder: Transcoder::Software,
        ai_models: reference::shipped_ai_models(),
        funding: Funding::Only(vec![gateway.address()]),
        ..ReferenceConfig::loopback()
    };
    let (plain, named, address) = discover_both_ways(&python, config, Some(&signer));
    assert!(
        answered.load(std::sync::atomic::Ordering::SeqCst) >= 1,
        "the SDK asked the signer"
    );
    for answer in [&plain, &named] {
        assert_eq!(answer["address"], json!(address));
        assert_eq!(answer["ticket_params"], json!(true));
        assert_eq!(answer["models"], shipped_models());
    }
    // 1000 wei per pixel with the auto-adjust overhead 1 + 1/100.
    assert_eq!(plain["price"], json!([1010, 1]));
    // The image model's 4 768 371 wei per pixel, plus 1/100, to 1/1000 wei: 481 605 471 / 100.
    assert_eq!(named["price"], json!([481_605_471, 100]));
    assert_eq!(
        plain["capabilities_prices"],
        json!([
            [27, IMAGE.1, 4_768_371, 1],
            [29, "stabilityai/stable-video-diffusion-img2vid-xt-1-1", 3_390_842, 1],
            [33, "meta-llama/Meta-Llama-3.1-8B-Instruct", 180_000_000, 1]
        ])
    );
    assert_eq!(
        plain["hardware"],
        json!([IMAGE.1, "meta-llama/Meta-Llama-3.1-8B-Instruct"])
    );
}
