//! The manifest (`mcpgen.yaml`): which APIs a server exposes and how, as written by the user.
//!
//! Parsing is strict (unknown keys are errors, with the key's position) because a misspelt key that
//! is silently ignored is a policy that silently does not apply. The format is versioned and built
//! from sections (`server`, `apis`, per-API `include`/`exclude`/`tools`) so later features add
//! sections instead of changing existing ones. See `docs/manifest.md`.

mod auth;
mod governance;
mod payload;
mod resilience;
mod select;
mod shaping;
mod surface;

use indexmap::IndexMap;
use serde::Deserialize;

pub use auth::{
    ALGORITHMS, ApiKeySection, AuthSection, ClientTlsSection, CredentialBinding, EnvironmentApiSection,
    EnvironmentSection, IntrospectionSection, TenancySection, TenantApiSection, TenantSection, parse_secret_ref,
};
pub use governance::{DefaultPolicy, DestructiveSection, GovernanceSection, RoleSection, Status};
pub use payload::{BudgetSection, DEFAULT_MAX_DESCRIPTION_CHARS, OutputSchemas};
pub use resilience::{CircuitBreakerSection, RateLimitSection, ResilienceSection};
pub use select::{Candidate, Matcher, Selector, has_prefix, matches_operation};
pub use shaping::{DEFAULT_MAX_ITEMS, DEFAULT_MAX_RESULT_BYTES, ShapingSection, ShapingSettings};

use crate::diagnostics::Problem;
use crate::document::Document;
use crate::source_map::{escape_token, pointer_of_error_path};

/// The manifest format this generator reads.
pub const MANIFEST_VERSION: u32 = 1;

/// A parsed manifest.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Format version; must be [`MANIFEST_VERSION`].
    pub version: u32,
    /// Identity of the generated server.
    pub server: ServerSection,
    /// Upstream APIs by id, in the order written.
    pub apis: IndexMap<String, ApiSection>,
    /// How MCP clients authenticate over HTTP (OAuth 2.1 resource server, static API keys).
    #[serde(default)]
    pub auth: Option<AuthSection>,
    /// Named deployment environments (`dev`, `prod`, …) overriding base URLs, credentials and auth.
    #[serde(default)]
    pub environments: IndexMap<String, EnvironmentSection>,
    /// The environment served when none is chosen at start.
    #[serde(default)]
    pub default_environment: Option<String>,
    /// Tenants, each with its own upstream credentials.
    #[serde(default)]
    pub tenancy: Option<TenancySection>,
    /// Timeouts, retries, circuit breakers and limits for every API (APIs and operations override).
    #[serde(default)]
    pub resilience: Option<ResilienceSection>,
    /// Approval, destructive-tool rules and roles.
    #[serde(default)]
    pub governance: Option<GovernanceSection>,
    /// The audit trail of the generated server.
    #[serde(default)]
    pub audit: Option<AuditSection>,
    /// Named subsets of the tools, served with `--toolset NAME` and usable in roles.
    #[serde(default)]
    pub toolsets: IndexMap<String, Selector>,
    /// Limits on the size of `tools/list` (an overrun is an error).
    #[serde(default)]
    pub budget: Option<BudgetSection>,
    /// How much of response schemas tools keep as `outputSchema` (default `compact`).
    #[serde(default)]
    pub output_schemas: Option<OutputSchemas>,
    /// Longest tool description taken from a spec, in characters (default 1000).
    #[serde(default)]
    pub max_description_chars: Option<usize>,
    /// How tool results are shaped (projection, item cap, budget, paging); on by default.
    #[serde(default)]
    pub shaping: Option<ShapingSection>,
}

