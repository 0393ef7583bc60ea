//! The gateway identity from a go-livepeer remote signer (`-remoteSigner`): `POST
//! /sign-orchestrator-info` answers `{"address": "0x…", "signature": "0x…"}`, the discovery
//! signature of the signer's funded gateway account, kept in a `Gateway` whose
//! `Signer::RemoteSigner` signs nothing else. On-chain orchestrators refuse discovery
//! from unfunded gateways, and this way a funded key never has to be handed to the harness.

use std::time::Duration;

use serde::Deserialize;

use crate::eth::{Address, SIGNATURE_LEN};
use crate::gateway::Gateway;
use crate::transport::{Http1Client, HttpRequest, HttpVersion, Target, TransportOptions};

/// The remote signer's endpoint for discovery signatures.
pub const SIGN_PATH: &str = "/sign-orchestrator-info";
/// Largest answer read from a remote signer.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Why no identity came from the remote signer; says what and where.
#[derive(Debug, thiserror::Error)]
pub enum RemoteSignerError {
    #[error("remote signer {url}: {problem}")]
    Unusable { url: String, problem: String },
}

#[derive(Deserialize)]
struct SignerAnswer {
    address: String,
    signature: String,
}

/// Asks the signer at `url` (`http://host:port`, port 80 when none) for its discovery signature
/// over HTTP/1.1, connecting within `timeout` and answered within `timeout`.
pub async fn gateway_from(url: &str, timeout: Duration) -> Result<Gateway, RemoteSignerError> {
    let problem = |problem: String| RemoteSignerError::Unusable {
        url: url.to_string(),
        problem,
    };
    let uri: http::Uri = url.parse().map_err(|_| problem("not a URL".into()))?;
    if uri.scheme_str() != Some("http") {
        return Err(problem(
            "only http:// remote signers are supported (run it on loopback or behind a local proxy)".into(),
        ));
    }
    let host = uri.host().ok_or_else(|| problem("no host".into()))?;
    let port = uri.port_u16().unwrap_or(80);
    let target = Target::parse(&format!("http://{host}:{port}")).map_err(|error| problem(error.to_string()))?;
    let options = TransportOptions {
        connect_timeout: timeout,
        call_timeout: timeout,
        max_decode_bytes: MAX_ANSWER_BYTES,
        ca_file: None,
    };
    let client = Http1Client::new(&target, &options).map_err(|error| problem(error.to_string()))?;
    let request = HttpRequest::new(HttpVersion::Http1, http::Method::POST, SIGN_PATH).with_header(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    let answer = client
        .send(&request)
        .await
        .map_err(|error| problem(format!("POST {SIGN_PATH}: {error}")))?;
    parse_answer(url, &answer.body).map_err(problem)
}

/// The identity in a signer's JSON answer; the signature must be a well-formed `eth_sign`.
fn parse_answer(url: &str, body: &[u8]) -> Result<Gateway, String> {
    let answer: SignerAnswer = serde_json::from_slice(body)
        .map_err(|error| format!("the answer is not {{address, signature}} JSON: {error}"))?;
    let address = Address::parse(&answer.address).map_err(|error| format!("address: {error}"))?;
    let digits = answer.signature.strip_prefix("0x").unwrap_or(&answer.signature);
    let signature = hex::decode(digits).map_err(|_| "signature: not hex".to_string())?;
    if signature.len() != SIGNATURE_LEN {
        return Err(format!(
            "signature: {} bytes, expected {SIGNATURE_LEN}",
            signature.len()
        ));
    }
    Ok(Gateway::remote(url, address, signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNER: &str = "http://127.0.0.1:7936";

    #[test]
    fn answers_parse_into_an_identity_or_say_what_is_wrong() {
        let signature = format!("0x{}", "ab".repeat(65));
        let good =
            format!(r#"{{"address": "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", "signature": "{signature}"}}"#);
        let gateway = parse_answer(SIGNER, good.as_bytes()).unwrap();
        assert_eq!(
            gateway.address().to_checksum(),
            "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
        );
        assert!(
            gateway.sign(b"anything").is_err(),
            "a remote signer signs only what it offers"
        );
        assert!(parse_answer(SIGNER, b"not json").unwrap_err().contains("JSON"));
        let short = r#"{"address": "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", "signature": "0xabcd"}"#;
        assert!(parse_answer(SIGNER, short.as_bytes()).unwrap_err().contains("2 bytes"));
    }
}
