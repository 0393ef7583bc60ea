//! The one way lpconform talks to an orchestrator: dial it (TLS or h2c) and make unary gRPC
//! calls of encoded bytes (`call_raw`, which the driver encodes and decodes around) and HTTP/1.1
//! and HTTP/2 requests (`http`), each with a deadline and a response size cap.

mod codec;
mod dial;
mod http;
mod target;
#[cfg(test)]
mod tests;
mod tls;

use std::error::Error;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ::http::uri::PathAndQuery;
use ::http::Uri;
use bytes::Bytes;
use tokio::sync::watch;
use tokio_rustls::TlsConnector;
use tonic::client::Grpc;
use tonic::codec::Codec;
use tonic::transport::{Channel, Endpoint};
use tower::{service_fn, ServiceExt as _};

use crate::error_text::error_chain;
use crate::observe::CallError;
pub use codec::RawCodec;
pub use http::{Http1Client, HttpAnswer, HttpHead, HttpRequest, HttpVersion, REFUSAL_TEXT_LIMIT};

use dial::{DialError, Dialer, SetupProgress};
pub use target::{Scheme, Target, DEFAULT_PORT};

/// Sent with every request so operators can tell harness traffic apart in their logs.
const USER_AGENT: &str = concat!("lpconform/", env!("CARGO_PKG_VERSION"));

/// The largest message a gRPC peer accepts by default (grpc-go, tonic, go-livepeer): the decode cap
/// unless `--max-decode-bytes` says otherwise, the largest request the reference orchestrator
/// decodes, and the size the `oversized` fuzz family sends around.
pub const GRPC_MESSAGE_LIMIT: usize = 4 * 1024 * 1024;

/// Deadlines, limits and trust for talking to one orchestrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportOptions {
    /// Bounds TCP connect, TLS handshake and HTTP/2 setup together.
    pub connect_timeout: Duration,
    /// Bounds each call from send to decoded answer.
    pub call_timeout: Duration,
    /// Larger responses are a `CallError::Decode`, not an allocation.
    pub max_decode_bytes: usize,
    /// Verify the server certificate against this PEM CA; `None` accepts any, as gateways do.
    pub ca_file: Option<PathBuf>,
}

impl TransportOptions {
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(3);
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            call_timeout: Self::DEFAULT_CALL_TIMEOUT,
            max_decode_bytes: GRPC_MESSAGE_LIMIT,
            ca_file: None,
        }
    }
}

/// Why no connection could be set up. Each message names the target or file involved.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("{input:?}: {problem}")]
    BadTarget { input: String, problem: String },
    #[error("{}: {problem}", path.display())]
    CaFile { path: PathBuf, problem: String },
    /// Nothing accepted the connection: a wrong address, or the orchestrator is down.
    #[error("cannot connect to {target}: {reason}")]
    Connect { target: String, reason: String },
    /// The server accepted the connection, then failed TLS or HTTP/2 setup: that is the
    /// orchestrator misbehaving, a finding rather than a problem of the run.
    #[error("cannot connect to {target}: {reason}")]
    Handshake { target: String, reason: String },
    #[error("cannot connect to {target}: {stage} did not finish within {timeout:?} (the connect deadline)")]
    ConnectTimeout {
        target: String,
        stage: &'static str,
        timeout: Duration,
    },
}

impl TransportError {
    /// Whether a server accepted the connection and then broke TLS or HTTP/2 setup (or stalled
    /// in it), as opposed to a bad address, a bad `--ca` file or nothing listening.
    pub fn server_misbehaved(&self) -> bool {
        match self {
            TransportError::Handshake { .. } => true,
            TransportError::ConnectTimeout { stage, .. } => *stage != SetupProgress::Tcp.stage(),
            TransportError::BadTarget { .. } | TransportError::CaFile { .. } | TransportError::Connect { .. } => false,
        }
    }
}

