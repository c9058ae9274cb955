//! The tool table made ready to serve: MCP tools, compiled validators, resolved base URLs.
//!
//! Everything that can fail on bad configuration fails here, at start-up, with a message that
//! names the setting — never later, in the middle of a tool call.

use std::collections::HashMap;
use std::sync::{Arc, Once, OnceLock};
use std::time::Duration;

use rmcp::model::Tool;
use serde_json::Value;

use governor::DefaultKeyedRateLimiter;

use super::breaker::{Circuit, CircuitBreaker};
use super::credentials::{ClientFactory, UpstreamAuth};
use super::definition::BreakerScope;
use super::definition::{
    EnvironmentDefinition, HttpMapping, ResilienceDefinition, ServerDefinition, TenancyDefinition, ToolJson,
};
use super::inbound::Authenticator;
use super::metrics::Metrics;
use super::oauth::TokenCache;
use super::pages::{self, LazyListed};
use super::profile::Profile;
use super::secrets::Secrets;
use super::upstream::ApiGuard;
use super::validator::LazyValidator;

/// One tool, ready to execute.
///
/// The tool is kept as its listed JSON (self-contained schemas included), made and serialised
/// the first time it is listed or used (see [`pages`]): `tools/list` writes those bytes, and the
/// typed tool (a `Value` tree several times their size) is parsed from them only for what needs
/// it — a call's validators and audit redaction, rmcp's `get_tool` — and kept from then on
/// (issue 13, item 3).
pub struct ToolEntry {
    /// The tool's name.
    pub name: String,
    /// The tool as listed to peers of either protocol era, made on first use.
    listed: LazyListed,
    /// The typed tool, parsed from `listed` on first use.
    typed: OnceLock<Tool>,
    /// Whether the tool declares an `outputSchema`.
    has_output_schema: bool,
    /// Id of the tool's API.
    pub api: String,
    /// How to call the upstream.
    pub http: HttpMapping,
    /// Base URL of the tool's API (after environment overrides), without a trailing slash.
    pub base_url: String,
    /// Upstream security alternatives (scheme names).
    pub security: Vec<Vec<String>>,
    /// Scopes an inbound caller needs (HTTP with auth).
    pub scopes: Vec<String>,
    /// Validator of the arguments (the tool's `inputSchema`), compiled on first use.
    input: LazyValidator,
    /// Validator of `structuredContent` (the tool's `outputSchema`), compiled on first use.
    output: LazyValidator,
    /// Timeouts, retries and the response cap (the tool's, else its API's).
    pub resilience: ResilienceDefinition,
    /// Whether failed attempts may be repeated (idempotent, or made so by an idempotency key).
    pub may_retry: bool,
    /// Header carrying the call's idempotency key.
    pub idempotency_key: Option<String>,
    /// Retirement of a deprecated tool.
    pub deprecation: Option<super::definition::DeprecationDefinition>,
    /// Roles that may use the tool (with RBAC on).
    pub roles: Vec<String>,
    /// The breaker guarding its calls: its own, or its API's (by the breaker's scope).
    pub circuit: Option<Circuit>,
    /// The operation's tags (discovery search filters by them).
    pub tags: Vec<String>,
    /// Search terms shipped in the tool table (empty: derived when discovery starts).
    pub search: super::search::Terms,
    /// How results are shaped (projection, item cap, budget, paging).
    pub shaping: Option<super::shaping_plan::ShapingDefinition>,
}

impl ToolEntry {
    /// The MCP tool as listed (its schemas self-contained), parsed on first use.
    pub fn tool(&self) -> &Tool {
        self.typed.get_or_init(|| {
            // The text was serialised from a `Tool` (`pages::LazyListed`); rmcp's types read
            // back what they write.
            serde_json::from_str(self.listed(false)).expect("a listed tool parses back into a Tool")
        })
    }

    /// The tool's listed JSON for a peer of the era (`legacy`: before 2026-07-28).
    pub fn listed(&self, legacy: bool) -> &str {
        self.listed.get().json(legacy)
    }

    /// Whether the tool declares an `outputSchema` (its results carry `structuredContent`).
    pub fn has_output_schema(&self) -> bool {
        self.has_output_schema
    }

