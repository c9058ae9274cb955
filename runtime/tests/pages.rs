//! `tools/list` pages written from JSON serialised once (issue 13, item 3): what a client gets
//! over stdio and Streamable HTTP is, byte for byte, what rmcp writes for the typed tools, in
//! both protocol eras, and only the tools the handler chose for the caller.

use crate::common;

use mcpgen_runtime::McpServer;
use mcpgen_runtime::definition::ServerDefinition;
use mcpgen_runtime::stdio::LineSafe;
use mcpgen_runtime::transport::router;
use rmcp::model::{ListToolsResult, NumberOrString, ServerJsonRpcMessage, ServerResult, Tool};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientLifecycleMode, ClientServiceExt as _, ServiceExt as _};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt as _;

/// `count` tools over three pages and a bit: one with an array output schema (dropped for peers
/// before 2026-07-28), one whose description holds U+2028 (escaped on stdio).
fn definition(count: usize) -> ServerDefinition {
    let tools: Vec<Value> = (0..count)
        .map(|i| {
            let mut tool = json!({"name": format!("t{i:03}"), "description": format!("Tool {i}."),
                "inputSchema": {"type": "object", "properties": {"id": {"type": "integer"}}},
                "outputSchema": {"type": "object", "properties": {"ok": {"type": "boolean"}}}});
            if i == 1 {
                tool["outputSchema"] = json!({"type": "array", "items": {"type": "string"}});
            }
            if i == 2 {
                tool["description"] = json!("Line\u{2028}separated and \"quoted\".");
            }
            json!({"tool": tool, "api": "p", "http": {"method": "GET", "path": format!("/t/{i}")}})
        })
        .collect();
    serde_json::from_value(json!({
        "@generated": "test", "name": "pages-mcp", "version": "1.0.0",
        "apis": [{"id": "p", "baseUrlEnv": "P_BASE_URL"}],
        "environments": [{"name": "default", "apis": [{"id": "p", "baseUrl": "https://p.example.com"}]}],
        "tools": tools
    }))
    .unwrap()
}

/// The message rmcp writes for a `tools/list` answer listing `tools`, after its own per-era
/// processing (what `handle_request` does before any transport sees the result).
fn answer(tools: Vec<Tool>, legacy: bool) -> Vec<u8> {
    let mut page = ListToolsResult::with_all_items(tools).with_ttl_ms(300_000);
    page.next_cursor = Some("100".into());
    let mut result = ServerResult::ListToolsResult(page);
    if legacy {
        result.strip_result_type_for_legacy_peer();
        result.strip_non_object_output_for_legacy_peer();
    } else {
        result.fill_missing_cache_hints();
    }
    let mut bytes = serde_json::to_vec(&ServerJsonRpcMessage::response(result, NumberOrString::Number(7))).unwrap();
    bytes.push(b'\n');
    bytes
}

/// `bytes` through the stdio writer, in two writes split at `split`.
async fn stdio(writer: LineSafe<Vec<u8>>, bytes: &[u8], split: usize) -> Vec<u8> {
    let mut writer = writer;
    writer.write_all(&bytes[..split]).await.unwrap();
    writer.write_all(&bytes[split..]).await.unwrap();
    writer.flush().await.unwrap();
    writer.into_inner()
}