/// Refuses an answer to a gRPC call that is not gRPC, naming its content type: tonic would read an
/// HTML page as gRPC frames and fail on a meaningless "compression flag". Refused here, the call
/// fails as a transport error (the exchange broke), not as an undecodable message.
fn grpc_answer_only(
    result: Result<::http::Response<tonic::body::Body>, tonic::transport::Error>,
) -> Result<::http::Response<tonic::body::Body>, Box<dyn Error + Send + Sync>> {
    let response = result?;
    let content_type = response.headers().get(::http::header::CONTENT_TYPE);
    let is_grpc = content_type
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/grpc"));
    if is_grpc {
        return Ok(response);
    }
    let shown = content_type.map_or_else(
        || "no content type".to_string(),
        |value| format!("content type {:?}", String::from_utf8_lossy(value.as_bytes())),
    );
    Err(format!(
        "the answer is not gRPC: HTTP status {} with {shown}, not application/grpc",
        response.status().as_u16()
    )
    .into())
}

/// An HTTP/2 channel to one orchestrator, ready for calls, and a client for its HTTP/1.1 requests.
#[derive(Debug, Clone)]
pub struct Connection {
    target: Target,
    channel: Channel,
    /// Shared by the connection's clones (the fuzzer clones one per request in flight).
    http1: Arc<Http1Client>,
    call_timeout: Duration,
    max_decode_bytes: usize,
}

