//! OpenTelemetry export (feature `otel`): a tool call's span reaches a loopback OTLP/HTTP receiver
//! as a child of the caller's trace, and the upstream request's `traceparent` names that span.
//! Run with `cargo test -p mcpgen-runtime --features otel --test otel`.

mod chaos;
mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::post;
use mcpgen_runtime::McpServer;
use mcpgen_runtime::progress::Progress;
use mcpgen_runtime::trace::TraceContext;
use serde_json::{Value, json};
use tracing_subscriber::layer::SubscriberExt as _;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_call_spans_are_exported_as_children_of_the_callers_trace() {
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = received.clone();
    let collector = common::serve(axum::Router::new().route(
        "/v1/traces",
        post(move |body: axum::Json<Value>| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(body.0);
                axum::Json(json!({}))
            }
        }),
    ))
    .await;
    let (upstream, chaos) = chaos::start().await;
    let definition = serde_json::from_value(json!({
        "@generated": "test", "name": "otel-mcp", "version": "1.0.0",
        "apis": [{"id": "up", "baseUrlEnv": "UP_BASE_URL"}],
        "tools": [{"tool": {"name": "good", "inputSchema": {"type": "object"}}, "api": "up",
                   "http": {"method": "GET", "path": "/ok"}, "idempotent": true}],
        "environments": [{"name": "default", "apis": [{"id": "up", "baseUrl": upstream}]}]
    }))
    .unwrap();
    let server = McpServer::new(common::registry(definition, &[]).unwrap());

    let (layer, guard) = mcpgen_runtime::otel::layer(
        "otel-mcp",
        Some(format!("{collector}/v1/traces")),
        &tokio::runtime::Handle::current(),
    );
    assert!(layer.is_some());
    let subscriber = tracing_subscriber::registry().with(layer);
    let incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    {
        let _default = tracing::subscriber::set_default(subscriber);
        let entry = server.registry().get("good").unwrap();
        let trace = TraceContext::continue_or_start(Some(incoming));
        let result = server.execute(entry, Default::default(), None, None, &trace, &Progress::silent()).await;
        assert_eq!(result.is_error, Some(false));
    }
    // Shutting the provider down flushes the batch (blocking: off the async workers).
    tokio::task::spawn_blocking(move || drop(guard)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let batches = received.lock().unwrap().clone();
    let spans: Vec<&Value> = batches
        .iter()
        .flat_map(|b| b["resourceSpans"].as_array().into_iter().flatten())
        .flat_map(|r| r["scopeSpans"].as_array().into_iter().flatten())
        .flat_map(|s| s["spans"].as_array().into_iter().flatten())
        .collect();
    let span =
        spans.iter().find(|s| s["name"] == "tool_call").unwrap_or_else(|| panic!("no tool_call span in {batches:#?}"));
    assert_eq!(span["traceId"].as_str().unwrap().to_lowercase(), "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(span["parentSpanId"].as_str().unwrap().to_lowercase(), "b7ad6b7169203331");
    let attributes = span["attributes"].to_string();
    assert!(attributes.contains("\"tool\"") && attributes.contains("\"good\""), "{attributes}");
    let service = batches[0]["resourceSpans"][0]["resource"].to_string();
    assert!(service.contains("otel-mcp"), "{service}");
    // The upstream saw the exported span as its parent.
    let sent = chaos.traceparents.lock().unwrap()[0].clone();
    let span_id = span["spanId"].as_str().unwrap().to_lowercase();
    assert_eq!(sent, format!("00-0af7651916cd43dd8448eb211c80319c-{span_id}-01"));
}
