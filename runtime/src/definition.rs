//! The server definition: the data a generated crate embeds (`src/tools.json`) and the runtime executes.
//!
//! This is the contract between the generator and the runtime. The generator writes it as JSON, the
//! runtime reads it once at start-up. Keeping behaviour out of the generated code (and in this crate)
//! keeps generated servers small, fast to compile and testable here (see DESIGN.md decision 3).

use serde::{Deserialize, Serialize};

/// The whole generated server: identity, upstream APIs and the tool table. `T` is how each tool's
/// MCP object is held: a JSON object tree ([`ToolJson`], the generator and tests), or its raw
/// text, which the runtime parses a tool at a time at start-up so the table is never a tree
/// all at once (issue 13, item 3: idle memory follows the start-up peak).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServerDefinition<T = ToolJson> {
    /// Marker saying the file is generated; never read for behaviour.
    #[serde(rename = "@generated")]
    pub generated: String,
    /// Machine name of the server (MCP `serverInfo.name`).
    pub name: String,
    /// Human title of the server (MCP `serverInfo.title`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Version of the server (MCP `serverInfo.version`).
    pub version: String,
    /// What the server offers, sent to clients as `instructions`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// Upstream HTTP APIs, sorted by `id`.
    pub apis: Vec<ApiDefinition>,
    /// Tools, sorted by name; names are unique.
    pub tools: Vec<ToolDefinition<T>>,
    /// The shared `$defs` of every tool schema, converted once per spec and direction: table key
    /// (`{api}:input`, `{api}:output`, `{api}:output-compact`; `input`, … in a server of one
    /// API) → definition name → JSON Schema; whole schemas several tools use (`{api}:shared`);
    /// and path lists several shaping plans use (`{api}:paths`). Tools name what they take
    /// ([`ToolDefinition::defs`]); see [`ServerDefinition::served_tool`].
    #[serde(default, skip_serializing_if = "Definitions::is_empty")]
    pub definitions: Definitions,
    /// Deployment environments (base URLs, credentials, inbound auth), sorted by name; at least one.
    pub environments: Vec<EnvironmentDefinition>,
    /// The environment served when none is chosen at start (`--env`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_environment: Option<String>,
    /// Calls run on behalf of one of several tenants, each with its own upstream credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenancy: Option<TenancyDefinition>,
    /// Token bucket per inbound client (or tenant, or the local operator on stdio).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_rate_limit: Option<RateLimitDefinition>,
    /// Role-based access: the token claim listing a caller's roles; `None`: no RBAC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles_claim: Option<String>,
    /// The audit trail; `None`: off unless `--audit-file` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<AuditDefinition>,
    /// What `tools/list` offers: every tool, or the discovery meta-tools (see `docs/surfaces.md`).
    #[serde(default, skip_serializing_if = "SurfaceDefinition::is_default")]
    pub surface: SurfaceDefinition,
    /// The manifest's toolsets, in manifest order (`--toolset` accepts these; tools name theirs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub toolsets: Vec<String>,
    /// The client schema profile served unless `--profile` says otherwise (a name of
    /// `profile::Profile::NAMES`); `None`: portable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

/// How the tools reach agents: one MCP tool each, or a search / describe / call surface.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SurfaceMode {
    /// `tools/list` lists every tool.
    #[default]
    Tools,
    /// `tools/list` lists `search_tools`, `describe_tools` and `call_tool` only.
    Discovery,
    /// Discovery when the full `tools/list` would exceed the token budget, else tools.
    Auto,
}

/// The surface, the budget that `auto` compares the full `tools/list` against, and the words
/// discovery search treats as synonyms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SurfaceDefinition {
    /// The surface served unless `--surface` says otherwise.
    pub mode: SurfaceMode,
    /// Tokens (estimated as bytes / 4 of the `tools/list` JSON) above which `auto` serves discovery.
    pub budget_tokens: u32,
    /// A word agents use → the words this API uses for it (manifest `server.search_synonyms`):
    /// a query with the word also looks for them.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub synonyms: std::collections::BTreeMap<String, Vec<String>>,
}

