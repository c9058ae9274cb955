//! Generation speed (issue 3 target: a 1,000-operation spec in under 1 s; issue 13: Microsoft
//! Graph in under 5 s and Graph beta in under 10 s with peak RSS under 1 GB, release build).
//!
//! `cargo bench --bench generate`. Two parts, every figure also given as a ratio to a baseline
//! measured in the same run, so that they compare across machines (timing is never asserted):
//!
//! - a synthetic spec with 1,000 operations (parameters, a `$ref`'d JSON body, an object
//!   response sharing component schemas), against the petstore fixture;
//! - the largest specs of the real-world corpus (`~/.cache/mcpgen-corpus`, see docs/corpus.md;
//!   `MCPGEN_CORPUS` overrides the directory, missing specs are skipped), each in a child process
//!   so that its peak RSS is its own. The baseline is parsing the same spec text into a
//!   `serde_json::Value` — the least any generator must do — and the phases (load, IR, measure,
//!   emit) are shown beside the total with the time per operation, which stays flat when cost
//!   grows linearly with the spec, the peak RSS once the spec is loaded and in all (a figure, not
//!   asserted), and the size of `tools.json` against the spec's.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

/// Corpus specs by increasing size: `(label, path under api/)`.
const CORPUS: &[(&str, &str)] = &[
    ("Stripe", "stripe.com.json"),
    ("Kubernetes", "kubernetes.io.json"),
    ("GitHub", "github.com/api.github.com.json"),
    ("Autotask", "autotask.net.json"),
    ("Microsoft Graph", "microsoft.com/graph.json"),
    ("Microsoft Graph beta", "microsoft.com/graph-beta.json"),
];

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

/// The manifest the corpus runner uses (scripts/corpus.rs): every operation, a loopback base URL
/// when the spec names no absolute server.
fn corpus_manifest(spec: &Value) -> String {
    let servers = spec.get("servers").and_then(Value::as_array);
    let has_server = servers
        .is_some_and(|s| s.iter().any(|s| s.get("url").and_then(Value::as_str).is_some_and(|u| u.starts_with("http"))));
    let mut api = json!({"spec": "openapi.json"});
    if !has_server {
        api["base_url"] = "http://127.0.0.1:9".into();
    }
    json!({"version": 1, "server": {"name": "corpus-api"}, "apis": {"api": api}}).to_string()
}

/// Peak resident set size of this process so far, in MiB (Linux; 0 elsewhere).
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap_or_default();
    line.split_whitespace().nth(1).and_then(|kb| kb.parse::<u64>().ok()).unwrap_or(0) / 1024
}

/// One corpus spec, in this (child) process: prints one table row.
fn corpus_one(label: &str, path: &str) {
    let text = std::fs::read_to_string(path).expect("readable spec");
    let started = Instant::now();
    let value: Value = serde_json::from_str(&text).expect("JSON spec");
    let parse = started.elapsed();
    let manifest = corpus_manifest(&value);
    drop(value);
    let started = Instant::now();
    let mut input = mcpgen::load_texts(&manifest, &[("openapi.json", &text)]).expect("valid inputs");
    let load = started.elapsed();
    // `mcpgen generate` reads the file into the document without a copy: so does this process.
    let spec_len = text.len();
    drop(text);
    let load_rss = peak_rss_mib();
    let (ir, _) = mcpgen::plan(&input).expect("plans");
    let plan = started.elapsed() - load;
    let _ = mcpgen::measure(&input, &ir, &mut mcpgen::diagnostics::Problems::default());
    let measure = started.elapsed() - load - plan;
    // As `mcpgen generate` does, the specs are freed before emitting (only the IR is read).
    input.specs.clear();
    let tree = mcpgen::emit::emit(&ir).expect("emits");
    let total = started.elapsed();
    let emit = total - load - plan - measure;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let ratio = |d: Duration| d.as_secs_f64() / parse.as_secs_f64();
    let table = tree["src/tools.json"].len();
    println!(
        "| {label} | {} | {:.0} ms | {:.0} ms ({:.1}×) | {:.1}× / {:.1}× / {:.1}× / {:.1}× | {:.0} µs | {load_rss} / {} MiB | {:.1} MB ({:.2}× spec) |",
        ir.tools.len(),
        ms(parse),
        ms(total),
        ratio(total),
        ratio(load),
        ratio(plan),
        ratio(measure),
        ratio(emit),
        total.as_secs_f64() * 1e6 / ir.tools.len().max(1) as f64,
        peak_rss_mib(),
        table as f64 / 1e6,
        table as f64 / spec_len as f64,
    );
}

fn corpus() {
    let dir = std::env::var("MCPGEN_CORPUS").map(std::path::PathBuf::from).unwrap_or_else(|_| {
        std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/mcpgen-corpus/package/api")
    });
    let present: Vec<_> = CORPUS.iter().filter(|(_, file)| dir.join(file).is_file()).collect();
    if present.is_empty() {
        println!("corpus: no specs under {} (see docs/corpus.md); skipped", dir.display());
        return;
    }
    println!();
    println!(
        "| spec | tools | baseline: parse JSON | generate (× baseline) | load / IR / measure / emit (× baseline) | per tool | peak RSS: load / all | tools.json |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (label, file) in present {
        let exe = std::env::current_exe().expect("the bench binary");
        let status = std::process::Command::new(exe)
            .env("MCPGEN_BENCH_ONE", format!("{label}\t{}", dir.join(file).display()))
            .status()
            .expect("runs the child");
        if !status.success() {
            println!("| {label} | failed: {status} |");
        }
    }
}

fn main() {
    if let Ok(one) = std::env::var("MCPGEN_BENCH_ONE") {
        let (label, path) = one.split_once('\t').expect("label TAB path");
        corpus_one(label, path);
        return;
    }
    // `cargo bench` passes `--bench`; any other argument selects the corpus part alone.
    let corpus_only = std::env::args().skip(1).any(|a| a == "corpus");
    if !corpus_only {
        synthetic();
    }
    corpus();
}

fn synthetic() {
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
