//! Snapshots of every fixture's generated tree, plus determinism (issue 2, items 5 and 7).
//!
//! Each fixture gets a listing of all emitted paths (catches added and removed files) and one
//! snapshot per file. The vendored runtime files are not snapshotted (they are verbatim copies of
//! `runtime/src`, which has its own tests); the test asserts they are exactly that.

use crate::support::{fixtures, generate, root};

#[test]
fn generated_trees_match_snapshots() {
    for fixture in fixtures() {
        let name = fixture.file_name().unwrap().to_string_lossy().into_owned();
        let tree = generate(&fixture);
        let listing: String = tree.keys().map(|p| format!("{p}\n")).collect();
        insta::with_settings!({
            snapshot_path => root().join("tests/snapshots").join(&name),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!("tree", listing);
            for (path, contents) in &tree {
                if let Some(file) = path.strip_prefix("src/runtime/") {
                    let source = if file == "mod.rs" { "lib.rs" } else { file };
                    let original = std::fs::read_to_string(root().join("runtime/src").join(source)).unwrap();
                    assert!(contents.ends_with(&original), "{path} is not a verbatim copy of runtime/src/{source}");
                    assert!(mcpgen::emit::is_generated(contents), "{path} lacks the @generated marker");
                    continue;
                }
                assert!(mcpgen::emit::is_generated(contents), "{name}/{path} lacks the @generated marker");
                insta::assert_snapshot!(path.replace('/', "__"), contents);
            }
        });
    }
}

#[test]
fn generation_is_deterministic_and_independent_of_the_working_directory() {
    for fixture in fixtures() {
        let first = generate(&fixture);
        let second = generate(&fixture);
        assert_eq!(first, second, "{} differs between runs", fixture.display());
        // The same inputs reached through another path spelling give the same bytes.
        let relative = fixture.strip_prefix(root()).unwrap();
        let dotted = root().join(".").join(relative);
        assert_eq!(first, generate(&dotted), "{} depends on the path spelling", fixture.display());
    }
}

#[test]
fn tool_tables_parse_as_runtime_definitions_with_valid_names() {
    for fixture in fixtures() {
        let tree = generate(&fixture);
        let table: mcpgen::definition::ServerDefinition = serde_json::from_str(&tree["src/tools.json"]).unwrap();
        let mut names: Vec<_> = table.tools.iter().map(|t| t.tool["name"].as_str().unwrap().to_owned()).collect();
        assert!(!names.is_empty());
        assert!(names.iter().all(|n| mcpgen::manifest::is_tool_name(n)), "{names:?}");
        let sorted = names.clone();
        names.dedup();
        assert_eq!(names, sorted, "tool names must be unique and sorted");
        for tool in &table.tools {
            // As served: the shared definitions the tool names become its schema's `$defs`.
            let served = table.served_tool(tool).unwrap();
            let schema = &served["inputSchema"];
            assert_eq!(schema["type"], "object");
            // Self-contained: every $ref points into the schema's own $defs.
            let text = schema.to_string();
            for r in text.split("\"$ref\":\"").skip(1) {
                let target = r.split('"').next().unwrap();
                let def = target.strip_prefix("#/$defs/").unwrap_or_else(|| panic!("non-local ref {target}"));
                assert!(schema["$defs"].get(def).is_some(), "dangling ref {target}");
            }
        }
    }
}

/// The table writes whole schemas several tools share once, and leaves out annotations the HTTP
/// method implies (issue 13); assembled, every tool is what the IR built, schema for schema.
#[test]
fn tools_assembled_from_the_table_equal_the_tools_the_ir_built() {
    let (mut shared, mut shared_lists, mut api_headers) = (0, 0, 0);
    for fixture in fixtures() {
        let inputs = mcpgen::Inputs::from_dir(&fixture).unwrap();
        let input = mcpgen::load(&inputs).unwrap();
        let (ir, _) = mcpgen::plan(&input).unwrap();
        let tree = generate(&fixture);
        shared += tree["src/tools.json"].matches(":shared\"").count();
        shared_lists += tree["src/tools.json"].matches(":paths\"").count();
        api_headers += table_has_api_headers(&tree["src/tools.json"]);
        let table: mcpgen::definition::ServerDefinition = serde_json::from_str(&tree["src/tools.json"]).unwrap();
        for tool in &table.tools {
            let served = table.served_tool(tool).unwrap();
            let name = served["name"].as_str().unwrap();
            let built = ir.tools.iter().find(|t| t.name == name).unwrap();
            assert_eq!(served["inputSchema"], ir.input_schema(built), "{name}: inputSchema");
            assert_eq!(served.get("outputSchema").cloned(), ir.output_schema(built), "{name}: outputSchema");
            let hints = &served["annotations"];
            let a = built.annotations;
            assert_eq!(
                (hints["readOnlyHint"].as_bool(), hints["destructiveHint"].as_bool()),
                (Some(a.read_only), Some(a.destructive)),
                "{name}"
            );
            assert_eq!(
                (hints["idempotentHint"].as_bool(), hints["openWorldHint"].as_bool()),
                (Some(a.idempotent), Some(a.open_world)),
                "{name}"
            );
            assert_eq!(hints.get("title"), served.get("title"), "{name}: annotations title");
            assert_eq!(table.shaping_of(tool).unwrap(), built.shaping, "{name}: shaping");
            assert_eq!(table.headers_of(tool), built.headers, "{name}: headers");
            assert_eq!(table.api_of(tool), built.api, "{name}: API");
        }
    }
    assert!(shared > 0, "no fixture shares a schema: the test checks nothing");
    assert!(shared_lists > 0, "no fixture shares a path list: the test checks nothing");
    assert!(api_headers > 0, "no fixture writes headers per API: the test checks nothing");
}

/// How many APIs of the table write headers for their tools.
fn table_has_api_headers(table: &str) -> usize {
    let table: serde_json::Value = serde_json::from_str(table).unwrap();
    table["apis"].as_array().unwrap().iter().filter(|api| api.get("headers").is_some()).count()
}

#[test]
fn generated_text_outside_json_holds_no_control_characters() {
    // Issue 6: a NUL in a spec or manifest string reached Cargo.toml (and rustc refused the crate);
    // a bare CR or a bidi override in a doc comment is refused by rustc too. JSON keeps the text.
    for fixture in fixtures() {
        for (path, contents) in generate(&fixture) {
            if path.ends_with(".json") || path.starts_with("src/runtime/") {
                continue;
            }
            let bad = contents.chars().find(|&c| {
                (c.is_control() && c != '\n') || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
            });
            assert!(bad.is_none(), "{}/{path} holds {bad:?}", fixture.display());
            if path == "Cargo.toml" {
                assert!(!contents.contains("\\u00"), "{}/{path} escapes a control character", fixture.display());
            }
        }
    }
}
