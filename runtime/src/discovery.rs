//! The discovery surface: instead of one MCP tool per operation, `tools/list` offers three
//! meta-tools — `search_tools`, `describe_tools`, `call_tool` — so an agent pays for the tools it
//! uses, not for the whole API, in its context window (see `docs/surfaces.md`).
//!
//! Governance is the tool table's, unchanged: search and describe only ever show what the caller
//! may call ([`Registry::allows`]), and answer an unknown name and a hidden one alike; `call_tool`
//! is resolved here but run by `McpServer::execute` with the inner tool, exactly as a direct call.

use std::borrow::Cow;

use rmcp::model::{CallToolResult, Tool};
use serde_json::{Map, Value, json};

use super::definition::{SurfaceDefinition, SurfaceMode};
use super::echo;
use super::inbound::Principal;
use super::outcome::{ErrorClass, Failure};
use super::profile::Profile;
use super::registry::{Registry, ToolEntry, today};
use super::search::{self, Fields, Index, Terms};

use super::meta_tools::{self, DEFAULT_LIMIT, MAX_DESCRIBE, MAX_LIMIT};
pub use super::meta_tools::{CALL, DESCRIBE, SEARCH};
/// Longest summary in search results, in characters.
const SUMMARY_CHARS: usize = 160;

/// One of the meta-tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meta {
    /// `search_tools`.
    Search,
    /// `describe_tools`.
    Describe,
    /// `call_tool`.
    Call,
}

impl Meta {
    /// The meta-tool called `name`.
    pub fn named(name: &str) -> Option<Self> {
        match name {
            SEARCH => Some(Self::Search),
            DESCRIBE => Some(Self::Describe),
            CALL => Some(Self::Call),
            _ => None,
        }
    }
}

/// Which surface to serve: `requested` (`--surface`) or the table's, with `auto` decided by the
/// size of the full `tools/list` against the budget. A profile whose client cuts the list
/// (`Profile::max_tools`: Cursor's 40) gets the discovery surface for more tools than that, on
/// `auto` and on the table's `tools` alike: the cut tools would be unreachable. Only `--surface
/// tools`, said at start, lists them all anyway. Returns whether discovery is served and, for
/// `auto`, the estimate (only `auto` needs it: measuring serialises every tool).
pub fn resolve(
    surface: &SurfaceDefinition,
    requested: Option<SurfaceMode>,
    tools: &[ToolEntry],
    profile: Profile,
) -> (bool, Option<usize>) {
    let over_client_cut = profile.max_tools().is_some_and(|most| tools.len() > most);
    match requested.unwrap_or(surface.mode) {
        SurfaceMode::Tools => (over_client_cut && requested.is_none(), None),
        SurfaceMode::Discovery => (true, None),
        SurfaceMode::Auto => {
            let tokens = estimated_tokens(tools);
            (over_client_cut || tokens > surface.budget_tokens as usize, Some(tokens))
        }
    }
}

