//! Auth in the IR: each tool's security requirements and scopes, and every environment fully
//! resolved (base URLs, credentials per scheme and tenant, inbound auth) so that the runtime only
//! picks one by name.
//!
//! Precedence, most specific first: `environments.<env>.tenants.<t>` → `tenancy.tenants.<t>` for
//! a tenant's credentials; `environments.<env>.apis.<id>` → `apis.<id>` for shared ones. A scheme
//! that any tenant binds is per tenant: every tenant must then bind it, and no shared credential
//! is used for it, so one tenant's calls can never borrow another's (or a shared) credential.

use std::collections::BTreeSet;

use indexmap::IndexMap;

use super::build::Input;
use super::{ApiIr, ToolIr};
use crate::definition::{
    ApiKeyDefinition, AuthMethod, ClientAuthMethod, ClientTlsDefinition, CredentialDefinition, EnvironmentApi,
    EnvironmentDefinition, InboundAuthDefinition, IntrospectionDefinition, JwtDefinition, OAuthClientDefinition,
    SecretRef, TenancyDefinition,
};
use crate::diagnostics::{Problem, Problems};
use crate::document::Document;
use crate::manifest::{AuthSection, ClientTlsSection, CredentialBinding, ToolOverride, parse_secret_ref};
use crate::source_map::escape_token;
use crate::spec::Spec;
use crate::spec::operations::SpecOperation;
use crate::spec::security::{SchemeKind, requirements, schemes};

/// Name of the only environment of a manifest without `environments:`.
pub(super) const DEFAULT_ENVIRONMENT: &str = "default";
/// Default clock-skew leeway for inbound JWTs.
const DEFAULT_LEEWAY_SECONDS: u64 = 30;
/// How long an active introspection answer is reused by default: revocation shows within a minute.
const DEFAULT_INTROSPECTION_CACHE_SECONDS: u64 = 60;

/// The auth part of the IR.
pub(super) struct AuthIr {
    pub environments: Vec<EnvironmentDefinition>,
    pub default_environment: Option<String>,
    pub tenancy: Option<TenancyDefinition>,
}

/// Sets the tool's upstream security alternatives and the scopes inbound callers need (the
/// manifest's `scopes`, else the OAuth scopes of the operation's first security alternative).
pub(super) fn apply_security(spec: &Spec, op: &SpecOperation, over: Option<&ToolOverride>, tool: &mut ToolIr) {
    let alternatives = requirements(spec, &op.pointer);
    tool.security = alternatives.iter().map(|alt| alt.iter().map(|(scheme, _)| scheme.clone()).collect()).collect();
    let scopes: BTreeSet<String> = match over.and_then(|o| o.scopes.as_ref()) {
        Some(scopes) => scopes.iter().cloned().collect(),
        None => alternatives.first().into_iter().flatten().flat_map(|(_, scopes)| scopes.iter().cloned()).collect(),
    };
    tool.scopes = scopes.into_iter().collect();
}

/// A binding with where it was written.
type Located<'a, T> = (&'a T, String);

/// One tenant's bindings for one API: name, credentials by scheme, client certificate.
type TenantBindings<'a> =
    (&'a str, IndexMap<&'a str, Located<'a, CredentialBinding>>, Option<Located<'a, ClientTlsSection>>);

