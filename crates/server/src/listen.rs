//! The accept loop: HTTP/1 connections with a bound on how long a client may take to send its
//! request headers and its body, and on how many connections are open at once.
//!
//! axum's own `serve` has neither: a client that sent its headers a byte at a time was still
//! served after 40 s, and each such client kept a connection (and a task) open. Slowloris needs
//! both bounds: the header timeout frees a slow connection, and the cap keeps the number of
//! slow connections from growing while they wait. At the cap the loop stops accepting, so new
//! clients wait in the kernel's backlog for a free place rather than being refused. A body that
//! never arrives would hold its connection and its handler as slow headers did: its read fails
//! once the body-read timeout has passed (408), and the connection closes.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use sessiond_http::AppState;
use sessiond_http::extract::BodyTimedOut;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;

/// `SESSIOND_HEADER_READ_TIMEOUT_SECONDS`, `SESSIOND_BODY_READ_TIMEOUT_SECONDS` and
/// `SESSIOND_MAX_CONNECTIONS`.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// From the start of a request (or of an idle keep-alive connection's wait for one) to the
    /// end of its headers; past it the connection is closed.
    pub header_read_timeout: Duration,
    /// From the end of a request's headers to the end of its body.
    pub body_read_timeout: Duration,
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

/// A request's body that fails with [`BodyTimedOut`] once `deadline` has passed and it has not
/// all arrived.
struct TimedBody {
    inner: Incoming,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl hyper::body::Body for TimedBody {
    type Data = bytes::Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyTimedOut)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

/// How long in-flight requests get to finish once shutdown begins.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves `state` on `listener` until `shutdown` resolves, then drains in-flight requests.
pub async fn serve_on(
    listener: TcpListener,
    state: AppState,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_router(listener, sessiond_http::app(state), limits, shutdown).await
}

/// Serves `app` on `listener` with the same limits: the main listener, and `/metrics` on one of
/// its own (`SESSIOND_METRICS_BIND`).
pub async fn serve_router(
    listener: TcpListener,
    app: axum::Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let places = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let place = tokio::select! {
            () = &mut shutdown => break,
            place = places.clone().acquire_owned() => place,
        };
        let Ok(place) = place else { break };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // wait a moment rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let body_timeout = limits.body_read_timeout;
        let service = app
            .clone()
            .map_request(move |req: hyper::Request<Incoming>| {
                let mut req = req.map(|inner| {
                    axum::body::Body::new(TimedBody {
                        inner,
                        deadline: Box::pin(tokio::time::sleep(body_timeout)),
                    })
                });
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                req
            });
        let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            // A client that hangs up or times out ends its connection; nothing to report.
            let _ = conn.await;
            drop(place);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("stopped with requests still in flight after {DRAIN:?}");
    }
    Ok(())
}
