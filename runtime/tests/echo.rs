//! What a hostile caller sends is not reflected without bound (huge tool names and arguments stay
//! small in errors, log lines and audit records), and every line a call logs carries its context
//! (tool, API, request id) whatever the log level.

use crate::{chaos, common};

use mcpgen_runtime::McpServer;
use mcpgen_runtime::definition::ServerDefinition;
use mcpgen_runtime::registry::{Registry, Selection};
use rmcp::ServiceExt as _;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use serde_json::{Value, json};

fn definition(base: &str) -> ServerDefinition {
    let tool = |name: &str, route: &str, extra: Value| {
        let mut tool = json!({"tool": {"name": name, "inputSchema": {"type": "object",
                                "properties": {"q": {"type": "string", "maxLength": 8}}}},
               "api": "up", "http": {"method": "GET", "path": format!("/{route}")}, "idempotent": true});
        for (key, value) in extra.as_object().unwrap() {
            tool[key] = value.clone();
        }
        tool
    };
    serde_json::from_value(json!({
        "@generated": "test", "name": "echo-mcp", "version": "1.0.0",
        "apis": [{"id": "up", "baseUrlEnv": "UP_BASE_URL",
                  "resilience": {"connectTimeoutMs": 1000, "attemptTimeoutMs": 1000, "deadlineMs": 3000, "maxAttempts": 1,
                                 "initialBackoffMs": 5, "maxBackoffMs": 10, "maxResponseBytes": 65536}}],
        "tools": [
            tool("search", "ok", json!({})),
            tool("broken", "failing", json!({})),
            tool("legacy", "ok", json!({"deprecation": {"sunset": "2099-12-31", "replacedBy": "search"}})),
        ],
        "environments": [{"name": "default", "apis": [{"id": "up", "baseUrl": base}]}]
    }))
    .unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn huge_names_and_arguments_stay_small_in_errors_logs_and_audit_records() {
    let captured = common::Captured::default();
    let _guard = captured.json_logs(tracing::Level::INFO);
    let (base, _chaos) = chaos::start().await;
    let dir = std::env::temp_dir().join(format!("mcpgen-echo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let file = dir.join("audit.jsonl");
    let selection = Selection { audit_file: Some(file.display().to_string()), ..Selection::default() };
    let registry = Registry::new(definition(&base), &selection, common::secrets(&[])).unwrap();
    let app = common::serve(mcpgen_runtime::transport::router(McpServer::new(registry), &common::http_options())).await;
    let client = ().serve(StreamableHttpClientTransport::from_uri(format!("{app}/mcp"))).await.unwrap();

    let name = "n".repeat(256 * 1024);
    let error = client.call_tool(CallToolRequestParams::new(name.clone())).await.unwrap_err().to_string();
    assert!(error.contains("unknown tool `nnnn") && error.contains("262144 bytes"), "{}", &error[..200]);
    assert!(error.len() < 1024, "the JSON-RPC error is {} bytes", error.len());

    let huge = "q".repeat(256 * 1024);
    let arguments = json!({"q": huge}).as_object().unwrap().clone();
    let result = client.call_tool(CallToolRequestParams::new("search").with_arguments(arguments)).await.unwrap();
    let text = common::text(&result);
    assert!(text.contains("Invalid arguments") && text.contains(" bytes, sha256:"), "{}", &text[..200]);
    assert!(text.len() < 2048, "the invalid_arguments result is {} bytes", text.len());
    client.cancel().await.unwrap();

    let trail = std::fs::read_to_string(&file).unwrap();
    let records: Vec<&str> = trail.lines().collect();
    assert_eq!(records.len(), 2, "one refusal, one call");
    for record in &records {
        assert!(record.len() < 2048, "an audit record is {} bytes", record.len());
    }
    let call: Value = serde_json::from_str(records[1]).unwrap();
    assert!(call["arguments"]["q"].as_str().unwrap().contains("[262144 bytes, sha256:"), "{call}");
    assert_eq!(call["argumentsDigest"].as_str().map(str::len), Some(64), "the digest covers the whole value");
    let longest = captured.text().lines().map(str::len).max().unwrap_or(0);
    assert!(longest < 4096, "a log line is {longest} bytes");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "current_thread")]
async fn warnings_of_failed_and_deprecated_calls_carry_the_calls_context_at_any_level() {
    let captured = common::Captured::default();
    // `warn` is the stdio default: the call's span must still be there for the warnings.
    let _guard = captured.json_logs(tracing::Level::WARN);
    let (base, _chaos) = chaos::start().await;
    let server = McpServer::new(common::registry(definition(&base), &[]).unwrap());
    let failed = server.call("broken", json!({})).await;
    assert_eq!(failed.is_error, Some(true));
    assert_eq!(server.call("legacy", json!({})).await.is_error, Some(false));
    let lines = captured.json_lines();
    let find = |message: &str| {
        lines
            .iter()
            .find(|l| l["fields"]["message"] == message)
            .unwrap_or_else(|| panic!("no {message:?} in {lines:#?}"))
    };
    let broken = find("tool call failed");
    let meta = &failed.meta.as_ref().unwrap().0["io.mcpgen/error"];
    assert_eq!(broken["span"]["tool"], "broken", "{broken}");
    assert_eq!(broken["span"]["api"], "up", "{broken}");
    assert_eq!(broken["span"]["request_id"], meta["requestId"], "{broken}");
    assert_eq!(broken["span"]["route"], "/failing", "{broken}");
    let deprecated = find("deprecated tool called");
    assert_eq!(deprecated["span"]["tool"], "legacy", "{deprecated}");
    assert!(deprecated["span"]["request_id"].as_str().is_some_and(|id| !id.is_empty()), "{deprecated}");
}
