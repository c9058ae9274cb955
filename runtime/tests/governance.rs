//! Governance at run time: retired tools hidden and refused with their replacement, deprecated
//! tools logged when called, and roles (RBAC) filtering what callers see and call.

use crate::{chaos, common};

use mcpgen_runtime::McpServer;
use mcpgen_runtime::inbound::Principal;
use serde_json::json;

fn server(base: &str) -> McpServer {
    McpServer::new(common::registry(server_definition(base), &[]).unwrap())
}

fn server_definition(base: &str) -> mcpgen_runtime::definition::ServerDefinition {
    let tool = |name: &str, extra: serde_json::Value| {
        let mut tool = json!({"tool": {"name": name, "inputSchema": {"type": "object"}}, "api": "shop",
                              "http": {"method": "GET", "path": "/ok"}});
        for (k, v) in extra.as_object().unwrap() {
            tool[k] = v.clone();
        }
        tool
    };
    let definition: mcpgen_runtime::definition::ServerDefinition = serde_json::from_value(json!({
        "@generated": "test", "name": "shop-mcp", "version": "1.0.0", "rolesClaim": "roles",
        "apis": [{"id": "shop", "baseUrlEnv": "SHOP_BASE_URL"}],
        "tools": [
            tool("list_orders", json!({"roles": ["support", "viewer"]})),
            tool("cancel_order", json!({"roles": ["support"], "scopes": ["orders:destructive"]})),
            tool("legacy_report", json!({"roles": ["viewer"], "deprecation": {"sunset": "2099-12-31", "replacedBy": "list_orders"}})),
            tool("old_search", json!({"roles": ["viewer"], "deprecation": {"sunset": "2020-01-01", "replacedBy": "search_orders"}})),
            tool("search_orders", json!({"roles": ["viewer"]}))
        ],
        "environments": [{"name": "default", "apis": [{"id": "shop", "baseUrl": base}]}]
    }))
    .unwrap();
    definition
}

fn caller(roles: &[&str], scopes: &[&str]) -> Principal {
    Principal {
        subject: "agent-7".into(),
        client: None,
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        tenant: None,
        roles: roles.iter().map(|s| (*s).to_owned()).collect(),
        token: None,
    }
}

fn visible(server: &McpServer, principal: Option<&Principal>) -> Vec<String> {
    server.visible_tools(principal).map(|t| t.name.clone()).collect()
}

#[tokio::test(flavor = "current_thread")]
async fn retired_tools_are_hidden_and_refused_and_deprecated_ones_are_logged() {
    let captured = common::Captured::default();
    let _guard = captured.text_logs();
    let (base, chaos) = chaos::start().await;
    let s = server(&base);
    assert_eq!(
        visible(&s, None),
        ["cancel_order", "legacy_report", "list_orders", "search_orders"],
        "past its sunset, old_search is gone"
    );
    let refused = s.call("old_search", json!({})).await;
    assert_eq!(refused.is_error, Some(true));
    assert_eq!(common::text(&refused), "`old_search` was retired on 2020-01-01. Use `search_orders` instead.");
    assert_eq!(chaos.hits("ok"), 0, "a retired tool never reaches the upstream");
    let deprecated = s.call("legacy_report", json!({})).await;
    assert_eq!(deprecated.is_error, Some(false), "still served until its sunset");
    let logs = captured.text();
    assert!(logs.contains("deprecated tool called") && logs.contains("replaced_by=\"list_orders\""), "{logs}");
}