/// `audit:` — where the generated server writes its hash-chained audit trail.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSection {
    /// JSONL file (relative to the server's working directory); `--audit-file` overrides it.
    #[serde(default)]
    pub file: Option<String>,
    /// Write records to stdout instead (HTTP transport only).
    #[serde(default)]
    pub stdout: bool,
    /// File size that triggers rotation (default 10 MiB).
    #[serde(default)]
    pub max_bytes: Option<u64>,
    /// Rotated files kept (default 5).
    #[serde(default)]
    pub keep: Option<u32>,
    /// Argument names always redacted, besides `format: password` and `writeOnly` properties.
    #[serde(default)]
    pub redact: Vec<String>,
}

/// `server:` — identity of the generated server and crate.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    /// Crate, binary and MCP server name (`^[a-z][a-z0-9-]*$`).
    pub name: String,
    /// Human-readable title.
    #[serde(default)]
    pub title: Option<String>,
    /// Version of the generated crate and server (semver).
    #[serde(default = "default_version")]
    pub version: String,
    /// One-paragraph description (crate description and README).
    #[serde(default)]
    pub description: Option<String>,
    /// Instructions sent to MCP clients at initialisation.
    #[serde(default)]
    pub instructions: Option<String>,
    /// Name in the MCP registry (`server.json`), reverse-DNS with one slash, e.g. `com.example/pets`.
    #[serde(default)]
    pub registry_name: Option<String>,
    /// Public URL of the MCP endpoint (`server.json` remotes); default: the inbound auth resource.
    #[serde(default)]
    pub public_url: Option<String>,
    /// What `tools/list` offers: `tools` (default), `discovery` or `auto` (docs/surfaces.md).
    #[serde(default)]
    pub surface: Option<crate::definition::SurfaceMode>,
    /// Tokens of the full `tools/list` above which `auto` serves discovery (default 8000).
    #[serde(default)]
    pub surface_budget_tokens: Option<u32>,
    /// Discovery search: a word agents use → the words this API uses for it.
    #[serde(default)]
    pub search_synonyms: Option<std::collections::BTreeMap<String, Vec<String>>>,
    /// The client schema profile the server lists its tools in unless `--profile` says
    /// otherwise: `portable` (default), `openai-strict`, … (docs/profiles.md).
    #[serde(default)]
    pub profile: Option<String>,
}

fn default_version() -> String {
    "0.1.0".to_owned()
}

/// `apis.<id>:` — one upstream API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSection {
    /// Spec path, relative to the manifest. Optional when given with `--spec` on the command line.
    #[serde(default)]
    pub spec: Option<String>,
    /// Base URL of the API; defaults to the spec's first absolute `servers` URL.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Environment variable that overrides the base URL at run time; defaults to `<ID>_BASE_URL`.
    #[serde(default)]
    pub base_url_env: Option<String>,
    /// Prefix for this API's tool names; defaults to none for one API and `<id>_` for several.
    #[serde(default)]
    pub tool_prefix: Option<String>,
    /// Only these operations become tools (all when absent).
    #[serde(default)]
    pub include: Option<Selector>,
    /// These operations never become tools (applied after `include`).
    #[serde(default)]
    pub exclude: Option<Selector>,
    /// Per-operation overrides, keyed by operationId or `METHOD /path`.
    #[serde(default)]
    pub tools: IndexMap<String, ToolOverride>,
    /// URL prefixes from which remote `$ref`s may be fetched (none by default: a spec alone never
    /// makes the generator reach the network).
    #[serde(default)]
    pub allow_remote_refs: Vec<String>,
    /// Directories (relative to the manifest) whose files relative `$ref`s may read besides the
    /// spec's own directory; none by default, so a spec cannot embed files from elsewhere.
    #[serde(default)]
    pub allow_external_refs: Vec<String>,
    /// Credentials for the spec's security schemes, by scheme name (shared by every environment
    /// and tenant unless overridden).
    #[serde(default)]
    pub credentials: IndexMap<String, CredentialBinding>,
    /// Client certificate for mutual TLS with the API.
    #[serde(default)]
    pub client_tls: Option<ClientTlsSection>,
    /// Resilience of this API's calls (over the top-level section).
    #[serde(default)]
    pub resilience: Option<ResilienceSection>,
    /// Team or person owning this API's tools (catalog, README).
    #[serde(default)]
    pub owner: Option<String>,
    /// `output_schemas` for this API's tools (over the top-level one).
    #[serde(default)]
    pub output_schemas: Option<OutputSchemas>,
    /// `max_description_chars` for this API's tools (over the top-level one).
    #[serde(default)]
    pub max_description_chars: Option<usize>,
    /// `shaping` for this API's tools (each key over the top-level one's).
    #[serde(default)]
    pub shaping: Option<ShapingSection>,
}

