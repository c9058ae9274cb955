//! The discovery surface's meta-tools as listed to clients: names, limits and their MCP tool
//! definitions as data. Pure (serde_json only) so the generator compiles it too and reports the
//! discovery listing's size from the very text the server sends.
//!
//! Descriptions are fixed text (no tool counts or names), so the listing stays byte-identical —
//! and cacheable by clients — while the tool table changes.

use serde_json::json;

/// Name of the meta-tool that finds tools.
pub const SEARCH: &str = "search_tools";
/// Name of the meta-tool that returns full tool definitions.
pub const DESCRIBE: &str = "describe_tools";
/// Name of the meta-tool that runs a tool.
pub const CALL: &str = "call_tool";

/// Results `search_tools` returns unless asked for another number.
pub const DEFAULT_LIMIT: usize = 10;
/// Most results of one search.
pub const MAX_LIMIT: usize = 50;
/// Most tools one `describe_tools` call returns (their schemas can be large).
pub const MAX_DESCRIBE: usize = 20;

/// The three meta-tools in MCP wire JSON (the `tools` array of `tools/list`).
pub fn listing() -> serde_json::Value {
    json!([
        {
            "name": SEARCH,
            "title": "Search tools",
            "description": "Find this server's tools for a task. Describe what you want to do in a few words (e.g. \"cancel an order\") or give a tool name; returns the best-matching tools you may call, with one-line summaries. Next: describe_tools for their input schemas, then call_tool.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "query": {"type": "string", "description": "The task in your own words, or a tool name; empty lists every tool"},
                    "tags": {"type": "array", "items": {"type": "string"}, "description": "Only tools with one of these tags"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT, "description": "Most results"}
                },
                "required": ["query"],
                "additionalProperties": false
            },
            "outputSchema": {
                "type": "object",
                "properties": {
                    "tools": {"type": "array", "items": {
                        "type": "object",
                        "properties": {"name": {"type": "string"}, "title": {"type": "string"}, "summary": {"type": "string"}},
                        "required": ["name", "summary"]
                    }},
                    "total": {"type": "integer", "description": "Matching tools, before the limit"}
                },
                "required": ["tools", "total"]
            },
            "annotations": {"title": "Search tools", "readOnlyHint": true, "destructiveHint": false, "idempotentHint": true, "openWorldHint": false}
        },
        {
            "name": DESCRIBE,
            "title": "Describe tools",
            "description": "Get the full definitions of tools by name (as found by search_tools): description, input schema, output schema and annotations. Names you may not call are listed under `unknown`.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "names": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": MAX_DESCRIBE, "description": "Tool names"}
                },
                "required": ["names"],
                "additionalProperties": false
            },
            "outputSchema": {
                "type": "object",
                "properties": {
                    "tools": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "inputSchema": {"type": "object"}}, "required": ["name", "inputSchema"]}},
                    "unknown": {"type": "array", "items": {"type": "string"}}
                },
                "required": ["tools", "unknown"]
            },
            "annotations": {"title": "Describe tools", "readOnlyHint": true, "destructiveHint": false, "idempotentHint": true, "openWorldHint": false}
        },
        {
            "name": CALL,
            "title": "Call a tool",
            "description": "Run one of this server's tools: `name` from search_tools, `arguments` matching the input schema from describe_tools. Returns that tool's own result; the same checks apply as when it is called directly.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "name": {"type": "string", "description": "Tool name"},
                    "arguments": {"type": "object", "description": "The tool's arguments"}
                },
                "required": ["name"],
                "additionalProperties": false
            },
            "annotations": {"title": "Call a tool", "readOnlyHint": false, "destructiveHint": true, "idempotentHint": false, "openWorldHint": true}
        }
    ])
}
