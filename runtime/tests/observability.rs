//! Telemetry proves each event: `/metrics` scraped over HTTP, the JSON log line of each call, the
//! W3C trace carried to the upstream, and `/readyz`.

use crate::{chaos, common};

use mcpgen_runtime::McpServer;
use mcpgen_runtime::cli::Options;
use mcpgen_runtime::definition::ServerDefinition;
use mcpgen_runtime::progress::Progress;
use mcpgen_runtime::trace::TraceContext;
use mcpgen_runtime::transport::router;
use serde_json::{Value, json};

fn definition(base: &str) -> ServerDefinition {
    let tool = |name: &str, route: &str| {
        json!({"tool": {"name": name, "inputSchema": {"type": "object"}}, "api": "up",
               "http": {"method": "GET", "path": format!("/{route}")}, "idempotent": true})
    };
    serde_json::from_value(json!({
        "@generated": "test", "name": "obs-mcp", "version": "1.0.0",
        "apis": [{"id": "up", "baseUrlEnv": "UP_BASE_URL",
                  "resilience": {"connectTimeoutMs": 1000, "attemptTimeoutMs": 1000, "deadlineMs": 3000, "maxAttempts": 3,
                                 "initialBackoffMs": 5, "maxBackoffMs": 10, "maxResponseBytes": 65536},
                  "circuitBreaker": {"failureRate": 0.5, "windowSeconds": 30, "minimumCalls": 100, "openSeconds": 30}}],
        "tools": [tool("good", "ok"), tool("flaky", "flaky"), tool("broken", "failing")],
        "environments": [{"name": "default", "apis": [{"id": "up", "baseUrl": base}]}]
    }))
    .unwrap()
}

fn options() -> Options {
    Options { log_json: true, ..common::http_options() }
}

#[tokio::test(flavor = "current_thread")]
async fn calls_are_counted_logged_and_traced() {
    let captured = common::Captured::default();
    let _guard = captured.json_logs(tracing::Level::INFO);

    let (base, chaos) = chaos::start().await;
    let server = McpServer::new(common::registry(definition(&base), &[]).unwrap());
    let app = common::serve(router(server.clone(), &options())).await;

    let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let entry = server.registry().get("good").unwrap();
    let result = server
        .execute(
            entry,
            Default::default(),
            None,
            None,
            &TraceContext::continue_or_start(Some(incoming)),
            &Progress::silent(),
        )
        .await;
    assert_eq!(result.is_error, Some(false));
    assert_eq!(server.call("flaky", json!({})).await.is_error, Some(false));
    let failed = server.call("broken", json!({})).await;
    assert_eq!(failed.is_error, Some(true));

    // The trace went to the upstream: same trace id, this server's span as parent.
    let sent = chaos.traceparents.lock().unwrap()[0].clone();
    assert!(sent.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-") && !sent.contains("00f067aa0ba902b7"), "{sent}");

    // One log line per call, with the call's fields and its span's.
    let lines = captured.json_lines();
    let calls: Vec<&Value> =
        lines.iter().filter(|l| l["fields"]["message"].as_str().is_some_and(|m| m.starts_with("tool call"))).collect();
    assert_eq!(calls.len(), 3, "{lines:#?}");
    let good = calls.iter().find(|l| l["span"]["tool"] == "good").unwrap();
    assert_eq!(good["span"]["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(good["span"]["route"], "/ok");
    assert_eq!(good["fields"]["status"], "200");
    let flaky = calls.iter().find(|l| l["span"]["tool"] == "flaky").unwrap();
    assert_eq!(flaky["fields"]["attempts"], 3);
    let broken = calls.iter().find(|l| l["span"]["tool"] == "broken").unwrap();
    assert_eq!(broken["level"], "WARN");
    assert_eq!(broken["fields"]["error_class"], "upstream_5xx");
    assert_eq!(broken["fields"]["message"], "tool call failed");
    let request_id = broken["span"]["request_id"].as_str().unwrap();
    let meta = failed.meta.as_ref().unwrap().0["io.mcpgen/error"].clone();
    assert_eq!(meta["requestId"], request_id, "the agent's result and the log line share the request id");

    // Metrics, scraped like Prometheus does.
    let metrics = reqwest::get(format!("{app}/metrics")).await.unwrap().text().await.unwrap();
    for expected in [
        r#"mcpgen_tool_calls_total{tool="good",api="up",outcome="ok"} 1"#,
        r#"mcpgen_tool_calls_total{tool="broken",api="up",outcome="upstream_5xx"} 1"#,
        r#"mcpgen_upstream_responses_total{api="up",status="503"} 2"#,
        r#"mcpgen_upstream_responses_total{api="up",status="500"} 1"#,
        r#"mcpgen_upstream_retries_total{api="up",reason="503"} 2"#,
        r#"mcpgen_circuit_state{api="up",circuit="good"} 0"#,
        r#"mcpgen_tool_call_duration_seconds_count{tool="flaky"} 1"#,
    ] {
        assert!(metrics.contains(expected), "missing {expected} in:\n{metrics}");
    }
    let ready = reqwest::get(format!("{app}/readyz")).await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["circuits"]["good"], "closed", "one circuit per tool: {body}");
}