/// `apis.<id>.tools.<operation>:` — how one operation is presented as a tool.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolOverride {
    /// Tool name (`^[A-Za-z0-9_-]{1,64}$`).
    #[serde(default)]
    pub name: Option<String>,
    /// Tool title.
    #[serde(default)]
    pub title: Option<String>,
    /// Tool description (replaces the spec's).
    #[serde(default)]
    pub description: Option<String>,
    /// Behaviour hints shown to clients; each replaces the value derived from the HTTP method.
    #[serde(default)]
    pub annotations: Option<AnnotationOverride>,
    /// Arguments that clients also send as `Mcp-Param-<Header>` HTTP headers (MCP SEP-2243), so
    /// gateways can route on them without reading the body: argument name → header name.
    #[serde(default)]
    pub mcp_headers: IndexMap<String, String>,
    /// Scopes an inbound caller needs for this tool (default: the operation's OAuth scopes).
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// Timeouts and retries of this operation (over its API's).
    #[serde(default)]
    pub resilience: Option<ResilienceSection>,
    /// Header sent with a key generated once per call and reused by its retries, which makes
    /// retrying this (non-idempotent) operation safe, e.g. `Idempotency-Key`.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// Team or person owning the tool (default: the API's owner).
    #[serde(default)]
    pub owner: Option<String>,
    /// `active`, `deprecated` or `disabled` (default: `deprecated` when the spec says so).
    #[serde(default)]
    pub status: Option<Status>,
    /// Date (YYYY-MM-DD) after which a deprecated tool is hidden and refused.
    #[serde(default)]
    pub sunset: Option<String>,
    /// The tool to use instead of a deprecated one.
    #[serde(default)]
    pub replaced_by: Option<String>,
    /// Approves the tool where `governance` requires approval (default-deny, destructive tools).
    #[serde(default)]
    pub approved: Option<bool>,
    /// `output_schemas` for this tool (over its API's).
    #[serde(default)]
    pub output_schema: Option<OutputSchemas>,
    /// `shaping` for this tool (each key over its API's).
    #[serde(default)]
    pub shaping: Option<ShapingSection>,
}

/// Overrides of MCP tool annotations.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnnotationOverride {
    /// `readOnlyHint`.
    #[serde(default)]
    pub read_only: Option<bool>,
    /// `destructiveHint`.
    #[serde(default)]
    pub destructive: Option<bool>,
    /// `idempotentHint`.
    #[serde(default)]
    pub idempotent: Option<bool>,
    /// `openWorldHint`.
    #[serde(default)]
    pub open_world: Option<bool>,
}

/// Parses a manifest document. `Err` when its structure is wrong (nothing can be built from it);
/// otherwise the manifest with every invalid value found, which later stages add their problems to
/// so that one run reports everything.
pub fn parse(doc: &Document) -> Result<(Manifest, Vec<Problem>), Vec<Problem>> {
    let manifest: Manifest = serde_path_to_error::deserialize(doc.value.clone()).map_err(|err| {
        let mut pointer = pointer_of_error_path(err.path());
        let message = err.inner().to_string();
        // For unknown keys serde names the key; point at it rather than at its parent.
        if let Some(key) = message.strip_prefix("unknown field `").and_then(|r| r.split('`').next()) {
            pointer = format!("{pointer}/{}", escape_token(key));
        }
        vec![
            doc.at_key(
                &pointer,
                Problem::error("mcpgen::manifest::invalid", format!("invalid manifest: {message}"))
                    .with_help("see docs/manifest.md for the keys each section accepts"),
                "here",
            ),
        ]
    })?;
    let problems = check(doc, &manifest);
    Ok((manifest, problems))
}

