//! Upstream credentials end to end: a real upstream on 127.0.0.1 that checks each credential
//! kind, and a real OAuth token endpoint (client credentials and RFC 8693 token exchange).

use crate::common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{get, post};
use base64::Engine as _;
use mcpgen_runtime::McpServer;
use mcpgen_runtime::definition::ServerDefinition;
use mcpgen_runtime::inbound::Principal;
use serde_json::{Value, json};

/// What the upstream and the token endpoint accept, and what they saw.
#[derive(Default)]
struct World {
    /// Expected value per check kind (`key-header`, `bearer`, …).
    expected: HashMap<String, String>,
    /// Access tokens the upstream accepts for `/check/oauth`.
    valid_tokens: Vec<String>,
    /// Every `Authorization` header the upstream received.
    authorizations: Vec<String>,
    /// Token requests received: (grant_type, subject_token).
    token_requests: Vec<(String, Option<String>)>,
    /// How each token request authenticated the client (`client_secret_basic` / `_post`).
    client_auth: Vec<&'static str>,
    /// `expires_in` of issued tokens.
    lifetime: u64,
}

type Shared = Arc<Mutex<World>>;

async fn check(
    State(world): State<Shared>,
    Path(kind): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> (StatusCode, String) {
    let query: HashMap<String, String> =
        form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
    let mut world = world.lock().unwrap();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    world.authorizations.push(header("authorization"));
    let got = match kind.as_str() {
        "key-header" => header("x-api-key"),
        "key-query" => query.get("api_key").cloned().unwrap_or_default(),
        "key-cookie" => header("cookie"),
        "public" => return (StatusCode::OK, json!({"ok": true}).to_string()),
        "oauth" | "exchange" => {
            let token = header("authorization").trim_start_matches("Bearer ").to_owned();
            let ok = world.valid_tokens.contains(&token);
            return if ok {
                (StatusCode::OK, json!({"ok": true, "token": token}).to_string())
            } else {
                (StatusCode::UNAUTHORIZED, format!("token {token} is not valid"))
            };
        }
        _ => header("authorization"),
    };
    if world.expected.get(&kind) == Some(&got) {
        (StatusCode::OK, json!({"ok": true}).to_string())
    } else {
        // Like many real APIs, echo what was sent: the server must redact it.
        (StatusCode::UNAUTHORIZED, format!("credential {got} rejected"))
    }
}

/// Echoes the credentials it received (API key header and query, Authorization) spelled as
/// `how` says, with a 200 (JSON or text) or a 400: real APIs reflect requests in many ways.
async fn echo(
    Path(how): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> (StatusCode, [(&'static str, String); 1], String) {
    use base64::engine::general_purpose::STANDARD;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let query: HashMap<String, String> =
        form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).into_owned().collect();
    let seen = [header("x-api-key"), query.get("api_key").cloned().unwrap_or_default(), header("authorization")];
    let escaped = |t: &str| t.chars().map(|c| format!("\\u{:04X}", c as u32)).collect::<String>();
    let percent = |t: &str| t.bytes().map(|b| format!("%{b:02x}")).collect::<String>();
    let json = "application/json".to_owned();
    match how.as_str() {
        "json" => (StatusCode::OK, [("content-type", json)], json!({"received": seen}).to_string()),
        "escaped" => {
            let items: Vec<String> = seen.iter().map(|t| format!("\"{}\"", escaped(t))).collect();
            (StatusCode::OK, [("content-type", json)], format!("{{\"received\": [{}]}}", items.join(",")))
        }
        "escaped-error" => {
            let items: Vec<String> = seen.iter().map(|t| format!("\"{}\"", escaped(t))).collect();
            (StatusCode::BAD_REQUEST, [("content-type", json)], format!("{{\"error\": [{}]}}", items.join(",")))
        }
        "percent" => {
            let items: Vec<String> = seen.iter().map(|t| percent(t)).collect();
            (StatusCode::OK, [("content-type", "text/plain".to_owned())], format!("echo?{}", items.join("&")))
        }
        _ => {
            // The pair behind `Basic …`, and the key, re-encoded as base64.
            let decoded = seen[2].strip_prefix("Basic ").and_then(|b| STANDARD.decode(b).ok()).unwrap_or_default();
            let pair = String::from_utf8(decoded).unwrap_or_default();
            let body = json!({"user": pair, "key": STANDARD.encode(&seen[0]), "raw": seen[2]}).to_string();
            (StatusCode::OK, [("content-type", json)], body)
        }
    }
}

async fn token(State(world): State<Shared>, headers: HeaderMap, body: String) -> (StatusCode, String) {
    tokio::time::sleep(Duration::from_millis(50)).await;
    let form: HashMap<String, String> = form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let basic = base64::engine::general_purpose::STANDARD.encode("client-1:s3cret-client");
    let authorization = headers.get("authorization").and_then(|v| v.to_str().ok());
    let posted = (form.get("client_id").map(String::as_str), form.get("client_secret").map(String::as_str));
    // RFC 6749 §2.3: exactly one client authentication method per request.
    let method = match (authorization, posted) {
        (Some(header), (None, None)) if header == format!("Basic {basic}") => "client_secret_basic",
        (None, (Some("client-1"), Some("s3cret-client"))) => "client_secret_post",
        _ => return (StatusCode::UNAUTHORIZED, json!({"error": "invalid_client"}).to_string()),
    };
    let mut world = world.lock().unwrap();
    world.client_auth.push(method);
    let grant = form.get("grant_type").cloned().unwrap_or_default();
    world.token_requests.push((grant.clone(), form.get("subject_token").cloned()));
    let n = world.token_requests.len();
    let issued = match grant.as_str() {
        "client_credentials" if form.get("scope").map(String::as_str) == Some("pets:read pets:write") => {
            format!("cc-token-{n}")
        }
        "urn:ietf:params:oauth:grant-type:token-exchange" if form.contains_key("subject_token") => {
            format!("xchg-token-{n}")
        }
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                json!({"error": "invalid_grant", "error_description": "wrong grant or scope"}).to_string(),
            );
        }
    };
    world.valid_tokens.push(issued.clone());
    (StatusCode::OK, json!({"access_token": issued, "token_type": "Bearer", "expires_in": world.lifetime}).to_string())
}

fn tool(name: &str, path: &str, security: Value) -> Value {
    json!({"tool": {"name": name, "inputSchema": {"type": "object"}}, "api": "up",
           "http": {"method": "GET", "path": path}, "security": security})
}

/// `tool` with an output schema, so its result carries `structuredContent`.
fn structured(mut tool: Value) -> Value {
    tool["tool"]["outputSchema"] = json!({"type": "object"});
    tool
}

fn definition(base: &str, credentials: Value, tenancy: Option<Value>) -> ServerDefinition {
    let mut definition = json!({
        "@generated": "test", "name": "auth-mcp", "version": "1.0.0",
        "apis": [{"id": "up", "baseUrlEnv": "UP_BASE_URL"}],
        "tools": [
            tool("key_header", "/check/key-header", json!([["hdr"]])),
            tool("key_query", "/check/key-query", json!([["qry"]])),
            tool("key_cookie", "/check/key-cookie", json!([["ck"]])),
            tool("bearer", "/check/bearer", json!([["bearer"]])),
            tool("basic", "/check/basic", json!([["basic"]])),
            tool("oauth", "/check/oauth", json!([["cc"]])),
            tool("exchange", "/check/exchange", json!([["xchg"]])),
            tool("either", "/check/key-header", json!([["unbound"], ["hdr"]])),
            tool("public", "/check/public", json!([])),
            tool("echo_json", "/echo/json", json!([["hdr", "qry", "basic"]])),
            tool("echo_escaped", "/echo/escaped", json!([["hdr", "qry", "basic"]])),
            tool("echo_escaped_error", "/echo/escaped-error", json!([["hdr", "qry", "basic"]])),
            tool("echo_percent", "/echo/percent", json!([["hdr", "qry", "basic"]])),
            tool("echo_base64", "/echo/base64", json!([["hdr", "qry", "basic"]])),
            tool("echo_bearer", "/echo/json", json!([["bearer"]])),
            (structured(tool("echo_structured", "/echo/json", json!([["hdr", "qry", "basic"]])))),
        ],
        "environments": [{"name": "default", "apis": [{"id": "up", "baseUrl": base, "credentials": credentials}]}]
    });
    if let Some(tenancy) = tenancy {
        definition["tenancy"] = tenancy;
    }
    serde_json::from_value(definition).unwrap()
}

fn oauth_client(token_url: &str) -> Value {
    json!({"tokenUrl": token_url, "clientId": {"value": "client-1"}, "clientSecret": {"env": "CLIENT_SECRET"},
           "scopes": ["pets:read", "pets:write"]})
}

fn all_credentials(token_url: &str, bearer_file: &str) -> Value {
    json!([
        {"scheme": "basic", "method": {"type": "basic", "username": {"value": "alice"}, "password": {"env": "BASIC_PW"}}},
        {"scheme": "bearer", "method": {"type": "bearer", "token": {"file": bearer_file}}},
        {"scheme": "cc", "method": {"type": "clientCredentials", "client": oauth_client(token_url)}},
        {"scheme": "ck", "method": {"type": "apiKey", "location": "cookie", "name": "session", "key": {"env": "COOKIE_KEY"}}},
        {"scheme": "hdr", "method": {"type": "apiKey", "location": "header", "name": "X-API-Key", "key": {"env": "HEADER_KEY"}}},
        {"scheme": "qry", "method": {"type": "apiKey", "location": "query", "name": "api_key", "key": {"env": "QUERY_KEY"}}},
        {"scheme": "xchg", "method": {"type": "tokenExchange", "client": oauth_client(token_url)}}
    ])
}

const VARS: &[(&str, &str)] = &[
    ("BASIC_PW", "pw-basic-123"),
    ("CLIENT_SECRET", "s3cret-client"),
    ("COOKIE_KEY", "cookie-key-789"),
    ("HEADER_KEY", "header-key-456"),
    ("QUERY_KEY", "query-key-000"),
];

struct Setup {
    server: McpServer,
    base: String,
    world: Shared,
    bearer_file: std::path::PathBuf,
    _dir: TempDir,
}

/// A directory removed on drop.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn setup(lifetime: u64) -> Setup {
    let world: Shared = Arc::new(Mutex::new(World { lifetime, ..World::default() }));
    {
        let mut w = world.lock().unwrap();
        w.expected.insert("key-header".into(), "header-key-456".into());
        w.expected.insert("key-query".into(), "query-key-000".into());
        w.expected.insert("key-cookie".into(), "session=cookie-key-789".into());
        w.expected.insert("bearer".into(), "Bearer bearer-one".into());
        let basic = base64::engine::general_purpose::STANDARD.encode("alice:pw-basic-123");
        w.expected.insert("basic".into(), format!("Basic {basic}"));
    }
    let app = axum::Router::new()
        .route("/check/{kind}", get(check))
        .route("/token", post(token))
        .route("/echo/{how}", get(echo))
        .with_state(world.clone());
    let base = common::serve(app).await;
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("mcpgen-auth-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bearer_file = dir.join("bearer");
    std::fs::write(&bearer_file, "bearer-one\n").unwrap();
    let definition = definition(&base, all_credentials(&format!("{base}/token"), bearer_file.to_str().unwrap()), None);
    let server = McpServer::new(common::registry(definition, VARS).unwrap());
    Setup { server, base, world, bearer_file, _dir: TempDir(dir) }
}

fn user(token: &str, tenant: Option<&str>) -> Principal {
    Principal {
        subject: "user-1".into(),
        client: None,
        scopes: Default::default(),
        tenant: tenant.map(str::to_owned),
        roles: Default::default(),
        token: Some(token.to_owned().into()),
    }
}

#[tokio::test]
async fn every_credential_kind_reaches_the_upstream_as_the_scheme_says() {
    let s = setup(3600).await;
    for name in ["key_header", "key_query", "key_cookie", "bearer", "basic", "oauth", "either", "public"] {
        let result = s.server.call(name, json!({})).await;
        assert_eq!(result.is_error, Some(false), "{name}: {}", common::text(&result));
    }
    let caller = user("inbound-user-token", None);
    let result = s.server.call_as("exchange", json!({}), Some(&caller)).await;
    assert_eq!(result.is_error, Some(false), "{}", common::text(&result));
    let world = s.world.lock().unwrap();
    assert!(
        world.authorizations.iter().all(|a| !a.contains("inbound-user-token")),
        "the inbound token must never reach the upstream: {:?}",
        world.authorizations
    );
    let exchange = world.token_requests.iter().find(|(grant, _)| grant.ends_with("token-exchange")).unwrap();
    assert_eq!(exchange.1.as_deref(), Some("inbound-user-token"), "the inbound token is the exchange's subject");
    assert_eq!(world.client_auth, ["client_secret_basic"; 2], "HTTP Basic unless the manifest says otherwise");
}

#[tokio::test]
async fn client_secret_post_puts_the_client_credentials_in_the_form_instead() {
    let s = setup(3600).await;
    let mut client = oauth_client(&format!("{}/token", s.base));
    client["clientAuth"] = json!("client_secret_post");
    for (scheme, kind) in [("cc", "clientCredentials"), ("xchg", "tokenExchange")] {
        let credentials = json!([{"scheme": scheme, "method": {"type": kind, "client": client}}]);
        let server = McpServer::new(common::registry(definition(&s.base, credentials, None), VARS).unwrap());
        let (tool, caller) =
            if scheme == "cc" { ("oauth", None) } else { ("exchange", Some(user("user-token", None))) };
        let result = server.call_as(tool, json!({}), caller.as_ref()).await;
        assert_eq!(result.is_error, Some(false), "{tool}: {}", common::text(&result));
    }
    assert_eq!(s.world.lock().unwrap().client_auth, ["client_secret_post"; 2]);
}

#[tokio::test]
async fn concurrent_calls_share_one_token_request_and_tokens_are_renewed_before_expiry() {
    let s = setup(1).await;
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let server = s.server.clone();
        calls.spawn(async move { server.call("oauth", json!({})).await });
    }
    while let Some(result) = calls.join_next().await {
        let result = result.unwrap();
        assert_eq!(result.is_error, Some(false), "{}", common::text(&result));
    }
    assert_eq!(s.world.lock().unwrap().token_requests.len(), 1, "one token request for 20 concurrent calls");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let result = s.server.call("oauth", json!({})).await;
    assert_eq!(result.is_error, Some(false), "{}", common::text(&result));
    assert_eq!(s.world.lock().unwrap().token_requests.len(), 2, "an expiring token is renewed");
}