impl SurfaceDefinition {
    /// The default budget of `auto`: about 4% of a 200k-token context window.
    pub const DEFAULT_BUDGET_TOKENS: u32 = 8_000;

    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

impl Default for SurfaceDefinition {
    fn default() -> Self {
        Self { mode: SurfaceMode::Tools, budget_tokens: Self::DEFAULT_BUDGET_TOKENS, synonyms: Default::default() }
    }
}

/// The audit trail's sink and redaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuditDefinition {
    /// JSONL file (relative to the working directory); `None` with `stdout: false`: off by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Write records to standard output (HTTP transport only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stdout: bool,
    /// Size that rotates the file.
    pub max_bytes: u64,
    /// Rotated files kept.
    pub keep: u32,
    /// Argument names always redacted (besides `format: password` and `writeOnly` properties).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redact: Vec<String>,
}

/// One upstream HTTP API the server calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApiDefinition {
    /// Identifier used by [`ToolDefinition::api`].
    pub id: String,
    /// Environment variable that overrides `base_url` at start-up, e.g. `PETSTORE_BASE_URL`.
    pub base_url_env: String,
    /// Timeouts, retries and the response cap of the API's tools (tools may override).
    #[serde(default)]
    pub resilience: ResilienceDefinition,
    /// Circuit breaker of the API; `None`: never opens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circuit_breaker: Option<CircuitBreakerDefinition>,
    /// Token bucket for all calls to the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimitDefinition>,
    /// Most requests in flight to the API at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<u32>,
    /// The headers of the API's tools whose table entry writes none (`HttpMapping::headers`):
    /// most operations of an API accept the same media types, so the table writes that `accept`
    /// once here rather than at every tool.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub headers: std::collections::BTreeMap<String, String>,
}

/// Timeouts, retries and limits of one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ResilienceDefinition {
    /// Longest wait for a TCP/TLS connection.
    pub connect_timeout_ms: u64,
    /// Longest time one attempt may take, response body included.
    pub attempt_timeout_ms: u64,
    /// Longest time a whole tool call may take, retries and waits included.
    pub deadline_ms: u64,
    /// Attempts in all (1 = no retries).
    pub max_attempts: u32,
    /// First backoff ceiling; doubles per retry (full jitter below it).
    pub initial_backoff_ms: u64,
    /// Largest backoff ceiling.
    pub max_backoff_ms: u64,
    /// Largest response body read; longer ones are cut with a notice.
    pub max_response_bytes: u64,
}

impl Default for ResilienceDefinition {
    /// The defaults documented in `docs/operations.md`.
    fn default() -> Self {
        Self {
            connect_timeout_ms: 5_000,
            attempt_timeout_ms: 10_000,
            deadline_ms: 30_000,
            max_attempts: 3,
            initial_backoff_ms: 200,
            max_backoff_ms: 5_000,
            max_response_bytes: 4 * 1024 * 1024,
        }
    }
}

/// What one circuit breaker guards.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BreakerScope {
    /// Each operation (tool) has its own breaker: one failing endpoint pauses only its tool.
    #[default]
    Operation,
    /// One breaker for the whole API: any operation's failures pause every tool of the API.
    Api,
}

/// When a circuit opens and for how long.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CircuitBreakerDefinition {
    /// Whether each operation or the whole API has the breaker.
    #[serde(default)]
    pub scope: BreakerScope,
    /// Share of failed calls in the window that opens the circuit (0–1).
    pub failure_rate: f64,
    /// Length of the sliding window, in seconds.
    pub window_seconds: u64,
    /// Calls the window must hold before the rate is judged.
    pub minimum_calls: u32,
    /// How long the circuit stays open before one trial call is let through.
    pub open_seconds: u64,
}

/// A token bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RateLimitDefinition {
    /// Sustained rate.
    pub per_second: u32,
    /// Bucket size (calls allowed at once after a quiet period).
    pub burst: u32,
}

/// A tool's MCP object as a JSON object tree.
pub type ToolJson = serde_json::Map<String, serde_json::Value>;

