//! The `tools/list` sizes `validate` and `generate` report (issue 12, item 5) are the bytes the
//! generated server sends: each tool object of `tools.json`, read into rmcp's `Tool` as the
//! runtime does and serialised back, has the size the budget counts.

use crate::support::root;

#[test]
fn measured_sizes_are_what_rmcp_serialises() {
    for fixture in ["toolsets", "petstore", "governance"] {
        let dir = root().join("fixtures").join(fixture);
        let input = mcpgen::load(&mcpgen::Inputs::from_dir(&dir).unwrap()).unwrap();
        let (ir, _) = mcpgen::plan(&input).unwrap();
        let report = mcpgen::measure(&input, &ir, &mut mcpgen::diagnostics::Problems::default());
        let (tree, _) = mcpgen::generate(&input).unwrap();
        let definition: mcpgen::definition::ServerDefinition = serde_json::from_str(&tree["src/tools.json"]).unwrap();
        let tools: Vec<rmcp::model::Tool> = definition
            .tools
            .iter()
            .map(|t| serde_json::from_value(serde_json::Value::Object(definition.served_tool(t).unwrap())).unwrap())
            .collect();
        let wire = serde_json::to_string(&serde_json::json!({ "tools": tools })).unwrap();
        assert_eq!(report.server.bytes, wire.len(), "{fixture}: the whole list");
        assert_eq!(report.server.tools, tools.len());
        for (name, size) in &report.toolsets {
            let members: Vec<&rmcp::model::Tool> = tools
                .iter()
                .zip(&definition.tools)
                .filter(|(_, d)| d.toolsets.contains(name))
                .map(|(t, _)| t)
                .collect();
            let wire = serde_json::to_string(&serde_json::json!({ "tools": members })).unwrap();
            assert_eq!(size.bytes, wire.len(), "{fixture}: toolset {name}");
        }
    }
}

#[test]
fn the_discovery_figure_is_the_meta_tool_listing_rmcp_serialises() {
    let dir = root().join("fixtures").join("petstore");
    let input = mcpgen::load(&mcpgen::Inputs::from_dir(&dir).unwrap()).unwrap();
    let (ir, _) = mcpgen::plan(&input).unwrap();
    let report = mcpgen::measure(&input, &ir, &mut mcpgen::diagnostics::Problems::default());
    let (_, discovery) = report.surfaces().into_iter().find(|(surface, _)| *surface == "discovery").unwrap();
    let tools: Vec<rmcp::model::Tool> = serde_json::from_value(mcpgen::meta_tools::listing()).unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, ["search_tools", "describe_tools", "call_tool"]);
    let wire = serde_json::to_string(&serde_json::json!({ "tools": tools })).unwrap();
    assert_eq!(discovery.bytes, wire.len());
    assert!(discovery.tokens() < 2_000, "the discovery listing is {} tokens", discovery.tokens());
}

#[test]
fn budgets_fail_generation_and_validate_prints_the_sizes() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mcpgen"))
        .args(["validate", "fixtures/toolsets"])
        .current_dir(root())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("tools/list, tools surface (tokens ≈ bytes/4, an estimate):"), "{stderr}");
    for toolset in ["customers", "search", "charges", "reports", "read"] {
        assert!(stderr.contains(&format!("  --toolset {toolset}: ")), "{toolset} missing in {stderr}");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mcpgen"))
        .args(["generate", "fixtures/invalid/budget", "--out"])
        .arg(std::env::temp_dir().join("mcpgen-budget-never-written"))
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("over the budget of 1,000 tokens"));
    assert!(!std::env::temp_dir().join("mcpgen-budget-never-written").exists());
}
