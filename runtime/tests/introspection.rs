//! Opaque access tokens checked by a real RFC 7662 introspection endpoint on 127.0.0.1, through
//! the HTTP transport and the official rmcp client: accepted tokens carry scopes and tenant,
//! every kind of unsuitable answer is a 401 with its reason, answers are reused only while
//! allowed, and an unavailable endpoint refuses instead of failing open.

use crate::common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use base64::Engine as _;
use mcpgen_runtime::McpServer;
use mcpgen_runtime::definition::ServerDefinition;
use mcpgen_runtime::transport::router;
use rmcp::ServiceExt as _;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const RESOURCE: &str = "https://mcp.example.test/mcp";
const ISSUER: &str = "https://login.example.test";
const STATIC_KEY: &str = "static-client-key-0123456789";
const SECRETS: &[(&str, &str)] = &[("INTROSPECTION_SECRET", "intro-secret"), ("ACME_KEY", "acme-secret-key")];

/// The authorization server's view: its answer per token, and what it was asked.
#[derive(Default)]
struct AuthServer {
    answers: HashMap<String, Value>,
    asked: Vec<String>,
    down: bool,
}

type Shared = Arc<Mutex<AuthServer>>;

async fn introspect(State(server): State<Shared>, headers: HeaderMap, body: String) -> (StatusCode, String) {
    let form: HashMap<String, String> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let mut server = server.lock().unwrap();
    if server.down {
        return (StatusCode::SERVICE_UNAVAILABLE, "maintenance".into());
    }
    let basic = base64::engine::general_purpose::STANDARD.encode("mcp-server:intro-secret");
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Basic {basic}")) {
        return (StatusCode::UNAUTHORIZED, json!({"error": "invalid_client"}).to_string());
    }
    assert_eq!(form.get("token_type_hint").map(String::as_str), Some("access_token"));
    let token = form.get("token").cloned().unwrap_or_default();
    server.asked.push(token.clone());
    let answer = server.answers.get(&token).cloned().unwrap_or_else(|| json!({"active": false}));
    (StatusCode::OK, answer.to_string())
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// An active answer for `sub` with `scope` in tenant `acme`, changed by `edit`.
fn active(scope: &str, edit: impl FnOnce(&mut Value)) -> Value {
    let mut answer = json!({"active": true, "sub": "user-7", "client_id": "agent-app", "scope": scope, "org": "acme",
                            "aud": [RESOURCE, "https://other.example.test"], "iss": ISSUER, "exp": now() + 600});
    edit(&mut answer);
    answer
}

fn definition(upstream: &str, introspection_url: &str, cache_seconds: u64) -> ServerDefinition {
    let tool = |name: &str, scopes: Value| {
        json!({"tool": {"name": name, "inputSchema": {"type": "object"}}, "api": "up",
               "http": {"method": "GET", "path": "/pets"}, "security": [["hdr"]], "scopes": scopes})
    };
    let digest: String = Sha256::digest(STATIC_KEY.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    serde_json::from_value(json!({
        "@generated": "test", "name": "opaque-mcp", "version": "1.0.0",
        "apis": [{"id": "up", "baseUrlEnv": "UP_BASE_URL"}],
        "tools": [tool("read_pets", json!(["pets:read"])), tool("write_pets", json!(["pets:write"]))],
        "environments": [{
            "name": "prod",
            "apis": [{"id": "up", "baseUrl": upstream, "credentials": [
                {"scheme": "hdr", "tenant": "acme", "method": {"type": "apiKey", "location": "header", "name": "X-API-Key", "key": {"env": "ACME_KEY"}}}
            ]}],
            "inbound": {
                "resource": RESOURCE,
                "authorizationServers": [ISSUER],
                "introspection": {"url": introspection_url, "clientId": {"value": "mcp-server"},
                                  "clientSecret": {"env": "INTROSPECTION_SECRET"}, "issuer": ISSUER,
                                  "cacheSeconds": cache_seconds, "leewaySeconds": 30},
                "apiKeys": [{"id": "ci-bot", "sha256": digest, "scopes": ["pets:read"], "tenant": "acme"}]
            }
        }],
        "tenancy": {"claim": "org", "tenants": ["acme"]}
    }))
    .unwrap()
}

struct Setup {
    base: String,
    auth_server: Shared,
    upstream_keys: Arc<Mutex<Vec<String>>>,
}

async fn setup(cache_seconds: u64) -> Setup {
    let auth_server: Shared = Arc::default();
    let as_base =
        common::serve(axum::Router::new().route("/introspect", post(introspect)).with_state(auth_server.clone())).await;
    let upstream_keys = Arc::new(Mutex::new(Vec::new()));
    let seen = upstream_keys.clone();
    let upstream = common::serve(axum::Router::new().route(
        "/pets",
        get(move |headers: HeaderMap| {
            let seen = seen.clone();
            async move {
                assert!(headers.get("authorization").is_none(), "the inbound token must never reach the upstream");
                let key = headers.get("x-api-key").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                seen.lock().unwrap().push(key);
                axum::Json(json!({"pets": []}))
            }
        }),
    ))
    .await;
    let definition = definition(&upstream, &format!("{as_base}/introspect"), cache_seconds);
    let registry = common::registry(definition, SECRETS).unwrap();
    let options = common::http_options();
    let base = common::serve(router(McpServer::new(registry), &options)).await;
    Setup { base, auth_server, upstream_keys }
}

/// `tools/list` over raw HTTP with `token`: the status and the WWW-Authenticate challenge.
async fn list_with(setup: &Setup, token: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(format!("{}/mcp", setup.base))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .bearer_auth(token)
        .body(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).to_string())
        .send()
        .await
        .unwrap();
    let challenge =
        response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (response.status().as_u16(), challenge)
}

