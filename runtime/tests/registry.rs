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
    let names: Vec<_> = registry.tools().iter().map(|t| t.name.clone()).collect();
    assert_eq!(names, ["a_tool", "b_tool"]);
    let a = registry.get("a_tool").unwrap();
    assert_eq!(a.base_url, "https://t.example.com");
    assert!(a.input_validator().unwrap().is_valid(&json!({"x": 1})));
    assert!(!a.input_validator().unwrap().is_valid(&json!({"x": "one"})), "local $defs refs are resolved");
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

#[test]
fn shared_definitions_are_served_inside_each_tools_schemas() {
    // Issue 13: the table holds each definition once; tools name theirs. Clients and validators
    // see self-contained schemas, the tool's own `$defs` (cut copies) kept over shared ones.
    let mut d = definition("https://t.example.com");
    d.definitions = serde_json::from_value(json!({
        "t:input": {"X": {"type": "string"}, "Y": {"type": "integer"}},
        "t:output": {"R": {"type": "object", "required": ["id"]}}
    }))
    .unwrap();
    d.tools[0].tool.insert("inputSchema".into(), json!({"type": "object", "properties": {"y": {"$ref": "#/$defs/Y"}}}));
    d.tools[0]
        .tool
        .insert("outputSchema".into(), json!({"type": "object", "properties": {"r": {"$ref": "#/$defs/R"}}}));
    d.tools[0].defs = serde_json::from_value(json!({
        "input": {"table": "t:input", "names": ["Y"]},
        "output": {"table": "t:output", "names": ["R"]}
    }))
    .unwrap();
    d.tools[1].defs = serde_json::from_value(json!({"input": {"table": "t:input", "names": ["X"]}})).unwrap();
    let registry = common::registry(d.clone(), &[]).unwrap();
    let b = registry.get("b_tool").unwrap();
    assert_eq!(b.tool().input_schema["$defs"], json!({"Y": {"type": "integer"}}));
    assert!(
        b.input_validator().unwrap().is_valid(&json!({"y": 1}))
            && !b.input_validator().unwrap().is_valid(&json!({"y": "one"}))
    );
    let output = b.output_validator().unwrap();
    assert!(!output.unwrap().is_valid(&json!({"r": {}})), "output definitions are served too");
    let a = registry.get("a_tool").unwrap();
    assert_eq!(a.tool().input_schema["$defs"], json!({"X": {"type": "integer"}}), "the tool's own copy wins");

    d.tools[1].defs = serde_json::from_value(json!({"input": {"table": "t:input", "names": ["Z"]}})).unwrap();
    let err = common::registry(d, &[]).err().unwrap();
    assert!(err.contains("no definition `Z`"), "{err}");
}

#[tokio::test]
async fn a_schema_that_does_not_compile_fails_its_tool_only_and_at_call_time() {
    use mcpgen_runtime::McpServer;
    let definition: ServerDefinition = serde_json::from_value(json!({
        "@generated": "test", "name": "t", "version": "1",
        "apis": [{"id": "up", "baseUrlEnv": "UP_BASE_URL"}],
        "tools": [
            {"tool": {"name": "broken", "inputSchema": {"type": "object", "properties": {"x": {"type": "string", "pattern": "(unclosed"}}}},
             "api": "up", "http": {"method": "GET", "path": "/broken"}},
            {"tool": {"name": "fine", "inputSchema": {"type": "object"}}, "api": "up", "http": {"method": "GET", "path": "/fine"}}
        ],
        "environments": [{"name": "default", "apis": [{"id": "up", "baseUrl": "http://127.0.0.1:9"}]}]
    }))
    .unwrap();
    let server =
        McpServer::new(common::registry(definition, &[]).expect("the server starts: schemas compile on first use"));
    let broken = server.call("broken", json!({"x": "a"})).await;
    assert_eq!(broken.is_error, Some(true));
    let text = common::text(&broken);
    assert!(text.contains("its input schema in this server's tool table does not compile"), "{text}");
    let meta = broken.meta.as_ref().unwrap().0["io.mcpgen/error"].clone();
    assert_eq!(meta["class"], "server_fault");
    assert!(server.registry().get("fine").unwrap().input_validator().is_ok(), "other tools are unaffected");
}
