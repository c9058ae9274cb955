//! A hand-driven Streamable HTTP session (2025-11-25: initialize, then requests carrying the
//! session id), for tests that send what no well-behaved MCP client would.

use serde_json::{Value, json};

/// The protocol version the raw session negotiates.
pub const VERSION: &str = "2025-11-25";

/// An initialized session at `url` (the `/mcp` endpoint).
pub struct RawSession {
    pub client: reqwest::Client,
    pub url: String,
    pub session: String,
}

/// One HTTP answer: status, headers, and the body as sent (JSON or SSE text).
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Answer {
    /// The JSON-RPC messages in the body: the `data:` lines of an SSE stream, or the JSON itself.
    pub fn messages(&self) -> Vec<Value> {
        if let Ok(value) = serde_json::from_str::<Value>(&self.body) {
            return vec![value];
        }
        self.body
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .filter_map(|data| serde_json::from_str(data.trim()).ok())
            .collect()
    }

    /// The message answering a request (the one with `result` or `error`).
    pub fn reply(&self) -> Option<Value> {
        self.messages().into_iter().find(|m| m.get("result").is_some() || m.get("error").is_some())
    }
}

impl RawSession {
    /// Initializes a session and sends `notifications/initialized`.
    pub async fn open(url: &str) -> Self {
        let client = reqwest::Client::new();
        let initialize = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": VERSION, "capabilities": {}, "clientInfo": {"name": "raw-test", "version": "1"}}});
        let response = client
            .post(url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(initialize.to_string())
            .send()
            .await
            .expect("initialize");
        assert_eq!(response.status(), 200, "initialize");
        let session = response.headers()["mcp-session-id"].to_str().unwrap().to_owned();
        let _ = response.text().await;
        let raw = Self { client, url: url.to_owned(), session };
        let answer = raw.post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string()).await;
        assert_eq!(answer.status, 202, "initialized: {}", answer.body);
        raw
    }

    /// POSTs `body` as it is, with the session's headers.
    pub async fn post(&self, body: impl Into<reqwest::Body>) -> Answer {
        let response = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-session-id", &self.session)
            .header("mcp-protocol-version", VERSION)
            .body(body)
            .send()
            .await
            .expect("an HTTP answer");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        Answer { status, headers, body: response.text().await.unwrap_or_default() }
    }

    /// Sends a JSON-RPC request.
    pub async fn request(&self, method: &str, params: Value) -> Answer {
        self.post(json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string()).await
    }

    /// Calls `tool` with `arguments`.
    pub async fn call(&self, tool: &str, arguments: Value) -> Answer {
        self.request("tools/call", json!({"name": tool, "arguments": arguments})).await
    }
}
