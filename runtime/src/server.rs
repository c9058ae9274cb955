//! The MCP server: lists the tool table and executes calls (macro-free `ServerHandler`), with one
//! tracing span, one log line and one set of metrics per call.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};
use serde_json::Value;
use tracing::Instrument as _;

use super::audit;
use super::call::{self, CallContext};
use super::definition::SurfaceMode;
use super::discovery::{self, Discovery, Meta, Refusal};
use super::echo;
use super::inbound::Principal;
use super::otel;
use super::outcome::ErrorClass;
use super::pages::{self, Pages};
use super::progress::Progress;
use super::registry::{Registry, ToolEntry};
use super::trace::{TraceContext, random_hex};

/// Tools per `tools/list` page.
pub const PAGE_SIZE: usize = 100;

/// The server handler; cheap to clone (the HTTP transport makes one per session or request).
#[derive(Clone)]
pub struct McpServer {
    registry: Arc<Registry>,
    /// The discovery surface, when served (see [`discovery`]).
    discovery: Option<Arc<Discovery>>,
    /// Set when the transport writes `tools/list` pages from the listed JSON (see [`Pages`]);
    /// otherwise pages are typed tools, parsed per request.
    pages: Option<Arc<Pages>>,
}

/// What a `tools/call` comes down to once meta-tools are taken care of.
enum Dispatch<'a> {
    /// Answered without running a tool (search, describe, a refused meta-call).
    Answered(CallToolResult),
    /// Run this tool with these arguments.
    Run(&'a ToolEntry, serde_json::Map<String, Value>),
    /// A direct call of a name no tool has.
    Unknown,
}

impl McpServer {
    /// A server for `registry`, on the surface its tool table asks for.
    pub fn new(registry: Registry) -> Self {
        Self::with_surface(registry, None)
    }

    /// A server for `registry` on the surface `requested` (`--surface`), else the table's.
    pub fn with_surface(registry: Registry, requested: Option<SurfaceMode>) -> Self {
        let (served, tokens) = discovery::resolve(&registry.surface, requested, registry.tools(), registry.profile);
        let mode = requested.unwrap_or(registry.surface.mode);
        tracing::info!(
            surface = if served { "discovery" } else { "tools" },
            requested = ?mode,
            tools = registry.tools().len(),
            tools_list_tokens = tokens,
            budget_tokens = registry.surface.budget_tokens,
            client_tool_limit = registry.profile.max_tools(),
            "tool surface"
        );
        let discovery = served.then(|| Arc::new(Discovery::new(&registry)));
        Self { registry: Arc::new(registry), discovery, pages: None }
    }

    /// This server, answering `tools/list` with placeholders that the transport replaces with
    /// the pages' listed JSON; the transport must pass its output through `pages`.
    pub fn with_pages(&self) -> (Self, Arc<Pages>) {
        let pages = Arc::new(Pages::new(self.registry.clone()));
        (Self { pages: Some(pages.clone()), ..self.clone() }, pages)
    }

    /// The discovery surface, when it is served.
    pub fn discovery(&self) -> Option<&Discovery> {
        self.discovery.as_deref()
    }