#[tokio::test]
async fn a_revoked_token_is_replaced_after_one_401_and_the_call_retried_once() {
    let s = setup(3600).await;
    assert_eq!(s.server.call("oauth", json!({})).await.is_error, Some(false));
    s.world.lock().unwrap().valid_tokens.clear(); // the authorization server revoked it
    let result = s.server.call("oauth", json!({})).await;
    assert_eq!(result.is_error, Some(false), "{}", common::text(&result));
    let world = s.world.lock().unwrap();
    assert_eq!(world.token_requests.len(), 2);
    let oauth_calls = world.authorizations.iter().filter(|a| a.starts_with("Bearer cc-token")).count();
    assert_eq!(oauth_calls, 3, "first call, rejected attempt, retry: {:?}", world.authorizations);
}

#[tokio::test]
async fn a_rotated_secret_file_is_picked_up_without_a_restart() {
    let s = setup(3600).await;
    assert_eq!(s.server.call("bearer", json!({})).await.is_error, Some(false));
    s.world.lock().unwrap().expected.insert("bearer".into(), "Bearer bearer-two-rotated".into());
    std::fs::write(&s.bearer_file, "bearer-two-rotated\n").unwrap();
    let result = s.server.call("bearer", json!({})).await;
    assert_eq!(result.is_error, Some(false), "{}", common::text(&result));
}

