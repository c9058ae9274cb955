//! `src/tools.json`: the server definition the runtime executes.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value, json};

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::internal;
use super::shared::SharedSchemas;
use crate::assembly::{paths_table, shared_table};
use crate::definition::{ApiDefinition, HttpMapping, ServerDefinition, SurfaceMode, ToolDefinition};
use crate::diagnostics::Problem;
use crate::ir::{ServerIr, ToolIr};

/// Renders the definition as JSON (`json::to_string`'s layout); the header goes into its
/// `@generated` key (JSON has no comments).
pub(super) fn tools_json(ir: &ServerIr, header: &str) -> Result<String, Problem> {
    let api_headers = super::shared::api_headers(ir);
    let definition: ServerDefinition = ServerDefinition {
        generated: header.to_owned(),
        name: ir.name.clone(),
        title: ir.title.clone(),
        version: ir.version.clone(),
        instructions: ir.instructions.clone().or_else(|| ir.description.clone()),
        apis: ir
            .apis
            .iter()
            .map(|api| ApiDefinition {
                id: api.id.clone(),
                base_url_env: api.base_url_env.clone(),
                resilience: api.resilience.clone(),
                circuit_breaker: api.circuit_breaker.clone(),
                rate_limit: api.rate_limit.clone(),
                max_concurrency: api.max_concurrency,
                headers: api_headers.get(&api.id).cloned().unwrap_or_default(),
            })
            .collect(),
        // Written one by one by `Table`, with the shared definitions after them.
        tools: Vec::new(),
        definitions: Default::default(),
        environments: ir.environments.clone(),
        default_environment: ir.default_environment.clone(),
        tenancy: ir.tenancy.clone(),
        client_rate_limit: ir.client_rate_limit.clone(),
        roles_claim: ir.roles_claim.clone(),
        toolsets: ir.toolsets.clone(),
        audit: ir.audit.clone(),
        surface: ir.surface.clone(),
        profile: ir.profile.clone(),
    };
    let head = match serde_json::to_value(&definition) {
        Ok(Value::Object(head)) => head,
        Ok(_) => return Err(internal("tools.json", "the definition is no JSON object")),
        Err(err) => return Err(internal("tools.json", err)),
    };
    super::json::to_string(&Table { head, ir, api_headers }).map_err(|err| internal("tools.json", err))
}

/// The table as written: the definition's other keys in their order, with each tool built and
/// written in turn rather than all copied into one [`ServerDefinition`] first (for Microsoft
/// Graph beta, that copy was a third of generation's peak memory).
struct Table<'a> {
    head: Map<String, Value>,
    ir: &'a ServerIr,
    /// Per API, the headers of tools that write none (`shared::api_headers`).
    api_headers: BTreeMap<String, BTreeMap<String, String>>,
}

impl Serialize for Table<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in &self.head {
            if key != "tools" {
                map.serialize_entry(key, value)?;
                continue;
            }
            let shared = SharedSchemas::of(self.ir);
            map.serialize_entry(key, &Tools(self.ir, &shared, &self.api_headers))?;
            // `ServerDefinition` declares `definitions` right after `tools`; the shared tables'
            // keys (`{api}:shared`) differ from the others', so one sorted map holds both.
            let own = self.ir.definitions.iter().map(|(key, table)| (written_key(self.ir, key), table));
            let tables: BTreeMap<Cow<'_, str>, &BTreeMap<String, Value>> =
                own.chain(shared.tables.iter().map(|(key, table)| (Cow::Borrowed(key.as_str()), table))).collect();
            if !tables.is_empty() {
                map.serialize_entry("definitions", &tables)?;
            }
        }
        map.end()
    }
}

/// The key the table writes for the definition table `key`: without the `{api}:` prefix when
/// the server has one API, for `$defs` tables only. Every tool names its tables, and Microsoft
/// Graph's API id alone is 40 characters; the runtime looks the names up as written, while it
/// derives the `{api}:shared` and `{api}:paths` keys itself, so those keep the prefix.
fn written_key<'k>(ir: &ServerIr, key: &'k str) -> Cow<'k, str> {
    let [api] = ir.apis.as_slice() else { return Cow::Borrowed(key) };
    match key.strip_prefix(api.id.as_str()).and_then(|rest| rest.strip_prefix(':')) {
        Some(kind) if key != shared_table(&api.id) && key != paths_table(&api.id) => Cow::Owned(kind.to_owned()),
        _ => Cow::Borrowed(key),
    }
}

/// The tool definitions of the table, built one at a time, with the shared schemas named.
struct Tools<'a>(&'a ServerIr, &'a SharedSchemas, &'a BTreeMap<String, BTreeMap<String, String>>);

impl Serialize for Tools<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The search index ships with servers that may start in discovery; a tools-surface table
        // stays lean (started with `--surface discovery`, the runtime derives the same terms).
        let with_search = self.0.surface.mode != SurfaceMode::Tools;
        let mut seq = serializer.serialize_seq(Some(self.0.tools.len()))?;
        for (index, tool) in self.0.tools.iter().enumerate() {
            let mut definition = tool_definition(tool);
            // Headers equal to the API's, or none where the API has none, are not written.
            let api_headers = self.2.get(&tool.api);
            if definition.http.headers.as_ref() == api_headers
                || (api_headers.is_none() && definition.http.headers.as_ref().is_some_and(BTreeMap::is_empty))
            {
                definition.http.headers = None;
            }
            if self.0.apis.len() == 1 {
                // The runtime reads a tool without an API as one of the only API's.
                definition.api.clear();
            }
            if with_search {
                definition.search = search_terms(&definition);
            }
            share(&mut definition, index, self.1);
            for refs in [&mut definition.defs.input, &mut definition.defs.output].into_iter().flatten() {
                if let Cow::Owned(key) = written_key(self.0, &refs.table) {
                    refs.table = key;
                }
            }
            seq.serialize_element(&definition)?;
        }
        seq.end()
    }
}

