//! Response shaping on a real spec (issue 14, item 4): the table generated from two operations
//! of GitHub's REST API description (`fixtures/github-list`) served by the runtime, called by
//! rmcp's client over the stdio framing, against a loopback upstream that answers like GitHub
//! (items made from the spec's own examples, `Link` headers as GitHub writes them).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use mcpgen_runtime::definition::ServerDefinition;
use mcpgen_runtime::registry::Selection;
use mcpgen_runtime::secrets::Secrets;
use mcpgen_runtime::{McpServer, Registry};
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{RoleClient, RunningService};
use rmcp::{ServiceExt, model::Tool};
use serde_json::{Value, json};

use crate::support;

/// Repositories of the organisation the upstream serves.
const REPOS: usize = 95;

type Client = RunningService<RoleClient, ()>;

#[derive(Clone)]
struct Upstream {
    /// Query strings of the requests, in order.
    seen: Arc<Mutex<Vec<String>>>,
    /// One item of each operation, from the spec's examples.
    repo: Value,
    found: Value,
    /// `http://127.0.0.1:PORT` of this upstream, for its `Link` headers.
    origin: Arc<Mutex<String>>,
}

fn spec() -> Value {
    let text = std::fs::read_to_string(support::root().join("fixtures/github-list/openapi.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn numbered(item: &Value, i: usize) -> Value {
    let mut item = item.clone();
    item["id"] = json!(1000 + i);
    item["name"] = json!(format!("repo-{i}"));
    item["full_name"] = json!(format!("acme/repo-{i}"));
    item
}

/// `GET /orgs/{org}/repos`: numbered pages of `REPOS` repositories, linked like GitHub links them
/// (under `/organizations/<id>/repos`). Org `elsewhere` links its next page to another host.
async fn list_repos(
    State(up): State<Upstream>,
    Path(org): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    uri: axum::http::Uri,
) -> impl IntoResponse {
    up.seen.lock().unwrap().push(uri.query().unwrap_or_default().to_owned());
    let get = |name: &str, default: usize| {
        query.iter().find(|(k, _)| k == name).and_then(|(_, v)| v.parse().ok()).unwrap_or(default)
    };
    let (page, per_page) = (get("page", 1), get("per_page", 30));
    let start = (page - 1) * per_page;
    let items: Vec<Value> = (start..(start + per_page).min(REPOS)).map(|i| numbered(&up.repo, i + 1)).collect();
    let origin = up.origin.lock().unwrap().clone();
    let mut links = vec![format!("<{origin}/organizations/4242/repos?per_page={per_page}&page=1>; rel=\"first\"")];
    if start + per_page < REPOS {
        let next = if org == "elsewhere" { "http://127.0.0.2:9".to_owned() } else { origin };
        links.insert(
            0,
            format!("<{next}/organizations/4242/repos?per_page={per_page}&page={}>; rel=\"next\"", page + 1),
        );
    }
    let mut headers = HeaderMap::new();
    headers.insert("link", HeaderValue::from_str(&links.join(", ")).unwrap());
    (headers, axum::Json(Value::Array(items)))
}

/// `GET /search/repositories`: an envelope with `total_count`.
async fn search(
    State(up): State<Upstream>,
    Query(query): Query<Vec<(String, String)>>,
    uri: axum::http::Uri,
) -> impl IntoResponse {
    up.seen.lock().unwrap().push(uri.query().unwrap_or_default().to_owned());
    let per_page = query.iter().find(|(k, _)| k == "per_page").and_then(|(_, v)| v.parse().ok()).unwrap_or(30);
    let mut items: Vec<Value> = (0..per_page).map(|i| numbered(&up.found, i + 1)).collect();
    if query.iter().any(|(k, v)| k == "q" && v == "broken") {
        // The spec requires `full_name`: the upstream breaking its contract must still show.
        items[1].as_object_mut().unwrap().remove("full_name");
    }
    axum::Json(json!({"total_count": 4321, "incomplete_results": false, "items": items}))
}

async fn start() -> (Client, Upstream) {
    let spec = spec();
    let up = Upstream {
        seen: Arc::default(),
        repo: spec.pointer("/components/examples/minimal-repository-items/value/0").unwrap().clone(),
        found: spec.pointer("/components/examples/repo-search-result-item-paginated/value/items/0").unwrap().clone(),
        origin: Arc::default(),
    };
    let app = axum::Router::new()
        .route("/orgs/{org}/repos", get(list_repos))
        .route("/search/repositories", get(search))
        .with_state(up.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    *up.origin.lock().unwrap() = format!("http://{addr}");
    tokio::spawn(async move { axum::serve(listener, app).await });

    let tree = support::generate(&support::root().join("fixtures/github-list"));
    let table: ServerDefinition = serde_json::from_str(&tree["src/tools.json"]).unwrap();
    let base = format!("http://{addr}");
    let secrets = Arc::new(Secrets::new(Arc::new(move |name| (name == "GITHUB_BASE_URL").then(|| base.clone()))));
    let registry = Registry::new(table, &Selection::default(), secrets).unwrap();
    let server = McpServer::new(registry);
    let (server_side, client_side) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        if let Ok(running) = server.serve(server_side).await {
            let _ = running.waiting().await;
        }
    });
    (().serve(client_side).await.unwrap(), up)
}

async fn call(client: &Client, tool: &str, arguments: Value) -> CallToolResult {
    let Value::Object(arguments) = arguments else { panic!("arguments are an object") };
    client.call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments)).await.unwrap()
}