    /// The input schema as generated: what validates the arguments (mapped back from the client
    /// profile's shape, [`Registry::profile`]), whatever schema the tool is listed with.
    pub fn input_schema(&self) -> &serde_json::Map<String, Value> {
        match self.listed.get().original_input() {
            Some(original) => original,
            None => &self.tool().input_schema,
        }
    }

    /// The validator of the arguments, compiled on first use, or why the schema does not compile.
    pub fn input_validator(&self) -> Result<&jsonschema::Validator, &str> {
        self.input.get(|| Value::Object(self.input_schema().clone()))
    }

    /// The validator of `structuredContent`, when the tool has an output schema.
    pub fn output_validator(&self) -> Option<Result<&jsonschema::Validator, &str>> {
        if !self.has_output_schema {
            return None;
        }
        // The listed one, or the one a client profile does not list.
        let schema = self.tool().output_schema.as_deref().or_else(|| self.listed.get().original_output())?;
        Some(self.output.get(|| Value::Object(schema.clone())))
    }

    /// Whether a deprecated tool's sunset date has come (`today`: days since 1970-01-01, UTC).
    pub fn is_retired(&self, today: i64) -> bool {
        self.deprecation
            .as_ref()
            .and_then(|d| d.sunset.as_deref())
            .and_then(super::definition::days_from_date)
            .is_some_and(|sunset| today >= sunset)
    }
}

/// Today as days since 1970-01-01 (UTC).
pub fn today() -> i64 {
    let seconds = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    (seconds / 86_400) as i64
}

/// What to serve, chosen at start (`--env`, `--tenant`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Environment name; `None`: the default environment.
    pub environment: Option<String>,
    /// Tenant of every call (stdio, or HTTP without inbound auth).
    pub tenant: Option<String>,
    /// Audit trail file (overrides the manifest's).
    pub audit_file: Option<String>,
    /// Serve only the tools of these toolsets (`--toolset`); empty: every tool.
    pub toolsets: Vec<String>,
    /// The client schema profile (`--profile`); `None`: the one the tool table names.
    pub profile: Option<String>,
}

/// All tools of a server, in name order, plus what every call shares.
pub struct Registry {
    /// Server name (`serverInfo.name`).
    pub name: String,
    /// Server title.
    pub title: Option<String>,
    /// Server version.
    pub version: String,
    /// Instructions for clients.
    pub instructions: Option<String>,
    /// Name of the environment served.
    pub environment: String,
    /// Shared upstream HTTP client (connection pooling across calls).
    pub http: reqwest::Client,
    /// Upstream credentials of the environment.
    pub upstream: UpstreamAuth,
    /// Inbound authentication of the environment (HTTP), when configured.
    pub inbound: Option<Arc<Authenticator>>,
    /// Tenancy, when configured.
    pub tenancy: Option<TenancyDefinition>,
    /// The tenant configured at start (`--tenant`).
    pub tenant: Option<String>,
    /// Whether role-based access is on.
    pub rbac: bool,
    /// The audit trail, when on.
    pub audit: Option<Arc<super::audit::AuditLog>>,
    /// Argument names the audit trail always redacts.
    pub audit_redact: Vec<String>,
    /// Metrics of every call.
    pub metrics: Arc<Metrics>,
    /// The surface the tool table asks for (`--surface` overrides it; see `discovery`).
    pub surface: super::definition::SurfaceDefinition,
    /// The client schema profile tools are listed in (`--profile`, else the table's).
    pub profile: Profile,
    tools: Vec<ToolEntry>,
    by_name: HashMap<String, usize>,
    /// Per API: its HTTP client (connect timeout) and its guard (limits).
    apis: HashMap<String, (reqwest::Client, ApiGuard)>,
    /// Every breaker once, by name.
    circuits: Vec<Circuit>,
    client_rate: Option<DefaultKeyedRateLimiter<String>>,
}

/// The path lists the shaping plans of the table share (`shaping_plan::PathList`), each read
/// once and then shared by the tools that name it.
#[derive(Default)]
struct SharedPathLists(HashMap<(String, String), Arc<[String]>>);