/// Tokens of the `tools/list` result listing `tools`, estimated as bytes / 4 of its JSON (the
/// usual rule of thumb for English and JSON with BPE tokenizers; a budget, not a bill): the
/// length of `{"tools":[…]}` from each tool's listed JSON, never assembled.
pub fn estimated_tokens(tools: &[ToolEntry]) -> usize {
    let listed: usize = tools.iter().map(|t| t.listed(false).len()).sum();
    let separators = tools.len().saturating_sub(1);
    (r#"{"tools":[]}"#.len() + listed + separators) / 4
}

/// The search index and the meta-tools of a server.
pub struct Discovery {
    index: Index,
    tools: Vec<Tool>,
}

impl Discovery {
    /// Indexes the registry's tools: the terms shipped in the tool table, or — for a table
    /// generated for the tools surface and started with `--surface discovery` — the same terms
    /// derived now by the same code.
    pub fn new(registry: &Registry) -> Self {
        let documents: Vec<Cow<'_, Terms>> = registry
            .tools()
            .iter()
            .map(|entry| {
                if entry.search.is_empty() {
                    // Parsed for the moment it takes: the typed tools are not kept for this.
                    let tool: Tool = serde_json::from_str(entry.listed(false)).unwrap_or_default();
                    Cow::Owned(fields(entry, &tool).document())
                } else {
                    Cow::Borrowed(&entry.search)
                }
            })
            .collect();
        let index = Index::new(documents.iter().map(|d| d.as_ref())).with_synonyms(&registry.surface.synonyms);
        Self { index, tools: meta_tools(registry.profile) }
    }

    /// The meta-tools, as `tools/list` lists them.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// The meta-tool called `name`, as listed.
    pub fn tool(&self, name: &str) -> Option<&Tool> {
        self.tools.iter().find(|t| t.name == name)
    }

    /// `search_tools`: the best matches among the tools `caller` may call.
    pub fn search(
        &self,
        registry: &Registry,
        caller: Option<&Principal>,
        arguments: &Map<String, Value>,
    ) -> CallToolResult {
        let query = match arguments.get("query") {
            Some(Value::String(query)) => query.as_str(),
            _ => return invalid(SEARCH, "`query` is required and must be a string, e.g. \"cancel an order\""),
        };
        let tags: Vec<String> = match arguments.get("tags") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(tags)) if tags.iter().all(Value::is_string) => {
                tags.iter().filter_map(Value::as_str).map(str::to_lowercase).collect()
            }
            Some(_) => return invalid(SEARCH, "`tags` must be an array of strings"),
        };
        let limit = match arguments.get("limit") {
            None | Some(Value::Null) => DEFAULT_LIMIT,
            Some(value) => match value.as_u64() {
                Some(n @ 1..) if n as usize <= MAX_LIMIT => n as usize,
                _ => return invalid(SEARCH, &format!("`limit` must be an integer from 1 to {MAX_LIMIT}")),
            },
        };
        let today = today();
        let tools = registry.tools();
        let keep = |doc: usize| {
            let entry = &tools[doc];
            registry.allows(entry, caller, today)
                && (tags.is_empty() || entry.tags.iter().any(|t| tags.contains(&t.to_lowercase())))
        };
        let mut found: Vec<usize> = if search::query_terms(query).is_empty() {
            // Nothing to rank by (an empty query, or only stop words): every tool the caller may
            // call, by name — with `tags`, a listing of those tags.
            (0..tools.len()).filter(|&doc| keep(doc)).collect()
        } else {
            self.index.search(query, keep, usize::MAX).into_iter().map(|hit| hit.doc).collect()
        };
        // An agent that already knows a name (from an earlier session) gets that tool first.
        if let Some(exact) = tools.iter().position(|t| t.name == query.trim())
            && keep(exact)
        {
            found.retain(|&doc| doc != exact);
            found.insert(0, exact);
        }
        let total = found.len();
        let listed: Vec<Value> = found.into_iter().take(limit).map(|doc| summary_of(&tools[doc])).collect();
        CallToolResult::structured(json!({ "tools": listed, "total": total }))
    }

    /// `describe_tools`: the full definitions of the named tools `caller` may call; every other
    /// name — unknown, hidden by scopes or roles, or retired — is listed in `unknown`, alike.
    pub fn describe(
        &self,
        registry: &Registry,
        caller: Option<&Principal>,
        arguments: &Map<String, Value>,
    ) -> CallToolResult {
        let names: Vec<&str> = match arguments.get("names") {
            Some(Value::Array(names)) if !names.is_empty() && names.iter().all(Value::is_string) => {
                names.iter().filter_map(Value::as_str).collect()
            }
            _ => return invalid(DESCRIBE, "`names` is required: a non-empty array of tool names from search_tools"),
        };
        if names.len() > MAX_DESCRIBE {
            return invalid(DESCRIBE, &format!("at most {MAX_DESCRIBE} names per call"));
        }
        let today = today();
        let mut described = Vec::new();
        let mut unknown = Vec::new();
        for name in names {
            match registry.get(name).filter(|entry| registry.allows(entry, caller, today)) {
                Some(entry) if !described.iter().any(|d: &Value| d["name"] == name) => {
                    // The listed JSON read as a tree: the same value as the typed tool's.
                    described.push(serde_json::from_str(entry.listed(false)).unwrap_or(Value::Null));
                }
                Some(_) => {}
                None => unknown.push(Value::String(echo::clip(name, echo::NAME_CHARS).into_owned())),
            }
        }
        CallToolResult::structured(json!({ "tools": described, "unknown": unknown }))
    }

    /// `call_tool`: the inner tool and its arguments, or the answer when there is none to run.
    /// An unknown name is an `isError` result here (the meta-call itself was valid); a tool the
    /// caller may not use is run anyway so that `execute` refuses it with the same message,
    /// audit record and metrics as a direct call.
    pub fn resolve_call<'r>(
        registry: &'r Registry,
        arguments: &Map<String, Value>,
    ) -> Result<(&'r ToolEntry, Map<String, Value>), Refusal> {
        let Some(name) = arguments.get("name").and_then(Value::as_str) else {
            return Err(Refusal::Invalid(Box::new(invalid(CALL, "`name` is required: a tool name from search_tools"))));
        };
        let inner = match arguments.get("arguments") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(map)) => map.clone(),
            // How a client profile that cannot leave an object open sends them (`meta_tools`).
            Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) => map,
                _ => {
                    return Err(Refusal::Invalid(Box::new(invalid(
                        CALL,
                        "`arguments` must be a JSON object (the tool's input), given as text",
                    ))));
                }
            },
            Some(_) => {
                return Err(Refusal::Invalid(Box::new(invalid(
                    CALL,
                    "`arguments` must be an object (the tool's input)",
                ))));
            }
        };
        match registry.get(name) {
            Some(entry) => Ok((entry, inner)),
            None => Err(Refusal::Unknown(name.to_owned())),
        }
    }
}