/// Resolves environments, tenancy and inbound auth; problems go to `problems`.
pub(super) fn build(input: &Input, apis: &[ApiIr], tools: &[ToolIr], problems: &mut Problems) -> AuthIr {
    let manifest = &input.manifest;
    let doc = &input.manifest_doc;
    let first_new = problems.0.len();
    let tenants: Vec<String> = {
        let mut names: Vec<String> = manifest.tenancy.iter().flat_map(|t| t.tenants.keys().cloned()).collect();
        names.sort();
        names
    };
    let mut names: Vec<&str> = manifest.environments.keys().map(String::as_str).collect();
    if names.is_empty() {
        names.push(DEFAULT_ENVIRONMENT);
    }
    names.sort_unstable();
    let mut environments = Vec::new();
    for env_name in names {
        let env = manifest.environments.get(env_name);
        let env_at = format!("/environments/{}", escape_token(env_name));
        let mut env_apis = Vec::new();
        for api in apis {
            let Some((_, spec)) = input.specs.iter().find(|(id, _)| *id == api.id) else { continue };
            let Some(section) = manifest.apis.get(&api.id) else { continue };
            let api_at = format!("/apis/{}", escape_token(&api.id));
            let env_api = env.and_then(|e| e.apis.get(&api.id));
            let env_api_at = format!("{env_at}/apis/{}", escape_token(&api.id));
            let Some(base_url) = env_api.and_then(|e| e.base_url.clone()).or_else(|| api.base_url.clone()) else {
                let (at, whose) = match env {
                    Some(_) => (env_at.clone(), format!(" in environment `{env_name}`")),
                    None => (api_at.clone(), String::new()),
                };
                problems.push(doc.at_key(
                    &at,
                    Problem::error("mcpgen::manifest::base_url", format!("API `{}` has no base URL{whose}", api.id))
                        .with_help("set `base_url` for this API (or per environment), or give the spec an absolute `servers` URL"),
                    "no base URL",
                ));
                continue;
            };
            let kinds = schemes(spec);
            // Shared bindings: the environment's replace the API section's, scheme by scheme.
            let mut shared: IndexMap<&str, Located<CredentialBinding>> = IndexMap::new();
            for (scheme, binding) in &section.credentials {
                shared.insert(scheme, (binding, format!("{api_at}/credentials/{}", escape_token(scheme))));
            }
            for (scheme, binding) in env_api.iter().flat_map(|e| &e.credentials) {
                shared.insert(scheme, (binding, format!("{env_api_at}/credentials/{}", escape_token(scheme))));
            }
            let shared_tls: Option<Located<ClientTlsSection>> = env_api
                .and_then(|e| e.client_tls.as_ref().map(|t| (t, format!("{env_api_at}/client_tls"))))
                .or_else(|| section.client_tls.as_ref().map(|t| (t, format!("{api_at}/client_tls"))));
            // Per-tenant bindings, the environment's over the tenancy section's.
            let mut per_tenant: Vec<TenantBindings> = Vec::new();
            for tenant in &tenants {
                let base =
                    manifest.tenancy.as_ref().and_then(|t| t.tenants.get(tenant)).and_then(|t| t.apis.get(&api.id));
                let base_at = format!("/tenancy/tenants/{}/apis/{}", escape_token(tenant), escape_token(&api.id));
                let over = env.and_then(|e| e.tenants.get(tenant)).and_then(|t| t.apis.get(&api.id));
                let over_at = format!("{env_at}/tenants/{}/apis/{}", escape_token(tenant), escape_token(&api.id));
                let mut bindings = IndexMap::new();
                for (scheme, binding) in base.iter().flat_map(|s| &s.credentials) {
                    bindings
                        .insert(scheme.as_str(), (binding, format!("{base_at}/credentials/{}", escape_token(scheme))));
                }
                for (scheme, binding) in over.iter().flat_map(|s| &s.credentials) {
                    bindings
                        .insert(scheme.as_str(), (binding, format!("{over_at}/credentials/{}", escape_token(scheme))));
                }
                let tls = over
                    .and_then(|o| o.client_tls.as_ref().map(|t| (t, format!("{over_at}/client_tls"))))
                    .or_else(|| base.and_then(|b| b.client_tls.as_ref().map(|t| (t, format!("{base_at}/client_tls")))));
                per_tenant.push((tenant, bindings, tls));
            }
            let tenant_schemes: BTreeSet<&str> = per_tenant.iter().flat_map(|(_, b, _)| b.keys().copied()).collect();
            let tls_per_tenant = per_tenant.iter().any(|(_, _, tls)| tls.is_some());
            let mut credentials = Vec::new();
            for (scheme, (binding, at)) in &shared {
                if tenant_schemes.contains(scheme) {
                    problems.push(
                        doc.at_key(
                            at,
                            Problem::warning(
                                "mcpgen::auth::shared_unused",
                                format!(
                                    "the shared credential for `{}/{scheme}` is never used: tenants have their own",
                                    api.id
                                ),
                            )
                            .with_help("remove it, or remove the tenants' bindings for this scheme"),
                            "unused",
                        ),
                    );
                    continue;
                }
                credentials.extend(convert(doc, &kinds, &api.id, scheme, binding, at, None, problems));
            }
            for (tenant, bindings, _) in &per_tenant {
                for (scheme, (binding, at)) in bindings {
                    credentials.extend(convert(doc, &kinds, &api.id, scheme, binding, at, Some(tenant), problems));
                }
                for scheme in &tenant_schemes {
                    if !bindings.contains_key(scheme) {
                        problems.push(doc.at_key(
                            &format!("/tenancy/tenants/{}", escape_token(tenant)),
                            Problem::error("mcpgen::auth::tenant_missing", format!("tenant `{tenant}` has no credential for `{}/{scheme}` in environment `{env_name}`, while other tenants have their own", api.id))
                                .with_help("give every tenant its own credential for this scheme (tenants never share per-tenant credentials)"),
                            "incomplete tenant",
                        ));
                    }
                }
            }
            let mut client_tls = Vec::new();
            let mut tls_of = |tls: &Located<ClientTlsSection>, tenant: Option<&str>| {
                let (section, _) = tls;
                let (Ok(cert), Ok(key)) =
                    (parse_secret_ref(&section.cert, false), parse_secret_ref(&section.key, false))
                else {
                    return;
                };
                let ca = section.ca.as_deref().and_then(|ca| parse_secret_ref(ca, false).ok());
                client_tls.push(ClientTlsDefinition { tenant: tenant.map(str::to_owned), cert, key, ca });
            };
            if tls_per_tenant {
                for (tenant, _, tls) in &per_tenant {
                    match tls {
                        Some(tls) => tls_of(tls, Some(tenant)),
                        None => problems.push(doc.at_key(&format!("/tenancy/tenants/{}", escape_token(tenant)), Problem::error("mcpgen::auth::tenant_missing", format!("tenant `{tenant}` has no client certificate for `{}` in environment `{env_name}`, while other tenants have their own", api.id)).with_help("give every tenant its own `client_tls`"), "incomplete tenant")),
                    }
                }
            } else if let Some(tls) = &shared_tls {
                tls_of(tls, None);
            }
            // Mutual TLS schemes are satisfied by the API's client certificate.
            for (scheme, kind) in &kinds {
                if *kind == SchemeKind::MutualTls {
                    for tls in &client_tls {
                        credentials.push(CredentialDefinition {
                            scheme: scheme.clone(),
                            tenant: tls.tenant.clone(),
                            method: AuthMethod::MutualTls,
                        });
                    }
                }
            }
            credentials.sort_by(|a, b| (&a.scheme, &a.tenant).cmp(&(&b.scheme, &b.tenant)));
            warn_unbound(doc, env_name, api, tools, &credentials, problems);
            env_apis.push(EnvironmentApi {
                id: api.id.clone(),
                base_url: base_url.trim_end_matches('/').to_owned(),
                credentials,
                client_tls,
            });
        }
        let inbound = inbound(doc, manifest.auth.as_ref(), env.and_then(|e| e.auth.as_ref()), &env_at, tools, problems);
        environments.push(EnvironmentDefinition { name: env_name.to_owned(), apis: env_apis, inbound });
    }
    let tenancy =
        manifest.tenancy.as_ref().map(|t| TenancyDefinition { claim: t.claim.clone(), tenants: tenants.clone() });
    // A binding shared by several environments is checked once per environment: report each
    // problem once.
    let mut seen = BTreeSet::new();
    let mut index = 0;
    problems.0.retain(|p| {
        index += 1;
        index <= first_new || seen.insert((p.code, p.message.clone(), p.position()))
    });
    AuthIr { environments, default_environment: manifest.default_environment.clone(), tenancy }
}

