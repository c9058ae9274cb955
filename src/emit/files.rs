//! Non-Rust text files, rendered from askama templates through one view-model struct each.
//!
//! Values are escaped here for the target syntax (TOML strings, Markdown table cells) because
//! askama picks escapers by file extension and knows neither.

use askama::Template;

use super::{internal, one_line, runtime};
use crate::definition::{AuthMethod, EnvironmentDefinition, SecretRef};
use crate::diagnostics::Problem;
use crate::ir::{ServerIr, ToolIr};

#[derive(Template)]
#[template(path = "Cargo.toml.j2", escape = "none")]
struct CargoToml<'a> {
    header: &'a str,
    name: &'a str,
    version: &'a str,
    description_toml: String,
    lib_name: &'a str,
    dependencies: String,
    features: String,
}

/// `Cargo.toml` of the generated crate.
pub(super) fn cargo_toml(ir: &ServerIr, header: &str) -> Result<String, Problem> {
    let description = ir.description.clone().unwrap_or_else(|| format!("MCP server for {}", api_titles(ir)));
    let view = CargoToml {
        header,
        name: &ir.name,
        version: &ir.version,
        description_toml: toml_string(&one_line(&description)),
        lib_name: &ir.lib_name,
        dependencies: runtime::dependencies(),
        features: runtime::features(),
    };
    finish(view.render(), "Cargo.toml")
}

struct ApiRow {
    id: String,
    title_md: String,
    base_url_env: String,
}

struct EnvView {
    name: String,
    is_default: bool,
    /// (API id, base URL).
    base_urls: Vec<(String, String)>,
    /// (reference, kind, used for), all Markdown-safe.
    secrets: Vec<(String, &'static str, String)>,
    inbound_md: Option<String>,
}

struct ToolRow {
    name: String,
    route_md: String,
    hints: String,
    owner_md: String,
    summary_md: String,
}

#[derive(Template)]
#[template(path = "README.md.j2", escape = "none")]
struct Readme<'a> {
    header: &'a str,
    title_md: String,
    description_md: String,
    apis: Vec<ApiRow>,
    tools: Vec<ToolRow>,
    tool_count: usize,
    environments: Vec<EnvView>,
    several_environments: bool,
    tenancy_md: Option<String>,
}

/// `README.md` of the generated crate.
pub(super) fn readme(ir: &ServerIr, header: &str) -> Result<String, Problem> {
    let view = Readme {
        header,
        title_md: markdown(ir.title.as_deref().unwrap_or(&ir.name)),
        description_md: markdown(ir.description.as_deref().unwrap_or(&format!("MCP server for {}.", api_titles(ir)))),
        apis: ir
            .apis
            .iter()
            .map(|api| ApiRow {
                id: api.id.clone(),
                title_md: markdown(&api.title),
                base_url_env: api.base_url_env.clone(),
            })
            .collect(),
        tools: ir.tools.iter().map(tool_row).collect(),
        tool_count: ir.tools.len(),
        environments: ir.environments.iter().map(|env| env_view(env, ir)).collect(),
        several_environments: ir.environments.len() > 1,
        tenancy_md: ir.tenancy.as_ref().map(|t| {
            format!(
                "Tenants: {}. Over HTTP with inbound auth, a caller's tenant is the `{}` claim of its token (or its API key's tenant); otherwise start the server with `--tenant` (`MCP_TENANT`). Calls never use another tenant's credentials, and unknown tenants are refused.",
                t.tenants.iter().map(|n| format!("`{}`", code(n))).collect::<Vec<_>>().join(", "),
                markdown(&t.claim)
            )
        }),
    };
    finish(view.render(), "README.md")
}