fn check(doc: &Document, manifest: &Manifest) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut bad = |pointer: &str, message: String, help: &str| {
        problems.push(doc.at_value(
            pointer,
            Problem::error("mcpgen::manifest::value", message).with_help(help.to_owned()),
            "invalid value",
        ));
    };
    if manifest.version != MANIFEST_VERSION {
        bad(
            "/version",
            format!("unsupported manifest version {}", manifest.version),
            "this mcpgen reads `version: 1` manifests",
        );
    }
    let name = &manifest.server.name;
    if !is_crate_name(name) || syn::parse_str::<syn::Ident>(&name.replace('-', "_")).is_err() {
        bad(
            "/server/name",
            format!("server name `{name}` cannot be a crate name"),
            "use lower-case letters, digits and `-`, starting with a letter, at most 64 characters (e.g. `petstore-mcp`)",
        );
    }
    if !is_semver(&manifest.server.version) {
        bad(
            "/server/version",
            format!("`{}` is not a semantic version", manifest.server.version),
            "write it as MAJOR.MINOR.PATCH, e.g. `0.1.0`",
        );
    }
    if manifest.apis.is_empty() {
        bad("/apis", "the manifest lists no APIs".into(), "add an entry under `apis:` naming a spec");
    }
    for (id, api) in &manifest.apis {
        let at = format!("/apis/{}", escape_token(id));
        if !is_api_id(id) {
            problems.push(
                doc.at_key(
                    &at,
                    Problem::error("mcpgen::manifest::value", format!("API id `{id}` is not a valid identifier"))
                        .with_help("use lower-case letters, digits and `_`, starting with a letter (e.g. `petstore`)"),
                    "invalid id",
                ),
            );
        }
        if let Some(url) = &api.base_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            problems.push(
                doc.at_value(
                    &format!("{at}/base_url"),
                    Problem::error(
                        "mcpgen::manifest::value",
                        format!("base URL `{url}` is not an absolute http(s) URL"),
                    )
                    .with_help("write the full URL, e.g. `https://api.example.com/v1`"),
                    "invalid URL",
                ),
            );
        }
        if let Some(problem) = api.base_url.as_deref().and_then(base_url_problem) {
            problems.push(doc.at_value(&format!("{at}/base_url"), problem, "base URL"));
        }
        for (i, dir) in api.allow_external_refs.iter().enumerate() {
            if dir.trim().is_empty() || dir.contains("://") {
                problems.push(doc.at_value(
                    &format!("{at}/allow_external_refs/{i}"),
                    Problem::error("mcpgen::manifest::value", format!("`{dir}` is not a directory"))
                        .with_help("name a directory relative to the manifest, e.g. `../shared` (remote documents go in `allow_remote_refs`)"),
                    "invalid directory",
                ));
            }
        }
        if let Some(var) = &api.base_url_env
            && !is_env_var(var)
        {
            problems.push(
                doc.at_value(
                    &format!("{at}/base_url_env"),
                    Problem::error(
                        "mcpgen::manifest::value",
                        format!("`{var}` is not a portable environment variable name"),
                    )
                    .with_help("use upper-case letters, digits and `_`, e.g. `PETSTORE_BASE_URL`"),
                    "invalid name",
                ),
            );
        }
        for (i, prefix) in api.allow_remote_refs.iter().enumerate() {
            let (scheme, rest) = prefix.split_once("://").unwrap_or(("", ""));
            if !matches!(scheme, "http" | "https") || !rest.contains('/') {
                problems.push(doc.at_value(&format!("{at}/allow_remote_refs/{i}"), Problem::error("mcpgen::manifest::value", format!("`{prefix}` is not a URL prefix ending in a path"))
                    .with_help("write a full prefix such as `https://schemas.example.com/` (scheme, host and at least `/`)"), "invalid prefix"));
            }
        }
        if let Some(prefix) = &api.tool_prefix
            && !prefix.chars().all(is_tool_char)
        {
            problems.push(
                doc.at_value(
                    &format!("{at}/tool_prefix"),
                    Problem::error(
                        "mcpgen::manifest::value",
                        format!("tool prefix `{prefix}` has characters tool names cannot hold"),
                    )
                    .with_help("use letters, digits, `_` and `-` only"),
                    "invalid prefix",
                ),
            );
        }
        for (key, tool) in &api.tools {
            for (arg, header) in &tool.mcp_headers {
                if !is_header_token(header) {
                    let at = format!("{at}/tools/{}/mcp_headers/{}", escape_token(key), escape_token(arg));
                    problems.push(
                        doc.at_value(
                            &at,
                            Problem::error("mcpgen::manifest::value", format!("`{header}` is not a valid header name"))
                                .with_help("use letters, digits and `-` (it becomes `Mcp-Param-<name>`)"),
                            "invalid header name",
                        ),
                    );
                }
            }
            if let Some(name) = &tool.name
                && !is_tool_name(name)
            {
                problems.push(doc.at_value(
                    &format!("{at}/tools/{}/name", escape_token(key)),
                    Problem::error("mcpgen::manifest::value", format!("tool name `{name}` is not portable")).with_help(
                        "tool names must match ^[A-Za-z0-9_-]{1,64}$ (what MCP clients and LLM providers accept)",
                    ),
                    "invalid tool name",
                ));
            }
        }
    }
    for (name, env) in &manifest.environments {
        for (id, api) in &env.apis {
            if let Some(problem) = api.base_url.as_deref().and_then(base_url_problem) {
                let at = format!("/environments/{}/apis/{}/base_url", escape_token(name), escape_token(id));
                problems.push(doc.at_value(&at, problem, "base URL"));
            }
        }
    }
    auth::check(doc, manifest, &mut problems);
    resilience::check(doc, manifest, &mut problems);
    governance::check(doc, manifest, &mut problems);
    surface::check(doc, manifest, &mut problems);
    payload::check(doc, manifest, &mut problems);
    shaping::check(doc, manifest, &mut problems);
    problems
}

