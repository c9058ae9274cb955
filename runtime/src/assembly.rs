//! How a tool as the table stores it becomes the tool clients get (issue 13).
//!
//! The table keeps every schema that several tools use once: the `$defs` a schema refers to
//! (tables `{api}:input`, `{api}:output`, `{api}:output-compact`), and whole schemas that tools
//! repeat verbatim — the same header parameter on every operation of an AWS API, the same
//! response object returned by twenty operations — in the API's `{api}:shared` table. Where a
//! tool uses a shared whole schema, the table writes the entry's name instead: as the value of an
//! `inputSchema` property (a JSON Schema is never a string, so a string there can only be a
//! name), and as the tool's `defs.outputSchema`. Assembling puts the schemas back: the result is
//! the self-contained MCP tool, equal to the tool before the table shared anything. A property
//! whose shared schema has the property's own name writes the empty name `""`, and a tool whose
//! annotations are the ones its HTTP method implies (`implied_annotations`) writes none.

use serde_json::{Map, Value};

use super::definition::{DefRefs, Definitions, ServerDefinition, ToolDefinition, ToolDefs, ToolJson};
use super::shaping_plan::ShapingDefinition;

/// Key of the table of whole schemas shared by the tools of API `api`.
pub fn shared_table(api: &str) -> String {
    format!("{api}:shared")
}

/// Key of the table of the path lists shared by the shaping plans of API `api`'s tools (see
/// `shaping_plan::PathList`).
pub fn paths_table(api: &str) -> String {
    format!("{api}:paths")
}

/// The tool `tool` of API `api` in MCP wire format: shared whole schemas put in place, and the
/// shared definitions its schemas name added to their `$defs` (after any the tool carries
/// itself), sorted by name. `tables` must hold what the tool names (more does no harm).
pub fn assemble(
    mut tool: ToolJson,
    defs: &ToolDefs,
    tables: &Definitions,
    api: &str,
    method: &str,
) -> Result<ToolJson, String> {
    let shared = tables.get(&shared_table(api));
    let entry = |name: &str| {
        shared
            .and_then(|table| table.get(name))
            .cloned()
            .ok_or_else(|| format!("no shared schema `{name}` for API `{api}`"))
    };
    if let Some(Value::Object(properties)) = tool.get_mut("inputSchema").and_then(|schema| schema.get_mut("properties"))
    {
        for (arg, schema) in properties.iter_mut() {
            if let Value::String(name) = schema {
                *schema = entry(if name.is_empty() { arg } else { name })?;
            }
        }
    }
    if !tool.contains_key("annotations") {
        let title = tool.get("title").and_then(Value::as_str);
        tool.insert("annotations".into(), implied_annotations(method, title));
    }
    if let Some(name) = &defs.output_schema {
        tool.insert("outputSchema".into(), entry(name)?);
    }
    for (key, refs) in [("inputSchema", &defs.input), ("outputSchema", &defs.output)] {
        if let (Some(refs), Some(schema)) = (refs, tool.get_mut(key)) {
            with_defs(schema, refs, tables)?;
        }
    }
    Ok(tool)
}

/// Names of the shared whole schemas the stored `tool` uses (see the module docs), for checking
/// a table at start-up and for reading only those.
pub fn shared_names<'a>(input_schema: &'a Map<String, Value>, defs: &'a ToolDefs) -> impl Iterator<Item = &'a str> {
    let properties = input_schema.get("properties").and_then(Value::as_object);
    let named = |(arg, schema): (&'a String, &'a Value)| schema.as_str().map(|n| if n.is_empty() { arg } else { n });
    properties.into_iter().flat_map(move |p| p.iter().filter_map(named)).chain(defs.output_schema.as_deref())
}

/// The MCP annotations HTTP semantics imply for a tool of this method and title (DESIGN.md
/// decision 6): GET, HEAD and OPTIONS read only; PUT and DELETE idempotent; DELETE destructive;
/// every tool open-world. The generator writes annotations only where they differ.
pub fn implied_annotations(method: &str, title: Option<&str>) -> Value {
    let read_only = matches!(method, "GET" | "HEAD" | "OPTIONS");
    let mut hints = Map::new();
    if let Some(title) = title {
        hints.insert("title".into(), Value::from(title));
    }
    hints.insert("readOnlyHint".into(), Value::Bool(read_only));
    hints.insert("destructiveHint".into(), Value::Bool(method == "DELETE"));
    hints.insert("idempotentHint".into(), Value::Bool(read_only || matches!(method, "PUT" | "DELETE")));
    hints.insert("openWorldHint".into(), Value::Bool(true));
    Value::Object(hints)
}

/// Adds the definitions `refs` names to `schema`'s `$defs` (kept last, sorted by name). An
/// unknown table or name is an error: the tool table is generated, so it means a broken file.
pub fn with_defs(schema: &mut Value, refs: &DefRefs, tables: &Definitions) -> Result<(), String> {
    let table = tables.get(&refs.table).ok_or_else(|| format!("no definition table `{}`", refs.table))?;
    let Value::Object(object) = schema else { return Err("a schema with `$defs` is no object".into()) };
    let mut defs = match object.remove("$defs") {
        Some(Value::Object(own)) => own.into_iter().collect(),
        _ => std::collections::BTreeMap::new(),
    };
    for name in &refs.names {
        let def = table.get(name).ok_or_else(|| format!("no definition `{name}` in table `{}`", refs.table))?;
        defs.entry(name.clone()).or_insert_with(|| def.clone());
    }
    if !defs.is_empty() {
        object.insert("$defs".into(), Value::Object(defs.into_iter().collect()));
    }
    Ok(())
}

// What the table writes once for many tools, put back per tool (see the module docs).
impl<T> ServerDefinition<T> {
    /// The API of `tool`: the one it names, or the table's only API when it names none.
    pub fn api_of<'a>(&'a self, tool: &'a ToolDefinition<T>) -> &'a str {
        match self.apis.as_slice() {
            [only] if tool.api.is_empty() => &only.id,
            _ => &tool.api,
        }
    }

    /// The headers `tool`'s requests carry: its own, or its API's when it writes none.
    pub fn headers_of(&self, tool: &ToolDefinition<T>) -> std::collections::BTreeMap<String, String> {
        match &tool.http.headers {
            Some(own) => own.clone(),
            None => {
                let api = self.api_of(tool);
                self.apis.iter().find(|a| a.id == api).map(|a| a.headers.clone()).unwrap_or_default()
            }
        }
    }
}

impl ServerDefinition {
    /// The tool in MCP wire format as clients get it: self-contained schemas (see
    /// `assembly::assemble`).
    pub fn served_tool(&self, tool: &ToolDefinition) -> Result<ToolJson, String> {
        let api = self.api_of(tool);
        assemble(tool.tool.clone(), &tool.defs, &self.definitions, api, &tool.http.method)
    }

    /// The tool's shaping plan with its shared path lists put back (the registry does the same,
    /// sharing each list between the tools that name it).
    pub fn shaping_of(&self, tool: &ToolDefinition) -> Result<Option<ShapingDefinition>, String> {
        let Some(mut plan) = tool.shaping.clone() else { return Ok(None) };
        let table = paths_table(self.api_of(tool));
        plan.resolve_lists(|name| {
            let list = self.definitions.get(&table).and_then(|lists| lists.get(name));
            let list = list.ok_or_else(|| format!("no shared path list `{name}` in table `{table}`"))?;
            serde_json::from_value::<Vec<String>>(list.clone()).map(Into::into).map_err(|err| err.to_string())
        })?;
        Ok(Some(plan))
    }
}