/// One MCP tool and the HTTP operation it runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ToolDefinition<T = ToolJson> {
    /// The MCP tool exactly as listed to clients (`name`, `title`, `description`, `inputSchema`,
    /// `outputSchema`, `annotations`), in MCP wire JSON.
    pub tool: T,
    /// Which [`ApiDefinition`] the operation belongs to; empty in a table of one API, meaning
    /// that one (see [`ServerDefinition::api_of`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api: String,
    /// How tool arguments become an HTTP request.
    pub http: HttpMapping,
    /// Upstream security requirements (OpenAPI `security`): alternatives, each a list of scheme
    /// names of the tool's API that must all be applied. Empty: the operation needs no credentials;
    /// an empty alternative also means "none".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security: Vec<Vec<String>>,
    /// Scopes an inbound caller's token must carry to see and call the tool (HTTP with auth).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// The tool's own timeouts and retries, when they differ from its API's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resilience: Option<ResilienceDefinition>,
    /// Whether repeating the call is safe (idempotent HTTP methods, or the manifest says so):
    /// only such calls are retried, unless `idempotency_key` is set.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub idempotent: bool,
    /// Header carrying a key generated once per call and reused by every attempt (e.g.
    /// `Idempotency-Key`), which makes retrying a non-idempotent call safe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// Lifecycle of a deprecated tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecation: Option<DeprecationDefinition>,
    /// Roles that may see and call the tool (with RBAC on).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// The operation's tags in the spec (discovery filters, toolsets, listings).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The manifest's toolsets the tool belongs to (`--toolset` serves only these).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub toolsets: Vec<String>,
    /// The shared definitions the tool's schemas refer to (their `$defs`, assembled when served).
    #[serde(default, skip_serializing_if = "ToolDefs::is_empty")]
    pub defs: ToolDefs,
    /// Search terms of the discovery surface (`search::Fields::document`), written when the
    /// manifest's surface may be discovery; empty: the runtime derives them at start.
    #[serde(default, skip_serializing_if = "super::search::Terms::is_empty")]
    pub search: super::search::Terms,
    /// How results are shaped after the upstream call (projection, item cap, size budget,
    /// paging); `None`: returned as the upstream sent them (docs/response-shaping.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shaping: Option<super::shaping_plan::ShapingDefinition>,
}

/// Shared schema definitions: table key → definition name → schema (sorted, so output is stable).
pub type Definitions = std::collections::BTreeMap<String, std::collections::BTreeMap<String, serde_json::Value>>;

/// Which shared definitions a tool's `inputSchema` and `outputSchema` take as their `$defs`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ToolDefs {
    /// Definitions of the input schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<DefRefs>,
    /// Definitions of the output schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<DefRefs>,
    /// The tool's `outputSchema`, when it is a whole schema of the API's shared table that other
    /// tools use too (the tool object then has none of its own; see `assembly`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<String>,
}

impl ToolDefs {
    fn is_empty(&self) -> bool {
        self.input.is_none() && self.output.is_none() && self.output_schema.is_none()
    }
}

/// Names of definitions in one table of [`ServerDefinition::definitions`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DefRefs {
    /// Key of the table.
    pub table: String,
    /// Definition names, sorted.
    pub names: Vec<String>,
}

/// A deprecated tool's retirement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeprecationDefinition {
    /// Date (YYYY-MM-DD) from which the tool is hidden and refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sunset: Option<String>,
    /// The tool to use instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
}

