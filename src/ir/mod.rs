//! The intermediate representation of a server that will be generated.
//!
//! The IR is what the emitters read: no OpenAPI, YAML or syn types, everything already named,
//! checked and sorted, so emitting is a plain rendering of it and the same inputs always give the
//! same output. [`build`] turns loaded specs and a manifest into it.

mod auth;
mod build;
mod defs;
mod governance;
mod names;
mod payload;
mod policy;
mod selection;
mod shaping;

pub use build::{Input, build};

use serde_json::Value;

use crate::definition::{
    BodyMapping, CircuitBreakerDefinition, DeprecationDefinition, EnvironmentDefinition, ParamMapping,
    RateLimitDefinition, ResilienceDefinition, TenancyDefinition,
};

/// A whole generated server.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerIr {
    /// Package, binary and MCP server name, e.g. `petstore-mcp`.
    pub name: String,
    /// Rust library name of the package, e.g. `petstore_mcp`.
    pub lib_name: String,
    /// Human title, e.g. `Petstore`.
    pub title: Option<String>,
    /// Semantic version of the generated crate.
    pub version: String,
    /// One-paragraph description.
    pub description: Option<String>,
    /// Instructions sent to MCP clients.
    pub instructions: Option<String>,
    /// Upstream APIs, sorted by id.
    pub apis: Vec<ApiIr>,
    /// Tools, sorted by name.
    pub tools: Vec<ToolIr>,
    /// The shared schema definitions the tools name (see [`ToolIr::defs`]).
    pub definitions: crate::definition::Definitions,
    /// Deployment environments, sorted by name (one named `default` when the manifest has none).
    pub environments: Vec<EnvironmentDefinition>,
    /// Environment served when none is chosen.
    pub default_environment: Option<String>,
    /// Tenancy, when configured.
    pub tenancy: Option<TenancyDefinition>,
    /// Token bucket per inbound client or tenant.
    pub client_rate_limit: Option<RateLimitDefinition>,
    /// Token claim with the caller's roles, when roles are configured.
    pub roles_claim: Option<String>,
    /// Name in the MCP registry.
    pub registry_name: Option<String>,
    /// Public URL of the MCP endpoint, when known.
    pub public_url: Option<String>,
    /// The audit trail's defaults.
    pub audit: Option<crate::definition::AuditDefinition>,
    /// The tool surface and the budget of `auto` (`server.surface`).
    pub surface: crate::definition::SurfaceDefinition,
    /// Input file names as given (manifest first), for the generated-file headers.
    pub sources: Vec<String>,
    /// The manifest's toolset names, in manifest order.
    pub toolsets: Vec<String>,
    /// The client schema profile the server starts with (`server.profile`); `None`: portable.
    pub profile: Option<String>,
}

/// One upstream API.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiIr {
    /// Manifest id, e.g. `petstore`.
    pub id: String,
    /// `info.title` of the spec.
    pub title: String,
    /// `info.version` of the spec.
    pub spec_version: String,
    /// Base URL from the API section or the spec's `servers`, without a trailing slash (each
    /// environment may set its own).
    pub base_url: Option<String>,
    /// Environment variable overriding the base URL.
    pub base_url_env: String,
    /// Timeouts, retries and response cap of the API's tools.
    pub resilience: ResilienceDefinition,
    /// Circuit breaker.
    pub circuit_breaker: Option<CircuitBreakerDefinition>,
    /// Token bucket for all calls.
    pub rate_limit: Option<RateLimitDefinition>,
    /// Most requests in flight.
    pub max_concurrency: Option<u32>,
}

