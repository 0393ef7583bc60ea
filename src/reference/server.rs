//! Listening, TLS and connection handling. gRPC and HTTP share one port, as on
//! a go-livepeer orchestrator: each connection is TLS (ALPN h2 or http/1.1)
//! or cleartext with HTTP/2 prior knowledge (h2c), served by hyper, every way in
//! over one [`Node`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tonic::service::Routes;

use super::faults::CRASH_OUTAGE;
use super::node::Node;
use super::{routes, service, ChainMode, ReferenceConfig};
use crate::eth::Address;
use crate::expect::{Expectations, ExpectedModel, Price};
use crate::transport::{Scheme, Target};

/// A client that does not finish the TLS handshake in this time is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot make a self-signed TLS certificate: {0}")]
    Certificate(String),
}

/// A started reference orchestrator. Dropping it stops the server and closes
/// every connection; `shutdown` does the same and waits for it.
pub struct RunningOrchestrator {
    url: String,
    address: Address,
    local_addr: SocketAddr,
    certificate_pem: Option<String>,
    expectations: Expectations,
    /// Moves once per crash (`CrashOnMissingToken`).
    crashes: watch::Receiver<u32>,
    stop: watch::Sender<bool>,
    accept_loop: Option<JoinHandle<()>>,
}

impl RunningOrchestrator {
    /// `https://127.0.0.1:PORT` or `http://…` for h2c: what to pass as `--target`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Where it listens, as a target to dial.
    pub fn target(&self) -> Target {
        let scheme = if self.certificate_pem.is_some() {
            Scheme::Https
        } else {
            Scheme::Http
        };
        Target::local(scheme, self.local_addr)
    }

    /// The orchestrator's ETH address.
    pub fn address(&self) -> Address {
        self.address
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The self-signed certificate in PEM, for clients that pin it (`--ca`).
    pub fn certificate_pem(&self) -> Option<&str> {
        self.certificate_pem.as_deref()
    }

    /// What its operator would pass as `--expect`: the configured service URI,
    /// prices, address and AI models (before any fault bends them).
    pub fn expectations(&self) -> &Expectations {
        &self.expectations
    }

    /// Waits for the orchestrator to crash (`CrashOnMissingToken`), as a supervisor waits for
    /// its process to die. The embedded server restarts after [`CRASH_OUTAGE`]; `serve` exits.
    pub async fn crashed(&mut self) {
        if self.crashes.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(accept_loop) = self.accept_loop.take() {
            let _ = accept_loop.await;
        }
    }
}

/// The orchestrator a command or test talks to: the target it was given, or the embedded
/// reference started for it, which runs as long as this lives.
pub struct TargetOrEmbedded {
    pub target: Target,
    /// The embedded orchestrator and its configuration; `None` for a given target.
    pub embedded: Option<(RunningOrchestrator, ReferenceConfig)>,
}

impl TargetOrEmbedded {
    /// `target` when there is one, else the reference orchestrator `config` makes, started on
    /// loopback (`config` runs only then: its flags mean nothing beside a target).
    pub async fn start<E: From<StartError>>(
        target: Option<Target>,
        config: impl FnOnce() -> Result<ReferenceConfig, E>,
    ) -> Result<TargetOrEmbedded, E> {
        if let Some(target) = target {
            return Ok(TargetOrEmbedded { target, embedded: None });
        }
        let config = config()?;
        let running = start(config.clone()).await?;
        Ok(TargetOrEmbedded {
            target: running.target(),
            embedded: Some((running, config)),
        })
    }

