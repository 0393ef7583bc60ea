//! Helpers the end-to-end tests share: running the binary, reading the JSON schema pages, and a
//! suite run against an embedded orchestrator. Each test binary uses only some of them.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use lpconform::eth::EthKey;
use lpconform::reference::faults::Declared;
use lpconform::reference::{self, ReferenceConfig};
use lpconform::runner::{run_suites, RunReport, RunSettings};
use lpconform::suite::Suite;
use lpconform::transport::{Connection, Target, TransportOptions};

pub const BINARY: &str = env!("CARGO_BIN_EXE_lpconform");

/// Runs the binary in `directory` (a scratch one, so nothing it writes lands in the repository),
/// with no target or gateway key taken from the environment.
pub fn lpconform(directory: &Path, args: &[&str]) -> Output {
    Command::new(BINARY)
        .current_dir(directory)
        .args(args)
        .env_remove("LPCONFORM_TARGET")
        .env_remove("LPCONFORM_GATEWAY_KEY")
        .output()
        .expect("the binary runs")
}

/// Every key path a schema page documents: the first column of its tables.
pub fn documented_keys(schema_page: &str) -> BTreeSet<String> {
    let doc = std::fs::read_to_string(schema_page).unwrap();
    doc.lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|rest| rest.split_once("` |"))
        .map(|(key, _)| key.to_string())
        .collect()
}

/// The JSON example of a schema page: its first ```json block.
pub fn documented_example(schema_page: &str) -> String {
    let doc = std::fs::read_to_string(schema_page).unwrap();
    doc.split_once("```json\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(example, _)| example.to_string())
        .unwrap_or_else(|| panic!("{schema_page} has a JSON example"))
}

/// Every key path of a JSON document, `[]` standing for array elements.
pub fn key_paths(json: &str) -> BTreeSet<String> {
    fn walk(value: &serde_json::Value, prefix: &str, paths: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::Object(object) => {
                for (key, child) in object {
                    let path = if prefix.is_empty() {
                        key.clone()
                    } else {
                        format!("{prefix}.{key}")
                    };
                    paths.insert(path.clone());
                    walk(child, &path, paths);
                }
            }
            serde_json::Value::Array(items) => {
                for item in items {
                    walk(item, &format!("{prefix}[]"), paths);
                }
            }
            _ => {}
        }
    }
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut paths = BTreeSet::new();
    walk(&value, "", &mut paths);
    paths
}

/// Starts the embedded orchestrator as `config` says, runs `suites` against it with a 2 s call
/// deadline and the expectations `declared` gives, and stops it.
pub async fn run_embedded(
    config: ReferenceConfig,
    declared: Declared,
    suites: &[Suite],
    settings: &RunSettings,
    profile: &str,
) -> RunReport {
    let running = reference::start(config).await.unwrap();
    let expectations = declared.expectations(running.expectations()).unwrap();
    let options = TransportOptions {
        call_timeout: Duration::from_secs(2),
        ..TransportOptions::default()
    };
    let connection = Connection::connect(&running.target(), &options).await.unwrap();
    let driver = lpconform::driver::Driver::new(
        connection,
        lpconform::protocol::Protocol::built_in(),
        lpconform::gateway::Gateway::from(&EthKey::random()),
    );
    let report = run_suites(&driver, suites, &expectations, settings, profile).await;
    running.shutdown().await;
    report
}

/// A go-livepeer remote signer on loopback, in the shape of `POST /sign-orchestrator-info`:
/// every connection gets `{address, signature}` for `key`. Returns its URL and how many
/// requests it answered so far.
pub fn remote_signer(key: &lpconform::eth::EthKey) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    let address = key.address();
    let signature = key.sign_message(&lpconform::eth::orchestrator_request_message(&address));
    let body = format!(
        r#"{{"address":"{}","signature":"0x{}"}}"#,
        address.to_checksum(),
        hex::encode(signature)
    );
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = answered.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut request = [0u8; 4096];
            let read = stream.read(&mut request).unwrap_or(0);
            let posted = String::from_utf8_lossy(&request[..read]).starts_with("POST /sign-orchestrator-info ");
            let response = if posted {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                )
            } else {
                "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_string()
            };
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (url, answered)
}

/// Kills the server when the test ends, however it ends.
pub struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `lpconform serve` on a free port and returns it with the URL it announced.
pub fn serve(args: &[&str]) -> (Served, String) {
    let mut child = Command::new(BINARY)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().unwrap();
    let served = Served(child);
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = sender.send(line);
    });
    let line = receiver
        .recv_timeout(Duration::from_secs(30))
        .expect("serve announces its URL");
    let url = line
        .split_whitespace()
        .find(|word| word.contains("://"))
        .expect("a URL")
        .to_string();
    (served, url)
}

/// A driver to `url` with the built-in proto, as a random gateway: for tests that make single
/// calls themselves.
pub async fn driver_to(url: &str) -> lpconform::driver::Driver {
    let target = Target::parse(url).unwrap();
    let connection = Connection::connect(&target, &TransportOptions::default())
        .await
        .unwrap();
    lpconform::driver::Driver::new(
        connection,
        lpconform::protocol::Protocol::built_in(),
        lpconform::gateway::Gateway::from(&EthKey::random()),
    )
}

/// A response body of these frames, last first: a whole gRPC answer, trailers included, for the
/// hand-written servers of the tests.
pub struct Frames(pub Vec<http_body::Frame<bytes::Bytes>>);

impl http_body::Body for Frames {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
        std::task::Poll::Ready(self.0.pop().map(Ok))
    }
}