#[tokio::test]
async fn roles_decide_what_each_caller_sees_and_calls() {
    let (base, _chaos) = chaos::start().await;
    let s = server(&base);
    let viewer = caller(&["viewer"], &[]);
    assert_eq!(visible(&s, Some(&viewer)), ["legacy_report", "list_orders", "search_orders"]);
    let denied = s.call_as("cancel_order", json!({}), Some(&viewer)).await;
    assert_eq!(denied.is_error, Some(true));
    assert!(common::text(&denied).contains("one of the roles support"), "{}", common::text(&denied));
    let support_without_scope = caller(&["support"], &[]);
    assert_eq!(visible(&s, Some(&support_without_scope)), ["list_orders"], "cancel_order also needs its scope");
    let support = caller(&["support"], &["orders:destructive"]);
    assert_eq!(visible(&s, Some(&support)), ["cancel_order", "list_orders"]);
    assert_eq!(s.call_as("cancel_order", json!({}), Some(&support)).await.is_error, Some(false));
    let nobody = caller(&[], &[]);
    assert!(visible(&s, Some(&nobody)).is_empty(), "with roles on, a caller without roles sees nothing");
}

#[tokio::test]
async fn over_http_roles_are_enforced_at_the_gate_and_refusals_are_audited() {
    use mcpgen_runtime::registry::{Registry, Selection};
    use rmcp::ServiceExt as _;
    use rmcp::model::CallToolRequestParams;
    use rmcp::transport::StreamableHttpClientTransport;
    use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
    use sha2::{Digest, Sha256};

    let (base, chaos) = chaos::start().await;
    let hash = |key: &str| Sha256::digest(key.as_bytes()).iter().map(|b| format!("{b:02x}")).collect::<String>();
    let mut definition = serde_json::to_value(server_definition(&base)).unwrap();
    definition["environments"][0]["inbound"] = json!({
        "resource": "https://shop.example.test/mcp",
        "apiKeys": [
            {"id": "viewer-bot", "sha256": hash("viewer-key-0001"), "roles": ["viewer"], "scopes": ["orders:destructive"]},
            {"id": "support-bot", "sha256": hash("support-key-0002"), "roles": ["support"], "scopes": ["orders:destructive"]}
        ]
    });
    let dir = std::env::temp_dir().join(format!("mcpgen-gov-audit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let file = dir.join("audit.jsonl");
    let selection = Selection { audit_file: Some(file.display().to_string()), ..Selection::default() };
    let registry =
        Registry::new(serde_json::from_value(definition).unwrap(), &selection, common::secrets(&[])).unwrap();
    let options = common::http_options();
    let app = common::serve(mcpgen_runtime::transport::router(McpServer::new(registry), &options)).await;
    let call = |token: Option<&'static str>| {
        let app = app.clone();
        async move {
            let mut request = reqwest::Client::new()
                .post(format!("{app}/mcp"))
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .body(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "cancel_order", "arguments": {}}}).to_string());
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let (status, body) = call(Some("viewer-key-0001")).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("requires one of the roles: support"), "{body}");
    assert_eq!(call(None).await.0, 401);
    // An unknown tool passes the gate and is refused by the MCP handler, which audits it too.
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{app}/mcp")).auth_header("support-key-0002");
    let client = ().serve(StreamableHttpClientTransport::with_client(reqwest::Client::new(), config)).await.unwrap();
    let error = client.call_tool(CallToolRequestParams::new("drop_all_orders")).await.unwrap_err();
    assert!(error.to_string().contains("unknown tool `drop_all_orders`"), "{error}");
    client.cancel().await.unwrap();
    assert_eq!(chaos.hits("ok"), 0);
    let trail = std::fs::read_to_string(&file).unwrap();
    let records: Vec<serde_json::Value> = trail.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 3, "{trail}");
    assert_eq!(records[0]["principal"], "viewer-bot");
    assert_eq!(records[0]["tool"], "cancel_order");
    assert_eq!(
        (records[0]["decision"].as_str(), records[0]["outcome"].as_str()),
        (Some("denied"), Some("missing_role"))
    );
    assert_eq!(records[1]["outcome"], "missing_token");
    assert_eq!(records[2]["principal"], "support-bot");
    assert_eq!(records[2]["tool"], "drop_all_orders");
    assert_eq!(
        (records[2]["decision"].as_str(), records[2]["outcome"].as_str()),
        (Some("denied"), Some("unknown_tool"))
    );
    assert_eq!(mcpgen_runtime::audit_chain::verify(trail.lines()), Ok(3));
    let _ = std::fs::remove_dir_all(&dir);
}
