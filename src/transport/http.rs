//! HTTP requests beside gRPC, as go-livepeer serves its job and payment routes on the same port:
//! HTTP/2 over the connection's channel (ALPN `h2`, or h2c prior knowledge for `http://`),
//! HTTP/1.1 over a connection of its own per request (ALPN `http/1.1`, or cleartext), which is
//! what the official Python gateway SDK speaks. Each request has the call deadline and each
//! answer's body a size cap; a refusal keeps its status and the start of its text, and a
//! connection dropped after the request was sent is told apart from one that never carried it.

use std::error::Error;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;
use tower::{Service as _, ServiceExt as _};

use super::dial::{self, ByteStream, DialError};
use super::{caused_by, tls, within, Connection, Target, TransportError, TransportOptions, USER_AGENT};
use crate::error_text::error_chain;
use crate::observe::CallError;

/// The most of a refusal's body kept as its text: go-livepeer refuses with one short line
/// (`http.Error`), and a hostile body costs no more than this.
pub const REFUSAL_TEXT_LIMIT: usize = 4096;

/// Which HTTP a request goes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpVersion {
    /// A connection of its own, as the Python gateway SDK and curl make.
    Http1,
    /// The connection's HTTP/2 channel, beside the gRPC calls, as go-livepeer's gateways make.
    Http2,
}