impl DeprecationDefinition {
    /// The sentence a deprecated tool's description starts with.
    pub fn note(&self) -> String {
        let mut note = "Deprecated".to_owned();
        if let Some(sunset) = &self.sunset {
            note.push_str(&format!(" (sunset {sunset})"));
        }
        match &self.replaced_by {
            Some(replacement) => note.push_str(&format!(": use `{replacement}` instead.")),
            None => note.push_str(": avoid this tool when another one does the job."),
        }
        note
    }
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date (proleptic Gregorian), or `None` if it is not one.
pub fn days_from_date(text: &str) -> Option<i64> {
    let mut parts = text.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    if !(1..=12).contains(&m) || d < 1 || d > month_days[(m - 1) as usize] {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The HTTP side of a tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HttpMapping {
    /// Upper-case HTTP method, e.g. `GET`.
    pub method: String,
    /// Path template relative to the API base URL, e.g. `/pets/{petId}`.
    pub path: String,
    /// Parameters, in the order they appear in the spec.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<ParamMapping>,
    /// Request body, when the operation takes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<BodyMapping>,
    /// Headers every request carries, lower-case names: `accept` built from the operation's
    /// response media types, and `accept` / `content-type` values the spec fixes. `None` in the
    /// table: the API's (`ApiDefinition::headers`), which the registry puts in place at start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<std::collections::BTreeMap<String, String>>,
}

/// Where a parameter goes in the HTTP request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamLocation {
    /// A `{name}` segment of the path template.
    Path,
    /// A query-string parameter.
    Query,
    /// A request header.
    Header,
    /// A cookie in the `Cookie` header.
    Cookie,
}

/// OpenAPI serialisation style of a parameter (only what changes the wire format).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ParamStyle {
    /// `form` (query, cookie default): `a=1&a=2` exploded, `a=1,2` otherwise.
    Form,
    /// `simple` (path, header default): `1,2`.
    Simple,
    /// `spaceDelimited` (query arrays): `a=1%202`.
    SpaceDelimited,
    /// `pipeDelimited` (query arrays): `a=1|2`.
    PipeDelimited,
    /// `label` (path): `.1.2` exploded, `.1,2` otherwise.
    Label,
    /// `matrix` (path): `;a=1;a=2` exploded, `;a=1,2` otherwise.
    Matrix,
    /// `deepObject` (query objects): `a[x]=1&a[y]=2`.
    DeepObject,
}

/// One parameter: tool argument `arg` → HTTP parameter `name` at `location`. The table writes it
/// as `{"query": "per_page"}`: the location as key and the wire name as value, then only what
/// differs from OpenAPI's defaults (`arg` when it is not the name, `required` when it is not
/// `true` for path and `false` for other parameters, `style` and `explode` likewise).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ParamForm", into = "ParamForm")]
pub struct ParamMapping {
    /// Property name in the tool's input schema.
    pub arg: String,
    /// Name on the wire (path placeholder, query key, header or cookie name).
    pub name: String,
    /// Where the parameter goes.
    pub location: ParamLocation,
    /// Whether the request cannot be made without it.
    pub required: bool,
    /// Serialisation style.
    pub style: ParamStyle,
    /// Whether arrays are exploded into repeated parameters.
    pub explode: bool,
}

impl ParamLocation {
    /// OpenAPI's default style of a parameter here.
    pub fn default_style(self) -> ParamStyle {
        match self {
            Self::Path | Self::Header => ParamStyle::Simple,
            Self::Query | Self::Cookie => ParamStyle::Form,
        }
    }
}

/// [`ParamMapping`] as the table writes it.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamForm {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    query: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    header: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cookie: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    arg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    style: Option<ParamStyle>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    explode: Option<bool>,
}

impl TryFrom<ParamForm> for ParamMapping {
    type Error = &'static str;

    fn try_from(form: ParamForm) -> Result<Self, Self::Error> {
        let (location, name) = match (form.path, form.query, form.header, form.cookie) {
            (Some(name), None, None, None) => (ParamLocation::Path, name),
            (None, Some(name), None, None) => (ParamLocation::Query, name),
            (None, None, Some(name), None) => (ParamLocation::Header, name),
            (None, None, None, Some(name)) => (ParamLocation::Cookie, name),
            _ => return Err("a parameter names exactly one of `path`, `query`, `header` and `cookie`"),
        };
        let style = form.style.unwrap_or(location.default_style());
        Ok(Self {
            arg: form.arg.unwrap_or_else(|| name.clone()),
            required: form.required.unwrap_or(location == ParamLocation::Path),
            explode: form.explode.unwrap_or(style == ParamStyle::Form),
            style,
            location,
            name,
        })
    }
}

impl From<ParamMapping> for ParamForm {
    fn from(m: ParamMapping) -> Self {
        let name = |at: ParamLocation| (m.location == at).then(|| m.name.clone());
        Self {
            path: name(ParamLocation::Path),
            query: name(ParamLocation::Query),
            header: name(ParamLocation::Header),
            cookie: name(ParamLocation::Cookie),
            arg: (m.arg != m.name).then_some(m.arg),
            required: (m.required != (m.location == ParamLocation::Path)).then_some(m.required),
            style: (m.style != m.location.default_style()).then_some(m.style),
            explode: (m.explode != (m.style == ParamStyle::Form)).then_some(m.explode),
        }
    }
}

