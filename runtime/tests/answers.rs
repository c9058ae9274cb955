//! How a tool call's answer travels over Streamable HTTP (issue 13, item 4): in the session era
//! a quick call's event stream is one body of known length — the head, the priming event and
//! the result in one write — and a slow one still streams; in the stateless era a call that
//! answers with one message gets it as JSON.

use std::time::Duration;

use crate::common;
use crate::common::session::RawSession;

use mcpgen_runtime::McpServer;
use mcpgen_runtime::coalesce::HOLD;
use serde_json::{Value, json};

/// A server with `quick` (answers at once) and `slow` (answers long after the hold).
async fn start() -> String {
    let upstream =
        axum::Router::new().route("/quick", axum::routing::get(|| async { axum::Json(json!({"ok": true})) })).route(
            "/slow",
            axum::routing::get(|| async {
                tokio::time::sleep(HOLD * 10).await;
                axum::Json(json!({"ok": true}))
            }),
        );
    let base = common::serve(upstream).await;
    let tool = |name: &str| {
        json!({"tool": {"name": name, "inputSchema": {"type": "object"}}, "api": "up",
               "http": {"method": "GET", "path": format!("/{name}")}})
    };
    let definition = serde_json::from_value(json!({
        "@generated": "test", "name": "answers", "version": "1.0.0",
        "apis": [{"id": "up", "baseUrlEnv": "UP_BASE_URL"}],
        "environments": [{"name": "default", "apis": [{"id": "up", "baseUrl": base}]}],
        "tools": [tool("quick"), tool("slow")]
    }))
    .unwrap();
    let server = McpServer::new(common::registry(definition, &[]).unwrap());
    let options = common::http_options();
    let addr = common::serve_limited(mcpgen_runtime::transport::router(server, &options), options.limits).await;
    format!("http://{addr}/mcp")
}

/// The session-era answer to calling `tool`: its headers and body.
async fn session_call(raw: &RawSession, tool: &str) -> (reqwest::header::HeaderMap, String) {
    let answer = raw.call(tool, json!({})).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    (answer.headers, answer.body)
}

/// The `data:` messages of an event stream, priming events (empty data) included as `Null`.
fn events(body: &str) -> Vec<Value> {
    body.lines()
        .filter_map(|line| line.strip_prefix("data:"))
        .map(|data| if data.trim().is_empty() { Value::Null } else { serde_json::from_str(data.trim()).unwrap() })
        .collect()
}

#[tokio::test]
async fn a_quick_session_call_is_answered_in_one_body_of_known_length() {
    let url = start().await;
    let raw = RawSession::open(&url).await;
    // Every answer is complete; whether it ended within the hold depends on the machine (the
    // first call also compiles the tool's validators, and a loaded test machine can stall any
    // call for longer than the hold), so one of a few quick calls must have been one body.
    let mut whole = None;
    for _ in 0..5 {
        let (headers, body) = session_call(&raw, "quick").await;
        assert_eq!(headers["content-type"], "text/event-stream");
        assert_eq!(events(&body).len(), 2, "{body}");
        if headers.contains_key("content-length") {
            whole = Some((headers, body));
            break;
        }
    }
    let (headers, body) = whole.expect("a quick call answered in one body");
    assert_eq!(headers["content-length"].to_str().unwrap(), body.len().to_string(), "one body: {headers:?}");
    assert!(!headers.contains_key("transfer-encoding"), "{headers:?}");
    let events = events(&body);
    assert_eq!(events.len(), 2, "the priming event, then the result: {body}");
    assert_eq!(events[0], Value::Null, "{body}");
    assert_eq!(events[1]["id"], 1, "{body}");
    assert_eq!(events[1]["result"]["content"][0]["text"], r#"{"ok":true}"#, "{body}");
}

#[tokio::test]
async fn a_slow_session_call_still_streams_its_answer_whole() {
    let url = start().await;
    let raw = RawSession::open(&url).await;
    let (headers, body) = session_call(&raw, "slow").await;
    assert_eq!(headers["content-type"], "text/event-stream");
    assert!(!headers.contains_key("content-length"), "a stream once the hold is over: {headers:?}");
    let events = events(&body);
    assert_eq!(events.len(), 2, "{body}");
    assert_eq!(events[1]["result"]["content"][0]["text"], r#"{"ok":true}"#, "{body}");
}

#[tokio::test]
async fn a_stateless_call_is_answered_as_json() {
    let url = start().await;
    let call = json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"name": "quick", "arguments": {},
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                  "io.modelcontextprotocol/clientInfo": {"name": "raw-test", "version": "1"},
                  "io.modelcontextprotocol/clientCapabilities": {}}}});
    let response = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", "quick")
        .timeout(Duration::from_secs(10))
        .body(call.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["id"], 9, "{answer}");
    assert_eq!(answer["result"]["content"][0]["text"], r#"{"ok":true}"#, "{answer}");
}
