//! Request bodies of every encoding, sent by the real executor to a real HTTP server on 127.0.0.1
//! that echoes what it received (issue 3: form, multipart with file parts, text, binary).

use crate::common;

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use base64::Engine as _;
use mcpgen_runtime::McpServer;
use mcpgen_runtime::definition::ServerDefinition;

use serde_json::{Value, json};

/// Echoes the request: content type and body (base64, so binary survives).
async fn echo(headers: HeaderMap, body: Bytes) -> axum::Json<Value> {
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    axum::Json(json!({"contentType": content_type, "body": base64::engine::general_purpose::STANDARD.encode(&body)}))
}

async fn upstream() -> String {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, axum::Router::new().route("/echo", post(echo))).await.unwrap() });
    format!("http://{addr}")
}

fn tool(name: &str, content_type: &str, encoding: &str, fields: Value) -> Value {
    json!({
        "tool": {"name": name, "inputSchema": {"type": "object"}},
        "api": "echo",
        "http": {"method": "POST", "path": "/echo",
                 "body": {"arg": "body", "contentType": content_type, "required": true, "encoding": encoding, "fields": fields}}
    })
}

async fn server() -> McpServer {
    let base = upstream().await;
    let definition: ServerDefinition = serde_json::from_value(json!({
        "@generated": "test", "name": "bodies", "version": "1.0.0",
        "apis": [{"id": "echo", "baseUrlEnv": "ECHO_BASE_URL"}], "environments": [{"name": "default", "apis": [{"id": "echo", "baseUrl": base}]}],
        "tools": [
            tool("form", "application/x-www-form-urlencoded", "form", json!([{"name": "metadata", "style": "deepObject", "explode": true}])),
            tool("multipart", "multipart/form-data", "multipart", json!([{"name": "file", "binary": true, "contentType": "image/png"}])),
            tool("text", "text/plain", "text", json!([])),
            tool("binary", "application/octet-stream", "binary", json!([])),
        ]
    }))
    .unwrap();
    McpServer::new(common::registry(definition, &[]).unwrap())
}

/// Calls `tool` and returns what the upstream saw: (content type, body bytes).
async fn call(server: &McpServer, tool: &str, body: Value) -> Result<(String, Vec<u8>), String> {
    let registry_tool = server.clone();
    let entry_name = tool.to_owned();
    let result = registry_tool.call(&entry_name, json!({ "body": body })).await;
    let text: String = result.content.iter().filter_map(|c| c.as_text().map(|t| t.text.clone())).collect();
    if result.is_error == Some(true) {
        return Err(text);
    }
    let echoed: Value = serde_json::from_str(&text).unwrap();
    let bytes = base64::engine::general_purpose::STANDARD.decode(echoed["body"].as_str().unwrap()).unwrap();
    Ok((echoed["contentType"].as_str().unwrap().to_owned(), bytes))
}

#[tokio::test]
async fn form_bodies_follow_field_styles() {
    let s = server().await;
    let (content_type, body) =
        call(&s, "form", json!({"name": "Rex Dog", "metadata": {"color": "brown"}, "tags": ["a", "b"], "gone": null}))
            .await
            .unwrap();
    assert_eq!(content_type, "application/x-www-form-urlencoded");
    assert_eq!(String::from_utf8(body).unwrap(), "name=Rex+Dog&metadata%5Bcolor%5D=brown&tags=a&tags=b");
    assert!(call(&s, "form", json!("not an object")).await.unwrap_err().contains("must be an object"));
}

#[tokio::test]
async fn multipart_bodies_decode_file_parts() {
    let s = server().await;
    let png = base64::engine::general_purpose::STANDARD.encode(b"\x89PNG-bytes");
    let (content_type, body) =
        call(&s, "multipart", json!({"file": png, "caption": "a dog", "meta": {"k": 1}})).await.unwrap();
    assert!(content_type.starts_with("multipart/form-data; boundary="), "{content_type}");
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("name=\"file\"; filename=\"file\"") && text.contains("Content-Type: image/png"), "{text}");
    assert!(body.windows(10).any(|w| w == b"\x89PNG-bytes"), "the file part carries the decoded bytes");
    assert!(text.contains("name=\"caption\"") && text.contains("a dog"), "{text}");
    assert!(text.contains("{\"k\":1}"), "{text}");
    let err = call(&s, "multipart", json!({"file": "%%% not base64"})).await.unwrap_err();
    assert!(err.contains("field `file` is not valid base64"), "{err}");
}

#[tokio::test]
async fn text_and_binary_bodies() {
    let s = server().await;
    let (content_type, body) = call(&s, "text", json!("<note>hi</note>")).await.unwrap();
    assert_eq!((content_type.as_str(), body.as_slice()), ("text/plain", b"<note>hi</note>".as_slice()));
    let (content_type, body) =
        call(&s, "binary", json!(base64::engine::general_purpose::STANDARD.encode([0u8, 255, 7]))).await.unwrap();
    assert_eq!((content_type.as_str(), body.as_slice()), ("application/octet-stream", [0u8, 255, 7].as_slice()));
}

/// Negotiates like many real APIs: XML unless the client ranks JSON first; reports the
/// `Content-Type` a bodiless request carried.
async fn negotiating(headers: HeaderMap) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let prefers_json =
        header("accept").split(',').next().is_some_and(|first| first.trim().starts_with("application/json"));
    if prefers_json {
        (
            [("content-type", "application/json")],
            json!({"name": "rex", "sentContentType": header("content-type")}).to_string(),
        )
            .into_response()
    } else {
        ([("content-type", "application/xml")], "<pet><name>rex</name></pet>").into_response()
    }
}

#[tokio::test]
async fn the_accept_header_asks_for_the_json_the_output_schema_describes_and_fixed_headers_are_sent() {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route("/pet", axum::routing::get(negotiating));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let tool = |name: &str, headers: Value| {
        json!({"tool": {"name": name, "inputSchema": {"type": "object"},
                        "outputSchema": {"type": "object", "required": ["name"]}},
               "api": "pets", "http": {"method": "GET", "path": "/pet", "headers": headers}})
    };
    let definition: ServerDefinition = serde_json::from_value(json!({
        "@generated": "test", "name": "negotiation", "version": "1.0.0",
        "apis": [{"id": "pets", "baseUrlEnv": "PETS_BASE_URL"}],
        "environments": [{"name": "default", "apis": [{"id": "pets", "baseUrl": format!("http://{addr}")}]}],
        "tools": [
            tool("negotiated", json!({"accept": "application/json, application/xml;q=0.5, */*;q=0.1",
                                       "content-type": "application/json"})),
            tool("any", json!({})),
        ]
    }))
    .unwrap();
    let server = McpServer::new(common::registry(definition, &[]).unwrap());
    let result = server.call("negotiated", json!({})).await;
    assert_eq!(result.is_error, Some(false), "{}", common::text(&result));
    let structured = result.structured_content.expect("JSON came back, so structuredContent is there");
    assert_eq!(structured["name"], "rex");
    assert_eq!(structured["sentContentType"], "application/json", "the fixed header reached the upstream");
    // Without the header (the old behaviour: `*/*`) the same API answers XML, which no output
    // schema can describe.
    assert!(server.call("any", json!({})).await.structured_content.is_none());
}