/// An HTTP request as it goes on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub version: HttpVersion,
    pub method: Method,
    /// The path and query, e.g. `/orchestrator/info`.
    pub path: String,
    /// Sent as they are (HTTP/1.1 adds `Host` and both add `User-Agent` when absent). A value
    /// marked sensitive (`HeaderValue::set_sensitive`) is a secret: reports never show it.
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl HttpRequest {
    /// A request with no headers and no body.
    pub fn new(version: HttpVersion, method: Method, path: &str) -> Self {
        Self {
            version,
            method,
            path: path.to_string(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// The same request with `name: value` added.
    pub fn with_header(mut self, name: http::header::HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// `GET /orchestrator/info`, the line a message names the request by.
    fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The request hyper sends, over `body`.
    fn build<B>(&self, body: B) -> Result<http::Request<B>, CallError> {
        let mut built = http::Request::builder()
            .method(self.method.clone())
            .uri(self.path.as_str())
            .body(body)
            .map_err(|error| CallError::Transport(format!("cannot send {}: {error}", self.line())))?;
        *built.headers_mut() = self.headers.clone();
        built
            .headers_mut()
            .entry(http::header::USER_AGENT)
            .or_insert(HeaderValue::from_static(USER_AGENT));
        Ok(built)
    }
}

/// A 2xx answer: its head and whole body (within the size cap).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpAnswer {
    pub head: HttpHead,
    pub body: Bytes,
}

/// An HTTP answer's status and headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpHead {
    pub status: StatusCode,
    pub headers: HeaderMap,
}

impl Connection {
    /// Sends `request` under the call deadline and reads the answer under the size cap. A status
    /// other than 2xx is a [`CallError::Refused`] with the start of its text; a connection closed
    /// or a stream reset after the request went out, with no whole answer, is
    /// [`CallError::Dropped`] (how go-livepeer looks when a handler panics); a failure before
    /// the request went out is a [`CallError::Transport`].
    pub async fn http(&self, request: &HttpRequest) -> Result<HttpAnswer, CallError> {
        match request.version {
            HttpVersion::Http1 => self.http1.send(request).await,
            HttpVersion::Http2 => self.http2(request).await,
        }
    }

    async fn http2(&self, request: &HttpRequest) -> Result<HttpAnswer, CallError> {
        let sent = request.build(tonic::body::Body::new(Full::new(request.body.clone())))?;
        let mut channel = self.channel.clone();
        let exchange = async {
            let ready = channel
                .ready()
                .await
                .map_err(|error| CallError::Transport(error_chain(&error)))?;
            let response = ready
                .call(sent)
                .await
                .map_err(|error| after_sending(&error, self.call_timeout))?;
            read_answer(response, self.max_decode_bytes).await
        };
        within(self.call_timeout, exchange).await
    }
}

/// Makes HTTP/1.1 requests to one target, each on a connection of its own (dialled under the
/// connect deadline, answered under the call deadline), so no connection outlives its request.
#[derive(Clone)]
pub struct Http1Client {
    target: Target,
    /// Offers ALPN `http/1.1` only; `None` for `http://` targets.
    tls: Option<TlsConnector>,
    connect_timeout: Duration,
    call_timeout: Duration,
    max_body_bytes: usize,
}

impl std::fmt::Debug for Http1Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http1Client")
            .field("target", &self.target)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Http1Client {
    /// A client of `target` with `options`' deadlines, size cap and certificate policy.
    pub fn new(target: &Target, options: &TransportOptions) -> Result<Self, TransportError> {
        Ok(Self {
            target: target.clone(),
            tls: super::tls_connector(target, options, tls::ALPN_HTTP1)?,
            connect_timeout: options.connect_timeout,
            call_timeout: options.call_timeout,
            max_body_bytes: options.max_decode_bytes,
        })
    }

    /// Sends `request` (its `version` aside: always HTTP/1.1); outcomes as [`Connection::http`].
    pub async fn send(&self, request: &HttpRequest) -> Result<HttpAnswer, CallError> {
        let stream = tokio::time::timeout(self.connect_timeout, self.dial())
            .await
            .map_err(|_| {
                CallError::Transport(format!(
                    "cannot connect to {}: no connection within {:?} (the connect deadline)",
                    self.target, self.connect_timeout
                ))
            })?
            .map_err(|error| {
                CallError::Transport(format!("cannot connect to {}: {}", self.target, error_chain(&error)))
            })?;
        let mut sent = request.build(Full::new(request.body.clone()))?;
        if let Ok(host) = HeaderValue::from_str(&self.target.authority()) {
            sent.headers_mut().entry(http::header::HOST).or_insert(host);
        }
        let exchange = async {
            let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|error| CallError::Transport(format!("HTTP/1.1 setup failed: {}", error_chain(&error))))?;
            let _connection = AbortOnDrop(tokio::spawn(async move {
                let _ = connection.await;
            }));
            let response = sender
                .send_request(sent)
                .await
                .map_err(|error| after_sending(&error, self.call_timeout))?;
            read_answer(response, self.max_body_bytes).await
        };
        within(self.call_timeout, exchange).await
    }

    async fn dial(&self) -> Result<Box<dyn ByteStream>, DialError> {
        let tcp = dial::tcp(&self.target).await?;
        Ok(match &self.tls {
            None => Box::new(tcp),
            Some(tls) => Box::new(dial::tls_over(tls, &self.target, tcp).await?),
        })
    }
}

/// Ends a spawned connection task when its request is done, answered or not, so a server that
/// holds the connection open holds no task of ours.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What a failed send means: the request never went out (a redial that failed, a request hyper
/// refused to write), the deadline passed, or the server closed the connection or reset the
/// stream after it went out, before any answer: the server's doing.
fn after_sending(error: &(dyn Error + 'static), call_timeout: Duration) -> CallError {
    let never_sent = caused_by::<DialError>(error).is_some()
        || caused_by::<hyper::Error>(error).is_some_and(|error| error.is_user() || error.is_canceled());
    if never_sent {
        CallError::Transport(error_chain(error))
    } else if caused_by::<tonic::TimeoutExpired>(error).is_some() {
        CallError::Timeout(call_timeout)
    } else if caused_by::<hyper::Error>(error).is_some_and(hyper::Error::is_parse) {
        CallError::Decode(format!("the answer is not HTTP: {}", error_chain(error)))
    } else {
        CallError::Dropped(error_chain(error))
    }
}

/// The answer of a 2xx status with its body, or the refusal of any other status with the start
/// of its body as text.
async fn read_answer<B>(response: http::Response<B>, max_body_bytes: usize) -> Result<HttpAnswer, CallError>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn Error + Send + Sync>>,
{
    let (parts, body) = response.into_parts();
    if !parts.status.is_success() {
        let (text, cut) = read_at_most(body, REFUSAL_TEXT_LIMIT).await?;
        let mut text = String::from_utf8_lossy(&text).into_owned();
        if cut {
            text.push_str(&format!("… (cut at {REFUSAL_TEXT_LIMIT} bytes)"));
        }
        return Err(CallError::Refused {
            status: parts.status.as_u16(),
            text,
        });
    }
    let (body, cut) = read_at_most(body, max_body_bytes).await?;
    if cut {
        return Err(CallError::Decode(format!(
            "the body is larger than {max_body_bytes} bytes"
        )));
    }
    Ok(HttpAnswer {
        head: HttpHead {
            status: parts.status,
            headers: parts.headers,
        },
        body,
    })
}

/// The first `limit` bytes of `body` and whether more followed (left unread). A body that
/// breaks off is the answer cut short after the request went out: [`CallError::Dropped`].
async fn read_at_most<B>(body: B, limit: usize) -> Result<(Bytes, bool), CallError>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn Error + Send + Sync>>,
{
    let mut body = std::pin::pin!(body);
    let mut kept = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| {
            let error: Box<dyn Error + Send + Sync> = error.into();
            CallError::Dropped(format!("the answer's body broke off: {}", error_chain(&*error)))
        })?;
        let Ok(data) = frame.into_data() else { continue };
        let room = limit - kept.len();
        if data.len() > room {
            kept.extend_from_slice(&data[..room]);
            return Ok((kept.freeze(), true));
        }
        if kept.is_empty() && body.is_end_stream() {
            return Ok((data, false));
        }
        kept.extend_from_slice(&data);
    }
    Ok((kept.freeze(), false))
}

#[cfg(test)]
mod tests;
