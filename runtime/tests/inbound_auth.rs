//! The server as an OAuth 2.1 resource server, over real HTTP on 127.0.0.1: a loopback JWKS
//! endpoint, tokens signed with RS256/ES256/EdDSA test keys, the official rmcp client, and an
//! upstream that records which tenant credential each call carried.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use axum::routing::get;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mcpgen_runtime::McpServer;
use mcpgen_runtime::definition::ServerDefinition;
use mcpgen_runtime::transport::router;
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const RESOURCE: &str = "https://mcp.example.test/mcp";
const ISSUER: &str = "https://login.example.test";
const STATIC_KEY: &str = "static-client-key-0123456789";

struct Setup {
    /// `http://127.0.0.1:PORT`
    base: String,
    /// Which JWKS document the JWKS endpoint serves (`jwks.json` or both files merged).
    rotated: Arc<Mutex<bool>>,
    jwks_fetches: Arc<AtomicUsize>,
    /// X-API-Key values the upstream received.
    upstream_keys: Arc<Mutex<Vec<String>>>,
}

fn keys_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys")
}

fn jwks(rotated: bool) -> Value {
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(keys_dir().join(name)).unwrap()).unwrap()
    };
    let mut keys = read("jwks.json");
    if rotated {
        let extra = read("jwks-rotated.json")["keys"].as_array().unwrap().clone();
        keys["keys"].as_array_mut().unwrap().extend(extra);
    }
    keys
}

fn definition(upstream: &str, jwks_url: &str) -> ServerDefinition {
    let tool = |name: &str, scopes: Value| {
        json!({"tool": {"name": name, "inputSchema": {"type": "object"}}, "api": "up",
               "http": {"method": "GET", "path": "/pets"}, "security": [["hdr"]], "scopes": scopes})
    };
    let key = |tenant: &str, var: &str| json!({"scheme": "hdr", "tenant": tenant, "method": {"type": "apiKey", "location": "header", "name": "X-API-Key", "key": {"env": var}}});
    let digest: String = Sha256::digest(STATIC_KEY.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    serde_json::from_value(json!({
        "@generated": "test", "name": "secure-mcp", "version": "1.0.0",
        "apis": [{"id": "up", "baseUrlEnv": "UP_BASE_URL"}],
        "tools": [tool("read_pets", json!(["pets:read"])), tool("write_pets", json!(["pets:write"]))],
        "environments": [{
            "name": "prod",
            "apis": [{"id": "up", "baseUrl": upstream, "credentials": [key("acme", "ACME_KEY"), key("globex", "GLOBEX_KEY")]}],
            "inbound": {
                "resource": RESOURCE,
                "authorizationServers": [ISSUER],
                "jwt": {"issuer": ISSUER, "jwksUrl": jwks_url, "algorithms": ["RS256", "ES256", "EdDSA"], "leewaySeconds": 30},
                "apiKeys": [{"id": "ci-bot", "sha256": digest, "scopes": ["pets:read"], "tenant": "globex"}],
                "scopesSupported": ["pets:read", "pets:write"]
            }
        }],
        "tenancy": {"claim": "org", "tenants": ["acme", "globex"]}
    }))
    .unwrap()
}

async fn setup() -> Setup {
    let rotated = Arc::new(Mutex::new(false));
    let jwks_fetches = Arc::new(AtomicUsize::new(0));
    let (r, f) = (rotated.clone(), jwks_fetches.clone());
    let jwks_base = common::serve(axum::Router::new().route(
        "/jwks",
        get(move || {
            let (r, f) = (r.clone(), f.clone());
            async move {
                f.fetch_add(1, Ordering::SeqCst);
                axum::Json(jwks(*r.lock().unwrap()))
            }
        }),
    ))
    .await;
    let upstream_keys = Arc::new(Mutex::new(Vec::new()));
    let seen = upstream_keys.clone();
    let upstream = common::serve(axum::Router::new().route(
        "/pets",
        get(move |headers: HeaderMap| {
            let seen = seen.clone();
            async move {
                let key = headers.get("x-api-key").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                let auth = headers.get("authorization").map(|v| v.to_str().unwrap_or_default().to_owned());
                assert!(auth.is_none(), "the inbound token must never reach the upstream: {auth:?}");
                seen.lock().unwrap().push(key);
                axum::Json(json!({"pets": []}))
            }
        }),
    ))
    .await;
    let definition = definition(&upstream, &format!("{jwks_base}/jwks"));
    let registry =
        common::registry(definition, &[("ACME_KEY", "acme-secret-key"), ("GLOBEX_KEY", "globex-secret-key")]).unwrap();
    let options = common::http_options();
    let base = common::serve(router(McpServer::new(registry), &options)).await;
    Setup { base, rotated, jwks_fetches, upstream_keys }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn claims(scope: &str, org: Option<&str>) -> Value {
    let mut claims =
        json!({"iss": ISSUER, "aud": RESOURCE, "sub": "user-1", "exp": now() + 600, "iat": now(), "scope": scope});
    if let Some(org) = org {
        claims["org"] = json!(org);
    }
    claims
}

fn sign(alg: Algorithm, kid: &str, key_file: &str, claims: &Value) -> String {
    let pem = std::fs::read(keys_dir().join(key_file)).unwrap();
    let key = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem),
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem),
        Algorithm::EdDSA => EncodingKey::from_ed_pem(&pem),
        _ => unreachable!(),
    }
    .unwrap();
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

