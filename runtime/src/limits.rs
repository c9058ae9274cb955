//! The limits an HTTP listener puts on its clients, and the request-body half of enforcing them.
//!
//! A generated server may face the open internet (or a careless agent on the same host), so every
//! resource a client can hold — a connection slot, a half-sent request head, a request body, an
//! idle keep-alive connection — is bounded. The connection half lives in `connections`; this module
//! reads request bodies, because a body limit and a body deadline are easiest to keep in one place
//! before any handler (the auth gate, rmcp) sees the request. The defaults are documented in
//! `docs/operations.md` ("Limits") and changed with the flags in `cli`.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt as _, LengthLimitError, Limited};

/// Bounds on what one HTTP client may hold. `Default` gives the documented defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Longest time from accepting a connection, or from the first byte of a later request, to the
    /// end of that request's head (slowloris).
    pub header_timeout: Duration,
    /// Longest time a request body may take to arrive in full, however steadily it trickles.
    pub body_timeout: Duration,
    /// Longest time a keep-alive connection may sit between requests (no request in flight).
    pub idle_timeout: Duration,
    /// Most connections served at once; connections beyond it are answered 503 and closed.
    pub max_connections: usize,
    /// Largest request body accepted (413 beyond).
    pub max_body_bytes: usize,
}

impl HttpLimits {
    /// Default `--header-timeout-secs`.
    pub const HEADER_TIMEOUT_SECS: u64 = 10;
    /// Default `--body-timeout-secs`.
    pub const BODY_TIMEOUT_SECS: u64 = 30;
    /// Default `--idle-timeout-secs`.
    pub const IDLE_TIMEOUT_SECS: u64 = 60;
    /// Default `--max-connections`: half the usual soft limit of 1024 open files, which also has
    /// to cover upstream connections, the audit file and the listeners.
    pub const MAX_CONNECTIONS: usize = 512;
    /// Default `--max-body-bytes` (4 MiB, rmcp's own default).
    pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(Self::HEADER_TIMEOUT_SECS),
            body_timeout: Duration::from_secs(Self::BODY_TIMEOUT_SECS),
            idle_timeout: Duration::from_secs(Self::IDLE_TIMEOUT_SECS),
            max_connections: Self::MAX_CONNECTIONS,
            max_body_bytes: Self::MAX_BODY_BYTES,
        }
    }
}

/// Middleware: reads the whole request body within `body_timeout` and `max_body_bytes`, then hands
/// the request on with the body in memory. Every handler buffers the body anyway (the gate and
/// rmcp parse it as JSON), so nothing is lost, and handlers never wait on a slow client.
///
/// A body that is too large gets 413 and one that does not arrive in time 408, both with
/// `Connection: close`: the rest of the body is never read, so the connection cannot be reused.
pub async fn read_body(State(limits): State<HttpLimits>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let declared = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limits.max_body_bytes as u64) {
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, limits.max_body_bytes, "request body too large");
    }
    let read = tokio::time::timeout(limits.body_timeout, Limited::new(body, limits.max_body_bytes).collect()).await;
    let bytes = match read {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(err)) if err.downcast_ref::<LengthLimitError>().is_some() => {
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, limits.max_body_bytes, "request body too large");
        }
        Ok(Err(err)) => {
            tracing::debug!("request body could not be read: {err}");
            return refuse(StatusCode::BAD_REQUEST, limits.max_body_bytes, "request body could not be read");
        }
        Err(_elapsed) => {
            tracing::debug!(seconds = limits.body_timeout.as_secs(), "request body too slow; closing the connection");
            return refuse(StatusCode::REQUEST_TIMEOUT, limits.max_body_bytes, "request body not received in time");
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

fn refuse(status: StatusCode, max_body_bytes: usize, why: &str) -> Response {
    let text = if status == StatusCode::PAYLOAD_TOO_LARGE {
        format!("{why} (limit {max_body_bytes} bytes)\n")
    } else {
        format!("{why}\n")
    };
    let mut response = (status, text).into_response();
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