/// One binding as a credential of the runtime, or `None` after reporting why it cannot be.
#[allow(clippy::too_many_arguments)]
fn convert(
    doc: &Document,
    kinds: &IndexMap<String, SchemeKind>,
    api: &str,
    scheme: &str,
    binding: &CredentialBinding,
    at: &str,
    tenant: Option<&str>,
    problems: &mut Problems,
) -> Option<CredentialDefinition> {
    let Some(kind) = kinds.get(scheme) else {
        let known: Vec<&str> = kinds.keys().map(String::as_str).collect();
        problems.push(
            doc.at_key(
                at,
                Problem::error(
                    "mcpgen::auth::unknown_scheme",
                    format!("the spec of API `{api}` has no security scheme `{scheme}`"),
                )
                .with_help(if known.is_empty() {
                    "the spec declares no securitySchemes; remove this entry".to_owned()
                } else {
                    format!("its schemes are: {}", known.join(", "))
                }),
                "unknown scheme",
            ),
        );
        return None;
    };
    let method = method(doc, kind, scheme, binding, at, problems)?;
    Some(CredentialDefinition { scheme: scheme.to_owned(), tenant: tenant.map(str::to_owned), method })
}

/// The fields each kind of scheme takes (all others are errors).
fn fields_of(kind: &SchemeKind) -> &'static [&'static str] {
    match kind {
        SchemeKind::ApiKey { .. } => &["key"],
        SchemeKind::Bearer => &["token"],
        SchemeKind::Basic => &["username", "password"],
        SchemeKind::OAuth2 { .. } | SchemeKind::OpenIdConnect => {
            &["grant", "client_id", "client_secret", "client_auth", "token_url", "scopes", "audience", "resource"]
        }
        SchemeKind::MutualTls | SchemeKind::Unsupported(_) => &[],
    }
}

