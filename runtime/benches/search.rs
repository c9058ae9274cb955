//! Discovery search speed (`cargo bench -p mcpgen-runtime --bench search`).
//!
//! Builds 1,500 synthetic tools (resource × verb, with descriptions, tags and parameters, the
//! shape of a large REST API), derives their terms with the generator's code, and times ranked
//! queries phrased as an agent would. The baseline, measured in the same run, is one pass of a
//! case-insensitive substring test over every tool's description — the cheapest search that
//! could work at all. Figures are per query and as a ratio to that baseline; also printed: the
//! size of `tools/list` with every tool, and with the three meta-tools.

use std::hint::black_box;
use std::time::Instant;

use mcpgen_runtime::McpServer;
use mcpgen_runtime::definition::SurfaceMode;
use mcpgen_runtime::search::{Fields, Index};
use serde_json::{Value, json};

#[path = "../tests/common/mod.rs"]
mod common;

const RESOURCES: &[&str] = &[
    "account",
    "address",
    "alert",
    "api_key",
    "app",
    "artifact",
    "audit_log",
    "backup",
    "balance",
    "batch",
    "bill",
    "board",
    "branch",
    "bucket",
    "build",
    "calendar",
    "campaign",
    "card",
    "cart",
    "catalog",
    "certificate",
    "channel",
    "charge",
    "check",
    "cluster",
    "comment",
    "commit",
    "contact",
    "container",
    "contract",
    "coupon",
    "credential",
    "customer",
    "dashboard",
    "database",
    "deal",
    "deployment",
    "device",
    "discount",
    "dispute",
    "document",
    "domain",
    "draft",
    "email",
    "employee",
    "endpoint",
    "environment",
    "event",
    "export",
    "feature",
    "file",
    "folder",
    "form",
    "gateway",
    "group",
    "hook",
    "image",
    "import",
    "incident",
    "invoice",
    "issue",
    "job",
    "key",
    "label",
    "lead",
    "license",
    "link",
    "list",
    "location",
    "log",
    "mandate",
    "meeting",
    "member",
    "message",
    "metric",
    "milestone",
    "monitor",
    "network",
    "note",
    "notification",
    "order",
    "organization",
    "package",
    "page",
    "payment",
    "payout",
    "permission",
    "pipeline",
    "plan",
    "policy",
    "price",
    "product",
    "project",
    "queue",
    "quote",
    "refund",
    "region",
    "release",
    "report",
    "repository",
    "request",
    "role",
    "rule",
    "schedule",
    "secret",
    "segment",
    "server",
    "service",
    "session",
    "shipment",
    "snapshot",
    "source",
    "space",
    "subscription",
    "survey",
    "tag",
    "task",
    "team",
    "template",
    "ticket",
    "token",
    "topic",
    "transfer",
    "user",
    "variable",
    "vendor",
    "volume",
    "webhook",
    "workflow",
    "workspace",
    "zone",
    "schema",
    "quota",
    "tenant",
    "tax_rate",
    "reader",
    "payout_method",
];
const VERBS: &[(&str, &str, bool)] = &[
    ("list", "GET", false),
    ("get", "GET", true),
    ("create", "POST", false),
    ("update", "PATCH", true),
    ("replace", "PUT", true),
    ("delete", "DELETE", true),
    ("search", "GET", false),
    ("archive", "POST", true),
    ("restore", "POST", true),
    ("export", "GET", false),
    ("count", "GET", false),
];
const QUERIES: &[&str] = &[
    "cancel a customer's subscription",
    "refund the last payment",
    "list open tickets for a team",
    "remove a webhook",
    "create an invoice for an order",
    "find users by email",
    "update the shipping address",
    "show deployment status",
];

