//! Mapping upstream responses to MCP tool results (pure; no network).

use mcpgen_runtime::response::{EXCERPT_BYTES, UpstreamResponse, to_result};
use rmcp::model::CallToolResult;
use serde_json::json;

fn response(status: u16, content_type: Option<&str>, body: &[u8]) -> UpstreamResponse {
    UpstreamResponse { status, content_type: content_type.map(str::to_owned), body: body.to_vec(), link: None }
}

fn text(result: &CallToolResult) -> String {
    result.content.iter().filter_map(|c| c.as_text().map(|t| t.text.clone())).collect()
}

fn pet_schema() -> jsonschema::Validator {
    jsonschema::draft202012::new(
        &json!({"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}),
    )
    .unwrap()
}

#[test]
fn conforming_json_becomes_structured_content_with_a_text_mirror() {
    let schema = pet_schema();
    let result = to_result(
        &response(200, Some("application/json; charset=utf-8"), br#"{"name":"Rex"}"#),
        "GET",
        "/pets/{id}",
        Some(&schema),
    );
    assert_eq!(result.is_error, Some(false));
    assert_eq!(result.structured_content, Some(json!({"name": "Rex"})));
    assert_eq!(serde_json::from_str::<serde_json::Value>(&text(&result)).unwrap(), json!({"name": "Rex"}));
}

#[test]
fn non_conforming_json_is_an_error_naming_the_mismatch() {
    let schema = pet_schema();
    let result =
        to_result(&response(200, Some("application/json"), br#"{"name":7}"#), "GET", "/pets/{id}", Some(&schema));
    assert_eq!(result.is_error, Some(true));
    assert!(result.structured_content.is_none());
    let t = text(&result);
    assert!(t.contains("does not match the tool's declared output schema") && t.contains("/name"), "{t}");
}

#[test]
fn json_without_output_schema_is_returned_as_text() {
    let result = to_result(&response(200, None, b"[1,2]"), "GET", "/n", None);
    assert_eq!((result.is_error, text(&result).as_str()), (Some(false), "[1,2]"));
    assert!(result.structured_content.is_none());
}

#[test]
fn failures_name_status_route_advice_and_a_bounded_excerpt() {
    let body = "é".repeat(EXCERPT_BYTES); // 2 bytes per char: the cut must land on a char boundary
    let result = to_result(&response(404, Some("text/plain"), body.as_bytes()), "GET", "/pets/{id}", None);
    assert_eq!(result.is_error, Some(true));
    let t = text(&result);
    assert!(t.starts_with("The upstream API answered HTTP 404 Not Found to GET /pets/{id}."), "{t}");
    assert!(t.contains("check identifiers"), "{t}");
    assert!(t.ends_with("…(truncated)"), "{t}");
    assert!(t.len() < EXCERPT_BYTES + 400);
    let t = text(&to_result(&response(503, None, b""), "POST", "/x", None));
    assert!(t.contains("HTTP 503 Service Unavailable") && t.contains("retrying later may help"), "{t}");
}

#[test]
fn empty_text_image_and_binary_bodies() {
    let t = text(&to_result(&response(204, None, b""), "DELETE", "/pets/{id}", None));
    assert_eq!(t, "HTTP 204 No Content: DELETE /pets/{id} succeeded (no response body).");
    let schema = pet_schema();
    assert_eq!(to_result(&response(204, None, b""), "GET", "/p", Some(&schema)).is_error, Some(true));
    assert_eq!(text(&to_result(&response(200, Some("text/plain"), b"hello"), "GET", "/t", None)), "hello");
    let image = to_result(&response(200, Some("image/png"), &[0x89, b'P', b'N', b'G']), "GET", "/i", None);
    let raw = serde_json::to_value(&image.content[0]).unwrap();
    assert_eq!(raw["type"], "image");
    assert_eq!(raw["mimeType"], "image/png");
    assert_eq!(raw["data"], "iVBORw==");
    let blob = to_result(&response(200, Some("application/pdf"), &[0xff, 0xfe]), "GET", "/b", None);
    let raw = serde_json::to_value(&blob.content[0]).unwrap();
    assert_eq!(raw["type"], "resource");
    assert_eq!(raw["resource"]["mimeType"], "application/pdf");
    assert_eq!(raw["resource"]["blob"], "//4=");
    assert_eq!(raw["resource"]["uri"], "mcpgen:response/GET/b");
    let audio = to_result(&response(200, Some("audio/wav"), b"RIFF"), "GET", "/a", None);
    assert_eq!(serde_json::to_value(&audio.content[0]).unwrap()["type"], "audio");
    assert_eq!(text(&to_result(&response(200, Some("application/xml"), b"<a/>"), "GET", "/x", None)), "<a/>");
}

#[test]
fn invalid_json_is_an_upstream_error() {
    let result = to_result(&response(200, Some("application/json"), b"{oops"), "GET", "/j", None);
    assert_eq!(result.is_error, Some(true));
    assert!(text(&result).contains("invalid JSON"));
}
