//! Client schema profiles (issue 14, item 1): a server started with `--profile openai-strict` or
//! `--profile gemini` lists input schemas in that client's subset, and a call made in that shape
//! — nulls for the optional arguments it leaves out, maps as key/value pairs, enums as text,
//! renamed parameters — reaches the upstream as exactly the request the portable schema gives for
//! the same intent. The official rmcp client over Streamable HTTP,
//! a real upstream on 127.0.0.1 that echoes what it received.

use crate::common;

use axum::body::Bytes;
use axum::http::{Method, Uri};
use mcpgen_runtime::McpServer;
use mcpgen_runtime::definition::{ServerDefinition, SurfaceMode};
use mcpgen_runtime::registry::{Registry, Selection};
use rmcp::ServiceExt as _;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Map, Value, json};

/// Echoes method, path with query, and body.
async fn echo(method: Method, uri: Uri, body: Bytes) -> axum::Json<Value> {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    axum::Json(json!({"method": method.as_str(), "uri": uri.to_string(), "body": body}))
}

fn definition(base: &str) -> ServerDefinition {
    serde_json::from_value(definition_json(base)).unwrap()
}

/// [`definition`] with its one tool once per name of `names`.
fn definition_named(base: &str, names: &[String]) -> ServerDefinition {
    let mut definition = definition_json(base);
    let tool = definition["tools"][0].clone();
    let tools = names.iter().map(|name| {
        let mut tool = tool.clone();
        tool["tool"]["name"] = json!(name);
        tool
    });
    definition["tools"] = tools.collect();
    serde_json::from_value(definition).unwrap()
}

fn definition_json(base: &str) -> Value {
    json!({
        "@generated": "test", "name": "pets-mcp", "version": "1.0.0",
        "apis": [{"id": "pets", "baseUrlEnv": "PETS_BASE_URL"}],
        "tools": [{
            "tool": {"name": "update_pet", "description": "Updates a pet.",
                     "outputSchema": {"type": "object", "properties": {"method": {"type": ["string", "null"]}}},
                     "inputSchema": {
                "type": "object",
                "properties": {
                    "petId": {"type": "string"},
                    "notify": {"type": "boolean"},
                    "x-mode": {"type": "integer", "enum": [1, 2]},
                    "body": {"$ref": "#/$defs/PetUpdate"}
                },
                "required": ["petId", "body"],
                "additionalProperties": false,
                "$defs": {
                    "Named": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
                    "PetUpdate": {"allOf": [
                        {"$ref": "#/$defs/Named"},
                        {"type": "object", "properties": {
                            "tag": {"type": "string"},
                            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                            "kind": {"oneOf": [{"type": "string"}, {"type": "integer"}]}
                        }}
                    ]}
                }
            }},
            "api": "pets",
            "http": {"method": "PATCH", "path": "/pets/{petId}",
                     "params": [{"path": "petId", "required": true}, {"query": "notify"}, {"query": "x-mode"}],
                     "body": {"arg": "body", "contentType": "application/json", "required": true}}
        }],
        "environments": [{"name": "default", "apis": [{"id": "pets", "baseUrl": base}]}]
    })
}

async fn serve(profile: Option<&str>, surface: Option<SurfaceMode>) -> String {
    serve_named(profile, surface, &["update_pet".to_owned()]).await
}

/// [`serve`] with the tool once per name of `names`.
async fn serve_named(profile: Option<&str>, surface: Option<SurfaceMode>, names: &[String]) -> String {
    let base = common::serve(axum::Router::new().route("/pets/{id}", axum::routing::patch(echo))).await;
    let selection = Selection { profile: profile.map(str::to_owned), ..Selection::default() };
    let registry = Registry::new(definition_named(&base, names), &selection, common::secrets(&[])).unwrap();
    let server = McpServer::with_surface(registry, surface);
    common::serve(mcpgen_runtime::transport::router(server, &common::http_options())).await
}

fn object(value: Value) -> Map<String, Value> {
    value.as_object().unwrap().clone()
}

