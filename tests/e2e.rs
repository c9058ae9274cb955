//! The generated petstore server, driven by a real MCP client (the rmcp SDK's) against a real HTTP
//! upstream on 127.0.0.1, over stdio and Streamable HTTP, with 2026-07-28 and 2025-11-25
//! lifecycles (issue 2, item 7).

use std::process::Stdio;
use std::time::Duration;

use rmcp::model::{CallToolRequestParams, CallToolResult, ProtocolVersion};
use rmcp::service::{RoleClient, RunningService, ServiceError};
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{ClientLifecycleMode, ClientServiceExt, ServiceExt};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::support::fixture_workspace;
use crate::upstream::{self, Upstream};

type Client = RunningService<RoleClient, ()>;

#[derive(Debug, Clone, Copy)]
enum Lifecycle {
    /// `server/discover` + per-request metadata (2026-07-28).
    Modern,
    /// `initialize` handshake (2025-11-25 clients).
    Legacy,
}

async fn connect<T, E, A>(transport: T, lifecycle: Lifecycle) -> Client
where
    T: rmcp::transport::IntoTransport<RoleClient, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    let client = match lifecycle {
        Lifecycle::Modern => {
            let mode = ClientLifecycleMode::Discover { preferred_versions: vec![ProtocolVersion::V_2026_07_28] };
            ().serve_with_lifecycle(transport, mode).await
        }
        Lifecycle::Legacy => ().serve(transport).await,
    };
    client.expect("the MCP client connects")
}

fn args(value: Value) -> CallToolRequestParams {
    CallToolRequestParams::new("placeholder").with_arguments(value.as_object().unwrap().clone())
}

async fn call(client: &Client, tool: &'static str, arguments: Value) -> Result<CallToolResult, ServiceError> {
    let mut params = args(arguments);
    params.name = tool.into();
    client.call_tool(params).await
}

fn text_of(result: &CallToolResult) -> String {
    result.content.iter().filter_map(|c| c.as_text().map(|t| t.text.clone())).collect::<Vec<_>>().join("\n")
}

/// The checks every transport and lifecycle must pass.
async fn exercise(client: &Client, upstream: &Upstream, expected_version: &str) {
    let info = client.peer_info().expect("server info");
    assert_eq!(info.server_info.as_ref().map(|i| i.name.as_str()), Some("petstore-mcp"));
    assert_eq!(info.protocol_version.to_string(), expected_version);

    // tools/list
    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<_> = tools.iter().map(|t| t.name.to_string()).collect();
    assert_eq!(names, ["create_pet", "delete_pet", "get_inventory", "get_pet", "list_pets"]);
    let get_pet = tools.iter().find(|t| t.name == "get_pet").unwrap();
    assert!(get_pet.output_schema.is_some());
    assert_eq!(get_pet.annotations.as_ref().and_then(|a| a.read_only_hint), Some(true));
    let delete = tools.iter().find(|t| t.name == "delete_pet").unwrap();
    assert_eq!(delete.annotations.as_ref().and_then(|a| a.destructive_hint), Some(true));

    // A successful call with structured content.
    let result = call(client, "get_pet", json!({"petId": "1"})).await.unwrap();
    assert_ne!(result.is_error, Some(true), "{}", text_of(&result));
    assert_eq!(result.structured_content, Some(json!({"id": "1", "name": "Rex", "tag": "dog"})));

    // Query arrays and integers reach the upstream as the spec says (form, exploded).
    let result = call(client, "list_pets", json!({"limit": 2, "tags": ["dog", "cat"]})).await.unwrap();
    assert_ne!(result.is_error, Some(true), "{}", text_of(&result));
    assert!(text_of(&result).contains("Rex"));
    let seen = upstream.seen();
    assert!(seen.iter().any(|s| s.uri == "/v1/pets?limit=2&tags=dog&tags=cat"), "{seen:#?}");

    // A JSON body and a header parameter.
    let result = call(client, "create_pet", json!({"body": {"name": "Kit"}, "X-Request-ID": "req-42"})).await.unwrap();
    assert_eq!(result.structured_content, Some(json!({"id": "3", "name": "Kit", "tag": "req-42"})));

    // A DELETE with no response body succeeds and says so.
    let result = call(client, "delete_pet", json!({"petId": "2"})).await.unwrap();
    assert_ne!(result.is_error, Some(true), "{}", text_of(&result));
    assert!(text_of(&result).contains("204"), "{}", text_of(&result));
    assert!(upstream.seen().iter().any(|s| s.method == "DELETE" && s.uri == "/v1/pets/2"));

    // Upstream 404 → an isError result naming the status.
    let result = call(client, "get_pet", json!({"petId": "404"})).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    let text = text_of(&result);
    assert!(text.contains("404"), "{text}");
    assert!(text.contains("pet 404 not found"), "the body excerpt helps the agent: {text}");

    // A response that breaks the declared output schema is not passed off as structured content.
    let result = call(client, "get_pet", json!({"petId": "bad"})).await.unwrap();
    assert_eq!(result.is_error, Some(true), "{}", text_of(&result));

    // Invalid arguments → an isError result that names the problem.
    let result = call(client, "create_pet", json!({})).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(text_of(&result).contains("body"), "{}", text_of(&result));
    let result = call(client, "list_pets", json!({"limit": "many"})).await.unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(text_of(&result).contains("limit"), "{}", text_of(&result));

    // Path parameters cannot escape their segment.
    let before = upstream.seen().len();
    let result = call(client, "get_pet", json!({"petId": "../store/inventory"})).await.unwrap();
    assert_eq!(result.is_error, Some(true), "{}", text_of(&result));
    let seen = upstream.seen();
    assert!(seen[before..].iter().all(|s| !s.uri.starts_with("/v1/store")), "{seen:#?}");

    // Unknown tool → a JSON-RPC error (-32602), not a result.
    match call(client, "no_such_tool", json!({})).await {
        Err(ServiceError::McpError(error)) => assert_eq!(error.code.0, -32602),
        other => panic!("expected a JSON-RPC error, got {other:?}"),
    }

    // The inbound client never leaks credentials upstream.
    assert!(upstream.seen().iter().all(|s| !s.headers.contains_key("authorization")));
}