#[tokio::test]
async fn secrets_echoed_by_the_upstream_are_redacted_from_results() {
    let s = setup(3600).await;
    s.world.lock().unwrap().expected.insert("key-header".into(), "something-else".into());
    let result = s.server.call("key_header", json!({})).await;
    assert_eq!(result.is_error, Some(true));
    let shown = common::text(&result);
    assert!(shown.contains("401") && shown.contains("[redacted]"), "{shown}");
    assert!(!shown.contains("header-key-456"), "{shown}");
}

#[tokio::test]
async fn credentials_echoed_in_any_spelling_and_any_status_never_reach_the_client() {
    let s = setup(3600).await;
    let mut leaks = vec!["header-key-456", "query-key-000", "pw-basic-123", "bearer-one"];
    let basic = base64::engine::general_purpose::STANDARD.encode("alice:pw-basic-123");
    let key_b64 = base64::engine::general_purpose::STANDARD.encode("header-key-456");
    leaks.extend([basic.as_str(), key_b64.as_str(), "aGVhZGVyLWtleS00NTY", "YWxpY2U6cHctYmFzaWMtMTIz"]);
    let escaped_key: String = "header-key-456".chars().map(|c| format!("\\u{:04X}", c as u32)).collect();
    let percent_key: String = "header-key-456".bytes().map(|b| format!("%{b:02x}")).collect();
    leaks.extend([escaped_key.as_str(), percent_key.as_str(), "%68%65%61"]);
    for tool in [
        "echo_json",
        "echo_escaped",
        "echo_escaped_error",
        "echo_percent",
        "echo_base64",
        "echo_bearer",
        "echo_structured",
    ] {
        let result = s.server.call(tool, json!({})).await;
        // Everything the client receives: content blocks and structuredContent, as on the wire.
        let wire = serde_json::to_string(&result).unwrap();
        assert!(wire.contains("[redacted]"), "{tool}: nothing redacted in {wire}");
        for leak in &leaks {
            assert!(!wire.contains(leak), "{tool} leaked {leak:?}: {wire}");
        }
        if tool == "echo_structured" {
            assert!(result.structured_content.is_some(), "{tool}: redacted JSON is still structured: {wire}");
        }
    }
}