    /// Stops the embedded orchestrator, if one was started.
    pub async fn stop(self) {
        if let Some((running, _)) = self.embedded {
            running.shutdown().await;
        }
    }
}

impl Drop for RunningOrchestrator {
    fn drop(&mut self) {
        if let Some(accept_loop) = self.accept_loop.take() {
            accept_loop.abort();
        }
    }
}

/// Binds the port and starts serving in the background.
pub async fn start(config: ReferenceConfig) -> Result<RunningOrchestrator, StartError> {
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen {
            address: config.listen,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| StartError::Listen {
        address: config.listen,
        source,
    })?;
    let (tls, certificate_pem) = if config.tls {
        let (acceptor, pem) = self_signed_acceptor()?;
        (Some(acceptor), Some(pem))
    } else {
        (None, None)
    };
    let url = format!("{}://{local_addr}", if config.tls { "https" } else { "http" });
    let address = config.eth_key.address();
    let service_uri = config.service_uri.clone().unwrap_or_else(|| url.clone());
    let expectations = operator_expectations(&config, &service_uri);
    let node = Arc::new(Node::new(config, service_uri));
    let crashes = node.crashes();
    let routes = routes::http_routes(service::grpc_routes(Arc::clone(&node)), &node).prepare();

    let (stop, stopped) = watch::channel(false);
    let accept_loop = tokio::spawn(accept_loop(listener, tls, routes, stopped, node.crashes()));
    Ok(RunningOrchestrator {
        url,
        address,
        local_addr,
        certificate_pem,
        expectations,
        crashes,
        stop,
        accept_loop: Some(accept_loop),
    })
}

/// What its operator would pass as `--expect`: the configured service URI, prices, accounts
/// and AI models (before any fault bends them). Off chain go-livepeer advertises no price and
/// the zero address, so none is expected.
fn operator_expectations(config: &ReferenceConfig, service_uri: &str) -> Expectations {
    let on_chain = config.chain == ChainMode::OnChain;
    let transcoding_price = Price {
        price_per_unit: config.price_per_unit,
        pixels_per_unit: config.pixels_per_unit,
    };
    Expectations {
        service_uri: Some(service_uri.to_string()),
        price_per_unit: on_chain.then_some(config.price_per_unit),
        pixels_per_unit: on_chain.then_some(config.pixels_per_unit),
        auto_adjust_price: Some(config.auto_adjust_price),
        tx_cost_multiplier: Some(super::TX_COST_MULTIPLIER),
        address: on_chain.then(|| config.eth_key.address()),
        orch_address: on_chain.then(|| config.recipient()),
        ai_models: config
            .ai_models
            .iter()
            .map(|model| ExpectedModel::of(model, Some(transcoding_price)))
            .collect(),
        ..Expectations::default()
    }
}

/// Accepts until told to stop; connections live in a `JoinSet` so stopping
/// (or aborting this task) ends them all. A crash drops every connection and the listener,
/// as a dying process does; after [`CRASH_OUTAGE`] the port is bound again (a supervisor's
/// restart), unless it is taken meanwhile.
async fn accept_loop(
    mut listener: TcpListener,
    tls: Option<TlsAcceptor>,
    routes: Routes,
    mut stopped: watch::Receiver<bool>,
    mut crashes: watch::Receiver<u32>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            Ok(()) = crashes.changed() => {
                let Ok(address) = listener.local_addr() else { break };
                connections.abort_all();
                drop(listener);
                tokio::select! {
                    _ = stopped.changed() => break,
                    () = tokio::time::sleep(CRASH_OUTAGE) => {}
                }
                let Ok(restarted) = TcpListener::bind(address).await else { break };
                listener = restarted;
            }
            accepted = listener.accept() => {
                // Accept errors (such as running out of file descriptors) are transient.
                let Ok((stream, _peer)) = accepted else { continue };
                connections.spawn(serve_connection(stream, tls.clone(), routes.clone()));
            }
            // Reap finished connections so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

async fn serve_connection(stream: TcpStream, tls: Option<TlsAcceptor>, routes: Routes) {
    let _ = stream.set_nodelay(true);
    match tls {
        None => serve_http(stream, routes).await,
        Some(acceptor) => {
            if let Ok(Ok(stream)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                serve_http(stream, routes).await;
            }
        }
    }
}

/// HTTP/1.1 or HTTP/2, whichever the client speaks; errors end only this connection.
async fn serve_http<S>(stream: S, routes: Routes)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let _ = auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(stream), TowerToHyperService::new(routes))
        .await;
}

/// A TLS acceptor with a certificate made for this run, valid for localhost
/// and 127.0.0.1; returns the certificate PEM too.
fn self_signed_acceptor() -> Result<(TlsAcceptor, String), StartError> {
    let problem = |error: &dyn std::fmt::Display| StartError::Certificate(error.to_string());
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .map_err(|error| problem(&error))?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| problem(&error))?
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .map_err(|error| problem(&error))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok((TlsAcceptor::from(Arc::new(config)), certified.cert.pem()))
}
