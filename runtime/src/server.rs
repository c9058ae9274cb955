//! The MCP server: lists the tool table and executes calls (macro-free `ServerHandler`).

use std::sync::Arc;
use std::time::Instant;

use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::Value;

use super::registry::{Registry, ToolEntry};
use super::request;
use super::response::{self, UpstreamResponse};

/// Tools per `tools/list` page.
pub const PAGE_SIZE: usize = 100;

/// The server handler; cheap to clone (the HTTP transport makes one per session or request).
#[derive(Clone)]
pub struct McpServer {
    registry: Arc<Registry>,
}

impl McpServer {
    /// A server for `registry`.
    pub fn new(registry: Registry) -> Self {
        Self { registry: Arc::new(registry) }
    }

    /// Runs one tool call: validate, build the request, call the upstream, map the response.
    /// Every failure the agent can act on is an `isError` result, never a protocol error.
    pub async fn execute(&self, entry: &ToolEntry, arguments: serde_json::Map<String, Value>) -> CallToolResult {
        let name = &entry.tool.name;
        let instance = Value::Object(arguments);
        let violations: Vec<String> = entry
            .input
            .iter_errors(&instance)
            .map(|e| {
                let at = e.instance_path().to_string();
                if at.is_empty() { format!("- {e}") } else { format!("- `{at}`: {e}") }
            })
            .collect();
        if !violations.is_empty() {
            return invalid_arguments(name, &violations);
        }
        let Value::Object(arguments) = instance else { unreachable!("constructed as an object above") };
        let prepared = match request::build(&entry.http, &entry.base_url, &arguments) {
            Ok(prepared) => prepared,
            Err(problems) => {
                let lines: Vec<String> = problems.iter().map(|p| format!("- {p}")).collect();
                return invalid_arguments(name, &lines);
            }
        };
        let route = format!("{} {}", entry.http.method, entry.http.path);
        let started = Instant::now();
        let outcome = self.send(&prepared).await;
        let elapsed_ms = started.elapsed().as_millis();
        match outcome {
            Ok(upstream) => {
                tracing::info!(tool = %name, route = %route, status = upstream.status, elapsed_ms, "tool call");
                response::to_result(&upstream, &entry.http.method, &entry.http.path, entry.output.as_ref())
            }
            Err(err) => {
                tracing::warn!(tool = %name, route = %route, elapsed_ms, error = %err, "upstream request failed");
                CallToolResult::error(vec![ContentBlock::text(format!(
                    "Could not reach the upstream API for {route}: {err}. The API may be down or unreachable; retrying later may help."
                ))])
            }
        }
    }

    /// Runs the tool called `name` with `arguments` as `tools/call` would (an unknown tool is an
    /// `isError` result here; over MCP it is a protocol error).
    pub async fn call(&self, name: &str, arguments: Value) -> CallToolResult {
        let Some(entry) = self.registry.get(name) else {
            return CallToolResult::error(vec![ContentBlock::text(format!("unknown tool `{name}`"))]);
        };
        let arguments = match arguments {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        self.execute(entry, arguments).await
    }

    async fn send(&self, prepared: &request::PreparedRequest) -> Result<UpstreamResponse, String> {
        let method = reqwest::Method::from_bytes(prepared.method.as_bytes()).map_err(|e| e.to_string())?;
        let mut builder = self.registry.http.request(method, &prepared.url);
        for (name, value) in &prepared.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        match &prepared.body {
            Some(request::Body::Bytes(bytes)) => builder = builder.body(bytes.clone()),
            Some(request::Body::Multipart(parts)) => {
                let mut form = reqwest::multipart::Form::new();
                for part in parts {
                    let mut piece = reqwest::multipart::Part::bytes(part.data.clone());
                    if let Some(filename) = &part.filename {
                        piece = piece.file_name(filename.clone());
                    }
                    if let Some(content_type) = &part.content_type {
                        piece = piece.mime_str(content_type).map_err(|e| format!("invalid part content type: {e}"))?;
                    }
                    form = form.part(part.name.clone(), piece);
                }
                builder = builder.multipart(form);
            }
            None => {}
        }
        let response = builder.send().await.map_err(|err| describe(&err))?;
        let status = response.status().as_u16();
        let content_type =
            response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = response.bytes().await.map_err(|err| describe(&err))?.to_vec();
        Ok(UpstreamResponse { status, content_type, body })
    }
}

fn invalid_arguments(tool: &str, lines: &[String]) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(format!(
        "Invalid arguments for `{tool}`:\n{}\nFix these arguments to match the tool's input schema and call again.",
        lines.join("\n")
    ))])
}

/// A transport error without the URL's query string (which could hold sensitive values).
fn describe(err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "connection failed"
    } else if err.is_body() || err.is_decode() {
        "the response body could not be read"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(err);
    let mut detail = String::new();
    while let Some(cause) = source {
        detail = cause.to_string();
        source = cause.source();
    }
    if detail.is_empty() { kind.to_owned() } else { format!("{kind} ({detail})") }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        let registry = &self.registry;
        let mut implementation = Implementation::new(registry.name.clone(), registry.version.clone());
        if let Some(title) = &registry.title {
            implementation = implementation.with_title(title.clone());
        }
        let config =
            ServerConfig::new(ServerCapabilities::builder().enable_tools().build()).with_server_info(implementation);
        match &registry.instructions {
            Some(instructions) => config.with_instructions(instructions.clone()),
            None => config,
        }
    }

    async fn list_tools(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let tools = self.registry.tools();
        // The cursor is the index of the first tool of the page: opaque to clients, stable across
        // replicas because every replica serves the same sorted table.
        let start = match request.and_then(|r| r.cursor) {
            None => 0,
            Some(cursor) => cursor.parse::<usize>().ok().filter(|i| *i < tools.len()).ok_or_else(|| {
                McpError::invalid_params("invalid cursor: pass back a nextCursor from tools/list", None)
            })?,
        };
        let end = (start + PAGE_SIZE).min(tools.len());
        let mut page = ListToolsResult::with_all_items(tools[start..end].iter().map(|t| t.tool.clone()).collect())
            .with_ttl_ms(300_000)
            .with_cache_scope(CacheScope::Public);
        if end < tools.len() {
            page.next_cursor = Some(end.to_string());
        }
        Ok(page)
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.registry.get(name).map(|entry| entry.tool.clone())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let Some(entry) = self.registry.get(&request.name) else {
            return Err(McpError::invalid_params(
                format!("unknown tool `{}`; call tools/list for the available tools", request.name),
                None,
            ));
        };
        let arguments = request.arguments.unwrap_or_default();
        // Cancellation (notifications/cancelled, or the HTTP stream closing) drops the upstream request.
        tokio::select! {
            result = self.execute(entry, arguments) => Ok(result.into()),
            () = context.ct.cancelled() => {
                tracing::info!(tool = %entry.tool.name, "tool call cancelled by the client");
                Err(McpError::internal_error("the request was cancelled", None))
            }
        }
    }
}
