//! What `tools/list` costs, per surface and toolset, and the manifest's `budget:` over it.
//!
//! The figures are exact sizes of the JSON the generated server sends (the MCP tool objects of
//! `tools.json`, compact, as serde serialises rmcp's `Tool`; `tests/budget.rs` checks the two
//! agree), with tokens *estimated* as bytes / 4: tokenizers differ by model, and a budget needs a
//! figure that is the same in CI and on every machine. Two sizes per list (DESIGN.md decision 8):
//! the wire size, which budgets count, and what the model sees — name, title, description,
//! input schema and annotations, which is all most clients hand the model.
//!
//! Surfaces: the `tools` surface (every tool listed, and each toolset), and the discovery surface,
//! whose three meta-tools are measured from the very definitions the runtime lists
//! (`runtime/src/meta_tools.rs`, compiled into the generator too).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::definition::DefRefs;

use crate::diagnostics::Problem;
use crate::document::Document;
use crate::ir::ServerIr;
use crate::manifest::BudgetSection;

/// How many of the largest tools an overrun names.
const NAMED_TOOLS: usize = 5;
/// `{"tools":[]}`: the result object around the tools array.
const LIST_OVERHEAD: usize = 12;

/// Size of one `tools/list` answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Size {
    /// Tools listed.
    pub tools: usize,
    /// Bytes of the result (compact JSON).
    pub bytes: usize,
    /// Bytes of what the model sees (no output schemas, no `_meta`).
    pub model_bytes: usize,
    /// Bytes of the output schemas alone.
    pub output_schema_bytes: usize,
}

impl Size {
    /// Estimated tokens of the wire size (bytes / 4, rounded up).
    pub fn tokens(&self) -> usize {
        self.bytes.div_ceil(4)
    }

    /// Estimated tokens of what the model sees.
    pub fn model_tokens(&self) -> usize {
        self.model_bytes.div_ceil(4)
    }

    fn add(&mut self, tool: &ToolSize) {
        // One comma between array elements.
        let separator = usize::from(self.tools > 0);
        self.tools += 1;
        self.bytes += tool.bytes + separator;
        self.model_bytes += tool.model_bytes + separator;
        self.output_schema_bytes += tool.output_schema_bytes;
    }

    fn list() -> Self {
        Self { bytes: LIST_OVERHEAD, model_bytes: LIST_OVERHEAD, ..Self::default() }
    }
}

/// Size of one tool's entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolSize {
    /// Tool name.
    pub name: String,
    /// Bytes of its MCP tool object.
    pub bytes: usize,
    /// Bytes the model sees.
    pub model_bytes: usize,
    /// Bytes of its output schema.
    pub output_schema_bytes: usize,
    /// Toolsets it belongs to.
    pub toolsets: Vec<String>,
}

/// `tools/list` sizes of a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The server started without `--toolset`.
    pub server: Size,
    /// Each toolset (the server started with `--toolset NAME`), in manifest order.
    pub toolsets: Vec<(String, Size)>,
    /// Every tool, largest first (ties by name).
    pub tools: Vec<ToolSize>,
}

/// Measures the `tools/list` of `ir`, with `toolsets` (manifest order) as the manifest names them.
pub fn measure(ir: &ServerIr, toolsets: &[String]) -> Report {
    let mut server = Size::list();
    let mut sets: Vec<(String, Size)> = toolsets.iter().map(|t| (t.clone(), Size::list())).collect();
    let mut tools = Vec::new();
    let defs = DefSizes::of(ir);
    for tool in &ir.tools {
        let object = crate::emit::mcp_tool(tool);
        let mut size = tool_size(&tool.name, &object);
        // The shared definitions each schema takes when served, counted without copying them.
        let input = defs.extra(&tool.input_schema, tool.defs.input.as_ref());
        let output = tool.output_schema.as_ref().map_or(0, |s| defs.extra(s, tool.defs.output.as_ref()));
        size.bytes += input + output;
        size.model_bytes += input;
        size.output_schema_bytes += output;
        size.toolsets.clone_from(&tool.toolsets);
        server.add(&size);
        for (name, set) in &mut sets {
            if tool.toolsets.contains(name) {
                set.add(&size);
            }
        }
        tools.push(size);
    }
    tools.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.name.cmp(&b.name)));
    Report { server, toolsets: sets, tools }
}

