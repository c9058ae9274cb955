//! Catalog outputs: `catalog.json` (every tool with its API, operation, owner, status, auth and
//! annotations, for governance reviews and tool inventories) and `server.json` (the MCP registry's
//! description of the server).

use serde_json::{Map, Value, json};

use super::internal;
use crate::diagnostics::Problem;
use crate::ir::{ServerIr, ToolIr};

/// Schema of the MCP registry's `server.json` written here.
const SERVER_SCHEMA: &str = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json";

/// `catalog.json`.
pub(super) fn catalog_json(ir: &ServerIr, header: &str) -> Result<String, Problem> {
    let tools: Vec<Value> = ir.tools.iter().map(|tool| catalog_entry(ir, tool)).collect();
    let catalog = json!({
        "@generated": header,
        "server": {"name": ir.name, "title": ir.title, "version": ir.version},
        "tools": tools,
    });
    pretty(&catalog, "catalog.json")
}

fn catalog_entry(ir: &ServerIr, tool: &ToolIr) -> Value {
    let api = ir.apis.iter().find(|a| a.id == tool.api);
    let a = tool.annotations;
    let mut entry = Map::new();
    entry.insert("name".into(), json!(tool.name));
    entry.insert("api".into(), json!(tool.api));
    entry.insert("apiVersion".into(), json!(api.map(|a| a.spec_version.as_str())));
    entry.insert("method".into(), json!(tool.method));
    entry.insert("path".into(), json!(tool.path));
    entry.insert("operationId".into(), json!(tool.operation_id));
    entry.insert("owner".into(), json!(tool.owner));
    entry.insert("status".into(), json!(if tool.deprecated { "deprecated" } else { "active" }));
    if let Some(deprecation) = &tool.deprecation {
        entry.insert("sunset".into(), json!(deprecation.sunset));
        entry.insert("replacedBy".into(), json!(deprecation.replaced_by));
    }
    entry.insert("auth".into(), json!(tool.security));
    entry.insert("scopes".into(), json!(tool.scopes));
    entry.insert("roles".into(), json!(tool.roles));
    entry.insert(
        "annotations".into(),
        json!({"readOnly": a.read_only, "destructive": a.destructive, "idempotent": a.idempotent, "openWorld": a.open_world}),
    );
    Value::Object(entry)
}

/// `server.json` for the MCP registry.
pub(super) fn server_json(ir: &ServerIr, header: &str) -> Result<String, Problem> {
    let description: String = ir
        .description
        .clone()
        .unwrap_or_else(|| {
            format!("MCP server for {}", ir.apis.iter().map(|a| a.title.as_str()).collect::<Vec<_>>().join(", "))
        })
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    // The registry caps descriptions at 100 characters.
    let description: String = if description.chars().count() > 100 {
        description.chars().take(99).collect::<String>() + "…"
    } else {
        description
    };
    let mut server = Map::new();
    server
        .insert("_meta".into(), json!({"io.modelcontextprotocol.registry/publisher-provided": {"generator": header}}));
    server.insert("$schema".into(), json!(SERVER_SCHEMA));
    let name = ir.registry_name.clone().unwrap_or_else(|| format!("com.example/{}", ir.name));
    server.insert("name".into(), json!(name));
    if let Some(title) = &ir.title {
        server.insert("title".into(), json!(title));
    }
    server.insert("description".into(), json!(description));
    server.insert("version".into(), json!(ir.version));
    let url = ir.public_url.clone().or_else(|| {
        ir.environments
            .iter()
            .find(|e| Some(&e.name) == ir.default_environment.as_ref())
            .or(ir.environments.first())
            .and_then(|e| e.inbound.as_ref().map(|i| i.resource.clone()))
    });
    if let Some(url) = url {
        server.insert("remotes".into(), json!([{"type": "streamable-http", "url": url}]));
    }
    pretty(&Value::Object(server), "server.json")
}

fn pretty(value: &Value, what: &str) -> Result<String, Problem> {
    let mut text = serde_json::to_string_pretty(value).map_err(|err| internal(what, err))?;
    text.push('\n');
    Ok(text)
}
