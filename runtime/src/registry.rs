//! The tool table made ready to serve: MCP tools, compiled validators, resolved base URLs.
//!
//! Everything that can fail on bad configuration fails here, at start-up, with a message that
//! names the setting — never later, in the middle of a tool call.

use std::collections::HashMap;
use std::sync::Once;
use std::time::Duration;

use rmcp::model::Tool;
use serde_json::Value;

use super::definition::{HttpMapping, ServerDefinition};

/// One tool, ready to execute.
pub struct ToolEntry {
    /// The MCP tool as listed.
    pub tool: Tool,
    /// How to call the upstream.
    pub http: HttpMapping,
    /// Base URL of the tool's API (after environment overrides), without a trailing slash.
    pub base_url: String,
    /// Validator of the arguments (the tool's `inputSchema`).
    pub input: jsonschema::Validator,
    /// Validator of `structuredContent` (the tool's `outputSchema`), when it has one.
    pub output: Option<jsonschema::Validator>,
}

/// All tools of a server, in name order, plus the shared HTTP client.
pub struct Registry {
    /// Server name (`serverInfo.name`).
    pub name: String,
    /// Server title.
    pub title: Option<String>,
    /// Server version.
    pub version: String,
    /// Instructions for clients.
    pub instructions: Option<String>,
    /// Shared upstream HTTP client (connection pooling across calls).
    pub http: reqwest::Client,
    tools: Vec<ToolEntry>,
    by_name: HashMap<String, usize>,
}

/// How long one upstream request may take, end to end.
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(30);

impl Registry {
    /// Prepares `definition`; `env` reads environment variables (injected for tests).
    pub fn new(definition: ServerDefinition, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut base_urls = HashMap::new();
        for api in &definition.apis {
            let url = env(&api.base_url_env).filter(|v| !v.trim().is_empty()).unwrap_or_else(|| api.base_url.clone());
            let parsed = reqwest::Url::parse(&url).map_err(|err| {
                format!(
                    "base URL `{url}` of API `{}` is invalid ({err}); set {} to an absolute http(s) URL",
                    api.id, api.base_url_env
                )
            })?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(format!(
                    "base URL `{url}` of API `{}` must use http or https; check {}",
                    api.id, api.base_url_env
                ));
            }
            base_urls.insert(api.id.clone(), url.trim_end_matches('/').to_owned());
        }
        let mut tools = Vec::with_capacity(definition.tools.len());
        for entry in definition.tools {
            let raw = Value::Object(entry.tool);
            let tool: Tool =
                serde_json::from_value(raw.clone()).map_err(|err| format!("invalid tool in the tool table: {err}"))?;
            let compile = |key: &str| -> Result<Option<jsonschema::Validator>, String> {
                raw.get(key)
                    .map(|schema| {
                        jsonschema::draft202012::new(schema)
                            .map_err(|err| format!("tool `{}` has an invalid {key}: {err}", tool.name))
                    })
                    .transpose()
            };
            let input = compile("inputSchema")?.ok_or_else(|| format!("tool `{}` has no inputSchema", tool.name))?;
            let output = compile("outputSchema")?;
            let base_url = base_urls
                .get(&entry.api)
                .cloned()
                .ok_or_else(|| format!("tool `{}` refers to unknown API `{}`", tool.name, entry.api))?;
            tools.push(ToolEntry { tool, http: entry.http, base_url, input, output });
        }
        tools.sort_by(|a, b| a.tool.name.cmp(&b.tool.name));
        let by_name = tools.iter().enumerate().map(|(i, t)| (t.tool.name.to_string(), i)).collect();
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .user_agent(format!("{}/{} (mcpgen)", definition.name, definition.version))
            .connect_timeout(Duration::from_secs(10))
            .timeout(UPSTREAM_TIMEOUT)
            .build()
            .map_err(|err| format!("cannot create the HTTP client: {err}"))?;
        Ok(Self {
            name: definition.name,
            title: definition.title,
            version: definition.version,
            instructions: definition.instructions,
            http,
            tools,
            by_name,
        })
    }

    /// All tools, sorted by name.
    pub fn tools(&self) -> &[ToolEntry] {
        &self.tools
    }

    /// The tool called `name`.
    pub fn get(&self, name: &str) -> Option<&ToolEntry> {
        self.by_name.get(name).map(|&i| &self.tools[i])
    }
}

/// reqwest is built without a default TLS crypto provider (to avoid compiling aws-lc); install
/// ring's once per process.
fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // An error means another provider is already installed, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
