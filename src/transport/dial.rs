//! Opens the byte stream under a channel (TCP, then TLS for https) and reports how far setup got,
//! so a peer that accepts the socket and then goes silent is caught and named.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::TlsConnector;

use super::Target;

/// How far connection setup has got. HTTP/2 setup counts as done once the server has sent its
/// first bytes (its SETTINGS frame): hyper's handshake only writes the client preface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SetupProgress {
    Tcp,
    Tls,
    Http2,
    Ready,
    Closed,
    Failed(String),
}

impl SetupProgress {
    pub(super) fn is_settled(&self) -> bool {
        matches!(
            self,
            SetupProgress::Ready | SetupProgress::Closed | SetupProgress::Failed(_)
        )
    }

    /// The step under way, for a timeout message.
    pub(super) fn stage(&self) -> &'static str {
        match self {
            SetupProgress::Tcp => "TCP connect",
            SetupProgress::Tls => "TLS handshake",
            SetupProgress::Http2 => "HTTP/2 setup (no SETTINGS frame from the server)",
            SetupProgress::Ready | SetupProgress::Closed | SetupProgress::Failed(_) => "HTTP/2 setup",
        }
    }

    /// Records the next step unless the outcome is already known: tonic may redial behind the
    /// scenes, and a later connection must not hide what the first one showed.
    fn advance(progress: &watch::Sender<SetupProgress>, next: SetupProgress) {
        progress.send_if_modified(|current| {
            let changed = !current.is_settled();
            if changed {
                *current = next;
            }
            changed
        });
    }

    /// What the first read says about the peer. HTTP/2 servers open with a SETTINGS frame
    /// (frame type 4 in the fourth byte); anything else is not HTTP/2, e.g. an HTTP/1 error page.
    fn after_first_read(outcome: &io::Result<()>, received: &[u8]) -> SetupProgress {
        const SETTINGS_FRAME_TYPE: u8 = 4;
        match outcome {
            Err(error) => SetupProgress::Failed(error.to_string()),
            Ok(()) if received.is_empty() => SetupProgress::Closed,
            Ok(())
                if received
                    .get(3)
                    .is_some_and(|&frame_type| frame_type != SETTINGS_FRAME_TYPE) =>
            {
                // A TLS record starts with its type (0x15 alert, 0x16 handshake) and version 0x03.
                let speaks_tls = matches!(received, [0x15 | 0x16, 0x03, ..]);
                SetupProgress::Failed(format!(
                    "the server's first bytes are not an HTTP/2 SETTINGS frame: {}{}",
                    shown_bytes(&received[..received.len().min(40)]),
                    if speaks_tls {
                        " (they are TLS: use an https:// target)"
                    } else {
                        ""
                    }
                ))
            }
            Ok(()) => SetupProgress::Ready,
        }
    }
}

/// Why the byte stream could not be opened.
#[derive(Debug, thiserror::Error)]
pub(super) enum DialError {
    #[error("TCP connect to {address} failed")]
    Tcp {
        address: String,
        #[source]
        source: io::Error,
    },
    #[error("TLS handshake failed{}", if answers_without_tls(.0) { " (the server does not answer in TLS: if it serves h2c, use an http:// target)" } else { "" })]
    Tls(#[source] io::Error),
}

/// Whether a failed handshake got bytes that are not TLS at all, as from a cleartext server.
fn answers_without_tls(error: &io::Error) -> bool {
    let rustls_error = error.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>());
    matches!(
        rustls_error,
        Some(rustls::Error::InvalidMessage(
            rustls::InvalidMessage::InvalidContentType
        ))
    )
}

/// The first bytes a server sent, for a message: as text when they are printable ASCII, else as
/// hex (a binary protocol's bytes read as text are mojibake).
fn shown_bytes(bytes: &[u8]) -> String {
    if bytes
        .iter()
        .all(|byte| byte.is_ascii_graphic() || b" \r\n\t".contains(byte))
    {
        format!("{:?}", String::from_utf8_lossy(bytes))
    } else {
        format!("0x{}", hex::encode(bytes))
    }
}

/// Dials the target whatever URI tonic hands it; does TLS when `tls` is set.
#[derive(Clone)]
pub(super) struct Dialer {
    pub(super) target: Target,
    pub(super) tls: Option<TlsConnector>,
    pub(super) progress: Arc<watch::Sender<SetupProgress>>,
}

impl Dialer {
    pub(super) async fn dial(self) -> Result<TokioIo<ReportFirstRead>, DialError> {
        let tcp = tcp(&self.target).await?;
        let stream: Box<dyn ByteStream> = match &self.tls {
            None => Box::new(tcp),
            Some(tls) => {
                SetupProgress::advance(&self.progress, SetupProgress::Tls);
                Box::new(tls_over(tls, &self.target, tcp).await?)
            }
        };
        SetupProgress::advance(&self.progress, SetupProgress::Http2);
        Ok(TokioIo::new(ReportFirstRead {
            stream,
            progress: Some(self.progress),
        }))
    }
}

/// A TCP connection to the target, without Nagle's delay (requests are small and answered at once).
pub(super) async fn tcp(target: &Target) -> Result<TcpStream, DialError> {
    let tcp_failed = |source| DialError::Tcp {
        address: target.authority(),
        source,
    };
    let tcp = TcpStream::connect((target.host_for_dialing(), target.port()))
        .await
        .map_err(tcp_failed)?;
    tcp.set_nodelay(true).map_err(tcp_failed)?;
    Ok(tcp)
}

/// The TLS handshake over `tcp`, with the name the target gives.
pub(super) async fn tls_over(
    tls: &TlsConnector,
    target: &Target,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, DialError> {
    tls.connect(target.server_name(), tcp).await.map_err(DialError::Tls)
}

pub(super) trait ByteStream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> ByteStream for T {}

/// Passes bytes through, reporting what the first read brought: SETTINGS, other bytes, end of
/// stream or an error.
pub(super) struct ReportFirstRead {
    stream: Box<dyn ByteStream>,
    progress: Option<Arc<watch::Sender<SetupProgress>>>,
}

impl AsyncRead for ReportFirstRead {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let filled_before = buf.filled().len();
        let poll = Pin::new(&mut this.stream).poll_read(cx, buf);
        if let Poll::Ready(outcome) = &poll {
            if let Some(progress) = this.progress.take() {
                SetupProgress::advance(
                    &progress,
                    SetupProgress::after_first_read(outcome, &buf.filled()[filled_before..]),
                );
            }
        }
        poll
    }
}

impl AsyncWrite for ReportFirstRead {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