fn method(
    doc: &Document,
    kind: &SchemeKind,
    scheme: &str,
    b: &CredentialBinding,
    at: &str,
    problems: &mut Problems,
) -> Option<AuthMethod> {
    let mut error = |field: Option<&str>, message: String, help: String| {
        let pointer = field.map_or_else(|| at.to_owned(), |f| format!("{at}/{f}"));
        problems.push(doc.at_key(&pointer, Problem::error("mcpgen::auth::binding", message).with_help(help), "here"));
    };
    let set: [(&str, bool); 12] = [
        ("key", b.key.is_some()),
        ("token", b.token.is_some()),
        ("username", b.username.is_some()),
        ("password", b.password.is_some()),
        ("grant", b.grant.is_some()),
        ("client_id", b.client_id.is_some()),
        ("client_secret", b.client_secret.is_some()),
        ("client_auth", b.client_auth.is_some()),
        ("token_url", b.token_url.is_some()),
        ("scopes", b.scopes.is_some()),
        ("audience", b.audience.is_some()),
        ("resource", b.resource.is_some()),
    ];
    let allowed = fields_of(kind);
    let what = kind.describe();
    match kind {
        SchemeKind::MutualTls => {
            error(
                None,
                format!("`{scheme}` is a mutual TLS scheme"),
                "bind it with `client_tls: {cert: file:…, key: file:…}` on the API instead of `credentials`".into(),
            );
            return None;
        }
        SchemeKind::Unsupported(_) => {
            error(
                None,
                format!("`{scheme}` is {what}, which generated servers cannot send"),
                "use an API key, HTTP bearer/basic, OAuth 2 or mutual TLS scheme".into(),
            );
            return None;
        }
        _ => {}
    }
    let mut ok = true;
    for (field, present) in set {
        if present && !allowed.contains(&field) {
            error(
                Some(field),
                format!("`{field}` does not apply to `{scheme}` ({what})"),
                format!("this scheme takes: {}", allowed.join(", ")),
            );
            ok = false;
        }
    }
    let mut need = |field: &str, value: &Option<String>, literal_ok: bool| -> Option<SecretRef> {
        match value {
            Some(text) => parse_secret_ref(text, literal_ok).ok(), // bad references were reported with the manifest
            None => {
                error(
                    None,
                    format!("`{scheme}` ({what}) needs `{field}`"),
                    format!("add `{field}: env:NAME` (or `file:PATH`)"),
                );
                None
            }
        }
    };
    let method = match kind {
        SchemeKind::ApiKey { location, name } => {
            AuthMethod::ApiKey { location: *location, name: name.clone(), key: need("key", &b.key, false)? }
        }
        SchemeKind::Bearer => AuthMethod::Bearer { token: need("token", &b.token, false)? },
        SchemeKind::Basic => {
            let username = need("username", &b.username, true);
            AuthMethod::Basic { username: username?, password: need("password", &b.password, false)? }
        }
        SchemeKind::OAuth2 { .. } | SchemeKind::OpenIdConnect => {
            let spec_url = match kind {
                SchemeKind::OAuth2 { token_url } => token_url.clone(),
                _ => None,
            };
            let client_id = need("client_id", &b.client_id, true);
            let client_secret = need("client_secret", &b.client_secret, false);
            let Some(token_url) = b.token_url.clone().or(spec_url) else {
                error(
                    None,
                    format!("`{scheme}` has no token endpoint"),
                    "set `token_url` (the scheme's flows give no tokenUrl)".into(),
                );
                return None;
            };
            let client = OAuthClientDefinition {
                token_url,
                client_id: client_id?,
                client_secret: client_secret?,
                client_auth: client_auth(b.client_auth.as_deref()),
                scopes: b.scopes.clone().unwrap_or_default(),
                audience: b.audience.clone(),
                resource: b.resource.clone(),
            };
            match b.grant.as_deref() {
                Some("token_exchange") => AuthMethod::TokenExchange { client },
                _ => AuthMethod::ClientCredentials { client },
            }
        }
        _ => return None,
    };
    ok.then_some(method)
}