/// Lists the tools and calls `name` with `arguments` through the rmcp client; returns the listed
/// tools (as JSON) and what the upstream received.
async fn list_and_call(app: &str, name: &str, arguments: Value) -> (Vec<Value>, Value) {
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{app}/mcp"));
    let client = ().serve(StreamableHttpClientTransport::with_client(reqwest::Client::new(), config)).await.unwrap();
    let tools: Vec<Value> =
        client.list_all_tools().await.unwrap().into_iter().map(|t| serde_json::to_value(t).unwrap()).collect();
    let call = CallToolRequestParams::new(name.to_owned()).with_arguments(object(arguments));
    let result = client.call_tool(call).await.unwrap();
    client.cancel().await.unwrap();
    assert_eq!(result.is_error, Some(false), "{}", common::text(&result));
    (tools, serde_json::from_str(&common::text(&result)).unwrap())
}

fn input_schemas(tools: &[Value]) -> Vec<Value> {
    tools.iter().map(|t| t["inputSchema"].clone()).collect()
}

/// Every object of `schema` lists all its properties as required and allows no others, and no
/// keyword strict mode refuses is left.
fn assert_strict(schema: &Value) {
    match schema {
        Value::Object(map) => {
            for keyword in ["allOf", "oneOf", "not"] {
                assert!(!map.contains_key(keyword), "{keyword} in {schema}");
            }
            if map.get("type") == Some(&json!("object")) || map.contains_key("properties") {
                assert_eq!(map.get("additionalProperties"), Some(&json!(false)), "{schema}");
                let names: Vec<Value> = map["properties"].as_object().unwrap().keys().map(|k| json!(k)).collect();
                assert_eq!(map["required"], Value::Array(names), "{schema}");
            }
            map.values().for_each(assert_strict);
        }
        Value::Array(items) => items.iter().for_each(assert_strict),
        _ => {}
    }
}

#[tokio::test]
async fn a_strict_call_reaches_the_upstream_as_the_portable_one_does() {
    let portable = serve(None, None).await;
    let intent = json!({"petId": "7", "x-mode": 2, "body": {"name": "Rex", "labels": {"colour": "brown"}, "kind": 3}});
    let (tools, sent_portable) = list_and_call(&portable, "update_pet", intent).await;
    let schemas = input_schemas(&tools);
    assert_eq!(schemas[0]["required"], json!(["petId", "body"]), "portable lists the schema as generated");

    let strict = serve(Some("openai-strict"), None).await;
    let strict_args = json!({
        "petId": "7",
        "notify": null,
        "x-mode": 2,
        "body": {"name": "Rex", "tag": null, "labels": [{"key": "colour", "value": "brown"}], "kind": 3}
    });
    let (tools, sent_strict) = list_and_call(&strict, "update_pet", strict_args).await;
    let schemas = input_schemas(&tools);
    assert_strict(&schemas[0]);
    assert_eq!(schemas[0]["properties"]["notify"]["type"], json!(["boolean", "null"]));
    assert_eq!(sent_strict, sent_portable, "the same request for the same intent");
    assert_eq!(
        sent_strict,
        json!({"method": "PATCH", "uri": "/pets/7?x-mode=2", "body": {"name": "Rex", "labels": {"colour": "brown"}, "kind": 3}})
    );

    // Gemini: references inlined, one type each, string enums, safe names, no output schema.
    let gemini = serve(Some("gemini"), None).await;
    let gemini_args = json!({
        "petId": "7",
        "x_mode": "2",
        "body": {"name": "Rex", "labels": [{"key": "colour", "value": "brown"}], "kind": 3}
    });
    let (tools, sent_gemini) = list_and_call(&gemini, "update_pet", gemini_args).await;
    let listed = tools[0].to_string();
    for absent in ["$ref", "$defs", "additionalProperties", "oneOf", "allOf", "x-mode", "outputSchema"] {
        assert!(!listed.contains(absent), "{absent} in {listed}");
    }
    assert_eq!(tools[0]["inputSchema"]["properties"]["x_mode"], json!({"type": "string", "enum": ["1", "2"]}));
    assert_eq!(sent_gemini, sent_portable, "the same request for the same intent");

    // A value that the portable schema refuses is refused after mapping back, naming the argument.
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{strict}/mcp"));
    let client = ().serve(StreamableHttpClientTransport::with_client(reqwest::Client::new(), config)).await.unwrap();
    let bad = json!({"petId": "7", "notify": null, "body": {"name": null, "tag": null, "labels": null, "kind": null}});
    let result = client.call_tool(CallToolRequestParams::new("update_pet").with_arguments(object(bad))).await.unwrap();
    client.cancel().await.unwrap();
    assert_eq!(result.is_error, Some(true));
    assert!(common::text(&result).contains("name"), "{}", common::text(&result));
}

