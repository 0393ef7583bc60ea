//! Transport against real sockets: tiny tonic servers (h2c and TLS) and listeners that stall.

use std::future::pending;
use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Instant;

use prost::Message;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Identity, Server, ServerTlsConfig};
use tonic::{Code, Request, Response, Status};

use super::*;
use crate::proto::net::orchestrator_server::{Orchestrator, OrchestratorServer};
use crate::proto::net::{
    EndTranscodingSessionRequest, EndTranscodingSessionResponse, OrchestratorInfo, OrchestratorRequest, PingPong,
};
use crate::protocol::RpcMethod;

impl Connection {
    /// A typed call made of `call_raw`, as the driver makes them.
    async fn call<A: Message + Default>(&self, method: RpcMethod, request: &impl Message) -> Result<A, CallError> {
        let answer = self
            .call_raw(method.path(), Bytes::from(request.encode_to_vec()))
            .await?;
        A::decode(answer).map_err(|error| CallError::Decode(format!("failed to decode Protobuf message: {error}")))
    }
}

/// Echoes Ping, answers discovery with a fixed transcoder URI, rejects every auth token;
/// with `stall`, never answers at all.
struct TestOrchestrator {
    stall: bool,
}

#[tonic::async_trait]
impl Orchestrator for TestOrchestrator {
    async fn get_orchestrator(&self, _: Request<OrchestratorRequest>) -> Result<Response<OrchestratorInfo>, Status> {
        self.stall_if_asked().await;
        Ok(Response::new(OrchestratorInfo {
            transcoder: "https://test:8935".to_string(),
            ..Default::default()
        }))
    }

    async fn end_transcoding_session(
        &self,
        _: Request<EndTranscodingSessionRequest>,
    ) -> Result<Response<EndTranscodingSessionResponse>, Status> {
        self.stall_if_asked().await;
        Err(Status::unknown("Invalid auth token"))
    }

    async fn ping(&self, request: Request<PingPong>) -> Result<Response<PingPong>, Status> {
        self.stall_if_asked().await;
        Ok(Response::new(request.into_inner()))
    }
}

impl TestOrchestrator {
    async fn stall_if_asked(&self) {
        if self.stall {
            pending::<()>().await;
        }
    }
}

/// Serves a `TestOrchestrator` on 127.0.0.1 (TLS when given an identity) until the test ends.
async fn serve(stall: bool, identity: Option<Identity>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let mut server = Server::builder();
    if let Some(identity) = identity {
        server = server.tls_config(ServerTlsConfig::new().identity(identity)).unwrap();
    }
    let router = server.add_service(OrchestratorServer::new(TestOrchestrator { stall }));
    tokio::spawn(router.serve_with_incoming(TcpIncoming::from(listener)));
    address
}

/// Accepts connections, sends `greeting` on each and then nothing more.
async fn listener_that_sends(greeting: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut socket, _)) = listener.accept().await {
            socket.write_all(greeting).await.unwrap();
            held.push(socket);
        }
    });
    address
}

fn target(scheme: &str, address: SocketAddr) -> Target {
    Target::parse(&format!("{scheme}://{address}")).unwrap()
}

fn short_timeouts() -> TransportOptions {
    TransportOptions {
        connect_timeout: Duration::from_millis(300),
        call_timeout: Duration::from_millis(300),
        ..TransportOptions::default()
    }
}

async fn connect_h2c(address: SocketAddr, options: &TransportOptions) -> Connection {
    Connection::connect(&target("http", address), options).await.unwrap()
}

/// A CA, and a leaf for localhost/127.0.0.1 signed by it, as the server's identity.
struct TestPki {
    ca_pem: String,
    server_identity: Identity,
}

fn test_pki(ca_name: &str) -> TestPki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, ca_name);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();
    TestPki {
        ca_pem: ca.pem(),
        server_identity: Identity::from_pem(leaf.pem(), leaf_key.serialize_pem()),
    }
}

fn pem_file(contents: &str) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(contents.as_bytes()).unwrap();
    file
}

#[tokio::test]
async fn unreachable_target_fails_fast_naming_the_address() {
    let address = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let started = Instant::now();
    let error = Connection::connect(&target("http", address), &TransportOptions::default())
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    let text = error.to_string();
    assert!(matches!(error, TransportError::Connect { .. }), "{text}");
    assert!(
        !error.server_misbehaved(),
        "nothing listens: a problem of the run, not a finding"
    );
    assert!(text.contains(&address.to_string()), "{text}");
    assert!(text.to_lowercase().contains("refused"), "{text}");
}

#[tokio::test]
async fn stalled_server_makes_connect_time_out_at_the_stalled_step() {
    let address = listener_that_sends(b"").await;
    for (scheme, stage) in [("https", "TLS handshake"), ("http", "HTTP/2 setup")] {
        let started = Instant::now();
        let error = Connection::connect(&target(scheme, address), &short_timeouts())
            .await
            .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{scheme}: took {:?}",
            started.elapsed()
        );
        let text = error.to_string();
        assert!(
            matches!(error, TransportError::ConnectTimeout { .. }),
            "{scheme}: {text}"
        );
        assert!(error.server_misbehaved(), "{scheme}: it accepted, then stalled");
        assert!(
            text.contains(stage) && text.contains(&address.to_string()),
            "{scheme}: {text}"
        );
    }
}