/// Warns once per API and environment about tools whose every security alternative lacks a
/// credential (their calls would fail).
fn warn_unbound(
    doc: &Document,
    env: &str,
    api: &ApiIr,
    tools: &[ToolIr],
    credentials: &[CredentialDefinition],
    problems: &mut Problems,
) {
    let bound: BTreeSet<&str> = credentials.iter().map(|c| c.scheme.as_str()).collect();
    let mut missing: BTreeSet<&str> = BTreeSet::new();
    let mut count = 0;
    for tool in tools.iter().filter(|t| t.api == api.id && !t.security.is_empty()) {
        if !tool.security.iter().any(|alt| alt.iter().all(|s| bound.contains(s.as_str()))) {
            count += 1;
            missing.extend(tool.security.iter().flatten().map(String::as_str).filter(|s| !bound.contains(s)));
        }
    }
    if count > 0 {
        let list: Vec<&str> = missing.into_iter().collect();
        problems.push(doc.at_key(
            &format!("/apis/{}", escape_token(&api.id)),
            Problem::warning(
                "mcpgen::auth::unbound",
                format!("{count} tool(s) of API `{}` need credentials that environment `{env}` does not configure (schemes: {})", api.id, list.join(", ")),
            )
            .with_help("bind them under `credentials:` (see docs/auth.md); until then those calls fail with an explanation"),
            "unbound schemes",
        ));
    }
}

/// An OAuth client's `client_auth` (unknown names were reported with the manifest).
fn client_auth(name: Option<&str>) -> ClientAuthMethod {
    match name {
        Some("client_secret_post") => ClientAuthMethod::ClientSecretPost,
        _ => ClientAuthMethod::ClientSecretBasic,
    }
}

