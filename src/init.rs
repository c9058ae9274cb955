//! `mcpgen init`: a starter manifest for a spec — its API, base URL, detected security schemes
//! bound to environment variables, its tags (to narrow the tools), and dev/prod profiles — that
//! generates as written and is meant to be edited.

use heck::{ToKebabCase, ToShoutySnakeCase, ToSnakeCase};
use serde_json::Value;

use crate::spec::Spec;
use crate::spec::security::{SchemeKind, schemes};

/// The manifest text for `spec`, read from `spec_path` (as the manifest will refer to it).
pub fn starter_manifest(spec_path: &str, spec: &Spec) -> String {
    let title = spec.api.info.title.trim();
    let slug = title.to_kebab_case().chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect::<String>();
    let slug = if slug.starts_with(|c: char| c.is_ascii_lowercase()) { slug } else { format!("api-{slug}") };
    let slug: String = slug.trim_matches('-').chars().take(40).collect();
    let id = slug.to_snake_case();
    let shout = id.to_shouty_snake_case();
    let quote = |text: &str| Value::String(text.to_owned()).to_string();
    let base_url =
        spec.api.servers.iter().map(|s| s.url.trim_end_matches('/').to_owned()).find(|u| u.starts_with("http"));
    let mut out = Vec::new();
    out.push(format!(
        "# Starter manifest written by `mcpgen init` from {spec_path}. Edit it, then run `mcpgen generate`."
    ));
    out.push("# Every key: docs/manifest.md; credentials: docs/auth.md; resilience: docs/operations.md.".into());
    out.push("version: 1".into());
    out.push("server:".into());
    out.push(format!("  name: {slug}-mcp"));
    out.push(format!("  title: {}", quote(title)));
    if let Some(description) =
        spec.api.info.description.as_deref().and_then(|d| d.lines().find(|l| !l.trim().is_empty()))
    {
        out.push(format!("  description: {}", quote(description.trim())));
    }
    out.push("apis:".into());
    out.push(format!("  {id}:"));
    out.push(format!("    spec: {}", quote(spec_path)));
    match &base_url {
        Some(url) => out.push(format!("    base_url: {}", quote(url))),
        None => out.push(
            "    base_url: https://api.example.com   # the spec has no absolute server URL: set the real one".into(),
        ),
    }
    let tags: Vec<&str> = spec.api.tags.iter().map(|t| t.name.as_str()).collect();
    if !tags.is_empty() {
        out.push(format!("    # Expose only some operations: include: {{tags: [{}]}}", tags.join(", ")));
    }
    let mut bindings = Vec::new();
    let mut notes = Vec::new();
    for (name, kind) in schemes(spec) {
        let var = format!("{shout}_{}", name.to_shouty_snake_case());
        let key = if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') { name.clone() } else { quote(&name) };
        match kind {
            SchemeKind::ApiKey { .. } => bindings.push(format!("      {key}: {{key: env:{var}_KEY}}")),
            SchemeKind::Bearer => bindings.push(format!("      {key}: {{token: env:{var}_TOKEN}}")),
            SchemeKind::Basic => {
                bindings.push(format!("      {key}: {{username: env:{var}_USERNAME, password: env:{var}_PASSWORD}}"));
            }
            SchemeKind::OAuth2 { token_url: Some(_) } => {
                bindings.push(format!("      {key}: {{client_id: env:{var}_CLIENT_ID, client_secret: env:{var}_CLIENT_SECRET}}"));
            }
            SchemeKind::OAuth2 { token_url: None } | SchemeKind::OpenIdConnect => notes.push(format!(
                "    # `{name}` needs a token endpoint: {key}: {{client_id: env:{var}_CLIENT_ID, client_secret: env:{var}_CLIENT_SECRET, token_url: https://…}}"
            )),
            SchemeKind::MutualTls => notes.push(format!(
                "    # `{name}` is mutual TLS: client_tls: {{cert: file:/run/secrets/{id}.crt, key: file:/run/secrets/{id}.key}}"
            )),
            SchemeKind::Unsupported(what) => notes.push(format!("    # `{name}` is {what}, which generated servers cannot send")),
        }
    }
    if !bindings.is_empty() {
        out.push("    credentials:           # secrets by reference only (env:NAME or file:PATH)".into());
        out.extend(bindings);
    }
    out.extend(notes);
    let url = base_url.unwrap_or_else(|| "https://api.example.com".into());
    out.push("default_environment: dev".into());
    out.push("environments:".into());
    for (env, comment) in [("dev", "  # e.g. a local or sandbox instance"), ("prod", "")] {
        out.push(format!("  {env}:"));
        out.push("    apis:".into());
        out.push(format!("      {id}: {{base_url: {}}}{comment}", quote(&url)));
    }
    out.push(String::new());
    out.join("\n")
}
