//! Resilience against a misbehaving loopback upstream: attempt counts, time bounds, breaker
//! transitions, limits, truncation, cancellation — and each failure's error class.

use crate::{chaos, common};

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use mcpgen_runtime::McpServer;
use mcpgen_runtime::definition::ServerDefinition;
use rmcp::model::CallToolResult;
use serde_json::{Value, json};

/// A fast policy for tests: short timeouts and backoffs.
fn policy(overrides: Value) -> Value {
    let mut policy = json!({
        "connectTimeoutMs": 1000, "attemptTimeoutMs": 300, "deadlineMs": 2000, "maxAttempts": 3,
        "initialBackoffMs": 10, "maxBackoffMs": 50, "maxResponseBytes": 65536
    });
    for (key, value) in overrides.as_object().unwrap() {
        policy[key] = value.clone();
    }
    policy
}

/// One tool per route, `GET` unless `post`; `api` adds API-level settings.
fn definition(base: &str, tools: &[(&str, &str, Value)], api: Value) -> ServerDefinition {
    let tools: Vec<Value> = tools
        .iter()
        .map(|(name, route, extra)| {
            let mut tool = json!({
                "tool": {"name": name, "inputSchema": {"type": "object"}}, "api": "up",
                "http": {"method": "GET", "path": format!("/{route}")}, "idempotent": true
            });
            for (key, value) in extra.as_object().unwrap() {
                match key.as_str() {
                    "method" => tool["http"]["method"] = value.clone(),
                    "outputSchema" => tool["tool"]["outputSchema"] = value.clone(),
                    _ => tool[key] = value.clone(),
                }
            }
            tool
        })
        .collect();
    let mut api_def = json!({"id": "up", "baseUrlEnv": "UP_BASE_URL", "resilience": policy(json!({}))});
    for (key, value) in api.as_object().unwrap() {
        api_def[key] = value.clone();
    }
    let mut definition = json!({
        "@generated": "test", "name": "chaos-mcp", "version": "1.0.0", "apis": [api_def], "tools": tools,
        "environments": [{"name": "default", "apis": [{"id": "up", "baseUrl": base}]}]
    });
    if let Some(limit) = api.get("clientRateLimit") {
        definition["clientRateLimit"] = limit.clone();
        definition["apis"][0].as_object_mut().unwrap().remove("clientRateLimit");
    }
    serde_json::from_value(definition).unwrap()
}

fn server(base: &str, tools: &[(&str, &str, Value)], api: Value) -> McpServer {
    McpServer::new(common::registry(definition(base, tools, api), &[]).unwrap())
}

/// The error class in the result's `_meta`.
fn class(result: &CallToolResult) -> Option<String> {
    let meta = result.meta.as_ref()?;
    meta.0.get("io.mcpgen/error")?.get("class")?.as_str().map(str::to_owned)
}

fn retry_after(result: &CallToolResult) -> Option<u64> {
    result.meta.as_ref()?.0.get("io.mcpgen/error")?.get("retryAfterSeconds")?.as_u64()
}