/// Masks every secret written literally into the manifest in the text diagnostics draw from, so
/// that reporting the mistake never copies the secret into a terminal or CI log. Call before
/// [`parse`]; the parsed values are unchanged (they are only reported, never used).
pub fn conceal_secrets(doc: &mut Document) {
    let pointers = auth::literal_secrets(&doc.value);
    doc.mask_values(&pointers);
    for (pointer, secret) in url_secrets(&doc.value, "") {
        doc.mask_within(&pointer, &secret);
    }
}

/// `(pointer, user info)` of every `base_url` that carries a user name or password.
fn url_secrets(value: &serde_json::Value, pointer: &str) -> Vec<(String, String)> {
    let serde_json::Value::Object(map) = value else { return Vec::new() };
    let mut out = Vec::new();
    for (key, child) in map {
        let at = format!("{pointer}/{}", escape_token(key));
        match (key.as_str(), child) {
            ("base_url", serde_json::Value::String(url)) => {
                out.extend(userinfo(url).map(|info| (at, info.to_owned())));
            }
            _ => out.extend(url_secrets(child, &at)),
        }
    }
    out
}

/// The user info of a URL (`user:secret` in `http://user:secret@host/v1`), if it has any.
pub fn userinfo(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    authority.rfind('@').map(|at| &authority[..at])
}