impl SharedPathLists {
    /// The list `name` of API `api`'s table in `tables`.
    fn get(&mut self, tables: &pages::RawDefinitions, api: &str, name: &str) -> Result<Arc<[String]>, String> {
        let key = (api.to_owned(), name.to_owned());
        if let Some(paths) = self.0.get(&key) {
            return Ok(paths.clone());
        }
        let table = super::assembly::paths_table(api);
        let raw = tables
            .get(&table)
            .and_then(|lists| lists.get(name))
            .ok_or_else(|| format!("no shared path list `{name}` in table `{table}`"))?;
        let paths: Vec<String> = serde_json::from_str(raw.get())
            .map_err(|err| format!("shared path list `{name}` in table `{table}` is no list of strings: {err}"))?;
        let paths: Arc<[String]> = paths.into();
        self.0.insert(key, paths.clone());
        Ok(paths)
    }
}

impl Registry {
    /// Prepares `definition` for the environment and tenant in `selection`. Fails with a message
    /// naming what to fix: an unknown environment or tenant, a bad base URL, or — all at once —
    /// every secret of the environment that cannot be read.
    pub fn new(definition: ServerDefinition, selection: &Selection, secrets: Arc<Secrets>) -> Result<Self, String> {
        Self::build(definition, selection, secrets)
    }

    /// [`Registry::new`] of a table whose tools are still raw text, as `main` parses the embedded
    /// table: a tool is a tree only while it is checked here and while its listed JSON is made.
    pub fn from_table(
        definition: ServerDefinition<Box<serde_json::value::RawValue>>,
        selection: &Selection,
        secrets: Arc<Secrets>,
    ) -> Result<Self, String> {
        Self::build(definition, selection, secrets)
    }

