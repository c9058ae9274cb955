//! Generation speed (issue 3 target: a 1,000-operation spec in under 1 s, release build).
//!
//! `cargo bench --bench generate`. Reports wall time per generation of a synthetic spec with 1,000
//! operations (parameters, a `$ref`'d JSON body, an object response sharing component schemas) and,
//! as the baseline measured in the same run, of the petstore fixture; figures are given as ratios
//! to that baseline so they compare across machines.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

fn synthetic_spec(operations: usize) -> String {
    let mut paths = Map::new();
    for i in 0..operations / 4 {
        let item = |method: &str| {
            json!({
                "operationId": format!("{method}Resource{i}"),
                "summary": format!("{method} resource {i}"),
                "parameters": [
                    {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                    {"name": "X-Trace", "in": "header", "schema": {"type": "string"}}
                ],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/Input{}", i % 50)}}}},
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/Output{}", i % 50)}}}}}
            })
        };
        let mut methods = Map::new();
        for method in ["get", "put", "post", "delete"] {
            let mut op = item(method);
            if method == "get" || method == "delete" {
                op.as_object_mut().unwrap().remove("requestBody");
            }
            methods.insert(method.to_owned(), op);
        }
        paths.insert(format!("/resources{i}/{{id}}"), Value::Object(methods));
    }
    let mut schemas = Map::new();
    for i in 0..50 {
        let properties: Map<String, Value> =
            (0..10).map(|p| (format!("field{p}"), json!({"type": "string", "description": "a field"}))).collect();
        schemas.insert(format!("Input{i}"), json!({"type": "object", "properties": properties}));
        schemas.insert(
            format!("Output{i}"),
            json!({"type": "object", "properties": {"id": {"type": "string"}, "input": {"$ref": format!("#/components/schemas/Input{i}")}, "next": {"$ref": format!("#/components/schemas/Output{}", (i + 1) % 50)}}}),
        );
    }
    json!({"openapi": "3.0.3", "info": {"title": "Synthetic", "version": "1"}, "servers": [{"url": "https://s.example.com"}],
           "paths": paths, "components": {"schemas": schemas}})
    .to_string()
}

fn time(manifest: &str, spec_name: &str, spec: &str, runs: u32) -> (Duration, usize) {
    let mut tools = 0;
    let started = Instant::now();
    for _ in 0..runs {
        let input = mcpgen::load_texts(manifest, &[(spec_name, spec)]).expect("valid inputs");
        let (tree, _) = mcpgen::generate(&input).expect("generates");
        let table: mcpgen::definition::ServerDefinition = serde_json::from_str(&tree["src/tools.json"]).unwrap();
        tools = table.tools.len();
    }
    (started.elapsed() / runs, tools)
}

fn main() {
    let manifest = "version: 1\nserver: {name: bench-mcp}\napis:\n  api: {spec: openapi.json}\n";
    let petstore_manifest =
        std::fs::read_to_string("fixtures/petstore/mcpgen.yaml").expect("run from the repository root");
    let petstore = std::fs::read_to_string("fixtures/petstore/openapi.yaml").unwrap();
    let (baseline, _) = time(&petstore_manifest, "openapi.yaml", &petstore, 50);
    let spec = synthetic_spec(1000);
    let (big, tools) = time(manifest, "openapi.json", &spec, 5);
    println!("baseline  petstore (5 tools):          {:>9.2} ms", baseline.as_secs_f64() * 1e3);
    println!(
        "synthetic {tools} tools:                 {:>9.2} ms  ({:.0}x baseline; target < 1000 ms in a release build)",
        big.as_secs_f64() * 1e3,
        big.as_secs_f64() / baseline.as_secs_f64()
    );
    assert_eq!(tools, 1000);
}