/// The result's JSON text (the first block) and its shaping note (the second), if any.
fn parts(result: &CallToolResult) -> (Value, Option<Value>) {
    let texts: Vec<&str> = result.content.iter().filter_map(|c| c.as_text().map(|t| t.text.as_str())).collect();
    assert_ne!(result.is_error, Some(true), "{texts:?}");
    let value = serde_json::from_str(texts[0]).unwrap();
    let note = texts.get(1).map(|t| serde_json::from_str(t).unwrap());
    (value, note)
}

fn text_bytes(result: &CallToolResult) -> usize {
    result.content.iter().filter_map(|c| c.as_text().map(|t| t.text.len())).sum()
}

fn error_text(result: &CallToolResult) -> String {
    assert_eq!(result.is_error, Some(true));
    result.content.iter().filter_map(|c| c.as_text().map(|t| t.text.clone())).collect()
}

/// Leaf fields of a JSON value (members of nested objects counted one by one).
fn leaves(value: &Value) -> usize {
    match value {
        Value::Object(map) => map.values().map(|v| if v.is_object() { leaves(v) } else { 1 }).sum(),
        _ => 1,
    }
}

fn tool<'t>(tools: &'t [Tool], name: &str) -> &'t Tool {
    tools.iter().find(|t| t.name == name).unwrap()
}

