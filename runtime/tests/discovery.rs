//! The discovery surface (issue 12, items 1–3): `tools/list` offers the three meta-tools, search
//! and describe show only what the caller may call, and `call_tool` takes the path of a direct
//! call — the same 403 at the HTTP gate, the same refusal in process, and metrics, logs and audit
//! records naming the inner tool.

use crate::{chaos, common};

use mcpgen_runtime::McpServer;
use mcpgen_runtime::definition::{ServerDefinition, SurfaceMode};
use mcpgen_runtime::inbound::Principal;
use mcpgen_runtime::registry::{Registry, Selection};
use rmcp::ServiceExt as _;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn definition(base: &str) -> ServerDefinition {
    let tool = |name: &str, method: &str, description: &str, extra: Value| {
        let mut tool = json!({
            "tool": {"name": name, "description": description, "inputSchema": {"type": "object"}},
            "api": "shop", "http": {"method": method, "path": "/ok"}
        });
        for (k, v) in extra.as_object().unwrap() {
            tool[k] = v.clone();
        }
        tool
    };
    let order_id = json!({"type": "object", "properties": {"orderId": {"type": "string"}}, "required": ["orderId"]});
    serde_json::from_value(json!({
        "@generated": "test", "name": "shop-mcp", "version": "1.0.0", "rolesClaim": "roles",
        "apis": [{"id": "shop", "baseUrlEnv": "SHOP_BASE_URL"}],
        "tools": [
            tool("list_orders", "GET", "List orders. Newest first.", json!({"roles": ["support", "viewer"], "tags": ["orders"]})),
            tool("cancel_order", "DELETE", "Cancels an order that has not shipped.", json!({
                "roles": ["support"], "scopes": ["orders:destructive"], "tags": ["orders"],
                "http": {"method": "DELETE", "path": "/ok", "params": [
                    {"query": "orderId", "required": true}
                ]}
            })),
            tool("get_inventory", "GET", "Returns stock levels per product.", json!({"roles": ["support", "viewer"], "tags": ["store"]})),
            tool("old_search", "GET", "Search orders the old way.", json!({"roles": ["viewer", "support"], "deprecation": {"sunset": "2020-01-01"}}))
        ],
        "environments": [{"name": "default", "apis": [{"id": "shop", "baseUrl": base}]}]
    }))
    .map(|mut d: ServerDefinition| {
        d.tools[1].tool.insert("inputSchema".into(), order_id);
        d
    })
    .unwrap()
}

fn arguments(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().unwrap().clone()
}

