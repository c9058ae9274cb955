//! Manifest sections about authentication: upstream credential bindings, environments, tenants and
//! inbound (MCP client) auth. See `docs/auth.md`.
//!
//! Secrets are written only as references (`env:NAME`, `file:PATH`); a literal where a secret
//! belongs is an error pointing at it, so a key pasted into the manifest never reaches a generated
//! file or a commit.

use indexmap::IndexMap;
use serde::Deserialize;

use super::{Manifest, is_env_var};
use crate::definition::SecretRef;
use crate::diagnostics::Problem;
use crate::document::Document;
use crate::source_map::escape_token;

/// A credential for one security scheme. Which fields apply depends on the scheme's type in the
/// spec (checked when the spec is known): `key` (apiKey), `token` (http bearer), `username` +
/// `password` (http basic), `client_id` + `client_secret` [+ `grant`, `client_auth`, `token_url`,
/// `scopes`, `audience`, `resource`] (oauth2 / openIdConnect).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialBinding {
    /// API key (secret reference).
    #[serde(default)]
    pub key: Option<String>,
    /// Bearer token (secret reference).
    #[serde(default)]
    pub token: Option<String>,
    /// Basic-auth user name (value or reference).
    #[serde(default)]
    pub username: Option<String>,
    /// Basic-auth password (secret reference).
    #[serde(default)]
    pub password: Option<String>,
    /// OAuth grant: `client_credentials` (default) or `token_exchange`.
    #[serde(default)]
    pub grant: Option<String>,
    /// OAuth client id (value or reference).
    #[serde(default)]
    pub client_id: Option<String>,
    /// OAuth client secret (secret reference).
    #[serde(default)]
    pub client_secret: Option<String>,
    /// How the client authenticates at the token endpoint: `client_secret_basic` (default) or
    /// `client_secret_post` (RFC 8414 names).
    #[serde(default)]
    pub client_auth: Option<String>,
    /// Token endpoint; defaults to the spec's `clientCredentials.tokenUrl`.
    #[serde(default)]
    pub token_url: Option<String>,
    /// Scopes to request.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// `audience` token request parameter.
    #[serde(default)]
    pub audience: Option<String>,
    /// `resource` token request parameter (RFC 8707).
    #[serde(default)]
    pub resource: Option<String>,
}

/// A client certificate for mutual TLS (both secret references, PEM).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientTlsSection {
    /// Certificate chain.
    pub cert: String,
    /// Private key.
    pub key: String,
    /// CA bundle that alone is trusted for the API's server certificate (private PKI).
    #[serde(default)]
    pub ca: Option<String>,
}

/// `environments.<name>:`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSection {
    /// Per-API overrides.
    #[serde(default)]
    pub apis: IndexMap<String, EnvironmentApiSection>,
    /// Overrides of the inbound auth settings (each key set here replaces the top-level one).
    #[serde(default)]
    pub auth: Option<AuthSection>,
    /// Per-tenant credential overrides in this environment.
    #[serde(default)]
    pub tenants: IndexMap<String, TenantSection>,
}

/// `environments.<name>.apis.<id>:`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentApiSection {
    /// Base URL in this environment.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Credential overrides, by scheme.
    #[serde(default)]
    pub credentials: IndexMap<String, CredentialBinding>,
    /// Client certificate override.
    #[serde(default)]
    pub client_tls: Option<ClientTlsSection>,
}

/// `tenancy:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenancySection {
    /// Claim of the inbound token naming the tenant.
    #[serde(default = "default_claim")]
    pub claim: String,
    /// Tenants by name.
    pub tenants: IndexMap<String, TenantSection>,
}

fn default_claim() -> String {
    "tenant".to_owned()
}

/// A tenant's credentials.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSection {
    /// Per-API credentials of the tenant.
    #[serde(default)]
    pub apis: IndexMap<String, TenantApiSection>,
}

/// A tenant's credentials for one API.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantApiSection {
    /// Credentials by scheme.
    #[serde(default)]
    pub credentials: IndexMap<String, CredentialBinding>,
    /// Client certificate.
    #[serde(default)]
    pub client_tls: Option<ClientTlsSection>,
}

