//! A misbehaving upstream on 127.0.0.1 for the resilience tests: it fails, throttles, stalls,
//! trickles, floods and resets on request, and records what it saw.
#![allow(dead_code, unreachable_pub)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::json;

/// What the upstream saw and how it behaves now.
#[derive(Default)]
pub struct Chaos {
    /// Requests per route name.
    pub hits: Mutex<HashMap<String, usize>>,
    /// `Idempotency-Key` headers received.
    pub idempotency_keys: Mutex<Vec<String>>,
    /// `traceparent` headers received.
    pub traceparents: Mutex<Vec<String>>,
    /// Requests being handled right now, and the most at once.
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    /// Body bytes produced by `/big` before the client stopped reading.
    pub big_bytes_sent: AtomicUsize,
    /// `/slow` handlers that ran to completion.
    pub slow_completed: AtomicUsize,
    /// When set, `/failing` succeeds.
    pub healthy: AtomicBool,
}

impl Chaos {
    /// Requests to `route` so far.
    pub fn hits(&self, route: &str) -> usize {
        self.hits.lock().unwrap().get(route).copied().unwrap_or(0)
    }
}

type Shared = Arc<Chaos>;

fn ok() -> Response {
    (StatusCode::OK, axum::Json(json!({"ok": true}))).into_response()
}

async fn handle(State(chaos): State<Shared>, Path(route): Path<String>, headers: HeaderMap) -> Response {
    let hit = {
        let mut hits = chaos.hits.lock().unwrap();
        let n = hits.entry(route.clone()).or_default();
        *n += 1;
        *n
    };
    if let Some(tp) = headers.get("traceparent").and_then(|v| v.to_str().ok()) {
        chaos.traceparents.lock().unwrap().push(tp.to_owned());
    }
    match route.as_str() {
        // 503 twice, then fine.
        "flaky" => {
            if hit <= 2 {
                StatusCode::SERVICE_UNAVAILABLE.into_response()
            } else {
                ok()
            }
        }
        "failing" => {
            if chaos.healthy.load(Ordering::SeqCst) {
                ok()
            } else {
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
        "unavailable" => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        // 503 at once, then answers that come too late.
        "unavailable-then-slow" => {
            if hit == 1 {
                StatusCode::SERVICE_UNAVAILABLE.into_response()
            } else {
                tokio::time::sleep(Duration::from_secs(2)).await;
                ok()
            }
        }
        // A success whose body is not the JSON it claims to be.
        "garbage" => (StatusCode::OK, [("content-type", "application/json")], "{oops").into_response(),
        "throttled" => {
            if hit == 1 {
                (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")]).into_response()
            } else {
                ok()
            }
        }
        "throttled-long" => (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "120")]).into_response(),
        "keyed" => {
            let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            chaos.idempotency_keys.lock().unwrap().push(key);
            if hit == 1 { StatusCode::BAD_GATEWAY.into_response() } else { ok() }
        }
        "slow" => {
            tokio::time::sleep(Duration::from_secs(2)).await;
            chaos.slow_completed.fetch_add(1, Ordering::SeqCst);
            ok()
        }
        "slow-body" => {
            // Headers at once, then a byte every 200 ms.
            let stream = futures_stream((0..20).map(|_| Bytes::from_static(b" ")), Duration::from_millis(200));
            Response::builder().header("content-type", "application/json").body(Body::from_stream(stream)).unwrap()
        }
        "big" => {
            // 32 MiB in 16 KiB chunks, produced lazily so we can see when the client stops reading.
            let counter = chaos.clone();
            let chunks = (0..2048).map(move |_| {
                counter.big_bytes_sent.fetch_add(16 * 1024, Ordering::SeqCst);
                Bytes::from(vec![b'x'; 16 * 1024])
            });
            let stream = futures_stream(chunks, Duration::ZERO);
            Response::builder().header("content-type", "text/plain").body(Body::from_stream(stream)).unwrap()
        }
        "in-flight" => {
            let now = chaos.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            chaos.max_in_flight.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(100)).await;
            chaos.in_flight.fetch_sub(1, Ordering::SeqCst);
            ok()
        }
        _ => ok(),
    }
}

/// A stream of `items`, one every `every`.
fn futures_stream<I>(
    items: I,
    every: Duration,
) -> impl futures_core::Stream<Item = Result<Bytes, std::io::Error>> + Send
where
    I: Iterator<Item = Bytes> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(1);
    tokio::spawn(async move {
        for item in items {
            if !every.is_zero() {
                tokio::time::sleep(every).await;
            }
            if tx.send(Ok(item)).await.is_err() {
                break; // the client went away
            }
        }
    });
    ReceiverStream(rx)
}

struct ReceiverStream(tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl futures_core::Stream for ReceiverStream {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

/// Starts the upstream; returns its base URL and state.
pub async fn start() -> (String, Shared) {
    let chaos = Shared::default();
    let app = axum::Router::new().route("/{route}", any(handle)).with_state(chaos.clone());
    (crate::common::serve(app).await, chaos)
}

/// A listener that accepts connections and closes them without answering; counts them.
pub async fn resetting() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { continue };
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                use tokio::io::AsyncReadExt;
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf).await; // read the request, then hang up
            });
        }
    });
    (format!("http://{addr}"), accepted)
}