    /// Resolves a call of `name`: meta-tools are answered or unwrapped to their inner tool.
    fn dispatch(
        &self,
        name: &str,
        arguments: serde_json::Map<String, Value>,
        caller: Option<&Principal>,
        trace: Option<&TraceContext>,
    ) -> Dispatch<'_> {
        let meta = self.discovery.as_deref().and_then(|d| Meta::named(name).map(|m| (d, m)));
        let Some((discovery, meta)) = meta else {
            return match self.registry.get(name) {
                Some(entry) => Dispatch::Run(entry, arguments),
                None => Dispatch::Unknown,
            };
        };
        let started = Instant::now();
        let result = match meta {
            Meta::Search => discovery.search(&self.registry, caller, &arguments),
            Meta::Describe => discovery.describe(&self.registry, caller, &arguments),
            Meta::Call => match Discovery::resolve_call(&self.registry, &arguments) {
                // Metrics, logs and the audit trail name the inner tool (`execute`).
                Ok((entry, inner)) => return Dispatch::Run(entry, inner),
                Err(Refusal::Invalid(result)) => *result,
                Err(Refusal::Unknown(inner)) => {
                    self.record_refusal(caller, trace, &inner, "unknown_tool");
                    discovery::unknown_tool(&inner)
                }
            },
        };
        let outcome = if result.is_error == Some(true) { "invalid_arguments" } else { "ok" };
        self.registry.metrics.call(name, "-", outcome, started.elapsed().as_secs_f64());
        tracing::debug!(tool = name, outcome, "discovery meta-tool");
        Dispatch::Answered(result)
    }

    /// Runs one tool call for `caller` (`None`: the local operator, as on stdio) in `trace`.
    /// Every failure the agent can act on is an `isError` result (with its error class in
    /// `_meta`), never a protocol error.
    pub async fn execute(
        &self,
        entry: &ToolEntry,
        arguments: serde_json::Map<String, Value>,
        caller: Option<&Principal>,
        peer: Option<IpAddr>,
        trace: &TraceContext,
        progress: &Progress,
    ) -> CallToolResult {
        let started = Instant::now();
        let request_id = random_hex(8);
        // A client profile's shape (nulls for optional arguments, maps as pairs) back to the
        // schema the tool was generated with: what the audit records, validation checks and the
        // request is built from.
        let profile = self.registry.profile;
        let arguments = if profile.reshapes_schemas() {
            profile.arguments_back(entry.input_schema(), arguments)
        } else {
            arguments
        };
        let client = match (caller, peer) {
            (Some(p), _) => p.client.clone().unwrap_or_else(|| p.subject.clone()),
            (None, Some(ip)) => ip.to_string(),
            (None, None) => "local".into(),
        };
        // At the highest level, so the span is enabled whenever any line of the call is logged:
        // an `info` span is off under a `warn` filter (stdio's default), and the warning of a
        // failed or deprecated call would lose its tool, API and request id.
        let span = tracing::error_span!(
            "tool_call",
            tool = %entry.name,
            api = %entry.api,
            method = %entry.http.method,
            route = %entry.http.path,
            client = %client,
            request_id = %request_id,
            trace_id = tracing::field::Empty,
        );
        // With OpenTelemetry export on, the exported span's ids become the call's trace.
        let mut trace = trace.clone();
        otel::adopt(&span, &mut trace);
        span.record("trace_id", trace.trace_id.as_str());
        let context = CallContext { caller, peer, trace: &trace, request_id: &request_id, progress };
        let audited = self.registry.audit.as_ref().map(|_| Value::Object(arguments.clone()));
        let (result, report) = call::run(&self.registry, entry, arguments, &context).instrument(span.clone()).await;
        let elapsed = started.elapsed();
        if let (Some(audit), Some(arguments)) = (&self.registry.audit, audited) {
            let principal = caller.map_or("local", |p| p.subject.as_str());
            audit.record(&audit::Event {
                request_id: &request_id,
                trace_id: &trace.trace_id,
                principal,
                tenant: report.tenant.as_deref(),
                tool: Some(&entry.name),
                decision: if report.class == Some(ErrorClass::Forbidden) { "denied" } else { "allowed" },
                outcome: report.class.map_or("ok", |c| c.as_str()),
                upstream_status: report.status,
                latency_ms: elapsed.as_millis() as u64,
                arguments_digest: Some(audit::digest(&arguments)),
                arguments: Some(echo::audit_arguments(&audit::redact(
                    &arguments,
                    entry.input_schema(),
                    &self.registry.audit_redact,
                ))),
            });
        }
        let outcome = report.class.map_or("ok", |c| c.as_str());
        self.registry.metrics.call(&entry.name, &entry.api, outcome, elapsed.as_secs_f64());
        let _entered = span.enter();
        let tenant = report.tenant.as_deref().unwrap_or("-");
        let status = report.status.map_or_else(|| "-".to_owned(), |s| s.to_string());
        let latency_ms = elapsed.as_millis() as u64;
        if report.class.is_some() {
            tracing::warn!(tenant, status = %status, attempts = report.attempts, latency_ms, error_class = outcome, "tool call failed");
        } else {
            tracing::info!(tenant, status = %status, attempts = report.attempts, latency_ms, "tool call");
        }
        result
    }

    /// Runs the tool called `name` with `arguments` as `tools/call` would, for `caller` (an
    /// unknown tool is an `isError` result here; over MCP it is a protocol error).
    pub async fn call_as(&self, name: &str, arguments: Value, caller: Option<&Principal>) -> CallToolResult {
        let arguments = match arguments {
            Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        let trace = TraceContext::continue_or_start(None);
        match self.dispatch(name, arguments, caller, Some(&trace)) {
            Dispatch::Answered(result) => result,
            Dispatch::Run(entry, arguments) => {
                self.execute(entry, arguments, caller, None, &trace, &Progress::silent()).await
            }
            Dispatch::Unknown => {
                self.record_refusal(caller, None, name, "unknown_tool");
                CallToolResult::error(vec![ContentBlock::text(format!(
                    "unknown tool `{}`",
                    echo::clip(name, echo::NAME_CHARS)
                ))])
            }
        }
    }

    /// [`Self::call_as`] for the local operator.
    pub async fn call(&self, name: &str, arguments: Value) -> CallToolResult {
        self.call_as(name, arguments, None).await
    }

    /// Audits a `tools/call` refused before anything ran: an unknown tool, or (behind the HTTP
    /// gate, which normally answers first) a tool the caller may not use.
    fn record_refusal(&self, caller: Option<&Principal>, trace: Option<&TraceContext>, tool: &str, reason: &str) {
        let Some(audit) = &self.registry.audit else { return };
        // The name comes from the client: keep what lands in the log and the trail short.
        let tool = echo::clip(tool, echo::NAME_CHARS);
        tracing::warn!(tool = %tool, reason, "tool call refused");
        audit.record(&audit::Event {
            request_id: &random_hex(8),
            trace_id: trace.map_or("-", |t| t.trace_id.as_str()),
            principal: caller.map_or("local", |p| p.subject.as_str()),
            tenant: caller.and_then(|p| p.tenant.as_deref()),
            tool: Some(&tool),
            decision: "denied",
            outcome: reason,
            ..Default::default()
        });
    }

    /// The tools `caller` may see, in name order.
    pub fn visible_tools<'a>(&'a self, caller: Option<&'a Principal>) -> impl Iterator<Item = &'a ToolEntry> + 'a {
        let today = super::registry::today();
        self.registry.tools().iter().filter(move |entry| self.registry.allows(entry, caller, today))
    }

    /// The registry served.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }
}