    fn build<T: TableTool>(
        definition: ServerDefinition<T>,
        selection: &Selection,
        secrets: Arc<Secrets>,
    ) -> Result<Self, String> {
        let environment = choose_environment(&definition, selection)?;
        let profile = choose_profile(&definition, selection)?;
        let mut definition = only_toolsets(definition, &selection.toolsets)?;
        let mut base_urls = HashMap::new();
        for api in &definition.apis {
            let default = environment.apis.iter().find(|a| a.id == api.id).map(|a| a.base_url.clone());
            let url = secrets
                .env_var(&api.base_url_env)
                .filter(|v| !v.trim().is_empty())
                .or(default)
                .ok_or_else(|| format!("API `{}` has no base URL in environment `{}`", api.id, environment.name))?;
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
        let api_policies: HashMap<&str, &ResilienceDefinition> =
            definition.apis.iter().map(|a| (a.id.as_str(), &a.resilience)).collect();
        // API-scoped breakers are shared by the API's tools; operation-scoped ones are made per tool.
        let breakers: HashMap<&str, &super::definition::CircuitBreakerDefinition> =
            definition.apis.iter().filter_map(|a| a.circuit_breaker.as_ref().map(|b| (a.id.as_str(), b))).collect();
        let api_circuits: HashMap<String, Circuit> = breakers
            .iter()
            .filter(|(_, b)| b.scope == BreakerScope::Api)
            .map(|(api, b)| {
                let circuit = Circuit {
                    name: (*api).to_owned(),
                    api: (*api).to_owned(),
                    api_wide: true,
                    breaker: CircuitBreaker::new((*b).clone()),
                };
                ((*api).to_owned(), circuit)
            })
            .collect();
        let mut tools = Vec::with_capacity(definition.tools.len());
        // Each tool's schemas are made self-contained when it is first listed or used (issue 13:
        // the table keeps the shared definitions once; `pages`), from its text as written and the
        // definitions as text. Here each tool is only checked, as a tree for a moment.
        let shared = Arc::new(pages::raw_definitions(std::mem::take(&mut definition.definitions))?);
        let mut path_lists = SharedPathLists::default();
        for mut entry in std::mem::take(&mut definition.tools) {
            entry.api = definition.api_of(&entry).to_owned();
            entry.http.headers = Some(definition.headers_of(&entry));
            let api: Arc<str> = Arc::from(entry.api.as_str());
            let (listed, tool, has_output_schema) = LazyListed::new(
                entry.tool.into_raw()?,
                entry.defs,
                api,
                &entry.http.method,
                shared.clone(),
                (profile, &definition.name),
            )?;
            let base_url = base_urls
                .get(&entry.api)
                .cloned()
                .ok_or_else(|| format!("tool `{}` refers to unknown API `{}`", tool.name, entry.api))?;
            if let Some(plan) = &mut entry.shaping {
                plan.resolve_lists(|name| path_lists.get(&shared, &entry.api, name))
                    .map_err(|err| format!("tool `{}`: {err}", tool.name))?;
            }
            let resilience = match entry.resilience {
                Some(own) => own,
                None => api_policies
                    .get(entry.api.as_str())
                    .map(|p| (*p).clone())
                    .ok_or_else(|| format!("tool `{}` refers to unknown API `{}`", tool.name, entry.api))?,
            };
            let circuit = match breakers.get(entry.api.as_str()) {
                Some(b) if b.scope == BreakerScope::Operation => Some(Circuit {
                    name: tool.name.to_string(),
                    api: entry.api.clone(),
                    api_wide: false,
                    breaker: CircuitBreaker::new((*b).clone()),
                }),
                Some(_) => api_circuits.get(&entry.api).cloned(),
                None => None,
            };
            tools.push(ToolEntry {
                name: tool.name.to_string(),
                listed,
                typed: OnceLock::new(),
                has_output_schema,
                api: entry.api,
                http: entry.http,
                base_url,
                security: entry.security,
                scopes: entry.scopes,
                input: LazyValidator::new(),
                output: LazyValidator::new(),
                resilience,
                may_retry: entry.idempotent || entry.idempotency_key.is_some(),
                idempotency_key: entry.idempotency_key,
                deprecation: entry.deprecation,
                roles: entry.roles,
                circuit,
                tags: entry.tags,
                search: entry.search,
                shaping: entry.shaping,
            });
        }
        tools.sort_by(|a, b| a.name.cmp(&b.name));
        let mut circuits: Vec<Circuit> =
            tools.iter().filter_map(|t| t.circuit.clone()).filter(|c| !c.api_wide).collect();
        circuits.extend(api_circuits.into_values());
        circuits.sort_by(|a, b| (&a.api, &a.name).cmp(&(&b.api, &b.name)));
        let mut by_name: HashMap<String, usize> = tools.iter().enumerate().map(|(i, t)| (t.name.clone(), i)).collect();
        // A tool listed under a shorter name (`Profile::tool_name`) is found by both; a short
        // name that is another tool's own name is that tool's.
        for (i, tool) in tools.iter().enumerate() {
            if let Some(served) = tool.listed.served_name() {
                by_name.entry(served.to_owned()).or_insert(i);
            }
        }
        let tenant = choose_tenant(definition.tenancy.as_ref(), selection)?;
        install_crypto_provider();
        let user_agent = format!("{}/{} (mcpgen)", definition.name, definition.version);
        let connect_timeouts: HashMap<String, Duration> = definition
            .apis
            .iter()
            .map(|a| (a.id.clone(), Duration::from_millis(a.resilience.connect_timeout_ms)))
            .collect();
        let factory: ClientFactory = Arc::new(move |api, identity, roots| {
            let connect = connect_timeouts.get(api).copied().unwrap_or(Duration::from_secs(10));
            http_client(&user_agent, connect, identity, roots)
        });
        let http = factory("", None, Vec::new())?;
        let mut apis = HashMap::new();
        for api in &definition.apis {
            apis.insert(api.id.clone(), (factory(&api.id, None, Vec::new())?, ApiGuard::new(api)));
        }
        let client_rate = definition.client_rate_limit.as_ref().map(|r| {
            let rate = std::num::NonZeroU32::new(r.per_second.max(1)).unwrap_or(std::num::NonZeroU32::MIN);
            let burst = std::num::NonZeroU32::new(r.burst.max(1)).unwrap_or(std::num::NonZeroU32::MIN);
            governor::RateLimiter::keyed(governor::Quota::per_second(rate).allow_burst(burst))
        });
        let upstream = UpstreamAuth::new(&environment, secrets.clone(), TokenCache::new(http.clone()), factory);
        let mut missing = upstream.missing_secrets();
        if let Some(introspection) = environment.inbound.as_ref().and_then(|auth| auth.introspection.as_ref()) {
            for reference in [&introspection.client_id, &introspection.client_secret] {
                if let Err(why) = secrets.resolve(reference) {
                    missing.push(format!("{why} (for inbound token introspection)"));
                }
            }
        }
        if !missing.is_empty() {
            return Err(format!(
                "environment `{}` is missing {} secret{}:\n  - {}\nset them (see the README's environment table) and start again",
                environment.name,
                missing.len(),
                if missing.len() == 1 { "" } else { "s" },
                missing.join("\n  - ")
            ));
        }
        let audit = open_audit(definition.audit.as_ref(), selection.audit_file.as_deref())?;
        let claim = definition.tenancy.as_ref().map(|t| t.claim.clone());
        let roles_claim = definition.roles_claim.clone();
        let inbound = environment
            .inbound
            .clone()
            .map(|auth| Arc::new(Authenticator::new(auth, claim, roles_claim.clone(), http.clone(), secrets.clone())));
        Ok(Self {
            name: definition.name,
            title: definition.title,
            version: definition.version,
            instructions: definition.instructions,
            environment: environment.name,
            http,
            upstream,
            inbound,
            tenancy: definition.tenancy,
            tenant,
            rbac: definition.roles_claim.is_some(),
            audit,
            audit_redact: definition.audit.as_ref().map(|a| a.redact.clone()).unwrap_or_default(),
            metrics: Arc::new(Metrics::new()),
            surface: definition.surface,
            profile,
            tools,
            by_name,
            apis,
            circuits,
            client_rate,
        })
    }

    /// The HTTP client of `api` (the shared default for an unknown id).
    pub fn client(&self, api: &str) -> &reqwest::Client {
        self.apis.get(api).map_or(&self.http, |(client, _)| client)
    }

    /// The limits and breaker of `api`.
    pub fn guard(&self, api: &str) -> &ApiGuard {
        // Every tool's API was checked at start; a missing one is a generator bug.
        &self.apis.get(api).expect("tools refer to known APIs (checked in Registry::new)").1
    }

    /// Every circuit breaker, each once, by name (for readiness and metrics).
    pub fn circuits(&self) -> &[Circuit] {
        &self.circuits
    }

    /// Takes one call from `key`'s bucket; `Err` says how long until the next is allowed.
    pub fn check_client_rate(&self, key: String) -> Result<(), Duration> {
        let Some(limiter) = &self.client_rate else { return Ok(()) };
        if limiter.len() > CLIENT_KEYS_BEFORE_PRUNING {
            // One key per client address: forget the ones whose bucket is full again, so many
            // addresses cannot grow the table without bound.
            limiter.retain_recent();
        }
        match limiter.check_key(&key) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                self.metrics.rate_limited("client", "-");
                let now = governor::clock::Clock::now(&governor::clock::DefaultClock::default());
                Err(not_until.wait_time_from(now))
            }
        }
    }

    /// All tools, sorted by name.
    pub fn tools(&self) -> &[ToolEntry] {
        &self.tools
    }

    /// Whether `caller` may see and call `entry`: its scopes, its roles (with RBAC on) and the
    /// tool's sunset. The local operator (no caller) may use every tool that is not retired.
    pub fn allows(&self, entry: &ToolEntry, caller: Option<&super::inbound::Principal>, today: i64) -> bool {
        if entry.is_retired(today) {
            return false;
        }
        let Some(principal) = caller else { return true };
        principal.has_scopes(&entry.scopes) && (!self.rbac || entry.roles.iter().any(|r| principal.roles.contains(r)))
    }

    /// The tool called `name`.
    pub fn get(&self, name: &str) -> Option<&ToolEntry> {
        self.by_name.get(name).map(|&i| &self.tools[i])
    }
}