fn definition(count: usize) -> Value {
    let mut tools = Vec::new();
    'outer: for resource in RESOURCES {
        for (verb, method, by_id) in VERBS {
            if tools.len() == count {
                break 'outer;
            }
            let plural = format!("{resource}s");
            let path = if *by_id { format!("/v1/{plural}/{{{resource}_id}}") } else { format!("/v1/{plural}") };
            let words = resource.replace('_', " ");
            tools.push(json!({
                "tool": {
                    "name": format!("{verb}_{resource}"),
                    "title": format!("{} {words}", verb[..1].to_uppercase() + &verb[1..]),
                    "description": format!("{} {words} records of the authenticated account. Results are paginated; pass the cursor from the previous page. Requires the {resource}:write scope for changes.", verb[..1].to_uppercase() + &verb[1..]),
                    "inputSchema": {"type": "object", "properties": {
                        format!("{resource}_id"): {"type": "string"}, "limit": {"type": "integer"}, "cursor": {"type": "string"},
                        "expand": {"type": "array", "items": {"type": "string"}}
                    }}
                },
                "api": "big", "http": {"method": method, "path": path}, "tags": [resource]
            }));
        }
    }
    json!({
        "@generated": "bench", "name": "big-mcp", "version": "1.0.0",
        "apis": [{"id": "big", "baseUrlEnv": "BIG_BASE_URL"}], "tools": tools,
        "environments": [{"name": "default", "apis": [{"id": "big", "baseUrl": "http://127.0.0.1:9"}]}]
    })
}

fn per_query_ns(rounds: usize, mut run: impl FnMut(&str)) -> f64 {
    let started = Instant::now();
    for _ in 0..rounds {
        for query in QUERIES {
            run(query);
        }
    }
    started.elapsed().as_nanos() as f64 / (rounds * QUERIES.len()) as f64
}

fn main() {
    let definition = definition(1_500);
    let tools = definition["tools"].as_array().unwrap().clone();
    let started = Instant::now();
    let documents: Vec<_> = tools
        .iter()
        .map(|t| {
            let tags: Vec<String> = vec![t["tags"][0].as_str().unwrap().to_owned()];
            Fields {
                name: t["tool"]["name"].as_str().unwrap(),
                title: t["tool"]["title"].as_str(),
                description: t["tool"]["description"].as_str().unwrap(),
                tags: &tags,
                method: t["http"]["method"].as_str().unwrap(),
                path: t["http"]["path"].as_str().unwrap(),
                params: mcpgen_runtime::search::param_names(t["tool"]["inputSchema"].as_object().unwrap()),
            }
            .document()
        })
        .collect();
    let derive = started.elapsed();
    let started = Instant::now();
    let index = Index::new(&documents);
    let build = started.elapsed();
    let descriptions: Vec<String> =
        tools.iter().map(|t| t["tool"]["description"].as_str().unwrap().to_lowercase()).collect();
    let rounds = 200;
    let baseline = per_query_ns(rounds, |q| {
        let q = q.to_lowercase();
        black_box(descriptions.iter().filter(|d| d.contains(q.as_str())).count());
    });
    let ranked = per_query_ns(rounds, |q| {
        black_box(index.search(q, |_| true, 10));
    });
    println!(
        "{} tools: terms derived in {:.1} ms, index built in {:.2} ms",
        tools.len(),
        derive.as_secs_f64() * 1e3,
        build.as_secs_f64() * 1e3
    );
    println!("baseline (substring scan of every description): {:>8.1} µs/query", baseline / 1e3);
    println!(
        "ranked search (BM25F, top 10):                  {:>8.1} µs/query  ({:.2}x baseline)",
        ranked / 1e3,
        ranked / baseline
    );
    for query in &QUERIES[..3] {
        let top: Vec<&str> =
            index.search(query, |_| true, 3).iter().map(|h| tools[h.doc]["tool"]["name"].as_str().unwrap()).collect();
        println!("  {query:?} -> {top:?}");
    }
    let definition = serde_json::from_value(definition).unwrap();
    let registry = common::registry(definition, &[]).unwrap();
    let full = mcpgen_runtime::discovery::estimated_tokens(registry.tools());
    let server = McpServer::with_surface(registry, Some(SurfaceMode::Discovery));
    let meta = serde_json::to_vec(&json!({"tools": server.discovery().unwrap().tools()})).unwrap().len();
    println!("tools/list: every tool ~{full} tokens; discovery meta-tools {meta} bytes (~{} tokens)", meta / 4);
}