/// `auth:` — the server as an OAuth 2.1 resource server.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSection {
    /// Canonical URI of this server's MCP endpoint, the audience of its tokens.
    #[serde(default)]
    pub resource: Option<String>,
    /// Token issuer (`iss`).
    #[serde(default)]
    pub issuer: Option<String>,
    /// JWKS URL of the issuer.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// Authorization servers announced to clients (default: the issuer).
    #[serde(default)]
    pub authorization_servers: Option<Vec<String>>,
    /// Accepted JWT algorithms (default RS256, ES256, EdDSA).
    #[serde(default)]
    pub algorithms: Option<Vec<String>>,
    /// Clock skew tolerated on `exp`/`nbf` (default 30).
    #[serde(default)]
    pub leeway_seconds: Option<u64>,
    /// Scopes announced in the metadata (default: every scope a tool requires).
    #[serde(default)]
    pub scopes_supported: Option<Vec<String>>,
    /// Static client API keys by client name.
    #[serde(default)]
    pub api_keys: Option<IndexMap<String, ApiKeySection>>,
    /// Token introspection (RFC 7662) for opaque access tokens.
    #[serde(default)]
    pub introspection: Option<IntrospectionSection>,
}

/// `auth.introspection` — where opaque tokens are checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntrospectionSection {
    /// Introspection endpoint.
    pub url: String,
    /// This server's client id (value or reference).
    pub client_id: String,
    /// Its client secret (secret reference).
    pub client_secret: String,
    /// `client_secret_basic` (default) or `client_secret_post`.
    #[serde(default)]
    pub client_auth: Option<String>,
    /// Longest reuse of an active answer, in seconds (default 60).
    #[serde(default)]
    pub cache_seconds: Option<u64>,
}

/// A static client API key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeySection {
    /// Lower-case hex SHA-256 of the key (`printf %s "$KEY" | sha256sum`).
    pub sha256: String,
    /// Scopes the key grants.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Tenant the key acts for.
    #[serde(default)]
    pub tenant: Option<String>,
    /// Roles the key has (`governance.roles`).
    #[serde(default)]
    pub roles: Vec<String>,
}

/// JWT algorithms a server may accept (asymmetric only).
pub const ALGORITHMS: &[&str] = &["RS256", "ES256", "EdDSA"];

/// Parses `env:NAME`, `file:PATH`, or (when `literal_ok`) a plain value.
pub fn parse_secret_ref(text: &str, literal_ok: bool) -> Result<SecretRef, String> {
    if let Some(name) = text.strip_prefix("env:") {
        return if is_env_var(name) {
            Ok(SecretRef::Env(name.to_owned()))
        } else {
            Err(format!("`{name}` is not a portable environment variable name (upper-case letters, digits, `_`)"))
        };
    }
    if let Some(path) = text.strip_prefix("file:") {
        return if path.trim().is_empty() {
            Err("`file:` needs a path".into())
        } else {
            Ok(SecretRef::File(path.to_owned()))
        };
    }
    if literal_ok {
        Ok(SecretRef::Value(text.to_owned()))
    } else {
        Err("a secret cannot be written into the manifest".into())
    }
}

/// Fields of credential bindings and client certificates that only take references.
const SECRET_FIELDS: &[(&str, &[&str])] = &[
    ("credentials", &["key", "token", "password", "client_secret"]),
    ("client_tls", &["cert", "key"]),
    ("introspection", &["client_secret"]),
];

/// Pointers of the secrets written literally into the manifest (wherever bindings may appear).
pub(super) fn literal_secrets(value: &serde_json::Value) -> Vec<String> {
    fn walk(value: &serde_json::Value, pointer: &str, out: &mut Vec<String>) {
        let serde_json::Value::Object(map) = value else { return };
        for (key, child) in map {
            let at = format!("{pointer}/{}", escape_token(key));
            let fields = SECRET_FIELDS.iter().find(|(section, _)| section == key).map(|(_, fields)| *fields);
            match (fields, child) {
                (Some(fields), serde_json::Value::Object(entries)) if key == "client_tls" || key == "introspection" => {
                    collect(entries, &at, fields, out);
                }
                (Some(fields), serde_json::Value::Object(bindings)) => {
                    for (scheme, binding) in bindings {
                        if let serde_json::Value::Object(entries) = binding {
                            collect(entries, &format!("{at}/{}", escape_token(scheme)), fields, out);
                        }
                    }
                }
                _ => walk(child, &at, out),
            }
        }
    }
    fn collect(entries: &serde_json::Map<String, serde_json::Value>, at: &str, fields: &[&str], out: &mut Vec<String>) {
        for field in fields {
            if let Some(serde_json::Value::String(text)) = entries.get(*field)
                && !text.starts_with("env:")
                && !text.starts_with("file:")
            {
                out.push(format!("{at}/{field}"));
            }
        }
    }
    let mut out = Vec::new();
    walk(value, "", &mut out);
    out
}