#[tokio::test]
async fn idempotent_calls_are_retried_through_a_burst_of_503s() {
    let (base, chaos) = chaos::start().await;
    let s = server(&base, &[("flaky", "flaky", json!({}))], json!({}));
    let result = s.call("flaky", json!({})).await;
    assert_eq!(result.is_error, Some(false), "{}", common::text(&result));
    assert_eq!(chaos.hits("flaky"), 3, "two 503s, then success");
    let metrics = s.registry().metrics.render();
    assert!(metrics.contains(r#"mcpgen_upstream_retries_total{api="up",reason="503"} 2"#), "{metrics}");
}

#[tokio::test]
async fn non_idempotent_calls_are_not_retried_unless_an_idempotency_key_is_sent() {
    let (base, chaos) = chaos::start().await;
    let tools = [
        ("post_flaky", "flaky", json!({"method": "POST", "idempotent": false})),
        ("post_keyed", "keyed", json!({"method": "POST", "idempotent": false, "idempotencyKey": "Idempotency-Key"})),
    ];
    let s = server(&base, &tools, json!({}));
    let result = s.call("post_flaky", json!({})).await;
    assert_eq!(result.is_error, Some(true));
    assert_eq!(class(&result).as_deref(), Some("upstream_5xx"));
    assert_eq!(chaos.hits("flaky"), 1, "a POST is never repeated blindly");
    let result = s.call("post_keyed", json!({})).await;
    assert_eq!(result.is_error, Some(false), "{}", common::text(&result));
    let keys = chaos.idempotency_keys.lock().unwrap().clone();
    assert_eq!(keys.len(), 2);
    assert!(keys[0].len() >= 16 && keys[0] == keys[1], "one key, reused by the retry: {keys:?}");
}

#[tokio::test]
async fn retry_after_is_honoured_but_never_past_the_deadline() {
    let (base, chaos) = chaos::start().await;
    let tools = [("throttled", "throttled", json!({})), ("throttled_long", "throttled-long", json!({}))];
    let s = server(&base, &tools, json!({"resilience": policy(json!({"deadlineMs": 3000}))}));
    let started = Instant::now();
    let result = s.call("throttled", json!({})).await;
    assert_eq!(result.is_error, Some(false), "{}", common::text(&result));
    assert!(started.elapsed() >= Duration::from_millis(950), "waited for Retry-After: {:?}", started.elapsed());
    assert_eq!(chaos.hits("throttled"), 2);
    let started = Instant::now();
    let result = s.call("throttled_long", json!({})).await;
    assert!(started.elapsed() < Duration::from_millis(500), "no point waiting 120 s: {:?}", started.elapsed());
    assert_eq!(class(&result).as_deref(), Some("rate_limited"));
    assert_eq!(retry_after(&result), Some(120));
    assert!(common::text(&result).contains("retry after 120 s"), "{}", common::text(&result));
    assert_eq!(chaos.hits("throttled-long"), 1);
}

#[tokio::test]
async fn slow_upstreams_and_slow_bodies_time_out_within_bounds() {
    let (base, _chaos) = chaos::start().await;
    let s = server(&base, &[("slow", "slow", json!({})), ("slow_body", "slow-body", json!({}))], json!({}));
    for tool in ["slow", "slow_body"] {
        let started = Instant::now();
        let result = s.call(tool, json!({})).await;
        let elapsed = started.elapsed();
        assert_eq!(class(&result).as_deref(), Some("timeout"), "{tool}: {}", common::text(&result));
        assert!(elapsed >= Duration::from_millis(280) && elapsed < Duration::from_millis(1000), "{tool}: {elapsed:?}");
    }
}

#[tokio::test]
async fn retries_stop_at_the_deadline() {
    let (base, chaos) = chaos::start().await;
    let slow_backoff =
        policy(json!({"maxAttempts": 50, "initialBackoffMs": 100, "maxBackoffMs": 100, "deadlineMs": 600}));
    let s = server(&base, &[("unavailable", "unavailable", json!({}))], json!({"resilience": slow_backoff}));
    let started = Instant::now();
    let result = s.call("unavailable", json!({})).await;
    assert!(started.elapsed() < Duration::from_millis(900), "{:?}", started.elapsed());
    assert_eq!(class(&result).as_deref(), Some("upstream_5xx"));
    let hits = chaos.hits("unavailable");
    assert!((2..50).contains(&hits), "retried until the deadline, not 50 times: {hits}");
}

#[tokio::test]
async fn a_retry_the_deadline_cuts_short_reports_what_the_upstream_said() {
    let (base, chaos) = chaos::start().await;
    let quick_retry =
        policy(json!({"initialBackoffMs": 1, "maxBackoffMs": 1, "attemptTimeoutMs": 1000, "deadlineMs": 400}));
    let route = "unavailable-then-slow";
    let s = server(&base, &[("unavailable_then_slow", route, json!({}))], json!({"resilience": quick_retry}));
    let started = Instant::now();
    let result = s.call("unavailable_then_slow", json!({})).await;
    assert!(started.elapsed() < Duration::from_millis(1500), "stopped at the deadline: {:?}", started.elapsed());
    assert_eq!(class(&result).as_deref(), Some("upstream_5xx"), "{}", common::text(&result));
    assert_eq!(chaos.hits(route), 2, "the retry was sent");
}

#[tokio::test]
async fn the_circuit_opens_fails_fast_and_closes_after_a_good_trial() {
    let (base, chaos) = chaos::start().await;
    let api = json!({
        "resilience": policy(json!({"maxAttempts": 1})),
        "circuitBreaker": {"failureRate": 0.5, "windowSeconds": 30, "minimumCalls": 4, "openSeconds": 1}
    });
    let s = server(&base, &[("failing", "failing", json!({}))], api);
    for _ in 0..4 {
        assert_eq!(class(&s.call("failing", json!({})).await).as_deref(), Some("upstream_5xx"));
    }
    let result = s.call("failing", json!({})).await;
    assert_eq!(class(&result).as_deref(), Some("circuit_open"), "{}", common::text(&result));
    assert!(retry_after(&result).is_some_and(|s| s >= 1));
    assert_eq!(chaos.hits("failing"), 4, "an open circuit does not call the upstream");
    assert!(s.registry().metrics.render().contains(r#"mcpgen_circuit_state{api="up",circuit="failing"} 1"#));
    chaos.healthy.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let result = s.call("failing", json!({})).await;
    assert_eq!(result.is_error, Some(false), "the half-open trial succeeds: {}", common::text(&result));
    assert_eq!(s.call("failing", json!({})).await.is_error, Some(false), "closed again");
    assert!(s.registry().metrics.render().contains(r#"mcpgen_circuit_state{api="up",circuit="failing"} 0"#));
}

#[tokio::test]
async fn connections_closed_without_an_answer_are_retried_then_reported() {
    let (base, accepted) = chaos::resetting().await;
    let s = server(&base, &[("reset", "anything", json!({}))], json!({}));
    let result = s.call("reset", json!({})).await;
    assert_eq!(class(&result).as_deref(), Some("transport"), "{}", common::text(&result));
    assert_eq!(accepted.load(Ordering::SeqCst), 3, "three attempts");
}

#[tokio::test]
async fn concurrency_and_rate_limits_hold() {
    let (base, chaos) = chaos::start().await;
    let s = server(&base, &[("in_flight", "in-flight", json!({}))], json!({"maxConcurrency": 2}));
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let s = s.clone();
        calls.spawn(async move { s.call("in_flight", json!({})).await });
    }
    while let Some(result) = calls.join_next().await {
        assert_eq!(result.unwrap().is_error, Some(false));
    }
    assert_eq!(chaos.max_in_flight.load(Ordering::SeqCst), 2);

    // A call backing off before its retry (Retry-After: 1) does not hold the API's only slot.
    let s =
        server(&base, &[("throttled", "throttled", json!({})), ("ok", "ok", json!({}))], json!({"maxConcurrency": 1}));
    let waiting = tokio::spawn({
        let s = s.clone();
        async move { s.call("throttled", json!({})).await }
    });
    while chaos.hits("throttled") == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let backoff_started = Instant::now();
    assert_eq!(s.call("ok", json!({})).await.is_error, Some(false));
    // Holding the slot would make this call wait out the whole second of backoff.
    let waited = backoff_started.elapsed();
    assert!(waited < Duration::from_millis(900), "the call waited {waited:?} for a slot nobody used");
    assert_eq!(waiting.await.unwrap().is_error, Some(false));

    let s = server(&base, &[("ok", "ok", json!({}))], json!({"rateLimit": {"perSecond": 5, "burst": 1}}));
    let started = Instant::now();
    for _ in 0..3 {
        assert_eq!(s.call("ok", json!({})).await.is_error, Some(false));
    }
    assert!(started.elapsed() >= Duration::from_millis(350), "two waits of ~200 ms: {:?}", started.elapsed());

    let s = server(&base, &[("ok", "ok", json!({}))], json!({"clientRateLimit": {"perSecond": 1, "burst": 2}}));
    assert_eq!(s.call("ok", json!({})).await.is_error, Some(false));
    assert_eq!(s.call("ok", json!({})).await.is_error, Some(false));
    let result = s.call("ok", json!({})).await;
    assert_eq!(class(&result).as_deref(), Some("rate_limited"), "{}", common::text(&result));
    assert!(retry_after(&result).is_some());
    assert!(s.registry().metrics.render().contains(r#"mcpgen_rate_limited_total{scope="client",api="-"} 1"#));
}

#[tokio::test]
async fn large_responses_are_cut_with_a_notice_and_not_read_to_the_end() {
    let (base, chaos) = chaos::start().await;
    let schema = json!({"type": "object"});
    let tools = [("big", "big", json!({})), ("big_structured", "big", json!({"outputSchema": schema}))];
    let s = server(&base, &tools, json!({}));
    let result = s.call("big", json!({})).await;
    assert_eq!(result.is_error, Some(false));
    let shown = common::text(&result);
    assert!(shown.contains("[truncated: the response exceeded 65536 bytes"), "{}", &shown[shown.len() - 200..]);
    assert!(shown.len() < 70_000);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let produced = chaos.big_bytes_sent.load(Ordering::SeqCst);
    // What was produced beyond the cap sits in socket buffers, not in this process; the point is
    // that the server hung up instead of draining 32 MiB.
    assert!(produced < 16 * 1024 * 1024, "stopped reading early: {produced} of 32 MiB produced");
    let result = s.call("big_structured", json!({})).await;
    assert_eq!(class(&result).as_deref(), Some("response_too_large"), "{}", common::text(&result));
}

#[tokio::test]
async fn a_cancelled_call_drops_the_upstream_request() {
    let (base, chaos) = chaos::start().await;
    let s = server(
        &base,
        &[("slow", "slow", json!({}))],
        json!({"resilience": policy(json!({"attemptTimeoutMs": 5000, "deadlineMs": 5000}))}),
    );
    let cancelled = tokio::time::timeout(Duration::from_millis(200), s.call("slow", json!({}))).await;
    assert!(cancelled.is_err());
    tokio::time::sleep(Duration::from_millis(2300)).await;
    assert_eq!(chaos.hits("slow"), 1);
    assert_eq!(chaos.slow_completed.load(Ordering::SeqCst), 0, "the upstream saw the client go away");
}

#[tokio::test]
async fn waits_and_retries_are_reported_as_progress_in_order() {
    use mcpgen_runtime::progress::Progress;
    use mcpgen_runtime::trace::TraceContext;
    let (base, _chaos) = chaos::start().await;
    let s = server(&base, &[("flaky", "flaky", json!({}))], json!({}));
    let entry = s.registry().get("flaky").unwrap();
    let (progress, mut messages) = Progress::channel();
    let trace = TraceContext::continue_or_start(None);
    let result = s.execute(entry, Default::default(), None, None, &trace, &progress).await;
    assert_eq!(result.is_error, Some(false), "{}", common::text(&result));
    drop(progress);
    let mut reported = Vec::new();
    while let Some(message) = messages.recv().await {
        reported.push(message);
    }
    assert_eq!(reported.len(), 2, "{reported:#?}");
    for (message, attempt) in reported.iter().zip(["attempt 2 of 3", "attempt 3 of 3"]) {
        assert!(message.starts_with("The up API answered HTTP 503; retrying in "), "{message}");
        assert!(message.ends_with(&format!("({attempt}).")), "{message}");
    }
}

/// An MCP client that keeps the progress notifications it receives.
#[derive(Clone, Default)]
struct ProgressCollector(std::sync::Arc<std::sync::Mutex<Vec<(f64, String)>>>);

impl rmcp::ClientHandler for ProgressCollector {
    fn on_progress(
        &self,
        params: rmcp::model::ProgressNotificationParam,
        _context: rmcp::service::NotificationContext<rmcp::RoleClient>,
    ) -> impl Future<Output = ()> + Send + '_ {
        self.0.lock().unwrap().push((params.progress, params.message.unwrap_or_default()));
        std::future::ready(())
    }
}

/// Calls the flaky tool through an rmcp client over Streamable HTTP — directly, or through the
/// discovery surface's `call_tool` — and returns the progress notifications the client saw.
async fn progress_seen_by_a_client(surface: mcpgen_runtime::definition::SurfaceMode) -> Vec<(f64, String)> {
    use mcpgen_runtime::definition::SurfaceMode;
    use rmcp::ServiceExt as _;
    use rmcp::model::CallToolRequestParams;
    use rmcp::transport::StreamableHttpClientTransport;
    use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
    let (base, chaos) = chaos::start().await;
    let options = common::http_options();
    let registry = common::registry(definition(&base, &[("flaky", "flaky", json!({}))], json!({})), &[]).unwrap();
    let s = McpServer::with_surface(registry, Some(surface));
    let app = common::serve(mcpgen_runtime::transport::router(s, &options)).await;
    let collector = ProgressCollector::default();
    let config = StreamableHttpClientTransportConfig::with_uri(format!("{app}/mcp"));
    let client = collector
        .clone()
        .serve(StreamableHttpClientTransport::with_client(reqwest::Client::new(), config))
        .await
        .unwrap();
    // The rmcp client puts a progressToken into every request's `_meta`.
    let request = match surface {
        SurfaceMode::Discovery => CallToolRequestParams::new("call_tool")
            .with_arguments(json!({"name": "flaky"}).as_object().unwrap().clone()),
        _ => CallToolRequestParams::new("flaky"),
    };
    let result = client.call_tool(request).await.unwrap();
    assert_eq!(result.is_error, Some(false), "{}", common::text(&result));
    assert_eq!(chaos.hits("flaky"), 3);
    client.cancel().await.unwrap();
    collector.0.lock().unwrap().clone()
}

#[tokio::test]
async fn an_mcp_client_sees_the_retries_of_a_slow_call_as_progress_notifications() {
    let seen = progress_seen_by_a_client(mcpgen_runtime::definition::SurfaceMode::Tools).await;
    assert_eq!(seen.iter().map(|(p, _)| *p).collect::<Vec<_>>(), [1.0, 2.0], "strictly increasing: {seen:#?}");
    assert!(seen.iter().all(|(_, m)| m.contains("answered HTTP 503; retrying")), "{seen:#?}");
}

#[tokio::test]
async fn through_call_tool_the_client_sees_the_same_progress_as_a_direct_call() {
    let direct = progress_seen_by_a_client(mcpgen_runtime::definition::SurfaceMode::Tools).await;
    let inner = progress_seen_by_a_client(mcpgen_runtime::definition::SurfaceMode::Discovery).await;
    let messages = |seen: &[(f64, String)]| {
        seen.iter()
            .map(|(p, m)| (*p, m.split("; retrying in ").next().unwrap_or_default().to_owned()))
            .collect::<Vec<_>>()
    };
    assert_eq!(inner.len(), 2, "{inner:#?}");
    assert_eq!(messages(&inner), messages(&direct), "same notifications, naming the inner tool's API");
}

#[tokio::test]
async fn a_callers_unsendable_arguments_never_reach_the_upstream_nor_open_its_circuit() {
    let (base, chaos) = chaos::start().await;
    let api = json!({
        "resilience": policy(json!({"maxAttempts": 1})),
        // One breaker for the API: the strictest setting for "a caller cannot open it for others".
        "circuitBreaker": {"scope": "api", "failureRate": 0.5, "windowSeconds": 30, "minimumCalls": 4, "openSeconds": 30}
    });
    let by_id = json!({"http": {"method": "GET", "path": "/{id}", "params": [
        {"path": "id"}
    ]}});
    let s = server(&base, &[("item", "unused", by_id), ("healthy", "healthy", json!({}))], api);
    // A 1 MB path parameter makes a URL longer than the HTTP stack can send.
    let huge = "x".repeat(1 << 20);
    for _ in 0..20 {
        let result = s.call("item", json!({"id": huge})).await;
        let text: String = common::text(&result).chars().take(300).collect();
        assert_eq!(class(&result).as_deref(), Some("invalid_arguments"), "{text}");
        assert!(text.contains("shorten") && !text.contains("retrying later"), "{text}");
    }
    assert_eq!(chaos.hits(&huge), 0, "nothing was sent");
    let result = s.call("healthy", json!({})).await;
    assert_eq!(result.is_error, Some(false), "the circuit stays closed for everyone: {}", common::text(&result));
    let metrics = s.registry().metrics.render();
    assert!(metrics.contains(r#"mcpgen_circuit_state{api="up",circuit="up"} 0"#), "{metrics}");
    assert!(!metrics.contains(r#"outcome="transport""#), "{metrics}");
}

#[tokio::test]
async fn a_success_with_a_broken_body_is_an_invalid_response_not_an_upstream_failure() {
    let (base, _chaos) = chaos::start().await;
    let s = server(&base, &[("garbage", "garbage", json!({}))], json!({}));
    let result = s.call("garbage", json!({})).await;
    assert_eq!(class(&result).as_deref(), Some("invalid_response"), "{}", common::text(&result));
    assert!(common::text(&result).contains("HTTP 200 but invalid JSON"), "{}", common::text(&result));
    assert!(s.registry().metrics.render().contains(r#"outcome="invalid_response""#));
}

#[tokio::test]
async fn anonymous_http_clients_each_have_their_own_rate_limit() {
    use rmcp::ServiceExt as _;
    use rmcp::model::CallToolRequestParams;
    use rmcp::transport::StreamableHttpClientTransport;
    use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;

    let (base, _chaos) = chaos::start().await;
    let s = server(&base, &[("ok", "ok", json!({}))], json!({"clientRateLimit": {"perSecond": 1, "burst": 1}}));
    let app = common::serve(mcpgen_runtime::transport::router(s, &common::http_options())).await;
    // Two hosts on loopback: the whole of 127.0.0.0/8 is local on Linux.
    let from = |address: &str| {
        let http = reqwest::Client::builder().local_address(address.parse::<std::net::IpAddr>().ok()).build().unwrap();
        let config = StreamableHttpClientTransportConfig::with_uri(format!("{app}/mcp"));
        ().serve(StreamableHttpClientTransport::with_client(http, config))
    };
    let (first, second) = (from("127.0.0.1").await.unwrap(), from("127.0.0.2").await.unwrap());
    let call = || CallToolRequestParams::new("ok");
    assert_eq!(first.call_tool(call()).await.unwrap().is_error, Some(false));
    let limited = first.call_tool(call()).await.unwrap();
    assert_eq!(class(&limited).as_deref(), Some("rate_limited"), "{}", common::text(&limited));
    let other = second.call_tool(call()).await.unwrap();
    assert_eq!(other.is_error, Some(false), "another address is not limited: {}", common::text(&other));
    first.cancel().await.unwrap();
    second.cancel().await.unwrap();
}

#[tokio::test]
async fn one_failing_operation_opens_only_its_own_circuit_unless_the_api_shares_one() {
    let (base, chaos) = chaos::start().await;
    let tools = [("failing", "failing", json!({})), ("healthy", "healthy", json!({}))];
    let breaker = |scope: &str| {
        json!({"resilience": policy(json!({"maxAttempts": 1})),
               "circuitBreaker": {"scope": scope, "failureRate": 0.5, "windowSeconds": 30, "minimumCalls": 4, "openSeconds": 30}})
    };
    for (scope, healthy_class) in [("operation", None), ("api", Some("circuit_open"))] {
        let s = server(&base, &tools, breaker(scope));
        for _ in 0..4 {
            assert_eq!(class(&s.call("failing", json!({})).await).as_deref(), Some("upstream_5xx"));
        }
        let refused = s.call("failing", json!({})).await;
        assert_eq!(class(&refused).as_deref(), Some("circuit_open"), "{scope}: {}", common::text(&refused));
        let other = s.call("healthy", json!({})).await;
        assert_eq!(class(&other).as_deref(), healthy_class, "{scope}: {}", common::text(&other));
    }
    assert_eq!(chaos.hits("failing"), 8, "open circuits do not call the upstream");
    assert_eq!(chaos.hits("healthy"), 1, "only the per-operation breaker let the healthy tool through");
}