#[tokio::test]
async fn http1_server_is_reported_as_not_speaking_http2() {
    let address = listener_that_sends(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n").await;
    let error = Connection::connect(&target("http", address), &short_timeouts())
        .await
        .unwrap_err();
    assert!(matches!(error, TransportError::Handshake { .. }), "{error}");
    assert!(error.server_misbehaved());
    let error = error.to_string();
    assert!(
        error.contains("not an HTTP/2 SETTINGS frame: \"HTTP/1.1 400 Bad Request"),
        "{error}"
    );
}

#[tokio::test]
async fn server_that_never_answers_gives_call_timeout() {
    let options = short_timeouts();
    let connection = connect_h2c(serve(true, None).await, &options).await;
    let started = Instant::now();
    let outcome = connection
        .call::<PingPong>(RpcMethod::Ping, &PingPong { value: vec![1] })
        .await;
    assert_eq!(outcome, Err(CallError::Timeout(options.call_timeout)));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn h2c_calls_map_answers_statuses_and_decode_failures() {
    let options = TransportOptions {
        max_decode_bytes: 64,
        ..TransportOptions::default()
    };
    let connection = connect_h2c(serve(false, None).await, &options).await;

    let info = connection
        .call::<OrchestratorInfo>(RpcMethod::GetOrchestrator, &OrchestratorRequest::default())
        .await
        .unwrap();
    assert_eq!(info.transcoder, "https://test:8935");
    let pong = connection
        .call::<PingPong>(RpcMethod::Ping, &PingPong { value: vec![7; 32] })
        .await
        .unwrap();
    assert_eq!(pong.value, vec![7; 32]);

    let rejected = connection
        .call::<EndTranscodingSessionResponse>(
            RpcMethod::EndTranscodingSession,
            &EndTranscodingSessionRequest::default(),
        )
        .await;
    assert_eq!(
        rejected,
        Err(CallError::Status {
            code: Code::Unknown,
            message: "Invalid auth token".to_string()
        })
    );

    let oversized = connection
        .call::<PingPong>(RpcMethod::Ping, &PingPong { value: vec![7; 100] })
        .await;
    assert!(
        matches!(&oversized, Err(CallError::Decode(text)) if text.contains("too large")),
        "{oversized:?}"
    );

    // Ping echoes bytes that are not valid UTF-8, so read as OrchestratorInfo.transcoder they fail.
    let undecodable = connection
        .call::<OrchestratorInfo>(RpcMethod::Ping, &PingPong { value: vec![0xff; 4] })
        .await;
    assert!(matches!(undecodable, Err(CallError::Decode(_))), "{undecodable:?}");

    let unknown_method = connection.call_raw("/net.Orchestrator/Nope", Bytes::new()).await;
    assert!(
        matches!(
            unknown_method,
            Err(CallError::Status {
                code: Code::Unimplemented,
                ..
            })
        ),
        "{unknown_method:?}"
    );
}

#[tokio::test]
async fn raw_calls_carry_the_bytes_as_they_are() {
    let connection = connect_h2c(serve(false, None).await, &TransportOptions::default()).await;
    let ping = PingPong {
        value: b"lpconform".to_vec(),
    };

    let raw = connection
        .call_raw("/net.Orchestrator/Ping", Bytes::from(ping.encode_to_vec()))
        .await
        .unwrap();
    assert_eq!(PingPong::decode(raw).unwrap(), ping);
}

#[tokio::test]
async fn tls_accepts_any_certificate_unless_a_ca_is_pinned() {
    let pki = test_pki("lpconform test CA");
    let target = target("https", serve(false, Some(pki.server_identity)).await);
    let ping = PingPong { value: vec![1, 2, 3] };

    let unverified = Connection::connect(&target, &TransportOptions::default())
        .await
        .unwrap();
    assert_eq!(
        unverified
            .call::<PingPong>(RpcMethod::Ping, &ping.clone())
            .await
            .unwrap(),
        ping
    );

    let own_ca = pem_file(&pki.ca_pem);
    let pinned_options = TransportOptions {
        ca_file: Some(own_ca.path().to_path_buf()),
        ..TransportOptions::default()
    };
    let pinned = Connection::connect(&target, &pinned_options).await.unwrap();
    assert_eq!(
        pinned.call::<PingPong>(RpcMethod::Ping, &ping).await.unwrap().value,
        vec![1, 2, 3]
    );

    let other_ca = pem_file(&test_pki("some other CA").ca_pem);
    let wrong_options = TransportOptions {
        ca_file: Some(other_ca.path().to_path_buf()),
        ..TransportOptions::default()
    };
    let error = Connection::connect(&target, &wrong_options)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("TLS handshake failed: invalid peer certificate: UnknownIssuer"),
        "{error}"
    );
}

/// PEM allows any text around its blocks; a bundle's notes in Latin-1 are not a reason to refuse it.
#[test]
fn a_ca_bundle_with_text_that_is_not_utf8_loads() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(b"Issuer: Soci\xe9t\xe9 G\xe9n\xe9rale\n").unwrap();
    file.write_all(test_pki("a CA").ca_pem.as_bytes()).unwrap();
    super::tls::client_config(Some(file.path())).unwrap();
}

#[tokio::test]
async fn unusable_ca_file_is_an_error_naming_it() {
    let target = Target::parse("https://127.0.0.1:1").unwrap();
    let no_certificate = pem_file("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    let missing = no_certificate.path().with_extension("missing");
    for (path, problem) in [
        (missing.as_path(), "cannot open"),
        (no_certificate.path(), "no PEM CERTIFICATE"),
    ] {
        let options = TransportOptions {
            ca_file: Some(path.to_path_buf()),
            ..TransportOptions::default()
        };
        let error = Connection::connect(&target, &options).await.unwrap_err().to_string();
        assert!(
            error.starts_with(&format!("{}: ", path.display())) && error.contains(problem),
            "{error}"
        );
    }
}
