//! TLS client settings: accept any certificate as gateways do, or pin a CA the user names; one
//! ALPN protocol per connection.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{self, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_rustls::TlsConnector;

use super::TransportError;
use crate::input_file::{read_input_bytes, InputFileError, MAX_CA_FILE_BYTES};

/// The ALPN protocol of HTTP/2 (gRPC and HTTP/2 requests share the connection).
pub const ALPN_H2: &[u8] = b"h2";
/// The ALPN protocol of HTTP/1.1, what the official Python gateway SDK speaks.
pub const ALPN_HTTP1: &[u8] = b"http/1.1";

/// Client TLS settings, no ALPN yet ([`offering`] adds it). Without a CA file any certificate is
/// accepted, because orchestrators present self-signed ones and gateways do not verify them.
pub fn client_config(ca_file: Option<&Path>) -> Result<ClientConfig, TransportError> {
    let provider = Arc::new(crypto::ring::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = match ca_file {
        None => Arc::new(AnyCertificate {
            provider: provider.clone(),
        }),
        Some(path) => pinned_ca_verifier(path, provider.clone())?,
    };
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports TLS 1.2 and 1.3")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// A connector with `config`'s trust offering only `alpn`, so the server cannot choose an HTTP
/// version the connection will not speak.
pub fn offering(config: &ClientConfig, alpn: &[u8]) -> TlsConnector {
    let mut config = config.clone();
    config.alpn_protocols = vec![alpn.to_vec()];
    TlsConnector::from(Arc::new(config))
}

/// Verifies the server's chain against the certificates in `path` only, not the system roots.
fn pinned_ca_verifier(
    path: &Path,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, TransportError> {
    let ca_problem = |problem: String| TransportError::CaFile {
        path: path.to_path_buf(),
        problem,
    };
    let pem = read_input_bytes(path, MAX_CA_FILE_BYTES).map_err(|error| match error {
        InputFileError::Unreadable(error) => ca_problem(format!("cannot open: {error}")),
        refused => ca_problem(refused.to_string()),
    })?;
    let certificates = CertificateDer::pem_reader_iter(&pem[..])
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| ca_problem(format!("not readable as PEM: {error}")))?;
    if certificates.is_empty() {
        return Err(ca_problem("holds no PEM CERTIFICATE block".to_string()));
    }
    let mut roots = RootCertStore::empty();
    for certificate in certificates {
        roots
            .add(certificate)
            .map_err(|error| ca_problem(format!("not usable as a CA certificate: {error}")))?;
    }
    let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|error| ca_problem(format!("cannot build a verifier: {error}")))?;
    Ok(verifier)
}

/// Accepts any certificate chain, yet still checks that the server holds the certificate's key
/// by verifying the handshake signatures.
#[derive(Debug)]
struct AnyCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