fn env_view(env: &EnvironmentDefinition, ir: &ServerIr) -> EnvView {
    let mut secrets: Vec<(String, &'static str, String)> = Vec::new();
    let mut add = |reference: &SecretRef, used_for: String| {
        let (shown, kind) = match reference {
            SecretRef::Env(name) => (format!("`{name}`"), "environment variable"),
            SecretRef::File(path) => (format!("`{}`", code(path)), "file"),
            SecretRef::Value(_) => return,
        };
        match secrets.iter_mut().find(|(s, k, _)| *s == shown && *k == kind) {
            Some((_, _, uses)) => uses.push_str(&format!(", {used_for}")),
            None => secrets.push((shown, kind, used_for)),
        }
    };
    for api in &env.apis {
        for credential in &api.credentials {
            let owner = match &credential.tenant {
                Some(tenant) => format!("{} / {} (tenant {})", api.id, credential.scheme, tenant),
                None => format!("{} / {}", api.id, credential.scheme),
            };
            let owner = markdown(&owner);
            match &credential.method {
                AuthMethod::ApiKey { key, .. } => add(key, format!("{owner}: API key")),
                AuthMethod::Bearer { token } => add(token, format!("{owner}: bearer token")),
                AuthMethod::Basic { username, password } => {
                    add(username, format!("{owner}: user name"));
                    add(password, format!("{owner}: password"));
                }
                AuthMethod::ClientCredentials { client } | AuthMethod::TokenExchange { client } => {
                    add(&client.client_id, format!("{owner}: OAuth client id"));
                    add(&client.client_secret, format!("{owner}: OAuth client secret"));
                }
                AuthMethod::MutualTls => {}
            }
        }
        for tls in &api.client_tls {
            let owner = match &tls.tenant {
                Some(tenant) => format!("{} (tenant {})", api.id, tenant),
                None => api.id.clone(),
            };
            add(&tls.cert, format!("{}: client certificate (PEM)", markdown(&owner)));
            add(&tls.key, format!("{}: client key (PEM)", markdown(&owner)));
            if let Some(ca) = &tls.ca {
                add(ca, format!("{}: trusted CA bundle (PEM)", markdown(&owner)));
            }
        }
    }
    if let Some(introspection) = env.inbound.as_ref().and_then(|auth| auth.introspection.as_ref()) {
        add(&introspection.client_id, "inbound token introspection: client id".into());
        add(&introspection.client_secret, "inbound token introspection: client secret".into());
    }
    let inbound_md = env.inbound.as_ref().map(|auth| {
        let mut text = format!(
            "Over HTTP, MCP clients must send `Authorization: Bearer …` for resource `{}`",
            code(&auth.resource)
        );
        if let Some(jwt) = &auth.jwt {
            text.push_str(&format!(
                ": an OAuth access token from `{}` ({}), checked against its JWKS",
                code(&jwt.issuer),
                jwt.algorithms.join(", ")
            ));
        }
        if let Some(introspection) = &auth.introspection {
            text.push_str(&format!(
                "{} opaque access tokens, checked at `{}` (RFC 7662; answers reused for up to {} s)",
                if auth.jwt.is_some() { "; also" } else { ":" },
                code(&introspection.url),
                introspection.cache_seconds
            ));
        }
        if !auth.api_keys.is_empty() {
            let names: Vec<String> = auth.api_keys.iter().map(|k| markdown(&k.id)).collect();
            text.push_str(&format!("; static API keys are accepted for: {}", names.join(", ")));
        }
        text.push('.');
        text
    });
    EnvView {
        is_default: ir.default_environment.as_deref() == Some(&env.name) || ir.environments.len() == 1,
        name: markdown(&env.name),
        base_urls: env.apis.iter().map(|a| (a.id.clone(), code(&a.base_url))).collect(),
        secrets,
        inbound_md,
    }
}

fn tool_row(tool: &ToolIr) -> ToolRow {
    let a = tool.annotations;
    let hints: Vec<&str> = [
        (a.read_only, "read-only"),
        (a.destructive, "destructive"),
        (a.idempotent, "idempotent"),
        (tool.deprecated, "deprecated"),
    ]
    .into_iter()
    .filter_map(|(on, word)| on.then_some(word))
    .collect();
    let first_line = tool.description.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    ToolRow {
        name: tool.name.clone(),
        route_md: format!("{} {}", tool.method, markdown(&tool.path)),
        hints: hints.join(", "),
        owner_md: tool.owner.as_deref().map(markdown).unwrap_or_default(),
        summary_md: markdown(first_line),
    }
}

fn finish(rendered: askama::Result<String>, what: &str) -> Result<String, Problem> {
    let mut text = rendered.map_err(|err| internal(what, err))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

fn api_titles(ir: &ServerIr) -> String {
    ir.apis.iter().map(|a| a.title.as_str()).collect::<Vec<_>>().join(", ")
}

/// A TOML basic string. JSON string escapes are a subset of TOML's, so serde_json's output is valid.
fn toml_string(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

/// Text safe inside a Markdown code span: one line, no backtick.
fn code(text: &str) -> String {
    one_line(text).replace('`', "%60")
}

/// Text safe inside a Markdown table cell: one line, no HTML, no table or emphasis syntax.
fn markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in one_line(text).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_strings_escape_quotes_backslashes_and_control_characters() {
        assert_eq!(toml_string("a \"b\" \\ c\td"), r#""a \"b\" \\ c\td""#);
    }

    #[test]
    fn markdown_cells_cannot_break_the_table_or_inject_html() {
        assert_eq!(markdown("a | b <script> & `x`\nnext"), r"a \| b &lt;script&gt; &amp; \`x\` next");
    }
}
