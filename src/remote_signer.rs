//! The gateway identity from a go-livepeer remote signer (`-remoteSigner`): `POST
//! /sign-orchestrator-info` answers `{"address": "0x…", "signature": "0x…"}`, the discovery
//! signature of the signer's funded gateway account. On-chain orchestrators refuse discovery
//! from unfunded gateways, and this way a funded key never has to be handed to the harness.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use serde::Deserialize;

use crate::eth::{Address, SIGNATURE_LEN};
use crate::gateway::Gateway;

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

/// Asks the signer at `url` (`http://host:port`) for its discovery signature, within `timeout`.
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
    let host = uri.host().ok_or_else(|| problem("no host".into()))?.to_string();
    let port = uri.port_u16().unwrap_or(80);
    let exchange = async {
        let stream = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|error| format!("cannot connect: {error}"))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|error| format!("HTTP/1.1 setup failed: {error}"))?;
        tokio::spawn(connection);
        let request = http::Request::post(SIGN_PATH)
            .header(http::header::HOST, format!("{host}:{port}"))
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Empty::<Bytes>::new())
            .map_err(|error| error.to_string())?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|error| format!("POST {SIGN_PATH} failed: {error}"))?;
        let status = response.status();
        let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|error| format!("reading the answer failed: {error}"))?
            .to_bytes();
        if !status.is_success() {
            return Err(format!("POST {SIGN_PATH} answered HTTP {}", status.as_u16()));
        }
        Ok(body)
    };
    let body = tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| problem(format!("no answer within {timeout:?}")))?
        .map_err(problem)?;
    parse_answer(&body).map_err(problem)
}

/// The identity in a signer's JSON answer; the signature must be a well-formed `eth_sign`.
fn parse_answer(body: &[u8]) -> Result<Gateway, String> {
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
    Ok(Gateway::signed(address, signature))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse_into_an_identity_or_say_what_is_wrong() {
        let signature = format!("0x{}", "ab".repeat(65));
        let good =
            format!(r#"{{"address": "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", "signature": "{signature}"}}"#);
        let gateway = parse_answer(good.as_bytes()).unwrap();
        assert_eq!(
            gateway.address().to_checksum(),
            "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
        );
        assert!(parse_answer(b"not json").unwrap_err().contains("JSON"));
        let short = r#"{"address": "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23", "signature": "0xabcd"}"#;
        assert!(parse_answer(short.as_bytes()).unwrap_err().contains("2 bytes"));
    }
}