fn server_command(upstream: &Upstream) -> tokio::process::Command {
    let binary = fixture_workspace().build_binary("petstore-mcp");
    let mut cmd = tokio::process::Command::new(binary);
    cmd.env("PETSTORE_BASE_URL", &upstream.base_url).env("RUST_LOG", "info").kill_on_drop(true);
    cmd
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "builds the generated petstore server; run with --include-ignored"]
async fn petstore_over_stdio() {
    let upstream = upstream::start().await;
    for (lifecycle, version) in [(Lifecycle::Modern, "2026-07-28"), (Lifecycle::Legacy, "2025-11-25")] {
        let mut cmd = server_command(&upstream);
        cmd.args(["--transport", "stdio"]);
        let (transport, _) = TokioChildProcess::builder(cmd).stderr(Stdio::inherit()).spawn().unwrap();
        let client = connect(transport, lifecycle).await;
        exercise(&client, &upstream, version).await;
        client.cancel().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "builds the generated petstore server; run with --include-ignored"]
async fn petstore_over_streamable_http() {
    // Another test may have installed it already; either way one is in place.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let upstream = upstream::start().await;
    let mut cmd = server_command(&upstream);
    cmd.args(["--transport", "http", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"]);
    let (mut child, url, metrics_url) = start_http(cmd).await;
    for (lifecycle, version) in [(Lifecycle::Modern, "2026-07-28"), (Lifecycle::Legacy, "2025-11-25")] {
        let client = connect(StreamableHttpClientTransport::from_uri(url.clone()), lifecycle).await;
        exercise(&client, &upstream, version).await;
        client.cancel().await.unwrap();
    }
    assert_eq!(http_status(&url.replace("/mcp", "/healthz"), "GET", &[], "").await, 200);
    assert_eq!(http_status(&url.replace("/mcp", "/readyz"), "GET", &[], "").await, 200);
    // Metrics live on their own listener (--metrics-listen), not next to /mcp.
    assert_eq!(http_status(&url.replace("/mcp", "/metrics"), "GET", &[], "").await, 404);
    let (status, metrics) = http_request(&metrics_url, "GET", &[], "").await;
    assert_eq!(status, 200);
    for expected in [
        r#"mcpgen_tool_calls_total{tool="get_pet",api="petstore",outcome="ok"}"#,
        r#"mcpgen_tool_calls_total{tool="get_pet",api="petstore",outcome="upstream_4xx"}"#,
        r#"mcpgen_upstream_responses_total{api="petstore",status="404"}"#,
        r#"mcpgen_circuit_state{api="petstore",circuit="get_pet"} 0"#,
    ] {
        assert!(metrics.contains(expected), "missing {expected} in:\n{metrics}");
    }
    // DNS-rebinding protection: a browser page from another origin is refused; so is a foreign Host.
    let ping = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}"#;
    let json = [("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream")];
    let evil_origin = [json[0], json[1], ("Origin", "http://evil.example")];
    assert_eq!(http_status(&url, "POST", &evil_origin, ping).await, 403);
    let local_origin = [json[0], json[1], ("Origin", "http://localhost:3000")];
    assert_ne!(http_status(&url, "POST", &local_origin, ping).await, 403, "loopback pages are allowed");
    let evil_host = [json[0], json[1], ("Host", "evil.example")];
    assert_eq!(http_status(&url, "POST", &evil_host, ping).await, 403);
    child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "builds the generated petstore server; run with --include-ignored"]
async fn petstore_withstands_a_hostile_client() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let upstream = upstream::start().await;
    let mut cmd = server_command(&upstream);
    cmd.args(["--transport", "http", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"]);
    cmd.args(["--header-timeout-secs", "1", "--max-connections", "200"]);
    let (mut child, url, _) = start_http(cmd).await;
    let addr = url.strip_prefix("http://").and_then(|r| r.split('/').next()).unwrap().to_owned();

    // Slowloris: 100 connections that never finish their request head are all closed by the server.
    let mut sockets = Vec::new();
    for _ in 0..100 {
        let mut socket = tokio::net::TcpStream::connect(&addr).await.unwrap();
        socket.write_all(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").await.unwrap();
        sockets.push(socket);
    }
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        for socket in &mut sockets {
            let mut buf = [0u8; 64];
            // EOF (0) or a reset: either way the server let go.
            while matches!(socket.read(&mut buf).await, Ok(n) if n > 0) {}
        }
    })
    .await;
    assert!(closed.is_ok(), "half-sent request heads were still open 10 s after a 1 s header timeout");

    let client = connect(StreamableHttpClientTransport::from_uri(url.clone()), Lifecycle::Modern).await;
    // A huge tool name is not reflected back whole.
    let error = client.call_tool(CallToolRequestParams::new("x".repeat(1 << 20))).await.unwrap_err().to_string();
    assert!(error.len() < 1024, "a 1 MB tool name came back in a {}-byte error", error.len());
    // Injection through path, query and body stays data at the upstream (header values with line
    // breaks are refused before sending: runtime/tests/hostile.rs).
    let _ = call(&client, "get_pet", json!({"petId": "../../admin?x=1#f"})).await.unwrap();
    let _ = call(&client, "list_pets", json!({"tags": ["a&admin=1", "b#c"], "limit": 5})).await.unwrap();
    let body = json!({"name": "Rex\r\nX-Injected: 1"});
    let _ = call(&client, "create_pet", json!({"body": body})).await.unwrap();
    let seen = upstream.seen();
    assert!(seen.iter().any(|s| s.uri == "/v1/pets/..%2F..%2Fadmin%3Fx%3D1%23f"), "{seen:?}");
    assert!(seen.iter().any(|s| s.uri == "/v1/pets?limit=5&tags=a%26admin%3D1&tags=b%23c"), "{seen:?}");
    assert!(seen.iter().all(|s| s.uri.starts_with("/v1/pets")), "{seen:?}");
    assert!(seen.iter().all(|s| !s.headers.contains_key("x-injected")), "{seen:?}");
    // …and the server still serves.
    let pets = call(&client, "list_pets", json!({})).await.unwrap();
    assert_eq!(pets.is_error, Some(false), "{}", text_of(&pets));
    client.cancel().await.unwrap();
    child.kill().await.unwrap();
}

/// Spawns the HTTP server `cmd` (stderr piped) and waits until it listens: the child, the `/mcp`
/// URL and the metrics URL. The server's warnings and errors keep being copied to the test's stderr.
async fn start_http(mut cmd: tokio::process::Command) -> (tokio::process::Child, String, String) {
    let mut child = cmd.stderr(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let (url, metrics_url) = tokio::time::timeout(Duration::from_secs(60), async {
        let mut metrics = None;
        while let Some(line) = lines.next_line().await.unwrap() {
            eprintln!("server: {line}");
            if let Some(rest) = line.split("metrics on ").nth(1) {
                metrics = Some(rest.split_whitespace().next().unwrap().to_owned());
            }
            if let Some(rest) = line.split("listening on ").nth(1) {
                return (rest.split_whitespace().next().unwrap().to_owned(), metrics.expect("metrics listener first"));
            }
        }
        panic!("the server exited before listening");
    })
    .await
    .expect("the server starts listening");
    // Only warnings and errors from here on: a failed test prints what it captured first, and a
    // CI log shows only its end, so the panic message must not drown in the server's info lines.
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if !line.contains(" INFO ") {
                eprintln!("server: {line}");
            }
        }
    });
    (child, url, metrics_url)
}

/// The status code of [`http_request`].
async fn http_status(url: &str, method: &str, headers: &[(&str, &str)], body: &str) -> u16 {
    http_request(url, method, headers, body).await.0
}

/// One HTTP/1.1 request over a raw TCP stream (no extra client dependency; full control of the
/// `Host` and `Origin` headers), returning the status code and the body. A `Host` in `headers`
/// replaces the real one.
async fn http_request(url: &str, method: &str, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (addr, path) = rest.split_once('/').unwrap();
    let host = headers.iter().find(|(k, _)| *k == "Host").map_or(addr, |(_, v)| v);
    let mut request =
        format!("{method} /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers.iter().filter(|(k, _)| *k != "Host") {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    (status, body)
}
