//! Upstream HTTP responses → MCP tool results.
//!
//! Agents act on what a result says, so failures say what happened (status, route, an excerpt of
//! the body) and what to do next; successes carry `structuredContent` only when it really matches
//! the declared output schema (clients validate it, and a mismatch must not pass silently).

use rmcp::model::{CallToolResult, ContentBlock, ResourceContents};
use serde_json::Value;

/// The most of a response body quoted in an error result.
pub const EXCERPT_BYTES: usize = 2048;

/// What came back from the upstream.
#[derive(Debug, Clone)]
pub struct UpstreamResponse {
    /// HTTP status code.
    pub status: u16,
    /// `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
    /// The `Link` header (RFC 8288; several joined with `, `), which pages some lists.
    pub link: Option<String>,
}

/// The response's media type, lower case, without parameters (`""` when it has none).
fn media_type(response: &UpstreamResponse) -> String {
    let media = response.content_type.as_deref().and_then(|c| c.split(';').next()).unwrap_or_default();
    media.trim().to_ascii_lowercase()
}

/// Whether the response body is JSON: by its media type, or by its first byte when it has none.
fn is_json(response: &UpstreamResponse) -> bool {
    let media = media_type(response);
    let media = media.as_str();
    media == "application/json" || media.ends_with("+json") || (media.is_empty() && looks_like_json(&response.body))
}

/// The body of a successful JSON response, parsed; `None` for anything else.
pub fn json_value(response: &UpstreamResponse) -> Option<Value> {
    if !(200..300).contains(&response.status) || response.body.is_empty() {
        return None;
    }
    if !is_json(response) {
        return None;
    }
    serde_json::from_slice(&response.body).ok()
}

/// Maps a response of `method route` to a tool result.
pub fn to_result(
    response: &UpstreamResponse,
    method: &str,
    route: &str,
    output: Option<&jsonschema::Validator>,
) -> CallToolResult {
    let status = response.status;
    if !(200..300).contains(&status) {
        return CallToolResult::error(vec![ContentBlock::text(format!(
            "The upstream API answered HTTP {status} {} to {method} {route}. {}{}",
            reason(status),
            advice(status),
            body_excerpt(&response.body)
        ))]);
    }
    let media = media_type(response);
    let media = media.as_str();
    let is_json = is_json(response);
    if is_json && !response.body.is_empty() {
        let value: Value = match serde_json::from_slice(&response.body) {
            Ok(value) => value,
            Err(err) => {
                return CallToolResult::error(vec![ContentBlock::text(format!(
                    "The upstream API answered {method} {route} with HTTP {status} but invalid JSON ({err}). The API broke its own contract; retrying seldom helps, report it to the server's maintainers.{}",
                    body_excerpt(&response.body)
                ))]);
            }
        };
        return match output {
            // The common case, without building error values (`iter_errors` is for mismatches).
            Some(validator) if validator.is_valid(&value) => CallToolResult::structured(value),
            Some(validator) => {
                let problems: Vec<String> = validator
                    .iter_errors(&value)
                    .take(10)
                    .map(|e| format!("{} at `{}`", e, e.instance_path()))
                    .collect();
                if problems.is_empty() {
                    CallToolResult::structured(value)
                } else {
                    schema_mismatch(response, method, route, &problems)
                }
            }
            None => {
                CallToolResult::success(vec![ContentBlock::text(String::from_utf8_lossy(&response.body).into_owned())])
            }
        };
    }
    if response.body.is_empty() {
        if output.is_some() {
            return CallToolResult::error(vec![ContentBlock::text(format!(
                "The upstream API answered {method} {route} with HTTP {status} and no body, but the tool declares structured output."
            ))]);
        }
        return CallToolResult::success(vec![ContentBlock::text(format!(
            "HTTP {status} {}: {method} {route} succeeded (no response body).",
            reason(status)
        ))]);
    }
    use base64::Engine as _;
    let encoded = || base64::engine::general_purpose::STANDARD.encode(&response.body);
    if media.starts_with("image/") {
        return CallToolResult::success(vec![ContentBlock::image(encoded(), media)]);
    }
    if media.starts_with("audio/") {
        return CallToolResult::success(vec![ContentBlock::audio(encoded(), media)]);
    }
    let textual =
        media.starts_with("text/") || media.ends_with("xml") || media.ends_with("javascript") || media.is_empty();
    match std::str::from_utf8(&response.body) {
        Ok(text) if textual || !media.contains('/') => {
            CallToolResult::success(vec![ContentBlock::text(text.to_owned())])
        }
        _ if response.body.len() <= MAX_BLOB_BYTES => {
            // Other bytes (PDF, archives, …) travel as an embedded resource the client can save or show.
            let uri = format!("mcpgen:response/{method}{route}");
            let blob = ResourceContents::blob(encoded(), uri).with_mime_type(if media.is_empty() {
                "application/octet-stream"
            } else {
                media
            });
            CallToolResult::success(vec![ContentBlock::resource(blob)])
        }
        _ => CallToolResult::success(vec![ContentBlock::text(format!(
            "{method} {route} returned {} bytes of {}, more than the {MAX_BLOB_BYTES} bytes this tool returns.",
            response.body.len(),
            if media.is_empty() { "binary data" } else { media }
        ))]),
    }
}

/// The result of a success whose body does not match the tool's output schema (`problems`).
pub fn schema_mismatch(response: &UpstreamResponse, method: &str, route: &str, problems: &[String]) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(format!(
        "The upstream API answered {method} {route} with HTTP {}, but the response does not match the tool's declared output schema: {}. The API and its OpenAPI document disagree; report it to the server's maintainers.{}",
        response.status,
        problems.join("; "),
        body_excerpt(&response.body)
    ))])
}

/// The largest binary response returned as an embedded resource.
pub const MAX_BLOB_BYTES: usize = 8 * 1024 * 1024;

/// What the agent should do about a failed status.
fn advice(status: u16) -> &'static str {
    match status {
        400 | 409 | 422 => {
            "Check the arguments against the tool's description and input schema, fix them and call again."
        }
        401 | 403 => "The server's credentials for this API were refused; this needs its operators, not a retry.",
        404 => "The resource does not exist; check identifiers (e.g. list the resources first).",
        408 | 429 => "The API is busy or rate-limited; wait and retry later.",
        500..=599 => "The upstream API failed; retrying later may help.",
        _ => "",
    }
}

fn reason(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("")
}

fn looks_like_json(body: &[u8]) -> bool {
    body.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| *b == b'{' || *b == b'[')
}

/// ` Response body: …` with at most [`EXCERPT_BYTES`], cut on a character boundary.
fn body_excerpt(body: &[u8]) -> String {
    if body.is_empty() {
        return String::new();
    }
    let text = String::from_utf8_lossy(body);
    let mut end = text.len().min(EXCERPT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let more = if end < text.len() { " …(truncated)" } else { "" };
    format!("\nResponse body: {}{more}", &text[..end])
}
