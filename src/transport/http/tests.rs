//! HTTP against real sockets: the reference orchestrator (HTTP/1.1 and HTTP/2, TLS and h2c) and
//! hand-written servers that refuse, drop the connection, stall and overflow.

use std::net::SocketAddr;

use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

use super::*;
use crate::reference::{self, ReferenceConfig};

fn options() -> TransportOptions {
    TransportOptions {
        connect_timeout: Duration::from_millis(500),
        call_timeout: Duration::from_millis(500),
        max_decode_bytes: 1024,
        ca_file: None,
    }
}

fn cleartext(address: SocketAddr) -> Target {
    Target::parse(&format!("http://{address}")).unwrap()
}

fn request(version: HttpVersion, method: Method, path: &str) -> HttpRequest {
    HttpRequest::new(version, method, path)
}

#[tokio::test]
async fn both_versions_reach_the_reference_over_tls_and_cleartext() {
    for tls in [false, true] {
        let config = ReferenceConfig {
            tls,
            serve_info_json: true,
            ..ReferenceConfig::loopback()
        };
        let running = reference::start(config).await.unwrap();
        let options = TransportOptions::default();
        let connection = Connection::connect(&running.target(), &options).await.unwrap();
        for version in [HttpVersion::Http1, HttpVersion::Http2] {
            let info = connection
                .http(&request(version, Method::GET, "/orchestrator/info"))
                .await
                .unwrap();
            assert_eq!(info.head.status, StatusCode::OK, "{version:?} tls {tls}");
            let json: serde_json::Value = serde_json::from_slice(&info.body).unwrap();
            assert_eq!(json["transcoder"], running.url(), "{version:?} tls {tls}");
            let refused = connection
                .http(&request(version, Method::POST, "/segment"))
                .await
                .unwrap_err();
            assert_eq!(
                refused,
                CallError::Refused {
                    status: 404,
                    text: "404 page not found\n".into()
                },
                "{version:?} tls {tls}"
            );
            assert_eq!(refused.to_string(), "HTTP status 404: 404 page not found");
        }
    }
}

/// What [`http1_server`] answers to hold the connection open, saying nothing.
const HOLD: &[u8] = b"";
/// What [`http1_server`] answers to close the connection at once, as a Go handler's panic does.
const CLOSE: &[u8] = b"\0";

/// Accepts connections; on each reads the request head, then writes `answer` and closes (or
/// holds the connection open for [`HOLD`], closes it for [`CLOSE`]). Returns the address and the
/// request heads read.
async fn http1_server(answer: &'static [u8]) -> (SocketAddr, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (heads, received) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let heads = heads.clone();
            tokio::spawn(async move {
                let head = read_head(&mut socket).await;
                let _ = heads.send(head);
                match answer {
                    HOLD => std::future::pending::<()>().await,
                    CLOSE => {}
                    answer => {
                        let _ = socket.write_all(answer).await;
                    }
                }
            });
        }
    });
    (address, received)
}