/// One tool: an HTTP operation presented to MCP clients.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolIr {
    /// Tool name, `^[A-Za-z0-9_-]{1,64}$`, unique in the server.
    pub name: String,
    /// The operation's tags, in spec order.
    pub tags: Vec<String>,
    /// Toolsets of the manifest the tool belongs to, sorted.
    pub toolsets: Vec<String>,
    /// Short human title.
    pub title: Option<String>,
    /// What the tool does, for the model.
    pub description: String,
    /// Id of the [`ApiIr`].
    pub api: String,
    /// The operation's `operationId`, when it has one.
    pub operation_id: Option<String>,
    /// Upper-case HTTP method.
    pub method: String,
    /// Path template.
    pub path: String,
    /// Tool arguments that become parameters.
    pub params: Vec<ParamMapping>,
    /// Tool argument that becomes the body.
    pub body: Option<BodyMapping>,
    /// Headers every request carries (content negotiation, values the spec fixes).
    pub headers: std::collections::BTreeMap<String, String>,
    /// JSON Schema 2020-12 of the arguments (an object schema), without the shared definitions
    /// `defs.input` names (see [`ServerIr::input_schema`] for the self-contained schema); `$defs`
    /// it carries itself are definitions cut to the tool's limit.
    pub input_schema: Value,
    /// JSON Schema of `structuredContent`, when the success response is an object, without the
    /// shared definitions `defs.output` names.
    pub output_schema: Option<Value>,
    /// The shared definitions (in [`ServerIr::definitions`]) the schemas take as `$defs`.
    pub defs: crate::definition::ToolDefs,
    /// Behaviour hints.
    pub annotations: Annotations,
    /// Whether the spec marks the operation deprecated.
    pub deprecated: bool,
    /// Upstream security alternatives, as scheme names (OpenAPI `security`).
    pub security: Vec<Vec<String>>,
    /// Scopes an inbound caller needs.
    pub scopes: Vec<String>,
    /// The tool's own resilience, when the manifest sets one for the operation.
    pub resilience: Option<ResilienceDefinition>,
    /// Header carrying a per-call idempotency key.
    pub idempotency_key: Option<String>,
    /// JSON pointer of the operation in its API's spec (for lint diagnostics).
    pub pointer: String,
    /// Whether the spec or manifest describes the operation (else the description is made up).
    pub documented: bool,
    /// The name this tool would have had if another tool had not taken it first.
    pub renamed_from: Option<String>,
    /// Pointer of the manifest's override entry for the operation, when it has one.
    pub manifest_at: Option<String>,
    /// Owning team or person.
    pub owner: Option<String>,
    /// Retirement of a deprecated tool.
    pub deprecation: Option<DeprecationDefinition>,
    /// Roles that may use the tool (RBAC).
    pub roles: Vec<String>,
    /// How its results are shaped (`None`: shaping off, or no JSON response).
    pub shaping: Option<crate::shaping_plan::ShapingDefinition>,
}

/// MCP tool annotations (hints for clients; never trusted for security).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Annotations {
    /// The tool does not change anything.
    pub read_only: bool,
    /// The tool may destroy data.
    pub destructive: bool,
    /// Calling it twice with the same arguments has no further effect.
    pub idempotent: bool,
    /// The tool talks to an external system.
    pub open_world: bool,
}

impl ServerIr {
    /// The self-contained input schema of `tool`, as clients get it.
    pub fn input_schema(&self, tool: &ToolIr) -> Value {
        self.served(&tool.input_schema, tool.defs.input.as_ref())
    }

    /// The self-contained output schema of `tool`, as clients get it.
    pub fn output_schema(&self, tool: &ToolIr) -> Option<Value> {
        tool.output_schema.as_ref().map(|schema| self.served(schema, tool.defs.output.as_ref()))
    }

    fn served(&self, schema: &Value, refs: Option<&crate::definition::DefRefs>) -> Value {
        let mut out = schema.clone();
        if let Some(refs) = refs {
            // Built together with the table, so every named definition is in it.
            let _ = crate::assembly::with_defs(&mut out, refs, &self.definitions);
        }
        out
    }
}

impl Annotations {
    /// Hints implied by HTTP semantics (DESIGN.md decision 6).
    pub fn for_method(method: &str) -> Self {
        let read_only = matches!(method, "GET" | "HEAD" | "OPTIONS");
        Self {
            read_only,
            destructive: method == "DELETE",
            idempotent: read_only || matches!(method, "PUT" | "DELETE"),
            open_world: true,
        }
    }
}