#[tokio::test]
async fn stdio_pages_are_the_typed_answer_byte_for_byte_in_both_eras() {
    let server = McpServer::new(common::registry(definition(7), &[]).unwrap());
    let (_, pages) = server.with_pages();
    let tools = server.registry().tools();
    // A whole run, and a caller's filtered set (as governance leaves it).
    for chosen in [vec![0, 1, 2, 3, 4, 5, 6], vec![1, 2, 5]] {
        for legacy in [false, true] {
            let typed: Vec<Tool> = chosen.iter().map(|&i| tools[i].tool().clone()).collect();
            let expected = stdio(LineSafe::new(Vec::new()), &answer(typed, legacy), 0).await;
            let placeholder = answer(vec![pages.placeholder(legacy, &chosen)], legacy);
            for split in 0..placeholder.len() {
                let written = stdio(LineSafe::new(Vec::new()).with_pages(pages.clone()), &placeholder, split).await;
                assert_eq!(
                    String::from_utf8_lossy(&written),
                    String::from_utf8_lossy(&expected),
                    "{chosen:?}, legacy {legacy}, split at {split}"
                );
            }
            assert!(expected.windows(6).any(|w| w == b"\\u2028"), "U+2028 is escaped in pages too");
            let has_array_output = String::from_utf8_lossy(&expected).contains(r#""type":"array""#);
            assert_eq!(has_array_output, !legacy && chosen.contains(&1), "the array output schema per era");
        }
    }
}

#[tokio::test]
async fn only_this_processs_placeholders_are_replaced() {
    let server = McpServer::new(common::registry(definition(3), &[]).unwrap());
    let (_, pages) = server.with_pages();
    let (_, other) = server.with_pages();
    // Another nonce (as an upstream's JSON relayed in a result could try), and a truncated one.
    let foreign = answer(vec![other.placeholder(false, &[0])], false);
    let written = stdio(LineSafe::new(Vec::new()).with_pages(pages.clone()), &foreign, 10).await;
    assert_eq!(written, foreign, "a placeholder of another nonce passes as it is");
    assert!(pages.splice(&foreign).is_none());
    let own = answer(vec![pages.placeholder(false, &[0])], false);
    let cut = &own[..own.len() - 8];
    let written = stdio(LineSafe::new(Vec::new()).with_pages(pages), cut, 3).await;
    assert_eq!(written, cut, "an incomplete placeholder is written as it is");
}

#[tokio::test]
async fn http_pages_are_the_typed_tools_with_the_same_cursors_in_both_eras() {
    let registry = common::registry(definition(250), &[]).unwrap();
    let server = McpServer::new(registry);
    let typed: Vec<Tool> = server.registry().tools().iter().map(|t| t.tool().clone()).collect();
    let base = common::serve(router(server, &common::http_options())).await;
    for modern in [true, false] {
        let config = StreamableHttpClientTransportConfig::with_uri(format!("{base}/mcp"));
        let transport = StreamableHttpClientTransport::with_client(reqwest::Client::new(), config);
        let client = if modern {
            let mode =
                ClientLifecycleMode::Discover { preferred_versions: vec![rmcp::model::ProtocolVersion::V_2026_07_28] };
            ().serve_with_lifecycle(transport, mode).await.unwrap()
        } else {
            ().serve(transport).await.unwrap()
        };
        let mut cursors = Vec::new();
        let mut listed = Vec::new();
        let mut cursor = None;
        loop {
            let params = rmcp::model::PaginatedRequestParams::default().with_cursor(cursor);
            let page = client.list_tools(Some(params)).await.unwrap();
            listed.extend(page.tools);
            cursor = page.next_cursor;
            match &cursor {
                Some(next) => cursors.push(next.clone()),
                None => break,
            }
        }
        assert_eq!(cursors, ["100", "200"], "modern {modern}");
        let mut expected = typed.clone();
        if !modern {
            expected[1].output_schema = None;
        }
        assert_eq!(listed, expected, "modern {modern}");
        client.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn json_answers_are_spliced_whole_with_their_new_length() {
    use tower::ServiceExt as _;
    let server = McpServer::new(common::registry(definition(3), &[]).unwrap());
    let (_, pages) = server.with_pages();
    let tools = server.registry().tools();
    let expected = String::from_utf8(answer(vec![tools[0].tool().clone(), tools[2].tool().clone()], false)).unwrap();
    let placeholder = String::from_utf8(answer(vec![pages.placeholder(false, &[0, 2])], false)).unwrap();
    let app = axum::Router::new()
        .route(
            "/",
            axum::routing::post(
                move || async move { axum::Json(serde_json::from_str::<Value>(&placeholder).unwrap()) },
            ),
        )
        .layer(axum::middleware::from_fn_with_state(pages, mcpgen_runtime::pages::splice_http));
    let request = axum::http::Request::post("/").body(axum::body::Body::empty()).unwrap();
    let response = app.oneshot(request).await.unwrap();
    let announced = hyper::body::Body::size_hint(response.body()).exact();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    assert_eq!(announced, Some(body.len() as u64), "the length hyper announces is the spliced one");
    let expected: Value = serde_json::from_str(&expected).unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), expected);
}