impl Connection {
    /// Dials `target` and waits until the server has spoken HTTP/2, all within `connect_timeout`,
    /// so a peer that accepts the socket and then stalls cannot hang the run.
    pub async fn connect(target: &Target, options: &TransportOptions) -> Result<Connection, TransportError> {
        let tls = tls_connector(target, options, tls::ALPN_H2)?;
        let http1 = Arc::new(Http1Client::new(target, options)?);
        let cannot_connect = |reason: String| TransportError::Connect {
            target: target.to_string(),
            reason,
        };
        let failed_setup = |reason: String| TransportError::Handshake {
            target: target.to_string(),
            reason,
        };
        let timed_out = |progress: &SetupProgress| TransportError::ConnectTimeout {
            target: target.to_string(),
            stage: progress.stage(),
            timeout: options.connect_timeout,
        };
        let endpoint = endpoint(target, options).map_err(|error| cannot_connect(error_chain(&*error)))?;
        let (progress, watcher) = watch::channel(SetupProgress::Tcp);
        let dialer = Dialer {
            target: target.clone(),
            tls,
            progress: Arc::new(progress),
        };

        // tonic keeps redialing a server that drops the connection, so the first connection's
        // verdict is watched alongside and ends the wait as soon as it is a failure.
        let mut verdict = watcher.clone();
        let establish = async {
            let channel = async {
                endpoint
                    .connect_with_connector(service_fn(move |_: Uri| dialer.clone().dial()))
                    .await
                    .map_err(|error| match caused_by::<DialError>(&error) {
                        Some(dial_error @ DialError::Tcp { .. }) => cannot_connect(error_chain(dial_error)),
                        Some(dial_error @ DialError::Tls(_)) => failed_setup(error_chain(dial_error)),
                        None if timed_out_inside(&error) => timed_out(&watcher.borrow()),
                        None => cannot_connect(error_chain(&error)),
                    })
            };
            let http2 = async {
                match verdict.wait_for(SetupProgress::is_settled).await.as_deref() {
                    Ok(SetupProgress::Ready) => Ok(()),
                    Ok(SetupProgress::Failed(reason)) => Err(failed_setup(format!("HTTP/2 setup failed: {reason}"))),
                    _ => Err(failed_setup(
                        "the server closed the connection during HTTP/2 setup".to_string(),
                    )),
                }
            };
            tokio::try_join!(channel, http2).map(|(channel, ())| channel)
        };
        let outcome = tokio::time::timeout(options.connect_timeout, establish).await;
        let channel = match outcome {
            Ok(result) => result?,
            Err(_) => return Err(timed_out(&watcher.borrow())),
        };
        Ok(Connection {
            target: target.clone(),
            channel,
            http1,
            call_timeout: options.call_timeout,
            max_decode_bytes: options.max_decode_bytes,
        })
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The deadline of each call on this connection.
    pub fn call_timeout(&self) -> Duration {
        self.call_timeout
    }

    /// Sends already encoded bytes to any path and returns the answer's bytes undecoded: the one
    /// gRPC call, which `driver::Driver::exchange` makes for every command.
    pub async fn call_raw(&self, path: &str, body: Bytes) -> Result<Bytes, CallError> {
        let path_and_query = PathAndQuery::try_from(path).map_err(|error| bad_path(path, &error))?;
        self.unary(path_and_query, body, codec::RawCodec).await
    }

    /// Every call goes through here: one deadline, one size cap, one error mapping.
    async fn unary<C>(&self, path: PathAndQuery, message: C::Encode, codec: C) -> Result<C::Decode, CallError>
    where
        C: Codec,
        C::Encode: Sync,
        C::Decode: Sync,
    {
        let checked = self.channel.clone().map_result(grpc_answer_only);
        let mut grpc = Grpc::new(checked).max_decoding_message_size(self.max_decode_bytes);
        let mut request = tonic::Request::new(message);
        request.set_timeout(self.call_timeout);
        let call = async {
            grpc.ready()
                .await
                .map_err(|error| CallError::Transport(error_chain(&*error)))?;
            match grpc.unary(request, path, codec).await {
                Ok(response) => Ok(response.into_inner()),
                Err(status) if caused_by::<tonic::TimeoutExpired>(&status).is_some() => {
                    Err(CallError::Timeout(self.call_timeout))
                }
                Err(status) => Err(CallError::from_status(status)),
            }
        };
        within(self.call_timeout, call).await
    }
}

/// `call`'s outcome, or a `Timeout` once `deadline` has passed: every call's deadline.
async fn within<T>(deadline: Duration, call: impl Future<Output = Result<T, CallError>>) -> Result<T, CallError> {
    tokio::time::timeout(deadline, call)
        .await
        .unwrap_or(Err(CallError::Timeout(deadline)))
}

/// The TLS connector for `target` offering `alpn` with `options`' certificate policy; `None` for
/// an `http://` target.
fn tls_connector(
    target: &Target,
    options: &TransportOptions,
    alpn: &[u8],
) -> Result<Option<TlsConnector>, TransportError> {
    Ok(match target.scheme() {
        Scheme::Https => Some(tls::offering(&tls::client_config(options.ca_file.as_deref())?, alpn)),
        Scheme::Http => None,
    })
}

/// tonic gets a plain http:// URI because our connector does TLS itself (tonic would refuse an
/// https:// one without its own TLS); the origin carries the real scheme to the server.
fn endpoint(target: &Target, options: &TransportOptions) -> Result<Endpoint, Box<dyn Error + Send + Sync>> {
    let origin: Uri = target.to_string().parse()?;
    Ok(Endpoint::from_shared(format!("http://{}", target.authority()))?
        .origin(origin)
        .user_agent(USER_AGENT)?
        .connect_timeout(options.connect_timeout)
        .timeout(options.call_timeout))
}

/// The first error of type `T` in `error`'s source chain, `error` included.
fn caused_by<'e, T: Error + 'static>(error: &'e (dyn Error + 'static)) -> Option<&'e T> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<T>() {
            return Some(found);
        }
        current = error.source();
    }
    None
}

/// tonic's own connect timeout fired just before ours.
fn timed_out_inside(error: &(dyn Error + 'static)) -> bool {
    caused_by::<std::io::Error>(error).is_some_and(|error| error.kind() == std::io::ErrorKind::TimedOut)
}

fn bad_path(path: &str, error: &::http::uri::InvalidUri) -> CallError {
    CallError::Transport(format!("cannot send to '{path}': not a valid HTTP/2 :path ({error})"))
}