#[tokio::test]
async fn discovery_under_a_strict_profile_takes_arguments_as_json_text() {
    let app = serve(Some("openai-strict"), Some(SurfaceMode::Discovery)).await;
    let arguments =
        json!({"petId": "7", "notify": true, "body": {"name": "Rex", "tag": null, "labels": null, "kind": null}});
    let call = json!({"name": "update_pet", "arguments": arguments.to_string()});
    let (tools, sent) = list_and_call(&app, "call_tool", call).await;
    let schemas = input_schemas(&tools);
    assert_eq!(schemas.len(), 3);
    schemas.iter().for_each(assert_strict);
    assert_eq!(schemas[2]["properties"]["arguments"]["type"], json!(["string", "null"]));
    assert_eq!(sent, json!({"method": "PATCH", "uri": "/pets/7?notify=true", "body": {"name": "Rex"}}));
}

#[test]
fn an_unknown_profile_is_refused_naming_the_known_ones() {
    let selection = Selection { profile: Some("gpt".into()), ..Selection::default() };
    let err = Registry::new(definition("http://127.0.0.1:9"), &selection, common::secrets(&[])).err().unwrap();
    assert!(err.contains("unknown profile `gpt`") && err.contains("openai-strict"), "{err}");
}

#[tokio::test]
async fn cursor_lists_long_names_short_enough_and_calls_them_by_either_name() {
    // `pets-mcp` leaves 51 characters for a tool name beside it (Cursor: under 60 together).
    let long = "update_the_pet_with_a_name_far_too_long_for_cursor_to_list".to_owned();
    let names = [long.clone(), "get_pet".to_owned()];
    let intent = json!({"petId": "7", "body": {"name": "Rex"}});
    let (portable, sent_portable) = list_and_call(&serve_named(None, None, &names).await, &long, intent.clone()).await;
    let app = serve_named(Some("cursor"), None, &names).await;
    let (tools, sent) = list_and_call(&app, "get_pet", intent.clone()).await;
    let listed: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    let short = listed[1];
    assert_eq!(listed[0], "get_pet", "a name that fits is kept");
    assert!(short.len() <= 51 && short.starts_with("update_the_pet_with_a_name_far_too_"), "{short}");
    assert_eq!(input_schemas(&tools), input_schemas(&portable), "cursor lists the schemas as generated");
    assert_eq!(sent, sent_portable);
    // By the listed name and by its own, the same tool and the same request.
    let (_, by_short) = list_and_call(&app, short, intent.clone()).await;
    let (_, by_own) = list_and_call(&app, &long, intent).await;
    assert_eq!((&by_short, &by_own), (&sent_portable, &sent_portable));
}

#[test]
fn cursor_gets_the_discovery_surface_past_its_forty_tools() {
    let names = |n: usize| (0..n).map(|i| format!("update_pet_{i:02}")).collect::<Vec<_>>();
    let discovery = |profile: &str, n: usize, surface: Option<SurfaceMode>| {
        let selection = Selection { profile: Some(profile.to_owned()), ..Selection::default() };
        let definition = definition_named("http://127.0.0.1:9", &names(n));
        let registry = Registry::new(definition, &selection, common::secrets(&[])).unwrap();
        McpServer::with_surface(registry, surface).discovery().is_some()
    };
    assert!(!discovery("cursor", 40, None), "40 tools: all listed");
    assert!(discovery("cursor", 41, None), "the 41st would be cut by Cursor");
    assert!(discovery("cursor", 41, Some(SurfaceMode::Auto)));
    assert!(!discovery("cursor", 41, Some(SurfaceMode::Tools)), "--surface tools, said at start, wins");
    assert!(!discovery("portable", 41, None));
}
