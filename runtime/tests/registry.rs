//! Start-up configuration: the tool table, base-URL overrides, and errors that name the setting.

use crate::common;

use mcpgen_runtime::definition::ServerDefinition;

use serde_json::json;

fn definition(base_url: &str) -> ServerDefinition {
    serde_json::from_value(json!({
        "@generated": "test",
        "name": "t-mcp",
        "version": "1.0.0",
        "apis": [{"id": "t", "baseUrlEnv": "T_BASE_URL"}], "environments": [{"name": "default", "apis": [{"id": "t", "baseUrl": base_url}]}],
        "tools": [
            {"tool": {"name": "b_tool", "inputSchema": {"type": "object"}}, "api": "t", "http": {"method": "GET", "path": "/b"}},
            {"tool": {"name": "a_tool", "inputSchema": {"type": "object", "properties": {"x": {"$ref": "#/$defs/X"}}, "$defs": {"X": {"type": "integer"}}}},
             "api": "t", "http": {"method": "GET", "path": "/a"}}
        ]
    }))
    .unwrap()
}

#[test]
fn tools_are_sorted_and_schemas_compiled() {
    let registry = common::registry(definition("https://t.example.com/"), &[]).unwrap();
    let names: Vec<_> = registry.tools().iter().map(|t| t.tool.name.to_string()).collect();
    assert_eq!(names, ["a_tool", "b_tool"]);
    let a = registry.get("a_tool").unwrap();
    assert_eq!(a.base_url, "https://t.example.com");
    assert!(a.input.is_valid(&json!({"x": 1})));
    assert!(!a.input.is_valid(&json!({"x": "one"})), "local $defs refs are resolved");
    assert!(registry.get("nope").is_none());
}

#[test]
fn the_environment_overrides_the_base_url() {
    let registry =
        common::registry(definition("https://t.example.com"), &[("T_BASE_URL", "http://127.0.0.1:9/v2")]).unwrap();
    assert_eq!(registry.get("b_tool").unwrap().base_url, "http://127.0.0.1:9/v2");
}

#[test]
fn a_bad_base_url_names_the_variable_to_fix() {
    let err = common::registry(definition("https://t.example.com"), &[("T_BASE_URL", "not a url")]).err().unwrap();
    assert!(err.contains("T_BASE_URL") && err.contains("not a url"), "{err}");
    let err = common::registry(definition("ftp://t.example.com"), &[]).err().unwrap();
    assert!(err.contains("http or https"), "{err}");
}
