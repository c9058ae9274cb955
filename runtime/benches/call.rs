//! Per-call overhead of a generated server (`cargo bench -p mcpgen-runtime --bench call`).
//!
//! One loopback upstream answers a small JSON document. The baseline, measured in the same run,
//! is a plain `reqwest` GET of it; then the same request made as a tool call — in process
//! (argument validation, request building, resilience, response mapping, metrics and a log
//! line) and through the Streamable HTTP transport with the official rmcp client, once per
//! protocol era (a 2025-11-25 session, and 2026-07-28 stateless requests) — sequentially and with
//! 16 concurrent callers. Figures are ratios to the baseline, so they compare across
//! machines; absolute microseconds are printed for reference.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mcpgen_runtime::{McpServer, transport};
use rmcp::model::{CallToolRequestParams, ProtocolVersion};
use rmcp::service::{ClientLifecycleMode, RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientServiceExt as _, ServiceExt as _};
use serde_json::json;

// The integration tests' loopback helpers (serve, registry, HTTP options).
#[path = "../tests/common/mod.rs"]
mod common;

const CALLS: usize = 2_000;
const CONCURRENCY: usize = 16;

fn server(upstream: &str) -> McpServer {
    let definition = serde_json::from_value(json!({
        "@generated": "bench", "name": "bench-mcp", "version": "1.0.0",
        "apis": [{"id": "pets", "baseUrlEnv": "PETS_BASE_URL"}],
        "tools": [{
            "tool": {"name": "get_pet", "inputSchema": {"type": "object", "required": ["petId"],
                     "properties": {"petId": {"type": "integer", "minimum": 1}}}},
            "api": "pets",
            "http": {"method": "GET", "path": "/pets/{petId}",
                     "params": [{"path": "petId"}]}
        }],
        "environments": [{"name": "default", "apis": [{"id": "pets", "baseUrl": upstream}]}]
    }))
    .expect("definition");
    McpServer::new(common::registry(definition, &[]).expect("registry"))
}

/// Mean time per call of `calls` runs of `one`, after a warm-up, with `concurrency` callers.
async fn measure<F, Fut>(concurrency: usize, one: F) -> Duration
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    for i in 0..100 {
        one(i).await;
    }
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for worker in 0..concurrency {
        let one = one.clone();
        workers.spawn(async move {
            for i in (worker..CALLS).step_by(concurrency) {
                one(i).await;
            }
        });
    }
    while workers.join_next().await.is_some() {}
    started.elapsed() / CALLS as u32
}

type Client = Arc<RunningService<RoleClient, ()>>;

/// Mean time per `get_pet` call through `client` over Streamable HTTP.
async fn over_http(concurrency: usize, client: Client) -> Duration {
    measure(concurrency, move |i| {
        let client = client.clone();
        async move {
            let arguments = json!({"petId": i + 1}).as_object().cloned().expect("object");
            let params = CallToolRequestParams::new("get_pet").with_arguments(arguments);
            let result = client.call_tool(params).await.expect("call");
            assert_eq!(result.is_error, Some(false));
        }
    })
    .await
}

#[tokio::main]
async fn main() {
    let upstream = common::serve(axum::Router::new().route(
        "/pets/{id}",
        axum::routing::get(|| async { axum::Json(json!({"id": 1, "name": "Rex", "tag": "dog"})) }),
    ))
    .await;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let mcp = server(&upstream);
    let options = common::http_options();
    let endpoint = common::serve(transport::router(mcp.clone(), &options)).await;
    let transport = || {
        let config = StreamableHttpClientTransportConfig::with_uri(format!("{endpoint}/mcp"));
        StreamableHttpClientTransport::with_client(reqwest::Client::new(), config)
    };
    let session: Client = Arc::new(().serve(transport()).await.expect("connect (2025-11-25)"));
    let modern = ClientLifecycleMode::Discover { preferred_versions: vec![ProtocolVersion::V_2026_07_28] };
    let stateless: Client = Arc::new(().serve_with_lifecycle(transport(), modern).await.expect("connect (2026-07-28)"));

    println!("per-call time over {CALLS} calls (ratio to a direct HTTP GET of the same upstream, same run)");
    for concurrency in [1, CONCURRENCY] {
        let direct = {
            let (http, url) = (http.clone(), format!("{upstream}/pets/1"));
            measure(concurrency, move |_| {
                let (http, url) = (http.clone(), url.clone());
                async move {
                    let body = http.get(&url).send().await.expect("get").bytes().await.expect("body");
                    assert!(!body.is_empty());
                }
            })
            .await
        };
        let in_process = {
            let mcp = mcp.clone();
            measure(concurrency, move |i| {
                let mcp = mcp.clone();
                async move {
                    let result = mcp.call("get_pet", json!({"petId": i + 1})).await;
                    assert_eq!(result.is_error, Some(false));
                }
            })
            .await
        };
        let session_http = over_http(concurrency, session.clone()).await;
        let stateless_http = over_http(concurrency, stateless.clone()).await;
        println!("  {concurrency:>2} caller(s):");
        for (what, took) in [
            ("direct GET (baseline)", direct),
            ("tool call in process", in_process),
            ("over HTTP, 2025-11-25 session", session_http),
            ("over HTTP, 2026-07-28", stateless_http),
        ] {
            let ratio = took.as_secs_f64() / direct.as_secs_f64();
            println!("    {what:<30} {:>8.1} µs   {ratio:>5.2}×", took.as_secs_f64() * 1e6);
        }
    }
}