/// The request body of a tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BodyMapping {
    /// Property name in the tool's input schema that holds the body (normally `body`).
    pub arg: String,
    /// Media type sent as `Content-Type`, e.g. `application/json`.
    pub content_type: String,
    /// Whether the body must be present.
    pub required: bool,
    /// How the argument is written on the wire.
    #[serde(default, skip_serializing_if = "BodyEncoding::is_json")]
    pub encoding: BodyEncoding,
    /// Per-property encoding of form and multipart bodies (OpenAPI `encoding`), by property name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldEncoding>,
}

/// How a body argument becomes bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BodyEncoding {
    /// The argument serialised as JSON.
    #[default]
    Json,
    /// An object, `application/x-www-form-urlencoded` (per-property styles from `fields`).
    Form,
    /// An object, `multipart/form-data`; binary fields arrive base64-encoded.
    Multipart,
    /// A string sent as it is (`text/plain`, XML, …).
    Text,
    /// A base64 string decoded to raw bytes (`application/octet-stream`, images, …).
    Binary,
}

impl BodyEncoding {
    /// Whether this is the default, JSON.
    pub fn is_json(&self) -> bool {
        *self == Self::Json
    }
}

/// Encoding of one property of a form or multipart body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FieldEncoding {
    /// Property name.
    pub name: String,
    /// Form style (default `form`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<ParamStyle>,
    /// Whether arrays and objects are exploded (default true for forms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explode: Option<bool>,
    /// Multipart: the value is a file, sent as bytes decoded from base64.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub binary: bool,
    /// Multipart: `Content-Type` of the part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
}

/// One deployment environment (e.g. `dev`, `staging`, `prod`), fully resolved by the generator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnvironmentDefinition {
    /// Name chosen with `--env`.
    pub name: String,
    /// Per-API settings, one per [`ApiDefinition`], sorted by id.
    pub apis: Vec<EnvironmentApi>,
    /// How MCP clients authenticate over HTTP; `None`: no inbound authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound: Option<InboundAuthDefinition>,
}

/// One API in one environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnvironmentApi {
    /// The [`ApiDefinition`] id.
    pub id: String,
    /// Base URL, e.g. `https://api.example.com/v1` (no trailing slash).
    pub base_url: String,
    /// Credentials bound to the API's security schemes, sorted by scheme then tenant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub credentials: Vec<CredentialDefinition>,
    /// Client certificates presented to the API (mutual TLS), shared or per tenant.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_tls: Vec<ClientTlsDefinition>,
}

/// A credential for one security scheme of an API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CredentialDefinition {
    /// Security scheme name (a key of the spec's `securitySchemes`).
    pub scheme: String,
    /// The tenant that owns it; `None`: shared by every caller.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// How the credential is obtained and sent.
    pub method: AuthMethod,
}

/// How an upstream credential is obtained and sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub enum AuthMethod {
    /// An API key in a header, query parameter or cookie.
    ApiKey {
        /// Where the key goes (`header`, `query` or `cookie`).
        location: ParamLocation,
        /// Header, parameter or cookie name.
        name: String,
        /// The key.
        key: SecretRef,
    },
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The token.
        token: SecretRef,
    },
    /// `Authorization: Basic` (RFC 7617).
    Basic {
        /// User name.
        username: SecretRef,
        /// Password.
        password: SecretRef,
    },
    /// OAuth 2 client credentials grant (RFC 6749 §4.4); the access token is sent as a bearer token.
    ClientCredentials {
        /// The OAuth client.
        client: OAuthClientDefinition,
    },
    /// OAuth 2 token exchange (RFC 8693): the inbound caller's token is exchanged at the token
    /// endpoint for a token for this API, sent as a bearer token. The inbound token itself never
    /// goes to the API.
    TokenExchange {
        /// The OAuth client.
        client: OAuthClientDefinition,
    },
    /// Mutual TLS: satisfied by the API's [`ClientTlsDefinition`].
    MutualTls,
}

