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

use super::credentials::Applied;
use super::inbound::Principal;
use super::registry::{Registry, ToolEntry};
use super::request;
use super::response::{self, UpstreamResponse};
use super::secrets::redact;

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

    /// Runs one tool call for `caller` (`None`: the local operator, as on stdio): check access,
    /// validate, build the request, add upstream credentials, call the upstream, map the response.
    /// Every failure the agent can act on is an `isError` result, never a protocol error.
    pub async fn execute(
        &self,
        entry: &ToolEntry,
        arguments: serde_json::Map<String, Value>,
        caller: Option<&Principal>,
    ) -> CallToolResult {
        let name = &entry.tool.name;
        if let Some(principal) = caller
            && !principal.has_scopes(&entry.scopes)
        {
            tracing::warn!(tool = %name, subject = %principal.subject, "tool call refused: insufficient scope");
            return error_result(format!(
                "Access denied: `{name}` requires the scopes {}. Ask for a token with these scopes.",
                entry.scopes.join(" ")
            ));
        }
        let tenant = match self.tenant_of(caller) {
            Ok(tenant) => tenant,
            Err(why) => return error_result(why),
        };
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
        let tenant_field = tenant.unwrap_or("-");
        let started = Instant::now();
        let outcome = self.send_authenticated(entry, tenant, caller, &prepared).await;
        let elapsed_ms = started.elapsed().as_millis();
        match outcome {
            Ok((mut upstream, applied)) => {
                tracing::info!(tool = %name, route = %route, tenant = %tenant_field, status = upstream.status, elapsed_ms, "tool call");
                if upstream.status >= 400 && !applied.secrets.is_empty() {
                    // Some APIs echo the request in their errors: keep credentials out of results.
                    upstream.body = redact(&String::from_utf8_lossy(&upstream.body), &applied.secrets).into_bytes();
                }
                response::to_result(&upstream, &entry.http.method, &entry.http.path, entry.output.as_ref())
            }
            Err(Failure::Credentials(why)) => {
                tracing::warn!(tool = %name, route = %route, tenant = %tenant_field, error = %why, "upstream credentials unavailable");
                error_result(format!(
                    "The server could not authenticate to the upstream API for {route}: {why}. This is a server configuration problem; retrying will not help until an operator fixes it."
                ))
            }
            Err(Failure::Transport(err)) => {
                tracing::warn!(tool = %name, route = %route, tenant = %tenant_field, elapsed_ms, error = %err, "upstream request failed");
                error_result(format!(
                    "Could not reach the upstream API for {route}: {err}. The API may be down or unreachable; retrying later may help."
                ))
            }
        }
    }

    /// The tenant a call runs for: the caller's (inbound token or API key), else the one
    /// configured at start. With tenancy on, a call without a known tenant is refused.
    fn tenant_of<'a>(&'a self, caller: Option<&'a Principal>) -> Result<Option<&'a str>, String> {
        let Some(tenancy) = &self.registry.tenancy else { return Ok(None) };
        let tenant = match (caller, &self.registry.inbound) {
            (Some(principal), Some(_)) => principal.tenant.as_deref(),
            _ => self.registry.tenant.as_deref(),
        };
        match tenant {
            Some(tenant) if tenancy.tenants.iter().any(|t| t == tenant) => Ok(Some(tenant)),
            Some(tenant) => Err(format!("Access denied: tenant `{tenant}` is not served by this server.")),
            None => Err(format!(
                "No tenant: this server serves several tenants ({}); the operator must start it with --tenant, or callers must present a token with a `{}` claim.",
                tenancy.tenants.join(", "),
                tenancy.claim
            )),
        }
    }

    /// Adds the credentials the tool needs and sends; after a 401 with an OAuth token, drops the
    /// token, gets a new one and tries once more.
    async fn send_authenticated(
        &self,
        entry: &ToolEntry,
        tenant: Option<&str>,
        caller: Option<&Principal>,
        prepared: &request::PreparedRequest,
    ) -> Result<(UpstreamResponse, Applied), Failure> {
        let upstream = &self.registry.upstream;
        let chosen = upstream.choose(&entry.api, &entry.security, tenant).map_err(Failure::Credentials)?;
        let client = upstream.client(&entry.api, tenant, &self.registry.http).map_err(Failure::Credentials)?;
        let subject = caller.and_then(|p| p.token.as_ref());
        let mut request = prepared.clone();
        let applied = upstream.apply(&entry.api, &chosen, subject, &mut request).await.map_err(Failure::Credentials)?;
        let response = self.send(&client, &request).await.map_err(Failure::Transport)?;
        if response.status != 401 || applied.tokens.is_empty() {
            return Ok((response, applied));
        }
        tracing::info!(tool = %entry.tool.name, "upstream answered 401; renewing the OAuth token and retrying once");
        for key in &applied.tokens {
            upstream.tokens.invalidate(key).await;
        }
        let mut request = prepared.clone();
        let applied = upstream.apply(&entry.api, &chosen, subject, &mut request).await.map_err(Failure::Credentials)?;
        let response = self.send(&client, &request).await.map_err(Failure::Transport)?;
        Ok((response, applied))
    }

    /// Runs the tool called `name` with `arguments` as `tools/call` would, for `caller` (an
    /// unknown tool is an `isError` result here; over MCP it is a protocol error).
    pub async fn call_as(&self, name: &str, arguments: Value, caller: Option<&Principal>) -> CallToolResult {
        let Some(entry) = self.registry.get(name) else {
            return error_result(format!("unknown tool `{name}`"));
        };
        let arguments = match arguments {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        self.execute(entry, arguments, caller).await
    }

    /// [`Self::call_as`] for the local operator.
    pub async fn call(&self, name: &str, arguments: Value) -> CallToolResult {
        self.call_as(name, arguments, None).await
    }

    /// The tools `caller` may see, in name order.
    pub fn visible_tools<'a>(&'a self, caller: Option<&'a Principal>) -> impl Iterator<Item = &'a ToolEntry> + 'a {
        self.registry.tools().iter().filter(move |entry| caller.is_none_or(|p| p.has_scopes(&entry.scopes)))
    }

    /// The registry served.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    async fn send(
        &self,
        client: &reqwest::Client,
        prepared: &request::PreparedRequest,
    ) -> Result<UpstreamResponse, String> {
        let method = reqwest::Method::from_bytes(prepared.method.as_bytes()).map_err(|e| e.to_string())?;
        let mut builder = client.request(method, &prepared.url);
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

/// Why a call did not get an upstream response.
enum Failure {
    /// Credentials could not be chosen or obtained.
    Credentials(String),
    /// The request could not be sent or its response read.
    Transport(String),
}

fn error_result(text: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// The authenticated caller of an HTTP request (set by the gate); `None` on stdio.
fn caller(context: &RequestContext<RoleServer>) -> Option<Principal> {
    context
        .extensions
        .get::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Principal>())
        .cloned()
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
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let caller = caller(&context);
        let tools: Vec<&ToolEntry> = self.visible_tools(caller.as_ref()).collect();
        // The cursor is the index of the first tool of the page: opaque to clients, stable across
        // replicas because every replica serves the same sorted table.
        let start = match request.and_then(|r| r.cursor) {
            None => 0,
            Some(cursor) => cursor.parse::<usize>().ok().filter(|i| *i < tools.len()).ok_or_else(|| {
                McpError::invalid_params("invalid cursor: pass back a nextCursor from tools/list", None)
            })?,
        };
        let end = (start + PAGE_SIZE).min(tools.len());
        // What a caller sees depends on its scopes when auth is on: shared caches must not reuse it.
        let scope = if self.registry.inbound.is_some() { CacheScope::Private } else { CacheScope::Public };
        let mut page = ListToolsResult::with_all_items(tools[start..end].iter().map(|t| t.tool.clone()).collect())
            .with_ttl_ms(300_000)
            .with_cache_scope(scope);
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
        let caller = caller(&context);
        if let Some(principal) = &caller
            && !principal.has_scopes(&entry.scopes)
        {
            // Hidden from this caller's tools/list (the HTTP gate normally answers 403 first).
            return Err(McpError::invalid_params(
                format!("tool `{}` requires the scopes {}", request.name, entry.scopes.join(" ")),
                None,
            ));
        }
        let arguments = request.arguments.unwrap_or_default();
        // Cancellation (notifications/cancelled, or the HTTP stream closing) drops the upstream request.
        tokio::select! {
            result = self.execute(entry, arguments, caller.as_ref()) => Ok(result.into()),
            () = context.ct.cancelled() => {
                tracing::info!(tool = %entry.tool.name, "tool call cancelled by the client");
                Err(McpError::internal_error("the request was cancelled", None))
            }
        }
    }
}