/// `definition` with only the tools of `toolsets` (all when empty); an unknown toolset is a
/// start-up error listing the known ones. Dropped here, the other tools do not exist for this
/// process: not listed, not callable, not searchable.
fn only_toolsets<T>(mut definition: ServerDefinition<T>, toolsets: &[String]) -> Result<ServerDefinition<T>, String> {
    if toolsets.is_empty() {
        return Ok(definition);
    }
    if let Some(unknown) = toolsets.iter().find(|t| !definition.toolsets.contains(t)) {
        return Err(if definition.toolsets.is_empty() {
            format!("unknown toolset `{unknown}`: this server defines no toolsets (add `toolsets:` to the manifest)")
        } else {
            format!("unknown toolset `{unknown}`; this server has: {}", definition.toolsets.join(", "))
        });
    }
    definition.tools.retain(|tool| tool.toolsets.iter().any(|t| toolsets.contains(t)));
    Ok(definition)
}

/// The client schema profile: `--profile`, else the table's, else portable.
fn choose_profile<T>(definition: &ServerDefinition<T>, selection: &Selection) -> Result<Profile, String> {
    let Some(name) = selection.profile.as_deref().or(definition.profile.as_deref()) else {
        return Ok(Profile::Portable);
    };
    Profile::from_name(name).ok_or_else(|| {
        let known: Vec<&str> = Profile::NAMES.iter().map(|(n, _)| *n).collect();
        format!("unknown profile `{name}`; known profiles: {}", known.join(", "))
    })
}