/// An OAuth 2 client of a token endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OAuthClientDefinition {
    /// Token endpoint URL.
    pub token_url: String,
    /// Client id.
    pub client_id: SecretRef,
    /// Client secret.
    pub client_secret: SecretRef,
    /// How the id and secret reach the token endpoint.
    #[serde(default, skip_serializing_if = "ClientAuthMethod::is_default")]
    pub client_auth: ClientAuthMethod,
    /// Scopes requested.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// `audience` parameter, for servers that use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// `resource` parameter (RFC 8707).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
}

/// Client authentication at a token endpoint (RFC 6749 §2.3.1; names from RFC 8414).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuthMethod {
    /// HTTP Basic with the form-encoded id and secret (the method every server must support).
    #[default]
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body, for servers that accept only that.
    ClientSecretPost,
}

impl ClientAuthMethod {
    fn is_default(&self) -> bool {
        *self == Self::ClientSecretBasic
    }
}

/// A client certificate and key (PEM) presented to an API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClientTlsDefinition {
    /// The tenant that owns it; `None`: shared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// PEM certificate chain.
    pub cert: SecretRef,
    /// PEM private key.
    pub key: SecretRef,
    /// PEM CA bundle that alone is trusted for the API's server certificate (private PKI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<SecretRef>,
}

/// Where a secret (or a non-secret setting such as a user name) comes from at run time. Secrets
/// are never stored in a generated server, only these references.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum SecretRef {
    /// An environment variable.
    Env(String),
    /// A file, re-read when it changes (rotation).
    File(String),
    /// A literal value, only for settings that are not secret (user names, client ids).
    Value(String),
}

/// Tenancy: which tenants exist and how a caller's tenant is found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TenancyDefinition {
    /// Claim of the inbound token naming the tenant (HTTP with auth).
    pub claim: String,
    /// Known tenants, sorted; any other tenant is refused.
    pub tenants: Vec<String>,
}

/// The server as an OAuth 2.1 resource server (HTTP transport).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InboundAuthDefinition {
    /// This server's canonical resource URI (RFC 8707), the audience tokens must carry, e.g.
    /// `https://mcp.example.com/mcp`.
    pub resource: String,
    /// Authorization servers announced in the protected resource metadata (RFC 9728).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authorization_servers: Vec<String>,
    /// JWT validation; `None`: only static API keys are accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt: Option<JwtDefinition>,
    /// Token introspection (RFC 7662) for bearer tokens that are not JWTs or API keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introspection: Option<IntrospectionDefinition>,
    /// Static client API keys, by SHA-256 digest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_keys: Vec<ApiKeyDefinition>,
    /// Scopes announced in the protected resource metadata.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes_supported: Vec<String>,
}

/// How opaque bearer tokens are checked: asked of the authorization server (RFC 7662).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IntrospectionDefinition {
    /// Introspection endpoint URL.
    pub url: String,
    /// This server's client id at the authorization server.
    pub client_id: SecretRef,
    /// Its client secret.
    pub client_secret: SecretRef,
    /// How the id and secret reach the endpoint.
    #[serde(default, skip_serializing_if = "ClientAuthMethod::is_default")]
    pub client_auth: ClientAuthMethod,
    /// Required `iss` of the answer, when the answer names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Longest time an active answer is reused, in seconds (revocation takes effect after it).
    pub cache_seconds: u64,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_seconds: u64,
}

/// How bearer JWTs are validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct JwtDefinition {
    /// Required `iss`.
    pub issuer: String,
    /// JWKS document with the issuer's signing keys.
    pub jwks_url: String,
    /// Accepted algorithms (of `RS256`, `ES256`, `EdDSA`).
    pub algorithms: Vec<String>,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_seconds: u64,
}

/// A static client API key, presented as a bearer token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ApiKeyDefinition {
    /// Name of the client (logs and audit).
    pub id: String,
    /// Lower-case hex SHA-256 of the key.
    pub sha256: String,
    /// Scopes the key grants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    /// Tenant the key acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    /// Roles the key has.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}