fn tool_definition(tool: &ToolIr) -> ToolDefinition {
    ToolDefinition {
        tool: mcp_tool(tool),
        api: tool.api.clone(),
        http: HttpMapping {
            method: tool.method.clone(),
            path: tool.path.clone(),
            params: tool.params.clone(),
            body: tool.body.clone(),
            headers: Some(tool.headers.clone()),
        },
        security: tool.security.clone(),
        scopes: tool.scopes.clone(),
        resilience: tool.resilience.clone(),
        idempotent: tool.annotations.idempotent,
        idempotency_key: tool.idempotency_key.clone(),
        deprecation: tool.deprecation.clone(),
        roles: tool.roles.clone(),
        tags: tool.tags.clone(),
        toolsets: tool.toolsets.clone(),
        defs: tool.defs.clone(),
        search: Default::default(),
        shaping: tool.shaping.clone(),
    }
}

/// Writes the names of the shared schemas and path lists the `index`-th tool uses in their places, and leaves
/// out annotations its method implies (`assembly`).
fn share(definition: &mut ToolDefinition, index: usize, shared: &SharedSchemas) {
    if let Some(Value::Object(properties)) =
        definition.tool.get_mut("inputSchema").and_then(|schema| schema.get_mut("properties"))
    {
        for (position, (arg, schema)) in properties.iter_mut().enumerate() {
            if let Some(name) = shared.property(index, position) {
                *schema = Value::String(if name == arg { String::new() } else { name.to_owned() });
            }
        }
    }
    if let Some(name) = shared.output(index) {
        definition.tool.shift_remove("outputSchema");
        definition.defs.output_schema = Some(name.to_owned());
    }
    if let Some(plan) = &mut definition.shaping {
        for (list, name) in plan.lists_mut().zip(shared.lists(index)) {
            if let Some(name) = name {
                list.share(name.clone());
            }
        }
    }
    let title = definition.tool.get("title").and_then(Value::as_str);
    if definition.tool.get("annotations") == Some(&crate::assembly::implied_annotations(&definition.http.method, title))
    {
        definition.tool.shift_remove("annotations");
    }
}

/// The discovery search terms of a tool, from its definition (as the runtime would derive them).
fn search_terms(tool: &ToolDefinition) -> crate::search::Terms {
    let text = |key: &str| tool.tool.get(key).and_then(Value::as_str);
    let no_schema = Map::new();
    let input_schema = tool.tool.get("inputSchema").and_then(Value::as_object).unwrap_or(&no_schema);
    crate::search::Fields::of_tool(
        text("name").unwrap_or_default(),
        text("title"),
        text("description").unwrap_or_default(),
        &tool.tags,
        &tool.http,
        input_schema,
        tool.deprecation.as_ref(),
    )
    .document()
}

/// The tool in MCP wire format (what `tools/list` returns), as the table stores it: its schemas
/// without the shared definitions they name (the runtime adds them, `ServerDefinition::served_tool`).
pub(crate) fn mcp_tool(tool: &ToolIr) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("name".into(), json!(tool.name));
    // Deprecation shows in the title clients display (and in the annotations' title) as well as
    // in the description; the details are in `_meta` below.
    let title = match (&tool.title, tool.deprecated) {
        (Some(title), true) => Some(format!("{title} (deprecated)")),
        (None, true) => Some(format!("{} (deprecated)", tool.name)),
        (title, false) => title.clone(),
    };
    if let Some(title) = &title {
        out.insert("title".into(), json!(title));
    }
    out.insert("description".into(), json!(tool.description));
    out.insert("inputSchema".into(), tool.input_schema.clone());
    if let Some(schema) = &tool.output_schema {
        out.insert("outputSchema".into(), schema.clone());
    }
    let a = tool.annotations;
    let mut annotations = Map::new();
    if let Some(title) = &title {
        annotations.insert("title".into(), json!(title));
    }
    annotations.insert("readOnlyHint".into(), json!(a.read_only));
    annotations.insert("destructiveHint".into(), json!(a.destructive));
    annotations.insert("idempotentHint".into(), json!(a.idempotent));
    annotations.insert("openWorldHint".into(), json!(a.open_world));
    out.insert("annotations".into(), Value::Object(annotations));
    // MCP annotations have no owner or deprecation hint: clients and catalogs find them here.
    if tool.owner.is_some() || tool.deprecation.is_some() {
        let mut governance = Map::new();
        if let Some(owner) = &tool.owner {
            governance.insert("owner".into(), json!(owner));
        }
        if let Some(deprecation) = &tool.deprecation {
            governance.insert("status".into(), json!("deprecated"));
            if let Some(sunset) = &deprecation.sunset {
                governance.insert("sunset".into(), json!(sunset));
            }
            if let Some(replacement) = &deprecation.replaced_by {
                governance.insert("replacedBy".into(), json!(replacement));
            }
        }
        out.insert("_meta".into(), json!({"io.mcpgen/governance": governance}));
    }
    out
}
