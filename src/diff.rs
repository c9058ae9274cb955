//! `mcpgen diff`: how a spec or manifest change alters the tool surface agents see, with each
//! change classified as breaking (an agent that worked before may now fail or do something else)
//! or not.
//!
//! Tools are matched by operation (API + operationId, else method and path), so a renamed tool is
//! reported as a rename, not as a removal plus an addition. Inputs are compared property by
//! property at the top level of each input schema (following one local `$ref`).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::ir::{ServerIr, ToolIr};

/// One change of the tool surface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Whether agents written against the old surface may break.
    pub breaking: bool,
    /// Stable kind, e.g. `tool_removed`, `parameter_required`.
    pub kind: &'static str,
    /// The tool (new name when renamed).
    pub tool: String,
    /// What changed, in words.
    pub detail: String,
}

/// The operation a tool runs: what identifies it across versions.
fn operation_key(tool: &ToolIr) -> String {
    format!("{}:{}", tool.api, crate::lock::operation_key(tool))
}

/// Every change from `old` to `new`, breaking ones first, then by tool.
pub fn diff(old: &ServerIr, new: &ServerIr) -> Vec<Change> {
    let old_ops: BTreeMap<String, &ToolIr> = old.tools.iter().map(|t| (operation_key(t), t)).collect();
    let new_ops: BTreeMap<String, &ToolIr> = new.tools.iter().map(|t| (operation_key(t), t)).collect();
    let mut changes = Vec::new();
    let mut push = |breaking, kind, tool: &str, detail: String| {
        changes.push(Change { breaking, kind, tool: tool.to_owned(), detail });
    };
    for (key, before) in &old_ops {
        let Some(after) = new_ops.get(key) else {
            push(
                true,
                "tool_removed",
                &before.name,
                format!("tool `{}` ({} {}) was removed", before.name, before.method, before.path),
            );
            continue;
        };
        if before.name != after.name {
            push(true, "tool_renamed", &after.name, format!("tool `{}` was renamed to `{}`", before.name, after.name));
        }
        compare_tool((old, before), (new, after), &mut push);
    }
    for (key, after) in &new_ops {
        if !old_ops.contains_key(key) {
            push(
                false,
                "tool_added",
                &after.name,
                format!("tool `{}` ({} {}) was added", after.name, after.method, after.path),
            );
        }
    }
    changes.sort_by(|a, b| (!a.breaking, &a.tool, a.kind).cmp(&(!b.breaking, &b.tool, b.kind)));
    changes
}