fn names(result: &CallToolResult) -> Vec<String> {
    let structured = result.structured_content.as_ref().expect("structuredContent");
    structured["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect()
}

fn caller(roles: &[&str], scopes: &[&str]) -> Principal {
    Principal {
        subject: "agent-9".into(),
        client: None,
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        tenant: None,
        roles: roles.iter().map(|s| (*s).to_owned()).collect(),
        token: None,
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_tables_synonyms_find_tools_by_the_agents_words() {
    let (base, _chaos) = chaos::start().await;
    let search = |definition: ServerDefinition| async move {
        let server = McpServer::with_surface(common::registry(definition, &[]).unwrap(), Some(SurfaceMode::Discovery));
        names(&server.call_as("search_tools", json!({"query": "warehouse"}), None).await)
    };
    assert!(search(definition(&base)).await.is_empty(), "no tool says warehouse");
    let mut with_synonyms = definition(&base);
    with_synonyms.surface.synonyms.insert("warehouse".into(), vec!["stock".into(), "inventory".into()]);
    assert_eq!(search(with_synonyms).await, ["get_inventory"]);
}

#[tokio::test(flavor = "current_thread")]
async fn in_process_search_describe_and_call_keep_every_check() {
    let captured = common::Captured::default();
    let _guard = captured.text_logs();
    let (base, chaos) = chaos::start().await;
    let registry = common::registry(definition(&base), &[]).unwrap();
    let server = McpServer::with_surface(registry, Some(SurfaceMode::Discovery));
    assert!(server.discovery().is_some());
    let viewer = caller(&["viewer"], &["orders:destructive"]);

    let found = server.call_as("search_tools", json!({"query": "cancel an order"}), Some(&viewer)).await;
    assert_eq!(found.is_error, Some(false));
    assert!(!names(&found).contains(&"cancel_order".to_owned()), "hidden from a viewer: {:?}", names(&found));
    assert_eq!(names(&found).first().map(String::as_str), Some("list_orders"));
    let local = server.call_as("search_tools", json!({"query": "cancel an order"}), None).await;
    assert_eq!(names(&local).first().map(String::as_str), Some("cancel_order"), "the operator sees every tool");
    assert!(!names(&local).contains(&"old_search".to_owned()), "retired tools are never found");
    let tagged = server.call_as("search_tools", json!({"query": "", "tags": ["Store"]}), None).await;
    assert_eq!(names(&tagged), ["get_inventory"]);

    let described = server
        .call_as("describe_tools", json!({"names": ["list_orders", "cancel_order", "no_such_tool"]}), Some(&viewer))
        .await;
    let structured = described.structured_content.clone().unwrap();
    assert_eq!(names(&described), ["list_orders"]);
    assert_eq!(structured["unknown"], json!(["cancel_order", "no_such_tool"]), "hidden and unknown alike");
    assert_eq!(structured["tools"][0]["inputSchema"], json!({"type": "object"}));

    let denied = server
        .call_as("call_tool", json!({"name": "cancel_order", "arguments": {"orderId": "7"}}), Some(&viewer))
        .await;
    let direct = server.call_as("cancel_order", json!({"orderId": "7"}), Some(&viewer)).await;
    assert_eq!(denied.is_error, Some(true));
    assert_eq!(common::text(&denied), common::text(&direct), "the same refusal as a direct call");
    assert!(common::text(&denied).contains("one of the roles support"), "{}", common::text(&denied));
    assert_eq!(chaos.hits("ok"), 0);

    let invalid = server.call_as("call_tool", json!({"name": "cancel_order", "arguments": {}}), None).await;
    assert_eq!(invalid.is_error, Some(true));
    assert!(common::text(&invalid).contains("orderId"), "the inner tool's validation: {}", common::text(&invalid));
    let unknown = server.call_as("call_tool", json!({"name": "drop_tables"}), None).await;
    assert!(common::text(&unknown).contains("unknown tool `drop_tables`"), "{}", common::text(&unknown));
    let ran = server.call_as("call_tool", json!({"name": "cancel_order", "arguments": {"orderId": "7"}}), None).await;
    assert_eq!(ran.is_error, Some(false), "{}", common::text(&ran));
    assert_eq!(chaos.hits("ok"), 1);
    let logs = captured.text();
    let line = logs.lines().find(|l| l.contains(": tool call ")).unwrap_or_default();
    assert!(line.contains("tool=cancel_order") && line.contains("api=shop"), "the inner tool labels the line: {logs}");
    assert!(!logs.contains("tool=call_tool"), "{logs}");
    // A real tool's name still works directly (clients may have cached it).
    assert_eq!(server.call_as("list_orders", json!({}), None).await.is_error, Some(false));
}

#[tokio::test]
async fn over_stdio_framing_the_listing_is_the_meta_tools_and_calls_reach_the_inner_tool() {
    let (base, chaos) = chaos::start().await;
    let registry = common::registry(definition(&base), &[]).unwrap();
    let server = McpServer::with_surface(registry, Some(SurfaceMode::Discovery));
    // The stdio transport is newline-delimited JSON-RPC over a byte stream: an in-memory pipe
    // carries the very same framing.
    let (server_side, client_side) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        if let Ok(running) = server.serve(server_side).await {
            let _ = running.waiting().await;
        }
    });
    let client = ().serve(client_side).await.unwrap();
    let listed: Vec<String> = client.list_all_tools().await.unwrap().into_iter().map(|t| t.name.to_string()).collect();
    assert_eq!(listed, ["search_tools", "describe_tools", "call_tool"]);
    let found = client
        .call_tool(
            CallToolRequestParams::new("search_tools").with_arguments(arguments(json!({"query": "stock levels"}))),
        )
        .await
        .unwrap();
    assert_eq!(names(&found).first().map(String::as_str), Some("get_inventory"));
    let ran = client
        .call_tool(CallToolRequestParams::new("call_tool").with_arguments(arguments(json!({"name": "get_inventory"}))))
        .await
        .unwrap();
    assert_eq!(ran.is_error, Some(false), "{}", common::text(&ran));
    assert!(common::text(&ran).contains(r#""ok":true"#), "the inner tool's own result: {}", common::text(&ran));
    assert_eq!(chaos.hits("ok"), 1);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn over_http_with_auth_hidden_tools_are_neither_found_nor_called_and_the_trail_names_the_inner_tool() {
    let (base, chaos) = chaos::start().await;
    let hash = |key: &str| Sha256::digest(key.as_bytes()).iter().map(|b| format!("{b:02x}")).collect::<String>();
    let mut definition = serde_json::to_value(definition(&base)).unwrap();
    definition["environments"][0]["inbound"] = json!({
        "resource": "https://shop.example.test/mcp",
        "apiKeys": [
            {"id": "viewer-bot", "sha256": hash("viewer-key-0001"), "roles": ["viewer"], "scopes": ["orders:destructive"]},
            {"id": "support-noscope", "sha256": hash("support-key-0003"), "roles": ["support"]},
            {"id": "support-bot", "sha256": hash("support-key-0002"), "roles": ["support"], "scopes": ["orders:destructive"]}
        ]
    });
    let dir = std::env::temp_dir().join(format!("mcpgen-discovery-audit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let file = dir.join("audit.jsonl");
    let selection = Selection { audit_file: Some(file.display().to_string()), ..Selection::default() };
    let registry =
        Registry::new(serde_json::from_value(definition).unwrap(), &selection, common::secrets(&[])).unwrap();
    let server = McpServer::with_surface(registry, Some(SurfaceMode::Discovery));
    let app = common::serve(mcpgen_runtime::transport::router(server, &common::http_options())).await;

    // Raw JSON-RPC posts, to compare HTTP statuses and bodies of direct and meta calls.
    let post = |key: &'static str, name: &'static str, arguments: Value| {
        let app = app.clone();
        async move {
            let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}});
            let response = reqwest::Client::new()
                .post(format!("{app}/mcp"))
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .bearer_auth(key)
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            let challenge = response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
            (response.status().as_u16(), response.text().await.unwrap(), challenge)
        }
    };
    let order = json!({"orderId": "7"});
    let direct = post("viewer-key-0001", "cancel_order", order.clone()).await;
    let meta = post("viewer-key-0001", "call_tool", json!({"name": "cancel_order", "arguments": order})).await;
    assert_eq!(meta.0, 403, "{}", meta.1);
    assert_eq!((meta.0, &meta.1), (direct.0, &direct.1), "a role refusal is the direct call's");
    assert!(meta.1.contains("requires one of the roles: support"), "{}", meta.1);
    let direct = post("support-key-0003", "cancel_order", order.clone()).await;
    let meta = post("support-key-0003", "call_tool", json!({"name": "cancel_order", "arguments": order})).await;
    assert_eq!(meta.0, 403);
    assert_eq!(meta, direct, "a scope refusal too, step-up challenge included");
    assert!(
        meta.2.as_deref().unwrap_or_default().contains(r#"error="insufficient_scope", scope="orders:destructive""#),
        "{meta:?}"
    );
    assert_eq!(chaos.hits("ok"), 0, "refused calls never reach the upstream");

    // The official client, as the viewer: the listing is the meta-tools, hidden tools are not found.
    let connect = |key: &'static str| {
        let config = StreamableHttpClientTransportConfig::with_uri(format!("{app}/mcp")).auth_header(key);
        ().serve(StreamableHttpClientTransport::with_client(reqwest::Client::new(), config))
    };
    let viewer = connect("viewer-key-0001").await.unwrap();
    let listed: Vec<String> = viewer.list_all_tools().await.unwrap().into_iter().map(|t| t.name.to_string()).collect();
    assert_eq!(listed, ["search_tools", "describe_tools", "call_tool"]);
    let call = |name: &'static str, args: Value| CallToolRequestParams::new(name).with_arguments(arguments(args));
    let found = viewer.call_tool(call("search_tools", json!({"query": "cancel order", "limit": 50}))).await.unwrap();
    assert!(!names(&found).contains(&"cancel_order".to_owned()), "{:?}", names(&found));
    let described = viewer.call_tool(call("describe_tools", json!({"names": ["cancel_order"]}))).await.unwrap();
    assert_eq!(described.structured_content.unwrap(), json!({"tools": [], "unknown": ["cancel_order"]}));
    viewer.cancel().await.unwrap();

    // Support with the scope finds, describes and calls it; the trail names cancel_order.
    let support = connect("support-key-0002").await.unwrap();
    let found = support.call_tool(call("search_tools", json!({"query": "cancel order"}))).await.unwrap();
    assert_eq!(names(&found).first().map(String::as_str), Some("cancel_order"));
    let described = support.call_tool(call("describe_tools", json!({"names": ["cancel_order"]}))).await.unwrap();
    assert_eq!(names(&described), ["cancel_order"]);
    let ran = support
        .call_tool(call("call_tool", json!({"name": "cancel_order", "arguments": {"orderId": "7"}})))
        .await
        .unwrap();
    assert_eq!(ran.is_error, Some(false), "{}", common::text(&ran));
    assert_eq!(chaos.hits("ok"), 1);
    support.cancel().await.unwrap();

    let metrics = reqwest::get(format!("{app}/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"mcpgen_tool_calls_total{tool="cancel_order",api="shop",outcome="ok"} 1"#), "{metrics}");
    assert!(!metrics.contains(r#"tool="call_tool""#), "the meta-tool is not what ran: {metrics}");
    let trail = std::fs::read_to_string(&file).unwrap();
    let records: Vec<Value> = trail.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let summary: Vec<(&str, &str, &str)> = records
        .iter()
        .map(|r| (r["principal"].as_str().unwrap(), r["tool"].as_str().unwrap_or("-"), r["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        summary,
        [
            ("viewer-bot", "cancel_order", "missing_role"),
            ("viewer-bot", "cancel_order", "missing_role"),
            ("support-noscope", "cancel_order", "insufficient_scope"),
            ("support-noscope", "cancel_order", "insufficient_scope"),
            ("support-bot", "cancel_order", "ok"),
        ],
        "{trail}"
    );
    assert_eq!(mcpgen_runtime::audit_chain::verify(trail.lines()), Ok(5));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn auto_serves_discovery_only_above_the_budget() {
    let (base, _chaos) = chaos::start().await;
    let small = McpServer::with_surface(common::registry(definition(&base), &[]).unwrap(), Some(SurfaceMode::Auto));
    assert!(small.discovery().is_none(), "four small tools fit 8,000 tokens");
    let mut tight = definition(&base);
    tight.surface.mode = SurfaceMode::Auto;
    tight.surface.budget_tokens = 50;
    let large = McpServer::new(common::registry(tight, &[]).unwrap());
    assert!(large.discovery().is_some(), "over a 50-token budget");
    let forced = McpServer::with_surface(common::registry(definition(&base), &[]).unwrap(), Some(SurfaceMode::Tools));
    assert!(forced.discovery().is_none());
}