/// Whether an MCP client with `token` can connect and list tools.
async fn accepted(setup: &Setup, token: &str) -> bool {
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", setup.base)).auth_header(token);
    let Ok(client) = ().serve(StreamableHttpClientTransport::with_client(reqwest::Client::new(), config)).await else {
        return false;
    };
    let listed = client.list_all_tools().await.is_ok();
    client.cancel().await.unwrap();
    listed
}

#[tokio::test]
async fn an_opaque_token_the_authorization_server_vouches_for_is_a_caller_with_its_scopes_and_tenant() {
    let s = setup(60).await;
    s.auth_server.lock().unwrap().answers.insert("opaque-reader".into(), active("pets:read", |_| {}));
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", s.base)).auth_header("opaque-reader");
    let client = ().serve(StreamableHttpClientTransport::with_client(reqwest::Client::new(), config)).await.unwrap();
    let tools: Vec<String> = client.list_all_tools().await.unwrap().into_iter().map(|t| t.name.to_string()).collect();
    assert_eq!(tools, ["read_pets"], "pets:write is not granted");
    let result = client.call_tool(CallToolRequestParams::new("read_pets")).await.unwrap();
    assert_eq!(result.is_error, Some(false));
    client.cancel().await.unwrap();
    assert_eq!(*s.upstream_keys.lock().unwrap(), ["acme-secret-key"], "the org claim chose the tenant's credential");
    assert_eq!(s.auth_server.lock().unwrap().asked, ["opaque-reader"], "one introspection for the whole session");
}

#[tokio::test]
async fn inactive_foreign_expired_and_untrusted_tokens_are_refused_with_their_reason() {
    let s = setup(60).await;
    let cases = [
        ("unknown-token", None, "not active"),
        ("for-someone-else", Some(active("pets:read", |a| a["aud"] = json!("https://other.example.test"))), "(aud)"),
        ("no-audience", Some(active("pets:read", |a| drop(a.as_object_mut().unwrap().remove("aud")))), "(aud)"),
        ("expired", Some(active("pets:read", |a| a["exp"] = json!(now() - 120))), "expired"),
        ("not-yet", Some(active("pets:read", |a| a["nbf"] = json!(now() + 600))), "not valid yet"),
        ("foreign-issuer", Some(active("pets:read", |a| a["iss"] = json!("https://evil.example.test"))), "(iss)"),
    ];
    for (token, answer, reason) in &cases {
        if let Some(answer) = answer {
            s.auth_server.lock().unwrap().answers.insert((*token).into(), answer.clone());
        }
        let (status, challenge) = list_with(&s, token).await;
        assert_eq!(status, 401, "{token}");
        assert!(challenge.contains(r#"error="invalid_token""#) && challenge.contains(reason), "{token}: {challenge}");
    }
    // Refusals are not remembered: a token issued a moment later works at once.
    s.auth_server.lock().unwrap().answers.insert("unknown-token".into(), active("pets:read", |_| {}));
    assert!(accepted(&s, "unknown-token").await);
    assert_eq!(s.auth_server.lock().unwrap().asked.len(), cases.len() + 1);
}

#[tokio::test]
async fn a_revoked_token_stops_working_once_its_cached_answer_runs_out() {
    let s = setup(1).await;
    s.auth_server.lock().unwrap().answers.insert("opaque-reader".into(), active("pets:read", |_| {}));
    assert!(accepted(&s, "opaque-reader").await);
    s.auth_server.lock().unwrap().answers.insert("opaque-reader".into(), json!({"active": false}));
    assert!(accepted(&s, "opaque-reader").await, "reused within cache_seconds");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, challenge) = list_with(&s, "opaque-reader").await;
    assert_eq!(status, 401, "{challenge}");
    assert_eq!(s.auth_server.lock().unwrap().asked.len(), 2);
}

#[tokio::test]
async fn an_unavailable_endpoint_refuses_tokens_but_static_keys_keep_working() {
    let s = setup(60).await;
    s.auth_server.lock().unwrap().down = true;
    let (status, challenge) = list_with(&s, "opaque-reader").await;
    assert_eq!(status, 401);
    assert!(challenge.contains("cannot be checked now"), "{challenge}");
    assert!(!challenge.contains("maintenance"), "upstream error bodies stay in the server log: {challenge}");
    assert!(accepted(&s, STATIC_KEY).await);
    assert!(s.auth_server.lock().unwrap().asked.is_empty(), "static keys are checked locally");
}

#[tokio::test]
async fn a_missing_introspection_secret_stops_the_server_at_start() {
    let definition = definition("http://127.0.0.1:9", "http://127.0.0.1:9/introspect", 60);
    let error = common::registry(definition, &[("ACME_KEY", "acme-secret-key")]).err().unwrap();
    assert!(error.contains("INTROSPECTION_SECRET") && error.contains("inbound token introspection"), "{error}");
}