/// Compact JSON bytes of each shared definition as a `$defs` entry (`"name":{…}`), by table:
/// served schemas are measured as their stored part plus these, since assembling every tool's
/// schemas only to measure them cost as much as the per-tool copies the shared table replaced.
pub(crate) struct DefSizes<'a>(BTreeMap<&'a str, BTreeMap<&'a str, usize>>);

impl<'a> DefSizes<'a> {
    /// Measures every definition of `ir`'s table once.
    pub(crate) fn of(ir: &'a ServerIr) -> Self {
        let len = |v: &Value| serde_json::to_string(v).map_or(0, |t| t.len());
        let entry =
            |(name, def): (&'a String, &Value)| (name.as_str(), len(&Value::from(name.as_str())) + 1 + len(def));
        Self(ir.definitions.iter().map(|(key, table)| (key.as_str(), table.iter().map(entry).collect())).collect())
    }

    /// Bytes that the definitions `refs` names add to `schema` (an object) when it is served
    /// (`assembly::with_defs`): their entries and commas, and `,"$defs":{}` unless the schema
    /// has `$defs` of its own already.
    pub(crate) fn extra(&self, schema: &Value, refs: Option<&DefRefs>) -> usize {
        let Some(refs) = refs else { return 0 };
        let own = schema.get("$defs").and_then(Value::as_object).filter(|o| !o.is_empty());
        let table = self.0.get(refs.table.as_str());
        let added: Vec<usize> = refs
            .names
            .iter()
            .filter(|n| own.is_none_or(|o| !o.contains_key(n.as_str())))
            .filter_map(|n| table.and_then(|t| t.get(n.as_str())).copied())
            .collect();
        match (added.is_empty(), own.is_some()) {
            (true, _) => 0,
            // One comma before each added entry.
            (false, true) => added.iter().sum::<usize>() + added.len(),
            // `,"$defs":{` + entries joined by commas + `}`.
            (false, false) => 10 + added.iter().sum::<usize>() + added.len(),
        }
    }
}

/// The discovery surface's listing: the runtime's three meta-tools, the same for every server.
fn discovery() -> Size {
    let mut size = Size::list();
    for tool in crate::meta_tools::listing().as_array().into_iter().flatten() {
        if let Value::Object(object) = tool {
            let name = object.get("name").and_then(Value::as_str).unwrap_or_default();
            size.add(&tool_size(name, object));
        }
    }
    size
}

fn tool_size(name: &str, object: &Map<String, Value>) -> ToolSize {
    let len = |v: &Value| serde_json::to_string(v).map_or(0, |s| s.len());
    let bytes = len(&Value::Object(object.clone()));
    let mut model = object.clone();
    let output = model.remove("outputSchema");
    model.remove("_meta");
    ToolSize {
        name: name.to_owned(),
        bytes,
        model_bytes: len(&Value::Object(model)),
        output_schema_bytes: output.as_ref().map_or(0, len),
        toolsets: Vec::new(),
    }
}

impl Report {
    /// `(surface, size)` of every surface the server can serve.
    pub fn surfaces(&self) -> Vec<(&'static str, Size)> {
        vec![("tools", self.server), ("discovery", discovery())]
    }

    /// Lines for `validate` and `generate`: per surface its whole list, and under the tools
    /// surface each toolset.
    pub fn render(&self) -> String {
        let mut lines = Vec::new();
        for (surface, size) in self.surfaces() {
            lines.push(format!("tools/list, {surface} surface (tokens ≈ bytes/4, an estimate):"));
            if surface == "discovery" {
                lines.push(format!("  the meta-tools: {}", describe(&size)));
                continue;
            }
            lines.push(format!("  every tool: {}", describe(&size)));
            for (name, size) in &self.toolsets {
                lines.push(format!("  --toolset {name}: {}", describe(size)));
            }
        }
        lines.join("\n")
    }

    /// The names and sizes of the largest tools `member` accepts.
    fn largest(&self, member: impl Fn(&str) -> bool) -> String {
        self.largest_of(|t| member(&t.name))
    }