/// Checks what can be checked without the specs; adds to `problems`.
pub(super) fn check(doc: &Document, manifest: &Manifest, problems: &mut Vec<Problem>) {
    let mut bad = |pointer: String, message: String, help: &str| {
        let problem = Problem::error("mcpgen::manifest::auth", message).with_help(help.to_owned());
        problems.push(doc.at_value(&pointer, problem, "here"));
    };
    let tenants: Vec<&String> = manifest.tenancy.iter().flat_map(|t| t.tenants.keys()).collect();
    for (id, api) in &manifest.apis {
        let at = format!("/apis/{}", escape_token(id));
        check_bindings(&at, &api.credentials, api.client_tls.as_ref(), &mut bad);
    }
    for (name, env) in &manifest.environments {
        let at = format!("/environments/{}", escape_token(name));
        for (id, api) in &env.apis {
            let api_at = format!("{at}/apis/{}", escape_token(id));
            if !manifest.apis.contains_key(id) {
                bad(
                    api_at.clone(),
                    format!("environment `{name}` configures unknown API `{id}`"),
                    "use an id listed under `apis:`",
                );
            }
            if let Some(url) = &api.base_url
                && !is_http_url(url)
            {
                bad(
                    format!("{api_at}/base_url"),
                    format!("base URL `{url}` is not an absolute http(s) URL"),
                    "write the full URL, e.g. `https://api.example.com/v1`",
                );
            }
            check_bindings(&api_at, &api.credentials, api.client_tls.as_ref(), &mut bad);
        }
        for (tenant, section) in &env.tenants {
            let tenant_at = format!("{at}/tenants/{}", escape_token(tenant));
            if !tenants.contains(&tenant) {
                bad(
                    tenant_at.clone(),
                    format!("environment `{name}` configures unknown tenant `{tenant}`"),
                    "list the tenant under `tenancy.tenants` first",
                );
            }
            check_tenant(&tenant_at, manifest, section, &mut bad);
        }
        if let Some(auth) = &env.auth {
            check_auth(&format!("{at}/auth"), auth, &tenants, &mut bad);
        }
    }
    if let Some(default) = &manifest.default_environment
        && !manifest.environments.contains_key(default)
    {
        bad(
            "/default_environment".into(),
            format!("`{default}` is not one of the environments"),
            "name an environment defined under `environments:`",
        );
    }
    if let Some(tenancy) = &manifest.tenancy {
        if tenancy.tenants.is_empty() {
            bad(
                "/tenancy/tenants".into(),
                "tenancy lists no tenants".into(),
                "add at least one tenant, or remove `tenancy:`",
            );
        }
        for (tenant, section) in &tenancy.tenants {
            let at = format!("/tenancy/tenants/{}", escape_token(tenant));
            if tenant.is_empty() || tenant.chars().any(|c| c.is_control() || c == ',') {
                bad(
                    at.clone(),
                    format!("`{tenant}` is not a usable tenant name"),
                    "use letters, digits, `-`, `_` or `.`",
                );
            }
            check_tenant(&at, manifest, section, &mut bad);
        }
    }
    if let Some(auth) = &manifest.auth {
        check_auth("/auth", auth, &tenants, &mut bad);
    }
}

fn check_tenant(at: &str, manifest: &Manifest, section: &TenantSection, bad: &mut impl FnMut(String, String, &str)) {
    for (id, api) in &section.apis {
        let api_at = format!("{at}/apis/{}", escape_token(id));
        if !manifest.apis.contains_key(id) {
            bad(api_at.clone(), format!("unknown API `{id}`"), "use an id listed under `apis:`");
        }
        check_bindings(&api_at, &api.credentials, api.client_tls.as_ref(), bad);
    }
}

fn check_bindings(
    at: &str,
    bindings: &IndexMap<String, CredentialBinding>,
    tls: Option<&ClientTlsSection>,
    bad: &mut impl FnMut(String, String, &str),
) {
    for (scheme, binding) in bindings {
        let binding_at = format!("{at}/credentials/{}", escape_token(scheme));
        let fields: [(&str, &Option<String>, bool); 5] = [
            ("key", &binding.key, false),
            ("token", &binding.token, false),
            ("password", &binding.password, false),
            ("client_secret", &binding.client_secret, false),
            ("username", &binding.username, true),
        ];
        for (field, value, literal_ok) in fields.into_iter().chain([("client_id", &binding.client_id, true)]) {
            if let Some(text) = value {
                check_ref(&format!("{binding_at}/{field}"), text, literal_ok, bad);
            }
        }
        if let Some(grant) = &binding.grant
            && !matches!(grant.as_str(), "client_credentials" | "token_exchange")
        {
            bad(
                format!("{binding_at}/grant"),
                format!("unknown grant `{grant}`"),
                "use `client_credentials` or `token_exchange`",
            );
        }
        check_client_auth(&format!("{binding_at}/client_auth"), binding.client_auth.as_deref(), bad);
        for (field, value) in [("token_url", &binding.token_url), ("resource", &binding.resource)] {
            if let Some(url) = value
                && !is_http_url(url)
            {
                bad(
                    format!("{binding_at}/{field}"),
                    format!("`{url}` is not an absolute http(s) URL"),
                    "write the full URL",
                );
            }
        }
    }
    if let Some(tls) = tls {
        check_ref(&format!("{at}/client_tls/cert"), &tls.cert, false, bad);
        check_ref(&format!("{at}/client_tls/key"), &tls.key, false, bad);
        if let Some(ca) = &tls.ca {
            check_ref(&format!("{at}/client_tls/ca"), ca, false, bad);
        }
    }
}

