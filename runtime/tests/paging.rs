//! Paging styles end to end (issue 14, item 4): a `next` URL in the body, a cursor in the body
//! and `Link` headers, each followed through its continuation handle against a loopback
//! upstream that authenticates with an API key in the query string and echoes it in its links
//! (as APIs with query keys do): the key never reaches a result or a handle.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::get;
use mcpgen_runtime::McpServer;
use mcpgen_runtime::definition::ServerDefinition;
use serde_json::{Value, json};

use crate::common;

const KEY: &str = "k3y-Secret-0042";

type Seen = Arc<Mutex<Vec<String>>>;

/// Ten items, three per page, addressed by `after` (an item number); links carry the key.
async fn pages(State(seen): State<Seen>, uri: axum::http::Uri) -> impl IntoResponse {
    let query = uri.query().unwrap_or_default();
    seen.lock().unwrap().push(query.to_owned());
    let after: usize = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "after")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let items: Vec<Value> =
        (after + 1..=(after + 3).min(10)).map(|i| json!({"id": i, "name": format!("item {i}")})).collect();
    let more = after + 3 < 10;
    let next = more.then(|| format!("/api/v1/items?after={}&api_key={KEY}", after + 3));
    let mut headers = HeaderMap::new();
    if uri.path().ends_with("/linked") && more {
        let link = format!("<{}?after={}&api_key={KEY}>; rel=\"next\"", uri.path(), after + 3);
        headers.insert("link", link.parse().unwrap());
    }
    let body = json!({"data": items, "next": next, "meta": {"next_cursor": more.then(|| (after + 3).to_string())}});
    (headers, axum::Json(body))
}

fn tool(name: &str, path: &str, style: Value) -> Value {
    json!({
        "tool": {"name": name, "inputSchema": {"type": "object", "properties": {
            "after": {"type": "string"}, "continuation": {"type": "string"}}, "additionalProperties": false}},
        "api": "up",
        "http": {"method": "GET", "path": path, "params": [
            {"query": "after"}]},
        "security": [["qry"]],
        "shaping": {"maxResultBytes": 60000, "maxItems": 50, "items": "data",
            "paging": {"arg": "continuation", "style": style}}
    })
}

fn definition(base: &str) -> ServerDefinition {
    serde_json::from_value(json!({
        "@generated": "test", "name": "paging-mcp", "version": "1.0.0",
        "apis": [{"id": "up", "baseUrlEnv": "UP_BASE_URL"}],
        "tools": [
            tool("by_url", "/items", json!({"style": "nextUrl", "next": "next"})),
            tool("by_cursor", "/items", json!({"style": "cursor", "param": "after", "token": "meta.next_cursor"})),
            tool("by_link", "/linked", json!({"style": "link"})),
        ],
        "environments": [{"name": "default", "apis": [{"id": "up", "baseUrl": base, "credentials": [
            {"scheme": "qry", "method": {"type": "apiKey", "location": "query", "name": "api_key", "key": {"env": "QUERY_KEY"}}}]}]}]
    }))
    .unwrap()
}

#[tokio::test]
async fn every_style_pages_through_its_handle_and_the_echoed_key_stays_out_of_handles() {
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route("/api/v1/items", get(pages))
        .route("/api/v1/linked", get(pages))
        .with_state(seen.clone());
    let base = format!("{}/api/v1", common::serve(app).await);
    let server = McpServer::new(common::registry(definition(&base), &[("QUERY_KEY", KEY)]).unwrap());
    for name in ["by_url", "by_cursor", "by_link"] {
        seen.lock().unwrap().clear();
        let mut arguments = json!({});
        let mut ids = Vec::new();
        loop {
            let result = server.call(name, arguments).await;
            let text = common::text(&result);
            assert_ne!(result.is_error, Some(true), "{name}: {text}");
            assert!(!text.contains(KEY) && !format!("{:?}", result.meta).contains(KEY), "{name}: {text}");
            let texts: Vec<Value> = result
                .content
                .iter()
                .filter_map(|c| c.as_text())
                .map(|t| serde_json::from_str(&t.text).unwrap())
                .collect();
            ids.extend(texts[0]["data"].as_array().unwrap().iter().map(|i| i["id"].as_u64().unwrap()));
            let Some(handle) = texts.get(1).and_then(|n| n["continuation"].as_str()) else { break };
            // Only the parts of a handle are opaque, not its secrecy: decoded, it holds no key.
            let body = handle.split('.').nth(1).unwrap();
            use base64::Engine as _;
            let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(body).unwrap();
            assert!(!String::from_utf8(decoded).unwrap().contains(KEY), "{name}");
            arguments = json!({"continuation": handle});
        }
        assert_eq!(ids, (1..=10).collect::<Vec<u64>>(), "{name}");
        // Each request carries the key once, from the server's credentials, never from a link.
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 4, "{name}: {seen:?}");
        assert!(seen.iter().all(|q| q.matches("api_key=").count() == 1), "{name}: {seen:?}");
        assert_eq!(seen[1], format!("after=3&api_key={KEY}"), "{name}");
    }
}