    fn largest_of(&self, member: impl Fn(&ToolSize) -> bool) -> String {
        let named: Vec<String> = self
            .tools
            .iter()
            .filter(|t| member(t))
            .take(NAMED_TOOLS)
            .map(|t| format!("`{}` ≈{} tokens", t.name, thousands(t.bytes.div_ceil(4))))
            .collect();
        named.join(", ")
    }
}

fn describe(size: &Size) -> String {
    let share = (size.output_schema_bytes * 100).checked_div(size.bytes).unwrap_or(0);
    format!(
        "{} tool(s), {} bytes ≈ {} tokens (the model sees ≈ {} tokens; output schemas {share}%)",
        size.tools,
        thousands(size.bytes),
        thousands(size.tokens()),
        thousands(size.model_tokens()),
    )
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What to do about an overrun, shared by every budget key.
const OVERRUN_HELP: &str = "serve a subset with toolsets (`toolsets:` + `--toolset NAME`), trim output schemas (`output_schemas: compact` or `none`), shorten descriptions (`max_description_chars`), or leave operations out with `exclude` (see docs/budgets-and-toolsets.md)";

/// Errors for every budget of `budget` that `report` exceeds, located at the budget's key.
pub fn check(doc: &Document, budget: Option<&BudgetSection>, report: &Report) -> Vec<Problem> {
    let Some(budget) = budget else { return Vec::new() };
    let over = |key: &str, message: String, help: String| {
        doc.at_value(
            &format!("/budget/{key}"),
            Problem::error("mcpgen::budget::exceeded", message).with_help(help),
            "budget",
        )
    };
    let mut problems = Vec::new();
    if let Some(limit) = budget.tools_list_tokens
        && report.server.tokens() as u64 > limit
    {
        problems.push(over(
            "tools_list_tokens",
            format!(
                "tools/list is ≈{} tokens ({} bytes, {} tools), over the budget of {} tokens",
                thousands(report.server.tokens()),
                thousands(report.server.bytes),
                report.server.tools,
                thousands(limit as usize)
            ),
            format!("the largest tools are {}; {OVERRUN_HELP}", report.largest(|_| true)),
        ));
    }
    if let Some(limit) = budget.toolset_tokens {
        for (name, size) in report.toolsets.iter().filter(|(_, s)| s.tokens() as u64 > limit) {
            problems.push(over(
                "toolset_tokens",
                format!(
                    "toolset `{name}` lists ≈{} tokens ({} bytes, {} tools), over the budget of {} tokens",
                    thousands(size.tokens()),
                    thousands(size.bytes),
                    size.tools,
                    thousands(limit as usize)
                ),
                format!(
                    "its largest tools are {}; split the toolset, or {OVERRUN_HELP}",
                    report.largest_of(|t| t.toolsets.contains(name))
                ),
            ));
        }
    }
    if let Some(limit) = budget.tool_tokens {
        let big: Vec<&ToolSize> = report.tools.iter().filter(|t| t.bytes.div_ceil(4) as u64 > limit).collect();
        if !big.is_empty() {
            problems.push(over(
                "tool_tokens",
                format!("{} tool(s) are over the budget of {} tokens per tool", big.len(), thousands(limit as usize)),
                format!(
                    "the largest are {}; trim output schemas (`output_schemas: compact` or `none`, per tool with `output_schema`), shorten descriptions (`max_description_chars`), or exclude the operations",
                    report.largest(|n| big.iter().any(|b| b.name == n))
                ),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(6_100_000), "6,100,000");
    }

    #[test]
    fn list_sizes_add_tools_and_separators() {
        let mut size = Size::list();
        let tool =
            ToolSize { name: "a".into(), bytes: 10, model_bytes: 6, output_schema_bytes: 4, toolsets: Vec::new() };
        size.add(&tool);
        size.add(&tool);
        // {"tools":[T,T]}
        assert_eq!(size.bytes, 12 + 10 + 1 + 10);
        assert_eq!(size.model_bytes, 12 + 6 + 1 + 6);
        assert_eq!(size.tokens(), 33usize.div_ceil(4));
    }
}