fn check_ref(at: &str, text: &str, literal_ok: bool, bad: &mut impl FnMut(String, String, &str)) {
    if let Err(why) = parse_secret_ref(text, literal_ok) {
        let literal = !text.starts_with("env:") && !text.starts_with("file:");
        let message =
            if literal { format!("literal secret: {why}") } else { format!("invalid secret reference: {why}") };
        bad(
            at.to_owned(),
            message,
            "write a reference instead: `env:NAME` (an environment variable) or `file:PATH` (a file, re-read when it changes)",
        );
    }
}

/// `client_auth` of an OAuth client: one of RFC 8414's names this server can send.
fn check_client_auth(at: &str, method: Option<&str>, bad: &mut impl FnMut(String, String, &str)) {
    if let Some(method) = method
        && !matches!(method, "client_secret_basic" | "client_secret_post")
    {
        bad(
            at.to_owned(),
            format!("unknown client authentication `{method}`"),
            "use `client_secret_basic` (HTTP Basic, the default) or `client_secret_post` (in the form body)",
        );
    }
}

fn check_auth(at: &str, auth: &AuthSection, tenants: &[&String], bad: &mut impl FnMut(String, String, &str)) {
    if let Some(resource) = &auth.resource
        && (!is_http_url(resource) || resource.contains('#'))
    {
        bad(
            format!("{at}/resource"),
            format!("`{resource}` is not a canonical resource URI"),
            "write the absolute URL of the MCP endpoint, e.g. `https://mcp.example.com/mcp` (no fragment)",
        );
    }
    for (field, value) in [("issuer", &auth.issuer), ("jwks_url", &auth.jwks_url)] {
        if let Some(url) = value
            && !is_http_url(url)
        {
            bad(format!("{at}/{field}"), format!("`{url}` is not an absolute http(s) URL"), "write the full URL");
        }
    }
    for (i, alg) in auth.algorithms.iter().flatten().enumerate() {
        if !ALGORITHMS.contains(&alg.as_str()) {
            bad(
                format!("{at}/algorithms/{i}"),
                format!("algorithm `{alg}` is not accepted"),
                "use RS256, ES256 or EdDSA (shared-secret and `none` algorithms are never accepted)",
            );
        }
    }
    if let Some(introspection) = &auth.introspection {
        let intro_at = format!("{at}/introspection");
        if !is_http_url(&introspection.url) {
            bad(
                format!("{intro_at}/url"),
                format!("`{}` is not an absolute http(s) URL", introspection.url),
                "write the full URL of the authorization server's introspection endpoint",
            );
        }
        check_ref(&format!("{intro_at}/client_id"), &introspection.client_id, true, bad);
        check_ref(&format!("{intro_at}/client_secret"), &introspection.client_secret, false, bad);
        check_client_auth(&format!("{intro_at}/client_auth"), introspection.client_auth.as_deref(), bad);
    }
    for (client, key) in auth.api_keys.iter().flatten() {
        let key_at = format!("{at}/api_keys/{}", escape_token(client));
        if key.sha256.len() != 64 || !key.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
            bad(
                format!("{key_at}/sha256"),
                "not a SHA-256 digest (64 hex digits)".into(),
                "store the digest, never the key: `printf %s \"$KEY\" | sha256sum`",
            );
        }
        if let Some(tenant) = &key.tenant
            && !tenants.contains(&tenant)
        {
            bad(
                format!("{key_at}/tenant"),
                format!("unknown tenant `{tenant}`"),
                "list the tenant under `tenancy.tenants`",
            );
        }
    }
}

/// `http://` or `https://` followed by a host.
pub(crate) fn is_http_url(url: &str) -> bool {
    url.strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
}
