//! A real petstore HTTP API on 127.0.0.1 for the end-to-end tests (the generated server's upstream).
//!
//! It records every request it receives so tests can assert what reached the wire.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Value, json};

/// One request as the upstream saw it.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub method: String,
    /// Path and query exactly as sent (still percent-encoded).
    pub uri: String,
    pub headers: HeaderMap,
}

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<Seen>>>);

/// A running upstream.
pub(crate) struct Upstream {
    pub base_url: String,
    log: Log,
}

impl Upstream {
    /// Requests received so far.
    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.log.0.lock().unwrap().clone()
    }
}

async fn record(log: &Log, method: &str, uri: &Uri, headers: &HeaderMap) {
    let uri = uri.path_and_query().map(ToString::to_string).unwrap_or_default();
    log.0.lock().unwrap().push(Seen { method: method.into(), uri, headers: headers.clone() });
}

async fn list_pets(State(log): State<Log>, uri: Uri, headers: HeaderMap) -> Json<Value> {
    record(&log, "GET", &uri, &headers).await;
    Json(json!([{"id": "1", "name": "Rex", "tag": "dog"}, {"id": "2", "name": "Tom", "tag": "cat"}]))
}

async fn create_pet(
    State(log): State<Log>,
    uri: Uri,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> impl IntoResponse {
    record(&log, "POST", &uri, &headers).await;
    let request_id = headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    (StatusCode::CREATED, Json(json!({"id": "3", "name": body["name"], "tag": request_id})))
}

async fn show_pet(State(log): State<Log>, uri: Uri, headers: HeaderMap, Path(id): Path<String>) -> impl IntoResponse {
    record(&log, "GET", &uri, &headers).await;
    match id.as_str() {
        "1" => (StatusCode::OK, Json(json!({"id": "1", "name": "Rex", "tag": "dog"}))),
        // Declares `name` required but leaves it out: the server must not pass it off as conforming.
        "bad" => (StatusCode::OK, Json(json!({"id": "bad"}))),
        _ => (StatusCode::NOT_FOUND, Json(json!({"code": 404, "message": format!("pet {id} not found")}))),
    }
}

async fn delete_pet(State(log): State<Log>, uri: Uri, headers: HeaderMap) -> StatusCode {
    record(&log, "DELETE", &uri, &headers).await;
    StatusCode::NO_CONTENT
}

async fn inventory(State(log): State<Log>, uri: Uri, headers: HeaderMap) -> Json<Value> {
    record(&log, "GET", &uri, &headers).await;
    Json(json!({"available": 3, "sold": 1}))
}

/// Starts the upstream on an ephemeral loopback port; it stops with the test's runtime.
pub(crate) async fn start() -> Upstream {
    let log = Log::default();
    let app = axum::Router::new()
        .route("/v1/pets", get(list_pets).post(create_pet))
        .route("/v1/pets/{petId}", get(show_pet).delete(delete_pet))
        .route("/v1/store/inventory", get(inventory))
        .with_state(log.clone());
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Upstream { base_url: format!("http://{addr}/v1"), log }
}
