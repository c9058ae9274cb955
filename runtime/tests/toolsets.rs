//! `--toolset` (issue 12, item 4): a server started with toolsets serves only their tools — not
//! listed, not callable — and an unknown toolset stops the start with the known names.

use std::ffi::OsString;

use crate::common;

use mcpgen_runtime::McpServer;
use mcpgen_runtime::cli::parse;
use mcpgen_runtime::definition::ServerDefinition;
use mcpgen_runtime::registry::{Registry, Selection};
use serde_json::json;

fn definition() -> ServerDefinition {
    let tool = |name: &str, toolsets: &[&str]| {
        json!({"tool": {"name": name, "inputSchema": {"type": "object"}}, "api": "b",
               "http": {"method": "GET", "path": format!("/{name}")}, "toolsets": toolsets})
    };
    serde_json::from_value(json!({
        "@generated": "test", "name": "b-mcp", "version": "1.0.0",
        "apis": [{"id": "b", "baseUrlEnv": "B_BASE_URL"}],
        "environments": [{"name": "default", "apis": [{"id": "b", "baseUrl": "https://b.example.com"}]}],
        "toolsets": ["customers", "charges", "empty"],
        "tools": [
            tool("get_customer", &["customers"]),
            tool("list_charges", &["charges"]),
            tool("get_charge", &["charges", "customers"]),
            tool("get_report", &[])
        ]
    }))
    .unwrap()
}

fn start(toolsets: &[&str]) -> Result<Registry, String> {
    let selection = Selection { toolsets: toolsets.iter().map(|t| (*t).to_owned()).collect(), ..Selection::default() };
    Registry::new(definition(), &selection, common::secrets(&[]))
}

fn listed(registry: Registry) -> Vec<String> {
    McpServer::new(registry).visible_tools(None).map(|t| t.name.clone()).collect()
}

#[test]
fn a_toolset_serves_only_its_tools_and_several_serve_their_union() {
    let registry = start(&["charges"]).unwrap();
    assert!(registry.get("get_customer").is_none(), "a tool outside the toolset cannot be called");
    assert_eq!(listed(registry), ["get_charge", "list_charges"]);
    assert_eq!(listed(start(&["charges", "customers"]).unwrap()), ["get_charge", "get_customer", "list_charges"]);
    assert_eq!(listed(start(&[]).unwrap()).len(), 4, "no --toolset: every tool, also those in no toolset");
    assert!(listed(start(&["empty"]).unwrap()).is_empty(), "a defined toolset without tools serves nothing");
}

#[test]
fn an_unknown_toolset_fails_at_start_naming_the_known_ones() {
    let err = start(&["charges", "refunds"]).err().unwrap();
    assert_eq!(err, "unknown toolset `refunds`; this server has: customers, charges, empty");
    let mut bare = definition();
    bare.toolsets.clear();
    let err =
        Registry::new(bare, &Selection { toolsets: vec!["x".into()], ..Selection::default() }, common::secrets(&[]))
            .err()
            .unwrap();
    assert!(err.contains("defines no toolsets"), "{err}");
}

#[test]
fn toolsets_come_from_repeated_or_comma_separated_flags() {
    let args = |list: &[&str]| -> Vec<OsString> {
        std::iter::once("b-mcp").chain(list.iter().copied()).map(OsString::from).collect()
    };
    let options = parse(&definition(), args(&["--toolset", "charges,customers", "--toolset", "empty"])).unwrap();
    assert_eq!(options.toolsets, ["charges", "customers", "empty"]);
    assert!(parse(&definition(), args(&[])).unwrap().toolsets.is_empty());
    let help = parse(&definition(), args(&["--help"])).unwrap_err().to_string();
    assert!(help.contains("--toolset") && help.contains("customers, charges, empty"), "{help}");
}