#[tokio::test]
async fn token_exchange_without_a_user_token_explains_instead_of_calling() {
    let s = setup(3600).await;
    let result = s.server.call("exchange", json!({})).await;
    assert_eq!(result.is_error, Some(true));
    assert!(common::text(&result).contains("on behalf of the signed-in user"), "{}", common::text(&result));
    assert!(s.world.lock().unwrap().token_requests.is_empty());
}

#[tokio::test]
async fn missing_secrets_are_all_listed_at_start_without_values() {
    let definition =
        definition("http://127.0.0.1:9", all_credentials("http://127.0.0.1:9/token", "/nonexistent/bearer"), None);
    let err = common::registry(definition, &[("HEADER_KEY", "header-key-456"), ("BASIC_PW", "")]).err().unwrap();
    for expected in [
        "environment `default` is missing 6 secrets",
        "environment variable BASIC_PW is empty (for up/basic)",
        "environment variable CLIENT_SECRET is not set (for up/cc)",
        "environment variable COOKIE_KEY is not set (for up/ck)",
        "environment variable QUERY_KEY is not set (for up/qry)",
        "file /nonexistent/bearer cannot be read",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert!(!err.contains("header-key-456"), "{err}");
}

#[tokio::test]
async fn tenants_only_ever_use_their_own_credentials() {
    let world: Shared = Arc::new(Mutex::new(World::default()));
    world.lock().unwrap().expected.insert("key-header".into(), "key-of-acme".into());
    let base = common::serve(axum::Router::new().route("/check/{kind}", get(check)).with_state(world.clone())).await;
    let registry = common::registry(definition_again(&base), KEYS).unwrap();
    let server = McpServer::new(registry);
    // Without inbound auth the tenant comes from --tenant; none given: refused before any request.
    let result = server.call("key_header", json!({})).await;
    assert!(common::text(&result).contains("No tenant"), "{}", common::text(&result));
    assert!(world.lock().unwrap().authorizations.is_empty());
    // Each tenant's server sends its own key, never another's.
    let seen = |world: &Shared| world.lock().unwrap().authorizations.len();
    let acme = McpServer::new(common::registry_for(definition_again(&base), KEYS, Some("acme")).unwrap());
    assert_eq!(acme.call("key_header", json!({})).await.is_error, Some(false));
    world.lock().unwrap().expected.insert("key-header".into(), "key-of-globex".into());
    let globex = McpServer::new(common::registry_for(definition_again(&base), KEYS, Some("globex")).unwrap());
    assert_eq!(globex.call("key_header", json!({})).await.is_error, Some(false));
    let result = acme.call("key_header", json!({})).await;
    assert_eq!(result.is_error, Some(true), "acme's call must not use globex's key");
    assert!(!common::text(&result).contains("key-of-acme"), "redacted: {}", common::text(&result));
    assert_eq!(seen(&world), 3);
    let err = common::registry_for(definition_again(&base), KEYS, Some("initech")).err().unwrap();
    assert!(err.contains("unknown tenant `initech`") && err.contains("acme, globex"), "{err}");
}

const KEYS: &[(&str, &str)] = &[("ACME_KEY", "key-of-acme"), ("GLOBEX_KEY", "key-of-globex")];

fn definition_again(base: &str) -> ServerDefinition {
    let credentials = json!([
        {"scheme": "hdr", "tenant": "acme", "method": {"type": "apiKey", "location": "header", "name": "X-API-Key", "key": {"env": "ACME_KEY"}}},
        {"scheme": "hdr", "tenant": "globex", "method": {"type": "apiKey", "location": "header", "name": "X-API-Key", "key": {"env": "GLOBEX_KEY"}}}
    ]);
    definition(base, credentials, Some(json!({"claim": "tenant", "tenants": ["acme", "globex"]})))
}