fn compare_tool(
    (old, before): (&ServerIr, &ToolIr),
    (new, after): (&ServerIr, &ToolIr),
    push: &mut impl FnMut(bool, &'static str, &str, String),
) {
    let name = after.name.as_str();
    // The self-contained schemas, so that `$ref`s resolve into their `$defs`.
    let (before_schema, after_schema) = (old.input_schema(before), new.input_schema(after));
    let (old_props, old_required) = properties(&before_schema);
    let (new_props, new_required) = properties(&after_schema);
    for (prop, schema) in &new_props {
        match old_props.get(prop) {
            None if new_required.contains(prop) => {
                push(
                    true,
                    "parameter_added_required",
                    name,
                    format!("`{name}`: required parameter `{prop}` was added"),
                );
            }
            None => push(false, "parameter_added", name, format!("`{name}`: optional parameter `{prop}` was added")),
            Some(old_schema) => {
                if new_required.contains(prop) && !old_required.contains(prop) {
                    push(true, "parameter_required", name, format!("`{name}`: parameter `{prop}` is now required"));
                }
                compare_values(name, prop, resolve(&before_schema, old_schema), resolve(&after_schema, schema), push);
            }
        }
    }
    for prop in old_props.keys().filter(|p| !new_props.contains_key(*p)) {
        push(
            true,
            "parameter_removed",
            name,
            format!("`{name}`: parameter `{prop}` was removed (calls sending it are rejected)"),
        );
    }
    if before.annotations.read_only && !after.annotations.read_only {
        push(true, "now_writes", name, format!("`{name}` was read-only and now changes data"));
    }
    if !before.annotations.destructive && after.annotations.destructive {
        push(true, "now_destructive", name, format!("`{name}` is now destructive"));
    }
    let new_scopes: Vec<&String> = after.scopes.iter().filter(|s| !before.scopes.contains(s)).collect();
    if !new_scopes.is_empty() {
        let list: Vec<&str> = new_scopes.iter().map(|s| s.as_str()).collect();
        push(true, "scope_added", name, format!("`{name}` now requires the scope(s) {}", list.join(" ")));
    }
    if !before.deprecated && after.deprecated {
        push(false, "deprecated", name, format!("`{name}` is now deprecated"));
    }
}

fn compare_values(
    tool: &str,
    prop: &str,
    before: &Value,
    after: &Value,
    push: &mut impl FnMut(bool, &'static str, &str, String),
) {
    let (old_types, new_types) = (types(before), types(after));
    if !old_types.is_empty() && !new_types.is_empty() && old_types != new_types {
        let narrowed = old_types.iter().any(|t| !accepts(&new_types, t));
        let (kind, word) = if narrowed { ("type_narrowed", "narrowed") } else { ("type_widened", "widened") };
        push(
            narrowed,
            kind,
            tool,
            format!("`{tool}`: parameter `{prop}` type {word} from {} to {}", join(&old_types), join(&new_types)),
        );
    }
    if let (Some(Value::Array(old_enum)), Some(Value::Array(new_enum))) = (before.get("enum"), after.get("enum")) {
        for value in old_enum.iter().filter(|v| !new_enum.contains(v)) {
            push(true, "enum_value_removed", tool, format!("`{tool}`: parameter `{prop}` no longer accepts {value}"));
        }
        for value in new_enum.iter().filter(|v| !old_enum.contains(v)) {
            push(false, "enum_value_added", tool, format!("`{tool}`: parameter `{prop}` now also accepts {value}"));
        }
    } else if before.get("enum").is_none()
        && let Some(Value::Array(values)) = after.get("enum")
    {
        push(
            true,
            "enum_added",
            tool,
            format!("`{tool}`: parameter `{prop}` is now limited to {} value(s)", values.len()),
        );
    }
}

/// Top-level properties and required names of an object schema.
fn properties(schema: &Value) -> (BTreeMap<String, Value>, BTreeSet<String>) {
    let props = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let required = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    (props, required)
}

/// Follows one `#/$defs/...` reference inside `root`.
fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => root.pointer(pointer).unwrap_or(schema),
        None => schema,
    }
}

fn types(schema: &Value) -> BTreeSet<String> {
    match schema.get("type") {
        Some(Value::String(t)) => BTreeSet::from([t.clone()]),
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => BTreeSet::new(),
    }
}

/// Whether a value of JSON type `t` is still accepted by `types` (`number` accepts integers).
fn accepts(types: &BTreeSet<String>, t: &str) -> bool {
    types.contains(t) || (t == "integer" && types.contains("number"))
}

fn join(types: &BTreeSet<String>) -> String {
    types.iter().cloned().collect::<Vec<_>>().join("|")
}

/// The changes as text lines.
pub fn to_text(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "no changes to the tool surface\n".to_owned();
    }
    changes
        .iter()
        .map(|c| format!("{} {}\n", if c.breaking { "BREAKING    " } else { "non-breaking" }, c.detail))
        .collect()
}

/// The changes as Markdown, for a pull-request comment.
pub fn to_markdown(changes: &[Change]) -> String {
    let breaking = changes.iter().filter(|c| c.breaking).count();
    let mut out =
        format!("### MCP tool surface: {breaking} breaking, {} non-breaking change(s)\n\n", changes.len() - breaking);
    if changes.is_empty() {
        out.push_str("No changes to the tools agents see.\n");
        return out;
    }
    out.push_str("| | Tool | Change |\n|---|---|---|\n");
    for change in changes {
        let mark = if change.breaking { "🔴 breaking" } else { "🟢" };
        let detail = change.detail.replace('|', "\\|");
        out.push_str(&format!("| {mark} | `{}` | {detail} |\n", change.tool));
    }
    out
}