/// The inbound auth of an environment: the top-level `auth` with the environment's keys over it.
fn inbound(
    doc: &Document,
    base: Option<&AuthSection>,
    over: Option<&AuthSection>,
    env_at: &str,
    tools: &[ToolIr],
    problems: &mut Problems,
) -> Option<InboundAuthDefinition> {
    if base.is_none() && over.is_none() {
        return None;
    }
    let pick = |f: fn(&AuthSection) -> Option<String>| over.and_then(f).or_else(|| base.and_then(f));
    let at = if over.is_some() { format!("{env_at}/auth") } else { "/auth".to_owned() };
    let resource = pick(|a| a.resource.clone());
    let issuer = pick(|a| a.issuer.clone());
    let jwks_url = pick(|a| a.jwks_url.clone());
    let api_keys =
        over.and_then(|a| a.api_keys.clone()).or_else(|| base.and_then(|a| a.api_keys.clone())).unwrap_or_default();
    let mut fail = |message: String, help: &str| {
        problems.push(doc.at_key(
            &at,
            Problem::error("mcpgen::auth::inbound", message).with_help(help.to_owned()),
            "here",
        ));
    };
    let Some(resource) = resource else {
        fail(
            "inbound auth needs `resource`".into(),
            "set it to this server's public MCP URL, e.g. `https://mcp.example.com/mcp` (tokens must name it as their audience)",
        );
        return None;
    };
    let leeway_seconds = over
        .and_then(|a| a.leeway_seconds)
        .or_else(|| base.and_then(|a| a.leeway_seconds))
        .unwrap_or(DEFAULT_LEEWAY_SECONDS);
    let introspection = over
        .and_then(|a| a.introspection.clone())
        .or_else(|| base.and_then(|a| a.introspection.clone()))
        .and_then(|section| {
            Some(IntrospectionDefinition {
                url: section.url,
                // Bad references were reported with the manifest.
                client_id: parse_secret_ref(&section.client_id, true).ok()?,
                client_secret: parse_secret_ref(&section.client_secret, false).ok()?,
                client_auth: client_auth(section.client_auth.as_deref()),
                issuer: issuer.clone(),
                cache_seconds: section.cache_seconds.unwrap_or(DEFAULT_INTROSPECTION_CACHE_SECONDS),
                leeway_seconds,
            })
        });
    let jwt = match (issuer.clone(), jwks_url) {
        (Some(issuer), Some(jwks_url)) => Some(JwtDefinition {
            issuer,
            jwks_url,
            algorithms: over
                .and_then(|a| a.algorithms.clone())
                .or_else(|| base.and_then(|a| a.algorithms.clone()))
                .unwrap_or_else(|| crate::manifest::ALGORITHMS.iter().map(|a| (*a).to_owned()).collect()),
            leeway_seconds,
        }),
        (None, None) => None,
        // With introspection alone, `issuer` is checked against the answers' `iss`.
        (Some(_), None) if introspection.is_some() => None,
        _ => {
            fail(
                "inbound JWT validation needs both `issuer` and `jwks_url`".into(),
                "set both, or neither to accept only `api_keys` (and `introspection`)",
            );
            return None;
        }
    };
    if jwt.is_none() && api_keys.is_empty() && introspection.is_none() {
        fail(
            "inbound auth accepts no credential".into(),
            "set `issuer` + `jwks_url` (JWT access tokens), `introspection` (opaque tokens) and/or `api_keys`",
        );
        return None;
    }
    let authorization_servers = over
        .and_then(|a| a.authorization_servers.clone())
        .or_else(|| base.and_then(|a| a.authorization_servers.clone()))
        .unwrap_or_else(|| issuer.iter().cloned().collect());
    let scopes_supported = over
        .and_then(|a| a.scopes_supported.clone())
        .or_else(|| base.and_then(|a| a.scopes_supported.clone()))
        .unwrap_or_else(|| {
            let all: BTreeSet<String> = tools.iter().flat_map(|t| t.scopes.iter().cloned()).collect();
            all.into_iter().collect()
        });
    let mut keys: Vec<ApiKeyDefinition> = api_keys
        .into_iter()
        .map(|(id, key)| ApiKeyDefinition {
            id,
            sha256: key.sha256.to_ascii_lowercase(),
            scopes: key.scopes,
            tenant: key.tenant,
            roles: key.roles,
        })
        .collect();
    keys.sort_by(|a, b| a.id.cmp(&b.id));
    Some(InboundAuthDefinition {
        resource,
        authorization_servers,
        jwt,
        introspection,
        api_keys: keys,
        scopes_supported,
    })
}