/// What is wrong with a base URL beyond its scheme, for the manifest's `base_url`s and the spec's
/// `servers` alike: credentials in it (written into tools.json and the README, so refused like any
/// literal secret, and shown masked) or characters a request line cannot carry.
pub(crate) fn base_url_problem(url: &str) -> Option<Problem> {
    if let Some(info) = userinfo(url) {
        let masked = url.replacen(info, &"*".repeat(info.chars().count()), 1);
        return Some(
            Problem::error("mcpgen::manifest::url_credentials", format!("literal secret: base URL `{masked}` holds a user name or password"))
                .with_help("remove `user:password@` from the URL (it would be written into tools.json and the README) and bind the credentials as secret references instead, e.g. `credentials: {basic: {username: env:API_USER, password: env:API_PASSWORD}}` (see docs/auth.md)"),
        );
    }
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        let shown: String = url.chars().map(|c| if c.is_control() || c.is_whitespace() { '?' } else { c }).collect();
        return Some(
            Problem::error(
                "mcpgen::manifest::value",
                format!("base URL `{shown}` contains whitespace or a control character"),
            )
            .with_help(
                "write the URL without spaces or line breaks; percent-encode them (`%20`) if the API really needs them",
            ),
        );
    }
    None
}

/// Header names for `x-mcp-header`: letters, digits and `-`.
pub fn is_header_token(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Characters allowed in tool names.
pub fn is_tool_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// `^[A-Za-z0-9_-]{1,64}$`.
pub fn is_tool_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.chars().all(is_tool_char)
}

fn is_crate_name(name: &str) -> bool {
    name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.ends_with('-')
}

fn is_api_id(id: &str) -> bool {
    id.starts_with(|c: char| c.is_ascii_lowercase())
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

pub(crate) fn is_env_var(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn is_semver(version: &str) -> bool {
    let core = version.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<_> = core.split('.').collect();
    parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Manifest, Vec<Problem>> {
        match parse(&Document::parse("mcpgen.yaml", text.to_owned()).unwrap())? {
            (manifest, problems) if problems.is_empty() => Ok(manifest),
            (_, problems) => Err(problems),
        }
    }

    #[test]
    fn minimal_manifest_gets_defaults() {
        let m = parse_text("version: 1\nserver: {name: pets-mcp}\napis:\n  pets: {spec: openapi.yaml}\n").unwrap();
        assert_eq!(m.server.version, "0.1.0");
        assert_eq!(m.apis["pets"].spec.as_deref(), Some("openapi.yaml"));
    }

    #[test]
    fn unknown_keys_point_at_the_key() {
        let err = parse_text("version: 1\nserver:\n  name: pets-mcp\n  titel: Pets\napis: {}\n").unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].position().as_deref(), Some("mcpgen.yaml:4:3"));
        assert!(err[0].message.contains("unknown field `titel`"), "{}", err[0].message);
    }

    #[test]
    fn every_bad_value_is_reported_at_once() {
        let err = parse_text("version: 2\nserver: {name: Pets, version: one}\napis:\n  Pets:\n    base_url: ftp://x\n    base_url_env: lower\n    tools:\n      listPets: {name: 'has space'}\n").unwrap_err();
        let positions: Vec<_> = err.iter().map(|p| p.position().unwrap()).collect();
        assert_eq!(
            positions,
            [
                "mcpgen.yaml:1:10",
                "mcpgen.yaml:2:16",
                "mcpgen.yaml:2:31",
                "mcpgen.yaml:4:3",
                "mcpgen.yaml:5:15",
                "mcpgen.yaml:6:19",
                "mcpgen.yaml:8:24"
            ]
        );
    }

    #[test]
    fn wrong_types_are_located() {
        let err = parse_text("version: 1\nserver: {name: p}\napis:\n  p:\n    include: {tags: pets}\n").unwrap_err();
        assert!(err[0].position().unwrap().starts_with("mcpgen.yaml:5:"), "{:?}", err[0].position());
    }
}
