//! Governance at run time: retired tools hidden and refused with their replacement, deprecated
//! tools logged when called, and roles (RBAC) filtering what callers see and call.

mod chaos;
mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use mcpgen_runtime::McpServer;
use mcpgen_runtime::inbound::Principal;
use rmcp::model::CallToolResult;
use serde_json::json;

fn server(base: &str) -> McpServer {
    let tool = |name: &str, extra: serde_json::Value| {
        let mut tool = json!({"tool": {"name": name, "inputSchema": {"type": "object"}}, "api": "shop",
                              "http": {"method": "GET", "path": "/ok"}});
        for (k, v) in extra.as_object().unwrap() {
            tool[k] = v.clone();
        }
        tool
    };
    let definition = serde_json::from_value(json!({
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
    McpServer::new(common::registry(definition, &[]).unwrap())
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

fn text(result: &CallToolResult) -> String {
    result.content.iter().filter_map(|c| c.as_text().map(|t| t.text.clone())).collect::<Vec<_>>().join("\n")
}

fn visible(server: &McpServer, principal: Option<&Principal>) -> Vec<String> {
    server.visible_tools(principal).map(|t| t.tool.name.to_string()).collect()
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn retired_tools_are_hidden_and_refused_and_deprecated_ones_are_logged() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (base, chaos) = chaos::start().await;
    let s = server(&base);
    assert_eq!(
        visible(&s, None),
        ["cancel_order", "legacy_report", "list_orders", "search_orders"],
        "past its sunset, old_search is gone"
    );
    let refused = s.call("old_search", json!({})).await;
    assert_eq!(refused.is_error, Some(true));
    assert_eq!(text(&refused), "`old_search` was retired on 2020-01-01. Use `search_orders` instead.");
    assert_eq!(chaos.hits("ok"), 0, "a retired tool never reaches the upstream");
    let deprecated = s.call("legacy_report", json!({})).await;
    assert_eq!(deprecated.is_error, Some(false), "still served until its sunset");
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
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
    assert!(text(&denied).contains("one of the roles support"), "{}", text(&denied));
    let support_without_scope = caller(&["support"], &[]);
    assert_eq!(visible(&s, Some(&support_without_scope)), ["list_orders"], "cancel_order also needs its scope");
    let support = caller(&["support"], &["orders:destructive"]);
    assert_eq!(visible(&s, Some(&support)), ["cancel_order", "list_orders"]);
    assert_eq!(s.call_as("cancel_order", json!({}), Some(&support)).await.is_error, Some(false));
    let nobody = caller(&[], &[]);
    assert!(visible(&s, Some(&nobody)).is_empty(), "with roles on, a caller without roles sees nothing");
}