#[tokio::test]
async fn a_github_list_comes_back_under_the_budget_projected_and_pages_with_its_handle() {
    let (client, up) = start().await;
    let tree = support::generate(&support::root().join("fixtures/github-list"));
    let table: Value = serde_json::from_str(&tree["src/tools.json"]).unwrap();
    let paths = table.pointer("/tools/0/shaping/fields/paths").and_then(Value::as_array).unwrap().len();
    assert!(paths >= 100, "{paths} field paths per item");
    eprintln!("{paths} field paths per item in the schema, {} leaf values in the spec's example", leaves(&up.repo));
    let tools = client.list_all_tools().await.unwrap();
    let list = tool(&tools, "repos_list_for_org");
    let properties = list.input_schema.get("properties").and_then(Value::as_object).unwrap();
    assert!(properties.contains_key("fields") && properties.contains_key("continuation"), "{properties:?}");

    // Unprojected, 100 items of ~5 KB: cut to the budget at an item boundary, with a note.
    let whole = call(&client, "repos_list_for_org", json!({"org": "acme", "per_page": 100})).await;
    let upstream_bytes =
        serde_json::to_vec(&Value::Array((1..=REPOS).map(|i| numbered(&up.repo, i)).collect())).unwrap().len();
    let (items, note) = parts(&whole);
    let note = note.expect("a cut result says so");
    assert!(text_bytes(&whole) <= 60_000, "{} bytes", text_bytes(&whole));
    let returned = items.as_array().unwrap().len();
    assert!((1..50).contains(&returned), "{returned} items");
    assert_eq!(note["truncated"], json!(true));
    assert_eq!(note["returned"], json!(returned));
    assert!(note["note"].as_str().unwrap().contains("`fields`"), "{note}");
    eprintln!("unprojected: upstream {upstream_bytes} bytes, result {} bytes ({returned} items)", text_bytes(&whole));

    // Projected: a page of 30 items in a few KB, and a handle for the next page.
    let first = call(&client, "repos_list_for_org", json!({"org": "acme", "fields": "id,name,owner.login"})).await;
    let (items, note) = parts(&first);
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 30);
    assert_eq!(items[0], json!({"id": 1001, "name": "repo-1", "owner": {"login": up.repo["owner"]["login"]}}));
    let note = note.expect("more pages follow");
    assert_eq!(note["truncated"], json!(false));
    eprintln!("projected: result {} bytes (30 items)", text_bytes(&first));
    assert!(text_bytes(&first) < 5_000, "{} bytes", text_bytes(&first));

    // The handle alone fetches page 2 with the same projection; the upstream sees `page=2`.
    let mut handle = note["continuation"].as_str().unwrap().to_owned();
    let mut pages = vec![items.clone()];
    while !handle.is_empty() {
        let next = call(&client, "repos_list_for_org", json!({"continuation": handle})).await;
        let (items, note) = parts(&next);
        pages.push(items.as_array().unwrap().clone());
        handle = note.and_then(|n| n["continuation"].as_str().map(str::to_owned)).unwrap_or_default();
    }
    let ids: Vec<u64> = pages.iter().flatten().map(|i| i["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (1001..=1000 + REPOS as u64).collect::<Vec<_>>());
    assert!(pages.iter().flatten().all(|i| i.as_object().unwrap().len() == 3));
    let seen = up.seen.lock().unwrap().clone();
    assert_eq!(&seen[seen.len() - 4..], ["", "per_page=30&page=2", "per_page=30&page=3", "per_page=30&page=4"]);
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn the_item_cap_resumes_inside_a_page_and_a_link_off_the_api_is_not_followed() {
    let (client, up) = start().await;
    // 95 items in one upstream page, 50 per result: the handle resumes at item 51 of that page.
    let first = call(&client, "repos_list_for_org", json!({"org": "acme", "per_page": 100, "fields": "id"})).await;
    let (items, note) = parts(&first);
    assert_eq!(items.as_array().unwrap().len(), 50);
    let note = note.unwrap();
    assert_eq!((note["truncated"].clone(), note["returned"].clone()), (json!(true), json!(50)));
    let rest = call(&client, "repos_list_for_org", json!({"continuation": note["continuation"]})).await;
    let (items, note) = parts(&rest);
    let ids: Vec<u64> = items.as_array().unwrap().iter().map(|i| i["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (1051..=1095).collect::<Vec<_>>());
    assert_eq!(note.unwrap()["skipped"], json!(50));
    // `fields` is shaping's, never sent; the resumed call asks for the same page again.
    assert_eq!(up.seen.lock().unwrap().as_slice(), ["per_page=100", "per_page=100"]);

    // A `next` link to another host: said, not followed, no handle.
    let elsewhere = call(&client, "repos_list_for_org", json!({"org": "elsewhere", "fields": "id"})).await;
    let (_, note) = parts(&elsewhere);
    let note = note.unwrap();
    assert!(note.get("continuation").is_none(), "{note}");
    assert!(note["note"].as_str().unwrap().contains("leaves the API's base URL"), "{note}");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_projected_envelope_keeps_its_total_and_matches_the_declared_output_schema() {
    let (client, _up) = start().await;
    let tools = client.list_all_tools().await.unwrap();
    let search = tool(&tools, "search_repos");
    let schema = Value::Object((*search.output_schema.clone().unwrap()).clone());
    assert!(!schema.to_string().contains("\"required\""), "shaped tools declare no required members");
    let validator = jsonschema::validator_for(&schema).unwrap();
    let result = call(&client, "search_repos", json!({"q": "mcp", "fields": "id,full_name,owner.login"})).await;
    let structured = result.structured_content.clone().unwrap();
    assert!(
        validator.is_valid(&structured),
        "{:?}",
        validator.iter_errors(&structured).map(|e| e.to_string()).collect::<Vec<_>>()
    );
    assert_eq!(structured["total_count"], json!(4321));
    let mut kept: Vec<&String> = structured["items"][0].as_object().unwrap().keys().collect();
    kept.sort();
    assert_eq!(kept, ["full_name", "id", "owner"]);
    let (_, note) = parts(&result);
    let note = note.unwrap();
    assert_eq!(note["total"], json!(4321));
    let meta = result.meta.clone().unwrap();
    assert_eq!(meta.0.get("io.mcpgen/shaping"), Some(&note));

    // The declared schema requires nothing (a projection leaves members out), yet an upstream
    // that leaves out what the spec requires is still caught, projected or not.
    for fields in [json!("id"), Value::Null] {
        let mut arguments = json!({"q": "broken"});
        if !fields.is_null() {
            arguments["fields"] = fields;
        }
        let broken = error_text(&call(&client, "search_repos", arguments).await);
        assert!(broken.contains("\"full_name\" is a required property at `/items/1`"), "{broken}");
    }
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn unknown_fields_and_bad_handles_are_refused_with_what_to_do() {
    let (client, up) = start().await;
    let typo = error_text(&call(&client, "repos_list_for_org", json!({"org": "acme", "fields": "id,nmae"})).await);
    assert!(typo.contains("`nmae`") && typo.contains("Top-level fields") && typo.contains("full_name"), "{typo}");
    let nested = error_text(&call(&client, "repos_list_for_org", json!({"org": "acme", "fields": "owner.lgin"})).await);
    assert!(nested.contains("Fields of `owner`") && nested.contains("login"), "{nested}");
    let damaged = error_text(&call(&client, "repos_list_for_org", json!({"continuation": "c1.abc.def"})).await);
    assert!(damaged.contains("not valid"), "{damaged}");
    let first = call(&client, "repos_list_for_org", json!({"org": "acme", "fields": "id"})).await;
    let handle = parts(&first).1.unwrap()["continuation"].clone();
    let mixed = error_text(&call(&client, "repos_list_for_org", json!({"continuation": handle, "org": "other"})).await);
    assert!(mixed.contains("cannot be given with it"), "{mixed}");
    let other = error_text(&call(&client, "search_repos", json!({"q": "x", "continuation": handle})).await);
    assert!(other.contains("belongs to the tool `repos_list_for_org`"), "{other}");
    // None of the refused calls reached the upstream.
    assert_eq!(up.seen.lock().unwrap().len(), 1);
    client.cancel().await.unwrap();
}

/// Path lists several tools have are written once, in the API's `{api}:paths` table, and put
/// back when the table loads (issue 13): a tool whose projection paths are shared still knows
/// its fields, and a table naming a list it lacks is refused at start, naming the list.
#[tokio::test]
async fn shared_path_lists_are_put_back_at_start_and_a_missing_one_is_refused() {
    let tree = support::generate(&support::root().join("fixtures/petstore"));
    let mut table: Value = serde_json::from_str(&tree["src/tools.json"]).unwrap();
    let get_pet = table["tools"].as_array().unwrap().iter().position(|t| t["tool"]["name"] == "get_pet").unwrap();
    let name = table["tools"][get_pet].pointer("/shaping/fields/paths").and_then(Value::as_str).unwrap().to_owned();
    assert!(table["definitions"]["petstore:paths"][&name].as_array().is_some_and(|paths| paths.len() > 5));
    let secrets = || Arc::new(Secrets::new(Arc::new(|_: &str| None)));
    let definition: ServerDefinition = serde_json::from_value(table.clone()).unwrap();
    let server = McpServer::new(Registry::new(definition, &Selection::default(), secrets()).unwrap());
    // Refused before any request (the upstream in the table does not listen): from the shared list.
    let result = server.call("get_pet", json!({"petId": "1", "fields": "owner.nickname"})).await;
    let text = error_text(&result);
    assert!(text.contains("`owner.nickname`") && text.contains("Fields of `owner`: owner.name, owner.pets"), "{text}");

    table["definitions"]["petstore:paths"].as_object_mut().unwrap().remove(&name);
    let definition: ServerDefinition = serde_json::from_value(table).unwrap();
    let error = Registry::new(definition, &Selection::default(), secrets()).err().unwrap();
    assert!(error.contains(&format!("no shared path list `{name}` in table `petstore:paths`")), "{error}");
}