fn rsa(claims: &Value) -> String {
    sign(Algorithm::RS256, "rsa-1", "rsa.pem", claims)
}

/// POSTs a JSON-RPC message to `/mcp`; returns status, WWW-Authenticate and body.
async fn post(setup: &Setup, token: Option<&str>, message: Value) -> (u16, String, String) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/mcp", setup.base))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(message.to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let challenge =
        response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, challenge, response.text().await.unwrap_or_default())
}

fn call_message(tool: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": {}}})
}

type Client = rmcp::service::RunningService<rmcp::RoleClient, ()>;

async fn client(setup: &Setup, token: &str) -> Client {
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{}/mcp", setup.base)).auth_header(token);
    ().serve(StreamableHttpClientTransport::with_client(reqwest::Client::new(), config))
        .await
        .expect("connects with a valid token")
}

async fn tool_names(client: &Client) -> Vec<String> {
    client.list_all_tools().await.unwrap().into_iter().map(|t| t.name.to_string()).collect()
}

#[tokio::test]
async fn without_a_token_the_challenge_points_at_the_protected_resource_metadata() {
    let s = setup().await;
    let (status, challenge, _) = post(&s, None, call_message("read_pets")).await;
    assert_eq!(status, 401);
    assert!(
        challenge.starts_with("Bearer ")
            && challenge
                .contains(r#"resource_metadata="https://mcp.example.test/.well-known/oauth-protected-resource/mcp""#)
            && challenge.contains(r#"scope="pets:read pets:write""#),
        "{challenge}"
    );
    for path in ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"] {
        let metadata: Value = reqwest::get(format!("{}{path}", s.base)).await.unwrap().json().await.unwrap();
        assert_eq!(metadata["resource"], RESOURCE, "{path}");
        assert_eq!(metadata["authorization_servers"], json!([ISSUER]));
        assert_eq!(metadata["bearer_methods_supported"], json!(["header"]));
    }
    // The refusal is counted, and /metrics is not behind the gate (scrapers have no token).
    let metrics = reqwest::get(format!("{}/metrics", s.base)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"mcpgen_auth_failures_total{reason="missing_token"} 1"#), "{metrics}");
}

#[tokio::test]
async fn bad_tokens_are_refused_with_invalid_token() {
    let s = setup().await;
    let good = claims("pets:read", Some("acme"));
    let with = |key: &str, value: Value| {
        let mut c = good.clone();
        c[key] = value;
        c
    };
    let header = |json: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.to_string());
    let payload = header(good.clone());
    let cases = [
        ("expired", rsa(&with("exp", json!(now() - 300)))),
        ("not yet valid", rsa(&with("nbf", json!(now() + 300)))),
        ("wrong audience", rsa(&with("aud", json!("https://other.example.test/mcp")))),
        ("wrong issuer", rsa(&with("iss", json!("https://evil.example.test")))),
        ("signed by another key under a known kid", sign(Algorithm::RS256, "rsa-1", "rsa-other.pem", &good)),
        ("alg none", format!("{}.{payload}.", header(json!({"alg": "none", "typ": "JWT"})))),
        ("HS256 with the public key as secret", {
            let key = EncodingKey::from_secret(jwks(false).to_string().as_bytes());
            let mut h = Header::new(Algorithm::HS256);
            h.kid = Some("rsa-1".into());
            jsonwebtoken::encode(&h, &good, &key).unwrap()
        }),
        ("garbage", "not-a-token".to_owned()),
    ];
    for (case, token) in cases {
        let (status, challenge, _) = post(&s, Some(&token), call_message("read_pets")).await;
        assert_eq!(status, 401, "{case}");
        assert!(challenge.contains(r#"error="invalid_token""#), "{case}: {challenge}");
    }
    assert!(s.upstream_keys.lock().unwrap().is_empty(), "no refused call reached the upstream");
    // A token within the leeway still passes.
    let (status, _, _) = post(&s, Some(&rsa(&with("exp", json!(now() - 5)))), call_message("read_pets")).await;
    assert_ne!(status, 401);
}

#[tokio::test]
async fn valid_tokens_of_every_algorithm_connect_and_see_only_the_tools_their_scopes_allow() {
    let s = setup().await;
    let reader = claims("pets:read", Some("acme"));
    for token in [
        rsa(&reader),
        sign(Algorithm::ES256, "ec-1", "ec.pem", &reader),
        sign(Algorithm::EdDSA, "ed-1", "ed25519.pem", &reader),
    ] {
        let client = client(&s, &token).await;
        assert_eq!(tool_names(&client).await, ["read_pets"]);
        let result = client.call_tool(CallToolRequestParams::new("read_pets")).await.unwrap();
        assert_eq!(result.is_error, Some(false));
        client.cancel().await.unwrap();
    }
    let writer = client(&s, &rsa(&claims("pets:read pets:write", Some("acme")))).await;
    assert_eq!(tool_names(&writer).await, ["read_pets", "write_pets"]);
    writer.cancel().await.unwrap();
    // Calling a tool without its scope: 403 with the step-up challenge.
    let (status, challenge, _) = post(&s, Some(&rsa(&reader)), call_message("write_pets")).await;
    assert_eq!(status, 403);
    assert!(
        challenge.contains(r#"error="insufficient_scope""#) && challenge.contains(r#"scope="pets:write""#),
        "{challenge}"
    );
}

#[tokio::test]
async fn each_tenant_gets_its_own_upstream_credential_and_unknown_tenants_are_refused() {
    let s = setup().await;
    for (org, key) in [("acme", "acme-secret-key"), ("globex", "globex-secret-key")] {
        let client = client(&s, &rsa(&claims("pets:read", Some(org)))).await;
        let result = client.call_tool(CallToolRequestParams::new("read_pets")).await.unwrap();
        assert_eq!(result.is_error, Some(false));
        client.cancel().await.unwrap();
        assert_eq!(s.upstream_keys.lock().unwrap().last().map(String::as_str), Some(key), "{org}");
    }
    for org in [Some("initech"), None] {
        let (status, _, body) = post(&s, Some(&rsa(&claims("pets:read", org))), call_message("read_pets")).await;
        assert_eq!(status, 403, "{org:?}: {body}");
    }
    assert_eq!(s.upstream_keys.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn static_api_keys_authenticate_with_their_scopes_and_tenant() {
    let s = setup().await;
    let client = client(&s, STATIC_KEY).await;
    assert_eq!(tool_names(&client).await, ["read_pets"]);
    let result = client.call_tool(CallToolRequestParams::new("read_pets")).await.unwrap();
    assert_eq!(result.is_error, Some(false));
    client.cancel().await.unwrap();
    assert_eq!(s.upstream_keys.lock().unwrap().as_slice(), ["globex-secret-key"]);
    let (status, _, _) = post(&s, Some("static-client-key-wrong"), call_message("read_pets")).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn rotated_signing_keys_are_fetched_once_for_an_unknown_kid() {
    let s = setup().await;
    let token = rsa(&claims("pets:read", Some("acme")));
    assert_ne!(post(&s, Some(&token), call_message("read_pets")).await.0, 401);
    assert_eq!(s.jwks_fetches.load(Ordering::SeqCst), 1);
    // A burst of tokens naming an unknown kid does not hammer the JWKS endpoint.
    let rotated = sign(Algorithm::RS256, "rsa-2", "rsa-other.pem", &claims("pets:read", Some("acme")));
    for _ in 0..5 {
        assert_eq!(post(&s, Some(&rotated), call_message("read_pets")).await.0, 401);
    }
    assert!(s.jwks_fetches.load(Ordering::SeqCst) <= 2, "{}", s.jwks_fetches.load(Ordering::SeqCst));
    // The issuer rotates: after the refetch interval the new kid is found.
    *s.rotated.lock().unwrap() = true;
    tokio::time::sleep(Duration::from_millis(5100)).await;
    assert_ne!(post(&s, Some(&rotated), call_message("read_pets")).await.0, 401);
}