fn choose_environment<T>(
    definition: &ServerDefinition<T>,
    selection: &Selection,
) -> Result<EnvironmentDefinition, String> {
    let names: Vec<&str> = definition.environments.iter().map(|e| e.name.as_str()).collect();
    let wanted = match (&selection.environment, &definition.default_environment) {
        (Some(name), _) | (None, Some(name)) => name.as_str(),
        (None, None) if names.len() == 1 => names[0],
        (None, None) => {
            return Err(format!("choose an environment with --env or MCP_ENV (one of: {})", names.join(", ")));
        }
    };
    definition
        .environments
        .iter()
        .find(|e| e.name == wanted)
        .cloned()
        .ok_or_else(|| format!("unknown environment `{wanted}`; this server knows: {}", names.join(", ")))
}

fn open_audit(
    definition: Option<&super::definition::AuditDefinition>,
    file: Option<&str>,
) -> Result<Option<Arc<super::audit::AuditLog>>, String> {
    use super::audit::{AuditLog, Sink};
    let (max_bytes, keep) = definition.map_or((10 * 1024 * 1024, 5), |d| (d.max_bytes, d.keep as usize));
    let sink = match (file, definition) {
        (Some(path), _) => Sink::File { path: path.into(), max_bytes, keep },
        (None, Some(d)) if d.file.is_some() => {
            Sink::File { path: d.file.clone().unwrap_or_default().into(), max_bytes, keep }
        }
        (None, Some(d)) if d.stdout => Sink::Stdout,
        _ => return Ok(None),
    };
    AuditLog::open(sink).map(|log| Some(Arc::new(log))).map_err(|err| format!("cannot open the audit trail: {err}"))
}

fn choose_tenant(tenancy: Option<&TenancyDefinition>, selection: &Selection) -> Result<Option<String>, String> {
    match (tenancy, &selection.tenant) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err("--tenant was given, but this server has no tenants".into()),
        (Some(_), None) => Ok(None),
        (Some(tenancy), Some(tenant)) if tenancy.tenants.contains(tenant) => Ok(Some(tenant.clone())),
        (Some(tenancy), Some(tenant)) => {
            Err(format!("unknown tenant `{tenant}`; this server serves: {}", tenancy.tenants.join(", ")))
        }
    }
}

fn http_client(
    user_agent: &str,
    connect_timeout: Duration,
    identity: Option<reqwest::Identity>,
    roots: Vec<reqwest::Certificate>,
) -> Result<reqwest::Client, String> {
    // No overall timeout here: each attempt is bounded by the tool's policy (see `upstream`).
    let mut builder = reqwest::Client::builder().user_agent(user_agent).connect_timeout(connect_timeout);
    if let Some(identity) = identity {
        builder = builder.identity(identity);
    }
    if !roots.is_empty() {
        builder = builder.tls_certs_only(roots);
    }
    builder.build().map_err(|err| format!("cannot create the HTTP client: {err}"))
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

/// How a tool's MCP object comes out of a parsed table: a tree (tests, tables built in code),
/// or the raw text `main` parses the embedded table with, kept as it is until first listed.
pub trait TableTool {
    /// The tool's MCP object as JSON text.
    fn into_raw(self) -> Result<Box<serde_json::value::RawValue>, String>;
}

impl TableTool for ToolJson {
    fn into_raw(self) -> Result<Box<serde_json::value::RawValue>, String> {
        serde_json::value::to_raw_value(&self).map_err(|err| format!("invalid tool in the tool table: {err}"))
    }
}

impl TableTool for Box<serde_json::value::RawValue> {
    fn into_raw(self) -> Result<Box<serde_json::value::RawValue>, String> {
        Ok(self)
    }
}

/// Client rate-limit keys kept before idle ones are dropped.
const CLIENT_KEYS_BEFORE_PRUNING: usize = 10_000;
