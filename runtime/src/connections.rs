//! Accepting and serving HTTP/1.1 connections within [`HttpLimits`]: a connection cap, a
//! header timeout, an idle timeout, and a bounded graceful shutdown.
//!
//! `axum::serve` has none of these, and hyper's own `header_read_timeout` cannot stand in for
//! both timers: it starts whenever a connection waits for a request head, so on a keep-alive
//! connection the time between requests counts against it and an idle limit longer than the header
//! limit is impossible. So each connection carries a small activity record instead — fed by its
//! socket reads and by the requests hyper hands to the app — and a watchdog that closes it when the
//! current phase has lasted too long (Go's `net/http` draws the same line between
//! `ReadHeaderTimeout` and `IdleTimeout`). A request in flight, including a long SSE response,
//! is never timed here: it is the app's business, and the body deadline is `limits::read_body`'s.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tower::ServiceExt as _;

use super::limits::HttpLimits;

/// How long a shutdown waits for requests in flight (SSE streams may never end on their own).
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What a connection over the cap is told before it is closed; written without reading the
/// request, so that refusing costs one `write` and no task.
const BUSY: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\nretry-after: 1\r\ncontent-length: 0\r\n\r\n";

/// Serves `app` on `listener` until `shutdown` completes, then lets requests in flight finish for
/// up to 10 s. Every connection gets `TCP_NODELAY`: MCP responses (SSE events in particular) are
/// small writes, and Nagle's algorithm meeting the client's delayed ACK would add about 40 ms to
/// every call.
///
/// At most `max_connections` are served at once. One more is answered 503 and closed at once
/// rather than queued: a client learns it should back off, and a flood of idle sockets cannot hold
/// the accept loop (the kernel's backlog would otherwise fill up silently).
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut full = false;
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(err) => {
                    accept_failed(err).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            if !full {
                tracing::warn!(
                    max_connections = limits.max_connections,
                    "connection cap reached; refusing new connections with 503"
                );
            }
            full = true;
            // Best effort: the socket buffer of a fresh connection takes these few bytes at once.
            let _ = stream.try_write(BUSY);
            continue;
        };
        full = false;
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY on a connection: {err}");
        }
        tokio::spawn(connection(stream, app.clone(), limits, slot, graceful.watcher()));
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!("requests still in flight {} s after shutdown began; closing them", SHUTDOWN_GRACE.as_secs());
    }
    Ok(())
}

/// Accept errors are about one connection (reset before accept) or about the process (out of file
/// descriptors); the second kind would spin the loop, so it waits a moment, as `axum::serve` does.
async fn accept_failed(err: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(err.kind(), ConnectionAborted | ConnectionRefused | ConnectionReset) {
        return;
    }
    tracing::error!("cannot accept a connection: {err}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Serves one connection until the client closes it, hyper ends it, or its watchdog fires; the
/// slot is given back when this returns.
async fn connection(
    stream: TcpStream,
    app: axum::Router,
    limits: HttpLimits,
    _slot: OwnedSemaphorePermit,
    watcher: Watcher,
) {
    let activity = Arc::new(Activity::new());
    // Handlers see the client's address as axum's ConnectInfo (per-client rate limits, logs).
    let peer = stream.peer_addr().ok().map(axum::extract::ConnectInfo);
    let io = TokioIo::new(Observed { stream, activity: activity.clone() });
    let tracker = activity.clone();
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let in_flight = tracker.request_started();
        let app = app.clone();
        async move {
            let mut request = request.map(Body::new);
            if let Some(peer) = peer {
                request.extensions_mut().insert(peer);
            }
            let response = app.oneshot(request).await?;
            Ok::<_, Infallible>(response.map(|body| Body::new(Tracked { body, _in_flight: in_flight })))
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // Our watchdog times heads (see the module docs); hyper's timer would also cut idle keep-alive.
    builder.header_read_timeout(None);
    let served = watcher.watch(builder.serve_connection(io, service));
    tokio::select! {
        result = served => {
            if let Err(err) = result {
                tracing::debug!("HTTP connection ended with an error: {err}");
            }
        }
        timer = activity.expired(limits) => tracing::debug!("closing an HTTP connection: {timer} timeout"),
    }
}

/// What a connection is doing, for its timers.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for a request head since the given instant: since the connection was accepted, or
    /// since the first byte of a later request arrived.
    Head(Instant),
    /// Between requests since the given instant (the end of the last response).
    Idle(Instant),
    /// Serving this many requests (a request whose response is still being sent counts).
    Busy(usize),
}

/// The phase of one connection, and a signal for its watchdog when a request ends.
struct Activity {
    phase: Mutex<Phase>,
    changed: Notify,
}

impl Activity {
    fn new() -> Self {
        Self { phase: Mutex::new(Phase::Head(Instant::now())), changed: Notify::new() }
    }

    fn update(&self, change: impl FnOnce(Phase) -> Phase) {
        let mut phase = self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        *phase = change(*phase);
    }

    /// Bytes arrived: on an idle connection they start the next request's head. (Bytes of a
    /// pipelined request read while another is in flight start nothing; that connection is then
    /// bounded by the idle timeout instead.)
    fn bytes_read(&self) {
        self.update(|phase| match phase {
            Phase::Idle(_) => Phase::Head(Instant::now()),
            other => other,
        });
    }

    /// hyper parsed a request head; the returned guard ends the request when dropped.
    fn request_started(self: &Arc<Self>) -> InFlight {
        self.update(|phase| match phase {
            Phase::Busy(n) => Phase::Busy(n + 1),
            _ => Phase::Busy(1),
        });
        InFlight(self.clone())
    }

    fn request_ended(&self) {
        self.update(|phase| match phase {
            Phase::Busy(n) if n > 1 => Phase::Busy(n - 1),
            _ => Phase::Idle(Instant::now()),
        });
        self.changed.notify_one();
    }

    /// Completes when the current phase has outlasted its limit; says which limit.
    async fn expired(&self, limits: HttpLimits) -> &'static str {
        loop {
            let phase = *self.phase.lock().unwrap_or_else(PoisonError::into_inner);
            let (deadline, timer) = match phase {
                Phase::Head(since) => (since + limits.header_timeout, "header"),
                Phase::Idle(since) => (since + limits.idle_timeout, "idle"),
                Phase::Busy(_) => {
                    self.changed.notified().await;
                    continue;
                }
            };
            if Instant::now() >= deadline {
                return timer;
            }
            // Woken early by the end of a request, or at the deadline: either way, look again.
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => {}
                () = self.changed.notified() => {}
            }
        }
    }
}

/// Ends its request when dropped: with the response body (sent or abandoned), or with the response
/// future if the connection goes away first.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_ended();
    }
}

/// A response body that keeps its request in flight until hyper has sent (or dropped) it, so a
/// long SSE response is never mistaken for an idle connection.
struct Tracked {
    body: Body,
    _in_flight: InFlight,
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The connection's socket, reporting reads to its [`Activity`].
struct Observed {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Observed {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Observed {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