/// The authenticated caller of an HTTP request (set by the gate); `None` on stdio.
fn caller(context: &RequestContext<RoleServer>) -> Option<Principal> {
    context
        .extensions
        .get::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Principal>())
        .cloned()
}

/// The network address of an HTTP client (the transport records it per connection).
fn peer(context: &RequestContext<RoleServer>) -> Option<IpAddr> {
    context
        .extensions
        .get::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>())
        .map(|info| info.0.ip())
}

/// The caller's trace: `_meta.traceparent` (SEP-414), else the HTTP `traceparent` header.
fn trace_of(context: &RequestContext<RoleServer>) -> TraceContext {
    let from_meta = context.meta.get_traceparent().map(str::to_owned);
    let from_header = || {
        context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.headers.get("traceparent"))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    TraceContext::continue_or_start(from_meta.or_else(from_header).as_deref())
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
        // Discovery lists its meta-tools only (the same for every caller: what each may call
        // shows in search results); the paging below works for both.
        let listed: Vec<usize> = match &self.discovery {
            Some(discovery) => (0..discovery.tools().len()).collect(),
            None => {
                let today = super::registry::today();
                let tools = self.registry.tools().iter().enumerate();
                tools.filter(|(_, entry)| self.registry.allows(entry, caller.as_ref(), today)).map(|(i, _)| i).collect()
            }
        };
        // The cursor is the index of the first tool of the page: opaque to clients, stable across
        // replicas because every replica serves the same sorted table.
        let start = match request.and_then(|r| r.cursor) {
            None => 0,
            Some(cursor) => cursor.parse::<usize>().ok().filter(|i| *i < listed.len()).ok_or_else(|| {
                McpError::invalid_params("invalid cursor: pass back a nextCursor from tools/list", None)
            })?,
        };
        let end = (start + PAGE_SIZE).min(listed.len());
        let page_tools = &listed[start..end];
        let tools: Vec<Tool> = match (&self.discovery, &self.pages) {
            (Some(discovery), _) => page_tools.iter().map(|&i| discovery.tools()[i].clone()).collect(),
            // The transport writes the tools' listed JSON in place of this one (see `pages`);
            // a tool's first listing makes its JSON here, so the writer only copies bytes.
            (None, Some(pages)) => {
                for &i in page_tools {
                    self.registry.tools()[i].listed(false);
                }
                vec![pages.placeholder(pages::is_legacy(context.protocol_version().as_ref()), page_tools)]
            }
            (None, None) => page_tools
                .iter()
                .map(|&i| serde_json::from_str(self.registry.tools()[i].listed(false)))
                .collect::<Result<_, _>>()
                .map_err(|err| McpError::internal_error(format!("a listed tool does not parse: {err}"), None))?,
        };
        // What a caller sees depends on its scopes when auth is on: shared caches must not reuse it.
        let scope = if self.registry.inbound.is_some() { CacheScope::Private } else { CacheScope::Public };
        let mut page = ListToolsResult::with_all_items(tools).with_ttl_ms(300_000).with_cache_scope(scope);
        if end < listed.len() {
            page.next_cursor = Some(end.to_string());
        }
        Ok(page)
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        if let Some(meta) = self.discovery.as_deref().and_then(|d| d.tool(name)) {
            return Some(meta.clone());
        }
        self.registry.get(name).map(|entry| entry.tool().clone())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let caller = caller(&context);
        let trace = trace_of(&context);
        let arguments = request.arguments.unwrap_or_default();
        let direct = Meta::named(&request.name).is_none() || self.discovery.is_none();
        let (entry, arguments) = match self.dispatch(&request.name, arguments, caller.as_ref(), Some(&trace)) {
            Dispatch::Answered(result) => return Ok(result.into()),
            Dispatch::Run(entry, arguments) => (entry, arguments),
            Dispatch::Unknown => {
                self.record_refusal(caller.as_ref(), Some(&trace), &request.name, "unknown_tool");
                return Err(McpError::invalid_params(
                    format!(
                        "unknown tool `{}`; call tools/list for the available tools",
                        echo::clip(&request.name, echo::NAME_CHARS)
                    ),
                    None,
                ));
            }
        };
        // A direct call of a hidden tool is a protocol error (as for an unknown one); through
        // `call_tool` it runs into `execute`'s refusal instead: an isError result naming what
        // is missing, audited with the inner tool.
        if direct
            && let Some(principal) = &caller
            && !entry.is_retired(super::registry::today())
            && !self.registry.allows(entry, Some(principal), super::registry::today())
        {
            // Hidden from this caller's tools/list (the HTTP gate normally answers 403 first).
            self.record_refusal(caller.as_ref(), Some(&trace), &request.name, "not_allowed");
            return Err(McpError::invalid_params(
                format!("tool `{}` requires the scopes {}", request.name, entry.scopes.join(" ")),
                None,
            ));
        }
        // Cancellation (notifications/cancelled, or the HTTP stream closing) drops the upstream request.
        let (progress, sending) = match context.meta.get_progress_token() {
            Some(token) => {
                let (progress, task) = Progress::to_peer(context.peer.clone(), token);
                (progress, Some(task))
            }
            None => (Progress::silent(), None),
        };
        let outcome = tokio::select! {
            result = self.execute(entry, arguments, caller.as_ref(), peer(&context), &trace, &progress) => Ok(result.into()),
            () = context.ct.cancelled() => {
                tracing::info!(tool = %entry.name, "tool call cancelled by the client");
                Err(McpError::internal_error("the request was cancelled", None))
            }
        };
        // Every progress notification goes out before the result (none may follow it).
        drop(progress);
        if let Some(task) = sending {
            let _ = task.await;
        }
        outcome
    }
}