/// Why `call_tool` runs nothing.
#[derive(Debug)]
pub enum Refusal {
    /// The meta-call's own arguments are wrong.
    Invalid(Box<CallToolResult>),
    /// No tool has this name.
    Unknown(String),
}

/// The answer to `call_tool` of a name no tool has (nor any hidden one: same words).
pub fn unknown_tool(name: &str) -> CallToolResult {
    Failure::new(
        ErrorClass::InvalidArguments,
        format!("unknown tool `{}`; search_tools lists the tools you may call", echo::clip(name, echo::NAME_CHARS)),
    )
    .into_result("-")
}

fn invalid(tool: &str, why: &str) -> CallToolResult {
    Failure::new(ErrorClass::InvalidArguments, format!("Invalid arguments for `{tool}`: {why}.")).into_result("-")
}

/// The texts of a listed tool a search result shows (its schemas are skipped, not built).
#[derive(serde::Deserialize)]
struct Shown<'a> {
    #[serde(borrow, default)]
    title: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    description: Option<Cow<'a, str>>,
}

/// What a search result says about a tool: enough to choose, not to call.
fn summary_of(entry: &ToolEntry) -> Value {
    let tool: Shown<'_> = serde_json::from_str(entry.listed(false)).unwrap_or(Shown { title: None, description: None });
    let description = tool.description.as_deref().unwrap_or_default();
    let summary = match search::summary(description) {
        "" => tool.title.as_deref().unwrap_or(&entry.name),
        summary => summary,
    };
    let mut out = Map::new();
    out.insert("name".into(), json!(entry.name));
    if let Some(title) = &tool.title {
        out.insert("title".into(), json!(title));
    }
    out.insert("summary".into(), json!(echo::clip(summary, SUMMARY_CHARS)));
    Value::Object(out)
}

/// A registry entry's searchable fields (for tables that ship no terms), `tool` being its tool.
pub fn fields<'a>(entry: &'a ToolEntry, tool: &'a Tool) -> Fields<'a> {
    Fields::of_tool(
        &entry.name,
        tool.title.as_deref(),
        tool.description.as_deref().unwrap_or_default(),
        &entry.tags,
        &entry.http,
        &tool.input_schema,
        entry.deprecation.as_ref(),
    )
}

/// The three meta-tools, as [`meta_tools::listing`] describes them, their schemas in
/// `profile`'s shape (no output schemas where it lists none). `call_tool`'s `arguments` are any
/// tool's, an open object neither strict function calling nor Gemini can describe, so such a
/// profile takes them as JSON text instead.
fn meta_tools(profile: Profile) -> Vec<Tool> {
    let mut listing = meta_tools::listing();
    for tool in listing.as_array_mut().into_iter().flatten() {
        if !profile.lists_output_schemas()
            && let Some(tool) = tool.as_object_mut()
        {
            tool.shift_remove("outputSchema");
        }
        let is_call = tool.get("name").is_some_and(|n| n == CALL);
        let Some(Value::Object(schema)) = tool.get_mut("inputSchema") else { continue };
        if !profile.reshapes_schemas() {
            continue;
        }
        if is_call && let Some(Value::Object(properties)) = schema.get_mut("properties") {
            properties.insert(
                "arguments".into(),
                json!({"type": "string", "description": "The tool's arguments as the text of a JSON object, e.g. {\"id\": \"1\"}"}),
            );
        }
        if let Some(served) = profile.input_schema(schema) {
            *schema = served;
        }
    }
    serde_json::from_value(listing).unwrap_or_default()
}