async fn read_head(socket: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && socket.read(&mut byte).await.is_ok_and(|read| read == 1) {
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

async fn http1_outcome(answer: &'static [u8]) -> (Result<HttpAnswer, CallError>, String) {
    let (address, mut heads) = http1_server(answer).await;
    let client = Http1Client::new(&cleartext(address), &options()).unwrap();
    let sent = request(HttpVersion::Http1, Method::POST, "/segment")
        .with_header(http::header::CONTENT_TYPE, HeaderValue::from_static("video/mp2t"));
    let outcome = client.send(&sent).await;
    (outcome, heads.recv().await.unwrap_or_default())
}

#[tokio::test]
async fn http1_sends_host_and_agent_and_reads_an_answer() {
    let (outcome, head) = http1_outcome(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").await;
    assert_eq!(outcome.unwrap().body, Bytes::from_static(b"ok"));
    assert!(head.starts_with("POST /segment HTTP/1.1\r\n"), "{head}");
    for expected in ["host: 127.0.0.1:", "user-agent: lpconform/", "content-type: video/mp2t"] {
        assert!(head.to_lowercase().contains(expected), "{expected}: {head}");
    }
}

#[tokio::test]
async fn a_connection_closed_after_the_request_is_dropped_not_a_transport_failure() {
    let (outcome, head) = http1_outcome(HOLD).await;
    assert_eq!(
        outcome,
        Err(CallError::Timeout(options().call_timeout)),
        "a server that holds"
    );
    assert!(head.starts_with("POST /segment"), "{head}");
    let dropped = http1_outcome(CLOSE).await.0;
    assert!(matches!(dropped, Err(CallError::Dropped(_))), "{dropped:?}");
    let text = dropped.unwrap_err().to_string();
    assert!(
        text.starts_with("the connection dropped after the request was sent, with no answer"),
        "{text}"
    );

    let nothing_listens = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let client = Http1Client::new(&cleartext(nothing_listens), &options()).unwrap();
    let unsent = client.send(&request(HttpVersion::Http1, Method::GET, "/")).await;
    assert!(
        matches!(&unsent, Err(CallError::Transport(text)) if text.contains(&nothing_listens.to_string())),
        "{unsent:?}"
    );
}

#[tokio::test]
async fn refusals_keep_status_and_text_cut_at_the_limit_and_answers_keep_the_cap() {
    let (short, _) = http1_outcome(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 19\r\n\r\ninvalid auth token\n").await;
    let short = short.unwrap_err();
    assert_eq!(
        short,
        CallError::Refused {
            status: 403,
            text: "invalid auth token\n".into()
        }
    );
    assert_eq!(short.to_string(), "HTTP status 403: invalid auth token");
    let (empty, _) = http1_outcome(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n").await;
    assert_eq!(empty.unwrap_err().to_string(), "HTTP status 503 with an empty body");

    let long: &'static [u8] = format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Length: 100000\r\n\r\n{}",
        "x".repeat(100_000)
    )
    .into_bytes()
    .leak();
    let (long, _) = http1_outcome(long).await;
    let Err(CallError::Refused { status: 400, text }) = long else {
        panic!("{long:?}")
    };
    assert!(text.starts_with(&"x".repeat(REFUSAL_TEXT_LIMIT)), "{}", text.len());
    assert!(
        text.ends_with(&format!("… (cut at {REFUSAL_TEXT_LIMIT} bytes)")),
        "{text}"
    );

    let oversized: &'static [u8] = format!("HTTP/1.1 200 OK\r\nContent-Length: 1025\r\n\r\n{}", "y".repeat(1025))
        .into_bytes()
        .leak();
    let (oversized, _) = http1_outcome(oversized).await;
    assert_eq!(
        oversized,
        Err(CallError::Decode("the body is larger than 1024 bytes".into()))
    );

    let (not_http, _) = http1_outcome(b"SSH-2.0-OpenSSH_9.6\r\n\r\n").await;
    assert!(
        matches!(&not_http, Err(CallError::Decode(text)) if text.starts_with("the answer is not HTTP")),
        "{not_http:?}"
    );
}

/// Serves h2c: `/refuse` gets a 403 with a text, `/reset` a reset stream (the service fails, as
/// a Go handler panics), everything else an endless stall.
async fn h2c_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let service = service_fn(|request: Request<Incoming>| async move {
                match request.uri().path() {
                    "/refuse" => {
                        let mut refused = Response::new(Full::new(Bytes::from_static(b"missing auth token\n")));
                        *refused.status_mut() = StatusCode::FORBIDDEN;
                        Ok::<_, std::io::Error>(refused)
                    }
                    "/reset" => Err(std::io::Error::other("handler panicked")),
                    _ => std::future::pending().await,
                }
            });
            tokio::spawn(
                hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(socket), service),
            );
        }
    });
    address
}

#[tokio::test]
async fn http2_refusals_resets_and_stalls_are_told_apart() {
    let options = options();
    let connection = Connection::connect(&cleartext(h2c_server().await), &options)
        .await
        .unwrap();
    let outcome = |path: &'static str| {
        let connection = connection.clone();
        async move { connection.http(&request(HttpVersion::Http2, Method::POST, path)).await }
    };
    assert_eq!(
        outcome("/refuse").await,
        Err(CallError::Refused {
            status: 403,
            text: "missing auth token\n".into()
        })
    );
    let reset = outcome("/reset").await;
    assert!(matches!(reset, Err(CallError::Dropped(_))), "{reset:?}");
    assert_eq!(outcome("/stall").await, Err(CallError::Timeout(options.call_timeout)));
    assert_eq!(
        outcome("/refuse").await.unwrap_err().to_string(),
        "HTTP status 403: missing auth token",
        "the connection still serves after a reset stream"
    );
}
